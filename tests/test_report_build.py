"""Report generation from recorded inputs: values, labels, groups, files, and nothing half-written."""
from __future__ import annotations

import json
import re
import time

import numpy as np
import pytest

from edgemoe.report import render
from edgemoe.report.build import NO_RECORD, Settings, build_report
from edgemoe.report.config import declared_power
from edgemoe.report.errors import RecordError
from edgemoe.report.fakes import FakeEnergySource, UnavailableSource
from edgemoe.report.records import example_record, validate_record
from edgemoe.report.render import write_report


def measurement_record(latency_s=0.025):
    """A record of kind 'measurement' built from the example values (made in the test, not shipped)."""
    d = example_record(latency_s=latency_s)
    d["kind"] = "measurement"
    d["label"] = "board run under test"
    return validate_record(d, "board.json")


def fake_factory(seconds=0.01, source=None, joules_per_run=1.0):
    """Runner factory: each run sleeps ``seconds`` and adds ``joules_per_run`` to ``source``."""
    def factory(platform, batch):
        def run():
            time.sleep(seconds)
            if source is not None:
                source.bump(joules_per_run)
        return run, None, f"fake {platform}", "fake runner"
    return factory


def quick(**kw):
    s = Settings(runs=4, warmup=1, idle_s=0.1, interval_s=0.01, model="off")  # modelled group: its own tests
    for k, v in kw.items():
        setattr(s, k, v)
    return s


def test_measured_cpu_power_with_idle_subtracted():
    src = FakeEnergySource(idle_w=2.0)
    rep = build_report(quick(), factory=fake_factory(0.02, src, 1.0), platforms=["cpu"],
                       candidates={"cpu": [(src, "cpu")]})
    (e,) = rep.group("measured")
    assert e.id == "cpu-b1" and e.power.kind == "measured" and e.power.basis == "dynamic"
    assert e.power.idle_w == pytest.approx(2.0, rel=1e-6)
    # 1 J per 20 ms run on top of 2 W idle: about 50 W above idle while running
    assert e.power.total_w == pytest.approx(e.power.watts + 2.0)
    # 4 J above idle over the timed runs (about 50 W for 20 ms runs; exactly 4 J / their duration)
    assert e.power.watts == pytest.approx(4.0 / sum(e.details["run_s"]), rel=0.25)
    assert e.energy_per_frame_j == pytest.approx(e.power.watts * e.latency.mean_s)
    assert e.energy_per_frame_j == pytest.approx(1.0, rel=0.25)  # 1 J per run, whatever the machine's speed
    assert e.power.source.startswith("measured: fake energy counter") and "minus idle 2.000 W" in e.power.source
    assert [s.used for s in rep.sources] == [True]


def test_total_basis_and_batch_sizes():
    src = FakeEnergySource(idle_w=2.0)
    rep = build_report(quick(power_basis="total", batches=[1, 4]), factory=fake_factory(0.02, src, 1.0),
                       platforms=["cpu"], candidates={"cpu": [(src, "cpu")]})
    b1, b4 = rep.group("measured")
    assert (b1.batch, b4.batch) == (1, 4)
    assert b4.latency.median_s == pytest.approx(float(np.median(b4.details["run_s"])) / 4)
    assert b1.latency.median_s == pytest.approx(float(np.median(b1.details["run_s"])))
    assert b1.power.basis == "total" and b1.power.idle_w == pytest.approx(2.0, rel=1e-6)
    assert b1.power.watts == pytest.approx(2.0 + 4.0 / sum(b1.details["run_s"]), rel=0.25)
    assert "total, idle not subtracted" in b1.power.source


def test_declared_power_is_labelled_declared_and_measured_kept_as_alternative():
    src = FakeEnergySource(idle_w=1.0)
    s = quick(declared={"cpu": declared_power("cpu", 65.0, "--cpu-power-w")})
    rep = build_report(s, factory=fake_factory(0.01, src), platforms=["cpu"], candidates={"cpu": [(src, "cpu")]})
    (e,) = rep.group("measured")
    assert e.power.kind == "declared" and e.power.watts == 65.0
    assert e.power.source == "declared (--cpu-power-w)"
    assert e.energy_per_frame_j == pytest.approx(65.0 * e.latency.mean_s)
    assert e.energy_source == "measured latency x declared power"
    assert e.alternatives and e.alternatives[0]["kind"] == "measured"


def test_no_power_source_no_declared_gives_latency_only():
    rep = build_report(quick(), factory=fake_factory(0.005), platforms=["cpu"],
                       candidates={"cpu": [(UnavailableSource("Intel RAPL (powercap)", "no powercap here"), "cpu")]})
    (e,) = rep.group("measured")
    assert e.power.kind == "none" and e.energy_per_frame_j is None
    assert rep.sources[0].reason == "no powercap here" and not rep.sources[0].ok
    assert rep.fpga_status == NO_RECORD and not rep.group("fpga") and not rep.ratios


