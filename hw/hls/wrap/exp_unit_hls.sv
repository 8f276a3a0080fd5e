// exp_unit's ports around the Vitis HLS export of exp_top (hw/hls/src/exp_top.cpp), for
// sim/tb/test_exp_unit.py with top level exp_unit_hls. Port conventions as gelu_unit_hls.sv;
// Lanes must equal the build's EDGEMOE_EXP_LANES.
module exp_unit_hls
  import edgemoe_pkg::*;
#(
  parameter int unsigned Lanes = 1
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  input  logic                     in_valid_i,
  output logic                     in_ready_o,
  input  logic [Lanes*ActBits-1:0] in_data_i,
  output logic                     out_valid_o,
  input  logic                     out_ready_i,
  output logic [Lanes*EBits-1:0]   out_data_o
);
  localparam int unsigned WI  = Lanes * ActBits;
  localparam int unsigned WO  = Lanes * EBits;
  localparam int unsigned WIB = (WI + 7) / 8 * 8;
  localparam int unsigned WOB = (WO + 7) / 8 * 8;

  logic [WIB-1:0] in_tdata;
  /* verilator lint_off UNUSEDSIGNAL */  // byte padding of TDATA (zero)
  logic [WOB-1:0] out_tdata;
  /* verilator lint_on UNUSEDSIGNAL */
  assign in_tdata   = WIB'(in_data_i);
  assign out_data_o = out_tdata[WO-1:0];

  exp_top u_hls (
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
