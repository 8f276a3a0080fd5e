"""Published figures: the literature's numbers, shown as their own group, never as our measurements.

Each figure keeps the wording of its claim (what it is relative to). The
values are those of the project brief (``BRIEF.md``, "Numbers to beat").
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class PublishedFigure:
    """One published number: design, platform, what was measured, value and unit, and the claim's basis."""

    design: str
    platform: str
    metric: str
    value: float
    unit: str
    relative_to: str
    citation: str
    qualifier: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"group": "published", "label": "published (literature), not measured here"}


PUBLISHED: tuple[PublishedFigure, ...] = (
    PublishedFigure("Edge-MoE", "ZCU102 (xczu9eg), 300 MHz target", "energy efficiency", 2.24, "x",
                    "a GPU", "Sarkar et al., ICCAD 2023"),
    PublishedFigure("Edge-MoE", "ZCU102 (xczu9eg), 300 MHz target", "energy efficiency", 4.90, "x",
                    "a CPU", "Sarkar et al., ICCAD 2023"),
    PublishedFigure("UbiMoE", "same class of board", "throughput", 1.34, "x", "Edge-MoE",
                    "UbiMoE (later work)", "up to"),
    PublishedFigure("load-aware MoE ViT accelerator", "same class of board", "throughput", 1.52, "x",
                    "Edge-MoE", "later work"),
    PublishedFigure("load-aware MoE ViT accelerator", "same class of board", "latency", 16.33, "ms per frame",
                    "absolute", "later work"),
    PublishedFigure("CoQMoE", "same class of board", "throughput", 155.0, "frames/s", "absolute", "CoQMoE",
                    "about"),
)
"""The published group of every report."""
