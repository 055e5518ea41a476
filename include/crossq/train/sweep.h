// Sweeps (docs/sweeps.md): one JSON file names a grid of runs, tasks x algorithms x variants x
// seeds, and where they go. Every run folder is the one `crossq train` writes for the same
// settings, so `crossq report` reads a sweep's output as it is. The local backend runs the
// grid on this machine's cores, skipping finished runs and resuming interrupted ones; the
// Slurm backend (crossq/train/slurm.h) submits it as one array job.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace crossq {

// one run of a sweep
struct SweepRun {
  std::string task, algo, variant;  // variant: its name in the sweep file ("" for none)
  uint64_t seed = 0;
  nlohmann::json config;            // the resolved settings, as `crossq train` resolves them
  std::string dir;                  // its run folder
};

struct Sweep {
  std::string file;  // the sweep file's path (messages)
  std::string out;
  int cores = 1;     // cores per run (threads of a run: 1 or 2)
  // for the Slurm backend: the time limit of one run (Slurm's format, "" for the partition's
  // default), its partition and memory ("" for the defaults) and further sbatch options
  std::string time_limit, partition, mem;
  std::vector<std::string> sbatch_args;
  std::vector<SweepRun> runs;
};

// a Slurm run is sent SIGUSR1 this long before its time limit, to write its checkpoint and
// requeue itself; a time limit must leave room for that
constexpr int64_t kSlurmSignalLeadS = 300;
constexpr int64_t kSlurmMinTimeLimitS = 600;

// Slurm's time format (minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS) in seconds; -1
// when `t` is not one
int64_t slurm_time_seconds(const std::string& t);

// reads and checks a sweep file; throws a usage error (exit status 2) naming the key, the
// variant or the run that is wrong: unknown keys, tasks or algorithms, an empty grid, two
// variants of one name, two runs in one folder, settings out of range
Sweep load_sweep(const std::string& path);

// where a run stands, read from its folder
struct RunStatus {
  enum class State { kDone, kRunning, kWaiting, kInterrupted, kFailed, kCancelled } state = State::kWaiting;
  int64_t env_step = 0;  // of its latest checkpoint; without one, of the last row of eval.csv
  std::string error;     // kFailed: the last error line
};
RunStatus run_status(const SweepRun& run);
const char* state_name(RunStatus::State s);

// runs one run of the sweep in this process, as a worker of the local backend and a Slurm
// array task do: a finished run is skipped, a run another process holds is left alone, an
// interrupted one is resumed from its checkpoint, one that failed is resumed from its last
// checkpoint or started again. `say` gets the progress lines. A failure is written to
// <run>/error.txt (its first line is what `status` shows).
struct RunOutcome {
  enum class Kind { kDone, kSkipped, kHeld, kStopped, kFailed } kind = Kind::kDone;
  int exit_code = 0;  // kStopped: 130 / 143; kFailed: the error's exit status
  std::string message;
};
RunOutcome run_sweep_run(const Sweep& sweep, const SweepRun& run, const std::function<void(const std::string&)>& say);

// the order run_sweep_local takes the runs in: the plan's order (task, algo, variant, seed),
// stably sorted by seed, so a grid stopped part-way has every cell at its lowest seeds
std::vector<size_t> local_order(const Sweep& sweep);

// runs every unfinished run of the sweep on this machine, `jobs` at a time, in local_order: a finished run is
// skipped, an interrupted one resumed from its checkpoint, one that failed started again. On
// SIGINT / SIGTERM every running run writes its checkpoint and the sweep stops (exit status
// 130 / 143; running it again continues). Returns the number of runs that failed (each
// leaves its error in <run>/error.txt).
// `only`: the plan's indices of the runs to consider (empty: every run)
int run_sweep_local(const Sweep& sweep, int jobs, bool quiet, const std::vector<size_t>& only = {});

}  // namespace crossq
