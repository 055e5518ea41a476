// The agent interface every algorithm implements, and the statistics an update returns.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "crossq/agents/batch.h"
#include "crossq/core/rng.h"

namespace crossq {

// what one update (one critic step, plus an actor step when due) measured
struct UpdateStats {
  double critic_loss = 0.0;   // summed over critics
  bool actor_updated = false;
  double actor_loss = 0.0;    // valid when actor_updated
  double alpha_loss = 0.0;
  double alpha = 0.0;         // temperature after the update
  double entropy = 0.0;       // -mean log pi(a|s) on the actor batch
  double q_mean = 0.0;        // mean Q(s, a) over critics and the replay rows
};

// per-critic diagnostics of the seed paper's Fig. 3, from the latest critic update
struct CriticDiagnostics {
  double param_norm = 0.0;         // sum over dense layers of ||W||_F
  double grad_norm = 0.0;          // sum over dense layers of ||dW||_F
  std::vector<double> elr;         // per dense layer: lr / ||W||_F^2
  double elr_mean = 0.0;           // mean of elr
  double dead_fraction = 0.0;      // hidden ReLU units zero on every row of the joint batch
};

// one named piece of an agent's mutable state (parameters, optimizer moments and step counts,
// running statistics, temperature, counters); its size is fixed once the agent is built, so a
// checkpoint writes and restores these bytes in place
struct StateRef {
  std::string name;
  void* data;
  size_t bytes;
};

namespace nn { struct ParamSet; }
// the diagnostics of one critic from its parameters and the gradients of its latest update;
// `dense` lists its dense weight tensors, `lr` is the critic learning rate
CriticDiagnostics critic_diagnostics(const nn::ParamSet& ps, const std::vector<int>& dense,
                                     double lr, double dead_fraction);

class Agent {
 public:
  virtual ~Agent() = default;
  // one action for one observation, in [-1, 1]^act_dim; deterministic = tanh(mean)
  virtual void act(const float* obs, bool deterministic, Rng& rng, float* action) = 0;
  // every observation the agent collects, once, in order (running statistics such as SimBa's
  // observation normalizer); most agents ignore it
  virtual void observe(const float* obs) { (void)obs; }
  // one gradient update on `batch` (drawn by the trainer); `rng` draws the policy noise
  virtual UpdateStats update(const Batch& batch, Rng& rng) = 0;
  // diagnostics of each critic after the latest update
  virtual std::vector<CriticDiagnostics> diagnostics() = 0;
  // whether the next updates measure the dead-unit fraction (a pass over the hidden
  // activations the trainer asks for only on updates it logs); agents without it ignore it
  virtual void set_collect_dead_fraction(bool on) { (void)on; }
  // full parameter reset (networks, targets, optimizers, temperature); replay is untouched
  virtual void reset_parameters(Rng& rng) = 0;
  // number of trainable parameters (critics + actor, no targets)
  virtual int64_t num_parameters() const = 0;
  // every piece of mutable state, in a stable order (checkpoints)
  virtual std::vector<StateRef> state() = 0;
  // what act() reads, for the background learner's policy snapshots: by default the state
  // named actor.*, opt_actor.* and obs_norm.* without optimizer moments and step counts
  virtual std::vector<StateRef> policy_state();
  // 0: update() takes a batch of transitions; H > 0: of sub-sequences of H steps (batch.h)
  virtual int sequence_horizon() const { return 0; }
  // the next act() with this `deterministic` starts an episode (planners reset their warm start)
  virtual void begin_episode(bool deterministic) { (void)deterministic; }
};

}  // namespace crossq
