// Checkpoint cost at paper scale: a full replay buffer of 1M humanoid-size transitions
// (obs 67, act 21: 625 MB) written the way Trainer::run writes it (one write per array, CRC-32,
// fsync, rename) and loaded back with verification. The numbers are in docs/performance.md.
#include <benchmark/benchmark.h>

#include <filesystem>

#include "crossq/train/checkpoint.h"
#include "crossq/train/replay.h"

namespace crossq {
namespace {

constexpr int64_t kN = 1000000;
constexpr int kObs = 67, kAct = 21;

ReplayBuffer& full_buffer() {
  static ReplayBuffer* rb = [] {
    auto* b = new ReplayBuffer(kN, kObs, kAct);
    Rng rng(1);
    std::vector<float> o(kObs), a(kAct), n(kObs);
    for (int64_t i = 0; i < kN; ++i) {
      for (auto& x : o) x = static_cast<float>(rng.normal());
      for (auto& x : a) x = static_cast<float>(rng.uniform(-1, 1));
      for (auto& x : n) x = static_cast<float>(rng.normal());
      b->add(o.data(), a.data(), static_cast<float>(rng.normal()), n.data(), i % 1000 == 999);
    }
    return b;
  }();
  return *rb;
}

std::string path() { return (std::filesystem::temp_directory_path() / "crossq_bench_checkpoint.bin").string(); }

void write_replay(ReplayBuffer& rb) {
  CheckpointWriter w;
  const size_t n = static_cast<size_t>(rb.size());
  w.add("replay.obs", rb.obs().data(), n * kObs * sizeof(float));
  w.add("replay.act", rb.act().data(), n * kAct * sizeof(float));
  w.add("replay.reward", rb.reward().data(), n * sizeof(float));
  w.add("replay.next_obs", rb.next_obs().data(), n * kObs * sizeof(float));
  w.add("replay.terminated", rb.terminated().data(), n);
  w.write(path());
}

void BM_CheckpointWriteReplay1MHumanoid(benchmark::State& st) {
  ReplayBuffer& rb = full_buffer();
  for (auto _ : st) write_replay(rb);
  st.counters["MB"] = static_cast<double>(std::filesystem::file_size(path())) / 1e6;
  st.SetBytesProcessed(st.iterations() * static_cast<int64_t>(std::filesystem::file_size(path())));
}
BENCHMARK(BM_CheckpointWriteReplay1MHumanoid)->Iterations(3)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_CheckpointLoadReplay1MHumanoid(benchmark::State& st) {
  ReplayBuffer& rb = full_buffer();
  write_replay(rb);
  for (auto _ : st) {
    Checkpoint c = Checkpoint::load(path());
    c.read_into("replay.obs", rb.obs().data(), static_cast<size_t>(kN) * kObs * sizeof(float));
    c.read_into("replay.next_obs", rb.next_obs().data(), static_cast<size_t>(kN) * kObs * sizeof(float));
  }
  st.SetBytesProcessed(st.iterations() * static_cast<int64_t>(std::filesystem::file_size(path())));
}
BENCHMARK(BM_CheckpointLoadReplay1MHumanoid)->Iterations(3)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Crc32(benchmark::State& st) {
  std::vector<char> buf(64 << 20, 'x');
  for (auto _ : st) benchmark::DoNotOptimize(crc32(buf.data(), buf.size()));
  st.SetBytesProcessed(st.iterations() * static_cast<int64_t>(buf.size()));
}
BENCHMARK(BM_Crc32)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace crossq
