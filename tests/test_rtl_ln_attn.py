"""LAYERNORM and ATTENTION in the integrated top (edgemoe_exec_ln, edgemoe_exec_attn) against the ISS.

Every list runs on the Verilator model of ``edgemoe_top`` (:class:`edgemoe.sim.top_model.TopModel`,
the default build with every executor in) and on :class:`edgemoe.driver.iss.Iss` with the
same DDR contents: LOAD the inputs from the I/O region, the command, STORE the destination;
every byte of the I/O region and the STATUS / ERROR / CMD_INDEX registers must agree.

* LAYERNORM: the LN records of the weight image (:func:`edgemoe.driver.image.build_image`
  of the shared reference weights when present, synthetic weights otherwise) and synthetic
  records with extreme mantissas and exponent codes (0, 15; high nibbles set, which the
  exponent bytes ignore); sources X, N, K, V, A; random act inputs with saturating values,
  constant rows (variance 0) and full-scale rows; T = 129 and shorter (rows >= T of the
  destination keep what they held).
* ATTENTION: all three heads, random q / k / v with saturating values (q beyond 18 bits,
  K and V at the act limits, scores beyond act).
* BAD_FIELD: each field rule of the two opcodes (the ISS's code and index); the one
  documented difference: ATTENTION with T < 129 (the kernel is built for 129 tokens) is
  BAD_FIELD in the RTL and runs in the ISS.
* AXI_READ on the LN record, and a watchdog kill in the middle of each command (the
  executors and kernels restart clean: the next list matches the ISS).
* ATTENTION next to a LAYERNORM in one list, with every kind of buffer sharing (a
  sequencer that overlaps the two must still give the ISS's bytes).

* LAYERNORM from X after MOE_GATE + EXPERTS (MoE layer 1 of the image): X holds moe_acc
  codes beyond act (LOAD cannot put them there), which the LN input saturates.

Cycle figures (printed, not asserted): a LAYERNORM of 129 tokens (CYCLES of a list with
one more LAYERNORM) and one ATTENTION head (ATTN_BUSY; CYCLES per further head), beside
the kernels' own cycle formulas (edgemoe.perf_model).
"""
from __future__ import annotations

from functools import partial

import numpy as np
import pytest

from edgemoe import perf_model as pm
from edgemoe.driver import image as wimage, isa, regmap as R
from edgemoe.driver.isa import Buf, Err, Op
from edgemoe.sim import rtl_compare as rc, top_model
from edgemoe.sim.runner import record_vectors

CMD, IO, W = rc.CMD, rc.IO, rc.W       # command list, I/O region and LN records in the DDR
MEM = 2 << 20
REC = 1024                               # LN record stride in the W area
T_ALL = isa.TOKENS
D = 192
ACT_MAX = 2 ** 25 - 1
COMPARE_REGS = rc.CORE_REGS              # STATUS, ERROR, CMD_INDEX


# ---------------------------------------------------------------- devices (edgemoe.sim.rtl_compare)
avail = rc.avail_fixture()
model = rc.model_fixture(MEM)
RtlDev = partial(rc.RtlDev, max_cycles=1_000_000)
program = rc.program


def IssDev(mem_size: int = MEM) -> rc.IssDev:
    return rc.IssDev(mem_size)


def regs(dev) -> dict[str, int]:
    return rc.regs(dev, COMPARE_REGS)


def run_both(model, cmds, memory: dict[int, np.ndarray]) -> tuple[rc.RtlDev, rc.IssDev]:
    """``memory`` {offset: bytes} written into both DDRs, then ``cmds`` run on each."""
    return rc.run_both(model, cmds, memory, mem_size=MEM, max_cycles=1_000_000)


def compare(rtl, iss, what: str) -> int:
    """Every byte of the I/O region and the registers; the number of bytes compared."""
    return rc.compare_io(rtl, iss, what, COMPARE_REGS)


def cycles_of(model, cmds) -> tuple[int, int]:
    """(CYCLES, ATTN_BUSY) of ``cmds`` + END on the top, buffers kept from the last run."""
    dev = RtlDev(model)
    program(dev, cmds + [isa.end()], soft_reset=False)
    dev.run()
    assert dev.read32(R.ERROR) == 0
    return dev.read32(R.CYCLES_LO) | dev.read32(R.CYCLES_HI) << 32, dev.read32(R.ATTN_BUSY)


