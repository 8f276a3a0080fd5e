"""Crafted stimulus for the boundaries random vectors do not reach (functional coverage).

Everything here computes with the golden model's own arithmetic (``edgemoe.golden``):
pre-saturation values are those the golden rounds and then saturates, and a crafted
input is accepted only when the golden pre-saturation value is exactly the target.

* :func:`linear_presat` -- pre-saturation values of a linear-unit pass (act / q outputs);
* :func:`craft_dot_rows` -- input rows whose pre-saturation output of one weight row is an
  exact target (max, max + 1, min, min - 1 of the output format);
* :func:`routing_layer` -- gate inputs and weights that send chosen tokens to chosen
  experts (expert queues of exactly 0, 1, 128 or 129 entries) and make top-2 ties.
"""
from __future__ import annotations

import numpy as np

from edgemoe.golden.fixedpoint import Scaled, fmt, round_shift
from edgemoe.golden.linear import bias_aligned, matmul_exact


def linear_presat(x: np.ndarray, w: Scaled, b: Scaled | None, out: str = "act", prescale_log2: int = 0) -> np.ndarray:
    """``round_shift(x W^T + b, s)`` per row, before the saturation of :func:`edgemoe.golden.linear.linear_unit`."""
    af = fmt("act").frac + np.asarray(w.frac, dtype=np.int64)
    acc = matmul_exact(x, w.codes) + bias_aligned(b, af)
    return round_shift(acc, af - fmt(out).frac + prescale_log2)


def _craft_one(wrow: np.ndarray, bias: int, s: int, target: int, lo: int, hi: int) -> np.ndarray | None:
    """A row x of codes in [lo, hi] with round_shift(x . wrow + bias, s) == target, greedily, or None."""
    if s < 1:
        return None
    r = (target << s) - bias           # the middle of the rounding interval of target
    x = np.zeros(len(wrow), dtype=np.int64)
    half = 1 << (s - 1)
    for k in np.argsort(-np.abs(wrow), kind="stable"):
        wk = int(wrow[k])
        if wk == 0:
            break
        xk = int(np.clip(round(r / wk), lo, hi))
        x[k] = xk
        r -= xk * wk
        if -half <= r < half:
            return x
    return None


def craft_dot_rows(w: Scaled, b: Scaled | None, targets: list[int], out: str = "act",
                   prescale_log2: int = 0) -> np.ndarray:
    """One act-code input row per target: some output row's pre-saturation value equals it exactly.

    Tries the weight rows in order; raises ValueError when no row reaches a target.
    """
    a = fmt("act")
    af = a.frac + np.asarray(w.frac, dtype=np.int64).reshape(-1)
    bal = np.broadcast_to(np.asarray(bias_aligned(b, af)), af.shape)
    rows = []
    for t in targets:
        for o in range(w.codes.shape[0]):
            s = int(af[o] - fmt(out).frac + prescale_log2)
            x = _craft_one(w.codes[o], int(bal[o]), s, t, a.min_int, a.max_int)
            if x is not None and int(linear_presat(x[None], w, b, out, prescale_log2)[0, o]) == t:
                rows.append(x)
                break
        else:
            raise ValueError(f"no weight row reaches pre-saturation value {t}")
    return np.array(rows, dtype=np.int64)


def routing_layer(routes: list[tuple[int, int]], num_experts: int, dim: int,
                  ties: tuple[bool, bool] = (False, False)) -> tuple[np.ndarray, np.ndarray]:
    """(xn act codes (T, dim), gate weight rows (E, dim) as floats) routing token t to experts routes[t].

    Weight row e reads channel e only (0.5), so logit e of a token is half its channel e: the
    first expert of a route gets the largest channel, the second the next. ``ties``: every
    token also gives a third expert the value of its first (tie at the top slot) or of its
    second (tie at the second slot); the lower index must win (golden ``top2``).
    """
    T = len(routes)
    one = 1 << fmt("act").frac
    xn = np.zeros((T, dim), dtype=np.int64)
    for t, (e1, e2) in enumerate(routes):
        xn[t, :num_experts] = -one                 # every other expert well below
        xn[t, e1] = 8 * one
        xn[t, e2] = 4 * one
        if ties[0] or ties[1]:
            extra = max(e1, e2) + 1 if max(e1, e2) + 1 < num_experts else min(e1, e2) - 1
            xn[t, extra] = 8 * one if ties[0] else 4 * one
    w = np.zeros((num_experts, dim))
    for e in range(num_experts):
        w[e, e] = 0.5
    return xn, w
