#include "crossq/tasks/mujoco_task.h"

#include <cmath>
#include <cstdlib>
#include <string>

#include "crossq/core/error.h"

namespace crossq {

namespace {
constexpr double kPi = 3.14159265358979323846;

// warnings that mean the state is invalid (MuJoCo resets the data when they fire)
bool is_bad_state_warning(int i) {
  return i == mjWARN_BADQPOS || i == mjWARN_BADQVEL || i == mjWARN_BADQACC ||
         i == mjWARN_BADCTRL;
}
}  // namespace

std::string asset_path(const std::string& file) {
  const char* env = std::getenv("CROSSQ_ASSET_DIR");
  const std::string dir = (env && *env) ? env : CROSSQ_ASSET_DIR;
  return dir + "/" + file;
}

std::string mujoco_sample_path(const std::string& file) {
  const char* env = std::getenv("CROSSQ_MUJOCO_MODEL_DIR");
  const std::string dir = (env && *env) ? env : "/usr/share/mujoco/model";
  return dir + "/" + file;
}

std::string dmc_model_path(const std::string& file) {
  const char* env = std::getenv("CROSSQ_DMC_MODEL_DIR");
  if (env && *env) return std::string(env) + "/" + file;
  return asset_path(file);
}

std::string myo_model_path(const std::string& file) {
  const char* env = std::getenv("CROSSQ_MYO_MODEL_DIR");
  if (env && *env) return std::string(env) + "/" + file;
  return asset_path("myohand/" + file);
}

void randomize_limited_and_rotational_joints(const mjModel* m, mjData* d, Rng& rng) {
  for (int j = 0; j < m->njnt; ++j) {
    const int a = m->jnt_qposadr[j];
    const bool limited = m->jnt_limited[j];
    const double lo = m->jnt_range[2 * j], hi = m->jnt_range[2 * j + 1];
    switch (m->jnt_type[j]) {
      case mjJNT_HINGE:
        d->qpos[a] = limited ? rng.uniform(lo, hi) : rng.uniform(-kPi, kPi);
        break;
      case mjJNT_SLIDE:
        if (limited) d->qpos[a] = rng.uniform(lo, hi);
        break;
      case mjJNT_BALL:
      case mjJNT_FREE: {
        // dm_control draws rand(4), not randn(4): only non-negative components
        double q[4], n = 0;
        for (double& c : q) { c = rng.uniform(); n += c * c; }
        n = std::sqrt(n);
        double* dst = d->qpos + a + (m->jnt_type[j] == mjJNT_FREE ? 3 : 0);
        for (int i = 0; i < 4; ++i) dst[i] = q[i] / n;
        break;
      }
    }
  }
}

MujocoTask::MujocoTask(const std::string& name, const std::string& model_path,
                       double control_dt) {
  spec_.name = name;
  spec_.control_dt = control_dt;
  char err[1024] = "";
  m_ = mj_loadXML(model_path.c_str(), nullptr, err, sizeof(err));
  if (!m_) {
    throw Error("task '" + name + "': cannot load model " + model_path + ": " + err,
                "set CROSSQ_ASSET_DIR to the assets/ folder of crossq (or "
                "CROSSQ_MUJOCO_MODEL_DIR to MuJoCo's sample models, Debian libmujoco-samples)");
  }
  if (err[0]) {
    mj_deleteModel(m_);
    throw Error("task '" + name + "': model " + model_path + " loads with a warning: " + err,
                "fix the model file");
  }
  d_ = mj_makeData(m_);
  try {
    set_timestep(m_->opt.timestep);
  } catch (...) {  // the destructor does not run for a throwing constructor
    mj_deleteData(d_);
    mj_deleteModel(m_);
    throw;
  }
}

void MujocoTask::set_timestep(double timestep) {
  m_->opt.timestep = timestep;
  substeps_ = static_cast<int>(std::lround(spec_.control_dt / timestep));
  if (substeps_ < 1 || std::abs(substeps_ * timestep - spec_.control_dt) > 1e-9) {
    throw Error("task '" + spec_.name + "': control timestep " +
                std::to_string(spec_.control_dt) + " is not a multiple of the physics timestep " +
                std::to_string(timestep));
  }
}

MujocoTask::~MujocoTask() {
  if (d_) mj_deleteData(d_);
  if (m_) mj_deleteModel(m_);
}

void MujocoTask::finish_spec() {
  spec_.act_dim = m_->nu;
  spec_.act_low.assign(m_->nu, -1.f);
  spec_.act_high.assign(m_->nu, 1.f);
  for (int i = 0; i < m_->nu; ++i) {
    if (m_->actuator_ctrllimited[i]) {
      spec_.act_low[i] = static_cast<float>(m_->actuator_ctrlrange[2 * i]);
      spec_.act_high[i] = static_cast<float>(m_->actuator_ctrlrange[2 * i + 1]);
    }
  }
  mj_resetData(m_, d_);
  qpos_pre_.assign(d_->qpos, d_->qpos + m_->nq);
  mj_forward(m_, d_);
  obs_.clear();
  observation(obs_);
  spec_.obs_dim = static_cast<int>(obs_.size());
  const int64_t w = warnings();
  if (w != 0) {
    throw Error("task '" + spec_.name + "': the model raises " + std::to_string(w) +
                " MuJoCo warning(s) in its initial state", "fix the model file");
  }
}

int64_t MujocoTask::warnings() const {
  int64_t n = 0;
  for (int i = 0; i < mjNWARNING; ++i) n += d_->warning[i].number;
  return n;
}

void MujocoTask::reset(Rng& rng, float* obs) {
  // dm_control's reset context: mj_resetData, the task's initialization, mj_forward
  mj_resetData(m_, d_);
  bad_warnings_seen_ = 0;
  initialize_episode(rng);
  qpos_pre_.assign(d_->qpos, d_->qpos + m_->nq);
  mj_forward(m_, d_);
  observe(obs);
}

void MujocoTask::before_step(const float* action) {
  for (int i = 0; i < m_->nu; ++i) d_->ctrl[i] = action[i];
}

void MujocoTask::physics_step(int nstep) {
  mj_step2(m_, d_);
  for (int i = 1; i < nstep; ++i) mj_step(m_, d_);
  // mj_step1 renormalizes quaternions in qpos in place, and renormalizing twice can change
  // the last bit: keep qpos as the integrator left it, so set_state can rerun mj_step1 on it
  qpos_pre_.assign(d_->qpos, d_->qpos + m_->nq);
  mj_step1(m_, d_);
}

void MujocoTask::check_bad_state() {
  int64_t bad = 0;
  for (int i = 0; i < mjNWARNING; ++i)
    if (is_bad_state_warning(i)) bad += d_->warning[i].number;
  if (bad > bad_warnings_seen_) {
    bad_warnings_seen_ = bad;
    throw Error("task '" + spec_.name + "': the physics diverged (MuJoCo flagged a NaN/Inf or "
                "huge value in qpos, qvel, qacc or ctrl at t = " + std::to_string(d_->time) + ")",
                "the simulation became unstable; check the actions and the model");
  }
}

StepResult MujocoTask::step(const float* action, float* obs) {
  before_step(action);
  physics_step(substeps_);
  check_bad_state();
  StepResult r;
  r.reward = reward();
  r.success = success();
  observe(obs);
  return r;
}

void MujocoTask::observe(float* obs) {
  obs_.clear();
  observation(obs_);
  for (size_t i = 0; i < obs_.size(); ++i) obs[i] = static_cast<float>(obs_[i]);
}

std::vector<double> MujocoTask::state() const {
  std::vector<double> s;
  s.reserve(1 + m_->nq + 2 * m_->nv + m_->na + m_->nu + task_state_size());
  s.push_back(d_->time);
  s.insert(s.end(), qpos_pre_.begin(), qpos_pre_.end());
  s.insert(s.end(), d_->qvel, d_->qvel + m_->nv);
  s.insert(s.end(), d_->act, d_->act + m_->na);
  s.insert(s.end(), d_->ctrl, d_->ctrl + m_->nu);
  s.insert(s.end(), d_->qacc_warmstart, d_->qacc_warmstart + m_->nv);
  const std::vector<double> t = task_state();
  s.insert(s.end(), t.begin(), t.end());
  return s;
}

void MujocoTask::set_state(const std::vector<double>& s) {
  const size_t n = 1 + m_->nq + 2 * m_->nv + m_->na + m_->nu + task_state_size();
  if (s.size() != n) {
    throw Error("task '" + spec_.name + "': state has " + std::to_string(s.size()) +
                " values, expected " + std::to_string(n),
                "the checkpoint was written for another task or model version");
  }
  size_t k = 0;
  auto take = [&](double* dst, int count) {
    for (int i = 0; i < count; ++i) dst[i] = s[k++];
  };
  d_->time = s[k++];
  take(d_->qpos, m_->nq);
  take(d_->qvel, m_->nv);
  take(d_->act, m_->na);
  take(d_->ctrl, m_->nu);
  const size_t warm = k;
  take(d_->qacc_warmstart, m_->nv);
  set_task_state(s, k);
  qpos_pre_.assign(d_->qpos, d_->qpos + m_->nq);
  // mj_forward fills every derived quantity (acceleration-stage sensors such as touch become
  // those of the restored state); it also renormalizes quaternions in qpos and overwrites the
  // warm start, so put both back and redo the position and velocity stages exactly as the
  // last mj_step1 of the original run did
  mj_forward(m_, d_);
  for (int i = 0; i < m_->nq; ++i) d_->qpos[i] = qpos_pre_[i];
  for (int i = 0; i < m_->nv; ++i) d_->qacc_warmstart[i] = s[warm + i];
  mj_step1(m_, d_);
}

int MujocoTask::body_id(const char* name) const {
  const int id = mj_name2id(m_, mjOBJ_BODY, name);
  if (id < 0) throw Error("task '" + spec_.name + "': the model has no body '" + name + "'");
  return id;
}

int MujocoTask::joint_id(const char* name) const {
  const int id = mj_name2id(m_, mjOBJ_JOINT, name);
  if (id < 0) throw Error("task '" + spec_.name + "': the model has no joint '" + name + "'");
  return id;
}

int MujocoTask::sensor_adr(const char* name) const {
  const int id = mj_name2id(m_, mjOBJ_SENSOR, name);
  if (id < 0) throw Error("task '" + spec_.name + "': the model has no sensor '" + name + "'");
  return m_->sensor_adr[id];
}

double MujocoTask::xmat(int body, char row, char col) const {
  return d_->xmat[9 * body + 3 * (row - 'x') + (col - 'x')];
}

const double* MujocoTask::subtree_linvel(int body) {
  mj_subtreeVel(m_, d_);
  return d_->subtree_linvel + 3 * body;
}

}  // namespace crossq
