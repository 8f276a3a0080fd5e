// EXP top: a free-running AXI-Stream unit, the HLS twin of hw/rtl/exp_unit.sv
// (Lanes act codes d <= 0 in, Lanes e codes out, lane l at [l*W +: W]).
#include "exp_recip.h"
#include "tops.h"

using namespace edgemoe;

void exp_top(hls::stream<exp_in_word_t>& in_stream, hls::stream<exp_out_word_t>& out_stream) {
#pragma HLS INTERFACE mode=axis port=in_stream
#pragma HLS INTERFACE mode=axis port=out_stream
#pragma HLS INTERFACE mode=ap_ctrl_none port=return
#pragma HLS PIPELINE II=1 style=flp
  out_stream.write(exp_beat<kExpTopLanes>(in_stream.read()));
}
