"""The host driver's test-suite, the same on every backend that is present.

Backends: ``iss`` (the instruction-set model), ``pynq-fake`` (the ``pynq`` backend
against a fake PYNQ in PYNQ's API shape wired to the model: tests/fake_pynq.py), and
``rtl`` (the Verilator model of hw/rtl/edgemoe_top.sv, edgemoe.sim.top_model; skipped
with the reason where it cannot be built).

While the top has no datapath (``rtl_frame_support()`` false: its compute opcodes end
in BAD_OPCODE), the rtl backend runs every test that needs only the control plane on a
stand-in command list of LOAD/STORE/MARK/NOP (:func:`standin_cmds`, installed as the
tasks' lists), its output checked against the ISS running the same list; the tests
that need a backbone pass skip with the probed reason.

Output is compared bit for bit with ``FixedBackbone``; every fault must end in a
clear, typed error with nothing returned, and the device must run a good frame after.
"""
from __future__ import annotations

import numpy as np
import pytest

from edgemoe.driver import (Accelerator, DeviceError, DeviceMismatch, DeviceTimeout, DriverError, InputError,
                            regmap)
from edgemoe.driver.backends import rtl_frame_support
from edgemoe.driver.backends.iss import IssBackend
from edgemoe.driver.backends.rtl import rtl_available
from edgemoe.golden.fixed_model import FixedBackbone, FixedWeights, image_codes
from edgemoe.golden.sample import procedural_frame
from edgemoe.report.records import validate_record
from edgemoe.sim.runner import record_vectors
from fake_pynq import make_pynq, write_overlay

BACKENDS = ["iss", "pynq-fake", "rtl"]
ACT_WORDS = 129 * 192


def _iss():
    from edgemoe.driver.iss import Iss

    return Iss()


def open_backend(kind: str, tmp_path_factory, **kw) -> tuple[Accelerator, object]:
    """(accelerator, the model behind it) for one backend kind; rtl skips where its model cannot be built.

    ``acc.frames`` is (True, "") when the backend runs backbone lists, else (False, why)."""
    if kind == "rtl":
        ok, why = rtl_available()
        if not ok:
            pytest.skip(why)
        acc = Accelerator.open("rtl", **kw)
        acc.frames = rtl_frame_support()  # the top may open (control plane) before it can run a frame
        return acc, acc.backend.model  # TopModel: mem, mem_base, hang_at like the ISS
    iss = _iss()
    if kind == "iss":
        acc = Accelerator.open("iss", iss=iss, **kw)
        acc.frames = (True, "")
        return acc, iss
    fake = make_pynq(iss)
    bit = write_overlay(tmp_path_factory.mktemp("overlay"))
    acc = Accelerator.open("pynq", overlay=bit, pynq_module=fake, **kw)
    acc.backend.host_seconds = IssBackend(iss).host_seconds  # the fake board runs at the model's speed
    acc.fake = fake
    acc.frames = (True, "")
    return acc, iss


def standin_cmds() -> list:
    """A task's list for a top without datapath: only LOAD/STORE/MARK/NOP, one STORE writing the whole output.

    Output: X = the class row, then the patch bytes read as int32 (saturated to act): a function of
    the frame. Command 5 and 7 are fetched after data moved (the hang tests hold them)."""
    from edgemoe.driver import isa

    B = isa.Buf
    return [isa.load(B.H, isa.IO_PATCHES, 128, 768, fmt=isa.LoadFormat.PIX), isa.load(B.X, isa.IO_CLASS_ROW, 1, 192),
            isa.mark(1), isa.load(B.X, isa.IO_PATCHES, 128, 192, first_row=1), isa.nop(),
            isa.load(B.N, isa.IO_PATCHES, 128, 192), isa.nop(), isa.mark(2),
            isa.store(B.X, isa.IO_OUTPUT, 129, 192), isa.nop(), isa.end()]


