"""``iss`` backend: the accelerator's instruction-set model (:class:`edgemoe.driver.iss.Iss`).

Registers are the model's register file; buffers are carved out of its DDR array
(4 KB aligned, bump-allocated from ``iss.mem_base``). Each buffer keeps a host
copy, like a cached mapping on the board: the model sees host writes only after
``flush()`` and the host sees the model's writes only after ``invalidate()``, so
a driver that forgets either fails here too, not only on the board.

The model executes when the host waits: ``wait_irq`` runs ``iss.advance`` a few
commands at a time until the interrupt line is high or the bound has passed (a
hung model -- ``iss.hang_at`` with ``TIMEOUT`` 0 -- stays BUSY and the wait ends
at the bound). The host seconds spent in ``advance`` are the model's own compute
(``compute_s``); ``host_seconds(cycles)`` converts device cycles to host seconds
at :data:`HOST_S_PER_CYCLE`.
"""
from __future__ import annotations

import time
from typing import Any

from .. import regmap
from .base import Backend, SimArena, SimBuffer

HOST_S_PER_CYCLE = 1.0e-5
"""Host seconds the model may need per modelled device cycle: about 11 s for a 1.1M-cycle frame.
Conservative on purpose (measured: 14-22 s per frame on a shared 2-core machine at load 12,
a few seconds unloaded); the driver's default wait is 10x this times the modelled latency."""

CHUNK = 4
"""Commands executed per ``advance`` call while waiting (keeps the bound responsive)."""


class IssBackend(Backend):
    """The instruction-set model behind the backend interface; ``iss`` is the model (made if None)."""

    name = "iss"

    def __init__(self, iss: Any = None, *, mem_size: int = 64 << 20):
        if iss is None:
            from ..iss import Iss

            iss = Iss(mem_size=mem_size)
        self.iss = iss
        self._arena = SimArena(iss.mem, iss.mem_base, "iss backend")
        self.wait_s = 0.0
        self.compute_s = 0.0

    def read_reg(self, off: int) -> int:
        return int(self.iss.read32(off)) & 0xFFFFFFFF

    def write_reg(self, off: int, val: int) -> None:
        self.iss.write32(off, int(val) & 0xFFFFFFFF)

    def alloc(self, nbytes: int) -> SimBuffer:
        return self._arena.alloc(nbytes)

    def _line(self) -> bool:
        return bool(self.read_reg(regmap.IRQ_STATUS) & self.read_reg(regmap.IRQ_ENABLE))

    def wait_irq(self, timeout_s: float) -> bool:
        t0 = time.perf_counter()
        deadline = t0 + max(0.0, timeout_s)
        try:
            while True:
                if self._line():
                    return True
                now = time.perf_counter()
                if now >= deadline:
                    return False
                if self.read_reg(regmap.STATUS) & regmap.STATUS_BUSY:
                    before = self.read_reg(regmap.CMD_INDEX)
                    self.iss.advance(max_commands=CHUNK)
                    self.compute_s += time.perf_counter() - now
                    if (self.read_reg(regmap.STATUS) & regmap.STATUS_BUSY
                            and self.read_reg(regmap.CMD_INDEX) == before):
                        time.sleep(min(1e-3, max(0.0, deadline - time.perf_counter())))  # hung: no progress
                else:  # idle, line low: nothing will happen; wait out the bound as on a board
                    time.sleep(min(1e-3, max(0.0, deadline - now)))
        finally:
            self.wait_s += time.perf_counter() - t0

    def host_seconds(self, cycles: float) -> float:
        return float(cycles) * HOST_S_PER_CYCLE

    def record_info(self) -> dict[str, Any]:
        return {"source": "other", "label": "ISS (instruction-set model, edgemoe.driver.iss)",
                "board": "ZCU102 (modelled)", "part": "xczu9eg-ffvb1156-2-e",
                "notes": "instruction-set model on the host: latency_s is host wall time of the model, "
                         "cycles_per_frame the model's CYCLES register (edgemoe.perf_model schedule)"}
