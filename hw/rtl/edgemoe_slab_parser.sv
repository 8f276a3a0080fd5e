// Slab-record parser of the linear cluster (edgemoe_cluster.sv): turns one pass
// command and the weight stream of its slab records (docs/architecture.md,
// "Weight image") into each linear unit's cfg, b and w beats, and announces
// every round of lock-step slabs to the cluster's act, side and output
// sequencers.
//
// Stream cmd (in, one beat per pass), cmd_data_i LSB first:
//   [2:0] mode (the descriptor's: 0 plain, 1 gelu, 2 q, 3 resid, 4 scaled, 5 embed),
//   [3] has_bias, [13:4] K - 1, [23:14] N - 1, [31:24] T - 1.
//   Taken when the parser is idle: after the last weight beat of the previous
//   pass (so the next pass's first records load while the last round computes).
// Stream w (in): 32-byte beats of the pass's ceil(N/16) consecutive slab records,
//   byte i of a beat at [8i +: 8] (little endian, the image's byte order). A
//   record is 2 header beats, then R x Kt row-chunk beats (R valid rows, Kt =
//   ceil(K/16)): beat 0 = bias mantissas (int16, row r at [16r +: 16]); beat 1 =
//   bytes 32..63: row exponent nibbles [63:0], bias exponent [67:64], valid
//   rows - 1 [79:72], K - 1 [95:80], magic 0x424C5357 [127:96].
// Record g (slab g of the pass) goes to unit g mod Units; slabs g = Units*rho ..
//   Units*rho + A_rho - 1 form round rho (A_rho = min(Units, S - Units*rho)).
// Checks (beat 1 of every record): magic, K - 1 = the command's, valid rows - 1
//   = 15 (or (N - 1) mod 16 in the pass's last record). A mismatch raises
//   bad_image_o (sticky until reset) and the parser stops: the offending beat
//   and everything after it stay unconsumed, no further cmd is taken.
// Per record, to unit u: one cfg beat in beat 1's cycle (a one-slab pass: mode,
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
  output logic [Units-1:0]                  u_cfg_valid_o,
  input  logic [Units-1:0]                  u_cfg_ready_i,
  output logic [UCfgW-1:0]                  u_cfg_data_o,
  output logic [Units-1:0]                  u_w_valid_o,
  input  logic [Units-1:0]                  u_w_ready_i,
  output logic [TileIn*WBits+WExpBits-1:0]  u_w_data_o,
  output logic [Units-1:0]                  u_b_valid_o,
  input  logic [Units-1:0]                  u_b_ready_i,
  output logic [TileOut*BBits-1:0]          u_b_data_o,
  output logic                              rq_valid_o,
  input  logic                              rq_ready_i,
  output logic [RqW-1:0]                    rq_data_o,
  output logic                              bad_image_o
);

  localparam logic [31:0] Magic = 32'h424C_5357;
  localparam logic [2:0]  ModeResid = 3'd3, ModeScaled = 3'd4, ModeEmbed = 3'd5;

  // The record format fixes 16 rows and 16 int16 lanes per 32-byte beat.
  if (TileIn != 16 || TileOut != 16 || WBits != 16 || BBits != 16) begin : g_format_check
    $error("edgemoe_slab_parser: the slab record format needs TileIn = TileOut = 16 and 16-bit w, b");
  end

  typedef enum logic [1:0] {StHdr0, StHdr1, StRows} state_e;

  state_e               state_q;
  logic                 busy_q, err_q;
  logic [2:0]           mode_q;
  logic                 bias_q;
  logic [KW-1:0]        k_m1_q;
  logic [TW-1:0]        t_m1_q;
  logic [NW:0]          n_left_q;    // rows of the pass from this record on
  logic [UW-1:0]        unit_q;
  logic [SW-1:0]        slab_q;
  logic [TileOut*BBits-1:0] bias_hdr_q;
  logic [63:0]          exps_q;
  logic [3:0]           row_q;
  logic [ChunkW-1:0]    chunk_q;
  logic                 bdone_q;

  logic [ChunkW-1:0] kt_m1;
  logic              last_rec;
  logic [3:0]        rows_m1;
  logic [NW:0]       slabs_left;   // records left in the pass, this one included
  assign kt_m1      = ChunkW'(k_m1_q >> 4);
  assign last_rec   = (n_left_q <= (NW+1)'(16));
  assign rows_m1    = last_rec ? 4'(n_left_q - (NW+1)'(1)) : 4'd15;
  assign slabs_left = (n_left_q + (NW+1)'(15)) >> 4;

  // ---------------------------------------------------------------- header checks (beat 1)
  logic hdr_ok;
  assign hdr_ok = (w_data_i[127:96] == Magic) && (w_data_i[95:80] == 16'(k_m1_q))
                  && (w_data_i[79:72] == 8'(rows_m1));

  // ---------------------------------------------------------------- handshakes
  logic u_cfg_rdy, u_w_rdy, u_b_rdy, rows_last, b_ok;
  logic hdr0_fire, hdr1_fire, row_fire, b_fire;
  assign u_cfg_rdy = u_cfg_ready_i[unit_q];
  assign u_w_rdy   = u_w_ready_i[unit_q];
  assign u_b_rdy   = u_b_ready_i[unit_q];
  assign rows_last = (row_q == rows_m1) && (chunk_q == kt_m1);
  assign b_fire    = (state_q == StRows) && bias_q && !bdone_q && u_b_rdy;
  // the record's last w beat also needs its bias beat (taken with the first w beat in practice)
  assign b_ok      = !bias_q || bdone_q || b_fire;

  logic w_take;
  always_comb begin
    w_take = 1'b0;
    if (busy_q && !err_q) begin
      unique case (state_q)
        StHdr0:  w_take = (unit_q != '0) || rq_ready_i;
        StHdr1:  w_take = hdr_ok && u_cfg_rdy;
        default: w_take = u_w_rdy && (!rows_last || b_ok);
      endcase
    end
  end
  assign w_ready_o = w_take;
  assign hdr0_fire = w_valid_i && w_take && (state_q == StHdr0);
  assign hdr1_fire = w_valid_i && w_take && (state_q == StHdr1);
  assign row_fire  = w_valid_i && w_take && (state_q == StRows);

  assign cmd_ready_o = !busy_q && !err_q;
  assign bad_image_o = err_q;

  // ---------------------------------------------------------------- unit streams
  logic [3:0] row_exp;
  assign row_exp = exps_q[4*row_q +: 4];
  assign u_cfg_data_o = {t_m1_q, rows_m1, k_m1_q, w_data_i[67:64], bias_q, mode_q};
  assign u_w_data_o   = {row_exp, w_data_i[TileIn*WBits-1:0]};
  assign u_b_data_o   = bias_hdr_q;
  for (genvar u = 0; u < Units; u++) begin : g_unit
    logic sel;
    assign sel              = busy_q && !err_q && (unit_q == UW'(u));
    assign u_cfg_valid_o[u] = sel && (state_q == StHdr1) && w_valid_i && hdr_ok;
    assign u_w_valid_o[u]   = sel && (state_q == StRows) && w_valid_i && (!rows_last || b_ok);
    assign u_b_valid_o[u]   = sel && (state_q == StRows) && bias_q && !bdone_q;
  end

  // ---------------------------------------------------------------- round announcements
  logic [UW-1:0] act_m1;
  logic          side_used;
  assign act_m1    = (slabs_left >= (NW+1)'(Units)) ? UW'(Units - 1) : UW'(slabs_left - (NW+1)'(1));
  assign side_used = (mode_q == ModeResid) || (mode_q == ModeScaled) || (mode_q == ModeEmbed);
  assign rq_valid_o = busy_q && !err_q && (state_q == StHdr0) && (unit_q == '0) && w_valid_i;
  assign rq_data_o  = {slab_q, kt_m1, t_m1_q, act_m1, side_used,
                       (n_left_q <= (NW+1)'(16 * Units))};

  // ---------------------------------------------------------------- state
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q  <= StHdr0;
      busy_q   <= 1'b0;
      err_q    <= 1'b0;
      mode_q   <= '0;
      bias_q   <= 1'b0;
      k_m1_q   <= '0;
      t_m1_q   <= '0;
      n_left_q <= '0;
      unit_q   <= '0;
      slab_q   <= '0;
      exps_q   <= '0;
      row_q    <= '0;
      chunk_q  <= '0;
      bdone_q  <= 1'b0;
    end else begin
      if (cmd_valid_i && cmd_ready_o) begin
        busy_q   <= 1'b1;
        mode_q   <= cmd_data_i[2:0];
        bias_q   <= cmd_data_i[3];
        k_m1_q   <= cmd_data_i[4 +: KW];
        n_left_q <= (NW+1)'(cmd_data_i[14 +: NW]) + (NW+1)'(1);
        t_m1_q   <= cmd_data_i[24 +: TW];
        unit_q   <= '0;
        slab_q   <= '0;
        state_q  <= StHdr0;
      end
      if (busy_q && !err_q && w_valid_i && (state_q == StHdr1) && !hdr_ok) begin
        err_q <= 1'b1;
      end
      if (hdr0_fire) state_q <= StHdr1;
      if (hdr1_fire) begin
        exps_q  <= w_data_i[63:0];
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
        if (rows_last) begin
          state_q  <= StHdr0;
          n_left_q <= last_rec ? '0 : n_left_q - (NW+1)'(16);
          slab_q   <= slab_q + SW'(1);
          unit_q   <= (unit_q == UW'(Units - 1)) ? '0 : unit_q + UW'(1);
          if (last_rec) busy_q <= 1'b0;
        end
      end
    end
  end

  // beat 0 (bias mantissas): no reset needed, bdone_q says when it is used
  always_ff @(posedge clk_i) begin
    if (hdr0_fire) bias_hdr_q <= w_data_i[TileOut*BBits-1:0];
  end

endmodule
