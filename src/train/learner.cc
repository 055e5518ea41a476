#include "crossq/train/learner.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <tuple>

#include <fmt/core.h>

#include "crossq/agents/crossq_agent.h"
#include "crossq/agents/residual_agent.h"
#include "crossq/agents/tdmpc2_agent.h"
#include "crossq/core/error.h"
#include "crossq/tasks/registry.h"

namespace crossq {

using Clock = std::chrono::steady_clock;

namespace {

Error diverged(const std::string& what) {
  return Error("training diverged: " + what, "lower the learning rates or the UTD ratio", kExitDiverged);
}

RunConfig learner_run_config(const nlohmann::json& cfg, int obs_dim, int act_dim) {
  if (obs_dim < 1 || act_dim < 1)
    throw usage_error(fmt::format("a learner needs obs_dim and act_dim of at least 1, got {} and {}", obs_dim, act_dim),
                      "pass the environment's observation and action sizes");
  TaskSpec ts = task_spec(cfg["task"]);
  ts.obs_dim = obs_dim;
  ts.act_dim = act_dim;
  return to_run_config(cfg, ts);
}

// the replay buffer never needs more slots than the run makes transitions
int64_t replay_rows(const RunConfig& rc) { return std::min(rc.replay_capacity, rc.steps / rc.action_repeat + 1); }

size_t total_bytes(const std::vector<StateRef>& refs) {
  size_t n = 0;
  for (const StateRef& r : refs) n += r.bytes;
  return n;
}

void copy_refs(const std::vector<StateRef>& from, const std::vector<StateRef>& to) {
  for (size_t i = 0; i < from.size(); ++i) std::memcpy(to[i].data, from[i].data, from[i].bytes);
}

}  // namespace

void check_precision(MatmulPrecision p) {
  const char* why = "";
  if (p == MatmulPrecision::kBf16 && !bf16_available(&why))
    throw usage_error(std::string("matmul_precision bf16 cannot run here: ") + why,
                      "use --matmul-precision fp32 (the default)");
}

std::unique_ptr<Agent> make_agent(const RunConfig& rc, Rng& rng) {
  check_precision(rc.agent.precision);
  // crossq-wn, crossq, sac and sr-sac are one implementation with different settings, as are
  // simba, bro and bro-fast (config.cc)
  if (is_residual_algo(rc.algo)) return std::make_unique<ResidualAgent>(rc.residual, rng);
  if (rc.algo == "tdmpc2") return std::make_unique<Tdmpc2Agent>(rc.tdmpc2, rng);
  return std::make_unique<CrossQAgent>(rc.agent, rng);
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

// the background learner's transition queue: a preallocated single-producer single-consumer ring
struct Learner::Queue {
  static constexpr int64_t kSlots = 4096;
  int O, A;
  std::vector<float> obs, act, reward, next_obs;  // (kSlots, O), (kSlots, A), (kSlots), (kSlots, O)
  std::vector<uint8_t> terminated;                 // (kSlots)
  std::atomic<int64_t> head{0}, tail{0};           // written by observe(), read by the learner
  Queue(int o, int a)
      : O(o), A(a), obs(kSlots * o), act(kSlots * a), reward(kSlots), next_obs(kSlots * o), terminated(kSlots) {}
};

Learner::Learner(const nlohmann::json& cfg, int obs_dim, int act_dim, LearnerMode mode)
    : cfg_(checked_config(cfg, "the learner's settings")),
      rc_(learner_run_config(cfg_, obs_dim, act_dim)),
      obs_dim_(obs_dim),
      act_dim_(act_dim),
      mode_(mode),
      replay_(replay_rows(rc_), obs_dim, act_dim),
      batch_(rc_.agent.batch_size, obs_dim, act_dim),
      act_rng_(stream(rc_.seed, 4)),
      replay_rng_(stream(rc_.seed, 5)),
      update_rng_(stream(rc_.seed, 6)),
      reset_rng_(stream(rc_.seed, 7)) {
  Rng init = stream(rc_.seed, 1);
  agent_ = make_agent(rc_, init);
  horizon_ = agent_->sequence_horizon();
  if (horizon_ > 0) batch_ = Batch(rc_.tdmpc2.batch_size, obs_dim, act_dim, horizon_);
  if (mode_ == LearnerMode::kBackground) {
    queue_ = std::make_unique<Queue>(obs_dim, act_dim);
    RunConfig prc = rc_;
    prc.agent.threads = prc.residual.threads = prc.tdmpc2.threads = 1;  // act() runs on the caller's thread
    Rng unused = stream(rc_.seed, 1);
    policy_ = make_agent(prc, unused);
    learner_policy_refs_ = agent_->policy_state();
    policy_refs_ = policy_->policy_state();
    const size_t bytes = total_bytes(learner_policy_refs_);
    snapshots_.assign(3, std::vector<char>(bytes));
    copy_refs(learner_policy_refs_, policy_refs_);
    thread_ = std::thread([this] { background_loop(); });
  }
}

Learner::~Learner() {
  if (thread_.joinable()) {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
}

void Learner::act(const float* obs, bool deterministic, float* action) {
  if (!deterministic && transitions_.load(std::memory_order_relaxed) < rc_.warmup) {
    for (int j = 0; j < act_dim_; ++j) action[j] = static_cast<float>(act_rng_.uniform(-1.0, 1.0));
    return;
  }
  Agent& actor = mode_ == LearnerMode::kInline ? *agent_ : *policy_;
  if (mode_ == LearnerMode::kBackground) take_snapshot();
  if (begin_) {  // the first action of an episode (planners reset their warm start)
    actor.begin_episode(deterministic);
    begin_ = false;
  }
  actor.act(obs, deterministic, act_rng_, action);
  for (int j = 0; j < act_dim_; ++j)
    if (!std::isfinite(action[j]))
      throw diverged(fmt::format("the policy's action holds {} (component {}) (update {})",
                                 std::isnan(action[j]) ? "NaN" : "Inf", j, updates_.load()));
}

void Learner::store(const float* obs, const float* action, float reward, const float* next_obs, bool terminated,
                    bool episode_end) {
  agent_->observe(obs);  // running statistics see each collected observation once
  replay_.add(obs, action, static_cast<float>(reward * rc_.reward_scale), next_obs, terminated, episode_end);
  ++stored_;
}

void Learner::observe(const float* obs, const float* action, float reward, const float* next_obs, bool terminated,
                      bool truncated) {
  // only termination stops the bootstrap; either ends the episode (replay.h)
  if (terminated && horizon_ > 0)
    throw usage_error("tdmpc2 learns only tasks whose episodes end by time limit, and this transition is terminal",
                      "report the end as truncated, or use another algorithm (TD-MPC2's episodic mode is not built)");
  if (terminated || truncated) begin_ = true;
  if (mode_ == LearnerMode::kInline) {
    store(obs, action, reward, next_obs, terminated, terminated || truncated);
    transitions_.store(stored_);
    learn_due();
    return;
  }
  rethrow_background_error();
  Queue& q = *queue_;
  const int64_t h = q.head.load(std::memory_order_relaxed);
  while (h - q.tail.load(std::memory_order_acquire) >= Queue::kSlots) {  // 4096 behind: wait
    rethrow_background_error();
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  const int64_t s = h % Queue::kSlots;
  std::memcpy(q.obs.data() + s * q.O, obs, sizeof(float) * q.O);
  std::memcpy(q.act.data() + s * q.A, action, sizeof(float) * q.A);
  q.reward[s] = reward;
  std::memcpy(q.next_obs.data() + s * q.O, next_obs, sizeof(float) * q.O);
  q.terminated[s] = static_cast<uint8_t>((terminated ? 1 : 0) | (terminated || truncated ? 2 : 0));
  q.head.store(h + 1, std::memory_order_release);
  transitions_.fetch_add(1);
  {
    std::lock_guard<std::mutex> lk(mu_);  // pairs with the learner's wait: no lost wake-up
  }
  cv_.notify_all();
}

int64_t Learner::updates_due() const {
  // utd updates per transition once warm-up is over; with pretrain (TD-MPC2) also `warmup`
  // updates at once when it ends
  if (stored_ < rc_.warmup || replay_.size() < 1) return 0;
  return static_cast<int64_t>(rc_.utd) * (stored_ - rc_.warmup + 1) + (rc_.pretrain ? rc_.warmup : 0);
}

void Learner::learn_due() {
  const int64_t target = updates_due();
  if (target == 0) return;
  const auto t0 = Clock::now();
  while (updates_.load(std::memory_order_relaxed) < target) {
    update_once();
    if (mode_ == LearnerMode::kBackground) {  // stay responsive between updates
      std::lock_guard<std::mutex> lk(mu_);
      if (stop_ || paused_ || queue_->head.load() != queue_->tail.load()) break;
    }
  }
  update_s_ += std::chrono::duration<double>(Clock::now() - t0).count();
}

void Learner::update_once() {
  if (horizon_ > 0)
    replay_.sample_sequences(replay_rng_, batch_);
  else
    replay_.sample(replay_rng_, batch_);
  const int64_t u = updates_.load(std::memory_order_relaxed) + 1;
  const bool log_now = u % rc_.log_every == 0;
  agent_->set_collect_dead_fraction(log_now);
  const UpdateStats st = agent_->update(batch_, update_rng_);
  updates_.store(u);
  if (!std::isfinite(st.critic_loss) || (st.actor_updated && !std::isfinite(st.actor_loss)))
    throw diverged(fmt::format("{} loss is {} (update {})", std::isfinite(st.critic_loss) ? "actor" : "critic",
                               std::isfinite(st.critic_loss) ? st.actor_loss : st.critic_loss, u));
  sum_critic_ += st.critic_loss;
  sum_q_ += st.q_mean;
  alpha_ = st.alpha;
  ++n_upd_;
  if (st.actor_updated) {
    sum_actor_ += st.actor_loss;
    sum_alpha_loss_ += st.alpha_loss;
    sum_entropy_ += st.entropy;
    ++n_actor_;
    if (mode_ == LearnerMode::kBackground) publish();
  }
  if (!log_now) return;
  // a train.csv interval ends: the means, the diagnostics, and cheap finiteness checks
  log_.critics = agent_->diagnostics();
  for (size_t i = 0; i < log_.critics.size(); ++i)
    if (!std::isfinite(log_.critics[i].grad_norm) || !std::isfinite(log_.critics[i].param_norm))
      throw diverged(fmt::format("the gradient of critic{} is {} (update {})", i,
                                 std::isnan(log_.critics[i].grad_norm) ? "NaN" : "not finite", u));
  if (const std::string bad = find_nonfinite(*agent_); !bad.empty())
    throw diverged(fmt::format("{} (update {})", bad, u));
  log_.updates = u;
  log_.critic_loss = n_upd_ ? sum_critic_ / static_cast<double>(n_upd_) : 0;
  log_.q_mean = n_upd_ ? sum_q_ / static_cast<double>(n_upd_) : 0;
  log_.alpha = alpha_;
  log_.has_actor = n_actor_ > 0;
  log_.actor_loss = n_actor_ ? sum_actor_ / static_cast<double>(n_actor_) : 0;
  log_.alpha_loss = n_actor_ ? sum_alpha_loss_ / static_cast<double>(n_actor_) : 0;
  log_.entropy = n_actor_ ? sum_entropy_ / static_cast<double>(n_actor_) : 0;
  if (on_log_) on_log_(log_);
  sum_critic_ = sum_actor_ = sum_alpha_loss_ = sum_entropy_ = sum_q_ = 0;
  n_upd_ = n_actor_ = 0;
}

void Learner::reset_parameters() {
  if (mode_ == LearnerMode::kInline) {
    agent_->reset_parameters(reset_rng_);
    return;
  }
  {
    std::lock_guard<std::mutex> lk(mu_);
    reset_requested_ = true;
  }
  cv_.notify_all();
}

// ---- background mode

void Learner::publish() {
  // the learner's actor into its own blob, then that blob becomes the spare, marked new
  char* p = snapshots_[back_].data();
  for (const StateRef& r : learner_policy_refs_) {
    std::memcpy(p, r.data, r.bytes);
    p += r.bytes;
  }
  back_ = spare_.exchange(back_ | 4) & 3;
}

void Learner::take_snapshot() {
  if (!(spare_.load(std::memory_order_acquire) & 4)) return;
  front_ = spare_.exchange(front_) & 3;
  const char* p = snapshots_[front_].data();
  for (const StateRef& r : policy_refs_) {
    std::memcpy(r.data, p, r.bytes);
    p += r.bytes;
  }
}

void Learner::background_loop() {
  Queue& q = *queue_;
  try {
    for (;;) {
      {
        std::unique_lock<std::mutex> lk(mu_);
        const auto due = [&] { return updates_.load() < updates_due(); };
        cv_.wait(lk, [&] { return stop_ || paused_ || reset_requested_ || q.head.load() != q.tail.load() || due(); });
        if (stop_) break;
        if (paused_) {
          parked_ = true;
          cv_.notify_all();
          cv_.wait(lk, [&] { return !paused_ || stop_; });
          parked_ = false;
          continue;
        }
      }
      // take in every queued transition, then the updates they made due
      for (int64_t t = q.tail.load(std::memory_order_relaxed); t != q.head.load(std::memory_order_acquire); ++t) {
        const int64_t s = t % Queue::kSlots;
        store(q.obs.data() + s * q.O, q.act.data() + s * q.A, q.reward[s], q.next_obs.data() + s * q.O,
              (q.terminated[s] & 1) != 0, (q.terminated[s] & 2) != 0);
        q.tail.store(t + 1, std::memory_order_release);
      }
      bool reset = false;
      {
        std::lock_guard<std::mutex> lk(mu_);
        std::swap(reset, reset_requested_);
      }
      if (reset) {
        agent_->reset_parameters(reset_rng_);
        publish();
      }
      learn_due();
    }
  } catch (...) {
    std::lock_guard<std::mutex> lk(mu_);
    error_ = std::current_exception();
    stop_ = true;
  }
  std::lock_guard<std::mutex> lk(mu_);
  parked_ = true;  // whoever waits for the thread to park stops waiting
  cv_.notify_all();
}

void Learner::rethrow_background_error() {
  std::lock_guard<std::mutex> lk(mu_);
  if (error_) std::rethrow_exception(error_);
}

void Learner::pause() {
  if (mode_ != LearnerMode::kBackground) return;
  std::unique_lock<std::mutex> lk(mu_);
  paused_ = true;
  cv_.notify_all();
  cv_.wait(lk, [&] { return parked_; });
  if (error_) {
    paused_ = false;
    std::rethrow_exception(error_);
  }
}

void Learner::resume() {
  if (mode_ != LearnerMode::kBackground) return;
  {
    std::lock_guard<std::mutex> lk(mu_);
    paused_ = false;
  }
  cv_.notify_all();
}

void Learner::sync() {
  if (mode_ != LearnerMode::kBackground) return;
  for (;;) {
    rethrow_background_error();
    {
      std::lock_guard<std::mutex> lk(mu_);
      // once the queue is drained the learner has stored every transition observe() counted
      const int64_t n = transitions_.load();
      const bool drained = queue_->head.load() == queue_->tail.load();
      const bool done = n < rc_.warmup || updates_.load() >= static_cast<int64_t>(rc_.utd) * (n - rc_.warmup + 1);
      if (drained && done) return;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

// ---- checkpoints

namespace {
// the learner's scalar state, checkpointed as arrays (order is the format)
struct LearnerCounters {
  int64_t transitions, updates, n_upd, n_actor;
};
struct LearnerSums {
  double critic, q, actor, alpha_loss, entropy, alpha, update_s;
};
}  // namespace

void Learner::add_to(CheckpointWriter& w) {
  // the arrays are referenced until the caller writes: keep the counters in members
  static_assert(sizeof(LearnerCounters) == 4 * sizeof(int64_t));
  LearnerCounters c{stored_, updates_.load(), n_upd_, n_actor_};
  LearnerSums s{sum_critic_, sum_q_, sum_actor_, sum_alpha_loss_, sum_entropy_, alpha_, update_s_};
  w.add_copy("learner.counters", std::string(reinterpret_cast<const char*>(&c), sizeof(c)));
  w.add_copy("learner.sums", std::string(reinterpret_cast<const char*>(&s), sizeof(s)));
  for (auto [name, r] : {std::pair{"rng.act", &act_rng_}, std::pair{"rng.replay", &replay_rng_},
                         std::pair{"rng.update", &update_rng_}, std::pair{"rng.reset", &reset_rng_}})
    w.add(name, r->s, sizeof(r->s));
  for (const StateRef& r : agent_->state()) w.add("agent/" + r.name, r.data, r.bytes);
  const int64_t cursor[3] = {replay_.head(), replay_.size(), replay_.capacity()};
  w.add_copy("replay.cursor", std::string(reinterpret_cast<const char*>(cursor), sizeof(cursor)));
  const size_t n = static_cast<size_t>(replay_.size());
  w.add("replay.obs", replay_.obs().data(), n * obs_dim_ * sizeof(float));
  w.add("replay.act", replay_.act().data(), n * act_dim_ * sizeof(float));
  w.add("replay.reward", replay_.reward().data(), n * sizeof(float));
  w.add("replay.next_obs", replay_.next_obs().data(), n * obs_dim_ * sizeof(float));
  w.add("replay.terminated", replay_.terminated().data(), n);
  // whether the next act() starts an episode (a planner's warm start; sequence agents only, so
  // the other agents' checkpoints keep their format)
  if (horizon_ > 0) w.add_copy("learner.episode_start", std::string(1, begin_ ? '\1' : '\0'));
}

void Learner::restore_from(const Checkpoint& ck) {
  LearnerCounters c{};
  LearnerSums s{};
  ck.read_into("learner.counters", &c, sizeof(c));
  ck.read_into("learner.sums", &s, sizeof(s));
  for (auto [name, r] : {std::pair{"rng.act", &act_rng_}, std::pair{"rng.replay", &replay_rng_},
                         std::pair{"rng.update", &update_rng_}, std::pair{"rng.reset", &reset_rng_}})
    ck.read_into(name, r->s, sizeof(r->s));
  for (const StateRef& r : agent_->state()) ck.read_into("agent/" + r.name, r.data, r.bytes);
  int64_t cursor[3];
  ck.read_into("replay.cursor", cursor, sizeof(cursor));
  if (cursor[2] != replay_.capacity() || cursor[1] < 0 || cursor[1] > replay_.capacity() || cursor[0] < 0 ||
      cursor[0] >= replay_.capacity() || c.transitions < 0 || c.updates < 0 || c.n_upd < 0 || c.n_actor < 0)
    throw usage_error("the checkpoint holds a replay buffer or counters of another shape",
                      "load a checkpoint written with the same settings");
  replay_.set_cursor(cursor[0], cursor[1]);
  const size_t n = static_cast<size_t>(cursor[1]);
  ck.read_into("replay.obs", replay_.obs().data(), n * obs_dim_ * sizeof(float));
  ck.read_into("replay.act", replay_.act().data(), n * act_dim_ * sizeof(float));
  ck.read_into("replay.reward", replay_.reward().data(), n * sizeof(float));
  ck.read_into("replay.next_obs", replay_.next_obs().data(), n * obs_dim_ * sizeof(float));
  ck.read_into("replay.terminated", replay_.terminated().data(), n);
  if (horizon_ > 0) {
    char b = 1;
    ck.read_into("learner.episode_start", &b, 1);
    begin_ = b != 0;
  }
  stored_ = c.transitions;
  transitions_.store(c.transitions);
  updates_.store(c.updates);
  n_upd_ = c.n_upd;
  n_actor_ = c.n_actor;
  sum_critic_ = s.critic;
  sum_q_ = s.q;
  sum_actor_ = s.actor;
  sum_alpha_loss_ = s.alpha_loss;
  sum_entropy_ = s.entropy;
  alpha_ = s.alpha;
  update_s_ = s.update_s;
  if (policy_) copy_refs(learner_policy_refs_, policy_refs_);
}

void Learner::save(const std::string& dir) {
  pause();
  try {
    CheckpointWriter w;
    w.add_copy("config", cfg_.dump());
    const nlohmann::json dims = {{"obs_dim", obs_dim_}, {"act_dim", act_dim_}};
    w.add_copy("learner", dims.dump());
    add_to(w);
    w.write(dir + "/checkpoint.bin");
  } catch (...) {
    resume();
    throw;
  }
  resume();
}

void Learner::load(const std::string& dir) {
  const std::string path = dir + "/checkpoint.bin";
  const Checkpoint ck = Checkpoint::load(path);
  nlohmann::json cfg = nlohmann::json::parse(ck.get("config"), nullptr, false);
  if (cfg.is_discarded() || !cfg.is_object())
    throw usage_error("checkpoint " + path + " holds no valid settings", "load a checkpoint crossq wrote");
  upgrade_config(cfg);
  cfg = checked_config(cfg, "the settings in checkpoint " + path);
  for (const char* k : {"threads", "checkpoint_every", "sources", "run_id"}) {
    cfg.erase(k);
  }
  nlohmann::json mine = cfg_;
  for (const char* k : {"threads", "checkpoint_every", "sources", "run_id"}) mine.erase(k);
  for (auto it = mine.begin(); it != mine.end(); ++it)
    if (!cfg.contains(it.key()) || cfg[it.key()] != it.value())
      throw usage_error(fmt::format("checkpoint {} was written with {} = {}, this learner has {}", path, it.key(),
                                    cfg.contains(it.key()) ? cfg[it.key()].dump() : "unset", it.value().dump()),
                        "build the learner with the checkpoint's settings");
  pause();
  try {
    restore_from(ck);
  } catch (...) {
    resume();
    throw;
  }
  resume();
}

}  // namespace crossq
