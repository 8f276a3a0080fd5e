"""edgemoe.perf_model: kernel formulas against the RTL headers, MACs, P scaling, the ZCU102 target, the doc."""
from __future__ import annotations

import math
from dataclasses import replace

import pytest

from edgemoe import perf_model as pm
from edgemoe.golden.params import model_dims
from edgemoe.golden.weights import default_folder

HAVE_SAMPLE = default_folder() is not None and (default_folder() / "image.float32.bin").is_file()


def test_macs_per_frame():
    m = pm.macs_per_frame()
    total = sum(m.values())
    # written out independently: patch embed + 12 x (qkv + QK + AV + proj) + 6 dense MLPs + 6 gates + 6 x top-2 experts
    T = 129
    ref = (128 * 768 * 192 + 12 * (T * 192 * 576 + 2 * 3 * T * T * 64 + T * 192 * 192)
           + 6 * 2 * T * 192 * 768 + 6 * T * 192 * 16 + 6 * 2 * T * 2 * 192 * 384)
    assert total == ref
    assert 0.77e9 < total < 0.79e9  # "about 0.78 GMAC per frame and task"
    rep = pm.model(queues="uniform")
    assert rep.macs == total  # the simulated commands do exactly the model's work


def test_linear_pass_matches_header_closed_forms():
    """One unit, unlimited DDR: linear_unit.sv's compute-bound and load-bound formulas."""
    c = pm.Config(lin_units=1, ddr_gbps=1e9)
    lat = pm.linear_latency(c)
    assert lat == 27  # 23 + log2(16)
    for K, N, T in ((192, 192, 129), (768, 192, 129), (192, 768, 129), (384, 192, 20)):
        kt, S = K // 16, N // 16
        _, end, busy, nbytes = pm._Cluster(c).run(K, N, T, 0.0)
        assert end == S * T * kt + 16 * kt + lat + 1
        assert busy == S * T * kt
        assert nbytes == N * K * 2 + S * pm.SLAB_HEADER_BYTES
    for K, N, T in ((192, 384, 5), (384, 192, 1)):
        kt = K // 16
        _, end, _, _ = pm._Cluster(c).run(K, N, T, 0.0)
        assert end == N * kt + T * kt + lat + 1


def test_kernel_formulas_match_headers():
    c = pm.Config.zcu102()
    # layernorm.sv, measured by its testbench: (Lanes, Steps) -> (latency, period)
    for lanes, steps, lat, period in ((1, 1, 466, 192), (16, 3, 110, 12), (8, 1, 133, 34)):
        ln = replace(c, ln_lanes=lanes, ln_steps=steps)
        assert pm.ln_cycles(ln, 1) == lat and pm.ln_cycles(ln, 3) - pm.ln_cycles(ln, 2) == period
    # attention.sv: P + 2 T ceil(T/P) + AttnTail + LastRows, AttnTail = 63
    assert pm.attention_head_cycles(replace(c, attn_p=8), 129) == 8 + 2 * 129 * 17 + 63 + 1
    assert pm.attention_head_cycles(replace(c, attn_p=5), 129) == 5 + 2 * 129 * 26 + 63 + 4
    assert pm.attention_head_cycles(replace(c, attn_p=1), 129) == 1 + 2 * 129 * 129 + 63 + 1
    # moe_gate.sv: one token per max(192/Lanes, 16, ceil(25/RecipUnits))
    assert pm.gate_cycles(replace(c, gate_lanes=4), 129) - pm.gate_cycles(replace(c, gate_lanes=4), 128) == 48
    assert pm.gate_cycles(replace(c, gate_lanes=8), 129) - pm.gate_cycles(replace(c, gate_lanes=8), 128) == 24
    assert pm.gate_cycles(replace(c, gate_lanes=16), 129) - pm.gate_cycles(replace(c, gate_lanes=16), 128) == 16


def test_attention_falls_with_p_kv_rate_constant():
    """Technique 1: latency falls with P while K/V bytes per cycle stay (nearly exactly) constant."""
    base = pm.Config.zcu102(overlap_heads=False)
    ps = [1, 2, 4, 8, 16, 32]
    heads = [pm.attention_head_cycles(replace(base, attn_p=p), 129) for p in ps]
    assert all(a > b for a, b in zip(heads, heads[1:]))
    rates = [pm.kv_bytes_per_cycle(replace(base, attn_p=p)) for p in ps]
    row = pm.kv_bytes_per_step(base)  # one 64-element act row
    assert row == 64 * 26 / 8
    # one row per cycle in the K/V phase for every P; the whole-head average is lower only by the
    # P-row prologue and the 63-cycle tail (7% at P = 32, 2% at P = 8)
    assert all(0.93 * row < r <= row for r in rates), rates
    assert max(rates) / min(rates) < 1.08
    frame = [pm.model(replace(base, attn_p=p), "uniform").cycles for p in ps]
    assert all(a > b for a, b in zip(frame, frame[1:]))


