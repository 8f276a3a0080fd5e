# Vitis HLS: LayerNorm with a parameter-load stream (twin of hw/rtl/layernorm.sv's streams).
# vitis_hls -f scripts/layernorm_unit_top.tcl -tclargs synth|cosim   (see common.tcl)
set top layernorm_unit_top
set sources {src/layernorm_unit_top.cpp}
set tb {tb/tb_layernorm.cpp src/layernorm_top.cpp}
set tb_sets {layernorm}
source [file join [file dirname [info script]] common.tcl]
