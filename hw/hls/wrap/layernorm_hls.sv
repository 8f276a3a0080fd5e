// layernorm's ports around the Vitis HLS export of layernorm_unit_top
// (hw/hls/src/layernorm_unit_top.cpp), for sim/tb/test_layernorm.py with top level
// layernorm_hls. Port conventions as gelu_unit_hls.sv; Lanes must equal the build's
// EDGEMOE_LN_LANES. StepsPerCycle is the RTL's digit-recurrence unrolling: the HLS build
// schedules its own, so the parameter is only carried for the testbench to read.
module layernorm_hls
  import edgemoe_pkg::*;
#(
  parameter int unsigned Lanes         = LnLanes,
  /* verilator lint_off UNUSEDPARAM */  // read by the testbench only
  parameter int unsigned StepsPerCycle = LnSteps,
  /* verilator lint_on UNUSEDPARAM */
  localparam int unsigned PrmW = 2 * Lanes * BBits + 2 * BExpBits
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  input  logic                     prm_valid_i,
  output logic                     prm_ready_o,
  input  logic [PrmW-1:0]          prm_data_i,
  input  logic                     in_valid_i,
  output logic                     in_ready_o,
  input  logic [Lanes*ActBits-1:0] in_data_i,
  output logic                     out_valid_o,
  input  logic                     out_ready_i,
  output logic [Lanes*ActBits-1:0] out_data_o
);
  localparam int unsigned W   = Lanes * ActBits;
  localparam int unsigned WB  = (W + 7) / 8 * 8;
  localparam int unsigned WPB = (PrmW + 7) / 8 * 8;

  logic [WPB-1:0] prm_tdata;
  logic [WB-1:0]  in_tdata;
  /* verilator lint_off UNUSEDSIGNAL */  // byte padding of TDATA (zero)
  logic [WB-1:0]  out_tdata;
  /* verilator lint_on UNUSEDSIGNAL */
  assign prm_tdata  = WPB'(prm_data_i);
  assign in_tdata   = WB'(in_data_i);
  assign out_data_o = out_tdata[W-1:0];

  layernorm_unit_top u_hls (
    .ap_clk            (clk_i),
    .ap_rst_n          (rst_ni),
    .prm_stream_TDATA  (prm_tdata),
    .prm_stream_TVALID (prm_valid_i),
    .prm_stream_TREADY (prm_ready_o),
    .in_stream_TDATA   (in_tdata),
    .in_stream_TVALID  (in_valid_i),
    .in_stream_TREADY  (in_ready_o),
    .out_stream_TDATA  (out_tdata),
    .out_stream_TVALID (out_valid_o),
    .out_stream_TREADY (out_ready_i)
  );
endmodule
