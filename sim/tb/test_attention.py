"""cocotb testbench of hw/rtl/attention.sv (one head, reordered schedule) against edgemoe.golden.attention.

Vectors: ``load_vectors("attention", tokens=T, heads=1)`` gives q (q codes), k, v (act codes)
of one head with Dh = 64 and the golden m, r and context rows. For a smaller HDL
``Dh`` the testbench keeps the first Dh columns of q, k and v and recomputes the
golden with ``attention_fixed`` (the golden model works for any head dimension).
"""
from __future__ import annotations

import math
import os
import random

import cocotb
import numpy as np
import pytest
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge

from edgemoe.golden.attention import attention_fixed, attention_schedule
from edgemoe.golden.fixedpoint import fmt, round_shift, saturate
from edgemoe.golden.vectors import load as load_vectors
from edgemoe.sim import coverage
from edgemoe.sim.coverage import COV
from edgemoe.sim.runner import record_vectors, run_tb, write_summary
from edgemoe.sim.streams import StreamSink, StreamSource, TransferMonitor, pack, unpack

ATTN_TAIL = 63  # module header: K row -> score 6, statistics 37, AV pipeline 15, MAC tail 4, output bank
MIN_TOKENS = 16  # module header: from this many keys on, the statistics latency is hidden


def cycles_formula(T: int, P: int) -> int:
    """Module header: first q transfer to last out transfer inclusive, for one head."""
    G = math.ceil(T / P)
    return P + 2 * T * G + ATTN_TAIL + (T - (G - 1) * P)


class Problem:
    """One head: q (T, Dh) q codes, k, v (T, Dh) act codes, golden m, r (T,) and out (T, Dh)."""

    def __init__(self, q: np.ndarray, k: np.ndarray, v: np.ndarray):
        self.q, self.k, self.v = q, k, v
        tr: dict = {}
        self.out = attention_fixed(q[:, None], k[:, None], v[:, None], None, tr)
        self.m, self.r = tr["max"][0], tr["rsum"][0]


def crafted_problem(T: int, Dh: int, seed: int) -> Problem:
    """Scores exactly at act max, max + 1, min, min - 1 before saturation (q row 0 against k rows
    0..3: q = 1.0 on two lanes, k lanes summing to the target) and a maximum that grows at the
    last key (q row 1 reads lane 1, where the last k row is the largest)."""
    base = problems(T, Dh, 2, seed)[1]          # the random problem (the first has saturated rows)
    a, one = fmt("act"), 1 << fmt("q").frac
    q, k = base.q.copy(), base.k.copy()
    q[0] = 0
    q[0, :2] = one
    q[1] = 0
    q[1, 1] = one
    for j, (x0, x1) in enumerate([(a.max_int, 0), (a.max_int, 1), (a.min_int, 0), (a.min_int, -1)]):
        k[j] = 0
        k[j, :2] = (x0, x1)
    k[T - 1, 1] = a.max_int
    return Problem(q, k, base.v)


def problems(T: int, Dh: int, count: int, seed: int) -> list[Problem]:
    vec = load_vectors("attention", count=count, seed=seed, tokens=T, heads=1)
    out = []
    for c in range(vec["q"].shape[0]):
        pr = Problem(vec["q"][c, :, 0, :Dh], vec["k"][c, :, 0, :Dh], vec["v"][c, :, 0, :Dh])
        if Dh == vec["q"].shape[-1]:   # full head: the stored golden outputs must agree
            assert np.array_equal(pr.out, vec["out"][c]) and np.array_equal(pr.m, vec["m"][c, 0])
            assert np.array_equal(pr.r, vec["r"][c, 0])
        out.append(pr)
    return out


