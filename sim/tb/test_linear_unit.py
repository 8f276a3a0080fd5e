"""cocotb testbench of hw/rtl/linear_unit.sv against edgemoe.golden.linear (pytest runner at the bottom).

Every pass is a golden-vector problem (``load_vectors("linear", ...)``: random rows plus
edge rows, saturating weight rows, every weight exponent) turned into the unit's
streams exactly as documented in the module header (cfg, w, b, act, side) and
compared word for word with the expected output beats: every bit of every lane,
including the zeroed lanes beyond N. Garbage is driven wherever the header says a
field is ignored (lanes beyond K or N, exponents of non-first chunks, the upper
bits of x_old lanes), so those claims are tested too.
"""
from __future__ import annotations

import math
import os
import random
from dataclasses import dataclass, field

import cocotb
import numpy as np
import pytest
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge

from edgemoe.golden.fixedpoint import Scaled, fmt, round_shift, rowfmt, saturate
from edgemoe.golden.linear import bias_aligned, linear_unit, matmul_exact
from edgemoe.golden.patch_embed import patch_embed_fixed, patches
from edgemoe.sim.crafted import craft_dot_rows, linear_presat
from edgemoe.golden.vectors import LINEAR_MODES
from edgemoe.golden.vectors import load as load_vectors
from edgemoe.sim import coverage
from edgemoe.sim.coverage import COV
from edgemoe.sim.runner import record_vectors, run_tb, write_summary
from edgemoe.sim.streams import StreamSink, StreamSource, pack, unpack, wait_until

ACT, MOE, P = fmt("act"), fmt("moe_acc"), fmt("p")
P_Q = fmt("q")
W, B = rowfmt("w"), rowfmt("b")
LANE = MOE.bits            # out / side lane width


def mac_latency(tile_in: int) -> int:
    """Issue -> accumulator result (module header: MacLat = 4 + log2(TileIn))."""
    return 4 + int(math.log2(tile_in))


def out_latency(tile_in: int) -> int:
    """Last act beat of a token -> its output beat (module header: Lat = MacLat + 19)."""
    return mac_latency(tile_in) + 19


@dataclass
class Pass:
    """One linear-unit pass: inputs, expected outputs and the beats of every stream."""

    mode: str
    x: np.ndarray
    w: object
    b: object | None
    y: np.ndarray
    side: dict = field(default_factory=dict)
    cfg: int = 0
    w_beats: list = field(default_factory=list)
    b_beats: list = field(default_factory=list)
    act_beats: list = field(default_factory=list)
    side_beats: list = field(default_factory=list)
    out_beats: list = field(default_factory=list)

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.x.shape[0], self.x.shape[1], self.y.shape[1]


def make_pass(mode: str, count: int, seed: int, k: int, n: int, bias: bool = True, n_keep: int | None = None) -> Pass:
    """Golden vectors of one pass (``count`` random rows + the generator's edge rows).

    ``n_keep`` keeps only the first outputs (the generator needs N >= 2; every output
    column depends only on its own weight row, bias and side values).
    """
    v = load_vectors("linear", count=count, seed=seed, mode=mode, k=k, n=n)
    x, w = v["x"], v.scaled("w")
    if bias:
        b, y = v.scaled("b"), v["y"]
    else:  # the gate: plain, no bias (golden called directly)
        b, y = None, linear_unit(x, w, None)
    side = {}
    if mode == "resid":
        side["resid"] = v["resid"]
    elif mode == "scaled":
        side["acc_in"], side["p"] = v["acc_in"], v["p"]
    if n_keep is not None:
        w, y = w[:n_keep], y[:, :n_keep]
        b = b[:n_keep] if b is not None else None
        side = {key: (a[:, :n_keep] if a.ndim == 2 else a) for key, a in side.items()}
    return Pass(mode, x, w, b, y, side)


