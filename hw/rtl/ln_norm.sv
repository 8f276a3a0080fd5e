// LayerNorm normaliser: leading-one detection on the variance term W, the shift
// amounts that follow from it, and the normalising shift (docs/numerics.md, "LayerNorm"):
//   g  = floor((NormBits - bitlen(W)) / 2)          (may be negative)
//   W' = W << 2g  (g >= 0)  or  W >> -2g  (floor)   W' in [2^(NormBits-2), 2^NormBits)
// Both directions are one left shift: W' = (W << shl) >> Pre with
// shl = 2g + Pre >= 0, Pre the smallest even number that makes it
// non-negative for every W < 2^VarW (the right shift by Pre is the floor).
// Also returns the shift of z = round_shift(D * R, LnK - LnZFrac - g).
//
// Four register stages, all advancing on en_i (one to three LUT levels each, 300 MHz):
//   1: per 8-bit group of W: any bit set, position of its highest set bit
//   2: bitlen(W) - 1 = 8 * (highest non-zero group) + its position
//   3: shl, zsh from bitlen(W)
//   4: W' = (W << shl) >> Pre
// w_i enters with stage 0; wn_o and zsh_o are stage 4. The registers have a reset only so
// the W delay line maps to flip-flops, not SRLs (an SRL's clock-to-out is 0.9 ns).
//
// W = 0 never occurs (W >= LnEpsTerm > 0); it would be treated like W = 1.
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
  input  logic                clk_i,
  input  logic                rst_ni,
  input  logic                en_i,
  input  logic [VarW-1:0]     w_i,     // stage 0
  output logic [NormBits-1:0] wn_o,    // W', stage 4
  output logic [ZShW-1:0]     zsh_o    // LnK - LnZFrac - g, stage 4
);

  localparam int unsigned Grp  = 8;
  localparam int unsigned NGrp = (VarW + Grp - 1) / Grp;
  localparam int unsigned GiW  = $clog2(NGrp);
  localparam int unsigned LenW = GiW + 3;

  logic [NGrp*Grp-1:0]   wpad;
  logic [NGrp-1:0]       nz, nz_1_q;
  logic [NGrp*3-1:0]     pos, pos_1_q;
  logic [LenW-1:0]       lm1, lm1_2_q;     // bitlen(W) - 1
  logic [VarW-1:0]       w_1_q, w_2_q, w_3_q;
  logic [7:0]            len;              // bitlen(W)
  logic signed [8:0]     diff, g;
  logic [ShlW-1:0]       shl, shl_3_q;
  logic [ZShW-1:0]       zsh, zsh_3_q, zsh_4_q;
  logic [NormBits+Pre-1:0] wsh;
  logic [NormBits-1:0]   wn_4_q;

  assign wpad = (NGrp * Grp)'(w_i);

  always_comb begin
    for (int unsigned j = 0; j < NGrp; j++) begin
      nz[j]        = |wpad[j*Grp +: Grp];
      pos[j*3 +: 3] = '0;
      for (int unsigned i = 0; i < Grp; i++) begin
        if (wpad[j*Grp + i]) begin
          pos[j*3 +: 3] = 3'(i);
        end
      end
    end
  end

  always_comb begin
    lm1 = '0;
    for (int unsigned j = 0; j < NGrp; j++) begin
      if (nz_1_q[j]) begin
        lm1 = {GiW'(j), pos_1_q[j*3 +: 3]};
      end
    end
  end

  assign len   = 8'(lm1_2_q) + 8'd1;
  assign diff  = $signed(9'(NormBits)) - $signed({1'b0, len});
  assign g     = diff >>> 1;                    // arithmetic shift: floor division by 2
  assign shl   = ShlW'($signed(9'(Pre)) + (g <<< 1));
  assign zsh   = ZShW'($signed(9'(LnK - LnZFrac)) - g);

  // W << shl < 2^(NormBits + Pre) by construction of g: no bit is lost.
  assign wsh  = (NormBits + Pre)'(w_3_q) << shl_3_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      nz_1_q  <= '0;
      pos_1_q <= '0;
      w_1_q   <= '0;
      lm1_2_q <= '0;
      w_2_q   <= '0;
      shl_3_q <= '0;
      zsh_3_q <= '0;
      w_3_q   <= '0;
      wn_4_q  <= '0;
      zsh_4_q <= '0;
    end else if (en_i) begin
      nz_1_q  <= nz;
      pos_1_q <= pos;
      w_1_q   <= w_i;
      lm1_2_q <= lm1;
      w_2_q   <= w_1_q;
      shl_3_q <= shl;
      zsh_3_q <= zsh;
      w_3_q   <= w_2_q;
      wn_4_q  <= NormBits'(wsh >> Pre);
      zsh_4_q <= zsh_3_q;
    end
  end

  assign wn_o  = wn_4_q;
  assign zsh_o = zsh_4_q;

endmodule
