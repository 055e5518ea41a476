// cheetah-run.
#include <algorithm>

#include "crossq/tasks/mujoco_task.h"
#include "crossq/tasks/suite.h"
#include "crossq/tasks/tolerance.h"

namespace crossq {

namespace {
constexpr double kRunSpeed = 10.0;

class CheetahRun final : public MujocoTask {
 public:
  CheetahRun() : MujocoTask("cheetah-run", asset_path("cheetah.xml"), 0.01) {
    torso_ = body_id("torso");
    set_dmc_spec(spec_);
    spec_.description = "run a planar cheetah forward as fast as possible, 10 m/s = 1 (DMC)";
    finish_spec();
  }
  // forward velocity of the whole body's COM
  double speed() { return subtree_linvel(torso_)[0]; }

 private:
  void initialize_episode(Rng& rng) override {
    // limited joints ~ U(range), then let the body settle for 200 physics steps
    for (int j = 0; j < m_->njnt; ++j)
      if (m_->jnt_limited[j])
        d_->qpos[m_->jnt_qposadr[j]] = rng.uniform(m_->jnt_range[2 * j], m_->jnt_range[2 * j + 1]);
    mj_forward(m_, d_);
    for (int i = 0; i < 200; ++i) physics_step(1);
    d_->time = 0;
  }
  void observation(std::vector<double>& out) override {
    out.insert(out.end(), d_->qpos + 1, d_->qpos + m_->nq);  // all but rootx
    out.insert(out.end(), d_->qvel, d_->qvel + m_->nv);
  }
  double reward() override {
    return tolerance(speed(), kRunSpeed, 1e300, kRunSpeed, Sigmoid::kLinear, 0.0);
  }
  int torso_ = 0;
};

}  // namespace

std::unique_ptr<Task> make_cheetah_run() { return std::make_unique<CheetahRun>(); }

}  // namespace crossq
