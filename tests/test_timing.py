"""edgemoe.timing: longest register-to-register path on small hand-made Yosys JSON netlists.

Each netlist is built from the primitives synth_xilinx emits; the expected delays are
written out from the delay table (edgemoe.timing.DELAYS) so a change in the model's
arithmetic, its cuts (registers, DSP *REG stages) or its dedicated-route rules fails here.
"""
from __future__ import annotations

import gzip
import json

import pytest

from edgemoe import timing as tm

D = tm.DELAYS


class Net:
    """A tiny netlist builder: bits are ints from 2 up, cells and ports in Yosys JSON form."""

    def __init__(self) -> None:
        self.next = 2
        self.cells: dict = {}
        self.ports: dict = {}

    def bit(self) -> int:
        self.next += 1
        return self.next

    def port(self, name: str, direction: str, width: int = 1) -> list[int]:
        bits = [self.bit() for _ in range(width)]
        self.ports[name] = {"direction": direction, "bits": bits}
        return bits

    def cell(self, name: str, type_: str, ins: dict, outs: dict, **params) -> None:
        conn = {**{k: (v if isinstance(v, list) else [v]) for k, v in ins.items()},
                **{k: (v if isinstance(v, list) else [v]) for k, v in outs.items()}}
        dirs = {**{k: "input" for k in ins}, **{k: "output" for k in outs}}
        self.cells[name] = {"type": type_, "parameters": params, "port_directions": dirs, "connections": conn}

    def ff(self, name: str, d: int, clk: int, type_: str = "FDRE") -> int:
        q = self.bit()
        self.cell(f"{name}_reg", type_, {"C": clk, "D": d, "CE": "1", "R": "0"}, {"Q": q})
        return q

    def lut(self, name: str, *ins: int) -> int:
        o = self.bit()
        self.cell(name, f"LUT{len(ins)}", {f"I{i}": b for i, b in enumerate(ins)}, {"O": o}, INIT=0)
        return o

    def json(self) -> dict:
        return {"modules": {"top": {"attributes": {"top": 1}, "ports": self.ports, "cells": self.cells,
                                    "netnames": {}}}}


def chain(n_luts: int) -> tuple[Net, int]:
    """clk, a <- FF <- n LUTs <- FF a (a register loop through n LUTs)."""
    n = Net()
    clk = n.port("clk_i", "input")[0]
    d = n.bit()
    q = n.ff("a_q", d, clk)
    x = q
    for i in range(n_luts):
        x = n.lut(f"l{i}", x)
    n.cells["a_q_reg"]["connections"]["D"] = [x]
    return n, q


def test_lut_chain_delay_and_names():
    n, _ = chain(3)
    r = tm.analyse(n.json())
    w = r.worst
    assert w is not None and w.kind == "reg2reg"
    assert w.lut_levels == 3 and w.carry_cells == 0
    want = D["ff_co"] + 3 * (D["net"] + D["lut"]) + D["net"] + D["ff_su"]
    assert w.delay_ns == pytest.approx(want, abs=1e-6)
    assert w.start == "a_q" and w.end == "a_q.D"
    assert w.nets == 4 and w.net_ns == pytest.approx(4 * D["net"])
    # deeper logic, longer path; the target flags it
    deep = tm.analyse(chain(12)[0].json())
    assert deep.worst.delay_ns > tm.TARGET_NS and not deep.meets
    assert r.meets


def test_inverter_is_free_and_loops_are_reported():
    n, q = chain(1)
    d = n.cells["a_q_reg"]["connections"]["D"][0]
    inv = n.bit()
    n.cell("inv", "INV", {"I": d}, {"O": inv})
    n.cells["a_q_reg"]["connections"]["D"] = [inv]
    r = tm.analyse(n.json())
    assert r.worst.lut_levels == 1
    assert r.worst.delay_ns == pytest.approx(D["ff_co"] + D["net"] + D["lut"] + D["net"] + D["ff_su"])
    # a combinational loop (two LUTs feeding each other) is counted, not timed
    a, b = n.bit(), n.bit()
    n.cell("x", "LUT2", {"I0": q, "I1": b}, {"O": a})
    n.cell("y", "LUT1", {"I0": a}, {"O": b})
    assert tm.analyse(n.json()).loops >= 2


