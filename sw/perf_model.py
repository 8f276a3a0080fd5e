"""Performance model of the Edge-MoE accelerator (docs/architecture.md). Modelled, not measured.

One backbone pass (one frame, one task) is a fixed command list (:func:`commands`)
executed by the top's in-order sequencer on four compute resources (the linear
cluster, the attention engine, the LayerNorm, the MoE gate) and one DDR port.
Every kernel's duration comes from the cycle formula in its RTL module header
(quoted in the functions below); the model adds only what the top does:

* a command starts when its resource is free and the commands whose buffers it
  reads have finished (buffer-level dependencies, no token-level chaining);
* the linear cluster is ``lin_units`` linear units in lock step: they share the
  activation stream and split each pass's output slabs, so the cluster is one
  linear unit ``TileIn x (lin_units * TileOut)`` wide. Its weight loader runs
  ahead of the array through the ping-pong banks across passes (technique 4 and
  the linear unit's own cfg protocol): a slab loads when the loader is free and
  the bank it goes to has been issued, limited by the DDR rate and by one
  weight beat per cycle per unit. ``overlap_weights=False`` loads each slab only
  when the array is idle (no ping-pong), for comparison;
* expert weights are known only once the gate has built the metaqueue: the
  loader starts the first active expert then, and streams the active experts
  back to back in metaqueue order (technique 5);
* ``overlap_heads``: Q/K/V are produced head by head (weight rows ordered
  q_h, k_h, v_h), so the attention engine runs head h while the cluster computes
  head h+1.

Units: cycles of the accelerator clock, bytes, MACs. Results are a list of
:class:`Op` (one per command) and :class:`Report` aggregates (per layer, per frame).
``python -m edgemoe.perf_model`` prints the tables; ``--write-doc`` refreshes the
generated sections of docs/architecture.md.
"""
from __future__ import annotations

import argparse
import math
import re
import sys
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence


from edgemoe.golden.params import ModelDims, load_raw, model_dims

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "architecture.md"

# Fixed costs of the top (modelled): cycles between two commands of the sequencer, bytes of the
# per-slab weight header in DDR (bias beat + row exponents, one 64-byte line).
CMD_GAP = 4
SLAB_HEADER_BYTES = 64
LN_PARAM_BYTES = 2 * 192 * 2 + 64
ACT_WORD_BYTES = 4
"""An act (26-bit) or moe_acc (28-bit) code in DDR: one little-endian int32."""

@dataclass(frozen=True)
class Config:
    """One accelerator configuration. Widths in elements, clock in MHz, DDR in GB/s (1e9 bytes/s)."""

    attn_p: int = 8
    lin_tile_in: int = 16
    lin_tile_out: int = 16
    lin_units: int = 4
    ln_lanes: int = 16
    ln_steps: int = 3
    gate_lanes: int = 8
    clock_mhz: float = 300.0
    ddr_gbps: float = 19.2
    ddr_efficiency: float = 0.85
    overlap_weights: bool = True
    overlap_heads: bool = True
    gate_on_cluster: bool = True
    name: str = "custom"

    def __post_init__(self) -> None:
        if self.lin_tile_in < 2 or self.lin_tile_in & (self.lin_tile_in - 1):
            raise ValueError(f"lin_tile_in must be a power of two >= 2, got {self.lin_tile_in}")
        for k in ("attn_p", "lin_tile_out", "lin_units", "ln_lanes", "ln_steps", "gate_lanes"):
            if getattr(self, k) < 1:
                raise ValueError(f"{k} must be >= 1, got {getattr(self, k)}")
        if 192 % self.ln_lanes or 192 % self.gate_lanes:
            raise ValueError("ln_lanes and gate_lanes must divide the 192 channels")
        if not (0 < self.ddr_efficiency <= 1) or self.ddr_gbps <= 0 or self.clock_mhz <= 0:
            raise ValueError("need clock_mhz > 0, ddr_gbps > 0 and 0 < ddr_efficiency <= 1")

    @property
    def ddr_bytes_per_cycle(self) -> float:
        """Sustained DDR read bytes per accelerator cycle."""
        return self.ddr_gbps * 1e9 * self.ddr_efficiency / (self.clock_mhz * 1e6)

    @property
    def cluster_out(self) -> int:
        """Output rows the cluster computes per slab (all units together)."""
        return self.lin_units * self.lin_tile_out

    def us(self, cycles: float) -> float:
        return cycles / self.clock_mhz

    @classmethod
    def from_params(cls, **overrides) -> "Config":
        """params.toml [hw] as it stands (keys this class does not know are ignored)."""
        hw = dict(load_raw()["hw"])
        kw = {k: hw[k] for k in cls.__dataclass_fields__ if k in hw}
        if "ddr_mbps" in hw:
            kw["ddr_gbps"] = hw["ddr_mbps"] / 1000
        if "ddr_eff_pct" in hw:
            kw["ddr_efficiency"] = hw["ddr_eff_pct"] / 100
        kw.setdefault("name", "params.toml")
        return cls(**{**kw, **overrides})

    @classmethod
    def zcu102(cls, **overrides) -> "Config":
        """The ZCU102 configuration of docs/architecture.md: params.toml [hw]."""
        return cls.from_params(**{"name": "zcu102", **overrides})


# ---------------------------------------------------------------- model dimensions and MACs
def macs_per_frame(d: ModelDims | None = None) -> dict[str, int]:
    """MACs of one backbone pass (one frame, one task), by operation; experts at top-2 of 129 tokens.

    The total is independent of the routing (every token visits exactly top_k experts).
    """
    d = d or model_dims()
    T, D = d.num_tokens, d.embed_dim
    moe = sum(1 for L in range(d.depth) if d.is_moe(L))
    dense = d.depth - moe
    return {
        "patch_embed": d.num_patches * d.patch_k * D,
        "qkv": d.depth * T * D * 3 * D,
        "attention_qk": d.depth * d.num_heads * T * T * d.head_dim,
        "attention_av": d.depth * d.num_heads * T * T * d.head_dim,
        "proj": d.depth * T * D * D,
        "mlp": dense * 2 * T * D * d.mlp_hidden,
        "gate": moe * T * D * d.num_experts,
        "experts": moe * d.top_k * T * 2 * D * d.expert_hidden,
    }


def weight_bytes_per_frame(d: ModelDims | None = None, active_experts: int | None = None) -> dict[str, int]:
    """int16 weight mantissa bytes one pass reads (no headers); ``active_experts`` per MoE layer (default all)."""
    d = d or model_dims()
    D = d.embed_dim
    moe = sum(1 for L in range(d.depth) if d.is_moe(L))
    a = d.num_experts if active_experts is None else active_experts
    return {
        "patch_embed": 2 * D * d.patch_k,
        "attention": 2 * d.depth * 4 * D * D,
        "mlp": 2 * (d.depth - moe) * 2 * D * d.mlp_hidden,
        "gate": 2 * moe * d.num_experts * D,
        "experts": 2 * moe * a * 2 * D * d.expert_hidden,
    }


# ---------------------------------------------------------------- expert queues
def uniform_queue_counts(d: ModelDims | None = None) -> list[list[int]]:
    """Per MoE layer, tokens per expert when routing is uniform: T * top_k / E, remainder to the low experts."""
    d = d or model_dims()
    n = d.num_tokens * d.top_k
    q, r = divmod(n, d.num_experts)
    row = [q + (1 if e < r else 0) for e in range(d.num_experts)]
    return [list(row) for L in range(d.depth) if d.is_moe(L)]


