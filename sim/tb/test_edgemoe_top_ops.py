"""cocotb testbench of the whole top with its executors (EN_COMPUTE = 1): every opcode against the ISS.

The Vivado wrapper (hw/rtl/edgemoe_top_wrapper.v) built with compute, registers through
cocotbext-axi's AxiLiteMaster (``s_axi_ctrl``), the DDR as four AxiRam models sharing one
memory, one on each AXI4 master ``m_axi_gmem0..3``. Every channel of every port (AR, R, AW,
W, B) has its own bursty pause stream (a two-state Markov chain: free -> stalled with
probability 0.08 a cycle, stalled -> free 0.3: about 21% of the cycles stalled, in runs), and
each read burst waits a random 0..40 cycles between its AR and its first R beat, each write
burst 0..20 cycles before its B.

Per opcode a small command list (LOAD, STORE, MARK, END; LAYERNORM; LINEAR in modes plain,
q, gelu, resid and embed; ATTENTION; MOE_GATE; EXPERTS) runs on the top and on the
instruction-set model (``edgemoe.driver.iss`` through ``edgemoe.sim.rtl_compare.IssDev``, fed
the same DDR and the same register writes, ``rtl_compare.start_writes``). The lists STORE
the buffers they touched to DDR; after each list the whole DDR and every register but the
timing counters (STATUS, ERROR, CMD_INDEX, MARK, IRQ_STATUS, QCOUNT0..3, ...) must equal the
ISS's, bit for bit, and the IRQ line its level. Weights are synthetic and small (K, N of 16..64
where the field rules allow; ATTENTION at the RTL's T = 129; EXPERTS at T = 1: two
experts of 297 KB each). Errors with the executors present: BAD_IMAGE (a record's magic in the
middle of a LINEAR's pass) and SLVERR / DECERR on a weight record read during a LINEAR (the
ISS sees the same fault through its memory reads), each followed by a clean list.

Every wait is bounded: a list that does not raise the interrupt within its cycle budget fails
naming the command index and each port's AXI channels that hold valid without ready.
The bytes compared (STOREd output bytes and registers) go to ``summary.json`` (``vectors``).
The build (Verilator, the whole top: a few minutes from a clean checkout) is cached in
build/sim/edgemoe_top_wrapper_compute.
"""
from __future__ import annotations

import fcntl
import logging
import mmap
import os
import random
from pathlib import Path

import cocotb
import numpy as np
import pytest
from cocotb.triggers import ClockCycles, First, RisingEdge

from edgemoe.driver import image as wimage, isa, regmap as R
from edgemoe.driver.isa import Buf, Descriptor, Err, LoadFormat, Mode
from edgemoe.golden.fixedpoint import Scaled
from edgemoe.sim import rtl_compare as rc
from edgemoe.sim.runner import BUILD, PKG, RTL, build_and_test, record_vectors, write_summary
from edgemoe.sim.top_ctrl import TopCtrl

MEM_BASE = 0x1_0000_0000   # device addresses above 4 GB: the HI registers matter
MEM_SIZE = 8 << 20          # the expert block (16 x 297 KB) fits above W
CMD, IO, W = rc.CMD, rc.IO, rc.W
T_ALL, D, HID, HD = isa.TOKENS, 192, 768, 384
PORTS = 4
CHANNELS = ("ar", "r", "aw", "w", "b")
TIMING = ("CYCLES_LO", "CYCLES_HI", "DDR_RD", "DDR_WR", "LIN_BUSY", "WSTALL", "ATTN_BUSY")
COMPARED_REGS = [n for n in R.REGISTERS if n not in TIMING]
"""Registers compared with the ISS after every list (the timing counters are the perf model's there)."""
P_STALL, P_FREE = 0.08, 0.3   # Markov pause chain: free -> stalled, stalled -> free, per cycle
READ_LATENCY, WRITE_LATENCY = 40, 20


def seed() -> int:
    return int(os.environ.get("SEED", "1")) + int(os.environ.get("EDGEMOE_SEED", "0") or 0)


def markov(rng: random.Random, p_stall: float = P_STALL, p_free: float = P_FREE):
    """Pause pattern of one channel: a two-state Markov chain (bursty backpressure)."""
    stall = False
    while True:
        stall = (rng.random() >= p_free) if stall else (rng.random() < p_stall)
        yield stall


