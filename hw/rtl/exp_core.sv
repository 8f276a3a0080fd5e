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
//   e_o : EXP of the d_i presented ExpLatency enabled cycles earlier.
//   en_i: clock enable of every pipeline register; the pipeline advances only when
//         en_i = 1, so a stalled consumer freezes it in place.
//
//   localparam int unsigned ExpLatency = 5;
// (users mirror it as a local constant, e.g. ExpCoreLatency / ExpLat: exp_unit,
// softmax_stats, attention, moe_gate_softmax; it is an implementation fact, not a
// parameter of the numerics contract, so it is not in the generated package).
//
// Stages (each ends in a register; each fits 3.0 ns at 300 MHz, docs/timing.md):
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
(
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

  logic unused_rst;
  assign unused_rst = rst_ni;  // datapath only: nothing to reset

  // ---- stage 1: clamp and multiply
  // d < -2^21 (= ExpDMinCode) <=> d negative and bits DcW-1.. of d not all ones: a bit
  // test instead of a 26-bit comparison in front of the multiplier.
  logic signed [DcW-1:0]   dc;
  logic signed [ProdW-1:0] prod1_q;
  logic                    below;
  assign below = d_i[ActBits-1] && !(&d_i[ActBits-2:DcW-1]);
  assign dc    = below ? DcW'(ExpDMinCode) : d_i[DcW-1:0];
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

endmodule
