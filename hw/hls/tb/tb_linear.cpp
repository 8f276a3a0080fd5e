// C simulation of linear_top against golden `linear` vectors, one folder per output mode
// (plain, gelu, q, resid, scaled; the folder's manifest names the mode).
#include <cstring>

#include "linear.h"
#include "tb_common.h"
#include "tops.h"

using namespace edgemoe;
using namespace edgemoe::tb;

static int mode_of(const VectorSet& v) {
  const std::string m = v.param("mode");
  const char* names[] = {"plain", "gelu", "q", "resid", "scaled"};
  const int modes[] = {kLinPlain, kLinGelu, kLinQ, kLinResid, kLinScaled};
  for (int i = 0; i < 5; ++i) {
    if (m == names[i]) return modes[i];
  }
  throw VectorError(v.dir() + "/manifest.json: linear mode '" + m + "' is none of plain, gelu, q, resid, scaled");
}

static void body(Checker& chk, const VectorSet& v) {
  const int mode = mode_of(v);
  const Array x = v.get("x", {-1, -1});
  const long T = x.dim(0), K = x.dim(1);
  const Array w = v.get("w", {-1, K});
  const long N = w.dim(0);
  const Array wf = v.get("w_frac", {N});
  const Array b = v.get("b", {N}), bf = v.get("b_frac", {1});
  const Array y = v.get("y", {T, N});
  std::vector<int32_t> y_in(static_cast<size_t>(T * N), 0);
  std::vector<uint32_t> p(static_cast<size_t>(T), 0);
  if (mode == kLinResid) {
    y_in = as_i32(v.get("resid", {T, N}));
  } else if (mode == kLinScaled) {
    y_in = as_i32(v.get("acc_in", {T, N}));
    const Array pa = v.get("p", {T});
    for (long t = 0; t < T; ++t) p[static_cast<size_t>(t)] = static_cast<uint32_t>(pa[t]);
  }
  const std::vector<int32_t> xs = as_i32(x);
  const std::vector<int16_t> ws = as_i16(w), bs = as_i16(b);
  const std::vector<uint8_t> wx = w_exps(wf), bx = b_exps(bf);
  std::vector<int32_t> out(static_cast<size_t>(T * N), 0);
  chk.expect_ok(linear_top(xs.data(), ws.data(), wx.data(), bs.data(), bx[0], y_in.data(), p.data(), out.data(), mode,
                           static_cast<int>(T), static_cast<int>(K), static_cast<int>(N)),
                v.dir() + " (tokens " + std::to_string(T) + ", K " + std::to_string(K) + ", N " + std::to_string(N) + ")");
  for (long i = 0; i < y.size(); ++i) chk.expect(y, i, out[static_cast<size_t>(i)]);
  chk.add_cases(T);
}

int main(int argc, char** argv) { return run_main(argc, argv, "linear", body); }
