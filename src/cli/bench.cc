// crossq bench: throughput of the critic update (and, later, of the whole training loop).
#include <fmt/core.h>

#include "crossq/bench.h"
#include "crossq/cli.h"
#include "crossq/nn/gemm.h"

namespace crossq::cli {

void add_bench(CLI::App& app) {
  auto* cmd = app.add_subcommand("bench", "Measure throughput");
  cmd->require_subcommand(1);
  auto* upd = cmd->add_subcommand("update", "Time one CrossQ + WN critic update and its GEMM-only bound");
  auto b = std::make_shared<UpdateBench>();
  auto json = std::make_shared<bool>(false);
  upd->add_option("--obs", b->obs_dim, "observation size")->capture_default_str()->check(CLI::Range(1, 100000));
  upd->add_option("--act", b->act_dim, "action size")->capture_default_str()->check(CLI::Range(1, 100000));
  upd->add_option("--hidden", b->hidden, "critic hidden units")->capture_default_str()->check(CLI::Range(1, 100000));
  upd->add_option("--batch", b->batch, "batch size (the joint pass has twice the rows)")->capture_default_str()->check(CLI::Range(1, 100000));
  upd->add_option("--threads", b->threads, "lanes: 1, or 2 (one critic per core)")->capture_default_str()->check(CLI::Range(1, 2));
  upd->add_option("--seconds", b->min_seconds, "minimum measuring time per figure")->capture_default_str()->check(CLI::Range(0.01, 3600.0));
  upd->add_flag("--json", *json, "print one JSON object");
  upd->callback([b, json] {
    run_update_bench(*b);
    if (*json) {
      fmt::print("{}\n", b->to_json().dump());
      return;
    }
    fmt::print("critic update  obs {} act {}  critics 2 x {}-{}  batch {} (joint {} rows)  threads {}  gemm {}\n",
               b->obs_dim, b->act_dim, b->hidden, b->hidden, b->batch, 2 * b->batch, b->threads, gemm_backend());
    fmt::print("  update       {:8.3f} ms   {:6.1f} GFLOP/s  ({:.3f} GFLOP of GEMM per update, {} updates)\n",
               b->ms_per_update, b->gflops, b->gflop, b->updates);
    fmt::print("  GEMM bound   {:8.3f} ms   {:6.1f} GFLOP/s  update / bound = {:.2f}\n", b->gemm_bound_ms,
               b->gflop / (b->gemm_bound_ms * 1e-3), b->ms_per_update / b->gemm_bound_ms);
  });
}

}  // namespace crossq::cli
