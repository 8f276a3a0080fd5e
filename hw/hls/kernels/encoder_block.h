// One pre-norm encoder block, dense or MoE, in the hardware order of docs/numerics.md
// ("Block order"; golden FixedBackbone.attention_block / mlp_block):
//
//   n1 = LN1(x); q = lin_q(n1); k = lin(n1); v = lin(n1); a = attention(q, k, v)
//   x  = lin_resid(a, Wproj, bproj, x)
//   n2 = LN2(x)
//   dense: h = lin_gelu(n2, W1, b1); x = lin_resid(h, W2, b2, x)
//   MoE:   gate(n2) -> queues -> experts -> x = sat_act(x + sum p * expert(n2))
//
// The residual stream and every intermediate stay on chip (129 x 192 buffers); parameters are
// read over AXI from the image described in block_layout.h, each weight row exactly once.
#ifndef EDGEMOE_ENCODER_BLOCK_H
#define EDGEMOE_ENCODER_BLOCK_H

#include "attention.h"
#include "block_layout.h"
#include "layernorm.h"
#include "moe.h"

namespace edgemoe {

// LayerNorm of every token with the gamma/beta vectors at the given image offsets.
inline void block_layernorm(const act_t x[kNumTokens][kEmbedDim], act_t y[kNumTokens][kEmbedDim],
                            const int16_t* wts, const uint8_t* exps, int g_off, int b_off, int xg, int xb) {
#pragma HLS INLINE off
  b_t gamma[kEmbedDim], beta[kEmbedDim];
blk_ln_params:
  for (int c = 0; c < kEmbedDim; ++c) {
#pragma HLS PIPELINE II=1
    gamma[c] = wts[g_off + c];
    beta[c] = wts[b_off + c];
  }
  const int fg = kBFracMin + exps[xg];
  const int fb = kBFracMin + exps[xb];
blk_ln_tokens:
  for (int t = 0; t < kNumTokens; ++t) {
    layernorm_row(x[t], y[t], gamma, beta, fg, fb);
  }
}

template <bool Moe>
void encoder_block(const int32_t* x_in, int32_t* x_out, const int16_t* wts, const uint8_t* exps) {
#pragma HLS INLINE
  using namespace layout;
  static act_t x[kNumTokens][kEmbedDim];      // residual stream
  static act_t n[kNumTokens][kEmbedDim];      // LN1, then LN2 output
  static q_t qb[kNumTokens][kEmbedDim];
  static act_t kb[kNumTokens][kEmbedDim];
  static act_t vb[kNumTokens][kEmbedDim];
  static act_t ab[kNumTokens][kEmbedDim];     // attention output
  // attention() also reports each row's softmax max and 1/sum (the attention kernel's test
  // checks them); the block does not use them.
  static act_t mx[kNumHeads][kNumTokens];
  static r_t rs[kNumHeads][kNumTokens];
#pragma HLS ARRAY_PARTITION variable=n cyclic factor=kTileI dim=2
#pragma HLS ARRAY_PARTITION variable=ab cyclic factor=kTileI dim=2
#pragma HLS ARRAY_PARTITION variable=qb cyclic factor=kDh dim=2
#pragma HLS ARRAY_PARTITION variable=kb cyclic factor=kDh dim=2
#pragma HLS ARRAY_PARTITION variable=vb cyclic factor=kDh dim=2

blk_load:
  for (int i = 0; i < kActWords; ++i) {
#pragma HLS PIPELINE II=1
    x[i / kEmbedDim][i % kEmbedDim] = act_t(x_in[i]);
  }

  // ---- attention half
  block_layernorm(x, n, wts, exps, kLn1G, kLn1B, kXLn1G, kXLn1B);
  linear_pass<kEmbedDim, kEmbedDim, q_t>(n, wts + kQkvW, exps + kXQkvW, wts + kQkvB, exps[kXQkvB], true, kLinQ,
                                         kNumTokens, kEmbedDim, kEmbedDim, qb);
  linear_pass<kEmbedDim, kEmbedDim, act_t>(n, wts + kQkvW + kEmbedDim * kEmbedDim, exps + kXQkvW + kEmbedDim,
                                           wts + kQkvB + kEmbedDim, exps[kXQkvB + 1], true, kLinPlain, kNumTokens,
                                           kEmbedDim, kEmbedDim, kb);
  linear_pass<kEmbedDim, kEmbedDim, act_t>(n, wts + kQkvW + 2 * kEmbedDim * kEmbedDim, exps + kXQkvW + 2 * kEmbedDim,
                                           wts + kQkvB + 2 * kEmbedDim, exps[kXQkvB + 2], true, kLinPlain, kNumTokens,
                                           kEmbedDim, kEmbedDim, vb);
  attention(qb, kb, vb, kNumTokens, ab, mx, rs);
  linear_pass<kEmbedDim, kEmbedDim, act_t>(ab, wts + kProjW, exps + kXProjW, wts + kProjB, exps[kXProjB], true,
                                           kLinResid, kNumTokens, kEmbedDim, kEmbedDim, x);

  // ---- MLP half
  block_layernorm(x, n, wts, exps, kLn2G, kLn2B, kXLn2G, kXLn2B);
  if (Moe) {
    static act_t logits[kNumTokens][kNumExperts];
    static expert_t idx[kNumTokens][kTopK];
    static p_t prob[kNumTokens][kTopK];
    static MoeQueues q;
    moe_gate(n, wts + kGateW, exps + kXGateW, kNumTokens, logits, idx, prob, q);
    MoeExpertParams prm;
    prm.w1 = wts + kE1W;
    prm.w1_exp = exps + kXE1W;
    prm.b1 = wts + kE1B;
    prm.b1_exp = exps + kXE1B;
    prm.w2 = wts + kE2W;
    prm.w2_exp = exps + kXE2W;
    prm.b2 = wts + kE2B;
    prm.b2_exp = exps + kXE2B;
    moe_layer(x, n, kNumTokens, q, prm);
  } else {
    static act_t h[kNumTokens][kMlpHidden];
#pragma HLS ARRAY_PARTITION variable=h cyclic factor=kTileI dim=2
    linear_pass<kEmbedDim, kMlpHidden, act_t>(n, wts + kFc1W, exps + kXFc1W, wts + kFc1B, exps[kXFc1B], true,
                                              kLinGelu, kNumTokens, kEmbedDim, kMlpHidden, h);
    linear_pass<kMlpHidden, kEmbedDim, act_t>(h, wts + kFc2W, exps + kXFc2W, wts + kFc2B, exps[kXFc2B], true,
                                              kLinResid, kNumTokens, kMlpHidden, kEmbedDim, x);
  }

blk_store:
  for (int i = 0; i < kActWords; ++i) {
#pragma HLS PIPELINE II=1
    x_out[i] = x[i / kEmbedDim][i % kEmbedDim].to_int();
  }
}

}  // namespace edgemoe

#endif  // EDGEMOE_ENCODER_BLOCK_H
