#include "crossq/train/run_folder.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/core.h>

#include "crossq/train/checkpoint.h"
#include "crossq/train/config.h"
#include "crossq/core/error.h"

namespace crossq {

namespace fs = std::filesystem;

namespace {

std::string errno_text() { return std::strerror(errno); }

// writes all of `bytes`; false (errno set) on a failed or short write
bool write_fully(int fd, const char* p, size_t bytes) {
  while (bytes > 0) {
    const ssize_t n = ::write(fd, p, bytes);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) {
      errno = ENOSPC;
      return false;
    }
    p += n;
    bytes -= static_cast<size_t>(n);
  }
  return true;
}

void fsync_folder(const std::string& path) {
  std::string dir = fs::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

// the kind of a non-regular file, for messages
// this process's command line, for the lock file (who holds a run folder)
std::string own_command() {
  std::ifstream f("/proc/self/cmdline", std::ios::binary);
  std::string s((std::istreambuf_iterator<char>(f)), {});
  for (char& c : s)
    if (c == '\0') c = ' ';
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return printable(s, 200);
}

}  // namespace

// ---- printable names and hashes

std::string printable(std::string_view s, size_t max) {
  std::string out;
  for (unsigned char c : s) {
    if (out.size() >= max) {
      out += "...";
      break;
    }
    if (c >= 0x20 && c < 0x7f)
      out += static_cast<char>(c);
    else
      out += fmt::format("\\x{:02x}", c);
  }
  return out;
}

std::string short_hash(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return fmt::format("{:08x}", static_cast<uint32_t>(h ^ (h >> 32)));
}

// ---- the lock

RunLock RunLock::acquire(const std::string& dir) {
  const std::string path = dir + "/" + kLockFile;
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0)
    throw Error(fmt::format("cannot open the lock file {}: {}", path, errno_text()),
                "check that the run folder exists and is writable", kExitRuntime);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    std::string holder;
    {
      char buf[512];
      const ssize_t n = ::pread(fd, buf, sizeof(buf), 0);
      if (n > 0) holder = printable(std::string_view(buf, static_cast<size_t>(n)), 240);
    }
    ::close(fd);
    if (err == EWOULDBLOCK)
      throw Error(fmt::format("run folder {} is in use by another process{}", dir,
                              holder.empty() ? "" : " (" + holder + ")"),
                  "wait for that run to finish or stop it (SIGTERM writes a checkpoint); one process "
                  "writes a run folder at a time",
                  kExitUsage);
    throw Error(fmt::format("cannot lock {}: {}", path, std::strerror(err)), "check the run folder",
                kExitRuntime);
  }
  // record the holder for whoever is refused next; the lock, not this text, is the guarantee
  const std::string who = fmt::format("pid {}: {}", ::getpid(), own_command());
  if (::ftruncate(fd, 0) == 0) (void)!::pwrite(fd, who.data(), who.size(), 0);
  RunLock l;
  l.fd_ = fd;
  return l;
}

RunLock& RunLock::operator=(RunLock&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the flock
}

// ---- logs

CsvLog CsvLog::create(const std::string& path, std::string_view header) {
  CsvLog l;
  l.path_ = path;
  l.fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (l.fd_ < 0)
    throw Error(fmt::format("cannot create {}: {}", path, errno_text()),
                "check the run folder's permissions and free disk space", kExitRuntime);
  l.append(header);
  return l;
}

CsvLog CsvLog::reopen(const std::string& path, LogMark mark) {
  CsvLog l;
  l.path_ = path;
  l.fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
  if (l.fd_ < 0)
    throw Error(fmt::format("cannot open {}: {}", path, errno_text()),
                "check the run folder's permissions", kExitRuntime);
  if (::ftruncate(l.fd_, mark.bytes) != 0)
    throw Error(fmt::format("cannot cut {} back to {} bytes: {}", path, mark.bytes, errno_text()),
                "check the run folder's permissions", kExitRuntime);
  l.mark_ = mark;
  return l;
}

CsvLog::CsvLog(CsvLog&& o) noexcept : path_(std::move(o.path_)), fd_(o.fd_), mark_(o.mark_) { o.fd_ = -1; }

