// Port and parameter list of the Xilinx DSP48E2 primitive (UG579), for synthesis only:
// `edgemoe synth` reads it so that `hierarchy -check` accepts an instantiated DSP48E2;
// synth_xilinx then replaces this black box with its own cell library entry
// (cells_xtra.v), and Vivado with the unisim. Simulation never sees it: the one user
// (softmax_stats, the S update) instantiates the primitive under `ifdef SYNTHESIS` and
// simulates the same arithmetic as an expression. Only the ports and parameters the
// user sets are listed.
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
