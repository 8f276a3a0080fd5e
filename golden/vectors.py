"""Golden test vectors: inputs and expected outputs of one operator (``edgemoe vectors``).

Format (version 1), one folder per kernel:

``manifest.json``
    ``{"format": "edgemoe-vectors", "version": 1, "kernel": NAME, "count": N,
    "seed": S, "params": {...}, "arrays": {ARRAY: {"shape": [...], "role":
    "input"|"output", "format": FMT, "file": "ARRAY.vec"}}, "edge_cases": E,
    "random_cases": R}``.
``ARRAY.vec``
    Text. Header lines start with ``#``: ``# edgemoe-vectors 1``,
    ``# name: ARRAY``, ``# shape: D0 D1 ...`` (C order; ``# shape:`` with no
    dimensions is a scalar), ``# format: FMT``. Then every element as a decimal
    integer code, one per line. Readers must check the element count against
    the shape: a short file is truncated, a long one corrupt.

Integer codes follow docs/numerics.md (``act`` = signed 26 bits frac 16, etc.).
Row-scaled parameters come as two arrays: ``NAME`` (mantissas) and ``NAME_frac``
(one exponent per row). The C++ reader is hw/hls/tb/vectors.h; the Python
reader is :func:`read`.

Kernels: gelu, exp, recip, softmax, layernorm, linear (modes plain, gelu, q,
resid, scaled), attention, moe_gate, moe_experts, patch_embed, block (a whole
encoder block on the shared weights, dense or MoE).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np

from .attention import attention_fixed
from .exp_recip import exp_fixed, recip_fixed
from .fixedpoint import Scaled, fmt, rowfmt
from .gelu import gelu_fixed
from .layernorm import layernorm_fixed
from .linear import linear_unit, score_scale
from .moe import build_queues, gate_fixed, moe_reordered
from .params import TASKS, model_dims
from .patch_embed import patch_embed_fixed
from .softmax import softmax_stats, softmax_weights
from .tables import gelu_table

FORMAT_VERSION = 1
LINEAR_MODES = ("plain", "gelu", "q", "resid", "scaled")


class VectorError(ValueError):
    """A vector folder or file is missing, truncated or malformed."""


@dataclass
class Array:
    data: np.ndarray
    role: str       # "input" or "output"
    fmt: str        # format name, "int" for plain integers (indices, counts, fracs)


@dataclass
class Vectors:
    kernel: str
    count: int
    seed: int
    params: dict = field(default_factory=dict)
    arrays: dict[str, Array] = field(default_factory=dict)
    edge_cases: int = 0
    random_cases: int = 0

    def inp(self, name: str, data, f: str) -> None:
        self.arrays[name] = Array(np.asarray(data, dtype=np.int64), "input", f)

    def out(self, name: str, data, f: str) -> None:
        self.arrays[name] = Array(np.asarray(data, dtype=np.int64), "output", f)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name].data

    def scaled(self, name: str) -> Scaled:
        """Row-scaled parameter ``name``: mantissas plus exponents shaped like the rows (0-d for a vector)."""
        codes = self[name]
        return Scaled(codes, self[name + "_frac"].reshape(codes.shape[:-1]))


# ----------------------------------------------------------------------------- helpers

def _act_edges() -> np.ndarray:
    a = fmt("act")
    return np.array([0, 1, -1, a.max_int, a.min_int, a.max_int - 1, a.min_int + 1, 1 << a.frac, -(1 << a.frac)])


def _rand_act(rng: np.random.Generator, shape, scale: float = 2.0) -> np.ndarray:
    """Realistic activations (Gaussian, std ``scale``) with a few wide outliers, as act codes."""
    a = fmt("act")
    x = rng.normal(0.0, scale, shape)
    mask = rng.random(shape) < 0.01
    x = np.where(mask, rng.normal(0.0, 40.0 * scale, shape), x)
    return a.quantize(x)


def _rand_rows(rng: np.random.Generator, shape, f: str, std: float = 0.05) -> Scaled:
    """Random row-scaled parameters with varied magnitudes per row (exercises every exponent)."""
    mags = np.exp2(rng.uniform(-6, 1, shape[:-1]))[..., None]
    return rowfmt(f).quantize(rng.normal(0.0, std, shape) * mags / std * 0.3)


def _put_scaled(v: Vectors, name: str, s: Scaled, f: str) -> None:
    v.inp(name, s.codes, f)
    v.inp(name + "_frac", np.asarray(s.frac).reshape(-1) if np.ndim(s.frac) else np.asarray([s.frac]), "int")


# ----------------------------------------------------------------------------- kernels

def vec_gelu(count: int, seed: int, **_) -> Vectors:
    rng = np.random.default_rng(seed)
    a = fmt("act")
    g = gelu_table()
    F = a.frac
    edges = list(_act_edges())
    for s0, s1 in zip(g.seg_start, g.seg_end):
        for b in (s0, s1):
            c = int(round(b * (1 << F)))
            edges += [c - 1, c, c + 1, -c + 1, -c, -c - 1]
    edges += [int(round(t * (1 << F))) for t in g.nodes[::7]]
    edges += [-(8 << F), 8 << F]
    edges = np.clip(np.array(edges), a.min_int, a.max_int)
    rnd = np.concatenate([rng.integers(-(8 << F), (8 << F) + 1, count - count // 4),
                          rng.integers(a.min_int, a.max_int + 1, count // 4)])
    x = np.concatenate([edges, rnd])
    v = Vectors("gelu", count, seed, edge_cases=len(edges), random_cases=len(rnd))
    v.inp("x", x, "act")
    v.out("y", gelu_fixed(x), "act")
    return v


def vec_exp(count: int, seed: int, **_) -> Vectors:
    rng = np.random.default_rng(seed)
    a = fmt("act")
    F = a.frac
    edges = [0, -1, -2, -(1 << F), -(32 << F), -(32 << F) + 1, -(32 << F) - 1, a.min_int, -(1 << (F - 7)),
             -(23 << F), -(22 << F), -(12 << F) - 1, -(1 << F) + 1]
    rnd = np.concatenate([-rng.integers(0, 16 << F, count - count // 4), rng.integers(a.min_int, 1, count // 4)])
    d = np.concatenate([edges, rnd])
    v = Vectors("exp", count, seed, edge_cases=len(edges), random_cases=len(rnd))
    v.inp("d", d, "act")
    v.out("e", exp_fixed(d), "e")
    return v


def vec_recip(count: int, seed: int, **_) -> Vectors:
    rng = np.random.default_rng(seed)
    sf = fmt("sum")
    one = 1 << sf.frac
    edges = [one, one + 1, 2 * one - 1, 2 * one, 129 * one, sf.max_int, sf.max_int - 1, 3 * one, 7 * one + 12345]
    rnd = rng.integers(one, 130 * one, count)
    s = np.concatenate([edges, rnd])
    v = Vectors("recip", count, seed, edge_cases=len(edges), random_cases=len(rnd))
    v.inp("s", s, "sum")
    v.out("r", recip_fixed(s), "r")
    return v


def vec_softmax(count: int, seed: int, cols: int | None = None, **_) -> Vectors:
    """``count`` random rows of ``cols`` scores (default 129 keys) plus edge rows."""
    rng = np.random.default_rng(seed)
    a = fmt("act")
    J = cols or model_dims().num_tokens
    F = a.frac
    e = [np.zeros(J), np.arange(J) * (1 << F) // 4, -np.arange(J) * (1 << F) // 4,
         np.where(np.arange(J) == J // 2, 50 << F, 0), np.full(J, a.max_int), np.full(J, a.min_int),
         np.where(np.arange(J) % 2 == 0, a.max_int, a.min_int), np.arange(J) * (1 << F) * 3,
         np.repeat([5 << F, 5 << F], [J // 2, J - J // 2])]
    edges = np.array(e, dtype=np.int64)
    rnd = _rand_act(rng, (count, J), 4.0)
    s = np.concatenate([edges, rnd])
    m, r = softmax_stats(s)
    v = Vectors("softmax", count, seed, {"cols": J}, edge_cases=len(edges), random_cases=count)
    v.inp("s", s, "act")
    v.out("m", m, "act")
    v.out("r", r, "r")
    v.out("p", softmax_weights(s, m, r), "p")
    return v


LAYERNORM_GB = ("random", "sat", "tiny")


def vec_layernorm(count: int, seed: int, gb: str = "random", **_) -> Vectors:
    """``count`` random tokens of 192 channels plus edge tokens; one gamma/beta set.

    ``gb`` picks the set: ``random`` (default) quantises random floats; ``sat`` and
    ``tiny`` are full-range random int16 mantissas at the exponent extremes:
    ``sat`` gamma frac 6 (|gamma| up to 512, most outputs saturate), beta frac 21;
    ``tiny`` gamma frac 21, beta frac 6 (beta up to +-512). Together they give the
    smallest and largest beta alignment (5, 35) and output shift (10, 25).
    """
    if gb not in LAYERNORM_GB:
        raise VectorError(f"unknown layernorm gamma/beta set '{gb}': expected one of {LAYERNORM_GB}")
    rng = np.random.default_rng(seed)
    a = fmt("act")
    D = model_dims().embed_dim
    ch = np.arange(D)
    edges = np.array([np.zeros(D), np.full(D, 3 << a.frac), np.where(ch % 2, a.max_int, a.min_int),
                      np.where(ch == 5, a.max_int, 0), np.where(ch == 7, 1, 0), ch - D // 2,
                      np.full(D, a.max_int), np.full(D, a.min_int)], dtype=np.int64)
    rnd = _rand_act(rng, (count, D), 3.0)
    x = np.concatenate([edges, rnd])
    bf = rowfmt("b")
    if gb == "random":
        gamma = bf.quantize(rng.normal(1.0, 0.5, D) * rng.choice([1.0, 8.0]))
        beta = bf.quantize(rng.normal(0.0, 0.5, D) * rng.choice([0.01, 1.0, 10.0]))
    else:
        fg, fb = (bf.frac_min, bf.frac_max) if gb == "sat" else (bf.frac_max, bf.frac_min)
        gc = rng.integers(bf.min_int, bf.max_int + 1, D)
        bc = rng.integers(bf.min_int, bf.max_int + 1, D)
        gc[:4] = [bf.max_int, bf.min_int, 0, 1]
        bc[:4] = [bf.min_int, bf.max_int, 0, -1]
        gamma, beta = Scaled(gc, np.int64(fg)), Scaled(bc, np.int64(fb))
    v = Vectors("layernorm", count, seed, {} if gb == "random" else {"gb": gb}, edge_cases=len(edges),
                random_cases=count)
    v.inp("x", x, "act")
    _put_scaled(v, "gamma", gamma, "b")
    _put_scaled(v, "beta", beta, "b")
    v.out("y", layernorm_fixed(x, gamma, beta), "act")
    return v


def vec_linear(count: int, seed: int, mode: str = "plain", k: int | None = None, n: int | None = None, **_) -> Vectors:
    """``count`` random input rows (tokens) of a K x N linear-unit pass in ``mode``, plus edge rows."""
    if mode not in LINEAR_MODES:
        raise VectorError(f"unknown linear mode '{mode}': expected one of {LINEAR_MODES}")
    rng = np.random.default_rng(seed)
    a = fmt("act")
    K = k or model_dims().embed_dim
    N = n or 64
    edges = np.array([np.full(K, a.max_int), np.full(K, a.min_int), np.zeros(K),
                      np.where(np.arange(K) % 2, a.max_int, a.min_int)], dtype=np.int64)
    x = np.concatenate([edges, _rand_act(rng, (count, K), 2.0)])
    w = _rand_rows(rng, (N, K), "w")
    codes = w.codes.copy()
    codes[0] = 32767                     # extremes: saturating rows
    codes[min(1, N - 1)] = -32768 if N > 1 else codes[0]
    w = Scaled(codes, w.frac)
    b = rowfmt("b").quantize(rng.normal(0.0, 1.0, N) * rng.choice([0.05, 1.0, 30.0]))
    v = Vectors("linear", count, seed, {"mode": mode, "k": K, "n": N}, edge_cases=len(edges), random_cases=count)
    v.inp("x", x, "act")
    _put_scaled(v, "w", w, "w")
    _put_scaled(v, "b", b, "b")
    v.inp("mode", [LINEAR_MODES.index(mode)], "int")
    T = x.shape[0]
    if mode == "plain":
        v.out("y", linear_unit(x, w, b), "act")
    elif mode == "gelu":
        v.out("y", linear_unit(x, w, b, gelu=True), "act")
    elif mode == "q":
        v.out("y", linear_unit(x, w, b, out="q", prescale_log2=3), "q")
    elif mode == "resid":
        r = _rand_act(rng, (T, N), 3.0)
        r[0] = a.max_int
        v.inp("resid", r, "act")
        v.out("y", linear_unit(x, w, b, resid=r), "act")
    else:
        acc_in = fmt("moe_acc").quantize(rng.normal(0.0, 3.0, (T, N)))
        p = rng.integers(0, (1 << fmt("p").frac) + 1, T)
        p[:3] = [0, 1 << fmt("p").frac, 1]
        v.inp("acc_in", acc_in, "moe_acc")
        v.inp("p", p, "p")
        v.out("y", acc_in + score_scale(linear_unit(x, w, b), p), "moe_acc")
    return v


def vec_attention(count: int, seed: int, tokens: int | None = None, heads: int | None = None, **_) -> Vectors:
    """One attention problem of ``tokens`` rows (default 129) and ``heads`` heads (default 3); count = problems."""
    rng = np.random.default_rng(seed)
    d = model_dims()
    T, H, Dh = tokens or d.num_tokens, heads or d.num_heads, d.head_dim
    qf = fmt("q")
    qs, ks, vs = [], [], []
    for c in range(max(1, count)):
        q = qf.quantize(rng.normal(0, 0.15, (T, H, Dh)))
        k = _rand_act(rng, (T, H, Dh), 2.5)
        v = _rand_act(rng, (T, H, Dh), 1.0)
        if c == 0:   # edge: equal scores (ties) in head 0, extreme values in the last head
            q[:, 0] = 0
            q[:, -1, :4] = qf.max_int
            k[:, -1, :4] = fmt("act").max_int
        qs.append(q), ks.append(k), vs.append(v)
    q, k, v = (np.stack(z) for z in (qs, ks, vs))
    vec = Vectors("attention", count, seed, {"tokens": T, "heads": H, "head_dim": Dh}, edge_cases=1,
                  random_cases=max(1, count) - 1)
    vec.inp("q", q, "q")
    vec.inp("k", k, "act")
    vec.inp("v", v, "act")
    outs, ms, rs = [], [], []
    for c in range(q.shape[0]):
        tr: dict = {}
        outs.append(attention_fixed(q[c], k[c], v[c], None, tr))
        ms.append(tr["max"]), rs.append(tr["rsum"])
    vec.out("m", np.stack(ms), "act")
    vec.out("r", np.stack(rs), "r")
    vec.out("out", np.stack(outs), "act")
    return vec


def _queue_arrays(v: Vectors, idx: np.ndarray, p: np.ndarray, E: int, depth: int) -> None:
    q = build_queues(idx, p, E, depth)
    tok = np.full((E, depth), -1, dtype=np.int64)
    sc = np.zeros((E, depth), dtype=np.int64)
    for e in range(E):
        tok[e, :len(q.tokens[e])] = q.tokens[e]
        sc[e, :len(q.scores[e])] = q.scores[e]
    meta = np.full(E, -1, dtype=np.int64)
    meta[:len(q.metaqueue)] = q.metaqueue
    v.out("counts", q.counts, "int")
    v.out("queue_tokens", tok, "int")
    v.out("queue_scores", sc, "p")
    v.out("metaqueue", meta, "int")
    v.out("meta_len", [len(q.metaqueue)], "int")


def vec_moe_gate(count: int, seed: int, case: str = "random", tokens: int | None = None, **_) -> Vectors:
    """Gate + top-2 + queues for ``tokens`` tokens; case random | one_expert | ties.

    ``one_expert``: every token picks experts 3 and 11 (their queues are full, the
    other 14 are empty). ``ties``: equal logits on several experts (lower index wins).
    ``count`` is ignored for the crafted cases (their size is ``tokens``).
    """
    rng = np.random.default_rng(seed)
    d = model_dims()
    T = tokens or d.num_tokens
    E, D = d.num_experts, d.embed_dim
    wf = rowfmt("w")
    if case == "random":
        T = count or T
        xn = _rand_act(rng, (T, D), 2.0)
        wg = wf.quantize(rng.normal(0.0, 0.05, (E, D)))
    elif case == "one_expert":
        xn = fmt("act").quantize(np.abs(rng.normal(0.0, 2.0, (T, D))) + 0.5)
        w = rng.normal(0.0, 0.01, (E, D))
        w[3] += 0.4
        w[11] += 0.2
        wg = wf.quantize(w)
    elif case == "ties":
        xn = _rand_act(rng, (T, D), 2.0)
        w = rng.normal(0.0, 0.05, (E, D))
        w[9], w[7], w[14] = w[5], w[2], w[13]     # equal rows give equal logits: lower index must win
        wg = wf.quantize(w)
    else:
        raise VectorError(f"unknown moe_gate case '{case}': expected random, one_expert or ties")
    logits, idx, p = gate_fixed(xn, wg, d.top_k)
    v = Vectors("moe_gate", T, seed, {"case": case, "tokens": T, "experts": E, "queue_depth": d.num_tokens},
                edge_cases=0 if case == "random" else T, random_cases=T if case == "random" else 0)
    v.inp("xn", xn, "act")
    _put_scaled(v, "wg", wg, "w")
    v.out("logits", logits, "act")
    v.out("idx", idx, "int")
    v.out("p", p, "p")
    _queue_arrays(v, idx, p, E, max(T, d.num_tokens))
    return v


def _load_layer(layer: int):
    from .fixed_model import FixedWeights
    from .weights import load_weights

    return FixedWeights.from_float(load_weights(heads=False))


def vec_moe_experts(count: int, seed: int, layer: int = 1, task: int = 0, case: str = "random", **_) -> Vectors:
    """A whole expert layer (gate, queues, experts, combine) on the shared weights of MoE ``layer``.

    case random: ``count`` random tokens; one_expert: every token routed to experts 3, 11
    (gate replaced by a crafted one, stated in params).
    """
    d = model_dims()
    if not d.is_moe(layer):
        raise VectorError(f"layer {layer} is not an MoE layer (odd layers 1..{d.depth - 1} are)")
    rng = np.random.default_rng(seed)
    fw = _load_layer(layer)
    p = f"l{layer}_"
    T = count or d.num_tokens
    x = _rand_act(rng, (T, d.embed_dim), 2.0)
    xn = _rand_act(rng, (T, d.embed_dim), 1.5)
    wg = fw[p + f"w_gate_T_task{task}"]
    if case == "one_expert":
        w = np.zeros((d.num_experts, d.embed_dim))
        w[3] = 0.3
        w[11] = 0.1
        wg = rowfmt("w").quantize(w)
        xn = np.abs(xn) + (1 << 16)
    logits, idx, pr = gate_fixed(xn, wg, d.top_k)
    q = build_queues(idx, pr, d.num_experts)
    w1, b1, w2, b2 = (fw[p + n] for n in ("htoh4_weight", "htoh4_bias", "h4toh_weight", "h4toh_bias"))
    v = Vectors("moe_experts", T, seed, {"layer": layer, "task": task, "case": case, "weights": "shared (synthetic experts)"},
                random_cases=T)
    v.inp("x", x, "act")
    v.inp("xn", xn, "act")
    _put_scaled(v, "wg", wg, "w")
    for n, s, f in (("w1", w1, "w"), ("b1", b1, "b"), ("w2", w2, "w"), ("b2", b2, "b")):
        _put_scaled(v, n, s, f)
    v.out("idx", idx, "int")
    v.out("p", pr, "p")
    _queue_arrays(v, idx, pr, d.num_experts, d.num_tokens)
    v.out("y", moe_reordered(x, xn, q, w1, b1, w2, b2), "act")
    return v


def vec_patch_embed(count: int, seed: int, **_) -> Vectors:
    """Patch embedding of one frame: the shared sample frame for seed 0, random pixels otherwise."""
    from .fixed_model import FixedWeights, image_codes
    from .weights import default_folder, load_image, load_weights

    rng = np.random.default_rng(seed)
    fw = FixedWeights.from_float(load_weights(heads=False))
    d = model_dims()
    folder = default_folder()
    if seed == 0 and folder is not None and (folder / "image.float32.bin").is_file():
        pix = image_codes(load_image(folder / "image.float32.bin"))
        src = "shared sample frame"
    else:
        pix = rng.integers(0, 256, (d.img_c, d.img_h, d.img_w))
        pix[:, :16, :16] = 255
        src = "random pixels"
    v = Vectors("patch_embed", 1, seed, {"image": src}, random_cases=1)
    v.inp("pix", pix, "pix")
    _put_scaled(v, "wpe", fw["patch_embed_weight"], "w")
    _put_scaled(v, "add", fw["embed_add"], "b")
    v.out("x", patch_embed_fixed(pix, fw["patch_embed_weight"], fw["embed_add"], d.patch), "act")
    return v


def vec_block(count: int, seed: int, layer: int = 0, task: int = 0, **_) -> Vectors:
    """One whole encoder block (dense for even ``layer``, MoE for odd) on the shared weights.

    Input: the block's real input on the sample frame (the fixed backbone's output of
    the previous block) for seed 0, else random activations. ``count`` is ignored.
    """
    from .fixed_model import FixedBackbone, FixedWeights, image_codes
    from .weights import default_folder, load_image, load_weights

    d = model_dims()
    if not 0 <= layer < d.depth:
        raise VectorError(f"layer {layer} out of range [0, {d.depth})")
    if task not in range(d.num_tasks):
        raise VectorError(f"unknown task {task}: expected 0 (seg) or 1 (depth)")
    fw = FixedWeights.from_float(load_weights(heads=False))
    bb = FixedBackbone(fw)
    folder = default_folder()
    if seed == 0 and folder is not None:
        # The blocks before `layer` only: FixedBackbone.forward's steps, stopped early (same bits, less time).
        x = bb.embed(image_codes(load_image(folder / "image.float32.bin")))
        for prev in range(layer):
            x = bb.mlp_block(bb.attention_block(x, prev, None, None), prev, task, None)
        src = "sample frame"
    else:
        x = _rand_act(np.random.default_rng(seed), (d.num_tokens, d.embed_dim), 2.0)
        src = "random"
    y = bb.mlp_block(bb.attention_block(x, layer, None, None), layer, task, None)
    p = f"l{layer}_"
    v = Vectors("block", 1, seed, {"layer": layer, "task": task, "moe": d.is_moe(layer), "input": src,
                                   "weights": "shared (synthetic experts)"}, random_cases=1)
    v.inp("x", x, "act")
    names = ["norm1_weight", "norm1_bias", "qkv_weight", "qkv_bias", "attn_proj_weight", "attn_proj_bias",
             "norm2_weight", "norm2_bias"]
    names += ([f"w_gate_T_task{task}", "htoh4_weight", "htoh4_bias", "h4toh_weight", "h4toh_bias"]
              if d.is_moe(layer) else ["fc1_weight", "fc1_bias", "fc2_weight", "fc2_bias"])
    for n in names:
        s = fw[p + n]
        key = "w_gate" if n.startswith("w_gate") else n
        _put_scaled(v, key, s, "w" if n.endswith("weight") and s.codes.ndim >= 2 or n.startswith("w_gate") else "b")
    v.out("y", y, "act")
    return v


KERNELS: dict[str, Callable[..., Vectors]] = {
    "gelu": vec_gelu, "exp": vec_exp, "recip": vec_recip, "softmax": vec_softmax, "layernorm": vec_layernorm,
    "linear": vec_linear, "attention": vec_attention, "moe_gate": vec_moe_gate, "moe_experts": vec_moe_experts,
    "patch_embed": vec_patch_embed, "block": vec_block,
}


def generate(kernel: str, count: int = 256, seed: int = 1, **params) -> Vectors:
    if kernel not in KERNELS:
        raise VectorError(f"unknown kernel '{kernel}': expected one of {', '.join(KERNELS)}")
    if count < 0:
        raise VectorError(f"count must be >= 0, got {count}")
    return KERNELS[kernel](count, seed, **params)


# ----------------------------------------------------------------------------- file I/O

@lru_cache(maxsize=1)
def _golden_hash() -> str:
    """Hash of the golden model's sources and parameters: vectors written by an older model are not reused."""
    h = hashlib.sha1()
    for f in sorted(Path(__file__).resolve().parent.glob("*.py")) + [Path(__file__).with_name("params.toml")]:
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:12]


