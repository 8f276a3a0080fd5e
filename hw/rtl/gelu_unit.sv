// GELU unit: GELU(x) = ReLU(x) - d(|x|), d from the 177-entry table with linear
// interpolation (docs/numerics.md, "GELU"). Bit-exact to edgemoe.golden.gelu.
//
// Stream in:  in_data_i  = Lanes act codes, lane l in bits [l*ActBits +: ActBits].
// Stream out: out_data_o = Lanes act codes, same packing.
// Valid/ready on both sides. Seven pipeline stages; the pipeline advances when
// its last stage is empty or accepted, so the unit sustains one beat (Lanes
// results) per cycle and has a latency of 7 cycles. One adder, table read or
// multiply per stage (300 MHz, docs/timing.md): |x|, segment and offsets; table
// index and fraction; the two table reads; T1 - T0; (T1 - T0) * r (DSP); D; the
// output rounding and saturation.
module gelu_unit
  import edgemoe_pkg::*;
#(
  parameter int unsigned Lanes = 1
) (
  input  logic                      clk_i,
  input  logic                      rst_ni,
  input  logic                      in_valid_i,
  output logic                      in_ready_o,
  input  logic [Lanes*ActBits-1:0]  in_data_i,
  output logic                      out_valid_o,
  input  logic                      out_ready_i,
  output logic [Lanes*ActBits-1:0]  out_data_o
);

  localparam int unsigned AddrW   = $clog2(GeluEntries);
  localparam int unsigned EntryW  = GeluEntryBits;
  localparam int unsigned InterpW = GeluInterpBits;
  // D = (T0 << InterpW) + (T1 - T0) * r has EntryFrac + InterpW fractional bits.
  localparam int unsigned DFrac   = GeluEntryFrac + InterpW;
  localparam int unsigned OutSh   = DFrac - ActFrac;
  localparam int unsigned DW      = EntryW + InterpW + 2;
  localparam int unsigned WideW   = ActBits + OutSh + 2;
  // Offset bits below the table index in each segment (16 - log2(1/step)).
  localparam int unsigned Fb0     = ActFrac - GeluSeg0Log2Step;
  localparam int unsigned Fb1     = ActFrac - GeluSeg1Log2Step;
  localparam int unsigned Fb2     = ActFrac - GeluSeg2Log2Step;

  localparam int unsigned NStages = 7;
  logic [NStages-1:0] valid_q;
  logic               advance;
  assign advance     = !valid_q[NStages-1] || out_ready_i;
  assign in_ready_o  = advance;
  assign out_valid_o = valid_q[NStages-1];

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      valid_q <= '0;
    end else if (advance) begin
      valid_q <= {valid_q[NStages-2:0], in_valid_i};
    end
  end

  for (genvar l = 0; l < Lanes; l++) begin : g_lane
    // ---- stage 1: |x| against the segment starts, offsets into the segments
    logic signed [ActBits-1:0] x;
    logic [ActBits-1:0]        a;
    logic [ActBits-1:0]        off0, off1, off2;
    assign x    = in_data_i[l*ActBits +: ActBits];
    assign a = x[ActBits-1] ? ActBits'(-x) : ActBits'(x);
    assign off0 = a - ActBits'(GeluSeg0StartCode);
    assign off1 = a - ActBits'(GeluSeg1StartCode);
    assign off2 = a - ActBits'(GeluSeg2StartCode);
    // |x| < C <=> -C < x < C: two comparisons on x in parallel, not one after |x|
    // (|act.min| = 2^25 is above every segment bound, and so is excluded by -C < x)
    function automatic logic abs_lt(input logic signed [ActBits-1:0] v, input logic [ActBits-1:0] c);
      abs_lt = ($signed({v[ActBits-1], v}) < $signed({1'b0, c}))
            && ($signed({v[ActBits-1], v}) > -$signed({1'b0, c}));
    endfunction

    logic signed [ActBits-1:0] x1_q;
    logic                      lt1_1_q, lt2_1_q, lte_1_q;
    logic [ActBits-1:0]        off0_1_q, off1_1_q, off2_1_q;

    // ---- stage 2: table index (and the next one) and interpolation fraction
    logic [AddrW-1:0]          idx, idxn;
    logic [InterpW-1:0]        frac;
    always_comb begin
      if (lt1_1_q) begin
        idx  = AddrW'(GeluSeg0Idx0) + AddrW'(off0_1_q >> Fb0);
        idxn = AddrW'(GeluSeg0Idx0 + 1) + AddrW'(off0_1_q >> Fb0);
        frac = InterpW'(off0_1_q[Fb0-1:0]) << (InterpW - Fb0);
      end else if (lt2_1_q) begin
        idx  = AddrW'(GeluSeg1Idx0) + AddrW'(off1_1_q >> Fb1);
        idxn = AddrW'(GeluSeg1Idx0 + 1) + AddrW'(off1_1_q >> Fb1);
        frac = InterpW'(off1_1_q[Fb1-1:0]) << (InterpW - Fb1);
      end else if (lte_1_q) begin
        idx  = AddrW'(GeluSeg2Idx0) + AddrW'(off2_1_q >> Fb2);
        // the last entry's neighbour is the last entry
        idxn = (AddrW'(off2_1_q >> Fb2) == AddrW'(GeluEntries - 1 - GeluSeg2Idx0))
             ? AddrW'(GeluEntries - 1) : AddrW'(GeluSeg2Idx0 + 1) + AddrW'(off2_1_q >> Fb2);
        frac = InterpW'(off2_1_q[Fb2-1:0]) << (InterpW - Fb2);
      end else begin
        // outside the table: frac = 0 and T0 = 0 (the ROM reads 0 past its last entry) make D = 0
        idx      = AddrW'(GeluEntries);
        idxn     = '0;
        frac     = '0;
      end
    end

    logic signed [ActBits-1:0] x2_q;
    logic [AddrW-1:0]          idx2_q, idxn2_q;
    logic [InterpW-1:0]        frac2_q;

    // ---- stage 3: the two table reads, registered in the ROM (one dual-port block RAM per
    // lane: no LUTs for the table, and no reset on its output register)
    logic signed [ActBits-1:0] x3_q;
    logic [InterpW-1:0]        frac3_q;
    logic [EntryW-1:0]         t0_3_q, t1_3_q;
    gelu_rom u_rom (
      .clk_i   (clk_i),
      .en_i    (advance),
      .addr0_i (idx2_q),
      .addr1_i (idxn2_q),
      .data0_o (t0_3_q),
      .data1_o (t1_3_q)
    );

    // ---- stage 4: T1 - T0
    logic signed [ActBits-1:0] x4_q;
    logic [InterpW-1:0]        frac4_q;
    logic [EntryW-1:0]         t0_4_q;
    logic signed [EntryW:0]    dt4_q;

    // ---- stage 5: (T1 - T0) * frac (DSP)
    logic signed [ActBits-1:0] x5_q;
    logic [EntryW-1:0]         t0_5_q;
    logic signed [DW-1:0]      m5_q;

    // ---- stage 6: D = (T0 << InterpW) + (T1 - T0) * frac
    logic signed [ActBits-1:0] x6_q;
    logic signed [DW-1:0]      d6_q;

    // The product register has no reset (the DSP48E2's P register); the others have one
    // only so the delay lines stay flip-flops, not SRLs (0.9 ns clock-to-out).
    always_ff @(posedge clk_i) begin
      if (advance) begin
        m5_q <= DW'(dt4_q * $signed({1'b0, frac4_q}));
      end
    end
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        x1_q <= '0; lt1_1_q <= 1'b0; lt2_1_q <= 1'b0; lte_1_q <= 1'b0;
        off0_1_q <= '0; off1_1_q <= '0; off2_1_q <= '0;
        x2_q <= '0; idx2_q <= '0; idxn2_q <= '0; frac2_q <= '0;
        x3_q <= '0; frac3_q <= '0;
        x4_q <= '0; frac4_q <= '0; t0_4_q <= '0; dt4_q <= '0;
        x5_q <= '0; t0_5_q <= '0; x6_q <= '0; d6_q <= '0;
      end else if (advance) begin
        x1_q     <= x;
        lt1_1_q  <= abs_lt(x, ActBits'(GeluSeg1StartCode));
        lt2_1_q  <= abs_lt(x, ActBits'(GeluSeg2StartCode));
        lte_1_q  <= abs_lt(x, ActBits'(GeluEndCode));
        off0_1_q <= off0;
        off1_1_q <= off1;
        off2_1_q <= off2;
        x2_q        <= x1_q;
        idx2_q      <= idx;
        idxn2_q     <= idxn;
        frac2_q     <= frac;
        x3_q    <= x2_q;
        frac3_q <= frac2_q;
        x4_q    <= x3_q;
        frac4_q <= frac3_q;
        t0_4_q  <= t0_3_q;
        dt4_q   <= $signed({1'b0, t1_3_q}) - $signed({1'b0, t0_3_q});
        x5_q    <= x4_q;
        t0_5_q  <= t0_4_q;
        x6_q    <= x5_q;
        d6_q    <= $signed({2'b0, t0_5_q, {InterpW{1'b0}}}) + m5_q;
      end
    end

    // ---- stage 7: out = sat(round_shift((relu(x) << OutSh) - D, OutSh))
    logic signed [WideW-1:0]   wide;
    logic signed [WideW-1:0]   rounded;
    logic signed [ActBits-1:0] y_calc;
    logic signed [ActBits-1:0] y7_q;
    assign wide    = (x6_q[ActBits-1] ? WideW'(0) : (WideW'(x6_q) <<< OutSh)) - WideW'(d6_q);
    assign rounded = (wide + (WideW'(1) <<< (OutSh - 1))) >>> OutSh;
    always_comb begin
      if (rounded > WideW'($signed({1'b0, {(ActBits-1){1'b1}}}))) begin
        y_calc = {1'b0, {(ActBits-1){1'b1}}};
      end else if (rounded < -WideW'($signed({1'b0, {(ActBits-1){1'b1}}})) - 1) begin
        y_calc = {1'b1, {(ActBits-1){1'b0}}};
      end else begin
        y_calc = rounded[ActBits-1:0];
      end
    end
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        y7_q <= '0;
      end else if (advance) begin
        y7_q <= y_calc;
      end
    end
    assign out_data_o[l*ActBits +: ActBits] = y7_q;
  end

endmodule
