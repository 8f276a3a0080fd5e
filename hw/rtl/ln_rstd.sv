// LayerNorm per-token reciprocal standard deviation (docs/numerics.md, "LayerNorm";
// golden: edgemoe.golden.layernorm.ln_rstd), exact integer arithmetic:
//   W  = n*S2 - S1^2 + LnEpsTerm            n = EmbedDim = 192, W < 2^67, W >= LnEpsTerm > 0
//   g  = floor((62 - bitlen(W)) / 2),  W' = W << 2g (or >> -2g, floor)   in [2^60, 2^62)
//   Q  = isqrt(W')                           in [2^30, 2^31)
//   R  = (2^(LnK+1) + Q) div (2Q)            in (2^23, 2^24]
//   zsh = LnK - LnZFrac - g                  the shift of z = round_shift(D * R, zsh)
//
// Stream in:  in_s1_i (34 bits signed), in_s2_i (58 bits unsigned): one token each.
// Stream out: out_s1_o (S1 passed through), out_r_o (25 bits), out_zsh_o (6 bits).
//
// Structure: a 4-stage front pipeline (|S1| and operand split; three partial
// products of S1^2 and n*S2 + E; S1^2; W), the 4-stage normaliser (ln_norm: leading-one
// detection in two stages, the shift amounts, W'), then Units isqrt -> division chains
// (isqrt_core, ln_div_core, one recurrence step per cycle each: 300 MHz, docs/timing.md).
// Tokens go to the chains in turn and leave them in the same order.
// Timing: a token accepted on edge e is offered at the output from edge
//   e + 9 + IterS + IterD,  IterS = 31, IterD = 25 (one digit per cycle)
// when its chain is free; a chain takes a token every IterS + 3 = 34 cycles (the
// division keeps up; one cycle of it is the registered "chain free" flag), so the unit
// takes Units tokens per 34 cycles, one per cycle at most.
module ln_rstd
  import edgemoe_pkg::*;
