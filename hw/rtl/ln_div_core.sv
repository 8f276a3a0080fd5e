// Exact rounded reciprocal of the LayerNorm root by restoring division:
//   R = floor(2^K / Q + 1/2) = (2^(K+1) + Q) div (2Q)        (docs/numerics.md, "LayerNorm")
// for Q in [2^(RootW-1), 2^RootW). With K = 54, RootW = 31: R in (2^23, 2^24],
// 25 bits (R = 2^24 exactly when Q = 2^30).
//
// Long division of N = 2^(K+1) + Q by Dv = 2Q, one quotient bit per step, most
// significant first. N < 2^(K+2) and Dv >= 2^RootW, so the quotient has
// RstdW = K + 2 - RootW bits and the initial remainder N >> RstdW is below Dv.
// Step: r = (rem << 1) | next numerator bit; r >= Dv: rem = r - Dv, bit 1.
//
// StepsPerCycle steps are chained combinationally per clock; the quotient is
// computed over Iter * StepsPerCycle bits (the extra leading bits are zero, the
// initial remainder only gets smaller), so every cycle does the same work.
//
// Stream in:  in_q_i (RootW, unsigned), in_user_i (UserW bits passed through).
// Stream out: out_r_o (RstdW, unsigned), out_user_o.
// Timing: an operand accepted on edge e gives out_valid_o from edge e + Iter,
// Iter = ceil(RstdW / StepsPerCycle); initiation interval Iter + 2 cycles
// (in_ready_o depends on registers only).
module ln_div_core #(
  parameter int unsigned RootW         = 31,
  parameter int unsigned K             = 54,
  parameter int unsigned StepsPerCycle = 1,
  parameter int unsigned UserW         = 1,
  // Derived
  localparam int unsigned NumW  = K + 2,
  localparam int unsigned DivW  = RootW + 1,
  localparam int unsigned RstdW = K + 2 - RootW,
  localparam int unsigned Iter  = (RstdW + StepsPerCycle - 1) / StepsPerCycle,
  localparam int unsigned QPad  = Iter * StepsPerCycle,
  localparam int unsigned RemW  = DivW + 1,
  localparam int unsigned CntW  = $clog2(Iter + 1)
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic             in_valid_i,
  output logic             in_ready_o,
  input  logic [RootW-1:0] in_q_i,
  input  logic [UserW-1:0] in_user_i,
  output logic             out_valid_o,
  input  logic             out_ready_i,
  output logic [RstdW-1:0] out_r_o,
  output logic [UserW-1:0] out_user_o
);

  logic [NumW-1:0]  num;
  logic [DivW-1:0]  div_q;
  logic [QPad-1:0]  low_q, low_d;     // numerator bits still to bring down
  logic [RemW-1:0]  rem_q, rem_d;
  logic [QPad-1:0]  quo_q, quo_d;
  logic [RemW-1:0]  step_r;
  logic [CntW-1:0]  cnt_q;
  logic             busy_q, out_valid_q;
  logic [UserW-1:0] user_q;
  logic             accept;

  // in_ready_o from registers only (no out_ready_i -> in_ready_o path): a new operand is
  // taken in the cycle after the result left.
  assign in_ready_o = !busy_q && !out_valid_q;
  assign accept     = in_valid_i && in_ready_o;
  assign num        = (NumW'(1) << (K + 1)) + NumW'(in_q_i);

  always_comb begin
    low_d  = low_q;
    rem_d  = rem_q;
    quo_d  = quo_q;
    step_r = '0;
    for (int unsigned s = 0; s < StepsPerCycle; s++) begin
      step_r = RemW'({rem_d, low_d[QPad-1]});
      if (step_r >= RemW'(div_q)) begin
        rem_d = step_r - RemW'(div_q);
        quo_d = QPad'({quo_d, 1'b1});
      end else begin
        rem_d = step_r;
        quo_d = QPad'({quo_d, 1'b0});
      end
      low_d = QPad'({low_d, 1'b0});
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      div_q       <= '0;
      low_q       <= '0;
      rem_q       <= '0;
      quo_q       <= '0;
      cnt_q       <= '0;
      busy_q      <= 1'b0;
      out_valid_q <= 1'b0;
      user_q      <= '0;
    end else begin
      if (out_valid_q && out_ready_i) begin
        out_valid_q <= 1'b0;
      end
      if (accept) begin
        div_q  <= {in_q_i, 1'b0};
        // N >> QPad < Dv; the low QPad numerator bits are brought down one per step.
        rem_q  <= RemW'(num >> QPad);
        low_q  <= QPad'(num);
        quo_q  <= '0;
        cnt_q  <= CntW'(Iter);
        busy_q <= 1'b1;
        user_q <= in_user_i;
      end else if (busy_q) begin
        low_q <= low_d;
        rem_q <= rem_d;
        quo_q <= quo_d;
        cnt_q <= cnt_q - CntW'(1);
        if (cnt_q == CntW'(1)) begin
          busy_q      <= 1'b0;
          out_valid_q <= 1'b1;
        end
      end
    end
  end

  assign out_valid_o = out_valid_q;
  assign out_r_o     = RstdW'(quo_q);
  assign out_user_o  = user_q;

endmodule
