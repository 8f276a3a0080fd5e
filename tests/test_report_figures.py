"""Report figures: MAC count from the dimensions, derived figures, ratios and their labels."""
from __future__ import annotations

from dataclasses import replace

import pytest

from edgemoe.golden.params import model_dims
from edgemoe.report.figures import Entry, PowerFigure, ratios
from edgemoe.report.macs import gops, mac_breakdown, macs_per_frame
from edgemoe.report.stats import LatencyStats


def test_mac_count_of_the_cityscapes_backbone():
    b = mac_breakdown()
    assert b["patch_embed"] == 128 * 192 * 768
    assert b["qkv"] == 12 * 129 * 192 * 576
    assert b["attn_qk"] == b["attn_av"] == 12 * 3 * 129 * 129 * 64
    assert b["attn_proj"] == 12 * 129 * 192 * 192
    assert b["dense_mlp"] == 6 * 129 * 2 * 192 * 768
    assert b["moe_gate"] == 6 * 129 * 192 * 16
    assert b["moe_experts"] == 6 * 2 * 129 * 2 * 192 * 384
    assert macs_per_frame() == sum(b.values()) == 782_719_488
    assert 0.77e9 < macs_per_frame() < 0.79e9  # "about 0.78 GMAC" (BRIEF.md)


def test_mac_count_follows_the_dimensions():
    d = replace(model_dims(), depth=2, embed_dim=8, num_heads=2, head_dim=4, mlp_hidden=16, num_experts=4,
                expert_hidden=6, top_k=1, img_h=32, img_w=32, patch=16, img_c=1)
    # 4 patches, 5 tokens; block 0 dense, block 1 MoE
    expect = 4 * 8 * 256 + 2 * (5 * 8 * 24 + 2 * 2 * 5 * 5 * 4 + 5 * 8 * 8) + 5 * 2 * 8 * 16 + 5 * 8 * 4 + 5 * 2 * 8 * 6
    assert macs_per_frame(d) == expect
    assert gops(0.5, d) == pytest.approx(2 * expect / 0.5 / 1e9)


def _entry(id_, platform, lat, watts, kind="measured", group="measured", lat_kind="measured", batch=1):
    power = PowerFigure(watts, kind, f"{kind}: test") if watts is not None else PowerFigure(None, "none", "none")
    return Entry(id=id_, group=group, platform=platform, name=id_, batch=batch,
                 latency=LatencyStats.from_samples(lat), latency_kind=lat_kind, latency_source="test", power=power)


def test_derived_figures_from_known_inputs():
    e = _entry("fpga-1", "fpga", [0.02, 0.02, 0.02, 0.02], 5.0, group="fpga")
    assert e.latency.mean_s == pytest.approx(0.02)
    assert e.throughput_fps == pytest.approx(50.0)
    assert e.energy_per_frame_j == pytest.approx(0.1)          # 5 W x 20 ms
    assert e.frames_per_joule == pytest.approx(10.0)
    assert e.gops == pytest.approx(2 * 782_719_488 / 0.02 / 1e9)
    assert e.gops_per_w == pytest.approx(e.gops / 5.0)
    assert e.energy_source == "measured latency x measured power"
    # energy uses the mean latency (energy over all timed runs / frames), the headline the median
    f = _entry("cpu-b1", "cpu", [0.1, 0.1, 0.4], 10.0)
    assert f.latency.median_s == pytest.approx(0.1) and f.energy_per_frame_j == pytest.approx(10.0 * 0.2)


def test_no_power_no_energy():
    e = _entry("cpu-b1", "cpu", [0.1], None)
    assert e.energy_per_frame_j is None and e.frames_per_joule is None and e.gops_per_w is None
    assert "no power figure" in e.energy_source
    assert e.to_json()["energy_per_frame_j"] is None
    z = _entry("cpu-b1", "cpu", [0.1], 0.0)
    assert z.energy_per_frame_j is None and "not > 0" in z.energy_source


def test_latency_stats():
    s = LatencyStats.from_samples([0.3, 0.1, 0.2])
    assert (s.n, s.median_s, s.mean_s, s.min_s, s.max_s) == (3, 0.2, pytest.approx(0.2), 0.1, 0.3)
    assert s.std_s == pytest.approx(0.1)  # sample std, ddof 1
    assert LatencyStats.from_samples([0.5]).std_s == 0.0
    with pytest.raises(ValueError, match="finite and > 0"):
        LatencyStats.from_samples([0.1, 0.0])


def test_ratios_values_and_mixed_labels():
    cpu = _entry("cpu-b1", "cpu", [0.10], 50.0)                   # 5 J per frame
    cpu_decl = _entry("cpu-b8", "cpu", [0.05], 65.0, kind="declared", batch=8)
    gpu = _entry("gpu-b1", "gpu", [0.01], 100.0)                  # 1 J per frame
    fpga = _entry("fpga-1", "fpga", [0.02], 5.0, group="fpga")     # 0.1 J per frame
    ex = _entry("example-1", "fpga", [0.02], 2.0, kind="example", group="example", lat_kind="example")
    rs = {(r.subject, r.baseline, r.metric): r for r in ratios([cpu, cpu_decl, gpu, fpga, ex])}
    ee = "energy efficiency (frames per joule)"
    r = rs[("fpga-1", "cpu-b1", ee)]
    assert r.value == pytest.approx(50.0) and not r.mixed and r.group == "measured"
    assert r.basis == "measured latency, measured power vs measured latency, measured power"
    assert rs[("fpga-1", "gpu-b1", ee)].value == pytest.approx(10.0)
    assert rs[("fpga-1", "cpu-b1", "speed-up (median latency)")].value == pytest.approx(5.0)
    assert rs[("fpga-1", "gpu-b1", "throughput (frames/s)")].value == pytest.approx(0.5)
    assert rs[("gpu-b1", "cpu-b1", ee)].value == pytest.approx(5.0)
    m = rs[("fpga-1", "cpu-b8", ee)]
    assert m.mixed and m.basis.startswith("MIXED: ") and "declared power" in m.basis
    assert m.value == pytest.approx((1 / 0.1) / (1 / 3.25))
    # latency-only ratios do not depend on power kinds
    assert not rs[("fpga-1", "cpu-b8", "speed-up (median latency)")].mixed
    e = rs[("example-1", "cpu-b1", ee)]
    assert e.group == "example" and e.mixed and "example" in e.basis
    # no FPGA-vs-FPGA, no CPU as subject, no GPU-vs-GPU
    assert not any(s == "cpu-b1" for s, _, _ in rs)
    assert not any(b in ("fpga-1", "example-1") for _, b, _ in rs)