class TB:
    def __init__(self, dut, idle: float, stall: float, seed: int):
        self.dut = dut
        self.P = int(dut.P.value)
        self.Dh = int(dut.Dh.value)
        self.T = int(dut.Tokens.value)
        self.G = math.ceil(self.T / self.P)
        self.wa, self.wq, self.wr = fmt("act").bits, fmt("q").bits, fmt("r").bits
        cocotb.start_soon(Clock(dut.clk_i, 10, unit="ns").start())
        self.qs = StreamSource(dut.clk_i, dut.q_valid_i, dut.q_ready_o, dut.q_data_i, idle=idle,
                               rng=random.Random(seed))
        self.ks = StreamSource(dut.clk_i, dut.k_valid_i, dut.k_ready_o, dut.k_data_i, idle=idle,
                               rng=random.Random(seed + 1))
        self.vs = StreamSource(dut.clk_i, dut.v_valid_i, dut.v_ready_o, dut.v_data_i, idle=idle,
                               rng=random.Random(seed + 2))
        self.sink = StreamSink(dut.clk_i, dut.out_valid_o, dut.out_ready_i, dut.out_data_o, stall=stall,
                               rng=random.Random(seed + 3), extra=[dut.out_max_o, dut.out_rsum_o])
        self.mon = TransferMonitor(dut.clk_i, {n: (getattr(dut, f"{n}_valid_i"), getattr(dut, f"{n}_ready_o"))
                                         for n in ("q", "k", "v")} | {"out": (dut.out_valid_o, dut.out_ready_i)})
        # coverage: the V-row FIFO full and empty; scores exactly at the act limits before
        # saturation; the running maximum growing at the first possible key and at the last
        # (a head of fewer rows than the FIFO holds cannot fill it)
        coverage.fifo_probe(dut.u_vfifo, "fifo_v", dut.rst_ni, full=self.T >= int(dut.VFifoDepth.value))
        COV.declare("max_grow.first", "max_grow.last", *[f"score.sat_{b}" for b in ("max", "max+1", "min", "min-1")])

    async def reset(self) -> None:
        self.dut.rst_ni.value = 0
        await ClockCycles(self.dut.clk_i, 3)
        self.dut.rst_ni.value = 1
        await RisingEdge(self.dut.clk_i)

    def send(self, pr: Problem) -> None:
        """The host's side of one head: q rows once, K and V rows once per group."""
        acc = pr.q.astype(np.int64) @ pr.k.astype(np.int64).T        # |acc| < 2^48: exact
        pre = round_shift(acc, fmt("q").frac)
        coverage.sat_points(COV, "score", pre, fmt("act").min_int, fmt("act").max_int)
        s = saturate(pre, fmt("act"))
        run_max = np.maximum.accumulate(s, axis=1)
        COV.sample("max_grow.first", int((s[:, 1] > s[:, 0]).sum()))
        COV.sample("max_grow.last", int((s[:, -1] > run_max[:, -2]).sum()))
        self.qs.send([pack(row, self.wq) for row in pr.q])
        krows = [pack(row, self.wa) for row in pr.k]
        vrows = [pack(row, self.wa) for row in pr.v]
        for _ in range(self.G):
            self.ks.send(krows)
            self.vs.send(vrows)

    async def check(self, prs: list[Problem]) -> int:
        self.sink.items.clear()
        for pr in prs:
            self.send(pr)
        n = len(prs) * self.T
        await self.sink.wait_for(n)
        await ClockCycles(self.dut.clk_i, 20)
        assert len(self.sink.items) == n, f"{len(self.sink.items)} output rows, expected {n}"
        for c, pr in enumerate(prs):
            for i in range(self.T):
                word, m, r = self.sink.items[c * self.T + i]
                got = np.array(unpack(word, self.wa, self.Dh))
                gm = unpack(m, self.wa, 1)[0]
                assert gm == pr.m[i], f"problem {c} row {i}: max {gm}, expected {pr.m[i]}"
                assert r == pr.r[i], f"problem {c} row {i}: rsum {r}, expected {pr.r[i]}"
                bad = np.nonzero(got != pr.out[i])[0]
                assert bad.size == 0, (f"problem {c} row {i}: {bad.size} context mismatches, first d={bad[0]}: "
                                       f"{got[bad[0]]} vs {pr.out[i][bad[0]]}")
        return n


def seed() -> int:
    return int(os.environ.get("SEED", "1"))


