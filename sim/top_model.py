"""Python-importable Verilator model of the integrated top ``hw/rtl/edgemoe_top.sv``.

:class:`TopModel` is what the driver's ``rtl`` backend (:mod:`edgemoe.driver.backends.rtl`)
drives: the verilated ``edgemoe_top`` inside a C++ harness (``sim/cpp/``), loaded with
ctypes, the clock stepped in C++.

* ``axil_read(addr) -> (data, resp)``, ``axil_write(addr, data) -> resp``: one AXI-Lite
  transaction each on the register slave; a slave that does not answer within
  ``lite_timeout`` cycles raises :class:`ModelError` (never a hang);
* ``mem``: np.uint8, the DDR behind the four 128-bit AXI4 master ports (a C++ memory
  model over this very array: flush/invalidate are plain copies), ``mem_base`` its
  device address (``mem_base + i`` is ``mem[i]``); anything outside is ``DECERR``;
* ``irq``: the level of ``irq_o``; ``step(cycles)``: advance the clock (``until_irq``
  stops at the first cycle the line is high); ``cycle``: cycles since construction;
* ``seconds_per_cycle``: the measured simulation speed (host seconds per cycle, the
  slowest of the calibration and the steps so far);
* memory model: ``read_latency`` (default 75 cycles, the document's DDR latency),
  ``read_jitter``, ``write_latency``, ``max_outstanding`` (reads, writes per port),
  :meth:`backpressure` (seeded random or bursty ready/valid gaps per channel),
  fault injection (:meth:`fault`: SLVERR / DECERR / HANG over an address range,
  :meth:`stall_port`: a port that stops answering, :meth:`clear_faults`),
  :meth:`counters` (beats, bytes, bursts per port);
* ``hang_at = index``: the fetch of command ``index`` of the run's list is never
  answered (a HANG fault on its 32 bytes at ``CMD_BASE``); ``hang_at = None`` lets the
  memory answer what it held and runs the clock until it has (the ISS's ``hang_at``).

A protocol violation seen by the memory model (4 KB crossing, a size other than 16 B,
a non-INCR burst, valid or payload dropped before the handshake, a wrong wlast) raises
:class:`ModelError` from the call that stepped the clock.

Build (:func:`build`): ``verilator --cc --build`` of the top (``-y hw/rtl -y hw/rtl/gen``,
``-O2``, ``--x-assign fast --x-initial fast``, one thread) and the harness into
``build/top_model/<hash>/libtop_model.so``; the hash covers every RTL file Verilator
read (its dependency file), the harness, the flags and the Verilator version, so a
repeated open reuses the library and an RTL edit rebuilds it. :func:`available`
says (False, reason) where Verilator or a C++ compiler is missing or the build fails.
"""
from __future__ import annotations

import ctypes
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
# EDGEMOE_RTL points at another copy of hw/rtl (as for edgemoe.sim.runner: mutation runs); its own hash
RTL = Path(os.environ.get("EDGEMOE_RTL") or REPO / "hw" / "rtl").resolve()
CPP = Path(__file__).resolve().parent / "cpp"
BUILD = REPO / "build" / "top_model"
KEEP_BUILDS = 4
"""Builds kept under :data:`BUILD` (the newest; older RTL versions are removed after a new build)."""
HARNESS = ("top_model.cpp", "axi_mem.h")
TOP = "edgemoe_top"
VFLAGS = ["--cc", "--build", "-Wno-fatal", "--x-assign", "fast", "--x-initial", "fast", "-O2", "--no-timing",
          "--threads", "1", "-CFLAGS", "-fPIC -O2", "--top-module", TOP]
