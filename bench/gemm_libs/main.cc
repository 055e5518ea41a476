// gemm_libs: every GEMM library Debian ships, on the exact products of crossq's updates.
// For each product (forward, dX, dW of every layer) of each network (crossq-wn's critic on the
// 512-row joint batch and its actor, SimBa's and BRO's critics, small 64- and 256-unit
// networks), each library's best time over several trials, checked against a double-precision
// reference; then the sums per network on one lane and on two lanes (two threads, each with its
// own products, as crossq puts one critic on each core), the libraries' own threading on one
// large product, and oneDNN's bf16 products. docs/performance.md reads its table.
//
//   gemm_libs [--seconds S] [--only NETWORK]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "backends.h"
#include "crossq/core/parallel.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Network {
  std::string name;
  std::vector<Shape> products;
};

// forward Y = X W^T, dX = dY W, dW = dY^T X of an MLP with rows R and widths dims[0..L]
Network mlp(const std::string& name, int R, const std::vector<int>& dims) {
  Network n{name, {}};
  for (size_t l = 0; l + 1 < dims.size(); ++l) {
    const int in = dims[l], out = dims[l + 1];
    const std::string tag = std::to_string(in) + "->" + std::to_string(out);
    n.products.push_back({"fwd " + tag, false, true, R, out, in});
    if (l > 0) n.products.push_back({"dX  " + tag, false, false, R, in, out});
    n.products.push_back({"dW  " + tag, true, false, out, in, R});
  }
  return n;
}

// SimBa / BroNet residual blocks: width H, expansion E, `blocks` blocks, input D, outputs O
Network residual(const std::string& name, int R, int D, int H, int E, int blocks, int O) {
  std::vector<int> dims = {D, H};
  Network n = mlp(name, R, dims);
  for (int b = 0; b < blocks; ++b) {
    const Network blk = mlp("", R, {H, E, H});
    for (const Shape& s : blk.products) n.products.push_back(s);
    // dX of the block's first layer feeds the residual stream
    n.products.push_back({"dX  " + std::to_string(H) + "->" + std::to_string(E), false, false, R, H, E});
  }
  const Network head = mlp("", R, {H, O});
  for (const Shape& s : head.products) n.products.push_back(s);
  n.products.push_back({"dX  " + std::to_string(H) + "->" + std::to_string(O), false, false, R, H, O});
  return n;
}

std::vector<Network> networks() {
  return {
      mlp("crossq-wn critic, humanoid (obs 67 act 21), joint 512 rows", 512, {88, 512, 512, 1}),
      mlp("crossq-wn critic, cheetah (obs 17 act 6), joint 512 rows", 512, {23, 512, 512, 1}),
      mlp("crossq-wn actor, humanoid, batch 256", 256, {67, 256, 256, 42}),
      residual("simba critic, humanoid, batch 256 (512, x4)", 256, 88, 512, 2048, 2, 1),
      residual("bro critic, humanoid, batch 128 (512, 2 blocks)", 128, 88, 512, 512, 2, 100),
      mlp("small 64-64 critic, pendulum (obs 3 act 1), joint 512 rows", 512, {4, 64, 64, 1}),
      mlp("small 256-256 critic, cheetah, joint 512 rows", 512, {23, 256, 256, 1}),
  };
}

// crossq's two lanes: the caller and one persistent worker, each single-threaded
crossq::LanePair& lanes2() {
  static crossq::LanePair l(2, [] {
    openblas_threads(1);
    onednn_threads(1);
  });
  return l;
}

struct Lib {
  std::string name;
  Product (*make)(const Shape&);
};

// best seconds per call over `trials` trials of about `seconds / trials` each
double best_time(const std::function<void()>& f, double seconds) {
  for (int k = 0; k < 3; ++k) f();  // first touch, JIT, packing buffers
  const auto t0 = Clock::now();
  f();
  const double one = std::max(1e-7, std::chrono::duration<double>(Clock::now() - t0).count());
  const int trials = 5;
  const int reps = std::max(1, static_cast<int>(seconds / trials / one));
  double best = 1e30;
  for (int t = 0; t < trials; ++t) {
    const auto s = Clock::now();
    for (int r = 0; r < reps; ++r) f();
    best = std::min(best, std::chrono::duration<double>(Clock::now() - s).count() / reps);
  }
  return best;
}

// max relative error of C against the double-precision reference
double check(const Shape& s, const std::vector<float>& A, const std::vector<float>& B, const std::vector<float>& C) {
  double worst = 0;
  for (int i = 0; i < s.M; i += std::max(1, s.M / 37))
    for (int j = 0; j < s.N; j += std::max(1, s.N / 41)) {
      double ref = 0, mag = 0;
      for (int k = 0; k < s.K; ++k) {
        const double a = s.ta ? A[static_cast<size_t>(k) * s.M + i] : A[static_cast<size_t>(i) * s.K + k];
        const double b = s.tb ? B[static_cast<size_t>(j) * s.K + k] : B[static_cast<size_t>(k) * s.N + j];
        ref += a * b;
        mag += std::abs(a * b);
      }
      worst = std::max(worst, std::abs(C[static_cast<size_t>(i) * s.N + j] - ref) / (mag + 1e-30));
    }
  return worst;
}

