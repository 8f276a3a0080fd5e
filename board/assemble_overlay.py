#!/usr/bin/env python3
"""Assemble the installable PYNQ overlay package (``make overlay``; docs/board.md).

    python board/assemble_overlay.py --bit build/overlay/edgemoe.bit --out build/edgemoe-overlay
                                     [--no-wheel] [--force]

Output (staged in a temporary folder, moved into place at the end, plus ``<out>.tar.gz``)::

    <out>/pyproject.toml, README.md           from board/edgemoe_overlay/
    <out>/edgemoe_overlay/__init__.py
    <out>/edgemoe_overlay/edgemoe.bit, edgemoe.hwh    side by side, as PYNQ expects
    <out>/edgemoe_overlay/timing_summary_routed.rpt   when it is beside the .bit
    <out>/edgemoe_overlay/MANIFEST.json       kit commit, bitstream SHA-256, files
    <out>/edgemoe_overlay/notebooks/*.ipynb   the repository's notebooks (outputs stripped)
    <out>/wheels/edgemoe-<version>-py3-none-any.whl   the kit with the driver (unless --no-wheel)

A bad input (no .bit, no .hwh beside it, bad --out) is one line on stderr and exit status 2.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG_SRC = ROOT / "board" / "edgemoe_overlay"
NOTEBOOKS = ROOT / "notebooks"
NAME = "edgemoe"


class InputError(ValueError):
    """A bad input: one line naming what is wrong and what was expected."""


def _commit() -> str:
    try:
        return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True,
                              check=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def check_inputs(bit: Path) -> Path:
    """The .hwh beside ``bit``; InputError when either is missing or misnamed."""
    if bit.suffix != ".bit" or not bit.is_file():
        raise InputError(f"--bit {bit}: expected an existing .bit file (make bitstream writes build/overlay/{NAME}.bit)")
    hwh = bit.with_suffix(".hwh")
    if not hwh.is_file():
        raise InputError(f"--bit {bit}: expected {hwh.name} beside it (PYNQ reads the .hwh next to the .bit)")
    if not sorted(NOTEBOOKS.glob("*.ipynb")):
        raise InputError(f"no notebooks in {NOTEBOOKS}")
    return hwh


def assemble(bit: Path, staging: Path, *, wheel: bool = True) -> dict:
    """Write the package into ``staging``; return its manifest."""
    hwh = check_inputs(bit)
    for f in ("pyproject.toml", "README.md"):
        shutil.copy2(PKG_SRC / f, staging / f)
    pkg = staging / "edgemoe_overlay"
    shutil.copytree(PKG_SRC / "edgemoe_overlay", pkg, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    # PYNQ finds <name>.hwh beside <name>.bit: both get the overlay's name
    shutil.copy2(bit, pkg / f"{NAME}.bit")
    shutil.copy2(hwh, pkg / f"{NAME}.hwh")
    rpt = bit.parent / "timing_summary_routed.rpt"
    if rpt.is_file():
        shutil.copy2(rpt, pkg / rpt.name)
    nb = pkg / "notebooks"
    nb.mkdir()
    for p in sorted(NOTEBOOKS.glob("*.ipynb")):
        shutil.copy2(p, nb / p.name)
    wheels: list[str] = []
    if wheel:
        wd = staging / "wheels"
        wd.mkdir()
        r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                            "-w", str(wd), str(ROOT)], capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            raise RuntimeError(f"pip wheel of the kit failed: {r.stderr.strip().splitlines()[-1:]}")
        wheels = sorted(p.name for p in wd.glob("*.whl"))
    manifest = {
        "name": NAME, "kit_commit": _commit(), "assembled_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "bitstream": {"name": f"{NAME}.bit", "sha256": hashlib.sha256((pkg / f"{NAME}.bit").read_bytes()).hexdigest(),
                      "source": str(bit)},
        "hwh": f"{NAME}.hwh", "notebooks": sorted(p.name for p in nb.glob("*.ipynb")), "wheels": wheels,
    }
    (pkg / "MANIFEST.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bit", required=True, type=Path, help="the bitstream; its .hwh must be beside it")
    ap.add_argument("--out", required=True, help="package folder to write (a .tar.gz is written beside it)")
    ap.add_argument("--no-wheel", action="store_true", help="leave out the kit's wheel")
    ap.add_argument("--force", action="store_true", help="replace a non-empty folder that is not an overlay")
    args = ap.parse_args(argv)
    from edgemoe.outdir import OutDirError, OutputDir

    try:
        check_inputs(args.bit)
        od = OutputDir(args.out, command="overlay", option="--out", force=args.force)
        staging = od.prepare()
    except (InputError, OutDirError) as e:
        print(f"assemble_overlay: error: {e}", file=sys.stderr)
        return 2
    try:
        manifest = assemble(args.bit, staging, wheel=not args.no_wheel)
        tar_tmp = Path(str(od.target) + ".tar.gz.tmp")
        with tarfile.open(tar_tmp, "w:gz") as tf:
            tf.add(staging, arcname=od.target.name)
        od.commit()
        tar_tmp.replace(Path(str(od.target) + ".tar.gz"))
    except BaseException:
        od.abort()
        Path(str(od.target) + ".tar.gz.tmp").unlink(missing_ok=True)
        raise
    print(f"wrote {od.target} and {od.target}.tar.gz (bitstream sha256 {manifest['bitstream']['sha256'][:12]}, "
          f"{len(manifest['notebooks'])} notebooks, wheels: {', '.join(manifest['wheels']) or 'none'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
