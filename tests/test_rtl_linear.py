"""LINEAR in the integrated top (hw/rtl/edgemoe_exec_lin.sv: the cluster, its weight feeders and
the act / side / out streams) against the instruction-set model.

Every list runs on the Verilator model of ``edgemoe_top`` (:class:`edgemoe.sim.top_model.TopModel`,
the default build) and on :class:`edgemoe.driver.iss.Iss` with the same DDR: LOAD a background
into the whole destination buffer and the inputs into the source, the LINEAR, STORE the whole
destination buffer (H in three row blocks, runs that keep the buffers); every byte of the I/O
region and STATUS / ERROR / CMD_INDEX must agree.

* Slab records of the weight image (:func:`edgemoe.driver.image.build_image` of the shared
  reference weights when present, synthetic weights otherwise): a q head (mode q into Q), k and
  v heads (plain into K and V; a source X), proj (resid), fc1 (gelu into H), fc2 (resid from
  H), the gate record (N = 16, no bias), the patch embedding (mode 5, the image's embed_add
  record, into X rows 1..128; and N = 64 into H).
* Synthetic records: K = 16 (Kt = 1), N = 80 (a last round of one slab), N = 768 (48 slabs),
  K = 768 N = 16, source and destination chunk offsets, destination rows up to 128, per-record
  bias exponents (each record its own), extreme row exponents; T = 1, 17, 129.
* BAD_FIELD for each LINEAR field rule, BAD_IMAGE (a record's magic, K - 1, valid rows),
  AXI_READ (slab records and the embed_add record outside the memory), a watchdog kill in the
  middle of a pass; the next list after each matches the ISS (the cluster restarts clean).

Cycle figures (printed and recorded, not asserted): LIN_BUSY of the q, k, v, proj, fc1, fc2
and embed passes at T = 129 (embed 128) against the cluster's closed form (module header) and
``edgemoe.perf_model``.
"""
from __future__ import annotations

from functools import lru_cache, partial

import numpy as np
import pytest

from edgemoe import perf_model
from edgemoe.driver import image as wimage, isa, regmap as R
from edgemoe.driver.isa import Buf, Descriptor, Err, LoadFormat, Mode, Op
from edgemoe.golden.fixedpoint import Scaled
from edgemoe.sim import rtl_compare as rc
from edgemoe.sim.runner import record_vectors

CMD, IO, W = rc.CMD, rc.IO, rc.W       # command list, I/O region, weight area in the DDR
MEM = 4 << 20
SYN = 0x200000                           # synthetic records, relative to W
T_ALL = isa.TOKENS
D, HID = 192, 768
COLS = {b: isa.BUF_COLS[b] for b in isa.BUF_COLS}
BG32 = 99_072                            # I/O offset of the 129 x 192 int32 background
COMPARE_REGS = rc.CORE_REGS              # STATUS, ERROR, CMD_INDEX
# The error cases compare STATUS and ERROR; CMD_INDEX after an executor's error (the failing
# command's index, docs "Sequencer rules") has its own test, test_cmd_index_after_an_error.
ERR_REGS = ("STATUS", "ERROR")


# ---------------------------------------------------------------- devices (edgemoe.sim.rtl_compare)
avail = rc.avail_fixture()
model = rc.model_fixture(MEM)
RtlDev = rc.RtlDev
IssDev = partial(rc.IssDev, MEM)
program = rc.program


def regs(dev, names: tuple[str, ...] = COMPARE_REGS) -> dict[str, int]:
    return rc.regs(dev, names)


def compare(rtl, iss, what: str, names: tuple[str, ...] = COMPARE_REGS) -> None:
    rc.compare_io(rtl, iss, what, names)


# ---------------------------------------------------------------- DDR contents
@lru_cache(maxsize=1)
def image() -> tuple[wimage.WeightImage, bool]:
    """The weight image (shared reference backbone when present) and whether it is the real one."""
    from edgemoe.golden.fixed_model import FixedWeights
    from edgemoe.golden.weights import default_folder, load_weights

    f = default_folder()
    real = f is not None and (f / "image.float32.bin").is_file()
    return wimage.build_image(FixedWeights.from_float(load_weights(heads=False))), real


def synthetic_records(seed: int, K: int, N: int, bias: bool = True) -> bytes:
    """Random slab records: row exponents over the whole range (frac 10..21), each record its own
    bias exponent (codes 0..15), mantissas with both int16 extremes."""
    rng = np.random.default_rng(seed)
    w = rng.integers(-(1 << 15), 1 << 15, size=(N, K))
    w[0, :2] = (-(1 << 15), (1 << 15) - 1)
    wf = rng.integers(wimage.W_EXP_MIN, wimage.W_EXP_MIN + 12, size=N)
    wf[:2] = (wimage.W_EXP_MIN, wimage.W_EXP_MIN + 11)
    out = b""
    for r0 in range(0, N, 16):
        rows = slice(r0, min(N, r0 + 16))
        b = Scaled(rng.integers(-(1 << 15), 1 << 15, size=rows.stop - r0),
                   np.array(wimage.B_EXP_MIN + int(rng.integers(0, 16)))) if bias else None
        out += wimage.slab_records(Scaled(w[rows], wf[rows]), b)
    return out


