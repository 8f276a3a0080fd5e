"""Multiply-accumulate count of the M3ViT backbone, from its dimensions.

The count is per frame and task (one 3x128x256 image through the 12 blocks;
the task only selects the gate matrix, so both tasks cost the same). With
``P`` patches, ``T = P + 1`` tokens, width ``D``, ``H`` heads of ``Dh``,
dense hidden ``Hm``, ``E`` experts of hidden ``He``, top-``k`` routing and
``K = C * patch^2`` inputs per patch::

    patch_embed = P * D * K
    qkv         = T * D * 3D                 per block
    qk          = H * T * T * Dh             per block   (Q K^T)
    av          = H * T * T * Dh             per block   (A V)
    proj        = T * D * D                  per block
    mlp         = T * (D*Hm + Hm*D)          per dense block (even)
    gate        = T * D * E                  per MoE block (odd)
    experts     = k * T * (D*He + He*D)      per MoE block (each token runs k experts)

Only multiply-accumulates of matrix products count. Biases, LayerNorm,
softmax, GELU, the gate's top-k, the expert-score scaling and residual adds
are left out (they are O(T*D) per block, under 0.2% of the total). For the
Cityscapes configuration this gives 782,719,488 MAC (about 0.78 GMAC).
Throughput in operations uses the usual convention 1 MAC = 2 operations.
"""
from __future__ import annotations

from edgemoe.golden.params import ModelDims, model_dims

OPS_PER_MAC = 2
"""Operations counted per multiply-accumulate (one multiply, one add)."""


def mac_breakdown(dims: ModelDims | None = None) -> dict[str, int]:
    """MACs per frame and task by kind of layer, summed over all blocks (see module docstring)."""
    d = dims or model_dims()
    T, D, P = d.num_tokens, d.embed_dim, d.num_patches
    dense = sum(1 for L in range(d.depth) if not d.is_moe(L))
    moe = d.depth - dense
    return {
        "patch_embed": P * D * d.patch_k,
        "qkv": d.depth * T * D * 3 * D,
        "attn_qk": d.depth * d.num_heads * T * T * d.head_dim,
        "attn_av": d.depth * d.num_heads * T * T * d.head_dim,
        "attn_proj": d.depth * T * D * D,
        "dense_mlp": dense * T * 2 * D * d.mlp_hidden,
        "moe_gate": moe * T * D * d.num_experts,
        "moe_experts": moe * d.top_k * T * 2 * D * d.expert_hidden,
    }


def macs_per_frame(dims: ModelDims | None = None) -> int:
    """Total MACs of the backbone per frame and task (782,719,488 for the default dimensions)."""
    return sum(mac_breakdown(dims).values())


def gops(latency_s: float, dims: ModelDims | None = None) -> float:
    """Giga-operations per second (1 MAC = 2 ops) at ``latency_s`` seconds per frame."""
    return OPS_PER_MAC * macs_per_frame(dims) / latency_s / 1e9
