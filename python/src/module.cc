// The module crossq._crossq: errors, the lookups that mirror the CLI's (tasks, algorithms,
// settings), and the helpers the other binding files share (common.h).
#include <algorithm>
#include <cmath>
#include <thread>

#include <fmt/core.h>

#include "common.h"
#include "crossq/train/config.h"
#include "crossq/core/error.h"
#include "crossq/train/learner.h"
#include "crossq/tasks/registry.h"

namespace crossq::py_binding {

using json = nlohmann::json;

namespace {

std::string shape_of(const py::array& a) {
  std::string s = "(";
  for (py::ssize_t i = 0; i < a.ndim(); ++i) s += fmt::format("{}{}", i ? ", " : "", a.shape(i));
  return s + (a.ndim() == 1 ? ",)" : ")");
}

std::string type_name(py::handle h) { return py::str(py::type::handle_of(h).attr("__name__")); }

}  // namespace

F32Array vector_arg(py::handle value, const char* what, int n) {
  F32Array a = F32Array::ensure(value);
  if (!a) {
    PyErr_Clear();
    throw usage_error(fmt::format("{} must be an array of {} numbers, got {}", what, n, type_name(value)),
                      "pass a 1-D numpy array (float32 is used as is, other numbers are converted)");
  }
  if (a.ndim() != 1 || a.shape(0) != n)
    throw usage_error(fmt::format("{} has shape {}, expected ({},)", what, shape_of(a), n),
                      fmt::format("pass a 1-D array of {} numbers", n));
  return a;
}

void check_finite(const float* x, int n, const char* what) {
  for (int i = 0; i < n; ++i)
    if (!std::isfinite(x[i]))
      throw usage_error(fmt::format("{} holds {} (component {})", what, std::isnan(x[i]) ? "NaN" : "Inf", i),
                        "pass finite values; check the environment that produced them");
}

F32Array new_vector(int n) { return F32Array(static_cast<py::ssize_t>(n)); }

json setting_value(const std::string& key, py::handle v) {
  // numpy scalars count as the Python values they stand for
  if (PyBool_Check(v.ptr())) return v.cast<bool>();
  const bool np_scalar = py::hasattr(v, "dtype") && py::hasattr(v, "item") && py::len(v.attr("shape")) == 0;
  if (np_scalar) {
    const std::string kind = py::str(v.attr("dtype").attr("kind"));
    if (kind == "b" || kind == "i" || kind == "u" || kind == "f") return setting_value(key, v.attr("item")());
  }
  if (PyLong_Check(v.ptr())) {
    int overflow = 0;
    const long long x = PyLong_AsLongLongAndOverflow(v.ptr(), &overflow);
    if (overflow == 0) return static_cast<int64_t>(x);
    const unsigned long long u = PyLong_AsUnsignedLongLong(v.ptr());
    if (PyErr_Occurred()) {
      PyErr_Clear();
      return static_cast<double>(PyLong_AsDouble(v.ptr()));  // out of every range: refused with its value
    }
    return static_cast<uint64_t>(u);
  }
  if (PyFloat_Check(v.ptr())) return v.cast<double>();
  if (PyUnicode_Check(v.ptr())) return v.cast<std::string>();
  throw usage_error(fmt::format("setting '{}' must be a number, True/False or a string, got {}", key, type_name(v)),
                    "pass e.g. batch_size=256, weight_norm=True, bn=\"brn\"");
}

py::object to_python(const json& j) {
  return py::module_::import("json").attr("loads")(j.dump());
}

json resolve_config(const std::string& algo, const std::string& task, const py::dict& settings,
                    const std::string& origin) {
  json cfg = default_config(algo, task);  // checks both names
  json given = json::object();
  for (auto [k, v] : settings) {
    const std::string key = py::str(k);
    if (key == "task" || key == "algo")
      throw usage_error(fmt::format("{}: pass {} as the keyword {}=, not as a setting", origin, key, key),
                        fmt::format("e.g. {}(..., {}=\"{}\")", origin, key, key == "task" ? "pendulum" : "crossq-wn"));
    given[key] = setting_value(key, v);
  }
  apply_overrides(cfg, given, origin, "python");
  if (!given.contains("threads")) {
    // as `crossq train` picks them for one run: a lane per core, at most two
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    cfg["threads"] = std::max(1, std::min<int>(2, static_cast<int>(cores)));
    cfg["sources"]["threads"] = "jobs";
  }
  return cfg;
}

uint64_t seed_arg(py::handle seed, const char* what) {
  if (!PyLong_Check(seed.ptr()) && !(py::hasattr(seed, "__index__") && !PyFloat_Check(seed.ptr())))
    throw usage_error(fmt::format("{} must be an integer, got {}", what, type_name(seed)), "pass e.g. seed=0");
  py::int_ s = py::reinterpret_steal<py::int_>(PyNumber_Index(seed.ptr()));
  if (!s) throw py::error_already_set();
  const unsigned long long u = PyLong_AsUnsignedLongLong(s.ptr());
  if (PyErr_Occurred()) {
    PyErr_Clear();
    throw usage_error(fmt::format("{} must be an integer in [0, 2^64), got {}", what, std::string(py::str(s))),
                      "pass a non-negative seed");
  }
  return static_cast<uint64_t>(u);
}

namespace {

// the TaskSpec as a dict (the fields of `crossq tasks --json`, plus the bounds)
py::dict spec_dict(const TaskSpec& sp) {
  py::dict d;
  d["name"] = sp.name;
  d["obs_dim"] = sp.obs_dim;
  d["act_dim"] = sp.act_dim;
  d["episode_steps"] = sp.episode_steps;
  d["control_dt"] = sp.control_dt;
  d["act_low"] = sp.act_low;
  d["act_high"] = sp.act_high;
  d["suite"] = sp.suite;
  d["has_success"] = sp.has_success;
  d["random_start"] = sp.random_start;
  d["description"] = sp.description;
  py::dict defaults;
  defaults["steps"] = sp.defaults.steps;
  defaults["warmup"] = sp.defaults.warmup;
  defaults["eval_every"] = sp.defaults.eval_every;
  defaults["action_repeat"] = sp.defaults.action_repeat;
  defaults["discount"] = sp.defaults.discount;
  defaults["reward_scale"] = sp.defaults.reward_scale;
  d["defaults"] = defaults;
  return d;
}

py::list option_list() {
  py::list out;
  for (const OptionSpec& s : option_specs()) {
    py::dict d;
    d["key"] = s.key;
    d["type"] = s.type == OptionSpec::Type::kInt     ? "int"
                : s.type == OptionSpec::Type::kFloat ? "float"
                : s.type == OptionSpec::Type::kBool  ? "bool"
                                                     : "str";
    d["help"] = s.help;
    if (s.type == OptionSpec::Type::kInt || s.type == OptionSpec::Type::kFloat) {
      d["min"] = s.min;
      d["max"] = s.max;
    }
    d["choices"] = s.choices;
    d["run_key"] = s.run_key;
    out.append(d);
  }
  return out;
}

// crossq::Error becomes crossq.Error (crossq.UsageError, also a ValueError, for exit status 2),
// with the message, the hint and the CLI's exit status
void translate(std::exception_ptr p) {
  try {
    if (p) std::rethrow_exception(p);
  } catch (const Error& e) {
    try {
      py::module_ errors = py::module_::import("crossq._errors");
      py::object cls = errors.attr(e.exit_code() == kExitUsage ? "UsageError" : "Error");
      py::object exc = cls(e.what(), e.hint(), e.exit_code());
      PyErr_SetObject(cls.ptr(), exc.ptr());
    } catch (py::error_already_set&) {
      PyErr_SetString(PyExc_RuntimeError, e.what());  // the package is missing its Python half
    }
  }
}

}  // namespace

}  // namespace crossq::py_binding

