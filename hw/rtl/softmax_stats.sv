// Single-pass softmax statistics: running max m and running sum S of each row in
// key order, then r = RECIP(S); bit-exact to edgemoe.golden.softmax.softmax_stats
// (docs/numerics.md, "Single-pass softmax"):
//
//   j = 0:  m = s_0, S = 2^17
//   j > 0:  e = EXP(-|s_j - m|)
//           s_j > m:  S = round_shift(S * e, 17) + 2^17;  m = s_j
//           else:     S = S + e
//           S = sat_sum(S)
//   row end: r = RECIP(S)
//
// Lanes independent rows are processed in lock step (in attention: the P query
// rows of a group; every lane sees one score per beat and all rows end together).
//
// Stream in:  in_data_i = Lanes act scores, lane l in bits [l*ActBits +: ActBits];
//             in_last_i = 1 on the beat carrying the rows' last key (side band of the
//             same beat). A row may have any length >= 1 (1 = first and last).
// Stream out: one beat per row: out_data_o lane l in bits [l*OutW +: OutW], OutW =
//             ActBits + RBits, holding {r (RBits, frac 24), m (ActBits)}: m in the low
//             ActBits bits, r above it.
//
// Datapath per lane:
//   stage 0  d = max(-|s - m_q|, act.min) and m_q updated from the registered running
//            max (the exp argument only needs the max *before* this key); grow = s > m_q.
//   1..5     exp_core (ExpLatency = 5) on d; m, grow, first, last ride along.
//   6        S update: S_q <- first ? 2^17 : grow ? sat(round(S_q*e, 17) + 2^17) : sat(S_q + e).
//            The recurrence is the single-cycle loop S_q -> 25x17 multiply -> add -> S_q
//            (one DSP48E2 with the multiplier unregistered and P as S_q): only the sum
//            depends on itself, the max and the exp are fed forward, so one key per
//            cycle per lane is sustained. On the last key S goes to the row slot.
//   7        row slot (S, m) -> recip_core (25 cycles) -> output register.
//
// Timing (no idle, no backpressure): one key per cycle per lane as long as rows are
// at least RecipCycles = 25 keys long (attention: 129). The last key's transfer edge
// is followed by its (m, r) transfer RowLatency = 32 edges later (1 stage 0, 5 exp, 1 S
// update into the row slot, 25 divider). N rows of J keys take
//     cycles = (N - 1) * max(J, 25) + J + 32
// from the first input transfer to the last output transfer inclusive; rows shorter
// than 25 keys (the MoE gate's 16) are limited to one row per 25 cycles by the
// divider, which is the one stated exception to one result per cycle.
module softmax_stats
  import edgemoe_pkg::*;
