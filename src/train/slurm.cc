#include "crossq/train/slurm.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "crossq/core/error.h"
#include "crossq/core/process.h"
#include "crossq/train/run_folder.h"

namespace crossq {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr double kCommandTimeoutS = 60;

// a word for bash inside single quotes
std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string record_path(const Sweep& sw) { return sw.out + "/.sweep/slurm.json"; }

json read_record(const Sweep& sw) {
  const std::string p = record_path(sw);
  if (!fs::exists(p)) return json{{"submissions", json::array()}};
  json j = read_json_file(p, p, "it is written by `crossq sweep run --backend slurm`; move it away to start the record afresh");
  if (!j.is_object() || !j.contains("submissions") || !j["submissions"].is_array())
    throw Error(p + " is not a record of Slurm submissions", "move it away; `crossq sweep run --backend slurm` writes a new one");
  return j;
}

std::string utc_stamp(const char* fmt_) {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, fmt_, &tm);
  return buf;
}

std::string first_line(const std::string& s) {
  std::string l = s.substr(0, s.find('\n'));
  while (!l.empty() && (l.back() == '\r' || l.back() == ' ')) l.pop_back();
  return l;
}

// the sweep file's name without its extension, as a word for file and job names: A-Z a-z 0-9
// - _ . kept, anything else '_'
std::string file_stem(const Sweep& sw) {
  std::string out;
  for (char c : fs::path(sw.file).stem().string())
    out += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ? c : '_';
  return out.empty() ? "sweep" : out;
}

bool queued_or_running(const std::string& state) {
  static const std::set<std::string> live = {"PENDING", "RUNNING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "CONFIGURING",
                                             "COMPLETING", "SUSPENDED", "RESIZING", "SIGNALING", "STAGE_OUT", "STOPPED",
                                             "RESV_DEL_HOLD", "SPECIAL_EXIT"};
  return live.count(state) > 0;
}

}  // namespace

std::string run_key(const std::string& dir) {
  std::error_code ec;
  const fs::path p = fs::weakly_canonical(dir, ec);
  return ec ? fs::absolute(dir).lexically_normal().string() : p.string();
}

