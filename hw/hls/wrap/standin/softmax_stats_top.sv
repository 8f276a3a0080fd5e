// Stand-in for the Vitis HLS export of softmax_stats_top: the ports Vitis generates for
// hw/hls/src/softmax_stats_top.cpp (default lanes; AXI-Stream TDATA rounded up to whole bytes, active-low
// reset), implemented by the RTL softmax_stats. It checks ../softmax_stats_hls.sv and the cocotb testbench
// without Vitis (hw/hls/scripts/cocotb_on_hls.py --standin); for the real check, the Verilog
// that Vitis exports takes its place (--rtl DIR).
module softmax_stats_top
  import edgemoe_pkg::*;
#(
  localparam int unsigned WIB = (ActBits + 1 + 7) / 8 * 8,
  localparam int unsigned WOB = (ActBits + RBits + 7) / 8 * 8
) (
  input  logic           ap_clk,
  input  logic           ap_rst_n,
  /* verilator lint_off UNUSEDSIGNAL */  // TDATA padding above {last, score}
  input  logic [WIB-1:0] in_stream_TDATA,
  /* verilator lint_on UNUSEDSIGNAL */
  input  logic           in_stream_TVALID,
  output logic           in_stream_TREADY,
  output logic [WOB-1:0] out_stream_TDATA,
  output logic           out_stream_TVALID,
  input  logic           out_stream_TREADY
);
  logic [ActBits+RBits-1:0] st;
  assign out_stream_TDATA = WOB'(st);
  softmax_stats #(.Lanes(1)) u_rtl (
    .clk_i(ap_clk), .rst_ni(ap_rst_n),
    .in_valid_i(in_stream_TVALID), .in_ready_o(in_stream_TREADY),
    .in_data_i(in_stream_TDATA[ActBits-1:0]), .in_last_i(in_stream_TDATA[ActBits]),
    .out_valid_o(out_stream_TVALID), .out_ready_i(out_stream_TREADY), .out_data_o(st)
  );
endmodule
