"""Energy-efficiency report: CPU/GPU baselines, power sources, FPGA measurement records.

Notebook API (on the board or any Linux host)::

    from edgemoe.report import record_power, HwmonSource, RaplSource
    trace = record_power(fn, [HwmonSource()], interval=0.05, idle_s=5)
    trace.watts, trace.summary.domain_w("pl", "dynamic")

Command line: ``edgemoe report`` (:mod:`edgemoe.report.cli`). Record format:
:mod:`edgemoe.report.records` and ``docs/report.md``.
"""
from __future__ import annotations

from .errors import ConfigError, RecordError, ReportError
from .hwmon import HwmonSource, rail_domain
from .macs import mac_breakdown, macs_per_frame
from .nvml import NvmlSource
from .power import Availability, Channel, PowerSource, Reading
from .rapl import RaplSource
from .recorder import PowerSummary, PowerTrace, record_power
from .records import example_record, load_record, make_record, validate_record

__all__ = [
    "Availability", "Channel", "ConfigError", "HwmonSource", "NvmlSource", "PowerSource", "PowerSummary",
    "PowerTrace", "RaplSource", "Reading", "RecordError", "ReportError", "example_record", "load_record",
    "mac_breakdown", "macs_per_frame", "make_record", "rail_domain", "record_power", "validate_record",
]
