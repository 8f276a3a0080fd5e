// LayerNorm normaliser (combinational, two independent halves so the parent can
// put a register between them): leading-one detection on the variance term W
// and the shift amounts that follow from it, then the normalising shift
// (docs/numerics.md, "LayerNorm"):
//   g  = floor((NormBits - bitlen(W)) / 2)          (may be negative)
//   W' = W << 2g  (g >= 0)  or  W >> -2g  (floor)   W' in [2^(NormBits-2), 2^NormBits)
// Both directions are one left shift: W' = (W << shl_o) >> Pre with
// shl_o = 2g + Pre >= 0, Pre the smallest even number that makes it
// non-negative for every W < 2^VarW (the right shift by Pre is the floor).
// Also returns the shift of z = round_shift(D * R, LnK - LnZFrac - g).
// Half 1: w_i -> shl_o, zsh_o.  Half 2: (sw_i, sshl_i) -> wn_o = W'.
//
// W = 0 never occurs (W >= LnEpsTerm > 0); it would give bitlen 0 like W = 1.
module ln_norm
  import edgemoe_pkg::*;
#(
  parameter int unsigned VarW     = 67,
  parameter int unsigned NormBits = 62,
  // Derived: Pre = 2 * ceil((VarW - NormBits) / 2), shift widths.
  localparam int unsigned Pre  = (VarW > NormBits) ? 2 * ((VarW - NormBits + 1) / 2) : 0,
  localparam int unsigned ShlW = $clog2(NormBits + Pre + 1),
  localparam int unsigned ZShW = 6
) (
  input  logic [VarW-1:0]     w_i,
  output logic [ShlW-1:0]     shl_o,   // 2g + Pre
  output logic [ZShW-1:0]     zsh_o,   // LnK - LnZFrac - g
  input  logic [VarW-1:0]     sw_i,    // W again (registered copy of w_i)
  input  logic [ShlW-1:0]     sshl_i,  // shl_o for sw_i
  output logic [NormBits-1:0] wn_o     // W'
);

  logic [7:0]        len;       // bitlen(W)
  logic signed [8:0] diff, g;

  always_comb begin
    len = '0;
    for (int unsigned i = 0; i < VarW; i++) begin
      if (w_i[i]) begin
        len = 8'(i + 1);
      end
    end
  end

  assign diff  = $signed(9'(NormBits)) - $signed({1'b0, len});
  assign g     = diff >>> 1;                    // arithmetic shift: floor division by 2
  assign shl_o = ShlW'($signed(9'(Pre)) + (g <<< 1));
  assign zsh_o = ZShW'($signed(9'(LnK - LnZFrac)) - g);

  // W << shl < 2^(NormBits + Pre) by construction of g: no bit is lost.
  logic [NormBits+Pre-1:0] wsh;
  assign wsh  = (NormBits + Pre)'(sw_i) << sshl_i;
  assign wn_o = NormBits'(wsh >> Pre);

endmodule
