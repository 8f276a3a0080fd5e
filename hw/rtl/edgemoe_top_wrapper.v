// Vivado block-design wrapper of edgemoe_top (plain Verilog-2001: module reference
// does not accept a SystemVerilog top). Interfaces for the IP integrator:
//   s_axi_ctrl        AXI4-Lite slave, 32-bit, 12-bit address (the register map)
//   m_axi_gmem0..3    AXI4 masters, 128-bit data, 64-bit address, 1-bit id (to S_AXI_HP0..3_FPD)
//   ap_clk            300 MHz (params.toml clock_mhz), all interfaces synchronous to it
//   ap_rst_n          synchronous active-low reset
//   interrupt         level-high (to pl_ps_irq0)
// The ports are edgemoe_top's, renamed to Vivado's conventions; nothing else happens here.
// EN_COMPUTE = 0 builds the control plane only (the compute opcodes end BAD_OPCODE):
// for the protocol testbench, never for a bitstream.
module edgemoe_top_wrapper #(
  parameter C_S_AXI_CTRL_ADDR_WIDTH = 12,
  parameter C_M_AXI_ADDR_WIDTH      = 64,
  parameter EN_COMPUTE              = 1
) (
  (* X_INTERFACE_INFO = "xilinx.com:signal:clock:1.0 ap_clk CLK" *)
  (* X_INTERFACE_PARAMETER = "XIL_INTERFACENAME ap_clk, ASSOCIATED_BUSIF s_axi_ctrl:m_axi_gmem0:m_axi_gmem1:m_axi_gmem2:m_axi_gmem3, ASSOCIATED_RESET ap_rst_n, FREQ_HZ 300000000" *)
  input  wire         ap_clk,
  (* X_INTERFACE_INFO = "xilinx.com:signal:reset:1.0 ap_rst_n RST" *)
  (* X_INTERFACE_PARAMETER = "XIL_INTERFACENAME ap_rst_n, POLARITY ACTIVE_LOW" *)
  input  wire         ap_rst_n,
  (* X_INTERFACE_INFO = "xilinx.com:signal:interrupt:1.0 interrupt INTERRUPT" *)
  (* X_INTERFACE_PARAMETER = "XIL_INTERFACENAME interrupt, SENSITIVITY LEVEL_HIGH" *)
  // `interrupt` is the Vivado/HLS name of the pin; it clashes only with a C++ word in
  // the simulator's C++ model (which mangles it), so that lint warning is waived here.
  /* verilator lint_off SYMRSVDWORD */
  output wire         interrupt,
  /* verilator lint_on SYMRSVDWORD */

  (* X_INTERFACE_PARAMETER = "XIL_INTERFACENAME s_axi_ctrl, PROTOCOL AXI4LITE, DATA_WIDTH 32, ADDR_WIDTH 12, READ_WRITE_MODE READ_WRITE, FREQ_HZ 300000000" *)
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 s_axi_ctrl AWADDR" *)
  input  wire [C_S_AXI_CTRL_ADDR_WIDTH-1:0]  s_axi_ctrl_awaddr,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 s_axi_ctrl AWPROT" *)
  input  wire [2:0]                          s_axi_ctrl_awprot,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 s_axi_ctrl AWVALID" *)
  input  wire                                s_axi_ctrl_awvalid,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 s_axi_ctrl AWREADY" *)
  output wire                                s_axi_ctrl_awready,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 s_axi_ctrl WDATA" *)
  input  wire [31:0]                         s_axi_ctrl_wdata,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 s_axi_ctrl WSTRB" *)
  input  wire [3:0]                          s_axi_ctrl_wstrb,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 s_axi_ctrl WVALID" *)
  input  wire                                s_axi_ctrl_wvalid,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 s_axi_ctrl WREADY" *)
  output wire                                s_axi_ctrl_wready,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 s_axi_ctrl BRESP" *)
  output wire [1:0]                          s_axi_ctrl_bresp,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 s_axi_ctrl BVALID" *)
  output wire                                s_axi_ctrl_bvalid,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 s_axi_ctrl BREADY" *)
  input  wire                                s_axi_ctrl_bready,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 s_axi_ctrl ARADDR" *)
  input  wire [C_S_AXI_CTRL_ADDR_WIDTH-1:0]  s_axi_ctrl_araddr,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 s_axi_ctrl ARPROT" *)
  input  wire [2:0]                          s_axi_ctrl_arprot,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 s_axi_ctrl ARVALID" *)
  input  wire                                s_axi_ctrl_arvalid,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 s_axi_ctrl ARREADY" *)
  output wire                                s_axi_ctrl_arready,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 s_axi_ctrl RDATA" *)
  output wire [31:0]                         s_axi_ctrl_rdata,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 s_axi_ctrl RRESP" *)
  output wire [1:0]                          s_axi_ctrl_rresp,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 s_axi_ctrl RVALID" *)
  output wire                                s_axi_ctrl_rvalid,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 s_axi_ctrl RREADY" *)
  input  wire                                s_axi_ctrl_rready,
  (* X_INTERFACE_PARAMETER = "XIL_INTERFACENAME m_axi_gmem0, PROTOCOL AXI4, DATA_WIDTH 128, ADDR_WIDTH 64, ID_WIDTH 1, READ_WRITE_MODE READ_WRITE, MAX_BURST_LENGTH 256, NUM_READ_OUTSTANDING 4, NUM_WRITE_OUTSTANDING 4, HAS_LOCK 0, HAS_QOS 0, HAS_REGION 0, HAS_BURST 1, HAS_CACHE 1, HAS_PROT 1, FREQ_HZ 300000000" *)
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem0 AWID" *)
  output wire                                m_axi_gmem0_awid,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem0 AWADDR" *)
  output wire [C_M_AXI_ADDR_WIDTH-1:0]       m_axi_gmem0_awaddr,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem0 AWLEN" *)
  output wire [7:0]                          m_axi_gmem0_awlen,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem0 AWSIZE" *)
  output wire [2:0]                          m_axi_gmem0_awsize,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem0 AWBURST" *)
  output wire [1:0]                          m_axi_gmem0_awburst,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem0 AWCACHE" *)
  output wire [3:0]                          m_axi_gmem0_awcache,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem0 AWPROT" *)
  output wire [2:0]                          m_axi_gmem0_awprot,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem0 AWVALID" *)
  output wire                                m_axi_gmem0_awvalid,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem0 AWREADY" *)
  input  wire                                m_axi_gmem0_awready,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem0 WDATA" *)
  output wire [127:0]                        m_axi_gmem0_wdata,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem0 WSTRB" *)
  output wire [15:0]                         m_axi_gmem0_wstrb,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem0 WLAST" *)
  output wire                                m_axi_gmem0_wlast,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem0 WVALID" *)
  output wire                                m_axi_gmem0_wvalid,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem0 WREADY" *)
  input  wire                                m_axi_gmem0_wready,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem0 BID" *)
  input  wire                                m_axi_gmem0_bid,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem0 BRESP" *)
  input  wire [1:0]                          m_axi_gmem0_bresp,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem0 BVALID" *)
  input  wire                                m_axi_gmem0_bvalid,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem0 BREADY" *)
  output wire                                m_axi_gmem0_bready,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem0 ARID" *)
  output wire                                m_axi_gmem0_arid,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem0 ARADDR" *)
  output wire [C_M_AXI_ADDR_WIDTH-1:0]       m_axi_gmem0_araddr,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem0 ARLEN" *)
  output wire [7:0]                          m_axi_gmem0_arlen,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem0 ARSIZE" *)
  output wire [2:0]                          m_axi_gmem0_arsize,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem0 ARBURST" *)
  output wire [1:0]                          m_axi_gmem0_arburst,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem0 ARCACHE" *)
  output wire [3:0]                          m_axi_gmem0_arcache,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem0 ARPROT" *)
  output wire [2:0]                          m_axi_gmem0_arprot,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem0 ARVALID" *)
  output wire                                m_axi_gmem0_arvalid,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem0 ARREADY" *)
  input  wire                                m_axi_gmem0_arready,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem0 RID" *)
  input  wire                                m_axi_gmem0_rid,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem0 RDATA" *)
  input  wire [127:0]                        m_axi_gmem0_rdata,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem0 RRESP" *)
  input  wire [1:0]                          m_axi_gmem0_rresp,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem0 RLAST" *)
  input  wire                                m_axi_gmem0_rlast,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem0 RVALID" *)
  input  wire                                m_axi_gmem0_rvalid,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem0 RREADY" *)
  output wire                                m_axi_gmem0_rready,
  (* X_INTERFACE_PARAMETER = "XIL_INTERFACENAME m_axi_gmem1, PROTOCOL AXI4, DATA_WIDTH 128, ADDR_WIDTH 64, ID_WIDTH 1, READ_WRITE_MODE READ_WRITE, MAX_BURST_LENGTH 256, NUM_READ_OUTSTANDING 4, NUM_WRITE_OUTSTANDING 4, HAS_LOCK 0, HAS_QOS 0, HAS_REGION 0, HAS_BURST 1, HAS_CACHE 1, HAS_PROT 1, FREQ_HZ 300000000" *)
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem1 AWID" *)
  output wire                                m_axi_gmem1_awid,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem1 AWADDR" *)
  output wire [C_M_AXI_ADDR_WIDTH-1:0]       m_axi_gmem1_awaddr,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem1 AWLEN" *)
  output wire [7:0]                          m_axi_gmem1_awlen,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem1 AWSIZE" *)
  output wire [2:0]                          m_axi_gmem1_awsize,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem1 AWBURST" *)
  output wire [1:0]                          m_axi_gmem1_awburst,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem1 AWCACHE" *)
  output wire [3:0]                          m_axi_gmem1_awcache,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem1 AWPROT" *)
  output wire [2:0]                          m_axi_gmem1_awprot,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem1 AWVALID" *)
  output wire                                m_axi_gmem1_awvalid,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem1 AWREADY" *)
  input  wire                                m_axi_gmem1_awready,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem1 WDATA" *)
  output wire [127:0]                        m_axi_gmem1_wdata,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem1 WSTRB" *)
  output wire [15:0]                         m_axi_gmem1_wstrb,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem1 WLAST" *)
  output wire                                m_axi_gmem1_wlast,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem1 WVALID" *)
  output wire                                m_axi_gmem1_wvalid,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem1 WREADY" *)
  input  wire                                m_axi_gmem1_wready,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem1 BID" *)
  input  wire                                m_axi_gmem1_bid,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem1 BRESP" *)
  input  wire [1:0]                          m_axi_gmem1_bresp,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem1 BVALID" *)
  input  wire                                m_axi_gmem1_bvalid,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem1 BREADY" *)
  output wire                                m_axi_gmem1_bready,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem1 ARID" *)
  output wire                                m_axi_gmem1_arid,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem1 ARADDR" *)
  output wire [C_M_AXI_ADDR_WIDTH-1:0]       m_axi_gmem1_araddr,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem1 ARLEN" *)
  output wire [7:0]                          m_axi_gmem1_arlen,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem1 ARSIZE" *)
  output wire [2:0]                          m_axi_gmem1_arsize,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem1 ARBURST" *)
  output wire [1:0]                          m_axi_gmem1_arburst,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem1 ARCACHE" *)
  output wire [3:0]                          m_axi_gmem1_arcache,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem1 ARPROT" *)
  output wire [2:0]                          m_axi_gmem1_arprot,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem1 ARVALID" *)
  output wire                                m_axi_gmem1_arvalid,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem1 ARREADY" *)
  input  wire                                m_axi_gmem1_arready,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem1 RID" *)
  input  wire                                m_axi_gmem1_rid,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem1 RDATA" *)
  input  wire [127:0]                        m_axi_gmem1_rdata,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem1 RRESP" *)
  input  wire [1:0]                          m_axi_gmem1_rresp,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem1 RLAST" *)
  input  wire                                m_axi_gmem1_rlast,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem1 RVALID" *)
  input  wire                                m_axi_gmem1_rvalid,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem1 RREADY" *)
  output wire                                m_axi_gmem1_rready,
  (* X_INTERFACE_PARAMETER = "XIL_INTERFACENAME m_axi_gmem2, PROTOCOL AXI4, DATA_WIDTH 128, ADDR_WIDTH 64, ID_WIDTH 1, READ_WRITE_MODE READ_WRITE, MAX_BURST_LENGTH 256, NUM_READ_OUTSTANDING 4, NUM_WRITE_OUTSTANDING 4, HAS_LOCK 0, HAS_QOS 0, HAS_REGION 0, HAS_BURST 1, HAS_CACHE 1, HAS_PROT 1, FREQ_HZ 300000000" *)
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem2 AWID" *)
  output wire                                m_axi_gmem2_awid,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem2 AWADDR" *)
  output wire [C_M_AXI_ADDR_WIDTH-1:0]       m_axi_gmem2_awaddr,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem2 AWLEN" *)
  output wire [7:0]                          m_axi_gmem2_awlen,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem2 AWSIZE" *)
  output wire [2:0]                          m_axi_gmem2_awsize,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem2 AWBURST" *)
  output wire [1:0]                          m_axi_gmem2_awburst,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem2 AWCACHE" *)
  output wire [3:0]                          m_axi_gmem2_awcache,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem2 AWPROT" *)
  output wire [2:0]                          m_axi_gmem2_awprot,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem2 AWVALID" *)
  output wire                                m_axi_gmem2_awvalid,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem2 AWREADY" *)
  input  wire                                m_axi_gmem2_awready,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem2 WDATA" *)
  output wire [127:0]                        m_axi_gmem2_wdata,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem2 WSTRB" *)
  output wire [15:0]                         m_axi_gmem2_wstrb,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem2 WLAST" *)
  output wire                                m_axi_gmem2_wlast,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem2 WVALID" *)
  output wire                                m_axi_gmem2_wvalid,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem2 WREADY" *)
  input  wire                                m_axi_gmem2_wready,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem2 BID" *)
  input  wire                                m_axi_gmem2_bid,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem2 BRESP" *)
  input  wire [1:0]                          m_axi_gmem2_bresp,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem2 BVALID" *)
  input  wire                                m_axi_gmem2_bvalid,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem2 BREADY" *)
  output wire                                m_axi_gmem2_bready,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem2 ARID" *)
  output wire                                m_axi_gmem2_arid,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem2 ARADDR" *)
  output wire [C_M_AXI_ADDR_WIDTH-1:0]       m_axi_gmem2_araddr,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem2 ARLEN" *)
  output wire [7:0]                          m_axi_gmem2_arlen,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem2 ARSIZE" *)
  output wire [2:0]                          m_axi_gmem2_arsize,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem2 ARBURST" *)
  output wire [1:0]                          m_axi_gmem2_arburst,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem2 ARCACHE" *)
  output wire [3:0]                          m_axi_gmem2_arcache,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem2 ARPROT" *)
  output wire [2:0]                          m_axi_gmem2_arprot,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem2 ARVALID" *)
  output wire                                m_axi_gmem2_arvalid,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem2 ARREADY" *)
  input  wire                                m_axi_gmem2_arready,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem2 RID" *)
  input  wire                                m_axi_gmem2_rid,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem2 RDATA" *)
  input  wire [127:0]                        m_axi_gmem2_rdata,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem2 RRESP" *)
  input  wire [1:0]                          m_axi_gmem2_rresp,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem2 RLAST" *)
  input  wire                                m_axi_gmem2_rlast,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem2 RVALID" *)
  input  wire                                m_axi_gmem2_rvalid,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem2 RREADY" *)
  output wire                                m_axi_gmem2_rready,
  (* X_INTERFACE_PARAMETER = "XIL_INTERFACENAME m_axi_gmem3, PROTOCOL AXI4, DATA_WIDTH 128, ADDR_WIDTH 64, ID_WIDTH 1, READ_WRITE_MODE READ_WRITE, MAX_BURST_LENGTH 256, NUM_READ_OUTSTANDING 4, NUM_WRITE_OUTSTANDING 4, HAS_LOCK 0, HAS_QOS 0, HAS_REGION 0, HAS_BURST 1, HAS_CACHE 1, HAS_PROT 1, FREQ_HZ 300000000" *)
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem3 AWID" *)
  output wire                                m_axi_gmem3_awid,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem3 AWADDR" *)
  output wire [C_M_AXI_ADDR_WIDTH-1:0]       m_axi_gmem3_awaddr,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem3 AWLEN" *)
  output wire [7:0]                          m_axi_gmem3_awlen,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem3 AWSIZE" *)
  output wire [2:0]                          m_axi_gmem3_awsize,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem3 AWBURST" *)
  output wire [1:0]                          m_axi_gmem3_awburst,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem3 AWCACHE" *)
  output wire [3:0]                          m_axi_gmem3_awcache,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem3 AWPROT" *)
  output wire [2:0]                          m_axi_gmem3_awprot,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem3 AWVALID" *)
  output wire                                m_axi_gmem3_awvalid,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem3 AWREADY" *)
  input  wire                                m_axi_gmem3_awready,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem3 WDATA" *)
  output wire [127:0]                        m_axi_gmem3_wdata,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem3 WSTRB" *)
  output wire [15:0]                         m_axi_gmem3_wstrb,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem3 WLAST" *)
  output wire                                m_axi_gmem3_wlast,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem3 WVALID" *)
  output wire                                m_axi_gmem3_wvalid,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem3 WREADY" *)
  input  wire                                m_axi_gmem3_wready,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem3 BID" *)
  input  wire                                m_axi_gmem3_bid,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem3 BRESP" *)
  input  wire [1:0]                          m_axi_gmem3_bresp,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem3 BVALID" *)
  input  wire                                m_axi_gmem3_bvalid,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem3 BREADY" *)
  output wire                                m_axi_gmem3_bready,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem3 ARID" *)
  output wire                                m_axi_gmem3_arid,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem3 ARADDR" *)
  output wire [C_M_AXI_ADDR_WIDTH-1:0]       m_axi_gmem3_araddr,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem3 ARLEN" *)
  output wire [7:0]                          m_axi_gmem3_arlen,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem3 ARSIZE" *)
  output wire [2:0]                          m_axi_gmem3_arsize,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem3 ARBURST" *)
  output wire [1:0]                          m_axi_gmem3_arburst,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem3 ARCACHE" *)
  output wire [3:0]                          m_axi_gmem3_arcache,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem3 ARPROT" *)
  output wire [2:0]                          m_axi_gmem3_arprot,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem3 ARVALID" *)
  output wire                                m_axi_gmem3_arvalid,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem3 ARREADY" *)
  input  wire                                m_axi_gmem3_arready,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem3 RID" *)
  input  wire                                m_axi_gmem3_rid,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem3 RDATA" *)
  input  wire [127:0]                        m_axi_gmem3_rdata,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem3 RRESP" *)
  input  wire [1:0]                          m_axi_gmem3_rresp,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem3 RLAST" *)
  input  wire                                m_axi_gmem3_rlast,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem3 RVALID" *)
  input  wire                                m_axi_gmem3_rvalid,
  (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 m_axi_gmem3 RREADY" *)
  output wire                                m_axi_gmem3_rready
);

  // Per-port signals of edgemoe_top, flattened (port p at bits [p*W +: W]).
  wire [4-1:0] awid;
  wire [4*C_M_AXI_ADDR_WIDTH-1:0] awaddr;
  wire [32-1:0] awlen;
  wire [12-1:0] awsize;
  wire [8-1:0] awburst;
  wire [16-1:0] awcache;
  wire [12-1:0] awprot;
  wire [4-1:0] awvalid;
  wire [4-1:0] awready;
  wire [512-1:0] wdata;
  wire [64-1:0] wstrb;
  wire [4-1:0] wlast;
  wire [4-1:0] wvalid;
  wire [4-1:0] wready;
  wire [4-1:0] bid;
  wire [8-1:0] bresp;
  wire [4-1:0] bvalid;
  wire [4-1:0] bready;
  wire [4-1:0] arid;
  wire [4*C_M_AXI_ADDR_WIDTH-1:0] araddr;
  wire [32-1:0] arlen;
  wire [12-1:0] arsize;
  wire [8-1:0] arburst;
  wire [16-1:0] arcache;
  wire [12-1:0] arprot;
  wire [4-1:0] arvalid;
  wire [4-1:0] arready;
  wire [4-1:0] rid;
  wire [512-1:0] rdata;
  wire [8-1:0] rresp;
  wire [4-1:0] rlast;
  wire [4-1:0] rvalid;
  wire [4-1:0] rready;
  assign m_axi_gmem0_awid = awid[0*1 +: 1];
  assign m_axi_gmem0_awaddr = awaddr[0*C_M_AXI_ADDR_WIDTH +: C_M_AXI_ADDR_WIDTH];
  assign m_axi_gmem0_awlen = awlen[0*8 +: 8];
  assign m_axi_gmem0_awsize = awsize[0*3 +: 3];
  assign m_axi_gmem0_awburst = awburst[0*2 +: 2];
  assign m_axi_gmem0_awcache = awcache[0*4 +: 4];
  assign m_axi_gmem0_awprot = awprot[0*3 +: 3];
  assign m_axi_gmem0_awvalid = awvalid[0*1 +: 1];
  assign m_axi_gmem0_wdata = wdata[0*128 +: 128];
  assign m_axi_gmem0_wstrb = wstrb[0*16 +: 16];
  assign m_axi_gmem0_wlast = wlast[0*1 +: 1];
  assign m_axi_gmem0_wvalid = wvalid[0*1 +: 1];
  assign m_axi_gmem0_bready = bready[0*1 +: 1];
  assign m_axi_gmem0_arid = arid[0*1 +: 1];
  assign m_axi_gmem0_araddr = araddr[0*C_M_AXI_ADDR_WIDTH +: C_M_AXI_ADDR_WIDTH];
  assign m_axi_gmem0_arlen = arlen[0*8 +: 8];
  assign m_axi_gmem0_arsize = arsize[0*3 +: 3];
  assign m_axi_gmem0_arburst = arburst[0*2 +: 2];
  assign m_axi_gmem0_arcache = arcache[0*4 +: 4];
  assign m_axi_gmem0_arprot = arprot[0*3 +: 3];
  assign m_axi_gmem0_arvalid = arvalid[0*1 +: 1];
  assign m_axi_gmem0_rready = rready[0*1 +: 1];
  assign m_axi_gmem1_awid = awid[1*1 +: 1];
  assign m_axi_gmem1_awaddr = awaddr[1*C_M_AXI_ADDR_WIDTH +: C_M_AXI_ADDR_WIDTH];
  assign m_axi_gmem1_awlen = awlen[1*8 +: 8];
  assign m_axi_gmem1_awsize = awsize[1*3 +: 3];
  assign m_axi_gmem1_awburst = awburst[1*2 +: 2];
  assign m_axi_gmem1_awcache = awcache[1*4 +: 4];
  assign m_axi_gmem1_awprot = awprot[1*3 +: 3];
  assign m_axi_gmem1_awvalid = awvalid[1*1 +: 1];
  assign m_axi_gmem1_wdata = wdata[1*128 +: 128];
  assign m_axi_gmem1_wstrb = wstrb[1*16 +: 16];
  assign m_axi_gmem1_wlast = wlast[1*1 +: 1];
  assign m_axi_gmem1_wvalid = wvalid[1*1 +: 1];
  assign m_axi_gmem1_bready = bready[1*1 +: 1];
  assign m_axi_gmem1_arid = arid[1*1 +: 1];
  assign m_axi_gmem1_araddr = araddr[1*C_M_AXI_ADDR_WIDTH +: C_M_AXI_ADDR_WIDTH];
  assign m_axi_gmem1_arlen = arlen[1*8 +: 8];
  assign m_axi_gmem1_arsize = arsize[1*3 +: 3];
  assign m_axi_gmem1_arburst = arburst[1*2 +: 2];
  assign m_axi_gmem1_arcache = arcache[1*4 +: 4];
  assign m_axi_gmem1_arprot = arprot[1*3 +: 3];
  assign m_axi_gmem1_arvalid = arvalid[1*1 +: 1];
  assign m_axi_gmem1_rready = rready[1*1 +: 1];
  assign m_axi_gmem2_awid = awid[2*1 +: 1];
  assign m_axi_gmem2_awaddr = awaddr[2*C_M_AXI_ADDR_WIDTH +: C_M_AXI_ADDR_WIDTH];
  assign m_axi_gmem2_awlen = awlen[2*8 +: 8];
  assign m_axi_gmem2_awsize = awsize[2*3 +: 3];
  assign m_axi_gmem2_awburst = awburst[2*2 +: 2];
  assign m_axi_gmem2_awcache = awcache[2*4 +: 4];
  assign m_axi_gmem2_awprot = awprot[2*3 +: 3];
  assign m_axi_gmem2_awvalid = awvalid[2*1 +: 1];
  assign m_axi_gmem2_wdata = wdata[2*128 +: 128];
  assign m_axi_gmem2_wstrb = wstrb[2*16 +: 16];
  assign m_axi_gmem2_wlast = wlast[2*1 +: 1];
  assign m_axi_gmem2_wvalid = wvalid[2*1 +: 1];
  assign m_axi_gmem2_bready = bready[2*1 +: 1];
  assign m_axi_gmem2_arid = arid[2*1 +: 1];
  assign m_axi_gmem2_araddr = araddr[2*C_M_AXI_ADDR_WIDTH +: C_M_AXI_ADDR_WIDTH];
  assign m_axi_gmem2_arlen = arlen[2*8 +: 8];
  assign m_axi_gmem2_arsize = arsize[2*3 +: 3];
  assign m_axi_gmem2_arburst = arburst[2*2 +: 2];
  assign m_axi_gmem2_arcache = arcache[2*4 +: 4];
  assign m_axi_gmem2_arprot = arprot[2*3 +: 3];
  assign m_axi_gmem2_arvalid = arvalid[2*1 +: 1];
  assign m_axi_gmem2_rready = rready[2*1 +: 1];
  assign m_axi_gmem3_awid = awid[3*1 +: 1];
  assign m_axi_gmem3_awaddr = awaddr[3*C_M_AXI_ADDR_WIDTH +: C_M_AXI_ADDR_WIDTH];
  assign m_axi_gmem3_awlen = awlen[3*8 +: 8];
  assign m_axi_gmem3_awsize = awsize[3*3 +: 3];
  assign m_axi_gmem3_awburst = awburst[3*2 +: 2];
  assign m_axi_gmem3_awcache = awcache[3*4 +: 4];
  assign m_axi_gmem3_awprot = awprot[3*3 +: 3];
  assign m_axi_gmem3_awvalid = awvalid[3*1 +: 1];
  assign m_axi_gmem3_wdata = wdata[3*128 +: 128];
  assign m_axi_gmem3_wstrb = wstrb[3*16 +: 16];
  assign m_axi_gmem3_wlast = wlast[3*1 +: 1];
  assign m_axi_gmem3_wvalid = wvalid[3*1 +: 1];
  assign m_axi_gmem3_bready = bready[3*1 +: 1];
  assign m_axi_gmem3_arid = arid[3*1 +: 1];
  assign m_axi_gmem3_araddr = araddr[3*C_M_AXI_ADDR_WIDTH +: C_M_AXI_ADDR_WIDTH];
  assign m_axi_gmem3_arlen = arlen[3*8 +: 8];
  assign m_axi_gmem3_arsize = arsize[3*3 +: 3];
  assign m_axi_gmem3_arburst = arburst[3*2 +: 2];
  assign m_axi_gmem3_arcache = arcache[3*4 +: 4];
  assign m_axi_gmem3_arprot = arprot[3*3 +: 3];
  assign m_axi_gmem3_arvalid = arvalid[3*1 +: 1];
  assign m_axi_gmem3_rready = rready[3*1 +: 1];
  assign awready = {m_axi_gmem3_awready, m_axi_gmem2_awready, m_axi_gmem1_awready, m_axi_gmem0_awready};
  assign wready = {m_axi_gmem3_wready, m_axi_gmem2_wready, m_axi_gmem1_wready, m_axi_gmem0_wready};
  assign bid = {m_axi_gmem3_bid, m_axi_gmem2_bid, m_axi_gmem1_bid, m_axi_gmem0_bid};
  assign bresp = {m_axi_gmem3_bresp, m_axi_gmem2_bresp, m_axi_gmem1_bresp, m_axi_gmem0_bresp};
  assign bvalid = {m_axi_gmem3_bvalid, m_axi_gmem2_bvalid, m_axi_gmem1_bvalid, m_axi_gmem0_bvalid};
  assign arready = {m_axi_gmem3_arready, m_axi_gmem2_arready, m_axi_gmem1_arready, m_axi_gmem0_arready};
  assign rid = {m_axi_gmem3_rid, m_axi_gmem2_rid, m_axi_gmem1_rid, m_axi_gmem0_rid};
  assign rdata = {m_axi_gmem3_rdata, m_axi_gmem2_rdata, m_axi_gmem1_rdata, m_axi_gmem0_rdata};
  assign rresp = {m_axi_gmem3_rresp, m_axi_gmem2_rresp, m_axi_gmem1_rresp, m_axi_gmem0_rresp};
  assign rlast = {m_axi_gmem3_rlast, m_axi_gmem2_rlast, m_axi_gmem1_rlast, m_axi_gmem0_rlast};
  assign rvalid = {m_axi_gmem3_rvalid, m_axi_gmem2_rvalid, m_axi_gmem1_rvalid, m_axi_gmem0_rvalid};

  edgemoe_top #(.NumPorts(4), .AddrW(C_M_AXI_ADDR_WIDTH), .LiteAw(C_S_AXI_CTRL_ADDR_WIDTH),
                .EnLn(EN_COMPUTE != 0), .EnLin(EN_COMPUTE != 0), .EnAttn(EN_COMPUTE != 0),
                .EnMoe(EN_COMPUTE != 0)) u_top (
    .clk_i            (ap_clk),
    .rst_ni           (ap_rst_n),
    .s_axil_awaddr_i   (s_axi_ctrl_awaddr),
    .s_axil_awprot_i   (s_axi_ctrl_awprot),
    .s_axil_awvalid_i  (s_axi_ctrl_awvalid),
    .s_axil_awready_o  (s_axi_ctrl_awready),
    .s_axil_wdata_i    (s_axi_ctrl_wdata),
    .s_axil_wstrb_i    (s_axi_ctrl_wstrb),
    .s_axil_wvalid_i   (s_axi_ctrl_wvalid),
    .s_axil_wready_o   (s_axi_ctrl_wready),
    .s_axil_bresp_o    (s_axi_ctrl_bresp),
    .s_axil_bvalid_o   (s_axi_ctrl_bvalid),
    .s_axil_bready_i   (s_axi_ctrl_bready),
    .s_axil_araddr_i   (s_axi_ctrl_araddr),
    .s_axil_arprot_i   (s_axi_ctrl_arprot),
    .s_axil_arvalid_i  (s_axi_ctrl_arvalid),
    .s_axil_arready_o  (s_axi_ctrl_arready),
    .s_axil_rdata_o    (s_axi_ctrl_rdata),
    .s_axil_rresp_o    (s_axi_ctrl_rresp),
    .s_axil_rvalid_o   (s_axi_ctrl_rvalid),
    .s_axil_rready_i   (s_axi_ctrl_rready),
    .m_axi_awid_o     (awid),
    .m_axi_awaddr_o   (awaddr),
    .m_axi_awlen_o    (awlen),
    .m_axi_awsize_o   (awsize),
    .m_axi_awburst_o  (awburst),
    .m_axi_awcache_o  (awcache),
    .m_axi_awprot_o   (awprot),
    .m_axi_awvalid_o  (awvalid),
    .m_axi_awready_i  (awready),
    .m_axi_wdata_o    (wdata),
    .m_axi_wstrb_o    (wstrb),
    .m_axi_wlast_o    (wlast),
    .m_axi_wvalid_o   (wvalid),
    .m_axi_wready_i   (wready),
    .m_axi_bid_i      (bid),
    .m_axi_bresp_i    (bresp),
    .m_axi_bvalid_i   (bvalid),
    .m_axi_bready_o   (bready),
    .m_axi_arid_o     (arid),
    .m_axi_araddr_o   (araddr),
    .m_axi_arlen_o    (arlen),
    .m_axi_arsize_o   (arsize),
    .m_axi_arburst_o  (arburst),
    .m_axi_arcache_o  (arcache),
    .m_axi_arprot_o   (arprot),
    .m_axi_arvalid_o  (arvalid),
    .m_axi_arready_i  (arready),
    .m_axi_rid_i      (rid),
    .m_axi_rdata_i    (rdata),
    .m_axi_rresp_i    (rresp),
    .m_axi_rlast_i    (rlast),
    .m_axi_rvalid_i   (rvalid),
    .m_axi_rready_o   (rready),
    .irq_o            (interrupt)
  );

endmodule
