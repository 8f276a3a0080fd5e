"""cocotb testbench of the integrated top through its Vivado wrapper (hw/rtl/edgemoe_top_wrapper.v).

Registers through cocotbext-axi's AxiLiteMaster (``s_axi_ctrl``), DDR as an AxiRam on
``m_axi_gmem0`` with bursty random pauses on all five channels (AR, R, AW, W, B), so
every handshake sees latency and backpressure. Ports 1..3 must stay idle (checked every
cycle). Each implemented opcode runs as a small command list whose DDR result and
registers are compared bit for bit with the reference: the instruction-set model
``edgemoe.driver.iss`` when it is installed, else :class:`RefDevice` below (the same
rules written directly from docs/architecture.md). Every error path is driven by a real
fault: descriptors with bad opcodes/fields, SLVERR/DECERR from the memory on reads and
writes, a memory that stops answering (watchdog), ABORT mid-run, START while busy,
SOFT_RESET. Every wait is bounded and names what it waited for.
"""
from __future__ import annotations

import os
import random
import struct
from dataclasses import dataclass, field
from itertools import cycle
from pathlib import Path

import cocotb
import numpy as np
import pytest
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge

from edgemoe.driver import regmap as R
from edgemoe.sim.runner import BUILD, PKG, REPO, RTL, build_and_test, lint, record_vectors, write_summary

# ---- command set (docs/architecture.md "Command descriptors") --------------------------------------
END, LOAD, STORE, LAYERNORM, LINEAR, ATTENTION, MOE_GATE, EXPERTS, MARK, NOP = 0, 1, 2, 3, 4, 5, 6, 7, 8, 0x0F
X, N, Q, K, V, A, H, NONE = 0, 1, 2, 3, 4, 5, 6, 15
E_NONE, E_BAD_OPCODE, E_BAD_FIELD, E_AXI_READ, E_AXI_WRITE, E_TIMEOUT, E_BAD_IMAGE, E_ABORTED, E_START_BUSY = range(9)
TOKENS, COLS = 129, {X: 192, N: 192, Q: 192, K: 192, V: 192, A: 192, H: 768}
ACT_BITS = 26
ACT_MIN, ACT_MAX = -(1 << (ACT_BITS - 1)), (1 << (ACT_BITS - 1)) - 1

MEM_BASE = 0x1_0000_0000  # device addresses above 4 GB: the HI registers matter
MEM_SIZE = 1 << 20
CMD_OFF, IO_OFF = 0x0_0000, 0x1_0000  # command list, I/O region (4 KB aligned)


def desc(op: int, a: int = NONE, b: int = NONE, c: int = NONE, x: int = 0, w1: int = 0, w2: int = 0, w3: int = 0,
         tail: tuple[int, ...] = (0, 0, 0, 0)) -> bytes:
    """One 32-byte descriptor: word 0 = op | a << 8 | b << 12 | c << 16 | x << 20."""
    w0 = (op & 0xFF) | (a & 0xF) << 8 | (b & 0xF) << 12 | (c & 0xF) << 16 | (x & 0xFFF) << 20
    return struct.pack("<8I", w0, w1 & 0xFFFFFFFF, w2, w3, *tail)


def load(b: int, off: int, rows: int, cols: int, r0: int = 0, c0: int = 0, pix: bool = False) -> bytes:
    return desc(LOAD, b=b, x=int(pix), w1=off, w2=rows | cols << 16, w3=r0 | c0 << 16)


def store(a: int, off: int, rows: int, cols: int, r0: int = 0, c0: int = 0) -> bytes:
    return desc(STORE, a=a, w1=off, w2=rows | cols << 16, w3=r0 | c0 << 16)


def mark(value: int, irq: bool = False) -> bytes:
    return desc(MARK, x=int(irq), w1=value)


# ---- reference (the documented rules, until edgemoe.driver.iss lands) ------------------------------
@dataclass
class RefResult:
    done: bool
    error: int
    index: int
    cmd_index: int
    mark: int
    irq_mark: bool