def _install_standin(acc, fw) -> None:
    """Make :func:`standin_cmds` the list of both tasks (whole and debug runs); ``acc.expect`` from the ISS."""
    from edgemoe.driver import isa
    from edgemoe.driver.accelerator import _Program
    from edgemoe.driver.image import class_row, patch_bytes
    from edgemoe.driver.iss import Iss

    cmds = standin_cmds()
    blob = isa.encode(cmds)
    for key in [(0, None), (1, None), (0, 0), (1, 0)]:
        buf = acc.backend.alloc(len(blob))
        buf.array[:len(blob)] = np.frombuffer(blob, np.uint8)
        buf.flush()
        acc._loaded.programs[key] = _Program(cmds=cmds, buf=buf, count=len(cmds))
    cache: dict = {}

    def expect(frame: np.ndarray) -> np.ndarray:
        """The stand-in list's output for ``frame`` on the instruction-set model."""
        key = frame.tobytes()
        if key not in cache:
            iss, io = Iss(mem_size=1 << 20), 0x10000
            iss.mem[:len(blob)] = np.frombuffer(blob, np.uint8)
            pb = np.frombuffer(patch_bytes(image_codes(frame) if frame.dtype != np.uint8 else frame), np.uint8)
            iss.mem[io + isa.IO_PATCHES:io + isa.IO_PATCHES + pb.size] = pb
            row = np.asarray(class_row(fw), "<i4").view(np.uint8)
            iss.mem[io + isa.IO_CLASS_ROW:io + isa.IO_CLASS_ROW + row.size] = row
            b = iss.mem_base
            for reg, v in (("CMD_BASE_LO", b), ("CMD_BASE_HI", b >> 32), ("CMD_COUNT", len(cmds)),
                           ("IOBASE_LO", (b + io) & 0xFFFFFFFF), ("IOBASE_HI", (b + io) >> 32),
                           ("WBASE_LO", (b + 0x20000) & 0xFFFFFFFF), ("WBASE_HI", b >> 32)):
                iss.write32(getattr(regmap, reg), v & 0xFFFFFFFF)
            iss.write32(regmap.CTRL, regmap.CTRL_START)
            iss.advance()
            assert iss.read32(regmap.STATUS) & regmap.STATUS_DONE and not iss.read32(regmap.ERROR)
            out = iss.mem[io + isa.IO_OUTPUT:io + isa.IO_BYTES].view("<i4").reshape(isa.TOKENS, -1)
            cache[key] = out.astype(np.int32)
        return cache[key]

    acc.expect = expect


def _needs_frames(acc) -> None:
    """Skip on a backend that cannot run backbone lists (rtl without datapath), with the probed reason."""
    ok, why = acc.frames
    if not ok:
        pytest.skip(why)


def _expect(acc, golden, frames: dict, name: str, task: int, last: int) -> np.ndarray:
    """The codes a run must give: FixedBackbone's, or the stand-in list's on the ISS (rtl without datapath)."""
    return golden(name, task, last) if acc.frames[0] else acc.expect(frames[name])


@pytest.fixture(scope="module")
def fw(weights):
    return FixedWeights.from_float(weights)


@pytest.fixture(scope="module")
def wimage(fw):
    from edgemoe.driver.image import build_image

    return build_image(fw)


@pytest.fixture(scope="module")
def golden(fw, sample):
    """Block outputs of FixedBackbone, computed once per (frame name, task, last block)."""
    fb = FixedBackbone(fw)
    frames = {"sample": image_codes(sample), "procedural": image_codes(procedural_frame())}
    cache: dict = {}

    def get(frame: str, task: int, last: int = 11) -> np.ndarray:
        key = (frame, task, last)
        if key not in cache:
            if last == 11:
                cache[key] = fb.forward(frames[frame], task)
            else:
                x = fb.embed(frames[frame])
                for L in range(last + 1):
                    x = fb.mlp_block(fb.attention_block(x, L, None, None), L, task, None)
                cache[key] = x
        return cache[key]

    return get


