// Shared C-simulation harness: bit-exact comparison with counts, argument handling, and the
// conversions from golden vector arrays to the tops' DDR layouts.
//
// Every tb_<kernel> binary takes one or more vector folders, runs the kernel's top function on
// each, compares every output value with the golden one and prints
//   <kernel>: N vectors bit-exact (M output values)
// (N = test cases: elements, rows or tokens) and exits 0, or lists the first mismatches and
// exits 1. Vector errors (missing, truncated, mis-shaped files) print "error: ..." and exit 2.
#ifndef EDGEMOE_TB_COMMON_H
#define EDGEMOE_TB_COMMON_H

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "edgemoe_params.h"
#include "vectors.h"

namespace edgemoe {
namespace tb {

class Checker {
 public:
  explicit Checker(const std::string& kernel) : kernel_(kernel) {}

  // Compare one output value; `want` is the golden array, `i` the flat index in it.
  void expect(const Array& want, long i, int64_t got) {
    ++values_;
    if (got == want[i]) return;
    if (++bad_ <= 10) {
      std::printf("%s: MISMATCH %s[%ld] (shape %s): got %lld, expected %lld\n", kernel_.c_str(), want.path.c_str(), i,
                  shape_str(want.shape).c_str(), static_cast<long long>(got), static_cast<long long>(want[i]));
    }
  }

  // A status the top returned over AXI-Lite: anything but 0 is a refused argument.
  void expect_ok(int status, const std::string& what) {
    if (status != 0) throw VectorError(what + ": the top refused its arguments (status " + std::to_string(status) + ")");
  }

  // A kernel fault that is not a value comparison (e.g. values left over in an output stream).
  void fail(const std::string& what) {
    ++values_;
    if (++bad_ <= 10) std::printf("%s: MISMATCH %s\n", kernel_.c_str(), what.c_str());
  }

  void add_cases(long n) { cases_ += n; }

  int finish() const {
    if (values_ == 0) {
      std::printf("%s: error: no output values were compared\n", kernel_.c_str());
      return 1;
    }
    if (bad_) {
      std::printf("%s: FAILED: %ld of %ld output values differ from the golden model\n", kernel_.c_str(), bad_, values_);
      return 1;
    }
    std::printf("%s: %ld vectors bit-exact (%ld output values)\n", kernel_.c_str(), cases_, values_);
    return 0;
  }

 private:
  std::string kernel_;
  long cases_ = 0;
  long values_ = 0;
  long bad_ = 0;
};

typedef void (*Body)(Checker&, const VectorSet&);

inline int run_main(int argc, char** argv, const char* kernel, Body body) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s VECTOR_DIR [VECTOR_DIR ...]  (folders written by `edgemoe vectors --kernel %s`)\n",
                 argv[0], kernel);
    return 2;
  }
  Checker chk(kernel);
  try {
    for (int i = 1; i < argc; ++i) {
      const VectorSet v(argv[i]);
      body(chk, v);
    }
  } catch (const VectorError& e) {
    std::printf("%s: error: %s\n", kernel, e.what());
    std::fflush(stdout);
    return 2;
  }
  return chk.finish();
}

// ---- conversions to the tops' memory layouts

inline std::vector<int32_t> as_i32(const Array& a) { return std::vector<int32_t>(a.data.begin(), a.data.end()); }
inline std::vector<int16_t> as_i16(const Array& a) { return std::vector<int16_t>(a.data.begin(), a.data.end()); }

// Exponent fields frac - frac_min of a row-scaled array (fracs as the golden writes them).
inline std::vector<uint8_t> exp_fields(const Array& frac, int frac_min, int exp_bits) {
  std::vector<uint8_t> out(frac.data.size());
  for (size_t i = 0; i < out.size(); ++i) {
    const int64_t f = frac.data[i] - frac_min;
    if (f < 0 || f >= (1 << exp_bits)) {
      throw VectorError(frac.path + ": exponent " + std::to_string(frac.data[i]) + " at index " + std::to_string(i) +
                        " lies outside [" + std::to_string(frac_min) + ", " +
                        std::to_string(frac_min + (1 << exp_bits) - 1) + "]");
    }
    out[i] = static_cast<uint8_t>(f);
  }
  return out;
}
inline std::vector<uint8_t> w_exps(const Array& frac) { return exp_fields(frac, kWFracMin, kWExpBits); }
inline std::vector<uint8_t> b_exps(const Array& frac) { return exp_fields(frac, kBFracMin, kBExpBits); }

}  // namespace tb
}  // namespace edgemoe

#endif  // EDGEMOE_TB_COMMON_H
