"""Multi-head attention in fixed point, and the reordered schedule of technique 1.

Formats: queries ``q`` codes (frac 15, already scaled by 1/8), keys and values
act codes (frac 16). Per head:

* scores ``s[i, j] = sat_act(round_shift(sum_d q[i, d] * k[j, d], 15))`` (exact sum, frac 31);
* running softmax statistics per row in key order (:mod:`.softmax`): ``m_i``, ``r_i``;
* A.V: ``o[i, d] = sat_act(round_shift(sum_j p[i, j] * v[j, d], 16))`` with the
  normalised weight ``p[i, j] = round_shift(EXP(s[i, j] - m_i) * r_i, 25)`` formed on
  the fly (the score matrix is never rewritten).

Schedule (technique 1, :func:`attention_schedule`): ``P`` query rows are held on
chip; K is streamed once per group (one key row per step, scores of all P rows
at once, running statistics updated), then V is streamed once per group (A.V).
The next group's P query rows are fetched during the first P steps of the
current group, so every step reads at most one K/V row and at most one Q row
from off-chip whatever P is, while the step count falls as ``2 T ceil(T / P)``.
The bits do not depend on P: each row still sees its keys in order and every
sum is exact.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

from .fixedpoint import fmt, round_shift, saturate
from .softmax import softmax_stats, softmax_weights


@dataclass(frozen=True)
class Step:
    """One step (cycle) of the attention schedule of one head."""

    phase: str              # "load" (prologue), "qk" or "av"
    group: int              # query group being computed (-1 in the prologue)
    rows: tuple[int, int]   # [start, stop) query rows held for this group
    key: int                # key / value row streamed this step (-1 if none)
    q_read: int             # query row fetched from off-chip this step (-1 if none)

    @property
    def kv_reads(self) -> int:
        return 0 if self.key < 0 else 1

    @property
    def q_reads(self) -> int:
        return 0 if self.q_read < 0 else 1


def attention_schedule(T: int, P: int) -> Iterator[Step]:
    """The reordered attention schedule for ``T`` tokens and ``P`` query rows held on chip."""
    if T < 1 or P < 1:
        raise ValueError(f"attention_schedule: need T >= 1 and P >= 1, got T={T}, P={P}")
    if P > T:
        raise ValueError(f"attention_schedule: P={P} exceeds the {T} query rows")
    groups = [(g, min(g + P, T)) for g in range(0, T, P)]
    for i in range(groups[0][0], groups[0][1]):
        yield Step("load", -1, groups[0], -1, i)
    for gi, rows in enumerate(groups):
        nxt = groups[gi + 1] if gi + 1 < len(groups) else None
        prefetch = list(range(*nxt)) if nxt else []
        for phase in ("qk", "av"):
            for j in range(T):
                q = prefetch.pop(0) if (phase == "qk" and prefetch) else -1
                yield Step(phase, gi, rows, j, q)


def scores_fixed(q: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Scores (H, Tq, Tk) act codes from q (Tq, H, Dh) ``q`` codes and k (Tk, H, Dh) act codes."""
    act, qf = fmt("act"), fmt("q")
    acc = np.einsum("ihd,jhd->hij", q.astype(np.float64), k.astype(np.float64)).astype(np.int64)
    return saturate(round_shift(acc, qf.frac), act)


def av_fixed(p: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Context (Tq, H, Dh) act codes from weights p (H, Tq, Tk) ``p`` codes and v (Tk, H, Dh)."""
    act, pf = fmt("act"), fmt("p")
    acc = np.einsum("hij,jhd->ihd", p.astype(np.float64), v.astype(np.float64)).astype(np.int64)
    return saturate(round_shift(acc, pf.frac), act)


def attention_fixed(q: np.ndarray, k: np.ndarray, v: np.ndarray, P: int | None = None,
                    trace: dict | None = None) -> np.ndarray:
    """Attention of all heads: q (T, H, Dh) ``q`` codes, k, v (T, H, Dh) act codes -> (T, H*Dh) act codes.

    With ``P`` given, the computation follows :func:`attention_schedule` group by
    group (K streamed per group with the running statistics, then V); with
    ``P=None`` all rows form one group (fast path). Both give the same bits.
    """
    T, H, Dh = q.shape
    if k.shape != (T, H, Dh) or v.shape != (T, H, Dh):
        raise ValueError(f"attention_fixed: q {q.shape}, k {k.shape}, v {v.shape} must all be (T, H, Dh)")
    if P is None:
        groups = [(0, T)]
    else:
        groups = sorted({s.rows for s in attention_schedule(T, P) if s.group >= 0})
    out = np.empty((T, H, Dh), dtype=np.int64)
    for a, b in groups:
        s = scores_fixed(q[a:b], k)            # qk phase: keys streamed in order
        m, r = softmax_stats(s)
        p = softmax_weights(s, m, r)           # av phase: weights formed on the fly
        out[a:b] = av_fixed(p, v)
        if trace is not None and P is None:
            trace["scores"], trace["max"], trace["rsum"], trace["probs"] = s, m, r, p
    return out.reshape(T, H * Dh)
