// libFuzzer target: the report's run-folder reader (report::read_run) must answer any
// config.json / eval.csv / train.csv with a crossq::Error, never crash. Input:
// the three files separated by a 0x01 byte; train.csv is left out when there is no second one.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "crossq/error.h"
#include "crossq/report/runs.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("crossq_fuzz_runs_" + std::to_string(::getpid()));
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
  try {
    crossq::report::read_run(dir);
  } catch (const crossq::Error&) {
  }
  return 0;
}
