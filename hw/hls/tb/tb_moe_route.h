// Comparison of the routing outputs (top-2, probabilities, queues, metaqueue) shared by the
// moe_gate and moe_experts test benches; the layouts are those of golden/vectors.py.
#ifndef EDGEMOE_TB_MOE_ROUTE_H
#define EDGEMOE_TB_MOE_ROUTE_H

#include "tb_common.h"

namespace edgemoe {
namespace tb {

struct RouteOut {
  std::vector<uint8_t> idx, q_count, meta_len;
  std::vector<uint32_t> prob, q_score;
  std::vector<int16_t> q_tok;
  std::vector<int8_t> meta;
  explicit RouteOut(long tokens)
      : idx(static_cast<size_t>(tokens * kTopK)), q_count(kNumExperts), meta_len(1),
        prob(static_cast<size_t>(tokens * kTopK)), q_score(kNumExperts * kQueueDepth),
        q_tok(kNumExperts * kQueueDepth), meta(kNumExperts) {}
};

inline void check_route(Checker& chk, const VectorSet& v, long tokens, const RouteOut& o) {
  const Array idx = v.get("idx", {tokens, kTopK}), p = v.get("p", {tokens, kTopK});
  const Array counts = v.get("counts", {kNumExperts});
  const Array qt = v.get("queue_tokens", {kNumExperts, kQueueDepth});
  const Array qs = v.get("queue_scores", {kNumExperts, kQueueDepth});
  const Array meta = v.get("metaqueue", {kNumExperts}), ml = v.get("meta_len", {1});
  for (long i = 0; i < tokens * kTopK; ++i) {
    chk.expect(idx, i, o.idx[static_cast<size_t>(i)]);
    chk.expect(p, i, o.prob[static_cast<size_t>(i)]);
  }
  for (long e = 0; e < kNumExperts; ++e) {
    chk.expect(counts, e, o.q_count[static_cast<size_t>(e)]);
    chk.expect(meta, e, o.meta[static_cast<size_t>(e)]);
  }
  for (long i = 0; i < kNumExperts * kQueueDepth; ++i) {
    chk.expect(qt, i, o.q_tok[static_cast<size_t>(i)]);
    chk.expect(qs, i, o.q_score[static_cast<size_t>(i)]);
  }
  chk.expect(ml, 0, o.meta_len[0]);
}

}  // namespace tb
}  // namespace edgemoe

#endif  // EDGEMOE_TB_MOE_ROUTE_H
