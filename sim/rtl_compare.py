"""Run one command list on the RTL top and on the instruction-set model, and compare them.

The shared harness of the differential tests of the integrated top (tests/test_top_model.py,
tests/test_rtl_linear.py, tests/test_rtl_ln_attn.py, tests/test_rtl_moe.py) and of the
cocotb testbench of the whole top (sim/tb/test_edgemoe_top_ops.py):

* :class:`RtlDev` -- :class:`edgemoe.sim.top_model.TopModel` behind ``read32`` /
  ``write32`` / ``run`` (a non-OKAY AXI-Lite response fails the test; ``run`` steps the
  clock until the interrupt line rises, bounded by ``max_cycles``);
* :class:`IssDev` -- :class:`edgemoe.driver.iss.Iss` behind the same three calls;
* :func:`start_writes` / :func:`program` -- the register writes that start a list at
  ``CMD`` with the bases ``IO`` and ``W`` (one sequence, so the C++ model, the ISS and
  the cocotb testbench program the device the same way);
* :func:`regs`, :func:`compare_io` -- registers and every byte of the I/O region,
  RTL against ISS;
* :func:`run_both`; the pytest fixtures :func:`avail_fixture` / :func:`model_fixture`.

DDR layout (offsets from the memory's base): command lists at :data:`CMD`, the I/O
region (``isa.IO_BYTES``) at :data:`IO`, the weight area at :data:`W`.
"""
from __future__ import annotations

from typing import Callable, Iterable, Mapping, Sequence

import numpy as np

from edgemoe.driver import isa, regmap as R

CMD, IO, W = 0x0, 0x10000, 0x100000   # command list, I/O region, weight area (offsets in the DDR)
CORE_REGS = ("STATUS", "ERROR", "CMD_INDEX")


class RtlDev:
    """The TopModel behind read32/write32/run."""

    def __init__(self, m, *, max_cycles: int = 2_000_000, chunk: int = 16384):
        self.m, self.mem, self.mem_base = m, m.mem, m.mem_base
        self.max_cycles, self.chunk = max_cycles, chunk

    def write32(self, off: int, v: int) -> None:
        assert self.m.axil_write(off, v) == 0, f"write 0x{off:03x} not OKAY"

    def read32(self, off: int) -> int:
        d, r = self.m.axil_read(off)
        assert r == 0, f"read 0x{off:03x} not OKAY"
        return d

    def run(self, max_cycles: int | None = None) -> int:
        """Step until the interrupt line is high; fails after ``max_cycles`` (default: the device's).
        Returns the cycles stepped."""
        max_cycles = self.max_cycles if max_cycles is None else max_cycles
        n = 0
        while not self.m.irq and n < max_cycles:
            n += self.m.step(min(self.chunk, max_cycles - n), until_irq=True)
        assert self.m.irq, f"no interrupt within {max_cycles} cycles (STATUS 0x{self.read32(R.STATUS):x})"
        return n


class IssDev:
    """The instruction-set model behind read32/write32/run (``run`` executes the whole run)."""

    def __init__(self, mem_size: int, mem_base: int = 0x1_0000_0000):
        from edgemoe.driver.iss import Iss

        self.iss = Iss(mem_size=mem_size, mem_base=mem_base)
        self.mem, self.mem_base = self.iss.mem, self.iss.mem_base
        self.write32, self.read32 = self.iss.write32, self.iss.read32

    def run(self, max_cycles: int = 0) -> int:
        self.iss.advance()
        return 0


def start_writes(mem_base: int, n_cmds: int, *, timeout: int = R.TIMEOUT_RESET, count: int | None = None,
                 io: int = IO, w: int = W, cmd: int = CMD, soft_reset: bool = True,
                 irq_enable: int = R.IRQ_DONE | R.IRQ_ERROR) -> list[tuple[int, int]]:
    """(offset, value) register writes that run a list of ``n_cmds`` descriptors at ``cmd``:
    SOFT_RESET (``soft_reset``), the bases, CMD_COUNT (``count``, default ``n_cmds``),
    TIMEOUT, IRQ_STATUS cleared, IRQ_ENABLE, START."""
    b = mem_base
    out = [(R.CTRL, R.CTRL_SOFT_RESET)] if soft_reset else []
    out += [(R.CMD_BASE_LO, (b + cmd) & 0xFFFFFFFF), (R.CMD_BASE_HI, (b + cmd) >> 32),
            (R.CMD_COUNT, n_cmds if count is None else count), (R.WBASE_LO, (b + w) & 0xFFFFFFFF),
            (R.WBASE_HI, (b + w) >> 32), (R.IOBASE_LO, (b + io) & 0xFFFFFFFF), (R.IOBASE_HI, (b + io) >> 32),
            (R.TIMEOUT, timeout), (R.IRQ_STATUS, 7), (R.IRQ_ENABLE, irq_enable), (R.CTRL, R.CTRL_START)]
    return out


