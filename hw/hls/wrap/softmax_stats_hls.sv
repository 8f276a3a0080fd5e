// softmax_stats' ports around the Vitis HLS export of softmax_stats_top
// (hw/hls/src/softmax_stats_top.cpp), for sim/tb/test_softmax_stats.py with top level
// softmax_stats_hls. The side-band in_last_i travels as the TDATA bit above the scores.
// Port conventions as gelu_unit_hls.sv; Lanes must equal the build's EDGEMOE_SMX_LANES.
module softmax_stats_hls
  import edgemoe_pkg::*;
#(
  parameter int unsigned Lanes = 1
) (
  input  logic                             clk_i,
  input  logic                             rst_ni,
  input  logic                             in_valid_i,
  output logic                             in_ready_o,
  input  logic [Lanes*ActBits-1:0]         in_data_i,
  input  logic                             in_last_i,
  output logic                             out_valid_o,
  input  logic                             out_ready_i,
  output logic [Lanes*(ActBits+RBits)-1:0] out_data_o
);
  localparam int unsigned WI  = Lanes * ActBits + 1;
  localparam int unsigned WO  = Lanes * (ActBits + RBits);
  localparam int unsigned WIB = (WI + 7) / 8 * 8;
  localparam int unsigned WOB = (WO + 7) / 8 * 8;

  logic [WIB-1:0] in_tdata;
  /* verilator lint_off UNUSEDSIGNAL */  // byte padding of TDATA (zero)
  logic [WOB-1:0] out_tdata;
  /* verilator lint_on UNUSEDSIGNAL */
  assign in_tdata   = WIB'({in_last_i, in_data_i});
  assign out_data_o = out_tdata[WO-1:0];

  softmax_stats_top u_hls (
    .ap_clk            (clk_i),
    .ap_rst_n          (rst_ni),
    .in_stream_TDATA   (in_tdata),
    .in_stream_TVALID  (in_valid_i),
    .in_stream_TREADY  (in_ready_o),
    .out_stream_TDATA  (out_tdata),
    .out_stream_TVALID (out_valid_o),
    .out_stream_TREADY (out_ready_i)
  );
endmodule