#(
  parameter int unsigned Units = 1,   // isqrt/division chains working on different tokens
  // Derived widths (see ln_stats.sv for S1W, S2W).
  localparam int unsigned S1W   = ActBits + $clog2(EmbedDim),           // 34
  localparam int unsigned S2W   = 2 * (ActBits - 1) + $clog2(EmbedDim), // 58
  localparam int unsigned AbsW  = S1W - 1,                              // |S1| < 2^33
  localparam int unsigned SqW   = 2 * AbsW,                             // S1^2 < 2^66
  localparam int unsigned VarW = S2W + $clog2(EmbedDim) + 1,           // n*S2 + E < 2^67
  localparam int unsigned NormBits = 62,                                // contract: W' in [2^60, 2^62)
  localparam int unsigned RootW = NormBits / 2,                         // 31
  localparam int unsigned RstdW = LnK + 2 - RootW,                      // 25
  localparam int unsigned ZShW  = 6
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  input  logic                  in_valid_i,
  output logic                  in_ready_o,
  input  logic signed [S1W-1:0] in_s1_i,
  input  logic [S2W-1:0]        in_s2_i,
  output logic                  out_valid_o,
  input  logic                  out_ready_i,
  output logic signed [S1W-1:0] out_s1_o,
  output logic [RstdW-1:0]      out_r_o,
  output logic [ZShW-1:0]       out_zsh_o
);

  // |S1| = ah * 2^LoW + al; S1^2 = ah^2 2^(2 LoW) + 2 ah al 2^LoW + al^2, each
  // product fits one DSP48E2 (17 x 17 unsigned at most).
  localparam int unsigned LoW = (AbsW + 1) / 2;       // 17
  localparam int unsigned HiW = AbsW - LoW;           // 16
  localparam int unsigned UserW = S1W + ZShW;

  // ---- front pipeline control: stage k holds v_q[k-1] (1-4 here, 5-8 in ln_norm); it
  // advances when the last stage is empty or the chain in turn takes its token.
  localparam int unsigned Front = 8;
  localparam int unsigned SelW  = (Units > 1) ? $clog2(Units) : 1;
  logic [Front-1:0] v_q;
  logic             sq_in_ready, advance;
  logic [SelW-1:0]  wsel_q, rsel_q;
  assign advance    = !v_q[Front-1] || sq_in_ready;
  assign in_ready_o = advance;

  // ---- stage 1: S2, |S1|
  logic [S2W-1:0]        s2_1_q;
  logic [AbsW-1:0]       a_1_q;
  // ---- stage 2: partial products, n*S2 + E
  logic [2*HiW-1:0]      ph_2_q;
  logic [HiW+LoW-1:0]    pm_2_q;
  logic [2*LoW-1:0]      pl_2_q;
  logic [VarW-1:0]      ns2e_2_q;
  // ---- stage 3: S1^2
  logic [SqW-1:0]        sq_3_q;
  logic [VarW-1:0]      ns2e_3_q;
  // ---- stage 4: W
  logic [VarW-1:0]      w_4_q;
  // S1 travels with the token: s1_q[k] is stage k + 1
  logic signed [S1W-1:0] s1_q [Front];

  logic [ZShW-1:0]     zsh;
  logic [NormBits-1:0] wn;

  logic [AbsW-1:0] a_abs;
  logic [HiW-1:0]  ah;
  logic [LoW-1:0]  al;
  assign a_abs = AbsW'(in_s1_i[S1W-1] ? -in_s1_i : in_s1_i);

  // n*S2 + E, n*S2 as a sum of shifted copies of S2 (one per set bit of n = 192: two).
  logic [VarW-1:0] ns2e;
  always_comb begin
    ns2e = VarW'(LnEpsTerm);
    for (int unsigned b = 0; b < 16; b++) begin
      if (((EmbedDim >> b) & 1) != 0) begin
        ns2e = ns2e + (VarW'(s2_1_q) << b);
      end
    end
  end
  assign ah    = a_1_q[AbsW-1:LoW];
  assign al    = a_1_q[LoW-1:0];

  ln_norm #(
    .VarW    (VarW),
    .NormBits(NormBits)
  ) u_norm (
    .clk_i,
    .rst_ni,
    .en_i (advance),
    .w_i  (w_4_q),
    .wn_o (wn),
    .zsh_o(zsh)
  );

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      v_q <= '0;
    end else if (advance) begin
      v_q <= {v_q[Front-2:0], in_valid_i};
    end
  end

  // Datapath registers without reset (v_q qualifies them; the products map to DSP registers).
  always_ff @(posedge clk_i) begin
    if (advance) begin
      s2_1_q   <= in_s2_i;
      a_1_q    <= a_abs;
      ph_2_q   <= (2*HiW)'(ah) * (2*HiW)'(ah);
      pm_2_q   <= (HiW+LoW)'(ah) * (HiW+LoW)'(al);
      pl_2_q   <= (2*LoW)'(al) * (2*LoW)'(al);
      ns2e_2_q <= ns2e;
      // ah^2 and al^2 do not overlap: a concatenation, plus the shifted cross term.
      sq_3_q   <= SqW'({ph_2_q, pl_2_q}) + (SqW'(pm_2_q) << (LoW + 1));
      ns2e_3_q <= ns2e_2_q;
      w_4_q    <= ns2e_3_q - VarW'(sq_3_q);
      s1_q[0]  <= in_s1_i;
      for (int unsigned k = 1; k < Front; k++) begin
        s1_q[k] <= s1_q[k-1];
      end
    end
  end

  function automatic logic [SelW-1:0] sel_next(input logic [SelW-1:0] p);
    sel_next = (p == SelW'(Units - 1)) ? '0 : p + SelW'(1);
  endfunction

  // ---- Units chains: isqrt Q = isqrt(W'), then R = (2^(LnK+1) + Q) div (2Q)
  logic [Units-1:0]  c_in_ready, c_out_valid;
  logic [RstdW-1:0]  c_r    [Units];
  logic [UserW-1:0]  c_user [Units];

  // sq_in_ready: the chain in turn is free, as a register (conservative: one cycle late when
  // a chain becomes free, never early: a free chain stays free until it takes a token), so
  // the front pipeline's enable is one LUT of flip-flops.
  logic            rdy_q, dispatch;
  logic [SelW-1:0] wsel_n;
  assign sq_in_ready = rdy_q;
  assign dispatch    = v_q[Front-1] && rdy_q;
  assign wsel_n      = dispatch ? sel_next(wsel_q) : wsel_q;

  for (genvar u = 0; u < Units; u++) begin : g_chain
    logic             sq_out_valid, dv_in_ready;
    logic [RootW-1:0] q_root;
    logic [UserW-1:0] sq_user;

    isqrt_core #(
      .OpBits       (NormBits),
      .StepsPerCycle(1),
      .UserW        (UserW)
    ) u_isqrt (
      .clk_i,
      .rst_ni,
      .in_valid_i (dispatch && (wsel_q == SelW'(u))),
      .in_ready_o (c_in_ready[u]),
      .in_op_i    (wn),
      .in_user_i  ({s1_q[Front-1], zsh}),
      .out_valid_o(sq_out_valid),
      .out_ready_i(dv_in_ready),
      .out_root_o (q_root),
      .out_user_o (sq_user)
    );

    ln_div_core #(
      .RootW        (RootW),
      .K            (LnK),
      .StepsPerCycle(1),
      .UserW        (UserW)
    ) u_div (
      .clk_i,
      .rst_ni,
      .in_valid_i (sq_out_valid),
      .in_ready_o (dv_in_ready),
      .in_q_i     (q_root),
      .in_user_i  (sq_user),
      .out_valid_o(c_out_valid[u]),
      .out_ready_i(out_ready_i && (rsel_q == SelW'(u))),
      .out_r_o    (c_r[u]),
      .out_user_o (c_user[u])
    );
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wsel_q <= '0;
      rsel_q <= '0;
      rdy_q  <= 1'b0;
    end else begin
      wsel_q <= wsel_n;
      rdy_q  <= c_in_ready[wsel_n] && !(dispatch && (wsel_n == wsel_q));
      if (out_valid_o && out_ready_i) begin
        rsel_q <= sel_next(rsel_q);
      end
    end
  end

  assign out_valid_o = c_out_valid[rsel_q];
  assign out_r_o     = c_r[rsel_q];
  assign out_s1_o    = c_user[rsel_q][UserW-1:ZShW];
  assign out_zsh_o   = c_user[rsel_q][ZShW-1:0];

endmodule
