"""MOE_GATE and EXPERTS in the integrated top (hw/rtl/edgemoe_exec_moe.sv through exec_lin's
pass port and the cluster) against the instruction-set model.

Every list runs on the Verilator model of ``edgemoe_top`` (:class:`edgemoe.sim.top_model.TopModel`)
and on :class:`edgemoe.driver.iss.Iss` with the same DDR: LOAD the residual X and the gate/expert
source, MOE_GATE, EXPERTS, STORE X (a second run without SOFT_RESET stores H's 129 x 384 hidden
rows); every byte of the I/O region, STATUS / ERROR / CMD_INDEX and QCOUNT0..3 must agree.

Weights: MoE layer 1 of the weight image (:func:`edgemoe.driver.image.build_image`; the shared
reference backbone from ../shared/edge-moe-ref when present, with its synthetic experts; else
the golden's synthetic weights): both tasks' gate records and the 16-expert block, copied into a
small DDR. Cases: the full layer (T = 129; task 1's gate with --full), a short layer from another source (T = 60,
source K) with EXPERTS twice (the second refills the queues from the routing table: X gets the
experts' sum twice, as on the ISS), EXPERTS before any MOE_GATE (nothing to do), MOE_GATE alone
(QCOUNT), a stride above the minimum (the expert block re-laid), BAD_FIELD, BAD_IMAGE in an
active expert's fc2 records, AXI_READ (an active expert beyond the memory); each error list is
followed by a good one.

Cycle figures (printed and recorded, not asserted): CYCLES of MOE_GATE and of EXPERTS on the RTL
beside the ISS's (the perf model's) figures.
"""
from __future__ import annotations

from functools import lru_cache, partial

import numpy as np
import pytest

from edgemoe.driver import image as wimage, isa, regmap as R
from edgemoe.driver.isa import Buf, Descriptor, Err, Op
from edgemoe.sim import rtl_compare as rc
from edgemoe.sim.runner import record_vectors

CMD, IO, W = rc.CMD, rc.IO, rc.W       # command list, I/O region, weight area in the DDR
MEM = 12 << 20
T_ALL = isa.TOKENS
D, HD = 192, 384
GATE0, GATE1, EXPS = 0, 8192, 16384      # W offsets of the two gate records and the expert block
WIDE = EXPS + 16 * isa.EXPERT_BYTES      # a second copy of the block at stride EXPERT_BYTES + 4096
WIDE_STRIDE = isa.EXPERT_BYTES + 4096
X_IN, N_IN = 99_072, 0                   # I/O offsets of the residual and the source rows (int32)
COMPARE_REGS = rc.CORE_REGS              # STATUS, ERROR, CMD_INDEX
QCOUNT_REGS = ("QCOUNT0", "QCOUNT1", "QCOUNT2", "QCOUNT3")


# ---------------------------------------------------------------- devices (edgemoe.sim.rtl_compare)
avail = rc.avail_fixture()
model = rc.model_fixture(MEM)
RtlDev = partial(rc.RtlDev, max_cycles=4_000_000)
IssDev = partial(rc.IssDev, MEM)


def program(dev, cmds: list[Descriptor], *, soft_reset: bool = True) -> None:
    """Write ``cmds`` at CMD, program the bases, START with the done and error interrupts enabled."""
    rc.program(dev, cmds, soft_reset=soft_reset)


def regs(dev, qcount: bool = True) -> dict[str, int]:
    """STATUS, ERROR, CMD_INDEX and (``qcount``) QCOUNT0..3."""
    return rc.regs(dev, COMPARE_REGS + (QCOUNT_REGS if qcount else ()))


def compare(rtl, iss, what: str) -> None:
    # QCOUNT too after a failed run: both keep the last MOE_GATE's counts until START / SOFT_RESET
    rc.compare_io(rtl, iss, what, COMPARE_REGS + QCOUNT_REGS)


