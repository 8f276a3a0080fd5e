// Simple dual-port RAM for the LayerNorm kernel: one write port, one read port
// with a registered read (read enable = clock enable of the read register), so
// synthesis maps it to block RAM (or LUT RAM when small) with the output
// register inside the RAM primitive.
//
// Read-during-write to the same address is never exercised by layernorm.sv (a
// word is read only after it was written, and rewritten only after it was read),
// so no read-first/write-first behaviour is required of the primitive.
module ln_ram #(
  parameter int unsigned Width = 26,
  parameter int unsigned Depth = 384,
  // Derived: address width (at least 1 bit so a one-word RAM still elaborates).
  localparam int unsigned AddrW = (Depth > 1) ? $clog2(Depth) : 1
) (
  input  logic             clk_i,
  input  logic             we_i,
  input  logic [AddrW-1:0] waddr_i,
  input  logic [Width-1:0] wdata_i,
  input  logic             re_i,
  input  logic [AddrW-1:0] raddr_i,
  output logic [Width-1:0] rdata_o
);

  logic [Width-1:0] mem_q [0:Depth-1];
  logic [Width-1:0] rdata_q;

  // No reset on the storage or the read register: RAM primitives have none, and
  // every consumer qualifies the read data with a reset valid bit.
  always_ff @(posedge clk_i) begin
    if (we_i) begin
      mem_q[waddr_i] <= wdata_i;
    end
  end

  always_ff @(posedge clk_i) begin
    if (re_i) begin
      rdata_q <= mem_q[raddr_i];
    end
  end

  assign rdata_o = rdata_q;

endmodule
