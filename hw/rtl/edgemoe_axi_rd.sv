// AXI4 read engine of the top: one contiguous byte range as a stream of 16-byte beats.
//
// start_i (one cycle, while idle) reads bytes_i bytes from addr_i (any alignment): the
// beats of the 16-byte grid that cover [addr_i, addr_i + bytes_i), in order. INCR bursts
// of up to 256 beats that never cross a 4 KB boundary, up to MaxOutstanding bursts in
// flight (docs/architecture.md, "AXI interfaces"). The stream is the R channel itself
// (rready = out_ready_i): no storage here.
//
// stop_i (level) stops issuing: an AR already presented stays valid until accepted (AXI
// rule); the data of every accepted burst is then taken and dropped (rready high), so
// busy_o falls once the memory has answered everything. err_o is sticky from the first
// SLVERR/DECERR beat until the next start_i.
module edgemoe_axi_rd #(
  parameter int unsigned AddrW          = 64,
  parameter int unsigned LenW           = 24,
  parameter int unsigned MaxOutstanding = 4,
  parameter logic        ArId           = 1'b1
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic             start_i,
  input  logic [AddrW-1:0] addr_i,
  input  logic [LenW-1:0]  bytes_i,
  input  logic             stop_i,
  output logic             busy_o,
  output logic             err_o,
  output logic             out_valid_o,
  input  logic             out_ready_i,
  output logic [127:0]     out_data_o,
  output logic             out_first_o,  // first beat of the range
  output logic             out_last_o,   // last beat of the range
  // AXI4 AR/R
  output logic             arvalid_o,
  input  logic             arready_i,
  output logic [AddrW-1:0] araddr_o,
  output logic [7:0]       arlen_o,
  output logic             arid_o,
  input  logic             rvalid_i,
  output logic             rready_o,
  input  logic [127:0]     rdata_i,
  input  logic [1:0]       rresp_i,
  input  logic             rlast_i
);

  localparam int unsigned BeatW = LenW - 3;  // beats of a range (bytes / 16 + 1)
  localparam int unsigned OutW = $clog2(MaxOutstanding + 1);

  logic [AddrW-1:0] next_addr_q;  // 16-byte aligned
  logic [BeatW-1:0] issue_left_q, recv_left_q;
  logic [OutW-1:0]  outstanding_q;
  logic             ar_pending_q, first_q, err_q;
  // Registered along with the values they describe (300 MHz: no wide compare in series with
  // the launch): beats from next_addr_q to the 4 KB boundary (1..256; 256 after the first
  // burst, which ends on the boundary unless it is the last), issue_left_q != 0.
  logic [8:0]       to_4k_q;
  logic             issue_nz_q;

  // Beats of this burst: up to the 4 KB boundary, at most 256. The compares and the
  // difference side by side (each one carry chain): short = this is the range's last burst
  // (fewer beats left than to the boundary), more = beats are left after this burst.
  logic [BeatW-1:0] rem;
  logic             short, more;
  assign rem   = issue_left_q - BeatW'(to_4k_q);
  assign short = issue_left_q < BeatW'(to_4k_q);
  assign more  = issue_left_q > BeatW'(to_4k_q);

  logic launch, ar_hs, r_hs;
  assign launch = !ar_pending_q && !stop_i && issue_nz_q &&
                  (outstanding_q < OutW'(MaxOutstanding));
  assign ar_hs  = arvalid_o && arready_i;
  assign rready_o = stop_i || out_ready_i;
  assign r_hs   = rvalid_i && rready_o;

  // The byte range's beat count: (addr % 16 + bytes + 15) / 16.
  logic [LenW:0] span;
  assign span = LenW'(addr_i[3:0]) + bytes_i + (LenW + 1)'(15);

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      next_addr_q   <= '0;
      to_4k_q       <= '0;
      issue_nz_q    <= 1'b0;
      issue_left_q  <= '0;
      recv_left_q   <= '0;
      outstanding_q <= '0;
      ar_pending_q  <= 1'b0;
      first_q       <= 1'b0;
      err_q         <= 1'b0;
      araddr_o      <= '0;
      arlen_o       <= '0;
    end else begin
      if (start_i) begin
        next_addr_q  <= {addr_i[AddrW-1:4], 4'b0};
        to_4k_q      <= 9'd256 - {1'b0, addr_i[11:4]};
        issue_left_q <= BeatW'(span >> 4);
        issue_nz_q   <= (addr_i[3:0] != '0) || (bytes_i != '0);  // span >> 4 != 0
        recv_left_q  <= BeatW'(span >> 4);
        first_q      <= 1'b1;
        err_q        <= 1'b0;
      end else if (launch) begin
        ar_pending_q <= 1'b1;
        araddr_o     <= next_addr_q;
        arlen_o      <= short ? 8'(issue_left_q[7:0] - 8'd1) : 8'(to_4k_q - 9'd1);
        // the next burst starts on the boundary (after the last one next_addr_q is not used)
        next_addr_q  <= {next_addr_q[AddrW-1:12] + 1'b1, 12'b0};
        to_4k_q      <= 9'd256;
        issue_left_q <= short ? '0 : rem;
        issue_nz_q   <= more;
      end
      if (stop_i) begin
        issue_left_q <= '0;
        issue_nz_q   <= 1'b0;
      end
      if (ar_hs) ar_pending_q <= 1'b0;
      outstanding_q <= outstanding_q + OutW'(ar_hs) - OutW'(r_hs && rlast_i);
      if (r_hs) begin
        if (recv_left_q != '0) recv_left_q <= recv_left_q - 1'b1;
        first_q <= 1'b0;
        if (rresp_i != 2'b00) err_q <= 1'b1;
      end
    end
  end

  assign arvalid_o   = ar_pending_q;
  assign arid_o      = ArId;
  assign out_valid_o = rvalid_i && !stop_i;
  assign out_data_o  = rdata_i;
  assign out_first_o = first_q;
  assign out_last_o  = recv_left_q == BeatW'(1);
  assign err_o       = err_q;
  assign busy_o      = ar_pending_q || (outstanding_q != '0) || issue_nz_q;

endmodule