# EDGEMOE_TOP_GPARAMS="EnAttn=0,EnMoe=0": top parameters for the build (-G, part of the hash):
# leave executors out of a development build (their opcodes end BAD_OPCODE)
GPARAMS = [f"-G{kv.strip()}" for kv in os.environ.get("EDGEMOE_TOP_GPARAMS", "").split(",") if kv.strip()]
VFLAGS += GPARAMS
NUM_PORTS = 4
PORTS_ALL = (1 << NUM_PORTS) - 1
RESP = {0: "OKAY", 1: "EXOKAY", 2: "SLVERR", 3: "DECERR"}
FAULT_KIND = {"SLVERR": 2, "DECERR": 3, "HANG": 4}
DIRS = {"r": 1, "w": 2, "rw": 3}
BP_MODE = {"none": 0, "random": 1, "bursty": 2}
CHANNELS = ("ar", "r", "aw", "w", "b")
COUNTER_NAMES = ("rd_beats", "wr_beats", "rd_bytes", "wr_bytes", "ar_bursts", "aw_bursts", "outstanding", "held")


class ModelError(RuntimeError):
    """The model cannot be built, a transaction did not finish, or the memory saw a protocol violation."""


# ---------------------------------------------------------------- build
def _sources() -> list[Path]:
    gen = RTL / "gen"
    return [gen / "edgemoe_pkg.sv", gen / "edgemoe_regs_pkg.sv", RTL / f"{TOP}.sv"]


def _tools() -> tuple[Path, str]:
    """(verilator binary folder, C++ compiler); :class:`ModelError` naming what is missing."""
    try:
        from edgemoe.sim.runner import SimError, verilator_bin
        vbin = verilator_bin()
    except (ImportError, SimError) as e:  # type: ignore[misc]
        raise ModelError(f"no Verilator: {e}") from None
    cxx = os.environ.get("CXX") or shutil.which("g++") or shutil.which("c++") or shutil.which("clang++")
    if not cxx or not shutil.which("make"):
        raise ModelError("no C++ compiler or make on PATH (needed to build the Verilator model of edgemoe_top)")
    return vbin, cxx


def _digest(files: list[Path], vbin: Path) -> str:
    h = hashlib.sha256()
    h.update(json.dumps(VFLAGS).encode())
    h.update(str(vbin.resolve()).encode())
    for f in sorted(set(files)):
        h.update(f.name.encode())
        h.update(f.read_bytes())
    for n in HARNESS:
        h.update((CPP / n).read_bytes())
    return h.hexdigest()[:16]


def _cached(vbin: Path) -> Path | None:
    """A build whose recorded RTL files and harness still hash to its folder name."""
    if not BUILD.is_dir():
        return None
    for d in sorted(BUILD.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True):
        lib, deps = d / "libtop_model.so", d / "deps.json"
        if not (lib.is_file() and deps.is_file()):
            continue
        try:
            files = [Path(p) for p in json.loads(deps.read_text())]
            # a build of another RTL folder (EDGEMOE_RTL) is not this one's, whatever its hash
            if all(f.is_file() and (RTL in f.parents or f.parent == RTL) for f in files) and \
                    _digest(files, vbin) == d.name:
                return lib
        except (OSError, ValueError):
            continue
    return None


def build(*, quiet: bool = True) -> Path:
    """The shared library of the model, built if no cached build matches the sources; :class:`ModelError`.

    An RTL file edited while Verilator ran: built again (up to three times)."""
    for attempt in range(3):
        try:
            return _build(quiet=quiet)
        except _SourcesChanged as e:
            if attempt == 2:
                raise ModelError(str(e)) from None
    raise AssertionError("unreachable")


class _SourcesChanged(ModelError):
    pass