@lru_cache(maxsize=None)
def _sample_counts(task: int) -> tuple[tuple[int, ...], ...] | None:
    from edgemoe.golden.fixed_model import FixedBackbone, image_codes
    from edgemoe.golden.weights import default_folder, load_image, load_weights

    folder = default_folder()
    if folder is None or not (folder / "image.float32.bin").is_file():
        return None
    tr: dict = {}
    FixedBackbone(load_weights(folder, heads=False)).forward(image_codes(load_image(folder / "image.float32.bin")),
                                                            task, trace=tr)
    d = model_dims()
    return tuple(tuple(int(c) for c in tr[f"l{L}_queues"].counts) for L in range(d.depth) if d.is_moe(L))


def queue_counts(source: str = "sample", task: int = 0) -> tuple[list[list[int]], str]:
    """Tokens per expert for each MoE layer and where they came from.

    ``sample``: the golden fixed-point backbone on the shared sample frame (shared
    weights, synthetic experts), falling back to ``uniform`` when the shared data
    is absent; ``uniform``: :func:`uniform_queue_counts`.
    """
    if source not in ("sample", "uniform"):
        raise ValueError(f"queue source must be 'sample' or 'uniform', got {source!r}")
    if source == "sample":
        c = _sample_counts(task)
        if c is not None:
            return [list(r) for r in c], f"sample frame, task {task}"
    return uniform_queue_counts(), "uniform (129 x 2 / 16 per expert)"


# ---------------------------------------------------------------- kernel cycle formulas
def ln_cycles(cfg: Config, tokens: int, d: ModelDims | None = None) -> int:
    """layernorm.sv: latency + (N - 1) * period, first input beat to last output beat.

    Beats = 192 / Lanes; IterS = 31, IterD = 25 (one digit per cycle in each of the Steps
    isqrt/division chains); TreeLevels = ceil(log2 Lanes); L = 16 + TreeLevels + IterS + IterD;
    latency = 2 Beats + L + 10; period = max(Beats, ceil((IterS + 3) / Steps)) (exact for
    Steps = 1 or Beats >= (IterS + 3) / Steps, otherwise the mean rounded up).
    """
    d = d or model_dims()
    beats = d.embed_dim // cfg.ln_lanes
    it_s, it_d = 31, 25
    lat = 2 * beats + 16 + (cfg.ln_lanes - 1).bit_length() + it_s + it_d + 10
    return lat + (tokens - 1) * max(beats, math.ceil((it_s + 3) / cfg.ln_steps))


def gate_latency(cfg: Config) -> int:
    """moe_gate.sv (header): a token's last input beat to its out beat, 81 + TreeLv cycles
    (TreeLv = max(1, ceil(log2 Lanes)) lane-sum stages; one more when the softmax's free sum
    context is off phase, not counted)."""
    return 81 + max(1, (cfg.gate_lanes - 1).bit_length())


def gate_cycles(cfg: Config, tokens: int, d: ModelDims | None = None) -> int:
    """moe_gate.sv (header): one token per max(192 / Lanes, 16, ceil(25 / RecipUnits)) cycles
    (RecipUnits = 2 when 192 / Lanes < 25); from the layer's first input beat to the start of the
    queue read-out: (192 / Lanes - 1) + (T - 1) * period + :func:`gate_latency` (last token's
    latency, 79 at Lanes = 8) + 20 (metaqueue scan and read-out start)."""
    d = d or model_dims()
    beats = d.embed_dim // cfg.gate_lanes
    recip_units = 2 if beats < 25 else 1
    period = max(beats, d.num_experts, math.ceil(25 / recip_units))
    return (beats - 1) + (tokens - 1) * period + gate_latency(cfg) + 20


GATE_ROUTE_LATENCY = 74 + 2
"""moe_gate_softmax (header): 74 cycles from a token's first logit to its result (the interleaved
running sum, the reciprocal, the scores, the output register; 75 off phase), then 2 cycles into
the expert queues."""


def gate_route_cycles(cfg: Config, logits_ready: float, tokens: int, d: ModelDims | None = None) -> float:
    """Gate logits computed by the cluster (a plain no-bias pass, N = 16), serialised one logit per
    cycle into moe_gate_softmax (RecipUnits = 2: one token per 16 cycles) and expert_queues.

    Returns the cycles from the logit pass's first issue to the metaqueue: the routing stage
    follows the cluster's output at max(16, Kt) cycles per token, then the queues' 16-cycle scan.
    """
    d = d or model_dims()
    per_token = max(d.num_experts, math.ceil(25 / 2), math.ceil(d.embed_dim / cfg.lin_tile_in))
    return max(logits_ready, tokens * per_token) + GATE_ROUTE_LATENCY + d.num_experts


ATTN_TAIL = 63
"""attention.sv AttnTail: last K row to scores 6, statistics 37, first MAC 15, MAC tail 4 (the V rows are
buffered); 46 before the kernel's 300 MHz rework (exp_core 5 -> 10 stages, registered q, K, score and V reads,
the product in the DSP's M and P registers, the accumulator in two halves)."""


def attention_head_cycles(cfg: Config, tokens: int, d: ModelDims | None = None) -> int:
    """attention.sv, one head, first q transfer to last out transfer:
    P + 2 T ceil(T / P) + AttnTail + LastRows, AttnTail = 63, LastRows = T - (ceil(T/P) - 1) P."""
    p = min(cfg.attn_p, tokens)
    groups = math.ceil(tokens / p)
    return p + 2 * tokens * groups + ATTN_TAIL + (tokens - (groups - 1) * p)


LIN_MAC_LAT = 4  # + log2(TileIn): linear_mac_array MacLat


def linear_latency(cfg: Config) -> int:
    """linear_unit.sv: Lat = MacLat + 19 = 23 + log2(TileIn), last act beat of a token to its output beat."""
    return LIN_MAC_LAT + int(math.log2(cfg.lin_tile_in)) + 19


# ---------------------------------------------------------------- the event model
@dataclass
class Op:
    """One command of the pass. Times in cycles from the start of the pass."""

    layer: int
    name: str
    unit: str
    start: float
    end: float
    busy: float = 0.0
    macs: int = 0
    weight_bytes: int = 0
    act_bytes: int = 0
    detail: str = ""

    @property
    def cycles(self) -> float:
        return self.end - self.start


