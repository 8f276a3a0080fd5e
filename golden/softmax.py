"""Single-pass softmax: running max and sum per row, then normalised weights.

The hardware sees a row's scores one at a time in key order, so the order is
part of the contract. For key ``j`` of a row, with running max ``m`` and sum
``S`` (format ``sum``, frac 17):

* ``j = 0``: ``m = s_0``, ``S = 2^17`` (exp(0) = 1).
* ``j > 0``: ``e = EXP(-|s_j - m|)`` (one exp per key). If ``s_j > m``:
  ``S = round_shift(S * e, 17) + 2^17`` and ``m = s_j`` (rescale the old sum);
  otherwise ``S = S + e``. ``S`` saturates to the ``sum`` format.

After the row: ``r = RECIP(S)`` (format ``r``, frac 24). The normalised weight of
key ``j`` is formed when it is used (inside A.V, or for the chosen experts):
``p_j = round_shift(EXP(s_j - m) * r, 17 + 24 - 16)`` in format ``p`` (frac 16).
"""
from __future__ import annotations

import numpy as np

from .exp_recip import exp_fixed, recip_fixed
from .fixedpoint import fmt, round_shift, saturate


def softmax_stats(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Running max and reciprocal sum of each row of ``s`` (..., J) act codes, in key order.

    Returns ``(m, r)``: the row max (act codes) and ``RECIP(S)`` (``r`` codes).
    """
    sf, ef = fmt("sum"), fmt("e")
    s = np.asarray(s, dtype=np.int64)
    if s.shape[-1] < 1:
        raise ValueError("softmax_stats: rows must hold at least one score")
    one = np.int64(1) << sf.frac
    m = s[..., 0].copy()
    S = np.full(m.shape, one, dtype=np.int64)
    sh = ef.frac  # S * e has frac 17 + 17; back to 17
    for j in range(1, s.shape[-1]):
        sj = s[..., j]
        e = exp_fixed(-np.abs(sj - m))
        grow = sj > m
        S = saturate(np.where(grow, round_shift(S * e, sh) + one, S + e), sf)
        m = np.maximum(m, sj)
    return m, recip_fixed(S)


def softmax_weights(s: np.ndarray, m: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Normalised weights ``p = round_shift(EXP(s - m) * r, e.frac + r.frac - p.frac)`` in ``p`` codes."""
    ef, rf, pf = fmt("e"), fmt("r"), fmt("p")
    e = exp_fixed(np.asarray(s, dtype=np.int64) - m[..., None])
    return round_shift(e * r[..., None], ef.frac + rf.frac - pf.frac)


def softmax_fixed(s: np.ndarray) -> np.ndarray:
    """Whole-row softmax of act codes (..., J) -> ``p`` codes, by the single-pass contract."""
    m, r = softmax_stats(s)
    return softmax_weights(s, m, r)
