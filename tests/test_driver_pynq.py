"""The ``pynq`` backend against a fake PYNQ (tests/fake_pynq.py) wired to the instruction-set model.

The fake keeps host memory and device memory apart, so these tests fail if the driver
forgets a flush or an invalidate; the overlay's .hwh is parsed by pynqmetadata as
``pynq.Overlay`` does, and a wrong one is refused before the bitstream is downloaded.
"""
from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pytest

from edgemoe.driver import Accelerator, BackendUnavailable, DriverError, InputError
from edgemoe.driver.backends.iss import IssBackend
from edgemoe.driver.backends.pynq import NO_BOARD
from edgemoe.driver.hwh import HwhError
from edgemoe.golden.fixed_model import FixedBackbone, FixedWeights, image_codes
from edgemoe.golden.sample import procedural_frame
from edgemoe.report.records import validate_record
from fake_pynq import make_pynq, write_overlay

REF_HWH = Path(__file__).resolve().parents[1] / ".." / "shared" / "edge-moe-ref" / "bitstream.hwh"


@pytest.fixture(scope="module")
def fw(weights):
    return FixedWeights.from_float(weights)


@pytest.fixture(scope="module")
def wimage(fw):
    from edgemoe.driver.image import build_image

    return build_image(fw)


@pytest.fixture(scope="module")
def block0(fw, sample):
    """Block-0 outputs of FixedBackbone for the sample and the procedural frame (task 0)."""
    fb = FixedBackbone(fw)
    out = {}
    for name, img in (("sample", sample), ("procedural", procedural_frame())):
        out[name] = fb.mlp_block(fb.attention_block(fb.embed(image_codes(img)), 0, None, None), 0, 0, None)
    return out


def _open(tmp_path, **kw):
    from edgemoe.driver.iss import Iss

    iss = Iss()
    fake = make_pynq(iss)
    bit = write_overlay(tmp_path, **kw)
    acc = Accelerator.open("pynq", overlay=bit, pynq_module=fake)
    acc.backend.host_seconds = IssBackend(iss).host_seconds  # the fake board runs at the model's speed
    return acc, fake


@pytest.fixture
def board(tmp_path, fw, wimage):
    acc, fake = _open(tmp_path)
    acc.load_weights(fw, image=wimage)
    yield acc, fake
    acc.close()


def test_without_a_board_the_backend_says_so():
    if importlib.util.find_spec("pynq") is not None:
        pytest.skip("the pynq package is installed here")
    with pytest.raises(BackendUnavailable) as e:
        Accelerator.open("pynq", overlay="edgemoe.bit")
    assert str(e.value) == NO_BOARD and "\n" not in NO_BOARD


def test_missing_overlay_is_input_error(tmp_path):
    fake = make_pynq(None)
    with pytest.raises(InputError, match=r"overlay .*absent.bit not found: expected the accelerator's .bit with its "
                                         r".hwh beside it"):
        Accelerator.open("pynq", overlay=tmp_path / "absent.bit", pynq_module=fake)
    with pytest.raises(InputError, match="needs the overlay: pass overlay=.* or install the edgemoe_overlay"):
        Accelerator.open("pynq", pynq_module=fake)


def test_default_overlay_is_the_installed_packages(tmp_path, monkeypatch):
    import sys
    import types

    from edgemoe.driver.iss import Iss

    bit = write_overlay(tmp_path)
    monkeypatch.setitem(sys.modules, "edgemoe_overlay", types.SimpleNamespace(bitfile=lambda: bit))
    with Accelerator.open("pynq", pynq_module=make_pynq(Iss(mem_size=1 << 20))) as acc:
        assert acc.backend.bitfile == bit and acc.backend.ip.name == "edgemoe_0"


def test_original_edge_moe_overlay_is_refused_before_download(tmp_path):
    if not REF_HWH.is_file():
        pytest.skip(f"shared reference data {REF_HWH} not found: test needs the original bitstream.hwh")
    from edgemoe.driver.iss import Iss

    fake = make_pynq(Iss(mem_size=1 << 20))
    bit = tmp_path / "bitstream.bit"
    bit.write_bytes(b"not the accelerator")
    shutil.copyfile(REF_HWH, tmp_path / "bitstream.hwh")
    with pytest.raises(HwhError, match=r"bitstream.hwh: not the Edge-MoE accelerator overlay: IP ViT_compute_0: "
                                       r"VLNV: expected xilinx.com:module_ref:edgemoe_top_wrapper:1.0, found "
                                       r"xilinx.com:hls:ViT_compute:1.0; .*register CTRL: expected offset 0x010"):
        Accelerator.open("pynq", overlay=bit, pynq_module=fake)
    assert fake.device.base is None  # never downloaded, no register touched


