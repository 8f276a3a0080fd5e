"""Weights of the M3ViT backbone and task heads, and where they come from.

All weights are held as float32 numpy arrays under canonical names, which are
the file stems of the original Edge-MoE ``weights/`` folder:

==============================  ===================  =========================
name                            shape                notes
==============================  ===================  =========================
``patch_embed_weight``          (192, 3, 16, 16)     conv patch embedding
``patch_embed_bias``            (192,)
``pos_embed``                   (129, 192)           row 0 has the class token
                                                     folded in
``l{L}_norm{1,2}_{weight,bias}`` (192,)
``l{L}_qkv_weight``             (576, 192)           rows q | k | v, (out, in)
``l{L}_qkv_bias``               (576,)
``l{L}_attn_proj_weight``       (192, 192)
``l{L}_attn_proj_bias``         (192,)
``l{even}_fc1_weight``          (768, 192)
``l{even}_fc1_bias``            (768,)
``l{even}_fc2_weight``          (192, 768)
``l{even}_fc2_bias``            (192,)
``l{odd}_w_gate_T_task{t}``     (16, 192)            (experts, in)
``l{odd}_htoh4_weight``         (16, 384, 192)       expert fc1 (e, out, in)
``l{odd}_htoh4_bias``           (16, 384)
``l{odd}_h4toh_weight``         (16, 192, 384)       expert fc2 (e, out, in)
``l{odd}_h4toh_bias``           (16, 192)
``head_{task}_norm_{weight,bias}``  (192,)           task = seg | depth
``head_{task}_conv_{i}_weight`` (256, cin, 3, 3)     i = 0..3
``head_{task}_conv_{i}_bias``   (256,)
``head_{task}_bn_{i}_{weight,bias,mean,var}`` (256,) eval-mode BatchNorm
``head_{task}_conv_4_weight``   (C, 256, 1, 1)       C = 7 (seg) or 1 (depth)
``head_{task}_conv_4_bias``     (C,)
==============================  ===================  =========================

Three sources fill a :class:`Weights`: the original's folder layout
(:func:`load_folder`), an M3ViT training checkpoint
(:mod:`edgemoe.golden.checkpoint`), and seeded synthetic tensors for whatever a
source lacks (:func:`fill_synthetic`). Synthetic entries are recorded in
``Weights.synthetic`` so every report can say so.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np

from .params import TASKS, ModelDims, model_dims


class WeightError(ValueError):
    """A weight source is missing, truncated or has the wrong shape."""


def expected_shapes(dims: ModelDims | None = None, *, heads: bool = True) -> dict[str, tuple[int, ...]]:
    """Every canonical weight name with its shape, in a stable order."""
    d = dims or model_dims()
    D, T = d.embed_dim, d.num_tokens
    s: dict[str, tuple[int, ...]] = {
        "patch_embed_weight": (D, d.img_c, d.patch, d.patch),
        "patch_embed_bias": (D,),
        "pos_embed": (T, D),
    }
    for L in range(d.depth):
        p = f"l{L}_"
        for n in (1, 2):
            s[p + f"norm{n}_weight"] = (D,)
            s[p + f"norm{n}_bias"] = (D,)
        s[p + "qkv_weight"] = (3 * D, D)
        s[p + "qkv_bias"] = (3 * D,)
        s[p + "attn_proj_weight"] = (D, D)
        s[p + "attn_proj_bias"] = (D,)
        if d.is_moe(L):
            for t in range(d.num_tasks):
                s[p + f"w_gate_T_task{t}"] = (d.num_experts, D)
            s[p + "htoh4_weight"] = (d.num_experts, d.expert_hidden, D)
            s[p + "htoh4_bias"] = (d.num_experts, d.expert_hidden)
            s[p + "h4toh_weight"] = (d.num_experts, D, d.expert_hidden)
            s[p + "h4toh_bias"] = (d.num_experts, D)
        else:
            s[p + "fc1_weight"] = (d.mlp_hidden, D)
            s[p + "fc1_bias"] = (d.mlp_hidden,)
            s[p + "fc2_weight"] = (D, d.mlp_hidden)
            s[p + "fc2_bias"] = (D,)
    if heads:
        for task in TASKS:
            s.update(head_shapes(task, d))
    return s


def head_shapes(task: str, dims: ModelDims | None = None) -> dict[str, tuple[int, ...]]:
    """Canonical names and shapes of one task head."""
    d = dims or model_dims()
    C = d.seg_classes if task == "seg" else 1
    H = d.head_channels
    p = f"head_{task}_"
    s: dict[str, tuple[int, ...]] = {p + "norm_weight": (d.embed_dim,), p + "norm_bias": (d.embed_dim,)}
    for i in range(4):
        cin = d.embed_dim if i == 0 else H
        s[p + f"conv_{i}_weight"] = (H, cin, 3, 3)
        s[p + f"conv_{i}_bias"] = (H,)
        for k in ("weight", "bias", "mean", "var"):
            s[p + f"bn_{i}_{k}"] = (H,)
    s[p + "conv_4_weight"] = (C, H, 1, 1)
    s[p + "conv_4_bias"] = (C,)
    return s


@dataclass
class Weights:
    """Named float32 tensors plus a record of which ones are synthetic."""

    tensors: dict[str, np.ndarray]
    synthetic: set[str] = field(default_factory=set)
    source: str = ""

    def __getitem__(self, name: str) -> np.ndarray:
        try:
            return self.tensors[name]
        except KeyError:
            raise WeightError(f"weight '{name}' is not loaded (source: {self.source or 'unknown'})") from None

    def __contains__(self, name: str) -> bool:
        return name in self.tensors

    @property
    def synthetic_experts(self) -> bool:
        return any(n.endswith(("htoh4_weight", "h4toh_weight")) for n in self.synthetic)

    def describe_synthetic(self) -> str:
        """One line naming the groups of synthetic tensors, for reports."""
        if not self.synthetic:
            return "all weights loaded from the source"
        groups = []
        if self.synthetic_experts:
            groups.append("expert matrices")
        if any(n.startswith("head_") for n in self.synthetic):
            groups.append("task heads")
        rest = [n for n in self.synthetic if not n.startswith("head_") and not n.endswith(("htoh4_weight", "h4toh_weight"))]
        if rest:
            groups.append(f"{len(rest)} other tensors")
        return "synthetic (seeded): " + ", ".join(groups)

    def check(self, dims: ModelDims | None = None, *, heads: bool = False) -> None:
        """Raise :class:`WeightError` unless every expected tensor is present with its shape."""
        exp = expected_shapes(dims, heads=heads)
        missing = [n for n in exp if n not in self.tensors]
        if missing:
            raise WeightError(
                f"{len(missing)} weight tensors missing from {self.source or 'the weights'}: "
                + ", ".join(missing[:6]) + (" ..." if len(missing) > 6 else "")
            )
        for n, shape in exp.items():
            got = tuple(self.tensors[n].shape)
            if got != shape:
                raise WeightError(f"weight '{n}' from {self.source}: expected shape {shape}, found {got}")


def read_f32(path: Path, shape: tuple[int, ...], what: str = "weight file") -> np.ndarray:
    """Read a raw little-endian float32 file of exactly ``shape``.

    Raises :class:`WeightError` naming the file, the expected shape and what was
    found when the file is missing or its size does not match.
    """
    path = Path(path)
    n = int(np.prod(shape))
    if not path.is_file():
        raise WeightError(f"missing {what} {path} (expected float32 {shape}, {4 * n} bytes)")
    size = path.stat().st_size
    if size != 4 * n:
        found = f"{size} bytes" + (f" = {size // 4} floats" if size % 4 == 0 else " (not a whole number of float32)")
        kind = "truncated" if size < 4 * n else "too long"
        raise WeightError(f"{what} {path} is {kind}: expected float32 {shape} = {4 * n} bytes, found {found}")
    try:
        a = np.fromfile(path, dtype="<f4").reshape(shape)
    except OSError as e:
        raise WeightError(f"cannot read {what} {path}: {e.strerror or e}") from None
    if not np.all(np.isfinite(a)):
        raise WeightError(f"{what} {path} holds non-finite values (NaN or Inf)")
    return a.astype(np.float32, copy=False)


def default_folder() -> Path | None:
    """The shared reference weights folder, if present.

    Looked up from ``$EDGEMOE_WEIGHTS`` first, then ``../shared/edge-moe-ref/weights``
    relative to the current directory and to the repository.
    """
    env = os.environ.get("EDGEMOE_WEIGHTS")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parent.parent
    for base in (Path.cwd(), repo):
        for up in (base, *base.parents):
            cand = up / "shared" / "edge-moe-ref" / "weights"
            if cand.is_dir():
                return cand
            cand = up.parent / "shared" / "edge-moe-ref" / "weights"
            if cand.is_dir():
                return cand
    return None


def load_folder(folder: str | Path, dims: ModelDims | None = None, *,
                allow_missing: Iterable[str] = ("htoh4_weight", "h4toh_weight")) -> Weights:
    """Load the original Edge-MoE ``weights/`` folder (``<name>.float32.bin`` files).

    Every backbone tensor must be present and of the right size, except those
    whose name ends with one of ``allow_missing`` (by default the expert
    matrices, which the published folder lacks); :func:`fill_synthetic` fills
    those in. Head weights are never in that folder. Raises
    :class:`WeightError` on the first bad file.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise WeightError(f"weights folder {folder} does not exist")
    allow = tuple(allow_missing)
    tensors: dict[str, np.ndarray] = {}
    for name, shape in expected_shapes(dims, heads=False).items():
        path = folder / f"{name}.float32.bin"
        if not path.exists() and name.endswith(allow):
            continue
        tensors[name] = read_f32(path, shape)
    return Weights(tensors=tensors, source=str(folder))


