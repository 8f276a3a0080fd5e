// One query row times one key row: s = sat_act(round_shift(sum_d q[d] * k[d], 15)),
// bit-exact to edgemoe.golden.attention.scores_fixed for one (i, j) pair.
//
// q_i: Dh q codes (QBits, frac 15), element d in bits [d*QBits +: QBits].
// k_i: Dh act codes (frac 16), element d in bits [d*ActBits +: ActBits].
// s_o: the score (act code) of the q_i/k_i presented DotLatency = 3 enabled cycles
//      earlier; the pipeline advances only when en_i = 1.
// Stages: 1. Dh exact 18 x 26 products (one DSP48E2 each: q on the 18-bit B
//            port, k on the 27-bit A port, MREG)
//         2. exact sum (|sum| <= Dh * 2^42, no rounding, no wrap)
//         3. round half up by 15 (frac 31 -> 16) and saturate to act
// One score per enabled cycle.
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
  localparam int unsigned RndW  = SumW - Sh;

  // ---- stage 1: products
  logic signed [ProdW-1:0] prod_q [Dh];
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int d = 0; d < Dh; d++) begin
        prod_q[d] <= '0;
      end
    end else if (en_i) begin
      for (int d = 0; d < Dh; d++) begin
        prod_q[d] <= ProdW'($signed(q_i[d*QBits +: QBits])) * ProdW'($signed(k_i[d*ActBits +: ActBits]));
      end
    end
  end

  // ---- stage 2: exact sum
  logic signed [SumW-1:0] sum, sum_q;
  always_comb begin
    sum = '0;
    for (int d = 0; d < Dh; d++) begin
      sum = sum + SumW'(prod_q[d]);
    end
  end
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      sum_q <= '0;
    end else if (en_i) begin
      sum_q <= sum;
    end
  end

  // ---- stage 3: round half up, saturate
  logic signed [RndW-1:0]    rnd;
  logic signed [ActBits-1:0] s_calc, s_q;
  assign rnd = RndW'((sum_q + SumW'(1 << (Sh - 1))) >>> Sh);
  always_comb begin
    if (rnd > RndW'(ActMaxI)) begin
      s_calc = {1'b0, {(ActBits-1){1'b1}}};
    end else if (rnd < RndW'(ActMinI)) begin
      s_calc = {1'b1, {(ActBits-1){1'b0}}};
    end else begin
      s_calc = rnd[ActBits-1:0];
    end
  end
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      s_q <= '0;
    end else if (en_i) begin
      s_q <= s_calc;
    end
  end
  assign s_o = s_q;

endmodule