def test_carry_chain_is_dedicated():
    """FF -> CARRY4 -> CARRY4 (CO[3] -> CI, no routed net) -> FF from the top sum bit."""
    n = Net()
    clk = n.port("clk_i", "input")[0]
    qs = [n.ff(f"s_q[{i}]", n.bit(), clk) for i in range(8)]
    co1 = [n.bit() for _ in range(4)]
    o1 = [n.bit() for _ in range(4)]
    n.cell("c0", "CARRY4", {"CI": "0", "CYINIT": "0", "DI": qs[:4], "S": qs[:4]}, {"CO": co1, "O": o1})
    co2 = [n.bit() for _ in range(4)]
    o2 = [n.bit() for _ in range(4)]
    n.cell("c1", "CARRY4", {"CI": co1[3], "CYINIT": "0", "DI": qs[4:], "S": qs[4:]}, {"CO": co2, "O": o2})
    n.ff("sum_q", o2[3], clk)
    r = tm.analyse(n.json())
    w = r.worst
    assert w.end == "sum_q.D" and w.start == "s_q[0]"
    assert w.carry_cells == 2 and w.carry_bits == 8 and w.lut_levels == 0
    # S[0] enters at bit 0 of c0 (carry_in + 3 bits), then 4 bits of c1 over CI without a net
    want = D["ff_co"] + D["net"] + D["carry_in"] + 3 * D["carry_bit"] + 4 * D["carry_bit"] + D["net"] + D["ff_su"]
    assert w.delay_ns == pytest.approx(want, abs=1e-6)
    # the same chain from an input port: the port budget crosses CI without a net too
    n.ports["s_i"] = {"direction": "input", "bits": [qs[0]]}
    del n.cells["s_q[0]_reg"]
    want_in = D["ff_co"] + D["net"] + D["carry_in"] + 7 * D["carry_bit"] + D["net"] + D["ff_su"]
    assert tm.port_profile(n.json())["in"]["s_i"] == pytest.approx(want_in, abs=1e-3)


def dsp_net(**regs) -> Net:
    """FF a_q -> DSP48E2 A, FF b_q -> B, P[0] -> FF p_q."""
    n = Net()
    clk = n.port("clk_i", "input")[0]
    a = n.ff("a_q", n.bit(), clk)
    b = n.ff("b_q", n.bit(), clk)
    p = n.bit()
    params = {"AREG": 0, "BREG": 0, "CREG": 0, "DREG": 0, "ADREG": 0, "MREG": 0, "PREG": 0, "OPMODEREG": 0,
              "ALUMODEREG": 0, "INMODEREG": 0, "CARRYINREG": 0, "CARRYINSELREG": 0, "USE_MULT": "MULTIPLY",
              "AMULTSEL": "A", "BMULTSEL": "B"}
    params.update(regs)
    n.cell("mul_reg", "DSP48E2", {"CLK": clk, "A": a, "B": b, "CEP": "1"}, {"P": p}, **params)
    n.ff("p_q", p, clk)
    return n


