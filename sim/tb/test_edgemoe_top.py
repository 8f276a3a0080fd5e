"""cocotb testbench of the integrated top through its Vivado wrapper (hw/rtl/edgemoe_top_wrapper.v).

Registers through cocotbext-axi's AxiLiteMaster (``s_axi_ctrl``), DDR as an AxiRam on
``m_axi_gmem0`` with bursty random pauses on all five channels (AR, R, AW, W, B), so
every handshake sees latency and backpressure. Ports 1..3 must stay idle (checked every
cycle). Each implemented opcode runs as a small command list whose DDR result and
registers are compared bit for bit with the instruction-set model ``edgemoe.driver.iss``
(fed the same memory and register writes; the whole DDR and every register but the
timing counters must agree after each run). Every error path is driven by a real
fault: descriptors with bad opcodes/fields, SLVERR/DECERR from the memory on reads and
writes, a memory that stops answering (watchdog), ABORT mid-run, START while busy,
SOFT_RESET. Every wait is bounded and names what it waited for.
"""
from __future__ import annotations

import os
import random
from pathlib import Path

import cocotb
import numpy as np
import pytest
from cocotb.triggers import ClockCycles, First

from edgemoe.driver import regmap as R
from edgemoe.sim.runner import BUILD, PKG, RTL, build_and_test, lint, record_vectors, write_summary
from edgemoe.sim.top_ctrl import TopCtrl

# ---- command set and reference: edgemoe.driver.isa / edgemoe.driver.iss --------------------------------
from edgemoe.driver import isa
from edgemoe.driver.isa import Buf, Descriptor, Err, Op
from edgemoe.driver.iss import Iss

X, N, Q, K, V, A, H = Buf.X, Buf.N, Buf.Q, Buf.K, Buf.V, Buf.A, Buf.H
TOKENS, COLS = isa.TOKENS, isa.BUF_COLS
ACT_BITS = 26
ACT_MIN, ACT_MAX = -(1 << (ACT_BITS - 1)), (1 << (ACT_BITS - 1)) - 1

MEM_BASE = 0x1_0000_0000  # device addresses above 4 GB: the HI registers matter
MEM_SIZE = 4 << 20
CMD_OFF = 0x0_0000        # command lists
IO_SPAN = 0x31000         # one I/O region (isa.IO_BYTES, 4 KB aligned)
IO0 = MEM_BASE + 0x1_0000  # I/O regions: IO0 + k * IO_SPAN
COMPARED_REGS = [n for n in R.REGISTERS if n not in
                 ("CYCLES_LO", "CYCLES_HI", "DDR_RD", "DDR_WR", "LIN_BUSY", "WSTALL", "ATTN_BUSY")]
"""Registers compared with the ISS after every run (the timing counters are the perf model's there)."""


def raw(op: int, a: int = 0, b: int = 0, c: int = 0, spec: int = 0, *words: int) -> Descriptor:
    """A descriptor with arbitrary fields (malformed ones included)."""
    return Descriptor(op, a, b, c, spec, tuple(words) + (0,) * (7 - len(words)))


EN_COMPUTE = os.environ.get("EDGEMOE_EN_COMPUTE", "0") == "1"
"""The top under test has its executors (the wrapper's EN_COMPUTE; set by the pytest side below)."""


def io(k: int) -> int:
    return IO0 + k * IO_SPAN


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