def test_zcu102_meets_target_uniform():
    rep = pm.model(pm.Config.zcu102(), "uniform")
    assert rep.latency_ms <= 4.0, pm.table_layers(rep)
    # it cannot beat the DDR: every weight byte must come in at the sustained rate
    assert rep.latency_ms > rep.ddr_floor_ms
    d = model_dims()
    wb = pm.weight_bytes_per_frame(d)
    assert sum(wb.values()) < rep.weight_bytes < sum(wb.values()) * 1.01  # + slab headers
    assert 28.0e6 < wb["experts"] < 28.5e6  # "about 28 MB of experts per frame"


@pytest.mark.skipif(not HAVE_SAMPLE, reason="shared sample frame and weights absent")
def test_zcu102_meets_target_sample_both_tasks():
    for task in (0, 1):
        rep = pm.model(pm.Config.zcu102(), "sample", task)
        assert rep.queue_source.startswith("sample")
        assert all(sum(r) == 129 * 2 for r in rep.counts)
        assert rep.latency_ms <= 4.0


def test_overlaps_help():
    base = pm.Config.zcu102()
    t = pm.model(base, "uniform").cycles
    assert pm.model(replace(base, overlap_weights=False), "uniform").cycles > t
    assert pm.model(replace(base, overlap_heads=False), "uniform").cycles > t
    # LayerNorm at one lane misses the target: why ln_lanes is 16
    assert pm.model(replace(base, ln_lanes=1, ln_steps=1), "uniform").latency_ms > 4.0


def test_expert_phase_is_ddr_bound():
    """With uniform queues (16 tokens per expert) an MoE layer's expert phase streams at the DDR rate."""
    c = pm.Config.zcu102()
    rep = pm.model(c, "uniform")
    for L in range(1, 12, 2):
        ex = [o for o in rep.ops if o.layer == L and o.name.startswith("e")]
        gate = next(o for o in rep.ops if o.layer == L and o.name == "gate")
        span = max(o.end for o in ex) - gate.end  # the loader may start only when the metaqueue is known
        stream = sum(o.weight_bytes for o in ex) / c.ddr_bytes_per_cycle
        assert stream <= span < 1.1 * stream


def test_queue_counts_uniform_and_validation():
    cnt = pm.uniform_queue_counts()
    assert len(cnt) == 6 and all(len(r) == 16 and sum(r) == 258 for r in cnt)
    assert pm.queue_counts("uniform")[0] == cnt
    with pytest.raises(ValueError):
        pm.queue_counts("zipf")
    with pytest.raises(ValueError):
        pm.simulate(pm.Config.zcu102(), [[16] * 16])
    with pytest.raises(ValueError):
        pm.Config(lin_tile_in=12)


def test_buffers():
    bufs = {b.name.split()[0]: b for b in pm.buffers(pm.Config.zcu102())}
    assert bufs["X"].bits == 129 * 192 * 28
    assert bufs["H"].bits == 129 * 768 * 26
    # capacity bound: never fewer BRAM36 than the bits need
    for b in bufs.values():
        assert b.bram36 * 36 * 1024 >= b.bits
    assert sum(b.bram36 for b in bufs.values()) < 300


def test_resources_fit_device():
    """Synthesised kernels x instances + buffers + allowance fit the xczu9eg (kernels without an estimate count 0)."""
    res = pm.resources(pm.Config.zcu102())
    for q, cap in pm.DEVICE.items():
        assert res["total"][q] <= cap, (q, res["total"][q], cap)


def test_doc_matches_model():
    """docs/architecture.md's generated sections are the model's (refresh: python -m edgemoe.perf_model --write-doc)."""
    text = pm.DOC.read_text()
    found = pm.doc_sections(text)
    assert set(pm.SECTIONS) <= set(found), f"missing perf markers: {set(pm.SECTIONS) - set(found)}"
    if "sample frame" in found["headline"] and not HAVE_SAMPLE:
        pytest.skip("the doc was generated from the sample frame, which is absent here")
    rep = pm.model()
    want = pm.sections(rep)
    assert found["headline"] == want["headline"]
    stale = [n for n in pm.SECTIONS if found[n] != want[n].strip("\n")]
    assert not stale, f"stale generated sections {stale}: run python -m edgemoe.perf_model --write-doc"
    assert rep.latency_ms <= 4.0
    ms = float(found["headline"].split("**")[1].split()[0])
    assert math.isclose(ms, round(rep.latency_ms, 2))
