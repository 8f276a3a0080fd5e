// MoE gate, top-2, patch reordering into expert queues and the expert layer (technique 5;
// docs/numerics.md, "MoE"; golden/moe.py).
//
// Gate logits come from the linear unit (plain, no bias). Per token: the top 2 logits (ties to
// the lower index: a later expert displaces a slot only when strictly larger), the running
// softmax over all 16 logits in expert order, and p_k = EXP(l_k - m) * r, not renormalised.
// Tokens are appended in token order, slot 0 then slot 1, to the chosen experts' queues
// (8-bit token indices, depth 129, counts 0..129: a queue holding every token keeps them all).
// The metaqueue lists the experts with a non-empty queue in ascending order; each of those
// experts' weights is streamed once per layer and run over its whole queue. Contributions
// round_shift(y * p, 16) add exactly into the 28-bit buffer M (initialised with the residual),
// so the order of experts does not change the bits; the layer output is sat_act(M).
#ifndef EDGEMOE_MOE_H
#define EDGEMOE_MOE_H

#include "linear.h"
#include "softmax.h"

namespace edgemoe {

static_assert(kTopK == 2, "moe_route(): the selection below keeps two slots");
static_assert(kQueueDepth >= kNumTokens, "a queue must hold every token");

typedef ap_uint<5> expert_t;     // 0..15, and 16 entries in the metaqueue length

struct MoeQueues {
  tok_t tok[kNumExperts][kQueueDepth];
  p_t score[kNumExperts][kQueueDepth];
  cnt_t count[kNumExperts];
  expert_t meta[kNumExperts];
  expert_t meta_len;
};

// Top-2, gate probabilities and queues for `tokens` tokens of gate logits.
inline void moe_route(const act_t logits[kNumTokens][kNumExperts], int tokens, expert_t idx[kNumTokens][kTopK],
                      p_t prob[kNumTokens][kTopK], MoeQueues& q) {
#pragma HLS INLINE off
moe_clear:
  for (int e = 0; e < kNumExperts; ++e) {
#pragma HLS UNROLL
    q.count[e] = 0;
  }
moe_tokens:
  for (int t = 0; t < tokens; ++t) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=kNumTokens
    // Slots ordered by (logit descending, index ascending), as a stable sort of -logit.
    expert_t b0 = 0, b1 = 1;
    if (logits[t][1] > logits[t][0]) {
      b0 = 1;
      b1 = 0;
    }
    SoftmaxState st;
    softmax_first(st, logits[t][0]);
  moe_scan:
    for (int e = 1; e < kNumExperts; ++e) {
#pragma HLS PIPELINE
      const act_t l = logits[t][e];
      softmax_update(st, l);
      if (e >= 2) {
        if (l > logits[t][b0]) {
          b1 = b0;
          b0 = e;
        } else if (l > logits[t][b1]) {
          b1 = e;
        }
      }
    }
    const r_t r = recip_unit(st.s);
    const expert_t sel[kTopK] = {b0, b1};
  moe_slots:
    for (int s = 0; s < kTopK; ++s) {
      const expert_t e = sel[s];
      const p_t p = softmax_weight(logits[t][e], st.m, r);
      idx[t][s] = e;
      prob[t][s] = p;
      q.tok[e][q.count[e]] = t;
      q.score[e][q.count[e]] = p;
      q.count[e] = q.count[e] + 1;
    }
  }
  expert_t n = 0;
moe_meta:
  for (int e = 0; e < kNumExperts; ++e) {
#pragma HLS PIPELINE II=1
    if (q.count[e] != 0) {
      q.meta[n] = e;
      n = n + 1;
    }
  }
  q.meta_len = n;
}

// Gate: logits = xn Wg^T (plain, no bias) through the linear unit, then routing.
inline void moe_gate(const act_t xn[kNumTokens][kEmbedDim], const int16_t* wg, const uint8_t* wg_exp, int tokens,
                     act_t logits[kNumTokens][kNumExperts], expert_t idx[kNumTokens][kTopK],
                     p_t prob[kNumTokens][kTopK], MoeQueues& q) {
#pragma HLS INLINE off
  // No bias: has_bias = false, so the bias pointer (wg, any valid address) is never read.
  linear_pass<kEmbedDim, kNumExperts, act_t>(xn, wg, wg_exp, wg, 0, false, kLinPlain, tokens, kEmbedDim,
                                             kNumExperts, logits);
  moe_route(logits, tokens, idx, prob, q);
}

