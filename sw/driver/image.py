"""The weight image (docs/architecture.md, "Weight image") and the activation I/O helpers.

:func:`build_image` lays a :class:`~edgemoe.golden.fixed_model.FixedWeights` out as one
little-endian byte image, records back to back (every size is a multiple of 32 B, the
W-offset alignment), in the document's order:

    patch_embed_weight (12 slab records, K = 768), embed_add (rows 1..128),
    per block L: ln1, q, k, v, proj, ln2, then fc1, fc2 (dense L) or
    gate task 0, gate task 1, expert block (MoE L: 16 x 297,216 B, expert-major,
    each expert's fc1 records then its fc2 records).

Record formats:

* slab record (16 output rows of a pass): bytes 0..31 bias mantissas (int16, row r
  at 2r; zero without bias), 32..39 row exponent codes ``wf - 10`` (nibble r, low
  first), 40 bias exponent code ``bf - 6``, 41 valid rows - 1, 42..43 K - 1, 44..47
  magic ``WSLB``, 48..63 zero, then per row per 16-column chunk 16 int16 (lanes >= K zero);
* LN record: gamma[192] int16, beta[192] int16, byte 768 gamma code ``fg - 6``, 769
  beta code ``fb - 6``, zero to 832 B;
* embed_add record: per token 1..128, 192 int16 + one exponent byte ``fa - 6``, zero to 448 B.

:func:`parse_image` reads an image back into the same mantissas and exponents (a dict
of :class:`~edgemoe.golden.fixedpoint.Scaled` under the FixedWeights names; ``embed_add``
holds rows 1..128 only: row 0 becomes the class row in the I/O region, :func:`class_row`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from edgemoe.golden.fixed_model import FixedWeights
from edgemoe.golden.fixedpoint import Scaled, fmt, round_shift, rowfmt, saturate
from edgemoe.golden.params import ModelDims, model_dims
from edgemoe.golden.patch_embed import patches

from . import isa

W_EXP_MIN = rowfmt("w").frac_min   # 10
B_EXP_MIN = rowfmt("b").frac_min   # 6


class ImageError(ValueError):
    """A weight image is malformed (parse side); the message names the record."""


@dataclass
class WeightImage:
    """A built image: ``data`` (bytes), ``entries`` [(name, offset, size)] in order."""

    data: bytes
    entries: list[tuple[str, int, int]] = field(default_factory=list)

    def offset(self, name: str) -> int:
        for n, off, _ in self.entries:
            if n == name:
                return off
        raise KeyError(f"weight image has no record '{name}'")

    def size(self, name: str) -> int:
        for n, _, sz in self.entries:
            if n == name:
                return sz
        raise KeyError(f"weight image has no record '{name}'")

    def __len__(self) -> int:
        return len(self.data)


# ---------------------------------------------------------------- records
def slab_records(w: Scaled, b: Scaled | None) -> bytes:
    """The ceil(N/16) slab records of a pass: ``w`` (N, K) row-scaled, ``b`` (N,) one exponent or None."""
    codes = np.asarray(w.codes, dtype=np.int64)
    N, K = codes.shape
    kt = (K + isa.CHUNK - 1) // isa.CHUNK
    wfrac = np.broadcast_to(np.asarray(w.frac, dtype=np.int64), (N,))
    if b is not None:
        bcodes = np.asarray(b.codes, dtype=np.int64).reshape(N)
        bcode = int(b.frac) - B_EXP_MIN
    out = bytearray()
    for r0 in range(0, N, isa.SLAB_ROWS):
        rows = min(isa.SLAB_ROWS, N - r0)
        hdr = np.zeros(isa.SLAB_HEADER, dtype=np.uint8)
        if b is not None:
            hdr[:2 * rows] = np.frombuffer(bcodes[r0:r0 + rows].astype("<i2").tobytes(), np.uint8)
            hdr[40] = bcode & 0xF
        e = wfrac[r0:r0 + rows] - W_EXP_MIN
        nib = np.zeros(16, dtype=np.uint8)
        nib[:rows] = e
        hdr[32:40] = nib[0::2] | (nib[1::2] << 4)
        hdr[41] = rows - 1
        hdr[42:44] = np.frombuffer(np.uint16(K - 1).astype("<u2").tobytes(), np.uint8)
        hdr[44:48] = np.frombuffer(np.uint32(isa.SLAB_MAGIC).astype("<u4").tobytes(), np.uint8)
        body = np.zeros((rows, kt * isa.CHUNK), dtype="<i2")
        body[:, :K] = codes[r0:r0 + rows]
        out += hdr.tobytes() + body.tobytes()
    return bytes(out)


def ln_record(gamma: Scaled, beta: Scaled) -> bytes:
    r = np.zeros(isa.LN_RECORD, dtype=np.uint8)
    D = gamma.codes.shape[0]
    r[:2 * D] = np.frombuffer(np.asarray(gamma.codes).astype("<i2").tobytes(), np.uint8)
    r[2 * D:4 * D] = np.frombuffer(np.asarray(beta.codes).astype("<i2").tobytes(), np.uint8)
    r[4 * D] = int(gamma.frac) - B_EXP_MIN
    r[4 * D + 1] = int(beta.frac) - B_EXP_MIN
    return r.tobytes()


def embed_add_record(add: Scaled) -> bytes:
    """Rows 1..T-1 of embed_add: 192 int16 + exponent byte, padded to 448 B each."""
    codes = np.asarray(add.codes)[1:]
    T1, D = codes.shape
    r = np.zeros((T1, isa.EMBED_ROW), dtype=np.uint8)
    r[:, :2 * D] = np.frombuffer(codes.astype("<i2").tobytes(), np.uint8).reshape(T1, 2 * D)
    r[:, 2 * D] = np.asarray(add.frac)[1:] - B_EXP_MIN
    return r.tobytes()


def _layout(fw: FixedWeights, d: ModelDims) -> list[tuple[str, bytes]]:
    D = d.embed_dim
    recs: list[tuple[str, bytes]] = [("patch_embed_weight", slab_records(fw["patch_embed_weight"], None)),
                                     ("embed_add", embed_add_record(fw["embed_add"]))]
    for L in range(d.depth):
        p = f"l{L}_"
        recs.append((p + "norm1", ln_record(fw[p + "norm1_weight"], fw[p + "norm1_bias"])))
        wqkv, bqkv = fw[p + "qkv_weight"], fw[p + "qkv_bias"]
        for i, m in enumerate("qkv"):
            recs.append((p + m, slab_records(wqkv[i * D:(i + 1) * D], bqkv[i])))
        recs.append((p + "attn_proj", slab_records(fw[p + "attn_proj_weight"], fw[p + "attn_proj_bias"])))
        recs.append((p + "norm2", ln_record(fw[p + "norm2_weight"], fw[p + "norm2_bias"])))
        if not d.is_moe(L):
            recs.append((p + "fc1", slab_records(fw[p + "fc1_weight"], fw[p + "fc1_bias"])))
            recs.append((p + "fc2", slab_records(fw[p + "fc2_weight"], fw[p + "fc2_bias"])))
            continue
        for t in range(d.num_tasks):
            recs.append((p + f"gate_task{t}", slab_records(fw[p + f"w_gate_T_task{t}"], None)))
        w1, b1, w2, b2 = (fw[p + n] for n in ("htoh4_weight", "htoh4_bias", "h4toh_weight", "h4toh_bias"))
        blk = b"".join(slab_records(w1[e], b1[e]) + slab_records(w2[e], b2[e]) for e in range(d.num_experts))
        recs.append((p + "experts", blk))
    return recs


def build_image(fw: FixedWeights, dims: ModelDims | None = None) -> WeightImage:
    """The weight image of ``fw`` (see the module doc for the layout); every offset 32-byte aligned."""
    d = dims or model_dims()
    entries, parts, off = [], [], 0
    for name, blob in _layout(fw, d):
        entries.append((name, off, len(blob)))
        parts.append(blob)
        off += len(blob)
        assert off % isa.W_ALIGN == 0, name
    return WeightImage(b"".join(parts), entries)


def layout_entries(dims: ModelDims | None = None) -> list[tuple[str, int, int]]:
    """The image's ``(name, offset, size)`` records without building it (they do not depend on the values)."""
    d = dims or model_dims()
    D = d.embed_dim
    sizes = [("patch_embed_weight", isa.pass_bytes(d.patch_k, D)), ("embed_add", d.num_patches * isa.EMBED_ROW)]
    for L in range(d.depth):
        p = f"l{L}_"
        sizes += [(p + "norm1", isa.LN_RECORD)] + [(p + m, isa.pass_bytes(D, D)) for m in ("q", "k", "v", "attn_proj")]
        sizes.append((p + "norm2", isa.LN_RECORD))
        if d.is_moe(L):
            sizes += [(p + f"gate_task{t}", isa.pass_bytes(D, d.num_experts)) for t in range(d.num_tasks)]
            sizes.append((p + "experts", d.num_experts * isa.EXPERT_BYTES))
        else:
            sizes += [(p + "fc1", isa.pass_bytes(D, d.mlp_hidden)), (p + "fc2", isa.pass_bytes(d.mlp_hidden, D))]
    out, off = [], 0
    for name, n in sizes:
        out.append((name, off, n))
        off += n
    return out


