// crossq tasks: list every task with its sizes, episode length and control timestep.
#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "crossq/cli.h"
#include "crossq/tasks/registry.h"

namespace crossq::cli {

void add_tasks(CLI::App& app) {
  auto* cmd = app.add_subcommand("tasks", "List every task: observation and action sizes, episode length, control timestep");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Print a JSON array instead of a table");
  cmd->callback([json] {
    nlohmann::json out = nlohmann::json::array();
    if (!*json)
      fmt::print("{:<20} {:>5} {:>5} {:>8} {:>8}  {}\n", "name", "obs", "act", "episode", "dt (s)",
                 "description");
    for (const auto& name : task_names()) {
      const TaskSpec sp = task_spec(name);
      if (*json) {
        out.push_back({{"name", sp.name},
                       {"obs_dim", sp.obs_dim},
                       {"act_dim", sp.act_dim},
                       {"episode_steps", sp.episode_steps},
                       {"control_dt", sp.control_dt},
                       {"has_success", sp.has_success},
                       {"suite", sp.suite},
                       {"default_action_repeat", sp.defaults.action_repeat},
                       {"default_discount", sp.defaults.discount},
                       {"description", sp.description}});
      } else {
        fmt::print("{:<20} {:>5} {:>5} {:>8} {:>8.4f}  {}\n", sp.name, sp.obs_dim, sp.act_dim,
                   sp.episode_steps, sp.control_dt, sp.description);
      }
    }
    if (*json) fmt::print("{}\n", out.dump(2));
  });
}

}  // namespace crossq::cli
