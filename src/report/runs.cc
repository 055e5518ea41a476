// Run folders -> Runs (docs/run-format.md). Every malformed input names its file and line.
//
// A run folder is untrusted input: it may come from another machine, a half-written run or a
// hostile archive. Nothing in it may crash, block or exhaust the report: files are opened only
// when they are regular files (never a FIFO or a device), every file, line and row count is
// bounded (ReadLimits), JSON nesting is bounded before nlohmann::json sees it (its serializer
// and copies recurse once per level), names that become file names are checked, the folder walk
// does not follow symbolic links, and every text echoed from a file is escaped and cut short.
#include "crossq/report/runs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <string_view>
#include <utility>

#include <fmt/core.h>

#include "crossq/core/error.h"

namespace crossq::report {
namespace fs = std::filesystem;
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr const char* kRerunHint = "rerun the run or leave it out (--skip-bad)";

// `s` with control characters and bytes that are not UTF-8 written as \xNN, cut to about
// `max` bytes: safe to print to a terminal and to store in summary.json (which must be UTF-8)
std::string printable(std::string_view s, size_t max = std::string_view::npos) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    if (out.size() >= max) return out + "...";
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    bool ok = n > 0 && i + n <= s.size();
    for (size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
    if (ok && n == 2) ok = c >= 0xc2 && !(c == 0xc2 && static_cast<unsigned char>(s[i + 1]) < 0xa0);  // overlong, C1 controls
    if (ok && n == 3) {
      const auto c1 = static_cast<unsigned char>(s[i + 1]);
      ok = !(c == 0xe0 && c1 < 0xa0) && !(c == 0xed && c1 >= 0xa0);  // overlong, surrogates
    }
    if (ok && n == 4) {
      const auto c1 = static_cast<unsigned char>(s[i + 1]);
      ok = !(c == 0xf0 && c1 < 0x90) && !(c == 0xf4 && c1 >= 0x90) && c <= 0xf4;
    }
    if (ok && n == 1 && (c < 0x20 || c == 0x7f)) ok = false;
    if (!ok) {
      out += fmt::format("\\x{:02x}", c);
      ++i;
      continue;
    }
    out.append(s.substr(i, n));
    i += n;
  }
  return out;
}

// 65536 -> "64 KiB", for naming a limit
std::string bytes_text(uint64_t n) {
  if (n >= (uint64_t{1} << 20) && n % (uint64_t{1} << 20) == 0) return fmt::format("{} MiB", n >> 20);
  if (n >= 1024 && n % 1024 == 0) return fmt::format("{} KiB", n >> 10);
  return fmt::format("{} bytes", n);
}

