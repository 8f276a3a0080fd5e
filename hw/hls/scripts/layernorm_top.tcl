# Vitis HLS: streaming LayerNorm with two DATAFLOW stages (AXI-Stream data, AXI4 parameters).
# vitis_hls -f scripts/layernorm_top.tcl -tclargs synth|cosim   (see common.tcl)
set top layernorm_top
set sources {src/layernorm_top.cpp}
set tb {tb/tb_layernorm.cpp src/layernorm_unit_top.cpp}
set tb_sets {layernorm}
source [file join [file dirname [info script]] common.tcl]
