"""The ISS command by command: each opcode against its golden operator, every documented error, fuzzed lists."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings, strategies as st

from edgemoe import perf_model as pm
from edgemoe.driver import image as wimage, isa, program, regmap as rm
from edgemoe.driver.isa import Buf, Err, Mode, Op
from edgemoe.driver.iss import Iss
from edgemoe.golden.attention import attention_fixed
from edgemoe.golden.fixed_model import FixedWeights
from edgemoe.golden.fixedpoint import Scaled, fmt, saturate
from edgemoe.golden.layernorm import layernorm_fixed
from edgemoe.golden.linear import linear_unit
from edgemoe.golden.moe import build_queues, gate_fixed, moe_reordered
from edgemoe.golden.patch_embed import patch_embed_fixed, patches
from edgemoe.golden.weights import Weights, fill_synthetic
from edgemoe.sim.runner import record_vectors

ACT, Q = fmt("act"), fmt("q")
MEM = 40 << 20


@pytest.fixture(scope="module")
def fw():
    return FixedWeights.from_float(fill_synthetic(Weights(tensors={}), seed=5, heads=False))


@pytest.fixture(scope="module")
def img(fw):
    return wimage.build_image(fw)


class Dev:
    """An ISS with the image at WBASE, a command area and the I/O region."""

    def __init__(self, img):
        self.m = Iss(mem_size=MEM)
        self.base = self.m.mem_base
        self.m.mem[:len(img.data)] = np.frombuffer(img.data, np.uint8)
        self.wbase = self.base
        self.cmd = self.base + (len(img.data) + 4095) // 4096 * 4096
        self.io = self.cmd + 64 * 4096
        self.img = img

    def changed(self, before: np.ndarray) -> np.ndarray:
        """Indices of memory bytes that differ from ``before``, outside the command area."""
        c = np.flatnonzero(self.m.mem != before)
        c0 = self.cmd - self.base
        return c[(c < c0) | (c >= c0 + 64 * 4096)]

    def io_view(self, off: int, n: int) -> np.ndarray:
        o = self.io - self.base + off
        return self.m.mem[o:o + n]

    def start(self, cmds, *, count=None, iobase=None, wbase=None, cmd_base=None):
        m = self.m
        cb = self.cmd if cmd_base is None else cmd_base
        raw = isa.encode(cmds)
        o = cb - self.base
        if 0 <= o < m.mem.size:  # the part of the list that lies inside the memory
            n = min(len(raw), m.mem.size - o)
            m.mem[o:o + n] = np.frombuffer(raw[:n], np.uint8)
        for reg, v in ((rm.WBASE_LO, self.wbase if wbase is None else wbase),
                       (rm.IOBASE_LO, self.io if iobase is None else iobase), (rm.CMD_BASE_LO, cb)):
            m.write32(reg, v & 0xFFFFFFFF)
            m.write32(reg + 4, v >> 32)
        m.write32(rm.CMD_COUNT, len(cmds) if count is None else count)
        m.write32(rm.CTRL, rm.CTRL_START)

    def run(self, cmds, reset: bool = True, **kw) -> tuple[int, int]:
        """(error code, index) of one run; SOFT_RESET afterwards when it failed (and ``reset``)."""
        self.start(cmds, **kw)
        self.m.advance()
        e = self.m.read32(rm.ERROR)
        st = self.m.read32(rm.STATUS)
        assert not st & rm.STATUS_BUSY
        if not st & rm.STATUS_ERROR:
            assert st & rm.STATUS_DONE
        elif reset:
            self.m.write32(rm.CTRL, rm.CTRL_SOFT_RESET)
        return e & 0xFF, e >> 8


@pytest.fixture
def dev(img):
    return Dev(img)


def rnd_act(rng, shape, scale=3.0):
    return ACT.quantize(rng.normal(0.0, scale, shape))


# ---------------------------------------------------------------- each opcode alone
def test_load_and_store(record_property, dev):
    rng = np.random.default_rng(1)
    v = rng.integers(-2**31, 2**31, (40, 64), dtype=np.int64)
    dev.io_view(0, v.size * 4)[:] = np.frombuffer(v.astype("<i4").tobytes(), np.uint8)
    pix = rng.integers(0, 256, (3, 768))
    dev.io_view(16384, pix.size)[:] = pix.astype(np.uint8).reshape(-1)
    cmds = [isa.load(Buf.X, 0, 40, 64, first_row=10, first_col=32), isa.load(Buf.Q, 0, 40, 64),
            isa.load(Buf.H, 16384, 3, 768, first_row=126, fmt=isa.LoadFormat.PIX)]
    assert dev.run(cmds + [isa.end()]) == (0, 0)
    b = dev.m.buffers
    assert np.array_equal(b[Buf.X][10:50, 32:96], saturate(v, ACT)) and not b[Buf.X][:10].any()
    assert np.array_equal(b[Buf.Q][:40, :64], saturate(v, Q))
    assert np.array_equal(b[Buf.H][126:129], pix << 8)
    # STORE saturates X's moe_acc to act and writes exactly its range
    b[Buf.X][:] = rng.integers(-2**27, 2**27, b[Buf.X].shape)
    before = dev.m.mem.copy()
    assert dev.run([isa.store(Buf.X, isa.IO_OUTPUT, 129, 192), isa.end()]) == (0, 0)
    out = wimage.output_codes(dev.io_view(isa.IO_OUTPUT, 4 * 129 * 192))
    assert np.array_equal(out, saturate(b[Buf.X], ACT))
    changed = dev.changed(before)
    o = dev.io - dev.base + isa.IO_OUTPUT
    assert changed.min() >= o and changed.max() < o + 4 * 129 * 192
    record_vectors(record_property, "iss_load_store", v.size * 2 + pix.size + out.size)


@pytest.mark.parametrize("T", [129, 7])
def test_layernorm(record_property, dev, fw, img, T):
    rng = np.random.default_rng(T)
    x = rng.integers(-2**27, 2**27, (129, 192))  # X beyond act: the LN input saturates
    dev.m.buffers[Buf.X][:] = x
    assert dev.run([isa.layernorm(Buf.X, Buf.N, img.offset("l4_norm2"), T), isa.end()]) == (0, 0)
    ref = layernorm_fixed(saturate(x[:T], ACT), fw["l4_norm2_weight"], fw["l4_norm2_bias"])
    assert np.array_equal(dev.m.buffers[Buf.N][:T], ref) and not dev.m.buffers[Buf.N][T:].any()
    record_vectors(record_property, "iss_layernorm", ref.size)


def test_linear_modes(record_property, dev, fw, img):
    rng = np.random.default_rng(3)
    m = dev.m
    n = rnd_act(rng, (129, 192))
    m.buffers[Buf.N][:] = n
    x_old = rng.integers(-2**27, 2**27, (129, 192))
    m.buffers[Buf.X][:] = x_old
    a = rnd_act(rng, (129, 192))
    m.buffers[Buf.A][:] = a
    L, D, Dh = 2, 192, 64
    wqkv, bqkv = fw[f"l{L}_qkv_weight"], fw[f"l{L}_qkv_bias"]
    per_head = isa.pass_bytes(D, Dh)
    cmds = [isa.linear(Mode.Q, Buf.N, Buf.Q, img.offset(f"l{L}_q") + 2 * per_head, D, Dh, 129, dst_chunk=8),
            isa.linear(Mode.PLAIN, Buf.N, Buf.K, img.offset(f"l{L}_k") + per_head, D, Dh, 100, dst_chunk=4),
            isa.linear(Mode.GELU, Buf.N, Buf.H, img.offset(f"l{L}_fc1"), D, 768, 129),
            isa.linear(Mode.RESID, Buf.A, Buf.X, img.offset(f"l{L}_attn_proj"), D, D, 129, side=Buf.X),
            isa.linear(Mode.PLAIN, Buf.H, Buf.V, img.offset(f"l{L}_fc2") + isa.slab_bytes(768), 768, 32, 50,
                       has_bias=False, dst_chunk=2, dst_row=60),
            isa.end()]
    assert dev.run(cmds) == (0, 0)
    b = m.buffers
    q = linear_unit(n, wqkv[2 * Dh:3 * Dh], bqkv[0][2 * Dh:3 * Dh], out="q", prescale_log2=3)
    k = linear_unit(n[:100], wqkv[D + Dh:D + 2 * Dh], bqkv[1][Dh:2 * Dh])
    h = linear_unit(n, fw[f"l{L}_fc1_weight"], fw[f"l{L}_fc1_bias"], gelu=True)
    x = linear_unit(a, fw[f"l{L}_attn_proj_weight"], fw[f"l{L}_attn_proj_bias"], resid=saturate(x_old, ACT))
    v = linear_unit(h[:50], fw[f"l{L}_fc2_weight"][16:48])
    assert np.array_equal(b[Buf.Q][:, 128:192], q) and not b[Buf.Q][:, :128].any()
    assert np.array_equal(b[Buf.K][:100, 64:128], k) and not b[Buf.K][100:].any()
    assert np.array_equal(b[Buf.H], h) and np.array_equal(b[Buf.X], x)
    assert np.array_equal(b[Buf.V][60:110, 32:64], v) and not b[Buf.V][:60].any()
    record_vectors(record_property, "iss_linear", q.size + k.size + h.size + x.size + v.size)


def test_linear_embed_mode(record_property, dev, fw, img):
    rng = np.random.default_rng(4)
    pix = rng.integers(0, 256, (3, 128, 256))
    dev.m.buffers[Buf.H][:128] = patches(pix, 16) << 8
    dev.m.buffers[Buf.H][128] = 12345
    assert dev.run(program.embed_commands(img)[1:] + [isa.end()]) == (0, 0)
    x = dev.m.buffers[Buf.X]
    ref = patch_embed_fixed(pix, fw["patch_embed_weight"], fw["embed_add"])
    # the embed pass writes rows 1..128; the class-row LOAD wrote row 0 from the (zeroed) I/O region
    assert np.array_equal(x[1:], ref[1:]) and not x[0].any()
    dev.io_view(isa.IO_CLASS_ROW, 768)[:] = np.frombuffer(wimage.class_row_bytes(fw), np.uint8)
    assert dev.run([program.embed_commands(img)[2], isa.end()]) == (0, 0)
    assert np.array_equal(x, ref)
    record_vectors(record_property, "iss_embed", ref.size)


@pytest.mark.parametrize("T", [129, 3])
def test_attention(record_property, dev, T):
    rng = np.random.default_rng(T)
    b = dev.m.buffers
    b[Buf.Q][:] = Q.quantize(rng.normal(0, 1.5, (129, 192)))
    b[Buf.K][:] = rnd_act(rng, (129, 192), 2.0)
    b[Buf.V][:] = rnd_act(rng, (129, 192), 2.0)
    assert dev.run([isa.attention(1, T), isa.attention(0, T), isa.end()]) == (0, 0)
    for h in (0, 1):
        c = slice(64 * h, 64 * h + 64)
        ref = attention_fixed(*(b[x][:T, c].reshape(T, 1, 64) for x in (Buf.Q, Buf.K, Buf.V)))
        assert np.array_equal(b[Buf.A][:T, c], ref)
    assert not b[Buf.A][:, 128:].any() and not b[Buf.A][T:].any()
    record_vectors(record_property, "iss_attention", 2 * T * 64)


def test_moe_gate_and_experts(record_property, dev, fw, img):
    rng = np.random.default_rng(6)
    m, b = dev.m, dev.m.buffers
    n, x = rnd_act(rng, (129, 192), 1.0), rnd_act(rng, (129, 192), 4.0)
    b[Buf.N][:], b[Buf.X][:] = n, x
    L = 5
    cmds = [isa.moe_gate(Buf.N, img.offset(f"l{L}_gate_task1"), 129), isa.experts(Buf.N, img.offset(f"l{L}_experts")),
            isa.end()]
    assert dev.run(cmds) == (0, 0)
    _, idx, p = gate_fixed(n, fw[f"l{L}_w_gate_T_task1"])
    q = build_queues(idx, p, 16)
    assert [int(c) for c in q.counts] == m.qcount
    assert [int(t) for t in np.concatenate(m.queues.tokens)] == [int(t) for t in np.concatenate(q.tokens)]
    qc = [m.read32(rm.QCOUNT0 + 4 * i) for i in range(4)]
    assert [(qc[e // 4] >> 8 * (e % 4)) & 0xFF for e in range(16)] == list(q.counts)
    w = [fw[f"l{L}_{s}"] for s in ("htoh4_weight", "htoh4_bias", "h4toh_weight", "h4toh_bias")]
    ref = moe_reordered(x, n, q, *w)
    got = b[Buf.X]
    assert np.array_equal(saturate(got, ACT), ref)
    assert got.min() >= fmt("moe_acc").min_int and got.max() <= fmt("moe_acc").max_int
    last = int(q.metaqueue[-1])
    toks = q.tokens[last]
    assert np.array_equal(b[Buf.H][:len(toks), :384], linear_unit(n[toks], w[0][last], w[1][last], gelu=True))
    record_vectors(record_property, "iss_moe", ref.size + 16)


def test_mark_nop_irq_and_registers(dev):
    m = dev.m
    assert m.read32(rm.ID) == rm.ID_VALUE and m.read32(rm.VERSION) >> 16 == rm.VERSION_MAJOR
    assert m.read32(rm.HWCFG0) == rm.REGISTERS["HWCFG0"].reset and m.read32(rm.TIMEOUT) == rm.TIMEOUT_RESET
    m.write32(rm.ID, 0)
    assert m.read32(rm.ID) == rm.ID_VALUE
    m.write32(rm.IRQ_ENABLE, rm.IRQ_ENABLE_MARK)
    assert dev.run([isa.nop(), isa.mark(0xCAFE, irq=True), isa.mark(7), isa.end()]) == (0, 0)
    assert m.read32(rm.MARK) == 7 and m.read32(rm.IRQ_STATUS) == rm.IRQ_STATUS_MARK | rm.IRQ_STATUS_DONE
    assert m.irq
    m.write32(rm.IRQ_STATUS, rm.IRQ_STATUS_MARK)
    assert not m.irq and m.read32(rm.IRQ_STATUS) == rm.IRQ_STATUS_DONE
    m.write32(rm.IRQ_ENABLE, rm.IRQ_ENABLE_DONE | rm.IRQ_ENABLE_ERROR)
    assert m.irq
    # a run that reaches CMD_COUNT without END ends with DONE
    assert dev.run([isa.nop(), isa.nop()]) == (0, 0)
    assert m.read32(rm.CYCLES_LO) == 0


# ---------------------------------------------------------------- errors
BAD_FIELD_CASES = {
    "END with a field": isa.Descriptor(Op.END, words=(0, 1, 0, 0, 0, 0, 0)),
    "NOP with a buffer": isa.Descriptor(Op.NOP, a=1),
    "LOAD format 2": isa.Descriptor(Op.LOAD, b=Buf.X, spec=2, words=(0, 1 | 16 << 16, 0, 0, 0, 0, 0)),
    "LOAD zero rows": isa.load(Buf.X, 0, 0, 16),
    "LOAD columns not 16": isa.load(Buf.X, 0, 1, 8),
    "LOAD past row 129": isa.load(Buf.X, 0, 2, 16, first_row=128),
    "LOAD past the columns": isa.load(Buf.N, 0, 1, 208),
    "LOAD misaligned offset": isa.load(Buf.X, 4, 1, 16),
    "LOAD beyond the I/O region": isa.load(Buf.H, isa.IO_OUTPUT, 129, 768),
    "LOAD buffer 7": isa.load(7, 0, 1, 16),
    "STORE buffer none": isa.store(Buf.NONE, isa.IO_OUTPUT, 1, 16),
    "STORE word 4": isa.Descriptor(Op.STORE, a=0, words=(isa.IO_OUTPUT, 1 | 16 << 16, 0, 1, 0, 0, 0)),
    "LAYERNORM T 130": isa.layernorm(Buf.X, Buf.N, 0, 130),
    "LAYERNORM into Q": isa.layernorm(Buf.X, Buf.Q, 0, 129),
    "LAYERNORM in place": isa.layernorm(Buf.N, Buf.N, 0, 129),
    "LAYERNORM misaligned record": isa.layernorm(Buf.X, Buf.N, 16, 129),
    "LINEAR mode 6": isa.linear(6, Buf.N, Buf.K, 0, 192, 64, 129),
    "LINEAR scaled outside EXPERTS": isa.linear(Mode.SCALED, Buf.N, Buf.X, 0, 192, 192, 129, side=Buf.X),
    "LINEAR K 800": isa.linear(Mode.PLAIN, Buf.H, Buf.K, 0, 800, 64, 129),
    "LINEAR K 100": isa.linear(Mode.PLAIN, Buf.N, Buf.K, 0, 100, 64, 129),
    "LINEAR q into K": isa.linear(Mode.Q, Buf.N, Buf.K, 0, 192, 64, 129),
    "LINEAR resid side none": isa.linear(Mode.RESID, Buf.A, Buf.X, 0, 192, 192, 129),
    "LINEAR plain with side": isa.linear(Mode.PLAIN, Buf.N, Buf.K, 0, 192, 64, 129, side=Buf.X),
    "LINEAR source Q": isa.linear(Mode.PLAIN, Buf.Q, Buf.K, 0, 192, 64, 129),
    "LINEAR in place": isa.linear(Mode.PLAIN, Buf.N, Buf.N, 0, 192, 64, 129),
    "LINEAR source columns": isa.linear(Mode.PLAIN, Buf.N, Buf.K, 0, 192, 64, 129, src_chunk=1),
    "LINEAR destination columns": isa.linear(Mode.PLAIN, Buf.N, Buf.K, 0, 192, 64, 129, dst_chunk=9),
    "LINEAR destination rows": isa.linear(Mode.PLAIN, Buf.N, Buf.K, 0, 192, 64, 100, dst_row=30),
    "LINEAR word 4 outside embed": isa.linear(Mode.PLAIN, Buf.N, Buf.K, 0, 192, 64, 129, embed_offset=32),
    "LINEAR misaligned weights": isa.linear(Mode.PLAIN, Buf.N, Buf.K, 48, 192, 64, 129),
    "ATTENTION head 3": isa.attention(3, 129),
    "ATTENTION with a buffer": isa.Descriptor(Op.ATTENTION, b=Buf.A, words=(0, 128, 0, 0, 0, 0, 0)),
    "MOE_GATE source H": isa.moe_gate(Buf.H, 0, 129),
    "EXPERTS source X": isa.experts(Buf.X, 0),
    "EXPERTS stride too small": isa.experts(Buf.N, 0, isa.EXPERT_BYTES - 32),
    "MARK spec 2": isa.Descriptor(Op.MARK, spec=2),
}


@pytest.mark.parametrize("case", list(BAD_FIELD_CASES))
def test_bad_field(dev, case):
    m = dev.m
    m.buffers[Buf.X][:] = 5
    before = {k: v.copy() for k, v in m.buffers.items()}
    assert dev.run([isa.nop(), BAD_FIELD_CASES[case], isa.end()]) == (Err.BAD_FIELD, 1), case


def test_failing_command_writes_nothing(dev, img):
    m = dev.m
    m.buffers[Buf.N][:] = 3
    m.write32(rm.TIMEOUT, 100)  # the LayerNorm takes 1,601 cycles
    assert dev.run([isa.nop(), isa.layernorm(Buf.N, Buf.A, img.offset("l0_norm1"), 129), isa.end()]) == (Err.TIMEOUT, 1)
    assert not m.buffers[Buf.A].any() and m.read32(rm.TIMEOUT) == 100  # SOFT_RESET keeps the configuration


def test_bad_opcode(dev):
    for op in (0x09, 0x0E, 0x10, 0xFF):
        assert dev.run([isa.nop(), isa.nop(), isa.Descriptor(op), isa.end()]) == (Err.BAD_OPCODE, 2)


def test_bad_image_magic_and_k_in_the_backbone_list(dev, img):
    cmds = program.backbone_program(img, 0)
    target = img.offset("l2_v") + 2 * isa.slab_bytes(192)   # head 0's v pass, its third record
    i = next(j for j, c in enumerate(cmds) if c.op == Op.LINEAR and isa.fields(c)["w_offset"] == img.offset("l2_v"))
    o = dev.wbase - dev.base
    mem = dev.m.mem
    mem[o + target + 44] ^= 0x01                          # magic
    assert dev.run(cmds) == (Err.BAD_IMAGE, i)
    mem[o + target + 44] ^= 0x01
    mem[o + target + 42] = 190                              # K - 1 = 190 in the record
    assert dev.run(cmds) == (Err.BAD_IMAGE, i)
    mem[o + target + 42] = 191
    # a command whose K does not match the record
    bad = isa.linear(Mode.PLAIN, Buf.H, Buf.K, img.offset("l2_k"), 384, 64, 129)
    assert dev.run([isa.nop(), bad, isa.end()]) == (Err.BAD_IMAGE, 1)
    assert dev.run([isa.moe_gate(Buf.N, img.offset("l2_fc2"), 129), isa.end()]) == (Err.BAD_IMAGE, 0)


def test_axi_errors(dev, img):
    m = dev.m
    end_io = dev.base + MEM - 4096                  # I/O region runs past the end of the memory
    before = m.mem.copy()
    assert dev.run([isa.nop(), isa.store(Buf.X, isa.IO_OUTPUT, 129, 192), isa.end()], iobase=end_io) == (Err.AXI_WRITE, 1)
    assert dev.changed(before).size == 0
    assert dev.run([isa.load(Buf.X, isa.IO_OUTPUT, 129, 192), isa.end()], iobase=end_io) == (Err.AXI_READ, 0)
    far = MEM - 32
    assert dev.run([isa.nop(), isa.linear(Mode.PLAIN, Buf.N, Buf.K, far, 192, 64, 129), isa.end()]) == (Err.AXI_READ, 1)
    assert dev.run([isa.nop(), isa.nop()], cmd_base=dev.base + MEM - 32) == (Err.AXI_READ, 1)
    assert dev.run([isa.nop()], wbase=dev.base + MEM, cmd_base=dev.cmd) == (0, 0)  # nothing read from WBASE
    assert dev.run([isa.nop(), isa.end()], cmd_base=dev.base - 4096) == (Err.AXI_READ, 0)


def test_start_rules(dev):
    m = dev.m
    assert dev.run([isa.nop()], count=0) == (Err.BAD_FIELD, 0)
    assert dev.run([isa.end()], wbase=dev.wbase + 32) == (Err.BAD_FIELD, 0)
    assert dev.run([isa.end()], cmd_base=dev.cmd + 16) == (Err.BAD_FIELD, 0)
    # START while busy: flagged, the run goes on to DONE; then START is refused until SOFT_RESET
    dev.start([isa.nop(), isa.nop(), isa.mark(9), isa.end()])
    assert m.advance(1) == 1
    m.write32(rm.CTRL, rm.CTRL_START)
    assert m.read32(rm.STATUS) & 0xFF == rm.STATUS_BUSY | rm.STATUS_ERROR
    assert m.read32(rm.ERROR) == Err.START_BUSY | 1 << 8 and m.read32(rm.IRQ_STATUS) & rm.IRQ_STATUS_ERROR
    m.advance()
    assert m.read32(rm.STATUS) == rm.STATUS_DONE | rm.STATUS_ERROR and m.read32(rm.MARK) == 9
    m.write32(rm.CTRL, rm.CTRL_START)
    assert m.read32(rm.STATUS) == rm.STATUS_DONE | rm.STATUS_ERROR and m.advance() == 0
    m.write32(rm.CTRL, rm.CTRL_SOFT_RESET)
    assert m.read32(rm.STATUS) == 0 and m.read32(rm.ERROR) == 0 and m.read32(rm.MARK) == 0
    assert dev.run([isa.mark(3), isa.end()]) == (0, 0)


def test_hang_watchdog_abort_and_soft_reset(dev, img):
    m = dev.m
    cmds = [isa.nop(), isa.layernorm(Buf.X, Buf.N, img.offset("l0_norm1"), 129), isa.nop(), isa.mark(1), isa.end()]
    m.hang_at = 2
    m.write32(rm.TIMEOUT, 5000)
    assert dev.run(cmds) == (Err.TIMEOUT, 2)
    # without a watchdog the device stays BUSY until ABORT
    m.write32(rm.TIMEOUT, 0)
    dev.start(cmds)
    m.advance()
    assert m.read32(rm.STATUS) == rm.STATUS_BUSY | Op.NOP << 8 and m.read32(rm.CMD_INDEX) == 2
    assert m.advance() == 0 and m.read32(rm.STATUS) & rm.STATUS_BUSY
    m.write32(rm.CTRL, rm.CTRL_SOFT_RESET)          # ignored while busy
    assert m.read32(rm.STATUS) & rm.STATUS_BUSY
    m.write32(rm.CTRL, rm.CTRL_ABORT)
    assert m.read32(rm.STATUS) == rm.STATUS_ERROR and m.read32(rm.ERROR) == Err.ABORTED | 2 << 8
    m.write32(rm.CTRL, rm.CTRL_SOFT_RESET)
    m.hang_at = None
    assert dev.run(cmds) == (0, 0) and m.read32(rm.MARK) == 1
    cycles = m.read32(rm.CYCLES_LO)
    assert cycles == pm.CMD_GAP + pm.ln_cycles(m.cfg, 129)  # the perf model's LayerNorm, issued at once
    m.hang_at = 1
    m.write32(rm.TIMEOUT, 5000)
    assert dev.run(cmds) == (Err.TIMEOUT, 1)


# ---------------------------------------------------------------- fuzzed descriptors
def _templates(img) -> list[isa.Descriptor]:
    t = program.backbone_program(img, 0, stop_after_block=1)
    uniq = {c.pack(): c for c in t}
    return list(uniq.values()) + [isa.store(Buf.N, 0, 64, 192, 0, 0), isa.attention(2, 5), isa.mark(1, True),
                                  isa.load(Buf.Q, isa.IO_OUTPUT, 100, 192)]


DOCUMENTED = {Err.NONE, Err.BAD_OPCODE, Err.BAD_FIELD, Err.AXI_READ, Err.AXI_WRITE, Err.BAD_IMAGE, Err.TIMEOUT}


@pytest.fixture(scope="module")
def templates(img):
    return _templates(img)


@pytest.fixture(scope="module")
def fuzz_dev(img):
    d = Dev(img)
    rng = np.random.default_rng(9)
    d.m.buffers[Buf.N][:] = rnd_act(rng, (129, 192), 1.0)
    d.io_view(0, isa.IO_BYTES)[:] = rng.integers(0, 256, isa.IO_BYTES, dtype=np.uint8)
    return d


@st.composite
def mutated(draw, templates):
    d = draw(st.sampled_from(templates))
    words = [d.word0, *d.words]
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["bit", "byte", "word", "small"]))
        i = draw(st.integers(0, 7))
        if kind == "bit":
            words[i] ^= 1 << draw(st.integers(0, 31))
        elif kind == "byte":
            words[i] = (words[i] & ~(0xFF << 8 * (k := draw(st.integers(0, 3))))) | draw(st.integers(0, 255)) << 8 * k
        elif kind == "word":
            words[i] = draw(st.integers(0, 2**32 - 1))
        else:
            words[i] = (words[i] + draw(st.integers(-64, 64))) % 2**32
    return isa.Descriptor.unpack(np.array(words, "<u4").tobytes())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(data=st.data())
def test_fuzzed_descriptors_end_in_documented_errors(fuzz_dev, templates, data):
    dev, m = fuzz_dev, fuzz_dev.m
    cmd = data.draw(mutated(templates))
    m.write32(rm.TIMEOUT, data.draw(st.sampled_from([0, rm.TIMEOUT_RESET, 2000])))
    bufs = {k: v.copy() for k, v in m.buffers.items()}
    mem = m.mem.copy()
    code, index = dev.run([isa.nop(), cmd, isa.end()], reset=False)
    assert Err(code) in DOCUMENTED and index in (0, 1, 2)
    event(f"{cmd.name} -> {Err(code).name}")
    changed_bufs = {Buf(k) for k in bufs if not np.array_equal(bufs[k], m.buffers[k])}
    io0 = dev.io - dev.base
    changed = dev.changed(mem)
    if code != Err.NONE:
        assert not changed_bufs and changed.size == 0, (cmd, code)
        m.write32(rm.CTRL, rm.CTRL_SOFT_RESET)
        m.buffers = bufs
        return
    f = isa.fields(cmd)
    if cmd.op == Op.STORE:
        lo = io0 + f["io_offset"]
        assert changed.size == 0 or (changed.min() >= lo and changed.max() < lo + 4 * f["rows"] * f["cols"])
        assert changed.size == 0 or changed.max() < io0 + isa.IO_BYTES
    else:
        assert changed.size == 0, cmd
    allowed = {Op.LOAD: {f.get("dst")}, Op.LAYERNORM: {f.get("dst")}, Op.LINEAR: {f.get("dst")},
               Op.ATTENTION: {"A"}, Op.EXPERTS: {"X", "H"}}.get(Op(cmd.op), set())
    assert {b.name for b in changed_bufs} <= allowed, (cmd, changed_bufs)
    for b in changed_bufs:  # rows / columns outside the command's range are untouched
        diff = np.argwhere(bufs[b] != m.buffers[b])
        if cmd.op == Op.LINEAR:
            assert diff[:, 0].min() >= f["dst_row"] and diff[:, 0].max() < f["dst_row"] + f["T"]
            assert diff[:, 1].min() >= 16 * f["dst_chunk"] and diff[:, 1].max() < 16 * f["dst_chunk"] + f["N"]
        elif cmd.op == Op.LOAD:
            assert diff[:, 0].min() >= f["first_row"] and diff[:, 0].max() < f["first_row"] + f["rows"]
            assert diff[:, 1].min() >= f["first_col"] and diff[:, 1].max() < f["first_col"] + f["cols"]
    m.buffers = {k: v.copy() for k, v in bufs.items()}
    m.buffers[Buf.N][:] = bufs[Buf.N]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(data=st.data())
def test_fuzzed_lists_end_in_documented_errors(fuzz_dev, templates, data):
    """Lists of valid and mutated commands, any CMD_COUNT, hangs with and without the watchdog."""
    dev, m = fuzz_dev, fuzz_dev.m
    cmds = data.draw(st.lists(st.one_of(st.sampled_from(templates), mutated(templates)), min_size=1, max_size=4))
    count = data.draw(st.integers(1, len(cmds) + 1))
    hang = data.draw(st.one_of(st.none(), st.integers(0, len(cmds))))
    m.write32(rm.TIMEOUT, data.draw(st.sampled_from([0, rm.TIMEOUT_RESET])))
    c0 = dev.cmd - dev.base
    m.mem[c0:c0 + 64 * 4096] = 0
    mem = m.mem.copy()
    bufs = {k: v.copy() for k, v in m.buffers.items()}
    m.hang_at = hang
    try:
        dev.start(cmds, count=count)
        m.advance()
        st_ = m.read32(rm.STATUS)
        if st_ & rm.STATUS_BUSY:   # hung with the watchdog off: only ABORT ends it
            assert hang is not None and m.read32(rm.TIMEOUT) == 0 and m.read32(rm.CMD_INDEX) == hang
            m.write32(rm.CTRL, rm.CTRL_ABORT)
            assert m.read32(rm.ERROR) == Err.ABORTED | hang << 8
        e = m.read32(rm.ERROR)
        assert not m.read32(rm.STATUS) & rm.STATUS_BUSY
        assert Err(e & 0xFF) in DOCUMENTED | {Err.ABORTED} and (e >> 8) < max(count, 1)
        event(f"list -> {Err(e & 0xFF).name}")
        changed = dev.changed(mem)
        io0 = dev.io - dev.base
        assert changed.size == 0 or (changed.min() >= io0 and changed.max() < io0 + isa.IO_BYTES)
    finally:
        m.hang_at = None
        m.write32(rm.CTRL, rm.CTRL_SOFT_RESET)
        m.buffers = bufs