class OpsTB(TopCtrl):
    """The top with four AxiRam ports over one memory, and the ISS beside it."""

    def __init__(self, dut, seed: int):
        from cocotbext.axi import AxiBus, AxiRam

        super().__init__(dut, timeout_us=50)
        self.rng = random.Random(seed)
        self.np_rng = np.random.default_rng(seed)
        self.mem = mmap.mmap(-1, MEM_SIZE)
        self.rams = [AxiRam(AxiBus.from_prefix(dut, f"m_axi_gmem{p}"), dut.ap_clk, dut.ap_rst_n,
                            reset_active_level=False, size=MEM_SIZE, mem=self.mem) for p in range(PORTS)]
        for ram in self.rams:  # one line per burst would dominate the run time
            for i in (ram.read_if, ram.write_if):
                i.log.setLevel(logging.WARNING)
        self.read_faults: list[tuple[int, int, int]] = []   # (start, end, resp) device addresses
        for p, ram in enumerate(self.rams):
            self._latency_and_faults(p, ram)
        # one coroutine steps all 20 pause chains (a pause generator per channel is a coroutine wake-up
        # per channel and cycle: most of the simulation time)
        self.pause_chains = [(ch, markov(random.Random(f"{seed}:{p}:{c}")))
                             for p, ram in enumerate(self.rams) for c, ch in self.channels(ram).items()]
        cocotb.start_soon(self._pauses())
        self.iss = rc.IssDev(MEM_SIZE, MEM_BASE)
        self._iss_faults()
        self.checked = 0   # output bytes and registers compared with the ISS

    async def _pauses(self) -> None:
        edge = RisingEdge(self.dut.ap_clk)
        chains = self.pause_chains
        while True:
            for ch, g in chains:
                ch.pause = next(g)
            await edge

    @staticmethod
    def channels(ram) -> dict:
        w, r = ram.write_if, ram.read_if
        return {"ar": r.ar_channel, "r": r.r_channel, "aw": w.aw_channel, "w": w.w_channel, "b": w.b_channel}

    def _latency_and_faults(self, port: int, ram) -> None:
        """Random read latency (AR -> first R) and write latency (last W -> B); SLVERR/DECERR by address."""
        from cocotbext.axi.constants import AxiResp

        rd, wr = ram.read_if, ram.write_if
        clk, rng = self.dut.ap_clk, random.Random(f"lat{port}")
        ar_recv, b_send, r_send, orig_read = rd.ar_channel.recv, wr.b_channel.send, rd.r_channel.send, rd._read
        decerr: list[bool] = []

        async def ar_with_latency():
            ar = await ar_recv()
            n = rng.randint(0, READ_LATENCY)
            if n:
                await ClockCycles(clk, n)
            return ar

        async def b_with_latency(b):
            n = rng.randint(0, WRITE_LATENCY)
            if n:
                await ClockCycles(clk, n)
            await b_send(b)

        async def read(address, length):
            a = MEM_BASE + address % MEM_SIZE
            resp = next((r for lo, hi, r in self.read_faults if a < hi and a + length > lo), 0)
            decerr.append(resp == 3)
            if resp:
                raise IOError("injected read fault")  # AxiSlaveRead answers SLVERR, no data
            return await orig_read(address, length)

        async def r_resp(r):
            if decerr and decerr.pop(0) and int(r.rresp):
                r.rresp = AxiResp.DECERR
            await r_send(r)

        rd.ar_channel.recv, wr.b_channel.send, rd._read, rd.r_channel.send = ar_with_latency, b_with_latency, read, r_resp

    def _iss_faults(self) -> None:
        """The ISS's memory reads fail with AXI_READ where the AxiRams answer SLVERR/DECERR."""
        from edgemoe.driver.iss import Fault

        iss, orig = self.iss.iss, self.iss.iss._read

        def read(addr: int, n: int):
            if any(addr < hi and addr + n > lo for lo, hi, _ in self.read_faults):
                raise Fault(Err.AXI_READ)
            return orig(addr, n)

        iss._read = read

    # ---- registers and memory
    def poke(self, off: int, data) -> None:
        """Write ``data`` at DDR offset ``off`` into the AxiRams' memory and the ISS's."""
        b = np.frombuffer(bytes(data), np.uint8)
        self.mem[off:off + b.size] = b.tobytes()
        self.iss.mem[off:off + b.size] = b

    def ddr(self) -> np.ndarray:
        return np.frombuffer(self.mem, np.uint8)

    # ---- one list on both
    async def run(self, cmds: list[Descriptor], what: str, *, max_cycles: int = 60_000, soft_reset: bool = True,
                  expect_error: int | None = None) -> dict[str, int]:
        """``cmds`` at CMD on the top and on the ISS; the whole DDR, the registers and the IRQ line must agree.
        ``expect_error``: the code ERROR must hold (else 0). Returns the registers."""
        self.poke(CMD, isa.encode(cmds))
        writes = rc.start_writes(MEM_BASE, len(cmds), soft_reset=soft_reset)
        for off, v in writes:
            await self.wr(off, v)
            self.iss.write32(off, v)
        self.iss.run()
        await self.wait_irq(max_cycles, what)
        for _ in range(200):   # STATUS.DRAIN (docs: a stopped run's bursts in flight are answered and dropped)
            if not await self.rd(R.STATUS) & R.STATUS_DRAIN:
                break
            await ClockCycles(self.dut.ap_clk, 100)
        else:
            raise AssertionError(f"{what}: STATUS.DRAIN still set 20,000 cycles after the interrupt")
        got = {n: await self.rd(R.REGISTERS[n].offset) for n in COMPARED_REGS}
        exp = {n: self.iss.read32(R.REGISTERS[n].offset) for n in COMPARED_REGS}
        diff = {n: (hex(got[n]), hex(exp[n])) for n in got if got[n] != exp[n]}
        assert not diff, f"{what}: registers (RTL, ISS) differ: {diff}"
        assert int(self.dut.interrupt.value) == int(self.iss.iss.irq), f"{what}: IRQ line != the ISS's"
        rc.first_difference(self.ddr(), self.iss.mem, f"{what}: DDR", where="DDR offset")
        code = got["ERROR"] & R.ERROR_CODE
        assert code == (expect_error or 0), f"{what}: ERROR {got['ERROR']:#x} (expected code {expect_error or 0})"
        if not expect_error:
            assert got["STATUS"] & R.STATUS_DONE, f"{what}: STATUS {got['STATUS']:#x} without DONE"
        stored = sum((d.words[1] & 0xFFFF) * (d.words[1] >> 16) * 4 for d in cmds[:got["CMD_INDEX"] + 1]
                     if d.op == isa.Op.STORE)
        self.checked += stored + len(got)
        return got

    async def wait_irq(self, max_cycles: int, what: str) -> None:
        """Until the interrupt line is high; after ``max_cycles`` fail naming the streams that hold."""
        left = max_cycles
        while not int(self.dut.interrupt.value) and left > 0:
            n = min(2000, left)
            await First(RisingEdge(self.dut.interrupt), ClockCycles(self.dut.ap_clk, n))
            left -= n
        if int(self.dut.interrupt.value):
            return
        held = []
        for p in range(PORTS):
            for c in CHANNELS:
                src_valid = f"m_axi_gmem{p}_{c}valid" if c in ("ar", "aw", "w") else f"m_axi_gmem{p}_{c}ready"
                sink = f"m_axi_gmem{p}_{c}ready" if c in ("ar", "aw", "w") else f"m_axi_gmem{p}_{c}valid"
                v, r = int(getattr(self.dut, src_valid).value), int(getattr(self.dut, sink).value)
                if c in ("ar", "aw", "w") and v and not r:
                    held.append(f"gmem{p}.{c} valid without ready")
                elif c in ("r", "b") and r and not v:
                    held.append(f"gmem{p}.{c} waiting for data")
        st, idx = await self.rd(R.STATUS), await self.rd(R.CMD_INDEX)
        raise AssertionError(f"{what}: no interrupt within {max_cycles} cycles: STATUS {st:#x}, CMD_INDEX {idx}, "
                             f"{'; '.join(held) or 'no AXI channel holding'}")


