// LayerNorm token statistics: S1 = sum x and S2 = sum x^2 over the EmbedDim
// channels of a token, exact (docs/numerics.md, "LayerNorm"). |S1| <= 192 * 2^25
// fits 34 bits signed; S2 <= 192 * 2^50 fits 58 bits unsigned.
//
// Input: beats already accepted by the parent (no backpressure: the statistics
// pipeline never stalls), Lanes act codes per beat, lane l at
// [l*ActBits +: ActBits]; in_last_i marks the last beat of a token.
// Output: a one-cycle out_valid_o pulse with the token's S1, S2.
// Register stages: input beat; the two partial products of each square (x * x_hi,
// x * x_lo: one DSP48E2 each, x^2 of a 26-bit code does not fit one); squares; one per
// level of the lane adder tree (TreeLevels = ceil(log2 Lanes), one 2-input add per level
// so the tree keeps the clock rate at any lane count); accumulate. The pulse comes
// 4 + TreeLevels cycles after the token's last beat was accepted.
// The parent guarantees room for the result (see layernorm.sv).
module ln_stats
  import edgemoe_pkg::*;
#(
  parameter int unsigned Lanes = 1,
  // Derived widths.
  localparam int unsigned S1W        = ActBits + $clog2(EmbedDim),          // 34, signed
  localparam int unsigned S2W        = 2 * (ActBits - 1) + $clog2(EmbedDim), // 58, unsigned
  localparam int unsigned TreeLevels = (Lanes > 1) ? $clog2(Lanes) : 0
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  input  logic                     in_valid_i,
  input  logic [Lanes*ActBits-1:0] in_data_i,
  input  logic                     in_last_i,
  output logic                     out_valid_o,
  output logic signed [S1W-1:0]    out_s1_o,
  output logic [S2W-1:0]           out_s2_o
);

  // ---- stage a: the accepted beat
  logic                     va_q, lasta_q;
  logic [Lanes*ActBits-1:0] xa_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      va_q    <= 1'b0;
      lasta_q <= 1'b0;
      xa_q    <= '0;
    end else begin
      va_q    <= in_valid_i;
      lasta_q <= in_valid_i && in_last_i;
      if (in_valid_i) begin
        xa_q <= in_data_i;
      end
    end
  end

  // ---- stage p: the partial products of the squares (no reset: DSP registers)
  logic vp_q, lastp_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      vp_q    <= 1'b0;
      lastp_q <= 1'b0;
    end else begin
      vp_q    <= va_q;
      lastp_q <= lasta_q;
    end
  end

  // ---- lane adder tree: level 0 = squares (stage b), level k = pair sums of level k-1.
  // Level k has ceil(Lanes / 2^k) nodes; an odd node out is passed on unchanged.
  for (genvar k = 0; k <= TreeLevels; k++) begin : g_lev
    localparam int unsigned N     = (Lanes + (1 << k) - 1) >> k;
    localparam int unsigned NPrev = (k == 0) ? Lanes : (Lanes + (1 << (k - 1)) - 1) >> (k - 1);
    logic v_q, last_q, v_in, last_in;

    if (k == 0) begin : g_vin
      assign v_in    = vp_q;
      assign last_in = lastp_q;
    end else begin : g_vin
      assign v_in    = g_lev[k-1].v_q;
      assign last_in = g_lev[k-1].last_q;
    end

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        v_q    <= 1'b0;
        last_q <= 1'b0;
      end else begin
        v_q    <= v_in;
        last_q <= last_in;
      end
    end

    for (genvar i = 0; i < N; i++) begin : g_n
      logic [S2W-1:0]        sq_q, sq_d;
      logic signed [S1W-1:0] x_q, x_d;

      if (k == 0) begin : g_leaf
        localparam int unsigned XLoW = 17;
        logic signed [ActBits-1:0]      x, xp_q;
        logic signed [ActBits-XLoW-1:0] x_hi;
        logic signed [XLoW:0]           x_lo;
        logic signed [2*ActBits-XLoW-1:0] ph_q;   // x * x_hi, exact
        logic signed [ActBits+XLoW:0]     pl_q;   // x * x_lo, exact
        assign x    = xa_q[i*ActBits +: ActBits];
        assign x_hi = x[ActBits-1:XLoW];
        assign x_lo = $signed({1'b0, x[XLoW-1:0]});
        always_ff @(posedge clk_i) begin
          if (va_q) begin
            xp_q <= x;
            ph_q <= x * x_hi;
            pl_q <= x * x_lo;
          end
        end
        // x^2 = (x x_hi) 2^XLoW + x x_lo; x^2 of a 26-bit signed code is at most 2^50
        // (non-negative): exact in S2W bits.
        // (the sign-extended partial products summed modulo 2^S2W).
        assign sq_d = (S2W'(ph_q) << XLoW) + S2W'(pl_q);
        assign x_d  = S1W'(xp_q);
      end else if (2 * i + 1 < NPrev) begin : g_pair
        assign sq_d = g_lev[k-1].g_n[2*i].sq_q + g_lev[k-1].g_n[2*i+1].sq_q;
        assign x_d  = g_lev[k-1].g_n[2*i].x_q + g_lev[k-1].g_n[2*i+1].x_q;
      end else begin : g_pass
        assign sq_d = g_lev[k-1].g_n[2*i].sq_q;
        assign x_d  = g_lev[k-1].g_n[2*i].x_q;
      end

      always_ff @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) begin
          sq_q <= '0;
          x_q  <= '0;
        end else if (v_in) begin
          sq_q <= sq_d;
          x_q  <= x_d;
        end
      end
    end
  end

  // ---- accumulate
  logic                  vt, lastt;
  logic signed [S1W-1:0] sxt, s1_q, s1_sum;
  logic [S2W-1:0]        ssqt, s2_q, s2_sum;
  logic                  out_valid_q;
  logic signed [S1W-1:0] out_s1_q;
  logic [S2W-1:0]        out_s2_q;

  assign vt     = g_lev[TreeLevels].v_q;
  assign lastt  = g_lev[TreeLevels].last_q;
  assign sxt    = g_lev[TreeLevels].g_n[0].x_q;
  assign ssqt   = g_lev[TreeLevels].g_n[0].sq_q;
  assign s1_sum = s1_q + sxt;
  assign s2_sum = s2_q + ssqt;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      s1_q        <= '0;
      s2_q        <= '0;
      out_valid_q <= 1'b0;
      out_s1_q    <= '0;
      out_s2_q    <= '0;
    end else begin
      out_valid_q <= vt && lastt;
      if (vt) begin
        if (lastt) begin
          out_s1_q <= s1_sum;
          out_s2_q <= s2_sum;
          s1_q     <= '0;
          s2_q     <= '0;
        end else begin
          s1_q <= s1_sum;
          s2_q <= s2_sum;
        end
      end
    end
  end

  assign out_valid_o = out_valid_q;
  assign out_s1_o    = out_s1_q;
  assign out_s2_o    = out_s2_q;

endmodule
