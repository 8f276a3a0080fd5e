// Executor of LINEAR (opcode 0x04) and pass server of exec_moe (/work/notes/integration.md,
// docs/architecture.md "The cluster module", "Weight image", "Field rules").
//
// It owns one edgemoe_cluster (LinUnits = 4 linear units) and runs "passes" on it: one
// cluster command (mode, has_bias, K, N, T) with its four weight feeders, the act, side
// and out streams. A LINEAR command is a pass of its own; exec_moe's MOE_GATE and
// EXPERTS send theirs through the pass port (ps_*), so both paths share every line here.
//
// ---------------------------------------------------------------- a LINEAR command
// go_i -> field checks, the ISS's rules (edgemoe.driver.iss Iss._linear) on cmd_i: any
// failure ends with done_o + BAD_FIELD (0x02) before any buffer write or DDR read.
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
//   into a 4-entry FIFO with credits: one beat per cycle.
// * side (modes resid, scaled, embed): for round rho, token t, active unit u (slab j =
//   4 rho + u): resid: X at row dr + t, chunk dc + j, saturated to act; scaled: X raw
//   moe_acc at row tt(t) (scatter) and the token's score at [448 +: 17]; embed: the
//   destination at row dr + t, chunk dc + j (the copied mantissas) and the row's
//   exponent code at [448 +: 4].
// * out: every out beat of slab j, token t is written (registered, one cycle) into B at
//   row dr + t (scatter: tt(t)), chunk dc + j, lanes of the slab's valid rows, the code
//   sign-extended (act; q for mode q; moe_acc for scaled); dst 15: to the tap instead.
// * the pass ends with the cluster's done beat (every out beat taken): done_o /
//   ps_done_o with 0. The cluster's bad_image_o: BAD_IMAGE (0x06); a read engine's
//   rd_err_i for a job started here: AXI_READ (0x03); both reset the cluster (and the
//   stream FIFOs here) for one cycle after the done; the sequencer drains the engines.
// * gather / scatter (pass port only): the token table (tt_tok_i, tt_score_i of
//   exec_moe, registered read) is first copied into a local table (T + 1 cycles, while
//   the first round's weights load, so it costs nothing), which then serves the act,
//   side and out streams (three reads a cycle).
//
// ---------------------------------------------------------------- cycles
// go_i to done_o (LIN_BUSY) of an isolated pass = the cluster's closed form (edgemoe_cluster.sv:
// L_0 + P T Kt + Lat + A_last + 3) + the round-0 records' second half at 16 B/cycle (2 + 16 Kt)
// + one DDR read latency + 5 (check, init, done); embed adds the copy (28 T beats + a DDR
// latency). Measured through the top (tests/test_rtl_linear.py, 75-cycle DDR latency), against
// the closed form and perf_model._Cluster: q/k/v head (192 -> 64, T 129) 2,042 / 1,768 / 2,024;
// proj 5,138 / 4,864 / 5,120; fc1 19,070 / 18,796 / 19,052; fc2 20,222 / 19,372 / 20,408; embed
// (T 128) 23,740 / 19,228 / 20,264. Later rounds' loads hide under the compute when
// 2 (2 + 16 Kt) + latency <= T Kt (T >= about 40).
//
// Resources (Yosys synth_xilinx, edgemoe_cluster a black box): 18,263 LUT (632 LUTRAM: the
// token table, the stream FIFOs), 1,719 FF, 2 DSP, 0.5 BRAM36; most LUTs are the act and side
// read muxes (7 buffers x 4 lane groups x 512 bits each) and the per-buffer write-data gating.
// Path estimate (edgemoe.timing) 4.43 ns: the field check (cmd_i to the state), the out beat's
// lane mask into the write register, the 28:1 read mux + sat_act into the act / side FIFOs.
//
// Pass port rules: ps_cmd_i is the cluster's cmd beat; the destination row offset of a
// pass-port pass is 0; the side buffer (X for scaled) must not be the act source (the
// act read then has priority, which only costs time).
// kill_i: synchronous reset of this executor, the cluster reset the next cycle.
// busy_o: high while a LINEAR or a pass executes (the cycle after go_i / the ps handshake
// to done_o / ps_done_o).
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
  localparam int unsigned Cred  = 4;                       // act / side FIFO depth (credits)

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

  // ---------------------------------------------------------------- field checks (LINEAR)
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

  // ---------------------------------------------------------------- state
  typedef enum logic [2:0] {SIdle, SCheck, SCopy, SInit, SRun, SFin} state_e;
  state_e      state_q;
  logic        lin_q;            // executing a LINEAR command (else a pass-port pass)
  logic [7:0]  err_q;
  logic        clr_q;            // cluster + stream FIFO reset (after kill and failed passes)
  logic        cl_rst_n;
  assign cl_rst_n = rst_ni && !clr_q;

  // the pass
  logic [31:0] p_cmd_q;
  logic [63:0] p_waddr_q, p_eaddr_q;
  logic [3:0]  p_src_q, p_dst_q;
  logic [5:0]  p_sc_q, p_dc_q;
  logic [7:0]  p_dr_q;
  logic        p_gather_q, p_scatter_q;

  logic [2:0]  p_mode;
  logic [9:0]  p_nm1;
  logic [7:0]  p_tm1;
  logic [5:0]  kt_m1, s_m1;      // Kt - 1, S - 1 (slabs)
  logic [3:0]  pr_m1;            // P - 1 (rounds)
  logic [1:0]  alast_m1;         // active units in the last round - 1
  logic [6:0]  kt;
  logic [23:0] rec_full, stride4;
  // per-pass decodes, registered in SInit (short paths in the streams)
  logic        side_en, tap_mode, src_x, src_h, sbuf_h, side_resid, same_buf;
  logic [3:0]  sbuf;             // the side stream's buffer
  logic [23:0] rec_bytes, last_bytes;  // a record of 16 rows, the pass's last record
  assign p_mode   = p_cmd_q[2:0];
  assign kt_m1    = p_cmd_q[13:8];
  assign p_nm1    = p_cmd_q[23:14];
  assign p_tm1    = p_cmd_q[31:24];
  assign s_m1     = p_nm1[9:4];
  assign pr_m1    = p_nm1[9:6];
  assign alast_m1 = s_m1[1:0];
  assign kt       = {1'b0, kt_m1} + 7'd1;
  assign rec_full = 24'd64 + {8'b0, kt, 9'b0};
  assign stride4  = {rec_full[21:0], 2'b0};

  logic running;
  assign running = (state_q == SRun);

  always_ff @(posedge clk_i) begin
    if (state_q == SInit) begin
      side_en    <= (p_mode == 3'd3) || (p_mode == 3'd4) || (p_mode == 3'd5);
      tap_mode   <= (p_dst_q == BufNone);
      sbuf       <= (p_mode == 3'd5) ? p_dst_q : BufX;
      sbuf_h     <= (p_mode == 3'd5) && (p_dst_q == BufH);
      side_resid <= (p_mode == 3'd3);
      same_buf   <= (p_src_q == ((p_mode == 3'd5) ? p_dst_q : BufX));
      src_x      <= (p_src_q == BufX);
      src_h      <= (p_src_q == BufH);
      rec_bytes  <= rec_full;
      last_bytes <= 24'd64 + {8'b0, 11'({1'b0, p_nm1[3:0]} + 5'd1) * 11'(kt), 5'b0};
    end
  end

  // ---------------------------------------------------------------- cluster
  logic        cl_cmd_valid, cl_cmd_ready;
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

  edgemoe_cluster u_cluster (
    .clk_i, .rst_ni(cl_rst_n),
    .cmd_valid_i(cl_cmd_valid), .cmd_ready_o(cl_cmd_ready), .cmd_data_i(p_cmd_q),
    .w_valid_i(cl_w_valid), .w_ready_o(cl_w_ready), .w_data_i(cl_w_data),
    .act_valid_i(cl_act_valid), .act_ready_o(cl_act_ready), .act_data_i(cl_act_data),
    .side_valid_i(cl_side_valid), .side_ready_o(cl_side_ready), .side_data_i(cl_side_data),
    .out_valid_o(cl_out_valid), .out_ready_i(cl_out_ready), .out_data_o(cl_out_data),
    .out_slab_o(cl_out_slab), .out_tok_o(cl_out_tok),
    .done_valid_o(cl_done_valid), .done_ready_i(cl_done_ready), .bad_image_o(cl_bad));

  logic cmd_sent_q;
  assign cl_cmd_valid  = running && !cmd_sent_q;
  assign cl_done_ready = running;

  // ---------------------------------------------------------------- token table
  // tab_tok: the pass token's buffer row (gather / scatter); tab_sc: its score (scaled) or,
  // for embed, the embed_add row's exponent code.
  logic [7:0]       tab_tok_q [NT];
  logic [PBits-1:0] tab_sc_q  [NT];
  logic       tt_ready_q, tt_v_q;
  logic [7:0] tt_i_q, tt_cap_q;
  logic       tt_issue;
  assign tt_issue = running && !tt_ready_q && (tt_i_q <= p_tm1);
  assign tt_re_o  = tt_issue;
  assign tt_idx_o = tt_issue ? tt_i_q : '0;

  // ---------------------------------------------------------------- embed copy (engine 0)
  logic       cp_started_q;
  logic [4:0] cp_b_q;            // beat in the 448-byte row (28)
  logic [7:0] cp_t_q;
  logic       cp_issue, cp_hs, cp_write, cp_last;
  logic [6:0] cp_chunk;
  logic [2:0] cp_grp;            // 8-lane group in the word
  logic [23:0] cp_bytes;         // registered in SCheck: T x 448
  assign cp_issue = (state_q == SCopy) && !cp_started_q && !rd_busy_i[0];
  assign cp_hs    = (state_q == SCopy) && cp_started_q && rd_valid_i[0];
  assign cp_last  = cp_hs && rd_last_i[0];
  assign cp_write = cp_hs && (cp_b_q < 5'd24) && ({2'b0, cp_b_q} < {s_m1 + 6'd1, 1'b0});
  assign cp_chunk = {1'b0, p_dc_q} + {3'b0, cp_b_q[4:1]};
  assign cp_grp   = {cp_chunk[1:0], cp_b_q[0]};

  // ---------------------------------------------------------------- weight feeders
  logic [U-1:0]        f_act_q, f_hv_q, f_used_q, f_issue, f_rhs;
  logic [U-1:0][5:0]   f_j_q;
  logic [U-1:0][63:0]  f_addr_q;
  logic [U-1:0][127:0] f_half_q;
  logic [U-1:0][23:0]  f_bytes;
  for (genvar u = 0; u < U; u++) begin : g_feed
    assign f_bytes[u] = (f_j_q[u] == s_m1) ? last_bytes : rec_bytes;
    assign f_issue[u] = running && !f_act_q[u] && (f_j_q[u] <= s_m1) && !rd_busy_i[u];
    assign cl_w_valid[u] = running && f_act_q[u] && f_hv_q[u] && rd_valid_i[u];
    assign cl_w_data[u]  = {rd_data_i[u], f_half_q[u]};
    assign f_rhs[u]   = running && f_act_q[u] && rd_valid_i[u] && (!f_hv_q[u] || cl_w_ready[u]);
  end

  always_comb begin
    rd_start_o = '0;
    rd_addr_o  = '0;
    rd_bytes_o = '0;
    rd_ready_o = '0;
    for (int u = 0; u < U; u++) begin
      if (f_issue[u]) begin
        rd_start_o[u] = 1'b1;
        rd_addr_o[u]  = f_addr_q[u];
        rd_bytes_o[u] = f_bytes[u];
      end
      rd_ready_o[u] = running && f_act_q[u] && (!f_hv_q[u] || cl_w_ready[u]);
    end
    if (cp_issue) begin
      rd_start_o[0] = 1'b1;
      rd_addr_o[0]  = p_eaddr_q;
      rd_bytes_o[0] = cp_bytes;
    end
    if (state_q == SCopy && cp_started_q) rd_ready_o[0] = 1'b1;
  end

  // ---------------------------------------------------------------- act stream
  logic       a_done_q, a_re_q, a_v_q, a_issue;   // issue -> a_re_q (the read) -> a_v_q (its data)
  logic [10:0] a_ra_q;
  logic [1:0] a_g1_q;
  logic [3:0] a_rho_q;
  logic [7:0] a_t_q, a_row;
  logic [5:0] a_c_q;
  logic [6:0] a_chunk;
  logic [1:0] a_g_q;
  logic [2:0] a_cnt_q;           // entries issued and not yet taken by the cluster
  logic [10:0] a_addr;
  logic       af_in_ready, af_valid, a_pop;
  logic [ActW-1:0] a_lanes, af_data;
  assign a_row   = p_gather_q ? tab_tok_q[a_t_q] : a_t_q;
  assign a_chunk = {1'b0, p_sc_q} + {1'b0, a_c_q};
  assign a_addr  = rowbase(a_row, src_h) + {6'b0, a_chunk[6:2]};
  assign a_issue = running && tt_ready_q && !a_done_q && (a_cnt_q < 3'(Cred));
  assign a_pop   = cl_act_valid && cl_act_ready;

  always_comb begin
    logic [511:0] grp;
    grp = buf_rdata_i[p_src_q[2:0]][512*a_g_q +: 512];
    for (int i = 0; i < 16; i++) begin
      a_lanes[ActBits*i +: ActBits] = src_x ? sat_act(grp[32*i +: 32]) : grp[32*i +: ActBits];
    end
  end

  stream_fifo #(.Width(ActW), .Depth(Cred)) u_act_fifo (
    .clk_i, .rst_ni(cl_rst_n), .in_valid_i(a_v_q), .in_ready_o(af_in_ready), .in_data_i(a_lanes),
    .out_valid_o(af_valid), .out_ready_i(cl_act_ready && running), .out_data_o(af_data));
  assign cl_act_valid = af_valid && running;
  assign cl_act_data  = af_data;

  // ---------------------------------------------------------------- side stream
  logic       s_done_q, s_re_q, s_v_q, s_issue;
  logic [10:0] s_ra_q;
  logic [1:0] s_g1_q;
  logic [PBits-1:0] s_p1_q;
  logic [3:0] s_rho_q;
  logic [7:0] s_t_q, s_row;
  logic [1:0] s_u_q, s_am1, s_g_q;
  logic [6:0] s_chunk;
  logic [2:0] s_cnt_q;
  logic [10:0] s_addr;
  logic [PBits-1:0] s_p_q;
  logic       sf_in_ready, sf_valid, s_pop;
  logic [SideW-1:0] s_lanes, sf_data;
  assign s_am1   = (s_rho_q == pr_m1) ? alast_m1 : 2'd3;
  assign s_row   = p_scatter_q ? tab_tok_q[s_t_q] : (p_dr_q + s_t_q);
  assign s_chunk = {1'b0, p_dc_q} + {1'b0, s_rho_q, s_u_q};
  assign s_addr  = rowbase(s_row, sbuf_h) + {6'b0, s_chunk[6:2]};
  // the act read has the buffer's one read port when both want the same buffer
  assign s_issue = running && tt_ready_q && side_en && !s_done_q && (s_cnt_q < 3'(Cred))
                && !(a_issue && same_buf);
  assign s_pop   = cl_side_valid && cl_side_ready;

  always_comb begin
    logic [511:0] grp;
    grp = buf_rdata_i[sbuf[2:0]][512*s_g_q +: 512];
    for (int i = 0; i < 16; i++) begin
      if (side_resid) begin
        s_lanes[MoeAccBits*i +: MoeAccBits] = MoeAccBits'(signed'(sat_act(grp[32*i +: 32])));
      end else begin
        s_lanes[MoeAccBits*i +: MoeAccBits] = grp[32*i +: MoeAccBits];
      end
    end
    s_lanes[OutW +: PBits] = s_p_q;
  end

  stream_fifo #(.Width(SideW), .Depth(Cred)) u_side_fifo (
    .clk_i, .rst_ni(cl_rst_n), .in_valid_i(s_v_q), .in_ready_o(sf_in_ready), .in_data_i(s_lanes),
    .out_valid_o(sf_valid), .out_ready_i(cl_side_ready && running), .out_data_o(sf_data));
  assign cl_side_valid = sf_valid && running;
  assign cl_side_data  = sf_data;

  // ---------------------------------------------------------------- out stream
  logic       o_hs;
  logic [7:0] o_row;
  logic [6:0] o_chunk;
  logic [3:0] o_rm1;
  logic [15:0] o_mask;
  logic [2047:0] o_wdata;
  assign cl_out_ready = running && (!tap_mode || tap_ready_i);
  assign o_hs     = cl_out_valid && cl_out_ready && !tap_mode;
  assign o_row    = p_scatter_q ? tab_tok_q[cl_out_tok] : (p_dr_q + cl_out_tok);
  assign o_chunk  = {1'b0, p_dc_q} + {1'b0, cl_out_slab};
  assign o_rm1    = (cl_out_slab == s_m1) ? p_nm1[3:0] : 4'hF;
  assign o_mask   = 16'hFFFF >> (4'hF - o_rm1);
  always_comb begin
    for (int g = 0; g < 4; g++) begin
      for (int i = 0; i < 16; i++) begin
        o_wdata[512*g + 32*i +: 32] = 32'(signed'(cl_out_data[MoeAccBits*i +: MoeAccBits]));
      end
    end
  end
  assign tap_valid_o = running && tap_mode && cl_out_valid;
  assign tap_data_o  = tap_valid_o ? cl_out_data : '0;
  assign tap_tok_o   = tap_valid_o ? cl_out_tok : '0;

  // the buffer write port (registered): copy beats (embed) or out beats
  logic          wr_v_q;
  logic [3:0]    wr_buf_q;
  logic [10:0]   wr_addr_q;
  logic [63:0]   wr_lanes_q;
  logic [2047:0] wr_data_q;

  always_ff @(posedge clk_i) begin
    if (!rst_ni || kill_i) begin
      wr_v_q <= 1'b0;
    end else begin
      wr_v_q <= o_hs || cp_write;
    end
    if (cp_write) begin
      wr_buf_q   <= p_dst_q;
      wr_addr_q  <= rowbase(p_dr_q + cp_t_q, p_dst_q == BufH) + {6'b0, cp_chunk[6:2]};
      wr_lanes_q <= 64'hFF << (8 * cp_grp);
      for (int k = 0; k < 64; k++) begin
        wr_data_q[32*k +: 32] <= 32'(signed'(rd_data_i[0][16*(k%8) +: 16]));
      end
    end else if (o_hs) begin
      wr_buf_q   <= p_dst_q;
      wr_addr_q  <= rowbase(o_row, p_dst_q == BufH) + {6'b0, o_chunk[6:2]};
      wr_lanes_q <= {48'b0, o_mask} << (16 * o_chunk[1:0]);
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
      if (running && s_re_q && sbuf == 4'(b)) begin
        buf_re_o[b]    = 1'b1;
        buf_raddr_o[b] = s_ra_q;
      end
      if (running && a_re_q && p_src_q == 4'(b)) begin
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

  // ---------------------------------------------------------------- control
  logic axi_err;
  assign axi_err = ((state_q == SCopy) && cp_started_q && rd_err_i[0]) || (running && |(rd_err_i & f_used_q));

  always_ff @(posedge clk_i) begin
    if (!rst_ni || kill_i) begin
      state_q      <= SIdle;
      lin_q        <= 1'b0;
      err_q        <= ErrOk;
      clr_q        <= 1'b1;
      cmd_sent_q   <= 1'b0;
      cp_started_q <= 1'b0;
      tt_ready_q   <= 1'b0;
      tt_v_q       <= 1'b0;
      f_act_q      <= '0;
      f_hv_q       <= '0;
      f_used_q     <= '0;
      a_done_q     <= 1'b1;
      a_v_q        <= 1'b0;
      a_re_q       <= 1'b0;
      a_cnt_q      <= '0;
      s_done_q     <= 1'b1;
      s_v_q        <= 1'b0;
      s_re_q       <= 1'b0;
      s_cnt_q      <= '0;
    end else begin
      clr_q <= 1'b0;
      unique case (state_q)
        SIdle: begin
          if (go_i) begin
            state_q <= SCheck;
            lin_q   <= 1'b1;
          end else if (ps_valid_i) begin
            state_q     <= SInit;
            lin_q       <= 1'b0;
            p_cmd_q     <= ps_cmd_i;
            p_waddr_q   <= ps_waddr_i;
            p_eaddr_q   <= '0;
            p_src_q     <= ps_src_i;
            p_sc_q      <= ps_sc_i;
            p_gather_q  <= ps_gather_i;
            p_dst_q     <= ps_dst_i;
            p_dc_q      <= ps_dc_i;
            p_dr_q      <= '0;
            p_scatter_q <= ps_scatter_i;
          end
        end
        SCheck: begin
          cp_bytes    <= ({16'b0, f_tm1} + 24'd1) * 24'd448;
          p_cmd_q     <= {f_tm1, f_nm1, f_km1, f_spec[3], f_mode};
          p_waddr_q   <= wbase_i + 64'(cmd_i[1]);
          p_eaddr_q   <= wbase_i + 64'(cmd_i[4]);
          p_src_q     <= f_a;
          p_sc_q      <= f_sc[5:0];
          p_gather_q  <= 1'b0;
          p_dst_q     <= f_b;
          p_dc_q      <= f_dc[5:0];
          p_dr_q      <= f_dr;
          p_scatter_q <= 1'b0;
          cp_started_q <= 1'b0;
          cp_b_q       <= '0;
          cp_t_q       <= '0;
          if (!fields_ok) begin
            state_q <= SFin;
            err_q   <= ErrField;
          end else begin
            state_q <= (f_mode == 3'd5) ? SCopy : SInit;
          end
        end
        SCopy: begin
          if (cp_issue) cp_started_q <= 1'b1;
          if (cp_hs) begin
            if (cp_b_q == 5'd24) tab_sc_q[cp_t_q] <= PBits'(rd_data_i[0][BExpBits-1:0]);
            if (cp_b_q == 5'd27) begin
              cp_b_q <= '0;
              cp_t_q <= cp_t_q + 8'd1;
            end else begin
              cp_b_q <= cp_b_q + 5'd1;
            end
          end
          if (axi_err) begin
            state_q <= SFin;
            err_q   <= ErrAxi;
          end else if (cp_last) begin
            state_q <= SInit;
          end
        end
        SInit: begin
          state_q    <= SRun;
          cmd_sent_q <= 1'b0;
          tt_ready_q <= !(p_gather_q || p_scatter_q);
          tt_i_q     <= '0;
          tt_v_q     <= 1'b0;
          f_act_q    <= '0;
          f_hv_q     <= '0;
          f_used_q   <= '0;
          for (int u = 0; u < U; u++) begin
            f_j_q[u]    <= 6'(u);
          end
          f_addr_q[0] <= p_waddr_q;
          f_addr_q[1] <= p_waddr_q + 64'(rec_full);
          f_addr_q[2] <= p_waddr_q + 64'({rec_full[22:0], 1'b0});
          f_addr_q[3] <= p_waddr_q + 64'(rec_full) + 64'({rec_full[22:0], 1'b0});
          a_done_q   <= 1'b0;
          a_rho_q    <= '0;
          a_t_q      <= '0;
          a_c_q      <= '0;
          a_cnt_q    <= '0;
          a_v_q      <= 1'b0;
          a_re_q     <= 1'b0;
          s_done_q   <= 1'b0;
          s_rho_q    <= '0;
          s_t_q      <= '0;
          s_u_q      <= '0;
          s_cnt_q    <= '0;
          s_v_q      <= 1'b0;
          s_re_q     <= 1'b0;
        end
        SRun: begin
          if (cl_cmd_valid && cl_cmd_ready) cmd_sent_q <= 1'b1;
          // token table copy
          if (tt_issue) tt_i_q <= tt_i_q + 8'd1;
          tt_v_q   <= tt_issue;
          tt_cap_q <= tt_i_q;
          if (tt_v_q) begin
            tab_tok_q[tt_cap_q] <= tt_tok_i;
            tab_sc_q[tt_cap_q]  <= tt_score_i;
            if (tt_cap_q == p_tm1) tt_ready_q <= 1'b1;
          end
          // feeders
          for (int u = 0; u < U; u++) begin
            if (f_issue[u]) begin
              f_act_q[u]  <= 1'b1;
              f_used_q[u] <= 1'b1;
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
                f_j_q[u]    <= f_j_q[u] + 6'd4;
                f_addr_q[u] <= f_addr_q[u] + 64'(stride4);
              end
            end
          end
          // act
          a_re_q <= a_issue;
          a_ra_q <= a_addr;
          a_g1_q <= a_chunk[1:0];
          a_v_q  <= a_re_q;
          a_g_q  <= a_g1_q;
          a_cnt_q <= a_cnt_q + 3'(a_issue) - 3'(a_pop);
          if (a_issue) begin
            if (a_c_q == kt_m1) begin
              a_c_q <= '0;
              if (a_t_q == p_tm1) begin
                a_t_q <= '0;
                if (a_rho_q == pr_m1) a_done_q <= 1'b1;
                else a_rho_q <= a_rho_q + 4'd1;
              end else begin
                a_t_q <= a_t_q + 8'd1;
              end
            end else begin
              a_c_q <= a_c_q + 6'd1;
            end
          end
          // side
          s_re_q <= s_issue;
          s_ra_q <= s_addr;
          s_g1_q <= s_chunk[1:0];
          s_p1_q <= tab_sc_q[s_t_q];
          s_v_q  <= s_re_q;
          s_g_q  <= s_g1_q;
          s_p_q  <= s_p1_q;
          s_cnt_q <= s_cnt_q + 3'(s_issue) - 3'(s_pop);
          if (s_issue) begin
            if (s_u_q == s_am1) begin
              s_u_q <= '0;
              if (s_t_q == p_tm1) begin
                s_t_q <= '0;
                if (s_rho_q == pr_m1) s_done_q <= 1'b1;
                else s_rho_q <= s_rho_q + 4'd1;
              end else begin
                s_t_q <= s_t_q + 8'd1;
              end
            end else begin
              s_u_q <= s_u_q + 2'd1;
            end
          end
          // end of the pass
          if (axi_err) begin
            state_q <= SFin;
            err_q   <= ErrAxi;
          end else if (cl_bad) begin
            state_q <= SFin;
            err_q   <= ErrImage;
          end else if (cl_done_valid) begin
            state_q <= SFin;
            err_q   <= ErrOk;
          end
        end
        SFin: begin
          state_q <= SIdle;
          err_q   <= ErrOk;
          lin_q   <= 1'b0;
          f_act_q <= '0;
          f_hv_q  <= '0;
          a_v_q   <= 1'b0;
          s_v_q   <= 1'b0;
          a_re_q  <= 1'b0;
          s_re_q  <= 1'b0;
          if (err_q != ErrOk) clr_q <= 1'b1;
        end
        default: state_q <= SIdle;
      endcase
    end
  end

  assign busy_o     = (state_q != SIdle);
  assign done_o     = (state_q == SFin) && lin_q;
  assign err_o      = done_o ? err_q : '0;
  assign ps_done_o  = (state_q == SFin) && !lin_q;
  assign ps_err_o   = ps_done_o ? err_q : '0;
  assign ps_ready_o = (state_q == SIdle) && !go_i && ps_valid_i;

  logic unused;
  assign unused = ^{rd_first_i, af_in_ready, sf_in_ready, w0[7:0]};

endmodule
