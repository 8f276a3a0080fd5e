"""cocotb testbench of hw/rtl/softmax_stats.sv against edgemoe.golden.softmax.softmax_stats."""
from __future__ import annotations

import os
import random

import cocotb
import numpy as np
import pytest
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge

from edgemoe.golden.fixedpoint import fmt
from edgemoe.golden.softmax import softmax_stats
from edgemoe.golden.vectors import load as load_vectors
from edgemoe.sim import coverage
from edgemoe.sim.coverage import COV
from edgemoe.sim.runner import record_vectors, run_tb, write_summary
from edgemoe.sim.streams import pack, reset_in_flight, StreamSink, StreamSource, TransferMonitor, unpack

RECIP_CYCLES = 25   # recip_core: one division per 25 cycles
ROW_LATENCY = 37    # last key transfer -> (m, r) transfer: 37 edges (module header)


def cycles_formula(rows: int, cols: int) -> int:
    """Module header: N rows (beats of Lanes rows) of J keys, first input to last output inclusive."""
    return (rows - 1) * max(cols, RECIP_CYCLES) + cols + ROW_LATENCY


class TB:
    def __init__(self, dut, idle: float, stall: float, seed: int):
        self.dut = dut
        self.lanes = int(dut.Lanes.value)
        self.wa = fmt("act").bits
        self.wr = fmt("r").bits
        cocotb.start_soon(Clock(dut.clk_i, 10, unit="ns").start())
        self.src = StreamSource(dut.clk_i, dut.in_valid_i, dut.in_ready_o, dut.in_data_i, idle=idle,
                                rng=random.Random(seed), extra={"last": dut.in_last_i})
        self.sink = StreamSink(dut.clk_i, dut.out_valid_o, dut.out_ready_i, dut.out_data_o, stall=stall,
                               rng=random.Random(seed + 1))
        self.mon = TransferMonitor(dut.clk_i, {"in": (dut.in_valid_i, dut.in_ready_o),
                                         "out": (dut.out_valid_o, dut.out_ready_i)})
        dut.in_last_i.value = 0
        # coverage: the result slot full (backpressure reaches the key input); rows whose running
        # maximum grows at the first possible key (index 1) and at the last key; one-key rows
        coverage.value_probe(dut.in_ready_o, {0: "in.backpressured"}, dut.rst_ni)
        COV.declare("max_grow.first", "max_grow.last", "row.one_key")

    async def reset(self) -> None:
        self.dut.rst_ni.value = 0
        await ClockCycles(self.dut.clk_i, 3)
        self.dut.rst_ni.value = 1
        await RisingEdge(self.dut.clk_i)

    def groups(self, s: np.ndarray) -> np.ndarray:
        """Rows (R, J) -> (G, Lanes, J); the last group is padded with copies of row 0."""
        pad = (-len(s)) % self.lanes
        sp = np.concatenate([s, np.repeat(s[:1], pad, axis=0)]) if pad else s
        return sp.reshape(-1, self.lanes, s.shape[1])

    def beats(self, s: np.ndarray) -> list:
        out = []
        for g in self.groups(s):
            J = g.shape[1]
            out += [(pack(g[:, j], self.wa), {"last": int(j == J - 1)}) for j in range(J)]
        return out

    def results(self, nrows: int) -> tuple[np.ndarray, np.ndarray]:
        m, r = [], []
        for word in self.sink.items:
            for lane in range(self.lanes):
                rec = word >> (lane * (self.wa + self.wr))
                m.append(unpack(rec, self.wa, 1)[0])
                r.append((rec >> self.wa) & ((1 << self.wr) - 1))
        return np.array(m[:nrows], dtype=np.int64), np.array(r[:nrows], dtype=np.int64)


def sample_rows(s: np.ndarray) -> None:
    """Stimulus coverage: where the running maximum grows (key 1, the last key), rows of one key."""
    if s.shape[1] == 1:
        COV.hit("row.one_key", len(s))
        return
    run_max = np.maximum.accumulate(s, axis=1)
    COV.sample("max_grow.first", int((s[:, 1] > s[:, 0]).sum()))
    COV.sample("max_grow.last", int((s[:, -1] > run_max[:, -2]).sum()))


async def run_rows(tb: TB, rows: list[np.ndarray]) -> int:
    """Rows of possibly different lengths: every Lanes-group shares one length. Returns rows compared."""
    tb.sink.items.clear()
    beats, exp_m, exp_r, n = [], [], [], 0
    for s in rows:
        sample_rows(s)
        beats += tb.beats(s)
        m, r = softmax_stats(s)
        pad = (-len(s)) % tb.lanes
        exp_m += list(m) + [m[0]] * pad
        exp_r += list(r) + [r[0]] * pad
        n += len(s)
    ngroups = len(exp_m) // tb.lanes
    tb.src.send(beats)
    await tb.sink.wait_for(ngroups)
    await ClockCycles(tb.dut.clk_i, 40)
    assert len(tb.sink.items) == ngroups, f"{len(tb.sink.items)} results for {ngroups} row groups"
    gm, gr = tb.results(len(exp_m))
    em, er = np.array(exp_m), np.array(exp_r)
    bad = np.nonzero((gm != em) | (gr != er))[0]
    assert bad.size == 0, (f"{bad.size} mismatching rows, first #{bad[0]}: m {gm[bad[0]]} vs {em[bad[0]]}, "
                           f"r {gr[bad[0]]} vs {er[bad[0]]}")
    return n


