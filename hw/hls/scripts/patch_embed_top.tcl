# Vitis HLS: patch embedding of one frame (AXI4 master).
# vitis_hls -f scripts/patch_embed_top.tcl -tclargs synth|cosim   (see common.tcl)
set top patch_embed_top
set sources {src/patch_embed_top.cpp}
set tb tb/tb_patch_embed.cpp
set tb_sets {patch_embed}
source [file join [file dirname [info script]] common.tcl]