SYNTH = {  # name: (seed, K, N, bias) laid out back to back from SYN
    "k16": (1, 16, 64, True), "k32n80": (2, 32, 80, True), "k64n768": (3, 64, 768, True),
    "k768n16": (4, 768, 16, True), "k64n48": (5, 64, 48, False), "k32n48": (6, 32, 48, True),
}


@lru_cache(maxsize=1)
def weight_area() -> tuple[np.ndarray, dict[str, int]]:
    """The W area: the image up to the MoE layer's gate records, then the synthetic records."""
    img, _ = image()
    end = img.offset("l1_gate_task1")
    assert end <= SYN
    offs = {n: img.offset(n) for n in ("patch_embed_weight", "embed_add", "l0_q", "l0_k", "l0_v", "l0_attn_proj",
                                        "l0_fc1", "l0_fc2", "l1_gate_task0")}
    blob = bytearray(img.data[:end])
    blob += bytes(SYN - end)
    for name, (seed, K, N, bias) in SYNTH.items():
        offs[name] = len(blob)
        blob += synthetic_records(seed, K, N, bias)
    assert W + len(blob) <= MEM
    return np.frombuffer(bytes(blob), np.uint8), offs


def io_data(seed: int) -> np.ndarray:
    """The I/O region as int32 words: mostly LayerNorm-sized act codes, 2% beyond the act range
    (LOAD saturates them), both act extremes; its bytes double as pixels for pix loads."""
    rng = np.random.default_rng(seed)
    n = isa.IO_BYTES // 4
    v = rng.integers(-(1 << 18), 1 << 18, size=n)
    big = rng.random(n) < 0.02
    v[big] = rng.integers(-(1 << 27), 1 << 27, size=int(big.sum()))
    v[:2] = (-(1 << 25), (1 << 25) - 1)
    return v.astype("<i4").view(np.uint8)


def setup(dev, seed: int) -> None:
    area, _ = weight_area()
    dev.mem[W:W + area.size] = area
    dev.mem[IO:IO + isa.IO_BYTES] = io_data(seed)


# ---------------------------------------------------------------- command lists
def background(buf: int) -> list[Descriptor]:
    """The whole buffer from the I/O region (H as pixels: 129 x 768 bytes)."""
    if buf == Buf.H:
        return [isa.load(Buf.H, 0, T_ALL, HID, fmt=LoadFormat.PIX)]
    return [isa.load(buf, BG32, T_ALL, D)]


def source(buf: int, T: int, pix: bool = False) -> list[Descriptor]:
    """Rows 0..T-1 of the source, every column (H: four 192-column pieces at shifted offsets)."""
    if buf != Buf.H:
        return [isa.load(buf, 0, T, D)]
    if pix:
        return [isa.load(Buf.H, 0, T, HID, fmt=LoadFormat.PIX)]
    return [isa.load(Buf.H, k * 24_768, T, D, first_col=D * k) for k in range(4)]


def stores(buf: int) -> list[list[Descriptor]]:
    """STOREs of the whole buffer to I/O offset 0, one list per run."""
    if buf != Buf.H:
        return [[isa.store(buf, 0, T_ALL, D)]]
    return [[isa.store(Buf.H, 0, 64, HID)], [isa.store(Buf.H, 0, 64, HID, first_row=64)],
            [isa.store(Buf.H, 0, 1, HID, first_row=128)]]


def run_case(model, lin: Descriptor, *, src_pix: bool = False, seed: int = 0, timeout: int = R.TIMEOUT_RESET
             ) -> tuple[rc.RtlDev, rc.IssDev, int, int]:
    """Background, inputs, the LINEAR, the stores; every run compared. Returns the devices, the
    destination elements compared and LIN_BUSY of the LINEAR's run."""
    src, dst, T = lin.a, lin.b, (lin.words[2] & 0xFF) + 1
    pre = background(dst) + source(src, T, src_pix)
    st = stores(dst)
    rtl, iss = RtlDev(model), IssDev()
    for i, tail in enumerate(st):
        for d in (rtl, iss):
            if i == 0:
                setup(d, seed)
                program(d, pre + [lin] + tail + [isa.end()], timeout=timeout)
            else:
                program(d, tail + [isa.end()], soft_reset=False)
            d.run()
        compare(rtl, iss, f"{name_of(lin)}, store {i}")
        assert rtl.read32(R.STATUS) & R.STATUS_DONE and rtl.read32(R.ERROR) == 0
        if i == 0:
            busy = lin_busy(rtl)
    return rtl, iss, T_ALL * COLS[dst], busy


def name_of(d: Descriptor) -> str:
    f = isa.fields(d)
    return f"LINEAR {f}"


def lin_busy(dev: rc.RtlDev) -> int:
    return dev.read32(R.LIN_BUSY)


