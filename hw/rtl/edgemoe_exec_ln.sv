// LAYERNORM executor of the integrated top (opcode 0x03; docs/architecture.md "Command
// descriptors", the ISS edgemoe.driver.iss is the reference for every bit).
//
// Command: A -> B, word 1 = W offset of the LN record, word 2 [7:0] = T - 1.
// Field checks (the ISS's, registered from cmd_i (stable from go_i to done_o) and acted on the
// cycle after go_i, before any read or write): C = 0, word 0
// [31:20] = 0, A and B in {X, N, K, V, A}, A != B, word 1 32-byte aligned, word 2 [31:8] = 0
// and T - 1 <= 128, words 3..7 = 0; else done_o with BAD_FIELD.
//
// Steps:
//   1. Record: read engine 0 reads the 832-byte LN record at WBASE + word 1 (52 beats:
//      gamma[192] int16 in beats 0..23, beta[192] in beats 24..47, beat 48 bytes 0/1 the
//      gamma / beta exponent codes, of which the low 4 bits count, as in
//      edgemoe.driver.image.decode_ln). Beats 0..47 go into four 12 x 128-bit banks
//      (gamma/beta x even/odd beat) so one parameter beat reads one word of each.
//      rd_err_i during the read: done_o with AXI_READ (the sequencer drains the engine).
//   2. Parameters: the 12 prm beats of `layernorm` (beat p = channels 16p..16p+15:
//      {bexp, gexp, beta lanes, gamma lanes}); the kernel holds each beat Lanes cycles
//      (192 cycles per load).
//   3. Tokens: rows 0..T-1 of A, 12 chunk beats per token. Buffer word w = 0..3T-1 is
//      read once per chunk (4 reads of the same word, lanes 16 (c % 4) ..), the 16 codes
//      (X: moe_acc saturated to act, sat_act as the ISS does for readers of X; N K V A:
//      their act codes) in a register stage, then a 4-entry beat FIFO in front of the kernel. Reads are issued
//      on credits (beats issued and not yet taken by the kernel < 4, a register), so the
//      kernel sees one beat per cycle with no path from its ready to the buffer port.
//      The kernel's output beats (its own 2-entry output FIFO is the skid buffer;
//      out_ready is high throughout) are written through a register into B, word
//      3 t + c / 4, lanes 16 (c % 4) .. + 15, codes sign-extended to 32 bits.
//   done_o the cycle after the last output beat's write.
//
// Cycles (no backpressure anywhere, DDR read latency Lr from the AR to the first beat):
//   about 3 + Lr + 52 (record) + 192 (prm) + 3 (first beat to the kernel)
//   + layernorm's latency 2 Beats + L + 5 = 65 + (T - 1) 12 + 2.
// Measured through the top (tests/test_rtl_ln_attn.py, Lr = 75): 1,930 cycles for T = 129
// (the kernel's own 1,601 + 135 record read + 192 parameter load + 2), with the layernorm
// before its 300 MHz rework (its latency is 45 cycles longer now).
// kill_i clears the executor (synchronously) and resets the kernel and the FIFO through a
// registered reset (the cycle after kill_i). Every output is 0 while idle.
module edgemoe_exec_ln
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

  localparam int unsigned Lanes    = 16;                    // one chunk per beat
  localparam int unsigned Beats    = EmbedDim / Lanes;      // 12 beats per token
  localparam int unsigned PrmW     = 2 * Lanes * BBits + 2 * BExpBits;
  localparam int unsigned BeatW    = Lanes * ActBits;       // one kernel beat
  localparam int unsigned RecBytes = 4 * EmbedDim + 64;     // 832 (edgemoe.driver.isa.LN_RECORD)
  localparam int unsigned RecBank  = Beats;                 // words per bank
  localparam int unsigned FifoD    = 4;                     // beat FIFO depth (credits)
  localparam logic [7:0]  ErrBadField = 8'h02, ErrAxiRead = 8'h03;
  localparam int signed   ActMax = (1 <<< (ActBits - 1)) - 1;
  localparam int signed   ActMin = -(1 <<< (ActBits - 1));

  if (LnLanes != Lanes) begin : g_bad_lanes
    $error("edgemoe_exec_ln: the buffer chunk packing needs LnLanes = 16");
  end

  // ------------------------------------------------------------------ field checks
  logic [3:0] fa, fb, fc;
  logic       fa_ok, fb_ok, bad;
  assign fa = cmd_i[0][11:8];
  assign fb = cmd_i[0][15:12];
  assign fc = cmd_i[0][19:16];
  // {X, N, K, V, A} = {0, 1, 3, 4, 5}
  assign fa_ok = (fa <= 4'd5) && (fa != 4'd2);
  assign fb_ok = (fb <= 4'd5) && (fb != 4'd2);
  assign bad = !(fc == 4'd0 && cmd_i[0][31:20] == 12'd0 && fa_ok && fb_ok && fa != fb &&
                 cmd_i[1][4:0] == 5'd0 && cmd_i[2][31:8] == 24'd0 && cmd_i[2][7:0] <= 8'd128 &&
                 cmd_i[3] == '0 && cmd_i[4] == '0 && cmd_i[5] == '0 && cmd_i[6] == '0 && cmd_i[7] == '0);
  // the verdict registered (300 MHz: the checks are not in series with the state): valid from
  // the cycle after go_i (StRecWait), where a bad command ends before its record read starts
  logic bad_q;
  always_ff @(posedge clk_i) bad_q <= bad;

  // 12 T beats per command (T <= 129), as shifts: 12 T = 8 T + 4 T
  logic [10:0] t_n, beats_n;
  assign t_n     = {3'd0, cmd_i[2][7:0]} + 11'd1;
  assign beats_n = (t_n << 3) + (t_n << 2);

  // ------------------------------------------------------------------ control
  typedef enum logic [2:0] {StIdle, StRecWait, StRecRead, StPrm, StRun, StDrain, StFin} state_e;
  state_e     st_q;
  logic [7:0] err_q;
  logic       clr;
  assign clr = !rst_ni || kill_i;

  // kernel and FIFO reset: registered (rst_ni && !kill_i)
  logic krst_nq;
  always_ff @(posedge clk_i) krst_nq <= rst_ni && !kill_i;

  logic [2:0] src_q, dst_q;      // buffer ids A, B (0..5)
  logic [63:0] rec_addr_q;       // WBASE + word 1, registered (no 64-bit adder before the engine)

  // record read
  logic [5:0] rec_beat_q;
  logic       rec_fire;
  assign rec_fire = (st_q == StRecRead) && rd_valid_i[0];

  // prm stream
  logic [3:0] prm_beat_q;
  logic       prm_valid, prm_ready, prm_fire;
  assign prm_valid = (st_q == StPrm);
  assign prm_fire  = prm_valid && prm_ready;

  // token input
  logic [10:0] in_word_q;
  logic [1:0]  in_sub_q;
  logic [10:0] in_left_q;        // beats still to read (12 T <= 1548)
  logic [2:0]  occ_q;            // beats read and not yet taken by the kernel
  logic        issue, s1_q, s2_q;
  logic [1:0]  sub1_q;
  logic [BeatW-1:0] s2_data_q;
  logic        fifo_valid, fifo_in_ready, ln_in_ready, in_fire;
  logic [BeatW-1:0] fifo_data;
  assign issue   = (st_q == StRun) && (in_left_q != '0) && (occ_q < 3'(FifoD));
  assign in_fire = fifo_valid && ln_in_ready;

  // token output
  logic        ln_out_valid, out_ready, out_fire;
  logic [BeatW-1:0] ln_out_data;
  logic [10:0] out_word_q, out_left_q;
  logic [1:0]  out_sub_q;
  logic        we_q;
  logic [10:0] waddr_q;
  logic [1:0]  wsub_q;
  logic [BeatW-1:0] wdata_q;
  assign out_ready = (st_q == StRun);
  assign out_fire  = ln_out_valid && out_ready;

  always_ff @(posedge clk_i) begin
    if (clr) begin
      st_q       <= StIdle;
      err_q      <= '0;
      src_q      <= '0;
      dst_q      <= '0;
      rec_addr_q <= '0;
      from_x_q   <= 1'b0;
      asel_q     <= '0;
      rec_beat_q <= '0;
      prm_beat_q <= '0;
      in_word_q  <= '0;
      in_sub_q   <= '0;
      in_left_q  <= '0;
      occ_q      <= '0;
      s1_q       <= 1'b0;
      s2_q       <= 1'b0;
      sub1_q     <= '0;
      out_word_q <= '0;
      out_sub_q  <= '0;
      out_left_q <= '0;
      we_q       <= 1'b0;
      waddr_q    <= '0;
      wsub_q     <= '0;
    end else begin
      unique case (st_q)
        StIdle: begin
          if (go_i) begin
            src_q      <= cmd_i[0][10:8];
            dst_q      <= cmd_i[0][14:12];
            rec_addr_q <= wbase_i + {32'd0, cmd_i[1]};
            from_x_q   <= (cmd_i[0][11:8] == 4'd0);
            asel_q     <= (cmd_i[0][11:8] == 4'd1) ? 2'd0 : 2'(cmd_i[0][11:8] - 4'd2);  // N 0, K 1, V 2, A 3
            // 12 T beats (T <= 129)
            in_left_q  <= beats_n;
            out_left_q <= beats_n;
            rec_beat_q <= '0;
            prm_beat_q <= '0;
            in_word_q  <= '0;
            in_sub_q   <= '0;
            out_word_q <= '0;
            out_sub_q  <= '0;
            err_q      <= 8'h00;
            st_q       <= StRecWait;
          end
        end
        StRecWait: begin
          if (bad_q) begin
            err_q <= ErrBadField;
            st_q  <= StFin;
          end else if (!rd_busy_i[0]) begin
            st_q <= StRecRead;   // rd_start_o this cycle
          end
        end
        StRecRead: begin
          if (rd_err_i[0]) begin
            err_q <= ErrAxiRead;
            st_q  <= StFin;
          end else if (rec_fire) begin
            rec_beat_q <= rec_beat_q + 6'd1;
            if (rd_last_i[0]) st_q <= StPrm;
          end
        end
        StPrm: begin
          if (prm_fire) begin
            prm_beat_q <= prm_beat_q + 4'd1;
            if (prm_beat_q == 4'(Beats - 1)) st_q <= StRun;
          end
        end
        StRun: begin
          if (out_fire && out_left_q == 11'd1) st_q <= StDrain;
        end
        StDrain: st_q <= StFin;      // the last beat's write is under way
        StFin:   st_q <= StIdle;
        default: st_q <= StIdle;
      endcase

      // input reads (credit counted)
      if (issue) begin
        in_left_q <= in_left_q - 11'd1;
        in_sub_q  <= in_sub_q + 2'd1;
        if (in_sub_q == 2'd3) in_word_q <= in_word_q + 11'd1;
      end
      occ_q  <= occ_q + 3'(issue) - 3'(in_fire);
      s1_q   <= issue;
      sub1_q <= in_sub_q;
      s2_q   <= s1_q;

      // output writes
      we_q <= out_fire;
      if (out_fire) begin
        waddr_q    <= out_word_q;
        wsub_q     <= out_sub_q;
        out_left_q <= out_left_q - 11'd1;
        out_sub_q  <= out_sub_q + 2'd1;
        if (out_sub_q == 2'd3) out_word_q <= out_word_q + 11'd1;
      end
    end
  end

  // ------------------------------------------------------------------ record banks (no reset)
  logic [127:0] rec_q [4][RecBank];
  logic [BExpBits-1:0] gexp_q, bexp_q;
  logic [1:0] rec_bank;
  logic [3:0] rec_word;   // (beat mod 24) / 2
  assign rec_word = (rec_beat_q >= 6'd24) ? 4'((rec_beat_q - 6'd24) >> 1) : rec_beat_q[4:1];
  assign rec_bank = {rec_beat_q >= 6'd24, rec_beat_q[0]};
  always_ff @(posedge clk_i) begin
    if (rec_fire && !rd_err_i[0]) begin
      if (rec_beat_q < 6'd48) begin
        rec_q[rec_bank][rec_word] <= rd_data_i[0];
      end else if (rec_beat_q == 6'd48) begin
        gexp_q <= rd_data_i[0][BExpBits-1:0];
        bexp_q <= rd_data_i[0][8 +: BExpBits];
      end
    end
  end

  logic [PrmW-1:0] prm_data;
  assign prm_data = {bexp_q, gexp_q, rec_q[3][prm_beat_q], rec_q[2][prm_beat_q],
                     rec_q[1][prm_beat_q], rec_q[0][prm_beat_q]};

  // ------------------------------------------------------------------ input datapath
  // Stage 1 (one cycle after the read): the 16 lanes of chunk sub1_q. X holds moe_acc
  // (MoeAccBits, sign-extended): saturated to act. The act buffers N K V A hold codes in
  // range: their low ActBits are the code. Only the possible sources are muxed (a 4:1 of
  // the act buffers, X apart), the lane group after the buffer.
  logic [1:0] asel_q;            // act source: 0 N, 1 K, 2 V, 3 A
  logic       from_x_q;
  logic [3:0][2047:0] awords;
  logic [2047:0]      aword;
  logic [BeatW-1:0]   s1_data;
  assign awords = {buf_rdata_i[5], buf_rdata_i[4], buf_rdata_i[3], buf_rdata_i[1]};
  assign aword  = awords[asel_q];
  always_comb begin
    for (int l = 0; l < Lanes; l++) begin
      logic [MoeAccBits-1:0] x;
      x = buf_rdata_i[0][32 * (Lanes * int'(sub1_q) + l) +: MoeAccBits];
      if (!from_x_q) begin
        s1_data[l*ActBits +: ActBits] = aword[32 * (Lanes * int'(sub1_q) + l) +: ActBits];
      end else if (x[MoeAccBits-1:ActBits-1] == '0 || x[MoeAccBits-1:ActBits-1] == '1) begin
        s1_data[l*ActBits +: ActBits] = x[ActBits-1:0];        // in the act range
      end else begin
        s1_data[l*ActBits +: ActBits] = x[MoeAccBits-1] ? ActBits'(ActMin) : ActBits'(ActMax);
      end
    end
  end
  always_ff @(posedge clk_i) begin
    if (s1_q) s2_data_q <= s1_data;
  end

  stream_fifo #(.Width(BeatW), .Depth(FifoD)) u_in_fifo (
    .clk_i,
    .rst_ni     (krst_nq),
    .in_valid_i (s2_q),
    .in_ready_o (fifo_in_ready),   // never low when s2_q is high: credits
    .in_data_i  (s2_data_q),
    .out_valid_o(fifo_valid),
    .out_ready_i(ln_in_ready),
    .out_data_o (fifo_data)
  );

  layernorm #(.Lanes(Lanes), .StepsPerCycle(LnSteps)) u_ln (
    .clk_i,
    .rst_ni     (krst_nq),
    .prm_valid_i(prm_valid),
    .prm_ready_o(prm_ready),
    .prm_data_i (prm_data),
    .in_valid_i (fifo_valid),
    .in_ready_o (ln_in_ready),
    .in_data_i  (fifo_data),
    .out_valid_o(ln_out_valid),
    .out_ready_i(out_ready),
    .out_data_o (ln_out_data)
  );

  always_ff @(posedge clk_i) begin
    if (out_fire) wdata_q <= ln_out_data;
  end

  // ------------------------------------------------------------------ outputs (0 while idle)
  logic [2047:0] wword;
  logic [63:0]   wlanes;
  always_comb begin
    for (int l = 0; l < 64; l++) begin
      wword[32*l +: 32] = 32'($signed(wdata_q[(l % Lanes)*ActBits +: ActBits]));
      wlanes[l]         = (l / Lanes == int'(wsub_q));
    end
  end

  // Sources and destinations are X N K V A: the Q and H ports stay 0.
  logic [6:0] re_b, we_b;
  always_comb begin
    for (int b = 0; b < 7; b++) begin
      re_b[b]         = (b != 2) && (b != 6) && issue && (src_q == 3'(b));
      we_b[b]         = (b != 2) && (b != 6) && we_q && (dst_q == 3'(b));
      buf_re_o[b]     = re_b[b];
      buf_raddr_o[b]  = re_b[b] ? in_word_q : '0;
      buf_we_o[b]     = we_b[b];
      buf_waddr_o[b]  = we_b[b] ? waddr_q : '0;
      buf_wlanes_o[b] = we_b[b] ? wlanes : '0;
      buf_wdata_o[b]  = we_b[b] ? wword : '0;
    end
  end

  assign rd_start_o    = {3'b000, st_q == StRecWait && !bad_q && !rd_busy_i[0]};
  assign rd_addr_o[0]  = (st_q == StRecWait) ? rec_addr_q : '0;
  assign rd_bytes_o[0] = (st_q == StRecWait) ? 24'(RecBytes) : '0;
  assign rd_ready_o    = {3'b000, st_q == StRecRead};
  for (genvar e = 1; e < 4; e++) begin : g_rd_unused
    assign rd_addr_o[e]  = '0;
    assign rd_bytes_o[e] = '0;
  end

  assign busy_o = (st_q != StIdle);
  assign done_o = (st_q == StFin);
  assign err_o  = (st_q == StFin) ? err_q : '0;

  logic unused;
  assign unused = ^{rd_busy_i[3:1], rd_err_i[3:1], rd_valid_i[3:1], rd_data_i[3:1], rd_first_i,
                    rd_last_i[3:1], fifo_in_ready, buf_rdata_i[2], buf_rdata_i[6]};  // Q, H: never a source

endmodule
