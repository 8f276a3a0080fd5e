// Patch-embedding top: one frame of pixels (3 x 128 x 256 bytes) to the 129 x 192 block-0 input.
#include "patch_embed.h"
#include "tops.h"

using namespace edgemoe;

namespace {
constexpr int kPePixDepth = kImgC * kImgH * kImgW;
constexpr int kPeWDepth = kEmbedDim * kPatchK;
constexpr int kPeAddDepth = kNumTokens * kEmbedDim;
}  // namespace

void patch_embed_top(const uint8_t* pix, const int16_t* w, const uint8_t* wexp, const int16_t* add,
                     const uint8_t* add_exp, int32_t* x_out) {
#pragma HLS INTERFACE mode=m_axi port=pix offset=slave bundle=gmem_in depth=kPePixDepth max_widen_bitwidth=512
#pragma HLS INTERFACE mode=m_axi port=w offset=slave bundle=gmem_w depth=kPeWDepth max_widen_bitwidth=512
#pragma HLS INTERFACE mode=m_axi port=wexp offset=slave bundle=gmem_w depth=kEmbedDim
#pragma HLS INTERFACE mode=m_axi port=add offset=slave bundle=gmem_w depth=kPeAddDepth max_widen_bitwidth=512
#pragma HLS INTERFACE mode=m_axi port=add_exp offset=slave bundle=gmem_w depth=kNumTokens
#pragma HLS INTERFACE mode=m_axi port=x_out offset=slave bundle=gmem_out depth=kPeAddDepth max_widen_bitwidth=512
#pragma HLS INTERFACE mode=s_axilite port=return bundle=control
  static act_t xb[kNumTokens][kEmbedDim];
  patch_embed(pix, w, wexp, add, add_exp, xb);
pe_store:
  for (int i = 0; i < kPeAddDepth; ++i) {
#pragma HLS PIPELINE II=1
    x_out[i] = xb[i / kEmbedDim][i % kEmbedDim].to_int();
  }
}
