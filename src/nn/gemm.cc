#include "crossq/nn/gemm.h"

#include <cstddef>

#include <Eigen/Core>

#include "crossq/core/parallel.h"

#ifdef CROSSQ_GEMM_OPENBLAS
#include <cblas.h>
extern "C" void openblas_set_num_threads(int);
#endif
#ifdef CROSSQ_GEMM_ONEDNN
#include <oneapi/dnnl/dnnl.h>
extern "C" void omp_set_num_threads(int);  // GNU OpenMP, oneDNN's threading in Debian's build
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

#ifdef CROSSQ_GEMM_OPENBLAS
void backend_gemm(bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda,
                  const float* B, int ldb, float beta, float* C, int ldc) {
  if (N == 1 || M == 1) {  // matrix-vector shapes: BLAS GEMM is slow here (about 8 GFLOP/s measured)
    eigen_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N,
              K, alpha, A, lda, B, ldb, beta, C, ldc);
}
#elif defined(CROSSQ_GEMM_ONEDNN)
// oneDNN's BLAS-like sgemm: its kernels are JIT-compiled for the CPU it runs on (AVX-512,
// AVX2, ...), whatever the environment says. It mallocs its packing buffers on every call
// (measured: about 26 allocations per update product), so this build breaks crossq's rule of
// no allocation inside an update; and a product split over two lanes is not bit-identical to
// the whole one. It is a build option for that reason (docs/performance.md).
void backend_gemm(bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda,
                  const float* B, int ldb, float beta, float* C, int ldc) {
  if (N == 1 || M == 1) {  // matrix-vector shapes: Eigen's in-place form
    eigen_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  thread_local bool single = (omp_set_num_threads(1), true);  // the lanes are the parallelism
  (void)single;
  if (dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, alpha, A, lda, B, ldb, beta, C, ldc) != dnnl_success)
    eigen_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);  // unreachable for valid shapes
}
#else
void backend_gemm(bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda,
                  const float* B, int ldb, float beta, float* C, int ldc) {
  eigen_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
#endif

// the lanes of the innermost GemmSplit on this thread (none: products run on the caller)
thread_local LanePair* t_split = nullptr;

// products below this many multiply-adds are not worth a hand-off to the other lane (about
// 10 us of synchronization against about 1 ms of work at this size)
constexpr long long kSplitMinWork = 1LL << 21;

}  // namespace

GemmSplit::GemmSplit(LanePair* lanes) : prev_(t_split) { t_split = lanes; }
GemmSplit::~GemmSplit() { t_split = prev_; }
LanePair* GemmSplit::active() { return t_split; }

void gemm(bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda,
          const float* B, int ldb, float beta, float* C, int ldc) {
  LanePair* lanes = t_split;
  if (lanes == nullptr || lanes->threads() < 2 || M < 32 ||
      static_cast<long long>(M) * N * K < kSplitMinWork) {
    backend_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  // rows [0, m0) on this thread, [m0, M) on the worker; m0 a multiple of 16 (whole register
  // blocks of the micro-kernels). Each row of C is computed whole by one lane.
  const int m0 = ((M / 2) + 15) / 16 * 16;
  auto half = [&](int lane) {
    const int r0 = lane == 0 ? 0 : m0, rows = lane == 0 ? m0 : M - m0;
    if (rows <= 0) return;
    // op(A)'s rows r0..: A's rows when A is stored (M,K), its columns when stored (K,M)
    const float* a = ta ? A + r0 : A + static_cast<std::ptrdiff_t>(r0) * lda;
    backend_gemm(ta, tb, rows, N, K, alpha, a, lda, B, ldb, beta,
                 C + static_cast<std::ptrdiff_t>(r0) * ldc, ldc);
  };
  lanes->run(half);
}

#ifdef CROSSQ_GEMM_OPENBLAS
const char* gemm_backend() { return "openblas"; }
void gemm_set_single_threaded() { openblas_set_num_threads(1); }
#elif defined(CROSSQ_GEMM_ONEDNN)
const char* gemm_backend() { return "onednn"; }
void gemm_set_single_threaded() { omp_set_num_threads(1); }  // per thread: each lane calls it
#else
const char* gemm_backend() { return "eigen"; }
void gemm_set_single_threaded() {}
#endif

// double precision is for gradient checks only: always Eigen
void gemm(bool ta, bool tb, int M, int N, int K, double alpha, const double* A, int lda,
          const double* B, int ldb, double beta, double* C, int ldc) {
  eigen_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

}  // namespace crossq