def _build(*, quiet: bool) -> Path:
    vbin, cxx = _tools()
    lib = _cached(vbin)
    if lib is not None:
        return lib
    BUILD.mkdir(parents=True, exist_ok=True)
    with open(BUILD / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one builder at a time; the others reuse its result
        lib = _cached(vbin)
        if lib is not None:
            return lib
        from edgemoe.sim.runner import verilator_env

        env = verilator_env()
        stage = Path(tempfile.mkdtemp(prefix="stage-", dir=BUILD))
        try:
            obj = stage / "obj"
            # what Verilator is about to read: an RTL file edited during the build must not be cached
            # under the new content's hash (the library has the old one)
            before = {f: f.read_bytes() for f in RTL.rglob("*") if f.suffix in (".sv", ".v", ".svh", ".vh")}
            cmd = [str(vbin / "verilator"), *VFLAGS, "--Mdir", str(obj), "-y", str(RTL), "-y", str(RTL / "gen"),
                   *map(str, _sources())]
            t0 = time.perf_counter()
            r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=stage)
            if r.returncode != 0:
                tail = "\n".join((r.stdout + r.stderr).strip().splitlines()[-15:])
                raise ModelError(f"verilator build of {TOP} failed (exit {r.returncode}):\n{tail}")
            deps = _read_deps(obj / f"V{TOP}__ver.d")
            changed = [f.name for f in deps if f in before and f.read_bytes() != before[f]]
            if changed:
                raise _SourcesChanged(f"RTL files changed while the model of {TOP} was being built "
                                 f"({', '.join(changed)}): build again")
            inc = vbin.parent / "include"
            out = stage / "libtop_model.so"
            link = [cxx, "-shared", "-fPIC", "-O2", "-std=c++17", "-I", str(obj), "-I", str(inc), "-I",
                    str(inc / "vltstd"), "-I", str(CPP), str(CPP / "top_model.cpp"), str(obj / f"V{TOP}__ALL.a"),
                    str(obj / "libverilated.a"), "-pthread", "-latomic", "-o", str(out)]
            r = subprocess.run(link, capture_output=True, text=True, env=env)
            if r.returncode != 0:
                link.remove("-latomic")  # not every toolchain ships it separately
                r = subprocess.run(link, capture_output=True, text=True, env=env)
            if r.returncode != 0:
                tail = "\n".join(r.stderr.strip().splitlines()[-15:])
                raise ModelError(f"linking the model of {TOP} failed:\n{tail}")
            (stage / "deps.json").write_text(json.dumps([str(p) for p in deps], indent=1))
            (stage / "build.json").write_text(json.dumps({"seconds": round(time.perf_counter() - t0, 1),
                                                          "verilator": cmd, "link": link}, indent=1))
            shutil.rmtree(obj, ignore_errors=True)  # keep only the library (the objects are 10s of MB)
            final = BUILD / _digest(deps, vbin)
            if final.exists():
                shutil.rmtree(final)
            stage.rename(final)
            _prune(final)
            if not quiet:
                print(f"built {final / 'libtop_model.so'} in {time.perf_counter() - t0:.1f} s")
            return final / "libtop_model.so"
        finally:
            if stage.exists():
                shutil.rmtree(stage, ignore_errors=True)


def _prune(keep: Path) -> None:
    """Remove all but the newest :data:`KEEP_BUILDS` builds (a loaded library stays valid: Linux unlinks lazily)."""
    dirs = sorted((d for d in BUILD.iterdir() if d.is_dir() and (d / "deps.json").is_file() and d != keep),
                  key=lambda d: d.stat().st_mtime, reverse=True)
    for d in dirs[KEEP_BUILDS - 1:]:
        shutil.rmtree(d, ignore_errors=True)


def _read_deps(path: Path) -> list[Path]:
    """The repository's HDL files in Verilator's dependency file (what the model was built from)."""
    text = path.read_text().replace("\\\n", " ")
    rhs = text.split(":", 1)[1] if ":" in text else text
    out = []
    for tok in rhs.split():
        p = Path(tok)
        p = p if p.is_absolute() else (path.parent.parent / p)
        p = p.resolve()
        # only the RTL folder's files: Verilator also lists its own include/verilated_std.sv,
        # which lives in the venv (inside REPO) and would make every cached build look foreign
        if p.suffix in (".sv", ".v", ".svh", ".vh") and RTL in p.parents:
            out.append(p)
    if not any(p.name == f"{TOP}.sv" for p in out):
        out += [p.resolve() for p in _sources()]
    return sorted(set(out))


class PortIn(ctypes.Structure):
    """What a master drives on one AXI4 port in one cycle (:class:`MemPort`)."""

    _fields_ = [(n, ctypes.c_uint32) for n in ("arvalid", "rready", "awvalid", "wvalid", "bready", "wlast")] + [
        ("araddr", ctypes.c_uint64), ("awaddr", ctypes.c_uint64)] + [
        (n, ctypes.c_uint32) for n in ("arlen", "arsize", "arburst", "arid", "awlen", "awsize", "awburst", "awid")] + [
        ("wdata", ctypes.c_uint32 * 4), ("wstrb", ctypes.c_uint32)]