struct Buffers {
  std::vector<float> A, B, C;
  explicit Buffers(const Shape& s, uint32_t seed)
      : A(static_cast<size_t>(s.M) * s.K), B(static_cast<size_t>(s.K) * s.N), C(static_cast<size_t>(s.M) * s.N) {
    std::mt19937 g(seed);
    std::uniform_real_distribution<float> u(-1.f, 1.f);
    for (auto& x : A) x = u(g);
    for (auto& x : B) x = u(g);
  }
};

}  // namespace

int main(int argc, char** argv) {
  double seconds = 0.15;
  std::string only;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--seconds")) seconds = std::atof(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--only")) only = argv[i + 1];
  }
  openblas_threads(1);
  onednn_threads(1);
  const std::vector<Lib> libs = {{"eigen", eigen_product},   {"openblas", openblas_product},
                                 {"blis", blis_product},     {"onednn", onednn_product},
                                 {"libxsmm", xsmm_product}};
  std::printf("gemm_libs: one lane = one thread; oneDNN dispatches %s on this CPU\n", onednn_isa().c_str());
  std::printf("\n| network | lanes |");
  for (const Lib& l : libs) std::printf(" %s |", l.name.c_str());
  std::printf(" onednn bf16 |\n|---|---|");
  for (size_t k = 0; k <= libs.size(); ++k) std::printf("---|");
  std::printf("\n");
  int failures = 0;
  for (const Network& net : networks()) {
    if (!only.empty() && net.name.find(only) == std::string::npos) continue;
    double total_flop = 0;
    for (const Shape& s : net.products) total_flop += s.flop();
    for (int lanes : {1, 2}) {
      std::printf("| %s | %d |", net.name.c_str(), lanes);
      std::map<std::string, double> sums;
      for (size_t li = 0; li <= libs.size(); ++li) {
        const bool bf16 = li == libs.size();
        double sum = 0;
        bool supported = true;
        for (const Shape& s : net.products) {
          // each lane its own buffers and prepared product
          std::vector<Buffers> buf;
          std::vector<Product> prod;
          std::vector<Bf16Product> prod16;
          for (int l = 0; l < lanes; ++l) {
            buf.emplace_back(s, 7 + l);
            if (bf16) prod16.push_back(onednn_bf16_product(s, buf.back().A.data(), buf.back().B.data()));
            else prod.push_back(libs[li].make(s));
          }
          if ((bf16 && !prod16[0]) || (!bf16 && !prod[0])) {
            supported = false;
            break;
          }
          auto call = [&](int l) {
            if (bf16) prod16[l](buf[l].C.data());
            else prod[l](buf[l].A.data(), buf[l].B.data(), buf[l].C.data());
          };
          double t;
          if (lanes == 1) {
            t = best_time([&] { call(0); }, seconds);
          } else {
            // crossq's two lanes (a persistent worker), each calling its own product
            t = best_time([&] { lanes2().run([&](int l) { call(l); }); }, seconds);
          }
          call(0);
          const double err = check(s, buf[0].A, buf[0].B, buf[0].C);
          const double tol = bf16 ? 2e-2 : 1e-4;  // bf16 inputs keep 8 mantissa bits
          if (err > tol) {
            std::fprintf(stderr, "gemm_libs: %s %s %s: relative error %.2e above %.0e\n", libs[li < libs.size() ? li : 3].name.c_str(),
                         bf16 ? "bf16" : "fp32", s.name.c_str(), err, tol);
            ++failures;
          }
          sum += t;
        }
        if (!supported) {
          std::printf(" n/a |");
          continue;
        }
        // GFLOP/s over all lanes; the time is per set of products
        std::printf(" %.3f ms, %.0f GF/s |", 1e3 * sum, lanes * total_flop / sum * 1e-9);
      }
      std::printf("\n");
      std::fflush(stdout);
    }
  }
  // one large product: two lanes of crossq against each library's own two threads
  const Shape big{"fwd 512x512x512", false, true, 512, 512, 512};
  std::printf("\none product %dx%dx%d, fwd (X W^T):\n", big.M, big.N, big.K);
  for (const char* which : {"openblas", "onednn"}) {
    Buffers b(big, 3);
    Product p = std::string(which) == "openblas" ? openblas_product(big) : onednn_product(big);
    const double t1 = best_time([&] { p(b.A.data(), b.B.data(), b.C.data()); }, seconds * 3);
    if (std::string(which) == "openblas") openblas_threads(2); else onednn_threads(2);
    Product p2 = std::string(which) == "openblas" ? openblas_product(big) : onednn_product(big);
    const double t2 = best_time([&] { p2(b.A.data(), b.B.data(), b.C.data()); }, seconds * 3);
    if (std::string(which) == "openblas") openblas_threads(1); else onednn_threads(1);
    // crossq's lanes: two threads, each its own product of the same shape
    Buffers b2(big, 4);
    Product q = std::string(which) == "openblas" ? openblas_product(big) : onednn_product(big);
    const double tl = best_time(
        [&] {
          lanes2().run([&](int l) {
            if (l == 0) p(b.A.data(), b.B.data(), b.C.data());
            else q(b2.A.data(), b2.B.data(), b2.C.data());
          });
        },
        seconds * 3);
    std::printf("  %-8s 1 thread %.3f ms (%.0f GF/s); its own 2 threads %.3f ms (%.2fx); two lanes, a product each: %.2fx the throughput\n",
                which, 1e3 * t1, big.flop() / t1 * 1e-9, 1e3 * t2, t1 / t2, 2 * t1 / tl);
  }
  if (failures) std::printf("\n%d products differed from the reference (see stderr)\n", failures);
  return failures ? 1 : 0;
}
