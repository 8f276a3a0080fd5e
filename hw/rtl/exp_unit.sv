// Exp unit: valid/ready stream of Lanes independent EXP(d) evaluations, one
// exp_core per lane (docs/numerics.md, "Exp"; bit-exact to exp_fixed).
//
// Stream in:  in_data_i  = Lanes act codes d <= 0, lane l in bits [l*ActBits +: ActBits].
// Stream out: out_data_o = Lanes e codes (frac 17), lane l in bits [l*EBits +: EBits].
//
// The exp_core pipeline (ExpLatency stages: 10, the 300 MHz form, or 5, the compact
// one; the same integers) advances when its last stage is empty or accepted, exactly
// like gelu_unit: one beat (Lanes results) per cycle at steady state, a beat's result
// leaves ExpLatency edges after it entered. N beats without idle or backpressure take
// N + ExpLatency cycles from the first input transfer to the last output transfer
// inclusive (N + 10 at the default; checked by sim/tb/test_exp_unit.py).
module exp_unit
  import edgemoe_pkg::*;
#(
  parameter int unsigned Lanes      = 1,
  parameter int unsigned ExpLatency = 10   // exp_core's Latency: 10 or 5
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  input  logic                     in_valid_i,
  output logic                     in_ready_o,
  input  logic [Lanes*ActBits-1:0] in_data_i,
  output logic                     out_valid_o,
  input  logic                     out_ready_i,
  output logic [Lanes*EBits-1:0]   out_data_o
);

  localparam int unsigned Latency = ExpLatency;

  logic [Latency-1:0] valid_q;
  logic               advance;
  assign advance     = !valid_q[Latency-1] || out_ready_i;
  assign in_ready_o  = advance;
  assign out_valid_o = valid_q[Latency-1];

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      valid_q <= '0;
    end else if (advance) begin
      valid_q <= {valid_q[Latency-2:0], in_valid_i};
    end
  end

  for (genvar l = 0; l < Lanes; l++) begin : g_lane
    exp_core #(.Latency(ExpLatency)) u_exp (
      .clk_i (clk_i),
      .rst_ni(rst_ni),
      .en_i  (advance),
      .d_i   (in_data_i[l*ActBits +: ActBits]),
      .e_o   (out_data_o[l*EBits +: EBits])
    );
  end

endmodule