// an open file descriptor, closed on scope exit
class File {
 public:
  explicit File(int fd) : fd_(fd) {}
  File(File&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  File& operator=(File&&) = delete;
  ~File() {
    if (fd_ >= 0) ::close(fd_);
  }
  int fd() const { return fd_; }

 private:
  int fd_;
};

// opens `file` for reading only if it is a regular file (a symbolic link to one is followed) of
// at most `max_bytes`: a FIFO would block the open or the read forever, /dev/zero never ends.
// The type is checked before opening (opening some devices has effects) and again on the open
// descriptor (the file may have been replaced in between); O_NONBLOCK keeps even that open
// from blocking on a FIFO.
File open_regular(const fs::path& file, uint64_t max_bytes, const char* what) {
  struct stat st;
  if (::stat(file.c_str(), &st) != 0)
    throw Error(fmt::format("cannot open {}: {}", file.string(), std::strerror(errno)),
                "check the run folder was written by `crossq train`, or leave it out (--skip-bad)");
  auto check = [&](const struct stat& s) {
    if (!S_ISREG(s.st_mode))
      throw Error(fmt::format("{} is {}, not a regular file", file.string(), file_type_text(s.st_mode)),
                  "a run folder holds the regular files `crossq train` writes; leave the run out (--skip-bad)");
    if (static_cast<uint64_t>(s.st_size) > max_bytes)
      throw Error(fmt::format("{} is {} bytes, over the {} limit for {}", file.string(), s.st_size,
                              bytes_text(max_bytes), what),
                  "no run `crossq train` writes is this large; leave the run out (--skip-bad)");
  };
  check(st);
  File f(::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (f.fd() < 0)
    throw Error(fmt::format("cannot open {}: {}", file.string(), std::strerror(errno)),
                "check the run folder is readable, or leave it out (--skip-bad)");
  if (::fstat(f.fd(), &st) != 0)
    throw Error(fmt::format("cannot read {}: {}", file.string(), std::strerror(errno)));
  check(st);
  return f;
}

// reads up to `n` bytes, retrying on EINTR; 0 at end of file
size_t read_some(const File& f, const fs::path& file, char* buf, size_t n) {
  for (;;) {
    const ssize_t got = ::read(f.fd(), buf, n);
    if (got >= 0) return static_cast<size_t>(got);
    if (errno != EINTR)
      throw Error(fmt::format("cannot read {}: {}", file.string(), std::strerror(errno)));
  }
}

// a file read line by line through a fixed buffer: memory stays bounded by the line limit
// whatever the file holds, and reading stops at the byte limit even if the file grows
class LineReader {
 public:
  LineReader(const fs::path& file, uint64_t max_bytes, size_t max_line, const char* what)
      : file_(file), f_(open_regular(file, max_bytes, what)), max_bytes_(max_bytes),
        max_line_(max_line), what_(what) {}

  // the next line without its '\n' (and '\r'); false at the end of the file
  bool next(std::string& line) {
    for (;;) {
      const size_t nl = buf_.find('\n', pos_);
      if (nl != std::string::npos) {
        take(line, nl);
        pos_ = nl + 1;
        return true;
      }
      if (buf_.size() - pos_ > max_line_ + 1) too_long(lineno_ + 1);  // + 1: a '\r' before the '\n'
      if (eof_) {
        if (pos_ == buf_.size()) return false;
        take(line, buf_.size());
        pos_ = buf_.size();
        return true;
      }
      buf_.erase(0, pos_);
      pos_ = 0;
      const size_t old = buf_.size();
      buf_.resize(old + kChunk);
      const size_t got = read_some(f_, file_, buf_.data() + old, kChunk);
      buf_.resize(old + got);
      eof_ = got == 0;
      total_ += got;
      if (total_ > max_bytes_)
        throw Error(fmt::format("{} holds more than {}, the limit for {}", file_.string(),
                                bytes_text(max_bytes_), what_),
                    "no run `crossq train` writes is this large; leave the run out (--skip-bad)");
    }
  }
  int64_t lineno() const { return lineno_; }

 private:
  static constexpr size_t kChunk = 64 << 10;

  void take(std::string& line, size_t end) {
    ++lineno_;
    if (end - pos_ > max_line_ + 1) too_long(lineno_);
    line.assign(buf_, pos_, end - pos_);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.size() > max_line_) too_long(lineno_);
  }
  [[noreturn]] void too_long(int64_t lineno) const {
    throw Error(fmt::format("{}:{}: line longer than {}, the limit for a line of {}", file_.string(),
                            lineno, bytes_text(max_line_), what_),
                "the file is corrupt; " + std::string(kRerunHint));
  }

  fs::path file_;
  File f_;
  uint64_t max_bytes_;
  size_t max_line_;
  const char* what_;
  std::string buf_;
  size_t pos_ = 0;
  uint64_t total_ = 0;
  int64_t lineno_ = 0;
  bool eof_ = false;
};

// the whole of a small regular file
std::string read_small_file(const fs::path& file, uint64_t max_bytes, const char* what) {
  const File f = open_regular(file, max_bytes, what);
  std::string text;
  char buf[64 << 10];
  while (const size_t got = read_some(f, file, buf, sizeof buf)) {
    text.append(buf, got);
    if (text.size() > max_bytes)
      throw Error(fmt::format("{} holds more than {}, the limit for {}", file.string(),
                              bytes_text(max_bytes), what),
                  "no run `crossq train` writes is this large; leave the run out (--skip-bad)");
  }
  return text;
}

// the offset of the first '[' or '{' nested deeper than `limit` in JSON text (brackets inside
// strings do not count), or npos. Invalid JSON is left for the parser to reject.
size_t too_deep(std::string_view text, int limit) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return i;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::string_view::npos;
}

