"""cocotb testbench of hw/rtl/recip_unit.sv (one recip_core) against edgemoe.golden.exp_recip.recip_fixed."""
from __future__ import annotations

import os
import random

import cocotb
import numpy as np
import pytest
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge

from edgemoe.golden.exp_recip import recip_fixed
from edgemoe.golden.fixedpoint import fmt
from edgemoe.golden.vectors import load as load_vectors
from edgemoe.sim import coverage
from edgemoe.sim.coverage import COV
from edgemoe.sim.runner import record_vectors, run_tb, write_summary
from edgemoe.sim.streams import StreamSink, StreamSource, TransferMonitor

RECIP_CYCLES = 25  # one division per 25 cycles (recip_core header)


def edge_sums() -> np.ndarray:
    """Both ends of the sum format, powers of two and their neighbours, exact halves."""
    sf = fmt("sum")
    one = 1 << sf.frac
    out = list(range(one, one + 64)) + list(range(sf.max_int - 63, sf.max_int + 1))
    for b in range(sf.frac, sf.bits):
        out += [(1 << b) - 1, 1 << b, (1 << b) + 1]
    # sums whose quotient sits on a rounding tie region: 2^41 / S with odd divisors
    out += [3 * one, 5 * one, 7 * one, 129 * one, 255 * one]
    return np.clip(np.array(out), one, sf.max_int)


class TB:
    def __init__(self, dut, idle: float, stall: float, seed: int):
        self.dut = dut
        cocotb.start_soon(Clock(dut.clk_i, 10, unit="ns").start())
        self.src = StreamSource(dut.clk_i, dut.in_valid_i, dut.in_ready_o, dut.in_data_i, idle=idle,
                                rng=random.Random(seed))
        self.sink = StreamSink(dut.clk_i, dut.out_valid_o, dut.out_ready_i, dut.out_data_o, stall=stall,
                               rng=random.Random(seed + 1))
        self.mon = TransferMonitor(dut.clk_i, {"in": (dut.in_valid_i, dut.in_ready_o),
                                         "out": (dut.out_valid_o, dut.out_ready_i)})
        # coverage: a result held under backpressure while the next division waits; both ends of S
        coverage.value_probe(dut.out_ready_i, {0: "out.stalled"}, dut.rst_ni)
        COV.declare("s.one", "s.max", "s.pow2")

    async def reset(self) -> None:
        self.dut.rst_ni.value = 0
        await ClockCycles(self.dut.clk_i, 3)
        self.dut.rst_ni.value = 1
        await RisingEdge(self.dut.clk_i)


async def run_vectors(tb: TB, s: np.ndarray, r: np.ndarray) -> int:
    sf = fmt("sum")
    COV.sample("s.one", int((s == 1 << sf.frac).sum()))
    COV.sample("s.max", int((s == sf.max_int).sum()))
    COV.sample("s.pow2", int(((s & (s - 1)) == 0).sum()))
    tb.sink.items.clear()
    tb.src.send([int(x) for x in s])
    await tb.sink.wait_exact(len(s))
    got = np.array(tb.sink.items[:len(s)], dtype=np.int64)
    bad = np.nonzero(got != r)[0]
    assert bad.size == 0, f"{bad.size} mismatches, first S={s[bad[0]]}: got {got[bad[0]]}, expected {r[bad[0]]}"
    assert len(tb.sink.items) == len(s), "extra results"
    return len(s)


def regime() -> tuple[float, float, int]:
    return float(os.environ.get("IDLE", "0.3")), float(os.environ.get("STALL", "0.3")), int(os.environ.get("SEED", "1"))


@cocotb.test()
async def test_vectors_backpressure(dut):
    """Golden vectors (edge cases + random) plus format edges, with random idle cycles and backpressure."""
    idle, stall, seed = regime()
    tb = TB(dut, idle=idle, stall=stall, seed=seed)
    await tb.reset()
    v = load_vectors("recip", count=1500, seed=7 + seed)
    n = await run_vectors(tb, v["s"], v["r"])
    ed = edge_sums()
    n += await run_vectors(tb, ed, recip_fixed(ed))
    dut._log.info("recip: %d vectors bit-exact (%d + %d edge cases)", n, v.edge_cases, len(ed))
    write_summary(vectors=n)
    coverage.write(tb)


@cocotb.test()
async def test_throughput(dut):
    """No idle, no backpressure: N divisions take 25 N + 1 cycles (first input to last output, inclusive)."""
    tb = TB(dut, idle=0.0, stall=0.0, seed=3)
    await tb.reset()
    v = load_vectors("recip", count=64, seed=11)
    n = await run_vectors(tb, v["s"], v["r"])
    cycles = tb.mon.at["out"][-1] - tb.mon.at["in"][0] + 1
    expected = RECIP_CYCLES * n + 1
    latency = tb.mon.at["out"][0] - tb.mon.at["in"][0]
    assert latency == RECIP_CYCLES, f"latency {latency}, expected {RECIP_CYCLES}"
    assert cycles == expected, f"{n} divisions took {cycles} cycles, expected {expected}"
    write_summary(vectors=n, cycles={"divisions": n, "measured": cycles, "formula": expected, "latency": latency})
    coverage.write(tb)


@cocotb.test()
async def test_reset_mid_stream(dut):
    """Reset during a division: no stale result comes out, and the unit works afterwards."""
    tb = TB(dut, idle=0.2, stall=0.2, seed=5)
    await tb.reset()
    v = load_vectors("recip", count=50, seed=13)
    tb.src.send([int(x) for x in v["s"]])
    await ClockCycles(dut.clk_i, 90)
    tb.src.clear()
    dut.rst_ni.value = 0
    await ClockCycles(dut.clk_i, 2)
    assert dut.out_valid_o.value == 0, "out_valid_o must drop during reset"
    assert dut.in_ready_o.value == 1, "idle after reset"
    dut.rst_ni.value = 1
    tb.sink.items.clear()
    await ClockCycles(dut.clk_i, 30)
    assert not tb.sink.items, "a result came out after reset"
    v = load_vectors("recip", count=100, seed=17)
    n = await run_vectors(tb, v["s"], v["r"])
    write_summary(vectors=n)
    coverage.write(tb)


# recip_unit has no HDL parameter: the two sets are two stimulus regimes (seed, idle and stall rates).
@pytest.mark.parametrize("idle,stall,seed", [(0.3, 0.3, 1), (0.0, 0.7, 2)])
def test_recip_unit(idle: float, stall: float, seed: int, record_property) -> None:
    s = run_tb(__file__, "recip_unit", ["recip_core", "recip_unit"], {},
               extra_env={"IDLE": str(idle), "STALL": str(stall), "SEED": str(seed)})
    record_vectors(record_property, "recip_unit", s["vectors"], idle=idle, stall=stall)
    coverage.check(s, record_property)
    assert s["cycles"]["measured"] == s["cycles"]["formula"]