@dataclass
class _Cluster:
    """State of the linear cluster across passes: loader, array, the two ping-pong banks, DDR."""

    cfg: Config
    loader_free: float = 1.0  # cycle 0 is the first cfg handshake
    array_free: float = 0.0
    bank_free: list[float] = field(default_factory=lambda: [0.0, 0.0])
    bank: int = 0
    ce_hist: list[float] = field(default_factory=lambda: [-1e18, -1e18])
    ddr_free: float = 0.0
    wstall: float = 0.0  # cycles the array, otherwise ready, waited for a slab's weights (WSTALL register)

    def ddr(self, start: float, nbytes: float) -> float:
        """Reserve the DDR port for ``nbytes`` from ``start`` on; returns the end."""
        s = max(start, self.ddr_free)
        self.ddr_free = s + nbytes / self.cfg.ddr_bytes_per_cycle
        return self.ddr_free

    def run(self, K: int, N: int, T: int, ready: float, load_ready: float = 0.0,
            embed: bool = False) -> tuple[float, float, float, int]:
        """One pass over ``T`` tokens: (first issue, end, array busy cycles, weight bytes).

        The recurrence of linear_unit.sv (cycles section) for the whole cluster, with
        exclusive ends (a slab's loads occupy [LS, LE), its act beats [CS, CE)):
          LS_j = max(LE_{j-1}, CE_{j-2}, load_ready)                   ping-pong bank free
          LE_j = LS_j + max(R Kt, bytes_j / DDR bytes per cycle)       R = rows per unit
          CS_j = max(LE_j, CE_{j-1}, CE_{j-2} + MacLat, ready)     (embed: LE_j + 2, the units
                                                                   prefetch the side beats)
          CE_j = CS_j + T Kt ;  end = CE_{S-1} + Lat
        ``ready``: when the pass's input buffers are complete; ``load_ready``: the
        earliest time its weights may be fetched (the metaqueue for expert passes).
        With one unit and an unlimited DDR this is the header's closed form
        S T Kt + R_0 Kt + Lat + 1 (compute-bound) or N Kt + T Kt + Lat + 1 (load-bound).
        """
        c = self.cfg
        kt = math.ceil(K / c.lin_tile_in)
        slabs = math.ceil(N / c.cluster_out)
        mac_lat = LIN_MAC_LAT + int(math.log2(c.lin_tile_in))
        first = None
        busy = 0.0
        nbytes = 0
        for j in range(slabs):
            rows = min(c.cluster_out, N - j * c.cluster_out)
            units = math.ceil(rows / c.lin_tile_out)
            b = rows * kt * c.lin_tile_in * 2 + units * SLAB_HEADER_BYTES
            nbytes += b
            ls = max(self.loader_free, self.bank_free[self.bank], load_ready)
            if not c.overlap_weights:
                ls = max(ls, self.array_free)
            le = max(self.ddr(ls, b), ls + min(rows, c.lin_tile_out) * kt)
            self.loader_free = le
            cs = max(le + (2 if embed else 0), self.array_free, self.ce_hist[0] + mac_lat, ready)
            self.wstall += max(0.0, le - max(self.array_free, self.ce_hist[0] + mac_lat, ready))
            ce = cs + T * kt
            first = cs if first is None else first
            busy += T * kt
            self.bank_free[self.bank] = ce
            self.bank ^= 1
            self.ce_hist = [self.ce_hist[1], ce]
            self.array_free = ce
        end = self.array_free + linear_latency(c)
        return float(first), end, busy, nbytes


def simulate(cfg: Config, counts: Sequence[Sequence[int]] | None = None, d: ModelDims | None = None) -> list[Op]:
    """Run the command list of one backbone pass; ``counts`` = tokens per expert per MoE layer."""
    d = d or model_dims()
    if counts is None:
        counts = uniform_queue_counts(d)
    moe_layers = [L for L in range(d.depth) if d.is_moe(L)]
    if len(counts) != len(moe_layers) or any(len(r) != d.num_experts for r in counts):
        raise ValueError(f"counts: expected {len(moe_layers)} rows of {d.num_experts} experts")
    T, D, H, Dh = d.num_tokens, d.embed_dim, d.num_heads, d.head_dim
    cl = _Cluster(cfg)
    free = {"attention": 0.0, "layernorm": 0.0, "gate": 0.0, "dma": 0.0}
    ops: list[Op] = []

    def simple(layer: int, name: str, unit: str, after: float, cycles: float, **kw) -> Op:
        s = max(free[unit], after) + CMD_GAP
        op = Op(layer, name, unit, s, s + cycles, busy=cycles, **kw)
        free[unit] = op.end
        ops.append(op)
        return op

    def linear(layer: int, name: str, K: int, N: int, Tn: int, after: float, load_ready: float = 0.0,
               detail: str = "", embed: bool = False) -> Op:
        s, e, busy, nb = cl.run(K, N, Tn, after + CMD_GAP, load_ready, embed)
        op = Op(layer, name, "linear", s, e, busy=busy, macs=Tn * K * N, weight_bytes=nb, detail=detail)
        ops.append(op)
        return op

    # Patch embedding: the host lays out the image patch-major (im2col), the DMA loads it as pix codes.
    pix_bytes = d.img_c * d.img_h * d.img_w
    ld = simple(-1, "load_image", "dma", 0.0, 0.0, act_bytes=pix_bytes)
    ld.end = cl.ddr(ld.start, pix_bytes)
    ld.busy = ld.end - ld.start
    free["dma"] = ld.end
    x_ready = linear(-1, "patch_embed", d.patch_k, D, d.num_patches, ld.end, embed=True).end
    moe_i = 0
    for L in range(d.depth):
        p = ln_cycles(cfg, T, d)
        ln1 = simple(L, "ln1", "layernorm", x_ready, p, act_bytes=0, weight_bytes=LN_PARAM_BYTES)
        cl.ddr(ln1.start, LN_PARAM_BYTES)
        # Q, K and V are separate passes (mode q vs plain, and one bias exponent per pass);
        # with overlap_heads one pass per head each (rows of head h), else one per matrix.
        groups = [[h] for h in range(H)] if cfg.overlap_heads else [list(range(H))]
        qkv_end: dict[int, float] = {}
        for hs in groups:
            tag = f"_h{hs[0]}" if cfg.overlap_heads else ""
            end = 0.0
            for m in ("q", "k", "v"):
                end = linear(L, m + tag, D, Dh * len(hs), T, ln1.end).end
            for h in hs:
                qkv_end[h] = end
        att_end = 0.0
        for h in range(H):
            dep = qkv_end[h]
            a = simple(L, f"attention_h{h}", "attention", dep, attention_head_cycles(cfg, T, d),
                       macs=2 * T * T * Dh)
            att_end = a.end
        proj = linear(L, "proj", D, D, T, att_end)
        ln2 = simple(L, "ln2", "layernorm", proj.end, p, weight_bytes=LN_PARAM_BYTES)
        cl.ddr(ln2.start, LN_PARAM_BYTES)
        if not d.is_moe(L):
            fc1 = linear(L, "fc1", D, d.mlp_hidden, T, ln2.end)
            x_ready = linear(L, "fc2", d.mlp_hidden, D, T, fc1.end).end
            continue
        if cfg.gate_on_cluster:
            lg = linear(L, "gate_logits", D, d.num_experts, T, ln2.end)
            route = gate_route_cycles(cfg, lg.end - lg.start, T, d)
            g = simple(L, "gate", "gate", lg.start, route)
        else:
            gbytes = d.num_experts * (D * 2 + 1)
            g = simple(L, "gate", "gate", ln2.end, gate_cycles(cfg, T, d), macs=T * D * d.num_experts,
                       weight_bytes=gbytes)
            cl.ddr(ln2.start, gbytes)  # gate rows load during LN2 (the gate is idle then)
        done = g.end
        for e, n in enumerate(counts[moe_i]):
            if n == 0:
                continue
            f1 = linear(L, f"e{e}_fc1", D, d.expert_hidden, n, g.end, load_ready=g.end, detail=f"{n} tokens")
            f2 = linear(L, f"e{e}_fc2", d.expert_hidden, D, n, f1.end, load_ready=g.end, detail=f"{n} tokens")
            done = max(done, f2.end)
        moe_i += 1
        x_ready = done
    out_bytes = T * D * ACT_WORD_BYTES
    st = simple(d.depth, "store_output", "dma", x_ready, 0.0, act_bytes=out_bytes)
    st.end = cl.ddr(st.start, out_bytes)
    st.busy = st.end - st.start
    return ops


