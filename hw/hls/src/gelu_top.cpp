// GELU top: a free-running AXI-Stream unit, the HLS twin of hw/rtl/gelu_unit.sv.
// Vitis exports ap_clk, ap_rst_n, in_stream_T{DATA,VALID,READY}, out_stream_T{DATA,VALID,READY};
// wrap/gelu_unit_hls.sv maps them to gelu_unit's ports.
#include "gelu.h"
#include "tops.h"

using namespace edgemoe;

void gelu_top(hls::stream<gelu_word_t>& in_stream, hls::stream<gelu_word_t>& out_stream) {
#pragma HLS INTERFACE mode=axis port=in_stream
#pragma HLS INTERFACE mode=axis port=out_stream
#pragma HLS INTERFACE mode=ap_ctrl_none port=return
#pragma HLS PIPELINE II=1 style=flp
  out_stream.write(gelu_beat<kGeluTopLanes>(in_stream.read()));
}
