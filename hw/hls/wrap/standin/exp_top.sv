// Stand-in for the Vitis HLS export of exp_top: the ports Vitis generates for
// hw/hls/src/exp_top.cpp (default lanes; AXI-Stream TDATA rounded up to whole bytes, active-low
// reset), implemented by the RTL exp_unit. It checks ../exp_unit_hls.sv and the cocotb testbench
// without Vitis (hw/hls/scripts/cocotb_on_hls.py --standin); for the real check, the Verilog
// that Vitis exports takes its place (--rtl DIR).
module exp_top
  import edgemoe_pkg::*;
#(
  localparam int unsigned WIB = (ActBits + 7) / 8 * 8,
  localparam int unsigned WOB = (EBits + 7) / 8 * 8
) (
  input  logic           ap_clk,
  input  logic           ap_rst_n,
  /* verilator lint_off UNUSEDSIGNAL */  // TDATA padding above the act code
  input  logic [WIB-1:0] in_stream_TDATA,
  /* verilator lint_on UNUSEDSIGNAL */
  input  logic           in_stream_TVALID,
  output logic           in_stream_TREADY,
  output logic [WOB-1:0] out_stream_TDATA,
  output logic           out_stream_TVALID,
  input  logic           out_stream_TREADY
);
  logic [EBits-1:0] e;
  assign out_stream_TDATA = WOB'(e);
  exp_unit #(.Lanes(1)) u_rtl (
    .clk_i(ap_clk), .rst_ni(ap_rst_n),
    .in_valid_i(in_stream_TVALID), .in_ready_o(in_stream_TREADY), .in_data_i(in_stream_TDATA[ActBits-1:0]),
    .out_valid_o(out_stream_TVALID), .out_ready_i(out_stream_TREADY), .out_data_o(e)
  );
endmodule
