"""Load an M3ViT training checkpoint (VITA-Group/M3ViT, ``train_fastmoe.py``) into :class:`Weights`.

What M3ViT writes
=================
``train_fastmoe.py`` wraps the ``MultiTaskModel`` (``backbone`` + ``decoders``
ModuleDict keyed by task name) in ``fmoe.DistributedGroupedDataParallel``, so
every key of ``model.state_dict()`` starts with ``module.``. With FastMoE
expert parallelism, ``utils/moe_utils.save_moe_model_to_dir`` writes a
*directory* (named like ``checkpoint.pth.tar`` or ``best_model.pth.tar``)
holding one file per rank, ``{rank}.pth``, each ``{'epoch', 'backbone',
'state_dict', 'best_result', 'optimizer'}``. Rank 0 stores the whole state
dict with its own experts; every other rank stores only its expert tensors
(keys containing ``mlp.experts.htoh4`` / ``mlp.experts.h4toh``). M3ViT's
own reader concatenates the expert tensors of ``0.pth, 1.pth, ..`` along
dim 0, which is what this module does. A non-distributed run writes one file
with all 16 experts.

Keys read (after the ``module.`` prefix), for the Cityscapes configuration
(``configs/cityscapes/pup_vit_tiny_deit_multi_task_baseline.yml``: embed 192,
depth 12, ``moe_mlp_ratio`` 2, ``gate_dim`` 194 = 192 + 2 tasks)::

    backbone.patch_embed.proj.{weight,bias}     -> patch_embed_{weight,bias}
    backbone.cls_token (1, 1, 192)              -> added into pos_embed row 0
    backbone.pos_embed (1, 129, 192)            -> pos_embed (129, 192)
    backbone.blocks.{L}.norm{1,2}.{weight,bias} -> l{L}_norm{1,2}_{weight,bias}
    backbone.blocks.{L}.attn.qkv.{weight,bias}  -> l{L}_qkv_{weight,bias}
    backbone.blocks.{L}.attn.proj.{weight,bias} -> l{L}_attn_proj_{weight,bias}
    backbone.blocks.{even}.mlp.fc{1,2}.{weight,bias}   -> l{L}_fc{1,2}_{weight,bias}
    backbone.blocks.{odd}.mlp.experts.htoh4.weight (e, 384, 192) -> l{L}_htoh4_weight
    backbone.blocks.{odd}.mlp.experts.htoh4.bias   (e, 384)      -> l{L}_htoh4_bias
    backbone.blocks.{odd}.mlp.experts.h4toh.weight (e, 192, 384) -> l{L}_h4toh_weight
    backbone.blocks.{odd}.mlp.experts.h4toh.bias   (e, 192)      -> l{L}_h4toh_bias
    backbone.blocks.{odd}.mlp.gate.{t}.w_gate (192, 16) -> l{L}_w_gate_T_task{t}, transposed
    decoders.{semseg,depth}.norm.{weight,bias}          -> head_{seg,depth}_norm_{weight,bias}
    decoders.{task}.conv_{0..4}.{weight,bias}           -> head_{task}_conv_{i}_{weight,bias}
    decoders.{task}.syncbn_fc_{0..3}.{weight,bias,running_mean,running_var}
                                                        -> head_{task}_bn_{i}_{weight,bias,mean,var}

Evidence: ``models/vision_transformer_moe.py`` (PatchEmbed ``proj``, ``cls_token``,
``pos_embed``, ``blocks``, Block ``norm1/attn.qkv/attn.proj/norm2/mlp``),
``models/custom_moe_layer.py`` (``experts = _Expert`` with FMoELinear ``htoh4``
and ``h4toh``; FastMoE's FMoELinear holds ``weight (num_expert, out, in)`` and
``bias (num_expert, out)``; ``multi_gate`` makes ``gate`` a ModuleList with one
gate per task), ``models/gate_funs/noisy_gate_vmoe.py`` (``w_gate`` of shape
``(d_model, tot_expert)``: all 16 experts, identical on every rank),
``models/vit_up_head.py`` (``norm``, ``conv_0..conv_4``, ``syncbn_fc_0..3``),
``utils/config.py`` (task order semseg, depth: task 0 = segmentation) and
``models/models.py`` (``backbone``, ``decoders``). The class token is folded into
``pos_embed[0]`` because ``forward_features`` computes ``cat(cls, patches) +
pos_embed``: token 0 is ``cls_token + pos_embed[0]`` whatever the image, which
is how the Edge-MoE ``pos_embed.float32.bin`` holds it.

Variants accepted
=================
* Nesting: the state dict may be the file's top level or under ``'state_dict'``
  or ``'model'`` (repeatedly); any number of leading ``module.`` prefixes.
* A backbone-only state dict (no ``backbone.`` / ``decoders.`` prefix at all,
  as M3ViT's pretrained-backbone files) and checkpoints without any
  ``decoders.*`` key: the heads are then absent, and :func:`fill_synthetic`
  (called by :func:`load_weights`) fills them and marks them synthetic. If
  any ``decoders.*`` key is present, both heads must be complete.
* A single shared gate ``mlp.gate.w_gate`` (``multi_gate`` off) is used for
  both tasks, as M3ViT's ``cvt_state_dict`` does when it turns such a gate
  into per-task gates. Having both forms in one block is an error.
* ``pos_embed`` of shape (1, 129, 192) or (129, 192); ``cls_token`` (1, 1, 192),
  (1, 192) or (192,). Floating tensors of any precision are converted to
  float32.
* Ignored (training-only, not on the inference path): ``*.num_batches_tracked``
  (BatchNorm counters), ``*.w_gate_aux`` (decoupled gate activation, skipped by
  M3ViT's ``cvt_state_dict`` too), ``tam_model{0,1,2}.*`` (TAM modules, run
  only ``if self.tam and self.training``) and ``decoders.*.output_level_*``
  (multi-level deep-supervision side outputs).
* Rejected with a specific message: ``w_noise`` (a NoisyGate, whose top-k
  renormalised softmax is not the V-MoE gating this model implements),
  decoders of other tasks, and any other unknown key.

Per-rank files
==============
``load_checkpoint`` takes a file, a directory or a list of files. In a directory,
files whose names end with ``.pth``, ``.pt``, ``.ckpt`` or ``.tar`` are the rank
files, and their rank is read from the name: ``{r}.pth`` (M3ViT), a name
containing ``rank{r}`` / ``rank_{r}`` / ``rank-{r}``, or one ending with
``_{r}.pth`` (also ``-{r}``/``.{r}``, any of the suffixes). A directory with a single
checkpoint file is read as rank 0 whatever its name. Ranks must be exactly
0..n-1. A list of files is taken in the given order as ranks 0..n-1.

Non-expert tensors are taken from rank 0, which must hold them all; a rank
file that also holds non-expert tensors (a full state dict per rank) must hold
them bit-identical to rank 0 (FastMoE broadcasts them from rank 0 with
``sync_weights``), else it is an error. Expert tensors of every rank are
concatenated along dim 0 in rank order; each rank must hold every expert key,
and the counts must add up to 16.

Any missing file, truncated or corrupt file, missing or unknown key, wrong
shape or non-finite value raises :class:`WeightError` naming the file, the key,
the expected shape and what was found. Nothing is returned half loaded.

Files are read with ``torch.load(..., map_location='cpu', weights_only=True)``,
with numpy scalars and arrays (as in M3ViT's ``best_result``) allowed. A file
holding other Python objects is refused unless ``trusted=True`` is passed (or
the environment variable ``EDGEMOE_TRUST_CHECKPOINT=1`` is set), which loads it
with full unpickling: only for files from a trusted source.
"""
from __future__ import annotations

