"""The SV wrappers of hw/hls/wrap/ let an RTL kernel's cocotb testbench drive the Vitis export of
its HLS twin with only the top level changed.

Without Vitis, each wrapper is checked around its stand-in (hw/hls/wrap/standin/: the port list
Vitis generates for the HLS top, implemented by the RTL kernel): the unchanged testbench module
must pass on <kernel>_hls. With Vitis, hw/hls/scripts/cocotb_on_hls.py --rtl runs the same on
the exported Verilog (see hw/hls/README.md).
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "hw" / "hls" / "scripts" / "cocotb_on_hls.py"

pytestmark = [pytest.mark.hls, pytest.mark.rtl]


def run_standin(kernel: str, *extra: str) -> dict:
    r = subprocess.run([sys.executable, str(SCRIPT), kernel, "--standin", *extra], capture_output=True, text=True,
                       timeout=1200)
    assert r.returncode == 0, f"exit {r.returncode}\n{r.stdout[-4000:]}\n{r.stderr[-4000:]}"
    m = re.search(rf"^\w+_hls: cocotb testbench of {kernel} passed; summary (.*)$", r.stdout, re.M)
    assert m, r.stdout
    return json.loads(m[1])


def test_gelu_wrapper_runs_the_rtl_testbench() -> None:
    s = run_standin("gelu_unit")
    assert s["vectors"] > 5000
    assert s["cycles"]["measured"] <= s["cycles"]["formula"] + 2


@pytest.mark.slow
@pytest.mark.parametrize("kernel,extra", [("exp_unit", ()), ("recip_unit", ()), ("softmax_stats", ("--env", "COLS=16")),
                                          ("layernorm", ())])
def test_stream_wrapper_runs_the_rtl_testbench(kernel: str, extra: tuple) -> None:
    s = run_standin(kernel, *extra)
    assert s["vectors"] > 0
    assert s["cycles"]["measured"] == s["cycles"]["formula"]
