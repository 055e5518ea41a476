#include "crossq/nn/gemm.h"

#include <cstddef>

#include <Eigen/Core>

#include "crossq/core/parallel.h"

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <vector>

#ifdef CROSSQ_HAVE_BF16
#include <immintrin.h>
#include <oneapi/dnnl/dnnl.h>
// oneDNN's bf16 GEMM with fp32 accumulation, row-major like dnnl_sgemm: exported by libdnnl
// (its own benchmarks call it) though not declared in its public headers; bfloat16 is passed as
// its 16 bits. It JIT-compiles for the CPU it runs on and allocates one aligned packing buffer
// per call (measured; dnnl_sgemm mallocs 170 times, the matmul primitive 6), which is why bf16
// is opt-in and the fp32 default is the allocation-free path (docs/performance.md).
extern "C" dnnl_status_t dnnl_gemm_bf16bf16f32(char transa, char transb, dnnl_dim_t M, dnnl_dim_t N, dnnl_dim_t K,
                                              float alpha, const uint16_t* A, dnnl_dim_t lda, const uint16_t* B,
                                              dnnl_dim_t ldb, float beta, float* C, dnnl_dim_t ldc);
#ifndef CROSSQ_GEMM_ONEDNN
extern "C" void omp_set_num_threads(int);
#endif
#endif

#ifdef CROSSQ_GEMM_OPENBLAS
#include <cblas.h>  // for the types and constants only: the library is loaded at run time
#include <dlfcn.h>

#include <cstdlib>
#include <string>
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
// OpenBLAS, loaded by crossq at run time. OpenBLAS picks its kernels once, when it is loaded:
// from OPENBLAS_CORETYPE when that is set, else from the CPU (CPUID). Machines that preset
// OPENBLAS_CORETYPE=Haswell on an AVX-512 CPU lose 17-45% of the products' speed to the AVX2
// kernels, so crossq loads the library itself with the variable hidden for the moment of the
// load (and restored at once): the kernels follow the CPU, on any machine. Were OpenBLAS already
// loaded by something else in the process, dlopen returns that copy with its own choice; the
// kernel name in gemm_detail() says what runs. Without the library, crossq's products run on
// Eigen and gemm_detail() says why.
struct OpenBlas {
  decltype(&cblas_sgemm) sgemm = nullptr;
  std::string detail;
};

const OpenBlas& openblas() {
  static const OpenBlas lib = [] {
    OpenBlas o;
    const char* preset = std::getenv("OPENBLAS_CORETYPE");
    const std::string saved = preset ? preset : "";
    if (preset) unsetenv("OPENBLAS_CORETYPE");
    void* h = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
    const char* err = h ? nullptr : dlerror();
    if (preset) setenv("OPENBLAS_CORETYPE", saved.c_str(), 1);
    if (!h) {
      o.detail = std::string("eigen: OpenBLAS could not be loaded (") + (err ? err : "?") +
                 "); install libopenblas0-pthread (scripts/install-deps.sh) for the faster products";
      return o;
    }
    o.sgemm = reinterpret_cast<decltype(&cblas_sgemm)>(dlsym(h, "cblas_sgemm"));
    auto set_threads = reinterpret_cast<void (*)(int)>(dlsym(h, "openblas_set_num_threads"));
    auto corename = reinterpret_cast<char* (*)()>(dlsym(h, "openblas_get_corename"));
    if (!o.sgemm || !set_threads) {
      o.sgemm = nullptr;
      o.detail = "eigen: the loaded libopenblas.so.0 lacks cblas_sgemm or openblas_set_num_threads";
      return o;
    }
    set_threads(1);  // the lanes are the parallelism (its setting is process-wide)
    o.detail = std::string("openblas, ") + (corename ? corename() : "unknown") + " kernels";
    if (preset) o.detail += " (chosen from the CPU; OPENBLAS_CORETYPE=" + saved + " was not applied)";
    return o;
  }();
  return lib;
}

