"""Lookup tables of the GELU and exp units, generated from ``params.toml``.

Both tables are pure functions of the parameters: the golden model, the
generated ``.mem`` files, the SystemVerilog package and the C++ header all take
them from here, so they cannot disagree.

GELU table
    ``d(t) = t * (1 - Phi(t))`` so that ``GELU(x) = ReLU(x) - d(|x|)``. Nodes lie
    on the segment grids of ``[gelu].segments`` (a shared node at each segment
    boundary, one final node at the end). Each node value is ``d(node)`` minus
    half the mean chord error of its two neighbouring intervals, which centres
    the linear-interpolation error around zero (a near-minimax fit), then
    rounded half up to ``entry_frac`` fractional bits. The final node is
    forced to 0 so the table meets ReLU continuously.

Exp table
    ``E2[j] = round(2^(j / (N-1)) * 2^entry_frac)`` for ``j = 0 .. N-1``: exact nodes of
    ``2^f`` on ``[0, 1]``; linear interpolation between them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .params import load_raw


def gelu_d(t: np.ndarray) -> np.ndarray:
    """d(t) = t (1 - Phi(t)) = ReLU(t) - GELU(t) for t >= 0, in float64."""
    t = np.asarray(t, dtype=np.float64)
    erfc = np.vectorize(math.erfc, otypes=[np.float64])
    return t * 0.5 * erfc(t / math.sqrt(2.0))


def gelu_exact(x: np.ndarray) -> np.ndarray:
    """Exact erf GELU in float64."""
    x = np.asarray(x, dtype=np.float64)
    erf = np.vectorize(math.erf, otypes=[np.float64])
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


@dataclass(frozen=True)
class GeluTable:
    """Node positions, the segments and the integer table."""

    nodes: np.ndarray          # float64 node positions t_i
    entries: np.ndarray        # int64 table values (entry_frac fractional bits)
    seg_start_idx: tuple[int, ...]   # table index of each segment's first node
    seg_start: tuple[float, ...]
    seg_end: tuple[float, ...]
    seg_log2_step: tuple[int, ...]   # step = 2^-seg_log2_step
    entry_bits: int
    entry_frac: int
    interp_bits: int

    @property
    def end(self) -> float:
        return self.seg_end[-1]


@lru_cache(maxsize=None)
def gelu_table() -> GeluTable:
    g = load_raw()["gelu"]
    segs = [(float(a), float(b), int(n)) for a, b, n in g["segments"]]
    nodes: list[float] = []
    starts, s0, s1, l2 = [], [], [], []
    for a, b, n in segs:
        if n & (n - 1):
            raise ValueError(f"gelu segment step 1/{n} is not a power of two")
        starts.append(len(nodes))
        s0.append(a), s1.append(b), l2.append(int(math.log2(n)))
        k = round((b - a) * n)
        nodes.extend(a + i / n for i in range(k))
    nodes.append(segs[-1][1])
    t = np.array(nodes)
    exact = gelu_d(t)
    # chord error of each interval: max over the interval of (chord - d)
    dense = np.linspace(0.0, 1.0, 65)
    chord_err = np.empty(len(t) - 1)
    for i in range(len(t) - 1):
        x = t[i] + dense * (t[i + 1] - t[i])
        chord = exact[i] + dense * (exact[i + 1] - exact[i])
        e = chord - gelu_d(x)
        chord_err[i] = e[np.argmax(np.abs(e))]
    adj = np.zeros_like(exact)
    adj[0] = chord_err[0] / 2
    adj[1:-1] = (chord_err[:-1] + chord_err[1:]) / 4
    vals = exact - adj
    vals[-1] = 0.0
    frac, bits = int(g["entry_frac"]), int(g["entry_bits"])
    ent = np.floor(vals * 2.0 ** frac + 0.5).astype(np.int64)
    if ent.min() < 0 or ent.max() >= (1 << bits):
        raise ValueError(f"gelu table entries do not fit {bits} unsigned bits: [{ent.min()}, {ent.max()}]")
    return GeluTable(nodes=t, entries=ent, seg_start_idx=tuple(starts), seg_start=tuple(s0),
                     seg_end=tuple(s1), seg_log2_step=tuple(l2), entry_bits=bits, entry_frac=frac,
                     interp_bits=int(g["interp_bits"]))


@dataclass(frozen=True)
class ExpTable:
    entries: np.ndarray   # int64, entry_frac fractional bits, 2^(j/(N-1))
    entry_bits: int
    entry_frac: int
    index_bits: int       # log2(N - 1): top bits of frac(t) that index the table
    t_frac: int
    log2e: int            # round(log2(e) * 2^log2e_frac)
    log2e_frac: int
    d_min: float


@lru_cache(maxsize=None)
def exp_table() -> ExpTable:
    e = load_raw()["exp"]
    n = int(e["table_entries"])
    iv = n - 1
    if iv & (iv - 1):
        raise ValueError(f"exp table_entries - 1 = {iv} is not a power of two")
    frac, bits = int(e["entry_frac"]), int(e["entry_bits"])
    ent = np.array([math.floor(2.0 ** (j / iv) * 2.0 ** frac + 0.5) for j in range(n)], dtype=np.int64)
    if ent.max() >= (1 << bits):
        raise ValueError(f"exp table entries do not fit {bits} bits")
    lf = int(e["log2e_frac"])
    return ExpTable(entries=ent, entry_bits=bits, entry_frac=frac, index_bits=int(math.log2(iv)),
                    t_frac=int(e["t_frac"]), log2e=math.floor(math.log2(math.e) * 2.0 ** lf + 0.5),
                    log2e_frac=lf, d_min=float(e["d_min"]))