def test_fpga_record_entry_and_ratios():
    cpu_src = FakeEnergySource()
    s = quick(declared={"cpu": declared_power("cpu", 50.0, "--cpu-power-w")})
    rep = build_report(s, [measurement_record(0.025)], factory=fake_factory(0.05, cpu_src), platforms=["cpu"],
                       candidates={"cpu": [(cpu_src, "cpu")]})
    (f,) = rep.group("fpga")
    assert f.id == "fpga-1" and f.latency_kind == "measured" and f.name == "board run under test"
    assert f.power.kind == "measured" and f.power.watts == pytest.approx(2.3)   # PL above idle
    assert f.power.total_w == pytest.approx(4.0) and f.power.idle_w == pytest.approx(1.7)
    assert "PL rails" in f.power.source and "ina226_u79 VCCINT" in f.power.source
    assert f.energy_per_frame_j == pytest.approx(2.3 * 0.025)
    (cpu,) = rep.group("measured")
    r = {x.metric: x for x in rep.ratios if x.subject == "fpga-1" and x.baseline == "cpu-b1"}
    ee = r["energy efficiency (frames per joule)"]
    assert ee.value == pytest.approx((50.0 * cpu.latency.mean_s) / (2.3 * 0.025))
    assert ee.mixed and ee.basis.startswith("MIXED") and "declared power" in ee.basis
    assert rep.fpga_status == "1 measurement record(s): 1 board"


def test_fpga_domains_and_declared_fpga_power():
    rec = measurement_record(0.02)
    rep = build_report(quick(fpga_domains=("pl", "ps"), power_basis="total"), [rec], baseline_entries=[])
    assert rep.group("fpga")[0].power.watts == pytest.approx(4.0 + 2.1)
    rep = build_report(quick(declared={"fpga": declared_power("fpga", 9.0, "--fpga-power-w")}), [rec],
                       baseline_entries=[])
    # the declared figure never replaces the record's measured rails: both rows are shown
    m, d = rep.group("fpga")
    assert m.id == "fpga-1" and m.power.kind == "measured" and m.power.watts == pytest.approx(2.3)
    assert m.energy_per_frame_j == pytest.approx(2.3 * 0.02)
    assert d.id == "fpga-1-declared" and d.power.kind == "declared" and d.power.watts == 9.0
    assert d.energy_per_frame_j == pytest.approx(0.18) and "declared" in d.name
    assert "measured rails are shown in their own row" in d.power.note
    assert d.latency == m.latency


def rtl_sim_record(cycles=1_200_000, wall_s=95.0, clock=300.0):
    """A record as the RTL simulation writes it: host wall seconds in latency_s, CYCLES in cycles_per_frame."""
    d = example_record(source="rtl-sim")
    d.pop("power")
    d.pop("bitstream")
    d["kind"] = "measurement"
    d["label"] = "edgemoe_top, Verilator"
    d["frames"] = 2
    d["clock_mhz"] = clock
    d["latency_s"] = {"samples": [wall_s, wall_s]}
    if cycles is not None:
        d["cycles_per_frame"] = cycles
    return validate_record(d, "sim.json")


def test_rtl_sim_record_is_simulated_without_power():
    rep = build_report(quick(), [rtl_sim_record()], baseline_entries=[])
    (f,) = rep.group("fpga")
    assert f.latency_kind == "simulated" and f.power.kind == "none" and "--fpga-power-w" in f.power.source
    assert f.energy_per_frame_j is None
    # latency is CYCLES at the clock (4 ms), never the simulation's host time (95 s)
    assert f.latency.median_s == pytest.approx(1_200_000 / 300e6) and f.latency.n == 2
    assert f.latency_source.startswith("RTL simulation: CYCLES 1,200,000 per frame at 300 MHz")
    assert "(RTL simulation)" in f.name
    assert rep.fpga_status == "1 measurement record(s): 1 RTL simulation"


def test_rtl_sim_record_with_declared_published_power():
    note = "published board power (cite the paper's table)"
    rep = build_report(quick(declared={"fpga": declared_power("fpga", 8.0, "--fpga-power-w", note)}),
                       [rtl_sim_record(cycles=900_000)], baseline_entries=[])
    (f,) = rep.group("fpga")
    assert f.power.kind == "declared" and f.power.source == f"declared (--fpga-power-w): {note}"
    assert f.energy_per_frame_j == pytest.approx(8.0 * 900_000 / 300e6)
    assert f.energy_source == "simulated latency x declared power"


