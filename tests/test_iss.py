"""The instruction-set model (edgemoe.driver.iss): whole frames bit-exact to FixedBackbone, cycles of the perf model."""
from __future__ import annotations

import numpy as np
import pytest

from edgemoe import perf_model as pm
from edgemoe.driver import regmap as rm
from edgemoe.driver.iss import IssBackbone
from edgemoe.golden.fixed_model import FixedBackbone, FixedWeights, image_codes
from edgemoe.golden.sample import procedural_frame
from edgemoe.golden.weights import Weights, fill_synthetic
from edgemoe.sim.runner import record_vectors


@pytest.fixture(scope="module")
def iss_cache():
    """One IssBackbone per weight set (image and lists placed once, as the driver does), freed with the module."""
    return {}


def _frame_check(record_property, cache, fw, pix, task, kernel):
    tr: dict = {}
    ref = FixedBackbone(fw).forward(pix, task, trace=tr)
    if kernel not in cache:
        cache[kernel] = IssBackbone(fw)
    ib = cache[kernel]
    out = ib.forward(pix, task)
    assert out.shape == ref.shape
    mism = int(np.count_nonzero(out != ref))
    assert mism == 0, f"{mism} of {ref.size} output codes differ"
    # CYCLES and the counters are the perf model's for this frame's queues
    counts = [list(tr[f"l{L}_queues"].counts) for L in range(1, 12, 2)]
    rep = pm.model(counts=counts)
    m = ib.iss
    assert m.read32(rm.CYCLES_LO) | m.read32(rm.CYCLES_HI) << 32 == round(rep.cycles)
    assert m.read32(rm.LIN_BUSY) == round(rep.by_unit()["linear"])
    assert m.read32(rm.ATTN_BUSY) == round(rep.by_unit()["attention"])
    assert m.read32(rm.DDR_WR) == 129 * 192 * 4 // 64
    assert m.read32(rm.MARK) == 11 and m.read32(rm.STATUS) == rm.STATUS_DONE
    qc = [m.read32(rm.QCOUNT0 + 4 * i) for i in range(4)]
    assert [(qc[e // 4] >> 8 * (e % 4)) & 0xFF for e in range(16)] == counts[-1]
    # layer by layer: stop_after_block gives the golden trace's block output
    assert np.array_equal(ib.forward(pix, task, stop_after_block=0), tr["l0_out"])
    record_vectors(record_property, kernel, 2 * ref.size, cycles=round(rep.cycles))


@pytest.fixture(scope="module")
def shared_fw(shared_folder, weights):
    return FixedWeights.from_float(weights)


@pytest.mark.parametrize("task", [0, 1])
def test_whole_frame_shared_weights(record_property, iss_cache, shared_fw, sample, task):
    _frame_check(record_property, iss_cache, shared_fw, image_codes(sample), task, "iss_frame_shared")


@pytest.fixture(scope="module")
def synth_fw():
    return FixedWeights.from_float(fill_synthetic(Weights(tensors={}), seed=21, heads=False))


@pytest.mark.parametrize("task", [0, 1])
def test_whole_frame_synthetic_weights_procedural_frame(record_property, iss_cache, synth_fw, task):
    _frame_check(record_property, iss_cache, synth_fw, image_codes(procedural_frame()), task, "iss_frame_synthetic")