@pytest.fixture(scope="module", params=BACKENDS)
def dev(request, fw, wimage, tmp_path_factory):
    """(accelerator with the weights loaded, its model); one per backend for the module."""
    acc, iss = open_backend(request.param, tmp_path_factory)
    acc.load_weights(fw, image=wimage)
    acc.kind = request.param
    if request.param == "rtl" and acc.frames[0] and not request.config.getoption("--full"):
        # a simulated frame takes minutes: the default suite runs the real lists on the top in
        # tests/test_rtl_frame.py (one frame per task); the driver's protocol tests here use the stand-in
        acc.frames = (False, "rtl: whole frames run in tests/test_rtl_frame.py (here with --full)")
    if not acc.frames[0]:
        _install_standin(acc, fw)
    yield acc, iss
    acc.close()


def _good_after(acc, sample, golden, task=0):
    """A good frame after a fault: the device recovered (debug run to block 0: fast)."""
    acc.watchdog_cycles = regmap.TIMEOUT_RESET  # undo a fault test's watchdog setting
    res = acc.run(sample, task, stop_after_block=0)
    assert np.array_equal(res.codes, _expect(acc, golden, {"sample": sample}, "sample", task, 0))


# ---------------------------------------------------------------- bit-exact runs
@pytest.mark.parametrize("task", ["seg", "depth"])
def test_run_is_bit_exact_to_fixed_backbone(dev, sample, golden, task, record_property, request):
    acc, _ = dev
    _needs_frames(acc)
    if acc.kind == "pynq-fake" and task == "depth" and not request.config.getoption("--full"):
        pytest.skip("second whole frame through the fake board (the model behind it is the iss backend's, "
                    "checked above; depth's gates run in test_stop_after_block): run with --full")
    res = acc.run(sample, task)
    ti = ["seg", "depth"].index(task)
    ref = golden("sample", ti)
    assert res.codes.shape == (129, 192) and res.codes.dtype == np.int32
    mism = int(np.count_nonzero(res.codes != ref))
    assert mism == 0, f"{mism} of {ref.size} act codes differ from FixedBackbone"
    assert np.array_equal(res.features, (ref / 65536.0).astype(np.float32))
    assert res.cycles > 0 and res.task == ti and res.backend == ("pynq" if acc.kind == "pynq-fake" else acc.kind)
    assert res.wall_s > 0 and 0 <= res.overhead_s <= res.wall_s
    assert sum(res.queue_counts) == 2 * 129  # the last MOE_GATE: every token chose two experts
    record_vectors(record_property, f"driver_{acc.kind}_frame", ref.size, task=task, backend=acc.kind)
    if acc.kind == "pynq-fake":
        assert acc.fake.device.dirty_at_start == [], "START with unflushed host writes"


def test_uint8_codes_and_float_frame_give_the_same_bits(dev, sample, golden):
    acc, _ = dev
    a = acc.run(image_codes(sample), "seg", stop_after_block=0)
    assert np.array_equal(a.codes, _expect(acc, golden, {"sample": sample}, "sample", 0, 0))
    assert a.stop_after_block == 0


def test_stop_after_block_returns_that_blocks_output(dev, sample, golden):
    acc, _ = dev
    _needs_frames(acc)
    res = acc.run(sample, "depth", stop_after_block=1)  # block 1 is the first MoE block (task gate)
    assert np.array_equal(res.codes, golden("sample", 1, 1))


def test_stream_reuses_the_buffers_and_keeps_frames_apart(dev, sample, golden, record_property):
    acc, _ = dev
    frames = [sample, procedural_frame(), sample]
    acc.run(sample, "seg", stop_after_block=0)  # the (task, block) list exists now
    before = len(acc._loaded.programs), acc.backend.alloc
    allocs = []
    acc.backend.alloc = lambda n: allocs.append(n)  # any allocation while streaming fails the test
    try:
        out = list(acc.stream(frames, "seg", stop_after_block=0))
    finally:
        acc.backend.alloc = before[1]
    assert allocs == [] and len(acc._loaded.programs) == before[0]
    named = {"sample": sample, "procedural": frames[1]}
    for res, name in zip(out, ["sample", "procedural", "sample"]):
        assert np.array_equal(res.codes, _expect(acc, golden, named, name, 0, 0)), name
    assert not np.array_equal(out[0].codes, out[1].codes)
    record_vectors(record_property, f"driver_{acc.kind}_stream", 3 * ACT_WORDS, backend=acc.kind)


