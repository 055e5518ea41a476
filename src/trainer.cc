#include "crossq/trainer.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <tuple>

#include <fmt/core.h>

#include "crossq/agents/crossq_agent.h"
#include "crossq/agents/residual_agent.h"
#include "crossq/reset_schedule.h"
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

namespace {
double fraction(const std::vector<bool>& flags) {
  double s = 0;
  for (bool b : flags) s += b ? 1.0 : 0.0;
  return flags.empty() ? 0.0 : s / static_cast<double>(flags.size());
}
}  // namespace

double EvalResult::success_rate() const { return fraction(successes); }
double EvalResult::success_last_rate() const { return fraction(successes_last); }

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
    // success as MyoSuite's published baselines score it: `solved` at any step of the episode
    bool done = false, success_any = false, success_last = false;
    while (!done) {
      agent.act(obs.data(), true, rng, a.data());
      to_task_units(sp, a.data(), u.data());
      for (int k = 0; k < action_repeat && !done; ++k) {
        const EnvStep r = env.step(u.data(), obs.data());
        ret += r.reward;
        success_any = success_any || r.success;
        success_last = r.success;
        done = r.terminated || r.truncated;
      }
    }
    res.returns.push_back(ret);
    res.successes.push_back(success_any);
    res.successes_last.push_back(success_last);
  }
  return res;
}

std::unique_ptr<Agent> make_agent(const RunConfig& rc, Rng& rng) {
  // crossq-wn, crossq, sac and sr-sac are one implementation with different settings, as are
  // simba, bro and bro-fast (config.cc)
  if (is_residual_algo(rc.algo))
    return std::make_unique<ResidualAgent>(rc.residual, rng);
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
  f << fmt::format("{},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{},{:.3f}\n", env_step, r.mean(),
                   r.stddev(), lo, hi, r.success_rate(), r.success_last_rate(), score,
                   r.returns.size(), wall);
  if (!f) throw Error("cannot write " + dir_ + "/eval.csv", "check the disk and the folder's permissions");
}

std::string find_nonfinite(Agent& agent) {
  // parameters, optimizer moments and running statistics are float32 arrays named
  // <network>.w / .m / .v / .running, and the temperature log_alpha (agent.h, StateRef)
  for (const StateRef& r : agent.state()) {
    const std::string& n = r.name;
    auto ends = [&](const char* suf) {
      const size_t k = std::strlen(suf);
      return n.size() >= k && n.compare(n.size() - k, k, suf) == 0;
    };
    if (!(ends(".w") || ends(".m") || ends(".v") || ends(".running") || n == "log_alpha")) continue;
    const float* x = static_cast<const float*>(r.data);
    const size_t count = r.bytes / sizeof(float);
    for (size_t k = 0; k < count; ++k) {
      if (std::isfinite(x[k])) continue;
      const char* what = ends(".w") ? "parameters" : ends(".running") ? "BN running statistics"
                         : n == "log_alpha" ? "temperature" : "optimizer moments";
      return fmt::format("{} of {} hold {} (in {}, element {})", what, n.substr(0, n.find('.')),
                         std::isnan(x[k]) ? "NaN" : "Inf", n, k);
    }
  }
  return {};
}

void Trainer::check_finite(int64_t env_step, int64_t updates) {
  const std::string bad = find_nonfinite(*agent_);
  if (!bad.empty())
    throw Error(fmt::format("training diverged: {} at env step {} (update {})", bad, env_step, updates),
                fmt::format("the last good checkpoint, if any, is kept in {}; lower the learning "
                            "rates or the UTD ratio", checkpoint_path(dir_)),
                kExitDiverged);
}

