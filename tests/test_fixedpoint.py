"""Fixed-point primitives: rounding, saturation, row-scaled quantisation."""
import numpy as np
from hypothesis import given, strategies as st

from edgemoe.golden.fixedpoint import Fmt, fmt, round_shift, round_shift_int, rowfmt, saturate


def test_round_shift_half_up_including_negative_ties():
    v = np.array([5, 6, 7, -5, -6, -7, 4, -4])
    # /4: 1.25->1, 1.5->2, 1.75->2, -1.25->-1, -1.5->-1 (half up), -1.75->-2, 1->1, -1->-1
    assert round_shift(v, 2).tolist() == [1, 2, 2, -1, -1, -2, 1, -1]
    assert round_shift(v, 0).tolist() == v.tolist()


@given(st.integers(-(1 << 60), 1 << 60), st.integers(1, 40))
def test_round_shift_matches_definition(v, s):
    assert int(round_shift(np.int64(v), s)) == round_shift_int(v, s) == (v + (1 << (s - 1))) // (1 << s)


def test_saturate_and_format_ranges():
    a = fmt("act")
    assert (a.min_int, a.max_int) == (-(1 << 25), (1 << 25) - 1)
    assert saturate(np.array([1 << 30, -(1 << 30), 5]), a).tolist() == [a.max_int, a.min_int, 5]
    p = fmt("p")
    assert (p.min_int, p.max_int, p.signed) == (0, (1 << 17) - 1, False)


def test_quantize_rounds_half_up_and_counts_saturation():
    f = Fmt("t", 8, 4, True)
    codes, n = f.quantize_count(np.array([0.03125, -0.03125, 100.0, -100.0, 0.5]))
    assert codes.tolist() == [1, 0, 127, -128, 8]
    assert n == 2


def test_rowfmt_picks_largest_exponent_per_row():
    w = rowfmt("w")
    rows = np.array([[0.9, -0.2], [0.01, 0.004], [1.5, 0.0], [0.0, 0.0], [1e6, 0.0]])
    s = w.quantize(rows)
    # 0.9 * 2^15 = 29491 fits, 2^16 does not -> 15; 0.01 * 2^21 = 20972 -> frac_max 21;
    # 1.5 -> 14; zero row -> frac_max; 1e6 saturates at frac_min
    assert s.frac.tolist() == [15, 21, 14, 21, w.frac_min]
    assert s.saturated == 1
    assert np.abs(s.to_float()[:4] - rows[:4]).max() <= 2.0 ** -15
    # -2^15 itself fits: the largest frac for -1.0 is 15
    assert w.quantize(np.array([[-1.0]])).frac.tolist() == [15]


@given(st.lists(st.floats(-40.0, 40.0, allow_nan=False), min_size=1, max_size=32))
def test_rowfmt_error_bounded_by_half_lsb(vals):
    b = rowfmt("b")
    a = np.array([vals])
    s = b.quantize(a)
    assert s.saturated == 0
    assert np.abs(s.to_float() - a).max() <= 2.0 ** (-int(s.frac[0]) - 1) + 1e-12