def program(dev, cmds: Sequence[isa.Descriptor], *, timeout: int = R.TIMEOUT_RESET, count: int | None = None,
            io: int = IO, soft_reset: bool = True) -> None:
    """Write ``cmds`` at CMD, program the bases and START (IRQ on DONE and ERROR).

    ``soft_reset=False`` keeps the buffers of the last run (the ISS zeroes them on SOFT_RESET;
    the top's buffers are RAM that SOFT_RESET does not touch: undefined by the contract)."""
    blob = isa.encode(list(cmds))
    dev.mem[CMD:CMD + len(blob)] = np.frombuffer(blob, np.uint8)
    for off, v in start_writes(dev.mem_base, len(cmds), timeout=timeout, count=count, io=io, soft_reset=soft_reset):
        dev.write32(off, v)


def regs(dev, names: Iterable[str] = CORE_REGS) -> dict[str, int]:
    return {n: dev.read32(getattr(R, n)) for n in names}


def first_difference(a: np.ndarray, b: np.ndarray, what: str, where: str = "I/O offset") -> None:
    """Fail naming the count of differing bytes and the first int32 word (RTL, ISS) when ``a != b``."""
    bad = np.flatnonzero(a != b)
    if bad.size:
        o = int(bad[0]) // 4 * 4
        got = int(np.ascontiguousarray(a[o:o + 4]).view("<i4")[0]) if o + 4 <= a.size else int(a[bad[0]])
        want = int(np.ascontiguousarray(b[o:o + 4]).view("<i4")[0]) if o + 4 <= b.size else int(b[bad[0]])
        raise AssertionError(f"{what}: {bad.size} bytes differ from the ISS, first at {where} {int(bad[0])} "
                             f"(int32 word {o // 4}: RTL {got}, ISS {want})")


def compare_io(rtl, iss, what: str, names: Iterable[str] = CORE_REGS) -> int:
    """Every byte of the I/O region and the registers ``names`` equal; the number of bytes compared."""
    a, b = rtl.mem[IO:IO + isa.IO_BYTES], iss.mem[IO:IO + isa.IO_BYTES]
    first_difference(a, b, what)
    names = tuple(names)
    got, want = regs(rtl, names), regs(iss, names)
    assert got == want, f"{what}: registers {got} != ISS {want}"
    return a.size


def run_both(model, cmds: Sequence[isa.Descriptor], memory: Mapping[int, np.ndarray] | None = None, *,
             mem_size: int, setup: Callable | None = None, max_cycles: int = 2_000_000, **kw) -> tuple[RtlDev, IssDev]:
    """``memory`` {offset: bytes} written into both DDRs (then ``setup(dev)``), ``cmds`` run on the
    RTL model and on an ISS of ``mem_size`` bytes; both devices back. ``kw`` go to :func:`program`."""
    rtl, iss = RtlDev(model, max_cycles=max_cycles), IssDev(mem_size)
    for d in (rtl, iss):
        for off, a in (memory or {}).items():
            d.mem[off:off + a.size] = a
        if setup:
            setup(d)
        program(d, cmds, **kw)
        d.run()
    return rtl, iss


# ---------------------------------------------------------------- pytest fixtures
def require_model() -> None:
    """Skip when Verilator or a compiler is missing; fail when they are here and the model does not build."""
    import pytest

    from edgemoe.sim import top_model

    ok, why = top_model.available()
    if not ok:
        if top_model.tools_present()[0]:
            pytest.fail(why)  # Verilator and a compiler are here: the RTL or the harness does not build
        pytest.skip(why)


def avail_fixture():
    """A module-scoped fixture ``avail``: :func:`require_model` once per test module."""
    import pytest

    @pytest.fixture(scope="module", name="avail")
    def _avail():
        require_model()

    return _avail


def model_fixture(mem_size: int, scope: str = "module"):
    """A fixture ``model``: a :class:`~edgemoe.sim.top_model.TopModel` of ``mem_size`` bytes
    (needs the ``avail`` fixture of :func:`avail_fixture` in the same module), closed after."""
    import pytest

    @pytest.fixture(scope=scope, name="model")
    def _model(avail):
        from edgemoe.sim import top_model

        m = top_model.TopModel(mem_size=mem_size)
        yield m
        m.close()

    return _model
