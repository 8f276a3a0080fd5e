"""The whole backbone in fixed point, bit-exact to the hardware contract.

:class:`FixedWeights` quantises a :class:`~.weights.Weights` to integer codes
(round half up, saturate; saturations are counted and reported).
:class:`FixedBackbone` runs the 12 blocks for one task:

* ``x = patch_embed(image)``
* per block L: ``n1 = LN1(x)``; ``q = lin(n1, Wq) (format q, prescaled 1/8)``,
  ``k, v = lin(n1, Wk|Wv)``; ``a = attention(q, k, v)``; ``x = sat(x + lin(a, Wproj))``;
  ``n2 = LN2(x)``; dense: ``x = sat(x + lin(GELU(lin(n2, W1)), W2))``; MoE:
  gate on ``n2``, queues, experts, ``x = sat(x + sum p * expert(n2))``.

Every step is a function of :mod:`edgemoe.golden`'s operator modules; this file
only wires them in the hardware's order.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .attention import attention_fixed
from .fixedpoint import fmt, rowfmt, Scaled
from .layernorm import layernorm_fixed
from .linear import linear_unit
from .moe import build_queues, gate_fixed, moe_reordered
from .params import ModelDims, model_dims
from .patch_embed import patch_embed_fixed
from .weights import Weights

@dataclass
class FixedWeights:
    """Row-scaled integer codes (:class:`~.fixedpoint.Scaled`) of every backbone tensor.

    Matrices get one exponent per output row (format ``w``); bias vectors, LayerNorm
    gamma and beta one exponent per vector (format ``b``). The qkv bias is split
    into its q, k and v vectors (three linear-unit passes, three exponents).
    ``embed_add`` is ``pos_embed`` plus the patch bias on tokens 1..128, one ``b``
    exponent per token. ``saturated`` counts clamped values per tensor.
    """

    codes: dict[str, Scaled]
    saturated: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_float(cls, w: Weights, dims: ModelDims | None = None) -> "FixedWeights":
        d = dims or model_dims()
        wf, bf = rowfmt("w"), rowfmt("b")
        codes: dict[str, Scaled] = {}
        for name, a in w.tensors.items():
            if name.startswith("head_") or name.endswith("x_post_moe") or name in ("pos_embed", "patch_embed_bias"):
                continue
            if name == "patch_embed_weight":
                codes[name] = wf.quantize(a.reshape(d.embed_dim, -1))
            elif name.endswith("qkv_bias"):
                codes[name] = bf.quantize(a.reshape(3, d.embed_dim))
            elif name.endswith("_weight") and a.ndim >= 2 or "w_gate" in name:
                codes[name] = wf.quantize(a)
            else:
                codes[name] = bf.quantize(a)
        add = w["pos_embed"].astype(np.float64).copy()
        add[1:] += w["patch_embed_bias"]
        codes["embed_add"] = bf.quantize(add)
        sat = {n: c.saturated for n, c in codes.items() if c.saturated}
        return cls(codes, sat)

    def __getitem__(self, name: str) -> Scaled:
        return self.codes[name]

    def to_float_weights(self, like: Weights) -> Weights:
        """The float weights these codes stand for (heads copied from ``like``): weight rounding alone."""
        t = {n: a for n, a in like.tensors.items()}
        for n, c in self.codes.items():
            if n == "embed_add":
                continue
            t[n] = c.to_float().reshape(like[n].shape).astype(np.float32)
        add = self.codes["embed_add"].to_float()
        t["pos_embed"] = add.astype(np.float32)
        t["patch_embed_bias"] = np.zeros_like(like["patch_embed_bias"])
        t["pos_embed"][1:] = add[1:]
        return Weights(t, set(like.synthetic), like.source + " (rounded to the fixed-point codes)")


class FixedBackbone:
    """Bit-exact fixed-point M3ViT backbone. ``P`` selects the attention schedule's parallelism."""

    def __init__(self, weights: Weights | FixedWeights, dims: ModelDims | None = None):
        self.d = dims or model_dims()
        self.fw = weights if isinstance(weights, FixedWeights) else FixedWeights.from_float(weights, self.d)

    def embed(self, pix: np.ndarray) -> np.ndarray:
        w = self.fw
        return patch_embed_fixed(pix, w["patch_embed_weight"], w["embed_add"], self.d.patch)

    def attention_block(self, x: np.ndarray, L: int, P: int | None, trace: dict | None) -> np.ndarray:
        d, w = self.d, self.fw
        D, H, Dh = d.embed_dim, d.num_heads, d.head_dim
        p = f"l{L}_"
        n1 = layernorm_fixed(x, w[p + "norm1_weight"], w[p + "norm1_bias"])
        wqkv, bqkv = w[p + "qkv_weight"], w[p + "qkv_bias"]
        q = linear_unit(n1, wqkv[:D], bqkv[0], out="q", prescale_log2=int(np.log2(Dh)) // 2)
        k = linear_unit(n1, wqkv[D:2 * D], bqkv[1])
        v = linear_unit(n1, wqkv[2 * D:], bqkv[2])
        T = x.shape[0]
        at = {} if trace is not None else None
        a = attention_fixed(q.reshape(T, H, Dh), k.reshape(T, H, Dh), v.reshape(T, H, Dh), P, at)
        x = linear_unit(a, w[p + "attn_proj_weight"], w[p + "attn_proj_bias"], resid=x)
        if trace is not None:
            trace.update({p + "norm1": n1, p + "q": q, p + "k": k, p + "v": v, p + "attn_out": a,
                          p + "attn_resid": x})
            trace.update({p + k2: v2 for k2, v2 in at.items()})
        return x

    def mlp_block(self, x: np.ndarray, L: int, task: int, trace: dict | None) -> np.ndarray:
        d, w = self.d, self.fw
        p = f"l{L}_"
        n2 = layernorm_fixed(x, w[p + "norm2_weight"], w[p + "norm2_bias"])
        if trace is not None:
            trace[p + "norm2"] = n2
        if not d.is_moe(L):
            h = linear_unit(n2, w[p + "fc1_weight"], w[p + "fc1_bias"], gelu=True)
            if trace is not None:
                trace[p + "gelu"] = h
            return linear_unit(h, w[p + "fc2_weight"], w[p + "fc2_bias"], resid=x)
        logits, idx, pr = gate_fixed(n2, w[p + f"w_gate_T_task{task}"], d.top_k)
        queues = build_queues(idx, pr, d.num_experts)
        if trace is not None:
            trace.update({p + "gate_logits": logits, p + "topk": idx, p + "gate_p": pr, p + "queues": queues})
        return moe_reordered(x, n2, queues, w[p + "htoh4_weight"], w[p + "htoh4_bias"],
                             w[p + "h4toh_weight"], w[p + "h4toh_bias"])

    def forward(self, pix: np.ndarray, task: int, P: int | None = None, trace: dict | None = None,
                progress: Callable[[int], None] | None = None) -> np.ndarray:
        """pix (3, H, W) ``pix`` codes -> block-11 output (129, 192) act codes.

        ``P`` runs attention group by group with the reordered schedule of
        parallelism P (same bits as the default); ``trace`` collects every
        intermediate tensor; ``progress(L)`` is called after each block.
        """
        d = self.d
        if task not in range(d.num_tasks):
            raise ValueError(f"unknown task {task!r}: expected 0 (seg) or 1 (depth)")
        exp = (d.img_c, d.img_h, d.img_w)
        if tuple(pix.shape) != exp:
            raise ValueError(f"image: expected shape {exp}, got {tuple(pix.shape)}")
        fmt("pix").check(pix, "image pixels")
        x = self.embed(pix)
        if trace is not None:
            trace["embed"] = x
        for L in range(d.depth):
            x = self.attention_block(x, L, P, trace)
            x = self.mlp_block(x, L, task, trace)
            if trace is not None:
                trace[f"l{L}_out"] = x
            if progress is not None:
                progress(L)
        return x


def image_codes(img: np.ndarray) -> np.ndarray:
    """Float image in [0, 1) -> ``pix`` codes (8-bit), exact for 1/256 steps."""
    return fmt("pix").quantize(img)
