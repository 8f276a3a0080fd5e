// ATTENTION executor of the integrated top (opcode 0x05; docs/architecture.md "Command
// descriptors", the ISS edgemoe.driver.iss is the reference for every bit).
//
// Command: Q(h), K(h), V(h) -> A(h), head h = word 0 [21:20], word 2 [7:0] = T - 1.
// Field checks (the ISS's; registered in the go_i cycle, decided in the next): buffer
// fields A, B, C = 0, word 0 [31:20] = h <= 2, word 1 = 0, word 2 [31:8] = 0 and
// T - 1 <= 128, words 3..7 = 0; else done_o with BAD_FIELD.
// DIFFERENCE FROM THE ISS: the kernel `attention` is built for Tokens = NumTokens = 129
// (the softmax runs over all Tokens keys, and no K row can stand for "no key"), so only
// T = 129 is executed; T - 1 != 128, which the ISS accepts (rows 0..T-1), ends with
// BAD_FIELD here.
//
// Data: a head row of Q, K, V, A is buffer word row * 3 + h (64 lanes, 32-bit sign-extended
// codes: Q q, K V A act). Three prefetch readers, one per source buffer, each walking its
// own row sequence: Q rows 0..T-1 once, K and V rows 0..T-1 Groups = ceil(T / P) times
// (the order `attention` asks for them with q_ready / k_ready / v_ready; the K and V
// streams are independent, so each reader just runs ahead in its own order). A reader
// issues a buffer read when its credits allow (rows read and not yet taken by the kernel
// < 3, a register), the row (low QBits / ActBits of each lane) goes into a 3-entry
// stream_fifo the next cycle: one row per cycle to the kernel with no path from the
// kernel's ready signals to the buffer ports. Out rows 0..T-1 are written through a
// register into A (word row * 3 + h, all 64 lanes, sign-extended); done_o the cycle after
// the last row's write.
//
// Cycles (one head): attention's P + 2 T ceil(T / P) + 63 + LastRows (= 6,780 for T = 129,
// P = 5) plus 5 (the check, first read to the first q row, last out row to done_o): 6,785
// cycles per head measured through the top (busy_o, i.e. ATTN_BUSY; tests/test_rtl_ln_attn.py).
// kill_i clears the executor (synchronously) and resets the kernel and the FIFOs through
// a registered reset (the cycle after kill_i). Every output is 0 while idle; the read
// engines are not used.
module edgemoe_exec_attn
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
  output logic [3:0]               rd_start_o,
  output logic [3:0][63:0]         rd_addr_o,
  output logic [3:0][23:0]         rd_bytes_o,
  output logic [3:0]               rd_ready_o,
  input  logic [3:0]               rd_busy_i,
  input  logic [3:0]               rd_err_i,
  input  logic [3:0]               rd_valid_i,
  input  logic [3:0][127:0]        rd_data_i,
  input  logic [3:0]               rd_first_i,
  input  logic [3:0]               rd_last_i,
  output logic [6:0]               buf_re_o,
  output logic [6:0][10:0]         buf_raddr_o,
  input  logic [6:0][2047:0]       buf_rdata_i,
  output logic [6:0]               buf_we_o,
  output logic [6:0][10:0]         buf_waddr_o,
  output logic [6:0][63:0]         buf_wlanes_o,
  output logic [6:0][2047:0]       buf_wdata_o
);

  localparam int unsigned Tokens  = NumTokens;
  localparam int unsigned P       = AttnP;
  localparam int unsigned Dh      = HeadDim;
  localparam int unsigned Groups  = (Tokens + P - 1) / P;
  localparam int unsigned RowW    = Dh * ActBits;           // K, V, out row
  localparam int unsigned QRowW   = Dh * QBits;             // Q row
  localparam int unsigned FifoD   = 3;                      // credits: read -> push -> pop
  localparam int unsigned Words   = EmbedDim / Dh;          // 3 words per token row
  localparam int unsigned CntW    = $clog2(Tokens * Groups + 1);
  localparam logic [7:0]  ErrBadField = 8'h02;
  localparam int unsigned BufQ = 2, BufA = 5;           // buffer ids (K = 3, V = 4)

  if (Dh != 64 || Words != NumHeads) begin : g_bad_dims
    $error("edgemoe_exec_attn: one head row must be one 64-lane buffer word");
  end

  // ------------------------------------------------------------------ field checks
  logic bad;
  assign bad = !(cmd_i[0][19:8] == 12'd0 && cmd_i[0][31:22] == 10'd0 && cmd_i[0][21:20] != 2'd3 &&
                 cmd_i[1] == '0 && cmd_i[2] == 32'(Tokens - 1) &&
                 cmd_i[3] == '0 && cmd_i[4] == '0 && cmd_i[5] == '0 && cmd_i[6] == '0 && cmd_i[7] == '0);

  // ------------------------------------------------------------------ control
  // StCheck: the field checks' result, registered in the go_i cycle (bad_q), decides
  // (no path from the descriptor through the checks into the state and counters).
  typedef enum logic [2:0] {StIdle, StCheck, StRun, StDrain, StFin} state_e;
  state_e     st_q;
  logic [7:0] err_q;
  logic [1:0] head_q;
  logic       clr, bad_q;
  assign clr = !rst_ni || kill_i;
  always_ff @(posedge clk_i) bad_q <= bad;   // cmd_i is stable from go_i to done_o

  logic krst_nq;
  always_ff @(posedge clk_i) krst_nq <= rst_ni && !kill_i;

  // ------------------------------------------------------------------ readers: 0 Q, 1 K, 2 V
  logic [2:0]       issue, s1_q, f_valid, f_pop, f_in_ready;
  logic [2:0][10:0] word_q;
  logic [2:0][7:0]  row_q;
  logic [2:0][CntW-1:0] left_q;
  logic [2:0][1:0]  occ_q;
  logic [2:0][RowW-1:0] f_data;      // Q: low QRowW bits
  logic             q_ready, k_ready, v_ready;

  assign f_pop = f_valid & {v_ready, k_ready, q_ready} & {3{krst_nq}};

  for (genvar s = 0; s < 3; s++) begin : g_rd
    localparam int unsigned W  = (s == 0) ? QBits : ActBits;
    localparam int unsigned FW = Dh * W;
    logic [FW-1:0] row_d, fifo_out;

    assign issue[s] = (st_q == StRun) && (left_q[s] != '0) && (occ_q[s] < 2'(FifoD));

    always_ff @(posedge clk_i) begin
      if (clr) begin
        word_q[s] <= '0;
        row_q[s]  <= '0;
        left_q[s] <= '0;
        occ_q[s]  <= '0;
        s1_q[s]   <= 1'b0;
      end else begin
        if (st_q == StCheck) begin
          word_q[s] <= 11'(head_q);
          row_q[s]  <= '0;
          left_q[s] <= bad_q ? '0 : CntW'((s == 0) ? Tokens : Tokens * Groups);
        end else if (issue[s]) begin
          left_q[s] <= left_q[s] - CntW'(1);
          if (row_q[s] == 8'(Tokens - 1)) begin
            row_q[s]  <= '0;
            word_q[s] <= 11'(head_q);
          end else begin
            row_q[s]  <= row_q[s] + 8'd1;
            word_q[s] <= word_q[s] + 11'(Words);
          end
        end
        occ_q[s] <= occ_q[s] + 2'(issue[s]) - 2'(f_pop[s]);
        s1_q[s]  <= issue[s];
      end
    end

    // the row: low W bits of each 32-bit lane
    for (genvar d = 0; d < Dh; d++) begin : g_lane
      assign row_d[d*W +: W] = buf_rdata_i[BufQ + s][32*d +: W];
    end

    stream_fifo #(.Width(FW), .Depth(FifoD)) u_fifo (
      .clk_i,
      .rst_ni     (krst_nq),
      .in_valid_i (s1_q[s]),
      .in_ready_o (f_in_ready[s]),   // never low when s1_q is high: credits
      .in_data_i  (row_d),
      .out_valid_o(f_valid[s]),
      .out_ready_i(f_pop[s]),
      .out_data_o (fifo_out)
    );
    assign f_data[s] = RowW'(fifo_out);
  end

  // ------------------------------------------------------------------ kernel
  logic                      a_out_valid, a_out_ready, out_fire;
  logic [RowW-1:0]           a_out_data;
  logic signed [ActBits-1:0] a_out_max;
  logic [RBits-1:0]          a_out_rsum;

  attention #(.P(P), .Dh(Dh), .Tokens(Tokens)) u_attn (
    .clk_i,
    .rst_ni     (krst_nq),
    .q_valid_i  (f_valid[0] && krst_nq),
    .q_ready_o  (q_ready),
    .q_data_i   (f_data[0][QRowW-1:0]),
    .k_valid_i  (f_valid[1] && krst_nq),
    .k_ready_o  (k_ready),
    .k_data_i   (f_data[1]),
    .v_valid_i  (f_valid[2] && krst_nq),
    .v_ready_o  (v_ready),
    .v_data_i   (f_data[2]),
    .out_valid_o(a_out_valid),
    .out_ready_i(a_out_ready),
    .out_data_o (a_out_data),
    .out_max_o  (a_out_max),
    .out_rsum_o (a_out_rsum)
  );

  assign a_out_ready = (st_q == StRun);
  assign out_fire    = a_out_valid && a_out_ready;

  // ------------------------------------------------------------------ output writes
  logic            we_q;
  logic [10:0]     out_word_q, waddr_q;
  logic [7:0]      out_left_q;
  logic [RowW-1:0] wdata_q;

  always_ff @(posedge clk_i) begin
    if (clr) begin
      st_q       <= StIdle;
      err_q      <= '0;
      head_q     <= '0;
      out_word_q <= '0;
      out_left_q <= '0;
      we_q       <= 1'b0;
      waddr_q    <= '0;
    end else begin
      unique case (st_q)
        StIdle: begin
          if (go_i) begin
            head_q     <= cmd_i[0][21:20];
            out_word_q <= 11'(cmd_i[0][21:20]);
            out_left_q <= 8'(Tokens);
            st_q       <= StCheck;
          end
        end
        StCheck: begin
          err_q <= bad_q ? ErrBadField : 8'h00;
          st_q  <= bad_q ? StFin : StRun;
        end
        StRun: begin
          if (out_fire && out_left_q == 8'd1) st_q <= StDrain;
        end
        StDrain: st_q <= StFin;    // the last row's write is under way
        StFin:   st_q <= StIdle;
        default: st_q <= StIdle;
      endcase
      we_q <= out_fire;
      if (out_fire) begin
        waddr_q    <= out_word_q;
        out_word_q <= out_word_q + 11'(Words);
        out_left_q <= out_left_q - 8'd1;
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (out_fire) wdata_q <= a_out_data;
  end

  // ------------------------------------------------------------------ outputs (0 while idle)
  logic [2047:0] wword;
  always_comb begin
    for (int l = 0; l < Dh; l++) begin
      wword[32*l +: 32] = 32'($signed(wdata_q[l*ActBits +: ActBits]));
    end
  end

  always_comb begin
    buf_re_o     = '0;
    buf_raddr_o  = '0;
    buf_we_o     = '0;
    buf_waddr_o  = '0;
    buf_wlanes_o = '0;
    for (int b = 0; b < 7; b++) buf_wdata_o[b] = '0;
    for (int s = 0; s < 3; s++) begin
      buf_re_o[BufQ + s]    = issue[s];
      buf_raddr_o[BufQ + s] = issue[s] ? word_q[s] : '0;
    end
    buf_we_o[BufA]     = we_q;
    buf_waddr_o[BufA]  = we_q ? waddr_q : '0;
    buf_wlanes_o[BufA] = {64{we_q}};
    buf_wdata_o[BufA]  = we_q ? wword : '0;
  end

  assign rd_start_o = '0;
  assign rd_addr_o  = '0;
  assign rd_bytes_o = '0;
  assign rd_ready_o = '0;

  assign busy_o = (st_q != StIdle);
  assign done_o = (st_q == StFin);
  assign err_o  = (st_q == StFin) ? err_q : '0;

  logic unused;
  assign unused = ^{wbase_i, rd_busy_i, rd_err_i, rd_valid_i, rd_data_i, rd_first_i, rd_last_i,
                    f_in_ready, a_out_max, a_out_rsum, buf_rdata_i[1:0], buf_rdata_i[6:5]};

endmodule
