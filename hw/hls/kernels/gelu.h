// GELU(x) = ReLU(x) - d(|x|), d from the generated 177-entry table with linear interpolation
// over three power-of-two segments (docs/numerics.md, "GELU"; golden/gelu.py).
#ifndef EDGEMOE_GELU_H
#define EDGEMOE_GELU_H

#include "edgemoe_types.h"

namespace edgemoe {

static_assert(kGeluNumSegs == 3, "gelu(): the segment decode below is written for three segments");

// D = (T[i] << InterpBits) + (T[i+1] - T[i]) * r has EntryFrac + InterpBits fractional bits;
// the output rounds it back to act's 16.
constexpr int kGeluDFrac = kGeluEntryFrac + kGeluInterpBits;
constexpr int kGeluOutShift = kGeluDFrac - kActFrac;

inline act_t gelu(const act_t& u) {
#pragma HLS INLINE
  const ap_uint<kActBits> a = (u < 0) ? ap_uint<kActBits>(-u) : ap_uint<kActBits>(u);
  const bool inside = a < kGeluEndCode;
  // Segment decode: start code, log2(1/step) and first table index of the segment holding a.
  int start, log2_step, idx0;
  if (a < kGeluSeg1StartCode) {
    start = kGeluSeg0StartCode; log2_step = kGeluSeg0Log2Step; idx0 = kGeluSeg0Idx0;
  } else if (a < kGeluSeg2StartCode) {
    start = kGeluSeg1StartCode; log2_step = kGeluSeg1Log2Step; idx0 = kGeluSeg1Idx0;
  } else {
    start = kGeluSeg2StartCode; log2_step = kGeluSeg2Log2Step; idx0 = kGeluSeg2Idx0;
  }
  const int fb = kActFrac - log2_step;                       // offset bits below the index
  const ap_uint<kActBits> off = a - start;
  ap_uint<8> i = idx0 + (off >> fb);
  if (!inside) i = 0;                                         // keep the ROM address in range
  const ap_uint<kGeluInterpBits> r = (off & ((ap_uint<kActBits>(1) << fb) - 1)) << (kGeluInterpBits - fb);
  const ap_uint<kGeluEntryBits> t0 = kGeluTable[i];
  const ap_uint<kGeluEntryBits> t1 = kGeluTable[inside ? int(i + 1) : 0];
  const ap_int<kGeluEntryBits + 1> dt = ap_int<kGeluEntryBits + 1>(t1) - ap_int<kGeluEntryBits + 1>(t0);
  ap_int<kGeluDFrac + 2> d = (ap_int<kGeluDFrac + 2>(t0) << kGeluInterpBits) + mul(dt, r);
  if (!inside) d = 0;
  const ap_int<kActBits> relu = (u < 0) ? act_t(0) : u;
  const ap_int<kActBits + kGeluOutShift + 2> wide = (ap_int<kActBits + kGeluOutShift + 2>(relu) << kGeluOutShift) - d;
  return sat_s<kActBits>(round_shift(wide, kGeluOutShift));
}

// One beat of Lanes GELUs: lane l of the word in bits [l*ActBits +: ActBits], as gelu_unit.sv.
template <int Lanes>
inline ap_uint<Lanes * kActBits> gelu_beat(const ap_uint<Lanes * kActBits>& in) {
#pragma HLS INLINE
  ap_uint<Lanes * kActBits> out;
gelu_lanes:
  for (int l = 0; l < Lanes; ++l) {
#pragma HLS UNROLL
    const act_t x = act_t(in((l + 1) * kActBits - 1, l * kActBits));
    out((l + 1) * kActBits - 1, l * kActBits) = ap_uint<kActBits>(gelu(x));
  }
  return out;
}

}  // namespace edgemoe

#endif  // EDGEMOE_GELU_H