def load(kernel: str, count: int = 256, seed: int = 1, **params) -> Vectors:
    """:func:`generate` through the documented file format.

    With ``$EDGEMOE_VECTORS`` set to a folder, the vectors of (kernel, count,
    seed, params) are read from ``<folder>/<kernel>-<key>/`` with :func:`read`,
    after being written there by :func:`write` the first time (the key also
    covers the golden model's sources, so a changed model writes new files).
    The cocotb testbenches load their vectors this way (sim/runner.py sets the
    folder), so they consume exactly the files ``edgemoe vectors`` writes.
    Without the variable this is :func:`generate`.
    """
    root = os.environ.get("EDGEMOE_VECTORS")
    if not root:
        return generate(kernel, count, seed, **params)
    key = json.dumps([kernel, count, seed, sorted((k, v) for k, v in params.items()), _golden_hash()])
    folder = Path(root) / f"{kernel}-{hashlib.sha1(key.encode()).hexdigest()[:16]}"
    if not (folder / "manifest.json").is_file():
        try:
            write(generate(kernel, count, seed, **params), folder)
        except OSError:
            if not (folder / "manifest.json").is_file():   # another process won the race otherwise
                raise
    return read(folder)


def _write_vec(path: Path, name: str, a: Array) -> None:
    shape = " ".join(str(s) for s in a.data.shape)
    with open(path, "w") as f:
        f.write(f"# edgemoe-vectors {FORMAT_VERSION}\n# name: {name}\n# shape: {shape}\n# format: {a.fmt}\n")
        # str() of Python ints: the same text as np.savetxt(fmt="%d"), five times faster on the MB-sized weight arrays.
        f.write("".join(f"{v}\n" for v in a.data.reshape(-1).tolist()))


