"""Shared pytest configuration.

* ``--full`` enables the long sweeps (tests marked ``slow``); ``make test-full``.
* Tests that compare hardware against golden vectors call
  ``edgemoe.sim.runner.record_vectors(record_property, kernel, count, **extra)``;
  the end of the run prints one table of every kernel checked and how many
  vectors were compared bit for bit.
"""
from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--full", action="store_true", default=False, help="run the long sweeps (marked slow)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--full"):
        return
    skip = pytest.mark.skip(reason="long sweep: run with --full (make test-full)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
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
