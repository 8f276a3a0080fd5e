"""The host driver: one API over the instruction-set model, the RTL simulation and the board.

::

    from edgemoe.driver import Accelerator
    with Accelerator.open("iss") as acc:           # "iss" | "rtl" | "pynq" (overlay="edgemoe.bit")
        acc.load_weights(weights)                  # Weights or FixedWeights: image + both lists, once
        res = acc.run(frame, task="seg")           # (3,128,256) float in [0,1) on the 1/256 grid, or uint8
        res.codes, res.features, res.cycles, res.counters, res.wall_s
        for res in acc.stream(frames, task="depth"): ...
        rec = acc.measurement_record(results)      # edgemoe.report.records format, validated

The programming sequence is docs/architecture.md "Host driver contract", the
same code for every backend (:mod:`.backends` only moves bytes):

1. **open**: ``ID`` = ``regmap.ID_VALUE``, ``VERSION`` major = ``regmap.VERSION_MAJOR``,
   every ``HWCFG0/1`` field = ``params.toml [hw]`` (:class:`DeviceMismatch` naming the
   field, expected and found); a device left BUSY is aborted and soft-reset.
2. **load_weights**: the weight image (:func:`edgemoe.driver.image.build_image`) and
   one command list per task (:func:`edgemoe.driver.program.backbone_program`) are
   allocated, written and flushed once; the class-token row is written into the I/O
   buffer once.
3. **run** (per frame): patches (u8, patch-major) into the I/O buffer and the output
   region filled with a sentinel that no act code can take, flush; ``SOFT_RESET``
   (so no ``DONE`` or ``ERROR`` of an earlier run survives), then ``WBASE``,
   ``IOBASE``, ``CMD_BASE`` (64-bit, LO/HI), ``CMD_COUNT``, ``TIMEOUT`` if
   :attr:`Accelerator.watchdog_cycles` is set, ``IRQ_ENABLE = DONE|ERROR``; ``IRQ_STATUS``
   cleared (W1C) and ``STATUS`` checked idle without DONE/ERROR; ``CTRL.START``; wait for the
   interrupt with a bound (default 10x the modelled latency of a frame,
   ``edgemoe.perf_model`` with uniform expert routing, in the backend's host seconds).

   * no interrupt in time: ``ABORT``, ``SOFT_RESET``, :class:`DeviceTimeout`;
   * ``ERROR``: code and failing command index read, ``ABORT`` if the run still goes
     on (``START_BUSY``), ``SOFT_RESET``, :class:`DeviceError` (``.code``, ``.name``,
     ``.index``, ``.opcode`` of that command in the list);
   * ``DONE``: counters read, invalidate, the output copied out; a sentinel left in
     it (the device did not write it, or the host did not see the write) is a
     :class:`DriverError`. Nothing partial is ever returned.

Bad input (frame shape/range, unknown task, weights not loaded, a truncated weight
image) raises :class:`InputError` before the device is touched.

:meth:`Accelerator.measure` streams frames and returns the record, sampling the board's
rails with ``edgemoe.report.record_power`` on ``pynq``; :func:`bench_backend` gives the
figures ``edgemoe bench`` prints (seconds per frame, host overhead per frame).
"""
from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from . import regmap
from .backends import Backend, BackendUnavailable, Buffer, open_backend

TIMEOUT_FACTOR = 10.0
"""Default wait bound: this many times the modelled latency of one frame."""
SENTINEL = 0x7FFFFFFF
"""Fills the output region before a run: outside the 26-bit act range, so no device write leaves it."""
COUNTERS = ("LIN_BUSY", "WSTALL", "ATTN_BUSY", "DDR_RD", "DDR_WR", "MARK", "QCOUNT0", "QCOUNT1", "QCOUNT2", "QCOUNT3")
HWCFG_FIELDS = {  # register: [(params.toml [hw] key, shift, width)], docs/architecture.md "Register map"
    "HWCFG0": [("attn_p", 0, 8), ("lin_tile_in", 8, 8), ("lin_tile_out", 16, 8), ("lin_units", 24, 8)],
    "HWCFG1": [("ln_lanes", 0, 8), ("gate_lanes", 8, 8), ("ln_steps", 16, 4), ("clock_mhz", 20, 12)],
}


# ---------------------------------------------------------------- errors
class DriverError(RuntimeError):
    """Anything the driver refuses or cannot complete; the message is one line."""


