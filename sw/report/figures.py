"""Report figures: one entry per platform and batch, derived figures and ratios.

Definitions (per frame of the M3ViT backbone; ``t`` latency in s, ``P`` power in W):

* latency: median over runs of (run time / batch), with mean, std, min, max;
* throughput (frames/s) = 1 / mean latency (frames over the total timed time);
* energy per frame (J) = ``P`` x mean latency (= energy over the timed runs / frames);
* frames per joule = 1 / energy per frame;
* GOPS = 2 x MACs / mean latency / 1e9, with MACs from :mod:`edgemoe.report.macs`;
* GOPS/W = GOPS / ``P``.

``P`` is the figure of the entry's :class:`PowerFigure`: measured (above the
idle baseline with basis "dynamic", total with "total"), declared (as the user
gave it), example (from an example record) or none (then no energy figure).
Every derived figure carries a label saying what it was derived from, and
ratios say when they compare figures of different kinds ("mixed").
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .macs import OPS_PER_MAC, macs_per_frame
from .stats import LatencyStats

POWER_KINDS = ("measured", "declared", "example", "none")
LATENCY_KINDS = ("measured", "simulated", "reported", "example", "modelled")


@dataclass(frozen=True)
class PowerFigure:
    """The power used for an entry's energy figures, with its provenance.

    ``watts`` is the figure used (None: no power); ``kind`` one of
    :data:`POWER_KINDS`; ``source`` the label shown with it; ``total_w`` and
    ``idle_w`` the measured total and idle power when known; ``basis``
    "dynamic", "total" or "declared".
    """

    watts: float | None
    kind: str
    source: str
    basis: str = ""
    total_w: float | None = None
    idle_w: float | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if self.kind not in POWER_KINDS:
            raise ValueError(f"unknown power kind {self.kind!r}, expected one of {POWER_KINDS}")
        if self.kind == "none" and self.watts is not None:
            raise ValueError("a power figure of kind 'none' has no watts")

    def to_json(self) -> dict[str, Any]:
        return {"watts": self.watts, "kind": self.kind, "source": self.source, "basis": self.basis,
                "total_w": self.total_w, "idle_w": self.idle_w, "note": self.note}


NO_POWER = PowerFigure(None, "none", "no power figure")


@dataclass
class Entry:
    """One row of the report: a platform at a batch size with its latency and power.

    ``group`` is "measured" (baselines on this machine), "modelled" (the
    performance model: :mod:`edgemoe.report.modelled`), "fpga" (from
    measurement records) or "example" (example records: test data).
    """

    id: str
    group: str
    platform: str
    name: str
    batch: int
    latency: LatencyStats
    latency_kind: str
    latency_source: str
    power: PowerFigure = NO_POWER
    details: dict[str, Any] = field(default_factory=dict)
    alternatives: list[dict[str, Any]] = field(default_factory=list)
    macs: int = field(default_factory=macs_per_frame)
    short: str = ""

    @property
    def short_name(self) -> str:
        """A short name for plots: ``short`` or platform and batch."""
        return self.short or f"{self.platform.upper()} b{self.batch}"

    @property
    def throughput_fps(self) -> float:
        return 1.0 / self.latency.mean_s

    @property
    def energy_per_frame_j(self) -> float | None:
        if self.power.watts is None or self.power.watts <= 0:
            return None
        return self.power.watts * self.latency.mean_s

    @property
    def frames_per_joule(self) -> float | None:
        e = self.energy_per_frame_j
        return None if e is None else 1.0 / e

    @property
    def gops(self) -> float:
        return OPS_PER_MAC * self.macs / self.latency.mean_s / 1e9

    @property
    def gops_per_w(self) -> float | None:
        if self.power.watts is None or self.power.watts <= 0:
            return None
        return self.gops / self.power.watts

    @property
    def energy_source(self) -> str:
        """What the energy figures were derived from, e.g. 'measured latency x declared power'."""
        if self.energy_per_frame_j is None:
            if self.power.kind == "none":
                return "no power figure, so no energy figure"
            return f"power {self.power.watts} W is not > 0, so no energy figure"
        return f"{self.latency_kind} latency x {self.power.kind} power"

    @property
    def kinds(self) -> set[str]:
        return {self.latency_kind, self.power.kind}

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "group": self.group, "platform": self.platform, "name": self.name, "batch": self.batch,
            "latency": self.latency.to_json() | {"kind": self.latency_kind, "source": self.latency_source},
            "throughput_fps": self.throughput_fps,
            "power": self.power.to_json(),
            "energy_per_frame_j": self.energy_per_frame_j,
            "frames_per_joule": self.frames_per_joule,
            "gops": self.gops, "gops_per_w": self.gops_per_w,
            "derived_from": self.energy_source,
            "macs_per_frame": self.macs,
            "details": self.details, "alternatives": self.alternatives,
        }


@dataclass(frozen=True)
class Ratio:
    """``subject`` over ``baseline`` for one metric (>1: subject better), with the kinds compared."""

    subject: str
    baseline: str
    metric: str
    value: float
    basis: str
    mixed: bool
    group: str

    def to_json(self) -> dict[str, Any]:
        return {"subject": self.subject, "baseline": self.baseline, "metric": self.metric, "value": self.value,
                "basis": self.basis, "mixed": self.mixed, "group": self.group}


RATIO_METRICS = {
    "energy efficiency (frames per joule)": "energy",
    "throughput (frames/s)": "throughput",
    "speed-up (median latency)": "latency",
}


def _basis(s: Entry, b: Entry, what: str) -> tuple[str, bool]:
    if what == "energy":
        sk = f"{s.latency_kind} latency, {s.power.kind} power"
        bk = f"{b.latency_kind} latency, {b.power.kind} power"
        kinds = s.kinds | b.kinds
    else:
        sk, bk = f"{s.latency_kind} latency", f"{b.latency_kind} latency"
        kinds = {s.latency_kind, b.latency_kind}
    mixed = kinds != {"measured"}
    text = f"{sk} vs {bk}"
    return ("MIXED: " + text if mixed else text), mixed


def ratios(entries: list[Entry]) -> list[Ratio]:
    """Ratios of every FPGA/example/GPU entry against every CPU and GPU baseline entry.

    FPGA and example entries are compared with each measured CPU and GPU
    entry, GPU entries with each CPU entry. Energy ratios need both energy
    figures; they are left out otherwise.
    """
    out: list[Ratio] = []
    baselines = [e for e in entries if e.group == "measured"]
    for s in entries:
        for b in baselines:
            if s is b or s.platform == b.platform or (s.platform == "gpu" and b.platform != "cpu"):
                continue
            if s.platform not in ("fpga", "gpu"):
                continue
            group = s.group if s.group in ("example", "modelled") else "measured"
            for metric, what in RATIO_METRICS.items():
                if what == "energy":
                    if s.frames_per_joule is None or b.frames_per_joule is None:
                        continue
                    v = s.frames_per_joule / b.frames_per_joule
                elif what == "throughput":
                    v = s.throughput_fps / b.throughput_fps
                else:
                    v = b.latency.median_s / s.latency.median_s
                basis, mixed = _basis(s, b, what)
                out.append(Ratio(s.id, b.id, metric, v, basis, mixed, group))
    return out