# ---- data ----------------------------------------------------------------------------------------------
def act_words(rng: np.random.Generator, shape, scale: float = 2.0) -> np.ndarray:
    """int32 LOAD words: act codes around +-scale, 2% beyond the act range (LOAD saturates them)."""
    v = np.round(rng.normal(0.0, scale, shape) * 2 ** 16).astype(np.int64)
    hit = rng.random(shape) < 0.02
    v[hit] = rng.choice([-2 ** 31, 2 ** 31 - 1, -2 ** 27, 2 ** 27], int(hit.sum()))
    return v.astype("<i4")


def records(rng: np.random.Generator, K: int, N: int, bias: bool = True, wexp: tuple[int, int] = (4, 12)) -> bytes:
    """Random slab records (docs: weight image): int16 mantissas with both extremes, row exponents
    W_EXP_MIN + wexp, one bias exponent per record."""
    w = rng.integers(-(1 << 15), 1 << 15, size=(N, K))
    w[0, :2] = (-(1 << 15), (1 << 15) - 1)
    wf = rng.integers(wimage.W_EXP_MIN + wexp[0], wimage.W_EXP_MIN + wexp[1], size=N)
    out = b""
    for r0 in range(0, N, isa.SLAB_ROWS):
        rows = slice(r0, min(N, r0 + isa.SLAB_ROWS))
        b = Scaled(rng.integers(-(1 << 15), 1 << 15, size=rows.stop - r0),
                   np.array(wimage.B_EXP_MIN + int(rng.integers(0, 16)))) if bias else None
        out += wimage.slab_records(Scaled(w[rows], wf[rows]), b)
    return out