import os
import pickle
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .params import ModelDims, model_dims
from .weights import Weights, WeightError, expected_shapes, head_shapes

CHECKPOINT_SUFFIXES = (".pth", ".pt", ".ckpt", ".tar")
"""File name endings that count as checkpoint files inside a directory."""

HEAD_TASKS = {"semseg": "seg", "depth": "depth"}
"""M3ViT decoder (task) names -> canonical head names."""

TRUST_ENV = "EDGEMOE_TRUST_CHECKPOINT"

_EXPERT_RE = re.compile(r"^backbone\.blocks\.(\d+)\.mlp\.experts\.(htoh4|h4toh)\.(weight|bias)$")
_RANK_RES = (
    re.compile(r"^(\d+)\.(?:pth|pt|ckpt)(?:\.tar)?$"),
    re.compile(r"rank[_-]?(\d+)", re.IGNORECASE),
    re.compile(r"[_.-](\d+)\.(?:pth|pt|ckpt|tar)(?:\.tar)?$"),
)


def _numpy_safe_globals() -> list:
    """numpy globals allowed under ``weights_only`` (scalars and arrays in ``best_result``)."""
    core = np._core if hasattr(np, "_core") else np.core  # numpy 2 / numpy 1
    ma = core.multiarray
    out: list = [np.dtype, np.ndarray]
    for fn in (ma.scalar, ma._reconstruct):
        out.append(fn)
        # Checkpoints written with numpy 1.x name the module numpy.core.multiarray.
        out.append((fn, f"numpy.core.multiarray.{fn.__name__}"))
        out.append((fn, f"numpy._core.multiarray.{fn.__name__}"))
    for t in (np.float16, np.float32, np.float64, np.int32, np.int64, np.bool_):
        out.append(type(np.dtype(t)))
    return out


