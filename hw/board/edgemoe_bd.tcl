# Block design of the Edge-MoE overlay on the ZCU102 (sourced by build_bitstream.tcl).
#
#   zynq_ultra_ps_e (board preset)
#     pl_clk0 (300 MHz) --------------------------------> every aclk, proc_sys_reset
#     pl_resetn0 -> proc_sys_reset -> peripheral_aresetn -> top reset, SmartConnect
#     M_AXI_HPM0_LPD (32 bit) -> SmartConnect -> top AXI-Lite register slave (4 KB at ctrl_base)
#     S_AXI_HP0..3_FPD (128 bit) <- the top's four AXI4 masters, one each (no interconnect)
#     pl_ps_irq0 <- the top's interrupt line
#
# The top enters as a module reference of its Verilog wrapper (a module reference cannot
# have a SystemVerilog top); its bus interfaces come from the wrapper's X_INTERFACE_INFO
# attributes. Interfaces and pins are found by their mode and type, not by name, so the
# wrapper's port names are not repeated here: exactly one AXI slave, four AXI masters,
# one clock, one reset and one interrupt are required, anything else is an error.
#
# PS configuration names (PSU__...) are those of the ZCU102 design in the original's
# bitstream.hwh: S_AXI_GP2..5 are S_AXI_HP0..3_FPD, M_AXI_GP2 is M_AXI_HPM0_LPD.

namespace eval edgemoe_bd {
    # HP0..HP3 = SAXIGP2..SAXIGP5 in the PS configuration
    variable hp_ports {S_AXI_HP0_FPD S_AXI_HP1_FPD S_AXI_HP2_FPD S_AXI_HP3_FPD}
    variable hp_gp {2 3 4 5}
    variable hp_clk {saxihp0_fpd_aclk saxihp1_fpd_aclk saxihp2_fpd_aclk saxihp3_fpd_aclk}
    # M_AXI_HPM0_LPD segment: 0x8000_0000..0x9FFF_FFFF; the registers go at its base
    variable ctrl_base 0x80000000
    # 4 KB: the register block decodes 12 address bits (the wrapper's s_axi ADDR_WIDTH), the map ends at 0x07C
    variable ctrl_range 4K
}

# PS configuration: board preset first, then the ports this design uses.
proc edgemoe_bd::ps_config {clock_mhz} {
    variable hp_gp
    set cfg [list \
        CONFIG.PSU__USE__M_AXI_GP0 {0} \
        CONFIG.PSU__USE__M_AXI_GP1 {0} \
        CONFIG.PSU__USE__M_AXI_GP2 {1} \
        CONFIG.PSU__MAXIGP2__DATA_WIDTH {32} \
        CONFIG.PSU__USE__IRQ0 {1} \
        CONFIG.PSU__FPGA_PL0_ENABLE {1} \
        CONFIG.PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ $clock_mhz \
        CONFIG.PSU__USE__FABRIC__RST {1} \
        CONFIG.PSU__NUM_FABRIC_RESETS {1} \
        CONFIG.PSU__HIGH_ADDRESS__ENABLE {1} \
    ]
    foreach n $hp_gp {
        lappend cfg CONFIG.PSU__USE__S_AXI_GP$n {1} CONFIG.PSU__SAXIGP${n}__DATA_WIDTH {128}
    }
    return $cfg
}

# The single object of a query, or an error naming what was expected and what was found.
proc edgemoe_bd::one {what objs} {
    if {[llength $objs] != 1} {
        error "edgemoe_bd: expected exactly one $what on the top, found [llength $objs]: $objs"
    }
    return [lindex $objs 0]
}

