"""Mutation testing of the RTL kernels: ``make mutate`` / ``python -m edgemoe.sim.mutate``.

Reads the mutant list ``sim/mutants.toml`` (each mutant: a file under hw/rtl, the exact
original snippet, its replacement, and the pytest files or node ids that cover it). For
every mutant it copies hw/rtl into a private temporary folder, applies the one
replacement there, and runs the covering tests with ``EDGEMOE_RTL`` / ``EDGEMOE_SIM_BUILD``
pointing the runner at the copy (the tree itself is never edited). A mutant is

* ``killed`` when a covering test fails (the first failing test is named),
* ``survived`` when all of them pass,
* ``stale`` when its snippet does not occur exactly once in the current source (the
  module changed: the list needs updating), and no test is run.

Prints a table and ends with a summary; exit status 0 when every mutant was killed,
1 when one survived or is stale, 2 on bad input. ``--json PATH`` writes the results.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RTL = REPO / "hw" / "rtl"
MUTANTS = Path(__file__).resolve().parent / "mutants.toml"
KINDS = ("rounding", "saturation", "tie-break", "handshake", "threshold", "width", "reset", "schedule")


@dataclass
class Mutant:
    id: str
    kind: str
    file: str
    original: str
    replacement: str
    tests: list[str]
    why: str = ""


@dataclass
class Result:
    id: str
    status: str                 # killed | survived | stale
    killed_by: str = ""
    reason: str = ""
    seconds: float = 0.0
    tests_run: list[str] = field(default_factory=list)


def load(path: Path = MUTANTS) -> list[Mutant]:
    """The mutant list; raises ValueError naming the first malformed entry."""
    data = tomllib.loads(path.read_text())
    out, seen = [], set()
    for i, m in enumerate(data.get("mutant", [])):
        missing = [k for k in ("id", "kind", "file", "original", "replacement", "tests") if k not in m]
        if missing:
            raise ValueError(f"{path.name}: mutant #{i} lacks {', '.join(missing)}")
        if m["id"] in seen:
            raise ValueError(f"{path.name}: duplicate mutant id {m['id']!r}")
        seen.add(m["id"])
        if m["kind"] not in KINDS:
            raise ValueError(f"{path.name}: mutant {m['id']!r} has kind {m['kind']!r}, expected one of {KINDS}")
        if m["original"] == m["replacement"]:
            raise ValueError(f"{path.name}: mutant {m['id']!r} replaces its snippet by itself")
        if not m["tests"] or not all(isinstance(t, str) and t.startswith("sim/tb/test_") for t in m["tests"]):
            raise ValueError(f"{path.name}: mutant {m['id']!r}: tests must be sim/tb/test_*.py files or node ids")
        out.append(Mutant(**{k: m[k] for k in Mutant.__dataclass_fields__ if k in m}))
    return out


def occurrences(m: Mutant, rtl: Path = RTL) -> int:
    """How often the mutant's snippet occurs in its file (1 for a live mutant)."""
    f = rtl / m.file
    return f.read_text().count(m.original) if f.is_file() else 0


def apply(m: Mutant, rtl: Path) -> None:
    """Apply the mutant to the copy ``rtl`` of hw/rtl (exactly one occurrence)."""
    f = rtl / m.file
    s = f.read_text()
    assert s.count(m.original) == 1
    f.write_text(s.replace(m.original, m.replacement))


def _failed_test(out: str) -> tuple[str, str]:
    """(node id, one-line reason) of the first failure in pytest's ``-rf`` output."""
    why = (re.search(r"(?:StreamStalled|AssertionError|TimeoutError): (.*)", out)
           or re.search(r"SimError: (.*)", out))
    for line in out.splitlines():
        mm = re.match(r"(?:FAILED|ERROR) (\S+)(?: - (.*))?", line)
        if mm:
            return mm.group(1), (why.group(1) if why else mm.group(2) or "")[:200]
    if "Timeout" in out:
        return "(pytest-timeout)", "timed out"
    return "", ""