def int32_bytes(v: np.ndarray) -> np.ndarray:
    return np.frombuffer(np.asarray(v, np.int64).astype("<i4").tobytes(), np.uint8)


# ---------------------------------------------------------------- data
def act_rows(rng, rows: int, scale: float = 3.0) -> np.ndarray:
    """int32 LOAD words: normal act codes, some beyond act (LOAD saturates them), constant and full-scale rows."""
    x = np.round(rng.normal(0.0, scale, (rows, D)) * 2 ** 16).astype(np.int64)
    hit = rng.random((rows, D)) < 0.03
    x[hit] = rng.choice([-2 ** 31, 2 ** 31 - 1, -2 ** 27, 2 ** 27], hit.sum())
    x[rows // 3] = 12345                                          # variance 0: the eps path
    x[rows // 2] = np.where(np.arange(D) % 2, 2 ** 30, -2 ** 30)  # full scale +-act limit
    x[rows - 1] = rng.integers(-3, 4, D)                          # tiny codes
    return x


@pytest.fixture(scope="module")
def ln_records() -> tuple[list[tuple[str, bytes]], str]:
    """LN records: the image's (real weights when the shared folder exists) and synthetic extremes."""
    from edgemoe.golden.fixed_model import FixedWeights
    from edgemoe.golden.weights import default_folder, load_weights

    kind = "real" if default_folder() is not None else "synthetic"
    img = wimage.build_image(FixedWeights.from_float(load_weights(heads=False)))
    recs = []
    for name in ("l0_norm1", "l9_norm2", "l10_norm1", "l4_norm2"):
        o = img.offset(name)
        recs.append((name, img.data[o:o + isa.LN_RECORD]))
    rng = np.random.default_rng(77)
    for name, (ge, be) in (("extreme_0_15", (0x00, 0x0F)), ("extreme_15_0", (0xFF, 0xA0)), ("extreme_7_7", (0x77, 0x37))):
        r = np.zeros(isa.LN_RECORD, np.uint8)
        g = rng.integers(-2 ** 15, 2 ** 15, D)
        b = rng.integers(-2 ** 15, 2 ** 15, D)
        g[:8], b[:8] = [-2 ** 15, 2 ** 15 - 1] * 4, [2 ** 15 - 1, -2 ** 15] * 4
        r[:2 * D] = np.frombuffer(g.astype("<i2").tobytes(), np.uint8)
        r[2 * D:4 * D] = np.frombuffer(b.astype("<i2").tobytes(), np.uint8)
        r[4 * D], r[4 * D + 1] = ge, be
        r[4 * D + 2:] = rng.integers(0, 256, isa.LN_RECORD - 4 * D - 2)  # padding the kernel must ignore
        recs.append((name, r.tobytes()))
    return recs, kind


def w_area(recs) -> np.ndarray:
    a = np.zeros(len(recs) * REC, np.uint8)
    for i, (_, r) in enumerate(recs):
        a[i * REC:i * REC + len(r)] = np.frombuffer(r, np.uint8)
    return a


# ---------------------------------------------------------------- LAYERNORM
# (source, destination, record index, T)
LN_CASES = [
    (Buf.X, Buf.N, 0, 129),
    (Buf.N, Buf.K, 4, 129),
    (Buf.K, Buf.V, 5, 129),
    (Buf.V, Buf.A, 1, 7),
    (Buf.A, Buf.X, 6, 1),
    (Buf.X, Buf.V, 2, 128),
    (Buf.N, Buf.A, 3, 64),
]


# bursty with --full; the default suite: LAYERNORM under bursty AxiRam traffic, sim/tb/test_edgemoe_top_ops.py
@pytest.mark.parametrize("traffic", ["clean", pytest.param("bursty", marks=pytest.mark.slow)])
def test_layernorm_equals_the_iss(model, ln_records, traffic, record_property, capsys):
    recs, kind = ln_records
    rng = np.random.default_rng(3 if traffic == "clean" else 4)
    checked = 0
    cases = LN_CASES
    if traffic == "bursty":  # ready/valid gaps on every channel, jittered DDR latency: the record read stalls
        model.backpressure("bursty")
        model.configure(read_jitter=40, max_outstanding=(2, 2))
        cases = LN_CASES[1:4]
    try:
        checked = _ln_cases(model, recs, cases, rng)
    finally:
        model.backpressure("none")
        model.configure(read_jitter=0, max_outstanding=(8, 8))
    if traffic == "clean":
        ln = isa.layernorm(Buf.X, Buf.N, 0, 129)   # one more LAYERNORM in a list: its marginal cycles
        c = cycles_of(model, [ln, ln])[0] - cycles_of(model, [ln])[0]
        with capsys.disabled():
            print(f"\nedgemoe_exec_ln: LAYERNORM of 129 tokens {c} cycles through the top "
                  f"(record read + 12 parameter beats + tokens; the kernel alone {pm.ln_cycles(pm.Config.zcu102(), 129)})")
    record_vectors(record_property, "top_layernorm", checked, weights=kind, lists=len(cases), traffic=traffic)


def _ln_cases(model, recs, cases, rng) -> int:
    checked = 0
    for src, dst, rec, T in cases:
        x = act_rows(rng, T_ALL, scale=float(rng.choice([0.05, 1.0, 3.0, 40.0])))
        pre = rng.integers(-2 ** 25, 2 ** 25, (T_ALL, D))   # the destination before: rows >= T keep it
        io = np.concatenate([int32_bytes(x), np.zeros(isa.IO_OUTPUT - x.size * 4, np.uint8), int32_bytes(pre)])
        cmds = [isa.load(src, 0, T_ALL, D), isa.load(dst, isa.IO_OUTPUT, T_ALL, D),
                isa.layernorm(src, dst, rec * REC, T), isa.store(dst, isa.IO_OUTPUT, T_ALL, D), isa.end()]
        rtl, iss = run_both(model, cmds, {IO: io, W: w_area(recs)})
        what = f"LAYERNORM {src.name}->{dst.name} {recs[rec][0]} T={T}"
        compare(rtl, iss, what)
        assert regs(rtl)["ERROR"] == 0, what
        checked += T * D
    return checked


# ---------------------------------------------------------------- ATTENTION
def qkv_io(rng) -> np.ndarray:
    """The I/O region: Q words at 0, K words at IO_OUTPUT, V words loaded from IO_OUTPUT / 2 (overlapping both)."""
    q = np.round(rng.normal(0.0, 1.5, (T_ALL, D)) * 2 ** 15).astype(np.int64)
    k = np.round(rng.normal(0.0, 4.0, (T_ALL, D)) * 2 ** 16).astype(np.int64)
    # head 1: saturating q and k (scores far beyond act), head 2: sparse extremes
    q[:, 64:128] = rng.choice([-2 ** 20, 2 ** 20, -3 << 15, 3 << 15], (T_ALL, 64))
    k[:, 64:128] = rng.choice([-2 ** 28, 2 ** 28, -ACT_MAX, ACT_MAX, 0], (T_ALL, 64))
    hit = rng.random((T_ALL, 64)) < 0.05
    q[:, 128:][hit] = 2 ** 31 - 1
    k[:, 128:][hit[::-1]] = -2 ** 31
    io = np.zeros(isa.IO_BYTES, np.uint8)
    io[:q.size * 4] = int32_bytes(q)
    io[isa.IO_OUTPUT:] = int32_bytes(k)
    v = io[isa.IO_OUTPUT // 2:isa.IO_OUTPUT // 2 + 4 * T_ALL * D].view("<i4").copy()  # mixed rows: q and k words
    v[::7] = np.where(np.arange(v[::7].size) % 2, 2 ** 31 - 1, -2 ** 31)             # act limits after LOAD
    io[isa.IO_OUTPUT // 2:isa.IO_OUTPUT // 2 + v.size * 4] = np.frombuffer(v.tobytes(), np.uint8)
    return io


def attention_list(heads) -> list:
    return [isa.load(Buf.Q, 0, T_ALL, D), isa.load(Buf.K, isa.IO_OUTPUT, T_ALL, D),
            isa.load(Buf.V, isa.IO_OUTPUT // 2, T_ALL, D), isa.load(Buf.A, isa.IO_OUTPUT // 2, T_ALL, D),
            *[isa.attention(h, T_ALL) for h in heads], isa.store(Buf.A, isa.IO_OUTPUT, T_ALL, D), isa.end()]


def test_attention_equals_the_iss(model, record_property, capsys):
    rng = np.random.default_rng(11)
    checked = 0
    for heads in ([0, 1, 2], [2, 0]):   # the second: head 1 of A keeps the loaded words
        io = qkv_io(rng)
        rtl, iss = run_both(model, attention_list(heads), {IO: io})
        compare(rtl, iss, f"ATTENTION heads {heads}")
        assert regs(rtl)["ERROR"] == 0
        out = rtl.mem[IO + isa.IO_OUTPUT:IO + isa.IO_BYTES].view("<i4").reshape(T_ALL, D)
        checked += T_ALL * 64 * len(heads)
    assert np.abs(out).max() > 0
    busy = cycles_of(model, [isa.attention(0, T_ALL)])[1]
    c = cycles_of(model, [isa.attention(h, T_ALL) for h in range(3)])[0] - cycles_of(model, [isa.attention(0, T_ALL)])[0]
    with capsys.disabled():
        print(f"\nedgemoe_exec_attn: ATTENTION of one head (T = 129) {busy} cycles busy (ATTN_BUSY), "
              f"{c / 2:.0f} per further head in a list (the kernel alone {pm.attention_head_cycles(pm.Config.zcu102(), 129)})")
    record_vectors(record_property, "top_attention", checked, heads=3)


# ---------------------------------------------------------------- field rules and errors
def _desc(op, a=0, b=0, c=0, spec=0, words=(0,) * 7) -> isa.Descriptor:
    return isa.Descriptor(op, a, b, c, spec, tuple(words))


LN_W = (0, 128, 0, 0, 0, 0, 0)
BAD = {
    "LAYERNORM C set": _desc(Op.LAYERNORM, Buf.X, Buf.N, Buf.K, 0, LN_W),
    "LAYERNORM spec set": _desc(Op.LAYERNORM, Buf.X, Buf.N, 0, 1, LN_W),
    "LAYERNORM from Q": _desc(Op.LAYERNORM, Buf.Q, Buf.N, 0, 0, LN_W),
    "LAYERNORM into H": _desc(Op.LAYERNORM, Buf.X, Buf.H, 0, 0, LN_W),
    "LAYERNORM in place": _desc(Op.LAYERNORM, Buf.K, Buf.K, 0, 0, LN_W),
    "LAYERNORM misaligned record": _desc(Op.LAYERNORM, Buf.X, Buf.N, 0, 0, (16, 128, 0, 0, 0, 0, 0)),
    "LAYERNORM T 130": _desc(Op.LAYERNORM, Buf.X, Buf.N, 0, 0, (0, 129, 0, 0, 0, 0, 0)),
    "LAYERNORM word 2 high bits": _desc(Op.LAYERNORM, Buf.X, Buf.N, 0, 0, (0, 0x100, 0, 0, 0, 0, 0)),
    "LAYERNORM word 3": _desc(Op.LAYERNORM, Buf.X, Buf.N, 0, 0, (0, 128, 1, 0, 0, 0, 0)),
    "LAYERNORM word 7": _desc(Op.LAYERNORM, Buf.X, Buf.N, 0, 0, (0, 128, 0, 0, 0, 0, 1 << 31)),
    "ATTENTION head 3": _desc(Op.ATTENTION, spec=3, words=LN_W),
    "ATTENTION spec high bit": _desc(Op.ATTENTION, spec=0x400, words=LN_W),
    "ATTENTION buffer A": _desc(Op.ATTENTION, a=Buf.Q, words=LN_W),
    "ATTENTION buffer C": _desc(Op.ATTENTION, c=Buf.V, words=LN_W),
    "ATTENTION word 1": _desc(Op.ATTENTION, words=(32, 128, 0, 0, 0, 0, 0)),
    "ATTENTION T 130": _desc(Op.ATTENTION, words=(0, 129, 0, 0, 0, 0, 0)),
    "ATTENTION word 4": _desc(Op.ATTENTION, words=(0, 128, 0, 5, 0, 0, 0)),
}


def test_bad_fields_equal_the_iss(model, record_property):
    """Each rule: BAD_FIELD at the command's index, nothing after it runs (the STORE's bytes stay)."""
    rng = np.random.default_rng(5)
    io = rng.integers(0, 256, isa.IO_BYTES).astype(np.uint8)
    for what, d in BAD.items():
        cmds = [isa.load(Buf.N, 0, 4, D), isa.nop(), d, isa.store(Buf.N, isa.IO_OUTPUT, 4, D), isa.end()]
        rtl, iss = run_both(model, cmds, {IO: io})
        compare(rtl, iss, what)
        assert rtl.read32(R.ERROR) == Err.BAD_FIELD | 2 << 8, what
    record_vectors(record_property, "top_ln_attn_bad_field", len(BAD))


@pytest.mark.parametrize("T", [128, 1])
def test_attention_shorter_than_129_tokens_is_bad_field(model, T):
    """The documented difference: the kernel is built for 129 tokens; the ISS runs T < 129."""
    cmds = [isa.nop(), isa.attention(1, T), isa.end()]
    rtl, iss = run_both(model, cmds, {})
    assert rtl.read32(R.ERROR) == Err.BAD_FIELD | 1 << 8
    assert iss.read32(R.ERROR) == 0


def test_layernorm_record_outside_the_memory_is_axi_read(model):
    off = MEM - W - 64   # 32-byte aligned; the record's last 768 bytes lie past the end of the memory
    cmds = [isa.nop(), isa.layernorm(Buf.X, Buf.N, off, 129), isa.end()]
    rtl, iss = run_both(model, cmds, {})
    assert rtl.read32(R.ERROR) == iss.read32(R.ERROR) == Err.AXI_READ | 1 << 8
    assert not rtl.read32(R.STATUS) & R.STATUS_BUSY


@pytest.mark.parametrize("op,timeout", [("layernorm", 100), ("layernorm", 600), ("attention", 600),
                                        ("attention", 5000)])
def test_watchdog_kill_mid_command_then_clean_rerun(model, ln_records, op, timeout):
    """LAYERNORM killed during its record read (100) and its tokens (600); ATTENTION early and late."""
    recs, _ = ln_records
    rng = np.random.default_rng(21)
    if op == "layernorm":
        x = act_rows(rng, T_ALL)
        io = np.concatenate([int32_bytes(x), np.zeros(isa.IO_BYTES - x.size * 4, np.uint8)])
        mid = [isa.layernorm(Buf.X, Buf.N, 2 * REC, 129)]
        store = isa.store(Buf.N, isa.IO_OUTPUT, T_ALL, D)
        cmds = [isa.load(Buf.X, 0, T_ALL, D), *mid, store, isa.end()]
    else:
        io = qkv_io(rng)
        cmds = attention_list([1])
        mid = [isa.attention(1, T_ALL)]
    dev = RtlDev(model)
    dev.mem[IO:IO + io.size] = io
    dev.mem[W:W + len(recs) * REC] = w_area(recs)
    program(dev, cmds)
    dev.run()
    assert dev.read32(R.ERROR) == 0
    # the command alone, killed by the watchdog part-way (buffers kept)
    program(dev, mid + [isa.end()], timeout=timeout, soft_reset=False)
    dev.run()
    err = dev.read32(R.ERROR)
    assert (err & R.ERROR_CODE, err >> R.ERROR_INDEX_SHIFT) == (Err.TIMEOUT, 0)
    model.step(2000)  # drain
    rtl, iss = run_both(model, cmds, {IO: io, W: w_area(recs)})
    compare(rtl, iss, f"{op} after a kill")


# ---------------------------------------------------------------- ATTENTION beside LAYERNORM
# The sequencer may run ATTENTION (class 1) while a class-0 command runs, under the
# scoreboard. Each list: the two commands in both orders with every kind of sharing.
SIDE = {
    "independent (X -> N)": [isa.attention(0, T_ALL), isa.layernorm(Buf.X, Buf.N, 0, T_ALL)],
    "LN reads K, which ATTENTION reads": [isa.attention(1, T_ALL), isa.layernorm(Buf.K, Buf.N, 0, T_ALL)],
    "LN writes A, which ATTENTION writes": [isa.attention(2, T_ALL), isa.layernorm(Buf.X, Buf.A, 0, T_ALL)],
    "LN writes V before ATTENTION reads it": [isa.layernorm(Buf.X, Buf.V, 0, T_ALL), isa.attention(0, T_ALL)],
    "LN reads A after ATTENTION writes it": [isa.attention(1, T_ALL), isa.layernorm(Buf.A, Buf.N, 0, T_ALL)],
}


@pytest.mark.parametrize("case", list(SIDE), ids=list(SIDE))
def test_attention_beside_layernorm_equals_the_iss(model, ln_records, case, record_property):
    recs, _ = ln_records
    rng = np.random.default_rng(len(case))
    io = qkv_io(rng)
    cmds = [isa.load(Buf.X, 0, T_ALL, D), isa.load(Buf.N, isa.IO_OUTPUT // 2, T_ALL, D), *attention_list([])[:4],
            *SIDE[case],
            isa.store(Buf.A, isa.IO_OUTPUT, T_ALL, D), isa.store(Buf.N, 0, T_ALL, D), isa.end()]
    if "writes V" in case:
        cmds[-2] = isa.store(Buf.V, 0, T_ALL, D)
    rtl, iss = run_both(model, cmds, {IO: io, W: w_area(recs)})
    n = compare(rtl, iss, case)
    assert regs(rtl)["ERROR"] == 0
    record_vectors(record_property, "top_attention_beside_layernorm", n // 4, case=case)


# ---------------------------------------------------------------- LAYERNORM of X beyond act
def test_layernorm_of_moe_acc_beyond_act_equals_the_iss(avail, ln_records, record_property):
    """X after EXPERTS holds moe_acc codes beyond act (LOAD cannot put them there): LAYERNORM
    from X saturates them (sat_act, as every reader of X does). MoE layer 1 of the image."""
    from edgemoe.golden.fixed_model import FixedWeights
    from edgemoe.golden.weights import load_weights

    recs, _ = ln_records
    img = wimage.build_image(FixedWeights.from_float(load_weights(heads=False)))
    gate, exps = 8192, 16384                       # W offsets (the LN records lie below 8192)
    area = np.zeros(exps + 16 * isa.EXPERT_BYTES, np.uint8)
    area[:len(recs) * REC] = w_area(recs)
    for name, off in (("l1_gate_task0", gate), ("l1_experts", exps)):
        o, n = img.offset(name), img.size(name)
        area[off:off + n] = np.frombuffer(img.data[o:o + n], np.uint8)
    mem = 8 << 20
    rng = np.random.default_rng(9)
    x = act_rows(rng, T_ALL, scale=100.0)
    x[rng.random(x.shape) < 0.4] = 2 ** 31 - 1      # X at the act limit: the experts' sum goes beyond
    n_in = act_rows(rng, T_ALL, scale=1.0)
    io = np.concatenate([int32_bytes(n_in), np.zeros(isa.IO_OUTPUT - n_in.size * 4, np.uint8), int32_bytes(x)])
    cmds = [isa.load(Buf.N, 0, T_ALL, D), isa.load(Buf.X, isa.IO_OUTPUT, T_ALL, D),
            isa.moe_gate(Buf.N, gate, T_ALL), isa.experts(Buf.N, exps),
            isa.layernorm(Buf.X, Buf.K, 5 * REC, T_ALL), isa.store(Buf.K, isa.IO_OUTPUT, T_ALL, D),
            isa.store(Buf.X, 0, T_ALL, D), isa.end()]
    m = top_model.TopModel(mem_size=mem)
    try:
        rtl, iss = RtlDev(m), IssDev(mem)
        for d in (rtl, iss):
            d.mem[IO:IO + io.size] = io
            d.mem[W:W + area.size] = area
            program(d, cmds)
            d.run(20_000_000)
        xb = iss.iss.buffers[Buf.X]
        beyond = int((np.abs(xb) > ACT_MAX).sum())
        assert beyond > 1000, f"only {beyond} X codes beyond act: the saturation is not exercised"
        n = compare(rtl, iss, "LAYERNORM of X after EXPERTS")
        assert regs(rtl)["ERROR"] == 0
    finally:
        m.close()
    record_vectors(record_property, "top_layernorm_moe_acc", n // 4, beyond_act=beyond)
