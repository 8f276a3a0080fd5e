"""The stream drivers' traffic gates (edgemoe.sim.streams.Traffic), without a simulator:
closed fraction, run lengths of the random and bursty kinds, both kinds in a mixed run,
and seeds (fixed by default, EDGEMOE_SEED re-seeds)."""
from __future__ import annotations

import random

import pytest

from edgemoe.sim import streams
from edgemoe.sim.streams import Traffic


def runs(gate: Traffic, n: int) -> tuple[float, int]:
    """(closed fraction, longest closed run) over n cycles."""
    closed = longest = cur = 0
    for _ in range(n):
        if gate.step():
            cur = 0
        else:
            closed += 1
            cur += 1
            longest = max(longest, cur)
    return closed / n, longest


@pytest.mark.parametrize("rate", [0.3, 0.7])
def test_bursty_keeps_the_rate_with_long_runs(rate: float) -> None:
    frac, longest = runs(Traffic(rate, random.Random(1), "bursty"), 200_000)
    assert abs(frac - rate) < 0.03
    assert longest >= 200           # runs far longer than any internal FIFO


def test_random_is_per_cycle() -> None:
    frac, longest = runs(Traffic(0.3, random.Random(1), "random"), 200_000)
    assert abs(frac - 0.3) < 0.01 and longest < 20


def test_mixed_has_both_kinds_and_opens_with_a_long_stall() -> None:
    g = Traffic(0.3, random.Random(2), "mixed")
    assert not any(g.step() for _ in range(2 * g.burst))     # the forced stall of a bursty segment
    runs(g, 5000)
    assert g.cycles["random"] > 1000 and g.cycles["bursty"] > 1000


def test_rate_zero_is_always_open() -> None:
    for kind in streams.TRAFFIC_KINDS:
        assert all(Traffic(0.0, random.Random(3), kind).step() for _ in range(1000))


def test_seed_default_fixed_and_env_reseeds(monkeypatch) -> None:
    monkeypatch.delenv("EDGEMOE_SEED", raising=False)
    a = streams._reseed(random.Random(5)).random()
    assert a == random.Random(5).random()
    monkeypatch.setenv("EDGEMOE_SEED", "42")
    b = streams._reseed(random.Random(5)).random()
    c = streams._reseed(random.Random(5)).random()
    assert b == c != a


def test_bad_traffic_kind(monkeypatch) -> None:
    monkeypatch.setenv("EDGEMOE_TRAFFIC", "sometimes")
    with pytest.raises(ValueError, match="EDGEMOE_TRAFFIC"):
        streams.traffic_kind()
