"""Shared pytest configuration.

* ``--full`` enables the long sweeps (tests marked ``slow``); ``make test-full``.
* Tests that compare hardware against golden vectors call
  ``edgemoe.sim.runner.record_vectors(record_property, kernel, count, **extra)``;
  the end of the run prints one table of every kernel checked and how many
  vectors were compared bit for bit.
* RTL testbenches record their functional coverage (``edgemoe.sim.coverage.check``);
  the end of the run prints the hits of every point and marks a missed one.
* ``--seed N`` (or ``EDGEMOE_SEED=N``) re-seeds the testbenches' stream traffic;
  ``--seed random`` draws one and prints it; every failure names the seed.
"""
from __future__ import annotations

import os
import secrets

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--full", action="store_true", default=False, help="run the long sweeps (marked slow)")
    parser.addoption("--seed", default=None,
                     help="seed of the RTL testbenches' stream traffic (an int, or 'random' to draw one); "
                          "default: EDGEMOE_SEED, else the fixed seeds")


_DRAWN = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    # Resolve the seed once, in the controller, before xdist starts its workers (they inherit
    # the environment), so every testbench of one run uses the same one.
    seed = config.getoption("--seed") or os.environ.get("EDGEMOE_SEED")
    if seed == "random":
        seed = str(secrets.randbelow(2**31 - 1) + 1)
        config.stash[_DRAWN] = seed
    if seed is not None:
        try:
            int(seed)
        except ValueError:
            raise pytest.UsageError(f"--seed / EDGEMOE_SEED: {seed!r} is not an integer or 'random'")
        os.environ["EDGEMOE_SEED"] = seed


def pytest_report_header(config: pytest.Config) -> str:
    return (f"edgemoe: EDGEMOE_SEED={os.environ.get('EDGEMOE_SEED', '0 (fixed seeds)')} "
            f"EDGEMOE_TRAFFIC={os.environ.get('EDGEMOE_TRAFFIC', 'mixed')}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # long items (marked early) first: under xdist they overlap the rest instead of ending the run
    items.sort(key=lambda item: item.get_closest_marker("early") is None)
    if config.getoption("--full"):
        return
    skip = pytest.mark.skip(reason="long sweep: run with --full (make test-full)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def pytest_runtest_makereport(item, call):
    """Every failing test's report names the seed that reproduces it."""
    if call.when == "call" and call.excinfo is not None:
        item.add_report_section("call", "seed", f"reproduce with EDGEMOE_SEED={os.environ.get('EDGEMOE_SEED', '0')} "
                                f"EDGEMOE_TRAFFIC={os.environ.get('EDGEMOE_TRAFFIC', 'mixed')}")


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if _DRAWN in config.stash:
        terminalreporter.write_line(f"drawn seed: EDGEMOE_SEED={config.stash[_DRAWN]} reproduces this run")
    _coverage_table(terminalreporter)
    rows = []
    for rep in terminalreporter.stats.get("passed", []):
        for key, val in getattr(rep, "user_properties", []):
            if key == "vectors":
                rows.append((rep.nodeid, val))
    if not rows:
        return
    terminalreporter.section("vectors compared bit for bit")
    total = 0
    for nodeid, v in sorted(rows, key=lambda r: r[0]):
        extra = ", ".join(f"{k}={v[k]}" for k in v if k not in ("kernel", "count"))
        terminalreporter.write_line(f"{v['count']:>10}  {v['kernel']:<22} {nodeid.split('::')[-1]}" + (f"  ({extra})" if extra else ""))
        total += v["count"]
    terminalreporter.write_line(f"{total:>10}  total")


def _coverage_table(terminalreporter) -> None:
    """Functional coverage of the RTL testbenches (``record_coverage``): hits per point, per run."""
    rows = []
    for key in ("passed", "failed"):
        for rep in terminalreporter.stats.get(key, []):
            for k, val in getattr(rep, "user_properties", []):
                if k == "coverage":
                    rows.append((rep.nodeid.split("::")[-1], val))
    if not rows:
        return
    terminalreporter.section("functional coverage (hits per point; * = required point missed)")
    for name, cov in sorted(rows, key=lambda r: r[0]):
        req = set(cov.get("required", []))
        pts = cov["points"]
        hit = sum(1 for p in req if pts.get(p, 0) > 0)
        terminalreporter.write_line(f"{name}: {hit}/{len(req)} required points hit")
        line = []
        for p in sorted(pts):
            mark = "*" if p in req and pts[p] == 0 else ""
            line.append(f"{mark}{p}={pts[p]}")
        for i in range(0, len(line), 5):
            terminalreporter.write_line("    " + "  ".join(line[i:i + 5]))
