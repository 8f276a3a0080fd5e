// C simulation of softmax_top, one row per call, against golden `softmax` vectors:
// the row max m, the reciprocal sum r and every weight p.
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
  chk.add_cases(rows);
}

int main(int argc, char** argv) { return run_main(argc, argv, "softmax", body); }
