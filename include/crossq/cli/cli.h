// The command-line tool's subcommands. Each lives in src/cli/<name>.cc and registers itself
// on the root app; apps/crossq.cc only dispatches.
#pragma once
#include <CLI/CLI.hpp>

namespace crossq::cli {

void add_train(CLI::App& app);   // crossq train
void add_tasks(CLI::App& app);   // crossq tasks
void add_bench(CLI::App& app);   // crossq bench
void add_report(CLI::App& app);  // crossq report
void add_algos(CLI::App& app);   // crossq algos
void add_sweep(CLI::App& app);   // crossq sweep
// makes an empty value an error for every option that takes one (call after the add_*)
void refuse_empty_values(CLI::App& app);

}  // namespace crossq::cli
