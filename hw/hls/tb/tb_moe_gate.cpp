// C simulation of moe_gate_top against golden `moe_gate` vectors (cases random, one_expert, ties):
// logits, top-2 with ties to the lower index, probabilities, queues and metaqueue.
#include "tb_common.h"
#include "tb_moe_route.h"
#include "tops.h"

using namespace edgemoe;
using namespace edgemoe::tb;

static void body(Checker& chk, const VectorSet& v) {
  const Array xn = v.get("xn", {-1, kEmbedDim});
  const long T = xn.dim(0);
  const Array wg = v.get("wg", {kNumExperts, kEmbedDim}), wgf = v.get("wg_frac", {kNumExperts});
  const Array logits = v.get("logits", {T, kNumExperts});
  const std::vector<int32_t> xs = as_i32(xn);
  const std::vector<int16_t> ws = as_i16(wg);
  const std::vector<uint8_t> wx = w_exps(wgf);
  std::vector<int32_t> lo(static_cast<size_t>(T * kNumExperts));
  RouteOut o(T);
  chk.expect_ok(moe_gate_top(xs.data(), ws.data(), wx.data(), lo.data(), o.idx.data(), o.prob.data(), o.q_tok.data(),
                             o.q_score.data(), o.q_count.data(), o.meta.data(), o.meta_len.data(), static_cast<int>(T)),
                v.dir() + " (tokens " + std::to_string(T) + ")");
  for (long i = 0; i < T * kNumExperts; ++i) chk.expect(logits, i, lo[static_cast<size_t>(i)]);
  check_route(chk, v, T, o);
  chk.add_cases(T);
}

int main(int argc, char** argv) { return run_main(argc, argv, "moe_gate", body); }
