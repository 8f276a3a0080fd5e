// gelu_unit's ports around the Vitis HLS export of gelu_top (hw/hls/src/gelu_top.cpp), so
// sim/tb/test_gelu_unit.py drives the HLS RTL with only its top level changed to gelu_unit_hls.
//
// Vitis exports ap_clk, ap_rst_n (config_rtl -reset_level low) and, per AXI-Stream argument,
// <arg>_TDATA/_TVALID/_TREADY with TDATA rounded up to whole bytes (the padding bits are zero
// on the output and ignored on the input). Lanes must equal the build's EDGEMOE_GELU_LANES.
module gelu_unit_hls
  import edgemoe_pkg::*;
#(
  parameter int unsigned Lanes = 1
) (
  input  logic                      clk_i,
  input  logic                      rst_ni,
  input  logic                      in_valid_i,
  output logic                      in_ready_o,
  input  logic [Lanes*ActBits-1:0]  in_data_i,
  output logic                      out_valid_o,
  input  logic                      out_ready_i,
  output logic [Lanes*ActBits-1:0]  out_data_o
);
  localparam int unsigned W  = Lanes * ActBits;
  localparam int unsigned WB = (W + 7) / 8 * 8;

  logic [WB-1:0] in_tdata;
  /* verilator lint_off UNUSEDSIGNAL */  // byte padding of TDATA (zero)
  logic [WB-1:0] out_tdata;
  /* verilator lint_on UNUSEDSIGNAL */
  assign in_tdata   = WB'(in_data_i);
  assign out_data_o = out_tdata[W-1:0];

  gelu_top u_hls (
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