def real_cases() -> dict[str, tuple[Descriptor, bool]]:
    """(descriptor, source as pixels) of the image's passes."""
    _, o = weight_area()
    head = isa.pass_bytes(D, 64)
    L = isa.linear
    return {
        "q_head1": (L(Mode.Q, Buf.N, Buf.Q, o["l0_q"] + head, D, 64, 129, dst_chunk=4), False),
        "k_head2_T17": (L(Mode.PLAIN, Buf.N, Buf.K, o["l0_k"] + 2 * head, D, 64, 17, dst_chunk=8), False),
        "v_head0_T1_srcX": (L(Mode.PLAIN, Buf.X, Buf.V, o["l0_v"], D, 64, 1), False),
        "proj_resid": (L(Mode.RESID, Buf.A, Buf.X, o["l0_attn_proj"], D, D, 129, side=Buf.X), False),
        "fc1_gelu_T40": (L(Mode.GELU, Buf.N, Buf.H, o["l0_fc1"], D, HID, 40), False),
        "fc2_resid_T33": (L(Mode.RESID, Buf.H, Buf.X, o["l0_fc2"], HID, D, 33, side=Buf.X), False),
        "proj_N48_resid_rows70": (L(Mode.RESID, Buf.A, Buf.X, o["l0_attn_proj"], D, 48, 50, side=Buf.X, dst_chunk=5,
                                    dst_row=70), False),
        "gate_N16": (L(Mode.PLAIN, Buf.K, Buf.A, o["l1_gate_task0"], D, 16, 129, has_bias=False, dst_chunk=5), False),
        "embed": (L(Mode.EMBED, Buf.H, Buf.X, o["patch_embed_weight"], HID, D, 128, has_bias=False, dst_row=1,
                    embed_offset=o["embed_add"]), True),
        "embed_N64_into_N": (L(Mode.EMBED, Buf.H, Buf.N, o["patch_embed_weight"], HID, 64, 5, has_bias=False,
                               dst_chunk=7, dst_row=3, embed_offset=o["embed_add"]), True),
    }


def synthetic_cases() -> dict[str, Descriptor]:
    _, o = weight_area()
    L = isa.linear
    return {
        "k16_Kt1": L(Mode.PLAIN, Buf.V, Buf.A, o["k16"], 16, 64, 129, src_chunk=3, dst_chunk=8),
        "k32_n80_gelu": L(Mode.GELU, Buf.A, Buf.H, o["k32n80"], 32, 80, 17, src_chunk=10, dst_chunk=43, dst_row=112),
        "k64_n768_T3": L(Mode.PLAIN, Buf.N, Buf.H, o["k64n768"], 64, 768, 3, src_chunk=8, dst_row=126),
        "k768_n16_resid": L(Mode.RESID, Buf.H, Buf.X, o["k768n16"], 768, 16, 129, side=Buf.X, dst_chunk=11),
        "k64_n48_q_nobias": L(Mode.Q, Buf.X, Buf.Q, o["k64n48"], 64, 48, 60, src_chunk=6, dst_chunk=9, dst_row=69),
        "k32_n48_embed_bias": L(Mode.EMBED, Buf.K, Buf.V, o["k32n48"], 32, 48, 129, src_chunk=1, dst_chunk=2,
                                embed_offset=o["embed_add"]),
    }


# ---------------------------------------------------------------- the image's passes
@pytest.mark.parametrize("case", list(real_cases()))
def test_image_pass_equals_the_iss(model, case, record_property):
    d, pix = real_cases()[case]
    _, _, n, busy = run_case(model, d, src_pix=pix, seed=sum(map(ord, case)))
    _, real = image()
    record_vectors(record_property, "rtl_linear", n, case=case, weights="shared" if real else "synthetic",
                   lin_busy=busy)


@pytest.mark.parametrize("case", list(synthetic_cases()))
def test_synthetic_pass_equals_the_iss(model, case, record_property):
    d = synthetic_cases()[case]
    _, _, n, busy = run_case(model, d, seed=7 + len(case))
    record_vectors(record_property, "rtl_linear", n, case=case, weights="synthetic", lin_busy=busy)


@pytest.mark.slow  # the default suite: every LINEAR mode under bursty AxiRam traffic, sim/tb/test_edgemoe_top_ops.py
def test_bursty_traffic_equals_the_iss(model, record_property):
    """Seeded bursty ready/valid gaps on every AXI channel of the four ports and a jittered DDR
    latency (the feeders pair beats across R-channel gaps; jobs wait for idle engines)."""
    saved = dict(model._cfg)
    model.backpressure("bursty")
    model.configure(read_jitter=40, max_outstanding=(2, 2))
    try:
        n = 0
        for case in ("proj_resid", "embed_N64_into_N", "q_head1"):
            d, pix = real_cases()[case]
            n += run_case(model, d, src_pix=pix, seed=21)[2]
        for case in ("k32_n80_gelu", "k64_n768_T3", "k16_Kt1"):
            n += run_case(model, synthetic_cases()[case], seed=22)[2]
    finally:
        model.backpressure("none")
        model.configure(**saved)
    record_vectors(record_property, "rtl_linear", n, case="bursty_traffic")


