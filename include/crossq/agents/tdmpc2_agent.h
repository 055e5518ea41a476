// TD-MPC2 (Hansen, Su and Wang, ICLR 2024): a latent world model trained on sub-sequences of
// replay, acting by MPPI planning in its latent space. Facts from the paper and its authors'
// repository (nicklashansen/tdmpc2, commit e9f5932); docs/algorithms.md has the list.
//
// Model (nn/ln_mlp.h, every hidden layer Linear -> LayerNorm -> Mish):
//   encoder  h(s):     obs -> enc_hidden -> latent, SimNorm (softmax over groups of 8)
//   dynamics d(z, a):  -> mlp -> mlp -> latent, SimNorm
//   reward   R(z, a):  -> mlp -> mlp -> bins      (two-hot regression in symlog space)
//   policy   pi(z):    -> mlp -> mlp -> [mean | log_std], log_std = lo + (hi - lo)(tanh + 1)/2
//   Q_k(z, a), k < 5:  -> mlp (dropout after the Linear) -> mlp -> bins; targets by Polyak
// Update on B sub-sequences (s_0..s_H, a_0..a_{H-1}, r_0..r_{H-1}):
//   z'_t = h(s_{t+1}) (no gradient); y_t = r_t + gamma min_{2 random k} Qt_k(z'_t, pi(z'_t))
//   z_0 = h(s_0), z_{t+1} = d(z_t, a_t)
//   loss = 20/H sum_t rho^t mse(z_{t+1}, z'_t) + 0.1/H sum_t rho^t CE(R(z_t, a_t), r_t)
//          + 0.1/(5H) sum_{t,k} rho^t CE(Q_k(z_t, a_t), y_t)
//   gradient-norm clip 20 over the model, Adam (encoder lr x 0.3);
//   policy on the detached z_0..z_H: loss = mean_t rho^t mean_b -(1e-4 H_scaled + Q / S), with
//   Q the mean of 2 random online Qs (dropout on, parameters constant) and S a running 5-95
//   percentile range of Q at t = 0 (at least 1, lerp tau); its own Adam (eps 1e-5), clip 20;
//   then the target Qs by Polyak (tau).
// Acting: MPPI over the horizon from h(s) with `samples` action sequences, `pi_trajs` of them
// policy rollouts, `iterations` refits of a Gaussian to the `elites` best by the model's
// return (rewards, then gamma^H times the mean of 2 random Qs at the horizon), weights
// exp(temperature (v - max v)); the mean warm-starts from the previous step's, shifted by one.
// Training acts with an elite drawn by its weight plus std noise; evaluation with the mean.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "crossq/agents/agent.h"
#include "crossq/core/parallel.h"
#include "crossq/nn/gemm.h"
#include "crossq/nn/layers.h"
#include "crossq/nn/ln_mlp.h"

