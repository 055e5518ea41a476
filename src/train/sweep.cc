#include "crossq/train/sweep.h"

#include <algorithm>
#include <cctype>
#include <atomic>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <numeric>
#include <set>
#include <thread>

#include <fmt/core.h>

#include "crossq/core/error.h"
#include "crossq/train/config.h"
#include "crossq/train/run_folder.h"
#include "crossq/train/trainer.h"

namespace crossq {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

Error bad(const std::string& file, const std::string& what, const std::string& fix) {
  return usage_error("sweep " + file + ": " + what, fix);
}

std::vector<std::string> names_of(const std::string& file, const json& j, const char* key) {
  if (!j.contains(key)) throw bad(file, std::string("no \"") + key + "\"", std::string("list them: \"") + key + "\": [...]");
  const json& v = j[key];
  if (!v.is_array() || v.empty())
    throw bad(file, std::string("\"") + key + "\" must be a non-empty list of names", "e.g. [\"cheetah-run\"]");
  std::vector<std::string> out;
  for (const json& x : v) {
    if (!x.is_string()) throw bad(file, std::string("\"") + key + "\" holds " + x.dump() + ", not a name", "write names as strings");
    if (std::find(out.begin(), out.end(), x.get<std::string>()) != out.end())
      throw bad(file, std::string("\"") + key + "\" names " + x.get<std::string>() + " twice", "list each once");
    out.push_back(x);
  }
  return out;
}

std::vector<uint64_t> seeds_of(const std::string& file, const json& j) {
  if (!j.contains("seeds")) throw bad(file, "no \"seeds\"", "write \"seeds\": [0, 1, 2] or \"seeds\": \"0-2\"");
  const json& v = j["seeds"];
  std::vector<uint64_t> out;
  if (v.is_string()) {
    const std::string s = v;
    const size_t dash = s.find('-');
    try {
      size_t used = 0;
      const uint64_t a = std::stoull(s.substr(0, dash), &used);
      const uint64_t b = dash == std::string::npos ? a : std::stoull(s.substr(dash + 1));
      if (b < a || b - a > 10000) throw std::invalid_argument("range");
      for (uint64_t k = a; k <= b; ++k) out.push_back(k);
    } catch (const std::logic_error&) {
      throw bad(file, "\"seeds\": \"" + printable(s) + "\" is not a range", "write e.g. \"0-9\" or a list [0, 3, 5]");
    }
  } else if (v.is_array() && !v.empty()) {
    for (const json& x : v) {
      if (!x.is_number_unsigned() && !(x.is_number_integer() && x.get<int64_t>() >= 0))
        throw bad(file, "\"seeds\" holds " + x.dump() + ", not a seed", "seeds are whole numbers >= 0");
      out.push_back(x.get<uint64_t>());
    }
  } else {
    throw bad(file, "\"seeds\" must be a non-empty list or a range", "write \"seeds\": [0, 1, 2] or \"0-2\"");
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace

int64_t slurm_time_seconds(const std::string& t) {
  // [D-]H[:M[:S]] with a day, M[:S] or MM:SS or HH:MM:SS without one; each part a number
  auto nums = [](const std::string& s, std::vector<int64_t>& out) {
    out.clear();
    std::string cur;
    for (size_t i = 0; i <= s.size(); ++i) {
      if (i == s.size() || s[i] == ':') {
        if (cur.empty() || cur.size() > 6) return false;
        out.push_back(std::stoll(cur));
        cur.clear();
      } else if (std::isdigit(static_cast<unsigned char>(s[i]))) {
        cur += s[i];
      } else {
        return false;
      }
    }
    return out.size() <= 3;
  };
  std::vector<int64_t> p;
  const size_t dash = t.find('-');
  if (dash != std::string::npos) {
    std::vector<int64_t> d;
    if (!nums(t.substr(0, dash), d) || d.size() != 1 || !nums(t.substr(dash + 1), p)) return -1;
    const int64_t h = p[0], m = p.size() > 1 ? p[1] : 0, sec = p.size() > 2 ? p[2] : 0;
    return ((d[0] * 24 + h) * 60 + m) * 60 + sec;
  }
  if (!nums(t, p)) return -1;
  if (p.size() == 1) return p[0] * 60;               // minutes
  if (p.size() == 2) return p[0] * 60 + p[1];        // MM:SS
  return (p[0] * 60 + p[1]) * 60 + p[2];             // HH:MM:SS
}

Sweep load_sweep(const std::string& path) {
  const json j = read_json_file(path, "sweep " + path, "a sweep file is a JSON object (docs/sweeps.md)");
  static const std::set<std::string> known = {"out", "tasks", "algos", "seeds", "settings", "variants", "resources"};
  for (auto it = j.begin(); it != j.end(); ++it)
    if (!known.count(it.key()))
      throw bad(path, "unknown key \"" + printable(it.key()) + "\"",
                "the keys are out, tasks, algos, seeds, settings, variants, resources (docs/sweeps.md)");
  Sweep sw;
  sw.file = path;
  if (!j.contains("out") || !j["out"].is_string() || j["out"].get<std::string>().empty())
    throw bad(path, "no \"out\" folder", "write \"out\": \"runs/my-sweep\"");
  sw.out = j["out"];
  const std::vector<std::string> tasks = names_of(path, j, "tasks"), algos = names_of(path, j, "algos");
  const std::vector<uint64_t> seeds = seeds_of(path, j);
  const json common = j.value("settings", json::object());
  if (!common.is_object()) throw bad(path, "\"settings\" must be an object", "write \"settings\": {\"steps\": 100000}");
  for (const char* k : {"task", "algo", "seed"})
    if (common.contains(k)) throw bad(path, std::string("\"settings\" sets \"") + k + "\"", "the grid's lists choose it");
  // the variants: named settings on top of the common ones
  struct Variant {
    std::string name;
    json settings;
    std::set<std::string> algos;  // empty: every algorithm of the grid
  };
  std::vector<Variant> variants;
  if (j.contains("variants")) {
    if (!j["variants"].is_array() || j["variants"].empty())
      throw bad(path, "\"variants\" must be a non-empty list", "write [{\"name\": \"utd1\", \"settings\": {\"utd\": 1}}, ...]");
    for (const json& v : j["variants"]) {
      if (!v.is_object() || !v.contains("name") || !v["name"].is_string() || v["name"].get<std::string>().empty())
        throw bad(path, "a variant without a \"name\": " + printable(v.dump(), 60), "give every variant a name");
      const std::string name = v["name"];
      for (auto it = v.begin(); it != v.end(); ++it)
        if (it.key() != "name" && it.key() != "settings" && it.key() != "algos")
          throw bad(path, "variant " + printable(name) + ": unknown key \"" + printable(it.key()) + "\"",
                    "a variant has a name, settings and optionally the algos it applies to");
      for (const auto& o : variants)
        if (o.name == name) throw bad(path, "two variants are named " + printable(name), "give each variant its own name");
      const json s = v.value("settings", json::object());
      if (!s.is_object()) throw bad(path, "variant " + printable(name) + ": \"settings\" must be an object", "write {\"utd\": 5}");
      Variant var{name, s, {}};
      if (v.contains("algos")) {
        const std::string where = "variant " + printable(name) + ": \"algos\"";
        if (!v["algos"].is_array() || v["algos"].empty())
          throw bad(path, where + " must be a non-empty list", "write \"algos\": [\"crossq-wn\"] (some of the grid's algos)");
        for (const json& a : v["algos"]) {
          if (!a.is_string() || std::find(algos.begin(), algos.end(), a.get<std::string>()) == algos.end())
            throw bad(path, where + " names " + printable(a.dump(), 60) + ", which is not in the grid's \"algos\"",
                      "list only algorithms of the grid's \"algos\"");
          var.algos.insert(a.get<std::string>());
        }
      }
      variants.push_back(std::move(var));
    }
  } else {
    variants.push_back({"", json::object(), {}});
  }
  if (j.contains("resources")) {
    const json& r = j["resources"];
    if (!r.is_object()) throw bad(path, "\"resources\" must be an object", "write {\"cores\": 1, \"time\": \"12:00:00\"}");
    static const std::set<std::string> rkeys = {"cores", "time", "partition", "mem", "sbatch"};
    for (auto it = r.begin(); it != r.end(); ++it)
      if (!rkeys.count(it.key()))
        throw bad(path, "resources: unknown key \"" + printable(it.key()) + "\"", "the keys are cores, time, partition, mem, sbatch");
    if (r.contains("cores")) {
      if (!r["cores"].is_number_integer() || r["cores"] < 1 || r["cores"] > 2)
        throw bad(path, "resources.cores must be 1 or 2", "a run uses one lane per core, at most two");
      sw.cores = r["cores"];
    }
    // every value below goes into an sbatch script: one line each, no spaces or quotes
    auto word = [&](const char* key, const char* example) -> std::string {
      if (!r.contains(key)) return "";
      const json& v = r[key];
      const std::string w = v.is_string() ? v.get<std::string>() : "";
      if (w.empty() || w.find_first_of(" \t\r\n\"'\\$`;") != std::string::npos || printable(w) != w)
        throw bad(path, fmt::format("resources.{} must be one word, not {}", key, printable(v.dump(), 60)),
                  std::string("e.g. \"") + key + "\": \"" + example + "\"");
      return w;
    };
    sw.time_limit = word("time", "12:00:00");
    if (!sw.time_limit.empty()) {
      const int64_t secs = slurm_time_seconds(sw.time_limit);
      if (secs < 0)
        throw bad(path, "resources.time \"" + sw.time_limit + "\" is not a Slurm time limit",
                  "write minutes (\"90\"), \"HH:MM:SS\" or \"D-HH:MM:SS\"");
      if (secs < kSlurmMinTimeLimitS)
        throw bad(path, fmt::format("resources.time \"{}\" is under {} minutes", sw.time_limit, kSlurmMinTimeLimitS / 60),
                  fmt::format("a run is signalled {} s before its time limit to write its checkpoint; give it at least {} minutes",
                              kSlurmSignalLeadS, kSlurmMinTimeLimitS / 60));
    }
    sw.partition = word("partition", "batch");
    sw.mem = word("mem", "8G");
    if (!sw.mem.empty()) {
      size_t i = 0;
      while (i < sw.mem.size() && std::isdigit(static_cast<unsigned char>(sw.mem[i]))) ++i;
      if (i == 0 || sw.mem.size() - i > 1 || (i < sw.mem.size() && !std::strchr("KMGT", sw.mem[i])))
        throw bad(path, "resources.mem \"" + sw.mem + "\" is not a memory size", "write e.g. \"8G\" or \"16000M\"");
    }
    if (r.contains("sbatch")) {
      const json& v = r["sbatch"];
      if (!v.is_array())
        throw bad(path, "resources.sbatch must be a list of sbatch options", "e.g. [\"--account=rl\", \"--qos=low\"]");
      for (const json& x : v) {
        const std::string o = x.is_string() ? x.get<std::string>() : "";
        if (o.rfind("--", 0) != 0 || o.find_first_of("\r\n") != std::string::npos || printable(o) != o)
          throw bad(path, "resources.sbatch holds " + printable(x.dump(), 60) + ", not an sbatch option",
                    "write long options, one per string: \"--account=rl\"");
        for (const char* own : {"--array", "--output", "--error", "--requeue", "--no-requeue", "--signal", "--open-mode", "--chdir"})
          if (o == own || o.rfind(std::string(own) + "=", 0) == 0)
            throw bad(path, "resources.sbatch sets " + std::string(own) + ", which crossq's script sets itself",
                      "leave it out (docs/sweeps.md says what the script sets)");
        sw.sbatch_args.push_back(o);
      }
    }
  }
  std::map<std::string, std::string> folders;  // dir -> the run that has it
  for (const auto& task : tasks)
    for (const auto& algo : algos)
      for (const auto& [vname, vset, valgos] : variants) {
        if (!valgos.empty() && !valgos.count(algo)) continue;
        json given_file = common;
        given_file.update(vset);
        GivenSettings g;
        g.file_label = "sweep " + path + (vname.empty() ? "" : ", variant " + printable(vname));
        g.file = given_file;
        json base = default_config(algo, task);  // checks both names
        json cfg = apply_given(std::move(base), g);
        cfg["threads"] = sw.cores;
        validate_config(cfg);
        for (uint64_t seed : seeds) {
          SweepRun r;
          r.task = task;
          r.algo = algo;
          r.variant = vname;
          r.seed = seed;
          r.config = cfg;
          r.config["seed"] = seed;
          r.config = checked_config(r.config, g.file_label);
          r.dir = run_dir_of(sw.out, r.config, seed);
          const std::string who = fmt::format("{} {} {} seed {}", task, algo, vname.empty() ? "-" : vname, seed);
          if (auto it = folders.find(r.dir); it != folders.end())
            throw bad(path, "runs '" + it->second + "' and '" + who + "' resolve to one folder " + r.dir,
                      "two variants with the same settings: remove one or change its settings");
          folders[r.dir] = who;
          sw.runs.push_back(std::move(r));
        }
      }
  return sw;
}

const char* state_name(RunStatus::State s) {
  switch (s) {
    case RunStatus::State::kDone: return "done";
    case RunStatus::State::kRunning: return "running";
    case RunStatus::State::kWaiting: return "waiting";
    case RunStatus::State::kInterrupted: return "interrupted";
    case RunStatus::State::kFailed: return "failed";
    case RunStatus::State::kCancelled: return "cancelled";
  }
  return "";
}

namespace {
// env_step of the last row of a run's eval.csv (0 when it has none): a finished run's last
// row is its final evaluation, at its `steps`. A published run folder keeps its logs without
// its checkpoint, and must read as done.
int64_t last_logged_env_step(const std::string& dir) {
  std::ifstream f(dir + "/eval.csv");
  std::string line, last;
  if (!std::getline(f, line)) return 0;  // the header
  while (std::getline(f, line))
    if (!line.empty()) last = line;
  try {
    return last.empty() ? 0 : std::stoll(last.substr(0, last.find(',')));
  } catch (const std::exception&) {
    return 0;  // a torn last line: the run did not finish cleanly
  }
}
}  // namespace

RunStatus run_status(const SweepRun& run) {
  RunStatus st;
  if (!fs::exists(run.dir + "/config.json")) return st;  // waiting
  std::string counters;
  if (Checkpoint::peek(checkpoint_path(run.dir), "loop.counters", counters) && counters.size() >= sizeof(int64_t))
    std::memcpy(&st.env_step, counters.data(), sizeof(int64_t));
  else
    st.env_step = last_logged_env_step(run.dir);
  // another process holds the folder: it is running
  try {
    RunLock probe = RunLock::acquire(run.dir);
  } catch (const Error& e) {
    if (e.exit_code() == kExitUsage) {
      st.state = RunStatus::State::kRunning;
      return st;
    }
  }
  if (std::ifstream f(run.dir + "/error.txt"); f) {
    std::getline(f, st.error);
    st.state = RunStatus::State::kFailed;
    return st;
  }
  st.state = st.env_step >= run.config["steps"].get<int64_t>() ? RunStatus::State::kDone : RunStatus::State::kInterrupted;
  return st;
}

RunOutcome run_sweep_run(const Sweep& sweep, const SweepRun& run, const std::function<void(const std::string&)>& say) {
  const std::string tag = fmt::format("{}/{}{} seed{}", run.task, run.algo, run.variant.empty() ? "" : ":" + run.variant, run.seed);
  const RunStatus st = run_status(run);
  if (st.state == RunStatus::State::kDone) {
    say(fmt::format("[{}] done, skipped", tag));
    return {RunOutcome::Kind::kSkipped, 0, "done"};
  }
  if (st.state == RunStatus::State::kRunning) {
    say(fmt::format("[{}] held by another process, skipped", tag));
    return {RunOutcome::Kind::kHeld, kExitUsage, run.dir + " is held by another process"};
  }
  try {
    fs::remove(run.dir + "/error.txt");
    if (fs::exists(checkpoint_path(run.dir))) {
      // interrupted (or failed after a checkpoint): continue it
      RunLock lock = RunLock::acquire(run.dir);
      Checkpoint ck = Checkpoint::load(checkpoint_path(run.dir));
      json cfg = checkpoint_settings(ck, checkpoint_path(run.dir));
      cfg["threads"] = run.config["threads"];
      say(fmt::format("[{}] resuming at env step {}", tag, st.env_step));
      Trainer tr(cfg, run.dir, std::move(lock));
      tr.run({}, &ck);
    } else {
      preflight(run.config);
      std::vector<RunLock> locks = prepare_run_folders(sweep.out, {run.dir}, true);
      say(fmt::format("[{}] starting", tag));
      Trainer tr(run.config, run.dir, std::move(locks[0]));
      tr.run();
    }
    say(fmt::format("[{}] done -> {}", tag, run.dir));
    return {RunOutcome::Kind::kDone, 0, ""};
  } catch (const Error& e) {
    if (e.exit_code() == kExitSigint || e.exit_code() == kExitSigterm) {
      say(fmt::format("[{}] stopped, checkpoint written", tag));
      return {RunOutcome::Kind::kStopped, e.exit_code(), e.what()};
    }
    say(fmt::format("[{}] failed: {}", tag, e.what()));
    if (fs::is_directory(run.dir))
      if (std::ofstream f(run.dir + "/error.txt"); f) f << e.what() << "\n" << e.hint() << "\n";
    return {RunOutcome::Kind::kFailed, e.exit_code(), e.what()};
  }
}

std::vector<size_t> local_order(const Sweep& sweep) {
  std::vector<size_t> order(sweep.runs.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return sweep.runs[a].seed < sweep.runs[b].seed; });
  return order;
}

int run_sweep_local(const Sweep& sweep, int jobs, bool quiet, const std::vector<size_t>& only) {
  install_stop_handlers();
  std::mutex mu;
  std::atomic<size_t> next{0};
  std::atomic<int> failed{0}, stop_code{0};
  auto say = [&](const std::string& line) {
    if (quiet) return;
    std::lock_guard<std::mutex> lk(mu);
    fmt::print("{}\n", line);
    std::fflush(stdout);
  };
  auto one = [&](const SweepRun& run) {
    const RunOutcome o = run_sweep_run(sweep, run, say);
    if (o.kind == RunOutcome::Kind::kStopped) stop_code = o.exit_code;
    if (o.kind == RunOutcome::Kind::kFailed) ++failed;
  };
  // lowest seeds first: a grid stopped part-way has every cell at its first seeds
  std::vector<size_t> order = local_order(sweep);
  if (!only.empty())
    order.erase(std::remove_if(order.begin(), order.end(),
                               [&](size_t i) { return std::find(only.begin(), only.end(), i) == only.end(); }),
                order.end());
  std::vector<std::thread> pool;
  const int n = std::max(1, std::min<int>(jobs, static_cast<int>(order.size())));
  for (int w = 0; w < n; ++w)
    pool.emplace_back([&] {
      for (size_t i = next++; i < order.size() && stop_code == 0 && pending_stop_signal() == 0; i = next++)
        one(sweep.runs[order[i]]);
    });
  for (auto& t : pool) t.join();
  const int sig = stop_code != 0 ? stop_code.load() : (pending_stop_signal() == SIGINT ? kExitSigint : pending_stop_signal() == SIGTERM ? kExitSigterm : 0);
  if (sig != 0)
    throw Error(fmt::format("sweep {} interrupted; the running runs wrote their checkpoints", sweep.file),
                "crossq sweep run " + sweep.file + " (it continues where it stopped)", sig);
  return failed;
}

}  // namespace crossq