# ---------------------------------------------------------------- errors
def bad_field_cases() -> dict[str, Descriptor]:
    _, o = weight_area()
    q = o["l0_q"]

    def lin(mode=Mode.PLAIN, a=Buf.N, b=Buf.K, c=Buf.NONE, w1=q, K=D, N=64, T=129, sc=0, dc=0, dr=0, w4=0,
            bias=1, spec_hi=0, w5=0, w7=0, w2_extra=0) -> Descriptor:
        words = [w1, (K - 1) | (N - 1) << 16 | w2_extra, (T - 1) | sc << 8 | dc << 16 | dr << 24, w4, w5, 0, w7]
        return Descriptor(Op.LINEAR, a=a, b=b, c=c, spec=mode | bias << 3 | spec_hi << 4, words=tuple(words))

    return {
        "mode_scaled": lin(mode=Mode.SCALED, b=Buf.X, c=Buf.X), "mode_6": lin(mode=6), "mode_7": lin(mode=7),
        "spec_bit4": lin(spec_hi=1), "spec_bit11": lin(spec_hi=0x80),
        "w_offset_16": lin(w1=q + 16), "K_8": lin(K=8), "K_784": lin(K=784), "N_8": lin(N=8), "N_784": lin(N=784),
        "word2_bit10": lin(w2_extra=1 << 10), "word2_bit31": lin(w2_extra=1 << 31), "T_130": lin(T=130),
        "src_Q": lin(a=Buf.Q), "src_7": lin(a=7), "src_15": lin(a=15), "dst_Q_plain": lin(b=Buf.Q),
        "dst_X_q": lin(mode=Mode.Q, b=Buf.X), "dst_N_resid": lin(mode=Mode.RESID, b=Buf.N, c=Buf.X),
        "dst_15": lin(b=15), "src_is_dst": lin(a=Buf.K, b=Buf.K), "side_X_plain": lin(c=Buf.X),
        "side_none_resid": lin(mode=Mode.RESID, a=Buf.A, b=Buf.X), "side_N_resid": lin(mode=Mode.RESID, b=Buf.X,
                                                                                      c=Buf.N),
        "src_cols": lin(sc=1), "src_cols_H": lin(a=Buf.H, sc=37), "dst_cols": lin(dc=9),
        "dst_rows": lin(T=129, dr=1), "dst_rows_2": lin(T=100, dr=30),
        "embed_w4_16": lin(mode=Mode.EMBED, w4=16), "embed_N208": lin(mode=Mode.EMBED, N=208, b=Buf.H, w4=32),
        "w4_plain": lin(w4=32), "word5": lin(w5=1), "word7": lin(w7=1 << 31),
    }


def test_bad_field_equals_the_iss(model, record_property):
    """Each LINEAR field rule: BAD_FIELD at the command's index on both (the list's first
    command ran, the STORE after it did not)."""
    cases = bad_field_cases()
    rtl, iss = RtlDev(model), IssDev()
    for name, d in cases.items():
        cmds = [isa.load(Buf.N, 0, 4, D), d, isa.store(Buf.N, 0, 4, D), isa.end()]
        for dev in (rtl, iss):
            setup(dev, 3)
            program(dev, cmds)
            dev.run()
        err = rtl.read32(R.ERROR)
        assert (err & R.ERROR_CODE, err >> R.ERROR_INDEX_SHIFT) == (Err.BAD_FIELD, 1), f"{name}: ERROR 0x{err:x}"
        compare(rtl, iss, f"BAD_FIELD {name}", ERR_REGS)
    record_vectors(record_property, "rtl_linear_bad_field", len(cases))


def _corrupt(dev, off: int, byte: int, value: int | None = None, xor: int = 0) -> None:
    a = W + off + byte
    dev.mem[a] = value if value is not None else dev.mem[a] ^ xor