def embed_ref(x: np.ndarray, w: Scaled, b: Scaled | None, add: Scaled) -> np.ndarray:
    """LINEAR mode 5 as the ISS computes it (edgemoe.driver.iss, ``_linear``): the token's add row
    aligned into the accumulator like the bias, one rounding. ``add`` (T, N) codes, frac (T,)."""
    af = ACT.frac + np.asarray(w.frac, dtype=np.int64)
    acc = matmul_exact(x, w.codes) + bias_aligned(b, af)
    acc = acc + np.left_shift(np.asarray(add.codes, dtype=np.int64), af[None, :] - np.asarray(add.frac)[:, None])
    return saturate(round_shift(acc, af[None, :] - ACT.frac), ACT)


def make_embed_pass(seed: int, rows: int, k: int, n: int, bias: bool) -> Pass:
    """Mode embed on the linear vectors' x, w (and b) with a random add row per token whose
    exponents cover B's whole range (the extremes first); expected from :func:`embed_ref`."""
    p = make_pass("plain", rows, seed, k=k, n=n, bias=bias)
    rng = np.random.default_rng(seed)
    T = p.x.shape[0]
    fa = rng.integers(B.frac_min, B.frac_max + 1, size=T)
    fa[:2] = (B.frac_min, B.frac_max)
    codes = rng.integers(-(1 << (B.bits - 1)), 1 << (B.bits - 1), size=(T, n))
    codes[0, :2] = (-(1 << (B.bits - 1)), (1 << (B.bits - 1)) - 1)
    add = Scaled(codes, fa)
    return Pass("embed", p.x, p.w, p.b, embed_ref(p.x, p.w, p.b, add), {"add": add})


def make_patch_pass(seed: int, n: int, patch: int = 4) -> Pass:
    """Mode embed on real patches: a 3 x 2patch x 3patch pixel image through
    edgemoe.golden.patch_embed.patch_embed_fixed (K = 3 patch^2, T = 6 patches), which
    :func:`embed_ref` must reproduce; the pass's act beats are the patches' ``pix << 8``."""
    rng = np.random.default_rng(seed)
    K = 3 * patch * patch
    pix = rng.integers(0, 256, size=(3, 2 * patch, 3 * patch))
    pix[0, 0, :4] = (0, 255, 255, 0)
    wf = rng.integers(W.frac_min, W.frac_max + 1, size=n)
    wf[:2] = (W.frac_min, W.frac_max)
    w = Scaled(rng.integers(-(1 << (W.bits - 1)), 1 << (W.bits - 1), size=(n, K)), wf)
    fa = rng.integers(B.frac_min, B.frac_max + 1, size=7)
    fa[1:3] = (B.frac_min, B.frac_max)
    add = Scaled(rng.integers(-(1 << (B.bits - 1)), 1 << (B.bits - 1), size=(7, n)), fa)
    y = patch_embed_fixed(pix, w, add, patch)[1:]
    x = patches(pix, patch) << (ACT.frac - fmt("pix").frac)
    tail = Scaled(add.codes[1:], add.frac[1:])
    assert np.array_equal(embed_ref(x, w, None, tail), y), "embed_ref differs from patch_embed_fixed"
    return Pass("embed", x, w, None, y, {"add": tail})


