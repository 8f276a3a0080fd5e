// Attention of one head with the reordered schedule of technique 1 (docs/numerics.md
// "Attention", edgemoe.golden.attention.attention_schedule), bit-exact to
// attention_fixed: for every query row i,
//   s[i,j] = sat_act(round_shift(sum_d q[i,d] k[j,d], 15))                (attn_dot)
//   (m_i, r_i) = running softmax statistics of row i in key order         (softmax_stats)
//   p[i,j] = round_shift(EXP(s[i,j] - m_i) * r_i, 25)                     (formed on the fly)
//   o[i,d] = sat_act(round_shift(sum_j p[i,j] v[j,d], 16))
//
// Schedule. The Tokens query rows form Groups = ceil(Tokens / P) groups of P rows
// (the last one has LastRows = Tokens - (Groups-1) P rows). For each group, K is
// streamed once (rows 0..Tokens-1; P scores per row, running statistics updated,
// scores kept on chip), then V once (rows 0..Tokens-1; A.V for the P rows). The next
// group's query rows are loaded into the second query bank during the first rows of
// the current group's K phase (a group's loading starts only once the previous
// group's first K row is due, k_ready_o at column 0: with K always valid exactly as
// attention_schedule fetches them; q_ready_o never depends on k_valid_i). k_ready_o
// and v_ready_o are never high together: at most one K/V row (and at most one Q row)
// is read per cycle whatever P is. Heads are sequenced by the host: after the last
// group of a head the unit expects the next head's q rows (group 0) and K again.
//
// Streams (one row per beat, element d of a row in bits [d*W +: W]):
//   q   : q_data_i   = Dh q codes (QBits, frac 15, already scaled by 1/8); rows 0..Tokens-1 once.
//   k   : k_data_i   = Dh act codes; rows 0..Tokens-1, sent Groups times (once per group).
//   v   : v_data_i   = Dh act codes; rows 0..Tokens-1, sent Groups times (once per group).
//   out : out_data_o = Dh act codes of context row i, rows 0..Tokens-1 in order; the same
//         beat carries the row's softmax statistics out_max_o = m_i (act) and
//         out_rsum_o = r_i (r format, frac 24).
//
// Microarchitecture.
//   * QK: P attn_dot lanes (P x Dh multipliers, 18 x 26 bits) take the K row as it
//     arrives; 6 stages (the K row and the P q rows registered off the q banks' LUTRAM,
//     products, a registered 4:1 adder tree, saturation); the P scores go to softmax_stats (Lanes = P, last = key
//     Tokens-1) and into the score memory (2 banks x Tokens words of P scores).
//   * The statistics of a group leave softmax_stats 37 cycles after its last score
//     (25 of them in the divider). Instead of stalling the K/V stream, the V rows of
//     the group are accepted into a row FIFO (VFifoDepth rows) while the reciprocal
//     is computed; the AV engine runs 53 rows behind the V stream and overlaps the
//     next group's K phase. The two score banks let the next group write its scores
//     meanwhile; a group reusing a bank may write column j only after the AV engine
//     of the bank's previous group has read column j (checked on every K row).
//   * AV: per lane a score read (registered twice), d = s - m, exp_core (10 stages),
//     e r in a DSP48E2, p = round(e r, 25) (AvStages = 15), then Dh MACs (17 x 26 bits)
//     into exact accumulators behind a MAC tail of MacTail = 4 stages that never stalls:
//     the V row off the FIFO's LUTRAM read and p registered, the product in the DSP's M
//     and P registers, the accumulate as two halves (27 + 26 bits) with the low half's
//     carry added one cycle later (no 53-bit carry chain; the first key starts from the
//     rounding constant 2^15, so the output rounding is a shift); after the last V row
//     the pending carry is added, and the P context rows are saturated into the output
//     bank and leave one row per beat.
//   One K or V row per cycle at steady state (K/V read rate 1 row/cycle) for every P,
//   provided Tokens >= 16 and VFifoDepth >= 58 (the default 64; 46 before the AV engine
//   fell 12 rows further behind, the T = 129 testbench checks 64): the AV engine of a
//   group must hand its statistics slot and score bank back within two phases (2 x
//   Tokens cycles) despite the 63-cycle statistics+AV latency. Smaller values stay
//   bit-exact but insert bubbles (the read order stays the schedule's).
//
// Cycles for one head (sources always valid, sink always ready, Tokens >= 16), from
// the first q transfer to the last out transfer inclusive:
//     cycles = P + 2 Tokens ceil(Tokens / P) + AttnTail + LastRows,   AttnTail = 63
// i.e. the attention_schedule step count P + 2 T ceil(T/P) (every read in exactly the
// step the schedule gives it) plus the pipeline tail: from the last K row, 6 cycles to
// its scores, 37 to the statistics, 15 to the first MAC (score read and its register,
// d, 10 exp, e r, p), T MACs over the buffered V rows (the last arrived T cycles after
// the last K row), 4 in the MAC tail and its carry, 2 to the output bank, then the last
// group's LastRows output rows (AttnTail was 46 before the 300 MHz rework: QK + 1,
// statistics + 5, AV stages + 7, MAC tail + 4).
// Off-chip K/V rows per cycle over the K/V phase: exactly 1, independent of P.
module attention
  import edgemoe_pkg::*;
