// C simulation of recip_top (one sum per call) against golden `recip` vectors.
#include "tb_common.h"
#include "tops.h"

using namespace edgemoe;
using namespace edgemoe::tb;

static void body(Checker& chk, const VectorSet& v) {
  const Array s = v.get("s", {-1});
  const Array r = v.get("r", {s.size()});
  hls::stream<sum_t> in_s;
  hls::stream<r_t> out_s;
  for (long i = 0; i < s.size(); ++i) {
    in_s.write(sum_t(s[i]));
    recip_top(in_s, out_s);
    chk.expect(r, i, out_s.read().to_int64());
  }
  chk.add_cases(s.size());
}

int main(int argc, char** argv) { return run_main(argc, argv, "recip", body); }
