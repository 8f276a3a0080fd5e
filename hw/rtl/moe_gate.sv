// MoE gate kernel: gate logits, exact top-2, softmax scores and the patch-
// reordering expert queues with their metaqueue, bit-exact to
// edgemoe.golden.moe.gate_fixed and build_queues (docs/numerics.md, "MoE").
//
//   moe_gate_logits   16 gate rows on chip, Lanes x 16 exact MACs per cycle,
//                     one rounding per logit (plain mode, no bias)
//   moe_gate_softmax  running max/sum in expert order, top-2, RECIP, p0/p1
//   expert_queues     per-expert queues of (token, score), metaqueue, read-out
//
// Streams (valid/ready; a transfer on a rising edge with both high):
//   wl_*   gate weight load: EmbedDim/Lanes beats per expert row, rows 0..15;
//          wl_data_i[l*WBits +: WBits] = w code of element b*Lanes + l of the row
//          in beat b, wl_data_i[Lanes*WBits +: WExpBits] = the row's exponent
//          code (wf - WFracMin). Accepted between tokens only.
//   in_*   tokens xn: EmbedDim/Lanes beats per token, in_data_i[l*ActBits +: ActBits]
//          = act code of element b*Lanes + l in beat b; in_last_i with the
//          token's last beat closes the layer (so does the QDepth-th token).
//   out_*  one beat per token, OutW bits:
//            [e*ActBits +: ActBits]               logit of expert e (e = 0..15)
//            [OutIdxLsb + k*ExpIdW +: ExpIdW]     chosen expert of slot k (k = 0, 1)
//            [OutPLsb + k*PBits +: PBits]         its score p_k (format p)
//            [OutTokLsb +: TokBits]               token index in the layer
//            [OutW-1]                             layer-last flag
//   rd_*   queue read-out for the expert phase (see expert_queues): per active
//          expert a header {1, expert, count}, then {0, token, score} entries;
//          rd_last_o on the layer's final beat. Status meta_valid_o, meta_len_o,
//          meta_o (active experts ascending), counts_o (see expert_queues).
// The per-token beat goes to out_* and to the queues; each side takes it in its
// own time (a fork with per-side done flags).
//
// Throughput: one token per max(EmbedDim/Lanes, NumExperts, ceil(25/RecipUnits))
// cycles, i.e. one input beat (Lanes act codes) per cycle while EmbedDim/Lanes >=
// NumExperts. Exceptions, and why: the running softmax visits the 16 logits in
// expert order through one exp core (the order is the contract), so Lanes > 12
// waits for it (16 cycles per token); the reciprocal is iterative (25 cycles per
// token), so a second recip_core is instantiated when a token is shorter than that.
// Latency, token's last input beat to its out beat without backpressure:
//   3 + TreeLv (weight read, multiply, the lane-sum tree of TreeLv = max(1,
//   clog2(Lanes)) add stages, accumulate) + NumExperts (one logit per cycle out of the
//   bank) + 3 (rounding pipeline, logit FIFO, output register) + 59
//   (moe_gate_softmax: its last logit to its result, the interleaved running sum, the
//   reciprocal, the scores) = 81 + TreeLv cycles: 84 at Lanes = 8, 83 at Lanes = 4;
//   one more when the
//   softmax's free sum context is off phase (moe_gate_softmax header).
// A layer's read-out starts 2 + NumExperts + 2 = 20 cycles after its last out beat
// (two queue writes, the metaqueue scan, the memory read) and then streams one beat
// per cycle: meta_len + 2 * tokens beats.
module moe_gate
  import edgemoe_pkg::*;
