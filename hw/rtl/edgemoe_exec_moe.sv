// Executor of MOE_GATE (0x06) and EXPERTS (0x07) (docs/architecture.md, "Gate",
// "Dataflow of one backbone pass", "Field rules", open item 6; the interface
// contract of the top's executors). Bit-exact to edgemoe.driver.iss (Iss._moe_gate,
// Iss._experts) together with the pass server (edgemoe_exec_lin, which owns the
// cluster): this module computes nothing but the gate routing; every linear pass
// runs on the cluster through the pass port.
//
// ---------------------------------------------------------------- MOE_GATE
// Field checks (BAD_FIELD, before any request): A in {X, N, K, V, A}, B = C = 0,
// word 0 [31:20] = 0, word 1 (W offset of the gate record) 32-byte aligned, word 2
// [7:0] = T - 1 < 129 and [31:8] = 0, words 3..7 = 0. Then one pass: mode plain, no
// bias, K = 192, N = 16, T, weights at WBASE + word 1, source A (rows 0..T-1, chunk
// 0), dst 15 (the tap). The cluster's out beat of token t (16 lanes of MoeAccBits,
// the act logits sign-extended: linear_unit plain = golden gate_fixed's logits) is
// serialised one logit per cycle in expert order into moe_gate_softmax
// (RecipUnits = 2: one token per 16 cycles, which paces the cluster through the tap),
// whose results go to expert_queues and to the routing table (below). The command
// ends when the server's ps_done has come and the last token's result is in the
// queues; qcount_o (the per-expert counts) is updated then, so a failing MOE_GATE
// leaves the counts of the previous one (as the ISS).
//
// ---------------------------------------------------------------- EXPERTS
// Field checks: A in {N, K, V, A}, B = C = 0, word 0 [31:20] = 0, word 1 (W offset of
// the expert block) and word 2 (stride) 32-byte aligned, stride >= 297,216, words
// 3..7 = 0. No MOE_GATE since START / SOFT_RESET: nothing to do (done, ok). Else the
// queues' read-out (header beat per active expert, ascending, then its entries) fills
// the expert-entry table (two banks of up to 129 (token, score) entries: the next
// expert's entries load while the current expert's passes run), and per active
// expert e with n entries, in order (up to two requests in flight, below):
//   fc1: mode gelu, has_bias, K 192, N 384, T n, weights WBASE + word 1 + e x stride,
//        source A (gather: act row of pass token t = tt_tok(t)), dst H chunk 0 (rows
//        0..n-1);
//   fc2: mode scaled, has_bias, K 384, N 192, T n, weights right after fc1's 24
//        records (+148,992), source H chunk 0 (rows 0..n-1), dst X chunk 0 with
//        scatter (row tt_tok(t); side = X raw moe_acc of that row + score tt_score(t)).
// The ISS uses the record biases of both expert passes (has_bias = 1) and never the
// gate record's (has_bias = 0).
// The queues persist until the next MOE_GATE, START or SOFT_RESET (kill_i):
// expert_queues is read out (and emptied) by EXPERTS, so this module keeps each
// token's routing (two experts, two scores: 129 x 42 bits) of the last MOE_GATE and
// refills the queues from it when an EXPERTS follows another EXPERTS (2 to 3 cycles
// per token plus the 16-cycle scan; never in the backbone list).
//
// ---------------------------------------------------------------- errors
// done_o with err_o: 0x00, 0x02 BAD_FIELD (checks above), or the server's ps_err
// (0x06 BAD_IMAGE, 0x03 AXI_READ) of the first failing pass: the command ends at
// once (the RTL may have written part of X, H: the contract is the code and index).
// kill_i: synchronous reset of the whole executor (queues, routing, counts included).
//
// ---------------------------------------------------------------- ports
// Generic executor control (clk, rst, kill, go, cmd, wbase, busy, done, err); this
// executor has no buffer or read-engine ports. Pass port client (mirror of
// edgemoe_exec_lin's): ps_valid_o held until ps_ready_i, the request fields with it
// (the server latches them at the handshake; 0 while idle). EXPERTS makes its next
// request as soon as the previous one is taken, up to two passes without their
// ps_done_i (the server queues the second, loading its weights under the first, and
// answers ps_done_i in request order). Token table server: tt_re_i,
// tt_idx_i (pass token t) -> tt_tok_o, tt_score_o the cycle after (0 when no read was
// made), from the bank of the last accepted request (the server copies a request's
// table before it takes the next request). Tap consumer: tap_* (one beat per
// token, token index tap_tok_i). Every output but qcount_o is 0 while idle.
//
// ---------------------------------------------------------------- cycles
// MOE_GATE: go -> the request 4 cycles (decode, the 2-cycle local reset of softmax and
// queues); the softmax takes one token per 16 cycles, so the tap paces the cluster
// (12 cycles per token); done about 55 cycles after the last tap beat (the last
// token's result into the queues). sim/tb: 2,111 cycles go -> done with a pass server
// that answers at once (2,052 of them from the request to ps_done). In the top
// (tests/test_rtl_moe.py, layer 1 of the image): 2,771 cycles per MOE_GATE (the ISS /
// perf model: 2,335).
// EXPERTS: go -> first header 2 cycles (queues filled by MOE_GATE), the first expert's
// entries n + 2 cycles, then its fc1 request; each later request 2 cycles after the
// previous one is taken, once fewer than two are in flight and its expert's entries are
// in; done 2 cycles after the last ps_done. So each pass's first weight round loads
// under the pass before it: in the top (tests/test_rtl_moe.py, layer 1, 16 active experts)
// 86,682 cycles against the ISS / perf model's 88,839 (about 96,000 with one pass at a time).
module edgemoe_exec_moe
  import edgemoe_pkg::*;
