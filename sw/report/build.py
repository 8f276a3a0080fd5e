"""Build the report: measure the baselines, read the records, derive every figure.

:func:`build_report` returns a :class:`Report` (nothing written);
:func:`edgemoe.report.render.write_report` writes it. Tests feed
:func:`build_report` recorded inputs (baseline results, fake power trees,
records) and check its values and labels.
"""
from __future__ import annotations

import os
import platform as _platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from .baseline import BaselineResult, cpu_name, measure
from .config import DeclaredPower
from .errors import ConfigError
from .figures import NO_POWER, Entry, PowerFigure, Ratio, ratios
from .hwmon import HwmonSource
from .macs import OPS_PER_MAC, mac_breakdown, macs_per_frame
from .nvml import NvmlSource
from .power import PowerSource
from .published import NOT_TRANSCRIBED, PUBLISHED, PublishedFigure
from .rapl import RaplSource
from .recorder import PowerSummary, record_power
from .errors import RecordError
from .records import MeasurementRecord
from .stats import LatencyStats

NO_RECORD = "no measurement record given"
SIMULATION_SOURCES = {"rtl-sim": "RTL simulation", "hls-cosim": "HLS co-simulation"}
"""Record sources whose latency is CYCLES at the clock, and how the report labels them."""


def bench_default_threads() -> int:
    """The torch thread count ``edgemoe bench`` uses by default (read from its argument parser)."""
    import argparse

    from edgemoe.bench import add_arguments

    p = argparse.ArgumentParser()
    add_arguments(p)
    return int(p.get_default("threads"))


@dataclass
class Settings:
    """What to measure and how. Times in seconds; ``batches`` always includes 1."""

    task: int = 0
    runs: int = 20
    warmup: int = 3
    batches: list[int] = field(default_factory=lambda: [1])
    threads: int | None = field(default_factory=bench_default_threads)
    gpu: bool = True
    idle_s: float = 2.0
    interval_s: float = 0.05
    power_basis: str = "dynamic"
    fpga_domains: tuple[str, ...] = ("pl",)
    declared: dict[str, DeclaredPower] = field(default_factory=dict)
    weights: str | None = None
    rapl_root: str = "/sys/class/powercap"
    hwmon_root: str = "/sys/class/hwmon"
    model: str = "sample"  # modelled group: perf-model queue counts "sample" | "uniform", or "off"

    def check(self) -> None:
        """Raise :class:`ConfigError` for settings that cannot work together."""
        if self.task not in (0, 1):
            raise ConfigError(f"unknown task {self.task!r}: expected 0 (seg) or 1 (depth)")
        if self.runs < 1 or self.warmup < 0:
            raise ConfigError(f"need --runs >= 1 and --warmup >= 0, found {self.runs} and {self.warmup}")
        if any(b < 1 for b in self.batches):
            raise ConfigError(f"batch sizes must be >= 1, found {self.batches}")
        if self.power_basis not in ("dynamic", "total"):
            raise ConfigError(f"unknown power basis {self.power_basis!r}: expected 'dynamic' or 'total'")
        if self.power_basis == "dynamic" and self.idle_s <= 0:
            raise ConfigError("power basis 'dynamic' subtracts an idle baseline, so it needs --idle-s > 0 "
                              f"(found {self.idle_s}); or use --power-basis total")
        if not self.interval_s > 0:
            raise ConfigError(f"--interval must be > 0 seconds, found {self.interval_s}")
        if self.threads is not None and self.threads < 1:
            raise ConfigError(f"--threads must be >= 1, found {self.threads}")
        if self.model not in ("sample", "uniform", "off"):
            raise ConfigError(f"unknown --model {self.model!r}: expected 'sample', 'uniform' or 'off'")


@dataclass
class SourceStatus:
    """A power source as probed for one platform: usable or not, and why."""

    platform: str
    kind: str
    domain: str
    ok: bool
    reason: str
    used: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"platform": self.platform, "source": self.kind, "domain": self.domain, "available": self.ok,
                "detail": self.reason, "used": self.used}


