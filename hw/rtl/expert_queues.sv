// Expert queues: MoE patch reordering (docs/numerics.md, "MoE"; bit-exact to
// edgemoe.golden.moe.build_queues). Every token is appended, in token order and
// slot order (slot 0, then slot 1), to the queue of each of its two experts with
// its score; a queue holds up to QDepth entries of (8-bit token index, 17-bit
// score) and a count 0..QDepth, so a queue that receives every token of a
// 129-token layer keeps all 129 indices. When a layer's last token is in, the
// metaqueue (the experts with a non-empty queue, ascending) is built and the
// queues are read out for the expert phase; then they are cleared for the next
// layer. Tokens of the next layer wait (q_ready_o low) until the read-out ends.
//
// Token stream in (q_*), one beat per token:
//   q_idx_i[k*ExpIdW +: ExpIdW], q_p_i[k*PBits +: PBits]   expert and score of slot k
//   q_token_i (index in the layer), q_last_i (closes the layer)
// Precondition (moe_gate guarantees it): the two experts differ and a layer has at
// most QDepth tokens, so no queue can overflow.
//
// Read-out stream (rd_*), RdW = 1 + TokBits + PBits bits, for each expert in the
// metaqueue: one header beat, then its queue entries in arrival order:
//   header: rd_data_o[RdW-1] = 1, [CntBits +: ExpIdW] = expert, [CntBits-1:0] = count
//   entry:  rd_data_o[RdW-1] = 0, [PBits +: TokBits] = token, [PBits-1:0] = score
// rd_last_o marks the layer's final beat (the last entry of the last active expert).
// This is what the linear unit's expert passes consume: the header selects the
// expert's weights, the entries the xn rows to fetch and the scores to scale by.
//
// Status, valid while meta_valid_o (from the end of the scan to the end of the read-out):
//   meta_len_o                       number of active experts (1..16)
//   meta_o[i*ExpIdW +: ExpIdW]       i-th active expert, ascending (0 beyond meta_len_o)
//   counts_o[e*CntBits +: CntBits]   queue length of expert e
//
// Timing: a token takes 2 cycles (one queue memory write port, slot 0 then slot
// 1); the scan takes NumExperts cycles; the read-out one beat per cycle (a
// 3-entry output FIFO hides the registered memory read under backpressure).
// For 300 MHz (docs/timing.md) the scan also records, per metaqueue position, the
// expert's count and its queue's base address (no multiply, no expert -> count
// double lookup in the read-out), the scan shifts a copy of per-expert "non-empty"
// flags, "this entry is its queue's last" is a register set one issue ahead, and a
// queue memory write is registered once (address, data) before the RAM.
module expert_queues
  import edgemoe_pkg::*;
