// libFuzzer target: the report's run-folder reader (report::read_run, then group_variants on
// what it read) must answer any config.json / eval.csv / train.csv with a crossq::Error, never
// crash, hang or grow without bound. Input: the three files separated by a 0x01 byte;
// train.csv is left out when there is no second one. Each input is read twice: with the
// default limits, and with limits small enough that short inputs reach them (JSON nesting,
// line length, file size, rows, name length), so the limit paths are fuzzed too.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "crossq/core/error.h"
#include "crossq/report/runs.h"

namespace {

crossq::report::ReadLimits tight_limits() {
  crossq::report::ReadLimits l;
  l.config_bytes = 2048;
  l.json_depth = 3;
  l.csv_bytes = 4096;
  l.csv_line_bytes = 128;
  l.eval_rows = 8;
  l.train_rows = 8;
  l.name_bytes = 12;
  return l;
}

void read(const std::filesystem::path& dir, const crossq::report::ReadLimits& limits) {
  try {
    std::vector<crossq::report::Run> runs;
    runs.push_back(crossq::report::read_run(dir, limits));
    crossq::report::group_variants(runs);  // copies and dumps config values (recursive)
  } catch (const crossq::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("crossq_fuzz_runs_" + std::to_string(::getpid()));
  static const crossq::report::ReadLimits tight = tight_limits();
  std::filesystem::create_directories(dir);
  const std::string in(reinterpret_cast<const char*>(data), size);
  const size_t a = in.find('\x01');
  const size_t b = a == std::string::npos ? std::string::npos : in.find('\x01', a + 1);
  auto part = [&](size_t from, size_t to) {
    return from == std::string::npos ? std::string() : in.substr(from, to == std::string::npos ? std::string::npos : to - from);
  };
  std::ofstream(dir / "config.json", std::ios::binary) << part(0, a);
  std::ofstream(dir / "eval.csv", std::ios::binary) << part(a == std::string::npos ? a : a + 1, b);
  std::filesystem::remove(dir / "train.csv");
  if (b != std::string::npos) std::ofstream(dir / "train.csv", std::ios::binary) << in.substr(b + 1);
  read(dir, {});
  read(dir, tight);
  return 0;
}
