// Fused, vectorized float kernels for the element-wise passes the profile shows outside the
// GEMM. Each one has its plain reference in layers.h (the templates, also run in double by the
// gradient checks); tests/fused_test.cc checks every kernel against its reference, and the
// golden tests run the networks both ways (set_reference_kernels).
//
// With AVX-512 in the build (-march=native on such a CPU) they run 16 floats at a time, with
// a Cephes-style exp (relative error under 2e-7 over the range used); otherwise they call the
// reference. Reductions sum in a different order than the reference loops, so results agree to
// float rounding, not bit for bit.
#pragma once

#include "crossq/nn/layers.h"

namespace crossq::nn {

// ---------------------------------------------------------------- CrossQ's BN trunk
// The trunk's layer is Linear -> ReLU -> BatchNorm. These kernels take the Linear's output
// `a` (N,C) and do the ReLU (in place on `a`, which the backward's ReLU mask reads) and the
// BatchNorm together: the reference is relu_forward, then batchnorm_forward_train (or _eval),
// four passes over memory; the fused form makes two (ReLU and both batch statistics in one,
// summed in double; then the normalization). With relu false it is the BatchNorm alone (the
// trunk's input BN). `dscratch` holds 2C doubles, `scratch` 2C floats.

// train mode (batch statistics; running statistics updated when run.update). xhat may be
// nullptr when no backward follows (target networks).
void relu_batchnorm_forward_train(float* out, float* a, float* xhat, float* mean, float* rstd, float* r,
                                  float* d, double* dscratch, const float* gamma, const float* beta,
                                  const BatchNormRun<float>& run, int N, int C, bool relu);

// eval mode (running statistics): out = relu(a) * s + t with s = gamma / sqrt(var + eps),
// t = beta - mean * s per column
void relu_batchnorm_forward_eval(float* out, float* a, float* scratch, const float* gamma, const float* beta,
                                 const float* run_mean, const float* run_var, float eps, int N, int C, bool relu);

// The backward of the pair: batchnorm_backward_train, then relu_backward with the mask
// relu_out > 0 (relu_out nullptr: no ReLU), and, when db is not null, db = the column sums of
// din (the gradient of the Linear's bias, which linear_backward would sum in another pass).
// Two passes instead of four. din may alias dout.
void batchnorm_relu_backward_train(float* din, float* dgamma, float* dbeta, float* db, float* scratch,
                                   const float* dout, const float* xhat, const float* rstd, const float* r,
                                   const float* d, const float* gamma, const float* relu_out, int N, int C);

// eval-mode BN (input gradient only), then the ReLU mask and the column sums, in one pass
void batchnorm_relu_backward_eval(float* din, float* db, float* scratch, const float* dout, const float* gamma,
                                  const float* run_var, float eps, const float* relu_out, int N, int C);

// LayerNorm over each row of `in` (N,C), then, when `mish`, Mish of the result:
//   ln = gamma * xhat + beta, xhat = (in - mean) * rstd, out = mish(ln)
// the fused form of layernorm_forward followed by mish_forward. xhat (N,C) and rstd (N) are
// what layernorm_backward needs, ln (N,C) what mish_backward needs; with mish false, out is
// not written (ln is the result).
void layernorm_mish_forward(float* out, float* ln, float* xhat, float* rstd, const float* in, const float* gamma,
                            const float* beta, float eps, int N, int C, bool mish);

// din = dout * mish'(in), the reference's formula; din may alias dout
void mish_backward_fast(float* din, const float* dout, const float* in, long n);

// exp of n floats (the kernels' exp, exposed for its test)
void exp_fast(float* out, const float* in, long n);

// Process-wide switch for tests: true makes the networks call the reference kernels instead.
void set_reference_kernels(bool on);
bool reference_kernels();

}  // namespace crossq::nn