def load_image(path: str | Path, dims: ModelDims | None = None, *, notes: dict | None = None) -> np.ndarray:
    """Load a frame as float32 (3, H, W) in [0, 1).

    ``.bin`` files are raw float32 (3, H, W) like ``image.float32.bin``; any
    other file is opened with Pillow, converted to RGB and resized (bilinear)
    to the model's input size. Values are quantised to steps of 1/256, the
    pixel format of the accelerator.

    When ``notes`` is a dict, what was done to the picture is recorded there:
    ``converted_from_mode`` (Pillow mode, e.g. ``"L"``, ``"RGBA"``; alpha is
    dropped, not blended), ``resized_from`` ([W, H]) and ``resized_to`` ([W, H]),
    and ``messages`` (one readable line per change). A file that is missing,
    a folder, unreadable or not an image raises :class:`WeightError`.
    """
    d = dims or model_dims()
    path = Path(path)
    if path.is_dir():
        raise WeightError(f"image {path} is a folder, expected an image file (PNG/JPEG/...) or a raw float32 .bin")
    if path.suffix == ".bin":
        img = read_f32(path, (d.img_c, d.img_h, d.img_w), "image file")
    else:
        if not path.is_file():
            raise WeightError(f"image file {path} does not exist")
        from PIL import Image

        done: dict = {}
        try:
            with Image.open(path) as im:
                if im.mode != "RGB":
                    extra = "; alpha channel dropped" if "A" in im.mode or "transparency" in im.info else ""
                    done["converted_from_mode"] = im.mode
                    done.setdefault("messages", []).append(f"converted from mode {im.mode} to RGB{extra}")
                    im = im.convert("RGB")
                if im.size != (d.img_w, d.img_h):
                    done["resized_from"] = list(im.size)
                    done["resized_to"] = [d.img_w, d.img_h]
                    done.setdefault("messages", []).append(
                        f"resized from {im.size[0]}x{im.size[1]} to {d.img_w}x{d.img_h} (bilinear)")
                    im = im.resize((d.img_w, d.img_h), Image.BILINEAR)
                img = np.asarray(im, dtype=np.float32).transpose(2, 0, 1) / 256.0
        except Exception as e:  # noqa: BLE001 - Pillow raises OSError, ValueError, DecompressionBombError.. on bad files
            why = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise WeightError(f"cannot read image {path}: {why} (expected a PNG/JPEG/... picture "
                              f"or a raw float32 {d.img_c}x{d.img_h}x{d.img_w} .bin)") from None
        if notes is not None:
            notes.update(done)
    if img.min() < 0 or img.max() >= 1:
        raise WeightError(f"image {path}: values must lie in [0, 1), found [{img.min()}, {img.max()}]")
    return (np.floor(img * 256.0) / 256.0).astype(np.float32)


