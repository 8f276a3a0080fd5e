// Softmax-statistics top: the HLS twin of hw/rtl/softmax_stats.sv. Lanes rows advance in lock
// step, one score per row per beat; the beat carrying the rows' last key has `last` set, and
// one beat of Lanes {r, m} pairs leaves after it. Free-running (ap_ctrl_none), one beat per call.
//
// Stream words (wrap/softmax_stats_hls.sv maps them to the RTL ports):
//   in_stream:  [Lanes*ActBits] = last, lane l score at [l*ActBits +: ActBits]
//   out_stream: lane l at [l*(ActBits+RBits) +: ActBits+RBits] = {r, m}, m in the low ActBits bits
#include "softmax.h"
#include "tops.h"

using namespace edgemoe;

void softmax_stats_top(hls::stream<smx_in_word_t>& in_stream, hls::stream<smx_out_word_t>& out_stream) {
#pragma HLS INTERFACE mode=axis port=in_stream
#pragma HLS INTERFACE mode=axis port=out_stream
#pragma HLS INTERFACE mode=ap_ctrl_none port=return
  // The running max/sum recurrence (compare, exp, multiply-add) sets the achievable II.
#pragma HLS PIPELINE style=flp
  static SoftmaxState st[kSmxTopLanes];
#pragma HLS ARRAY_PARTITION variable=st complete
  static bool row_start = true;   // the next beat carries the first key of new rows
#pragma HLS RESET variable=row_start
  const smx_in_word_t w = in_stream.read();
  const bool last = w[kSmxTopLanes * kActBits];
  smx_out_word_t out = 0;
smx_lanes:
  for (int l = 0; l < kSmxTopLanes; ++l) {
#pragma HLS UNROLL
    const act_t s = act_t(w((l + 1) * kActBits - 1, l * kActBits));
    if (row_start) softmax_first(st[l], s);
    else softmax_update(st[l], s);
    const int base = l * (kActBits + kRBits);
    out(base + kActBits - 1, base) = ap_uint<kActBits>(st[l].m);
    out(base + kActBits + kRBits - 1, base + kActBits) = recip_unit(st[l].s);
  }
  row_start = last;
  if (last) out_stream.write(out);
}