#(
  parameter int unsigned P          = AttnP,      // query rows held on chip
  parameter int unsigned Dh         = HeadDim,    // head dimension (HeadDim is the package constant)
  parameter int unsigned Tokens     = NumTokens,  // keys = queries per head
  parameter int unsigned VFifoDepth = 64          // V rows buffered while the reciprocal runs
) (
  input  logic                      clk_i,
  input  logic                      rst_ni,
  input  logic                      q_valid_i,
  output logic                      q_ready_o,
  input  logic [Dh*QBits-1:0]       q_data_i,
  input  logic                      k_valid_i,
  output logic                      k_ready_o,
  input  logic [Dh*ActBits-1:0]     k_data_i,
  input  logic                      v_valid_i,
  output logic                      v_ready_o,
  input  logic [Dh*ActBits-1:0]     v_data_i,
  output logic                      out_valid_o,
  input  logic                      out_ready_i,
  output logic [Dh*ActBits-1:0]     out_data_o,
  output logic signed [ActBits-1:0] out_max_o,
  output logic [RBits-1:0]          out_rsum_o
);

  localparam int unsigned Groups   = (Tokens + P - 1) / P;
  localparam int unsigned LastRows = Tokens - (Groups - 1) * P;
  localparam int unsigned ColW     = (Tokens > 1) ? $clog2(Tokens) : 1;   // 0 .. Tokens-1
  localparam int unsigned ColCW    = $clog2(Tokens + 1);                  // 0 .. Tokens
  localparam int unsigned GrpW     = (Groups > 1) ? $clog2(Groups) : 1;
  localparam int unsigned RowW     = (P > 1) ? $clog2(P) : 1;
  localparam int unsigned RowCW    = $clog2(P + 1);
  localparam int unsigned QRowW    = Dh * QBits;
  localparam int unsigned KRowW    = Dh * ActBits;
  localparam int unsigned ScoreW   = P * ActBits;                         // one score-memory word
  localparam int unsigned SAddrW   = $clog2(2 * Tokens);
  localparam int unsigned StatW    = ActBits + RBits;
  localparam int unsigned QkLat    = 6;                                   // input registers + attn_dot DotLatency 5
  localparam int unsigned ExpLat   = 10;                                  // exp_core's Latency (300 MHz form)
  localparam int unsigned AvStages = ExpLat + 5;                          // read, read reg, d, exp x10, e r, p
  localparam int unsigned MacTail  = 4;                                   // V row / p reg, product (M), (P), accumulate
  localparam int unsigned PProdW   = EBits + RBits;                       // e * r <= 2^41
  localparam int unsigned PSh      = EFrac + RFrac - PFrac;               // 25
  localparam int unsigned MacW     = PBits + 1 + ActBits;                 // signed p * v
  localparam int unsigned AccW     = MacW + $clog2(Tokens) + 1;           // exact over all keys
  localparam int unsigned OSh      = PFrac;                               // frac 32 -> 16
  localparam int unsigned ORndW    = AccW - OSh;
  // The accumulator in two halves with a registered carry between them (carry-save over
  // one stage): low AccLoW bits, high AccW - AccLoW bits; each adder is short.
  localparam int unsigned AccLoW   = (AccW + 1) / 2;
  localparam int unsigned AccHiW   = AccW - AccLoW;
  localparam int unsigned DiffW    = ActBits + 1;

  if (P < 1 || P > Tokens) begin : g_chk_p
    $error("attention: need 1 <= P <= Tokens");
  end
  if (VFifoDepth < 1) begin : g_chk_fifo
    $error("attention: VFifoDepth must be at least 1");
  end
  if (AccLoW <= OSh || AccLoW > MacW) begin : g_chk_acc
    $error("attention: the low accumulator half must hold the rounding bit and lie within a product");
  end

  function automatic logic [RowCW-1:0] group_rows(input logic [GrpW-1:0] g);
    return (g == GrpW'(Groups - 1)) ? RowCW'(LastRows) : RowCW'(P);
  endfunction

  function automatic logic [SAddrW-1:0] score_addr(input logic bank, input logic [ColW-1:0] col);
    return (bank ? SAddrW'(Tokens) : SAddrW'(0)) + SAddrW'(col);
  endfunction

  // =====================================================================================
  // K/V sequencer: K phase (Tokens rows) then V phase (Tokens rows) per group.
  // =====================================================================================
  logic            seq_v_q;     // 0: K phase, 1: V phase
  logic [ColW-1:0] seq_idx_q;   // row within the phase
  logic [1:0]      seq_s_q;     // sequence number of the group (bit 0 = its bank)
  logic            k_xfer, v_xfer, seq_end;
  logic            qk_adv;      // QK pipeline moves
  logic            q_bank_ok;   // the group's query rows are loaded
  logic            col_ok;      // its score bank column is free
  logic            vf_full, vf_empty;
  logic            vf_in_ready, vf_out_valid;

  // AV engine state used by the sequencer (declared here, driven below)
  logic             av_active_q;
  logic [ColCW-1:0] av_col_q;   // columns of group av_s_q already read
  logic [1:0]       av_s_q;
  logic [1:0]       av_lag;

  // The bank of group s was last used by group s-2: column j may be overwritten once
  // the AV engine has read it (av_lag = 2 means the AV engine is still on group s-2).
  assign av_lag    = seq_s_q - av_s_q;
  assign col_ok    = (av_lag != 2'd2) || (ColCW'(seq_idx_q) < av_col_q);
  assign seq_end   = (seq_idx_q == ColW'(Tokens - 1));
  assign k_ready_o = !seq_v_q && q_bank_ok && col_ok && qk_adv;
  assign v_ready_o = seq_v_q && !vf_full;
  assign k_xfer    = k_valid_i && k_ready_o;
  assign v_xfer    = v_valid_i && v_ready_o;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      seq_v_q   <= 1'b0;
      seq_idx_q <= '0;
      seq_s_q   <= '0;
    end else if (k_xfer || v_xfer) begin
      if (seq_end) begin
        seq_idx_q <= '0;
        seq_v_q   <= !seq_v_q;
        if (v_xfer) begin
          seq_s_q <= seq_s_q + 2'd1;
        end
      end else begin
        seq_idx_q <= seq_idx_q + ColW'(1);
      end
    end
  end

  // =====================================================================================
  // Query banks: bank b holds the P rows of a group. full = loaded and not yet consumed
  // by its K phase, act = its K phase has started.
  // =====================================================================================
  logic [QRowW-1:0] q_bank_q [2*P];
  logic [1:0]       q_full_q, q_act_q;
  logic             q_wr_bank_q;
  logic [RowW-1:0]  q_wr_row_q;
  logic [GrpW-1:0]  q_ld_grp_q;
  logic             q_xfer, q_other_ready, k_bank, k_first;

  assign k_bank        = seq_s_q[0];
  assign q_bank_ok     = q_full_q[k_bank];
  assign k_first       = k_xfer && (seq_idx_q == '0);
  // Load a group only when the previous one is already in (or entering) its K phase.
  assign q_other_ready = q_full_q[!q_wr_bank_q] && !q_act_q[!q_wr_bank_q];
  // The other bank's K phase begins when its first K row is accepted; k_ready_o at
  // column 0 says that row is due (registered state only: q_ready_o never depends on
  // k_valid_i). With K always valid this is exactly the cycle of that first K row.
  assign q_ready_o     = !q_full_q[q_wr_bank_q] && (!q_other_ready || (k_ready_o && seq_idx_q == '0));
  assign q_xfer        = q_valid_i && q_ready_o;

  always_ff @(posedge clk_i) begin
    if (q_xfer) begin
      q_bank_q[(q_wr_bank_q ? P : 0) + int'(q_wr_row_q)] <= q_data_i;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      q_full_q    <= '0;
      q_act_q     <= '0;
      q_wr_bank_q <= 1'b0;
      q_wr_row_q  <= '0;
      q_ld_grp_q  <= '0;
    end else begin
      if (q_xfer) begin
        if (RowCW'(q_wr_row_q) == group_rows(q_ld_grp_q) - RowCW'(1)) begin
          q_full_q[q_wr_bank_q] <= 1'b1;
          q_wr_bank_q           <= !q_wr_bank_q;
          q_wr_row_q            <= '0;
          q_ld_grp_q            <= (q_ld_grp_q == GrpW'(Groups - 1)) ? '0 : q_ld_grp_q + GrpW'(1);
        end else begin
          q_wr_row_q <= q_wr_row_q + RowW'(1);
        end
      end
      if (k_first) begin
        q_act_q[k_bank] <= 1'b1;
      end
      if (k_xfer && seq_end) begin
        q_full_q[k_bank] <= 1'b0;
        q_act_q[k_bank]  <= 1'b0;
      end
    end
  end

  // =====================================================================================
  // QK: P dot products per K row, 6 stages (input registers, attn_dot); scores -> softmax_stats
  // and score memory.
  // =====================================================================================
  logic [QkLat-1:0] qk_v_q, qk_last_q, qk_bank_q;
  logic [ColW-1:0]  qk_col_q [QkLat];
  logic [ScoreW-1:0] scores;
  logic             st_in_ready, st_xfer;

  assign qk_adv  = !qk_v_q[QkLat-1] || st_in_ready;
  assign st_xfer = qk_v_q[QkLat-1] && st_in_ready;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      qk_v_q    <= '0;
      qk_last_q <= '0;
      qk_bank_q <= '0;
      for (int k = 0; k < QkLat; k++) begin
        qk_col_q[k] <= '0;
      end
    end else if (qk_adv) begin
      qk_v_q      <= {qk_v_q[QkLat-2:0], k_xfer};
      qk_last_q   <= {qk_last_q[QkLat-2:0], seq_end};
      qk_bank_q   <= {qk_bank_q[QkLat-2:0], k_bank};
      qk_col_q[0] <= seq_idx_q;
      for (int k = 1; k < QkLat; k++) begin
        qk_col_q[k] <= qk_col_q[k-1];
      end
    end
  end

  // QK stage 0: the K row and the group's P query rows (the q banks' LUTRAM read)
  // registered in front of the multipliers (no reset: qk_v_q qualifies them).
  logic [KRowW-1:0] k0_q;
  logic [QRowW-1:0] q0_q [P];
  always_ff @(posedge clk_i) begin
    if (qk_adv) begin
      k0_q <= k_data_i;
      for (int i = 0; i < P; i++) begin
        q0_q[i] <= q_bank_q[(k_bank ? P : 0) + i];
      end
    end
  end

  for (genvar i = 0; i < P; i++) begin : g_qk
    attn_dot #(.Dh(Dh)) u_dot (
      .clk_i (clk_i),
      .rst_ni(rst_ni),
      .en_i  (qk_adv),
      .q_i   (q0_q[i]),
      .k_i   (k0_q),
      .s_o   (scores[i*ActBits +: ActBits])
    );
  end

  // Score memory: word (bank, column) holds the P scores of one key.
  logic [ScoreW-1:0] score_mem_q [2*Tokens];
  logic [ScoreW-1:0] sc_rd_q;
  logic              av_issue;
  logic              av_bank;
  always_ff @(posedge clk_i) begin
    if (st_xfer) begin
      score_mem_q[score_addr(qk_bank_q[QkLat-1], qk_col_q[QkLat-1])] <= scores;
    end
    if (av_issue) begin
      sc_rd_q <= score_mem_q[score_addr(av_bank, av_col_q[ColW-1:0])];
    end
  end

  logic                       st_out_valid, st_out_ready;
  logic [P*StatW-1:0]         st_out_data;
  softmax_stats #(.Lanes(P)) u_stats (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .in_valid_i (qk_v_q[QkLat-1]),
    .in_ready_o (st_in_ready),
    .in_data_i  (scores),
    .in_last_i  (qk_last_q[QkLat-1]),
    .out_valid_o(st_out_valid),
    .out_ready_i(st_out_ready),
    .out_data_o (st_out_data)
  );

  // =====================================================================================
  // V row FIFO
  // =====================================================================================
  logic [KRowW-1:0] vf_row;
  logic             mac;        // one MAC step (pops one V row)
  stream_fifo #(.Width(KRowW), .Depth(VFifoDepth)) u_vfifo (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .in_valid_i (v_xfer),
    .in_ready_o (vf_in_ready),
    .in_data_i  (v_data_i),
    .out_valid_o(vf_out_valid),
    .out_ready_i(mac),
    .out_data_o (vf_row)
  );
  assign vf_full  = !vf_in_ready;
  assign vf_empty = !vf_out_valid;

  // =====================================================================================
  // AV engine. A group starts when its statistics arrive and the previous group has
  // left the pipeline (m and r are then constant for the whole group).
  // =====================================================================================
  logic [AvStages-1:0] av_v_q, av_first_q, av_last_q;
  logic [MacTail-1:0]  mt_v_q, mt_first_q, mt_last_q;   // MAC tail (runs free, no stall)
  logic                av_adv, av_start, fin_q, av_pipe_empty;
  logic [GrpW-1:0]     av_grp_q;
  logic [RowCW-1:0]    av_rows_q;
  logic                av_issue_last;
  logic [RowCW-1:0]    out_cnt_q;
  logic                out_copy;

  assign av_bank       = av_s_q[0];
  assign av_pipe_empty = (av_v_q == '0) && (mt_v_q == '0);
  assign av_start      = !av_active_q && av_pipe_empty && !fin_q && st_out_valid;
  assign st_out_ready  = av_start;
  assign av_adv        = !(av_v_q[AvStages-1] && vf_empty);
  assign av_issue      = av_active_q && av_adv;
  assign av_issue_last = (av_col_q == ColCW'(Tokens - 1));
  assign mac           = av_v_q[AvStages-1] && av_adv;
  assign out_copy      = fin_q && (out_cnt_q == '0);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      av_active_q <= 1'b0;
      av_col_q    <= '0;
      av_s_q      <= '0;
      av_grp_q    <= '0;
      av_rows_q   <= '0;
      av_v_q      <= '0;
      av_first_q  <= '0;
      av_last_q   <= '0;
      mt_v_q      <= '0;
      mt_first_q  <= '0;
      mt_last_q   <= '0;
      fin_q       <= 1'b0;
    end else begin
      if (av_start) begin
        av_active_q <= 1'b1;
        av_col_q    <= '0;
        av_rows_q   <= group_rows(av_grp_q);
        av_grp_q    <= (av_grp_q == GrpW'(Groups - 1)) ? '0 : av_grp_q + GrpW'(1);
      end else if (av_issue) begin
        if (av_issue_last) begin
          av_active_q <= 1'b0;
          av_col_q    <= '0;
          av_s_q      <= av_s_q + 2'd1;
        end else begin
          av_col_q <= av_col_q + ColCW'(1);
        end
      end
      if (av_adv) begin
        av_v_q     <= {av_v_q[AvStages-2:0], av_issue};
        av_first_q <= {av_first_q[AvStages-2:0], av_col_q == '0};
        av_last_q  <= {av_last_q[AvStages-2:0], av_issue_last};
      end
      mt_v_q     <= {mt_v_q[MacTail-2:0], mac};
      mt_first_q <= {mt_first_q[MacTail-2:0], av_first_q[AvStages-1]};
      mt_last_q  <= {mt_last_q[MacTail-2:0], av_last_q[AvStages-1]};
      // the last product was accumulated in the previous cycle, its carry is added now
      if (mt_v_q[MacTail-1] && mt_last_q[MacTail-1]) begin
        fin_q <= 1'b1;
      end else if (out_copy) begin
        fin_q <= 1'b0;
      end
    end
  end

  // Output bank: the finished group's context rows and their statistics.
  logic [KRowW-1:0]          out_row_q [P];
  logic signed [ActBits-1:0] out_m_q [P];
  logic [RBits-1:0]          out_r_q [P];
  logic [RowW-1:0]           out_idx_q;
  logic                      out_xfer;

  assign out_valid_o = (out_cnt_q != '0);
  assign out_xfer    = out_valid_o && out_ready_i;
  assign out_data_o  = out_row_q[out_idx_q];
  assign out_max_o   = out_m_q[out_idx_q];
  assign out_rsum_o  = out_r_q[out_idx_q];

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      out_cnt_q <= '0;
      out_idx_q <= '0;
    end else if (out_copy) begin
      out_cnt_q <= av_rows_q;
      out_idx_q <= '0;
    end else if (out_xfer) begin
      out_cnt_q <= out_cnt_q - RowCW'(1);
      out_idx_q <= (out_cnt_q == RowCW'(1)) ? '0 : out_idx_q + RowW'(1);
    end
  end

  // MAC tail stage 1: the V row off the FIFO's LUTRAM read, registered (no reset: mt_v_q
  // qualifies it), so the multipliers see a flip-flop.
  logic [KRowW-1:0] v1_q;
  always_ff @(posedge clk_i) begin
    v1_q <= vf_row;
  end

  for (genvar i = 0; i < P; i++) begin : g_av
    // statistics of the group in flight
    // (datapath registers without reset: the valid bits qualify them, and the DSP48E2's
    // registers can take them; docs/timing.md)
    logic signed [ActBits-1:0] m_q;
    logic [RBits-1:0]          r_q;
    always_ff @(posedge clk_i) begin
      if (av_start) begin
        m_q <= st_out_data[i*StatW +: ActBits];
        r_q <= st_out_data[i*StatW + ActBits +: RBits];
      end
    end

    // stage 2: the score word registered off the score memory
    // stage 3: d = s - m <= 0 (m is the row max), clamped to act.min (exp_core clamps at -32)
    logic signed [ActBits-1:0] s2_q;
    logic signed [DiffW-1:0]   diff;
    logic signed [ActBits-1:0] d, d_q;
    assign diff = DiffW'(s2_q) - DiffW'(m_q);
    // diff lies in [-(2^26 - 1), 2^26 - 1]: below -2^25 <=> its two top bits are 10.
    always_comb begin
      if (diff[DiffW-1] && !diff[DiffW-2]) begin
        d = {1'b1, {(ActBits-1){1'b0}}};
      end else begin
        d = diff[ActBits-1:0];
      end
    end
    always_ff @(posedge clk_i) begin
      if (av_adv) begin
        s2_q <= sc_rd_q[i*ActBits +: ActBits];
        d_q  <= d;
      end
    end

    // stages 4..13: exp
    logic [EBits-1:0] e;
    exp_core #(.Latency(ExpLat)) u_exp (
      .clk_i (clk_i),
      .rst_ni(rst_ni),
      .en_i  (av_adv),
      .d_i   (d_q),
      .e_o   (e)
    );

    // stage 14: e * r in a DSP48E2 (product register). e <= 2^17 does not fit the 18-bit
    // signed port, but e[17] is set only for e = 2^17 (d = 0), where e * r = r << 17.
    // stage 15: p = round_shift(e * r, 25) <= 2^16
    logic [PProdW-1:0] m14_q, pprod;
    logic              big14_q;
    logic [PBits-1:0]  p_q;
    assign pprod = big14_q ? (PProdW'(r_q) << EFrac) : m14_q;
    always_ff @(posedge clk_i) begin
      if (av_adv) begin
        m14_q   <= PProdW'(e[EFrac-1:0]) * PProdW'(r_q);
        big14_q <= e[EFrac];
        p_q     <= PBits'((pprod + PProdW'(1 << (PSh - 1))) >> PSh);
      end
    end

    // MAC tail (MacTail stages after the FIFO pop, no stall; mt_v_q qualifies them):
    //   1. V row (shared, v1_q) and p registered
    //   2. p * v[d] (DSP48E2 multiplier, M register)   3. the product again (P register)
    //   4. acc[d] (+)= p v[d], exact, as a low half (AccLoW bits) and a high half with the
    //      low half's carry added one cycle later; the first key starts from the output
    //      rounding constant 2^15 (so round_shift(acc, 16) is acc >>> 16); the carry left
    //      after the last key is added in the cycle after it (no product that cycle).
    logic [PBits-1:0] p1_q;
    always_ff @(posedge clk_i) begin
      p1_q <= p_q;
    end

    logic [KRowW-1:0] o_row;
    for (genvar dd = 0; dd < Dh; dd++) begin : g_mac
      logic signed [MacW-1:0]   prod2_q, prod3_q;
      logic        [AccLoW-1:0] lo_q;
      logic signed [AccHiW-1:0] hi_q;
      logic                     c_q;
      logic        [AccLoW:0]   lo_sum;
      logic signed [AccHiW-1:0] hi_base;
      always_ff @(posedge clk_i) begin
        prod2_q <= $signed({1'b0, p1_q}) * $signed(v1_q[dd*ActBits +: ActBits]);
        prod3_q <= prod2_q;
      end
      assign lo_sum  = (mt_first_q[MacTail-2] ? (AccLoW+1)'(1 << (OSh - 1)) : (AccLoW+1)'(lo_q))
                     + (AccLoW+1)'(prod3_q[AccLoW-1:0]);
      assign hi_base = mt_first_q[MacTail-2] ? AccHiW'(0) : hi_q + AccHiW'(c_q);
      always_ff @(posedge clk_i) begin
        if (mt_v_q[MacTail-2]) begin
          lo_q <= lo_sum[AccLoW-1:0];
          c_q  <= lo_sum[AccLoW];
          hi_q <= hi_base + AccHiW'(prod3_q >>> AccLoW);
        end else begin
          c_q  <= 1'b0;
          hi_q <= hi_q + AccHiW'(c_q);
        end
      end

      // output rounding: o = sat_act(round_shift(acc, 16)) = sat_act({hi, lo} >>> 16);
      // in the act range <=> the bits from ActBits-1 up are all equal (a sign extension)
      logic signed [ORndW-1:0] rnd;
      assign rnd = {hi_q, lo_q[AccLoW-1:OSh]};
      always_comb begin
        if (!(&rnd[ORndW-1:ActBits-1]) && (|rnd[ORndW-1:ActBits-1])) begin
          o_row[dd*ActBits +: ActBits] = rnd[ORndW-1] ? {1'b1, {(ActBits-1){1'b0}}}
                                                       : {1'b0, {(ActBits-1){1'b1}}};
        end else begin
          o_row[dd*ActBits +: ActBits] = rnd[ActBits-1:0];
        end
      end
    end

    always_ff @(posedge clk_i) begin
      if (out_copy) begin
        out_row_q[i] <= o_row;
        out_m_q[i]   <= m_q;
        out_r_q[i]   <= r_q;
      end
    end
  end

endmodule
