"""The built-in sample frame.

The shared reference frame (``image.float32.bin``, a Cityscapes street scene) is
used when the reference folder is present. Without it, a procedural street-like
frame (sky gradient, road, buildings, a car-like block; seeded, deterministic)
stands in, and every report says which one was used.
"""
from __future__ import annotations

import numpy as np

from .params import model_dims
from .weights import default_folder, load_image


def procedural_frame() -> np.ndarray:
    """A deterministic 3 x 128 x 256 street-like frame in [0, 1), steps of 1/256."""
    d = model_dims()
    H, W = d.img_h, d.img_w
    y = np.linspace(0.0, 1.0, H)[:, None] * np.ones((1, W))
    x = np.ones((H, 1)) * np.linspace(0.0, 1.0, W)[None, :]
    rng = np.random.default_rng(2023)
    sky = np.stack([0.45 + 0.3 * (1 - y), 0.6 + 0.25 * (1 - y), 0.85 + 0.1 * (1 - y)])
    road = np.stack([0.32 + 0.05 * x, 0.32 + 0.05 * x, 0.34 + 0.05 * x])
    img = np.where(y[None] < 0.45, sky, road)
    for left, right, top, shade in ((0.0, 0.22, 0.15, 0.55), (0.25, 0.4, 0.05, 0.4), (0.7, 1.0, 0.1, 0.5)):
        m = (x >= left) & (x < right) & (y >= top) & (y < 0.6)
        img = np.where(m[None], np.stack([shade, shade * 0.9, shade * 0.8])[:, None, None] * np.ones((3, H, W)), img)
    car = (x > 0.45) & (x < 0.62) & (y > 0.55) & (y < 0.75)
    img = np.where(car[None], np.array([0.6, 0.1, 0.1])[:, None, None], img)
    lane = (np.abs(x - 0.5 - (y - 0.45) * 0.3) < 0.01) & (y > 0.5)
    img = np.where(lane[None], 0.95, img)
    img = img + rng.normal(0.0, 0.015, img.shape)
    return (np.floor(np.clip(img, 0.0, 255.0 / 256.0) * 256.0) / 256.0).astype(np.float32)


def sample_frame() -> tuple[np.ndarray, str]:
    """(image, description): the shared Cityscapes frame if present, else the procedural one."""
    folder = default_folder()
    if folder is not None and (folder / "image.float32.bin").is_file():
        return load_image(folder / "image.float32.bin"), f"shared sample frame ({folder / 'image.float32.bin'})"
    return procedural_frame(), "procedural sample frame (shared reference data not found)"