// OpenBLAS 0.3.21's small-matrix path for AVX-512 (SkylakeX, Cooperlake, Sapphire Rapids
// kernels; taken when M N K <= 100^3) mallocs a buffer on every call of its no-transpose kernel
// when the column-major row count (our N) leaves a remainder of 1-8 rows past a multiple of 16
// and K >= 32: measured over every shape and transpose of a grid by counting malloc
// (NoAllocation.InEveryGemmShape). Those products (a small network's first-layer dX, for
// example) run on Eigen, which does not allocate.
bool openblas_small_kernel_allocates(bool ta, bool tb, int M, int N, int K) {
  const int rest = N % 16;
  return !ta && !tb && rest >= 1 && rest <= 8 && K >= 32 && double(M) * N * K <= 1e6;
}

void backend_gemm(bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda,
                  const float* B, int ldb, float beta, float* C, int ldc) {
  const auto sgemm = openblas().sgemm;
  // matrix-vector shapes: BLAS GEMM is slow here (about 8 GFLOP/s measured)
  if (N == 1 || M == 1 || !sgemm || openblas_small_kernel_allocates(ta, tb, M, N, K)) {
    eigen_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N,
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

#ifdef CROSSQ_HAVE_BF16
// float -> bfloat16, round to nearest even (NaN stays NaN), subnormals flushed to zero as the
// AVX512-BF16 conversion does
inline uint16_t to_bf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7f800000u) == 0) return static_cast<uint16_t>((u >> 16) & 0x8000u);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40u);
  return static_cast<uint16_t>((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

// the stored (rows, cols) matrix at src with row stride ld, into dst densely (row stride cols)
void to_bf16(int rows, int cols, const float* src, int ld, uint16_t* dst) {
  for (int r = 0; r < rows; ++r) {
    const float* s = src + static_cast<std::ptrdiff_t>(r) * ld;
    uint16_t* d = dst + static_cast<std::ptrdiff_t>(r) * cols;
    int c = 0;
#if defined(__AVX512BF16__) && defined(__AVX512BW__) && defined(__AVX512VL__)
    for (; c + 16 <= cols; c += 16) {
      const __m256bh h = _mm512_cvtneps_pbh(_mm512_loadu_ps(s + c));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(d + c), reinterpret_cast<const __m256i&>(h));
    }
    if (c < cols) {  // the last 1-15 columns, masked
      const __mmask16 m = static_cast<__mmask16>((1u << (cols - c)) - 1u);
      const __m256bh h = _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, s + c));
      _mm256_mask_storeu_epi16(d + c, m, reinterpret_cast<const __m256i&>(h));
      c = cols;
    }
#endif
    for (; c < cols; ++c) d[c] = to_bf16(s[c]);
  }
}

// per-thread conversion buffers: they grow on a thread's first products of a size and are
// reused after, so an update allocates nothing once the first has run
struct Bf16Buffers {
  std::vector<uint16_t> a, b;
};
Bf16Buffers& bf16_buffers() {
  thread_local Bf16Buffers buf;
  return buf;
}

void bf16_gemm(bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda,
               const float* B, int ldb, float beta, float* C, int ldc) {
  thread_local bool single = (omp_set_num_threads(1), true);  // the lanes are the parallelism
  (void)single;
  Bf16Buffers& buf = bf16_buffers();
  // op(A) is (M,K): stored (M,K), or (K,M) when transposed; likewise op(B)
  const int ar = ta ? K : M, ac = ta ? M : K, br = tb ? N : K, bc = tb ? K : N;
  const size_t an = static_cast<size_t>(ar) * ac, bn = static_cast<size_t>(br) * bc;
  if (buf.a.size() < an) buf.a.resize(an);
  if (buf.b.size() < bn) buf.b.resize(bn);
  to_bf16(ar, ac, A, lda, buf.a.data());
  to_bf16(br, bc, B, ldb, buf.b.data());
  if (dnnl_gemm_bf16bf16f32(ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, alpha, buf.a.data(), ac, buf.b.data(), bc,
                            beta, C, ldc) != dnnl_success)
    throw std::runtime_error("oneDNN's bf16 GEMM refused a product");  // unreachable for valid shapes
}
#endif

constexpr uint32_t kPrecisionMask = 0x3u;  // the bits of lane_context() that hold the precision

// the lanes of the innermost GemmSplit on this thread (none: products run on the caller)
thread_local LanePair* t_split = nullptr;

// products below this many multiply-adds are not worth a hand-off to the other lane (about
// 10 us of synchronization against about 1 ms of work at this size)
constexpr long long kSplitMinWork = 1LL << 21;

}  // namespace