def ln_record(rng: np.random.Generator) -> bytes:
    g = rng.integers(-(1 << 15), 1 << 15, D)
    b = rng.integers(-(1 << 15), 1 << 15, D)
    g[:2], b[:2] = (-(1 << 15), (1 << 15) - 1), ((1 << 15) - 1, -(1 << 15))
    return wimage.ln_record(Scaled(g, np.array(wimage.B_EXP_MIN + 8)), Scaled(b, np.array(wimage.B_EXP_MIN + 10)))


def embed_add(rng: np.random.Generator, T: int) -> bytes:
    """``T`` rows of an embed_add record (the record's row r is token r + 1's)."""
    codes = rng.integers(-(1 << 15), 1 << 15, size=(T + 1, D))
    frac = rng.integers(wimage.B_EXP_MIN, wimage.B_EXP_MIN + 16, size=T + 1)
    return wimage.embed_add_record(Scaled(codes, frac))


def bg(buf: int, rows: int, off: int = 0) -> Descriptor:
    """A background for ``rows`` rows of the whole buffer (H: as pixels) from I/O offset ``off``."""
    if buf == Buf.H:
        return isa.load(Buf.H, off, rows, HID, fmt=LoadFormat.PIX)
    return isa.load(buf, off, rows, isa.BUF_COLS[buf])


def dump(buf: int, rows: int, off: int) -> list[Descriptor]:
    """STORE ``rows`` rows of the whole buffer to I/O offset ``off`` (H: 384 columns at a time)."""
    if buf == Buf.H:
        return [isa.store(Buf.H, off, rows, HD), isa.store(Buf.H, off + rows * HD * 4, rows, HD, first_col=HD)]
    return [isa.store(buf, off, rows, isa.BUF_COLS[buf])]


