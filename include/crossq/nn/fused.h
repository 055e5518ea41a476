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

namespace crossq::nn {

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
