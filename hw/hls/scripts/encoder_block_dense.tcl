# Vitis HLS: one dense encoder block (even layers) on chip (AXI4 master).
# vitis_hls -f scripts/encoder_block_dense.tcl -tclargs synth|cosim   (see common.tcl)
set top encoder_block_dense
set sources {src/encoder_block_top.cpp}
set tb tb/tb_block.cpp
set tb_sets {block_l2_seg block_l2_depth}
source [file join [file dirname [info script]] common.tcl]
