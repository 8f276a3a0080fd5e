# Edge-MoE bitstream for the ZCU102: block design, synthesis, implementation, timing check,
# then <name>.bit and <name>.hwh side by side in the overlay folder (as PYNQ expects).
#
#   vivado -mode batch -source build_bitstream.tcl -tclargs \
#       -root <repository> -out <overlay folder> [-name edgemoe] [-build <work folder>] \
#       [-jobs 4] [-clock_mhz 300] [-part xczu9eg-ffvb1156-2-e] [-rtl_dir <root>/hw/rtl]
#
# `make bitstream` (hw/board/Makefile) calls it. Timing: the routed design must meet every
# constraint; the check is the one PYNQ's own board builds make (the line "All user specified
# timing constraints are met." in the routed timing summary) plus WNS >= 0 and WHS >= 0 from
# the run's statistics. A failure at any step exits 1 with one line saying what failed; the
# overlay folder is then left as it was (outputs go to a temporary folder moved into place).

set script_dir [file dirname [file normalize [info script]]]
source [file join $script_dir edgemoe_bd.tcl]

proc fail {msg} {
    puts stderr "build_bitstream: error: $msg"
    exit 1
}

# ---- arguments -----------------------------------------------------------------------------
array set opt [list -root [file normalize [file join $script_dir .. ..]] -out "" -name edgemoe -build "" \
                   -jobs 4 -clock_mhz 300 -part xczu9eg-ffvb1156-2-e -rtl_dir "" -top edgemoe_top_wrapper]
if {[llength $argv] % 2} { fail "arguments come in pairs (-option value), found: $argv" }
foreach {k v} $argv {
    if {![info exists opt($k)]} { fail "unknown option $k: expected one of [lsort [array names opt]]" }
    set opt($k) $v
}
set root [file normalize $opt(-root)]
if {$opt(-out) eq ""} { fail "-out <overlay folder> is required" }
set out [file normalize $opt(-out)]
set name $opt(-name)
if {![regexp {^[A-Za-z][A-Za-z0-9_]*$} $name]} { fail "-name must be an identifier, found '$name'" }
set build [expr {$opt(-build) eq "" ? [file join $root build vivado] : [file normalize $opt(-build)]}]
set rtl_dir [expr {$opt(-rtl_dir) eq "" ? [file join $root hw rtl] : [file normalize $opt(-rtl_dir)]}]
set bd_name ${name}_bd

# ---- sources: the kernels, generated packages/ROMs/register block, and the Verilog wrapper --
set wrapper [file join $rtl_dir $opt(-top).v]
if {![file isfile $wrapper]} {
    fail "$wrapper not found: the Verilog wrapper of the integrated top (module $opt(-top)) is needed"
}
set sv_files [lsort [concat [glob -nocomplain -directory [file join $rtl_dir gen] *.sv] \
                            [glob -nocomplain -directory $rtl_dir *.sv]]]
if {![llength $sv_files]} { fail "no SystemVerilog sources in $rtl_dir" }

# ---- project ----------------------------------------------------------------------------------
file delete -force $build
file mkdir $build
create_project -force $name $build -part $opt(-part)
set boards [lsort [get_board_parts -quiet *zcu102*]]
if {![llength $boards]} { fail "no ZCU102 board part in this Vivado installation (get_board_parts *zcu102*)" }
set_property board_part [lindex $boards end] [current_project]
add_files -norecurse $sv_files
set_property file_type SystemVerilog [get_files $sv_files]
add_files -norecurse $wrapper
update_compile_order -fileset sources_1

if {[catch {edgemoe_bd::create $bd_name $opt(-top) $opt(-clock_mhz)} err]} { fail "block design: $err" }
set bd_file [get_files $bd_name.bd]
generate_target all $bd_file
set bd_wrapper [make_wrapper -files $bd_file -top]
add_files -norecurse $bd_wrapper
set_property top ${bd_name}_wrapper [current_fileset]
update_compile_order -fileset sources_1

# ---- synthesis and implementation ------------------------------------------------------------
launch_runs synth_1 -jobs $opt(-jobs)
wait_on_run synth_1
if {[get_property PROGRESS [get_runs synth_1]] ne "100%"} { fail "synthesis did not complete (see $build)" }
launch_runs impl_1 -to_step write_bitstream -jobs $opt(-jobs)
wait_on_run impl_1
if {[get_property PROGRESS [get_runs impl_1]] ne "100%"} { fail "implementation did not complete (see $build)" }

# ---- timing --------------------------------------------------------------------------------
open_run impl_1
set reports [file join $build reports]
file mkdir $reports
set timing_rpt [file join $reports timing_summary_routed.rpt]
report_timing_summary -max_paths 20 -file $timing_rpt
report_utilization -file [file join $reports utilization_routed.rpt]
set fh [open $timing_rpt r]
set text [read $fh]
close $fh
set wns [get_property STATS.WNS [get_runs impl_1]]
set whs [get_property STATS.WHS [get_runs impl_1]]
set tns [get_property STATS.TNS [get_runs impl_1]]
puts "build_bitstream: WNS $wns ns, TNS $tns ns, WHS $whs ns at $opt(-clock_mhz) MHz"
if {[string first "All user specified timing constraints are met." $text] < 0 || $wns < 0 || $whs < 0} {
    fail "timing not met at $opt(-clock_mhz) MHz (WNS $wns ns, TNS $tns ns, WHS $whs ns; see $timing_rpt)"
}

# ---- outputs: <name>.bit and <name>.hwh side by side, moved into place at the end -------------
set run_dir [get_property DIRECTORY [get_runs impl_1]]
set bit [file join $run_dir ${bd_name}_wrapper.bit]
set hwh [lindex [concat \
    [glob -nocomplain [file join $build $name.gen sources_1 bd $bd_name hw_handoff $bd_name.hwh]] \
    [glob -nocomplain [file join $build $name.srcs sources_1 bd $bd_name hw_handoff $bd_name.hwh]]] 0]
if {![file isfile $bit]} { fail "no bitstream at $bit" }
if {$hwh eq "" || ![file isfile $hwh]} { fail "no hardware handoff ($bd_name.hwh) under $build" }
set tmp "$out.tmp[pid]"
file delete -force $tmp
file mkdir $tmp
file copy $bit [file join $tmp $name.bit]
file copy $hwh [file join $tmp $name.hwh]
file copy $timing_rpt [file join $tmp timing_summary_routed.rpt]
file mkdir [file dirname $out]
if {[file exists $out]} {
    file rename $out "$out.old[pid]"
    file rename $tmp $out
    file delete -force "$out.old[pid]"
} else {
    file rename $tmp $out
}
puts "build_bitstream: wrote [file join $out $name.bit] and [file join $out $name.hwh]"
