"""cocotb testbench of hw/rtl/edgemoe_cluster.sv (pytest runner at the bottom).

The backbone's linear passes run on the cluster with its per-unit weight streams (unit u:
records u, u + 4, ... of the pass) taken, byte for byte, from a real weight image
(``edgemoe.driver.image.build_image`` of synthetic weights): q (one head, mode q), k and v (plain), proj (resid), fc1 (gelu, 192 -> 768),
fc2 (resid, 768 -> 192), the gate (192 -> 16, no bias: one active unit), an expert's fc2
(scaled) and the patch embedding (mode 5, 768 -> 192 over the 128 patches, side = the
image's embed_add record). Expected outputs come from the golden operators
(``edgemoe.golden.linear.linear_unit``, ``moe`` score scaling, ``patch_embed_fixed``);
every lane of every out beat and its slab and token tags are compared. Random and bursty
idle cycles on every input, backpressure on out and done (``EDGEMOE_TRAFFIC``), bounded
waits. BAD_IMAGE on a flipped magic, a K mismatch and a wrong valid-row count. The exact
cycle count of back-to-back passes against the module header's recurrence.
"""
from __future__ import annotations

import math
import os
import random
from dataclasses import dataclass, field
from functools import lru_cache

import cocotb
import numpy as np
import pytest
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge

from edgemoe import perf_model
from edgemoe.driver import isa
from edgemoe.driver.image import build_image, decode_embed_add
from edgemoe.golden.fixed_model import FixedWeights
from edgemoe.golden.fixedpoint import Scaled, fmt, round_shift, saturate
from edgemoe.golden.linear import linear_unit, score_scale
from edgemoe.golden.params import model_dims
from edgemoe.golden.patch_embed import patch_embed_fixed, patches
from edgemoe.golden.weights import Weights, fill_synthetic
from edgemoe.sim.runner import record_vectors, run_tb, write_summary
from edgemoe.sim.streams import StreamSink, StreamSource, Traffic, as_int, pack, unpack, wait_until

ACT, MOE, PF = fmt("act"), fmt("moe_acc"), fmt("p")
LANE = MOE.bits
MODES = {"plain": 0, "gelu": 1, "q": 2, "resid": 3, "scaled": 4, "embed": 5}
D = model_dims()
CFG = perf_model.Config.zcu102()
LAT = perf_model.linear_latency(CFG)                          # linear_unit.sv Lat
MACLAT = perf_model.LIN_MAC_LAT + int(math.log2(CFG.lin_tile_in))


@lru_cache(maxsize=1)
def weights() -> tuple[FixedWeights, object]:
    fw = FixedWeights.from_float(fill_synthetic(Weights(tensors={}), seed=5, heads=False))
    return fw, build_image(fw)


@dataclass
class Pass:
    """One cluster command: shape, mode, weight bytes, act/side rows and the expected outputs."""

    name: str
    mode: str
    K: int
    N: int
    T: int
    bias: bool
    wbytes: bytes
    x: np.ndarray                   # (T, K) act codes
    y: np.ndarray                   # (T, N) expected output codes
    side: dict = field(default_factory=dict)

    @property
    def cmd(self) -> int:
        return MODES[self.mode] | (int(self.bias) << 3) | ((self.K - 1) << 4) | ((self.N - 1) << 14) | ((self.T - 1) << 24)


def _rows(rng: np.random.Generator, T: int, K: int, scale: int = 1 << 17) -> np.ndarray:
    """Act codes like LayerNorm / GELU outputs, with both act extremes in the first row."""
    x = rng.integers(-scale, scale, size=(T, K))
    x[0, :2] = (ACT.min_int, ACT.max_int)
    return x


