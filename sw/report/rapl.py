"""Intel RAPL energy counters through the Linux powercap interface.

Layout read (``root`` defaults to ``/sys/class/powercap``)::

    intel-rapl:0/name                    "package-0"
    intel-rapl:0/energy_uj               cumulative energy, microjoules
    intel-rapl:0/max_energy_range_uj     the counter wraps to 0 after this value
    intel-rapl:0:0/name                  "core"   (a sub-zone of package 0)
    intel-rapl:0:1/name                  "uncore" | "dram"
    intel-rapl:1/name                    "package-1" | "psys"

Each zone is one channel. The CPU's power is the sum of the top-level
``package-N`` zones (domain ``cpu``); sub-zones are reported but not summed
(they are part of the package, except ``dram``, domain ``dram``). RAPL
measures the whole package, whatever else runs on it.

Wrap-around: when a counter reads less than at the previous read, it passed
``max_energy_range_uj`` once, and the energy in between is
``new + max_energy_range_uj - old``. A counter must be read at least once per
wrap period (``max_energy_range_uj`` / power: about 40 minutes at 100 W for
the usual 2^32 * 61 uJ range); the recorder reads every ``interval`` seconds.

Since Linux 5.10 ``energy_uj`` is readable by root only (CVE-2020-8694); the
source is then unavailable and says so.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .power import Availability, Channel, Reading

DEFAULT_ROOT = Path("/sys/class/powercap")
_ZONE = re.compile(r"^intel-rapl:(\d+)(?::(\d+))?$")


@dataclass(frozen=True)
class RaplZone:
    """One powercap zone: its directory, name and counter range (microjoules)."""

    path: Path
    name: str
    max_range_uj: int
    top_level: bool


def _domain(zone: RaplZone) -> str:
    if zone.name.startswith("package"):
        return "cpu" if zone.top_level else "cpu-part"
    if zone.name == "dram":
        return "dram"
    if zone.name == "psys":
        return "platform"
    return "cpu-part"


def unwrap_delta(old_uj: int, new_uj: int, max_range_uj: int) -> int:
    """Energy in microjoules between two reads of a counter that wraps after ``max_range_uj``."""
    if new_uj >= old_uj:
        return new_uj - old_uj
    return new_uj + max_range_uj - old_uj


class RaplSource:
    """Energy of every RAPL zone under ``root`` (``quantity == "energy"``, joules from the first read)."""

    kind = "Intel RAPL (powercap)"
    quantity = "energy"

    def __init__(self, root: str | Path = DEFAULT_ROOT):
        self.root = Path(root)
        self._zones: list[RaplZone] | None = None
        self._last: list[int] | None = None
        self._acc_uj: np.ndarray | None = None

    def zones(self) -> list[RaplZone]:
        """The zones found under ``root``, sorted by package then sub-zone (cached)."""
        if self._zones is None:
            found = []
            if self.root.is_dir():
                for p in self.root.iterdir():
                    m = _ZONE.match(p.name)
                    if not m:
                        continue
                    name = (p / "name").read_text().strip() if (p / "name").is_file() else p.name
                    try:
                        rng = int((p / "max_energy_range_uj").read_text().strip())
                    except (OSError, ValueError):
                        rng = 0
                    key = (int(m.group(1)), -1 if m.group(2) is None else int(m.group(2)))
                    found.append((key, RaplZone(p, name, rng, m.group(2) is None)))
            self._zones = [z for _, z in sorted(found, key=lambda kz: kz[0])]
        return self._zones

    def channels(self) -> list[Channel]:
        return [Channel("rapl", f"{z.path.name} {z.name}", _domain(z), label=z.name) for z in self.zones()]

    def probe(self) -> Availability:
        if not self.root.is_dir():
            return Availability(False, f"{self.root} does not exist (not Linux, or no RAPL powercap driver loaded)")
        zones = self.zones()
        if not zones:
            return Availability(False, f"no intel-rapl zones under {self.root}")
        for z in zones:
            f = z.path / "energy_uj"
            try:
                int(f.read_text().strip())
            except PermissionError:
                return Availability(False, f"permission denied reading {f}: RAPL counters are readable by root "
                                           "only since Linux 5.10 (CVE-2020-8694); run as root or grant read access")
            except (OSError, ValueError) as e:
                return Availability(False, f"cannot read {f}: {e}")
            if z.max_range_uj <= 0:
                return Availability(False, f"{z.path / 'max_energy_range_uj'} is missing or not a positive integer, "
                                           "so counter wrap-around cannot be undone")
        names = ", ".join(z.name for z in zones)
        return Availability(True, f"{len(zones)} zones under {self.root}: {names}")

    def read(self) -> Reading:
        """Cumulative joules per zone since the first read, with wrap-around undone."""
        zones = self.zones()
        t = time.perf_counter()
        raw = [int((z.path / "energy_uj").read_text().strip()) for z in zones]
        if self._last is None or self._acc_uj is None:
            self._acc_uj = np.zeros(len(zones), dtype=np.float64)
        else:
            for i, z in enumerate(zones):
                self._acc_uj[i] += unwrap_delta(self._last[i], raw[i], z.max_range_uj)
        self._last = raw
        return Reading(t, self._acc_uj * 1e-6)