def test_measurement_record_validates(dev, sample):
    acc, _ = dev
    res = [acc.run(sample, "seg", stop_after_block=0) for _ in range(2)]
    rec = acc.measurement_record(res)
    m = validate_record(rec)
    assert m.frames == 2 and m.task == 0 and m.clock_mhz == 300.0
    assert m.cycles_per_frame == pytest.approx(np.mean([r.cycles for r in res]))
    assert rec["latency_s"]["samples"] == [r.wall_s for r in res]
    assert rec["x-cycles"] == [r.cycles for r in res] and len(rec["x-counters"]) == 2
    assert m.source == {"iss": "other", "pynq-fake": "board", "rtl": "rtl-sim"}[acc.kind]
    if acc.kind == "pynq-fake":
        assert rec["bitstream"]["name"] == "edgemoe.bit" and len(rec["bitstream"]["sha256"]) == 64
    with pytest.raises(InputError, match="one task"):
        acc.measurement_record(res + [acc.run(sample, "depth", stop_after_block=0)])
    with pytest.raises(InputError, match="at least one"):
        acc.measurement_record([])


# ---------------------------------------------------------------- bad input: nothing reaches the device
BAD_FRAMES = [
    (np.zeros((3, 128, 255), np.float32), r"expected shape \(3, 128, 256\) \(channels, height, width\), found "
                                          r"\(3, 128, 255\)"),
    (np.zeros((128, 256, 3), np.uint8), r"found \(128, 256, 3\)"),
    (np.full((3, 128, 256), 1.0, np.float32), r"expected values in \[0, 1\) in steps of 1/256, found 1..1"),
    (np.full((3, 128, 256), -1 / 256, np.float32), r"found -0.00390625..-0.00390625"),
    (np.full((3, 128, 256), 0.5 + 1e-3, np.float32), r"1/256 grid .* at \(0, 0, 0\) \(98304 values off"),
    (np.full((3, 128, 256), np.nan, np.float32), "NaN"),
    (np.full((3, 128, 256), 256, np.int32), r"integer codes must be 0..255, found 256..256"),
    (np.zeros((3, 128, 256), bool), "dtype bool"),
    ([[0.0]], "expected a numpy array"),
]


@pytest.mark.parametrize("frame, msg", BAD_FRAMES, ids=[str(i) for i in range(len(BAD_FRAMES))])
def test_bad_frame_is_refused_before_the_device(dev, frame, msg, monkeypatch):
    acc, _ = dev
    writes = []
    monkeypatch.setattr(acc.backend, "write_reg", lambda off, v: writes.append(off))
    with pytest.raises(InputError, match=msg):
        acc.run(frame, "seg")
    assert writes == []


@pytest.mark.parametrize("task", ["segmentation", 2, -1, True, None, 1.0])
def test_unknown_task_is_refused(dev, sample, task):
    acc, _ = dev
    with pytest.raises(InputError, match=r"unknown task .*: expected 'seg' \(0\) or 'depth' \(1\)"):
        acc.run(sample, task)


@pytest.mark.parametrize("stop", [12, -1, True, 1.5])
def test_bad_stop_after_block_is_refused(dev, sample, stop):
    acc, _ = dev
    with pytest.raises(InputError, match=r"stop_after_block: expected a block index 0..11"):
        acc.run(sample, 0, stop_after_block=stop)


def test_truncated_weight_image_is_refused_and_the_old_weights_stay(dev, wimage, fw, sample, golden):
    from edgemoe.driver.image import WeightImage

    acc, _ = dev
    short = WeightImage(wimage.data[:-4096], list(wimage.entries))
    with pytest.raises(InputError, match=r"weight image: expected 36118016 bytes .* found 36113920: the image is "
                                         r"truncated"):
        acc.load_weights(fw, image=short)
    with pytest.raises(InputError, match="expected edgemoe.golden.weights.Weights or FixedWeights, found dict"):
        acc.load_weights({})
    _good_after(acc, sample, golden)


