"""Board power rails through Linux hwmon: the ZCU102's INA226 monitors.

Layout read (``root`` defaults to ``/sys/class/hwmon``), per device::

    hwmonN/name            chip name: "ina226_u79" (iio-hwmon, as PetaLinux/PYNQ
                           device trees bind the ZCU102 monitors) or "ina226"
                           (the ina2xx hwmon driver)
    hwmonN/label           optional device label ("ina226-u79", from the
                           device tree's ``label`` property)
    hwmonN/in*_input       voltages, millivolts (shunt first, bus voltage last)
    hwmonN/curr1_input     current, milliamperes
    hwmonN/power1_input    power, microwatts
    hwmonN/{in,curr,power}*_label   optional channel labels

A device is read when its name starts with one of ``chip_prefixes`` ("ina2",
"ina3" by default). Its chip id is the name when it carries the board
reference ("ina226_u79"), else the device label with "-" made "_", else
``name@hwmonN``. The rail comes from ``rail_map`` (chip id or board
reference to rail), then a channel label naming a known rail, then the
ZCU102 table :data:`ZCU102_RAILS` (from the board's device tree and
UG1182). Power is ``power1_input``; without it, bus voltage x current. The
bus voltage is the highest-numbered ``in*_input`` (the ina2xx driver gives
in0 shunt, in1 bus; iio-hwmon gives in1 shunt, in2 bus).

Rails are classified by :func:`rail_domain` into ``pl``, ``ps``, ``mgt``,
``board`` or ``other`` (see :mod:`edgemoe.report.power`). The ZCU102's
MGTRAVCC/MGTRAVTT feed the PS-GTR transceivers and MGTAVCC/MGTAVTT the PL
GTH transceivers; neither is part of the accelerator, so they are a domain of
their own rather than counted as PL or PS.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np

from .power import Availability, Channel, Reading

DEFAULT_ROOT = Path("/sys/class/hwmon")

ZCU102_RAILS: dict[str, str] = {
    # PS_PMBUS (I2C mux channel 0)
    "u76": "VCCPSINTFP", "u77": "VCCPSINTLP", "u78": "VCCPSAUX", "u87": "VCCPSPLL",
    "u85": "MGTRAVCC", "u86": "MGTRAVTT", "u93": "VCCO_PSDDR_504", "u88": "VCCOPS",
    "u15": "VCCOPS3", "u92": "VCCPSDDRPLL",
    # PL_PMBUS (I2C mux channel 1)
    "u79": "VCCINT", "u81": "VCCBRAM", "u80": "VCCAUX", "u84": "VCC1V2",
    "u16": "VCC3V3", "u65": "VADJ_FMC", "u74": "MGTAVCC", "u75": "MGTAVTT",
}
"""ZCU102 INA226 board reference -> rail name."""

_RAIL_DOMAINS: dict[str, str] = {
    "VCCINT": "pl", "VCCBRAM": "pl", "VCCAUX": "pl", "VCC1V2": "pl", "VCC3V3": "pl",
    "VCCPSINTFP": "ps", "VCCPSINTLP": "ps", "VCCINTFP": "ps", "VCCINTLP": "ps", "VCCPSAUX": "ps",
    "VCCPSPLL": "ps", "VCCOPS": "ps", "VCCOPS3": "ps", "VCCOPSDDR504": "ps", "VCCPSDDR": "ps",
    "VCCPSDDRPLL": "ps", "VCCOPSDDR": "ps",
    "MGTRAVCC": "mgt", "MGTRAVTT": "mgt", "MGTAVCC": "mgt", "MGTAVTT": "mgt",
    "VADJFMC": "board", "CADJFMC": "board",
}


def _norm(label: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", label.upper())


def rail_domain(label: str) -> str:
    """Domain of a rail by its label: "pl", "ps", "mgt", "board" or "other" (unknown).

    Matching ignores case and punctuation ("VCCO_PSDDR_504" = "vccopsddr504").
    Unlisted labels starting with VCCPS or VCCOPS count as PS, with MGT as mgt.
    """
    n = _norm(label)
    if n in _RAIL_DOMAINS:
        return _RAIL_DOMAINS[n]
    if n.startswith(("VCCPS", "VCCOPS")):
        return "ps"
    if n.startswith("MGT"):
        return "mgt"
    return "other"


def is_known_rail(label: str) -> bool:
    """Whether ``label`` names a rail this module can classify."""
    return rail_domain(label) != "other"


@dataclass(frozen=True)
class HwmonRail:
    """One monitor: its hwmon directory, chip id, rail label, domain and input files."""

    path: Path
    chip: str
    label: str
    domain: str
    power_file: Path | None
    bus_volt_file: Path | None
    curr_file: Path | None


def _read_text(p: Path) -> str:
    return p.read_text().strip()


def _read_int(p: Path) -> int:
    return int(_read_text(p))


def _index_files(dev: Path, kind: str) -> list[tuple[int, Path]]:
    out = []
    for f in dev.glob(f"{kind}*_input"):
        m = re.fullmatch(rf"{kind}(\d+)_input", f.name)
        if m:
            out.append((int(m.group(1)), f))
    return sorted(out)


def _chip_id(dev: Path, name: str) -> str:
    if re.search(r"_u\d+$", name):
        return name
    lab = dev / "label"
    if lab.is_file():
        text = _read_text(lab).replace("-", "_")
        if text:
            return text
    return f"{name}@{dev.name}"


def _board_ref(chip: str) -> str | None:
    m = re.search(r"(u\d+)$", chip.split("@")[0])
    return m.group(1) if m else None


def _rail_from_channel_labels(dev: Path) -> str | None:
    for f in sorted(dev.glob("*_label")):
        if f.name == "label":
            continue
        try:
            text = _read_text(f)
        except OSError:
            continue
        if is_known_rail(text):
            return text
    return None


class HwmonSource:
    """Power of every INA2xx rail under ``root`` (``quantity == "power"``, watts).

    ``rail_map`` overrides the rail of a chip, keyed by chip id
    ("ina226_u79") or board reference ("u79"). ``domains`` keeps only rails of
    those domains (all when ``None``). With ``detail=False`` only power is read
    (one I2C transfer per rail and sample instead of three) where the monitor
    has ``power1_input``.
    """

    kind = "INA226 via Linux hwmon"
    quantity = "power"

    def __init__(self, root: str | Path = DEFAULT_ROOT, *, rail_map: Mapping[str, str] | None = None,
                 chip_prefixes: tuple[str, ...] = ("ina2", "ina3"), domains: tuple[str, ...] | None = None,
                 detail: bool = True):
        self.root = Path(root)
        self.rail_map = dict(rail_map or {})
        self.chip_prefixes = chip_prefixes
        self.domains = domains
        self.detail = detail
        self._rails: list[HwmonRail] | None = None
        self._skipped: list[str] = []

    def _devices(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        devs = [p for p in self.root.iterdir() if re.fullmatch(r"hwmon\d+", p.name)]
        return sorted(devs, key=lambda p: int(p.name[5:]))

    def rails(self) -> list[HwmonRail]:
        """The monitored rails found, in hwmon order (cached)."""
        if self._rails is not None:
            return self._rails
        rails = []
        for dev in self._devices():
            try:
                name = _read_text(dev / "name")
            except OSError:
                continue
            if not name.startswith(self.chip_prefixes):
                continue
            chip = _chip_id(dev, name)
            ref = _board_ref(chip)
            label = (self.rail_map.get(chip) or (self.rail_map.get(ref) if ref else None)
                     or _rail_from_channel_labels(dev) or (ZCU102_RAILS.get(ref) if ref else None))
            if label is None:
                label = "unknown rail"
            power = dev / "power1_input"
            volts = _index_files(dev, "in")
            currs = _index_files(dev, "curr")
            rail = HwmonRail(
                path=dev, chip=chip, label=label,
                domain=rail_domain(label) if label != "unknown rail" else "other",
                power_file=power if power.is_file() else None,
                bus_volt_file=volts[-1][1] if volts else None,
                curr_file=currs[0][1] if currs else None,
            )
            if rail.power_file is None and (rail.bus_volt_file is None or rail.curr_file is None):
                self._skipped.append(f"{dev.name} ({chip}): no power1_input and no voltage+current pair")
                continue
            if self.domains is not None and rail.domain not in self.domains:
                continue
            rails.append(rail)
        self._rails = rails
        return rails

    def channels(self) -> list[Channel]:
        return [Channel("hwmon", f"{r.chip} {r.label}", r.domain, chip=r.chip, label=r.label) for r in self.rails()]

    def probe(self) -> Availability:
        if not self.root.is_dir():
            return Availability(False, f"{self.root} does not exist (not Linux, or no hwmon)")
        rails = self.rails()
        if not rails:
            n = len(self._devices())
            extra = ("; skipped: " + "; ".join(self._skipped)) if self._skipped else ""
            return Availability(False, f"no INA2xx power monitors among {n} hwmon devices under {self.root} "
                                       f"(not a board with INA226 rails?){extra}")
        try:
            self.read()
        except PermissionError as e:
            return Availability(False, f"permission denied reading {e.filename}")
        except (OSError, ValueError) as e:
            return Availability(False, f"cannot read hwmon rails: {e}")
        by_dom: dict[str, int] = {}
        for r in rails:
            by_dom[r.domain] = by_dom.get(r.domain, 0) + 1
        return Availability(True, f"{len(rails)} rails under {self.root} ("
                            + ", ".join(f"{k} {v}" for k, v in sorted(by_dom.items())) + ")")

    def read(self) -> Reading:
        """Watts per rail, plus bus volts and amps where the monitor reports them."""
        rails = self.rails()
        t = time.perf_counter()
        w = np.full(len(rails), np.nan)
        v = np.full(len(rails), np.nan)
        a = np.full(len(rails), np.nan)
        for i, r in enumerate(rails):
            if r.power_file is not None and not self.detail:
                w[i] = _read_int(r.power_file) * 1e-6
                continue
            if r.bus_volt_file is not None:
                v[i] = _read_int(r.bus_volt_file) * 1e-3
            if r.curr_file is not None:
                a[i] = _read_int(r.curr_file) * 1e-3
            w[i] = _read_int(r.power_file) * 1e-6 if r.power_file is not None else v[i] * a[i]
        return Reading(t, w, v, a)