@dataclass
class _RankFile:
    """One loaded rank file: its path and its state dict with normalised keys."""

    path: Path
    tensors: dict[str, torch.Tensor]
    original: dict[str, str] = field(default_factory=dict)  # normalised key -> key as stored

    def name(self, key: str) -> str:
        """``key`` as this file spells it (with its ``module.`` prefix), also for a key it lacks."""
        if key in self.original:
            return self.original[key]
        for norm, orig in self.original.items():
            if orig.endswith(norm):
                return orig[: len(orig) - len(norm)] + key
        return key


def _torch_load(path: Path, trusted: bool) -> object:
    """``torch.load`` on the CPU, weights-only unless trusted; every failure is a :class:`WeightError`."""
    if not path.is_file():
        raise WeightError(f"missing checkpoint file {path}")
    size = path.stat().st_size
    try:
        with torch.serialization.safe_globals(_numpy_safe_globals()):
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        if "Weights only load failed" not in str(e):
            raise WeightError(f"checkpoint file {path} ({size} bytes) cannot be read, truncated or corrupt: {e}") from None
        unsafe = re.findall(r"Unsupported global: GLOBAL ([\w.]+)", str(e))
        if not unsafe:
            try:
                unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(path)
            except Exception:  # noqa: BLE001 - a legacy or damaged file: cannot list them
                unsafe = []
        if not unsafe:
            raise WeightError(f"checkpoint file {path} ({size} bytes) cannot be read, truncated or corrupt: "
                              f"{str(e).splitlines()[-1] if str(e) else e!r}") from None
        if not trusted:
            raise WeightError(
                f"checkpoint file {path} holds Python objects other than tensors ({', '.join(unsafe)}), which "
                f"torch.load(weights_only=True) refuses; if you trust the file, pass trusted=True "
                f"(or set {TRUST_ENV}=1)") from None
    except Exception as e:  # noqa: BLE001 - torch raises RuntimeError, EOFError, OSError, KeyError.. on bad files
        raise WeightError(f"checkpoint file {path} ({size} bytes) cannot be read, truncated or corrupt: "
                          f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}") from None
    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except Exception as e:  # noqa: BLE001
        raise WeightError(f"checkpoint file {path} ({size} bytes) cannot be read, truncated or corrupt: "
                          f"{type(e).__name__}: {e}") from None


def _state_dict(obj: object, path: Path) -> dict[str, object]:
    """The state dict inside a loaded checkpoint (top level, or under 'state_dict' / 'model')."""
    while isinstance(obj, Mapping):
        for k in ("state_dict", "model"):
            if isinstance(obj.get(k), Mapping):
                obj = obj[k]
                break
        else:
            return dict(obj)
    raise WeightError(f"checkpoint file {path}: expected a state dict (a mapping of names to tensors), "
                      f"found {type(obj).__name__}")