class PortOut(ctypes.Structure):
    """What the memory drives back on one port in one cycle."""

    _fields_ = [(n, ctypes.c_uint32) for n in ("arready", "rvalid", "rlast", "awready", "wready", "bvalid")] + [
        ("rdata", ctypes.c_uint32 * 4)] + [(n, ctypes.c_uint32) for n in ("rresp", "bresp", "rid", "bid")]


_LIB: ctypes.CDLL | None = None
_AVAIL: tuple[bool, str] | None = None


def _load() -> ctypes.CDLL:
    global _LIB
    if _LIB is not None:
        return _LIB
    lib = ctypes.CDLL(str(build()))
    vp, u8p, u64p, u32p = ctypes.c_void_p, ctypes.POINTER(ctypes.c_uint8), ctypes.POINTER(ctypes.c_uint64), \
        ctypes.POINTER(ctypes.c_uint32)
    sig = {
        "tm_new": (vp, [u8p, ctypes.c_uint64, ctypes.c_uint64, ctypes.c_uint64]),
        "tm_free": (None, [vp]),
        "tm_set_mem": (None, [vp, u8p, ctypes.c_uint64, ctypes.c_uint64]),
        "tm_reset": (None, [vp, ctypes.c_uint32]),
        "tm_config": (None, [vp] + [ctypes.c_uint32] * 5),
        "tm_backpressure": (None, [vp, ctypes.c_uint32, ctypes.c_uint32, ctypes.c_int, ctypes.c_double]),
        "tm_add_fault": (ctypes.c_int, [vp, ctypes.c_uint64, ctypes.c_uint64, ctypes.c_int, ctypes.c_int,
                                        ctypes.c_uint32]),
        "tm_clear_faults": (None, [vp]),
        "tm_stall_port": (None, [vp, ctypes.c_int, ctypes.c_int]),
        "tm_step": (ctypes.c_uint64, [vp, ctypes.c_uint64, ctypes.c_int]),
        "tm_axil_write": (ctypes.c_int, [vp, ctypes.c_uint32, ctypes.c_uint32, ctypes.c_uint32, ctypes.c_uint32,
                                         u32p]),
        "tm_axil_read": (ctypes.c_int, [vp, ctypes.c_uint32, ctypes.c_uint32, u32p, u32p]),
        "tm_irq": (ctypes.c_int, [vp]),
        "tm_cycle": (ctypes.c_uint64, [vp]),
        "tm_counters": (None, [vp, ctypes.c_int, u64p]),
        "tm_error": (ctypes.c_char_p, [vp]),
        "tm_clear_error": (None, [vp]),
        "tm_bench_mem": (ctypes.c_double, [ctypes.c_uint64, ctypes.c_uint64, ctypes.c_int, ctypes.c_uint32, u64p]),
    }
    pin, pout = ctypes.POINTER(PortIn), ctypes.POINTER(PortOut)
    sig.update({
        "mp_new": (vp, [u8p, ctypes.c_uint64, ctypes.c_uint64, ctypes.c_uint64]),
        "mp_free": (None, [vp]),
        "mp_config": (None, [vp] + [ctypes.c_uint32] * 5),
        "mp_backpressure": (None, [vp, ctypes.c_uint32, ctypes.c_int, ctypes.c_double]),
        "mp_add_fault": (None, [vp, ctypes.c_uint64, ctypes.c_uint64, ctypes.c_int, ctypes.c_int]),
        "mp_clear_faults": (None, [vp]),
        "mp_stall": (None, [vp, ctypes.c_int]),
        "mp_drive": (None, [vp, pout]),
        "mp_clock": (None, [vp, pin]),
        "mp_counters": (None, [vp, u64p]),
        "mp_error": (ctypes.c_char_p, [vp]),
    })
    for name, (res, args) in sig.items():
        f = getattr(lib, name)
        f.restype, f.argtypes = res, args
    _LIB = lib
    return lib


def tools_present() -> tuple[bool, str]:
    """(True, "") when Verilator and a C++ toolchain are here (a build failure is then an RTL or harness bug)."""
    try:
        _tools()
    except ModelError as e:
        return False, str(e)
    return True, ""


