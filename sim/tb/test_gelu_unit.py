"""cocotb testbench of hw/rtl/gelu_unit.sv against edgemoe.golden.gelu (pytest runner at the bottom)."""
from __future__ import annotations

import os
import random

import cocotb
import numpy as np
import pytest
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge

from edgemoe.golden.fixedpoint import fmt
from edgemoe.golden.vectors import load as load_vectors
from edgemoe.sim import coverage
from edgemoe.sim.coverage import COV
from edgemoe.sim.runner import record_vectors, run_tb, write_summary
from edgemoe.sim.streams import pack, reset_in_flight, StreamSink, StreamSource, unpack

LATENCY = 7  # pipeline stages (see the module header)


class TB:
    def __init__(self, dut, idle: float, stall: float, seed: int):
        self.dut = dut
        self.lanes = int(dut.Lanes.value)
        self.w = fmt("act").bits
        rng = random.Random(seed)
        cocotb.start_soon(Clock(dut.clk_i, 10, unit="ns").start())
        self.src = StreamSource(dut.clk_i, dut.in_valid_i, dut.in_ready_o, dut.in_data_i, idle=idle, rng=rng)
        self.sink = StreamSink(dut.clk_i, dut.out_valid_o, dut.out_ready_i, dut.out_data_o, stall=stall,
                               rng=random.Random(seed + 1))
        # coverage: backpressure reaching the input (the pipeline full), and the input extremes
        coverage.value_probe(dut.in_ready_o, {0: "pipe.full"}, dut.rst_ni)
        COV.declare("x.act_min", "x.act_max", "x.zero")

    async def reset(self) -> None:
        self.dut.rst_ni.value = 0
        await ClockCycles(self.dut.clk_i, 3)
        self.dut.rst_ni.value = 1
        await RisingEdge(self.dut.clk_i)

    def beats(self, x: np.ndarray) -> list[int]:
        pad = (-len(x)) % self.lanes
        xp = np.concatenate([x, np.zeros(pad, dtype=np.int64)])
        return [pack(xp[i:i + self.lanes], self.w) for i in range(0, len(xp), self.lanes)]

    def results(self, n: int) -> np.ndarray:
        vals = [v for word in self.sink.items for v in unpack(word, self.w, self.lanes)]
        return np.array(vals[:n], dtype=np.int64)


async def run_vectors(tb: TB, v) -> int:
    x, y = v["x"], v["y"]
    a = fmt("act")
    COV.sample("x.act_min", int((x == a.min_int).sum()))
    COV.sample("x.act_max", int((x == a.max_int).sum()))
    COV.sample("x.zero", int((x == 0).sum()))
    tb.src.send(tb.beats(x))
    await tb.sink.wait_exact(len(tb.beats(x)))
    got = tb.results(len(x))
    bad = np.nonzero(got != y)[0]
    assert bad.size == 0, f"{bad.size} mismatches, first x={x[bad[0]]}: got {got[bad[0]]}, expected {y[bad[0]]}"
    return len(x)


@cocotb.test()
async def test_vectors_backpressure(dut):
    """Golden vectors (edge cases + random) with random idle cycles and backpressure."""
    tb = TB(dut, idle=0.3, stall=0.3, seed=int(os.environ.get("SEED", "1")))
    await tb.reset()
    v = load_vectors("gelu", count=4000, seed=7)
    n = await run_vectors(tb, v)
    dut._log.info("gelu: %d vectors bit-exact (%d edge cases)", n, v.edge_cases)
    write_summary(vectors=n)
    coverage.write(tb)


@cocotb.test()
async def test_throughput(dut):
    """No idle, no backpressure: N beats take N + LATENCY cycles (one beat of Lanes results per cycle)."""
    tb = TB(dut, idle=0.0, stall=0.0, seed=3)
    await tb.reset()
    v = load_vectors("gelu", count=1024, seed=11)
    beats = tb.beats(v["x"])
    await RisingEdge(dut.clk_i)
    start = cocotb.utils.get_sim_time("ns")
    tb.src.send(beats)
    await tb.sink.wait_for(len(beats))
    cycles = int((cocotb.utils.get_sim_time("ns") - start) / 10)
    await tb.sink.wait_exact(len(beats))   # no extra beat after the last one
    got = tb.results(len(v["x"]))
    assert np.array_equal(got, v["y"])
    expected = len(beats) + LATENCY
    # + 1: the measurement starts one edge before the first beat is accepted
    assert cycles == expected + 1, f"{len(beats)} beats took {cycles} cycles, formula {expected} + 1"
    write_summary(vectors=len(v["x"]), cycles={"beats": len(beats), "measured": cycles, "formula": expected})
    coverage.write(tb)


@cocotb.test()
async def test_reset_mid_stream(dut):
    """Reset while beats are in flight: nothing stale comes out, and the unit works afterwards."""
    tb = TB(dut, idle=0.2, stall=0.2, seed=5)
    await tb.reset()
    v = load_vectors("gelu", count=200, seed=13)
    tb.src.send(tb.beats(v["x"]))
    await reset_in_flight(dut, tb.src, tb.sink, 20)
    await RisingEdge(dut.clk_i)
    n = await run_vectors(tb, load_vectors("gelu", count=300, seed=17))
    write_summary(vectors=n)
    coverage.write(tb)


@pytest.mark.parametrize("lanes", [1, 4])
def test_gelu_unit(lanes: int, record_property) -> None:
    s = run_tb(__file__, "gelu_unit", ["gelu_rom", "gelu_unit"], {"Lanes": lanes})
    record_vectors(record_property, "gelu_unit", s["vectors"], lanes=lanes)
    coverage.check(s, record_property)
    assert s["cycles"]["measured"] == s["cycles"]["formula"] + 1
