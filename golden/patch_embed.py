"""Patch embedding: 16x16 stride-16 convolution on the unified linear unit.

Pixels (``pix`` codes, unsigned, frac 8) enter the linear unit as act codes
(``pix << 8``, exact). Weights are row-scaled ``w`` codes (one exponent per output
channel), so output channel ``o`` accumulates at frac ``16 + wf[o]`` (768 exact
products). The additive term ``add[t] = pos_embed[t] + patch_bias`` (for t >= 1;
``add[0] = pos_embed[0]``, the class token) is quantised as one ``b`` vector per
token with exponent ``fa[t]`` and aligned exactly:
``x[t, o] = sat_act(round_shift(acc[t, o] + (add[t, o] << (16 + wf[o] - fa[t])), 16 + wf[o] - 16))``.
Token 0 has no patch: ``x[0] = sat_act(round_shift(add[0], fa[0] - 16))`` (or a
left shift when ``fa[0] < 16``). Patches are taken row-major over the 8x16 grid;
each flattens as (channel, ky, kx), the layout of the conv weight (192, 3, 16, 16).
"""
from __future__ import annotations

import numpy as np

from .fixedpoint import Scaled, fmt, round_shift, saturate
from .linear import matmul_exact


def patches(img: np.ndarray, patch: int) -> np.ndarray:
    """(C, H, W) -> (num_patches, C*patch*patch) in row-major patch order, (c, ky, kx) inside."""
    C, H, W = img.shape
    gh, gw = H // patch, W // patch
    return img.reshape(C, gh, patch, gw, patch).transpose(1, 3, 0, 2, 4).reshape(gh * gw, C * patch * patch)


def _align(codes: np.ndarray, frm: np.ndarray, to: np.ndarray) -> np.ndarray:
    """Exactly shift codes from frac ``frm`` up to frac ``to`` (``to >= frm``)."""
    return np.left_shift(codes, to - frm)


def patch_embed_fixed(pix: np.ndarray, wpe: Scaled, add: Scaled, patch: int = 16) -> np.ndarray:
    """pix (C, H, W) ``pix`` codes; wpe (D, C*p*p) row-scaled; add (T, D) per-token ``b`` rows -> (T, D) act codes."""
    act, pf = fmt("act"), fmt("pix")
    x = patches(np.asarray(pix, dtype=np.int64), patch) << (act.frac - pf.frac)
    af = act.frac + np.asarray(wpe.frac, dtype=np.int64)                   # (D,)
    fa = np.asarray(add.frac, dtype=np.int64)                               # (T,)
    acc = matmul_exact(x, wpe.codes) + _align(add.codes[1:], fa[1:, None], af[None, :])
    out = np.empty((x.shape[0] + 1, wpe.codes.shape[0]), dtype=np.int64)
    f0 = int(fa[0])
    cls = round_shift(add.codes[0], f0 - act.frac) if f0 >= act.frac else add.codes[0] << (act.frac - f0)
    out[0] = saturate(cls, act)
    out[1:] = saturate(round_shift(acc, af[None, :] - act.frac), act)
    return out
