"""CPU/GPU baseline pieces: the batched float model, timing, GPU presence, NVML with a fake module."""
from __future__ import annotations

import sys

import numpy as np
import pytest
import torch

from edgemoe.report import baseline
from edgemoe.golden.float_model import FloatBackbone
from edgemoe.report.baseline import make_runner, measure, time_runs
from edgemoe.report.fakes import FakeEnergySource
from edgemoe.report.nvml import NvmlSource


@pytest.fixture(scope="module")
def weights():
    from edgemoe.golden.weights import load_weights

    return load_weights(heads=False)


def test_batched_forward_matches_per_image(weights):
    ref = FloatBackbone(weights)
    model = ref
    rng = np.random.default_rng(3)
    imgs = (np.floor(rng.uniform(0, 1, (2, 3, 128, 256)) * 256) / 256).astype(np.float32)
    for task in (0, 1):
        out = model.forward_tensor(torch.from_numpy(imgs), task).numpy()
        assert out.shape == (2, 129, 192)
        for i in range(2):
            want = ref.forward(imgs[i], task)
            np.testing.assert_allclose(out[i], want, rtol=0, atol=2e-4 * np.abs(want).max())
    with pytest.raises(ValueError, match="unknown task 2"):
        model.forward_tensor(torch.from_numpy(imgs), 2)


def test_runner_runs_a_batch(weights):
    model = FloatBackbone(weights)
    img = np.zeros((3, 128, 256), np.float32)
    out = make_runner(model, img, 3, 0)()
    assert tuple(out.shape) == (3, 129, 192)


def test_time_runs_counts_warmup_and_syncs():
    calls, syncs = [], []
    t = time_runs(lambda: calls.append(1), runs=4, warmup=2, sync=lambda: syncs.append(1))
    assert len(calls) == 6 and len(syncs) == 5 and t.shape == (4,) and (t >= 0).all()
    with pytest.raises(ValueError, match="runs >= 1"):
        time_runs(lambda: None, runs=0, warmup=0)


def test_measure_divides_by_batch_and_records_power():
    import time

    src = FakeEnergySource(idle_w=0.0)

    def run():
        time.sleep(0.02)
        src.bump(0.5)

    res = measure("cpu", run, batch=4, runs=3, warmup=1, sources=[src], interval=0.005)
    assert res.latency.n == 3 and res.run_s.shape == (3,)
    assert res.latency.median_s == pytest.approx(float(np.median(res.run_s)) / 4)
    assert res.trace is not None
    assert res.trace.summary.domain_energy_j("cpu") == pytest.approx(1.5)  # warm-up run not recorded


def test_gpu_absent_is_reported_not_present(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    present, desc = baseline.gpu_present()
    assert not present and desc.startswith("not present")


def test_build_without_gpu_records_not_present(monkeypatch):
    from edgemoe.report.build import Settings, build_report

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)

    def factory(platform, batch):
        assert platform == "cpu"
        return (lambda: None), None, "fake cpu", "fake"

    rep = build_report(Settings(runs=2, warmup=0, idle_s=0.0, power_basis="total", model="off"), factory=factory,
                       candidates={"cpu": []})
    assert [e.platform for e in rep.entries] == ["cpu"]
    gpu = [s for s in rep.sources if s.platform == "gpu"]
    assert gpu and not gpu[0].ok and gpu[0].reason.startswith("not present")
    assert any(n.startswith("GPU baseline: not present") for n in rep.notes)


class FakeNvml:
    def __init__(self, mw=123_456):
        self.mw = mw

    def nvmlInit(self):
        pass

    def nvmlDeviceGetHandleByIndex(self, i):
        return ("h", i)

    def nvmlDeviceGetName(self, h):
        return b"Fake GPU"

    def nvmlDeviceGetPowerUsage(self, h):
        return self.mw


def test_nvml_source_with_fake_module():
    src = NvmlSource(0, nvml=FakeNvml())
    av = src.probe()
    assert av.ok and "gpu0 Fake GPU" in av.reason
    assert src.channels()[0].domain == "gpu" and src.channels()[0].name == "gpu0 Fake GPU"
    assert src.read().values[0] == pytest.approx(123.456)


def test_nvml_without_pynvml_is_unavailable(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", None)  # import pynvml raises ImportError
    av = NvmlSource(0).probe()
    assert not av.ok and "pynvml not installed" in av.reason


def test_nvml_error_is_unavailable():
    class Broken(FakeNvml):
        def nvmlInit(self):
            raise RuntimeError("NVML Shared Library Not Found")

    av = NvmlSource(1, nvml=Broken()).probe()
    assert not av.ok and "GPU 1" in av.reason and "Library Not Found" in av.reason
