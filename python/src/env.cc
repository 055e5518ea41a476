// crossq._crossq.TaskEnv: one of crossq's tasks behind the Gymnasium API. It is crossq::Env (the
// task plus its time limit and action clipping) and the episode's random stream, so an episode
// seeded here is the episode the trainer runs on the same stream.
#include <memory>
#include <random>

#include <fmt/core.h>

#include "common.h"
#include "crossq/core/error.h"
#include "crossq/core/rng.h"
#include "crossq/tasks/env.h"
#include "crossq/tasks/registry.h"

namespace crossq::py_binding {

namespace {

class TaskEnv {
 public:
  explicit TaskEnv(const std::string& name) : env_(make_task(name)) {}

  const TaskSpec& spec() const { return env_.spec(); }

  // Gymnasium's reset: a seed restarts the random stream at Rng(seed); without one the stream
  // continues (the first reset of an unseeded env draws its seed from the OS, as Gymnasium does)
  py::tuple reset(py::object seed, py::object options) {
    if (!seed.is_none()) {
      rng_ = Rng(seed_arg(seed, "seed"));
      seeded_ = true;
    } else if (!seeded_) {
      std::random_device rd;
      rng_ = Rng((static_cast<uint64_t>(rd()) << 32) ^ rd());
      seeded_ = true;
    }
    F32Array obs = new_vector(spec().obs_dim);
    float* o = obs.mutable_data();
    {
      py::gil_scoped_release nogil;
      env_.reset(rng_, o);
    }
    started_ = true;
    done_ = false;
    return py::make_tuple(obs, py::dict());
  }

  // Gymnasium's step: the action in the task's units (outside the bounds it is clipped, as the
  // trainer's env clips it); truncated at the task's episode length
  py::tuple step(py::handle action) {
    if (!started_) throw usage_error("step() before reset()", "call reset() first to start an episode");
    if (done_)
      throw usage_error(fmt::format("step() after the episode ended (task '{}')", spec().name),
                        "call reset() to start the next episode");
    const F32Array a = vector_arg(action, "action", spec().act_dim);
    F32Array obs = new_vector(spec().obs_dim);
    float* o = obs.mutable_data();
    EnvStep r;
    {
      py::gil_scoped_release nogil;
      r = env_.step(a.data(), o);
    }
    done_ = r.terminated || r.truncated;
    py::dict info;
    if (spec().has_success) info["success"] = r.success;
    return py::make_tuple(obs, r.reward, r.terminated, r.truncated, info);
  }

  int64_t episode_step() const { return env_.episode_step(); }
  int64_t clipped_actions() const { return env_.clipped_actions(); }

 private:
  Env env_;
  Rng rng_;
  bool seeded_ = false, started_ = false, done_ = false;
};

}  // namespace

void bind_env(py::module_& m) {
  py::class_<TaskEnv>(m, "TaskEnv", "one of crossq's tasks with the Gymnasium API (use crossq.make)")
      .def(py::init<const std::string&>(), py::arg("name"))
      .def("reset", &TaskEnv::reset, py::arg("seed") = py::none(), py::arg("options") = py::none(),
           "reset(seed=None, options=None) -> (obs, info)")
      .def("step", &TaskEnv::step, py::arg("action"), "step(action) -> (obs, reward, terminated, truncated, info)")
      .def_property_readonly("episode_step", &TaskEnv::episode_step, "env steps of the current episode")
      .def_property_readonly("clipped_actions", &TaskEnv::clipped_actions,
                             "action components clipped into the bounds so far");
}

}  // namespace crossq::py_binding