class InputError(DriverError, ValueError):
    """Bad input from the caller: frame shape or range, task, weights, options."""


class DeviceMismatch(DriverError):
    """The device is not the accelerator of this kit's ``params.toml`` / register map."""


class DeviceTimeout(DriverError):
    """No interrupt within the bound; the device was aborted and soft-reset."""


class DeviceError(DriverError):
    """The device reported ``ERROR``: ``code`` (int), ``name``, failing command ``index``, its ``opcode``."""

    def __init__(self, code: int, index: int, opcode: str | None, detail: str = ""):
        from .isa import Err

        self.code, self.index, self.opcode = int(code), int(index), opcode
        self.name = Err(code).name if code in Err._value2member_map_ else f"UNKNOWN_0x{code:02x}"
        where = f"command {index}" + (f" ({opcode})" if opcode else "")
        super().__init__(f"device error {self.name} (0x{self.code:02x}) at {where}{detail}; "
                         "the device was soft-reset")


# ---------------------------------------------------------------- results
@dataclass
class RunResult:
    """One frame through the accelerator.

    ``codes``: (129, 192) int32 act codes of block 11 (of block ``stop_after_block``);
    ``cycles``: the CYCLES register; ``counters``: the busy/stall/DDR/MARK/QCOUNT
    registers; ``wall_s``: host seconds from writing the patches to the output copy;
    ``wait_s``: the part spent waiting for the device (on a model backend: the
    model's own compute); ``overhead_s = wall_s - wait_s``: the driver's own cost.
    """

    codes: np.ndarray
    task: int
    cycles: int
    counters: dict[str, int]
    wall_s: float
    wait_s: float
    backend: str
    stop_after_block: int | None = None
    started_at: str = ""
    finished_at: str = ""

    @property
    def features(self) -> np.ndarray:
        """(129, 192) float32: ``codes / 2**16`` (format act)."""
        return (self.codes.astype(np.float64) / 65536.0).astype(np.float32)

    @property
    def overhead_s(self) -> float:
        return max(0.0, self.wall_s - self.wait_s)

    @property
    def queue_counts(self) -> list[int]:
        """Tokens per expert of the last MOE_GATE (QCOUNT0..3, expert e at word e/4, byte e%4)."""
        return [(self.counters[f"QCOUNT{e // 4}"] >> (8 * (e % 4))) & 0xFF for e in range(16)]


@dataclass
class _Program:
    """A command list in device memory."""

    cmds: list
    buf: Buffer
    count: int


@dataclass
class _Loaded:
    fw: Any
    image: Any
    wbuf: Buffer
    io: Buffer
    programs: dict[tuple[int, int | None], _Program] = field(default_factory=dict)


# ---------------------------------------------------------------- helpers
def _utc() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def expected_hwcfg() -> dict[str, int]:
    """HWCFG0/1 as ``params.toml [hw]`` says the device must report them."""
    from edgemoe.golden.params import load_raw

    hw = load_raw()["hw"]
    out = {}
    for reg, fields in HWCFG_FIELDS.items():
        v = 0
        for key, shift, width in fields:
            v |= (int(hw[key]) & ((1 << width) - 1)) << shift
        out[reg] = v
    return out


@lru_cache(maxsize=None)
def modelled_cycles(task: int) -> float:
    """Modelled cycles of one frame (edgemoe.perf_model, ZCU102 configuration, uniform expert routing).

    Uniform routing makes the bound independent of the frame and of the shared data
    (the sample-frame queues need a golden run); it is within a few percent of it.
    """
    from edgemoe import perf_model

    return float(perf_model.model(perf_model.Config.zcu102(), queues="uniform", task=task).cycles)


def task_index(task: str | int) -> int:
    """``"seg"``/0 or ``"depth"``/1 -> 0/1; anything else is an :class:`InputError`."""
    from edgemoe.golden.params import TASKS

    if isinstance(task, str) and task in TASKS:
        return TASKS.index(task)
    if isinstance(task, (int, np.integer)) and not isinstance(task, bool) and 0 <= int(task) < len(TASKS):
        return int(task)
    raise InputError(f"unknown task {task!r}: expected 'seg' (0) or 'depth' (1)")


