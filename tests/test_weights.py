"""Edge-MoE folder weight loader (``<name>.float32.bin`` files), synthetic fill, and ``load_image``.

Most tests write fully synthetic folders with ``ndarray.tofile`` so they run
without the shared data; the ones marked ``shared`` damage links to the real
``../shared/edge-moe-ref/weights`` folder and skip when it is absent.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edgemoe.golden.params import model_dims
from edgemoe.golden.weights import (Weights, WeightError, expected_shapes, fill_synthetic, load_folder, load_image,
                                    load_weights, read_f32)

D = model_dims()
REF = Path(__file__).resolve().parents[1].parent / "shared" / "edge-moe-ref"
REF_WEIGHTS = REF / "weights"
needs_ref = pytest.mark.skipif(not REF_WEIGHTS.is_dir(),
                               reason=f"reference data {REF_WEIGHTS} absent (../shared/edge-moe-ref, see BRIEF.md)")
EXPERT_MATS = {f"l{L}_{m}_weight" for L in range(D.depth) if D.is_moe(L) for m in ("htoh4", "h4toh")}
HEADS = {n for n in expected_shapes() if n.startswith("head_")}


@pytest.fixture(scope="module")
def src() -> Weights:
    return fill_synthetic(Weights(tensors={}), seed=5, heads=False)


def write_folder(folder: Path, w: Weights, *, skip: set[str] = frozenset()) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for n, a in w.tensors.items():
        if n not in skip and not n.startswith("head_"):
            a.astype("<f4").tofile(folder / f"{n}.float32.bin")
    return folder


def err_of(fn, *args, **kw) -> str:
    with pytest.raises(WeightError) as ei:
        fn(*args, **kw)
    return str(ei.value)


# --------------------------------------------------------------------------- synthetic folders


def test_complete_folder_round_trip(tmp_path, src):
    f = write_folder(tmp_path / "w", src)
    w = load_folder(f)
    assert set(w.tensors) == set(src.tensors)
    for n, a in src.tensors.items():
        assert w[n].dtype == np.float32 and np.array_equal(w[n], a), n
    assert w.synthetic == set() and w.source == str(f)


def test_published_layout_gets_synthetic_experts_and_heads(tmp_path, src):
    """The published folder lacks the expert matrices: load_weights fills exactly those (and the heads)."""
    f = write_folder(tmp_path / "w", src, skip=EXPERT_MATS)
    w = load_folder(f)
    assert set(src.tensors) - set(w.tensors) == EXPERT_MATS
    full = load_weights(f, seed=1)
    assert full.synthetic == EXPERT_MATS | HEADS
    assert full.synthetic_experts
    assert "expert matrices" in full.describe_synthetic() and "task heads" in full.describe_synthetic()
    for n in set(src.tensors) - EXPERT_MATS:
        assert np.array_equal(full[n], src[n]), n
    # Synthetic experts at the scale of the neighbouring dense MLP, not unit variance.
    for L in (1, 11):
        ref = src[f"l{L - 1}_fc1_weight"].std()
        assert full[f"l{L}_htoh4_weight"].shape == (16, 384, 192)
        assert abs(full[f"l{L}_htoh4_weight"].std() / ref - 1) < 0.05


def test_load_weights_uses_environment_folder(tmp_path, src, monkeypatch):
    f = write_folder(tmp_path / "env", src)
    monkeypatch.setenv("EDGEMOE_WEIGHTS", str(f))
    w = load_weights(None)
    assert w.source == str(f) and w.synthetic == HEADS
    assert np.array_equal(w["l3_htoh4_weight"], src["l3_htoh4_weight"])


def test_missing_file(tmp_path, src):
    f = write_folder(tmp_path / "w", src)
    (f / "l3_qkv_weight.float32.bin").unlink()
    msg = err_of(load_folder, f)
    assert f"missing weight file {f / 'l3_qkv_weight.float32.bin'}" in msg
    assert "(576, 192)" in msg and f"{576 * 192 * 4} bytes" in msg
    # load_weights gives the same error: nothing runs on partial weights.
    assert "l3_qkv_weight.float32.bin" in err_of(load_weights, f)


def test_missing_expert_matrix_only_when_allowed(tmp_path, src):
    f = write_folder(tmp_path / "w", src)
    (f / "l5_h4toh_weight.float32.bin").unlink()
    assert "l5_h4toh_weight" not in load_folder(f)
    msg = err_of(load_folder, f, allow_missing=())
    assert "l5_h4toh_weight.float32.bin" in msg and "(16, 192, 384)" in msg


@pytest.mark.parametrize("name", ["pos_embed", "l4_fc1_weight", "l9_w_gate_T_task1", "l11_htoh4_bias"])
def test_truncated_file(tmp_path, src, name):
    f = write_folder(tmp_path / "w", src)
    p = f / f"{name}.float32.bin"
    full = p.stat().st_size
    p.write_bytes(p.read_bytes()[: full // 2])
    shape = expected_shapes(heads=False)[name]
    msg = err_of(load_folder, f)
    assert str(p) in msg and "is truncated:" in msg and str(shape) in msg
    assert f"{full} bytes" in msg and f"found {full // 2} bytes" in msg


@pytest.mark.parametrize("extra", [4, 8, 2])
def test_wrong_size_file(tmp_path, src, extra):
    f = write_folder(tmp_path / "w", src)
    p = f / "patch_embed_bias.float32.bin"
    p.write_bytes(p.read_bytes() + b"\0" * extra)
    msg = err_of(load_folder, f)
    assert str(p) in msg and "is too long:" in msg and "(192,)" in msg and f"found {768 + extra} bytes" in msg
    if extra % 4 == 0:
        assert f"= {192 + extra // 4} floats" in msg
    else:
        assert "not a whole number of float32" in msg


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_values(tmp_path, src, bad):
    f = write_folder(tmp_path / "w", src)
    a = src["l7_norm2_weight"].copy()
    a[17] = bad
    p = f / "l7_norm2_weight.float32.bin"
    a.tofile(p)
    msg = err_of(load_folder, f)
    assert str(p) in msg and "non-finite" in msg


def test_folder_absent(tmp_path):
    assert "does not exist" in err_of(load_folder, tmp_path / "nope")


def test_read_f32_exact_shape(tmp_path):
    a = np.arange(24, dtype=np.float32)
    a.tofile(tmp_path / "a.bin")
    assert np.array_equal(read_f32(tmp_path / "a.bin", (2, 3, 4)), a.reshape(2, 3, 4))
    assert "(4, 7)" in err_of(read_f32, tmp_path / "a.bin", (4, 7))


# --------------------------------------------------------------------------- the shared reference folder


def linked_copy(dst: Path) -> Path:
    """Symlinks to every file of the shared folder (cheap); tests replace the ones they damage."""
    dst.mkdir()
    for p in REF_WEIGHTS.iterdir():
        (dst / p.name).symlink_to(p)
    return dst


def damage(folder: Path, name: str, data: bytes | None) -> Path:
    p = folder / f"{name}.float32.bin"
    raw = p.read_bytes()
    p.unlink()
    if data is not None:
        p.write_bytes(data if data else raw)
    return p


@needs_ref
def test_shared_folder_loads():
    w = load_folder(REF_WEIGHTS)
    exp = expected_shapes(heads=False)
    assert set(exp) - set(w.tensors) == EXPERT_MATS
    for n, a in w.tensors.items():
        assert a.shape == exp[n] and a.dtype == np.float32 and np.isfinite(a).all(), n
    full = load_weights(REF_WEIGHTS)
    assert full.synthetic == EXPERT_MATS | HEADS
    assert all(np.array_equal(full[n], w[n]) for n in w.tensors)


@needs_ref
def test_shared_truncated_file(tmp_path):
    f = linked_copy(tmp_path / "w")
    raw = (REF_WEIGHTS / "l5_qkv_weight.float32.bin").read_bytes()
    p = damage(f, "l5_qkv_weight", raw[:1000])
    msg = err_of(load_folder, f)
    assert str(p) in msg and "is truncated:" in msg and "(576, 192)" in msg and "found 1000 bytes = 250 floats" in msg


@needs_ref
def test_shared_missing_file(tmp_path):
    f = linked_copy(tmp_path / "w")
    p = damage(f, "l7_w_gate_T_task1", None)
    msg = err_of(load_weights, f)
    assert f"missing weight file {p}" in msg and "(16, 192)" in msg


@needs_ref
def test_shared_wrong_size_file(tmp_path):
    f = linked_copy(tmp_path / "w")
    raw = (REF_WEIGHTS / "pos_embed.float32.bin").read_bytes()
    p = damage(f, "pos_embed", raw + raw[:192 * 4])  # one row too many: a (130, 192) pos_embed
    msg = err_of(load_folder, f)
    assert str(p) in msg and "is too long:" in msg and "(129, 192)" in msg and f"= {130 * 192} floats" in msg


@needs_ref
def test_shared_image():
    raw = np.fromfile(REF_WEIGHTS / "image.float32.bin", dtype="<f4").reshape(3, 128, 256)
    img = load_image(REF_WEIGHTS / "image.float32.bin")
    assert img.shape == (3, 128, 256) and img.dtype == np.float32
    assert img.min() >= 0 and img.max() < 1
    assert np.array_equal(img * 256, np.floor(img * 256))
    assert np.array_equal(img, np.floor(raw * 256) / 256)


# --------------------------------------------------------------------------- load_image


def test_image_bin_round_trip_and_quantisation(tmp_path):
    rng = np.random.default_rng(2)
    a = rng.uniform(0, 1, (3, 128, 256)).astype(np.float32)
    a.tofile(tmp_path / "img.bin")
    img = load_image(tmp_path / "img.bin")
    assert np.array_equal(img, (np.floor(a * 256) / 256).astype(np.float32))
    assert not np.array_equal(img, a)


def test_image_bad_path(tmp_path):
    msg = err_of(load_image, tmp_path / "none.bin")
    assert f"missing image file {tmp_path / 'none.bin'}" in msg and "(3, 128, 256)" in msg
    msg = err_of(load_image, tmp_path / "none.png")
    assert str(tmp_path / "none.png") in msg and "does not exist" in msg


def test_image_bad_shape(tmp_path):
    np.zeros((3, 64, 128), np.float32).tofile(tmp_path / "small.bin")
    msg = err_of(load_image, tmp_path / "small.bin")
    assert "small.bin" in msg and "is truncated:" in msg and "(3, 128, 256)" in msg and f"{3 * 64 * 128 * 4} bytes" in msg


@pytest.mark.parametrize("value,shown", [(1.0, "1.0]"), (-0.25, "[-0.25"), (3.5, "3.5]")])
def test_image_out_of_range(tmp_path, value, shown):
    a = np.full((3, 128, 256), 0.5, np.float32)
    a[1, 7, 9] = value
    a.tofile(tmp_path / "r.bin")
    msg = err_of(load_image, tmp_path / "r.bin")
    assert "r.bin" in msg and "[0, 1)" in msg and shown in msg


def test_image_non_finite(tmp_path):
    a = np.full((3, 128, 256), 0.5, np.float32)
    a[0, 0, 0] = np.nan
    a.tofile(tmp_path / "n.bin")
    assert "non-finite" in err_of(load_image, tmp_path / "n.bin")


def test_image_pillow(tmp_path):
    from PIL import Image

    Image.new("RGB", (64, 32), (200, 10, 255)).save(tmp_path / "c.png")
    img = load_image(tmp_path / "c.png")
    assert img.shape == (3, 128, 256) and img.dtype == np.float32
    assert np.array_equal(np.unique(img[0]), [200 / 256]) and np.array_equal(np.unique(img[2]), [255 / 256])
    (tmp_path / "bad.png").write_bytes(b"\x89PNG not really" * 10)
    msg = err_of(load_image, tmp_path / "bad.png")
    assert "cannot read image" in msg and "bad.png" in msg
