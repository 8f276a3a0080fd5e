"""The project's one source of hardware parameters, read from ``params.toml``.

Model dimensions, fixed-point formats, parallelism and table-generation rules
live in ``params.toml`` next to this module. The golden model reads them from
here; the generators in :mod:`edgemoe.golden.gen` turn them into the
SystemVerilog package, the C++ header and the table memory files.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PARAMS_PATH = Path(__file__).with_name("params.toml")


@dataclass(frozen=True)
class ModelDims:
    """M3ViT backbone dimensions (Cityscapes configuration)."""

    img_h: int
    img_w: int
    img_c: int
    patch: int
    embed_dim: int
    num_heads: int
    head_dim: int
    depth: int
    mlp_hidden: int
    num_experts: int
    expert_hidden: int
    top_k: int
    num_tasks: int
    ln_eps: float
    seg_classes: int
    head_channels: int

    @property
    def grid_h(self) -> int:
        return self.img_h // self.patch

    @property
    def grid_w(self) -> int:
        return self.img_w // self.patch

    @property
    def num_patches(self) -> int:
        return self.grid_h * self.grid_w

    @property
    def num_tokens(self) -> int:
        """Patches plus the class-token row."""
        return self.num_patches + 1

    @property
    def patch_k(self) -> int:
        """Inputs per patch-embedding output (C * patch * patch)."""
        return self.img_c * self.patch * self.patch

    def is_moe(self, layer: int) -> bool:
        """Odd blocks are MoE blocks; even blocks have a dense MLP."""
        return layer % 2 == 1


@lru_cache(maxsize=None)
def load_raw(path: Path = PARAMS_PATH) -> dict:
    """The parsed TOML, unmodified."""
    with open(path, "rb") as f:
        return tomllib.load(f)


@lru_cache(maxsize=None)
def model_dims() -> ModelDims:
    return ModelDims(**load_raw()["model"])


TASKS = ("seg", "depth")
"""Task names, by task index (0 = semantic segmentation, 1 = depth)."""