def _scale_like(w: Weights, layer: int, suffix: str, default: float) -> float:
    """Std of the nearest dense layer's matching matrix: a realistic scale for synthetic experts."""
    for L in (layer - 1, layer + 1, 0):
        name = f"l{L}_{suffix}"
        if name in w.tensors:
            return float(w.tensors[name].std())
    return default


def fill_synthetic(w: Weights, dims: ModelDims | None = None, *, seed: int = 0, heads: bool = True) -> Weights:
    """Fill every missing tensor with seeded synthetic values at realistic scales.

    Expert matrices are Gaussian with the standard deviation of the nearest
    dense MLP's fc1 / fc2 matrix (about 0.05 in the trained model), so expert
    outputs have the magnitude of real ones. Head convolutions use He-normal
    initialisation, BatchNorm running statistics are drawn near identity. The
    generator is seeded per tensor name, so a tensor's values do not depend on
    which others are missing. Names filled are added to ``w.synthetic``.
    """
    d = dims or model_dims()
    for name, shape in expected_shapes(d, heads=heads).items():
        if name in w.tensors:
            continue
        rng = np.random.default_rng([seed, *name.encode()])
        L = int(name[1:name.index("_")]) if name.startswith("l") and name[1].isdigit() else -1
        if name.endswith("htoh4_weight"):
            a = rng.normal(0.0, _scale_like(w, L, "fc1_weight", 0.05), shape)
        elif name.endswith("h4toh_weight"):
            a = rng.normal(0.0, _scale_like(w, L, "fc2_weight", 0.05), shape)
        elif name.endswith(("_bias",)) and not name.startswith("head_"):
            a = rng.normal(0.0, 0.02, shape)
        elif name.endswith(("norm_weight",)) or name.endswith(("norm1_weight", "norm2_weight")):
            a = 1.0 + rng.normal(0.0, 0.05, shape)
        elif name.endswith("norm_bias"):
            a = rng.normal(0.0, 0.02, shape)
        elif "_conv_" in name and name.endswith("_weight"):
            fan_in = int(np.prod(shape[1:]))
            a = rng.normal(0.0, np.sqrt(2.0 / fan_in), shape)
        elif "_conv_" in name and name.endswith("_bias"):
            a = rng.normal(0.0, 0.01, shape)
        elif name.endswith("_mean"):
            a = rng.normal(0.0, 0.1, shape)
        elif name.endswith("_var"):
            a = rng.uniform(0.5, 1.5, shape)
        elif "_bn_" in name and name.endswith("_weight"):
            a = 1.0 + rng.normal(0.0, 0.05, shape)
        else:
            a = rng.normal(0.0, 0.02, shape)
        w.tensors[name] = a.astype(np.float32)
        w.synthetic.add(name)
    return w


