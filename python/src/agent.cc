// crossq._crossq.Agent: crossq::Learner (the agent, its replay buffer and the update schedule of
// `crossq train`) for a control loop written in Python. Every call releases the GIL; the calls
// of one Agent are serialized, except act() in background mode, which never waits for the
// learner (it only waits for another act() or a load()).
#include <cmath>
#include <filesystem>
#include <memory>
#include <mutex>

#include <fmt/core.h>

#include "common.h"
#include "crossq/train/checkpoint.h"
#include "crossq/train/config.h"
#include "crossq/core/error.h"
#include "crossq/train/learner.h"
#include "crossq/tasks/registry.h"

namespace crossq::py_binding {

using json = nlohmann::json;

namespace {

std::string path_arg(py::handle dir) { return py::str(py::module_::import("os").attr("fspath")(dir)); }

class PyAgent {
 public:
  PyAgent(const json& cfg, int obs_dim, int act_dim, bool background) {
    py::gil_scoped_release nogil;
    learner_ = std::make_unique<Learner>(cfg, obs_dim, act_dim,
                                         background ? LearnerMode::kBackground : LearnerMode::kInline);
  }

  // the settings resolved as crossq.train resolves them, then the seed
  static std::unique_ptr<PyAgent> create(int obs_dim, int act_dim, const std::string& algo, bool background,
                                         py::object task, py::object seed, const py::kwargs& settings) {
    const std::string t = task.is_none() ? std::string(kCustomTask) : task.cast<std::string>();
    json cfg = resolve_config(algo, t, settings, "crossq.Agent");
    apply_overrides(cfg, json{{"seed", seed_arg(seed, "seed")}}, "crossq.Agent", "python");
    return std::make_unique<PyAgent>(cfg, obs_dim, act_dim, background);
  }

  // an agent built with the settings a checkpoint holds (Agent.save's or a run folder's), then
  // loaded from it
  static std::unique_ptr<PyAgent> from_checkpoint(py::handle dir, bool background, py::object obs_dim,
                                                  py::object act_dim) {
    const std::string d = path_arg(dir);
    const std::string path = d + "/checkpoint.bin";
    json cfg;
    int O = 0, A = 0;
    {
      const Checkpoint ck = Checkpoint::load(path);
      cfg = json::parse(ck.get("config"), nullptr, false);
      if (cfg.is_discarded() || !cfg.is_object())
        throw usage_error("checkpoint " + path + " holds no valid settings", "load a checkpoint crossq wrote");
      upgrade_config(cfg);
      cfg = checked_config(cfg, "the settings in checkpoint " + path);
      if (ck.has("learner")) {  // written by Agent.save (crossq::Learner::save)
        const json dims = json::parse(ck.get("learner"), nullptr, false);
        if (dims.is_object() && dims.value("obs_dim", json()).is_number_integer() &&
            dims.value("act_dim", json()).is_number_integer()) {
          O = dims["obs_dim"].get<int>();
          A = dims["act_dim"].get<int>();
        }
      } else if (cfg["task"] != kCustomTask) {  // a run folder of one of crossq's tasks
        const TaskSpec sp = task_spec(cfg["task"]);
        O = sp.obs_dim;
        A = sp.act_dim;
      }
    }
    if (!obs_dim.is_none()) O = obs_dim.cast<int>();
    if (!act_dim.is_none()) A = act_dim.cast<int>();
    if (O < 1 || A < 1)
      throw usage_error("checkpoint " + path + " does not record the observation and action sizes",
                        "a run on an environment of your own: pass obs_dim= and act_dim=");
    auto agent = std::make_unique<PyAgent>(cfg, O, A, background);
    agent->load(dir);
    return agent;
  }

  F32Array act(py::handle obs, bool deterministic) {
    const F32Array o = vector_arg(obs, "obs", learner_->obs_dim());
    check_finite(o.data(), learner_->obs_dim(), "obs");
    F32Array a = new_vector(learner_->act_dim());
    float* out = a.mutable_data();
    {
      py::gil_scoped_release nogil;
      std::lock_guard<std::mutex> lk(background() ? act_mu_ : mu_);
      learner_->act(o.data(), deterministic, out);
    }
    return a;
  }

  void observe(py::handle obs, py::handle action, py::handle reward, py::handle next_obs, py::handle terminated,
               py::handle truncated) {
    const int O = learner_->obs_dim(), A = learner_->act_dim();
    const F32Array o = vector_arg(obs, "obs", O), a = vector_arg(action, "action", A),
                   o2 = vector_arg(next_obs, "next_obs", O);
    check_finite(o.data(), O, "obs");
    check_finite(a.data(), A, "action");
    check_finite(o2.data(), O, "next_obs");
    for (int j = 0; j < A; ++j)
      if (a.data()[j] < -1.f || a.data()[j] > 1.f)
        throw usage_error(fmt::format("action component {} is {}, outside [-1, 1]", j, a.data()[j]),
                          "pass the action as act() returned it (the agent's units), not in the actuators' units");
    const double r = PyFloat_AsDouble(reward.ptr());
    if (PyErr_Occurred()) {
      PyErr_Clear();
      throw usage_error("reward must be a number", "pass the environment's reward as a float");
    }
    if (!std::isfinite(r)) throw usage_error(fmt::format("reward is {}", r), "pass finite rewards");
    const int term = PyObject_IsTrue(terminated.ptr()), trunc = PyObject_IsTrue(truncated.ptr());
    if (term < 0 || trunc < 0) throw py::error_already_set();
    py::gil_scoped_release nogil;
    std::lock_guard<std::mutex> lk(mu_);
    learner_->observe(o.data(), a.data(), static_cast<float>(r), o2.data(), term != 0, trunc != 0);
  }