class TB(TopCtrl):
    def __init__(self, dut, seed: int = 1, p_pause: float = 0.25):
        from cocotbext.axi import AxiBus, AxiRam

        super().__init__(dut, timeout_us=20)
        self.rng = random.Random(seed)
        self.ram = AxiRam(AxiBus.from_prefix(dut, "m_axi_gmem0"), dut.ap_clk, dut.ap_rst_n, reset_active_level=False,
                          size=MEM_SIZE)
        self.faults = Faults()
        self.p_pause = p_pause
        self._install_faults()
        self.pauses(True)
        self.iss = Iss(mem_size=MEM_SIZE, mem_base=MEM_BASE)  # the reference, fed the same memory and writes
        self.irq_rises = 0
        self.compared = 0  # bytes of DDR and registers compared with the ISS
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
        for n, s in zip(names, sigs):
            assert s.value == 0, f"{n} asserted: ports 1..3 must stay idle in this version of the top"
        # woken only when one of them changes (no per-cycle cost)
        await First(*(s.value_change for s in sigs))
        bad = [n for n, s in zip(names, sigs) if s.value != 0]
        raise AssertionError(f"{bad} asserted: ports 1..3 must stay idle in this version of the top")

    async def _irq_monitor(self) -> None:
        while True:
            await self.dut.interrupt.value_change
            if int(self.dut.interrupt.value):
                self.irq_rises += 1

    async def wr(self, off: int, val: int, mirror: bool = True) -> None:
        """Write a register of the RTL and (mirror) the same register of the ISS."""
        await super().wr(off, val)
        if mirror:
            self.iss.write32(off, val & 0xFFFFFFFF)

    # memory: the RTL's AxiRam and the ISS's bytes stay equal before each run
    def poke(self, addr: int, data: bytes) -> None:
        self.ram.write(addr - MEM_BASE, data)
        self.iss.mem[addr - MEM_BASE:addr - MEM_BASE + len(data)] = np.frombuffer(data, np.uint8)

    def peek(self, addr: int, n: int) -> bytes:
        return self.ram.read(addr - MEM_BASE, n)

    async def setup_run(self, cmds: list[Descriptor], count: int | None = None, cmd_addr: int = MEM_BASE + CMD_OFF,
                        iobase: int = IO0, wbase: int = MEM_BASE, irq_enable: int = 0x7) -> None:
        self.poke(cmd_addr, isa.encode(cmds))
        await self.wr(R.IRQ_STATUS, 0x7)  # each run's interrupt status starts clear
        for lo, hi, v in ((R.CMD_BASE_LO, R.CMD_BASE_HI, cmd_addr), (R.IOBASE_LO, R.IOBASE_HI, iobase),
                          (R.WBASE_LO, R.WBASE_HI, wbase)):
            await self.wr(lo, v & 0xFFFFFFFF)
            await self.wr(hi, v >> 32)
        await self.wr(R.CMD_COUNT, len(cmds) if count is None else count)
        await self.wr(R.IRQ_ENABLE, irq_enable)

    async def start(self) -> None:
        """CTRL.START on the RTL only (the ISS runs in :meth:`run_and_compare`)."""
        await self.wr(R.CTRL, R.CTRL_START, mirror=False)

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

    async def compare_regs(self, what: str) -> dict[str, int]:
        """Every register but the timing counters equals the ISS's; the IRQ line its ``irq``."""
        got = {n: await self.rd(R.REGISTERS[n].offset) for n in COMPARED_REGS}
        exp = {n: self.iss.read32(R.REGISTERS[n].offset) for n in COMPARED_REGS}
        diff = {n: (hex(got[n]), hex(exp[n])) for n in got if got[n] != exp[n]}
        assert not diff, f"{what}: registers (RTL, ISS) differ: {diff}"
        await ClockCycles(self.dut.ap_clk, 2)
        assert int(self.dut.interrupt.value) == int(self.iss.irq), f"{what}: IRQ line != ISS irq"
        return got

    def compare_mem(self, what: str) -> int:
        """The whole DDR equals the ISS's, byte for byte; returns the bytes compared."""
        got = np.frombuffer(self.peek(MEM_BASE, MEM_SIZE), np.uint8)
        bad = np.nonzero(got != self.iss.mem)[0]
        assert bad.size == 0, (f"{what}: DDR {MEM_BASE + bad[0]:#x}: {bad.size} bytes differ from the ISS "
                               f"(first got {got[bad[0]]:#x}, ISS {self.iss.mem[bad[0]]:#x})")
        return MEM_SIZE

    async def run_and_compare(self, cmds: list[Descriptor], count: int | None = None, iobase: int = IO0,
                              what: str = "run", max_cycles: int = 400_000, **kw) -> dict[str, int]:
        """Run ``cmds`` on the RTL and the ISS; registers and the whole DDR must agree. Returns the registers."""
        await self.setup_run(cmds, count, iobase=iobase, **kw)
        await self.start()
        await self.wait_idle(max_cycles, what)
        before = self.iss.mem.copy()
        self.iss.write32(R.CTRL, R.CTRL_START)
        self.iss.advance()
        regs = await self.compare_regs(what)
        self.compare_mem(what)
        # counted: the bytes this run wrote (all of DDR is compared) and the registers
        self.compared += int(np.count_nonzero(before != self.iss.mem)) + len(regs)
        return regs

    async def clear(self) -> None:
        """SOFT_RESET and clear the interrupt status (between scenarios), on both."""
        await self.wr(R.CTRL, R.CTRL_SOFT_RESET)
        await self.wr(R.IRQ_STATUS, 0x7)


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
    """LOAD (int32 act and u8 pix) into every buffer, STORE back, MARK, NOP, END: DDR and registers = the ISS's."""
    tb = TB(dut, seed())
    await tb.reset()
    rng = np.random.default_rng(seed())
    # run 1: the frame's I/O shapes -- the patches into H, the class row into X row 0, X out
    tb.poke(io(0) + isa.IO_PATCHES, rng.integers(0, 256, isa.IO_CLASS_ROW, dtype=np.uint8).tobytes())
    tb.poke(io(0) + isa.IO_CLASS_ROW, act_codes(rng, 192).tobytes())
    tb.poke(io(0) + isa.IO_OUTPUT, act_codes(rng, TOKENS * 192).tobytes())
    cmds = [isa.nop(),
            isa.load(H, isa.IO_PATCHES, 128, 768, fmt=isa.LoadFormat.PIX),
            isa.load(X, isa.IO_OUTPUT, TOKENS, 192),          # a whole X with out-of-range codes (saturated)
            isa.load(X, isa.IO_CLASS_ROW, 1, 192),
            isa.mark(0x1234_5678, irq=True),
            isa.store(X, isa.IO_OUTPUT, TOKENS, 192),
            isa.end(),
            raw(Op.LAYERNORM)]                                 # after END: never fetched
    regs = await tb.run_and_compare(cmds, iobase=io(0), what="run 1")
    assert regs["STATUS"] & R.STATUS_DONE and regs["CMD_INDEX"] == 6
    cyc = (await tb.rd(R.CYCLES_HI)) << 32 | await tb.rd(R.CYCLES_LO)
    rd64, wr64 = await tb.rd(R.DDR_RD), await tb.rd(R.DDR_WR)
    beats_rd = 2 * 7 + (128 * 768 + 4 * TOKENS * 192 + 4 * 192) // 16   # descriptors + LOAD data
    beats_wr = 4 * TOKENS * 192 // 16
    assert (rd64, wr64) == (beats_rd // 4, beats_wr // 4), f"DDR_RD/WR {rd64}/{wr64} (x64 B)"
    assert cyc > beats_rd + beats_wr  # one port carries all beats
    # the IRQ line: level while IRQ_STATUS & IRQ_ENABLE != 0, W1C, masked by IRQ_ENABLE
    assert int(dut.interrupt.value) == 1 and tb.irq_rises == 1
    await tb.wr(R.IRQ_STATUS, R.IRQ_DONE)
    assert await tb.rd(R.IRQ_STATUS) == R.IRQ_MARK and int(dut.interrupt.value) == 1
    await tb.wr(R.IRQ_ENABLE, R.IRQ_DONE | R.IRQ_ERROR)
    await ClockCycles(dut.ap_clk, 2)
    assert int(dut.interrupt.value) == 0, "a masked MARK must not hold the line"
    await tb.wr(R.IRQ_STATUS, R.IRQ_MARK)
    assert await tb.rd(R.IRQ_STATUS) == 0
    await tb.compare_regs("after the IRQ writes")

    # run 2: partial rectangles into N Q K V A (Q saturates to q), stored back over random bytes
    src = act_codes(rng, 16 * 192)
    src[:64] = [(1 << 20) * (i - 32) for i in range(64)]  # beyond q's range
    tb.poke(io(1), src.tobytes())
    tb.poke(io(1) + 0x4000, rng.integers(0, 256, isa.IO_BYTES - 0x4000, dtype=np.uint8).tobytes())
    cmds = [isa.load(N, 0, 7, 48, first_row=120, first_col=144),
            isa.load(Q, 0, 16, 192),
            isa.load(K, 0x400, 3, 64, first_col=64),
            isa.load(V, 0x10, 1, 192, first_row=128),
            isa.load(A, 0x40, 9, 16, first_row=5, first_col=176),
            isa.load(H, 0x100, 2, 32, first_row=127, first_col=736, fmt=isa.LoadFormat.PIX),
            isa.mark(0xCAFE),
            isa.store(N, 0x4000, 7, 48, first_row=120, first_col=144),
            isa.store(Q, 0x5000, 16, 192),
            isa.store(K, 0x8000, 3, 64, first_col=64),
            isa.store(V, 0x9000, 1, 192, first_row=128),
            isa.store(A, 0x9400, 9, 16, first_row=5, first_col=176),
            isa.store(H, 0x9800, 2, 32, first_row=127, first_col=736),
            isa.store(H, 0xA000, 4, 768),                           # patches stored back as act codes
            isa.store(X, 0xE000, 2, 16, first_row=127, first_col=176),
            isa.end()]
    regs = await tb.run_and_compare(cmds, iobase=io(1), what="run 2")
    assert regs["STATUS"] & R.STATUS_DONE and regs["MARK"] == 0xCAFE
    # every buffer, whole, against the ISS's (H in four column blocks)
    half = 4 * TOKENS * 192  # one 129 x 192 int32 block; two fit an I/O region
    for k, (b0, c0, b1, c1) in enumerate(((X, 0, N, 0), (Q, 0, K, 0), (V, 0, A, 0), (H, 0, H, 192), (H, 384, H, 576))):
        dump = [isa.store(b0, 0, TOKENS, 192, first_col=c0), isa.store(b1, half, TOKENS, 192, first_col=c1), isa.end()]
        await tb.run_and_compare(dump, iobase=io(2 + k), what=f"dump {b0.name}{c0} {b1.name}{c1}")
    dut._log.info("load/store: DDR and registers equal the ISS (%d written bytes and registers); run 1: %d cycles, DDR_RD %d, "
                  "DDR_WR %d (x64 B)", tb.compared, cyc, rd64, wr64)
    write_summary(vectors=tb.compared, cycles={"run1": cyc, "run1_beats": beats_rd + beats_wr},
                  ddr={"rd64": rd64, "wr64": wr64})


@cocotb.test()
async def test_count_end_and_soft_reset(dut):
    """A run ends after CMD_COUNT without END; CMD_COUNT 0; SOFT_RESET clears state, counters, errors, IRQs."""
    tb = TB(dut, seed() + 1)
    await tb.reset()
    regs = await tb.run_and_compare([isa.nop(), isa.mark(7), isa.nop()])
    assert regs["STATUS"] & R.STATUS_DONE and regs["CMD_INDEX"] == 3
    regs = await tb.run_and_compare([isa.mark(9, irq=True), raw(0x09)])  # no such opcode
    assert regs["ERROR"] == Err.BAD_OPCODE | 1 << 8 and regs["MARK"] == 9
    assert await tb.rd(R.CYCLES_LO) > 0 and await tb.rd(R.DDR_RD) > 0
    # START while idle with an error recorded is ignored until SOFT_RESET
    await tb.start()
    await ClockCycles(dut.ap_clk, 20)
    assert await tb.rd(R.ERROR) == Err.BAD_OPCODE | 1 << 8 and not await tb.rd(R.STATUS) & R.STATUS_BUSY
    await tb.wr(R.CTRL, R.CTRL_SOFT_RESET)
    for name in ("STATUS", "ERROR", "CMD_INDEX", "CYCLES_LO", "CYCLES_HI", "DDR_RD", "DDR_WR", "MARK", "IRQ_STATUS"):
        assert await tb.rd(getattr(R, name)) == 0, f"{name} not cleared by SOFT_RESET"
    await tb.compare_regs("after SOFT_RESET")
    regs = await tb.run_and_compare([isa.end()], count=0)        # CMD_COUNT 0: BAD_FIELD at 0
    assert regs["ERROR"] == Err.BAD_FIELD
    await tb.clear()
    regs = await tb.run_and_compare([isa.end()])
    assert regs["STATUS"] & R.STATUS_DONE
    write_summary(vectors=tb.compared)


@cocotb.test()
async def test_bad_opcode_and_fields(dut):
    """Every compute opcode and unknown opcodes give BAD_OPCODE; malformed fields give BAD_FIELD; as the ISS says."""
    tb = TB(dut, seed() + 2)
    await tb.reset()
    pix = isa.LoadFormat.PIX
    # Built without its executors (CONTROL_ONLY), the top ends a well-formed compute command with BAD_OPCODE at
    # its index (so this part is checked against the document, not the ISS). Built with them (EN_COMPUTE = 1:
    # test_edgemoe_top_with_compute) the compute opcodes run: test_edgemoe_top_ops.py checks them against the ISS.
    compute = [isa.layernorm(X, N, 0, TOKENS), isa.linear(isa.Mode.PLAIN, N, K, 0, 192, 64, TOKENS),
               isa.attention(0, TOKENS), isa.moe_gate(N, 0, TOKENS), isa.experts(N, 0)]
    for d in ([] if EN_COMPUTE else compute):
        await tb.setup_run([isa.nop(), isa.mark(3), d, isa.end()])
        await tb.start()
        st = await tb.wait_idle(5000, f"not integrated {d.name}")
        assert await tb.rd(R.ERROR) == Err.BAD_OPCODE | 2 << 8, f"{d.name}: ERROR {await tb.rd(R.ERROR):#x}"
        assert st & R.STATUS_ERROR and not st & R.STATUS_DONE and await tb.rd(R.MARK) == 3
        assert int(dut.interrupt.value) == 1
        await tb.clear()
    cases = [raw(op) for op in (0x09, 0x0E, 0x10, 0xFF)]
    cases += [
        isa.load(X, 0, 0, 16), isa.load(X, 0, 4, 0),        # empty rectangles
        isa.load(X, 0, 1, 8), isa.load(X, 0, 1, 16, first_col=8),   # not whole chunks
        isa.load(X, 0, 1, 208), isa.load(X, 0, 1, 32, first_col=176),  # past the row
        isa.load(H, 0, 2, 16, first_row=128), isa.load(H, 0, 1, 32, first_col=752, fmt=pix),
        isa.load(X, 8, 1, 16),                              # I/O offset not 16-byte aligned
        isa.load(X, isa.IO_BYTES - 32, 1, 16),              # past the I/O region
        isa.load(H, 0, TOKENS, 768),                        # int32: 396 KB, past the I/O region
        raw(Op.LOAD, 0, X, 0, 2, 0, 1 | 16 << 16),          # unknown format
        raw(Op.LOAD, 1, X, 0, 0, 0, 1 | 16 << 16),          # a source buffer on LOAD
        raw(Op.LOAD, 0, X, 1, 0, 0, 1 | 16 << 16),          # a side buffer on LOAD
        raw(Op.LOAD, 0, 7, 0, 0, 0, 1 | 16 << 16),          # no buffer 7
        raw(Op.LOAD, 0, 15, 0, 0, 0, 1 | 16 << 16),
        isa.store(N, 0, 1, 16, first_col=192),
        raw(Op.STORE, N, K, 0, 0, 0, 1 | 16 << 16),         # a destination on STORE
        raw(Op.STORE, N, 0, 0, 1, 0, 1 | 16 << 16),         # a format on STORE
        raw(Op.STORE, N, 0, 0, 0, 0, 1 | 16 << 16, 0, 1),   # word 4 non-zero
        raw(Op.END, 0, 0, 0, 0, 1), raw(Op.NOP, 1), raw(Op.NOP, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1),
        raw(Op.END, spec=1), raw(Op.MARK, spec=2), raw(Op.MARK, 0, 0, 0, 0, 5, 1), raw(Op.MARK, c=1),
    ]
    n = 0 if EN_COMPUTE else len(compute)
    for i, bad in enumerate(cases):
        # a good prefix, then the bad descriptor at index 2, then END (never reached)
        cmds = [isa.nop(), isa.load(V, 0, 1, 16, first_row=i % 100), bad, isa.end()]
        regs = await tb.run_and_compare(cmds, what=f"case {i} {bad}")
        assert regs["ERROR"] & 0xFF in (Err.BAD_OPCODE, Err.BAD_FIELD) and regs["ERROR"] >> 8 == 2, \
            f"case {i}: ERROR {regs['ERROR']:#x}"
        assert int(dut.interrupt.value) == 1
        await tb.clear()
        n += 1
    # START-time checks: IOBASE and WBASE 4 KB, CMD_BASE 32 bytes
    for kw in ({"iobase": IO0 + 0x800}, {"wbase": MEM_BASE + 0x20}, {"cmd_addr": MEM_BASE + CMD_OFF + 0x10}):
        regs = await tb.run_and_compare([isa.nop(), isa.end()], what=f"START with {kw}", **kw)
        assert regs["ERROR"] == Err.BAD_FIELD, kw
        await tb.clear()
        n += 1
    write_summary(vectors=tb.compared)


async def _fault_run(tb: TB, what: str, code: int, resp: int) -> None:
    cmds = [isa.nop(), isa.load(X, 0x100, 8, 192), isa.store(X, 0x8000, 8, 192), isa.end()]
    tb.faults.read.clear()
    tb.faults.write.clear()
    if what == "fetch":
        tb.faults.read.append((MEM_BASE + CMD_OFF + 32, MEM_BASE + CMD_OFF + 64, resp))  # descriptor 1
        index = 1
    elif what == "read":
        tb.faults.read.append((IO0 + 0x100 + 3000, IO0 + 0x100 + 3001, resp))  # inside LOAD's data
        index = 1
    else:
        tb.faults.write.append((IO0 + 0x8000 + 5000, IO0 + 0x8000 + 5001, resp))  # inside STORE's data
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
        await _fault_run(tb, "fetch", Err.AXI_READ, resp)
        await _fault_run(tb, "read", Err.AXI_READ, resp)
        await _fault_run(tb, "write", Err.AXI_WRITE, resp)
        n += 3
    # the partial writes of the failed STOREs are not the ISS's (it checks before writing): re-align
    tb.poke(MEM_BASE, tb.peek(MEM_BASE, MEM_SIZE))
    rng = np.random.default_rng(3)
    tb.poke(IO0, act_codes(rng, 64).tobytes())
    regs = await tb.run_and_compare([isa.load(K, 0, 1, 64), isa.store(K, 0x9000, 1, 64), isa.end()])
    assert regs["STATUS"] & R.STATUS_DONE
    write_summary(vectors=n + tb.compared)


@cocotb.test()
async def test_timeout_abort_start_busy(dut):
    """A memory that stops answering (watchdog: idle, DRAIN, recoverable); ABORT mid-run; START while busy."""
    tb = TB(dut, seed() + 4)
    await tb.reset()
    rng = np.random.default_rng(4)
    tb.poke(IO0, rng.integers(0, 256, isa.IO_CLASS_ROW, dtype=np.uint8).tobytes())
    pix = isa.LoadFormat.PIX
    big = [isa.load(H, 0, 128, 768, fmt=pix), isa.store(H, 0x18000, 16, 768), isa.end()]

    # --- the memory stops answering during a LOAD: TIMEOUT at index 0, the top idle
    await tb.wr(R.TIMEOUT, 3000)  # the LOAD below needs about 800 cycles when the memory answers
    await tb.setup_run([isa.nop(), isa.load(H, 0, 16, 768, fmt=pix), isa.end()])
    await tb.start()
    await ClockCycles(dut.ap_clk, 200)
    r = tb.ram.read_if.r_channel
    r.clear_pause_generator()
    r.pause = True
    st = await tb.wait_idle(20_000, "watchdog")
    assert await tb.rd(R.ERROR) == Err.TIMEOUT | 1 << 8, f"ERROR {await tb.rd(R.ERROR):#x}"
    assert st & R.STATUS_DRAIN and st & R.STATUS_ERROR, f"STATUS {st:#x}: the stopped bursts are still in flight"
    assert int(dut.interrupt.value) == 1
    await tb.start()                                # refused: an error is recorded
    await ClockCycles(dut.ap_clk, 20)
    assert not await tb.rd(R.STATUS) & R.STATUS_BUSY
    await tb.wr(R.CTRL, R.CTRL_SOFT_RESET, mirror=False)
    await tb.start()                                # refused while draining: START_BUSY
    await ClockCycles(dut.ap_clk, 20)
    assert await tb.rd(R.ERROR) & 0xFF == Err.START_BUSY and not await tb.rd(R.STATUS) & R.STATUS_BUSY
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
    regs = await tb.run_and_compare([isa.load(H, 0, 16, 768, fmt=pix), isa.store(H, 0x18000, 16, 768), isa.end()],
                                    what="after the timeout")
    assert regs["STATUS"] & R.STATUS_DONE, "the top recovers after the timeout"
    await tb.clear()

    # --- ABORT in the middle of a long LOAD: ABORTED at index 0 once drained
    await tb.setup_run(big)
    await tb.start()
    await ClockCycles(dut.ap_clk, 1500)
    assert await tb.rd(R.STATUS) & R.STATUS_BUSY
    await tb.wr(R.CTRL, R.CTRL_ABORT, mirror=False)
    st = await tb.wait_idle(50_000, "abort")
    assert await tb.rd(R.ERROR) == Err.ABORTED, f"ERROR {await tb.rd(R.ERROR):#x}"
    assert not st & R.STATUS_DRAIN and not st & R.STATUS_DONE
    await ClockCycles(dut.ap_clk, 10)
    for s in ("arvalid", "rvalid", "awvalid", "wvalid", "bvalid"):
        assert int(getattr(dut, f"m_axi_gmem0_{s}").value) == 0, f"{s} after the drain"
    await tb.clear()

    # --- ABORT during a STORE (write bursts in flight are completed with WSTRB 0)
    await tb.setup_run([isa.store(H, 0, 64, 768), isa.end()])
    await tb.start()
    await ClockCycles(dut.ap_clk, 1500)
    await tb.wr(R.CTRL, R.CTRL_ABORT, mirror=False)
    await tb.wait_idle(50_000, "abort during STORE")
    assert await tb.rd(R.ERROR) == Err.ABORTED
    await tb.clear()

    # --- START while busy: ignored and flagged START_BUSY; the run still completes (as the ISS)
    await tb.setup_run([isa.load(H, 0, 64, 768, fmt=pix), isa.nop(), isa.end()])
    await tb.start()
    await ClockCycles(dut.ap_clk, 500)
    await tb.start()
    st = await tb.wait_idle(100_000, "start busy")
    err = await tb.rd(R.ERROR)
    assert err == Err.START_BUSY and st & R.STATUS_DONE, f"ERROR {err:#x}, STATUS {st:#x}"
    assert await tb.rd(R.IRQ_STATUS) == R.IRQ_DONE | R.IRQ_ERROR
    tb.iss.write32(R.CTRL, R.CTRL_START)
    tb.iss.advance(0)  # the second START comes during command 0
    tb.iss.write32(R.CTRL, R.CTRL_START)
    tb.iss.advance()
    await tb.compare_regs("START while busy")
    await tb.clear()
    # SOFT_RESET while busy is ignored
    await tb.setup_run([isa.load(H, 0, 64, 768, fmt=pix), isa.end()])
    await tb.start()
    await ClockCycles(dut.ap_clk, 300)
    await tb.wr(R.CTRL, R.CTRL_SOFT_RESET, mirror=False)
    st = await tb.wait_idle(100_000, "soft reset while busy")
    assert st & R.STATUS_DONE and await tb.rd(R.ERROR) == 0
    write_summary(vectors=tb.compared + 6)


# ---- pytest side ----------------------------------------------------------------------------------------
TOP_SOURCES = ["edgemoe_actbuf", "edgemoe_axi_rd", "edgemoe_axi_wr", "edgemoe_seq", "edgemoe_top"]


def top_sources() -> list[Path]:
    gen = RTL / "gen"
    return ([PKG, gen / "edgemoe_regs_pkg.sv", gen / "edgemoe_regs.sv"] + [RTL / f"{m}.sv" for m in TOP_SOURCES]
            + [RTL / "edgemoe_top_wrapper.v"])


# This testbench checks the control plane (registers, sequencer, port-0 engines, buffers, errors) with
# cocotbext-axi on the top built without its executors (EN_COMPUTE = 0: the compute opcodes end
# BAD_OPCODE): a small build that simulates fast (the whole top runs this testbench about 25 times
# slower). test_edgemoe_top_ops.py checks every compute opcode on the whole top (EN_COMPUTE = 1);
# with --full this testbench runs on that build too (it passes with the executors present).
CONTROL_ONLY = {"EN_COMPUTE": 0}


def test_edgemoe_top_lint() -> None:
    """Verilator -Wall of the SystemVerilog top and of the Verilog wrapper (control-plane build)."""
    src = top_sources()
    lint("edgemoe_top", src[:-1], {"EnLn": 0, "EnLin": 0, "EnAttn": 0, "EnMoe": 0})
    lint("edgemoe_top_wrapper", src, CONTROL_ONLY)


@pytest.mark.timeout(1200)  # the Verilator build of a clean checkout is most of it
def test_edgemoe_top(record_property) -> None:
    src = top_sources()
    build = BUILD / "edgemoe_top_wrapper"
    s = build_and_test(src, "edgemoe_top_wrapper", "edgemoe.sim.tb.test_edgemoe_top", build, build / "run_all",
                       CONTROL_ONLY, extra_env={"SEED": "1"})
    record_vectors(record_property, "edgemoe_top", s["vectors"], cycles=s.get("cycles", {}).get("run1"))


@pytest.mark.slow
@pytest.mark.timeout(2400)
def test_edgemoe_top_with_compute(record_property) -> None:
    """This testbench on the whole top (the build of test_edgemoe_top_ops.py): the control plane with
    the executors present."""
    from edgemoe.sim.tb.test_edgemoe_top_ops import run_compute_build

    s = run_compute_build("edgemoe.sim.tb.test_edgemoe_top", "run_control", {"SEED": "1", "EDGEMOE_EN_COMPUTE": "1"})
    record_vectors(record_property, "edgemoe_top", s["vectors"], build="EN_COMPUTE=1")
