"""``edgemoe accuracy``: fidelity of the fixed-point approximations against float.

Printed figures (``--json``: nested objects with at least ``gelu.max_abs_err``,
``gelu.mean_abs_err``, ``softmax.max_abs_err``, ``layernorm.max_abs_err``,
``backbone.rel_l2``, ``backbone.cosine``):

* gelu: the GELU unit against exact erf GELU at every act code in [-8, 8]
  (1,048,577 points), output rounding included.
* exp: the exp unit against exp() at every act code in [-32, 0].
* softmax: every attention row of the sample frame (12 layers x 3 heads x 129
  rows): fixed-point probabilities against a float64 softmax of the same
  fixed-point scores, so only the softmax approximation is measured.
* layernorm: every LayerNorm of the sample frame: the fixed-point output against
  float64 LayerNorm of the same fixed-point input with the same (rounded) gamma
  and beta.
* backbone: block-11 output of the fixed-point golden against the float64
  reference with the original float weights, per task; the headline is the
  worse task. Also the part due to rounding the weights alone (float model on
  the rounded weights).
"""
from __future__ import annotations

import argparse
import json

import numpy as np

TARGETS = {"gelu.max_abs_err": 3e-5, "backbone.rel_l2": 2.5e-3, "backbone.cosine": 0.99999}


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    return float((a * b).sum() / (np.linalg.norm(a) * np.linalg.norm(b)))


def gelu_fidelity() -> dict:
    from edgemoe.golden.fixedpoint import fmt
    from edgemoe.golden.gelu import gelu_fixed
    from edgemoe.golden.tables import gelu_exact, gelu_table

    act = fmt("act")
    x = np.arange(-(8 << act.frac), (8 << act.frac) + 1, dtype=np.int64)
    err = np.abs(act.to_float(gelu_fixed(x)) - gelu_exact(act.to_float(x)))
    g = gelu_table()
    return {"max_abs_err": float(err.max()), "mean_abs_err": float(err.mean()),
            "worst_x": float(act.to_float(x[err.argmax()])), "points": int(x.size),
            "table_entries": len(g.entries), "entry_bits": g.entry_bits, "original_max_abs_err": 9.7e-5}


def exp_fidelity() -> dict:
    from edgemoe.golden.exp_recip import exp_fixed
    from edgemoe.golden.fixedpoint import fmt

    act, ef = fmt("act"), fmt("e")
    d = np.arange(-(32 << act.frac), 1, dtype=np.int64)
    err = np.abs(ef.to_float(exp_fixed(d)) - np.exp(act.to_float(d)))
    return {"max_abs_err": float(err.max()), "mean_abs_err": float(err.mean()), "points": int(d.size)}


def model_fidelity(tasks: tuple[int, ...] = (0, 1)) -> dict:
    import torch

    from edgemoe.golden.fixed_model import FixedBackbone, image_codes
    from edgemoe.golden.fixedpoint import fmt
    from edgemoe.golden.float_model import FloatBackbone
    from edgemoe.golden.sample import sample_frame
    from edgemoe.golden.weights import load_weights

    act, pf = fmt("act"), fmt("p")
    w = load_weights(heads=False)
    img, img_desc = sample_frame()
    fb = FixedBackbone(w)
    wq = fb.fw.to_float_weights(w)
    ref_m = FloatBackbone(w, dtype=torch.float64)
    q_m = FloatBackbone(wq, dtype=torch.float64)
    d = fb.d
    sm_err, ln_err, per_task = 0.0, 0.0, {}
    for task in tasks:
        tr: dict = {}
        y = act.to_float(fb.forward(image_codes(img), task, trace=tr))
        ref = ref_m.forward(img, task)
        refq = q_m.forward(img, task)
        per_task[("seg", "depth")[task]] = {"rel_l2": _rel(y, ref), "cosine": _cos(y, ref),
                                             "rel_l2_weight_rounding_only": _rel(refq, ref),
                                             "rel_l2_arithmetic_only": _rel(y, refq)}
        for L in range(d.depth):
            s = act.to_float(tr[f"l{L}_scores"])
            e = np.exp(s - s.max(axis=-1, keepdims=True))
            sm_err = max(sm_err, float(np.abs(pf.to_float(tr[f"l{L}_probs"]) - e / e.sum(-1, keepdims=True)).max()))
            for n, xin in ((1, tr[f"l{L - 1}_out"] if L else tr["embed"]), (2, tr[f"l{L}_attn_resid"])):
                g = fb.fw[f"l{L}_norm{n}_weight"].to_float()
                b = fb.fw[f"l{L}_norm{n}_bias"].to_float()
                xf = act.to_float(xin)
                mu = xf.mean(-1, keepdims=True)
                var = xf.var(-1, keepdims=True)
                lnf = (xf - mu) / np.sqrt(var + d.ln_eps) * g + b
                ln_err = max(ln_err, float(np.abs(act.to_float(tr[f"l{L}_norm{n}"]) - lnf).max()))
    worst = max(per_task.values(), key=lambda r: r["rel_l2"])
    return {"softmax": {"max_abs_err": sm_err, "rows": int(len(tasks) * d.depth * d.num_heads * d.num_tokens)},
            "layernorm": {"max_abs_err": ln_err, "norms": int(len(tasks) * d.depth * 2)},
            "backbone": {"rel_l2": worst["rel_l2"], "cosine": min(r["cosine"] for r in per_task.values()),
                         "per_task": per_task, "image": img_desc, "weights": w.describe_synthetic(),
                         "original_rel_l2": 0.014}}


def accuracy_report() -> dict:
    r = {"gelu": gelu_fidelity(), "exp": exp_fidelity(), **model_fidelity()}
    checks = {}
    for key, target in TARGETS.items():
        a, b = key.split(".")
        v = r[a][b]
        checks[key] = {"value": v, "target": target, "met": v >= target if b == "cosine" else v <= target}
    r["targets"] = checks
    return r


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print the figures as one JSON object")


def main(args: argparse.Namespace) -> int:
    r = accuracy_report()
    if args.json:
        print(json.dumps(r, indent=1))
        return 0
    g, s, ln, bb = r["gelu"], r["softmax"], r["layernorm"], r["backbone"]
    print(f"GELU       max abs err {g['max_abs_err']:.3g} (target <= 3e-5; original 9.7e-5), mean {g['mean_abs_err']:.3g}, "
          f"{g['points']} points in [-8, 8], table {g['table_entries']} x {g['entry_bits']} bits")
    print(f"exp        max abs err {r['exp']['max_abs_err']:.3g} on [-32, 0]")
    print(f"softmax    max abs err {s['max_abs_err']:.3g} over {s['rows']} attention rows")
    print(f"LayerNorm  max abs err {ln['max_abs_err']:.3g} over {ln['norms']} LayerNorms")
    print(f"backbone   rel L2 {100 * bb['rel_l2']:.4f}% (target <= 0.25%; original ~1.4%), cosine {bb['cosine']:.8f} "
          f"(target >= 0.99999)")
    for t, v in bb["per_task"].items():
        print(f"  {t:5s}: rel L2 {100 * v['rel_l2']:.4f}%, cosine {v['cosine']:.8f}; weight rounding alone "
              f"{100 * v['rel_l2_weight_rounding_only']:.4f}%, arithmetic alone {100 * v['rel_l2_arithmetic_only']:.4f}%")
    print(f"  on the {bb['image']}; weights {bb['weights']}")
    missed = [k for k, c in r["targets"].items() if not c["met"]]
    print("all targets met" if not missed else f"targets missed: {', '.join(missed)}")
    return 0