#(
  parameter int unsigned Lanes = 4,
  parameter int unsigned QDepth = QueueDepth
) (
  input  logic                                        clk_i,
  input  logic                                        rst_ni,
  input  logic                                        wl_valid_i,
  output logic                                        wl_ready_o,
  input  logic [WExpBits+Lanes*WBits-1:0]             wl_data_i,
  input  logic                                        in_valid_i,
  output logic                                        in_ready_o,
  input  logic [Lanes*ActBits-1:0]                    in_data_i,
  input  logic                                        in_last_i,
  output logic                                        out_valid_o,
  input  logic                                        out_ready_i,
  output logic [NumExperts*ActBits+TopK*($clog2(NumExperts)+PBits)+$clog2(NumTokens):0] out_data_o,
  output logic                                        rd_valid_o,
  input  logic                                        rd_ready_i,
  output logic [$clog2(NumTokens)+PBits:0]            rd_data_o,
  output logic                                        rd_last_o,
  output logic                                        meta_valid_o,
  output logic [$clog2(NumExperts):0]                 meta_len_o,
  output logic [NumExperts*$clog2(NumExperts)-1:0]    meta_o,
  output logic [NumExperts*$clog2(NumTokens)-1:0]     counts_o
);

  localparam int unsigned ExpIdW     = $clog2(NumExperts);
  localparam int unsigned TokBits    = $clog2(NumTokens);
  localparam int unsigned OutIdxLsb  = NumExperts * ActBits;
  localparam int unsigned OutPLsb    = OutIdxLsb + TopK * ExpIdW;
  localparam int unsigned OutTokLsb  = OutPLsb + TopK * PBits;
  localparam int unsigned OutW       = OutTokLsb + TokBits + 1;
  localparam int unsigned RecipCycles = RBits;   // recip_core: one quotient bit per cycle
  localparam int unsigned RecipUnits = (EmbedDim / Lanes < RecipCycles) ? 2 : 1;

  logic                      lg_valid, lg_ready, lg_last;
  logic signed [ActBits-1:0] lg_data;
  logic [ExpIdW-1:0]         lg_expert;
  logic [TokBits-1:0]        lg_token;

  moe_gate_logits #(
    .Lanes(Lanes),
    .QDepth(QDepth)
  ) u_logits (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .wl_valid_i (wl_valid_i),
    .wl_ready_o (wl_ready_o),
    .wl_data_i  (wl_data_i),
    .in_valid_i (in_valid_i),
    .in_ready_o (in_ready_o),
    .in_data_i  (in_data_i),
    .in_last_i  (in_last_i),
    .lg_valid_o (lg_valid),
    .lg_ready_i (lg_ready),
    .lg_data_o  (lg_data),
    .lg_expert_o(lg_expert),
    .lg_token_o (lg_token),
    .lg_last_o  (lg_last)
  );

  logic                          res_valid, res_ready, res_last;
  logic [NumExperts*ActBits-1:0] res_logits;
  logic [TopK*ExpIdW-1:0]        res_idx;
  logic [TopK*PBits-1:0]         res_p;
  logic [TokBits-1:0]            res_token;

  moe_gate_softmax #(
    .RecipUnits(RecipUnits)
  ) u_softmax (
    .clk_i       (clk_i),
    .rst_ni      (rst_ni),
    .lg_valid_i  (lg_valid),
    .lg_ready_o  (lg_ready),
    .lg_data_i   (lg_data),
    .lg_expert_i (lg_expert),
    .lg_token_i  (lg_token),
    .lg_last_i   (lg_last),
    .res_valid_o (res_valid),
    .res_ready_i (res_ready),
    .res_logits_o(res_logits),
    .res_idx_o   (res_idx),
    .res_p_o     (res_p),
    .res_token_o (res_token),
    .res_last_o  (res_last)
  );

  // Fork: the result goes to the out stream and the queues, each side once.
  logic out_done_q, q_done_q, q_valid, q_ready;
  assign out_valid_o = res_valid && !out_done_q;
  assign q_valid     = res_valid && !q_done_q;
  assign res_ready   = (out_done_q || out_ready_i) && (q_done_q || q_ready);
  assign out_data_o  = OutW'({res_last, res_token, res_p, res_idx, res_logits});

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      out_done_q <= 1'b0;
      q_done_q   <= 1'b0;
    end else if (res_valid && res_ready) begin
      out_done_q <= 1'b0;
      q_done_q   <= 1'b0;
    end else begin
      if (out_valid_o && out_ready_i) out_done_q <= 1'b1;
      if (q_valid && q_ready)         q_done_q   <= 1'b1;
    end
  end

  expert_queues #(
    .QDepth(QDepth)
  ) u_queues (
    .clk_i       (clk_i),
    .rst_ni      (rst_ni),
    .q_valid_i   (q_valid),
    .q_ready_o   (q_ready),
    .q_idx_i     (res_idx),
    .q_p_i       (res_p),
    .q_token_i   (res_token),
    .q_last_i    (res_last),
    .rd_valid_o  (rd_valid_o),
    .rd_ready_i  (rd_ready_i),
    .rd_data_o   (rd_data_o),
    .rd_last_o   (rd_last_o),
    .meta_valid_o(meta_valid_o),
    .meta_len_o  (meta_len_o),
    .meta_o      (meta_o),
    .counts_o    (counts_o)
  );

endmodule
