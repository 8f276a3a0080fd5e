"""``edgemoe bench``: seconds per frame and task of the float and fixed-point golden backbones.

Each backbone runs ``--warmup`` untimed and ``--runs`` timed frames (one task
each, alternating seg/depth) in this process; the median is the headline, min
and max give the spread. The machine's thread count is stated. Timings are
figures to read, not assertions: the host may be busy.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time


def _time(fn, runs: int, warmup: int) -> list[float]:
    for i in range(warmup):
        fn(i)
    out = []
    for i in range(runs):
        t0 = time.perf_counter()
        fn(i)
        out.append(time.perf_counter() - t0)
    return out


def bench(runs: int = 5, warmup: int = 1, threads: int = 1, driver_runs: int = 0) -> dict:
    import torch

    torch.set_num_threads(threads)

    from edgemoe.golden.fixed_model import FixedBackbone, image_codes
    from edgemoe.golden.float_model import FloatBackbone
    from edgemoe.golden.sample import sample_frame
    from edgemoe.golden.weights import load_weights

    w = load_weights(heads=False)
    img, desc = sample_frame()
    pix = image_codes(img)
    fixed = FixedBackbone(w)
    flt = FloatBackbone(w)
    tf = _time(lambda i: flt.forward(img, i % 2), runs, warmup)
    tx = _time(lambda i: fixed.forward(pix, i % 2), runs, warmup)
    med_f, med_x = statistics.median(tf), statistics.median(tx)
    from edgemoe.driver.iss import IssBackbone  # the command list on the instruction-set model, same frames

    iss = IssBackbone(fixed.fw)
    # timed alternately with the fixed-point golden on the same frames: a busy host slows both alike
    pair = _time(lambda i: (iss if i % 2 else fixed).forward(pix, (i // 2) % 2), 2 * runs, 2 * warmup)
    ti, tx_pair = pair[1::2], pair[0::2]
    med_i = statistics.median(ti)
    if driver_runs:  # whole frames through the host driver: s/frame and its host overhead per backend
        from edgemoe.driver.accelerator import bench_backend

        driver = {b: bench_backend(b, driver_runs, weights=w, frame=img) for b in ("iss", "rtl")}
    from edgemoe.sim import top_model  # simulation speed of the RTL top (Verilator) and of its C++ memory model

    ok, why = top_model.available()
    rtl_sim = {"available": True, **top_model.speed_figures()} if ok else {"available": False, "reason": why}
    return {
        **({"driver": driver} if driver_runs else {}),
        "rtl_sim": rtl_sim,
        "golden_float_s_per_frame": med_f,
        "golden_fixed_s_per_frame": med_x,
        "fixed_over_float": med_x / med_f,
        "float_s": {"min": min(tf), "max": max(tf), "runs": tf},
        "fixed_s": {"min": min(tx), "max": max(tx), "runs": tx},
        "iss_s_per_frame": med_i, "iss_over_fixed": med_i / statistics.median(tx_pair), "target_iss_over_fixed": 1.5,
        "iss_s": {"min": min(ti), "max": max(ti), "runs": ti}, "weight_image_bytes": len(iss.img.data),
        "runs": runs, "warmup": warmup, "torch_threads": torch.get_num_threads(),
        "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"), "cpus": os.cpu_count(),
        "image": desc, "target_fixed_s_per_frame": 1.0, "original_csim_s_per_frame": 12.0,
    }


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--runs", type=int, default=5, help="timed frames per backbone (default 5)")
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--threads", type=int, default=1, help="torch threads of the float model (default 1)")
    p.add_argument("--driver-runs", type=int, default=2,
                   help="whole frames through the host driver per backend (iss, rtl; default 2, 0: skip)")
    p.add_argument("--json", action="store_true")


def main(args: argparse.Namespace) -> int:
    for opt, v, lo in (("--runs", args.runs, 1), ("--warmup", args.warmup, 0), ("--threads", args.threads, 1)):
        if v < lo:
            print(f"edgemoe bench: error: {opt} {v}: expected an integer >= {lo}", file=sys.stderr)
            return 2
    if args.driver_runs < 0:
        print(f"edgemoe bench: error: --driver-runs {args.driver_runs}: expected an integer >= 0", file=sys.stderr)
        return 2
    r = bench(args.runs, args.warmup, args.threads, args.driver_runs)
    if args.json:
        print(json.dumps(r, indent=1))
        return 0
    print(f"float golden (PyTorch, {r['torch_threads']} threads): {r['golden_float_s_per_frame']:.3f} s/frame "
          f"(min {r['float_s']['min']:.3f}, max {r['float_s']['max']:.3f})")
    print(f"fixed-point golden (bit-exact):   {r['golden_fixed_s_per_frame']:.3f} s/frame "
          f"(min {r['fixed_s']['min']:.3f}, max {r['fixed_s']['max']:.3f}); target <= 1.0 s, original C sim ~12 s")
    print(f"ISS (command list, instruction-set model): {r['iss_s_per_frame']:.3f} s/frame "
          f"(min {r['iss_s']['min']:.3f}, max {r['iss_s']['max']:.3f}) = {r['iss_over_fixed']:.2f}x the fixed-point "
          f"golden timed alternately with it (target <= 1.5x); weight image {r['weight_image_bytes']:,} bytes")
    print(f"median of {r['runs']} runs after {r['warmup']} warm-up, {r['cpus']} CPUs, one task per frame, "
          f"OpenBLAS threads {r['blas_threads']}")
    sim = r["rtl_sim"]
    if sim["available"]:
        print(f"RTL top in Verilator (edgemoe.sim.top_model): {sim['top_cycles_per_s']:,.0f} cycles/s "
              f"({sim['top_beats_per_s']:,.0f} port-0 beats/s on LOADs); its AXI4 memory model alone: "
              f"{sim['mem_read_beats_per_s']:,.0f} read / {sim['mem_write_beats_per_s']:,.0f} write beats/s "
              f"(4 ports, 4 KB bursts; a frame's weights are about 2.3M beats)")
    else:
        print(f"RTL top in Verilator: not run: {sim['reason']}")
    for b, d in r.get("driver", {}).items():  # the host driver (edgemoe.driver.Accelerator) per backend
        if not d["available"]:
            print(f"driver, {b} backend: not run: {d['reason']}")
            continue
        print(f"driver, {b} backend: {d['s_per_frame']:.3f} s/frame, host overhead {1e3 * d['host_overhead_s_per_frame']:.2f}"
              f" ms/frame (everything but the wait for the device), median of {d['runs']} whole frames")
    return 0
