// Linear-unit top: one pass of the unified linear unit between DDR buffers (AXI4 master),
// controlled over AXI-Lite. Inputs and outputs are staged in on-chip buffers sized for the
// largest pass of the model (129 tokens, K and N up to 768).
#include "linear.h"
#include "tops.h"

using namespace edgemoe;

namespace {
constexpr int kLinMaxK = kMlpHidden;
constexpr int kLinMaxN = kMlpHidden;
constexpr int kLinXDepth = kNumTokens * kLinMaxK;
constexpr int kLinYDepth = kNumTokens * kLinMaxN;
constexpr int kLinWDepth = kLinMaxN * kLinMaxK;
}  // namespace

int linear_top(const int32_t* x, const int16_t* w, const uint8_t* wexp, const int16_t* b, uint8_t bexp,
               const int32_t* y_in, const uint32_t* p, int32_t* y_out, int mode, int tokens, int k, int n) {
#pragma HLS INTERFACE mode=m_axi port=x offset=slave bundle=gmem_x depth=kLinXDepth max_widen_bitwidth=512
#pragma HLS INTERFACE mode=m_axi port=y_in offset=slave bundle=gmem_x depth=kLinYDepth max_widen_bitwidth=512
#pragma HLS INTERFACE mode=m_axi port=p offset=slave bundle=gmem_x depth=kNumTokens
#pragma HLS INTERFACE mode=m_axi port=y_out offset=slave bundle=gmem_y depth=kLinYDepth max_widen_bitwidth=512
#pragma HLS INTERFACE mode=m_axi port=w offset=slave bundle=gmem_w depth=kLinWDepth max_widen_bitwidth=512
#pragma HLS INTERFACE mode=m_axi port=wexp offset=slave bundle=gmem_w depth=kLinMaxN
#pragma HLS INTERFACE mode=m_axi port=b offset=slave bundle=gmem_w depth=kLinMaxN
#pragma HLS INTERFACE mode=s_axilite port=bexp bundle=control
#pragma HLS INTERFACE mode=s_axilite port=mode bundle=control
#pragma HLS INTERFACE mode=s_axilite port=tokens bundle=control
#pragma HLS INTERFACE mode=s_axilite port=k bundle=control
#pragma HLS INTERFACE mode=s_axilite port=n bundle=control
#pragma HLS INTERFACE mode=s_axilite port=return bundle=control
  if (tokens < 1 || tokens > kNumTokens) return kTopBadTokens;
  if (k < kTileI || k > kLinMaxK || k % kTileI != 0) return kTopBadK;
  if (mode < kLinPlain || mode > kLinScaled) return kTopBadMode;
  if (n < 1 || n > (mode == kLinScaled ? kEmbedDim : kLinMaxN)) return kTopBadN;

  static act_t xb[kNumTokens][kLinMaxK];
#pragma HLS ARRAY_PARTITION variable=xb cyclic factor=kTileI dim=2
  static act_t yb[kNumTokens][kLinMaxN];
  static macc_t mb[kNumTokens][kEmbedDim];
  static p_t pb[kQueueDepth];
  static const tok_t rows[kQueueDepth] = {};   // a plain pass: no expert queue

lt_load_x:
  for (int t = 0; t < tokens; ++t) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=kNumTokens
    for (int c = 0; c < k; ++c) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=16 max=kLinMaxK
      xb[t][c] = act_t(x[t * k + c]);
    }
  }
  if (mode == kLinScaled) {
  lt_load_m:
    for (int t = 0; t < tokens; ++t) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=kNumTokens
      pb[t] = p_t(p[t]);
      for (int c = 0; c < n; ++c) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=kEmbedDim
        mb[t][c] = macc_t(y_in[t * n + c]);
      }
    }
    linear_pass_scaled<kLinMaxK, kEmbedDim>(xb, w, wexp, b, bexp, rows, false, pb, tokens, k, n, mb);
  lt_store_m:
    for (int t = 0; t < tokens; ++t) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=kNumTokens
      for (int c = 0; c < n; ++c) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=kEmbedDim
        y_out[t * n + c] = mb[t][c].to_int();
      }
    }
    return kTopOk;
  }
  if (mode == kLinResid) {
  lt_load_r:
    for (int t = 0; t < tokens; ++t) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=kNumTokens
      for (int c = 0; c < n; ++c) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=kLinMaxN
        yb[t][c] = act_t(y_in[t * n + c]);
      }
    }
  }
  linear_pass<kLinMaxK, kLinMaxN, act_t>(xb, w, wexp, b, bexp, true, mode, tokens, k, n, yb);
lt_store_y:
  for (int t = 0; t < tokens; ++t) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=kNumTokens
    for (int c = 0; c < n; ++c) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=kLinMaxN
      y_out[t * n + c] = yb[t][c].to_int();
    }
  }
  return kTopOk;
}
