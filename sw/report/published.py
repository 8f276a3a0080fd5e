"""Published figures: the literature's numbers, shown as their own group, never as our measurements.

Each figure keeps the wording of its claim: ``relative_to`` is ``"absolute"``
for an absolute number (latency in ms, frames/s, W, GOPS/W) and names the
baseline of a ratio otherwise. ``citation`` is the full reference (authors,
title, venue, year, arXiv id) and ``where`` the part of the source the value
is taken from, so a reader can check it.

Absolute numbers are listed only where the source states them in the part we
read (the abstracts; the project brief for the load-aware design). The
original's absolute latency, board power and GOPS/W are in the tables of its
paper, which this kit has not transcribed yet: :data:`NOT_TRANSCRIBED` says
so in every report instead of guessing them.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

EDGE_MOE = ("R. Sarkar, H. Liang, Z. Fan, Z. Wang, C. Hao, \"Edge-MoE: Memory-Efficient Multi-Task Vision "
            "Transformer Architecture with Task-level Sparsity via Mixture-of-Experts\", ICCAD 2023, "
            "arXiv:2305.18691")
UBIMOE = ("J. Dong, W. Lou, Z. Zheng, Y. Qin, L. Gong, C. Wang, X. Zhou, \"UbiMoE: A Ubiquitous Mixture-of-Experts "
          "Vision Transformer Accelerator With Hybrid Computation Pattern on FPGA\", arXiv:2502.05602, 2025")
COQMOE = ("J. Dong, H. Wu, Z. Wang, W. Lou, Z. Zheng, L. Gong, C. Wang, X. Zhou, \"CoQMoE: Co-Designed Quantization "
          "and Computation Orchestration for Mixture-of-Experts Vision Transformer on FPGA\", arXiv:2506.08496, 2025")
LOAD_AWARE = ("a load-aware MoE ViT accelerator on the same class of board, as quoted by the project brief "
              "(BRIEF.md, \"Numbers to beat\"); the paper's full reference is not recorded in this kit yet")


@dataclass(frozen=True)
class PublishedFigure:
    """One published number: design, platform, what was measured, value and unit, and the claim's basis.

    ``relative_to`` is ``"absolute"`` for absolute figures; ``where`` says which
    part of the source states the value.
    """

    design: str
    platform: str
    metric: str
    value: float
    unit: str
    relative_to: str
    citation: str
    qualifier: str = ""
    where: str = "abstract"

    @property
    def absolute(self) -> bool:
        return self.relative_to == "absolute"

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"absolute": self.absolute, "group": "published",
                               "label": "published (literature), not measured here"}


PUBLISHED: tuple[PublishedFigure, ...] = (
    PublishedFigure("Edge-MoE", "ZCU102 (xczu9eg), 300 MHz target", "energy efficiency", 2.24, "x",
                    "a GPU", EDGE_MOE),
    PublishedFigure("Edge-MoE", "ZCU102 (xczu9eg), 300 MHz target", "energy efficiency", 4.90, "x",
                    "a CPU", EDGE_MOE),
    PublishedFigure("UbiMoE", "Xilinx ZCU102", "throughput", 1.34, "x", "state-of-the-art FPGA designs (Edge-MoE)",
                    UBIMOE),
    PublishedFigure("UbiMoE", "Xilinx ZCU102", "energy efficiency", 1.75, "x",
                    "state-of-the-art FPGA designs (Edge-MoE)", UBIMOE),
    PublishedFigure("load-aware MoE ViT accelerator", "same class of board", "throughput", 1.52, "x",
                    "Edge-MoE", LOAD_AWARE, where="BRIEF.md"),
    PublishedFigure("load-aware MoE ViT accelerator", "same class of board", "latency", 16.33, "ms per frame",
                    "absolute", LOAD_AWARE, where="BRIEF.md"),
    PublishedFigure("CoQMoE", "FPGA (quantized MoE-ViT)", "throughput", 155.0, "frames/s", "absolute", COQMOE,
                    "nearly"),
    PublishedFigure("CoQMoE", "FPGA (quantized MoE-ViT)", "throughput", 5.35, "x",
                    "state-of-the-art FPGA MoE accelerators", COQMOE),
)
"""The published group of every report."""

NOT_TRANSCRIBED = ("Edge-MoE's absolute latency, board power and GOPS/W (the tables of arXiv:2305.18691) are not "
                   "transcribed here yet: only the ratios of its abstract are listed. Declare its board power with "
                   "--fpga-power-w and --fpga-power-note (citing the table) to use it.")
"""Shown under the published figures: which absolute figures are missing, and why."""
