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
// Out: out_valid_o four cycles later with out_y_o (row r at
//      [r*(ActBits+2) +: ActBits+2], signed) and out_tag_o, all registered.
// Cycle 1: acc and the aligned bias registered (bias barrel shift);
// cycle 2: acc + bias + 2^(s-1) registered;
// cycle 3: the arithmetic right shift by s, registered;
// cycle 4: the clamp (two reduction tests on the bits above YW-1, not a 53-bit
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

  logic          v1_q, v2_q, v3_q, v4_q;
  logic [TagW-1:0] tag1_q, tag2_q, tag3_q, tag4_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      v1_q <= 1'b0;
      v2_q <= 1'b0;
      v3_q <= 1'b0;
      v4_q <= 1'b0;
    end else begin
      v1_q <= in_valid_i;
      v2_q <= v1_q;
      v3_q <= v2_q;
      v4_q <= v3_q;
    end
  end

  always_ff @(posedge clk_i) begin
    tag1_q <= tag_i;
    tag2_q <= tag1_q;
    tag3_q <= tag2_q;
    tag4_q <= tag3_q;
  end

  for (genvar r = 0; r < TileOut; r++) begin : g_row
    logic [WExpBits-1:0]    e;
    logic signed [BBits-1:0] b;
    logic [BshW-1:0]        bsh, ash;
    logic signed [BBits-1:0] a;
    logic [ShW-1:0]         sh;
    assign e   = exps_i[r*WExpBits +: WExpBits];
    assign b   = bias_i[r*BBits +: BBits];
    assign bsh = BshW'(BshBase) + BshW'(e) - BshW'(bexp_i);
    assign a   = add_i[r*BBits +: BBits];
    assign ash = BshW'(BshBase) + BshW'(e) - BshW'(aexp_i);
    assign sh  = (q_mode_i ? ShW'(ShQ) : ShW'(ShAct)) + ShW'(e);

    logic signed [AccW-1:0] acc1_q, bias1_q, sum2_q;
    logic [ShW-1:0]         sh1_q, sh2_q;
    always_ff @(posedge clk_i) begin
      // the embed add joins the accumulator here (the sum of three terms fits AccW: the unit's sizing)
      acc1_q  <= acc_i[r*AccW +: AccW] + (add_en_i ? (AccW'(a) <<< ash) : AccW'(0));
      bias1_q <= has_bias_i ? (AccW'(b) <<< bsh) : AccW'(0);
      sh1_q   <= sh;
      // round half up: add 2^(s-1) before the arithmetic shift (s >= WFracMin > 0)
      sum2_q  <= acc1_q + bias1_q + ((AccW'(1) << sh1_q) >>> 1);
      sh2_q   <= sh1_q;
    end

    // y > 2^(YW-1) - 1 <=> y >= 0 with a one above bit YW-2;
    // y < -2^(YW-1)     <=> y < 0 with a zero above bit YW-2.
    logic signed [AccW-1:0] y3_q;
    logic signed [YW-1:0]   y_sat, y4_q;
    logic                   over, under;
    always_ff @(posedge clk_i) begin
      y3_q <= sum2_q >>> sh2_q;
    end
    assign over  = !y3_q[AccW-1] && (|y3_q[AccW-2:YW-1]);
    assign under = y3_q[AccW-1] && !(&y3_q[AccW-2:YW-1]);
    always_comb begin
      if (over) begin
        y_sat = {1'b0, {(YW-1){1'b1}}};
      end else if (under) begin
        y_sat = {1'b1, {(YW-1){1'b0}}};
      end else begin
        y_sat = y3_q[YW-1:0];
      end
    end
    always_ff @(posedge clk_i) begin
      y4_q <= y_sat;
    end
    assign out_y_o[r*YW +: YW] = y4_q;
  end

  assign out_valid_o = v4_q;
  assign out_tag_o   = tag4_q;

endmodule
