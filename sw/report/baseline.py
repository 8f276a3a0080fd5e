"""CPU and GPU baselines: the float32 PyTorch backbone timed on the machine at hand.

:class:`BatchedBackbone` is the float reference (:class:`edgemoe.golden.float_model.FloatBackbone`)
batched over images and movable to any torch device: same weights, same
operations in the same order per image (tests check it matches the reference
to float32 rounding). Batch size 1 runs the same code path.

Timing (:func:`time_runs`): ``warmup`` untimed runs, then ``runs`` timed runs
with ``time.perf_counter``; on CUDA each run ends with
``torch.cuda.synchronize()`` so the time covers the GPU work. Per-frame
latency is a run's time divided by the batch size. Power is recorded around
the timed runs only (see :mod:`edgemoe.report.recorder`).
"""
from __future__ import annotations

import platform as _platform
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from edgemoe.golden.float_model import FloatBackbone, top2_lower_index
from edgemoe.golden.params import ModelDims, model_dims
from edgemoe.golden.weights import Weights

from .power import PowerSource
from .recorder import PowerTrace, record_power
from .stats import LatencyStats


class BatchedBackbone:
    """The M3ViT backbone over a batch of images on ``device`` (float32 by default).

    ``forward(images (B, 3, H, W) tensor in [0, 1), task) -> (B, 129, 192)``.
    """

    def __init__(self, weights: Weights, device: str | torch.device = "cpu", dims: ModelDims | None = None,
                 dtype: torch.dtype = torch.float32):
        ref = FloatBackbone(weights, dims, dtype)
        self.d = ref.d
        self.device = torch.device(device)
        self.w = {n: t.to(self.device) for n, t in ref.w.items()}

    def _block(self, x: torch.Tensor, L: int, task: int) -> torch.Tensor:
        d, w = self.d, self.w
        B, T, D = x.shape
        H, Dh = d.num_heads, d.head_dim
        n1 = F.layer_norm(x, (D,), w[f"l{L}_norm1_weight"], w[f"l{L}_norm1_bias"], eps=d.ln_eps)
        qkv = n1 @ w[f"l{L}_qkv_weight"].T + w[f"l{L}_qkv_bias"]
        q, k, v = (t.reshape(B, T, H, Dh).transpose(1, 2) for t in qkv.split(D, dim=-1))
        p = torch.softmax((q @ k.transpose(-1, -2)) * (Dh ** -0.5), dim=-1)
        o = (p @ v).transpose(1, 2).reshape(B, T, D)
        x = x + (o @ w[f"l{L}_attn_proj_weight"].T + w[f"l{L}_attn_proj_bias"])
        n2 = F.layer_norm(x, (D,), w[f"l{L}_norm2_weight"], w[f"l{L}_norm2_bias"], eps=d.ln_eps)
        if not d.is_moe(L):
            h = F.gelu(n2 @ w[f"l{L}_fc1_weight"].T + w[f"l{L}_fc1_bias"])
            return x + (h @ w[f"l{L}_fc2_weight"].T + w[f"l{L}_fc2_bias"])
        flat = n2.reshape(B * T, D)
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
        return x + out.reshape(B, T, D)

    @torch.inference_mode()
    def forward(self, images: torch.Tensor, task: int) -> torch.Tensor:
        d, w = self.d, self.w
        if task not in range(d.num_tasks):
            raise ValueError(f"unknown task {task!r}: expected 0 (seg) or 1 (depth)")
        x = F.conv2d(images, w["patch_embed_weight"], w["patch_embed_bias"], stride=d.patch)
        x = x.flatten(2).transpose(1, 2)  # (B, 128, 192), row-major over the grid
        B = x.shape[0]
        x = torch.cat([w["pos_embed"][:1].expand(B, 1, -1), x + w["pos_embed"][1:]], dim=1)
        for L in range(d.depth):
            x = self._block(x, L, task)
        return x


def time_runs(run: Callable[[], object], runs: int, warmup: int,
              sync: Callable[[], None] | None = None) -> np.ndarray:
    """Seconds of each of ``runs`` timed calls of ``run()`` after ``warmup`` untimed ones.

    ``sync`` (e.g. ``torch.cuda.synchronize``) is called after every call,
    inside the timed interval, and once before timing starts.
    """
    import time

    if runs < 1 or warmup < 0:
        raise ValueError(f"need runs >= 1 and warmup >= 0, found runs={runs}, warmup={warmup}")
    for _ in range(warmup):
        run()
    if sync is not None:
        sync()
    out = np.empty(runs)
    for i in range(runs):
        t0 = time.perf_counter()
        run()
        if sync is not None:
            sync()
        out[i] = time.perf_counter() - t0
    return out


def cpu_name() -> str:
    """The CPU model from /proc/cpuinfo, else platform.processor(), else 'unknown CPU'."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return _platform.processor() or _platform.machine() or "unknown CPU"


@dataclass
class BaselineResult:
    """One measured baseline: platform, batch, per-frame latency and the power recorded meanwhile."""

    platform: str  # "cpu" | "gpu"
    device_name: str
    batch: int
    threads: int | None
    latency: LatencyStats  # per frame
    run_s: np.ndarray  # seconds per timed run (one batch)
    runs: int
    warmup: int
    trace: PowerTrace | None
    implementation: str


def make_runner(model: BatchedBackbone, image: np.ndarray, batch: int, task: int) -> Callable[[], object]:
    """A call that runs ``model`` on ``batch`` copies of ``image`` already on the model's device."""
    x = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32))[None].expand(batch, -1, -1, -1)
    x = x.contiguous().to(model.device)
    return lambda: model.forward(x, task)


def measure(platform: str, run: Callable[[], object], *, batch: int, runs: int, warmup: int,
            sources: Sequence[PowerSource] = (), interval: float = 0.05, idle_s: float = 0.0,
            sync: Callable[[], None] | None = None, device_name: str = "", threads: int | None = None,
            implementation: str = "") -> BaselineResult:
    """Time ``run`` (one batch per call) and record ``sources`` around the timed runs."""
    if sources:
        for _ in range(warmup):  # warm-up outside the power recording
            run()
        if sync is not None:
            sync()
        trace = record_power(lambda: time_runs(run, runs, 0, sync), sources, interval, idle_s)
        run_s = np.asarray(trace.result)
    else:
        trace = None
        run_s = time_runs(run, runs, warmup, sync)
    return BaselineResult(
        platform=platform, device_name=device_name, batch=batch, threads=threads,
        latency=LatencyStats.from_samples(run_s / batch), run_s=run_s, runs=runs, warmup=warmup, trace=trace,
        implementation=implementation,
    )


def gpu_present() -> tuple[bool, str]:
    """(present, description): a CUDA device torch can use, or why not."""
    if not torch.cuda.is_available():
        return False, f"not present (torch {torch.__version__}: torch.cuda.is_available() is False)"
    return True, torch.cuda.get_device_name(0)


def default_image(dims: ModelDims | None = None) -> tuple[np.ndarray, str]:
    """The shared sample frame if present, else a seeded synthetic frame; with a description."""
    from edgemoe.golden.weights import default_folder, load_image

    folder = default_folder()
    if folder is not None and (folder / "image.float32.bin").is_file():
        return load_image(folder / "image.float32.bin", dims), f"sample frame {folder / 'image.float32.bin'}"
    d = dims or model_dims()
    rng = np.random.default_rng(0)
    img = np.floor(rng.uniform(0, 1, (d.img_c, d.img_h, d.img_w)) * 256) / 256
    return img.astype(np.float32), "synthetic frame (seeded uniform noise; the sample frame was not found)"
