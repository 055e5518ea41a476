// The GEMM libraries compared by gemm_libs (bench/gemm_libs/main.cc), one file each so their
// headers never meet. Every product is row-major C (M, N) = op(A) op(B), beta 0.
#pragma once
#include <functional>
#include <string>

struct Shape {
  std::string name;  // e.g. "critic fwd 512x512"
  bool ta, tb;       // op(A) = A^T, op(B) = B^T
  int M, N, K;
  double flop() const { return 2.0 * M * N * K; }
  int lda() const { return ta ? M : K; }  // row strides of the stored A (K, M) or (M, K)
  int ldb() const { return tb ? K : N; }
};

// C = op(A) op(B) for one prepared shape; empty when the library cannot do the shape
using Product = std::function<void(const float* A, const float* B, float* C)>;
// the bf16 products (bf16 inputs converted from these float arrays once, fp32 accumulation)
using Bf16Product = std::function<void(float* C)>;

Product eigen_product(const Shape& s);     // Eigen 3.4 (crossq's seam, its default build)
Product openblas_product(const Shape& s);  // OpenBLAS cblas_sgemm
Product blis_product(const Shape& s);      // BLIS (serial) bli_sgemm
Product onednn_product(const Shape& s);    // oneDNN matmul primitive, fp32
Product xsmm_product(const Shape& s);      // libxsmm JIT (small products only)
// oneDNN matmul with bf16 inputs and fp32 output; A and B are converted once here
Bf16Product onednn_bf16_product(const Shape& s, const float* A, const float* B);

void openblas_threads(int n);
void onednn_threads(int n);
std::string onednn_isa();  // the instruction set oneDNN dispatched to on this CPU