def test_bad_image_and_axi_read_equal_the_iss(model, record_property):
    """BAD_IMAGE on a record's magic, K - 1 and valid rows; AXI_READ on records and on the embed_add
    record beyond the memory; after each, a good pass equals the ISS (the cluster was reset)."""
    _, o = weight_area()
    rec = isa.slab_bytes(D)
    L = isa.linear
    proj = L(Mode.RESID, Buf.A, Buf.X, o["l0_attn_proj"], D, D, 20, side=Buf.X)
    beyond = MEM - W - 2 * rec                     # the pass's third record lies past the memory
    cases = {
        "magic_rec2": (proj, lambda d: _corrupt(d, o["l0_attn_proj"], 2 * rec + 45, xor=0x10), Err.BAD_IMAGE),
        "magic_rec9": (proj, lambda d: _corrupt(d, o["l0_attn_proj"], 9 * rec + 47, xor=0x80), Err.BAD_IMAGE),
        "k_mismatch": (L(Mode.PLAIN, Buf.H, Buf.N, o["l0_fc2"], D, 16, 5), None, Err.BAD_IMAGE),
        "rows_rec1": (proj, lambda d: _corrupt(d, o["l0_attn_proj"], rec + 41, value=14), Err.BAD_IMAGE),
        "records_beyond_memory": (L(Mode.PLAIN, Buf.N, Buf.K, MEM - W, D, 64, 10), None, Err.AXI_READ),
        # records 0, 1 (good copies of q's) are the memory's last bytes, records 2, 3 lie beyond
        "records_2_3_beyond": (L(Mode.PLAIN, Buf.N, Buf.K, beyond, D, 64, 10),
                               lambda d: d.mem.__setitem__(slice(W + beyond, MEM),
                                                           d.mem[W + o["l0_q"]:W + o["l0_q"] + 2 * rec]),
                               Err.AXI_READ),
        "embed_add_beyond_memory": (L(Mode.EMBED, Buf.H, Buf.X, o["patch_embed_weight"], HID, D, 128,
                                      has_bias=False, dst_row=1, embed_offset=MEM - W - 4096), None, Err.AXI_READ),
    }
    good = real_cases()["q_head1"][0]
    n = 0
    for name, (d, corrupt, code) in cases.items():
        rtl, iss = RtlDev(model), IssDev()
        for dev in (rtl, iss):
            setup(dev, 5)
            if corrupt:
                corrupt(dev)
            program(dev, [isa.load(Buf.A, 0, 20, D), isa.nop(), d, isa.store(Buf.X, 0, 1, D), isa.end()])
            dev.run()
        err = rtl.read32(R.ERROR)
        assert (err & R.ERROR_CODE, err >> R.ERROR_INDEX_SHIFT) == (code, 2), f"{name}: ERROR 0x{err:x}"
        assert regs(rtl, ERR_REGS) == regs(iss, ERR_REGS), f"{name}: registers {regs(rtl)} != ISS {regs(iss)}"
        run_case(model, good, seed=11)
        n += 1
    record_vectors(record_property, "rtl_linear_bad_image", n)


def test_watchdog_kill_mid_pass_then_clean(model, record_property):
    """TIMEOUT in the middle of a long pass (the kill resets the executor and the cluster with
    weight jobs in flight); the next lists equal the ISS."""
    d = real_cases()["fc1_gelu_T40"][0]
    rtl, iss = RtlDev(model), IssDev()
    for dev in (rtl, iss):
        setup(dev, 9)
        program(dev, source(Buf.N, 40) + [d, isa.end()], timeout=3000)
        dev.run()
    err = rtl.read32(R.ERROR)
    assert (err & R.ERROR_CODE, err >> R.ERROR_INDEX_SHIFT) == (Err.TIMEOUT, 1), f"ERROR 0x{err:x}"
    for _ in range(100):  # STATUS.DRAIN (the documented difference): the weight bursts in flight are answered
        if not rtl.read32(R.STATUS) & R.STATUS_DRAIN:
            break
        model.step(100)
    assert regs(rtl, ERR_REGS) == regs(iss, ERR_REGS), f"registers {regs(rtl)} != ISS {regs(iss)}"
    n = run_case(model, d, seed=10)[2]
    n2 = run_case(model, synthetic_cases()["k32_n80_gelu"], seed=12)[2]
    record_vectors(record_property, "rtl_linear_after_kill", n + n2)


def test_cmd_index_after_an_error(model):
    """CMD_INDEX after a LINEAR's BAD_FIELD and after a watchdog kill is the failing command (the
    sequencer's rule), whatever it has fetched after it."""
    rtl, iss = RtlDev(model), IssDev()
    lists = {"bad_field": ([isa.load(Buf.N, 0, 4, D), bad_field_cases()["mode_scaled"], isa.store(Buf.N, 0, 4, D),
                            isa.end()], R.TIMEOUT_RESET),
             "watchdog": (source(Buf.N, 40) + [real_cases()["fc1_gelu_T40"][0], isa.store(Buf.N, 0, 4, D),
                                               isa.end()], 3000)}
    for name, (cmds, timeout) in lists.items():
        for dev in (rtl, iss):
            setup(dev, 3)
            program(dev, cmds, timeout=timeout)
            dev.run()
        for _ in range(100):
            if not rtl.read32(R.STATUS) & R.STATUS_DRAIN:
                break
            model.step(100)
        assert regs(rtl) == regs(iss), f"{name}: registers {regs(rtl)} != ISS {regs(iss)} (CMD_INDEX: the failing one)"


