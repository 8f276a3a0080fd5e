// C simulation of moe_experts_top against golden `moe_experts` vectors (a whole expert layer
// on the shared weights): the routing and the layer output y = sat_act(x + sum p expert(xn)).
#include "tb_common.h"
#include "tb_moe_route.h"
#include "tops.h"

using namespace edgemoe;
using namespace edgemoe::tb;

static void body(Checker& chk, const VectorSet& v) {
  const long E = kNumExperts, D = kEmbedDim, H = kExpertHidden;
  const Array x = v.get("x", {-1, D});
  const long T = x.dim(0);
  const Array xn = v.get("xn", {T, D});
  const Array wg = v.get("wg", {E, D}), wgf = v.get("wg_frac", {E});
  const Array w1 = v.get("w1", {E, H, D}), w1f = v.get("w1_frac", {E * H});
  const Array b1 = v.get("b1", {E, H}), b1f = v.get("b1_frac", {E});
  const Array w2 = v.get("w2", {E, D, H}), w2f = v.get("w2_frac", {E * D});
  const Array b2 = v.get("b2", {E, D}), b2f = v.get("b2_frac", {E});
  const Array y = v.get("y", {T, D});
  const std::vector<int32_t> xs = as_i32(x), ns = as_i32(xn);
  const std::vector<int16_t> wgs = as_i16(wg), w1s = as_i16(w1), b1s = as_i16(b1), w2s = as_i16(w2), b2s = as_i16(b2);
  const std::vector<uint8_t> wgx = w_exps(wgf), w1x = w_exps(w1f), b1x = b_exps(b1f), w2x = w_exps(w2f),
                             b2x = b_exps(b2f);
  std::vector<int32_t> ys(static_cast<size_t>(T * D));
  RouteOut o(T);
  chk.expect_ok(moe_experts_top(xs.data(), ns.data(), wgs.data(), wgx.data(), w1s.data(), w1x.data(), b1s.data(),
                                b1x.data(), w2s.data(), w2x.data(), b2s.data(), b2x.data(), ys.data(), o.idx.data(),
                                o.prob.data(), o.q_tok.data(), o.q_score.data(), o.q_count.data(), o.meta.data(),
                                o.meta_len.data(), static_cast<int>(T)),
                v.dir() + " (tokens " + std::to_string(T) + ")");
  check_route(chk, v, T, o);
  for (long i = 0; i < T * D; ++i) chk.expect(y, i, ys[static_cast<size_t>(i)]);
  chk.add_cases(T);
}

int main(int argc, char** argv) { return run_main(argc, argv, "moe_experts", body); }
