"""FPGA measurement records: the JSON the board driver and the RTL simulation write.

A record describes one run of the accelerator: where it ran, at what clock,
on which task, how long each frame took and, on a board, the power of every
monitored rail while running and while idle. The report reads records; it
never invents FPGA numbers. The format (schema ``edgemoe.measurement``,
version 1) is documented field by field in ``docs/report.md``; in short::

    {
      "schema": "edgemoe.measurement", "schema_version": 1,
      "kind": "measurement",            # or "example": generated test data
      "source": "board",                # board | rtl-sim | hls-cosim | other
      "label": "ZCU102, bitstream 3f2a", # optional display name
      "device": {"board": "ZCU102", "part": "xczu9eg-ffvb1156-2-e"},
      "clock_mhz": 300.0, "task": 0, "batch": 1, "frames": 100,
      "latency_s": {"samples": [0.0201, ...]},    # seconds per frame, or
                   # {"n", "median", "mean", "std", "min", "max"}
      "cycles_per_frame": 6012345,      # optional
      "power": {                        # optional (absent or null: not measured)
        "method": "INA226 via Linux hwmon", "interval_s": 0.05, "idle_duration_s": 5.0,
        "rails": [{"chip": "ina226_u79", "label": "VCCINT", "domain": "pl",
                   "watts": [...], "volts": [...], "amps": [...], "idle_watts": [...]}]},
      "bitstream": {"name": "edgemoe.bit", "sha256": "<64 hex>"},  # required for board
      "commit": "<git commit, 7-40 hex>",
      "started_at": "2025-01-31T12:00:00Z", "finished_at": "2025-01-31T12:00:09Z",
      "host": "...", "notes": "...", "x-anything": ...   # optional
    }

:func:`validate_record` checks all of it and raises :class:`RecordError`
naming the file, the field, what was expected and what was found.
:func:`make_record` builds a record from latencies and a
:class:`~edgemoe.report.recorder.PowerTrace`; :func:`example_record` makes
clearly labelled example data for tests and demos.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from .errors import RecordError, found
from .hwmon import rail_domain
from .stats import LatencyStats

SCHEMA = "edgemoe.measurement"
SCHEMA_VERSION = 1
KINDS = ("measurement", "example")
SOURCES = ("board", "rtl-sim", "hls-cosim", "other")
RAIL_DOMAINS = ("pl", "ps", "mgt", "board", "other")
EXAMPLE_LABEL = "EXAMPLE (generated test data, not a measurement)"

_TOP_FIELDS = {
    "schema": True, "schema_version": True, "kind": True, "source": True, "label": False, "device": True,
    "clock_mhz": True, "task": True, "batch": False, "frames": True, "latency_s": True,
    "cycles_per_frame": False, "power": False, "bitstream": False, "commit": True,
    "started_at": True, "finished_at": True, "host": False, "notes": False,
}
_HEX = re.compile(r"^[0-9a-f]+$")


@dataclass(frozen=True)
class RailRecord:
    """One rail of a record: samples in W (``watts``, ``idle_watts``), V and A."""

    chip: str
    label: str
    domain: str
    watts: np.ndarray
    volts: np.ndarray | None
    amps: np.ndarray | None
    idle_watts: np.ndarray | None

    @property
    def mean_w(self) -> float:
        """Mean power while running (samples are evenly spaced), W."""
        return float(self.watts.mean())

    @property
    def idle_w(self) -> float | None:
        """Mean idle power, W, or None without an idle baseline."""
        return None if self.idle_watts is None else float(self.idle_watts.mean())


@dataclass(frozen=True)
class MeasurementRecord:
    """A validated measurement record (see module docstring for the meaning of each field)."""

    path: str
    kind: str
    source: str
    label: str
    board: str
    part: str
    clock_mhz: float
    task: int
    batch: int
    frames: int
    latency: LatencyStats
    cycles_per_frame: float | None
    power_method: str
    interval_s: float | None
    rails: tuple[RailRecord, ...]
    bitstream: dict | None
    commit: str
    started_at: str
    finished_at: str
    notes: str
    raw: dict

    @property
    def is_example(self) -> bool:
        return self.kind == "example"

    @property
    def has_power(self) -> bool:
        return bool(self.rails)

    @property
    def has_idle(self) -> bool:
        return bool(self.rails) and all(r.idle_watts is not None for r in self.rails)

    def power_w(self, domains: Iterable[str], basis: str) -> tuple[float, float | None, list[RailRecord]]:
        """(power used, idle, rails summed) over the rails of ``domains``.

        ``basis`` "dynamic" subtracts the idle baseline; "total" does not.
        Raises :class:`RecordError` when no rail is in ``domains`` or
        "dynamic" is asked of a record without idle samples.
        """
        doms = tuple(domains)
        rails = [r for r in self.rails if r.domain in doms]
        if not rails:
            have = sorted({r.domain for r in self.rails})
            raise RecordError(f"{self.path}: no power rail in domains {list(doms)} (record has {have})")
        total = float(sum(r.mean_w for r in rails))
        idle = float(sum(r.idle_w for r in rails)) if self.has_idle else None  # type: ignore[misc]
        if basis == "total":
            return total, idle, rails
        if basis == "dynamic":
            if idle is None:
                raise RecordError(f"{self.path}: power basis 'dynamic' needs idle_watts on every rail; "
                                  "the record has none (use --power-basis total)")
            return total - idle, idle, rails
        raise RecordError(f"unknown power basis {basis!r}: expected 'total' or 'dynamic'")

    @property
    def display_name(self) -> str:
        if self.is_example:
            return f"{EXAMPLE_LABEL}: {self.label or self.board}"
        return self.label or f"{self.board} ({self.source}, {self.clock_mhz:g} MHz)"


class _Checker:
    """Field checks that raise RecordError('<where>: field '<path>': expected ..., found ...')."""

    def __init__(self, where: str):
        self.where = where

    def fail(self, path: str, expected: str, value: Any = None, *, missing: bool = False) -> RecordError:
        got = "nothing (field missing)" if missing else found(value)
        return RecordError(f"{self.where}: field '{path}': expected {expected}, found {got}")

    def obj(self, d: Any, path: str) -> dict:
        if not isinstance(d, dict):
            raise self.fail(path, "a JSON object", d)
        return d

    def get(self, d: dict, key: str, path: str, expected: str) -> Any:
        if key not in d:
            raise self.fail(f"{path}{key}", expected, missing=True)
        return d[key]

    def string(self, v: Any, path: str, *, choices: Sequence[str] | None = None, empty: bool = False) -> str:
        if choices is not None:
            if v not in choices:
                raise self.fail(path, "one of " + ", ".join(repr(c) for c in choices), v)
            return v
        if not isinstance(v, str) or (not empty and not v.strip()):
            raise self.fail(path, "a non-empty string", v)
        return v

    def number(self, v: Any, path: str, *, positive: bool = False, nonneg: bool = False, unit: str = "") -> float:
        what = ("a positive" if positive else "a non-negative" if nonneg else "a finite") + " number"
        what += f" ({unit})" if unit else ""
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v):
            raise self.fail(path, what, v)
        if (positive and v <= 0) or (nonneg and v < 0):
            raise self.fail(path, what, v)
        return float(v)

    def integer(self, v: Any, path: str, *, minimum: int = 0, choices: Sequence[int] | None = None) -> int:
        if choices is not None:
            if isinstance(v, bool) or v not in choices:
                raise self.fail(path, "one of " + ", ".join(str(c) for c in choices), v)
            return int(v)
        if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
            raise self.fail(path, f"an integer >= {minimum}", v)
        return v

    def array(self, v: Any, path: str, *, nonneg: bool = False, positive: bool = False, unit: str = "",
              length: int | None = None) -> np.ndarray:
        what = f"a non-empty list of {'positive' if positive else 'non-negative' if nonneg else 'finite'} numbers"
        what += f" ({unit})" if unit else ""
        if not isinstance(v, list) or not v:
            raise self.fail(path, what, v)
        for i, x in enumerate(v):
            self.number(x, f"{path}[{i}]", positive=positive, nonneg=nonneg, unit=unit)
        if length is not None and len(v) != length:
            raise self.fail(path, f"{length} values (one per 'watts' sample)", f"{len(v)} values")
        return np.asarray(v, dtype=np.float64)

    def time(self, v: Any, path: str) -> datetime:
        expected = "an ISO 8601 time with a time zone, e.g. '2025-01-31T12:00:00Z'"
        if not isinstance(v, str):
            raise self.fail(path, expected, v)
        try:
            t = datetime.fromisoformat(v)
        except ValueError:
            raise self.fail(path, expected, v) from None
        if t.tzinfo is None:
            raise self.fail(path, expected, v)
        return t


def _latency(c: _Checker, v: Any, frames: int) -> LatencyStats:
    v = c.obj(v, "latency_s")
    if "samples" in v:
        extra = set(v) - {"samples"}
        if extra:
            raise c.fail("latency_s", "either {'samples': [...]} or the statistics n, median, mean, std, min, max, "
                         "not both", sorted(extra))
        a = c.array(v["samples"], "latency_s.samples", positive=True, unit="seconds per frame")
        if a.size > frames:
            raise c.fail("latency_s.samples", f"at most 'frames' = {frames} samples", f"{a.size} samples")
        return LatencyStats.from_samples(a)
    keys = ("n", "median", "mean", "std", "min", "max")
    for k in keys:
        if k not in v:
            raise c.fail(f"latency_s.{k}", "'samples' (a list) or all of n, median, mean, std, min, max "
                         "(seconds per frame)", missing=True)
    extra = set(v) - set(keys)
    if extra:
        raise c.fail("latency_s", "only n, median, mean, std, min, max", sorted(extra))
    n = c.integer(v["n"], "latency_s.n", minimum=1)
    if n > frames:
        raise c.fail("latency_s.n", f"at most 'frames' = {frames}", n)
    s = {k: c.number(v[k], f"latency_s.{k}", positive=k != "std", nonneg=k == "std", unit="seconds")
         for k in keys[1:]}
    for k in ("median", "mean"):
        if not s["min"] <= s[k] <= s["max"]:
            raise c.fail(f"latency_s.{k}", f"a value between min {s['min']} and max {s['max']}", s[k])
    return LatencyStats(n=n, median_s=s["median"], mean_s=s["mean"], std_s=s["std"], min_s=s["min"], max_s=s["max"])


def _power(c: _Checker, v: Any) -> tuple[str, float | None, tuple[RailRecord, ...]]:
    if v is None:
        return "", None, ()
    v = c.obj(v, "power")
    allowed = {"method", "interval_s", "idle_duration_s", "rails"}
    extra = [k for k in v if k not in allowed and not k.startswith("x-")]
    if extra:
        raise c.fail("power", "only the fields " + ", ".join(sorted(allowed)), f"unknown field(s) {extra}")
    method = c.string(c.get(v, "method", "power.", "how power was measured, e.g. 'INA226 via Linux hwmon'"),
                      "power.method")
    interval = c.number(c.get(v, "interval_s", "power.", "the sampling interval in seconds"), "power.interval_s",
                        positive=True, unit="seconds")
    if "idle_duration_s" in v:
        c.number(v["idle_duration_s"], "power.idle_duration_s", positive=True, unit="seconds")
    rails_v = c.get(v, "rails", "power.", "a non-empty list of rails")
    if not isinstance(rails_v, list) or not rails_v:
        raise c.fail("power.rails", "a non-empty list of rails", rails_v)
    rails, seen = [], set()
    for i, r in enumerate(rails_v):
        p = f"power.rails[{i}]"
        r = c.obj(r, p)
        extra = [k for k in r if k not in {"chip", "label", "domain", "watts", "volts", "amps", "idle_watts"}]
        if extra:
            raise c.fail(p, "only chip, label, domain, watts, volts, amps, idle_watts", f"unknown field(s) {extra}")
        chip = c.string(c.get(r, "chip", p + ".", "the hwmon chip name, e.g. 'ina226_u79'"), p + ".chip")
        label = c.string(c.get(r, "label", p + ".", "the rail label, e.g. 'VCCINT'"), p + ".label")
        dom = c.string(c.get(r, "domain", p + ".", "one of " + ", ".join(RAIL_DOMAINS)), p + ".domain",
                       choices=RAIL_DOMAINS)
        known = rail_domain(label)
        if known != "other" and known != dom:
            raise c.fail(p + ".domain", f"{known!r} for rail {label}", dom)
        if (chip, label) in seen:
            raise c.fail(p, "each (chip, label) once", f"a second {chip} {label}")
        seen.add((chip, label))
        w = c.array(c.get(r, "watts", p + ".", "power samples in watts"), p + ".watts", nonneg=True, unit="watts")
        volts = c.array(r["volts"], p + ".volts", nonneg=True, unit="volts", length=w.size) if "volts" in r else None
        amps = c.array(r["amps"], p + ".amps", unit="amperes", length=w.size) if "amps" in r else None
        idle = c.array(r["idle_watts"], p + ".idle_watts", nonneg=True, unit="watts") if "idle_watts" in r else None
        rails.append(RailRecord(chip, label, dom, w, volts, amps, idle))
    with_idle = [r.label for r in rails if r.idle_watts is not None]
    if with_idle and len(with_idle) != len(rails):
        missing = [f"{r.chip} {r.label}" for r in rails if r.idle_watts is None]
        raise c.fail("power.rails", "idle_watts on every rail or on none", f"idle_watts missing on {missing}")
    return method, interval, tuple(rails)


def validate_record(obj: Any, where: str = "record") -> MeasurementRecord:
    """Check a parsed record against schema version 1 and return it typed.

    ``where`` names the record in errors (its file path). Raises
    :class:`RecordError` naming the first bad field, what was expected and what
    was found.
    """
    c = _Checker(where)
    d = c.obj(obj, "(top level)")
    if d.get("schema") != SCHEMA:
        raise c.fail("schema", repr(SCHEMA), d.get("schema"), missing="schema" not in d)
    if d.get("schema_version") != SCHEMA_VERSION or isinstance(d.get("schema_version"), bool):
        raise c.fail("schema_version", f"{SCHEMA_VERSION} (the version this kit reads)", d.get("schema_version"),
                     missing="schema_version" not in d)
    unknown = [k for k in d if k not in _TOP_FIELDS and not k.startswith("x-")]
    if unknown:
        raise RecordError(f"{where}: unknown field(s) {unknown}: expected only "
                          + ", ".join(_TOP_FIELDS) + " (and extension fields starting with 'x-')")
    for k, req in _TOP_FIELDS.items():
        if req and k not in d:
            raise c.fail(k, _EXPECT[k], missing=True)
    kind = c.string(d["kind"], "kind", choices=KINDS)
    source = c.string(d["source"], "source", choices=SOURCES)
    label = c.string(d.get("label", ""), "label", empty=True)
    dev = c.obj(d["device"], "device")
    board = c.string(c.get(dev, "board", "device.", "the board name, e.g. 'ZCU102'"), "device.board")
    part = c.string(c.get(dev, "part", "device.", "the FPGA part, e.g. 'xczu9eg-ffvb1156-2-e'"), "device.part")
    clock = c.number(d["clock_mhz"], "clock_mhz", positive=True, unit="MHz")
    task = c.integer(d["task"], "task", choices=(0, 1))
    batch = c.integer(d.get("batch", 1), "batch", minimum=1)
    frames = c.integer(d["frames"], "frames", minimum=1)
    latency = _latency(c, d["latency_s"], frames)
    cycles = c.number(d["cycles_per_frame"], "cycles_per_frame", positive=True) if "cycles_per_frame" in d else None
    method, interval, rails = _power(c, d.get("power"))
    bitstream = None
    if "bitstream" in d or source == "board":
        b = c.obj(c.get(d, "bitstream", "", "{'name': ..., 'sha256': ...} (required for source 'board')"),
                  "bitstream")
        c.string(c.get(b, "name", "bitstream.", "the bitstream file name"), "bitstream.name")
        sha = c.get(b, "sha256", "bitstream.", "the bitstream's SHA-256, 64 lowercase hex digits")
        if not isinstance(sha, str) or len(sha) != 64 or not _HEX.match(sha):
            raise c.fail("bitstream.sha256", "64 lowercase hex digits", sha)
        bitstream = dict(b)
    commit = d["commit"]
    if not isinstance(commit, str) or not 7 <= len(commit) <= 40 or not _HEX.match(commit):
        raise c.fail("commit", "a git commit id of 7 to 40 lowercase hex digits", commit)
    t0 = c.time(d["started_at"], "started_at")
    t1 = c.time(d["finished_at"], "finished_at")
    if t1 < t0:
        raise c.fail("finished_at", f"a time not before started_at {d['started_at']}", d["finished_at"])
    notes = c.string(d.get("notes", ""), "notes", empty=True)
    if "host" in d:
        c.string(d["host"], "host")
    return MeasurementRecord(
        path=where, kind=kind, source=source, label=label, board=board, part=part, clock_mhz=clock, task=task,
        batch=batch, frames=frames, latency=latency, cycles_per_frame=cycles, power_method=method,
        interval_s=interval, rails=rails, bitstream=bitstream, commit=commit, started_at=d["started_at"],
        finished_at=d["finished_at"], notes=notes, raw=d,
    )


_EXPECT = {
    "kind": "'measurement' or 'example'",
    "source": "one of " + ", ".join(repr(s) for s in SOURCES),
    "device": "{'board': ..., 'part': ...}",
    "clock_mhz": "the accelerator clock in MHz",
    "task": "0 (segmentation) or 1 (depth)",
    "frames": "the number of frames run (integer >= 1)",
    "latency_s": "{'samples': [seconds per frame, ...]} or {n, median, mean, std, min, max}",
    "commit": "the git commit of the kit that ran",
    "started_at": "an ISO 8601 time with a time zone",
    "finished_at": "an ISO 8601 time with a time zone",
    "schema": repr(SCHEMA),
    "schema_version": str(SCHEMA_VERSION),
}


def load_record(path: str | Path) -> MeasurementRecord:
    """Read and validate a record file; errors name the file."""
    p = Path(path)
    if not p.is_file():
        raise RecordError(f"measurement record {p} does not exist")
    try:
        obj = json.loads(p.read_text())
    except json.JSONDecodeError as e:
        raise RecordError(f"{p}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    except (OSError, UnicodeDecodeError) as e:
        raise RecordError(f"{p}: cannot read: {e}") from None
    return validate_record(obj, str(p))


def rails_from_trace(trace: Any, idle: bool = True) -> list[dict]:
    """Record ``power.rails`` from a :class:`~edgemoe.report.recorder.PowerTrace` of hwmon channels.

    Only channels with a chip (board rails) are taken; volts and amps are
    included where every sample has them; idle samples when the trace has an
    idle phase and ``idle`` is true.
    """
    rails = []
    for k, ch in enumerate(trace.channels):
        if not ch.chip:
            continue
        r: dict[str, Any] = {"chip": ch.chip, "label": ch.label,
                             "domain": ch.domain if ch.domain in RAIL_DOMAINS else "other",
                             "watts": [float(x) for x in trace.watts[:, k]]}
        for name, arr in (("volts", trace.volts), ("amps", trace.amps)):
            col = arr[:, k]
            if np.all(np.isfinite(col)):
                r[name] = [float(x) for x in col]
        if idle and trace.idle_watts.shape[0] > 0:
            r["idle_watts"] = [float(x) for x in trace.idle_watts[:, k]]
        rails.append(r)
    return rails


def make_record(*, source: str, board: str, part: str, clock_mhz: float, task: int, latency_s: Sequence[float],
                commit: str, started_at: str, finished_at: str, frames: int | None = None, batch: int = 1,
                trace: Any = None, bitstream: dict | None = None, label: str = "", kind: str = "measurement",
                cycles_per_frame: float | None = None, notes: str = "", host: str = "") -> dict:
    """Build a record dict (validated before it is returned) from per-frame latencies and a power trace.

    ``latency_s`` are seconds per frame; ``trace`` a PowerTrace of board rails
    (hwmon) or None when power was not measured. Raises :class:`RecordError`
    if the result does not validate.
    """
    rec: dict[str, Any] = {
        "schema": SCHEMA, "schema_version": SCHEMA_VERSION, "kind": kind, "source": source,
        "device": {"board": board, "part": part}, "clock_mhz": clock_mhz, "task": task, "batch": batch,
        "frames": frames if frames is not None else len(latency_s),
        "latency_s": {"samples": [float(x) for x in latency_s]},
        "commit": commit, "started_at": started_at, "finished_at": finished_at,
    }
    if label:
        rec["label"] = label
    if cycles_per_frame is not None:
        rec["cycles_per_frame"] = cycles_per_frame
    if trace is not None:
        rails = rails_from_trace(trace)
        if rails:
            rec["power"] = {"method": " + ".join(trace.source_kinds), "interval_s": trace.interval_s,
                            "rails": rails}
            if trace.idle_watts.shape[0] > 0:
                rec["power"]["idle_duration_s"] = float(trace.summary.idle_duration_s) or trace.interval_s
    if bitstream is not None:
        rec["bitstream"] = bitstream
    if notes:
        rec["notes"] = notes
    if host:
        rec["host"] = host
    validate_record(rec, "new record")
    return rec


EXAMPLE_RAILS = {
    # label: (chip, active W, idle W): round numbers, not measurements
    "VCCINT": ("ina226_u79", 3.00, 1.00), "VCCBRAM": ("ina226_u81", 0.30, 0.10),
    "VCCAUX": ("ina226_u80", 0.40, 0.35), "VCC1V2": ("ina226_u84", 0.15, 0.10),
    "VCC3V3": ("ina226_u16", 0.15, 0.15),
    "VCCPSINTFP": ("ina226_u76", 1.20, 1.00), "VCCPSINTLP": ("ina226_u77", 0.20, 0.20),
    "VCCPSAUX": ("ina226_u78", 0.10, 0.10), "VCCO_PSDDR_504": ("ina226_u93", 0.60, 0.40),
}


def example_record(*, latency_s: float = 0.020, frames: int = 50, source: str = "board", task: int = 0,
                   seed: int = 0, noise: float = 0.0) -> dict:
    """A valid record of **example data** (``kind: "example"``), for tests and documentation.

    Latency is ``latency_s`` per frame; rails follow :data:`EXAMPLE_RAILS`
    (PL 4.0 W running, 1.7 W idle, so PL dynamic power is 2.3 W), with
    optional Gaussian ``noise`` (relative, seeded). The report shows such
    records only in their own group marked as example data.
    """
    rng = np.random.default_rng(seed)

    def jitter(v: float, n: int) -> list[float]:
        a = v * (1 + noise * rng.standard_normal(n)) if noise else np.full(n, v)
        return [float(x) for x in np.maximum(a, 0.0)]

    n = 20
    rails = [{"chip": chip, "label": label, "domain": rail_domain(label), "watts": jitter(act, n),
              "idle_watts": jitter(idle, n)} for label, (chip, act, idle) in EXAMPLE_RAILS.items()]
    rec = {
        "schema": SCHEMA, "schema_version": SCHEMA_VERSION, "kind": "example", "source": source,
        "label": "example ZCU102 run", "device": {"board": "ZCU102", "part": "xczu9eg-ffvb1156-2-e"},
        "clock_mhz": 300.0, "task": task, "batch": 1, "frames": frames,
        "latency_s": {"samples": jitter(latency_s, frames)},
        "power": {"method": "example data (no hardware)", "interval_s": 0.05, "idle_duration_s": 1.0,
                  "rails": rails},
        "bitstream": {"name": "example.bit", "sha256": "0" * 64},
        "commit": "0" * 40, "started_at": "2000-01-01T00:00:00Z", "finished_at": "2000-01-01T00:00:01Z",
        "notes": EXAMPLE_LABEL,
    }
    validate_record(rec, "example record")
    return rec
