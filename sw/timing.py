"""Register-to-register timing estimate of a Yosys netlist for UltraScale+ -2 (``edgemoe synth --timing``).

No Vivado: the netlist ``synth_xilinx -family xcup`` writes (``write_json``) is a
graph of Xilinx primitives. :func:`analyse` cuts it at every register (FDRE/FDSE/
FDCE/FDPE, SRL, LUTRAM write ports, block RAM, the DSP48E2's A/B/C/D/AD/M/P
registers as its ``*REG`` parameters say) and finds the longest path between two
cuts with the per-cell delays of :data:`DELAYS` (UltraScale+ -2, 0.85 V; where each
figure comes from is in ``docs/timing.md``):

    delay = t_co(start) + sum over cells (net + cell) + net + t_su(end)

Every cell input that is reached through general routing adds one net delay
(:data:`DELAYS` ``net``, an assumption for a placed design with no congestion);
the dedicated paths (carry chain CO->CI, LUT->MUXF7/8, DSP cascades) add none.
Kernel ports are taken as registers in the neighbour (input: ``t_co``; output:
``t_su``), and a combinational path from an input port to an output port is
listed separately (``feedthrough``): it closes only together with the neighbour's
logic, and a ready that depends on another stream's valid shows up there.

The estimate has no placement: no fanout-dependent routing, no clock skew or
uncertainty (the 3.0 ns target keeps 10 % of the 3.33 ns period for those).
``INV`` cells cost nothing (Vivado folds them into the LUT that follows).
"""
from __future__ import annotations

import gzip
import json
import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

TARGET_NS = 3.0
"""Every kernel's estimated worst path must stay below this (10 % margin at 300 MHz)."""

DELAYS: dict[str, float] = {
    # fabric (assumptions: typical Vivado timing-report values for UltraScale+ -2; DS925 has no CLB table)
    "ff_co": 0.08,        # FF clock to Q
    "ff_su": 0.05,        # FF D setup
    "ff_su_ctrl": 0.10,   # FF CE / sync reset setup, async clear/preset recovery
    "lut": 0.10,          # LUT1..LUT6 input to O
    "net": 0.30,          # one routed net between two cells (per logic level)
    "muxf": 0.08,         # MUXF7/F8/F9 I/S to O (dedicated from the LUTs)
    "carry_in": 0.13,     # CARRY4/8 S or DI into the chain and out of the same bit
    "carry_bit": 0.012,   # each further carry bit (CARRY8 CI->CO7 about 0.1 ns)
    "lutram_read": 0.20,  # LUTRAM read address to DO (a LUT read plus the RAM's output mux)
    "lutram_co": 0.80,    # LUTRAM write clock to DO (a write shows at the asynchronous output)
    "lutram_su": 0.30,    # LUTRAM write address / data / WE setup
    "srl_co": 0.90,       # SRL16E/SRLC32E clock to Q
    "srl_su": 0.10,       # SRL D / CE setup
    # block RAM (assumption; DS958 lists 0.90 / 0.26 ns for Versal -2M, UltraScale+ is slower)
    "bram_co": 1.20,      # RAMB18E2/RAMB36E2 clock to DOUT without the output register
    "bram_co_reg": 0.35,  # ... with DOA_REG/DOB_REG
    "bram_su": 0.40,      # address / data / enable setup
    # DSP48E2 (DS925 Table "DSP48 Slice Switching Characteristics", -2 at 0.85 V, 1/FMAX split in stages)
    "dsp_reg": 0.45,      # internal register overhead (clock to out + setup) inside the slice
    "dsp_mult": 0.84,     # multiplier A/B -> M: FMAX all registers 775 MHz = 1.29 ns = dsp_reg + dsp_mult
    "dsp_alu": 0.55,      # M / C / PCIN -> P: FMAX_MULT_NOMREG 544 MHz = 1.84 ns = dsp_reg + mult + alu
    "dsp_preadd": 0.60,   # D+A pre-adder without ADREG: FMAX_NOPIPELINEREG 410 MHz = 2.44 ns
    "dsp_pin_in": 0.30,   # fabric pin into the slice (setup of an input register), assumption
    "dsp_co": 0.35,       # PREG clock to P at the fabric, assumption
    "dsp_pin_out": 0.20,  # combinational P to the fabric pin, assumption
}

