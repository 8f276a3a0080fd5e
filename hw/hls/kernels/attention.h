// Multi-head attention with the reordered schedule (technique 1) and the single-pass softmax
// (technique 2); docs/numerics.md, "Attention"; golden/attention.py.
//
// Per head, P = kAttnP query rows are held on chip. K is streamed once per group, one key row
// per step: P scores per step, the running max/sum of each row updated in key order, every
// score kept on chip (P x T). Then V is streamed once per group: the normalised weight
// p = EXP(s - m) * r is formed on the fly and P x 64 products accumulate per step. The next
// group's P query rows are fetched during the first P steps of the current group (Q ping-pong),
// so every step reads at most one K/V row and one Q row whatever P is.
//
//   s[i,j] = sat_act(round_shift(sum_d q[i,d] k[j,d], 15))      exact, frac 31
//   o[i,d] = sat_act(round_shift(sum_j p[i,j] v[j,d], 16))      exact, frac 32
#ifndef EDGEMOE_ATTENTION_H
#define EDGEMOE_ATTENTION_H

#include "softmax.h"

namespace edgemoe {

constexpr int kP = kAttnP;
constexpr int kDh = kHeadDim;
typedef ap_int<kQBits + kActBits + 7> attn_qk_t;   // 64 products of 18 x 26 bits
typedef ap_int<kPBits + kActBits + 9> attn_av_t;   // 129 products of 17 x 26 bits

// Q rows g0 .. g0+P-1 of head h, one row per step (rows past the end load as zeros).
template <typename QT>
void attn_fetch_q_row(const QT q[kNumTokens][kEmbedDim], int tokens, int h, int row, q_t dst[kDh]) {
#pragma HLS INLINE
attn_fetch_d:
  for (int d = 0; d < kDh; ++d) {
#pragma HLS UNROLL
    dst[d] = row < tokens ? q_t(q[row][h * kDh + d]) : q_t(0);
  }
}

// One group of P query rows of head h: Q.K^T with running statistics, then A.V.
// qcur holds this group's rows; qnext receives the next group's rows during the first P steps.
template <typename QT>
void attn_group(const QT q[kNumTokens][kEmbedDim], const act_t k[kNumTokens][kEmbedDim],
                const act_t v[kNumTokens][kEmbedDim], int tokens, int h, int g0, q_t qcur[kP][kDh],
                q_t qnext[kP][kDh], act_t out[kNumTokens][kEmbedDim], act_t m_out[kNumHeads][kNumTokens],
                r_t r_out[kNumHeads][kNumTokens]) {
#pragma HLS INLINE off
  static act_t sc[kP][kNumTokens];     // this group's scores, never rewritten
#pragma HLS ARRAY_PARTITION variable=sc complete dim=1
  SoftmaxState st[kP];
#pragma HLS ARRAY_PARTITION variable=st complete
  r_t r[kP];
#pragma HLS ARRAY_PARTITION variable=r complete
  attn_av_t acc[kP][kDh];
#pragma HLS ARRAY_PARTITION variable=acc complete dim=0

attn_qk:
  for (int j = 0; j < tokens; ++j) {
    // Each row's running max/sum is a recurrence over keys: it sets the achievable II.
#pragma HLS PIPELINE
#pragma HLS LOOP_TRIPCOUNT min=1 max=kNumTokens
    if (j < kP) attn_fetch_q_row(q, tokens, h, g0 + kP + j, qnext[j]);
  attn_qk_rows:
    for (int i = 0; i < kP; ++i) {
#pragma HLS UNROLL
      attn_qk_t dot = 0;
    attn_qk_d:
      for (int d = 0; d < kDh; ++d) {
#pragma HLS UNROLL
        dot += mul(qcur[i][d], k[j][h * kDh + d]);
      }
      const act_t s = sat_s<kActBits>(round_shift(dot, kQFrac));
      sc[i][j] = s;
      if (j == 0) softmax_first(st[i], s);
      else softmax_update(st[i], s);
    }
  }
attn_recip:
  for (int i = 0; i < kP; ++i) {
#pragma HLS PIPELINE II=1
    r[i] = recip_unit(st[i].s);
  attn_clear:
    for (int d = 0; d < kDh; ++d) {
#pragma HLS UNROLL
      acc[i][d] = 0;
    }
  }
attn_av:
  for (int j = 0; j < tokens; ++j) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=kNumTokens
  attn_av_rows:
    for (int i = 0; i < kP; ++i) {
#pragma HLS UNROLL
      const p_t p = softmax_weight(sc[i][j], st[i].m, r[i]);
    attn_av_d:
      for (int d = 0; d < kDh; ++d) {
#pragma HLS UNROLL
        acc[i][d] += mul(p, v[j][h * kDh + d]);
      }
    }
  }
attn_write:
  for (int i = 0; i < kP; ++i) {
    const int row = g0 + i;
    if (row < tokens) {
      m_out[h][row] = st[i].m;
      r_out[h][row] = r[i];
    attn_write_d:
      for (int d = 0; d < kDh; ++d) {
#pragma HLS PIPELINE II=1
        out[row][h * kDh + d] = sat_s<kActBits>(round_shift(acc[i][d], kPFrac));
      }
    }
  }
}

// All heads. q holds q codes (QT = q_t, or act_t buffers holding q codes); out is (T, H * 64).
// m_out and r_out receive each row's softmax max and reciprocal sum.
template <typename QT>
void attention(const QT q[kNumTokens][kEmbedDim], const act_t k[kNumTokens][kEmbedDim],
               const act_t v[kNumTokens][kEmbedDim], int tokens, act_t out[kNumTokens][kEmbedDim],
               act_t m_out[kNumHeads][kNumTokens], r_t r_out[kNumHeads][kNumTokens]) {
#pragma HLS INLINE off
  q_t qa[kP][kDh], qb[kP][kDh];
#pragma HLS ARRAY_PARTITION variable=qa complete dim=0
#pragma HLS ARRAY_PARTITION variable=qb complete dim=0
attn_heads:
  for (int h = 0; h < kNumHeads; ++h) {
    // Prologue: the first group's rows, one per step.
  attn_prologue:
    for (int i = 0; i < kP; ++i) {
#pragma HLS PIPELINE II=1
      attn_fetch_q_row(q, tokens, h, i, qa[i]);
    }
    const int groups = (tokens + kP - 1) / kP;
  attn_groups:
    for (int g = 0; g < groups; ++g) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=(kNumTokens+kP-1)/kP
      if ((g & 1) == 0) attn_group(q, k, v, tokens, h, g * kP, qa, qb, out, m_out, r_out);
      else attn_group(q, k, v, tokens, h, g * kP, qb, qa, out, m_out, r_out);
    }
  }
}

}  // namespace edgemoe

#endif  // EDGEMOE_ATTENTION_H
