// crossq: sample-efficient off-policy RL (CrossQ + weight normalization) on MuJoCo tasks.
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "crossq/cli/cli.h"
#include "crossq/core/error.h"

int main(int argc, char** argv) {
  CLI::App app{"crossq: CrossQ + weight normalization and its baselines on MuJoCo tasks"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "crossq 0.1.0");
  crossq::cli::add_train(app);
  crossq::cli::add_tasks(app);
  crossq::cli::add_bench(app);
  crossq::cli::add_report(app);
  crossq::cli::add_algos(app);
  crossq::cli::add_sweep(app);
  crossq::cli::refuse_empty_values(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : crossq::kExitUsage;
  } catch (const crossq::Error& e) {
    const bool signal = e.exit_code() == crossq::kExitSigint || e.exit_code() == crossq::kExitSigterm;
    if (e.what()[0] == '\0') return e.exit_code();  // a status without a message (sweep status)
    fmt::print(stderr, "crossq: {}{}\n", signal ? "" : "error: ", e.what());
    if (!e.hint().empty()) fmt::print(stderr, "  {}: {}\n", signal ? "to continue" : "fix", e.hint());
    return e.exit_code();
  } catch (const std::exception& e) {
    fmt::print(stderr, "crossq: error: {}\n", e.what());
    return crossq::kExitRuntime;
  }
  return crossq::kExitOk;
}
