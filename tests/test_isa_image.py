"""Command descriptors (edgemoe.driver.isa) and the weight image (edgemoe.driver.image): layout and round trip."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from edgemoe.driver import image, isa
from edgemoe.golden.fixed_model import FixedWeights
from edgemoe.golden.fixedpoint import fmt
from edgemoe.golden.patch_embed import patch_embed_fixed
from edgemoe.golden.weights import Weights, fill_synthetic
from edgemoe.sim.runner import record_vectors


@pytest.fixture(scope="module")
def fw():
    return FixedWeights.from_float(fill_synthetic(Weights(tensors={}), seed=11, heads=False))


@pytest.fixture(scope="module")
def img(fw):
    return image.build_image(fw)


def test_enums_match_the_document():
    assert [int(o) for o in isa.Op] == [0, 1, 2, 3, 4, 5, 6, 7, 8, 15]
    assert [int(b) for b in isa.Buf] == [0, 1, 2, 3, 4, 5, 6, 15]
    assert [int(e) for e in isa.Err] == list(range(9))
    assert isa.Mode.EMBED == 5 and isa.Mode.SCALED == 4


def test_io_layout():
    assert (isa.IO_PATCHES, isa.IO_CLASS_ROW, isa.IO_OUTPUT, isa.IO_BYTES) == (0, 98_304, 99_072, 198_144)
    assert isa.IO_CLASS_ROW % isa.IO_ALIGN == 0 and isa.IO_OUTPUT % isa.IO_ALIGN == 0


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 255), st.integers(0, 15), st.integers(0, 15), st.integers(0, 15), st.integers(0, 4095),
       st.lists(st.integers(0, 2**32 - 1), min_size=7, max_size=7))
def test_descriptor_pack_unpack_round_trip(op, a, b, c, spec, words):
    d = isa.Descriptor(op, a, b, c, spec, tuple(words))
    raw = d.pack()
    assert len(raw) == 32
    assert isa.Descriptor.unpack(raw) == d
    assert int.from_bytes(raw[:4], "little") == op | a << 8 | b << 12 | c << 16 | spec << 20


def test_field_positions():
    d = isa.linear(isa.Mode.RESID, isa.Buf.H, isa.Buf.X, 0x1234 * 32, K=768, N=192, T=129, side=isa.Buf.X,
                   src_chunk=2, dst_chunk=3, dst_row=7)
    w = np.frombuffer(d.pack(), "<u4")
    assert w[0] == 0x04 | 6 << 8 | 0 << 12 | 0 << 16 | (3 | 8) << 20
    assert w[1] == 0x1234 * 32 and w[2] == 767 | 191 << 16 and w[3] == 128 | 2 << 8 | 3 << 16 | 7 << 24
    f = isa.fields(d)
    assert (f["mode"], f["K"], f["N"], f["T"], f["dst_row"], f["side"]) == ("resid", 768, 192, 129, 7, "X")
    ld = isa.load(isa.Buf.H, 0, 128, 768, fmt=isa.LoadFormat.PIX)
    assert np.frombuffer(ld.pack(), "<u4")[0] == 0x01 | 6 << 12 | 1 << 20
    assert isa.decode(isa.encode([ld, isa.end()])) == [ld, isa.end()]
    with pytest.raises(ValueError):
        isa.Descriptor(0x100)


def test_record_sizes_match_the_document():
    assert isa.pass_bytes(192, 192) == 74_496 and isa.pass_bytes(192, 768) == 297_984
    assert isa.EXPERT_FC1 == 148_992 and isa.EXPERT_FC2 == 148_224 and isa.EXPERT_BYTES == 297_216
    assert isa.pass_bytes(192, 16) == 6_208


def test_image_layout(img):
    assert len(img.data) == image.image_bytes() == 36_118_016
    print(f"weight image: {len(img.data):,} bytes ({len(img.data) / 1e6:.2f} MB, both tasks' gates)")
    pos = 0
    for name, off, size in img.entries:
        assert off == pos and off % isa.W_ALIGN == 0, name
        pos += size
    assert pos == len(img.data)
    names = [n for n, _, _ in img.entries]
    assert names[:10] == ["patch_embed_weight", "embed_add", "l0_norm1", "l0_q", "l0_k", "l0_v", "l0_attn_proj",
                          "l0_norm2", "l0_fc1", "l0_fc2"]
    assert names[10 + 6:10 + 9] == ["l1_gate_task0", "l1_gate_task1", "l1_experts"]
    assert img.size("l1_experts") == 16 * isa.EXPERT_BYTES


def test_slab_header_fields(fw, img):
    off = img.offset("l0_k")
    h = np.frombuffer(img.data[off:off + 64], np.uint8)
    w, b = fw["l0_qkv_weight"], fw["l0_qkv_bias"]
    assert np.array_equal(h[:32].view("<i2"), b.codes[1, :16])
    nib = np.stack([h[32:40] & 15, h[32:40] >> 4], 1).reshape(-1)
    assert np.array_equal(nib, w.frac[192:208] - 10)
    assert h[40] == int(b.frac[1]) - 6 and h[41] == 15
    assert h[42:44].view("<u2")[0] == 191 and bytes(h[44:48]) == b"WSLB" and not h[48:64].any()
    row0 = np.frombuffer(img.data[off + 64:off + 64 + 384], "<i2")
    assert np.array_equal(row0, w.codes[192])


def test_image_round_trip_every_mantissa_and_exponent(record_property, fw, img):
    parsed = image.parse_image(img.data)
    assert set(parsed) == set(fw.codes)
    n = 0
    for name, s in fw.codes.items():
        codes, frac = (s.codes[1:], s.frac[1:]) if name == "embed_add" else (s.codes, s.frac)
        p = parsed[name]
        assert np.array_equal(p.codes, codes), name
        assert np.shape(p.frac) == np.shape(frac) and np.array_equal(p.frac, frac), name
        n += codes.size + np.size(frac)
    record_vectors(record_property, "weight_image_round_trip", n)


def test_parse_rejects_bad_headers(img):
    off = img.offset("l3_v") + 45
    bad = bytearray(img.data)
    bad[off] ^= 0x01
    with pytest.raises(image.ImageError, match="l3_v"):
        image.parse_image(bytes(bad))
    with pytest.raises(image.ImageError, match="expected"):
        image.parse_image(img.data[:-32])


def test_io_helpers(fw):
    rng = np.random.default_rng(1)
    pix = rng.integers(0, 256, (3, 128, 256))
    pb = image.patch_bytes(pix)
    assert len(pb) == isa.IO_CLASS_ROW
    p = np.frombuffer(pb, np.uint8).reshape(128, 768)
    gy, gx = divmod(17, 16)
    assert np.array_equal(p[17], pix[:, 16 * gy:16 * gy + 16, 16 * gx:16 * gx + 16].reshape(-1))
    ref = patch_embed_fixed(pix, fw["patch_embed_weight"], fw["embed_add"])
    cr = image.class_row(fw)
    assert cr.dtype == np.int32 and np.array_equal(cr, ref[0])
    with pytest.raises(ValueError, match="outside format pix"):
        image.patch_bytes(pix + 256)
    out = image.output_codes(np.arange(129 * 192, dtype="<i4").tobytes())
    assert out.shape == (129, 192) and out[1, 0] == 192
    assert fmt("act").bits == 26


def test_layout_without_building(img):
    assert image.layout_entries() == img.entries
    assert image.layout_image().offset("l7_experts") == img.offset("l7_experts")
