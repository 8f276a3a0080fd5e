"""Fixed-point formats and the two primitive operations of the numerics contract.

A format is (bits, frac, signed): the integer ``n`` stands for ``n * 2**-frac``.
All golden arithmetic is on numpy int64 (or Python int where 64 bits are not
enough), so every result is exact and reproducible.

The contract uses exactly two ways to narrow a value:

* :func:`round_shift` -- round half up: ``(v + 2**(s-1)) >> s`` with an
  arithmetic shift. Cheap in hardware (one adder before the shift) and unbiased
  except on exact ties.
* :func:`saturate` -- clamp to the format's ``[min, max]``. Nothing wraps.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .params import load_raw


@dataclass(frozen=True)
class Fmt:
    """A fixed-point format: total ``bits``, ``frac`` fractional bits, ``signed``."""

    name: str
    bits: int
    frac: int
    signed: bool

    @property
    def min_int(self) -> int:
        return -(1 << (self.bits - 1)) if self.signed else 0

    @property
    def max_int(self) -> int:
        return (1 << (self.bits - 1)) - 1 if self.signed else (1 << self.bits) - 1

    @property
    def lsb(self) -> float:
        return 2.0 ** -self.frac

    @property
    def min_value(self) -> float:
        return self.min_int * self.lsb

    @property
    def max_value(self) -> float:
        return self.max_int * self.lsb

    @property
    def int_bits(self) -> int:
        """Integer bits including the sign bit (ap_fixed's I)."""
        return self.bits - self.frac

    def ap_type(self) -> str:
        """The matching Vitis HLS type name."""
        return f"ap_{'' if self.signed else 'u'}fixed<{self.bits}, {self.int_bits}>"

    def quantize(self, x: np.ndarray | float) -> np.ndarray:
        """Float -> integer code: round to nearest (half up), then saturate."""
        v = np.floor(np.asarray(x, dtype=np.float64) * (2.0 ** self.frac) + 0.5)
        return np.clip(v, self.min_int, self.max_int).astype(np.int64)

    def quantize_count(self, x: np.ndarray) -> tuple[np.ndarray, int]:
        """:meth:`quantize` plus the number of values that saturated."""
        v = np.floor(np.asarray(x, dtype=np.float64) * (2.0 ** self.frac) + 0.5)
        n = int(np.count_nonzero((v < self.min_int) | (v > self.max_int)))
        return np.clip(v, self.min_int, self.max_int).astype(np.int64), n

    def to_float(self, n: np.ndarray | int) -> np.ndarray:
        return np.asarray(n, dtype=np.float64) * self.lsb

    def saturate(self, n: np.ndarray) -> np.ndarray:
        return saturate(n, self)

    def check(self, n: np.ndarray, what: str) -> np.ndarray:
        """Raise ValueError unless every integer code lies in the format's range."""
        a = np.asarray(n)
        if a.dtype.kind not in "iu":
            raise ValueError(f"{what}: expected integer codes of format {self.name}, got dtype {a.dtype}")
        if a.size and (a.min() < self.min_int or a.max() > self.max_int):
            raise ValueError(
                f"{what}: values outside format {self.name} ({self.bits} bits, "
                f"range [{self.min_int}, {self.max_int}]): found [{a.min()}, {a.max()}]"
            )
        return a.astype(np.int64, copy=False)


def round_shift(v: np.ndarray | int, s: int | np.ndarray) -> np.ndarray:
    """Round half up and shift right by ``s`` (``s`` may be 0 or an array >= 0)."""
    v = np.asarray(v, dtype=np.int64)
    s = np.asarray(s, dtype=np.int64)
    if np.all(s == 0):
        return v
    half = np.where(s > 0, np.left_shift(np.int64(1), np.maximum(s - 1, 0)), 0)
    return np.right_shift(v + half, s)


def saturate(n: np.ndarray | int, fmt: Fmt) -> np.ndarray:
    return np.clip(np.asarray(n, dtype=np.int64), fmt.min_int, fmt.max_int)


def round_shift_int(v: int, s: int) -> int:
    """Python-int version of :func:`round_shift` for values wider than 64 bits."""
    return (v + (1 << (s - 1))) >> s if s > 0 else v << -s


@dataclass(frozen=True)
class RowFmt:
    """Integer mantissas of ``bits`` bits with one power-of-two exponent per row.

    A row (the last axis: an output row of a weight matrix, or a whole bias
    vector) stands for ``codes * 2**-frac`` with its own ``frac`` in
    ``[frac_min, frac_max]``: the largest that holds the row without
    saturation. In hardware the exponent is a per-lane shift amount.
    """

    name: str
    bits: int
    frac_min: int
    frac_max: int

    @property
    def min_int(self) -> int:
        return -(1 << (self.bits - 1))

    @property
    def max_int(self) -> int:
        return (1 << (self.bits - 1)) - 1

    @property
    def exp_bits(self) -> int:
        """Bits of the stored exponent field (frac - frac_min)."""
        return max(1, (self.frac_max - self.frac_min).bit_length())

    def quantize(self, a: np.ndarray) -> "Scaled":
        """Float array -> :class:`Scaled`, one exponent per last-axis row (round half up, saturate)."""
        a = np.asarray(a, dtype=np.float64)
        lead = a.shape[:-1]
        rows = a.reshape(-1, a.shape[-1])
        hi = rows.max(axis=1, initial=0.0)
        lo = rows.min(axis=1, initial=0.0)
        frac = np.full(rows.shape[0], self.frac_min, dtype=np.int64)
        for f in range(self.frac_min + 1, self.frac_max + 1):  # fitting is monotone in f
            fits = (np.floor(hi * 2.0 ** f + 0.5) <= self.max_int) & (np.floor(lo * 2.0 ** f + 0.5) >= self.min_int)
            frac = np.where(fits, f, frac)
        v = np.floor(rows * np.exp2(frac)[:, None] + 0.5)
        nsat = int(np.count_nonzero((v < self.min_int) | (v > self.max_int)))
        codes = np.clip(v, self.min_int, self.max_int).astype(np.int64)
        return Scaled(codes.reshape(a.shape), frac.reshape(lead), nsat)


@dataclass(frozen=True)
class Scaled:
    """Row-scaled codes: ``codes[..., k] * 2**-frac[...]``; ``saturated`` counts clamped values."""

    codes: np.ndarray
    frac: np.ndarray
    saturated: int = 0

    def to_float(self) -> np.ndarray:
        return self.codes * np.exp2(-self.frac.astype(np.float64))[..., None]

    def __getitem__(self, i) -> "Scaled":
        """Rows ``i`` (matrices: ``frac`` follows); for one vector, its elements ``i`` (same exponent)."""
        if np.ndim(self.frac) == 0:
            return Scaled(self.codes[i], self.frac, 0)
        return Scaled(self.codes[i], self.frac[i], 0)


_ROW_FORMATS = ("w", "b")


@lru_cache(maxsize=None)
def fmt(name: str) -> Fmt:
    """A per-element format from ``params.toml`` by name (act, q, pix, e, sum, r, p, moe_acc)."""
    raw = load_raw()["formats"]
    if name not in raw or name in _ROW_FORMATS:
        known = sorted(n for n in raw if n not in _ROW_FORMATS)
        raise KeyError(f"unknown fixed-point format '{name}': expected one of {known}")
    f = raw[name]
    return Fmt(name=name, bits=int(f["bits"]), frac=int(f["frac"]), signed=bool(f["signed"]))


@lru_cache(maxsize=None)
def rowfmt(name: str) -> RowFmt:
    """A row-scaled parameter format from ``params.toml`` (w, b)."""
    raw = load_raw()["formats"]
    if name not in _ROW_FORMATS:
        raise KeyError(f"unknown row-scaled format '{name}': expected one of {list(_ROW_FORMATS)}")
    f = raw[name]
    return RowFmt(name=name, bits=int(f["bits"]), frac_min=int(f["frac_min"]), frac_max=int(f["frac_max"]))


def all_formats() -> dict[str, Fmt | RowFmt]:
    return {n: (rowfmt(n) if n in _ROW_FORMATS else fmt(n)) for n in load_raw()["formats"]}