@cocotb.test()
async def test_vectors_backpressure(dut):
    """Two heads back to back (the edge problem with ties/saturation, then a random one), random idle/backpressure."""
    tb = TB(dut, idle=0.3, stall=0.3, seed=seed())
    await tb.reset()
    prs = problems(tb.T, tb.Dh, 2, seed=7 + seed()) + [crafted_problem(tb.T, tb.Dh, 8)]
    n = await tb.check(prs)
    dut._log.info("attention P=%d T=%d Dh=%d: %d context rows bit-exact (m, r, out)", tb.P, tb.T, tb.Dh, n)
    write_summary(vectors=n)
    coverage.write(tb)


@cocotb.test()
async def test_schedule(dut):
    """No idle, no backpressure: the reads follow attention_schedule(T, P) cycle by cycle; cycles vs formula."""
    tb = TB(dut, idle=0.0, stall=0.0, seed=3)
    await tb.reset()
    T, P = tb.T, tb.P
    pr = problems(T, tb.Dh, 1, seed=11 + seed())[0]
    n = await tb.check([pr])
    at = tb.mon.at
    c0 = at["q"][0]
    steps = list(attention_schedule(T, P))
    kv = sorted(at["k"] + at["v"])
    assert len(set(kv)) == len(kv), "a K row and a V row were read in the same cycle"
    assert len(at["k"]) == len(at["v"]) == T * tb.G and len(at["q"]) == T
    # the order of the reads is the schedule's: per group Tokens K rows, then Tokens V rows
    order = ["k" if c in set(at["k"]) else "v" for c in kv]
    assert order == ["k" if s.phase == "qk" else "v" for s in steps if s.key >= 0], "K/V phases out of order"
    cycles = at["out"][-1] - c0 + 1
    expected = cycles_formula(T, P)
    if T >= MIN_TOKENS:
        # every read happens in the very step attention_schedule gives it (step n = cycle c0 + n)
        want_q = [c0 + n for n, s in enumerate(steps) if s.q_read >= 0]
        want_k = [c0 + n for n, s in enumerate(steps) if s.phase == "qk"]
        want_v = [c0 + n for n, s in enumerate(steps) if s.phase == "av"]
        assert at["q"] == want_q, f"q reads at {at['q'][:12]}..., schedule {want_q[:12]}..."
        assert at["k"] == want_k, f"k reads deviate from the schedule (first k {at['k'][:3]}, want {want_k[:3]})"
        assert at["v"] == want_v, f"v reads deviate from the schedule (first v {at['v'][:3]}, want {want_v[:3]})"
        assert cycles == expected, f"T={T} P={P}: {cycles} cycles, expected {expected}"
    else:
        # too few keys to hide the statistics latency: the unit inserts bubbles (never fewer cycles)
        assert cycles > expected, f"T={T} P={P}: {cycles} cycles, cannot beat {expected}"
    kv_window = kv[-1] - kv[0] + 1
    write_summary(vectors=n, cycles={"T": T, "P": P, "steps": len(steps), "measured": cycles, "formula": expected,
                                     "kv_rows": len(kv), "kv_window": kv_window,
                                     "kv_rows_per_cycle": round(len(kv) / kv_window, 4),
                                     "kv_rows_per_cycle_overall": round(len(kv) / cycles, 4),
                                     "q_rows": len(at["q"]), "max_reads_per_cycle": 1})
    coverage.write(tb)


@cocotb.test()
async def test_long_output_stall(dut):
    """The output held off for 4 T + 200 cycles in the middle of a head: the V-row FIFO fills
    (heads of at least VFifoDepth rows), nothing is lost or duplicated."""
    tb = TB(dut, idle=0.0, stall=0.0, seed=21)
    await tb.reset()
    if tb.T < int(dut.VFifoDepth.value):
        dut._log.info("T=%d < VFifoDepth: the V FIFO cannot fill", tb.T)
        return
    pr = problems(tb.T, tb.Dh, 2, seed=19)[1]
    tb.sink.stall = 1.0
    task = cocotb.start_soon(tb.check([pr]))
    await ClockCycles(dut.clk_i, 4 * tb.T + 200)
    tb.sink.stall = 0.0
    n = await task
    write_summary(vectors=n)
    coverage.write(tb)


