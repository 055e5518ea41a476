// SimBa and BRO (Lee et al. 2025; Nauman et al. 2024): soft actor-critic agents on residual LayerNorm trunks (nn/resnet.h).
// One implementation, two settings:
//   simba: obs normalization, SimBa trunks, scalar critics, target = min of the two target
//          critics (pessimism 1), one actor.
//   bro:   BroNet trunks, distributional critics of K quantiles trained with the quantile Huber
//          loss against the mean of the two target critics (pessimism 0, "non-pessimistic"),
//          and a second, optimistic actor for exploration.
//
// Two critics combine as  Q = mean_i Q_i - pessimism * |Q_1 - Q_2| / 2  (pessimism 1 is
// min_i Q_i), per quantile in the target and on the quantile means in the actor loss. With
// `critics` 1 (SimBa's default) Q is the one critic's output and pessimism/optimism vanish.
// critic update: a' ~ pi(.|s'); y = r + gamma (1 - terminated) (Qt(s', a') - alpha log pi(a'|s'))
// (K values per row); loss per critic: MSE (K = 1) or quantile Huber (K > 1); AdamW; Polyak.
// actor update: loss = mean(alpha log pi(a|s) - Q(s, a)); temperature as in crossq_agent.h.
// optimistic actor (BRO, after Nauman & Cygan's dual actor-critic): it outputs a mean mu_o; its
// policy is N(mu_o, std_multiplier * sigma_c) with sigma_c the conservative actor's std
// (detached), squashed by tanh. Loss = mean(-Q_ub(s, a_o)) + w_kl * KL(pi_o || pi_c), with
// Q_ub = mean_i Q_i + optimism |Q_1 - Q_2| / 2 and KL over the Gaussians before the tanh. The
// KL weight is a dual variable: log w_kl follows Adam on the loss -log w_kl (KL - kl_target), so
// it grows while KL exceeds the target and shrinks below it. Training acts with the optimistic
// actor; evaluation uses the conservative actor's tanh(mean).
#pragma once
#include <memory>
#include <string>

#include "crossq/agents/agent.h"
#include "crossq/agents/obs_normalizer.h"
#include "crossq/nn/resnet.h"
#include "crossq/core/parallel.h"
#include "crossq/nn/gemm.h"

namespace crossq {

struct ResidualConfig {
  int obs_dim = 0, act_dim = 0;
  int batch_size = 256;
  nn::ResKind kind = nn::ResKind::kSimba;
  int critic_hidden = 512, critic_blocks = 2;
  int actor_hidden = 128, actor_blocks = 1;
  int quantiles = 1;            // 1: scalar critic and MSE; > 1: quantile critic (BRO: 100)
  float huber_kappa = 1.f;
  int critics = 2;               // 2, or 1 (SimBa as in the seed paper's Table 1)
  float pessimism = 1.f;        // 1: min of the two critics; 0: their mean
  bool obs_norm = true;
  bool optimistic = false;      // BRO's optimistic exploration actor
  float optimism = 1.f;         // beta_ub of Q_ub
  float kl_target = 0.05f;
  float std_multiplier = 0.75f;
  float init_kl_weight = 1.f;
  float kl_lr = 3e-4f;          // Adam lr of log w_kl
  float critic_lr = 1e-4f, actor_lr = 1e-4f, temp_lr = 1e-4f;
  float beta1 = 0.9f, beta2 = 0.999f, adam_eps = 1e-8f;
  float weight_decay = 1e-2f;   // AdamW decay on every critic and actor tensor
  float init_temperature = 0.01f;
  float target_entropy = -0.5f;
  float discount = 0.99f;
  float tau = 0.005f;
  int policy_delay = 1;
  int threads = 2;
  MatmulPrecision precision = MatmulPrecision::kFp32;  // of the products in update and act (nn/gemm.h)
};

class ResidualAgent final : public Agent {
 public:
  ResidualAgent(const ResidualConfig& cfg, Rng& rng);

  void act(const float* obs, bool deterministic, Rng& rng, float* action) override;
  void observe(const float* obs) override;
  UpdateStats update(const Batch& batch, Rng& rng) override;
  std::vector<CriticDiagnostics> diagnostics() override;
  void reset_parameters(Rng& rng) override;
  int64_t num_parameters() const override;
  std::vector<StateRef> state() override;

  const ResidualConfig& config() const { return cfg_; }
  nn::ResNet& critic(int i) { return critics_[i]; }
  nn::ResNet& target(int i) { return targets_[i]; }
  nn::ResNet& actor() { return actor_; }
  nn::ResNet& optimistic_actor() { return opt_actor_; }
  ObsNormalizer& normalizer() { return norm_; }
  float& log_alpha() { return log_alpha_; }
  float& log_kl_weight() { return log_kl_w_; }
  // the critic update alone with the noise for a' given (B, act_dim); returns the summed loss
  double critic_update(const Batch& batch, const float* next_eps);
  // the actor and temperature update (and the optimistic actor's, when on) with noise given
  void actor_update(const Batch& batch, const float* eps, const float* eps_opt,
                    UpdateStats& stats);
  // the target (B, K) of the latest critic update; the mean KL of the latest optimistic step
  const std::vector<float>& last_target() const { return y_; }
  double last_kl() const { return last_kl_; }

 private:
  void build(Rng& rng);
  void critic_q(const float* x, int i);  // forward critic i on (B, D) rows into qa_[i] (B)
  void input_gradient(int i);            // dQ_i/d(s, a) from dqa_[i] into dxa_[i]
  // runs f(i) for each critic i: one critic per lane with two critics; with one critic and two
  // lanes, f(0) with its large products split over both lanes (nn::GemmSplit)
  template <class F>
  void on_critics(F& f);

  ResidualConfig cfg_;
  nn::ResNet critics_[2], targets_[2], actor_, opt_actor_;
  ObsNormalizer norm_;
  float log_alpha_ = 0.f;
  float alpha_m_[2] = {0.f, 0.f};
  int64_t alpha_steps_ = 0;
  float log_kl_w_ = 0.f;
  float kl_m_[2] = {0.f, 0.f};
  int64_t kl_steps_ = 0;
  int64_t critic_updates_ = 0;
  double last_kl_ = 0.0;
  std::unique_ptr<LanePair> lanes_;
  double loss_[2] = {0, 0};

  // preallocated work buffers (B rows, A actions, O observations, D = O + A, K quantiles)
  int D_ = 0, K_ = 1, C_ = 2;  // C_: number of critics in use (1 or 2)
  std::vector<float> obs_n_, next_n_;         // (B, O) normalized
  std::vector<float> x_, xn_, xa_;            // (B, D)
  std::vector<float> next_eps_, eps_, eps_opt_, next_act_, next_logp_;  // (B, A) .. (B)
  std::vector<float> z_[2], zt_[2], dz_[2];   // (B, K)
  std::vector<float> y_;                      // (B, K)
  std::vector<float> qa_[2], dqa_[2];         // (B)
  std::vector<float> dza_[2];                 // (B, K)
  std::vector<float> dxa_[2];                 // (B, D)
  std::vector<float> head_c_, act_, logp_, dact_, dlogp_, dhead_;  // actor
  std::vector<float> head_o_, act_o_, logp_o_, dhead_o_, dmu_o_;   // optimistic actor
  std::vector<float> one_obs_, one_eps_, one_head_;                // acting
};

}  // namespace crossq