def cols() -> int:
    return int(os.environ.get("COLS", "129"))


def crafted_rows(J: int, rng: np.random.Generator) -> np.ndarray:
    """Rows aimed at the recurrence: a max growing on every key, growth by one lsb, far jumps, ties."""
    a = fmt("act")
    F = a.frac
    j = np.arange(J)
    rows = [j * 1, j * (1 << F), j * (40 << F) - (20 << F), np.where(j % 2, 1, 0), np.full(J, -7),
            np.clip(j * (1 << 22) + a.min_int, a.min_int, a.max_int),   # huge steps (exp argument clamps)
            np.where(j == J - 1, a.max_int, a.min_int), np.where(j == 0, a.min_int, a.max_int),
            rng.integers(-(1 << F), (1 << F), J), rng.integers(-(4 << F), 4 << F, J) // (1 << 12) * (1 << 12)]
    return np.clip(np.array(rows, dtype=np.int64), a.min_int, a.max_int)


@cocotb.test()
async def test_vectors_backpressure(dut):
    """Golden softmax vectors (edge rows + random rows) and crafted rows, random idle and backpressure."""
    tb = TB(dut, idle=0.3, stall=0.3, seed=int(os.environ.get("SEED", "1")))
    await tb.reset()
    J = cols()
    v = load_vectors("softmax", count=int(os.environ.get("COUNT", "40")), seed=7, cols=J)
    assert np.array_equal(softmax_stats(v["s"])[0], v["m"]) and np.array_equal(softmax_stats(v["s"])[1], v["r"])
    n = await run_rows(tb, [v["s"], crafted_rows(J, np.random.default_rng(3))])
    dut._log.info("softmax_stats: %d rows of %d keys bit-exact (%d edge rows)", n, J, v.edge_cases)
    write_summary(vectors=n)
    coverage.write(tb)


@cocotb.test()
async def test_row_lengths(dut):
    """Rows of 1, 2, 3, ... keys back to back (row start/end on consecutive beats, the divider as bottleneck)."""
    tb = TB(dut, idle=0.2, stall=0.4, seed=9)
    await tb.reset()
    rng = np.random.default_rng(5)
    rows = []
    for J in [1, 2, 3, 5, 1, 8, 24, 25, 26, 1, 2, 7]:
        x = fmt("act").quantize(rng.normal(0, 3.0, (tb.lanes, J)))
        rows.append(x)
    n = await run_rows(tb, rows)
    write_summary(vectors=n)
    coverage.write(tb)


@cocotb.test()
async def test_throughput(dut):
    """No idle, no backpressure: N row groups of J keys take (N-1) max(J, 25) + J + 37 cycles."""
    tb = TB(dut, idle=0.0, stall=0.0, seed=3)
    await tb.reset()
    J = cols()
    ngroups = 6
    v = load_vectors("softmax", count=ngroups * tb.lanes, seed=11, cols=J)
    s = v["s"][v.edge_cases:]
    n = await run_rows(tb, [s])
    cycles = tb.mon.at["out"][-1] - tb.mon.at["in"][0] + 1
    expected = cycles_formula(ngroups, J)
    ins = tb.mon.at["in"]
    assert cycles == expected, f"{ngroups} rows of {J} keys took {cycles} cycles, expected {expected}"
    if J >= RECIP_CYCLES:
        assert ins[-1] - ins[0] + 1 == len(ins), "input stalled although rows are long enough"
    write_summary(vectors=n, cycles={"rows": ngroups, "keys": J, "measured": cycles, "formula": expected,
                                     "keys_per_cycle_per_lane": round(len(ins) / (ins[-1] - ins[0] + 1), 4)})
    coverage.write(tb)


@cocotb.test()
async def test_reset_mid_stream(dut):
    """Reset in the middle of a row: nothing stale comes out, and the next rows start clean."""
    tb = TB(dut, idle=0.2, stall=0.2, seed=5)
    await tb.reset()
    J = cols()
    v = load_vectors("softmax", count=3 * tb.lanes, seed=13, cols=J)
    tb.src.send(tb.beats(v["s"]))
    await reset_in_flight(dut, tb.src, tb.sink, J + J // 2)
    await RisingEdge(dut.clk_i)
    v = load_vectors("softmax", count=2 * tb.lanes, seed=17, cols=J)
    n = await run_rows(tb, [v["s"]])
    write_summary(vectors=n)
    coverage.write(tb)


@pytest.mark.parametrize("lanes,ncols", [(4, 129), (1, 16), (3, 25)])
def test_softmax_stats(lanes: int, ncols: int, record_property) -> None:
    s = run_tb(__file__, "softmax_stats", ["exp2_rom", "exp_core", "recip_core", "softmax_stats"],
               {"Lanes": lanes}, extra_env={"COLS": str(ncols)})
    record_vectors(record_property, "softmax_stats", s["vectors"], lanes=lanes, cols=ncols)
    coverage.check(s, record_property)
    assert s["cycles"]["measured"] == s["cycles"]["formula"]
