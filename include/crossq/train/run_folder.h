// The files of one run folder (docs/run-format.md) and the rules that keep them whole:
//   config.json     the run's settings, written atomically (temporary file, fsync, rename)
//   eval.csv        one row per evaluation  } append-only logs: every write is checked, and a
//   train.csv       one row per log interval } checkpoint records each one's length and CRC-32
//   checkpoint.bin  the run's state (checkpoint.h)
//   .lock           an exclusive advisory lock, held by the one process that writes the folder
// A resume checks the checkpoint against the folder (run id, settings, the logs' lengths and
// checksums) before it changes anything (docs/robustness.md).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "crossq/agents/agent.h"

namespace crossq {

// the exclusive lock on a run folder (flock on <dir>/.lock). The kernel releases it when the
// process ends, however it ends, so a killed run never leaves a stale lock behind.
class RunLock {
 public:
  RunLock() = default;
  // takes the lock, creating <dir>/.lock; a folder locked by another process is refused with
  // exit status 2, naming the holder (its pid and command, recorded in the lock file)
  static RunLock acquire(const std::string& dir);
  RunLock(RunLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  RunLock& operator=(RunLock&& o) noexcept;
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  ~RunLock();
  bool held() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// the name of the lock file inside a run folder
inline constexpr const char* kLockFile = ".lock";

// what a checkpoint records of a log file: its length and the CRC-32 of those bytes
struct LogMark {
  int64_t bytes = 0;
  uint32_t crc = 0;
  bool operator==(const LogMark& o) const { return bytes == o.bytes && crc == o.crc; }
};

// An append-only CSV log. Rows go to the file with one write each (no user-space buffer that
// could hide an error); a failed or short write throws (exit status 1) naming the file. The
// log tracks the length and CRC-32 of what it holds, for the checkpoint.
class CsvLog {
 public:
  CsvLog() = default;
  // creates (or truncates) `path` and writes `header`
  static CsvLog create(const std::string& path, std::string_view header);
  // opens `path` for appending after the first `mark.bytes` bytes (the file was cut to them)
  static CsvLog reopen(const std::string& path, LogMark mark);
  CsvLog(CsvLog&& o) noexcept;
  CsvLog& operator=(CsvLog&& o) noexcept;
  CsvLog(const CsvLog&) = delete;
  CsvLog& operator=(const CsvLog&) = delete;
  ~CsvLog();

  void append(std::string_view row);  // `row` ends with '\n'
  void sync();                        // fsync; throws naming the file
  LogMark mark() const { return mark_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
  LogMark mark_;
};

// Why a log file does not hold the first `mark.bytes` bytes a checkpoint recorded ("eval.csv is
// a FIFO, not a regular file", "... holds 120 bytes, the checkpoint recorded 240", "... differs
// from what the checkpoint recorded (CRC-32 ...)"); empty when it does. Reads at most
// mark.bytes bytes.
std::string check_log(const std::string& path, LogMark mark);

// the logs' header lines (docs/run-format.md): eval.csv's, and train.csv's for the critics'
// diagnostics an agent reports (per critic: norms, effective learning rate per dense layer)
std::string eval_csv_header();
std::string train_csv_header(const std::vector<CriticDiagnostics>& critics);

// writes <dir>/config.json atomically (temporary file, fsync, rename, fsync of the folder)
void write_config_json(const std::string& dir, const nlohmann::json& cfg);
// reads a settings file: a regular file of at most 1 MiB holding a JSON object nested at most
// 64 levels deep; throws (exit status 2) "<label>: <fault>" with `hint`
nlohmann::json read_json_file(const std::string& path, const std::string& label, const std::string& hint);
// <dir>/config.json read the same way (and not through a symbolic link)
nlohmann::json read_config_json(const std::string& dir);
// true when `text` is JSON nested at most `max_depth` levels (strings are skipped), checked
// before nlohmann's recursive parser sees it
bool json_depth_within(std::string_view text, int max_depth);

// the variant suffix of a run's folder name: "_key=value" for each experimental setting that
// differs from the algorithm's defaults on the task (long or unusual values hashed, run-format.md)
std::string variant_name(const nlohmann::json& cfg);
// <out>/<task>/<algo><variant>/seed<seed>
std::string run_dir_of(const std::string& out, const nlohmann::json& cfg, uint64_t seed);
// makes run folders ready for new runs: an existing one without `overwrite` is refused (exit
// status 2, nothing written), `out` must be writable, then each folder is created and locked
// (every lock before any folder is cleared) and, with `overwrite`, emptied but for its lock.
// Returns the locks, which the runs hold for their lifetime.
std::vector<RunLock> prepare_run_folders(const std::string& out, const std::vector<std::string>& dirs, bool overwrite);

// writes `text` to `path` atomically (temporary file, fsync, rename, fsync of the folder)
void write_file_atomic(const std::string& path, std::string_view text);

// `s` made safe to print: control and non-ASCII bytes as \xNN, cut to `max` characters
std::string printable(std::string_view s, size_t max = 80);

// a short stable hash of a value (FNV-1a 64, 8 hex digits), for folder names too long to spell
std::string short_hash(std::string_view s);

}  // namespace crossq
