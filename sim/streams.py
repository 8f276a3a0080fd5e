"""Valid/ready stream drivers for the cocotb testbenches: idle cycles, backpressure, bounded waits.

Every kernel's streams follow one convention: ``<name>_valid_i/_o``, ``<name>_ready_o/_i``,
``<name>_data_i/_o``; a transfer happens on a rising clock edge where valid and
ready are both 1. Multi-lane data packs lane ``l`` in bits ``[l*W +: W]``.
:func:`pack` / :func:`unpack` convert between Python ints (two's complement for
signed fields) and such words.

Traffic. A source offers a beat (a sink raises ready) on the cycles its :class:`Traffic`
gate is open; the gate is closed a fraction ``idle`` (``stall``) of the cycles, in one of
three kinds chosen per test run by ``EDGEMOE_TRAFFIC`` (the runner sets it, default
``mixed``):

* ``random``: each cycle closed independently with probability ``idle``;
* ``bursty``: a two-state Markov on/off chain with the same long-run closed fraction and
  long runs (the shorter of the two states has mean length ``EDGEMOE_BURST``, default 48
  cycles), which fills internal FIFOs and exhausts credits;
* ``mixed``: alternates bursty and random segments of 300..900 cycles, bursty first, so
  every run with idle or backpressure sees both.

Every bursty segment opens with one closed run of ``2 * EDGEMOE_BURST`` cycles, so even a
short test sees a stall long enough to fill a FIFO (sink) or drain one (source).

A rate of 0 keeps the gate open every cycle (the exact cycle checks). Seeds: every
driver's generator is the testbench's one, re-seeded from ``EDGEMOE_SEED`` when that is
set and not 0 (see :func:`base_seed`), so the default is fixed and reproducible.

Bounded waits. No helper waits forever: :meth:`StreamSink.wait_for`,
:meth:`StreamSource.wait_empty` and :func:`wait_until` fail with :class:`StreamStalled`
naming the stream that stopped once ``stall_limit`` cycles (``EDGEMOE_STALL_CYCLES``,
default 20000, about a second of simulation) pass without one of its beats.
"""
from __future__ import annotations

import os
import random
from typing import Callable, Iterable, Sequence

import cocotb
from cocotb.triggers import ClockCycles, RisingEdge

TRAFFIC_KINDS = ("random", "bursty", "mixed")


class StreamStalled(AssertionError):
    """A stream made no progress within the stall limit (a deadlock or a lost beat)."""


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


def base_seed() -> int:
    """``EDGEMOE_SEED`` as an int (0 when unset: the fixed default seeds of every testbench)."""
    return int(os.environ.get("EDGEMOE_SEED", "0") or 0)


def traffic_kind() -> str:
    """``EDGEMOE_TRAFFIC``: random, bursty or mixed (default)."""
    kind = os.environ.get("EDGEMOE_TRAFFIC", "mixed")
    if kind not in TRAFFIC_KINDS:
        raise ValueError(f"EDGEMOE_TRAFFIC={kind!r}: expected one of {', '.join(TRAFFIC_KINDS)}")
    return kind


def stall_limit() -> int:
    """Cycles without progress after which a wait fails (``EDGEMOE_STALL_CYCLES``, default 20000)."""
    return int(os.environ.get("EDGEMOE_STALL_CYCLES", "20000"))


def _reseed(rng: random.Random) -> random.Random:
    """The testbench's generator, or one derived from it and ``EDGEMOE_SEED`` when that is set."""
    b = base_seed()
    return random.Random(f"{b}:{rng.getrandbits(64)}") if b else rng


def _name(sig, suffixes=("_valid_i", "_valid_o")) -> str:
    n = getattr(sig, "_name", str(sig))
    for s in suffixes:
        if n.endswith(s):
            return n[: -len(s)]
    return n


