// C simulation of the encoder-block tops against golden `block` vectors: the real input of a
// block on the sample frame, the shared weights (synthetic experts), either task. The folder's
// manifest says whether the block is dense or MoE; the parameters are packed into the memory
// image of kernels/block_layout.h here, as a host driver would.
#include "block_layout.h"
#include "tb_common.h"
#include "tops.h"

using namespace edgemoe;
using namespace edgemoe::tb;
using namespace edgemoe::layout;

namespace {

struct Image {
  std::vector<int16_t> wts;
  std::vector<uint8_t> exps;
  Image(int words, int nexps) : wts(static_cast<size_t>(words), 0), exps(static_cast<size_t>(nexps), 0) {}

  // Mantissas of `name` at `off`, its exponent fields (w or b format) at `xoff`.
  void put(const VectorSet& v, const std::string& name, const std::vector<long>& shape, int off, int xoff,
           bool weight) {
    const Array a = v.get(name, shape);
    const long rows = weight ? shape_count(shape) / shape.back() : (shape.size() == 2 ? shape[0] : 1);
    const Array f = v.get(name + "_frac", {rows});
    for (long i = 0; i < a.size(); ++i) wts.at(static_cast<size_t>(off + i)) = static_cast<int16_t>(a[i]);
    const std::vector<uint8_t> x = weight ? w_exps(f) : b_exps(f);
    for (size_t i = 0; i < x.size(); ++i) exps.at(static_cast<size_t>(xoff) + i) = x[i];
  }
};

void put_attention_half(Image& im, const VectorSet& v) {
  const long D = kEmbedDim;
  im.put(v, "norm1_weight", {D}, kLn1G, kXLn1G, false);
  im.put(v, "norm1_bias", {D}, kLn1B, kXLn1B, false);
  im.put(v, "qkv_weight", {3 * D, D}, kQkvW, kXQkvW, true);
  im.put(v, "qkv_bias", {3, D}, kQkvB, kXQkvB, false);
  im.put(v, "attn_proj_weight", {D, D}, kProjW, kXProjW, true);
  im.put(v, "attn_proj_bias", {D}, kProjB, kXProjB, false);
  im.put(v, "norm2_weight", {D}, kLn2G, kXLn2G, false);
  im.put(v, "norm2_bias", {D}, kLn2B, kXLn2B, false);
}

void body(Checker& chk, const VectorSet& v) {
  const long D = kEmbedDim, E = kNumExperts, H = kExpertHidden, F = kMlpHidden;
  const std::string moe = v.param("moe");
  if (moe != "true" && moe != "false") {
    throw VectorError(v.dir() + "/manifest.json: no \"moe\": true|false parameter (not a block vector folder?)");
  }
  const Array x = v.get("x", {kNumTokens, D});
  const Array y = v.get("y", {kNumTokens, D});
  const std::vector<int32_t> xs = as_i32(x);
  std::vector<int32_t> out(static_cast<size_t>(kActWords), 0);
  if (moe == "true") {
    Image im(kMoeWords, kMoeExps);
    put_attention_half(im, v);
    im.put(v, "w_gate", {E, D}, kGateW, kXGateW, true);
    im.put(v, "htoh4_weight", {E, H, D}, kE1W, kXE1W, true);
    im.put(v, "htoh4_bias", {E, H}, kE1B, kXE1B, false);
    im.put(v, "h4toh_weight", {E, D, H}, kE2W, kXE2W, true);
    im.put(v, "h4toh_bias", {E, D}, kE2B, kXE2B, false);
    encoder_block_moe(xs.data(), out.data(), im.wts.data(), im.exps.data());
  } else {
    Image im(kDenseWords, kDenseExps);
    put_attention_half(im, v);
    im.put(v, "fc1_weight", {F, D}, kFc1W, kXFc1W, true);
    im.put(v, "fc1_bias", {F}, kFc1B, kXFc1B, false);
    im.put(v, "fc2_weight", {D, F}, kFc2W, kXFc2W, true);
    im.put(v, "fc2_bias", {D}, kFc2B, kXFc2B, false);
    encoder_block_dense(xs.data(), out.data(), im.wts.data(), im.exps.data());
  }
  for (long i = 0; i < y.size(); ++i) chk.expect(y, i, out[static_cast<size_t>(i)]);
  std::printf("block: %s layer %s task %s (%s block) compared\n", v.dir().c_str(), v.param("layer").c_str(),
              v.param("task").c_str(), moe == "true" ? "MoE" : "dense");
  chk.add_cases(kNumTokens);
}

}  // namespace

int main(int argc, char** argv) { return run_main(argc, argv, "block", body); }