def test_other_record_uses_its_cycles_not_host_time():
    d = example_record(source="other")
    d.pop("power")
    d.pop("bitstream")
    d.update(kind="measurement", label="ISS", latency_s={"samples": [3.0]}, frames=1, cycles_per_frame=1_100_000)
    (f,) = build_report(quick(), [validate_record(d, "iss.json")], baseline_entries=[]).group("fpga")
    assert f.latency_kind == "reported" and f.latency.median_s == pytest.approx(1.1e6 / 300e6)
    assert "reported CYCLES 1,100,000 per frame at 300 MHz (source other; host time not used)" in f.latency_source


def test_rtl_sim_record_without_cycles_is_refused():
    with pytest.raises(RecordError, match=r"sim.json: cycles_per_frame: expected the CYCLES register"):
        build_report(quick(), [rtl_sim_record(cycles=None)], baseline_entries=[])


def test_modelled_group_is_apart():
    from edgemoe import perf_model as pm

    rep = build_report(quick(model="uniform"), [measurement_record(0.025)], factory=fake_factory(0.005),
                       platforms=["cpu"], candidates={"cpu": []})
    (m,) = rep.group("modelled")
    expect = pm.model(pm.Config.zcu102(), queues="uniform")
    assert m.latency_kind == "modelled" and m.latency.median_s == pytest.approx(expect.latency_ms / 1e3)
    assert m.power.kind == "none" and "MODELLED" in m.name and "cycles at 300 MHz" in m.latency_source
    res = m.details["resources"]
    assert res["total"]["dsp"] > 0 and res["device"]["lut"] == 274_080 and "Yosys" in res["source"]
    assert [e.id for e in rep.group("fpga")] == ["fpga-1"]          # not mixed into the record rows
    rs = [r for r in rep.ratios if r.subject == "model-1"]
    assert rs and all(r.group == "modelled" and r.mixed for r in rs)
    assert all(r.group == "measured" for r in rep.ratios if r.subject == "fpga-1")
    j = rep.to_json()
    assert [e["id"] for e in j["modelled"]["entries"]] == ["model-1"] and "not measured" in j["modelled"]["label"]
    assert all(e["id"] != "model-1" for e in j["fpga"]["entries"])


def test_modelled_row_html_section(tmp_path):
    rep = build_report(quick(model="uniform"), baseline_entries=[])
    write_report(rep, tmp_path)
    page = (tmp_path / "report.html").read_text()
    assert "Modelled (performance model and Yosys estimates; NOT measured)" in page
    assert "Resources (Yosys)" in page and "xczu9eg" in page
    plots = json.loads((tmp_path / "report.json").read_text())["plots"]
    assert all("MODELLED" not in p["caption"] for p in plots)   # the plots show no modelled row


def test_cpu_threads_default_is_the_bench_default():
    import argparse

    from edgemoe.bench import add_arguments

    p = argparse.ArgumentParser()
    add_arguments(p)
    assert Settings().threads == p.get_default("threads") == 1


def test_example_records_stay_in_their_own_group():
    rep = build_report(quick(), [validate_record(example_record(), "ex.json")], factory=fake_factory(0.005),
                       platforms=["cpu"], candidates={"cpu": []})
    assert not rep.group("fpga") and rep.fpga_status == NO_RECORD
    (ex,) = rep.group("example")
    assert ex.power.kind == "example" and ex.latency_kind == "example" and "EXAMPLE" in ex.name
    j = rep.to_json()
    assert j["fpga"] == {"status": NO_RECORD, "entries": []}
    assert j["example"]["entries"][0]["id"] == "example-1"
    assert "not measurements" in j["example"]["label"]
    assert any("Example records" in n for n in rep.notes)


def test_dynamic_basis_with_record_without_idle_is_a_clear_error():
    d = example_record()
    for r in d["power"]["rails"]:
        r.pop("idle_watts")
    d["kind"] = "measurement"
    with pytest.raises(RecordError, match="--power-basis total"):
        build_report(quick(), [validate_record(d, "noidle.json")], baseline_entries=[])


def test_published_group_is_separate():
    rep = build_report(quick(), [measurement_record()], baseline_entries=[])
    j = rep.to_json()
    figs = j["published"]["figures"]
    vals = {(f["metric"], f["relative_to"]): f["value"] for f in figs}
    assert vals[("energy efficiency", "a GPU")] == 2.24 and vals[("energy efficiency", "a CPU")] == 4.90
    assert all(f["group"] == "published" and "not measured here" in f["label"] for f in figs)
    assert "not measured here" in j["published"]["label"]
    measured_ids = {e["id"] for e in j["measured"]} | {e["id"] for e in j["fpga"]["entries"]}
    assert all(r["subject"] in measured_ids and r["baseline"] in measured_ids for r in j["ratios"])
    text = json.dumps(j["fpga"]) + json.dumps(j["measured"]) + json.dumps(j["ratios"])
    assert "2.24" not in text and "Sarkar" not in text