def test_registers_at_the_overlays_address(tmp_path, board):
    acc, fake = board
    assert acc.backend.ip.name == "edgemoe_0" and acc.backend.ip.phys_addr == 0x8000_0000
    assert fake.device.base == 0x8000_0000
    assert acc.backend.mmio.base_addr == 0x8000_0000


def test_weights_and_lists_flushed_once_io_per_frame(board, sample, block0):
    acc, fake = board
    d = fake.device
    ld = acc._loaded
    ids = {"w": ld.wbuf.array._id, "io": ld.io.array._id}
    progs = {k: p.buf.array._id for k, p in ld.programs.items()}
    assert d.flushes[ids["w"]] == 1 and d.invalidates.get(ids["w"], 0) == 0
    assert all(d.flushes[i] == 1 for i in progs.values()) and set(progs) == {(0, None), (1, None)}
    io0 = d.flushes[ids["io"]]
    out = list(acc.stream([sample, procedural_frame()], "seg", stop_after_block=0))
    assert [np.array_equal(r.codes, block0[n]) for r, n in zip(out, ["sample", "procedural"])] == [True, True]
    assert d.flushes[ids["w"]] == 1, "the weight image is written and flushed once"
    assert d.flushes[ids["io"]] == io0 + 2 and d.invalidates[ids["io"]] == 2
    assert d.dirty_at_start == [] and d.starts == 2


def test_fake_catches_a_forgotten_flush(board, sample, block0, monkeypatch):
    """If the driver did not flush the patches, the device would compute the previous frame: the fake shows it."""
    acc, fake = board
    assert np.array_equal(acc.run(sample, "seg", stop_after_block=0).codes, block0["sample"])
    io = acc._loaded.io
    monkeypatch.setattr(io, "flush", lambda: None)
    try:
        res = acc.run(procedural_frame(), "seg", stop_after_block=0)
    except DriverError:
        res = None  # also a detection: the output sentinel never reached the device
    assert res is None or not np.array_equal(res.codes, block0["procedural"])
    assert fake.device.dirty_at_start == [io.array._id]


def test_fake_catches_a_forgotten_invalidate(board, sample, monkeypatch):
    acc, fake = board
    monkeypatch.setattr(acc._loaded.io, "invalidate", lambda: None)
    with pytest.raises(DriverError, match="output words still hold the sentinel"):
        acc.run(sample, "seg", stop_after_block=0)


def test_measure_records_board_power(board, sample, tmp_path):
    from edgemoe.report import HwmonSource
    from edgemoe.report.fakes import FakeRail, make_hwmon_tree

    acc, _ = board
    make_hwmon_tree(tmp_path / "hwmon", [FakeRail("u79", 0.85, 3.0), FakeRail("u81", 0.85, 0.3),
                                         FakeRail("u76", 0.85, 1.2)])
    src = HwmonSource(tmp_path / "hwmon")
    res, rec = acc.measure([sample, sample], "seg", power=[src], interval=0.01, idle_s=0.05,
                           stop_after_block=0)
    m = validate_record(rec)
    assert m.source == "board" and m.frames == 2 and len(res) == 2
    assert {r.label for r in m.rails} == {"VCCINT", "VCCBRAM", "VCCPSINTFP"}
    assert m.has_idle and m.power_w(["pl"], "total")[0] == pytest.approx(0.85 * 3.3, rel=0.05)
    assert rec["bitstream"]["name"] == "edgemoe.bit"
    assert rec["cycles_per_frame"] == np.mean([r.cycles for r in res])


def test_pynq_without_a_device_is_unavailable(tmp_path):
    """PYNQ installed on a machine without a board raises from Overlay: one line, BackendUnavailable."""
    fake = make_pynq(None)

    class NoDevice:
        def __init__(self, *a, **k):
            raise RuntimeError("Could not find any\ndevices")

    fake.Overlay = NoDevice
    bit = write_overlay(tmp_path)
    with pytest.raises(BackendUnavailable, match=r"PYNQ could not open the overlay .*edgemoe.bit: Could not find any "
                                                 r"devices$"):
        Accelerator.open("pynq", overlay=bit, pynq_module=fake)
