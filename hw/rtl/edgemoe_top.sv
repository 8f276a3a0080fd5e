// Edge-MoE accelerator top (docs/architecture.md, "Top level"; "Implementation status
// of the top" says what this version contains).
//
// * AXI4-Lite register slave: the PeakRDL-regblock block generated from
//   hw/regs/edgemoe_regs.rdl (hw/rtl/gen/edgemoe_regs.sv).
// * Four AXI4 128-bit masters (NumPorts = 4), one read engine of the executors each
//   (edgemoe_axi_rd, AXI id 1): unit u's weights on port u, and on port 0 also the LN
//   record and embed_add. Port 0 has a second read engine, the sequencer's (command fetch
//   and LOAD, AXI id 0; an AR arbiter holds the grant until the handshake, R beats are
//   routed by RID), and the write engine (STORE, edgemoe_axi_wr).
// * The sequencer (edgemoe_seq): fetch, decode, scoreboard, control opcodes, LOAD/STORE,
//   errors, watchdog; the compute opcodes go to their executors (class 0 one at a time,
//   ATTENTION alongside when the scoreboard allows):
//   edgemoe_exec_ln (LAYERNORM), edgemoe_exec_lin (LINEAR; owns the linear cluster and
//   serves passes to exec_moe), edgemoe_exec_attn (ATTENTION), edgemoe_exec_moe
//   (MOE_GATE, EXPERTS). EnLn, EnLin, EnAttn, EnMoe = 0 leave an executor out (its
//   opcodes end BAD_OPCODE; EnMoe needs EnLin): faster simulation builds.
// * The activation buffers X N Q K V A H (edgemoe_actbuf): one word = four 16-column
//   chunks (64 lanes) of a token row, word address row * (columns / 64) + chunk / 4, so
//   a head row of Q/K/V/A is one word. One read and one write port per buffer, shared
//   by the sequencer (LOAD/STORE, chunk-wide) and the executors (AND-OR: every client
//   drives 0 while it is not the one executing).
// * irq_o: level, high while IRQ_STATUS & IRQ_ENABLE is non-zero.
//
// Synchronous active-low reset. Clock: params.toml clock_mhz.
module edgemoe_top #(
  parameter int unsigned NumPorts = 4,
  parameter int unsigned AddrW    = 64,
  parameter int unsigned LiteAw   = 12,
  parameter bit          EnLn     = 1'b1,
  parameter bit          EnLin    = 1'b1,
  parameter bit          EnAttn   = 1'b1,
  parameter bit          EnMoe    = 1'b1
) (
  input  logic                             clk_i,
  input  logic                             rst_ni,
  // AXI4-Lite slave (registers)
  input  logic                             s_axil_awvalid_i,
  output logic                             s_axil_awready_o,
  input  logic [LiteAw-1:0]                s_axil_awaddr_i,
  input  logic [2:0]                       s_axil_awprot_i,
  input  logic                             s_axil_wvalid_i,
  output logic                             s_axil_wready_o,
  input  logic [31:0]                      s_axil_wdata_i,
  input  logic [3:0]                       s_axil_wstrb_i,
  output logic                             s_axil_bvalid_o,
  input  logic                             s_axil_bready_i,
  output logic [1:0]                       s_axil_bresp_o,
  input  logic                             s_axil_arvalid_i,
  output logic                             s_axil_arready_o,
  input  logic [LiteAw-1:0]                s_axil_araddr_i,
  input  logic [2:0]                       s_axil_arprot_i,
  output logic                             s_axil_rvalid_o,
  input  logic                             s_axil_rready_i,
  output logic [31:0]                      s_axil_rdata_o,
  output logic [1:0]                       s_axil_rresp_o,
  // AXI4 masters (one entry per port)
  output logic [NumPorts-1:0]              m_axi_awvalid_o,
  input  logic [NumPorts-1:0]              m_axi_awready_i,
  output logic [NumPorts-1:0][AddrW-1:0]   m_axi_awaddr_o,
  output logic [NumPorts-1:0][7:0]         m_axi_awlen_o,
  output logic [NumPorts-1:0][2:0]         m_axi_awsize_o,
  output logic [NumPorts-1:0][1:0]         m_axi_awburst_o,
  output logic [NumPorts-1:0][3:0]         m_axi_awcache_o,
  output logic [NumPorts-1:0][2:0]         m_axi_awprot_o,
  output logic [NumPorts-1:0]              m_axi_awid_o,
  output logic [NumPorts-1:0]              m_axi_wvalid_o,
  input  logic [NumPorts-1:0]              m_axi_wready_i,
  output logic [NumPorts-1:0][127:0]       m_axi_wdata_o,
  output logic [NumPorts-1:0][15:0]        m_axi_wstrb_o,
  output logic [NumPorts-1:0]              m_axi_wlast_o,
  input  logic [NumPorts-1:0]              m_axi_bvalid_i,
  output logic [NumPorts-1:0]              m_axi_bready_o,
  input  logic [NumPorts-1:0][1:0]         m_axi_bresp_i,
  input  logic [NumPorts-1:0]              m_axi_bid_i,
  output logic [NumPorts-1:0]              m_axi_arvalid_o,
  input  logic [NumPorts-1:0]              m_axi_arready_i,
  output logic [NumPorts-1:0][AddrW-1:0]   m_axi_araddr_o,
  output logic [NumPorts-1:0][7:0]         m_axi_arlen_o,
  output logic [NumPorts-1:0][2:0]         m_axi_arsize_o,
  output logic [NumPorts-1:0][1:0]         m_axi_arburst_o,
  output logic [NumPorts-1:0][3:0]         m_axi_arcache_o,
  output logic [NumPorts-1:0][2:0]         m_axi_arprot_o,
  output logic [NumPorts-1:0]              m_axi_arid_o,
  input  logic [NumPorts-1:0]              m_axi_rvalid_i,
  output logic [NumPorts-1:0]              m_axi_rready_o,
  input  logic [NumPorts-1:0][127:0]       m_axi_rdata_i,
  input  logic [NumPorts-1:0][1:0]         m_axi_rresp_i,
  input  logic [NumPorts-1:0]              m_axi_rlast_i,
  input  logic [NumPorts-1:0]              m_axi_rid_i,
  output logic                             irq_o
);

  localparam int unsigned LenW = 24;

  // ---- registers ----------------------------------------------------------------------------
  edgemoe_regs_pkg::edgemoe_regs__in_t  hwif_in;
  edgemoe_regs_pkg::edgemoe_regs__out_t hwif_out;

  edgemoe_regs u_regs (
    .clk            (clk_i),
    .rst_n          (rst_ni),
    .s_axil_awready (s_axil_awready_o),
    .s_axil_awvalid (s_axil_awvalid_i),
    .s_axil_awaddr  (s_axil_awaddr_i),
    .s_axil_awprot  (s_axil_awprot_i),
    .s_axil_wready  (s_axil_wready_o),
    .s_axil_wvalid  (s_axil_wvalid_i),
    .s_axil_wdata   (s_axil_wdata_i),
    .s_axil_wstrb   (s_axil_wstrb_i),
    .s_axil_bready  (s_axil_bready_i),
    .s_axil_bvalid  (s_axil_bvalid_o),
    .s_axil_bresp   (s_axil_bresp_o),
    .s_axil_arready (s_axil_arready_o),
    .s_axil_arvalid (s_axil_arvalid_i),
    .s_axil_araddr  (s_axil_araddr_i),
    .s_axil_arprot  (s_axil_arprot_i),
    .s_axil_rready  (s_axil_rready_i),
    .s_axil_rvalid  (s_axil_rvalid_o),
    .s_axil_rdata   (s_axil_rdata_o),
    .s_axil_rresp   (s_axil_rresp_o),
    .hwif_in        (hwif_in),
    .hwif_out       (hwif_out)
  );

  // ---- sequencer ------------------------------------------------------------------------------
  localparam int unsigned Lanes = 16;       // the sequencer's chunk-wide buffer port
  localparam int unsigned NumBufs = 7;      // ids 0..6: X N Q K V A H
  localparam int unsigned WLanes = 64;      // lanes of one buffer word (four chunks)
  localparam int unsigned BufAw = 11;       // word address bits (H: 129 x 12 words)

  logic             busy, done, drain, irq_done, irq_error, irq_mark;
  logic [7:0]       opcode, err_code;
  logic [23:0]      err_index;
  logic [31:0]      cmd_index, ddr_rd, ddr_wr, mark;
  logic [63:0]      cycles;
  logic             sq_rd_start, rd_stop, sq_rd_ready;
  logic [AddrW-1:0] sq_rd_addr, wr_addr;
  logic [LenW-1:0]  sq_rd_bytes, wr_bytes;
  logic [127:0]     wr_data;
  logic             wr_start, wr_stop, wr_busy, wr_err, wr_valid, wr_ready;
  logic                buf_we, buf_re;
  logic [3:0]          buf_wid, buf_rid;
  logic [12:0]         buf_waddr, buf_raddr;
  logic [Lanes-1:0]    buf_wlanes;
  logic [Lanes*32-1:0] buf_wdata, buf_rdata;
  logic                ex_kill, ex_clear;
  logic [1:0]          ex_go, ex_done;
  logic [1:0][7:0][31:0] ex_cmd;
  logic [1:0][7:0]     ex_err;
  logic [4:0]          ex_en;
  logic                sq_rd_busy, sq_rd_err, sq_rd_valid, sq_rd_first, sq_rd_last;
  logic                lin_qready;  // exec_lin can queue a second LINEAR behind the one it executes
  logic                lin_wstall;  // exec_lin: a cycle the cluster waited for weights (WSTALL)
  logic [127:0]        sq_rd_data;

  // the read engines, one per port
  logic [NumPorts-1:0]            rd_busy, rd_err, rd_valid, rd_first, rd_last;
  logic [NumPorts-1:0][127:0]     rd_data;
  logic [2:0]                     rd_hs;
  always_comb begin
    rd_hs = '0;
    for (int p = 0; p < NumPorts; p++) rd_hs = rd_hs + 3'(m_axi_rvalid_i[p] && m_axi_rready_o[p]);
  end

  assign ex_en = {EnMoe && EnLin, EnMoe && EnLin, EnAttn, EnLin, EnLn};  // opcodes 7 6 5 4 3

  edgemoe_seq #(.AddrW(AddrW), .LenW(LenW), .Lanes(Lanes)) u_seq (
    .clk_i, .rst_ni,
    .start_i      (hwif_out.CTRL.start.value),
    .abort_i      (hwif_out.CTRL.abort.value),
    .soft_reset_i (hwif_out.CTRL.soft_reset.value),
    .timeout_i    (hwif_out.TIMEOUT.cycles.value),
    .cmd_base_i   ({hwif_out.CMD_BASE_HI.addr.value, hwif_out.CMD_BASE_LO.addr.value}),
    .cmd_count_i  (hwif_out.CMD_COUNT.count.value),
    .wbase_i      (wbase),
    .io_base_i    ({hwif_out.IOBASE_HI.addr.value, hwif_out.IOBASE_LO.addr.value}),
    .busy_o       (busy),
    .done_o       (done),
    .drain_o      (drain),
    .opcode_o     (opcode),
    .err_code_o   (err_code),
    .err_index_o  (err_index),
    .cmd_index_o  (cmd_index),
    .cycles_o     (cycles),
    .ddr_rd_o     (ddr_rd),
    .ddr_wr_o     (ddr_wr),
    .mark_o       (mark),
    .irq_done_o   (irq_done),
    .irq_error_o  (irq_error),
    .irq_mark_o   (irq_mark),
    .rd_start_o   (sq_rd_start),
    .rd_addr_o    (sq_rd_addr),
    .rd_bytes_o   (sq_rd_bytes),
    .rd_stop_o    (rd_stop),
    .rd_busy_i    (sq_rd_busy),
    .rd_err_i     (sq_rd_err),
    .rd_valid_i   (sq_rd_valid),
    .rd_ready_o   (sq_rd_ready),
    .rd_data_i    (sq_rd_data),
    .rd_first_i   (sq_rd_first),
    .rd_last_i    (sq_rd_last),
    .rd_hs_i      (rd_hs),
    .rd_busy_all_i(|rd_busy || sq_rd_busy),
    .ex_en_i      (ex_en),
    .ex_go_o      (ex_go),
    .ex_cmd_o     (ex_cmd),
    .ex_kill_o    (ex_kill),
    .ex_clear_o   (ex_clear),
    .lin_qready_i (lin_qready),
    .ex_done_i    (ex_done),
    .ex_err_i     (ex_err),
    .wr_start_o   (wr_start),
    .wr_addr_o    (wr_addr),
    .wr_bytes_o   (wr_bytes),
    .wr_stop_o    (wr_stop),
    .wr_busy_i    (wr_busy),
    .wr_err_i     (wr_err),
    .wr_valid_o   (wr_valid),
    .wr_ready_i   (wr_ready),
    .wr_data_o    (wr_data),
    .wr_hs_i      (m_axi_wvalid_o[0] && m_axi_wready_i[0]),
    .buf_we_o     (buf_we),
    .buf_wid_o    (buf_wid),
    .buf_waddr_o  (buf_waddr),
    .buf_wlanes_o (buf_wlanes),
    .buf_wdata_o  (buf_wdata),
    .buf_re_o     (buf_re),
    .buf_rid_o    (buf_rid),
    .buf_raddr_o  (buf_raddr),
    .buf_rdata_i  (buf_rdata)
  );

  logic [63:0] wbase;
  assign wbase = {hwif_out.WBASE_HI.addr.value, hwif_out.WBASE_LO.addr.value};

  // ---- executors ---------------------------------------------------------------------------
  // Each drives 0 on every buffer and engine output while it is not executing: the ports
  // below are the OR of all clients. (The '0 of the 14,336-bit write-data bundles is a
  // plain fill, not a suspicious replication.)
  /* verilator lint_off WIDTHCONCAT */
  localparam int unsigned NumEx = 4;  // 0 ln, 1 lin, 2 attn, 3 moe (no buffer or engine ports)
  logic [NumEx-1:0]                          x_go, x_busy, x_done;
  logic [NumEx-1:0][7:0]                     x_err;
  logic [NumEx-1:0][NumPorts-1:0]            x_rd_start, x_rd_ready;
  logic [NumEx-1:0][NumPorts-1:0][AddrW-1:0] x_rd_addr;
  logic [NumEx-1:0][NumPorts-1:0][LenW-1:0]  x_rd_bytes;
  logic [NumEx-1:0][NumBufs-1:0]             x_re, x_we;
  logic [NumEx-1:0][NumBufs-1:0][BufAw-1:0]  x_raddr, x_waddr;
  logic [NumEx-1:0][NumBufs-1:0][WLanes-1:0] x_wlanes;
  logic [NumEx-1:0][NumBufs-1:0][WLanes*32-1:0] x_wdata;
  logic [NumBufs-1:0][WLanes*32-1:0]         b_rdata;   // every buffer's read word (sign-extended lanes)

  // class 0: LAYERNORM, LINEAR, MOE_GATE, EXPERTS; class 1: ATTENTION
  assign x_go[0] = ex_go[0] && ex_cmd[0][0][7:0] == 8'h03;
  assign x_go[1] = ex_go[0] && ex_cmd[0][0][7:0] == 8'h04;
  assign x_go[2] = ex_go[1];
  assign x_go[3] = ex_go[0] && (ex_cmd[0][0][7:0] == 8'h06 || ex_cmd[0][0][7:0] == 8'h07);
  assign ex_done = {x_done[2], x_done[0] | x_done[1] | x_done[3]};
  assign ex_err  = {x_err[2], x_err[0] | x_err[1] | x_err[3]};

  // pass port exec_moe -> exec_lin, token table exec_lin -> exec_moe, tap exec_lin -> exec_moe
  logic        ps_valid, ps_ready, ps_gather, ps_scatter, ps_done;
  logic [31:0] ps_cmd;
  logic [63:0] ps_waddr;
  logic [3:0]  ps_src, ps_dst;
  logic [5:0]  ps_sc, ps_dc;
  logic [7:0]  ps_err;
  logic        tt_re;
  logic [7:0]  tt_idx, tt_tok;
  logic [edgemoe_pkg::PBits-1:0] tt_score;
  logic        tap_valid, tap_ready;
  logic [edgemoe_pkg::LinTileOut*edgemoe_pkg::MoeAccBits-1:0] tap_data;
  logic [7:0]  tap_tok;
  logic [15:0][7:0] qcount;

  if (EnLn) begin : g_ln
    edgemoe_exec_ln u_ln (
      .clk_i, .rst_ni, .kill_i(ex_kill), .go_i(x_go[0]), .cmd_i(ex_cmd[0]), .wbase_i(wbase),
      .busy_o(x_busy[0]), .done_o(x_done[0]), .err_o(x_err[0]),
      .rd_start_o(x_rd_start[0]), .rd_addr_o(x_rd_addr[0]), .rd_bytes_o(x_rd_bytes[0]), .rd_ready_o(x_rd_ready[0]),
      .rd_busy_i(rd_busy), .rd_err_i(rd_err), .rd_valid_i(rd_valid), .rd_data_i(rd_data),
      .rd_first_i(rd_first), .rd_last_i(rd_last),
      .buf_re_o(x_re[0]), .buf_raddr_o(x_raddr[0]), .buf_rdata_i(b_rdata),
      .buf_we_o(x_we[0]), .buf_waddr_o(x_waddr[0]), .buf_wlanes_o(x_wlanes[0]), .buf_wdata_o(x_wdata[0]));
  end else begin : g_no_ln
    assign x_busy[0] = 1'b0; assign x_done[0] = 1'b0; assign x_err[0] = '0;
    assign x_rd_start[0] = '0; assign x_rd_addr[0] = '0; assign x_rd_bytes[0] = '0; assign x_rd_ready[0] = '0;
    assign x_re[0] = '0; assign x_raddr[0] = '0; assign x_we[0] = '0; assign x_waddr[0] = '0;
    assign x_wlanes[0] = '0; assign x_wdata[0] = '0;
  end

  if (EnLin) begin : g_lin
    edgemoe_exec_lin u_lin (
      .clk_i, .rst_ni, .kill_i(ex_kill), .go_i(x_go[1]), .cmd_i(ex_cmd[0]), .wbase_i(wbase),
      .busy_o(x_busy[1]), .done_o(x_done[1]), .err_o(x_err[1]), .lin_qready_o(lin_qready), .wstall_o(lin_wstall),
      .rd_start_o(x_rd_start[1]), .rd_addr_o(x_rd_addr[1]), .rd_bytes_o(x_rd_bytes[1]), .rd_ready_o(x_rd_ready[1]),
      .rd_busy_i(rd_busy), .rd_err_i(rd_err), .rd_valid_i(rd_valid), .rd_data_i(rd_data),
      .rd_first_i(rd_first), .rd_last_i(rd_last),
      .buf_re_o(x_re[1]), .buf_raddr_o(x_raddr[1]), .buf_rdata_i(b_rdata),
      .buf_we_o(x_we[1]), .buf_waddr_o(x_waddr[1]), .buf_wlanes_o(x_wlanes[1]), .buf_wdata_o(x_wdata[1]),
      .ps_valid_i(ps_valid), .ps_ready_o(ps_ready), .ps_cmd_i(ps_cmd), .ps_waddr_i(ps_waddr),
      .ps_src_i(ps_src), .ps_sc_i(ps_sc), .ps_gather_i(ps_gather), .ps_dst_i(ps_dst), .ps_dc_i(ps_dc),
      .ps_scatter_i(ps_scatter), .ps_done_o(ps_done), .ps_err_o(ps_err),
      .tt_re_o(tt_re), .tt_idx_o(tt_idx), .tt_tok_i(tt_tok), .tt_score_i(tt_score),
      .tap_valid_o(tap_valid), .tap_ready_i(tap_ready), .tap_data_o(tap_data), .tap_tok_o(tap_tok));
  end else begin : g_no_lin
    assign x_busy[1] = 1'b0; assign x_done[1] = 1'b0; assign x_err[1] = '0; assign lin_qready = 1'b0; assign lin_wstall = 1'b0;
    assign x_rd_start[1] = '0; assign x_rd_addr[1] = '0; assign x_rd_bytes[1] = '0; assign x_rd_ready[1] = '0;
    assign x_re[1] = '0; assign x_raddr[1] = '0; assign x_we[1] = '0; assign x_waddr[1] = '0;
    assign x_wlanes[1] = '0; assign x_wdata[1] = '0;
    assign ps_ready = 1'b0; assign ps_done = 1'b0; assign ps_err = '0;
    assign tt_re = 1'b0; assign tt_idx = '0; assign tap_valid = 1'b0; assign tap_data = '0; assign tap_tok = '0;
  end

  if (EnAttn) begin : g_attn
    edgemoe_exec_attn u_attn (
      .clk_i, .rst_ni, .kill_i(ex_kill), .go_i(x_go[2]), .cmd_i(ex_cmd[1]), .wbase_i(wbase),
      .busy_o(x_busy[2]), .done_o(x_done[2]), .err_o(x_err[2]),
      .rd_start_o(x_rd_start[2]), .rd_addr_o(x_rd_addr[2]), .rd_bytes_o(x_rd_bytes[2]), .rd_ready_o(x_rd_ready[2]),
      .rd_busy_i(rd_busy), .rd_err_i(rd_err), .rd_valid_i(rd_valid), .rd_data_i(rd_data),
      .rd_first_i(rd_first), .rd_last_i(rd_last),
      .buf_re_o(x_re[2]), .buf_raddr_o(x_raddr[2]), .buf_rdata_i(b_rdata),
      .buf_we_o(x_we[2]), .buf_waddr_o(x_waddr[2]), .buf_wlanes_o(x_wlanes[2]), .buf_wdata_o(x_wdata[2]));
  end else begin : g_no_attn
    assign x_busy[2] = 1'b0; assign x_done[2] = 1'b0; assign x_err[2] = '0;
    assign x_rd_start[2] = '0; assign x_rd_addr[2] = '0; assign x_rd_bytes[2] = '0; assign x_rd_ready[2] = '0;
    assign x_re[2] = '0; assign x_raddr[2] = '0; assign x_we[2] = '0; assign x_waddr[2] = '0;
    assign x_wlanes[2] = '0; assign x_wdata[2] = '0;
  end

  // exec_moe reaches the buffers and DDR only through exec_lin's passes
  assign x_rd_start[3] = '0; assign x_rd_addr[3] = '0; assign x_rd_bytes[3] = '0; assign x_rd_ready[3] = '0;
  assign x_re[3] = '0; assign x_raddr[3] = '0; assign x_we[3] = '0; assign x_waddr[3] = '0;
  assign x_wlanes[3] = '0; assign x_wdata[3] = '0;
  if (EnMoe && EnLin) begin : g_moe
    edgemoe_exec_moe u_moe (
      .clk_i, .rst_ni, .kill_i(ex_kill), .go_i(x_go[3]), .cmd_i(ex_cmd[0]), .wbase_i(wbase),
      .busy_o(x_busy[3]), .done_o(x_done[3]), .err_o(x_err[3]),
      .ps_valid_o(ps_valid), .ps_ready_i(ps_ready), .ps_cmd_o(ps_cmd), .ps_waddr_o(ps_waddr),
      .ps_src_o(ps_src), .ps_sc_o(ps_sc), .ps_gather_o(ps_gather), .ps_dst_o(ps_dst), .ps_dc_o(ps_dc),
      .ps_scatter_o(ps_scatter), .ps_done_i(ps_done), .ps_err_i(ps_err),
      .tt_re_i(tt_re), .tt_idx_i(tt_idx), .tt_tok_o(tt_tok), .tt_score_o(tt_score),
      .tap_valid_i(tap_valid), .tap_ready_o(tap_ready), .tap_data_i(tap_data), .tap_tok_i(tap_tok),
      .qclr_i(ex_clear), .qcount_o(qcount));
  end else begin : g_no_moe
    assign x_busy[3] = 1'b0; assign x_done[3] = 1'b0; assign x_err[3] = '0;
    assign ps_valid = 1'b0; assign ps_cmd = '0; assign ps_waddr = '0; assign ps_src = '0; assign ps_sc = '0;
    assign ps_gather = 1'b0; assign ps_dst = '0; assign ps_dc = '0; assign ps_scatter = 1'b0;
    assign tt_tok = '0; assign tt_score = '0; assign tap_ready = 1'b0; assign qcount = '0;
  end

  /* verilator lint_on WIDTHCONCAT */

  // ---- read engines: the executors' (one per port, id 1) and the sequencer's (port 0, id 0) ----
  // Port 0's AR/R as seen by each of its two engines (the others' are the port itself).
  logic [NumPorts-1:0]            e_arvalid, e_arready, e_rvalid, e_rready, e_arid;
  logic [NumPorts-1:0][AddrW-1:0] e_araddr;
  logic [NumPorts-1:0][7:0]       e_arlen;
  logic             s_arvalid, s_arready, s_rvalid, s_rready, s_arid;
  logic [AddrW-1:0] s_araddr;
  logic [7:0]       s_arlen;
  for (genvar p = 0; p < NumPorts; p++) begin : g_rd
    logic             e_start, e_ready;
    logic [AddrW-1:0] e_addr;
    logic [LenW-1:0]  e_bytes;
    always_comb begin
      e_start = 1'b0; e_ready = 1'b0; e_addr = '0; e_bytes = '0;
      for (int x = 0; x < NumEx; x++) begin
        e_start = e_start | x_rd_start[x][p];
        e_ready = e_ready | x_rd_ready[x][p];
        e_addr  = e_addr  | x_rd_addr[x][p];
        e_bytes = e_bytes | x_rd_bytes[x][p];
      end
    end
    edgemoe_axi_rd #(.AddrW(AddrW), .LenW(LenW)) u_rd (
      .clk_i, .rst_ni,
      .start_i     (e_start),
      .addr_i      (e_addr),
      .bytes_i     (e_bytes),
      .stop_i      (rd_stop),
      .busy_o      (rd_busy[p]),
      .err_o       (rd_err[p]),
      .out_valid_o (rd_valid[p]),
      .out_ready_i (e_ready),
      .out_data_o  (rd_data[p]),
      .out_first_o (rd_first[p]),
      .out_last_o  (rd_last[p]),
      .arvalid_o   (e_arvalid[p]),
      .arready_i   (e_arready[p]),
      .araddr_o    (e_araddr[p]),
      .arlen_o     (e_arlen[p]),
      .arid_o      (e_arid[p]),
      .rvalid_i    (e_rvalid[p]),
      .rready_o    (e_rready[p]),
      .rdata_i     (m_axi_rdata_i[p]),
      .rresp_i     (m_axi_rresp_i[p]),
      .rlast_i     (m_axi_rlast_i[p])
    );
    if (p > 0) begin : g_direct
      assign m_axi_arvalid_o[p] = e_arvalid[p];
      assign e_arready[p]       = m_axi_arready_i[p];
      assign m_axi_araddr_o[p]  = e_araddr[p];
      assign m_axi_arlen_o[p]   = e_arlen[p];
      assign m_axi_arid_o[p]    = e_arid[p];
      assign e_rvalid[p]        = m_axi_rvalid_i[p];
      assign m_axi_rready_o[p]  = e_rready[p];
    end
  end

  edgemoe_axi_rd #(.AddrW(AddrW), .LenW(LenW), .ArId(1'b0)) u_rd_seq (
    .clk_i, .rst_ni,
    .start_i     (sq_rd_start),
    .addr_i      (sq_rd_addr),
    .bytes_i     (sq_rd_bytes),
    .stop_i      (rd_stop),
    .busy_o      (sq_rd_busy),
    .err_o       (sq_rd_err),
    .out_valid_o (sq_rd_valid),
    .out_ready_i (sq_rd_ready),
    .out_data_o  (sq_rd_data),
    .out_first_o (sq_rd_first),
    .out_last_o  (sq_rd_last),
    .arvalid_o   (s_arvalid),
    .arready_i   (s_arready),
    .araddr_o    (s_araddr),
    .arlen_o     (s_arlen),
    .arid_o      (s_arid),
    .rvalid_i    (s_rvalid),
    .rready_o    (s_rready),
    .rdata_i     (m_axi_rdata_i[0]),
    .rresp_i     (m_axi_rresp_i[0]),
    .rlast_i     (m_axi_rlast_i[0])
  );

  // Port 0 AR: the two engines alternate; a presented AR keeps the grant until accepted (AXI:
  // its payload must not change while ARVALID is high). R: routed by RID (0 sequencer, 1 executors).
  logic ar_sel, ar_sel_q, ar_lock_q;
  always_comb begin
    if (ar_lock_q) ar_sel = ar_sel_q;
    else if (s_arvalid && e_arvalid[0]) ar_sel = !ar_sel_q;
    else ar_sel = e_arvalid[0];
  end
  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      ar_sel_q <= 1'b0; ar_lock_q <= 1'b0;
    end else begin
      ar_sel_q  <= ar_sel;
      ar_lock_q <= m_axi_arvalid_o[0] && !m_axi_arready_i[0];
    end
  end
  assign m_axi_arvalid_o[0] = ar_sel ? e_arvalid[0] : s_arvalid;
  assign m_axi_araddr_o[0]  = ar_sel ? e_araddr[0] : s_araddr;
  assign m_axi_arlen_o[0]   = ar_sel ? e_arlen[0] : s_arlen;
  assign m_axi_arid_o[0]    = ar_sel ? e_arid[0] : s_arid;
  assign e_arready[0]       = ar_sel && m_axi_arready_i[0];
  assign s_arready          = !ar_sel && m_axi_arready_i[0];
  assign e_rvalid[0]        = m_axi_rvalid_i[0] && m_axi_rid_i[0];
  assign s_rvalid           = m_axi_rvalid_i[0] && !m_axi_rid_i[0];
  assign m_axi_rready_o[0]  = m_axi_rid_i[0] ? e_rready[0] : s_rready;

  edgemoe_axi_wr #(.AddrW(AddrW), .LenW(LenW)) u_wr (
    .clk_i, .rst_ni,
    .start_i    (wr_start),
    .addr_i     (wr_addr),
    .bytes_i    (wr_bytes),
    .stop_i     (wr_stop),
    .busy_o     (wr_busy),
    .err_o      (wr_err),
    .in_valid_i (wr_valid),
    .in_ready_o (wr_ready),
    .in_data_i  (wr_data),
    .awvalid_o  (m_axi_awvalid_o[0]),
    .awready_i  (m_axi_awready_i[0]),
    .awaddr_o   (m_axi_awaddr_o[0]),
    .awlen_o    (m_axi_awlen_o[0]),
    .awid_o     (m_axi_awid_o[0]),
    .wvalid_o   (m_axi_wvalid_o[0]),
    .wready_i   (m_axi_wready_i[0]),
    .wdata_o    (m_axi_wdata_o[0]),
    .wstrb_o    (m_axi_wstrb_o[0]),
    .wlast_o    (m_axi_wlast_o[0]),
    .bvalid_i   (m_axi_bvalid_i[0]),
    .bready_o   (m_axi_bready_o[0]),
    .bresp_i    (m_axi_bresp_i[0])
  );

  // Burst attributes of every port: 16-byte beats, INCR, ARCACHE/AWCACHE 0b0011
  // (non-coherent: the host flushes), unprivileged non-secure data.
  for (genvar p = 0; p < NumPorts; p++) begin : g_attr
    assign m_axi_arsize_o[p]  = 3'd4;
    assign m_axi_arburst_o[p] = 2'b01;
    assign m_axi_arcache_o[p] = 4'b0011;
    assign m_axi_arprot_o[p]  = 3'b000;
    assign m_axi_awsize_o[p]  = 3'd4;
    assign m_axi_awburst_o[p] = 2'b01;
    assign m_axi_awcache_o[p] = 4'b0011;
    assign m_axi_awprot_o[p]  = 3'b000;
  end

  // Ports 1..3 never write (the only DDR writes are STORE's, on port 0).
  for (genvar p = 1; p < NumPorts; p++) begin : g_no_write
    assign m_axi_awvalid_o[p] = 1'b0;
    assign m_axi_awaddr_o[p]  = '0;
    assign m_axi_awlen_o[p]   = '0;
    assign m_axi_awid_o[p]    = 1'b0;
    assign m_axi_wvalid_o[p]  = 1'b0;
    assign m_axi_wdata_o[p]   = '0;
    assign m_axi_wstrb_o[p]   = '0;
    assign m_axi_wlast_o[p]   = 1'b0;
    assign m_axi_bready_o[p]  = 1'b1;
  end

  // Inputs this version does not use: the write response ids (one id in flight), the read ids
  // of ports 1..3 (one engine each) and the write responses of ports 1..3.
  logic unused;
  assign unused = ^{buf_wdata, m_axi_bid_i, m_axi_rid_i[NumPorts-1:1], m_axi_awready_i[NumPorts-1:1], m_axi_wready_i[NumPorts-1:1],
                    m_axi_bvalid_i[NumPorts-1:1], m_axi_bresp_i[NumPorts-1:1], x_busy[0], x_busy[3]};
  // with executors left out (EnLn/EnLin/EnAttn/EnMoe = 0) some of the shared nets go unread
  logic unused_ex;
  assign unused_ex = ^{ex_kill, ex_clear, ex_cmd, x_go, ps_valid, ps_ready, ps_gather, ps_scatter, ps_done, ps_cmd, ps_waddr,
                       ps_src, ps_dst, ps_sc, ps_dc, ps_err, tt_re, tt_idx, tt_tok, tt_score, tap_valid, tap_ready,
                       tap_data, tap_tok, rd_err, rd_valid, rd_first, rd_last, rd_data};

  // ---- activation buffers -----------------------------------------------------------------------
  // The sequencer addresses chunk words (row * (columns / 16) + chunk); with 12 or 48
  // chunks per row that is word (address >> 2), lane group (address & 3) of the 64-lane words.
  localparam int unsigned Words  = edgemoe_pkg::NumTokens * edgemoe_pkg::EmbedDim / WLanes;   // 387
  localparam int unsigned HWords = edgemoe_pkg::NumTokens * edgemoe_pkg::MlpHidden / WLanes;  // 1548

  // Element widths: X moe_acc, Q q, the others act. Writers deliver codes already in range.
  function automatic int unsigned elem_bits(int unsigned b);
    elem_bits = (b == 0) ? edgemoe_pkg::MoeAccBits
                         : ((b == 2) ? edgemoe_pkg::QBits : edgemoe_pkg::ActBits);
  endfunction

  logic [1:0] sq_rgrp_q;   // lane group of the sequencer's read, for the word it returns
  logic [3:0] sq_rid_q;
  always_ff @(posedge clk_i) begin
    if (buf_re) begin
      sq_rgrp_q <= buf_raddr[1:0];
      sq_rid_q  <= buf_rid;
    end
  end

  for (genvar b = 0; b < NumBufs; b++) begin : g_buf
    localparam int unsigned Eb = elem_bits(b);
    localparam int unsigned Wb = (b == 6) ? HWords : Words;
    localparam int unsigned Ab = $clog2(Wb);
    logic                    re, we;
    logic [BufAw-1:0]        raddr, waddr;
    logic [WLanes-1:0]       wlanes;
    logic [WLanes*32-1:0]    wdata32;
    logic [WLanes*Eb-1:0]    wdata, rraw;
    always_comb begin
      re = buf_re && buf_rid == 4'(b);
      raddr = re ? BufAw'(buf_raddr >> 2) : '0;
      we = buf_we && buf_wid == 4'(b);
      waddr = we ? BufAw'(buf_waddr >> 2) : '0;
      wlanes = we ? (WLanes'(buf_wlanes) << (16 * buf_waddr[1:0])) : '0;
      wdata32 = we ? {4{buf_wdata}} : '0;
      for (int x = 0; x < NumEx; x++) begin
        re      = re      | x_re[x][b];
        raddr   = raddr   | x_raddr[x][b];
        we      = we      | x_we[x][b];
        waddr   = waddr   | x_waddr[x][b];
        wlanes  = wlanes  | x_wlanes[x][b];
        wdata32 = wdata32 | x_wdata[x][b];
      end
    end
    for (genvar l = 0; l < WLanes; l++) begin : g_lane
      assign wdata[l*Eb +: Eb] = wdata32[32*l +: Eb];
      assign b_rdata[b][32*l +: 32] = 32'($signed(rraw[l*Eb +: Eb]));
    end
    edgemoe_actbuf #(.Words(Wb), .Lanes(WLanes), .ElemBits(Eb)) u_buf (
      .clk_i,
      .wr_en_i    (we),
      .wr_addr_i  (waddr[Ab-1:0]),
      .wr_lanes_i (wlanes),
      .wr_data_i  (wdata),
      .rd_en_i    (re),
      .rd_addr_i  (raddr[Ab-1:0]),
      .rd_data_o  (rraw)
    );
    if (Ab < BufAw) begin : g_unused_addr
      logic unused_addr;
      assign unused_addr = ^{raddr[BufAw-1:Ab], waddr[BufAw-1:Ab]};
    end
  end

  // The sequencer's chunk: the word read last cycle, from the buffer it was read from.
  always_comb begin
    buf_rdata = '0;
    for (int b = 0; b < NumBufs; b++)
      if (sq_rid_q == 4'(b)) buf_rdata = b_rdata[b][512*sq_rgrp_q +: 512];
  end

  // ---- counters of the executors ------------------------------------------------------------
  logic [31:0] lin_busy_q, attn_busy_q, wstall_q;
  always_ff @(posedge clk_i) begin
    if (!rst_ni || (hwif_out.CTRL.start.value && !busy && !drain && err_code == 8'h00) ||
        (hwif_out.CTRL.soft_reset.value && !busy)) begin  // cleared as the sequencer's counters are
      lin_busy_q <= '0; attn_busy_q <= '0; wstall_q <= '0;
    end else begin
      if (x_busy[1]) lin_busy_q <= lin_busy_q + 32'd1;
      if (lin_wstall) wstall_q <= wstall_q + 32'd1;
      if (x_busy[2]) attn_busy_q <= attn_busy_q + 32'd1;
    end
  end

  // ---- register inputs ----------------------------------------------------------------------------
  always_comb begin
    hwif_in = '0;  // packed struct (see golden/regs_gen.py)
    hwif_in.STATUS.busy.next      = busy;
    hwif_in.STATUS.done.next      = done;
    hwif_in.STATUS.error.next     = err_code != 8'h00;
    hwif_in.STATUS.drain.next     = drain;
    hwif_in.STATUS.opcode.next    = opcode;  // 0 while idle
    hwif_in.ERROR.code.next       = err_code;
    hwif_in.ERROR.index.next      = err_index;
    hwif_in.CMD_INDEX.index.next  = cmd_index;
    hwif_in.CYCLES_LO.count.next  = cycles[31:0];
    hwif_in.CYCLES_HI.count.next  = cycles[63:32];
    hwif_in.DDR_RD.count.next     = ddr_rd;
    hwif_in.DDR_WR.count.next     = ddr_wr;
    hwif_in.MARK.value.next       = mark;
    hwif_in.LIN_BUSY.count.next   = lin_busy_q;   // cycles exec_lin was executing (LINEAR, passes)
    hwif_in.ATTN_BUSY.count.next  = attn_busy_q;
    hwif_in.WSTALL.count.next     = wstall_q;     // cycles the cluster waited for weights (exec_lin)
    hwif_in.QCOUNT0.e0.next = qcount[0];  hwif_in.QCOUNT0.e1.next = qcount[1];
    hwif_in.QCOUNT0.e2.next = qcount[2];  hwif_in.QCOUNT0.e3.next = qcount[3];
    hwif_in.QCOUNT1.e0.next = qcount[4];  hwif_in.QCOUNT1.e1.next = qcount[5];
    hwif_in.QCOUNT1.e2.next = qcount[6];  hwif_in.QCOUNT1.e3.next = qcount[7];
    hwif_in.QCOUNT2.e0.next = qcount[8];  hwif_in.QCOUNT2.e1.next = qcount[9];
    hwif_in.QCOUNT2.e2.next = qcount[10]; hwif_in.QCOUNT2.e3.next = qcount[11];
    hwif_in.QCOUNT3.e0.next = qcount[12]; hwif_in.QCOUNT3.e1.next = qcount[13];
    hwif_in.QCOUNT3.e2.next = qcount[14]; hwif_in.QCOUNT3.e3.next = qcount[15];
    hwif_in.IRQ_STATUS.done.hwset  = irq_done;
    hwif_in.IRQ_STATUS.error.hwset = irq_error;
    hwif_in.IRQ_STATUS.mark.hwset  = irq_mark;
    // SOFT_RESET (idle only) clears the interrupt status with the rest of the state.
    hwif_in.IRQ_STATUS.done.hwclr  = hwif_out.CTRL.soft_reset.value && !busy;
    hwif_in.IRQ_STATUS.error.hwclr = hwif_out.CTRL.soft_reset.value && !busy;
    hwif_in.IRQ_STATUS.mark.hwclr  = hwif_out.CTRL.soft_reset.value && !busy;
  end

  logic irq_q;
  always_ff @(posedge clk_i) begin
    if (!rst_ni) irq_q <= 1'b0;
    else irq_q <= (hwif_out.IRQ_STATUS.done.value && hwif_out.IRQ_ENABLE.done.value) ||
                  (hwif_out.IRQ_STATUS.error.value && hwif_out.IRQ_ENABLE.error.value) ||
                  (hwif_out.IRQ_STATUS.mark.value && hwif_out.IRQ_ENABLE.mark.value);
  end
  assign irq_o = irq_q;

endmodule
