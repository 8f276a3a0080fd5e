// MoE gate logits: the 16 gate logits of each token, bit-exact to the plain mode
// of edgemoe.golden.linear.linear_unit without bias (docs/numerics.md, "Unified
// linear unit", "MoE"):
//
//   acc[e] = sum_k xn[k] * wg[e,k]                      exact, frac 16 + wf[e]
//   l[e]   = sat_act(round_shift(acc[e], wf[e]))        wf[e] = WFracMin + wexp[e]
//
// The 16 gate rows are held on chip (one memory per expert row, EmbedDim/Lanes
// words of Lanes weights), so every input element is multiplied by all 16 rows
// as it streams past: Lanes x 16 multipliers, one input beat per cycle.
//
// Weight load stream (wl_*), EmbedDim/Lanes beats per row, rows 0..15 in order:
//   wl_data_i[Lanes*WBits-1:0]                      Lanes w codes, lane l in [l*WBits +: WBits]
//                                                   (row element b*Lanes + l in beat b)
//   wl_data_i[Lanes*WBits +: WExpBits]              the row's exponent code wf - WFracMin
//                                                   (written with every beat of the row; the
//                                                   last beat's value is kept)
// A load is accepted only while no token is in flight up to the rounding (the
// rows and exponents are in use until then); while a load is in progress, or was
// offered in the previous cycle at a token boundary (in_ready_o follows the registered
// wl_valid_i: no valid -> ready loop), the token stream is held off, and a load beat is
// taken only when it was offered in the previous cycle too. A load may be
// partial: later rows keep their old contents.
//
// Token stream (in_*): EmbedDim/Lanes beats per token, Lanes act codes per beat,
// lane l in in_data_i[l*ActBits +: ActBits] (element b*Lanes + l in beat b).
// in_last_i, sampled with the token's last beat, closes the layer; the QDepth-th
// token of a layer closes it too (the queues hold QDepth entries per expert, so a
// layer can never overflow them: the next token starts a new layer at index 0).
//
// Logit stream (lg_*): one logit per beat, experts 0..15 in order (the running
// softmax's order), with the expert index, the token index in the layer and the
// layer-last flag of the token.
//
// Pipeline: s1 weight read (registered, block RAM), s2 products, s3 sum of the
// Lanes products per row, s4 accumulate; the token's 16 sums go to a hand-off
// bank h so the next token accumulates while the rounding stage reads the bank
// out one row per cycle (one shared variable shifter instead of 16).
// Throughput: one input beat per cycle while the rounding keeps up, i.e. one
// token per max(EmbedDim/Lanes, NumExperts) cycles.
module moe_gate_logits
  import edgemoe_pkg::*;
