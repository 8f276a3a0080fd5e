"""Float reference of the M3ViT Cityscapes backbone and its two task heads (PyTorch).

This is the model the fixed-point golden is measured against. It follows
BRIEF.md exactly: pixels in [0, 1) without normalisation; Conv2d patch
embedding; token 0 is ``pos_embed[0]`` alone; 12 pre-norm blocks with exact
(erf) GELU; dense MLP on even blocks; on odd blocks a task-gated MoE with a
softmax over all 16 expert logits, the top-2 logits (ties to the lower index)
and each chosen expert scaled by its full-softmax probability, unrenormalised.
No final norm. Heads: drop token 0, LayerNorm, 4 x (conv3x3 + BN + ReLU) with
x2 bilinear upsampling (align_corners=False) in M3ViT's order, 1x1 conv.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .params import TASKS, ModelDims, model_dims
from .weights import Weights


def _t(a: np.ndarray, dtype: torch.dtype) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a)).to(dtype)


def top2_lower_index(logits: torch.Tensor, k: int) -> torch.Tensor:
    """Indices of the k largest logits per row; ties go to the lower index.

    ``torch.topk`` does not promise an order among equal values, so the
    selection is done by a stable descending sort.
    """
    return torch.sort(logits, dim=-1, descending=True, stable=True).indices[..., :k]


class FloatBackbone:
    """The M3ViT backbone in float32 (or float64) on the CPU.

    ``forward(image, task)`` takes a (3, H, W) image in [0, 1) and returns the
    (129, 192) output of block 11. ``trace`` collects named intermediate
    activations when given a dict.
    """

    def __init__(self, weights: Weights, dims: ModelDims | None = None, dtype: torch.dtype = torch.float32):
        self.d = dims or model_dims()
        self.dtype = dtype
        self.w = {n: _t(a, dtype) for n, a in weights.tensors.items() if not n.startswith("head_")}

    def embed(self, image: torch.Tensor) -> torch.Tensor:
        d, w = self.d, self.w
        x = F.conv2d(image[None], w["patch_embed_weight"], w["patch_embed_bias"], stride=d.patch)
        x = x[0].flatten(1).T  # (128, 192), row-major over the 8x16 grid
        return torch.cat([w["pos_embed"][:1], x + w["pos_embed"][1:]], dim=0)

    def attention(self, x: torch.Tensor, L: int, trace: dict | None = None) -> torch.Tensor:
        d, w = self.d, self.w
        T, H, Dh = x.shape[0], d.num_heads, d.head_dim
        qkv = x @ w[f"l{L}_qkv_weight"].T + w[f"l{L}_qkv_bias"]
        q, k, v = qkv.split(d.embed_dim, dim=-1)
        q = q.reshape(T, H, Dh).transpose(0, 1)
        k = k.reshape(T, H, Dh).transpose(0, 1)
        v = v.reshape(T, H, Dh).transpose(0, 1)
        s = (q @ k.transpose(-1, -2)) * (Dh ** -0.5)
        p = torch.softmax(s, dim=-1)
        o = (p @ v).transpose(0, 1).reshape(T, d.embed_dim)
        if trace is not None:
            trace[f"l{L}_q"], trace[f"l{L}_k"], trace[f"l{L}_v"] = q, k, v
            trace[f"l{L}_scores"], trace[f"l{L}_probs"], trace[f"l{L}_attn_out"] = s, p, o
        return o @ w[f"l{L}_attn_proj_weight"].T + w[f"l{L}_attn_proj_bias"]

    def moe(self, x: torch.Tensor, L: int, task: int, trace: dict | None = None) -> torch.Tensor:
        d, w = self.d, self.w
        logits = x @ w[f"l{L}_w_gate_T_task{task}"].T
        probs = torch.softmax(logits, dim=-1)
        idx = top2_lower_index(logits, d.top_k)
        out = torch.zeros_like(x)
        for e in range(d.num_experts):
            rows, slot = torch.nonzero(idx == e, as_tuple=True)
            if rows.numel() == 0:
                continue
            h = F.gelu(x[rows] @ w[f"l{L}_htoh4_weight"][e].T + w[f"l{L}_htoh4_bias"][e])
            y = h @ w[f"l{L}_h4toh_weight"][e].T + w[f"l{L}_h4toh_bias"][e]
            out.index_add_(0, rows, y * probs[rows, e : e + 1])
        if trace is not None:
            trace[f"l{L}_gate_logits"], trace[f"l{L}_gate_probs"], trace[f"l{L}_topk"] = logits, probs, idx
        return out

    def mlp(self, x: torch.Tensor, L: int, trace: dict | None = None) -> torch.Tensor:
        w = self.w
        h = x @ w[f"l{L}_fc1_weight"].T + w[f"l{L}_fc1_bias"]
        if trace is not None:
            trace[f"l{L}_fc1"] = h
        return F.gelu(h) @ w[f"l{L}_fc2_weight"].T + w[f"l{L}_fc2_bias"]

    def block(self, x: torch.Tensor, L: int, task: int, trace: dict | None = None) -> torch.Tensor:
        d, w = self.d, self.w
        D = (d.embed_dim,)
        n1 = F.layer_norm(x, D, w[f"l{L}_norm1_weight"], w[f"l{L}_norm1_bias"], eps=d.ln_eps)
        x = x + self.attention(n1, L, trace)
        n2 = F.layer_norm(x, D, w[f"l{L}_norm2_weight"], w[f"l{L}_norm2_bias"], eps=d.ln_eps)
        if trace is not None:
            trace[f"l{L}_norm1"], trace[f"l{L}_norm2"] = n1, n2
        x = x + (self.moe(n2, L, task, trace) if d.is_moe(L) else self.mlp(n2, L, trace))
        if trace is not None:
            trace[f"l{L}_out"] = x
        return x

    @torch.no_grad()
    def forward(self, image: np.ndarray, task: int, trace: dict | None = None) -> np.ndarray:
        if task not in range(self.d.num_tasks):
            raise ValueError(f"unknown task {task!r}: expected 0 (seg) or 1 (depth)")
        x = self.embed(_t(image, self.dtype))
        if trace is not None:
            trace["embed"] = x
        for L in range(self.d.depth):
            x = self.block(x, L, task, trace)
        return x.numpy()


class FloatHead:
    """One task head (M3ViT's VisionTransformerUpHead, num_conv=4, 4 upsamplings) in eval mode."""

    def __init__(self, weights: Weights, task: str, dims: ModelDims | None = None):
        if task not in TASKS:
            raise ValueError(f"unknown task {task!r}: expected one of {TASKS}")
        self.d = dims or model_dims()
        self.task = task
        p = f"head_{task}_"
        self.w = {n[len(p):]: _t(a, torch.float32) for n, a in weights.tensors.items() if n.startswith(p)}

    @torch.no_grad()
    def forward(self, feats: np.ndarray) -> np.ndarray:
        """(129, 192) backbone output -> (C, H, W) logits (seg) or depth map (1, H, W)."""
        d, w = self.d, self.w
        x = torch.from_numpy(np.asarray(feats, np.float32))[1:]
        x = F.layer_norm(x, (d.embed_dim,), w["norm_weight"], w["norm_bias"], eps=d.ln_eps)
        x = x.T.reshape(1, d.embed_dim, d.grid_h, d.grid_w)
        for i in range(4):
            x = F.conv2d(x, w[f"conv_{i}_weight"], w[f"conv_{i}_bias"], padding=1)
            x = F.batch_norm(x, w[f"bn_{i}_mean"], w[f"bn_{i}_var"], w[f"bn_{i}_weight"], w[f"bn_{i}_bias"],
                             training=False, eps=1e-5)
            x = F.relu(x)
            if i < 3:
                x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        x = F.conv2d(x, w["conv_4_weight"], w["conv_4_bias"])
        x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        return x[0].numpy()