# ---------------------------------------------------------------- queued LINEARs
# Back-to-back LINEARs: the sequencer queues the second behind the first (lin_qready), exec_lin
# loads its weights while the first computes and holds its act / side reads while they hit the
# first's destination (read after write). Every buffer they touch is stored and compared.
def run_chain(model, cmds: list[Descriptor], bufs: tuple[int, ...], *, src: tuple[tuple[int, int], ...] = (),
              seed: int = 0, what: str = "") -> tuple[RtlDev, int, int]:
    """Backgrounds of ``bufs``, the sources (buffer, T), ``cmds``, then every buffer of ``bufs``
    stored and compared (one run per store list). Returns the RTL device, the elements compared
    and LIN_BUSY of the commands' run."""
    pre = [c for b in bufs for c in background(b)]
    for b, T in src:
        pre += source(b, T)
    rtl, iss = RtlDev(model), IssDev()
    n, busy = 0, 0
    tails = [t for b in bufs for t in stores(b)]
    for d in (rtl, iss):
        setup(d, seed)
        program(d, pre + cmds + [isa.end()])
        d.run()
    compare(rtl, iss, f"{what}: the chain")
    assert rtl.read32(R.ERROR) == 0, f"{what}: ERROR 0x{rtl.read32(R.ERROR):x}"
    busy = lin_busy(rtl)
    for i, tail in enumerate(tails):
        for d in (rtl, iss):
            program(d, tail + [isa.end()], soft_reset=False)
            d.run()
        compare(rtl, iss, f"{what}: store {i}")
    n = sum(T_ALL * COLS[b] for b in bufs)
    return rtl, n, busy


def chain_cases() -> dict[str, tuple[list[Descriptor], tuple[int, ...], tuple[tuple[int, int], ...]]]:
    _, o = weight_area()
    head = isa.pass_bytes(D, 64)
    L = isa.linear
    return {
        # q, k, v of two heads: no dependency, each pass's weights load under the one before
        "qkv_two_heads": ([L(Mode.Q, Buf.N, Buf.Q, o["l0_q"] + h * head, D, 64, 129, dst_chunk=4 * h) for h in (0, 1)]
                          + [L(m, Buf.N, b, o[w] + h * head, D, 64, 129, dst_chunk=4 * h)
                             for h in (0, 1) for m, b, w in ((Mode.PLAIN, Buf.K, "l0_k"), (Mode.PLAIN, Buf.V, "l0_v"))],
                          (Buf.Q, Buf.K, Buf.V), ((Buf.N, 129),)),
        # act read after write: the second reads the columns the first writes (held), then a
        # third reads other columns of the same buffer (not held)
        "act_raw": ([L(Mode.PLAIN, Buf.N, Buf.K, o["l0_k"], D, 64, 129, dst_chunk=4),
                     L(Mode.PLAIN, Buf.K, Buf.V, o["k64n48"], 64, 48, 129, src_chunk=4, dst_chunk=1),
                     L(Mode.GELU, Buf.K, Buf.A, o["k32n48"], 32, 48, 77, src_chunk=9, dst_chunk=6)],
                    (Buf.K, Buf.V, Buf.A), ((Buf.N, 129),)),
        # fc1 -> fc2 (the second's act is H, the first's destination), T 40
        "fc1_fc2": ([L(Mode.GELU, Buf.N, Buf.H, o["l0_fc1"], D, HID, 40),
                     L(Mode.RESID, Buf.H, Buf.X, o["l0_fc2"], HID, D, 40, side=Buf.X)],
                    (Buf.H, Buf.X), ((Buf.N, 40),)),
        # side read after write: two resid passes into X (the second's side is the first's
        # destination), then a short pass whose source is X (held behind it)
        "side_raw": ([L(Mode.RESID, Buf.A, Buf.X, o["l0_attn_proj"], D, D, 129, side=Buf.X),
                      L(Mode.RESID, Buf.A, Buf.X, o["l0_attn_proj"], D, 48, 90, side=Buf.X, dst_chunk=5, dst_row=20),
                      L(Mode.PLAIN, Buf.X, Buf.V, o["k16"], 16, 64, 3, src_chunk=7, dst_chunk=8)],
                     (Buf.X, Buf.V), ((Buf.A, 129),)),
        # short passes (T 1, 3) back to back, a last round of one slab, an embed behind a pass
        "short_and_embed": ([L(Mode.PLAIN, Buf.N, Buf.V, o["k16"], 16, 64, 1, dst_chunk=2),
                             L(Mode.GELU, Buf.N, Buf.A, o["k32n80"], 32, 80, 3, src_chunk=1, dst_chunk=3),
                             L(Mode.EMBED, Buf.K, Buf.V, o["k32n48"], 32, 48, 129, src_chunk=1, dst_chunk=6,
                               embed_offset=o["embed_add"]),
                             L(Mode.PLAIN, Buf.V, Buf.A, o["k16"], 16, 64, 129, src_chunk=6, dst_chunk=8)],
                            (Buf.V, Buf.A), ((Buf.N, 129), (Buf.K, 129))),
    }


@pytest.mark.parametrize("case", list(chain_cases()))
def test_queued_linears_equal_the_iss(model, case, record_property):
    cmds, bufs, src = chain_cases()[case]
    _, n, busy = run_chain(model, cmds, bufs, src=src, seed=31 + len(case), what=case)
    record_vectors(record_property, "rtl_linear_queued", n, case=case, lin_busy=busy)


def test_queued_linears_bursty_equal_the_iss(model, record_property):
    """The chains under seeded bursty ready/valid gaps and a jittered DDR latency."""
    saved = dict(model._cfg)
    model.backpressure("bursty")
    model.configure(read_jitter=40, max_outstanding=(2, 2))
    try:
        n = 0
        for case in ("act_raw", "side_raw", "short_and_embed"):
            cmds, bufs, src = chain_cases()[case]
            n += run_chain(model, cmds, bufs, src=src, seed=41, what=f"bursty {case}")[1]
    finally:
        model.backpressure("none")
        model.configure(**saved)
    record_vectors(record_property, "rtl_linear_queued", n, case="bursty")


