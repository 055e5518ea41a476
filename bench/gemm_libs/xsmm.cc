#include <libxsmm.h>

#include "backends.h"

Product xsmm_product(const Shape& s) {
  // libxsmm is column-major: row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T,
  // i.e. m = N, n = M with the stored B first. Its JIT covers small products without
  // transposes; other shapes are reported as not supported
  if (s.ta || s.tb) return {};
  const libxsmm_blasint m = s.N, n = s.M, k = s.K, lda = s.N, ldb = s.K, ldc = s.N;
  const float alpha = 1.f, beta = 0.f;
  const int flags = LIBXSMM_GEMM_FLAG_BETA_0;
  const libxsmm_smmfunction f = libxsmm_smmdispatch(m, n, k, &lda, &ldb, &ldc, &alpha, &beta, &flags, nullptr);
  if (!f) return {};
  return [f](const float* A, const float* B, float* C) { f(B, A, C); };
}
