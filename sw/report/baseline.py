"""CPU and GPU baselines: the float32 PyTorch backbone timed on the machine at hand.

The model is the float reference itself (:class:`edgemoe.golden.float_model.FloatBackbone`),
which runs batches on any torch device; :func:`make_runner` keeps the batch on
the device so only the forward pass is timed.

Timing (:func:`time_runs`): ``warmup`` untimed runs, then ``runs`` timed runs
with ``time.perf_counter``; on CUDA each run ends with
``torch.cuda.synchronize()`` so the time covers the GPU work. Per-frame
latency is a run's time divided by the batch size. Power is recorded around
the timed runs only (see :mod:`edgemoe.report.recorder`).
"""
from __future__ import annotations

import platform as _platform
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch

from edgemoe.golden.float_model import FloatBackbone

from .power import PowerSource
from .recorder import PowerTrace, record_power
from .stats import LatencyStats


def time_runs(run: Callable[[], object], runs: int, warmup: int,
              sync: Callable[[], None] | None = None) -> np.ndarray:
    """Seconds of each of ``runs`` timed calls of ``run()`` after ``warmup`` untimed ones.

    ``sync`` (e.g. ``torch.cuda.synchronize``) is called after every call,
    inside the timed interval, and once before timing starts.
    """
    import time

    if runs < 1 or warmup < 0:
        raise ValueError(f"need runs >= 1 and warmup >= 0, found runs={runs}, warmup={warmup}")
    for _ in range(warmup):
        run()
    if sync is not None:
        sync()
    out = np.empty(runs)
    for i in range(runs):
        t0 = time.perf_counter()
        run()
        if sync is not None:
            sync()
        out[i] = time.perf_counter() - t0
    return out


def cpu_name() -> str:
    """The CPU model from /proc/cpuinfo, else platform.processor(), else 'unknown CPU'."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return _platform.processor() or _platform.machine() or "unknown CPU"


@dataclass
class BaselineResult:
    """One measured baseline: platform, batch, per-frame latency and the power recorded meanwhile."""

    platform: str  # "cpu" | "gpu"
    device_name: str
    batch: int
    threads: int | None
    latency: LatencyStats  # per frame
    run_s: np.ndarray  # seconds per timed run (one batch)
    runs: int
    warmup: int
    trace: PowerTrace | None
    implementation: str


def make_runner(model: FloatBackbone, image: np.ndarray, batch: int, task: int) -> Callable[[], object]:
    """A call that runs ``model`` on ``batch`` copies of ``image`` already on the model's device."""
    x = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32))[None].expand(batch, -1, -1, -1)
    x = x.contiguous().to(model.device)
    return lambda: model.forward_tensor(x, task)


def measure(platform: str, run: Callable[[], object], *, batch: int, runs: int, warmup: int,
            sources: Sequence[PowerSource] = (), interval: float = 0.05, idle_s: float = 0.0,
            sync: Callable[[], None] | None = None, device_name: str = "", threads: int | None = None,
            implementation: str = "") -> BaselineResult:
    """Time ``run`` (one batch per call) and record ``sources`` around the timed runs."""
    if sources:
        for _ in range(warmup):  # warm-up outside the power recording
            run()
        if sync is not None:
            sync()
        trace = record_power(lambda: time_runs(run, runs, 0, sync), sources, interval, idle_s)
        run_s = np.asarray(trace.result)
    else:
        trace = None
        run_s = time_runs(run, runs, warmup, sync)
    return BaselineResult(
        platform=platform, device_name=device_name, batch=batch, threads=threads,
        latency=LatencyStats.from_samples(run_s / batch), run_s=run_s, runs=runs, warmup=warmup, trace=trace,
        implementation=implementation,
    )


def gpu_present() -> tuple[bool, str]:
    """(present, description): a CUDA device torch can use, or why not."""
    if not torch.cuda.is_available():
        return False, f"not present (torch {torch.__version__}: torch.cuda.is_available() is False)"
    return True, torch.cuda.get_device_name(0)