def test_dsp_registers_cut_the_path():
    comb = tm.analyse(dsp_net().json())
    w = comb.worst
    assert w.dsp == 1 and w.start in ("a_q", "b_q") and w.end == "p_q.D"
    half = D["dsp_reg"] / 2
    want = (D["ff_co"] + D["net"] + D["dsp_pin_in"] - half + D["dsp_mult"] + D["dsp_alu"] + D["dsp_pin_out"]
            + D["net"] + D["ff_su"])
    assert w.delay_ns == pytest.approx(want, abs=1e-6)
    # fully pipelined (A/B, M, P registers): every stage is short, the worst is a fabric->DSP or DSP->fabric hop
    full = tm.analyse(dsp_net(AREG=1, BREG=1, MREG=1, PREG=1).json())
    assert full.worst.delay_ns < w.delay_ns and full.meets
    stage = D["dsp_reg"] + D["dsp_mult"]  # A/B register -> M register: 1/775 MHz
    assert stage == pytest.approx(1 / 0.775, abs=0.01)
    ends = {p.end for p in full.top}
    assert any("MREG" in e for e in ends) and any(e == "p_q.D" for e in ends)
    # without MREG: A/B register -> P register through multiplier and ALU (1/544 MHz)
    nom = tm.analyse(dsp_net(AREG=1, BREG=1, PREG=1).json())
    inner = [p for p in nom.top if "PREG" in p.end]
    assert inner and inner[0].delay_ns == pytest.approx(D["dsp_reg"] + D["dsp_mult"] + D["dsp_alu"], abs=1e-6)
    assert inner[0].delay_ns == pytest.approx(1 / 0.544, abs=0.01)


def test_feedthrough_ports_and_port_paths():
    """in_valid_i -> LUT -> out_ready_o is a feed-through; a registered output is not."""
    n = Net()
    clk = n.port("clk_i", "input")[0]
    v = n.port("k_valid_i", "input")[0]
    rdy = n.port("q_ready_o", "output")[0]
    o = n.lut("rdy", v)
    n.cells["rdy"]["connections"]["O"] = [rdy]
    dout = n.port("data_o", "output")[0]
    q = n.ff("d_q", v, clk)
    n.cells["d_q_reg"]["connections"]["Q"] = [dout]
    r = tm.analyse(n.json())
    assert r.feedthrough == [{"from": "k_valid_i", "to": "q_ready_o",
                              "delay_ns": round(D["ff_co"] + D["net"] + D["lut"] + D["net"] + D["ff_su"], 3),
                              "valid_to_ready": True}]
    kinds = {p.kind for p in r.top}
    assert "in2reg" in kinds and "reg2out" in kinds
    assert o not in (q,)


def test_lutram_read_is_combinational():
    """FF addr -> RAM64X1D DPRA -> DPO -> FF: a fall-through read adds a LUTRAM level."""
    n = Net()
    clk = n.port("clk_i", "input")[0]
    addr = n.ff("addr_q", n.bit(), clk)
    dpo, spo = n.bit(), n.bit()
    n.cell("mem_reg", "RAM64X1D", {"WCLK": clk, "D": n.bit(), "WE": n.bit(), "A0": n.bit(), "DPRA0": addr},
           {"DPO": dpo, "SPO": spo})
    x = n.lut("l", dpo)
    n.ff("out_q", x, clk)
    r = tm.analyse(n.json())
    p = next(p for p in r.top if p.end == "out_q.D")
    # the write clock -> DO start (lutram_co) is slower than the read-address path here
    assert "LUTRAM" in p.start and p.lutram == 0 and p.lut_levels == 1
    assert p.delay_ns == pytest.approx(D["lutram_co"] + D["net"] + D["lut"] + D["net"] + D["ff_su"], abs=1e-6)
    fast = {**D, "lutram_co": 0.0}
    p = next(p for p in tm.analyse(n.json(), fast).top if p.end == "out_q.D")
    assert p.start == "addr_q" and p.lutram == 1
    assert p.delay_ns == pytest.approx(D["ff_co"] + D["net"] + D["lutram_read"] + D["net"] + D["lut"] + D["net"]
                                       + D["ff_su"], abs=1e-6)