class TB:
    def __init__(self, dut, idle: float, stall: float, seed: int):
        self.dut = dut
        self.ti = int(dut.TileIn.value)
        self.to = int(dut.TileOut.value)
        self.kw, self.nw, self.tw = int(dut.CfgKW.value), int(dut.CfgNW.value), int(dut.CfgTW.value)
        self.rng = random.Random(seed)
        cocotb.start_soon(Clock(dut.clk_i, 10, unit="ns").start())
        r = lambda i: random.Random(seed * 101 + i)  # noqa: E731
        self.src = {
            "cfg": StreamSource(dut.clk_i, dut.cfg_valid_i, dut.cfg_ready_o, dut.cfg_data_i, idle=idle, rng=r(1)),
            "w": StreamSource(dut.clk_i, dut.w_valid_i, dut.w_ready_o, dut.w_data_i, idle=idle, rng=r(2)),
            "b": StreamSource(dut.clk_i, dut.b_valid_i, dut.b_ready_o, dut.b_data_i, idle=idle, rng=r(3)),
            "act": StreamSource(dut.clk_i, dut.act_valid_i, dut.act_ready_o, dut.act_data_i, idle=idle, rng=r(4)),
            "side": StreamSource(dut.clk_i, dut.side_valid_i, dut.side_ready_o, dut.side_data_i, idle=idle,
                                 rng=r(5)),
        }
        self.sink = StreamSink(dut.clk_i, dut.out_valid_o, dut.out_ready_i, dut.out_data_o, stall=stall, rng=r(6))
        # coverage: every internal FIFO full and empty, the result-queue credits at zero, and the
        # pre-saturation values of each saturating output exactly at max, max + 1, min, min - 1
        for name, h in (("fifo_meta", dut.u_meta), ("fifo_res", dut.u_res)):
            coverage.fifo_probe(h, name, dut.rst_ni)
        # (the GELU bypass is a delay line beside gelu_unit's stages: no count, no boundary)
        # credit flag low: ResDepth = 2^clog2(MacLat + 8) tokens in flight
        coverage.value_probe(dut.credit_ok_q, {0: "credit.zero"}, dut.rst_ni)
        COV.declare(*[f"{o}.sat_{b}" for o in ("act", "q", "resid") for b in ("max", "max+1", "min", "min-1")])
        self.cycle = 0
        self.fires: dict[str, list[int]] = {"cfg": [], "act": [], "out": []}
        cocotb.start_soon(self._monitor())

    async def _monitor(self) -> None:
        """Cycle counter and handshake log (values sampled at the edge are those the flops take)."""
        d = self.dut
        pairs = {"cfg": (d.cfg_valid_i, d.cfg_ready_o), "act": (d.act_valid_i, d.act_ready_o),
                 "out": (d.out_valid_o, d.out_ready_i)}
        while True:
            await RisingEdge(d.clk_i)
            self.cycle += 1
            for name, (v, r) in pairs.items():
                if v.value == 1 and r.value == 1:
                    self.fires[name].append(self.cycle)

    async def reset(self) -> None:
        self.dut.rst_ni.value = 0
        await ClockCycles(self.dut.clk_i, 3)
        self.dut.rst_ni.value = 1
        await RisingEdge(self.dut.clk_i)

    # ---------------------------------------------------------------- stream images
    def _garbage(self, bits: int) -> int:
        return self.rng.randrange(-(1 << (bits - 1)), 1 << (bits - 1))

    def build(self, p: Pass) -> Pass:
        """Fill in the cfg word and every stream's beats as documented in linear_unit.sv."""
        if p.mode == "embed":
            pass   # its saturation points are the add row's, not linear_presat's
        elif p.mode == "q":
            coverage.sat_points(COV, "q", linear_presat(p.x, p.w, p.b, "q", 3), P_Q.min_int, P_Q.max_int)
        elif p.mode == "resid":
            pre = p.side["resid"] + linear_presat(p.x, p.w, p.b)
            coverage.sat_points(COV, "resid", pre, ACT.min_int, ACT.max_int)
        else:
            coverage.sat_points(COV, "act", linear_presat(p.x, p.w, p.b), ACT.min_int, ACT.max_int)
        ti, to = self.ti, self.to
        T, K, N = p.shape
        kt, S = -(-K // ti), -(-N // to)
        has_bias = p.b is not None
        bexp = int(np.asarray(p.b.frac).reshape(-1)[0]) - B.frac_min if has_bias else self.rng.randrange(16)
        koff = 4 + 4
        mode = 5 if p.mode == "embed" else LINEAR_MODES.index(p.mode)
        p.cfg = (mode | (int(has_bias) << 3) | (bexp << 4) | ((K - 1) << koff)
                 | ((N - 1) << (koff + self.kw)) | ((T - 1) << (koff + self.kw + self.nw)))
        wc, wf = p.w.codes, np.asarray(p.w.frac)
        for j in range(S):
            rows = range(j * to, min(N, (j + 1) * to))
            for o in rows:
                for c in range(kt):
                    lanes = [int(wc[o, k]) if k < K else self._garbage(W.bits) for k in range(c * ti, (c + 1) * ti)]
                    e = int(wf[o]) - W.frac_min if c == 0 else self.rng.randrange(16)
                    p.w_beats.append(pack(lanes, W.bits) | (e << (ti * W.bits)))
            if has_bias:
                lanes = [int(p.b.codes[o]) if o < N else self._garbage(B.bits) for o in range(j * to, (j + 1) * to)]
                p.b_beats.append(pack(lanes, B.bits))
            for t in range(T):
                for c in range(kt):
                    lanes = [int(p.x[t, k]) if k < K else self._garbage(ACT.bits) for k in range(c * ti, (c + 1) * ti)]
                    p.act_beats.append(pack(lanes, ACT.bits))
                cols = range(j * to, (j + 1) * to)
                if p.mode == "resid":
                    # x_old in the low ActBits bits; garbage above (the header says: ignored)
                    lanes = [((int(p.side["resid"][t, o]) if o < N else self._garbage(ACT.bits)) & ((1 << ACT.bits) - 1))
                             | (self.rng.randrange(1 << (LANE - ACT.bits)) << ACT.bits) for o in cols]
                    p.side_beats.append(pack(lanes, LANE) | (self.rng.randrange(1 << P.bits) << (to * LANE)))
                elif p.mode == "scaled":
                    lanes = [int(p.side["acc_in"][t, o]) if o < N else self._garbage(LANE) for o in cols]
                    p.side_beats.append(pack(lanes, LANE) | (int(p.side["p"][t]) << (to * LANE)))
                elif p.mode == "embed":
                    # mantissa in the low BBits bits, the row exponent field in the p position's low
                    # bits; garbage above both (ignored)
                    a = p.side["add"]
                    lanes = [((int(a.codes[t, o]) if o < N else self._garbage(B.bits)) & ((1 << B.bits) - 1))
                             | (self.rng.randrange(1 << (LANE - B.bits)) << B.bits) for o in cols]
                    e = (int(a.frac[t]) - B.frac_min) | (self.rng.randrange(1 << (P.bits - 4)) << 4)
                    p.side_beats.append(pack(lanes, LANE) | (e << (to * LANE)))
                p.out_beats.append(pack([int(p.y[t, o]) if o < N else 0 for o in cols], LANE))
        return p

    def send(self, passes: list[Pass]) -> int:
        """Queue every stream of the passes back to back; returns the number of output beats."""
        for p in passes:
            self.src["cfg"].send([p.cfg])
            self.src["w"].send(p.w_beats)
            self.src["b"].send(p.b_beats)
            self.src["act"].send(p.act_beats)
            self.src["side"].send(p.side_beats)
        return sum(len(p.out_beats) for p in passes)

    def check(self, passes: list[Pass], got: list[int]) -> None:
        i = 0
        for n, p in enumerate(passes):
            T, K, N = p.shape
            for b, want in enumerate(p.out_beats):
                if got[i] != want:
                    j, t = divmod(b, T)
                    g, e = unpack(got[i], LANE, self.to), unpack(want, LANE, self.to)
                    bad = [r for r in range(self.to) if g[r] != e[r]]
                    raise AssertionError(
                        f"pass {n} ({p.mode}, T={T} K={K} N={N}) slab {j} token {t}: rows "
                        f"{[j * self.to + r for r in bad]} got {[g[r] for r in bad]} expected {[e[r] for r in bad]}")
                i += 1

    async def run(self, passes: list[Pass], timeout_cycles: int = 2_000_000) -> int:
        """Send, collect and compare; returns the number of output values compared."""
        self.sink.items.clear()
        n = self.send(passes)
        await self.sink.wait_for(n, timeout_cycles)
        await ClockCycles(self.dut.clk_i, 30)
        assert len(self.sink.items) == n, f"{len(self.sink.items)} output beats, expected {n}"
        self.check(passes, self.sink.items)
        for s in self.src.values():
            assert not s.queue, "a stream was not fully consumed"
        return sum(p.y.size for p in passes)


PER_MODE: dict[str, int] = {}


def count(passes: list[Pass]) -> int:
    for p in passes:
        key = p.mode if p.b is not None else "plain_nobias"
        PER_MODE[key] = PER_MODE.get(key, 0) + int(p.y.size)
    return sum(int(p.y.size) for p in passes)


def mode_passes(tb: TB, seed: int, rows: int = 8) -> list[Pass]:
    """Every mode at small sizes (K not a multiple of TileIn, a partial last slab;
    ``rows`` random tokens + 4 edge rows), the gate (no bias) and degenerate shapes."""
    to, ti = tb.to, tb.ti
    ps = [make_pass(m, rows, seed + i, k=2 * ti + 3, n=2 * to + 3) for i, m in enumerate(LINEAR_MODES)]
    ps.append(make_pass("plain", 6, seed + 10, k=3 * ti, n=to - 1, bias=False))
    ps.append(make_pass("gelu", 0, seed + 11, k=1, n=2, n_keep=1))       # K = N = 1, T = 4 edge rows
    ps.append(make_pass("scaled", 1, seed + 12, k=ti - 1, n=to + 1))     # one chunk, 2 slabs
    ps.append(make_pass("q", 3, seed + 13, k=ti + 1, n=3 * to))
    ps.append(make_pass("resid", 2, seed + 14, k=4 * ti, n=to))
    # mode embed after resid (its first side beat must wait for resid's last), with and
    # without a bias, then real patches; then resid again after embed
    ps.insert(4, make_embed_pass(seed + 15, rows, k=2 * ti + 3, n=2 * to + 3, bias=True))
    ps.append(make_embed_pass(seed + 16, 3, k=ti + 2, n=to + 1, bias=False))
    ps.append(make_patch_pass(seed + 17, n=2 * to + 1))
    ps.append(make_pass("resid", 2, seed + 18, k=ti, n=to + 2))
    return [tb.build(p) for p in ps]


def crafted_passes(tb: TB, seed: int) -> list[Pass]:
    """Passes whose pre-saturation outputs hit max, max + 1, min and min - 1 exactly (crafted tokens):
    plain (act), q (q codes, prescale 3) and resid (x_old chosen against the rounded sum)."""
    ti, to = tb.ti, tb.to
    out = []
    for mode, f, pre in (("plain", ACT, 0), ("q", P_Q, 3)):
        p = make_pass(mode, 2, seed + 40 + pre, k=2 * ti + 1, n=to + 2)
        xs = craft_dot_rows(p.w, p.b, [f.max_int, f.max_int + 1, f.min_int, f.min_int - 1], "q" if pre else "act", pre)
        p.x = np.concatenate([p.x, xs])
        p.y = linear_unit(p.x, p.w, p.b, out="q", prescale_log2=3) if pre else linear_unit(p.x, p.w, p.b)
        out.append(p)
    p = make_pass("resid", 8, seed + 45, k=2 * ti + 1, n=to + 2)
    v = linear_presat(p.x, p.w, p.b)
    r = p.side["resid"].copy()
    t = 4
    for target in (ACT.max_int, ACT.max_int + 1, ACT.min_int, ACT.min_int - 1):
        o = int(np.argmax(v[t] > 0)) if target > 0 else int(np.argmax(v[t] < 0))
        r[t, o] = target - v[t, o]
        assert ACT.min_int <= r[t, o] <= ACT.max_int and v[t, o] != 0
        t += 1
    p.side["resid"] = r
    p.y = linear_unit(p.x, p.w, p.b, resid=r)
    out.append(p)
    return [tb.build(p) for p in out]


@cocotb.test()
async def test_modes_backpressure(dut):
    """All modes back to back on the same streams, random idle cycles on every input and backpressure."""
    seed = int(os.environ.get("SEED", "1"))
    tb = TB(dut, idle=0.3, stall=0.3, seed=seed)
    await tb.reset()
    passes = mode_passes(tb, 100 * seed, rows=40) + crafted_passes(tb, 100 * seed)
    await tb.run(passes)
    n = count(passes)
    dut._log.info("linear: %d passes, %d output values bit-exact", len(passes), n)
    write_summary(vectors=n, per_mode=dict(PER_MODE))
    coverage.write(tb)


@cocotb.test()
async def test_heavy_backpressure(dut):
    """The same kind of passes under heavy stalls (output mostly blocked, inputs mostly idle)."""
    tb = TB(dut, idle=0.6, stall=0.7, seed=9)
    await tb.reset()
    passes = mode_passes(tb, 900)
    await tb.run(passes)
    write_summary(vectors=count(passes), per_mode=dict(PER_MODE))
    coverage.write(tb)


@cocotb.test()
async def test_realistic_k192(dut):
    """K = 192 (the embedding width): fc1/expert-fc1-like gelu pass and an expert-combine (scaled) pass."""
    tb = TB(dut, idle=0.2, stall=0.2, seed=21)
    await tb.reset()
    n = 2 * tb.to + tb.to // 2
    passes = [tb.build(make_pass("gelu", 20, 2100, k=192, n=n)),
              tb.build(make_pass("scaled", 12, 2101, k=192, n=n))]
    await tb.run(passes)
    write_summary(vectors=count(passes), per_mode=dict(PER_MODE))
    coverage.write(tb)


def expected_cycles(shapes: list[tuple[int, int, int]], ti: int, to: int,
                    embed: list[bool] | None = None) -> list[dict]:
    """The module header's cycle recurrence over back-to-back passes (every input valid, out ready).

    Cycle 0 is the first cfg handshake; a queued next cfg is taken at LE + 1 of the
    previous pass's last slab, and its first slab starts loading one cycle later. An embed
    slab (``embed[i]``) starts no earlier than LE + 3: its first side beat is prefetched
    in the cycle after the bank is loaded and counts for the ready from the cycle after
    (the passes here follow no resid/scaled pass).
    """
    maclat, lat = mac_latency(ti), out_latency(ti)
    LE: list[int] = []
    CE: list[int] = []
    res = []
    cfg = 0
    for pi, (T, K, N) in enumerate(shapes):
        kt, S = -(-K // ti), -(-N // to)
        emb = bool(embed and embed[pi])
        info = {"cfg": cfg, "CS": None}
        for j in range(S):
            R = min(to, N - j * to)
            ls = cfg + 1 if j == 0 else LE[-1] + 1
            if len(CE) >= 2:
                ls = max(ls, CE[-2] + 1)
            le = ls + R * kt - 1
            cs = le + 3 if emb else le + 1
            if CE:
                cs = max(cs, CE[-1] + 1)
            if len(CE) >= 2:
                cs = max(cs, CE[-2] + maclat + 1)
            ce = cs + T * kt - 1
            LE.append(le)
            CE.append(ce)
            if j == 0:
                info["CS"] = cs
        info.update(CE=CE[-1], last_out=CE[-1] + lat, macs=S * T * kt)
        res.append(info)
        cfg = LE[-1] + 1
    return res


@cocotb.test()
async def test_cycles(dut):
    """No idle, no backpressure: every handshake time of the header's recurrence, exactly.

    Checks the cfg, first/last act and last output cycle of each pass, that the array
    issues S*T*Kt beats, and (compute-bound passes) that it issues one every cycle,
    also across the boundary of back-to-back passes (ping-pong overlap of the next
    pass's first slab load).
    """
    tb = TB(dut, idle=0.0, stall=0.0, seed=33)
    ti, to = tb.ti, tb.to
    groups = {
        # name: list of (mode, count, K, N); T = count + 4 edge rows
        "compute_bound": [("plain", to + 4, 2 * ti + 1, 3 * to)],
        "k192": [("gelu", 24, 192, 2 * to)],
        "k_le_tilein": [("resid", 2 * to + 16, ti, 2 * to + 1)],       # Kt = 1: credits must not stall
        "load_bound": [("q", 0, 5 * ti - 2, 3 * to)],                   # T = 4 < TileOut rows
        "tiny": [("scaled", 0, 1, 3 * to)],                             # T Kt = 4: metadata queue term
        # each slab's load (R Kt beats) fits in the previous slab's compute (T Kt cycles)
        "back_to_back": [("gelu", to, 3 * ti, 2 * to), ("plain", to + 2, 3 * ti, to + 3),
                         ("scaled", to, 2 * ti, 2 * to)],
        # mode embed (side beats prefetched into the embed queue): two cycles more before the first slab
        "embed": [("embed", to + 4, 3 * ti, 2 * to + 1)],
    }
    await tb.reset()
    cycles = {}
    n_total = 0
    for gi, (name, spec) in enumerate(groups.items()):
        passes = [tb.build(make_embed_pass(3300 + 10 * gi + i, c, k=k, n=n, bias=True) if m == "embed"
                           else make_pass(m, c, 3300 + 10 * gi + i, k=k, n=n)) for i, (m, c, k, n) in enumerate(spec)]
        for f in tb.fires.values():
            f.clear()
        await tb.run(passes)
        n_total += count(passes)
        exp = expected_cycles([p.shape for p in passes], ti, to, [p.mode == "embed" for p in passes])
        f = tb.fires
        base = f["cfg"][0]
        acts = [c - base for c in f["act"]]
        outs = [c - base for c in f["out"]]
        a0 = o0 = 0
        for i, (p, e) in enumerate(zip(passes, exp)):
            a1, o1 = a0 + e["macs"], o0 + len(p.out_beats)
            got = {"cfg": f["cfg"][i] - base, "CS": acts[a0], "CE": acts[a1 - 1], "last_out": outs[o1 - 1]}
            want = {k: e[k] for k in got}
            assert got == want, f"{name} pass {i} {p.shape}: handshake cycles {got}, header formula {want}"
            a0, o0 = a1, o1
        assert len(acts) == a0 and len(outs) == o0
        span = acts[-1] - acts[0] + 1
        util = len(acts) / span
        T, K, N = passes[0].shape
        kt, S = -(-K // ti), -(-N // to)
        rec = {"T": T, "K": K, "N": N, "passes": len(passes), "mac_beats": len(acts), "mac_span": span,
               "utilisation": round(util, 4), "cycles": outs[-1] + 1,
               "formula_cycles": exp[-1]["last_out"] + 1}
        if name in ("compute_bound", "k192", "k_le_tilein", "back_to_back", "embed"):
            assert span == len(acts), f"{name}: the array idled inside the pass ({len(acts)} beats in {span} cycles)"
        if len(passes) == 1 and name in ("compute_bound", "k192", "k_le_tilein", "embed"):
            closed = S * T * kt + min(to, N) * kt + out_latency(ti) + 1 + 2 * (name == "embed")
            assert outs[-1] + 1 == closed, f"{name}: {outs[-1] + 1} cycles, closed form {closed}"
            rec["closed_form"] = closed
        if name == "load_bound":
            closed = N * kt + T * kt + out_latency(ti) + 1
            assert outs[-1] + 1 == closed, f"{name}: {outs[-1] + 1} cycles, closed form {closed}"
            rec["closed_form"] = closed
        cycles[name] = rec
        dut._log.info("cycles %s: %s", name, rec)
    write_summary(vectors=n_total, cycles=cycles, per_mode=dict(PER_MODE))
    coverage.write(tb)


@cocotb.test()
async def test_reset_mid_stream(dut):
    """Reset while every stream is mid-pass: nothing stale comes out and the next passes are exact."""
    tb = TB(dut, idle=0.2, stall=0.2, seed=44)
    await tb.reset()
    first = [tb.build(make_pass("gelu", 12, 4400, k=3 * tb.ti + 1, n=2 * tb.to + 1)),
             tb.build(make_pass("scaled", 12, 4401, k=2 * tb.ti, n=tb.to))]
    tb.send(first)
    # reset once outputs flow (bursty traffic may hold the first ones back for a while)
    await wait_until(dut.clk_i, lambda: len(tb.sink.items) > 0, "the first output beat")
    await ClockCycles(dut.clk_i, 3 * tb.to)
    assert any(s.queue for s in tb.src.values()), "reset should hit while input is still queued"
    for s in tb.src.values():
        s.clear()
    dut.rst_ni.value = 0
    await ClockCycles(dut.clk_i, 2)
    for sig in (dut.out_valid_o, dut.w_ready_o, dut.b_ready_o, dut.act_ready_o, dut.side_ready_o):
        assert sig.value == 0, f"{sig._name} must be low during reset"
    dut.rst_ni.value = 1
    await RisingEdge(dut.clk_i)
    tb.sink.items.clear()
    await ClockCycles(dut.clk_i, 80)
    assert not tb.sink.items, "output beats after reset without any input"
    passes = [tb.build(make_pass(m, 6, 4410 + i, k=2 * tb.ti + 1, n=tb.to + 2)) for i, m in enumerate(LINEAR_MODES)]
    await tb.run(passes)
    write_summary(vectors=count(passes), per_mode=dict(PER_MODE))
    coverage.write(tb)


SWEEP = os.environ.get("LINEAR_SWEEP") == "1"


@cocotb.test(skip=not SWEEP)
async def test_sweep(dut):
    """Long sweep (pytest --full): every mode (embed too) at the model's K (192, 384, 768) with 129 tokens,
    random idle and backpressure, then a full-size pass (K 192, N 192 or 12 TileOut, T 129)
    without stalls against the cycle formula."""
    tb = TB(dut, idle=0.25, stall=0.25, seed=55)
    await tb.reset()
    n_total = 0
    for ki, k in enumerate((192, 384, 768)):
        passes = [tb.build(make_pass(m, 125, 5500 + 10 * ki + i, k=k, n=2 * tb.to + 5))
                  for i, m in enumerate(LINEAR_MODES)]
        passes.append(tb.build(make_embed_pass(5500 + 10 * ki + 9, 125, k=k, n=2 * tb.to + 5, bias=k != 768)))
        await tb.run(passes, timeout_cycles=5_000_000)
        n_total += count(passes)
    for src in tb.src.values():          # now no idle cycles and no backpressure
        src.idle = 0.0
    tb.sink.stall = 0.0
    await ClockCycles(dut.clk_i, 5)
    p = tb.build(make_pass("gelu", 125, 5600, k=192, n=min(192, 12 * tb.to)))
    for f in tb.fires.values():
        f.clear()
    await tb.run([p])
    n_total += count([p])
    exp = expected_cycles([p.shape], tb.ti, tb.to)[0]
    got = tb.fires["out"][-1] - tb.fires["cfg"][0] + 1
    acts = tb.fires["act"]
    assert got == exp["last_out"] + 1, f"full-size pass: {got} cycles, formula {exp['last_out'] + 1}"
    assert acts[-1] - acts[0] + 1 == len(acts) == exp["macs"]
    write_summary(vectors=n_total, per_mode=dict(PER_MODE),
                  cycles={f"full_k192_n{p.shape[2]}_t129": {"cycles": got, "formula_cycles": exp["last_out"] + 1,
                                                  "mac_beats": len(acts), "utilisation": 1.0}})
    coverage.write(tb)


TILES = [(4, 4), (8, 4), (16, 16)]
MODULES = ["gelu_rom", "gelu_unit", "stream_fifo", "linear_wbuf", "linear_dot", "linear_mac_array", "linear_round",
           "linear_post", "linear_unit"]


@pytest.mark.parametrize("tile_in,tile_out", TILES, ids=[f"{a}x{b}" for a, b in TILES])
def test_linear_unit(tile_in: int, tile_out: int, record_property) -> None:
    s = run_tb(__file__, "linear_unit", MODULES, {"TileIn": tile_in, "TileOut": tile_out})
    record_vectors(record_property, "linear_unit", s["vectors"], tiles=f"{tile_in}x{tile_out}",
                   **{f"mode_{k}": v for k, v in sorted(s["per_mode"].items())})
    coverage.check(s, record_property)
    for name, c in s["cycles"].items():
        record_property(f"cycles_{name}", c)
        assert c["utilisation"] == 1.0 or name in ("load_bound", "tiny")


@pytest.mark.slow
@pytest.mark.parametrize("tile_in,tile_out", [(4, 4), (16, 16)], ids=["4x4", "16x16"])
def test_linear_unit_sweep(tile_in: int, tile_out: int, record_property) -> None:
    s = run_tb(__file__, "linear_unit", MODULES, {"TileIn": tile_in, "TileOut": tile_out}, testcase="test_sweep",
               extra_env={"LINEAR_SWEEP": "1"})
    record_vectors(record_property, "linear_unit", s["vectors"], tiles=f"{tile_in}x{tile_out}", sweep=True,
                   **{f"mode_{k}": v for k, v in sorted(s["per_mode"].items())})
    record_property("cycles_full", s["cycles"])
