// LayerNorm kernel over the EmbedDim = 192 channels of a token, bit-exact to
// docs/numerics.md "LayerNorm" (golden: edgemoe.golden.layernorm.layernorm_fixed).
//
// ---- Streams (valid/ready; a transfer happens on a rising edge with valid && ready)
// in  (tokens):     in_data_i  = Lanes act codes (26 bits), lane l = channel b*Lanes + l of beat b
//                   at [l*ActBits +: ActBits]; Beats = EmbedDim / Lanes beats per token, channel order.
// out (tokens):     out_data_o = the normalised token, same packing and beat order.
// prm (parameters): prm_data_i = {beta_exp, gamma_exp, beta lanes, gamma lanes}:
//                   gamma mantissa of channel b*Lanes + l at [l*BBits +: BBits],
//                   beta mantissa at [Lanes*BBits + l*BBits +: BBits],
//                   gamma_exp = fg - BFracMin at [2*Lanes*BBits +: BExpBits],
//                   beta_exp  = fb - BFracMin at [2*Lanes*BBits + BExpBits +: BExpBits].
//                   One load = Beats beats in channel order; every beat carries the same
//                   two exponent fields. The kernel holds each beat Lanes cycles (one beta
//                   aligned per cycle, see below): a load takes EmbedDim = 192 cycles.
//
// ---- Parameter loads (gamma, beta of one LayerNorm; the integrated top loads them per layer)
// A load is accepted only while the kernel is empty (prm_ready_o = no token held anywhere).
// While prm_valid_i was high in the previous cycle at a token boundary, or a load is under
// way, no new token is accepted, so a load offered between two tokens applies to every later
// token and to no earlier one: tokens already accepted drain with the old parameters first.
// (in_ready_o follows the registered prm_valid_i, so a token whose first beat is accepted in
// the very cycle the load is first offered is an earlier token.) After reset no token is
// accepted until a complete load (the parameter RAMs are not reset).
// Beta is stored pre-aligned: bh = (beta << sb) + 2^(so-1), sb = LnZFrac + fg - fb in [5, 35],
// so = LnZFrac + fg - ActFrac, 52 bits, so the element datapath adds it to z * gamma without
// a per-lane shifter. One shared shifter forms one bh per cycle while the beat is held
// (prm_ready_o rises on the beat's last lane), in three register stages (operands; shift and
// rounding bit; sum into the lane's RAM); a load happens once per LayerNorm layer.
//
// ---- Datapath
// Input beats are written into a circular token buffer (ln_ram, BufWords beats) and feed
// the statistics (ln_stats: S1, S2). Each completed token's (S1, S2) goes through a FIFO to
// ln_rstd (W, normalisation, isqrt, division -> R and the z shift; StepsPerCycle isqrt ->
// division chains, one digit per cycle each, take the tokens in turn), whose result (S1, R,
// zsh) waits in a FIFO until the reader streams the token's beats out of the buffer through
// Lanes element datapaths (ln_lane, 11 register stages counting the buffer read) into a
// 2-entry output FIFO. That FIFO is the skid buffer: the pipeline advances on its registered
// "not full", so out_ready_i has no combinational path into the pipeline. Statistics of
// token t+1 accumulate while token t is normalised and sent out. A buffer word is freed
// as soon as it is read, and BufWords = Beats + max(Beats, L) (L below) is enough for
// the writer never to wait on the reader at full rate: the buffer holds two tokens or
// more (a word-granular double buffer). Every stage is at most one adder, one DSP
// multiply or one variable shift deep (300 MHz on the xczu9eg-2, docs/timing.md); in_ready_o
// is one LUT of registers (no prm_valid_i -> in_ready_o path).
//
// ---- Cycles (no idle input cycles, no backpressure; IterS = 31, IterD = 25, the isqrt and
// division digit recurrences at one digit per cycle; TreeLevels = ceil(log2 Lanes), the lane
// adder tree of the statistics; Units = StepsPerCycle chains)
//   L       = 16 + TreeLevels + IterS + IterD
//                                  last input beat accepted -> first buffer read of that token
//                                  (4 + TreeLevels statistics, 1 FIFO, 9 + IterS + IterD
//                                  ln_rstd, 1 FIFO, 1 reader)
//   latency = 2 * Beats + L + 10   first input beat accepted -> last output beat accepted
//                                  (11 pipeline stages and the output FIFO after the read)
//   period  = max(Beats, ceil((IterS + 3) / Units)) cycles per token (a chain takes a token
//                                  every IterS + 3 = 34 cycles); exact when Units = 1 or
//                                  Beats >= (IterS + 3) / Units, otherwise the mean rounded up
//   N tokens: latency + (N - 1) * period cycles.
// One beat (Lanes results) per cycle in steady state as long as 34 <= Units * Beats:
// StepsPerCycle = 1 covers Lanes <= 4 (Beats >= 48), 2 covers Lanes <= 8, 3 covers
// Lanes <= 16 (one token per 12 cycles); otherwise the kernel runs at the chains' rate.
// Measured (sim/tb/test_layernorm.py, equal to the formulas): Lanes 1, Steps 1: latency 466,
// period 192; Lanes 16, Steps 3 (the architecture's): latency 110, period 12; Lanes 8,
// Steps 1: latency 133, period 34 (rstd-bound: 24 beats per token).
module layernorm
  import edgemoe_pkg::*;
