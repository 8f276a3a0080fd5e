// Single-pass softmax (technique 2; docs/numerics.md, "Single-pass softmax"; golden/softmax.py).
//
// The running max m and sum S of a row are updated once per score, in key order (the order is
// part of the contract): the first score sets m and S = 1; a larger score rescales the old sum
// by EXP(old m - new m). After the row, r = RECIP(S). The normalised weight
// p = EXP(s - m) * r is formed where it is consumed (A.V, the MoE gate, the softmax kernel's
// output stream), never stored back.
#ifndef EDGEMOE_SOFTMAX_H
#define EDGEMOE_SOFTMAX_H

#include "exp_recip.h"

namespace edgemoe {

constexpr int kSoftmaxPShift = kEFrac + kRFrac - kPFrac;

struct SoftmaxState {
  act_t m;   // running max (act code)
  sum_t s;   // running sum (frac 17)
};

inline void softmax_first(SoftmaxState& st, const act_t& s0) {
#pragma HLS INLINE
  st.m = s0;
  st.s = sum_t(1) << kSumFrac;
}

// One key: one exp of -|s - m|, either added to the sum or used to rescale it.
inline void softmax_update(SoftmaxState& st, const act_t& sj) {
#pragma HLS INLINE
  const exp_arg_t diff = exp_arg_t(sj) - exp_arg_t(st.m);
  const exp_arg_t neg_abs = diff < 0 ? exp_arg_t(diff) : exp_arg_t(-diff);
  const e_t e = exp_unit(neg_abs);
  ap_uint<kSumBits + 2> next;
  if (sj > st.m) {
    const ap_uint<kSumBits + kEBits> prod = mul(st.s, e);
    next = ap_uint<kSumBits + 2>(round_shift_u(prod, kEFrac)) + (ap_uint<kSumBits + 2>(1) << kSumFrac);
    st.m = sj;
  } else {
    next = ap_uint<kSumBits + 2>(st.s) + e;
  }
  st.s = sat_u<kSumBits>(next);
}

// p = round_shift(EXP(s - m) * r, e.frac + r.frac - p.frac): at most 2^16, fits p.
inline p_t softmax_weight(const act_t& s, const act_t& m, const r_t& r) {
#pragma HLS INLINE
  const e_t e = exp_unit(exp_arg_t(s) - exp_arg_t(m));
  const ap_uint<kEBits + kRBits> prod = mul(e, r);
  return p_t(round_shift_u(prod, kSoftmaxPShift));
}

}  // namespace edgemoe

#endif  // EDGEMOE_SOFTMAX_H
