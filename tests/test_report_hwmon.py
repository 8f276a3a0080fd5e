"""hwmon (INA226) reader on a fake sysfs tree in the real Linux layout, rail classification, idle baseline."""
from __future__ import annotations

import time

import numpy as np
import pytest

from edgemoe.report.fakes import FakeRail, make_hwmon_tree, write_rail
from edgemoe.report.hwmon import ZCU102_RAILS, HwmonSource, rail_domain
from edgemoe.report.recorder import record_power

ZCU102 = [
    FakeRail("u79", 0.85, 2.0),        # VCCINT   1.7 W
    FakeRail("u81", 0.90, 0.2),        # VCCBRAM  0.18 W
    FakeRail("u80", 1.80, 0.1),        # VCCAUX   0.18 W
    FakeRail("u84", 1.20, 0.05),       # VCC1V2   0.06 W
    FakeRail("u76", 0.85, 1.0),        # VCCPSINTFP 0.85 W
    FakeRail("u77", 0.85, 0.2),        # VCCPSINTLP 0.17 W
    FakeRail("u85", 0.85, 0.1),        # MGTRAVCC
    FakeRail("u65", 1.80, 0.0),        # VADJ_FMC
]


@pytest.mark.parametrize("label,domain", [
    ("VCCINT", "pl"), ("VCCBRAM", "pl"), ("VCCAUX", "pl"), ("VCC1V2", "pl"), ("VCC3V3", "pl"),
    ("VCCPSINTFP", "ps"), ("VCCPSINTLP", "ps"), ("VCCINTLP", "ps"), ("VCCPSAUX", "ps"), ("VCCPSPLL", "ps"),
    ("VCCOPS", "ps"), ("VCCOPS3", "ps"), ("VCCO_PSDDR_504", "ps"), ("VCCPSDDR", "ps"), ("VCCPSDDRPLL", "ps"),
    ("MGTRAVCC", "mgt"), ("MGTRAVTT", "mgt"), ("MGTAVCC", "mgt"), ("MGTAVTT", "mgt"),
    ("VADJ_FMC", "board"), ("vccint", "pl"), ("FOO", "other"),
])
def test_rail_domain(label, domain):
    assert rail_domain(label) == domain


def test_zcu102_table_classifies_every_rail():
    doms = {ref: rail_domain(label) for ref, label in ZCU102_RAILS.items()}
    assert doms["u79"] == "pl" and doms["u81"] == "pl" and doms["u80"] == "pl" and doms["u84"] == "pl"
    assert doms["u76"] == "ps" and doms["u77"] == "ps" and doms["u93"] == "ps"
    assert "other" not in doms.values()


def test_reads_iio_hwmon_layout(tmp_path):
    make_hwmon_tree(tmp_path, ZCU102)
    src = HwmonSource(tmp_path)
    av = src.probe()
    assert av.ok, av.reason
    ch = {c.label: c for c in src.channels()}
    assert set(ch) == {"VCCINT", "VCCBRAM", "VCCAUX", "VCC1V2", "VCCPSINTFP", "VCCPSINTLP", "MGTRAVCC", "VADJ_FMC"}
    assert ch["VCCINT"].chip == "ina226_u79" and ch["VCCINT"].domain == "pl"
    assert ch["VCCPSINTFP"].chip == "ina226_u76" and ch["VCCPSINTFP"].domain == "ps"
    assert ch["MGTRAVCC"].domain == "mgt" and ch["VADJ_FMC"].domain == "board"
    r = src.read()
    idx = {c.label: i for i, c in enumerate(src.channels())}
    assert r.values[idx["VCCINT"]] == pytest.approx(1.7)
    assert r.values[idx["VCCPSINTFP"]] == pytest.approx(0.85)
    # the bus voltage is the highest-numbered in*_input (in2 for iio-hwmon), not the shunt in1
    assert r.volts[idx["VCCINT"]] == pytest.approx(0.85)
    assert r.amps[idx["VCCINT"]] == pytest.approx(2.0)


def test_reads_ina2xx_driver_layout_with_label_file(tmp_path):
    make_hwmon_tree(tmp_path, [FakeRail("u79", 0.85, 3.0, style="ina2xx"), FakeRail("u78", 1.8, 0.5, style="ina2xx")])
    src = HwmonSource(tmp_path)
    chans = src.channels()
    assert [(c.chip, c.label, c.domain) for c in chans] == [("ina226_u79", "VCCINT", "pl"),
                                                            ("ina226_u78", "VCCPSAUX", "ps")]
    r = src.read()
    assert r.volts.tolist() == pytest.approx([0.85, 1.8])  # in1 is the bus voltage for the ina2xx driver
    assert r.values.tolist() == pytest.approx([2.55, 0.9])


