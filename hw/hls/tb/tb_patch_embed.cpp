// C simulation of patch_embed_top against golden `patch_embed` vectors (one frame).
#include "tb_common.h"
#include "tops.h"

using namespace edgemoe;
using namespace edgemoe::tb;

static void body(Checker& chk, const VectorSet& v) {
  const Array pix = v.get("pix", {kImgC, kImgH, kImgW});
  const Array w = v.get("wpe", {kEmbedDim, kPatchK}), wf = v.get("wpe_frac", {kEmbedDim});
  const Array add = v.get("add", {kNumTokens, kEmbedDim}), af = v.get("add_frac", {kNumTokens});
  const Array x = v.get("x", {kNumTokens, kEmbedDim});
  const std::vector<uint8_t> ps(pix.data.begin(), pix.data.end());
  const std::vector<int16_t> ws = as_i16(w), as = as_i16(add);
  const std::vector<uint8_t> wx = w_exps(wf), ax = b_exps(af);
  std::vector<int32_t> out(static_cast<size_t>(kNumTokens * kEmbedDim));
  patch_embed_top(ps.data(), ws.data(), wx.data(), as.data(), ax.data(), out.data());
  for (long i = 0; i < x.size(); ++i) chk.expect(x, i, out[static_cast<size_t>(i)]);
  chk.add_cases(kNumTokens);
}

int main(int argc, char** argv) { return run_main(argc, argv, "patch_embed", body); }