def _normalise(sd: dict[str, object], path: Path) -> _RankFile:
    """Strip ``module.`` prefixes and give bare backbone keys a ``backbone.`` prefix."""
    rf = _RankFile(path=path, tensors={})
    stripped: dict[str, tuple[str, object]] = {}
    for key, val in sd.items():
        if not isinstance(key, str):
            raise WeightError(f"checkpoint file {path}: state dict key {key!r} is not a string")
        k = key
        while k.startswith("module."):
            k = k[len("module."):]
        stripped[k] = (key, val)
    bare = stripped and not any(k.startswith(("backbone.", "decoders.")) for k in stripped)
    for k, (key, val) in stripped.items():
        if bare:
            k = "backbone." + k
        if k in rf.tensors:
            raise WeightError(f"checkpoint file {path}: keys {rf.original[k]!r} and {key!r} name the same tensor")
        if not isinstance(val, torch.Tensor):
            raise WeightError(f"checkpoint file {path}: key {key!r} holds {type(val).__name__}, not a tensor")
        rf.tensors[k] = val
        rf.original[k] = key
    return rf


def _rank_of(name: str) -> int | None:
    for rx in _RANK_RES:
        m = rx.search(name)
        if m:
            return int(m.group(1))
    return None


def _rank_files(path: Path) -> list[Path]:
    """The rank files of a checkpoint directory, in rank order."""
    files = sorted(p for p in path.iterdir() if p.is_file() and p.name.endswith(CHECKPOINT_SUFFIXES))
    if not files:
        raise WeightError(f"checkpoint directory {path} holds no checkpoint files "
                          f"(names ending with {', '.join(CHECKPOINT_SUFFIXES)})")
    if len(files) == 1:
        return files
    ranks: dict[int, Path] = {}
    unnamed = []
    for f in files:
        r = _rank_of(f.name)
        if r is None:
            unnamed.append(f.name)
        elif r in ranks:
            raise WeightError(f"checkpoint directory {path}: files {ranks[r].name} and {f.name} both claim rank {r}")
        else:
            ranks[r] = f
    if unnamed:
        raise WeightError(f"checkpoint directory {path}: cannot tell the rank of {', '.join(unnamed)} "
                          "(expected names like 0.pth, model_rank1.pth or ckpt_2.pth)")
    missing = [r for r in range(max(ranks) + 1) if r not in ranks]
    if missing:
        raise WeightError(f"checkpoint directory {path}: rank file(s) for rank {', '.join(map(str, missing))} "
                          f"missing (found ranks {', '.join(map(str, sorted(ranks)))})")
    return [ranks[r] for r in range(len(ranks))]


def _array(t: torch.Tensor, rf: _RankFile, key: str) -> np.ndarray:
    if not t.is_floating_point():
        raise WeightError(f"checkpoint file {rf.path}: key {rf.name(key)!r} has dtype {t.dtype}, expected a float tensor")
    a = t.detach().to(torch.float32).contiguous().numpy().copy()
    if not np.all(np.isfinite(a)):
        raise WeightError(f"checkpoint file {rf.path}: key {rf.name(key)!r} holds non-finite values (NaN or Inf)")
    return a


def _shape_error(rf: _RankFile, key: str, expected: tuple | str, found: tuple) -> WeightError:
    return WeightError(f"checkpoint file {rf.path}: key {rf.name(key)!r}: expected shape {expected}, found {found}")


@dataclass
class _Plan:
    """Checkpoint key -> canonical name and expected shape."""

    canon: str
    shape: tuple[int, ...]


