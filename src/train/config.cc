#include "crossq/train/config.h"

#include <algorithm>
#include <map>
#include <cmath>
#include <cstdio>

#include "crossq/core/error.h"
#include "crossq/train/reset_schedule.h"
#include "crossq/tasks/registry.h"

namespace crossq {

using json = nlohmann::json;
using T = OptionSpec::Type;

const std::vector<std::string>& algo_names() {
  static const std::vector<std::string> names = {
      "crossq-wn", "crossq-wn-xqc", "crossq", "crossq-original", "sac", "sr-sac",
      "simba",     "bro",           "bro-fast", "tdmpc2"};
  return names;
}

// the table leaves out the fields an option does not need (range, choices, run_key): they take
// their defaults on purpose
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
const std::vector<OptionSpec>& option_specs() {
  static const std::vector<OptionSpec> specs = {
      // the run
      {"task", T::kString, "task name (see `crossq tasks`)"},
      {"algo", T::kString, "algorithm: crossq-wn | crossq-wn-xqc | crossq | crossq-original | sac | sr-sac | simba | bro | bro-fast | tdmpc2 (docs/algorithms.md)", -1e300, 1e300,
       {"crossq-wn", "crossq-wn-xqc", "crossq", "crossq-original", "sac", "sr-sac", "simba", "bro", "bro-fast", "tdmpc2"}},
      {"seed", T::kInt, "random seed of the run", 0, 9.2e18, {}, true},
      {"steps", T::kInt, "env steps of training (task default)", 1, 1e12},
      {"warmup", T::kInt, "transitions with uniform random actions before learning starts", 0, 1e12},
      {"eval_every", T::kInt, "env steps between evaluations (and one at the end)", 1, 1e12},
      {"eval_episodes", T::kInt, "episodes per evaluation, deterministic policy", 1, 1e6},
      {"action_repeat", T::kInt, "env steps per agent step (2 on DMC and muscle tasks)", 1, 1000},
      {"discount", T::kFloat, "discount gamma (0.99 DMC, 0.95 muscle tasks)", 0, 1},
      {"reward_scale", T::kFloat, "rewards are multiplied by this before they enter the replay buffer (returns are logged unscaled)", 1e-9, 1e9},
      {"replay_capacity", T::kInt, "replay buffer size in transitions", 1, 1e10},
      {"log_every", T::kInt, "updates between rows of train.csv", 1, 1e12, {}, true},
      {"threads", T::kInt, "worker lanes per run: 2 puts one critic on each core", 1, 2, {}, true},
      {"matmul_precision", T::kString, "precision of the matrix products in updates and acting: fp32 | bf16 (bfloat16 inputs, fp32 accumulation, fp32 weights and optimizer; needs AVX512-BF16; docs/performance.md)", -1e300, 1e300, {"fp32", "bf16"}},
      {"checkpoint_every", T::kInt, "env steps between checkpoints (RUN_DIR/checkpoint.bin; one is also written at the end and on SIGINT/SIGTERM; 0: only those)", 0, 1e12, {}, true},
      // the update
      {"utd", T::kInt, "update-to-data ratio: critic updates per agent step", 1, 1000},
      {"batch_size", T::kInt, "transitions per update (the joint pass sees twice as many rows)", 1, 1e6},
      {"policy_delay", T::kInt, "critic updates per actor and temperature update", 1, 1000},
      {"critic_hidden", T::kInt, "units per critic hidden layer", 1, 1e5},
      {"critic_layers", T::kInt, "critic hidden layers", 1, 16},
      {"actor_hidden", T::kInt, "units per actor hidden layer", 1, 1e5},
      {"actor_layers", T::kInt, "actor hidden layers", 1, 16},
      {"critic_lr", T::kFloat, "critic learning rate", 0, 10},
      {"actor_lr", T::kFloat, "actor learning rate", 0, 10},
      {"temp_lr", T::kFloat, "temperature (log alpha) learning rate", 0, 10},
      {"init_temperature", T::kFloat, "initial temperature alpha", 1e-12, 1e6},
      {"target_entropy_scale", T::kFloat, "target entropy = -scale * |A|", -1e3, 1e3},
      {"beta1", T::kFloat, "Adam beta1", 0, 0.999999},
      {"beta2", T::kFloat, "Adam beta2", 0, 0.999999999},
      {"adam_eps", T::kFloat, "Adam epsilon", 0, 1},
      {"weight_decay", T::kFloat, "AdamW decay on every tensor not weight-normalized (critic and actor)", 0, 10},
      {"tau", T::kFloat, "Polyak rate of the target critics", 0, 1},
      {"target_network", T::kBool, "use target critics (off: vanilla CrossQ's detached online Q)"},
      {"bn", T::kString, "normalization in actor and critic: none | bn | brn (Batch Renormalization)",
       -1e300, 1e300, {"none", "bn", "brn"}},
      {"bn_momentum", T::kFloat, "BN running-statistics momentum", 0, 1},
      {"bn_eps", T::kFloat, "BN epsilon", 1e-12, 1},
      {"brn_warmup", T::kInt, "BN updates before Batch Renormalization's corrections start", 0, 1e12},
      {"brn_r_max", T::kFloat, "Batch Renormalization r clip", 1, 1e6},
      {"brn_d_max", T::kFloat, "Batch Renormalization d clip", 0, 1e6},
      {"weight_norm", T::kBool, "project critic hidden weights to unit row norm after each step"},
      {"weight_norm_bias", T::kBool, "normalize each unit's [weights; bias] together (the rescaling of the paper's Theorem 1); false: weights only"},
      {"weight_norm_actor", T::kBool, "weight-normalize the actor's hidden layers too"},
      {"critic_l2", T::kFloat, "soft L2 penalty c * ||W||^2 on the critic hidden weights (ablation)", 0, 1e6},
      {"init", T::kString, "Linear initialization: torch (uniform +-1/sqrt(fan_in), PyTorch's default) | orthogonal (gain sqrt 2, log-std head 1, zero biases)",
       -1e300, 1e300, {"torch", "orthogonal"}},
      {"log_std_min", T::kFloat, "lower clip of the actor's log-std (upper clip 2)", -100, 1},
      {"lr_schedule", T::kString, "learning rates: constant | linear (each decays linearly to lr_final over the run's updates)",
       -1e300, 1e300, {"constant", "linear"}},
      {"lr_final", T::kFloat, "learning rate at the end of the run with lr_schedule linear", 0, 10},
      {"actor_bn_every_step", T::kBool, "update the actor's BN running statistics on every critic step (a train-mode forward on s), not only on actor steps"},
      {"reset_every", T::kInt, "env steps between full parameter resets (0: never)", 0, 1e12},
      // baselines (docs/algorithms.md)
      {"reset_steps", T::kString, "comma-separated env steps of full parameter resets, e.g. 15000,50000 (empty: none)"},
      {"critic_blocks", T::kInt, "residual blocks of the critic (simba, bro)", 0, 64},
      {"actor_blocks", T::kInt, "residual blocks of the actor (simba, bro)", 0, 64},
      {"obs_norm", T::kBool, "running mean/std observation normalization (simba, bro)"},
      {"quantiles", T::kInt, "critic outputs: 1 = scalar Q with MSE, > 1 = quantiles with the quantile Huber loss (simba, bro)", 1, 1000},
      {"critics", T::kInt, "critics (and target critics): 2, or 1 as in the paper's Table 1 for SimBa (simba, bro)", 1, 2},
      {"pessimism", T::kFloat, "beta in Q = mean(Q1, Q2) - beta |Q1 - Q2| / 2 (1: min; with 1 critic, no effect; simba, bro)", -10, 10},
      {"optimistic", T::kBool, "BRO's optimistic exploration actor (simba, bro)"},
      {"optimism", T::kFloat, "beta_ub in the optimistic actor's Q = mean + beta_ub |Q1 - Q2| / 2", -10, 10},
      {"kl_target", T::kFloat, "target KL of the optimistic actor from the actor (its weight adapts)", 0, 1e3},
      {"std_multiplier", T::kFloat, "optimistic actor's std = this * the actor's std", 1e-3, 1e3},
      // TD-MPC2 (tdmpc2; it also reads batch_size (sub-sequences), critic_hidden (every world-model
      // MLP), critic_lr (the model), actor_lr (the policy prior), beta1, beta2, adam_eps, tau,
      // discount, log_std_min, utd and warmup (its seed steps))
      {"latent_dim", T::kInt, "latent state size, a multiple of 8 (tdmpc2)", 8, 1e5},
      {"enc_hidden", T::kInt, "units of the encoder's hidden layer (tdmpc2)", 1, 1e5},
      {"num_q", T::kInt, "Q networks of the ensemble (tdmpc2)", 2, 64},
      {"num_bins", T::kInt, "bins of the two-hot reward and value regression, on [-10, 10] in symlog space (tdmpc2)", 2, 10000},
      {"dropout", T::kFloat, "dropout after the first Linear of each Q network (tdmpc2)", 0, 0.9},
      {"horizon", T::kInt, "steps of the latent rollout in the update and of the plans (tdmpc2)", 1, 64},
      {"rho", T::kFloat, "weight rho^t of step t of the rollout's losses (tdmpc2)", 0, 1},
      {"consistency_coef", T::kFloat, "weight of the latent consistency loss (tdmpc2)", 0, 1e6},
      {"reward_coef", T::kFloat, "weight of the reward loss (tdmpc2)", 0, 1e6},
      {"value_coef", T::kFloat, "weight of the value loss (tdmpc2)", 0, 1e6},
      {"entropy_coef", T::kFloat, "weight of the policy prior's entropy bonus (tdmpc2)", 0, 1e6},
      {"enc_lr_scale", T::kFloat, "the encoder's learning rate is critic_lr times this (tdmpc2)", 0, 100},
      {"grad_clip", T::kFloat, "gradient-norm clip of the model and of the policy prior (tdmpc2)", 1e-9, 1e9},
      {"pi_adam_eps", T::kFloat, "Adam epsilon of the policy prior (tdmpc2)", 0, 1},
      {"myo_done", T::kBool, "end a MyoSuite hand task's episode as terminal at MyoSuite's `done` (a failure: fingertips far from the target or the key, the object or the pen dropped), as the authors' code and SimBa do; false: the seed paper's fixed 100-step episodes (myo-* tasks only)"},
      {"pretrain", T::kBool, "when the seed steps end, run as many updates as there were seed steps at once (tdmpc2)"},
      {"plan_iterations", T::kInt, "MPPI iterations per agent step; 2 more when |A| >= 20 (tdmpc2)", 1, 1000},
      {"plan_samples", T::kInt, "MPPI action sequences per iteration (tdmpc2)", 2, 1e6},
      {"plan_pi_trajs", T::kInt, "of them, rollouts of the policy prior (tdmpc2)", 0, 1e6},
      {"plan_elites", T::kInt, "MPPI elites the Gaussian is refit to (tdmpc2)", 1, 1e6},
      {"plan_temperature", T::kFloat, "MPPI weights exp(temperature (value - best)) (tdmpc2)", 0, 1e6},
      {"plan_min_std", T::kFloat, "lower clamp of the MPPI std (tdmpc2)", 0, 100},
      {"plan_max_std", T::kFloat, "upper clamp and initial MPPI std (tdmpc2)", 0, 100},
      {"plan_eval", T::kString, "evaluation action: mean (the plan's mean, the TD-MPC2 paper) | elite (an elite drawn by its weight, without noise: the authors' repository at e9f5932) (tdmpc2)",
       -1e300, 1e300, {"mean", "elite"}},
  };
  return specs;
}
#pragma GCC diagnostic pop

namespace {

const OptionSpec* find_spec(const std::string& key) {
  for (const auto& s : option_specs())
    if (s.key == key) return &s;
  return nullptr;
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string did_you_mean(const std::string& key) {
  std::string best;
  size_t bd = 1000;
  for (const auto& s : option_specs()) {
    const size_t d = edit_distance(key, s.key);
    if (d < bd) { bd = d; best = s.key; }
  }
  return bd <= 3 ? "did you mean '" + best + "'? " : "";
}

std::string type_name(T t) {
  switch (t) {
    case T::kInt: return "an integer";
    case T::kFloat: return "a number";
    case T::kBool: return "true or false";
    case T::kString: return "a string";
  }
  return "";
}

// checks one value against its spec and returns it in canonical JSON type
json check_value(const OptionSpec& s, const json& v, const std::string& origin) {
  auto bad = [&](const std::string& why) {
    return usage_error(origin + ": '" + s.key + "' " + why,
                       "'" + s.key + "' takes " + type_name(s.type) + ": " + s.help);
  };
  json out;
  switch (s.type) {
    case T::kInt: {
      if (v.is_number_integer() || v.is_number_unsigned()) {
        out = v;
      } else if (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>()) {
        // a whole number written as a float (1e5, 64.0); one beyond int64 is out of range
        // below, so it is never cast (casting it would be undefined behaviour)
        const double d = v.get<double>();
        out = std::fabs(d) <= 9.2e18 ? json(static_cast<int64_t>(d)) : json(d);
      } else {
        throw bad("must be an integer, got " + v.dump());
      }
      const double x = out.get<double>();
      if (x < s.min || x > s.max)
        throw bad("is " + v.dump() + ", outside [" + json(static_cast<int64_t>(s.min)).dump() +
                  ", " + json(static_cast<int64_t>(std::min(s.max, 9.2e18))).dump() + "]");
      break;
    }
    case T::kFloat: {
      if (!v.is_number()) throw bad("must be a number, got " + v.dump());
      const double x = v.get<double>();
      if (!std::isfinite(x)) throw bad("must be finite");
      if (x < s.min || x > s.max)
        throw bad("is " + v.dump() + ", outside [" + json(s.min).dump() + ", " + json(s.max).dump() + "]");
      out = x;
      break;
    }
    case T::kBool:
      if (!v.is_boolean()) throw bad("must be true or false, got " + v.dump());
      out = v;
      break;
    case T::kString: {
      if (!v.is_string()) throw bad("must be a string, got " + v.dump());
      const std::string x = v.get<std::string>();
      if (!s.choices.empty() && std::find(s.choices.begin(), s.choices.end(), x) == s.choices.end()) {
        std::string list;
        for (const auto& c : s.choices) list += (list.empty() ? "" : ", ") + c;
        throw usage_error(origin + ": unknown " + s.key + " '" + x + "'", "choose one of: " + list);
      }
      out = x;
      break;
    }
  }
  return out;
}

}  // namespace

bool is_residual_algo(const std::string& algo) {
  return algo == "simba" || algo == "bro" || algo == "bro-fast";
}

const std::vector<std::string>& suite_column_keys() {
  static const std::vector<std::string> keys = {"action_repeat", "discount", "warmup"};
  return keys;
}

json suite_column(const std::string& algo, const std::string& suite) {
  // The seed paper's Table 1 gives these per algorithm for its two suites; an algorithm
  // without a Table 1 column (sac, crossq-original) follows the paper's suite conventions.
  // the arm26 muscle suite follows the muscle (myo) conventions
  if (suite != "dmc" && suite != "myo" && suite != "arm") return json::object();
  const bool myo = suite == "myo" || suite == "arm";
  json c = {{"action_repeat", 2}, {"discount", myo ? 0.95 : 0.99}, {"warmup", 5000}};
  if (algo == "sr-sac") c["warmup"] = 10000;
  if (algo == "tdmpc2") {
    // TD-MPC2's own protocol: action repeat 2 on DMC, none on MyoSuite; the discount and the
    // seed steps come from the episode length (default_config)
    c = {{"action_repeat", myo ? 1 : 2}};
  }
  if (algo == "bro" || algo == "bro-fast") {
    // BRO: no action repeat, discount 0.99 on both suites, 10k random transitions
    c = {{"action_repeat", 1}, {"discount", 0.99}, {"warmup", 10000}};
  }
  return c;
}

namespace {

// TD-MPC2's own settings at its defaults (every configuration carries them; added after the
// first runs were written, so upgrade_config fills them in too)
const json& tdmpc2_keys() {
  static const json keys = {
      {"latent_dim", 512}, {"enc_hidden", 256}, {"num_q", 5}, {"num_bins", 101}, {"dropout", 0.01},
      {"horizon", 3}, {"rho", 0.5}, {"consistency_coef", 20.0}, {"reward_coef", 0.1}, {"value_coef", 0.1},
      {"entropy_coef", 1e-4}, {"enc_lr_scale", 0.3}, {"grad_clip", 20.0}, {"pi_adam_eps", 1e-5},
      {"pretrain", false}, {"plan_iterations", 6}, {"plan_samples", 512}, {"plan_pi_trajs", 24},
      {"plan_elites", 64}, {"plan_temperature", 0.5}, {"plan_min_std", 0.05}, {"plan_max_std", 2.0},
      {"plan_eval", "mean"},
  };
  return keys;
}

// the algorithm's own column: everything except what a task decides
json algorithm_layer(const std::string& algo) {
  // CrossQ + WN, the seed paper's Table 1 (its first column)
  json c = {
      {"seed", 0}, {"eval_episodes", 5},
      {"replay_capacity", 1000000}, {"log_every", 1000}, {"threads", 2}, {"matmul_precision", "fp32"},
      {"checkpoint_every", 25000}, {"myo_done", false},
      {"utd", 1}, {"batch_size", 256}, {"policy_delay", 3},
      {"critic_hidden", 512}, {"critic_layers", 2}, {"actor_hidden", 256}, {"actor_layers", 2},
      {"critic_lr", 3e-4}, {"actor_lr", 3e-4}, {"temp_lr", 1e-4}, {"init_temperature", 1.0},
      {"target_entropy_scale", 0.5}, {"beta1", 0.9}, {"beta2", 0.999}, {"adam_eps", 1e-8},
      {"weight_decay", 1e-2}, {"tau", 0.005}, {"target_network", true}, {"bn", "bn"},
      {"bn_momentum", 0.99}, {"bn_eps", 1e-3}, {"brn_warmup", 100000}, {"brn_r_max", 3.0},
      {"brn_d_max", 5.0}, {"weight_norm", true}, {"weight_norm_bias", true},
      {"weight_norm_actor", false}, {"critic_l2", 0.0}, {"init", "torch"}, {"log_std_min", -20.0},
      {"lr_schedule", "constant"}, {"lr_final", 3e-5}, {"actor_bn_every_step", false},
      {"reset_every", 0},
      {"reset_steps", ""}, {"critic_blocks", 2}, {"actor_blocks", 1}, {"obs_norm", false},
      {"quantiles", 1}, {"critics", 2}, {"pessimism", 1.0}, {"optimistic", false}, {"optimism", 1.0},
      {"kl_target", 0.05}, {"std_multiplier", 0.75},
  };
  c.update(tdmpc2_keys());
  if (algo == "crossq-wn-xqc") {
    // CrossQ + WN with the choices of the authors' later code (XQC, danielpalenicek/xqc,
    // conf/agent/crossq_wn.yaml on base_agent.yaml): initial temperature 0.01 learned at the
    // actor's rate, every rate decayed linearly to 3e-5, WN of [kernel; bias] in actor and
    // critic (so decay 0 on every hidden layer), orthogonal init, log-std floor -10, and the
    // actor's BN statistics updated on every critic step
    c.update({{"init_temperature", 0.01}, {"temp_lr", 3e-4}, {"lr_schedule", "linear"},
              {"lr_final", 3e-5}, {"weight_norm_actor", true}, {"init", "orthogonal"},
              {"log_std_min", -10.0}, {"actor_bn_every_step", true}});
  } else if (algo == "crossq") {
    // CrossQ as the seed paper ran it (Table 1's CrossQ column): BN, no target network, no WN,
    // Adam (0.9, 0.999) without decay, 512 / 256, lr 3e-4, temperature 1.0 at 1e-4, -|A|/2
    c.update({{"target_network", false}, {"weight_norm", false}, {"weight_decay", 0.0}});
  } else if (algo == "crossq-original") {
    // CrossQ as published (Bhatt et al. 2024, MuJoCo): critic width 2048, lr 1e-3 everywhere,
    // Adam (0.5, 0.999) without decay, target entropy -|A|
    c.update({{"target_network", false}, {"weight_norm", false}, {"critic_hidden", 2048},
              {"critic_lr", 1e-3}, {"actor_lr", 1e-3}, {"temp_lr", 1e-3}, {"beta1", 0.5},
              {"weight_decay", 0.0}, {"target_entropy_scale", 1.0}});
  } else if (algo == "sac") {
    // SAC (Haarnoja et al. 2018): no BN, target networks, Adam 3e-4, 256-256, policy delay 1
    c.update({{"bn", "none"}, {"weight_norm", false}, {"critic_hidden", 256},
              {"actor_hidden", 256}, {"critic_lr", 3e-4}, {"actor_lr", 3e-4}, {"temp_lr", 3e-4},
              {"weight_decay", 0.0}, {"target_entropy_scale", 1.0}, {"policy_delay", 1}});
  } else if (algo == "sr-sac") {
    // SR-SAC (D'Oro et al. 2023; Table 1's SR-SAC column): SAC at replay ratio 32 with full
    // resets every 2.56M updates, i.e. every 80k env steps at UTD 32; the replay is kept
    c.update({{"bn", "none"}, {"weight_norm", false}, {"critic_hidden", 256},
              {"actor_hidden", 256}, {"critic_lr", 3e-4}, {"actor_lr", 3e-4}, {"temp_lr", 3e-4},
              {"weight_decay", 0.0}, {"target_entropy_scale", 1.0}, {"policy_delay", 1},
              {"utd", 32}, {"reset_every", 80000}});
  } else if (algo == "simba") {
    // SimBa (Lee et al. 2025; Table 1's SimBa column): obs normalization, residual LN trunks
    // (critic 512 x 2 blocks, actor 128 x 1), AdamW 1e-4 decay 1e-2, temperature 0.01 at 1e-4,
    // target entropy -|A|/2, UTD 2, one critic (SimBa's code adds the clipped double Q only on
    // tasks that terminate, and no task here terminates)
    c.update({{"bn", "none"}, {"weight_norm", false}, {"obs_norm", true}, {"critics", 1},
              {"critic_hidden", 512}, {"critic_blocks", 2}, {"actor_hidden", 128},
              {"actor_blocks", 1}, {"critic_lr", 1e-4}, {"actor_lr", 1e-4}, {"temp_lr", 1e-4},
              {"weight_decay", 1e-2}, {"init_temperature", 0.01}, {"target_entropy_scale", 0.5},
              {"utd", 2}, {"batch_size", 256}, {"policy_delay", 1}});
  } else if (algo == "bro" || algo == "bro-fast") {
    // BRO (Nauman et al. 2024; Table 1's BRO column): BroNet critic 512 x 2 blocks with 100
    // quantiles, mean of two critics (no pessimism), optimistic actor (KL 0.05, std x 0.75),
    // AdamW 3e-4 decay 1e-4, temperature 1.0 at 3e-4, target entropy -|A|, batch 128, UTD 10
    // (bro-fast 2), full resets at 15k, 50k, 250k, 500k, 750k env steps
    c.update({{"bn", "none"}, {"weight_norm", false}, {"critic_hidden", 512},
              {"critic_blocks", 2}, {"actor_hidden", 256}, {"actor_blocks", 1},
              {"quantiles", 100}, {"pessimism", 0.0}, {"optimistic", true},
              {"critic_lr", 3e-4}, {"actor_lr", 3e-4}, {"temp_lr", 3e-4}, {"weight_decay", 1e-4},
              {"init_temperature", 1.0}, {"target_entropy_scale", 1.0}, {"batch_size", 128},
              {"utd", algo == "bro" ? 10 : 2}, {"policy_delay", 1},
              {"reset_steps", "15000,50000,250000,500000,750000"}});
  } else if (algo == "tdmpc2") {
    // TD-MPC2 (Hansen et al., ICLR 2024; nicklashansen/tdmpc2 at e9f5932, its config.yaml): the
    // 5M model (latent 512, MLPs 512, encoder 256, 5 Qs), batch 256 sub-sequences of horizon 3,
    // Adam 3e-4 (encoder x 0.3; the policy prior's epsilon 1e-5), clip 20, tau 0.01, one update
    // per agent step, MPPI 6 x 512 samples (24 from the policy prior), 64 elites; the seed steps
    // and the discount follow the episode length (default_config)
    c.update({{"bn", "none"}, {"weight_norm", false}, {"weight_norm_bias", false}, {"critic_hidden", 512},
              {"critic_lr", 3e-4}, {"actor_lr", 3e-4}, {"tau", 0.01}, {"log_std_min", -10.0},
              {"batch_size", 256}, {"utd", 1}, {"weight_decay", 0.0}, {"policy_delay", 1},
              {"pretrain", true}});
  }
  return c;
}

}  // namespace

json default_config(const std::string& algo, const std::string& task) {
  if (std::find(algo_names().begin(), algo_names().end(), algo) == algo_names().end()) {
    std::string list;
    for (const auto& a : algo_names()) list += (list.empty() ? "" : ", ") + a;
    throw usage_error("unknown algorithm '" + algo + "'", "choose one of: " + list);
  }
  const TaskSpec ts = task_spec(task);  // throws with the known names
  // the layers, lowest first: the algorithm's column, the task's defaults, then the
  // algorithm's suite column (its Table 1 values for dmc and myo tasks)
  json task_layer = {{"steps", ts.defaults.steps}, {"warmup", ts.defaults.warmup},
                     {"eval_every", ts.defaults.eval_every}, {"action_repeat", ts.defaults.action_repeat},
                     {"discount", ts.defaults.discount}, {"reward_scale", ts.defaults.reward_scale}};
  if (ts.defaults.critic_hidden > 0) task_layer["critic_hidden"] = ts.defaults.critic_hidden;
  if (ts.defaults.actor_hidden > 0) task_layer["actor_hidden"] = ts.defaults.actor_hidden;
  const json layers[][2] = {
      {"algorithm", algorithm_layer(algo)},
      {"task", task_layer},
      {"algorithm-suite", suite_column(algo, ts.suite)},
  };
  json c = {{"task", task}, {"algo", algo}};
  json sources = json::object();
  for (const auto& [name, values] : layers)
    for (auto it = values.begin(); it != values.end(); ++it) {
      c[it.key()] = it.value();
      sources[it.key()] = name;
    }
  if (algo == "tdmpc2") {
    // TD-MPC2's rules from the episode length T in agent steps: max(1000, 5 T) seed steps, and
    // the discount (T/5 - 1) / (T/5) clamped to [0.95, 0.995] (0.99 for T = 500, 0.95 for 100)
    const double T = std::max(1.0, std::ceil(ts.episode_steps / c["action_repeat"].get<double>()));
    c["warmup"] = std::max<int64_t>(1000, static_cast<int64_t>(5 * T));
    const double frac = T / 5.0;
    c["discount"] = std::clamp((frac - 1.0) / frac, 0.95, 0.995);
    sources["warmup"] = sources["discount"] = "algorithm-episode";
  }
  c["suite"] = ts.suite;
  c["run_keys"] = json::array();
  for (const auto& s : option_specs())
    if (s.run_key) c["run_keys"].push_back(s.key);
  c["sources"] = sources;
  return c;
}

void upgrade_config(json& cfg) {
  // settings added after a run was written, with the values that reproduce how it ran
  static const std::pair<const char*, json> added[] = {
      {"init", "torch"}, {"log_std_min", -20.0}, {"lr_schedule", "constant"},
      {"lr_final", 3e-5}, {"actor_bn_every_step", false}, {"myo_done", false},
      {"matmul_precision", "fp32"}};
  if (!cfg.is_object()) return;
  for (const auto& [key, value] : added)
    if (!cfg.contains(key)) cfg[key] = value;
  for (auto it = tdmpc2_keys().begin(); it != tdmpc2_keys().end(); ++it)
    if (!cfg.contains(it.key())) cfg[it.key()] = it.value();
}

std::string defaults_markdown() {
  auto show = [](const json& v) -> std::string {
    if (v.is_string()) return v.get<std::string>().empty() ? "-" : v.get<std::string>();
    if (v.is_number_float()) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%g", v.get<double>());
      return buf;
    }
    return v.dump();
  };
  std::string out = "| setting |";
  std::string rule = "|---|";
  for (const auto& a : algo_names()) {
    out += " " + a + " |";
    rule += "---|";
  }
  out += "\n" + rule + "\n";
  std::vector<std::pair<json, json>> cfgs;  // per algorithm: (cheetah-run, myo-reach)
  for (const auto& a : algo_names()) cfgs.emplace_back(default_config(a, "cheetah-run"), default_config(a, "myo-reach"));
  for (const auto& s : option_specs()) {
    if (s.run_key || s.key == "task" || s.key == "algo") continue;
    std::string line = "| `" + s.key + "` |";
    for (const auto& [dmc, myo] : cfgs) {
      std::string cell = show(dmc[s.key]);
      if (dmc[s.key] != myo[s.key]) cell += " (myo " + show(myo[s.key]) + ")";
      line += " " + cell + " |";
    }
    out += line + "\n";
  }
  return out;
}

static json checked_config_unprefixed(const json& cfg, const std::string& origin);

bool is_bookkeeping_key(const std::string& key) {
  return key == "suite" || key == "run_keys" || key == "version" || key == "sources" || key == "run_id";
}

json checked_config(const json& cfg, const std::string& origin) {
  try {
    return checked_config_unprefixed(cfg, origin);
  } catch (const Error& e) {
    const std::string what = e.what();
    if (what.compare(0, origin.size(), origin) == 0) throw;
    throw Error(origin + ": " + what, e.hint(), e.exit_code());
  }
}

static json checked_config_unprefixed(const json& cfg, const std::string& origin) {
  if (!cfg.is_object())
    throw usage_error(origin + ": the settings are not a JSON object", "start the run again");
  for (const char* k : {"task", "algo"})
    if (!cfg.contains(k) || !cfg[k].is_string())
      throw usage_error(origin + ": the settings name no " + std::string(k), "start the run again");
  json out = default_config(cfg["algo"], cfg["task"]);  // checks both names
  for (const auto& s : option_specs())
    if (!cfg.contains(s.key))
      throw usage_error(origin + ": the settings lack '" + s.key + "'",
                        "they were written by another crossq or edited; start the run again");
  json given = cfg;
  given.erase("task");
  given.erase("algo");
  out.erase("sources");
  apply_overrides(out, given, origin);  // names, types, ranges
  validate_config(out);                            // constraints between settings
  // the bookkeeping as recorded; the suite is the task's, whatever the file said
  for (const char* k : {"sources", "run_id", "version"})
    if (cfg.contains(k)) out[k] = cfg[k];
  if (out.contains("sources") && !out["sources"].is_object())
    throw usage_error(origin + ": 'sources' is not an object", "start the run again");
  if (out.contains("run_id") && !out["run_id"].is_string())
    throw usage_error(origin + ": 'run_id' is not a string", "start the run again");
  return out;
}

void apply_overrides(json& cfg, const json& overrides, const std::string& origin,
                     const std::string& source) {
  if (!overrides.is_object())
    throw usage_error(origin + ": expected a JSON object of settings", "write {\"key\": value, ...}");
  for (auto it = overrides.begin(); it != overrides.end(); ++it) {
    const std::string& key = it.key();
    if (is_bookkeeping_key(key)) continue;  // written by crossq
    const OptionSpec* s = find_spec(key);
    if (!s)
      throw usage_error(origin + ": unknown setting '" + key + "'",
                        did_you_mean(key) + "`crossq train --help` lists every setting");
    cfg[key] = check_value(*s, it.value(), origin);
    if (cfg.contains("sources") && cfg["sources"].is_object()) cfg["sources"][key] = source;
  }
}

std::pair<std::string, std::string> given_algo_task(const GivenSettings& g, const std::string& algo,
                                                    const std::string& task) {
  std::string names[2] = {algo, task};
  const char* keys[2] = {"algo", "task"};
  for (int i = 0; i < 2; ++i) {
    if (g.file.contains(keys[i])) {
      if (!g.file[keys[i]].is_string())
        throw usage_error(g.file_label + ": '" + keys[i] + "' must be a string", "write e.g. \"task\": \"cheetah-run\"");
      names[i] = g.file[keys[i]].get<std::string>();
    }
    if (auto it = g.flags.find(keys[i]); it != g.flags.end()) names[i] = it->second;
  }
  return {names[0], names[1]};
}

json apply_given(json base, const GivenSettings& g) {
  auto without_names = [](json j) {
    j.erase("task");
    j.erase("algo");
    return j;
  };
  if (!g.file.is_object()) throw usage_error(g.file_label + ": expected a JSON object of settings", "write {\"key\": value, ...}");
  apply_overrides(base, without_names(g.file), g.file_label, "config");
  for (const auto& a : g.sets) apply_overrides(base, without_names(parse_set(a)), "--set " + a, "set");
  for (const auto& [key, val] : g.flags) {
    if (key == "task" || key == "algo") continue;
    std::string flag = "--" + key;
    std::replace(flag.begin(), flag.end(), '_', '-');
    apply_overrides(base, parse_set(key + "=" + val), flag, "flag");
  }
  return base;
}

std::vector<std::string> given_keys(const GivenSettings& g) {
  std::vector<std::string> keys;
  auto add = [&](const std::string& k) {
    if (!is_bookkeeping_key(k) && std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
  };
  for (auto it = g.file.begin(); it != g.file.end(); ++it) add(it.key());
  for (const auto& a : g.sets) add(parse_set(a).begin().key());
  for (const auto& [key, val] : g.flags) add(key);
  return keys;
}

json parse_set(const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw usage_error("--set '" + assignment + "' is not key=value", "write e.g. --set utd=5");
  std::string key = assignment.substr(0, eq);
  std::replace(key.begin(), key.end(), '-', '_');
  const std::string val = assignment.substr(eq + 1);
  const OptionSpec* s = find_spec(key);
  if (!s)
    throw usage_error("--set: unknown setting '" + key + "'",
                      did_you_mean(key) + "`crossq train --help` lists every setting");
  json v;
  if (s->type == T::kString) {
    v = val;
  } else if (s->type == T::kBool) {
    if (val == "true" || val == "1" || val == "on") v = true;
    else if (val == "false" || val == "0" || val == "off") v = false;
    else throw usage_error("--set " + key + ": '" + val + "' is not true or false", "write " + key + "=true or " + key + "=false");
  } else {
    v = json::parse(val, nullptr, false);
    if (v.is_discarded() || !v.is_number())
      throw usage_error("--set " + key + ": '" + val + "' is not a number", "'" + key + "' takes " + type_name(s->type));
  }
  return json{{key, v}};
}

void validate_config(const json& c) {
  parse_reset_steps(c["reset_steps"].get<std::string>());  // throws on a bad list
  // settings one agent family ignores must not be changed silently
  {
    const std::string algo = c["algo"];
    const bool residual = is_residual_algo(algo);
    static const char* residual_only[] = {"critic_blocks", "actor_blocks", "obs_norm", "quantiles", "critics",
                                          "pessimism", "optimistic", "optimism", "kl_target",
                                          "std_multiplier"};
    static const char* mlp_only[] = {"critic_layers", "actor_layers", "bn", "bn_momentum", "bn_eps",
                                     "brn_warmup", "brn_r_max", "brn_d_max", "weight_norm",
                                     "weight_norm_bias", "weight_norm_actor", "critic_l2",
                                     "target_network", "init", "log_std_min", "lr_schedule",
                                     "lr_final", "actor_bn_every_step"};
    static const char* tdmpc2_only[] = {"latent_dim", "enc_hidden", "num_q", "num_bins", "dropout", "horizon",
                                         "rho", "consistency_coef", "reward_coef", "value_coef", "entropy_coef",
                                         "enc_lr_scale", "grad_clip", "pi_adam_eps", "pretrain",
                                         "plan_iterations", "plan_samples", "plan_pi_trajs", "plan_elites",
                                         "plan_temperature", "plan_min_std", "plan_max_std", "plan_eval"};
    // what the soft actor-critics read and TD-MPC2 does not
    static const char* not_tdmpc2[] = {"policy_delay", "actor_hidden", "actor_layers", "temp_lr", "init_temperature",
                                       "target_entropy_scale", "weight_decay", "reset_every", "reset_steps"};
    const json def = default_config(algo, c["task"]);
    auto check = [&](const char* key, const char* who) {
      if (c[key] != def[key])
        throw usage_error(std::string("'") + key + "' has no effect on --algo " + algo,
                          std::string("it applies to ") + who + "; drop the setting");
    };
    if (algo == "tdmpc2") {
      for (const char* k : residual_only) check(k, "simba, bro and bro-fast");
      for (const char* k : mlp_only)
        if (std::string(k) != "log_std_min") check(k, "crossq-wn, crossq-wn-xqc, crossq, crossq-original, sac and sr-sac");
      for (const char* k : not_tdmpc2) check(k, "the soft actor-critic agents");
    } else if (residual) {
      for (const char* k : tdmpc2_only) check(k, "tdmpc2");
      for (const char* k : mlp_only) check(k, "crossq-wn, crossq-wn-xqc, crossq, crossq-original, sac and sr-sac");
    } else {
      for (const char* k : tdmpc2_only) check(k, "tdmpc2");
      for (const char* k : residual_only) check(k, "simba, bro and bro-fast");
    }
  }
  if (c["batch_size"].get<int64_t>() > c["replay_capacity"].get<int64_t>())
    throw usage_error("batch_size " + c["batch_size"].dump() + " is larger than replay_capacity " +
                          c["replay_capacity"].dump(),
                      "lower --batch-size or raise --replay-capacity");
  if (c["warmup"].get<int64_t>() > c["replay_capacity"].get<int64_t>())
    throw usage_error("warmup " + c["warmup"].dump() + " exceeds replay_capacity",
                      "lower --warmup or raise --replay-capacity");
  if (c["algo"] == "tdmpc2") {
    const int64_t S = c["plan_samples"], P = c["plan_pi_trajs"], E = c["plan_elites"];
    if (P >= S || E > S)
      throw usage_error("plan_pi_trajs " + c["plan_pi_trajs"].dump() + " and plan_elites " + c["plan_elites"].dump() +
                            " do not fit plan_samples " + c["plan_samples"].dump(),
                        "keep plan_pi_trajs < plan_samples and plan_elites <= plan_samples");
    if (c["latent_dim"].get<int64_t>() % 8 != 0)
      throw usage_error("latent_dim " + c["latent_dim"].dump() + " is not a multiple of 8 (SimNorm's group)",
                        "set --latent-dim to a multiple of 8");
    if (c["plan_min_std"].get<double>() > c["plan_max_std"].get<double>())
      throw usage_error("plan_min_std is above plan_max_std", "keep plan_min_std <= plan_max_std");
  }
  if (c["target_network"] == false && c["bn"] == "none")
    throw usage_error("target_network=false needs bn (vanilla CrossQ takes Q(s', a') from the joint BN pass)",
                      "set --bn bn, or keep --target-network true");
}

RunConfig to_run_config(const json& c, const TaskSpec& ts) {
  RunConfig r;
  r.task = c["task"];
  r.algo = c["algo"];
  r.seed = c["seed"].get<uint64_t>();
  r.steps = c["steps"];
  r.warmup = c["warmup"];
  r.eval_every = c["eval_every"];
  r.eval_episodes = c["eval_episodes"];
  r.action_repeat = c["action_repeat"];
  r.replay_capacity = c["replay_capacity"];
  r.log_every = c["log_every"];
  r.threads = c["threads"];
  r.checkpoint_every = c.value("checkpoint_every", int64_t{0});
  r.utd = c["utd"];
  r.reward_scale = c["reward_scale"].get<double>();
  r.reset_every = c["reset_every"];
  r.reset_steps = parse_reset_steps(c["reset_steps"].get<std::string>());
  CrossQConfig& a = r.agent;
  a.obs_dim = ts.obs_dim;
  a.act_dim = ts.act_dim;
  a.batch_size = c["batch_size"];
  a.critic_hidden = c["critic_hidden"];
  a.critic_layers = c["critic_layers"];
  a.actor_hidden = c["actor_hidden"];
  a.actor_layers = c["actor_layers"];
  a.critic_lr = c["critic_lr"].get<float>();
  a.actor_lr = c["actor_lr"].get<float>();
  a.temp_lr = c["temp_lr"].get<float>();
  a.init_temperature = c["init_temperature"].get<float>();
  a.target_entropy = -c["target_entropy_scale"].get<float>() * static_cast<float>(ts.act_dim);
  a.beta1 = c["beta1"].get<float>();
  a.beta2 = c["beta2"].get<float>();
  a.adam_eps = c["adam_eps"].get<float>();
  a.weight_decay = c["weight_decay"].get<float>();
  a.discount = c["discount"].get<float>();
  a.tau = c["tau"].get<float>();
  a.target_network = c["target_network"];
  const std::string bn = c["bn"];
  a.norm = bn == "none" ? nn::Norm::kNone : (bn == "brn" ? nn::Norm::kBatchRenorm : nn::Norm::kBatchNorm);
  a.bn_momentum = c["bn_momentum"].get<float>();
  a.bn_eps = c["bn_eps"].get<float>();
  a.brn_warmup = c["brn_warmup"];
  a.brn_r_max = c["brn_r_max"].get<float>();
  a.brn_d_max = c["brn_d_max"].get<float>();
  a.weight_norm = c["weight_norm"];
  a.weight_norm_bias = c["weight_norm_bias"];
  a.weight_norm_actor = c["weight_norm_actor"];
  a.critic_l2 = c["critic_l2"].get<float>();
  a.orthogonal_init = c["init"] == "orthogonal";
  a.log_std_min = c["log_std_min"].get<float>();
  // XQC's schedule: over every update the run would make from its first agent step
  a.lr_decay_updates = c["lr_schedule"] == "linear" ? std::max<int64_t>(1, r.steps / r.action_repeat * r.utd) : 0;
  a.lr_final = c["lr_final"].get<float>();
  a.actor_bn_every_step = c["actor_bn_every_step"];
  a.policy_delay = c["policy_delay"];
  a.threads = r.threads;
  a.precision = c["matmul_precision"] == "bf16" ? MatmulPrecision::kBf16 : MatmulPrecision::kFp32;
  // the residual agents (simba, bro) read the same keys plus their own
  ResidualConfig& q = r.residual;
  q.obs_dim = ts.obs_dim;
  q.act_dim = ts.act_dim;
  q.batch_size = a.batch_size;
  q.kind = r.algo == "simba" ? nn::ResKind::kSimba : nn::ResKind::kBro;
  q.critic_hidden = a.critic_hidden;
  q.critic_blocks = c["critic_blocks"];
  q.actor_hidden = a.actor_hidden;
  q.actor_blocks = c["actor_blocks"];
  q.quantiles = c["quantiles"];
  q.critics = c["critics"];
  q.pessimism = c["pessimism"].get<float>();
  q.obs_norm = c["obs_norm"];
  q.optimistic = c["optimistic"];
  q.optimism = c["optimism"].get<float>();
  q.kl_target = c["kl_target"].get<float>();
  q.std_multiplier = c["std_multiplier"].get<float>();
  q.kl_lr = a.actor_lr;
  q.critic_lr = a.critic_lr;
  q.actor_lr = a.actor_lr;
  q.temp_lr = a.temp_lr;
  q.beta1 = a.beta1;
  q.beta2 = a.beta2;
  q.adam_eps = a.adam_eps;
  q.weight_decay = a.weight_decay;
  q.init_temperature = a.init_temperature;
  q.target_entropy = a.target_entropy;
  q.discount = a.discount;
  q.tau = a.tau;
  q.policy_delay = a.policy_delay;
  q.threads = a.threads;
  q.precision = a.precision;
  Tdmpc2Config& m = r.tdmpc2;
  m.obs_dim = ts.obs_dim;
  m.act_dim = ts.act_dim;
  m.latent = c["latent_dim"];
  m.enc_hidden = c["enc_hidden"];
  m.mlp = a.critic_hidden;
  m.num_q = c["num_q"];
  m.bins = c["num_bins"];
  m.dropout = c["dropout"].get<float>();
  m.log_std_min = a.log_std_min;
  m.batch_size = a.batch_size;
  m.horizon = c["horizon"];
  m.rho = c["rho"].get<float>();
  m.consistency_coef = c["consistency_coef"].get<float>();
  m.reward_coef = c["reward_coef"].get<float>();
  m.value_coef = c["value_coef"].get<float>();
  m.entropy_coef = c["entropy_coef"].get<float>();
  m.lr = a.critic_lr;
  m.pi_lr = a.actor_lr;
  m.enc_lr_scale = c["enc_lr_scale"].get<float>();
  m.beta1 = a.beta1;
  m.beta2 = a.beta2;
  m.adam_eps = a.adam_eps;
  m.pi_adam_eps = c["pi_adam_eps"].get<float>();
  m.grad_clip = m.pi_grad_clip = c["grad_clip"].get<float>();
  m.tau = a.tau;
  m.discount = a.discount;
  m.iterations = c["plan_iterations"].get<int>() + (ts.act_dim >= 20 ? 2 : 0);
  m.samples = c["plan_samples"];
  m.pi_trajs = c["plan_pi_trajs"];
  m.elites = c["plan_elites"];
  m.temperature = c["plan_temperature"].get<float>();
  m.min_std = c["plan_min_std"].get<float>();
  m.max_std = c["plan_max_std"].get<float>();
  m.eval_mean = c["plan_eval"] == "mean";
  m.threads = r.threads;
  m.precision = a.precision;
  r.pretrain = c["pretrain"];
  return r;
}

}  // namespace crossq
