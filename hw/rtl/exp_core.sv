// Exp core: e = EXP(d) for an act code d <= 0, result in format e (frac 17),
// bit-exact to edgemoe.golden.exp_recip.exp_fixed (docs/numerics.md, "Exp"):
//
//   dc = max(d, ExpDMinCode)                       (-32.0: below it exp < 2^-46, the result is 0)
//   t  = round_shift(dc * ExpLog2e, 16)            frac 20, t <= 0
//   n  = t >> 20 (floor, -47..0),  f = t - (n << 20)
//   i  = f >> 13,  r = f & (2^13 - 1)
//   v  = (E2[i] << 13) + (E2[i+1] - E2[i]) * r     frac 35, v < 2^36
//   e  = round_shift(v, min(18 - n, 40))           0 .. 2^17
//
// Interface: a bare pipeline without flow control, for instantiation inside
// streaming kernels (exp_unit, softmax_stats, attention, the MoE gate).
//   d_i : act code, must be <= 0 (positive codes are outside the contract).
//   e_o : EXP of the d_i presented Latency enabled cycles earlier.
//   en_i: clock enable of every pipeline register; the pipeline advances only when
//         en_i = 1, so a stalled consumer freezes it in place.
//
//   parameter int unsigned Latency = 5 or 10 (ExpLatency; users pass their own
// constant, e.g. ExpCoreLatency / ExpLat: exp_unit, softmax_stats, attention,
// moe_gate_softmax; it is an implementation fact, not a parameter of the numerics
// contract, so it is not in the generated package). Both give the same integers.
//
// Latency 10 (softmax_stats, attention, exp_unit, moe_gate_softmax): every stage a short path at 300 MHz
// (docs/timing.md, <= 3.0 ns):
//   1. clamp (a bit test)
//   2. dc * (log2e mod 2^17), dc * (log2e >> 17)     (two constant multiplies, DSP48E2 with
//                                                     input and product registers)
//   3. t = (pl >>> 16) + (ph << 1) + pl[15]           (= round_shift(dc * ExpLog2e, 16))
//   4. split into the table index i, i + 1, r, and sh - 1 = min(18 - n, 40) - 1
//   5. two table reads E2[i], E2[i+1]
//   6. delta = E2[i+1] - E2[i]
//   7. delta * r                                      (DSP48E2)
//   8. v = (E2[i] << 13) + delta * r
//   9. h = v >> (sh - 1) (its low EBits + 1 bits: all that e depends on)
//  10. e = (h + 1) >> 1       (round half up: the same integer as (v + 2^(sh-1)) >> sh)
//
// Latency 5 (compact, 4.3 ns: not for the 300 MHz build; kept as an option and tested):
//   1. clamp (a bit test), multiply by log2(e)      (22 x 21 bit constant multiply, DSP48E2)
//   2. round to t, split into n (shift) and f (ROM index i, interpolation r)
//   3. two ROM reads E2[i], E2[i+1], delta = E2[i+1] - E2[i]
//   4. the interpolation (E2[i] << 13) + delta * r  (15 x 13 bit multiply-add, DSP48E2)
//   5. variable round-half-up shift by sh = min(18 - n, 40), as
//      ((v >> (sh - 1)) + 1) >> 1 (the same integer as (v + 2^(sh-1)) >> sh)
// Throughput: one result per enabled cycle. The datapath registers have no reset
// (en_i and the users' valid bits qualify them), so the products map to DSP48E2
// registers.
module exp_core
  import edgemoe_pkg::*;
