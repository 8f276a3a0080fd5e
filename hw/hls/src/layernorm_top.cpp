// LayerNorm top: tokens stream in and out over AXI-Stream, gamma and beta come once per call
// over AXI4 master. Two DATAFLOW stages overlap consecutive tokens: the first sums S1, S2 and
// runs the once-per-token digit recurrences (isqrt, division) while passing the token on
// through a FIFO; the second normalises it.
#include "layernorm.h"
#include "tops.h"

using namespace edgemoe;

namespace {

constexpr int kLnParamWords = 2 * kEmbedDim;

void ln_stats_stage(hls::stream<act_t>& x_in, hls::stream<act_t>& x_fifo, hls::stream<LnStats>& st_fifo,
                    int tokens) {
ln_st_tokens:
  for (int t = 0; t < tokens; ++t) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=kNumTokens
    ln_s1_t s1 = 0;
    ln_s2_t s2 = 0;
  ln_st_sums:
    for (int c = 0; c < kLnN; ++c) {
#pragma HLS PIPELINE II=1
      const act_t x = x_in.read();
      x_fifo.write(x);
      s1 += x;
      s2 += ln_s2_t(mul(x, x));
    }
    st_fifo.write(ln_stats(s1, s2));
  }
}

void ln_norm_stage(hls::stream<act_t>& x_fifo, hls::stream<LnStats>& st_fifo, hls::stream<act_t>& y_out,
                   const b_t gamma[kLnN], const b_t beta[kLnN], int fg, int fb, int tokens) {
ln_nm_tokens:
  for (int t = 0; t < tokens; ++t) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=kNumTokens
    const LnStats st = st_fifo.read();
  ln_nm_chan:
    for (int c = 0; c < kLnN; ++c) {
#pragma HLS PIPELINE II=1
      y_out.write(ln_apply(x_fifo.read(), st, gamma[c], beta[c], fg, fb));
    }
  }
}

void ln_dataflow(hls::stream<act_t>& x_in, hls::stream<act_t>& y_out, const b_t gamma[kLnN], const b_t beta[kLnN],
                 int fg, int fb, int tokens) {
#pragma HLS DATAFLOW
  hls::stream<act_t> x_fifo("ln_x_fifo");
  hls::stream<LnStats> st_fifo("ln_stats_fifo");
#pragma HLS STREAM variable=x_fifo depth=384
#pragma HLS STREAM variable=st_fifo depth=2
  ln_stats_stage(x_in, x_fifo, st_fifo, tokens);
  ln_norm_stage(x_fifo, st_fifo, y_out, gamma, beta, fg, fb, tokens);
}

}  // namespace

int layernorm_top(hls::stream<act_t>& x_in, hls::stream<act_t>& y_out, const int16_t* params, uint8_t gamma_exp,
                  uint8_t beta_exp, int tokens) {
#pragma HLS INTERFACE mode=axis port=x_in
#pragma HLS INTERFACE mode=axis port=y_out
#pragma HLS INTERFACE mode=m_axi port=params offset=slave bundle=gmem depth=kLnParamWords
#pragma HLS INTERFACE mode=s_axilite port=params bundle=control
#pragma HLS INTERFACE mode=s_axilite port=gamma_exp bundle=control
#pragma HLS INTERFACE mode=s_axilite port=beta_exp bundle=control
#pragma HLS INTERFACE mode=s_axilite port=tokens bundle=control
#pragma HLS INTERFACE mode=s_axilite port=return bundle=control
  if (tokens < 1) return kTopBadTokens;   // a stream: any number of tokens, none buffered whole
  b_t gamma[kLnN], beta[kLnN];
ln_params:
  for (int c = 0; c < kLnN; ++c) {
#pragma HLS PIPELINE II=1
    gamma[c] = params[c];
    beta[c] = params[kLnN + c];
  }
  ln_dataflow(x_in, y_out, gamma, beta, kBFracMin + gamma_exp, kBFracMin + beta_exp, tokens);
  return kTopOk;
}
