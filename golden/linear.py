"""The unified linear unit: exact wide accumulation, bias, one rounding, optional fusions.

Every linear layer of the backbone (Q, K, V, projection, fc1, fc2, the expert
layers and the gate) is ``acc = sum_k x[t, k] * w[o, k]`` with ``x`` in act codes
(frac 16) and ``w`` in row-scaled ``w`` codes, so ``acc`` has frac ``16 + w.frac``. The sum is
exact (at most 768 products of 26 x 16 bits: |acc| < 2^50), so any tile size and
any accumulation order give the same bits. Weights carry one power-of-two
exponent per output row (``w.frac[o]`` in [10, 21]), so row ``o`` accumulates at
frac ``16 + w.frac[o]``; the bias vector (one exponent) is shifted to that frac
and added exactly. Then exactly one rounding, ``round_shift(acc + bias, s)``, to the
output format, and the output stage:

=========  =====================================================================
mode       output
=========  =====================================================================
plain      ``sat_out(round_shift(acc + bias, s))``
gelu       ``GELU(sat_act(round_shift(acc + bias, s)))`` (fused GELU)
resid      ``sat_act(x_old + round_shift(acc + bias, s))`` (accumulate into the
           existing output: residual add; one saturation)
scaled     ``round_shift(sat_act(round_shift(acc + bias, s)) * p, 16)`` added
           exactly into the wide expert-combine buffer (see moe.py)
=========  =====================================================================

The golden computes ``acc`` with one float64 GEMM: every product and every
partial sum is an integer below 2^53, so the result is exact whatever order BLAS
uses.
"""
from __future__ import annotations

import numpy as np

from .fixedpoint import Scaled, fmt, round_shift, saturate
from .gelu import gelu_fixed

_F64_EXACT = 1 << 53


def matmul_exact(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Exact ``x @ w.T`` of integer codes (x: (T, K), w: (N, K)) as int64.

    Raises ValueError when the worst-case sum could exceed float64's exact range.
    """
    x = np.asarray(x, dtype=np.int64)
    w = np.asarray(w, dtype=np.int64)
    if x.shape[-1] != w.shape[-1]:
        raise ValueError(f"matmul_exact: inner dimensions differ: x {x.shape}, w {w.shape}")
    K = x.shape[-1]
    bound = K * (int(np.abs(x).max(initial=0)) * int(np.abs(w).max(initial=0)))
    if bound >= _F64_EXACT:
        # fall back to exact integer arithmetic (slow, never hit by the model's formats)
        return np.einsum("...k,nk->...n", x.astype(object), w.astype(object)).astype(np.int64)
    return (x.astype(np.float64) @ w.T.astype(np.float64)).astype(np.int64)


def bias_aligned(b: Scaled | None, acc_frac: np.ndarray) -> np.ndarray | int:
    """Bias codes shifted from their vector exponent to each row's accumulator frac."""
    if b is None:
        return 0
    sh = acc_frac - b.frac
    if np.any(sh < 0):
        raise ValueError(f"bias frac {int(b.frac)} exceeds the accumulator frac {int(acc_frac.min())}")
    return np.left_shift(b.codes, sh)


def linear_unit(x: np.ndarray, w: Scaled, b: Scaled | None = None, *, out: str = "act",
                prescale_log2: int = 0, gelu: bool = False, resid: np.ndarray | None = None) -> np.ndarray:
    """One pass of the unified linear unit (modes plain, gelu, resid).

    ``x`` (T, K) act codes; ``w`` (N, K) row-scaled ``w`` codes (frac per row);
    ``b`` (N,) ``b`` codes with one vector exponent. Row ``o`` accumulates at frac
    ``16 + w.frac[o]`` and rounds once by ``16 + w.frac[o] - out.frac +
    prescale_log2``. ``prescale_log2`` multiplies the output by ``2^-prescale_log2``
    inside that rounding (queries: ``out='q', prescale_log2=3``).
    """
    xf, ofmt = fmt("act"), fmt(out)
    af = xf.frac + np.asarray(w.frac, dtype=np.int64)
    acc = matmul_exact(x, w.codes) + bias_aligned(b, af)
    y = round_shift(acc, af - ofmt.frac + prescale_log2)
    if resid is not None:
        if gelu or out != "act":
            raise ValueError("linear_unit: resid mode writes act codes without GELU")
        return saturate(np.asarray(resid, dtype=np.int64) + y, ofmt)
    y = saturate(y, ofmt)
    return gelu_fixed(y) if gelu else y


def score_scale(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Score-scaled contribution ``round_shift(y * p, p.frac)`` of act codes ``y`` (T, N), ``p`` (T,)."""
    return round_shift(np.asarray(y, dtype=np.int64) * np.asarray(p, dtype=np.int64)[:, None], fmt("p").frac)