PYBIND11_MODULE(_crossq, m) {
  using namespace crossq;
  using namespace crossq::py_binding;
  m.doc() = "crossq's C++ core (CrossQ + weight normalization and baselines); use the package crossq";
  m.attr("__version__") = CROSSQ_VERSION_STRING;
  py::register_exception_translator(&translate);

  m.def("task_names", &crossq::task_names, "names of every task, in a stable order (`crossq tasks`)");
  m.def("task_spec", [](const std::string& name) { return spec_dict(crossq::task_spec(name)); }, py::arg("name"),
        "a task's spec as a dict: name, obs_dim, act_dim, episode_steps, control_dt, act_low, act_high, suite, "
        "has_success, random_start, description, defaults; 'custom' is the placeholder of an environment of your own");
  m.def("algo_names", &crossq::algo_names, "the algorithms `algo=` accepts");
  m.def("option_specs", &option_list, "every setting: key, type, help, range, choices (`crossq train --help`)");
  m.def(
      "default_config",
      [](const std::string& algo, const std::string& task) { return to_python(crossq::default_config(algo, task)); },
      py::arg("algo") = "crossq-wn", py::arg("task") = kCustomTask,
      "the defaults of an algorithm on a task, as config.json holds them (with 'sources')");
  m.def("stream_seed", &crossq::stream_seed, py::arg("seed"), py::arg("salt"),
        "the seed of random stream `salt` of a run with seed `seed` (2: the training env, 3: the evaluation env)");

  bind_env(m);
  bind_agent(m);
  bind_train(m);
}
