#include "crossq/tasks/suite.h"

namespace crossq {

void set_dmc_spec(TaskSpec& spec) {
  // every DMC task: 1000 env steps, reward in [0, 1], score = return / 1000 (dm_control; rliable protocol)
  spec.suite = "dmc";
  spec.episode_steps = 1000;
  spec.score = TaskSpec::Score::kReturnOver1000;
  spec.has_success = false;
  spec.defaults.steps = 1000000;
  spec.defaults.warmup = 5000;
  spec.defaults.eval_every = 25000;
  spec.defaults.action_repeat = 2;
  spec.defaults.discount = 0.99;
}

}  // namespace crossq
