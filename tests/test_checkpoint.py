"""M3ViT training-checkpoint loader: round trips in the real key layout, and bad input.

The checkpoints are built here with ``torch.save`` in the layout M3ViT's
``train_fastmoe.py`` writes (``module.backbone.*`` / ``module.decoders.*``
under ``'state_dict'``; per-rank ``{rank}.pth`` files where rank 0 holds the
full state dict and the other ranks only their expert tensors), from seeded
synthetic weights. No shared data is needed.
"""
from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from edgemoe.golden.checkpoint import load_checkpoint
from edgemoe.golden.float_model import FloatBackbone
from edgemoe.golden.params import model_dims
from edgemoe.golden.weights import Weights, WeightError, expected_shapes, fill_synthetic, load_weights

D = model_dims()
MOE_LAYERS = [L for L in range(D.depth) if D.is_moe(L)]
HEAD_TASK = {"seg": "semseg", "depth": "depth"}


# --------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def src() -> Weights:
    """Seeded synthetic weights at realistic scales, heads included (the source of every checkpoint)."""
    return fill_synthetic(Weights(tensors={}), seed=7, heads=True)


@pytest.fixture(scope="module")
def cls_token() -> np.ndarray:
    return np.random.default_rng(11).normal(0, 0.02, D.embed_dim).astype(np.float32)


def expected_from(src: Weights, cls_token: np.ndarray, *, heads: bool = True) -> dict[str, np.ndarray]:
    """What the loader must return: the source with the class token added into pos_embed row 0."""
    exp = {n: a for n, a in src.tensors.items() if heads or not n.startswith("head_")}
    pos = src["pos_embed"].copy()
    pos[0] = pos[0] + cls_token  # float32 + float32, as the loader does
    exp["pos_embed"] = pos
    return exp


def state_dict(src: Weights, cls_token: np.ndarray, *, heads: bool = True, shared_gate: bool = False,
               prefix: str = "module.") -> dict[str, torch.Tensor]:
    """A full M3ViT state dict (all 16 experts) in the real key layout."""
    t = lambda a: torch.from_numpy(np.ascontiguousarray(a)).clone()  # noqa: E731
    sd: dict[str, torch.Tensor] = {}
    b = "backbone."
    sd[b + "cls_token"] = t(cls_token.reshape(1, 1, -1))
    sd[b + "pos_embed"] = t(src["pos_embed"][None])
    sd[b + "patch_embed.proj.weight"] = t(src["patch_embed_weight"])
    sd[b + "patch_embed.proj.bias"] = t(src["patch_embed_bias"])
    for L in range(D.depth):
        k, p = f"{b}blocks.{L}.", f"l{L}_"
        for n in (1, 2):
            sd[f"{k}norm{n}.weight"] = t(src[f"{p}norm{n}_weight"])
            sd[f"{k}norm{n}.bias"] = t(src[f"{p}norm{n}_bias"])
        sd[k + "attn.qkv.weight"] = t(src[p + "qkv_weight"])
        sd[k + "attn.qkv.bias"] = t(src[p + "qkv_bias"])
        sd[k + "attn.proj.weight"] = t(src[p + "attn_proj_weight"])
        sd[k + "attn.proj.bias"] = t(src[p + "attn_proj_bias"])
        if D.is_moe(L):
            for lin in ("htoh4", "h4toh"):
                for kind in ("weight", "bias"):
                    sd[f"{k}mlp.experts.{lin}.{kind}"] = t(src[f"{p}{lin}_{kind}"])
            if shared_gate:
                sd[k + "mlp.gate.w_gate"] = t(src[p + "w_gate_T_task0"].T)
            else:
                for task in range(D.num_tasks):
                    sd[f"{k}mlp.gate.{task}.w_gate"] = t(src[f"{p}w_gate_T_task{task}"].T)
        else:
            for n in (1, 2):
                sd[f"{k}mlp.fc{n}.weight"] = t(src[f"{p}fc{n}_weight"])
                sd[f"{k}mlp.fc{n}.bias"] = t(src[f"{p}fc{n}_bias"])
    if heads:
        for short, task in HEAD_TASK.items():
            k, p = f"decoders.{task}.", f"head_{short}_"
            sd[k + "norm.weight"] = t(src[p + "norm_weight"])
            sd[k + "norm.bias"] = t(src[p + "norm_bias"])
            for i in range(5):
                sd[f"{k}conv_{i}.weight"] = t(src[f"{p}conv_{i}_weight"])
                sd[f"{k}conv_{i}.bias"] = t(src[f"{p}conv_{i}_bias"])
            for i in range(4):
                for ck, cn in (("weight", "weight"), ("bias", "bias"), ("running_mean", "mean"), ("running_var", "var")):
                    sd[f"{k}syncbn_fc_{i}.{ck}"] = t(src[f"{p}bn_{i}_{cn}"])
                sd[f"{k}syncbn_fc_{i}.num_batches_tracked"] = torch.tensor(1234)
    return {prefix + k: v for k, v in sd.items()}