#(
  parameter int unsigned Lanes         = LnLanes,
  parameter int unsigned StepsPerCycle = LnSteps,   // isqrt/division chains (one digit per cycle each)
  // Derived
  localparam int unsigned PrmW = 2 * Lanes * BBits + 2 * BExpBits
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  // parameter load stream
  input  logic                     prm_valid_i,
  output logic                     prm_ready_o,
  input  logic [PrmW-1:0]          prm_data_i,
  // token input stream
  input  logic                     in_valid_i,
  output logic                     in_ready_o,
  input  logic [Lanes*ActBits-1:0] in_data_i,
  // token output stream
  output logic                     out_valid_o,
  input  logic                     out_ready_i,
  output logic [Lanes*ActBits-1:0] out_data_o
);

  localparam int unsigned Beats    = EmbedDim / Lanes;
  localparam int unsigned IterS    = 31;   // isqrt digits, one per cycle
  localparam int unsigned IterD    = 25;   // division digits, one per cycle
  localparam int unsigned TreeLvls = (Lanes > 1) ? $clog2(Lanes) : 0;
  localparam int unsigned LatL     = 16 + TreeLvls + IterS + IterD;
  localparam int unsigned BufWords = Beats + ((LatL > Beats) ? LatL : Beats);
  // Completed tokens not yet read out all fit the buffer: at most BufWords / Beats.
  localparam int unsigned MaxToks  = BufWords / Beats;
  localparam int unsigned BufAW    = $clog2(BufWords);
  localparam int unsigned CntW     = $clog2(BufWords + 1);
  localparam int unsigned BeatW    = (Beats > 1) ? $clog2(Beats) : 1;
  localparam int unsigned S1W      = ActBits + $clog2(EmbedDim);
  localparam int unsigned S2W      = 2 * (ActBits - 1) + $clog2(EmbedDim);
  localparam int unsigned RstdW    = 25;
  localparam int unsigned ZShW     = 6;
  localparam int unsigned SbW      = 6;
  localparam int unsigned SoW      = 5;
  localparam int unsigned ResW     = S1W + RstdW + ZShW;
  // W >= LnEpsTerm bounds g = floor((62 - bitlen W) / 2) from above and W < 2^67 from below
  // (g >= -3): the z shift LnK - LnZFrac - g lies in [ZShMin, ZShMin + ZsMax].
  localparam int unsigned GMax     = (62 - $clog2(LnEpsTerm + 1)) / 2;      // 17
  localparam int unsigned ZShMin   = LnK - LnZFrac - GMax;                  // 17
  localparam int unsigned ZsMax    = GMax + 3;                              // 20
  localparam int unsigned ZsW      = $clog2(ZsMax + 1);

  // Beta is aligned to z * gamma by sb = LnZFrac + fg - fb >= 0 for every exponent pair.
  if (LnZFrac + BFracMin < BFracMax) begin : g_bad_exp_range
    $error("layernorm: beta shift LnZFrac + fg - fb can be negative");
  end
  if (Beats * Lanes != EmbedDim) begin : g_bad_lanes
    $error("layernorm: Lanes must divide EmbedDim");
  end

  function automatic logic [BufAW-1:0] buf_next(input logic [BufAW-1:0] p);
    buf_next = (p == BufAW'(BufWords - 1)) ? '0 : p + BufAW'(1);
  endfunction

  // ------------------------------------------------------------------ output pipeline control
  // v_q[k]: stage k holds a beat (0: buffer read, 1-10: ln_lane's stages, 10: y).
  localparam int unsigned Stages = 11;
  logic [Stages-1:0] v_q;
  logic       advance, issue, oq_in_ready;
  assign advance = oq_in_ready;

  // ------------------------------------------------------------------ parameter load
  localparam int unsigned LaneW = (Lanes > 1) ? $clog2(Lanes) : 1;
  localparam int unsigned BhW   = BBits + (LnZFrac + BFracMax - BFracMin) + 1;  // 52, as ln_lane AccW

  logic             params_ok_q, loading_q, idle, idle_q;
  logic [BeatW-1:0] prm_beat_q;
  logic [LaneW-1:0] ld_lane_q;   // beta lane aligned this cycle
  logic [BExpBits-1:0] ge_q;   // gamma exponent field of the loaded parameters
  logic             prm_work, prm_fire, prm_last, ld_last_lane;
  logic [BExpBits-1:0]     gexp, bexp;
  logic [SbW-1:0]          sb_cur;
  logic [SoW-1:0]          so_cur;
  logic signed [BBits-1:0] beta_sel;
  logic signed [BhW-1:0]   bh_new;
  // beta alignment pipeline (stage 1: operands, 2: shift and rounding bit, 3: sum -> RAM)
  logic                    bw_1_q, bw_2_q;
  logic [LaneW-1:0]        bl_1_q, bl_2_q;
  logic [BeatW-1:0]        bb_1_q, bb_2_q;
  logic signed [BBits-1:0] beta_1_q;
  logic [SbW-1:0]          sb_1_q;
  logic [SoW-1:0]          so_1_q;
  logic signed [BhW-1:0]   bsh_2_q, brc_2_q;

  logic [CntW-1:0]  words_q;     // buffer words written and not yet read
  logic [BeatW-1:0] wr_beat_q;

  // out_of_reset_q keeps prm_ready_o low while the kernel is held in reset.
  logic out_of_reset_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      out_of_reset_q <= 1'b0;
    end else begin
      out_of_reset_q <= 1'b1;
    end
  end

  // idle_q: the kernel holds no token (registered: one cycle late when it becomes empty,
  // never late when a token enters). A load starts once prm_valid_i was high in the previous
  // cycle too (prm_req_q), when in_ready_o already holds new tokens back.
  assign idle         = (words_q == '0) && (wr_beat_q == '0) && (v_q == '0);
  assign ld_last_lane = (ld_lane_q == LaneW'(Lanes - 1));
  assign prm_work     = prm_valid_i && prm_req_q && idle_q && out_of_reset_q;
  assign prm_ready_o  = prm_req_q && idle_q && out_of_reset_q && ld_last_lane;
  assign prm_fire     = prm_valid_i && prm_ready_o;
  assign prm_last     = (prm_beat_q == BeatW'(Beats - 1));
  assign gexp         = prm_data_i[2*Lanes*BBits +: BExpBits];
  assign bexp         = prm_data_i[2*Lanes*BBits + BExpBits +: BExpBits];
  // sb = LnZFrac + fg - fb, so = LnZFrac + fg - ActFrac (fg, fb = BFracMin + exp field).
  assign sb_cur       = SbW'(LnZFrac) + SbW'(gexp) - SbW'(bexp);
  assign so_cur       = SoW'(LnZFrac + BFracMin - ActFrac) + SoW'(gexp);
  assign beta_sel     = prm_data_i[Lanes*BBits + ld_lane_q*BBits +: BBits];
  assign bh_new       = bsh_2_q + brc_2_q;

  // The aligned beta is written two cycles after its beat was offered; the RAM is read
  // only by tokens accepted after the load, many cycles later.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      bw_1_q <= 1'b0;
      bw_2_q <= 1'b0;
    end else begin
      bw_1_q <= prm_work;
      bw_2_q <= bw_1_q;
    end
  end

  always_ff @(posedge clk_i) begin
    beta_1_q <= beta_sel;
    sb_1_q   <= sb_cur;
    so_1_q   <= so_cur;
    bl_1_q   <= ld_lane_q;
    bb_1_q   <= prm_beat_q;
    bsh_2_q  <= BhW'(beta_1_q) <<< sb_1_q;
    brc_2_q  <= $signed(BhW'(1) << (so_1_q - SoW'(1)));
    bl_2_q   <= bl_1_q;
    bb_2_q   <= bb_1_q;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      params_ok_q <= 1'b0;
      loading_q   <= 1'b0;
      prm_beat_q  <= '0;
      ld_lane_q   <= '0;
      ge_q        <= '0;
    end else begin
      if (prm_work) begin
        loading_q <= 1'b1;
        ld_lane_q <= ld_last_lane ? '0 : ld_lane_q + LaneW'(1);
      end
      if (prm_fire) begin
        if (prm_last) begin
          prm_beat_q  <= '0;
          loading_q   <= 1'b0;
          params_ok_q <= 1'b1;
          ge_q        <= gexp;
        end else begin
          prm_beat_q <= prm_beat_q + BeatW'(1);
        end
      end
    end
  end

  logic [BeatW-1:0]       gb_raddr;
  logic [Lanes*BBits-1:0] gamma_6;

  ln_ram #(.Width(Lanes * BBits), .Depth(Beats)) u_gamma (
    .clk_i,
    .we_i   (prm_fire),
    .waddr_i(prm_beat_q),
    .wdata_i(prm_data_i[0 +: Lanes*BBits]),
    .re_i   (advance),
    .raddr_i(gb_raddr),
    .rdata_o(gamma_6)
  );

  // ------------------------------------------------------------------ input: buffer and statistics
  logic             in_fire, in_last;
  logic [BufAW-1:0] wr_ptr_q, rd_ptr_q;
  logic             prm_block, prm_req_q, wr_first_q, full_q;

  // A pending or running parameter load holds new tokens back at a token boundary. The
  // request is the registered prm_valid_i (no combinational prm_valid_i -> in_ready_o path):
  // a token whose first beat is accepted in the cycle the load is first offered still uses
  // the old parameters.
  assign prm_block  = loading_q || (prm_req_q && wr_first_q);
  assign in_ready_o = params_ok_q && !prm_block && !full_q;
  assign in_fire    = in_valid_i && in_ready_o;
  assign in_last    = (wr_beat_q == BeatW'(Beats - 1));

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wr_ptr_q   <= '0;
      wr_beat_q  <= '0;
      wr_first_q <= 1'b1;
      prm_req_q  <= 1'b0;
    end else begin
      prm_req_q <= prm_valid_i;
      if (in_fire) begin
        wr_ptr_q   <= buf_next(wr_ptr_q);
        wr_beat_q  <= in_last ? '0 : wr_beat_q + BeatW'(1);
        wr_first_q <= in_last;
      end
    end
  end

  // full_q = (words_q == BufWords), kept as a register so in_ready_o is one LUT of flops.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      words_q <= '0;
      full_q  <= 1'b0;
    end else if (in_fire && !issue) begin
      words_q <= words_q + CntW'(1);
      full_q  <= (words_q == CntW'(BufWords - 1));
    end else if (issue && !in_fire) begin
      words_q <= words_q - CntW'(1);
      full_q  <= 1'b0;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      idle_q <= 1'b0;
    end else begin
      idle_q <= idle && !in_fire;
    end
  end

  logic [Lanes*ActBits-1:0] x_0;

  ln_ram #(.Width(Lanes * ActBits), .Depth(BufWords)) u_buf (
    .clk_i,
    .we_i   (in_fire),
    .waddr_i(wr_ptr_q),
    .wdata_i(in_data_i),
    .re_i   (advance),
    .raddr_i(rd_ptr_q),
    .rdata_o(x_0)
  );

  logic                  st_valid;
  logic signed [S1W-1:0] st_s1;
  logic [S2W-1:0]        st_s2;

  ln_stats #(.Lanes(Lanes)) u_stats (
    .clk_i,
    .rst_ni,
    .in_valid_i (in_fire),
    .in_data_i  (in_data_i),
    .in_last_i  (in_last),
    .out_valid_o(st_valid),
    .out_s1_o   (st_s1),
    .out_s2_o   (st_s2)
  );

  // Every entry is a completed token still in the buffer, so MaxToks entries never
  // overflow and the statistics pipeline needs no backpressure.
  logic                  unused_stq_ready;
  logic                  stq_valid, rs_in_ready;
  logic [S1W+S2W-1:0]    stq_data;

  stream_fifo #(.Width(S1W + S2W), .Depth(MaxToks)) u_stq (
    .clk_i,
    .rst_ni,
    .in_valid_i (st_valid),
    .in_ready_o (unused_stq_ready),
    .in_data_i  ({st_s1, st_s2}),
    .out_valid_o(stq_valid),
    .out_ready_i(rs_in_ready),
    .out_data_o (stq_data)
  );

  // ------------------------------------------------------------------ per-token R, shift
  logic                  rs_valid, resq_in_ready;
  logic signed [S1W-1:0] rs_s1;
  logic [RstdW-1:0]      rs_r;
  logic [ZShW-1:0]       rs_zsh;

  ln_rstd #(.Units(StepsPerCycle)) u_rstd (
    .clk_i,
    .rst_ni,
    .in_valid_i (stq_valid),
    .in_ready_o (rs_in_ready),
    .in_s1_i    (stq_data[S2W +: S1W]),
    .in_s2_i    (stq_data[0 +: S2W]),
    .out_valid_o(rs_valid),
    .out_ready_i(resq_in_ready),
    .out_s1_o   (rs_s1),
    .out_r_o    (rs_r),
    .out_zsh_o  (rs_zsh)
  );

  // The head is the token being read out; it is popped with the token's last beat, and
  // the second entry lets the next token's result wait there meanwhile.
  logic            res_valid, res_pop;
  logic [ResW-1:0] res_data;

  stream_fifo #(.Width(ResW), .Depth(2)) u_resq (
    .clk_i,
    .rst_ni,
    .in_valid_i (rs_valid),
    .in_ready_o (resq_in_ready),
    .in_data_i  ({rs_s1, rs_r, rs_zsh}),
    .out_valid_o(res_valid),
    .out_ready_i(res_pop),
    .out_data_o (res_data)
  );

  // ------------------------------------------------------------------ reader and element pipeline
  logic [BeatW-1:0] rd_beat_q;
  logic             rd_last;
  assign issue   = advance && res_valid;
  assign rd_last = (rd_beat_q == BeatW'(Beats - 1));
  assign res_pop = issue && rd_last;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rd_ptr_q  <= '0;
      rd_beat_q <= '0;
    end else if (issue) begin
      rd_ptr_q  <= buf_next(rd_ptr_q);
      rd_beat_q <= rd_last ? '0 : rd_beat_q + BeatW'(1);
    end
  end

  // Per-token operands travel with the beats: the head may change while older beats are
  // still in the pipeline.
  // s1_k_q, r_k_q, zs_k_q, idx_k_q belong to the beat in stage k.
  logic signed [S1W-1:0] s1_0_q, s1_1_q;
  logic [RstdW-1:0]      r_0_q, r_1_q, r_2_q;
  logic [ZsW-1:0]        zs_q [5];   // z shift - ZShMin, stages 0-4
  logic [BeatW-1:0]      idx_q [7];  // channel beat, stages 0-6

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      v_q <= '0;
    end else if (advance) begin
      v_q <= {v_q[Stages-2:0], issue};
    end
  end

  // With a reset, so they map to flip-flops rather than SRLs (an SRL's clock-to-out is 0.9 ns).
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      s1_0_q <= '0;
      s1_1_q <= '0;
      r_0_q  <= '0;
      r_1_q  <= '0;
      r_2_q  <= '0;
      for (int unsigned k = 0; k < 5; k++) begin
        zs_q[k] <= '0;
      end
      for (int unsigned k = 0; k < 7; k++) begin
        idx_q[k] <= '0;
      end
    end else if (advance) begin
      s1_0_q   <= res_data[RstdW + ZShW +: S1W];
      r_0_q    <= res_data[ZShW +: RstdW];
      zs_q[0]  <= ZsW'(res_data[0 +: ZShW] - ZShW'(ZShMin));
      idx_q[0] <= rd_beat_q;
      s1_1_q   <= s1_0_q;
      r_1_q    <= r_0_q;
      r_2_q    <= r_1_q;
      for (int unsigned k = 1; k < 5; k++) begin
        zs_q[k] <= zs_q[k-1];
      end
      for (int unsigned k = 1; k < 7; k++) begin
        idx_q[k] <= idx_q[k-1];
      end
    end
  end

  // gamma and bh are read for stage 6 (ln_ram: registered read); bh is registered once more
  // for stage 7 (the block RAM's output register) before the 52-bit add.
  assign gb_raddr = idx_q[5];

  logic [Lanes*ActBits-1:0] y_10;

  for (genvar l = 0; l < Lanes; l++) begin : g_lane
    logic signed [ActBits-1:0] y;
    logic [BhW-1:0]            bh_6, bh_7_q;

    always_ff @(posedge clk_i) begin
      if (advance) begin
        bh_7_q <= bh_6;
      end
    end

    // bh of this lane's channels, written while its beta is aligned during a load.
    ln_ram #(.Width(BhW), .Depth(Beats)) u_bh (
      .clk_i,
      .we_i   (bw_2_q && (bl_2_q == LaneW'(l))),
      .waddr_i(bb_2_q),
      .wdata_i(bh_new),
      .re_i   (advance),
      .raddr_i(gb_raddr),
      .rdata_o(bh_6)
    );

    ln_lane #(
      .ZShMin(ZShMin),
      .ZsW   (ZsW)
    ) u_lane (
      .clk_i,
      .rst_ni,
      .en_i   (advance),
      .x_i    (x_0[l*ActBits +: ActBits]),
      .s1_i   (s1_1_q),
      .r_i    (r_2_q),
      .zs_i   (zs_q[4]),
      .gamma_i(gamma_6[l*BBits +: BBits]),
      .bh_i   (bh_7_q),
      .ge_i   (ge_q),
      .y_o    (y)
    );
    assign y_10[l*ActBits +: ActBits] = y;
  end

  stream_fifo #(.Width(Lanes * ActBits), .Depth(2)) u_outq (
    .clk_i,
    .rst_ni,
    .in_valid_i (v_q[Stages-1]),
    .in_ready_o (oq_in_ready),
    .in_data_i  (y_10),
    .out_valid_o(out_valid_o),
    .out_ready_i(out_ready_i),
    .out_data_o (out_data_o)
  );

endmodule
