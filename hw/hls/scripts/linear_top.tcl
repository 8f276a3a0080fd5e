# Vitis HLS: one pass of the unified linear unit (AXI4 master, AXI-Lite control).
# vitis_hls -f scripts/linear_top.tcl -tclargs synth|cosim   (see common.tcl)
set top linear_top
set sources {src/linear_top.cpp}
set tb tb/tb_linear.cpp
set tb_sets {linear_plain linear_gelu linear_q linear_resid linear_scaled linear_resid_k768}
source [file join [file dirname [info script]] common.tcl]
