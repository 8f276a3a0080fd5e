"""Latency statistics with their spread."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np


@dataclass(frozen=True)
class LatencyStats:
    """Summary of per-frame latencies, all in seconds.

    ``std_s`` is the sample standard deviation (ddof=1; 0 for one sample).
    ``samples`` holds the per-frame latencies when they are known (empty when
    only the summary was given, as a measurement record may do).
    """

    n: int
    median_s: float
    mean_s: float
    std_s: float
    min_s: float
    max_s: float
    samples: tuple[float, ...] = ()

    @classmethod
    def from_samples(cls, samples: Sequence[float] | np.ndarray) -> "LatencyStats":
        """Statistics of ``samples`` (seconds per frame, at least one, all finite and > 0)."""
        a = np.asarray(samples, dtype=np.float64).ravel()
        if a.size == 0:
            raise ValueError("latency statistics need at least one sample")
        if not np.all(np.isfinite(a)) or np.any(a <= 0):
            raise ValueError(f"latency samples must be finite and > 0 seconds, found {a.tolist()[:8]}")
        return cls(
            n=int(a.size),
            median_s=float(np.median(a)),
            mean_s=float(a.mean()),
            std_s=float(a.std(ddof=1)) if a.size > 1 else 0.0,
            min_s=float(a.min()),
            max_s=float(a.max()),
            samples=tuple(float(x) for x in a),
        )

    def to_json(self) -> dict[str, Any]:
        """Plain-JSON form: every statistic in seconds plus the samples."""
        return {
            "n": self.n, "median_s": self.median_s, "mean_s": self.mean_s, "std_s": self.std_s,
            "min_s": self.min_s, "max_s": self.max_s, "samples_s": list(self.samples),
        }