def _backbone_plan(d: ModelDims) -> tuple[dict[str, _Plan], dict[int, tuple[str, ...]]]:
    """Non-expert backbone keys with their targets, and the gate key variants per MoE layer."""
    exp = expected_shapes(d, heads=False)
    plan: dict[str, _Plan] = {
        "backbone.patch_embed.proj.weight": _Plan("patch_embed_weight", exp["patch_embed_weight"]),
        "backbone.patch_embed.proj.bias": _Plan("patch_embed_bias", exp["patch_embed_bias"]),
    }
    gates: dict[int, tuple[str, ...]] = {}
    for L in range(d.depth):
        b, p = f"backbone.blocks.{L}.", f"l{L}_"
        names = [("norm1.weight", "norm1_weight"), ("norm1.bias", "norm1_bias"),
                 ("norm2.weight", "norm2_weight"), ("norm2.bias", "norm2_bias"),
                 ("attn.qkv.weight", "qkv_weight"), ("attn.qkv.bias", "qkv_bias"),
                 ("attn.proj.weight", "attn_proj_weight"), ("attn.proj.bias", "attn_proj_bias")]
        if not d.is_moe(L):
            names += [("mlp.fc1.weight", "fc1_weight"), ("mlp.fc1.bias", "fc1_bias"),
                      ("mlp.fc2.weight", "fc2_weight"), ("mlp.fc2.bias", "fc2_bias")]
        for ck, cn in names:
            plan[b + ck] = _Plan(p + cn, exp[p + cn])
        if d.is_moe(L):
            gates[L] = tuple(f"{b}mlp.gate.{t}.w_gate" for t in range(d.num_tasks))
    return plan, gates


def _head_plan(d: ModelDims) -> dict[str, _Plan]:
    plan: dict[str, _Plan] = {}
    for task, short in HEAD_TASKS.items():
        hs = head_shapes(short, d)
        b, p = f"decoders.{task}.", f"head_{short}_"
        plan[b + "norm.weight"] = _Plan(p + "norm_weight", hs[p + "norm_weight"])
        plan[b + "norm.bias"] = _Plan(p + "norm_bias", hs[p + "norm_bias"])
        for i in range(5):
            for k in ("weight", "bias"):
                plan[f"{b}conv_{i}.{k}"] = _Plan(f"{p}conv_{i}_{k}", hs[f"{p}conv_{i}_{k}"])
        for i in range(4):
            for ck, cn in (("weight", "weight"), ("bias", "bias"), ("running_mean", "mean"), ("running_var", "var")):
                plan[f"{b}syncbn_fc_{i}.{ck}"] = _Plan(f"{p}bn_{i}_{cn}", hs[f"{p}bn_{i}_{cn}"])
    return plan


def _ignored(key: str) -> bool:
    """Training-only keys that do not take part in inference (see the module docstring)."""
    return (key.endswith((".num_batches_tracked", ".w_gate_aux"))
            or re.match(r"^tam_model\d+\.", key) is not None
            or re.match(r"^decoders\.[^.]+\.output_level_\d+\.", key) is not None)


