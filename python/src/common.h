// Helpers shared by the binding's files: numpy arrays in and out, settings between Python and
// JSON, the settings resolution every front end follows.
#pragma once
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

namespace crossq::py_binding {

namespace py = pybind11;

// a float32 array that is C-contiguous: a view of the caller's array when it already is one,
// else a converted copy (float64, lists, ...)
using F32Array = py::array_t<float, py::array::c_style | py::array::forcecast>;

// `value` as a 1-D float32 array of `n` elements; a usage error names `what` and the shape
// ("obs has shape (2, 3), expected (4,)") or the type when it holds no numbers
F32Array vector_arg(py::handle value, const char* what, int n);
// throws a usage error naming `what` and the first component that is NaN or Inf
void check_finite(const float* x, int n, const char* what);
// a new float32 array of `n` elements, for C++ to write into
F32Array new_vector(int n);

// a Python value of a setting (bool, int, float, str or their numpy scalars) as JSON; a usage
// error names the setting for anything else
nlohmann::json setting_value(const std::string& key, py::handle value);
// a JSON value (a configuration, a spec) as Python objects
py::object to_python(const nlohmann::json& j);

// a configuration as the CLI resolves it: default_config(algo, task), then `settings` (keys of
// config.json; an unknown key gets the CLI's did-you-mean), recorded under "sources" as
// "python"; threads from the cores when not given, as `crossq train` picks them for one run.
// `origin` names the caller in errors ("crossq.train").
nlohmann::json resolve_config(const std::string& algo, const std::string& task, const py::dict& settings,
                              const std::string& origin);

// a seed from Python: a non-negative integer below 2^64
uint64_t seed_arg(py::handle seed, const char* what);

void bind_env(py::module_& m);
void bind_agent(py::module_& m);
void bind_train(py::module_& m);

}  // namespace crossq::py_binding
