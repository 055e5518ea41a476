// Layers as pairs of free functions, llm.c style: `x_forward(out, cache..., in, params...,
// dims)` and `x_backward(dinp, dparams..., dout, cache..., dims)`. Every tensor is row-major;
// the shape is in the comment beside each pointer. Backward OVERWRITES its outputs (every
// parameter and activation in these networks has exactly one consumer; residual sums are
// added by the caller). Templated on the scalar so the same code runs in float32 (the hot
// path) and float64 (gradient checks). Nothing here allocates.
#pragma once
#include <algorithm>
#include <cmath>

#include "crossq/nn/gemm.h"

namespace crossq::nn {

// ---------------------------------------------------------------- linear

// out = in W^T + b
template <class T>
void linear_forward(T* out,        // (N,O)
                    const T* in,   // (N,I)
                    const T* w,    // (O,I)
                    const T* b,    // (O) or nullptr
                    int N, int I, int O) {
  if (b) {
    for (int n = 0; n < N; ++n) std::copy(b, b + O, out + static_cast<long>(n) * O);
  }
  gemm(false, true, N, O, I, T(1), in, I, w, I, b ? T(1) : T(0), out, O);
}

// din = dout W; dw = dout^T in; db = column sums of dout. Any output may be nullptr.
template <class T>
void linear_backward(T* din,         // (N,I) or nullptr
                     T* dw,          // (O,I) or nullptr
                     T* db,          // (O) or nullptr
                     const T* dout,  // (N,O)
                     const T* in,    // (N,I)
                     const T* w,     // (O,I)
                     int N, int I, int O) {
  if (din) gemm(false, false, N, I, O, T(1), dout, O, w, I, T(0), din, I);
  if (dw) gemm(true, false, O, I, N, T(1), dout, O, in, I, T(0), dw, I);
  if (db) {
    std::fill(db, db + O, T(0));
    for (int n = 0; n < N; ++n) {
      const T* row = dout + static_cast<long>(n) * O;
      for (int o = 0; o < O; ++o) db[o] += row[o];
    }
  }
}

// ---------------------------------------------------------------- relu

template <class T>
void relu_forward(T* out, const T* in, long n) {  // out, in (n); may alias
  for (long i = 0; i < n; ++i) out[i] = in[i] > T(0) ? in[i] : T(0);
}

// din = dout where the forward output was positive
template <class T>
void relu_backward(T* din, const T* dout, const T* out, long n) {  // (n) each; din may alias dout
  for (long i = 0; i < n; ++i) din[i] = out[i] > T(0) ? dout[i] : T(0);
}

// ---------------------------------------------------------------- batch norm

// running statistics and settings of one BatchNorm / Batch Renormalization layer
template <class T>
struct BatchNormRun {
  T* mean;          // (C) running mean
  T* var;           // (C) running (biased) variance
  T momentum;       // running = momentum * running + (1 - momentum) * batch (0.99)
  T eps;            // 1e-3
  bool update;      // update the running statistics (false for target networks)
  bool renorm;      // Batch Renormalization r/d corrections (after its warm-up)
  T r_max, d_max;   // renorm clips (3, 5)
};

// train mode: normalize with the batch statistics (biased variance).
// Plain BN: y = xhat. Renorm: y = xhat * r + d with r = clip(sigma_B / sigma_run, 1/r_max,
// r_max), d = clip((mu_B - mu_run) / sigma_run, -d_max, d_max), both without gradient.
// out = gamma * y + beta. Caches xhat (the plain normalized input), rstd = 1/sigma_B, r, d.
template <class T>
void batchnorm_forward_train(T* out,         // (N,C)
                             T* xhat,        // (N,C) cache
                             T* mean,        // (C) cache: batch mean
                             T* rstd,        // (C) cache: 1/sqrt(var_B + eps)
                             T* r, T* d,     // (C) cache: renorm corrections (1, 0 if plain)
                             const T* in,    // (N,C)
                             const T* gamma, const T* beta,  // (C)
                             const BatchNormRun<T>& run, int N, int C) {
  // batch mean and biased variance, accumulated row by row so the inner loop is contiguous
  std::fill(mean, mean + C, T(0));
  for (int n = 0; n < N; ++n) {
    const T* x = in + static_cast<long>(n) * C;
    for (int c = 0; c < C; ++c) mean[c] += x[c];
  }
  const T inv_n = T(1) / T(N);
  for (int c = 0; c < C; ++c) mean[c] *= inv_n;
  T* var = rstd;  // reuse the rstd buffer for the variance first
  std::fill(var, var + C, T(0));
  for (int n = 0; n < N; ++n) {
    const T* x = in + static_cast<long>(n) * C;
    for (int c = 0; c < C; ++c) {
      const T dx = x[c] - mean[c];
      var[c] += dx * dx;
    }
  }
  for (int c = 0; c < C; ++c) {
    const T v = var[c] * inv_n;
    const T sigma = std::sqrt(v + run.eps);
    if (run.renorm) {
      const T sigma_run = std::sqrt(run.var[c] + run.eps);
      r[c] = std::clamp(sigma / sigma_run, T(1) / run.r_max, run.r_max);
      d[c] = std::clamp((mean[c] - run.mean[c]) / sigma_run, -run.d_max, run.d_max);
    } else {
      r[c] = T(1);
      d[c] = T(0);
    }
    if (run.update) {
      run.mean[c] = run.momentum * run.mean[c] + (T(1) - run.momentum) * mean[c];
      run.var[c] = run.momentum * run.var[c] + (T(1) - run.momentum) * v;
    }
    rstd[c] = T(1) / sigma;
  }
  for (int n = 0; n < N; ++n) {
    const T* x = in + static_cast<long>(n) * C;
    T* xh = xhat + static_cast<long>(n) * C;
    T* y = out + static_cast<long>(n) * C;
    for (int c = 0; c < C; ++c) {
      xh[c] = (x[c] - mean[c]) * rstd[c];
      y[c] = gamma[c] * (xh[c] * r[c] + d[c]) + beta[c];
    }
  }
}

// dgamma = sum dout * (xhat r + d); dbeta = sum dout; with g = dout * gamma * r:
// din = rstd * (g - mean(g) - xhat * mean(g * xhat))
// `scratch` (2C) holds the column sums.
template <class T>
void batchnorm_backward_train(T* din,          // (N,C); may alias dout
                              T* dgamma, T* dbeta,  // (C) or nullptr
                              T* scratch,      // (2C)
                              const T* dout,   // (N,C)
                              const T* xhat,   // (N,C)
                              const T* rstd, const T* r, const T* d,  // (C)
                              const T* gamma,  // (C)
                              int N, int C) {
  T* sum_g = scratch;        // sum over rows of g
  T* sum_gx = scratch + C;   // sum over rows of g * xhat
  std::fill(scratch, scratch + 2 * C, T(0));
  if (dgamma) std::fill(dgamma, dgamma + C, T(0));
  if (dbeta) std::fill(dbeta, dbeta + C, T(0));
  for (int n = 0; n < N; ++n) {
    const T* dy = dout + static_cast<long>(n) * C;
    const T* xh = xhat + static_cast<long>(n) * C;
    for (int c = 0; c < C; ++c) {
      sum_g[c] += dy[c];
      sum_gx[c] += dy[c] * xh[c];
    }
  }
  // here sum_g and sum_gx hold sums of dout; dgamma and dbeta follow from them
  for (int c = 0; c < C; ++c) {
    if (dgamma) dgamma[c] = sum_gx[c] * r[c] + sum_g[c] * d[c];
    if (dbeta) dbeta[c] = sum_g[c];
    const T k = gamma[c] * r[c];
    sum_g[c] *= k / T(N);   // mean(g)
    sum_gx[c] *= k / T(N);  // mean(g * xhat)
  }
  for (int n = 0; n < N; ++n) {
    const T* dy = dout + static_cast<long>(n) * C;
    const T* xh = xhat + static_cast<long>(n) * C;
    T* dx = din + static_cast<long>(n) * C;
    for (int c = 0; c < C; ++c) {
      const T g = dy[c] * gamma[c] * r[c];
      dx[c] = rstd[c] * (g - sum_g[c] - xh[c] * sum_gx[c]);
    }
  }
}

// eval mode: normalize with the running statistics
template <class T>
void batchnorm_forward_eval(T* out, const T* in,  // (N,C)
                            const T* gamma, const T* beta, const T* run_mean, const T* run_var,
                            T eps, int N, int C) {
  for (int n = 0; n < N; ++n) {
    const T* x = in + static_cast<long>(n) * C;
    T* y = out + static_cast<long>(n) * C;
    for (int c = 0; c < C; ++c)
      y[c] = gamma[c] * (x[c] - run_mean[c]) / std::sqrt(run_var[c] + eps) + beta[c];
  }
}

// eval-mode backward, input gradient only (the actor update differentiates through critics
// held in eval mode): din = dout * gamma / sqrt(run_var + eps)
template <class T>
void batchnorm_backward_eval(T* din, const T* dout,  // (N,C); may alias
                             const T* gamma, const T* run_var, T eps, int N, int C) {
  for (int n = 0; n < N; ++n) {
    const T* dy = dout + static_cast<long>(n) * C;
    T* dx = din + static_cast<long>(n) * C;
    for (int c = 0; c < C; ++c) dx[c] = dy[c] * gamma[c] / std::sqrt(run_var[c] + eps);
  }
}

// ---------------------------------------------------------------- layer norm

// per row: out = gamma * (x - mean) * rstd + beta. Caches xhat (N,C) and rstd (N).
template <class T>
void layernorm_forward(T* out, T* xhat, T* rstd,  // (N,C), (N,C), (N)
                       const T* in, const T* gamma, const T* beta,  // (N,C), (C), (C)
                       T eps, int N, int C) {
  for (int n = 0; n < N; ++n) {
    const T* x = in + static_cast<long>(n) * C;
    T m = 0;
    for (int c = 0; c < C; ++c) m += x[c];
    m /= T(C);
    T v = 0;
    for (int c = 0; c < C; ++c) v += (x[c] - m) * (x[c] - m);
    v /= T(C);
    const T rs = T(1) / std::sqrt(v + eps);
    rstd[n] = rs;
    T* xh = xhat + static_cast<long>(n) * C;
    T* y = out + static_cast<long>(n) * C;
    for (int c = 0; c < C; ++c) {
      xh[c] = (x[c] - m) * rs;
      y[c] = gamma[c] * xh[c] + beta[c];
    }
  }
}

// din = rstd * (g - mean(g) - xhat * mean(g xhat)) per row, g = dout * gamma
template <class T>
void layernorm_backward(T* din, T* dgamma, T* dbeta,  // (N,C), (C) or nullptr, (C) or nullptr
                        const T* dout, const T* xhat, const T* rstd, const T* gamma, int N,
                        int C) {
  if (dgamma) std::fill(dgamma, dgamma + C, T(0));
  if (dbeta) std::fill(dbeta, dbeta + C, T(0));
  for (int n = 0; n < N; ++n) {
    const T* dy = dout + static_cast<long>(n) * C;
    const T* xh = xhat + static_cast<long>(n) * C;
    T mg = 0, mgx = 0;
    for (int c = 0; c < C; ++c) {
      const T g = dy[c] * gamma[c];
      mg += g;
      mgx += g * xh[c];
      if (dgamma) dgamma[c] += dy[c] * xh[c];
      if (dbeta) dbeta[c] += dy[c];
    }
    mg /= T(C);
    mgx /= T(C);
    T* dx = din + static_cast<long>(n) * C;
    for (int c = 0; c < C; ++c) dx[c] = rstd[n] * (dy[c] * gamma[c] - mg - xh[c] * mgx);
  }
}

// ---------------------------------------------------------------- tanh-squashed Gaussian

constexpr double kLogStdMin = -20.0, kLogStdMax = 2.0;  // SAC and CrossQ

// head rows are [mean (A) | log_std (A)]; log_std is clipped to [ls_min, 2] (ls_min -20 as in
// SAC and CrossQ; XQC uses -10).
// u = mean + exp(log_std) * eps; action = tanh(u);
// logp = sum_j [ -eps^2/2 - log_std - log(2 pi)/2 - log(1 - tanh(u)^2) ], with the tanh
// correction in the stable form log(1 - tanh(u)^2) = 2 (log 2 - u - softplus(-2u)).
template <class T>
void tanh_gaussian_forward(T* action,     // (N,A)
                           T* logp,       // (N)
                           const T* head, // (N,2A)
                           const T* eps,  // (N,A) standard normal noise
                           int N, int A, T ls_min = T(kLogStdMin)) {
  const T half_log_2pi = T(0.91893853320467274178);
  const T log2 = T(0.69314718055994530942);
  for (int n = 0; n < N; ++n) {
    const T* mu = head + static_cast<long>(n) * 2 * A;
    const T* ls_raw = mu + A;
    const T* e = eps + static_cast<long>(n) * A;
    T* a = action + static_cast<long>(n) * A;
    T lp = 0;
    for (int j = 0; j < A; ++j) {
      const T ls = std::clamp(ls_raw[j], ls_min, T(kLogStdMax));
      const T u = mu[j] + std::exp(ls) * e[j];
      a[j] = std::tanh(u);
      const T m2u = T(-2) * u;  // softplus(-2u), stable for both signs
      const T softplus = m2u > T(0) ? m2u + std::log1p(std::exp(-m2u)) : std::log1p(std::exp(m2u));
      lp += T(-0.5) * e[j] * e[j] - ls - half_log_2pi - T(2) * (log2 - u - softplus);
    }
    logp[n] = lp;
  }
}

// dhead from the gradients of the loss w.r.t. action and logp (eps held fixed):
// d logp / du = 2 tanh(u); du/dmean = 1; du/dlog_std = std * eps; d logp / dlog_std
// (direct) = -1; d action / du = 1 - tanh(u)^2. log_std's clip passes gradient inside
// [ls_min, 2] (inclusive, as torch.clamp).
template <class T>
void tanh_gaussian_backward(T* dhead,          // (N,2A)
                            const T* daction,  // (N,A) or nullptr
                            const T* dlogp,    // (N) or nullptr
                            const T* head,     // (N,2A)
                            const T* eps,      // (N,A)
                            const T* action,   // (N,A) forward output
                            int N, int A, T ls_min = T(kLogStdMin)) {
  for (int n = 0; n < N; ++n) {
    const T* ls_raw = head + static_cast<long>(n) * 2 * A + A;
    const T* e = eps + static_cast<long>(n) * A;
    const T* a = action + static_cast<long>(n) * A;
    T* dmu = dhead + static_cast<long>(n) * 2 * A;
    T* dls = dmu + A;
    const T gl = dlogp ? dlogp[n] : T(0);
    for (int j = 0; j < A; ++j) {
      const T ga = daction ? daction[static_cast<long>(n) * A + j] : T(0);
      const T du = ga * (T(1) - a[j] * a[j]) + gl * T(2) * a[j];
      dmu[j] = du;
      const bool inside = ls_raw[j] >= ls_min && ls_raw[j] <= T(kLogStdMax);
      const T ls = std::clamp(ls_raw[j], ls_min, T(kLogStdMax));
      dls[j] = inside ? du * std::exp(ls) * e[j] - gl : T(0);
    }
  }
}

// the deterministic action tanh(mean)
template <class T>
void tanh_mean(T* action, const T* head, int N, int A) {  // (N,A), (N,2A)
  for (int n = 0; n < N; ++n)
    for (int j = 0; j < A; ++j)
      action[static_cast<long>(n) * A + j] = std::tanh(head[static_cast<long>(n) * 2 * A + j]);
}

// ---------------------------------------------------------------- residual block

// SimBa's pre-LN residual block (Lee et al. 2025): out = x + W2 ReLU(W1 LN(x) + b1) + b2, with W1 (4C,C)
// expanding and W2 (C,4C) projecting back. Caches are (N,C) ln, xhat; (N) rstd; (N,E) h.
template <class T>
struct ResidualCache {
  T* ln;    // (N,C) LN output
  T* xhat;  // (N,C)
  T* rstd;  // (N)
  T* h;     // (N,E) ReLU output
};

template <class T>
void residual_forward(T* out, const ResidualCache<T>& k, const T* in,  // (N,C) out and in
                      const T* ln_g, const T* ln_b,                   // (C)
                      const T* w1, const T* b1, const T* w2, const T* b2,  // (E,C) (E) (C,E) (C)
                      T ln_eps, int N, int C, int E) {
  layernorm_forward(k.ln, k.xhat, k.rstd, in, ln_g, ln_b, ln_eps, N, C);
  linear_forward(k.h, k.ln, w1, b1, N, C, E);
  relu_forward(k.h, k.h, static_cast<long>(N) * E);
  linear_forward(out, k.h, w2, b2, N, E, C);
  for (long i = 0; i < static_cast<long>(N) * C; ++i) out[i] += in[i];
}

// `dh` (N,E) and `dln` (N,C) are scratch
template <class T>
void residual_backward(T* din, T* dln_g, T* dln_b, T* dw1, T* db1, T* dw2, T* db2,
                       T* dh, T* dln, const T* dout, const ResidualCache<T>& k,
                       const T* ln_g, const T* w1, const T* w2, int N, int C, int E) {
  linear_backward(dh, dw2, db2, dout, k.h, w2, N, E, C);
  relu_backward(dh, dh, k.h, static_cast<long>(N) * E);
  linear_backward(dln, dw1, db1, dh, k.ln, w1, N, C, E);
  layernorm_backward(din, dln_g, dln_b, dln, k.xhat, k.rstd, ln_g, N, C);
  for (long i = 0; i < static_cast<long>(N) * C; ++i) din[i] += dout[i];  // the skip path
}

// ---------------------------------------------------------------- BRO block

// BroNet's residual block (Nauman et al. 2024): out = x + LN2(W2 ReLU(LN1(W1 x + b1)) +
// b2), both Linear layers (C,C). Caches: tmp (N,C) pre-LN values, xhat1/xhat2 (N,C),
// rstd1/rstd2 (N), h (N,C) ReLU output.
template <class T>
struct BroBlockCache {
  T* tmp;    // (N,C)
  T* xhat1;  // (N,C)
  T* rstd1;  // (N)
  T* h;      // (N,C)
  T* xhat2;  // (N,C)
  T* rstd2;  // (N)
};

template <class T>
void bro_block_forward(T* out, const BroBlockCache<T>& k, const T* in,   // (N,C) out and in
                       const T* w1, const T* b1, const T* g1, const T* be1,  // (C,C) (C) (C) (C)
                       const T* w2, const T* b2, const T* g2, const T* be2,  // (C,C) (C) (C) (C)
                       T ln_eps, int N, int C) {
  linear_forward(k.tmp, in, w1, b1, N, C, C);
  layernorm_forward(k.h, k.xhat1, k.rstd1, k.tmp, g1, be1, ln_eps, N, C);
  relu_forward(k.h, k.h, static_cast<long>(N) * C);
  linear_forward(k.tmp, k.h, w2, b2, N, C, C);
  layernorm_forward(out, k.xhat2, k.rstd2, k.tmp, g2, be2, ln_eps, N, C);
  for (long i = 0; i < static_cast<long>(N) * C; ++i) out[i] += in[i];
}

// `da`, `db` (N,C) are scratch; `in` is the block's forward input
template <class T>
void bro_block_backward(T* din, T* dw1, T* db1, T* dg1, T* dbe1, T* dw2, T* db2, T* dg2, T* dbe2,
                        T* da, T* db, const T* dout, const BroBlockCache<T>& k, const T* in,
                        const T* w1, const T* g1, const T* w2, const T* g2, int N, int C) {
  layernorm_backward(da, dg2, dbe2, dout, k.xhat2, k.rstd2, g2, N, C);
  linear_backward(db, dw2, db2, da, k.h, w2, N, C, C);
  relu_backward(db, db, k.h, static_cast<long>(N) * C);
  layernorm_backward(da, dg1, dbe1, db, k.xhat1, k.rstd1, g1, N, C);
  linear_backward(din, dw1, db1, da, in, w1, N, C, C);
  if (din)
    for (long i = 0; i < static_cast<long>(N) * C; ++i) din[i] += dout[i];  // the skip path
}

// ---------------------------------------------------------------- quantile Huber loss

// QR-DQN's loss (Dabney et al. 2018), as BRO's distributional critic uses it: pred (N,K) holds
// quantiles at tau_k = (2k + 1) / (2K), k = 0..K-1; target (N,K) holds K samples of the target
// distribution (no gradient). With u = target_j - pred_k and the Huber function
// H(u) = u^2/2 if |u| <= kappa else kappa (|u| - kappa/2):
//   loss = mean_n [ sum_k mean_j |tau_k - 1{u < 0}| H(u) / kappa ].
// Returns the loss; writes d loss / d pred into dpred (N,K) when not null.
template <class T>
double quantile_huber_loss(T* dpred, const T* pred, const T* target, int N, int K, T kappa) {
  double loss = 0;
  const T inv = T(1) / (T(K) * T(N) * kappa);  // mean over j and n, and the 1/kappa
  for (int n = 0; n < N; ++n) {
    const T* p = pred + static_cast<long>(n) * K;
    const T* y = target + static_cast<long>(n) * K;
    T* dp = dpred ? dpred + static_cast<long>(n) * K : nullptr;
    for (int k = 0; k < K; ++k) {
      const T tau = (T(2 * k + 1)) / (T(2 * K));
      T g = 0;
      for (int j = 0; j < K; ++j) {
        const T u = y[j] - p[k];
        const T au = std::abs(u);
        const T w = u < T(0) ? T(1) - tau : tau;  // |tau - 1{u < 0}|
        const T h = au <= kappa ? T(0.5) * u * u : kappa * (au - T(0.5) * kappa);
        loss += static_cast<double>(w * h * inv);
        const T dh_du = au <= kappa ? u : (u > T(0) ? kappa : -kappa);
        g -= w * dh_du;  // du / dpred = -1
      }
      if (dp) dp[k] = g * inv;
    }
  }
  return loss;
}


// ---------------------------------------------------------------- TD-MPC2's layers
// (Hansen et al., ICLR 2024): Mish, SimNorm, dropout, and discrete regression of scalars as
// two-hot targets over bins in symlog space.

// log(1 + e^x), stable for both signs
template <class T>
T softplus(T x) {
  return x > T(0) ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
}

// Mish (Misra 2019): out = x tanh(softplus(x)). With e = exp(x) and q = e (e + 2),
// tanh(log(1 + e)) = q / (q + 2): one exponential per element. Above x = 20, tanh(softplus)
// is 1 to float64 rounding. `out` may alias `in` only when the backward is not needed (the
// backward reads the input).
template <class T>
void mish_forward(T* out, const T* in, long n) {  // (n) each
  for (long i = 0; i < n; ++i) {
    const T x = in[i];
    const T e = std::exp(std::min(x, T(20)));
    const T q = e * (e + T(2));
    out[i] = x > T(20) ? x : x * q / (q + T(2));
  }
}

// d mish / dx = t + x dt/dx with t = q / (q + 2) and dt/dx = 4 e (e + 1) / (q + 2)^2; din may
// alias dout
template <class T>
void mish_backward(T* din, const T* dout, const T* in, long n) {  // (n) each
  for (long i = 0; i < n; ++i) {
    const T x = in[i];
    const T e = std::exp(std::min(x, T(20)));
    const T q = e * (e + T(2)), s = q + T(2);
    const T g = x > T(20) ? T(1) : q / s + x * T(4) * e * (e + T(1)) / (s * s);
    din[i] = dout[i] * g;
  }
}

// SimNorm: each row's C values in groups of `g` consecutive ones, each group a softmax
// (C a multiple of g); out may alias in
template <class T>
void simnorm_forward(T* out, const T* in, int N, int C, int g) {  // (N,C) each
  const long total = static_cast<long>(N) * C;
  for (long s = 0; s < total; s += g) {
    T m = in[s];
    for (int k = 1; k < g; ++k) m = std::max(m, in[s + k]);
    T z = 0;
    for (int k = 0; k < g; ++k) z += (out[s + k] = std::exp(in[s + k] - m));
    const T inv = T(1) / z;
    for (int k = 0; k < g; ++k) out[s + k] *= inv;
  }
}

// per group: din = y (dout - sum(dout y)), y the forward output; din may alias dout
template <class T>
void simnorm_backward(T* din, const T* dout, const T* out, int N, int C, int g) {  // (N,C) each
  const long total = static_cast<long>(N) * C;
  for (long s = 0; s < total; s += g) {
    T dot = 0;
    for (int k = 0; k < g; ++k) dot += dout[s + k] * out[s + k];
    for (int k = 0; k < g; ++k) din[s + k] = out[s + k] * (dout[s + k] - dot);
  }
}

// dropout's mask: each entry 0 with probability p, else 1 / (1 - p) (inverted dropout, so
// evaluation uses no mask); `uniform` returns a draw in [0, 1)
template <class T, class Uniform>
void dropout_mask(T* mask, long n, double p, Uniform&& uniform) {  // (n)
  const T keep = T(1.0 / (1.0 - p));
  for (long i = 0; i < n; ++i) mask[i] = uniform() < p ? T(0) : keep;
}

// out = in * mask, and its backward din = dout * mask (either may alias)
template <class T>
void dropout_apply(T* out, const T* in, const T* mask, long n) {  // (n) each
  for (long i = 0; i < n; ++i) out[i] = in[i] * mask[i];
}

// symlog(x) = sign(x) log(1 + |x|) and its inverse symexp(x) = sign(x) (e^|x| - 1)
template <class T>
T symlog(T x) {
  return std::copysign(std::log1p(std::abs(x)), x);
}
template <class T>
T symexp(T x) {
  return std::copysign(std::expm1(std::abs(x)), x);
}

// the bins of a discrete regression: `bins` values evenly spaced on [vmin, vmax] in symlog
// space (TD-MPC2: 101 bins on [-10, 10])
struct TwoHotBins {
  int bins = 101;
  double vmin = -10.0, vmax = 10.0;
  double width() const { return (vmax - vmin) / (bins - 1); }
  double value(int i) const { return vmin + i * width(); }
};

// the two-hot target of scalars x: symlog(x) clamped to [vmin, vmax] falls between bins i
// and i + 1 with weights 1 - f and f (at vmax: all weight on the last bin)
template <class T>
void two_hot(T* target, const T* x, int N, const TwoHotBins& b) {  // (N,bins), (N)
  for (int n = 0; n < N; ++n) {
    T* t = target + static_cast<long>(n) * b.bins;
    std::fill(t, t + b.bins, T(0));
    const T y = std::clamp(symlog(x[n]), T(b.vmin), T(b.vmax));
    const T pos = (y - T(b.vmin)) / T(b.width());
    const int i = std::min(static_cast<int>(std::floor(pos)), b.bins - 1);
    const T f = pos - T(i);
    t[i] += T(1) - f;
    if (i + 1 < b.bins) t[i + 1] += f;
  }
}

// the row-wise softmax of logits (N,K) into p (N,K); p may alias logits
template <class T>
void softmax_rows(T* p, const T* logits, int N, int K) {
  for (int n = 0; n < N; ++n) {
    const T* l = logits + static_cast<long>(n) * K;
    T* q = p + static_cast<long>(n) * K;
    const T m = *std::max_element(l, l + K);
    T z = 0;
    for (int k = 0; k < K; ++k) z += (q[k] = std::exp(l[k] - m));
    for (int k = 0; k < K; ++k) q[k] /= z;
  }
}

// soft cross-entropy of logits against two-hot targets of x, per row: loss[n] = -sum_k
// t_k log softmax(l)_k. With `dlogits` (may be nullptr) the gradient of sum_n scale[n]
// loss[n] (scale nullptr: all 1): scale[n] (softmax(l) - t), the targets summing to 1.
// `target` (N,bins) is scratch.
template <class T>
void two_hot_cross_entropy(T* loss, T* dlogits, T* target,   // (N), (N,bins) or nullptr, (N,bins)
                           const T* logits, const T* x, const T* scale,  // (N,bins), (N), (N) or nullptr
                           int N, const TwoHotBins& b) {
  two_hot(target, x, N, b);
  const int K = b.bins;
  for (int n = 0; n < N; ++n) {
    const T* l = logits + static_cast<long>(n) * K;
    const T* t = target + static_cast<long>(n) * K;
    const T m = *std::max_element(l, l + K);
    T z = 0;
    for (int k = 0; k < K; ++k) z += std::exp(l[k] - m);
    const T lse = m + std::log(z);
    T ce = 0;
    for (int k = 0; k < K; ++k) ce -= t[k] * (l[k] - lse);
    loss[n] = ce;
    if (dlogits) {
      const T s = scale ? scale[n] : T(1);
      T* d = dlogits + static_cast<long>(n) * K;
      for (int k = 0; k < K; ++k) d[k] = s * (std::exp(l[k] - lse) - t[k]);
    }
  }
}

// the scalar a discrete regression head predicts: symexp(sum_k softmax(l)_k value_k). `p`
// (N,bins) keeps the softmax for the backward.
template <class T>
void two_hot_decode(T* out, T* p, const T* logits, int N, const TwoHotBins& b) {  // (N), (N,bins), (N,bins)
  softmax_rows(p, logits, N, b.bins);
  for (int n = 0; n < N; ++n) {
    const T* q = p + static_cast<long>(n) * b.bins;
    T v = 0;
    for (int k = 0; k < b.bins; ++k) v += q[k] * T(b.value(k));
    out[n] = symexp(v);
  }
}

// dlogits_k = dout e^|v| p_k (value_k - v), v = sum_k p_k value_k (symexp'(v) = e^|v|)
template <class T>
void two_hot_decode_backward(T* dlogits, const T* dout, const T* p, int N, const TwoHotBins& b) {  // (N,bins), (N), (N,bins)
  for (int n = 0; n < N; ++n) {
    const T* q = p + static_cast<long>(n) * b.bins;
    T* d = dlogits + static_cast<long>(n) * b.bins;
    T v = 0;
    for (int k = 0; k < b.bins; ++k) v += q[k] * T(b.value(k));
    const T g = dout[n] * std::exp(std::abs(v));
    for (int k = 0; k < b.bins; ++k) d[k] = g * q[k] * (T(b.value(k)) - v);
  }
}

}  // namespace crossq::nn
