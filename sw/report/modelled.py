"""The modelled FPGA group: figures computed by models, shown apart from anything measured or simulated.

* latency: :func:`edgemoe.perf_model.model` at the ``params.toml [hw]``
  configuration (the ZCU102 one), cycles at its clock, for the report's task;
  the expert queue counts come from the golden model on the sample frame
  (``queues="sample"``) or are uniform (``"uniform"``, no golden run);
* resources: Yosys estimates of ``hw/synth/results.json``: the synthesised
  top ``edgemoe_top`` when it is recorded there (its glue with the kernels as black
  boxes + each kernel's estimate x its instances), otherwise the sum the
  performance model makes (kernels x instances + activation buffers + the
  control allowance for what is not synthesised), each row saying which;
* power: none of its own. A declared FPGA power (``--fpga-power-w``) is used
  when given, labelled declared.

Entries of this group have ``group == "modelled"`` and ``latency_kind ==
"modelled"``; their ratios form their own group and are always MIXED.
"""
from __future__ import annotations

from typing import Any

from .config import DeclaredPower
from .figures import Entry, PowerFigure
from .stats import LatencyStats

QUEUE_SOURCES = ("sample", "uniform")
TOP = "edgemoe_top"


def model_resources() -> dict[str, Any]:
    """Yosys resources of the design: the synthesised top when recorded, else the model's sum.

    Returns ``{"source": ..., "total": {lut, ff, dsp, bram36}, "rows": [...],
    "device": {...}, "utilisation_pct": {...}}``.
    """
    from edgemoe import perf_model as pm
    from edgemoe.synth import load_results

    results = load_results()
    top = results.get(TOP)
    if top is not None and top.ok and top.blackboxes:  # the top's glue + its kernels' estimates
        res = pm.resources(pm.Config.zcu102(), results)
        total, rows = dict(res["total"]), res["rows"]
        source = f"Yosys: {res['formed']} (hw/synth/results.json)"
    elif top is not None and top.ok:  # a flat synthesis of the whole top
        total = {"lut": float(top.lut), "ff": float(top.ff), "dsp": float(top.dsp), "bram36": float(top.bram36)}
        rows = [{"what": TOP, "n": 1, "source": f"Yosys synthesis of the integrated top ({top.yosys})", **total}]
        source = f"Yosys: synthesised {TOP} (hw/synth/results.json)"
    else:
        res = pm.resources(pm.Config.zcu102(), results)
        total, rows = dict(res["total"]), res["rows"]
        source = ("Yosys kernel estimates x instances + activation buffers + a control allowance "
                  f"(perf_model.resources; {TOP} not synthesised yet)")
        if res["missing"]:
            source += "; no estimate for " + ", ".join(res["missing"])
    util = {q: 100.0 * total[q] / pm.DEVICE[q] for q in total}
    return {"source": source, "total": total, "rows": rows, "device": dict(pm.DEVICE), "utilisation_pct": util}


def modelled_entry(task: int, declared: DeclaredPower | None, queues: str = "sample") -> Entry:
    """The perf model's frame latency at the ZCU102 configuration as a report entry (group "modelled")."""
    from edgemoe import perf_model as pm

    if queues not in QUEUE_SOURCES:
        raise ValueError(f"queue source must be one of {QUEUE_SOURCES}, got {queues!r}")
    cfg = pm.Config.zcu102()
    rep = pm.model(cfg, queues=queues, task=task)
    t = rep.latency_ms / 1e3
    lat = LatencyStats(n=1, median_s=t, mean_s=t, std_s=0.0, min_s=t, max_s=t)
    if declared is not None:
        power = PowerFigure(declared.watts, "declared", declared.label, "declared",
                            note="declared figure used as given with the modelled latency")
    else:
        power = PowerFigure(None, "none", "a model has no power; declare one with --fpga-power-w")
    res = model_resources()
    return Entry(
        id="model-1", group="modelled", platform="fpga",
        name=f"FPGA, MODELLED: edgemoe.perf_model at {cfg.clock_mhz:g} MHz ({cfg.name} configuration)",
        batch=1, latency=lat, latency_kind="modelled",
        latency_source=(f"modelled: {rep.cycles:,.0f} cycles at {cfg.clock_mhz:g} MHz, expert queues from "
                        f"{rep.queue_source}"),
        power=power, short="FPGA model",
        details={"cycles_per_frame": rep.cycles, "clock_mhz": cfg.clock_mhz, "config": cfg.name,
                 "queue_source": rep.queue_source, "ddr_floor_ms": rep.ddr_floor_ms, "task": task,
                 "resources": res},
    )