# ---- netlist --------------------------------------------------------------------------------
FF_TYPES = {"FDRE", "FDSE", "FDCE", "FDPE", "FDRE_1", "FDSE_1", "FDCE_1", "FDPE_1", "LDCE", "LDPE"}
CLOCK_PINS = {"C", "CLK", "WCLK", "CLKARDCLK", "CLKBWRCLK", "CLKA", "CLKB", "RDCLK", "WRCLK", "G"}
LUT_RE = re.compile(r"^LUT[1-6](_2)?$")
SRL_TYPES = {"SRL16E", "SRLC16E", "SRLC32E", "SRL16", "SRLC16"}
BRAM_TYPES = {"RAMB36E2", "RAMB18E2", "RAMB36E1", "RAMB18E1", "FIFO36E2", "FIFO18E2"}
DSP_TYPES = {"DSP48E2", "DSP48E1"}
CARRY_TYPES = {"CARRY4", "CARRY8"}
MUXF_TYPES = {"MUXF7", "MUXF8", "MUXF9"}
CONST_TYPES = {"GND", "VCC"}
WIRE_TYPES = {"INV", "BUF", "$buf", "$scopeinfo"}


def _param(v: Any) -> Any:
    """A Yosys JSON parameter: an int, a binary string (int), or a string (stripped)."""
    if isinstance(v, int):
        return v
    if isinstance(v, str) and v and set(v) <= set("01") and len(v) <= 64:
        return int(v, 2)
    return v.strip() if isinstance(v, str) else v