// Routing results in the layout of the golden vectors: queue slots past a queue's count hold
// token -1 and score 0, metaqueue entries past its length hold -1.
inline void moe_write_route(const expert_t idx[kNumTokens][kTopK], const p_t prob[kNumTokens][kTopK], int tokens,
                            const MoeQueues& q, uint8_t* idx_out, uint32_t* prob_out, int16_t* q_tok,
                            uint32_t* q_score, uint8_t* q_count, int8_t* meta, uint8_t* meta_len) {
#pragma HLS INLINE off
moe_w_tokens:
  for (int t = 0; t < tokens; ++t) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=kNumTokens
    for (int s = 0; s < kTopK; ++s) {
#pragma HLS PIPELINE II=1
      idx_out[t * kTopK + s] = idx[t][s];
      prob_out[t * kTopK + s] = prob[t][s];
    }
  }
moe_w_queues:
  for (int e = 0; e < kNumExperts; ++e) {
    q_count[e] = q.count[e];
    meta[e] = e < q.meta_len ? int8_t(q.meta[e]) : int8_t(-1);
    for (int s = 0; s < kQueueDepth; ++s) {
#pragma HLS PIPELINE II=1
      const bool used = s < q.count[e];
      q_tok[e * kQueueDepth + s] = used ? int16_t(q.tok[e][s]) : int16_t(-1);
      q_score[e * kQueueDepth + s] = used ? uint32_t(q.score[e][s]) : 0u;
    }
  }
  *meta_len = q.meta_len;
}

// Expert parameters of one MoE layer in memory: all 16 experts back to back.
struct MoeExpertParams {
  const int16_t* w1;      // (16, 384, 192)
  const uint8_t* w1_exp;  // (16, 384)
  const int16_t* b1;      // (16, 384)
  const uint8_t* b1_exp;  // (16,)
  const int16_t* w2;      // (16, 192, 384)
  const uint8_t* w2_exp;  // (16, 192)
  const int16_t* b2;      // (16, 192)
  const uint8_t* b2_exp;  // (16,)
};

// Every active expert once over its whole queue: h = GELU(lin(xn[queue], W1)), M[queue] += p * lin(h, W2).
inline void moe_experts(const act_t xn[kNumTokens][kEmbedDim], const MoeQueues& q, const MoeExpertParams& prm,
                        macc_t m[kNumTokens][kEmbedDim]) {
#pragma HLS INLINE off
  static act_t h[kNumTokens][kExpertHidden];
#pragma HLS ARRAY_PARTITION variable=h cyclic factor=kTileI dim=2
moe_active:
  for (int i = 0; i < q.meta_len; ++i) {
#pragma HLS LOOP_TRIPCOUNT min=2 max=kNumExperts
    const int e = q.meta[i];
    const int n = q.count[e];
    const int h1 = e * kExpertHidden;   // first fc1 row of expert e
    const int h2 = e * kEmbedDim;       // first fc2 row of expert e
    linear_pass<kEmbedDim, kExpertHidden, true, act_t>(
        xn, q.tok[e], prm.w1 + h1 * kEmbedDim, prm.w1_exp + h1, prm.b1 + h1, prm.b1_exp[e], true, kLinGelu, n,
        kEmbedDim, kExpertHidden, h);
    linear_pass_scaled<kExpertHidden, kEmbedDim>(h, prm.w2 + h2 * kExpertHidden, prm.w2_exp + h2, prm.b2 + h2,
                                                 prm.b2_exp[e], q.tok[e], true, q.score[e], n, kExpertHidden,
                                                 kEmbedDim, m);
  }
}

// The whole expert layer on the residual x: M = x; experts; x = sat_act(M).
inline void moe_layer(act_t x[kNumTokens][kEmbedDim], const act_t xn[kNumTokens][kEmbedDim], int tokens,
                      const MoeQueues& q, const MoeExpertParams& prm) {
#pragma HLS INLINE off
  static macc_t m[kNumTokens][kEmbedDim];
#pragma HLS ARRAY_PARTITION variable=m cyclic factor=kTileO dim=2
moe_m_init:
  for (int t = 0; t < tokens; ++t) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=kNumTokens
    for (int c = 0; c < kEmbedDim; ++c) {
#pragma HLS PIPELINE II=1
      m[t][c] = x[t][c];
    }
  }
  moe_experts(xn, q, prm, m);
moe_m_out:
  for (int t = 0; t < tokens; ++t) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=kNumTokens
    for (int c = 0; c < kEmbedDim; ++c) {
#pragma HLS PIPELINE II=1
      x[t][c] = sat_s<kActBits>(m[t][c]);
    }
  }
}

}  // namespace edgemoe

#endif  // EDGEMOE_MOE_H