GemmPrecision::GemmPrecision(MatmulPrecision p) : prev_(lane_context() & kPrecisionMask) {
  lane_context() = (lane_context() & ~kPrecisionMask) | static_cast<uint32_t>(p);
}
GemmPrecision::~GemmPrecision() { lane_context() = (lane_context() & ~kPrecisionMask) | prev_; }
MatmulPrecision GemmPrecision::current() { return static_cast<MatmulPrecision>(lane_context() & kPrecisionMask); }

const char* matmul_precision_name(MatmulPrecision p) { return p == MatmulPrecision::kBf16 ? "bf16" : "fp32"; }

bool bf16_available(const char** why) {
#ifdef CROSSQ_HAVE_BF16
  if (__builtin_cpu_supports("avx512bf16")) return true;
  if (why) *why = "this CPU has no AVX512-BF16 (bf16 dot products)";
  return false;
#else
  if (why) *why = "this build has no oneDNN (install libdnnl-dev, e.g. with scripts/install-deps.sh, and rebuild)";
  return false;
#endif
}

GemmSplit::GemmSplit(LanePair* lanes) : prev_(t_split) { t_split = lanes; }
GemmSplit::~GemmSplit() { t_split = prev_; }
LanePair* GemmSplit::active() { return t_split; }

namespace {

struct Recorder {
  std::mutex mu;
  std::vector<GemmCall> calls;
};
std::atomic<Recorder*> g_recorder{nullptr};

// one product on this thread, in the thread's precision
void lane_gemm(bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda,
               const float* B, int ldb, float beta, float* C, int ldc) {
  if (Recorder* r = g_recorder.load(std::memory_order_relaxed)) {
    std::lock_guard<std::mutex> lock(r->mu);
    r->calls.push_back({ta, tb, M, N, K, lane_index()});
  }
#ifdef CROSSQ_HAVE_BF16
  if ((lane_context() & kPrecisionMask) == static_cast<uint32_t>(MatmulPrecision::kBf16) && M > 1 && N > 1 && K > 0) {
    bf16_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
#endif
  backend_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

}  // namespace

GemmRecording::GemmRecording() {
  auto r = std::make_unique<Recorder>();
  Recorder* expected = nullptr;
  if (!g_recorder.compare_exchange_strong(expected, r.get())) throw std::logic_error("GemmRecording: one recording at a time");
  r.release();  // g_recorder owns it until the destructor
}
GemmRecording::~GemmRecording() { delete g_recorder.exchange(nullptr); }
std::vector<GemmCall> GemmRecording::calls() const {
  Recorder* r = g_recorder.load();
  std::lock_guard<std::mutex> lock(r->mu);
  return r->calls;
}

void gemm(bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda,
          const float* B, int ldb, float beta, float* C, int ldc) {
  LanePair* lanes = t_split;
  if (lanes == nullptr || lanes->threads() < 2 || M < 32 ||
      static_cast<long long>(M) * N * K < kSplitMinWork) {
    lane_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
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
    lane_gemm(ta, tb, rows, N, K, alpha, a, lda, B, ldb, beta, C + static_cast<std::ptrdiff_t>(r0) * ldc, ldc);
  };
  lanes->run(half);
}

#ifdef CROSSQ_GEMM_OPENBLAS
const char* gemm_backend() { return openblas().sgemm ? "openblas" : "eigen"; }
const char* gemm_detail() { return openblas().detail.c_str(); }
void gemm_set_single_threaded() { (void)openblas(); }  // loads it (single-threaded) on first use
#elif defined(CROSSQ_GEMM_ONEDNN)
const char* gemm_backend() { return "onednn"; }
const char* gemm_detail() { return "onednn sgemm, JIT-compiled for this CPU"; }
void gemm_set_single_threaded() { omp_set_num_threads(1); }  // per thread: each lane calls it
#else
const char* gemm_backend() { return "eigen"; }
const char* gemm_detail() { return "eigen, compiled for this build's -march"; }
void gemm_set_single_threaded() {}
#endif

// double precision is for gradient checks only: always Eigen
void gemm(bool ta, bool tb, int M, int N, int K, double alpha, const double* A, int lda,
          const double* B, int ldb, double beta, double* C, int ldc) {
  eigen_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

}  // namespace crossq
