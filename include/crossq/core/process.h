// Running another program (sbatch, squeue, chromium) without a shell: its arguments are passed
// as they are, so no name or path is ever interpreted by a shell.
#pragma once
#include <string>
#include <vector>

namespace crossq {

struct ProcessResult {
  int status = -1;          // its exit status, 128 + signal if a signal ended it, -1 if it could not start
  bool timed_out = false;   // it ran past the timeout and was killed
  std::string out, err;     // what it wrote to stdout and stderr (each cut at 1 MiB)
};

// runs argv[0] (looked up on PATH when it has no '/') with stdin from /dev/null, and waits for
// it; a program still running after `timeout_s` seconds is killed (SIGKILL) and reported as
// timed out, so a hung command never hangs the caller. With `capture` false its output goes
// to this process's stdout and stderr.
ProcessResult run_process(const std::vector<std::string>& argv, double timeout_s, bool capture = true);

// whether `name` is an executable found on PATH (or a path to one)
bool on_path(const std::string& name);

}  // namespace crossq