@dataclass
class Report:
    """Everything the HTML and JSON show. Plain data; see :meth:`to_json`."""

    generated_at: str
    host: dict[str, Any]
    model: dict[str, Any]
    settings: dict[str, Any]
    sources: list[SourceStatus]
    entries: list[Entry]
    fpga_status: str
    ratios: list[Ratio]
    published: tuple[PublishedFigure, ...]
    notes: list[str]
    traces: list[tuple[str, np.ndarray, np.ndarray]] = field(default_factory=list)

    def group(self, name: str) -> list[Entry]:
        return [e for e in self.entries if e.group == name]

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": "edgemoe.report", "schema_version": 1,
            "generated_at": self.generated_at, "host": self.host, "model": self.model, "settings": self.settings,
            "power_sources": [s.to_json() for s in self.sources],
            "measured": [e.to_json() for e in self.group("measured")],
            "fpga": {"status": self.fpga_status, "entries": [e.to_json() for e in self.group("fpga")]},
            "example": {"label": "example records: generated test data, not measurements",
                        "entries": [e.to_json() for e in self.group("example")]},
            "modelled": {"label": "modelled (performance model and Yosys estimates), not measured",
                         "entries": [e.to_json() for e in self.group("modelled")]},
            "ratios": [r.to_json() for r in self.ratios],
            "published": {"label": "published figures (literature), not measured here",
                          "figures": [p.to_json() for p in self.published], "missing": NOT_TRANSCRIBED},
            "notes": self.notes,
        }


# ---------------------------------------------------------------------------------------------- power

CandidateList = Sequence[tuple[PowerSource, str]]


def default_candidates(settings: Settings, platform: str) -> list[tuple[PowerSource, str]]:
    """Power sources to try for a platform, in order of preference, each with the domain it reports."""
    if platform == "cpu":
        return [(RaplSource(settings.rapl_root), "cpu"),
                (HwmonSource(settings.hwmon_root, domains=("ps",), detail=False), "ps")]
    if platform == "gpu":
        return [(NvmlSource(0), "gpu")]
    raise ValueError(f"no power sources for platform {platform!r}")


def pick_source(platform: str, candidates: CandidateList) -> tuple[PowerSource | None, str, list[SourceStatus]]:
    """The first available candidate (or None), its domain, and the status of every candidate."""
    statuses, chosen, dom = [], None, ""
    for src, domain in candidates:
        av = src.probe()
        st = SourceStatus(platform, src.kind, domain, av.ok, av.reason)
        if av.ok and chosen is None:
            chosen, dom, st.used = src, domain, True
        statuses.append(st)
    return chosen, dom, statuses


def measure_idle(source: PowerSource, domain: str, idle_s: float, interval_s: float) -> float | None:
    """Mean power (W) of ``domain`` while this process sleeps ``idle_s`` seconds."""
    return record_power(lambda: time.sleep(idle_s), [source], interval_s).summary.domain_w(domain, "total")


def baseline_power(res: BaselineResult, domain: str, idle_w: float | None, basis: str,
                   declared: DeclaredPower | None, idle_s: float) -> tuple[PowerFigure, list[dict]]:
    """The power figure of a baseline (declared wins when given) and the alternatives not used."""
    measured = NO_POWER
    if res.trace is not None:
        s: PowerSummary = res.trace.summary
        total = s.domain_w(domain, "total")
        if total is not None:
            names = ", ".join(c.channel.name for c in s.in_domain(domain))
            how = f"{' + '.join(res.trace.source_kinds)} [{names}], mean over the timed runs"
            if basis == "dynamic" and idle_w is not None:
                measured = PowerFigure(total - idle_w, "measured",
                                       f"measured: {how}, minus idle {idle_w:.3f} W (mean over {idle_s:g} s asleep)",
                                       "dynamic", total, idle_w)
            else:
                measured = PowerFigure(total, "measured", f"measured: {how} (total, idle not subtracted)",
                                       "total", total, idle_w)
    if declared is not None:
        alt = [measured.to_json()] if measured.kind != "none" else []
        note = "declared figure used as given" + ("; the measured figure is listed under alternatives" if alt else "")
        return PowerFigure(declared.watts, "declared", declared.label, "declared", note=note), alt
    return measured, []