# ---------------------------------------------------------------- device faults
def test_hung_device_without_watchdog_times_out_on_the_host(dev, sample, golden):
    acc, iss = dev
    if iss is None:
        pytest.skip("needs the model's fault injection")
    acc.watchdog_cycles = 0  # the device's watchdog off: only the host bound remains
    iss.hang_at = 5
    # the whole top simulates at some 15k cycles/s: give it the host time to reach command 5
    t = 8.0 if acc.kind == "rtl" else 0.5
    try:
        with pytest.raises(DeviceTimeout, match=rf"no interrupt within {t:g} s .* device was at command 5 \(\w+\)"
                                                r".*ABORT then SOFT_RESET issued"):
            acc.run(sample, "seg", timeout_s=t)
    finally:
        iss.hang_at = None
    assert not acc._reg("STATUS") & regmap.STATUS_BUSY
    _good_after(acc, sample, golden)


def test_hung_device_with_watchdog_is_a_timeout_error(dev, sample, golden):
    acc, iss = dev
    if iss is None:
        pytest.skip("needs the model's fault injection")
    acc.watchdog_cycles = 500_000  # longer than any one command (EXPERTS: about 90k cycles)
    iss.hang_at = 7
    try:
        with pytest.raises(DeviceError, match=r"device error TIMEOUT \(0x05\) at command 7 \(\w+\); the device was "
                                              r"soft-reset") as e:
            acc.run(sample, "seg")
    finally:
        iss.hang_at = None
    assert (e.value.name, e.value.index, e.value.code) == ("TIMEOUT", 7, 5)
    _good_after(acc, sample, golden)


def _patch_word(buf, index: int, word: int, value: int) -> int:
    """Overwrite word ``word`` of descriptor ``index`` in a command buffer (host copy + flush); old value back."""
    a = np.asarray(buf.array)[32 * index + 4 * word:32 * index + 4 * word + 4].view("<u4")
    old = int(a[0])
    a[0] = value
    buf.flush()
    return old


def _first(cmds, *ops) -> int:
    """Index of the first command with opcode ``ops[0]``; the next opcode where a list has none (stand-in)."""
    for op in ops:
        hits = [i for i, c in enumerate(cmds) if c.op == op]
        if hits:
            return hits[0]
    raise StopIteration(ops)


