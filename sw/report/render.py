"""Render a :class:`~edgemoe.report.build.Report` as self-contained HTML and JSON, and write both.

The HTML embeds its plots as base64 PNG and needs no other file. Files are
written only after everything is rendered, each through a temporary file
renamed into place, so a failure leaves no half-written report.
"""
from __future__ import annotations

import base64
import html
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any, Sequence

from . import plots
from .build import Report
from .published import NOT_TRANSCRIBED
from .figures import Entry

HTML_NAME = "report.html"
JSON_NAME = "report.json"

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;max-width:1200px;
color:#222;padding:0 1em}
h1{margin-bottom:.2em}h2{margin-top:1.8em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.6em 0;font-size:.88em}
th,td{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.label{color:#555;font-size:.85em}.declared{color:#8a5a00}.example{background:#f4f4f4;color:#666}
.mixed{color:#a00}.box{border:1px solid #ccc;padding:.6em 1em;background:#fafafa}
.published{border-left:4px solid #888;padding-left:1em}
.banner{background:#fff3cd;border:1px solid #e0c36c;padding:.5em 1em}
figure{margin:1em 0}figcaption{font-size:.85em;color:#555;max-width:900px}
"""


def _e(x: Any) -> str:
    return html.escape(str(x))


def fmt(x: float | None, digits: int = 4) -> str:
    """A number with ``digits`` significant digits, or an em dash for None/NaN."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "&mdash;"
    return f"{x:.{digits}g}"


def _ms(x: float | None) -> str:
    return fmt(None if x is None else x * 1e3)


def _power_cell(e: Entry) -> str:
    p = e.power
    cls = {"declared": "declared", "example": "example"}.get(p.kind, "")
    watts = fmt(p.watts) + " W" if p.watts is not None else "&mdash;"
    extra = ""
    if p.total_w is not None and p.basis == "dynamic":
        extra = f"<br><span class=label>total {fmt(p.total_w)} W, idle {fmt(p.idle_w)} W</span>"
    elif p.idle_w is not None and p.basis == "total":
        extra = f"<br><span class=label>idle {fmt(p.idle_w)} W (not subtracted)</span>"
    alt = ""
    for a in e.alternatives:
        alt += (f"<br><span class=label>not used: {a['kind']} {fmt(a['watts'])} W ({_e(a['source'])})</span>")
    return (f"<td class='num {cls}'>{watts}</td><td class='{cls}'><b>{_e(p.kind)}</b>: "
            f"<span class=label>{_e(p.source)}</span>{extra}{alt}</td>")


def _entry_table(entries: Sequence[Entry]) -> str:
    head = ("<tr><th>entry</th><th>batch</th><th>latency per frame, ms<br>median</th><th>mean &plusmn; std</th>"
            "<th>min&ndash;max</th><th>n</th><th>throughput<br>frames/s</th><th>power</th><th>power source</th>"
            "<th>energy per frame<br>mJ</th><th>frames per joule</th><th>GOPS</th><th>GOPS/W</th>"
            "<th>energy derived from</th></tr>")
    rows = []
    for e in entries:
        L = e.latency
        cls = " class=example" if e.group == "example" else ""
        rows.append(
            f"<tr{cls} id='{_e(e.id)}'><td><b>{_e(e.name)}</b><br><span class=label>{_e(e.id)}; latency "
            f"{_e(e.latency_source)}</span></td><td class=num>{e.batch}</td><td class=num>{_ms(L.median_s)}</td>"
            f"<td class=num>{_ms(L.mean_s)} &plusmn; {_ms(L.std_s)}</td>"
            f"<td class=num>{_ms(L.min_s)}&ndash;{_ms(L.max_s)}</td><td class=num>{L.n}</td>"
            f"<td class=num>{fmt(e.throughput_fps)}</td>{_power_cell(e)}"
            f"<td class=num>{_ms(e.energy_per_frame_j)}</td><td class=num>{fmt(e.frames_per_joule)}</td>"
            f"<td class=num>{fmt(e.gops)}</td><td class=num>{fmt(e.gops_per_w)}</td>"
            f"<td class=label>{_e(e.energy_source)}</td></tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _ratio_table(report: Report, group: str) -> str:
    rs = [r for r in report.ratios if r.group == group]
    if not rs:
        return "<p>No ratios: they need an FPGA or GPU entry and a CPU or GPU baseline.</p>"
    names = {e.id: e.name for e in report.entries}
    rows = "".join(
        f"<tr><td>{_e(names.get(r.subject, r.subject))}</td><td>{_e(names.get(r.baseline, r.baseline))}</td>"
        f"<td>{_e(r.metric)}</td><td class=num>{fmt(r.value)}x</td>"
        f"<td class='{'mixed' if r.mixed else 'label'}'>{_e(r.basis)}</td></tr>" for r in rs)
    return ("<table><tr><th>subject</th><th>baseline</th><th>metric (subject / baseline, &gt;1 better)</th>"
            f"<th>ratio</th><th>what is compared</th></tr>{rows}</table>")


def _published_table(report: Report) -> str:
    rows = "".join(
        f"<tr><td>{_e(p.design)}</td><td>{_e(p.platform)}</td><td>{_e(p.metric)}</td>"
        f"<td class=num>{_e(p.qualifier + ' ' if p.qualifier else '')}{fmt(p.value)} {_e(p.unit)}</td>"
        f"<td>{_e(p.relative_to)}</td><td>{_e(p.citation)}</td><td class=label>{_e(p.where)}</td></tr>"
        for p in report.published)
    return ("<table><tr><th>design</th><th>platform</th><th>metric</th><th>value</th><th>relative to</th>"
            f"<th>source</th><th>stated in</th></tr>{rows}</table><p class=label>{_e(NOT_TRANSCRIBED)}</p>")


def _resources_table(res: dict) -> str:
    """Yosys resources of the modelled group, with the device and the utilisation."""
    cols = ("lut", "ff", "dsp", "bram36")
    rows = []
    for r in res["rows"]:
        vals = "".join(f"<td class=num>{r[q]:,.0f}</td>" if q in r else "<td class=num>?</td>" for q in cols)
        rows.append(f"<tr><td>{_e(r['what'])}</td><td class=num>{r.get('n', '')}</td><td class=label>"
                    f"{_e(r.get('source', ''))}</td>{vals}</tr>")
    t, d, u = res["total"], res["device"], res["utilisation_pct"]
    rows.append("<tr><td><b>total</b></td><td></td><td></td>" + "".join(f"<td class=num><b>{t[q]:,.0f}</b></td>"
                                                                         for q in cols) + "</tr>")
    rows.append("<tr><td>xczu9eg</td><td></td><td></td>" + "".join(f"<td class=num>{d[q]:,}</td>" for q in cols)
                + "</tr>")
    rows.append("<tr><td>utilisation</td><td></td><td></td>" + "".join(f"<td class=num>{u[q]:.0f}%</td>"
                                                                       for q in cols) + "</tr>")
    return ("<table><tr><th>block</th><th>n</th><th>source</th><th>LUT</th><th>FF</th><th>DSP</th><th>BRAM36</th>"
            f"</tr>{''.join(rows)}</table><p class=label>{_e(res['source'])}</p>")


def _sources_table(report: Report) -> str:
    if not report.sources:
        return "<p>No power source was probed (baselines were given, not measured).</p>"
    rows = "".join(
        f"<tr><td>{_e(s.platform)}</td><td>{_e(s.kind)}</td><td>{_e(s.domain)}</td>"
        f"<td>{'yes' if s.ok else 'not available'}</td><td>{'used' if s.used else ''}</td>"
        f"<td class=label>{_e(s.reason)}</td></tr>" for s in report.sources)
    return ("<table><tr><th>platform</th><th>source</th><th>domain</th><th>available</th><th></th>"
            f"<th>detail</th></tr>{rows}</table>")


def _img(png: bytes, caption: str, alt: str) -> str:
    b64 = base64.b64encode(png).decode("ascii")
    return (f"<figure><img alt='{_e(alt)}' src='data:image/png;base64,{b64}'>"
            f"<figcaption>{_e(caption)}</figcaption></figure>")


def render_plots(report: Report) -> list[tuple[str, bytes, str]]:
    """(title, png, caption) of every plot of the report."""
    shown = [e for e in report.entries if e.group != "modelled"]  # plots show measured and simulated rows
    out = []
    for title, fn in (("energy per frame", plots.energy_bars), ("latency against power", plots.latency_vs_power),
                      ("latency spread", plots.latency_spread)):
        png, cap = fn(shown)
        out.append((title, png, cap))
    tr = plots.power_traces(report.traces)
    if tr is not None:
        out.append(("power traces", tr[0], tr[1]))
    return out


def render_html(report: Report, plot_list: Sequence[tuple[str, bytes, str]]) -> str:
    """The self-contained HTML page."""
    m, h = report.model, report.host
    measured, fpga, example = report.group("measured"), report.group("fpga"), report.group("example")
    modelled = report.group("modelled")
    mac_rows = "".join(f"<tr><td>{_e(k)}</td><td class=num>{v:,}</td></tr>" for k, v in m["mac_breakdown"].items())
    host = ", ".join(f"{_e(k)}: {_e(v)}" for k, v in h.items())
    parts = [
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>",
        "<title>Edge-MoE energy-efficiency report</title>", f"<style>{CSS}</style></head><body>",
        "<h1>Edge-MoE energy-efficiency report</h1>",
        f"<p class=label>Generated {_e(report.generated_at)}. Every figure is in <code>{JSON_NAME}</code> "
        "beside this page.</p>",
        "<div class=box>",
        f"<p><b>Model</b>: {_e(m['name'])}, task {m['task']}; {m['macs_per_frame']:,} MAC per frame "
        f"({m['gmac_per_frame']:.3f} GMAC, computed from the model dimensions; 1 MAC = {m['ops_per_mac']} ops).",
        f"<br><b>Weights</b>: {_e(m['weights'] or 'n/a')}. <b>Input</b>: {_e(m['image'] or 'n/a')}.</p>",
        f"<p><b>Host</b>: {host}</p>",
        f"<p><b>Power basis</b>: {_e(report.settings['power_basis'])} "
        "(dynamic = mean power while running minus the idle baseline; total = mean power while running). "
        "Declared figures are used as given and always marked <span class=declared>declared</span>.</p>",
        "</div>",
        "<h2>Measured on this machine (CPU / GPU baselines)</h2>",
        _entry_table(measured) if measured else "<p>No baseline was measured.</p>",
        "<h2>FPGA (from measurement records)</h2>",
        _entry_table(fpga) if fpga else f"<p class=banner><b>FPGA: {_e(report.fpga_status)}.</b> Pass a "
        "record written by the board driver or the RTL simulation with <code>--record FILE</code> "
        "(format: docs/report.md).</p>",
    ]
    if example:
        parts += ["<h2>Example records: generated test data, NOT measurements</h2>",
                  "<p class=banner>These rows come from records of kind <code>example</code>. They exercise the "
                  "report and must not be quoted as results.</p>", _entry_table(example)]
    if modelled:
        parts += ["<h2>Modelled (performance model and Yosys estimates; NOT measured)</h2>",
                  "<p class=banner>Latency from <code>edgemoe.perf_model</code>, resources from Yosys "
                  "(<code>hw/synth/results.json</code>). Figures of a model, shown apart from the measured and "
                  "simulated rows; their ratios are listed separately.</p>", _entry_table(modelled)]
        res = modelled[0].details.get("resources")
        if res:
            parts += ["<h3>Resources (Yosys)</h3>", _resources_table(res)]
    parts += ["<h2>Ratios against the baselines</h2>", _ratio_table(report, "measured")]
    if modelled:
        parts += ["<h3>Ratios of the modelled row (model vs measurement: always MIXED)</h3>",
                  _ratio_table(report, "modelled")]
    if example:
        parts += ["<h3>Ratios of the example records (test data)</h3>", _ratio_table(report, "example")]
    parts += [
        "<h2>Plots</h2>", *(_img(png, cap, title) for title, png, cap in plot_list),
        "<div class=published><h2>Published figures (literature; not measured here)</h2>",
        "<p>Reported by the papers, on their hardware and their baselines. They are a reference to compare "
        "against, never mixed into the measured figures above.</p>", _published_table(report), "</div>",
        "<h2>Power sources</h2>", _sources_table(report),
    ]
    if report.notes:
        parts += ["<h2>Notes</h2><ul>", *(f"<li>{_e(n)}</li>" for n in report.notes), "</ul>"]
    parts += [
        "<h2>Method</h2><ul>",
        "<li>Latency per frame = run time / batch; median, mean, sample std (ddof 1), min, max over the timed runs."
        "</li><li>Throughput = 1 / mean latency per frame. Energy per frame = power x mean latency per frame. "
        "Frames per joule = 1 / energy per frame. GOPS = 2 x MAC / mean latency / 1e9. GOPS/W = GOPS / power.</li>"
        "<li>Ratios are subject / baseline, oriented so that &gt;1 favours the subject; a ratio between figures "
        "of different kinds (measured, simulated, declared, example) is marked MIXED.</li>",
        "<li>MAC count per frame, by layer kind (matrix products only):</li></ul>",
        f"<table><tr><th>layers</th><th>MAC</th></tr>{mac_rows}</table>",
        "</body></html>",
    ]
    return "\n".join(parts)


def _json_default(o: Any) -> Any:
    import numpy as np

    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def _clean(o: Any) -> Any:
    """NaN and infinities become None (JSON has neither); containers recursively."""
    import numpy as np

    if isinstance(o, (float, np.floating)):
        return float(o) if math.isfinite(o) else None
    if isinstance(o, dict):
        return {k: _clean(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_clean(v) for v in o]
    if isinstance(o, np.ndarray):
        return _clean(o.tolist())
    return o


def render_json(report: Report, plot_list: Sequence[tuple[str, bytes, str]] = ()) -> str:
    """The JSON of every figure (see :meth:`Report.to_json`), plots listed by title and caption.

    Missing figures (no power, NaN) are ``null``.
    """
    d = report.to_json()
    d["plots"] = [{"title": t, "caption": c} for t, _png, c in plot_list]
    return json.dumps(_clean(d), indent=1, default=_json_default, allow_nan=False)


def _atomic_write(path: Path, data: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_report(report: Report, out: str | Path) -> list[Path]:
    """Render everything first, then write ``report.html`` and ``report.json`` into ``out``."""
    plot_list = render_plots(report)
    page = render_html(report, plot_list)
    js = render_json(report, plot_list)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / JSON_NAME, out / HTML_NAME]
    _atomic_write(paths[0], js)
    _atomic_write(paths[1], page)
    return paths