def frame_codes(frame: Any) -> np.ndarray:
    """A frame -> (3, 128, 256) uint8 pix codes; :class:`InputError` naming what is wrong.

    Accepted: float in [0, 1) on the 1/256 grid (the model's input, exact), or
    integer codes 0..255 (uint8 preferred).
    """
    from edgemoe.golden.params import model_dims

    d = model_dims()
    exp = (d.img_c, d.img_h, d.img_w)
    if not isinstance(frame, np.ndarray):
        raise InputError(f"frame: expected a numpy array of shape {exp}, found {type(frame).__name__}")
    if tuple(frame.shape) != exp:
        raise InputError(f"frame: expected shape {exp} (channels, height, width), found {tuple(frame.shape)}")
    if frame.dtype == np.uint8:
        return np.ascontiguousarray(frame)
    if np.issubdtype(frame.dtype, np.integer):
        lo, hi = int(frame.min()), int(frame.max())
        if lo < 0 or hi > 255:
            raise InputError(f"frame: integer codes must be 0..255, found {lo}..{hi}")
        return frame.astype(np.uint8)
    if not np.issubdtype(frame.dtype, np.floating):
        raise InputError(f"frame: expected float values in [0, 1) or uint8 codes, found dtype {frame.dtype}")
    f = frame.astype(np.float64)
    if not np.all(np.isfinite(f)):
        raise InputError("frame: expected finite values in [0, 1), found NaN or infinity")
    lo, hi = float(f.min()), float(f.max())
    if lo < 0.0 or hi >= 1.0:
        raise InputError(f"frame: expected values in [0, 1) in steps of 1/256, found {lo:.6g}..{hi:.6g}")
    s = f * 256.0
    off = np.flatnonzero(s != np.floor(s))
    if off.size:
        i = np.unravel_index(off[0], exp)
        raise InputError(f"frame: expected values on the 1/256 grid (8-bit pixels / 256), found {f[i]!r} at "
                         f"{tuple(int(x) for x in i)} ({off.size} values off the grid)")
    return s.astype(np.uint8)


def git_commit() -> str | None:
    """The kit's git commit (the repository this package is imported from), or None."""
    env = os.environ.get("EDGEMOE_COMMIT")
    if env:
        return env.strip().lower()
    root = Path(__file__).resolve().parents[2]
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return out or None