def is_expert_key(k: str) -> bool:
    return "mlp.experts.htoh4" in k or "mlp.experts.h4toh" in k


def split_ranks(sd: dict[str, torch.Tensor], world: int, *, full_on_every_rank: bool = False) -> list[dict]:
    """Per-rank state dicts as M3ViT's save_moe_model_to_dir writes them (rank > 0: experts only)."""
    n = D.num_experts // world
    out = []
    for r in range(world):
        rank_sd = {}
        for k, v in sd.items():
            if is_expert_key(k):
                rank_sd[k] = v[r * n:(r + 1) * n].clone()
            elif r == 0 or full_on_every_rank:
                rank_sd[k] = v
        out.append(rank_sd)
    return out


def save(obj: object, path: Path) -> Path:
    torch.save(obj, path)
    return path


def wrap(sd: dict, epoch: int = 3) -> dict:
    """The checkpoint dict M3ViT saves around the state dict (numpy floats in best_result, as eval produces)."""
    return {"epoch": epoch, "backbone": "VisionTransformer_moe", "state_dict": sd,
            "best_result": {"multi_task_performance": np.float64(-1.5), "semseg": {"mIoU": np.float32(0.61)}}}


def write_rank_dir(dirpath: Path, ranks: list[dict]) -> Path:
    dirpath.mkdir(parents=True, exist_ok=True)
    for r, sd in enumerate(ranks):
        save(wrap(sd), dirpath / f"{r}.pth")
    return dirpath


def assert_same(w: Weights, exp: dict[str, np.ndarray]) -> None:
    assert set(w.tensors) == set(exp), sorted(set(w.tensors) ^ set(exp))[:10]
    for n, a in exp.items():
        got = w.tensors[n]
        assert got.dtype == np.float32, n
        assert got.shape == a.shape, (n, got.shape, a.shape)
        assert np.array_equal(got, a), f"{n} differs from the source"


def image(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 256, (D.img_c, D.img_h, D.img_w)) / 256.0).astype(np.float32)


def err_of(fn, *args, **kw) -> str:
    with pytest.raises(WeightError) as ei:
        fn(*args, **kw)
    return str(ei.value)


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("world", [1, 2, 4])
def test_rank_directory_round_trip(tmp_path, src, cls_token, world):
    """{rank}.pth files as M3ViT writes them load back bit-exact, cls_token folded, gates transposed."""
    d = write_rank_dir(tmp_path / "best_model.pth.tar", split_ranks(state_dict(src, cls_token), world))
    w = load_checkpoint(d)
    assert_same(w, expected_from(src, cls_token))
    assert w.synthetic == set()
    assert "best_model.pth.tar" in w.source and f"{world} rank file" in w.source
    # The two conversions, spelled out.
    assert np.array_equal(w["pos_embed"][0], src["pos_embed"][0] + cls_token)
    assert not np.array_equal(w["pos_embed"][0], src["pos_embed"][0])
    assert np.array_equal(w["pos_embed"][1:], src["pos_embed"][1:])
    for L in MOE_LAYERS:
        for t in range(D.num_tasks):
            g = state_dict(src, cls_token)[f"module.backbone.blocks.{L}.mlp.gate.{t}.w_gate"].numpy()
            assert g.shape == (D.embed_dim, D.num_experts)
            assert np.array_equal(w[f"l{L}_w_gate_T_task{t}"], g.T)


