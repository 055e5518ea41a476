#include <blis.h>

#include "backends.h"

Product blis_product(const Shape& s) {
  return [s](const float* A, const float* B, float* C) {
    float one = 1.f, zero = 0.f;
    // row-major: row stride = leading dimension, column stride 1
    bli_sgemm(s.ta ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, s.tb ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, s.M, s.N, s.K,
              &one, const_cast<float*>(A), s.lda(), 1, const_cast<float*>(B), s.ldb(), 1, &zero, C, s.N, 1);
  };
}
