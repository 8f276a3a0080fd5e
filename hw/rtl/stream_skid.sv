// Two-entry skid buffer with a registered output, valid/ready on both sides: the glue's
// input and output buffers where the head entry feeds deep logic (the cluster's weight,
// act, side and cmd skids, its output skid).
//
// Stream in:  in_data_i  = one Width-bit entry.
// Stream out: out_data_o = the head entry, straight from a register (head_q), so a reader
// sees a flip-flop's clock-to-out, not a LUTRAM read (stream_fifo's fall-through read
// costs the LUTRAM's 0.8 ns write-clock-to-out; docs/timing.md).
//
// Cycle-identical to stream_fifo #(.Depth(2)): an entry written at one clock edge can
// leave in the very next cycle; in_ready_o = fewer than two entries held (from registers
// only: a full buffer accepts no push even when it pops in the same cycle), out_valid_o =
// at least one entry held; entries leave in arrival order.
module stream_skid #(
  parameter int unsigned Width = 8
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic             in_valid_i,
  output logic             in_ready_o,
  input  logic [Width-1:0] in_data_i,
  output logic             out_valid_o,
  input  logic             out_ready_i,
  output logic [Width-1:0] out_data_o
);

  logic [Width-1:0] head_q, spare_q;   // the head entry; the entry behind it (when two are held)
  logic             head_v_q, spare_v_q;
  logic             push, pop;

  assign in_ready_o  = !spare_v_q;
  assign out_valid_o = head_v_q;
  assign out_data_o  = head_q;
  assign push        = in_valid_i && in_ready_o;
  assign pop         = head_v_q && out_ready_i;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      head_v_q  <= 1'b0;
      spare_v_q <= 1'b0;
    end else begin
      // occupancy 0..2 as two flags: head first, spare only behind a head
      if (spare_v_q) begin
        if (pop) spare_v_q <= 1'b0;              // no push while two are held
      end else if (head_v_q) begin
        if (push && !pop) spare_v_q <= 1'b1;
        if (pop && !push) head_v_q  <= 1'b0;
      end else begin
        if (push) head_v_q <= 1'b1;
      end
    end
  end

  // Storage without reset (the flags say which entries are live).
  always_ff @(posedge clk_i) begin
    if (spare_v_q) begin
      if (pop) head_q <= spare_q;
    end else if (push && (pop || !head_v_q)) begin
      head_q <= in_data_i;
    end
    if (push && head_v_q && !pop) spare_q <= in_data_i;
  end

endmodule
