// Reader of the golden vector folders written by `edgemoe vectors` (golden/vectors.py, format 1).
//
// A folder holds manifest.json and one ARRAY.vec per array: '#' header lines (among them
// "# shape: D0 D1 ..."), then every element as a decimal integer, one per line. read() checks
// the header shape against the shape the kernel expects (-1 = any extent) and the element count
// against the header, and throws VectorError naming the file, the expected shape and what it
// found: a missing, truncated, over-long or mis-shaped file never reaches a kernel.
//
// Test-bench code (not synthesized): plain C++14 so Vitis' co-simulation compiles it too.
#ifndef EDGEMOE_TB_VECTORS_H
#define EDGEMOE_TB_VECTORS_H

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

namespace edgemoe {
namespace tb {

class VectorError : public std::runtime_error {
 public:
  explicit VectorError(const std::string& what) : std::runtime_error(what) {}
};

inline std::string shape_str(const std::vector<long>& s) {
  std::string out = "(";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i) out += ", ";
    out += s[i] < 0 ? std::string("*") : std::to_string(s[i]);
  }
  if (s.size() == 1) out += ",";
  return out + ")";
}

inline long shape_count(const std::vector<long>& s) {
  long n = 1;
  for (long d : s) n *= d;
  return n;
}

// One array: C-order data with its shape.
struct Array {
  std::string path;
  std::vector<long> shape;
  std::vector<int64_t> data;

  long size() const { return static_cast<long>(data.size()); }
  long dim(size_t i) const { return shape.at(i); }
  int64_t operator[](long i) const { return data[static_cast<size_t>(i)]; }
  // Element at a multi-index of the array's rank (C order).
  int64_t at(long i0, long i1) const { return data[static_cast<size_t>(i0 * shape[1] + i1)]; }
  int64_t at(long i0, long i1, long i2) const {
    return data[static_cast<size_t>((i0 * shape[1] + i1) * shape[2] + i2)];
  }
};

inline std::string read_file(const std::string& path, const std::vector<long>& expect, const std::string& kernel) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    throw VectorError("missing vector file " + path + " (expected shape " + shape_str(expect) +
                      "); write the folder with `edgemoe vectors --kernel " + (kernel.empty() ? "NAME" : kernel) +
                      " --out DIR`");
  }
  std::string text;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  std::fclose(f);
  return text;
}

// Read and validate ARRAY.vec. `expect` is the shape the kernel needs; -1 matches any extent.
// `kernel` only names the generator in the message about a missing file.
inline Array read_vec(const std::string& path, const std::vector<long>& expect, const std::string& kernel = "") {
  const std::string text = read_file(path, expect, kernel);
  Array a;
  a.path = path;
  bool have_shape = false;
  long line_no = 0;
  long values = 0;
  size_t pos = 0;
  const size_t len = text.size();
  while (pos < len) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = len;
    ++line_no;
    const char* p = text.data() + pos;
    const char* e = text.data() + end;
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\r')) ++p;
    if (p < e && *p == '#') {
      static const std::string key = "# shape:";
      if (text.compare(pos, key.size(), key) == 0) {
        if (have_shape) throw VectorError(path + ":" + std::to_string(line_no) + ": a second '# shape:' line");
        have_shape = true;
        const char* q = text.data() + pos + key.size();
        while (q < e) {
          while (q < e && (*q == ' ' || *q == '\t' || *q == '\r')) ++q;
          if (q >= e) break;
          char* stop = nullptr;
          const long d = std::strtol(q, &stop, 10);
          if (stop == q || d < 0) {
            throw VectorError(path + ":" + std::to_string(line_no) + ": malformed shape header '" +
                              std::string(text.data() + pos, e) + "'");
          }
          a.shape.push_back(d);
          q = stop;
        }
        bool ok = a.shape.size() == expect.size();
        for (size_t i = 0; ok && i < expect.size(); ++i) ok = expect[i] < 0 || expect[i] == a.shape[i];
        if (!ok) {
          throw VectorError(path + " is mis-shaped: the kernel expects shape " + shape_str(expect) +
                            ", the header says " + shape_str(a.shape));
        }
        a.data.reserve(static_cast<size_t>(shape_count(a.shape)));
      }
    } else if (p < e) {
      if (!have_shape) {
        throw VectorError(path + ":" + std::to_string(line_no) + ": data before the '# shape:' header (expected shape " +
                          shape_str(expect) + ")");
      }
      errno = 0;
      char* stop = nullptr;
      const long long v = std::strtoll(p, &stop, 10);
      const char* rest = stop;
      while (rest < e && (*rest == ' ' || *rest == '\t' || *rest == '\r')) ++rest;
      if (stop == p || rest != e || errno == ERANGE) {
        throw VectorError(path + ":" + std::to_string(line_no) + ": expected an integer, found '" +
                          std::string(p, e).substr(0, 40) + "'");
      }
      a.data.push_back(v);
      ++values;
    }
    pos = end + 1;
  }
  if (!have_shape) {
    throw VectorError(path + ": no '# shape:' header line (expected shape " + shape_str(expect) + ", found " +
                      std::to_string(values) + " values)");
  }
  const long need = shape_count(a.shape);
  if (values != need) {
    throw VectorError(path + (values < need ? " is truncated" : " has extra values") + ": shape " +
                      shape_str(a.shape) + " needs " + std::to_string(need) + " values, found " +
                      std::to_string(values));
  }
  return a;
}

// A vector folder: manifest.json plus the .vec files it lists.
class VectorSet {
 public:
  explicit VectorSet(const std::string& dir) : dir_(dir) {
    FILE* f = std::fopen((dir + "/manifest.json").c_str(), "rb");
    if (!f) {
      throw VectorError(dir + " holds no manifest.json: not a vector folder (write it with `edgemoe vectors`)");
    }
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) manifest_.append(buf, n);
    std::fclose(f);
    if (manifest_.find("\"edgemoe-vectors\"") == std::string::npos) {
      throw VectorError(dir + "/manifest.json is not an edgemoe-vectors manifest");
    }
  }

  const std::string& dir() const { return dir_; }

  Array get(const std::string& name, const std::vector<long>& expect) const {
    return read_vec(dir_ + "/" + name + ".vec", expect, param("kernel"));
  }

  // A scalar of the manifest: a string without its quotes ("gelu"), or a bare token as written
  // (true, 129); empty when absent. Enough for the flat "params" the kernels need.
  std::string param(const std::string& key) const {
    const std::string pat = "\"" + key + "\":";
    const size_t at = manifest_.find(pat);
    if (at == std::string::npos) return std::string();
    size_t from = at + pat.size();
    while (from < manifest_.size() && manifest_[from] == ' ') ++from;
    if (from < manifest_.size() && manifest_[from] == '"') {
      const size_t to = manifest_.find('"', from + 1);
      return manifest_.substr(from + 1, to - from - 1);
    }
    const size_t to = manifest_.find_first_of(",}\n", from);
    return manifest_.substr(from, to - from);
  }

 private:
  std::string dir_;
  std::string manifest_;
};

}  // namespace tb
}  // namespace edgemoe

#endif  // EDGEMOE_TB_VECTORS_H
