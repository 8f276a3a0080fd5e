"""Errors of the energy-efficiency report.

Every error names what is wrong, what was expected and what was found, so a
user can fix a record, a config file or a command line without reading code.
The CLI turns a :class:`ReportError` into a one-line message and exit status 2.
"""
from __future__ import annotations


class ReportError(ValueError):
    """A report input (option, config file, record) is unusable."""


class RecordError(ReportError):
    """An FPGA measurement record does not follow the documented format."""


class ConfigError(ReportError):
    """A report config file or a command-line value is invalid."""


def found(value: object, limit: int = 60) -> str:
    """A short ``repr`` of a value for error messages (truncated to ``limit`` characters)."""
    r = repr(value)
    return r if len(r) <= limit else r[: limit - 3] + "..."