// a CSV of numbers with a header row; empty cells are NaN. Only the columns asked for are kept
// (every cell is still checked to be a number), so memory is a few doubles per row.
struct Csv {
  std::vector<std::string> header;  // (columns) every column
  std::vector<int> kept;            // (kept) the header index of each kept column
  std::vector<double> values;       // (rows * kept) the kept columns, row after row
  std::vector<int64_t> line;        // (rows) line number in the file, for errors

  size_t rows() const { return line.size(); }
  // the position of `name` among the kept columns, or -1
  int column(const std::string& name) const {
    for (size_t k = 0; k < kept.size(); ++k)
      if (header[kept[k]] == name) return static_cast<int>(k);
    return -1;
  }
  double at(size_t row, int col) const { return values[row * kept.size() + col]; }
};

// splits a line at every comma: "a,,b," is 4 cells
void split(const std::string& s, std::vector<std::string_view>& out) {
  out.clear();
  size_t from = 0;
  for (;;) {
    const size_t comma = s.find(',', from);
    if (comma == std::string::npos) {
      out.emplace_back(s.data() + from, s.size() - from);
      return;
    }
    out.emplace_back(s.data() + from, comma - from);
    from = comma + 1;
  }
}

Csv read_csv(const fs::path& file, const ReadLimits& lim, size_t max_rows, const char* what,
             const std::function<bool(const std::string&)>& keep) {
  LineReader in(file, lim.csv_bytes, lim.csv_line_bytes, what);
  Csv csv;
  std::string text, cell;
  std::vector<std::string_view> cells;
  std::vector<bool> kept_col;
  while (in.next(text)) {
    if (text.empty()) continue;
    split(text, cells);
    if (csv.header.empty()) {
      for (size_t c = 0; c < cells.size(); ++c) {
        csv.header.emplace_back(cells[c]);
        kept_col.push_back(keep(csv.header.back()));
        if (kept_col.back()) csv.kept.push_back(static_cast<int>(c));
      }
      continue;
    }
    if (cells.size() != csv.header.size())
      throw Error(fmt::format("{}:{}: {} cells, the header has {}", file.string(), in.lineno(),
                              cells.size(), csv.header.size()),
                  "the file is truncated or corrupt; rerun the run or leave it out (--skip-bad)");
    if (csv.rows() >= max_rows)
      throw Error(fmt::format("{}:{}: more than {} rows, the limit for {}", file.string(),
                              in.lineno(), max_rows, what),
                  "no run `crossq train` writes this many; leave the run out (--skip-bad)");
    for (size_t c = 0; c < cells.size(); ++c) {
      double v = kNaN;
      if (!cells[c].empty()) {
        cell.assign(cells[c]);
        char* end = nullptr;
        v = std::strtod(cell.c_str(), &end);
        if (end != cell.c_str() + cell.size())
          throw Error(fmt::format("{}:{}: column '{}' holds '{}', not a number", file.string(),
                                  in.lineno(), printable(csv.header[c], 60), printable(cell, 60)),
                      "the file is corrupt; rerun the run or leave it out (--skip-bad)");
      }
      if (kept_col[c]) csv.values.push_back(v);
    }
    csv.line.push_back(in.lineno());
  }
  if (csv.header.empty()) throw Error(fmt::format("{}: empty file, no header row", file.string()),
                                      kRerunHint);
  return csv;
}

int require_column(const Csv& csv, const fs::path& file, const std::string& name) {
  const int c = csv.column(name);
  if (c < 0)
    throw Error(fmt::format("{}:1: no '{}' column", file.string(), name),
                "see docs/run-format.md for the columns `crossq train` writes");
  return c;
}

// whether `name` is one of the critic<c>/<metric> columns the diagnostics average
bool is_critic_metric(const std::string& name) {
  if (name.rfind("critic", 0) != 0) return false;
  const size_t slash = name.find('/');
  if (slash == std::string::npos || slash == 6) return false;
  for (size_t i = 6; i < slash; ++i)
    if (name[i] < '0' || name[i] > '9') return false;
  const std::string_view metric(name.data() + slash + 1, name.size() - slash - 1);
  if (metric.rfind("elr_layer", 0) == 0 && metric.size() > 9) {
    for (size_t i = 9; i < metric.size(); ++i)
      if (metric[i] < '0' || metric[i] > '9') return false;
    return true;
  }
  return metric == "param_norm" || metric == "grad_norm" || metric == "elr" || metric == "dead_frac";
}

