// C simulation of softmax_top (one row per call: the row max m, the reciprocal sum r and every
// weight p) and of its RTL twin softmax_stats_top (Lanes rows in lock step: m and r) against
// golden `softmax` vectors.
#include "tb_common.h"
#include "tops.h"

using namespace edgemoe;
using namespace edgemoe::tb;

static void body(Checker& chk, const VectorSet& v) {
  const Array s = v.get("s", {-1, -1});
  const long rows = s.dim(0), cols = s.dim(1);
  const Array m = v.get("m", {rows});
  const Array r = v.get("r", {rows});
  const Array p = v.get("p", {rows, cols});
  hls::stream<act_t> s_in, m_out;
  hls::stream<p_t> p_out;
  hls::stream<r_t> r_out;
  for (long i = 0; i < rows; ++i) {
    for (long j = 0; j < cols; ++j) s_in.write(act_t(s.at(i, j)));
    chk.expect_ok(softmax_top(s_in, p_out, m_out, r_out, static_cast<int>(cols)), s.path);
    chk.expect(m, i, m_out.read().to_int64());
    chk.expect(r, i, r_out.read().to_int64());
    for (long j = 0; j < cols; ++j) chk.expect(p, i * cols + j, p_out.read().to_int64());
  }
  // The RTL twin: kSmxTopLanes rows in lock step, `last` on each group's final key; the last
  // group is padded with row 0, whose statistics are not compared.
  const int L = kSmxTopLanes;
  hls::stream<smx_in_word_t> si;
  hls::stream<smx_out_word_t> so;
  for (long g0 = 0; g0 < rows; g0 += L) {
    for (long j = 0; j < cols; ++j) {
      smx_in_word_t w = 0;
      for (int l = 0; l < L; ++l) {
        const long row = g0 + l < rows ? g0 + l : 0;
        w((l + 1) * kActBits - 1, l * kActBits) = ap_uint<kActBits>(s.at(row, j));
      }
      w[L * kActBits] = j == cols - 1;
      si.write(w);
      softmax_stats_top(si, so);
      if (j < cols - 1 && !so.empty()) chk.fail("softmax_stats_top wrote statistics before the row's last key");
    }
    const smx_out_word_t o = so.read();
    for (int l = 0; l < L && g0 + l < rows; ++l) {
      const int base = l * (kActBits + kRBits);
      chk.expect(m, g0 + l, act_t(o(base + kActBits - 1, base)).to_int64());
      chk.expect(r, g0 + l, ap_uint<kRBits>(o(base + kActBits + kRBits - 1, base + kActBits)).to_int64());
    }
  }
  chk.add_cases(rows);
}

int main(int argc, char** argv) { return run_main(argc, argv, "softmax", body); }
