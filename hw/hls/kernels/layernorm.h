// LayerNorm over the 192 channels of a token with exact integer statistics
// (docs/numerics.md, "LayerNorm"; golden/layernorm.py).
//
// (x - mean) / std = (n x - S1) / sqrt(n^2 var): the mean is never divided out. Per token:
// S1, S2 exact; W = n S2 - S1^2 + E (<= 67 bits); W normalised into [2^60, 2^62) by an even
// shift 2g; Q = isqrt(W'); R = round(2^54 / Q). Both are digit recurrences run once per token.
#ifndef EDGEMOE_LAYERNORM_H
#define EDGEMOE_LAYERNORM_H

#include "edgemoe_types.h"

namespace edgemoe {

constexpr int kLnN = kEmbedDim;
typedef ap_int<36> ln_s1_t;      // |S1| <= 192 * 2^25 < 2^33
typedef ap_uint<60> ln_s2_t;     // S2 <= 192 * 2^50 < 2^58
typedef ap_uint<68> ln_w_t;      // W <= n S2 + E < 2^66
typedef ap_uint<kLnK - 29> ln_r_t;  // R in (2^23, 2^24]: 25 bits for k = 54

// Per-token statistics: R and g with 1/sqrt(W) ~= R * 2^(g - k).
struct LnStats {
  ln_s1_t s1;
  ln_r_t r;
  ap_int<8> g;
};

inline LnStats ln_stats(const ln_s1_t& s1, const ln_s2_t& s2) {
#pragma HLS INLINE
  const ap_int<72> w_signed = ap_int<72>(s2) * kLnN - ap_int<72>(s1) * s1 + ap_int<72>(kLnEpsTerm);
  const ln_w_t w = ln_w_t(w_signed);               // > 0: n S2 >= S1^2 (Cauchy-Schwarz) and E > 0
  int bitlen = 0;
ln_bitlen:
  for (int b = 0; b < 68; ++b) {
#pragma HLS UNROLL
    if (w[b]) bitlen = b + 1;
  }
  const int diff = 62 - bitlen;                    // g = floor(diff / 2), also for diff < 0
  const int g = diff >= 0 ? diff / 2 : -((1 - diff) / 2);
  const ap_uint<62> wn = g >= 0 ? ap_uint<62>(w << (2 * g)) : ap_uint<62>(w >> (-2 * g));
  const ap_uint<31> q = isqrt(wn);                 // in [2^30, 2^31)
  const ap_uint<kLnK + 2> num = (ap_uint<kLnK + 2>(1) << (kLnK + 1)) + q;
  const ap_uint<32> den = ap_uint<32>(q) << 1;
  LnStats st;
  st.s1 = s1;
  st.r = udiv<kLnK - 29>(num, den);
  st.g = g;
  return st;
}

// y = sat_act(round_shift(z * gamma + (beta << (zf + fg - fb)), zf + fg - 16)),
// z = round_shift((n x - S1) * R, k - zf - g). fg, fb are the actual fracs of gamma and beta.
inline act_t ln_apply(const act_t& x, const LnStats& st, const b_t& gamma, const b_t& beta, int fg, int fb) {
#pragma HLS INLINE
  const ap_int<37> d = mul(x, ap_uint<8>(kLnN)) - st.s1;                  // |D| < 2^34
  const ap_int<64> dr = mul(d, st.r);                                     // |D R| < 2^58
  const ap_int<26> z = ap_int<26>(round_shift(dr, kLnK - kLnZFrac - int(st.g)));   // |z| < 14 * 2^20
  const ap_int<54> acc = ap_int<54>(mul(z, gamma)) + (ap_int<54>(beta) << (kLnZFrac + fg - fb));
  return sat_s<kActBits>(round_shift(acc, kLnZFrac + fg - kActFrac));
}

// One token of kLnN channels from an on-chip row (used by the encoder block).
inline void layernorm_row(const act_t x[kLnN], act_t y[kLnN], const b_t gamma[kLnN], const b_t beta[kLnN],
                          int fg, int fb) {
#pragma HLS INLINE off
  ln_s1_t s1 = 0;
  ln_s2_t s2 = 0;
ln_sums:
  for (int c = 0; c < kLnN; ++c) {
#pragma HLS PIPELINE II=1
    s1 += x[c];
    s2 += ln_s2_t(mul(x[c], x[c]));
  }
  const LnStats st = ln_stats(s1, s2);
ln_norm:
  for (int c = 0; c < kLnN; ++c) {
#pragma HLS PIPELINE II=1
    y[c] = ln_apply(x[c], st, gamma[c], beta[c], fg, fb);
  }
}

}  // namespace edgemoe

#endif  // EDGEMOE_LAYERNORM_H
