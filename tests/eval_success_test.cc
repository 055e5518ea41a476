// Evaluation scores MyoSuite success as its published baselines do: an episode is a success if
// the task's `solved` held at any step; eval.csv's success_last keeps the last step's flag.
#include <memory>

#include <gtest/gtest.h>

#include "crossq/agents/crossq_agent.h"
#include "crossq/tasks/env.h"
#include "crossq/train/trainer.h"

namespace crossq {
namespace {

// a 10-step task solved only at its 4th step
class SolvedOnceTask final : public Task {
 public:
  SolvedOnceTask() {
    spec_.name = "solved-once";
    spec_.obs_dim = 2;
    spec_.act_dim = 1;
    spec_.episode_steps = 10;
    spec_.act_low = {-1.f};
    spec_.act_high = {1.f};
    spec_.suite = "myo";
    spec_.has_success = true;
    spec_.score = TaskSpec::Score::kSuccessRate;
  }
  const TaskSpec& spec() const override { return spec_; }
  void reset(Rng&, float* obs) override {
    t_ = 0;
    obs[0] = obs[1] = 0.f;
  }
  StepResult step(const float*, float* obs) override {
    ++t_;
    obs[0] = static_cast<float>(t_);
    obs[1] = 0.f;
    StepResult r;
    r.success = t_ == 4;
    r.reward = r.success ? 1.0 : 0.0;
    return r;
  }
  std::vector<double> state() const override { return {static_cast<double>(t_)}; }
  void set_state(const std::vector<double>& s) override { t_ = static_cast<int>(s[0]); }

 private:
  TaskSpec spec_;
  int t_ = 0;
};

TEST(Evaluate, SuccessCountsAnyStepAndSuccessLastTheFinalStep) {
  Env env(std::make_unique<SolvedOnceTask>());
  CrossQConfig c;
  c.obs_dim = 2;
  c.act_dim = 1;
  c.batch_size = 8;
  c.critic_hidden = c.actor_hidden = 8;
  c.threads = 1;
  Rng rng(1);
  CrossQAgent agent(c, rng);
  for (int repeat : {1, 2, 3}) {  // the solved step is found inside repeated actions too
    const EvalResult r = evaluate(agent, env, rng, 3, repeat);
    ASSERT_EQ(r.successes.size(), 3u);
    EXPECT_DOUBLE_EQ(r.success_rate(), 1.0) << "repeat " << repeat;
    EXPECT_DOUBLE_EQ(r.success_last_rate(), 0.0) << "repeat " << repeat;
    EXPECT_DOUBLE_EQ(normalized_score(env.spec(), r.mean(), r.success_rate()), 1.0);
  }
}

}  // namespace
}  // namespace crossq
