// Fixed-point types and the two narrowing operations of docs/numerics.md, for the HLS kernels.
//
// Every format is carried as its integer code in an ap_int/ap_uint of the format's width
// (act = ap_int<26> holds v * 2^16). Codes rather than ap_fixed keep each shift and rounding
// explicit in the kernels, so C simulation, the RTL and the golden model agree bit for bit;
// the ap_fixed spelling of each format is given next to its typedef.
//
// All widths come from the generated hw/hls/gen/edgemoe_params.h (golden/params.toml).
// No floating point and no vendor math library anywhere: GELU and EXP use the generated
// tables, the LayerNorm square root and the divisions are digit recurrences below.
#ifndef EDGEMOE_TYPES_H
#define EDGEMOE_TYPES_H

#include <ap_int.h>
#include <cstdint>

#include "edgemoe_params.h"

namespace edgemoe {

typedef ap_int<kActBits> act_t;        // ap_fixed<26, 10>: residual stream, K, V, scores, GELU in/out
typedef ap_int<kQBits> q_t;            // ap_fixed<18, 3>: queries, pre-scaled by 1/8
typedef ap_uint<kPixBits> pix_t;       // ap_ufixed<8, 0>: pixels
typedef ap_int<kWBits> w_t;            // int16 weight mantissa (exponent per output row)
typedef ap_int<kBBits> b_t;            // int16 bias / LayerNorm / embed_add mantissa (exponent per vector)
typedef ap_uint<kWExpBits> wexp_t;     // stored weight exponent field: frac - kWFracMin
typedef ap_uint<kBExpBits> bexp_t;     // stored bias exponent field: frac - kBFracMin
typedef ap_uint<kEBits> e_t;           // ap_ufixed<18, 1>: exp unit output
typedef ap_uint<kSumBits> sum_t;       // ap_ufixed<25, 8>: softmax running sum
typedef ap_uint<kRBits> r_t;           // ap_ufixed<25, 1>: reciprocal of the sum
typedef ap_uint<kPBits> p_t;           // ap_ufixed<17, 1>: normalised probability
typedef ap_int<kMoeAccBits> macc_t;    // ap_fixed<28, 12>: expert-combine buffer
typedef ap_uint<8> tok_t;              // token index 0..128 (expert queues)
typedef ap_uint<8> cnt_t;              // queue count 0..129

// Accumulator of the linear unit: 26 x 16-bit products, K <= 768, plus the aligned bias
// stay below 2^50 in magnitude (docs/numerics.md), so 52 signed bits never wrap.
typedef ap_int<52> lacc_t;

// Exact product of two integer codes, W1 + W2 bits (signed if either operand is). Synthesis
// sees the plain a * b. In C simulation the hls4ml ap_types form every product of two
// single-word operands at twice its own width, on the heap once that exceeds 64 bits (all of
// the 26 x 16-bit MACs do); the same exact product taken in 64-bit integers gives the same
// bits several times faster, which keeps the encoder-block C simulation to seconds.
template <int W1, int W2>
inline ap_int<W1 + W2> mul(const ap_int<W1>& a, const ap_int<W2>& b) {
#pragma HLS INLINE
  static_assert(W1 + W2 <= 64, "mul(): the product must fit 64 bits");
#ifdef __SYNTHESIS__
  return a * b;
#else
  return ap_int<W1 + W2>(a.to_int64() * b.to_int64());
#endif
}

template <int W1, int W2>
inline ap_int<W1 + W2> mul(const ap_int<W1>& a, const ap_uint<W2>& b) {
#pragma HLS INLINE
  static_assert(W1 + W2 <= 63, "mul(): the product must fit 64 bits");
#ifdef __SYNTHESIS__
  return a * b;
#else
  return ap_int<W1 + W2>(a.to_int64() * static_cast<int64_t>(b.to_uint64()));
#endif
}

template <int W1, int W2>
inline ap_int<W1 + W2> mul(const ap_uint<W1>& a, const ap_int<W2>& b) {
#pragma HLS INLINE
  return mul(b, a);
}

template <int W1, int W2>
inline ap_uint<W1 + W2> mul(const ap_uint<W1>& a, const ap_uint<W2>& b) {
#pragma HLS INLINE
  static_assert(W1 + W2 <= 64, "mul(): the product must fit 64 bits");
#ifdef __SYNTHESIS__
  return a * b;
#else
  return ap_uint<W1 + W2>(a.to_uint64() * b.to_uint64());
#endif
}

// round_shift(v, s) = (v + 2^(s-1)) >> s for s > 0 (round half up, arithmetic shift); v for s = 0.
// The sum is formed one bit wider so the rounding constant never overflows; the shifted
// result needs at most W - s + 1 <= W bits for s >= 1.
template <int W>
inline ap_int<W> round_shift(const ap_int<W>& v, int s) {
#pragma HLS INLINE
  ap_int<W + 1> t = v;
  if (s > 0) t += ap_int<W + 1>(1) << (s - 1);
  return ap_int<W>(t >> s);
}

template <int W>
inline ap_uint<W> round_shift_u(const ap_uint<W>& v, int s) {
#pragma HLS INLINE
  ap_uint<W + 1> t = v;
  if (s > 0) t += ap_uint<W + 1>(1) << (s - 1);
  return ap_uint<W>(t >> s);
}

// sat_F(v): clamp to the signed OW-bit range; nothing wraps.
template <int OW, int W>
inline ap_int<OW> sat_s(const ap_int<W>& v) {
#pragma HLS INLINE
  typedef ap_int<(W > OW ? W : OW) + 1> wide_t;
  const wide_t hi = (wide_t(1) << (OW - 1)) - 1;
  const wide_t lo = -(wide_t(1) << (OW - 1));
  const wide_t x = v;
  return x > hi ? ap_int<OW>(hi) : (x < lo ? ap_int<OW>(lo) : ap_int<OW>(x));
}

// Clamp a non-negative value to the unsigned OW-bit range (the softmax sum).
template <int OW, int W>
inline ap_uint<OW> sat_u(const ap_uint<W>& v) {
#pragma HLS INLINE
  typedef ap_uint<(W > OW ? W : OW) + 1> wide_t;
  const wide_t hi = (wide_t(1) << OW) - 1;
  const wide_t x = v;
  return x > hi ? ap_uint<OW>(hi) : ap_uint<OW>(x);
}

// Quotient of an exact unsigned division by restoring digit recurrence, one quotient bit
// per step (the RTL's recip_core does one step per cycle). Precondition: num < den * 2^QW,
// i.e. the quotient fits QW bits; then the numerator's bits above QW are already smaller
// than den and seed the partial remainder, so only QW steps are needed.
template <int QW, int NW, int DW>
inline ap_uint<QW> udiv(const ap_uint<NW>& num, const ap_uint<DW>& den) {
#pragma HLS INLINE
  ap_uint<DW + 1> rem = num >> QW;
  ap_uint<QW> q = 0;
div_steps:
  for (int i = QW - 1; i >= 0; --i) {
#pragma HLS UNROLL
    rem = (rem << 1) | ap_uint<DW + 1>(num[i]);
    if (rem >= den) {
      rem -= den;
      q[i] = 1;
    }
  }
  return q;
}

// floor(sqrt(n)) of an NW-bit number (NW even) by the restoring digit recurrence: two
// radicand bits per step, one root bit per step. The partial remainder never exceeds
// twice the partial root, so NW/2 + 3 bits hold it.
template <int NW>
inline ap_uint<NW / 2> isqrt(const ap_uint<NW>& n) {
#pragma HLS INLINE
  ap_uint<NW / 2 + 3> rem = 0;
  ap_uint<NW / 2 + 3> root = 0;
sqrt_steps:
  for (int i = NW / 2 - 1; i >= 0; --i) {
#pragma HLS UNROLL
    rem = (rem << 2) | ap_uint<NW / 2 + 3>(n(2 * i + 1, 2 * i));
    const ap_uint<NW / 2 + 3> trial = (root << 2) | 1;
    if (rem >= trial) {
      rem -= trial;
      root = (root << 1) | 1;
    } else {
      root = root << 1;
    }
  }
  return ap_uint<NW / 2>(root);
}

}  // namespace edgemoe

#endif  // EDGEMOE_TYPES_H
