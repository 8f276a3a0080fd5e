// C simulation of exp_top (one beat per call) and of the 4-lane packing, against golden `exp` vectors.
#include "exp_recip.h"
#include "tb_common.h"
#include "tops.h"

using namespace edgemoe;
using namespace edgemoe::tb;

static void body(Checker& chk, const VectorSet& v) {
  const Array d = v.get("d", {-1});
  const Array e = v.get("e", {d.size()});
  hls::stream<exp_in_word_t> in_s;
  hls::stream<exp_out_word_t> out_s;
  for (long i = 0; i < d.size(); ++i) {
    exp_in_word_t w = 0;
    for (int l = 0; l < kExpTopLanes; ++l) w((l + 1) * kActBits - 1, l * kActBits) = ap_uint<kActBits>(d[i]);
    in_s.write(w);
    exp_top(in_s, out_s);
    const exp_out_word_t o = out_s.read();
    for (int l = 0; l < kExpTopLanes; ++l) chk.expect(e, i, ap_uint<kEBits>(o((l + 1) * kEBits - 1, l * kEBits)).to_int64());
  }
  const int L = 4;
  for (long b = 0; b * L < d.size(); ++b) {
    ap_uint<L * kActBits> w = 0;
    for (int l = 0; l < L && b * L + l < d.size(); ++l) w((l + 1) * kActBits - 1, l * kActBits) = ap_uint<kActBits>(d[b * L + l]);
    const ap_uint<L * kEBits> o = exp_beat<L>(w);
    for (int l = 0; l < L && b * L + l < d.size(); ++l) chk.expect(e, b * L + l, ap_uint<kEBits>(o((l + 1) * kEBits - 1, l * kEBits)).to_int64());
  }
  chk.add_cases(d.size());
}

int main(int argc, char** argv) { return run_main(argc, argv, "exp", body); }
