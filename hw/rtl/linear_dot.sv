// One column of the linear unit's MAC array: a TileIn-input dot product with a
// pipelined adder tree and an exact accumulator (linear_mac_array.sv).
//
// x_i: TileIn act codes, lane i at [i*ActBits +: ActBits] (registered upstream).
// w_i: TileIn w mantissas, lane i at [i*WBits +: WBits] (registered upstream:
//      the weight RAM's output register).
// Cycle n:     x_i, w_i
// Cycle n+1:   TileIn products x*w, registered: 26 x 16 signed fits the 27 x 18
//              multiplier of one DSP48E2 (A/B input registers = the upstream
//              registers, M register = prod). Products are exact (42 bits).
// Cycle n+1+l: level l of the adder tree, registered (l = 1..log2(TileIn));
//              every level widens by one bit, so the tree is exact. The tree is
//              a binary heap: node i sums nodes 2i and 2i+1, leaves are
//              TileIn..2*TileIn-1, the root is node 1.
// acc_en_i / acc_first_i are aligned with the root (cycle n+1+log2(TileIn)):
// acc_q <= (first ? 0 : acc_q) + root. AccW is chosen by the caller so the sum
// over a whole row (plus the bias, added later) never wraps: nothing here rounds.
// The datapath registers have no reset (the caller's valid bits qualify them),
// so the synthesis tools can pack them into DSP48E2 registers.
module linear_dot
  import edgemoe_pkg::*;
#(
  parameter int unsigned TileIn = LinTileIn,
  parameter int unsigned AccW   = 53
) (
  input  logic                      clk_i,
  input  logic [TileIn*ActBits-1:0] x_i,
  input  logic [TileIn*WBits-1:0]   w_i,
  input  logic                      acc_en_i,
  input  logic                      acc_first_i,
  output logic [AccW-1:0]           acc_o
);

  localparam int unsigned LogIn = $clog2(TileIn);
  localparam int unsigned ProdW = ActBits + WBits;
  localparam int unsigned TreeW = ProdW + LogIn;

  logic signed [TreeW-1:0] node_q [1:2*TileIn-1];

  for (genvar i = 0; i < TileIn; i++) begin : g_mul
    logic signed [ActBits-1:0] xa;
    logic signed [WBits-1:0]   wb;
    logic signed [ProdW-1:0]   prod;
    assign xa   = x_i[i*ActBits +: ActBits];
    assign wb   = w_i[i*WBits +: WBits];
    assign prod = ProdW'(xa) * ProdW'(wb);
    always_ff @(posedge clk_i) begin
      node_q[TileIn + i] <= TreeW'(prod);
    end
  end

  for (genvar i = 1; i < TileIn; i++) begin : g_add
    always_ff @(posedge clk_i) begin
      node_q[i] <= node_q[2*i] + node_q[2*i + 1];
    end
  end

  logic signed [AccW-1:0] acc_q;
  always_ff @(posedge clk_i) begin
    if (acc_en_i) begin
      acc_q <= (acc_first_i ? AccW'(0) : acc_q) + AccW'(node_q[1]);
    end
  end
  assign acc_o = acc_q;

endmodule
