#include "crossq/nn/resnet.h"

#include <algorithm>

#include "crossq/core/error.h"
#include "crossq/nn/layers.h"

namespace crossq::nn {

ResNet::ResNet(const ResNetConfig& cfg, Rng& rng) : cfg_(cfg) {
  if (cfg.in <= 0 || cfg.hidden <= 0 || cfg.out <= 0 || cfg.blocks < 0 || cfg.max_rows <= 0)
    throw Error("resnet: sizes must be positive");
  const size_t rows = static_cast<size_t>(cfg.max_rows);
  const int H = cfg.hidden, E = cfg.expansion * cfg.hidden;
  const float wd = cfg.weight_decay;
  const bool bro = cfg.kind == ResKind::kBro;
  // parameters, in forward order
  in_w_ = ps_.add("in.w", H, cfg.in, wd, false, true);
  in_b_ = ps_.add("in.b", 1, H, wd);
  dense_.push_back(in_w_);
  if (bro) {
    in_g_ = ps_.add("in_ln.g", 1, H, wd);
    in_be_ = ps_.add("in_ln.b", 1, H, wd);
  }
  blocks_.resize(static_cast<size_t>(cfg.blocks));
  for (int k = 0; k < cfg.blocks; ++k) {
    Block& b = blocks_[k];
    const std::string p = "b" + std::to_string(k);
    if (bro) {
      b.w1 = ps_.add(p + ".w1", H, H, wd, false, true);
      b.b1 = ps_.add(p + ".b1", 1, H, wd);
      b.g1 = ps_.add(p + ".ln1.g", 1, H, wd);
      b.be1 = ps_.add(p + ".ln1.b", 1, H, wd);
      b.w2 = ps_.add(p + ".w2", H, H, wd, false, true);
      b.b2 = ps_.add(p + ".b2", 1, H, wd);
      b.g2 = ps_.add(p + ".ln2.g", 1, H, wd);
      b.be2 = ps_.add(p + ".ln2.b", 1, H, wd);
      b.tmp.assign(rows * H, 0.f);
      b.xhat.assign(rows * H, 0.f);
      b.rstd.assign(rows, 0.f);
      b.h.assign(rows * H, 0.f);
      b.xhat2.assign(rows * H, 0.f);
      b.rstd2.assign(rows, 0.f);
    } else {
      b.g1 = ps_.add(p + ".ln.g", 1, H, wd);
      b.be1 = ps_.add(p + ".ln.b", 1, H, wd);
      b.w1 = ps_.add(p + ".w1", E, H, wd, false, true);
      b.b1 = ps_.add(p + ".b1", 1, E, wd);
      b.w2 = ps_.add(p + ".w2", H, E, wd, false, true);
      b.b2 = ps_.add(p + ".b2", 1, H, wd);
      b.ln.assign(rows * H, 0.f);
      b.xhat.assign(rows * H, 0.f);
      b.rstd.assign(rows, 0.f);
      b.h.assign(rows * E, 0.f);
    }
    dense_.push_back(b.w1);
    dense_.push_back(b.w2);
    b.out.assign(rows * H, 0.f);
  }
  if (!bro) {
    fin_g_ = ps_.add("fin_ln.g", 1, H, wd);
    fin_b_ = ps_.add("fin_ln.b", 1, H, wd);
    fin_.assign(rows * H, 0.f);
    fin_xhat_.assign(rows * H, 0.f);
    fin_rstd_.assign(rows, 0.f);
  }
  out_w_ = ps_.add("out.w", cfg.out, H, wd, false, true);
  out_b_ = ps_.add("out.b", 1, cfg.out, wd);
  dense_.push_back(out_w_);
  ps_.finalize();
  stem_.assign(rows * H, 0.f);
  if (bro) {
    stem_xhat_.assign(rows * H, 0.f);
    stem_rstd_.assign(rows, 0.f);
    stem_out_.assign(rows * H, 0.f);
  }
  out_.assign(rows * cfg.out, 0.f);
  const size_t wide = rows * static_cast<size_t>(std::max(H, E));
  d0_.assign(rows * H, 0.f);
  d1_.assign(rows * H, 0.f);
  da_.assign(wide, 0.f);
  db_.assign(wide, 0.f);
  reinitialize(rng);
}

void ResNet::reinitialize(Rng& rng) {
  init_uniform_fan_in(ps_, in_w_, in_b_, rng);
  for (const Block& b : blocks_) {
    init_uniform_fan_in(ps_, b.w1, b.b1, rng);
    init_uniform_fan_in(ps_, b.w2, b.b2, rng);
  }
  init_uniform_fan_in(ps_, out_w_, out_b_, rng);
  auto ln_init = [&](int g, int be) {
    if (g < 0) return;
    std::fill_n(ps_.param(g), ps_.tensors[g].size(), 1.f);
    std::fill_n(ps_.param(be), ps_.tensors[be].size(), 0.f);
  };
  ln_init(in_g_, in_be_);
  ln_init(fin_g_, fin_b_);
  for (const Block& b : blocks_) {
    ln_init(b.g1, b.be1);
    ln_init(b.g2, b.be2);
  }
  adam_reset(ps_);
}

const float* ResNet::forward(const float* x, int N) {
  last_x_ = x;
  last_n_ = N;
  const int H = cfg_.hidden, E = cfg_.expansion * cfg_.hidden;
  const float eps = cfg_.ln_eps;
  const float* w = ps_.w.data();
  auto P = [&](int t) { return w + ps_.tensors[t].offset; };
  // stem
  linear_forward(stem_.data(), x, P(in_w_), P(in_b_), N, cfg_.in, H);
  const float* cur = stem_.data();
  if (cfg_.kind == ResKind::kBro) {
    layernorm_forward(stem_out_.data(), stem_xhat_.data(), stem_rstd_.data(), stem_.data(),
                      P(in_g_), P(in_be_), eps, N, H);
    relu_forward(stem_out_.data(), stem_out_.data(), static_cast<long>(N) * H);
    cur = stem_out_.data();
  }
  // residual blocks
  for (Block& b : blocks_) {
    if (cfg_.kind == ResKind::kBro) {
      BroBlockCache<float> k{b.tmp.data(), b.xhat.data(), b.rstd.data(),
                             b.h.data(),   b.xhat2.data(), b.rstd2.data()};
      bro_block_forward(b.out.data(), k, cur, P(b.w1), P(b.b1), P(b.g1), P(b.be1), P(b.w2),
                        P(b.b2), P(b.g2), P(b.be2), eps, N, H);
    } else {
      ResidualCache<float> k{b.ln.data(), b.xhat.data(), b.rstd.data(), b.h.data()};
      residual_forward(b.out.data(), k, cur, P(b.g1), P(b.be1), P(b.w1), P(b.b1), P(b.w2),
                       P(b.b2), eps, N, H, E);
    }
    cur = b.out.data();
  }
  // head
  if (cfg_.kind == ResKind::kSimba) {
    layernorm_forward(fin_.data(), fin_xhat_.data(), fin_rstd_.data(), cur, P(fin_g_), P(fin_b_),
                      eps, N, H);
    cur = fin_.data();
  }
  linear_forward(out_.data(), cur, P(out_w_), P(out_b_), N, H, cfg_.out);
  return out_.data();
}

void ResNet::backward(const float* dout, bool param_grads, float* dx) {
  const int N = last_n_, H = cfg_.hidden, E = cfg_.expansion * cfg_.hidden;
  const bool bro = cfg_.kind == ResKind::kBro;
  auto P = [&](int t) -> const float* { return ps_.param(t); };
  auto G = [&](int t) -> float* { return param_grads ? ps_.grad(t) : nullptr; };
  const int L = cfg_.blocks;
  auto block_input = [&](int k) -> const float* {
    if (k > 0) return blocks_[k - 1].out.data();
    return bro ? stem_out_.data() : stem_.data();
  };
  const float* head_in = bro ? block_input(L) : fin_.data();
  float* dcur = d0_.data();
  float* dnext = d1_.data();
  linear_backward(dcur, G(out_w_), G(out_b_), dout, head_in, P(out_w_), N, H, cfg_.out);
  if (!bro) {
    layernorm_backward(dnext, G(fin_g_), G(fin_b_), dcur, fin_xhat_.data(), fin_rstd_.data(),
                       P(fin_g_), N, H);
    std::swap(dcur, dnext);
  }
  for (int k = L - 1; k >= 0; --k) {
    Block& b = blocks_[k];
    if (bro) {
      BroBlockCache<float> c{b.tmp.data(), b.xhat.data(), b.rstd.data(),
                             b.h.data(),   b.xhat2.data(), b.rstd2.data()};
      bro_block_backward(dnext, G(b.w1), G(b.b1), G(b.g1), G(b.be1), G(b.w2), G(b.b2), G(b.g2),
                         G(b.be2), da_.data(), db_.data(), dcur, c, block_input(k), P(b.w1),
                         P(b.g1), P(b.w2), P(b.g2), N, H);
    } else {
      ResidualCache<float> c{b.ln.data(), b.xhat.data(), b.rstd.data(), b.h.data()};
      residual_backward(dnext, G(b.g1), G(b.be1), G(b.w1), G(b.b1), G(b.w2), G(b.b2), db_.data(),
                        da_.data(), dcur, c, P(b.g1), P(b.w1), P(b.w2), N, H, E);
    }
    std::swap(dcur, dnext);
  }
  if (bro) {
    relu_backward(dcur, dcur, stem_out_.data(), static_cast<long>(N) * H);
    layernorm_backward(dnext, G(in_g_), G(in_be_), dcur, stem_xhat_.data(), stem_rstd_.data(),
                       P(in_g_), N, H);
    std::swap(dcur, dnext);
  }
  linear_backward(dx, G(in_w_), G(in_b_), dcur, last_x_, P(in_w_), N, cfg_.in, H);
}

double ResNet::dead_fraction() const {
  long dead = 0, total = 0;
  auto count = [&](const std::vector<float>& a, int width) {
    for (int j = 0; j < width; ++j) {
      bool alive = false;
      for (int n = 0; n < last_n_ && !alive; ++n) alive = a[static_cast<long>(n) * width + j] > 0.f;
      dead += alive ? 0 : 1;
    }
    total += width;
  };
  const int H = cfg_.hidden;
  if (cfg_.kind == ResKind::kBro) count(stem_out_, H);
  for (const Block& b : blocks_) count(b.h, cfg_.kind == ResKind::kBro ? H : cfg_.expansion * H);
  return total ? static_cast<double>(dead) / static_cast<double>(total) : 0.0;
}

}  // namespace crossq::nn