def top_module(netlist: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    """The module with the ``top`` attribute (else the only one that is not a blackbox)."""
    mods = netlist.get("modules", {})
    for name, m in mods.items():
        if _param(m.get("attributes", {}).get("top", 0)) == 1:
            return name, m
    real = [(n, m) for n, m in mods.items() if not _param(m.get("attributes", {}).get("blackbox", 0))]
    if len(real) != 1:
        raise ValueError(f"netlist has no top module (modules: {', '.join(list(mods)[:8])})")
    return real[0]


def slim_netlist(netlist: Mapping[str, Any]) -> dict[str, Any]:
    """Only the top module, without source attributes: what :func:`analyse` reads (a tenth of the size)."""
    name, m = top_module(netlist)
    cells = {c: {"type": v["type"], "parameters": v.get("parameters", {}), "port_directions": v.get("port_directions", {}),
                 "connections": v["connections"]} for c, v in m.get("cells", {}).items()}
    nets = {n: {"bits": v["bits"], "hide_name": v.get("hide_name", 0),
                **({"offset": v["offset"]} if "offset" in v else {}), **({"upto": v["upto"]} if "upto" in v else {})}
            for n, v in m.get("netnames", {}).items() if not v.get("hide_name", 0)}
    return {"modules": {name: {"attributes": {"top": 1}, "ports": m.get("ports", {}), "cells": cells, "netnames": nets}}}


def load_netlist(path: Path) -> dict[str, Any]:
    """A Yosys JSON netlist, plain or gzipped."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt") as f:
        return json.load(f)


# ---- result ---------------------------------------------------------------------------------
@dataclass
class TimingPath:
    """One path: from a start (register output or input port) to an end (register input or output port).

    ``cells`` lists the primitives on the way (type and instance name); ``lut_levels``
    counts LUTs, ``carry_cells``/``carry_bits`` the carry chain, ``dsp`` the DSP48E2 slices
    crossed combinationally (a cascade), ``net_ns`` the routing share of ``delay_ns``.
    """

    delay_ns: float
    start: str
    end: str
    kind: str = "reg2reg"
    lut_levels: int = 0
    carry_cells: int = 0
    carry_bits: int = 0
    muxf: int = 0
    dsp: int = 0
    lutram: int = 0
    nets: int = 0
    net_ns: float = 0.0
    cells: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{self.lut_levels} LUT"]
        if self.carry_cells:
            parts.append(f"{self.carry_bits}-bit carry ({self.carry_cells} CARRY)")
        if self.muxf:
            parts.append(f"{self.muxf} MUXF")
        if self.dsp:
            parts.append(f"{self.dsp} DSP")
        if self.lutram:
            parts.append(f"{self.lutram} LUTRAM")
        return ", ".join(parts)


@dataclass
class TimingReport:
    """Worst path of a netlist (``worst``), the worst path into each of the deepest register groups
    (``top``), the combinational input->output port pairs (``feedthrough``), and loops found."""

    worst: TimingPath | None
    top: list[TimingPath] = field(default_factory=list)
    feedthrough: list[dict[str, Any]] = field(default_factory=list)
    loops: int = 0
    cells: int = 0
    unknown: dict[str, int] = field(default_factory=dict)
    target_ns: float = TARGET_NS

    @property
    def meets(self) -> bool:
        return self.worst is None or self.worst.delay_ns <= self.target_ns

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["meets"] = self.meets
        return d

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "TimingReport":
        w = d.get("worst")
        return cls(TimingPath(**w) if w else None, [TimingPath(**p) for p in d.get("top", [])],
                   list(d.get("feedthrough", [])), d.get("loops", 0), d.get("cells", 0), dict(d.get("unknown", {})),
                   d.get("target_ns", TARGET_NS))


# ---- graph ----------------------------------------------------------------------------------
class _Graph:
    """Nodes are net bits (ints) or synthetic DSP-internal nodes (negative ints); edges carry
    (delay, cell index, net crossed); starts carry an arrival time, ends a setup time."""

    def __init__(self) -> None:
        self.succ: dict[int, list[tuple[int, float, int, bool]]] = defaultdict(list)
        self.npred: dict[int, int] = defaultdict(int)
        self.starts: dict[int, tuple[float, str, str]] = {}  # node -> (arrival, name, kind)
        self.ends: list[tuple[int, float, str, str, bool]] = []  # (node, setup, name, kind, net before)
        self.cell_names: list[str] = []
        self.cell_types: list[str] = []
        self.next_virtual = -1

    def virtual(self) -> int:
        self.next_virtual -= 1
        return self.next_virtual

    def edge(self, u: int, v: int, d: float, cell: int, net: bool) -> None:
        self.succ[u].append((v, d, cell, net))
        self.npred[v] += 1

    def start(self, node: int, t: float, name: str, kind: str = "reg") -> None:
        old = self.starts.get(node)
        if old is None or t > old[0]:
            self.starts[node] = (t, name, kind)


def _bitname(netnames: Mapping[str, Any]) -> dict[int, str]:
    """A readable name for each bit: the shortest public net name that holds it, with the index."""
    out: dict[int, str] = {}
    for name, n in sorted(netnames.items(), key=lambda kv: (kv[1].get("hide_name", 0), len(kv[0]))):
        if n.get("hide_name", 0):
            continue
        bits = n["bits"]
        off = int(n.get("offset", 0))
        upto = int(n.get("upto", 0))
        for i, b in enumerate(bits):
            if isinstance(b, int) and b not in out:
                idx = (off + len(bits) - 1 - i) if upto else (off + i)
                out[b] = f"{name}[{idx}]" if len(bits) > 1 else name
    return out


def _pins(cell: Mapping[str, Any], direction: str) -> Iterable[tuple[str, int, int]]:
    """(port, index, bit) of the cell's input or output pins that carry a net (not a constant)."""
    dirs = cell.get("port_directions", {})
    for port, bits in cell["connections"].items():
        if dirs.get(port, "input") != direction:
            continue
        for i, b in enumerate(bits):
            if isinstance(b, int):
                yield port, i, b


def build_graph(module: Mapping[str, Any], delays: Mapping[str, float] = DELAYS,
                boundary: Mapping[str, float] | None = None) -> tuple[_Graph, dict[str, int], dict[int, str]]:
    """The timing graph of one flattened module; also the cell types it did not know.

    ``boundary`` (see :func:`analyse`) turns the ports it names into register boundaries:
    an input port starts (kind ``reg``) at the given arrival time, an output port ends
    (kind ``reg``) with the given time as its setup and no net of its own."""
    D = delays
    boundary = boundary or {}
    g = _Graph()
    names = _bitname(module.get("netnames", {}))
    unknown: dict[str, int] = defaultdict(int)

    def bn(b: int) -> str:
        return names.get(b, f"net{b}")

    for pname, p in module.get("ports", {}).items():
        for i, b in enumerate(p["bits"]):
            if not isinstance(b, int):
                continue
            label = f"{pname}[{i}]" if len(p["bits"]) > 1 else pname
            if pname in boundary:
                if p["direction"] == "input":
                    g.start(b, boundary[pname], label, "reg")
                else:
                    g.ends.append((b, boundary[pname], label, "reg", False))
            elif p["direction"] == "input":
                g.start(b, D["ff_co"], f"in:{label}", "in")
            else:
                g.ends.append((b, D["ff_su"], f"out:{label}", "out", True))

    for cname, c in module.get("cells", {}).items():
        t = c["type"]
        ci = len(g.cell_names)
        g.cell_names.append(cname)
        g.cell_types.append(t)
        conn = c["connections"]
        par = {k: _param(v) for k, v in c.get("parameters", {}).items()}
        ins = [(p, i, b) for p, i, b in _pins(c, "input") if p not in CLOCK_PINS]
        outs = list(_pins(c, "output"))
        if t in FF_TYPES:
            q = conn.get("Q", [None])[0]
            qname = cname[:-4] if cname.endswith("_reg") else (bn(q) if isinstance(q, int) else cname)
            if isinstance(q, int):
                g.start(q, D["ff_co"], qname)
            for p, _, b in ins:
                g.ends.append((b, D["ff_su"] if p == "D" else D["ff_su_ctrl"], f"{qname}.{p}", "reg", True))
        elif LUT_RE.match(t):
            for _, _, o in outs:
                for _, _, b in ins:
                    g.edge(b, o, D["lut"], ci, True)
        elif t in WIRE_TYPES:
            for _, _, o in outs:
                for _, _, b in ins:
                    g.edge(b, o, 0.0, ci, False)
        elif t in MUXF_TYPES:
            for _, _, o in outs:
                for p, _, b in ins:  # I0/I1 come from the LUTs (or MUXF) below on dedicated wires; S is routed
                    g.edge(b, o, D["muxf"] + (D["net"] if p == "S" else 0.0), ci, False)
        elif t in CARRY_TYPES:
            _carry(g, ci, c, D)
        elif t in SRL_TYPES:
            for _, _, o in outs:
                g.start(o, D["srl_co"], f"{bn(o)}(SRL)")
            for p, _, b in ins:
                if p.startswith("A"):
                    for _, _, o in outs:
                        g.edge(b, o, D["lut"], ci, True)
                else:
                    g.ends.append((b, D["srl_su"], f"{cname}.{p}", "reg", True))
        elif t.startswith("RAM") and t not in BRAM_TYPES:  # LUTRAM
            _lutram(g, ci, cname, c, ins, outs, D, bn)
        elif t in BRAM_TYPES:
            reg = bool(par.get("DOA_REG", 0)) or bool(par.get("DOB_REG", 0))
            for p, _, o in outs:
                g.start(o, D["bram_co_reg"] if reg else D["bram_co"], f"{cname}.{p}(BRAM)")
            for p, _, b in ins:
                g.ends.append((b, D["bram_su"], f"{cname}.{p}(BRAM)", "reg", True))
        elif t in DSP_TYPES:
            _dsp(g, ci, cname, c, par, ins, outs, D)
        elif t in CONST_TYPES:
            pass
        else:  # unknown primitive: a combinational cell with a LUT delay
            unknown[t] += 1
            for _, _, o in outs:
                for _, _, b in ins:
                    g.edge(b, o, D["lut"], ci, True)
    return g, dict(unknown), names


def _carry(g: _Graph, ci: int, c: Mapping[str, Any], D: Mapping[str, float]) -> None:
    conn = c["connections"]
    n = len(conn.get("S", []))
    co, o = conn.get("CO", []), conn.get("O", [])
    for j in range(n):
        for outs in (co, o):
            if j >= len(outs) or not isinstance(outs[j], int):
                continue
            y = outs[j]
            for i in range(j + 1):
                for port in ("S", "DI"):
                    b = conn.get(port, [None] * n)[i] if i < len(conn.get(port, [])) else None
                    if isinstance(b, int):
                        g.edge(b, y, D["carry_in"] + (j - i) * D["carry_bit"], ci, True)
            for port in ("CI", "CYINIT", "CI_TOP"):
                for b in conn.get(port, []):
                    if isinstance(b, int):
                        # CI comes from the previous carry cell (dedicated); CYINIT/CI_TOP are routed
                        routed = port != "CI" or not _driven_by_carry(b)
                        g.edge(b, y, (j + 1) * D["carry_bit"] + (D["net"] if routed else 0.0), ci, False)


_CARRY_CO_BITS: set[int] = set()


def _driven_by_carry(b: int) -> bool:
    return b in _CARRY_CO_BITS


_LUTRAM_READ_ADDR = re.compile(r"^(ADDR[A-G]|DPRA\d*|A\d*|ADDR[A-G]\d*|RADR\d*)$")


def _lutram(g: _Graph, ci: int, cname: str, c: Mapping[str, Any], ins: list, outs: list,
            D: Mapping[str, float], bn) -> None:
    """Write side synchronous (every input an end), read side asynchronous (read address -> DO),
    and a write shows at DO after the write clock (every output a start)."""
    t = c["type"]
    for p, _, o in outs:
        g.start(o, D["lutram_co"], f"{cname}.{p}(LUTRAM write)")
    for p, _, b in ins:
        g.ends.append((b, D["lutram_su"], f"{cname}.{p}(LUTRAM)", "reg", True))
        # RAM32M16/RAM64M8: ADDRA..ADDRG read ports A..G; ADDRH is the write address and port H's read address
        if t in ("RAM32M16", "RAM64M8", "RAM32M", "RAM64M"):
            letter = p[-1] if p.startswith("ADDR") else None
            if letter is None:
                continue
            for op, _, o in outs:
                if op.endswith(letter):
                    g.edge(b, o, D["lutram_read"], ci, True)
        elif _LUTRAM_READ_ADDR.match(p):  # RAMxxX1S/D: A* (SPO), DPRA* (DPO)
            for op, _, o in outs:
                if (p.startswith("DPRA") and op == "DPO") or (not p.startswith("DPRA") and op != "DPO"):
                    g.edge(b, o, D["lutram_read"], ci, True)


_DSP_CASCADE_IN = {"ACIN", "BCIN", "PCIN", "CARRYCASCIN", "MULTSIGNIN"}


def _dsp(g: _Graph, ci: int, cname: str, c: Mapping[str, Any], par: Mapping[str, Any], ins: list, outs: list,
         D: Mapping[str, float]) -> None:
    """DSP48E2 as four internal stages: inputs (A/B/C/D, registered per *REG), pre-adder (ADREG),
    multiplier (MREG), ALU (PREG). A registered stage ends the paths into it and starts new ones."""
    use_mult = str(par.get("USE_MULT", "MULTIPLY")).upper() != "NONE"
    preadd = str(par.get("AMULTSEL", "A")).upper() == "AD" or str(par.get("BMULTSEL", "B")).upper() == "AD"
    reg = {k: int(par.get(k, 1) or 0) for k in ("AREG", "BREG", "CREG", "DREG", "ADREG", "MREG", "PREG",
                                                 "OPMODEREG", "ALUMODEREG", "INMODEREG", "CARRYINREG", "CARRYINSELREG")}
    names = {}

    def stage(label: str) -> int:
        v = g.virtual()
        names[v] = f"{cname}.{label}"
        return v

    a_node, b_node, c_node, d_node = stage("A"), stage("B"), stage("C"), stage("D")
    ad_node, m_node, alu_node = stage("AD"), stage("M"), stage("ALU")
    port_stage = {"A": ("AREG", a_node), "B": ("BREG", b_node), "C": ("CREG", c_node), "D": ("DREG", d_node),
                  "ACIN": ("AREG", a_node), "BCIN": ("BREG", b_node), "INMODE": ("INMODEREG", a_node),
                  "OPMODE": ("OPMODEREG", alu_node), "ALUMODE": ("ALUMODEREG", alu_node),
                  "CARRYIN": ("CARRYINREG", alu_node), "CARRYINSEL": ("CARRYINSELREG", alu_node),
                  "PCIN": ("", alu_node), "CARRYCASCIN": ("", alu_node), "MULTSIGNIN": ("", alu_node)}
    half = D["dsp_reg"] / 2  # internal register: clock-to-out and setup shares
    for p, _, b in ins:
        if p.startswith(("CE", "RST")):
            g.ends.append((b, D["dsp_pin_in"], f"{cname}.{p}(DSP)", "reg", True))
            continue
        regname, node = port_stage.get(p, ("", alu_node))
        cascade = p in _DSP_CASCADE_IN
        if regname and reg.get(regname, 0):
            g.ends.append((b, D["dsp_pin_in"], f"{cname}.{regname}(DSP)", "reg", not cascade))
            g.start(node, half, f"{cname}.{regname}(DSP)")
        else:
            g.edge(b, node, (0.0 if cascade else D["net"]) + (D["dsp_pin_in"] - half), ci, False)

    def internal(u: int, v: int, d: float, regname: str, label: str) -> None:
        """u -> v through ``d``; when ``regname`` is set, v is an internal register (end, then start)."""
        if regname and reg.get(regname, 0):
            w = g.virtual()
            g.edge(u, w, d, ci, False)
            g.ends.append((w, half, f"{cname}.{regname}(DSP)", "reg", False))
            g.start(v, half, f"{cname}.{regname}(DSP)")
        else:
            g.edge(u, v, d, ci, False)

    if use_mult:
        if preadd:
            internal(a_node, ad_node, D["dsp_preadd"], "ADREG", "AD")
            internal(d_node, ad_node, D["dsp_preadd"], "ADREG", "AD")
            mult_in = ad_node
        else:
            mult_in = a_node
        internal(mult_in, m_node, D["dsp_mult"], "MREG", "M")
        internal(b_node, m_node, D["dsp_mult"], "MREG", "M")
        g.edge(m_node, alu_node, 0.0, ci, False)
    else:
        g.edge(a_node, alu_node, 0.0, ci, False)
        g.edge(b_node, alu_node, 0.0, ci, False)
    g.edge(c_node, alu_node, 0.0, ci, False)
    p_reg = bool(reg.get("PREG", 0))
    for p, _, o in outs:
        if p in ("ACOUT", "BCOUT"):
            g.edge(a_node if p == "ACOUT" else b_node, o, 0.0, ci, False)
        elif p_reg:
            w = g.virtual()
            g.edge(alu_node, w, D["dsp_alu"], ci, False)
            g.ends.append((w, half, f"{cname}.PREG(DSP)", "reg", False))
            g.start(o, D["dsp_co"], f"{cname}.PREG(DSP)")
        else:
            g.edge(alu_node, o, D["dsp_alu"] + D["dsp_pin_out"], ci, False)


# ---- longest path ---------------------------------------------------------------------------
def _longest(g: _Graph, start_kinds: set[str]) -> tuple[dict[int, float], dict[int, tuple[int, int, bool]], dict[int, int], int]:
    """Arrival at every node reachable from the starts of ``start_kinds`` (topological order);
    back-pointers (pred, cell, net crossed); origin start of each node; nodes left on loops."""
    arr: dict[int, float] = {}
    pred: dict[int, tuple[int, int, bool]] = {}
    origin: dict[int, int] = {}
    for n, (t, _, kind) in g.starts.items():
        if kind in start_kinds:
            arr[n] = t
            origin[n] = n
    indeg = dict(g.npred)
    order = [n for n in set(g.succ) | set(g.starts) if indeg.get(n, 0) == 0]
    seen = 0
    while order:
        u = order.pop()
        seen += 1
        au = arr.get(u)
        for v, d, cell, net in g.succ.get(u, ()):
            if au is not None:
                t = au + d + (g_net(g) if net else 0.0)
                if t > arr.get(v, float("-inf")):
                    arr[v] = t
                    pred[v] = (u, cell, net)
                    origin[v] = origin[u]
            indeg[v] -= 1
            if indeg[v] == 0:
                order.append(v)
    loops = sum(1 for n, k in indeg.items() if k > 0)
    return arr, pred, origin, loops


_NET_NS = {"v": DELAYS["net"]}


def g_net(_: _Graph) -> float:
    return _NET_NS["v"]


def _trace(g: _Graph, pred: Mapping[int, tuple[int, int, bool]], node: int) -> list[tuple[int, bool]]:
    cells: list[tuple[int, bool]] = []
    while node in pred:
        node, cell, net = pred[node]
        cells.append((cell, net))
    return cells[::-1]


def _path(g: _Graph, pred, origin, arr, end: tuple[int, float, str, str, bool], kind: str,
          D: Mapping[str, float]) -> TimingPath:
    node, su, ename, _, net_before = end
    cells = _trace(g, pred, node)
    delay = arr[node] + su + (D["net"] if net_before else 0.0)
    p = TimingPath(round(delay, 3), g.starts[origin[node]][1], ename, kind)
    last = None
    for ci, net in cells:
        if ci == last:  # a DSP's internal stages are one cell on the path
            continue
        last = ci
        t = g.cell_types[ci]
        p.cells.append(f"{t} {g.cell_names[ci]}")
        if LUT_RE.match(t):
            p.lut_levels += 1
        elif t in CARRY_TYPES:
            p.carry_cells += 1
        elif t in MUXF_TYPES:
            p.muxf += 1
        elif t in DSP_TYPES:
            p.dsp += 1
        elif t.startswith("RAM") and t not in BRAM_TYPES:
            p.lutram += 1
    p.carry_bits = _carry_bits(g, cells)
    p.nets = sum(1 for _, net in cells if net) + (1 if net_before else 0)
    p.net_ns = round(p.nets * D["net"], 3)
    return p


def _carry_bits(g: _Graph, cells: list[tuple[int, bool]]) -> int:
    """Bits of the longest run of carry cells on the path (4 per CARRY4, 8 per CARRY8; an estimate)."""
    best = run = 0
    last = None
    for ci, _ in cells:
        if ci == last:
            continue
        last = ci
        t = g.cell_types[ci]
        if t in CARRY_TYPES:
            run += 4 if t == "CARRY4" else 8
            best = max(best, run)
        else:
            run = 0
    return best


def _group(name: str) -> str:
    """Register group of an end name: ``u_x.acc_q[12].D`` -> ``u_x.acc_q``; a LUTRAM's or a
    BRAM's pins (``q_bank_q.0.11.WE(LUTRAM)``) -> the memory (``q_bank_q``)."""
    m = re.match(r"^(.*?)(\.\d+)*\.\w+\((LUTRAM|BRAM|DSP)[^)]*\)$", name)
    if m:
        return m.group(1)
    if name.endswith((".D", ".CE", ".R", ".S", ".CLR", ".PRE")):
        name = name.rsplit(".", 1)[0]
    return re.sub(r"\[\d+\]", "", name)


def _prepare(module: Mapping[str, Any], delays: Mapping[str, float]) -> None:
    """Module-wide state of :func:`build_graph`: the net delay, the carry-chain CO bits (a CI they drive is dedicated)."""
    _NET_NS["v"] = delays["net"]
    _CARRY_CO_BITS.clear()
    for c in module.get("cells", {}).values():
        if c["type"] in CARRY_TYPES:
            _CARRY_CO_BITS.update(b for b in c["connections"].get("CO", []) if isinstance(b, int))


def analyse(netlist: Mapping[str, Any], delays: Mapping[str, float] = DELAYS, top_n: int = 10,
            target_ns: float = TARGET_NS, boundary: Mapping[str, float] | None = None,
            through: Iterable[tuple[str, str, float]] = ()) -> TimingReport:
    """The worst register-to-register path of a Yosys JSON netlist (see the module docstring).

    ``boundary`` and ``through`` time the ports of black boxes cut out of the netlist
    (:func:`box_boundary`): ``boundary[port]`` is, for an input port (a box output), the
    arrival time at the pin and, for an output port (a box input), the delay from the pin
    to the register inside the box including its setup; such ports are register
    boundaries (the paths are ``reg2reg``). ``through`` lists a box's combinational
    input -> output paths as (output port, input port, delay from pin to pin)."""
    _, module = top_module(netlist)
    _prepare(module, delays)
    g, unknown, _ = build_graph(module, delays, boundary)
    ports = module.get("ports", {})
    for src, dst, d in through:
        if src not in ports or dst not in ports:
            continue
        ci = len(g.cell_names)
        g.cell_names.append(f"{src.split('/')[0]} ({src.split('/')[-1]} -> {dst.split('/')[-1]})")
        g.cell_types.append("BOX")
        mid = g.virtual()
        for b in ports[src]["bits"]:
            if isinstance(b, int):
                g.edge(b, mid, 0.0, ci, False)
        for b in ports[dst]["bits"]:
            if isinstance(b, int):
                g.edge(mid, b, d, ci, False)
    arr, pred, origin, loops = _longest(g, {"reg", "in"})
    paths: list[TimingPath] = []
    for e in g.ends:
        if e[0] not in arr:
            continue
        okind = g.starts[origin[e[0]]][2]
        kind = {("reg", "reg"): "reg2reg", ("in", "reg"): "in2reg", ("reg", "out"): "reg2out",
                ("in", "out"): "in2out"}[(okind, "out" if e[3] == "out" else "reg")]
        d = arr[e[0]] + e[1] + (delays["net"] if e[4] else 0.0)
        paths.append((d, e, kind))  # type: ignore[arg-type]
    paths.sort(key=lambda x: -x[0])  # type: ignore[index]
    timed = [(d, e, k) for d, e, k in paths if k != "in2out"]
    worst = _path(g, pred, origin, arr, timed[0][1], timed[0][2], delays) if timed else None
    top: list[TimingPath] = []
    groups: set[str] = set()
    for d, e, k in timed:
        grp = _group(e[2])
        if grp in groups:
            continue
        groups.add(grp)
        top.append(_path(g, pred, origin, arr, e, k, delays))
        if len(top) >= top_n:
            break
    feed = _feedthrough(g, delays)
    return TimingReport(worst, top, feed, loops, len(g.cell_names), unknown, target_ns)


def _feedthrough(g: _Graph, D: Mapping[str, float]) -> list[dict[str, Any]]:
    """Input-port -> output-port combinational pairs (port names without the bit), with the worst delay."""
    arr, pred, origin, _ = _longest(g, {"in"})
    pairs: dict[tuple[str, str], float] = {}
    # every input bit that reaches an output: propagate the set of input port names
    srcs: dict[int, set[str]] = {n: {re.sub(r"\[\d+\]$", "", nm[3:])} for n, (_, nm, k) in g.starts.items() if k == "in"}
    indeg = dict(g.npred)
    order = [n for n in set(g.succ) | set(g.starts) if indeg.get(n, 0) == 0]
    while order:
        u = order.pop()
        su = srcs.get(u)
        for v, _, _, _ in g.succ.get(u, ()):
            if su:
                srcs.setdefault(v, set()).update(su)
            indeg[v] -= 1
            if indeg[v] == 0:
                order.append(v)
    for node, su, name, kind, net in g.ends:
        if kind != "out" or node not in srcs:
            continue
        out = re.sub(r"\[\d+\]$", "", name[4:])
        d = arr.get(node, 0.0) + su + (D["net"] if net else 0.0)
        for s in srcs[node]:
            key = (s, out)
            pairs[key] = max(pairs.get(key, 0.0), d)
    # a ready that follows another stream's valid is the loop risk (a ready from the
    # downstream ready is the ordinary pipeline handshake)
    return [{"from": a, "to": b, "delay_ns": round(d, 3), "valid_to_ready": a.endswith("valid_i") and b.endswith("ready_o")}
            for (a, b), d in sorted(pairs.items())]


def _required(g: _Graph) -> dict[int, float]:
    """Per node: the longest delay from it to a register end (its setup included), reverse topological order."""
    req: dict[int, float] = {}
    for node, su, _, kind, net in g.ends:
        if kind == "reg":
            req[node] = max(req.get(node, float("-inf")), su + (g_net(g) if net else 0.0))
    preds: dict[int, list[tuple[int, float, bool]]] = defaultdict(list)
    outdeg: dict[int, int] = defaultdict(int)
    for u, edges in g.succ.items():
        for v, d, _, net in edges:
            preds[v].append((u, d, net))
            outdeg[u] += 1
    nodes = set(g.succ) | set(preds) | set(req)
    order = [n for n in nodes if outdeg.get(n, 0) == 0]
    while order:
        v = order.pop()
        rv = req.get(v)
        for u, d, net in preds.get(v, ()):
            if rv is not None:
                t = rv + d + (g_net(g) if net else 0.0)
                if t > req.get(u, float("-inf")):
                    req[u] = t
            outdeg[u] -= 1
            if outdeg[u] == 0:
                order.append(u)
    return req


def port_profile(netlist: Mapping[str, Any], delays: Mapping[str, float] = DELAYS) -> dict[str, dict[str, float]]:
    """A kernel's timing at its ports, for a bigger design that keeps it as a black box.

    ``in[port]``: the longest path from the port (driven by a register outside, ``ff_co``)
    to a register inside, setup included; ``out[port]``: the longest path from a register
    inside to the port, the outside register's net and setup included. These are the
    kernel's own ``in2reg`` / ``reg2out`` paths per port (bits merged); ports no register
    path touches are left out (a feed-through, in the report's ``feedthrough``, or unused)."""
    _, module = top_module(netlist)
    _prepare(module, delays)
    g, _, _ = build_graph(module, delays)
    req = _required(g)
    arr, _, _, _ = _longest(g, {"reg"})
    prof: dict[str, dict[str, float]] = {"in": {}, "out": {}}
    for pname, p in module.get("ports", {}).items():
        for b in p["bits"]:
            if not isinstance(b, int):
                continue
            if p["direction"] == "input" and b in req:
                v = delays["ff_co"] + req[b]
                prof["in"][pname] = round(max(prof["in"].get(pname, 0.0), v), 3)
            elif p["direction"] == "output" and b in arr:
                v = arr[b] + delays["ff_su"] + delays["net"]
                prof["out"][pname] = round(max(prof["out"].get(pname, 0.0), v), 3)
    return prof


def box_boundary(instance: str, profile: Mapping[str, Mapping[str, float]], feedthrough: Iterable[Mapping[str, Any]],
                 delays: Mapping[str, float] = DELAYS) -> tuple[dict[str, float], list[tuple[str, str, float]]]:
    """:func:`analyse`'s ``boundary`` and ``through`` entries for one black-box instance whose pins are
    ports ``<instance>/<port>`` (``edgemoe.synth.cut_boxes``), from the kernel's :func:`port_profile`
    and its report's ``feedthrough``. A path through the pin is then timed as the flat design would
    time it: the glue's part plus the kernel's own (one routed net between the two), so a
    kernel's ``in2reg`` / ``reg2out`` budget counts against the glue next to it."""
    D = delays
    b: dict[str, float] = {}
    for port, v in profile.get("in", {}).items():    # a box input: the glue's output port
        b[f"{instance}/{port}"] = max(v - D["ff_co"], 0.0)
    for port, v in profile.get("out", {}).items():   # a box output: the glue's input port
        b[f"{instance}/{port}"] = max(v - D["ff_su"] - D["net"], D["ff_co"])
    th = [(f"{instance}/{f['from']}", f"{instance}/{f['to']}", max(f["delay_ns"] - D["ff_co"] - D["ff_su"] - D["net"], 0.0))
          for f in feedthrough]
    return b, th