def test_power_from_volts_times_amps_without_power_file(tmp_path):
    make_hwmon_tree(tmp_path, [FakeRail("u79", 0.9, 2.5, with_power=False)])
    r = HwmonSource(tmp_path).read()
    assert r.values[0] == pytest.approx(0.9 * 2.5)


def test_detail_false_reads_power_only(tmp_path):
    make_hwmon_tree(tmp_path, [FakeRail("u79", 0.9, 2.5)])
    r = HwmonSource(tmp_path, detail=False).read()
    assert r.values[0] == pytest.approx(2.25) and np.isnan(r.volts[0]) and np.isnan(r.amps[0])


def test_channel_label_and_rail_map(tmp_path):
    make_hwmon_tree(tmp_path, [FakeRail("u200", 1.0, 1.0, channel_label="VCCBRAM"), FakeRail("u201", 1.0, 1.0)])
    src = HwmonSource(tmp_path, rail_map={"u201": "VCCPSAUX"})
    assert [(c.label, c.domain) for c in src.channels()] == [("VCCBRAM", "pl"), ("VCCPSAUX", "ps")]
    unknown = HwmonSource(tmp_path)
    assert [(c.label, c.domain) for c in unknown.channels()][1] == ("unknown rail", "other")


def test_domain_filter(tmp_path):
    make_hwmon_tree(tmp_path, ZCU102)
    src = HwmonSource(tmp_path, domains=("ps",))
    assert {c.label for c in src.channels()} == {"VCCPSINTFP", "VCCPSINTLP"}


def test_unavailable_reasons(tmp_path):
    av = HwmonSource(tmp_path / "missing").probe()
    assert not av.ok and "does not exist" in av.reason
    make_hwmon_tree(tmp_path / "pc", [], extra_devices=("coretemp", "nvme"))
    av = HwmonSource(tmp_path / "pc").probe()
    assert not av.ok and "no INA2xx power monitors among 2 hwmon devices" in av.reason


def test_idle_baseline_subtracted_per_domain(tmp_path):
    idle = [FakeRail("u79", 0.85, 1.0), FakeRail("u81", 0.9, 0.1), FakeRail("u76", 0.85, 1.0)]
    busy = [FakeRail("u79", 0.85, 3.0), FakeRail("u81", 0.9, 0.3), FakeRail("u76", 0.85, 1.0)]
    devs = make_hwmon_tree(tmp_path, idle)
    src = HwmonSource(tmp_path)

    def run():
        for r in busy:
            write_rail(devs[r.ref], r)
        time.sleep(0.6)
        return "done"

    trace = record_power(run, [src], interval=0.01, idle_s=0.2)
    s = trace.summary
    assert trace.result == "done"
    # idle phase: every sample at the idle values, so the baseline is exact
    assert s.domain_idle_w("pl") == pytest.approx(0.85 + 0.09)
    assert s.domain_idle_w("ps") == pytest.approx(0.85)
    # running: PL rose to 2.55 + 0.27 W; the first sample, read before run() started, is still idle
    pl = [k for k, c in enumerate(trace.channels) if c.domain == "pl"]
    assert trace.watts[-1, pl].sum() == pytest.approx(2.82)
    assert trace.watts[0, pl].sum() == pytest.approx(0.94)
    mean = float((getattr(np, 'trapezoid', None) or np.trapz)(trace.watts[:, pl].sum(axis=1), trace.t) / s.duration_s)
    assert s.domain_w("pl") == pytest.approx(mean)                   # time-weighted mean of the samples
    assert 0.94 < s.domain_w("pl") <= 2.82 + 1e-9
    assert s.domain_w("pl", "dynamic") == pytest.approx(s.domain_w("pl") - 0.94)
    assert s.domain_w("ps", "dynamic") == pytest.approx(0.0, abs=1e-9)
    assert trace.watts.shape[1] == 3 and trace.idle_watts.shape[1] == 3
    assert np.all(trace.idle_watts[:, 0] == pytest.approx(0.85))
    assert s.domain_w("gpu") is None


def test_record_power_without_sources_and_bad_arguments():
    trace = record_power(lambda: time.sleep(0.02) or 7, [], interval=0.01)
    assert trace.result == 7 and trace.channels == [] and trace.watts.shape[1] == 0
    assert trace.summary.duration_s >= 0.02
    with pytest.raises(ValueError, match="interval must be > 0"):
        record_power(lambda: None, [], interval=0)
    with pytest.raises(ValueError, match="idle_s must be >= 0"):
        record_power(lambda: None, [], idle_s=-1)


def test_source_error_during_run_is_raised(tmp_path):
    devs = make_hwmon_tree(tmp_path, [FakeRail("u79", 0.85, 1.0)])

    def run():
        (devs["u79"] / "power1_input").unlink()
        (devs["u79"] / "in2_input").unlink()
        time.sleep(0.05)

    with pytest.raises(OSError):
        record_power(run, [HwmonSource(tmp_path)], interval=0.01)