def _own_vector_files(folder: Path) -> set[str] | None:
    """The files of a vector folder written before output stamps existed (manifest plus its arrays)."""
    man = json.loads((folder / "manifest.json").read_text())
    if man.get("format") != "edgemoe-vectors":
        return None
    return {"manifest.json", *(str(a["file"]) for a in man.get("arrays", {}).values())}


def write(v: Vectors, out: str | Path, *, force: bool = False, option: str | None = None) -> Path:
    """Write a vector folder through a staging folder moved into place at the end (:mod:`edgemoe.outdir`).

    An existing folder is replaced only when it holds vectors (or other output of
    ``edgemoe vectors``): other files are never deleted or overwritten, and a
    non-empty folder of anything else raises :class:`edgemoe.outdir.OutDirError`
    unless ``force``. ``option`` names the command-line option in messages.
    """
    from edgemoe.outdir import OutputDir

    with OutputDir(out, command="vectors", option=option, force=force, legacy=_own_vector_files) as tmp:
        _write_files(v, tmp)
    return Path(out)


def _write_files(v: Vectors, folder: Path) -> None:
    """The manifest and one ``.vec`` file per array, into ``folder`` (which exists)."""
    man = {"format": "edgemoe-vectors", "version": FORMAT_VERSION, "kernel": v.kernel, "count": v.count,
           "seed": v.seed, "params": v.params, "edge_cases": v.edge_cases, "random_cases": v.random_cases,
           "arrays": {}}
    for name, a in v.arrays.items():
        _write_vec(folder / f"{name}.vec", name, a)
        man["arrays"][name] = {"shape": list(a.data.shape), "role": a.role, "format": a.fmt, "file": f"{name}.vec"}
    (folder / "manifest.json").write_text(json.dumps(man, indent=1) + "\n")