def layout_image(dims: ModelDims | None = None) -> WeightImage:
    """A :class:`WeightImage` with the layout's entries and no data: enough to build command lists."""
    return WeightImage(b"", layout_entries(dims))


def image_bytes(dims: ModelDims | None = None) -> int:
    """Size of the image without building it."""
    _, off, n = layout_entries(dims)[-1]
    return off + n


# ---------------------------------------------------------------- parsing
@dataclass(frozen=True)
class Slabs:
    """A decoded pass: weights (N, K) int16 codes, row fracs (N,), bias codes (N,) and bias fracs (N,)."""

    w: np.ndarray
    wfrac: np.ndarray
    b: np.ndarray
    bfrac: np.ndarray
    magic_ok: np.ndarray   # (records,) bool
    k_field: np.ndarray    # (records,) K - 1 as stored
    rows_field: np.ndarray  # (records,) valid rows - 1 as stored


def decode_slabs(buf: np.ndarray, K: int, N: int) -> Slabs:
    """Decode ``ceil(N/16)`` records of a pass from ``buf`` (np.uint8, exactly :func:`isa.pass_bytes` long).

    The valid-row count used for the layout is the pass's (16, then N mod 16); the
    stored fields are returned for the caller's checks (``BAD_IMAGE``).
    """
    kt = (K + isa.CHUNK - 1) // isa.CHUNK
    full, last = divmod(N, isa.SLAB_ROWS)
    groups = [(full, isa.SLAB_ROWS)] + ([(1, last)] if last else [])
    ws, wfr, bs, bfr, mg, kf, rf = [], [], [], [], [], [], []
    pos = 0
    for nrec, rows in groups:
        if nrec == 0:
            continue
        size = isa.slab_bytes(K, rows)
        r = buf[pos:pos + nrec * size].reshape(nrec, size)
        pos += nrec * size
        h = r[:, :isa.SLAB_HEADER]
        body = r[:, isa.SLAB_HEADER:].copy().view("<i2").reshape(nrec, rows, kt * isa.CHUNK)[:, :, :K]
        ws.append(body.reshape(nrec * rows, K))
        nib = np.stack([h[:, 32:40] & 0xF, h[:, 32:40] >> 4], axis=2).reshape(nrec, 16)[:, :rows]
        wfr.append(nib.astype(np.int64).reshape(-1) + W_EXP_MIN)
        bs.append(h[:, :32].copy().view("<i2")[:, :rows].reshape(-1).astype(np.int64))
        bfr.append(np.repeat((h[:, 40] & 0xF).astype(np.int64) + B_EXP_MIN, rows))
        mg.append(h[:, 44:48].copy().view("<u4").reshape(-1) == isa.SLAB_MAGIC)
        kf.append(h[:, 42:44].copy().view("<u2").reshape(-1).astype(np.int64))
        rf.append(h[:, 41].astype(np.int64))
    return Slabs(np.concatenate(ws), np.concatenate(wfr), np.concatenate(bs), np.concatenate(bfr),
                 np.concatenate(mg), np.concatenate(kf), np.concatenate(rf))


