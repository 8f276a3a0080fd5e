"""Report plots as PNG bytes (matplotlib, Agg backend; nothing is shown or written here).

Each function takes report entries and returns ``(png_bytes, caption)``.
Declared power is drawn hatched and example data in grey with "EXAMPLE" in its
name, so no plot presents either as a measurement.
"""
from __future__ import annotations

import io
from typing import Sequence

import numpy as np

from .figures import Entry

COLORS = {"cpu": "#1f77b4", "gpu": "#2ca02c", "fpga": "#d62728"}
EXAMPLE_COLOR = "#9a9a9a"


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    _plt().close(fig)
    return buf.getvalue()


def _name(e: Entry) -> str:
    base = ("EXAMPLE " if e.group == "example" else "") + e.short_name
    return base + (" [declared P]" if e.power.kind == "declared" else "")


def _style(e: Entry) -> dict:
    color = EXAMPLE_COLOR if e.group == "example" else COLORS.get(e.platform, "#7f7f7f")
    return {"color": color, "hatch": "//" if e.power.kind == "declared" else None, "edgecolor": "black"}


def _empty(title: str, message: str) -> bytes:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 2.2))
    ax.set_axis_off()
    ax.set_title(title)
    ax.text(0.5, 0.5, message, ha="center", va="center", wrap=True)
    return _png(fig)


def energy_bars(entries: Sequence[Entry]) -> tuple[bytes, str]:
    """Energy per frame (mJ) for every entry that has one; hatched bars use declared power."""
    title = "Energy per frame (lower is better)"
    have = [e for e in entries if e.energy_per_frame_j is not None]
    left = [e.name for e in entries if e.energy_per_frame_j is None]
    caption = "Energy per frame = power x mean latency. Hatched: declared power; grey: example data."
    if left:
        caption += " Not shown (no power figure): " + "; ".join(left) + "."
    if not have:
        return _empty(title, "No entry has a power figure: nothing to plot.\n"
                             "Declare one (--cpu-power-w, --gpu-power-w, --fpga-power-w) or measure it."), caption
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.5, 0.5 + 0.45 * len(have)))
    y = np.arange(len(have))
    vals = [e.energy_per_frame_j * 1e3 for e in have]  # type: ignore[operator]
    for i, (e, v) in enumerate(zip(have, vals)):
        ax.barh(i, v, **_style(e))
        ax.text(v, i, f" {v:.3g}", va="center")
    ax.set_yticks(y, [_name(e) for e in have])
    ax.invert_yaxis()
    ax.set_xlabel("mJ per frame")
    ax.set_title(title)
    ax.set_xlim(0, max(vals) * 1.25)
    return _png(fig), caption


def latency_vs_power(entries: Sequence[Entry]) -> tuple[bytes, str]:
    """Per-frame latency against power, log-log, with lines of equal energy per frame."""
    title = "Latency against power"
    have = [e for e in entries if e.energy_per_frame_j is not None]
    caption = ("Each point is one entry (mean latency per frame, power used). Dashed lines: equal energy "
               "per frame; lower-left is better. Open markers: declared power; grey: example data.")
    if not have:
        return _empty(title, "No entry has a power figure: nothing to plot."), caption
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    p = np.array([e.power.watts for e in have], dtype=float)
    t = np.array([e.latency.mean_s * 1e3 for e in have])
    for e, pi, ti in zip(have, p, t):
        st = _style(e)
        face = "none" if e.power.kind == "declared" else st["color"]
        ax.scatter([pi], [ti], s=60, facecolors=face, edgecolors=st["color"], linewidths=1.5, zorder=3)
        ax.annotate(_name(e), (pi, ti), textcoords="offset points", xytext=(6, 4), fontsize=8)
    lo_p, hi_p = p.min() / 3, p.max() * 3
    lo_t, hi_t = t.min() / 3, t.max() * 3
    pp = np.geomspace(lo_p, hi_p, 50)
    energies = np.unique(np.round(np.log10(p * t), 0))
    for le in np.arange(energies.min() - 1, energies.max() + 2):
        ej = 10.0 ** le  # mJ = W * ms
        ax.plot(pp, ej / pp, ls="--", lw=0.7, color="#bbbbbb", zorder=1)
        x = float(np.clip(ej / (hi_t / 1.3), lo_p * 1.05, hi_p / 1.5))  # where the line is inside the box
        if lo_t < ej / x < hi_t:
            ax.annotate(f"{ej:g} mJ", (x, ej / x), fontsize=7, color="#888888")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo_p, hi_p)
    ax.set_ylim(lo_t, hi_t)
    ax.set_xlabel("power (W)")
    ax.set_ylabel("latency per frame (ms)")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.2)
    return _png(fig), caption


def latency_spread(entries: Sequence[Entry]) -> tuple[bytes, str]:
    """Box plot of per-frame latency samples of every entry that has samples."""
    title = "Latency per frame: spread over runs"
    have = [e for e in entries if e.latency.samples]
    caption = "Box: quartiles; line: median; whiskers: 1.5 IQR; points: outliers. Per frame = run time / batch."
    if not have:
        return _empty(title, "No entry has latency samples."), caption
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.5, 0.6 + 0.45 * len(have)))
    data = [np.asarray(e.latency.samples) * 1e3 for e in have]
    try:
        bp = ax.boxplot(data, orientation="horizontal", patch_artist=True)  # matplotlib >= 3.10
    except TypeError:
        bp = ax.boxplot(data, vert=False, patch_artist=True)
    for patch, e in zip(bp["boxes"], have):
        patch.set_facecolor(_style(e)["color"])
        patch.set_alpha(0.6)
    ax.set_yticks(np.arange(1, len(have) + 1), [_name(e) for e in have])
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("ms per frame")
    ax.set_title(title)
    return _png(fig), caption


def power_traces(traces: Sequence[tuple[str, np.ndarray, np.ndarray]]) -> tuple[bytes, str] | None:
    """Power over time, one line per ``(label, t seconds, watts)``; None when there is none."""
    traces = [tr for tr in traces if tr[1].size > 1 and np.any(np.isfinite(tr[2]))]
    if not traces:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.5, 3.5))
    for label, t, w in traces:
        ax.plot(t, w, lw=1.0, label=label)
    ax.set_xlabel("time since start of the timed runs (s)")
    ax.set_ylabel("power (W)")
    ax.set_title("Power during the timed runs")
    ax.legend(fontsize=7)
    ax.grid(True, alpha=0.2)
    return _png(fig), "Sampled power of each measured entry while its timed runs ran (sum over its channels)."
