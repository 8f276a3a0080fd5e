"""cocotb testbench of hw/rtl/layernorm.sv against edgemoe.golden.layernorm (pytest runner at the bottom).

Streams: ``in`` (tokens), ``prm`` (gamma/beta loads), ``out`` (normalised tokens); every
output bit is compared with ``layernorm_fixed`` through the golden vectors "layernorm".
A vector here is one token of 192 channels.
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

from edgemoe.golden.fixedpoint import Scaled, fmt, rowfmt
from edgemoe.golden.layernorm import layernorm_fixed, ln_eps_term, ln_rstd
from edgemoe.golden.params import model_dims
from edgemoe.golden.vectors import load as load_vectors
from edgemoe.sim import coverage
from edgemoe.sim.coverage import COV
from edgemoe.sim.runner import record_vectors, run_tb, write_summary
from edgemoe.sim.streams import StreamSink, StreamSource, pack, unpack, wait_until

N_CH = model_dims().embed_dim


def formula(lanes: int, steps: int) -> dict[str, int]:
    """Cycle formulas of the module header (no idle input, no backpressure)."""
    beats = N_CH // lanes
    iter_s, iter_d = 31, 25   # one isqrt / division digit per cycle, `steps` chains in turn
    tree = (lanes - 1).bit_length()
    lat_l = 16 + tree + iter_s + iter_d
    return {"beats": beats, "L": lat_l, "latency": 2 * beats + lat_l + 10,
            "period": max(beats, -(-(iter_s + 3) // steps))}


class TB:
    def __init__(self, dut, idle: float, stall: float, seed: int):
        self.dut = dut
        self.lanes = int(dut.Lanes.value)
        self.steps = int(dut.StepsPerCycle.value)
        self.beats = N_CH // self.lanes
        self.w = fmt("act").bits
        self.bw = rowfmt("b").bits
        self.ew = rowfmt("b").exp_bits
        cocotb.start_soon(Clock(dut.clk_i, 10, unit="ns").start())
        self.src = StreamSource(dut.clk_i, dut.in_valid_i, dut.in_ready_o, dut.in_data_i, idle=idle,
                                rng=random.Random(seed))
        self.prm = StreamSource(dut.clk_i, dut.prm_valid_i, dut.prm_ready_o, dut.prm_data_i,
                                idle=idle, rng=random.Random(seed + 7))
        self.sink = StreamSink(dut.clk_i, dut.out_valid_o, dut.out_ready_i, dut.out_data_o, stall=stall,
                               rng=random.Random(seed + 1))
        # coverage: every internal FIFO full and empty, the token buffer full, variance extremes
        for name in ("u_resq", "u_outq"):
            coverage.fifo_probe(getattr(dut, name), "fifo_" + name[2:], dut.rst_ni)
        f = formula(self.lanes, self.steps)
        buf_words = self.beats + max(self.beats, f["L"])
        coverage.value_probe(dut.words_q, {buf_words: "buf.full"}, dut.rst_ni)
        # the statistics queue (MaxToks = BufWords / Beats entries) cannot fill: a token's stats
        # wait in it only while the buffer holds its words, and under an output stall the
        # result queue and ln_rstd hold tokens of the buffer too; fifo_stq.max_entries shows
        # how deep it gets
        coverage.fifo_probe(dut.u_stq, "fifo_stq", dut.rst_ni, full=False)
        coverage.max_probe(dut.u_stq.cnt_q, "fifo_stq.max_entries", dut.rst_ni)
        COV.declare("var.zero", "var.max")
        self.cycle = 0
        self.in_fires: list[int] = []
        self.out_fires: list[int] = []
        cocotb.start_soon(self._monitor())

    async def _monitor(self) -> None:
        """Cycle counter and the cycles of every input and output transfer."""
        while True:
            await RisingEdge(self.dut.clk_i)
            self.cycle += 1
            if self.dut.in_valid_i.value == 1 and self.dut.in_ready_o.value == 1:
                self.in_fires.append(self.cycle)
            if self.dut.out_valid_o.value == 1 and self.dut.out_ready_i.value == 1:
                self.out_fires.append(self.cycle)

    async def reset(self) -> None:
        self.dut.rst_ni.value = 0
        await ClockCycles(self.dut.clk_i, 3)
        self.dut.rst_ni.value = 1
        await RisingEdge(self.dut.clk_i)

    def prm_beats(self, v) -> list[int]:
        """One parameter load: per beat {beta_exp, gamma_exp, beta lanes, gamma lanes}."""
        b = rowfmt("b")
        g, gf = v["gamma"], int(v["gamma_frac"][0])
        be, bf = v["beta"], int(v["beta_frac"][0])
        ge_code, be_code = gf - b.frac_min, bf - b.frac_min
        L, out = self.lanes, []
        for i in range(self.beats):
            word = pack(g[i * L:(i + 1) * L], self.bw) | (pack(be[i * L:(i + 1) * L], self.bw) << (L * self.bw))
            word |= (ge_code << (2 * L * self.bw)) | (be_code << (2 * L * self.bw + self.ew))
            out.append(word)
        return out

    def token_beats(self, x: np.ndarray) -> list[int]:
        w = [N_CH * int((t.astype(object) ** 2).sum()) - int(t.astype(object).sum()) ** 2 for t in x]
        COV.sample("var.zero", sum(v == 0 for v in w))        # a constant token: the epsilon alone
        COV.sample("var.max", sum(v >= W_MAX for v in w))     # the widest token: half max, half min
        L = self.lanes
        return [pack(tok[i * L:(i + 1) * L], self.w) for tok in x for i in range(self.beats)]

    def results(self, n_tokens: int) -> np.ndarray:
        vals = [v for word in self.sink.items for v in unpack(word, self.w, self.lanes)]
        return np.array(vals[:n_tokens * N_CH], dtype=np.int64).reshape(n_tokens, N_CH)

    async def load(self, v) -> None:
        """Offer a parameter load at a token boundary and wait until the kernel starts taking it."""
        await self.src.wait_empty()
        sent = self.prm.sent
        self.prm.send(self.prm_beats(v))
        await self.prm.wait_sent(sent + 1)


def check(got: np.ndarray, want: np.ndarray, x: np.ndarray, what: str) -> None:
    bad = np.argwhere(got != want)
    if bad.size:
        t, c = bad[0]
        raise AssertionError(f"{what}: {len(bad)} mismatching outputs; first token {t} channel {c}: "
                             f"x={x[t, c]} got {got[t, c]}, expected {want[t, c]}")


# (vector seed, gamma/beta set): several random sets plus the exponent extremes.
SETS = [(11, "random"), (12, "random"), (13, "sat"), (14, "tiny"), (15, "random")]

# W = n*S2 - S1^2 + E ranges of crafted tokens for the per-token digit recurrences: Q = 2^30
# (R = 2^24, the top bit of R) reached with g = 16, 15, 0, -1 (right shift, floor) and -2; Q at
# its maximum 2^31 - 1 (R = 2^23); an odd bit length.
RSTD_EDGE_W = [(1 << 28, (1 << 28) + 100), (1 << 30, (1 << 30) + 1), (1 << 60, (1 << 60) + (1 << 31)),
               (1 << 62, (1 << 62) + 3), (1 << 64, (1 << 64) + (1 << 33)), ((1 << 62) - (1 << 20), (1 << 62) - 1),
               (1 << 61, (1 << 61) + 100)]


def token_for_w(lo: int, hi: int) -> list[int]:
    """A token of act codes whose W lies in [lo, hi]: S1 = s from one channel, the rest of S2 from
    (t, -t) pairs (greedy sum of squares), so any reachable (S1, S2) can be built."""
    e, amax = ln_eps_term(N_CH), fmt("act").max_int
    for w in range(lo, hi + 1):
        for s in range(4 * N_CH):
            if (w - e + s * s) % N_CH:
                continue
            rem = (w - e + s * s) // N_CH - s * s
            if rem < 0 or rem % 2:
                continue
            rem //= 2
            ts = []
            while rem:
                t = min(math.isqrt(rem), amax)
                ts.append(t)
                rem -= t * t
            if 1 + 2 * len(ts) <= N_CH:
                x = [s] + [v for t in ts for v in (t, -t)]
                return x + [0] * (N_CH - len(x))
    raise ValueError(f"no token with W in [{lo}, {hi}]")


_A = fmt("act")
W_MAX = (N_CH // 2) * N_CH * (_A.max_int ** 2 + _A.min_int ** 2) - ((N_CH // 2) * (_A.max_int + _A.min_int)) ** 2


def extreme_tokens() -> np.ndarray:
    """The variance extremes: constant tokens (variance 0, rstd from the epsilon alone) and
    tokens half at act max, half at act min (the largest n*S2 - S1^2 of the format)."""
    half = np.where(np.arange(N_CH) % 2, _A.max_int, _A.min_int)
    return np.array([np.full(N_CH, 12345), np.full(N_CH, _A.min_int), half, half[::-1]], dtype=np.int64)


def rstd_edge_set() -> tuple[object, np.ndarray, np.ndarray]:
    """(parameter vectors, x, y) for the crafted tokens of RSTD_EDGE_W, checked to hit their target."""
    v = load_vectors("layernorm", count=0, seed=16)
    x = np.array([token_for_w(lo, hi) for lo, hi in RSTD_EDGE_W], dtype=np.int64)
    rs = [ln_rstd(int(t.sum()), int((t * t).sum()), N_CH)[0] for t in x]
    assert rs.count(1 << 24) == 5 and rs.count(1 << 23) == 1, rs
    x = np.concatenate([x, extreme_tokens()])
    gamma, beta = (Scaled(v[n], v[n + "_frac"][0]) for n in ("gamma", "beta"))
    return v, x, layernorm_fixed(x, gamma, beta)


@cocotb.test()
async def test_vectors_backpressure(dut):
    """Golden tokens for several gamma/beta sets, loads between them, random idle and backpressure."""
    tb = TB(dut, idle=0.3, stall=0.3, seed=int(os.environ.get("SEED", "1")))
    await tb.reset()
    count = int(os.environ.get("LN_TOKENS", "24"))
    xs, ys = [], []
    for seed, gb in SETS:
        v = load_vectors("layernorm", count=count, seed=seed, gb=gb)
        await tb.load(v)                      # waits for the previous set's tokens to drain
        tb.src.send(tb.token_beats(v["x"]))
        xs.append(v["x"]), ys.append(v["y"])
    v, xe, ye = rstd_edge_set()
    await tb.load(v)
    tb.src.send(tb.token_beats(xe))
    xs.append(xe), ys.append(ye)
    x, y = np.concatenate(xs), np.concatenate(ys)
    await tb.sink.wait_for(len(x) * tb.beats)
    await ClockCycles(dut.clk_i, 20)
    assert len(tb.sink.items) == len(x) * tb.beats, "extra output beats"
    check(tb.results(len(x)), y, x, "vectors")
    dut._log.info("layernorm: %d tokens (%d outputs, %d crafted for the recurrences) bit-exact over %d gamma/beta "
                  "sets", len(x), y.size, len(xe), len(SETS) + 1)
    write_summary(vectors=len(x))
    coverage.write(tb)


@cocotb.test()
async def test_throughput(dut):
    """No idle, no backpressure: cycles of N tokens = latency + (N - 1) * period (module header)."""
    tb = TB(dut, idle=0.0, stall=0.0, seed=3)
    await tb.reset()
    f = formula(tb.lanes, tb.steps)
    v = load_vectors("layernorm", count=4, seed=21)
    n = len(v["x"])
    await tb.load(v)
    await tb.prm.wait_empty()
    tb.src.send(tb.token_beats(v["x"]))
    await tb.sink.wait_for(n * tb.beats)
    await tb.sink.wait_exact(n * tb.beats)
    check(tb.results(n), v["y"], v["x"], "throughput")
    first_in, last_out = tb.in_fires[0], tb.out_fires[-1]
    measured = last_out - first_in
    expected = f["latency"] + (n - 1) * f["period"]
    starts = tb.out_fires[::tb.beats]
    periods = sorted(set(np.diff(starts).tolist()))
    first_latency = tb.out_fires[tb.beats - 1] - first_in
    dut._log.info("layernorm lanes=%d steps=%d: %d tokens in %d cycles (formula %d), first-token latency %d "
                  "(formula %d), output token periods %s (formula %d)", tb.lanes, tb.steps, n, measured, expected,
                  first_latency, f["latency"], periods, f["period"])
    assert first_latency == f["latency"], f"first-token latency {first_latency}, formula {f['latency']}"
    assert periods == [f["period"]], f"token periods {periods}, formula {f['period']}"
    assert measured == expected, f"{n} tokens took {measured} cycles, formula {expected}"
    if f["period"] == tb.beats:   # full rate: the input never waits
        assert tb.in_fires[-1] - first_in == n * tb.beats - 1, "input stalled at full rate"
    write_summary(vectors=n, cycles={"tokens": n, "measured": measured, "formula": expected,
                                     "latency": first_latency, "period": f["period"],
                                     "cycles_per_token": (measured - first_latency) / (n - 1)})
    coverage.write(tb)


@cocotb.test()
async def test_reset_mid_stream(dut):
    """Reset during a token stream and during a parameter load: nothing stale comes out, no
    token is taken before a complete load, and the kernel is bit-exact afterwards."""
    tb = TB(dut, idle=0.2, stall=0.2, seed=5)
    await tb.reset()
    v = load_vectors("layernorm", count=6, seed=31)
    await tb.load(v)
    await tb.prm.wait_empty()
    tb.src.send(tb.token_beats(v["x"]))
    # Reset once outputs flow: tokens are then in every part of the kernel.
    await wait_until(dut.clk_i, lambda: bool(tb.sink.items), "the first output beat")
    await ClockCycles(dut.clk_i, tb.beats // 2)
    assert tb.src.queue, "the reset should hit while input is still queued"
    tb.src.clear()
    dut.rst_ni.value = 0
    await ClockCycles(dut.clk_i, 2)
    assert dut.out_valid_o.value == 0, "out_valid_o must drop during reset"
    dut.rst_ni.value = 1
    await RisingEdge(dut.clk_i)
    tb.sink.items.clear()

    # Tokens offered before any load wait: the parameters are gone with the reset.
    v2 = load_vectors("layernorm", count=6, seed=32, gb="tiny")
    tb.src.send(tb.token_beats(v2["x"]))
    sent = tb.src.sent
    await ClockCycles(dut.clk_i, 30)
    assert tb.src.sent == sent, "a token was accepted before parameters were loaded"

    # Reset in the middle of a parameter load, then a complete load.
    before = tb.prm.sent
    tb.prm.send(tb.prm_beats(v))
    await tb.prm.wait_sent(before + tb.beats // 2 + 1)
    await ClockCycles(dut.clk_i, tb.lanes // 2)   # inside a beat when Lanes > 1
    tb.prm.clear()
    dut.rst_ni.value = 0
    await ClockCycles(dut.clk_i, 2)
    dut.rst_ni.value = 1
    await RisingEdge(dut.clk_i)
    await ClockCycles(dut.clk_i, 10)
    assert tb.src.sent == sent, "a token was accepted after a partial parameter load"
    assert len(tb.sink.items) == 0, "output after reset without input"
    tb.prm.send(tb.prm_beats(v2))
    await tb.sink.wait_exact(len(v2["x"]) * tb.beats)
    check(tb.results(len(v2["x"])), v2["y"], v2["x"], "after reset")
    write_summary(vectors=len(v2["x"]))
    coverage.write(tb)


MODULES = ["ln_ram", "stream_fifo", "ln_stats", "ln_norm", "isqrt_core", "ln_div_core", "ln_rstd", "ln_lane", "layernorm"]


def _run(lanes: int, steps: int, tokens: int, record_property) -> None:
    s = run_tb(__file__, "layernorm", MODULES, {"Lanes": lanes, "StepsPerCycle": steps},
               extra_env={"LN_TOKENS": str(tokens)})
    record_vectors(record_property, "layernorm", s["vectors"], lanes=lanes, steps=steps, unit="tokens")
    coverage.check(s, record_property)
    f = formula(lanes, steps)
    assert s["cycles"]["measured"] == s["cycles"]["formula"]
    assert s["cycles"]["period"] == f["period"]


# (1, 1): params.toml ln_lanes = 1; (16, 3): the architecture's configuration (hw/synth/kernels.toml:
# Lanes 16, StepsPerCycle = ln_steps = 3 isqrt/division chains, one token per 12 cycles);
# (8, 1): the rstd-bound rate (34 cycles per token of 24 beats).
@pytest.mark.parametrize("lanes,steps", [(1, 1), (16, 3), (8, 1)])
def test_layernorm(lanes: int, steps: int, record_property) -> None:
    _run(lanes, steps, 24, record_property)


@pytest.mark.slow
@pytest.mark.parametrize("lanes,steps", [(1, 1), (2, 1), (3, 3), (4, 2), (6, 1), (8, 2), (12, 4), (16, 3)])
def test_layernorm_sweep(lanes: int, steps: int, record_property) -> None:
    _run(lanes, steps, 200, record_property)