namespace {

// the size of a file, or -1 when it does not exist
int64_t file_size(const std::string& path) {
  std::error_code ec;
  const auto n = fs::file_size(path, ec);
  return ec ? -1 : static_cast<int64_t>(n);
}

// makes a log file durable before a checkpoint records its length
void fsync_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

// cuts a log file back to the length a checkpoint recorded: rows written after it are redone
void truncate_log(const std::string& path, int64_t bytes) {
  const int64_t have = file_size(path);
  if (have < bytes)
    throw Error(fmt::format("cannot resume: {} holds {} bytes, the checkpoint recorded {}", path,
                            std::max<int64_t>(have, 0), bytes),
                "the run folder was modified after the checkpoint; start the run again", kExitUsage);
  fs::resize_file(path, static_cast<uintmax_t>(bytes));
}

// the loop's scalar counters, checkpointed as one array (order is the format)
struct Counters {
  int64_t env_step = 0, transitions = 0, updates = 0, next_eval = 0, last_eval_step = -1,
          next_reset = -1, next_checkpoint = -1, n_upd = 0, n_actor = 0, interval_step0 = 0,
          episode_step = 0, eval_csv_bytes = 0, train_csv_bytes = 0, has_eval = 0;
};
// and its floating-point accumulators
struct Sums {
  double critic = 0, actor = 0, alpha_loss = 0, entropy = 0, q = 0, alpha = 0, elapsed_s = 0,
         update_s = 0, last_eval_return = 0;
};

}  // namespace

std::string checkpoint_path(const std::string& run_dir) { return run_dir + "/checkpoint.bin"; }

namespace {
volatile std::sig_atomic_t g_stop_signal = 0;
extern "C" void on_stop_signal(int sig) { g_stop_signal = sig; }
}  // namespace

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART | SA_RESETHAND;  // a second signal of the same kind kills at once
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}
int pending_stop_signal() { return g_stop_signal; }
void clear_stop_signal() { g_stop_signal = 0; }

