#include "crossq/core/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <sstream>

extern char** environ;

namespace crossq {

namespace {
constexpr size_t kCaptureLimit = 1 << 20;

void drain(int fd, std::string& into, bool& open) {
  char buf[4096];
  const ssize_t n = ::read(fd, buf, sizeof buf);
  if (n > 0) {
    if (into.size() < kCaptureLimit) into.append(buf, std::min<size_t>(static_cast<size_t>(n), kCaptureLimit - into.size()));
  } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
    open = false;
  }
}
}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv, double timeout_s, bool capture) {
  ProcessResult r;
  if (argv.empty()) return r;
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int out[2] = {-1, -1}, err[2] = {-1, -1};
  if (capture && (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)) return r;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  if (capture) {
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  }
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (capture) {
    ::close(out[1]);
    ::close(err[1]);
  }
  if (rc != 0) {
    if (capture) {
      ::close(out[0]);
      ::close(err[0]);
    }
    r.err = std::string("cannot start ") + argv[0];
    return r;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  bool out_open = capture, err_open = capture;
  int status = 0;
  bool reaped = false;
  while (!reaped) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0 && !r.timed_out) {
      ::kill(pid, SIGKILL);
      r.timed_out = true;
    }
    if (out_open || err_open) {
      pollfd fds[2] = {{out_open ? out[0] : -1, POLLIN, 0}, {err_open ? err[0] : -1, POLLIN, 0}};
      const int wait_ms = r.timed_out ? 100 : static_cast<int>(std::min<long long>(left, 100));
      if (::poll(fds, 2, std::max(wait_ms, 1)) > 0) {
        if (fds[0].revents) drain(out[0], r.out, out_open);
        if (fds[1].revents) drain(err[0], r.err, err_open);
      }
    } else {
      ::usleep(10000);
    }
    const pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) reaped = true;
    else if (w < 0 && errno != EINTR) break;
  }
  // what is left in the pipes after the exit (for at most a second: a child the program left
  // running may hold them open)
  for (int k = 0; k < 20 && (out_open || err_open); ++k) {
    pollfd fds[2] = {{out_open ? out[0] : -1, POLLIN, 0}, {err_open ? err[0] : -1, POLLIN, 0}};
    if (::poll(fds, 2, 50) > 0) {
      if (fds[0].revents) drain(out[0], r.out, out_open);
      if (fds[1].revents) drain(err[0], r.err, err_open);
    }
  }
  if (capture) {
    ::close(out[0]);
    ::close(err[0]);
  }
  if (reaped) r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

bool on_path(const std::string& name) {
  if (name.empty()) return false;
  auto exe = [](const std::string& p) {
    struct stat st;
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
  };
  if (name.find('/') != std::string::npos) return exe(name);
  const char* path = std::getenv("PATH");
  std::stringstream ss(path ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(ss, dir, ':');)
    if (exe((dir.empty() ? "." : dir) + "/" + name)) return true;
  return false;
}

}  // namespace crossq
