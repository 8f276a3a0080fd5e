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
//            s - m_q and m_q - s are formed side by side (the sign of -|s - m| is known
//            from the compare, not from the subtraction), the act.min clamp is a bit test.
//   1..10    exp_core (Latency 10, the 300 MHz form) on d; m, grow, first, last ride along.
//   11       S update: S_q <- first ? 2^17 : grow ? sat(round(S_q*e, 17) + 2^17) : sat(S_q + e).
//            The recurrence is the single-cycle loop S_q -> 25x17 multiply-add -> S_q: one
//            DSP48E2 without registers computes S_q e + 2^16 + 2^34, whose bits 17.. are
//            round(S_q e, 17) + 2^17 (the rounding constant and the + 2^17 folded into the
//            post-adder), S_q + e is formed beside it, and sat_sum is a bit test (bit 25 of
//            the 26-bit sum): select, saturate and first are one LUT behind the DSP. Only
//            the sum depends on itself, the max and the exp are fed forward, so one key per
//            cycle per lane is sustained. On the last key S goes to the row slots.
//   12       two row slots (S, m) -> recip_core (25 cycles) -> output register. Stage 11
//            waits for a slot only when both are full (a registered test: the pipeline's
//            enable does not depend on the divider or on out_ready_i).
//
// Timing (no idle, no backpressure): one key per cycle per lane as long as rows are
// at least RecipCycles = 25 keys long (attention: 129). The last key's transfer edge
// is followed by its (m, r) transfer RowLatency = 37 edges later (1 stage 0, 10 exp,
// 1 S update into the row slot, 25 divider). N rows of J keys take
//     cycles = (N - 1) * max(J, 25) + J + 37
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
  localparam int unsigned ExpLat   = 10;              // exp_core's Latency (300 MHz form)
  localparam int unsigned Stages   = ExpLat + 1;      // stage 0 + exp stages: the S-update input
  localparam int unsigned DiffW    = ActBits + 1;
  localparam int unsigned ProdW    = SumBits + EFrac + 1; // S * e + 2^16 + 2^34 < 2^43
  // round(S e, 17) + 2^17 = (S e + 2^16 + 2^34) >> 17: the constants in the DSP's post-adder
  localparam logic [ProdW-1:0] GrowK = (ProdW'(1) << (EFrac - 1)) + (ProdW'(One) << EFrac);
  localparam int unsigned WideW    = SumBits + 1;
  localparam logic [SumBits-1:0] One    = SumBits'(1) << SumFrac;
  localparam logic [SumBits-1:0] SumMax = '1;

  // ---------------------------------------------------------------- control (shared by all lanes)
  logic [Stages-1:0] v_q, first_q, last_q;  // per pipeline stage: valid, row flags
  logic              row_start_q;   // the next accepted beat is a row's first key
  logic              advance;       // every stage 0..5 moves on together
  logic [1:0]        slot_n_q;      // finished rows (S, m) in the two row slots
  logic              slot_wr_q, slot_rd_q;  // slot written next / read by the next start
  logic              busy, done;    // recip cores (all lanes in lock step)
  logic              hold_q;        // (m, r) waiting for out_ready_i
  logic              start;         // slot -> recip cores
  logic              row_end;       // stage 5 consumes the last key of a row
  logic              slot_full;

  assign out_valid_o = done || hold_q;
  // The recip cores may restart once idle and their previous result is leaving.
  assign start       = (slot_n_q != 2'd0) && !busy && (!out_valid_o || out_ready_i);
  assign slot_full   = slot_n_q[1];
  assign row_end     = v_q[Stages-1] && last_q[Stages-1];
  assign advance     = !(row_end && slot_full);
  assign in_ready_o  = advance;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      v_q         <= '0;
      first_q     <= '0;
      last_q      <= '0;
      row_start_q <= 1'b1;
      slot_n_q    <= 2'd0;
      slot_wr_q   <= 1'b0;
      slot_rd_q   <= 1'b0;
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
        slot_wr_q <= !slot_wr_q;
      end
      if (start) begin
        slot_rd_q <= !slot_rd_q;
      end
      if ((advance && row_end) && !start) begin
        slot_n_q <= slot_n_q + 2'd1;
      end else if (start && !(advance && row_end)) begin
        slot_n_q <= slot_n_q - 2'd1;
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
    logic signed [DiffW-1:0]   diff_sm, diff_ms, negabs;
    logic                      grow;
    logic signed [ActBits-1:0] d;
    assign s       = in_data_i[l*ActBits +: ActBits];
    assign diff_sm = DiffW'(s) - DiffW'(m_q);
    assign diff_ms = DiffW'(m_q) - DiffW'(s);
    assign grow    = !row_start_q && (s > m_q);
    assign negabs  = grow ? diff_ms : diff_sm;   // -|s - m| (s - m when s <= m)
    // -|s - m| may lie below act.min; exp_core clamps at -32 anyway, so act.min is exact.
    // negabs lies in [-(2^26 - 1), 0]: below -2^25 <=> its two top bits are 10.
    always_comb begin
      if (row_start_q) begin
        d = '0;
      end else if (negabs[DiffW-1] && !negabs[DiffW-2]) begin
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

    // ---- stages 1..10: exp
    logic [EBits-1:0] e;
    exp_core #(.Latency(ExpLat)) u_exp (
      .clk_i (clk_i),
      .rst_ni(rst_ni),
      .en_i  (advance),
      .d_i   (d0_q),
      .e_o   (e)
    );

    // ---- stage 11: S update (the loop)
    logic [SumBits-1:0] sum_q;
    logic [ProdW-1:0]   prod;
    logic [WideW-1:0]   grown, added;
    logic [SumBits-1:0] wide;
    // e < 2^17 whenever the max grows (the argument is at most -1 lsb), so 17 bits suffice.
