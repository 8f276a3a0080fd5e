"""Command lists: one per task for the whole backbone, and small lists for single operations.

:func:`backbone_program` is docs/architecture.md "Dataflow of one backbone pass":

    0  LOAD pix 128 x 768 (IO_PATCHES) -> H
    1  LINEAR embed (mode 5) H -> X rows 1..128, side embed_add (word 4)
    2  LOAD class row (IO_CLASS_ROW) -> X row 0
    per block L:
       LAYERNORM ln1 X -> N;
       per head h: LINEAR q (mode q) N -> Q(h), LINEAR plain k N -> K(h), v N -> V(h), ATTENTION h
       LINEAR resid proj A -> X (side X); LAYERNORM ln2 X -> N;
       dense: LINEAR gelu fc1 N -> H, LINEAR resid fc2 H -> X (side X)
       MoE:   MOE_GATE N (the task's gate record), EXPERTS N (expert block)
       MARK L (no interrupt: the MARK register shows the last finished block)
    STORE X 129 x 192 -> IO_OUTPUT; END

The class-row LOAD follows the embed pass: its rows are disjoint from the pass's, so it
waits for nothing and its 768 B read queues behind the embedding's weights. The two
tasks' lists differ only in the gate record offsets. ``stop_after_block = L`` ends the
list after block L (its X is stored): layer-by-layer debugging against the golden trace.
"""
from __future__ import annotations

from edgemoe.golden.params import model_dims

from . import isa
from .isa import Buf, Descriptor, Mode
from .image import WeightImage


def embed_commands(img: WeightImage) -> list[Descriptor]:
    d = model_dims()
    return [
        isa.load(Buf.H, isa.IO_PATCHES, d.num_patches, d.patch_k, fmt=isa.LoadFormat.PIX),
        isa.linear(Mode.EMBED, Buf.H, Buf.X, img.offset("patch_embed_weight"), d.patch_k, d.embed_dim,
                   d.num_patches, has_bias=False, dst_row=1, embed_offset=img.offset("embed_add")),
        isa.load(Buf.X, isa.IO_CLASS_ROW, 1, d.embed_dim),
    ]


def block_commands(img: WeightImage, L: int, task: int) -> list[Descriptor]:
    """The commands of block ``L`` for ``task`` (0 seg, 1 depth), ending with ``MARK L``."""
    d = model_dims()
    D, Dh, T = d.embed_dim, d.head_dim, d.num_tokens
    p = f"l{L}_"
    per_head = isa.pass_bytes(D, Dh)
    c = [isa.layernorm(Buf.X, Buf.N, img.offset(p + "norm1"), T)]
    for h in range(d.num_heads):
        chunk = h * Dh // isa.CHUNK
        c.append(isa.linear(Mode.Q, Buf.N, Buf.Q, img.offset(p + "q") + h * per_head, D, Dh, T, dst_chunk=chunk))
        c.append(isa.linear(Mode.PLAIN, Buf.N, Buf.K, img.offset(p + "k") + h * per_head, D, Dh, T, dst_chunk=chunk))
        c.append(isa.linear(Mode.PLAIN, Buf.N, Buf.V, img.offset(p + "v") + h * per_head, D, Dh, T, dst_chunk=chunk))
        c.append(isa.attention(h, T))
    c.append(isa.linear(Mode.RESID, Buf.A, Buf.X, img.offset(p + "attn_proj"), D, D, T, side=Buf.X))
    c.append(isa.layernorm(Buf.X, Buf.N, img.offset(p + "norm2"), T))
    if d.is_moe(L):
        c.append(isa.moe_gate(Buf.N, img.offset(p + f"gate_task{task}"), T))
        c.append(isa.experts(Buf.N, img.offset(p + "experts"), isa.EXPERT_BYTES))
    else:
        c.append(isa.linear(Mode.GELU, Buf.N, Buf.H, img.offset(p + "fc1"), D, d.mlp_hidden, T))
        c.append(isa.linear(Mode.RESID, Buf.H, Buf.X, img.offset(p + "fc2"), d.mlp_hidden, D, T, side=Buf.X))
    c.append(isa.mark(L))
    return c


def backbone_program(img: WeightImage, task: int, stop_after_block: int | None = None) -> list[Descriptor]:
    """The whole backbone for ``task`` (0 seg, 1 depth), or blocks 0..stop_after_block; X stored to IO_OUTPUT."""
    d = model_dims()
    if task not in range(d.num_tasks):
        raise ValueError(f"task: expected 0 (seg) or 1 (depth), got {task!r}")
    last = d.depth - 1 if stop_after_block is None else stop_after_block
    if not 0 <= last < d.depth:
        raise ValueError(f"stop_after_block: expected 0..{d.depth - 1}, got {stop_after_block}")
    cmds = embed_commands(img)
    for L in range(last + 1):
        cmds += block_commands(img, L, task)
    cmds += [isa.store(Buf.X, isa.IO_OUTPUT, d.num_tokens, d.embed_dim), isa.end()]
    return cmds


# ---------------------------------------------------------------- single operations
def single(cmd: Descriptor, *, store: tuple[int, int, int] | None = None) -> list[Descriptor]:
    """``[cmd, (STORE buf rows x cols -> IO_OUTPUT), END]``; ``store = (buffer, rows, cols)``."""
    out = [cmd]
    if store is not None:
        buf, rows, cols = store
        out.append(isa.store(buf, isa.IO_OUTPUT, rows, cols))
    return out + [isa.end()]


def load_buffer(buf: int, io_offset: int, rows: int, cols: int, first_row: int = 0,
                first_col: int = 0) -> Descriptor:
    """``LOAD`` of int32 act codes (``Q``: q codes) into a buffer: how tests fill buffers before one operation."""
    return isa.load(buf, io_offset, rows, cols, first_row, first_col)