  void save(py::handle dir) {
    const std::string d = path_arg(dir);
    py::gil_scoped_release nogil;
    std::lock_guard<std::mutex> lk(mu_);
    std::error_code ec;
    std::filesystem::create_directories(d, ec);
    if (ec) throw Error(fmt::format("cannot create folder {}: {}", d, ec.message()), "pass a folder you can write");
    learner_->save(d);
  }

  void load(py::handle dir) {
    const std::string d = path_arg(dir);
    py::gil_scoped_release nogil;
    std::scoped_lock lk(mu_, act_mu_);  // act() reads the policy load() replaces
    learner_->load(d);
  }

  void sync() {
    py::gil_scoped_release nogil;
    std::lock_guard<std::mutex> lk(mu_);
    learner_->sync();
  }

  void reset_parameters() {
    py::gil_scoped_release nogil;
    std::lock_guard<std::mutex> lk(mu_);
    learner_->reset_parameters();
  }

  bool background() const { return learner_->mode() == LearnerMode::kBackground; }
  Learner& learner() { return *learner_; }

 private:
  std::unique_ptr<Learner> learner_;
  std::mutex mu_, act_mu_;
};

}  // namespace

void bind_agent(py::module_& m) {
  py::class_<PyAgent>(m, "Agent", R"(The learner of `crossq train` for a control loop of your own (crossq::Learner).

Agent(obs_dim, act_dim, algo="crossq-wn", background=False, task=None, seed=0, **settings)

Settings resolve as in crossq.train: the algorithm's defaults on `task` (default: "custom", an
environment of your own), then **settings (config.json keys), then the seed. `steps` bounds the
replay buffer (min(replay_capacity, steps / action_repeat + 1) transitions) and the learning-rate
schedule, so set it to the transitions you plan. Actions are in the agent's units, [-1, 1]^act_dim;
map them to your actuators. Inline (background=False), observe() runs the updates it makes due,
deterministic for a seed; with background=True a learner thread runs them and act() reads the
latest policy without waiting.)")
      .def(py::init(&PyAgent::create), py::arg("obs_dim"), py::arg("act_dim"), py::arg("algo") = "crossq-wn",
           py::arg("background") = false, py::arg("task") = py::none(), py::arg("seed") = 0)
      .def_static("from_checkpoint", &PyAgent::from_checkpoint, py::arg("dir"), py::arg("background") = false,
                  py::arg("obs_dim") = py::none(), py::arg("act_dim") = py::none(),
                  "an Agent with the settings of <dir>/checkpoint.bin (Agent.save's, or a run folder's), loaded "
                  "from it; a run on an environment of your own needs obs_dim= and act_dim=")
      .def("act", &PyAgent::act, py::arg("obs"), py::arg("deterministic") = false,
           "act(obs, deterministic=False) -> action (float32, act_dim) in [-1, 1]: uniform random during "
           "warm-up, then a sample of the policy, or its mean when deterministic")
      .def("observe", &PyAgent::observe, py::arg("obs"), py::arg("action"), py::arg("reward"), py::arg("next_obs"),
           py::arg("terminated"), py::arg("truncated") = false,
           "stores one transition (the action as act() returned it) and runs the updates it makes due; "
           "`terminated` stops the bootstrap, `truncated` (a time limit) does not")
      .def("save", &PyAgent::save, py::arg("dir"),
           "writes <dir>/checkpoint.bin (atomically): settings, networks, optimizers, replay buffer, random streams")
      .def("load", &PyAgent::load, py::arg("dir"),
           "restores <dir>/checkpoint.bin into this agent, which must have the checkpoint's settings")
      .def("sync", &PyAgent::sync,
           "waits until the background learner has run every update the stored transitions made due "
           "(returns at once inline); raises its error, if any")
      .def("reset_parameters", &PyAgent::reset_parameters,
           "a full parameter reset (networks, targets, optimizers, temperature); the replay buffer is kept")
      .def_property_readonly("transitions", [](PyAgent& a) { return a.learner().transitions(); },
                             "transitions stored (queued ones included)")
      .def_property_readonly("updates", [](PyAgent& a) { return a.learner().updates(); }, "updates run so far")
      .def_property_readonly("obs_dim", [](PyAgent& a) { return a.learner().obs_dim(); })
      .def_property_readonly("act_dim", [](PyAgent& a) { return a.learner().act_dim(); })
      .def_property_readonly("background", &PyAgent::background)
      .def_property_readonly("config", [](PyAgent& a) { return to_python(a.learner().config()); },
                             "the resolved settings, as config.json holds them");
}

}  // namespace crossq::py_binding
