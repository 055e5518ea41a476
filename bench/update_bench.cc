// The critic update at the paper's sizes, and its GEMM-only bound, under Google Benchmark.
// `crossq bench update` prints the same measurements for scripts (--json).
#include <benchmark/benchmark.h>

#include "crossq/agents/crossq_agent.h"
#include "crossq/nn/gemm.h"

namespace crossq {
namespace {

// args: obs, act, threads
void BM_CriticUpdate(benchmark::State& state) {
  gemm_set_single_threaded();
  CrossQConfig c;
  c.obs_dim = static_cast<int>(state.range(0));
  c.act_dim = static_cast<int>(state.range(1));
  c.threads = static_cast<int>(state.range(2));
  Rng rng(1);
  CrossQAgent agent(c, rng);
  agent.set_collect_dead_fraction(false);
  Batch b(c.batch_size, c.obs_dim, c.act_dim);
  for (auto& x : b.obs) x = static_cast<float>(rng.normal());
  for (auto& x : b.next_obs) x = static_cast<float>(rng.normal());
  for (auto& x : b.act) x = static_cast<float>(rng.uniform(-1, 1));
  std::vector<float> eps(static_cast<size_t>(c.batch_size) * c.act_dim, 0.1f);
  for (auto _ : state) agent.critic_update(b, eps.data());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CriticUpdate)
    ->Args({67, 21, 1})->Args({67, 21, 2})->Args({17, 6, 1})->Args({17, 6, 2})
    ->Unit(benchmark::kMillisecond)->UseRealTime();

// the dominant GEMM alone: (512 x 512) x (512 x 512)
void BM_Gemm512(benchmark::State& state) {
  gemm_set_single_threaded();
  std::vector<float> a(512 * 512, 0.01f), b(512 * 512, 0.02f), c(512 * 512);
  for (auto _ : state) gemm(false, true, 512, 512, 512, 1.f, a.data(), 512, b.data(), 512, 0.f, c.data(), 512);
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * 512 * 512 * 512, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Gemm512)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace crossq
