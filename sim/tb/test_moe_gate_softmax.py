"""cocotb testbench of hw/rtl/moe_gate_softmax.sv alone against edgemoe.golden (top2, softmax_stats,
softmax_weights): the routing stage of the integrated top.

moe_gate's own testbench feeds the logits one per cycle within a token (its logit FIFO never
pauses mid-token), so the interleaved running sum never waits for an exp there. Here the logits
arrive with idle cycles inside tokens (random and bursty), so a sum context catches up with the exp
buffer and must wait (coverage ``sum.wait``); the result stream stalls long enough to fill all
slots (``slots.full``). Every result bit is compared: the 16 logits, idx, p, token and last flag.
Cases: random logits, strictly increasing (the maximum grows at every step), all equal (ties,
e = 1.0 everywhere), the top two equal (p1 = p0), logits at the act limits.
"""
from __future__ import annotations

import os
import random

import cocotb
import numpy as np
import pytest
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge

from edgemoe.golden.fixedpoint import fmt
from edgemoe.golden.moe import top2
from edgemoe.golden.softmax import softmax_stats, softmax_weights
from edgemoe.sim import coverage
from edgemoe.sim.coverage import COV
from edgemoe.sim.runner import record_vectors, run_tb, write_summary
from edgemoe.sim.streams import StreamSink, StreamSource, unpack

E = 16
ACT = fmt("act").bits
PB = fmt("p").bits
EXPW = 4


def golden(lg: np.ndarray):
    idx = top2(lg, 2)
    m, r = softmax_stats(lg)
    p = softmax_weights(np.take_along_axis(lg, idx, axis=-1), m, r)
    return idx, p


def layer(rng: np.random.Generator, n: int) -> np.ndarray:
    a = fmt("act")
    rows = []
    for t in range(n):
        kind = t % 6
        if kind == 0:
            row = rng.integers(-3 << 16, 3 << 16, E)
        elif kind == 1:
            row = np.sort(rng.integers(-8 << 16, 8 << 16, E))          # grows at every step
        elif kind == 2:
            row = np.full(E, int(rng.integers(-1 << 16, 1 << 16)))     # all equal: e = 1.0
        elif kind == 3:
            row = rng.integers(-2 << 16, 2 << 16, E)
            i, j = rng.choice(E, 2, replace=False)
            row[i] = row[j] = row.max() + 5                              # top two equal: p1 = p0
        elif kind == 4:
            row = rng.choice([a.min_int, a.max_int, 0, -1], E)          # act limits
        else:
            row = rng.integers(-40 << 16, 40 << 16, E)                  # wide: many e = 0
        rows.append(np.clip(row, a.min_int, a.max_int))
    return np.array(rows, dtype=np.int64)


async def monitor_wait(dut) -> None:
    """``sum.wait``: a context holds a token but has no step to issue in its cycle."""
    while True:
        await RisingEdge(dut.clk_i)
        if int(dut.rst_ni.value) == 1:
            ph = int(dut.ph_q.value)
            act = (int(dut.c_act_q.value) >> ph) & 1
            if act and int(dut.c_vld.value) == 0:
                COV.hit("sum.wait")


@cocotb.test()
async def test_gaps_and_backpressure(dut):
    """Logits with idle cycles inside tokens, results with long stalls; every bit against the golden."""
    seed = int(os.environ.get("SEED", "1"))
    rng = np.random.default_rng(seed)
    cocotb.start_soon(Clock(dut.clk_i, 10, unit="ns").start())
    COV.declare("slots.full", "sum.wait")
    coverage.value_probe(dut.full_q, {1: "slots.full"}, dut.rst_ni, declare=False)
    cocotb.start_soon(monitor_wait(dut))
    src = StreamSource(dut.clk_i, dut.lg_valid_i, dut.lg_ready_o, dut.lg_data_i, idle=0.4,
                       rng=random.Random(seed + 1),
                       extra={"lg_expert_i": dut.lg_expert_i, "lg_token_i": dut.lg_token_i,
                              "lg_last_i": dut.lg_last_i})
    sink = StreamSink(dut.clk_i, dut.res_valid_o, dut.res_ready_i, dut.res_p_o, stall=0.5,
                      rng=random.Random(seed + 2),
                      extra=[dut.res_idx_o, dut.res_token_o, dut.res_last_o, dut.res_logits_o])
    dut.lg_data_i.value = 0
    dut.lg_expert_i.value = 0
    dut.lg_token_i.value = 0
    dut.lg_last_i.value = 0
    dut.rst_ni.value = 0
    await ClockCycles(dut.clk_i, 3)
    dut.rst_ni.value = 1

    T = 96
    lg = layer(rng, T)
    idx, p = golden(lg)
    beats = []
    for t in range(T):
        for e in range(E):
            beats.append((int(lg[t, e]) & ((1 << ACT) - 1),
                          {"lg_expert_i": e, "lg_token_i": t, "lg_last_i": int(t == T - 1)}))
    src.send(beats)
    # a long stall first: the slots fill while the logits keep coming
    sink.stall = 1.0
    await ClockCycles(dut.clk_i, 1200)
    sink.stall = 0.5
    await sink.wait_exact(T)
    for t, (pw, iw, tok, last, lw) in enumerate(sink.items):
        got_p = unpack(pw, PB, 2, signed=False)
        got_i = unpack(iw, EXPW, 2, signed=False)
        got_l = unpack(lw, ACT, E)
        assert got_l == list(lg[t]), f"token {t}: logits {got_l} != {list(lg[t])}"
        assert got_i == list(idx[t]), f"token {t}: idx {got_i} != {list(idx[t])} (logits {list(lg[t])})"
        assert got_p == list(p[t]), f"token {t}: p {got_p} != {list(p[t])} (logits {list(lg[t])})"
        assert tok == t and last == int(t == T - 1), f"token {t}: index {tok}, last {last}"
    write_summary(vectors=T)
    coverage.write()


@pytest.mark.parametrize("units", [2, 1])
def test_moe_gate_softmax(units: int, record_property) -> None:
    s = run_tb(__file__, "moe_gate_softmax", ["exp2_rom", "exp_core", "recip_core", "moe_gate_softmax"],
               {"RecipUnits": units})
    record_vectors(record_property, "moe_gate_softmax", s["vectors"], recip_units=units)
    coverage.check(s, record_property)