# ---------------------------------------------------------------- command by command (the ISS's clock)
Region = tuple[str, int, int, int, int]
"""(buffer, first row, end row, first column, end column) a command reads or writes."""


class Timeline:
    """The event model of :func:`simulate`, driven one command at a time (``edgemoe.driver.iss``).

    Each method schedules one command from its operands: it starts when its resource is
    free and the commands it depends on have finished, where dependencies come from the
    buffer regions (:data:`Region`) it reads and writes, per buffer and 64-column block:
    read-after-write, write-after-read and write-after-write, except that regions with
    disjoint rows never conflict (the class-row ``LOAD`` and the embed pass). Costs are
    the same kernel formulas and the same :class:`_Cluster` as :func:`simulate`, so the
    backbone command list (edgemoe.driver.program) gives exactly ``model(...).cycles``.
    Returns the command's ``(start, end)``; :attr:`total` is the run's cycle count.
    """

    BLOCK = 64

    def __init__(self, cfg: Config | None = None, d: ModelDims | None = None):
        self.cfg = cfg or Config.zcu102()
        self.d = d or model_dims()
        self.cl = _Cluster(self.cfg)
        self.free = {"attention": 0.0, "layernorm": 0.0, "gate": 0.0, "dma": 0.0}
        self.ops: list[Op] = []
        self._wr: dict[tuple[str, int], list[tuple[int, int, float]]] = {}
        self._rd: dict[tuple[str, int], list[tuple[int, int, float]]] = {}
        self._ln_start = 0.0
        self.ddr_read = 0
        self.ddr_write = 0

    # -- dependencies
    def _keys(self, r: Region) -> Iterable[tuple[str, int]]:
        buf, _, _, c0, c1 = r
        return ((buf, b) for b in range(c0 // self.BLOCK, max(c0, c1 - 1) // self.BLOCK + 1))

    def ready(self, reads: Sequence[Region], writes: Sequence[Region]) -> float:
        t = 0.0
        for regs, tables in ((reads, (self._wr,)), (writes, (self._wr, self._rd))):
            for r in regs:
                for k in self._keys(r):
                    for tab in tables:
                        for a, b, e in tab.get(k, ()):
                            if a < r[2] and r[1] < b:
                                t = max(t, e)
        return t

    def _commit(self, end: float, reads: Sequence[Region], writes: Sequence[Region]) -> None:
        for r in reads:
            for k in self._keys(r):
                self._rd.setdefault(k, []).append((r[1], r[2], end))
        for r in writes:
            for k in self._keys(r):
                for tab in (self._wr, self._rd):
                    # entries this write covers are ordered before it: later commands need only it
                    tab[k] = [x for x in tab.get(k, []) if not (r[1] <= x[0] and x[1] <= r[2])]
                self._wr.setdefault(k, []).append((r[1], r[2], end))

    def _simple(self, name: str, unit: str, after: float, cycles: float, **kw) -> Op:
        s = max(self.free[unit], after) + CMD_GAP
        op = Op(0, name, unit, s, s + cycles, busy=cycles, **kw)
        self.free[unit] = op.end
        self.ops.append(op)
        return op

    def _linear(self, name: str, K: int, N: int, T: int, after: float, load_ready: float = 0.0,
                embed: bool = False) -> Op:
        s, e, busy, nb = self.cl.run(K, N, T, after + CMD_GAP, load_ready, embed)
        op = Op(0, name, "linear", s, e, busy=busy, macs=T * K * N, weight_bytes=nb)
        self.ops.append(op)
        self.ddr_read += nb
        return op

    # -- commands
    def load(self, nbytes: int, writes: Sequence[Region]) -> tuple[float, float]:
        op = self._simple("load", "dma", self.ready((), writes), 0.0, act_bytes=nbytes)
        op.end = self.cl.ddr(op.start, nbytes)
        op.busy = op.end - op.start
        self.free["dma"] = op.end
        self.ddr_read += nbytes
        self._commit(op.end, (), writes)
        return op.start, op.end

    def store(self, nbytes: int, reads: Sequence[Region]) -> tuple[float, float]:
        op = self._simple("store", "dma", self.ready(reads, ()), 0.0, act_bytes=nbytes)
        op.end = self.cl.ddr(op.start, nbytes)
        op.busy = op.end - op.start
        self.free["dma"] = op.end
        self.ddr_write += nbytes
        self._commit(op.end, reads, ())
        return op.start, op.end

    def layernorm(self, T: int, reads: Sequence[Region], writes: Sequence[Region]) -> tuple[float, float]:
        op = self._simple("layernorm", "layernorm", self.ready(reads, writes), ln_cycles(self.cfg, T, self.d),
                          weight_bytes=LN_PARAM_BYTES)
        self.cl.ddr(op.start, LN_PARAM_BYTES)
        self._ln_start = op.start
        self.ddr_read += LN_PARAM_BYTES
        self._commit(op.end, reads, writes)
        return op.start, op.end

    def linear(self, K: int, N: int, T: int, reads: Sequence[Region], writes: Sequence[Region],
               embed: bool = False) -> tuple[float, float]:
        """A LINEAR pass; ``embed``: mode embed (its slabs start 2 cycles after their load, _Cluster.run)."""
        op = self._linear("linear", K, N, T, self.ready(reads, writes), embed=embed)
        self._commit(op.end, reads, writes)
        return op.start, op.end

    def attention(self, T: int, reads: Sequence[Region], writes: Sequence[Region]) -> tuple[float, float]:
        op = self._simple("attention", "attention", self.ready(reads, writes),
                          attention_head_cycles(self.cfg, T, self.d), macs=2 * T * T * self.d.head_dim)
        self._commit(op.end, reads, writes)
        return op.start, op.end

    def gate(self, T: int, reads: Sequence[Region], writes: Sequence[Region]) -> tuple[float, float]:
        c, d = self.cfg, self.d
        after = self.ready(reads, writes)
        if c.gate_on_cluster:
            lg = self._linear("gate_logits", d.embed_dim, d.num_experts, T, after)
            g = self._simple("gate", "gate", lg.start, gate_route_cycles(c, lg.end - lg.start, T, d))
            start = lg.start
        else:
            gbytes = d.num_experts * (d.embed_dim * 2 + 1)
            g = self._simple("gate", "gate", after, gate_cycles(c, T, d), macs=T * d.embed_dim * d.num_experts,
                             weight_bytes=gbytes)
            self.cl.ddr(self._ln_start, gbytes)
            self.ddr_read += gbytes
            start = g.start
        self._commit(g.end, reads, writes)
        return start, g.end

    def experts(self, counts: Sequence[int], reads: Sequence[Region], writes: Sequence[Region],
                queues: Sequence[Region] = ()) -> tuple[float, float]:
        """One ``EXPERTS`` command: fc1 and fc2 of each active expert (``counts[e] > 0``) in ascending order;
        weights load from the end of the last writer of ``queues`` (the metaqueue) on."""
        d = self.d
        after = self.ready(reads, writes)
        load_ready = self.ready(queues, ()) if queues else after
        start, done = None, after
        for n in counts:
            if n == 0:
                continue
            f1 = self._linear("expert_fc1", d.embed_dim, d.expert_hidden, n, after, load_ready)
            f2 = self._linear("expert_fc2", d.expert_hidden, d.embed_dim, n, f1.end, load_ready)
            start = f1.start if start is None else start
            done = max(done, f2.end)
        start = after + CMD_GAP if start is None else start
        self._commit(done, reads, writes)
        return start, done

    @property
    def total(self) -> float:
        """Cycles from the first command to the last one's end."""
        return max((o.end for o in self.ops), default=0.0)

    def counters(self) -> dict[str, int]:
        """The run's counter registers: LIN_BUSY, WSTALL, ATTN_BUSY, DDR_RD and DDR_WR (bytes / 64)."""
        return {"LIN_BUSY": round(sum(o.busy for o in self.ops if o.unit == "linear")),
                "WSTALL": round(self.cl.wstall),
                "ATTN_BUSY": round(sum(o.busy for o in self.ops if o.unit == "attention")),
                "DDR_RD": self.ddr_read // 64, "DDR_WR": self.ddr_write // 64}


# ---------------------------------------------------------------- reports
@dataclass
class LayerRow:
    layer: str
    kind: str
    cycles: float
    us: float
    linear_cycles: float
    attention_cycles: float
    ln_gate_cycles: float
    weight_bytes: int
    macs: int
    mac_util: float
    active_experts: int | None = None


@dataclass
class Report:
    """The result of :func:`model`: the ops, per-layer rows and frame totals."""

    cfg: Config
    ops: list[Op]
    layers: list[LayerRow]
    cycles: float
    queue_source: str
    counts: list[list[int]]

    @property
    def latency_ms(self) -> float:
        """Backbone latency of one frame and task, ms."""
        return self.cycles / (self.cfg.clock_mhz * 1e3)

    @property
    def fps(self) -> float:
        return 1e3 / self.latency_ms

    @property
    def weight_bytes(self) -> int:
        return sum(o.weight_bytes for o in self.ops)

    @property
    def act_bytes(self) -> int:
        return sum(o.act_bytes for o in self.ops)

    @property
    def macs(self) -> int:
        return sum(o.macs for o in self.ops)

    @property
    def ddr_floor_ms(self) -> float:
        """Time the DDR needs for all bytes at the sustained rate: the bound no schedule can beat."""
        return (self.weight_bytes + self.act_bytes) / self.cfg.ddr_bytes_per_cycle / (self.cfg.clock_mhz * 1e3)

    def by_unit(self) -> dict[str, float]:
        """Busy cycles per resource."""
        out: dict[str, float] = {}
        for o in self.ops:
            out[o.unit] = out.get(o.unit, 0.0) + o.busy
        return out


def model(cfg: Config | None = None, queues: str = "sample", task: int = 0,
          counts: Sequence[Sequence[int]] | None = None) -> Report:
    """Model one backbone pass. ``queues``: ``sample`` or ``uniform`` (see :func:`queue_counts`),
    ignored when ``counts`` is given."""
    cfg = cfg or Config.zcu102()
    d = model_dims()
    if counts is None:
        cnt, src = queue_counts(queues, task)
    else:
        cnt, src = [list(r) for r in counts], "given"
    ops = simulate(cfg, cnt, d)
    rows: list[LayerRow] = []
    peak = cfg.lin_tile_in * cfg.lin_tile_out * cfg.lin_units
    moe_i = 0
    prev_end = 0.0
    for L in [-1, *range(d.depth)]:
        lo = [o for o in ops if o.layer == L]
        end = max(o.end for o in lo)
        lin = sum(o.busy for o in lo if o.unit == "linear")
        lin_macs = sum(o.macs for o in lo if o.unit == "linear")
        kind = "embed" if L < 0 else ("moe" if d.is_moe(L) else "dense")
        act = None
        if kind == "moe":
            act = sum(1 for n in cnt[moe_i] if n)
            moe_i += 1
        cyc = end - prev_end
        rows.append(LayerRow(
            layer="embed" if L < 0 else str(L), kind=kind, cycles=cyc, us=cfg.us(cyc), linear_cycles=lin,
            attention_cycles=sum(o.busy for o in lo if o.unit == "attention"),
            ln_gate_cycles=sum(o.busy for o in lo if o.unit in ("layernorm", "gate")),
            weight_bytes=sum(o.weight_bytes for o in lo), macs=sum(o.macs for o in lo),
            mac_util=lin_macs / (peak * cyc) if cyc else 0.0, active_experts=act))
        prev_end = end
    total = max(o.end for o in ops)
    rows.append(LayerRow("output", "dma", total - prev_end, cfg.us(total - prev_end), 0, 0, 0, 0, 0, 0.0))
    return Report(cfg, ops, rows, total, src, cnt)


def kv_bytes_per_step(cfg: Config, d: ModelDims | None = None) -> float:
    """Bytes of K (then V) the attention engine reads per step: one key row of one head, whatever P.

    (Technique 1: P query rows stay on chip, every step streams one row.) Rows are act codes, 26 bits.
    """
    d = d or model_dims()
    return d.head_dim * 26 / 8


def kv_bytes_per_cycle(cfg: Config, tokens: int | None = None, d: ModelDims | None = None) -> float:
    """K/V bytes per cycle averaged over one whole head (prologue and tail included).

    Every K/V step reads exactly one row, so the rate over the K/V phase is one row
    per cycle for every P; the whole-head average differs from it only by the P-row
    prologue and the pipeline tail (a few percent at P = 32). Total K/V bytes per head
    fall with P (K and V are streamed ceil(T/P) times), the rate does not grow.
    """
    d = d or model_dims()
    T = tokens or d.num_tokens
    rows = 2 * T * math.ceil(T / min(cfg.attn_p, T))
    return rows * kv_bytes_per_step(cfg, d) / attention_head_cycles(cfg, T, d)


def sweep_p(base: Config, ps: Iterable[int] = (1, 2, 4, 8, 16, 32), d: ModelDims | None = None) -> list[dict]:
    """Attention cycles per head, DSPs for Q.K/A.V and K/V bytes per cycle for each P."""
    d = d or model_dims()
    out = []
    for p in ps:
        c = replace(base, attn_p=p)
        out.append({"P": p, "head_cycles": attention_head_cycles(c, d.num_tokens, d),
                    "layer_us": c.us(d.num_heads * attention_head_cycles(c, d.num_tokens, d)),
                    "macs_per_cycle": p * d.head_dim, "kv_bytes_per_cycle": kv_bytes_per_cycle(c, None, d)})
    return out


# ---------------------------------------------------------------- tables (markdown)
def _md(rows: list[list[str]], align: str | None = None) -> str:
    head, body = rows[0], rows[1:]
    al = align or "l" + "r" * (len(head) - 1)
    sep = ["---:" if a == "r" else "---" for a in al]
    return "\n".join("| " + " | ".join(r) + " |" for r in [head, sep, *body])


def table_layers(rep: Report) -> str:
    """Per-layer latency, work and bytes (markdown)."""
    rows = [["layer", "kind", "cycles", "us", "linear busy", "attention busy", "LN + gate busy", "weights KB",
             "DDR GB/s", "MMAC", "MAC util", "active experts"]]

    def gbs(nbytes: float, us: float) -> str:
        return f"{nbytes / (us * 1e3):.1f}" if us else ""

    for r in rep.layers:
        rows.append([r.layer, r.kind, f"{r.cycles:,.0f}", f"{r.us:,.1f}", f"{r.linear_cycles:,.0f}",
                     f"{r.attention_cycles:,.0f}", f"{r.ln_gate_cycles:,.0f}", f"{r.weight_bytes / 1e3:,.0f}",
                     gbs(r.weight_bytes, r.us), f"{r.macs / 1e6:,.1f}", f"{100 * r.mac_util:.0f}%" if r.macs else "",
                     "" if r.active_experts is None else str(r.active_experts)])
    tot_us = rep.cfg.us(rep.cycles)
    rows.append(["**total**", "", f"**{rep.cycles:,.0f}**", f"**{tot_us:,.1f}**", "", "", "",
                 f"{rep.weight_bytes / 1e3:,.0f}", gbs(rep.weight_bytes, tot_us), f"{rep.macs / 1e6:,.1f}", "", ""])
    return _md(rows, "llrrrrrrrrrr")


ORIGINAL_MS = 25.0
"""The original Edge-MoE's published latency per frame on the ZCU102 (about 25 ms)."""


def headline(rep: Report) -> str:
    """The one-line result the doc and the tests quote."""
    return (f"Modelled backbone latency: **{rep.latency_ms:.2f} ms per frame and task** "
            f"({rep.fps:.0f} frames/s, {ORIGINAL_MS / rep.latency_ms:.1f}x the original's ~{ORIGINAL_MS:g} ms) "
            f"for the `{rep.cfg.name}` configuration at {rep.cfg.clock_mhz:g} MHz, expert queues: {rep.queue_source}.")


def table_summary(rep: Report) -> str:
    c = rep.cfg
    bu = rep.by_unit()
    rows = [["quantity", "value"],
            ["latency per frame and task", f"{rep.latency_ms:.3f} ms ({rep.cycles:,.0f} cycles)"],
            ["frames/s (one task)", f"{rep.fps:.0f}"],
            ["MACs per frame", f"{rep.macs / 1e9:.3f} G"],
            ["weight bytes per frame (incl. headers)", f"{rep.weight_bytes / 1e6:.2f} MB"],
            ["activation bytes per frame (image in, block-11 out)", f"{rep.act_bytes / 1e3:.0f} KB"],
            ["DDR sustained", f"{c.ddr_gbps * c.ddr_efficiency:.2f} GB/s = {c.ddr_bytes_per_cycle:.1f} B/cycle"],
            ["DDR floor (all bytes at the sustained rate)", f"{rep.ddr_floor_ms:.3f} ms"],
            ["linear cluster busy", f"{c.us(bu.get('linear', 0)) / 1e3:.3f} ms "
                                    f"({100 * bu.get('linear', 0) / rep.cycles:.0f}%)"],
            ["attention engine busy", f"{c.us(bu.get('attention', 0)) / 1e3:.3f} ms"],
            ["LayerNorm + gate busy", f"{c.us(bu.get('layernorm', 0) + bu.get('gate', 0)) / 1e3:.3f} ms"],
            ["MAC utilisation of the cluster over the frame",
             f"{100 * (rep.macs - _attn_macs(rep)) / (c.lin_tile_in * c.lin_tile_out * c.lin_units * rep.cycles):.0f}%"]]
    return _md(rows, "lr")


def _attn_macs(rep: Report) -> int:
    return sum(o.macs for o in rep.ops if o.unit in ("attention", "gate"))


def table_config(cfg: Config) -> str:
    rows = [["parameter", "value", "meaning"],
            ["attn_p", str(cfg.attn_p), "query rows per attention group (P)"],
            ["lin_tile_in x lin_tile_out", f"{cfg.lin_tile_in} x {cfg.lin_tile_out}", "MAC array of one linear unit"],
            ["lin_units", str(cfg.lin_units), "linear units in the lock-step cluster"],
            ["ln_lanes, ln_steps", f"{cfg.ln_lanes}, {cfg.ln_steps}", "LayerNorm lanes, isqrt/div chains (one digit per cycle each)"],
            ["gate_on_cluster", str(cfg.gate_on_cluster),
             "gate logits on the linear cluster (else moe_gate's own gate_lanes x 16 MACs)"],
            ["gate_lanes", str(cfg.gate_lanes), "moe_gate logit lanes when not on the cluster"],
            ["clock", f"{cfg.clock_mhz:g} MHz", ""],
            ["DDR", f"{cfg.ddr_gbps:g} GB/s x {cfg.ddr_efficiency:.2f}", "peak x sustained fraction for long bursts"],
            ["overlap_weights", str(cfg.overlap_weights), "ping-pong weight streaming"],
            ["overlap_heads", str(cfg.overlap_heads), "attention head h runs while the cluster computes head h+1"]]
    return _md(rows, "lll")


def table_variants(base: Config, queues: str = "sample", task: int = 0) -> str:
    """Latency of variations of ``base`` (one knob each)."""
    variants = [("this configuration", base),
                ("no weight ping-pong (load, then compute)", replace(base, overlap_weights=False)),
                ("no head overlap", replace(base, overlap_heads=False)),
                ("gate on moe_gate's own logit engine (gate_lanes)", replace(base, gate_on_cluster=False)),
                ("lin_units 2", replace(base, lin_units=2)),
                ("lin_units 6 (over the LUT budget)", replace(base, lin_units=6)),
                ("P = 4", replace(base, attn_p=4)),
                ("P = 8, params.toml attn_p (over the LUT budget)", replace(base, attn_p=8)),
                ("ln_lanes 1, ln_steps 1 (params.toml ln_lanes)", replace(base, ln_lanes=1, ln_steps=1)),
                ("DDR at 100% of 19.2 GB/s", replace(base, ddr_efficiency=1.0)),
                ("DDR at 60% of 19.2 GB/s", replace(base, ddr_efficiency=0.6))]
    rows = [["variant", "ms per frame and task", "frames/s"]]
    for name, c in variants:
        r = model(c, queues, task)
        rows.append([name, f"{r.latency_ms:.2f}", f"{r.fps:.0f}"])
    r = model(base, "uniform")
    rows.append(["uniform expert queues (all 16 experts active)", f"{r.latency_ms:.2f}", f"{r.fps:.0f}"])
    other = 1 - task
    r = model(base, queues, other)
    rows.append([f"task {other} ({r.queue_source})", f"{r.latency_ms:.2f}", f"{r.fps:.0f}"])
    return _md(rows, "lrr")


def table_p(base: Config) -> str:
    rows = [["P", "cycles per head", "attention us per layer", "Q.K + A.V DSPs", "K/V bytes per cycle"]]
    for s in sweep_p(base):
        rows.append([str(s["P"]), f"{s['head_cycles']:,}", f"{s['layer_us']:.1f}",
                     f"{attention_dsps(replace(base, attn_p=s['P'])):,}", f"{s['kv_bytes_per_cycle']:.1f}"])
    return _md(rows, "rrrrr")


def linear_unit_dsps(cfg: Config) -> int:
    """DSP48E2 of one linear unit by construction: one per product of the MAC array, one per
    output row for the scaled mode's p multiply (linear_post) and one per GELU lane (gelu_unit)."""
    return cfg.lin_tile_in * cfg.lin_tile_out + 2 * cfg.lin_tile_out


def attention_dsps(cfg: Config, d: ModelDims | None = None) -> int:
    """DSP48E2 of the attention's multipliers by construction: P x Dh for Q.K (attn_dot) and
    P x Dh for A.V (the two run concurrently); exp and statistics lanes come on top (synthesis)."""
    d = d or model_dims()
    return 2 * cfg.attn_p * d.head_dim


def table_units(base: Config, queues: str = "sample", task: int = 0) -> str:
    """The cluster width against the frame: MAC DSPs, dense-layer cycles, latency."""
    rows = [["lin_units", "output rows per slab", "cluster DSPs", "dense layer cycles", "ms per frame and task"]]
    for u in (1, 2, 4, 6, 8):
        c = replace(base, lin_units=u)
        r = model(c, queues, task)
        dense = next(x for x in r.layers if x.kind == "dense")
        rows.append([str(u), str(c.cluster_out), f"{u * linear_unit_dsps(c):,}", f"{dense.cycles:,.0f}",
                     f"{r.latency_ms:.2f}"])
    return _md(rows, "rrrrr")


def table_macs() -> str:
    m = macs_per_frame()
    rows = [["operation", "MMAC per frame"]] + [[k, f"{v / 1e6:.2f}"] for k, v in m.items()]
    rows.append(["**total**", f"**{sum(m.values()) / 1e6:.2f}**"])
    return _md(rows, "lr")


# ---------------------------------------------------------------- resources
@dataclass(frozen=True)
class Buffer:
    """An on-chip buffer of the top: ``words`` x ``width`` bits, BRAM36 in the best SDP aspect ratio."""

    name: str
    words: int
    width: int
    what: str

    @property
    def bits(self) -> int:
        return self.words * self.width

    @property
    def bram36(self) -> int:
        """Fewest RAMB36E2 over the simple-dual-port aspect ratios (512x72, 1Kx36, 2Kx18, 4Kx9, 8Kx4)."""
        best = None
        for depth, width in ((512, 72), (1024, 36), (2048, 18), (4096, 9), (8192, 4), (16384, 2), (32768, 1)):
            n = math.ceil(self.width / width) * math.ceil(self.words / depth)
            best = n if best is None else min(best, n)
        return int(best or 0)


def buffers(cfg: Config, d: ModelDims | None = None) -> list[Buffer]:
    """The top's activation buffers (the kernels' own storage is in their synthesis estimates)."""
    d = d or model_dims()
    T, D = d.num_tokens, d.embed_dim
    ti = cfg.lin_tile_in
    beat = ti * 26
    return [
        Buffer("X (residual / moe_acc)", T * D // ti, ti * 28, f"{T}x{D} moe_acc (28 b); readers saturate to act"),
        Buffer("N (LayerNorm out)", T * D // ti, beat, f"{T}x{D} act"),
        Buffer("Q", T * d.num_heads, d.head_dim * 18, f"{T}x{D} q (18 b), one head row per word"),
        Buffer("K", T * d.num_heads, d.head_dim * 26, f"{T}x{D} act, one head row per word"),
        Buffer("V", T * d.num_heads, d.head_dim * 26, f"{T}x{D} act, one head row per word"),
        Buffer("A (attention out)", T * d.num_heads, d.head_dim * 26,
               f"{T}x{D} act, one head row per word (the attention's output beat)"),
        Buffer("H (hidden, image patches)", T * d.mlp_hidden // ti, beat,
               f"{T}x{d.mlp_hidden} act: fc1/expert-fc1 output; the 128x768 patches before the embedding"),
    ]


def table_buffers(cfg: Config) -> str:
    rows = [["buffer", "contents", "words x bits", "kbit", "BRAM36"]]
    tot_b = tot_k = 0
    for b in buffers(cfg):
        rows.append([b.name, b.what, f"{b.words} x {b.width}", f"{b.bits / 1024:.0f}", str(b.bram36)])
        tot_b += b.bram36
        tot_k += b.bits
    rows.append(["**total**", "", "", f"{tot_k / 1024:.0f}", f"**{tot_b}**"])
    return _md(rows, "lllrr")


def instances(cfg: Config) -> dict[str, int]:
    """How many of each top-level kernel (names of hw/synth/kernels.toml) the configuration has.

    With ``gate_on_cluster`` the gate's logits run on the cluster and the top instantiates only the
    routing part of moe_gate (moe_gate_softmax and expert_queues); otherwise the whole moe_gate.
    """
    gate = {"moe_gate_softmax": 1, "expert_queues": 1} if cfg.gate_on_cluster else {"moe_gate": 1}
    return {"linear_unit": cfg.lin_units, "attention": 1, "layernorm": 1, **gate}


DEVICE = {"lut": 274_080, "ff": 548_160, "dsp": 2520, "bram36": 912}
"""xczu9eg resources."""
CONTROL_ALLOWANCE = {"lut": 20_000, "ff": 30_000, "dsp": 0, "bram36": 24}
"""Used only while the top's glue (``edgemoe_top`` in hw/synth/results.json) is not recorded: AXI-Lite
registers, sequencer, weight and activation DMAs, buffer ports and muxes, sized like a Xilinx AXI DMA
per port plus the datapath muxes."""
TOP = "edgemoe_top"
"""The kernels.toml entry of the integrated top synthesised with its kernels as black boxes."""


def _box_params_note(group: dict, r) -> str:
    """Instance parameters of a black box that differ from those its kernel estimate was synthesised
    with (the module defaults overridden by the kernel entry's parameters); empty when none differ."""
    defaults = {k: (group["differs"][k][1] if k in group.get("differs", {}) else v) for k, v in group["params"].items()}
    est = {**defaults, **r.params}
    diff = {k: v for k, v in group["params"].items() if est.get(k) != v}
    if not diff:
        return ""
    return ("; instances: " + ", ".join(f"{k}={v}" for k, v in diff.items()) + " (estimate: "
            + ", ".join(f"{est.get(k)}" for k in diff) + ")")


def resources(cfg: Config, results: dict | None = None) -> dict:
    """Resource total of the design from the Yosys estimates (``hw/synth/results.json``).

    With the top's glue recorded (``edgemoe_top``: the integrated top with its kernels as black
    boxes) the total is that glue (registers, sequencer, buffers, AXI engines, executors, cluster
    glue) + each black-box kernel's own estimate x the instances the top's netlist has. Otherwise
    (``how == "allowance"``): kernel estimates x :func:`instances` + the activation buffers
    (:func:`buffers`) + :data:`CONTROL_ALLOWANCE`.

    Returns ``{"rows": [...], "total": {...}, "missing": [kernels without an estimate], "how": "top" |
    "allowance", "formed": one sentence saying how the total is formed}``.
    """
    if results is None:
        from edgemoe.synth import load_results

        results = load_results()
    top = results.get(TOP)
    if top is not None and top.ok and top.blackboxes:
        return _resources_top(top, results)
    rows = []
    total = {"lut": 0.0, "ff": 0.0, "dsp": 0.0, "bram36": 0.0}
    missing = []
    for k, n in instances(cfg).items():
        r = results.get(k)
        if r is None or not r.ok:
            missing.append(k)
            rows.append({"what": k, "n": n, "source": "not synthesised" if r is None else r.status})
            continue
        ps = ", ".join(f"{a}={b}" for a, b in r.params.items())
        row = {"what": k, "n": n, "source": f"Yosys ({ps})" if ps else "Yosys",
               "lut": r.lut * n, "ff": r.ff * n, "dsp": r.dsp * n, "bram36": r.bram36 * n}
        rows.append(row)
        for q in total:
            total[q] += row[q]
    bb = sum(b.bram36 for b in buffers(cfg))
    rows.append({"what": "activation buffers", "n": 1, "source": "table above", "lut": 0, "ff": 0, "dsp": 0,
                 "bram36": bb})
    rows.append({"what": "control + DMA (allowance)", "n": 1, "source": "estimate", **CONTROL_ALLOWANCE})
    for q in total:
        total[q] += bb if q == "bram36" else 0
        total[q] += CONTROL_ALLOWANCE[q]
    formed = ("Total = kernel estimates x instances + activation buffers + an allowance for the control "
              f"logic ({TOP} not synthesised yet).")
    return {"rows": rows, "total": total, "missing": missing, "how": "allowance", "formed": formed}


def _resources_top(top, results: dict) -> dict:
    """:func:`resources` from the top's glue and its black boxes' kernel estimates."""
    q4 = ("lut", "ff", "dsp", "bram36")
    glue = {q: float(getattr(top, q)) for q in q4}
    rows = [{"what": f"{TOP} glue", "n": 1, "source": "Yosys: the top, kernels as black boxes", **glue}]
    total = dict(glue)
    missing = []
    for g in top.blackboxes:
        k, n = g["module"], int(g.get("elaborated", g["count"]))
        r = results.get(k)
        if r is None or not r.ok:
            missing.append(k)
            rows.append({"what": k, "n": n, "source": "not synthesised" if r is None else r.status})
            continue
        ps = ", ".join(f"{a}={b}" for a, b in r.params.items())
        row = {"what": k, "n": n, "source": (f"Yosys ({ps})" if ps else "Yosys") + _box_params_note(g, r),
               **{q: float(getattr(r, q)) * n for q in q4}}
        rows.append(row)
        for q in q4:
            total[q] += row[q]
    formed = (f"Total = {TOP}'s glue (the integrated top synthesised with its kernels as black boxes: registers, "
              "sequencer, activation buffers, AXI engines, executors, cluster glue) + each kernel's own estimate "
              "x the instances of it in the top's netlist; no allowance.")
    return {"rows": rows, "total": total, "missing": missing, "how": "top", "formed": formed}


def table_resources(cfg: Config, results: dict | None = None) -> str:
    res = resources(cfg, results)
    rows = [["block", "instances", "source", "LUT", "FF", "DSP", "BRAM36"]]
    for r in res["rows"]:
        if "lut" not in r:
            rows.append([r["what"], str(r["n"]), r["source"], "?", "?", "?", "?"])
            continue
        rows.append([r["what"], str(r["n"]), r["source"], f"{r['lut']:,.0f}", f"{r['ff']:,.0f}",
                     f"{r['dsp']:,.0f}", f"{r['bram36']:,.1f}"])
    t = res["total"]
    rows.append(["**total**", "", "", f"**{t['lut']:,.0f}**", f"**{t['ff']:,.0f}**", f"**{t['dsp']:,.0f}**",
                 f"**{t['bram36']:,.1f}**"])
    rows.append(["xczu9eg", "", "", f"{DEVICE['lut']:,}", f"{DEVICE['ff']:,}", f"{DEVICE['dsp']:,}",
                 f"{DEVICE['bram36']:,}"])
    rows.append(["utilisation", "", "", *(f"{100 * t[q] / DEVICE[q]:.0f}%" for q in ("lut", "ff", "dsp", "bram36"))])
    out = _md(rows, "lrlrrrr") + "\n\n" + res["formed"]
    if res["missing"]:
        out += "\n\nNo estimate yet (counted as 0 above): " + ", ".join(res["missing"]) + "."
    return out


def table_synth(results: dict | None = None) -> str:
    """Every recorded kernel estimate (one instance each)."""
    if results is None:
        from edgemoe.synth import load_results

        results = load_results()
    rows = [["kernel", "parameters", "part of", "LUT", "LUTRAM", "FF", "DSP", "BRAM36", "status"]]
    for name in sorted(results):
        r = results[name]
        ps = ", ".join(f"{k}={v}" for k, v in r.params.items()) or "-"
        if r.ok:
            rows.append([name, ps, r.part_of or ("- (kernels as black boxes)" if r.blackboxes else "top"), f"{r.lut:,}", f"{r.lutram:,}", f"{r.ff:,}", str(r.dsp),
                         f"{r.bram36:g}", "ok"])
        else:
            e = r.error or {}
            where = f" ({e['file']}:{e['line']})" if "file" in e else ""
            rows.append([name, ps, r.part_of or "top", "", "", "", "", "", f"{r.status}{where}"])
    return _md(rows, "lllrrrrrl")


def table_timing() -> str:
    """The recorded worst-path estimates per kernel (hw/synth/timing.json; edgemoe.synth, docs/timing.md)."""
    from edgemoe.synth import load_timing, table_timing_md

    return table_timing_md(load_timing())


# ---------------------------------------------------------------- doc generation
SECTIONS = ("headline", "config", "summary", "layers", "variants", "p_sweep", "units", "macs", "buffers", "synth",
            "timing", "resources")


def sections(rep: Report) -> dict[str, str]:
    """The generated sections of docs/architecture.md, by name."""
    cfg = rep.cfg
    task = 0
    return {
        "headline": headline(rep),
        "config": table_config(cfg),
        "summary": table_summary(rep),
        "layers": table_layers(rep),
        "variants": table_variants(cfg, "sample", task),
        "p_sweep": table_p(cfg),
        "units": table_units(cfg, "sample", task),
        "macs": table_macs(),
        "buffers": table_buffers(cfg),
        "synth": table_synth(),
        "timing": table_timing(),
        "resources": table_resources(cfg),
    }


_SEC_RE = re.compile(r"(<!-- perf:(?P<name>\w+) -->\n)(?P<body>.*?)(<!-- /perf:(?P=name) -->)", re.S)


def doc_sections(text: str) -> dict[str, str]:
    """The generated sections found in a doc text (name -> body without the markers)."""
    return {m.group("name"): m.group("body").strip("\n") for m in _SEC_RE.finditer(text)}


def write_doc(path: Path = DOC, rep: Report | None = None) -> list[str]:
    """Replace every generated section of the doc with the model's; returns the names replaced."""
    rep = rep or model()
    new = sections(rep)
    text = path.read_text()
    done = []

    def repl(m: re.Match[str]) -> str:
        n = m.group("name")
        if n not in new:
            return m.group(0)
        done.append(n)
        return m.group(1) + new[n] + "\n" + m.group(4)

    path.write_text(_SEC_RE.sub(repl, text))
    return done


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m edgemoe.perf_model", description=__doc__.split("\n")[0])
    ap.add_argument("--queues", choices=("sample", "uniform"), default="sample")
    ap.add_argument("--task", type=int, default=0)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a Config field")
    ap.add_argument("--ops", action="store_true", help="also list every command with its times")
    ap.add_argument("--write-doc", action="store_true", help=f"refresh the generated sections of {DOC.name}")
    a = ap.parse_args(argv)
    over: dict = {}
    for s in a.set:
        k, _, v = s.partition("=")
        if k not in Config.__dataclass_fields__:
            ap.error(f"unknown Config field {k!r}")
        t = Config.__dataclass_fields__[k].type
        over[k] = (v.lower() in ("1", "true", "yes")) if t in (bool, "bool") else (
            float(v) if t in (float, "float") else (v if t in (str, "str") else int(v)))
    rep = model(Config.zcu102(**over), a.queues, a.task)
    if a.write_doc:
        names = write_doc(DOC, rep)
        print(f"{DOC}: refreshed {', '.join(names) or 'nothing (no perf markers)'}")
        return 0
    print(headline(rep), "", table_summary(rep), "", table_layers(rep), sep="\n")
    if a.ops:
        for o in rep.ops:
            print(f"{o.layer:>3} {o.name:<14} {o.unit:<10} {o.start:>10.0f} {o.end:>10.0f} {o.busy:>8.0f} "
                  f"{o.weight_bytes:>8} {o.detail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
