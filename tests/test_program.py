"""Command lists of edgemoe.driver.program: structure of the backbone list per task."""
from __future__ import annotations

import pytest

from edgemoe.driver import image, isa, program
from edgemoe.golden.fixed_model import FixedWeights
from edgemoe.golden.weights import Weights, fill_synthetic


@pytest.fixture(scope="module")
def img():
    return image.build_image(FixedWeights.from_float(fill_synthetic(Weights(tensors={}), seed=2, heads=False)))


def test_backbone_list_structure(img):
    cmds = program.backbone_program(img, 0)
    ops = [isa.Op(c.op) for c in cmds]
    # 3 embed commands, per block LN + 3 x (q, k, v, attention) + proj + LN + 2 + MARK, STORE, END
    assert len(cmds) == 3 + 12 * 18 + 2
    assert ops[:3] == [isa.Op.LOAD, isa.Op.LINEAR, isa.Op.LOAD] and ops[-2:] == [isa.Op.STORE, isa.Op.END]
    assert ops.count(isa.Op.MOE_GATE) == 6 and ops.count(isa.Op.EXPERTS) == 6 and ops.count(isa.Op.ATTENTION) == 36
    f = isa.fields(cmds[1])
    assert f["mode"] == "embed" and f["dst_row"] == 1 and f["embed_offset"] == img.offset("embed_add")
    assert [isa.fields(c)["value"] for c in cmds if c.op == isa.Op.MARK] == list(range(12))
    for c in cmds:
        assert isa.Descriptor.unpack(c.pack()) == c


def test_tasks_differ_only_in_gate_offsets(img):
    a, b = program.backbone_program(img, 0), program.backbone_program(img, 1)
    diff = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
    assert len(a) == len(b) and len(diff) == 6
    assert all(a[i].op == isa.Op.MOE_GATE for i in diff)
    assert {isa.fields(b[i])["w_offset"] for i in diff} == {img.offset(f"l{L}_gate_task1") for L in range(1, 12, 2)}


def test_stop_after_block(img):
    c = program.backbone_program(img, 1, stop_after_block=0)
    assert len(c) == 3 + 18 + 2 and c[-2].op == isa.Op.STORE
    with pytest.raises(ValueError, match="stop_after_block"):
        program.backbone_program(img, 0, stop_after_block=12)
    with pytest.raises(ValueError, match="task"):
        program.backbone_program(img, 2)
