// The shared MuJoCo base of the DMC and muscle tasks: loads an MJCF, steps with
// dm_control's legacy stepping, saves and restores the state exactly. A concrete task is small
// (STYLE 6): physics accessors, initialize_episode, observation, reward.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <mujoco/mujoco.h>

#include "crossq/tasks/task.h"

namespace crossq {

// path of a model authored in assets/: $CROSSQ_ASSET_DIR if set, else the source tree's
// assets/ (compile definition CROSSQ_ASSET_DIR)
std::string asset_path(const std::string& file);
// path of one of MuJoCo's sample models (Debian libmujoco-samples): $CROSSQ_MUJOCO_MODEL_DIR
// if set, else /usr/share/mujoco/model
std::string mujoco_sample_path(const std::string& file);
// path of a DeepMind Control model: $CROSSQ_DMC_MODEL_DIR/file when that is set (dm_control's
// suite folder: its own model files, whose names crossq's task code uses), else asset_path(file)
std::string dmc_model_path(const std::string& file);
// path of a MyoSuite hand model: $CROSSQ_MYO_MODEL_DIR/file when that is set (MyoSuite's
// envs/myo/assets/hand folder, whose myohand_{pose,keyturn,hold,pen}.xml crossq's task code runs
// on), else asset_path("myohand/" + file)
std::string myo_model_path(const std::string& file);

// dm_control's joint randomizer: limited hinge/slide ~ U(range); unlimited hinge
// ~ U(-pi, pi); free and ball joints get a random quaternion (rand(4) normalized, as the
// original); unlimited slides are left alone
void randomize_limited_and_rotational_joints(const mjModel* m, mjData* d, Rng& rng);

class MujocoTask : public Task {
 public:
  ~MujocoTask() override;
  MujocoTask(const MujocoTask&) = delete;
  MujocoTask& operator=(const MujocoTask&) = delete;

  const TaskSpec& spec() const override { return spec_; }
  void reset(Rng& rng, float* obs) override;
  StepResult step(const float* action, float* obs) override;
  // [time, qpos (nq), qvel (nv), act (na), ctrl (nu), qacc_warmstart (nv), task variables];
  // qpos is as the integrator left it (before mj_step1 renormalized quaternions) and the warm
  // start is included, so that restoring replays the next steps bit for bit
  std::vector<double> state() const override;
  void set_state(const std::vector<double>& state) override;

  const mjModel* model() const { return m_; }
  mjData* data() { return d_; }
  const mjData* data() const { return d_; }
  int substeps() const { return substeps_; }
  // sum of MuJoCo's warning counters since the last reset (0 for a healthy run)
  int64_t warnings() const;
  // the observation of the current state (obs_dim)
  void observe(float* obs);
  // the reward of the current state (for tests on hand-set states, after set_physics_state)
  double current_reward() { return reward(); }
  bool current_success() { return success(); }
  // runs mj_forward after a test wrote qpos/qvel directly
  void forward() { mj_forward(m_, d_); }

 protected:
  // loads `model_path`; substeps = round(control_dt / timestep). Throws crossq::Error if the
  // model does not load or loading produced a warning.
  MujocoTask(const std::string& name, const std::string& model_path, double control_dt);
  // fills obs_dim/act_dim/bounds from the model; call at the end of the derived constructor
  void finish_spec();
  // changes the physics timestep of a loaded model (for sample models whose file we do not
  // author) and recomputes the substeps
  void set_timestep(double timestep);

  // the task: called between mj_resetData and mj_forward
  virtual void initialize_episode(Rng& rng) = 0;
  // appends the observation components, in order, to `out` (cleared by the caller)
  virtual void observation(std::vector<double>& out) = 0;
  virtual double reward() = 0;
  virtual bool success() { return false; }
  // writes the action to ctrl; the default copies it unchanged
  virtual void before_step(const float* action);
  // task variables beyond the physics (e.g. a target), for state()/set_state()
  virtual std::vector<double> task_state() const { return {}; }
  virtual void set_task_state(const std::vector<double>& s, size_t offset) {}
  virtual size_t task_state_size() const { return 0; }

  // dm_control's legacy step: mj_step2, mj_step (n-1 times), mj_step1
  void physics_step(int nstep);

  // name lookups that throw crossq::Error naming the model on a miss
  int body_id(const char* name) const;
  int joint_id(const char* name) const;
  int sensor_adr(const char* name) const;
  // rotation matrix entry of a body, e.g. 'z','z' -> zz (dm_control's xmat[name, 'zz'])
  double xmat(int body, char row, char col) const;
  // linear velocity of a body's subtree COM (dm_control's subtreelinvel sensor), (3)
  const double* subtree_linvel(int body);

  TaskSpec spec_;
  mjModel* m_ = nullptr;
  mjData* d_ = nullptr;
  int substeps_ = 1;

 private:
  void check_bad_state();
  std::vector<double> obs_;       // (obs_dim) scratch
  std::vector<double> qpos_pre_;  // (nq) qpos before the last mj_step1 (or reset's mj_forward)
  int64_t bad_warnings_seen_ = 0;
};

}  // namespace crossq