def baseline_entry(res: BaselineResult, power: PowerFigure, alternatives: list[dict]) -> Entry:
    """Report entry of a measured CPU or GPU baseline."""
    threads = f", {res.threads} torch thread{'' if res.threads == 1 else 's'}" if res.threads else ""
    sync = ", CUDA synchronised after each run" if res.platform == "gpu" else ""
    name = f"{res.platform.upper()}: {res.device_name}, float32 PyTorch{threads}"
    return Entry(
        id=f"{res.platform}-b{res.batch}", group="measured", platform=res.platform, name=name, batch=res.batch,
        latency=res.latency, latency_kind="measured",
        latency_source=(f"measured: time.perf_counter over {res.runs} timed runs after {res.warmup} warm-up "
                        f"runs, batch {res.batch}, per frame = run / batch{threads}{sync}"),
        power=power, alternatives=alternatives, short=f"{res.platform.upper()} b{res.batch}",
        details={"device": res.device_name, "threads": res.threads, "implementation": res.implementation,
                 "runs": res.runs, "warmup": res.warmup, "run_s": [float(x) for x in res.run_s]},
    )


# ---------------------------------------------------------------------------------------------- records

def record_latency(rec: MeasurementRecord) -> tuple[LatencyStats, str, str]:
    """Per-frame latency of a record, its kind and its source text.

    Board records: the record's measured latency. Simulation records (``rtl-sim``,
    ``hls-cosim``): ``cycles_per_frame`` at ``clock_mhz`` (the CYCLES register),
    never the host's wall time of the simulation; a simulation record without
    ``cycles_per_frame`` is refused (:class:`RecordError`). Other records (e.g. the
    instruction-set model, source ``other``): their CYCLES at the clock when given,
    labelled "reported", else their ``latency_s``.
    """
    if rec.is_example:
        return rec.latency, "example", f"EXAMPLE data: {rec.frames} frames at {rec.clock_mhz:g} MHz (record {rec.path})"
    if rec.source in SIMULATION_SOURCES:
        what = SIMULATION_SOURCES[rec.source]
        if rec.cycles_per_frame is None:
            raise RecordError(f"{rec.path}: cycles_per_frame: expected the CYCLES register of the run (a "
                              f"{what} record's latency is its cycles at clock_mhz, not host time), found nothing")
        t = rec.cycles_per_frame / (rec.clock_mhz * 1e6)
        lat = LatencyStats(n=rec.frames, median_s=t, mean_s=t, std_s=0.0, min_s=t, max_s=t)
        return lat, "simulated", (f"{what}: CYCLES {rec.cycles_per_frame:,.0f} per frame at {rec.clock_mhz:g} MHz, "
                                  f"{rec.frames} frame(s) (record {rec.path})")
    if rec.source == "board":
        return rec.latency, "measured", f"measured on the board: {rec.frames} frames at {rec.clock_mhz:g} MHz " \
                                        f"(record {rec.path})"
    if rec.cycles_per_frame is not None:  # e.g. the instruction-set model: its CYCLES, not the host's time
        t = rec.cycles_per_frame / (rec.clock_mhz * 1e6)
        lat = LatencyStats(n=rec.frames, median_s=t, mean_s=t, std_s=0.0, min_s=t, max_s=t)
        return lat, "reported", (f"reported CYCLES {rec.cycles_per_frame:,.0f} per frame at {rec.clock_mhz:g} MHz "
                                 f"(source {rec.source}; host time not used), {rec.frames} frame(s) (record {rec.path})")
    return rec.latency, "reported", (f"reported by the record (source {rec.source}): {rec.frames} frames at "
                                     f"{rec.clock_mhz:g} MHz (record {rec.path})")