(
  input  logic                     clk_i,
  input  logic                     rst_ni,
  input  logic                     kill_i,
  input  logic                     go_i,
  input  logic [7:0][31:0]         cmd_i,
  input  logic [63:0]              wbase_i,
  output logic                     busy_o,
  output logic                     done_o,
  output logic [7:0]               err_o,
  // pass port (client)
  output logic                     ps_valid_o,
  input  logic                     ps_ready_i,
  output logic [31:0]              ps_cmd_o,
  output logic [63:0]              ps_waddr_o,
  output logic [3:0]               ps_src_o,
  output logic [5:0]               ps_sc_o,
  output logic                     ps_gather_o,
  output logic [3:0]               ps_dst_o,
  output logic [5:0]               ps_dc_o,
  output logic                     ps_scatter_o,
  input  logic                     ps_done_i,
  input  logic [7:0]               ps_err_i,
  // expert-entry (token) table (server)
  input  logic                     tt_re_i,
  input  logic [7:0]               tt_idx_i,
  output logic [7:0]               tt_tok_o,
  output logic [PBits-1:0]         tt_score_o,
  // tap (the cluster's out beats of the gate pass)
  input  logic                     tap_valid_i,
  output logic                     tap_ready_o,
  input  logic [447:0]             tap_data_i,
  input  logic [7:0]               tap_tok_i,
  // queue lengths of the last MOE_GATE (QCOUNT0..3: expert 4r + i in byte i of QCOUNTr);
  // cleared by qclr_i (START, SOFT_RESET) only: they survive a run that stops with an error,
  // as the ISS's registers do
  input  logic                     qclr_i,
  output logic [15:0][7:0]         qcount_o
);

  localparam int unsigned E        = NumExperts;
  localparam int unsigned ExpIdW   = $clog2(NumExperts);
  localparam int unsigned TokBits  = $clog2(NumTokens);
  localparam int unsigned RdW      = 1 + TokBits + PBits;
  localparam int unsigned EntW     = TokBits + PBits;
  localparam int unsigned RtW      = TopK * (ExpIdW + PBits);
  localparam int unsigned D        = EmbedDim;
  localparam int unsigned Hd       = ExpertHidden;
  // bytes of one pass's slab records: ceil(N/16) x (64 + 16 x K/16 x 32)
  localparam int unsigned Fc1Bytes = ((Hd + 15) / 16) * (64 + 16 * (D / 16) * 32);   // 148,992
  localparam int unsigned ExpBytes = Fc1Bytes + ((D + 15) / 16) * (64 + 16 * (Hd / 16) * 32);  // 297,216
  localparam logic [7:0]  OpGate   = 8'h06;
  localparam logic [7:0]  ErrBadField = 8'h02;
  localparam logic [3:0]  BufX = 4'd0, BufN = 4'd1, BufK = 4'd3, BufV = 4'd4, BufA = 4'd5, BufH = 4'd6;
  localparam logic [3:0]  BufNone = 4'hF;
  localparam logic [2:0]  ModePlain = 3'd0, ModeGelu = 3'd1, ModeScaled = 3'd4;

  if (TopK != 2) begin : g_chk_topk
    $error("edgemoe_exec_moe: implements top-2");
  end
  if (MoeAccBits * 16 != 448 || TokBits != 8 || NumExperts != 16) begin : g_chk_ports
    $error("edgemoe_exec_moe: port widths assume 16 experts, 129 tokens, 28-bit moe_acc lanes");
  end

  function automatic logic [31:0] pass_cmd(logic [2:0] mode, logic bias, int unsigned k, int unsigned n,
                                           logic [7:0] tm1);
    return {tm1, 10'(n - 1), 10'(k - 1), bias, mode};
  endfunction

  // ---------------------------------------------------------------- control state
  typedef enum logic [3:0] {
    StIdle, StDecide, StGateReq, StGateRun, StFillRd, StFillWr, StExpRun, StFinish
  } state_e;
  state_e state_q;

  typedef enum logic [2:0] {IsWait, IsFc1, IsFc1W, IsFc2, IsFc2W} issue_e;
  issue_e is_q;

  logic              gate_q;         // the command is MOE_GATE (else EXPERTS)
  logic              bad_q;          // field check failed
  logic [3:0]        src_q;          // buffer A of the command
  logic [7:0]        tm1_q;          // MOE_GATE: T - 1
  logic [63:0]       base_q;         // WBASE + word 1
  logic [31:0]       stride_q;       // EXPERTS: word 2
  logic [7:0]        err_q;
  logic              done_q;
  logic              have_gate_q;    // a MOE_GATE completed since kill: routing table valid
  logic              qfull_q;        // expert_queues holds that gate's queues (not read out yet)
  logic [7:0]        gtm1_q;         // T - 1 of the last MOE_GATE (routing table rows)
  logic [E-1:0][7:0] cnt_q;          // counts being built by the running MOE_GATE
  logic [E-1:0][7:0] qcount_q;
  logic              psdone_q;       // the gate pass's ps_done came (ok)
  logic              lastres_q;      // the gate's last result is in the queues
  logic              clr_q;          // registered local reset of softmax and queues
  logic              clr2_q;         // clr_q one cycle later (the reset is applied then)
  logic              sub_rst_nq;

  // field checks of the descriptor at go (unused fields zero, buffer ids, alignment)
  logic [3:0]  f_a;
  logic        f_common, f_gate_ok, f_exp_ok, f_gate;
  assign f_a      = cmd_i[0][11:8];
  assign f_gate   = cmd_i[0][7:0] == OpGate;
  assign f_common = (cmd_i[0][31:12] == '0) && (cmd_i[1][4:0] == '0) && (cmd_i[3] == '0) &&
                    (cmd_i[4] == '0) && (cmd_i[5] == '0) && (cmd_i[6] == '0) && (cmd_i[7] == '0);
  assign f_gate_ok = f_common && (f_a == BufX || f_a == BufN || f_a == BufK || f_a == BufV || f_a == BufA) &&
                     (cmd_i[2][31:8] == '0) && (cmd_i[2][7:0] < 8'(NumTokens));
  assign f_exp_ok  = f_common && (f_a == BufN || f_a == BufK || f_a == BufV || f_a == BufA) &&
                     (cmd_i[2][4:0] == '0) && (cmd_i[2] >= 32'(ExpBytes));

  // ---------------------------------------------------------------- gate: tap -> serialiser -> softmax
  logic                       ser_full_q;
  logic [E*ActBits-1:0]       ser_q;          // the token's logits, expert ser_e_q in the low lane
  logic [E*ActBits-1:0]       tap_logits;     // the act code of each 28-bit tap lane (sign extension dropped)
  logic [ExpIdW-1:0]          ser_e_q;
  logic [TokBits-1:0]         ser_tok_q;
  logic                       lg_ready, lg_fire, lg_end;
  logic                       tap_fire;
  assign lg_fire     = ser_full_q && lg_ready;
  assign lg_end      = lg_fire && (ser_e_q == ExpIdW'(E - 1));
  assign tap_ready_o = (state_q == StGateRun) && (!ser_full_q || lg_end);
  assign tap_fire    = tap_valid_i && tap_ready_o;
  localparam int unsigned ExtW = MoeAccBits - ActBits;
  logic [E*ExtW-1:0] tap_upper;      // the sign extension of each lane: not needed
  for (genvar e = 0; e < E; e++) begin : g_tap
    assign tap_logits[e*ActBits +: ActBits] = tap_data_i[e*MoeAccBits +: ActBits];
    assign tap_upper[e*ExtW +: ExtW]        = tap_data_i[e*MoeAccBits + ActBits +: ExtW];
  end

  logic                          res_valid, res_ready, res_last, res_fire;
  logic [E*ActBits-1:0]          res_logits;
  logic [TopK*ExpIdW-1:0]        res_idx;
  logic [TopK*PBits-1:0]         res_p;
  logic [TokBits-1:0]            res_token;

  moe_gate_softmax #(.RecipUnits(2)) u_softmax (
    .clk_i       (clk_i),
    .rst_ni      (sub_rst_nq),
    .lg_valid_i  (ser_full_q),
    .lg_ready_o  (lg_ready),
    .lg_data_i   (ser_q[ActBits-1:0]),
    .lg_expert_i (ser_e_q),
    .lg_token_i  (ser_tok_q),
    .lg_last_i   (ser_tok_q == gtm1_q),
    .res_valid_o (res_valid),
    .res_ready_i (res_ready),
    .res_logits_o(res_logits),
    .res_idx_o   (res_idx),
    .res_p_o     (res_p),
    .res_token_o (res_token),
    .res_last_o  (res_last)
  );
  assign res_fire = res_valid && res_ready;

  // ---------------------------------------------------------------- queues (from the softmax or the routing table)
  logic                   q_valid, q_ready, q_last;
  logic [TopK*ExpIdW-1:0] q_idx;
  logic [TopK*PBits-1:0]  q_p;
  logic [TokBits-1:0]     q_token;
  logic                   rd_valid, rd_ready, rd_last, rd_fire;
  logic [RdW-1:0]         rd_data;
  logic                   meta_valid;
  logic [ExpIdW:0]        meta_len;
  logic [E*ExpIdW-1:0]    meta;
  logic [E*TokBits-1:0]   counts;

  // routing table: per token of the last MOE_GATE {p1, p0, idx1, idx0}
  logic [RtW-1:0]     rt_mem [NumTokens];
  logic [RtW-1:0]     rt_rdata_q;
  logic [TokBits-1:0] rf_t_q;

  assign res_ready = (state_q == StGateRun) && q_ready;
  assign q_valid   = (state_q == StGateRun) ? res_valid : (state_q == StFillWr);
  assign q_idx     = (state_q == StGateRun) ? res_idx : rt_rdata_q[TopK*ExpIdW-1:0];
  assign q_p       = (state_q == StGateRun) ? res_p : rt_rdata_q[RtW-1:TopK*ExpIdW];
  assign q_token   = (state_q == StGateRun) ? res_token : rf_t_q;
  assign q_last    = (state_q == StGateRun) ? res_last : (rf_t_q == gtm1_q);

  expert_queues #(.QDepth(QueueDepth)) u_queues (
    .clk_i       (clk_i),
    .rst_ni      (sub_rst_nq),
    .q_valid_i   (q_valid),
    .q_ready_o   (q_ready),
    .q_idx_i     (q_idx),
    .q_p_i       (q_p),
    .q_token_i   (q_token),
    .q_last_i    (q_last),
    .rd_valid_o  (rd_valid),
    .rd_ready_i  (rd_ready),
    .rd_data_o   (rd_data),
    .rd_last_o   (rd_last),
    .meta_valid_o(meta_valid),
    .meta_len_o  (meta_len),
    .meta_o      (meta),
    .counts_o    (counts)
  );

  always_ff @(posedge clk_i) begin
    if (res_fire) begin
      rt_mem[res_token] <= {res_p, res_idx};
    end
    if (state_q == StFillRd) begin
      rt_rdata_q <= rt_mem[rf_t_q];
    end
  end

  // ---------------------------------------------------------------- expert-entry table (two banks)
  logic [EntW-1:0]          ent_mem [2 * 256];
  logic [1:0]               full_q;          // bank holds a whole expert's entries
  logic [1:0][7:0]          bk_nm1_q;        // entries - 1
  logic [1:0][63:0]         bk_addr_q;       // fc1 weights
  logic                     wb_q;            // bank being loaded
  logic                     cb_q;            // bank of the next pass requests
  logic                     rb_q;            // bank of the oldest pass in flight (retired at its fc2's ps_done)
  logic                     rph_q;           // that pass: 0 fc1, 1 fc2
  logic                     tb_q;            // bank of the last accepted request (the token table served)
  logic [1:0]               out_q;           // requests made and not yet done (exec_lin queues a second one)
  logic [7:0]               ld_i_q, ld_nm1_q;
  logic [35:0]              ld_off_q;        // e x stride
  logic                     ld_done_q;       // the read-out's last beat came
  logic                     rd_hdr;
  logic [EntW-1:0]          tt_q;
  logic                     tt_vld_q;

  assign rd_ready = (state_q == StExpRun) && !full_q[wb_q] && !ld_done_q;
  assign rd_fire  = rd_valid && rd_ready;
  assign rd_hdr   = rd_data[RdW-1];

  always_ff @(posedge clk_i) begin
    if (rd_fire && !rd_hdr) begin
      ent_mem[{wb_q, ld_i_q}] <= rd_data[EntW-1:0];
    end
    if (tt_re_i) begin
      tt_q <= ent_mem[{tb_q, tt_idx_i}];
    end
  end
  assign tt_tok_o   = tt_vld_q ? tt_q[PBits +: TokBits] : '0;
  assign tt_score_o = tt_vld_q ? tt_q[PBits-1:0] : '0;

  // ---------------------------------------------------------------- pass requests
  typedef struct packed {
    logic [31:0] cmd;
    logic [63:0] waddr;
    logic [3:0]  src;
    logic        gather;
    logic [3:0]  dst;
    logic        scatter;
  } req_t;

  function automatic req_t mk_req(logic [31:0] c, logic [63:0] a, logic [3:0] s, logic g, logic [3:0] d,
                                  logic sc);
    req_t r;
    r.cmd = c; r.waddr = a; r.src = s; r.gather = g; r.dst = d; r.scatter = sc;
    return r;
  endfunction

  // e x stride as shifts and adds (e has 4 bits)
  // e x stride as one add of two partial products, each a 4:1 select of stride multiples
  // (0, 1, 2, 3 and 0, 4, 8, 12 x stride; 3 x stride registered: stride3_q), 300 MHz
  logic [33:0] stride3_q;
  always_ff @(posedge clk_i) stride3_q <= {2'b0, stride_q} + {1'b0, stride_q, 1'b0};
  function automatic logic [35:0] times_e(logic [3:0] e, logic [31:0] stride, logic [33:0] stride3);
    logic [35:0] lo, hi;
    unique case (e[1:0])
      2'd0:    lo = '0;
      2'd1:    lo = 36'(stride);
      2'd2:    lo = 36'({stride, 1'b0});
      default: lo = 36'(stride3);
    endcase
    unique case (e[3:2])
      2'd0:    hi = '0;
      2'd1:    hi = 36'({stride, 2'b0});
      2'd2:    hi = {1'b0, stride, 3'b0};
      default: hi = {stride3, 2'b0};
    endcase
    return lo + hi;
  endfunction
  if (ExpIdW != 4) begin : g_expid_check
    $error("edgemoe_exec_moe: times_e is written for 16 experts");
  end

  // one request: valid until the handshake, fields until the pass's ps_done (0 otherwise)
  logic ps_valid_q, ps_hold_q;
  req_t ps_q;
  assign ps_valid_o   = ps_valid_q;
  assign ps_cmd_o     = ps_hold_q ? ps_q.cmd : '0;
  assign ps_waddr_o   = ps_hold_q ? ps_q.waddr : '0;
  assign ps_src_o     = ps_hold_q ? ps_q.src : '0;
  assign ps_dst_o     = ps_hold_q ? ps_q.dst : '0;
  assign ps_gather_o  = ps_hold_q && ps_q.gather;
  assign ps_scatter_o = ps_hold_q && ps_q.scatter;
  assign ps_sc_o      = '0;      // every pass of this executor starts at chunk 0
  assign ps_dc_o      = '0;

  // ---------------------------------------------------------------- main FSM
  always_ff @(posedge clk_i) begin
    if (!rst_ni || kill_i) begin
      state_q <= StIdle;
      is_q <= IsWait;
      gate_q <= 1'b0; bad_q <= 1'b0; src_q <= '0; tm1_q <= '0; base_q <= '0; stride_q <= '0;
      err_q <= '0; done_q <= 1'b0;
      have_gate_q <= 1'b0; qfull_q <= 1'b0; gtm1_q <= '0;
      cnt_q <= '0;
      psdone_q <= 1'b0; lastres_q <= 1'b0;
      clr_q <= 1'b1;
      ser_full_q <= 1'b0; ser_q <= '0; ser_e_q <= '0; ser_tok_q <= '0;
      rf_t_q <= '0;
      full_q <= '0; bk_nm1_q <= '0; bk_addr_q <= '0;
      wb_q <= 1'b0; cb_q <= 1'b0; rb_q <= 1'b0; rph_q <= 1'b0; tb_q <= 1'b0; out_q <= '0; ld_i_q <= '0; ld_nm1_q <= '0; ld_off_q <= '0;
      ld_done_q <= 1'b0;
      tt_vld_q <= 1'b0;
      ps_valid_q <= 1'b0; ps_hold_q <= 1'b0; ps_q <= '0;
    end else begin
      done_q <= 1'b0;
      clr_q  <= 1'b0;
      tt_vld_q <= tt_re_i && (state_q == StExpRun);
      if (ps_valid_q && ps_ready_i) begin
        ps_valid_q <= 1'b0;
        tb_q       <= cb_q;
      end

      unique case (state_q)
        StIdle: begin
          err_q <= '0;
          if (go_i) begin
            gate_q   <= f_gate;
            bad_q    <= !(f_gate ? f_gate_ok : f_exp_ok);
            src_q    <= f_a;
            tm1_q    <= cmd_i[2][7:0];
            base_q   <= wbase_i + 64'(cmd_i[1]);
            stride_q <= cmd_i[2];
            state_q  <= StDecide;
          end
        end

        StDecide: begin
          if (bad_q) begin
            err_q   <= ErrBadField;
            state_q <= StFinish;
          end else if (gate_q) begin
            // the queues of an earlier MOE_GATE are replaced: reset softmax and queues
            clr_q       <= 1'b1;
            have_gate_q <= 1'b0;
            qfull_q     <= 1'b0;
            gtm1_q      <= tm1_q;
            cnt_q       <= '0;
            psdone_q    <= 1'b0;
            lastres_q   <= 1'b0;
            state_q     <= StGateReq;
          end else if (!have_gate_q) begin
            state_q <= StFinish;                   // no MOE_GATE yet: nothing to do
          end else begin
            full_q    <= '0;
            wb_q      <= 1'b0;
            cb_q      <= 1'b0;
            rb_q      <= 1'b0;
            rph_q     <= 1'b0;
            out_q     <= '0;
            ld_i_q    <= '0;
            ld_done_q <= 1'b0;
            is_q      <= IsWait;
            if (qfull_q) begin
              state_q <= StExpRun;
            end else begin
              clr_q   <= 1'b1;                     // empty queues, then refill from the routing table
              rf_t_q  <= '0;
              state_q <= StFillRd;
            end
          end
        end

        StGateReq: begin
          if (!clr_q && !clr2_q) begin
            ps_valid_q <= 1'b1;
            ps_hold_q  <= 1'b1;
            ps_q       <= mk_req(pass_cmd(ModePlain, 1'b0, D, E, tm1_q), base_q, src_q, 1'b0, BufNone, 1'b0);
            state_q <= StGateRun;
          end
        end

        StGateRun: begin
          // serialiser: a tap beat is taken when the register is empty or its last logit leaves
          if (tap_fire) begin
            ser_full_q <= 1'b1;
            ser_q      <= tap_logits;
            ser_e_q    <= '0;
            ser_tok_q  <= tap_tok_i;
          end else if (lg_fire) begin
            ser_q   <= {(ActBits)'(0), ser_q[E*ActBits-1:ActBits]};
            ser_e_q <= ser_e_q + ExpIdW'(1);
            if (lg_end) ser_full_q <= 1'b0;
          end
          if (res_fire) begin
            cnt_q[res_idx[0 +: ExpIdW]]      <= cnt_q[res_idx[0 +: ExpIdW]] + 8'd1;
            cnt_q[res_idx[ExpIdW +: ExpIdW]] <= cnt_q[res_idx[ExpIdW +: ExpIdW]] + 8'd1;
            if (res_last) lastres_q <= 1'b1;
          end
          if (ps_done_i) begin
            ps_hold_q <= 1'b0;
            if (ps_err_i != '0) begin
              err_q   <= ps_err_i;
              clr_q   <= 1'b1;
              state_q <= StFinish;
            end else begin
              psdone_q <= 1'b1;
            end
          end
          if (psdone_q && lastres_q) begin
            have_gate_q <= 1'b1;
            qfull_q     <= 1'b1;
            state_q     <= StFinish;
          end
        end

        StFillRd: begin
          if (!clr_q && !clr2_q) state_q <= StFillWr;
        end

        StFillWr: begin
          if (q_ready) begin
            if (rf_t_q == gtm1_q) begin
              qfull_q <= 1'b1;
              state_q <= StExpRun;
            end else begin
              rf_t_q  <= rf_t_q + TokBits'(1);
              state_q <= StFillRd;
            end
          end
        end

        StExpRun: begin
          // loader: read-out beats into bank wb_q
          if (rd_fire) begin
            if (rd_hdr) begin
              ld_nm1_q <= rd_data[TokBits-1:0] - 8'd1;
              ld_i_q   <= '0;
              ld_off_q <= times_e(rd_data[TokBits +: ExpIdW], stride_q, stride3_q);
            end else begin
              ld_i_q <= ld_i_q + 8'd1;
              if (ld_i_q == ld_nm1_q) begin
                full_q[wb_q]    <= 1'b1;
                bk_nm1_q[wb_q]  <= ld_nm1_q;
                bk_addr_q[wb_q] <= base_q + 64'(ld_off_q);
                wb_q            <= !wb_q;
              end
            end
            if (rd_last) ld_done_q <= 1'b1;
          end
          // pass requests of bank cb_q (fc1, fc2), up to two in flight: exec_lin loads the next
          // pass's weights while the current one computes
          if (ps_done_i) begin
            out_q <= out_q - 2'd1 + 2'((is_q == IsFc1 || is_q == IsFc2) ? 1 : 0);
            if (ps_err_i != '0) begin
              err_q   <= ps_err_i;
              qfull_q <= 1'b0;
              state_q <= StFinish;
            end else if (!rph_q) begin
              rph_q <= 1'b1;
            end else begin
              rph_q        <= 1'b0;
              full_q[rb_q] <= 1'b0;
              rb_q         <= !rb_q;
            end
          end else if (is_q == IsFc1 || is_q == IsFc2) begin
            out_q <= out_q + 2'd1;
          end
          unique case (is_q)
            IsWait: begin
              if (full_q[cb_q] && !ps_valid_q && out_q != 2'd2) begin
                is_q <= IsFc1;
              end else if (ld_done_q && full_q == '0) begin
                qfull_q <= 1'b0;               // read out: a further EXPERTS refills the queues
                state_q <= StFinish;
              end
            end
            IsFc1: begin
              ps_valid_q <= 1'b1;
              ps_hold_q  <= 1'b1;
              ps_q       <= mk_req(pass_cmd(ModeGelu, 1'b1, D, Hd, bk_nm1_q[cb_q]), bk_addr_q[cb_q], src_q, 1'b1,
                                   BufH, 1'b0);
              is_q <= IsFc1W;
            end
            IsFc1W: begin
              if (!ps_valid_q && out_q != 2'd2) is_q <= IsFc2;
            end
            IsFc2: begin
              ps_valid_q <= 1'b1;
              ps_hold_q  <= 1'b1;
              ps_q       <= mk_req(pass_cmd(ModeScaled, 1'b1, Hd, D, bk_nm1_q[cb_q]),
                                   bk_addr_q[cb_q] + 64'(Fc1Bytes), BufH, 1'b0, BufX, 1'b1);
              is_q <= IsFc2W;
            end
            IsFc2W: begin
              if (!ps_valid_q) begin
                cb_q <= !cb_q;
                is_q <= IsWait;
              end
            end
            default: is_q <= IsWait;
          endcase
        end

        StFinish: begin
          done_q     <= 1'b1;
          ser_full_q <= 1'b0;
          ps_valid_q <= 1'b0;
          ps_hold_q  <= 1'b0;
          is_q       <= IsWait;
          state_q    <= StIdle;
        end

        default: state_q <= StIdle;
      endcase
    end
  end

  // local reset of the softmax and the queues: kill, a new MOE_GATE, a refill
  always_ff @(posedge clk_i) begin
    sub_rst_nq <= rst_ni && !kill_i && !clr_q;
    clr2_q     <= !rst_ni || kill_i || clr_q;
  end

  assign busy_o   = (state_q != StIdle) || go_i;
  assign done_o   = done_q;
  assign err_o    = done_q ? err_q : '0;
  always_ff @(posedge clk_i) begin
    if (!rst_ni || qclr_i) qcount_q <= '0;
    else if (!kill_i && state_q == StGateRun && psdone_q && lastres_q) qcount_q <= cnt_q;
  end
  assign qcount_o = qcount_q;

  // status of the queue module and the logits of the results: not needed here
  logic unused;
  assign unused = ^{res_logits, tap_upper, meta_valid, meta_len, meta, counts};

endmodule
