"""Exp and reciprocal units of the softmax.

Exp (``exp_fixed``), for ``d <= 0`` in act codes (frac 16), result in format ``e``
(unsigned, frac 17, ``exp(0) = 2^17``):

1. ``dc = max(d, d_min * 2^16)`` (d_min = -32).
2. ``t = round_shift(dc * LOG2E, log2e_frac + 16 - t_frac)`` with
   ``LOG2E = round(log2(e) * 2^20)``; ``t <= 0`` has ``t_frac`` = 20 fractional bits.
3. ``n = t >> 20`` (floor, <= 0), ``f = t - (n << 20)`` in ``[0, 2^20)``.
4. ``i = f >> 13`` (7 index bits, 128 intervals), ``r = f & (2^13 - 1)``.
5. ``v = (E2[i] << 13) + (E2[i+1] - E2[i]) * r`` (frac 22 + 13 = 35).
6. ``e = round_shift(v, 35 - 17 - n)``; shifts above 40 give 0 (``v < 2^36``).

Reciprocal (``recip_fixed``): ``r = floor(2^(sum.frac + r.frac) / s + 1/2)``,
computed exactly as ``(2^(sum.frac + r.frac + 1) + s) // (2 s)``. A zero sum is
an error (the softmax sum is always >= 1).
"""
from __future__ import annotations

import numpy as np

from .fixedpoint import fmt, round_shift
from .tables import exp_table

_MAX_SHIFT = 40


def exp_fixed(d: np.ndarray) -> np.ndarray:
    """exp(d) for act codes ``d <= 0``; returns ``e``-format codes (frac 17)."""
    act, ef = fmt("act"), fmt("e")
    tb = exp_table()
    d = np.asarray(d, dtype=np.int64)
    if d.size and d.max() > 0:
        raise ValueError(f"exp_fixed: argument must be <= 0, found max code {d.max()}")
    dc = np.maximum(d, int(round(tb.d_min * (1 << act.frac))))
    t = round_shift(dc * tb.log2e, tb.log2e_frac + act.frac - tb.t_frac)
    n = t >> tb.t_frac
    f = t - (n << tb.t_frac)
    lo_bits = tb.t_frac - tb.index_bits
    i = f >> lo_bits
    r = f & ((1 << lo_bits) - 1)
    E = tb.entries
    v = (E[i] << lo_bits) + (E[i + 1] - E[i]) * r
    vfrac = tb.entry_frac + lo_bits
    sh = np.minimum(vfrac - ef.frac - n, _MAX_SHIFT)
    return round_shift(v, sh)


def recip_fixed(s: np.ndarray) -> np.ndarray:
    """Reciprocal of softmax sums (``sum`` codes, frac 17) in ``r`` codes (frac 24)."""
    sf, rf = fmt("sum"), fmt("r")
    s = np.asarray(s, dtype=np.int64)
    if s.size and s.min() <= 0:
        raise ValueError(f"recip_fixed: sum must be positive, found {s.min()}")
    num = np.int64(1) << (sf.frac + rf.frac + 1)
    return (num + s) // (2 * s)