`ifdef YOSYS
    // Yosys maps a multiply to a DSP48E2 without registers and leaves every adder behind it
    // in the fabric (a carry chain in the loop), where Vivado packs it into the DSP's
    // post-adder. For the estimate (edgemoe synth, Yosys only: Vivado and simulation take
    // the expression below) the primitive is instantiated; the constant add is the DSP's
    // post-adder: P = A * B + C (OPMODE W = 0, Z = C, Y = X = M; ALUMODE 0), all inputs
    // combinational, A = S (27-bit signed, S < 2^25), B = e (18-bit signed, e < 2^17),
    // C = GrowK. The same integer as the expression simulated below.
    logic [47:0] dsp_p;
    DSP48E2 #(
      .AREG(0), .BREG(0), .CREG(0), .DREG(0), .ADREG(0), .MREG(0), .PREG(0), .ACASCREG(0),
      .BCASCREG(0), .OPMODEREG(0), .ALUMODEREG(0), .INMODEREG(0), .CARRYINREG(0),
      .CARRYINSELREG(0), .AMULTSEL("A"), .BMULTSEL("B"), .USE_MULT("MULTIPLY")
    ) u_dsp (
      .A({(30 - SumBits)'(0), sum_q}), .B({1'b0, e[EFrac-1:0]}), .C((48)'(GrowK)), .D(27'd0),
      .OPMODE(9'b00_011_01_01), .ALUMODE(4'd0), .INMODE(5'd0), .CARRYINSEL(3'd0), .CARRYIN(1'b0),
      .CLK(clk_i), .CEA1(1'b1), .CEA2(1'b1), .CEB1(1'b1), .CEB2(1'b1), .CEC(1'b1), .CED(1'b1),
      .CEAD(1'b1), .CEM(1'b1), .CEP(1'b1), .CECTRL(1'b1), .CEINMODE(1'b1), .CEALUMODE(1'b1),
      .CECARRYIN(1'b1), .RSTA(1'b0), .RSTB(1'b0), .RSTC(1'b0), .RSTD(1'b0), .RSTM(1'b0),
      .RSTP(1'b0), .RSTCTRL(1'b0), .RSTINMODE(1'b0), .RSTALUMODE(1'b0), .RSTALLCARRYIN(1'b0),
      .P(dsp_p)
    );
    assign prod  = dsp_p[ProdW-1:0];
`else
    assign prod  = ProdW'(sum_q) * ProdW'(e[EFrac-1:0]) + GrowK;
