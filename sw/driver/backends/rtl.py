"""``rtl`` backend: the Verilator model of ``hw/rtl/edgemoe_top.sv`` (issue 10) -- not runnable yet.

The top has its register block and control plane but not its datapath, and there is
no Python-importable model of it, so :func:`open_rtl` refuses with one line
(:data:`NOT_BUILT`) and the driver test-suite skips this backend with that reason.

Design of the shim, so that the top plugs in without touching the driver: the
simulation side provides a Python-importable Verilator model (a C++ harness
around the verilated top, loaded with ctypes, clocked from C++ so that a frame
stays within the simulation-speed target) with

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
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from .base import PAGE, Backend, BackendUnavailable, Buffer

TOP = Path(__file__).resolve().parents[3] / "hw" / "rtl" / "edgemoe_top.sv"
NOT_BUILT = ("--backend rtl: the RTL top (hw/rtl/edgemoe_top.sv) is not built yet: it cannot run a frame "
             "(issue 10: its datapath is not integrated and there is no Python-importable Verilator model, "
             "edgemoe.sim.top_model); use --backend iss for the instruction-set model")
STEP = 4096
"""Clock cycles per ``step`` call while waiting."""


def rtl_available() -> tuple[bool, str]:
    """(True, "") when the top and its importable Verilator model exist, else (False, :data:`NOT_BUILT`)."""
    if not TOP.is_file():
        return False, NOT_BUILT
    try:
        from edgemoe.sim import top_model  # noqa: F401  (issue 10 provides it with the whole top)
    except ImportError:
        return False, NOT_BUILT
    return True, ""


def open_rtl(**kw: Any) -> "RtlBackend":
    """The rtl backend, or :class:`BackendUnavailable` with the one-line reason."""
    ok, why = rtl_available()
    if not ok:
        raise BackendUnavailable(why)
    from edgemoe.sim.top_model import TopModel

    return RtlBackend(TopModel(**kw))


class RtlBuffer(Buffer):
    def __init__(self, model: Any, offset: int, nbytes: int):
        self._m, self._off = model, offset
        self.array = np.zeros(nbytes, dtype=np.uint8)
        self.device_address = int(model.mem_base) + offset

    def flush(self) -> None:
        self._m.mem[self._off:self._off + self.array.size] = self.array

    def invalidate(self) -> None:
        self.array[:] = self._m.mem[self._off:self._off + self.array.size]


class RtlBackend(Backend):
    """The backend interface over a model with ``axil_read/axil_write/mem/mem_base/irq/step``."""

    name = "rtl"

    def __init__(self, model: Any):
        self.model = model
        self._next = 0
        self.wait_s = 0.0

    def read_reg(self, off: int) -> int:
        data, resp = self.model.axil_read(off)
        if resp:
            raise RuntimeError(f"rtl backend: AXI-Lite read of 0x{off:03x} answered resp {resp} (expected OKAY)")
        return int(data) & 0xFFFFFFFF

    def write_reg(self, off: int, val: int) -> None:
        resp = self.model.axil_write(off, int(val) & 0xFFFFFFFF)
        if resp:
            raise RuntimeError(f"rtl backend: AXI-Lite write of 0x{off:03x} answered resp {resp} (expected OKAY)")

    def alloc(self, nbytes: int) -> RtlBuffer:
        size = -(-int(nbytes) // PAGE) * PAGE
        if self._next + size > self.model.mem.size:
            raise MemoryError(f"rtl backend: {nbytes} bytes do not fit in the simulated DDR")
        buf = RtlBuffer(self.model, self._next, int(nbytes))
        self._next += size
        return buf

    def wait_irq(self, timeout_s: float) -> bool:
        t0 = time.perf_counter()
        deadline = t0 + max(0.0, timeout_s)
        try:
            while not self.model.irq:
                if time.perf_counter() >= deadline:
                    return False
                self.model.step(STEP)
            return True
        finally:
            self.wait_s += time.perf_counter() - t0

    def host_seconds(self, cycles: float) -> float:
        return float(cycles) * float(self.model.seconds_per_cycle)

    def record_info(self) -> dict[str, Any]:
        return {"source": "rtl-sim", "label": "RTL simulation (Verilator, edgemoe_top)", "board": "ZCU102 (simulated)",
                "part": "xczu9eg-ffvb1156-2-e",
                "notes": "Verilator simulation of hw/rtl/edgemoe_top.sv: latency_s is host wall time of the "
                         "simulation, cycles_per_frame the simulated CYCLES register"}
