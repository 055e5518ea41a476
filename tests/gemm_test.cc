// The GEMM seam against a naive triple loop, every transpose combination and the vector shapes
// (M = 1 and N = 1 take their own path), with strides and beta.
#include <vector>

#include <gtest/gtest.h>

#include "crossq/nn/gemm.h"
#include "crossq/rng.h"

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

}  // namespace
}  // namespace crossq
