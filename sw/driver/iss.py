"""Instruction-set model of the accelerator: registers, DDR, sequencer and architectural buffers.

:class:`Iss` is the device of docs/architecture.md at the level of commands:

* the AXI-Lite register file (:meth:`Iss.read32` / :meth:`Iss.write32`, offsets from
  :mod:`edgemoe.driver.regmap`), the interrupt level :attr:`Iss.irq`
  (``IRQ_STATUS & IRQ_ENABLE != 0``);
* the DDR as :attr:`Iss.mem` (np.uint8; device address ``mem_base + index``); any
  access outside it is ``AXI_READ`` / ``AXI_WRITE``;
* writing ``CTRL.START`` latches ``CMD_BASE``, ``CMD_COUNT``, ``WBASE``, ``IOBASE`` and
  ``TIMEOUT`` and makes the device BUSY; :meth:`Iss.advance` executes commands in order
  on the buffers X (moe_acc, readers saturate to act), N, Q (q codes), K, V, A, H
  (act codes) and the expert queues, with the golden operators of ``edgemoe.golden``;
* a command either completes or fails as a whole: every field, range, alignment, record
  header and DDR range is checked before the command changes any state, so a failing
  command writes nothing (the RTL may have written part of its destination; the
  contract only promises the error code and index);
* CYCLES and the counters are :class:`edgemoe.perf_model.Timeline`'s, fed command by
  command: the backbone list gives exactly ``perf_model.model(counts=...)``'s cycles.

Rules this model settles (written down in docs/architecture.md, "Sequencer rules"):
START with ``CMD_COUNT = 0`` or a misaligned base register fails at once with
``BAD_FIELD`` index 0; START while BUSY leaves the run alone and records
``START_BUSY`` (ERROR register, STATUS.ERROR, error interrupt; the run still ends with
DONE or its own error); START while idle with STATUS.ERROR set is ignored until
SOFT_RESET; a run that reaches ``CMD_COUNT`` without ``END`` ends with DONE;
ABORT while idle and SOFT_RESET while BUSY are ignored; SOFT_RESET keeps the
configuration registers (bases, count, TIMEOUT, IRQ_ENABLE) and clears everything else.

Fault injection: ``iss.hang_at = index`` makes that command never complete: with
``TIMEOUT != 0`` the watchdog ends the run with ``TIMEOUT`` at that index (CYCLES = the
time it was issued + TIMEOUT); with ``TIMEOUT = 0`` the device stays BUSY until ABORT.
A command whose modelled duration exceeds ``TIMEOUT`` also ends in ``TIMEOUT``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgemoe import perf_model
from edgemoe.golden.attention import attention_fixed
from edgemoe.golden.fixed_model import FixedWeights
from edgemoe.golden.fixedpoint import Scaled, fmt, round_shift, saturate
from edgemoe.golden.linear import bias_aligned, linear_unit, matmul_exact, score_scale
from edgemoe.golden.moe import ExpertQueues, build_queues, gate_fixed
from edgemoe.golden.layernorm import layernorm_fixed
from edgemoe.golden.params import model_dims

from . import image as wimage
from . import isa, regmap as rm
from .isa import Buf, Err, Mode, Op

_ACT, _Q, _MOE = fmt("act"), fmt("q"), fmt("moe_acc")
_D = model_dims()
T_MAX = isa.TOKENS
ACT_BUFS = frozenset({Buf.X, Buf.N, Buf.K, Buf.V, Buf.A, Buf.H})      # hold act codes (X: moe_acc, read saturated)
ROW_BUFS = frozenset({Buf.X, Buf.N, Buf.K, Buf.V, Buf.A})              # 192 act columns: LN, gate sources
ALL_BUFS = frozenset(b for b in Buf if b != Buf.NONE)
QUEUES = ("queues", 0, 1, 0, 1)


class Fault(Exception):
    """A command failed with an error code (internal to the sequencer)."""

    def __init__(self, code: Err):
        super().__init__(code.name)
        self.code = code


def _check(cond: bool, code: Err = Err.BAD_FIELD) -> None:
    if not cond:
        raise Fault(code)


@dataclass
class _Latched:
    cmd_base: int
    count: int
    wbase: int
    iobase: int
    timeout: int


class Iss:
    """The accelerator at command level; see the module doc for the contract."""

    def __init__(self, mem_size: int = 64 << 20, mem_base: int = 0x1_0000_0000,
                 cfg: perf_model.Config | None = None):
        self.mem = np.zeros(mem_size, dtype=np.uint8)
        self.mem_base = mem_base
        self.cfg = cfg or perf_model.Config.zcu102()
        self.hang_at: int | None = None
        self._cfg_regs = {rm.IRQ_ENABLE: 0, rm.TIMEOUT: rm.TIMEOUT_RESET, rm.CMD_BASE_LO: 0, rm.CMD_BASE_HI: 0,
                          rm.CMD_COUNT: 0, rm.WBASE_LO: 0, rm.WBASE_HI: 0, rm.IOBASE_LO: 0, rm.IOBASE_HI: 0}
        self._reset_state()

    # ---------------------------------------------------------------- state
    def _reset_state(self) -> None:
        self.busy = False
        self.done = False
        self.error = False
        self.error_code = Err.NONE
        self.error_index = 0
        self.irq_status = 0
        self.cmd_index = 0
        self.opcode = 0
        self.cycles = 0
        self.counters = {"LIN_BUSY": 0, "WSTALL": 0, "ATTN_BUSY": 0, "DDR_RD": 0, "DDR_WR": 0}
        self.mark = 0
        self.qcount = [0] * _D.num_experts
        self.buffers = {b: np.zeros((T_MAX, isa.BUF_COLS[b]), dtype=np.int64) for b in ALL_BUFS}
        self.queues: ExpertQueues | None = None
        self.timeline = perf_model.Timeline(self.cfg)
        self._run: _Latched | None = None
        self._pc = 0
        self._hung = False
        self._pending: list[tuple[int, int]] = []   # (head, T) of ATTENTION commands not yet evaluated

    @property
    def irq(self) -> bool:
        """Level of the interrupt line."""
        return bool(self.irq_status & self._cfg_regs[rm.IRQ_ENABLE])

    # ---------------------------------------------------------------- registers
    def read32(self, offset: int) -> int:
        if offset % 4:
            raise ValueError(f"register offset 0x{offset:X} is not 32-bit aligned")
        r = self._cfg_regs
        if offset in r:
            return r[offset]
        if offset in (rm.ID, rm.VERSION, rm.HWCFG0, rm.HWCFG1):
            name = {rm.ID: "ID", rm.VERSION: "VERSION", rm.HWCFG0: "HWCFG0", rm.HWCFG1: "HWCFG1"}[offset]
            return rm.REGISTERS[name].reset
        if offset == rm.STATUS:
            return (int(self.busy) | int(self.done) << 1 | int(self.error) << 2
                    | ((self.opcode & 0xFF) << 8 if self.busy else 0))
        if offset == rm.IRQ_STATUS:
            return self.irq_status
        if offset == rm.ERROR:
            return int(self.error_code) | (self.error_index & 0xFFFFFF) << 8
        if offset == rm.CMD_INDEX:
            return self.cmd_index
        if offset in (rm.CYCLES_LO, rm.CYCLES_HI):
            c = self._cycles_now()
            return c & 0xFFFFFFFF if offset == rm.CYCLES_LO else (c >> 32) & 0xFFFFFFFF
        names = {rm.LIN_BUSY: "LIN_BUSY", rm.WSTALL: "WSTALL", rm.ATTN_BUSY: "ATTN_BUSY", rm.DDR_RD: "DDR_RD",
                 rm.DDR_WR: "DDR_WR"}
        if offset in names:
            return min(self._counters_now()[names[offset]], 0xFFFFFFFF)
        if offset == rm.MARK:
            return self.mark
        if rm.QCOUNT0 <= offset <= rm.QCOUNT3:
            e0 = 4 * ((offset - rm.QCOUNT0) // 4)
            return sum((self.qcount[e0 + i] & 0xFF) << (8 * i) for i in range(4) if e0 + i < len(self.qcount))
        return 0  # CTRL reads 0 (self-clearing bits); unmapped offsets read 0

    def write32(self, offset: int, value: int) -> None:
        if offset % 4:
            raise ValueError(f"register offset 0x{offset:X} is not 32-bit aligned")
        value = int(value) & 0xFFFFFFFF
        if offset == rm.CTRL:
            if value & rm.CTRL_ABORT and self.busy:
                self._fail(Err.ABORTED, self.cmd_index)
            if value & rm.CTRL_SOFT_RESET and not self.busy:
                self._reset_state()
            if value & rm.CTRL_START:
                self._start()
        elif offset == rm.IRQ_ENABLE:
            self._cfg_regs[offset] = value & 0x7
        elif offset == rm.IRQ_STATUS:
            self.irq_status &= ~value & 0x7
        elif offset in self._cfg_regs:
            self._cfg_regs[offset] = value
        # RO and unmapped offsets: writes are ignored

    def _reg64(self, lo: int, hi: int) -> int:
        return self._cfg_regs[lo] | self._cfg_regs[hi] << 32

    def _cycles_now(self) -> int:
        return self.cycles if not self.busy else int(round(self.timeline.total))

    def _counters_now(self) -> dict[str, int]:
        return self.counters if not self.busy else self.timeline.counters()

    # ---------------------------------------------------------------- run control
    def _start(self) -> None:
        if self.busy:
            self.error, self.error_code, self.error_index = True, Err.START_BUSY, self.cmd_index
            self.irq_status |= rm.IRQ_STATUS_ERROR
            return
        if self.error:
            return  # idle with an error: SOFT_RESET first
        self.done = False
        self.cycles, self.mark, self.qcount = 0, 0, [0] * _D.num_experts
        self.counters = {k: 0 for k in self.counters}
        self.queues = None
        self.timeline = perf_model.Timeline(self.cfg)
        self._run = _Latched(self._reg64(rm.CMD_BASE_LO, rm.CMD_BASE_HI), self._cfg_regs[rm.CMD_COUNT],
                             self._reg64(rm.WBASE_LO, rm.WBASE_HI), self._reg64(rm.IOBASE_LO, rm.IOBASE_HI),
                             self._cfg_regs[rm.TIMEOUT])
        self._pc, self.cmd_index, self._hung = 0, 0, False
        r = self._run
        self.busy = True
        if (r.count == 0 or r.cmd_base % isa.CMD_ALIGN or r.wbase % isa.BASE_ALIGN
                or r.iobase % isa.BASE_ALIGN):
            self._fail(Err.BAD_FIELD, 0)

    def _end_run(self) -> None:
        self._flush_attention()
        self.busy = False
        self.cycles = int(round(self.timeline.total)) if not self.cycles else self.cycles
        self.counters = self.timeline.counters()

    def _fail(self, code: Err, index: int) -> None:
        self._end_run()
        self.error, self.error_code, self.error_index = True, code, index
        self.irq_status |= rm.IRQ_STATUS_ERROR

    def _finish(self) -> None:
        self._end_run()
        self.done = True
        self.irq_status |= rm.IRQ_STATUS_DONE

    def advance(self, max_commands: int | None = None) -> int:
        """Execute up to ``max_commands`` commands (all when None); returns how many completed."""
        n = 0
        while self.busy and not self._hung and (max_commands is None or n < max_commands):
            r, i = self._run, self._pc
            if i >= r.count:
                self._finish()
                break
            self.cmd_index = i
            try:
                desc = isa.Descriptor.unpack(self._read(r.cmd_base + isa.DESC_BYTES * i, isa.DESC_BYTES).tobytes())
            except Fault as f:
                self._fail(f.code, i)
                break
            self.opcode = desc.op
            if self.hang_at == i:
                if r.timeout:
                    self.cycles = int(round(self.timeline.total)) + r.timeout
                    self._fail(Err.TIMEOUT, i)
                else:
                    self._hung = True
                break
            try:
                if self._execute(desc):
                    self._finish()
                    break
            except Fault as f:
                self._fail(f.code, i)
                break
            self._pc = self.cmd_index = i + 1
            n += 1
        self._flush_attention()
        return n

    # ---------------------------------------------------------------- DDR
    def _index(self, addr: int, n: int, code: Err) -> int:
        i = addr - self.mem_base
        if i < 0 or n < 0 or i + n > self.mem.size:
            raise Fault(code)
        return i

    def _read(self, addr: int, n: int) -> np.ndarray:
        i = self._index(addr, n, Err.AXI_READ)
        return self.mem[i:i + n]

    def _wread(self, offset: int, n: int) -> np.ndarray:
        return self._read(self._run.wbase + offset, n)

    def _clock(self, start: float, end: float) -> None:
        """The watchdog: a command running longer than TIMEOUT cycles ends the run."""
        t = self._run.timeout
        if t and end - start > t:
            self.cycles = int(round(start)) + t
            raise Fault(Err.TIMEOUT)

    def _src(self, b: int, rows: slice, cols: slice) -> np.ndarray:
        """A reader's view of a buffer: X saturates to act (every X reader but the scaled side stream)."""
        v = self.buffers[b][rows, cols]
        return saturate(v, _ACT) if b == Buf.X else v

    # ---------------------------------------------------------------- commands
    def _execute(self, d: isa.Descriptor) -> bool:
        """Run one command; True at END. Raises :class:`Fault`."""
        w = d.words
        op = d.op
        if op == Op.END or op == Op.NOP:
            _check(d.a == d.b == d.c == d.spec == 0 and not any(w))
            return op == Op.END
        if op == Op.MARK:
            _check(d.a == d.b == d.c == 0 and d.spec in (0, 1) and not any(w[1:]))
            self.mark = w[0]
            if d.spec:
                self.irq_status |= rm.IRQ_STATUS_MARK
            return False
        handler = {Op.LOAD: self._load, Op.STORE: self._store, Op.LAYERNORM: self._layernorm,
                   Op.LINEAR: self._linear, Op.ATTENTION: self._attention, Op.MOE_GATE: self._moe_gate,
                   Op.EXPERTS: self._experts}.get(op)
        if handler is None:
            raise Fault(Err.BAD_OPCODE)
        if self._pending and op != Op.ATTENTION and self._touches_attention(d):
            self._flush_attention()
        handler(d, w)
        return False

    # ATTENTION commands are evaluated lazily: consecutive heads (separated by the next heads'
    # Q/K/V passes, which touch other columns) run as one golden call, as FixedBackbone does, so
    # the softmax's per-key loop runs once per layer instead of once per head. The bits are the
    # same (heads are independent); anything that reads or writes A, writes a pending head's
    # Q/K/V columns, ends the run or returns from advance() evaluates them first.
    def _touches_attention(self, d: isa.Descriptor) -> bool:
        op, w = d.op, d.words
        if Buf.A in (d.a, d.b):
            return True
        if op == Op.LOAD and d.b in (Buf.Q, Buf.K, Buf.V):
            lo, hi = w[2] >> 16, (w[2] >> 16) + (w[1] >> 16)
        elif op == Op.LINEAR and d.b in (Buf.Q, Buf.K, Buf.V):
            lo = (w[2] >> 16 & 0xFF) * isa.CHUNK
            hi = lo + (w[1] >> 16 & 0x3FF) + 1
        elif op == Op.LAYERNORM and d.b in (Buf.Q, Buf.K, Buf.V):
            return True
        else:
            return False
        Dh = _D.head_dim
        return any(lo < (h + 1) * Dh and h * Dh < hi for h, _ in self._pending)

    def _flush_attention(self) -> None:
        if not self._pending:
            return
        T = self._pending[0][1]
        heads = [h for h, _ in self._pending]
        self._pending = []
        Dh = _D.head_dim
        cols = np.concatenate([np.arange(h * Dh, (h + 1) * Dh) for h in heads])
        q, k, v = (self.buffers[b][:T, cols].reshape(T, len(heads), Dh) for b in (Buf.Q, Buf.K, Buf.V))
        self.buffers[Buf.A][:T, cols] = attention_fixed(q, k, v)

    def _io_range(self, buf: int, w: tuple[int, ...], elem: int) -> tuple[int, int, int, int, int, int]:
        off, rows, cols = w[0], w[1] & 0xFFFF, w[1] >> 16
        r0, c0 = w[2] & 0xFFFF, w[2] >> 16
        _check(not any(w[3:]) and rows >= 1 and cols >= 1 and cols % isa.CHUNK == 0 and c0 % isa.CHUNK == 0)
        _check(r0 + rows <= T_MAX and c0 + cols <= isa.BUF_COLS[buf] and off % isa.IO_ALIGN == 0)
        size = rows * cols * elem
        _check(off + size <= isa.IO_BYTES)
        return off, rows, cols, r0, c0, size

    def _load(self, d: isa.Descriptor, w) -> None:
        _check(d.a == 0 and d.c == 0 and d.spec in (isa.LoadFormat.ACT, isa.LoadFormat.PIX) and d.b in ALL_BUFS)
        pix = d.spec == isa.LoadFormat.PIX
        off, rows, cols, r0, c0, size = self._io_range(d.b, w, 1 if pix else 4)
        raw = self._read(self._run.iobase + off, size)
        if pix:
            v = raw.astype(np.int64).reshape(rows, cols) << (_ACT.frac - fmt("pix").frac)
        else:
            v = saturate(raw.view("<i4").astype(np.int64).reshape(rows, cols), _Q if d.b == Buf.Q else _ACT)
        self._clock(*self.timeline.load(size, [(Buf(d.b).name, r0, r0 + rows, c0, c0 + cols)]))
        self.buffers[d.b][r0:r0 + rows, c0:c0 + cols] = v

    def _store(self, d: isa.Descriptor, w) -> None:
        _check(d.b == 0 and d.c == 0 and d.spec == 0 and d.a in ALL_BUFS)
        off, rows, cols, r0, c0, size = self._io_range(d.a, w, 4)
        i = self._index(self._run.iobase + off, size, Err.AXI_WRITE)
        v = saturate(self.buffers[d.a][r0:r0 + rows, c0:c0 + cols], _ACT).astype("<i4")
        self._clock(*self.timeline.store(size, [(Buf(d.a).name, r0, r0 + rows, c0, c0 + cols)]))
        self.mem[i:i + size] = np.frombuffer(v.tobytes(), np.uint8)

    def _tokens(self, word: int) -> int:
        _check(word >> 8 == 0 and (word & 0xFF) < T_MAX)
        return (word & 0xFF) + 1

    def _layernorm(self, d: isa.Descriptor, w) -> None:
        _check(d.c == 0 and d.spec == 0 and d.a in ROW_BUFS and d.b in ROW_BUFS and d.a != d.b)
        _check(w[0] % isa.W_ALIGN == 0 and not any(w[2:]))
        T = self._tokens(w[1])
        D = _D.embed_dim
        g, b = wimage.decode_ln(self._wread(w[0], isa.LN_RECORD), D)
        y = layernorm_fixed(self._src(d.a, slice(0, T), slice(None)), g, b)
        self._clock(*self.timeline.layernorm(T, [(Buf(d.a).name, 0, T, 0, D)], [(Buf(d.b).name, 0, T, 0, D)]))
        self.buffers[d.b][:T] = y

    def _slabs(self, offset: int, K: int, N: int) -> wimage.Slabs:
        s = wimage.decode_slabs(self._wread(offset, isa.pass_bytes(K, N)), K, N)
        _check(wimage.slabs_ok(s, K, N), Err.BAD_IMAGE)
        return s

    def _linear(self, d: isa.Descriptor, w) -> None:
        mode, has_bias = d.spec & 0x7, bool(d.spec >> 3 & 1)
        _check(d.spec >> 4 == 0 and mode <= Mode.EMBED and mode != Mode.SCALED)  # scaled: inside EXPERTS only
        _check(w[0] % isa.W_ALIGN == 0 and w[1] & ~0x03FF03FF == 0 and not any(w[4:]))
        K, N = (w[1] & 0x3FF) + 1, (w[1] >> 16 & 0x3FF) + 1
        T, sc, dc, dr = (w[2] & 0xFF) + 1, w[2] >> 8 & 0xFF, w[2] >> 16 & 0xFF, w[2] >> 24
        _check(K <= 768 and N <= 768 and K % isa.CHUNK == 0 and N % isa.CHUNK == 0 and T <= T_MAX)
        src, dst, side = d.a, d.b, d.c
        want_dst = {Mode.Q: {Buf.Q}, Mode.RESID: {Buf.X}}.get(mode, ACT_BUFS)
        _check(src in ACT_BUFS and dst in want_dst and src != dst)
        _check(side == (Buf.X if mode == Mode.RESID else Buf.NONE))
        c0, c1 = sc * isa.CHUNK, sc * isa.CHUNK + K
        o0, o1 = dc * isa.CHUNK, dc * isa.CHUNK + N
        _check(c1 <= isa.BUF_COLS[src] and o1 <= isa.BUF_COLS[dst] and dr + T <= T_MAX)
        if mode == Mode.EMBED:
            _check(w[3] % isa.W_ALIGN == 0 and N <= _D.embed_dim)
        else:
            _check(w[3] == 0)
        s = self._slabs(w[0], K, N)
        add = wimage.decode_embed_add(self._wread(w[3], T * isa.EMBED_ROW), T, _D.embed_dim) \
            if mode == Mode.EMBED else None
        x = self._src(src, slice(0, T), slice(c0, c1))
        wt = Scaled(s.w, s.wfrac)
        b = Scaled(s.b, s.bfrac) if has_bias else None   # each record's own bias exponent
        if mode == Mode.PLAIN:
            y = linear_unit(x, wt, b)
        elif mode == Mode.GELU:
            y = linear_unit(x, wt, b, gelu=True)
        elif mode == Mode.Q:
            y = linear_unit(x, wt, b, out="q", prescale_log2=int(np.log2(_D.head_dim)) // 2)
        elif mode == Mode.RESID:
            y = linear_unit(x, wt, b, resid=self._src(Buf.X, slice(dr, dr + T), slice(o0, o1)))
        else:  # EMBED: the side row's mantissas aligned into the accumulator like a bias, one rounding
            af = _ACT.frac + s.wfrac
            acc = matmul_exact(x, s.w) + bias_aligned(b, af)
            acc = acc + np.left_shift(add.codes[:, :N], af[None, :] - add.frac[:, None])
            y = saturate(round_shift(acc, af[None, :] - _ACT.frac), _ACT)
        reads = [(Buf(src).name, 0, T, c0, c1)] + ([("X", dr, dr + T, o0, o1)] if mode == Mode.RESID else [])
        self._clock(*self.timeline.linear(K, N, T, reads, [(Buf(dst).name, dr, dr + T, o0, o1)],
                                          embed=mode == Mode.EMBED))
        self.buffers[dst][dr:dr + T, o0:o1] = y

    def _attention(self, d: isa.Descriptor, w) -> None:
        _check(d.a == d.b == d.c == 0 and d.spec < _D.num_heads and w[0] == 0 and not any(w[2:]))
        T, h, Dh = self._tokens(w[1]), d.spec, _D.head_dim
        reg = [(n, 0, T, h * Dh, (h + 1) * Dh) for n in ("Q", "K", "V")]
        self._clock(*self.timeline.attention(T, reg, [("A", 0, T, h * Dh, (h + 1) * Dh)]))
        if self._pending and (self._pending[0][1] != T or any(p == h for p, _ in self._pending)):
            self._flush_attention()
        self._pending.append((h, T))

    def _moe_gate(self, d: isa.Descriptor, w) -> None:
        _check(d.b == 0 and d.c == 0 and d.spec == 0 and d.a in ROW_BUFS)
        _check(w[0] % isa.W_ALIGN == 0 and not any(w[2:]))
        T, D, E = self._tokens(w[1]), _D.embed_dim, _D.num_experts
        s = self._slabs(w[0], D, E)
        _, idx, p = gate_fixed(self._src(d.a, slice(0, T), slice(None)), Scaled(s.w, s.wfrac), _D.top_k)
        q = build_queues(idx, p, E, depth=T_MAX)
        self._clock(*self.timeline.gate(T, [(Buf(d.a).name, 0, T, 0, D)], [QUEUES]))
        self.queues = q
        self.qcount = [int(c) for c in q.counts]

    def _experts(self, d: isa.Descriptor, w) -> None:
        _check(d.b == 0 and d.c == 0 and d.spec == 0 and d.a in (ROW_BUFS - {Buf.X}))
        _check(w[0] % isa.W_ALIGN == 0 and w[1] % isa.W_ALIGN == 0 and w[1] >= isa.EXPERT_BYTES and not any(w[2:]))
        D, Hd = _D.embed_dim, _D.expert_hidden
        q = self.queues
        active = [] if q is None else [int(e) for e in q.metaqueue]
        recs = {}
        for e in active:  # every active expert's records are checked before anything is written
            blk = w[0] + e * w[1]
            recs[e] = (self._slabs(blk, D, Hd), self._slabs(blk + isa.EXPERT_FC1, Hd, D))
        M = self.buffers[Buf.X].copy()        # the scaled side stream reads raw moe_acc
        H = self.buffers[Buf.H].copy()
        for e in active:
            s1, s2 = recs[e]
            toks = q.tokens[e]
            h = linear_unit(self._src(d.a, toks, slice(None)), Scaled(s1.w, s1.wfrac), Scaled(s1.b, s1.bfrac),
                            gelu=True)
            y = linear_unit(h, Scaled(s2.w, s2.wfrac), Scaled(s2.b, s2.bfrac))
            H[:len(toks), :Hd] = h
            np.add.at(M, toks, score_scale(y, q.scores[e]))
        counts = [0] * _D.num_experts if q is None else [int(c) for c in q.counts]
        reads = [(Buf(d.a).name, 0, T_MAX, 0, D), QUEUES, ("X", 0, T_MAX, 0, D)]
        writes = [("H", 0, T_MAX, 0, Hd), ("X", 0, T_MAX, 0, D)]
        self._clock(*self.timeline.experts(counts, reads, writes, [QUEUES]))
        self.buffers[Buf.X] = saturate(M, _MOE)
        self.buffers[Buf.H] = H


# ---------------------------------------------------------------- a whole frame on the ISS
@dataclass(frozen=True)
class Layout:
    """Where :class:`IssBackbone` put things in the ISS's DDR (device addresses)."""

    wbase: int
    cmd_base: dict[int, int]      # per task
    cmd_count: dict[int, int]
    iobase: int


def _align(n: int, a: int = isa.BASE_ALIGN) -> int:
    return (n + a - 1) // a * a


class IssBackbone:
    """The backbone on the ISS, FixedBackbone's interface: image and both task lists placed once.

    ``forward(pix, task, stop_after_block=None)`` -> (129, 192) act codes of the last block
    run (the device's output region). Raises RuntimeError with the error code and index
    if the device reports an error.
    """

    def __init__(self, fw: FixedWeights, iss: Iss | None = None):
        from .program import backbone_program

        self.fw = fw
        self.img = wimage.build_image(fw)
        self.iss = iss or Iss()
        m = self.iss
        wb = m.mem_base
        pos = _align(len(self.img.data))
        self.programs = {t: backbone_program(self.img, t) for t in range(_D.num_tasks)}
        cmd_base, cmd_count = {}, {}
        for t, cmds in self.programs.items():
            cmd_base[t], cmd_count[t] = wb + pos, len(cmds)
            pos = _align(pos + len(cmds) * isa.DESC_BYTES)
        iob = wb + pos
        debug_list = len(self.programs[0]) * isa.DESC_BYTES   # room for a stop_after_block list
        if pos + _align(isa.IO_BYTES) + debug_list > m.mem.size:
            raise ValueError(f"ISS memory of {m.mem.size:,} bytes is too small: the image, both lists, "
                             f"the I/O region and a debug list need {pos + _align(isa.IO_BYTES) + debug_list:,}")
        self.layout = Layout(wb, cmd_base, cmd_count, iob)
        m.mem[:len(self.img.data)] = np.frombuffer(self.img.data, np.uint8)
        for t, cmds in self.programs.items():
            o = cmd_base[t] - wb
            m.mem[o:o + len(cmds) * isa.DESC_BYTES] = np.frombuffer(isa.encode(cmds), np.uint8)
        o = iob - wb + isa.IO_CLASS_ROW
        m.mem[o:o + 4 * _D.embed_dim] = np.frombuffer(wimage.class_row_bytes(fw), np.uint8)
        self._debug_base = wb + pos + _align(isa.IO_BYTES)

    def _program_at(self, task: int, stop_after_block: int | None) -> tuple[int, int]:
        if stop_after_block is None:
            return self.layout.cmd_base[task], self.layout.cmd_count[task]
        from .program import backbone_program

        cmds = backbone_program(self.img, task, stop_after_block)
        o = self._debug_base - self.iss.mem_base
        self.iss.mem[o:o + len(cmds) * isa.DESC_BYTES] = np.frombuffer(isa.encode(cmds), np.uint8)
        return self._debug_base, len(cmds)

    def forward(self, pix: np.ndarray, task: int, stop_after_block: int | None = None) -> np.ndarray:
        m, lay = self.iss, self.layout
        if task not in range(_D.num_tasks):
            raise ValueError(f"unknown task {task!r}: expected 0 (seg) or 1 (depth)")
        base, count = self._program_at(task, stop_after_block)
        o = lay.iobase - m.mem_base
        m.mem[o:o + isa.IO_CLASS_ROW] = np.frombuffer(wimage.patch_bytes(pix), np.uint8)
        for reg, val in ((rm.WBASE_LO, lay.wbase), (rm.IOBASE_LO, lay.iobase), (rm.CMD_BASE_LO, base)):
            m.write32(reg, val & 0xFFFFFFFF)
            m.write32(reg + 4, val >> 32)
        m.write32(rm.CMD_COUNT, count)
        m.write32(rm.CTRL, rm.CTRL_START)
        m.advance()
        st = m.read32(rm.STATUS)
        if st & rm.STATUS_ERROR or not st & rm.STATUS_DONE:
            e = m.read32(rm.ERROR)
            m.write32(rm.CTRL, rm.CTRL_SOFT_RESET)
            raise RuntimeError(f"ISS error {Err(e & 0xFF).name} at command {e >> 8}")
        out = m.mem[o + isa.IO_OUTPUT:o + isa.IO_OUTPUT + 4 * isa.TOKENS * _D.embed_dim]
        return wimage.output_codes(out)
