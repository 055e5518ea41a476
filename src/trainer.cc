#include "crossq/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <fmt/core.h>

#include "crossq/agents/crossq_agent.h"
#include "crossq/error.h"
#include "crossq/tasks/registry.h"

namespace crossq {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double EvalResult::mean() const {
  double s = 0;
  for (double r : returns) s += r;
  return returns.empty() ? 0.0 : s / static_cast<double>(returns.size());
}

double EvalResult::stddev() const {
  const double m = mean();
  double s = 0;
  for (double r : returns) s += (r - m) * (r - m);
  return returns.empty() ? 0.0 : std::sqrt(s / static_cast<double>(returns.size()));
}

double EvalResult::success_rate() const {
  double s = 0;
  for (bool b : successes) s += b ? 1.0 : 0.0;
  return successes.empty() ? 0.0 : s / static_cast<double>(successes.size());
}

namespace {

// maps an agent action in [-1, 1] to the task's bounds
void to_task_units(const TaskSpec& sp, const float* a, float* out) {
  for (int i = 0; i < sp.act_dim; ++i)
    out[i] = sp.act_low[i] + 0.5f * (a[i] + 1.f) * (sp.act_high[i] - sp.act_low[i]);
}

// independent streams of one run, each derived from the seed and a fixed salt
Rng stream(uint64_t seed, uint64_t salt) { return Rng(seed * 0x9e3779b97f4a7c15ULL ^ salt); }

}  // namespace

EvalResult evaluate(Agent& agent, Env& env, Rng& rng, int episodes, int action_repeat) {
  const TaskSpec& sp = env.spec();
  std::vector<float> obs(sp.obs_dim), a(sp.act_dim), u(sp.act_dim);
  EvalResult res;
  for (int ep = 0; ep < episodes; ++ep) {
    env.reset(rng, obs.data());
    double ret = 0;
    bool done = false, success = false;
    while (!done) {
      agent.act(obs.data(), true, rng, a.data());
      to_task_units(sp, a.data(), u.data());
      for (int k = 0; k < action_repeat && !done; ++k) {
        const EnvStep r = env.step(u.data(), obs.data());
        ret += r.reward;
        success = r.success;
        done = r.terminated || r.truncated;
      }
    }
    res.returns.push_back(ret);
    res.successes.push_back(success);
  }
  return res;
}

std::unique_ptr<Agent> make_agent(const RunConfig& rc, Rng& rng) {
  // crossq-wn, crossq and sac are one implementation with different settings (config.cc)
  return std::make_unique<CrossQAgent>(rc.agent, rng);
}

Trainer::Trainer(const nlohmann::json& cfg, std::string run_dir) : cfg_(cfg), dir_(std::move(run_dir)) {
  env_ = std::make_unique<Env>(make_task(cfg["task"]));
  eval_env_ = std::make_unique<Env>(make_task(cfg["task"]));
  rc_ = to_run_config(cfg, env_->spec());
  Rng init = stream(rc_.seed, 1);
  agent_ = make_agent(rc_, init);
}

Trainer::~Trainer() = default;

void Trainer::write_eval_row(int64_t env_step, const EvalResult& r, double wall) {
  std::ofstream f(dir_ + "/eval.csv", std::ios::app);
  double lo = r.returns.empty() ? 0 : r.returns[0], hi = lo;
  for (double x : r.returns) { lo = std::min(lo, x); hi = std::max(hi, x); }
  const double score = normalized_score(eval_env_->spec(), r.mean(), r.success_rate());
  f << fmt::format("{},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{},{:.3f}\n", env_step, r.mean(),
                   r.stddev(), lo, hi, r.success_rate(), score, r.returns.size(), wall);
  if (!f) throw Error("cannot write " + dir_ + "/eval.csv", "check the disk and the folder's permissions");
}

void Trainer::run(const std::function<void(const Progress&)>& progress) {
  const TaskSpec& sp = env_->spec();
  const int O = sp.obs_dim, A = sp.act_dim;
  const auto t0 = Clock::now();
  auto seconds_since = [](Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
  };

  // the run's files: config first, then headers
  {
    std::ofstream f(dir_ + "/config.json");
    f << cfg_.dump(2) << "\n";
    if (!f) throw Error("cannot write " + dir_ + "/config.json", "check the output folder");
    std::ofstream e(dir_ + "/eval.csv");
    e << "env_step,return_mean,return_std,return_min,return_max,success_rate,score,episodes,wall_time_s\n";
  }
  std::ofstream train(dir_ + "/train.csv");
  train << "env_step,updates,losses/critic,losses/actor,losses/alpha,charts/alpha,charts/entropy,"
           "charts/q_mean,charts/sps";
  const int critic_layers_dense = rc_.agent.critic_layers + 1;
  for (int c = 0; c < 2; ++c) {
    train << fmt::format(",critic{0}/param_norm,critic{0}/grad_norm,critic{0}/elr,critic{0}/dead_frac", c);
    for (int j = 0; j < critic_layers_dense; ++j) train << fmt::format(",critic{}/elr_layer{}", c, j);
  }
  train << "\n";

  // random streams, seeded apart (the evaluation env has its own)
  Rng env_rng = stream(rc_.seed, 2), eval_rng = stream(rc_.seed, 3), act_rng = stream(rc_.seed, 4),
      replay_rng = stream(rc_.seed, 5), update_rng = stream(rc_.seed, 6),
      reset_rng = stream(rc_.seed, 7);

  // the buffer never needs more slots than the run makes transitions
  const int64_t max_transitions = rc_.steps / rc_.action_repeat + 1;
  ReplayBuffer replay(std::min(rc_.replay_capacity, max_transitions), O, A);
  Batch batch(rc_.agent.batch_size, O, A);
  std::vector<float> obs(O), next_obs(O), a(A), u(A);
  env_->reset(env_rng, obs.data());

  int64_t env_step = 0, transitions = 0, updates = 0;
  int64_t next_eval = rc_.eval_every, last_eval_step = -1;
  int64_t next_reset = rc_.reset_every > 0 ? rc_.reset_every : -1;
  Progress prog;
  prog.total_steps = rc_.steps;
  auto last_progress = Clock::now();
  // train.csv accumulators over one logging interval
  double sum_critic = 0, sum_actor = 0, sum_alpha_loss = 0, sum_entropy = 0, sum_q = 0, alpha = 0;
  int64_t n_upd = 0, n_actor = 0;
  int64_t interval_step0 = 0;
  auto interval_t0 = Clock::now();
  auto* cq = dynamic_cast<CrossQAgent*>(agent_.get());

  while (env_step < rc_.steps) {
    // act: uniform random during warm-up, then the eval-mode actor's sample
    if (transitions < rc_.warmup) {
      for (int j = 0; j < A; ++j) a[j] = static_cast<float>(act_rng.uniform(-1.0, 1.0));
    } else {
      agent_->act(obs.data(), false, act_rng, a.data());
    }
    to_task_units(sp, a.data(), u.data());
    double reward = 0;
    bool terminated = false, truncated = false;
    for (int k = 0; k < rc_.action_repeat; ++k) {
      const EnvStep r = env_->step(u.data(), next_obs.data());
      reward += r.reward;
      ++env_step;
      terminated = r.terminated;
      truncated = r.truncated;
      if (terminated || truncated) break;
    }
    replay.add(obs.data(), a.data(), static_cast<float>(reward * rc_.reward_scale), next_obs.data(),
               terminated);
    ++transitions;
    if (terminated || truncated) {
      env_->reset(env_rng, obs.data());
    } else {
      obs.swap(next_obs);
    }

    // learn: utd updates per agent step once warm-up is over
    if (transitions >= rc_.warmup && replay.size() >= 1) {
      const auto tu = Clock::now();
      for (int k = 0; k < rc_.utd; ++k) {
        replay.sample(replay_rng, batch);
        const bool log_now = (updates + 1) % rc_.log_every == 0;
        if (cq) cq->set_collect_dead_fraction(log_now);
        const UpdateStats st = agent_->update(batch, update_rng);
        ++updates;
        if (!std::isfinite(st.critic_loss) || (st.actor_updated && !std::isfinite(st.actor_loss)))
          throw Error(fmt::format("training diverged: {} loss is {} at env step {} (update {})",
                                  std::isfinite(st.critic_loss) ? "actor" : "critic",
                                  std::isfinite(st.critic_loss) ? st.actor_loss : st.critic_loss,
                                  env_step, updates),
                      "lower the learning rates or the UTD ratio", kExitDiverged);
        sum_critic += st.critic_loss;
        sum_q += st.q_mean;
        alpha = st.alpha;
        ++n_upd;
        if (st.actor_updated) {
          sum_actor += st.actor_loss;
          sum_alpha_loss += st.alpha_loss;
          sum_entropy += st.entropy;
          ++n_actor;
        }
        if (log_now) {
          const double dt = seconds_since(interval_t0);
          const double sps = dt > 0 ? static_cast<double>(env_step - interval_step0) / dt : 0.0;
          auto opt = [&](double sum, int64_t n) { return n ? fmt::format("{:.6g}", sum / static_cast<double>(n)) : std::string(); };
          train << fmt::format("{},{},{},{},{},{:.6g},{},{},{:.1f}", env_step, updates, opt(sum_critic, n_upd),
                               opt(sum_actor, n_actor), opt(sum_alpha_loss, n_actor), alpha,
                               opt(sum_entropy, n_actor), opt(sum_q, n_upd), sps);
          for (const CriticDiagnostics& d : agent_->diagnostics()) {
            train << fmt::format(",{:.6g},{:.6g},{:.6g},{:.6g}", d.param_norm, d.grad_norm, d.elr_mean, d.dead_fraction);
            for (double e : d.elr) train << fmt::format(",{:.6g}", e);
          }
          train << "\n";
          train.flush();
          sum_critic = sum_actor = sum_alpha_loss = sum_entropy = sum_q = 0;
          n_upd = n_actor = 0;
          interval_step0 = env_step;
          interval_t0 = Clock::now();
        }
      }
      update_s_ += seconds_since(tu);
    }

    // parameter resets on a schedule of env steps (ablation; replay is kept)
    if (next_reset > 0 && env_step >= next_reset) {
      agent_->reset_parameters(reset_rng);
      next_reset += rc_.reset_every;
    }

    // evaluation every eval_every env steps and once at the end
    const bool last = env_step >= rc_.steps;
    if (env_step >= next_eval || (last && last_eval_step != env_step)) {
      const EvalResult r = evaluate(*agent_, *eval_env_, eval_rng, rc_.eval_episodes, rc_.action_repeat);
      write_eval_row(env_step, r, seconds_since(t0));
      last_eval_step = env_step;
      while (next_eval <= env_step) next_eval += rc_.eval_every;
      prog.has_eval = true;
      prog.last_eval_return = r.mean();
      last_progress = Clock::time_point{};  // report right away
    }
    if (progress && seconds_since(last_progress) >= 1.0) {
      const double el = seconds_since(t0);
      prog.env_step = env_step;
      prog.sps = el > 0 ? static_cast<double>(env_step) / el : 0;
      prog.eta_s = prog.sps > 0 ? static_cast<double>(rc_.steps - env_step) / prog.sps : 0;
      progress(prog);
      last_progress = Clock::now();
    }
  }
  total_s_ = seconds_since(t0);
}

}  // namespace crossq
