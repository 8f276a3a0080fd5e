// Bias and rounding stage of the unified linear unit (linear_unit.sv): adds the
// bias aligned to each row's accumulator frac, rounds once, and clamps the
// result to ActBits+2 bits. Free-running (no backpressure: the unit's credits
// guarantee the result queue has room).
//
// Per row r of the tile (docs/numerics.md, "Unified linear unit"):
//   wf  = WFracMin + exps[r]                 row weight frac; accumulator frac 16 + wf
//   bf  = BFracMin + bexp                    bias vector frac
//   s   = 16 + wf - out.frac + prescale      = wf (act out) or wf + 4 (q out, prescale 3)
//   y   = round_shift(acc + (b[r] << (16 + wf - bf)) + (a[r] << (16 + wf - fa)), s)
//                                                            one rounding, exact sum
//   a, fa: the embed mode's per-token add row (add_en_i; add_i, aexp_i with
//   fa = BFracMin + aexp, aligned exactly like the bias), else 0
//   out = sat_{ActBits+2}(y)
// The clamp to ActBits+2 bits loses nothing: every output stage saturates y to
// act or q (narrower), or adds it to an act code x_old before saturating to
// act, and |x_old| < 2^(ActBits-1), so a y beyond +-2^(ActBits+1) saturates the
// same way after the clamp as before it.
//
// In:  in_valid_i with acc_i (TileOut exact sums, row r at [r*AccW +: AccW])
//      and the slab's metadata (exps_i: row r exponent field at
//      [r*WExpBits +: WExpBits]; bias_i: row r mantissa at [r*BBits +: BBits];
//      has_bias_i, bexp_i, q_mode_i), the beat's embed add (add_en_i; add_i
//      row r at [r*BBits +: BBits], aexp_i) and an opaque tag_i passed through.
// Out: out_valid_o six cycles later with out_y_o (row r at
//      [r*(ActBits+2) +: ActBits+2], signed) and out_tag_o, all registered.
// Cycle 0: the inputs registered (they come from the metadata queue's
//   fall-through LUTRAM read), with the shift amounts and the rounding position;
// cycle 1: the aligned bias and add row (barrel shifts) and 2^(s-1) registered;
// cycle 2: acc + add row and bias + 2^(s-1) registered (two 2-input adders);
// cycle 3: their sum registered;
// cycle 4: the arithmetic right shift by s, registered;
// cycle 5: the clamp (two reduction tests on the bits above YW-1, not a 53-bit
// comparison), registered, so the result queue's write port sees a register and
// every stage fits 300 MHz (docs/timing.md).
module linear_round
  import edgemoe_pkg::*;