# ---------------------------------------------------------------- DDR contents
@lru_cache(maxsize=1)
def weights() -> tuple[np.ndarray, bool]:
    """The W area (layer 1's gate records and expert block, the block again at a wider stride)
    and whether the weights are the shared reference backbone's."""
    from edgemoe.golden.fixed_model import FixedWeights
    from edgemoe.golden.weights import default_folder, load_weights

    f = default_folder()
    real = f is not None and (f / "image.float32.bin").is_file()
    img = wimage.build_image(FixedWeights.from_float(load_weights(heads=False)))
    data = np.frombuffer(img.data, np.uint8)

    def part(name: str) -> np.ndarray:
        o = img.offset(name)
        return data[o:o + img.size(name)]

    area = np.zeros(WIDE + 16 * WIDE_STRIDE, np.uint8)
    area[GATE0:GATE0 + isa.pass_bytes(D, 16)] = part("l1_gate_task0")
    area[GATE1:GATE1 + isa.pass_bytes(D, 16)] = part("l1_gate_task1")
    blk = part("l1_experts")
    area[EXPS:EXPS + blk.size] = blk
    for e in range(16):
        o = WIDE + e * WIDE_STRIDE
        area[o:o + isa.EXPERT_BYTES] = blk[e * isa.EXPERT_BYTES:(e + 1) * isa.EXPERT_BYTES]
    assert W + area.size <= MEM
    return area, real


