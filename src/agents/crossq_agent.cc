#include "crossq/agents/crossq_agent.h"

#include <algorithm>
#include <cmath>

#include "crossq/agents/common.h"
#include "crossq/core/error.h"
#include "crossq/nn/gemm.h"
#include "crossq/nn/layers.h"

namespace crossq {

using nn::Mlp;
using nn::MlpConfig;
using nn::Mode;

CrossQAgent::CrossQAgent(const CrossQConfig& cfg, Rng& rng) : cfg_(cfg) {
  if (cfg.obs_dim <= 0 || cfg.act_dim <= 0)
    throw Error("agent: observation and action sizes must be positive");
  const int B = cfg.batch_size, A = cfg.act_dim;
  D_ = cfg.obs_dim + cfg.act_dim;
  lanes_ = std::make_unique<LanePair>(cfg.threads, &gemm_set_single_threaded);
  build_networks(rng);
  joint_.assign(static_cast<size_t>(2 * B) * D_, 0.f);
  next_eps_.assign(static_cast<size_t>(B) * A, 0.f);
  eps_.assign(static_cast<size_t>(B) * A, 0.f);
  next_act_.assign(static_cast<size_t>(B) * A, 0.f);
  next_logp_.assign(B, 0.f);
  y_.assign(B, 0.f);
  xa_.assign(static_cast<size_t>(B) * D_, 0.f);
  for (int i = 0; i < 2; ++i) {
    q_[i].assign(2 * B, 0.f);
    qt_[i].assign(B, 0.f);
    dq_[i].assign(2 * B, 0.f);
    qa_[i].assign(B, 0.f);
    dqa_[i].assign(B, 0.f);
    dxa_[i].assign(static_cast<size_t>(B) * D_, 0.f);
  }
  act_.assign(static_cast<size_t>(B) * A, 0.f);
  logp_.assign(B, 0.f);
  dact_.assign(static_cast<size_t>(B) * A, 0.f);
  dlogp_.assign(B, 0.f);
  dhead_.assign(static_cast<size_t>(B) * 2 * A, 0.f);
  one_eps_.assign(A, 0.f);
}

void CrossQAgent::build_networks(Rng& rng) {
  const int B = cfg_.batch_size;
  MlpConfig c;
  c.in = D_;
  c.hidden = cfg_.critic_hidden;
  c.layers = cfg_.critic_layers;
  c.out = 1;
  c.norm = cfg_.norm;
  c.bn_momentum = cfg_.bn_momentum;
  c.bn_eps = cfg_.bn_eps;
  c.brn_r_max = cfg_.brn_r_max;
  c.brn_d_max = cfg_.brn_d_max;
  c.brn_warmup = cfg_.brn_warmup;
  c.weight_decay = cfg_.weight_decay;
  c.weight_norm = cfg_.weight_norm;
  c.weight_norm_bias = cfg_.weight_norm_bias;
  c.orthogonal_init = cfg_.orthogonal_init;
  c.max_rows = 2 * B;
  for (int i = 0; i < 2; ++i) {
    critics_[i] = Mlp(c, rng);
    targets_[i] = Mlp(c, rng);
    targets_[i].copy_from(critics_[i]);
  }
  MlpConfig a = c;
  a.in = cfg_.obs_dim;
  a.hidden = cfg_.actor_hidden;
  a.layers = cfg_.actor_layers;
  a.out = 2 * cfg_.act_dim;  // [mean | log_std] heads
  a.weight_norm = cfg_.weight_norm_actor;
  a.weight_norm_bias = cfg_.weight_norm_bias;
  a.head_split = cfg_.act_dim;  // the log-std head (orthogonal init: gain 1)
  a.max_rows = B;
  actor_ = Mlp(a, rng);
  log_alpha_ = std::log(cfg_.init_temperature);
  alpha_m_[0] = alpha_m_[1] = 0.f;
  alpha_steps_ = 0;
}

void CrossQAgent::reset_parameters(Rng& rng) {
  for (int i = 0; i < 2; ++i) {
    critics_[i].reinitialize(rng);
    targets_[i].copy_from(critics_[i]);
  }
  actor_.reinitialize(rng);
  log_alpha_ = std::log(cfg_.init_temperature);
  alpha_m_[0] = alpha_m_[1] = 0.f;
  alpha_steps_ = 0;
}

int64_t CrossQAgent::num_parameters() const {
  return critics_[0].params().size() + critics_[1].params().size() + actor_.params().size() + 1;
}

namespace {
void add_network(std::vector<StateRef>& out, const std::string& p, Mlp& net, bool optimizer) {
  add_param_state(out, p, net.params(), optimizer);
  out.push_back(state_array(p + ".running", net.running()));
  out.push_back({p + ".bn_updates", net.bn_updates_ptr(), sizeof(int64_t)});
}
}  // namespace

std::vector<StateRef> CrossQAgent::state() {
  std::vector<StateRef> out;
  for (int i = 0; i < 2; ++i) {
    add_network(out, "critic" + std::to_string(i), critics_[i], true);
    add_network(out, "target" + std::to_string(i), targets_[i], false);
  }
  add_network(out, "actor", actor_, true);
  out.push_back(state_scalar("log_alpha", log_alpha_));
  out.push_back({"log_alpha.moments", alpha_m_, sizeof(alpha_m_)});
  out.push_back(state_scalar("log_alpha.steps", alpha_steps_));
  out.push_back(state_scalar("critic_updates", critic_updates_));
  return out;
}

void CrossQAgent::act(const float* obs, bool deterministic, Rng& rng, float* action) {
  const GemmPrecision precision(cfg_.precision);
  const int A = cfg_.act_dim;
  const float* head = actor_.forward(obs, 1, Mode::kEval);
  if (deterministic) {
    nn::tanh_mean(action, head, 1, A);
    return;
  }
  for (int j = 0; j < A; ++j) one_eps_[j] = static_cast<float>(rng.normal());
  float logp;
  nn::tanh_gaussian_forward(action, &logp, head, one_eps_.data(), 1, A, cfg_.log_std_min);
}

float CrossQAgent::scheduled_lr(float lr) const {
  // XQC's optax.linear_schedule(lr, lr_final, total updates), stepped by critic updates
  if (cfg_.lr_decay_updates <= 0) return lr;
  const double f = std::min(1.0, static_cast<double>(critic_updates_) / static_cast<double>(cfg_.lr_decay_updates));
  return static_cast<float>(lr + (static_cast<double>(cfg_.lr_final) - lr) * f);
}

// The critic update of CrossQ (Bhatt et al. 2024) with weight normalization (the seed paper),
// one method per step of its method section; each critic runs on its own lane.
double CrossQAgent::critic_update(const Batch& batch, const float* next_eps) {
  const GemmPrecision precision(cfg_.precision);
  next_actions(batch, next_eps);                       // a' ~ pi(.|s')
  fill_joint_batch(batch);                             // X = [(s, a); (s', a')]
  lanes_->run([this](int i) { critic_forward(i); });   // Q_i(X) in train mode, Q'_i(s', a')
  bootstrap_target(batch);                             // y = r + gamma (1 - d) (min Q' - alpha log pi')
  lanes_->run([this](int i) { critic_step(i); });      // MSE, backward, AdamW, WN, Polyak
  return loss_[0] + loss_[1];
}

int CrossQAgent::online_rows() const {
  // without BN the rows are independent: the online critic needs only (s, a) when a target
  // network supplies Q(s', a') (SAC's shortcut: the same numbers in half the rows)
  const bool joint = cfg_.norm != nn::Norm::kNone;
  return (joint || !cfg_.target_network) ? 2 * cfg_.batch_size : cfg_.batch_size;
}

void CrossQAgent::next_actions(const Batch& batch, const float* next_eps) {
  // from the actor in eval mode
  const float* head = actor_.forward(batch.next_obs.data(), cfg_.batch_size, Mode::kEval);
  nn::tanh_gaussian_forward(next_act_.data(), next_logp_.data(), head, next_eps, cfg_.batch_size, cfg_.act_dim,
                            cfg_.log_std_min);
}

void CrossQAgent::fill_joint_batch(const Batch& batch) {
  // rows 0..B-1 (s, a), rows B..2B-1 (s', a')
  const int B = cfg_.batch_size, O = cfg_.obs_dim, A = cfg_.act_dim;
  fill_rows(joint_.data(), batch.obs.data(), batch.act.data(), B, O, A);
  fill_rows(joint_.data() + static_cast<size_t>(B) * D_, batch.next_obs.data(), next_act_.data(), B, O, A);
}

void CrossQAgent::critic_forward(int i) {
  // the target critic in train mode over the same rows (BN statistics of the joint batch,
  // its running statistics untouched); vanilla CrossQ takes Q(s', a') from the online pass
  const int B = cfg_.batch_size;
  const bool joint = cfg_.norm != nn::Norm::kNone;
  if (cfg_.target_network) {
    const float* qt = joint ? targets_[i].forward(joint_.data(), 2 * B, Mode::kTrainFrozen) + B
                            : targets_[i].forward(joint_.data() + static_cast<size_t>(B) * D_, B, Mode::kTrainFrozen);
    std::copy_n(qt, B, qt_[i].data());
  }
  const int rows = online_rows();
  const float* q = critics_[i].forward(joint_.data(), rows, Mode::kTrain);
  std::copy_n(q, rows, q_[i].data());
  if (!cfg_.target_network) std::copy_n(q + B, B, qt_[i].data());  // detached Q(s', a')
  if (collect_dead_) dead_[i] = critics_[i].dead_fraction();
}

void CrossQAgent::bootstrap_target(const Batch& batch) {
  // without gradient
  const float alpha = std::exp(log_alpha_);
  for (int n = 0; n < cfg_.batch_size; ++n) {
    const float qmin = std::min(qt_[0][n], qt_[1][n]);
    y_[n] = batch.reward[n] + cfg_.discount * (1.f - batch.terminated[n]) * (qmin - alpha * next_logp_[n]);
  }
}

void CrossQAgent::critic_step(int i) {
  const int B = cfg_.batch_size, rows = online_rows();
  Mlp& net = critics_[i];
  float* dq = dq_[i].data();
  loss_[i] = mse_loss(dq, q_[i].data(), y_.data(), B);  // on the (s, a) rows only
  std::fill(dq + B, dq + rows, 0.f);
  net.backward(dq, true, nullptr);
  nn::ParamSet& ps = net.params();
  if (cfg_.critic_l2 > 0.f) {  // soft L2 ablation: grad of c * ||W||^2 on the hidden weights
    for (const nn::Tensor& t : ps.tensors) {
      if (!t.dense_weight || t.rows == 1) continue;  // hidden layers only (out has 1 row)
      float* g = ps.g.data() + t.offset;
      const float* w = ps.w.data() + t.offset;
      for (long k = 0; k < t.size(); ++k) g[k] += 2.f * cfg_.critic_l2 * w[k];
    }
  }
  // AdamW, the WN projection and Polyak averaging in one sweep over the parameters
  nn::StepFusion step;
  step.weight_norm = cfg_.weight_norm;
  step.weight_norm_bias = cfg_.weight_norm_bias;
  step.target = cfg_.target_network ? targets_[i].params().w.data() : nullptr;
  step.tau = cfg_.tau;
  nn::adamw_project_polyak(ps, {scheduled_lr(cfg_.critic_lr), cfg_.beta1, cfg_.beta2, cfg_.adam_eps}, step);
  if (cfg_.target_network) {
    if (cfg_.norm == nn::Norm::kBatchRenorm) {  // target renorm reads running statistics
      auto& tr = targets_[i].running();
      nn::polyak_update(tr.data(), net.running().data(), static_cast<long>(tr.size()), cfg_.tau);
      targets_[i].set_bn_updates(net.bn_updates());
    }
  }
}

void CrossQAgent::actor_update(const Batch& batch, const float* eps, UpdateStats& stats) {
  const GemmPrecision precision(cfg_.precision);
  const int B = cfg_.batch_size, A = cfg_.act_dim, O = cfg_.obs_dim, D = D_;
  // actor in train mode, reparameterized sample
  const float* head = actor_.forward(batch.obs.data(), B, Mode::kTrain);
  nn::tanh_gaussian_forward(act_.data(), logp_.data(), head, eps, B, A, cfg_.log_std_min);
  fill_rows(xa_.data(), batch.obs.data(), act_.data(), B, O, A);
  // critics in eval mode
  auto forward = [&](int i) {
    const float* q = critics_[i].forward(xa_.data(), B, Mode::kEval);
    std::copy_n(q, B, qa_[i].data());
  };
  lanes_->run(forward);
  const float alpha = std::exp(log_alpha_);
  double loss = 0, logp_mean = 0;
  const float inv_b = 1.f / static_cast<float>(B);
  for (int n = 0; n < B; ++n) {
    const bool first = qa_[0][n] <= qa_[1][n];
    const float qmin = first ? qa_[0][n] : qa_[1][n];
    loss += alpha * logp_[n] - qmin;
    logp_mean += logp_[n];
    dqa_[0][n] = first ? -inv_b : 0.f;
    dqa_[1][n] = first ? 0.f : -inv_b;
    dlogp_[n] = alpha * inv_b;
  }
  loss /= B;
  logp_mean /= B;
  // dQ/da through each critic (eval-mode BN), no critic parameter gradients
  auto backward = [&](int i) { critics_[i].backward(dqa_[i].data(), false, dxa_[i].data()); };
  lanes_->run(backward);
  for (int n = 0; n < B; ++n)
    for (int j = 0; j < A; ++j) {
      const size_t k = static_cast<size_t>(n) * D + O + j;
      dact_[static_cast<size_t>(n) * A + j] = dxa_[0][k] + dxa_[1][k];
    }
  nn::tanh_gaussian_backward(dhead_.data(), dact_.data(), dlogp_.data(), head, eps, act_.data(),
                             B, A, cfg_.log_std_min);
  actor_.backward(dhead_.data(), true, nullptr);
  nn::StepFusion step;
  step.weight_norm = cfg_.weight_norm_actor;
  step.weight_norm_bias = cfg_.weight_norm_bias;
  nn::adamw_project_polyak(actor_.params(), {scheduled_lr(cfg_.actor_lr), cfg_.beta1, cfg_.beta2, cfg_.adam_eps}, step);

  // temperature
  stats.alpha_loss = temperature_step(log_alpha_, alpha_m_, alpha_steps_, logp_mean, cfg_.target_entropy,
                                      {scheduled_lr(cfg_.temp_lr), cfg_.beta1, cfg_.beta2, cfg_.adam_eps});

  stats.actor_updated = true;
  stats.actor_loss = loss;
  stats.entropy = -logp_mean;
}

UpdateStats CrossQAgent::update(const Batch& batch, Rng& rng) {
  const GemmPrecision precision(cfg_.precision);
  UpdateStats stats;
  const size_t n = next_eps_.size();
  for (size_t k = 0; k < n; ++k) next_eps_[k] = static_cast<float>(rng.normal());
  stats.critic_loss = critic_update(batch, next_eps_.data());
  ++critic_updates_;
  double qm = 0;
  for (int i = 0; i < 2; ++i)
    for (int k = 0; k < cfg_.batch_size; ++k) qm += q_[i][k];
  stats.q_mean = qm / (2.0 * cfg_.batch_size);
  if (critic_updates_ % cfg_.policy_delay == 0) {
    for (size_t k = 0; k < n; ++k) eps_[k] = static_cast<float>(rng.normal());
    actor_update(batch, eps_.data(), stats);
  } else if (cfg_.actor_bn_every_step && cfg_.norm != nn::Norm::kNone) {
    // XQC runs the actor's train-mode forward on every critic step (its optimizer is masked
    // to every policy_delay-th): the BN running statistics follow each batch
    actor_.forward(batch.obs.data(), cfg_.batch_size, Mode::kTrain);
  }
  stats.alpha = std::exp(log_alpha_);
  return stats;
}

std::vector<CriticDiagnostics> CrossQAgent::diagnostics() {
  std::vector<CriticDiagnostics> out(2);
  for (int i = 0; i < 2; ++i) {
    out[i] = critic_diagnostics(critics_[i].params(), critics_[i].dense_weights(), scheduled_lr(cfg_.critic_lr),
                                dead_[i]);
  }
  return out;
}

}  // namespace crossq
