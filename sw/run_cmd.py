"""``edgemoe run``: the backbone and both task heads on one image.

Writes into ``--out`` (default ``out/run``):

* ``features_<task>.npy`` -- block-11 output, (129, 192) float32 (the act codes
  divided by 2^16 for the golden and iss backends), and ``features_<task>_codes.npy``
  (int32 act codes, golden and iss backends);
* ``seg.png`` -- per-pixel argmax of the 7-class segmentation head, coloured;
  ``depth.png`` -- the depth head, normalised to 8-bit grey (near = bright);
* ``summary.json`` -- inputs, weights (and what is synthetic), backend, timings,
  class histogram, depth range, output paths, and ``image_preprocessing`` when
  the image was converted (``converted_from_mode``) or resized (``resized_from``).

The outputs go through :class:`edgemoe.outdir.OutputDir`: ``--out`` is checked
before the work, the files are written into a staging folder beside it and
moved into place at the end; an earlier run's files are replaced, other files
are never touched, and a non-empty folder of other files needs ``--force``.

Backends: ``golden`` (bit-exact fixed-point model of the accelerator, the
default), ``float`` (the PyTorch reference), and the accelerator through the host
driver (``edgemoe.driver.Accelerator``): ``iss`` (the instruction-set model), ``rtl``
(the Verilator model of the top) and ``pynq`` (the board; ``--overlay edgemoe.bit``).
For those, summary.json gets CYCLES, the counters and the driver's host overhead per
task, and ``measurement_<task>.json`` is the run's measurement record (report format).
A backend that cannot run here (no board, RTL top not built) exits 2 with one line.
The heads run in float on the host in every case, as on the board.

``--check`` (any backend) compares the backend's block-11 act codes with
FixedBackbone's bit for bit (float features are quantised to act codes first)
and records ``"check": {"bit_exact", "mismatches", "compared"}`` in summary.json;
the run exits 1 on any mismatch (after writing its outputs).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from edgemoe.golden.params import TASKS, model_dims

DRIVER_BACKENDS = ("iss", "rtl", "pynq")
"""Backends reached through the host driver (edgemoe.driver.Accelerator)."""

# Cityscapes-like colours for the 7 classes (flat, construction, object, nature, sky, human, vehicle).
PALETTE = np.array([[128, 64, 128], [70, 70, 70], [220, 220, 0], [107, 142, 35], [70, 130, 180],
                    [220, 20, 60], [0, 0, 142]], dtype=np.uint8)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--image", type=Path, default=None,
                   help="image file (PNG/JPEG, resized to 256x128) or raw float32 (3,128,256) .bin; default: the built-in sample")
    p.add_argument("--task", default="all", choices=["seg", "depth", "all"])
    p.add_argument("--weights", type=Path, default=None,
                   help="Edge-MoE weights folder or M3ViT checkpoint (default: the shared reference weights)")
    p.add_argument("--backend", default="golden", choices=["golden", "iss", "rtl", "pynq", "float"])
    p.add_argument("--overlay", type=Path, default=None,
                   help="pynq backend: the accelerator's bitstream (.bit, with its .hwh beside it)")
    p.add_argument("--check", action="store_true",
                   help="compare the backend's block-11 output with the golden model bit for bit; exit 1 on a mismatch")
    p.add_argument("--out", type=Path, default=Path("out/run"),
                   help="output folder: new, empty or an earlier run's (only its files are replaced); default out/run")
    p.add_argument("--force", action="store_true",
                   help="write into a non-empty folder that holds other files (they are kept)")
    p.add_argument("--seed", type=int, default=0, help="seed of the synthetic weights that fill gaps, >= 0")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _save_png(path: Path, arr: np.ndarray) -> None:
    from PIL import Image

    Image.fromarray(arr).save(path)


def _own_run_files(folder: Path) -> set[str] | None:
    """Files of an ``edgemoe run`` output written before output stamps existed (summary.json lists them)."""
    s = json.loads((folder / "summary.json").read_text())
    if not isinstance(s, dict) or not isinstance(s.get("files"), list) or "backend" not in s:
        return None
    return {"summary.json", *(str(f) for f in s["files"])}


def main(args: argparse.Namespace) -> int:
    from edgemoe.driver.backends import BackendUnavailable
    from edgemoe.golden.sample import sample_frame
    from edgemoe.golden.weights import WeightError, load_image, load_weights
    from edgemoe.cli import one_line
    from edgemoe.outdir import OutDirError, OutputDir

    d = model_dims()
    tasks = list(TASKS) if args.task == "all" else [args.task]
    img_notes: dict = {}
    outdir = OutputDir(args.out, command="run", force=args.force, legacy=_own_run_files)
    try:
        if args.seed < 0:
            raise WeightError(f"--seed {args.seed}: expected an integer >= 0")
        if args.image is None:
            img, img_desc = sample_frame()
        else:
            try:
                img, img_desc = load_image(args.image, notes=img_notes), str(args.image)
            except WeightError as e:
                raise WeightError(f"--image: {e}") from None
        try:
            w = load_weights(args.weights, seed=args.seed, heads=True)
        except WeightError as e:
            raise WeightError(f"--weights: {e}" if args.weights is not None else str(e)) from None
        if args.backend in DRIVER_BACKENDS:
            from edgemoe.driver.backends import check_available

            check_available(args.backend)   # no board / RTL top not built: one line, before any work
        out = outdir.prepare()     # checked before the long work: a folder that cannot be written fails now
    except (WeightError, OutDirError, BackendUnavailable) as e:
        print(one_line(f"edgemoe run: error: {e}"), file=sys.stderr)
        return 2
    for msg in img_notes.get("messages", []):
        print(one_line(f"edgemoe run: warning: --image {args.image}: {msg}"), file=sys.stderr)
    try:
        return _run(args, d, tasks, img, img_desc, img_notes, w, outdir, out)
    finally:
        outdir.abort()     # after a failure or Ctrl-C: the target stays as it was


def _run(args: argparse.Namespace, d, tasks: list[str], img: np.ndarray, img_desc: str, img_notes: dict, w,
         outdir, out: Path) -> int:
    """Compute every output, write them into the staging folder ``out``, then move them into place."""

    from tqdm import tqdm

    from edgemoe.golden.float_model import FloatBackbone, FloatHead

    summary: dict = {"image": img_desc, "weights": w.source, "synthetic": w.describe_synthetic(),
                     "backend": args.backend, "tasks": {}}
    if img_notes:
        summary["image_preprocessing"] = img_notes
    results: dict[str, dict] = {}
    t_all = time.perf_counter()
    from edgemoe.golden.fixed_model import FixedBackbone, image_codes
    from edgemoe.golden.fixedpoint import fmt

    pix = image_codes(img)
    if args.backend in ("golden", *DRIVER_BACKENDS) or args.check:
        fb = FixedBackbone(w)
        summary["saturated_weights"] = fb.fw.saturated
    if args.backend in DRIVER_BACKENDS:
        from edgemoe.cli import one_line
        from edgemoe.driver import Accelerator, BackendUnavailable, DeviceError, DeviceTimeout, DriverError
        from edgemoe.driver.hwh import HwhError

        try:
            acc = Accelerator.open(args.backend, **({"overlay": args.overlay} if args.backend == "pynq" else {}))
            acc.load_weights(fb.fw)   # weight image and both command lists, written once
            model_acc = None
            if args.backend == "rtl":  # the model's prediction for the same frame: the ISS's CYCLES
                model_acc = Accelerator.open("iss")
                model_acc.load_weights(fb.fw)
        except (BackendUnavailable, DriverError, HwhError) as e:
            print(one_line(f"edgemoe run: error: {e}"), file=sys.stderr)
            return 2
        records: dict[str, dict] = {}
    elif args.backend == "float":
        flb = FloatBackbone(w)
    check = {"bit_exact": True, "mismatches": 0, "compared": 0}
    bar = tqdm(total=d.depth * len(tasks), desc="backbone", unit="block", disable=args.quiet, leave=False)
    for task in tasks:
        ti = TASKS.index(task)
        t0 = time.perf_counter()
        if args.backend == "golden":
            codes = fb.forward(pix, ti, progress=lambda L: bar.update(1))
            feats = fmt("act").to_float(codes).astype(np.float32)
        elif args.backend in DRIVER_BACKENDS:
            try:
                res = acc.run(pix, ti)
            except (DeviceError, DeviceTimeout) as e:   # the device failed: nothing of this run is written
                acc.close()
                print(one_line(f"edgemoe run: error: --backend {args.backend}: {e}"), file=sys.stderr)
                return 1
            codes, feats = res.codes, res.features
            try:
                records[task] = acc.measurement_record([res])
            except DriverError as e:   # e.g. not a git checkout: the record needs the kit's commit
                print(one_line(f"edgemoe run: warning: no measurement record: {e}"), file=sys.stderr)
            bar.update(d.depth)
        else:
            codes = None
            feats = flb.forward(img, ti)
            bar.update(d.depth)
        t_bb = time.perf_counter() - t0
        if args.check:
            got = codes if codes is not None else fmt("act").quantize(feats)
            ref = fb.forward(pix, ti)
            n_bad = int(np.count_nonzero(np.asarray(got) != ref))
            check["mismatches"] += n_bad
            check["compared"] += int(ref.size)
            check["bit_exact"] = check["bit_exact"] and n_bad == 0
        t0 = time.perf_counter()
        head = FloatHead(w, task).forward(feats)
        results[task] = {"feats": feats, "codes": codes, "head": head}
        summary["tasks"][task] = {"backbone_s": round(t_bb, 4), "head_s": round(time.perf_counter() - t0, 4)}
        if args.backend in DRIVER_BACKENDS:
            summary["tasks"][task].update(cycles=res.cycles, counters=res.counters,
                                          driver_wall_s=round(res.wall_s, 4),
                                          host_overhead_s=round(res.overhead_s, 6))
            if model_acc is not None:
                # edgemoe.perf_model's cycles for this frame (its queue counts): the ISS's CYCLES
                pred = model_acc.run(pix, ti).cycles
                summary["tasks"][task].update(model_cycles=pred, cycles_over_model=round(res.cycles / pred, 4),
                                              sim_cycles_per_s=round(res.cycles / max(res.wall_s, 1e-9)))
    bar.close()
    if args.backend in DRIVER_BACKENDS:
        acc.close()
        if model_acc is not None:
            model_acc.close()
    if args.check:
        summary["check"] = check

    # everything computed: now write the outputs into the staging folder (moved into place at the end)
    files: list[str] = []
    for task, r in results.items():
        np.save(out / f"features_{task}.npy", r["feats"])
        files.append(f"features_{task}.npy")
        if r["codes"] is not None:
            np.save(out / f"features_{task}_codes.npy", r["codes"].astype(np.int32))
            files.append(f"features_{task}_codes.npy")
        info = summary["tasks"][task]
        if task == "seg":
            cls = r["head"].argmax(axis=0)
            _save_png(out / "seg.png", PALETTE[cls])
            files.append("seg.png")
            hist = np.bincount(cls.ravel(), minlength=d.seg_classes)
            info["class_fraction"] = [round(float(v), 4) for v in hist / hist.sum()]
        else:
            dep = r["head"][0]
            lo, hi = float(dep.min()), float(dep.max())
            norm = (dep - lo) / (hi - lo) if hi > lo else np.zeros_like(dep)
            _save_png(out / "depth.png", (255 * norm).astype(np.uint8))
            files.append("depth.png")
            info["depth_range"] = [round(lo, 4), round(hi, 4)]
        info["feature_rms"] = round(float(np.sqrt((r["feats"] ** 2).mean())), 4)
    if args.backend in DRIVER_BACKENDS:
        for task, rec in records.items():
            (out / f"measurement_{task}.json").write_text(json.dumps(rec, indent=1) + "\n")
            files.append(f"measurement_{task}.json")
    summary["total_s"] = round(time.perf_counter() - t_all, 3)
    summary["files"] = files
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    outdir.commit()
    out = args.out
    print(f"{args.backend} backend on {img_desc}")
    print(f"weights: {w.source}; {w.describe_synthetic()}")
    for task, info in summary["tasks"].items():
        cyc = f", device {info['cycles']:,} cycles (CYCLES register)" if "cycles" in info else ""
        if "model_cycles" in info:
            cyc += (f"; perf model {info['model_cycles']:,} (measured/model {info['cycles_over_model']:.3f}), "
                    f"simulated at {info['sim_cycles_per_s']:,} cycles/s")
        print(f"  {task:5s}: backbone {info['backbone_s']:.3f} s, head {info['head_s']:.3f} s{cyc}")
    print(f"wrote {', '.join(files)} and summary.json to {out}")
    if args.check:
        c = summary["check"]
        verdict = "bit-exact" if c["bit_exact"] else "MISMATCH"
        print(f"check against the golden model: {verdict}, {c['mismatches']} of {c['compared']} act codes differ")
        return 0 if c["bit_exact"] else 1
    return 0
