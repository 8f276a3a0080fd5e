// LayerNorm unit top: the HLS twin of hw/rtl/layernorm.sv's stream protocol (free-running,
// ap_ctrl_none). Three streams: a parameter load (gamma, beta and their exponent fields),
// tokens in, normalised tokens out; Lanes channels per beat, EmbedDim / Lanes beats per token.
//
//   prm_stream: {beta_exp, gamma_exp, beta lanes, gamma lanes}: gamma of channel b*Lanes + l at
//               [l*BBits +: BBits], beta at [Lanes*BBits + l*BBits +: BBits], gamma_exp at
//               [2*Lanes*BBits +: BExpBits], beta_exp above it; the last beat's fields are kept.
//   in_stream / out_stream: lane l of beat b = channel b*Lanes + l at [l*ActBits +: ActBits].
//
// As in the RTL, a parameter load is taken at a token boundary whenever one is offered, and no
// token is taken before the first load. Each call handles one load or one token.
// (layernorm_top is the memory-mapped, co-simulation-friendly variant of the same kernel.)
#include "layernorm.h"
#include "tops.h"

using namespace edgemoe;

void layernorm_unit_top(hls::stream<ln_prm_word_t>& prm_stream, hls::stream<ln_word_t>& in_stream,
                        hls::stream<ln_word_t>& out_stream) {
#pragma HLS INTERFACE mode=axis port=prm_stream
#pragma HLS INTERFACE mode=axis port=in_stream
#pragma HLS INTERFACE mode=axis port=out_stream
#pragma HLS INTERFACE mode=ap_ctrl_none port=return
  static b_t gamma[kLnN], beta[kLnN];
#pragma HLS ARRAY_PARTITION variable=gamma cyclic factor=kLnTopLanes
#pragma HLS ARRAY_PARTITION variable=beta cyclic factor=kLnTopLanes
  static ap_uint<kBExpBits> gexp = 0, bexp = 0;
  static bool loaded = false;
#pragma HLS RESET variable=loaded
  const int L = kLnTopLanes;
  const int beats = kLnN / kLnTopLanes;
  // Non-blocking look at the parameter stream: a load offered at a token boundary goes first.
  if (!loaded || !prm_stream.empty()) {
  lnu_prm:
    for (int b = 0; b < beats; ++b) {
#pragma HLS PIPELINE II=1
      const ln_prm_word_t w = prm_stream.read();
      for (int l = 0; l < L; ++l) {
#pragma HLS UNROLL
        gamma[b * L + l] = b_t(w((l + 1) * kBBits - 1, l * kBBits));
        beta[b * L + l] = b_t(w((L + l + 1) * kBBits - 1, (L + l) * kBBits));
      }
      gexp = w(2 * L * kBBits + kBExpBits - 1, 2 * L * kBBits);
      bexp = w(2 * L * kBBits + 2 * kBExpBits - 1, 2 * L * kBBits + kBExpBits);
    }
    loaded = true;
    return;
  }
  act_t x[kLnN];
#pragma HLS ARRAY_PARTITION variable=x cyclic factor=kLnTopLanes
  ln_s1_t s1 = 0;
  ln_s2_t s2 = 0;
lnu_in:
  for (int b = 0; b < beats; ++b) {
#pragma HLS PIPELINE II=1
    const ln_word_t w = in_stream.read();
    for (int l = 0; l < L; ++l) {
#pragma HLS UNROLL
      const act_t v = act_t(w((l + 1) * kActBits - 1, l * kActBits));
      x[b * L + l] = v;
      s1 += v;
      s2 += ln_s2_t(mul(v, v));
    }
  }
  const LnStats st = ln_stats(s1, s2);
  const int fg = kBFracMin + gexp, fb = kBFracMin + bexp;
lnu_out:
  for (int b = 0; b < beats; ++b) {
#pragma HLS PIPELINE II=1
    ln_word_t w = 0;
    for (int l = 0; l < L; ++l) {
#pragma HLS UNROLL
      const int c = b * L + l;
      w((l + 1) * kActBits - 1, l * kActBits) = ap_uint<kActBits>(ln_apply(x[c], st, gamma[c], beta[c], fg, fb));
    }
    out_stream.write(w);
  }
}