#(
  parameter int unsigned TileOut = LinTileOut,
  parameter int unsigned AccW    = 53,
  parameter int unsigned TagW    = 8
) (
  input  logic                          clk_i,
  input  logic                          rst_ni,
  input  logic                          in_valid_i,
  input  logic [TileOut*AccW-1:0]       acc_i,
  input  logic [TileOut*WExpBits-1:0]   exps_i,
  input  logic [TileOut*BBits-1:0]      bias_i,
  input  logic                          has_bias_i,
  input  logic [BExpBits-1:0]           bexp_i,
  input  logic                          q_mode_i,
  input  logic                          add_en_i,
  input  logic [TileOut*BBits-1:0]      add_i,
  input  logic [BExpBits-1:0]           aexp_i,
  input  logic [TagW-1:0]               tag_i,
  output logic                          out_valid_o,
  output logic [TileOut*(ActBits+2)-1:0] out_y_o,
  output logic [TagW-1:0]               out_tag_o
);

  localparam int unsigned YW      = ActBits + 2;
  localparam int unsigned ShW     = 6;
  // 1/sqrt(head_dim) = 2^-3 folded into the q rounding: log2(sqrt(64)) = 3.
  localparam int unsigned QPrescale = $clog2(HeadDim) / 2;
  // Right shift of the act output: 16 + wf - 16 = wf; of the q output: 16 + wf - 15 + 3.
  localparam int unsigned ShAct   = WFracMin;
  localparam int unsigned ShQ     = ActFrac + WFracMin + QPrescale - QFrac;
  // Bias left shift 16 + wf - bf = BshBase + exp - bexp; BshBase >= 2^BExpBits - 1
  // for these formats (BFracMax <= ActFrac + WFracMin), so it is never negative.
  localparam int unsigned BshBase = ActFrac + WFracMin - BFracMin;
  localparam int unsigned BshW    = 7;

  localparam int unsigned NSt = 6;
  logic [NSt-1:0]  v_q;
  logic [TagW-1:0] tag_q [NSt];

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      v_q <= '0;
    end else begin
      v_q <= {v_q[NSt-2:0], in_valid_i};
    end
  end

  always_ff @(posedge clk_i) begin
    tag_q[0] <= tag_i;
    for (int unsigned k = 1; k < NSt; k++) begin
      tag_q[k] <= tag_q[k-1];
    end
  end

  for (genvar r = 0; r < TileOut; r++) begin : g_row
    logic [WExpBits-1:0]    e;
    logic signed [BBits-1:0] b;
    logic [BshW-1:0]        bsh, ash;
    logic signed [BBits-1:0] a;
    logic [ShW-1:0]         sh;
    assign e   = exps_i[r*WExpBits +: WExpBits];
    assign b   = has_bias_i ? bias_i[r*BBits +: BBits] : '0;
    assign bsh = BshW'(BshBase) + BshW'(e) - BshW'(bexp_i);
    assign a   = add_en_i ? add_i[r*BBits +: BBits] : '0;
    assign ash = BshW'(BshBase) + BshW'(e) - BshW'(aexp_i);
    assign sh  = (q_mode_i ? ShW'(ShQ) : ShW'(ShAct)) + ShW'(e);

    logic signed [AccW-1:0]  acc0_q, acc1_q, bias1_q, add1_q, rc1_q, sa2_q, sb2_q, sum3_q;
    logic signed [BBits-1:0] b0_q, a0_q;
    logic [BshW-1:0]         bsh0_q, ash0_q;
    logic [ShW-1:0]          sh0_q, sh1_q, sh2_q, sh3_q;
    // The shift amount's delay line with a reset only so it stays flip-flops (not an SRL).
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        sh0_q <= '0; sh1_q <= '0; sh2_q <= '0; sh3_q <= '0;
      end else begin
        sh0_q <= sh;
        sh1_q <= sh0_q;
        sh2_q <= sh1_q;
        sh3_q <= sh2_q;
      end
    end
    always_ff @(posedge clk_i) begin
      acc0_q  <= acc_i[r*AccW +: AccW];
      b0_q    <= b;
      a0_q    <= a;
      bsh0_q  <= bsh;
      ash0_q  <= ash;
      acc1_q  <= acc0_q;
      bias1_q <= AccW'(b0_q) <<< bsh0_q;
      // the embed add joins the accumulator (the sum of three terms fits AccW: the unit's sizing)
      add1_q  <= AccW'(a0_q) <<< ash0_q;
      // round half up: add 2^(s-1) before the arithmetic shift (s >= WFracMin > 0)
      rc1_q   <= (AccW'(1) << sh0_q) >>> 1;
      sa2_q   <= acc1_q + add1_q;
      sb2_q   <= bias1_q + rc1_q;
      sum3_q  <= sa2_q + sb2_q;
    end

    // y > 2^(YW-1) - 1 <=> y >= 0 with a one above bit YW-2;
    // y < -2^(YW-1)     <=> y < 0 with a zero above bit YW-2.
    logic signed [AccW-1:0] y4_q;
    logic signed [YW-1:0]   y_sat, y5_q;
    logic                   over, under;
    always_ff @(posedge clk_i) begin
      y4_q <= sum3_q >>> sh3_q;
    end
    assign over  = !y4_q[AccW-1] && (|y4_q[AccW-2:YW-1]);
    assign under = y4_q[AccW-1] && !(&y4_q[AccW-2:YW-1]);
    always_comb begin
      if (over) begin
        y_sat = {1'b0, {(YW-1){1'b1}}};
      end else if (under) begin
        y_sat = {1'b1, {(YW-1){1'b0}}};
      end else begin
        y_sat = y4_q[YW-1:0];
      end
    end
    always_ff @(posedge clk_i) begin
      y5_q <= y_sat;
    end
    assign out_y_o[r*YW +: YW] = y5_q;
  end

  assign out_valid_o = v_q[NSt-1];
  assign out_tag_o   = tag_q[NSt-1];

endmodule
