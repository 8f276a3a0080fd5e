"""Single-pass softmax and LayerNorm: the vectorised golden against independent
per-element Python-int references of the contract, and against float."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from edgemoe.golden.exp_recip import exp_fixed
from edgemoe.golden.fixedpoint import fmt, rowfmt
from edgemoe.golden.layernorm import layernorm_fixed, ln_eps_term
from edgemoe.golden.softmax import softmax_fixed, softmax_stats, softmax_weights

ACT = fmt("act")


def _exp1(d: int) -> int:
    return int(exp_fixed(np.array([d]))[0])


def softmax_row_reference(row: list[int]) -> tuple[int, int, list[int]]:
    """docs/numerics.md 'Single-pass softmax', one key at a time, Python ints."""
    m, S = row[0], 1 << 17
    for s in row[1:]:
        e = _exp1(-abs(s - m))
        if s > m:
            S = ((S * e + (1 << 16)) >> 17) + (1 << 17)
            m = s
        else:
            S = S + e
        S = min(S, (1 << 25) - 1)
    r = ((1 << 42) + S) // (2 * S)
    p = [(_exp1(s - m) * r + (1 << 24)) >> 25 for s in row]
    return m, r, p


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(ACT.min_int, ACT.max_int), min_size=1, max_size=40))
def test_softmax_matches_sequential_reference(row):
    m, r = softmax_stats(np.array([row]))
    p = softmax_weights(np.array([row]), m, r)
    mr, rr, pr = softmax_row_reference(row)
    assert (int(m[0]), int(r[0]), p[0].tolist()) == (mr, rr, pr)


def test_softmax_edge_rows_and_float_agreement():
    rng = np.random.default_rng(0)
    rows = np.array([np.zeros(129), np.arange(129) << 14, -(np.arange(129) << 14),
                     np.full(129, ACT.max_int), np.where(np.arange(129) % 2, ACT.max_int, ACT.min_int),
                     *ACT.quantize(rng.normal(0, 4, (20, 129)))], dtype=np.int64)
    p = fmt("p").to_float(softmax_fixed(rows))
    s = ACT.to_float(rows)
    e = np.exp(s - s.max(-1, keepdims=True))
    assert np.abs(p - e / e.sum(-1, keepdims=True)).max() <= 1e-4
    # equal scores: every weight is exactly the same
    assert len(set(softmax_fixed(rows[:1])[0].tolist())) == 1


def layernorm_reference(x: list[int], g: list[int], fg: int, b: list[int], fb: int) -> list[int]:
    n = len(x)
    S1, S2 = sum(x), sum(v * v for v in x)
    W = n * S2 - S1 * S1 + ln_eps_term(n)
    gsh = (62 - W.bit_length()) // 2
    Wn = W << (2 * gsh) if gsh >= 0 else W >> (-2 * gsh)
    Q = math.isqrt(Wn)
    R = ((1 << 55) + Q) // (2 * Q)
    out = []
    for xi, gi, bi in zip(x, g, b):
        D = n * xi - S1
        sh = 34 - gsh
        z = (D * R + (1 << (sh - 1))) >> sh
        sh2 = 20 + fg - 16
        y = (z * gi + (bi << (20 + fg - fb)) + (1 << (sh2 - 1))) >> sh2
        out.append(min(max(y, ACT.min_int), ACT.max_int))
    return out


def _ln_params(rng, n=192):
    bf = rowfmt("b")
    return bf.quantize(rng.normal(1, 0.5, n) * rng.choice([0.1, 1, 10])), bf.quantize(rng.normal(0, 1, n) * rng.choice([0.01, 1, 10]))


def test_layernorm_matches_reference_and_float():
    rng = np.random.default_rng(1)
    g, b = _ln_params(rng)
    x = np.concatenate([ACT.quantize(rng.normal(0, 3, (30, 192))),
                        np.array([np.zeros(192), np.full(192, ACT.max_int), np.where(np.arange(192) % 2, ACT.max_int, ACT.min_int),
                                  np.where(np.arange(192) == 3, ACT.max_int, 0)], dtype=np.int64)])
    y = layernorm_fixed(x, g, b)
    for t in range(x.shape[0]):
        assert y[t].tolist() == layernorm_reference(x[t].tolist(), g.codes.tolist(), int(g.frac), b.codes.tolist(), int(b.frac))
    xf = ACT.to_float(x[:30])
    ref = (xf - xf.mean(-1, keepdims=True)) / np.sqrt(xf.var(-1, keepdims=True) + 1e-6) * g.to_float() + b.to_float()
    assert np.abs(ACT.to_float(y[:30]) - ref).max() <= 5e-5


def test_layernorm_constant_token_gives_beta():
    rng = np.random.default_rng(2)
    g, b = _ln_params(rng)
    y = layernorm_fixed(np.full((1, 192), 12345, dtype=np.int64), g, b)
    assert np.abs(ACT.to_float(y[0]) - b.to_float()).max() <= 2.0 ** -16


def test_layernorm_rejects_bad_shape():
    g, b = _ln_params(np.random.default_rng(3))
    with pytest.raises(ValueError, match="tokens, channels"):
        layernorm_fixed(np.zeros(192, dtype=np.int64), g, b)
