// C simulation of attention_top against golden `attention` vectors: every problem's output and
// each query row's softmax max and reciprocal sum.
#include "tb_common.h"
#include "tops.h"

using namespace edgemoe;
using namespace edgemoe::tb;

static void body(Checker& chk, const VectorSet& v) {
  const Array q = v.get("q", {-1, -1, kNumHeads, kHeadDim});
  const long C = q.dim(0), T = q.dim(1), D = static_cast<long>(kEmbedDim);
  const Array k = v.get("k", {C, T, kNumHeads, kHeadDim});
  const Array vv = v.get("v", {C, T, kNumHeads, kHeadDim});
  const Array m = v.get("m", {C, kNumHeads, T});
  const Array r = v.get("r", {C, kNumHeads, T});
  const Array out = v.get("out", {C, T, D});
  for (long c = 0; c < C; ++c) {
    // (T, H, Dh) in C order is the (T, H * Dh) row layout of the top.
    const size_t at = static_cast<size_t>(c * T * D);
    const std::vector<int32_t> qs(q.data.begin() + at, q.data.begin() + at + T * D);
    const std::vector<int32_t> ks(k.data.begin() + at, k.data.begin() + at + T * D);
    const std::vector<int32_t> vs(vv.data.begin() + at, vv.data.begin() + at + T * D);
    std::vector<int32_t> o(static_cast<size_t>(T * D)), ms(static_cast<size_t>(kNumHeads * T));
    std::vector<uint32_t> rs(static_cast<size_t>(kNumHeads * T));
    chk.expect_ok(attention_top(qs.data(), ks.data(), vs.data(), o.data(), ms.data(), rs.data(), static_cast<int>(T)),
                  v.dir() + " (tokens " + std::to_string(T) + ")");
    for (long i = 0; i < T * D; ++i) chk.expect(out, c * T * D + i, o[static_cast<size_t>(i)]);
    for (long i = 0; i < kNumHeads * T; ++i) {
      chk.expect(m, c * kNumHeads * T + i, ms[static_cast<size_t>(i)]);
      chk.expect(r, c * kNumHeads * T + i, rs[static_cast<size_t>(i)]);
    }
    chk.add_cases(T * kNumHeads);   // query rows (per head)
  }
}

int main(int argc, char** argv) { return run_main(argc, argv, "attention", body); }
