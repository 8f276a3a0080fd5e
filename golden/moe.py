"""MoE gate, top-2, patch reordering into expert queues, and the expert combine.

Gate: ``logits = sat_act(round_shift(x @ Wg^T, 16 + wf - 16))`` (no bias; one
exponent ``wf`` per expert row). The 16 logits of a
token form one softmax row (single-pass statistics over the experts in index
order, :mod:`.softmax`). Top-2 by logit, ties to the lower index, so every
token gets exactly two distinct experts. The chosen experts' weights are the
full-softmax probabilities ``p_k = round_shift(EXP(l_k - m) * r, 25)`` (``p``
codes), not renormalised.

Patch reordering (technique 5): tokens are appended, in token order and slot
order, to the queue of each chosen expert with their score. Each queue holds up
to T entries (a token can appear in a queue once) with 8-bit token indices, so
a queue that receives all 129 tokens is whole. The metaqueue lists the experts
whose queue is not empty, in ascending order: only those experts' weights are
loaded, once per layer each.

Expert e over its queue (linear-unit passes, :mod:`.linear`):
``h = GELU(sat_act(round_shift(x W1_e^T + b1_e, s)))``, ``y = sat_act(round_shift(h W2_e^T + b2_e, s))``, contribution
``c = round_shift(y * p, 16)``, added exactly into the wide buffer
``M = x_resid + sum c`` (format ``moe_acc``, 28 bits: cannot overflow). The layer
output is ``sat_act(M)``. Integer addition is exact, so the order in which
experts run does not change the bits: reordered and per-token give the same result.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .fixedpoint import Scaled, fmt, saturate
from .linear import linear_unit, score_scale
from .softmax import softmax_stats, softmax_weights


def top2(logits: np.ndarray, k: int = 2) -> np.ndarray:
    """Indices (T, k) of the k largest logits per row; ties to the lower index. Always k distinct experts."""
    logits = np.asarray(logits, dtype=np.int64)
    if logits.shape[-1] < k:
        raise ValueError(f"top{k}: need at least {k} experts, got {logits.shape[-1]}")
    # stable sort of -logit keeps index order among equal logits
    return np.argsort(-logits, axis=-1, kind="stable")[..., :k]


def gate_fixed(xn: np.ndarray, wg: Scaled, k: int = 2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gate of act codes ``xn`` (T, D) with ``w`` codes ``wg`` (E, D).

    Returns ``(logits (T, E) act codes, idx (T, k), p (T, k) p codes)``.
    """
    logits = linear_unit(xn, wg)
    idx = top2(logits, k)
    m, r = softmax_stats(logits)
    chosen = np.take_along_axis(logits, idx, axis=-1)
    p = softmax_weights(chosen, m, r)
    return logits, idx, p


@dataclass
class ExpertQueues:
    """Per-expert token queues with scores, and the metaqueue of active experts."""

    tokens: list[np.ndarray]   # per expert: token indices in arrival order
    scores: list[np.ndarray]   # per expert: p codes, same order
    metaqueue: np.ndarray      # experts with a non-empty queue, ascending

    @property
    def counts(self) -> np.ndarray:
        return np.array([len(t) for t in self.tokens], dtype=np.int64)


def build_queues(idx: np.ndarray, p: np.ndarray, num_experts: int, depth: int | None = None) -> ExpertQueues:
    """Patch reordering: append each token to its chosen experts' queues (token order, then slot order)."""
    idx = np.asarray(idx)
    T, k = idx.shape
    depth = T if depth is None else depth
    if idx.size and (idx.min() < 0 or idx.max() >= num_experts):
        raise ValueError(f"build_queues: expert index out of range [0, {num_experts}): [{idx.min()}, {idx.max()}]")
    for t in range(T):
        if len(set(idx[t].tolist())) != k:
            raise ValueError(f"build_queues: token {t} chose the same expert twice: {idx[t].tolist()}")
    tokens: list[list[int]] = [[] for _ in range(num_experts)]
    scores: list[list[int]] = [[] for _ in range(num_experts)]
    for t in range(T):
        for s in range(k):
            e = int(idx[t, s])
            if len(tokens[e]) >= depth:
                raise ValueError(f"build_queues: queue of expert {e} is full ({depth} entries)")
            tokens[e].append(t)
            scores[e].append(int(p[t, s]))
    tq = [np.array(q, dtype=np.int64) for q in tokens]
    sq = [np.array(q, dtype=np.int64) for q in scores]
    meta = np.array([e for e in range(num_experts) if tokens[e]], dtype=np.int64)
    return ExpertQueues(tq, sq, meta)


def expert_fixed(xq: np.ndarray, w1: Scaled, b1: Scaled, w2: Scaled, b2: Scaled) -> np.ndarray:
    """One expert over its queued tokens: act codes (n, D) -> y act codes (n, D)."""
    h = linear_unit(xq, w1, b1, gelu=True)
    return linear_unit(h, w2, b2)


def moe_reordered(x: np.ndarray, xn: np.ndarray, q: ExpertQueues, w1, b1, w2, b2) -> np.ndarray:
    """Expert layer by patch reordering: each active expert once over its whole queue.

    ``x`` residual (T, D) act codes, ``xn`` normalised input (T, D). Returns ``sat_act(M)``.
    """
    M = np.asarray(x, dtype=np.int64).copy()
    for e in q.metaqueue:
        toks = q.tokens[e]
        y = expert_fixed(xn[toks], w1[e], b1[e], w2[e], b2[e])
        np.add.at(M, toks, score_scale(y, q.scores[e]))
    return saturate(M, fmt("act"))


def moe_naive(x: np.ndarray, xn: np.ndarray, idx: np.ndarray, p: np.ndarray, w1, b1, w2, b2) -> np.ndarray:
    """Reference: token by token, each of its experts run on that token alone."""
    M = np.asarray(x, dtype=np.int64).copy()
    for t in range(x.shape[0]):
        for s in range(idx.shape[1]):
            e = int(idx[t, s])
            y = expert_fixed(xn[t:t + 1], w1[e], b1[e], w2[e], b2[e])
            M[t] += score_scale(y, p[t:t + 1, s])[0]
    return saturate(M, fmt("act"))
