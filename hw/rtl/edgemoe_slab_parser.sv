// Slab-record parser of one linear unit of the cluster (edgemoe_cluster.sv, one
// instance per unit): turns one pass command and the unit's weight stream (its
// slab records, docs/architecture.md "Weight image") into the unit's cfg, b and
// w beats; instance 0 (whose unit has a slab in every round) also announces
// every round of lock-step slabs to the cluster's act, side and output
// sequencers.
//
// Stream cmd (in, one beat per pass), cmd_data_i LSB first:
//   [2:0] mode (the descriptor's: 0 plain, 1 gelu, 2 q, 3 resid, 4 scaled, 5 embed),
//   [3] has_bias, [13:4] K - 1, [23:14] N - 1, [31:24] T - 1.
//   Taken when the parser is idle: after the last weight beat of the previous
//   pass (so the next pass's first records load while the last round computes).
// Stream w (in, behind this module's own 2-entry skid buffer: ready from registers, the
//   head beat in a register with its header check): 32-byte beats of this unit's slab records of the pass: slabs
//   j = UnitIdx, UnitIdx + Units, ... < S = ceil(N/16), in that order (each
//   byte i of a beat at [8i +: 8] (little endian, the image's byte order). A
//   record as it lies in the image), byte i of a beat at [8i +: 8]. A
//   record is 2 header beats, then R x Kt row-chunk beats (R valid rows, Kt =
//   ceil(K/16)): beat 0 = bias mantissas (int16, row r at [16r +: 16]); beat 1 =
//   bytes 32..63: row exponent nibbles [63:0], bias exponent [67:64], valid
//   rows - 1 [79:72], K - 1 [95:80], magic 0x424C5357 [127:96].
//   A unit without a slab in the pass (UnitIdx >= S) takes the cmd and no beat.
// Slabs j = Units*rho .. Units*rho + A_rho - 1 form round rho (A_rho =
//   min(Units, S - Units*rho)).
// Checks (beat 1 of every record): magic, K - 1 = the command's, valid rows - 1
//   = 15 (or (N - 1) mod 16 in the pass's last record). A mismatch raises
//   bad_image_o (sticky until reset) and the parser stops: the offending beat
//   and everything after it stay unconsumed, no further cmd is taken.
// Per record, to the unit: one cfg beat in beat 1's cycle (a one-slab pass: mode,
//   has_bias, the record's bias exponent, K - 1, rows - 1, T - 1; the unit must
//   be idle: its previous slab loaded), then the w beats (the 16 lanes and the
//   row's exponent nibble at [259:256]) and, with has_bias, the b beat (beat 0).
//   The unit's w_ready stays low until its ping-pong bank is free, which is what
//   holds the stream while the previous round computes.
// Round stream rq (out, one beat per round, pushed with beat 0 of the round's
//   first record): [0] last round of the pass, [1] side stream used (resid,
//   scaled, embed), [2 +: UW] A_rho - 1, then T - 1 (TW), Kt - 1 (ChunkW) and
//   the round's first slab index (SW).
// Timing (everything valid and ready): record g takes 2 + R Kt cycles (beat 0,
//   beat 1 with the unit's cfg, then R Kt w beats, the first one the cycle after
//   the cfg once the unit's bank is free); a pass's first beat 0 is taken the
//   cycle after its cmd.
module edgemoe_slab_parser
  import edgemoe_pkg::*;
