"""Valid/ready stream drivers for the cocotb testbenches, with random idle cycles and backpressure.

Every kernel's streams follow one convention: ``<name>_valid_i/_o``, ``<name>_ready_o/_i``,
``<name>_data_i/_o``; a transfer happens on a rising clock edge where valid and
ready are both 1. Multi-lane data packs lane ``l`` in bits ``[l*W +: W]``.
:func:`pack` / :func:`unpack` convert between Python ints (two's complement for
signed fields) and such words.
"""
from __future__ import annotations

import random
from typing import Iterable, Sequence

import cocotb
from cocotb.triggers import ClockCycles, RisingEdge


def as_int(value) -> int:
    """Unsigned integer of a signal value: a LogicArray (vectors) or a single Logic (1-bit signals)."""
    return value.to_unsigned() if hasattr(value, "to_unsigned") else int(value)


def pack(values: Sequence[int], width: int) -> int:
    """Pack integers (signed or unsigned) into one word, element 0 in the low bits."""
    mask = (1 << width) - 1
    word = 0
    for i, v in enumerate(values):
        word |= (int(v) & mask) << (i * width)
    return word


def unpack(word: int, width: int, count: int, signed: bool = True) -> list[int]:
    """Inverse of :func:`pack`."""
    mask = (1 << width) - 1
    out = []
    for i in range(count):
        v = (word >> (i * width)) & mask
        if signed and v >> (width - 1):
            v -= 1 << width
        out.append(v)
    return out


class StreamSource:
    """Drives ``valid``/``data`` from a queue; idles with probability ``idle`` each cycle."""

    def __init__(self, clk, valid, ready, data, *, idle: float = 0.3, rng: random.Random | None = None,
                 extra: dict | None = None):
        self.clk, self.valid, self.ready, self.data = clk, valid, ready, data
        self.extra = extra or {}
        self.idle = idle
        self.rng = rng or random.Random(1)
        self.queue: list = []
        self.sent = 0
        self.valid.value = 0
        self._task = cocotb.start_soon(self._run())

    def send(self, items: Iterable) -> None:
        """Queue words (ints) or tuples ``(data, {signal: value})`` for side-band fields."""
        self.queue.extend(items)

    def clear(self) -> None:
        self.queue.clear()
        self.valid.value = 0

    async def _run(self) -> None:
        while True:
            if self.queue and self.rng.random() >= self.idle:
                item = self.queue[0]
                data, side = (item if isinstance(item, tuple) else (item, {}))
                self.data.value = data
                for name, v in side.items():
                    self.extra[name].value = v
                self.valid.value = 1
                await RisingEdge(self.clk)
                if self.ready.value == 1 and self.queue:
                    self.queue.pop(0)
                    self.sent += 1
                self.valid.value = 0
            else:
                self.valid.value = 0
                await RisingEdge(self.clk)

    async def wait_empty(self) -> None:
        while self.queue:
            await RisingEdge(self.clk)


class StreamSink:
    """Collects ``data`` (and side-band signals) of accepted beats; drops ready with probability ``stall``."""

    def __init__(self, clk, valid, ready, data, *, stall: float = 0.3, rng: random.Random | None = None,
                 extra: Sequence = ()):
        self.clk, self.valid, self.ready, self.data = clk, valid, ready, data
        self.extra = list(extra)
        self.stall = stall
        self.rng = rng or random.Random(2)
        self.items: list = []
        self.ready.value = 0
        self._task = cocotb.start_soon(self._run())

    async def _run(self) -> None:
        while True:
            self.ready.value = 0 if self.rng.random() < self.stall else 1
            await RisingEdge(self.clk)
            # values read right at the edge are the ones the DUT's flops sampled
            if self.valid.value == 1 and self.ready.value == 1:
                d = as_int(self.data.value)
                if self.extra:
                    self.items.append((d, *[as_int(s.value) for s in self.extra]))
                else:
                    self.items.append(d)

    async def wait_for(self, n: int, timeout_cycles: int = 1_000_000) -> None:
        for _ in range(timeout_cycles):
            if len(self.items) >= n:
                return
            await RisingEdge(self.clk)
        raise TimeoutError(f"sink got {len(self.items)} of {n} beats in {timeout_cycles} cycles")


class TransferMonitor:
    """Cycle numbers (rising edges since start) of every transfer on named valid/ready pairs.

    ``TransferMonitor(clk, {"in": (valid, ready), ...}).at["in"]`` lists the
    cycles at which ``in`` transferred; testbenches derive cycles per operation
    and read rates from it.
    """

    def __init__(self, clk, pairs: dict):
        self.clk, self.pairs = clk, pairs
        self.cycle = 0
        self.at: dict[str, list[int]] = {k: [] for k in pairs}
        cocotb.start_soon(self._run())

    async def _run(self) -> None:
        while True:
            await RisingEdge(self.clk)
            self.cycle += 1
            for k, (valid, ready) in self.pairs.items():
                if valid.value == 1 and ready.value == 1:
                    self.at[k].append(self.cycle)

    def clear(self) -> None:
        for v in self.at.values():
            v.clear()


async def reset_in_flight(dut, src: StreamSource, sink: StreamSink, after: int) -> None:
    """Assert ``rst_ni`` ``after`` cycles into a stream: drop the queued input, check that
    ``out_valid_o`` falls during reset, then release it with an empty sink."""
    await ClockCycles(dut.clk_i, after)
    src.clear()
    dut.rst_ni.value = 0
    await ClockCycles(dut.clk_i, 2)
    assert dut.out_valid_o.value == 0, "out_valid_o must drop during reset"
    dut.rst_ni.value = 1
    sink.items.clear()