def io_data(seed: int) -> np.ndarray:
    """The I/O region as int32 words: LayerNorm-sized act codes (about +-3) for the gate and expert
    source, residual-sized ones (about +-6) for X, a few beyond the act range (LOAD saturates)."""
    rng = np.random.default_rng(seed)
    n = isa.IO_BYTES // 4
    v = np.round(rng.normal(0.0, 1.0, n) * (1 << 16)).astype(np.int64)
    v[X_IN // 4:] *= 2
    big = rng.random(n) < 0.002
    v[big] = rng.integers(-(1 << 27), 1 << 27, size=int(big.sum()))
    return v.astype("<i4").view(np.uint8)


def setup(dev, seed: int) -> None:
    area, _ = weights()
    dev.mem[W:W + area.size] = area
    dev.mem[IO:IO + isa.IO_BYTES] = io_data(seed)


def inputs(src: int, T: int = T_ALL) -> list[Descriptor]:
    """X (residual), the source rows, and a background in H (the RTL's SOFT_RESET keeps the buffers,
    the ISS's zeroes them: fc1 writes only the rows of each queue)."""
    return [isa.load(Buf.H, 0, T_ALL, 768, fmt=isa.LoadFormat.PIX), isa.load(Buf.X, X_IN, T_ALL, D),
            isa.load(src, N_IN, T, D)]


def store_x() -> Descriptor:
    return isa.store(Buf.X, 0, T_ALL, D)


def store_h() -> Descriptor:
    return isa.store(Buf.H, 0, T_ALL, HD)    # 129 x 384 int32: the whole I/O region


def run_lists(model, lists: list[list[Descriptor]], seed: int, what: str, corrupt=None) -> tuple[rc.RtlDev, rc.IssDev]:
    """Run each list on both devices (the first after SOFT_RESET and a fresh DDR, the others keep
    the buffers), comparing after each."""
    rtl, iss = RtlDev(model), IssDev()
    rtl.qcounts = []
    for i, cmds in enumerate(lists):
        for d in (rtl, iss):
            if i == 0:
                setup(d, seed)
                if corrupt:
                    corrupt(d)
            program(d, cmds + [isa.end()], soft_reset=i == 0)
            d.run()
        compare(rtl, iss, f"{what}, list {i}")
        rtl.qcounts.append(qcounts(rtl))
    return rtl, iss


def cycles(dev) -> int:
    return dev.read32(R.CYCLES_LO) | dev.read32(R.CYCLES_HI) << 32


def qcounts(dev) -> list[int]:
    return [dev.read32(R.QCOUNT0 + 4 * (e // 4)) >> (8 * (e % 4)) & 0xFF for e in range(16)]


# ---------------------------------------------------------------- layers
@pytest.mark.parametrize("task", [0, pytest.param(1, marks=pytest.mark.slow)])
def test_moe_layer_equals_the_iss(model, task, record_property):
    """LOAD X and N, MOE_GATE (the task's gate record), EXPERTS, STORE X; then STORE H."""
    gate = isa.moe_gate(Buf.N, (GATE0, GATE1)[task], T_ALL)
    ex = isa.experts(Buf.N, EXPS)
    rtl, iss = run_lists(model, [inputs(Buf.N) + [gate, ex, store_x()], [store_h()]], 20 + task, f"task {task}")
    counts = rtl.qcounts[0]
    assert sum(counts) == 2 * T_ALL, f"QCOUNT {counts}"
    assert rtl.qcounts[1] == [0] * 16, "START must clear QCOUNT"
    # cycles of the two commands alone (inputs loaded, nothing stored)
    c = {}
    for name, cmds in (("moe_gate", [gate]), ("moe_gate+experts", [gate, ex])):
        for d in (rtl, iss):
            program(d, cmds + [isa.end()], soft_reset=False)
            d.run()
        c[name] = (cycles(rtl), cycles(iss))
    active = sum(1 for n in counts if n)
    print(f"task {task}: {active} active experts, counts {counts}; RTL/ISS cycles: MOE_GATE {c['moe_gate']}, "
          f"MOE_GATE + EXPERTS {c['moe_gate+experts']}")
    _, real = weights()
    record_vectors(record_property, "rtl_moe", 2 * T_ALL * D + T_ALL * HD + 16, task=task,
                   weights="shared" if real else "synthetic", active_experts=active,
                   gate_cycles=c["moe_gate"][0], gate_cycles_iss=c["moe_gate"][1],
                   experts_cycles=c["moe_gate+experts"][0] - c["moe_gate"][0],
                   experts_cycles_iss=c["moe_gate+experts"][1] - c["moe_gate"][1])


def test_short_layer_experts_twice_and_wide_stride(model, record_property):
    """T = 60 from K, EXPERTS twice (the second refills the queues), then the block at a wider
    stride from V (the same queues: a third time)."""
    gate = isa.moe_gate(Buf.K, GATE1, 60)
    lists = [inputs(Buf.K, 60) + [gate, isa.experts(Buf.K, EXPS), isa.experts(Buf.K, EXPS), store_x()],
             [store_h()],
             [isa.load(Buf.V, N_IN, T_ALL, D), gate, isa.experts(Buf.V, WIDE, WIDE_STRIDE), store_x()]]
    run_lists(model, lists, 31, "T 60, EXPERTS twice, wide stride")
    record_vectors(record_property, "rtl_moe", 2 * T_ALL * D + T_ALL * HD, case="short_twice_wide")


def test_no_gate_and_gate_alone(model, record_property):
    """EXPERTS before any MOE_GATE does nothing (X unchanged); MOE_GATE alone sets QCOUNT; START
    clears QCOUNT and the queues (EXPERTS in the next run does nothing)."""
    lists = [inputs(Buf.A) + [isa.experts(Buf.A, EXPS), store_x()],
             [isa.load(Buf.A, N_IN, T_ALL, D), isa.moe_gate(Buf.A, GATE0, 100)],
             [isa.experts(Buf.A, EXPS), store_x()]]
    rtl, _ = run_lists(model, lists, 41, "no gate, gate alone")
    assert rtl.qcounts[0] == [0] * 16 and sum(rtl.qcounts[1]) == 200 and rtl.qcounts[2] == [0] * 16
    record_vectors(record_property, "rtl_moe", 2 * T_ALL * D, case="no_gate")


# ---------------------------------------------------------------- errors
def test_errors_equal_the_iss(model, record_property):
    """BAD_FIELD (MOE_GATE T = 130, source H; EXPERTS source X, stride too small), BAD_IMAGE in an
    active expert's fc2 records, AXI_READ (an active expert beyond the memory): the code and the
    index equal the ISS's; a good list after each equals the ISS."""
    gate = isa.moe_gate(Buf.N, GATE0, T_ALL)
    bad = {
        "gate_T130": [Descriptor(Op.MOE_GATE, a=Buf.N, words=(GATE0, 129, 0, 0, 0, 0, 0))],
        "gate_src_H": [isa.moe_gate(Buf.H, GATE0, T_ALL)],
        "gate_b_set": [Descriptor(Op.MOE_GATE, a=Buf.N, b=Buf.K, words=(GATE0, 128, 0, 0, 0, 0, 0))],
        "experts_src_X": [gate, isa.experts(Buf.X, EXPS)],
        "experts_stride": [gate, isa.experts(Buf.N, EXPS, isa.EXPERT_BYTES - 32)],
        "experts_word3": [gate, Descriptor(Op.EXPERTS, a=Buf.N, words=(EXPS, isa.EXPERT_BYTES, 1, 0, 0, 0, 0))],
    }
    n = 0
    for name, cmds in bad.items():
        rtl, _ = run_lists(model, [inputs(Buf.N) + cmds + [store_x()]], 50, f"BAD_FIELD {name}")
        err = rtl.read32(R.ERROR)
        assert err & R.ERROR_CODE == Err.BAD_FIELD, f"{name}: ERROR 0x{err:x}"
        n += 1
    # the ISS checks every active expert's records before writing; the RTL may have written X
    # already (the contract is the code and the index): registers compared, X not
    rec = isa.slab_bytes(HD)
    act = _first_active(50, gate)

    def corrupt_fc2(dev):
        dev.mem[W + EXPS + act * isa.EXPERT_BYTES + isa.EXPERT_FC1 + 3 * rec + 44] ^= 0x01

    # the first 8 experts copied to the end of the memory: expert 8's records lie beyond it
    tail = MEM - W - 8 * isa.EXPERT_BYTES

    def experts_at_end(dev):
        dev.mem[W + tail:MEM] = dev.mem[W + EXPS:W + EXPS + 8 * isa.EXPERT_BYTES]

    for name, cmds, corrupt, code in (
            ("bad_image_fc2", [gate, isa.experts(Buf.N, EXPS)], corrupt_fc2, Err.BAD_IMAGE),
            ("axi_read", [gate, isa.experts(Buf.N, tail)], experts_at_end, Err.AXI_READ)):
        rtl, iss = RtlDev(model), IssDev()
        for d in (rtl, iss):
            setup(d, 50)
            if corrupt:
                corrupt(d)
            program(d, inputs(Buf.N) + cmds + [store_x(), isa.end()])
            d.run()
        err = rtl.read32(R.ERROR)
        assert (err & R.ERROR_CODE, err >> R.ERROR_INDEX_SHIFT) == (code, 4), f"{name}: ERROR 0x{err:x}"
        assert regs(rtl, False) == regs(iss, False), f"{name}: registers {regs(rtl, False)} != ISS"
        run_lists(model, [inputs(Buf.N) + [gate, isa.experts(Buf.N, EXPS), store_x()]], 51, f"after {name}")
        n += 1
    record_vectors(record_property, "rtl_moe_errors", n)


def _first_active(seed: int, gate: Descriptor) -> int:
    """The lowest active expert of ``gate`` on the inputs of ``seed`` (the ISS's routing)."""
    iss = IssDev()
    setup(iss, seed)
    program(iss, inputs(Buf.N) + [gate, isa.end()])
    iss.run()
    return int(iss.iss.queues.metaqueue[0])