def available() -> tuple[bool, str]:
    """(True, "") when the model builds and loads here (built on first call, cached), else (False, reason)."""
    global _AVAIL
    if _AVAIL is None:
        try:
            _load()
            _AVAIL = (True, "")
        except (ModelError, OSError) as e:
            _AVAIL = (False, " ".join(f"Verilator model of {TOP} unavailable: {e}".split())[:400])
    return _AVAIL


# ---------------------------------------------------------------- the model
class TopModel:
    """The verilated top with its AXI-Lite master and four-port AXI4 memory (see the module docstring).

    ``mem_size`` bytes of DDR at ``mem_base`` (the ISS's defaults: 64 MB above 4 GB, so
    64-bit bases are exercised); ``seed`` seeds the backpressure and the latency jitter.
    """

    def __init__(self, mem_size: int = 64 << 20, mem_base: int = 0x1_0000_0000, *, seed: int = 1,
                 read_latency: int = 75, read_jitter: int = 0, write_latency: int = 20,
                 max_outstanding: tuple[int, int] = (8, 8), lite_timeout: int = 1000, reset_cycles: int = 16):
        self._lib = _load()
        if mem_size <= 0 or mem_size % 4096:
            raise ValueError(f"mem_size: expected a positive multiple of 4096, found {mem_size}")
        self.mem = np.zeros(int(mem_size), dtype=np.uint8)
        self.mem_base = int(mem_base)
        self.lite_timeout = int(lite_timeout)
        self._h = self._lib.tm_new(self._ptr(), self.mem.size, self.mem_base, int(seed))
        if not self._h:
            raise ModelError("tm_new failed")
        self._cfg = dict(read_latency=read_latency, read_jitter=read_jitter, write_latency=write_latency,
                         max_outstanding=tuple(max_outstanding))
        self._apply_cfg()
        self._hang: int | None = None
        self._faults: list[tuple[int, int, int, int, int]] = []
        self._sim_s = 0.0
        self._sim_cycles = 0
        self._lib.tm_reset(self._h, int(reset_cycles))
        self._check()
        t0 = time.perf_counter()
        self._lib.tm_step(self._h, 20_000, 0)  # calibration: idle cycles
        self._calib = (time.perf_counter() - t0) / 20_000
        self._check()

    # -- plumbing
    def _ptr(self) -> Any:
        return self.mem.ctypes.data_as(ctypes.POINTER(ctypes.c_uint8))

    def _apply_cfg(self) -> None:
        c = self._cfg
        rd, wr = c["max_outstanding"]
        self._lib.tm_config(self._h, int(c["read_latency"]), int(c["read_jitter"]), int(c["write_latency"]),
                            int(rd), int(wr))

    def _live(self) -> None:
        if not getattr(self, "_h", None):
            raise ModelError("the model is closed")

    def _check(self) -> None:
        msg = self._lib.tm_error(self._h)
        if msg:
            self._lib.tm_clear_error(self._h)
            raise ModelError(f"AXI protocol violation at cycle {self.cycle}: {msg.decode()}")

    def close(self) -> None:
        if getattr(self, "_h", None):
            self._lib.tm_free(self._h)
            self._h = None

    def __del__(self) -> None:  # the C++ model holds a pointer into self.mem: free it first
        try:
            self.close()
        except Exception:
            pass

    # -- the interface of the rtl backend
    def axil_read(self, addr: int) -> tuple[int, int]:
        """One AXI-Lite read of byte offset ``addr``: (data, resp) with resp 0 OKAY, 2 SLVERR, 3 DECERR."""
        self._live()
        d, r = ctypes.c_uint32(), ctypes.c_uint32()
        ok = self._lib.tm_axil_read(self._h, int(addr) & 0xFFF, self.lite_timeout, ctypes.byref(d), ctypes.byref(r))
        self._check()
        if ok != 0:
            raise ModelError(f"AXI-Lite read of 0x{addr:03x}: no response within {self.lite_timeout} cycles")
        return int(d.value), int(r.value)

    def axil_write(self, addr: int, data: int, strb: int = 0xF) -> int:
        """One AXI-Lite write of ``data`` at byte offset ``addr``: the response (0 OKAY)."""
        self._live()
        if self._hang is not None and addr == 0x010 and data & 1:  # CTRL.START: arm hang_at for this run
            self._arm_hang()
        r = ctypes.c_uint32()
        ok = self._lib.tm_axil_write(self._h, int(addr) & 0xFFF, int(data) & 0xFFFFFFFF, int(strb) & 0xF,
                                     self.lite_timeout, ctypes.byref(r))
        self._check()
        if ok != 0:
            raise ModelError(f"AXI-Lite write of 0x{addr:03x}: no response within {self.lite_timeout} cycles")
        return int(r.value)

    @property
    def irq(self) -> bool:
        self._live()
        return bool(self._lib.tm_irq(self._h))

    @property
    def cycle(self) -> int:
        return int(self._lib.tm_cycle(self._h))

    def step(self, cycles: int, until_irq: bool = False) -> int:
        """Advance the clock ``cycles`` cycles (fewer with ``until_irq`` when the line goes high); cycles run."""
        self._live()
        t0 = time.perf_counter()
        n = int(self._lib.tm_step(self._h, int(cycles), int(bool(until_irq))))
        if n >= 1000:
            self._sim_s += time.perf_counter() - t0
            self._sim_cycles += n
        self._check()
        return n

    @property
    def seconds_per_cycle(self) -> float:
        """Host seconds per simulated cycle: the slower of the idle calibration and the steps measured so far."""
        run = self._sim_s / self._sim_cycles if self._sim_cycles >= 100_000 else 0.0
        return max(self._calib, run)

    def reset(self, cycles: int = 16) -> None:
        """Hardware reset (rst_ni low ``cycles`` cycles); the memory contents stay, its queues empty."""
        self._lib.tm_reset(self._h, int(cycles))
        self._check()

    # -- memory model settings
    def configure(self, **kw: Any) -> None:
        """Change ``read_latency``, ``read_jitter``, ``write_latency``, ``max_outstanding`` (reads, writes)."""
        for k in kw:
            if k not in self._cfg:
                raise ValueError(f"configure: unknown setting {k!r}: expected one of {', '.join(self._cfg)}")
        self._cfg.update(kw)
        self._apply_cfg()

    def backpressure(self, mode: str = "bursty", prob: float = 0.5, *, ports: int = PORTS_ALL,
                     channels: tuple[str, ...] = CHANNELS) -> None:
        """Ready/valid gaps: ``mode`` none | random (go with probability ``prob``) | bursty, per channel."""
        mask = 0
        for c in channels:
            mask |= 1 << CHANNELS.index(c)
        self._lib.tm_backpressure(self._h, int(ports), mask, BP_MODE[mode], float(prob))

    def fault(self, lo: int, hi: int, kind: str = "DECERR", direction: str = "rw", ports: int = PORTS_ALL) -> None:
        """Bursts touching device addresses [lo, hi) answer ``kind`` (SLVERR, DECERR) or are held (HANG)."""
        f = (int(lo), int(hi), FAULT_KIND[kind], DIRS[direction], int(ports))
        self._faults.append(f)
        self._lib.tm_add_fault(self._h, *f)

    def clear_faults(self, drain_cycles: int = 100_000) -> None:
        """Remove every fault (and ``hang_at``); held bursts are answered, the clock runs until they have been."""
        self._faults = []
        self._hang = None
        self._sync_faults(drain_cycles)

    def _sync_faults(self, drain_cycles: int = 100_000, hang_addr: int | None = None) -> None:
        self._lib.tm_clear_faults(self._h)  # releases held bursts
        for f in self._faults:
            self._lib.tm_add_fault(self._h, *f)
        if hang_addr is not None:
            self._lib.tm_add_fault(self._h, hang_addr, hang_addr + 32, FAULT_KIND["HANG"], DIRS["r"], PORTS_ALL)
            return
        left = int(drain_cycles)  # bounded: a stalled port keeps its bursts
        while left > 0 and self.counters()["held"] == 0 and any(
                self.counters(p)["outstanding"] for p in range(NUM_PORTS)):
            left -= self.step(min(1000, left))

    def stall_port(self, port: int, on: bool = True) -> None:
        """Port ``port`` stops answering (no ready, no response) until called with ``on=False``."""
        self._lib.tm_stall_port(self._h, int(port), int(bool(on)))

    def counters(self, port: int | None = None) -> dict[str, int]:
        """Beats, bytes and bursts read/written on ``port`` (summed over all ports for None); ``outstanding``
        bursts accepted and not yet answered, ``held`` of them by a HANG fault."""
        ports = range(NUM_PORTS) if port is None else [int(port)]
        tot = dict.fromkeys(COUNTER_NAMES, 0)
        buf = (ctypes.c_uint64 * 8)()
        for p in ports:
            self._lib.tm_counters(self._h, p, buf)
            for k, v in zip(COUNTER_NAMES, buf):
                tot[k] += int(v)
        return tot

    @property
    def hang_at(self) -> int | None:
        """Command index whose descriptor fetch is never answered (None: off); see the module docstring."""
        return self._hang

    @hang_at.setter
    def hang_at(self, index: int | None) -> None:
        self._hang = None if index is None else int(index)
        if index is None:
            self._sync_faults()

    def _arm_hang(self) -> None:
        """At START: hold the fetch of command ``hang_at`` of the list at the programmed CMD_BASE."""
        from edgemoe.driver import regmap

        base = self._raw_read(regmap.CMD_BASE_LO) | self._raw_read(regmap.CMD_BASE_HI) << 32
        self._sync_faults(hang_addr=base + 32 * int(self._hang))  # type: ignore[arg-type]

    def _raw_read(self, addr: int) -> int:
        return self.axil_read(addr)[0]


