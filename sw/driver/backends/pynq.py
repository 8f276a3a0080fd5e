"""``pynq`` backend: the accelerator on a Zynq UltraScale+ board through PYNQ.

* ``pynq.Overlay(bit, download=False)`` parses the ``.hwh`` beside the bitstream;
  the accelerator's entry of ``ip_dict`` is checked (:func:`edgemoe.driver.hwh.check_ip_dict`:
  VLNV, base address, register offsets) **before** the bitstream is downloaded,
  so a wrong overlay is refused without reprogramming the FPGA;
* registers: ``pynq.MMIO(phys_addr, addr_range)``, 32-bit ``read``/``write``;
* buffers: ``pynq.allocate((n,), dtype=np.uint8)`` (contiguous, page aligned,
  ``device_address``, ``flush()``/``invalidate()``: the PL masters are not coherent);
* waiting: a bounded poll of ``IRQ_STATUS & IRQ_ENABLE`` (the level the IRQ
  line carries), sleeping 20 us growing to 1 ms between reads. ``pynq.Interrupt``
  needs an AXI interrupt controller in the block design and an event loop; the
  poll costs a few MMIO reads per millisecond and needs neither.

``pynq`` is imported only here, only when the backend is opened. ``pynq_module``
lets tests pass an object in PYNQ's API shape (``Overlay``, ``MMIO``, ``allocate``).
"""
from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

import numpy as np

from .. import regmap
from ..hwh import EXPECTED_VLNV, check_ip_dict
from .base import Backend, BackendUnavailable, Buffer

NO_BOARD = ("--backend pynq needs a PYNQ board (ZCU102 with the PYNQ image): the 'pynq' package "
            "is not installed on this machine")
OVERHEAD_S = 2e-3
"""Host seconds added to a run's device time for MMIO, polling and scheduling jitter."""


def import_pynq() -> Any:
    """The ``pynq`` module, or :class:`BackendUnavailable` saying there is no board."""
    try:
        import pynq  # noqa: PLC0415 (on the board only)
    except ImportError:
        raise BackendUnavailable(NO_BOARD) from None
    return pynq


class PynqBuffer(Buffer):
    """A ``pynq.allocate`` buffer (np.uint8); ``array`` is PYNQ's own ndarray subclass."""

    def __init__(self, pb: Any):
        self.array = pb
        self.device_address = int(pb.device_address)

    def flush(self) -> None:
        self.array.flush()

    def invalidate(self) -> None:
        self.array.invalidate()

    def free(self) -> None:
        f = getattr(self.array, "freebuffer", None)
        if f is not None:
            f()


class PynqBackend(Backend):
    """The accelerator of ``overlay`` (a ``.bit`` with its ``.hwh`` beside it)."""

    name = "pynq"

    def __init__(self, overlay: str | Path, *, vlnv: str = EXPECTED_VLNV, base: int | None = None,
                 download: bool = True, pynq_module: Any = None, clock_mhz: float | None = None):
        self._pynq = pynq_module if pynq_module is not None else import_pynq()
        bit = Path(overlay)
        if not bit.is_file():
            raise FileNotFoundError(f"overlay {bit} not found: expected the accelerator's .bit with its .hwh beside it")
        self.bitfile = bit
        try:
            self.overlay = self._pynq.Overlay(str(bit), download=False)
        except (RuntimeError, OSError) as e:  # PYNQ without a device ("no devices found"), unreadable files
            raise BackendUnavailable(f"--backend pynq: PYNQ could not open the overlay {bit}: "
                                     + " ".join(str(e).split())) from None
        self.ip = check_ip_dict(self.overlay.ip_dict, str(bit.with_suffix(".hwh")), vlnv=vlnv, base=base)
        if download:
            self.overlay.download()
        self.mmio = self._pynq.MMIO(self.ip.phys_addr, self.ip.addr_range)
        self._buffers: list[PynqBuffer] = []
        self.wait_s = 0.0
        if clock_mhz is None:
            from edgemoe.golden.params import load_raw

            clock_mhz = float(load_raw()["hw"]["clock_mhz"])
        self.clock_mhz = clock_mhz

    def read_reg(self, off: int) -> int:
        return int(self.mmio.read(off)) & 0xFFFFFFFF

    def write_reg(self, off: int, val: int) -> None:
        self.mmio.write(off, int(val) & 0xFFFFFFFF)

    def alloc(self, nbytes: int) -> PynqBuffer:
        buf = PynqBuffer(self._pynq.allocate((int(nbytes),), dtype=np.uint8))
        self._buffers.append(buf)
        return buf

    def wait_irq(self, timeout_s: float) -> bool:
        t0 = time.perf_counter()
        deadline = t0 + max(0.0, timeout_s)
        nap = 20e-6
        try:
            while True:
                if self.read_reg(regmap.IRQ_STATUS) & self.read_reg(regmap.IRQ_ENABLE):
                    return True
                now = time.perf_counter()
                if now >= deadline:
                    return False
                time.sleep(min(nap, deadline - now))
                nap = min(2 * nap, 1e-3)
        finally:
            self.wait_s += time.perf_counter() - t0

    def host_seconds(self, cycles: float) -> float:
        return float(cycles) / (self.clock_mhz * 1e6) + OVERHEAD_S

    def record_info(self) -> dict[str, Any]:
        sha = hashlib.sha256(self.bitfile.read_bytes()).hexdigest()
        return {"source": "board", "label": f"ZCU102, {self.bitfile.name} {sha[:7]}", "board": "ZCU102",
                "part": "xczu9eg-ffvb1156-2-e", "bitstream": {"name": self.bitfile.name, "sha256": sha},
                "notes": f"PYNQ driver, IP {self.ip.name} at 0x{self.ip.phys_addr:08x}; latency_s is host wall "
                         "time per frame (patch write to output read), cycles_per_frame the CYCLES register"}

    def close(self) -> None:
        for b in self._buffers:
            b.free()
        self._buffers.clear()