def _inject(acc, iss, name: str, monkeypatch):
    """Set up fault ``name``; returns (expected command index or None, undo)."""
    from edgemoe.driver.isa import Op

    prog = acc._program(0, 0)
    cmds, buf = prog.cmds, prog.buf
    if name == "BAD_OPCODE":
        i = _first(cmds, Op.ATTENTION, Op.NOP)
        old = _patch_word(buf, i, 0, (cmds[i].word0 & ~0xFF) | 0x0E)
        return i, lambda: _patch_word(buf, i, 0, old)
    if name == "BAD_FIELD":
        i = _first(cmds, Op.LAYERNORM, Op.MARK)
        old = _patch_word(buf, i, 7, 1)  # an unused word must be zero
        return i, lambda: _patch_word(buf, i, 7, old)
    if name == "BAD_IMAGE":
        wb, off = acc._loaded.wbuf, acc._loaded.image.offset("patch_embed_weight") + 44  # first slab's magic
        a = np.asarray(wb.array)
        a[off] ^= 0xFF
        wb.flush()

        def undo():
            a[off] ^= 0xFF
            wb.flush()
        return _first(cmds, Op.LINEAR), undo
    if name == "AXI_WRITE":
        # IOBASE 25 pages before the end of the memory: patches and class row load, the output runs off the end
        io = iss.mem_base + iss.mem.size - 25 * 4096
        orig = acc.backend.write_reg
        monkeypatch.setattr(acc.backend, "write_reg", lambda off, v: orig(
            off, io & 0xFFFFFFFF if off == regmap.IOBASE_LO else io >> 32 if off == regmap.IOBASE_HI else v))
        return _first(cmds, Op.STORE), lambda: monkeypatch.setattr(acc.backend, "write_reg", orig)
    if name == "AXI_READ":  # weights (or, in a stand-in list without LINEAR, the I/O region) far off the memory
        orig = acc.backend.write_reg
        hi = regmap.WBASE_HI if any(c.op == Op.LINEAR for c in cmds) else regmap.IOBASE_HI
        monkeypatch.setattr(acc.backend, "write_reg", lambda off, v: orig(off, 0x7F if off == hi else v))
        return _first(cmds, Op.LINEAR, Op.LOAD), lambda: monkeypatch.setattr(acc.backend, "write_reg", orig)
    if name in ("ABORTED", "START_BUSY"):
        orig_wait, orig_write = acc.backend.wait_irq, acc.backend.write_reg

        def write(off, v):
            orig_write(off, v)
            if name == "START_BUSY" and off == regmap.CTRL and v & regmap.CTRL_START:
                orig_write(regmap.CTRL, regmap.CTRL_START)  # a second START while busy

        def wait(t):
            if name == "ABORTED":
                orig_write(regmap.CTRL, regmap.CTRL_ABORT)
            return orig_wait(t)
        monkeypatch.setattr(acc.backend, "wait_irq", wait)
        monkeypatch.setattr(acc.backend, "write_reg", write)

        def undo():
            monkeypatch.setattr(acc.backend, "wait_irq", orig_wait)
            monkeypatch.setattr(acc.backend, "write_reg", orig_write)
        return None, undo
    raise AssertionError(name)


@pytest.mark.parametrize("name", ["BAD_OPCODE", "BAD_FIELD", "AXI_READ", "AXI_WRITE", "BAD_IMAGE", "ABORTED",
                                  "START_BUSY"])
def test_each_device_error_is_a_typed_exception(dev, sample, golden, name, monkeypatch):
    from edgemoe.driver.isa import Err

    acc, iss = dev
    if iss is None and name == "AXI_WRITE":
        pytest.skip("needs the size of the model's memory")
    if name == "BAD_IMAGE":
        _needs_frames(acc)  # the weight records are read by LINEAR
    index, undo = _inject(acc, iss, name, monkeypatch)
    try:
        with pytest.raises(DeviceError) as e:
            acc.run(sample, "seg", stop_after_block=0)
    finally:
        undo()
    assert e.value.name == name and e.value.code == Err[name].value
    if index is not None:
        assert e.value.index == index
        assert f"at command {index} (" in str(e.value)
    assert str(e.value).startswith(f"device error {name} (0x{Err[name].value:02x}) at command ")
    assert not acc._reg("STATUS") & (regmap.STATUS_BUSY | regmap.STATUS_ERROR)  # soft-reset
    _good_after(acc, sample, golden)


def test_stale_done_is_never_taken_for_this_run(dev, sample, golden, monkeypatch):
    acc, _ = dev
    acc.run(sample, "seg", stop_after_block=0)
    assert acc._reg("STATUS") & regmap.STATUS_DONE  # DONE of that run is still up
    orig = acc.backend.write_reg
    monkeypatch.setattr(acc.backend, "write_reg",
                        lambda off, v: None if off == regmap.CTRL and v & regmap.CTRL_START else orig(off, v))
    with pytest.raises(DeviceTimeout, match="no interrupt within 0.3 s"):
        acc.run(procedural_frame(), "seg", stop_after_block=0, timeout_s=0.3)
    monkeypatch.setattr(acc.backend, "write_reg", orig)
    _good_after(acc, sample, golden)


