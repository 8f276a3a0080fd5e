// Reciprocal core: r = floor(2^41 / S + 1/2) = (2^42 + S) div (2S) for a softmax
// sum S (format sum, frac 17, S >= 2^17), r in format r (frac 24), bit-exact to
// edgemoe.golden.exp_recip.recip_fixed (docs/numerics.md, "Reciprocal").
//
// Restoring radix-2 division of N = 2^42 + S by D = 2S. Because S < 2^25 the
// quotient is below 2^25 (r <= 2^24 at S = 2^17), so the division starts from
// the partial remainder N >> 25 = 2^17 (< D) and brings down the 25 low bits of
// N, which are exactly S[24:0], one per cycle, MSB first:
//     rem = (rem << 1) | S[k];  q_k = (rem >= D);  if (q_k) rem -= D       k = 24 .. 0
// The remainder stays below D < 2^26; one 27-bit compare/subtract per cycle.
//
// Handshake: start_i is accepted on a clock edge where !busy_o (the first
// iteration happens on that edge). busy_o is high for the next RecipCycles - 1 =
// 24 cycles; done_o pulses high for one cycle with r_o valid in the cycle after the
// last iteration, and busy_o is already low in that cycle, so a new start can be
// accepted there: one reciprocal per RecipCycles = 25 cycles back to back, and
// the edge that samples done_o is 25 edges after the start edge.
// r_o holds its value until the next accepted start.
//
// Why iterative (an exception to one result per cycle): the softmax needs one
// reciprocal per row, i.e. one per 129 keys in attention and one per 16 expert
// logits in the MoE gate; a 25-cycle divider costs 25 subtractors less than an
// unrolled one and still keeps up with every 129-key row (rows shorter than 25
// keys are limited to one per 25 cycles per divider).
module recip_core
  import edgemoe_pkg::*;
(
  input  logic               clk_i,
  input  logic               rst_ni,
  input  logic               start_i,
  input  logic [SumBits-1:0] s_i,
  output logic               busy_o,
  output logic               done_o,
  output logic [RBits-1:0]   r_o
);

  localparam int unsigned Rem0Log2   = SumFrac + RFrac + 1 - RBits;    // rem0 = N >> 25 = 2^17
  localparam int unsigned Iterations = RBits;                           // 25 quotient bits
  localparam int unsigned DW         = SumBits + 1;                     // D = 2S
  localparam int unsigned CntW       = $clog2(Iterations);

  // The start remainder N >> RBits is 2^(SumFrac+RFrac+1-RBits) = 2^17 only when
  // the sum fits below 2^RBits (then N's low RBits bits are S itself).
  if (SumBits != RBits || Rem0Log2 != 17) begin : g_chk_fmt
    $error("recip_core: derived for sum and r of 25 bits (frac 17 and 24)");
  end

  logic [DW-1:0]      rem_q, d_q;
  logic [SumBits-1:0] bits_q;
  logic [RBits-1:0]   q_q;
  logic [CntW-1:0]    cnt_q;
  logic               busy_q, done_q;

  // Current operands: the registers while busy, the fresh ones on the start edge.
  logic               step;
  logic [DW-1:0]      cur_rem, cur_d, nxt_rem;
  logic [SumBits-1:0] cur_bits;
  logic [DW:0]        trial;
  logic               ge;
  assign step     = busy_q || start_i;
  assign cur_rem  = busy_q ? rem_q  : DW'(1) << Rem0Log2;
  assign cur_d    = busy_q ? d_q    : {s_i, 1'b0};
  assign cur_bits = busy_q ? bits_q : s_i;
  assign trial    = {cur_rem, cur_bits[SumBits-1]} - {1'b0, cur_d};
  assign ge       = !trial[DW];
  assign nxt_rem  = ge ? trial[DW-1:0] : {cur_rem[DW-2:0], cur_bits[SumBits-1]};

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rem_q  <= '0;
      d_q    <= '0;
      bits_q <= '0;
      q_q    <= '0;
      cnt_q  <= '0;
      busy_q <= 1'b0;
      done_q <= 1'b0;
    end else begin
      done_q <= 1'b0;
      if (step) begin
        rem_q  <= nxt_rem;
        d_q    <= cur_d;
        bits_q <= cur_bits << 1;
        q_q    <= {q_q[RBits-2:0], ge};
        if (!busy_q) begin
          busy_q <= 1'b1;
          cnt_q  <= CntW'(Iterations - 2);
        end else if (cnt_q == '0) begin
          busy_q <= 1'b0;
          done_q <= 1'b1;
        end else begin
          cnt_q <= cnt_q - CntW'(1);
        end
      end
    end
  end

  assign busy_o = busy_q;
  assign done_o = done_q;
  assign r_o    = q_q;

endmodule
