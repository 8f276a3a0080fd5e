# Vitis HLS: free-running AXI-Stream reciprocal unit (twin of hw/rtl/recip_unit.sv).
# vitis_hls -f scripts/recip_top.tcl -tclargs synth|cosim   (see common.tcl)
set top recip_top
set sources {src/recip_top.cpp}
set tb tb/tb_recip.cpp
set tb_sets {recip}
source [file join [file dirname [info script]] common.tcl]