def test_queued_linear_errors_equal_the_iss(model, record_property):
    """Errors with a second LINEAR queued: BAD_FIELD of the queued one (the first completes, the
    error has the second's index), BAD_IMAGE and AXI_READ of the queued one, BAD_IMAGE of the
    running one (the queued one never runs); STATUS, ERROR, CMD_INDEX equal the ISS, then the
    buffers the first wrote (read after a SOFT_RESET) and a clean pass."""
    _, o = weight_area()
    L = isa.linear
    rec = isa.slab_bytes(D)
    fc1 = L(Mode.GELU, Buf.N, Buf.H, o["l0_fc1"], D, HID, 60)
    proj = L(Mode.RESID, Buf.A, Buf.X, o["l0_attn_proj"], D, D, 60, side=Buf.X)
    qk = L(Mode.PLAIN, Buf.N, Buf.K, o["l0_q"], D, 64, 60)
    cases = {
        "queued_bad_field": ([fc1, bad_field_cases()["dst_cols"]], None, Err.BAD_FIELD, 2, Buf.H),
        "queued_bad_image": ([fc1, proj], lambda d: _corrupt(d, o["l0_attn_proj"], 5 * rec + 45, xor=0x10),
                             Err.BAD_IMAGE, 2, Buf.H),
        "queued_axi_read": ([fc1, L(Mode.PLAIN, Buf.N, Buf.K, MEM - W, D, 64, 10)], None, Err.AXI_READ, 2, Buf.H),
        "running_bad_image": ([proj, qk], lambda d: _corrupt(d, o["l0_attn_proj"], 9 * rec + 47, xor=0x80),
                              Err.BAD_IMAGE, 1, None),
        "running_bad_image_first_record": ([qk, fc1], lambda d: _corrupt(d, o["l0_q"], 45, xor=0x01),
                                           Err.BAD_IMAGE, 1, None),
    }
    n = 0
    for name, (lins, corrupt, code, idx, keep) in cases.items():
        rtl, iss = RtlDev(model), IssDev()
        pre = (background(keep) if keep is not None else []) + [isa.load(Buf.N, 0, 60, D), isa.load(Buf.A, 0, 60, D)]
        cmds = pre + lins + [isa.store(Buf.X, 0, 1, D), isa.end()]
        for dev in (rtl, iss):
            setup(dev, 5)
            if corrupt:
                corrupt(dev)
            program(dev, cmds)
            dev.run()
        for _ in range(200):
            if not rtl.read32(R.STATUS) & R.STATUS_DRAIN:
                break
            model.step(100)
        err = rtl.read32(R.ERROR)
        assert (err & R.ERROR_CODE, err >> R.ERROR_INDEX_SHIFT) == (code, len(pre) + idx - 1), f"{name}: ERROR 0x{err:x}"
        assert regs(rtl) == regs(iss), f"{name}: registers {regs(rtl)} != ISS {regs(iss)}"
        if keep is not None:
            # the first LINEAR completed: its destination (read after a SOFT_RESET, which keeps the
            # RTL's buffers and zeroes the ISS's, docs "Implementation status") equals the ISS's
            # after the list without the failing command
            ref = IssDev()
            setup(ref, 5)
            for i, tail in enumerate(stores(keep)):
                program(rtl, tail + [isa.end()])
                rtl.run()
                program(ref, (pre + lins[:1] if i == 0 else []) + tail + [isa.end()], soft_reset=i == 0)
                ref.run()
                compare(rtl, ref, f"{name}: the first LINEAR's destination, store {i}", ERR_REGS)
            n += T_ALL * COLS[keep]
        run_case(model, real_cases()["q_head1"][0], seed=11)
        n += 1
    record_vectors(record_property, "rtl_linear_queued_errors", n)


def test_queued_chain_cycles(model, record_property):
    """LIN_BUSY of a layer's nine q / k / v passes back to back (queued) against the same passes
    one by one (printed and recorded)."""
    _, o = weight_area()
    head = isa.pass_bytes(D, 64)
    L = isa.linear
    cmds = [L(m, Buf.N, b, o[w] + h * head, D, 64, 129, dst_chunk=4 * h)
            for h in range(3) for m, b, w in ((Mode.Q, Buf.Q, "l0_q"), (Mode.PLAIN, Buf.K, "l0_k"),
                                               (Mode.PLAIN, Buf.V, "l0_v"))]
    dev = RtlDev(model)
    setup(dev, 2)
    program(dev, source(Buf.N, 129) + cmds + [isa.end()])
    dev.run()
    assert dev.read32(R.ERROR) == 0
    chained, ws_chained = lin_busy(dev), dev.read32(R.WSTALL)
    alone = ws_alone = 0
    for d in cmds:
        program(dev, [d, isa.end()])
        dev.run()
        alone += lin_busy(dev)
        ws_alone += dev.read32(R.WSTALL)
    print(f"\nq/k/v x 3 heads, T 129: LIN_BUSY {chained:,} back to back, {alone:,} one at a time "
          f"({(alone - chained) / (len(cmds) - 1):.0f} cycles saved per queued pass); "
          f"WSTALL {ws_chained:,} / {ws_alone:,}")
    # the queued passes' weights load under the running pass: most of the saving is weight-wait
    # time (the rest: each command's check, start and drain, about 40 cycles)
    assert ws_chained < ws_alone and 4 * (ws_alone - ws_chained) >= 3 * (alone - chained), \
        (chained, alone, ws_chained, ws_alone)
    record_property("cycles_qkv_chain", {"queued": chained, "alone": alone, "wstall_queued": ws_chained,
                                         "wstall_alone": ws_alone})


