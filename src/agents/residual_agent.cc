#include "crossq/agents/residual_agent.h"

#include <algorithm>
#include <cmath>

#include "crossq/agents/common.h"
#include "crossq/core/error.h"
#include "crossq/nn/gemm.h"
#include "crossq/nn/layers.h"

namespace crossq {

using nn::ResNet;
using nn::ResNetConfig;


template <class F>
void ResidualAgent::on_critics(F& f) {
  if (C_ == 1 && lanes_->threads() == 2) {
    const GemmSplit split(lanes_.get());
    f(0);
    return;
  }
  const GemmSplit none(nullptr);  // each lane busy with its own critic: no hand-offs inside
  lanes_->run(f);
}

ResidualAgent::ResidualAgent(const ResidualConfig& cfg, Rng& rng) : cfg_(cfg) {
  if (cfg.obs_dim <= 0 || cfg.act_dim <= 0)
    throw Error("agent: observation and action sizes must be positive");
  if (cfg.quantiles < 1) throw Error("agent: quantiles must be at least 1");
  if (cfg.critics != 1 && cfg.critics != 2) throw Error("agent: critics must be 1 or 2");
  C_ = cfg.critics;
  const size_t B = cfg.batch_size, A = cfg.act_dim, O = cfg.obs_dim;
  D_ = cfg.obs_dim + cfg.act_dim;
  K_ = cfg.quantiles;
  const size_t D = D_, K = K_;
  lanes_ = std::make_unique<LanePair>(cfg.threads, &gemm_set_single_threaded);
  norm_ = ObsNormalizer(cfg.obs_dim);
  build(rng);
  obs_n_.assign(B * O, 0.f);
  next_n_.assign(B * O, 0.f);
  x_.assign(B * D, 0.f);
  xn_.assign(B * D, 0.f);
  xa_.assign(B * D, 0.f);
  next_eps_.assign(B * A, 0.f);
  eps_.assign(B * A, 0.f);
  eps_opt_.assign(B * A, 0.f);
  next_act_.assign(B * A, 0.f);
  next_logp_.assign(B, 0.f);
  y_.assign(B * K, 0.f);
  for (int i = 0; i < 2; ++i) {
    z_[i].assign(B * K, 0.f);
    zt_[i].assign(B * K, 0.f);
    dz_[i].assign(B * K, 0.f);
    qa_[i].assign(B, 0.f);
    dqa_[i].assign(B, 0.f);
    dza_[i].assign(B * K, 0.f);
    dxa_[i].assign(B * D, 0.f);
  }
  head_c_.assign(B * 2 * A, 0.f);
  act_.assign(B * A, 0.f);
  logp_.assign(B, 0.f);
  dact_.assign(B * A, 0.f);
  dlogp_.assign(B, 0.f);
  dhead_.assign(B * 2 * A, 0.f);
  head_o_.assign(B * 2 * A, 0.f);
  act_o_.assign(B * A, 0.f);
  logp_o_.assign(B, 0.f);
  dhead_o_.assign(B * 2 * A, 0.f);
  dmu_o_.assign(B * A, 0.f);
  one_obs_.assign(O, 0.f);
  one_eps_.assign(A, 0.f);
  one_head_.assign(2 * A, 0.f);
}

void ResidualAgent::build(Rng& rng) {
  ResNetConfig c;
  c.kind = cfg_.kind;
  c.in = D_;
  c.hidden = cfg_.critic_hidden;
  c.blocks = cfg_.critic_blocks;
  c.out = K_;
  c.weight_decay = cfg_.weight_decay;
  c.max_rows = cfg_.batch_size;
  for (int i = 0; i < C_; ++i) {
    critics_[i] = ResNet(c, rng);
    targets_[i] = ResNet(c, rng);
    targets_[i].params().w = critics_[i].params().w;
  }
  ResNetConfig a = c;
  a.in = cfg_.obs_dim;
  a.hidden = cfg_.actor_hidden;
  a.blocks = cfg_.actor_blocks;
  a.out = 2 * cfg_.act_dim;  // [mean | log_std]
  actor_ = ResNet(a, rng);
  if (cfg_.optimistic) {
    a.out = cfg_.act_dim;  // the optimistic actor's mean; its std comes from the actor
    opt_actor_ = ResNet(a, rng);
  }
  log_alpha_ = std::log(cfg_.init_temperature);
  alpha_m_[0] = alpha_m_[1] = 0.f;
  alpha_steps_ = 0;
  log_kl_w_ = std::log(cfg_.init_kl_weight);
  kl_m_[0] = kl_m_[1] = 0.f;
  kl_steps_ = 0;
}

void ResidualAgent::reset_parameters(Rng& rng) {
  // networks, targets, optimizers and dual variables; the observation statistics describe the
  // data and are kept, like the replay buffer
  for (int i = 0; i < C_; ++i) {
    critics_[i].reinitialize(rng);
    targets_[i].params().w = critics_[i].params().w;
  }
  actor_.reinitialize(rng);
  if (cfg_.optimistic) opt_actor_.reinitialize(rng);
  log_alpha_ = std::log(cfg_.init_temperature);
  alpha_m_[0] = alpha_m_[1] = 0.f;
  alpha_steps_ = 0;
  log_kl_w_ = std::log(cfg_.init_kl_weight);
  kl_m_[0] = kl_m_[1] = 0.f;
  kl_steps_ = 0;
}

int64_t ResidualAgent::num_parameters() const {
  int64_t n = actor_.params().size() + 1;
  for (int i = 0; i < C_; ++i) n += critics_[i].params().size();
  if (cfg_.optimistic) n += opt_actor_.params().size() + 1;  // + log KL weight
  return n;
}

namespace {
void add_network(std::vector<StateRef>& out, const std::string& p, ResNet& net, bool optimizer) {
  add_param_state(out, p, net.params(), optimizer);
}
}  // namespace

std::vector<StateRef> ResidualAgent::state() {
  std::vector<StateRef> out;
  for (int i = 0; i < C_; ++i) {
    add_network(out, "critic" + std::to_string(i), critics_[i], true);
    add_network(out, "target" + std::to_string(i), targets_[i], false);
  }
  add_network(out, "actor", actor_, true);
  if (cfg_.optimistic) {
    add_network(out, "opt_actor", opt_actor_, true);
    out.push_back(state_scalar("log_kl_weight", log_kl_w_));
    out.push_back({"log_kl_weight.moments", kl_m_, sizeof(kl_m_)});
    out.push_back(state_scalar("log_kl_weight.steps", kl_steps_));
  }
  out.push_back(state_scalar("log_alpha", log_alpha_));
  out.push_back({"log_alpha.moments", alpha_m_, sizeof(alpha_m_)});
  out.push_back(state_scalar("log_alpha.steps", alpha_steps_));
  out.push_back(state_scalar("critic_updates", critic_updates_));
  out.push_back(state_scalar("obs_norm.count", norm_.count_ref()));
  out.push_back(state_array("obs_norm.mean", norm_.mean_ref()));
  out.push_back(state_array("obs_norm.m2", norm_.m2_ref()));
  return out;
}

void ResidualAgent::observe(const float* obs) {
  if (cfg_.obs_norm) norm_.update(obs);
}

void ResidualAgent::act(const float* obs, bool deterministic, Rng& rng, float* action) {
  const GemmPrecision precision(cfg_.precision);
  const int A = cfg_.act_dim;
  if (cfg_.obs_norm) {
    norm_.normalize(one_obs_.data(), obs, 1);
  } else {
    std::copy_n(obs, cfg_.obs_dim, one_obs_.data());
  }
  const float* head = actor_.forward(one_obs_.data(), 1);
  if (deterministic) {
    nn::tanh_mean(action, head, 1, A);
    return;
  }
  std::copy_n(head, 2 * A, one_head_.data());
  if (cfg_.optimistic) {
    const float* mu = opt_actor_.forward(one_obs_.data(), 1);
    const float log_m = std::log(cfg_.std_multiplier);
    for (int j = 0; j < A; ++j) {
      one_head_[j] = mu[j];
      one_head_[A + j] =
          std::clamp(head[A + j], float(nn::kLogStdMin), float(nn::kLogStdMax)) + log_m;
    }
  }
  for (int j = 0; j < A; ++j) one_eps_[j] = static_cast<float>(rng.normal());
  float logp;
  nn::tanh_gaussian_forward(action, &logp, one_head_.data(), one_eps_.data(), 1, A);
}

double ResidualAgent::critic_update(const Batch& batch, const float* next_eps) {
  const int B = cfg_.batch_size, A = cfg_.act_dim, O = cfg_.obs_dim, K = K_;
  if (cfg_.obs_norm) {
    norm_.normalize(obs_n_.data(), batch.obs.data(), B);
    norm_.normalize(next_n_.data(), batch.next_obs.data(), B);
  } else {
    std::copy(batch.obs.begin(), batch.obs.end(), obs_n_.begin());
    std::copy(batch.next_obs.begin(), batch.next_obs.end(), next_n_.begin());
  }
  // a' ~ pi(.|s')
  const float* head = actor_.forward(next_n_.data(), B);
  nn::tanh_gaussian_forward(next_act_.data(), next_logp_.data(), head, next_eps, B, A);
  fill_rows(x_.data(), obs_n_.data(), batch.act.data(), B, O, A);
  fill_rows(xn_.data(), next_n_.data(), next_act_.data(), B, O, A);
  // phase 1, one critic per lane: target on (s', a'), online on (s, a)
  auto forward = [&](int i) {
    if (i >= C_) return;
    const float* zt = targets_[i].forward(xn_.data(), B);
    std::copy_n(zt, static_cast<size_t>(B) * K, zt_[i].data());
    const float* z = critics_[i].forward(x_.data(), B);
    std::copy_n(z, static_cast<size_t>(B) * K, z_[i].data());
  };
  if (C_ == 1 && lanes_->threads() == 2) {
    // one critic: its target and online passes are independent, so each takes a lane whole
    // (fewer hand-offs than splitting every product of both)
    const GemmSplit none(nullptr);
    auto one_pass = [&](int lane) {
      if (lane == 0) {
        const float* zt = targets_[0].forward(xn_.data(), B);
        std::copy_n(zt, static_cast<size_t>(B) * K, zt_[0].data());
      } else {
        const float* z = critics_[0].forward(x_.data(), B);
        std::copy_n(z, static_cast<size_t>(B) * K, z_[0].data());
      }
    };
    lanes_->run(one_pass);
  } else {
    on_critics(forward);
  }
  // the target per quantile, without gradient
  const float alpha = std::exp(log_alpha_);
  const float pess = cfg_.pessimism;
  for (int n = 0; n < B; ++n) {
    const float boot = cfg_.discount * (1.f - batch.terminated[n]);
    for (int k = 0; k < K; ++k) {
      const size_t j = static_cast<size_t>(n) * K + k;
      const float a = zt_[0][j], b = C_ == 2 ? zt_[1][j] : a;
      const float q = 0.5f * (a + b) - pess * 0.5f * std::abs(a - b);
      y_[j] = batch.reward[n] + boot * (q - alpha * next_logp_[n]);
    }
  }
  // phase 2, one critic per lane: loss, backward, AdamW, Polyak
  const nn::AdamConfig opt{cfg_.critic_lr, cfg_.beta1, cfg_.beta2, cfg_.adam_eps};
  auto step = [&](int i) {
    if (i >= C_) return;
    float* dz = dz_[i].data();
    if (K == 1) {
      loss_[i] = mse_loss(dz, z_[i].data(), y_.data(), B);
    } else {
      loss_[i] = nn::quantile_huber_loss(dz, z_[i].data(), y_.data(), B, K, cfg_.huber_kappa);
    }
    critics_[i].backward(dz, true, nullptr);
    nn::ParamSet& ps = critics_[i].params();
    nn::StepFusion fuse;  // AdamW and Polyak averaging in one sweep
    fuse.target = targets_[i].params().w.data();
    fuse.tau = cfg_.tau;
    nn::adamw_project_polyak(ps, opt, fuse);
  };
  on_critics(step);
  return C_ == 2 ? loss_[0] + loss_[1] : loss_[0];
}

void ResidualAgent::critic_q(const float* x, int i) {
  const int B = cfg_.batch_size, K = K_;
  const float* z = critics_[i].forward(x, B);
  for (int n = 0; n < B; ++n) {
    double s = 0;
    for (int k = 0; k < K; ++k) s += z[static_cast<size_t>(n) * K + k];
    qa_[i][n] = static_cast<float>(s / K);
  }
}

void ResidualAgent::input_gradient(int i) {
  const int B = cfg_.batch_size, K = K_;
  const float inv_k = 1.f / static_cast<float>(K);  // Q is the mean of the K quantiles
  for (int n = 0; n < B; ++n)
    for (int k = 0; k < K; ++k) dza_[i][static_cast<size_t>(n) * K + k] = dqa_[i][n] * inv_k;
  critics_[i].backward(dza_[i].data(), false, dxa_[i].data());
}

void ResidualAgent::actor_update(const Batch& batch, const float* eps, const float* eps_opt,
                                 UpdateStats& stats) {
  const int B = cfg_.batch_size, A = cfg_.act_dim, O = cfg_.obs_dim, D = D_;
  if (cfg_.obs_norm) {
    norm_.normalize(obs_n_.data(), batch.obs.data(), B);
  } else {
    std::copy(batch.obs.begin(), batch.obs.end(), obs_n_.begin());
  }
  const float* head = actor_.forward(obs_n_.data(), B);
  std::copy_n(head, static_cast<size_t>(B) * 2 * A, head_c_.data());
  nn::tanh_gaussian_forward(act_.data(), logp_.data(), head_c_.data(), eps, B, A);
  auto fill_xa = [&](const float* act) { fill_rows(xa_.data(), obs_n_.data(), act, B, O, A); };
  fill_xa(act_.data());
  auto forward = [&](int i) {
    if (i < C_) critic_q(xa_.data(), i);
  };
  auto backward = [&](int i) {
    if (i < C_) input_gradient(i);
  };
  on_critics(forward);
  // Q = mean - beta |Q1 - Q2| / 2; dQ/dQ1 = (1 - beta s) / 2, dQ/dQ2 = (1 + beta s) / 2, s =
  // sign(Q1 - Q2)
  const float alpha = std::exp(log_alpha_);
  const float inv_b = 1.f / static_cast<float>(B);
  auto combine = [&](float beta, float* q_out) {
    if (C_ == 1) {  // one critic: Q is its output
      for (int n = 0; n < B; ++n) {
        q_out[n] = qa_[0][n];
        dqa_[0][n] = -inv_b;
      }
      return;
    }
    for (int n = 0; n < B; ++n) {
      const float a = qa_[0][n], b = qa_[1][n];
      const float s = a > b ? 1.f : (a < b ? -1.f : 0.f);
      q_out[n] = 0.5f * (a + b) + beta * 0.5f * std::abs(a - b);
      // the loss is -mean(Q): its gradient
      dqa_[0][n] = -inv_b * 0.5f * (1.f + beta * s);
      dqa_[1][n] = -inv_b * 0.5f * (1.f - beta * s);
    }
  };
  combine(-cfg_.pessimism, dlogp_.data());  // dlogp_ holds Q for a moment
  double loss = 0, logp_mean = 0;
  for (int n = 0; n < B; ++n) {
    loss += alpha * logp_[n] - dlogp_[n];
    logp_mean += logp_[n];
    dlogp_[n] = alpha * inv_b;
  }
  loss /= B;
  logp_mean /= B;
  on_critics(backward);
  for (int n = 0; n < B; ++n)
    for (int j = 0; j < A; ++j) {
      const size_t k = static_cast<size_t>(n) * D + O + j;
      dact_[static_cast<size_t>(n) * A + j] = C_ == 2 ? dxa_[0][k] + dxa_[1][k] : dxa_[0][k];
    }
  nn::tanh_gaussian_backward(dhead_.data(), dact_.data(), dlogp_.data(), head_c_.data(), eps,
                             act_.data(), B, A);
  actor_.backward(dhead_.data(), true, nullptr);
  nn::adamw_step(actor_.params(), {cfg_.actor_lr, cfg_.beta1, cfg_.beta2, cfg_.adam_eps});
  // temperature: loss -log_alpha (log pi + target_entropy), log pi detached
  stats.alpha_loss = temperature_step(log_alpha_, alpha_m_, alpha_steps_, logp_mean, cfg_.target_entropy,
                                      {cfg_.temp_lr, cfg_.beta1, cfg_.beta2, cfg_.adam_eps});
  stats.actor_updated = true;
  stats.actor_loss = loss;
  stats.entropy = -logp_mean;
  if (!cfg_.optimistic) return;

  // optimistic actor: N(mu_o, m sigma_c), sigma_c from the (pre-update) conservative head
  const float* mu = opt_actor_.forward(obs_n_.data(), B);
  const float m = cfg_.std_multiplier, log_m = std::log(m);
  for (int n = 0; n < B; ++n)
    for (int j = 0; j < A; ++j) {
      const size_t h = static_cast<size_t>(n) * 2 * A;
      head_o_[h + j] = mu[static_cast<size_t>(n) * A + j];
      head_o_[h + A + j] =
          std::clamp(head_c_[h + A + j], float(nn::kLogStdMin), float(nn::kLogStdMax)) + log_m;
    }
  nn::tanh_gaussian_forward(act_o_.data(), logp_o_.data(), head_o_.data(), eps_opt, B, A);
  fill_xa(act_o_.data());
  on_critics(forward);
  combine(cfg_.optimism, dlogp_.data());  // dlogp_ holds Q_ub
  double q_ub = 0;
  for (int n = 0; n < B; ++n) q_ub += dlogp_[n];
  on_critics(backward);
  for (int n = 0; n < B; ++n)
    for (int j = 0; j < A; ++j) {
      const size_t k = static_cast<size_t>(n) * D + O + j;
      dact_[static_cast<size_t>(n) * A + j] = C_ == 2 ? dxa_[0][k] + dxa_[1][k] : dxa_[0][k];
    }
  nn::tanh_gaussian_backward<float>(dhead_o_.data(), dact_.data(), nullptr, head_o_.data(), eps_opt,
                             act_o_.data(), B, A);
  // KL(N(mu_o, m s) || N(mu_c, s)) per dimension: -log m + (m^2 + ((mu_o - mu_c) / s)^2) / 2
  // - 1/2; its gradient w.r.t. mu_o is (mu_o - mu_c) / s^2
  const float w_kl = std::exp(log_kl_w_);
  double kl = 0;
  for (int n = 0; n < B; ++n)
    for (int j = 0; j < A; ++j) {
      const size_t h = static_cast<size_t>(n) * 2 * A;
      const float ls = std::clamp(head_c_[h + A + j], float(nn::kLogStdMin), float(nn::kLogStdMax));
      const float inv_var = std::exp(-2.f * ls);
      const float diff = head_o_[h + j] - head_c_[h + j];
      kl += -log_m + 0.5f * (m * m + diff * diff * inv_var) - 0.5f;
      dmu_o_[static_cast<size_t>(n) * A + j] =
          dhead_o_[h + j] + w_kl * inv_b * diff * inv_var;
    }
  kl /= B;
  last_kl_ = kl;
  opt_actor_.backward(dmu_o_.data(), true, nullptr);
  nn::adamw_step(opt_actor_.params(), {cfg_.actor_lr, cfg_.beta1, cfg_.beta2, cfg_.adam_eps});
  // dual step on log w_kl: loss -log w (KL - target), gradient target - KL
  adam_scalar(log_kl_w_, kl_m_, kl_steps_, cfg_.kl_target - kl, cfg_.kl_lr, cfg_.beta1,
              cfg_.beta2, cfg_.adam_eps);
  (void)q_ub;
}

UpdateStats ResidualAgent::update(const Batch& batch, Rng& rng) {
  const GemmPrecision precision(cfg_.precision);
  // with two lanes, the products outside the per-critic phases (the actors') use both too
  const GemmSplit split(lanes_->threads() == 2 ? lanes_.get() : nullptr);
  UpdateStats stats;
  const size_t n = next_eps_.size();
  for (size_t k = 0; k < n; ++k) next_eps_[k] = static_cast<float>(rng.normal());
  stats.critic_loss = critic_update(batch, next_eps_.data());
  ++critic_updates_;
  double qm = 0;
  const size_t BK = static_cast<size_t>(cfg_.batch_size) * K_;
  for (int i = 0; i < C_; ++i)
    for (size_t k = 0; k < BK; ++k) qm += z_[i][k];
  stats.q_mean = qm / (C_ * static_cast<double>(BK));
  if (critic_updates_ % cfg_.policy_delay == 0) {
    for (size_t k = 0; k < n; ++k) eps_[k] = static_cast<float>(rng.normal());
    if (cfg_.optimistic)
      for (size_t k = 0; k < n; ++k) eps_opt_[k] = static_cast<float>(rng.normal());
    actor_update(batch, eps_.data(), eps_opt_.data(), stats);
  }
  stats.alpha = std::exp(log_alpha_);
  return stats;
}

std::vector<CriticDiagnostics> ResidualAgent::diagnostics() {
  std::vector<CriticDiagnostics> out(C_);
  for (int i = 0; i < C_; ++i) {
    out[i] = critic_diagnostics(critics_[i].params(), critics_[i].dense_weights(), cfg_.critic_lr,
                                critics_[i].dead_fraction());
  }
  return out;
}

}  // namespace crossq