@dataclass
class RefDevice:
    """LOAD/STORE/MARK/NOP/END of docs/architecture.md on a byte memory; buffers persist between runs."""

    mem: bytearray
    bufs: dict = field(default_factory=lambda: {b: np.zeros((TOKENS, c), np.int64) for b, c in COLS.items()})
    mark: int = 0

    def _check(self, w: tuple[int, ...], iobase: int) -> int:
        op, a, b, c, x = w[0] & 0xFF, w[0] >> 8 & 0xF, w[0] >> 12 & 0xF, w[0] >> 16 & 0xF, w[0] >> 20
        tail0 = not any(w[4:])
        if op in (END, NOP):
            return E_NONE if (a, b, c, x, w[1], w[2], w[3]) == (NONE, NONE, NONE, 0, 0, 0, 0) and tail0 else E_BAD_FIELD
        if op == MARK:
            return E_NONE if (a, b, c) == (NONE,) * 3 and x >> 1 == 0 and w[2] == w[3] == 0 and tail0 else E_BAD_FIELD
        if op in (LOAD, STORE):
            buf = b if op == LOAD else a
            other_ok = (a, c) == (NONE, NONE) if op == LOAD else (b, c) == (NONE, NONE)
            fmt_ok = x in (0, 1) if op == LOAD else x == 0
            rows, cols, r0, c0 = w[2] & 0xFFFF, w[2] >> 16, w[3] & 0xFFFF, w[3] >> 16
            pix = op == LOAD and x == 1
            ok = (other_ok and fmt_ok and tail0 and buf in COLS and buf != Q and rows > 0 and cols > 0
                  and r0 + rows <= TOKENS and c0 + cols <= COLS[buf] and iobase % 4096 == 0 and (pix or w[1] % 4 == 0))
            return E_NONE if ok else E_BAD_FIELD
        return E_BAD_OPCODE  # LAYERNORM .. EXPERTS are not integrated in the top yet

    def run(self, cmd_base: int, count: int, iobase: int) -> RefResult:
        irq_mark = False
        if cmd_base % 32:
            return RefResult(False, E_BAD_FIELD, 0, 0, self.mark, False)
        for i in range(count):
            a0 = cmd_base + 32 * i - MEM_BASE
            w = struct.unpack("<8I", self.mem[a0:a0 + 32])
            err = self._check(w, iobase)
            if err:
                return RefResult(False, err, i, i, self.mark, irq_mark)
            op = w[0] & 0xFF
            if op == END:
                return RefResult(True, E_NONE, 0, i, self.mark, irq_mark)
            if op == MARK:
                self.mark = w[1]
                irq_mark |= bool(w[0] >> 20 & 1)
            if op in (LOAD, STORE):
                rows, cols, r0, c0 = w[2] & 0xFFFF, w[2] >> 16, w[3] & 0xFFFF, w[3] >> 16
                addr = iobase + w[1] - MEM_BASE
                if op == LOAD:
                    if w[0] >> 20 & 1:
                        v = np.frombuffer(bytes(self.mem[addr:addr + rows * cols]), np.uint8).astype(np.int64) << 8
                    else:
                        v = np.clip(np.frombuffer(bytes(self.mem[addr:addr + 4 * rows * cols]), "<i4").astype(np.int64),
                                    ACT_MIN, ACT_MAX)
                    self.bufs[w[0] >> 12 & 0xF][r0:r0 + rows, c0:c0 + cols] = v.reshape(rows, cols)
                else:
                    v = np.clip(self.bufs[w[0] >> 8 & 0xF][r0:r0 + rows, c0:c0 + cols], ACT_MIN, ACT_MAX)
                    self.mem[addr:addr + 4 * rows * cols] = v.astype("<i4").tobytes()
        return RefResult(True, E_NONE, 0, count, self.mark, irq_mark)


# ---- testbench ------------------------------------------------------------------------------------------
def bursty(rng: random.Random, p_pause: float, max_run: int = 12):
    """Pause pattern: runs of free and stalled cycles (bursty backpressure / latency)."""
    while True:
        stall = rng.random() < p_pause
        for _ in range(rng.randint(1, max_run)):
            yield stall


class Faults:
    """Which DDR byte ranges answer SLVERR/DECERR (memory-side fault injection)."""

    def __init__(self):
        self.read: list[tuple[int, int, int]] = []   # (start, end, resp) in device addresses
        self.write: list[tuple[int, int, int]] = []

    @staticmethod
    def hit(ranges, addr: int, length: int) -> int:
        for lo, hi, resp in ranges:
            if addr < hi and addr + length > lo:
                return resp
        return 0


