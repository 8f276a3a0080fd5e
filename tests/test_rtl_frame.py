"""Whole frames through the RTL top (issue 10): the backbone command list of each task (depth by default,
seg with --full; seg's frame runs by default through notebook 01 on rtl) on
``hw/rtl/edgemoe_top.sv`` (the Verilator model behind the driver's ``rtl`` backend), every
act code of block 11 compared with ``FixedBackbone``, and the figures of the run printed:
the CYCLES register against ``edgemoe.perf_model``'s prediction for the same frame (the
ISS's CYCLES, which is the model fed with this frame's queue counts), the busy counters,
the DDR bytes and the simulation speed.

The weights are the shared reference (its trained experts are synthetic: the checkpoint
has none) or fully synthetic where ``../shared`` is absent (``conftest.weights``).
Skipped, with the probed reason, where the model cannot be built or the top lacks an
opcode of the list.
"""
from __future__ import annotations

import time

import numpy as np
import pytest

from edgemoe.driver import Accelerator
from edgemoe.driver.backends import rtl_frame_support
from edgemoe.golden.fixed_model import FixedBackbone, FixedWeights, image_codes
from edgemoe.sim.runner import record_vectors

pytestmark = pytest.mark.rtl


@pytest.fixture(scope="module")
def fw(weights):
    return FixedWeights.from_float(weights)


@pytest.fixture(scope="module")
def rtl(fw):
    ok, why = rtl_frame_support()
    if not ok:
        pytest.skip(why)
    acc = Accelerator.open("rtl")
    acc.load_weights(fw)
    yield acc
    acc.close()


@pytest.fixture(scope="module")
def model(fw):
    acc = Accelerator.open("iss")
    acc.load_weights(fw)
    yield acc
    acc.close()


@pytest.mark.timeout(1800)
@pytest.mark.parametrize("task", ["seg", "depth"])
def test_frame_through_the_rtl_top_is_bit_exact(rtl, model, fw, sample, task, record_property, request):
    if task == "seg" and not request.config.getoption("--full"):
        # a simulated frame takes a minute or more: the default suite runs seg's frame through the
        # notebook (tests/test_notebooks.py::test_deploy_one_frame_rtl, bit-exact check included)
        pytest.skip("seg's frame runs through notebook 01 on rtl; both here with --full")
    ti = ["seg", "depth"].index(task)
    ref = FixedBackbone(fw).forward(image_codes(sample), ti)
    t0 = time.perf_counter()
    res = rtl.run(sample, task)
    wall = time.perf_counter() - t0
    mism = int(np.count_nonzero(res.codes != ref))
    pred = model.run(sample, task)
    c = res.counters
    print(f"\n{task}: CYCLES {res.cycles:,} (perf model {pred.cycles:,}, measured/model {res.cycles / pred.cycles:.3f}; "
          f"{res.cycles / 300e6 * 1e3:.2f} ms at 300 MHz); counters {c}; queue counts {list(res.queue_counts)} "
          f"(model {list(pred.queue_counts)}); simulated in {wall:.1f} s = {res.cycles / wall:,.0f} cycles/s")
    assert mism == 0, f"{mism} of {ref.size} act codes of block 11 differ from FixedBackbone"
    assert list(res.queue_counts) == list(pred.queue_counts)  # the last MOE_GATE's QCOUNT registers
    assert res.cycles > 0
    record_vectors(record_property, "rtl_top_frame", ref.size, task=task, cycles=res.cycles,
                   model_cycles=pred.cycles, sim_s=round(wall, 1))