CsvLog& CsvLog::operator=(CsvLog&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(o.path_);
    fd_ = o.fd_;
    mark_ = o.mark_;
    o.fd_ = -1;
  }
  return *this;
}

CsvLog::~CsvLog() {
  if (fd_ >= 0) ::close(fd_);
}

void CsvLog::append(std::string_view row) {
  if (fd_ < 0) throw Error("internal: write to a closed log " + path_);
  if (!write_fully(fd_, row.data(), row.size()))
    throw Error(fmt::format("cannot write {}: {}", path_, errno_text()),
                "free disk space (or fix the folder's permissions), then continue with `crossq train "
                "--resume` from the last good checkpoint, which is kept",
                kExitRuntime);
  mark_.crc = crc32(row.data(), row.size(), mark_.crc);
  mark_.bytes += static_cast<int64_t>(row.size());
}

void CsvLog::sync() {
  if (fd_ >= 0 && ::fsync(fd_) != 0 && errno != EINVAL)
    throw Error(fmt::format("cannot flush {}: {}", path_, errno_text()), "check the disk", kExitRuntime);
}

std::string check_log(const std::string& path, LogMark mark) {
  const std::string name = fs::path(path).filename().string();
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return fmt::format("{} is missing ({})", name, errno_text());
  if (!S_ISREG(st.st_mode)) return fmt::format("{} is {}, not a regular file", name, file_type_text(st.st_mode));
  if (st.st_size < mark.bytes)
    return fmt::format("{} holds {} bytes, the checkpoint recorded {}", name, st.st_size, mark.bytes);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return fmt::format("cannot read {}: {}", name, errno_text());
  uint32_t crc = 0;
  int64_t left = mark.bytes;
  std::vector<char> buf(1 << 16);
  while (left > 0) {
    const ssize_t n = ::read(fd, buf.data(), static_cast<size_t>(std::min<int64_t>(left, buf.size())));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    crc = crc32(buf.data(), static_cast<size_t>(n), crc);
    left -= n;
  }
  ::close(fd);
  if (left != 0) return fmt::format("{} could not be read to byte {}", name, mark.bytes);
  if (crc != mark.crc)
    return fmt::format("the first {} bytes of {} differ from what the checkpoint recorded (CRC-32 {:08x}, "
                       "the checkpoint has {:08x})",
                       mark.bytes, name, crc, mark.crc);
  return {};
}

std::string eval_csv_header() {
  return "env_step,return_mean,return_std,return_min,return_max,success_rate,success_last,score,episodes,"
         "wall_time_s\n";
}

std::string train_csv_header(const std::vector<CriticDiagnostics>& critics) {
  std::string h =
      "env_step,updates,losses/critic,losses/actor,losses/alpha,charts/alpha,charts/entropy,charts/q_mean,charts/sps";
  for (size_t k = 0; k < critics.size(); ++k) {
    h += fmt::format(",critic{0}/param_norm,critic{0}/grad_norm,critic{0}/elr,critic{0}/dead_frac", k);
    for (size_t j = 0; j < critics[0].elr.size(); ++j) h += fmt::format(",critic{}/elr_layer{}", k, j);
  }
  return h + "\n";
}

// ---- folders

// the variant suffix: experimental settings that differ from the algorithm's defaults
std::string variant_name(const nlohmann::json& cfg) {
  const nlohmann::json def = default_config(cfg["algo"], cfg["task"]);
  std::string v;
  for (const auto& s : option_specs()) {
    if (s.run_key || s.key == "task" || s.key == "algo" || s.key == "steps") continue;
    if (cfg[s.key] != def[s.key]) {
      std::string val = cfg[s.key].is_string() ? cfg[s.key].get<std::string>() : cfg[s.key].dump();
      // a value too long (or not plain enough) to spell in a folder name gets a stable hash
      const bool plain = std::all_of(val.begin(), val.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-' || ch == '+' || ch == ',';
      });
      if (val.size() > 24 || !plain) val = "h" + short_hash(val);
      v += "_" + s.key + "=" + val;
    }
  }
  // a folder name stays well below the file systems' 255-byte limit
  if (v.size() > 160) v = "_variant=h" + short_hash(v);
  return v;
}

