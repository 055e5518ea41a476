// Helpers of the tests that run the crossq binary (train_cli_test.cc, run_safety_test.cc): run
// a command line, make and read files, start a run and interrupt it, compare two runs' logs.
#pragma once
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace crossq {
namespace testutil {

namespace fs = std::filesystem;

struct Result {
  int status = -1;
  std::string output;  // stdout and stderr
};

// runs `crossq ARGS` (or, with crossq false, the shell command ARGS), stdout and stderr together
inline Result run(const std::string& args, bool crossq = true) {
  Result r;
  FILE* p = popen(((crossq ? std::string(CROSSQ_BINARY) + " " : std::string()) + args + " 2>&1").c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

inline std::string temp_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("crossq_cli_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  return d.string();
}

inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
}

inline std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// a small pendulum run that checkpoints often: tiny networks keep it to a few seconds
inline const std::string kRunArgs =
    "train --quiet --task pendulum --steps 12000 --warmup 300 --eval-every 1000 --eval-episodes 2 "
    "--log-every 50 --checkpoint-every 1500 --threads 1 --critic-hidden 32 --actor-hidden 32 "
    "--batch-size 32";

// kRunArgs with some of its flags changed, e.g. with_flags({{"--steps", "3000"}})
inline std::string with_flags(const std::vector<std::pair<std::string, std::string>>& changes) {
  std::string a = kRunArgs;
  for (const auto& [flag, value] : changes) {
    const size_t at = a.find(flag + " ");
    if (at == std::string::npos) {
      a += " " + flag + " " + value;
      continue;
    }
    const size_t end = a.find(' ', at + flag.size() + 1);
    a = a.substr(0, at) + flag + " " + value + (end == std::string::npos ? "" : a.substr(end));
  }
  return a;
}

inline std::string run_dir(const std::string& out) {
  for (const auto& e : fs::recursive_directory_iterator(out))
    if (e.path().filename() == "config.json") return e.path().parent_path().string();
  return "";
}

// a CSV without the columns named in `drop` (wall-clock measurements)
inline std::vector<std::string> csv_without(const std::string& path, const std::vector<std::string>& drop) {
  std::ifstream f(path);
  std::vector<std::string> rows;
  std::vector<bool> keep;
  std::string line;
  while (std::getline(f, line)) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) cells.push_back(cell);
    if (!line.empty() && line.back() == ',') cells.push_back("");
    if (keep.empty())
      for (const auto& c : cells) keep.push_back(std::find(drop.begin(), drop.end(), c) == drop.end());
    std::string row;
    for (size_t i = 0; i < cells.size(); ++i)
      if (i >= keep.size() || keep[i]) row += cells[i] + ",";
    rows.push_back(row);
  }
  return rows;
}

inline void expect_same_run(const std::string& a, const std::string& b) {
  const auto ea = csv_without(a + "/eval.csv", {"wall_time_s"}), eb = csv_without(b + "/eval.csv", {"wall_time_s"});
  const auto ta = csv_without(a + "/train.csv", {"charts/sps"}), tb = csv_without(b + "/train.csv", {"charts/sps"});
  ASSERT_GT(ea.size(), 10u);
  ASSERT_GT(ta.size(), 100u);
  EXPECT_EQ(ea, eb);
  EXPECT_EQ(ta, tb);
}

// the number of lines of a file (0 when it is missing)
inline int64_t line_count(const std::string& path) {
  std::ifstream f(path);
  return std::count(std::istreambuf_iterator<char>(f), {}, '\n');
}

// starts `args` (a crossq command line) in the background, its output discarded; returns the pid
inline pid_t start(const std::string& args) {
  const pid_t pid = fork();
  if (pid == 0) {
    const int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    execl("/bin/sh", "sh", "-c", ("exec " + std::string(CROSSQ_BINARY) + " " + args).c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

// waits for a process; its exit status, or 128 + the signal that ended it
inline int wait_status(pid_t pid) {
  int st = 0;
  waitpid(pid, &st, 0);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// starts the run of `args` (kRunArgs) into `out`, waits until its eval.csv holds `rows`
// evaluations (a checkpoint after step 0 exists by then), sends `sig`, returns the exit status
inline int interrupt(const std::string& out, int sig, int rows = 2, const std::string& args = kRunArgs) {
  const pid_t pid = start(args + " --out " + out);
  const auto t0 = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - t0 < std::chrono::seconds(60)) {
    const std::string d = fs::exists(out) ? run_dir(out) : "";
    if (!d.empty() && line_count(d + "/eval.csv") >= rows + 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  kill(pid, sig);
  return wait_status(pid);
}

}  // namespace testutil
}  // namespace crossq
