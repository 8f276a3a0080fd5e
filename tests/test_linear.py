"""The unified linear unit against a per-element Python-int reference of the contract."""
import numpy as np
import pytest

from edgemoe.golden.fixedpoint import Scaled, fmt, rowfmt
from edgemoe.golden.gelu import gelu_fixed
from edgemoe.golden.linear import linear_unit, matmul_exact, score_scale

ACT = fmt("act")


def _rs(v: int, s: int) -> int:
    return (v + (1 << (s - 1))) >> s


def _sat(v: int, f) -> int:
    return min(max(v, f.min_int), f.max_int)


def _problem(seed, T=6, K=40, N=9):
    rng = np.random.default_rng(seed)
    x = ACT.quantize(rng.normal(0, 3, (T, K)))
    x[0] = ACT.max_int
    x[1] = ACT.min_int
    w = rowfmt("w").quantize(rng.normal(0, 0.1, (N, K)) * np.exp2(rng.uniform(-6, 3, (N, 1))))
    b = rowfmt("b").quantize(rng.normal(0, 2, N))
    return x, w, b


def _acc(x, w, b, t, n):
    af = 16 + int(w.frac[n])
    return sum(int(a) * int(c) for a, c in zip(x[t], w.codes[n])) + (int(b.codes[n]) << (af - int(b.frac))), af


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_modes_match_reference(seed):
    x, w, b = _problem(seed)
    rng = np.random.default_rng(seed + 10)
    resid = ACT.quantize(rng.normal(0, 3, (x.shape[0], w.codes.shape[0])))
    resid[0] = ACT.max_int
    plain = linear_unit(x, w, b)
    q = linear_unit(x, w, b, out="q", prescale_log2=3)
    gel = linear_unit(x, w, b, gelu=True)
    res = linear_unit(x, w, b, resid=resid)
    for t in range(x.shape[0]):
        for n in range(w.codes.shape[0]):
            acc, af = _acc(x, w, b, t, n)
            y = _rs(acc, af - 16)
            assert plain[t, n] == _sat(y, ACT)
            assert q[t, n] == _sat(_rs(acc, af - 15 + 3), fmt("q"))
            assert gel[t, n] == gelu_fixed(np.array([_sat(y, ACT)]))[0]
            assert res[t, n] == _sat(int(resid[t, n]) + y, ACT)


def test_accumulation_is_exact_for_any_tiling():
    x, w, b = _problem(5, T=4, K=96, N=8)
    full = matmul_exact(x, w.codes)
    tiled = sum(matmul_exact(x[:, k:k + 16], w.codes[:, k:k + 16]) for k in range(0, 96, 16))
    assert np.array_equal(full, tiled)
    ref = np.array([[sum(int(a) * int(c) for a, c in zip(x[t], w.codes[n])) for n in range(8)] for t in range(4)])
    assert np.array_equal(full, ref)


def test_extreme_products_stay_exact():
    K = 768
    x = np.full((1, K), ACT.min_int, dtype=np.int64)
    w = np.full((1, K), -32768, dtype=np.int64)
    assert int(matmul_exact(x, w)[0, 0]) == K * ACT.min_int * -32768


def test_score_scale_rounds_once():
    y = np.array([[100001, -100001]])
    p = np.array([1 << 15])                       # 0.5
    assert score_scale(y, p).tolist() == [[50001, -50000]]   # ties round up


def test_bias_needs_format_alignment():
    x, w, b = _problem(0)
    bad = Scaled(b.codes, np.int64(40))
    with pytest.raises(ValueError, match="bias frac"):
        linear_unit(x, w, bad)