def record_entries(rec: MeasurementRecord, index: int, settings: Settings) -> list[Entry]:
    """Report entries of an FPGA measurement record (group "fpga", or "example" for example data).

    Power: the record's rails in ``settings.fpga_domains`` when it has any; a
    declared FPGA power (``--fpga-power-w``) when it has none. When a record
    has rails *and* a power is declared, both are shown: the entry with the
    measured rails and a second entry (id suffix ``-declared``) with the
    declared figure; the declared figure never replaces the measured one.
    """
    ex = rec.is_example
    latency, lat_kind, lat_src = record_latency(rec)
    declared = settings.declared.get("fpga")
    measured = None
    if rec.has_power:
        w, idle, rails = rec.power_w(settings.fpga_domains, settings.power_basis)
        total = float(sum(r.mean_w for r in rails))
        names = ", ".join(f"{r.chip} {r.label}" for r in rails)
        basis_txt = "minus the record's idle baseline" if settings.power_basis == "dynamic" else "total"
        measured = PowerFigure(w, "example" if ex else "measured",
                               f"{'EXAMPLE data' if ex else 'measured'}: {rec.power_method}, "
                               f"{'+'.join(settings.fpga_domains).upper()} rails [{names}], {basis_txt} "
                               f"(record {rec.path})", settings.power_basis, total, idle)
    declared_fig = None
    if declared is not None:
        declared_fig = PowerFigure(declared.watts, "declared", declared.label, "declared",
                                   note="declared figure used as given"
                                   + ("; the record's measured rails are shown in their own row" if measured else ""))
    if measured is not None:
        powers = [("", measured)] + ([("-declared", declared_fig)] if declared_fig is not None else [])
    elif declared_fig is not None:
        powers = [("", declared_fig)]
    else:
        powers = [("", PowerFigure(None, "none", f"no power in the record (source {rec.source}); "
                                                  "declare one with --fpga-power-w"))]
    what = SIMULATION_SOURCES.get(rec.source, "board" if rec.source == "board" else rec.source)
    base_id = f"{'example' if ex else 'fpga'}-{index}"
    out = []
    for suffix, power in powers:
        name = rec.display_name
        if rec.source in SIMULATION_SOURCES and what not in name:
            name = f"{name} ({what})"
        if suffix:
            name = f"{name}, with the declared power"
        out.append(Entry(
            id=base_id + suffix, group="example" if ex else "fpga", platform="fpga",
            name=name, batch=rec.batch, latency=latency, latency_kind=lat_kind, latency_source=lat_src,
            power=power, short=f"FPGA {rec.source} b{rec.batch} #{index}{' decl.' if suffix else ''}",
            details={"record": rec.path, "kind": rec.kind, "source": rec.source, "board": rec.board,
                     "part": rec.part, "clock_mhz": rec.clock_mhz, "task": rec.task, "frames": rec.frames,
                     "commit": rec.commit, "bitstream": rec.bitstream, "started_at": rec.started_at,
                     "finished_at": rec.finished_at, "cycles_per_frame": rec.cycles_per_frame, "notes": rec.notes,
                     "record_latency_s": rec.latency.to_json()},
        ))
    return out


def record_entry(rec: MeasurementRecord, index: int, settings: Settings) -> Entry:
    """The first entry of :func:`record_entries` (the one with the record's own power, if any)."""
    return record_entries(rec, index, settings)[0]


def record_trace(rec: MeasurementRecord, domains: Sequence[str]) -> tuple[str, np.ndarray, np.ndarray] | None:
    rails = [r for r in rec.rails if r.domain in domains]
    if not rails or rec.interval_s is None or len({r.watts.size for r in rails}) != 1:
        return None
    w = np.sum([r.watts for r in rails], axis=0)
    tag = "EXAMPLE " if rec.is_example else ""
    return f"{tag}FPGA {'+'.join(domains).upper()} ({Path(rec.path).name})", np.arange(w.size) * rec.interval_s, w


# ---------------------------------------------------------------------------------------------- build

RunnerFactory = Callable[[str, int], tuple[Callable[[], object], Callable[[], None] | None, str, str]]
"""(platform, batch) -> (run one batch, sync or None, device name, implementation description)."""


