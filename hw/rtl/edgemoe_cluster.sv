// Linear cluster (docs/architecture.md, "Linear cluster"): Units linear_unit
// instances in lock step. A pass (K, N, T, mode, has_bias) is split into S =
// ceil(N/16) slabs of 16 output rows; slab j goes to unit j mod Units, so one
// round rho computes slabs Units*rho .. Units*rho + A_rho - 1 (A_rho =
// min(Units, S - Units*rho) active units) over all T tokens. All active units
// take the same act beat; units without a slab in a round see valid low.
// Bit-exact to edgemoe.golden.linear / patch_embed and to the ISS's LINEAR
// (every mode, embed included), per-record bias exponents as the ISS reads them.
//
// ---------------------------------------------------------------- streams
// All valid/ready, each input behind a 2-entry skid buffer (stream_skid: ready from
// registers only, the head entry in a register; each w stream's inside its slab parser,
// which checks a header beat as it enters the head), the output behind one.
// cmd  (in) one beat per pass, cmd_data_i: [2:0] mode (0 plain, 1 gelu, 2 q,
//      3 resid, 4 scaled, 5 embed), [3] has_bias, [13:4] K - 1, [23:14] N - 1,
//      [31:24] T - 1 (K, N in 1..768, T in 1..129: the LINEAR descriptor's).
// w    (in, one stream per unit: w_valid_i[u], w_ready_o[u], w_data_i[u])
//      256-bit beats: unit u's slab records of the pass (slabs u, u + Units, ...,
//      each as it lies in the weight image), 32 bytes per beat, byte i at
//      [8i +: 8] (edgemoe_slab_parser.sv, one parser per unit). The weight DMA
//      reads the records of a round in parallel, one per HP port (record j at
//      WBASE + offset + j x (64 + 16 Kt 32)), pairing two 128-bit AXI beats
//      into one w beat; so the four units load at once, as the perf model has it.
// act  (in) act_data_i: 16 act codes, lane i = x[t, 16c + i] at [26i +: 26];
//      order: for round rho, for token t < T, for chunk c < Kt (the token rows
//      once per round: ceil(S/Units) T Kt beats). Lanes beyond K: any value.
// side (in, modes resid, scaled, embed) side_data_i: the linear unit's side
//      beat (linear_unit.sv) of slab j = Units*rho + u, token t; order: for
//      round rho, for token t, for active unit u (S T beats per pass).
// out  (out) out_data_o: the unit's output beat (16 lanes of 28 bits) of slab
//      out_slab_o, token out_tok_o: rows 16 out_slab_o .. + 15 of token
//      out_tok_o; order: for round rho, for token t, for active unit u (S T
//      beats), from one 4-entry FIFO per unit merged onto this one port.
// done (out) one beat per pass after its last out beat has been taken.
// cmd_taken_o: one cycle when the parsers take a cmd out of the skid (all idle): the
//      pass whose records they parse from then on, so a user with a second cmd queued
//      can tell whose record raised bad_image_o.
// bad_image_o: a slab record's magic, K - 1 or valid rows - 1 is not the
//      command's (docs "Field rules", BAD_IMAGE); sticky; the cluster then
//      consumes no further weight beats or commands and needs rst_ni (the top
//      ends the run with BAD_IMAGE at the command's index and resets the cluster).
//
// ---------------------------------------------------------------- cycles
// Every input valid, out and done ready, Kt >= A_rho (the merge port keeps up),
// cycle 0 = the (first) cmd handshake at the port. Rounds rho and each unit's
// records numbered across passes; H = the cycle a record's beat 0 leaves its
// unit's w skid buffer; C = the cycle the parsers take a pass's cmd (C = 1 for
// the first pass: the cmd skid; a queued cmd: C = max_u E_u + 1, all parsers idle):
//   H_(rho,u)  = E_u + 1 of unit u's previous record (its first record of a pass: C + 1)
//   WS_(rho,u) = max(H + 2, CE_{rho-2} + 1)  first w beat (beat 1 and the unit's cfg at
//                                            H + 1; then the unit's bank must be free)
//   E_(rho,u)  = WS + R Kt - 1               last w beat
//   CS_rho = max(max_u E_(rho,u) + 1, CE_{rho-1} + 1, CE_{rho-2} + MacLat + 1)
//            (mode embed: max_u E_(rho,u) + 3, the units prefetch their side beats)
//   CE_rho = CS_rho + T Kt - 1               act beats of round rho
//   (act beats counted where they leave the act skid buffer, all active units at once)
//   last out beat of a pass = CE_last + Lat + A_last + 1 (Lat, MacLat: linear_unit.sv;
//                             A_last beats merged one per cycle, then the out skid)
//   done = last out + 1
// Closed form, one isolated pass whose loads hide under the compute (2 + 16 Kt
// <= T Kt, i.e. T >= 17 for Kt >= 2): with L_0 = max over round 0's records of
// (2 + R Kt),
//   cycles (cmd .. last out, inclusive) = L_0 + P T Kt + Lat + A_last + 3,
//   P = ceil(S/Units) rounds; the units issue an act beat every cycle from the
//   first to the last (proj K = N = 192 at T = 70: 2,748 cycles, measured by
//   sim/tb/test_edgemoe_cluster.py's compute_bound case).
// sim/tb/test_edgemoe_cluster.py checks the recurrence handshake by handshake.
// Against edgemoe.perf_model's _Cluster (the same recurrence for the whole
// cluster): there a round loads in max(R Kt, bytes / DDR bytes per cycle); here
// each unit's record takes 2 + R Kt cycles of its own stream (the two header
// beats), and the DDR rate is the DMA's to deliver (four ports at 16 B/cycle
// each feed the four streams at 64 B/cycle, above the model's 54.4 sustained).
// So the module equals the model where the DDR binds (expert passes) and is
// 2 cycles slower per exposed round load otherwise, plus the cmd skid (1 cycle
// before the first load) and A_last + 1 cycles of output merge and skid at the
// end of a pass (the model's end is CE + Lat).
//
// Parameters: Units >= 1; TileIn = TileOut = 16 (the record format); MaxT.
module edgemoe_cluster
  import edgemoe_pkg::*;