# ---------------------------------------------------------------- cycles
def closed_form(K: int, N: int, T: int, units: int = 4) -> int:
    """edgemoe_cluster.sv's closed form: L_0 + P T Kt + Lat + A_last + 3 (cmd .. last out)."""
    kt, S = -(-K // 16), -(-N // 16)
    P = -(-S // units)
    L0 = max(2 + min(16, N - 16 * j) * kt for j in range(min(units, S)))
    return L0 + P * T * kt + perf_model.linear_latency(perf_model.Config.zcu102()) + (S - units * (P - 1)) + 3


def model_cycles(K: int, N: int, T: int) -> float:
    """perf_model._Cluster for one isolated pass (its end, cycle 0 = the cfg handshake)."""
    return perf_model._Cluster(perf_model.Config.zcu102()).run(K, N, T, 0.0)[1]


def test_pass_cycles(model, record_property):
    """LIN_BUSY of the backbone's passes at full T through the top (printed and recorded)."""
    _, o = weight_area()
    head = isa.pass_bytes(D, 64)
    L = isa.linear
    passes = {
        "q": (L(Mode.Q, Buf.N, Buf.Q, o["l0_q"] + head, D, 64, 129, dst_chunk=4), Buf.N, False),
        "k": (L(Mode.PLAIN, Buf.N, Buf.K, o["l0_k"], D, 64, 129), Buf.N, False),
        "v": (L(Mode.PLAIN, Buf.N, Buf.V, o["l0_v"], D, 64, 129), Buf.N, False),
        "proj": (L(Mode.RESID, Buf.A, Buf.X, o["l0_attn_proj"], D, D, 129, side=Buf.X), Buf.A, False),
        "fc1": (L(Mode.GELU, Buf.N, Buf.H, o["l0_fc1"], D, HID, 129), Buf.N, False),
        "fc2": (L(Mode.RESID, Buf.H, Buf.X, o["l0_fc2"], HID, D, 129, side=Buf.X), Buf.H, False),
        "embed": (L(Mode.EMBED, Buf.H, Buf.X, o["patch_embed_weight"], HID, D, 128, has_bias=False, dst_row=1,
                    embed_offset=o["embed_add"]), Buf.H, True),
    }
    dev = RtlDev(model)
    setup(dev, 1)
    rows = []
    for name, (d, src, pix) in passes.items():
        f = isa.fields(d)
        K, N, T = (d.words[1] & 0x3FF) + 1, (d.words[1] >> 16 & 0x3FF) + 1, (d.words[2] & 0xFF) + 1
        program(dev, source(src, T, pix) + [d, isa.end()])
        dev.run()
        assert dev.read32(R.ERROR) == 0, f"{name}: ERROR 0x{dev.read32(R.ERROR):x} ({f})"
        busy, ws = lin_busy(dev), dev.read32(R.WSTALL)
        cf, pm = closed_form(K, N, T), model_cycles(K, N, T)
        # WSTALL: an isolated pass waits at least for its first round's records (2 + R Kt cycles
        # at one beat per cycle, R = 16 rows; embed loads them under its copy), and never longer
        # than LIN_BUSY less the array's P T Kt act cycles
        kt, P = -(-K // 16), -(-(-(-N // 16)) // 4)
        assert ws <= busy - P * T * kt, f"{name}: WSTALL {ws} > LIN_BUSY {busy} - P T Kt {P * T * kt}"
        assert pix or ws >= 2 + 16 * kt, f"{name}: WSTALL {ws} < the first round's load {2 + 16 * kt}"
        rows.append((name, K, N, T, busy, ws, cf, pm))
        record_property(f"cycles_{name}", {"lin_busy": busy, "wstall": ws, "closed_form": cf, "perf_model": round(pm)})
    print("\npass   K    N    T  LIN_BUSY  WSTALL  closed form  perf_model  busy/closed")
    for name, K, N, T, busy, ws, cf, pm in rows:
        print(f"{name:5s} {K:4d} {N:4d} {T:4d} {busy:9d} {ws:7d} {cf:12d} {pm:11.0f} {busy / cf:8.3f}")
    record_vectors(record_property, "rtl_linear_cycles", len(rows))
