"""Run an RTL kernel's cocotb testbench (sim/tb/test_<kernel>.py) on the HLS version of the kernel.

The testbench module is used unchanged; only the top level differs: the wrapper
hw/hls/wrap/<kernel>_hls.sv gives the Vitis-exported HLS top the RTL kernel's ports.

    # the Verilog that Vitis exported (make -C hw/hls synth):
    python hw/hls/scripts/cocotb_on_hls.py gelu_unit --rtl hw/hls/build/vitis/gelu_top/zcu102/impl/verilog

    # without Vitis: the stand-in (Vitis' port list around the RTL kernel) checks the wrapper:
    python hw/hls/scripts/cocotb_on_hls.py gelu_unit --standin

``--testcase`` picks cocotb tests (repeatable). The testbenches' cycle-count tests encode the
RTL kernels' latencies; the HLS schedules differ, so run the functional ones on Vitis RTL, e.g.
``--testcase test_vectors_backpressure --testcase test_reset_mid_stream``.
Exit status 0 when every selected cocotb test passed.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

HLS = Path(__file__).resolve().parent.parent
REPO = HLS.parent.parent

# RTL kernel -> (wrapper top, HLS top, RTL modules the stand-in instantiates)
KERNELS = {
    "gelu_unit": ("gelu_unit_hls", "gelu_top", ["gelu_rom", "gelu_unit"]),
    "exp_unit": ("exp_unit_hls", "exp_top", ["exp2_rom", "exp_core", "exp_unit"]),
    "recip_unit": ("recip_unit_hls", "recip_top", ["recip_core", "recip_unit"]),
    "softmax_stats": ("softmax_stats_hls", "softmax_stats_top", ["exp2_rom", "exp_core", "recip_core", "softmax_stats"]),
    "layernorm": ("layernorm_hls", "layernorm_unit_top",
                  ["ln_ram", "stream_fifo", "ln_stats", "ln_norm", "isqrt_core", "ln_div_core", "ln_rstd", "ln_lane",
                   "layernorm"]),
}


def sources(kernel: str, rtl_dir: Path | None) -> list[Path]:
    """Package, then the HLS top (exported Verilog, or the stand-in and its RTL), then the wrapper."""
    from edgemoe.sim.runner import rtl_sources

    wrapper, top, modules = KERNELS[kernel]
    if rtl_dir is None:
        files = rtl_sources(*modules) + [HLS / "wrap" / "standin" / f"{top}.sv"]
    else:
        exported = sorted(p for p in rtl_dir.iterdir() if p.suffix in (".v", ".sv"))
        if not any(p.stem == top for p in exported):
            raise SystemExit(f"error: {rtl_dir} holds no {top}.v: point --rtl at the Verilog folder Vitis exported "
                             f"for {top} (e.g. hw/hls/build/vitis/{top}/zcu102/impl/verilog)")
        files = rtl_sources() + exported
    return files + [HLS / "wrap" / f"{wrapper}.sv"]


def run(kernel: str, rtl_dir: Path | None, parameters: dict, testcases: list[str], env: dict, build: Path) -> dict:
    """Build the wrapper top with Verilator and run the kernel's cocotb module; returns its summary."""
    from edgemoe.sim.runner import build_and_test, ensure_verilator, lint

    ensure_verilator()
    wrapper = KERNELS[kernel][0]
    files = sources(kernel, rtl_dir)
    if rtl_dir is None:
        lint(wrapper, files, parameters)   # Vitis' own Verilog is not held to the kit's lint rules
    build.mkdir(parents=True, exist_ok=True)
    if rtl_dir is not None:
        # Vitis initialises its ROMs (the GELU and exp2 tables) with $readmemh of .dat files
        # named relative to the simulation's working folder.
        for dat in rtl_dir.glob("*.dat"):
            shutil.copy(dat, build / dat.name)
    return build_and_test(files, wrapper, f"edgemoe.sim.tb.test_{kernel}", build, build, parameters,
                          testcase=testcases or None, extra_env=env)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("kernel", choices=sorted(KERNELS), help="RTL kernel whose testbench runs")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--rtl", type=Path, help="folder of the Verilog Vitis exported for the kernel's HLS top")
    src.add_argument("--standin", action="store_true", help="use hw/hls/wrap/standin/<top>.sv (no Vitis needed)")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="wrapper parameter (Lanes=1)")
    p.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help="testbench environment (COLS=16)")
    p.add_argument("--testcase", action="append", default=[], help="cocotb test to run (default: all)")
    p.add_argument("--build", type=Path, default=None, help="build folder (default hw/hls/build/cocotb/<kernel>)")
    a = p.parse_args(argv)
    parameters = dict(kv.split("=", 1) for kv in a.param)
    env = dict(kv.split("=", 1) for kv in a.env)
    build = a.build or HLS / "build" / "cocotb" / (a.kernel + ("_standin" if a.standin else "_vitis"))
    s = run(a.kernel, None if a.standin else a.rtl.resolve(), parameters, a.testcase, env, build)
    print(f"{KERNELS[a.kernel][0]}: cocotb testbench of {a.kernel} passed; summary {json.dumps(s)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