def slabs_ok(s: Slabs, K: int, N: int) -> bool:
    """Every record has the magic, the command's K - 1 and the expected valid rows - 1."""
    full, last = divmod(N, isa.SLAB_ROWS)
    exp_rows = np.array([isa.SLAB_ROWS - 1] * full + ([last - 1] if last else []))
    return bool(s.magic_ok.all() and (s.k_field == K - 1).all() and (s.rows_field == exp_rows).all())


def decode_ln(buf: np.ndarray, D: int) -> tuple[Scaled, Scaled]:
    g = buf[:2 * D].copy().view("<i2").astype(np.int64)
    b = buf[2 * D:4 * D].copy().view("<i2").astype(np.int64)
    return (Scaled(g, np.array(int(buf[4 * D] & 0xF) + B_EXP_MIN)),
            Scaled(b, np.array(int(buf[4 * D + 1] & 0xF) + B_EXP_MIN)))


def decode_embed_add(buf: np.ndarray, rows: int, D: int) -> Scaled:
    r = buf[:rows * isa.EMBED_ROW].reshape(rows, isa.EMBED_ROW)
    codes = r[:, :2 * D].copy().view("<i2").astype(np.int64)
    return Scaled(codes, (r[:, 2 * D] & 0xF).astype(np.int64) + B_EXP_MIN)


