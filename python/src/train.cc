// crossq._crossq.train: `crossq train` on environments written in Python. A PyEnvTask is a
// crossq::Task that calls the environment's Gymnasium API; crossq::Trainer runs with the GIL
// released and each reset/step takes it back, so the run folder, its logs and the update
// schedule are the CLI's.
#include <cmath>
#include <memory>
#include <vector>

#include <fmt/core.h>

#include "common.h"
#include "crossq/train/config.h"
#include "crossq/core/error.h"
#include "crossq/train/learner.h"
#include "crossq/train/run_folder.h"
#include "crossq/tasks/registry.h"
#include "crossq/train/trainer.h"

namespace crossq::py_binding {

using json = nlohmann::json;

namespace {

std::string shape_str(const std::vector<py::ssize_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += fmt::format("{}{}", i ? ", " : "", shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

std::vector<py::ssize_t> space_shape(py::handle space, const std::string& what) {
  if (!py::hasattr(space, "shape"))
    throw usage_error(what + " has no .shape", "give the environment Gymnasium-style spaces (a Box: shape, low, high)");
  std::vector<py::ssize_t> shape;
  for (py::handle d : py::tuple(space.attr("shape"))) shape.push_back(d.cast<py::ssize_t>());
  return shape;
}

// the bounds of a 1-D action space, broadcast to its shape
std::vector<float> space_bound(py::handle space, const char* attr, py::ssize_t n, const std::string& what) {
  py::module_ np = py::module_::import("numpy");
  if (!py::hasattr(space, attr)) throw usage_error(fmt::format("{} has no .{}", what, attr), "use a bounded Box");
  py::array_t<double> b = np.attr("broadcast_to")(np.attr("asarray")(space.attr(attr), "float64"), py::make_tuple(n));
  std::vector<float> out(static_cast<size_t>(n));
  for (py::ssize_t i = 0; i < n; ++i) {
    const double x = b.at(i);
    if (!std::isfinite(x))
      throw usage_error(fmt::format("{}.{}[{}] is {}: crossq needs finite action bounds", what, attr, i, x),
                        "give the action space finite low and high (the policy's tanh output is mapped onto them)");
    out[static_cast<size_t>(i)] = static_cast<float>(x);
  }
  return out;
}

// an environment with the Gymnasium API as a crossq::Task. The first reset seeds it with
// `first_seed` (the trainer's stream for this env), later resets continue its own stream.
class PyEnvTask : public Task {
 public:
  // called with the GIL held; `base` is the named task's spec or the "custom" placeholder
  PyEnvTask(py::object env, const TaskSpec& base, bool named, uint64_t first_seed, std::string role)
      : env_(std::move(env)), first_seed_(first_seed), role_(std::move(role)) {
    const std::string as = role_ + "'s action_space", os = role_ + "'s observation_space";
    for (const char* attr : {"reset", "step", "action_space", "observation_space"})
      if (!py::hasattr(env_, attr))
        throw usage_error(fmt::format("{} has no .{}", role_, attr),
                          "pass an environment with the Gymnasium API: reset(seed=None) -> (obs, info), "
                          "step(a) -> (obs, reward, terminated, truncated, info), observation_space, action_space");
    const py::object act_space = env_.attr("action_space"), obs_space = env_.attr("observation_space");
    act_shape_ = space_shape(act_space, as);
    if (act_shape_.size() != 1 || act_shape_[0] < 1)
      throw usage_error(fmt::format("{} has shape {}; crossq needs a 1-D Box", as, shape_str(act_shape_)),
                        "flatten the actions in a wrapper");
    const std::vector<py::ssize_t> obs_shape = space_shape(obs_space, os);
    py::ssize_t obs_dim = 1;
    for (py::ssize_t d : obs_shape) obs_dim *= d;
    if (obs_shape.empty() || obs_dim < 1)
      throw usage_error(fmt::format("{} has shape {}", os, shape_str(obs_shape)), "observations need at least one number");
    spec_ = base;
    if (named && (base.obs_dim != obs_dim || base.act_dim != act_shape_[0]))
      throw usage_error(fmt::format("task '{}' has obs_dim {} and act_dim {}, {} has {} observations and {} actions",
                                    base.name, base.obs_dim, base.act_dim, role_, obs_dim, act_shape_[0]),
                        "pass task= only for an environment of that task; leave it out for your own");
    spec_.obs_dim = static_cast<int>(obs_dim);
    spec_.act_dim = static_cast<int>(act_shape_[0]);
    spec_.act_low = space_bound(act_space, "low", act_shape_[0], as);
    spec_.act_high = space_bound(act_space, "high", act_shape_[0], as);
    for (int i = 0; i < spec_.act_dim; ++i)
      if (!(spec_.act_low[i] < spec_.act_high[i]))
        throw usage_error(fmt::format("{}: low[{}] = {} is not below high[{}] = {}", as, i, spec_.act_low[i], i,
                                      spec_.act_high[i]),
                          "give each action component a range");
    spec_.episode_steps = 1 << 30;  // the environment truncates its own episodes
    // actions go to the environment in its space's float dtype (float32 unless it says float64)
    if (py::hasattr(act_space, "dtype")) {
      py::module_ np = py::module_::import("numpy");
      act_f64_ = np.attr("dtype")(act_space.attr("dtype")).equal(np.attr("dtype")("float64"));
    }
  }

  ~PyEnvTask() override {
    py::gil_scoped_acquire gil;  // the trainer may drop its tasks with the GIL released
    env_ = py::object();
  }

  const TaskSpec& spec() const override { return spec_; }

  void reset(Rng&, float* obs) override {
    py::gil_scoped_acquire gil;
    py::object r = first_ ? env_.attr("reset")(py::arg("seed") = first_seed_) : env_.attr("reset")();
    first_ = false;
    if (!py::isinstance<py::tuple>(r) || py::len(r) != 2)
      throw usage_error(role_ + "'s reset() must return (obs, info)", "return Gymnasium's pair: obs, {}");
    read_obs(py::tuple(r)[0], obs, "reset()");
  }

  StepResult step(const float* action, float* obs) override {
    py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();  // Ctrl-C reaches Python
    const py::ssize_t n = spec_.act_dim;
    py::object a;
    if (act_f64_) {
      py::array_t<double> a64(n);
      for (py::ssize_t i = 0; i < n; ++i) a64.mutable_at(i) = action[i];
      a = a64;
    } else {
      a = py::array_t<float>(n, action);  // a copy: the environment may keep it
    }
    py::object r = env_.attr("step")(a);
    if (!py::isinstance<py::tuple>(r) || py::len(r) != 5)
      throw usage_error(
          fmt::format("{}'s step() must return (obs, reward, terminated, truncated, info){}", role_,
                      py::isinstance<py::tuple>(r) && py::len(r) == 4 ? ", got 4 values (the old Gym API)" : ""),
          "return Gymnasium's five values");
    const py::tuple t(r);
    read_obs(t[0], obs, "step()");
    StepResult out;
    out.reward = PyFloat_AsDouble(t[1].ptr());
    if (PyErr_Occurred()) {
      PyErr_Clear();
      throw usage_error(role_ + "'s step() returned a reward that is not a number", "return the reward as a float");
    }
    if (!std::isfinite(out.reward))
      throw usage_error(fmt::format("{}'s step() returned the reward {}", role_, out.reward), "return finite rewards");
    out.terminated = truth(t[2]);
    out.truncated = truth(t[3]);
    const py::object info = t[4];
    if (py::hasattr(info, "get"))
      out.success = truth(info.attr("get")("success", false)) || truth(info.attr("get")("is_success", false));
    return out;
  }

  // a Python environment's state is out of crossq's reach: its runs are not resumable
  std::vector<double> state() const override { return {}; }
  void set_state(const std::vector<double>&) override {
    throw usage_error("a run on a Python environment cannot be resumed", "start it again with overwrite=True");
  }

 private:
  static bool truth(py::handle h) {
    const int v = PyObject_IsTrue(h.ptr());
    if (v < 0) throw py::error_already_set();
    return v != 0;
  }

  void read_obs(py::handle value, float* obs, const char* call) {
    const F32Array o = F32Array::ensure(value);
    if (!o) {
      PyErr_Clear();
      throw usage_error(fmt::format("{}'s {} returned an observation that is not an array of numbers", role_, call),
                        "return a numpy array of the observation_space's shape");
    }
    if (o.size() != spec_.obs_dim)
      throw usage_error(fmt::format("{}'s {} returned an observation of {} numbers, its observation_space holds {}",
                                    role_, call, o.size(), spec_.obs_dim),
                        "return observations of the observation_space's shape");
    const float* x = o.data();
    for (int i = 0; i < spec_.obs_dim; ++i) {
      if (!std::isfinite(x[i]))
        throw usage_error(fmt::format("{}'s {} returned an observation holding {} (component {})", role_, call,
                                      std::isnan(x[i]) ? "NaN" : "Inf", i),
                          "crossq learns from finite observations; check the environment");
      obs[i] = x[i];
    }
  }

  py::object env_;
  TaskSpec spec_;
  std::vector<py::ssize_t> act_shape_;
  bool act_f64_ = false;
  uint64_t first_seed_;
  bool first_ = true;
  std::string role_;
};

py::dict progress_dict(const Progress& p) {
  py::dict d;
  d["env_step"] = p.env_step;
  d["total_steps"] = p.total_steps;
  d["sps"] = p.sps;
  d["eta_s"] = p.eta_s;
  d["last_eval_return"] = p.has_eval ? py::object(py::float_(p.last_eval_return)) : py::object(py::none());
  return d;
}

// the CLI's path (src/cli/train.cc) for one seed: resolve, check, prepare the folder, train
std::string train(py::object make_env, py::object make_eval_env, const std::string& algo, py::object steps,
                  py::object seed, const std::string& out, py::object task, bool overwrite, const py::dict& settings,
                  py::object progress) {
  const bool named = !task.is_none();
  const std::string t = named ? task.cast<std::string>() : std::string(kCustomTask);
  const char* origin = "crossq.train";
  json cfg = resolve_config(algo, t, settings, origin);
  if (!steps.is_none()) apply_overrides(cfg, json{{"steps", setting_value("steps", steps)}}, origin, "python");
  const uint64_t s = seed_arg(seed, "seed");
  apply_overrides(cfg, json{{"seed", s}}, origin, "python");
  validate_config(cfg);
  preflight(cfg);

  // the environments are made after the settings passed their checks, and checked themselves
  // before the folder is touched: bad input writes nothing
  const py::object train_env = make_env(), eval_env = make_eval_env();
  if (train_env.is(eval_env))
    throw usage_error("the training and the evaluation env are one object",
                      "evaluation needs an environment of its own: pass a callable that makes a new one each call, "
                      "or eval_env=");
  const TaskSpec base = task_spec(t);
  auto task_env = std::make_unique<PyEnvTask>(train_env, base, named, stream_seed(s, 2), "the training env");
  auto eval_task = std::make_unique<PyEnvTask>(eval_env, base, named, stream_seed(s, 3), "the evaluation env");
  const std::string dir = run_dir_of(out, cfg, s);
  std::vector<RunLock> locks = prepare_run_folders(out, {dir}, overwrite);

  std::function<void(const Progress&)> report;
  if (!progress.is_none())
    report = [&progress](const Progress& p) {
      py::gil_scoped_acquire gil;
      progress(progress_dict(p));
    };
  {
    py::gil_scoped_release nogil;
    Trainer tr(cfg, dir, std::move(task_env), std::move(eval_task), std::move(locks[0]));
    tr.run(report);
  }
  return dir;
}

}  // namespace

void bind_train(py::module_& m) {
  m.def("train", &train, py::arg("make_env"), py::arg("make_eval_env"), py::arg("algo"), py::arg("steps"), py::arg("seed"),
        py::arg("out"), py::arg("task"), py::arg("overwrite"), py::arg("settings"), py::arg("progress"),
        "the C++ half of crossq.train: make_env and make_eval_env are called once each; returns the run folder");
}

}  // namespace crossq::py_binding
