"""Edge-MoE overlay for the ZCU102: where the bitstream is, and an accelerator opened on it.

The installed package holds ``edgemoe.bit`` and ``edgemoe.hwh`` side by side (PYNQ reads the
``.hwh`` beside the ``.bit``), the notebooks (``pynq get-notebooks edgemoe``) and
``MANIFEST.json`` (the kit commit, the bitstream's SHA-256, when it was assembled)::

    import edgemoe_overlay
    acc = edgemoe_overlay.open_accelerator()     # edgemoe.driver.Accelerator on the "pynq" backend
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

__version__ = "0.1.0"
HERE = Path(__file__).resolve().parent
NAME = "edgemoe"


def bitfile() -> Path:
    """Path of the installed ``edgemoe.bit``; FileNotFoundError naming what is missing otherwise."""
    bit, hwh = HERE / f"{NAME}.bit", HERE / f"{NAME}.hwh"
    for p in (bit, hwh):
        if not p.is_file():
            raise FileNotFoundError(f"{p} is missing: this edgemoe_overlay package was installed without its "
                                    "bitstream (assemble it with `make overlay` after `make bitstream`)")
    return bit


def manifest() -> dict[str, Any]:
    """The package's MANIFEST.json (kit commit, bitstream name and SHA-256), or {} when absent."""
    p = HERE / "MANIFEST.json"
    return json.loads(p.read_text()) if p.is_file() else {}


def bitstream_info() -> dict[str, str]:
    """``{"name": "edgemoe.bit", "sha256": ...}`` as a measurement record's ``bitstream`` field wants it."""
    bit = bitfile()
    return {"name": bit.name, "sha256": hashlib.sha256(bit.read_bytes()).hexdigest()}


def open_accelerator(**kwargs: Any):
    """``edgemoe.driver.Accelerator.open("pynq", overlay=<installed edgemoe.bit>, **kwargs)``."""
    from edgemoe.driver import Accelerator

    return Accelerator.open("pynq", overlay=str(bitfile()), **kwargs)
