// crossq train: resolve the configuration, check it, then train one run per seed (in parallel
// with --jobs) into <out>/<task>/<algo>[_<variant>]/seed<k>/.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/core.h>

#include "crossq/train/checkpoint.h"
#include "crossq/cli/cli.h"
#include "crossq/train/config.h"
#include "crossq/core/error.h"
#include "crossq/train/run_folder.h"
#include "crossq/tasks/registry.h"
#include "crossq/train/trainer.h"

namespace crossq::cli {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::string flag_name(const std::string& key) {
  std::string f = key;
  std::replace(f.begin(), f.end(), '_', '-');
  return "--" + f;
}

// "0-2", "0,3,5" or "4"
std::vector<uint64_t> parse_seeds(const std::string& s) {
  std::vector<uint64_t> out;
  size_t pos = 0;
  auto bad = [&] {
    return usage_error("--seeds '" + s + "' is not a list of seeds", "write e.g. --seeds 0-9 or --seeds 0,3,5");
  };
  while (pos <= s.size()) {
    const size_t comma = s.find(',', pos);
    const std::string part = s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (part.empty()) throw bad();
    const size_t dash = part.find('-');
    try {
      size_t used = 0;
      if (dash == std::string::npos) {
        out.push_back(std::stoull(part, &used));
        if (used != part.size()) throw bad();
      } else {
        const uint64_t a = std::stoull(part.substr(0, dash), &used);
        const uint64_t b = std::stoull(part.substr(dash + 1));
        if (b < a || b - a > 10000) throw bad();
        for (uint64_t k = a; k <= b; ++k) out.push_back(k);
      }
    } catch (const std::logic_error&) {
      throw bad();
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string describe_default(const OptionSpec& s) {
  if (s.key == "task" || s.key == "algo") return "";
  auto show = [](const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); };
  // the values an algorithm's suite column (the seed paper's Table 1) sets on dmc and myo tasks
  const auto& sk = suite_column_keys();
  if (std::find(sk.begin(), sk.end(), s.key) != sk.end()) {
    std::string out = "task's default; on dmc / myo tasks the algorithm's Table 1 column wins:";
    std::map<std::string, std::vector<std::string>> by_value;  // "dmc 2, myo 2" -> algos
    for (const auto& a : algo_names())
      by_value["dmc " + show(suite_column(a, "dmc")[s.key]) + ", myo " + show(suite_column(a, "myo")[s.key])]
          .push_back(a);
    std::string sep = " ";
    for (const auto& [v, algos] : by_value) {
      std::string names;
      for (const auto& a : algos) names += (names.empty() ? "" : " ") + a;
      out += sep + names + ": " + v;
      sep = "; ";
    }
    return out;
  }
  static const char* task_keys[] = {"steps", "eval_every", "reward_scale"};
  for (const char* k : task_keys)
    if (s.key == k) return "task's default";
  std::map<std::string, std::string> by_algo;
  for (const auto& a : algo_names()) by_algo[a] = show(default_config(a, "cheetah-run")[s.key]);
  std::string out = "default " + by_algo["crossq-wn"];
  for (const auto& a : algo_names())
    if (a != "crossq-wn" && by_algo[a] != by_algo["crossq-wn"]) out += "; " + a + " " + by_algo[a];
  return out;
}

// the file of --config: a bounded JSON object (run_folder.h)
json read_config_flag(const std::string& path) {
  return read_json_file(path, "--config " + path, "pass a JSON file of settings, {\"key\": value, ...}");
}

// the setting flags given on the command line (an empty value is given too: --reset-steps ""
// means no resets; the other flags refuse it before this point)
std::map<std::string, std::string> given_flags(const CLI::App& cmd, const std::map<std::string, std::string>& values) {
  std::map<std::string, std::string> out;
  for (const auto& [key, val] : values)
    if (cmd.get_option(flag_name(key))->count() > 0) out[key] = val;
  return out;
}

// the settings the user gave: --config, --set and flags
GivenSettings given_settings(const std::string& config_file, const std::vector<std::string>& sets,
                             const std::map<std::string, std::string>& flags) {
  GivenSettings g;
  if (!config_file.empty()) {
    g.file_label = "--config " + config_file;
    g.file = read_config_flag(config_file);
  }
  g.sets = sets;
  g.flags = flags;
  return g;
}

template <class Args>
void resume_run(Args& args, const std::map<std::string, std::string>& flags) {
  const std::string& dir = args.resume;
  if (!fs::is_directory(dir))
    throw usage_error("--resume " + dir + ": no such run folder", "pass the folder of a run, e.g. runs/pendulum/crossq-wn/seed0");
  if (!fs::exists(checkpoint_path(dir)))
    throw usage_error("--resume " + dir + ": the folder holds no checkpoint.bin",
                      "only runs written by a crossq with checkpoints can be resumed; start it again with --overwrite");
  // one writer per run folder: the lock comes before anything is read or written
  RunLock lock = RunLock::acquire(dir);
  Checkpoint ck = Checkpoint::load(checkpoint_path(dir));
  json cfg = checkpoint_settings(ck, checkpoint_path(dir));
  // what the user gave must agree with the run, except the session keys that do not change it
  const GivenSettings given = given_settings(args.config_file, args.sets, flags);
  const json probe = apply_given(cfg, given);  // the same precedence as a new run
  const auto [given_algo, given_task] = given_algo_task(given, cfg["algo"], cfg["task"]);
  for (const std::string& key : given_keys(given)) {
    if (key == "threads" || key == "checkpoint_every") {
      cfg[key] = probe[key];
      continue;
    }
    const json want = key == "task" ? json(given_task) : key == "algo" ? json(given_algo) : probe[key];
    if (cfg.contains(key) && want == cfg[key]) continue;
    const auto show = [](const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); };
    throw usage_error(fmt::format("{} {} conflicts with the run being resumed ({} = {} in {})",
                                  flag_name(key), show(want), key, cfg.contains(key) ? show(cfg[key]) : "unset",
                                  checkpoint_path(dir)),
                      "drop the setting to continue the run as it was, or start a new run with another --out");
  }
  Trainer tr(cfg, dir, std::move(lock));
  const std::string tag = fmt::format("{}/{}{} seed{}", cfg["task"].get<std::string>(), cfg["algo"].get<std::string>(),
                                      variant_name(cfg), cfg["seed"].dump());
  if (!args.quiet) fmt::print("[{}] resuming from {}\n", tag, checkpoint_path(dir));
  tr.run([&](const Progress& p) {
    if (args.quiet) return;
    fmt::print("[{}] {:>9}/{} env steps  {:7.0f} steps/s  ETA {:5.0f}s  eval {}\n", tag, p.env_step, p.total_steps,
               p.sps, p.eta_s, p.has_eval ? fmt::format("{:.1f}", p.last_eval_return) : "-");
    std::fflush(stdout);
  }, &ck);
  fmt::print("[{}] done in {:.1f}s -> {}\n", tag, tr.total_seconds(), dir);
}

}  // namespace

void add_train(CLI::App& app) {
  auto* cmd = app.add_subcommand("train", "Train an agent: one run per seed, then evaluate");
  cmd->footer("Every hyperparameter above is also a key of --config FILE (JSON) and of --set key=value.\n"
              "Precedence: the algorithm's column < the task's defaults < the algorithm's Table 1 column on\n"
              "dmc and myo tasks (action_repeat, discount, warmup) < --config < --set < flags; config.json\n"
              "records each value's layer under \"sources\" (docs/algorithms.md, \"Defaults\").\n"
              "Checkpoints: each run writes RUN_DIR/checkpoint.bin every --checkpoint-every env steps, at the\n"
              "end, and on SIGINT/SIGTERM (after the current agent step; exit status 130/143). Continue a run\n"
              "with `crossq train --resume RUN_DIR`: on one thread the resumed run's eval.csv and train.csv\n"
              "equal the uninterrupted run's (except the wall-clock columns). Settings given with --resume\n"
              "must match the run's, except --threads and --checkpoint-every.\n"
              "Exit status: 0 done, 1 I/O error (the file is named), 2 bad input (also a refused resume or a run folder\n"
              "another process holds), 3 diverged (NaN/Inf), 130/143 interrupted (docs/robustness.md).\n"
              "Each algorithm's parameter count on a task: crossq algos --task NAME (docs/algorithms.md).");
  struct Args {
    std::string out = "runs", config_file, seeds, resume;
    std::vector<std::string> sets;
    int jobs = 1;
    bool overwrite = false, quiet = false;
    std::map<std::string, std::string> flags;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--out", args->out, "output folder; each run writes <out>/<task>/<algo>/seed<k>/")->capture_default_str();
  cmd->add_option("--config", args->config_file, "JSON file of settings");
  cmd->add_option("--set", args->sets, "override a setting: --set key=value (repeatable)");
  cmd->add_option("--seeds", args->seeds, "seeds to run: 0-9, 0,3,5 or 4 (default: --seed)");
  cmd->add_option("--jobs", args->jobs, "runs trained in parallel (each on its own core)")->capture_default_str()->check(CLI::Range(1, 64));
  cmd->add_flag("--overwrite", args->overwrite, "replace existing run folders");
  cmd->add_option("--resume", args->resume, "continue the run in RUN_DIR from its checkpoint.bin")->type_name("RUN_DIR");
  cmd->add_flag("--quiet", args->quiet, "no progress lines");
  for (const auto& s : option_specs()) {
    const std::string d = describe_default(s);
    auto* opt = cmd->add_option(flag_name(s.key), args->flags[s.key], s.help + (d.empty() ? "" : " [" + d + "]"));
    opt->type_name(s.type == OptionSpec::Type::kString ? "TEXT"
                   : s.type == OptionSpec::Type::kBool ? "BOOL"
                   : s.type == OptionSpec::Type::kInt  ? "INT" : "FLOAT");
  }
  cmd->callback([args, cmd] {
    install_stop_handlers();
    if (!args->resume.empty()) {
      for (const char* f : {"--out", "--seeds", "--jobs", "--overwrite"})
        if (cmd->count(f) > 0)
          throw usage_error(std::string(f) + " cannot be combined with --resume",
                            "--resume continues one run in its own folder; drop " + std::string(f));
      resume_run(*args, given_flags(*cmd, args->flags));
      return;
    }
    const std::map<std::string, std::string> flags = given_flags(*cmd, args->flags);
    // the layers of defaults for the algorithm and task the settings name, then the given
    // settings on top (the precedence a resume checks against)
    const GivenSettings given = given_settings(args->config_file, args->sets, flags);
    const auto [algo, task] = given_algo_task(given, "crossq-wn", "pendulum");
    json cfg = apply_given(default_config(algo, task), given);  // default_config checks both names
    validate_config(cfg);
    preflight(cfg);
    std::vector<uint64_t> seeds = args->seeds.empty() ? std::vector<uint64_t>{cfg["seed"].get<uint64_t>()}
                                                      : parse_seeds(args->seeds);
    const int jobs = std::min<int>(args->jobs, static_cast<int>(seeds.size()));
    // never more worker threads than cores: with parallel runs each gets one lane
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    if (!flags.count("threads")) {
      cfg["threads"] = std::max(1, std::min<int>(2, static_cast<int>(cores) / jobs));
      cfg["sources"]["threads"] = "jobs";  // cores shared among the --jobs parallel runs
    }

    // every folder is checked before any run starts, so bad input writes nothing
    std::vector<std::string> dirs;
    for (uint64_t s : seeds) dirs.push_back(run_dir_of(args->out, cfg, s));
    std::vector<RunLock> locks = prepare_run_folders(args->out, dirs, args->overwrite);

    std::mutex print_mu;
    std::vector<std::exception_ptr> errors(seeds.size());
    auto run_one = [&](size_t i) {
      try {
        json c = cfg;
        c["seed"] = seeds[i];
        Trainer tr(c, dirs[i], std::move(locks[i]));
        const std::string tag = fmt::format("{}/{}{} seed{}", c["task"].get<std::string>(), c["algo"].get<std::string>(), variant_name(c), seeds[i]);
        tr.run([&](const Progress& p) {
          if (args->quiet) return;
          std::lock_guard<std::mutex> lk(print_mu);
          fmt::print("[{}] {:>9}/{} env steps  {:7.0f} steps/s  ETA {:5.0f}s  eval {}\n", tag, p.env_step,
                     p.total_steps, p.sps, p.eta_s, p.has_eval ? fmt::format("{:.1f}", p.last_eval_return) : "-");
          std::fflush(stdout);
        });
        std::lock_guard<std::mutex> lk(print_mu);
        fmt::print("[{}] done in {:.1f}s -> {}\n", tag, tr.total_seconds(), dirs[i]);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    };
    std::vector<std::thread> pool;
    std::atomic<size_t> next{0};
    for (int j = 0; j < jobs; ++j)
      pool.emplace_back([&] {
        for (size_t i = next++; i < seeds.size(); i = next++) run_one(i);
      });
    for (auto& t : pool) t.join();
    // every run's error is shown (an interrupt stops them all, each with its resume command);
    // the first decides the exit status
    std::exception_ptr first;
    for (auto& e : errors) {
      if (!e) continue;
      if (!first) { first = e; continue; }
      try {
        std::rethrow_exception(e);
      } catch (const Error& err) {
        fmt::print(stderr, "crossq: {}\n", err.what());
        const bool sig = err.exit_code() == kExitSigint || err.exit_code() == kExitSigterm;
        if (!err.hint().empty()) fmt::print(stderr, "  {}: {}\n", sig ? "to continue" : "fix", err.hint());
      } catch (const std::exception& err) {
        fmt::print(stderr, "crossq: error: {}\n", err.what());
      }
    }
    if (first) std::rethrow_exception(first);
  });
}

}  // namespace crossq::cli
