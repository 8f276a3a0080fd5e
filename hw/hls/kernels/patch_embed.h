// Patch embedding: the 16x16 stride-16 convolution on the linear unit's tile schedule
// (docs/numerics.md, "Patch embedding"; golden/patch_embed.py).
//
// Pixels enter as act codes (pix << 8). Output channel o of token t >= 1 accumulates the 768
// products of its patch (channel, ky, kx order) at frac 16 + wf[o], plus the per-token term
// add[t] = pos_embed[t] + patch_bias aligned exactly from its own exponent fa[t]; one rounding.
// Token 0 (class token) is add[0] alone.
#ifndef EDGEMOE_PATCH_EMBED_H
#define EDGEMOE_PATCH_EMBED_H

#include "linear.h"

namespace edgemoe {

static_assert(kNumTokens == kNumPatches + 1, "token 0 is the class token");

// Pixels (C, H, W) -> patch rows (patch, c*p*p + ky*p + kx) as act codes, patches row-major.
inline void pe_patches(const uint8_t* pix, act_t xp[kNumPatches][kPatchK]) {
#pragma HLS INLINE off
pe_c:
  for (int c = 0; c < kImgC; ++c) {
  pe_y:
    for (int y = 0; y < kImgH; ++y) {
    pe_x:
      for (int x = 0; x < kImgW; ++x) {
#pragma HLS PIPELINE II=1
        const int patch = (y / kPatch) * kGridW + x / kPatch;
        const int col = (c * kPatch + y % kPatch) * kPatch + x % kPatch;
        xp[patch][col] = act_t(ap_uint<kActBits>(pix_t(pix[(c * kImgH + y) * kImgW + x])) << (kActFrac - kPixFrac));
      }
    }
  }
}

inline void patch_embed(const uint8_t* pix, const int16_t* w, const uint8_t* wexp, const int16_t* add,
                        const uint8_t* add_exp, act_t out[kNumTokens][kEmbedDim]) {
#pragma HLS INLINE off
  static act_t xp[kNumPatches][kPatchK];
#pragma HLS ARRAY_PARTITION variable=xp cyclic factor=kTileI dim=2
  static w_t tw[kTileO][kPatchK];
#pragma HLS ARRAY_PARTITION variable=tw complete dim=1
#pragma HLS ARRAY_PARTITION variable=tw cyclic factor=kTileI dim=2
  ap_uint<5> twf[kTileO];
  lacc_t tbias[kTileO];
  pe_patches(pix, xp);
  // Class token: add[0] moved from its frac fa0 to act's 16 (round when fa0 > 16, exact shift otherwise).
  const int fa0 = kBFracMin + add_exp[0];
pe_cls:
  for (int o = 0; o < kEmbedDim; ++o) {
#pragma HLS PIPELINE II=1
    const ap_int<kBBits + kActFrac> a = add[o];
    out[0][o] = sat_s<kActBits>(fa0 >= kActFrac ? round_shift(a, fa0 - kActFrac)
                                                : ap_int<kBBits + kActFrac>(a << (kActFrac - fa0)));
  }
pe_tiles:
  for (int tile = 0; tile < kEmbedDim / kTileO; ++tile) {
    lin_load_tile<kPatchK>(w, wexp, w, 0, false, kPatchK, kEmbedDim, tile, tw, twf, tbias);
  pe_tokens:
    for (int p = 0; p < kNumPatches; ++p) {
      const int t = p + 1;
      const int fa = kBFracMin + add_exp[t];
      lacc_t acc[kTileO];
#pragma HLS ARRAY_PARTITION variable=acc complete
    pe_init:
      for (int o = 0; o < kTileO; ++o) {
#pragma HLS PIPELINE II=1
        const int col = tile * kTileO + o;
        acc[o] = lacc_t(lacc_t(add[t * kEmbedDim + col]) << (kActFrac + int(twf[o]) - fa));
      }
    pe_k:
      for (int kt = 0; kt < kPatchK; kt += kTileI) {
#pragma HLS PIPELINE II=1
      pe_o:
        for (int o = 0; o < kTileO; ++o) {
#pragma HLS UNROLL
          ap_int<kActBits + kWBits + 4> part = 0;
        pe_i:
          for (int i = 0; i < kTileI; ++i) {
#pragma HLS UNROLL
            part += mul(xp[p][kt + i], tw[o][kt + i]);
          }
          acc[o] += part;
        }
      }
    pe_out:
      for (int o = 0; o < kTileO; ++o) {
#pragma HLS PIPELINE II=1
        out[t][tile * kTileO + o] = sat_s<kActBits>(round_shift(acc[o], int(twf[o])));
      }
    }
  }
}

}  // namespace edgemoe

#endif  // EDGEMOE_PATCH_EMBED_H