def torch_runner_factory(settings: Settings, image: np.ndarray) -> RunnerFactory:
    """Runners of the float reference (:class:`~edgemoe.golden.float_model.FloatBackbone`) on the CPU or the first CUDA GPU."""
    import torch

    from edgemoe.golden.weights import load_weights

    from edgemoe.golden.float_model import FloatBackbone

    from .baseline import make_runner

    weights = load_weights(settings.weights, heads=False)
    models: dict[str, FloatBackbone] = {}

    def factory(platform: str, batch: int):
        dev = "cuda" if platform == "gpu" else "cpu"
        if platform not in models:
            models[platform] = FloatBackbone(weights, device=dev)
        run = make_runner(models[platform], image, batch, settings.task)
        sync = torch.cuda.synchronize if dev == "cuda" else None
        name = torch.cuda.get_device_name(0) if dev == "cuda" else cpu_name()
        return run, sync, name, "edgemoe.golden.float_model.FloatBackbone (float32, batched)"

    factory.weights_note = weights.describe_synthetic()  # type: ignore[attr-defined]
    factory.weights_source = weights.source  # type: ignore[attr-defined]
    return factory


def run_baselines(settings: Settings, factory: RunnerFactory, platforms: Sequence[str],
                  candidates: dict[str, CandidateList] | None = None
                  ) -> tuple[list[Entry], list[SourceStatus], list[tuple[str, np.ndarray, np.ndarray]]]:
    """Measure every platform at every batch size; entries, power-source statuses and power traces."""
    entries, statuses, traces = [], [], []
    for plat in platforms:
        cands = (candidates or {}).get(plat)
        if cands is None:
            cands = default_candidates(settings, plat)
        src, domain, st = pick_source(plat, cands)
        statuses += st
        idle_w = None
        if src is not None and settings.idle_s > 0:  # shown with basis "total", subtracted with "dynamic"
            idle_w = measure_idle(src, domain, settings.idle_s, settings.interval_s)
        for b in sorted(set([1, *settings.batches])):
            run, sync, name, impl = factory(plat, b)
            threads = None
            if plat == "cpu":
                import torch

                threads = torch.get_num_threads()
            res = measure(plat, run, batch=b, runs=settings.runs, warmup=settings.warmup,
                          sources=[src] if src is not None else [], interval=settings.interval_s, sync=sync,
                          device_name=name, threads=threads, implementation=impl)
            power, alts = baseline_power(res, domain, idle_w, settings.power_basis, settings.declared.get(plat),
                                         settings.idle_s)
            entries.append(baseline_entry(res, power, alts))
            if res.trace is not None and res.trace.channels:
                cols = [k for k, c in enumerate(res.trace.channels) if c.domain == domain]
                traces.append((f"{plat.upper()} batch {b} ({res.trace.source_kinds[0]})", res.trace.t,
                               res.trace.watts[:, cols].sum(axis=1)))
    return entries, statuses, traces


def host_info() -> dict[str, Any]:
    import torch

    info: dict[str, Any] = {
        "cpu": cpu_name(), "logical_cpus": os.cpu_count(), "os": _platform.platform(),
        "python": sys.version.split()[0], "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
    }
    if hasattr(os, "getloadavg"):
        info["load_average_1_5_15_min"] = [round(x, 2) for x in os.getloadavg()]
    return info


def busy_note(host: dict[str, Any]) -> list[str]:
    """A warning when the 1-minute load average reached half the logical CPUs around the baselines."""
    cpus = host.get("logical_cpus") or 1
    loads = [host.get(k, [0.0])[0] for k in ("load_average_1_5_15_min", "load_average_after_baselines")]
    peak = max(loads)
    if peak < 0.5 * cpus:
        return []
    return [f"The machine was busy while the baselines ran (1-minute load average up to {peak:g} on {cpus} "
            "logical CPUs): the CPU latencies include contention with other processes. Re-run on a quiet "
            "machine for figures to publish."]