async def start(dut) -> OpsTB:
    tb = OpsTB(dut, seed())
    await tb.reset()
    tb.poke(IO, act_words(tb.np_rng, isa.IO_BYTES // 4).tobytes())   # the I/O region: int32 words (and pixels)
    return tb


def done(tb: OpsTB, what: str) -> None:
    tb.dut._log.info("%s: DDR and registers equal the ISS (%d output bytes and registers compared)", what, tb.checked)
    write_summary(vectors=tb.checked, **{f"ops_{what}": tb.checked})


OUT = 0x20000   # I/O offset of the STOREs (inside the I/O region, away from the inputs below it)


# ---- cocotb tests --------------------------------------------------------------------------------------
@cocotb.test()
async def test_op_load_store_mark_end(dut):
    """LOAD (act, pix) into rectangles, MARK with its interrupt, STORE, END (a descriptor after it never
    runs); a list that ends at CMD_COUNT without END."""
    tb = await start(dut)
    cmds = [isa.load(Buf.N, 0x100, 6, 192), isa.load(Buf.K, 0x2000, 3, 64, first_row=126, first_col=64),
            isa.load(Buf.H, 0x4000, 2, 96, first_row=5, first_col=672, fmt=LoadFormat.PIX),
            isa.load(Buf.Q, 0x6000, 4, 192), isa.mark(0xC0DE, irq=True), isa.nop(),
            *dump(Buf.N, 6, OUT), isa.store(Buf.K, OUT + 0x2000, 3, 64, first_row=126, first_col=64),
            isa.store(Buf.H, OUT + 0x3000, 2, 96, first_row=5, first_col=672), isa.store(Buf.Q, OUT + 0x4000, 4, 192),
            isa.end(), isa.store(Buf.N, OUT + 0x8000, 6, 192)]
    regs = await tb.run(cmds, "load/store/mark/end")
    assert regs["MARK"] == 0xC0DE and regs["IRQ_STATUS"] == R.IRQ_DONE | R.IRQ_MARK and regs["CMD_INDEX"] == 10
    regs = await tb.run([isa.mark(7), isa.store(Buf.Q, OUT + 0x9000, 4, 192)], "CMD_COUNT without END",
                        soft_reset=False)
    assert regs["MARK"] == 7 and regs["CMD_INDEX"] == 2
    done(tb, "load_store_mark_end")


@cocotb.test()
async def test_op_layernorm(dut):
    """LAYERNORM X -> N (T = 8, saturating inputs, a constant row) and N -> V (T = 3, reading the first's output)."""
    tb = await start(dut)
    rng = tb.np_rng
    x = act_words(rng, (8, D), 3.0)
    x[4] = 12345                                   # variance 0
    tb.poke(IO, x.tobytes())
    tb.poke(W, ln_record(rng))
    tb.poke(W + 1024, ln_record(rng))
    cmds = [bg(Buf.N, 10, 0x8000), bg(Buf.V, 10, 0x10000), isa.load(Buf.X, 0, 8, D),
            isa.layernorm(Buf.X, Buf.N, 0, 8), isa.layernorm(Buf.N, Buf.V, 1024, 3),
            *dump(Buf.N, 10, OUT), *dump(Buf.V, 10, OUT + 10 * D * 4), isa.end()]
    await tb.run(cmds, "layernorm")
    done(tb, "layernorm")


def linear_cases() -> dict[str, tuple[Descriptor, list[Descriptor], int, int]]:
    """name: (LINEAR, its inputs, destination, destination rows stored); weights at W + the offsets of
    :func:`linear_weights`."""
    L = isa.linear
    return {
        "plain": (L(Mode.PLAIN, Buf.N, Buf.K, 0, 32, 48, 5, src_chunk=1, dst_chunk=2, dst_row=2),
                  [isa.load(Buf.N, 0, 5, D)], Buf.K, 8),
        "q_nobias": (L(Mode.Q, Buf.A, Buf.Q, 0x2000, 16, 32, 3, has_bias=False, dst_chunk=8),
                     [isa.load(Buf.A, 0, 3, D)], Buf.Q, 4),
        "gelu_into_H": (L(Mode.GELU, Buf.V, Buf.H, 0x4000, 32, 64, 4, dst_chunk=40, dst_row=1),
                        [isa.load(Buf.V, 0, 4, D)], Buf.H, 6),
        "resid": (L(Mode.RESID, Buf.H, Buf.X, 0x6000, 48, 32, 6, side=Buf.X, src_chunk=44, dst_chunk=3, dst_row=2),
                  [isa.load(Buf.H, 0, 6, 48, first_col=704), isa.load(Buf.X, 0x4000, 9, D)], Buf.X, 9),
        "embed": (L(Mode.EMBED, Buf.H, Buf.X, 0x8000, 32, 48, 4, has_bias=False, dst_chunk=1, dst_row=1,
                    embed_offset=0xA000), [isa.load(Buf.H, 0, 4, HID, fmt=LoadFormat.PIX)], Buf.X, 6),
    }


def linear_weights(tb: OpsTB) -> None:
    rng = tb.np_rng
    for off, (K, N, bias) in {0: (32, 48, True), 0x2000: (16, 32, False), 0x4000: (32, 64, True),
                              0x6000: (48, 32, True), 0x8000: (32, 48, False)}.items():
        rec = records(rng, K, N, bias)
        assert len(rec) <= 0x2000
        tb.poke(W + off, rec)
    tb.poke(W + 0xA000, embed_add(rng, 4))


@cocotb.test()
async def test_op_linear(dut):
    """LINEAR in modes plain, q (no bias), gelu (into H), resid (side X, source H columns) and embed
    (embed_add record, pixels from H): background, inputs, the pass, the destination's rows STOREd."""
    tb = await start(dut)
    linear_weights(tb)
    for name, (lin, inputs, dst, rows) in linear_cases().items():
        pre = [] if name == "resid" else [bg(dst, rows, 0x10000)]   # resid: X (side, destination) is an input
        await tb.run(pre + inputs + [lin] + dump(dst, rows, OUT) + [isa.end()], f"LINEAR {name}")
    done(tb, "linear")


@cocotb.test()
async def test_op_attention(dut):
    """ATTENTION head 1 at T = 129 (the RTL's kernel): q beyond 18 bits, k and v at the act limits."""
    tb = await start(dut)
    rng = tb.np_rng
    q = np.round(rng.normal(0.0, 1.5, (T_ALL, 64)) * 2 ** 15).astype(np.int64)
    q[rng.random(q.shape) < 0.03] = 2 ** 20
    tb.poke(IO, q.astype("<i4").tobytes())
    c = 64
    cmds = [isa.load(Buf.Q, 0, T_ALL, 64, first_col=c), isa.load(Buf.K, 0x10000, T_ALL, 64, first_col=c),
            isa.load(Buf.V, 0x18000, T_ALL, 64, first_col=c),   # A(1) is written whole: no background
            isa.attention(1, T_ALL), isa.store(Buf.A, OUT, T_ALL, 64, first_col=c), isa.end()]
    await tb.run(cmds, "attention", max_cycles=80_000)
    done(tb, "attention")


def moe_weights(tb: OpsTB, experts: bool = True) -> None:
    """The gate record (K = 192, N = 16, no bias) at W and (``experts``) 16 synthetic experts at W + 0x2000."""
    rng = tb.np_rng
    tb.poke(W, records(rng, D, 16, False, wexp=(0, 4)))
    for e in range(16 if experts else 0):
        tb.poke(W + 0x2000 + e * isa.EXPERT_BYTES, records(rng, D, HD, True, wexp=(6, 10))
                + records(rng, HD, D, True, wexp=(8, 12)))


@cocotb.test()
async def test_op_moe_gate(dut):
    """MOE_GATE from N (T = 6) and from K (T = 1): QCOUNT0..3 equal the ISS's."""
    tb = await start(dut)
    moe_weights(tb, experts=False)
    regs = await tb.run([isa.load(Buf.N, 0, 6, D), isa.moe_gate(Buf.N, 0, 6), isa.end()], "MOE_GATE T 6")
    counts = [regs[f"QCOUNT{i}"] >> 8 * k & 0xFF for i in range(4) for k in range(4)]
    assert sum(counts) == 2 * 6, f"QCOUNT {counts}"
    await tb.run([isa.load(Buf.K, 0x3000, 1, D), isa.moe_gate(Buf.K, 0, 1), isa.end()], "MOE_GATE T 1")
    done(tb, "moe_gate")


@cocotb.test()
async def test_op_experts(dut):
    """MOE_GATE (T = 1: two experts) then EXPERTS: X (residual + the experts' scaled fc2) and H (the
    last expert's fc1 rows) STOREd."""
    tb = await start(dut)
    moe_weights(tb)
    T = 1
    cmds = [isa.load(Buf.H, 0x8000, 2 * T, HID, fmt=LoadFormat.PIX), isa.load(Buf.X, 0x4000, T + 1, D),
            isa.load(Buf.N, 0, T, D), isa.moe_gate(Buf.N, 0, T), isa.experts(Buf.N, 0x2000),
            *dump(Buf.X, T + 1, OUT), *dump(Buf.H, 2 * T, OUT + 0x1000), isa.end()]
    regs = await tb.run(cmds, "EXPERTS", max_cycles=150_000)
    counts = [regs[f"QCOUNT{i}"] >> 8 * k & 0xFF for i in range(4) for k in range(4)]
    dut._log.info("EXPERTS: %d active experts, counts %s", sum(1 for n in counts if n), counts)
    done(tb, "experts")


@cocotb.test()
async def test_err_bad_image_and_read_faults(dut):
    """During a LINEAR of four records: BAD_IMAGE (record 2's magic), SLVERR and DECERR on record 1's
    and record 3's reads; ERROR, CMD_INDEX and the DDR equal the ISS's; a clean list after each."""
    tb = await start(dut)
    rng = tb.np_rng
    K, N = 32, 64
    tb.poke(W, records(rng, K, N))
    rec = isa.slab_bytes(K)
    lin = isa.linear(Mode.PLAIN, Buf.N, Buf.K, 0, K, N, 3, dst_chunk=4)
    good = [bg(Buf.K, 4, 0x10000), isa.load(Buf.N, 0, 3, D), lin, *dump(Buf.K, 4, OUT), isa.end()]
    bad = [isa.load(Buf.N, 0, 3, D), isa.nop(), lin, isa.store(Buf.K, OUT, 4, D), isa.end()]
    await tb.run(good, "LINEAR before the faults")
    magic = W + 2 * rec + 44
    keep = bytes(tb.mem[magic:magic + 1])
    tb.poke(magic, bytes([keep[0] ^ 0x10]))
    regs = await tb.run(bad, "BAD_IMAGE", expect_error=Err.BAD_IMAGE)
    assert regs["ERROR"] == Err.BAD_IMAGE | 2 << 8
    tb.poke(magic, keep)
    await tb.run(good, "LINEAR after BAD_IMAGE")
    for resp, r in ((2, 1), (3, 3)):
        lo = MEM_BASE + W + r * rec + 64 + 7 * 32        # a w beat in the record's body
        tb.read_faults[:] = [(lo, lo + 16, resp)]
        regs = await tb.run(bad, f"resp {resp} on record {r}", expect_error=Err.AXI_READ)
        assert regs["ERROR"] == Err.AXI_READ | 2 << 8
        tb.read_faults.clear()
        await tb.run(good, f"LINEAR after resp {resp}")
    done(tb, "errors")


# ---- pytest side ----------------------------------------------------------------------------------------
COMPUTE = {"EN_COMPUTE": 1}
OPS = ("load_store_mark_end", "layernorm", "linear", "attention", "moe_gate", "experts", "errors")


def compute_sources() -> list[Path]:
    """Every RTL file (the top, its executors and kernels), the packages first, then the wrapper."""
    gen = RTL / "gen"
    pkgs = [PKG, gen / "edgemoe_regs_pkg.sv"]
    return (pkgs + sorted(p for p in gen.glob("*.sv") if p not in pkgs) + sorted(RTL.glob("*.sv"))
            + [RTL / "edgemoe_top_wrapper.v"])


def run_compute_build(module: str, run: str, env: dict[str, str]) -> dict:
    """Build the whole top once (cached; one builder at a time) and run cocotb ``module`` on it."""
    build = BUILD / "edgemoe_top_wrapper_compute"
    build.mkdir(parents=True, exist_ok=True)
    with open(build.parent / ".edgemoe_top_wrapper_compute.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the --full control-plane run shares this build
        return build_and_test(compute_sources(), "edgemoe_top_wrapper", module, build, build / run, COMPUTE,
                              extra_env=env)


@pytest.mark.early  # the whole top's build: minutes from a clean checkout
def test_edgemoe_top_ops(record_property) -> None:
    """Every opcode on the whole top under cocotbext-axi against the ISS (bytes compared per opcode)."""
    s = run_compute_build("edgemoe.sim.tb.test_edgemoe_top_ops", "run_ops", {"SEED": "1"})
    ops = {k[4:]: v for k, v in s.items() if k.startswith("ops_")}
    assert set(ops) == set(OPS), f"per-opcode tests that reported: {sorted(ops)}"
    record_vectors(record_property, "edgemoe_top_ops", s["vectors"], **ops)
