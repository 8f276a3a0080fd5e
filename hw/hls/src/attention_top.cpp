// Attention top: q, k, v staged from DDR into on-chip buffers, then every head with the
// reordered P-row schedule (kernels/attention.h); AXI-Lite control.
#include "attention.h"
#include "tops.h"

using namespace edgemoe;

namespace {
constexpr int kAttnDepth = kNumTokens * kEmbedDim;
constexpr int kAttnStatDepth = kNumHeads * kNumTokens;
}  // namespace

int attention_top(const int32_t* q, const int32_t* k, const int32_t* v, int32_t* out, int32_t* m_out,
                  uint32_t* r_out, int tokens) {
#pragma HLS INTERFACE mode=m_axi port=q offset=slave bundle=gmem_in depth=kAttnDepth max_widen_bitwidth=512
#pragma HLS INTERFACE mode=m_axi port=k offset=slave bundle=gmem_in depth=kAttnDepth max_widen_bitwidth=512
#pragma HLS INTERFACE mode=m_axi port=v offset=slave bundle=gmem_in depth=kAttnDepth max_widen_bitwidth=512
#pragma HLS INTERFACE mode=m_axi port=out offset=slave bundle=gmem_out depth=kAttnDepth max_widen_bitwidth=512
#pragma HLS INTERFACE mode=m_axi port=m_out offset=slave bundle=gmem_out depth=kAttnStatDepth
#pragma HLS INTERFACE mode=m_axi port=r_out offset=slave bundle=gmem_out depth=kAttnStatDepth
#pragma HLS INTERFACE mode=s_axilite port=tokens bundle=control
#pragma HLS INTERFACE mode=s_axilite port=return bundle=control
  if (tokens < 1 || tokens > kNumTokens) return kTopBadTokens;
  static q_t qb[kNumTokens][kEmbedDim];
  static act_t kb[kNumTokens][kEmbedDim], vb[kNumTokens][kEmbedDim], ob[kNumTokens][kEmbedDim];
#pragma HLS ARRAY_PARTITION variable=qb cyclic factor=kDh dim=2
#pragma HLS ARRAY_PARTITION variable=kb cyclic factor=kDh dim=2
#pragma HLS ARRAY_PARTITION variable=vb cyclic factor=kDh dim=2
  static act_t mb[kNumHeads][kNumTokens];
  static r_t rb[kNumHeads][kNumTokens];
at_load:
  for (int i = 0; i < tokens * kEmbedDim; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=kEmbedDim max=kAttnDepth
    const int t = i / kEmbedDim, c = i % kEmbedDim;
    qb[t][c] = q_t(q[i]);
    kb[t][c] = act_t(k[i]);
    vb[t][c] = act_t(v[i]);
  }
  attention(qb, kb, vb, tokens, ob, mb, rb);
at_store:
  for (int i = 0; i < tokens * kEmbedDim; ++i) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=kEmbedDim max=kAttnDepth
    out[i] = ob[i / kEmbedDim][i % kEmbedDim].to_int();
  }
at_stats:
  for (int h = 0; h < kNumHeads; ++h) {
    for (int t = 0; t < tokens; ++t) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=kNumTokens
      m_out[h * tokens + t] = mb[h][t].to_int();
      r_out[h * tokens + t] = rb[h][t].to_uint();
    }
  }
  return kTopOk;
}
