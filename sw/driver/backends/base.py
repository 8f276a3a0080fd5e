"""The small interface every backend implements (docs/architecture.md, "Host driver contract").

The :class:`~edgemoe.driver.accelerator.Accelerator` programs the device only
through this interface, so the register sequence and the error handling are one
piece of code for the instruction-set model, the RTL simulation and the board:

* ``read_reg(off) -> int`` / ``write_reg(off, val)``: 32-bit accesses to the
  AXI-Lite register slave, ``off`` a byte offset of :mod:`edgemoe.driver.regmap`;
* ``alloc(nbytes) -> Buffer``: device-visible memory of at least ``nbytes``
  bytes, 4 KB aligned, with a 64-bit ``device_address``;
* ``Buffer.flush()`` makes host writes visible to the device, ``Buffer.invalidate()``
  makes device writes visible to the host (the accelerator's AXI masters are not
  coherent: ``ARCACHE = 0b0011``);
* ``wait_irq(timeout_s) -> bool``: wait until the interrupt line is high
  (``IRQ_STATUS & IRQ_ENABLE != 0``), at most ``timeout_s`` host seconds; False on
  timeout. It never blocks longer than the bound;
* ``host_seconds(cycles) -> float``: how many host seconds this backend needs for
  ``cycles`` device cycles (the driver's wait bound is 10x the modelled latency in
  these units);
* ``record_info() -> dict``: what a measurement record says about the backend
  (``source``, ``label``, ``board``, ``part``, optional ``bitstream``, ``notes``);
* ``close()``.

``wait_s`` accumulates the host seconds spent inside ``wait_irq`` (for a model
backend: the model's own compute), so the driver can report its own overhead.
"""
from __future__ import annotations

import abc
from typing import Any

import numpy as np

PAGE = 4096
"""Alignment of every buffer (the weight image and the I/O region must be 4 KB aligned)."""


class BackendUnavailable(RuntimeError):
    """The backend cannot run on this machine (no board, RTL top not built); the message says why."""


class Buffer(abc.ABC):
    """Device-visible memory: ``array`` (np.uint8, host view), ``device_address`` (int, 64-bit)."""

    array: np.ndarray
    device_address: int

    @property
    def nbytes(self) -> int:
        return int(self.array.nbytes)

    @abc.abstractmethod
    def flush(self) -> None:
        """Write the host's view back to device memory (host -> device)."""

    @abc.abstractmethod
    def invalidate(self) -> None:
        """Drop the host's cached view; the next reads see what the device wrote (device -> host)."""

    def free(self) -> None:
        """Release the memory (optional)."""


class SimBuffer(Buffer):
    """A region of a simulated DDR with its own host copy (``array``), so a missing
    flush or invalidate shows in simulation as it would on the board.

    ``mem`` is the model's DDR (np.uint8); device address = ``mem_base + offset``.
    """

    def __init__(self, mem: np.ndarray, mem_base: int, offset: int, nbytes: int):
        self._mem, self._off = mem, offset
        self.array = np.zeros(nbytes, dtype=np.uint8)
        self.device_address = int(mem_base) + offset

    def flush(self) -> None:
        self._mem[self._off:self._off + self.array.size] = self.array

    def invalidate(self) -> None:
        self.array[:] = self._mem[self._off:self._off + self.array.size]


class SimArena:
    """Page-aligned bump allocation of :class:`SimBuffer` regions in a simulated DDR."""

    def __init__(self, mem: np.ndarray, mem_base: int, who: str):
        self._mem, self._base, self._who, self._next = mem, int(mem_base), who, 0

    def alloc(self, nbytes: int) -> SimBuffer:
        size = -(-int(nbytes) // PAGE) * PAGE
        if self._next + size > self._mem.size:
            raise MemoryError(f"{self._who}: {nbytes} bytes do not fit: {self._mem.size - self._next} of the "
                              f"model's {self._mem.size} DDR bytes are free")
        buf = SimBuffer(self._mem, self._base, self._next, int(nbytes))
        self._next += size
        return buf


class Backend(abc.ABC):
    """One way of reaching an accelerator: registers, buffers, interrupt."""

    name: str = "backend"
    wait_s: float = 0.0

    @abc.abstractmethod
    def read_reg(self, off: int) -> int: ...

    @abc.abstractmethod
    def write_reg(self, off: int, val: int) -> None: ...

    @abc.abstractmethod
    def alloc(self, nbytes: int) -> Buffer: ...

    @abc.abstractmethod
    def wait_irq(self, timeout_s: float) -> bool: ...

    @abc.abstractmethod
    def host_seconds(self, cycles: float) -> float: ...

    @abc.abstractmethod
    def record_info(self) -> dict[str, Any]: ...

    def close(self) -> None:
        """Release the device (buffers, overlay handles)."""
