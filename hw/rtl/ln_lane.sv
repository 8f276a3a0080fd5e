// One lane of the LayerNorm element datapath (docs/numerics.md, "LayerNorm"):
//   D = n*x - S1                                   exact, 35 bits signed (|D| < 2^34)
//   P = D * R                                      exact, |P| < 2^58
//   z = round_shift(P, zsh)                        frac LnZFrac, |z| < 14 * 2^20
//   acc = z * gamma + bh                           exact, |acc| < 2^51
//   y = sat_act(acc >> so)
// with bh = (beta << sb) + 2^(so-1) (the + 2^(so-1) is the round-half-up of the last
// shift), sb = LnZFrac + fg - fb and so = LnZFrac + fg - ActFrac: bh is formed once per
// parameter load by the parent (one shifter for all lanes), not per element.
//
// The two variable shifts are split into a fixed part and a narrow variable part:
// zsh = ZShMin + zs_i (zs_i in [0, 20], the parent subtracts once per token) and
// so = SoMin + ge_i (ge_i = fg - BFracMin, the gamma exponent field).
//
// Five register stages (d_1, p_2, z_3, acc_4, y_5), all advancing on en_i. The
// per-token and per-channel operands arrive already aligned by the parent:
// x_i, s1_i with stage 0; r_i with stage 1; zs_i, gamma_i, bh_i with stage 2.
module ln_lane
  import edgemoe_pkg::*;
#(
  parameter int unsigned ZShMin = 17,   // smallest z shift (W >= LnEpsTerm bounds g)
  parameter int unsigned ZsW    = 5,    // width of zs_i = zsh - ZShMin
  // Derived widths.
  localparam int unsigned S1W   = ActBits + $clog2(EmbedDim),      // 34
  localparam int unsigned DW    = S1W + 1,                         // 35
  localparam int unsigned RstdW = 25,                              // R <= 2^24
  localparam int unsigned PW    = DW + RstdW,                      // 60 > 59 needed
  localparam int unsigned ZW    = ActBits,                         // 26 (|z| < 2^24 needs 25)
  localparam int unsigned AccW  = BBits + (LnZFrac + BFracMax - BFracMin) + 1,  // 52
  localparam int unsigned SoMin = LnZFrac + BFracMin - ActFrac        // 10
) (
  input  logic                      clk_i,
  input  logic                      rst_ni,
  input  logic                      en_i,
  input  logic signed [ActBits-1:0] x_i,      // stage 0
  input  logic signed [S1W-1:0]     s1_i,     // stage 0
  input  logic [RstdW-1:0]          r_i,      // stage 1
  input  logic [ZsW-1:0]            zs_i,     // stage 2
  input  logic signed [BBits-1:0]   gamma_i,  // stage 2
  input  logic signed [AccW-1:0]    bh_i,     // stage 2
  input  logic [BExpBits-1:0]       ge_i,     // per parameter load
  output logic signed [ActBits-1:0] y_o       // stage 5
);

  localparam logic signed [ActBits-1:0] ActMax = {1'b0, {(ActBits-1){1'b1}}};
  localparam logic signed [ActBits-1:0] ActMin = {1'b1, {(ActBits-1){1'b0}}};

  logic signed [DW-1:0]      d_1_q, d, nx;
  localparam int unsigned DLoW = 17;
  logic signed [PW-1:0]      p_2_q, p;
  logic signed [RstdW:0]     r_s;
  logic signed [DLoW:0]      d_lo;
  logic signed [DW-DLoW-1:0] d_hi;
  logic signed [RstdW+DW-DLoW:0] pp_hi;
  logic signed [RstdW+DLoW+1:0]  pp_lo;
  logic signed [ZW:0]        p_sh;
  logic signed [ZW-1:0]      z_3_q, z;
  logic signed [BBits-1:0]   gm_3_q;
  logic signed [AccW-1:0]    bh_3_q, acc_4_q, acc;
  logic signed [AccW-1:0]    ysh;
  logic signed [ActBits-1:0] y_5_q, y;

  // n * x as a sum of shifted copies of x (one per set bit of n = 192: two), adders rather
  // than a DSP. |n*x| < 2^33 and |S1| < 2^33: D fits 35 bits.
  always_comb begin
    nx = '0;
    for (int unsigned b = 0; b < 16; b++) begin
      if (((EmbedDim >> b) & 1) != 0) begin
        nx = nx + (DW'(x_i) <<< b);
      end
    end
  end
  assign d = nx - DW'(s1_i);
  // D (signed) times R (unsigned): two DSP48E2-sized products (27 x 18 signed), R on the
  // A side and D in an unsigned low and a signed high part of DLoW and DW - DLoW bits.
  assign r_s   = $signed({1'b0, r_i});
  assign d_lo  = $signed({1'b0, d_1_q[DLoW-1:0]});
  assign d_hi  = d_1_q[DW-1:DLoW];
  assign pp_hi = r_s * d_hi;   // widths from the declarations: exact products
  assign pp_lo = r_s * d_lo;
  assign p     = (PW'(pp_hi) <<< DLoW) + PW'(pp_lo);
  // round_shift(P, zsh) = floor((floor(P / 2^(zsh-1)) + 1) / 2): the rounding add is ZW + 1
  // bits wide instead of PW (|z| < 2^24).
  assign p_sh = (ZW + 1)'((p_2_q >>> (ZShMin - 1)) >>> zs_i) + (ZW + 1)'(1);
  assign z    = ZW'(p_sh >>> 1);
  assign acc  = AccW'(z_3_q) * AccW'(gm_3_q) + bh_3_q;
  assign ysh  = (acc_4_q >>> SoMin) >>> ge_i;

  always_comb begin
    if (ysh > AccW'(ActMax)) begin
      y = ActMax;
    end else if (ysh < AccW'(ActMin)) begin
      y = ActMin;
    end else begin
      y = ActBits'(ysh);
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      d_1_q   <= '0;
      p_2_q   <= '0;
      z_3_q   <= '0;
      gm_3_q  <= '0;
      bh_3_q  <= '0;
      acc_4_q <= '0;
      y_5_q   <= '0;
    end else if (en_i) begin
      d_1_q   <= d;
      p_2_q   <= p;
      z_3_q   <= z;
      gm_3_q  <= gamma_i;
      bh_3_q  <= bh_i;
      acc_4_q <= acc;
      y_5_q   <= y;
    end
  end

  assign y_o = y_5_q;

endmodule
