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
// Ten register stages, all advancing on en_i, at most one adder, one DSP multiply or one
// variable shift each (300 MHz, docs/timing.md): x_1 (the buffer read registered),
// d_2 = n*x - S1, the two partial products of D * R (pp_3), P (p_4), the z shift (zs_5),
// z = round (z_6), z * gamma (m_7, in the DSP), acc = m + bh (acc_8), the y shift (ys_9),
// y = saturate (y_10). The per-token and per-channel operands arrive already aligned by
// the parent: x_i with stage 0 (the buffer read), s1_i with stage 1, r_i with stage 2,
// zs_i with stage 4, gamma_i with stage 6, bh_i with stage 7; y_o is stage 10.
// The datapath registers have no reset (the parent's valid bits qualify them), so the
// products map to the DSP48E2's input and output registers.
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
  input  logic signed [S1W-1:0]     s1_i,     // stage 1
  input  logic [RstdW-1:0]          r_i,      // stage 2
  input  logic [ZsW-1:0]            zs_i,     // stage 4
  input  logic signed [BBits-1:0]   gamma_i,  // stage 6
  input  logic signed [AccW-1:0]    bh_i,     // stage 7
  input  logic [BExpBits-1:0]       ge_i,     // per parameter load
  output logic signed [ActBits-1:0] y_o       // stage 10
);

  localparam logic signed [ActBits-1:0] ActMax = {1'b0, {(ActBits-1){1'b1}}};
  localparam logic signed [ActBits-1:0] ActMin = {1'b1, {(ActBits-1){1'b0}}};
  localparam int unsigned DLoW = 17;

  logic                          unused_rst;
  logic signed [ActBits-1:0]     x_1_q;
  logic signed [DW-1:0]          d_2_q, d, nx;
  logic signed [RstdW:0]         r_s;
  logic signed [DLoW:0]          d_lo;
  logic signed [DW-DLoW-1:0]     d_hi;
  logic signed [RstdW+DW-DLoW:0] pph_3_q;
  logic signed [RstdW+DLoW+1:0]  ppl_3_q;
  logic signed [PW-1:0]          p_4_q;
  logic signed [ZW:0]            zs_5_q, p_sh;
  logic signed [ZW-1:0]          z_6_q;
  logic signed [ZW+BBits-1:0]    m_7_q;
  logic signed [AccW-1:0]        acc_8_q;
  logic signed [AccW-1:0]        ys_9_q;
  logic signed [ActBits-1:0]     y_10_q, y;

  assign unused_rst = rst_ni;

  // n * x as a sum of shifted copies of x (one per set bit of n = 192: two), adders rather
  // than a DSP. |n*x| < 2^33 and |S1| < 2^33: D fits 35 bits.
  always_comb begin
    nx = '0;
    for (int unsigned b = 0; b < 16; b++) begin
      if (((EmbedDim >> b) & 1) != 0) begin
        nx = nx + (DW'(x_1_q) <<< b);
      end
    end
  end
  assign d = nx - DW'(s1_i);
  // D (signed) times R (unsigned): two DSP48E2-sized products (27 x 18 signed), R on the
  // A side and D in an unsigned low and a signed high part of DLoW and DW - DLoW bits.
  assign r_s  = $signed({1'b0, r_i});
  assign d_lo = $signed({1'b0, d_2_q[DLoW-1:0]});
  assign d_hi = d_2_q[DW-1:DLoW];
  // round_shift(P, zsh) = floor((floor(P / 2^(zsh-1)) + 1) / 2): the rounding add is ZW + 1
  // bits wide instead of PW (|z| < 2^24).
  assign p_sh = zs_5_q + (ZW + 1)'(1);

  always_comb begin
    if (ys_9_q > AccW'(ActMax)) begin
      y = ActMax;
    end else if (ys_9_q < AccW'(ActMin)) begin
      y = ActMin;
    end else begin
      y = ActBits'(ys_9_q);
    end
  end

  always_ff @(posedge clk_i) begin
    if (en_i) begin
      x_1_q   <= x_i;
      d_2_q   <= d;
      pph_3_q <= r_s * d_hi;   // widths from the declarations: exact products
      ppl_3_q <= r_s * d_lo;
      p_4_q   <= (PW'(pph_3_q) <<< DLoW) + PW'(ppl_3_q);
      zs_5_q  <= (ZW + 1)'((p_4_q >>> (ZShMin - 1)) >>> zs_i);
      z_6_q   <= ZW'(p_sh >>> 1);
      m_7_q   <= z_6_q * gamma_i;  // |z gamma| < 2^39: exact in ZW + BBits bits
      acc_8_q <= AccW'(m_7_q) + bh_i;
      ys_9_q  <= (acc_8_q >>> SoMin) >>> ge_i;
      y_10_q  <= y;
    end
  end

  assign y_o = y_10_q;

endmodule
