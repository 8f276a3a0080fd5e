// C simulation of layernorm_top (all tokens in one call, streamed) and of its RTL twin
// layernorm_unit_top (parameter-load stream, one token per call) against golden `layernorm` vectors.
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

  // The RTL twin: one parameter load (beats of Lanes gamma, Lanes beta, both exponent fields),
  // then every token, Lanes channels per beat.
  const int L = kLnTopLanes, beats = kEmbedDim / kLnTopLanes;
  const int gx = b_exps(gf)[0], bx = b_exps(bf)[0];
  hls::stream<ln_prm_word_t> ps;
  hls::stream<ln_word_t> is, os;
  for (int bt = 0; bt < beats; ++bt) {
    ln_prm_word_t w = 0;
    for (int l = 0; l < L; ++l) {
      w((l + 1) * kBBits - 1, l * kBBits) = ap_uint<kBBits>(g[bt * L + l]);
      w((L + l + 1) * kBBits - 1, (L + l) * kBBits) = ap_uint<kBBits>(b[bt * L + l]);
    }
    w(2 * L * kBBits + kBExpBits - 1, 2 * L * kBBits) = gx;
    w(2 * L * kBBits + 2 * kBExpBits - 1, 2 * L * kBBits + kBExpBits) = bx;
    ps.write(w);
  }
  layernorm_unit_top(ps, is, os);
  if (!ps.empty() || !os.empty()) chk.fail("layernorm_unit_top did not take exactly one parameter load");
  for (long t = 0; t < tokens; ++t) {
    for (int bt = 0; bt < beats; ++bt) {
      ln_word_t w = 0;
      for (int l = 0; l < L; ++l) w((l + 1) * kActBits - 1, l * kActBits) = ap_uint<kActBits>(x.at(t, bt * L + l));
      is.write(w);
    }
    layernorm_unit_top(ps, is, os);
    for (int bt = 0; bt < beats; ++bt) {
      const ln_word_t w = os.read();
      for (int l = 0; l < L; ++l) chk.expect(y, t * kEmbedDim + bt * L + l, act_t(w((l + 1) * kActBits - 1, l * kActBits)).to_int64());
    }
  }
  chk.add_cases(tokens);
}

int main(int argc, char** argv) { return run_main(argc, argv, "layernorm", body); }
