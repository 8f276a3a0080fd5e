// Ping-pong weight buffer of the unified linear unit (linear_unit.sv).
//
// One RAM per output row of the tile (TileOut RAMs). RAM r holds, for each of
// the two banks, the KtMax chunks of TileIn int16 mantissas of tile row r:
// address {bank, chunk}. The loader fills one bank (one row chunk per cycle:
// the weight-stream beat) while the MAC array reads the other (the same chunk
// of all TileOut rows per cycle: one operand word of the array).
//
// Write port: wr_data_i = TileIn w mantissas, lane i at [i*WBits +: WBits],
//             written to RAM wr_row_i at wr_addr_i = {bank, chunk}.
// Read port:  rd_data_o = TileOut x TileIn mantissas, row r lane i at
//             [(r*TileIn + i)*WBits +: WBits], of address rd_addr_i presented
//             two cycles earlier (synchronous read and the block RAM's output
//             register: the data leave the RAM from a register, 300 MHz).
// Each RAM is (2 << ChunkW) x (TileIn*WBits) with one write and one read port:
// block RAM (simple dual port) for the ZCU102 configuration (16 x 128 x 256 bits).
module linear_wbuf
  import edgemoe_pkg::*;
#(
  parameter int unsigned TileIn  = LinTileIn,
  parameter int unsigned TileOut = LinTileOut,
  parameter int unsigned ChunkW  = 6,
  parameter int unsigned RowW    = (TileOut > 1) ? $clog2(TileOut) : 1
) (
  input  logic                              clk_i,
  input  logic                              wr_en_i,
  input  logic [RowW-1:0]                   wr_row_i,
  input  logic [ChunkW:0]                   wr_addr_i,
  input  logic [TileIn*WBits-1:0]           wr_data_i,
  input  logic [ChunkW:0]                   rd_addr_i,
  output logic [TileOut*TileIn*WBits-1:0]   rd_data_o
);

  localparam int unsigned RowBits = TileIn * WBits;
  localparam int unsigned Words   = 2 << ChunkW;

  for (genvar r = 0; r < TileOut; r++) begin : g_row
    logic [RowBits-1:0] mem_q [Words];
    logic [RowBits-1:0] rd_q, rd2_q;
    logic               we;
    assign we = wr_en_i && (wr_row_i == RowW'(r));
    // No reset: RAM contents and the read register carry data only; the
    // linear unit's bank-full flags say which words are live.
    always_ff @(posedge clk_i) begin
      if (we) mem_q[wr_addr_i] <= wr_data_i;
      rd_q  <= mem_q[rd_addr_i];
      rd2_q <= rd_q;
    end
    assign rd_data_o[r*RowBits +: RowBits] = rd2_q;
  end

endmodule
