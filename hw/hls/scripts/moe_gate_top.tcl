# Vitis HLS: MoE gate, top-2 and expert queues (AXI4 master).
# vitis_hls -f scripts/moe_gate_top.tcl -tclargs synth|cosim   (see common.tcl)
set top moe_gate_top
set sources {src/moe_gate_top.cpp}
set tb tb/tb_moe_gate.cpp
set tb_sets {moe_gate_random moe_gate_one_expert moe_gate_ties}
source [file join [file dirname [info script]] common.tcl]