@cocotb.test()
async def test_reset_mid_stream(dut):
    """Reset in the middle of a head (inside the second group's K/V phases): no stale row, clean restart."""
    tb = TB(dut, idle=0.2, stall=0.2, seed=5)
    await tb.reset()
    pr = problems(tb.T, tb.Dh, 1, seed=13)[0]
    tb.send(pr)
    await ClockCycles(dut.clk_i, tb.P + 3 * tb.T)
    for s in (tb.qs, tb.ks, tb.vs):
        s.clear()
    dut.rst_ni.value = 0
    await ClockCycles(dut.clk_i, 2)
    assert dut.out_valid_o.value == 0, "out_valid_o must drop during reset"
    dut.rst_ni.value = 1
    tb.sink.items.clear()
    await ClockCycles(dut.clk_i, 60)
    assert not tb.sink.items, "a context row came out after reset with no input"
    n = await tb.check(problems(tb.T, tb.Dh, 1, seed=17))
    write_summary(vectors=n)
    coverage.write(tb)


def _run(P: int, T: int, Dh: int, testcase: str | None = None) -> dict:
    return run_tb(__file__, "attention",
                  ["exp2_rom", "exp_core", "recip_core", "softmax_stats", "attn_dot", "stream_fifo", "attention"],
                  {"P": P, "Dh": Dh, "Tokens": T}, testcase=testcase)


# Full-size head (T = 129, Dh = 64) at the ZCU102's P (params.toml attn_p = 5), plus a tiny head where T is too short to
# hide the statistics latency (stall paths: score-bank columns, FIFO, statistics hand-off).
@pytest.mark.parametrize("P,T,Dh", [(5, 129, 64), (3, 7, 8)])
def test_attention(P: int, T: int, Dh: int, record_property) -> None:
    s = _run(P, T, Dh)
    record_vectors(record_property, "attention", s["vectors"], P=P, tokens=T, head_dim=Dh)
    coverage.check(s, record_property)
    assert s["cycles"]["formula"] == cycles_formula(T, P)
    if T >= MIN_TOKENS:
        assert s["cycles"]["measured"] == s["cycles"]["formula"]


def _kv_sweep(T: int, Dh: int, record_property, ps: tuple[int, ...] = (1, 2, 4, 8)) -> dict:
    res = {}
    for P in ps:
        s = _run(P, T, Dh, testcase="test_schedule")
        record_vectors(record_property, "attention", s["vectors"], P=P, tokens=T, head_dim=Dh)
        res[P] = s["cycles"]
    rates = {P: c["kv_rows_per_cycle"] for P, c in res.items()}
    lat = [res[P]["measured"] for P in ps]
    record_property("kv_rate_vs_p", {P: (c["kv_rows_per_cycle"], c["measured"]) for P, c in res.items()})
    print(f"\nK/V rows per cycle vs P (T={T}): " +
          ", ".join(f"P={P}: {res[P]['kv_rows_per_cycle']} rows/cycle, {res[P]['measured']} cycles" for P in res))
    assert all(r == 1.0 for r in rates.values()), f"K/V read rate is not one row per cycle for every P: {rates}"
    assert lat == sorted(lat, reverse=True) and len(set(lat)) == len(ps), f"latency must fall with P: {lat}"
    return res


def test_attention_kv_rate_vs_p(record_property) -> None:
    """K/V rows per cycle stay 1 for P = 1 and P = 8 while the head's latency falls (small T; P = 3 and the
    ZCU102's P = 5 have their exact cycle checks in test_attention, P = 1, 2, 4, 8 in --full)."""
    _kv_sweep(30, 16, record_property, (1, 8))


@pytest.mark.slow
def test_attention_kv_rate_vs_p_every_p(record_property) -> None:
    """The sweep over P = 1, 2, 4, 8 (small T)."""
    _kv_sweep(30, 16, record_property)


@pytest.mark.slow
def test_attention_kv_rate_vs_p_full(record_property) -> None:
    """The same sweep on the full head (T = 129, Dh = 64)."""
    _kv_sweep(129, 64, record_property)
