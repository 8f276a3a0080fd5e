"""cocotb testbench of hw/rtl/exp_unit.sv (exp_core per lane) against edgemoe.golden.exp_recip.exp_fixed."""
from __future__ import annotations

import os
import random

import cocotb
import numpy as np
import pytest
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge

from edgemoe.golden.exp_recip import exp_fixed
from edgemoe.golden.fixedpoint import fmt
from edgemoe.golden.vectors import load as load_vectors
from edgemoe.sim import coverage
from edgemoe.sim.coverage import COV
from edgemoe.sim.runner import record_vectors, run_tb, write_summary
from edgemoe.sim.streams import pack, reset_in_flight, StreamSink, StreamSource, TransferMonitor, unpack

LATENCIES = (10, 5)  # exp_core's Latency: the 300 MHz form and the compact one (module headers)


def edge_codes() -> np.ndarray:
    """Codes around every place where the datapath changes regime.

    Integer parts n of t (the shift), table index wrap (f near 2^20, i = 127),
    the clamp at -32, the point where the shift clips to 40, and exp(-1 lsb).
    """
    F = fmt("act").frac
    log2e = 1512775 / 2 ** 20
    out = [0, -1, -2, -3, fmt("act").min_int, fmt("act").min_int + 1]
    for n in range(0, 48):                 # t = -n exactly: d = -n ln 2
        c = int(round(-n / log2e * (1 << F)))
        out += [c - 2, c - 1, c, c + 1, c + 2]
    for k in range(1, 33):
        out += [-(k << F), -(k << F) + 1, -(k << F) - 1]
    out = np.clip(np.array(out), fmt("act").min_int, 0)
    return out


class TB:
    def __init__(self, dut, idle: float, stall: float, seed: int):
        self.dut = dut
        self.lanes = int(dut.Lanes.value)
        self.wi = fmt("act").bits
        self.wo = fmt("e").bits
        cocotb.start_soon(Clock(dut.clk_i, 10, unit="ns").start())
        self.src = StreamSource(dut.clk_i, dut.in_valid_i, dut.in_ready_o, dut.in_data_i, idle=idle,
                                rng=random.Random(seed))
        self.sink = StreamSink(dut.clk_i, dut.out_valid_o, dut.out_ready_i, dut.out_data_o, stall=stall,
                               rng=random.Random(seed + 1))
        # coverage: the pipeline full (backpressure at the input); the clamp at -32 and the act extremes
        coverage.value_probe(dut.in_ready_o, {0: "pipe.full"}, dut.rst_ni)
        COV.declare("d.below_clamp", "d.at_clamp", "d.zero", "d.act_min")

    async def reset(self) -> None:
        self.dut.rst_ni.value = 0
        await ClockCycles(self.dut.clk_i, 3)
        self.dut.rst_ni.value = 1
        await RisingEdge(self.dut.clk_i)

    def beats(self, x: np.ndarray) -> list[int]:
        pad = (-len(x)) % self.lanes
        xp = np.concatenate([x, np.zeros(pad, dtype=np.int64)])
        return [pack(xp[i:i + self.lanes], self.wi) for i in range(0, len(xp), self.lanes)]

    def results(self, n: int) -> np.ndarray:
        vals = [v for word in self.sink.items for v in unpack(word, self.wo, self.lanes, signed=False)]
        return np.array(vals[:n], dtype=np.int64)


async def run_vectors(tb: TB, d: np.ndarray, e: np.ndarray) -> int:
    clamp = -(32 << fmt("act").frac)
    COV.sample("d.below_clamp", int((d < clamp).sum()))
    COV.sample("d.at_clamp", int((d == clamp).sum()))
    COV.sample("d.zero", int((d == 0).sum()))
    COV.sample("d.act_min", int((d == fmt("act").min_int).sum()))
    tb.src.send(tb.beats(d))
    await tb.sink.wait_exact(len(tb.beats(d)))
    got = tb.results(len(d))
    bad = np.nonzero(got != e)[0]
    assert bad.size == 0, f"{bad.size} mismatches, first d={d[bad[0]]}: got {got[bad[0]]}, expected {e[bad[0]]}"
    return len(d)


@cocotb.test()
async def test_vectors_backpressure(dut):
    """Golden vectors (edge cases + random) plus regime edges, with random idle cycles and backpressure."""
    tb = TB(dut, idle=0.3, stall=0.3, seed=int(os.environ.get("SEED", "1")))
    await tb.reset()
    v = load_vectors("exp", count=4000, seed=7)
    n = await run_vectors(tb, v["d"], v["e"])
    tb.sink.items.clear()
    ed = edge_codes()
    n += await run_vectors(tb, ed, exp_fixed(ed))
    dut._log.info("exp: %d vectors bit-exact (%d + %d edge cases)", n, v.edge_cases, len(ed))
    write_summary(vectors=n)
    coverage.write(tb)


@cocotb.test()
async def test_throughput(dut):
    """No idle, no backpressure: N beats take N + ExpLatency cycles.

    Measured from the edge of the first input transfer to the edge of the last
    output transfer, plus one (the cycle of the first transfer itself).
    """
    tb = TB(dut, idle=0.0, stall=0.0, seed=3)
    await tb.reset()
    mon = TransferMonitor(dut.clk_i, {"in": (dut.in_valid_i, dut.in_ready_o), "out": (dut.out_valid_o, dut.out_ready_i)})
    v = load_vectors("exp", count=1024, seed=11)
    beats = tb.beats(v["d"])
    tb.src.send(beats)
    await tb.sink.wait_exact(len(beats))
    cycles = mon.at["out"][-1] - mon.at["in"][0] + 1
    assert np.array_equal(tb.results(len(v["d"])), v["e"])
    expected = len(beats) + int(dut.ExpLatency.value)
    assert cycles == expected, f"{len(beats)} beats took {cycles} cycles, expected {expected}"
    write_summary(vectors=len(v["d"]), cycles={"beats": len(beats), "measured": cycles, "formula": expected})
    coverage.write(tb)


@cocotb.test()
async def test_reset_mid_stream(dut):
    """Reset while beats are in flight: nothing stale comes out, and the unit works afterwards."""
    tb = TB(dut, idle=0.2, stall=0.2, seed=5)
    await tb.reset()
    v = load_vectors("exp", count=200, seed=13)
    tb.src.send(tb.beats(v["d"]))
    await reset_in_flight(dut, tb.src, tb.sink, 20)
    await RisingEdge(dut.clk_i)
    v = load_vectors("exp", count=300, seed=17)
    n = await run_vectors(tb, v["d"], v["e"])
    write_summary(vectors=n)
    coverage.write(tb)


@pytest.mark.parametrize("lanes,latency", [(1, LATENCIES[0]), (3, LATENCIES[0]), (3, LATENCIES[1])])
def test_exp_unit(lanes: int, latency: int, record_property) -> None:
    s = run_tb(__file__, "exp_unit", ["exp2_rom", "exp_core", "exp_unit"], {"Lanes": lanes, "ExpLatency": latency})
    record_vectors(record_property, "exp_unit", s["vectors"], lanes=lanes, latency=latency)
    coverage.check(s, record_property)
    assert s["cycles"]["measured"] == s["cycles"]["formula"]
