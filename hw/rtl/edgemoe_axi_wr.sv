// AXI4 write engine of the top: one contiguous byte range from a stream of 16-byte beats.
//
// start_i (one cycle, while idle) writes bytes_i bytes at addr_i (any alignment). The
// producer sends the beats of the 16-byte grid covering the range, bytes at their
// address positions (byte addr % 16 of a beat); the engine computes WSTRB (first and
// last beat partial). INCR bursts of up to 256 beats, never crossing 4 KB, up to
// MaxOutstanding bursts awaiting B. W beats of a burst follow its AW.
//
// stop_i (level) stops issuing AWs; an AW already presented stays valid until accepted,
// and every burst whose AW was accepted is completed with WSTRB = 0 beats (AXI needs
// the data of an issued address), so busy_o falls once all B responses are in. err_o
// is sticky from the first SLVERR/DECERR response until the next start_i.
module edgemoe_axi_wr #(
  parameter int unsigned AddrW          = 64,
  parameter int unsigned LenW           = 24,
  parameter int unsigned MaxOutstanding = 4,
  parameter logic        AwId           = 1'b1
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic             start_i,
  input  logic [AddrW-1:0] addr_i,
  input  logic [LenW-1:0]  bytes_i,
  input  logic             stop_i,
  output logic             busy_o,
  output logic             err_o,
  input  logic             in_valid_i,
  output logic             in_ready_o,
  input  logic [127:0]     in_data_i,
  // AXI4 AW/W/B
  output logic             awvalid_o,
  input  logic             awready_i,
  output logic [AddrW-1:0] awaddr_o,
  output logic [7:0]       awlen_o,
  output logic             awid_o,
  output logic             wvalid_o,
  input  logic             wready_i,
  output logic [127:0]     wdata_o,
  output logic [15:0]      wstrb_o,
  output logic             wlast_o,
  input  logic             bvalid_i,
  output logic             bready_o,
  input  logic [1:0]       bresp_i
);

  localparam int unsigned BeatW = LenW - 3;
  localparam int unsigned OutW = $clog2(MaxOutstanding + 1);

  // AW side
  logic [AddrW-1:0] aw_addr_q;
  logic [BeatW-1:0] aw_left_q;
  logic [OutW-1:0]  b_outstanding_q;  // AWs accepted, B not yet received
  logic             aw_pending_q;
  // Registered along with the values they describe (300 MHz: no wide compare in series with
  // the launch): beats from aw_addr_q to the 4 KB boundary (1..256; 256 after the first
  // burst, which ends on the boundary unless it is the last), aw_left_q != 0.
  logic [8:0]       aw_to4k_q;
  logic             aw_nz_q;
  // W side: its own copy of the burst walk, and the count of accepted AWs it may follow
  logic [8:0]       w_to4k_q;         // beats from the next burst's first beat to the 4 KB boundary
  logic [BeatW-1:0] w_left_q;         // beats of the range still to send
  logic [8:0]       w_in_burst_q;     // beats left in the current burst (0: none started)
  logic [OutW-1:0]  w_bursts_q;       // accepted AWs whose W burst has not started
  logic             w_first_q;
  logic [3:0]       first_byte_q, last_byte_q;
  logic             err_q;

  // Beats of a burst: up to the 4 KB boundary, at most 256. The compares and the difference
  // side by side (each one carry chain): short = the range's last burst (fewer beats left
  // than to the boundary), more = beats are left after this burst.
  logic [BeatW-1:0] aw_rem;
  logic             aw_short, aw_more, w_short;
  logic [8:0]       w_beats;  // <= 256
  assign aw_rem   = aw_left_q - BeatW'(aw_to4k_q);
  assign aw_short = aw_left_q < BeatW'(aw_to4k_q);
  assign aw_more  = aw_left_q > BeatW'(aw_to4k_q);
  assign w_short  = w_left_q < BeatW'(w_to4k_q);
  assign w_beats  = w_short ? w_left_q[8:0] : w_to4k_q;

  logic launch, aw_hs, w_hs, b_hs, w_active, w_start;
  assign launch   = !aw_pending_q && !stop_i && aw_nz_q &&
                    (b_outstanding_q < OutW'(MaxOutstanding));
  assign aw_hs    = awvalid_o && awready_i;
  assign b_hs     = bvalid_i && bready_o;
  // A burst is sent while w_in_burst_q != 0; a new one starts when an accepted AW waits.
  assign w_start  = (w_in_burst_q == 9'd0) && (w_bursts_q != '0);
  assign w_active = (w_in_burst_q != 9'd0);
  assign wvalid_o = w_active && (stop_i || in_valid_i);
  assign in_ready_o = w_active && !stop_i && wready_i;
  assign w_hs     = wvalid_o && wready_i;
  assign wdata_o  = stop_i ? '0 : in_data_i;
  assign wlast_o  = w_in_burst_q == 9'd1;

  // Strobes: the first beat of the range starts at addr % 16, the last ends at (addr + bytes - 1) % 16.
  logic [15:0] strb;
  always_comb begin
    for (int b = 0; b < 16; b++) begin
      strb[b] = !((w_first_q && 4'(b) < first_byte_q) || ((w_left_q == BeatW'(1)) && 4'(b) > last_byte_q));
    end
  end
  assign wstrb_o = stop_i ? 16'h0 : strb;

  logic [LenW:0] span;
  assign span = LenW'(addr_i[3:0]) + bytes_i + (LenW + 1)'(15);
  logic [3:0] end_byte;  // (addr + bytes - 1) % 16
  assign end_byte = addr_i[3:0] + bytes_i[3:0] - 4'd1;

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      aw_addr_q <= '0; aw_left_q <= '0; b_outstanding_q <= '0; aw_pending_q <= 1'b0;
      aw_to4k_q <= '0; aw_nz_q <= 1'b0;
      awaddr_o <= '0; awlen_o <= '0;
      w_to4k_q <= '0; w_left_q <= '0; w_in_burst_q <= '0; w_bursts_q <= '0; w_first_q <= 1'b0;
      first_byte_q <= '0; last_byte_q <= '0; err_q <= 1'b0;
    end else begin
      if (start_i) begin
        aw_addr_q    <= {addr_i[AddrW-1:4], 4'b0};
        aw_to4k_q    <= 9'd256 - {1'b0, addr_i[11:4]};
        w_to4k_q     <= 9'd256 - {1'b0, addr_i[11:4]};
        aw_left_q    <= BeatW'(span >> 4);
        aw_nz_q      <= (addr_i[3:0] != '0) || (bytes_i != '0);  // span >> 4 != 0
        w_left_q     <= BeatW'(span >> 4);
        w_first_q    <= 1'b1;
        first_byte_q <= addr_i[3:0];
        last_byte_q  <= end_byte;
        err_q        <= 1'b0;
      end else if (launch) begin
        aw_pending_q <= 1'b1;
        awaddr_o     <= aw_addr_q;
        awlen_o      <= aw_short ? 8'(aw_left_q[7:0] - 8'd1) : 8'(aw_to4k_q - 9'd1);
        // the next burst starts on the boundary (after the last one aw_addr_q is not used)
        aw_addr_q    <= {aw_addr_q[AddrW-1:12] + 1'b1, 12'b0};
        aw_to4k_q    <= 9'd256;
        aw_left_q    <= aw_short ? '0 : aw_rem;
        aw_nz_q      <= aw_more;
      end
      if (stop_i) begin
        aw_left_q <= '0;
        aw_nz_q   <= 1'b0;
      end
      if (aw_hs) aw_pending_q <= 1'b0;
      b_outstanding_q <= b_outstanding_q + OutW'(aw_hs) - OutW'(b_hs);
      w_bursts_q <= w_bursts_q + OutW'(aw_hs) - OutW'(w_start);
      if (w_start) begin
        w_in_burst_q <= w_beats;
        w_to4k_q     <= 9'd256;
      end else if (w_hs) begin
        w_in_burst_q <= w_in_burst_q - 1'b1;
        w_left_q     <= w_left_q - 1'b1;
        w_first_q    <= 1'b0;
      end
      if (b_hs && bresp_i != 2'b00) err_q <= 1'b1;
    end
  end

  assign awvalid_o = aw_pending_q;
  assign awid_o    = AwId;
  assign bready_o  = 1'b1;
  assign err_o     = err_q;
  assign busy_o    = aw_pending_q || (b_outstanding_q != '0) || aw_nz_q || w_active ||
                     (w_bursts_q != '0);

endmodule