def test_slim_netlist_roundtrip(tmp_path):
    n, _ = chain(2)
    full = n.json()
    full["modules"]["LUT1"] = {"attributes": {"blackbox": 1}, "ports": {}, "cells": {}, "netnames": {}}
    full["modules"]["top"]["netnames"] = {"a": {"bits": [3], "hide_name": 0, "attributes": {"src": "x.sv:1"}},
                                          "$auto": {"bits": [4], "hide_name": 1}}
    slim = tm.slim_netlist(full)
    assert list(slim["modules"]) == ["top"] and list(slim["modules"]["top"]["netnames"]) == ["a"]
    f = tmp_path / "n.json.gz"
    with gzip.open(f, "wt") as fh:
        json.dump(slim, fh)
    assert tm.analyse(tm.load_netlist(f)).worst.delay_ns == tm.analyse(full).worst.delay_ns
    back = tm.TimingReport.from_json(json.loads(json.dumps(tm.analyse(full).to_json())))
    assert back.worst.start == "a_q"


def test_port_profile_and_box_boundary():
    """A kernel's port budgets (in: port -> 2 LUTs -> FF; out: FF -> 1 LUT -> port) and, with the
    kernel boxed in a glue netlist, the glue path into its input and out of its output timed as the
    flat design would be: the glue's part + the kernel's, one net between them."""
    k = Net()
    clk = k.port("clk_i", "input")[0]
    a = k.port("a_i", "input")[0]
    y = k.port("y_o", "output")[0]
    q = k.ff("r_q", k.lut("l2", k.lut("l1", a)), clk)
    o = k.lut("l3", q)
    k.cells["l3"]["connections"]["O"] = [y]
    assert o != y
    prof = tm.port_profile(k.json())
    lut = D["net"] + D["lut"]
    assert prof["in"] == {"a_i": round(D["ff_co"] + 2 * lut + D["net"] + D["ff_su"], 3)}
    assert prof["out"] == {"y_o": round(D["ff_co"] + lut + D["net"] + D["ff_su"], 3)}
    assert "clk_i" not in prof["in"]

    # glue: g_q -> LUT -> u_k/a_i (box input) ; u_k/y_o (box output) -> LUT -> h_q
    g = Net()
    gclk = g.port("clk", "input")[0]
    pin_a = g.port("u_k/a_i", "output")[0]
    pin_y = g.port("u_k/y_o", "input")[0]
    gq = g.ff("g_q", g.bit(), gclk)
    g.cells["g_q_reg"]["connections"]["D"] = [gq]
    g.lut("gl", gq)
    g.cells["gl"]["connections"]["O"] = [pin_a]
    g.ff("h_q", g.lut("hl", pin_y), gclk)
    flat = tm.analyse(g.json())                         # box pins as registers on the far side
    assert flat.worst.kind == "reg2out"
    b, th = tm.box_boundary("u_k", prof, [])
    rep = tm.analyse(g.json(), boundary=b, through=th)
    into = next(p for p in rep.top if p.end == "u_k/a_i")
    assert into.kind == "reg2reg" and into.start == "g_q"
    assert into.delay_ns == pytest.approx(D["ff_co"] + lut + 2 * lut + D["net"] + D["ff_su"], abs=1e-6)
    out = next(p for p in rep.top if p.end == "h_q.D")
    assert out.kind == "reg2reg" and out.start == "u_k/y_o"
    assert out.delay_ns == pytest.approx(D["ff_co"] + lut + lut + D["net"] + D["ff_su"], abs=1e-6)

    # a kernel feed-through (a_i -> y_o combinational) joins the two glue paths
    th2 = tm.box_boundary("u_k", prof, [{"from": "a_i", "to": "y_o", "delay_ns": 1.0}])[1]
    rep2 = tm.analyse(g.json(), boundary=b, through=th2)
    via = next(p for p in rep2.top if p.end == "h_q.D")
    assert via.start == "g_q" and any(c.startswith("BOX ") for c in via.cells)
    assert via.delay_ns == pytest.approx(D["ff_co"] + lut + (1.0 - D["ff_co"] - D["ff_su"] - D["net"]) + lut + D["net"]
                                         + D["ff_su"], abs=1e-6)