proc edgemoe_bd::create {bd_name top_module clock_mhz} {
    variable hp_ports
    variable hp_clk
    variable ctrl_base
    variable ctrl_range

    create_bd_design $bd_name

    # --- processing system, with the ZCU102 board preset (DDR4, MIO, clocks)
    set ps [create_bd_cell -type ip -vlnv xilinx.com:ip:zynq_ultra_ps_e:* zynq_ultra_ps_e_0]
    apply_bd_automation -rule xilinx.com:bd_rule:zynq_ultra_ps_e -config {apply_board_preset "1"} $ps
    set_property -dict [ps_config $clock_mhz] $ps

    # --- clock and reset
    set clk [get_bd_pins zynq_ultra_ps_e_0/pl_clk0]
    set rst [create_bd_cell -type ip -vlnv xilinx.com:ip:proc_sys_reset:* rst_pl_clk0]
    connect_bd_net $clk [get_bd_pins rst_pl_clk0/slowest_sync_clk]
    connect_bd_net [get_bd_pins zynq_ultra_ps_e_0/pl_resetn0] [get_bd_pins rst_pl_clk0/ext_reset_in]
    set aresetn [get_bd_pins rst_pl_clk0/peripheral_aresetn]

    # --- the accelerator: module reference of the Verilog wrapper
    set top [create_bd_cell -type module -reference $top_module edgemoe_0]
    set slave [one "AXI slave interface (the AXI-Lite registers)" \
                   [get_bd_intf_pins -of_objects $top -filter {MODE == "Slave"}]]
    set masters [lsort [get_bd_intf_pins -of_objects $top -filter {MODE == "Master"}]]
    if {[llength $masters] != [llength $hp_ports]} {
        error "edgemoe_bd: expected [llength $hp_ports] AXI master interfaces on the top, found\
               [llength $masters]: $masters"
    }
    set top_clk [one "clock pin" [get_bd_pins -of_objects $top -filter {TYPE == "clk"}]]
    set top_rst [one "reset pin" [get_bd_pins -of_objects $top -filter {TYPE == "rst"}]]
    set top_irq [one "interrupt pin" [get_bd_pins -of_objects $top -filter {TYPE == "intr"}]]
    connect_bd_net $clk $top_clk
    connect_bd_net $aresetn $top_rst
    # The wrapper may state FREQ_HZ 300000000; pl_clk0 runs at the IOPLL's 299.97 MHz and
    # validate_bd_design refuses a mismatch, so the top's clock and interfaces take pl_clk0's value.
    set freq [get_property CONFIG.FREQ_HZ $clk]
    foreach obj [concat [list $top_clk $slave] $masters] {
        if {[catch {set_property CONFIG.FREQ_HZ $freq $obj} err]} {
            puts "edgemoe_bd: warning: FREQ_HZ of $obj not set to $freq ($err): the wrapper should not fix FREQ_HZ"
        }
    }
    connect_bd_net $top_irq [get_bd_pins zynq_ultra_ps_e_0/pl_ps_irq0]

    # --- registers: M_AXI_HPM0_LPD -> SmartConnect (AXI4 to AXI4-Lite) -> top
    set sc [create_bd_cell -type ip -vlnv xilinx.com:ip:smartconnect:* ctrl_smartconnect]
    set_property -dict [list CONFIG.NUM_SI {1} CONFIG.NUM_MI {1}] $sc
    connect_bd_intf_net [get_bd_intf_pins zynq_ultra_ps_e_0/M_AXI_HPM0_LPD] [get_bd_intf_pins ctrl_smartconnect/S00_AXI]
    connect_bd_intf_net [get_bd_intf_pins ctrl_smartconnect/M00_AXI] $slave
    connect_bd_net $clk [get_bd_pins ctrl_smartconnect/aclk]
    connect_bd_net $aresetn [get_bd_pins ctrl_smartconnect/aresetn]
    connect_bd_net $clk [get_bd_pins zynq_ultra_ps_e_0/maxihpm0_lpd_aclk]

    # --- DDR: master i -> S_AXI_HPi_FPD, 128 bit, direct
    foreach m $masters port $hp_ports pclk $hp_clk {
        connect_bd_intf_net $m [get_bd_intf_pins zynq_ultra_ps_e_0/$port]
        connect_bd_net $clk [get_bd_pins zynq_ultra_ps_e_0/$pclk]
    }

    # --- address map: every DDR segment for each master; the registers at ctrl_base
    assign_bd_address
    set seg [one "register address segment" [get_bd_addr_segs -of_objects [get_bd_addr_spaces zynq_ultra_ps_e_0/Data] \
                                                 -filter "NAME =~ *edgemoe_0*"]]
    set_property offset $ctrl_base $seg
    set_property range $ctrl_range $seg

    validate_bd_design
    save_bd_design
    return $top
}
