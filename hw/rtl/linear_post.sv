// Output stage of the unified linear unit (linear_unit.sv): the mode-specific
// narrowing of one output beat (TileOut rows of one token), the join with the
// side stream (resid x_old, scaled acc_in and p) and the fused GELU.
//
// Stream rf (in, from the result queue): rf_y_i = TileOut rounded sums y
//   clamped to ActBits+2 bits, row r at [r*(ActBits+2) +: ActBits+2]; with the
//   beat's mode flags rf_flags_i = {scaled, resid, q, gelu} (all 0: plain) and
//   rf_rows_m1_i = valid rows of the slab - 1.
// Stream side (in; consumed only for the rf beats in mode resid or scaled, one
//   side beat per such rf beat): side_data_i row r at
//   [r*MoeAccBits +: MoeAccBits]: resid: x_old act code in the low ActBits bits
//   (upper bits ignored); scaled: acc_in moe_acc code. p (scaled only, PBits
//   unsigned) at [TileOut*MoeAccBits +: PBits].
// Stream out: out_data_o row r at [r*MoeAccBits +: MoeAccBits], the mode's
//   output code sign-extended to MoeAccBits: act (plain, gelu, resid), q (q),
//   moe_acc (scaled). Rows r > rf_rows_m1_i are 0 (also in mode gelu).
//
// Per row (docs/numerics.md; one rounding in linear_round, then only these):
//   plain:  sat_act(y)            gelu:   GELU(sat_act(y))     q: sat_q(y)
//   resid:  sat_act(x_old + y)
//   scaled: sat_moe_acc(acc_in + round_shift(sat_act(y) * p, 16))
// The final saturation of scaled never acts for inputs inside the contract
// (the expert combine cannot overflow moe_acc; the golden model has no clamp
// there); it only keeps out-of-contract inputs from wrapping.
//
// Pipeline: B0 (join: the rf and side beats registered, they come from LUTRAM
// fall-through reads), B1 (saturations, residual add), B2 (sat_act(y) * p: one
// DSP48E2 per row, 26 x 18 signed), B3 (round_shift of the product), B4 (add
// acc_in, saturate, row mask), all five advancing together (adv: last stage empty
// or taken; one adder or multiply per stage, 300 MHz, docs/timing.md). Then a fork
// into gelu_unit (Lanes = TileOut, 7 stages) and a bypass delay line that carries the
// beat's non-GELU value beside it, shifted by the same advance; both join at the output.
// Every beat crosses the GELU pipeline, so beats of consecutive passes in
// different modes stay in order. Latency rf -> out: 12 cycles; one beat per cycle.
module linear_post
  import edgemoe_pkg::*;
