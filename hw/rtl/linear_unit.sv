// Unified linear unit (technique 4 of the brief): one TileIn x TileOut MAC array
// shared by Q, K, V, the attention projection, fc1, fc2, the expert layers and
// the gate. It computes one "pass" y = x W^T + b over T tokens, K inputs and N
// outputs, with the output stage chosen per pass: plain, q (queries, prescale
// 3), gelu (fused GELU), resid (residual add into an existing output), scaled
// (expert combine: acc_in + round_shift(sat_act(y) * p, 16)) or embed (the patch
// embedding: a per-token add row aligned into the accumulator like the bias,
// before the one rounding). Bit-exact to edgemoe.golden.linear and, in mode
// embed, to edgemoe.golden.patch_embed / the ISS's LINEAR mode 5
// (docs/numerics.md, "Unified linear unit", "Patch embedding").
//
// ---------------------------------------------------------------- dataflow
// Weight-stationary per output slab. Slab j = tile rows j*TileOut ..
// j*TileOut + R_j - 1 (R_j = TileOut except possibly for the last slab), with
// Kt = ceil(K/TileIn) chunks of TileIn inputs. Loop order:
//     for slab j in 0 .. S-1            (S = ceil(N/TileOut))   weights of slab j stationary
//       for token t in 0 .. T-1                                  activations stream
//         for chunk c in 0 .. Kt-1      one MAC-array cycle: TileOut x TileIn products
//         emit y[t, slab j]             one output beat (TileOut rows)
// Why weight-stationary: the slab (TileOut x K mantissas) is read from off-chip
// exactly once per pass and used across all T tokens, which is what lets the
// weights of the next slab (and of the next expert or layer) stream in while
// the array computes: the loader fills one bank of the ping-pong buffer while
// the array reads the other. The activations (at most 129 x 768 act codes) live
// on chip and are re-read once per slab. Output-stationary over tokens would
// need all N accumulators per token on chip or re-read the weights per token.
// Reading an expert's token queue (the original's flag) belongs to the
// producers of the act and side streams: they read the token buffer at the
// queue's indices (T = queue count); this unit sees only the streams.
//
// ---------------------------------------------------------------- streams
// All are valid/ready; a beat moves on a rising edge with valid and ready high.
// cfg  (in, one beat per pass) cfg_data_i, LSB first:
//        [2:0]   mode: 0 plain, 1 gelu, 2 q, 3 resid, 4 scaled (the index in
//                edgemoe.golden.vectors.LINEAR_MODES), 5 embed; 6, 7 act as plain
//        [3]     has_bias: 0 = no bias (the gate) and no b beats
//        [4 +: BExpBits]  bias exponent field: bias frac bf = BFracMin + field
//        [CfgKOff +: CfgKW] K - 1   (K in 1..MaxK)
//        [CfgNOff +: CfgNW] N - 1   (N in 1..MaxN)
//        [CfgTOff +: CfgTW] T - 1   (T in 1..MaxT)
//      Accepted when the loader is idle: after the last slab of the previous
//      pass has been loaded, so the next pass's first slab loads while the
//      previous pass's last slab computes (passes overlap in the pipeline).
// w    (in) w_data_i: TileIn int16 mantissas, lane i = W[row, c*TileIn + i] at
//      [i*WBits +: WBits], and the row's exponent field (frac - WFracMin) at
//      [TileIn*WBits +: WExpBits]. Beats in W's row-major order: for slab j,
//      for row r < R_j, for chunk c < Kt (S x R_j x Kt = N x Kt beats per pass).
//      The exponent is taken from the chunk-0 beat of each row (ignored on the
//      others); lanes beyond K in the last chunk are ignored (written as 0).
// b    (in, has_bias only) b_data_i: one beat per slab, lane r = b[j*TileOut + r]
//      at [r*BBits +: BBits]; lanes >= R_j ignored.
// act  (in) act_data_i: TileIn act codes, lane i = x[t, c*TileIn + i] at
//      [i*ActBits +: ActBits]; beats for slab j, token t, chunk c (the whole
//      token sequence once per slab: S x T x Kt beats). Lanes beyond K: any value.
// side (in, modes resid and scaled only) side_data_i: one beat per output beat
//      (slab j, token t), lane r at [r*MoeAccBits +: MoeAccBits]: resid: x_old
//      act code in the low ActBits bits (upper bits ignored); scaled: acc_in
//      moe_acc code; p (scaled only; the token's gate score, PBits unsigned)
//      at [TileOut*MoeAccBits +: PBits]. Lanes >= R_j ignored.
//      embed: lane r = add[t, j*TileOut + r] int16 mantissa in the low BBits
//      bits, the row's exponent field (fa_t - BFracMin) at
//      [TileOut*MoeAccBits +: BExpBits] (upper bits ignored):
//        y = sat_act(round_shift(acc + bias + (add << (16 + wf - fa_t)), wf)).
//      In mode embed the side beats are prefetched into the embed side queue
//      (up to ResDepth/2 ahead of their tokens) once the slab's bank is loaded;
//      a token's first chunk (chunk 0) waits until its beat is there. A beat is
//      prefetched only when no resid/scaled beat of an earlier pass still waits
//      for its side beat, so the side stream stays in pass order. act_ready_o
//      is a register and side_ready_o depends on registers and out_ready_i only:
//      no ready follows another stream's valid.
// out  (out) out_data_o: one beat per (slab j, token t), in that order; lane r
//      = output row j*TileOut + r at [r*MoeAccBits +: MoeAccBits], the code
//      sign-extended to MoeAccBits: act (plain, gelu, resid), q (q), moe_acc
//      (scaled). Lanes >= R_j are 0.
//
// ---------------------------------------------------------------- ping-pong protocol
// Two banks, each one slab: weights (linear_wbuf), row exponents, bias and the
// slab's pass parameters. full_q[bank] is set by the loader when the slab's
// last weight beat (and its bias beat) has arrived and cleared by the issue
// logic in the cycle it issues the slab's last act beat (the RAM read of that
// beat happens at the same clock edge, so the loader's first write into the
// bank, one cycle later at the earliest, cannot disturb it). The loader writes
// only a bank that is not full, the array reads only a full one; banks
// alternate. At the slab's first issue its metadata (exponents, bias, mode,
// rows) is copied into a 2-entry queue read by the rounding stage, so the bank
// is free as soon as its last beat is issued.
//
// ---------------------------------------------------------------- pipeline and credits
// issue -> MAC array (MacLat = 4 + log2(TileIn) cycles: x/RAM registers,
// products, adder tree, accumulator; in mode embed the embed side queue carries
// the token's add row alongside) -> linear_round (6) -> result queue (ResDepth - 2
// LUTRAM entries behind a 2-entry flip-flop head; a result enters the empty head
// directly, 1) -> linear_post (5 + GELU 7). Everything before the result queue is
// free-running; a token's first chunk is issued only when the queue has a credit
// for its result (tokens in flight < ResDepth; a credit comes back one cycle
// after its result leaves the head), so backpressure on out never stalls the
// array mid-token. ResDepth = 2^clog2(MacLat + 9) keeps the array busy every
// cycle at K <= TileIn with the output ready (32 for 16 x 16).
// Latency from an act beat (last chunk of a token) to its output beat:
// Lat = MacLat + 19 = 23 + log2(TileIn) cycles (27 for 16 x 16).
//
// ---------------------------------------------------------------- cycles
// Every input valid, out always ready, cycle 0 = the cfg handshake; slabs g
// are numbered across back-to-back passes (banks alternate with g):
//   LS_g = max(LE_{g-1} + 1, CE_{g-2} + 1)         loader start of slab g (first w beat);
//          for a pass's first slab LE_{g-1} + 1 is replaced by cfg + 1, and a
//          queued cfg is taken at LE + 1 of the previous pass's last slab
//   LE_g = LS_g + R_g Kt - 1                       last w beat of slab g
//   CS_g = max(LE_g + 1, CE_{g-1} + 1, CE_{g-2} + MacLat + 1)   first act beat of slab g
//          (mode embed: LE_g + 3 instead of LE_g + 1: the first side beat is
//          prefetched in the cycle after the bank is loaded and counts for the
//          ready from the cycle after; after a resid or scaled slab also no
//          earlier than 3 cycles after that slab's last side beat is taken)
//   CE_g = CS_g + T Kt - 1                         last act beat of slab g
//   a pass's last output beat leaves at CE_last + Lat.
// (CE_{-1}, CE_{-2} = -inf. The MacLat term is the 2-entry metadata queue and
// binds only when T Kt < MacLat.) The array thus idles only while a slab's
// weights are not yet loaded: it is busy every cycle from slab g-1 into slab g
// whenever R_g Kt_g <= T_{g-1} Kt_{g-1} (the load of a slab fits into the
// compute of the one before it; within a pass: R <= T), also across passes.
// Closed forms for one isolated pass (cycles = cfg handshake .. last output):
//   compute-bound (T >= TileOut, T Kt >= MacLat):
//       cycles = S T Kt  +  R_0 Kt  +  Lat + 1       (mode embed: + 2)
//     S T Kt busy MAC cycles in a row (100% utilisation from CS_0 to CE_{S-1});
//     R_0 Kt is the first slab's load, hidden behind the previous pass's last
//     slab when passes are queued back to back;
//   load-bound (T < TileOut, e.g. a short expert queue):
//       cycles = N Kt + T Kt + Lat + 1  (one weight beat per cycle is the limit).
// With 16 x 16 tiles, K = 192, N = 192, T = 129: S T Kt = 18576 MAC cycles.
//
// Parameters: TileIn a power of two >= 2, TileOut >= 2; MaxK, MaxN, MaxT bound
// the cfg fields (defaults: the model's largest K = 768 and N = 768, 129
// tokens). CfgKW .. CfgW are derived (ports need them); do not override them.
module linear_unit
  import edgemoe_pkg::*;
