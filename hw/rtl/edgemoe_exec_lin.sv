// Executor of LINEAR (opcode 0x04) and pass server of exec_moe (/work/notes/integration.md,
// docs/architecture.md "The cluster module", "Weight image", "Field rules").
//
// It owns one edgemoe_cluster (LinUnits = 4 linear units) and runs "passes" on it: one
// cluster command (mode, has_bias, K, N, T) with its four weight feeders, the act, side
// and out streams. A LINEAR command is a pass of its own; exec_moe's MOE_GATE and
// EXPERTS send theirs through the pass port (ps_*), so both paths share every line here.
// Up to two passes are in flight (below, "two passes").
//
// ---------------------------------------------------------------- a LINEAR command
// go_i -> field checks, the ISS's rules (edgemoe.driver.iss Iss._linear) on cmd_i (latched
// at go_i with the fields the pass needs): a failure ends with done_o + BAD_FIELD (0x02),
// nothing of the command read or written.
// Mode 5 (embed) first copies the embed_add record (word 4: T rows of 448 B, 192 int16
// mantissas + an exponent byte) through read engine 0: row t's first N mantissas into
// the destination B at row dr + t, columns 16 dc .. 16 dc + N - 1 (exactly the elements
// the pass overwrites, each read by the side stream before its out beat writes it), its
// exponent into the pass's token table; T x 28 beats, one per cycle, before the pass.
// Then the pass: weights from wbase_i + word 1, act rows 0..T-1 of A at chunk sc,
// destination B rows dr.., chunk dc, side C (X for resid).
//
// ---------------------------------------------------------------- a pass
// * weight feeders: unit u is fed from read engine u with the pass's records u, u + 4,
//   ... (record j at waddr + j (64 + 512 Kt)), one engine job per record, issued when the
//   engine is idle and the previous record's last beat has gone; two 128-bit beats make
//   one 256-bit w beat (the engine's R channel is the stream: rready only when the
//   cluster takes the pair). 16 B/cycle per unit, i.e. a record of R rows takes about
//   2 (2 + R Kt) cycles plus the DDR latency to load (the cluster alone: 2 + R Kt).
// * act: for round rho < P, token t < T, chunk c < Kt: buffer A (src) row t (gather:
//   the token table's row t) at chunk sc + c, X saturated to act (sat_act of moe_acc,
//   as the ISS's readers of X); the read address registered, the buffer's 1-cycle read,
//   the read data registered, sat_act, into a 5-entry FIFO with credits: one beat per cycle.
// * side (modes resid, scaled, embed): for round rho, token t, active unit u (slab j =
//   4 rho + u): resid: X at row dr + t, chunk dc + j, saturated to act; scaled: X raw
//   moe_acc at row tt(t) (scatter) and the token's score at [448 +: 17]; embed: the
//   destination at row dr + t, chunk dc + j (the copied mantissas) and the row's
//   exponent code at [448 +: 4].
// * out: every out beat of slab j, token t is written (two register stages) into B at
//   row dr + t (scatter: tt(t)), chunk dc + j, lanes of the slab's valid rows, the code
//   sign-extended (act; q for mode q; moe_acc for scaled); dst 15: to the tap instead.
// * the pass ends with the cluster's done beat (every out beat taken): done_o /
//   ps_done_o with 0. The cluster's bad_image_o: BAD_IMAGE (0x06); a read engine's
//   rd_err_i for a job started here: AXI_READ (0x03); both reset the cluster (and the
//   stream FIFOs here) the cycle of the done; the sequencer drains the engines.
// * gather / scatter (pass port only): the token table (tt_tok_i, tt_score_i of
//   exec_moe, registered read) is first copied into the pass's local table (T + 1
//   cycles, while its first round's weights load), which then serves the act, side and
//   out streams (three reads a cycle).
//
// ---------------------------------------------------------------- two passes
// A second pass is taken while one executes: a LINEAR from the sequencer's queue slot
// (lin_qready_o: a LINEAR executes and nothing is queued; its go_i may come any cycle
// later, its descriptor is latched then) or a second pass-port request (ps_ready_o once
// the first's token table is copied; exec_moe serves the table of the last request taken).
// Each pass has a slot (descriptor, token table, flags) from its acceptance to its done;
// the cluster cmd, each feeder and the act, side and out streams walk the passes in order,
// each on its own, so the second pass's cmd waits in the cluster's cmd skid (taken when
// the parsers have the first's last record), its feeders start their jobs as soon as each
// unit's records of the first have been issued (its first round loads under the first's
// last rounds: the cluster's "queued cmd" timing), and its act / side beats follow the
// first's. Read after write: the second's act stream (its source buffer and chunks
// against the first's destination) and its side stream (X, or the destination for
// embed) are held while they overlap the first's destination, until the first has
// retired (its done: its last out beat written); rows are not compared. Write after read
// or write needs nothing: the second's out beats follow every out beat of the first in
// the cluster's merge, and each of the first's act / side reads precedes its last out
// beat. An embed pass copies only as the front pass (its copy writes the destination).
// Dones (and errors) come in acceptance order, one cycle after the retirement:
// * the front pass's errors end it at once: BAD_FIELD (never launched), AXI_READ (an
//   engine error of a job the pass started, or of its embed copy), BAD_IMAGE (bad_image_o
//   while the parsers hold its cmd: cmd_taken_o counts the cmds they took); the pass
//   behind it is dropped with it (everything reset, the cluster too);
// * the second pass's errors wait until it is the front (the first completes, as in the
//   ISS, whose command order makes the second's error the one at its index): a queued
//   LINEAR with BAD_FIELD is never launched; a bad record of the second only stops the
//   parsers after the first's last record; an engine error of its job only affects that
//   engine after the first's jobs there.
// After an error, ps_ready_o stays low until ps_valid_i has dropped (exec_moe ends).
//
// ---------------------------------------------------------------- cycles
// go_i to done_o (LIN_BUSY) of an isolated pass = the cluster's closed form (edgemoe_cluster.sv:
// L_0 + P T Kt + Lat + A_last + 3) + the round-0 records' second half at 16 B/cycle (2 + 16 Kt)
// + one DDR read latency + 3 (accept, done); embed adds the copy (28 T beats + a DDR
// latency). Measured through the top (tests/test_rtl_linear.py, 75-cycle DDR latency), against
// the closed form and perf_model._Cluster: q/k/v head (192 -> 64, T 129) 2,050 / 1,776 / 2,032;
// proj 5,146 / 4,872 / 5,128; fc1 19,078 / 18,804 / 19,060; fc2 20,230 / 19,380 / 20,416; embed
// (T 128) 23,750 / 19,236 / 20,272 (23,748 before the act / side read data register). Later rounds' loads hide under the compute when
// 2 (2 + 16 Kt) + latency <= T Kt (T >= about 40). Back to back (queued), each later pass
// loads under the one before it: a layer's nine q / k / v passes (3 heads, no ATTENTION
// between them) take 14,442 cycles of LIN_BUSY against 9 x 2,050 = 18,450 one at a time.
//
// Resources (Yosys synth_xilinx, edgemoe_cluster a black box), one pass at a time (before the
// second slot: not yet re-measured): 18,263 LUT (632 LUTRAM: the token table, the stream FIFOs),
// 1,719 FF, 2 DSP, 0.5 BRAM36; most LUTs are the act and side read muxes (7 buffers x 4 lane
// groups x 512 bits each) and the per-buffer write-data gating. Path estimate (edgemoe.timing,
// `edgemoe synth --kernels edgemoe_exec_lin`: this module with the cluster's glue, linear_unit
// boxed) 4.03 ns (5.28 before the 300 MHz rework): the LINEAR field check (cmd_i into the
// slot's flags) and the embed copy's lane mask into the write register.
//
// Pass port rules: ps_cmd_i is the cluster's cmd beat, latched with the other fields at the
// handshake; the destination row offset of a pass-port pass is 0; the act read has the
// buffer's read port when the act and side streams want the same buffer (only costs time).
// kill_i: synchronous reset of this executor, the cluster reset the next cycle.
// busy_o: high while a LINEAR or a pass is in flight (the cycle after go_i / the ps handshake
// to the last done_o / ps_done_o).
// wstall_o (the WSTALL register's count, one cycle late): an act beat waits at the cluster's
// input and the cluster does not take it while its out stream is not held (the units wait
// for a round's weights, or for the bank of round rho - 2 to drain: the perf model's wstall).
module edgemoe_exec_lin
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
  output logic                     lin_qready_o,  // a go_i for a second LINEAR may come (one is executing)
  output logic                     wstall_o,      // a cycle the cluster waited for weights (WSTALL)
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
  output logic [6:0][2047:0]       buf_wdata_o,
  // pass port (client exec_moe)
  input  logic                     ps_valid_i,
  output logic                     ps_ready_o,
  input  logic [31:0]              ps_cmd_i,
  input  logic [63:0]              ps_waddr_i,
  input  logic [3:0]               ps_src_i,
  input  logic [5:0]               ps_sc_i,
  input  logic                     ps_gather_i,
  input  logic [3:0]               ps_dst_i,
  input  logic [5:0]               ps_dc_i,
  input  logic                     ps_scatter_i,
  output logic                     ps_done_o,
  output logic [7:0]               ps_err_o,
  output logic                     tt_re_o,
  output logic [7:0]               tt_idx_o,
  input  logic [7:0]               tt_tok_i,
  input  logic [PBits-1:0]         tt_score_i,
  output logic                     tap_valid_o,
  input  logic                     tap_ready_i,
  output logic [LinTileOut*MoeAccBits-1:0] tap_data_o,
  output logic [7:0]               tap_tok_o
);

  localparam int unsigned U     = 4;                       // units = read engines 0..3
  localparam int unsigned NT    = NumTokens;               // 129
  localparam int unsigned ActW  = LinTileIn * ActBits;     // 416
  localparam int unsigned OutW  = LinTileOut * MoeAccBits; // 448
  localparam int unsigned SideW = OutW + PBits;            // 465
  // act / side FIFO depth (credits): issue -> buffer read -> read-data register -> FIFO is 3
  // cycles, so 5 credits keep one beat per cycle
  localparam int unsigned Cred  = 5;

  localparam logic [7:0] ErrOk = 8'h00, ErrField = 8'h02, ErrAxi = 8'h03, ErrImage = 8'h06;
  localparam logic [3:0] BufX = 4'd0, BufQ = 4'd2, BufH = 4'd6, BufNone = 4'd15;

  if (LinUnits != U || LinTileIn != 16 || LinTileOut != 16) begin : g_check
    $error("edgemoe_exec_lin: 4 units of 16 x 16 (one per read engine, the record format)");
  end

  // ---------------------------------------------------------------- helpers
  // word address of a row: 3 words per row (192 columns) or 12 (H, 768)
  function automatic logic [10:0] rowbase(logic [7:0] row, logic is_h);
    logic [10:0] r;
    r = {3'b0, row};
    rowbase = is_h ? ((r << 3) + (r << 2)) : (r + (r << 1));
  endfunction

  // sat_act of a buffer lane (32-bit sign-extended code)
  function automatic logic [ActBits-1:0] sat_act(logic [31:0] v);
    if (!v[31] && v[30:ActBits-1] != '0)      sat_act = {1'b0, {(ActBits-1){1'b1}}};
    else if (v[31] && v[30:ActBits-1] != '1)  sat_act = {1'b1, {(ActBits-1){1'b0}}};
    else                                      sat_act = v[ActBits-1:0];
  endfunction

  function automatic logic is_act_buf(logic [3:0] b);
    is_act_buf = (b <= 4'd6) && (b != BufQ);
  endfunction

  function automatic logic [12:0] buf_cols(logic [3:0] b);
    buf_cols = (b == BufH) ? 13'd768 : 13'd192;
  endfunction

  // ---------------------------------------------------------------- field checks (LINEAR, at go_i)
  logic [31:0] w0;
  logic [3:0]  f_a, f_b, f_c;
  logic [11:0] f_spec;
  logic [2:0]  f_mode;
  logic [9:0]  f_km1, f_nm1;
  logic [7:0]  f_tm1, f_sc, f_dc, f_dr;
  logic        fields_ok;
  logic        dst_ok, side_ok, extra_ok;
  assign w0     = cmd_i[0];
  assign f_a    = w0[11:8];
  assign f_b    = w0[15:12];
  assign f_c    = w0[19:16];
  assign f_spec = w0[31:20];
  assign f_mode = f_spec[2:0];
  assign f_km1  = cmd_i[2][9:0];
  assign f_nm1  = cmd_i[2][25:16];
  assign f_tm1  = cmd_i[3][7:0];
  assign f_sc   = cmd_i[3][15:8];
  assign f_dc   = cmd_i[3][23:16];
  assign f_dr   = cmd_i[3][31:24];

  always_comb begin
    unique case (f_mode)
      3'd2:    dst_ok = (f_b == BufQ);
      3'd3:    dst_ok = (f_b == BufX);
      default: dst_ok = is_act_buf(f_b);
    endcase
    side_ok  = (f_c == ((f_mode == 3'd3) ? BufX : BufNone));
    extra_ok = (f_mode == 3'd5) ? (cmd_i[4][4:0] == '0 && f_nm1 <= 10'd191) : (cmd_i[4] == '0);
    fields_ok = (f_spec[11:4] == '0) && (f_mode <= 3'd5) && (f_mode != 3'd4)
             && (cmd_i[1][4:0] == '0) && ((cmd_i[2] & 32'hFC00_FC00) == '0)
             && (cmd_i[5] == '0) && (cmd_i[6] == '0) && (cmd_i[7] == '0)
             && (f_km1 <= 10'd767) && (f_nm1 <= 10'd767) && (f_km1[3:0] == 4'hF) && (f_nm1[3:0] == 4'hF)
             && (f_tm1 <= 8'd128)
             && is_act_buf(f_a) && dst_ok && (f_a != f_b) && side_ok
             && ({1'b0, f_sc, 4'b0} + 13'(f_km1) + 13'd1 <= buf_cols(f_a))
             && ({1'b0, f_dc, 4'b0} + 13'(f_nm1) + 13'd1 <= buf_cols(f_b))
             && ({1'b0, f_dr} + {1'b0, f_tm1} + 9'd1 <= 9'd129)
             && extra_ok;
  end

  // ---------------------------------------------------------------- pass slots
  // Passes get ids in acceptance order (2 bits, mod 4); a pass lives in slot id[0] from its
  // acceptance to its retirement (its done). fr_q: the oldest (front) pass, acc_q: the next id.
  logic [1:0] acc_q, fr_q, n_pass;
  logic       fs;                          // the front's slot
  assign n_pass = acc_q - fr_q;
  assign fs     = fr_q[0];

  logic [1:0]       d_lin_q, d_badf_q, d_launch_q, d_ttr_q, d_gather_q, d_scatter_q, d_rawa_q, d_raws_q;
  logic [1:0][31:0] d_cmd_q;
  logic [1:0][63:0] d_waddr_q, d_eaddr_q;
  logic [1:0][3:0]  d_src_q, d_dst_q;
  logic [1:0][5:0]  d_sc_q, d_dc_q;
  logic [1:0][6:0]  d_dend_q;              // d_dc_q + S - 1: the pass's last destination chunk
  logic [1:0][7:0]  d_dr_q;
  // Registered at acceptance (from the cmd beat being accepted), so the feeders' address and
  // byte count are one add from registers (300 MHz): record u's offset u (64 + 512 Kt).
  logic [1:0][U-1:0][23:0] d_off_q;
  // Registered from d_cmd_q (one cycle after the acceptance; a feeder's first job starts two
  // cycles after it at the earliest): a full record's bytes, the pass's last record's bytes.
  logic [1:0][23:0] d_rec_q, d_lastb_q;
  logic [1:0][23:0] d_cpb_q;               // at acceptance: the embed copy's bytes, T x 448
  logic [1:0]       d_emb_q;               // at acceptance: mode embed
  logic [1:0][6:0]  d_cpw_q;               // at acceptance: 2 S (the copy beats written per row)

  // per-slot decodes of the cluster cmd beat
  logic [1:0][2:0]  p_mode;
  logic [1:0][9:0]  p_nm1;
  logic [1:0][7:0]  p_tm1;
  logic [1:0][5:0]  kt_m1, s_m1;           // Kt - 1, S - 1 (slabs)
  logic [1:0][3:0]  pr_m1;                 // P - 1 (rounds)
  logic [1:0][1:0]  alast_m1;              // active units in the last round - 1
  logic [1:0][23:0] rec_full, last_bytes;
  logic [1:0]       side_en, tap_mode, src_x, src_h, dst_h, sbuf_h, side_resid, embed;
  logic [1:0][3:0]  sbuf;                  // the side stream's buffer
  for (genvar s = 0; s < 2; s++) begin : g_dec
    logic [6:0] kt;
    assign p_mode[s]     = d_cmd_q[s][2:0];
    assign kt_m1[s]      = d_cmd_q[s][13:8];
    assign p_nm1[s]      = d_cmd_q[s][23:14];
    assign p_tm1[s]      = d_cmd_q[s][31:24];
    assign s_m1[s]       = p_nm1[s][9:4];
    assign pr_m1[s]      = p_nm1[s][9:6];
    assign alast_m1[s]   = s_m1[s][1:0];
    assign kt            = {1'b0, kt_m1[s]} + 7'd1;
    assign rec_full[s]   = 24'd64 + {8'b0, kt, 9'b0};
    assign last_bytes[s] = 24'd64 + {8'b0, 11'({1'b0, p_nm1[s][3:0]} + 5'd1) * 11'(kt), 5'b0};
    assign side_en[s]    = (p_mode[s] == 3'd3) || (p_mode[s] == 3'd4) || (p_mode[s] == 3'd5);
    assign tap_mode[s]   = (d_dst_q[s] == BufNone);
    assign embed[s]      = d_emb_q[s];
    assign sbuf[s]       = embed[s] ? d_dst_q[s] : BufX;
    assign sbuf_h[s]     = embed[s] && (d_dst_q[s] == BufH);
    assign side_resid[s] = (p_mode[s] == 3'd3);
    assign src_x[s]      = (d_src_q[s] == BufX);
    assign src_h[s]      = (d_src_q[s] == BufH);
    assign dst_h[s]      = (d_dst_q[s] == BufH);
  end

  // the pass being accepted (go_i: a LINEAR; else the pass port)
  logic        acc_go, acc_ps, acc_any;
  logic [31:0] in_cmd;
  logic [3:0]  in_src, in_dst;
  logic [5:0]  in_sc, in_dc;
  logic [2:0]  in_mode;
  logic [6:0]  in_kt;
  logic        in_side, rawa, raws;
  logic [6:0]  in_aend, in_dend;          // the incoming pass's last source / destination chunk
  // selected by go_i, not acc_go (= go_i && !ret_err: with ret_err nothing is accepted), so
  // the retirement's error logic is not in series with what the slot registers
  assign in_cmd  = go_i ? {f_tm1, f_nm1, f_km1, f_spec[3], f_mode} : ps_cmd_i;
  assign in_src  = go_i ? f_a : ps_src_i;
  assign in_dst  = go_i ? f_b : ps_dst_i;
  assign in_sc   = go_i ? f_sc[5:0] : ps_sc_i;
  assign in_dc   = go_i ? f_dc[5:0] : ps_dc_i;
  assign in_mode = in_cmd[2:0];
  assign in_kt   = {1'b0, in_cmd[13:8]} + 7'd1;
  assign in_side = (in_mode == 3'd3) || (in_mode == 3'd4) || (in_mode == 3'd5);
  // read after write against the pass in front of it (buffer and chunks; rows are not compared):
  // against each slot, then the front's (the slot select after the compares). Chunk ranges
  // [a0, a0 + an) and [b0, b0 + bn) overlap iff a0 <= b0 + bn - 1 and b0 <= a0 + an - 1,
  // so each side's last chunk is one add: the slot's is a register written
  // with it (d_dend_q), the incoming pass's one add beside the compares (300 MHz: no add of a
  // count + 1 and then of the start in series with the compare)
  assign in_aend = {1'b0, in_sc} + {1'b0, in_cmd[13:8]};
  assign in_dend = {1'b0, in_dc} + {1'b0, in_cmd[23:18]};
  logic [1:0] rawa_s, raws_s;
  for (genvar s = 0; s < 2; s++) begin : g_raw
    assign rawa_s[s] = !tap_mode[s] && (d_dst_q[s] == in_src)
                    && ({1'b0, in_sc} <= d_dend_q[s]) && ({1'b0, d_dc_q[s]} <= in_aend);
    assign raws_s[s] = !tap_mode[s] && in_side && (d_dst_q[s] == ((in_mode == 3'd5) ? in_dst : BufX))
                    && ({1'b0, in_dc} <= d_dend_q[s]) && ({1'b0, d_dc_q[s]} <= in_dend);
  end
  assign rawa = (n_pass != 2'd0) && rawa_s[fs];
  assign raws = (n_pass != 2'd0) && raws_s[fs];

  logic clr_q;                             // cluster + stream FIFO reset (after kill and failed passes)
  logic cl_rst_n;
  assign cl_rst_n = rst_ni && !clr_q;

  // ---------------------------------------------------------------- cluster
  logic        cl_cmd_valid, cl_cmd_ready, cl_cmd_taken;
  logic [U-1:0] cl_w_valid, cl_w_ready;
  logic [U-1:0][255:0] cl_w_data;
  logic        cl_act_valid, cl_act_ready;
  logic [ActW-1:0] cl_act_data;
  logic        cl_side_valid, cl_side_ready;
  logic [SideW-1:0] cl_side_data;
  logic        cl_out_valid, cl_out_ready;
  logic [OutW-1:0] cl_out_data;
  logic [5:0]  cl_out_slab;
  logic [7:0]  cl_out_tok;
  logic        cl_done_valid, cl_done_ready, cl_bad;
  logic [1:0]  c_id_q;                     // the next pass whose cmd goes to the cluster
  logic [1:0]  pp_q;                       // cmds the cluster's parsers have taken

  edgemoe_cluster u_cluster (
    .clk_i, .rst_ni(cl_rst_n),
    .cmd_valid_i(cl_cmd_valid), .cmd_ready_o(cl_cmd_ready), .cmd_data_i(d_cmd_q[c_id_q[0]]),
    .cmd_taken_o(cl_cmd_taken),
    .w_valid_i(cl_w_valid), .w_ready_o(cl_w_ready), .w_data_i(cl_w_data),
    .act_valid_i(cl_act_valid), .act_ready_o(cl_act_ready), .act_data_i(cl_act_data),
    .side_valid_i(cl_side_valid), .side_ready_o(cl_side_ready), .side_data_i(cl_side_data),
    .out_valid_o(cl_out_valid), .out_ready_i(cl_out_ready), .out_data_o(cl_out_data),
    .out_slab_o(cl_out_slab), .out_tok_o(cl_out_tok),
    .done_valid_o(cl_done_valid), .done_ready_i(cl_done_ready), .bad_image_o(cl_bad));

  logic active;                            // a pass is accepted and not retired
  assign active        = (n_pass != 2'd0);
  assign cl_cmd_valid  = (c_id_q != acc_q) && d_launch_q[c_id_q[0]];
  assign cl_done_ready = active;

  // ---------------------------------------------------------------- token tables (one per slot)
  // tab_tok: the pass token's buffer row (gather / scatter); tab_sc: its score (scaled) or,
  // for embed, the embed_add row's exponent code.
  logic [7:0]       tab_tok0_q [NT];
  logic [7:0]       tab_tok1_q [NT];
  logic [PBits-1:0] tab_sc0_q  [NT];
  logic [PBits-1:0] tab_sc1_q  [NT];
  logic       tc_busy_q, tc_slot_q, tt_v_q;
  logic [7:0] tt_i_q, tt_cap_q, tc_tm1_q;
  logic       tt_issue;
  assign tt_issue = tc_busy_q && (tt_i_q <= tc_tm1_q);
  assign tt_re_o  = tt_issue;
  assign tt_idx_o = tt_issue ? tt_i_q : '0;

  function automatic logic [7:0] tab_tok(logic s, logic [7:0] t);
    tab_tok = s ? tab_tok1_q[t] : tab_tok0_q[t];
  endfunction
  function automatic logic [PBits-1:0] tab_sc(logic s, logic [7:0] t);
    tab_sc = s ? tab_sc1_q[t] : tab_sc0_q[t];
  endfunction

  // ---------------------------------------------------------------- embed copy (engine 0, the front)
  logic       cp_on, cp_started_q;
  logic [4:0] cp_b_q;            // beat in the 448-byte row (28)
  logic [7:0] cp_t_q;
  logic       cp_issue, cp_hs, cp_write, cp_last;
  logic [6:0] cp_chunk;
  logic [2:0] cp_grp;            // 8-lane group in the word
  logic [23:0] cp_bytes;         // T x 448
  logic [U-1:0] f_act_q;
  logic [U-1:0] f_wait;          // feeder u's job waits for its engine (below)
  logic         cp_wait;         // the copy's job waits for engine 0
  assign cp_on    = active && embed[fs] && !d_launch_q[fs] && !d_badf_q[fs];
  assign cp_bytes = d_cpb_q[fs];
  assign cp_issue = cp_wait && !rd_busy_i[0];
  assign cp_hs    = cp_on && cp_started_q && rd_valid_i[0];
  assign cp_last  = cp_hs && rd_last_i[0];
  assign cp_write = cp_hs && (cp_b_q < 5'd24) && ({2'b0, cp_b_q} < d_cpw_q[fs]);
  assign cp_chunk = {1'b0, d_dc_q[fs]} + {3'b0, cp_b_q[4:1]};
  assign cp_grp   = {cp_chunk[1:0], cp_b_q[0]};

  // ---------------------------------------------------------------- weight feeders
  // Feeder u walks the passes in order (f_id_q[u]): records u, u + 4, ... of each, one engine
  // job per record; a pass's first job may start while the pass in front still computes.
  logic [U-1:0]        f_run_q, f_hv_q, f_used_q, f_issue, f_rhs, f_avail, f_fs;
  logic [U-1:0]        f_jok_q, f_jlast_q;   // registered with f_j_q: f_j <= S - 1, f_j == S - 1
  logic [U-1:0][1:0]   f_id_q, f_eid_q;
  logic [U-1:0][5:0]   f_j_q;
  logic [U-1:0][63:0]  f_addr_q, f_addr0;
  logic [U-1:0][127:0] f_half_q;
  logic [U-1:0][23:0]  f_bytes;
  logic [U-1:0][5:0]   f_sm1;
  for (genvar u = 0; u < U; u++) begin : g_feed
    assign f_fs[u]    = f_id_q[u][0];
    assign f_sm1[u]   = s_m1[f_fs[u]];
    assign f_avail[u] = (f_id_q[u] != acc_q) && d_launch_q[f_fs[u]];
    assign f_addr0[u] = d_waddr_q[f_fs[u]] + 64'(d_off_q[f_fs[u]][u]);
    assign f_bytes[u] = f_jlast_q[u] ? d_lastb_q[f_fs[u]] : d_rec_q[f_fs[u]];
    assign f_issue[u] = f_wait[u] && !rd_busy_i[u];
    assign cl_w_valid[u] = f_act_q[u] && f_hv_q[u] && rd_valid_i[u];
    assign cl_w_data[u]  = {rd_data_i[u], f_half_q[u]};
    assign f_rhs[u]   = f_act_q[u] && rd_valid_i[u] && (!f_hv_q[u] || cl_w_ready[u]);
  end

  // A job's address and byte count are driven while its start waits for the engine (gated by
  // registers only, not by rd_busy_i: the top ORs the executors' requests, and the class-0
  // executors use the engines one at a time), so the engine's busy flag is not in series with
  // the engine's own address and count registers.
  for (genvar u = 0; u < U; u++) begin : g_wait
    assign f_wait[u] = f_run_q[u] && !f_act_q[u] && f_jok_q[u];
  end
  assign cp_wait = cp_on && !cp_started_q && !f_act_q[0];
  always_comb begin
    rd_start_o = '0;
    rd_addr_o  = '0;
    rd_bytes_o = '0;
    rd_ready_o = '0;
    for (int u = 0; u < U; u++) begin
      rd_start_o[u] = f_issue[u];
      if (f_wait[u]) begin
        rd_addr_o[u]  = f_addr_q[u];
        rd_bytes_o[u] = f_bytes[u];
      end
      rd_ready_o[u] = f_act_q[u] && (!f_hv_q[u] || cl_w_ready[u]);
    end
    if (cp_issue) rd_start_o[0] = 1'b1;
    if (cp_wait) begin
      rd_addr_o[0]  = d_eaddr_q[fs];
      rd_bytes_o[0] = cp_bytes;
    end
    if (cp_on && cp_started_q) rd_ready_o[0] = 1'b1;
  end

  // ---------------------------------------------------------------- act stream
  // pass a_id_q: for round rho, token t, chunk c; held while it reads the destination of the
  // pass in front of it (d_rawa_q) until that pass has retired (its last out beat written)
  logic       a_run_q, a_re_q, a_v_q, a_issue, a_avail, asl, a_last;
  logic [1:0] a_id_q;
  logic [10:0] a_ra_q;
  logic [3:0] a_rb_q;
  logic [2:0] a_vb_q;
  logic       a_x1_q, a_vx_q;
  logic [1:0] a_g1_q, a_g_q;
  logic [3:0] a_rho_q;
  logic [7:0] a_t_q, a_row;
  logic [5:0] a_c_q;
  logic [6:0] a_chunk;
  logic [2:0] a_cnt_q;           // entries issued and not yet taken by the cluster
  logic [10:0] a_addr;
  logic       af_in_ready, af_valid, a_pop;
  logic [ActW-1:0] a_lanes, af_data;
  assign asl     = a_id_q[0];
  assign a_avail = (a_id_q != acc_q) && d_launch_q[asl] && d_ttr_q[asl] && !(d_rawa_q[asl] && a_id_q != fr_q);
  // 300 MHz: the walk's "last" compares are registered with the counters (a_cl_q: a_c_q is the
  // last chunk, a_tl_q: a_t_q the last token, a_rl_q: a_rho_q the last round), and the token
  // table is read into registers one cycle ahead: the row of a_t_q, of a_t_q + 1 and of token 0
  // (a_t_q moves only to one of those), a_tev_q says which one a_t_q holds now.
  logic       a_cl_q, a_tl_q, a_rl_q;
  logic [1:0] a_tev_q;                     // a_t_q since the last cycle: 0 the same, 1 + 1, 2 zeroed
  logic [7:0] a_tcur_q, a_tnxt_q, a_tzero_q, a_tok;
  always_ff @(posedge clk_i) begin
    a_tcur_q  <= tab_tok(asl, a_t_q);
    a_tnxt_q  <= tab_tok(asl, a_t_q + 8'd1);
    a_tzero_q <= tab_tok(asl, 8'd0);
  end
  assign a_tok   = (a_tev_q == 2'd1) ? a_tnxt_q : ((a_tev_q == 2'd2) ? a_tzero_q : a_tcur_q);
  assign a_row   = d_gather_q[asl] ? a_tok : a_t_q;
  assign a_chunk = {1'b0, d_sc_q[asl]} + {1'b0, a_c_q};
  assign a_addr  = rowbase(a_row, src_h[asl]) + {6'b0, a_chunk[6:2]};
  assign a_issue = a_run_q && (a_cnt_q < 3'(Cred));
  assign a_last  = a_cl_q && a_tl_q && a_rl_q;
  assign a_pop   = cl_act_valid && cl_act_ready;

  // the buffer's read data: the 28:1 group select into a register (a_grp_q), then sat_act into
  // the FIFO (300 MHz: the block RAM's clock-to-out, the select and sat_act are not one path)
  logic         a_v2_q, a_vx2_q;
  logic [511:0] a_grp_q;
  always_ff @(posedge clk_i) begin
    a_grp_q <= buf_rdata_i[a_vb_q][512*a_g_q +: 512];
    a_vx2_q <= a_vx_q;
  end
  always_comb begin
    for (int i = 0; i < 16; i++) begin
      a_lanes[ActBits*i +: ActBits] = a_vx2_q ? sat_act(a_grp_q[32*i +: 32]) : a_grp_q[32*i +: ActBits];
    end
  end

  stream_fifo #(.Width(ActW), .Depth(Cred)) u_act_fifo (
    .clk_i, .rst_ni(cl_rst_n), .in_valid_i(a_v2_q), .in_ready_o(af_in_ready), .in_data_i(a_lanes),
    .out_valid_o(af_valid), .out_ready_i(cl_act_ready && active), .out_data_o(af_data));
  assign cl_act_valid = af_valid && active;
  assign cl_act_data  = af_data;

  // ---------------------------------------------------------------- side stream
  logic       s_run_q, s_re_q, s_v_q, s_issue, s_have, ssl, s_last, s_hold;
  logic [1:0] s_id_q;
  logic [10:0] s_ra_q;
  logic [3:0] s_rb_q;
  logic [2:0] s_vb_q;
  logic       s_res1_q, s_vres_q;
  logic [1:0] s_g1_q, s_g_q;
  logic [PBits-1:0] s_p1_q, s_p_q;
  logic [3:0] s_rho_q;
  logic [7:0] s_t_q, s_row;
  logic [1:0] s_u_q, s_am1;
  logic [6:0] s_chunk;
  logic [2:0] s_cnt_q;
  logic [10:0] s_addr;
  logic       sf_in_ready, sf_valid, s_pop;
  logic [SideW-1:0] s_lanes, sf_data;
  assign ssl     = s_id_q[0];
  assign s_have  = (s_id_q != acc_q) && d_launch_q[ssl] && d_ttr_q[ssl];
  assign s_hold  = d_raws_q[ssl] && (s_id_q != fr_q);
  // as the act stream's: registered "last" flags (s_ul_q: s_u_q is the round's last active
  // unit) and the token table read one cycle ahead
  logic       s_ul_q, s_tl_q, s_rl_q;
  logic [1:0] s_tev_q;
  logic [7:0] s_tcur_q, s_tnxt_q, s_tzero_q, s_tok;
  always_ff @(posedge clk_i) begin
    s_tcur_q  <= tab_tok(ssl, s_t_q);
    s_tnxt_q  <= tab_tok(ssl, s_t_q + 8'd1);
    s_tzero_q <= tab_tok(ssl, 8'd0);
  end
  assign s_tok   = (s_tev_q == 2'd1) ? s_tnxt_q : ((s_tev_q == 2'd2) ? s_tzero_q : s_tcur_q);
  assign s_am1   = s_rl_q ? alast_m1[ssl] : 2'd3;
  assign s_row   = d_scatter_q[ssl] ? s_tok : (d_dr_q[ssl] + s_t_q);
  assign s_chunk = {1'b0, d_dc_q[ssl]} + {1'b0, s_rho_q, s_u_q};
  assign s_addr  = rowbase(s_row, sbuf_h[ssl]) + {6'b0, s_chunk[6:2]};
  // the act read has the buffer's one read port when both want the same buffer
  // (the buffer compare for each pair of slots, then the pair's: no slot select in front of it)
  logic [1:0][1:0] same_buf;
  for (genvar x = 0; x < 2; x++) begin : g_same_a
    for (genvar y = 0; y < 2; y++) begin : g_same_s
      assign same_buf[x][y] = (d_src_q[x] == sbuf[y]);
    end
  end
  assign s_issue = s_run_q && (s_cnt_q < 3'(Cred)) && !(a_issue && same_buf[asl][ssl]);
  assign s_last  = s_ul_q && s_tl_q && s_rl_q;
  assign s_pop   = cl_side_valid && cl_side_ready;

  // as the act stream's: the group select into a register, then sat_act into the FIFO
  logic             s_v2_q, s_vres2_q;
  logic [511:0]     s_grp_q;
  logic [PBits-1:0] s_p2_q;
  always_ff @(posedge clk_i) begin
    s_grp_q   <= buf_rdata_i[s_vb_q][512*s_g_q +: 512];
    s_vres2_q <= s_vres_q;
    s_p2_q    <= s_p_q;
  end
  always_comb begin
    for (int i = 0; i < 16; i++) begin
      if (s_vres2_q) begin
        s_lanes[MoeAccBits*i +: MoeAccBits] = MoeAccBits'(signed'(sat_act(s_grp_q[32*i +: 32])));
      end else begin
        s_lanes[MoeAccBits*i +: MoeAccBits] = s_grp_q[32*i +: MoeAccBits];
      end
    end
    s_lanes[OutW +: PBits] = s_p2_q;
  end

  stream_fifo #(.Width(SideW), .Depth(Cred)) u_side_fifo (
    .clk_i, .rst_ni(cl_rst_n), .in_valid_i(s_v2_q), .in_ready_o(sf_in_ready), .in_data_i(s_lanes),
    .out_valid_o(sf_valid), .out_ready_i(cl_side_ready && active), .out_data_o(sf_data));
  assign cl_side_valid = sf_valid && active;
  assign cl_side_data  = sf_data;

  // ---------------------------------------------------------------- out stream
  // the out beats come in pass order: o_id_q is the pass of the next one
  logic       o_hs, o_fire, o_last, osl;
  logic [1:0] o_id_q;
  logic [7:0] o_row;
  logic [6:0] o_chunk;
  logic [3:0] o_rm1;
  logic [2047:0] o_wdata;
  assign osl          = o_id_q[0];
  assign cl_out_ready = active && (!tap_mode[osl] || tap_ready_i);
  assign o_fire       = cl_out_valid && cl_out_ready;
  assign o_hs         = o_fire && !tap_mode[osl];
  assign o_last       = (cl_out_slab == s_m1[osl]) && (cl_out_tok == p_tm1[osl]);
  assign o_row    = d_scatter_q[osl] ? tab_tok(osl, cl_out_tok) : (d_dr_q[osl] + cl_out_tok);
  assign o_chunk  = {1'b0, d_dc_q[osl]} + {1'b0, cl_out_slab};
  assign o_rm1    = (cl_out_slab == s_m1[osl]) ? p_nm1[osl][3:0] : 4'hF;
  assign tap_valid_o = active && tap_mode[osl] && cl_out_valid;
  assign tap_data_o  = tap_valid_o ? cl_out_data : '0;
  assign tap_tok_o   = tap_valid_o ? cl_out_tok : '0;

  // the buffer write port (registered): copy beats (embed) or out beats. An out beat takes two
  // register stages (300 MHz): its row (the token table's LUTRAM read), chunk and valid rows,
  // then the word address (rowbase) and the lane mask. It lands in the buffer the cycle its
  // pass's done_o / ps_done_o shows, before any reader the done can start (a held act / side
  // stream of the pass behind it issues two cycles after the retirement at the earliest).
  // Copy beats (only while the front embed pass is not launched) never meet an out beat.
  logic          o1_v_q, o1_h_q;
  logic [3:0]    o1_buf_q, o1_rm1_q;
  logic [7:0]    o1_row_q;
  logic [6:0]    o1_chunk_q;
  logic [OutW-1:0] o1_data_q;
  logic [15:0]   o1_mask;
  logic          wr_v_q;
  logic [3:0]    wr_buf_q;
  logic [10:0]   wr_addr_q;
  logic [63:0]   wr_lanes_q;
  logic [2047:0] wr_data_q;
  assign o1_mask = 16'hFFFF >> (4'hF - o1_rm1_q);
  always_comb begin
    for (int g = 0; g < 4; g++) begin
      for (int i = 0; i < 16; i++) begin
        o_wdata[512*g + 32*i +: 32] = 32'(signed'(o1_data_q[MoeAccBits*i +: MoeAccBits]));
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (!rst_ni || kill_i) begin
      o1_v_q <= 1'b0;
      wr_v_q <= 1'b0;
    end else begin
      o1_v_q <= o_hs;
      wr_v_q <= o1_v_q || cp_write;
    end
    if (o_hs) begin
      o1_buf_q   <= d_dst_q[osl];
      o1_h_q     <= dst_h[osl];
      o1_row_q   <= o_row;
      o1_chunk_q <= o_chunk;
      o1_rm1_q   <= o_rm1;
      o1_data_q  <= cl_out_data;
    end
    if (cp_write) begin
      wr_buf_q   <= d_dst_q[fs];
      wr_addr_q  <= rowbase(d_dr_q[fs] + cp_t_q, dst_h[fs]) + {6'b0, cp_chunk[6:2]};
      wr_lanes_q <= 64'hFF << (8 * cp_grp);
      for (int k = 0; k < 64; k++) begin
        wr_data_q[32*k +: 32] <= 32'(signed'(rd_data_i[0][16*(k%8) +: 16]));
      end
    end else if (o1_v_q) begin
      wr_buf_q   <= o1_buf_q;
      wr_addr_q  <= rowbase(o1_row_q, o1_h_q) + {6'b0, o1_chunk_q[6:2]};
      wr_lanes_q <= {48'b0, o1_mask} << (16 * o1_chunk_q[1:0]);
      wr_data_q  <= o_wdata;
    end
  end

  always_comb begin
    buf_re_o     = '0;
    buf_raddr_o  = '0;
    buf_we_o     = '0;
    buf_waddr_o  = '0;
    buf_wlanes_o = '0;
    for (int b = 0; b < 7; b++) begin
      buf_wdata_o[b] = '0;
      if (s_re_q && s_rb_q == 4'(b)) begin
        buf_re_o[b]    = 1'b1;
        buf_raddr_o[b] = s_ra_q;
      end
      if (a_re_q && a_rb_q == 4'(b)) begin
        buf_re_o[b]    = 1'b1;
        buf_raddr_o[b] = a_ra_q;
      end
      if (wr_v_q && wr_buf_q == 4'(b)) begin
        buf_we_o[b]     = 1'b1;
        buf_waddr_o[b]  = wr_addr_q;
        buf_wlanes_o[b] = wr_lanes_q;
        buf_wdata_o[b]  = wr_data_q;
      end
    end
  end

  // ---------------------------------------------------------------- retirement of the front
  // errors of the front pass: its fields; an engine error of a job it started (or of its
  // embed copy); a bad record in the pass the parsers took last. Errors of the pass behind it
  // wait until it is the front (after the front's done), as the commands' order has it.
  logic         front_axi, ret_err, ret_ok;
  logic [7:0]   ret_code;
  // (each slot's verdict as if it were the front, then the front's: the slot select last)
  logic [1:0] axi_s, err_s;
  for (genvar k = 0; k < 2; k++) begin : g_ret
    logic [U-1:0] own;
    for (genvar u = 0; u < U; u++) begin : g_own
      assign own[u] = rd_err_i[u] && f_used_q[u] && (f_eid_q[u] == {fr_q[1], 1'(k)});
    end
    assign axi_s[k] = (embed[k] && !d_launch_q[k] && !d_badf_q[k] && cp_started_q && rd_err_i[0]) || |own;
    assign err_s[k] = d_badf_q[k] || axi_s[k] || (cl_bad && (pp_q - 2'd1 == {fr_q[1], 1'(k)}));
  end
  assign front_axi = axi_s[fs];
  assign ret_err   = active && err_s[fs];
  assign ret_ok    = active && !ret_err && cl_done_valid;
  assign ret_code  = d_badf_q[fs] ? ErrField : (front_axi ? ErrAxi : ErrImage);

  logic       fin_q, fin_lin_q, ps_block_q;
  logic [7:0] fin_err_q;

  assign ps_ready_o = ps_valid_i && !go_i && (n_pass != 2'd2) && !tc_busy_q && !ps_block_q && !ret_err;
  assign acc_go     = go_i && !ret_err;
  assign acc_ps     = ps_valid_i && ps_ready_o;
  assign acc_any    = acc_go || acc_ps;

  // ---------------------------------------------------------------- control
  always_ff @(posedge clk_i) begin
    if (!rst_ni || kill_i || ret_err) begin
      acc_q        <= '0;
      fr_q         <= '0;
      c_id_q       <= '0;
      pp_q         <= '0;
      d_lin_q      <= '0;
      d_badf_q     <= '0;
      d_launch_q   <= '0;
      d_ttr_q      <= '0;
      tc_busy_q    <= 1'b0;
      tt_v_q       <= 1'b0;
      cp_started_q <= 1'b0;
      cp_b_q       <= '0;
      cp_t_q       <= '0;
      f_run_q      <= '0;
      f_act_q      <= '0;
      f_hv_q       <= '0;
      f_used_q     <= '0;
      f_id_q       <= '0;
      a_id_q       <= '0;
      a_run_q      <= 1'b0;
      a_v_q        <= 1'b0;
      a_v2_q       <= 1'b0;
      a_re_q       <= 1'b0;
      a_cnt_q      <= '0;
      s_id_q       <= '0;
      s_run_q      <= 1'b0;
      s_v_q        <= 1'b0;
      s_v2_q       <= 1'b0;
      s_re_q       <= 1'b0;
      s_cnt_q      <= '0;
      o_id_q       <= '0;
    end else begin
      // acceptance
      if (acc_any) begin
        acc_q                 <= acc_q + 2'd1;
        d_lin_q[acc_q[0]]     <= acc_go;
        d_badf_q[acc_q[0]]    <= acc_go && !fields_ok;
        d_launch_q[acc_q[0]]  <= acc_go ? (fields_ok && f_mode != 3'd5) : 1'b1;
        d_ttr_q[acc_q[0]]     <= acc_go || !(ps_gather_i || ps_scatter_i);
        d_rawa_q[acc_q[0]]    <= rawa;
        d_raws_q[acc_q[0]]    <= raws;
        d_cmd_q[acc_q[0]]     <= in_cmd;
        d_waddr_q[acc_q[0]]   <= acc_go ? wbase_i + 64'(cmd_i[1]) : ps_waddr_i;
        d_eaddr_q[acc_q[0]]   <= wbase_i + 64'(cmd_i[4]);
        d_src_q[acc_q[0]]     <= in_src;
        d_dst_q[acc_q[0]]     <= in_dst;
        d_sc_q[acc_q[0]]      <= in_sc;
        d_dc_q[acc_q[0]]      <= in_dc;
        d_dend_q[acc_q[0]]    <= in_dend;
        d_dr_q[acc_q[0]]      <= acc_go ? f_dr : 8'd0;
        d_gather_q[acc_q[0]]  <= !acc_go && ps_gather_i;
        d_scatter_q[acc_q[0]] <= !acc_go && ps_scatter_i;
        for (int u = 0; u < U; u++) begin
          // u Kt as shifts and one add (u <= 3), no multiplier
          d_off_q[acc_q[0]][u] <= {6'b0, (u[0] ? {2'b0, in_kt} : 9'd0) + (u[1] ? {1'b0, in_kt, 1'b0} : 9'd0), 9'b0}
                                  + 24'(64 * u);
        end
        d_cpb_q[acc_q[0]] <= {6'b0, in_cmd[31:24] + 9'd1, 9'b0} - {9'b0, in_cmd[31:24] + 9'd1, 6'b0};
        d_emb_q[acc_q[0]] <= (in_mode == 3'd5);
        d_cpw_q[acc_q[0]] <= {in_cmd[23:18] + 6'd1, 1'b0};
      end
      if (acc_ps && (ps_gather_i || ps_scatter_i)) begin
        tc_busy_q <= 1'b1;
        tc_slot_q <= acc_q[0];
        tc_tm1_q  <= ps_cmd_i[31:24];
        tt_i_q    <= '0;
      end
      // retirement (ok; errors reset everything above)
      if (ret_ok) fr_q <= fr_q + 2'd1;

      // token table copy
      if (tt_issue) tt_i_q <= tt_i_q + 8'd1;
      tt_v_q   <= tt_issue;
      tt_cap_q <= tt_i_q;
      if (tt_v_q && tt_cap_q == tc_tm1_q) begin
        tc_busy_q            <= 1'b0;
        d_ttr_q[tc_slot_q]   <= 1'b1;
      end

      // embed copy (the front)
      if (cp_issue) cp_started_q <= 1'b1;
      if (cp_hs) begin
        if (cp_b_q == 5'd27) begin
          cp_b_q <= '0;
          cp_t_q <= cp_t_q + 8'd1;
        end else begin
          cp_b_q <= cp_b_q + 5'd1;
        end
      end
      if (cp_last) begin
        d_launch_q[fs] <= 1'b1;
        cp_started_q   <= 1'b0;
        cp_b_q         <= '0;
        cp_t_q         <= '0;
      end

      // cluster cmds
      if (cl_cmd_valid && cl_cmd_ready) c_id_q <= c_id_q + 2'd1;
      if (cl_cmd_taken) pp_q <= pp_q + 2'd1;

      // feeders
      for (int u = 0; u < U; u++) begin
        if (!f_run_q[u] && f_avail[u]) begin
          if (6'(u) <= f_sm1[u]) begin
            f_run_q[u]   <= 1'b1;
            f_j_q[u]     <= 6'(u);
            f_jok_q[u]   <= 1'b1;
            f_jlast_q[u] <= (6'(u) == f_sm1[u]);
            f_addr_q[u]  <= f_addr0[u];
          end else begin
            f_id_q[u] <= f_id_q[u] + 2'd1;       // no slab of this pass on unit u
          end
        end
        if (f_run_q[u] && !f_act_q[u] && !f_jok_q[u]) begin
          f_run_q[u] <= 1'b0;
          f_id_q[u]  <= f_id_q[u] + 2'd1;
        end
        if (f_issue[u]) begin
          f_act_q[u]  <= 1'b1;
          f_used_q[u] <= 1'b1;
          f_eid_q[u]  <= f_id_q[u];
        end
        if (f_rhs[u]) begin
          if (!f_hv_q[u]) begin
            f_half_q[u] <= rd_data_i[u];
            f_hv_q[u]   <= 1'b1;
          end else begin
            f_hv_q[u]   <= 1'b0;
          end
          if (rd_last_i[u]) begin
            f_act_q[u]  <= 1'b0;
            f_j_q[u]     <= f_j_q[u] + 6'd4;
            f_jok_q[u]   <= (f_j_q[u] + 6'd4 <= f_sm1[u]);
            f_jlast_q[u] <= (f_j_q[u] + 6'd4 == f_sm1[u]);
            f_addr_q[u]  <= f_addr_q[u] + 64'({d_rec_q[f_fs[u]][21:0], 2'b0});
          end
        end
      end

      // act
      a_tev_q <= 2'd0;
      if (!a_run_q && a_avail) begin
        a_run_q <= 1'b1;
        a_rho_q <= '0;
        a_t_q   <= '0;
        a_c_q   <= '0;
        a_tev_q <= 2'd2;
        a_cl_q  <= (kt_m1[asl] == '0);
        a_tl_q  <= (p_tm1[asl] == '0);
        a_rl_q  <= (pr_m1[asl] == '0);
      end
      a_re_q  <= a_issue;
      a_ra_q  <= a_addr;
      a_rb_q  <= d_src_q[asl];
      a_x1_q  <= src_x[asl];
      a_g1_q  <= a_chunk[1:0];
      a_v_q   <= a_re_q;
      a_v2_q  <= a_v_q;
      a_vb_q  <= a_rb_q[2:0];
      a_vx_q  <= a_x1_q;
      a_g_q   <= a_g1_q;
      a_cnt_q <= a_cnt_q + 3'(a_issue) - 3'(a_pop);
      if (a_issue) begin
        if (a_last) begin
          a_run_q <= 1'b0;
          a_id_q  <= a_id_q + 2'd1;
        end else if (a_cl_q) begin
          a_c_q  <= '0;
          a_cl_q <= (kt_m1[asl] == '0);
          if (a_tl_q) begin
            a_t_q   <= '0;
            a_tev_q <= 2'd2;
            a_tl_q  <= (p_tm1[asl] == '0);
            a_rho_q <= a_rho_q + 4'd1;
            a_rl_q  <= (a_rho_q + 4'd1 == pr_m1[asl]);
          end else begin
            a_t_q   <= a_t_q + 8'd1;
            a_tev_q <= 2'd1;
            a_tl_q  <= (a_t_q + 8'd1 == p_tm1[asl]);
          end
        end else begin
          a_c_q  <= a_c_q + 6'd1;
          a_cl_q <= (a_c_q + 6'd1 == kt_m1[asl]);
        end
      end

      // side
      if (!s_run_q && s_have) begin
        if (!side_en[ssl]) begin
          s_id_q <= s_id_q + 2'd1;                // no side stream in this pass
        end else if (!s_hold) begin
          s_run_q <= 1'b1;
          s_rho_q <= '0;
          s_t_q   <= '0;
          s_u_q   <= '0;
          s_tev_q <= 2'd2;
          s_rl_q  <= (pr_m1[ssl] == '0);
          s_ul_q  <= ((pr_m1[ssl] == '0) ? alast_m1[ssl] : 2'd3) == 2'd0;
          s_tl_q  <= (p_tm1[ssl] == '0);
        end
      end
      s_re_q   <= s_issue;
      s_ra_q   <= s_addr;
      s_rb_q   <= sbuf[ssl];
      s_res1_q <= side_resid[ssl];
      s_g1_q   <= s_chunk[1:0];
      s_p1_q   <= tab_sc(ssl, s_t_q);
      if (!(!s_run_q && s_have && side_en[ssl] && !s_hold)) s_tev_q <= 2'd0;
      s_v_q    <= s_re_q;
      s_v2_q   <= s_v_q;
      s_vb_q   <= s_rb_q[2:0];
      s_vres_q <= s_res1_q;
      s_g_q    <= s_g1_q;
      s_p_q    <= s_p1_q;
      s_cnt_q  <= s_cnt_q + 3'(s_issue) - 3'(s_pop);
      if (s_issue) begin
        if (s_last) begin
          s_run_q <= 1'b0;
          s_id_q  <= s_id_q + 2'd1;
        end else if (s_ul_q) begin
          s_u_q <= '0;
          if (s_tl_q) begin
            s_t_q   <= '0;
            s_tev_q <= 2'd2;
            s_tl_q  <= (p_tm1[ssl] == '0);
            s_rho_q <= s_rho_q + 4'd1;
            s_rl_q  <= (s_rho_q + 4'd1 == pr_m1[ssl]);
            s_ul_q  <= ((s_rho_q + 4'd1 == pr_m1[ssl]) ? alast_m1[ssl] : 2'd3) == 2'd0;
          end else begin
            s_t_q   <= s_t_q + 8'd1;
            s_tev_q <= 2'd1;
            s_tl_q  <= (s_t_q + 8'd1 == p_tm1[ssl]);
            s_ul_q  <= (s_am1 == 2'd0);
          end
        end else begin
          s_u_q  <= s_u_q + 2'd1;
          s_ul_q <= (s_u_q + 2'd1 == s_am1);
        end
      end

      // out
      if (o_fire && o_last) o_id_q <= o_id_q + 2'd1;
    end
  end

  // token tables: the pass port's copy, the embed row exponents
  always_ff @(posedge clk_i) begin
    if (tt_v_q) begin
      if (tc_slot_q) begin
        tab_tok1_q[tt_cap_q] <= tt_tok_i;
        tab_sc1_q[tt_cap_q]  <= tt_score_i;
      end else begin
        tab_tok0_q[tt_cap_q] <= tt_tok_i;
        tab_sc0_q[tt_cap_q]  <= tt_score_i;
      end
    end
    if (cp_hs && cp_b_q == 5'd24) begin
      if (fs) tab_sc1_q[cp_t_q] <= PBits'(rd_data_i[0][BExpBits-1:0]);
      else    tab_sc0_q[cp_t_q] <= PBits'(rd_data_i[0][BExpBits-1:0]);
    end
  end

  // per-slot byte counts, one cycle behind d_cmd_q (read from two cycles after an acceptance)
  always_ff @(posedge clk_i) begin
    for (int k = 0; k < 2; k++) begin
      d_rec_q[k]   <= rec_full[k];
      d_lastb_q[k] <= last_bytes[k];
    end
  end

  // dones in acceptance order, one cycle after the retirement; a failed pass resets the cluster
  always_ff @(posedge clk_i) begin
    if (!rst_ni || kill_i) begin
      fin_q      <= 1'b0;
      fin_lin_q  <= 1'b0;
      fin_err_q  <= ErrOk;
      clr_q      <= 1'b1;
      ps_block_q <= 1'b0;
    end else begin
      fin_q     <= ret_ok || ret_err;
      fin_lin_q <= d_lin_q[fs];
      fin_err_q <= ret_err ? ret_code : ErrOk;
      clr_q     <= ret_err;
      // after a failed pass-port pass, no further request until exec_moe has withdrawn its own
      if (ret_err) ps_block_q <= 1'b1;
      else if (!ps_valid_i) ps_block_q <= 1'b0;
    end
  end

  assign busy_o       = active || fin_q;
  assign done_o       = fin_q && fin_lin_q;
  assign err_o        = done_o ? fin_err_q : '0;
  assign ps_done_o    = fin_q && !fin_lin_q;
  assign ps_err_o     = ps_done_o ? fin_err_q : '0;
  // registered (300 MHz: the retirement's error logic is not in series with the sequencer's
  // issue): one cycle late. A stale "ready" is safe: after the acceptance that fills both slots
  // the sequencer holds its queued LINEAR (q2busy) and issues none; after a retirement a go_i
  // finds a free slot; a go_i in the cycle after an error is accepted into the reset executor
  // and killed with the stop that the error's done starts (done_o with the code, that cycle).
  logic lq_q;
  always_ff @(posedge clk_i) begin
    if (!rst_ni || kill_i) lq_q <= 1'b0;
    else lq_q <= (n_pass == 2'd1) && d_lin_q[fs] && !d_badf_q[fs] && !ret_err;
  end
  assign lin_qready_o = lq_q;

  // registered: the top's 32-bit counter sits behind it
  logic wstall_q;
  always_ff @(posedge clk_i) begin
    if (!rst_ni || kill_i) wstall_q <= 1'b0;
    else wstall_q <= cl_act_valid && !cl_act_ready && !(cl_out_valid && !cl_out_ready);
  end
  assign wstall_o = wstall_q;

  logic unused;
  assign unused = ^{rd_first_i, af_in_ready, sf_in_ready, w0[7:0]};

endmodule