#(
  parameter int unsigned TileOut = LinTileOut,
  parameter int unsigned RowW    = (TileOut > 1) ? $clog2(TileOut) : 1
) (
  input  logic                                clk_i,
  input  logic                                rst_ni,
  input  logic                                rf_valid_i,
  output logic                                rf_ready_o,
  input  logic [TileOut*(ActBits+2)-1:0]      rf_y_i,
  input  logic [3:0]                          rf_flags_i,
  input  logic [RowW-1:0]                     rf_rows_m1_i,
  input  logic                                side_valid_i,
  output logic                                side_ready_o,
  input  logic [TileOut*MoeAccBits+PBits-1:0] side_data_i,
  output logic                                out_valid_o,
  input  logic                                out_ready_i,
  output logic [TileOut*MoeAccBits-1:0]       out_data_o
);

  localparam int unsigned YW    = ActBits + 2;
  localparam int unsigned VW    = MoeAccBits;            // lane width of every value below
  localparam int unsigned MulW  = ActBits + PBits + 1;   // sat_act(y) * p, p made signed
  localparam int unsigned ScW   = MulW - PFrac;          // round_shift(prod, 16)
  localparam int unsigned SumW  = ((ScW > VW) ? ScW : VW) + 1;
  // bypass line entry: {gelu flag, row enables, values}
  localparam int unsigned SfW   = 1 + TileOut + TileOut * VW;
  localparam int unsigned FlagGelu = 0, FlagQ = 1, FlagResid = 2, FlagScaled = 3;

  // ------------------------------------------------------------------ join
  logic need_side, in_valid, adv, fork_ready;
  logic v0_q, v1_q, v2_q, v3_q, v4_q;
  assign need_side    = rf_flags_i[FlagResid] || rf_flags_i[FlagScaled];
  assign in_valid     = rf_valid_i && (!need_side || side_valid_i);
  assign adv          = !v4_q || fork_ready;
  assign rf_ready_o   = adv && (!need_side || side_valid_i);
  assign side_ready_o = adv && rf_valid_i && need_side;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      v0_q <= 1'b0;
      v1_q <= 1'b0;
      v2_q <= 1'b0;
      v3_q <= 1'b0;
      v4_q <= 1'b0;
    end else if (adv) begin
      v0_q <= in_valid;
      v1_q <= v0_q;
      v2_q <= v1_q;
      v3_q <= v2_q;
      v4_q <= v3_q;
    end
  end

  // B0: the joined beat
  logic [TileOut*YW-1:0]               y0_q;
  logic [TileOut*MoeAccBits+PBits-1:0] side0_q;
  logic [3:0]                          flags0_q;
  logic [RowW-1:0]                     rows0_q;
  // {gelu, scaled}: the only flags needed after B1
  logic [1:0]       flags1_q, flags2_q, flags3_q;
  logic             gelu4_q;
  logic [RowW-1:0]  rows1_q, rows2_q, rows3_q;
  logic [PBits-1:0] p1_q;
  always_ff @(posedge clk_i) begin
    if (adv) begin
      y0_q     <= rf_y_i;
      side0_q  <= side_data_i;
      flags0_q <= rf_flags_i;
      rows0_q  <= rf_rows_m1_i;
      flags1_q <= {flags0_q[FlagGelu], flags0_q[FlagScaled]};
      rows1_q  <= rows0_q;
      p1_q     <= side0_q[TileOut*MoeAccBits +: PBits];
      flags2_q <= flags1_q;
      rows2_q  <= rows1_q;
      flags3_q <= flags2_q;
      rows3_q  <= rows2_q;
      gelu4_q  <= flags3_q[1];
    end
  end

  logic [TileOut*VW-1:0]      val4;
  logic [TileOut-1:0]         on4;
  logic [TileOut*ActBits-1:0] gelu_in;

  for (genvar r = 0; r < TileOut; r++) begin : g_row
    // ---- B1: saturations and the residual add
    logic signed [YW-1:0]      y;
    logic signed [ActBits-1:0] x_old;
    logic signed [YW:0]        rsum;
    logic signed [ActBits-1:0] y_act, r_act;
    logic signed [QBits-1:0]   y_q;
    logic signed [VW-1:0]      val1;
    assign y     = y0_q[r*YW +: YW];
    assign x_old = side0_q[r*VW +: ActBits];
    assign rsum  = (YW+1)'(x_old) + (YW+1)'(y);

    always_comb begin
      if (y > YW'($signed({1'b0, {(ActBits-1){1'b1}}}))) begin
        y_act = {1'b0, {(ActBits-1){1'b1}}};
      end else if (y < -YW'($signed({1'b0, {(ActBits-1){1'b1}}})) - YW'(1)) begin
        y_act = {1'b1, {(ActBits-1){1'b0}}};
      end else begin
        y_act = y[ActBits-1:0];
      end
      if (y > YW'($signed({1'b0, {(QBits-1){1'b1}}}))) begin
        y_q = {1'b0, {(QBits-1){1'b1}}};
      end else if (y < -YW'($signed({1'b0, {(QBits-1){1'b1}}})) - YW'(1)) begin
        y_q = {1'b1, {(QBits-1){1'b0}}};
      end else begin
        y_q = y[QBits-1:0];
      end
      // rsum > act.max <=> rsum >= 0 with a one above bit ActBits-2; rsum < act.min <=>
      // rsum < 0 with a zero above bit ActBits-2 (bit tests after the adder, not comparisons)
      if (!rsum[YW] && (|rsum[YW-1:ActBits-1])) begin
        r_act = {1'b0, {(ActBits-1){1'b1}}};
      end else if (rsum[YW] && !(&rsum[YW-1:ActBits-1])) begin
        r_act = {1'b1, {(ActBits-1){1'b0}}};
      end else begin
        r_act = rsum[ActBits-1:0];
      end
      if (flags0_q[FlagQ]) begin
        val1 = VW'(y_q);
      end else if (flags0_q[FlagResid]) begin
        val1 = VW'(r_act);
      end else begin
        val1 = VW'(y_act);
      end
    end

    logic signed [VW-1:0]   val1_q, val2_q, val3_q, acc1_q, acc2_q, acc3_q;
    logic signed [MulW-1:0] prod2_q;
    logic signed [ScW-1:0]  sc, sc3_q;
    always_ff @(posedge clk_i) begin
      if (adv) begin
        val1_q  <= val1;
        // ---- B2: score product (sat_act(y) in the low ActBits of val1_q in mode scaled)
        prod2_q <= MulW'($signed(val1_q[ActBits-1:0])) * MulW'($signed({1'b0, p1_q}));
        // ---- B3: round_shift(prod, 16)
        sc3_q   <= sc;
      end
    end
    // The delay lines with a reset only so they stay flip-flops (not SRLs: 0.9 ns).
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        acc1_q <= '0; acc2_q <= '0; acc3_q <= '0; val2_q <= '0; val3_q <= '0;
      end else if (adv) begin
        acc1_q <= side0_q[r*VW +: VW];
        val2_q <= val1_q;
        acc2_q <= acc1_q;
        val3_q <= val2_q;
        acc3_q <= acc2_q;
      end
    end
    assign sc   = ScW'((prod2_q + (MulW'(1) <<< (PFrac - 1))) >>> PFrac);

    // ---- B4: acc_in + round_shift(prod, 16), saturated to moe_acc; row mask
    logic signed [SumW-1:0] csum;
    logic signed [VW-1:0]   c_sat, val4_d, val4_q;
    logic                   row_on;
    if (r == 0) begin : g_first
      assign row_on = 1'b1;   // every slab has at least one row
    end else begin : g_other
      assign row_on = (RowW'(r) <= rows3_q);
    end
    assign csum = SumW'(acc3_q) + SumW'(sc3_q);
    always_comb begin
      if (csum > SumW'($signed({1'b0, {(VW-1){1'b1}}}))) begin
        c_sat = {1'b0, {(VW-1){1'b1}}};
      end else if (csum < -SumW'($signed({1'b0, {(VW-1){1'b1}}})) - SumW'(1)) begin
        c_sat = {1'b1, {(VW-1){1'b0}}};
      end else begin
        c_sat = csum[VW-1:0];
      end
      if (!row_on) begin
        val4_d = '0;
      end else if (flags3_q[0]) begin
        val4_d = c_sat;
      end else begin
        val4_d = val3_q;
      end
    end
    logic on4_q;
    always_ff @(posedge clk_i) begin
      if (adv) begin
        val4_q <= val4_d;
        on4_q  <= row_on;
      end
    end
    assign val4[r*VW +: VW]               = val4_q;
    assign on4[r]                         = on4_q;
    // in mode gelu val4_q = sat_act(y); masked rows are zeroed after the GELU
    // (GELU(0) is -1 code: the table's d(0) is slightly positive)
    assign gelu_in[r*ActBits +: ActBits] = val4_q[ActBits-1:0];
  end

  // ------------------------------------------------------------------ fork: GELU + bypass line
  logic gelu_in_ready, gelu_out_valid, g_adv;
  logic [TileOut*ActBits-1:0] gelu_out;
  logic [SfW-1:0] sf_out;
  assign fork_ready = gelu_in_ready;

  gelu_unit #(
    .Lanes (TileOut)
  ) u_gelu (
    .clk_i       (clk_i),
    .rst_ni      (rst_ni),
    .in_valid_i  (v4_q),
    .in_ready_o  (gelu_in_ready),
    .in_data_i   (gelu_in),
    .out_valid_o (gelu_out_valid),
    .out_ready_i (out_ready_i),
    .out_data_o  (gelu_out)
  );

  // The beat's non-GELU value crosses a delay line beside the GELU unit's GeluLat
  // stages, shifted by the same advance (the unit's: last stage empty or taken), so it
  // leaves together with the beat's GELU value: no queue, no count, and no path from
  // a count into the pipeline's enable (a bypass FIFO was one, 300 MHz). Same cycles:
  // the FIFO never filled (at most GeluLat beats in flight) and never ran empty at the join.
  localparam int unsigned GeluLat = 7;   // gelu_unit's NStages
  logic [SfW-1:0] bp_q [GeluLat];
  assign g_adv = !gelu_out_valid || out_ready_i;
  always_ff @(posedge clk_i) begin
    if (g_adv) begin
      bp_q[0] <= {gelu4_q, on4, val4};
      for (int i = 1; i < GeluLat; i++) bp_q[i] <= bp_q[i-1];
    end
  end
  assign sf_out = bp_q[GeluLat-1];

  // ------------------------------------------------------------------ join
  assign out_valid_o = gelu_out_valid;
  for (genvar r = 0; r < TileOut; r++) begin : g_out
    logic signed [ActBits-1:0] g;
    assign g = gelu_out[r*ActBits +: ActBits];
    assign out_data_o[r*VW +: VW] = !sf_out[TileOut*VW + r] ? '0
                                    : sf_out[SfW-1] ? VW'(g) : sf_out[r*VW +: VW];
  end

endmodule