// the mean over critics of critic<c>/<metric>, skipping empty cells
std::vector<double> critic_mean(const Csv& csv, const std::string& metric) {
  std::vector<int> cols;
  for (int c = 0;; ++c) {
    const int col = csv.column(fmt::format("critic{}/{}", c, metric));
    if (col < 0) break;
    cols.push_back(col);
  }
  std::vector<double> out(csv.rows(), kNaN);
  for (size_t r = 0; r < csv.rows(); ++r) {
    double sum = 0;
    int n = 0;
    for (int col : cols)
      if (std::isfinite(csv.at(r, col))) sum += csv.at(r, col), ++n;
    if (n > 0) out[r] = sum / n;
  }
  return out;
}

// the effective learning rate of the scale-invariant layers: per critic, the mean of
// critic<c>/elr_layer<j> over every dense layer but the last (the output layer, which no
// normalization makes scale-invariant: its ELR falls as it learns, whatever the hidden layers
// do), then the mean over critics. A file without per-layer columns (or with one layer) gives
// critic<c>/elr, the mean over all layers.
std::vector<double> critic_hidden_elr(const Csv& csv) {
  std::vector<std::vector<int>> critics;
  for (int c = 0;; ++c) {
    std::vector<int> layers;
    for (int j = 0;; ++j) {
      const int col = csv.column(fmt::format("critic{}/elr_layer{}", c, j));
      if (col < 0) break;
      layers.push_back(col);
    }
    if (layers.empty()) break;
    if (layers.size() < 2) return critic_mean(csv, "elr");
    layers.pop_back();
    critics.push_back(std::move(layers));
  }
  if (critics.empty()) return critic_mean(csv, "elr");
  std::vector<double> out(csv.rows(), kNaN);
  for (size_t r = 0; r < csv.rows(); ++r) {
    double sum = 0;
    int n = 0;
    for (const auto& layers : critics) {
      double s = 0;
      int k = 0;
      for (int col : layers)
        if (std::isfinite(csv.at(r, col))) s += csv.at(r, col), ++k;
      if (k > 0) sum += s / k, ++n;
    }
    if (n > 0) out[r] = sum / n;
  }
  return out;
}

// FNV-1a: a short, stable tag for a text cut short in a variant name
uint32_t fnv1a(std::string_view s) {
  uint32_t h = 2166136261u;
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  return h;
}


// throws unless config.json's `field` is a safe name (safe_name)
void check_name(const fs::path& cfg_file, const char* field, const std::string& value,
                size_t max_bytes) {
  if (safe_name(value, max_bytes)) return;
  throw Error(fmt::format("{}: {} '{}' is not a safe name: it must be 1 to {} characters of "
                          "A-Z a-z 0-9 . _ = + - and not '.' or '..'",
                          cfg_file.string(), field, printable(value, 60), max_bytes),
              "names become parts of the report's file names; rename it in config.json or "
              "leave the run out (--skip-bad)");
}

// `hint`, with the way to leave the run out added if it does not say it already
std::string with_skip_hint(const std::string& hint) {
  if (hint.find("--skip-bad") != std::string::npos) return hint;
  return hint.empty() ? "leave the run out with --skip-bad" : hint + "; or leave the run out with --skip-bad";
}

}  // namespace

std::string label_text(const std::string& text) {
  std::string out = printable(text);
  if (out.size() <= 64) return out;
  return fmt::format("{}...#{:08x}", printable(text, 48), fnv1a(text));
}

namespace {
std::string value_text(const nlohmann::json& v) {
  return label_text(v.is_string() ? v.get<std::string>() : v.dump());
}
}  // namespace