# ---------------------------------------------------------------- the driver
class Accelerator:
    """The Edge-MoE accelerator behind one backend (see the module docstring for the sequence).

    ``timeout_factor`` scales the default wait bound; ``watchdog_cycles`` (None:
    leave the device's value) is written to ``TIMEOUT`` before each run (0 turns the
    device's watchdog off, so only the host bound remains).
    """

    def __init__(self, backend: Backend, *, timeout_factor: float = TIMEOUT_FACTOR,
                 watchdog_cycles: int | None = None):
        self.backend = backend
        self.timeout_factor = float(timeout_factor)
        self.watchdog_cycles = watchdog_cycles
        self._loaded: _Loaded | None = None
        self._closed = False
        self.check_device()
        if self._reg("STATUS") & regmap.STATUS_BUSY:  # left running by an earlier session
            self._abort_and_reset(0.1)

    # -- construction
    @classmethod
    def open(cls, backend: str = "iss", *, timeout_factor: float = TIMEOUT_FACTOR,
             watchdog_cycles: int | None = None, **kw: Any) -> "Accelerator":
        """Open ``backend`` (``"iss"``, ``"rtl"``, ``"pynq"``) and check the device.

        Backend options: ``iss=`` an existing model, ``mem_size=`` (iss);
        ``overlay=`` the bitstream, ``vlnv=``, ``base=``, ``download=`` (pynq).
        Raises :class:`BackendUnavailable` (no board, RTL top not built),
        :class:`DeviceMismatch`, :class:`InputError` (unknown backend, missing overlay).
        """
        try:
            be = open_backend(backend, **kw)
        except BackendUnavailable:
            raise
        except (ValueError, FileNotFoundError) as e:
            raise InputError(str(e)) from None
        try:
            return cls(be, timeout_factor=timeout_factor, watchdog_cycles=watchdog_cycles)
        except BaseException:
            be.close()
            raise

    def __enter__(self) -> "Accelerator":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.backend.close()

    # -- registers
    def _reg(self, name: str) -> int:
        return self.backend.read_reg(getattr(regmap, name))

    def _set(self, name: str, value: int) -> None:
        self.backend.write_reg(getattr(regmap, name), value)

    def _set64(self, name: str, addr: int) -> None:
        self._set(name + "_LO", addr & 0xFFFFFFFF)
        self._set(name + "_HI", (addr >> 32) & 0xFFFFFFFF)

    def check_device(self) -> None:
        """ID, VERSION major and HWCFG0/1 against the register map and ``params.toml [hw]``."""
        be = self.backend.name
        idv = self._reg("ID")
        if idv != regmap.ID_VALUE:
            raise DeviceMismatch(f"{be}: register ID: expected 0x{regmap.ID_VALUE:08x} (\"EDME\"), found 0x{idv:08x}: "
                                 "not an Edge-MoE accelerator")
        ver = self._reg("VERSION")
        if ver >> 16 != regmap.VERSION_MAJOR:
            raise DeviceMismatch(f"{be}: register VERSION: expected major {regmap.VERSION_MAJOR} (this driver), "
                                 f"found {ver >> 16}.{ver & 0xFFFF}")
        bad = []
        for reg, want in expected_hwcfg().items():
            got = self._reg(reg)
            for key, shift, width in HWCFG_FIELDS[reg]:
                m = (1 << width) - 1
                if (got >> shift) & m != (want >> shift) & m:
                    bad.append(f"{reg}.{key}: expected {(want >> shift) & m} (params.toml [hw]), "
                               f"found {(got >> shift) & m}")
        if bad:
            raise DeviceMismatch(f"{be}: the device's configuration differs from params.toml [hw]: " + "; ".join(bad))

    # -- weights
    def load_weights(self, weights: Any, *, image: Any = None) -> None:
        """Build (or take ``image``, a prebuilt WeightImage) the weight image and both tasks' command lists;
        allocate, write and flush them once. ``weights``: Weights or FixedWeights."""
        from edgemoe.golden.fixed_model import FixedWeights
        from edgemoe.golden.weights import Weights

        from . import image as wimage
        from . import isa

        if isinstance(weights, Weights):
            fw = FixedWeights.from_float(weights)
        elif isinstance(weights, FixedWeights):
            fw = weights
        else:
            raise InputError(f"weights: expected edgemoe.golden.weights.Weights or FixedWeights, "
                             f"found {type(weights).__name__}")
        img = wimage.build_image(fw) if image is None else image
        data = bytes(img.data)
        want = wimage.image_bytes()
        end = max((off + size for _n, off, size in img.entries), default=0)
        if len(data) != want or end != want:
            raise InputError(f"weight image: expected {want} bytes (docs/architecture.md layout, records to "
                             f"{end}), found {len(data)}" + (": the image is truncated" if len(data) < want else ""))
        self._free_loaded()
        wbuf = self.backend.alloc(len(data))
        wbuf.array[:len(data)] = np.frombuffer(data, dtype=np.uint8)
        wbuf.flush()
        io = self.backend.alloc(isa.IO_BYTES)
        row = np.asarray(wimage.class_row(fw), dtype="<i4")
        io.array[isa.IO_CLASS_ROW:isa.IO_CLASS_ROW + row.nbytes] = row.view(np.uint8)
        io.flush()
        self._loaded = _Loaded(fw=fw, image=img, wbuf=wbuf, io=io)
        for t in (0, 1):
            self._program(t, None)

    def _free_loaded(self) -> None:
        if self._loaded is not None:
            for b in [self._loaded.wbuf, self._loaded.io, *(p.buf for p in self._loaded.programs.values())]:
                b.free()
            self._loaded = None

    def _program(self, task: int, stop: int | None) -> _Program:
        from . import isa
        from .program import backbone_program

        ld = self._loaded
        assert ld is not None
        key = (task, stop)
        if key not in ld.programs:
            cmds = backbone_program(ld.image, task, stop_after_block=stop)
            blob = isa.encode(cmds)
            buf = self.backend.alloc(len(blob))
            buf.array[:len(blob)] = np.frombuffer(blob, dtype=np.uint8)
            buf.flush()
            ld.programs[key] = _Program(cmds=cmds, buf=buf, count=len(cmds))
        return ld.programs[key]

    # -- one frame
    def timeout_for(self, task: int) -> float:
        """Default wait bound in host seconds: ``timeout_factor`` x the modelled frame, in backend seconds."""
        return self.timeout_factor * self.backend.host_seconds(modelled_cycles(task))

    def run(self, frame: Any, task: str | int = "seg", *, stop_after_block: int | None = None,
            timeout_s: float | None = None) -> RunResult:
        """One frame -> :class:`RunResult` (block-11 act codes, or block ``stop_after_block``'s)."""
        from edgemoe.golden.params import model_dims

        ti = task_index(task)
        if stop_after_block is not None and (isinstance(stop_after_block, bool) or not isinstance(
                stop_after_block, (int, np.integer)) or not 0 <= stop_after_block < model_dims().depth):
            raise InputError(f"stop_after_block: expected a block index 0..{model_dims().depth - 1} or None, "
                             f"found {stop_after_block!r}")
        pix = frame_codes(frame)
        if self._closed:
            raise DriverError("the accelerator is closed")
        if self._loaded is None:
            raise InputError("no weights loaded: call load_weights(weights) before run()")
        return self._run(pix, ti, None if stop_after_block is None else int(stop_after_block), timeout_s)

    def stream(self, frames: Iterable[Any], task: str | int = "seg", *, stop_after_block: int | None = None,
               timeout_s: float | None = None) -> Iterator[RunResult]:
        """Run many frames, one after the other, reusing the weight, command and I/O buffers.

        Each frame is validated when its turn comes; an error stops the stream
        (results already yielded stay valid)."""
        ti = task_index(task)
        for frame in frames:
            yield self.run(frame, ti, stop_after_block=stop_after_block, timeout_s=timeout_s)

    def _run(self, pix: np.ndarray, task: int, stop: int | None, timeout_s: float | None) -> RunResult:
        from . import image as wimage
        from . import isa

        ld = self._loaded
        assert ld is not None
        prog = self._program(task, stop)
        out_bytes = isa.IO_BYTES - isa.IO_OUTPUT
        out_n = out_bytes // 4
        bound = self.timeout_for(task) if timeout_s is None else float(timeout_s)
        be = self.backend
        started = _utc()
        t0 = time.perf_counter()
        w0 = be.wait_s
        patches = np.frombuffer(wimage.patch_bytes(pix), dtype=np.uint8)
        io = ld.io
        io.array[isa.IO_PATCHES:isa.IO_PATCHES + patches.size] = patches
        io.array[isa.IO_OUTPUT:isa.IO_BYTES].view("<u4")[:] = SENTINEL
        io.flush()

        self._set("CTRL", regmap.CTRL_SOFT_RESET)  # no DONE/ERROR/IRQ of an earlier run survives
        self._set64("WBASE", ld.wbuf.device_address)
        self._set64("IOBASE", io.device_address)
        self._set64("CMD_BASE", prog.buf.device_address)
        self._set("CMD_COUNT", prog.count)
        if self.watchdog_cycles is not None:
            self._set("TIMEOUT", int(self.watchdog_cycles))
        self._set("IRQ_ENABLE", regmap.IRQ_DONE | regmap.IRQ_ERROR)
        self._set("IRQ_STATUS", regmap.IRQ_DONE | regmap.IRQ_ERROR | regmap.IRQ_MARK)
        st, irq = self._reg("STATUS"), self._reg("IRQ_STATUS")
        if st & (regmap.STATUS_BUSY | regmap.STATUS_DONE | regmap.STATUS_ERROR) or irq:
            self._abort_and_reset(0.1)
            raise DriverError(f"{be.name}: device not idle and clear before START after SOFT_RESET "
                              f"(STATUS 0x{st:08x}, IRQ_STATUS 0x{irq:x}): a stale DONE/ERROR cannot be cleared")
        self._set("CTRL", regmap.CTRL_START)
        if not be.wait_irq(bound):
            st, idx = self._reg("STATUS"), self._reg("CMD_INDEX")
            idle = self._abort_and_reset(min(1.0, 0.1 * bound + 0.05))
            raise DeviceTimeout(
                f"{be.name}: no interrupt within {bound:.3g} s ({self.timeout_factor:g}x the modelled "
                f"{modelled_cycles(task) / 1e6:.2f}M-cycle frame, task {task}); device was at command {idx}"
                f"{self._opname(prog, idx)} (STATUS 0x{st:08x}); ABORT then SOFT_RESET issued"
                + ("" if idle else ", but the device stayed BUSY after ABORT"))
        irq, st = self._reg("IRQ_STATUS"), self._reg("STATUS")
        if irq & regmap.IRQ_ERROR or st & regmap.STATUS_ERROR:
            err = self._reg("ERROR")
            code, idx = err & regmap.ERROR_CODE, err >> regmap.ERROR_INDEX_SHIFT
            busy = bool(st & regmap.STATUS_BUSY)  # START_BUSY: the run itself goes on; stop it too
            idle = self._abort_and_reset(min(1.0, 0.1 * bound + 0.05))
            raise DeviceError(code, idx, self._opname(prog, idx).strip(" ()") or None,
                              "" if not busy else " (the run was still going: aborted" + ("" if idle else
                                                                                            ", but it stayed BUSY") + ")")
        if not (irq & regmap.IRQ_DONE and st & regmap.STATUS_DONE) or st & regmap.STATUS_BUSY:
            self._abort_and_reset(0.1)
            raise DriverError(f"{be.name}: interrupt without a finished run (IRQ_STATUS 0x{irq:x}, STATUS "
                              f"0x{st:08x}): expected DONE set and BUSY clear")
        cycles = self._reg("CYCLES_LO") | (self._reg("CYCLES_HI") << 32)
        counters = {n: self._reg(n) for n in COUNTERS}
        self._set("IRQ_STATUS", regmap.IRQ_DONE)  # acknowledge: the line drops
        io.invalidate()
        raw = np.asarray(io.array[isa.IO_OUTPUT:isa.IO_OUTPUT + 4 * out_n]).view("<u4")
        left = int(np.count_nonzero(raw == SENTINEL))
        if left:
            raise DriverError(f"{be.name}: the device reported DONE but {left} of {out_n} output words still hold "
                              "the sentinel (output not written, or not visible to the host after invalidate)")
        codes = raw.view("<i4").reshape(isa.TOKENS, -1).astype(np.int32)
        wall = time.perf_counter() - t0
        return RunResult(codes=codes, task=task, cycles=int(cycles), counters=counters, wall_s=wall,
                         wait_s=be.wait_s - w0, backend=be.name, stop_after_block=stop, started_at=started,
                         finished_at=_utc())

    @staticmethod
    def _opname(prog: _Program, idx: int) -> str:
        from .isa import Op

        if 0 <= idx < len(prog.cmds):
            op = prog.cmds[idx].op
            return f" ({Op(op).name})" if op in Op._value2member_map_ else f" (opcode 0x{op:02x})"
        return ""

    def _abort_and_reset(self, wait_s: float) -> bool:
        """ABORT, wait up to ``wait_s`` for the device to go idle, SOFT_RESET; True if it went idle."""
        if self._reg("STATUS") & regmap.STATUS_BUSY:
            self._set("IRQ_STATUS", regmap.IRQ_DONE | regmap.IRQ_ERROR | regmap.IRQ_MARK)
            self._set("IRQ_ENABLE", regmap.IRQ_DONE | regmap.IRQ_ERROR)
            self._set("CTRL", regmap.CTRL_ABORT)
            self.backend.wait_irq(wait_s)  # ABORT ends in ERROR ABORTED (or DONE if it was finishing)
        idle = not self._reg("STATUS") & regmap.STATUS_BUSY
        self._set("CTRL", regmap.CTRL_SOFT_RESET)
        self._set("IRQ_STATUS", regmap.IRQ_DONE | regmap.IRQ_ERROR | regmap.IRQ_MARK)
        return idle

    # -- records
    def measurement_record(self, results: Sequence[RunResult], power: Any = None, *, label: str = "",
                           notes: str = "") -> dict:
        """A measurement record (``edgemoe.report.records``, validated) of ``results`` (one task).

        ``latency_s`` are the host wall seconds per frame, ``cycles_per_frame`` the mean
        CYCLES; ``power`` a :class:`~edgemoe.report.recorder.PowerTrace` of the board's rails
        (``edgemoe.report.record_power``; :meth:`measure` records one). Extension fields:
        ``x-backend``, ``x-cycles``, ``x-host_overhead_s``, ``x-counters``.
        """
        from edgemoe.golden.params import load_raw
        from edgemoe.report.records import make_record, validate_record

        res = list(results)
        if not res:
            raise InputError("measurement_record: expected at least one RunResult, found none")
        tasks = {r.task for r in res}
        if len(tasks) != 1:
            raise InputError(f"measurement_record: expected results of one task, found tasks {sorted(tasks)}")
        commit = git_commit()
        if commit is None:
            raise DriverError("measurement_record: the kit's git commit is unknown (not a git checkout): "
                              "set EDGEMOE_COMMIT to the commit the kit was installed from")
        info = self.backend.record_info()
        note = "; ".join(x for x in (info.get("notes", ""), notes) if x)
        if any(r.stop_after_block is not None for r in res):
            note += "; debug runs: backbone stopped after block " + ", ".join(
                sorted({str(r.stop_after_block) for r in res if r.stop_after_block is not None}))
        rec = make_record(
            source=info["source"], board=info["board"], part=info["part"],
            clock_mhz=float(load_raw()["hw"]["clock_mhz"]), task=res[0].task,
            latency_s=[r.wall_s for r in res], commit=commit, started_at=res[0].started_at,
            finished_at=res[-1].finished_at, trace=power, bitstream=info.get("bitstream"),
            label=label or info.get("label", ""), cycles_per_frame=float(np.mean([r.cycles for r in res])),
            notes=note, host=os.uname().nodename)
        rec["x-backend"] = self.backend.name
        rec["x-cycles"] = [r.cycles for r in res]
        rec["x-host_overhead_s"] = [r.overhead_s for r in res]
        rec["x-counters"] = [r.counters for r in res]
        validate_record(rec, "driver record")
        return rec

    def measure(self, frames: Sequence[Any], task: str | int = "seg", *, power: Any = "auto",
                interval: float = 0.05, idle_s: float = 2.0, label: str = "",
                stop_after_block: int | None = None) -> tuple[list[RunResult], dict]:
        """Run ``frames`` and return (results, record); on the board sample the rails while running.

        ``power``: ``"auto"`` (hwmon INA226 rails on the ``pynq`` backend, none elsewhere),
        None, or a list of :class:`~edgemoe.report.power.PowerSource`.
        """
        from edgemoe.report import HwmonSource, record_power

        if power == "auto":
            power = [HwmonSource()] if self.backend.name == "pynq" else None
        if power is None:
            res = list(self.stream(frames, task, stop_after_block=stop_after_block))
            return res, self.measurement_record(res, label=label)
        srcs = [s for s in power if s.probe().ok]
        trace = record_power(lambda: list(self.stream(frames, task, stop_after_block=stop_after_block)), srcs,
                             interval=interval, idle_s=idle_s)
        res = trace.result
        return res, self.measurement_record(res, trace, label=label)


