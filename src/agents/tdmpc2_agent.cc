#include "crossq/agents/tdmpc2_agent.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>

#include "crossq/agents/common.h"
#include "crossq/core/error.h"
#include "crossq/nn/gemm.h"

namespace crossq {

using nn::LnHead;
using nn::LnMlp;
using nn::LnMlpConfig;

namespace {

constexpr float kHalfLog2Pi = 0.9189385175704956f;

// rows [z_n, a_n]: x (N, L + A)
void concat_rows(float* x, const float* z, const float* a, int N, int L, int A) { fill_rows(x, z, a, N, L, A); }

// adds the first L columns of dx (N, L + A) into dz (N, L)
void add_latent_part(float* dz, const float* dx, int N, int L, int A) {
  for (int n = 0; n < N; ++n) {
    const float* s = dx + static_cast<size_t>(n) * (L + A);
    float* d = dz + static_cast<size_t>(n) * L;
    for (int k = 0; k < L; ++k) d[k] += s[k];
  }
}

double squared_norm(const nn::ParamSet& ps) {
  double s = 0;
  for (float g : ps.g) s += static_cast<double>(g) * g;
  return s;
}

void scale_grads(nn::ParamSet& ps, float c) {
  for (float& g : ps.g) g *= c;
}

void zero_grads(nn::ParamSet& ps) { std::fill(ps.g.begin(), ps.g.end(), 0.f); }

// two distinct indices in [0, n), uniformly
void random_pair(Rng& rng, int n, int* pair) {
  pair[0] = static_cast<int>(rng.below(static_cast<uint64_t>(n)));
  pair[1] = static_cast<int>(rng.below(static_cast<uint64_t>(n - 1)));
  if (pair[1] >= pair[0]) ++pair[1];
}

void fill_normal(std::vector<float>& v, Rng& rng) {
  for (float& x : v) x = static_cast<float>(rng.normal());
}

}  // namespace

Tdmpc2Agent::Tdmpc2Agent(const Tdmpc2Config& cfg, Rng& rng) : cfg_(cfg) {
  if (cfg.obs_dim < 1 || cfg.act_dim < 1) throw Error("tdmpc2: obs_dim and act_dim must be positive");
  if (cfg.latent % cfg.simnorm != 0)
    throw usage_error("tdmpc2: latent " + std::to_string(cfg.latent) + " is not a multiple of the SimNorm group " +
                          std::to_string(cfg.simnorm),
                      "pick a latent size divisible by the group size (512 and 8 by default)");
  if (cfg.num_q < 2) throw usage_error("tdmpc2: num_q must be at least 2", "set num_q to 2 or more (5 by default)");
  if (cfg.samples < 2 || cfg.pi_trajs < 0 || cfg.pi_trajs >= cfg.samples || cfg.elites < 1 || cfg.elites > cfg.samples)
    throw usage_error("tdmpc2: the planner needs 0 <= pi_trajs < samples and 1 <= elites <= samples",
                      "set samples, pi_trajs and elites accordingly (512, 24 and 64 by default)");
  if (cfg.horizon < 1 || cfg.iterations < 1 || cfg.batch_size < 1)
    throw usage_error("tdmpc2: horizon, iterations and batch_size must be at least 1", "set them to positive values");
  bins_.bins = cfg.bins;
  bins_.vmin = cfg.vmin;
  bins_.vmax = cfg.vmax;
  H_ = cfg.horizon;
  B_ = cfg.batch_size;
  L_ = cfg.latent;
  A_ = cfg.act_dim;
  M_ = cfg.mlp;
  K_ = cfg.bins;
  S_ = cfg.samples;
  P_ = cfg.pi_trajs;
  E_ = cfg.elites;
  I_ = cfg.iterations;
  lanes_ = std::make_unique<LanePair>(cfg.threads, &gemm_set_single_threaded);
  build(rng);
  model_params();

  const int HB = H_ * B_, H1B = (H_ + 1) * B_, D = L_ + A_;
  const size_t hb = static_cast<size_t>(HB), h1b = static_cast<size_t>(H1B);
  enc_t_ = enc_.make_cache(HB);
  enc0_ = enc_.make_cache(B_);
  pi_t_ = pi_.make_cache(HB);
  for (auto& c : tq_c_) c = qs_[0].make_cache(HB);
  rew_c_ = rew_.make_cache(HB);
  pi_u_ = pi_.make_cache(H1B);
  for (int t = 0; t < H_; ++t) dyn_c_.push_back(dyn_.make_cache(B_));
  for (int k = 0; k < cfg.num_q; ++k) q_c_.push_back(qs_[0].make_cache(H1B));
  next_z_.assign(hb * L_, 0.f);
  td_in_.assign(hb * D, 0.f);
  td_act_.assign(hb * A_, 0.f);
  td_logp_.assign(hb, 0.f);
  td_logpg_.assign(hb, 0.f);
  for (auto& v : td_q_) v.assign(hb, 0.f);
  td_.assign(hb, 0.f);
  zs_.assign(h1b * L_, 0.f);
  dyn_in_.assign(hb * D, 0.f);
  dzs_.assign(h1b * L_, 0.f);
  q_in_.assign(hb * D, 0.f);
  for (auto& v : dq_in_) v.assign(h1b * D, 0.f);
  ce_loss_.assign(2 * hb, 0.f);
  ce_t_.assign(2 * hb * K_, 0.f);
  for (auto& v : dlogits_) v.assign(h1b * K_, 0.f);
  ce_w_.assign(2 * hb, 0.f);
  pi_in_.assign(h1b * D, 0.f);
  pi_act_.assign(h1b * A_, 0.f);
  pi_logp_.assign(h1b, 0.f);
  pi_logpg_.assign(h1b, 0.f);
  for (auto& v : pq_p_) v.assign(h1b * K_, 0.f);
  for (auto& v : pq_) v.assign(h1b, 0.f);
  dpq_.assign(h1b, 0.f);
  for (auto& v : dpq_in_) v.assign(h1b * D, 0.f);
  dpi_head_.assign(h1b * 2 * A_, 0.f);
  scale_sort_.assign(static_cast<size_t>(B_), 0.f);
  d_scratch_.assign(2 * h1b * D, 0.f);
  n_td_eps_.assign(hb * A_, 0.f);
  n_pi_eps_.assign(h1b * A_, 0.f);
  if (cfg.dropout > 0.f) {
    n_q_mask_.assign(static_cast<size_t>(cfg.num_q) * hb * M_, 0.f);
    n_pi_mask_.assign(2 * h1b * M_, 0.f);
  }

  // planning
  const int half = (S_ + 1) / 2;
  for (PlanLane& pl : lane_) {
    pl.enc = enc_.make_cache(1);
    pl.dyn = dyn_.make_cache(half);
    pl.rew = rew_.make_cache(half);
    pl.pi = pi_.make_cache(half);
    for (auto& c : pl.q) c = qs_[0].make_cache(half);
    pl.z.assign(static_cast<size_t>(half) * L_, 0.f);
    pl.za.assign(static_cast<size_t>(half) * D, 0.f);
    pl.act.assign(static_cast<size_t>(half) * A_, 0.f);
    pl.logp.assign(static_cast<size_t>(half), 0.f);
    pl.logpg.assign(static_cast<size_t>(half), 0.f);
    pl.dec_p.assign(static_cast<size_t>(half) * K_, 0.f);
    pl.rdec.assign(static_cast<size_t>(half), 0.f);
    pl.q0.assign(static_cast<size_t>(half), 0.f);
    pl.q1.assign(static_cast<size_t>(half), 0.f);
    pl.G.assign(static_cast<size_t>(half), 0.f);
  }
  penc_ = enc_.make_cache(1);
  z0_.assign(static_cast<size_t>(L_), 0.f);
  const size_t p = static_cast<size_t>(std::max(P_, 1));
  traj_z_.assign(p * L_, 0.f);
  traj_za_.assign(p * D, 0.f);
  traj_act_.assign(p * A_, 0.f);
  traj_logp_.assign(p, 0.f);
  traj_logpg_.assign(p, 0.f);
  actions_.assign(static_cast<size_t>(H_) * S_ * A_, 0.f);
  value_.assign(static_cast<size_t>(S_), 0.f);
  order_.assign(static_cast<size_t>(S_), 0);
  elite_idx_.assign(static_cast<size_t>(E_), 0);
  score_.assign(static_cast<size_t>(E_), 0.f);
  mean_.assign(static_cast<size_t>(H_) * A_, 0.f);
  std_.assign(static_cast<size_t>(H_) * A_, cfg.max_std);
  prev_mean_.assign(2 * static_cast<size_t>(H_) * A_, 0.f);
  n_traj_eps_.assign(static_cast<size_t>(H_) * p * A_, 0.f);
  n_r_.assign(static_cast<size_t>(I_) * H_ * (S_ - P_) * A_, 0.f);
  n_value_eps_.assign(static_cast<size_t>(I_) * S_ * A_, 0.f);
  n_value_pair_.assign(2 * static_cast<size_t>(I_), 0);
  n_gumbel_.assign(static_cast<size_t>(E_), 0.f);
  n_noise_.assign(static_cast<size_t>(A_), 0.f);
}

void Tdmpc2Agent::build(Rng& rng) {
  const int D = cfg_.latent + cfg_.act_dim;
  LnMlpConfig e;
  e.in = cfg_.obs_dim;
  e.hidden = cfg_.enc_hidden;
  e.layers = std::max(cfg_.enc_layers - 1, 1);
  e.out = cfg_.latent;
  e.head = LnHead::kSimNorm;
  e.simnorm_group = cfg_.simnorm;
  enc_ = LnMlp(e, rng);
  LnMlpConfig d = e;
  d.in = D;
  d.hidden = cfg_.mlp;
  d.layers = 2;
  dyn_ = LnMlp(d, rng);
  LnMlpConfig r;
  r.in = D;
  r.hidden = cfg_.mlp;
  r.layers = 2;
  r.out = cfg_.bins;
  r.zero_head = true;
  rew_ = LnMlp(r, rng);
  LnMlpConfig p = r;
  p.in = cfg_.latent;
  p.out = 2 * cfg_.act_dim;
  p.zero_head = false;
  pi_ = LnMlp(p, rng);
  LnMlpConfig q = r;
  q.dropout = cfg_.dropout > 0.f;
  qs_.clear();
  tqs_.clear();
  for (int k = 0; k < cfg_.num_q; ++k) qs_.emplace_back(q, rng);
  for (int k = 0; k < cfg_.num_q; ++k) {
    tqs_.push_back(qs_[k]);
    tqs_.back().params().g.assign(0, 0.f);  // targets take no gradient
    tqs_.back().params().m.assign(0, 0.f);
    tqs_.back().params().v.assign(0, 0.f);
  }
  scale_ = 1.f;
}

void Tdmpc2Agent::reset_parameters(Rng& rng) {
  enc_.reinitialize(rng);
  dyn_.reinitialize(rng);
  rew_.reinitialize(rng);
  pi_.reinitialize(rng);
  for (int k = 0; k < cfg_.num_q; ++k) {
    qs_[k].reinitialize(rng);
    tqs_[k].params().w = qs_[k].params().w;
  }
  scale_ = 1.f;
  first_[0] = first_[1] = 1;
}

int64_t Tdmpc2Agent::num_parameters() const {
  int64_t n = enc_.params().size() + dyn_.params().size() + rew_.params().size() + pi_.params().size();
  for (const LnMlp& q : qs_) n += q.params().size();
  return n;
}

std::vector<StateRef> Tdmpc2Agent::state() {
  std::vector<StateRef> out;
  add_param_state(out, "enc", enc_.params(), true);
  add_param_state(out, "dyn", dyn_.params(), true);
  add_param_state(out, "rew", rew_.params(), true);
  add_param_state(out, "pi", pi_.params(), true);
  for (int k = 0; k < cfg_.num_q; ++k) add_param_state(out, "q" + std::to_string(k), qs_[k].params(), true);
  for (int k = 0; k < cfg_.num_q; ++k) add_param_state(out, "tq" + std::to_string(k), tqs_[k].params(), false);
  out.push_back(state_scalar("scale", scale_));
  out.push_back(state_scalar("updates", updates_));
  out.push_back(state_array("plan.prev_mean", prev_mean_));
  out.push_back({"plan.first", first_, sizeof(first_)});
  return out;
}

std::vector<StateRef> Tdmpc2Agent::policy_state() {
  // the planner reads the encoder, dynamics, reward, policy prior and online Qs
  std::vector<StateRef> out;
  out.push_back(state_array("enc.w", enc_.params().w));
  out.push_back(state_array("dyn.w", dyn_.params().w));
  out.push_back(state_array("rew.w", rew_.params().w));
  out.push_back(state_array("pi.w", pi_.params().w));
  for (int k = 0; k < cfg_.num_q; ++k) out.push_back(state_array("q" + std::to_string(k) + ".w", qs_[k].params().w));
  return out;
}

std::vector<CriticDiagnostics> Tdmpc2Agent::diagnostics() {
  std::vector<CriticDiagnostics> out;
  for (LnMlp& q : qs_) out.push_back(critic_diagnostics(q.params(), q.dense_weights(), cfg_.lr, 0.0));
  return out;
}

void Tdmpc2Agent::pi_sample(const float* head, const float* eps, int N, float* act, float* logp, float* logp_g) const {
  const int A = A_;
  const float lo = cfg_.log_std_min, dif = cfg_.log_std_max - cfg_.log_std_min;
  for (int n = 0; n < N; ++n) {
    const float* h = head + static_cast<size_t>(n) * 2 * A;
    const float* e = eps + static_cast<size_t>(n) * A;
    float* a = act + static_cast<size_t>(n) * A;
    float lg = 0.f, sq = 0.f;
    for (int j = 0; j < A; ++j) {
      const float ls = lo + 0.5f * dif * (std::tanh(h[A + j]) + 1.f);
      const float u = h[j] + e[j] * std::exp(ls);
      a[j] = std::tanh(u);
      lg += -0.5f * e[j] * e[j] - ls;
      sq += std::log(std::max(1.f - a[j] * a[j], 0.f) + 1e-6f);
    }
    lg -= kHalfLog2Pi * static_cast<float>(A);
    logp_g[n] = lg;
    logp[n] = lg - sq;
  }
}

const std::vector<nn::ParamSet*>& Tdmpc2Agent::model_params() {
  if (model_ps_.empty()) {  // once: the networks never move after construction
    model_ps_ = {&enc_.params(), &dyn_.params(), &rew_.params()};
    for (LnMlp& q : qs_) model_ps_.push_back(&q.params());
  }
  return model_ps_;
}

UpdateStats Tdmpc2Agent::update(const Batch& batch, Rng& rng) {
  Tdmpc2UpdateNoise nz;
  fill_normal(n_td_eps_, rng);
  fill_normal(n_pi_eps_, rng);
  random_pair(rng, cfg_.num_q, nz.td_pair);
  random_pair(rng, cfg_.num_q, nz.pi_pair);
  if (cfg_.dropout > 0.f) {
    auto u = [&] { return rng.uniform(); };
    nn::dropout_mask(n_q_mask_.data(), static_cast<long>(n_q_mask_.size()), cfg_.dropout, u);
    nn::dropout_mask(n_pi_mask_.data(), static_cast<long>(n_pi_mask_.size()), cfg_.dropout, u);
    nz.q_mask = n_q_mask_.data();
    nz.pi_mask = n_pi_mask_.data();
  }
  nz.td_eps = n_td_eps_.data();
  nz.pi_eps = n_pi_eps_.data();
  return update_with(batch, nz);
}

UpdateStats Tdmpc2Agent::update_with(const Batch& batch, const Tdmpc2UpdateNoise& nz) {
  const GemmPrecision precision(cfg_.precision);
  if (batch.horizon != H_ || batch.size != B_ || batch.obs_dim != cfg_.obs_dim || batch.act_dim != A_)
    throw Error("tdmpc2: the batch is not a sequence batch of the agent's horizon and size");
  const int O = cfg_.obs_dim, HB = H_ * B_, H1B = (H_ + 1) * B_, D = L_ + A_;
  const float gamma = cfg_.discount;
  const int Q = cfg_.num_q;

  // 1. TD targets: z'_t = h(s_{t+1}); y = r + gamma min of two target Qs at (z', pi(z'))
  std::memcpy(next_z_.data(), enc_.forward(enc_t_, batch.obs.data() + static_cast<size_t>(B_) * O, HB),
              sizeof(float) * HB * L_);
  const float* head = pi_.forward(pi_t_, next_z_.data(), HB);
  pi_sample(head, nz.td_eps, HB, td_act_.data(), td_logp_.data(), td_logpg_.data());
  concat_rows(td_in_.data(), next_z_.data(), td_act_.data(), HB, L_, A_);
  auto target_q = [&](int lane) {
    const float* logits = tqs_[nz.td_pair[lane]].forward(tq_c_[lane], td_in_.data(), HB);
    nn::two_hot_decode(td_q_[lane].data(), pq_p_[lane].data(), logits, HB, bins_);
  };
  lanes_->run(target_q);
  for (int i = 0; i < HB; ++i) td_[i] = batch.reward[i] + gamma * std::min(td_q_[0][i], td_q_[1][i]);

  // 2. the latent rollout z_0 = h(s_0), z_{t+1} = d(z_t, a_t), and the consistency loss
  for (nn::ParamSet* ps : model_params()) zero_grads(*ps);
  std::fill(dzs_.begin(), dzs_.end(), 0.f);
  std::memcpy(zs_.data(), enc_.forward(enc0_, batch.obs.data(), B_), sizeof(float) * B_ * L_);
  double consistency = 0;
  const size_t BL = static_cast<size_t>(B_) * L_;
  for (int t = 0; t < H_; ++t) {
    float* in = dyn_in_.data() + static_cast<size_t>(t) * B_ * D;
    concat_rows(in, zs_.data() + t * BL, batch.act.data() + static_cast<size_t>(t) * B_ * A_, B_, L_, A_);
    const float* z = dyn_.forward(dyn_c_[t], in, B_);
    std::memcpy(zs_.data() + (t + 1) * BL, z, sizeof(float) * BL);
    const float* zt = next_z_.data() + t * BL;
    const float w = static_cast<float>(std::pow(cfg_.rho, t));
    const float g = cfg_.consistency_coef * w * 2.f / static_cast<float>(BL * H_);
    double s = 0;
    float* dz = dzs_.data() + (t + 1) * BL;
    for (size_t i = 0; i < BL; ++i) {
      const float e = z[i] - zt[i];
      s += static_cast<double>(e) * e;
      dz[i] += g * e;
    }
    consistency += w * s / static_cast<double>(BL);
  }
  consistency /= H_;

  // 3. reward and value losses on (z_t, a_t), t < H: the 5 Qs and the reward head, three per lane
  concat_rows(q_in_.data(), zs_.data(), batch.act.data(), HB, L_, A_);
  for (int i = 0; i < HB; ++i) {
    const float w = static_cast<float>(std::pow(cfg_.rho, i / B_));
    ce_w_[i] = cfg_.value_coef * w / static_cast<float>(B_ * H_ * Q);
    ce_w_[HB + i] = cfg_.reward_coef * w / static_cast<float>(B_ * H_);
  }
  double lane_loss[2][2] = {{0, 0}, {0, 0}};  // [lane][value, reward]
  auto heads = [&](int lane) {
    float* dx_sum = dq_in_[lane].data();
    std::fill(dx_sum, dx_sum + static_cast<size_t>(HB) * D, 0.f);
    float* dx = d_scratch_.data() + static_cast<size_t>(lane) * H1B * D;
    float* loss = ce_loss_.data() + static_cast<size_t>(lane) * HB;
    float* tgt = ce_t_.data() + static_cast<size_t>(lane) * HB * K_;
    for (int j = lane; j <= Q; j += 2) {  // j < Q: Q_j; j == Q: the reward head
      const bool is_q = j < Q;
      LnMlp& net = is_q ? qs_[j] : rew_;
      nn::LnMlpCache& c = is_q ? q_c_[j] : rew_c_;
      const float* mask = is_q && nz.q_mask ? nz.q_mask + static_cast<size_t>(j) * HB * M_ : nullptr;
      const float* logits = net.forward(c, q_in_.data(), HB, mask);
      const float* y = is_q ? td_.data() : batch.reward.data();
      const float* w = ce_w_.data() + (is_q ? 0 : HB);
      nn::two_hot_cross_entropy(loss, dlogits_[lane].data(), tgt, logits, y, w, HB, bins_);
      double s = 0;
      for (int i = 0; i < HB; ++i) s += static_cast<double>(w[i]) * loss[i];
      lane_loss[lane][is_q ? 0 : 1] += s;
      net.backward(c, dlogits_[lane].data(), true, dx);
      for (size_t i = 0; i < static_cast<size_t>(HB) * D; ++i) dx_sum[i] += dx[i];
    }
  };
  lanes_->run(heads);
  for (int lane = 0; lane < 2; ++lane) add_latent_part(dzs_.data(), dq_in_[lane].data(), HB, L_, A_);
  const double value_loss = (lane_loss[0][0] + lane_loss[1][0]) / cfg_.value_coef;
  const double reward_loss = (lane_loss[0][1] + lane_loss[1][1]) / cfg_.reward_coef;

  // 4. back through the dynamics, then the encoder
  float* ddyn = d_scratch_.data();
  for (int t = H_ - 1; t >= 0; --t) {
    dyn_.backward(dyn_c_[t], dzs_.data() + (t + 1) * BL, true, ddyn);
    add_latent_part(dzs_.data() + t * BL, ddyn, B_, L_, A_);
  }
  enc_.backward(enc0_, dzs_.data(), true, nullptr);

  // 5. the model's gradient-norm clip and Adam steps
  double sq = 0;
  for (nn::ParamSet* ps : model_params()) sq += squared_norm(*ps);
  const double gnorm = std::sqrt(sq);
  const double coef = cfg_.grad_clip / (gnorm + 1e-6);
  if (coef < 1.0)
    for (nn::ParamSet* ps : model_params()) scale_grads(*ps, static_cast<float>(coef));
  const nn::AdamConfig model_opt{cfg_.lr, cfg_.beta1, cfg_.beta2, cfg_.adam_eps};
  nn::AdamConfig enc_opt = model_opt;
  enc_opt.lr = cfg_.lr * cfg_.enc_lr_scale;
  nn::adamw_step(enc_.params(), enc_opt);
  nn::adamw_step(dyn_.params(), model_opt);
  nn::adamw_step(rew_.params(), model_opt);
  for (LnMlp& q : qs_) nn::adamw_step(q.params(), model_opt);

  // 6. the policy prior on the detached latents z_0..z_H against the updated Qs
  zero_grads(pi_.params());
  head = pi_.forward(pi_u_, zs_.data(), H1B);
  pi_sample(head, nz.pi_eps, H1B, pi_act_.data(), pi_logp_.data(), pi_logpg_.data());
  concat_rows(pi_in_.data(), zs_.data(), pi_act_.data(), H1B, L_, A_);
  auto pi_q = [&](int lane) {
    const int k = nz.pi_pair[lane];
    const float* mask = nz.pi_mask ? nz.pi_mask + static_cast<size_t>(lane) * H1B * M_ : nullptr;
    const float* logits = qs_[k].forward(q_c_[k], pi_in_.data(), H1B, mask);
    nn::two_hot_decode(pq_[lane].data(), pq_p_[lane].data(), logits, H1B, bins_);
  };
  lanes_->run(pi_q);
  // the running scale: the 5th to 95th percentile range of Q at t = 0 (TD-MPC2's interpolation)
  for (int b = 0; b < B_; ++b) scale_sort_[b] = 0.5f * (pq_[0][b] + pq_[1][b]);
  std::sort(scale_sort_.begin(), scale_sort_.end());
  auto percentile = [&](float pct) {
    const float pos = pct * static_cast<float>(B_ - 1) / 100.f;
    const int lo = static_cast<int>(std::floor(pos));
    const int hi = std::min(lo + 1, B_ - 1);
    const float wh = pos - static_cast<float>(lo);
    return scale_sort_[lo] * (1.f - wh) + scale_sort_[hi] * wh;
  };
  const float range = std::max(percentile(95.f) - percentile(5.f), 1.f);
  scale_ += cfg_.tau * (range - scale_);
  double pi_loss = 0, entropy = 0, q_mean = 0;
  const float Af = static_cast<float>(A_);
  for (int i = 0; i < H1B; ++i) {
    const int t = i / B_;
    const float w = static_cast<float>(std::pow(cfg_.rho, t)) / static_cast<float>(B_ * (H_ + 1));
    const float q = 0.5f * (pq_[0][i] + pq_[1][i]);
    const float lp = pi_logp_[i], lg = pi_logpg_[i];
    const float den = lp + 1e-8f;
    const float ent = -lp * (lg * Af) / den;  // TD-MPC2's scaled entropy
    pi_loss += w * -(cfg_.entropy_coef * ent + q / scale_);
    entropy += -lp;
    q_mean += q;
    dpq_[i] = -w / scale_ * 0.5f;  // d loss / d Q_k for each of the two
  }
  auto pi_q_back = [&](int lane) {
    const int k = nz.pi_pair[lane];
    nn::two_hot_decode_backward(dlogits_[lane].data(), dpq_.data(), pq_p_[lane].data(), H1B, bins_);
    qs_[k].backward(q_c_[k], dlogits_[lane].data(), false, dpq_in_[lane].data());
  };
  lanes_->run(pi_q_back);
  {
    const float lo = cfg_.log_std_min, dif = cfg_.log_std_max - cfg_.log_std_min;
    for (int i = 0; i < H1B; ++i) {
      const int t = i / B_;
      const float w = static_cast<float>(std::pow(cfg_.rho, t)) / static_cast<float>(B_ * (H_ + 1));
      const float lp = pi_logp_[i], lg = pi_logpg_[i];
      const float den = lp + 1e-8f;
      const float gS = -w * cfg_.entropy_coef;                 // d loss / d scaled entropy
      const float g_lp = gS * (-(lg * Af) * 1e-8f / (den * den));  // through lp, lpg held
      const float g_lg = gS * (-lp * Af / den) + g_lp;         // lp = lg - sum c
      const float* h = head + static_cast<size_t>(i) * 2 * A_;
      const float* e = nz.pi_eps + static_cast<size_t>(i) * A_;
      const float* a = pi_act_.data() + static_cast<size_t>(i) * A_;
      float* dh = dpi_head_.data() + static_cast<size_t>(i) * 2 * A_;
      const float* dx0 = dpq_in_[0].data() + static_cast<size_t>(i) * D + L_;
      const float* dx1 = dpq_in_[1].data() + static_cast<size_t>(i) * D + L_;
      for (int j = 0; j < A_; ++j) {
        const float om = 1.f - a[j] * a[j];
        const float dc = om > 0.f ? -2.f * a[j] / (om + 1e-6f) : 0.f;
        const float ga = dx0[j] + dx1[j] - g_lp * dc;
        const float gu = ga * om;
        const float th = std::tanh(h[A_ + j]);
        const float ls = lo + 0.5f * dif * (th + 1.f);
        const float gls = -g_lg + gu * e[j] * std::exp(ls);
        dh[j] = gu;
        dh[A_ + j] = gls * 0.5f * dif * (1.f - th * th);
      }
    }
  }
  pi_.backward(pi_u_, dpi_head_.data(), true, nullptr);
  const double pnorm = std::sqrt(squared_norm(pi_.params()));
  const double pcoef = cfg_.pi_grad_clip / (pnorm + 1e-6);
  if (pcoef < 1.0) scale_grads(pi_.params(), static_cast<float>(pcoef));
  nn::adamw_step(pi_.params(), nn::AdamConfig{cfg_.pi_lr, cfg_.beta1, cfg_.beta2, cfg_.pi_adam_eps});

  // 7. the target Qs
  for (int k = 0; k < Q; ++k)
    nn::polyak_update(tqs_[k].params().w.data(), qs_[k].params().w.data(), qs_[k].params().size(), cfg_.tau);
  ++updates_;

  losses_.consistency = consistency;
  losses_.reward = reward_loss;
  losses_.value = value_loss;
  losses_.total = cfg_.consistency_coef * consistency + cfg_.reward_coef * reward_loss + cfg_.value_coef * value_loss;
  losses_.pi = pi_loss;
  losses_.model_grad_norm = gnorm;
  losses_.pi_grad_norm = pnorm;
  losses_.scale = scale_;
  UpdateStats st;
  st.critic_loss = losses_.total;
  st.actor_updated = true;
  st.actor_loss = pi_loss;
  st.alpha = cfg_.entropy_coef;
  st.entropy = entropy / H1B;
  st.q_mean = q_mean / H1B;
  return st;
}

// ---------------------------------------------------------------- planning

void mppi_sample(float* actions, const float* mean, const float* std, const float* r, int H, int S, int P, int A) {
  for (int t = 0; t < H; ++t)
    for (int s = P; s < S; ++s)
      for (int j = 0; j < A; ++j) {
        const float x = mean[t * A + j] + std[t * A + j] * r[(static_cast<size_t>(t) * (S - P) + (s - P)) * A + j];
        actions[(static_cast<size_t>(t) * S + s) * A + j] = std::clamp(x, -1.f, 1.f);
      }
}

void mppi_refit(const float* actions, const float* value, int H, int S, int A, int E, float temperature, float min_std,
                float max_std, int* order, int* elites, float* score, float* mean, float* std) {
  // the elites: the E best values, best first (ties by index)
  std::iota(order, order + S, 0);
  std::partial_sort(order, order + E, order + S, [&](int a, int b) {
    return value[a] > value[b] || (value[a] == value[b] && a < b);
  });
  std::copy(order, order + E, elites);
  const float vmax = value[elites[0]];
  float ssum = 0.f;
  for (int e = 0; e < E; ++e) ssum += (score[e] = std::exp(temperature * (value[elites[e]] - vmax)));
  for (int e = 0; e < E; ++e) score[e] /= ssum;
  float tot = 0.f;
  for (int e = 0; e < E; ++e) tot += score[e];
  for (int t = 0; t < H; ++t)
    for (int j = 0; j < A; ++j) {
      float m = 0.f;
      for (int e = 0; e < E; ++e) m += score[e] * actions[(static_cast<size_t>(t) * S + elites[e]) * A + j];
      m /= tot + 1e-9f;
      float v = 0.f;
      for (int e = 0; e < E; ++e) {
        const float d = actions[(static_cast<size_t>(t) * S + elites[e]) * A + j] - m;
        v += score[e] * d * d;
      }
      mean[t * A + j] = m;
      std[t * A + j] = std::clamp(std::sqrt(v / (tot + 1e-9f)), min_std, max_std);
    }
}

void Tdmpc2Agent::act(const float* obs, bool deterministic, Rng& rng, float* action) {
  const int slot = deterministic ? 1 : 0;
  Tdmpc2PlanNoise nz;
  fill_normal(n_traj_eps_, rng);
  fill_normal(n_r_, rng);
  fill_normal(n_value_eps_, rng);
  for (int i = 0; i < I_; ++i) random_pair(rng, cfg_.num_q, n_value_pair_.data() + 2 * i);
  for (float& g : n_gumbel_) {
    double u = rng.uniform();
    if (u < 1e-300) u = 1e-300;
    g = static_cast<float>(-std::log(-std::log(u)));
  }
  nz.pi_traj_eps = n_traj_eps_.data();
  nz.r = n_r_.data();
  nz.value_eps = n_value_eps_.data();
  nz.value_pair = n_value_pair_.data();
  nz.gumbel = n_gumbel_.data();
  if (!deterministic) {
    fill_normal(n_noise_, rng);
    nz.noise = n_noise_.data();
  }
  const bool first = first_[slot] != 0;
  first_[slot] = 0;
  plan(obs, first, slot, nz, deterministic && cfg_.eval_mean, action);
}

void Tdmpc2Agent::estimate_values(int lane, int row0, int rows, int iter, const Tdmpc2PlanNoise& nz) {
  PlanLane& pl = lane_[lane];
  const int D = L_ + A_;
  const float gamma = cfg_.discount;
  for (int n = 0; n < rows; ++n) std::memcpy(pl.z.data() + static_cast<size_t>(n) * L_, z0_.data(), sizeof(float) * L_);
  float* G = pl.G.data();
  std::fill(G, G + rows, 0.f);
  float disc = 1.f;
  for (int t = 0; t < H_; ++t) {
    const float* a = actions_.data() + (static_cast<size_t>(t) * S_ + row0) * A_;
    concat_rows(pl.za.data(), pl.z.data(), a, rows, L_, A_);
    const float* logits = rew_.forward(pl.rew, pl.za.data(), rows);
    nn::two_hot_decode(pl.rdec.data(), pl.dec_p.data(), logits, rows, bins_);
    for (int n = 0; n < rows; ++n) G[n] += disc * pl.rdec[n];
    const float* z = dyn_.forward(pl.dyn, pl.za.data(), rows);
    std::memcpy(pl.z.data(), z, sizeof(float) * rows * L_);
    disc *= gamma;
  }
  const float* head = pi_.forward(pl.pi, pl.z.data(), rows);
  pi_sample(head, nz.value_eps + (static_cast<size_t>(iter) * S_ + row0) * A_, rows, pl.act.data(), pl.logp.data(),
            pl.logpg.data());
  concat_rows(pl.za.data(), pl.z.data(), pl.act.data(), rows, L_, A_);
  for (int j = 0; j < 2; ++j) {
    const float* logits = qs_[nz.value_pair[2 * iter + j]].forward(pl.q[j], pl.za.data(), rows);
    nn::two_hot_decode(j == 0 ? pl.q0.data() : pl.q1.data(), pl.dec_p.data(), logits, rows, bins_);
  }
  for (int n = 0; n < rows; ++n) {
    const float v = G[n] + disc * 0.5f * (pl.q0[n] + pl.q1[n]);
    value_[row0 + n] = std::isnan(v) ? 0.f : v;
  }
  (void)D;
}

void Tdmpc2Agent::plan(const float* obs, bool first, int slot, const Tdmpc2PlanNoise& nz, bool use_mean, float* action) {
  const GemmPrecision precision(cfg_.precision);
  const int A = A_, D = L_ + A_;
  std::memcpy(z0_.data(), enc_.forward(penc_, obs, 1), sizeof(float) * L_);
  // policy-prior trajectories fill the first P samples
  if (P_ > 0) {
    PlanLane& pl = lane_[0];
    for (int n = 0; n < P_; ++n) std::memcpy(traj_z_.data() + static_cast<size_t>(n) * L_, z0_.data(), sizeof(float) * L_);
    for (int t = 0; t < H_; ++t) {
      const float* head = pi_.forward(pl.pi, traj_z_.data(), P_);
      pi_sample(head, nz.pi_traj_eps + static_cast<size_t>(t) * P_ * A, P_, traj_act_.data(), traj_logp_.data(),
                traj_logpg_.data());
      std::memcpy(actions_.data() + static_cast<size_t>(t) * S_ * A, traj_act_.data(), sizeof(float) * P_ * A);
      if (t + 1 < H_) {
        concat_rows(traj_za_.data(), traj_z_.data(), traj_act_.data(), P_, L_, A_);
        std::memcpy(traj_z_.data(), dyn_.forward(pl.dyn, traj_za_.data(), P_), sizeof(float) * P_ * L_);
      }
    }
  }
  float* prev = prev_mean_.data() + static_cast<size_t>(slot) * H_ * A;
  std::fill(mean_.begin(), mean_.end(), 0.f);
  if (!first) std::copy(prev + A, prev + static_cast<size_t>(H_) * A, mean_.begin());
  std::fill(std_.begin(), std_.end(), cfg_.max_std);
  const int half = (S_ + 1) / 2;
  for (int it = 0; it < I_; ++it) {
    mppi_sample(actions_.data(), mean_.data(), std_.data(), nz.r + static_cast<size_t>(it) * H_ * (S_ - P_) * A, H_, S_, P_, A);
    auto values = [&](int lane) {
      const int row0 = lane * half, rows = std::min(half, S_ - row0);
      if (rows > 0) estimate_values(lane, row0, rows, it, nz);
    };
    lanes_->run(values);
    mppi_refit(actions_.data(), value_.data(), H_, S_, A, E_, cfg_.temperature, cfg_.min_std, cfg_.max_std,
               order_.data(), elite_idx_.data(), score_.data(), mean_.data(), std_.data());
    if (hook_) hook_(hook_ctx_, it, value_.data(), elite_idx_.data(), mean_.data(), std_.data());
  }
  // the action: an elite drawn by its score (Gumbel-max), plus std noise while training
  choice_ = 0;
  float best = -std::numeric_limits<float>::infinity();
  for (int e = 0; e < E_; ++e) {
    const float g = std::log(score_[e]) + nz.gumbel[e];
    if (g > best) {
      best = g;
      choice_ = e;
    }
  }
  for (int j = 0; j < A; ++j) {
    float a = use_mean ? mean_[j] : actions_[static_cast<size_t>(elite_idx_[choice_]) * A + j];
    if (!use_mean && nz.noise) a += std_[j] * nz.noise[j];
    action[j] = std::clamp(a, -1.f, 1.f);
  }
  std::copy(mean_.begin(), mean_.end(), prev);
  (void)D;
}

}  // namespace crossq
