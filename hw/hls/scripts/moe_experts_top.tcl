# Vitis HLS: a whole expert layer with patch reordering (AXI4 master).
# vitis_hls -f scripts/moe_experts_top.tcl -tclargs synth|cosim   (see common.tcl)
set top moe_experts_top
set sources {src/moe_experts_top.cpp}
set tb tb/tb_moe_experts.cpp
set tb_sets {moe_experts_l1_seg moe_experts_l3_one_expert}
source [file join [file dirname [info script]] common.tcl]
