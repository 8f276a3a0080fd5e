// Small synchronous FIFO with valid/ready on both sides: the one FIFO of the
// kernels (linear-unit slab/result/GELU-bypass queues, LayerNorm descriptor and
// output queues, the attention unit's V-row FIFO).
//
// Stream in:  in_data_i  = one Width-bit entry.
// Stream out: out_data_o = the head entry, same packing.
//
// Fall-through read: out_data_o is the head entry read combinationally from the
// storage array (small, so it maps to distributed RAM), so an entry written at
// one clock edge can leave in the very next cycle. A full FIFO accepts no push
// even when it pops in the same cycle (in_ready_o depends on registers only, so
// no combinational path runs from out_ready_i to in_ready_o). Depth need not be
// a power of two.
module stream_fifo #(
  parameter int unsigned Width = 8,
  parameter int unsigned Depth = 4
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

  localparam int unsigned PtrW = (Depth > 1) ? $clog2(Depth) : 1;
  localparam int unsigned CntW = $clog2(Depth + 1);

  logic [Width-1:0] mem_q [Depth];
  logic [PtrW-1:0]  wptr_q, rptr_q;
  logic [CntW-1:0]  cnt_q;
  logic             push, pop;

  assign in_ready_o  = (cnt_q != CntW'(Depth));
  assign out_valid_o = (cnt_q != '0);
  assign push        = in_valid_i && in_ready_o;
  assign pop         = out_valid_o && out_ready_i;
  assign out_data_o  = mem_q[rptr_q];

  function automatic logic [PtrW-1:0] ptr_incr(logic [PtrW-1:0] p);
    return (p == PtrW'(Depth - 1)) ? '0 : p + PtrW'(1);
  endfunction

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wptr_q <= '0;
      rptr_q <= '0;
      cnt_q  <= '0;
    end else begin
      if (push) wptr_q <= ptr_incr(wptr_q);
      if (pop)  rptr_q <= ptr_incr(rptr_q);
      if (push && !pop) begin
        cnt_q <= cnt_q + CntW'(1);
      end else if (pop && !push) begin
        cnt_q <= cnt_q - CntW'(1);
      end
    end
  end

  // Storage has no reset (distributed RAM); cnt_q says which entries are live.
  always_ff @(posedge clk_i) begin
    if (push) mem_q[wptr_q] <= in_data_i;
  end

endmodule
