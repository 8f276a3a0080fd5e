"""Power sources: the common interface of RAPL, hwmon (INA226), NVML and test fakes.

A power source exposes a fixed list of :class:`Channel` objects and reads all
of them at once. A source reads either instantaneous power in watts
(``quantity == "power"``: hwmon, NVML) or a cumulative energy counter in
joules that starts at 0 on the first read (``quantity == "energy"``: RAPL,
whose hardware counter wrap-around the source undoes). The recorder in
:mod:`edgemoe.report.recorder` turns both into power samples and energies.

Every channel belongs to a *domain* saying what it powers:

=========  ==========================================================
``cpu``    whole CPU package (RAPL ``package-N``); summed for the CPU
``cpu-part`` a part of a package (RAPL ``core``, ``uncore``); not summed
``dram``   DRAM (RAPL ``dram``)
``platform`` whole platform (RAPL ``psys``)
``gpu``    a GPU board (NVML)
``pl``     Zynq programmable-logic rails (VCCINT, VCCBRAM, VCCAUX, VCC1V2, VCC3V3)
``ps``     Zynq processing-system rails (VCCPSINTFP, VCCPSINTLP, ...)
``mgt``    transceiver rails (MGTRAVCC, MGTRAVTT, MGTAVCC, MGTAVTT)
``board``  other board supplies (VADJ_FMC)
``other``  a monitor whose rail is unknown
=========  ==========================================================
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

import numpy as np

DOMAINS = ("cpu", "cpu-part", "dram", "platform", "gpu", "pl", "ps", "mgt", "board", "other")


@dataclass(frozen=True)
class Channel:
    """One measured quantity of a power source.

    ``name`` is unique within its source (RAPL zone name, hwmon chip and rail,
    NVML GPU index). ``chip`` and ``label`` identify a board rail: the hwmon
    chip name (``ina226_u79``) and the rail label (``VCCINT``).
    """

    source: str
    name: str
    domain: str
    chip: str = ""
    label: str = ""

    def __post_init__(self) -> None:
        if self.domain not in DOMAINS:
            raise ValueError(f"channel {self.name!r}: unknown domain {self.domain!r}, expected one of {DOMAINS}")


@dataclass(frozen=True)
class Availability:
    """Whether a source can be read here; ``reason`` says why not (or what was found)."""

    ok: bool
    reason: str


@dataclass
class Reading:
    """One read of every channel of a source.

    ``t`` is ``time.perf_counter()`` seconds; ``values`` holds watts (power
    sources) or cumulative joules (energy sources), one per channel; ``volts``
    and ``amps`` are filled by sources that measure them (NaN where unknown).
    """

    t: float
    values: np.ndarray
    volts: np.ndarray | None = None
    amps: np.ndarray | None = None


@runtime_checkable
class PowerSource(Protocol):
    """What the recorder needs from a power source."""

    kind: str
    """Human name of the mechanism, used in labels ("Intel RAPL (powercap)")."""
    quantity: Literal["power", "energy"]

    def probe(self) -> Availability:
        """Check that every channel can be read now, without side effects on later reads."""
        ...

    def channels(self) -> list[Channel]:
        """The channels, in the order of ``Reading.values``."""
        ...

    def read(self) -> Reading:
        """Read all channels (raises ``OSError`` if the hardware stops answering)."""
        ...
