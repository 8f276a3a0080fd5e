// Sequencer of the top: command fetch, decode and field validation, the control
// opcodes (END, NOP, MARK), LOAD/STORE between the I/O region and the activation
// buffers, errors, watchdog, ABORT and the run's counters (docs/architecture.md,
// "Command descriptors", "Register map", "Implementation status of the top"; the
// field rules are the instruction-set model's, edgemoe.driver.iss).
//
// * START checks CMD_COUNT != 0 and the alignment of CMD_BASE (32 B), WBASE and IOBASE
//   (4 KB): BAD_FIELD at index 0 otherwise. START while busy leaves the run alone and
//   records START_BUSY; START while idle with an error recorded is ignored (SOFT_RESET first).
// * Fetch: one 32-byte descriptor per burst (2 beats) at CMD_BASE + 32 i on port 0.
// * LOAD/STORE move whole 16-byte beats: I/O offsets are 16-byte aligned and the
//   rectangle's columns are whole 16-column chunks, so an int32 beat is 4 lanes of one
//   buffer word and a u8 beat is one whole word. LOAD: one beat per cycle (int32
//   saturated to act, to q for Q; pix << 8). STORE: one buffer word per 4 beats, saturated
//   to act and sign-extended to int32, one beat per cycle (a 2-word FIFO after the buffer read).
// * The compute opcodes (LAYERNORM, LINEAR, ATTENTION, MOE_GATE, EXPERTS) go to their
//   executor (edgemoe_exec_*), which checks their fields. Two issue classes: class 0 =
//   LAYERNORM, LINEAR, MOE_GATE, EXPERTS (they share the read engines and the cluster),
//   class 1 = ATTENTION (no DDR traffic). Each class runs one command at a time
//   (ex_go_o[c] with its descriptor in ex_cmd_o[c], held until ex_done_i[c]); the two
//   classes run concurrently under the scoreboard: commands issue in list order, and a
//   command issues only when its class is idle and, per buffer and 64-column block, it
//   reads nothing the other class's command writes and writes nothing it reads or
//   writes (docs/architecture.md, "Sequencer rules"). So ATTENTION of head h runs while
//   the cluster computes the projections of head h + 1. Class 0 takes a second LINEAR
//   behind a running LINEAR when exec_lin says it can queue one (lin_qready_i: its weights
//   load while the first computes; exec_lin keeps the order and the data dependencies of
//   the two, and reports their dones in order). LOAD, STORE, MARK and END wait
//   until both classes are idle (MARK: the last finished block). An opcode whose
//   executor is not built into the top (ex_en_i) ends the run with BAD_OPCODE.
//   An executor's error (BAD_FIELD, BAD_IMAGE, AXI_READ) stops the run like an AXI
//   error: the read engines drain, then the code is reported at that command's index
//   (with two commands in flight: the first error to arrive).
//   ex_kill_o (one cycle) resets the executors: at an accepted START, a SOFT_RESET, and
//   whenever a run stops (ABORT, watchdog, any error while executing).
// * Command fetch and LOAD use this sequencer's own read engine (port 0, AXI id 0); the
//   executors' engine on port 0 has id 1, so descriptors are fetched while the cluster
//   streams weights.
// * Stopping (ABORT, AXI error, watchdog): no new command or burst is issued; the AXI
//   engines drain what is in flight. ABORT and AXI errors report once drained (BUSY
//   until then); the watchdog reports at once (the top is idle while drain_o shows
//   transactions still in flight: a memory that never answers cannot be waited for).
module edgemoe_seq #(
  parameter int unsigned AddrW = 64,
  parameter int unsigned LenW  = 24,
  parameter int unsigned Lanes = 16
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  // registers
  input  logic                  start_i,
  input  logic                  abort_i,
  input  logic                  soft_reset_i,
  input  logic [31:0]           timeout_i,
  input  logic [63:0]           cmd_base_i,
  input  logic [31:0]           cmd_count_i,
  input  logic [63:0]           wbase_i,
  input  logic [63:0]           io_base_i,
  output logic                  busy_o,
  output logic                  done_o,
  output logic                  drain_o,
  output logic [7:0]            opcode_o,
  output logic [7:0]            err_code_o,
  output logic [23:0]           err_index_o,
  output logic [31:0]           cmd_index_o,
  output logic [63:0]           cycles_o,
  output logic [31:0]           ddr_rd_o,
  output logic [31:0]           ddr_wr_o,
  output logic [31:0]           mark_o,
  output logic                  irq_done_o,    // one-cycle pulses into IRQ_STATUS
  output logic                  irq_error_o,
  output logic                  irq_mark_o,
  // read engine
  output logic                  rd_start_o,
  output logic [AddrW-1:0]      rd_addr_o,
  output logic [LenW-1:0]       rd_bytes_o,
  output logic                  rd_stop_o,
  input  logic                  rd_busy_i,
  input  logic                  rd_err_i,
  input  logic                  rd_valid_i,
  output logic                  rd_ready_o,
  input  logic [127:0]          rd_data_i,
  input  logic                  rd_first_i,
  input  logic                  rd_last_i,
  input  logic [2:0]            rd_hs_i,       // R beats taken on the buses this cycle (all ports; counted)
  input  logic                  rd_busy_all_i, // any read engine (all ports) busy: the drain waits for it
  // executors of the compute opcodes 0x03..0x07
  input  logic [4:0]            ex_en_i,       // bit op - 3: the opcode's executor is built in
  output logic [1:0]            ex_go_o,       // per class, one cycle: execute ex_cmd_o[c] (opcode in word 0)
  output logic [1:0][7:0][31:0] ex_cmd_o,      // per class: descriptor words, stable until its done
  output logic                  ex_kill_o,     // one cycle: reset the executors
  output logic                  ex_clear_o,    // one cycle: START or SOFT_RESET (clears QCOUNT; not at a stop)
  input  logic [1:0]            ex_done_i,     // per class
  input  logic [1:0][7:0]       ex_err_i,      // per class, with its done
  input  logic                  lin_qready_i,  // exec_lin takes a second LINEAR while one runs (dones in order)
  // write engine
  output logic                  wr_start_o,
  output logic [AddrW-1:0]      wr_addr_o,
  output logic [LenW-1:0]       wr_bytes_o,
  output logic                  wr_stop_o,
  input  logic                  wr_busy_i,
  input  logic                  wr_err_i,
  output logic                  wr_valid_o,
  input  logic                  wr_ready_i,
  output logic [127:0]          wr_data_o,
  input  logic                  wr_hs_i,       // a W beat was taken on the bus (counted)
  // activation buffers: one word = one 16-column chunk of a token row, word address
  // row x (columns / 16) + chunk; every output is a register (the write port one cycle
  // after the beat it carries)
  output logic                  buf_we_o,
  output logic [3:0]            buf_wid_o,
  output logic [12:0]           buf_waddr_o,
  output logic [Lanes-1:0]      buf_wlanes_o,
  output logic [Lanes*32-1:0]   buf_wdata_o,   // per lane: the element's code, sign-extended
  output logic                  buf_re_o,
  output logic [3:0]            buf_rid_o,
  output logic [12:0]           buf_raddr_o,
  input  logic [Lanes*32-1:0]   buf_rdata_i    // raw elements (sign-extended), one cycle after buf_re_o
);

  // Opcodes, buffer ids and error codes of docs/architecture.md (edgemoe.driver.isa).
  localparam logic [7:0] OpEnd = 8'h00, OpLoad = 8'h01, OpStore = 8'h02, OpMark = 8'h08, OpNop = 8'h0F;
  localparam logic [3:0] BufQ = 4'd2, BufH = 4'd6;
  localparam logic [7:0] ErrBadOpcode = 8'h01, ErrBadField = 8'h02, ErrAxiRead = 8'h03, ErrAxiWrite = 8'h04,
                         ErrTimeout = 8'h05, ErrAborted = 8'h07, ErrStartBusy = 8'h08;
  localparam int signed ActMax = (1 <<< (edgemoe_pkg::ActBits - 1)) - 1;
  localparam int signed ActMin = -(1 <<< (edgemoe_pkg::ActBits - 1));
  localparam int signed QMax = (1 <<< (edgemoe_pkg::QBits - 1)) - 1;
  localparam int signed QMin = -(1 <<< (edgemoe_pkg::QBits - 1));
  // The I/O region (docs "Activation I/O"): patches, class row, output.
  localparam int unsigned RowWords = edgemoe_pkg::EmbedDim / Lanes;    // X N Q K V A
  localparam int unsigned HRowWords = edgemoe_pkg::MlpHidden / Lanes;  // H
  localparam int unsigned IoBytes = edgemoe_pkg::NumPatches * edgemoe_pkg::PatchK + 4 * edgemoe_pkg::EmbedDim +
                                    4 * edgemoe_pkg::NumTokens * edgemoe_pkg::EmbedDim;

  function automatic logic [31:0] sat(logic [31:0] v, int signed lo, int signed hi);
    if ($signed(v) > hi) sat = 32'(hi);
    else if ($signed(v) < lo) sat = 32'(lo);
    else sat = v;
  endfunction

  // SCheck, SCheck2: the field checks, registered in two steps (the rectangle's size, then
  // the ranges) so that no path runs from a descriptor word through them to the AXI engines.
  typedef enum logic [3:0] {
    SIdle, SFetch, SFetchWait, SCheck, SCheck2, SDecode, SIssue, SNext, SLoad, SStore, SStop
  } state_e;
  state_e state_q;

  logic [31:0] idx_q;
  logic [31:0] w_q [8];
  logic        done_q, stop_q, abort_q, err_evt_q, done_evt_q;
  logic [7:0]  err_code_q, stop_code_q, opcode_q;
  logic [23:0] err_index_q;
  logic [63:0] cycles_q, rd_bytes_q, wr_bytes_q;
  logic [2:0]  hs_rd_q;               // R beats of the last cycle (counted one cycle late)
  logic        hs_wr_q;
  logic [31:0] mark_q, wd_q;
  logic        kill_q, clear_q;
  logic [23:0] stop_idx_q;            // index the stop reports (SStop)

  // ---- scoreboard: buffer blocks (64 columns) read and written by the commands in flight -------
  // bit 3 b + k: block k of buffer b < 6 (192 columns); bit 18 + k: block k of H (768 columns)
  localparam int unsigned NBlk = 30;
  // blocks first .. last (block = column / 64) of buffer b
  function automatic logic [NBlk-1:0] bmask(logic [3:0] b, logic [6:0] first, logic [6:0] last);
    bmask = '0;
    for (int k = 0; k < 12; k++) begin
      if (7'(k) >= first && 7'(k) <= last) begin
        if (b == BufH) bmask[18 + k] = 1'b1;
        else if (b < BufH && k < 3) bmask[3 * int'(b) + k] = 1'b1;
      end
    end
  endfunction
  logic [1:0]          cbusy_q;                 // class c has a command in flight
  logic [1:0][NBlk-1:0] crd_q, cwr_q;            // its blocks
  logic [1:0][23:0]    cidx_q;                  // its index
  logic [1:0][31:0]    cwd_q;                   // its watchdog
  logic [1:0][7:0][31:0] ccmd_q;                // its descriptor
  logic [NBlk-1:0]     drd, dwr, drd_q, dwr_q;  // the decoded command's blocks (SCheck -> SCheck2)
  logic                c0lin_q;                 // class 0's command is a LINEAR
  logic                q2busy_q;                // a second LINEAR queued behind it (class 0)
  logic [NBlk-1:0]     q2rd_q, q2wr_q;
  logic [23:0]         q2idx_q;
  logic [31:0]         q2wd_q;
  logic                issue0, issueq, done0;
  logic                dcls;                    // its class
  logic                issue_ok, drained;
  // the decoded command's class, "compute" and "LINEAR" flags (SCheck2) and the scoreboard's
  // verdict (every cycle, used the next): the issue starts from registers, not from w_q
  logic                dcls_q, dcomp_q, dlin_q, nc_q;


  // ---- decode of the descriptor in w_q -------------------------------------------------
  logic [7:0]  op;
  logic [3:0]  ba, bb, bc;
  logic [11:0] spec;
  logic [15:0] rows, cols, row0, col0;
  assign op   = w_q[0][7:0];
  assign ba   = w_q[0][11:8];
  assign bb   = w_q[0][15:12];
  assign bc   = w_q[0][19:16];
  assign spec = w_q[0][31:20];
  assign rows = w_q[2][15:0];
  assign cols = w_q[2][31:16];
  assign row0 = w_q[3][15:0];
  assign col0 = w_q[3][31:16];

  function automatic logic [16:0] buf_cols(logic [3:0] b);
    buf_cols = (b == BufH) ? 17'(edgemoe_pkg::MlpHidden) : 17'(edgemoe_pkg::EmbedDim);
  endfunction

  logic        fmt_pix, tail_zero, io_ok, io_region_ok;
  logic [3:0]  io_buf;
  logic [31:0] n_elems_q;             // rows x columns (SCheck)
  logic [LenW-1:0] io_bytes, io_bytes_q;
  logic [7:0]  dec_err, dec_err_w;
  // The checks run in three registered steps (300 MHz): SCheck the field tests (zero words,
  // the rectangle), SCheck2 the opcode's verdict and the I/O region bound, SDecode both.
  logic        fmt_pix_q, tz_q, io_ok_q, dio_q, region_ok_q;
  logic [4:0]  fz_q;                  // w_q[0][31:8], [19:8] with spec[11:1], w_q[1], w_q[2], w_q[3] zero
  logic [1:0]  lsok_q;                // LOAD's / STORE's buffer and spec fields as required
  assign fmt_pix   = (op == OpLoad) && (spec == 12'd1);
  assign io_buf    = (op == OpLoad) ? bb : ba;
  assign tail_zero = (w_q[4] | w_q[5] | w_q[6] | w_q[7]) == 32'd0;
  assign io_bytes  = fmt_pix_q ? LenW'(n_elems_q) : LenW'(n_elems_q << 2);
  // the rectangle, whole chunks, 16-byte aligned I/O offset (SCheck) and inside the I/O
  // region (SCheck2, from the registered size)
  assign io_ok     = (io_buf <= BufH) && (rows != 16'd0) && (cols != 16'd0) &&
                     (cols[3:0] == 4'd0) && (col0[3:0] == 4'd0) &&
                     ({1'b0, row0} + {1'b0, rows} <= 17'(edgemoe_pkg::NumTokens)) &&
                     ({1'b0, col0} + {1'b0, cols} <= buf_cols(io_buf)) && (w_q[1][3:0] == 4'd0);
  assign io_region_ok = {1'b0, w_q[1]} + 33'(io_bytes) <= 33'(IoBytes);
  logic [7:0] dec_pre_q;  // dec_err without the region bound (SCheck2)
  assign dec_err_w = (dec_pre_q == 8'h00 && dio_q && !region_ok_q) ? ErrBadField : dec_pre_q;
  always_comb begin
    dec_err = 8'h00;
    unique case (op)
      OpEnd, OpNop: if (!(fz_q[0] && fz_q[2] && fz_q[3] && fz_q[4] && tz_q)) dec_err = ErrBadField;
      OpMark:       if (!(fz_q[1] && fz_q[3] && fz_q[4] && tz_q)) dec_err = ErrBadField;
      OpLoad:       if (!(lsok_q[0] && tz_q && io_ok_q)) dec_err = ErrBadField;
      OpStore:      if (!(lsok_q[1] && tz_q && io_ok_q)) dec_err = ErrBadField;
      // 0x03..0x07 (LAYERNORM, LINEAR, ATTENTION, MOE_GATE, EXPERTS): their executor checks the fields
      8'h03, 8'h04, 8'h05, 8'h06, 8'h07:
                    if (!ex_en_i[3'(op - 8'h03)]) dec_err = ErrBadOpcode;
      default:      dec_err = ErrBadOpcode;
    endcase
  end

  // blocks of the compute command in w_q (field values beyond range: the executor's BAD_FIELD; the
  // masks are then merely conservative). LINEAR's column ranges as block indices, registered in
  // SCheck (the adds), the masks in SCheck2: source columns [16 c_s, 16 c_s + K), destination
  // columns [16 c_d, 16 c_d + N).
  logic [6:0] sb_first, db_first, sb_last_q, db_last_q, h_b, all_last;
  assign sb_first = 7'(w_q[3][15:10]);      // (16 x first source chunk) / 64
  assign db_first = 7'(w_q[3][23:18]);
  assign h_b      = 7'(w_q[0][21:20]);      // ATTENTION's head: 64 columns, one block
  assign all_last = 7'd11;
  always_comb begin
    drd = '0;
    dwr = '0;
    unique case (op)
      8'h03: begin drd = bmask(ba, 7'd0, all_last); dwr = bmask(bb, 7'd0, all_last); end
      8'h04: begin
        drd = bmask(ba, sb_first, sb_last_q) | bmask(bc, db_first, db_last_q);
        dwr = bmask(bb, db_first, db_last_q) | ((spec[2:0] == 3'd5) ? bmask(4'd0, 7'd0, all_last) : '0);  // embed: X
      end
      8'h05: begin
        drd = bmask(4'd2, h_b, h_b) | bmask(4'd3, h_b, h_b) | bmask(4'd4, h_b, h_b);
        dwr = bmask(4'd5, h_b, h_b);
      end
      8'h06: drd = bmask(ba, 7'd0, all_last);
      8'h07: begin
        drd = bmask(ba, 7'd0, all_last) | bmask(BufH, 7'd0, all_last) | bmask(4'd0, 7'd0, all_last);
        dwr = bmask(BufH, 7'd0, all_last) | bmask(4'd0, 7'd0, all_last);
      end
      default: ;
    endcase
  end
  assign dcls = (op == 8'h05);
  // the buffers a block mask touches (each buffer has one read and one write port: two commands
  // in flight never share a port, even on different blocks)
  function automatic logic [6:0] bufs(logic [NBlk-1:0] m);
    for (int b = 0; b < 6; b++) bufs[b] = |m[3*b +: 3];
    bufs[6] = |m[NBlk-1:18];
  endfunction
  // issue: the class idle, no conflict with the other class's command (read after write, write
  // after read or write per block; a shared port per buffer)
  logic [NBlk-1:0] o_rd, o_wr;
  logic            no_conflict;
  // The verdict nc_q is one cycle old when SIssue uses it: safe, because while a command waits
  // in SIssue the other class's blocks only shrink (a done, q2 moving up, a kill; nothing
  // issues), so a stale "no conflict" still holds and a stale "conflict" costs one cycle.
  assign o_rd = dcls_q ? (crd_q[0] | q2rd_q) : crd_q[1];
  assign o_wr = dcls_q ? (cwr_q[0] | q2wr_q) : cwr_q[1];
  assign no_conflict = !(cbusy_q[!dcls_q] && ((((drd_q & o_wr) | (dwr_q & (o_rd | o_wr))) != '0) ||
                                              ((bufs(drd_q) & bufs(o_rd)) != '0) || ((bufs(dwr_q) & bufs(o_wr)) != '0)));
  assign issue_ok = !cbusy_q[dcls_q] && nc_q;
  logic is_compute;
  assign is_compute = (op >= 8'h03) && (op <= 8'h07);
  assign issue0 = (state_q == SIssue) && dcomp_q && issue_ok;
  assign issueq = (state_q == SIssue) && dlin_q && cbusy_q[0] && c0lin_q && !q2busy_q && lin_qready_i && nc_q;
  assign done0  = ex_done_i[0] && cbusy_q[0];
  assign drained = (cbusy_q == 2'b00);

  // ---- LOAD / STORE beat walk ---------------------------------------------------------------
  // Position of the next beat in the rectangle: row r_q, chunk ck_q, quarter qt_q (int32:
  // four beats per chunk; pix: one).
  logic [12:0] wa_q;                 // word address of the next beat's word
  logic [12:0] rowbase_q, base_q;     // first row x row words (SCheck); + first chunk (SCheck2)
  logic [12:0] skip_q;                // from a row's last chunk to the next row's first
  logic [5:0]  ck_q;
  logic [1:0]  qt_q;
  logic [31:0] left_q;                // beats not yet moved (LOAD) / words not yet read (STORE)
  logic        left_nz_q;             // left_q != 0
  logic        at_end_q;              // idx_q == cmd_count_i (SFetch: written in SNext and at START)
  logic [5:0]  ck_last;
  assign ck_last = 6'((cols >> 4) - 16'd1);

  // LOAD: one beat per cycle straight from the read engine into the buffer
  logic              ld_step, ld_last;
  logic              we_q;
  logic [3:0]        wid_q;
  logic [12:0]       waddr_q;
  logic [Lanes-1:0]  wlanes_q;
  logic [Lanes*32-1:0] wdata_q;
  logic [Lanes-1:0]  ld_lanes;
  logic [Lanes*32-1:0] ld_data;
  assign ld_step = (state_q == SLoad) && rd_valid_i && left_nz_q && !stop_q;
  assign ld_last = fmt_pix_q || (qt_q == 2'd3);  // the beat finishes its chunk
  always_comb begin
    ld_lanes = '0;
    ld_data  = '0;
    for (int l = 0; l < Lanes; l++) begin
      if (fmt_pix_q) begin
        ld_lanes[l] = 1'b1;
        ld_data[32*l +: 32] = {16'd0, rd_data_i[8*l +: 8], 8'd0};  // pix << 8
      end else if (2'(l / 4) == qt_q) begin
        ld_lanes[l] = 1'b1;
        ld_data[32*l +: 32] = (bb == BufQ) ? sat(rd_data_i[32*(l % 4) +: 32], QMin, QMax)
                                           : sat(rd_data_i[32*(l % 4) +: 32], ActMin, ActMax);
      end
    end
  end

  // STORE: a 2-word FIFO holds buffer words; the head's four quarters go out as beats. A
  // read is issued only when its word is sure to find room (count + read in flight < 2), so
  // the words stream at one beat per cycle.
  logic                st_rd_q;        // a buffer read was issued last cycle
  logic [1:0]          wn_q;           // words in the FIFO
  logic                wh_q;           // head slot
  logic [1:0]          wq_q;           // next quarter of the head word to send
  logic [Lanes*32-1:0] word_q [2];
  logic                wv, st_issue, st_out_hs, st_pop;
  assign wv        = wn_q != 2'd0;
  assign st_out_hs = wr_valid_o && wr_ready_i;
  assign st_pop    = st_out_hs && wq_q == 2'd3;
  assign st_issue  = (state_q == SStore) && left_nz_q && !stop_q &&
                     ({1'b0, wn_q} + {2'b0, st_rd_q} < 3'd2);
  logic [127:0] st_beat;
  always_comb begin
    for (int i = 0; i < 4; i++) begin
      st_beat[32*i +: 32] = sat(word_q[wh_q][32*(4*int'(wq_q) + i) +: 32], ActMin, ActMax);
    end
  end

  // ---- control ------------------------------------------------------------------------------
  logic running, wd_fire, io_done, rd_err, wr_err, start_bad;
  assign running = (state_q != SIdle);
  // the watchdog: the sequencer's own command (fetch, LOAD, STORE) or a class's command in flight
  logic       wd_seq, ex_fail;
  logic [1:0] wd_cls;
  logic [7:0] ex_fail_code;
  logic [23:0] wd_idx, ex_fail_idx;
  // (the comparisons registered: the watchdog fires one cycle after its count reaches TIMEOUT;
  // a command issued in that cycle starts from a count of 0 with its class idle before)
  logic       wd_seq_q, wd_q2_q;
  logic [1:0] wd_cls_q;
  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      wd_seq_q <= 1'b0; wd_cls_q <= '0; wd_q2_q <= 1'b0;
    end else begin
      // (running: wd_q counts on while idle; START clears it)
      wd_seq_q <= running && (timeout_i != 32'd0) && (wd_q >= timeout_i) && state_q != SIssue;
      for (int c = 0; c < 2; c++) wd_cls_q[c] <= (timeout_i != 32'd0) && cbusy_q[c] && (cwd_q[c] >= timeout_i);
      wd_q2_q  <= (timeout_i != 32'd0) && q2busy_q && (q2wd_q >= timeout_i);
    end
  end
  assign wd_seq = wd_seq_q;
  assign wd_cls = wd_cls_q & cbusy_q;
  logic wd_q2;
  assign wd_q2 = wd_q2_q && q2busy_q;
  assign wd_fire = running && (wd_seq || wd_cls != 2'b00 || wd_q2);
  // the oldest in flight first: a class's command issued before the one being fetched
  always_comb begin
    wd_idx = idx_q[23:0];
    if (wd_cls[1] && (!wd_cls[0] || cidx_q[1] < cidx_q[0])) wd_idx = cidx_q[1];
    else if (wd_cls[0]) wd_idx = cidx_q[0];
    else if (wd_q2) wd_idx = q2idx_q;
  end
  // an executor's error (with its done)
  assign ex_fail = (ex_done_i[0] && cbusy_q[0] && ex_err_i[0] != 8'h00) ||
                   (ex_done_i[1] && cbusy_q[1] && ex_err_i[1] != 8'h00);
  always_comb begin
    if (ex_done_i[0] && cbusy_q[0] && ex_err_i[0] != 8'h00) begin
      ex_fail_code = ex_err_i[0]; ex_fail_idx = cidx_q[0];
    end else begin
      ex_fail_code = ex_err_i[1]; ex_fail_idx = cidx_q[1];
    end
  end
  assign io_done = (state_q == SLoad) ? (!left_nz_q && !rd_busy_i)
                                      : (!left_nz_q && !st_rd_q && !wv && !wr_busy_i);
  // the engines' error flags hold until their next start: only the states using them look
  assign rd_err = rd_err_i && (state_q == SFetchWait || state_q == SLoad);  // executors report their own
  assign wr_err = wr_err_i && (state_q == SStore);
  assign start_bad = (cmd_count_i == 32'd0) || (cmd_base_i[4:0] != 5'd0) || (wbase_i[11:0] != 12'd0) ||
                     (io_base_i[11:0] != 12'd0);

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      state_q <= SIdle; idx_q <= '0; done_q <= 1'b0; stop_q <= 1'b0; abort_q <= 1'b0;
      err_evt_q <= 1'b0; done_evt_q <= 1'b0; kill_q <= 1'b0; clear_q <= 1'b0; stop_idx_q <= '0;
      cbusy_q <= '0; crd_q <= '0; cwr_q <= '0; cidx_q <= '0; cwd_q <= '0; ccmd_q <= '0; drd_q <= '0; dwr_q <= '0;
      sb_last_q <= '0; db_last_q <= '0;
      c0lin_q <= 1'b0; q2busy_q <= 1'b0; dcls_q <= 1'b0; dcomp_q <= 1'b0; dlin_q <= 1'b0; nc_q <= 1'b0; q2rd_q <= '0; q2wr_q <= '0; q2idx_q <= '0; q2wd_q <= '0;
      err_code_q <= '0; err_index_q <= '0; stop_code_q <= '0; opcode_q <= '0;
      cycles_q <= '0; rd_bytes_q <= '0; wr_bytes_q <= '0; mark_q <= '0; wd_q <= '0; hs_rd_q <= '0; hs_wr_q <= 1'b0;
      for (int i = 0; i < 8; i++) w_q[i] <= '0;
      wa_q <= '0; rowbase_q <= '0; base_q <= '0; skip_q <= '0;
      ck_q <= '0; qt_q <= '0; left_q <= '0; left_nz_q <= 1'b0; at_end_q <= 1'b0; n_elems_q <= '0; io_bytes_q <= '0; dec_pre_q <= '0;
      fmt_pix_q <= 1'b0; tz_q <= 1'b0; io_ok_q <= 1'b0; dio_q <= 1'b0; region_ok_q <= 1'b0; fz_q <= '0;
      lsok_q <= '0;
      we_q <= 1'b0; wid_q <= '0; waddr_q <= '0; wlanes_q <= '0; wdata_q <= '0;
      st_rd_q <= 1'b0; wn_q <= '0; wh_q <= 1'b0; wq_q <= '0; word_q[0] <= '0; word_q[1] <= '0;
    end else begin
      err_evt_q  <= 1'b0;
      done_evt_q <= 1'b0;
      nc_q       <= no_conflict;
      // bus counters (all traffic of port 0, drained bursts included)
      // (the handshakes registered first: the engines' beat logic stays out of the adders)
      hs_rd_q <= rd_hs_i;
      hs_wr_q <= wr_hs_i;
      rd_bytes_q <= rd_bytes_q + {57'd0, hs_rd_q, 4'd0};  // 16 B per beat
      if (hs_wr_q) wr_bytes_q <= wr_bytes_q + 64'd16;
      if (running) cycles_q <= cycles_q + 64'd1;
      wd_q <= wd_q + 32'd1;
      cwd_q[0] <= cwd_q[0] + 32'd1;
      cwd_q[1] <= cwd_q[1] + 32'd1;
      q2wd_q   <= q2wd_q + 32'd1;
      // a command finished (an error stops the run at its index, below); class 0's queued
      // LINEAR becomes its running one
      if (ex_done_i[1] && cbusy_q[1]) begin
        cbusy_q[1] <= 1'b0;
        crd_q[1]   <= '0;
        cwr_q[1]   <= '0;
      end
      if (done0) begin
        if (q2busy_q) begin
          crd_q[0] <= q2rd_q; cwr_q[0] <= q2wr_q; cidx_q[0] <= q2idx_q; cwd_q[0] <= q2wd_q + 32'd1;
          q2busy_q <= 1'b0; q2rd_q <= '0; q2wr_q <= '0;
        end else begin
          cbusy_q[0] <= 1'b0;
          crd_q[0]   <= '0;
          cwr_q[0]   <= '0;
        end
      end
      // the drain of a stopped run ends when both engines are idle
      if (stop_q && !rd_busy_all_i && !wr_busy_i) stop_q <= 1'b0;
      kill_q <= 1'b0;
      clear_q <= 1'b0;
      if (abort_i && running) abort_q <= 1'b1;
      // START while busy (or still draining a stopped run): the run is left alone, START_BUSY recorded
      if (start_i && (running || (stop_q && err_code_q == 8'h00))) begin
        err_evt_q   <= 1'b1;
        err_code_q  <= ErrStartBusy;
        err_index_q <= idx_q[23:0];
      end

      unique case (state_q)
        SIdle: begin
          if (start_i && !stop_q && err_code_q == 8'h00) begin  // with an error recorded: SOFT_RESET first
            kill_q <= 1'b1;  // the queues of an earlier run go
            clear_q <= 1'b1;
            done_q <= 1'b0; abort_q <= 1'b0; mark_q <= '0;
            cycles_q <= '0; rd_bytes_q <= '0; wr_bytes_q <= '0; idx_q <= '0; opcode_q <= '0; wd_q <= '0;
            if (start_bad) begin
              err_code_q  <= ErrBadField;
              err_index_q <= '0;
              err_evt_q   <= 1'b1;
            end else begin
              state_q  <= SFetch;
              at_end_q <= 1'b0;  // CMD_COUNT != 0 (start_bad)
            end
          end else if (soft_reset_i) begin
            kill_q <= 1'b1;
            clear_q <= 1'b1;
            done_q <= 1'b0; err_code_q <= '0; err_index_q <= '0; abort_q <= 1'b0; opcode_q <= '0;
            cycles_q <= '0; rd_bytes_q <= '0; wr_bytes_q <= '0; idx_q <= '0; mark_q <= '0;
          end
        end
        SFetch: begin
          wd_q <= '0;
          if (at_end_q) begin
            if (drained) begin
              done_q     <= 1'b1;  // a run ends after CMD_COUNT descriptors as at END
              done_evt_q <= 1'b1;
              state_q    <= SIdle;
            end
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
            if (rd_last_i) state_q <= SCheck;
          end
        end
        SCheck: begin
          fmt_pix_q <= fmt_pix;
          tz_q      <= tail_zero;
          io_ok_q   <= io_ok;
          fz_q      <= {w_q[3] == 32'd0, w_q[2] == 32'd0, w_q[1] == 32'd0,
                        w_q[0][19:8] == 12'd0 && spec[11:1] == 11'd0, w_q[0][31:8] == 24'd0};
          lsok_q    <= {bb == 4'd0 && bc == 4'd0 && spec == 12'd0, ba == 4'd0 && bc == 4'd0 && spec[11:1] == 11'd0};
          // last block: (16 c + count - 1) / 64
          sb_last_q <= 7'((13'({w_q[3][15:8], 4'd0}) + 13'(w_q[2][9:0])) >> 6);
          db_last_q <= 7'((13'({w_q[3][23:16], 4'd0}) + 13'(w_q[2][25:16])) >> 6);
          n_elems_q <= rows * cols;
          rowbase_q <= (io_buf == BufH) ? 13'(row0) * 13'(HRowWords) : 13'(row0) * 13'(RowWords);
          skip_q    <= ((io_buf == BufH) ? 13'(HRowWords) : 13'(RowWords)) - 13'(cols >> 4) + 13'd1;
          state_q   <= SCheck2;
        end
        SCheck2: begin
          dec_pre_q   <= dec_err;
          dio_q       <= (op == OpLoad || op == OpStore);
          region_ok_q <= io_region_ok;
          io_bytes_q  <= io_bytes;
          base_q     <= rowbase_q + 13'(col0 >> 4);
          drd_q      <= drd;
          dwr_q      <= dwr;
          dcls_q     <= dcls;
          dcomp_q    <= is_compute;
          dlin_q     <= (op == 8'h04);
          state_q    <= SDecode;
        end
        SDecode: begin
          opcode_q <= op;
          wa_q <= base_q; ck_q <= '0; qt_q <= '0;
          left_q <= (op == OpLoad) ? 32'(io_bytes_q >> 4) : (n_elems_q >> 4);  // LOAD: beats; STORE: words
          left_nz_q <= ((op == OpLoad) ? 32'(io_bytes_q >> 4) : (n_elems_q >> 4)) != 32'd0;
          st_rd_q <= 1'b0; wn_q <= '0; wh_q <= 1'b0; wq_q <= '0;
          if (dec_err_w != 8'h00) begin  // the commands in flight stop with it (killed, drained)
            stop_code_q <= dec_err_w;
            stop_idx_q  <= idx_q[23:0];
            stop_q      <= 1'b1;
            kill_q      <= 1'b1;
            state_q     <= SStop;
          end else begin
            state_q <= SIssue;
          end
        end
        SIssue: begin  // compute: when the scoreboard allows; the others once both classes are idle
          wd_q <= '0;  // waiting to issue is not running
          if (dcomp_q) begin  // 0x03..0x07
            if (issue0 || (issueq && done0 && !q2busy_q)) begin  // ex_go_o next cycle (the class is free)
              cbusy_q[dcls_q] <= 1'b1;
              crd_q[dcls_q]   <= drd_q;
              cwr_q[dcls_q]   <= dwr_q;
              cidx_q[dcls_q]  <= idx_q[23:0];
              cwd_q[dcls_q]   <= '0;
              if (!dcls_q) c0lin_q <= dlin_q;
              ccmd_q[dcls_q]  <= {w_q[7], w_q[6], w_q[5], w_q[4], w_q[3], w_q[2], w_q[1], w_q[0]};
              state_q         <= SNext;
            end else if (issueq) begin  // queued behind class 0's running LINEAR
              q2busy_q  <= 1'b1;
              q2rd_q    <= drd_q;
              q2wr_q    <= dwr_q;
              q2idx_q   <= idx_q[23:0];
              q2wd_q    <= '0;
              ccmd_q[0] <= {w_q[7], w_q[6], w_q[5], w_q[4], w_q[3], w_q[2], w_q[1], w_q[0]};
              state_q   <= SNext;
            end
          end else if (op == OpNop) begin
            state_q <= SNext;
          end else if (drained) begin
            unique case (op)
              OpEnd:   begin done_q <= 1'b1; done_evt_q <= 1'b1; state_q <= SIdle; end
              OpMark:  begin mark_q <= w_q[1]; state_q <= SNext; end
              OpLoad:  state_q <= SLoad;
              OpStore: state_q <= SStore;
              default: state_q <= SNext;
            endcase
          end
        end
        SNext: begin
          idx_q   <= idx_q + 32'd1;
          at_end_q <= (idx_q + 32'd1 == cmd_count_i);
          state_q <= SFetch;
        end
        SLoad: begin
          if (ld_step) begin
            left_q <= left_q - 32'd1;
            left_nz_q <= (left_q != 32'd1);
            qt_q   <= qt_q + 2'd1;
            if (ld_last) begin
              qt_q <= '0;
              if (ck_q == ck_last) begin ck_q <= '0; wa_q <= wa_q + skip_q; end
              else begin ck_q <= ck_q + 6'd1; wa_q <= wa_q + 13'd1; end
            end
          end
          if (io_done) state_q <= SNext;
        end
        SStore: begin
          st_rd_q <= st_issue;
          if (st_issue) begin
            left_q <= left_q - 32'd1;
            left_nz_q <= (left_q != 32'd1);
            if (ck_q == ck_last) begin ck_q <= '0; wa_q <= wa_q + skip_q; end
            else begin ck_q <= ck_q + 6'd1; wa_q <= wa_q + 13'd1; end
          end
          if (st_out_hs) wq_q <= wq_q + 2'd1;
          if (st_pop) wh_q <= !wh_q;
          if (st_rd_q) word_q[wh_q ^ wn_q[0]] <= buf_rdata_i;  // the tail: head + count (mod 2)
          wn_q <= wn_q + 2'(st_rd_q) - 2'(st_pop);
          if (io_done) state_q <= SNext;
        end
        SStop: begin
          if (!rd_busy_all_i && !wr_busy_i) begin
            err_code_q  <= stop_code_q;
            err_evt_q   <= 1'b1;
            err_index_q <= stop_idx_q;
            state_q     <= SIdle;
          end
        end
        default: state_q <= SIdle;
      endcase

      // the buffer write port, one cycle after its beat
      we_q     <= ld_step;
      wid_q    <= bb;
      waddr_q  <= wa_q;
      wlanes_q <= ld_lanes;
      wdata_q  <= ld_data;

      // Stopping: an abort, an AXI error or an executor's error in a busy state; the watchdog
      // overrides all. The commands in flight are killed (their classes free).
      if (running && state_q != SStop) begin
        if (rd_err || wr_err || abort_q || abort_i || ex_fail) begin
          stop_code_q <= rd_err ? ErrAxiRead : (wr_err ? ErrAxiWrite : (ex_fail ? ex_fail_code : ErrAborted));
          stop_idx_q  <= ex_fail && !rd_err && !wr_err ? ex_fail_idx : idx_q[23:0];
          if (ex_fail && !rd_err && !wr_err) idx_q <= 32'(ex_fail_idx);  // CMD_INDEX: the failing command
          stop_q      <= 1'b1;
          kill_q      <= 1'b1;
          cbusy_q     <= '0;
          crd_q       <= '0;
          cwr_q       <= '0;
          q2busy_q    <= 1'b0;
          wn_q        <= '0;
          state_q     <= SStop;
        end
      end
      if (wd_fire) begin
        err_code_q  <= ErrTimeout;
        err_evt_q   <= 1'b1;
        err_index_q <= wd_idx;
        idx_q       <= 32'(wd_idx);
        stop_q      <= 1'b1;
        kill_q      <= 1'b1;
        cbusy_q     <= '0;
        crd_q       <= '0;
        cwr_q       <= '0;
        q2busy_q    <= 1'b0;
        wn_q        <= '0;
        state_q     <= SIdle;
      end
    end
  end

  // ---- outputs --------------------------------------------------------------------------------
  assign rd_start_o = (state_q == SFetch && !at_end_q) ||
                      (state_q == SIssue && drained && op == OpLoad);
  assign rd_addr_o  = (state_q == SFetch || state_q == SFetchWait) ? (cmd_base_i + AddrW'({idx_q, 5'b0}))
                                                                   : (io_base_i + AddrW'(w_q[1]));
  assign rd_bytes_o = (state_q == SFetch) ? LenW'(32) : io_bytes_q;
  assign rd_stop_o  = stop_q;
  assign rd_ready_o = (state_q == SFetchWait) || (state_q == SLoad && left_nz_q);
  assign wr_start_o = (state_q == SIssue && drained && op == OpStore);
  assign wr_addr_o  = io_base_i + AddrW'(w_q[1]);
  assign wr_bytes_o = io_bytes_q;
  assign wr_stop_o  = stop_q;
  assign wr_valid_o = wv && !stop_q;
  assign wr_data_o  = st_beat;

  // go one cycle after the issue (the descriptor latched in ccmd_q)
  logic [1:0] go_q;
  always_ff @(posedge clk_i) begin
    if (!rst_ni) go_q <= '0;
    else go_q <= ((issue0 || issueq) && !wd_fire && !ex_fail && !abort_q && !abort_i) ? (dcls_q ? 2'b10 : 2'b01)
                                                                                      : 2'b00;
  end
  assign ex_go_o   = go_q & cbusy_q;
  assign ex_cmd_o  = ccmd_q;
  assign ex_kill_o = kill_q;
  assign ex_clear_o = clear_q;

  assign buf_we_o     = we_q;
  assign buf_wid_o    = wid_q;
  assign buf_waddr_o  = waddr_q;
  assign buf_wlanes_o = wlanes_q;
  assign buf_wdata_o  = wdata_q;
  assign buf_re_o     = st_issue;  // registered terms only (no same-cycle handshake)
  assign buf_rid_o    = ba;
  assign buf_raddr_o  = wa_q;

  assign busy_o      = running;
  assign done_o      = done_q;
  assign drain_o     = stop_q;
  assign opcode_o    = running ? opcode_q : 8'h00;  // the opcode executing (0 while idle)
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
  assign irq_mark_o  = (state_q == SIssue) && drained && (op == OpMark) && w_q[0][20];

  // WBASE is the executors' (only its alignment is checked here).
  logic unused;
  assign unused = ^{wbase_i[63:12]};

endmodule