def backbone_passes(T: int, seed: int, embed_tokens: int = 128) -> list[Pass]:
    """The backbone's pass shapes on the image's records (layer 0 dense, layer 1 MoE)."""
    fw, img = weights()
    rng = np.random.default_rng(seed)
    data = img.data
    De, Dh = D.embed_dim, D.head_dim

    def rec(name: str, K: int, N: int, first_slab: int = 0) -> bytes:
        off = img.offset(name) + first_slab * isa.slab_bytes(K)
        return data[off:off + isa.pass_bytes(K, N)]

    out = []
    wqkv, bqkv = fw["l0_qkv_weight"], fw["l0_qkv_bias"]
    h = 1
    x = _rows(rng, T, De)
    wq, bq = wqkv[0 * De + h * Dh:0 * De + (h + 1) * Dh], bqkv[0][h * Dh:(h + 1) * Dh]
    out.append(Pass("q_head1", "q", De, Dh, T, True, rec("l0_q", De, Dh, first_slab=h * Dh // 16), x,
                    linear_unit(x, wq, bq, out="q", prescale_log2=3)))
    for i, m in ((1, "k"), (2, "v")):
        hh = 0 if m == "k" else 2
        w, b = wqkv[i * De + hh * Dh:i * De + (hh + 1) * Dh], bqkv[i][hh * Dh:(hh + 1) * Dh]
        out.append(Pass(f"{m}_head{hh}", "plain", De, Dh, T, True, rec(f"l0_{m}", De, Dh, first_slab=hh * Dh // 16),
                        x, linear_unit(x, w, b)))
    a, xo = _rows(rng, T, De), _rows(rng, T, De, 1 << 19)
    out.append(Pass("proj", "resid", De, De, T, True, rec("l0_attn_proj", De, De), a,
                    linear_unit(a, fw["l0_attn_proj_weight"], fw["l0_attn_proj_bias"], resid=xo), {"resid": xo}))
    out.append(Pass("fc1", "gelu", De, D.mlp_hidden, T, True, rec("l0_fc1", De, D.mlp_hidden), x,
                    linear_unit(x, fw["l0_fc1_weight"], fw["l0_fc1_bias"], gelu=True)))
    hdn, xo2 = _rows(rng, T, D.mlp_hidden, 1 << 16), _rows(rng, T, De, 1 << 19)
    out.append(Pass("fc2", "resid", D.mlp_hidden, De, T, True, rec("l0_fc2", D.mlp_hidden, De), hdn,
                    linear_unit(hdn, fw["l0_fc2_weight"], fw["l0_fc2_bias"], resid=xo2), {"resid": xo2}))
    out.append(Pass("gate", "plain", De, D.num_experts, T, False, rec("l1_gate_task0", De, D.num_experts), x,
                    linear_unit(x, fw["l1_w_gate_T_task0"], None)))
    # an expert's fc2 in mode scaled: acc_in + round_shift(sat_act(y) * p, 16)
    e, Hd = 3, D.expert_hidden
    w2, b2 = fw["l1_h4toh_weight"][e], fw["l1_h4toh_bias"][e]
    off = img.offset("l1_experts") + e * isa.EXPERT_BYTES + isa.EXPERT_FC1
    hx = _rows(rng, T, Hd, 1 << 16)
    acc_in = rng.integers(-(1 << 22), 1 << 22, size=(T, De))
    p = rng.integers(0, 1 << PF.frac, size=T)
    p[0] = 1 << PF.frac
    y2 = acc_in + score_scale(linear_unit(hx, w2, b2), p)
    out.append(Pass("expert_fc2", "scaled", Hd, De, T, True, data[off:off + isa.pass_bytes(Hd, De)], hx, y2,
                    {"acc_in": acc_in, "p": p}))
    if embed_tokens:
        out.append(embed_pass(seed, embed_tokens))
    return out


def embed_pass(seed: int, tokens: int = 128) -> Pass:
    """The patch embedding (mode 5): a random pixel image through patch_embed_fixed; side rows
    are the image's embed_add record (rows 1..128) as the DMA reads it."""
    fw, img = weights()
    rng = np.random.default_rng(seed + 7)
    pix = rng.integers(0, 256, size=(D.img_c, D.img_h, D.img_w))
    pix[0, 0, :2] = (0, 255)
    y = patch_embed_fixed(pix, fw["patch_embed_weight"], fw["embed_add"], D.patch)[1:1 + tokens]
    x = (patches(pix, D.patch) << (ACT.frac - fmt("pix").frac))[:tokens]
    o = img.offset("embed_add")
    add = decode_embed_add(np.frombuffer(img.data, np.uint8, tokens * isa.EMBED_ROW, o), tokens, D.embed_dim)
    K = x.shape[1]
    return Pass("embed", "embed", K, D.embed_dim, tokens, False,
                img.data[img.offset("patch_embed_weight"):][:isa.pass_bytes(K, D.embed_dim)], x, y, {"add": add})


class LaneSource:
    """One valid/ready stream per lane of vector ports (``w_valid_i[u]``, ``w_data_i[u]``): each lane
    has its own queue and :class:`~edgemoe.sim.streams.Traffic` gate (random / bursty idle)."""

    def __init__(self, clk, valid, ready, data, lanes: int, width: int, idle: float, rng: random.Random):
        self.clk, self.valid, self.ready, self.data = clk, valid, ready, data
        self.lanes, self.width = lanes, width
        self.gates = [Traffic(idle, random.Random(rng.randrange(1 << 30))) for _ in range(lanes)]
        self.queues: list[list[int]] = [[] for _ in range(lanes)]
        self.sent = [0] * lanes
        self.valid.value = 0
        cocotb.start_soon(self._run())

    @property
    def queue(self) -> list:
        return [b for q in self.queues for b in q]

    def send_lanes(self, beats: list[list[int]]) -> None:
        for q, b in zip(self.queues, beats):
            q.extend(b)

    def clear(self) -> None:
        for q in self.queues:
            q.clear()
        self.valid.value = 0

    async def _run(self) -> None:
        while True:
            v, d = 0, 0
            for u in range(self.lanes):
                if self.gates[u].step() and self.queues[u]:
                    v |= 1 << u
                    d |= self.queues[u][0] << (u * self.width)
            self.valid.value = v
            self.data.value = d
            await RisingEdge(self.clk)
            rdy = as_int(self.ready.value)
            for u in range(self.lanes):
                if (v >> u) & 1 and (rdy >> u) & 1 and self.queues[u]:
                    self.queues[u].pop(0)
                    self.sent[u] += 1


class TB:
    def __init__(self, dut, idle: float, stall: float, seed: int):
        self.dut = dut
        self.units = int(dut.Units.value)
        cocotb.start_soon(Clock(dut.clk_i, 10, unit="ns").start())
        r = lambda i: random.Random(seed * 131 + i)  # noqa: E731
        self.src = {n: StreamSource(dut.clk_i, getattr(dut, f"{n}_valid_i"), getattr(dut, f"{n}_ready_o"),
                                    getattr(dut, f"{n}_data_i"), idle=idle, rng=r(i))
                    for i, n in enumerate(("cmd", "act", "side"))}
        self.src["w"] = LaneSource(dut.clk_i, dut.w_valid_i, dut.w_ready_o, dut.w_data_i, self.units, 256, idle, r(5))
        self.sink = StreamSink(dut.clk_i, dut.out_valid_o, dut.out_ready_i, dut.out_data_o, stall=stall, rng=r(9),
                               extra=[dut.out_slab_o, dut.out_tok_o])
        self.done = StreamSink(dut.clk_i, dut.done_valid_o, dut.done_ready_i, dut.done_valid_o, stall=stall, rng=r(10))
        self.cycle = 0
        self.fires: dict[str, list[int]] = {"cmd": [], "act": [], "out": [], "done": []}
        cocotb.start_soon(self._monitor())

    async def _monitor(self) -> None:
        d = self.dut
        pairs = {"cmd": (d.cmd_valid_i, d.cmd_ready_o), "act": (d.as_valid, d.as_ready),
                 "out": (d.out_valid_o, d.out_ready_i), "done": (d.done_valid_o, d.done_ready_i)}
        while True:
            await RisingEdge(d.clk_i)
            self.cycle += 1
            for name, (v, rd) in pairs.items():
                if v.value == 1 and rd.value == 1:
                    self.fires[name].append(self.cycle)

    async def reset(self) -> None:
        self.dut.rst_ni.value = 0
        await ClockCycles(self.dut.clk_i, 3)
        self.dut.rst_ni.value = 1
        await RisingEdge(self.dut.clk_i)

    # ---------------------------------------------------------------- stream images
    def beats(self, p: Pass) -> dict[str, list]:
        U = self.units
        S = -(-p.N // 16)
        kt = -(-p.K // 16)
        rounds = -(-S // U)
        # unit u's weight stream: records u, u + U, ... (the DMA reads each at its image offset)
        wb: list[list[int]] = [[] for _ in range(U)]
        full = isa.slab_bytes(p.K)
        for j in range(S):
            r = p.wbytes[j * full:j * full + isa.slab_bytes(p.K, min(16, p.N - 16 * j))]
            wb[j % U] += [int.from_bytes(r[i:i + 32], "little") for i in range(0, len(r), 32)]
        act, side, out = [], [], []
        xa = np.zeros((p.T, kt * 16), dtype=np.int64)
        xa[:, :p.K] = p.x
        for rho in range(rounds):
            slabs = range(rho * U, min(S, (rho + 1) * U))
            for t in range(p.T):
                for c in range(kt):
                    act.append(pack(xa[t, 16 * c:16 * c + 16], ACT.bits))
                for j in slabs:
                    cols = range(16 * j, 16 * j + 16)
                    if p.mode == "resid":
                        side.append(pack([p.side["resid"][t, o] if o < p.N else 0 for o in cols], LANE))
                    elif p.mode == "scaled":
                        side.append(pack([p.side["acc_in"][t, o] if o < p.N else 0 for o in cols], LANE)
                                    | (int(p.side["p"][t]) << (16 * LANE)))
                    elif p.mode == "embed":
                        a = p.side["add"]
                        side.append(pack([int(a.codes[t, o]) & 0xFFFF if o < p.N else 0 for o in cols], LANE)
                                    | ((int(a.frac[t]) - 6) << (16 * LANE)))
                    out.append((pack([p.y[t, o] if o < p.N else 0 for o in cols], LANE), j, t))
        return {"cmd": [p.cmd], "w": wb, "act": act, "side": side, "out": out}

    async def run(self, passes: list[Pass], timeout_cycles: int | None = None) -> int:
        """Send every pass back to back, collect, compare every out beat; returns values compared."""
        self.sink.items.clear()
        self.done.items.clear()
        imgs = [self.beats(p) for p in passes]
        for b in imgs:
            for n in ("cmd", "act", "side"):
                self.src[n].send(b[n])
            self.src["w"].send_lanes(b["w"])
        want = [o for b in imgs for o in b["out"]]
        await self.sink.wait_for(len(want), timeout_cycles)
        await wait_until(self.dut.clk_i, lambda: len(self.done.items) >= len(passes), "the done beats")
        await ClockCycles(self.dut.clk_i, 20)
        assert len(self.sink.items) == len(want), f"{len(self.sink.items)} out beats, expected {len(want)}"
        assert len(self.done.items) == len(passes), f"{len(self.done.items)} done beats for {len(passes)} passes"
        i = 0
        for p, b in zip(passes, imgs):
            for w in b["out"]:
                g = self.sink.items[i]
                if g != w:
                    gl, wl = unpack(g[0], LANE, 16), unpack(w[0], LANE, 16)
                    bad = [r for r in range(16) if gl[r] != wl[r]]
                    raise AssertionError(f"pass {p.name} ({p.mode} K={p.K} N={p.N} T={p.T}) beat {i}: got slab "
                                         f"{g[1]} token {g[2]}, expected slab {w[1]} token {w[2]}; rows "
                                         f"{[16 * w[1] + r for r in bad]} got {[gl[r] for r in bad]} "
                                         f"expected {[wl[r] for r in bad]}")
                i += 1
        for n, s in self.src.items():
            assert not s.queue, f"stream {n} was not fully consumed"
        assert self.dut.bad_image_o.value == 0
        return sum(int(p.y.size) for p in passes)


def expected_cycles(passes: list[tuple[int, int, int]], units: int, embed: list[bool] | None = None) -> list[dict]:
    """The module header's recurrence (every stream valid, out ready; cycle 0 = first cmd
    handshake, the passes' cmds queued back to back). Returns per pass the first and last act
    beat (at the act skid's output), the last out beat and the done beat. An embed pass's
    round (``embed[n]``) starts 3 cycles after its last w beat instead of 1 (the units'
    side-beat prefetch, linear_unit.sv)."""
    CE: list[int] = []
    E = [-(10 ** 9)] * units      # last w beat of each unit's stream so far
    C = 1                         # the parsers take the (first) cmd one cycle after the port
    res = []
    for n, (K, N, T) in enumerate(passes):
        if n:
            C = max(E) + 1        # all parsers idle
        kt, S = -(-K // 16), -(-N // 16)
        info: dict = {}
        first = [True] * units
        for rho0 in range(0, S, units):
            A = min(units, S - rho0)
            for u in range(A):
                R = min(16, N - 16 * (rho0 + u))
                H = C + 1 if first[u] else E[u] + 1
                first[u] = False
                ws = H + 2
                if len(CE) >= 2:
                    ws = max(ws, CE[-2] + 1)
                E[u] = ws + R * kt - 1
            cs = max(E[u] for u in range(A)) + (3 if embed and embed[n] else 1)
            if CE:
                cs = max(cs, CE[-1] + 1)
            if len(CE) >= 2:
                cs = max(cs, CE[-2] + MACLAT + 1)
            CE.append(cs + T * kt - 1)
            info.setdefault("first_act", cs)
        info.update(last_act=CE[-1], last_out=CE[-1] + LAT + A + 1)
        info["done"] = info["last_out"] + 1
        res.append(info)
    return res


def closed_form(K: int, N: int, T: int, units: int) -> int:
    """Header closed form (isolated pass, loads hidden after round 0): L_0 + P T Kt + Lat + A_last + 3,
    L_0 = max over round 0's records of (2 + R Kt)."""
    kt, S = -(-K // 16), -(-N // 16)
    P = -(-S // units)
    L0 = max(2 + min(16, N - 16 * j) * kt for j in range(min(units, S)))
    return L0 + P * T * kt + LAT + (S - units * (P - 1)) + 3


def seed() -> int:
    return int(os.environ.get("EDGEMOE_SEED") or "1")


@cocotb.test()
async def test_backbone_passes(dut):
    """Every backbone pass shape back to back (small T, the embedding over its 128 patches),
    random and bursty idle on every input, backpressure on out and done."""
    tb = TB(dut, idle=0.3, stall=0.3, seed=seed())
    await tb.reset()
    T = int(os.environ.get("CLUSTER_T", "5"))
    passes = backbone_passes(T, 100 + seed())
    n = await tb.run(passes)
    per = {p.name: int(p.y.size) for p in passes}
    dut._log.info("cluster: %d passes, %d output values bit-exact %s", len(passes), n, per)
    write_summary(vectors=n, per_pass=per)


@cocotb.test()
async def test_bad_image(dut):
    """BAD_IMAGE on a flipped magic byte, on a K mismatch (the record is 768's, the command says
    192) and on a wrong valid-row count; nothing is consumed after the offending beat; after a
    reset the next pass is exact."""
    tb = TB(dut, idle=0.2, stall=0.2, seed=seed() + 5)
    n_total = 0
    T = 3
    good = backbone_passes(T, 300, embed_tokens=0)
    q = good[0]
    cases = []
    bad_magic = bytearray(q.wbytes)
    rec = isa.slab_bytes(q.K)
    bad_magic[2 * rec + 45] ^= 0x10                                   # third record's magic
    cases.append(("magic", Pass("q_bad", q.mode, q.K, q.N, q.T, q.bias, bytes(bad_magic), q.x, q.y), 2))
    fc2 = good[5]
    cases.append(("k_mismatch", Pass("k_bad", "resid", 192, 16, T, True, fc2.wbytes, q.x, q.y[:, :16],
                                     {"resid": np.zeros((T, 16), dtype=np.int64)}), 0))
    bad_rows = bytearray(q.wbytes)
    bad_rows[1 * rec + 41] = 14
    cases.append(("rows", Pass("rows_bad", q.mode, q.K, q.N, q.T, q.bias, bytes(bad_rows), q.x, q.y), 1))
    for name, p, rec_idx in cases:
        for s in tb.src.values():
            s.clear()
        await tb.reset()
        lane = rec_idx % tb.units
        sent0 = tb.src["w"].sent[lane]
        b = tb.beats(p)
        for s in ("cmd", "act", "side"):
            tb.src[s].send(b[s])
        tb.src["w"].send_lanes(b["w"])
        await wait_until(dut.clk_i, lambda: dut.bad_image_o.value == 1, f"BAD_IMAGE ({name})")
        await ClockCycles(dut.clk_i, 200)
        # the records before the bad one and the bad record's first header beat are consumed, not more
        # on the bad record's stream (unit rec_idx mod U): its earlier records and the bad record's
        # beat 0 are consumed; the 2-entry skid buffer holds the bad beat and maybe one more
        consumed = (rec_idx // tb.units) * rec // 32 + 1
        w_sent = tb.src["w"].sent[lane] - sent0
        assert consumed + 1 <= w_sent <= consumed + 2, \
            f"{name}: {w_sent} w beats taken on stream {lane}, the bad beat is number {consumed + 1}"
        # the parser takes nothing more from its w skid buffer (inside edgemoe_slab_parser) nor a cmd
        assert dut.g_parser[lane].u_parser.w_pop.value == 0 and dut.cs_ready.value == 0
        assert dut.done_valid_o.value == 0, f"{name}: done after BAD_IMAGE"
        n_total += 1
        dut._log.info("BAD_IMAGE %s: raised after %d w beats", name, w_sent)
    for s in tb.src.values():
        s.clear()
    await tb.reset()
    n = await tb.run([good[0], good[6]])
    write_summary(vectors=n + n_total, bad_image_cases=len(cases))


@cocotb.test()
async def test_cycles(dut):
    """No idle, no backpressure: first/last act beat, last out and done of back-to-back passes
    equal the header's recurrence; an isolated compute-bound pass its closed form."""
    tb = TB(dut, idle=0.0, stall=0.0, seed=seed() + 9)
    await tb.reset()
    U = tb.units
    rng = np.random.default_rng(7)
    fw, img = weights()
    groups = {}
    bb = backbone_passes(4, 900, embed_tokens=0)
    # load-bound (T = 4) passes back to back: q, proj (resid), gate (one active unit), fc2 (Kt = 48)
    groups["load_bound"] = [bb[0], bb[3], bb[6], bb[5]]
    # compute-bound at T = 70 (L = 2 + 16 x 12 = 194 <= T Kt = 840)
    x = _rows(rng, 70, D.embed_dim)
    xo = _rows(rng, 70, D.embed_dim, 1 << 19)
    proj = Pass("proj70", "resid", D.embed_dim, D.embed_dim, 70, True, bb[3].wbytes, x,
                linear_unit(x, fw["l0_attn_proj_weight"], fw["l0_attn_proj_bias"], resid=xo), {"resid": xo})
    groups["compute_bound"] = [proj]
    groups["embed_then_q"] = [embed_pass(5, 40), bb[0]]
    cycles = {}
    n_total = 0
    for name, passes in groups.items():
        for f in tb.fires.values():
            f.clear()
        n_total += await tb.run(passes)
        exp = expected_cycles([(p.K, p.N, p.T) for p in passes], U, [p.mode == "embed" for p in passes])
        f = tb.fires
        base = f["cmd"][0]
        acts = [c - base for c in f["act"]]
        a0 = 0
        for i, (p, e) in enumerate(zip(passes, exp)):
            nact = -(-(-(-p.N // 16)) // U) * p.T * (-(-p.K // 16))
            got = {"first_act": acts[a0], "last_act": acts[a0 + nact - 1], "last_out": None,
                   "done": f["done"][i] - base}
            nout_before = sum(-(-q.N // 16) * q.T for q in passes[:i + 1])
            got["last_out"] = f["out"][nout_before - 1] - base
            assert got == e, f"{name} pass {i} ({p.name}): handshake cycles {got}, header recurrence {e}"
            a0 += nact
        rec = {"passes": [p.name for p in passes], "cycles": exp[-1]["last_out"] + 1}
        if name == "compute_bound":
            p = passes[0]
            cf = closed_form(p.K, p.N, p.T, U)
            assert exp[0]["last_out"] + 1 == cf, f"closed form {cf}, recurrence {exp[0]['last_out'] + 1}"
            span = acts[-1] - acts[0] + 1
            assert span == len(acts), f"the units idled inside a compute-bound pass ({len(acts)} in {span})"
            rec["closed_form"] = cf
        cycles[name] = rec
        dut._log.info("cycles %s: %s", name, rec)
    write_summary(vectors=n_total, cycles=cycles)


FULL = os.environ.get("CLUSTER_FULL") == "1"


@cocotb.test(skip=not FULL)
async def test_full_tokens(dut):
    """pytest --full: every backbone pass at T = 129 (the embedding at 128) under backpressure."""
    tb = TB(dut, idle=0.2, stall=0.2, seed=seed() + 13)
    await tb.reset()
    passes = backbone_passes(129, 1300)
    n = await tb.run(passes)
    write_summary(vectors=n, full=True)


MODULES = ["gelu_rom", "gelu_unit", "stream_fifo", "stream_skid", "linear_wbuf", "linear_dot", "linear_mac_array", "linear_round",
           "linear_post", "linear_unit", "edgemoe_slab_parser", "edgemoe_cluster"]


def test_edgemoe_cluster(record_property) -> None:
    s = run_tb(__file__, "edgemoe_cluster", MODULES, {})
    record_vectors(record_property, "edgemoe_cluster", s["vectors"], passes=",".join(sorted(s["per_pass"])),
                   bad_image_cases=s["bad_image_cases"])
    for name, c in s["cycles"].items():
        record_property(f"cycles_{name}", c)


@pytest.mark.slow
def test_edgemoe_cluster_full(record_property) -> None:
    s = run_tb(__file__, "edgemoe_cluster", MODULES, {}, testcase="test_full_tokens", extra_env={"CLUSTER_FULL": "1"})
    record_vectors(record_property, "edgemoe_cluster", s["vectors"], tokens=129)