@pytest.mark.parametrize("names", [["ckpt_rank0.pt", "ckpt_rank1.pt"],
                                   ["model_0.pth", "model_1.pth", "model_2.pth", "model_3.pth"]])
def test_rank_file_list_and_named_directory(tmp_path, src, cls_token, names):
    """A list of files in rank order, and a directory whose names carry the rank, give the same weights."""
    ranks = split_ranks(state_dict(src, cls_token), len(names))
    d = tmp_path / "ck"
    d.mkdir()
    paths = [save(wrap(sd), d / n) for n, sd in zip(names, ranks)]
    exp = expected_from(src, cls_token)
    assert_same(load_checkpoint(paths), exp)
    assert_same(load_checkpoint([str(p) for p in paths]), exp)
    assert_same(load_checkpoint(d), exp)


def test_rank_order_matters(tmp_path, src, cls_token):
    """Experts are concatenated in rank order: swapping the rank files swaps the expert halves."""
    ranks = split_ranks(state_dict(src, cls_token), 2, full_on_every_rank=True)
    p0, p1 = save(wrap(ranks[0]), tmp_path / "a.pth"), save(wrap(ranks[1]), tmp_path / "b.pth")
    w = load_checkpoint([p1, p0])
    a = w["l1_htoh4_weight"]
    assert np.array_equal(a[:8], src["l1_htoh4_weight"][8:]) and np.array_equal(a[8:], src["l1_htoh4_weight"][:8])


def test_float_backbone_identical_on_round_trip(tmp_path, src, cls_token):
    """FloatBackbone gives identical outputs on the source and the round-tripped weights, for both tasks.

    (The heads' tensors are compared bit-exact in the round-trip tests; running
    FloatHead here would cost 8x the backbone for no extra coverage.)
    """
    d = write_rank_dir(tmp_path / "ck", split_ranks(state_dict(src, cls_token), 4))
    w = load_checkpoint(d)
    ref = Weights(tensors=expected_from(src, cls_token))
    img = image(3)
    for task in range(D.num_tasks):
        a = FloatBackbone(ref).forward(img, task)
        b = FloatBackbone(w).forward(img, task)
        assert np.isfinite(a).all() and np.array_equal(a, b)
    # The fold matters: without the class token, token 0 (and so the output) would differ.
    assert not np.array_equal(FloatBackbone(src).forward(img, 0), FloatBackbone(w).forward(img, 0))


def test_single_file_variants(tmp_path, src, cls_token):
    """One file, all experts; nested under 'model', at top level, with or without 'module.', float64."""
    exp = expected_from(src, cls_token)
    sd = state_dict(src, cls_token)
    assert_same(load_checkpoint(save({"model": sd}, tmp_path / "a.pth")), exp)
    assert_same(load_checkpoint(save({"model": {"state_dict": sd}}, tmp_path / "b.pt")), exp)
    plain = state_dict(src, cls_token, prefix="")
    assert_same(load_checkpoint(save(plain, tmp_path / "c.pth")), exp)
    double = {"module." + k: v.double() if v.is_floating_point() else v for k, v in sd.items()}
    assert_same(load_checkpoint(save(double, tmp_path / "d.ckpt")), exp)
    # A directory holding one checkpoint file is read as rank 0 whatever its name.
    one = tmp_path / "one"
    one.mkdir()
    save(wrap(sd), one / "checkpoint.pth.tar")
    (one / "log_file.txt").write_text("not a checkpoint")
    assert_same(load_checkpoint(one), exp)