#(
  parameter int unsigned TileIn  = LinTileIn,
  parameter int unsigned TileOut = LinTileOut,
  parameter int unsigned MaxK    = MlpHidden,
  parameter int unsigned MaxN    = MlpHidden,
  parameter int unsigned MaxT    = NumTokens,
  parameter int unsigned CfgKW   = (MaxK > 1) ? $clog2(MaxK) : 1,
  parameter int unsigned CfgNW   = (MaxN > 1) ? $clog2(MaxN) : 1,
  parameter int unsigned CfgTW   = (MaxT > 1) ? $clog2(MaxT) : 1,
  parameter int unsigned CfgW    = 4 + BExpBits + CfgKW + CfgNW + CfgTW
) (
  input  logic                                clk_i,
  input  logic                                rst_ni,
  input  logic                                cfg_valid_i,
  output logic                                cfg_ready_o,
  input  logic [CfgW-1:0]                     cfg_data_i,
  input  logic                                w_valid_i,
  output logic                                w_ready_o,
  input  logic [TileIn*WBits+WExpBits-1:0]    w_data_i,
  input  logic                                b_valid_i,
  output logic                                b_ready_o,
  input  logic [TileOut*BBits-1:0]            b_data_i,
  input  logic                                act_valid_i,
  output logic                                act_ready_o,
  input  logic [TileIn*ActBits-1:0]           act_data_i,
  input  logic                                side_valid_i,
  output logic                                side_ready_o,
  input  logic [TileOut*MoeAccBits+PBits-1:0] side_data_i,
  output logic                                out_valid_o,
  input  logic                                out_ready_i,
  output logic [TileOut*MoeAccBits-1:0]       out_data_o
);

  // ------------------------------------------------------------------ derived sizes
  localparam int unsigned LogIn    = $clog2(TileIn);
  localparam int unsigned KtMax    = (MaxK + TileIn - 1) / TileIn;
  localparam int unsigned ChunkW   = (KtMax > 1) ? $clog2(KtMax) : 1;
  localparam int unsigned RowW     = (TileOut > 1) ? $clog2(TileOut) : 1;
  localparam int unsigned CfgKOff  = 4 + BExpBits;
  localparam int unsigned CfgNOff  = CfgKOff + CfgKW;
  localparam int unsigned CfgTOff  = CfgNOff + CfgNW;
  localparam int unsigned MacLat   = 4 + LogIn;
  localparam int unsigned ResDepth = 1 << $clog2(MacLat + 9);
  localparam int unsigned YW       = ActBits + 2;
  // Exact accumulator: |sum_k x w| <= MaxK 2^(ActBits-1) 2^(WBits-1) and the
  // aligned bias |b << (16 + wf - bf)| <= 2^(BBits-1) 2^(BshMax) (the embed add
  // the same); two more bits for the sum of the three, one for the sign (the
  // rounding constant is below 2^(WFracMax+3), far under the slack).
  localparam int unsigned DotBits  = ActBits + WBits - 2 + $clog2(MaxK);
  localparam int unsigned BshMax   = ActFrac + WFracMin + (1 << WExpBits) - 1 - BFracMin;
  localparam int unsigned BiasBits = BBits - 1 + BshMax;
  localparam int unsigned AccW     = ((DotBits > BiasBits) ? DotBits : BiasBits) + 3;
  // Slab metadata: exponents, bias, has_bias, bias exp, embed, flags, rows - 1.
  localparam int unsigned MetaW    = TileOut*WExpBits + TileOut*BBits + 1 + BExpBits + 1 + 4 + RowW;
  // embed side queue entry: the add row's exponent field and mantissas
  localparam int unsigned EsW      = BExpBits + TileOut*BBits;
  // its depth: the prefetched beats and those of the tokens in the MAC array (prefetch, below)
  localparam int unsigned PfMax    = ResDepth / 2;
  localparam int unsigned EsDepth  = 1 << $clog2(PfMax + MacLat + 2);

  localparam logic [2:0] ModeGelu = 3'd1, ModeQ = 3'd2, ModeResid = 3'd3, ModeScaled = 3'd4;
  localparam logic [2:0] ModeEmbed = 3'd5;

  // ------------------------------------------------------------------ cfg fields
  logic [2:0]          cfg_mode;
  logic [3:0]          cfg_flags;   // {scaled, resid, q, gelu}
  logic [CfgKW-1:0]    cfg_k_m1;
  logic [CfgNW-1:0]    cfg_n_m1;
  logic [CfgTW-1:0]    cfg_t_m1;
  assign cfg_mode  = cfg_data_i[2:0];
  assign cfg_flags = {cfg_mode == ModeScaled, cfg_mode == ModeResid, cfg_mode == ModeQ,
                      cfg_mode == ModeGelu};
  assign cfg_k_m1  = cfg_data_i[CfgKOff +: CfgKW];
  assign cfg_n_m1  = cfg_data_i[CfgNOff +: CfgNW];
  assign cfg_t_m1  = cfg_data_i[CfgTOff +: CfgTW];

  // ------------------------------------------------------------------ bank state
  logic [1:0]                          full_q;
  logic [1:0][TileOut*WExpBits-1:0]    bk_exps_q;
  logic [1:0][TileOut*BBits-1:0]       bk_bias_q;
  logic [1:0]                          bk_has_bias_q;
  logic [1:0][BExpBits-1:0]            bk_bexp_q;
  logic [1:0][3:0]                     bk_flags_q;
  logic [1:0]                          bk_embed_q;
  logic [1:0][RowW-1:0]                bk_rows_m1_q;
  logic [1:0][CfgTW-1:0]               bk_t_m1_q;
  logic [1:0]                          bk_kt0_q, bk_t0_q;   // Kt = 1, T = 1
  logic [1:0][ChunkW-1:0]              bk_kt_m2_q;          // Kt - 2, T - 2: the position before the
  logic [1:0][CfgTW-1:0]               bk_t_m2_q;           // last, compared without an adder

  // ------------------------------------------------------------------ loader
  logic                 ld_busy_q;
  logic [3:0]           ld_flags_q;
  logic                 ld_embed_q;
  logic                 ld_has_bias_q;
  logic [BExpBits-1:0]  ld_bexp_q;
  logic [ChunkW-1:0]    ld_kt_m1_q;
  logic [ChunkW-1:0]    ld_kt_m2_q;   // Kt - 2 (the chunk before the last: no adder into ld_clast_q)
  logic [CfgTW-1:0]     ld_t_m1_q;
  logic [CfgNW:0]       ld_n_left_q;     // rows still to load, this slab's included
  logic [RowW-1:0]      ld_row_q;
  logic [ChunkW-1:0]    ld_chunk_q;
  logic                 ld_bank_q;
  logic                 ld_wdone_q;
  logic                 ld_bneed_q;   // the slab's bias beat is still to come
  logic                 ld_nf_q;      // !full_q[ld_bank_q] (the bank being loaded is free)
  // ld_chunk_q == ld_kt_m1_q and the lanes kept in the last chunk, as registers (300 MHz)
  logic                 ld_clast_q;
  logic [TileIn-1:1]    ld_lkeep_q;   // lane 0 is always kept

  // ld_last_slab = (ld_n_left_q <= TileOut) and the slab's rows - 1, kept as registers
  // beside ld_n_left_q (written together with it), so no compare runs into the commit.
  logic                 ld_last_slab;
  logic [RowW-1:0]      ld_rows_m1;
  logic                 ld_rlast_q;   // ld_row_q == ld_rows_m1
  logic [RowW-1:0]      ld_rows_m2;   // ld_rows_m1 - 1
  logic                 w_fire, b_fire, ld_commit, cfg_fire;
  assign cfg_ready_o  = !ld_busy_q;
  assign cfg_fire     = cfg_valid_i && cfg_ready_o;
  assign w_ready_o    = ld_busy_q && ld_nf_q && !ld_wdone_q;
  assign b_ready_o    = ld_busy_q && ld_nf_q && ld_bneed_q;
  assign w_fire       = w_valid_i && w_ready_o;
  assign b_fire       = b_valid_i && b_ready_o;
  // The slab is complete in the cycle its last weight beat and its bias beat
  // (if any) have both arrived: no dead cycle between slabs. (While ld_wdone_q is set the
  // bank is free: it is filled only after the last commit into it has been issued.)
  assign ld_commit    = ld_busy_q && ld_nf_q && (ld_wdone_q || (w_valid_i && ld_rlast_q && ld_clast_q))
                        && (!ld_bneed_q || b_valid_i);

  // Weight lanes beyond K (last chunk) are written as 0, so the act lanes
  // there may carry anything.
  logic [TileIn*WBits-1:0] ld_wdata;
  for (genvar i = 0; i < TileIn; i++) begin : g_wmask
    logic keep;
    if (i == 0) begin : g_first
      assign keep = 1'b1;   // every chunk has at least one lane
    end else begin : g_other
      assign keep = !ld_clast_q || ld_lkeep_q[i];
    end
    assign ld_wdata[i*WBits +: WBits] = keep ? w_data_i[i*WBits +: WBits] : '0;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      ld_busy_q     <= 1'b0;
      ld_flags_q    <= '0;
      ld_embed_q    <= 1'b0;
      ld_has_bias_q <= 1'b0;
      ld_bexp_q     <= '0;
      ld_kt_m1_q    <= '0;
      ld_kt_m2_q    <= '0;
      ld_t_m1_q     <= '0;
      ld_n_left_q   <= '0;
      ld_row_q      <= '0;
      ld_chunk_q    <= '0;
      ld_bank_q     <= 1'b0;
      ld_wdone_q    <= 1'b0;
      ld_bneed_q    <= 1'b0;
      ld_clast_q    <= 1'b0;
      ld_lkeep_q    <= '0;
      ld_last_slab  <= 1'b0;
      ld_rows_m1    <= '0;
      ld_rows_m2    <= '0;
      ld_rlast_q    <= 1'b0;
      bk_exps_q     <= '0;
      bk_bias_q     <= '0;
      bk_has_bias_q <= '0;
      bk_bexp_q     <= '0;
      bk_flags_q    <= '0;
      bk_embed_q    <= '0;
      bk_rows_m1_q  <= '0;
      bk_t_m1_q     <= '0;
      bk_kt0_q      <= '0;
      bk_t0_q       <= '0;
      bk_kt_m2_q    <= '0;
      bk_t_m2_q     <= '0;
    end else begin
      if (cfg_fire) begin
        ld_busy_q     <= 1'b1;
        ld_flags_q    <= cfg_flags;
        ld_embed_q    <= (cfg_mode == ModeEmbed);
        ld_has_bias_q <= cfg_data_i[3];
        ld_bneed_q    <= cfg_data_i[3];
        ld_bexp_q     <= cfg_data_i[4 +: BExpBits];
        ld_kt_m1_q    <= ChunkW'(cfg_k_m1 >> LogIn);
        ld_kt_m2_q    <= ChunkW'(cfg_k_m1 >> LogIn) - ChunkW'(1);
        // a pass starts at chunk 0 (the previous one ended on a row's last chunk)
        ld_clast_q    <= (ChunkW'(cfg_k_m1 >> LogIn) == '0);
        for (int unsigned i = 1; i < TileIn; i++) begin
          ld_lkeep_q[i] <= (LogIn'(i) <= cfg_k_m1[LogIn-1:0]);
        end
        ld_t_m1_q     <= cfg_t_m1;
        ld_n_left_q   <= (CfgNW+1)'(cfg_n_m1) + (CfgNW+1)'(1);
        ld_last_slab  <= ((CfgNW+1)'(cfg_n_m1) < (CfgNW+1)'(TileOut));
        ld_rows_m1    <= ((CfgNW+1)'(cfg_n_m1) < (CfgNW+1)'(TileOut)) ? RowW'(cfg_n_m1) : RowW'(TileOut - 1);
        ld_rows_m2    <= ((CfgNW+1)'(cfg_n_m1) < (CfgNW+1)'(TileOut)) ? RowW'(cfg_n_m1) - RowW'(1)
                                                                      : RowW'(TileOut - 2);
        ld_rlast_q    <= (TileOut == 1) || (cfg_n_m1 == '0);
      end
      if (w_fire) begin
        if (ld_chunk_q == '0) begin
          bk_exps_q[ld_bank_q][ld_row_q*WExpBits +: WExpBits] <= w_data_i[TileIn*WBits +: WExpBits];
        end
        if (ld_clast_q) begin
          ld_chunk_q <= '0;
          ld_clast_q <= (ld_kt_m1_q == '0);
          if (ld_rlast_q) begin
            ld_row_q   <= '0;
            ld_wdone_q <= 1'b1;
          end else begin
            ld_row_q   <= ld_row_q + RowW'(1);
            ld_rlast_q <= (ld_row_q == ld_rows_m2);
          end
        end else begin
          ld_chunk_q <= ld_chunk_q + ChunkW'(1);
          ld_clast_q <= (ld_chunk_q == ld_kt_m2_q);
        end
      end
      if (b_fire) begin
        bk_bias_q[ld_bank_q] <= b_data_i;
        ld_bneed_q           <= 1'b0;
      end
      if (ld_commit) begin
        bk_has_bias_q[ld_bank_q] <= ld_has_bias_q;
        bk_bexp_q[ld_bank_q]     <= ld_bexp_q;
        bk_flags_q[ld_bank_q]    <= ld_flags_q;
        bk_embed_q[ld_bank_q]    <= ld_embed_q;
        bk_rows_m1_q[ld_bank_q]  <= ld_rows_m1;
        bk_t_m1_q[ld_bank_q]     <= ld_t_m1_q;
        bk_kt0_q[ld_bank_q]      <= (ld_kt_m1_q == '0);
        bk_t0_q[ld_bank_q]       <= (ld_t_m1_q == '0);
        bk_kt_m2_q[ld_bank_q]    <= ld_kt_m1_q - ChunkW'(1);
        bk_t_m2_q[ld_bank_q]     <= ld_t_m1_q - CfgTW'(1);
        ld_bank_q                <= !ld_bank_q;
        ld_wdone_q               <= 1'b0;
        ld_bneed_q               <= ld_has_bias_q;
        ld_n_left_q              <= ld_n_left_q - (CfgNW+1)'(TileOut);
        ld_last_slab             <= (ld_n_left_q <= (CfgNW+1)'(2 * TileOut));
        ld_rows_m1               <= (ld_n_left_q <= (CfgNW+1)'(2 * TileOut))
                                    ? RowW'(ld_n_left_q - (CfgNW+1)'(TileOut + 1)) : RowW'(TileOut - 1);
        ld_rows_m2               <= (ld_n_left_q <= (CfgNW+1)'(2 * TileOut))
                                    ? RowW'(ld_n_left_q - (CfgNW+1)'(TileOut + 2)) : RowW'(TileOut - 2);
        // the next slab's rows - 1 is 0: one row left (or TileOut = 1)
        ld_rlast_q               <= (TileOut == 1) || (ld_n_left_q == (CfgNW+1)'(TileOut + 1));
        if (ld_last_slab) ld_busy_q <= 1'b0;
      end
    end
  end

  // ------------------------------------------------------------------ issue (compute side)
  // act_ready_o is a register (act_ok_q): this cycle's next-state values give next cycle's
  // ready, so issue = act_valid_i && act_ok_q is one gate and the schedule is that of the
  // combinational ready. The position flags (cp_first_q, cp_clast_q, cp_tfirst_q,
  // cp_tlast_q, with the bank's "Kt = 1" / "T = 1" flags for position 0), the credits and
  // the prefetched embed side beats are registers too. No ready depends on another
  // stream's valid (300 MHz, docs/timing.md).
  logic                 cp_bank_q;
  logic [ChunkW-1:0]    cp_chunk_q;
  logic [CfgTW-1:0]     cp_tok_q;
  logic                 cp_started_q;
  logic                 cp_first_q;      // cp_chunk_q == 0
  logic                 cp_clast_q;      // cp_chunk_q == Kt - 1 (valid while cp_chunk_q != 0)
  logic                 cp_tfirst_q;     // cp_tok_q == 0
  logic                 cp_tlast_q;      // cp_tok_q == T - 1 (valid while cp_tok_q != 0)
  // tokens in flight (first chunk issued, result not yet taken from the result queue's head,
  // returned one cycle after it is taken) as a thermometer code: infl_q[i] = more than i in
  // flight; no adder between the handshakes and the ready
  logic [ResDepth-1:0]  infl_q;
  logic                 credit_ok_q;     // fewer than ResDepth in flight (= !infl_q[ResDepth-1])
  logic                 rf_pop_q;
  logic [1:0]           mq_cnt_q;        // entries of the metadata queue (its count, mirrored)
  logic                 act_ok_q;
  logic                 mq_in_ready, mq_out_valid, mq_pop;
  logic                 rf_pop;
  logic                 cp_first, cp_last, cp_slab_last, issue;
  logic                 cp_embed, cp_side_late;
  logic                 post_side_ready, post_side_fire;
  logic [ResDepth-1:0]  side_pend_q;     // resid/scaled tokens issued whose side beat is not taken
                                         // yet (thermometer; at most ResDepth: the credits)
  logic                 side_pend_zero_q;
  logic                 side_dec_q;      // a side beat went to the output stage last cycle
  logic                 tok_inc, side_inc;
  logic                 pf_ok, pf_take;   // embed side prefetch (below)
  logic                 es_dec;

  // the position's "last chunk", "slab's last beat" and the bank's embed flag, resolved into
  // registers (their next values below)
  logic                 cp_last_q, cp_slab_last_q, cp_embed_q;
  assign cp_first     = cp_first_q;
  assign cp_last      = cp_last_q;
  assign cp_slab_last = cp_slab_last_q;
  assign cp_embed     = cp_embed_q;
  assign cp_side_late = bk_flags_q[cp_bank_q][2] || bk_flags_q[cp_bank_q][3];
  assign act_ready_o  = act_ok_q;
  assign issue        = act_valid_i && act_ok_q;
  assign post_side_fire = side_valid_i && post_side_ready;
  // the side beat of an embed token goes to the embed queue (prefetch, below); a resid/scaled
  // one to the output stage: never both (the latter means side_pend_q != 0)
  assign side_ready_o = post_side_ready || pf_ok;
  assign tok_inc      = issue && cp_first;
  assign side_inc     = issue && cp_first && cp_side_late;
  assign es_dec       = issue && cp_first && cp_embed;

  // next-state values of the issue side's registers and of the ready
  logic       flip, cpb_d, started_d, first_d, credit_d, ldb_d;
  logic       ok_0, ok_0c, ok_1, ok_f, ok_fc, emb_0c, mq0_ok, mqf_ok, cr0, cr1, nz1;
  logic       clast_d, tfirst_d, tlast_d, last_d, slast_d;
  logic       ld_kt0, ld_t0, sl_0c, sl_1a, sl_1b, sl_f, sl_fc;
  logic [1:0] full_d, mqcnt_d, kt0_d, embed_d;
  always_comb begin
    // the banks' flags with this cycle's commit
    kt0_d   = bk_kt0_q;
    embed_d = bk_embed_q;
    if (ld_commit) begin
      kt0_d[ld_bank_q]   = (ld_kt_m1_q == '0);
      embed_d[ld_bank_q] = ld_embed_q;
    end
    flip   = issue && cp_slab_last;
    full_d = full_q;
    if (flip) full_d[cp_bank_q] = 1'b0;
    if (ld_commit) full_d[ld_bank_q] = 1'b1;
    ldb_d     = ld_commit ? !ld_bank_q : ld_bank_q;
    cpb_d     = flip ? !cp_bank_q : cp_bank_q;
    started_d = issue ? !cp_slab_last : cp_started_q;
    first_d   = issue ? cp_last : cp_first_q;
    clast_d   = (issue && !cp_last) ? (cp_chunk_q == bk_kt_m2_q[cp_bank_q]) : cp_clast_q;
    tfirst_d  = (issue && cp_last) ? cp_slab_last : cp_tfirst_q;
    tlast_d   = (issue && cp_last && !cp_slab_last) ? (cp_tok_q == bk_t_m2_q[cp_bank_q]) : cp_tlast_q;
    last_d    = first_d ? kt0_d[cpb_d] : clast_d;
    // (the slab's-last flag by cases, issue and commit selecting last: without either nothing
    // changes; a commit without an issue fills the bank in turn; an issue without a flip stays
    // in the bank; a flip starts the other bank at its first position)
    ld_kt0    = (ld_kt_m1_q == '0);
    ld_t0     = (ld_t_m1_q == '0);
    sl_0c     = (cp_first_q ? ((ld_bank_q == cp_bank_q) ? ld_kt0 : bk_kt0_q[cp_bank_q]) : cp_clast_q) &&
                (cp_tfirst_q ? ((ld_bank_q == cp_bank_q) ? ld_t0 : bk_t0_q[cp_bank_q]) : cp_tlast_q);
    sl_1a     = bk_kt0_q[cp_bank_q] && (cp_tok_q == bk_t_m2_q[cp_bank_q]);
    sl_1b     = (cp_chunk_q == bk_kt_m2_q[cp_bank_q]) && (cp_tfirst_q ? bk_t0_q[cp_bank_q] : cp_tlast_q);
    sl_f      = bk_kt0_q[!cp_bank_q] && bk_t0_q[!cp_bank_q];
    sl_fc     = ld_kt0 && ld_t0;
    slast_d   = issue ? (cp_slab_last ? (ld_commit ? sl_fc : sl_f) : (cp_last ? sl_1a : sl_1b))
                      : (ld_commit ? sl_0c : cp_slab_last_q);
    mqcnt_d   = mq_cnt_q + 2'(issue && !cp_started_q) - 2'(mq_pop);
    if (tok_inc && !rf_pop_q)      credit_d = !infl_q[ResDepth-2];
    else if (!tok_inc && rf_pop_q) credit_d = 1'b1;
    else                           credit_d = credit_ok_q;
    // The next ready for each outcome of this cycle's issue and commit; those two select last
    // (the candidates depend on registers only). Without an issue the position stays (a
    // commit may fill the bank in turn, then its flags are the loader's); with one the bank in
    // turn is full, so a commit goes into the other bank: the one of a flip. A prefetched
    // embed beat counts from the cycle after it was taken (es_avail_q; the prefetch's
    // handshake stays out of the ready).
    emb_0c = (ld_bank_q == cp_bank_q) ? ld_embed_q : bk_embed_q[cp_bank_q];
    mq0_ok = !(mq_cnt_q == 2'd2 && !mq_pop);
    cr0    = rf_pop_q || credit_ok_q;
    ok_0   = full_q[cp_bank_q] && (cp_started_q || mq0_ok) &&
             (!cp_first_q || (cr0 && (!cp_embed_q || es_avail_q[0])));
    ok_0c  = (full_q[cp_bank_q] || (ld_bank_q == cp_bank_q)) && (cp_started_q || mq0_ok) &&
             (!cp_first_q || (cr0 && (!emb_0c || es_avail_q[0])));
    if (cp_first_q && !rf_pop_q)      cr1 = !infl_q[ResDepth-2];
    else if (!cp_first_q && rf_pop_q) cr1 = 1'b1;
    else                              cr1 = credit_ok_q;
    nz1    = (cp_first_q && cp_embed_q) ? es_avail_q[1] : es_avail_q[0];
    ok_1   = !cp_last_q || (cr1 && (!cp_embed_q || nz1));
    mqf_ok = (2'(mq_cnt_q + 2'(!cp_started_q) - 2'(mq_pop)) != 2'd2);
    ok_f   = full_q[!cp_bank_q] && mqf_ok && cr1 && (!bk_embed_q[!cp_bank_q] || nz1);
    ok_fc  = mqf_ok && cr1 && (!ld_embed_q || nz1);
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      cp_bank_q    <= 1'b0;
      cp_chunk_q   <= '0;
      cp_tok_q     <= '0;
      cp_started_q <= 1'b0;
      cp_first_q   <= 1'b1;
      cp_last_q    <= 1'b0;
      cp_slab_last_q <= 1'b0;
      cp_embed_q   <= 1'b0;
      cp_clast_q   <= 1'b0;
      cp_tfirst_q  <= 1'b1;
      cp_tlast_q   <= 1'b0;
      infl_q       <= '0;
      credit_ok_q  <= 1'b1;
      rf_pop_q     <= 1'b0;
      mq_cnt_q     <= '0;
      act_ok_q     <= 1'b0;
      ld_nf_q      <= 1'b1;
      side_pend_q  <= '0;
      side_pend_zero_q <= 1'b1;
      side_dec_q   <= 1'b0;
      full_q       <= '0;
    end else begin
      full_q       <= full_d;
      cp_bank_q    <= cpb_d;
      cp_started_q <= started_d;
      cp_first_q   <= first_d;
      cp_clast_q   <= clast_d;
      cp_tfirst_q  <= tfirst_d;
      cp_tlast_q   <= tlast_d;
      cp_last_q    <= last_d;
      cp_slab_last_q <= slast_d;
      cp_embed_q   <= embed_d[cpb_d];
      mq_cnt_q     <= mqcnt_d;
      credit_ok_q  <= credit_d;
      // mode embed: a token's first chunk waits until its side beat is in the embed queue
      act_ok_q     <= issue ? (cp_slab_last ? (ld_commit ? ok_fc : ok_f) : ok_1) : (ld_commit ? ok_0c : ok_0);
      ld_nf_q      <= !full_d[ldb_d];
      if (issue) begin
        if (cp_last) begin
          cp_chunk_q <= '0;
          cp_tok_q   <= cp_slab_last ? '0 : cp_tok_q + CfgTW'(1);
        end else begin
          cp_chunk_q <= cp_chunk_q + ChunkW'(1);
        end
      end
      // the count goes up in the cycle of the issue (the prefetch must see it at once) and
      // down one cycle after the side beat is taken (only delays a prefetch by a cycle)
      side_dec_q <= post_side_fire;
      if (side_inc && !side_dec_q) begin
        side_pend_q      <= {side_pend_q[ResDepth-2:0], 1'b1};
        side_pend_zero_q <= 1'b0;
      end else if (!side_inc && side_dec_q) begin
        side_pend_q      <= {1'b0, side_pend_q[ResDepth-1:1]};
        side_pend_zero_q <= !side_pend_q[1];
      end
      rf_pop_q <= rf_pop;
      if (tok_inc && !rf_pop_q) begin
        infl_q <= {infl_q[ResDepth-2:0], 1'b1};
      end else if (!tok_inc && rf_pop_q) begin
        infl_q <= {1'b0, infl_q[ResDepth-1:1]};
      end
    end
  end

  // ------------------------------------------------------------------ embed side prefetch
  // The side beats of an embed slab are taken into the embed side queue ahead of their
  // tokens: pf_bank_q is the bank whose tokens' beats are fetched (cp_bank_q, or the next
  // bank once every beat of cp_bank_q's slab is in), pf_tok_q how many of them are in. The
  // stream stays in pass order: beats are fetched only when no resid/scaled token issued so
  // far still waits for its side beat and, ahead of cp_bank_q, only while cp_bank_q's slab
  // takes no side beats at its output (embed, plain, gelu, q).
  logic                 pf_bank_q, pf_done_q, pf_flip;
  logic [CfgTW-1:0]     pf_tok_q;
  logic [PfMax-1:0]     es_avail_q;      // beats in the embed queue whose token is not issued
                                         // (thermometer, at most PfMax)
  logic                 es_room_q;       // es_avail_q < PfMax
  // The embed queue holds the prefetched beats (at most PfMax) and those of the tokens
  // between their first issue and their accumulator result (at most MacLat + 2: one chunk
  // issued per cycle): EsDepth >= PfMax + MacLat + 2, so it never overflows.
  assign pf_ok   = full_q[pf_bank_q] && bk_embed_q[pf_bank_q] && !pf_done_q && side_pend_zero_q &&
                   es_room_q && ((pf_bank_q == cp_bank_q) || !cp_side_late);
  assign pf_take = side_valid_i && pf_ok;
  assign pf_flip = (pf_bank_q == cp_bank_q) && full_q[pf_bank_q] && (!bk_embed_q[pf_bank_q] || pf_done_q);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      pf_bank_q     <= 1'b0;
      pf_done_q     <= 1'b0;
      pf_tok_q      <= '0;
      es_avail_q    <= '0;
      es_room_q     <= 1'b1;
    end else begin
      if (pf_flip) begin
        pf_bank_q <= !pf_bank_q;
        pf_done_q <= 1'b0;
        pf_tok_q  <= '0;
      end else if (pf_take) begin
        pf_done_q <= (pf_tok_q == bk_t_m1_q[pf_bank_q]);
        pf_tok_q  <= pf_tok_q + CfgTW'(1);
      end
      if (pf_take && !es_dec) begin
        es_avail_q    <= {es_avail_q[PfMax-2:0], 1'b1};
        es_room_q     <= !es_avail_q[PfMax-2];
      end else if (!pf_take && es_dec) begin
        es_avail_q    <= {1'b0, es_avail_q[PfMax-1:1]};
        es_room_q     <= 1'b1;
      end
    end
  end

  // ------------------------------------------------------------------ weight buffer + MAC array
  logic [TileOut*TileIn*WBits-1:0] wb_rd;
  linear_wbuf #(
    .TileIn  (TileIn),
    .TileOut (TileOut),
    .ChunkW  (ChunkW),
    .RowW    (RowW)
  ) u_wbuf (
    .clk_i     (clk_i),
    .wr_en_i   (w_fire),
    .wr_row_i  (ld_row_q),
    .wr_addr_i ({ld_bank_q, ld_chunk_q}),
    .wr_data_i (ld_wdata),
    .rd_addr_i ({cp_bank_q, cp_chunk_q}),
    .rd_data_o (wb_rd)
  );

  logic                     res_valid, res_slab_last;
  logic [TileOut*AccW-1:0]  res_acc;
  linear_mac_array #(
    .TileIn  (TileIn),
    .TileOut (TileOut),
    .AccW    (AccW)
  ) u_mac (
    .clk_i           (clk_i),
    .rst_ni          (rst_ni),
    .in_valid_i      (issue),
    .in_first_i      (cp_first),
    .in_last_i       (cp_last),
    .in_slab_last_i  (cp_slab_last),
    .x_i             (act_data_i),
    .w_i             (wb_rd),
    .res_valid_o     (res_valid),
    .res_slab_last_o (res_slab_last),
    .acc_o           (res_acc)
  );

  // ------------------------------------------------------------------ slab metadata queue
  logic [MetaW-1:0] mq_in, mq_out;
  assign mq_in = {bk_exps_q[cp_bank_q], bk_bias_q[cp_bank_q], bk_has_bias_q[cp_bank_q],
                  bk_bexp_q[cp_bank_q], bk_embed_q[cp_bank_q], bk_flags_q[cp_bank_q],
                  bk_rows_m1_q[cp_bank_q]};
  assign mq_pop = res_valid && res_slab_last;

  stream_fifo #(
    .Width (MetaW),
    .Depth (2)
  ) u_meta (
    .clk_i       (clk_i),
    .rst_ni      (rst_ni),
    .in_valid_i  (issue && !cp_started_q),
    .in_ready_o  (mq_in_ready),
    .in_data_i   (mq_in),
    .out_valid_o (mq_out_valid),
    .out_ready_i (mq_pop),
    .out_data_o  (mq_out)
  );

  logic [TileOut*WExpBits-1:0] m_exps;
  logic [TileOut*BBits-1:0]    m_bias;
  logic                        m_has_bias;
  logic [BExpBits-1:0]         m_bexp;
  logic                        m_embed;
  logic [3:0]                  m_flags;
  logic [RowW-1:0]             m_rows_m1;
  assign {m_exps, m_bias, m_has_bias, m_bexp, m_embed, m_flags, m_rows_m1} = mq_out;

  // The head's embed flag also from flip-flops (a copy of the queue's 2 entries): it pops the
  // embed side queue, whose count should not wait for the LUTRAM read.
  logic [1:0] me_q;
  logic       me_wp_q, me_rp_q, me_head;
  assign me_head = me_q[me_rp_q];
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      me_q    <= '0;
      me_wp_q <= 1'b0;
      me_rp_q <= 1'b0;
    end else begin
      if (issue && !cp_started_q) begin
        me_q[me_wp_q] <= cp_embed;
        me_wp_q       <= !me_wp_q;
      end
      if (mq_pop) me_rp_q <= !me_rp_q;
    end
  end

  // ------------------------------------------------------------------ embed side queue
  // One entry per embed token from its prefetched side beat to its accumulator result,
  // popped with the result: a LUTRAM ring without a count (the prefetch bound keeps it from
  // filling, and an embed result always finds its entry).
  localparam int unsigned EsPtrW = $clog2(EsDepth);
  logic [EsW-1:0]  es_in, es_out;
  logic [EsW-1:0]  es_mem_q [EsDepth];
  logic [EsPtrW-1:0] es_wp_q, es_rp_q;
  logic [TileOut*BBits-1:0] es_add;
  for (genvar r = 0; r < TileOut; r++) begin : g_es
    assign es_add[r*BBits +: BBits] = side_data_i[r*MoeAccBits +: BBits];
  end
  assign es_in  = {side_data_i[TileOut*MoeAccBits +: BExpBits], es_add};
  assign es_out = es_mem_q[es_rp_q];
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      es_wp_q <= '0;
      es_rp_q <= '0;
    end else begin
      if (pf_take) es_wp_q <= es_wp_q + EsPtrW'(1);
      if (res_valid && me_head) es_rp_q <= es_rp_q + EsPtrW'(1);
    end
  end
  always_ff @(posedge clk_i) begin
    if (pf_take) es_mem_q[es_wp_q] <= es_in;
  end

  // ------------------------------------------------------------------ bias + rounding
  logic                      rd_valid;
  logic [TileOut*YW-1:0]     rd_y;
  logic [4+RowW-1:0]         rd_tag;
  linear_round #(
    .TileOut (TileOut),
    .AccW    (AccW),
    .TagW    (4 + RowW)
  ) u_round (
    .clk_i       (clk_i),
    .rst_ni      (rst_ni),
    // the queue always holds the slab's entry here; the AND only documents it
    .in_valid_i  (res_valid && mq_out_valid),
    .acc_i       (res_acc),
    .exps_i      (m_exps),
    .bias_i      (m_bias),
    .has_bias_i  (m_has_bias),
    .bexp_i      (m_bexp),
    .q_mode_i    (m_flags[1]),
    .add_en_i    (m_embed),
    .add_i       (es_out[TileOut*BBits-1:0]),
    .aexp_i      (es_out[TileOut*BBits +: BExpBits]),
    .tag_i       ({m_flags, m_rows_m1}),
    .out_valid_o (rd_valid),
    .out_y_o     (rd_y),
    .out_tag_o   (rd_tag)
  );

  // ------------------------------------------------------------------ result queue (credits)
  // A LUTRAM queue in front of a 2-entry head (flip-flops): the output stage's handshake
  // (its mode flags, the join with the side stream) starts from the head's registers, and
  // whether the queue gives up its next entry depends on registers only (the head's count),
  // not on the output stage taking a beat in the same cycle. A result goes straight into
  // the head when the queue is empty (no extra cycle). Never full: the issue logic holds
  // one credit per result in flight (ResDepth: ResDepth - 2 in the queue, 2 in the head).
  localparam int unsigned RfW = TileOut*YW + 4 + RowW;
  logic                     rf_valid, rf_ready, rq_in_ready, rq_valid, rq_pop, rq_push;
  logic                     src_valid, hd_take;
  logic [RfW-1:0]           rq_out, src, hd0_q, hd1_q;
  logic [1:0]               hd_n_q;
  logic [TileOut*YW-1:0]    rf_y;
  logic [4+RowW-1:0]        rf_tag;
  assign src_valid = rq_valid || rd_valid;
  assign src       = rq_valid ? rq_out : {rd_tag, rd_y};
  assign hd_take   = src_valid && (hd_n_q != 2'd2);
  assign rq_pop    = rq_valid && (hd_n_q != 2'd2);
  assign rq_push   = rd_valid && rq_in_ready && (rq_valid || (hd_n_q == 2'd2));
  stream_fifo #(
    .Width (RfW),
    .Depth (ResDepth - 2)
  ) u_res (
    .clk_i       (clk_i),
    .rst_ni      (rst_ni),
    .in_valid_i  (rq_push),
    .in_ready_o  (rq_in_ready),
    .in_data_i   ({rd_tag, rd_y}),
    .out_valid_o (rq_valid),
    .out_ready_i (rq_pop),
    .out_data_o  (rq_out)
  );
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      hd_n_q <= '0;
    end else begin
      hd_n_q <= hd_n_q + 2'(hd_take) - 2'(rf_pop);
    end
  end
  always_ff @(posedge clk_i) begin
    // head: the second entry moves up when the head leaves; else the source fills it
    if (rf_pop && (hd_n_q == 2'd2)) begin
      hd0_q <= hd1_q;
    end else if (hd_n_q == 2'd0 || rf_pop) begin
      hd0_q <= src;
    end
    if (hd_take && hd_n_q == 2'd1 && !rf_pop) begin
      hd1_q <= src;
    end
  end
  assign rf_valid = (hd_n_q != 2'd0);
  assign {rf_tag, rf_y} = hd0_q;
  assign rf_pop   = rf_valid && rf_ready;

  // ------------------------------------------------------------------ output stage
  linear_post #(
    .TileOut (TileOut),
    .RowW    (RowW)
  ) u_post (
    .clk_i        (clk_i),
    .rst_ni       (rst_ni),
    .rf_valid_i   (rf_valid),
    .rf_ready_o   (rf_ready),
    .rf_y_i       (rf_y),
    .rf_flags_i   (rf_tag[RowW +: 4]),
    .rf_rows_m1_i (rf_tag[RowW-1:0]),
    .side_valid_i (side_valid_i),
    .side_ready_o (post_side_ready),
    .side_data_i  (side_data_i),
    .out_valid_o  (out_valid_o),
    .out_ready_i  (out_ready_i),
    .out_data_o   (out_data_o)
  );

  // the ready mirrors the metadata queue's count (mq_cnt_q)
  logic unused;
  assign unused = mq_in_ready;

endmodule