ACCEPTED_WEIGHTS = ("expected an Edge-MoE weights folder (<name>.float32.bin files such as "
                    "patch_embed_weight.float32.bin) or an M3ViT training checkpoint (a torch.save file, "
                    "or a folder of per-rank .pth files)")


def _check_checkpoint_file(path: Path) -> None:
    """Refuse a file that cannot be a torch.save checkpoint (zip archive, legacy pickle or tar) before torch reads it."""
    try:
        with open(path, "rb") as f:
            head = f.read(262)
    except OSError as e:
        raise WeightError(f"cannot read checkpoint file {path}: {e.strerror or e}") from None
    if not head:
        raise WeightError(f"checkpoint file {path} is empty; {ACCEPTED_WEIGHTS}")
    if head.startswith(b"PK\x03\x04") or head[:1] == b"\x80" or head[257:262] == b"ustar":
        return
    raise WeightError(f"{path} is not a PyTorch checkpoint (neither the zip archive nor the pickle that "
                      f"torch.save writes); {ACCEPTED_WEIGHTS}")


def load_weights(folder: str | Path | None = None, *, seed: int = 0, heads: bool = True) -> Weights:
    """The weights the CLI uses: a folder or checkpoint, else the shared reference, plus synthetic fill.

    ``folder`` may be an Edge-MoE weights folder or an M3ViT checkpoint file or
    folder of per-rank checkpoint files. With ``None`` the shared reference
    folder is used; when that is absent too, every tensor is synthetic.
    """
    if folder is None:
        folder = default_folder()
    if folder is None:
        w = Weights(tensors={}, source="synthetic (no weights folder found)")
    else:
        p = Path(folder)
        if not p.exists():
            raise WeightError(f"weights path {p} does not exist; {ACCEPTED_WEIGHTS}")
        if p.is_file():
            _check_checkpoint_file(p)
            from .checkpoint import load_checkpoint

            w = load_checkpoint(p)
        elif any(p.glob("*.float32.bin")):
            w = load_folder(p)
        else:
            from .checkpoint import CHECKPOINT_SUFFIXES, load_checkpoint

            try:
                ranks = [f for f in sorted(p.iterdir()) if f.is_file() and f.name.endswith(CHECKPOINT_SUFFIXES)]
            except OSError as e:
                raise WeightError(f"cannot list weights folder {p}: {e.strerror or e}") from None
            if not ranks:
                raise WeightError(f"weights folder {p} holds neither <name>.float32.bin files nor checkpoint files "
                                  f"({', '.join('*' + x for x in CHECKPOINT_SUFFIXES)}); {ACCEPTED_WEIGHTS}")
            for f in ranks:
                _check_checkpoint_file(f)
            w = load_checkpoint(p)
    fill_synthetic(w, seed=seed, heads=heads)
    w.check(heads=heads)
    return w