#(
  parameter int unsigned Lanes = 4,
  parameter int unsigned QDepth = QueueDepth
) (
  input  logic                              clk_i,
  input  logic                              rst_ni,
  // gate weight load
  input  logic                              wl_valid_i,
  output logic                              wl_ready_o,
  input  logic [WExpBits+Lanes*WBits-1:0]   wl_data_i,
  // token inputs xn
  input  logic                              in_valid_i,
  output logic                              in_ready_o,
  input  logic [Lanes*ActBits-1:0]          in_data_i,
  input  logic                              in_last_i,
  // logits, expert order
  output logic                              lg_valid_o,
  input  logic                              lg_ready_i,
  output logic signed [ActBits-1:0]         lg_data_o,
  output logic [$clog2(NumExperts)-1:0]     lg_expert_o,
  output logic [$clog2(NumTokens)-1:0]      lg_token_o,
  output logic                              lg_last_o
);

  localparam int unsigned Beats   = EmbedDim / Lanes;
  localparam int unsigned BeatW   = (Beats > 1) ? $clog2(Beats) : 1;
  localparam int unsigned ExpIdW  = $clog2(NumExperts);
  localparam int unsigned TokBits = $clog2(NumTokens);
  localparam int unsigned ProdW   = ActBits + WBits;
  // |x| <= 2^25, |w| <= 2^15: |acc| <= EmbedDim * 2^40 < 2^48; one guard bit more.
  localparam int unsigned AccW    = ProdW + $clog2(EmbedDim);
  localparam int unsigned ShW     = $clog2(WFracMin + (1 << WExpBits));
  localparam int unsigned RowW    = Lanes * WBits;

  if (Beats * Lanes != EmbedDim || Beats < 2) begin : g_chk_lanes
    $error("moe_gate_logits: Lanes must divide EmbedDim with at least two beats per token");
  end
  if (QDepth < 2 || QDepth > (1 << TokBits) - 1) begin : g_chk_depth
    $error("moe_gate_logits: QDepth must lie in [2, 2^TokBits - 1]");
  end

  // ---------------------------------------------------------------- weight load
  logic [BeatW-1:0]    wl_beat_q;
  logic [ExpIdW-1:0]   wl_row_q;
  logic [WExpBits-1:0] wexp_q [NumExperts];
  logic                wl_active, wl_fire, busy, wl_req_q;
  // wl_req_q: wl_valid_i registered. A load beat is taken only when it was offered in the
  // previous cycle too, and the registered request holds tokens back at a token boundary,
  // so in_ready_o has no combinational path from wl_valid_i (no valid -> ready loop).
  assign wl_active  = (wl_beat_q != '0) || (wl_row_q != '0);
  assign wl_ready_o = !busy && wl_req_q;
  assign wl_fire    = wl_valid_i && wl_ready_o;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wl_req_q <= 1'b0;
    end else begin
      wl_req_q <= wl_valid_i;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wl_beat_q <= '0;
      wl_row_q  <= '0;
      for (int e = 0; e < NumExperts; e++) wexp_q[e] <= '0;
    end else if (wl_fire) begin
      wexp_q[wl_row_q] <= wl_data_i[RowW +: WExpBits];
      if (wl_beat_q == BeatW'(Beats - 1)) begin
        wl_beat_q <= '0;
        wl_row_q  <= wl_row_q + ExpIdW'(1);   // wraps to 0 after row 15
      end else begin
        wl_beat_q <= wl_beat_q + BeatW'(1);
      end
    end
  end

  // ---------------------------------------------------------------- token input
  logic               advance, in_fire, tok_end, tok_last;
  logic [BeatW-1:0]   in_beat_q;
  logic [TokBits-1:0] in_tok_q;
  // A weight load offered (registered request) wins at a token boundary: the engine drains,
  // then the load starts (wl_ready_o = !busy).
  assign in_ready_o = advance && !wl_active && !(wl_req_q && (in_beat_q == '0));
  assign in_fire    = in_valid_i && in_ready_o;
  assign tok_end    = in_beat_q == BeatW'(Beats - 1);
  assign tok_last   = in_last_i || (in_tok_q == TokBits'(QDepth - 1));

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      in_beat_q <= '0;
      in_tok_q  <= '0;
    end else if (in_fire) begin
      if (tok_end) begin
        in_beat_q <= '0;
        in_tok_q  <= tok_last ? '0 : in_tok_q + TokBits'(1);
      end else begin
        in_beat_q <= in_beat_q + BeatW'(1);
      end
    end
  end

  // Beat tags through s1..s3: valid, token end, token index, layer last.
  logic               v1_q, v2_q, v3_q, end1_q, end2_q, end3_q, last1_q, last2_q, last3_q;
  logic [TokBits-1:0] tok1_q, tok2_q, tok3_q;
  logic [Lanes*ActBits-1:0] x1_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      v1_q <= 1'b0; v2_q <= 1'b0; v3_q <= 1'b0;
      end1_q <= 1'b0; end2_q <= 1'b0; end3_q <= 1'b0;
      last1_q <= 1'b0; last2_q <= 1'b0; last3_q <= 1'b0;
      tok1_q <= '0; tok2_q <= '0; tok3_q <= '0;
      x1_q <= '0;
    end else if (advance) begin
      v1_q <= in_fire;         end1_q <= tok_end; last1_q <= tok_last; tok1_q <= in_tok_q;
      v2_q <= v1_q;            end2_q <= end1_q;  last2_q <= last1_q;  tok2_q <= tok1_q;
      v3_q <= v2_q;            end3_q <= end2_q;  last3_q <= last2_q;  tok3_q <= tok2_q;
      x1_q <= in_data_i;
    end
  end

  // ---------------------------------------------------------------- hand-off bank and rounding
  logic                    h_valid_q;
  logic [TokBits-1:0]      h_tok_q;
  logic                    h_last_q;
  logic [ExpIdW-1:0]       rd_j_q;
  logic signed [AccW-1:0]  h_all [NumExperts];
  logic                    lg_load, h_write, h_free;
  // The rounding stage reads row rd_j_q of the bank whenever its output register is free.
  assign lg_load = h_valid_q && (!lg_valid_o || lg_ready_i);
  assign h_free  = lg_load && (rd_j_q == ExpIdW'(NumExperts - 1));
  // The pipeline stalls only when a finished token finds the bank still in use.
  assign advance = !(v3_q && end3_q && h_valid_q && !h_free);
  assign h_write = advance && v3_q && end3_q;
  // No token anywhere before the rounding: the weights may change.
  assign busy    = (in_beat_q != '0) || v1_q || v2_q || v3_q || h_valid_q;

  // ---------------------------------------------------------------- per-row datapath
  for (genvar e = 0; e < NumExperts; e++) begin : g_row
    // Row memory: no reset (block/distributed RAM); written only by the load stream.
    logic [RowW-1:0] wmem [Beats];
    logic [RowW-1:0] w1_q;
    always_ff @(posedge clk_i) begin
      if (wl_fire && wl_row_q == ExpIdW'(e)) begin
        wmem[wl_beat_q] <= wl_data_i[RowW-1:0];
      end
    end
    always_ff @(posedge clk_i) begin
      if (advance) begin
        w1_q <= wmem[in_beat_q];
      end
    end

    // s2: exact products
    logic signed [ProdW-1:0] prod2_q [Lanes];
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        for (int l = 0; l < Lanes; l++) prod2_q[l] <= '0;
      end else if (advance) begin
        for (int l = 0; l < Lanes; l++) begin
          prod2_q[l] <= $signed(x1_q[l*ActBits +: ActBits]) * $signed(w1_q[l*WBits +: WBits]);
        end
      end
    end

    // s3: sum of the Lanes products (exact)
    logic signed [AccW-1:0] sum_c, sum3_q;
    always_comb begin
      sum_c = '0;
      for (int l = 0; l < Lanes; l++) sum_c = sum_c + AccW'(prod2_q[l]);
    end
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        sum3_q <= '0;
      end else if (advance) begin
        sum3_q <= sum_c;
      end
    end

    // s4: accumulate; a token's last beat goes to the bank and clears the accumulator
    logic signed [AccW-1:0] acc_q, h_q;
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        acc_q <= '0;
        h_q   <= '0;
      end else if (advance && v3_q) begin
        if (end3_q) begin
          h_q   <= acc_q + sum3_q;
          acc_q <= '0;
        end else begin
          acc_q <= acc_q + sum3_q;
        end
      end
    end
    assign h_all[e] = h_q;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      h_valid_q <= 1'b0;
      h_tok_q   <= '0;
      h_last_q  <= 1'b0;
      rd_j_q    <= '0;
    end else begin
      if (h_write) begin
        h_valid_q <= 1'b1;
        h_tok_q   <= tok3_q;
        h_last_q  <= last3_q;
      end else if (h_free) begin
        h_valid_q <= 1'b0;
      end
      if (lg_load) begin
        rd_j_q <= rd_j_q + ExpIdW'(1);   // wraps to 0 after row 15
      end
    end
  end

  // Rounding of row rd_j_q: round_shift by wf = WFracMin + wexp, then saturate to act.
  logic signed [AccW-1:0]    h_sel, h_rnd;
  logic [ShW-1:0]            sh;
  logic signed [ActBits-1:0] l_calc;
  assign h_sel = h_all[rd_j_q];
  assign sh    = ShW'(WFracMin) + ShW'(wexp_q[rd_j_q]);
  assign h_rnd = (h_sel + (AccW'(1) <<< (sh - ShW'(1)))) >>> sh;
  always_comb begin
    if (h_rnd > AccW'($signed({1'b0, {(ActBits-1){1'b1}}}))) begin
      l_calc = {1'b0, {(ActBits-1){1'b1}}};
    end else if (h_rnd < -AccW'($signed({1'b0, {(ActBits-1){1'b1}}})) - AccW'(1)) begin
      l_calc = {1'b1, {(ActBits-1){1'b0}}};
    end else begin
      l_calc = h_rnd[ActBits-1:0];
    end
  end

  logic                      lg_valid_q, lg_last_q;
  logic signed [ActBits-1:0] lg_data_q;
  logic [ExpIdW-1:0]         lg_expert_q;
  logic [TokBits-1:0]        lg_token_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      lg_valid_q  <= 1'b0;
      lg_data_q   <= '0;
      lg_expert_q <= '0;
      lg_token_q  <= '0;
      lg_last_q   <= 1'b0;
    end else if (!lg_valid_q || lg_ready_i) begin
      lg_valid_q <= h_valid_q;
      if (h_valid_q) begin
        lg_data_q   <= l_calc;
        lg_expert_q <= rd_j_q;
        lg_token_q  <= h_tok_q;
        lg_last_q   <= h_last_q;
      end
    end
  end
  assign lg_valid_o  = lg_valid_q;
  assign lg_data_o   = lg_data_q;
  assign lg_expert_o = lg_expert_q;
  assign lg_token_o  = lg_token_q;
  assign lg_last_o   = lg_last_q;

endmodule
