// The soft actor-critic family (Palenicek et al.; Bhatt et al.; Haarnoja et al.): crossq-wn (the default), crossq and sac are one
// implementation with different settings.
//
// critic update: a' ~ pi(.|s') from the eval-mode actor; the joint batch
// X = [(s, a); (s', a')] (2B rows) goes through each online critic in train mode (BN statistics
// over all 2B rows) and, with target networks, through each target critic in train mode
// without touching its running statistics; y = r + gamma (1 - terminated) (min_i Qt_i(s', a')
// - alpha log pi(a'|s')); loss = sum_i mean_B (Q_i(s, a) - y)^2. Without BN (sac) the online
// critic sees only the B replay rows and the target only the B next rows: the same result.
// Then AdamW, WN projection, Polyak. Each critic runs on its own lane (parallel.h).
// actor update every policy_delay critic updates: actor in train mode, critics in
// eval mode, loss = mean(alpha log pi - min_i Q_i); temperature loss -log_alpha (log pi +
// target_entropy).
#pragma once
#include <memory>
#include <string>

#include "crossq/agents/agent.h"
#include "crossq/nn/mlp.h"
#include "crossq/core/parallel.h"
#include "crossq/nn/gemm.h"

namespace crossq {

struct CrossQConfig {
  int obs_dim = 0, act_dim = 0;
  int batch_size = 256;
  int critic_hidden = 512, critic_layers = 2;
  int actor_hidden = 256, actor_layers = 2;
  float critic_lr = 3e-4f, actor_lr = 3e-4f, temp_lr = 1e-4f;
  float beta1 = 0.9f, beta2 = 0.999f, adam_eps = 1e-8f;
  float weight_decay = 1e-2f;       // critic tensors not weight-normalized, and the actor
  float init_temperature = 1.f;
  float target_entropy = -0.5f;     // absolute value (e.g. -|A|/2)
  float discount = 0.99f;
  float tau = 0.005f;
  bool target_network = true;
  nn::Norm norm = nn::Norm::kBatchNorm;
  float bn_momentum = 0.99f, bn_eps = 1e-3f;
  int64_t brn_warmup = 100000;
  float brn_r_max = 3.f, brn_d_max = 5.f;
  bool weight_norm = true;          // critic hidden layers
  bool weight_norm_bias = true;     // [w; b] together (the paper's Theorem 1 rescaling)
  bool weight_norm_actor = false;
  float critic_l2 = 0.f;            // soft L2 penalty c * sum ||W||^2 on critic hidden weights
  bool orthogonal_init = false;     // orthogonal Linear init (XQC) instead of PyTorch's uniform
  float log_std_min = -20.f;        // the actor's log-std clip is [log_std_min, 2]
  // learning rates decay linearly to lr_final over lr_decay_updates critic updates (0: constant)
  int64_t lr_decay_updates = 0;
  float lr_final = 3e-5f;
  bool actor_bn_every_step = false; // actor BN statistics from a train-mode forward each critic step
  int policy_delay = 3;
  int threads = 2;                  // 1 or 2 lanes
  MatmulPrecision precision = MatmulPrecision::kFp32;  // of the products in update and act (nn/gemm.h)
};

class CrossQAgent final : public Agent {
 public:
  CrossQAgent(const CrossQConfig& cfg, Rng& rng);

  void act(const float* obs, bool deterministic, Rng& rng, float* action) override;
  UpdateStats update(const Batch& batch, Rng& rng) override;
  std::vector<CriticDiagnostics> diagnostics() override;
  void reset_parameters(Rng& rng) override;
  int64_t num_parameters() const override;
  std::vector<StateRef> state() override;

  const CrossQConfig& config() const { return cfg_; }
  // the pieces, for tests, checkpoints and benchmarks
  nn::Mlp& critic(int i) { return critics_[i]; }
  nn::Mlp& target(int i) { return targets_[i]; }
  nn::Mlp& actor() { return actor_; }
  float& log_alpha() { return log_alpha_; }
  int64_t critic_updates() const { return critic_updates_; }
  // the critic update alone, with the policy noise for a' given (B, act_dim); returns the loss
  double critic_update(const Batch& batch, const float* next_eps);
  // the actor and temperature update alone, with the noise given (B, act_dim)
  void actor_update(const Batch& batch, const float* eps, UpdateStats& stats);
  // the target y (B) of the latest critic update
  const std::vector<float>& last_target() const { return y_; }
  void set_collect_dead_fraction(bool on) override { collect_dead_ = on; }

 private:
  void build_networks(Rng& rng);
  // the steps of critic_update, in the order of the method
  void next_actions(const Batch& batch, const float* next_eps);
  void fill_joint_batch(const Batch& batch);
  void critic_forward(int i);
  void bootstrap_target(const Batch& batch);
  void critic_step(int i);
  int online_rows() const;
  // a learning rate at the current critic update under the configured schedule
  float scheduled_lr(float lr) const;

  CrossQConfig cfg_;
  nn::Mlp critics_[2], targets_[2], actor_;
  float log_alpha_ = 0.f;
  float alpha_m_[2] = {0.f, 0.f};  // Adam moments of log_alpha
  int64_t alpha_steps_ = 0;
  int64_t critic_updates_ = 0;
  std::unique_ptr<LanePair> lanes_;
  bool collect_dead_ = true;
  double dead_[2] = {0, 0};

  // preallocated work buffers
  int D_ = 0;                       // obs_dim + act_dim
  std::vector<float> joint_;        // (2B, D) joint batch
  std::vector<float> next_eps_, eps_;  // (B, A)
  std::vector<float> next_act_, next_logp_;  // (B, A), (B)
  std::vector<float> y_;            // (B)
  std::vector<float> q_[2], qt_[2]; // (2B) online outputs, (B) target outputs for s'
  std::vector<float> dq_[2];        // (2B) loss gradient w.r.t. the online outputs
  double loss_[2] = {0, 0};
  // actor update
  std::vector<float> xa_;           // (B, D) [s, a]
  std::vector<float> qa_[2];        // (B)
  std::vector<float> dqa_[2];       // (B)
  std::vector<float> dxa_[2];       // (B, D)
  std::vector<float> act_, logp_, head_copy_, dact_, dlogp_, dhead_;
  std::vector<float> one_eps_;      // (A) acting noise
};

}  // namespace crossq
