// EXP(d) for d <= 0 and the softmax reciprocal (docs/numerics.md, "Exp", "Reciprocal";
// golden/exp_recip.py). The exp table is the generated kExp2Table; the reciprocal is an
// exact division by digit recurrence.
#ifndef EDGEMOE_EXP_RECIP_H
#define EDGEMOE_EXP_RECIP_H

#include "edgemoe_types.h"

namespace edgemoe {

// Width of an exp argument: the difference of two act codes (s_j - m) needs one bit more.
constexpr int kExpArgBits = kActBits + 1;
typedef ap_int<kExpArgBits> exp_arg_t;

constexpr int kExpLoBits = kExpTFrac - kExpIndexBits;          // interpolation bits below the index
constexpr int kExpVFrac = kExpEntryFrac + kExpLoBits;           // frac of the interpolated value v
constexpr int kExpTShift = kExpLog2eFrac + kActFrac - kExpTFrac;

// e = EXP(d): t = d * log2(e) (frac 20), 2^frac(t) from the table, shifted right by -floor(t).
inline e_t exp_unit(const exp_arg_t& d) {
#pragma HLS INLINE
  const exp_arg_t dmin = kExpDMinCode;
  const exp_arg_t dc = d < dmin ? dmin : d;
  const ap_int<kExpArgBits + 22> prod = mul(dc, ap_uint<22>(kExpLog2e));
  const ap_int<kExpArgBits + 22> t = round_shift(prod, kExpTShift);   // <= 0, frac kExpTFrac
  const ap_int<16> n = ap_int<16>(t >> kExpTFrac);                     // floor, in [-47, 0]
  const ap_uint<kExpTFrac> f = ap_uint<kExpTFrac>(t(kExpTFrac - 1, 0)); // t - (n << TFrac)
  const ap_uint<kExpIndexBits> i = f >> kExpLoBits;
  const ap_uint<kExpLoBits> r = f(kExpLoBits - 1, 0);
  const ap_uint<kExpEntryBits> e0 = kExp2Table[i];
  const ap_uint<kExpEntryBits> e1 = kExp2Table[i + 1];
  // 2^x is increasing: e1 >= e0, so the interpolation is unsigned; v < 2^(EntryBits + LoBits).
  const ap_uint<kExpEntryBits> de = e1 - e0;
  const ap_uint<kExpEntryBits + kExpLoBits + 1> v =
      (ap_uint<kExpEntryBits + kExpLoBits + 1>(e0) << kExpLoBits) + mul(de, r);
  int sh = kExpVFrac - kEFrac - n;
  if (sh > kExpMaxShift) sh = kExpMaxShift;    // v < 2^37: shifts of 37 and more give 0 anyway
  return e_t(round_shift_u(ap_uint<kExpMaxShift + 2>(v), sh));
}

// r = floor(2^(SumFrac + RFrac) / S + 1/2) = (2^(SumFrac + RFrac + 1) + S) div (2S), S >= 2^SumFrac,
// so the quotient is at most 2^RFrac: RBits quotient bits.
constexpr int kRecipNumBits = kSumFrac + kRFrac + 2;
inline r_t recip_unit(const sum_t& s) {
#pragma HLS INLINE
  const ap_uint<kRecipNumBits> num = (ap_uint<kRecipNumBits>(1) << (kSumFrac + kRFrac + 1)) + s;
  const ap_uint<kSumBits + 1> den = ap_uint<kSumBits + 1>(s) << 1;
  return r_t(udiv<kRBits>(num, den));
}

// Lane-packed beats, as exp_unit.sv (lane l of d in [l*ActBits +: ActBits], of e in [l*EBits +: EBits]).
template <int Lanes>
inline ap_uint<Lanes * kEBits> exp_beat(const ap_uint<Lanes * kActBits>& in) {
#pragma HLS INLINE
  ap_uint<Lanes * kEBits> out;
exp_lanes:
  for (int l = 0; l < Lanes; ++l) {
#pragma HLS UNROLL
    const act_t d = act_t(in((l + 1) * kActBits - 1, l * kActBits));
    out((l + 1) * kEBits - 1, l * kEBits) = exp_unit(d);
  }
  return out;
}

}  // namespace edgemoe

#endif  // EDGEMOE_EXP_RECIP_H