def bench_memory(cycles: int = 2_000_000, *, write: bool = False, mem_bytes: int = 64 << 20,
                 latency: int = 75) -> dict[str, float]:
    """The memory model alone under a synthetic four-port master (4 KB bursts back to back): beats/s."""
    lib = _load()
    beats = ctypes.c_uint64()
    s = lib.tm_bench_mem(int(cycles), int(mem_bytes), int(bool(write)), int(latency), ctypes.byref(beats))
    return {"cycles": int(cycles), "beats": int(beats.value), "seconds": float(s),
            "beats_per_s": beats.value / s if s > 0 else 0.0, "cycles_per_s": cycles / s if s > 0 else 0.0}


def speed_figures(model: TopModel | None = None, *, loads: int = 4, mem_cycles: int = 1_000_000) -> dict[str, float]:
    """Simulation speed: the top running LOADs of the 128 x 768 patches (cycles/s, port-0 beats/s) and the
    memory model alone (:func:`bench_memory`, reads and writes). Figures to read, not assertions."""
    from edgemoe.driver import isa, regmap as rm

    own = model is None
    m = TopModel(mem_size=4 << 20) if own else model
    try:
        b = m.mem_base
        cmds = [isa.load(isa.Buf.H, isa.IO_PATCHES, 128, 768, fmt=isa.LoadFormat.PIX)] * loads + [isa.end()]
        blob = isa.encode(cmds)
        m.mem[:len(blob)] = np.frombuffer(blob, np.uint8)
        for reg, v in (("CTRL", rm.CTRL_SOFT_RESET), ("CMD_BASE_LO", b & 0xFFFFFFFF), ("CMD_BASE_HI", b >> 32),
                       ("CMD_COUNT", len(cmds)), ("WBASE_LO", (b + 0x100000) & 0xFFFFFFFF), ("WBASE_HI", b >> 32),
                       ("IOBASE_LO", (b + 0x10000) & 0xFFFFFFFF), ("IOBASE_HI", b >> 32),
                       ("IRQ_ENABLE", rm.IRQ_DONE | rm.IRQ_ERROR)):
            m.axil_write(getattr(rm, reg), v)
        beats0 = m.counters(0)["rd_beats"]
        m.axil_write(rm.CTRL, rm.CTRL_START)
        t0 = time.perf_counter()
        n = 0
        while not m.irq and n < 10_000_000:
            n += m.step(1 << 16, until_irq=True)
        s = time.perf_counter() - t0
        beats = m.counters(0)["rd_beats"] - beats0
        rd, wr = bench_memory(mem_cycles), bench_memory(mem_cycles, write=True)
        return {"top_cycles": n, "top_seconds": s, "top_cycles_per_s": n / s, "top_beats_per_s": beats / s,
                "mem_read_beats": rd["beats"], "mem_read_beats_per_s": rd["beats_per_s"],
                "mem_write_beats_per_s": wr["beats_per_s"], "mem_cycles_per_s": rd["cycles_per_s"]}
    finally:
        if own:
            m.close()