#(
  parameter int unsigned Latency = 5   // 5 (compact) or 10 (300 MHz)
) (
  input  logic                      clk_i,
  input  logic                      rst_ni,
  input  logic                      en_i,
  input  logic signed [ActBits-1:0] d_i,
  output logic [EBits-1:0]          e_o
);

  // dc >= ExpDMinCode = -2^21 needs 22 bits signed.
  localparam int unsigned DcW    = 22;
  localparam int unsigned Log2eW = 21;                    // ExpLog2e < 2^21
  localparam int unsigned ProdW  = DcW + Log2eW + 1;      // signed product
  // Product has frac ActFrac + ExpLog2eFrac = 36; t keeps ExpTFrac = 20.
  localparam int unsigned TSh    = ActFrac + ExpLog2eFrac - ExpTFrac;
  localparam int unsigned TW     = ProdW - TSh;           // 28 bits signed, t >= -2^26
  localparam int unsigned LoBits = ExpTFrac - ExpIndexBits;  // 13 interpolation bits
  localparam int unsigned EntW   = ExpEntryBits;
  localparam int unsigned VFrac  = ExpEntryFrac + LoBits;    // 35
  localparam int unsigned VW     = EntW + LoBits + 1;        // 38: v < 2^37 with margin
  localparam int unsigned ShW    = 6;                        // shift 18..40
  // Below n = NClip the shift 18 - n exceeds ExpMaxShift and is clipped.
  localparam int          NClip  = int'(VFrac - EFrac) - int'(ExpMaxShift);

  // The contract's one-line facts this implementation depends on.
  if (ExpDMinCode != -(1 << (DcW - 1))) begin : g_chk_dmin
    $error("exp_core: ExpDMinCode must be -2^21 (dc is 22 bits)");
  end
  if (ExpLog2e >= (1 << Log2eW)) begin : g_chk_log2e
    $error("exp_core: ExpLog2e must fit 21 bits");
  end

  if (Latency != 5 && Latency != 10) begin : g_chk_latency
    $error("exp_core: Latency must be 5 or 10");
  end

  logic unused_rst;
  assign unused_rst = rst_ni;  // Latency 5: datapath only, nothing to reset

  // d < -2^21 (= ExpDMinCode) <=> d negative and bits DcW-1.. of d not all ones: a bit
  // test instead of a 26-bit comparison in front of the multiplier.
  logic signed [DcW-1:0]   dc;
  logic                    below;
  assign below = d_i[ActBits-1] && !(&d_i[ActBits-2:DcW-1]);
  assign dc    = below ? DcW'(ExpDMinCode) : d_i[DcW-1:0];

  if (Latency == 5) begin : g_compact
    // ---- stage 1: clamp and multiply
    logic signed [ProdW-1:0] prod1_q;
    always_ff @(posedge clk_i) begin
      if (en_i) begin
        prod1_q <= ProdW'(dc) * $signed({1'b0, Log2eW'(ExpLog2e)});
      end
    end

    // ---- stage 2: t = round_shift(prod, TSh), split
    logic signed [ProdW-1:0] prod_rnd;
    logic signed [TW-1:0]    t;
    logic signed [TW-ExpTFrac-1:0] n;
    logic [ExpIndexBits-1:0] i2_q;
    logic [LoBits-1:0]       r2_q;
    logic [ShW-1:0]          sh2_q;
    logic [ShW-1:0]          sh_calc;
    assign prod_rnd = prod1_q + ProdW'(1 << (TSh - 1));
    assign t        = TW'(prod_rnd >>> TSh);
    assign n        = t[TW-1:ExpTFrac];
    // 18 - n with n in -47..0 lies in 18..65; clip to ExpMaxShift (v < 2^36: 37.. all give 0).
    always_comb begin
      if (n < (TW-ExpTFrac)'(NClip)) begin
        sh_calc = ShW'(ExpMaxShift);
      end else begin
        sh_calc = ShW'(VFrac - EFrac) - ShW'(n);
      end
    end
    always_ff @(posedge clk_i) begin
      if (en_i) begin
        i2_q  <= t[ExpTFrac-1:LoBits];
        r2_q  <= t[LoBits-1:0];
        sh2_q <= sh_calc;
      end
    end

    // ---- stage 3: table lookup, delta
    logic [EntW-1:0] e2_lo, e2_hi;
    logic [7:0]      addr_lo, addr_hi;
    assign addr_lo = {1'b0, i2_q};
    assign addr_hi = {1'b0, i2_q} + 8'd1;
    exp2_rom u_rom_lo (.addr_i(addr_lo), .data_o(e2_lo));
    exp2_rom u_rom_hi (.addr_i(addr_hi), .data_o(e2_hi));

    // The table increases, so E2[i+1] - E2[i] >= 0 (and < 2^15).
    logic [EntW-1:0]   lo3_q, dl3_q;
    logic [LoBits-1:0] r3_q;
    logic [ShW-1:0]    sh3_q;
    always_ff @(posedge clk_i) begin
      if (en_i) begin
        lo3_q <= e2_lo;
        dl3_q <= e2_hi - e2_lo;
        r3_q  <= r2_q;
        sh3_q <= sh2_q;
      end
    end

    // ---- stage 4: interpolation v = (E2[i] << 13) + delta * r (frac 35, v < 2^37)
    logic [VW-1:0]  v4_q;
    logic [ShW-1:0] sh4_q;
    always_ff @(posedge clk_i) begin
      if (en_i) begin
        v4_q  <= (VW'(lo3_q) << LoBits) + VW'(dl3_q) * VW'(r3_q);
        sh4_q <= sh3_q;
      end
    end

    // ---- stage 5: e = round_shift(v, sh), sh in 18..40; e <= 2^17 fits EBits
    logic [EBits:0]   half;     // v >> (sh - 1), low EBits+1 bits (all that e depends on)
    logic [EBits:0]   e_inc;
    logic [EBits-1:0] e5_q;
    assign half        = (EBits+1)'(v4_q >> (sh4_q - ShW'(1)));
    assign e_inc       = half + (EBits+1)'(1);
    always_ff @(posedge clk_i) begin
      if (en_i) begin
        e5_q <= EBits'(e_inc >> 1);
      end
    end
    assign e_o = e5_q;
  end else begin : g_deep
    // ---- 10 stages, each a short path at 300 MHz (docs/timing.md)
    // The constant 21-bit log2(e) does not fit the DSP48E2's 18-bit B port: the product is
    // formed as dc * Lg2Lo + (dc * Lg2Hi) << 17 from two registered partial products, and
    // t = round_shift(prod, 16) = (pl >>> 16) + (ph << 1) + pl[15] (the rounding bit of the
    // low part is its carry into bit 16: the same integer as (prod + 2^15) >>> 16).
    localparam int unsigned LoW   = 17;
    localparam int unsigned PlW   = DcW + LoW + 1;                 // signed dc * Lg2Lo
    localparam int unsigned PhW   = DcW + (Log2eW - LoW) + 1;      // signed dc * Lg2Hi
    localparam logic [LoW-1:0]          Lg2Lo = LoW'(ExpLog2e);
    localparam logic [Log2eW-LoW-1:0]   Lg2Hi = (Log2eW-LoW)'(ExpLog2e >> LoW);

    // 1. clamp (a bit test, as in the compact form)
    logic signed [DcW-1:0] dc1_q;
    // 2. partial products (DSP48E2, input and product registers)
    logic signed [PlW-1:0] pl2_q;
    logic signed [PhW-1:0] ph2_q;
    // 3. t
    logic signed [TW-1:0]  t3_q;
    // 4. split: table index and its neighbour, interpolation bits, shift - 1
    logic [7:0]            ia4_q, ib4_q;
    logic [LoBits-1:0]     r4_q, r5_q, r6_q;
    logic [ShW-1:0]        sm4_q, sm5_q, sm6_q, sm7_q, sm8_q;
    // 5. the two table reads
    logic [EntW-1:0]       lo5_q, hi5_q, lo6_q, lo7_q;
    // 6. delta = E2[i+1] - E2[i] (>= 0, the table increases)
    logic [EntW-1:0]       dl6_q;
    // 7. delta * r (DSP48E2)
    logic [EntW+LoBits-1:0] m7_q;
    // 8. v = (E2[i] << 13) + delta * r
    logic [VW-1:0]         v8_q;
    // 9. v >> (sh - 1), the low EBits + 1 bits
    logic [EBits:0]        h9_q;
    // 10. e = (h + 1) >> 1
    logic [EBits-1:0]      e10_q;

    logic signed [TW-ExpTFrac-1:0] n3;
    logic [ShW-1:0]                sm_calc;
    logic [EntW-1:0]               rom_lo, rom_hi;
    assign n3 = t3_q[TW-1:ExpTFrac];
    // sh - 1 = min(18 - n, 40) - 1
    always_comb begin
      if (n3 < (TW-ExpTFrac)'(NClip)) begin
        sm_calc = ShW'(ExpMaxShift - 1);
      end else begin
        sm_calc = ShW'(VFrac - EFrac - 1) - ShW'(n3);
      end
    end
    exp2_rom u_rom_lo (.addr_i(ia4_q), .data_o(rom_lo));
    exp2_rom u_rom_hi (.addr_i(ib4_q), .data_o(rom_hi));

    always_ff @(posedge clk_i) begin
      if (en_i) begin
        dc1_q <= dc;
        pl2_q <= dc1_q * $signed({1'b0, Lg2Lo});
        ph2_q <= dc1_q * $signed({1'b0, Lg2Hi});
        t3_q  <= TW'(pl2_q >>> TSh) + (TW'(ph2_q) <<< (LoW - TSh)) + TW'(pl2_q[TSh-1]);
        ia4_q <= {1'b0, t3_q[ExpTFrac-1:LoBits]};
        ib4_q <= {1'b0, t3_q[ExpTFrac-1:LoBits]} + 8'd1;
        lo5_q <= rom_lo;
        hi5_q <= rom_hi;
        dl6_q <= hi5_q - lo5_q;
        m7_q  <= (EntW+LoBits)'(dl6_q) * (EntW+LoBits)'(r6_q);
        v8_q  <= (VW'(lo7_q) << LoBits) + VW'(m7_q);
        h9_q  <= (EBits+1)'(v8_q >> sm8_q);
        e10_q <= EBits'(((EBits+1)'(h9_q) + (EBits+1)'(1)) >> 1);
      end
    end
    // The delay lines beside the datapath have a reset so that they stay flip-flops (a
    // shift-register LUT's clock-to-out is 0.9 ns, docs/timing.md); they feed no DSP register.
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        r4_q  <= '0;
        r5_q  <= '0;
        r6_q  <= '0;
        sm4_q <= '0;
        sm5_q <= '0;
        sm6_q <= '0;
        sm7_q <= '0;
        sm8_q <= '0;
        lo6_q <= '0;
        lo7_q <= '0;
      end else if (en_i) begin
        r4_q  <= t3_q[LoBits-1:0];
        r5_q  <= r4_q;
        r6_q  <= r5_q;
        sm4_q <= sm_calc;
        sm5_q <= sm4_q;
        sm6_q <= sm5_q;
        sm7_q <= sm6_q;
        sm8_q <= sm7_q;
        lo6_q <= lo5_q;
        lo7_q <= lo6_q;
      end
    end
    assign e_o = e10_q;
  end

endmodule
