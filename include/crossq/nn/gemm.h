// The one seam through which every matrix product goes. Row-major, BLAS-like semantics:
//   C (M,N) = alpha * op(A) (M,K) * op(B) (K,N) + beta * C
// op(X) is X or X^T per the trans flags; lda/ldb/ldc are row strides. The backend is chosen at
// build time with -DCROSSQ_GEMM=openblas (the default: OpenBLAS loaded at run time with the
// kernels of the CPU) | eigen | onednn.
#pragma once
#include <vector>

namespace crossq {

class LanePair;

void gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda,
          const float* B, int ldb, float beta, float* C, int ldc);
void gemm(bool trans_a, bool trans_b, int M, int N, int K, double alpha, const double* A, int lda,
          const double* B, int ldb, double beta, double* C, int ldc);

// While a GemmSplit is alive on a thread, the large single-precision products that thread
// issues run half on each lane of `lanes`: the rows of C are split in two, lane 0 (the caller)
// computes the first half and lane 1 (the worker) the second. For an agent whose one critic
// would leave the second lane idle (SimBa); the caller must not itself be inside lanes->run.
// Scopes nest (the innermost wins) and never allocate.
class GemmSplit {
 public:
  explicit GemmSplit(LanePair* lanes);
  ~GemmSplit();
  GemmSplit(const GemmSplit&) = delete;
  GemmSplit& operator=(const GemmSplit&) = delete;

  // the lanes of the innermost scope on this thread, or nullptr; element-wise kernels over
  // large buffers (AdamW, Polyak) split their ranges over them too
  static LanePair* active();

 private:
  LanePair* prev_;
};

// The precision of the float products a thread issues. kBf16 rounds op(A) and op(B) to bfloat16
// (round to nearest even) and accumulates in fp32 into the fp32 C (oneDNN's bf16 GEMM, which
// uses AVX512-BF16 or AMX); everything outside the products stays fp32. Matrix-vector shapes
// (M or N is 1: acting on one observation) stay fp32.
enum class MatmulPrecision : unsigned { kFp32 = 0, kBf16 = 1 };

// While a GemmPrecision is alive on a thread, that thread's float products, and those it hands
// to the other lane through LanePair::run, use its precision. Scopes nest; never allocates.
class GemmPrecision {
 public:
  explicit GemmPrecision(MatmulPrecision p);
  ~GemmPrecision();
  GemmPrecision(const GemmPrecision&) = delete;
  GemmPrecision& operator=(const GemmPrecision&) = delete;
  static MatmulPrecision current();

 private:
  unsigned prev_;
};

// While a GemmRecording is alive, every float product the seam computes (after a GemmSplit
// has split it: what each lane actually runs) is recorded with its shape and lane. For
// benchmarks: `crossq bench update` replays an update's products alone for its GEMM bound.
// One recording at a time; recording takes a lock per product, so never in a timed run.
struct GemmCall {
  bool trans_a, trans_b;
  int M, N, K;
  int lane;  // lane_index() of the thread that ran it
};
class GemmRecording {
 public:
  GemmRecording();
  ~GemmRecording();
  GemmRecording(const GemmRecording&) = delete;
  GemmRecording& operator=(const GemmRecording&) = delete;
  std::vector<GemmCall> calls() const;  // in the order they ran (interleaved across lanes)
};

// "fp32" / "bf16"
const char* matmul_precision_name(MatmulPrecision p);
// whether bf16 products run here: this build has oneDNN and the CPU has AVX512-BF16. When not,
// `why` says which is missing.
bool bf16_available(const char** why = nullptr);

// the backend's name, for benchmarks and logs: "openblas" (the default build), "eigen" or
// "onednn"; "eigen" too when an OpenBLAS build could not load the library
const char* gemm_backend();
// the backend with its kernels, e.g. "openblas, Cooperlake kernels", or why it fell back
const char* gemm_detail();
// keeps the backend single-threaded (crossq parallelizes over critics instead)
void gemm_set_single_threaded();

}  // namespace crossq