class TB:
    def __init__(self, dut, seed: int = 1, p_pause: float = 0.3):
        from cocotbext.axi import AxiBus, AxiLiteBus, AxiLiteMaster, AxiRam

        self.dut = dut
        self.rng = random.Random(seed)
        cocotb.start_soon(Clock(dut.ap_clk, 10, unit="ns").start())
        self.axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axi_ctrl"), dut.ap_clk, dut.ap_rst_n,
                                  reset_active_level=False)
        self.ram = AxiRam(AxiBus.from_prefix(dut, "m_axi_gmem0"), dut.ap_clk, dut.ap_rst_n, reset_active_level=False,
                          size=MEM_SIZE)
        self.faults = Faults()
        self.p_pause = p_pause
        self._install_faults()
        self.pauses(True)
        self.ref = RefDevice(bytearray(MEM_SIZE))
        self.irq_rises = 0
        cocotb.start_soon(self._idle_ports())
        cocotb.start_soon(self._irq_monitor())

    # every channel of port 0 gets its own bursty pause stream
    def channels(self):
        w, r = self.ram.write_if, self.ram.read_if
        return {"aw": w.aw_channel, "w": w.w_channel, "b": w.b_channel, "ar": r.ar_channel, "r": r.r_channel}

    def pauses(self, on: bool) -> None:
        for i, ch in enumerate(self.channels().values()):
            if on:
                ch.set_pause_generator(bursty(random.Random(self.rng.random() + i), self.p_pause))
            else:
                ch.clear_pause_generator()
                ch.pause = False

    def _install_faults(self) -> None:
        from cocotbext.axi.constants import AxiResp

        rd, wr = self.ram.read_if, self.ram.write_if
        orig_read, orig_write, orig_rsend, orig_bsend = rd._read, wr._write, rd.r_channel.send, wr.b_channel.send
        pending = {"r": [], "b": []}

        async def fault_read(address, length):
            resp = Faults.hit(self.faults.read, MEM_BASE + address % MEM_SIZE, length)
            pending["r"].append(resp)
            if resp:
                raise IOError("injected read fault")  # AxiSlaveRead answers SLVERR
            return await orig_read(address, length)

        async def rsend(r):
            resp = pending["r"].pop(0) if pending["r"] else 0
            if resp == 3:
                r.rresp = AxiResp.DECERR
            await orig_rsend(r)

        async def fault_write(address, data):
            resp = Faults.hit(self.faults.write, MEM_BASE + address % MEM_SIZE, len(data))
            if resp:
                pending["b"].append(resp)
                raise IOError("injected write fault")  # AxiSlaveWrite answers SLVERR
            return await orig_write(address, data)

        async def bsend(b):
            if int(b.bresp) != 0 and pending["b"]:
                if pending["b"][-1] == 3:
                    b.bresp = AxiResp.DECERR
                pending["b"].clear()
            await orig_bsend(b)

        rd._read, wr._write, rd.r_channel.send, wr.b_channel.send = fault_read, fault_write, rsend, bsend

    async def _idle_ports(self) -> None:
        """Ports 1..3 (weights, not integrated) issue nothing, ever."""
        names = [f"m_axi_gmem{p}_{s}" for p in (1, 2, 3) for s in ("arvalid", "awvalid", "wvalid")]
        sigs = [getattr(self.dut, n) for n in names]
        while True:
            await RisingEdge(self.dut.ap_clk)
            for n, s in zip(names, sigs):
                assert s.value == 0, f"{n} asserted: ports 1..3 must stay idle in this version of the top"

    async def _irq_monitor(self) -> None:
        prev = 0
        while True:
            await RisingEdge(self.dut.ap_clk)
            v = int(self.dut.interrupt.value)
            if v and not prev:
                self.irq_rises += 1
            prev = v

    async def reset(self) -> None:
        self.dut.ap_rst_n.value = 0
        await ClockCycles(self.dut.ap_clk, 5)
        self.dut.ap_rst_n.value = 1
        await ClockCycles(self.dut.ap_clk, 2)

    async def rd(self, off: int) -> int:
        return await self.axil.read_dword(off)

    async def wr(self, off: int, val: int) -> None:
        await self.axil.write_dword(off, val & 0xFFFFFFFF)

    # memory: the RTL's AxiRam and the reference's bytes stay equal before each run
    def poke(self, addr: int, data: bytes) -> None:
        self.ram.write(addr - MEM_BASE, data)
        self.ref.mem[addr - MEM_BASE:addr - MEM_BASE + len(data)] = data

    def peek(self, addr: int, n: int) -> bytes:
        return self.ram.read(addr - MEM_BASE, n)

    async def setup_run(self, cmds: list[bytes], count: int | None = None, cmd_addr: int = MEM_BASE + CMD_OFF,
                        iobase: int = MEM_BASE + IO_OFF, irq_enable: int = 0x7) -> None:
        self.poke(cmd_addr, b"".join(cmds))
        await self.wr(R.IRQ_STATUS, 0x7)  # each run's interrupt status starts clear
        for lo, hi, v in ((R.CMD_BASE_LO, R.CMD_BASE_HI, cmd_addr), (R.IOBASE_LO, R.IOBASE_HI, iobase)):
            await self.wr(lo, v & 0xFFFFFFFF)
            await self.wr(hi, v >> 32)
        await self.wr(R.CMD_COUNT, len(cmds) if count is None else count)
        await self.wr(R.IRQ_ENABLE, irq_enable)
        self._run = (cmd_addr, len(cmds) if count is None else count, iobase)

    async def start(self) -> None:
        await self.wr(R.CTRL, R.CTRL_START)

    async def wait_idle(self, max_cycles: int = 200_000, what: str = "the run") -> int:
        """Poll STATUS until BUSY falls; fail naming the stuck AXI channel after max_cycles."""
        for _ in range(max_cycles // 50):
            st = await self.rd(R.STATUS)
            if not st & R.STATUS_BUSY:
                return st
            await ClockCycles(self.dut.ap_clk, 50)
        d = self.dut
        chans = {s: int(getattr(d, f"m_axi_gmem0_{s}").value) for s in
                 ("arvalid", "arready", "rvalid", "rready", "awvalid", "awready", "wvalid", "wready", "bvalid", "bready")}
        raise AssertionError(f"{what}: STATUS.BUSY still set after {max_cycles} cycles; "
                             f"CMD_INDEX {await self.rd(R.CMD_INDEX)}, port-0 channels {chans}")

    async def run_and_compare(self, cmds: list[bytes], count: int | None = None, iobase: int = MEM_BASE + IO_OFF,
                              check: list[tuple[int, int]] = (), max_cycles: int = 400_000) -> tuple[RefResult, int]:
        """Run ``cmds`` on the RTL and the reference; compare registers and the DDR ranges ``check``.

        Returns the reference result and the number of bytes compared.
        """
        await self.setup_run(cmds, count, iobase=iobase)
        await self.start()
        st = await self.wait_idle(max_cycles)
        cmd_addr, cnt, io = self._run
        ref = self.ref.run(cmd_addr, cnt, io)
        err = await self.rd(R.ERROR)
        assert (err & 0xFF, err >> 8) == (ref.error, ref.index), \
            f"ERROR code/index {err & 0xFF}/{err >> 8}, reference {ref.error}/{ref.index}"
        assert bool(st & R.STATUS_DONE) == ref.done, f"STATUS {st:#x}, reference done={ref.done}"
        assert bool(st & R.STATUS_ERROR) == (ref.error != 0)
        assert await self.rd(R.CMD_INDEX) == ref.cmd_index
        assert await self.rd(R.MARK) == ref.mark
        irq = await self.rd(R.IRQ_STATUS)
        assert irq == (int(ref.done) * R.IRQ_DONE | int(ref.error != 0) * R.IRQ_ERROR | int(ref.irq_mark) * R.IRQ_MARK), \
            f"IRQ_STATUS {irq:#x}"
        n = 0
        for lo, size in check:
            got = np.frombuffer(self.peek(lo, size), np.uint8)
            exp = np.frombuffer(bytes(self.ref.mem[lo - MEM_BASE:lo - MEM_BASE + size]), np.uint8)
            bad = np.nonzero(got != exp)[0]
            assert bad.size == 0, (f"DDR {lo + bad[0]:#x}: {bad.size} of {size} bytes differ from the reference "
                                   f"(first got {got[bad[0]]:#x}, expected {exp[bad[0]]:#x})")
            n += size
        return ref, n

    async def clear(self) -> None:
        """SOFT_RESET and clear the interrupt status (between scenarios)."""
        await self.wr(R.CTRL, R.CTRL_SOFT_RESET)
        await self.wr(R.IRQ_STATUS, 0x7)
        self.ref.mark = 0  # SOFT_RESET clears MARK


def act_codes(rng: np.random.Generator, n: int) -> np.ndarray:
    """int32 act codes with out-of-range values mixed in (LOAD saturates them)."""
    v = rng.integers(ACT_MIN, ACT_MAX + 1, n, dtype=np.int64)
    edge = np.array([ACT_MIN, ACT_MAX, ACT_MIN - 1, ACT_MAX + 1, -(1 << 31), (1 << 31) - 1, 0, -1])
    v[rng.integers(0, n, min(n, 16))] = rng.choice(edge, min(n, 16))
    return v.astype("<i4")


def seed() -> int:
    return int(os.environ.get("SEED", "1"))


# ---- cocotb tests -------------------------------------------------------------------------------------
@cocotb.test()
async def test_registers(dut):
    """Reset values of every register (the generated table), RW readback, CTRL pulses read 0, IRQ_STATUS W1C."""
    tb = TB(dut, seed())
    await tb.reset()
    for name, reg in R.REGISTERS.items():
        v = await tb.rd(reg.offset)
        assert v == reg.reset, f"{name} reads {v:#x} after reset, expected {reg.reset:#x}"
    assert await tb.rd(R.HWCFG0) == R.HWCFG0_VALUE and await tb.rd(R.HWCFG1) == R.HWCFG1_VALUE
    n = len(R.REGISTERS)
    for name, reg in R.REGISTERS.items():
        if reg.access == "RW" and name != "CTRL":
            for pat in (0xA5A5_5A5A, 0x5A5A_A5A5):
                await tb.wr(reg.offset, pat)
                mask = sum(1 << i for i in range(32))
                if name == "IRQ_ENABLE":
                    mask = 0x7
                assert await tb.rd(reg.offset) == pat & mask, f"{name} readback"
                n += 1
            await tb.wr(reg.offset, reg.reset)
        elif reg.access == "RO":
            before = await tb.rd(reg.offset)
            await tb.wr(reg.offset, ~before)
            assert await tb.rd(reg.offset) == before, f"{name} is read-only"
    assert await tb.rd(R.CTRL) == 0
    assert await tb.rd(0x068) == 0 and await tb.rd(0x800) == 0, "offsets without a register read 0"
    assert int(dut.interrupt.value) == 0
    write_summary(vectors=n)


@cocotb.test()
async def test_load_store_mark(dut):
    """LOAD (int32 act and u8 pix) into X N K V A H, STORE back (saturated), MARK, NOP, END: DDR bit-exact."""
    tb = TB(dut, seed())
    await tb.reset()
    rng = np.random.default_rng(seed())
    io = MEM_BASE + IO_OFF
    # inputs: int32 act (with out-of-range codes), u8 pixels
    xin = act_codes(rng, TOKENS * 192)                  # a whole X (129 x 192, many 4 KB boundaries)
    small = act_codes(rng, 7 * 37)                      # a partial rectangle
    pix = rng.integers(0, 256, 5 * 40, dtype=np.uint8)  # pixels into H (odd sizes, unaligned offset)
    tb.poke(io, xin.tobytes())
    tb.poke(io + 0x20000, small.tobytes())
    tb.poke(io + 0x21003, pix.tobytes())
    out = io + 0x30000
    cmds = [
        desc(NOP),
        load(X, 0x0, TOKENS, 192),
        load(N, 0x20000, 7, 37, r0=120, c0=150),
        load(K, 0x20004, 3, 64, r0=0, c0=64),
        load(V, 0x20000, 1, 192),
        load(A, 0x20000, 9, 16, r0=5, c0=176),
        load(H, 0x21003, 5, 40, r0=124, c0=700, pix=True),
        mark(0x1234_5678, irq=True),
        store(X, 0x30000, TOKENS, 192),                 # the block-11 output region's shape
        store(N, 0x48400 + 4, 7, 37, r0=120, c0=150),   # unaligned to 16 B: partial first/last beats
        store(K, 0x49000, 3, 64, r0=0, c0=64),
        store(V, 0x4A000, 1, 192),
        store(A, 0x4B00C, 9, 16, r0=5, c0=176),
        store(H, 0x4C000, 5, 40, r0=124, c0=700),
        store(X, 0x4E000, 2, 3, r0=127, c0=189),
        mark(0xCAFE),
        desc(END),
        desc(0x03),                                     # after END: never fetched
    ]
    # the STOREs' destinations start as random bytes: every byte STORE leaves alone must stay
    tb.poke(out, rng.integers(0, 256, 0x20000, dtype=np.uint8).tobytes())
    ref, nbytes = await tb.run_and_compare(cmds, check=[(out, 0x20000), (io, 0x30000)])
    assert ref.done and ref.cmd_index == 16
    cyc = (await tb.rd(R.CYCLES_HI)) << 32 | await tb.rd(R.CYCLES_LO)
    rd64, wr64 = await tb.rd(R.DDR_RD), await tb.rd(R.DDR_WR)
    # bus beats of port 0: descriptors (2 beats each) + the LOADs' and STOREs' covering beats
    def beats(c: bytes) -> int:
        w = struct.unpack("<8I", c)
        n = (w[2] & 0xFFFF) * (w[2] >> 16) * (1 if w[0] >> 20 & 1 else 4)
        return (w[1] % 16 + n + 15) // 16
    rd_beats = 2 * 17 + sum(beats(c) for c in cmds if c[0] == LOAD)
    wr_beats = sum(beats(c) for c in cmds if c[0] == STORE)
    assert (rd64, wr64) == (rd_beats * 16 // 64, wr_beats * 16 // 64), f"DDR_RD/WR {rd64}/{wr64}"
    assert cyc > rd_beats
    assert int(dut.interrupt.value) == 1, "IRQ line low with IRQ_STATUS & IRQ_ENABLE != 0"
    assert tb.irq_rises == 1
    await tb.wr(R.IRQ_STATUS, R.IRQ_DONE)
    assert await tb.rd(R.IRQ_STATUS) == R.IRQ_MARK and int(dut.interrupt.value) == 1
    await tb.wr(R.IRQ_ENABLE, R.IRQ_DONE | R.IRQ_ERROR)
    await ClockCycles(dut.ap_clk, 2)
    assert int(dut.interrupt.value) == 0, "masked MARK must not hold the line"
    await tb.wr(R.IRQ_STATUS, R.IRQ_MARK)
    assert await tb.rd(R.IRQ_STATUS) == 0
    elems = TOKENS * 192 + 7 * 37 + 3 * 64 + 192 + 9 * 16 + 5 * 40 + 6
    dut._log.info("load/store: %d bytes of DDR equal the reference; %d cycles, DDR_RD %d, DDR_WR %d (x64 B)",
                  nbytes, cyc, rd64, wr64)
    write_summary(vectors=nbytes, cycles={"load_store": cyc, "elements": elems}, ddr={"rd64": rd64, "wr64": wr64})


@cocotb.test()
async def test_count_end_and_soft_reset(dut):
    """A run ends after CMD_COUNT without END; CMD_COUNT 0; SOFT_RESET clears state, counters, errors, IRQs."""
    tb = TB(dut, seed() + 1)
    await tb.reset()
    ref, _ = await tb.run_and_compare([desc(NOP), mark(7), desc(NOP)])
    assert ref.done and ref.cmd_index == 3
    ref, _ = await tb.run_and_compare([desc(NOP)], count=0)
    assert ref.done and ref.cmd_index == 0
    await tb.run_and_compare([mark(9, irq=True), desc(0x04)])  # LINEAR: not integrated -> BAD_OPCODE at 1
    assert await tb.rd(R.ERROR) == E_BAD_OPCODE | 1 << 8
    assert await tb.rd(R.CYCLES_LO) > 0 and await tb.rd(R.DDR_RD) > 0 and await tb.rd(R.MARK) == 9
    await tb.wr(R.CTRL, R.CTRL_SOFT_RESET)
    for name in ("STATUS", "ERROR", "CMD_INDEX", "CYCLES_LO", "CYCLES_HI", "DDR_RD", "DDR_WR", "MARK", "IRQ_STATUS"):
        assert await tb.rd(getattr(R, name)) == 0, f"{name} not cleared by SOFT_RESET"
    assert int(dut.interrupt.value) == 0
    tb.ref.mark = 0
    ref, _ = await tb.run_and_compare([desc(END)])
    assert ref.done
    write_summary(vectors=4)


@cocotb.test()
async def test_bad_opcode_and_fields(dut):
    """Every compute opcode and unknown opcodes give BAD_OPCODE; malformed fields give BAD_FIELD; at their index."""
    tb = TB(dut, seed() + 2)
    await tb.reset()
    cases = [desc(op) for op in (LAYERNORM, LINEAR, ATTENTION, MOE_GATE, EXPERTS, 0x09, 0x0E, 0x10, 0xFF)]
    cases += [
        load(Q, 0, 1, 1),                       # Q: no LOAD/STORE
        load(X, 0, 0, 4),                       # zero rows
        load(X, 0, 4, 0),                       # zero columns
        load(X, 0, 1, 193),                     # past the row
        load(H, 0, 2, 8, r0=128),               # past the last token
        load(H, 0, 1, 8, c0=761),
        load(X, 2, 1, 4),                       # int32 at an unaligned offset
        desc(LOAD, b=X, x=2, w2=1 | 1 << 16),   # unknown format
        desc(LOAD, a=X, b=X, w2=1 | 1 << 16),   # a source buffer on LOAD
        desc(LOAD, b=7, w2=1 | 1 << 16),        # no buffer 7
        desc(LOAD, b=NONE, w2=1 | 1 << 16),
        store(N, 0, 1, 1, c0=192),
        desc(STORE, a=N, b=X, w2=1 | 1 << 16),  # a destination on STORE
        desc(STORE, a=N, x=1, w2=1 | 1 << 16),  # a format on STORE
        desc(END, w1=1), desc(NOP, a=X), desc(NOP, tail=(0, 0, 0, 1)), desc(END, x=1),
        desc(MARK, x=2), desc(MARK, w2=1), desc(MARK, c=0),
        store(X, 0, 1, 1, 0, 0)[:16] + struct.pack("<4I", 1, 0, 0, 0),  # word 4 non-zero
    ]
    n = 0
    for i, bad in enumerate(cases):
        # a good prefix, then the bad descriptor at index 2, then END (never reached)
        cmds = [desc(NOP), load(V, 0, 1, 4, r0=i % 100), bad, desc(END)]
        ref, _ = await tb.run_and_compare(cmds)
        assert ref.error in (E_BAD_OPCODE, E_BAD_FIELD) and ref.index == 2, f"case {i}: reference says {ref}"
        assert int(dut.interrupt.value) == 1
        await tb.clear()
        n += 1
    # IOBASE not 4 KB aligned, CMD_BASE not 32-byte aligned
    ref, _ = await tb.run_and_compare([desc(NOP), load(X, 0, 1, 1)], iobase=MEM_BASE + IO_OFF + 0x800)
    assert ref.error == E_BAD_FIELD and ref.index == 1
    await tb.clear()
    await tb.setup_run([desc(END)], cmd_addr=MEM_BASE + 0x10)
    await tb.start()
    await tb.wait_idle(2000)
    assert await tb.rd(R.ERROR) == E_BAD_FIELD
    await tb.clear()
    write_summary(vectors=n + 2)


async def _fault_run(tb: TB, what: str, io_fault: bool, code: int, resp: int) -> None:
    io = MEM_BASE + IO_OFF
    cmds = [desc(NOP), load(X, 0x100, 8, 192), store(X, 0x8000, 8, 192), desc(END)]
    tb.faults.read.clear()
    tb.faults.write.clear()
    if what == "fetch":
        tb.faults.read.append((MEM_BASE + CMD_OFF + 32, MEM_BASE + CMD_OFF + 64, resp))  # descriptor 1
        index = 1
    elif what == "read":
        tb.faults.read.append((io + 0x100 + 3000, io + 0x100 + 3001, resp))  # inside LOAD's data
        index = 1
    else:
        tb.faults.write.append((io + 0x8000 + 5000, io + 0x8000 + 5001, resp))  # inside STORE's data
        index = 2
    await tb.setup_run(cmds)
    await tb.start()
    st = await tb.wait_idle(100_000, f"{what} fault")
    err = await tb.rd(R.ERROR)
    assert err == code | index << 8, f"{what} resp {resp}: ERROR {err:#x}, expected code {code} index {index}"
    assert st & R.STATUS_ERROR and not st & R.STATUS_DONE and not st & R.STATUS_DRAIN
    assert int(tb.dut.interrupt.value) == 1
    tb.faults.read.clear()
    tb.faults.write.clear()
    await tb.clear()


@cocotb.test()
async def test_axi_errors(dut):
    """SLVERR and DECERR on descriptor fetch, on LOAD data and on STORE responses; then a clean run."""
    tb = TB(dut, seed() + 3)
    await tb.reset()
    n = 0
    for resp in (2, 3):
        await _fault_run(tb, "fetch", False, E_AXI_READ, resp)
        await _fault_run(tb, "read", True, E_AXI_READ, resp)
        await _fault_run(tb, "write", True, E_AXI_WRITE, resp)
        n += 3
    rng = np.random.default_rng(3)
    tb.poke(MEM_BASE + IO_OFF, act_codes(rng, 64).tobytes())
    ref, nb = await tb.run_and_compare([load(K, 0, 1, 64), store(K, 0x9000, 1, 64), desc(END)],
                                       check=[(MEM_BASE + IO_OFF + 0x9000, 256)])
    assert ref.done
    write_summary(vectors=n + nb)


@cocotb.test()
async def test_timeout_abort_start_busy(dut):
    """A memory that stops answering (watchdog: idle, DRAIN, recoverable); ABORT mid-run; START while busy."""
    tb = TB(dut, seed() + 4)
    await tb.reset()
    io = MEM_BASE + IO_OFF
    rng = np.random.default_rng(4)
    tb.poke(io, np.frombuffer(rng.bytes(TOKENS * 768), np.uint8).tobytes())
    big = [load(H, 0, TOKENS, 768, pix=True), store(H, 0x20000, 16, 768), desc(END)]

    # --- the memory stops answering during the LOAD: TIMEOUT at index 0, the top idle
    await tb.wr(R.TIMEOUT, 8000)  # the LOAD below needs about 3.3k cycles when the memory answers
    await tb.setup_run([load(H, 0, 4, 768, pix=True), desc(END)])
    await tb.start()
    await ClockCycles(dut.ap_clk, 400)
    r = tb.ram.read_if.r_channel
    r.clear_pause_generator()
    r.pause = True
    st = await tb.wait_idle(20_000, "watchdog")
    assert await tb.rd(R.ERROR) == E_TIMEOUT, f"ERROR {await tb.rd(R.ERROR):#x}"
    assert st & R.STATUS_DRAIN and st & R.STATUS_ERROR, f"STATUS {st:#x}: the stopped bursts are still in flight"
    assert int(dut.interrupt.value) == 1
    await tb.start()                                # refused while draining
    await ClockCycles(dut.ap_clk, 20)
    assert not await tb.rd(R.STATUS) & R.STATUS_BUSY
    r.pause = False                                 # the memory answers again: the drain completes
    r.set_pause_generator(bursty(random.Random(9), tb.p_pause))
    for _ in range(400):
        if not await tb.rd(R.STATUS) & R.STATUS_DRAIN:
            break
        await ClockCycles(dut.ap_clk, 50)
    else:
        raise AssertionError("DRAIN did not fall after the memory answered again (R channel)")
    await tb.clear()
    await tb.wr(R.TIMEOUT, R.TIMEOUT_RESET)
    ref, nb = await tb.run_and_compare([load(H, 0, 4, 768, pix=True), store(H, 0x20000, 4, 768), desc(END)],
                                       check=[(io + 0x20000, 4 * 768 * 4)])
    assert ref.done, "the top recovers after the timeout"
    await tb.clear()

    # --- ABORT in the middle of a long LOAD: ABORTED at index 0 once drained
    await tb.setup_run(big)
    await tb.start()
    await ClockCycles(dut.ap_clk, 3000)
    assert await tb.rd(R.STATUS) & R.STATUS_BUSY
    await tb.wr(R.CTRL, R.CTRL_ABORT)
    st = await tb.wait_idle(50_000, "abort")
    assert await tb.rd(R.ERROR) == E_ABORTED, f"ERROR {await tb.rd(R.ERROR):#x}"
    assert not st & R.STATUS_DRAIN and not st & R.STATUS_DONE
    await ClockCycles(dut.ap_clk, 10)
    for s in ("arvalid", "rvalid", "awvalid", "wvalid", "bvalid"):
        assert int(getattr(dut, f"m_axi_gmem0_{s}").value) == 0, f"{s} after the drain"
    await tb.clear()

    # --- ABORT during a STORE (write bursts in flight are completed with WSTRB 0)
    await tb.setup_run([store(H, 0x20000, TOKENS, 768), desc(END)])
    await tb.start()
    await ClockCycles(dut.ap_clk, 2000)
    await tb.wr(R.CTRL, R.CTRL_ABORT)
    await tb.wait_idle(50_000, "abort during STORE")
    assert await tb.rd(R.ERROR) == E_ABORTED | 0 << 8
    await tb.clear()

    # --- START while busy: ignored and flagged START_BUSY; the run still completes
    await tb.setup_run([load(H, 0, 6, 768, pix=True), desc(NOP), desc(END)])
    await tb.start()
    await ClockCycles(dut.ap_clk, 500)
    await tb.start()
    st = await tb.wait_idle(100_000, "start busy")
    err = await tb.rd(R.ERROR)
    assert err & 0xFF == E_START_BUSY and st & R.STATUS_DONE, f"ERROR {err:#x}, STATUS {st:#x}"
    assert await tb.rd(R.IRQ_STATUS) == R.IRQ_DONE | R.IRQ_ERROR
    await tb.clear()
    # SOFT_RESET while busy is ignored
    await tb.setup_run([load(H, 0, 6, 768, pix=True), desc(END)])
    await tb.start()
    await ClockCycles(dut.ap_clk, 300)
    await tb.wr(R.CTRL, R.CTRL_SOFT_RESET)
    st = await tb.wait_idle(100_000, "soft reset while busy")
    assert st & R.STATUS_DONE and await tb.rd(R.ERROR) == 0
    write_summary(vectors=nb + 4)


# ---- pytest side ----------------------------------------------------------------------------------------
TOP_SOURCES = ["edgemoe_actbuf", "edgemoe_axi_rd", "edgemoe_axi_wr", "edgemoe_seq", "edgemoe_top"]


def top_sources() -> list[Path]:
    gen = RTL / "gen"
    return ([PKG, gen / "edgemoe_regs_pkg.sv", gen / "edgemoe_regs.sv"] + [RTL / f"{m}.sv" for m in TOP_SOURCES]
            + [RTL / "edgemoe_top_wrapper.v"])


def test_edgemoe_top_lint() -> None:
    """Verilator -Wall of the SystemVerilog top and of the Verilog wrapper."""
    src = top_sources()
    lint("edgemoe_top", src[:-1])
    lint("edgemoe_top_wrapper", src)


def test_edgemoe_top(record_property) -> None:
    src = top_sources()
    build = BUILD / "edgemoe_top_wrapper"
    s = build_and_test(src, "edgemoe_top_wrapper", "edgemoe.sim.tb.test_edgemoe_top", build, build / "run_all",
                       extra_env={"SEED": "1"})
    record_vectors(record_property, "edgemoe_top", s["vectors"], cycles=s.get("cycles", {}).get("load_store"))