#(
  parameter int unsigned Units   = LinUnits,
  parameter int unsigned TileIn  = LinTileIn,
  parameter int unsigned TileOut = LinTileOut,
  parameter int unsigned MaxT    = NumTokens,
  parameter int unsigned SW      = 6,     // slab index bits (S <= 48)
  parameter int unsigned TW      = 8      // token index bits (T <= 129)
) (
  input  logic                                clk_i,
  input  logic                                rst_ni,
  input  logic                                cmd_valid_i,
  output logic                                cmd_ready_o,
  input  logic [31:0]                         cmd_data_i,
  output logic                                cmd_taken_o,   // one cycle: the parsers took a cmd (from the skid)
  input  logic [Units-1:0]                    w_valid_i,
  output logic [Units-1:0]                    w_ready_o,
  input  logic [Units-1:0][255:0]             w_data_i,
  input  logic                                act_valid_i,
  output logic                                act_ready_o,
  input  logic [TileIn*ActBits-1:0]           act_data_i,
  input  logic                                side_valid_i,
  output logic                                side_ready_o,
  input  logic [TileOut*MoeAccBits+PBits-1:0] side_data_i,
  output logic                                out_valid_o,
  input  logic                                out_ready_i,
  output logic [TileOut*MoeAccBits-1:0]       out_data_o,
  output logic [SW-1:0]                       out_slab_o,
  output logic [TW-1:0]                       out_tok_o,
  output logic                                done_valid_o,
  input  logic                                done_ready_i,
  output logic                                bad_image_o
);

  localparam int unsigned KW     = 10;
  localparam int unsigned NW     = 10;
  localparam int unsigned ChunkW = 6;
  localparam int unsigned UW     = (Units > 1) ? $clog2(Units) : 1;
  localparam int unsigned UKW    = $clog2(MlpHidden);    // the unit's CfgKW (MaxK 768)
  localparam int unsigned UTW    = $clog2(MaxT);         // the unit's CfgTW
  localparam int unsigned UCfgW  = 4 + BExpBits + UKW + 4 + UTW;
  localparam int unsigned RqW    = 2 + UW + TW + ChunkW + SW;
  localparam int unsigned ActW   = TileIn * ActBits;
  localparam int unsigned SideW  = TileOut * MoeAccBits + PBits;
  localparam int unsigned OutW   = TileOut * MoeAccBits;
  localparam int unsigned WW     = TileIn * WBits + WExpBits;

  if (UKW != KW || UTW != TW) begin : g_width_check
    $error("edgemoe_cluster: the unit's K/T cfg widths must equal the command's (10, 8)");
  end

  // ---------------------------------------------------------------- input skid buffers
  logic             cs_valid, cs_ready;
  logic [31:0]      cs_data;
  logic             as_valid, as_ready;
  logic [ActW-1:0]  as_data;
  logic             ss_valid, ss_ready;
  logic [SideW-1:0] ss_data;

  stream_skid #(.Width(32)) u_cmd_skid (
    .clk_i, .rst_ni, .in_valid_i(cmd_valid_i), .in_ready_o(cmd_ready_o), .in_data_i(cmd_data_i),
    .out_valid_o(cs_valid), .out_ready_i(cs_ready), .out_data_o(cs_data));
  stream_skid #(.Width(ActW)) u_act_skid (
    .clk_i, .rst_ni, .in_valid_i(act_valid_i), .in_ready_o(act_ready_o), .in_data_i(act_data_i),
    .out_valid_o(as_valid), .out_ready_i(as_ready), .out_data_o(as_data));
  stream_skid #(.Width(SideW)) u_side_skid (
    .clk_i, .rst_ni, .in_valid_i(side_valid_i), .in_ready_o(side_ready_o), .in_data_i(side_data_i),
    .out_valid_o(ss_valid), .out_ready_i(ss_ready), .out_data_o(ss_data));

  // ---------------------------------------------------------------- slab parsers (one per unit)
  logic [Units-1:0] u_cfg_valid, u_cfg_ready, u_w_valid, u_w_ready, u_b_valid, u_b_ready;
  logic [Units-1:0][UCfgW-1:0]         u_cfg_data;
  logic [Units-1:0][WW-1:0]            u_w_data;
  logic [Units-1:0][TileOut*BBits-1:0] u_b_data;
  logic [Units-1:0] p_cmd_ready, p_cmd_valid, p_rq_valid, p_bad;
  logic [Units-1:0][RqW-1:0] p_rq_data;
  logic             rq_valid, rq_ready;
  logic [RqW-1:0]   rq_data;

  // every parser takes the same cmd in the same cycle (when all are idle)
  assign cs_ready = &p_cmd_ready;
  assign cmd_taken_o = cs_valid && cs_ready;
  for (genvar u = 0; u < Units; u++) begin : g_parser
    assign p_cmd_valid[u] = cs_valid && &(p_cmd_ready | (Units'(1) << u));
    edgemoe_slab_parser #(
      .Units (Units), .UnitIdx (u), .TileIn (TileIn), .TileOut (TileOut), .KW (KW), .NW (NW),
      .TW (TW), .ChunkW (ChunkW), .SW (SW), .UW (UW), .UCfgW (UCfgW), .RqW (RqW)
    ) u_parser (
      .clk_i, .rst_ni,
      .cmd_valid_i   (p_cmd_valid[u]),
      .cmd_ready_o   (p_cmd_ready[u]),
      .cmd_data_i    (cs_data),
      .w_valid_i     (w_valid_i[u]),
      .w_ready_o     (w_ready_o[u]),
      .w_data_i      (w_data_i[u]),
      .u_cfg_valid_o (u_cfg_valid[u]),
      .u_cfg_ready_i (u_cfg_ready[u]),
      .u_cfg_data_o  (u_cfg_data[u]),
      .u_w_valid_o   (u_w_valid[u]),
      .u_w_ready_i   (u_w_ready[u]),
      .u_w_data_o    (u_w_data[u]),
      .u_b_valid_o   (u_b_valid[u]),
      .u_b_ready_i   (u_b_ready[u]),
      .u_b_data_o    (u_b_data[u]),
      .rq_valid_o    (p_rq_valid[u]),
      .rq_ready_i    (rq_ready),
      .rq_data_o     (p_rq_data[u]),
      .bad_image_o   (p_bad[u])
    );
  end
  // unit 0 has a slab in every round: its parser announces the rounds
  assign rq_valid    = p_rq_valid[0];
  assign rq_data     = p_rq_data[0];
  assign bad_image_o = |p_bad;

  // ---------------------------------------------------------------- round queues
  // One copy of each round's announcement per sequencer (act fork, side demux,
  // output merge); the parser runs at most about two rounds ahead of the act fork.
  logic [2:0]          rqx_in_ready, rqx_valid, rqx_pop;
  logic [2:0][RqW-1:0] rqx_data;
  assign rq_ready = &rqx_in_ready;
  for (genvar i = 0; i < 3; i++) begin : g_rq
    stream_fifo #(.Width(RqW), .Depth(4)) u_rq (
      .clk_i, .rst_ni, .in_valid_i(rq_valid && rq_ready), .in_ready_o(rqx_in_ready[i]),
      .in_data_i(rq_data), .out_valid_o(rqx_valid[i]), .out_ready_i(rqx_pop[i]),
      .out_data_o(rqx_data[i]));
  end

  // fields of a round entry: {slab0, kt_m1, t_m1, act_m1, side, last}
  typedef struct packed {
    logic [SW-1:0]     slab0;
    logic [ChunkW-1:0] kt_m1;
    logic [TW-1:0]     t_m1;
    logic [UW-1:0]     act_m1;
    logic              side;
    logic              last;
  } round_t;
  // Each sequencer works on its current round in registers (ra/rs/ro, valid rv_q[i]), loaded
  // from its queue's head when it has none or finishes one (rqx_pop): the round's compares
  // (last token, chunk, unit) read registers, not the queue's LUTRAM (300 MHz). A round is
  // announced at least 3 cycles before its first act beat can move (the record's beat 0, then
  // beat 1 and R Kt w beats), so the load adds no cycle.
  round_t        ra, rs, ro;
  logic [2:0]    rv_q, r_done;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rv_q <= '0;
      ra   <= '0;
      rs   <= '0;
      ro   <= '0;
    end else begin
      for (int i = 0; i < 3; i++) begin
        if (rqx_pop[i]) rv_q[i] <= 1'b1;
        else if (r_done[i]) rv_q[i] <= 1'b0;
      end
      if (rqx_pop[0]) ra <= round_t'(rqx_data[0]);
      if (rqx_pop[1]) rs <= round_t'(rqx_data[1]);
      if (rqx_pop[2]) ro <= round_t'(rqx_data[2]);
    end
  end
  for (genvar i = 0; i < 3; i++) begin : g_rload
    assign rqx_pop[i] = rqx_valid[i] && (!rv_q[i] || r_done[i]);
  end

  // ---------------------------------------------------------------- act fork (lock step)
  logic [Units-1:0] a_active, u_act_valid, u_act_ready, a_ok;
  logic             a_all, a_fire, a_round_last;
  logic [TW-1:0]    a_tok_q;
  logic [ChunkW-1:0] a_chunk_q;
  for (genvar u = 0; u < Units; u++) begin : g_act
    if (u == 0) begin : g_first
      assign a_active[u] = rv_q[0];   // every round has unit 0
    end else begin : g_other
      assign a_active[u] = rv_q[0] && (UW'(u) <= ra.act_m1);
    end
    assign a_ok[u] = !a_active[u] || u_act_ready[u];
  end
  assign a_all = &a_ok;
  for (genvar u = 0; u < Units; u++) begin : g_act_v
    logic others;
    // the beat moves into every active unit at once: each sees valid only when the others are ready
    assign others         = &(a_ok | (Units'(1) << u));
    assign u_act_valid[u] = as_valid && a_active[u] && others;
  end
  assign as_ready     = rv_q[0] && a_all;
  assign a_fire       = as_valid && as_ready;
  assign a_round_last = (a_tok_q == ra.t_m1) && (a_chunk_q == ra.kt_m1);
  assign r_done[0]    = a_fire && a_round_last;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      a_tok_q   <= '0;
      a_chunk_q <= '0;
    end else if (a_fire) begin
      if (a_chunk_q == ra.kt_m1) begin
        a_chunk_q <= '0;
        a_tok_q   <= a_round_last ? '0 : a_tok_q + TW'(1);
      end else begin
        a_chunk_q <= a_chunk_q + ChunkW'(1);
      end
    end
  end

  // ---------------------------------------------------------------- side demux
  logic [Units-1:0] sf_in_valid, sf_in_ready, u_side_valid, u_side_ready;
  logic [Units-1:0][SideW-1:0] u_side_data;
  logic [UW-1:0]    s_unit_q;
  logic [TW-1:0]    s_tok_q;
  logic             s_fire, s_last;
  assign s_last = (s_tok_q == rs.t_m1) && (s_unit_q == rs.act_m1);
  for (genvar u = 0; u < Units; u++) begin : g_side
    assign sf_in_valid[u] = ss_valid && rv_q[1] && rs.side && (s_unit_q == UW'(u));
  end
  assign ss_ready   = rv_q[1] && rs.side && sf_in_ready[s_unit_q];
  assign s_fire     = ss_valid && ss_ready;
  // rounds without a side stream leave the queue at once
  assign r_done[1]  = rv_q[1] && (!rs.side || (s_fire && s_last));

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      s_unit_q <= '0;
      s_tok_q  <= '0;
    end else if (s_fire) begin
      if (s_unit_q == rs.act_m1) begin
        s_unit_q <= '0;
        s_tok_q  <= s_last ? '0 : s_tok_q + TW'(1);
      end else begin
        s_unit_q <= s_unit_q + UW'(1);
      end
    end
  end

  // ---------------------------------------------------------------- units
  logic [Units-1:0]           u_out_valid, u_out_ready, of_valid, of_ready;
  logic [Units-1:0][OutW-1:0] u_out_data, of_data;

  for (genvar u = 0; u < Units; u++) begin : g_unit
    stream_fifo #(.Width(SideW), .Depth(2)) u_side_fifo (
      .clk_i, .rst_ni, .in_valid_i(sf_in_valid[u]), .in_ready_o(sf_in_ready[u]), .in_data_i(ss_data),
      .out_valid_o(u_side_valid[u]), .out_ready_i(u_side_ready[u]), .out_data_o(u_side_data[u]));

    linear_unit #(
      .TileIn  (TileIn),
      .TileOut (TileOut),
      .MaxK    (MlpHidden),
      .MaxN    (TileOut),
      .MaxT    (MaxT)
    ) u_lin (
      .clk_i        (clk_i),
      .rst_ni       (rst_ni),
      .cfg_valid_i  (u_cfg_valid[u]),
      .cfg_ready_o  (u_cfg_ready[u]),
      .cfg_data_i   (u_cfg_data[u]),
      .w_valid_i    (u_w_valid[u]),
      .w_ready_o    (u_w_ready[u]),
      .w_data_i     (u_w_data[u]),
      .b_valid_i    (u_b_valid[u]),
      .b_ready_o    (u_b_ready[u]),
      .b_data_i     (u_b_data[u]),
      .act_valid_i  (u_act_valid[u]),
      .act_ready_o  (u_act_ready[u]),
      .act_data_i   (as_data),
      .side_valid_i (u_side_valid[u]),
      .side_ready_o (u_side_ready[u]),
      .side_data_i  (u_side_data[u]),
      .out_valid_o  (u_out_valid[u]),
      .out_ready_i  (u_out_ready[u]),
      .out_data_o   (u_out_data[u])
    );

    stream_fifo #(.Width(OutW), .Depth(4)) u_out_fifo (
      .clk_i, .rst_ni, .in_valid_i(u_out_valid[u]), .in_ready_o(u_out_ready[u]),
      .in_data_i(u_out_data[u]), .out_valid_o(of_valid[u]), .out_ready_i(of_ready[u]),
      .out_data_o(of_data[u]));
  end

  // ---------------------------------------------------------------- output merge
  localparam int unsigned OsW = 1 + SW + TW + OutW;
  logic            os_in_valid, os_in_ready, os_valid, os_ready;
  logic [OsW-1:0]  os_out;
  logic [UW-1:0]   m_unit_q;
  logic [TW-1:0]   m_tok_q;
  logic            m_fire, m_last;
  assign m_last      = (m_tok_q == ro.t_m1) && (m_unit_q == ro.act_m1);
  assign os_in_valid = rv_q[2] && of_valid[m_unit_q];
  assign m_fire      = os_in_valid && os_in_ready;
  for (genvar u = 0; u < Units; u++) begin : g_merge
    assign of_ready[u] = m_fire && (m_unit_q == UW'(u));
  end
  assign r_done[2]  = m_fire && m_last;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      m_unit_q <= '0;
      m_tok_q  <= '0;
    end else if (m_fire) begin
      if (m_unit_q == ro.act_m1) begin
        m_unit_q <= '0;
        m_tok_q  <= m_last ? '0 : m_tok_q + TW'(1);
      end else begin
        m_unit_q <= m_unit_q + UW'(1);
      end
    end
  end

  stream_skid #(.Width(OsW)) u_out_skid (
    .clk_i, .rst_ni, .in_valid_i(os_in_valid), .in_ready_o(os_in_ready),
    .in_data_i({ro.last && m_last, ro.slab0 + SW'(m_unit_q), m_tok_q, of_data[m_unit_q]}),
    .out_valid_o(os_valid), .out_ready_i(os_ready), .out_data_o(os_out));

  // ---------------------------------------------------------------- out port and done
  logic os_last, dn_in_ready, dn_out;
  assign os_last     = os_out[OsW-1];
  assign out_valid_o = os_valid && (!os_last || dn_in_ready);
  assign os_ready    = out_ready_i && (!os_last || dn_in_ready);
  assign out_slab_o  = os_out[TW + OutW +: SW];
  assign out_tok_o   = os_out[OutW +: TW];
  assign out_data_o  = os_out[OutW-1:0];

  stream_fifo #(.Width(1), .Depth(2)) u_done (
    .clk_i, .rst_ni, .in_valid_i(os_valid && os_ready && os_last), .in_ready_o(dn_in_ready),
    .in_data_i(1'b1), .out_valid_o(done_valid_o), .out_ready_i(done_ready_i), .out_data_o(dn_out));

  // each sequencer reads only its fields of the round entry
  logic unused;
  assign unused = ^{dn_out, p_rq_valid, p_rq_data, ra.slab0, ra.side, ra.last, ra.act_m1, rs.slab0, rs.kt_m1, rs.last, ro.kt_m1,
                    ro.side};

endmodule