def test_published_figures_have_absolute_numbers_and_full_citations():
    from edgemoe.report.published import NOT_TRANSCRIBED, PUBLISHED

    absolute = {(p.design, p.metric): (p.value, p.unit) for p in PUBLISHED if p.absolute}
    assert absolute[("CoQMoE", "throughput")] == (155.0, "frames/s")
    assert absolute[("load-aware MoE ViT accelerator", "latency")] == (16.33, "ms per frame")
    for p in PUBLISHED:   # every figure names authors, title and an arXiv id (or says why not)
        assert "arXiv:" in p.citation or "not recorded" in p.citation, p
        assert p.where
    assert any("Sarkar" in p.citation and "ICCAD 2023" in p.citation and "2305.18691" in p.citation
               for p in PUBLISHED)
    j = build_report(quick(), baseline_entries=[]).to_json()["published"]
    assert j["missing"] == NOT_TRANSCRIBED and "not transcribed" in NOT_TRANSCRIBED
    assert {f["absolute"] for f in j["figures"]} == {True, False}


def test_written_report_values_and_labels(tmp_path):
    cpu_src = FakeEnergySource()
    s = quick(declared={"cpu": declared_power("cpu", 50.0, "--cpu-power-w")})
    rep = build_report(s, [measurement_record(0.025), validate_record(example_record(), "ex.json")],
                       factory=fake_factory(0.02, cpu_src), platforms=["cpu"], candidates={"cpu": [(cpu_src, "cpu")]})
    paths = write_report(rep, tmp_path / "out")
    assert sorted(p.name for p in paths) == ["report.html", "report.json"]
    j = json.loads((tmp_path / "out" / "report.json").read_text())
    cpu = j["measured"][0]
    assert cpu["power"]["kind"] == "declared" and cpu["power"]["source"] == "declared (--cpu-power-w)"
    assert cpu["energy_per_frame_j"] == pytest.approx(50.0 * cpu["latency"]["mean_s"])
    assert cpu["latency"]["n"] == 4 and len(cpu["latency"]["samples_s"]) == 4
    fpga = j["fpga"]["entries"][0]
    assert fpga["energy_per_frame_j"] == pytest.approx(2.3 * 0.025)
    assert fpga["frames_per_joule"] == pytest.approx(1 / (2.3 * 0.025))
    assert fpga["gops_per_w"] == pytest.approx(2 * 782_719_488 / 0.025 / 1e9 / 2.3)
    assert j["model"]["macs_per_frame"] == 782_719_488
    assert [p["title"] for p in j["plots"]][:3] == ["energy per frame", "latency against power", "latency spread"]
    page = (tmp_path / "out" / "report.html").read_text()
    assert page.count("data:image/png;base64,") >= 3
    bare = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page)
    assert "<script" not in bare and "http" not in bare.lower() and "<link" not in bare  # self-contained
    for needle in ("Published figures (literature; not measured here)", "2.24 x", "4.9 x",
                   "Example records: generated test data, NOT measurements", "declared (--cpu-power-w)",
                   "board run under test", "MIXED: ", "782,719,488"):
        assert needle in page, needle
    assert page.index("Published figures") > page.index("FPGA (from measurement records)")


def test_no_record_banner(tmp_path):
    rep = build_report(quick(), factory=fake_factory(0.005), platforms=["cpu"], candidates={"cpu": []})
    write_report(rep, tmp_path)
    assert "FPGA: no measurement record given." in (tmp_path / "report.html").read_text()
    assert json.loads((tmp_path / "report.json").read_text())["fpga"]["status"] == NO_RECORD


def test_nothing_written_when_rendering_fails(tmp_path, monkeypatch):
    rep = build_report(quick(), baseline_entries=[])

    def boom(*a, **k):
        raise RuntimeError("render failed")

    monkeypatch.setattr(render, "render_html", boom)
    with pytest.raises(RuntimeError):
        write_report(rep, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_busy_machine_note():
    from edgemoe.report.build import busy_note

    assert busy_note({"logical_cpus": 4, "load_average_1_5_15_min": [0.5, 0, 0],
                      "load_average_after_baselines": [1.0, 0, 0]}) == []
    (note,) = busy_note({"logical_cpus": 2, "load_average_1_5_15_min": [0.2, 0, 0],
                         "load_average_after_baselines": [3.5, 0, 0]})
    assert "load average up to 3.5 on 2 logical CPUs" in note