class Traffic:
    """Open/closed gate per cycle with closed fraction ``rate`` (see the module docstring)."""

    def __init__(self, rate: float, rng: random.Random, kind: str | None = None, burst: int | None = None):
        self.rate, self.rng = rate, rng
        self.kind = kind or traffic_kind()
        self.burst = burst or int(os.environ.get("EDGEMOE_BURST", "48"))
        self.open = True
        self._bursty = self.kind != "random"
        self._left = self.rng.randint(300, 900)    # cycles left in this segment (mixed)
        self._force = 2 * self.burst if self._bursty else 0   # forced closed cycles
        self.cycles = {"random": 0, "bursty": 0}   # cycles spent in each kind (closed-rate > 0 only)
        self.longest_closed = 0
        self._run = 0

    def step(self) -> bool:
        """Advance one cycle; True when the gate is open in it."""
        p = self.rate
        if p <= 0.0:
            return True
        if p >= 1.0:
            return False
        if self.kind == "mixed":
            self._left -= 1
            if self._left <= 0:
                self._bursty = not self._bursty
                self._left = self.rng.randint(300, 900)
                self._force = 2 * self.burst if self._bursty else 0
        if self._force > 0:
            self._force -= 1
            self.open = False
            self.cycles["bursty"] += 1
        elif self._bursty:
            # mean run lengths: closed runs Lc, open runs Lo with Lc / (Lc + Lo) = p
            lc, lo = (self.burst, self.burst * (1 - p) / p) if p <= 0.5 else (self.burst * p / (1 - p), self.burst)
            leave = 1.0 / (lo if self.open else lc)
            if self.rng.random() < leave:
                self.open = not self.open
            self.cycles["bursty"] += 1
        else:
            self.open = self.rng.random() >= p
            self.cycles["random"] += 1
        self._run = 0 if self.open else self._run + 1
        self.longest_closed = max(self.longest_closed, self._run)
        return self.open


class StreamSource:
    """Drives ``valid``/``data`` from a queue; leaves a fraction ``idle`` of the cycles idle (see :class:`Traffic`)."""

    def __init__(self, clk, valid, ready, data, *, idle: float = 0.3, rng: random.Random | None = None,
                 extra: dict | None = None, name: str | None = None, traffic: str | None = None):
        self.clk, self.valid, self.ready, self.data = clk, valid, ready, data
        self.name = name or _name(valid)
        self.extra = extra or {}
        self.rng = _reseed(rng or random.Random(1))
        self.gate = Traffic(idle, self.rng, traffic)
        self.queue: list = []
        self.sent = 0
        self.valid.value = 0
        self._task = cocotb.start_soon(self._run())

    @property
    def idle(self) -> float:
        return self.gate.rate

    @idle.setter
    def idle(self, value: float) -> None:
        self.gate.rate = value

    def send(self, items: Iterable) -> None:
        """Queue words (ints) or tuples ``(data, {signal: value})`` for side-band fields."""
        self.queue.extend(items)

    def clear(self) -> None:
        self.queue.clear()
        self.valid.value = 0

    async def _run(self) -> None:
        while True:
            if self.gate.step() and self.queue:
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

    async def wait_empty(self, limit: int | None = None) -> None:
        """Until every queued beat has been taken; fails when none is taken for ``limit`` cycles."""
        limit = limit or stall_limit()
        idle, sent = 0, self.sent
        while self.queue:
            await RisingEdge(self.clk)
            if self.sent != sent:
                idle, sent = 0, self.sent
            else:
                idle += 1
                if idle >= limit:
                    raise StreamStalled(f"stream '{self.name}' stopped: {len(self.queue)} beats still queued, "
                                        f"none taken in {limit} cycles ({self.sent} taken){seed_hint()}")

    async def wait_sent(self, n: int, limit: int | None = None) -> None:
        """Until ``sent`` reaches ``n``; fails when no beat is taken for ``limit`` cycles."""
        await wait_until(self.clk, lambda: self.sent >= n, f"stream '{self.name}' to take beat {n}",
                         progress=lambda: self.sent, limit=limit)


