#include "crossq/tasks/registry.h"

#include "crossq/error.h"
#include "crossq/tasks/pendulum.h"

namespace crossq {

std::vector<TaskEntry>& task_entries() {
  // one line per task, in the order `crossq tasks` lists them
  static std::vector<TaskEntry> entries = {
      {"pendulum", [] { return std::make_unique<GymPendulum>(); }},
  };
  return entries;
}

std::vector<std::string> task_names() {
  std::vector<std::string> names;
  for (const auto& e : task_entries()) names.push_back(e.name);
  return names;
}

std::unique_ptr<Task> make_task(const std::string& name) {
  for (const auto& e : task_entries())
    if (e.name == name) return e.make();
  std::string known;
  for (const auto& n : task_names()) known += (known.empty() ? "" : ", ") + n;
  throw usage_error("unknown task '" + name + "'", "known tasks: " + known);
}

TaskSpec task_spec(const std::string& name) { return make_task(name)->spec(); }

}  // namespace crossq
