"""FPGA measurement records: the example generator, make_record from a trace, and clear errors for bad records."""
from __future__ import annotations

import copy
import json
import time

import pytest

from edgemoe.report.errors import RecordError
from edgemoe.report.fakes import FakeRail, make_hwmon_tree, write_rail
from edgemoe.report.hwmon import HwmonSource
from edgemoe.report.recorder import record_power
from edgemoe.report.records import (EXAMPLE_LABEL, load_record, make_record, validate_record, example_record)


def test_example_record_is_valid_and_labelled_example():
    rec = validate_record(example_record(), "ex.json")
    assert rec.is_example and rec.kind == "example"
    assert EXAMPLE_LABEL in rec.display_name
    assert rec.latency.median_s == pytest.approx(0.020) and rec.latency.n == 50
    total, idle, rails = rec.power_w(["pl"], "total")
    assert total == pytest.approx(4.0) and idle == pytest.approx(1.7)
    assert {r.label for r in rails} == {"VCCINT", "VCCBRAM", "VCCAUX", "VCC1V2", "VCC3V3"}
    dyn, _, _ = rec.power_w(["pl"], "dynamic")
    assert dyn == pytest.approx(2.3)
    both, _, _ = rec.power_w(["pl", "ps"], "total")
    assert both == pytest.approx(4.0 + 1.2 + 0.2 + 0.1 + 0.6)


def test_make_record_from_a_hwmon_trace(tmp_path):
    devs = make_hwmon_tree(tmp_path, [FakeRail("u79", 0.85, 1.0), FakeRail("u76", 0.85, 1.0)])

    def run():
        write_rail(devs["u79"], FakeRail("u79", 0.85, 2.0))
        time.sleep(0.2)
        return [0.02, 0.021, 0.019]

    trace = record_power(run, [HwmonSource(tmp_path)], interval=0.02, idle_s=0.1)
    d = make_record(source="board", board="ZCU102", part="xczu9eg-ffvb1156-2-e", clock_mhz=300, task=0,
                    latency_s=trace.result, commit="abc1234", started_at=trace.started_at + "",
                    finished_at=trace.finished_at, trace=trace, bitstream={"name": "a.bit", "sha256": "a" * 64})
    rec = validate_record(json.loads(json.dumps(d)), "new.json")
    assert rec.frames == 3 and rec.latency.median_s == pytest.approx(0.02)
    assert [(r.chip, r.label, r.domain) for r in rec.rails] == [("ina226_u79", "VCCINT", "pl"),
                                                                ("ina226_u76", "VCCPSINTFP", "ps")]
    assert rec.has_idle and rec.rails[0].idle_w == pytest.approx(0.85)
    assert rec.rails[0].volts is not None and rec.rails[0].volts[0] == pytest.approx(0.85)
    assert rec.power_method == "INA226 via Linux hwmon"


def _bad(mutate):
    d = example_record()
    mutate(d)
    return d


