"""GELU, exp and reciprocal units against float, plus properties of their tables."""
import math
from fractions import Fraction

import numpy as np
from hypothesis import given, strategies as st

from edgemoe.golden.exp_recip import exp_fixed, recip_fixed
from edgemoe.golden.fixedpoint import fmt
from edgemoe.golden.gelu import gelu_fixed
from edgemoe.golden.tables import exp_table, gelu_exact, gelu_table

ACT = fmt("act")


def test_gelu_max_error_on_dense_grid_beats_target():
    x = np.arange(-(8 << 16), (8 << 16) + 1, dtype=np.int64)
    err = np.abs(ACT.to_float(gelu_fixed(x)) - gelu_exact(ACT.to_float(x)))
    assert err.max() <= 3e-5, err.max()          # target; the original reaches 9.7e-5
    assert err.mean() <= 5e-6


def test_gelu_table_no_larger_than_original():
    g = gelu_table()
    assert len(g.entries) <= 177 and g.entry_bits <= 22
    assert g.entries.min() >= 0 and g.entries.max() < (1 << g.entry_bits)
    assert g.entries[-1] == 0                     # meets ReLU continuously


@given(st.integers(ACT.min_int, ACT.max_int))
def test_gelu_any_code_is_close_to_exact_or_relu(u):
    y = ACT.to_float(gelu_fixed(np.array([u])))[0]
    x = ACT.to_float(u)
    assert abs(y - float(gelu_exact(np.array([x]))[0])) <= 3e-5


def test_gelu_beyond_table_is_relu_exactly():
    u = np.array([5 << 16, (5 << 16) + 7, -(5 << 16), ACT.max_int, ACT.min_int])
    assert gelu_fixed(u).tolist() == [5 << 16, (5 << 16) + 7, 0, ACT.max_int, 0]


def test_exp_close_to_float_and_monotone():
    d = np.arange(-(32 << 16), 1, 97, dtype=np.int64)
    e = exp_fixed(d)
    assert np.abs(fmt("e").to_float(e) - np.exp(ACT.to_float(d))).max() <= 8e-6
    assert np.all(np.diff(e) >= 0)
    assert int(exp_fixed(np.array([0]))[0]) == 1 << 17
    assert int(exp_fixed(np.array([ACT.min_int]))[0]) == 0


def test_exp_rejects_positive_argument():
    import pytest

    with pytest.raises(ValueError, match="<= 0"):
        exp_fixed(np.array([1]))


def test_exp_table_nodes_are_exact_powers():
    t = exp_table()
    j = np.arange(len(t.entries))
    assert np.all(np.abs(t.entries - np.exp2(j / (len(j) - 1)) * 2.0 ** t.entry_frac) <= 0.5)
    assert t.log2e == round(math.log2(math.e) * 2 ** 20)


@given(st.integers(1 << 17, (1 << 25) - 1))
def test_recip_is_exact_round_half_up(s):
    r = int(recip_fixed(np.array([s]))[0])
    exact = Fraction(1 << 41, s)
    assert r == math.floor(exact + Fraction(1, 2))
