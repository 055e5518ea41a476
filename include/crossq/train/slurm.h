// The Slurm backend of sweeps (docs/sweeps.md): a sweep's unfinished runs become one sbatch
// array job, one array task per run. A task runs `crossq sweep task FILE INDEX`, which starts
// its run or resumes it from its checkpoint; the script requeues (`--requeue`) and catches the
// signals Slurm sends before a time limit (SIGUSR1) and on preemption, requeue or cancel
// (SIGTERM) so that the run writes its checkpoint first. `status` asks squeue (and sacct, where
// accounting runs) what became of each submitted task.
#pragma once
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "crossq/train/sweep.h"

namespace crossq {

// the files a submission writes, below OUT/.sweep/
struct SlurmPaths {
  std::string crossq;      // the crossq binary every node runs (the same path on every node)
  std::string sweep_copy;  // the sweep file as submitted (array indices refer to its runs)
  std::string log_dir;     // one log per array task: <job>_<index>.out
  std::string cwd;         // the folder the tasks run in (the sweep's relative paths resolve here)
};

// "0-3,5,7-9" for {0,1,2,3,5,7,8,9}
std::string index_list(const std::vector<size_t>& sorted_indices);

// the sbatch array script for runs `indices` of `sweep`, at most `throttle` at a time (0: no
// limit)
std::string slurm_array_script(const Sweep& sweep, const std::vector<size_t>& indices, int throttle,
                               const SlurmPaths& paths);

struct SlurmSubmission {
  std::string job_id;                  // "" for a dry run or when nothing was left to submit
  std::string script_path;             // "" when nothing was left to submit
  std::vector<size_t> indices;         // the runs submitted
  std::vector<std::string> left_out;   // one line per run not submitted, and why
};

// submits every run of the sweep that is neither done nor queued or running in an earlier
// submission, as one array job (`sbatch --parsable`), and records the job in
// OUT/.sweep/slurm.json. With `dry_run` it writes the script and submits nothing. Throws a
// usage error when sbatch is missing or refuses the job (with sbatch's message).
// `only`: the plan's indices of the runs to consider (empty: every run); array task k is still
// run k of the plan
SlurmSubmission submit_sweep_slurm(const Sweep& sweep, int throttle, bool dry_run, const std::vector<size_t>& only = {});

// what Slurm knows of each submitted run of the sweep, by run folder
struct SlurmTask {
  std::string job;    // "12_3": array job 12, task 3
  std::string state;  // squeue's or sacct's state (RUNNING, PENDING, CANCELLED, ...); "" if neither knows it
  std::string log;    // the task's log file
};
// `note` gets one line when squeue or sacct could not answer (the states are then "")
std::map<std::string, SlurmTask> slurm_tasks(const Sweep& sweep, std::string* note);

// Slurm's "12_3|RUNNING" lines (squeue -h -r -o '%i|%T', sacct -n -P -X -o JobID,State) as
// job -> state; sacct's "CANCELLED by 0" becomes CANCELLED
std::map<std::string, std::string> parse_job_states(const std::string& text);

// a run's status from its folder, corrected by what Slurm says of its task: a task Slurm
// cancelled is kCancelled, one Slurm ended with a failure (FAILED, NODE_FAIL, OUT_OF_MEMORY,
// TIMEOUT, ...) is kFailed naming the state, a pending one waiting, a running one running
RunStatus with_slurm(RunStatus folder, const SlurmTask& task);

// the canonical form of a run folder's path (the key of slurm_tasks)
std::string run_key(const std::string& dir);

}  // namespace crossq