def test_shared_gate_used_for_both_tasks(tmp_path, src, cls_token):
    """A single mlp.gate.w_gate (multi_gate off) is transposed into both task gates."""
    w = load_checkpoint(save(wrap(state_dict(src, cls_token, shared_gate=True)), tmp_path / "g.pth"))
    for L in MOE_LAYERS:
        assert np.array_equal(w[f"l{L}_w_gate_T_task0"], src[f"l{L}_w_gate_T_task0"])
        assert np.array_equal(w[f"l{L}_w_gate_T_task1"], src[f"l{L}_w_gate_T_task0"])


def test_training_only_keys_ignored(tmp_path, src, cls_token):
    """BN counters, w_gate_aux, TAM modules and multi-level side outputs are skipped, not errors."""
    sd = state_dict(src, cls_token)
    sd["module.backbone.blocks.1.mlp.gate.0.w_gate_aux"] = torch.zeros(192, 16)
    sd["module.tam_model0.layers0.0.weight"] = torch.zeros(256, 512, 3, 3)
    sd["module.decoders.semseg.output_level_0.weight"] = torch.zeros(7, 256, 1, 1)
    assert_same(load_checkpoint(save(wrap(sd), tmp_path / "x.pth")), expected_from(src, cls_token))


def test_backbone_only_checkpoint_gets_synthetic_heads(tmp_path, src, cls_token):
    """No decoders at all: the loader returns the backbone; load_weights fills the heads as synthetic."""
    exp = expected_from(src, cls_token, heads=False)
    p = save(wrap(state_dict(src, cls_token, heads=False)), tmp_path / "bb.pth")
    w = load_checkpoint(p)
    assert_same(w, exp)
    full = load_weights(p)
    heads = {n for n in expected_shapes() if n.startswith("head_")}
    assert full.synthetic == heads
    assert all(np.array_equal(full[n], a) for n, a in exp.items())
    # A bare backbone state dict (no backbone. prefix, as pretrained-backbone files) too.
    bare = {k.replace("module.backbone.", "module."): v for k, v in state_dict(src, cls_token, heads=False).items()}
    assert_same(load_checkpoint(save(bare, tmp_path / "bare.pth")), exp)


def test_load_weights_dispatches_to_checkpoint(tmp_path, src, cls_token):
    """load_weights takes a rank directory or a file and loads it complete, nothing synthetic."""
    d = write_rank_dir(tmp_path / "ck", split_ranks(state_dict(src, cls_token), 2))
    w = load_weights(d)
    assert w.synthetic == set()
    assert_same(w, expected_from(src, cls_token))


def test_python_objects_need_trust(tmp_path, src, cls_token, monkeypatch):
    """Non-tensor objects are refused by weights-only loading unless the file is trusted."""
    obj = wrap(state_dict(src, cls_token))
    obj["args"] = argparse.Namespace(lr=0.001, multi_gate=True)
    p = save(obj, tmp_path / "args.pth")
    monkeypatch.delenv("EDGEMOE_TRUST_CHECKPOINT", raising=False)
    msg = err_of(load_checkpoint, p)
    assert str(p) in msg and "argparse.Namespace" in msg and "trusted=True" in msg
    assert_same(load_checkpoint(p, trusted=True), expected_from(src, cls_token))
    monkeypatch.setenv("EDGEMOE_TRUST_CHECKPOINT", "1")
    assert_same(load_checkpoint(p), expected_from(src, cls_token))


def test_legacy_format_written_with_numpy_1(tmp_path, src, cls_token):
    """A legacy (non-zip) file whose numpy scalars name numpy.core (numpy 1.x, M3ViT's era) loads weights-only."""
    p = tmp_path / "old.pth"
    torch.save(wrap(state_dict(src, cls_token)), p, _use_new_zipfile_serialization=False)
    raw = p.read_bytes()
    assert b"numpy._core.multiarray\nscalar" in raw
    p.write_bytes(raw.replace(b"numpy._core.multiarray\nscalar", b"numpy.core.multiarray\nscalar"))
    assert_same(load_checkpoint(p, trusted=False), expected_from(src, cls_token))
    # A legacy file with other Python objects is refused as such, not reported as corrupt.
    obj = wrap(state_dict(src, cls_token, heads=False))
    obj["args"] = argparse.Namespace(lr=0.1)
    q = tmp_path / "old_args.pth"
    torch.save(obj, q, _use_new_zipfile_serialization=False)
    msg = err_of(load_checkpoint, q, trusted=False)
    assert "argparse.Namespace" in msg and "trusted=True" in msg and "corrupt" not in msg


