// MoE gate top: gate logits on the linear unit, top-2 with ties to the lower index, full-softmax
// probabilities, and the per-expert token queues with the metaqueue (patch reordering).
#include "moe.h"
#include "tops.h"

using namespace edgemoe;

namespace {
constexpr int kGateXDepth = kNumTokens * kEmbedDim;
constexpr int kGateWDepth = kNumExperts * kEmbedDim;
constexpr int kGateLDepth = kNumTokens * kNumExperts;
constexpr int kGateSDepth = kNumTokens * kTopK;
constexpr int kGateQDepth = kNumExperts * kQueueDepth;
}  // namespace

int moe_gate_top(const int32_t* xn, const int16_t* wg, const uint8_t* wg_exp, int32_t* logits, uint8_t* idx,
                 uint32_t* prob, int16_t* q_tok, uint32_t* q_score, uint8_t* q_count, int8_t* meta,
                 uint8_t* meta_len, int tokens) {
#pragma HLS INTERFACE mode=m_axi port=xn offset=slave bundle=gmem_in depth=kGateXDepth max_widen_bitwidth=512
#pragma HLS INTERFACE mode=m_axi port=wg offset=slave bundle=gmem_w depth=kGateWDepth max_widen_bitwidth=512
#pragma HLS INTERFACE mode=m_axi port=wg_exp offset=slave bundle=gmem_w depth=kNumExperts
#pragma HLS INTERFACE mode=m_axi port=logits offset=slave bundle=gmem_out depth=kGateLDepth
#pragma HLS INTERFACE mode=m_axi port=idx offset=slave bundle=gmem_out depth=kGateSDepth
#pragma HLS INTERFACE mode=m_axi port=prob offset=slave bundle=gmem_out depth=kGateSDepth
#pragma HLS INTERFACE mode=m_axi port=q_tok offset=slave bundle=gmem_out depth=kGateQDepth
#pragma HLS INTERFACE mode=m_axi port=q_score offset=slave bundle=gmem_out depth=kGateQDepth
#pragma HLS INTERFACE mode=m_axi port=q_count offset=slave bundle=gmem_out depth=kNumExperts
#pragma HLS INTERFACE mode=m_axi port=meta offset=slave bundle=gmem_out depth=kNumExperts
#pragma HLS INTERFACE mode=m_axi port=meta_len offset=slave bundle=gmem_out depth=1
#pragma HLS INTERFACE mode=s_axilite port=tokens bundle=control
#pragma HLS INTERFACE mode=s_axilite port=return bundle=control
  if (tokens < 1 || tokens > kNumTokens) return kTopBadTokens;
  static act_t xb[kNumTokens][kEmbedDim];
#pragma HLS ARRAY_PARTITION variable=xb cyclic factor=kTileI dim=2
  static act_t lb[kNumTokens][kNumExperts];
  static expert_t ib[kNumTokens][kTopK];
  static p_t pb[kNumTokens][kTopK];
  static MoeQueues q;
gt_load:
  for (int i = 0; i < tokens * kEmbedDim; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=kEmbedDim max=kGateXDepth
    xb[i / kEmbedDim][i % kEmbedDim] = act_t(xn[i]);
  }
  moe_gate(xb, wg, wg_exp, tokens, lb, ib, pb, q);
gt_logits:
  for (int i = 0; i < tokens * kNumExperts; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=kNumExperts max=kGateLDepth
    logits[i] = lb[i / kNumExperts][i % kNumExperts].to_int();
  }
  moe_write_route(ib, pb, tokens, q, idx, prob, q_tok, q_score, q_count, meta, meta_len);
  return kTopOk;
}
