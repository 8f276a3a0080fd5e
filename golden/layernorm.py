"""LayerNorm over the 192 channels of a token, exact integer statistics.

Contract (n = 192 channels, x in act codes, frac 16; gamma and beta are ``b``
vectors, each with its own exponent ``fg``, ``fb``):

1. ``S1 = sum x``, ``S2 = sum x^2`` exactly (72-bit accumulators suffice).
2. ``V = n*S2 - S1^2`` (= n^2 var, frac 32) and ``W = V + E`` with
   ``E = round(n^2 * eps * 2^32)``.
3. Normalise: ``g = floor((62 - bitlen(W)) / 2)``; ``W' = W << 2g`` (or ``>> -2g``,
   floor) lies in ``[2^60, 2^62)``; ``Q = isqrt(W')`` (floor) in ``[2^30, 2^31)``.
4. ``R = round(2^k / Q)`` (k = 54, round half up, exact division), so
   ``1/sqrt(W) ~= R * 2^(g - k)``.
5. Per element: ``D = n*x - S1`` (exact), ``z = round_shift(D * R, k - z_frac - g)``
   (frac z_frac = 20; |z| < 14).
6. ``y = sat_act(round_shift(z * gamma + (beta << (z_frac + fg - fb)), z_frac + fg - 16))``.

Everything per token is exact integer arithmetic, so any lane count or
accumulation order gives the same bits.
"""
from __future__ import annotations

import math

import numpy as np

from .fixedpoint import Scaled, fmt, round_shift, saturate
from .params import load_raw, model_dims


def ln_eps_term(n: int | None = None) -> int:
    """``E = round(n^2 * eps * 2^(2 * act.frac))``."""
    n = n or model_dims().embed_dim
    act = fmt("act")
    return math.floor(n * n * model_dims().ln_eps * 2.0 ** (2 * act.frac) + 0.5)


def ln_rstd(S1: int, S2: int, n: int) -> tuple[int, int]:
    """Per-token statistics: ``(R, g)`` such that ``1/sqrt(n^2 var + n^2 eps) ~= R * 2^(g - k)``."""
    k = int(load_raw()["layernorm"]["k"])
    W = n * S2 - S1 * S1 + ln_eps_term(n)
    g = (62 - W.bit_length()) // 2
    Wn = W << (2 * g) if g >= 0 else W >> (-2 * g)
    Q = math.isqrt(Wn)
    R = ((1 << (k + 1)) + Q) // (2 * Q)
    return R, g


def layernorm_fixed(x: np.ndarray, gamma: Scaled, beta: Scaled) -> np.ndarray:
    """LayerNorm of act codes ``x`` (T, n) with ``b``-format vectors gamma, beta (n,) -> act codes."""
    act = fmt("act")
    ln = load_raw()["layernorm"]
    k, zf = int(ln["k"]), int(ln["z_frac"])
    x = np.asarray(x, dtype=np.int64)
    if x.ndim != 2:
        raise ValueError(f"layernorm_fixed: expected (tokens, channels), got shape {x.shape}")
    n = x.shape[1]
    if n > 4096:
        raise ValueError(f"layernorm_fixed: at most 4096 channels (int64 sum of squares), got {n}")
    S1 = x.sum(axis=1)
    S2 = (x * x).sum(axis=1)  # < 2^58 for 26-bit x and n = 192: exact in int64
    R = np.empty(x.shape[0], dtype=np.int64)
    sh = np.empty(x.shape[0], dtype=np.int64)
    for t in range(x.shape[0]):  # n*S2 - S1^2 needs ~67 bits: Python ints per token
        R[t], g = ln_rstd(int(S1[t]), int(S2[t]), n)
        sh[t] = k - zf - g
    D = n * x - S1[:, None]
    z = round_shift(D * R[:, None], sh[:, None])
    fg, fb = int(gamma.frac), int(beta.frac)
    if zf + fg - fb < 0:
        raise ValueError(f"layernorm_fixed: beta frac {fb} exceeds z_frac + gamma frac {zf + fg}")
    y = round_shift(z * gamma.codes[None, :] + (beta.codes[None, :] << (zf + fg - fb)), zf + fg - act.frac)
    return saturate(y, act)
