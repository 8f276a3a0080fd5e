"""Report settings from a config file (JSON or TOML) and declared power figures.

A config file holds any of these (TOML shown; JSON uses the same nesting)::

    [power]                 # declared power, watts: used as given, always labelled "declared"
    cpu_w = 65.0
    gpu_w = 300.0
    fpga_w = 10.0
    cpu_note = "TDP of the Xeon"   # optional, shown next to the figure

    [baseline]
    runs = 20               # timed runs per batch size
    warmup = 3
    batch = [1, 8]          # batch sizes (1 is always measured)
    threads = 4             # torch CPU threads
    task = 0                # 0 | 1 | "seg" | "depth"
    gpu = true              # measure the GPU when one is present
    idle_s = 1.0            # idle baseline before measuring, seconds
    interval_s = 0.05       # power sampling interval, seconds
    power_basis = "dynamic" # or "total"
    fpga_domains = ["pl"]   # rail domains summed for FPGA power

    records = ["board-run.json"]   # FPGA measurement records, relative to the file

Command-line options override the file. Unknown keys are errors.
"""
from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError, found

PLATFORMS = ("cpu", "gpu", "fpga")
POWER_BASES = ("dynamic", "total")
_BASELINE_KEYS = ("runs", "warmup", "batch", "threads", "task", "gpu", "idle_s", "interval_s", "power_basis",
                  "fpga_domains")
_POWER_KEYS = tuple(f"{p}_w" for p in PLATFORMS) + tuple(f"{p}_note" for p in PLATFORMS)


@dataclass(frozen=True)
class DeclaredPower:
    """A power figure the user states (W), with where it was stated (``origin``)."""

    platform: str
    watts: float
    origin: str
    note: str = ""

    @property
    def label(self) -> str:
        """Label shown with every figure derived from it."""
        return f"declared ({self.origin})" + (f": {self.note}" if self.note else "")


def parse_task(value: Any, origin: str) -> int:
    """Task index from 0, 1, "0", "1", "seg" or "depth"; ConfigError naming ``origin`` otherwise."""
    names = {"seg": 0, "depth": 1, "0": 0, "1": 1}
    if isinstance(value, int) and not isinstance(value, bool) and value in (0, 1):
        return value
    if isinstance(value, str) and value.strip().lower() in names:
        return names[value.strip().lower()]
    raise ConfigError(f"{origin}: unknown task {found(value)}: expected 0 or 'seg' (segmentation), "
                      "1 or 'depth'")


def declared_power(platform: str, watts: Any, origin: str, note: str = "") -> DeclaredPower:
    """A :class:`DeclaredPower`, checking ``watts`` is a finite number > 0."""
    if platform not in PLATFORMS:
        raise ConfigError(f"{origin}: unknown platform {platform!r}, expected one of {PLATFORMS}")
    if isinstance(watts, bool) or not isinstance(watts, (int, float)) or not (0 < float(watts) < float("inf")):
        raise ConfigError(f"{origin}: expected a power in watts > 0, found {found(watts)}")
    return DeclaredPower(platform, float(watts), origin, note)


