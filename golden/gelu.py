"""GELU unit: ``GELU(x) = ReLU(x) - d(|x|)`` from one interpolated table.

Contract (all integers; see docs/numerics.md, "GELU"):

* input ``u``: act codes (frac 16), output: act codes.
* ``a = |u|``. If ``a >= end * 2^16`` (end = 5.0): ``d = 0`` and the output is ``max(u, 0)``.
* else segment ``s`` with ``start_s <= a/2^16 < end_s`` and step ``2^-L_s``:
  ``off = a - start_s*2^16``; ``i = idx0_s + (off >> (16 - L_s))``;
  ``r = (off & (2^(16-L_s) - 1)) << (interp_bits - (16 - L_s))`` (a 12-bit fraction).
* ``D = (T[i] << 12) + (T[i+1] - T[i]) * r`` (frac 24 + 12 = 36), exact.
* ``out = sat_act(round_shift((max(u, 0) << 20) - D, 20))``: one rounding.
"""
from __future__ import annotations

import numpy as np

from .fixedpoint import fmt, round_shift, saturate
from .tables import gelu_table


def gelu_fixed(u: np.ndarray) -> np.ndarray:
    """Bit-exact GELU of act-format integer codes; returns act codes."""
    act = fmt("act")
    tab = gelu_table()
    u = np.asarray(u, dtype=np.int64)
    a = np.abs(u)
    F = act.frac
    ib = tab.interp_bits
    dfrac = tab.entry_frac + ib
    shift_out = dfrac - F
    idx = np.zeros(u.shape, dtype=np.int64)
    r = np.zeros(u.shape, dtype=np.int64)
    inside = np.zeros(u.shape, dtype=bool)
    for s in range(len(tab.seg_start)):
        lo = int(round(tab.seg_start[s] * (1 << F)))
        hi = int(round(tab.seg_end[s] * (1 << F)))
        fb = F - tab.seg_log2_step[s]          # offset bits below the index
        m = (a >= lo) & (a < hi)
        off = a - lo
        idx = np.where(m, tab.seg_start_idx[s] + (off >> fb), idx)
        r = np.where(m, (off & ((1 << fb) - 1)) << (ib - fb), r)
        inside |= m
    T = tab.entries
    t0 = T[idx]
    t1 = T[np.minimum(idx + 1, len(T) - 1)]
    D = np.where(inside, (t0 << ib) + (t1 - t0) * r, 0)
    relu = np.maximum(u, 0)
    return saturate(round_shift((relu << shift_out) - D, shift_out), act)


def gelu_float(x: np.ndarray) -> np.ndarray:
    """Convenience: GELU approximation applied to floats (quantised to act first)."""
    act = fmt("act")
    return act.to_float(gelu_fixed(act.quantize(x)))
