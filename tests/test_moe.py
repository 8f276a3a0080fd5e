"""MoE: top-2 with ties, queues and metaqueue, and patch reordering == naive per-token MoE."""
import numpy as np
import pytest

from edgemoe.golden.fixedpoint import fmt, rowfmt
from edgemoe.golden.moe import build_queues, gate_fixed, moe_naive, moe_reordered, top2

ACT = fmt("act")


def test_top2_ties_to_lower_index_and_distinct():
    logits = np.array([[5, 5, 5, 1], [1, 9, 9, 9], [0, 0, 0, 0], [3, 7, 2, 7]])
    assert top2(logits).tolist() == [[0, 1], [1, 2], [0, 1], [1, 3]]


def _experts(seed, E=16, D=192, H=384):
    rng = np.random.default_rng(seed)
    wf, bf = rowfmt("w"), rowfmt("b")
    return (wf.quantize(rng.normal(0, 0.05, (E, H, D))), bf.quantize(rng.normal(0, 0.5, (E, H))),
            wf.quantize(rng.normal(0, 0.05, (E, D, H))), bf.quantize(rng.normal(0, 0.5, (E, D))))


def _check_equal(x, xn, idx, p, ex):
    q = build_queues(idx, p, 16)
    assert np.array_equal(moe_reordered(x, xn, q, *ex), moe_naive(x, xn, idx, p, *ex))
    return q


def test_reordered_equals_naive_random_gate():
    rng = np.random.default_rng(0)
    x, xn = ACT.quantize(rng.normal(0, 2, (129, 192))), ACT.quantize(rng.normal(0, 2, (129, 192)))
    _, idx, p = gate_fixed(xn, rowfmt("w").quantize(rng.normal(0, 0.05, (16, 192))))
    q = _check_equal(x, xn, idx, p, _experts(1))
    assert q.counts.sum() == 2 * 129
    assert q.metaqueue.tolist() == sorted(q.metaqueue.tolist())


def test_all_tokens_to_one_expert_pair_and_empty_experts():
    rng = np.random.default_rng(2)
    x, xn = ACT.quantize(rng.normal(0, 2, (129, 192))), ACT.quantize(rng.normal(0, 2, (129, 192)))
    idx = np.tile([5, 12], (129, 1))
    p = rng.integers(0, 1 << 16, (129, 2))
    q = _check_equal(x, xn, idx, p, _experts(3))
    assert q.counts[5] == q.counts[12] == 129                # full queues keep every index
    assert q.tokens[5].tolist() == list(range(129))
    assert q.metaqueue.tolist() == [5, 12]                   # 14 experts with no token are skipped
    assert all(q.counts[e] == 0 for e in range(16) if e not in (5, 12))


def test_queue_order_and_scores():
    idx = np.array([[3, 1], [1, 3], [2, 0]])
    p = np.array([[10, 11], [20, 21], [30, 31]])
    q = build_queues(idx, p, 4)
    assert q.tokens[1].tolist() == [0, 1] and q.scores[1].tolist() == [11, 20]
    assert q.tokens[3].tolist() == [0, 1] and q.scores[3].tolist() == [10, 21]
    assert q.metaqueue.tolist() == [0, 1, 2, 3]


def test_queue_errors():
    with pytest.raises(ValueError, match="same expert twice"):
        build_queues(np.array([[1, 1]]), np.array([[1, 1]]), 4)
    with pytest.raises(ValueError, match="full"):
        build_queues(np.tile([0, 1], (3, 1)), np.ones((3, 2), dtype=np.int64), 4, depth=2)
    with pytest.raises(ValueError, match="out of range"):
        build_queues(np.array([[0, 7]]), np.array([[1, 1]]), 4)


def test_gate_scores_are_full_softmax_probabilities():
    rng = np.random.default_rng(4)
    xn = ACT.quantize(rng.normal(0, 2, (50, 192)))
    wg = rowfmt("w").quantize(rng.normal(0, 0.05, (16, 192)))
    logits, idx, p = gate_fixed(xn, wg)
    lf = ACT.to_float(logits)
    sm = np.exp(lf - lf.max(-1, keepdims=True))
    sm /= sm.sum(-1, keepdims=True)
    ref = np.take_along_axis(sm, idx, -1)
    assert np.abs(fmt("p").to_float(p) - ref).max() <= 1e-4   # not renormalised over the top 2
    assert np.all(np.take_along_axis(logits, idx[:, :1], -1)[:, 0] == logits.max(-1))
