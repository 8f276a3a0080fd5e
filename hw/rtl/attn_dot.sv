// One query row times one key row: s = sat_act(round_shift(sum_d q[d] * k[d], 15)),
// bit-exact to edgemoe.golden.attention.scores_fixed for one (i, j) pair.
//
// q_i: Dh q codes (QBits, frac 15), element d in bits [d*QBits +: QBits].
// k_i: Dh act codes (frac 16), element d in bits [d*ActBits +: ActBits].
// s_o: the score (act code) of the q_i/k_i presented DotLatency enabled cycles
//      earlier; the pipeline advances only when en_i = 1.
//      DotLatency = 2 + max(3, ceil(log4(Dh))): 5 for every Dh <= 64.
// Stages: 1. Dh exact 18 x 26 products (one DSP48E2 each: q on the 18-bit B
//            port, k on the 27-bit A port, M register = prod_q)
//         2. ceil(log4(Dh)) registered levels of an exact 4:1 adder tree (two
//            adders deep per level, the register after every second adder level as
//            UG949 advises; |sum| <= Dh * 2^42, no wrap)
//         3. round half up by 15 bits (frac 31 -> 16) and saturate to act, without
//            the 51-bit add of the rounding constant: (S + 2^14) >> 15 is
//            S[40:15] + S[14] (a 26-bit increment) in range, and the saturation
//            tests compare S itself with the bounds less 2^14 (constant compares),
//            so the root adds only two adder levels like every other tree level
// One score per enabled cycle. The datapath registers have no reset (en_i and the
// caller's valid bits qualify them), so the products map to the DSP48E2's M
// register and the pipeline stays short at 300 MHz (docs/timing.md).
module attn_dot
  import edgemoe_pkg::*;
#(
  parameter int unsigned Dh = HeadDim  // head dimension (named Dh: HeadDim is the package constant)
) (
  input  logic                       clk_i,
  input  logic                       rst_ni,
  input  logic                       en_i,
  input  logic [Dh*QBits-1:0]   q_i,
  input  logic [Dh*ActBits-1:0] k_i,
  output logic signed [ActBits-1:0]  s_o
);

  localparam int unsigned ProdW = QBits + ActBits;                  // |q k| <= 2^42
  localparam int unsigned SumW  = ProdW + $clog2(Dh) + 1;
  localparam int unsigned Sh    = QFrac;                            // frac 31 -> 16
  localparam int          ActMaxI = (1 <<< (ActBits - 1)) - 1;      // signed bounds for saturation
  localparam int          ActMinI = -(1 <<< (ActBits - 1));
  // 4:1 levels: ceil(log4(Dh)), at least 3 so that DotLatency is 5 for every Dh <= 64
  localparam int unsigned Levels = (($clog2(Dh) + 1) / 2 > 3) ? ($clog2(Dh) + 1) / 2 : 3;
  localparam int unsigned Leaves = 4 ** Levels;                     // padded with zeros

  logic unused_rst;
  assign unused_rst = rst_ni;  // datapath only: nothing to reset

  // The tree is a flat array: level l (0 = products) holds Leaves / 4^l nodes from
  // Base(l) = (4 Leaves - 4 Leaves / 4^l) / 3 on; node i of level l sums nodes 4i..4i+3
  // of level l-1.
  localparam int unsigned Nodes = (4 * Leaves - 1) / 3;
  logic signed [SumW-1:0] node_q [Nodes];

  // ---- stage 1: products (DSP48E2 M register)
  for (genvar d = 0; d < Leaves; d++) begin : g_mul
    if (d < Dh) begin : g_prod
      always_ff @(posedge clk_i) begin
        if (en_i) begin
          node_q[d] <= SumW'(ProdW'($signed(q_i[d*QBits +: QBits])) * ProdW'($signed(k_i[d*ActBits +: ActBits])));
        end
      end
    end else begin : g_pad
      always_ff @(posedge clk_i) begin
        node_q[d] <= '0;
      end
    end
  end

  // ---- stage 2: exact 4:1 adder tree, one register level per two adder levels
  for (genvar l = 1; l <= Levels; l++) begin : g_lvl
    localparam int unsigned N     = Leaves >> (2 * l);
    localparam int unsigned Base  = (4 * Leaves - ((4 * Leaves) >> (2 * l))) / 3;
    localparam int unsigned Below = (4 * Leaves - ((4 * Leaves) >> (2 * (l - 1)))) / 3;
    for (genvar i = 0; i < N; i++) begin : g_node
      always_ff @(posedge clk_i) begin
        if (en_i) begin
          node_q[Base + i] <= (node_q[Below + 4*i] + node_q[Below + 4*i + 1])
                            + (node_q[Below + 4*i + 2] + node_q[Below + 4*i + 3]);
        end
      end
    end
  end

  // ---- stage 3: round half up, saturate. With S the root (frac 31):
  //   sat_hi iff S + 2^14 >= (ActMax + 1) 2^15 iff S >= (ActMax + 1) 2^15 - 2^14
  //   sat_lo iff S + 2^14 <  ActMin 2^15       iff S <  ActMin 2^15 - 2^14
  //   else the result is ((S + 2^14) >> 15) mod 2^ActBits = S[Sh +: ActBits] + S[Sh-1]
  //   (the bits above Sh + ActBits only carry the sign, which the range fixes).
  localparam logic signed [SumW-1:0] HiBound =
      SumW'((64'(ActMaxI) + 64'sd1) <<< Sh) - SumW'(64'sd1 <<< (Sh - 1));
  localparam logic signed [SumW-1:0] LoBound =
      SumW'(64'(ActMinI) <<< Sh) - SumW'(64'sd1 <<< (Sh - 1));
  logic signed [SumW-1:0]    root;
  logic [ActBits-1:0]        rnd;
  logic signed [ActBits-1:0] s_calc, s_q;
  assign root = node_q[Nodes-1];
  assign rnd  = root[Sh +: ActBits] + ActBits'(root[Sh-1]);
  always_comb begin
    if (root >= HiBound) begin
      s_calc = {1'b0, {(ActBits-1){1'b1}}};
    end else if (root < LoBound) begin
      s_calc = {1'b1, {(ActBits-1){1'b0}}};
    end else begin
      s_calc = rnd;
    end
  end
  always_ff @(posedge clk_i) begin
    if (en_i) begin
      s_q <= s_calc;
    end
  end
  assign s_o = s_q;

endmodule