namespace crossq {

struct Tdmpc2Config {
  int obs_dim = 0, act_dim = 0;
  // model (the paper's default 5M size)
  int latent = 512, enc_hidden = 256, enc_layers = 2, mlp = 512, simnorm = 8;
  int num_q = 5, bins = 101;
  float vmin = -10.f, vmax = 10.f;
  float dropout = 0.01f;
  float log_std_min = -10.f, log_std_max = 2.f;
  // update
  int batch_size = 256;  // sub-sequences
  int horizon = 3;
  float rho = 0.5f;
  float consistency_coef = 20.f, reward_coef = 0.1f, value_coef = 0.1f, entropy_coef = 1e-4f;
  float lr = 3e-4f, pi_lr = 3e-4f, enc_lr_scale = 0.3f;  // model, policy prior, encoder factor
  float beta1 = 0.9f, beta2 = 0.999f, adam_eps = 1e-8f, pi_adam_eps = 1e-5f;
  float grad_clip = 20.f, pi_grad_clip = 20.f;  // of the model, of the policy prior
  float tau = 0.01f;  // target Qs and the running scale
  float discount = 0.99f;
  // planning
  int iterations = 6, samples = 512, pi_trajs = 24, elites = 64;
  float min_std = 0.05f, max_std = 2.f, temperature = 0.5f;
  bool eval_mean = true;  // evaluation acts with the plan's mean; false: an elite, no noise
  int threads = 2;
  MatmulPrecision precision = MatmulPrecision::kFp32;  // of the products in update and act (nn/gemm.h)
};

// the randomness of one update, drawn by update() or given by a test
struct Tdmpc2UpdateNoise {
  const float* td_eps = nullptr;   // (H, B, A) the policy noise of a' in the TD target
  int td_pair[2] = {0, 1};         // the target Qs whose minimum is taken
  const float* q_mask = nullptr;   // (num_q, H B, mlp) dropout of the Qs in the value loss, or nullptr
  const float* pi_eps = nullptr;   // (H+1, B, A) the policy noise in the policy update
  int pi_pair[2] = {0, 1};         // the online Qs averaged in the policy update
  const float* pi_mask = nullptr;  // (2, (H+1) B, mlp) their dropout there, or nullptr
};

// the randomness of one planning call
struct Tdmpc2PlanNoise {
  const float* pi_traj_eps = nullptr;  // (H, P, A)
  const float* r = nullptr;            // (iterations, H, S - P, A)
  const float* value_eps = nullptr;    // (iterations, S, A)
  const int* value_pair = nullptr;     // (iterations, 2)
  const float* gumbel = nullptr;       // (elites)
  const float* noise = nullptr;        // (A), or nullptr: no exploration noise
};

// MPPI's two steps, on actions (H, S, A) time-major:
// samples P.. of each step t: clamp(mean_t + std_t r, -1, 1), r (H, S - P, A)
void mppi_sample(float* actions, const float* mean, const float* std, const float* r, int H, int S, int P, int A);
// the E best of `value` (S) become the elites (best first; `order` (S) is scratch), weighted
// score_e = softmax(temperature value_e); mean and std (H, A) are refit to them, std clamped
void mppi_refit(const float* actions, const float* value, int H, int S, int A, int E, float temperature, float min_std,
                float max_std, int* order, int* elites, float* score, float* mean, float* std);

// what the latest update measured, beyond UpdateStats
struct Tdmpc2Losses {
  double consistency = 0, reward = 0, value = 0, total = 0, pi = 0;
  double model_grad_norm = 0, pi_grad_norm = 0;  // before clipping
  double scale = 1;
};

class Tdmpc2Agent final : public Agent {
 public:
  Tdmpc2Agent(const Tdmpc2Config& cfg, Rng& rng);

  void act(const float* obs, bool deterministic, Rng& rng, float* action) override;
  void begin_episode(bool deterministic) override { first_[deterministic ? 1 : 0] = 1; }
  int sequence_horizon() const override { return cfg_.horizon; }
  UpdateStats update(const Batch& batch, Rng& rng) override;
  std::vector<CriticDiagnostics> diagnostics() override;
  void reset_parameters(Rng& rng) override;
  int64_t num_parameters() const override;
  std::vector<StateRef> state() override;
  std::vector<StateRef> policy_state() override;

  // one update with its randomness given; batch is a sequence batch (batch.h)
  UpdateStats update_with(const Batch& batch, const Tdmpc2UpdateNoise& noise);
  // one planning call from obs with the warm-start state of `slot` (0 training, 1 evaluation):
  // writes the action; `first` starts from a zero mean. The final mean, std and the values of
  // the last iteration stay readable below.
  void plan(const float* obs, bool first, int slot, const Tdmpc2PlanNoise& noise, bool use_mean, float* action);

