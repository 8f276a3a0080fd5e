// Sequencer of the top: command fetch, decode and field validation, the control
// opcodes (END, NOP, MARK), LOAD/STORE between the I/O region and the activation
// buffers, errors, watchdog, ABORT and the run's counters (docs/architecture.md,
// "Command descriptors", "Register map", "Implementation status of the top").
//
// * Fetch: one 32-byte descriptor per burst (2 beats) at CMD_BASE + 32 i on the read
//   engine (port 0).
// * LOAD: the I/O bytes stream in beat by beat; one element per cycle goes to the
//   buffer write port (format 0: int32, saturated to act; format 1: u8 pix << 8).
// * STORE: one element per cycle is read from the buffer (latency 1), saturated to act,
//   sign-extended to int32 and packed into 16-byte beats (a 4-beat FIFO before the write
//   engine: a read is issued only when its beat is sure to find room).
// * The compute opcodes (LAYERNORM, LINEAR, ATTENTION, MOE_GATE, EXPERTS) are not
//   integrated: they end the run with BAD_OPCODE at their index (never a silent success).
// * Stopping (ABORT, AXI error, watchdog): no new command or burst is issued; the AXI
//   engines drain what is in flight. ABORT and AXI errors report once drained (BUSY
//   until then); the watchdog reports at once (the top is idle while drain_o shows
//   transactions still in flight: a memory that never answers cannot be waited for).
module edgemoe_seq
  import edgemoe_pkg::*;
