#include "crossq/train/trainer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <tuple>

#include <fmt/core.h>

#include "crossq/agents/crossq_agent.h"
#include "crossq/agents/residual_agent.h"
#include "crossq/train/reset_schedule.h"
#include "crossq/core/error.h"
#include "crossq/train/learner.h"
#include "crossq/train/run_folder.h"
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

}  // namespace

EvalResult evaluate(Agent& agent, Env& env, Rng& rng, int episodes, int action_repeat) {
  const TaskSpec& sp = env.spec();
  std::vector<float> obs(sp.obs_dim), a(sp.act_dim), u(sp.act_dim);
  EvalResult res;
  for (int ep = 0; ep < episodes; ++ep) {
    env.reset(rng, obs.data());
    agent.begin_episode(true);
    double ret = 0;
    // success as MyoSuite's published baselines score it: `solved` at any step of the episode
    bool done = false, success_any = false, success_last = false;
    while (!done) {
      agent.act(obs.data(), true, rng, a.data());
      for (int j = 0; j < sp.act_dim; ++j)
        if (!std::isfinite(a[j]))
          throw Error(fmt::format("training diverged: the policy's evaluation action holds {} (component {})",
                                  std::isnan(a[j]) ? "NaN" : "Inf", j),
                      "the last good checkpoint, if any, is kept in the run folder; lower the learning "
                      "rates or the UTD ratio",
                      kExitDiverged);
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


void check_memory(const RunConfig& rc, const TaskSpec& sp) {
  // the replay buffer is allocated in full up front: refuse one the machine cannot hold
  const int64_t rows = std::min(rc.replay_capacity, rc.steps / rc.action_repeat + 1);
  const double replay_bytes =
      static_cast<double>(rows) * static_cast<double>(ReplayBuffer::bytes_per_transition(sp.obs_dim, sp.act_dim));
  const double ram = static_cast<double>(::sysconf(_SC_PHYS_PAGES)) * static_cast<double>(::sysconf(_SC_PAGESIZE));
  if (ram > 0 && replay_bytes > 0.9 * ram)
    throw usage_error(fmt::format("the replay buffer would take {:.1f} GiB ({} transitions), more than this "
                                  "machine's {:.1f} GiB of memory",
                                  replay_bytes / (1 << 30), rows, ram / (1 << 30)),
                      "lower --replay-capacity (or --steps)");
}

nlohmann::json checkpoint_settings(const Checkpoint& ck, const std::string& path) {
  const std::string_view text = ck.get("config");
  nlohmann::json cfg;
  if (json_depth_within(text, 64)) cfg = nlohmann::json::parse(text, nullptr, false);
  if (cfg.is_discarded() || !cfg.is_object())
    throw usage_error("checkpoint " + path + " holds no valid configuration",
                      "the file is corrupt; start the run again with --overwrite");
  upgrade_config(cfg);
  return checked_config(cfg, "the settings in checkpoint " + path);
}

static void check_myo_done(const nlohmann::json& c, const std::string& suite) {
  if (!c["myo_done"].get<bool>()) return;
  if (suite != "myo")
    throw usage_error("myo_done applies to the MyoSuite hand tasks (myo-*), not to '" +
                          c["task"].get<std::string>() + "'",
                      "drop --set myo_done=true, or train on a myo-* task");
  if (c["algo"] == "tdmpc2")
    throw usage_error("myo_done ends episodes at a terminal state, which tdmpc2 does not train on "
                      "(TD-MPC2 is non-episodic)",
                      "drop --set myo_done=true for tdmpc2");
}

void preflight(const nlohmann::json& cfg) {
  const nlohmann::json c = checked_config(cfg, "the run's settings");
  const TaskSpec sp = task_spec(c["task"]);
  check_myo_done(c, sp.suite);
  const RunConfig rc = to_run_config(c, sp);
  check_precision(rc.agent.precision);
  check_memory(rc, sp);
}

Trainer::Trainer(const nlohmann::json& cfg, std::string run_dir, RunLock lock)
    : Trainer(cfg, std::move(run_dir), nullptr, nullptr, std::move(lock)) {}

Trainer::Trainer(const nlohmann::json& cfg, std::string run_dir, std::unique_ptr<Task> task,
                 std::unique_ptr<Task> eval_task, RunLock lock)
    : cfg_(checked_config(cfg, "the run's settings")), dir_(std::move(run_dir)), lock_(std::move(lock)) {
  if (!task) task = make_task(cfg_["task"]);
  if (!eval_task) eval_task = make_task(cfg_["task"]);
  if (cfg_["myo_done"].get<bool>()) {
    check_myo_done(cfg_, task->spec().suite);
    if (!task->set_task_done(true) || !eval_task->set_task_done(true))
      throw usage_error("myo_done: task '" + task->spec().name + "' has no MyoSuite `done` condition",
                        "drop --set myo_done=true, or train on a myo-* task");
  }
  env_ = std::make_unique<Env>(std::move(task));
  eval_env_ = std::make_unique<Env>(std::move(eval_task));
  const TaskSpec& sp = env_->spec();
  rc_ = to_run_config(cfg_, sp);
  check_memory(rc_, sp);
  try {
    learner_ = std::make_unique<Learner>(cfg_, sp.obs_dim, sp.act_dim, LearnerMode::kInline);
  } catch (const std::bad_alloc&) {
    throw usage_error("not enough memory for the networks of this configuration",
                      "lower --critic-hidden, --actor-hidden or --batch-size");
  }
  if (!lock_.held()) lock_ = RunLock::acquire(dir_);
}

Agent& Trainer::agent() { return learner_->agent(); }
double Trainer::update_seconds() const { return learner_->update_seconds(); }

Trainer::~Trainer() = default;


namespace {
Error diverged(const std::string& what, const std::string& run_dir) {
  return Error("training diverged: " + what,
               fmt::format("the last good checkpoint, if any, is kept in {}; lower the learning "
                           "rates or the UTD ratio", checkpoint_path(run_dir)),
               kExitDiverged);
}
}  // namespace

void check_finite(Agent& agent, const std::string& run_dir, int64_t env_step, int64_t updates) {
  const std::string bad = find_nonfinite(agent);
  if (!bad.empty()) throw diverged(fmt::format("{} at env step {} (update {})", bad, env_step, updates), run_dir);
}

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
  std::signal(SIGXFSZ, SIG_IGN);  // a write past RLIMIT_FSIZE fails with EFBIG, checked like ENOSPC
}
int pending_stop_signal() { return g_stop_signal; }


namespace {

// the loop's scalar counters, checkpointed as one array (order is the format); the learner
// checkpoints its own (transitions, updates, the open log interval)
struct Counters {
  int64_t env_step = 0, next_eval = 0, last_eval_step = -1, next_reset = -1, next_checkpoint = -1,
          interval_step0 = 0, episode_step = 0, eval_csv_bytes = 0, train_csv_bytes = 0, has_eval = 0;
};
// and its floating-point ones
struct Sums {
  double elapsed_s = 0, last_eval_return = 0;
};

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// settings that may differ between sessions of one run (they do not change what it computes)
const char* const kSessionKeys[] = {"threads", "checkpoint_every", "sources"};

nlohmann::json without_session_keys(nlohmann::json c) {
  for (const char* k : kSessionKeys) c.erase(k);
  return c;
}

// the first key whose value differs between two configurations, described
std::string config_difference(const nlohmann::json& a, const char* a_name, const nlohmann::json& b, const char* b_name) {
  const nlohmann::json x = without_session_keys(a), y = without_session_keys(b);
  auto show = [](const nlohmann::json& v) { return printable(v.is_string() ? v.get<std::string>() : v.dump(), 60); };
  std::vector<std::string> keys;
  for (auto it = x.begin(); it != x.end(); ++it) keys.push_back(it.key());
  for (auto it = y.begin(); it != y.end(); ++it)
    if (!x.contains(it.key())) keys.push_back(it.key());
  // a setting first: it says more than the run ids, which differ between any two runs
  std::stable_partition(keys.begin(), keys.end(), [](const std::string& k) { return k != "run_id"; });
  for (const std::string& k : keys) {
    if (x.contains(k) && y.contains(k) && x[k] == y[k]) continue;
    return fmt::format("{} is {} in {}, {} in {}", printable(k, 40), x.contains(k) ? show(x[k]) : "unset", a_name,
                       y.contains(k) ? show(y[k]) : "unset", b_name);
  }
  return {};
}

std::string new_run_id() {
  std::random_device rd;
  const uint64_t id = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  return fmt::format("{:016x}", id);
}

}  // namespace

// One run's loop as named steps over one state: start or restore, then per agent step collect
// (act, step the task, hand the transition to the learner, which learns and logs), evaluate,
// reset, checkpoint, report progress.
class RunLoop {
 public:
  explicit RunLoop(Trainer& t)
      : t_(t), rc_(t.rc_), learner_(*t.learner_), sp_(t.env_->spec()), O_(sp_.obs_dim), A_(sp_.act_dim),
        eval_path_(t.dir_ + "/eval.csv"), train_path_(t.dir_ + "/train.csv"), obs_(O_), next_obs_(O_), a_(A_), u_(A_),
        listed_resets_(0, rc_.reset_steps) {
    c_.next_eval = rc_.eval_every;
    c_.next_reset = rc_.reset_every > 0 ? rc_.reset_every : -1;
    c_.next_checkpoint = rc_.checkpoint_every > 0 ? rc_.checkpoint_every : -1;
    t_.resets_.clear();
    learner_.set_log_callback([this](const LearnerLog& l) { log_row(l); });
  }
  ~RunLoop() { learner_.set_log_callback({}); }

  void start_new();
  void restore(Checkpoint& ck);
  bool finished() const { return c_.env_step >= rc_.steps; }
  int64_t env_step() const { return c_.env_step; }
  void collect();
  void evaluate_if_due();
  void reset_if_due();
  void checkpoint_if_due();
  void report(const std::function<void(const Progress&)>& progress);
  void save();
  void begin_session() {
    t0_ = Clock::now();
    interval_t0_ = t0_;
    elapsed0_ = sum_.elapsed_s;
    step0_ = c_.env_step;
    prog_.total_steps = rc_.steps;
    prog_.has_eval = c_.has_eval != 0;
    prog_.last_eval_return = sum_.last_eval_return;
  }
  double session_seconds() const { return seconds_since(t0_); }

 private:
  Error refuse(const std::string& why) const {
    return Error(fmt::format("cannot resume {}: {}", t_.dir_, why),
                 "a checkpoint resumes only the run folder it was written in, as it was then; restore "
                 "the folder's files, or start the run again with --overwrite",
                 kExitUsage);
  }
  void log_row(const LearnerLog& l);
  void read_state(const Checkpoint& ck);
  // refuses (exit status 2, naming what differs) unless the checkpoint belongs to this folder
  // as it is; returns the logs' marks it recorded
  std::pair<LogMark, LogMark> check_against_folder(const Checkpoint& ck);

  Trainer& t_;
  const RunConfig& rc_;
  Learner& learner_;
  const TaskSpec& sp_;
  const int O_, A_;
  const std::string eval_path_, train_path_;
  Rng env_rng_ = stream(rc_.seed, 2), eval_rng_ = stream(rc_.seed, 3);
  std::vector<float> obs_, next_obs_, a_, u_;  // (O), (O), (A) in [-1, 1], (A) in task units
  Counters c_;
  Sums sum_;
  // listed reset steps (BRO); periodic resets use c_.next_reset. Not checkpointed: on resume the
  // points at or before the restored env step are skipped (they were handled before the save)
  ResetSchedule listed_resets_;
  CsvLog eval_log_, train_log_;
  Clock::time_point t0_, interval_t0_, last_progress_{};
  double elapsed0_ = 0;  // wall seconds of earlier sessions of this run
  int64_t step0_ = 0;
  Progress prog_;
};

void RunLoop::start_new() {
  // config first, then the logs' headers, then a checkpoint at step 0: from here on the run
  // can always be resumed
  t_.cfg_["run_id"] = new_run_id();
  write_config_json(t_.dir_, t_.cfg_);
  eval_log_ = CsvLog::create(eval_path_, eval_csv_header());
  train_log_ = CsvLog::create(train_path_, train_csv_header(learner_.agent().diagnostics()));
  t_.env_->reset(env_rng_, obs_.data());
  save();
}

void RunLoop::read_state(const Checkpoint& ck) {
  ck.read_into("loop.counters", &c_, sizeof(c_));
  ck.read_into("loop.sums", &sum_, sizeof(sum_));
  ck.read_into("rng.env", env_rng_.s, sizeof(env_rng_.s));
  ck.read_into("rng.eval", eval_rng_.s, sizeof(eval_rng_.s));
  learner_.restore_from(ck);
  ck.read_into("env.obs", obs_.data(), obs_.size() * sizeof(float));
  for (auto [name, env] : {std::pair{"env.task", t_.env_.get()}, std::pair{"eval_env.task", t_.eval_env_.get()}}) {
    const std::string_view v = ck.get(name);
    const std::vector<double> st = env->task().state();
    if (v.size() != st.size() * sizeof(double))
      throw refuse(fmt::format("checkpoint section '{}' does not fit task {}", name, sp_.name));
    std::vector<double> x(st.size());
    std::memcpy(x.data(), v.data(), v.size());
    env->task().set_state(x);
  }
  if (c_.env_step < 0 || c_.env_step > rc_.steps || c_.episode_step < 0)
    throw refuse(fmt::format("its checkpoint's counters are out of range (env step {} of {})", c_.env_step, rc_.steps));
}

std::pair<LogMark, LogMark> RunLoop::check_against_folder(const Checkpoint& ck) {
  // the settings: the checkpoint's, the folder's config.json and the ones this session runs
  // with agree on everything but the session keys (threads, checkpoint_every)
  nlohmann::json ck_cfg = nlohmann::json::parse(ck.get("config"), nullptr, false);
  if (ck_cfg.is_discarded() || !ck_cfg.is_object()) throw refuse("its checkpoint holds no valid settings");
  // a checkpoint written before later settings existed: their values as it ran (the folder's
  // config.json and the session's settings are upgraded the same way)
  upgrade_config(ck_cfg);
  if (!ck_cfg.contains("run_id") || !ck.has("run"))
    throw refuse("its checkpoint was written by an earlier crossq that recorded no run id or log checksums, "
                 "so it cannot be checked against the folder");
  if (const std::string d = config_difference(ck_cfg, "checkpoint.bin", t_.cfg_, "the settings given"); !d.empty())
    throw refuse("the settings differ from the checkpoint's: " + d);
  nlohmann::json folder_cfg;
  try {
    folder_cfg = read_config_json(t_.dir_);
  } catch (const Error& e) {
    throw refuse(e.what());
  }
  upgrade_config(folder_cfg);
  if (const std::string d = config_difference(ck_cfg, "checkpoint.bin", folder_cfg, "config.json"); !d.empty())
    throw refuse("checkpoint.bin belongs to another run: " + d);
  // the logs hold, byte for byte, what they held when the checkpoint was written
  const nlohmann::json run = nlohmann::json::parse(ck.get("run"), nullptr, false);
  auto mark_of = [&](const char* file) {
    if (run.is_discarded() || !run.is_object() || !run.contains("logs") || !run["logs"].contains(file) ||
        !run["logs"][file].is_object() || !run["logs"][file].value("bytes", nlohmann::json()).is_number_integer() ||
        !run["logs"][file].value("crc32", nlohmann::json()).is_number_unsigned())
      throw refuse(fmt::format("its checkpoint records no length and checksum for {}", file));
    return LogMark{run["logs"][file]["bytes"].get<int64_t>(), run["logs"][file]["crc32"].get<uint32_t>()};
  };
  const LogMark em = mark_of("eval.csv"), tm = mark_of("train.csv");
  if (em.bytes != c_.eval_csv_bytes || tm.bytes != c_.train_csv_bytes)
    throw refuse("its checkpoint's log lengths disagree with its counters");
  for (auto [path, mark] : {std::pair{eval_path_, em}, std::pair{train_path_, tm}})
    if (const std::string why = check_log(path, mark); !why.empty()) throw refuse(why);
  // and the state itself is finite (a diverged checkpoint never runs)
  check_finite(learner_.agent(), t_.dir_, c_.env_step, learner_.updates());
  return {em, tm};
}

void RunLoop::restore(Checkpoint& ck) {
  // read and check everything first; change the folder only once the resume goes ahead
  read_state(ck);
  const auto [em, tm] = check_against_folder(ck);
  ck = Checkpoint();  // releases the file's memory (the replay can be hundreds of MB)
  t_.env_->set_episode_step(c_.episode_step);
  listed_resets_.due(c_.env_step);
  // the schedules of session keys follow this session's values
  const int64_t ce = rc_.checkpoint_every;
  c_.next_checkpoint = ce > 0 ? (c_.env_step / ce + 1) * ce : -1;
  write_config_json(t_.dir_, t_.cfg_);  // may differ in threads, checkpoint_every
  eval_log_ = CsvLog::reopen(eval_path_, em);
  train_log_ = CsvLog::reopen(train_path_, tm);
}

void RunLoop::save() {
  // finiteness first, so a diverged state never replaces a good checkpoint; the logs are made
  // durable before the checkpoint records their lengths and checksums
  check_finite(learner_.agent(), t_.dir_, c_.env_step, learner_.updates());
  train_log_.sync();
  eval_log_.sync();
  const LogMark em = eval_log_.mark(), tm = train_log_.mark();
  c_.train_csv_bytes = tm.bytes;
  c_.eval_csv_bytes = em.bytes;
  c_.episode_step = t_.env_->episode_step();
  sum_.elapsed_s = elapsed0_ + seconds_since(t0_);
  const nlohmann::json run = {{"logs", {{"eval.csv", {{"bytes", em.bytes}, {"crc32", em.crc}}},
                                        {"train.csv", {{"bytes", tm.bytes}, {"crc32", tm.crc}}}}}};
  const std::vector<double> env_state = t_.env_->task().state(), eval_state = t_.eval_env_->task().state();
  CheckpointWriter w;
  w.add_copy("config", t_.cfg_.dump());
  w.add_copy("run", run.dump());
  w.add("loop.counters", &c_, sizeof(c_));
  w.add("loop.sums", &sum_, sizeof(sum_));
  w.add("rng.env", env_rng_.s, sizeof(env_rng_.s));
  w.add("rng.eval", eval_rng_.s, sizeof(eval_rng_.s));
  learner_.add_to(w);
  w.add("env.obs", obs_.data(), obs_.size() * sizeof(float));
  w.add("env.task", env_state.data(), env_state.size() * sizeof(double));
  w.add("eval_env.task", eval_state.data(), eval_state.size() * sizeof(double));
  w.write(checkpoint_path(t_.dir_));
}

void RunLoop::collect() {
  // act (uniform random during warm-up, then the policy's sample), step the task with action
  // repeat, hand the transition to the learner (which runs the updates it makes due)
  learner_.act(obs_.data(), false, a_.data());
  to_task_units(sp_, a_.data(), u_.data());
  double reward = 0;
  bool terminated = false, truncated = false;
  for (int k = 0; k < rc_.action_repeat; ++k) {
    const EnvStep r = t_.env_->step(u_.data(), next_obs_.data());
    reward += r.reward;
    ++c_.env_step;
    terminated = r.terminated;
    truncated = r.truncated;
    if (terminated || truncated) break;
  }
  learner_.observe(obs_.data(), a_.data(), static_cast<float>(reward), next_obs_.data(), terminated, truncated);
  if (terminated || truncated) {
    t_.env_->reset(env_rng_, obs_.data());
  } else {
    obs_.swap(next_obs_);
  }
}

void RunLoop::log_row(const LearnerLog& l) {
  // one row of train.csv: the interval's means and the critics' diagnostics
  const double dt = seconds_since(interval_t0_);
  const double sps = dt > 0 ? static_cast<double>(c_.env_step - c_.interval_step0) / dt : 0.0;
  const auto actor = [&](double v) { return l.has_actor ? fmt::format("{:.6g}", v) : std::string(); };
  std::string row = fmt::format("{},{},{:.6g},{},{},{:.6g},{},{:.6g},{:.1f}", c_.env_step, l.updates, l.critic_loss,
                                actor(l.actor_loss), actor(l.alpha_loss), l.alpha, actor(l.entropy), l.q_mean, sps);
  for (const CriticDiagnostics& d : l.critics) {
    row += fmt::format(",{:.6g},{:.6g},{:.6g},{:.6g}", d.param_norm, d.grad_norm, d.elr_mean, d.dead_fraction);
    for (double e : d.elr) row += fmt::format(",{:.6g}", e);
  }
  row += "\n";
  train_log_.append(row);
  c_.interval_step0 = c_.env_step;
  interval_t0_ = Clock::now();
}

void RunLoop::evaluate_if_due() {
  // every eval_every env steps and once at the end
  const bool last = finished();
  if (!(c_.env_step >= c_.next_eval || (last && c_.last_eval_step != c_.env_step))) return;
  const EvalResult r = evaluate(learner_.agent(), *t_.eval_env_, eval_rng_, rc_.eval_episodes, rc_.action_repeat);
  double lo = r.returns.empty() ? 0 : r.returns[0], hi = lo;
  for (double x : r.returns) {
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  }
  const double score = normalized_score(sp_, r.mean(), r.success_rate());
  eval_log_.append(fmt::format("{},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{},{:.3f}\n", c_.env_step, r.mean(),
                               r.stddev(), lo, hi, r.success_rate(), r.success_last_rate(), score, r.returns.size(),
                               elapsed0_ + seconds_since(t0_)));
  c_.last_eval_step = c_.env_step;
  while (c_.next_eval <= c_.env_step) c_.next_eval += rc_.eval_every;
  prog_.has_eval = true;
  c_.has_eval = 1;
  prog_.last_eval_return = sum_.last_eval_return = r.mean();
  last_progress_ = Clock::time_point{};  // report right away
}

void RunLoop::reset_if_due() {
  // parameter resets on a schedule of env steps (SR-SAC, BRO, ablation); replay is kept. After
  // the evaluation, so an evaluation that falls on a reset step scores the trained agent
  bool due = listed_resets_.due(c_.env_step);
  while (c_.next_reset > 0 && c_.env_step >= c_.next_reset) {
    due = true;
    c_.next_reset += rc_.reset_every;
  }
  if (!due) return;
  learner_.reset_parameters();
  t_.resets_.push_back({c_.env_step, learner_.transitions() > 0 ? std::min(learner_.transitions(), rc_.replay_capacity) : 0});
}

void RunLoop::checkpoint_if_due() {
  // on a schedule of env steps, and on SIGINT / SIGTERM between agent steps (the final
  // checkpoint is the caller's)
  if (finished()) return;
  if (c_.next_checkpoint > 0 && c_.env_step >= c_.next_checkpoint) {
    save();
    while (c_.next_checkpoint <= c_.env_step) c_.next_checkpoint += rc_.checkpoint_every;
  }
  if (const int sig = pending_stop_signal(); sig != 0) {
    save();
    throw Error(fmt::format("interrupted by {} at env step {} of {}; checkpoint written to {}",
                            sig == SIGINT ? "SIGINT" : "SIGTERM", c_.env_step, rc_.steps, checkpoint_path(t_.dir_)),
                "crossq train --resume " + t_.dir_, sig == SIGINT ? kExitSigint : kExitSigterm);
  }
}

void RunLoop::report(const std::function<void(const Progress&)>& progress) {
  if (!progress || seconds_since(last_progress_) < 1.0) return;
  const double el = seconds_since(t0_);
  prog_.env_step = c_.env_step;
  prog_.sps = el > 0 ? static_cast<double>(c_.env_step - step0_) / el : 0;
  prog_.eta_s = prog_.sps > 0 ? static_cast<double>(rc_.steps - c_.env_step) / prog_.sps : 0;
  progress(prog_);
  last_progress_ = Clock::now();
}

void Trainer::run(const std::function<void(const Progress&)>& progress, Checkpoint* resume) {
  RunLoop loop(*this);
  try {
    if (resume) {
      loop.restore(*resume);
      loop.begin_session();
    } else {
      loop.begin_session();
      loop.start_new();
    }
    bool stepped = false;
    while (!loop.finished()) {
      stepped = true;
      loop.collect();
      loop.evaluate_if_due();
      loop.reset_if_due();
      loop.checkpoint_if_due();
      loop.report(progress);
    }
    total_s_ = loop.session_seconds();  // training only (`crossq bench loop`), not the final write
    if (stepped) loop.save();           // the final checkpoint: the run can be inspected or extended
  } catch (const Error& e) {
    // the learner's divergence errors know the update; the run adds the env step and where the
    // last good checkpoint is
    const std::string what = e.what();
    if (e.exit_code() != kExitDiverged || what.find("at env step") != std::string::npos) throw;
    throw Error(fmt::format("{} at env step {}", what, loop.env_step()),
                fmt::format("the last good checkpoint, if any, is kept in {}; {}", checkpoint_path(dir_), e.hint()),
                kExitDiverged);
  }
}

}  // namespace crossq
