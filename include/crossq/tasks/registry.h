// Every task by name.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "crossq/tasks/task.h"

namespace crossq {

// creates a task; throws a usage error listing the known names if `name` is unknown
std::unique_ptr<Task> make_task(const std::string& name);
// names of every task, in a stable order
std::vector<std::string> task_names();
// the spec of a task without keeping it; "custom" (kCustomTask) is the placeholder of an
// environment of the caller's own: suite "custom", its return as the score, dimensions 0 (the
// environment gives them) and defaults of 100k steps, 5000 warm-up, an evaluation every 10k,
// action repeat 1, discount 0.99
TaskSpec task_spec(const std::string& name);
inline constexpr const char* kCustomTask = "custom";

// registration, used by the task sources (one line each in registry.cc)
using TaskFactory = std::function<std::unique_ptr<Task>()>;
struct TaskEntry {
  std::string name;
  TaskFactory make;
};
std::vector<TaskEntry>& task_entries();

}  // namespace crossq
