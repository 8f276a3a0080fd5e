// Softmax top: one row per call over AXI-Stream. The running max and sum are updated as the
// scores arrive (single pass) while the scores are kept on chip; then m and r leave, then
// the weights p, formed from the kept scores.
#include "softmax.h"
#include "tops.h"

using namespace edgemoe;

int softmax_top(hls::stream<act_t>& s_in, hls::stream<p_t>& p_out, hls::stream<act_t>& m_out,
                hls::stream<r_t>& r_out, int cols) {
#pragma HLS INTERFACE mode=axis port=s_in
#pragma HLS INTERFACE mode=axis port=p_out
#pragma HLS INTERFACE mode=axis port=m_out
#pragma HLS INTERFACE mode=axis port=r_out
#pragma HLS INTERFACE mode=s_axilite port=cols bundle=control
#pragma HLS INTERFACE mode=s_axilite port=return bundle=control
  if (cols < 1 || cols > kNumTokens) return kTopBadCols;
  act_t s[kNumTokens];
  SoftmaxState st;
sm_stats:
  for (int j = 0; j < cols; ++j) {
    // The running max/sum recurrence (compare, exp, multiply-add) sets the achievable II.
#pragma HLS PIPELINE
#pragma HLS LOOP_TRIPCOUNT min=1 max=kNumTokens
    const act_t sj = s_in.read();
    s[j] = sj;
    if (j == 0) softmax_first(st, sj);
    else softmax_update(st, sj);
  }
  const r_t r = recip_unit(st.s);
  m_out.write(st.m);
  r_out.write(r);
sm_weights:
  for (int j = 0; j < cols; ++j) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=kNumTokens
    p_out.write(softmax_weight(s[j], st.m, r));
  }
  return kTopOk;
}
