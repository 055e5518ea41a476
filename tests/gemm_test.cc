// The GEMM seam against a naive triple loop, every transpose combination and the vector shapes
// (M = 1 and N = 1 take their own path), with strides and beta.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "crossq/nn/gemm.h"
#include "crossq/nn/params.h"
#include "crossq/core/parallel.h"
#include "crossq/core/rng.h"
#include "cli_util.h"

#include <nlohmann/json.hpp>

namespace crossq {
namespace {

template <class T>
void check_shape(bool ta, bool tb, int M, int N, int K, T alpha, T beta, Rng& rng) {
  const int lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 2, ldc = N + 1;  // padded rows
  std::vector<T> A((ta ? K : M) * lda), B((tb ? N : K) * ldb), C(M * ldc), want;
  for (auto& x : A) x = static_cast<T>(rng.normal());
  for (auto& x : B) x = static_cast<T>(rng.normal());
  for (auto& x : C) x = static_cast<T>(rng.normal());
  want = C;
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) {
      double s = 0;
      for (int k = 0; k < K; ++k)
        s += static_cast<double>(ta ? A[k * lda + i] : A[i * lda + k]) * (tb ? B[j * ldb + k] : B[k * ldb + j]);
      want[i * ldc + j] = static_cast<T>(alpha * s + (beta == T(0) ? 0.0 : beta * static_cast<double>(want[i * ldc + j])));
    }
  gemm(ta, tb, M, N, K, alpha, A.data(), lda, B.data(), ldb, beta, C.data(), ldc);
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j)
      ASSERT_NEAR(C[i * ldc + j], want[i * ldc + j], sizeof(T) == 4 ? 1e-4 * (1 + K) : 1e-10)
          << "ta " << ta << " tb " << tb << " M " << M << " N " << N << " K " << K << " at " << i << "," << j;
}

TEST(Gemm, MatchesNaiveForEveryShapeKind) {
  Rng rng(1);
  const int shapes[][3] = {{7, 5, 3}, {1, 9, 6}, {8, 1, 5}, {1, 1, 4}, {33, 17, 65}, {4, 6, 1}};
  for (const auto& s : shapes)
    for (bool ta : {false, true})
      for (bool tb : {false, true}) {
        check_shape<float>(ta, tb, s[0], s[1], s[2], 1.f, 0.f, rng);
        check_shape<float>(ta, tb, s[0], s[1], s[2], 0.5f, 1.f, rng);
        check_shape<double>(ta, tb, s[0], s[1], s[2], 1.0, 0.0, rng);
        check_shape<double>(ta, tb, s[0], s[1], s[2], 2.0, 0.5, rng);
      }
}

// bf16 products: op(A) and op(B) rounded to bfloat16, accumulated in fp32. Against a double
// loop over the same rounded inputs: equal within fp32 accumulation (1e-5 relative to the sum of
// |terms|); against the fp32 product: within bf16's rounding of the inputs (2^-8 relative per
// input, so 1e-2 of the sum of |terms|). Matrix-vector shapes stay fp32 (exact to 1e-4 as
// above). Strides, beta and every transpose kind; the scope reaches the other lane.
float bf16_round(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  u = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
  std::memcpy(&f, &u, 4);
  return f;
}

void check_bf16_shape(bool ta, bool tb, int M, int N, int K, float alpha, float beta, Rng& rng) {
  const int lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 2, ldc = N + 1;
  std::vector<float> A((ta ? K : M) * lda), B((tb ? N : K) * ldb), C(M * ldc);
  for (auto& x : A) x = static_cast<float>(rng.normal());
  for (auto& x : B) x = static_cast<float>(rng.normal());
  for (auto& x : C) x = static_cast<float>(rng.normal());
  const std::vector<float> C0 = C;
  {
    const GemmPrecision bf16(MatmulPrecision::kBf16);
    gemm(ta, tb, M, N, K, alpha, A.data(), lda, B.data(), ldb, beta, C.data(), ldc);
  }
  const bool vector_shape = M == 1 || N == 1;
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) {
      double rounded = 0, exact = 0, size = 0;
      for (int k = 0; k < K; ++k) {
        const float a = ta ? A[k * lda + i] : A[i * lda + k], b = tb ? B[j * ldb + k] : B[k * ldb + j];
        rounded += static_cast<double>(bf16_round(a)) * bf16_round(b);
        exact += static_cast<double>(a) * b;
        size += std::abs(static_cast<double>(a) * b);
      }
      const double c0 = C0[i * ldc + j], got = C[i * ldc + j];
      const double base = beta == 0.f ? 0.0 : beta * c0;
      const std::string at = "ta " + std::to_string(ta) + " tb " + std::to_string(tb) + " M " + std::to_string(M) +
                             " N " + std::to_string(N) + " K " + std::to_string(K);
      if (vector_shape) {
        ASSERT_NEAR(got, alpha * exact + base, 1e-4 * (1 + K)) << at << " (fp32 path)";
        continue;
      }
      ASSERT_NEAR(got, alpha * rounded + base, 1e-5 * (1 + std::abs(alpha) * size)) << at;
      ASSERT_NEAR(got, alpha * exact + base, 1e-2 * (1 + std::abs(alpha) * size)) << at;
    }
}

