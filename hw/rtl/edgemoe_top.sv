// Edge-MoE accelerator top (docs/architecture.md, "Top level"; "Implementation status
// of the top" says what this version contains).
//
// * AXI4-Lite register slave: the PeakRDL-regblock block generated from
//   hw/regs/edgemoe_regs.rdl (hw/rtl/gen/edgemoe_regs.sv).
// * Four AXI4 128-bit masters (NumPorts). Port 0 carries command fetch and the
//   activation I/O (LOAD/STORE); ports 1..3 carry the weight stream of the linear
//   cluster, which is not integrated yet: they issue nothing (valid low, ready high).
// * The sequencer (edgemoe_seq) with its AXI read and write engines (edgemoe_axi_rd,
//   edgemoe_axi_wr) and the activation buffers X N K V A H (edgemoe_actbuf; Q is
//   written only by the q projection, which is not integrated).
// * irq_o: level, high while IRQ_STATUS & IRQ_ENABLE is non-zero.
//
// Synchronous active-low reset. Clock: params.toml clock_mhz.
module edgemoe_top #(
  parameter int unsigned NumPorts = 4,
  parameter int unsigned AddrW    = 64,
  parameter int unsigned LiteAw   = 12
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

  // ---- sequencer and port-0 engines ------------------------------------------------------------
  logic             busy, done, drain, irq_done, irq_error, irq_mark;
  logic [7:0]       opcode, err_code;
  logic [23:0]      err_index;
  logic [31:0]      cmd_index, ddr_rd, ddr_wr, mark;
  logic [63:0]      cycles;
  logic             rd_start, rd_stop, rd_busy, rd_err, rd_valid, rd_ready, rd_first, rd_last;
  logic [AddrW-1:0] rd_addr, wr_addr;
  logic [LenW-1:0]  rd_bytes, wr_bytes;
  logic [127:0]     rd_data, wr_data;
  logic             wr_start, wr_stop, wr_busy, wr_err, wr_valid, wr_ready;
  localparam int unsigned Lanes = 16;
  logic                buf_we, buf_re;
  logic [3:0]          buf_wid, buf_rid;
  logic [12:0]         buf_waddr, buf_raddr;
  logic [Lanes-1:0]    buf_wlanes;
  logic [Lanes*32-1:0] buf_wdata, buf_rdata;

  edgemoe_seq #(.AddrW(AddrW), .LenW(LenW), .Lanes(Lanes)) u_seq (
    .clk_i, .rst_ni,
    .start_i      (hwif_out.CTRL.start.value),
    .abort_i      (hwif_out.CTRL.abort.value),
    .soft_reset_i (hwif_out.CTRL.soft_reset.value),
    .timeout_i    (hwif_out.TIMEOUT.cycles.value),
    .cmd_base_i   ({hwif_out.CMD_BASE_HI.addr.value, hwif_out.CMD_BASE_LO.addr.value}),
    .cmd_count_i  (hwif_out.CMD_COUNT.count.value),
    .wbase_i      ({hwif_out.WBASE_HI.addr.value, hwif_out.WBASE_LO.addr.value}),
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
    .rd_start_o   (rd_start),
    .rd_addr_o    (rd_addr),
    .rd_bytes_o   (rd_bytes),
    .rd_stop_o    (rd_stop),
    .rd_busy_i    (rd_busy),
    .rd_err_i     (rd_err),
    .rd_valid_i   (rd_valid),
    .rd_ready_o   (rd_ready),
    .rd_data_i    (rd_data),
    .rd_first_i   (rd_first),
    .rd_last_i    (rd_last),
    .rd_hs_i      (m_axi_rvalid_i[0] && m_axi_rready_o[0]),
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

  edgemoe_axi_rd #(.AddrW(AddrW), .LenW(LenW)) u_rd (
    .clk_i, .rst_ni,
    .start_i     (rd_start),
    .addr_i      (rd_addr),
    .bytes_i     (rd_bytes),
    .stop_i      (rd_stop),
    .busy_o      (rd_busy),
    .err_o       (rd_err),
    .out_valid_o (rd_valid),
    .out_ready_i (rd_ready),
    .out_data_o  (rd_data),
    .out_first_o (rd_first),
    .out_last_o  (rd_last),
    .arvalid_o   (m_axi_arvalid_o[0]),
    .arready_i   (m_axi_arready_i[0]),
    .araddr_o    (m_axi_araddr_o[0]),
    .arlen_o     (m_axi_arlen_o[0]),
    .arid_o      (m_axi_arid_o[0]),
    .rvalid_i    (m_axi_rvalid_i[0]),
    .rready_o    (m_axi_rready_o[0]),
    .rdata_i     (m_axi_rdata_i[0]),
    .rresp_i     (m_axi_rresp_i[0]),
    .rlast_i     (m_axi_rlast_i[0])
  );

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

  // Ports 1..3: the weight stream of the linear cluster (not integrated): idle.
  for (genvar p = 1; p < NumPorts; p++) begin : g_idle_port
    assign m_axi_arvalid_o[p] = 1'b0;
    assign m_axi_araddr_o[p]  = '0;
    assign m_axi_arlen_o[p]   = '0;
    assign m_axi_arid_o[p]    = 1'b0;
    assign m_axi_rready_o[p]  = 1'b1;
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

  // Inputs this version does not use: the read/write responses' ids (one id per port and
  // direction is in flight, so responses need no routing) and every response input of
  // ports 1..3 (idle until the weight DMA lands).
  // The buffers keep only their element width of the 32-bit lane codes (writers deliver codes in range).
  logic unused;
  assign unused = ^{buf_wdata, m_axi_bid_i, m_axi_rid_i, m_axi_awready_i[NumPorts-1:1], m_axi_wready_i[NumPorts-1:1],
                    m_axi_bvalid_i[NumPorts-1:1], m_axi_bresp_i[NumPorts-1:1], m_axi_arready_i[NumPorts-1:1],
                    m_axi_rvalid_i[NumPorts-1:1], m_axi_rdata_i[NumPorts-1:1], m_axi_rresp_i[NumPorts-1:1],
                    m_axi_rlast_i[NumPorts-1:1]};

  // ---- activation buffers -----------------------------------------------------------------------
  // Word = one 16-column chunk of a token row: word = row * (columns / 16) + chunk (the
  // sequencer walks the addresses).
  localparam int unsigned RowWords = edgemoe_pkg::EmbedDim / Lanes;    // X N Q K V A: 12 words per row
  localparam int unsigned HRowWords = edgemoe_pkg::MlpHidden / Lanes;  // H: 48 words per row
  localparam int unsigned Words = edgemoe_pkg::NumTokens * RowWords;
  localparam int unsigned HWords = edgemoe_pkg::NumTokens * HRowWords;
  localparam int unsigned NumBufs = 7;  // ids 0..6: X N Q K V A H


  // Element widths: X moe_acc, Q q, the others act. Writers deliver codes already in range.
  function automatic int unsigned elem_bits(int unsigned b);
    elem_bits = (b == 0) ? edgemoe_pkg::MoeAccBits
                         : ((b == 2) ? edgemoe_pkg::QBits : edgemoe_pkg::ActBits);
  endfunction

  logic [Lanes*32-1:0] rdata [NumBufs];
  for (genvar b = 0; b < NumBufs; b++) begin : g_buf
    localparam int unsigned Eb = elem_bits(b);
    localparam int unsigned Wb = (b == 6) ? HWords : Words;
    logic [Lanes*Eb-1:0] wdata, rraw;
    for (genvar l = 0; l < Lanes; l++) begin : g_lane
      assign wdata[l*Eb +: Eb] = buf_wdata[32*l +: Eb];
      assign rdata[b][32*l +: 32] = 32'($signed(rraw[l*Eb +: Eb]));
    end
    edgemoe_actbuf #(.Words(Wb), .Lanes(Lanes), .ElemBits(Eb)) u_buf (
      .clk_i,
      .wr_en_i    (buf_we && buf_wid == 4'(b)),
      .wr_addr_i  (buf_waddr[$clog2(Wb)-1:0]),
      .wr_lanes_i (buf_wlanes),
      .wr_data_i  (wdata),
      .rd_en_i    (buf_re && buf_rid == 4'(b)),
      .rd_addr_i  (buf_raddr[$clog2(Wb)-1:0]),
      .rd_data_o  (rraw)
    );
  end

  // The word read last cycle, from the buffer it was read from.
  logic [3:0] rd_id_q;
  always_ff @(posedge clk_i) begin
    if (buf_re) rd_id_q <= buf_rid;
  end
  assign buf_rdata = (rd_id_q < 4'(NumBufs)) ? rdata[rd_id_q[2:0]] : '0;

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
    // LIN_BUSY, WSTALL, ATTN_BUSY and QCOUNT0..3 belong to units not integrated yet: they read 0.
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
