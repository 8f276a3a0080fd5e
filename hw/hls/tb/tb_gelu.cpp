// C simulation of gelu_top (one beat per call, as the free-running unit) and of the 4-lane
// beat packing, against golden `gelu` vectors.
#include "gelu.h"
#include "tb_common.h"
#include "tops.h"

using namespace edgemoe;
using namespace edgemoe::tb;

static void body(Checker& chk, const VectorSet& v) {
  const Array x = v.get("x", {-1});
  const Array y = v.get("y", {x.size()});
  hls::stream<gelu_word_t> in_s, out_s;
  for (long i = 0; i < x.size(); ++i) {
    gelu_word_t w = 0;
    for (int l = 0; l < kGeluTopLanes; ++l) w((l + 1) * kActBits - 1, l * kActBits) = ap_uint<kActBits>(x[i]);
    in_s.write(w);
    gelu_top(in_s, out_s);
    const gelu_word_t o = out_s.read();
    for (int l = 0; l < kGeluTopLanes; ++l) chk.expect(y, i, act_t(o((l + 1) * kActBits - 1, l * kActBits)).to_int64());
  }
  // Four lanes per beat: lane l of beat b carries element 4b + l.
  const int L = 4;
  for (long b = 0; b * L < x.size(); ++b) {
    ap_uint<L * kActBits> w = 0;
    for (int l = 0; l < L && b * L + l < x.size(); ++l) w((l + 1) * kActBits - 1, l * kActBits) = ap_uint<kActBits>(x[b * L + l]);
    const ap_uint<L * kActBits> o = gelu_beat<L>(w);
    for (int l = 0; l < L && b * L + l < x.size(); ++l) chk.expect(y, b * L + l, act_t(o((l + 1) * kActBits - 1, l * kActBits)).to_int64());
  }
  chk.add_cases(x.size());
}

int main(int argc, char** argv) { return run_main(argc, argv, "gelu", body); }
