# Vitis HLS: softmax statistics of Lanes rows in lock step (twin of hw/rtl/softmax_stats.sv).
# vitis_hls -f scripts/softmax_stats_top.tcl -tclargs synth|cosim   (see common.tcl)
set top softmax_stats_top
set sources {src/softmax_stats_top.cpp}
set tb {tb/tb_softmax.cpp src/softmax_top.cpp}
set tb_sets {softmax softmax_c16}
source [file join [file dirname [info script]] common.tcl]