def load_config(path: str | Path) -> dict[str, Any]:
    """Read a JSON (.json) or TOML (.toml) config file into a checked dict.

    Returns keys ``power`` (platform -> DeclaredPower), ``baseline`` (dict of
    the keys listed in the module docstring) and ``records`` (list of
    absolute paths). Raises :class:`ConfigError` naming the file and the key.
    """
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"config file {p} does not exist")
    try:
        if p.suffix == ".toml":
            with open(p, "rb") as f:
                raw = tomllib.load(f)
        elif p.suffix == ".json":
            raw = json.loads(p.read_text())
        else:
            raise ConfigError(f"config file {p}: expected a .json or .toml file, found suffix {p.suffix!r}")
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"config file {p}: invalid TOML: {e}") from None
    except json.JSONDecodeError as e:
        raise ConfigError(f"config file {p}: invalid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"config file {p}: expected a table/object at the top level, found {found(raw)}")
    unknown = set(raw) - {"power", "baseline", "records"}
    if unknown:
        raise ConfigError(f"config file {p}: unknown key(s) {sorted(unknown)}: expected power, baseline, records")
    out: dict[str, Any] = {"power": {}, "baseline": {}, "records": []}
    power = raw.get("power", {})
    if not isinstance(power, dict):
        raise ConfigError(f"config file {p}: 'power' must be a table, found {found(power)}")
    bad = set(power) - set(_POWER_KEYS)
    if bad:
        raise ConfigError(f"config file {p}: unknown key(s) power.{sorted(bad)}: expected {', '.join(_POWER_KEYS)}")
    for plat in PLATFORMS:
        if f"{plat}_w" in power:
            note = power.get(f"{plat}_note", "")
            if not isinstance(note, str):
                raise ConfigError(f"config file {p}: power.{plat}_note must be a string, found {found(note)}")
            out["power"][plat] = declared_power(plat, power[f"{plat}_w"], f"{p.name}: power.{plat}_w", note)
    base = raw.get("baseline", {})
    if not isinstance(base, dict):
        raise ConfigError(f"config file {p}: 'baseline' must be a table, found {found(base)}")
    bad = set(base) - set(_BASELINE_KEYS)
    if bad:
        raise ConfigError(f"config file {p}: unknown key(s) baseline.{sorted(bad)}: "
                          f"expected {', '.join(_BASELINE_KEYS)}")
    out["baseline"] = check_baseline(base, f"config file {p}: baseline.")
    recs = raw.get("records", [])
    if not isinstance(recs, list) or not all(isinstance(r, str) for r in recs):
        raise ConfigError(f"config file {p}: 'records' must be a list of file paths, found {found(recs)}")
    out["records"] = [str((p.parent / r).resolve()) if not Path(r).is_absolute() else r for r in recs]
    return out


_CLI_OPTIONS = {"interval_s": "--interval"}
"""Baseline settings whose command-line option is not ``--`` plus the key with dashes."""


def _setting(origin: str, key: str) -> str:
    """How a setting is named in an error: the option (``--idle-s``) for the command line, else ``origin + key``."""
    if origin == "--":
        return _CLI_OPTIONS.get(key, "--" + key.replace("_", "-"))
    return origin + key


def check_baseline(base: dict[str, Any], origin: str) -> dict[str, Any]:
    """Validate baseline settings (see module docstring); ``origin`` prefixes error messages."""
    out: dict[str, Any] = {}

    def pos_int(k: str, minimum: int) -> None:
        v = base[k]
        if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
            raise ConfigError(f"{_setting(origin, k)}: expected an integer >= {minimum}, found {found(v)}")
        out[k] = v

    def pos_float(k: str, allow_zero: bool) -> None:
        v = base[k]
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) and (v >= 0 if allow_zero else v > 0)
        if not ok or v != v or v == float("inf"):
            raise ConfigError(f"{_setting(origin, k)}: expected a number of seconds {'>= 0' if allow_zero else '> 0'}, "
                              f"found {found(v)}")
        out[k] = float(v)

    for k in base:
        if k == "runs":
            pos_int(k, 1)
        elif k == "warmup":
            pos_int(k, 0)
        elif k == "threads":
            pos_int(k, 1)
        elif k == "batch":
            v = base[k]
            vals = v if isinstance(v, list) else [v]
            if not vals or any(isinstance(b, bool) or not isinstance(b, int) or b < 1 for b in vals):
                raise ConfigError(f"{_setting(origin, 'batch')}: expected a batch size >= 1 or a list of them, found {found(v)}")
            out[k] = list(vals)
        elif k == "task":
            out[k] = parse_task(base[k], f"{origin}task")
        elif k == "gpu":
            if not isinstance(base[k], bool):
                raise ConfigError(f"{_setting(origin, 'gpu')}: expected true or false, found {found(base[k])}")
            out[k] = base[k]
        elif k == "idle_s":
            pos_float(k, True)
        elif k == "interval_s":
            pos_float(k, False)
        elif k == "power_basis":
            if base[k] not in POWER_BASES:
                raise ConfigError(f"{_setting(origin, 'power_basis')}: expected one of {POWER_BASES}, found {found(base[k])}")
            out[k] = base[k]
        elif k == "fpga_domains":
            v = base[k]
            allowed = ("pl", "ps", "mgt", "board", "other")
            if not isinstance(v, list) or not v or any(x not in allowed for x in v):
                raise ConfigError(f"{_setting(origin, 'fpga_domains')}: expected a non-empty list drawn from {allowed}, "
                                  f"found {found(v)}")
            out[k] = list(v)
        else:
            raise ConfigError(f"{_setting(origin, k)}: unknown setting; expected one of {', '.join(_BASELINE_KEYS)}")
    return out
