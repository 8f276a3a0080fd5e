"""``edgemoe program``: the accelerator's command list for one task, disassembled, and the weight image map.

Prints one row per command (index, opcode, buffers ``A -> B (+ side C)``, the decoded
fields, the weight record it reads with its offset and size) and the image's map
(every record's offset and size, total bytes), then the I/O region's layout. The
offsets depend only on the layout; with ``--weights`` the image is built from those
weights (and checked to have that layout), so its saturations are reported too.
``--json`` prints the same as one JSON object.
"""
from __future__ import annotations

import argparse
import bisect
import json
import sys
from pathlib import Path

from edgemoe.golden.params import TASKS, model_dims


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--task", default="seg", choices=list(TASKS), help="task whose gate records the list uses")
    p.add_argument("--weights", type=Path, default=None,
                   help="Edge-MoE weights folder or M3ViT checkpoint to build the image from (default: layout only)")
    p.add_argument("--stop-after-block", type=int, default=None, metavar="L",
                   help="end the list after block L (0..11), as the layer-by-layer debug runs do")
    p.add_argument("--json", action="store_true", help="one JSON object instead of the tables")


def _record(entries: list[tuple[str, int, int]], starts: list[int], off: int) -> str:
    i = bisect.bisect_right(starts, off) - 1
    if i < 0:
        return "?"
    name, start, size = entries[i]
    if off >= start + size:
        return "?"
    return name if off == start else f"{name}+{off - start:,}"


def _weight_refs(d, f: dict, entries, starts) -> list[dict]:
    """The weight records a command reads: name (with offset into it), offset, size."""
    from edgemoe.driver import isa

    op = d.op
    refs: list[tuple[int, int]] = []
    if op == isa.Op.LAYERNORM:
        refs.append((f["w_offset"], isa.LN_RECORD))
    elif op == isa.Op.LINEAR:
        refs.append((f["w_offset"], isa.pass_bytes(f["K"], f["N"])))
        if "embed_offset" in f:
            refs.append((f["embed_offset"], f["T"] * isa.EMBED_ROW))
    elif op == isa.Op.MOE_GATE:
        dims = model_dims()
        refs.append((f["w_offset"], isa.pass_bytes(dims.embed_dim, dims.num_experts)))
    elif op == isa.Op.EXPERTS:
        refs.append((f["w_offset"], model_dims().num_experts * f["stride"]))
    return [{"record": _record(entries, starts, o), "offset": o, "size": n} for o, n in refs]


def _buffers(d) -> str:
    from edgemoe.driver import isa

    name = lambda v: isa.Buf(v).name if v in isa.Buf._value2member_map_ else f"?{v}"
    op = d.op
    if op == isa.Op.LOAD:
        return f"DDR -> {name(d.b)}"
    if op == isa.Op.STORE:
        return f"{name(d.a)} -> DDR"
    if op == isa.Op.LAYERNORM:
        return f"{name(d.a)} -> {name(d.b)}"
    if op == isa.Op.LINEAR:
        side = "" if d.c == isa.Buf.NONE else f" + {name(d.c)}"
        return f"{name(d.a)}{side} -> {name(d.b)}"
    if op == isa.Op.ATTENTION:
        return "Q K V -> A"
    if op == isa.Op.MOE_GATE:
        return f"{name(d.a)} -> queues"
    if op == isa.Op.EXPERTS:
        return f"{name(d.a)} + queues -> H, X"
    return ""


_SKIP = {"src", "dst", "side", "w_offset", "embed_offset"}
_ZERO_HIDDEN = {"src_chunk", "dst_chunk", "dst_row", "first_row", "first_col"}  # the table leaves out zero offsets


def describe(cmds, entries) -> list[dict]:
    from edgemoe.driver import isa

    starts = [e[1] for e in entries]
    rows = []
    for i, c in enumerate(cmds):
        f = isa.fields(c)
        rows.append({"index": i, "opcode": c.name, "buffers": _buffers(c),
                     "fields": {k: v for k, v in f.items() if k not in _SKIP},
                     "weights": _weight_refs(c, f, entries, starts), "raw": c.pack().hex()})
    return rows


def main(args: argparse.Namespace) -> int:
    from edgemoe.driver import image as wimage, isa, program

    d = model_dims()
    if args.stop_after_block is not None and not 0 <= args.stop_after_block < d.depth:
        print(f"error: --stop-after-block: expected a block 0..{d.depth - 1}, got {args.stop_after_block}",
              file=sys.stderr)
        return 2
    task = TASKS.index(args.task)
    info: dict = {"task": args.task, "weights": "layout only (no weights given)"}
    if args.weights is not None:
        from edgemoe.golden.fixed_model import FixedWeights
        from edgemoe.golden.weights import WeightError, load_weights

        try:
            w = load_weights(args.weights, heads=False)
        except WeightError as e:
            print(f"error: --weights: {e}", file=sys.stderr)
            return 2
        fw = FixedWeights.from_float(w)
        img = wimage.build_image(fw)
        if img.entries != wimage.layout_entries():
            print("error: built image does not have the documented layout", file=sys.stderr)
            return 1
        info["weights"] = f"{w.source}; {w.describe_synthetic()}"
        info["saturated_weights"] = fw.saturated
    else:
        img = wimage.layout_image()
    cmds = program.backbone_program(img, task, args.stop_after_block)
    rows = describe(cmds, img.entries)
    total = wimage.image_bytes()
    io = {"patches": [isa.IO_PATCHES, isa.IO_CLASS_ROW - isa.IO_PATCHES],
          "class_row": [isa.IO_CLASS_ROW, isa.IO_OUTPUT - isa.IO_CLASS_ROW],
          "output": [isa.IO_OUTPUT, isa.IO_BYTES - isa.IO_OUTPUT], "total_bytes": isa.IO_BYTES}
    if args.json:
        out = {**info, "commands": rows, "command_bytes": len(cmds) * isa.DESC_BYTES,
               "image": {"entries": [{"name": n, "offset": o, "size": s} for n, o, s in img.entries],
                         "total_bytes": total}, "io": io}
        print(json.dumps(out, indent=1))
        return 0
    print(f"command list, task {args.task} ({task}): {len(cmds)} commands, {len(cmds) * isa.DESC_BYTES:,} bytes; "
          f"weights: {info['weights']}")
    print(f"{'#':>4}  {'opcode':<10} {'buffers':<22} {'fields':<58} weights (record, offset, bytes)")
    for r in rows:
        fs = " ".join(f"{k}={v}" for k, v in r["fields"].items() if not (k in _ZERO_HIDDEN and v == 0))
        ws = "; ".join(f"{x['record']} @{x['offset']:,} ({x['size']:,} B)" for x in r["weights"])
        print(f"{r['index']:>4}  {r['opcode']:<10} {r['buffers']:<22} {fs:<58} {ws}")
    print()
    print(f"weight image map ({len(img.entries)} records, {total:,} bytes = {total / 1e6:.2f} MB):")
    print(f"{'offset':>12} {'bytes':>10}  record")
    for n, o, s in img.entries:
        print(f"{o:>12,} {s:>10,}  {n}")
    print(f"{total:>12,} {'':>10}  end")
    print()
    print(f"I/O region ({isa.IO_BYTES:,} bytes from IOBASE): patches @{isa.IO_PATCHES:,} (u8 128 x 768), "
          f"class row @{isa.IO_CLASS_ROW:,} (192 int32), output @{isa.IO_OUTPUT:,} (129 x 192 int32)")
    return 0