void Trainer::run(const std::function<void(const Progress&)>& progress, Checkpoint* resume) {
  const TaskSpec& sp = env_->spec();
  const int O = sp.obs_dim, A = sp.act_dim;
  const auto t0 = Clock::now();
  auto seconds_since = [](Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
  };
  const std::string eval_path = dir_ + "/eval.csv", train_path = dir_ + "/train.csv";

  // random streams, seeded apart (the evaluation env has its own)
  Rng env_rng = stream(rc_.seed, 2), eval_rng = stream(rc_.seed, 3), act_rng = stream(rc_.seed, 4),
      replay_rng = stream(rc_.seed, 5), update_rng = stream(rc_.seed, 6),
      reset_rng = stream(rc_.seed, 7);
  const std::pair<const char*, Rng*> rngs[] = {{"rng.env", &env_rng},       {"rng.eval", &eval_rng},
                                               {"rng.act", &act_rng},       {"rng.replay", &replay_rng},
                                               {"rng.update", &update_rng}, {"rng.reset", &reset_rng}};

  // the buffer never needs more slots than the run makes transitions
  const int64_t max_transitions = rc_.steps / rc_.action_repeat + 1;
  ReplayBuffer replay(std::min(rc_.replay_capacity, max_transitions), O, A);
  Batch batch(rc_.agent.batch_size, O, A);
  std::vector<float> obs(O), next_obs(O), a(A), u(A);
  Counters c;
  Sums sum;
  c.next_eval = rc_.eval_every;
  c.next_reset = rc_.reset_every > 0 ? rc_.reset_every : -1;
  c.next_checkpoint = rc_.checkpoint_every > 0 ? rc_.checkpoint_every : -1;
  // listed reset steps (BRO); periodic resets use c.next_reset. Not checkpointed: on resume the
  // points at or before the restored env step are skipped (they were handled before the save)
  ResetSchedule listed_resets(0, rc_.reset_steps);
  resets_.clear();

  // the replay arrays hold `size` rows from the start (the ring fills front to back)
  auto replay_arrays = [&](int64_t rows) {
    const size_t n = static_cast<size_t>(rows);
    return std::vector<std::tuple<const char*, void*, size_t>>{
        {"replay.obs", replay.obs().data(), n * O * sizeof(float)},
        {"replay.act", replay.act().data(), n * A * sizeof(float)},
        {"replay.reward", replay.reward().data(), n * sizeof(float)},
        {"replay.next_obs", replay.next_obs().data(), n * O * sizeof(float)},
        {"replay.terminated", replay.terminated().data(), n}};
  };

  std::ofstream train;
  if (!resume) {
    // the run's files: config first, then headers
    std::ofstream f(dir_ + "/config.json");
    f << cfg_.dump(2) << "\n";
    if (!f) throw Error("cannot write " + dir_ + "/config.json", "check the output folder");
    std::ofstream e(eval_path);
    e << "env_step,return_mean,return_std,return_min,return_max,success_rate,success_last,score,"
         "episodes,wall_time_s\n";
    train.open(train_path);
    train << "env_step,updates,losses/critic,losses/actor,losses/alpha,charts/alpha,charts/entropy,"
             "charts/q_mean,charts/sps";
    const std::vector<CriticDiagnostics> diag0 = agent_->diagnostics();
    const int critic_layers_dense = static_cast<int>(diag0[0].elr.size());
    for (int k = 0; k < static_cast<int>(diag0.size()); ++k) {
      train << fmt::format(",critic{0}/param_norm,critic{0}/grad_norm,critic{0}/elr,critic{0}/dead_frac", k);
      for (int j = 0; j < critic_layers_dense; ++j) train << fmt::format(",critic{}/elr_layer{}", k, j);
    }
    train << "\n";
    env_->reset(env_rng, obs.data());
  } else {
    // restore every piece of state the loop carries, then cut the logs back to their lengths
    const Checkpoint& ck = *resume;
    ck.read_into("loop.counters", &c, sizeof(c));
    ck.read_into("loop.sums", &sum, sizeof(sum));
    for (auto& [name, r] : rngs) ck.read_into(name, r->s, sizeof(r->s));
    for (const StateRef& r : agent_->state()) ck.read_into("agent/" + r.name, r.data, r.bytes);
    int64_t cursor[3];
    ck.read_into("replay.cursor", cursor, sizeof(cursor));
    if (cursor[2] != replay.capacity() || cursor[1] < 0 || cursor[1] > replay.capacity() ||
        cursor[0] < 0 || cursor[0] >= replay.capacity())
      throw Error("checkpoint " + checkpoint_path(dir_) + " holds a replay buffer of another shape",
                  "resume with the configuration the run started with", kExitUsage);
    replay.set_cursor(cursor[0], cursor[1]);
    for (auto& [name, data, bytes] : replay_arrays(cursor[1])) ck.read_into(name, data, bytes);
    ck.read_into("env.obs", obs.data(), obs.size() * sizeof(float));
    for (auto [name, env] : {std::pair{"env.task", env_.get()}, std::pair{"eval_env.task", eval_env_.get()}}) {
      const std::string_view v = ck.get(name);
      const std::vector<double> st = env->task().state();
      if (v.size() != st.size() * sizeof(double))
        throw Error("checkpoint " + checkpoint_path(dir_) + ": section '" + name + "' does not fit task " + sp.name,
                    "resume with the configuration the run started with", kExitUsage);
      std::vector<double> x(st.size());
      std::memcpy(x.data(), v.data(), v.size());
      env->task().set_state(x);
    }
    env_->set_episode_step(c.episode_step);
    listed_resets.due(c.env_step);
    *resume = Checkpoint();  // releases the file's memory (the replay can be hundreds of MB)
    // config.json may differ in bookkeeping keys (threads, checkpoint_every)
    {
      std::ofstream f(dir_ + "/config.json");
      f << cfg_.dump(2) << "\n";
      if (!f) throw Error("cannot write " + dir_ + "/config.json", "check the run folder");
    }
    truncate_log(eval_path, c.eval_csv_bytes);
    truncate_log(train_path, c.train_csv_bytes);
    train.open(train_path, std::ios::app);
    update_s_ = sum.update_s;
  }
  if (!train) throw Error("cannot write " + train_path, "check the run folder's permissions");
  const double elapsed0 = sum.elapsed_s;  // wall seconds of earlier sessions of this run
  const int64_t step0 = c.env_step;

  // writes checkpoint.bin (atomically) from the loop's state; checks finiteness first so a
  // diverged state never replaces a good checkpoint
  auto save = [&] {
    check_finite(c.env_step, c.updates);
    train.flush();
    fsync_file(train_path);
    fsync_file(eval_path);
    c.train_csv_bytes = file_size(train_path);
    c.eval_csv_bytes = file_size(eval_path);
    c.episode_step = env_->episode_step();
    sum.elapsed_s = elapsed0 + seconds_since(t0);
    sum.update_s = update_s_;
    const std::vector<double> env_state = env_->task().state(), eval_state = eval_env_->task().state();
    const int64_t cursor[3] = {replay.head(), replay.size(), replay.capacity()};
    CheckpointWriter w;
    w.add_copy("config", cfg_.dump());
    w.add("loop.counters", &c, sizeof(c));
    w.add("loop.sums", &sum, sizeof(sum));
    for (auto& [name, r] : rngs) w.add(name, r->s, sizeof(r->s));
    for (const StateRef& r : agent_->state()) w.add("agent/" + r.name, r.data, r.bytes);
    w.add("replay.cursor", cursor, sizeof(cursor));
    for (auto& [name, data, bytes] : replay_arrays(replay.size())) w.add(name, data, bytes);
    w.add("env.obs", obs.data(), obs.size() * sizeof(float));
    w.add("env.task", env_state.data(), env_state.size() * sizeof(double));
    w.add("eval_env.task", eval_state.data(), eval_state.size() * sizeof(double));
    w.write(checkpoint_path(dir_));
  };

  Progress prog;
  prog.total_steps = rc_.steps;
  prog.has_eval = c.has_eval != 0;
  prog.last_eval_return = sum.last_eval_return;
  auto last_progress = Clock::now();
  auto interval_t0 = Clock::now();
  auto* cq = dynamic_cast<CrossQAgent*>(agent_.get());
  bool stepped = false;

  while (c.env_step < rc_.steps) {
    stepped = true;
    // act: uniform random during warm-up, then the eval-mode actor's sample
    if (c.transitions < rc_.warmup) {
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
      ++c.env_step;
      terminated = r.terminated;
      truncated = r.truncated;
      if (terminated || truncated) break;
    }
    agent_->observe(obs.data());  // running statistics see each collected observation once
    replay.add(obs.data(), a.data(), static_cast<float>(reward * rc_.reward_scale), next_obs.data(),
               terminated);
    ++c.transitions;
    if (terminated || truncated) {
      env_->reset(env_rng, obs.data());
    } else {
      obs.swap(next_obs);
    }

    // learn: utd updates per agent step once warm-up is over
    if (c.transitions >= rc_.warmup && replay.size() >= 1) {
      const auto tu = Clock::now();
      for (int k = 0; k < rc_.utd; ++k) {
        replay.sample(replay_rng, batch);
        const bool log_now = (c.updates + 1) % rc_.log_every == 0;
        if (cq) cq->set_collect_dead_fraction(log_now);
        const UpdateStats st = agent_->update(batch, update_rng);
        ++c.updates;
        if (!std::isfinite(st.critic_loss) || (st.actor_updated && !std::isfinite(st.actor_loss)))
          throw Error(fmt::format("training diverged: {} loss is {} at env step {} (update {})",
                                  std::isfinite(st.critic_loss) ? "actor" : "critic",
                                  std::isfinite(st.critic_loss) ? st.actor_loss : st.critic_loss,
                                  c.env_step, c.updates),
                      fmt::format("the last good checkpoint, if any, is kept in {}; lower the "
                                  "learning rates or the UTD ratio", checkpoint_path(dir_)),
                      kExitDiverged);
        sum.critic += st.critic_loss;
        sum.q += st.q_mean;
        sum.alpha = st.alpha;
        ++c.n_upd;
        if (st.actor_updated) {
          sum.actor += st.actor_loss;
          sum.alpha_loss += st.alpha_loss;
          sum.entropy += st.entropy;
          ++c.n_actor;
        }
        if (log_now) {
          const double dt = seconds_since(interval_t0);
          const double sps = dt > 0 ? static_cast<double>(c.env_step - c.interval_step0) / dt : 0.0;
          auto opt = [&](double s, int64_t n) { return n ? fmt::format("{:.6g}", s / static_cast<double>(n)) : std::string(); };
          const std::vector<CriticDiagnostics> diag = agent_->diagnostics();
          for (size_t i = 0; i < diag.size(); ++i)  // a cheap gradient check each log row
            if (!std::isfinite(diag[i].grad_norm) || !std::isfinite(diag[i].param_norm))
              throw Error(fmt::format("training diverged: the gradient of critic{} is {} at env step {} (update {})",
                                      i, std::isnan(diag[i].grad_norm) ? "NaN" : "not finite", c.env_step, c.updates),
                          fmt::format("the last good checkpoint, if any, is kept in {}; lower the "
                                      "learning rates or the UTD ratio", checkpoint_path(dir_)),
                          kExitDiverged);
          check_finite(c.env_step, c.updates);
          train << fmt::format("{},{},{},{},{},{:.6g},{},{},{:.1f}", c.env_step, c.updates, opt(sum.critic, c.n_upd),
                               opt(sum.actor, c.n_actor), opt(sum.alpha_loss, c.n_actor), sum.alpha,
                               opt(sum.entropy, c.n_actor), opt(sum.q, c.n_upd), sps);
          for (const CriticDiagnostics& d : diag) {
            train << fmt::format(",{:.6g},{:.6g},{:.6g},{:.6g}", d.param_norm, d.grad_norm, d.elr_mean, d.dead_fraction);
            for (double e : d.elr) train << fmt::format(",{:.6g}", e);
          }
          train << "\n";
          train.flush();
          sum.critic = sum.actor = sum.alpha_loss = sum.entropy = sum.q = 0;
          c.n_upd = c.n_actor = 0;
          c.interval_step0 = c.env_step;
          interval_t0 = Clock::now();
        }
      }
      update_s_ += seconds_since(tu);
    }

    // evaluation every eval_every env steps and once at the end
    const bool last = c.env_step >= rc_.steps;
    if (c.env_step >= c.next_eval || (last && c.last_eval_step != c.env_step)) {
      const EvalResult r = evaluate(*agent_, *eval_env_, eval_rng, rc_.eval_episodes, rc_.action_repeat);
      write_eval_row(c.env_step, r, elapsed0 + seconds_since(t0));
      c.last_eval_step = c.env_step;
      while (c.next_eval <= c.env_step) c.next_eval += rc_.eval_every;
      prog.has_eval = true;
      c.has_eval = 1;
      prog.last_eval_return = sum.last_eval_return = r.mean();
      last_progress = Clock::time_point{};  // report right away
    }

    // parameter resets on a schedule of env steps (SR-SAC, BRO, ablation); replay is kept.
    // After the evaluation, so an evaluation that falls on a reset step scores the trained agent
    bool reset_due = listed_resets.due(c.env_step);
    while (c.next_reset > 0 && c.env_step >= c.next_reset) {
      reset_due = true;
      c.next_reset += rc_.reset_every;
    }
    if (reset_due) {
      agent_->reset_parameters(reset_rng);
      resets_.push_back({c.env_step, replay.size()});
    }

    // checkpoints on a schedule of env steps, and on SIGINT / SIGTERM between agent steps
    if (c.next_checkpoint > 0 && c.env_step >= c.next_checkpoint && !last) {
      save();
      while (c.next_checkpoint <= c.env_step) c.next_checkpoint += rc_.checkpoint_every;
    }
    if (const int sig = pending_stop_signal(); sig != 0 && !last) {
      save();
      throw Error(fmt::format("interrupted by {} at env step {} of {}; checkpoint written to {}",
                              sig == SIGINT ? "SIGINT" : "SIGTERM", c.env_step, rc_.steps,
                              checkpoint_path(dir_)),
                  "crossq train --resume " + dir_,
                  sig == SIGINT ? kExitSigint : kExitSigterm);
    }

    if (progress && seconds_since(last_progress) >= 1.0) {
      const double el = seconds_since(t0);
      prog.env_step = c.env_step;
      prog.sps = el > 0 ? static_cast<double>(c.env_step - step0) / el : 0;
      prog.eta_s = prog.sps > 0 ? static_cast<double>(rc_.steps - c.env_step) / prog.sps : 0;
      progress(prog);
      last_progress = Clock::now();
    }
  }
  total_s_ = seconds_since(t0);  // training only (`crossq bench loop`), not the final write
  if (stepped) save();           // the final checkpoint: the run can be inspected or extended
}

}  // namespace crossq