`endif
    assign grown = WideW'(prod >> EFrac);
    assign added = WideW'(sum_q) + WideW'(e);
    assign wide  = grow_q[Stages-1] ? grown[SumBits-1:0] : added[SumBits-1:0];
    // sat_sum: wide > SumMax = 2^25 - 1 <=> bit 25 of the 26-bit sum (wide < 2^26). The
    // saturation is the registers' synchronous set (sum_q and the slots have no reset), the
    // data input only selects: one LUT behind the DSP on either.
    logic [SumBits-1:0] sum_d;
    assign sum_d   = first_q[Stages-1] ? One : wide;

    // ---- stage 12: row slots, recip, result
    logic [SumBits-1:0]        slot_s_q [2];
    logic signed [ActBits-1:0] slot_m_q [2];
    logic signed [ActBits-1:0] res_m_q;
    logic [RBits-1:0]          r;
    // (datapath registers without reset: v_q and slot_n_q qualify them)
    // (the set is written outermost, independent of the enable: a flip-flop's S pin). The
    // set is (grown[25] and a grow write) or (added[25] and an add write): the write
    // qualifiers are kept as nets of their own, so only one LUT follows the DSP.
    logic       sum_we;
    logic [1:0] slot_we;
    (* keep *) logic       sum_set_g, sum_set_a;    // a write of grown / of added
    (* keep *) logic [1:0] slot_set_g, slot_set_a;
    logic       sum_set;
    logic [1:0] slot_set;
    assign sum_we     = advance && v_q[Stages-1];
    assign slot_we    = {2{advance && row_end}} & {slot_wr_q, !slot_wr_q};
    assign sum_set_g  = sum_we && !first_q[Stages-1] && grow_q[Stages-1];
    assign sum_set_a  = sum_we && !first_q[Stages-1] && !grow_q[Stages-1];
    assign slot_set_g = slot_we & {2{!first_q[Stages-1] && grow_q[Stages-1]}};
    assign slot_set_a = slot_we & {2{!first_q[Stages-1] && !grow_q[Stages-1]}};
    assign sum_set    = (sum_set_g && grown[SumBits]) || (sum_set_a && added[SumBits]);
    assign slot_set   = (slot_set_g & {2{grown[SumBits]}}) | (slot_set_a & {2{added[SumBits]}});
    always_ff @(posedge clk_i) begin
      if (sum_set) begin
        sum_q <= SumMax;
      end else if (sum_we) begin
        sum_q <= sum_d;
      end
      for (int k = 0; k < 2; k++) begin
        if (slot_set[k]) begin
          slot_s_q[k] <= SumMax;
        end else if (slot_we[k]) begin
          slot_s_q[k] <= sum_d;
        end
        if (slot_we[k]) begin
          slot_m_q[k] <= m_pipe_q[Stages-1];
        end
      end
      if (start) begin
        res_m_q <= slot_m_q[slot_rd_q];
      end
    end

    recip_core u_recip (
      .clk_i  (clk_i),
      .rst_ni (rst_ni),
      .start_i(start),
      .s_i    (slot_s_q[slot_rd_q]),
      .busy_o (busy_l[l]),
      .done_o (done_l[l]),
      .r_o    (r)
    );

    assign out_data_o[l*OutW +: OutW] = {r, res_m_q};
  end

endmodule
