// Reciprocal top: the HLS twin of hw/rtl/recip_unit.sv. The 25-step digit recurrence is
// unrolled and pipelined, so unlike the RTL unit (one division in flight, 25 cycles each)
// this one accepts a sum every cycle; the stream protocol is the same.
#include "exp_recip.h"
#include "tops.h"

using namespace edgemoe;

void recip_top(hls::stream<sum_t>& in_stream, hls::stream<r_t>& out_stream) {
#pragma HLS INTERFACE mode=axis port=in_stream
#pragma HLS INTERFACE mode=axis port=out_stream
#pragma HLS INTERFACE mode=ap_ctrl_none port=return
#pragma HLS PIPELINE II=1 style=flp
  out_stream.write(recip_unit(in_stream.read()));
}