#(
  parameter int unsigned Units   = LinUnits,
  parameter int unsigned UnitIdx = 0,
  parameter int unsigned TileIn  = LinTileIn,
  parameter int unsigned TileOut = LinTileOut,
  parameter int unsigned KW      = 10,
  parameter int unsigned NW      = 10,
  parameter int unsigned TW      = 8,
  parameter int unsigned ChunkW  = 6,
  parameter int unsigned SW      = 6,
  parameter int unsigned UW      = (Units > 1) ? $clog2(Units) : 1,
  parameter int unsigned UCfgW   = 4 + BExpBits + KW + 4 + TW,   // the unit's cfg (MaxN = 16)
  parameter int unsigned RqW     = 2 + UW + TW + ChunkW + SW
) (
  input  logic                              clk_i,
  input  logic                              rst_ni,
  input  logic                              cmd_valid_i,
  output logic                              cmd_ready_o,
  input  logic [31:0]                       cmd_data_i,
  input  logic                              w_valid_i,
  output logic                              w_ready_o,
  input  logic [255:0]                      w_data_i,
  output logic                              u_cfg_valid_o,
  input  logic                              u_cfg_ready_i,
  output logic [UCfgW-1:0]                  u_cfg_data_o,
  output logic                              u_w_valid_o,
  input  logic                              u_w_ready_i,
  output logic [TileIn*WBits+WExpBits-1:0]  u_w_data_o,
  output logic                              u_b_valid_o,
  input  logic                              u_b_ready_i,
  output logic [TileOut*BBits-1:0]          u_b_data_o,
  output logic                              rq_valid_o,
  input  logic                              rq_ready_i,
  output logic [RqW-1:0]                    rq_data_o,
  output logic                              bad_image_o
);

  localparam logic [2:0]  ModeResid = 3'd3, ModeScaled = 3'd4, ModeEmbed = 3'd5;
  localparam bit          Announce = (UnitIdx == 0);

  // The record format fixes 16 rows and 16 int16 lanes per 32-byte beat.
  if (TileIn != 16 || TileOut != 16 || WBits != 16 || BBits != 16) begin : g_format_check
    $error("edgemoe_slab_parser: the slab record format needs TileIn = TileOut = 16 and 16-bit w, b");
  end

  // StBias: the record's w beats are all out but its bias beat is not (the unit takes b with its
  // first w beat, so this state is never entered with linear_unit; it keeps u_w_valid_o free of
  // u_b_ready_i: valid never follows a ready, and no ready -> valid -> commit path into the unit)
  typedef enum logic [1:0] {StHdr0, StHdr1, StRows, StBias} state_e;

  state_e               state_q;
  logic                 busy_q, err_q;
  logic [2:0]           mode_q;
  logic                 bias_q;
  logic [KW-1:0]        k_m1_q;
  logic [NW-1:0]        n_m1_q;
  logic [TW-1:0]        t_m1_q;
  logic [SW:0]          slab_q;      // this record's slab index j
  logic [TileOut*BBits-1:0] bias_hdr_q;
  logic [63:0]          exps_q;
  logic [3:0]           row_q;
  logic [ChunkW-1:0]    chunk_q;
  logic                 bdone_q;
  // registered with slab_q (300 MHz: no slab compare in series with the header check)
  logic                 pass_last_q, own_last_q;

  logic [SW:0]       n_slabs, cmd_slabs;
  logic [ChunkW-1:0] kt_m1;
  logic              pass_last, own_last;
  logic [3:0]        rows_m1;
  assign n_slabs   = (SW+1)'(n_m1_q >> 4) + (SW+1)'(1);
  assign cmd_slabs = (SW+1)'(cmd_data_i[14 +: NW] >> 4) + (SW+1)'(1);
  assign kt_m1     = ChunkW'(k_m1_q >> 4);
  assign pass_last = pass_last_q;   // the pass's last (maybe short) slab
  assign own_last  = own_last_q;    // this unit's last slab of the pass
  assign rows_m1   = pass_last ? n_m1_q[3:0] : 4'd15;
  // the same two for the next record of this unit (slab_q + Units)
  logic [SW:0] slab_next;
  logic        pass_last_next, own_last_next;
  assign slab_next      = slab_q + (SW+1)'(Units);
  assign pass_last_next = (slab_next == n_slabs - (SW+1)'(1));
  assign own_last_next  = (slab_next + (SW+1)'(Units) >= n_slabs);

  // ---------------------------------------------------------------- weight skid buffer
  // The unit's 2-entry w skid buffer (as stream_skid: ready from registers, the head entry in a
  // register), here so that the header check of the head (hdr_ok_q) is computed as it loads.
  localparam logic [31:0] Magic = 32'h424C_5357;
  logic [255:0] wd, spare_q;             // the head beat (wd), the beat behind it
  logic         wv, spare_v_q, hdr_ok_q;
  logic         w_push, w_pop;
  function automatic logic beat1_ok(logic [127:72] d, logic [KW-1:0] k_m1, logic [3:0] r_m1);
    return (d[127:96] == Magic) && (d[95:80] == 16'(k_m1)) && (d[79:72] == 8'(r_m1));
  endfunction
  assign w_ready_o = !spare_v_q;
  assign w_push    = w_valid_i && !spare_v_q;
  assign w_pop     = wv && w_take;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wv        <= 1'b0;
      spare_v_q <= 1'b0;
    end else if (spare_v_q) begin
      if (w_pop) spare_v_q <= 1'b0;
    end else if (wv) begin
      if (w_push && !w_pop) spare_v_q <= 1'b1;
      if (w_pop && !w_push) wv <= 1'b0;
    end else if (w_push) begin
      wv <= 1'b1;
    end
  end
  always_ff @(posedge clk_i) begin
    if (spare_v_q) begin
      if (w_pop) begin
        wd       <= spare_q;
        hdr_ok_q <= beat1_ok(spare_q[127:72], k_m1_q, rows_m1);
      end
    end else if (w_push && (w_pop || !wv)) begin
      wd       <= w_data_i;
      hdr_ok_q <= beat1_ok(w_data_i[127:72], k_m1_q, rows_m1);
    end
    if (w_push && wv && !w_pop) spare_q <= w_data_i;
  end

  // ---------------------------------------------------------------- header checks (beat 1)
  // Beat 1's checks are made as a beat enters the head register (hdr_ok_q, below): k_m1_q and
  // rows_m1 are then those of its record (a beat 1 moves into the head with or after its beat 0
  // leaving it, so after its pass's cmd and its slab's update), and the head's checks are a flag.
  logic hdr_ok;
  assign hdr_ok = hdr_ok_q;

  // ---------------------------------------------------------------- handshakes
  logic rows_last, b_ok, w_take, rec_done;
  logic hdr0_fire, hdr1_fire, row_fire, b_fire;
  assign rows_last = (row_q == rows_m1) && (chunk_q == kt_m1);
  assign b_fire    = u_b_valid_o && u_b_ready_i;
  // the record is done with its last w beat and its bias beat (taken with the first w beat in practice)
  assign b_ok      = !bias_q || bdone_q || b_fire;

  always_comb begin
    w_take = 1'b0;
    if (busy_q && !err_q) begin
      unique case (state_q)
        StHdr0:  w_take = !Announce || rq_ready_i;
        StHdr1:  w_take = hdr_ok && u_cfg_ready_i;
        StRows:  w_take = u_w_ready_i;
        default: w_take = 1'b0;
      endcase
    end
  end
  assign hdr0_fire = wv && w_take && (state_q == StHdr0);
  assign hdr1_fire = wv && w_take && (state_q == StHdr1);
  assign row_fire  = wv && w_take && (state_q == StRows);
  assign rec_done  = (row_fire && rows_last && b_ok) || ((state_q == StBias) && b_fire);

  assign cmd_ready_o = !busy_q && !err_q;
  assign bad_image_o = err_q;

  // ---------------------------------------------------------------- unit streams
  logic on;
  assign on            = busy_q && !err_q;
  assign u_cfg_data_o  = {t_m1_q, rows_m1, k_m1_q, wd[67:64], bias_q, mode_q};
  assign u_w_data_o    = {exps_q[4*row_q +: 4], wd[TileIn*WBits-1:0]};
  assign u_b_data_o    = bias_hdr_q;
  assign u_cfg_valid_o = on && (state_q == StHdr1) && wv && hdr_ok;
  assign u_w_valid_o   = on && (state_q == StRows) && wv;
  assign u_b_valid_o   = on && ((state_q == StRows) || (state_q == StBias)) && bias_q && !bdone_q;

  // ---------------------------------------------------------------- round announcements
  logic [SW:0]   slabs_left;
  logic [UW-1:0] act_m1;
  logic          side_used;
  assign slabs_left = n_slabs - slab_q;
  assign act_m1     = (slabs_left >= (SW+1)'(Units)) ? UW'(Units - 1) : UW'(slabs_left - (SW+1)'(1));
  assign side_used  = (mode_q == ModeResid) || (mode_q == ModeScaled) || (mode_q == ModeEmbed);
  assign rq_valid_o = Announce && on && (state_q == StHdr0) && wv;
  assign rq_data_o  = {SW'(slab_q), kt_m1, t_m1_q, act_m1, side_used, own_last};

  // ---------------------------------------------------------------- state
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q  <= StHdr0;
      busy_q   <= 1'b0;
      err_q    <= 1'b0;
      mode_q   <= '0;
      bias_q   <= 1'b0;
      k_m1_q   <= '0;
      n_m1_q   <= '0;
      t_m1_q   <= '0;
      slab_q   <= '0;
      pass_last_q <= 1'b0;
      own_last_q  <= 1'b0;
      exps_q   <= '0;
      row_q    <= '0;
      chunk_q  <= '0;
      bdone_q  <= 1'b0;
    end else begin
      if (cmd_valid_i && cmd_ready_o) begin
        // a unit without a slab in this pass takes the cmd and stays idle
        busy_q   <= ((SW+1)'(UnitIdx) < cmd_slabs);
        mode_q   <= cmd_data_i[2:0];
        bias_q   <= cmd_data_i[3];
        k_m1_q   <= cmd_data_i[4 +: KW];
        n_m1_q   <= cmd_data_i[14 +: NW];
        t_m1_q   <= cmd_data_i[24 +: TW];
        slab_q   <= (SW+1)'(UnitIdx);
        pass_last_q <= ((SW+1)'(UnitIdx) == cmd_slabs - (SW+1)'(1));
        own_last_q  <= ((SW+1)'(UnitIdx + Units) >= cmd_slabs);
        state_q  <= StHdr0;
      end
      if (on && wv && (state_q == StHdr1) && !hdr_ok) begin
        err_q <= 1'b1;
      end
      if (hdr0_fire) state_q <= StHdr1;
      if (hdr1_fire) begin
        exps_q  <= wd[63:0];
        row_q   <= '0;
        chunk_q <= '0;
        bdone_q <= 1'b0;
        state_q <= StRows;
      end
      if (b_fire) bdone_q <= 1'b1;
      if (row_fire) begin
        if (chunk_q == kt_m1) begin
          chunk_q <= '0;
          row_q   <= row_q + 4'd1;
        end else begin
          chunk_q <= chunk_q + ChunkW'(1);
        end
        if (rows_last && !b_ok) state_q <= StBias;
      end
      if (rec_done) begin
        state_q <= StHdr0;
        slab_q  <= slab_next;
        pass_last_q <= pass_last_next;
        own_last_q  <= own_last_next;
        if (own_last) busy_q <= 1'b0;
      end
    end
  end

  // beat 0 (bias mantissas): no reset needed, bdone_q says when it is used
  always_ff @(posedge clk_i) begin
    if (hdr0_fire) bias_hdr_q <= wd[TileOut*BBits-1:0];
  end

endmodule
