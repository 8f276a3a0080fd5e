# Vitis HLS: one MoE encoder block (odd layers) on chip (AXI4 master).
# vitis_hls -f scripts/encoder_block_moe.tcl -tclargs synth|cosim   (see common.tcl)
set top encoder_block_moe
set sources {src/encoder_block_top.cpp}
set tb tb/tb_block.cpp
set tb_sets {block_l1_seg block_l1_depth}
source [file join [file dirname [info script]] common.tcl]
