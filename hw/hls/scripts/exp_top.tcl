# Vitis HLS: free-running AXI-Stream EXP unit (twin of hw/rtl/exp_unit.sv).
# vitis_hls -f scripts/exp_top.tcl -tclargs synth|cosim   (see common.tcl)
set top exp_top
set sources {src/exp_top.cpp}
set tb tb/tb_exp.cpp
set tb_sets {exp}
source [file join [file dirname [info script]] common.tcl]