TEST(Gemm, Bf16ProductsMatchTheRoundedInputsProduct) {
  if (!bf16_available()) GTEST_SKIP() << "no bf16 products on this machine or build";
  Rng rng(3);
  const int shapes[][3] = {{7, 5, 3}, {1, 9, 6}, {8, 1, 5}, {33, 17, 65}, {4, 6, 1}, {64, 96, 37}, {512, 40, 23}};
  for (const auto& s : shapes)
    for (bool ta : {false, true})
      for (bool tb : {false, true}) {
        check_bf16_shape(ta, tb, s[0], s[1], s[2], 1.f, 0.f, rng);
        check_bf16_shape(ta, tb, s[0], s[1], s[2], 0.5f, 1.f, rng);
        check_bf16_shape(ta, tb, s[0], s[1], s[2], -1.f, 0.25f, rng);
      }
  // the precision is the scope's, and a lane job runs with its caller's
  EXPECT_EQ(GemmPrecision::current(), MatmulPrecision::kFp32);
  LanePair lanes(2);
  MatmulPrecision seen[2] = {MatmulPrecision::kFp32, MatmulPrecision::kFp32};
  {
    const GemmPrecision bf16(MatmulPrecision::kBf16);
    lanes.run([&](int lane) { seen[lane] = GemmPrecision::current(); });
  }
  EXPECT_EQ(seen[0], MatmulPrecision::kBf16);
  EXPECT_EQ(seen[1], MatmulPrecision::kBf16);
  lanes.run([&](int lane) { seen[lane] = GemmPrecision::current(); });
  EXPECT_EQ(seen[1], MatmulPrecision::kFp32);
}

// GemmSplit: the rows of C split over two lanes, every transpose kind, odd row counts, strides
// and beta; each row is computed whole by one lane, so the result equals the one-lane product
// bit for bit (and the naive loop within rounding)
TEST(Gemm, SplitOverTwoLanesMatchesTheOneLaneProduct) {
  LanePair lanes(2);
  Rng rng(2);
  const int shapes[][3] = {{256, 256, 64}, {97, 160, 150}, {40, 300, 200}, {31, 512, 512}};
  for (const auto& s : shapes)
    for (bool ta : {false, true})
      for (bool tb : {false, true})
        for (float beta : {0.f, 1.f, 0.5f}) {
          const int M = s[0], N = s[1], K = s[2];
          const int lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 2, ldc = N + 1;
          std::vector<float> A((ta ? K : M) * lda), B((tb ? N : K) * ldb), C(M * ldc);
          for (auto& x : A) x = static_cast<float>(rng.normal());
          for (auto& x : B) x = static_cast<float>(rng.normal());
          for (auto& x : C) x = static_cast<float>(rng.normal());
          std::vector<float> one = C;
          gemm(ta, tb, M, N, K, 0.5f, A.data(), lda, B.data(), ldb, beta, one.data(), ldc);
          {
            const GemmSplit split(&lanes);
            gemm(ta, tb, M, N, K, 0.5f, A.data(), lda, B.data(), ldb, beta, C.data(), ldc);
          }
          if (std::string(gemm_backend()) == "onednn") {
            // oneDNN blocks a half-height product differently: equal within rounding only
            for (size_t k = 0; k < C.size(); ++k) ASSERT_NEAR(C[k], one[k], 1e-4f * (1.f + std::abs(one[k])));
            continue;
          }
          ASSERT_EQ(C, one) << "ta " << ta << " tb " << tb << " M " << M << " N " << N << " K " << K
                            << " beta " << beta;
        }
  // and against the naive loop, inside a split scope
  const GemmSplit split(&lanes);
  for (bool ta : {false, true})
    for (bool tb : {false, true}) check_shape<float>(ta, tb, 97, 160, 150, 1.f, 0.f, rng);
}