def read_vec(path: str | Path, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """Read one ``.vec`` file, checking its header and element count."""
    path = Path(path)
    if not path.is_file():
        raise VectorError(f"missing vector file {path}")
    hdr_shape = None
    vals: list[int] = []
    with open(path) as f:
        for ln, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            if line.startswith("#"):
                if line.startswith("# shape:"):
                    hdr_shape = tuple(int(t) for t in line[8:].split())
                continue
            try:
                vals.append(int(line))
            except ValueError:
                raise VectorError(f"{path}:{ln}: expected an integer, found {line[:40]!r}") from None
    if hdr_shape is None:
        raise VectorError(f"{path}: no '# shape:' header line")
    if shape is not None and tuple(shape) != hdr_shape:
        raise VectorError(f"{path}: expected shape {tuple(shape)}, header says {hdr_shape}")
    n = int(np.prod(hdr_shape))
    if len(vals) != n:
        kind = "truncated" if len(vals) < n else "has extra values"
        raise VectorError(f"{path} is {kind}: shape {hdr_shape} needs {n} values, found {len(vals)}")
    return np.array(vals, dtype=np.int64).reshape(hdr_shape)


def read(folder: str | Path) -> Vectors:
    """Read a vector folder written by :func:`write`, validating every file against the manifest."""
    folder = Path(folder)
    mf = folder / "manifest.json"
    if not mf.is_file():
        raise VectorError(f"{folder} holds no manifest.json (write vectors with `edgemoe vectors`)")
    try:
        man = json.loads(mf.read_text())
    except json.JSONDecodeError as e:
        raise VectorError(f"{mf}: not valid JSON ({e})") from None
    if man.get("format") != "edgemoe-vectors" or man.get("version") != FORMAT_VERSION:
        raise VectorError(f"{mf}: expected format edgemoe-vectors version {FORMAT_VERSION}, "
                          f"found {man.get('format')} version {man.get('version')}")
    v = Vectors(man["kernel"], man["count"], man["seed"], man.get("params", {}), {}, man.get("edge_cases", 0),
                man.get("random_cases", 0))
    for name, meta in man["arrays"].items():
        data = read_vec(folder / meta["file"], tuple(meta["shape"]))
        v.arrays[name] = Array(data, meta["role"], meta["format"])
    return v


# ----------------------------------------------------------------------------- CLI

MAX_MB = 100
"""Largest estimated output (MB of .vec text) ``edgemoe vectors`` writes without ``--allow-large``."""
_BYTES_PER_VALUE = 6      # measured: 5-7 characters per code, newline included

# Which kernels each size option applies to (a size option given to another kernel is an error, not ignored).
_SIZE_OPTIONS = {"k": ("linear",), "n": ("linear",), "cols": ("softmax",), "tokens": ("attention", "moe_gate"),
                 "heads": ("attention",)}
_CASES = {"moe_gate": ("random", "one_expert", "ties"), "moe_experts": ("random", "one_expert")}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--kernel", required=True, choices=sorted(KERNELS), help="operator to write vectors for")
    p.add_argument("--out", required=True, type=Path,
                   help="output folder: new, empty or earlier vectors output (those files are replaced; "
                        "nothing else is touched)")
    p.add_argument("--force", action="store_true",
                   help="write into a non-empty folder that holds other files (they are kept)")
    p.add_argument("--count", type=int, default=None,
                   help="random cases (elements, rows or tokens; attention: problems); default 256, attention 3")
    p.add_argument("--seed", type=int, default=1, help="random seed, >= 0")
    p.add_argument("--mode", choices=LINEAR_MODES, default=None, help="linear: output stage (default plain)")
    p.add_argument("--k", type=int, default=None, help="linear: inputs per output, >= 1 (default 192)")
    p.add_argument("--n", type=int, default=None, help="linear: outputs, >= 1 (default 64)")
    p.add_argument("--cols", type=int, default=None, help="softmax: scores per row, >= 1 (default 129)")
    p.add_argument("--tokens", type=int, default=None, help="attention / moe_gate: tokens, >= 1 (default 129)")
    p.add_argument("--heads", type=int, default=None, help="attention: heads, >= 1 (default 3)")
    p.add_argument("--case", default=None, help="moe_gate: random | one_expert | ties; moe_experts: random | one_expert")
    p.add_argument("--layer", type=int, default=None, help="block: encoder layer 0..11; moe_experts: odd layer (default 1)")
    p.add_argument("--task", default=None, help="block / moe_experts: seg | depth | 0 | 1 (default seg)")
    p.add_argument("--allow-large", action="store_true",
                   help=f"write even when the estimated output exceeds {MAX_MB} MB")


def _task_index(t: str) -> int:
    if t in TASKS:
        return TASKS.index(t)
    if t in ("0", "1"):
        return int(t)
    raise VectorError(f"--task {t!r}: expected seg, depth, 0 or 1")


def estimate_values(kernel: str, count: int, params: dict) -> int:
    """Number of integer codes :func:`generate` writes for these arguments (within a few percent)."""
    d = model_dims()
    D, T0, E = d.embed_dim, d.num_tokens, d.num_experts
    if kernel in ("gelu", "exp", "recip"):
        return 2 * (count + 80)
    if kernel == "softmax":
        J = params.get("cols") or T0
        return (count + 9) * (2 * J + 2)
    if kernel == "layernorm":
        return (count + 8) * 2 * D + 4 * D
    if kernel == "linear":
        K, N = params.get("k") or D, params.get("n") or 64
        extra = N if params.get("mode") in ("resid", "scaled") else 0
        return (count + 4) * (K + N + extra) + N * K + 2 * N + 2
    if kernel == "attention":
        T, H = params.get("tokens") or T0, params.get("heads") or d.num_heads
        return max(1, count) * T * H * (4 * d.head_dim + 2)
    if kernel == "moe_gate":
        T = (count or params.get("tokens") or T0) if params.get("case", "random") == "random" else (params.get("tokens") or T0)
        return T * (D + E + 4) + E * D + E * (2 * max(T, T0) + 2)
    if kernel == "moe_experts":
        T = count or T0
        return 4 * E * d.expert_hidden * D + T * (3 * D + 4) + E * (D + 2 * T0)
    if kernel == "patch_embed":
        return d.img_c * d.img_h * d.img_w + D * d.img_c * d.patch ** 2 + 2 * T0 * D
    return 4 * E * d.expert_hidden * D + 4 * D * D + 3 * T0 * D      # block: the MoE layers are the larger


def cli_params(args: argparse.Namespace) -> tuple[int, dict]:
    """(count, generator parameters) from the command line; :class:`VectorError` names a bad option."""
    d = model_dims()
    k = args.kernel
    count = args.count if args.count is not None else (3 if k == "attention" else 256)
    if count < 0:
        raise VectorError(f"--count {count}: expected an integer >= 0")
    if args.seed < 0:
        raise VectorError(f"--seed {args.seed}: expected an integer >= 0")
    params: dict = {}
    for opt, kernels in _SIZE_OPTIONS.items():
        val = getattr(args, opt)
        if val is None:
            continue
        if k not in kernels:
            raise VectorError(f"--{opt} applies to --kernel {' or '.join(kernels)} only, not {k}")
        if val < 1:
            raise VectorError(f"--{opt} {val}: expected an integer >= 1")
        params[opt] = val
    if args.mode is not None:
        if k != "linear":
            raise VectorError(f"--mode applies to --kernel linear only, not {k}")
        params["mode"] = args.mode
    if args.case is not None:
        if k not in _CASES:
            raise VectorError(f"--case applies to --kernel moe_gate or moe_experts only, not {k}")
        if args.case not in _CASES[k]:
            raise VectorError(f"--case {args.case!r}: expected one of {', '.join(_CASES[k])} for {k}")
        params["case"] = args.case
    if args.task is not None or k in ("block", "moe_experts"):
        if k not in ("block", "moe_experts"):
            raise VectorError(f"--task applies to --kernel block or moe_experts only, not {k}")
        params["task"] = _task_index(args.task if args.task is not None else "seg")
    if args.layer is not None or k in ("block", "moe_experts"):
        if k not in ("block", "moe_experts"):
            raise VectorError(f"--layer applies to --kernel block or moe_experts only, not {k}")
        layer = args.layer if args.layer is not None else (1 if k == "moe_experts" else 0)
        if k == "moe_experts" and not (0 <= layer < d.depth and d.is_moe(layer)):
            moe = [L for L in range(d.depth) if d.is_moe(L)]
            raise VectorError(f"--layer {layer}: expected an MoE layer ({', '.join(map(str, moe))})")
        if not 0 <= layer < d.depth:
            raise VectorError(f"--layer {layer} out of range [0, {d.depth}): expected 0..{d.depth - 1}")
        params["layer"] = layer
    mb = estimate_values(k, count, params) * _BYTES_PER_VALUE / 1e6
    if mb > MAX_MB and not args.allow_large:
        sizes = " ".join(f"--{o} {getattr(args, o)}" for o in ("count", "tokens", "heads", "k", "n", "cols")
                         if getattr(args, o) is not None)
        raise VectorError(f"{sizes or 'these options'}: would write about {mb:.0f} MB of vectors (limit {MAX_MB} MB); "
                          "expected smaller sizes, or pass --allow-large")
    return count, params


def main(args: argparse.Namespace) -> int:
    from edgemoe.cli import one_line
    from edgemoe.outdir import OutDirError, OutputDir

    try:
        count, params = cli_params(args)
        od = OutputDir(args.out, command="vectors", force=args.force, legacy=_own_vector_files)
        with od as tmp:   # checked before generating: a folder that cannot be written fails in milliseconds
            v = generate(args.kernel, count, args.seed, **params)
            _write_files(v, tmp)
    except (VectorError, OutDirError) as e:
        print(one_line(f"edgemoe vectors: error: {e}"), file=sys.stderr)
        return 2
    n_out = sum(a.data.size for a in v.arrays.values() if a.role == "output")
    print(f"wrote {args.kernel} vectors to {args.out}: {v.edge_cases} edge + {v.random_cases} random cases, "
          f"{n_out} expected output values")
    return 0
