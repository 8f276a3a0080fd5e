"""Record power while a callable runs: the notebook API.

    from edgemoe.report import record_power, HwmonSource
    trace = record_power(lambda: overlay.run(frames), [HwmonSource()], interval=0.05, idle_s=5)
    trace.summary.domain_w("pl")            # mean PL power while running, W
    trace.summary.domain_w("pl", "dynamic") # the same above the idle baseline
    trace.result                            # what the callable returned

Sampling: every source is read once before the callable starts, every
``interval`` seconds from a background thread while it runs, and once after
it returns. With ``idle_s > 0`` the same is done first while sleeping
``idle_s`` seconds: that is the idle baseline.

Per-sample power: a power source's reading as is; for an energy source
(RAPL) the mean power over the interval ending at that sample (the first
sample repeats the first interval's value). Summaries: the energy of an
energy source is its counter difference; of a power source the trapezoidal
integral of its samples. Mean power is energy / duration.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from .power import Channel, PowerSource, Reading

_trapezoid = getattr(np, "trapezoid", None) or getattr(np, "trapz")


@dataclass(frozen=True)
class ChannelSummary:
    """One channel over the run. Power in W, energy in J; idle figures are None without an idle phase."""

    channel: Channel
    mean_w: float
    energy_j: float
    min_w: float
    max_w: float
    n: int
    idle_w: float | None = None

    @property
    def dynamic_w(self) -> float | None:
        """Mean power above the idle baseline (W), or None without one."""
        return None if self.idle_w is None else self.mean_w - self.idle_w

    def to_json(self) -> dict[str, Any]:
        c = self.channel
        return {"source": c.source, "name": c.name, "domain": c.domain, "chip": c.chip, "label": c.label,
                "mean_w": self.mean_w, "energy_j": self.energy_j, "min_w": self.min_w, "max_w": self.max_w,
                "n": self.n, "idle_w": self.idle_w, "dynamic_w": self.dynamic_w}


@dataclass(frozen=True)
class PowerSummary:
    """Per-channel summaries of a recording and sums by domain."""

    duration_s: float
    idle_duration_s: float
    channels: tuple[ChannelSummary, ...]

    def in_domain(self, domain: str) -> list[ChannelSummary]:
        return [c for c in self.channels if c.channel.domain == domain]

    def domain_w(self, domain: str, basis: str = "total") -> float | None:
        """Summed mean power (W) of a domain's channels; ``basis`` "total" or "dynamic" (above idle).

        None when the domain has no channel, or for "dynamic" without an idle phase.
        """
        chans = self.in_domain(domain)
        if not chans:
            return None
        if basis == "total":
            return float(sum(c.mean_w for c in chans))
        if basis == "dynamic":
            if any(c.idle_w is None for c in chans):
                return None
            return float(sum(c.dynamic_w for c in chans))  # type: ignore[misc]
        raise ValueError(f"unknown power basis {basis!r}: expected 'total' or 'dynamic'")

    def domain_idle_w(self, domain: str) -> float | None:
        """Summed idle power (W) of a domain, or None."""
        chans = self.in_domain(domain)
        if not chans or any(c.idle_w is None for c in chans):
            return None
        return float(sum(c.idle_w for c in chans))  # type: ignore[misc]

    def domain_energy_j(self, domain: str) -> float | None:
        chans = self.in_domain(domain)
        return float(sum(c.energy_j for c in chans)) if chans else None

    def to_json(self) -> dict[str, Any]:
        return {"duration_s": self.duration_s, "idle_duration_s": self.idle_duration_s,
                "channels": [c.to_json() for c in self.channels]}


@dataclass
class PowerTrace:
    """Samples and summary of one recording.

    ``t`` (n,) seconds from the start of the run; ``watts`` (n, channels);
    ``volts``/``amps`` the same shape where the sources measure them (NaN
    elsewhere); ``idle_t``/``idle_watts`` the idle phase likewise (empty
    without one). ``result`` is the callable's return value.
    """

    channels: list[Channel]
    source_kinds: list[str]
    t: np.ndarray
    watts: np.ndarray
    volts: np.ndarray
    amps: np.ndarray
    idle_t: np.ndarray
    idle_watts: np.ndarray
    summary: PowerSummary
    result: Any = None
    interval_s: float = 0.0
    started_at: str = ""
    finished_at: str = ""
    extra: dict = field(default_factory=dict)


Row = tuple[float, list[Reading]]


def _read_all(sources: Sequence[PowerSource]) -> Row:
    return time.perf_counter(), [s.read() for s in sources]


def _phase(sources: Sequence[PowerSource], interval: float, body: Callable[[], Any]) -> tuple[list[Row], Any]:
    """Read all sources before ``body``, every ``interval`` s while it runs, and after it."""
    samples: list[Row] = [_read_all(sources)]
    stop = threading.Event()
    errors: list[BaseException] = []

    def loop() -> None:
        while not stop.wait(interval):
            try:
                samples.append(_read_all(sources))
            except BaseException as e:  # reported after the run, never lost in the thread
                errors.append(e)
                return

    th = threading.Thread(target=loop, name="edgemoe-power-sampler", daemon=True)
    th.start()
    try:
        result = body()
    finally:
        stop.set()
        th.join()
    if errors:
        raise errors[0]
    samples.append(_read_all(sources))
    return samples, result


def _to_arrays(rows: list[Row], sources: Sequence[PowerSource]) -> tuple[np.ndarray, ...]:
    """(t, watts, volts, amps, energy_j) of a phase; energy_j is per channel over the phase."""
    n = len(rows)
    samples = [readings for _t, readings in rows]
    cols_w, cols_v, cols_a, energy = [], [], [], []
    t_all = np.array([[r.t for r in row] for row in samples]).reshape(n, len(sources))  # (n, sources)
    t = t_all.mean(axis=1) if sources else np.array([stamp for stamp, _r in rows])
    for j, src in enumerate(sources):
        vals = np.stack([row[j].values for row in samples]).astype(np.float64)  # (n, ch)
        tj = t_all[:, j]
        if src.quantity == "energy":
            dt = np.diff(tj)
            de = np.diff(vals, axis=0)
            with np.errstate(divide="ignore", invalid="ignore"):
                p = np.where(dt[:, None] > 0, de / dt[:, None], np.nan)
            w = np.vstack([p[:1], p]) if n > 1 else np.full_like(vals, np.nan)
            e = vals[-1] - vals[0]
        else:
            w = vals
            e = _trapezoid(vals, tj, axis=0) if n > 1 else np.zeros(vals.shape[1])
        cols_w.append(w)
        nan = np.full(vals.shape, np.nan)
        cols_v.append(np.stack([row[j].volts for row in samples]) if samples[0][j].volts is not None else nan)
        cols_a.append(np.stack([row[j].amps for row in samples]) if samples[0][j].amps is not None else nan)
        energy.append(np.asarray(e, dtype=np.float64))
    cat = (lambda cols: np.hstack(cols) if cols else np.zeros((n, 0)))
    return t, cat(cols_w), cat(cols_v), cat(cols_a), (np.concatenate(energy) if energy else np.zeros(0))


def _utc_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def record_power(fn: Callable[[], Any], sources: Sequence[PowerSource], interval: float = 0.05,
                 idle_s: float = 0.0) -> PowerTrace:
    """Run ``fn()`` while sampling ``sources`` every ``interval`` seconds; return samples and summary.

    ``idle_s`` > 0 first records an idle baseline of that many seconds (the
    process sleeps), which the summary's ``idle_w`` and ``dynamic_w`` use.
    Sources must be available (check ``source.probe()``); an empty list is
    allowed and gives a trace without channels. Raises ``ValueError`` for a
    non-positive ``interval`` or negative ``idle_s``; an ``OSError`` of a
    source during the run is raised after ``fn`` returns.
    """
    if not interval > 0:
        raise ValueError(f"interval must be > 0 seconds, found {interval!r}")
    if idle_s < 0:
        raise ValueError(f"idle_s must be >= 0 seconds, found {idle_s!r}")
    sources = list(sources)
    channels = [c for s in sources for c in s.channels()]
    idle_t = np.zeros(0)
    idle_w = np.zeros((0, len(channels)))
    idle_mean: np.ndarray | None = None
    idle_dur = 0.0
    if idle_s > 0:
        isamples, _ = _phase(sources, interval, lambda: time.sleep(idle_s))
        it, idle_w, _, _, ie = _to_arrays(isamples, sources)
        idle_dur = float(it[-1] - it[0])
        idle_mean = ie / idle_dur if idle_dur > 0 else np.nanmean(idle_w, axis=0)
        idle_t = it - it[0]
    started = _utc_now()
    samples, result = _phase(sources, interval, fn)
    finished = _utc_now()
    t, w, v, a, e = _to_arrays(samples, sources)
    dur = float(t[-1] - t[0])
    summaries = []
    for k, ch in enumerate(channels):
        col = w[:, k]
        finite = col[np.isfinite(col)]
        mean = float(e[k] / dur) if dur > 0 else float(np.mean(finite)) if finite.size else float("nan")
        summaries.append(ChannelSummary(
            channel=ch, mean_w=mean, energy_j=float(e[k]),
            min_w=float(finite.min()) if finite.size else float("nan"),
            max_w=float(finite.max()) if finite.size else float("nan"),
            n=int(col.size), idle_w=None if idle_mean is None else float(idle_mean[k]),
        ))
    return PowerTrace(
        channels=channels, source_kinds=[s.kind for s in sources], t=t - t[0], watts=w, volts=v, amps=a,
        idle_t=idle_t, idle_watts=idle_w,
        summary=PowerSummary(duration_s=dur, idle_duration_s=idle_dur, channels=tuple(summaries)),
        result=result, interval_s=interval, started_at=started, finished_at=finished,
    )
