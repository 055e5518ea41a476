#include <cblas.h>

#include "backends.h"

extern "C" void openblas_set_num_threads(int);

void openblas_threads(int n) { openblas_set_num_threads(n); }

Product openblas_product(const Shape& s) {
  return [s](const float* A, const float* B, float* C) {
    cblas_sgemm(CblasRowMajor, s.ta ? CblasTrans : CblasNoTrans, s.tb ? CblasTrans : CblasNoTrans, s.M, s.N, s.K, 1.f,
                A, s.lda(), B, s.ldb(), 0.f, C, s.N);
  };
}
