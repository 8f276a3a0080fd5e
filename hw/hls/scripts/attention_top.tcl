# Vitis HLS: reordered multi-head attention, P query rows on chip (AXI4 master).
# vitis_hls -f scripts/attention_top.tcl -tclargs synth|cosim   (see common.tcl)
set top attention_top
set sources {src/attention_top.cpp}
set tb tb/tb_attention.cpp
set tb_sets {attention}
source [file join [file dirname [info script]] common.tcl]
