#include "crossq/nn/mlp.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "crossq/nn/fused.h"
#include "crossq/nn/layers.h"

namespace crossq::nn {

Mlp::BnLayer Mlp::make_bn(const std::string& name, int C) {
  BnLayer bn;
  bn.C = C;
  bn.gamma = ps_.add(name + ".gamma", 1, C, cfg_.weight_decay);
  bn.beta = ps_.add(name + ".beta", 1, C, cfg_.weight_decay);
  bn.run_offset = static_cast<long>(running_.size());
  running_.resize(running_.size() + 2 * static_cast<size_t>(C), 0.f);
  const size_t rows = static_cast<size_t>(cfg_.max_rows);
  bn.xhat.assign(rows * C, 0.f);
  bn.mean.assign(C, 0.f);
  bn.rstd.assign(C, 0.f);
  bn.r.assign(C, 1.f);
  bn.d.assign(C, 0.f);
  return bn;
}

Mlp::Mlp(const MlpConfig& cfg, Rng& rng) : cfg_(cfg) {
  has_bn_ = cfg.norm != Norm::kNone;
  const size_t rows = static_cast<size_t>(cfg.max_rows);
  const int H = cfg.hidden;
  // parameters, in forward order
  if (has_bn_) {
    in_bn_ = make_bn("bn_in", cfg.in);
    x_bn_.assign(rows * cfg.in, 0.f);
  }
  int fan_in = cfg.in;
  hidden_.resize(static_cast<size_t>(cfg.layers));
  for (int l = 0; l < cfg.layers; ++l) {
    Hidden& hl = hidden_[l];
    const std::string p = "l" + std::to_string(l);
    const float decay = cfg.weight_norm ? 0.f : cfg.weight_decay;  // no decay on WN layers
    hl.w = ps_.add(p + ".w", H, fan_in, decay, cfg.weight_norm, true);
    hl.b = ps_.add(p + ".b", 1, H, decay);
    dense_.push_back(hl.w);
    hl.a.assign(rows * H, 0.f);
    if (has_bn_) {
      hl.bn = make_bn("bn" + std::to_string(l), H);
      hl.h.assign(rows * H, 0.f);
    }
    fan_in = H;
  }
  out_w_ = ps_.add("out.w", cfg.out, fan_in, cfg.weight_decay, false, true);
  out_b_ = ps_.add("out.b", 1, cfg.out, cfg.weight_decay);
  dense_.push_back(out_w_);
  ps_.finalize();
  out_.assign(rows * cfg.out, 0.f);
  const int wide = std::max(H, cfg.in);
  d0_.assign(rows * wide, 0.f);
  d1_.assign(rows * wide, 0.f);
  scratch_.assign(2 * static_cast<size_t>(wide), 0.f);
  dscratch_.assign(2 * static_cast<size_t>(wide), 0.0);
  reinitialize(rng);
}

void Mlp::reinitialize(Rng& rng) {
  if (cfg_.orthogonal_init) {
    const double sqrt2 = std::sqrt(2.0);
    for (const Hidden& hl : hidden_) init_orthogonal_rows(ps_, hl.w, hl.b, 0, cfg_.hidden, sqrt2, rng);
    const int split = std::clamp(cfg_.head_split, 0, cfg_.out);
    if (cfg_.out - split > 0) init_orthogonal_rows(ps_, out_w_, out_b_, 0, cfg_.out - split, sqrt2, rng);
    if (split > 0) init_orthogonal_rows(ps_, out_w_, out_b_, cfg_.out - split, split, 1.0, rng);
  } else {
    for (const Hidden& hl : hidden_) init_uniform_fan_in(ps_, hl.w, hl.b, rng);
    init_uniform_fan_in(ps_, out_w_, out_b_, rng);
  }
  auto init_bn = [&](const BnLayer& bn) {
    if (bn.gamma < 0) return;
    std::fill_n(ps_.param(bn.gamma), bn.C, 1.f);
    std::fill_n(ps_.param(bn.beta), bn.C, 0.f);
    std::fill_n(running_.data() + bn.run_offset, bn.C, 0.f);       // mean
    std::fill_n(running_.data() + bn.run_offset + bn.C, bn.C, 1.f);  // var
  };
  if (has_bn_) {
    init_bn(in_bn_);
    for (const Hidden& hl : hidden_) init_bn(hl.bn);
  }
  bn_updates_ = 0;
  if (cfg_.weight_norm) weight_norm_project(ps_, cfg_.weight_norm_bias);  // at init too
  adam_reset(ps_);
}

void Mlp::copy_from(const Mlp& other) {
  ps_.w = other.ps_.w;
  running_ = other.running_;
  bn_updates_ = other.bn_updates_;
}

void Mlp::bn_forward(BnLayer& bn, float* out, float* in, int N, Mode mode, bool relu) {
  const float* gamma = ps_.param(bn.gamma);
  const float* beta = ps_.param(bn.beta);
  float* rmean = running_.data() + bn.run_offset;
  float* rvar = rmean + bn.C;
  const bool fused = !reference_kernels();
  if (mode == Mode::kEval) {
    if (fused) {
      relu_batchnorm_forward_eval(out, in, scratch_.data(), gamma, beta, rmean, rvar, cfg_.bn_eps, N, bn.C, relu);
      return;
    }
    if (relu) relu_forward(in, in, static_cast<long>(N) * bn.C);
    batchnorm_forward_eval(out, in, gamma, beta, rmean, rvar, cfg_.bn_eps, N, bn.C);
    return;
  }
  BatchNormRun<float> run{rmean,
                          rvar,
                          cfg_.bn_momentum,
                          cfg_.bn_eps,
                          mode == Mode::kTrain,
                          cfg_.norm == Norm::kBatchRenorm && bn_updates_ >= cfg_.brn_warmup,
                          cfg_.brn_r_max,
                          cfg_.brn_d_max};
  if (fused) {
    // a target network's pass (frozen statistics) has no backward: its xhat is not kept
    float* xhat = mode == Mode::kTrain ? bn.xhat.data() : nullptr;
    relu_batchnorm_forward_train(out, in, xhat, bn.mean.data(), bn.rstd.data(), bn.r.data(), bn.d.data(),
                                 dscratch_.data(), gamma, beta, run, N, bn.C, relu);
    return;
  }
  if (relu) relu_forward(in, in, static_cast<long>(N) * bn.C);
  batchnorm_forward_train(out, bn.xhat.data(), bn.mean.data(), bn.rstd.data(), bn.r.data(),
                          bn.d.data(), in, gamma, beta, run, N, bn.C);
}

const float* Mlp::forward(const float* x, int N, Mode mode) {
  last_x_ = x;
  last_n_ = N;
  last_mode_ = mode;
  xhat_kept_ = mode != Mode::kTrainFrozen || reference_kernels();
  const int H = cfg_.hidden;
  const float* cur = x;
  int width = cfg_.in;
  if (has_bn_) {
    // no ReLU on the input, so the kernel only reads x
    bn_forward(in_bn_, x_bn_.data(), const_cast<float*>(x), N, mode, false);
    cur = x_bn_.data();
  }
  for (Hidden& hl : hidden_) {
    float* a = hl.a.data();
    linear_forward(a, cur, ps_.param(hl.w), ps_.param(hl.b), N, width, H);
    if (has_bn_) {
      bn_forward(hl.bn, hl.h.data(), a, N, mode, true);  // ReLU, then BN
      cur = hl.h.data();
    } else {
      relu_forward(a, a, static_cast<long>(N) * H);
      cur = a;
    }
    width = H;
  }
  linear_forward(out_.data(), cur, ps_.param(out_w_), ps_.param(out_b_), N, width, cfg_.out);
  if (mode == Mode::kTrain && has_bn_) ++bn_updates_;
  return out_.data();
}

void Mlp::bn_backward(BnLayer& bn, float* din, const float* dout, int N, bool param_grads, const float* relu_out,
                      float* db) {
  const float* gamma = ps_.param(bn.gamma);
  const long n = static_cast<long>(N) * bn.C;
  const bool fused = !reference_kernels();
  if (last_mode_ == Mode::kEval) {
    // eval-mode BN: affine in its input; used for input gradients through held critics
    const float* rvar = running_.data() + bn.run_offset + bn.C;
    if (fused) {
      batchnorm_relu_backward_eval(din, db, scratch_.data(), dout, gamma, rvar, cfg_.bn_eps, relu_out, N, bn.C);
      return;
    }
    batchnorm_backward_eval(din, dout, gamma, rvar, cfg_.bn_eps, N, bn.C);
  } else if (fused) {
    batchnorm_relu_backward_train(din, param_grads ? ps_.grad(bn.gamma) : nullptr,
                                  param_grads ? ps_.grad(bn.beta) : nullptr, db, scratch_.data(), dout,
                                  bn.xhat.data(), bn.rstd.data(), bn.r.data(), bn.d.data(), gamma, relu_out, N,
                                  bn.C);
    return;
  } else {
    batchnorm_backward_train(din, param_grads ? ps_.grad(bn.gamma) : nullptr,
                             param_grads ? ps_.grad(bn.beta) : nullptr, scratch_.data(), dout,
                             bn.xhat.data(), bn.rstd.data(), bn.r.data(), bn.d.data(), gamma, N,
                             bn.C);
  }
  // the reference kernels: the ReLU's mask and the bias gradient in passes of their own
  if (relu_out) relu_backward(din, din, relu_out, n);
  if (db) {
    std::fill(db, db + bn.C, 0.f);
    for (int r = 0; r < N; ++r) {
      const float* row = din + static_cast<long>(r) * bn.C;
      for (int c = 0; c < bn.C; ++c) db[c] += row[c];
    }
  }
}

void Mlp::backward(const float* dout, bool param_grads, float* dx) {
  if (!xhat_kept_)
    throw std::logic_error("Mlp::backward after a Mode::kTrainFrozen forward: that pass keeps no BatchNorm "
                           "cache; run the forward in Mode::kTrain to differentiate it");
  const int N = last_n_;
  const int H = cfg_.hidden;
  const int L = cfg_.layers;
  // input of layer l: x_bn (or x) for l = 0, else the previous layer's h (or a)
  auto layer_input = [&](int l) -> const float* {
    if (l == 0) return has_bn_ ? x_bn_.data() : last_x_;
    return has_bn_ ? hidden_[l - 1].h.data() : hidden_[l - 1].a.data();
  };
  const int last_width = L > 0 ? H : cfg_.in;
  // output layer: d(last hidden) into d0
  float* dcur = d0_.data();
  float* dnext = d1_.data();
  linear_backward(dcur, param_grads ? ps_.grad(out_w_) : nullptr,
                  param_grads ? ps_.grad(out_b_) : nullptr, dout, layer_input(L),
                  ps_.param(out_w_), N, last_width, cfg_.out);
  for (int l = L - 1; l >= 0; --l) {
    Hidden& hl = hidden_[l];
    const long n = static_cast<long>(N) * H;
    // the BN's backward also does the ReLU's and sums the Linear's bias gradient
    float* db = param_grads ? ps_.grad(hl.b) : nullptr;
    if (has_bn_) {
      bn_backward(hl.bn, dcur, dcur, N, param_grads, hl.a.data(), db);
    } else {
      relu_backward(dcur, dcur, hl.a.data(), n);
    }
    const int fan_in = l == 0 ? cfg_.in : H;
    // layer 0's input gradient feeds dx, or the input BN's parameter gradients
    const bool need_din = l > 0 || dx != nullptr || (has_bn_ && param_grads);
    float* din = nullptr;
    if (need_din) din = (l == 0 && !has_bn_) ? dx : dnext;
    linear_backward(din, param_grads ? ps_.grad(hl.w) : nullptr, has_bn_ ? nullptr : db, dcur, layer_input(l),
                    ps_.param(hl.w), N, fan_in, H);
    std::swap(dcur, dnext);
  }
  if (has_bn_ && (dx || param_grads)) bn_backward(in_bn_, dx ? dx : dnext, dcur, N, param_grads, nullptr, nullptr);
}

double Mlp::dead_fraction() const {
  long dead = 0, total = 0;
  const int H = cfg_.hidden;
  for (const Hidden& hl : hidden_) {
    for (int j = 0; j < H; ++j) {
      bool alive = false;
      for (int n = 0; n < last_n_ && !alive; ++n) alive = hl.a[static_cast<long>(n) * H + j] > 0.f;
      dead += alive ? 0 : 1;
    }
    total += H;
  }
  return total ? static_cast<double>(dead) / static_cast<double>(total) : 0.0;
}

}  // namespace crossq::nn
