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
// core 16 cycles: one token per NumExperts cycles. The exps land in a per-slot
// buffer (e, grow flag).
// The sum update S <- f(S, e) is a two-cycle loop (S -> DSP multiply-add -> P
// register -> select -> S; the add path S + e beside it), so two tokens share it,
// interleaved: two sum contexts take the tokens in slot order and step in
// alternate cycles, each token's 15 steps in expert order (the golden's order,
// unchanged), one step per two cycles; together they sustain one token per 15
// cycles. The grow step folds the +2^17 into the rounding constant,
// round_shift(S e, 17) + 2^17 = (S e + 2^16 + 2^34) >> 17 (a multiply-add in one
// DSP48E2), and takes e < 2^17 (17 bits); e = 2^17 (S e rounds to S) and a
// token's first step (S = 2^17: the result is 2^17 + e either way) take the add
// path S + e. Both saturate to sum's maximum.
// The reciprocal is iterative (RecipCycles = 25 cycles per sum, recip_core);
// RecipUnits cores take tokens in turn, so the stage sustains one token per
// max(NumExperts, ceil(RecipCycles / RecipUnits)) cycles; p0 and p1 follow in a
// 3-cycle pipeline (selected reciprocal, DSP product, write), then the result moves
// into the output register (res_* from flops).
// Latency, a token's first logit accepted to its result beat (res_valid_o), logits one
// per cycle, no backpressure:
//   1 + ExpLat + 2          argument register, exp_core, buffer write: step 1 issues
//   + 2 (NumExperts - 2)    steps 2 .. 15, one per two cycles
//   + 4                     issue, multiply / add, the sum closes, the start decision
//                           (the divider's operand register)
//   + RecipCycles + 4       recip_core, the score pipeline (d1, d2, write), the
//                           output register
//   = 74 cycles (59 after its last logit), one more when the context free for the
//   token is off phase (it issues in the other cycle parity).
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
  localparam int unsigned ExpLat      = 10;      // exp_core's ExpLatency: its 300 MHz form (see its header)
  // Slots cover the 74-75-cycle first-logit-to-result latency at 16 cycles per token
  // (about 5 tokens in flight) with room for the result stream to wait.
  localparam int unsigned NSlots      = 8;
  localparam int unsigned SlotW       = $clog2(NSlots);
  localparam int unsigned UnitW       = 1;
  localparam int unsigned DiffW       = ActBits + 1;
  localparam int unsigned PShift      = EFrac + RFrac - PFrac;   // 25
  localparam int unsigned SProdW      = SumBits + EFrac;         // S (25 b) x e < 2^17 (17 b)
  localparam int unsigned PProdW      = RBits + EFrac;           // r (25 b) x e1 < 2^17 (17 b)

  if (TopK != 2) begin : g_chk_topk
    $error("moe_gate_softmax: implements top-2");
  end
  if (RecipUnits < 1 || RecipUnits > 2) begin : g_chk_units
    $error("moe_gate_softmax: RecipUnits must be 1 or 2");
  end

  // ---------------------------------------------------------------- slot bookkeeping
  // used_q slots hold a token; full_q = (used_q == NSlots), kept as its own register
  // (set by an allocation into the last free slot), so lg_ready_o follows registers only.
  logic [SlotW:0]   used_q;
  logic [SlotW-1:0] alloc_q, d_ptr_q, e_ptr_q;
  logic             full_q;
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
  assign lg_ready_o = !lg_first || !full_q;
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

  // Per-slot token data: no reset (qualified by the slot's flags).
  logic [NumExperts*ActBits-1:0] head_logits;   // the logits of slot e_ptr_q
  logic [ExpIdW-1:0]         idx0_q [NSlots];
  logic [ExpIdW-1:0]         idx1_q [NSlots];
  logic [TokBits-1:0]        tok_q  [NSlots];
  logic                      last_q [NSlots];
  logic [SlotW-1:0]          cur_slot;
  assign cur_slot = lg_first ? alloc_q : b_slot_q;

  // Exp issue: the p1 exp when pending (that cycle never carries a j > 0 logit),
  // else a running-sum step for every logit j > 0.
  logic              iss_vld, iss_p1;
  logic [SlotW-1:0]  iss_slot;
  logic [ExpIdW-1:0] iss_j;
  assign iss_p1    = p1_pend_q;
  assign iss_vld   = p1_pend_q || (lg_fire && !lg_first);
  assign iss_slot  = p1_pend_q ? p1_slot_q : b_slot_q;
  assign iss_j     = lg_expert_i;

  // Exp argument register and the tag pipeline beside exp_core: bit/entry k of a
  // tag describes the argument issued k cycles ago (k = 0: the one in x_d_q).
  logic signed [ActBits-1:0]      x_d_q;
  logic [ExpLat:0]                t_vld_q, t_p1_q, t_grow_q;
  logic [ExpLat:0][SlotW-1:0]     t_slot_q;
  logic [ExpLat:0][ExpIdW-1:0]    t_j_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      t_vld_q   <= '0;
    end else begin
      t_vld_q   <= {t_vld_q[ExpLat-1:0], iss_vld};
    end
  end
  always_ff @(posedge clk_i) begin
    x_d_q     <= darg_sat;
    t_p1_q    <= {t_p1_q[ExpLat-1:0], iss_p1};
    t_grow_q  <= {t_grow_q[ExpLat-1:0], grow && !iss_p1};
    t_slot_q  <= {t_slot_q[ExpLat-1:0], iss_slot};
    t_j_q     <= {t_j_q[ExpLat-1:0], iss_j};
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      m_q <= '0; b1v_q <= '0; b2v_q <= '0; b1i_q <= '0; b2i_q <= '0; b2ok_q <= 1'b0;
      b_slot_q <= '0; p1_slot_q <= '0; p1_pend_q <= 1'b0;
    end else begin
      if (p1_pend_q) begin
        p1_pend_q <= 1'b0;
      end
      if (lg_fire) begin
        if (lg_first) begin
          b_slot_q <= alloc_q;
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

  always_ff @(posedge clk_i) begin
    if (p1_pend_q) begin
      idx0_q[p1_slot_q] <= b1i_q;
      idx1_q[p1_slot_q] <= b2i_q;
    end
    if (lg_fire) begin
      if (lg_first) begin
        tok_q[alloc_q]  <= lg_token_i;
        last_q[alloc_q] <= lg_last_i;
      end
    end
  end

  // One small memory per expert (NSlots logits; distributed RAM), read at the head slot.
  for (genvar e = 0; e < NumExperts; e++) begin : g_lmem
    logic signed [ActBits-1:0] mem [NSlots];
    always_ff @(posedge clk_i) begin
      if (lg_fire && lg_expert_i == ExpIdW'(e)) mem[cur_slot] <= lg_data_i;
    end
    assign head_logits[e*ActBits +: ActBits] = mem[e_ptr_q];
  end

  logic [EBits-1:0] e_out;
  exp_core #(.Latency(ExpLat)) u_exp (
    .clk_i (clk_i),
    .rst_ni(rst_ni),
    .en_i  (1'b1),
    .d_i   (x_d_q),
    .e_o   (e_out)
  );

  // ---------------------------------------------------------------- C: exp buffer, interleaved running sums
  // Buffer entry {slot, j} holds step j's {grow, e} (j = 1..15; entry 0 unused). The
  // steps are written in order, token after token: (w_slot_q, w_j_q) is the last one
  // written, so a slot other than w_slot_q holds all its steps. ne_q[s]: slot s has
  // step 1 (cleared when its sum closes).
  localparam logic [SumBits-1:0] One = SumBits'(1) << SumFrac;
  localparam int unsigned        BufAW = SlotW + ExpIdW;
  // round_shift(S e, 17) + 2^17 = (S e + 2^16 + 2^34) >> 17 = ((S e >> 16) + GrowK) >> 1
  localparam logic [SumBits+1:0] GrowK = (SumBits+2)'(1) + ((SumBits+2)'(One) << 1);
  logic [EBits:0]    ebuf_q [NSlots*NumExperts];
  logic [SlotW-1:0]  w_slot_q;
  logic [ExpIdW-1:0] w_j_q;
  logic              ne_q   [NSlots];
  logic [EBits-1:0]  e1_q   [NSlots];
  logic              ewr;
  assign ewr = t_vld_q[ExpLat] && !t_p1_q[ExpLat];
  always_ff @(posedge clk_i) begin
    if (ewr) ebuf_q[{t_slot_q[ExpLat], t_j_q[ExpLat]}] <= {t_grow_q[ExpLat], e_out};
    if (t_vld_q[ExpLat] && t_p1_q[ExpLat]) e1_q[t_slot_q[ExpLat]] <= e_out;
  end

  // Two sum contexts; context k issues in the cycles with ph_q == k. The loop's
  // state lives in the ring s_q -> (p_q, a_q) -> s_q: s_q holds, in turn, the sum of
  // the context that issued in the previous cycle.
  logic              ph_q;
  logic [1:0]        c_act_q;
  logic [SlotW-1:0]  c_slot_q [2];
  logic [ExpIdW-1:0] c_j_q    [2];
  logic [SlotW-1:0]  c_ptr_q;
  logic              c_grab_q, c_grab_nxt, c_vld, c_last;
  logic [1:0]        c_av_q, c_av_nxt;
  logic [SlotW-1:0]  c_slot, c_ptr_nxt;
  logic [ExpIdW-1:0] c_j;
  logic [EBits:0]    c_rd;
  // Both decisions are made one cycle ahead, registered, for the context that issues
  // next (its state is stable in the cycle before): an idle context takes the next slot
  // in order once its step 1 is buffered (counting the write of this cycle: c_grab_q is
  // exactly what the test would give a cycle later); an active one steps when its next
  // exp is buffered (c_av_q; an exp written in that very cycle waits one round).
  for (genvar k = 0; k < 2; k++) begin : g_av
    assign c_av_nxt[k] = c_act_q[k] && ((c_slot_q[k] != w_slot_q) || (w_j_q >= c_j_q[k]));
  end
  assign c_ptr_nxt  = c_ptr_q + SlotW'(c_grab_q);
  assign c_grab_nxt = !c_act_q[!ph_q] && (ne_q[c_ptr_nxt] || (ewr && t_slot_q[ExpLat] == c_ptr_nxt));
  assign c_slot = c_grab_q ? c_ptr_q : c_slot_q[ph_q];
  assign c_j    = c_grab_q ? ExpIdW'(1) : c_j_q[ph_q];
  assign c_vld  = c_grab_q || c_av_q[ph_q];
  assign c_last = c_j == ExpIdW'(NumExperts - 1);
  assign c_rd   = ebuf_q[BufAW'({c_slot, c_j})];

  // Issue register (a step that is not valid passes the sum through: e = 0, no grow).
  logic              i_vld_q, i_first_q, i_last_q;
  logic [EBits:0]    i_rd_q;     // the buffer entry, qualified by i_vld_q
  logic [EBits-1:0]  i_e;
  logic              i_grow;
  assign i_e    = i_vld_q ? i_rd_q[EBits-1:0] : '0;
  assign i_grow = i_vld_q && i_rd_q[EBits];
  logic [SlotW-1:0]  i_slot_q;
  // Stage 1: the DSP multiply-add and the add path.
  logic [SProdW-1:0] p_q;          // S e < 2^42 (the DSP48E2's P register)
  logic [SumBits+1:0] g_sum;       // (S e >> 16) + GrowK < 2^27
  logic              unused_p;
  assign unused_p = ^{p_q[EFrac-2:0], g_sum[0]};
  logic [SumBits:0]  a_q;
  logic              g_q, v1_q, l1_q;
  logic [SlotW-1:0]  sl1_q;
  logic [SumBits-1:0] s_q, s_next;
  logic [SumBits-1:0] ssum_q [NSlots];   // flops (reset), not LUTRAM: it feeds the divider's first step
  logic               wait_q     [NSlots];   // sum closed, divider not started
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      ph_q    <= 1'b0;
      c_act_q <= '0;
      c_av_q  <= '0;
      c_grab_q <= 1'b0;
      c_ptr_q <= '0;
      i_vld_q <= 1'b0;
      v1_q    <= 1'b0;
      for (int k = 0; k < 2; k++) begin
        c_slot_q[k] <= '0; c_j_q[k] <= '0;
      end
    end else begin
      ph_q    <= !ph_q;
      if (c_grab_q) begin
        c_act_q[ph_q]  <= 1'b1;
        c_slot_q[ph_q] <= c_ptr_q;
      end
      c_ptr_q  <= c_ptr_nxt;
      c_grab_q <= c_grab_nxt;
      if (c_vld) begin
        c_j_q[ph_q] <= c_j + ExpIdW'(1);
        if (c_last) c_act_q[ph_q] <= 1'b0;
      end
      i_vld_q <= c_vld;
      c_av_q  <= c_av_nxt;
      v1_q    <= i_vld_q;
    end
  end
  always_ff @(posedge clk_i) begin
    i_first_q <= c_vld && (c_j == ExpIdW'(1));
    i_last_q  <= c_last;
    i_rd_q    <= c_rd;
    i_slot_q  <= c_slot;
    // grow with e < 2^17: S e (rounded in the next cycle); else S + e (S = 2^17 on the first step)
    p_q   <= SProdW'(s_q) * SProdW'(i_e[EFrac-1:0]);
    a_q   <= (SumBits+1)'(i_first_q ? One : s_q) + (SumBits+1)'(i_e);
    g_q   <= i_grow && !i_first_q && !i_e[EFrac];
    l1_q  <= i_last_q;
    sl1_q <= i_slot_q;
    s_q   <= s_next;
  end
  assign g_sum  = (SumBits+2)'(p_q[SProdW-1:EFrac-1]) + GrowK;
  assign s_next = g_q ? (g_sum[SumBits+1] ? {SumBits{1'b1}} : g_sum[SumBits:1])
                     : (a_q[SumBits] ? {SumBits{1'b1}} : a_q[SumBits-1:0]);

  // ---------------------------------------------------------------- D: reciprocal units, scores
  logic [RecipUnits-1:0] u_start, u_busy, u_done;
  logic [RBits-1:0]      u_r    [RecipUnits];
  logic [SlotW-1:0]      u_slot_q [RecipUnits];
  logic [UnitW-1:0]      rr_q;
  logic                  start;
  logic                  st_q;          // a unit starts in this cycle (decided in the last)
  logic [UnitW-1:0]      st_u_q;
  logic [SlotW-1:0]      st_slot_q;
  logic [SumBits-1:0]    st_s_q;        // its sum, from a flop (the divider's first step)
  logic [SlotW:0]        nready_q;      // scored slots not yet moved to the output
  // The sums close, the units start and finish, and the scores are written in slot
  // order (the units take turns and the same time), so counters tell the state.
  // recip_core's busy_o is low on the edge that can take a start, including its
  // done cycle, so units run back to back. A start is decided one cycle ahead (st_q:
  // no decision in that cycle); wait_q clears at the decision, so d_ptr_q never
  // restarts a slot after it has gone once round the ring.
  assign start = wait_q[d_ptr_q] && !u_busy[rr_q] && !st_q;
  for (genvar u = 0; u < RecipUnits; u++) begin : g_recip
    assign u_start[u] = st_q && (st_u_q == UnitW'(u));
    recip_core u_recip (
      .clk_i  (clk_i),
      .rst_ni (rst_ni),
      .start_i(u_start[u]),
      .s_i    (st_s_q),
      .busy_o (u_busy[u]),
      .done_o (u_done[u]),
      .r_o    (u_r[u])
    );
  end

  // Units start in different cycles and take the same time, so at most one is done.
  logic [RBits-1:0]   r_sel;
  logic [SlotW-1:0]   done_slot;
  logic               done_any;
  always_comb begin
    r_sel = '0; done_slot = '0; done_any = 1'b0;
    for (int u = 0; u < RecipUnits; u++) begin
      if (u_done[u]) begin
        r_sel = u_r[u]; done_slot = u_slot_q[u]; done_any = 1'b1;
      end
    end
  end
  // Score pipeline: d1 the selected reciprocal and e1, d2 the products, then the write.
  // p0: EXP(0) * r = 2^17 r, so round_shift(2^17 r, 25) = round_shift(r, 8). Both <= 2^16.
  // p1 with e1 = 2^17 (l_i1 = m) is p0 as well; else e1 < 2^17 (17 bits, one DSP48E2).
  logic               d1_vld_q, d2_vld_q;
  logic [RBits-1:0]   r_d1_q;
  logic [EBits-1:0]   e1_d1_q;
  logic [SlotW-1:0]   sl_d1_q, sl_d2_q;
  logic [PProdW-1:0]  pp_d2_q;      // r e1 < 2^42
  logic [PBits-1:0]   p1_rnd;       // (r e1 >> 25) + bit 24
  logic               unused_pp;
  assign unused_pp = ^pp_d2_q[PShift-2:0];
  logic [PBits-1:0]   p0_calc, p0_d2_q, p1_calc;
  logic               one_d2_q;
  assign p0_calc = PBits'((RBits'(r_d1_q) + RBits'(1 << (PShift - EFrac - 1))) >> (PShift - EFrac));
  // round_shift(r e1, 25) = (r e1 >> 25) + bit 24 (at most 2^16: 17 bits)
  assign p1_rnd  = pp_d2_q[PProdW-1:PShift] + PBits'(pp_d2_q[PShift-1]);
  assign p1_calc = one_d2_q ? p0_d2_q : p1_rnd;
  always_ff @(posedge clk_i) begin
    st_u_q    <= rr_q;
    st_slot_q <= d_ptr_q;
    st_s_q    <= ssum_q[d_ptr_q];
    r_d1_q   <= r_sel;
    e1_d1_q  <= e1_q[done_slot];
    sl_d1_q  <= done_slot;
    pp_d2_q  <= PProdW'(r_d1_q) * PProdW'(e1_d1_q[EFrac-1:0]);
    p0_d2_q  <= p0_calc;
    one_d2_q <= e1_d1_q[EFrac];
    sl_d2_q  <= sl_d1_q;
  end

  logic [PBits-1:0] p0_q [NSlots];
  logic [PBits-1:0] p1_q [NSlots];
  always_ff @(posedge clk_i) begin
    if (d2_vld_q) begin
      p0_q[sl_d2_q] <= p0_d2_q;
      p1_q[sl_d2_q] <= p1_calc;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rr_q <= '0;
      st_q <= 1'b0;
      nready_q <= '0;
      w_slot_q <= '0;
      w_j_q    <= '0;
      d1_vld_q <= 1'b0;
      d2_vld_q <= 1'b0;
      for (int u = 0; u < RecipUnits; u++) u_slot_q[u] <= '0;
      for (int s = 0; s < NSlots; s++) begin
        ne_q[s] <= 1'b0; ssum_q[s] <= '0; wait_q[s] <= 1'b0;
      end
    end else begin
      // C: a step's exp is buffered; a context's last step closes the slot's sum
      if (ewr) begin
        w_slot_q               <= t_slot_q[ExpLat];
        w_j_q                  <= t_j_q[ExpLat];
        ne_q[t_slot_q[ExpLat]] <= 1'b1;
      end
      if (v1_q && l1_q) begin
        ssum_q[sl1_q]     <= s_next;
        wait_q[sl1_q]     <= 1'b1;
        ne_q[sl1_q]       <= 1'b0;
      end
      // D: start the next unit in turn on the oldest finished sum
      for (int u = 0; u < RecipUnits; u++) begin
        if (u_start[u]) u_slot_q[u] <= st_slot_q;
      end
      st_q <= start;
      if (start) begin
        wait_q[d_ptr_q] <= 1'b0;
        rr_q <= (rr_q == UnitW'(RecipUnits - 1)) ? '0 : rr_q + UnitW'(1);
      end
      d1_vld_q <= done_any;
      d2_vld_q <= d1_vld_q;
      // E: a slot is free once its result is in the output register
      if (d2_vld_q && !free) begin
        nready_q <= nready_q + (SlotW+1)'(1);
      end else if (free && !d2_vld_q) begin
        nready_q <= nready_q - (SlotW+1)'(1);
      end
    end
  end

  // ---------------------------------------------------------------- E: result stream
  // The oldest finished slot moves into the output register (and is free again) when
  // the register is empty or being read: res_* come from flops.
  logic                          res_v_q;
  logic [NumExperts*ActBits-1:0] res_logits_q;
  logic [TopK*ExpIdW-1:0]        res_idx_q;
  logic [TopK*PBits-1:0]         res_p_q;
  logic [TokBits-1:0]            res_tok_q;
  logic                          res_last_q;
  assign free = (nready_q != '0) && (!res_v_q || res_ready_i);
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      res_v_q <= 1'b0;
    end else if (free) begin
      res_v_q <= 1'b1;
    end else if (res_ready_i) begin
      res_v_q <= 1'b0;
    end
  end
  always_ff @(posedge clk_i) begin
    if (free) begin
      res_logits_q <= head_logits;
      res_idx_q  <= {idx1_q[e_ptr_q], idx0_q[e_ptr_q]};
      res_p_q    <= {p1_q[e_ptr_q], p0_q[e_ptr_q]};
      res_tok_q  <= tok_q[e_ptr_q];
      res_last_q <= last_q[e_ptr_q];
    end
  end
  assign res_valid_o  = res_v_q;
  assign res_logits_o = res_logits_q;
  assign res_idx_o    = res_idx_q;
  assign res_p_o      = res_p_q;
  assign res_token_o  = res_tok_q;
  assign res_last_o   = res_last_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      used_q  <= '0;
      full_q  <= 1'b0;
      alloc_q <= '0;
      d_ptr_q <= '0;
      e_ptr_q <= '0;
    end else begin
      if (alloc && !free) begin
        used_q <= used_q + (SlotW+1)'(1);
        full_q <= (used_q == (SlotW+1)'(NSlots - 1));
      end else if (free && !alloc) begin
        used_q <= used_q - (SlotW+1)'(1);
        full_q <= 1'b0;
      end
      if (alloc) alloc_q <= alloc_q + SlotW'(1);
      if (free)  e_ptr_q <= e_ptr_q + SlotW'(1);
      if (start) d_ptr_q <= d_ptr_q + SlotW'(1);
    end
  end

endmodule
