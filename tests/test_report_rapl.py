"""RAPL reader on a fake powercap tree: zones, domains, counter wrap-around, unreadable counters."""
from __future__ import annotations

import pathlib
import time

import pytest

from edgemoe.report.fakes import FakeZone, make_rapl_tree, set_energy
from edgemoe.report.rapl import RaplSource, unwrap_delta
from edgemoe.report.recorder import record_power

ZONES = [FakeZone("0", "package-0", 5_000_000), FakeZone("0:0", "core", 1_000), FakeZone("0:1", "dram", 2_000),
         FakeZone("1", "psys", 3_000)]


def test_unwrap_delta():
    assert unwrap_delta(100, 350, 1000) == 250
    assert unwrap_delta(900, 100, 1000) == 200
    assert unwrap_delta(0, 0, 1000) == 0


def test_zones_and_domains(tmp_path):
    make_rapl_tree(tmp_path, ZONES)
    (tmp_path / "intel-rapl-mmio:0").mkdir()  # not a RAPL MSR zone: ignored
    src = RaplSource(tmp_path)
    assert src.probe().ok
    got = [(c.name, c.domain) for c in src.channels()]
    assert got == [("intel-rapl:0 package-0", "cpu"), ("intel-rapl:0:0 core", "cpu-part"),
                   ("intel-rapl:0:1 dram", "dram"), ("intel-rapl:1 psys", "platform")]


def test_cumulative_energy_with_wrap_around(tmp_path):
    z = make_rapl_tree(tmp_path, [FakeZone("0", "package-0", 900_000, max_range_uj=1_000_000)])
    src = RaplSource(tmp_path)
    assert src.read().values[0] == 0.0           # the first read is the origin
    set_energy(z["0"], 950_000)
    assert src.read().values[0] == pytest.approx(0.05)
    set_energy(z["0"], 100_000)                 # wrapped past 1_000_000
    assert src.read().values[0] == pytest.approx(0.20)  # 50_000 + 100_000 uJ more
    set_energy(z["0"], 999_999)
    set_energy(z["0"], 10)                      # wrapped again between reads (one wrap per read at most)
    assert src.read().values[0] == pytest.approx(0.20 + (10 + 1_000_000 - 100_000) * 1e-6)


def test_record_power_energy_through_wrap(tmp_path):
    z = make_rapl_tree(tmp_path, [FakeZone("0", "package-0", 900_000, max_range_uj=1_000_000)])

    def run():
        set_energy(z["0"], 950_000)
        time.sleep(0.05)
        set_energy(z["0"], 50_000)
        time.sleep(0.05)

    trace = record_power(run, [RaplSource(tmp_path)], interval=0.01)
    s = trace.summary
    assert s.channels[0].energy_j == pytest.approx(0.15)  # 50_000 + 50_000 + 50_000 uJ
    assert s.domain_w("cpu") == pytest.approx(0.15 / s.duration_s)
    assert s.domain_w("cpu") > 0 and (trace.watts >= 0).all()


def test_missing_root_and_no_zones(tmp_path):
    av = RaplSource(tmp_path / "nope").probe()
    assert not av.ok and "does not exist" in av.reason
    (tmp_path / "empty").mkdir()
    av = RaplSource(tmp_path / "empty").probe()
    assert not av.ok and "no intel-rapl zones" in av.reason


def test_permission_denied_is_unavailable_with_reason(tmp_path, monkeypatch):
    make_rapl_tree(tmp_path, ZONES[:1])
    real = pathlib.Path.read_text

    def deny(self, *a, **k):
        if self.name == "energy_uj":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *a, **k)

    monkeypatch.setattr(pathlib.Path, "read_text", deny)
    av = RaplSource(tmp_path).probe()
    assert not av.ok
    assert "permission denied" in av.reason and "energy_uj" in av.reason and "root" in av.reason


def test_missing_range_is_unavailable(tmp_path):
    z = make_rapl_tree(tmp_path, ZONES[:1])
    (z["0"] / "max_energy_range_uj").unlink()
    av = RaplSource(tmp_path).probe()
    assert not av.ok and "max_energy_range_uj" in av.reason