  const Tdmpc2Config& config() const { return cfg_; }
  const Tdmpc2Losses& losses() const { return losses_; }
  nn::LnMlp& encoder() { return enc_; }
  nn::LnMlp& dynamics() { return dyn_; }
  nn::LnMlp& reward() { return rew_; }
  nn::LnMlp& policy() { return pi_; }
  nn::LnMlp& q(int k) { return qs_[k]; }
  nn::LnMlp& target_q(int k) { return tqs_[k]; }
  float& scale() { return scale_; }
  const std::vector<float>& td_target() const { return td_; }    // (H B) of the latest update
  const std::vector<float>& latents() const { return zs_; }      // ((H+1) B, latent)
  const std::vector<float>& plan_values() const { return value_; }  // (S) of the last iteration
  const std::vector<int>& plan_elites() const { return elite_idx_; }  // (E), best first
  const float* plan_mean() const { return mean_.data(); }    // (H, A)
  const float* plan_std() const { return std_.data(); }      // (H, A)
  int plan_choice() const { return choice_; }
  // called after each MPPI iteration (tests): iteration, values (S), elites (E), mean, std (H, A)
  void set_iteration_hook(void (*hook)(void*, int, const float*, const int*, const float*, const float*), void* ctx) {
    hook_ = hook;
    hook_ctx_ = ctx;
  }

 private:
  struct PlanLane {  // one lane's half of the samples
    nn::LnMlpCache enc, dyn, rew, pi, q[2];
    std::vector<float> z, za, act, logp, logpg, dec_p, rdec, q0, q1, G;  // row buffers
  };
  void build(Rng& rng);
  // the squashed sample of the policy head and TD-MPC2's log-probability quantities
  void pi_sample(const float* head, const float* eps, int N, float* act, float* logp, float* logp_g) const;
  void estimate_values(int lane, int row0, int rows, int iter, const Tdmpc2PlanNoise& noise);
  const std::vector<nn::ParamSet*>& model_params();  // encoder, dynamics, reward, Qs

  Tdmpc2Config cfg_;
  nn::TwoHotBins bins_;
  nn::LnMlp enc_, dyn_, rew_, pi_;
  std::vector<nn::LnMlp> qs_, tqs_;
  float scale_ = 1.f;
  int64_t updates_ = 0;
  std::unique_ptr<LanePair> lanes_;
  Tdmpc2Losses losses_;
  std::vector<nn::ParamSet*> model_ps_;

  // update buffers (H horizon, B batch, L latent, A actions, M mlp, K bins)
  int H_ = 0, B_ = 0, L_ = 0, A_ = 0, M_ = 0, K_ = 0;
  nn::LnMlpCache enc_t_, enc0_, pi_t_, tq_c_[2], rew_c_, pi_u_;
  std::vector<nn::LnMlpCache> dyn_c_, q_c_;
  std::vector<float> next_z_, td_in_, td_act_, td_logp_, td_logpg_, td_p_, td_q_[2], td_;
  std::vector<float> zs_, dyn_in_, dzs_, q_in_, dq_in_[2], ce_loss_, ce_t_, dlogits_[6], ce_w_;
  std::vector<float> pi_in_, pi_head_, pi_act_, pi_logp_, pi_logpg_, pq_p_[2], pq_[2], dpq_, dpq_in_[2], dpi_head_;
  std::vector<float> scale_sort_;
  std::vector<float> d_scratch_;
  // drawn noise
  std::vector<float> n_td_eps_, n_q_mask_, n_pi_eps_, n_pi_mask_;
  std::vector<float> n_traj_eps_, n_r_, n_value_eps_, n_gumbel_, n_noise_;
  std::vector<int> n_value_pair_;

  // planning state and buffers (S samples, P policy trajectories, E elites)
  int S_ = 0, P_ = 0, E_ = 0, I_ = 0;
  std::vector<float> prev_mean_;   // (2, H, A): the warm start of training and of evaluation
  int first_[2] = {1, 1};
  PlanLane lane_[2];
  nn::LnMlpCache penc_;
  std::vector<float> z0_, traj_z_, traj_za_, traj_head_, traj_act_, traj_logp_, traj_logpg_;
  std::vector<float> actions_;     // (H, S, A)
  std::vector<float> value_;       // (S)
  std::vector<int> order_, elite_idx_;
  std::vector<float> score_, mean_, std_;
  int choice_ = 0;
  void (*hook_)(void*, int, const float*, const int*, const float*, const float*) = nullptr;
  void* hook_ctx_ = nullptr;
};

}  // namespace crossq