// AdamW and Polyak split their flat range over the lanes of a GemmSplit when the buffer is large
// (SimBa's 4.35M-parameter critic); the result must be the one-lane result bit for bit, with the
// tensor that straddles the split point keeping its own decay on both sides
TEST(Gemm, AdamWAndPolyakSplitOverTwoLanesMatchOneLane) {
  auto make = [] {
    nn::ParamSet ps;
    ps.add("a.w", 300, 700, 1e-2f);   // 210,000
    ps.add("a.b", 1, 700);            // no decay
    ps.add("b.w", 700, 500, 5e-3f);   // 350,000: holds the midpoint (280,350)
    ps.add("b.b", 1, 501);
    ps.finalize();
    Rng rng(7);
    for (long i = 0; i < ps.size(); ++i) {
      ps.w[i] = static_cast<float>(rng.normal());
      ps.m[i] = static_cast<float>(0.1 * rng.normal());
      ps.v[i] = static_cast<float>(0.01 * std::abs(rng.normal()));
    }
    ps.steps = 4;
    return ps;
  };
  nn::ParamSet one = make(), two = make();
  ASSERT_GE(one.size(), 1L << 19);
  const nn::AdamConfig cfg{1e-3f, 0.9f, 0.999f, 1e-8f};
  std::vector<float> t1(one.size()), t2(one.size());
  Rng rng(9);
  for (long i = 0; i < one.size(); ++i) t1[i] = t2[i] = static_cast<float>(rng.normal());
  LanePair lanes(2);
  for (int step = 0; step < 3; ++step) {
    for (long i = 0; i < one.size(); ++i) one.g[i] = two.g[i] = static_cast<float>(rng.normal());
    nn::adamw_step(one, cfg);
    nn::polyak_update(t1.data(), one.w.data(), one.size(), 0.005f);
    const GemmSplit split(&lanes);
    nn::adamw_step(two, cfg);
    nn::polyak_update(t2.data(), two.w.data(), two.size(), 0.005f);
  }
  EXPECT_EQ(two.steps, one.steps);
  ASSERT_EQ(two.w, one.w);
  ASSERT_EQ(two.m, one.m);
  ASSERT_EQ(two.v, one.v);
  ASSERT_EQ(t2, t1);
  // and the step is AdamW: one element by hand (decay, then the bias-corrected update)
  nn::ParamSet ref = make();
  const long k = 280000;  // inside b.w, past the split point
  const double g = 0.25;
  ref.g.assign(ref.size(), 0.f);
  ref.g[k] = static_cast<float>(g);
  const double w0 = ref.w[k], m0 = ref.m[k], v0 = ref.v[k];
  {
    const GemmSplit split(&lanes);
    nn::adamw_step(ref, cfg);
  }
  const double m = 0.9 * m0 + 0.1 * g, v = 0.999 * v0 + 0.001 * g * g;
  const double bc1 = 1 - std::pow(0.9, 5), bc2 = 1 - std::pow(0.999, 5);
  const double want = w0 * (1 - 1e-3 * 5e-3) - 1e-3 / bc1 * m / (std::sqrt(v) / std::sqrt(bc2) + 1e-8);
  EXPECT_NEAR(ref.w[k], want, 1e-6 * (1 + std::abs(want)));
}

// OpenBLAS picks its kernels from OPENBLAS_CORETYPE when that is set; crossq loads it with the
// variable hidden, so a preset one (these machines preset Haswell) does not slow the products
TEST(Gemm, OpenBlasKernelsFollowTheCpuWhateverOpenblasCoretypeSays) {
  if (std::string(gemm_backend()) != "openblas") GTEST_SKIP() << "not an OpenBLAS build: " << gemm_detail();
  auto detail = [](const std::string& env) {
    const auto r = testutil::run(env + " " + CROSSQ_BINARY + " bench update --hidden 16 --batch 8 --seconds 0.01 --threads 1 --json",
                                 false);
    EXPECT_EQ(r.status, 0) << r.output;
    return nlohmann::json::parse(r.output.substr(r.output.find('{'))).at("gemm_detail").get<std::string>();
  };
  const std::string plain = detail("env -u OPENBLAS_CORETYPE");
  const std::string preset = detail("OPENBLAS_CORETYPE=Prescott");
  ASSERT_EQ(plain.rfind("openblas, ", 0), 0u) << plain;
  EXPECT_EQ(plain.find("Prescott"), std::string::npos) << plain;
  // the same kernels, and the note that the variable was not applied
  EXPECT_EQ(preset, plain + " (chosen from the CPU; OPENBLAS_CORETYPE=Prescott was not applied)");
}