#(
  parameter int unsigned QDepth = QueueDepth
) (
  input  logic                                        clk_i,
  input  logic                                        rst_ni,
  input  logic                                        q_valid_i,
  output logic                                        q_ready_o,
  input  logic [TopK*$clog2(NumExperts)-1:0]          q_idx_i,
  input  logic [TopK*PBits-1:0]                       q_p_i,
  input  logic [$clog2(NumTokens)-1:0]                q_token_i,
  input  logic                                        q_last_i,
  output logic                                        rd_valid_o,
  input  logic                                        rd_ready_i,
  output logic [$clog2(NumTokens)+PBits:0]            rd_data_o,
  output logic                                        rd_last_o,
  output logic                                        meta_valid_o,
  output logic [$clog2(NumExperts):0]                 meta_len_o,
  output logic [NumExperts*$clog2(NumExperts)-1:0]    meta_o,
  output logic [NumExperts*$clog2(NumTokens)-1:0]     counts_o
);

  localparam int unsigned ExpIdW  = $clog2(NumExperts);
  localparam int unsigned TokBits = $clog2(NumTokens);
  localparam int unsigned CntBits = TokBits;             // counts 0..QDepth, QDepth < 2^TokBits
  localparam int unsigned EntW    = TokBits + PBits;
  localparam int unsigned RdW     = EntW + 1;
  localparam int unsigned QAddrW  = $clog2(NumExperts * QDepth);
  localparam int unsigned FifoN   = 3;

  if (TopK != 2) begin : g_chk_topk
    $error("expert_queues: implements top-2");
  end
  if (QDepth < 2 || QDepth > (1 << CntBits) - 1) begin : g_chk_depth
    $error("expert_queues: QDepth must lie in [2, 2^TokBits - 1]");
  end

  typedef enum logic [1:0] {StAppend, StScan, StRead} state_e;
  state_e state_q;

  logic [CntBits-1:0] cnt_q [NumExperts];
  logic [ExpIdW-1:0]  meta_q [NumExperts];
  logic [ExpIdW:0]    meta_len_q;
  logic [ExpIdW-1:0]  lenm1_q;                  // meta_len_q - 1 (last metaqueue position)
  logic [CntBits-1:0] mcnt_q [NumExperts];      // count of the i-th active expert
  logic [QAddrW-1:0]  mbase_q [NumExperts];     // its queue's base address
  logic [NumExperts-1:0] nz_q;                  // queue e is not empty
  logic [NumExperts-1:0] nzsh_q;                // nz_q shifted during the scan: bit 0 = expert sc_q
  logic [NumExperts-1:0] mone_q;                // the i-th active expert's count is 1
  logic [CntBits-1:0]    cur_cnt_q;             // count of the expert being read out

  // e * QDepth as a sum of shifted copies of e (one per set bit of QDepth), no DSP
  function automatic logic [QAddrW-1:0] qbase(input logic [ExpIdW-1:0] e);
    qbase = '0;
    for (int unsigned b = 0; b < QAddrW; b++) begin
      if (((QDepth >> b) & 1) != 0) begin
        qbase = qbase + (QAddrW'(e) << b);
      end
    end
  endfunction

  // ---------------------------------------------------------------- append
  logic              q_fire, pend_q, pend_last_q;
  logic [ExpIdW-1:0] pend_e_q;
  logic [EntW-1:0]   pend_data_q;
  logic              we;
  logic [ExpIdW-1:0] we_e;
  logic [EntW-1:0]   wdata;
  logic [QAddrW-1:0] waddr;
  // The slot-1 entry of a token is written in the cycle after slot 0 (one write port).
  assign q_ready_o = (state_q == StAppend) && !pend_q;
  assign q_fire    = q_valid_i && q_ready_o;
  assign we        = q_fire || pend_q;
  assign we_e      = pend_q ? pend_e_q : q_idx_i[ExpIdW-1:0];
  assign wdata     = pend_q ? pend_data_q : {q_token_i, q_p_i[PBits-1:0]};
  assign waddr     = qbase(we_e) + QAddrW'(cnt_q[we_e]);

  // ---------------------------------------------------------------- scan and read-out issue
  logic [ExpIdW-1:0] sc_q;
  logic [ExpIdW-1:0] k_q;           // metaqueue position being read out
  logic [CntBits-1:0] i_q;          // entry within its queue
  logic              hdr_q, iss_done_q, last_q;
  logic [CntBits-1:0] ip2_q;        // i_q + 2
  logic [1:0]        fcnt_q;
  logic              infl_q, infl_hdr_q, infl_last_q;
  logic [RdW-1:0]    infl_hdr_data_q;
  logic              issue, last_entry, last_expert, rd_fire;
  logic [ExpIdW-1:0] cur_e;
  logic [CntBits-1:0] cur_cnt;
  logic [QAddrW-1:0] raddr;
  logic [EntW-1:0]   rdata_q;
  assign cur_e       = meta_q[k_q];
  assign cur_cnt     = mcnt_q[k_q];
  assign last_entry  = last_q;      // i_q == cur_cnt - 1, registered
  assign last_expert = (k_q == lenm1_q);
  // At most FifoN beats between the issue and the FIFO: one per cycle with no bubble.
  assign issue       = (state_q == StRead) && !iss_done_q && ((3'(infl_q) + 3'(fcnt_q)) < 3'(FifoN));
  assign raddr       = mbase_q[k_q] + QAddrW'(i_q);

  // Queue memory: no reset (block RAM), one write and one registered read port. The
  // write is registered once: the read-out starts NumExperts cycles after the last write.
  logic [EntW-1:0] qmem [NumExperts * QDepth];
  logic            we_q;
  logic [QAddrW-1:0] waddr_q;
  logic [EntW-1:0] wdata_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      we_q <= 1'b0;
    end else begin
      we_q <= we;
    end
  end
  always_ff @(posedge clk_i) begin
    waddr_q <= waddr;
    wdata_q <= wdata;
    if (we_q) begin
      qmem[waddr_q] <= wdata_q;
    end
  end
  always_ff @(posedge clk_i) begin
    if (issue && !hdr_q) begin
      rdata_q <= qmem[raddr];
    end
  end

  // ---------------------------------------------------------------- output FIFO
  logic [RdW-1:0]  fifo_data_q [FifoN];
  logic            fifo_last_q [FifoN];
  logic [1:0]      wptr_q, rptr_q;
  assign rd_valid_o = fcnt_q != '0;
  assign rd_data_o  = fifo_data_q[rptr_q];
  assign rd_last_o  = fifo_last_q[rptr_q];
  assign rd_fire    = rd_valid_o && rd_ready_i;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q <= StAppend;
      for (int e = 0; e < NumExperts; e++) begin
        cnt_q[e]   <= '0;
        meta_q[e]  <= '0;
        mcnt_q[e]  <= '0;
        mbase_q[e] <= '0;
      end
      nz_q       <= '0;
      nzsh_q     <= '0;
      mone_q     <= '0;
      cur_cnt_q  <= '0;
      lenm1_q    <= '0;
      last_q     <= 1'b0;
      ip2_q      <= '0;
      meta_len_q <= '0;
      pend_q <= 1'b0; pend_last_q <= 1'b0; pend_e_q <= '0; pend_data_q <= '0;
      sc_q <= '0; k_q <= '0; i_q <= '0; hdr_q <= 1'b0; iss_done_q <= 1'b0;
      infl_q <= 1'b0; infl_hdr_q <= 1'b0; infl_last_q <= 1'b0; infl_hdr_data_q <= '0;
      fcnt_q <= '0; wptr_q <= '0; rptr_q <= '0;
      for (int f = 0; f < FifoN; f++) begin
        fifo_data_q[f] <= '0;
        fifo_last_q[f] <= 1'b0;
      end
    end else begin
      // append: count of the written queue
      for (int e = 0; e < NumExperts; e++) begin
        if (we && (we_e == ExpIdW'(e))) begin
          cnt_q[e] <= cnt_q[e] + CntBits'(1);
          nz_q[e]  <= 1'b1;
        end
      end
      if (q_fire) begin
        pend_q      <= 1'b1;
        pend_e_q    <= q_idx_i[ExpIdW +: ExpIdW];
        pend_data_q <= {q_token_i, q_p_i[PBits +: PBits]};
        pend_last_q <= q_last_i;
      end else if (pend_q) begin
        pend_q <= 1'b0;
        if (pend_last_q) begin
          state_q    <= StScan;
          sc_q       <= '0;
          meta_len_q <= '0;
          // this cycle's (slot-1) write included
          nzsh_q     <= nz_q | (NumExperts'(1) << pend_e_q);
        end
      end

      // scan: metaqueue in ascending expert order
      if (state_q == StScan) begin
        nzsh_q <= nzsh_q >> 1;
        if (nzsh_q[0]) begin
          meta_q[meta_len_q[ExpIdW-1:0]]  <= sc_q;
          mcnt_q[meta_len_q[ExpIdW-1:0]]  <= cnt_q[sc_q];
          mone_q[meta_len_q[ExpIdW-1:0]]  <= (cnt_q[sc_q] == CntBits'(1));
          mbase_q[meta_len_q[ExpIdW-1:0]] <= qbase(sc_q);
          lenm1_q    <= meta_len_q[ExpIdW-1:0];
          meta_len_q <= meta_len_q + (ExpIdW+1)'(1);
        end
        sc_q <= sc_q + ExpIdW'(1);
        if (sc_q == ExpIdW'(NumExperts - 1)) begin
          state_q    <= StRead;
          k_q        <= '0;
          i_q        <= '0;
          hdr_q      <= 1'b1;
          iss_done_q <= 1'b0;
        end
      end

      // read-out issue: a header, then the expert's entries
      infl_q <= issue;
      if (issue) begin
        infl_hdr_q      <= hdr_q;
        infl_hdr_data_q <= {1'b1, (RdW-1-CntBits-ExpIdW)'(0), cur_e, cur_cnt};
        infl_last_q     <= !hdr_q && last_entry && last_expert;
        if (hdr_q) begin
          hdr_q  <= 1'b0;
          i_q    <= '0;
          ip2_q     <= CntBits'(2);
          last_q    <= mone_q[k_q];
          cur_cnt_q <= cur_cnt;
        end else if (last_entry) begin
          if (last_expert) begin
            iss_done_q <= 1'b1;
          end else begin
            k_q   <= k_q + ExpIdW'(1);
            hdr_q <= 1'b1;
          end
        end else begin
          i_q    <= i_q + CntBits'(1);
          ip2_q  <= ip2_q + CntBits'(1);
          last_q <= (ip2_q == cur_cnt_q);
        end
      end

      // FIFO
      if (infl_q) begin
        fifo_data_q[wptr_q] <= infl_hdr_q ? infl_hdr_data_q : {1'b0, rdata_q};
        fifo_last_q[wptr_q] <= infl_last_q;
        wptr_q <= (wptr_q == 2'(FifoN - 1)) ? '0 : wptr_q + 2'(1);
      end
      if (rd_fire) begin
        rptr_q <= (rptr_q == 2'(FifoN - 1)) ? '0 : rptr_q + 2'(1);
      end
      if (infl_q && !rd_fire) begin
        fcnt_q <= fcnt_q + 2'(1);
      end else if (rd_fire && !infl_q) begin
        fcnt_q <= fcnt_q - 2'(1);
      end

      // end of the read-out: clear the queues for the next layer
      if (rd_fire && rd_last_o) begin
        state_q    <= StAppend;
        meta_len_q <= '0;
        nz_q       <= '0;
        for (int e = 0; e < NumExperts; e++) begin
          cnt_q[e]  <= '0;
          meta_q[e] <= '0;
        end
      end
    end
  end

  assign meta_valid_o = state_q == StRead;
  assign meta_len_o   = meta_len_q;
  for (genvar e = 0; e < NumExperts; e++) begin : g_status
    assign meta_o[e*ExpIdW +: ExpIdW]     = meta_q[e];
    assign counts_o[e*CntBits +: CntBits] = cnt_q[e];
  end

endmodule
