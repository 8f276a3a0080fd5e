"""`edgemoe report` command line and config files: overrides, declared power, clear errors."""
from __future__ import annotations

import argparse
import json

import pytest

from edgemoe.report import cli
from edgemoe.report.config import load_config, parse_task
from edgemoe.report.errors import ConfigError
from edgemoe.report.records import example_record


def parse(argv):
    p = argparse.ArgumentParser()
    cli.add_arguments(p)
    return p.parse_args(argv)


def test_toml_config_and_cli_override(tmp_path):
    rec = tmp_path / "runs" / "ex.json"
    rec.parent.mkdir()
    rec.write_text(json.dumps(example_record()))
    cfg = tmp_path / "report.toml"
    cfg.write_text('records = ["runs/ex.json"]\n[power]\ncpu_w = 65.0\ncpu_note = "TDP"\nfpga_w = 8\n'
                   '[baseline]\nruns = 7\nbatch = [8, 2]\ntask = "depth"\nidle_s = 0.5\n')
    s, records = cli.settings_from_args(parse(["--config", str(cfg), "--runs", "3", "--cpu-power-w", "80"]))
    assert s.runs == 3 and s.batches == [1, 2, 8] and s.task == 1 and s.idle_s == 0.5
    assert s.declared["cpu"].watts == 80.0 and s.declared["cpu"].label == "declared (--cpu-power-w)"
    assert s.declared["fpga"].watts == 8.0 and s.declared["fpga"].label == "declared (report.toml: power.fpga_w)"
    assert len(records) == 1 and records[0].is_example


def test_json_config(tmp_path):
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({"power": {"gpu_w": 300}, "baseline": {"power_basis": "total", "gpu": False}}))
    c = load_config(cfg)
    assert c["power"]["gpu"].watts == 300.0 and c["baseline"] == {"power_basis": "total", "gpu": False}


@pytest.mark.parametrize("text,needle", [
    ('[baseline]\nrunz = 3\n', "unknown key(s) baseline.['runz']"),
    ('[power]\ncpu_w = -5\n', "power.cpu_w: expected a power in watts > 0, found -5"),
    ('[power]\ncpu = 5\n', "unknown key(s) power.['cpu']"),
    ('[baseline]\nbatch = [0]\n', "baseline.batch: expected a batch size >= 1"),
    ('[baseline]\ntask = "segmentation"\n', "unknown task 'segmentation'"),
    ('[baseline]\npower_basis = "idle"\n', "power_basis: expected one of ('dynamic', 'total')"),
    ('extra = 1\n', "unknown key(s) ['extra']"),
    ('[power\n', "invalid TOML"),
])
def test_bad_config_messages(tmp_path, text, needle):
    p = tmp_path / "bad.toml"
    p.write_text(text)
    with pytest.raises(ConfigError) as ei:
        load_config(p)
    assert needle in str(ei.value) and "bad.toml" in str(ei.value)


def test_config_suffix_and_missing(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "none.toml")
    (tmp_path / "c.yaml").write_text("a: 1")
    with pytest.raises(ConfigError, match=r"expected a \.json or \.toml file"):
        load_config(tmp_path / "c.yaml")


def test_parse_task():
    assert parse_task("seg", "x") == 0 and parse_task("depth", "x") == 1 and parse_task(1, "x") == 1
    with pytest.raises(ConfigError, match="--task: unknown task '2'"):
        parse_task("2", "--task")


@pytest.mark.parametrize("argv,needle", [
    (["--task", "2"], "unknown task '2'"),
    (["--runs", "0"], "--runs: expected an integer >= 1, found 0"),
    (["--cpu-power-w", "0"], "--cpu-power-w: expected a power in watts > 0"),
    (["--idle-s", "0"], "needs --idle-s > 0"),
    (["--fpga-domains", "pl,xyz"], "--fpga-domains: expected a non-empty list"),
    (["--fpga-power-note", "paper"], "--fpga-power-note describes a declared FPGA power: give the power with "
                                     "--fpga-power-w W"),
    (["--threads", "0"], "--threads: expected an integer >= 1, found 0"),
])
def test_bad_options_exit_2_with_message(argv, needle, capsys, tmp_path):
    assert cli.main(parse(argv + ["--out", str(tmp_path / "o")])) == 2
    err = capsys.readouterr().err
    assert err.startswith("edgemoe report: error: ") and needle in err
    assert not (tmp_path / "o").exists()


def test_bad_record_exit_2_and_nothing_written(capsys, tmp_path):
    bad = example_record()
    bad["latency_s"]["samples"][0] = 0
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(bad))
    assert cli.main(parse(["--record", str(p), "--out", str(tmp_path / "o")])) == 2
    err = capsys.readouterr().err
    assert f"{p}: field 'latency_s.samples[0]': expected a positive number" in err
    assert not (tmp_path / "o").exists()


def test_write_example_record(tmp_path, capsys):
    out = tmp_path / "ex.json"
    assert cli.main(parse(["--write-example-record", str(out)])) == 0
    assert json.loads(out.read_text())["kind"] == "example"
    assert "EXAMPLE" in capsys.readouterr().out


def test_end_to_end_on_this_machine(tmp_path, capsys):
    """The real command: float PyTorch backbone on this CPU, tiny run counts."""
    rec = tmp_path / "ex.json"
    rec.write_text(json.dumps(example_record()))
    argv = ["--out", str(tmp_path / "rep"), "--runs", "2", "--warmup", "0", "--threads", "1",
            "--power-basis", "total", "--cpu-power-w", "40", "--record", str(rec), "--no-gpu", "--model", "uniform"]
    assert cli.main(parse(argv)) == 0
    j = json.loads((tmp_path / "rep" / "report.json").read_text())
    (cpu,) = j["measured"]
    assert cpu["id"] == "cpu-b1" and cpu["latency"]["n"] == 2 and cpu["details"]["threads"] == 1
    assert cpu["name"].endswith(", 1 torch thread") and "1 torch thread" in cpu["latency"]["source"]
    assert cpu["power"]["kind"] == "declared" and cpu["power"]["watts"] == 40.0
    assert cpu["energy_per_frame_j"] == pytest.approx(40.0 * cpu["latency"]["mean_s"])
    assert j["fpga"]["status"] == "no measurement record given"
    assert j["example"]["entries"][0]["power"]["kind"] == "example"
    out = capsys.readouterr().out
    assert "cpu-b1" in out and "FPGA: no measurement record given" in out
    assert [e["id"] for e in j["modelled"]["entries"]] == ["model-1"] and "model-1" in out


def test_cli_defaults_threads_model_and_declared_note():
    s, _ = cli.settings_from_args(parse([]))
    assert s.threads == 1 and s.model == "sample"          # 1 thread: the default of `edgemoe bench`
    s, _ = cli.settings_from_args(parse(["--fpga-power-w", "7.5", "--fpga-power-note", "Table 3 of the paper",
                                         "--model", "off", "--threads", "2"]))
    assert s.declared["fpga"].label == "declared (--fpga-power-w): Table 3 of the paper"
    assert s.model == "off" and s.threads == 2


def test_bad_weights_folder_exit_2(capsys, tmp_path):
    argv = ["--weights", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o"), "--power-basis", "total"]
    assert cli.main(parse(argv)) == 2
    err = capsys.readouterr().err
    assert "edgemoe report: error: " in err and "nowhere" in err and "does not exist" in err
    assert not (tmp_path / "o").exists()