def _pass(s: Slabs, bias: bool) -> tuple[Scaled, Scaled | None]:
    w = Scaled(s.w.astype(np.int64), s.wfrac)
    if not bias:
        return w, None
    return w, Scaled(s.b, np.array(int(s.bfrac[0])))


def parse_image(data: bytes, dims: ModelDims | None = None) -> dict[str, Scaled]:
    """Read an image back into FixedWeights-named :class:`Scaled` codes (``embed_add``: rows 1..128).

    Raises :class:`ImageError` when the size or a slab header (magic, K, valid rows) is wrong.
    """
    d = dims or model_dims()
    D, E = d.embed_dim, d.num_experts
    if len(data) != image_bytes(d):
        raise ImageError(f"weight image: expected {image_bytes(d)} bytes, got {len(data)}")
    buf = np.frombuffer(data, dtype=np.uint8)
    out: dict[str, Scaled] = {}
    pos = 0

    def take(n: int) -> np.ndarray:
        nonlocal pos
        v = buf[pos:pos + n]
        pos += n
        return v

    def slabs(name: str, K: int, N: int, bias: bool) -> tuple[Scaled, Scaled | None]:
        s = decode_slabs(take(isa.pass_bytes(K, N)), K, N)
        if not slabs_ok(s, K, N):
            raise ImageError(f"weight image: bad slab header in '{name}' (magic, K - 1 = {K - 1} or valid rows)")
        return _pass(s, bias)

    out["patch_embed_weight"], _ = slabs("patch_embed_weight", d.patch_k, D, False)
    out["embed_add"] = decode_embed_add(take(d.num_patches * isa.EMBED_ROW), d.num_patches, D)
    for L in range(d.depth):
        p = f"l{L}_"
        out[p + "norm1_weight"], out[p + "norm1_bias"] = decode_ln(take(isa.LN_RECORD), D)
        ws, bs = [], []
        for m in "qkv":
            w, b = slabs(p + m, D, D, True)
            ws.append(w)
            bs.append(b)
        out[p + "qkv_weight"] = Scaled(np.concatenate([w.codes for w in ws]), np.concatenate([w.frac for w in ws]))
        out[p + "qkv_bias"] = Scaled(np.stack([b.codes for b in bs]), np.array([int(b.frac) for b in bs]))
        out[p + "attn_proj_weight"], out[p + "attn_proj_bias"] = slabs(p + "attn_proj", D, D, True)
        out[p + "norm2_weight"], out[p + "norm2_bias"] = decode_ln(take(isa.LN_RECORD), D)
        if not d.is_moe(L):
            out[p + "fc1_weight"], out[p + "fc1_bias"] = slabs(p + "fc1", D, d.mlp_hidden, True)
            out[p + "fc2_weight"], out[p + "fc2_bias"] = slabs(p + "fc2", d.mlp_hidden, D, True)
            continue
        for t in range(d.num_tasks):
            out[p + f"w_gate_T_task{t}"], _ = slabs(p + f"gate_task{t}", D, E, False)
        parts = [slabs(p + f"experts[{e}].{f}", *kn, True) for e in range(E)
                 for f, kn in (("fc1", (D, d.expert_hidden)), ("fc2", (d.expert_hidden, D)))]
        f1, f2 = parts[0::2], parts[1::2]
        out[p + "htoh4_weight"] = Scaled(np.stack([w.codes for w, _ in f1]), np.stack([w.frac for w, _ in f1]))
        out[p + "htoh4_bias"] = Scaled(np.stack([b.codes for _, b in f1]), np.array([int(b.frac) for _, b in f1]))
        out[p + "h4toh_weight"] = Scaled(np.stack([w.codes for w, _ in f2]), np.stack([w.frac for w, _ in f2]))
        out[p + "h4toh_bias"] = Scaled(np.stack([b.codes for _, b in f2]), np.array([int(b.frac) for _, b in f2]))
    return out


