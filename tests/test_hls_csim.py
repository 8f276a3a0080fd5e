"""HLS C simulation (hw/hls): every kernel's top function against golden vectors, bit for bit.

Each kernel is one `make -C hw/hls run-<kernel>` (g++ with the ap_types headers of hls4ml; the
vectors are written once by `edgemoe vectors` under hw/hls/build/vectors and reused). The C
vector reader's error paths and the Vitis targets' behaviour without vitis_hls are checked too.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from edgemoe.golden.vectors import generate, write
from edgemoe.sim.runner import record_vectors

REPO = Path(__file__).resolve().parent.parent
HLS = REPO / "hw" / "hls"
# Longest first, so that pytest-xdist starts the encoder blocks (vector generation + build) early.
KERNELS = ["block", "moe_experts", "patch_embed", "attention", "linear", "moe_gate", "layernorm", "softmax", "gelu",
           "exp", "recip"]

pytestmark = pytest.mark.hls


def make(*targets: str, env: dict | None = None, timeout: int = 900) -> subprocess.CompletedProcess:
    # A `make test` above us exports its flags and command-line variables; keep them out.
    env = {k: v for k, v in (env or os.environ).items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    return subprocess.run(["make", "--no-print-directory", "-C", str(HLS), *targets, f"PYTHON={sys.executable}"],
                          capture_output=True, text=True, env=env, timeout=timeout)


def output(r: subprocess.CompletedProcess) -> str:
    return f"exit {r.returncode}\n--- stdout\n{r.stdout[-6000:]}\n--- stderr\n{r.stderr[-6000:]}"


@pytest.mark.parametrize("kernel", KERNELS)
def test_csim_bit_exact(kernel: str, record_property) -> None:
    r = make(f"run-{kernel}")
    assert r.returncode == 0, output(r)
    m = re.search(rf"^{kernel}: (\d+) vectors bit-exact \((\d+) output values\)$", r.stdout, re.M)
    assert m, f"no '{kernel}: N vectors bit-exact' line\n{output(r)}"
    assert "MISMATCH" not in r.stdout and "WARNING: Hls::stream" not in r.stdout, output(r)
    record_vectors(record_property, f"hls_{kernel}", int(m[1]), values=int(m[2]))
    if kernel == "block":
        # The encoder-block tops: dense and MoE blocks, each for both tasks, on the sample frame.
        seen = set(re.findall(r"^block: \S+ layer (\d+) task (\d) \((dense|MoE) block\) compared$", r.stdout, re.M))
        for variant in ("dense", "MoE"):
            assert {t for _, t, v in seen if v == variant} == {"0", "1"}, output(r)


# ----------------------------------------------------------------------------- vector reader errors

@pytest.fixture(scope="module")
def tb_gelu() -> Path:
    r = make("build/tb_gelu")
    assert r.returncode == 0, output(r)
    return HLS / "build" / "tb_gelu"


@pytest.fixture()
def gelu_dir(tmp_path: Path) -> Path:
    return write(generate("gelu", count=40, seed=3), tmp_path / "gelu")


def run_tb(tb: Path, folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(tb), str(folder)], capture_output=True, text=True, timeout=60)


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines(keepends=True)


def test_reader_accepts_good_folder(tb_gelu: Path, gelu_dir: Path) -> None:
    r = run_tb(tb_gelu, gelu_dir)
    assert r.returncode == 0 and re.search(r"^gelu: \d+ vectors bit-exact", r.stdout, re.M), r.stdout


def test_reader_missing_file(tb_gelu: Path, gelu_dir: Path) -> None:
    (gelu_dir / "y.vec").unlink()
    r = run_tb(tb_gelu, gelu_dir)
    assert r.returncode == 2, r.stdout
    assert f"missing vector file {gelu_dir / 'y.vec'}" in r.stdout
    assert "expected shape (" in r.stdout and "edgemoe vectors --kernel gelu" in r.stdout


def test_reader_truncated_file(tb_gelu: Path, gelu_dir: Path) -> None:
    ys = lines(gelu_dir / "y.vec")
    n = len(ys) - 4                                   # four header lines
    (gelu_dir / "y.vec").write_text("".join(ys[:-3]))
    r = run_tb(tb_gelu, gelu_dir)
    assert r.returncode == 2, r.stdout
    assert f"{gelu_dir / 'y.vec'} is truncated: shape ({n},) needs {n} values, found {n - 3}" in r.stdout


def test_reader_extra_values(tb_gelu: Path, gelu_dir: Path) -> None:
    with open(gelu_dir / "x.vec", "a") as f:
        f.write("7\n")
    r = run_tb(tb_gelu, gelu_dir)
    assert r.returncode == 2, r.stdout
    assert "x.vec has extra values" in r.stdout and "found" in r.stdout


def test_reader_mis_shaped_file(tb_gelu: Path, gelu_dir: Path) -> None:
    ys = lines(gelu_dir / "y.vec")
    n = len(ys) - 4
    ys = [f"# shape: 1 {n}\n" if s.startswith("# shape:") else s for s in ys]
    (gelu_dir / "y.vec").write_text("".join(ys))
    r = run_tb(tb_gelu, gelu_dir)
    assert r.returncode == 2, r.stdout
    assert f"y.vec is mis-shaped: the kernel expects shape ({n},), the header says (1, {n})" in r.stdout


def test_reader_garbage_value(tb_gelu: Path, gelu_dir: Path) -> None:
    xs = lines(gelu_dir / "x.vec")
    xs[6] = "12abc\n"
    (gelu_dir / "x.vec").write_text("".join(xs))
    r = run_tb(tb_gelu, gelu_dir)
    assert r.returncode == 2, r.stdout
    assert f"{gelu_dir / 'x.vec'}:7: expected an integer, found '12abc'" in r.stdout


def test_reader_not_a_folder(tb_gelu: Path, tmp_path: Path) -> None:
    r = run_tb(tb_gelu, tmp_path / "nothing")
    assert r.returncode == 2 and "holds no manifest.json" in r.stdout, r.stdout


def test_mismatch_is_reported(tb_gelu: Path, gelu_dir: Path) -> None:
    """A wrong expected value fails the run and names the array, index and both values."""
    ys = lines(gelu_dir / "y.vec")
    want = int(ys[4 + 5])
    ys[4 + 5] = f"{want + 1}\n"
    (gelu_dir / "y.vec").write_text("".join(ys))
    r = run_tb(tb_gelu, gelu_dir)
    assert r.returncode == 1, r.stdout
    assert f"MISMATCH {gelu_dir / 'y.vec'}[5]" in r.stdout and f"expected {want + 1}" in r.stdout
    assert "FAILED" in r.stdout


# ----------------------------------------------------------------------------- Vitis targets

def _path_without_vitis() -> str:
    """PATH minus any folder holding vitis_hls, so the skip path is exercised on every machine."""
    keep = [d for d in os.environ.get("PATH", "").split(os.pathsep) if d and not (Path(d) / "vitis_hls").exists()]
    return os.pathsep.join(keep)


@pytest.mark.parametrize("target,what", [("synth", "synthesis"), ("cosim", "co-simulation")])
def test_vitis_targets_skip_without_vitis(target: str, what: str) -> None:
    env = dict(os.environ, PATH=_path_without_vitis())
    r = make(target, env=env, timeout=120)
    assert r.returncode == 0, output(r)
    assert f"vitis_hls not found: HLS {what} skipped" in r.stdout


def test_every_top_has_a_script_and_a_definition() -> None:
    """Each Vitis top named in the Makefile has scripts/<top>.tcl whose files exist and define it."""
    mk = (HLS / "Makefile").read_text()
    tops = re.search(r"^TOPS := (.*?)(?<!\\)$", mk, re.S | re.M)[1].replace("\\\n", " ").split()
    assert len(tops) == 14, tops
    for top in tops:
        tcl = (HLS / "scripts" / f"{top}.tcl").read_text()
        assert re.search(rf"^set top {top}$", tcl, re.M), top
        srcs = re.search(r"^set sources \{(.*)\}$", tcl, re.M)[1].split()
        tb = re.search(r"^set tb \{?([^}\n]*)\}?$", tcl, re.M)[1].split()
        for f in [*srcs, *tb]:
            assert (HLS / f).is_file(), f"{top}: {f} missing"
        assert any(re.search(rf"^\w[\w:<>, ]* {top}\(", (HLS / s).read_text(), re.M) for s in srcs), top
        sets = re.search(r"^set tb_sets \{(.*)\}$", tcl, re.M)[1].split()
        assert sets and all(f"ARGS_{s} " in mk or f"ARGS_{s}:" in mk for s in sets), (top, sets)
