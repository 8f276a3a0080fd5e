"""Fixtures shared by the golden-model tests."""
from __future__ import annotations

import pytest

from edgemoe.golden.weights import default_folder


@pytest.fixture(scope="session")
def shared_folder():
    """The shared reference weights folder; skips the test when it is absent."""
    f = default_folder()
    if f is None or not (f / "image.float32.bin").is_file():
        pytest.skip("shared reference data ../shared/edge-moe-ref/weights not found: test needs the real weights")
    return f


@pytest.fixture(scope="session")
def weights():
    """Backbone weights: the shared reference (plus synthetic experts) or fully synthetic when absent."""
    from edgemoe.golden.weights import load_weights

    return load_weights(heads=False)


@pytest.fixture(scope="session")
def sample():
    from edgemoe.golden.sample import sample_frame

    return sample_frame()[0]