// GemmRecording sees what each lane runs: a split product as its two halves, one per lane
TEST(Gemm, RecordingSeesEachLanesProducts) {
  LanePair lanes(2, &gemm_set_single_threaded);
  const int M = 256, N = 128, K = 128;
  std::vector<float> A(M * K, 0.5f), B(K * N, 0.25f), C(M * N);
  std::vector<GemmCall> calls;
  {
    GemmRecording rec;
    EXPECT_THROW(GemmRecording second, std::logic_error);  // one at a time
    gemm(false, true, 3, N, K, 1.f, A.data(), K, B.data(), K, 0.f, C.data(), N);  // not split: lane 0
    GemmSplit split(&lanes);
    gemm(false, false, M, N, K, 1.f, A.data(), K, B.data(), N, 0.f, C.data(), N);
    calls = rec.calls();
  }
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_TRUE(calls[0].trans_b && calls[0].M == 3 && calls[0].lane == 0);
  int rows[2] = {0, 0};
  for (size_t i = 1; i < 3; ++i) {
    EXPECT_EQ(calls[i].N, N);
    EXPECT_EQ(calls[i].K, K);
    rows[calls[i].lane] += calls[i].M;
  }
  EXPECT_EQ(rows[0], 128);
  EXPECT_EQ(rows[1], 128);
  // nothing is recorded once the recording has ended
  GemmRecording again;
  gemm(false, false, M, N, K, 1.f, A.data(), K, B.data(), N, 0.f, C.data(), N);
  EXPECT_EQ(again.calls().size(), 1u);
}

// `crossq bench update --algo`: another algorithm's whole update against the recorded products;
// sizes are that algorithm's, and what does not apply is refused
TEST(Gemm, BenchUpdateOfAnotherAlgorithmReportsItsRecordedBound) {
  const auto r = testutil::run(std::string(CROSSQ_BINARY) + " bench update --algo bro-fast --obs 5 --act 2 --seconds 0.01 --threads 2 --json", false);
  ASSERT_EQ(r.status, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output.substr(r.output.find('{')));
  EXPECT_EQ(j.at("algo"), "bro-fast");
  EXPECT_GT(j.at("products").get<int>(), 10);
  EXPECT_GT(j.at("gflop_per_update").get<double>(), 0.0);
  EXPECT_GT(j.at("gemm_bound_ms").get<double>(), 0.0);
  EXPECT_LT(j.at("gemm_bound_ms").get<double>(), j.at("ms_per_update").get<double>() * 1.5);
  EXPECT_EQ(j.at("batch").get<int>(), 128);  // BRO's own batch size
  for (const std::string bad : {"--algo simba --hidden 64", "--algo tdmpc2", "--algo nope"}) {
    const auto e = testutil::run(std::string(CROSSQ_BINARY) + " bench update --seconds 0.01 " + bad, false);
    EXPECT_EQ(e.status, 2) << bad << ": " << e.output;
    EXPECT_NE(e.output.find("error"), std::string::npos) << e.output;
  }
}

// `crossq bench tdmpc2` times the update and the planning and the recorded products of each
// alone; a small model, so that the test is quick
TEST(Gemm, BenchTdmpc2ReportsTheBoundsOfItsProducts) {
  const auto r = testutil::run(std::string(CROSSQ_BINARY) + " bench tdmpc2 --task pendulum --seconds 0.01 --threads 2 --json", false);
  ASSERT_EQ(r.status, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output.substr(r.output.find('{')));
  for (const char* k : {"update_ms", "plan_ms", "update_gemm_bound_ms", "plan_gemm_bound_ms", "update_gflop", "plan_gflop"})
    EXPECT_GT(j.at(k).get<double>(), 0.0) << k;
  EXPECT_LT(j.at("update_gemm_bound_ms").get<double>(), 1.5 * j.at("update_ms").get<double>());
  EXPECT_LT(j.at("plan_gemm_bound_ms").get<double>(), 1.5 * j.at("plan_ms").get<double>());
}

}  // namespace
}  // namespace crossq
