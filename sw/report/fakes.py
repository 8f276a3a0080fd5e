"""Fake power hardware for tests and demos: sysfs trees in the real layout, scripted sources.

:func:`make_hwmon_tree` writes ``hwmonN`` directories as Linux exposes INA226
monitors (iio-hwmon names such as ``ina226_u79`` with in1 = shunt and in2 =
bus voltage, or the ina2xx driver's ``ina226`` with a ``label`` file and in0
= shunt, in1 = bus). :func:`make_rapl_tree` writes ``intel-rapl:N[:M]``
zones. Point :class:`~edgemoe.report.hwmon.HwmonSource` or
:class:`~edgemoe.report.rapl.RaplSource` at the root to read them.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from .power import Availability, Channel, Reading


def _put(path: Path, text: str) -> None:
    """Replace a file's content atomically, as a sysfs read never sees a half-written value."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


@dataclass
class FakeRail:
    """One INA226 as hwmon shows it: board reference, bus volts, amps; ``style`` "iio" or "ina2xx"."""

    ref: str
    volts: float
    amps: float
    style: str = "iio"
    with_power: bool = True
    channel_label: str | None = None


def write_rail(dev: Path, rail: FakeRail) -> None:
    """(Re)write the input files of one monitor (mV, mA, uW, as the kernel does)."""
    shunt_mv = 0.002 * rail.amps * 1e3  # a 2 mOhm shunt
    bus, shunt = ("in2_input", "in1_input") if rail.style == "iio" else ("in1_input", "in0_input")
    _put(dev / bus, f"{round(rail.volts * 1e3)}\n")
    _put(dev / shunt, f"{round(shunt_mv)}\n")
    _put(dev / "curr1_input", f"{round(rail.amps * 1e3)}\n")
    if rail.with_power:
        _put(dev / "power1_input", f"{round(rail.volts * rail.amps * 1e6)}\n")


def make_hwmon_tree(root: str | Path, rails: Sequence[FakeRail], *, extra_devices: Sequence[str] = ("coretemp",)
                    ) -> dict[str, Path]:
    """Write ``root/hwmon0..`` for ``extra_devices`` (temperature-only chips) then ``rails``.

    Returns board reference -> device directory, to rewrite values later with :func:`write_rail`.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    n = 0
    for name in extra_devices:
        d = root / f"hwmon{n}"
        d.mkdir()
        (d / "name").write_text(name + "\n")
        (d / "temp1_input").write_text("45000\n")
        n += 1
    out = {}
    for r in rails:
        d = root / f"hwmon{n}"
        d.mkdir()
        if r.style == "iio":
            (d / "name").write_text(f"ina226_{r.ref}\n")
        else:
            (d / "name").write_text("ina226\n")
            (d / "label").write_text(f"ina226-{r.ref}\n")
        if r.channel_label:
            (d / "curr1_label").write_text(r.channel_label + "\n")
        write_rail(d, r)
        out[r.ref] = d
        n += 1
    return out


@dataclass
class FakeZone:
    """One RAPL zone: directory suffix ("0", "0:0", ...), name, counter and range in microjoules."""

    suffix: str
    name: str
    energy_uj: int
    max_range_uj: int = 262143328850


def make_rapl_tree(root: str | Path, zones: Sequence[FakeZone]) -> dict[str, Path]:
    """Write ``root/intel-rapl:<suffix>`` zones plus the ``intel-rapl`` control-type directory."""
    root = Path(root)
    (root / "intel-rapl").mkdir(parents=True, exist_ok=True)
    (root / "intel-rapl" / "enabled").write_text("1\n")
    out = {}
    for z in zones:
        d = root / f"intel-rapl:{z.suffix}"
        d.mkdir()
        (d / "name").write_text(z.name + "\n")
        (d / "energy_uj").write_text(f"{z.energy_uj}\n")
        (d / "max_energy_range_uj").write_text(f"{z.max_range_uj}\n")
        out[z.suffix] = d
    return out


def set_energy(zone_dir: Path, energy_uj: int) -> None:
    """Set a fake zone's counter (microjoules)."""
    _put(zone_dir / "energy_uj", f"{energy_uj}\n")


class FakeEnergySource:
    """An energy source (like RAPL) whose counter grows at ``idle_w`` watts plus ``bump()`` joules.

    Energy is exact in time (``idle_w * elapsed``), so summaries of a phase
    with no bumps give ``idle_w`` to rounding.
    """

    kind = "fake energy counter"
    quantity = "energy"

    def __init__(self, idle_w: float = 0.0, domain: str = "cpu", name: str = "package-0"):
        self.idle_w = idle_w
        self._t0 = time.perf_counter()
        self._bumped = 0.0
        self._channel = Channel("fake", name, domain, label=name)

    def bump(self, joules: float) -> None:
        self._bumped += joules

    def probe(self) -> Availability:
        return Availability(True, "fake")

    def channels(self) -> list[Channel]:
        return [self._channel]

    def read(self) -> Reading:
        t = time.perf_counter()
        return Reading(t, np.array([self.idle_w * (t - self._t0) + self._bumped]))


class UnavailableSource:
    """A source that is never available, with a given reason."""

    quantity = "power"

    def __init__(self, kind: str, reason: str):
        self.kind = kind
        self.reason = reason

    def probe(self) -> Availability:
        return Availability(False, self.reason)

    def channels(self) -> list[Channel]:
        return []

    def read(self) -> Reading:
        raise OSError(self.reason)
