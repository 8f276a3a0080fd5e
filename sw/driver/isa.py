"""The accelerator's command set (docs/architecture.md, "Command descriptors").

A command is a 32-byte descriptor: eight little-endian 32-bit words. Word 0 is
common to every opcode::

    [7:0] opcode  [11:8] buffer A (source)  [15:12] buffer B (destination)
    [19:16] buffer C (side stream)  [31:20] opcode-specific ("spec")

Words 1..7 are opcode-specific; fields an opcode does not use must be zero
(the sequencer answers ``BAD_FIELD`` otherwise). :class:`Descriptor` holds the
raw fields; the constructors below (:func:`load`, :func:`linear`, ...) place named
fields at the document's bit positions, and :func:`fields` decodes them back for
the disassembler. ``encode(list) -> bytes`` is the list in DDR.

I/O region (relative to ``IOBASE``, docs "Activation I/O"): patches at
:data:`IO_PATCHES` (u8, patch-major, 128 x 768), the class-token row at
:data:`IO_CLASS_ROW` (192 int32), the block-11 output at :data:`IO_OUTPUT`
(129 x 192 int32); :data:`IO_BYTES` in total.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from enum import IntEnum

from edgemoe.golden.params import model_dims

DESC_BYTES = 32
"""Bytes per command descriptor (and the command list's alignment)."""


class Op(IntEnum):
    END = 0x00
    LOAD = 0x01
    STORE = 0x02
    LAYERNORM = 0x03
    LINEAR = 0x04
    ATTENTION = 0x05
    MOE_GATE = 0x06
    EXPERTS = 0x07
    MARK = 0x08
    NOP = 0x0F


class Buf(IntEnum):
    X = 0
    N = 1
    Q = 2
    K = 3
    V = 4
    A = 5
    H = 6
    NONE = 15


class Mode(IntEnum):
    """``LINEAR`` output stage (word 0 [22:20])."""

    PLAIN = 0
    GELU = 1
    Q = 2
    RESID = 3
    SCALED = 4
    EMBED = 5


class LoadFormat(IntEnum):
    """``LOAD`` source format (word 0 [23:20])."""

    ACT = 0  # int32 act codes
    PIX = 1  # u8 pix codes, loaded as pix << 8


class Err(IntEnum):
    NONE = 0
    BAD_OPCODE = 1
    BAD_FIELD = 2
    AXI_READ = 3
    AXI_WRITE = 4
    TIMEOUT = 5
    BAD_IMAGE = 6
    ABORTED = 7
    START_BUSY = 8


# ---------------------------------------------------------------- geometry shared by image, program and ISS
_D = model_dims()
TOKENS = _D.num_tokens                    # 129 rows in every buffer
CHUNK = 16                                # columns per buffer chunk (one linear-unit beat)
BUF_COLS = {Buf.X: _D.embed_dim, Buf.N: _D.embed_dim, Buf.Q: _D.embed_dim, Buf.K: _D.embed_dim,
            Buf.V: _D.embed_dim, Buf.A: _D.embed_dim, Buf.H: _D.mlp_hidden}
"""Columns of each architectural buffer (all have :data:`TOKENS` rows)."""

IO_PATCHES = 0
IO_CLASS_ROW = _D.num_patches * _D.patch_k                     # 98,304
IO_OUTPUT = IO_CLASS_ROW + 4 * _D.embed_dim                    # 99,072
IO_BYTES = IO_OUTPUT + 4 * TOKENS * _D.embed_dim               # 198,144
IO_ALIGN = 16        # LOAD / STORE I/O offsets: one 128-bit AXI beat
W_ALIGN = 32         # W offsets (slab, LN, gate, embed_add records, expert blocks): one w beat
CMD_ALIGN = DESC_BYTES
BASE_ALIGN = 4096    # WBASE and IOBASE

SLAB_MAGIC = 0x424C5357  # "WSLB" little endian
SLAB_HEADER = 64
SLAB_ROWS = 16
LN_RECORD = 832
EMBED_ROW = 448


def slab_bytes(K: int, rows: int = SLAB_ROWS) -> int:
    """Size of one slab record: 64-byte header + rows x ceil(K/16) w beats of 32 B."""
    return SLAB_HEADER + rows * ((K + CHUNK - 1) // CHUNK) * 32


def pass_bytes(K: int, N: int) -> int:
    """Size of a pass's ceil(N/16) consecutive slab records."""
    full, last = divmod(N, SLAB_ROWS)
    return full * slab_bytes(K) + (slab_bytes(K, last) if last else 0)


EXPERT_FC1 = pass_bytes(_D.embed_dim, _D.expert_hidden)       # 148,992
EXPERT_FC2 = pass_bytes(_D.expert_hidden, _D.embed_dim)       # 148,224
EXPERT_BYTES = EXPERT_FC1 + EXPERT_FC2                         # 297,216: the expert stride


# ---------------------------------------------------------------- descriptors
@dataclass(frozen=True)
class Descriptor:
    """One command: word-0 fields plus words 1..7 (raw unsigned 32-bit values)."""

    op: int
    a: int = 0
    b: int = 0
    c: int = 0
    spec: int = 0
    words: tuple[int, ...] = field(default=(0,) * 7)

    def __post_init__(self) -> None:
        if len(self.words) != 7:
            raise ValueError(f"Descriptor: expected 7 words after word 0, got {len(self.words)}")
        for name, v, bits in (("op", self.op, 8), ("a", self.a, 4), ("b", self.b, 4), ("c", self.c, 4),
                              ("spec", self.spec, 12)):
            if not 0 <= v < (1 << bits):
                raise ValueError(f"Descriptor.{name} = {v} does not fit {bits} bits")
        for i, w in enumerate(self.words):
            if not 0 <= w < (1 << 32):
                raise ValueError(f"Descriptor word {i + 1} = {w} does not fit 32 bits")

    @property
    def word0(self) -> int:
        return self.op | self.a << 8 | self.b << 12 | self.c << 16 | self.spec << 20

    def w(self, i: int) -> int:
        """Word ``i`` (0..7)."""
        return self.word0 if i == 0 else self.words[i - 1]

    def pack(self) -> bytes:
        return struct.pack("<8I", self.word0, *self.words)

    @classmethod
    def unpack(cls, data: bytes) -> "Descriptor":
        if len(data) != DESC_BYTES:
            raise ValueError(f"Descriptor.unpack: expected {DESC_BYTES} bytes, got {len(data)}")
        w = struct.unpack("<8I", bytes(data))
        return cls(w[0] & 0xFF, (w[0] >> 8) & 0xF, (w[0] >> 12) & 0xF, (w[0] >> 16) & 0xF, w[0] >> 20, tuple(w[1:]))

    @property
    def name(self) -> str:
        try:
            return Op(self.op).name
        except ValueError:
            return f"0x{self.op:02X}?"


def encode(cmds: list[Descriptor]) -> bytes:
    """The command list as it lies in DDR (32 B per descriptor, in order)."""
    return b"".join(c.pack() for c in cmds)


def decode(data: bytes) -> list[Descriptor]:
    if len(data) % DESC_BYTES:
        raise ValueError(f"decode: {len(data)} bytes is not a whole number of {DESC_BYTES}-byte descriptors")
    return [Descriptor.unpack(data[i:i + DESC_BYTES]) for i in range(0, len(data), DESC_BYTES)]


def _words(*ws: int) -> tuple[int, ...]:
    return tuple(ws) + (0,) * (7 - len(ws))


# Constructors: the document's field positions. They check only what the encoding needs
# (widths); range and buffer rules are the sequencer's (the ISS answers BAD_FIELD).
def end() -> Descriptor:
    return Descriptor(Op.END)


def nop() -> Descriptor:
    return Descriptor(Op.NOP)


def mark(value: int, irq: bool = False) -> Descriptor:
    """``MARK``: word 1 to the MARK register; word 0 [20] raises the mark interrupt."""
    return Descriptor(Op.MARK, spec=int(irq), words=_words(value))


def load(dst: int, io_offset: int, rows: int, cols: int, first_row: int = 0, first_col: int = 0,
         fmt: int = LoadFormat.ACT) -> Descriptor:
    """``LOAD`` rows x cols from ``IOBASE + io_offset`` (row-major) into buffer ``dst`` at (first_row, first_col)."""
    return Descriptor(Op.LOAD, b=dst, spec=fmt, words=_words(io_offset, rows | cols << 16, first_row | first_col << 16))


def store(src: int, io_offset: int, rows: int, cols: int, first_row: int = 0, first_col: int = 0) -> Descriptor:
    """``STORE`` rows x cols of buffer ``src`` (saturated to act, int32) to ``IOBASE + io_offset``."""
    return Descriptor(Op.STORE, a=src, words=_words(io_offset, rows | cols << 16, first_row | first_col << 16))


def layernorm(src: int, dst: int, w_offset: int, T: int) -> Descriptor:
    return Descriptor(Op.LAYERNORM, a=src, b=dst, words=_words(w_offset, T - 1))


def linear(mode: int, src: int, dst: int, w_offset: int, K: int, N: int, T: int, *, has_bias: bool = True,
           side: int = Buf.NONE, src_chunk: int = 0, dst_chunk: int = 0, dst_row: int = 0,
           embed_offset: int = 0) -> Descriptor:
    """``LINEAR``: a pass (K, N, T) from ``src`` columns ``16 src_chunk..`` into ``dst`` columns ``16 dst_chunk..``,
    rows ``dst_row..dst_row + T - 1``; ``embed_offset`` (word 4) only for mode EMBED."""
    spec = (mode & 0x7) | (int(has_bias) << 3)
    return Descriptor(Op.LINEAR, a=src, b=dst, c=side, spec=spec,
                      words=_words(w_offset, (K - 1) | (N - 1) << 16,
                                   (T - 1) | src_chunk << 8 | dst_chunk << 16 | dst_row << 24, embed_offset))


def attention(head: int, T: int) -> Descriptor:
    return Descriptor(Op.ATTENTION, spec=head, words=_words(0, T - 1))


def moe_gate(src: int, w_offset: int, T: int) -> Descriptor:
    return Descriptor(Op.MOE_GATE, a=src, words=_words(w_offset, T - 1))


def experts(src: int, w_offset: int, stride: int = EXPERT_BYTES) -> Descriptor:
    return Descriptor(Op.EXPERTS, a=src, words=_words(w_offset, stride))


def _buf(v: int) -> str:
    try:
        return Buf(v).name
    except ValueError:
        return f"?{v}"


def fields(d: Descriptor) -> dict:
    """The named fields of a descriptor as the document defines them (for the disassembler).

    Unknown opcodes give ``{"raw": [words]}``. Values are decoded, not validated.
    """
    w = d.words
    if d.op == Op.LOAD:
        return {"dst": _buf(d.b), "format": "pix" if d.spec == LoadFormat.PIX else ("act" if d.spec == 0 else d.spec),
                "io_offset": w[0], "rows": w[1] & 0xFFFF, "cols": w[1] >> 16, "first_row": w[2] & 0xFFFF,
                "first_col": w[2] >> 16}
    if d.op == Op.STORE:
        return {"src": _buf(d.a), "io_offset": w[0], "rows": w[1] & 0xFFFF, "cols": w[1] >> 16,
                "first_row": w[2] & 0xFFFF, "first_col": w[2] >> 16}
    if d.op == Op.LAYERNORM:
        return {"src": _buf(d.a), "dst": _buf(d.b), "w_offset": w[0], "T": (w[1] & 0xFF) + 1}
    if d.op == Op.LINEAR:
        mode = d.spec & 0x7
        f = {"mode": Mode(mode).name.lower() if mode <= 5 else mode, "has_bias": bool(d.spec >> 3 & 1),
             "src": _buf(d.a), "dst": _buf(d.b), "side": _buf(d.c), "w_offset": w[0],
             "K": (w[1] & 0x3FF) + 1, "N": (w[1] >> 16 & 0x3FF) + 1, "T": (w[2] & 0xFF) + 1,
             "src_chunk": w[2] >> 8 & 0xFF, "dst_chunk": w[2] >> 16 & 0xFF, "dst_row": w[2] >> 24}
        if mode == Mode.EMBED:
            f["embed_offset"] = w[3]
        return f
    if d.op == Op.ATTENTION:
        return {"head": d.spec & 0x3, "T": (w[1] & 0xFF) + 1}
    if d.op == Op.MOE_GATE:
        return {"src": _buf(d.a), "w_offset": w[0], "T": (w[1] & 0xFF) + 1}
    if d.op == Op.EXPERTS:
        return {"src": _buf(d.a), "w_offset": w[0], "stride": w[1]}
    if d.op == Op.MARK:
        return {"value": w[0], "irq": bool(d.spec & 1)}
    if d.op in (Op.END, Op.NOP):
        return {}
    return {"raw": [d.word0, *w]}
