// C simulation of layernorm_top (all tokens in one call, streamed) against golden `layernorm` vectors.
#include "tb_common.h"
#include "tops.h"

using namespace edgemoe;
using namespace edgemoe::tb;

static void body(Checker& chk, const VectorSet& v) {
  const Array x = v.get("x", {-1, kEmbedDim});
  const long tokens = x.dim(0);
  const Array g = v.get("gamma", {kEmbedDim}), gf = v.get("gamma_frac", {1});
  const Array b = v.get("beta", {kEmbedDim}), bf = v.get("beta_frac", {1});
  const Array y = v.get("y", {tokens, kEmbedDim});
  std::vector<int16_t> params = as_i16(g);
  const std::vector<int16_t> beta = as_i16(b);
  params.insert(params.end(), beta.begin(), beta.end());
  hls::stream<act_t> x_in, y_out;
  for (long i = 0; i < x.size(); ++i) x_in.write(act_t(x[i]));
  chk.expect_ok(layernorm_top(x_in, y_out, params.data(), b_exps(gf)[0], b_exps(bf)[0], static_cast<int>(tokens)),
                x.path);
  for (long i = 0; i < y.size(); ++i) chk.expect(y, i, y_out.read().to_int64());
  if (!y_out.empty()) chk.fail("layernorm_top wrote more values than " + y.path + " holds");
  chk.add_cases(tokens);
}

int main(int argc, char** argv) { return run_main(argc, argv, "layernorm", body); }