# --------------------------------------------------------------------------- bad input


def test_missing_last_rank_file(tmp_path, src, cls_token):
    """4 ranks saved, the last file lost: 12 experts instead of 16 is an error naming key and counts."""
    d = write_rank_dir(tmp_path / "ck", split_ranks(state_dict(src, cls_token), 4))
    (d / "3.pth").unlink()
    msg = err_of(load_checkpoint, d)
    assert "module.backbone.blocks.1.mlp.experts.htoh4.weight" in msg
    assert "12 experts" in msg and "expected 16" in msg and "(16, 384, 192)" in msg and "(12, 384, 192)" in msg
    assert "0.pth: 4" in msg and str(d) in msg


def test_missing_middle_rank_file(tmp_path, src, cls_token):
    d = write_rank_dir(tmp_path / "ck", split_ranks(state_dict(src, cls_token), 4))
    (d / "1.pth").unlink()
    msg = err_of(load_checkpoint, d)
    assert str(d) in msg and "rank 1 missing" in msg and "found ranks 0, 2, 3" in msg


def test_missing_rank_file_in_list(tmp_path, src, cls_token):
    ranks = split_ranks(state_dict(src, cls_token), 2)
    p0 = save(wrap(ranks[0]), tmp_path / "r0.pth")
    msg = err_of(load_checkpoint, [p0, tmp_path / "r1.pth"])
    assert "missing checkpoint file" in msg and str(tmp_path / "r1.pth") in msg


def test_extra_rank_file(tmp_path, src, cls_token):
    """A fifth rank file (experts adding up to 20) is an error, not silently dropped."""
    ranks = split_ranks(state_dict(src, cls_token), 4)
    d = write_rank_dir(tmp_path / "ck", ranks + [ranks[3]])
    msg = err_of(load_checkpoint, d)
    assert "20 experts" in msg and "expected 16" in msg


def test_wrong_shape(tmp_path, src, cls_token):
    sd = state_dict(src, cls_token)
    sd["module.backbone.blocks.2.attn.qkv.weight"] = torch.zeros(576, 191)
    p = save(wrap(sd), tmp_path / "bad.pth")
    msg = err_of(load_checkpoint, p)
    assert str(p) in msg and "'module.backbone.blocks.2.attn.qkv.weight'" in msg
    assert "expected shape (576, 192)" in msg and "found (576, 191)" in msg


def test_wrong_expert_shape_in_rank_file(tmp_path, src, cls_token):
    ranks = split_ranks(state_dict(src, cls_token), 2)
    ranks[1]["module.backbone.blocks.5.mlp.experts.h4toh.weight"] = torch.zeros(8, 192, 383)
    d = write_rank_dir(tmp_path / "ck", ranks)
    msg = err_of(load_checkpoint, d)
    assert str(d / "1.pth") in msg and "blocks.5.mlp.experts.h4toh.weight" in msg
    assert "expected shape (n_local, 192, 384)" in msg and "found (8, 192, 383)" in msg


def test_uneven_expert_split_within_a_rank(tmp_path, src, cls_token):
    """Totals of 16 everywhere but a rank whose weight and bias hold different experts: an error."""
    ranks = split_ranks(state_dict(src, cls_token), 2)
    k = "module.backbone.blocks.3.mlp.experts.htoh4.bias"
    full = state_dict(src, cls_token)[k]
    ranks[0][k], ranks[1][k] = full[:9].clone(), full[9:].clone()
    d = write_rank_dir(tmp_path / "ck", ranks)
    msg = err_of(load_checkpoint, d)
    assert str(d / "0.pth") in msg and "different numbers of experts ([8, 9])" in msg


