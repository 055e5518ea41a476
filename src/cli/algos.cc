// crossq algos: every algorithm with its main defaults and its number of trainable parameters
// on a task, counted on the agent itself (built with the algorithm's defaults).
#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "crossq/cli/cli.h"
#include "crossq/train/config.h"
#include "crossq/tasks/registry.h"
#include "crossq/train/trainer.h"

namespace crossq::cli {

void add_algos(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "algos", "List every algorithm: UTD, batch, network sizes and parameter count on a task");
  auto json = std::make_shared<bool>(false);
  auto task = std::make_shared<std::string>("cheetah-run");
  cmd->add_flag("--json", *json, "Print a JSON array instead of a table");
  auto markdown = std::make_shared<bool>(false);
  cmd->add_flag("--defaults-markdown", *markdown,
                "Print every algorithm's defaults on cheetah-run (and myo-reach where they differ) as "
                "the markdown table of docs/algorithms.md");
  cmd->add_option("--task", *task, "Task whose observation and action sizes set the networks")
      ->capture_default_str();
  cmd->callback([json, task, markdown] {
    if (*markdown) {
      fmt::print("{}", defaults_markdown());
      return;
    }
    const TaskSpec ts = task_spec(*task);  // an unknown name fails before output
    nlohmann::json out = nlohmann::json::array();
    if (!*json)
      fmt::print("{:<15} {:>4} {:>6} {:>8} {:>15} {:>15} {:>12}\n", "algo", "utd", "batch",
                 "resets", "critic", "actor", "parameters");
    for (const auto& algo : algo_names()) {
      nlohmann::json cfg = default_config(algo, *task);
      cfg["threads"] = 1;
      const RunConfig rc = to_run_config(cfg, ts);
      Rng rng(0);
      const int64_t params = make_agent(rc, rng)->num_parameters();
      const bool residual = is_residual_algo(algo);
      auto shape = [&](const char* hidden, const char* depth) {
        return fmt::format("{}x{}{}", cfg[hidden].get<int>(), cfg[depth].get<int>(),
                           residual ? " blocks" : "");
      };
      std::string critic = shape("critic_hidden", residual ? "critic_blocks" : "critic_layers");
      std::string actor = shape("actor_hidden", residual ? "actor_blocks" : "actor_layers");
      if (algo == "tdmpc2") {  // a world model: its Qs and its latent instead
        critic = fmt::format("{} Q {}x2", cfg["num_q"].get<int>(), cfg["critic_hidden"].get<int>());
        actor = fmt::format("latent {}", cfg["latent_dim"].get<int>());
      }
      const std::string resets = cfg["reset_steps"].get<std::string>().empty()
                                     ? (cfg["reset_every"].get<int64_t>() > 0
                                            ? fmt::format("/{}", cfg["reset_every"].get<int64_t>())
                                            : "-")
                                     : "listed";
      if (*json) {
        out.push_back({{"algo", algo},
                       {"task", *task},
                       {"utd", cfg["utd"]},
                       {"batch_size", cfg["batch_size"]},
                       {"reset_every", cfg["reset_every"]},
                       {"reset_steps", cfg["reset_steps"]},
                       {"critic", critic},
                       {"actor", actor},
                       {"quantiles", cfg["quantiles"]},
                       {"parameters", params}});
      } else {
        fmt::print("{:<15} {:>4} {:>6} {:>8} {:>15} {:>15} {:>12}\n", algo, cfg["utd"].get<int>(),
                   cfg["batch_size"].get<int>(), resets, critic, actor, params);
      }
    }
    if (*json) fmt::print("{}\n", out.dump(2));
  });
}

}  // namespace crossq::cli