# ---------------------------------------------------------------- figures
def bench_backend(backend: str = "iss", runs: int = 2, *, weights: Any = None, frame: Any = None,
                  **open_kw: Any) -> dict:
    """Whole frames through the driver on ``backend`` (tasks alternating): seconds per frame and host overhead.

    ``host_overhead_s_per_frame`` is everything but the wait for the device (on a
    model backend: the model's own compute): patch conversion and writes, cache
    maintenance, the register sequence, the output copy and its checks. Medians
    over ``runs`` frames. A backend that cannot run here gives ``available: False``
    and the reason. Figures to read, not assertions: the host may be busy.
    """
    import statistics

    if runs < 1:
        raise InputError(f"runs: expected >= 1, found {runs}")
    from .backends import check_available

    try:
        check_available(backend)  # rtl: the top must run frames, not only open
        acc = Accelerator.open(backend, **open_kw)
    except BackendUnavailable as e:
        return {"backend": backend, "available": False, "reason": str(e)}
    with acc:
        if weights is None:
            from edgemoe.golden.weights import load_weights

            weights = load_weights(heads=False)
        if frame is None:
            from edgemoe.golden.sample import sample_frame

            frame = sample_frame()[0]
        acc.load_weights(weights)
        res = [acc.run(frame, i % 2) for i in range(runs)]
    wall = [r.wall_s for r in res]
    over = [r.overhead_s for r in res]
    return {"backend": backend, "available": True, "runs": runs, "s_per_frame": statistics.median(wall),
            "host_overhead_s_per_frame": statistics.median(over),
            "device_wait_s_per_frame": statistics.median([r.wait_s for r in res]),
            "wall_s": wall, "host_overhead_s": over, "cycles": [r.cycles for r in res]}
