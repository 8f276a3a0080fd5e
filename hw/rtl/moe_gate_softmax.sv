// MoE gate routing: exact top-2 by logit (ties to the lower expert index), the
// running softmax statistics of the 16 logits in expert order and the two chosen
// experts' full-softmax probabilities, bit-exact to edgemoe.golden.moe.gate_fixed
// (docs/numerics.md, "Single-pass softmax", "MoE"):
//
//   j = 0:  m = l_0, S = 2^17
//   j > 0:  e = EXP(-|l_j - m|);  l_j > m: S = round_shift(S e, 17) + 2^17, m = l_j
//                                 else:    S = S + e;        S = sat_sum(S)
//   r  = RECIP(S)
//   p0 = round_shift(EXP(l_i0 - m) r, 25) = round_shift(r, 8)   (l_i0 = m: EXP(0) = 2^17)
//   p1 = round_shift(EXP(l_i1 - m) r, 25)
//
// Top-2 runs alongside in the same order: a logit replaces the first place only
// when strictly greater, the second place when strictly greater or still empty,
// so equal logits keep the lower index and the two experts are always distinct.
//
// Logit stream in (lg_*): one logit per beat, experts 0..15 in order (moe_gate_logits).
// Result stream out (res_*), one beat per token:
//   res_logits_o[e*ActBits +: ActBits]  logit of expert e
//   res_idx_o[k*ExpIdW +: ExpIdW]       chosen expert of slot k (k = 0: the larger logit)
//   res_p_o[k*PBits +: PBits]           its score p_k (format p)
//   res_token_o, res_last_o             token index in the layer, layer-last flag
//
// Schedule. One exp_core serves the whole gate: the exp arguments of a token are
// all known once the running max is: 15 running-sum exps (j = 1..15) issue as the
// logits arrive, and the p1 exp issues in the next cycle, which is the j = 0 slot
// of the following token (that step needs no exp). So a token occupies the exp
// core 16 cycles: one token per NumExperts cycles. The sum update S <- f(S, e) is a
// one-cycle loop after the exp pipeline. The reciprocal is iterative (RecipCycles
// = 25 cycles per sum, recip_core); RecipUnits cores take tokens in turn, so the
// stage sustains one token per max(NumExperts, ceil(RecipCycles / RecipUnits)) cycles.
// Tokens in flight live in NSlots context slots (allocated when a token's first
// logit is accepted, freed when its result is accepted): backpressure on the
// result stream stops the logit stream at a token boundary.
module moe_gate_softmax
  import edgemoe_pkg::*;
