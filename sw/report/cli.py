"""``edgemoe report``: the energy-efficiency report (HTML with plots + JSON of every figure).

    edgemoe report [--out DIR] [--record FILE ...] [--batch N ...] [--runs N] [--warmup N]
                   [--threads N] [--task seg|depth] [--cpu-power-w W] [--gpu-power-w W]
                   [--fpga-power-w W] [--config FILE] [--power-basis dynamic|total] ...
    edgemoe report --write-example-record FILE

Measures the float PyTorch backbone on this machine's CPU (and CUDA GPU when
present), reads FPGA measurement records, and writes DIR/report.html and
DIR/report.json. Exit status 0 on success, 2 on a bad input (record, config,
option), with a message naming what is wrong.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .errors import ReportError


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="out/report",
                   help="output folder: new, empty or an earlier report's (only its files are replaced); "
                        "default out/report; checked for writability before anything is measured")
    p.add_argument("--force", action="store_true",
                   help="write into a non-empty folder that holds other files (they are kept)")
    p.add_argument("--record", action="append", default=None, metavar="FILE",
                   help="FPGA measurement record (JSON, docs/report.md); repeatable")
    p.add_argument("--config", metavar="FILE", help="settings and declared power (.json or .toml)")
    p.add_argument("--task", default=None, help="0|seg (default) or 1|depth")
    p.add_argument("--runs", type=int, default=None, help="timed runs per batch size (default 20)")
    p.add_argument("--warmup", type=int, default=None, help="untimed warm-up runs (default 3)")
    p.add_argument("--batch", type=int, nargs="+", default=None, metavar="N",
                   help="batch sizes to measure besides 1 (default: 1 only)")
    p.add_argument("--threads", type=int, default=None,
                   help="torch CPU threads (default: the same as edgemoe bench, 1); stated in every CPU row")
    p.add_argument("--no-gpu", action="store_true", help="skip the GPU baseline even when a GPU is present")
    p.add_argument("--cpu-power-w", type=float, default=None, metavar="W", help="declared CPU power, watts")
    p.add_argument("--gpu-power-w", type=float, default=None, metavar="W", help="declared GPU power, watts")
    p.add_argument("--fpga-power-w", type=float, default=None, metavar="W", help="declared FPGA power, watts")
    p.add_argument("--fpga-power-note", default=None, metavar="TEXT",
                   help="where the declared FPGA power comes from (e.g. the paper and table it is cited from)")
    p.add_argument("--model", choices=("sample", "uniform", "off"), default=None,
                   help="modelled FPGA row: perf-model expert queues from the sample frame (default), uniform, "
                        "or off")
    p.add_argument("--power-basis", choices=("dynamic", "total"), default=None,
                   help="measured power above the idle baseline (dynamic, default) or total")
    p.add_argument("--fpga-domains", default=None, metavar="LIST",
                   help="rail domains summed for FPGA power, comma-separated (default: pl)")
    p.add_argument("--idle-s", type=float, default=None, help="idle baseline duration, seconds (default 2)")
    p.add_argument("--interval", type=float, default=None, help="power sampling interval, seconds (default 0.05)")
    p.add_argument("--weights", default=None, help="weights folder or checkpoint (default: shared reference)")
    p.add_argument("--rapl-root", default="/sys/class/powercap", help=argparse.SUPPRESS)
    p.add_argument("--hwmon-root", default="/sys/class/hwmon", help=argparse.SUPPRESS)
    p.add_argument("--write-example-record", metavar="FILE", default=None,
                   help="write an example measurement record (test data, kind 'example') and exit")


def settings_from_args(args: argparse.Namespace):
    """Settings and records from the config file (if any) overridden by the command line."""
    from .build import Settings
    from .config import check_baseline, declared_power, load_config, parse_task
    from .records import load_record

    cfg = load_config(args.config) if args.config else {"power": {}, "baseline": {}, "records": []}
    base = dict(cfg["baseline"])
    cli = {"runs": args.runs, "warmup": args.warmup, "threads": args.threads, "idle_s": args.idle_s,
           "interval_s": args.interval, "power_basis": args.power_basis}
    cli = {k: v for k, v in cli.items() if v is not None}
    if args.batch is not None:
        cli["batch"] = args.batch
    if args.fpga_domains is not None:
        cli["fpga_domains"] = [x.strip() for x in args.fpga_domains.split(",") if x.strip()]
    base.update(check_baseline(cli, "--"))
    if args.task is not None:
        base["task"] = parse_task(args.task, "--task")
    if args.no_gpu:
        base["gpu"] = False
    if args.model is not None:
        base["model"] = args.model
    declared = dict(cfg["power"])
    if args.fpga_power_note is not None and args.fpga_power_w is None:
        from .errors import ConfigError

        raise ConfigError("--fpga-power-note describes a declared FPGA power: give the power with --fpga-power-w W")
    for plat in ("cpu", "gpu", "fpga"):
        v = getattr(args, f"{plat}_power_w")
        if v is not None:
            note = (args.fpga_power_note or "") if plat == "fpga" else ""
            declared[plat] = declared_power(plat, v, f"--{plat}-power-w", note)
    s = Settings(declared=declared, weights=args.weights, rapl_root=args.rapl_root, hwmon_root=args.hwmon_root)
    for k, v in base.items():
        if k == "batch":
            s.batches = sorted(set([1, *v]))
        elif k == "fpga_domains":
            s.fpga_domains = tuple(v)
        else:
            setattr(s, k, v)
    s.check()
    paths = list(cfg["records"]) + list(args.record or [])
    records = [load_record(p) for p in paths]
    return s, records


def _own_report_files(folder: Path) -> set[str] | None:
    """Files of an ``edgemoe report`` output written before output stamps existed."""
    from .render import HTML_NAME, JSON_NAME

    if not isinstance(json.loads((folder / JSON_NAME).read_text()), dict):
        return None
    return {JSON_NAME, HTML_NAME}


def main(args: argparse.Namespace) -> int:
    from edgemoe.cli import one_line
    from edgemoe.outdir import OutDirError, OutputDir

    outdir = None
    try:
        if args.write_example_record:
            from .records import example_record

            from edgemoe.outdir import write_file

            def _is_example(f: Path) -> bool:
                return json.loads(f.read_text()).get("kind") == "example"

            out = write_file(args.write_example_record, json.dumps(example_record(), indent=1), command="report",
                             option="--write-example-record", owned=_is_example, force=args.force)
            print(f"wrote {out} (an EXAMPLE record: generated test data, not a measurement)")
            return 0
        settings, records = settings_from_args(args)
        from .build import build_report
        from .render import write_report

        # Before measuring (tens of seconds): a folder that cannot be written fails now.
        outdir = OutputDir(args.out, command="report", force=args.force, legacy=_own_report_files)
        stage = outdir.prepare()
        report = build_report(settings, records)
        staged = write_report(report, stage)
        outdir.commit()
        paths = [Path(args.out) / Path(p).relative_to(stage) for p in staged]
    except (ReportError, OutDirError) as e:
        print(one_line(f"edgemoe report: error: {e}"), file=sys.stderr)
        return 2
    except ValueError as e:
        from edgemoe.golden.weights import WeightError

        if not isinstance(e, WeightError):
            raise
        opt = "--weights: " if getattr(args, "weights", None) else ""    # the only weight source it reads
        print(one_line(f"edgemoe report: error: {opt}{e}"), file=sys.stderr)
        return 2
    except ImportError as e:
        print(f"edgemoe report: error: {e.name or e} is not installed; install the 'report' extra "
              "(pip install -e '.[report]')", file=sys.stderr)
        return 2
    finally:
        if outdir is not None:
            outdir.abort()     # after a failure or Ctrl-C the target stays as it was (no-op after commit)
    for e in report.entries:
        lat = e.latency
        power = f"{e.power.watts:.3g} W ({e.power.kind})" if e.power.watts is not None else "no power figure"
        energy = f", {e.energy_per_frame_j * 1e3:.3g} mJ/frame" if e.energy_per_frame_j is not None else ""
        print(f"{e.id:12s} {e.name}: {lat.median_s * 1e3:.2f} ms/frame median "
              f"[{lat.min_s * 1e3:.2f}-{lat.max_s * 1e3:.2f}], {e.throughput_fps:.1f} frames/s, {power}{energy}")
    print(f"FPGA: {report.fpga_status}")
    for p in paths:
        print(f"wrote {p}")
    return 0
