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
//      In mode embed the side beat is taken with the token's first act beat
//      (chunk 0), not at the output: act_ready_o waits for side_valid_i there.
//      It is taken only when no resid/scaled beat of an earlier pass still
//      waits for its side beat, so the side stream stays in pass order.
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
// products, adder tree, accumulator; in mode embed a side queue of ResDepth
// entries carries the token's add row alongside) -> linear_round (6) -> result queue
// (ResDepth entries, 1) -> linear_post (5 + GELU 7). Everything before the
// result queue is free-running; a token's first chunk is issued only when the
// queue has a credit for its result (tokens in flight < ResDepth), so
// backpressure on out never stalls the array mid-token. ResDepth >= MacLat + 8
// keeps the array busy every cycle at K <= TileIn with the output ready.
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
//   CE_g = CS_g + T Kt - 1                         last act beat of slab g
//   a pass's last output beat leaves at CE_last + Lat.
// (CE_{-1}, CE_{-2} = -inf. The MacLat term is the 2-entry metadata queue and
// binds only when T Kt < MacLat.) The array thus idles only while a slab's
// weights are not yet loaded: it is busy every cycle from slab g-1 into slab g
// whenever R_g Kt_g <= T_{g-1} Kt_{g-1} (the load of a slab fits into the
// compute of the one before it; within a pass: R <= T), also across passes.
// Closed forms for one isolated pass (cycles = cfg handshake .. last output):
//   compute-bound (T >= TileOut, T Kt >= MacLat):
//       cycles = S T Kt  +  R_0 Kt  +  Lat + 1
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
  localparam int unsigned ResDepth = 1 << $clog2(MacLat + 8);
  localparam int unsigned InflW    = $clog2(ResDepth + 1);
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
  logic [1:0][ChunkW-1:0]              bk_kt_m1_q;
  logic [1:0][CfgTW-1:0]               bk_t_m1_q;

  // ------------------------------------------------------------------ loader
  logic                 ld_busy_q;
  logic [3:0]           ld_flags_q;
  logic                 ld_embed_q;
  logic                 ld_has_bias_q;
  logic [BExpBits-1:0]  ld_bexp_q;
  logic [ChunkW-1:0]    ld_kt_m1_q;
  logic [CfgTW-1:0]     ld_t_m1_q;
  logic [CfgNW:0]       ld_n_left_q;     // rows still to load, this slab's included
  logic [RowW-1:0]      ld_row_q;
  logic [ChunkW-1:0]    ld_chunk_q;
  logic                 ld_bank_q;
  logic                 ld_wdone_q, ld_bgot_q;
  // ld_chunk_q == ld_kt_m1_q and the lanes kept in the last chunk, as registers (300 MHz)
  logic                 ld_clast_q;
  logic [TileIn-1:1]    ld_lkeep_q;   // lane 0 is always kept

  // ld_last_slab = (ld_n_left_q <= TileOut) and the slab's rows - 1, kept as registers
  // beside ld_n_left_q (written together with it), so no compare runs into the commit.
  logic                 ld_last_slab;
  logic [RowW-1:0]      ld_rows_m1;
  logic                 w_fire, b_fire, ld_w_last, ld_commit, cfg_fire;
  assign cfg_ready_o  = !ld_busy_q;
  assign cfg_fire     = cfg_valid_i && cfg_ready_o;
  assign w_ready_o    = ld_busy_q && !full_q[ld_bank_q] && !ld_wdone_q;
  assign b_ready_o    = ld_busy_q && !full_q[ld_bank_q] && ld_has_bias_q && !ld_bgot_q;
  assign w_fire       = w_valid_i && w_ready_o;
  assign b_fire       = b_valid_i && b_ready_o;
  assign ld_w_last    = w_fire && (ld_row_q == ld_rows_m1) && ld_clast_q;
  // The slab is complete in the cycle its last weight beat and its bias beat
  // (if any) have both arrived: no dead cycle between slabs.
  assign ld_commit    = ld_busy_q && (ld_wdone_q || ld_w_last)
                        && (!ld_has_bias_q || ld_bgot_q || b_fire);

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
      ld_t_m1_q     <= '0;
      ld_n_left_q   <= '0;
      ld_row_q      <= '0;
      ld_chunk_q    <= '0;
      ld_bank_q     <= 1'b0;
      ld_wdone_q    <= 1'b0;
      ld_bgot_q     <= 1'b0;
      ld_clast_q    <= 1'b0;
      ld_lkeep_q    <= '0;
      ld_last_slab  <= 1'b0;
      ld_rows_m1    <= '0;
      bk_exps_q     <= '0;
      bk_bias_q     <= '0;
      bk_has_bias_q <= '0;
      bk_bexp_q     <= '0;
      bk_flags_q    <= '0;
      bk_embed_q    <= '0;
      bk_rows_m1_q  <= '0;
      bk_kt_m1_q    <= '0;
      bk_t_m1_q     <= '0;
    end else begin
      if (cfg_fire) begin
        ld_busy_q     <= 1'b1;
        ld_flags_q    <= cfg_flags;
        ld_embed_q    <= (cfg_mode == ModeEmbed);
        ld_has_bias_q <= cfg_data_i[3];
        ld_bexp_q     <= cfg_data_i[4 +: BExpBits];
        ld_kt_m1_q    <= ChunkW'(cfg_k_m1 >> LogIn);
        // a pass starts at chunk 0 (the previous one ended on a row's last chunk)
        ld_clast_q    <= (ChunkW'(cfg_k_m1 >> LogIn) == '0);
        for (int unsigned i = 1; i < TileIn; i++) begin
          ld_lkeep_q[i] <= (LogIn'(i) <= cfg_k_m1[LogIn-1:0]);
        end
        ld_t_m1_q     <= cfg_t_m1;
        ld_n_left_q   <= (CfgNW+1)'(cfg_n_m1) + (CfgNW+1)'(1);
        ld_last_slab  <= ((CfgNW+1)'(cfg_n_m1) < (CfgNW+1)'(TileOut));
        ld_rows_m1    <= ((CfgNW+1)'(cfg_n_m1) < (CfgNW+1)'(TileOut)) ? RowW'(cfg_n_m1) : RowW'(TileOut - 1);
      end
      if (w_fire) begin
        if (ld_chunk_q == '0) begin
          bk_exps_q[ld_bank_q][ld_row_q*WExpBits +: WExpBits] <= w_data_i[TileIn*WBits +: WExpBits];
        end
        if (ld_clast_q) begin
          ld_chunk_q <= '0;
          ld_clast_q <= (ld_kt_m1_q == '0);
          if (ld_row_q == ld_rows_m1) begin
            ld_row_q   <= '0;
            ld_wdone_q <= 1'b1;
          end else begin
            ld_row_q <= ld_row_q + RowW'(1);
          end
        end else begin
          ld_chunk_q <= ld_chunk_q + ChunkW'(1);
          ld_clast_q <= (ld_chunk_q + ChunkW'(1) == ld_kt_m1_q);
        end
      end
      if (b_fire) begin
        bk_bias_q[ld_bank_q] <= b_data_i;
        ld_bgot_q            <= 1'b1;
      end
      if (ld_commit) begin
        bk_has_bias_q[ld_bank_q] <= ld_has_bias_q;
        bk_bexp_q[ld_bank_q]     <= ld_bexp_q;
        bk_flags_q[ld_bank_q]    <= ld_flags_q;
        bk_embed_q[ld_bank_q]    <= ld_embed_q;
        bk_rows_m1_q[ld_bank_q]  <= ld_rows_m1;
        bk_kt_m1_q[ld_bank_q]    <= ld_kt_m1_q;
        bk_t_m1_q[ld_bank_q]     <= ld_t_m1_q;
        ld_bank_q                <= !ld_bank_q;
        ld_wdone_q               <= 1'b0;
        ld_bgot_q                <= 1'b0;
        ld_n_left_q              <= ld_n_left_q - (CfgNW+1)'(TileOut);
        ld_last_slab             <= (ld_n_left_q <= (CfgNW+1)'(2 * TileOut));
        ld_rows_m1               <= (ld_n_left_q <= (CfgNW+1)'(2 * TileOut))
                                    ? RowW'(ld_n_left_q - (CfgNW+1)'(TileOut + 1)) : RowW'(TileOut - 1);
        if (ld_last_slab) ld_busy_q <= 1'b0;
      end
    end
  end

  // ------------------------------------------------------------------ issue (compute side)
  logic                 cp_bank_q;
  logic [ChunkW-1:0]    cp_chunk_q;
  logic [CfgTW-1:0]     cp_tok_q;
  logic                 cp_started_q;
  logic [InflW-1:0]     inflight_q;
  logic                 mq_in_ready, mq_out_valid, mq_pop;
  logic                 rf_pop;
  logic                 cp_first, cp_last, cp_slab_last, issue, credit_ok;
  logic                 act_ok, cp_embed, cp_side_late, side_free, es_take, es_in_ready;
  logic                 post_side_ready, post_side_fire;
  logic [InflW-1:0]     side_pend_q;     // resid/scaled tokens issued whose side beat is not taken yet

  assign cp_first     = (cp_chunk_q == '0);
  assign cp_last      = (cp_chunk_q == bk_kt_m1_q[cp_bank_q]);
  assign cp_slab_last = cp_last && (cp_tok_q == bk_t_m1_q[cp_bank_q]);
  assign credit_ok    = (inflight_q < InflW'(ResDepth));
  assign cp_embed     = bk_embed_q[cp_bank_q];
  assign cp_side_late = bk_flags_q[cp_bank_q][2] || bk_flags_q[cp_bank_q][3];
  assign side_free    = (side_pend_q == '0) && es_in_ready;
  assign act_ok       = full_q[cp_bank_q] && (cp_started_q || mq_in_ready) && (!cp_first || credit_ok);
  // mode embed: a token's first chunk waits for its side beat (taken in the same cycle)
  assign act_ready_o  = act_ok && (!(cp_first && cp_embed) || (side_valid_i && side_free));
  assign es_take      = act_valid_i && act_ok && cp_first && cp_embed && side_free;
  assign side_ready_o = post_side_ready || es_take;
  assign post_side_fire = side_valid_i && post_side_ready;
  assign issue        = act_valid_i && act_ready_o;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      cp_bank_q    <= 1'b0;
      cp_chunk_q   <= '0;
      cp_tok_q     <= '0;
      cp_started_q <= 1'b0;
      inflight_q   <= '0;
      side_pend_q  <= '0;
      full_q       <= '0;
    end else begin
      if (ld_commit) full_q[ld_bank_q] <= 1'b1;
      if (issue) begin
        if (cp_last) begin
          cp_chunk_q <= '0;
          cp_tok_q   <= cp_slab_last ? '0 : cp_tok_q + CfgTW'(1);
        end else begin
          cp_chunk_q <= cp_chunk_q + ChunkW'(1);
        end
        cp_started_q <= !cp_slab_last;
        if (cp_slab_last) begin
          full_q[cp_bank_q] <= 1'b0;
          cp_bank_q         <= !cp_bank_q;
        end
      end
      if ((issue && cp_first && cp_side_late) && !post_side_fire) begin
        side_pend_q <= side_pend_q + InflW'(1);
      end else if (!(issue && cp_first && cp_side_late) && post_side_fire) begin
        side_pend_q <= side_pend_q - InflW'(1);
      end
      if ((issue && cp_first) && !rf_pop) begin
        inflight_q <= inflight_q + InflW'(1);
      end else if (!(issue && cp_first) && rf_pop) begin
        inflight_q <= inflight_q - InflW'(1);
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

  // ------------------------------------------------------------------ embed side queue
  // One entry per embed token between its first issue and its accumulator result
  // (at most ResDepth: the credits), popped with the result.
  logic [EsW-1:0]  es_in, es_out;
  logic            es_valid;
  logic [TileOut*BBits-1:0] es_add;
  for (genvar r = 0; r < TileOut; r++) begin : g_es
    assign es_add[r*BBits +: BBits] = side_data_i[r*MoeAccBits +: BBits];
  end
  assign es_in = {side_data_i[TileOut*MoeAccBits +: BExpBits], es_add};

  stream_fifo #(
    .Width (EsW),
    .Depth (ResDepth)
  ) u_es (
    .clk_i       (clk_i),
    .rst_ni      (rst_ni),
    .in_valid_i  (issue && cp_first && cp_embed),
    .in_ready_o  (es_in_ready),
    .in_data_i   (es_in),
    .out_valid_o (es_valid),
    .out_ready_i (res_valid && m_embed),
    .out_data_o  (es_out)
  );

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
    .add_en_i    (m_embed && es_valid),
    .add_i       (es_out[TileOut*BBits-1:0]),
    .aexp_i      (es_out[TileOut*BBits +: BExpBits]),
    .tag_i       ({m_flags, m_rows_m1}),
    .out_valid_o (rd_valid),
    .out_y_o     (rd_y),
    .out_tag_o   (rd_tag)
  );

  // ------------------------------------------------------------------ result queue (credits)
  logic                     rf_valid, rf_ready, rf_in_ready;
  logic [TileOut*YW-1:0]    rf_y;
  logic [4+RowW-1:0]        rf_tag;
  stream_fifo #(
    .Width (TileOut*YW + 4 + RowW),
    .Depth (ResDepth)
  ) u_res (
    .clk_i       (clk_i),
    .rst_ni      (rst_ni),
    // never full here: the issue logic holds one credit per result in flight
    .in_valid_i  (rd_valid && rf_in_ready),
    .in_ready_o  (rf_in_ready),
    .in_data_i   ({rd_tag, rd_y}),
    .out_valid_o (rf_valid),
    .out_ready_i (rf_ready),
    .out_data_o  ({rf_tag, rf_y})
  );
  assign rf_pop = rf_valid && rf_ready;

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

endmodule
