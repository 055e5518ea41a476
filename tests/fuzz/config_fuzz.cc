// libFuzzer target: configuration parsing as `crossq train` does it (--config JSON, --set
// key=value, cross-field checks, the typed view) must answer any input with a crossq::Error,
// never crash. Input: first line for --set, the rest a --config file.
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "crossq/train/config.h"
#include "crossq/core/error.h"
#include "crossq/tasks/registry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string in(reinterpret_cast<const char*>(data), size);
  const size_t nl = in.find('\n');
  const std::string set = in.substr(0, nl);
  const std::string file = nl == std::string::npos ? "" : in.substr(nl + 1);
  try {
    crossq::parse_set(set);
  } catch (const crossq::Error&) {
  }
  try {
    const nlohmann::json j = nlohmann::json::parse(file, nullptr, false);
    if (j.is_discarded()) return 0;
    nlohmann::json cfg = crossq::default_config("crossq-wn", "pendulum");
    if (j.is_object() && (j.contains("algo") || j.contains("task"))) {
      const auto name = [&](const char* k, const char* def) {
        return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string(def);
      };
      cfg = crossq::default_config(name("algo", "crossq-wn"), name("task", "pendulum"));
    }
    crossq::apply_overrides(cfg, j, "fuzz");
    crossq::validate_config(cfg);
    crossq::to_run_config(cfg, crossq::task_spec(cfg["task"].get<std::string>()));
  } catch (const crossq::Error&) {
  }
  return 0;
}