#(
  parameter int unsigned AddrW = 64,
  parameter int unsigned LenW  = 24
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  // registers
  input  logic             start_i,
  input  logic             abort_i,
  input  logic             soft_reset_i,
  input  logic [31:0]      timeout_i,
  input  logic [63:0]      cmd_base_i,
  input  logic [31:0]      cmd_count_i,
  input  logic [63:0]      io_base_i,
  output logic             busy_o,
  output logic             done_o,
  output logic             drain_o,
  output logic [7:0]       opcode_o,
  output logic [7:0]       err_code_o,
  output logic [23:0]      err_index_o,
  output logic [31:0]      cmd_index_o,
  output logic [63:0]      cycles_o,
  output logic [31:0]      ddr_rd_o,
  output logic [31:0]      ddr_wr_o,
  output logic [31:0]      mark_o,
  output logic             irq_done_o,    // one-cycle pulses into IRQ_STATUS
  output logic             irq_error_o,
  output logic             irq_mark_o,
  // read engine
  output logic             rd_start_o,
  output logic [AddrW-1:0] rd_addr_o,
  output logic [LenW-1:0]  rd_bytes_o,
  output logic             rd_stop_o,
  input  logic             rd_busy_i,
  input  logic             rd_err_i,
  input  logic             rd_valid_i,
  output logic             rd_ready_o,
  input  logic [127:0]     rd_data_i,
  input  logic             rd_first_i,
  input  logic             rd_last_i,
  input  logic             rd_hs_i,       // an R beat was taken on the bus (counted)
  // write engine
  output logic             wr_start_o,
  output logic [AddrW-1:0] wr_addr_o,
  output logic [LenW-1:0]  wr_bytes_o,
  output logic             wr_stop_o,
  input  logic             wr_busy_i,
  input  logic             wr_err_i,
  output logic             wr_valid_o,
  input  logic             wr_ready_i,
  output logic [127:0]     wr_data_o,
  input  logic             wr_hs_i,       // a W beat was taken on the bus (counted)
  // activation buffers: element ports (the top maps row/column to words and lanes)
  output logic             buf_we_o,
  output logic [3:0]       buf_wid_o,
  output logic [7:0]       buf_wrow_o,
  output logic [9:0]       buf_wcol_o,
  output logic [31:0]      buf_wdata_o,   // act code (sign-extended)
  output logic             buf_re_o,
  output logic [3:0]       buf_rid_o,
  output logic [7:0]       buf_rrow_o,
  output logic [9:0]       buf_rcol_o,
  input  logic [31:0]      buf_rdata_i    // raw element (sign-extended), one cycle after buf_re_o
);

  // Opcodes, buffer ids and error codes of docs/architecture.md.
  localparam logic [7:0] OpEnd = 8'h00, OpLoad = 8'h01, OpStore = 8'h02, OpMark = 8'h08, OpNop = 8'h0F;
  localparam logic [3:0] BufQ = 4'd2, BufH = 4'd6, BufNone = 4'd15;
  localparam logic [7:0] ErrBadOpcode = 8'h01, ErrBadField = 8'h02, ErrAxiRead = 8'h03, ErrAxiWrite = 8'h04,
                         ErrTimeout = 8'h05, ErrAborted = 8'h07, ErrStartBusy = 8'h08;
  localparam int signed ActMax = (1 <<< (ActBits - 1)) - 1;
  localparam int signed ActMin = -(1 <<< (ActBits - 1));

  typedef enum logic [3:0] {
    SIdle, SFetch, SFetchWait, SDecode, SNext, SLoad, SStore, SStop
  } state_e;
  state_e state_q;

  logic [31:0] idx_q;
  logic [31:0] w_q [8];
  logic        done_q, stop_q, abort_q, err_evt_q, done_evt_q;
  logic [7:0]  err_code_q, stop_code_q, opcode_q;
  logic [23:0] err_index_q;
  logic [63:0] cycles_q, rd_bytes_q, wr_bytes_q;
  logic [31:0] mark_q, wd_q;

  // ---- decode of the descriptor in w_q -------------------------------------------------
  logic [7:0]  op;
  logic [3:0]  ba, bb, bc;
  logic [11:0] xfield;
  logic [15:0] rows, cols, row0, col0;
  assign op     = w_q[0][7:0];
  assign ba     = w_q[0][11:8];
  assign bb     = w_q[0][15:12];
  assign bc     = w_q[0][19:16];
  assign xfield = w_q[0][31:20];
  assign rows   = w_q[2][15:0];
  assign cols   = w_q[2][31:16];
  assign row0   = w_q[3][15:0];
  assign col0   = w_q[3][31:16];

  function automatic logic io_buf(logic [3:0] b);  // buffers LOAD and STORE may use
    return (b <= BufH) && (b != BufQ);
  endfunction
  function automatic logic [16:0] buf_cols(logic [3:0] b);
    return (b == BufH) ? 17'(MlpHidden) : 17'(EmbedDim);
  endfunction

  logic        fmt_pix, tail_zero, rect_ok, io_ok;
  logic [3:0]  io_buf_id;
  logic [7:0]  dec_err;
  assign fmt_pix   = (op == OpLoad) && (w_q[0][23:20] == 4'd1);
  assign io_buf_id = (op == OpLoad) ? bb : ba;
  assign tail_zero = (w_q[4] | w_q[5] | w_q[6] | w_q[7]) == 32'd0;
  assign rect_ok   = (rows != 16'd0) && (cols != 16'd0) &&
                     ({1'b0, row0} + {1'b0, rows} <= 17'(NumTokens)) &&
                     ({1'b0, col0} + {1'b0, cols} <= buf_cols(io_buf_id));
  assign io_ok     = io_buf(io_buf_id) && rect_ok && (io_base_i[11:0] == 12'd0) &&
                     (fmt_pix || (w_q[1][1:0] == 2'd0));
  always_comb begin
    dec_err = 8'h00;
    unique case (op)
      OpEnd, OpNop: if (!(ba == BufNone && bb == BufNone && bc == BufNone && xfield == 12'd0 &&
                          w_q[1] == 32'd0 && w_q[2] == 32'd0 && w_q[3] == 32'd0 && tail_zero))
                      dec_err = ErrBadField;
      OpMark:       if (!(ba == BufNone && bb == BufNone && bc == BufNone && xfield[11:1] == 11'd0 &&
                          w_q[2] == 32'd0 && w_q[3] == 32'd0 && tail_zero))
                      dec_err = ErrBadField;
      OpLoad:       if (!(ba == BufNone && bc == BufNone && w_q[0][31:24] == 8'd0 && w_q[0][23:21] == 3'd0 &&
                          tail_zero && io_ok))
                      dec_err = ErrBadField;
      OpStore:      if (!(bb == BufNone && bc == BufNone && xfield == 12'd0 && tail_zero && io_ok))
                      dec_err = ErrBadField;
      // 0x03..0x07 (LAYERNORM, LINEAR, ATTENTION, MOE_GATE, EXPERTS): not integrated in this top yet.
      default:      dec_err = ErrBadOpcode;
    endcase
  end

  // ---- LOAD / STORE element walk ------------------------------------------------------------
  logic [15:0] r_q, c_q;              // element position within the rectangle
  logic [31:0] left_q;                // elements not yet issued
  logic        last_elem;
  logic [31:0] n_elems;
  logic [LenW-1:0] io_bytes;
  assign n_elems   = rows * cols;
  assign io_bytes  = fmt_pix ? LenW'(n_elems) : LenW'(n_elems << 2);
  assign last_elem = left_q == 32'd1;

  // LOAD: the beat being unpacked
  logic [127:0] beat_q;
  logic         beat_v_q;
  logic [3:0]   bp_q;
  logic [31:0]  ld_elem;
  logic [31:0]  ld_word;
  logic [7:0]   ld_byte;
  assign ld_word = beat_q[{bp_q[3:2], 5'b0} +: 32];
  assign ld_byte = beat_q[{bp_q, 3'b0} +: 8];
  always_comb begin
    if (fmt_pix) begin
      ld_elem = {16'd0, ld_byte, 8'd0};  // pix << 8
    end else if ($signed(ld_word) > ActMax) begin
      ld_elem = 32'(ActMax);
    end else if ($signed(ld_word) < ActMin) begin
      ld_elem = 32'(ActMin);
    end else begin
      ld_elem = ld_word;
    end
  end
  logic ld_step, ld_beat_end;
  assign ld_step = (state_q == SLoad) && beat_v_q && (left_q != 32'd0) && !stop_q;
  assign ld_beat_end = (fmt_pix ? bp_q == 4'd15 : bp_q == 4'd12) || last_elem;

  // STORE: read pipeline -> packer -> beat FIFO -> write engine
  logic         st_rd_q;               // a buffer read issued last cycle
  logic         st_last_q;             // ... and it is the rectangle's last element
  logic [127:0] pack_q;
  logic [3:0]   pp_q;
  logic [127:0] fifo_q [4];
  logic [2:0]   fifo_n_q;
  logic [1:0]   fifo_rd_q, fifo_wr_q;
  logic         st_issue, fifo_push, fifo_pop;
  logic [31:0]  st_elem;
  assign st_issue = (state_q == SStore) && (left_q != 32'd0) && !stop_q &&
                    ({1'b0, fifo_n_q} + {3'b0, st_rd_q} < 4'd4);
  always_comb begin
    if ($signed(buf_rdata_i) > ActMax) st_elem = 32'(ActMax);
    else if ($signed(buf_rdata_i) < ActMin) st_elem = 32'(ActMin);
    else st_elem = buf_rdata_i;
  end
  assign fifo_push = st_rd_q && ((pp_q == 4'd12) || st_last_q);
  assign fifo_pop  = wr_valid_o && wr_ready_i;
  logic [127:0] pack_next;
  always_comb begin
    pack_next = pack_q;
    pack_next[{pp_q[3:2], 5'b0} +: 32] = st_elem;
  end

  // ---- control ------------------------------------------------------------------------------
  logic running, wd_fire, io_done, rd_err, wr_err;
  // the engines' error flags hold until their next start: only the states using them look
  assign rd_err = rd_err_i && (state_q == SFetchWait || state_q == SLoad);
  assign wr_err = wr_err_i && (state_q == SStore);
  assign running = (state_q != SIdle);
  assign wd_fire = running && (timeout_i != 32'd0) && (wd_q >= timeout_i);
  assign io_done = (state_q == SLoad) ? (left_q == 32'd0 && !beat_v_q && !rd_busy_i)
                                      : (left_q == 32'd0 && !st_rd_q && fifo_n_q == 3'd0 && !wr_busy_i);

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      state_q <= SIdle; idx_q <= '0; done_q <= 1'b0; err_evt_q <= 1'b0; done_evt_q <= 1'b0; stop_q <= 1'b0; abort_q <= 1'b0;
      err_code_q <= '0; err_index_q <= '0; stop_code_q <= '0; opcode_q <= '0;
      cycles_q <= '0; rd_bytes_q <= '0; wr_bytes_q <= '0; mark_q <= '0; wd_q <= '0;
      for (int i = 0; i < 8; i++) w_q[i] <= '0;
      r_q <= '0; c_q <= '0; left_q <= '0; beat_v_q <= 1'b0; bp_q <= '0; beat_q <= '0;
      st_rd_q <= 1'b0; st_last_q <= 1'b0; pack_q <= '0; pp_q <= '0;
      fifo_n_q <= '0; fifo_rd_q <= '0; fifo_wr_q <= '0;
    end else begin
      // bus counters (all traffic of port 0, drained bursts included)
      if (rd_hs_i) rd_bytes_q <= rd_bytes_q + 64'd16;
      if (wr_hs_i) wr_bytes_q <= wr_bytes_q + 64'd16;
      if (running) cycles_q <= cycles_q + 64'd1;
      wd_q <= wd_q + 32'd1;
      // the drain of a stopped run ends when both engines are idle
      if (stop_q && !rd_busy_i && !wr_busy_i) stop_q <= 1'b0;
      if (abort_i && running) abort_q <= 1'b1;
      // START while busy (or draining): ignored, flagged
      err_evt_q  <= 1'b0;
      done_evt_q <= 1'b0;
      if (start_i && (running || stop_q) && err_code_q == 8'h00) begin
        err_evt_q   <= 1'b1;
        err_code_q  <= ErrStartBusy;
        err_index_q <= idx_q[23:0];
      end

      unique case (state_q)
        SIdle: begin
          if (start_i && !stop_q) begin
            done_q <= 1'b0; err_code_q <= '0; err_index_q <= '0; abort_q <= 1'b0;
            cycles_q <= '0; rd_bytes_q <= '0; wr_bytes_q <= '0; idx_q <= '0; opcode_q <= '0; wd_q <= '0;
            if (cmd_base_i[4:0] != 5'd0) begin
              err_code_q <= ErrBadField;  // CMD_BASE not 32-byte aligned
              err_evt_q  <= 1'b1;
              state_q    <= SIdle;
            end else begin
              state_q <= SFetch;
            end
          end else if (soft_reset_i) begin
            done_q <= 1'b0; err_code_q <= '0; err_index_q <= '0; abort_q <= 1'b0; opcode_q <= '0;
            cycles_q <= '0; rd_bytes_q <= '0; wr_bytes_q <= '0; idx_q <= '0; mark_q <= '0;
          end
        end
        SFetch: begin
          wd_q <= '0;
          if (idx_q == cmd_count_i) begin
            done_q <= 1'b1;  // a run ends after CMD_COUNT descriptors as at END
            done_evt_q <= 1'b1;
            state_q <= SIdle;
          end else begin
            state_q <= SFetchWait;
          end
        end
        SFetchWait: begin
          if (rd_valid_i) begin
            if (rd_first_i) begin
              for (int i = 0; i < 4; i++) w_q[i] <= rd_data_i[32*i +: 32];
            end else begin
              for (int i = 0; i < 4; i++) w_q[4 + i] <= rd_data_i[32*i +: 32];
            end
            if (rd_last_i) state_q <= SDecode;
          end
        end
        SDecode: begin
          opcode_q <= op;
          r_q <= '0; c_q <= '0; left_q <= n_elems;
          beat_v_q <= 1'b0; pp_q <= wr_addr_o[3:0]; pack_q <= '0;
          if (dec_err != 8'h00) begin
            err_code_q  <= dec_err;  // nothing in flight: report at once
            err_evt_q   <= 1'b1;
            err_index_q <= idx_q[23:0];
            state_q     <= SIdle;
          end else begin
            unique case (op)
              OpEnd:   begin done_q <= 1'b1; done_evt_q <= 1'b1; state_q <= SIdle; end
              OpMark:  begin mark_q <= w_q[1]; state_q <= SNext; end
              OpLoad:  state_q <= SLoad;
              OpStore: state_q <= SStore;
              default: state_q <= SNext;  // NOP
            endcase
          end
        end
        SNext: begin
          idx_q   <= idx_q + 32'd1;
          state_q <= SFetch;
        end
        SLoad: begin
          if (ld_step) begin
            left_q <= left_q - 32'd1;
            if (c_q + 16'd1 == cols) begin c_q <= '0; r_q <= r_q + 16'd1; end
            else c_q <= c_q + 16'd1;
            if (fmt_pix) bp_q <= bp_q + 4'd1; else bp_q <= bp_q + 4'd4;
            if (ld_beat_end) beat_v_q <= 1'b0;
          end
          // a new beat (taken when the register is empty or its last element goes this cycle)
          if (rd_valid_i && rd_ready_o) begin
            beat_q   <= rd_data_i;
            beat_v_q <= 1'b1;
            bp_q     <= rd_first_i ? rd_addr_o[3:0] : 4'd0;
          end
          if (io_done) state_q <= SNext;
        end
        SStore: begin
          if (st_issue) begin
            left_q <= left_q - 32'd1;
            if (c_q + 16'd1 == cols) begin c_q <= '0; r_q <= r_q + 16'd1; end
            else c_q <= c_q + 16'd1;
          end
          st_rd_q   <= st_issue;
          st_last_q <= st_issue && last_elem;
          if (st_rd_q) begin
            if (fifo_push) begin
              pack_q <= '0;
              pp_q   <= '0;
            end else begin
              pack_q <= pack_next;
              pp_q   <= pp_q + 4'd4;
            end
          end
          if (io_done) state_q <= SNext;
        end
        SStop: begin
          if (!rd_busy_i && !wr_busy_i) begin
            err_code_q  <= stop_code_q;
            err_evt_q   <= 1'b1;
            err_index_q <= idx_q[23:0];
            state_q     <= SIdle;
          end
        end
        default: state_q <= SIdle;
      endcase

      // beat FIFO of STORE
      if (fifo_push) begin
        fifo_q[fifo_wr_q] <= pack_next;
        fifo_wr_q <= fifo_wr_q + 2'd1;
      end
      if (fifo_pop) fifo_rd_q <= fifo_rd_q + 2'd1;
      fifo_n_q <= fifo_n_q + 3'(fifo_push) - 3'(fifo_pop);

      // Stopping: an abort or an AXI error in a busy state; the watchdog overrides all.
      if (running && state_q != SStop && state_q != SIdle) begin
        if (rd_err || wr_err || abort_q || abort_i) begin
          stop_code_q <= rd_err ? ErrAxiRead : (wr_err ? ErrAxiWrite : ErrAborted);
          stop_q      <= 1'b1;
          state_q     <= SStop;
        end
      end
      if (wd_fire) begin
        err_code_q  <= ErrTimeout;
        err_evt_q   <= 1'b1;
        err_index_q <= idx_q[23:0];
        stop_q      <= 1'b1;
        state_q     <= SIdle;
      end
      if (state_q == SIdle || state_q == SStop) begin
        // a stopped run throws away its partial STORE beats
        if (stop_q) begin fifo_n_q <= '0; fifo_rd_q <= '0; fifo_wr_q <= '0; end
      end
    end
  end

  // ---- outputs --------------------------------------------------------------------------------
  assign rd_start_o = (state_q == SFetch && idx_q != cmd_count_i) ||
                      (state_q == SDecode && dec_err == 8'h00 && op == OpLoad);
  assign rd_addr_o  = (state_q == SFetch || state_q == SFetchWait) ? (cmd_base_i + AddrW'({idx_q, 5'b0}))
                                                                   : (io_base_i + AddrW'(w_q[1]));
  assign rd_bytes_o = (state_q == SFetch) ? LenW'(32) : io_bytes;
  assign rd_stop_o  = stop_q;
  assign rd_ready_o = (state_q == SFetchWait) || (state_q == SLoad && (!beat_v_q || (ld_step && ld_beat_end)));
  assign wr_start_o = (state_q == SDecode && dec_err == 8'h00 && op == OpStore);
  assign wr_addr_o  = io_base_i + AddrW'(w_q[1]);
  assign wr_bytes_o = io_bytes;
  assign wr_stop_o  = stop_q;
  assign wr_valid_o = (fifo_n_q != 3'd0) && !stop_q;
  assign wr_data_o  = fifo_q[fifo_rd_q];

  assign buf_we_o    = ld_step;
  assign buf_wid_o   = bb;
  assign buf_wrow_o  = 8'(row0 + r_q);
  assign buf_wcol_o  = 10'(col0 + c_q);
  assign buf_wdata_o = ld_elem;
  assign buf_re_o    = st_issue;
  assign buf_rid_o   = ba;
  assign buf_rrow_o  = 8'(row0 + r_q);
  assign buf_rcol_o  = 10'(col0 + c_q);

  assign busy_o      = running;
  assign done_o      = done_q;
  assign drain_o     = stop_q;
  assign opcode_o    = opcode_q;
  assign err_code_o  = err_code_q;
  assign err_index_o = err_index_q;
  assign cmd_index_o = idx_q;
  assign cycles_o    = cycles_q;
  assign ddr_rd_o    = rd_bytes_q[37:6];
  assign ddr_wr_o    = wr_bytes_q[37:6];
  assign mark_o      = mark_q;

  // IRQ events: done at END / CMD_COUNT, error whenever a code is recorded, mark by MARK [20].
  assign irq_done_o  = done_evt_q;
  assign irq_error_o = err_evt_q;
  assign irq_mark_o  = (state_q == SDecode) && (dec_err == 8'h00) && (op == OpMark) && w_q[0][20];

endmodule
