// Activation buffer of the top: simple dual-port RAM of Words x Lanes elements.
//
// One word is one 16-column chunk of a token row (docs/architecture.md, "On-chip
// buffers"); each lane has its own write enable so a writer can fill single
// elements (LOAD) or whole beats (kernels) without read-modify-write. Each lane is
// its own narrow RAM (ElemBits wide), which is how block RAM implements per-lane
// enables wider than a byte. Read latency 1 cycle (registered output, no reset:
// datapath).
module edgemoe_actbuf #(
  parameter int unsigned Words    = 1548,
  parameter int unsigned Lanes    = 16,
  parameter int unsigned ElemBits = 26,
  localparam int unsigned AddrW   = $clog2(Words)
) (
  input  logic                      clk_i,
  input  logic                      wr_en_i,
  input  logic [AddrW-1:0]          wr_addr_i,
  input  logic [Lanes-1:0]          wr_lanes_i,
  input  logic [Lanes*ElemBits-1:0] wr_data_i,
  input  logic                      rd_en_i,
  input  logic [AddrW-1:0]          rd_addr_i,
  output logic [Lanes*ElemBits-1:0] rd_data_o
);

  for (genvar l = 0; l < Lanes; l++) begin : g_lane
    (* ram_style = "block" *) logic [ElemBits-1:0] mem_q [Words];  // block RAM, as the buffer table counts
    logic [ElemBits-1:0] rd_q;

    always_ff @(posedge clk_i) begin
      if (wr_en_i && wr_lanes_i[l]) mem_q[wr_addr_i] <= wr_data_i[l*ElemBits +: ElemBits];
      if (rd_en_i) rd_q <= mem_q[rd_addr_i];
    end
    assign rd_data_o[l*ElemBits +: ElemBits] = rd_q;
  end

endmodule
