# Vitis HLS: free-running AXI-Stream GELU unit (twin of hw/rtl/gelu_unit.sv).
# vitis_hls -f scripts/gelu_top.tcl -tclargs synth|cosim   (see common.tcl)
set top gelu_top
set sources {src/gelu_top.cpp}
set tb tb/tb_gelu.cpp
set tb_sets {gelu}
source [file join [file dirname [info script]] common.tcl]
