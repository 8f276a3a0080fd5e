"""``edgemoe run --backend iss|rtl|pynq`` goes through the host driver; a backend that cannot run exits 2."""
from __future__ import annotations

import importlib.util
import json

import pytest

from edgemoe import cli
from edgemoe.driver.backends import rtl_frame_support
from edgemoe.report.records import load_record


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def test_run_pynq_without_a_board_exits_2_with_one_line(tmp_path, capsys):
    if importlib.util.find_spec("pynq") is not None:
        pytest.skip("the pynq package is installed here")
    out = tmp_path / "run"
    assert cli.main(["run", "--backend", "pynq", "--overlay", str(tmp_path / "edgemoe.bit"), "--quiet",
                     "--out", str(out)]) == 2
    assert _one_error_line(capsys) == ("edgemoe run: error: --backend pynq needs a PYNQ board (ZCU102 with the "
                                       "PYNQ image): the 'pynq' package is not installed on this machine")
    assert not out.exists()


def test_run_rtl_exits_2_with_one_line_while_the_top_cannot_run(tmp_path, capsys):
    ok, why = rtl_frame_support()
    if ok:
        pytest.skip("the RTL top runs frames")
    out = tmp_path / "run"
    assert cli.main(["run", "--backend", "rtl", "--quiet", "--out", str(out)]) == 2
    assert _one_error_line(capsys) == f"edgemoe run: error: {why}"
    assert not out.exists()


def test_run_iss_goes_through_the_driver(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["run", "--backend", "iss", "--task", "seg", "--quiet", "--out", str(out)]) == 0
    s = json.loads((out / "summary.json").read_text())
    t = s["tasks"]["seg"]
    assert s["backend"] == "iss" and t["cycles"] > 900_000 and t["counters"]["MARK"] == 11
    assert 0 < t["host_overhead_s"] < t["driver_wall_s"]
    assert "measurement_seg.json" in s["files"]
    rec = load_record(out / "measurement_seg.json")
    assert rec.source == "other" and rec.label.startswith("ISS") and rec.cycles_per_frame == t["cycles"]