def test_done_that_survives_soft_reset_is_refused(dev, sample, golden, monkeypatch):
    acc, _ = dev
    orig = acc.backend.read_reg
    monkeypatch.setattr(acc.backend, "read_reg",
                        lambda off: orig(off) | (regmap.STATUS_DONE if off == regmap.STATUS else 0))
    with pytest.raises(DriverError, match="not idle and clear before START after SOFT_RESET .* stale DONE"):
        acc.run(sample, "seg", stop_after_block=0)
    monkeypatch.setattr(acc.backend, "read_reg", orig)
    _good_after(acc, sample, golden)


def test_output_never_written_is_not_returned(dev, sample, golden, monkeypatch):
    """The device claims DONE but the STORE went nowhere (command patched to a NOP): no stale output back."""
    from edgemoe.driver.isa import Op

    acc, _ = dev
    prog = acc._program(0, 0)
    i = _first(prog.cmds, Op.STORE)
    words = [_patch_word(prog.buf, i, w, 0) for w in range(8)]
    _patch_word(prog.buf, i, 0, int(Op.NOP))
    try:
        with pytest.raises(DriverError, match=r"reported DONE but 24768 of 24768 output words still hold the "
                                              r"sentinel"):
            acc.run(sample, "seg", stop_after_block=0)
    finally:
        for w, v in enumerate(words):
            _patch_word(prog.buf, i, w, v)
    _good_after(acc, sample, golden)


# ---------------------------------------------------------------- open checks
@pytest.mark.parametrize("reg, value, msg", [
    ("ID", 0x12345678, r"register ID: expected 0x45444d45 \(\"EDME\"\), found 0x12345678"),
    ("VERSION", 0x0002_0000, r"register VERSION: expected major 1 \(this driver\), found 2.0"),
    ("HWCFG0", (regmap.HWCFG0_VALUE & ~0xFF) | 8, r"HWCFG0.attn_p: expected 5 \(params.toml \[hw\]\), found 8"),
    ("HWCFG1", (regmap.HWCFG1_VALUE & 0x000FFFFF) | (250 << 20),
     r"HWCFG1.clock_mhz: expected 300 \(params.toml \[hw\]\), found 250"),
])
@pytest.mark.parametrize("kind", ["iss", "rtl"])
def test_open_checks_id_version_and_hwcfg(kind, reg, value, msg, tmp_path_factory, monkeypatch):
    if kind == "rtl":  # the top's registers over AXI-Lite, one of them answered wrong on the bus
        ok, why = rtl_available()
        if not ok:
            pytest.skip(why)
        from edgemoe.driver.backends.rtl import open_rtl

        be = open_rtl()
        orig_rd = be.model.axil_read
        monkeypatch.setattr(be.model, "axil_read",
                            lambda off: (value, 0) if off == getattr(regmap, reg) else orig_rd(off))
        try:
            with pytest.raises(DeviceMismatch, match=msg):
                Accelerator(be)
            monkeypatch.undo()
            Accelerator(be)  # the real registers pass
        finally:
            be.close()
        return
    iss = _iss()
    orig = iss.read32
    monkeypatch.setattr(iss, "read32", lambda off: value if off == getattr(regmap, reg) else orig(off))
    with pytest.raises(DeviceMismatch, match=msg):
        Accelerator(IssBackend(iss))


def test_run_before_load_weights(tmp_path_factory, sample):
    with Accelerator.open("iss") as acc:
        with pytest.raises(InputError, match=r"no weights loaded: call load_weights\(weights\) before run\(\)"):
            acc.run(sample, "seg")
    with pytest.raises(DriverError, match="closed"):
        acc.run(sample, "seg")


def test_unknown_backend():
    with pytest.raises(InputError, match="unknown backend 'fpga': expected one of iss, rtl, pynq"):
        Accelerator.open("fpga")


def test_rtl_backend_refuses_with_one_line_while_the_top_is_not_built():
    ok, why = rtl_available()
    if ok:
        pytest.skip("the RTL top's model builds here: the next test drives it")
    from edgemoe.driver import BackendUnavailable

    with pytest.raises(BackendUnavailable) as e:
        Accelerator.open("rtl")
    assert str(e.value) == why and "\n" not in why
    assert "the RTL top (hw/rtl/edgemoe_top.sv) is not built yet" in why


