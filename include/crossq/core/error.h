// Errors that reach the user: what went wrong, where, and how to fix it.
#pragma once
#include <sys/stat.h>

#include <stdexcept>
#include <string>

namespace crossq {

// exit statuses of the command-line tool
enum ExitCode : int {
  kExitOk = 0,
  kExitRuntime = 1,    // I/O failures and other runtime errors
  kExitUsage = 2,      // bad flags, configuration, task or algorithm names
  kExitDiverged = 3,   // NaN or Inf in a loss, gradient or parameter
  kExitSigint = 130,
  kExitSigterm = 143,
};

// A user-facing error. `what()` is the problem; `hint()` says how to fix it.
class Error : public std::runtime_error {
 public:
  Error(const std::string& what, std::string hint = {}, int exit_code = kExitRuntime)
      : std::runtime_error(what), hint_(std::move(hint)), exit_code_(exit_code) {}
  const std::string& hint() const { return hint_; }
  int exit_code() const { return exit_code_; }

 private:
  std::string hint_;
  int exit_code_;
};

// bad input from the user (flags, config, names): exit status 2
inline Error usage_error(const std::string& what, std::string hint = {}) {
  return Error(what, std::move(hint), kExitUsage);
}

// what a path is, for messages that refuse it: "a folder", "a FIFO (named pipe)", ...
inline const char* file_type_text(mode_t mode) {
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISREG(mode)) return "a regular file";
  return "of an unknown type";
}

}  // namespace crossq