std::string run_dir_of(const std::string& out, const nlohmann::json& cfg, uint64_t seed) {
  return fmt::format("{}/{}/{}{}/seed{}", out, cfg["task"].get<std::string>(), cfg["algo"].get<std::string>(),
                     variant_name(cfg), seed);
}

std::vector<RunLock> prepare_run_folders(const std::string& out, const std::vector<std::string>& dirs, bool overwrite) {
  for (const auto& d : dirs)
    if (fs::exists(d) && !overwrite)
      throw usage_error("run folder " + d + " already exists", "pass --overwrite to replace it, or choose another --out");
  {
    std::error_code ec;
    fs::create_directories(out, ec);
    const std::string probe = out + "/.crossq-write-test";
    std::ofstream t(probe);
    if (ec || !t) throw usage_error("cannot write to output folder '" + out + "'", "choose a writable --out");
    t.close();
    fs::remove(probe, ec);
  }
  // lock every run folder before any is cleared: a folder another process writes is refused
  // (exit status 2) with nothing changed
  std::vector<RunLock> locks;
  for (const auto& d : dirs) {
    std::error_code ec;
    fs::create_directories(d, ec);
    if (ec) throw Error("cannot create run folder " + d + ": " + ec.message(), "choose a writable --out");
    locks.push_back(RunLock::acquire(d));
  }
  for (const auto& d : dirs)  // overwrite: everything but the lock goes
    for (const auto& e : fs::directory_iterator(d))
      if (e.path().filename() != kLockFile) fs::remove_all(e.path());
  return locks;
}

// ---- config.json

void write_file_atomic(const std::string& path, std::string_view text) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0)
    throw Error(fmt::format("cannot create {}: {}", tmp, errno_text()),
                "check the folder's permissions and free disk space", kExitRuntime);
  if (!write_fully(fd, text.data(), text.size()) || ::fsync(fd) != 0) {
    const std::string why = errno_text();
    ::close(fd);
    ::unlink(tmp.c_str());
    throw Error(fmt::format("cannot write {}: {}", path, why), "free disk space, then try again", kExitRuntime);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = errno_text();
    ::unlink(tmp.c_str());
    throw Error(fmt::format("cannot rename {} to {}: {}", tmp, path, why), "check the folder", kExitRuntime);
  }
  fsync_folder(path);
}

void write_config_json(const std::string& dir, const nlohmann::json& cfg) {
  write_file_atomic(dir + "/config.json", cfg.dump(2) + "\n");
}

bool json_depth_within(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

nlohmann::json read_json_file(const std::string& path, const std::string& label, const std::string& hint) {
  constexpr int64_t kMaxBytes = 1 << 20;
  auto bad = [&](const std::string& why) { return Error(fmt::format("{}: {}", label, why), hint, kExitUsage); };
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw bad(fmt::format("cannot read {} ({})", path, errno_text()));
  if (!S_ISREG(st.st_mode)) throw bad(fmt::format("{} is {}, not a regular file", path, file_type_text(st.st_mode)));
  if (st.st_size > kMaxBytes)
    throw bad(fmt::format("{} holds {} bytes, more than the {} a settings file may hold", path, st.st_size, kMaxBytes));
  std::ifstream f(path, std::ios::binary);
  if (!f) throw bad(fmt::format("cannot read {} ({})", path, errno_text()));
  std::string text((std::istreambuf_iterator<char>(f)), {});
  if (f.bad()) throw bad(fmt::format("cannot read {}", path));
  if (!json_depth_within(text, 64)) throw bad("the JSON is nested more than 64 levels deep");
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) throw bad("not valid JSON");
  if (!j.is_object()) throw bad("expected a JSON object of settings, {\"key\": value, ...}");
  return j;
}

nlohmann::json read_config_json(const std::string& dir) {
  const std::string path = dir + "/config.json";
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    throw Error(fmt::format("{} is {}, not a regular file", path, file_type_text(st.st_mode)),
                "the run folder was modified; restore its config.json or start the run again", kExitUsage);
  return read_json_file(path, path, "the run folder was modified; restore its config.json or start the run again");
}

}  // namespace crossq
