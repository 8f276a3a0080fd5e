// Port and parameter list of the Xilinx DSP48E2 primitive (UG579), for the Yosys estimate
// only: `edgemoe synth` reads hw/synth/lib/ beside hw/rtl/ so that `hierarchy -check`
// accepts an instantiated DSP48E2; synth_xilinx then replaces this black box with its own
// cell library entry (cells_xtra.v). It lives outside hw/rtl/ on purpose: the Vivado flow
// (hw/board/build_bitstream.tcl) reads hw/rtl/*.sv, and a user module of this name would
// shadow the unisim primitive. Neither Vivado nor simulation ever sees the instance: the one
// user (softmax_stats, the S update) instantiates it under `ifdef YOSYS` (Yosys cannot pack
// the adder behind a multiply into the DSP's post-adder; Vivado infers that itself from the
// expression that simulation checks). Only the ports and parameters the user sets are listed.
(* blackbox *)
module DSP48E2 #(
  parameter integer AREG          = 1,
  parameter integer BREG          = 1,
  parameter integer CREG          = 1,
  parameter integer DREG          = 1,
  parameter integer ADREG         = 1,
  parameter integer MREG          = 1,
  parameter integer PREG          = 1,
  parameter integer ACASCREG      = 1,
  parameter integer BCASCREG      = 1,
  parameter integer OPMODEREG     = 1,
  parameter integer ALUMODEREG    = 1,
  parameter integer INMODEREG     = 1,
  parameter integer CARRYINREG    = 1,
  parameter integer CARRYINSELREG = 1,
  parameter         AMULTSEL      = "A",
  parameter         BMULTSEL      = "B",
  parameter         USE_MULT      = "MULTIPLY"
) (
  input  [29:0] A,
  input  [17:0] B,
  input  [47:0] C,
  input  [26:0] D,
  input  [8:0]  OPMODE,
  input  [3:0]  ALUMODE,
  input  [4:0]  INMODE,
  input  [2:0]  CARRYINSEL,
  input         CARRYIN,
  input         CLK,
  input         CEA1,
  input         CEA2,
  input         CEB1,
  input         CEB2,
  input         CEC,
  input         CED,
  input         CEAD,
  input         CEM,
  input         CEP,
  input         CECTRL,
  input         CEINMODE,
  input         CEALUMODE,
  input         CECARRYIN,
  input         RSTA,
  input         RSTB,
  input         RSTC,
  input         RSTD,
  input         RSTM,
  input         RSTP,
  input         RSTCTRL,
  input         RSTINMODE,
  input         RSTALUMODE,
  input         RSTALLCARRYIN,
  output [47:0] P
);
endmodule
