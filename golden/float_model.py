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
    """The M3ViT backbone in float32 (or float64) on any torch device, batched.

    ``forward(image, task)`` takes a (3, H, W) image, or a (B, 3, H, W) batch,
    in [0, 1) and returns the (129, 192) (or (B, 129, 192)) output of block 11
    as numpy. ``forward_tensor`` does the same on torch tensors that stay on the
    device (the report's CPU/GPU baselines time it). ``trace`` collects named
    intermediate activations when given a dict.
    """

    def __init__(self, weights: Weights, dims: ModelDims | None = None, dtype: torch.dtype = torch.float32,
                 device: str | torch.device = "cpu"):
        self.d = dims or model_dims()
        self.dtype = dtype
        self.device = torch.device(device)
        self.w = {n: _t(a, dtype).to(self.device) for n, a in weights.tensors.items() if not n.startswith("head_")}

    def embed(self, images: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) -> (B, 129, 192): class-token row, then patches row-major over the grid."""
        d, w = self.d, self.w
        x = F.conv2d(images, w["patch_embed_weight"], w["patch_embed_bias"], stride=d.patch)
        x = x.flatten(2).transpose(1, 2)
        cls = w["pos_embed"][:1].expand(x.shape[0], 1, -1)
        return torch.cat([cls, x + w["pos_embed"][1:]], dim=1)

    def attention(self, x: torch.Tensor, L: int, trace: dict | None = None) -> torch.Tensor:
        d, w = self.d, self.w
        B, T, D = x.shape
        H, Dh = d.num_heads, d.head_dim
        qkv = x @ w[f"l{L}_qkv_weight"].T + w[f"l{L}_qkv_bias"]
        q, k, v = (t.reshape(B, T, H, Dh).transpose(1, 2) for t in qkv.split(D, dim=-1))
        s = (q @ k.transpose(-1, -2)) * (Dh ** -0.5)
        p = torch.softmax(s, dim=-1)
        o = (p @ v).transpose(1, 2).reshape(B, T, D)
        if trace is not None:
            trace[f"l{L}_q"], trace[f"l{L}_k"], trace[f"l{L}_v"] = q, k, v
            trace[f"l{L}_scores"], trace[f"l{L}_probs"], trace[f"l{L}_attn_out"] = s, p, o
        return o @ w[f"l{L}_attn_proj_weight"].T + w[f"l{L}_attn_proj_bias"]

    def moe(self, x: torch.Tensor, L: int, task: int, trace: dict | None = None) -> torch.Tensor:
        d, w = self.d, self.w
        flat = x.reshape(-1, x.shape[-1])
        logits = flat @ w[f"l{L}_w_gate_T_task{task}"].T
        probs = torch.softmax(logits, dim=-1)
        idx = top2_lower_index(logits, d.top_k)
        out = torch.zeros_like(flat)
        for e in range(d.num_experts):
            rows, _slot = torch.nonzero(idx == e, as_tuple=True)
            if rows.numel() == 0:
                continue
            h = F.gelu(flat[rows] @ w[f"l{L}_htoh4_weight"][e].T + w[f"l{L}_htoh4_bias"][e])
            y = h @ w[f"l{L}_h4toh_weight"][e].T + w[f"l{L}_h4toh_bias"][e]
            out.index_add_(0, rows, y * probs[rows, e : e + 1])
        if trace is not None:
            lead = x.shape[:-1]
            trace[f"l{L}_gate_logits"] = logits.reshape(*lead, -1)
            trace[f"l{L}_gate_probs"] = probs.reshape(*lead, -1)
            trace[f"l{L}_topk"] = idx.reshape(*lead, -1)
        return out.reshape(x.shape)

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

    @torch.inference_mode()
    def forward_tensor(self, images: torch.Tensor, task: int, trace: dict | None = None) -> torch.Tensor:
        """(B, 3, H, W) tensor on this model's device -> (B, 129, 192) tensor."""
        if task not in range(self.d.num_tasks):
            raise ValueError(f"unknown task {task!r}: expected 0 (seg) or 1 (depth)")
        x = self.embed(images)
        if trace is not None:
            trace["embed"] = x
        for L in range(self.d.depth):
            x = self.block(x, L, task, trace)
        return x

    def forward(self, image: np.ndarray, task: int, trace: dict | None = None) -> np.ndarray:
        """(3, H, W) or (B, 3, H, W) numpy -> (129, 192) or (B, 129, 192) numpy.

        For a single image the traced tensors have the batch axis removed.
        """
        single = np.ndim(image) == 3
        images = _t(np.asarray(image)[None] if single else image, self.dtype).to(self.device)
        inner: dict | None = {} if trace is not None else None
        y = self.forward_tensor(images, task, inner)
        if trace is not None:
            trace.update({k: (v[0] if single else v).cpu() for k, v in inner.items()})
        y = y.cpu().numpy()
        return y[0] if single else y


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