class StreamSink:
    """Collects ``data`` (and side-band signals) of accepted beats; holds ready low a fraction ``stall``
    of the cycles (see :class:`Traffic`)."""

    def __init__(self, clk, valid, ready, data, *, stall: float = 0.3, rng: random.Random | None = None,
                 extra: Sequence = (), name: str | None = None, traffic: str | None = None):
        self.clk, self.valid, self.ready, self.data = clk, valid, ready, data
        self.name = name or _name(valid)
        self.extra = list(extra)
        self.rng = _reseed(rng or random.Random(2))
        self.gate = Traffic(stall, self.rng, traffic)
        self.items: list = []
        self.total = 0        # beats ever accepted (items may be cleared by the testbench)
        self.ready.value = 0
        self._task = cocotb.start_soon(self._run())

    @property
    def stall(self) -> float:
        return self.gate.rate

    @stall.setter
    def stall(self, value: float) -> None:
        self.gate.rate = value

    async def _run(self) -> None:
        while True:
            self.ready.value = int(self.gate.step())
            await RisingEdge(self.clk)
            # values read right at the edge are the ones the DUT's flops sampled
            if self.valid.value == 1 and self.ready.value == 1:
                d = as_int(self.data.value)
                self.total += 1
                if self.extra:
                    self.items.append((d, *[as_int(s.value) for s in self.extra]))
                else:
                    self.items.append(d)

    async def wait_for(self, n: int, timeout_cycles: int | None = None) -> None:
        """Until ``n`` beats are in ``items``; fails, naming this stream, when no beat arrives for
        :func:`stall_limit` cycles or (when given) after ``timeout_cycles`` cycles in all."""
        limit = stall_limit()
        idle, have, spent = 0, self.total, 0
        while len(self.items) < n:
            await RisingEdge(self.clk)
            spent += 1
            if self.total != have:
                idle, have = 0, self.total
            else:
                idle += 1
                if idle >= limit:
                    raise StreamStalled(f"stream '{self.name}' stopped: {len(self.items)} of {n} beats, "
                                        f"none in the last {limit} cycles{seed_hint()}")
            if timeout_cycles and spent >= timeout_cycles:
                raise StreamStalled(f"stream '{self.name}': {len(self.items)} of {n} beats in {spent} cycles"
                                    f"{seed_hint()}")

    async def wait_exact(self, n: int, settle: int = 64, timeout_cycles: int | None = None) -> None:
        """:meth:`wait_for` ``n`` beats, then ``settle`` more cycles with ready as usual: fails on any extra beat."""
        await self.wait_for(n, timeout_cycles)
        saved = self.stall
        self.stall = 0.0
        await ClockCycles(self.clk, settle)
        self.stall = saved
        assert len(self.items) == n, (f"stream '{self.name}': {len(self.items)} beats, expected exactly {n} "
                                      f"({len(self.items) - n} extra){seed_hint()}")

    async def expect_quiet(self, cycles: int, what: str = "") -> None:
        """``cycles`` cycles with ready high in which no beat may arrive."""
        n0 = self.total
        saved = self.stall
        self.stall = 0.0
        await ClockCycles(self.clk, cycles)
        self.stall = saved
        assert self.total == n0, f"stream '{self.name}': {self.total - n0} unexpected beats {what}{seed_hint()}"


def seed_hint() -> str:
    """Text appended to every failure: the seed and traffic kind that reproduce it."""
    return f" [reproduce: EDGEMOE_SEED={base_seed()} EDGEMOE_TRAFFIC={os.environ.get('EDGEMOE_TRAFFIC', 'mixed')}]"


async def wait_until(clk, cond: Callable[[], bool], what: str, *, progress: Callable[[], object] | None = None,
                     limit: int | None = None) -> None:
    """Until ``cond()`` holds; fails after ``limit`` cycles (default :func:`stall_limit`) without it,
    or without a change of ``progress()`` when given. ``what`` names what was awaited."""
    limit = limit or stall_limit()
    idle = 0
    mark = progress() if progress else None
    while not cond():
        await RisingEdge(clk)
        now = progress() if progress else None
        if progress and now != mark:
            idle, mark = 0, now
        else:
            idle += 1
            if idle >= limit:
                raise StreamStalled(f"waited {limit} cycles for {what}{seed_hint()}")


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


async def reset_in_flight(dut, src: StreamSource | Sequence[StreamSource], sink: StreamSink, after: int,
                          quiet: int = 64) -> None:
    """Assert ``rst_ni`` ``after`` cycles into a stream: drop the queued input, check that
    ``out_valid_o`` falls during reset, release it, and check that not one beat comes out in
    the ``quiet`` cycles after (ready high); ``sink.items`` is empty on return."""
    await ClockCycles(dut.clk_i, after)
    for s in (src if isinstance(src, (list, tuple)) else [src]):
        s.clear()
    dut.rst_ni.value = 0
    await ClockCycles(dut.clk_i, 2)
    # a synchronous reset may still let the beat of the first reset edge out: that one belongs
    # to the stream before the reset; from here on, nothing may come
    assert dut.out_valid_o.value == 0, "out_valid_o must drop during reset"
    sink.items.clear()
    n0 = sink.total
    dut.rst_ni.value = 1
    await sink.expect_quiet(quiet, "after a mid-stream reset")
    assert sink.total == n0 and not sink.items, f"stream '{sink.name}': a beat came out after the reset"
