"""NVIDIA GPU board power through NVML (the ``pynvml`` module of ``nvidia-ml-py``).

``pynvml`` is imported only when the source is probed, so the report works
without it; the source then says "not available" and why. Power is
``nvmlDeviceGetPowerUsage`` (milliwatts, whole board as the driver reports it).
"""
from __future__ import annotations

import importlib
import time
from types import ModuleType

import numpy as np

from .power import Availability, Channel, Reading


class NvmlSource:
    """Board power of one NVIDIA GPU (``quantity == "power"``, watts).

    ``nvml`` injects a module with pynvml's API (for tests); by default
    ``pynvml`` is imported on first use.
    """

    kind = "NVIDIA NVML (pynvml)"
    quantity = "power"

    def __init__(self, index: int = 0, nvml: ModuleType | object | None = None):
        self.index = index
        self._nvml = nvml
        self._handle = None
        self._name = f"gpu{index}"

    def _init(self) -> None:
        if self._handle is not None:
            return
        if self._nvml is None:
            self._nvml = importlib.import_module("pynvml")
        self._nvml.nvmlInit()
        self._handle = self._nvml.nvmlDeviceGetHandleByIndex(self.index)
        name = self._nvml.nvmlDeviceGetName(self._handle)
        self._name = f"gpu{self.index} {name.decode() if isinstance(name, bytes) else name}"

    def probe(self) -> Availability:
        try:
            self._init()
            mw = self._nvml.nvmlDeviceGetPowerUsage(self._handle)
        except ImportError:
            return Availability(False, "pynvml not installed (pip install nvidia-ml-py, or the 'report' extra)")
        except Exception as e:  # NVMLError and friends: no driver, no GPU, unsupported query
            return Availability(False, f"NVML query failed for GPU {self.index}: {type(e).__name__}: {e}")
        return Availability(True, f"{self._name}: {mw / 1000:.1f} W now")

    def channels(self) -> list[Channel]:
        return [Channel("nvml", self._name, "gpu", label=self._name)]

    def read(self) -> Reading:
        self._init()
        t = time.perf_counter()
        return Reading(t, np.array([self._nvml.nvmlDeviceGetPowerUsage(self._handle) * 1e-3]))
