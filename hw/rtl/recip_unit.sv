// Reciprocal unit: valid/ready stream wrapper around one recip_core
// (r = (2^42 + S) div (2S), docs/numerics.md "Reciprocal").
//
// Stream in:  in_data_i  = one sum code S (SumBits, frac 17, S >= 2^17).
// Stream out: out_data_o = one r code (RBits, frac 24).
//
// One division in flight: a sum is accepted when the core is idle and no result
// is waiting (or the waiting result leaves on the same edge). The result is
// presented from the cycle the core raises done_o (no extra register) and held
// until accepted. Without idle or backpressure N sums take 25 N + 1 cycles from the
// first input transfer to the last output transfer inclusive (RecipCycles = 25
// per division, see recip_core): the exception to one result per cycle, because
// the softmax needs one reciprocal per row, not per element.
module recip_unit
  import edgemoe_pkg::*;
(
  input  logic               clk_i,
  input  logic               rst_ni,
  input  logic               in_valid_i,
  output logic               in_ready_o,
  input  logic [SumBits-1:0] in_data_i,
  output logic               out_valid_o,
  input  logic               out_ready_i,
  output logic [RBits-1:0]   out_data_o
);

  logic busy, done;
  logic hold_q;  // a finished result is still waiting for out_ready_i

  assign out_valid_o = done || hold_q;
  assign in_ready_o  = !busy && (!out_valid_o || out_ready_i);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      hold_q <= 1'b0;
    end else begin
      hold_q <= out_valid_o && !out_ready_i;
    end
  end

  recip_core u_recip (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .start_i(in_valid_i && in_ready_o),
    .s_i    (in_data_i),
    .busy_o (busy),
    .done_o (done),
    .r_o    (out_data_o)
  );

endmodule