#(
  parameter int unsigned Lanes = 1
) (
  input  logic                          clk_i,
  input  logic                          rst_ni,
  input  logic                          in_valid_i,
  output logic                          in_ready_o,
  input  logic [Lanes*ActBits-1:0]      in_data_i,
  input  logic                          in_last_i,
  output logic                          out_valid_o,
  input  logic                          out_ready_i,
  output logic [Lanes*(ActBits+RBits)-1:0] out_data_o
);

  localparam int unsigned OutW     = ActBits + RBits;
  localparam int unsigned ExpLat   = 5;               // exp_core's ExpLatency
  localparam int unsigned Stages   = ExpLat + 1;      // stage 0 + exp stages: the S-update input
  localparam int unsigned DiffW    = ActBits + 1;
  localparam int unsigned ProdW    = SumBits + EFrac; // S * e, e < 2^17 when the max grows
  localparam int unsigned WideW    = SumBits + 1;
  localparam logic [SumBits-1:0] One    = SumBits'(1) << SumFrac;
  localparam logic [SumBits-1:0] SumMax = '1;

  // ---------------------------------------------------------------- control (shared by all lanes)
  logic [Stages-1:0] v_q, first_q, last_q;  // per pipeline stage: valid, row flags
  logic              row_start_q;   // the next accepted beat is a row's first key
  logic              advance;       // every stage 0..5 moves on together
  logic              slot_q;        // row slot holds a finished row's (S, m)
  logic              busy, done;    // recip cores (all lanes in lock step)
  logic              hold_q;        // (m, r) waiting for out_ready_i
  logic              start;         // slot -> recip cores
  logic              row_end;       // stage 5 consumes the last key of a row
  logic              slot_free;

  assign out_valid_o = done || hold_q;
  // The recip cores may restart once idle and their previous result is leaving.
  assign start       = slot_q && !busy && (!out_valid_o || out_ready_i);
  assign slot_free   = !slot_q || start;
  assign row_end     = v_q[Stages-1] && last_q[Stages-1];
  assign advance     = !row_end || slot_free;
  assign in_ready_o  = advance;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      v_q         <= '0;
      first_q     <= '0;
      last_q      <= '0;
      row_start_q <= 1'b1;
      slot_q      <= 1'b0;
      hold_q      <= 1'b0;
    end else begin
      hold_q <= out_valid_o && !out_ready_i;
      if (advance) begin
        v_q     <= {v_q[Stages-2:0], in_valid_i};
        first_q <= {first_q[Stages-2:0], row_start_q};
        last_q  <= {last_q[Stages-2:0], in_last_i};
        if (in_valid_i) begin
          row_start_q <= in_last_i;
        end
      end
      if (advance && row_end) begin
        slot_q <= 1'b1;
      end else if (start) begin
        slot_q <= 1'b0;
      end
    end
  end

  // ---------------------------------------------------------------- lanes
  logic [Lanes-1:0] busy_l, done_l;
  assign busy = |busy_l;
  assign done = &done_l;

  for (genvar l = 0; l < Lanes; l++) begin : g_lane
    // ---- stage 0: compare with the running max, exp argument
    logic signed [ActBits-1:0] s, m_q;
    logic signed [DiffW-1:0]   diff, negabs;
    logic                      grow;
    logic signed [ActBits-1:0] d;
    assign s      = in_data_i[l*ActBits +: ActBits];
    assign diff   = DiffW'(s) - DiffW'(m_q);
    assign grow   = !row_start_q && (diff > 0);
    assign negabs = grow ? -diff : diff;
    // -|s - m| may lie below act.min; exp_core clamps at -32 anyway, so act.min is exact.
    always_comb begin
      if (row_start_q) begin
        d = '0;
      end else if (negabs < DiffW'(-(1 <<< (ActBits - 1)))) begin
        d = {1'b1, {(ActBits-1){1'b0}}};
      end else begin
        d = negabs[ActBits-1:0];
      end
    end

    logic signed [ActBits-1:0] d0_q;
    logic signed [ActBits-1:0] m_pipe_q [Stages];  // running max after each stage's key
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        m_q  <= '0;
        d0_q <= '0;
        for (int k = 0; k < Stages; k++) begin
          m_pipe_q[k] <= '0;
        end
      end else if (advance) begin
        if (in_valid_i && (row_start_q || grow)) begin
          m_q <= s;
        end
        d0_q        <= d;
        m_pipe_q[0] <= (in_valid_i && (row_start_q || grow)) ? s : m_q;
        for (int k = 1; k < Stages; k++) begin
          m_pipe_q[k] <= m_pipe_q[k-1];
        end
      end
    end
    // grow flag per lane rides along the pipeline
    logic [Stages-1:0] grow_q;
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        grow_q <= '0;
      end else if (advance) begin
        grow_q <= {grow_q[Stages-2:0], grow};
      end
    end

    // ---- stages 1..4: exp
    logic [EBits-1:0] e;
    exp_core u_exp (
      .clk_i (clk_i),
      .rst_ni(rst_ni),
      .en_i  (advance),
      .d_i   (d0_q),
      .e_o   (e)
    );

    // ---- stage 5: S update (the loop)
    logic [SumBits-1:0] sum_q, sum_nxt;
    logic [ProdW-1:0]   prod;
    logic [WideW-1:0]   grown, added, wide;
    // e < 2^17 whenever the max grows (the argument is at most -1 lsb), so 17 bits suffice.
    assign prod  = ProdW'(sum_q) * ProdW'(e[EFrac-1:0]);
    assign grown = WideW'((prod + ProdW'(1 << (EFrac - 1))) >> EFrac) + WideW'(One);
    assign added = WideW'(sum_q) + WideW'(e);
    assign wide  = grow_q[Stages-1] ? grown : added;
    always_comb begin
      if (first_q[Stages-1]) begin
        sum_nxt = One;
      end else if (wide > WideW'(SumMax)) begin
        sum_nxt = SumMax;
      end else begin
        sum_nxt = wide[SumBits-1:0];
      end
    end

    // ---- stage 6: row slot, recip, result
    logic [SumBits-1:0]        slot_s_q;
    logic signed [ActBits-1:0] slot_m_q, res_m_q;
    logic [RBits-1:0]          r;
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        sum_q    <= '0;
        slot_s_q <= '0;
        slot_m_q <= '0;
        res_m_q  <= '0;
      end else begin
        if (advance && v_q[Stages-1]) begin
          sum_q <= sum_nxt;
        end
        if (advance && row_end) begin
          slot_s_q <= sum_nxt;
          slot_m_q <= m_pipe_q[Stages-1];
        end
        if (start) begin
          res_m_q <= slot_m_q;
        end
      end
    end

    recip_core u_recip (
      .clk_i  (clk_i),
      .rst_ni (rst_ni),
      .start_i(start),
      .s_i    (slot_s_q),
      .busy_o (busy_l[l]),
      .done_o (done_l[l]),
      .r_o    (r)
    );

    assign out_data_o[l*OutW +: OutW] = {r, res_m_q};
  end

endmodule