class MemPort:
    """One port of the C++ memory model without the top, clocked from Python (its unit tests).

    Per cycle: ``out = drive()`` (the memory's outputs, from its state only), then
    ``clock(inp)`` with the master's :class:`PortIn` of the same cycle. Same settings
    and faults as :class:`TopModel`; ``error`` is the first protocol violation seen.
    """

    def __init__(self, mem_size: int = 1 << 20, mem_base: int = 0x1_0000_0000, *, seed: int = 1,
                 read_latency: int = 75, read_jitter: int = 0, write_latency: int = 20,
                 max_outstanding: tuple[int, int] = (8, 8)):
        self._lib = _load()
        self.mem = np.zeros(int(mem_size), dtype=np.uint8)
        self.mem_base = int(mem_base)
        self._h = self._lib.mp_new(self.mem.ctypes.data_as(ctypes.POINTER(ctypes.c_uint8)), self.mem.size,
                                   self.mem_base, int(seed))
        self._lib.mp_config(self._h, read_latency, read_jitter, write_latency, *max_outstanding)
        self.cycle = 0

    def close(self) -> None:
        if getattr(self, "_h", None):
            self._lib.mp_free(self._h)
            self._h = None

    __del__ = close

    def backpressure(self, mode: str = "bursty", prob: float = 0.5, channels: tuple[str, ...] = CHANNELS) -> None:
        mask = sum(1 << CHANNELS.index(c) for c in channels)
        self._lib.mp_backpressure(self._h, mask, BP_MODE[mode], float(prob))

    def fault(self, lo: int, hi: int, kind: str = "DECERR", direction: str = "rw") -> None:
        self._lib.mp_add_fault(self._h, int(lo), int(hi), FAULT_KIND[kind], DIRS[direction])

    def clear_faults(self) -> None:
        self._lib.mp_clear_faults(self._h)

    def stall(self, on: bool = True) -> None:
        self._lib.mp_stall(self._h, int(bool(on)))

    def drive(self) -> PortOut:
        o = PortOut()
        self._lib.mp_drive(self._h, ctypes.byref(o))
        return o

    def clock(self, inp: PortIn) -> None:
        self._lib.mp_clock(self._h, ctypes.byref(inp))
        self.cycle += 1

    def counters(self) -> dict[str, int]:
        buf = (ctypes.c_uint64 * 8)()
        self._lib.mp_counters(self._h, buf)
        return dict(zip(COUNTER_NAMES, (int(v) for v in buf)))

    @property
    def error(self) -> str:
        return self._lib.mp_error(self._h).decode()


def main() -> int:
    """``python -m edgemoe.sim.top_model``: build (or reuse) the model and print its speed figures."""
    import sys

    ok, why = available()
    if not ok:
        print(f"edgemoe.sim.top_model: error: {why}", file=sys.stderr)
        return 2
    f = speed_figures()
    print(f"model: {build()}")
    print(f"top (Verilator, edgemoe_top): {f['top_cycles_per_s']:,.0f} cycles/s, {f['top_beats_per_s']:,.0f} port-0 "
          f"beats/s ({f['top_cycles']:,} cycles of LOADs in {f['top_seconds']:.3f} s)")
    print(f"AXI4 memory model alone (4 ports, 4 KB bursts, 75-cycle latency): {f['mem_read_beats_per_s']:,.0f} read "
          f"beats/s, {f['mem_write_beats_per_s']:,.0f} write beats/s, {f['mem_cycles_per_s']:,.0f} cycles/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
