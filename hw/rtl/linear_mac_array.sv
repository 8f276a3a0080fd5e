// MAC array of the unified linear unit: TileOut dot-product columns
// (linear_dot.sv) sharing one activation beat, plus the pipeline's control
// bits. Free-running: the issue logic upstream only issues a beat when its
// result has a guaranteed place downstream (credits), so nothing here stalls.
//
// Cycle 0 (issue):  in_valid_i with the beat's act codes x_i (TileIn act codes,
//                   lane i at [i*ActBits +: ActBits]) and its position: first
//                   chunk of a token, last chunk of a token, last chunk of the
//                   slab's last token. The weight RAM is addressed in the same
//                   cycle; w_i (TileOut x TileIn mantissas, row r lane i at
//                   [(r*TileIn + i)*WBits +: WBits]) arrives in cycle 2 (the
//                   RAM's read and output registers).
// Cycles 1, 2:      x registered twice (aligned with w_i).
// Cycle 3:          products; cycles 4..3+log2(TileIn): adder tree levels.
// Cycle 4+log2(TileIn): accumulators updated; res_valid_o is high for one cycle
//                   when the token's last chunk has been added: acc_o holds the
//                   TileOut exact sums, row r at [r*AccW +: AccW].
// Latency MacLat = 4 + log2(TileIn) cycles from issue to res_valid_o.
module linear_mac_array
  import edgemoe_pkg::*;
#(
  parameter int unsigned TileIn  = LinTileIn,
  parameter int unsigned TileOut = LinTileOut,
  parameter int unsigned AccW    = 53
) (
  input  logic                              clk_i,
  input  logic                              rst_ni,
  input  logic                              in_valid_i,
  input  logic                              in_first_i,
  input  logic                              in_last_i,
  input  logic                              in_slab_last_i,
  input  logic [TileIn*ActBits-1:0]         x_i,
  input  logic [TileOut*TileIn*WBits-1:0]   w_i,
  output logic                              res_valid_o,
  output logic                              res_slab_last_o,
  output logic [TileOut*AccW-1:0]           acc_o
);

  localparam int unsigned LogIn = $clog2(TileIn);
  // Control bits travel from the issue cycle to the tree root: two x registers,
  // product register, log2(TileIn) tree levels.
  localparam int unsigned Stages = 3 + LogIn;

  // {slab_last, last, first, valid} per stage
  logic [3:0] ctl_q [Stages];
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      for (int unsigned s = 0; s < Stages; s++) ctl_q[s] <= '0;
    end else begin
      ctl_q[0] <= {in_slab_last_i, in_last_i, in_first_i, in_valid_i};
      for (int unsigned s = 1; s < Stages; s++) ctl_q[s] <= ctl_q[s-1];
    end
  end

  // With a reset only so the two registers stay flip-flops (not an SRL: 0.9 ns clock-to-out).
  logic [TileIn*ActBits-1:0] x_q, x2_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      x_q  <= '0;
      x2_q <= '0;
    end else begin
      x_q  <= x_i;
      x2_q <= x_q;
    end
  end

  logic [3:0] root_ctl;
  assign root_ctl = ctl_q[Stages-1];

  for (genvar r = 0; r < TileOut; r++) begin : g_col
    linear_dot #(
      .TileIn (TileIn),
      .AccW   (AccW)
    ) u_dot (
      .clk_i       (clk_i),
      .x_i         (x2_q),
      .w_i         (w_i[r*TileIn*WBits +: TileIn*WBits]),
      .acc_en_i    (root_ctl[0]),
      .acc_first_i (root_ctl[1]),
      .acc_o       (acc_o[r*AccW +: AccW])
    );
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      res_valid_o     <= 1'b0;
      res_slab_last_o <= 1'b0;
    end else begin
      res_valid_o     <= root_ctl[0] && root_ctl[2];
      res_slab_last_o <= root_ctl[0] && root_ctl[3];
    end
  end

endmodule