def run_mutant(m: Mutant, workdir: Path, timeout: int) -> Result:
    t0 = time.monotonic()
    if occurrences(m) != 1:
        return Result(m.id, "stale", reason=f"snippet occurs {occurrences(m)} times in hw/rtl/{m.file}")
    root = workdir / m.id
    rtl = root / "rtl"
    shutil.copytree(RTL, rtl)
    apply(m, rtl)
    env = dict(os.environ, EDGEMOE_RTL=str(rtl), EDGEMOE_SIM_BUILD=str(root / "build"), COLUMNS="400")
    # C++ without optimisation: each mutant is a fresh Verilator build, the simulation is
    # bound by the Python testbench anyway
    env["MAKEFLAGS"] = (env.get("MAKEFLAGS", "") + " OPT_FAST=-O0 OPT_SLOW=-O0 OPT_GLOBAL=-O0").strip()
    res = Result(m.id, "survived")
    for t in m.tests:
        res.tests_run.append(t)
        cmd = [sys.executable, "-m", "pytest", t, "-x", "-q", "-rf", "-p", "no:xdist", "-p", "no:cacheprovider",
               f"--timeout={timeout}"]
        # a node id that already passed is not run again as part of its whole file
        cmd += [a for p in res.tests_run[:-1] if "::" in p and p.split("::")[0] == t for a in ("--deselect", p)]
        r = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
        if r.returncode != 0:
            node, reason = _failed_test(r.stdout + r.stderr)
            res.status, res.killed_by, res.reason = "killed", node or t, reason or f"pytest exit {r.returncode}"
            break
    shutil.rmtree(root, ignore_errors=True)
    res.seconds = round(time.monotonic() - t0, 1)
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="edgemoe.sim.mutate", description=__doc__.split("\n\n")[0])
    ap.add_argument("--list", action="store_true", help="list the mutants and whether each is live, run nothing")
    ap.add_argument("--only", nargs="+", metavar="ID", help="run only these mutant ids")
    ap.add_argument("--timeout", type=int, default=900, help="seconds per covering test file (default 900)")
    ap.add_argument("--json", type=Path, help="write the results as JSON")
    ap.add_argument("-j", "--jobs", type=int, default=1, help="mutants run in parallel (default 1)")
    args = ap.parse_args(argv)
    try:
        mutants = load()
    except (ValueError, tomllib.TOMLDecodeError) as e:
        print(f"mutate: {e}", file=sys.stderr)
        return 2
    if args.only:
        unknown = sorted(set(args.only) - {m.id for m in mutants})
        if unknown:
            print(f"mutate: unknown mutant id(s) {', '.join(unknown)}; see --list", file=sys.stderr)
            return 2
        mutants = [m for m in mutants if m.id in args.only]
    if args.list:
        for m in mutants:
            print(f"{m.id:<28} {m.kind:<11} {m.file:<22} {'live' if occurrences(m) == 1 else 'STALE'}  {m.why}")
        return 0
    if args.jobs < 1:
        print(f"mutate: --jobs {args.jobs}: expected at least 1", file=sys.stderr)
        return 2
    from concurrent.futures import ThreadPoolExecutor

    done = 0
    with tempfile.TemporaryDirectory(prefix="edgemoe-mutate-") as tmp, ThreadPoolExecutor(args.jobs) as pool:
        futures = [pool.submit(run_mutant, m, Path(tmp), args.timeout) for m in mutants]
        for fut in futures:
            r = fut.result()
            done += 1
            print(f"[{done:>2}/{len(mutants)}] {r.id:<28} {r.status:<9} {r.seconds:>6.0f}s  "
                  f"{r.killed_by}{'  ' + r.reason if r.reason else ''}", flush=True)
    results = [f.result() for f in futures]
    n = {s: sum(r.status == s for r in results) for s in ("killed", "survived", "stale")}
    print(f"\nmutants: {len(results)}  killed {n['killed']}  survived {n['survived']}  stale {n['stale']}")
    for r in results:
        if r.status != "killed":
            print(f"  {r.status.upper()}: {r.id} ({r.reason or 'all covering tests pass: ' + ', '.join(r.tests_run)})")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        tmp = args.json.with_suffix(".tmp")
        tmp.write_text(json.dumps([asdict(r) for r in results], indent=1))
        tmp.replace(args.json)
    return 0 if n["killed"] == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