bool safe_name(const std::string& name, size_t max_bytes) {
  if (name.empty() || name.size() > max_bytes || name == "." || name == "..") return false;
  for (char c : name) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '=' || c == '+' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::vector<fs::path> find_run_dirs(const std::vector<std::string>& roots,
                                    std::vector<Excluded>& skipped, const ReadLimits& limits) {
  std::set<fs::path> found;
  std::set<std::pair<dev_t, ino_t>> visited;  // folders listed, across roots
  for (const auto& root : roots) {
    struct stat st;
    if (::stat(root.c_str(), &st) != 0) {
      if (errno == ENOENT || errno == ENOTDIR)
        throw usage_error(fmt::format("run path '{}' does not exist", printable(root)),
                          "pass folders written by `crossq train` (e.g. runs/)");
      throw usage_error(fmt::format("cannot read run path '{}': {}", printable(root), std::strerror(errno)),
                        "pass folders written by `crossq train` (e.g. runs/)");
    }
    if (!S_ISDIR(st.st_mode))
      throw usage_error(fmt::format("run path '{}' is {}, not a folder", printable(root), file_type_text(st.st_mode)),
                        "pass run folders, or folders holding them (e.g. runs/)");
    std::error_code ec;
    fs::path base = fs::weakly_canonical(root, ec);
    if (ec) base = fs::absolute(root);
    // a root holding a config.json is a run (the walk below does not descend into it)
    struct stat cs;
    if (::lstat((base / "config.json").c_str(), &cs) == 0) {
      found.insert(base);
      continue;
    }
    // depth first, one folder listed at a time (one descriptor open); symbolic links are not
    // followed, so a link loop cannot trap the walk, and (device, inode) pairs catch a folder
    // reached twice (overlapping roots, bind mounts)
    std::vector<std::pair<fs::path, int>> stack = {{base, 0}};
    while (!stack.empty()) {
      const auto [dir, depth] = std::move(stack.back());
      stack.pop_back();
      struct stat ds;
      if (::lstat(dir.c_str(), &ds) == 0 && !visited.insert({ds.st_dev, ds.st_ino}).second) continue;
      fs::directory_iterator it(dir, ec);
      if (ec) {
        skipped.push_back({printable(dir.string()), "cannot list the folder: " + ec.message()});
        continue;
      }
      bool is_run = false;
      for (; it != fs::directory_iterator(); it.increment(ec)) {
        const fs::path& p = it->path();
        std::error_code sec;
        const fs::file_status s = it->symlink_status(sec);
        if (sec) continue;  // gone since it was listed
        if (p.filename() == "config.json") {
          is_run = true;  // read_run names the problem if it is not a regular file
        } else if (fs::is_directory(s)) {
          if (depth + 1 > limits.folder_depth)
            skipped.push_back({printable(p.string()),
                               fmt::format("more than {} folders below {}: not searched",
                                           limits.folder_depth, printable(root))});
          else
            stack.emplace_back(p, depth + 1);
        } else if (fs::is_symlink(s)) {
          struct stat ts;
          if (::stat(p.c_str(), &ts) == 0 && S_ISDIR(ts.st_mode) &&
              ::lstat((p / "config.json").c_str(), &cs) == 0)
            skipped.push_back({printable(p.string()),
                               "a symbolic link to a run folder: links are not followed (pass "
                               "the folder it points to as a run path)"});
        }
      }
      if (ec) skipped.push_back({printable(dir.string()), "cannot list the folder: " + ec.message()});
      if (is_run) found.insert(dir);
    }
  }
  return {found.begin(), found.end()};
}

Run read_run(const fs::path& dir, const ReadLimits& limits) {
  Run run;
  run.path = dir.string();
  if (printable(run.path) != run.path)
    throw Error(fmt::format("run folder {}: its path holds a control character or bytes that "
                            "are not UTF-8", printable(run.path)),
                "rename the folder, or leave it out (--skip-bad)");
  const fs::path cfg_file = dir / "config.json";
  const std::string text = read_small_file(cfg_file, limits.config_bytes, "config.json");
  if (const size_t at = too_deep(text, limits.json_depth); at != std::string_view::npos)
    throw Error(fmt::format("{}: arrays and objects nested more than {} deep (at byte {}), the "
                            "limit for config.json",
                            cfg_file.string(), limits.json_depth, at),
                "`crossq train` writes a flat object; " + std::string(kRerunHint));
  try {
    run.config = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {  // parse_error, and out_of_range on number overflow (found by fuzz_runs)
    // the parser's message quotes the input: escaped and cut short
    throw Error(fmt::format("{}: not valid JSON ({})", cfg_file.string(), printable(e.what(), 200)),
                kRerunHint);
  }
  if (!run.config.is_object()) throw Error(fmt::format("{}: not a JSON object", cfg_file.string()), kRerunHint);
  auto key = [&](const char* k) -> const nlohmann::json& {
    if (!run.config.contains(k))
      throw Error(fmt::format("{}: missing key '{}'", cfg_file.string(), k),
                  "see docs/run-format.md for the keys config.json must hold");
    return run.config[k];
  };
  try {
    run.task = key("task").get<std::string>();
    run.algo = key("algo").get<std::string>();
    run.suite = key("suite").get<std::string>();
    run.seed = key("seed").get<int64_t>();
  } catch (const nlohmann::json::type_error& e) {
    throw Error(fmt::format("{}: task, algo, suite must be strings and seed an integer ({})",
                            cfg_file.string(), e.what()),
                kRerunHint);
  }
  check_name(cfg_file, "task", run.task, limits.name_bytes);
  check_name(cfg_file, "algo", run.algo, limits.name_bytes);
  check_name(cfg_file, "suite", run.suite, limits.name_bytes);

  const fs::path eval_file = dir / "eval.csv";
  const Csv eval = read_csv(eval_file, limits, limits.eval_rows, "eval.csv",
                            [](const std::string& c) { return c == "env_step" || c == "score"; });
  const int c_step = require_column(eval, eval_file, "env_step");
  const int c_score = require_column(eval, eval_file, "score");
  for (size_t r = 0; r < eval.rows(); ++r) {
    const double step = eval.at(r, c_step), score = eval.at(r, c_score);
    if (!std::isfinite(step) || !std::isfinite(score))
      throw Error(fmt::format("{}:{}: env_step and score must be numbers", eval_file.string(), eval.line[r]));
    if (step < 0 || step > 1e15 || step != std::floor(step))
      throw Error(fmt::format("{}:{}: env_step {} is not a whole number of env steps in [0, 1e15]",
                              eval_file.string(), eval.line[r], step));
    if (!run.steps.empty() && step <= static_cast<double>(run.steps.back()))
      throw Error(fmt::format("{}:{}: env_step {} does not increase", eval_file.string(), eval.line[r], step));
    run.steps.push_back(static_cast<int64_t>(step));
    run.scores.push_back(score);
  }

  // train.csv is optional; when present (even as a dangling link) it must be readable
  const fs::path train_file = dir / "train.csv";
  struct stat ts;
  if (::lstat(train_file.c_str(), &ts) == 0) {
    const Csv train = read_csv(train_file, limits, limits.train_rows, "train.csv",
                               [](const std::string& c) { return c == "env_step" || is_critic_metric(c); });
    const int c = require_column(train, train_file, "env_step");
    Diagnostics& d = run.diagnostics;
    for (size_t r = 0; r < train.rows(); ++r) d.env_step.push_back(train.at(r, c));
    d.param_norm = critic_mean(train, "param_norm");
    d.grad_norm = critic_mean(train, "grad_norm");
    d.elr = critic_hidden_elr(train);
    d.dead_frac = critic_mean(train, "dead_frac");
  }
  return run;
}

std::vector<Run> load_runs(const std::vector<std::string>& roots, bool skip_bad,
                           std::vector<Excluded>& excluded, const ReadLimits& limits) {
  std::vector<Excluded> skipped;
  const std::vector<fs::path> dirs = find_run_dirs(roots, skipped, limits);
  excluded.insert(excluded.end(), skipped.begin(), skipped.end());
  std::vector<Run> runs;
  // one bad run never stops the others with skip_bad: whatever it throws
  auto bad = [&](const fs::path& dir, const std::string& what, const std::string& hint, int code) {
    if (!skip_bad) throw Error(what, with_skip_hint(hint), code);
    excluded.push_back({printable(dir.string()), "unreadable: " + printable(what)});
  };
  for (const auto& dir : dirs) {
    try {
      runs.push_back(read_run(dir, limits));
    } catch (const Error& e) {
      bad(dir, e.what(), e.hint(), e.exit_code());
    } catch (const std::exception& e) {  // std::bad_alloc, std::filesystem_error, ...
      bad(dir, fmt::format("{}: {}", printable(dir.string()), e.what()), kRerunHint, kExitRuntime);
    }
  }
  if (runs.empty()) {
    std::string list, why;
    for (const auto& r : roots) list += (list.empty() ? "" : ", ") + printable(r);
    for (size_t i = 0; i < excluded.size() && i < 20; ++i)
      why += "\n  " + excluded[i].path + ": " + excluded[i].reason;
    if (excluded.size() > 20) why += fmt::format("\n  ... and {} more", excluded.size() - 20);
    throw usage_error(fmt::format("no readable run folders under {}{}", list, why),
                      "pass folders written by `crossq train`: each run holds config.json and eval.csv");
  }
  return runs;
}

namespace {

// whether a run's value of `key` came from crossq's defaults (an algorithm, task or suite
// layer) rather than from the user (a flag, --set, a config or sweep file)
bool from_defaults(const nlohmann::json& config, const std::string& key) {
  if (!config.contains("sources") || !config["sources"].is_object()) return false;
  const auto it = config["sources"].find(key);
  if (it == config["sources"].end() || !it->is_string()) return false;
  const std::string s = it->get<std::string>();
  return s == "task" || s.rfind("algorithm", 0) == 0;
}

// fills keys that older runs lack with the default other runs of the algorithm on the task show
void fill_later_defaults(std::vector<Run>& runs, std::vector<std::string>* notes) {
  std::map<std::pair<std::string, std::string>, nlohmann::json> defaults;  // (algo, task) -> {key: value}
  std::map<std::string, nlohmann::json> algo_defaults;  // algo -> {key: value} of the task-independent layer
  for (const Run& r : runs)
    for (const auto& [k, v] : r.config.items())
      if (from_defaults(r.config, k)) {
        defaults[{r.algo, r.task}][k] = v;
        if (r.config["sources"][k] == "algorithm") algo_defaults[r.algo][k] = v;
      }
  std::map<std::string, int> filled;  // "key=value" -> runs
  auto fill = [&](Run& r, const nlohmann::json& from) {
    for (const auto& [k, v] : from.items())
      if (!r.config.contains(k)) {
        r.config[k] = v;
        ++filled[k + "=" + v.dump()];
      }
  };
  for (Run& r : runs) {
    if (const auto it = defaults.find({r.algo, r.task}); it != defaults.end()) fill(r, it->second);
    if (const auto it = algo_defaults.find(r.algo); it != algo_defaults.end()) fill(r, it->second);
  }
  if (notes)
    for (const auto& [kv, n] : filled)
      notes->push_back(fmt::format("{} run(s) written before the setting existed are taken to have its default {}", n,
                                   printable(kv, 120)));
}

}  // namespace

std::vector<Variant> group_variants(std::vector<Run>& runs, std::vector<std::string>* notes) {
  fill_later_defaults(runs, notes);
  static const std::set<std::string> kFixed = {"task", "algo", "seed", "suite", "run_keys", "sources", "version", "run_id"};
  auto bookkeeping = [](const Run& r) {
    std::set<std::string> keys(kFixed.begin(), kFixed.end());
    if (r.config.contains("run_keys") && r.config["run_keys"].is_array())
      for (const auto& k : r.config["run_keys"])
        if (k.is_string()) keys.insert(k.get<std::string>());
    return keys;
  };
  // per algorithm: (key, task) -> the values seen
  std::map<std::string, std::map<std::string, std::map<std::string, std::set<std::string>>>> seen;
  std::map<std::string, std::map<std::string, int>> task_runs;  // algo -> task -> runs
  std::map<std::string, std::set<std::string>> keys_of;         // algo -> every setting key
  for (const Run& r : runs) {
    const auto skip = bookkeeping(r);
    ++task_runs[r.algo][r.task];
    for (const auto& [k, v] : r.config.items())
      if (!skip.count(k)) keys_of[r.algo].insert(k);
  }
  for (const Run& r : runs) {
    for (const auto& k : keys_of[r.algo]) {
      if (bookkeeping(r).count(k)) continue;
      seen[r.algo][k][r.task].insert(r.config.contains(k) ? r.config[k].dump() : "(absent)");
    }
  }
  std::map<std::string, std::vector<std::string>> split_keys;  // algo -> variant keys
  for (const auto& [algo, keys] : seen)
    for (const auto& [k, per_task] : keys)
      for (const auto& [task, values] : per_task)
        if (values.size() > 1) {
          split_keys[algo].push_back(k);
          break;
        }
  std::map<std::string, Variant> variants;
  for (Run& r : runs) {
    Variant v{r.algo, r.algo, nlohmann::json::object()};
    for (const auto& k : split_keys[r.algo]) {
      const nlohmann::json val = r.config.contains(k) ? r.config[k] : nlohmann::json();
      v.settings[k] = val;
      v.name += fmt::format(" {}={}", label_text(k), r.config.contains(k) ? value_text(val) : "(absent)");
    }
    r.variant = v.name;
    variants.emplace(v.name, std::move(v));
  }
  std::vector<Variant> out;
  for (auto& [name, v] : variants) out.push_back(std::move(v));
  return out;
}

void align_runs(std::vector<Run>& runs, Incomplete policy, std::vector<Excluded>& excluded,
                std::vector<std::string>& notes) {
  std::map<std::pair<std::string, std::string>, std::vector<size_t>> groups;  // (variant, task)
  for (size_t i = 0; i < runs.size(); ++i) groups[{runs[i].variant, runs[i].task}].push_back(i);
  std::vector<bool> keep(runs.size(), true);
  for (auto& [key, idx] : groups) {
    const auto& [variant, task] = key;
    // one run per seed: the first path wins, the others are named
    std::map<int64_t, size_t> by_seed;
    std::vector<size_t> live;
    for (size_t i : idx) {
      if (runs[i].steps.empty()) {
        keep[i] = false;
        excluded.push_back({runs[i].path, "eval.csv has no evaluation rows yet"});
        continue;
      }
      const auto [it, fresh] = by_seed.emplace(runs[i].seed, i);
      if (!fresh) {
        keep[i] = false;
        excluded.push_back({runs[i].path, fmt::format("duplicate of seed {} of {} on {} (kept {})",
                                                      runs[i].seed, variant, task, runs[it->second].path)});
        continue;
      }
      live.push_back(i);
    }
    if (live.empty()) continue;
    int64_t last = 0;
    for (size_t i : live) last = std::max(last, runs[i].steps.back());
    if (policy == Incomplete::kDrop) {
      std::vector<size_t> complete;
      for (size_t i : live) {
        if (runs[i].steps.back() < last) {
          keep[i] = false;
          excluded.push_back({runs[i].path, fmt::format(
              "incomplete: last evaluation at step {}, other runs of {} on {} reach {} "
              "(--incomplete align keeps it, cutting all to the common steps)",
              runs[i].steps.back(), variant, task, last)});
        } else {
          complete.push_back(i);
        }
      }
      live = std::move(complete);
    }
    // the evaluation steps every remaining run has
    std::vector<int64_t> common = runs[live[0]].steps;
    for (size_t i : live) {
      std::vector<int64_t> both;
      std::set_intersection(common.begin(), common.end(), runs[i].steps.begin(),
                            runs[i].steps.end(), std::back_inserter(both));
      common = std::move(both);
    }
    for (size_t i : live) {
      Run& r = runs[i];
      if (r.steps == common) continue;
      if (common.empty()) {
        keep[i] = false;
        excluded.push_back({r.path, fmt::format("shares no evaluation step with the other runs of {} on {}", variant, task)});
        continue;
      }
      notes.push_back(fmt::format("{}: cut from {} evaluations (last step {}) to the {} steps all "
                                  "runs of {} on {} share (last step {})",
                                  r.path, r.steps.size(), r.steps.back(), common.size(), variant,
                                  task, common.back()));
      std::vector<double> scores;
      for (int64_t s : common)
        scores.push_back(r.scores[std::lower_bound(r.steps.begin(), r.steps.end(), s) - r.steps.begin()]);
      r.steps = common;
      r.scores = std::move(scores);
    }
  }
  std::vector<Run> kept;
  for (size_t i = 0; i < runs.size(); ++i)
    if (keep[i]) kept.push_back(std::move(runs[i]));
  runs = std::move(kept);
}

}  // namespace crossq::report