def build_report(settings: Settings, records: Sequence[MeasurementRecord] = (), *,
                 factory: RunnerFactory | None = None, platforms: Sequence[str] | None = None,
                 candidates: dict[str, CandidateList] | None = None, image_note: str = "",
                 weights_note: str = "", baseline_entries: Sequence[Entry] | None = None,
                 source_statuses: Sequence[SourceStatus] = ()) -> Report:
    """Measure and assemble the report.

    Without ``factory`` the float PyTorch backbone is measured on the CPU
    (and the GPU when one is present and ``settings.gpu``). ``platforms``
    overrides which are measured; ``candidates`` the power sources tried per
    platform; ``baseline_entries`` skips measuring and uses the given entries
    (for tests and re-rendering).
    """
    settings.check()
    if settings.threads is not None:
        import torch

        torch.set_num_threads(settings.threads)
    notes: list[str] = []
    host = host_info()
    statuses: list[SourceStatus] = list(source_statuses)
    traces: list[tuple[str, np.ndarray, np.ndarray]] = []
    if baseline_entries is not None:
        entries = list(baseline_entries)
    else:
        if platforms is None:
            from .baseline import gpu_present

            platforms = ["cpu"]
            present, gpu_desc = gpu_present()
            if settings.gpu and present:
                platforms.append("gpu")
            else:
                statuses.append(SourceStatus("gpu", "CUDA GPU", "gpu", False,
                                             gpu_desc if not present else "skipped (--no-gpu)"))
                notes.append(f"GPU baseline: {gpu_desc if not present else 'skipped (--no-gpu)'}.")
        if factory is None:
            from edgemoe.golden.sample import sample_frame

            image, image_note = sample_frame()
            factory = torch_runner_factory(settings, image)
            weights_note = (f"{factory.weights_note} (weights from {factory.weights_source})"  # type: ignore
                            if not weights_note else weights_note)
        entries, st, traces = run_baselines(settings, factory, platforms, candidates)
        statuses += st
        if hasattr(os, "getloadavg"):
            host["load_average_after_baselines"] = [round(x, 2) for x in os.getloadavg()]
            notes.extend(busy_note(host))
        if any(x.used and x.kind == RaplSource.kind for x in st):
            notes.append("RAPL measures the whole CPU package: other processes running meanwhile are counted too; "
                         "the idle baseline is subtracted only with power basis 'dynamic'.")
    if "gpu" in settings.declared and not any(e.platform == "gpu" for e in entries):
        notes.append(f"--gpu-power-w {settings.declared['gpu'].watts:g} W was declared but no GPU was measured, "
                     "so it is not used.")
    for i, rec in enumerate(records, 1):
        entries.extend(record_entries(rec, i, settings))
        tr = record_trace(rec, settings.fpga_domains)
        if tr is not None:
            traces.append(tr)
        if rec.task != settings.task:
            notes.append(f"record {rec.path} ran task {rec.task}, the baselines task {settings.task} "
                         "(the backbone's MAC count is the same for both tasks).")
    real = [r for r in records if not r.is_example]
    fpga_status = NO_RECORD
    if real:
        kinds: dict[str, int] = {}
        for r in real:
            k = SIMULATION_SOURCES.get(r.source, r.source)
            kinds[k] = kinds.get(k, 0) + 1
        fpga_status = f"{len(real)} measurement record(s): " + ", ".join(f"{n} {k}" for k, n in kinds.items())
    if settings.model != "off":
        from .modelled import modelled_entry

        entries.append(modelled_entry(settings.task, settings.declared.get("fpga"), settings.model))
    if not real and "fpga" in settings.declared:
        notes.append(f"--fpga-power-w {settings.declared['fpga'].watts:g} W was declared, but without a "
                     "measurement record there is no measured or simulated FPGA latency to combine it with"
                     + (" (only the modelled row uses it)." if settings.model != "off" else "."))
    if any(r.is_example for r in records):
        notes.append("Example records are generated test data: they appear only in their own group and never "
                     "as measurements.")
    breakdown = mac_breakdown()
    model = {
        "name": "M3ViT backbone (Cityscapes configuration), float32",
        "task": settings.task, "macs_per_frame": macs_per_frame(), "gmac_per_frame": macs_per_frame() / 1e9,
        "ops_per_mac": OPS_PER_MAC, "mac_breakdown": breakdown,
        "weights": weights_note, "image": image_note,
    }
    s = {k: v for k, v in vars(settings).items() if k != "declared"}
    s["declared"] = {k: {"watts": d.watts, "origin": d.origin, "note": d.note} for k, d in settings.declared.items()}
    s["fpga_domains"] = list(settings.fpga_domains)
    return Report(
        generated_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), host=host, model=model, settings=s,
        sources=statuses, entries=entries, fpga_status=fpga_status, ratios=ratios(entries), published=PUBLISHED,
        notes=notes, traces=traces,
    )
