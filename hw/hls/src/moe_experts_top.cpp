// MoE expert-layer top: gate and queues, then every active expert once over its whole queue
// (weights streamed once per layer), combined exactly into the 28-bit buffer M = x + sum p y.
#include "moe.h"
#include "tops.h"

using namespace edgemoe;

namespace {
constexpr int kMeXDepth = kNumTokens * kEmbedDim;
constexpr int kMeGDepth = kNumExperts * kEmbedDim;
constexpr int kMeW1Depth = kNumExperts * kExpertHidden * kEmbedDim;
constexpr int kMeH1Depth = kNumExperts * kExpertHidden;
constexpr int kMeH2Depth = kNumExperts * kEmbedDim;
constexpr int kMeSDepth = kNumTokens * kTopK;
constexpr int kMeQDepth = kNumExperts * kQueueDepth;
}  // namespace

int moe_experts_top(const int32_t* x, const int32_t* xn, const int16_t* wg, const uint8_t* wg_exp, const int16_t* w1,
                    const uint8_t* w1_exp, const int16_t* b1, const uint8_t* b1_exp, const int16_t* w2,
                    const uint8_t* w2_exp, const int16_t* b2, const uint8_t* b2_exp, int32_t* y, uint8_t* idx,
                    uint32_t* prob, int16_t* q_tok, uint32_t* q_score, uint8_t* q_count, int8_t* meta,
                    uint8_t* meta_len, int tokens) {
#pragma HLS INTERFACE mode=m_axi port=x offset=slave bundle=gmem_in depth=kMeXDepth max_widen_bitwidth=512
#pragma HLS INTERFACE mode=m_axi port=xn offset=slave bundle=gmem_in depth=kMeXDepth max_widen_bitwidth=512
#pragma HLS INTERFACE mode=m_axi port=wg offset=slave bundle=gmem_w depth=kMeGDepth max_widen_bitwidth=512
#pragma HLS INTERFACE mode=m_axi port=wg_exp offset=slave bundle=gmem_w depth=kNumExperts
#pragma HLS INTERFACE mode=m_axi port=w1 offset=slave bundle=gmem_w depth=kMeW1Depth max_widen_bitwidth=512
#pragma HLS INTERFACE mode=m_axi port=w1_exp offset=slave bundle=gmem_w depth=kMeH1Depth
#pragma HLS INTERFACE mode=m_axi port=b1 offset=slave bundle=gmem_w depth=kMeH1Depth
#pragma HLS INTERFACE mode=m_axi port=b1_exp offset=slave bundle=gmem_w depth=kNumExperts
#pragma HLS INTERFACE mode=m_axi port=w2 offset=slave bundle=gmem_w depth=kMeW1Depth max_widen_bitwidth=512
#pragma HLS INTERFACE mode=m_axi port=w2_exp offset=slave bundle=gmem_w depth=kMeH2Depth
#pragma HLS INTERFACE mode=m_axi port=b2 offset=slave bundle=gmem_w depth=kMeH2Depth
#pragma HLS INTERFACE mode=m_axi port=b2_exp offset=slave bundle=gmem_w depth=kNumExperts
#pragma HLS INTERFACE mode=m_axi port=y offset=slave bundle=gmem_out depth=kMeXDepth max_widen_bitwidth=512
#pragma HLS INTERFACE mode=m_axi port=idx offset=slave bundle=gmem_out depth=kMeSDepth
#pragma HLS INTERFACE mode=m_axi port=prob offset=slave bundle=gmem_out depth=kMeSDepth
#pragma HLS INTERFACE mode=m_axi port=q_tok offset=slave bundle=gmem_out depth=kMeQDepth
#pragma HLS INTERFACE mode=m_axi port=q_score offset=slave bundle=gmem_out depth=kMeQDepth
#pragma HLS INTERFACE mode=m_axi port=q_count offset=slave bundle=gmem_out depth=kNumExperts
#pragma HLS INTERFACE mode=m_axi port=meta offset=slave bundle=gmem_out depth=kNumExperts
#pragma HLS INTERFACE mode=m_axi port=meta_len offset=slave bundle=gmem_out depth=1
#pragma HLS INTERFACE mode=s_axilite port=tokens bundle=control
#pragma HLS INTERFACE mode=s_axilite port=return bundle=control
  if (tokens < 1 || tokens > kNumTokens) return kTopBadTokens;
  static act_t xb[kNumTokens][kEmbedDim], nb[kNumTokens][kEmbedDim];
#pragma HLS ARRAY_PARTITION variable=nb cyclic factor=kTileI dim=2
  static act_t lb[kNumTokens][kNumExperts];
  static expert_t ib[kNumTokens][kTopK];
  static p_t pb[kNumTokens][kTopK];
  static MoeQueues q;
me_load:
  for (int i = 0; i < tokens * kEmbedDim; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=kEmbedDim max=kMeXDepth
    xb[i / kEmbedDim][i % kEmbedDim] = act_t(x[i]);
    nb[i / kEmbedDim][i % kEmbedDim] = act_t(xn[i]);
  }
  moe_gate(nb, wg, wg_exp, tokens, lb, ib, pb, q);
  MoeExpertParams prm;
  prm.w1 = w1;
  prm.w1_exp = w1_exp;
  prm.b1 = b1;
  prm.b1_exp = b1_exp;
  prm.w2 = w2;
  prm.w2_exp = w2_exp;
  prm.b2 = b2;
  prm.b2_exp = b2_exp;
  moe_layer(xb, nb, tokens, q, prm);
me_store:
  for (int i = 0; i < tokens * kEmbedDim; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=kEmbedDim max=kMeXDepth
    y[i] = xb[i / kEmbedDim][i % kEmbedDim].to_int();
  }
  moe_write_route(ib, pb, tokens, q, idx, prob, q_tok, q_score, q_count, meta, meta_len);
  return kTopOk;
}
