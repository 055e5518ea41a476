// The learner as an API (docs/api.md): the agent, its replay buffer and the update schedule of
// `crossq train`, for a loop the caller owns. A control loop calls act() every control step and
// observe() with every transition; the learner stores the transitions and runs the UTD updates
//   - inline (LearnerMode::kInline): inside observe(), deterministic for a seed; what the
//     trainer uses, so `crossq train` and this API are one loop;
//   - on a background thread (LearnerMode::kBackground), the mode for a robot: observe() hands
//     the transition over and returns; act() reads the latest policy snapshot, which the
//     learner publishes after each actor step, and never waits for an update.
// Actions are in the agent's units, [-1, 1]^act_dim; the caller maps them to its actuators.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "crossq/agents/agent.h"
#include "crossq/train/checkpoint.h"
#include "crossq/train/config.h"
#include "crossq/train/replay.h"
#include "crossq/core/rng.h"

namespace crossq {

enum class LearnerMode { kInline, kBackground };

// the means of one train.csv interval (log_every updates), handed to the log callback
struct LearnerLog {
  int64_t updates = 0;         // updates so far
  double critic_loss = 0, q_mean = 0, alpha = 0;
  bool has_actor = false;      // an actor step fell in the interval: the next three are valid
  double actor_loss = 0, alpha_loss = 0, entropy = 0;
  std::vector<CriticDiagnostics> critics;  // of the interval's last update
};

// the random stream `salt` of a run with seed `seed` (each stream of a run is seeded apart)
inline uint64_t stream_seed(uint64_t seed, uint64_t salt) { return seed * 0x9e3779b97f4a7c15ULL ^ salt; }
inline Rng stream(uint64_t seed, uint64_t salt) { return Rng(stream_seed(seed, salt)); }

// creates the agent an algorithm names
std::unique_ptr<Agent> make_agent(const RunConfig& rc, Rng& rng);
// refuses (usage error) bf16 where bf16 products cannot run: no oneDNN, or a CPU without
// AVX512-BF16
void check_precision(MatmulPrecision p);
// names the first float array of the agent's state (parameters, moments, running statistics,
// temperature) holding a NaN or Inf, e.g. "parameters of critic0 hold NaN (in critic0.w, element
// 12)"; empty when all are finite
std::string find_nonfinite(Agent& agent);

class Learner {
 public:
  // `cfg`: a configuration as `crossq train` resolves it (default_config plus overrides; it is
  // checked with checked_config); obs_dim and act_dim are the environment's
  Learner(const nlohmann::json& cfg, int obs_dim, int act_dim, LearnerMode mode = LearnerMode::kInline);
  ~Learner();  // stops the background thread
  Learner(const Learner&) = delete;
  Learner& operator=(const Learner&) = delete;

  // one action (act_dim) for `obs` (obs_dim): uniform random until `warmup` transitions are
  // stored, then a sample of the policy, or its mean (tanh) when `deterministic`. Allocates
  // nothing. A non-finite action throws (exit code 3). In background mode it reads the latest
  // published policy (swapping in a new one is a copy of the actor's parameters) and never
  // waits for the learner; call it from one thread.
  void act(const float* obs, bool deterministic, float* action);
  // stores one transition (action as act() returned it; `truncated` ends an episode without
  // stopping the bootstrap, so it is not stored) and runs the updates it makes due: `utd` per
  // transition once warm-up is over. Inline they run here; in background mode the transition
  // is queued (a preallocated ring of 4096) and observe() returns at once, waiting only when
  // the learner is 4096 transitions behind. An error of the learner thread (divergence: exit
  // code 3) is rethrown by the next observe().
  void observe(const float* obs, const float* action, float reward, const float* next_obs, bool terminated,
               bool truncated);
  // a full parameter reset (networks, targets, optimizers, temperature) with the learner's own
  // random stream; the replay buffer is kept. In background mode it happens on the learner
  // thread before its next update.
  void reset_parameters();

  // writes <dir>/checkpoint.bin (atomically): the settings, the agent, the replay buffer, the
  // random streams and counters; load() restores it into a learner built with the same
  // settings, exactly. In background mode both pause the learner thread while they run.
  void save(const std::string& dir);
  void load(const std::string& dir);
  // the same sections, into a checkpoint the caller writes (the trainer adds its own), and back
  void add_to(CheckpointWriter& w);
  void restore_from(const Checkpoint& ck);

  // called every log_every updates (on the learner thread in background mode)
  void set_log_callback(std::function<void(const LearnerLog&)> cb) { on_log_ = std::move(cb); }
  // waits until the background learner has consumed every queued transition and run the
  // updates they made due (returns at once inline); rethrows its error
  void sync();

  int64_t transitions() const { return transitions_.load(); }  // stored (queued ones included)
  int64_t updates() const { return updates_.load(); }
  double update_seconds() const { return update_s_; }  // wall seconds inside updates
  const nlohmann::json& config() const { return cfg_; }
  int obs_dim() const { return obs_dim_; }
  int act_dim() const { return act_dim_; }
  LearnerMode mode() const { return mode_; }
  // the agent the updates train (for the trainer's finiteness checks, diagnostics and tests);
  // in background mode, touch it only when the learner is paused (after sync(), in a callback)
  Agent& agent() { return *agent_; }

 private:
  struct Queue;
  void store(const float* obs, const float* action, float reward, const float* next_obs, bool terminated,
             bool episode_end);
  int64_t updates_due() const;
  void learn_due();
  void update_once();
  void publish();
  void take_snapshot();
  void background_loop();
  void pause();
  void resume();
  void rethrow_background_error();

  nlohmann::json cfg_;
  RunConfig rc_;
  int obs_dim_, act_dim_;
  LearnerMode mode_;
  std::unique_ptr<Agent> agent_;
  ReplayBuffer replay_;
  Batch batch_;
  int horizon_ = 0;     // the agent's sequence horizon (0: transition batches)
  bool begin_ = true;   // the next act() starts an episode
  Rng act_rng_, replay_rng_, update_rng_, reset_rng_;
  std::atomic<int64_t> transitions_{0}, updates_{0};
  int64_t stored_ = 0;  // transitions in the replay buffer's count (the learner's side)
  // the open log interval's sums
  double sum_critic_ = 0, sum_q_ = 0, sum_actor_ = 0, sum_alpha_loss_ = 0, sum_entropy_ = 0, alpha_ = 0;
  int64_t n_upd_ = 0, n_actor_ = 0;
  double update_s_ = 0;
  std::function<void(const LearnerLog&)> on_log_;
  LearnerLog log_;

  // background mode: the transition queue, the thread and the policy snapshots
  std::unique_ptr<Queue> queue_;
  std::unique_ptr<Agent> policy_;  // act() runs this copy of the actor
  std::vector<StateRef> policy_refs_, learner_policy_refs_;
  std::vector<std::vector<char>> snapshots_;  // three blobs: the learner's, the spare, act()'s
  std::atomic<int> spare_{1};  // index of the spare blob; bit 4 set: it holds a new policy
  int back_ = 0, front_ = 2;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false, paused_ = false, parked_ = false, reset_requested_ = false;
  std::exception_ptr error_;
};

}  // namespace crossq