std::string index_list(const std::vector<size_t>& idx) {
  std::string out;
  for (size_t i = 0; i < idx.size();) {
    size_t j = i;
    while (j + 1 < idx.size() && idx[j + 1] == idx[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += j == i ? std::to_string(idx[i]) : fmt::format("{}-{}", idx[i], idx[j]);
    i = j + 1;
  }
  return out;
}

std::string slurm_array_script(const Sweep& sw, const std::vector<size_t>& indices, int throttle, const SlurmPaths& p) {
  const std::string name = "crossq-" + file_stem(sw);
  std::string s;
  s += "#!/bin/bash\n";
  s += fmt::format("# crossq sweep {}: {} of its {} runs, one Slurm array task each.\n", printable(sw.file), indices.size(), sw.runs.size());
  s += "# Written by `crossq sweep run --backend slurm` (docs/sweeps.md). A task runs `crossq sweep task`,\n"
       "# which starts its run or resumes it from its checkpoint. Slurm sends SIGUSR1 " + std::to_string(kSlurmSignalLeadS) +
       " s before the\n"
       "# time limit: the run writes its checkpoint and the task requeues itself. On preemption,\n"
       "# `scontrol requeue` or `scancel` Slurm sends SIGTERM to every process of the task: the run\n"
       "# writes its checkpoint and exits, and a requeued task resumes it.\n";
  s += "#SBATCH --job-name=" + name + "\n";
  s += "#SBATCH --array=" + index_list(indices) + (throttle > 0 ? "%" + std::to_string(throttle) : "") + "\n";
  s += "#SBATCH --ntasks=1\n";
  s += fmt::format("#SBATCH --cpus-per-task={}\n", sw.cores);
  if (!sw.time_limit.empty()) s += "#SBATCH --time=" + sw.time_limit + "\n";
  if (!sw.partition.empty()) s += "#SBATCH --partition=" + sw.partition + "\n";
  if (!sw.mem.empty()) s += "#SBATCH --mem=" + sw.mem + "\n";
  s += "#SBATCH --requeue\n";
  s += fmt::format("#SBATCH --signal=B:USR1@{}\n", kSlurmSignalLeadS);
  s += "#SBATCH --open-mode=append\n";
  s += "#SBATCH --output=" + p.log_dir + "/%A_%a.out\n";
  s += "#SBATCH --chdir=" + p.cwd + "\n";
  for (const auto& a : sw.sbatch_args) s += "#SBATCH " + a + "\n";
  s += "set -u\n";
  s += "echo \"crossq: array task ${SLURM_ARRAY_TASK_ID} (job ${SLURM_JOB_ID}, restart ${SLURM_RESTART_COUNT:-0}) on $(hostname) at $(date -u +%FT%TZ)\"\n";
  s += shell_quote(p.crossq) + " sweep task " + shell_quote(p.sweep_copy) + " \"$SLURM_ARRAY_TASK_ID\" &\n";
  s += "child=$!\n"
       "time_limit=0\n"
       "# the time limit is near: the run checkpoints on SIGTERM, then this task requeues itself\n"
       "trap 'time_limit=1; kill -TERM \"$child\" 2>/dev/null' USR1\n"
       "# Slurm signals the run itself on preemption, requeue and cancel; the script only waits\n"
       "trap ':' TERM INT\n"
       "rc=0\n"
       "while :; do\n"
       "  wait \"$child\"; rc=$?\n"
       "  kill -0 \"$child\" 2>/dev/null || break\n"
       "done\n"
       "if [ \"$time_limit\" = 1 ] && [ \"$rc\" = 143 ]; then\n"
       "  echo \"crossq: time limit near: checkpoint written, requeueing ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\"\n"
       "  scontrol requeue \"${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\"\n"
       "fi\n"
       "exit \"$rc\"\n";
  return s;
}

std::map<std::string, std::string> parse_job_states(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const size_t bar = line.find('|');
    if (bar == std::string::npos) continue;
    std::string job = line.substr(0, bar), state = line.substr(bar + 1);
    state = state.substr(0, state.find_first_of(" |\r"));
    while (!job.empty() && job.back() == ' ') job.pop_back();
    if (!job.empty() && !state.empty()) out[job] = state;
  }
  return out;
}

std::map<std::string, SlurmTask> slurm_tasks(const Sweep& sw, std::string* note) {
  std::map<std::string, SlurmTask> tasks;
  const json rec = read_record(sw);
  std::set<std::string> jobs;
  for (const json& sub : rec["submissions"]) {
    const std::string id = sub.value("job_id", "");
    if (id.empty()) continue;
    jobs.insert(id);
    for (auto it = sub["runs"].begin(); it != sub["runs"].end(); ++it)
      tasks[it.value().get<std::string>()] = {id + "_" + it.key(), "", sub.value("log_dir", "") + "/" + id + "_" + it.key() + ".out"};
  }
  if (jobs.empty()) return tasks;
  std::string ids;
  for (const auto& j : jobs) ids += (ids.empty() ? "" : ",") + j;
  std::map<std::string, std::string> states;
  std::vector<std::string> problems;
  if (on_path("squeue")) {
    const ProcessResult r = run_process({"squeue", "-h", "-r", "--states=all", "-j", ids, "-o", "%i|%T"}, kCommandTimeoutS);
    if (r.status == 0) states = parse_job_states(r.out);
    else if (r.err.find("Invalid job id") == std::string::npos)  // every job purged: not a problem
      problems.push_back("squeue: " + (r.timed_out ? std::string("no answer in a minute") : first_line(r.err)));
  } else {
    problems.push_back("squeue is not on PATH");
  }
  bool missing = false;
  for (const auto& [dir, t] : tasks) missing |= !states.count(t.job);
  if (missing && on_path("sacct")) {  // jobs squeue no longer lists: the accounting database has them
    const ProcessResult r = run_process({"sacct", "-n", "-P", "-X", "-j", ids, "-o", "JobID,State"}, kCommandTimeoutS);
    if (r.status == 0)
      for (const auto& [job, st] : parse_job_states(r.out)) states.emplace(job, st);
  }
  for (auto& [dir, t] : tasks)
    if (auto it = states.find(t.job); it != states.end()) t.state = it->second;
  if (note && !problems.empty()) {
    *note = "Slurm could not say where the submitted runs stand (";
    for (size_t i = 0; i < problems.size(); ++i) *note += (i ? "; " : "") + problems[i];
    *note += "); the states below are read from the run folders only";
  }
  return tasks;
}

RunStatus with_slurm(RunStatus st, const SlurmTask& t) {
  using S = RunStatus::State;
  if (st.state == S::kDone || t.state.empty()) return st;
  // a failed run submitted again is no longer failed; one that failed on its own (error.txt)
  // in a task Slurm has ended stays as the folder says
  if (st.state == S::kFailed && !queued_or_running(t.state)) return st;
  if (st.state == S::kFailed) st.error.clear();
  if (t.state == "CANCELLED") {
    st.state = S::kCancelled;
  } else if (t.state == "RUNNING" || t.state == "COMPLETING" || t.state == "CONFIGURING") {
    st.state = S::kRunning;
  } else if (queued_or_running(t.state)) {
    st.state = st.state == S::kRunning ? S::kRunning : S::kWaiting;
  } else if (t.state != "COMPLETED") {  // FAILED, NODE_FAIL, OUT_OF_MEMORY, TIMEOUT, BOOT_FAIL, DEADLINE, PREEMPTED
    if (st.state != S::kRunning) {
      st.state = S::kFailed;
      st.error = fmt::format("Slurm ended task {} with {}; its log: {}", t.job, t.state, t.log);
    }
  }
  return st;
}

SlurmSubmission submit_sweep_slurm(const Sweep& sw, int throttle, bool dry_run, const std::vector<size_t>& only) {
  SlurmSubmission sub;
  if (!dry_run && !on_path("sbatch"))
    throw usage_error("sbatch is not on PATH: --backend slurm submits the sweep with Slurm's sbatch",
                      "run it on a Slurm login node (Debian: slurm-client), write the script only with --dry-run, "
                      "or run the sweep here with --backend local");
  // what earlier submissions still have queued or running
  std::map<std::string, SlurmTask> earlier;
  if (!dry_run) {
    std::string note;
    earlier = slurm_tasks(sw, &note);
    if (!note.empty())
      throw Error(note, "`crossq sweep run --backend slurm` asks squeue which runs are already queued; "
                        "check that Slurm answers (squeue), then submit again", kExitRuntime);
  }
  for (size_t i = 0; i < sw.runs.size(); ++i) {
    if (!only.empty() && std::find(only.begin(), only.end(), i) == only.end()) continue;
    const SweepRun& r = sw.runs[i];
    const RunStatus st = run_status(r);
    const std::string who = fmt::format("{} {} {} seed {}", r.task, r.algo, r.variant.empty() ? "-" : r.variant, r.seed);
    if (st.state == RunStatus::State::kDone) {
      sub.left_out.push_back(who + ": done");
      continue;
    }
    if (st.state == RunStatus::State::kRunning) {
      sub.left_out.push_back(who + ": running (another process holds " + r.dir + ")");
      continue;
    }
    if (auto it = earlier.find(run_key(r.dir)); it != earlier.end() && queued_or_running(it->second.state)) {
      sub.left_out.push_back(who + ": " + it->second.state + " as " + it->second.job);
      continue;
    }
    sub.indices.push_back(i);
  }
  if (sub.indices.empty()) return sub;

  const std::string dir = sw.out + "/.sweep";
  const std::string stamp = utc_stamp("%Y%m%d-%H%M%S");
  const std::string stem = file_stem(sw);
  std::error_code ec;
  fs::create_directories(dir + "/logs", ec);
  if (ec) throw Error("cannot create " + dir + "/logs: " + ec.message(), "choose a writable \"out\" folder");
  SlurmPaths p;
  {
    std::string self = fs::read_symlink("/proc/self/exe", ec).string();
    if (ec || self.empty()) throw Error("cannot find this crossq binary's path (/proc/self/exe)", "run crossq by its full path");
    p.crossq = self;
  }
  std::string base = dir + "/" + stem + "-" + stamp;
  for (int k = 1; fs::exists(base + ".sbatch"); ++k) base = dir + "/" + stem + "-" + stamp + "-" + std::to_string(k);
  p.sweep_copy = fs::absolute(base + ".json").lexically_normal().string();
  p.log_dir = fs::absolute(dir + "/logs").lexically_normal().string();
  p.cwd = fs::current_path().string();
  for (const std::string* s : {&p.crossq, &p.sweep_copy, &p.log_dir, &p.cwd})
    if (printable(*s) != *s || s->find_first_of("\n\r ") != std::string::npos)
      throw usage_error("the path " + printable(*s) + " holds a space or a control character, which an #SBATCH line cannot carry",
                        "run from, and write to, folders whose paths have no spaces");
  {
    std::ifstream in(sw.file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) throw Error("cannot read " + sw.file + " again to keep a copy", "check the file, then submit again");
    write_file_atomic(p.sweep_copy, text.str());
  }
  sub.script_path = base + ".sbatch";
  write_file_atomic(sub.script_path, slurm_array_script(sw, sub.indices, throttle, p));
  ::chmod(sub.script_path.c_str(), 0755);
  if (dry_run) return sub;

  const ProcessResult r = run_process({"sbatch", "--parsable", sub.script_path}, kCommandTimeoutS);
  if (r.status != 0)
    throw usage_error(fmt::format("sbatch refused {}: {}", sub.script_path,
                                  r.timed_out ? std::string("no answer in a minute") : first_line(r.err.empty() ? r.out : r.err)),
                      "check the sweep file's resources (partition, time, mem, sbatch) against the cluster's limits "
                      "(sinfo), then submit again");
  const std::string printed = first_line(r.out);
  sub.job_id = printed.substr(0, printed.find(';'));  // "id" or "id;cluster"
  if (sub.job_id.empty() || sub.job_id.find_first_not_of("0123456789") != std::string::npos)
    throw Error("sbatch printed '" + printable(r.out, 60) + "', not a job id", "check the job with squeue; submit again if it is not there");
  json rec = read_record(sw);
  json runs = json::object();
  for (size_t i : sub.indices) runs[std::to_string(i)] = run_key(sw.runs[i].dir);
  rec["submissions"].push_back({{"job_id", sub.job_id}, {"submitted", utc_stamp("%Y-%m-%dT%H:%M:%SZ")},
                                {"script", fs::absolute(sub.script_path).lexically_normal().string()},
                                {"sweep", p.sweep_copy}, {"log_dir", p.log_dir}, {"runs", runs}});
  write_file_atomic(record_path(sw), rec.dump(1) + "\n");
  return sub;
}

}  // namespace crossq