BAD = [
    ("schema", lambda d: d.update(schema="other"), ["'schema'", "edgemoe.measurement", "'other'"]),
    ("version", lambda d: d.update(schema_version=2), ["'schema_version'", "expected 1", "found 2"]),
    ("missing", lambda d: d.pop("clock_mhz"), ["'clock_mhz'", "MHz", "field missing"]),
    ("unknown", lambda d: d.update(clock_mhx=300), ["unknown field", "clock_mhx"]),
    ("kind", lambda d: d.update(kind="measurment"), ["'kind'", "'measurement'", "'measurment'"]),
    ("source", lambda d: d.update(source="fpga"), ["'source'", "'board'", "'rtl-sim'", "'fpga'"]),
    ("clock", lambda d: d.update(clock_mhz=-300), ["'clock_mhz'", "positive number (MHz)", "-300"]),
    ("clock type", lambda d: d.update(clock_mhz="300"), ["'clock_mhz'", "positive number", "'300'"]),
    ("task", lambda d: d.update(task=2), ["'task'", "one of 0, 1", "found 2"]),
    ("frames", lambda d: d.update(frames=0), ["'frames'", "integer >= 1", "found 0"]),
    ("latency negative", lambda d: d["latency_s"]["samples"].__setitem__(3, -0.1),
     ["'latency_s.samples[3]'", "positive number", "-0.1"]),
    ("latency too many", lambda d: d.update(frames=10), ["'latency_s.samples'", "at most 'frames' = 10", "50 samples"]),
    ("latency stats", lambda d: d.update(latency_s={"n": 5, "median": 0.02}), ["'latency_s.mean'", "field missing"]),
    ("latency order", lambda d: d.update(latency_s={"n": 5, "median": 0.05, "mean": 0.02, "std": 0.0, "min": 0.01,
                                                    "max": 0.03}), ["'latency_s.median'", "between min"]),
    ("rail domain", lambda d: d["power"]["rails"][0].update(domain="ps"),
     ["'power.rails[0].domain'", "'pl' for rail VCCINT", "'ps'"]),
    ("rail watts", lambda d: d["power"]["rails"][1].update(watts=[]), ["'power.rails[1].watts'", "non-empty list"]),
    ("rail negative", lambda d: d["power"]["rails"][1]["watts"].__setitem__(0, -1.0),
     ["'power.rails[1].watts[0]'", "non-negative", "-1.0"]),
    ("volts length", lambda d: d["power"]["rails"][0].update(volts=[0.85]),
     ["'power.rails[0].volts'", "20 values", "1 values"]),
    ("partial idle", lambda d: d["power"]["rails"][2].pop("idle_watts"),
     ["'power.rails'", "idle_watts on every rail or on none", "ina226_u80 VCCAUX"]),
    ("duplicate rail", lambda d: d["power"]["rails"].append(copy.deepcopy(d["power"]["rails"][0])),
     ["each (chip, label) once"]),
    ("interval", lambda d: d["power"].pop("interval_s"), ["'power.interval_s'", "field missing"]),
    ("bitstream", lambda d: d.pop("bitstream"), ["'bitstream'", "required for source 'board'"]),
    ("sha", lambda d: d["bitstream"].update(sha256="xyz"), ["'bitstream.sha256'", "64 lowercase hex", "'xyz'"]),
    ("commit", lambda d: d.update(commit="main"), ["'commit'", "7 to 40 lowercase hex", "'main'"]),
    ("time zone", lambda d: d.update(started_at="2000-01-01T00:00:00"), ["'started_at'", "time zone"]),
    ("time order", lambda d: d.update(finished_at="1999-12-31T23:59:59Z"), ["'finished_at'", "not before"]),
    ("device", lambda d: d["device"].pop("part"), ["'device.part'", "FPGA part", "field missing"]),
]


@pytest.mark.parametrize("name,mutate,needles", BAD, ids=[b[0] for b in BAD])
def test_bad_records_name_field_expected_and_found(name, mutate, needles):
    with pytest.raises(RecordError) as ei:
        validate_record(_bad(mutate), "bad.json")
    msg = str(ei.value)
    assert msg.startswith("bad.json: ")
    for n in needles:
        assert n in msg, f"{n!r} not in {msg!r}"


def test_rtl_sim_record_without_power_or_bitstream_is_valid():
    d = example_record(source="rtl-sim")
    d.pop("power")
    d.pop("bitstream")
    d["kind"] = "measurement"
    d["latency_s"] = {"n": 1, "median": 0.02, "mean": 0.02, "std": 0.0, "min": 0.02, "max": 0.02}
    d["cycles_per_frame"] = 6_000_000
    rec = validate_record(d, "sim.json")
    assert not rec.has_power and rec.latency.samples == () and rec.cycles_per_frame == 6e6
    with pytest.raises(RecordError, match="no power rail in domains"):
        rec.power_w(["pl"], "total")


def test_dynamic_basis_needs_idle():
    d = example_record()
    for r in d["power"]["rails"]:
        r.pop("idle_watts")
    rec = validate_record(d, "noidle.json")
    assert rec.power_w(["pl"], "total")[0] == pytest.approx(4.0)
    with pytest.raises(RecordError, match="idle_watts.*--power-basis total"):
        rec.power_w(["pl"], "dynamic")


def test_load_record_file_errors(tmp_path):
    with pytest.raises(RecordError, match="does not exist"):
        load_record(tmp_path / "none.json")
    p = tmp_path / "broken.json"
    p.write_text('{"schema": "edgemoe.measurement",\n "kind": }')
    with pytest.raises(RecordError, match=r"broken.json: not valid JSON \(line 2"):
        load_record(p)
    p.write_text("[1, 2]")
    with pytest.raises(RecordError, match="expected a JSON object"):
        load_record(p)
    p.write_text(json.dumps(example_record()))
    assert load_record(p).path == str(p)