def _squeeze_to(a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray | None:
    """``a`` reshaped to ``shape`` if it differs from it only by leading 1-sized dims."""
    s = a.shape
    while len(s) > len(shape) and s[0] == 1:
        s = s[1:]
    return a.reshape(shape) if s == shape else None


def _collect_experts(files: list[_RankFile], d: ModelDims) -> dict[str, np.ndarray]:
    """Concatenate each expert tensor over the rank files, checking shapes and the total count."""
    exp = expected_shapes(d, heads=False)
    out: dict[str, np.ndarray] = {}
    for L in range(d.depth):
        if not d.is_moe(L):
            continue
        for lin in ("htoh4", "h4toh"):
            for kind in ("weight", "bias"):
                key = f"backbone.blocks.{L}.mlp.experts.{lin}.{kind}"
                canon = f"l{L}_{lin}_{kind}"
                full = exp[canon]
                parts = []
                for rf in files:
                    if key not in rf.tensors:
                        raise WeightError(
                            f"checkpoint file {rf.path}: expert key {rf.name(key)!r} "
                            f"missing (expected shape (n_local, {', '.join(map(str, full[1:]))}) "
                            f"with the experts of this rank); found {len(rf.tensors)} other keys")
                    a = _array(rf.tensors[key], rf, key)
                    if a.ndim != len(full) or a.shape[1:] != full[1:] or a.shape[0] < 1:
                        raise _shape_error(rf, key, f"(n_local, {', '.join(map(str, full[1:]))})", a.shape)
                    parts.append(a)
                total = sum(p.shape[0] for p in parts)
                if total != full[0]:
                    counts = ", ".join(f"{rf.path.name}: {p.shape[0]}" for rf, p in zip(files, parts))
                    raise WeightError(
                        f"expert tensor {files[0].name(key)!r} over {len(files)} rank file(s) in {files[0].path.parent} "
                        f"({counts}) gives {total} experts, expected {full[0]} (shape {full}, found "
                        f"{(total, *full[1:])}): a rank file is missing or extra")
                out[canon] = np.concatenate(parts, axis=0) if len(parts) > 1 else parts[0]
    # Every MoE tensor of one rank must hold the same number of experts.
    for rf in files:
        counts = {rf.tensors[k].shape[0] for k in rf.tensors if _EXPERT_RE.match(k)}
        if len(counts) > 1:
            raise WeightError(f"checkpoint file {rf.path}: expert tensors hold different numbers of experts "
                              f"({sorted(counts)}); expected the same count in every MoE tensor of one rank")
    return out


def load_checkpoint(path: str | Path | Sequence[str | Path], dims: ModelDims | None = None, *,
                    trusted: bool | None = None) -> Weights:
    """Load an M3ViT checkpoint: one file, a directory of per-rank files, or a list of rank files.

    Returns a complete :class:`Weights` of the backbone, plus both task heads
    when the checkpoint has decoders (none of them when it has no ``decoders.*``
    key at all). ``Weights.synthetic`` is empty: everything comes from the
    checkpoint. Raises :class:`WeightError`, naming the file, the key, the
    expected shape and what was found, on any missing or extra rank, missing,
    unknown or misshapen key, non-finite value, or unreadable file. See the
    module docstring for the layouts accepted. ``trusted`` (default: the
    ``EDGEMOE_TRUST_CHECKPOINT`` environment variable) allows full unpickling
    of files that hold Python objects besides tensors.
    """
    d = dims or model_dims()
    if trusted is None:
        trusted = os.environ.get(TRUST_ENV, "") not in ("", "0")
    if isinstance(path, (str, Path)):
        p = Path(path)
        if p.is_dir():
            paths = _rank_files(p)
            source = f"M3ViT checkpoint {p} ({len(paths)} rank file{'s' if len(paths) > 1 else ''})"
        elif p.is_file():
            paths = [p]
            source = f"M3ViT checkpoint {p}"
        else:
            raise WeightError(f"checkpoint {p} does not exist (expected a file or a directory of rank files)")
    else:
        paths = [Path(x) for x in path]
        if not paths:
            raise WeightError("no checkpoint files given (an empty list of rank files)")
        source = f"M3ViT checkpoint, {len(paths)} rank files: {', '.join(map(str, paths))}"

    files = [_normalise(_state_dict(_torch_load(f, trusted), f), f) for f in paths]
    rank0 = files[0]
    bplan, gates = _backbone_plan(d)
    hplan = _head_plan(d)
    exp = expected_shapes(d, heads=False)

    # Classify every key of every file: known, ignored or an error.
    gate_keys = {k for ks in gates.values() for k in ks}
    shared_gates = {f"backbone.blocks.{L}.mlp.gate.w_gate" for L in gates}
    singles = {"backbone.pos_embed", "backbone.cls_token"}
    known = set(bplan) | set(hplan) | gate_keys | shared_gates | singles
    for rf in files:
        unknown = []
        for k in rf.tensors:
            if k in known or _EXPERT_RE.match(k) or _ignored(k):
                continue
            if k.endswith(".w_noise") or k.endswith(".w_noise_aux"):
                raise WeightError(
                    f"checkpoint file {rf.path}: key {rf.name(k)!r} belongs to a NoisyGate (moe_gate_type 'noisy'), "
                    "whose softmax over the top-k logits is not the V-MoE gate ('noisy_vmoe': softmax over all "
                    "experts, top-k probabilities unrenormalised) that this model implements")
            m = re.match(r"^decoders\.([^.]+)\.", k)
            if m and m.group(1) not in HEAD_TASKS:
                raise WeightError(
                    f"checkpoint file {rf.path}: key {rf.name(k)!r} is a head for unknown task {m.group(1)!r}; "
                    f"expected only {', '.join(map(repr, HEAD_TASKS))} (Cityscapes: segmentation and depth)")
            unknown.append(rf.name(k))
        if unknown:
            raise WeightError(f"checkpoint file {rf.path}: {len(unknown)} unknown key(s), not part of the M3ViT "
                              f"Cityscapes model: {', '.join(unknown[:8])}{' ...' if len(unknown) > 8 else ''}")

    tensors: dict[str, np.ndarray] = {}

    def take(key: str, shape: tuple[int, ...], squeeze: bool = False) -> np.ndarray:
        """A non-expert tensor from rank 0, checked against every other rank that repeats it."""
        if key not in rank0.tensors:
            raise WeightError(f"checkpoint file {rank0.path}: key {rank0.name(key)!r} missing (expected float32 {shape}, "
                              f"not found among its {len(rank0.tensors)} keys)")
        a = _array(rank0.tensors[key], rank0, key)
        b = _squeeze_to(a, shape) if squeeze else (a if a.shape == shape else None)
        if b is None:
            raise _shape_error(rank0, key, shape, a.shape)
        for rf in files[1:]:
            if key in rf.tensors:
                o = rf.tensors[key].detach().to(torch.float32).reshape(-1).numpy()
                if o.shape != a.reshape(-1).shape or not np.array_equal(o, a.reshape(-1)):
                    raise WeightError(
                        f"checkpoint file {rf.path}: key {rf.name(key)!r} (shape {tuple(rf.tensors[key].shape)}) "
                        f"differs from the same key in rank 0 file {rank0.path} (shape {a.shape}); non-expert "
                        "tensors must be identical on every rank")
        return b

    # Backbone: plain tensors.
    for key, pl in bplan.items():
        tensors[pl.canon] = take(key, pl.shape)
    # Class token folded into pos_embed row 0.
    pos = take("backbone.pos_embed", exp["pos_embed"], squeeze=True).copy()
    cls = take("backbone.cls_token", (d.embed_dim,), squeeze=True)
    pos[0] = pos[0] + cls
    tensors["pos_embed"] = pos
    # Gates: (d_model, experts) per task, stored transposed as (experts, d_model).
    for L, keys in gates.items():
        shared = f"backbone.blocks.{L}.mlp.gate.w_gate"
        per_task = [k for k in keys if k in rank0.tensors]
        gshape = (d.embed_dim, d.num_experts)
        if shared in rank0.tensors:
            if per_task:
                raise WeightError(f"checkpoint file {rank0.path}: block {L} has both a shared gate "
                                  f"{rank0.name(shared)!r} and per-task gates {rank0.name(per_task[0])!r}..; expected one form")
            g = take(shared, gshape)
            for t in range(d.num_tasks):
                tensors[f"l{L}_w_gate_T_task{t}"] = np.ascontiguousarray(g.T)
        else:
            for t, k in enumerate(keys):
                if k not in rank0.tensors:
                    raise WeightError(f"checkpoint file {rank0.path}: gate key {rank0.name(k)!r} missing for task {t} (expected "
                                      f"float32 {gshape}, one w_gate per task with multi_gate; found neither it nor "
                                      f"a shared {rank0.name(shared)!r})")
                tensors[f"l{L}_w_gate_T_task{t}"] = np.ascontiguousarray(take(k, gshape).T)
    # Experts over the ranks.
    tensors.update(_collect_experts(files, d))
    # Heads: all or nothing.
    has_heads = any(k.startswith("decoders.") and not _ignored(k) for rf in files for k in rf.tensors)
    if has_heads:
        for key, pl in hplan.items():
            tensors[pl.canon] = take(key, pl.shape)

    w = Weights(tensors=tensors, source=source)
    w.check(d, heads=has_heads)
    return w
