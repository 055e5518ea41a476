// crossq tasks: list every task with its sizes, episode length and control timestep.
#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "crossq/cli/cli.h"
#include "crossq/tasks/measure.h"
#include "crossq/tasks/registry.h"

namespace crossq::cli {

void add_tasks(CLI::App& app) {
  auto* cmd = app.add_subcommand("tasks", "List every task: observation and action sizes, episode length, control timestep");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Print a JSON array instead of a table");
  auto measure = std::make_shared<bool>(false);
  auto episodes = std::make_shared<int>(10);
  auto only = std::make_shared<std::vector<std::string>>();
  cmd->add_flag("--measure", *measure,
                "Run random-policy episodes per task: mean return and env steps per second");
  cmd->add_option("--episodes", *episodes, "Episodes per task for --measure")
      ->capture_default_str();
  cmd->add_option("--task", *only, "Only these tasks (repeatable; default: all)");
  cmd->callback([json, measure, episodes, only] {
    if (*measure) {
      const std::vector<std::string> names = only->empty() ? task_names() : *only;
      for (const auto& name : names) make_task(name);  // an unknown name fails before output
      nlohmann::json mj = nlohmann::json::array();
      if (!*json)
        fmt::print("{:<20} {:>8} {:>16} {:>9} {:>12}\n", "name", "episodes", "random return",
                   "success", "steps/s");
      for (const auto& name : names) {
        const TaskMeasurement m = measure_task(name, *episodes, 0);
        if (*json) {
          mj.push_back({{"name", m.name},
                        {"episodes", m.episodes},
                        {"random_return_mean", m.random_return_mean},
                        {"random_return_std", m.random_return_std},
                        {"success_rate", m.success_rate},
                        {"steps_per_second", m.steps_per_second}});
        } else {
          fmt::print("{:<20} {:>8} {:>9.1f} +- {:<5.1f} {:>8.2f} {:>12.0f}\n", m.name,
                     m.episodes, m.random_return_mean, m.random_return_std, m.success_rate,
                     m.steps_per_second);
        }
      }
      if (*json) fmt::print("{}\n", mj.dump(2));
      return;
    }
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
                       {"random_start", sp.random_start},
                       {"suite", sp.suite},
                       {"default_action_repeat", sp.defaults.action_repeat},
                       {"default_discount", sp.defaults.discount},
                       {"description", sp.description},
                       {"defaults", {{"steps", sp.defaults.steps}, {"warmup", sp.defaults.warmup},
                                     {"eval_every", sp.defaults.eval_every},
                                     {"action_repeat", sp.defaults.action_repeat},
                                     {"discount", sp.defaults.discount},
                                     {"reward_scale", sp.defaults.reward_scale}}}});
      } else {
        fmt::print("{:<20} {:>5} {:>5} {:>8} {:>8.4f}  {}\n", sp.name, sp.obs_dim, sp.act_dim,
                   sp.episode_steps, sp.control_dt, sp.description);
      }
    }
    if (*json) fmt::print("{}\n", out.dump(2));
  });
}

}  // namespace crossq::cli
