# Vitis HLS: single-pass softmax of one row per call (AXI-Stream data, AXI-Lite control).
# vitis_hls -f scripts/softmax_top.tcl -tclargs synth|cosim   (see common.tcl)
set top softmax_top
set sources {src/softmax_top.cpp}
set tb {tb/tb_softmax.cpp src/softmax_stats_top.cpp}
set tb_sets {softmax softmax_c16}
source [file join [file dirname [info script]] common.tcl]
