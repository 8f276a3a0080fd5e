# Vitis HLS flow shared by every top (sourced by scripts/<top>.tcl, which sets `top`,
# `sources` (synthesized), `tb` (test-bench files: the C test, plus the sources of any other
# top that test also runs) and `tb_sets` (its vector folders)):
#
#   vitis_hls -f scripts/<top>.tcl -tclargs synth    C synthesis + IP export
#   vitis_hls -f scripts/<top>.tcl -tclargs cosim    the same, plus C/RTL co-simulation of the
#                                                    C test bench on the golden vectors in
#                                                    $EDGEMOE_VECTORS/<set> (make cosim sets it)
#
# The project goes to ./<top> (make runs this from hw/hls/build/vitis). Part and clock are the
# ZCU102 build's: xczu9eg-ffvb1156-2-e at 300 MHz. Reset is active low (ap_rst_n), as the RTL
# kernels' rst_ni, so the exported AXI-Stream units drop into their cocotb testbenches.
set mode synth
if {[info exists argv] && [llength $argv] > 0} {
  set mode [lindex $argv 0]
}
if {$mode ni {synth cosim}} {
  puts stderr "error: unknown mode '$mode': expected synth or cosim"
  exit 2
}

set hls_dir [file normalize [file join [file dirname [info script]] ..]]
set cflags "-std=c++14 -I$hls_dir -I$hls_dir/gen -I$hls_dir/kernels -I$hls_dir/src"
set tbflags "$cflags -I$hls_dir/tb"

open_project -reset $top
set_top $top
foreach src $sources {
  add_files [file join $hls_dir $src] -cflags $cflags
}
foreach tbf $tb {
  add_files -tb [file join $hls_dir $tbf] -cflags $tbflags
}

open_solution -reset zcu102 -flow_target vivado
set_part xczu9eg-ffvb1156-2-e
create_clock -period 300MHz -name default
config_rtl -reset_level low

csynth_design

if {$mode eq "cosim"} {
  if {![info exists ::env(EDGEMOE_VECTORS)]} {
    puts stderr "error: EDGEMOE_VECTORS is not set: point it at the vector folders (make -C hw/hls cosim does)"
    exit 2
  }
  set tb_args {}
  foreach set_name $tb_sets {
    lappend tb_args [file join $::env(EDGEMOE_VECTORS) $set_name]
  }
  cosim_design -rtl verilog -argv [join $tb_args " "]
}

export_design -format ip_catalog -rtl verilog -vendor edgemoe -library hls -version 1.0 -ipname $top
exit
