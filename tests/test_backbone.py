"""The whole fixed-point backbone: P-independence, accuracy against float, and input checks."""
import numpy as np
import pytest
import torch

from edgemoe.golden.fixed_model import FixedBackbone, image_codes
from edgemoe.golden.fixedpoint import fmt
from edgemoe.golden.float_model import FloatBackbone


@pytest.fixture(scope="module")
def fixed(weights):
    return FixedBackbone(weights)


def test_identical_bits_for_every_attention_parallelism(fixed, sample):
    """The default schedule (params.toml attn_p) and the extremes P = 1 and 8 give the same bits; every P
    of the attention kernel alone is in tests/test_attention.py."""
    pix = image_codes(sample)
    ref = fixed.forward(pix, 0)
    for P in (1, 8):
        assert np.array_equal(fixed.forward(pix, 0, P=P), ref), f"P={P} differs from the default schedule"


@pytest.mark.parametrize("task", [0, 1])
def test_accuracy_targets_on_sample_frame(shared_folder, weights, fixed, sample, task):
    y = fmt("act").to_float(fixed.forward(image_codes(sample), task))
    ref = FloatBackbone(weights, dtype=torch.float64).forward(sample, task)
    rel = np.linalg.norm(y - ref) / np.linalg.norm(ref)
    cos = float((y * ref).sum() / np.linalg.norm(y) / np.linalg.norm(ref))
    print(f"task {task}: rel L2 {100 * rel:.4f}% (target <= 0.25%), cosine {cos:.8f} (target >= 0.99999)")
    assert rel <= 2.5e-3 and cos >= 0.99999


def test_no_weight_saturates_on_shared_weights(shared_folder, fixed):
    assert fixed.fw.saturated == {}


def test_rejects_bad_inputs(fixed, sample):
    pix = image_codes(sample)
    with pytest.raises(ValueError, match="unknown task"):
        fixed.forward(pix, 2)
    with pytest.raises(ValueError, match="expected shape"):
        fixed.forward(pix[:, :64], 0)
    with pytest.raises(ValueError, match="outside format pix"):
        fixed.forward(pix + 300, 0)


def test_trace_shapes_and_queues(fixed, sample):
    tr: dict = {}
    fixed.forward(image_codes(sample), 1, trace=tr)
    assert tr["l0_out"].shape == (129, 192)
    q = tr["l1_queues"]
    assert int(q.counts.sum()) == 2 * 129 and list(q.metaqueue) == sorted(q.metaqueue)