#(
  parameter int unsigned RecipUnits = 1
) (
  input  logic                              clk_i,
  input  logic                              rst_ni,
  input  logic                              lg_valid_i,
  output logic                              lg_ready_o,
  input  logic signed [ActBits-1:0]         lg_data_i,
  input  logic [$clog2(NumExperts)-1:0]     lg_expert_i,
  input  logic [$clog2(NumTokens)-1:0]      lg_token_i,
  input  logic                              lg_last_i,
  output logic                              res_valid_o,
  input  logic                              res_ready_i,
  output logic [NumExperts*ActBits-1:0]     res_logits_o,
  output logic [TopK*$clog2(NumExperts)-1:0] res_idx_o,
  output logic [TopK*PBits-1:0]             res_p_o,
  output logic [$clog2(NumTokens)-1:0]      res_token_o,
  output logic                              res_last_o
);

  localparam int unsigned ExpIdW      = $clog2(NumExperts);
  localparam int unsigned TokBits     = $clog2(NumTokens);
  localparam int unsigned ExpLat      = 5;       // exp_core's ExpLatency (see its header)
  localparam int unsigned NSlots      = 4;       // covers the ~56-cycle logit-to-result latency at 16 cycles per token
  localparam int unsigned SlotW       = $clog2(NSlots);
  localparam int unsigned UnitW       = 1;
  localparam int unsigned DiffW       = ActBits + 1;
  localparam int unsigned SProdW      = SumBits + EBits;
  localparam int unsigned PShift      = EFrac + RFrac - PFrac;   // 25
  localparam int unsigned PProdW      = EBits + RBits;

  if (TopK != 2) begin : g_chk_topk
    $error("moe_gate_softmax: implements top-2");
  end
  if (RecipUnits < 1 || RecipUnits > 2) begin : g_chk_units
    $error("moe_gate_softmax: RecipUnits must be 1 or 2");
  end

  // ---------------------------------------------------------------- slot bookkeeping
  logic [SlotW:0]   used_q;
  logic [SlotW-1:0] alloc_q, d_ptr_q, e_ptr_q;
  logic             alloc, free;

  // ---------------------------------------------------------------- B: running max, top-2, exp issue
  logic                      lg_fire, lg_first;
  logic signed [ActBits-1:0] m_q, b1v_q, b2v_q;
  logic [ExpIdW-1:0]         b1i_q, b2i_q;
  logic                      b2ok_q;
  logic [SlotW-1:0]          b_slot_q, p1_slot_q;
  logic                      p1_pend_q;
  // The next beat opens a token (expert 0): a register, so lg_ready_o depends on no
  // input (the logits of a token arrive in expert order, 0 .. NumExperts-1).
  logic first_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      first_q <= 1'b1;
    end else if (lg_fire) begin
      first_q <= (lg_expert_i == ExpIdW'(NumExperts - 1));
    end
  end
  assign lg_first   = first_q;
  assign lg_ready_o = !lg_first || (used_q != (SlotW+1)'(NSlots));
  assign lg_fire    = lg_valid_i && lg_ready_o;
  assign alloc      = lg_fire && lg_first;

  logic                      grow;
  logic signed [DiffW-1:0]   diff, darg;
  logic signed [ActBits-1:0] darg_sat;
  assign grow = lg_data_i > m_q;
  assign diff = DiffW'(lg_data_i) - DiffW'(m_q);
  // Exp argument: the p1 exp when pending (that cycle never carries a j > 0 logit),
  // else -|l_j - m|; both <= 0. Below the act range exp_core clamps anyway (-32).
  assign darg = p1_pend_q ? DiffW'(b2v_q) - DiffW'(b1v_q) : (diff[DiffW-1] ? diff : -diff);
  assign darg_sat = (darg < DiffW'($signed({1'b1, {(ActBits-1){1'b0}}}))) ?
                    {1'b1, {(ActBits-1){1'b0}}} : darg[ActBits-1:0];

  logic signed [ActBits-1:0] logit_q [NSlots][NumExperts];
  logic [ExpIdW-1:0]         idx0_q [NSlots];
  logic [ExpIdW-1:0]         idx1_q [NSlots];
  logic [TokBits-1:0]        tok_q  [NSlots];
  logic                      last_q [NSlots];
  logic [SlotW-1:0]          cur_slot;
  assign cur_slot = lg_first ? alloc_q : b_slot_q;

  // Exp issue: the p1 exp when pending (that cycle never carries a j > 0 logit),
  // else a running-sum step for every logit j > 0.
  logic             iss_vld, iss_p1, iss_first;
  logic [SlotW-1:0] iss_slot;
  assign iss_p1    = p1_pend_q;
  assign iss_vld   = p1_pend_q || (lg_fire && !lg_first);
  assign iss_first = !p1_pend_q && (lg_expert_i == ExpIdW'(1));
  assign iss_slot  = p1_pend_q ? p1_slot_q : b_slot_q;

  // Exp argument register and the tag pipeline beside exp_core: bit/entry k of a
  // tag describes the argument issued k cycles ago (k = 0: the one in x_d_q).
  logic signed [ActBits-1:0]      x_d_q;
  logic [ExpLat:0]                t_vld_q, t_p1_q, t_first_q, t_grow_q;
  logic [ExpLat:0][SlotW-1:0]     t_slot_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      x_d_q     <= '0;
      t_vld_q   <= '0;
      t_p1_q    <= '0;
      t_first_q <= '0;
      t_grow_q  <= '0;
      t_slot_q  <= '0;
    end else begin
      x_d_q     <= darg_sat;
      t_vld_q   <= {t_vld_q[ExpLat-1:0], iss_vld};
      t_p1_q    <= {t_p1_q[ExpLat-1:0], iss_p1};
      t_first_q <= {t_first_q[ExpLat-1:0], iss_first};
      t_grow_q  <= {t_grow_q[ExpLat-1:0], grow && !iss_p1};
      t_slot_q  <= {t_slot_q[ExpLat-1:0], iss_slot};
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      m_q <= '0; b1v_q <= '0; b2v_q <= '0; b1i_q <= '0; b2i_q <= '0; b2ok_q <= 1'b0;
      b_slot_q <= '0; p1_slot_q <= '0; p1_pend_q <= 1'b0;
      for (int s = 0; s < NSlots; s++) begin
        idx0_q[s] <= '0; idx1_q[s] <= '0; tok_q[s] <= '0; last_q[s] <= 1'b0;
        for (int e = 0; e < NumExperts; e++) logit_q[s][e] <= '0;
      end
    end else begin
      if (p1_pend_q) begin
        idx0_q[p1_slot_q] <= b1i_q;
        idx1_q[p1_slot_q] <= b2i_q;
        p1_pend_q <= 1'b0;
      end
      if (lg_fire) begin
        logit_q[cur_slot][lg_expert_i] <= lg_data_i;
        if (lg_first) begin
          b_slot_q <= alloc_q;
          tok_q[alloc_q]  <= lg_token_i;
          last_q[alloc_q] <= lg_last_i;
          m_q    <= lg_data_i;
          b1v_q  <= lg_data_i;
          b1i_q  <= '0;
          b2ok_q <= 1'b0;
        end else begin
          if (grow) m_q <= lg_data_i;
          if (lg_data_i > b1v_q) begin
            b2v_q <= b1v_q; b2i_q <= b1i_q; b2ok_q <= 1'b1;
            b1v_q <= lg_data_i; b1i_q <= lg_expert_i;
          end else if (!b2ok_q || lg_data_i > b2v_q) begin
            b2v_q <= lg_data_i; b2i_q <= lg_expert_i; b2ok_q <= 1'b1;
          end
          if (lg_expert_i == ExpIdW'(NumExperts - 1)) begin
            p1_pend_q <= 1'b1;
            p1_slot_q <= b_slot_q;
          end
        end
      end
    end
  end

  logic [EBits-1:0] e_out;
  exp_core u_exp (
    .clk_i (clk_i),
    .rst_ni(rst_ni),
    .en_i  (1'b1),
    .d_i   (x_d_q),
    .e_o   (e_out)
  );

  // ---------------------------------------------------------------- C: running sum
  localparam logic [SumBits-1:0] One = SumBits'(1) << SumFrac;
  logic [SumBits-1:0] s_q, s_base, s_next;
  logic [SProdW-1:0]  s_prod;
  logic [SumBits+1:0] s_wide;
  logic [SumBits-1:0] ssum_q [NSlots];
  logic [EBits-1:0]   e1_q   [NSlots];
  logic               sum_done_q [NSlots];
  logic               started_q  [NSlots];
  logic               ready_q    [NSlots];
  assign s_base = t_first_q[ExpLat] ? One : s_q;
  assign s_prod = SProdW'(s_base) * SProdW'(e_out);
  always_comb begin
    if (t_grow_q[ExpLat]) begin
      s_wide = (SumBits+2)'((s_prod + (SProdW'(1) << (EFrac - 1))) >> EFrac) + (SumBits+2)'(One);
    end else begin
      s_wide = (SumBits+2)'(s_base) + (SumBits+2)'(e_out);
    end
    s_next = (s_wide > (SumBits+2)'({SumBits{1'b1}})) ? {SumBits{1'b1}} : s_wide[SumBits-1:0];
  end

  // ---------------------------------------------------------------- D: reciprocal units, scores
  logic [RecipUnits-1:0] u_start, u_busy, u_done;
  logic [RBits-1:0]      u_r    [RecipUnits];
  logic [SlotW-1:0]      u_slot_q [RecipUnits];
  logic [UnitW-1:0]      rr_q;
  logic                  start;
  // recip_core's busy_o is low on the edge that can take a start, including its
  // done cycle, so units run back to back. started_q keeps d_ptr_q from restarting a slot whose result still waits for
  // the consumer after the pointer has gone once round the ring.
  assign start = sum_done_q[d_ptr_q] && !started_q[d_ptr_q] && !u_busy[rr_q];
  for (genvar u = 0; u < RecipUnits; u++) begin : g_recip
    assign u_start[u] = start && (rr_q == UnitW'(u));
    recip_core u_recip (
      .clk_i  (clk_i),
      .rst_ni (rst_ni),
      .start_i(u_start[u]),
      .s_i    (ssum_q[d_ptr_q]),
      .busy_o (u_busy[u]),
      .done_o (u_done[u]),
      .r_o    (u_r[u])
    );
  end

  // Units start in different cycles and take the same time, so at most one is done.
  logic [RBits-1:0]   r_sel;
  logic [SlotW-1:0]   done_slot;
  logic               done_any;
  logic [PProdW-1:0]  p1_prod;
  logic [PBits-1:0]   p0_calc, p1_calc;
  always_comb begin
    r_sel = '0; done_slot = '0; done_any = 1'b0;
    for (int u = 0; u < RecipUnits; u++) begin
      if (u_done[u]) begin
        r_sel = u_r[u]; done_slot = u_slot_q[u]; done_any = 1'b1;
      end
    end
  end
  // p0: EXP(0) * r = 2^17 r, so round_shift(2^17 r, 25) = round_shift(r, 8). Both <= 2^16.
  assign p0_calc = PBits'((RBits'(r_sel) + RBits'(1 << (PShift - EFrac - 1))) >> (PShift - EFrac));
  assign p1_prod = PProdW'(e1_q[done_slot]) * PProdW'(r_sel);
  assign p1_calc = PBits'((p1_prod + (PProdW'(1) << (PShift - 1))) >> PShift);

  logic [PBits-1:0] p0_q [NSlots];
  logic [PBits-1:0] p1_q [NSlots];

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      s_q <= '0;
      rr_q <= '0;
      for (int u = 0; u < RecipUnits; u++) u_slot_q[u] <= '0;
      for (int s = 0; s < NSlots; s++) begin
        ssum_q[s] <= '0; e1_q[s] <= '0; sum_done_q[s] <= 1'b0; started_q[s] <= 1'b0; ready_q[s] <= 1'b0;
        p0_q[s] <= '0; p1_q[s] <= '0;
      end
    end else begin
      // C: the step tags update the running sum; the p1 tag closes the token
      if (t_vld_q[ExpLat]) begin
        if (t_p1_q[ExpLat]) begin
          ssum_q[t_slot_q[ExpLat]]     <= s_q;
          e1_q[t_slot_q[ExpLat]]       <= e_out;
          sum_done_q[t_slot_q[ExpLat]] <= 1'b1;
        end else begin
          s_q <= s_next;
        end
      end
      // D: start the next unit in turn on the oldest finished sum
      for (int u = 0; u < RecipUnits; u++) begin
        if (u_start[u]) u_slot_q[u] <= d_ptr_q;
      end
      if (start) begin
        started_q[d_ptr_q] <= 1'b1;
        rr_q <= (rr_q == UnitW'(RecipUnits - 1)) ? '0 : rr_q + UnitW'(1);
      end
      if (done_any) begin
        p0_q[done_slot]    <= p0_calc;
        p1_q[done_slot]    <= p1_calc;
        ready_q[done_slot] <= 1'b1;
      end
      // E: a slot is free once its result is accepted
      if (free) begin
        sum_done_q[e_ptr_q] <= 1'b0;
        started_q[e_ptr_q]  <= 1'b0;
        ready_q[e_ptr_q]    <= 1'b0;
      end
    end
  end

  // ---------------------------------------------------------------- E: result stream
  assign res_valid_o = ready_q[e_ptr_q];
  assign free        = res_valid_o && res_ready_i;
  for (genvar e = 0; e < NumExperts; e++) begin : g_res_logit
    assign res_logits_o[e*ActBits +: ActBits] = logit_q[e_ptr_q][e];
  end
  assign res_idx_o   = {idx1_q[e_ptr_q], idx0_q[e_ptr_q]};
  assign res_p_o     = {p1_q[e_ptr_q], p0_q[e_ptr_q]};
  assign res_token_o = tok_q[e_ptr_q];
  assign res_last_o  = last_q[e_ptr_q];

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      used_q  <= '0;
      alloc_q <= '0;
      d_ptr_q <= '0;
      e_ptr_q <= '0;
    end else begin
      if (alloc && !free) begin
        used_q <= used_q + (SlotW+1)'(1);
      end else if (free && !alloc) begin
        used_q <= used_q - (SlotW+1)'(1);
      end
      if (alloc) alloc_q <= alloc_q + SlotW'(1);
      if (start) d_ptr_q <= d_ptr_q + SlotW'(1);
      if (free)  e_ptr_q <= e_ptr_q + SlotW'(1);
    end
  end

endmodule
