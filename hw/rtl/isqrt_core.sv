// Floor integer square root by digit recurrence (restoring, one result bit per
// step): root_o = floor(sqrt(op_i)). Used by the LayerNorm kernel on the
// normalised variance W' in [2^60, 2^62) (docs/numerics.md, "LayerNorm"), where
// the root lies in [2^30, 2^31).
//
// Recurrence over the operand's bit pairs, most significant first:
//   r = (rem << 2) | pair;  t = (root << 2) | 1
//   r >= t:  rem = r - t, root = (root << 1) | 1     else  rem = r, root = root << 1
// rem <= 2 root always, so rem fits RootBits + 1 bits and r, t fit RootBits + 3.
//
// StepsPerCycle recurrence steps are chained combinationally per clock. The
// operand is zero-extended to Iter * StepsPerCycle bit pairs so every cycle does
// the same number of steps (leading zero pairs give leading zero root bits).
//
// Stream in:  in_op_i (OpBits, unsigned), in_user_i (UserW bits passed through).
// Stream out: out_root_o (OpBits/2, unsigned), out_user_o (the operand's user bits).
// Timing: an operand accepted on edge e gives out_valid_o from edge e + Iter,
// Iter = ceil(OpBits/2 / StepsPerCycle); a new operand can be accepted on the
// edge after the result was taken, so the initiation interval is Iter + 2 cycles.
module isqrt_core #(
  parameter int unsigned OpBits        = 62,
  parameter int unsigned StepsPerCycle = 1,
  parameter int unsigned UserW         = 1,
  // Derived
  localparam int unsigned RootBits = OpBits / 2,
  localparam int unsigned Iter     = (RootBits + StepsPerCycle - 1) / StepsPerCycle,
  localparam int unsigned Pairs    = Iter * StepsPerCycle,
  localparam int unsigned RemW     = Pairs + 3,
  localparam int unsigned CntW     = $clog2(Iter + 1)
) (
  input  logic                clk_i,
  input  logic                rst_ni,
  input  logic                in_valid_i,
  output logic                in_ready_o,
  input  logic [OpBits-1:0]   in_op_i,
  input  logic [UserW-1:0]    in_user_i,
  output logic                out_valid_o,
  input  logic                out_ready_i,
  output logic [RootBits-1:0] out_root_o,
  output logic [UserW-1:0]    out_user_o
);

  logic [2*Pairs-1:0] op_q, op_d;
  logic [RemW-1:0]    rem_q, rem_d;
  logic [Pairs-1:0]   root_q, root_d;
  logic [CntW-1:0]    cnt_q;
  logic               busy_q, out_valid_q;
  logic [UserW-1:0]   user_q;
  logic               accept;
  logic [RemW-1:0]    step_r, step_t;

  // in_ready_o from registers only (no out_ready_i -> in_ready_o path): a new operand is
  // taken in the cycle after the result left.
  assign in_ready_o = !busy_q && !out_valid_q;
  assign accept     = in_valid_i && in_ready_o;

  // StepsPerCycle recurrence steps on the current state.
  always_comb begin
    op_d   = op_q;
    rem_d  = rem_q;
    root_d = root_q;
    step_r = '0;
    step_t = '0;
    for (int unsigned s = 0; s < StepsPerCycle; s++) begin
      step_r = RemW'({rem_d, op_d[2*Pairs-1 -: 2]});
      step_t = RemW'({root_d, 2'b01});
      if (step_r >= step_t) begin
        rem_d  = step_r - step_t;
        root_d = Pairs'({root_d, 1'b1});
      end else begin
        rem_d  = step_r;
        root_d = Pairs'({root_d, 1'b0});
      end
      op_d = (2*Pairs)'({op_d, 2'b00});
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      op_q        <= '0;
      rem_q       <= '0;
      root_q      <= '0;
      cnt_q       <= '0;
      busy_q      <= 1'b0;
      out_valid_q <= 1'b0;
      user_q      <= '0;
    end else begin
      if (out_valid_q && out_ready_i) begin
        out_valid_q <= 1'b0;
      end
      if (accept) begin
        op_q   <= (2*Pairs)'(in_op_i);
        rem_q  <= '0;
        root_q <= '0;
        cnt_q  <= CntW'(Iter);
        busy_q <= 1'b1;
        user_q <= in_user_i;
      end else if (busy_q) begin
        op_q   <= op_d;
        rem_q  <= rem_d;
        root_q <= root_d;
        cnt_q  <= cnt_q - CntW'(1);
        if (cnt_q == CntW'(1)) begin
          busy_q      <= 1'b0;
          out_valid_q <= 1'b1;
        end
      end
    end
  end

  assign out_valid_o = out_valid_q;
  // The zero-extension pairs contribute only leading zero root bits.
  assign out_root_o  = RootBits'(root_q);
  assign out_user_o  = user_q;

endmodule
