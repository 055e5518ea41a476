#include "crossq/nn/gemm.h"

#include <Eigen/Core>

#ifdef CROSSQ_GEMM_OPENBLAS
#include <cblas.h>
extern "C" void openblas_set_num_threads(int);
#endif

namespace crossq {

namespace {

template <class T>
using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using Map = Eigen::Map<const RowMat<T>, 0, Eigen::OuterStride<>>;
template <class T>
using MutMap = Eigen::Map<RowMat<T>, 0, Eigen::OuterStride<>>;

template <class T>
void eigen_gemm(bool ta, bool tb, int M, int N, int K, T alpha, const T* A, int lda, const T* B,
                int ldb, T beta, T* C, int ldc) {
  MutMap<T> c(C, M, N, Eigen::OuterStride<>(ldc));
  // op(A) is (M,K): stored (M,K) or, transposed, (K,M)
  Map<T> a(A, ta ? K : M, ta ? M : K, Eigen::OuterStride<>(lda));
  Map<T> b(B, tb ? N : K, tb ? K : N, Eigen::OuterStride<>(ldb));
  if (beta == T(0)) {
    c.setZero();
  } else if (beta != T(1)) {
    c *= beta;
  }
  if (M == 1) {
    // a row vector times a matrix: as C^T = op(B)^T op(A)^T, a matrix-vector product whose
    // operands Eigen can use in place (the row-vector form makes a heap temporary)
    using Vec = Eigen::Matrix<T, Eigen::Dynamic, 1>;
    Eigen::Map<Vec> cv(C, N);
    Eigen::Map<const Vec, 0, Eigen::InnerStride<>> av(A, K, Eigen::InnerStride<>(ta ? lda : 1));
    if (!tb) cv.noalias() += alpha * b.transpose() * av;
    else cv.noalias() += alpha * b * av;
    return;
  }
  if (!ta && !tb) c.noalias() += alpha * a * b;
  else if (!ta && tb) c.noalias() += alpha * a * b.transpose();
  else if (ta && !tb) c.noalias() += alpha * a.transpose() * b;
  else c.noalias() += alpha * a.transpose() * b.transpose();
}

}  // namespace

#ifdef CROSSQ_GEMM_OPENBLAS
void gemm(bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda,
          const float* B, int ldb, float beta, float* C, int ldc) {
  if (N == 1 || M == 1) {  // matrix-vector shapes: BLAS GEMM is slow here (SPEC 5)
    eigen_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N,
              K, alpha, A, lda, B, ldb, beta, C, ldc);
}
const char* gemm_backend() { return "openblas"; }
void gemm_set_single_threaded() { openblas_set_num_threads(1); }
#else
void gemm(bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda,
          const float* B, int ldb, float beta, float* C, int ldc) {
  eigen_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
const char* gemm_backend() { return "eigen"; }
void gemm_set_single_threaded() {}
#endif

// double precision is for gradient checks only: always Eigen
void gemm(bool ta, bool tb, int M, int N, int K, double alpha, const double* A, int lda,
          const double* B, int ldb, double beta, double* C, int ldc) {
  eigen_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

}  // namespace crossq
