// The golden fixtures' reader (the CQGF format the generators in tools/ write: named float32
// tensors), shared by the tests that check an agent against its PyTorch reference.
#pragma once
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace crossq::golden {

struct Fixture {
  std::map<std::string, std::vector<double>> t;
  double scalar(const std::string& k) const { return (*this)[k].at(0); }
  const std::vector<double>& operator[](const std::string& k) const {
    auto it = t.find(k);
    if (it == t.end()) throw std::runtime_error("fixture has no tensor " + k);
    return it->second;
  }
};

inline Fixture load(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open " + path);
  char magic[4];
  uint32_t version, count;
  f.read(magic, 4);
  f.read(reinterpret_cast<char*>(&version), 4);
  f.read(reinterpret_cast<char*>(&count), 4);
  if (std::memcmp(magic, "CQGF", 4) != 0 || version != 1) throw std::runtime_error("bad fixture");
  Fixture fx;
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t len, ndim;
    f.read(reinterpret_cast<char*>(&len), 4);
    std::string name(len, '\0');
    f.read(name.data(), len);
    f.read(reinterpret_cast<char*>(&ndim), 4);
    size_t n = 1;
    for (uint32_t d = 0; d < ndim; ++d) {
      uint32_t dim;
      f.read(reinterpret_cast<char*>(&dim), 4);
      n *= dim;
    }
    std::vector<float> data(n);
    f.read(reinterpret_cast<char*>(data.data()), static_cast<std::streamsize>(n * 4));
    fx.t[name] = std::vector<double>(data.begin(), data.end());
  }
  if (!f) throw std::runtime_error("truncated fixture");
  return fx;
}

inline std::vector<float> to_f(const std::vector<double>& v) { return {v.begin(), v.end()}; }

}  // namespace crossq::golden