# ---------------------------------------------------------------- activation I/O
def patch_bytes(pix: np.ndarray, dims: ModelDims | None = None) -> bytes:
    """pix codes (3, H, W) -> the I/O region's patches: u8, patch-major, (c, ky, kx) inside a patch."""
    d = dims or model_dims()
    p = fmt("pix").check(np.asarray(pix), "image pixels")
    exp = (d.img_c, d.img_h, d.img_w)
    if p.shape != exp:
        raise ValueError(f"image: expected pix codes of shape {exp}, got {p.shape}")
    return patches(p, d.patch).astype(np.uint8).tobytes()


def class_row(fw: FixedWeights) -> np.ndarray:
    """The class-token row ``x[0] = sat_act(round(embed_add[0]))`` as int32 (192,) act codes (host constant)."""
    act = fmt("act")
    add = fw["embed_add"]
    f0 = int(np.asarray(add.frac)[0])
    c0 = np.asarray(add.codes)[0].astype(np.int64)
    v = round_shift(c0, f0 - act.frac) if f0 >= act.frac else c0 << (act.frac - f0)
    return saturate(v, act).astype(np.int32)


def class_row_bytes(fw: FixedWeights) -> bytes:
    return class_row(fw).astype("<i4").tobytes()


def output_codes(region: bytes | np.ndarray, rows: int | None = None) -> np.ndarray:
    """The output region (``IO_OUTPUT``.., int32 little endian) as (rows, 192) int64 act codes."""
    D = model_dims().embed_dim
    rows = rows or isa.TOKENS
    a = np.frombuffer(bytes(region[:4 * rows * D]), dtype="<i4")
    return a.reshape(rows, D).astype(np.int64)
