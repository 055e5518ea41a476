// Sweeps (docs/sweeps.md): one JSON file names a grid of runs, tasks x algorithms x variants x
// seeds, and where they go. Every run folder is the one `crossq train` writes for the same
// settings, so `crossq report` reads a sweep's output as it is. The local backend runs the
// grid on this machine's cores, skipping finished runs and resuming interrupted ones.
#pragma once
#include <cstdint>
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
  std::string time_limit, partition;  // for cluster backends
  std::vector<SweepRun> runs;
};

// reads and checks a sweep file; throws a usage error (exit status 2) naming the key, the
// variant or the run that is wrong: unknown keys, tasks or algorithms, an empty grid, two
// variants of one name, two runs in one folder, settings out of range
Sweep load_sweep(const std::string& path);

// where a run stands, read from its folder
struct RunStatus {
  enum class State { kDone, kRunning, kWaiting, kInterrupted, kFailed } state = State::kWaiting;
  int64_t env_step = 0;  // of its latest checkpoint (0 when there is none)
  std::string error;     // kFailed: the last error line
};
RunStatus run_status(const SweepRun& run);
const char* state_name(RunStatus::State s);

// runs every unfinished run of the sweep on this machine, `jobs` at a time: a finished run is
// skipped, an interrupted one resumed from its checkpoint, one that failed started again. On
// SIGINT / SIGTERM every running run writes its checkpoint and the sweep stops (exit status
// 130 / 143; running it again continues). Returns the number of runs that failed (each
// leaves its error in <run>/error.txt).
int run_sweep_local(const Sweep& sweep, int jobs, bool quiet);

}  // namespace crossq
