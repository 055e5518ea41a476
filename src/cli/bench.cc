// crossq bench: throughput of the critic update, the training loop, acting, and TD-MPC2.
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <fmt/format.h>

#include "crossq/train/bench.h"
#include "crossq/train/config.h"
#include "crossq/cli/cli.h"
#include "crossq/nn/gemm.h"
#include "crossq/core/error.h"

namespace crossq::cli {

void add_bench(CLI::App& app) {
  auto* cmd = app.add_subcommand("bench", "Measure throughput");
  cmd->require_subcommand(1);
  auto* upd = cmd->add_subcommand("update", "Time one CrossQ + WN critic update (or another algorithm's whole update) and its GEMM-only bound");
  auto b = std::make_shared<UpdateBench>();
  auto json = std::make_shared<bool>(false);
  upd->add_option("--algo", b->algo,
                  "crossq-wn: its critic update at --hidden / --batch; any other algorithm but tdmpc2: one whole update at "
                  "its default sizes")
      ->capture_default_str();
  upd->add_option("--obs", b->obs_dim, "observation size")->capture_default_str()->check(CLI::Range(1, 100000));
  upd->add_option("--act", b->act_dim, "action size")->capture_default_str()->check(CLI::Range(1, 100000));
  upd->add_option("--hidden", b->hidden, "critic hidden units")->capture_default_str()->check(CLI::Range(1, 100000));
  upd->add_option("--batch", b->batch, "batch size (the joint pass has twice the rows)")->capture_default_str()->check(CLI::Range(1, 100000));
  upd->add_option("--threads", b->threads, "lanes: 1, or 2 (one critic per core)")->capture_default_str()->check(CLI::Range(1, 2));
  upd->add_option("--seconds", b->min_seconds, "minimum measuring time per figure")->capture_default_str()->check(CLI::Range(0.01, 3600.0));
  upd->add_option("--matmul-precision", b->precision, "precision of the products: fp32 | bf16")->capture_default_str()->check(CLI::IsMember({"fp32", "bf16"}));
  upd->add_flag("--json", *json, "print one JSON object");
  upd->callback([b, json, upd] {
    if (b->algo != "crossq-wn") {
      validate_config(default_config(b->algo, "cheetah-run"));  // names an unknown algorithm
      for (const char* f : {"--hidden", "--batch"})
        if (upd->count(f) > 0)
          throw usage_error(fmt::format("{} applies to --algo crossq-wn only", f),
                            fmt::format("{} runs its default sizes here; drop {} (or time its loop: crossq bench loop --algo {})",
                                        b->algo, f, b->algo));
    }
    run_update_bench(*b);
    if (*json) {
      fmt::print("{}\n", b->to_json().dump());
      return;
    }
    if (b->algo != "crossq-wn") {
      fmt::print("{} update (critics, actor, temperature)  obs {} act {}  hidden {}  batch {}  threads {}  gemm {} {}\n", b->algo,
                 b->obs_dim, b->act_dim, b->hidden, b->batch, b->threads, gemm_detail(), b->precision);
      fmt::print("  update       {:8.3f} ms   {:6.1f} GFLOP/s  ({:.3f} GFLOP in {} products per update, {} updates)\n",
                 b->ms_per_update, b->gflops, b->gflop, b->products, b->updates);
      fmt::print("  GEMM bound   {:8.3f} ms   {:6.1f} GFLOP/s  update / bound = {:.2f}  (the recorded products alone)\n",
                 b->gemm_bound_ms, b->gflop / (b->gemm_bound_ms * 1e-3), b->ms_per_update / b->gemm_bound_ms);
      return;
    }
    fmt::print("critic update  obs {} act {}  critics 2 x {}-{}  batch {} (joint {} rows)  threads {}  gemm {} {}\n",
               b->obs_dim, b->act_dim, b->hidden, b->hidden, b->batch, 2 * b->batch, b->threads, gemm_detail(), b->precision);
    fmt::print("  update       {:8.3f} ms   {:6.1f} GFLOP/s  ({:.3f} GFLOP of GEMM per update, {} updates)\n",
               b->ms_per_update, b->gflops, b->gflop, b->updates);
    fmt::print("  GEMM bound   {:8.3f} ms   {:6.1f} GFLOP/s  update / bound = {:.2f}\n", b->gemm_bound_ms,
               b->gflop / (b->gemm_bound_ms * 1e-3), b->ms_per_update / b->gemm_bound_ms);
  });

  auto* loop = cmd->add_subcommand("loop", "Time the whole training loop (env, replay, acting, logging, updates)");
  auto lb = std::make_shared<LoopBench>();
  auto ljson = std::make_shared<bool>(false);
  loop->add_option("--task", lb->task, "task")->capture_default_str();
  loop->add_option("--algo", lb->algo, "algorithm (its default network sizes)")->capture_default_str();
  loop->add_option("--steps", lb->steps, "env steps measured after warm-up")->capture_default_str()->check(CLI::Range(1, 100000000));
  loop->add_option("--warmup", lb->warmup, "random transitions first")->capture_default_str()->check(CLI::Range(1, 100000000));
  loop->add_option("--threads", lb->threads, "lanes: 1 or 2")->capture_default_str()->check(CLI::Range(1, 2));
  loop->add_option("--utd", lb->utd, "updates per agent step")->capture_default_str()->check(CLI::Range(1, 1000));
  loop->add_option("--matmul-precision", lb->precision, "precision of the products: fp32 | bf16")->capture_default_str()->check(CLI::IsMember({"fp32", "bf16"}));
  loop->add_flag("--json", *ljson, "print one JSON object");
  loop->callback([lb, ljson] {
    run_loop_bench(*lb);
    if (*ljson) {
      fmt::print("{}\n", lb->to_json().dump());
      return;
    }
    fmt::print("training loop  {} / {}  utd {}  threads {}  {}\n", lb->task, lb->algo, lb->utd, lb->threads, lb->precision);
    fmt::print("  {:.0f} env steps/s over {:.1f} s; {:.1f} s in updates; outside updates {:.1f}%\n",
               lb->env_steps_per_s, lb->total_s, lb->update_s, 100 * lb->outside_fraction);
  });

  auto* act = cmd->add_subcommand("act", "Time Learner::act(), inline and with the background learner busy");
  auto ab = std::make_shared<ActBench>();
  auto ajson = std::make_shared<bool>(false);
  act->add_option("--task", ab->task, "task")->capture_default_str();
  act->add_option("--algo", ab->algo, "algorithm (its default network sizes)")->capture_default_str();
  act->add_option("--samples", ab->samples, "act() calls timed")->capture_default_str()->check(CLI::Range(100, 100000000));
  act->add_option("--backlog", ab->backlog, "transitions queued past warm-up: the learner's work while act() is timed")
      ->capture_default_str()->check(CLI::Range(1, 4000));
  act->add_option("--threads", ab->threads, "learner lanes: 1 or 2")->capture_default_str()->check(CLI::Range(1, 2));
  act->add_flag("--json", *ajson, "print one JSON object");
  act->callback([ab, ajson] {
    run_act_bench(*ab);
    if (*ajson) {
      fmt::print("{}\n", ab->to_json().dump());
      return;
    }
    fmt::print("Learner::act  {} / {}  learner lanes {}  {} calls\n", ab->task, ab->algo, ab->threads, ab->samples);
    fmt::print("  inline, no updates        median {:7.1f} us   p99.9 {:7.1f} us\n", ab->inline_median_us,
               ab->inline_p999_us);
    fmt::print("  background learner busy   median {:7.1f} us   p99 {:7.1f} us   p99.9 {:7.1f} us   max {:7.1f} us\n",
               ab->median_us, ab->p99_us, ab->p999_us, ab->max_us);
    fmt::print("  the learner ran {} updates in the {:.2f} s of timing\n", ab->updates_during, ab->timed_s);
  });

  // every figure the performance docs quote, in one run: the update at two paper sizes on
  // one and two lanes, the training loop of crossq-wn, simba and bro-fast, TD-MPC2; each in fp32
  // and, where it runs, bf16
  auto* all = cmd->add_subcommand("all", "Every benchmark of docs/performance.md in one run, fp32 and bf16, as Markdown tables");
  auto aseconds = std::make_shared<double>(2.0);
  auto alljson = std::make_shared<bool>(false);
  all->add_option("--seconds", *aseconds, "minimum measuring time per update figure")->capture_default_str()->check(CLI::Range(0.01, 3600.0));
  all->add_flag("--json", *alljson, "print one JSON object of every figure");
  all->callback([aseconds, alljson] {
    std::vector<std::string> precisions = {"fp32"};
    if (bf16_available()) precisions.push_back("bf16");
    nlohmann::json out = {{"gemm_backend", gemm_backend()}, {"gemm_detail", gemm_detail()}, {"update", nlohmann::json::array()},
                          {"loop", nlohmann::json::array()}, {"tdmpc2", nlohmann::json::array()}};
    auto say = [&](const std::string& line) {
      if (!*alljson) fmt::print("{}\n", line);
      std::fflush(stdout);
    };
    say(fmt::format("crossq bench all  gemm {}  precisions {}", gemm_detail(), fmt::join(precisions, ", ")));
    say("\n| update (obs / act) | lanes | precision | ms / update | GFLOP/s | GEMM bound (ms) | update / bound |");
    say("|---|---|---|---|---|---|---|");
    // crossq-wn's critic update at both sizes, then the residual agents' whole updates (critics,
    // actor, temperature) at their default sizes
    struct Case {
      const char* algo;
      int obs, act;
    };
    for (const Case& c : {Case{"crossq-wn", 67, 21}, Case{"crossq-wn", 17, 6}, Case{"simba", 67, 21}, Case{"bro-fast", 67, 21}})
      for (int t : {1, 2})
        for (const auto& p : precisions) {
          UpdateBench u;
          u.algo = c.algo;
          u.obs_dim = c.obs;
          u.act_dim = c.act;
          u.threads = t;
          u.precision = p;
          u.min_seconds = *aseconds;
          run_update_bench(u);
          out["update"].push_back(u.to_json());
          const bool whole = u.algo != "crossq-wn";
          say(fmt::format("| {} {} / {}{} | {} | {} | {:.2f} | {:.1f} | {:.2f} | {:.2f} |", c.algo, c.obs, c.act,
                          whole ? " (whole update)" : "", t, p, u.ms_per_update, u.gflops, u.gemm_bound_ms,
                          u.ms_per_update / u.gemm_bound_ms));
        }
    say("\n| training loop, cheetah-run, 2 lanes | precision | env steps/s | ms per update | outside updates |");
    say("|---|---|---|---|---|");
    for (const char* algo : {"crossq-wn", "simba", "bro-fast"})
      for (const auto& p : precisions) {
        LoopBench l;
        l.task = "cheetah-run";
        l.algo = algo;
        l.precision = p;
        const bool big = std::string(algo) != "crossq-wn";
        l.utd = big ? 2 : 1;
        l.steps = big ? 200 : 2000;
        l.warmup = big ? 300 : 500;
        run_loop_bench(l);
        out["loop"].push_back(l.to_json());
        const int repeat = default_config(algo, l.task)["action_repeat"].get<int>();
        const double updates = static_cast<double>(l.steps) / repeat * l.utd;  // agent steps x UTD
        say(fmt::format("| {} (UTD {}, {} env steps) | {} | {:.1f} | {:.1f} | {:.1f}% |", algo, l.utd, l.steps, p,
                        l.env_steps_per_s, 1e3 * l.update_s / updates, 100 * l.outside_fraction));
      }
    say("\n| TD-MPC2, cheetah-run, 2 lanes | precision | update (ms) | planning per agent step (ms) |");
    say("|---|---|---|---|");
    for (const auto& p : precisions) {
      Tdmpc2Bench tb;
      tb.precision = p;
      tb.min_seconds = *aseconds;
      run_tdmpc2_bench(tb);
      out["tdmpc2"].push_back(tb.to_json());
      say(fmt::format("| default 5M model | {} | {:.1f} | {:.1f} |", p, tb.update_ms, tb.plan_ms));
    }
    if (*alljson) fmt::print("{}\n", out.dump());
  });

  auto* td = cmd->add_subcommand("tdmpc2", "Time TD-MPC2's update and its planning per agent step (the default 5M model)");
  auto tb = std::make_shared<Tdmpc2Bench>();
  auto tjson = std::make_shared<bool>(false);
  td->add_option("--task", tb->task, "task (sets the observation and action sizes)")->capture_default_str();
  td->add_option("--threads", tb->threads, "lanes: 1 or 2")->capture_default_str()->check(CLI::Range(1, 2));
  td->add_option("--seconds", tb->min_seconds, "minimum measuring time per figure")->capture_default_str()->check(CLI::Range(0.01, 3600.0));
  td->add_option("--matmul-precision", tb->precision, "precision of the products: fp32 | bf16")->capture_default_str()->check(CLI::IsMember({"fp32", "bf16"}));
  td->add_flag("--json", *tjson, "print one JSON object");
  td->callback([tb, tjson] {
    run_tdmpc2_bench(*tb);
    if (*tjson) {
      fmt::print("{}\n", tb->to_json().dump());
      return;
    }
    fmt::print("tdmpc2  {}  {} parameters  threads {}  gemm {} {}\n", tb->task, tb->parameters, tb->threads, gemm_backend(), tb->precision);
    fmt::print("  update               {:8.1f} ms  ({} timed)   GEMM bound {:.1f} ms, {:.1f} GFLOP\n", tb->update_ms, tb->updates,
               tb->update_bound_ms, tb->update_gflop);
    fmt::print("  planning, training   {:8.1f} ms per agent step  ({} timed)   GEMM bound {:.1f} ms, {:.1f} GFLOP\n", tb->plan_ms,
               tb->plans, tb->plan_bound_ms, tb->plan_gflop);
    fmt::print("  planning, evaluation {:8.1f} ms per agent step\n", tb->plan_eval_ms);
  });
}

}  // namespace crossq::cli