def test_driver_on_the_rtl_control_plane(fw, wimage, sample):
    """The top without its datapath: the driver's checks and sequence pass on the real RTL, the first compute
    command ends in BAD_OPCODE, a typed error with its index, and the device recovers for the next run."""
    ok, why = rtl_available()
    if not ok:
        pytest.skip(why)
    frames, why = rtl_frame_support()
    if frames:
        pytest.skip("the RTL top runs frames: the suite above covers it")
    from edgemoe.driver.isa import Op

    with Accelerator.open("rtl") as acc:  # ID, VERSION and HWCFG read over AXI-Lite from the top
        acc.load_weights(fw, image=wimage)
        first = next(i for i, c in enumerate(acc._program(0, 0).cmds) if c.op not in (Op.LOAD, Op.STORE, Op.MARK))
        for _ in range(2):
            with pytest.raises(DeviceError) as e:
                acc.run(sample, "seg", stop_after_block=0)
            assert (e.value.name, e.value.index) == ("BAD_OPCODE", first)
            assert not acc._reg("STATUS") & (regmap.STATUS_BUSY | regmap.STATUS_ERROR)
    assert "datapath is not integrated" in why


def test_bench_backend_reports_an_unavailable_backend_and_checks_runs():
    from edgemoe.driver.accelerator import bench_backend

    ok, why = rtl_frame_support()
    if not ok:
        assert bench_backend("rtl") == {"backend": "rtl", "available": False, "reason": why}
    with pytest.raises(InputError, match="runs: expected >= 1, found 0"):
        bench_backend("iss", 0)


def test_bench_backend_times_frames(weights, sample):
    """One frame through the driver on the ISS: the figures `edgemoe bench` prints (not asserted as speeds)."""
    from edgemoe.driver.accelerator import bench_backend

    r = bench_backend("iss", 1, weights=weights, frame=sample)
    assert r["available"] and r["runs"] == 1 and len(r["wall_s"]) == 1 and r["cycles"][0] > 1_000_000
    assert 0 < r["host_overhead_s_per_frame"] <= r["s_per_frame"] and r["device_wait_s_per_frame"] >= 0


def test_register_sequence_of_a_run(dev, sample, monkeypatch):
    """docs/architecture.md "Host driver contract", step 4, as register writes (names from regmap)."""
    acc, iss = dev
    names = {r.offset: n for n, r in regmap.REGISTERS.items()}
    writes = []
    orig = acc.backend.write_reg
    monkeypatch.setattr(acc.backend, "write_reg", lambda off, v: (writes.append((names[off], v)), orig(off, v)))
    acc.watchdog_cycles = 1 << 27
    acc.run(sample, "seg", stop_after_block=0)
    ld, prog = acc._loaded, acc._program(0, 0)
    w, io, cmd = ld.wbuf.device_address, ld.io.device_address, prog.buf.device_address
    assert w >> 32 and io >> 32 and cmd >> 32  # the model's DDR sits above 4 GB: 64-bit bases are exercised
    assert writes == [
        ("CTRL", regmap.CTRL_SOFT_RESET),
        ("WBASE_LO", w & 0xFFFFFFFF), ("WBASE_HI", w >> 32), ("IOBASE_LO", io & 0xFFFFFFFF), ("IOBASE_HI", io >> 32),
        ("CMD_BASE_LO", cmd & 0xFFFFFFFF), ("CMD_BASE_HI", cmd >> 32), ("CMD_COUNT", len(prog.cmds)),
        ("TIMEOUT", 1 << 27), ("IRQ_ENABLE", regmap.IRQ_DONE | regmap.IRQ_ERROR),
        ("IRQ_STATUS", regmap.IRQ_DONE | regmap.IRQ_ERROR | regmap.IRQ_MARK),  # W1C: nothing stale
        ("CTRL", regmap.CTRL_START),
        ("IRQ_STATUS", regmap.IRQ_DONE),  # acknowledged after the counters are read
    ]
    acc.watchdog_cycles = regmap.TIMEOUT_RESET