def test_wrong_head_shape_and_pos_embed(tmp_path, src, cls_token):
    sd = state_dict(src, cls_token)
    sd["module.decoders.semseg.conv_4.weight"] = torch.zeros(19, 256, 1, 1)  # Cityscapes-19, not the 7 classes
    msg = err_of(load_checkpoint, save(sd, tmp_path / "h.pth"))
    assert "decoders.semseg.conv_4.weight" in msg and "(7, 256, 1, 1)" in msg and "(19, 256, 1, 1)" in msg
    sd = state_dict(src, cls_token)
    sd["module.backbone.pos_embed"] = torch.zeros(1, 197, 192)  # a 224x224 ViT
    msg = err_of(load_checkpoint, save(sd, tmp_path / "p.pth"))
    assert "backbone.pos_embed" in msg and "(129, 192)" in msg and "(1, 197, 192)" in msg


def test_truncated_file(tmp_path, src, cls_token):
    p = save(wrap(state_dict(src, cls_token)), tmp_path / "t.pth")
    data = p.read_bytes()
    for n in (len(data) // 2, len(data) - 40, 100, 0):
        p.write_bytes(data[:n])
        msg = err_of(load_checkpoint, p)
        assert str(p) in msg and f"({n} bytes)" in msg and "truncated or corrupt" in msg


def test_truncated_rank_file_loads_nothing(tmp_path, src, cls_token):
    """Rank 0 intact, rank 2 truncated: an error, never the weights of the readable ranks."""
    d = write_rank_dir(tmp_path / "ck", split_ranks(state_dict(src, cls_token), 4))
    f = d / "2.pth"
    f.write_bytes(f.read_bytes()[:5000])
    msg = err_of(load_checkpoint, d)
    assert str(f) in msg and "truncated or corrupt" in msg


def test_garbage_and_non_state_dict(tmp_path):
    g = tmp_path / "g.pth"
    g.write_bytes(b"this is not a checkpoint " * 40)
    assert str(g) in err_of(load_checkpoint, g)
    t = save(torch.zeros(3), tmp_path / "tensor.pth")
    msg = err_of(load_checkpoint, t)
    assert str(t) in msg and "expected a state dict" in msg and "found Tensor" in msg


def test_unknown_task_head(tmp_path, src, cls_token):
    sd = state_dict(src, cls_token)
    sd["module.decoders.normals.conv_0.weight"] = torch.zeros(256, 192, 3, 3)
    p = save(wrap(sd), tmp_path / "n.pth")
    msg = err_of(load_checkpoint, p)
    assert str(p) in msg and "'module.decoders.normals.conv_0.weight'" in msg
    assert "unknown task 'normals'" in msg and "'semseg'" in msg and "'depth'" in msg


def test_unknown_backbone_key(tmp_path, src, cls_token):
    sd = state_dict(src, cls_token)
    sd["module.backbone.norm.weight"] = torch.ones(192)  # a final norm the model does not have
    p = save(sd, tmp_path / "u.pth")
    msg = err_of(load_checkpoint, p)
    assert str(p) in msg and "unknown key" in msg and "module.backbone.norm.weight" in msg


@pytest.mark.parametrize("key,shape", [
    ("backbone.blocks.5.attn.proj.bias", "(192,)"),
    ("backbone.cls_token", "(192,)"),
    ("backbone.blocks.4.mlp.fc2.weight", "(192, 768)"),
    ("decoders.depth.syncbn_fc_2.running_var", "(256,)"),
])
def test_missing_key(tmp_path, src, cls_token, key, shape):
    sd = state_dict(src, cls_token)
    del sd["module." + key]
    p = save(wrap(sd), tmp_path / "m.pth")
    msg = err_of(load_checkpoint, p)
    assert str(p) in msg and f"'module.{key}' missing" in msg and shape in msg


def test_missing_gate_and_expert_keys(tmp_path, src, cls_token):
    sd = state_dict(src, cls_token)
    del sd["module.backbone.blocks.7.mlp.gate.1.w_gate"]
    msg = err_of(load_checkpoint, save(sd, tmp_path / "g.pth"))
    assert "'module.backbone.blocks.7.mlp.gate.1.w_gate' missing for task 1" in msg and "(192, 16)" in msg
    ranks = split_ranks(state_dict(src, cls_token), 2)
    del ranks[1]["module.backbone.blocks.9.mlp.experts.htoh4.bias"]
    d = write_rank_dir(tmp_path / "ck", ranks)
    msg = err_of(load_checkpoint, d)
    assert str(d / "1.pth") in msg and "'module.backbone.blocks.9.mlp.experts.htoh4.bias' missing" in msg
    assert "(n_local, 384)" in msg


def test_incomplete_head_is_an_error(tmp_path, src, cls_token):
    """With decoders present, a head missing entirely is an error, not a synthetic fill."""
    sd = {k: v for k, v in state_dict(src, cls_token).items() if ".decoders.depth." not in k}
    msg = err_of(load_weights, save(sd, tmp_path / "h.pth"))
    assert "decoders.depth." in msg and "missing" in msg


def test_non_expert_tensors_must_agree_across_ranks(tmp_path, src, cls_token):
    ranks = split_ranks(state_dict(src, cls_token), 2, full_on_every_rank=True)
    ranks[1] = dict(ranks[1])
    ranks[1]["module.backbone.blocks.0.norm1.weight"] = ranks[1]["module.backbone.blocks.0.norm1.weight"] + 1e-3
    d = write_rank_dir(tmp_path / "ck", ranks)
    msg = err_of(load_checkpoint, d)
    assert str(d / "1.pth") in msg and str(d / "0.pth") in msg and "blocks.0.norm1.weight" in msg
    assert "identical on every rank" in msg


def test_non_finite_and_integer_tensors(tmp_path, src, cls_token):
    sd = state_dict(src, cls_token)
    sd["module.backbone.blocks.3.mlp.experts.htoh4.weight"][5, 0, 0] = float("nan")
    msg = err_of(load_checkpoint, save(sd, tmp_path / "nan.pth"))
    assert "blocks.3.mlp.experts.htoh4.weight" in msg and "non-finite" in msg
    sd = state_dict(src, cls_token)
    sd["module.backbone.patch_embed.proj.bias"] = torch.zeros(192, dtype=torch.int64)
    msg = err_of(load_checkpoint, save(sd, tmp_path / "int.pth"))
    assert "patch_embed.proj.bias" in msg and "torch.int64" in msg


def test_noisy_gate_and_double_gate_rejected(tmp_path, src, cls_token):
    sd = state_dict(src, cls_token, shared_gate=True)
    sd["module.backbone.blocks.1.mlp.gate.w_noise"] = torch.zeros(192, 16)
    msg = err_of(load_checkpoint, save(sd, tmp_path / "noisy.pth"))
    assert "w_noise" in msg and "NoisyGate" in msg
    sd = state_dict(src, cls_token)
    sd["module.backbone.blocks.3.mlp.gate.w_gate"] = torch.zeros(192, 16)
    msg = err_of(load_checkpoint, save(sd, tmp_path / "both.pth"))
    assert "both a shared gate" in msg and "blocks.3.mlp.gate.w_gate" in msg


def test_bad_directories(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "holds no checkpoint files" in err_of(load_checkpoint, empty)
    assert "does not exist" in err_of(load_checkpoint, tmp_path / "nowhere")
    assert "empty list" in err_of(load_checkpoint, [])
    odd = tmp_path / "odd"
    odd.mkdir()
    for n in ("0.pth", "final.pth"):
        save({"x": torch.zeros(1)}, odd / n)
    msg = err_of(load_checkpoint, odd)
    assert "cannot tell the rank of final.pth" in msg
    dup = tmp_path / "dup"
    dup.mkdir()
    for n in ("0.pth", "rank0.pt"):
        save({"x": torch.zeros(1)}, dup / n)
    assert re.search(r"both claim rank 0", err_of(load_checkpoint, dup))
