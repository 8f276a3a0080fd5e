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
// Pipeline (each stage one short path at 300 MHz, docs/timing.md): s1 weight read
// (registered, block RAM), s2 products (DSP48E2), the lane-sum tree (TreeLv =
// max(1, clog2(Lanes)) stages of two-input adds), accumulate; the token's 16 sums go
// to a hand-off bank h so the next token accumulates while the rounding pipeline
// reads the bank out one row per cycle (one shared variable shifter instead of 16):
// r1 row select, r2 shift, then add / saturate into a 4-entry logit FIFO and the
// output register. The bank
// is read on credits (FIFO places not yet claimed), so no control path runs from
// lg_ready_i into the MAC pipeline or in_ready_o.
// Latency: a token's last beat to its first logit out = 3 + TreeLv + 4 cycles
// (the last logit NumExperts - 1 later).
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
  localparam int unsigned RowW    = Lanes * WBits;
  // Lane-sum tree: TreeLv two-input add stages (one plain register at Lanes = 1).
  localparam int unsigned TreeLv  = (Lanes > 1) ? $clog2(Lanes) : 1;
  localparam int unsigned NSt     = 2 + TreeLv;         // s1 weight read, s2 product, the tree
  localparam int unsigned OutDepth = 4;                 // covers the credit loop: issue .. pop .. credit
  localparam int unsigned CredW   = $clog2(OutDepth + 1);

  function automatic int unsigned nodes(int unsigned k);
    return (Lanes + (1 << k) - 1) >> k;
  endfunction

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
  logic [NumExperts-1:0] wl_row_oh_q;   // wl_row_q one-hot (the row memories' write enables)
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
      wl_row_oh_q <= NumExperts'(1);
      for (int e = 0; e < NumExperts; e++) wexp_q[e] <= '0;
    end else if (wl_fire) begin
      wexp_q[wl_row_q] <= wl_data_i[RowW +: WExpBits];
      if (wl_beat_q == BeatW'(Beats - 1)) begin
        wl_beat_q <= '0;
        wl_row_q  <= wl_row_q + ExpIdW'(1);   // wraps to 0 after row 15
        wl_row_oh_q <= {wl_row_oh_q[NumExperts-2:0], wl_row_oh_q[NumExperts-1]};
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

  // Beat tags through s1, s2 and the lane-sum tree (NSt stages before the accumulator):
  // valid, token end, token index, layer last; entry k is the beat k + 1 stages in.
  logic [NSt-1:0]              vt_q, endt_q, lastt_q;
  logic [NSt-1:0][TokBits-1:0] tokt_q;
  logic [Lanes*ActBits-1:0]    x1_q;
  logic                        va_q, enda_q, lasta_q;   // the beat at the accumulator
  logic [TokBits-1:0]          toka_q;
  assign va_q    = vt_q[NSt-1];
  assign enda_q  = endt_q[NSt-1];
  assign lasta_q = lastt_q[NSt-1];
  assign toka_q  = tokt_q[NSt-1];
  // vt_any_q = (vt_q != 0), kept as a register (it gates the weight load's enables)
  logic                        vt_any_q;
  // The token-end tags are reset with the valids: control flags in flip-flops, not a shift
  // register LUT (an SRL's 0.9 ns clock-to-out in front of the stall logic, docs/timing.md)
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      vt_q     <= '0;
      vt_any_q <= 1'b0;
      endt_q   <= '0;
    end else if (advance) begin
      vt_q     <= {vt_q[NSt-2:0], in_fire};
      vt_any_q <= (vt_q[NSt-2:0] != '0) || in_fire;
      endt_q   <= {endt_q[NSt-2:0], tok_end};
    end
  end
  always_ff @(posedge clk_i) begin
    if (advance) begin
      lastt_q <= {lastt_q[NSt-2:0], tok_last};
      tokt_q  <= {tokt_q[NSt-2:0], in_tok_q};
      x1_q    <= in_data_i;
    end
  end

  // ---------------------------------------------------------------- hand-off bank and rounding
  logic                    h_valid_q;
  logic [TokBits-1:0]      h_tok_q;
  logic                    h_last_q;
  logic [ExpIdW-1:0]       rd_j_q;
  logic signed [AccW-1:0]  h_all [NumExperts];
  logic                    rd_issue, h_write, h_free;
  logic [CredW-1:0]        cred_q;
  // The rounding pipeline reads row rd_j_q of the bank while it holds a credit (a free
  // place in the output FIFO, counting the rows in flight), so nothing here depends on
  // lg_ready_i combinationally.
  assign rd_issue = h_valid_q && (cred_q != '0);
  assign h_free   = rd_issue && (rd_j_q == ExpIdW'(NumExperts - 1));
  // The pipeline stalls only when a finished token finds the bank still in use.
  assign advance = !(va_q && enda_q && h_valid_q && !h_free);
  assign h_write = advance && va_q && enda_q;
  // No token anywhere before the rounding: the weights may change.
  assign busy    = (in_beat_q != '0) || vt_any_q || h_valid_q;

  // ---------------------------------------------------------------- per-row datapath
  for (genvar e = 0; e < NumExperts; e++) begin : g_row
    // Row memory: no reset (block/distributed RAM); written only by the load stream.
    logic [RowW-1:0] wmem [Beats];
    logic [RowW-1:0] w1_q;
    always_ff @(posedge clk_i) begin
      if (wl_fire && wl_row_oh_q[e]) begin
        wmem[wl_beat_q] <= wl_data_i[RowW-1:0];
      end
    end
    always_ff @(posedge clk_i) begin
      if (advance) begin
        w1_q <= wmem[in_beat_q];
      end
    end

    // s2: exact products (no reset: DSP48E2 registers; the valid tags qualify them)
    logic signed [ProdW-1:0] prod2_q [Lanes];
    always_ff @(posedge clk_i) begin
      if (advance) begin
        for (int l = 0; l < Lanes; l++) begin
          prod2_q[l] <= $signed(x1_q[l*ActBits +: ActBits]) * $signed(w1_q[l*WBits +: WBits]);
        end
      end
    end

    // Lane-sum tree, exact: one two-input add per stage (TreeLv stages; Lanes = 1: one
    // register). Level k holds nodes(k) sums of ProdW + k bits.
    for (genvar k = 1; k <= TreeLv; k++) begin : g_lv
      localparam int unsigned N  = nodes(k);
      localparam int unsigned NI = nodes(k - 1);
      localparam int unsigned W  = ProdW + k;
      logic signed [W-1:0] n_q [N];
      for (genvar i = 0; i < N; i++) begin : g_n
        logic signed [W-1:0] a, b;
        if (k == 1) begin : g_in
          assign a = W'(prod2_q[2*i]);
          if (2*i + 1 < NI) begin : g_b
            assign b = W'(prod2_q[2*i+1]);
          end else begin : g_nb
            assign b = '0;
          end
        end else begin : g_in
          assign a = W'(g_lv[k-1].n_q[2*i]);
          if (2*i + 1 < NI) begin : g_b
            assign b = W'(g_lv[k-1].n_q[2*i+1]);
          end else begin : g_nb
            assign b = '0;
          end
        end
        always_ff @(posedge clk_i) begin
          if (advance) n_q[i] <= a + b;
        end
      end
    end
    logic signed [AccW-1:0] tsum;
    assign tsum = AccW'(g_lv[TreeLv].n_q[0]);

    // accumulate; a token's last beat goes to the bank and clears the accumulator
    logic signed [AccW-1:0] acc_q, h_q;
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        acc_q <= '0;
      end else if (advance && va_q) begin
        acc_q <= enda_q ? '0 : acc_q + tsum;
      end
    end
    always_ff @(posedge clk_i) begin
      if (advance && va_q && enda_q) h_q <= acc_q + tsum;
    end
    assign h_all[e] = h_q;
  end

  logic lg_pop;        // a logit leaves the FIFO (its credit returns)
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      h_valid_q <= 1'b0;
      h_tok_q   <= '0;
      h_last_q  <= 1'b0;
      rd_j_q    <= '0;
      cred_q    <= CredW'(OutDepth);
    end else begin
      if (h_write) begin
        h_valid_q <= 1'b1;
        h_tok_q   <= toka_q;
        h_last_q  <= lasta_q;
      end else if (h_free) begin
        h_valid_q <= 1'b0;
      end
      if (rd_issue) begin
        rd_j_q <= rd_j_q + ExpIdW'(1);   // wraps to 0 after row 15
      end
      if (rd_issue && !lg_pop) begin
        cred_q <= cred_q - CredW'(1);
      end else if (lg_pop && !rd_issue) begin
        cred_q <= cred_q + CredW'(1);
      end
    end
  end

  // Rounding of row rd_j_q: round_shift by wf = WFracMin + wexp, then saturate to act.
  // round_shift(h, wf) = ((h >>> (wf - 1)) + 1) >>> 1 (the same integer as
  // (h + 2^(wf-1)) >>> wf), in three stages: r1 the row and its exponent, r2 the
  // shift (a constant WFracMin - 1, then 0..15), then the add, the saturation
  // compares on x = h >>> (wf - 1) and the select, into the output FIFO:
  //   l = max  when x >= 2 max + 1  (the rounded value exceeds max)
  //   l = min  when x <  2 min - 1  (the rounded value is below min)
  localparam int unsigned XW = AccW - (WFracMin - 1);
  logic                      r1_v_q, r2_v_q;
  logic signed [AccW-1:0]    r1_h_q;
  logic [WExpBits-1:0]       r1_wexp_q;
  logic signed [XW-1:0]      r2_x_q;
  logic [ExpIdW-1:0]         r1_j_q, r2_j_q;
  logic [TokBits-1:0]        r1_tok_q, r2_tok_q;
  logic                      r1_last_q, r2_last_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      r1_v_q <= 1'b0;
      r2_v_q <= 1'b0;
    end else begin
      r1_v_q <= rd_issue;
      r2_v_q <= r1_v_q;
    end
  end
  always_ff @(posedge clk_i) begin
    r1_h_q    <= h_all[rd_j_q];
    r1_wexp_q <= wexp_q[rd_j_q];
    r1_j_q    <= rd_j_q;
    r1_tok_q  <= h_tok_q;
    r1_last_q <= h_last_q;
    r2_x_q    <= XW'((r1_h_q >>> (WFracMin - 1)) >>> r1_wexp_q);
    r2_j_q    <= r1_j_q;
    r2_tok_q  <= r1_tok_q;
    r2_last_q <= r1_last_q;
  end

  localparam logic signed [XW-1:0] LMax = XW'($signed({1'b0, {(ActBits-1){1'b1}}}));
  localparam logic signed [XW-1:0] LMin = -LMax - XW'(1);
  logic [ActBits-1:0]        x_rnd;      // the low ActBits bits of (x + 1) >>> 1
  logic                      sat_hi, sat_lo;
  logic signed [ActBits-1:0] l_calc;
  assign x_rnd  = r2_x_q[ActBits:1] + ActBits'(r2_x_q[0]);
  assign sat_hi = r2_x_q >= XW'(2) * LMax + XW'(1);
  assign sat_lo = r2_x_q < XW'(2) * LMin - XW'(1);
  always_comb begin
    if (sat_hi) begin
      l_calc = {1'b0, {(ActBits-1){1'b1}}};
    end else if (sat_lo) begin
      l_calc = {1'b1, {(ActBits-1){1'b0}}};
    end else begin
      l_calc = x_rnd;
    end
  end

  // Output FIFO (OutDepth entries; the credits guarantee it never overflows), then an
  // output register (lg_* from flops, not from the FIFO's distributed RAM).
  localparam int unsigned LgW = ActBits + ExpIdW + TokBits + 1;
  logic [LgW-1:0] lg_word, f_word;
  logic           fifo_ready, f_valid, f_ready, lg_v_q;
  stream_fifo #(.Width(LgW), .Depth(OutDepth)) u_lg_fifo (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .in_valid_i (r2_v_q),
    .in_ready_o (fifo_ready),
    .in_data_i  ({r2_last_q, r2_tok_q, r2_j_q, l_calc}),
    .out_valid_o(f_valid),
    .out_ready_i(f_ready),
    .out_data_o (f_word)
  );
  assign f_ready = !lg_v_q || lg_ready_i;
  assign lg_pop  = f_valid && f_ready;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      lg_v_q <= 1'b0;
    end else if (f_ready) begin
      lg_v_q <= f_valid;
    end
  end
  always_ff @(posedge clk_i) begin
    if (lg_pop) lg_word <= f_word;
  end
  assign lg_valid_o = lg_v_q;
  assign {lg_last_o, lg_token_o, lg_expert_o, lg_data_o} = lg_word;
  logic unused_fifo;
  assign unused_fifo = fifo_ready;   // always ready when r2_v_q: cred_q counts its places

endmodule
