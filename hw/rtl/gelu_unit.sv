// GELU unit: GELU(x) = ReLU(x) - d(|x|), d from the 177-entry table with linear
// interpolation (docs/numerics.md, "GELU"). Bit-exact to edgemoe.golden.gelu.
//
// Stream in:  in_data_i  = Lanes act codes, lane l in bits [l*ActBits +: ActBits].
// Stream out: out_data_o = Lanes act codes, same packing.
// Valid/ready on both sides. Four pipeline stages; the pipeline advances when
// its last stage is empty or accepted, so the unit sustains one beat (Lanes
// results) per cycle and has a latency of 4 cycles. The table reads (and
// T1 - T0) and the interpolation multiply-add are separate stages (300 MHz,
// docs/timing.md).
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

  logic [3:0] valid_q;
  logic       advance;
  assign advance     = !valid_q[3] || out_ready_i;
  assign in_ready_o  = advance;
  assign out_valid_o = valid_q[3];

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      valid_q <= '0;
    end else if (advance) begin
      valid_q <= {valid_q[2:0], in_valid_i};
    end
  end

  for (genvar l = 0; l < Lanes; l++) begin : g_lane
    // ---- stage 0: segment, index and interpolation fraction (combinational on the input)
    logic signed [ActBits-1:0] x;
    logic [ActBits-1:0]        a;
    logic                      in_table;
    logic [AddrW-1:0]          idx;
    logic [InterpW-1:0]        frac;
    assign x = in_data_i[l*ActBits +: ActBits];
    assign a = x[ActBits-1] ? ActBits'(-x) : ActBits'(x);

    logic [ActBits-1:0] off0, off1, off2;
    assign off0 = a - ActBits'(GeluSeg0StartCode);
    assign off1 = a - ActBits'(GeluSeg1StartCode);
    assign off2 = a - ActBits'(GeluSeg2StartCode);

    always_comb begin
      in_table = 1'b1;
      if (a < ActBits'(GeluSeg1StartCode)) begin
        idx  = AddrW'(GeluSeg0Idx0) + AddrW'(off0 >> Fb0);
        frac = InterpW'(off0[Fb0-1:0]) << (InterpW - Fb0);
      end else if (a < ActBits'(GeluSeg2StartCode)) begin
        idx  = AddrW'(GeluSeg1Idx0) + AddrW'(off1 >> Fb1);
        frac = InterpW'(off1[Fb1-1:0]) << (InterpW - Fb1);
      end else if (a < ActBits'(GeluEndCode)) begin
        idx  = AddrW'(GeluSeg2Idx0) + AddrW'(off2 >> Fb2);
        frac = InterpW'(off2[Fb2-1:0]) << (InterpW - Fb2);
      end else begin
        in_table = 1'b0;
        idx      = '0;
        frac     = '0;
      end
    end

    // ---- stage 1: table lookup (registered address), x kept for ReLU
    logic signed [ActBits-1:0] x1_q;
    logic                      in_table1_q;
    logic [AddrW-1:0]          idx1_q;
    logic [InterpW-1:0]        frac1_q;
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        x1_q <= '0; in_table1_q <= 1'b0; idx1_q <= '0; frac1_q <= '0;
      end else if (advance) begin
        x1_q <= x; in_table1_q <= in_table; idx1_q <= idx; frac1_q <= frac;
      end
    end

    logic [EntryW-1:0] t0, t1;
    logic [AddrW-1:0]  idx1_next;
    assign idx1_next = (idx1_q == AddrW'(GeluEntries - 1)) ? idx1_q : idx1_q + AddrW'(1);
    gelu_rom u_rom0 (.addr_i(idx1_q),    .data_o(t0));
    gelu_rom u_rom1 (.addr_i(idx1_next), .data_o(t1));

    // ---- stage 2: T0 and T1 - T0 registered
    logic signed [ActBits-1:0] x1b_q;
    logic                      in_table1b_q;
    logic [InterpW-1:0]        frac1b_q;
    logic [EntryW-1:0]         t0_q;
    logic signed [EntryW:0]    dt_q;
    always_ff @(posedge clk_i) begin
      if (advance) begin
        x1b_q <= x1_q; in_table1b_q <= in_table1_q; frac1b_q <= frac1_q;
        t0_q  <= t0;
        dt_q  <= $signed({1'b0, t1}) - $signed({1'b0, t0});
      end
    end

    // ---- stage 3: D = (T0 << InterpW) + (T1 - T0) * frac
    logic signed [ActBits-1:0] x2_q;
    logic signed [DW-1:0]      d2_q;
    logic signed [DW-1:0]      d_calc;
    assign d_calc = in_table1b_q ? ($signed({2'b0, t0_q, {InterpW{1'b0}}})
                                  + DW'(dt_q * $signed({1'b0, frac1b_q}))) : '0;
    always_ff @(posedge clk_i) begin
      if (advance) begin
        x2_q <= x1b_q; d2_q <= d_calc;
      end
    end

    // ---- stage 4: out = sat(round_shift((relu(x) << OutSh) - D, OutSh))
    logic signed [WideW-1:0]   wide;
    logic signed [WideW-1:0]   rounded;
    logic signed [ActBits-1:0] y_calc;
    logic signed [ActBits-1:0] y3_q;
    assign wide    = (x2_q[ActBits-1] ? WideW'(0) : (WideW'(x2_q) <<< OutSh)) - WideW'(d2_q);
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
        y3_q <= '0;
      end else if (advance) begin
        y3_q <= y_calc;
      end
    end
    assign out_data_o[l*ActBits +: ActBits] = y3_q;
  end

endmodule
