// crossq report's statistics at the paper's size: 25 tasks x 10 seeds per algorithm, 50,000
// bootstrap replicates (rliable protocol), 2 threads. The numbers are in docs/performance.md.
#include <benchmark/benchmark.h>

#include <cmath>

#include "crossq/report/runs.h"
#include "crossq/report/stats.h"
#include "crossq/report/summary.h"
#include "crossq/core/rng.h"

namespace crossq::report {
namespace {

TaskScores synthetic(int tasks, int seeds, uint64_t seed) {
  Rng rng(seed);
  TaskScores s(tasks);
  for (auto& t : s)
    for (int i = 0; i < seeds; ++i) t.push_back(rng.uniform());
  return s;
}

void BM_BootstrapAggregates(benchmark::State& st) {
  const TaskScores s = synthetic(25, 10, 1);
  const BootstrapOptions opt{.reps = 50000, .threads = static_cast<int>(st.range(0))};
  for (auto _ : st) benchmark::DoNotOptimize(bootstrap_aggregates(s, opt));
}
BENCHMARK(BM_BootstrapAggregates)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

void BM_BootstrapProfile(benchmark::State& st) {
  const TaskScores s = synthetic(25, 10, 2);
  std::vector<double> taus(101);
  for (int i = 0; i < 101; ++i) taus[i] = i / 100.0;
  const BootstrapOptions opt{.reps = 50000, .threads = 2};
  for (auto _ : st) benchmark::DoNotOptimize(bootstrap_profile(s, taus, opt));
}
BENCHMARK(BM_BootstrapProfile)->Unit(benchmark::kMillisecond);

void BM_BootstrapProbabilityOfImprovement(benchmark::State& st) {
  const TaskScores x = synthetic(25, 10, 3), y = synthetic(25, 10, 4);
  const BootstrapOptions opt{.reps = 50000, .threads = 2};
  for (auto _ : st) benchmark::DoNotOptimize(bootstrap_probability_of_improvement(x, y, opt));
}
BENCHMARK(BM_BootstrapProbabilityOfImprovement)->Unit(benchmark::kMillisecond);

// every number of a default report: 3 algorithms x 25 tasks x 10 seeds, 41 evaluations each
void BM_Summarize_25x10x3(benchmark::State& st) {
  std::vector<Run> runs;
  std::vector<Variant> variants;
  Rng rng(5);
  for (const char* algo : {"crossq-wn", "sac", "bro"}) {
    variants.push_back({algo, algo, nlohmann::json::object()});
    for (int t = 0; t < 25; ++t)
      for (int seed = 0; seed < 10; ++seed) {
        Run r;
        r.path = "synthetic";
        r.task = "task" + std::to_string(t);
        r.algo = r.variant = algo;
        r.suite = "dmc";
        r.seed = seed;
        for (int k = 0; k <= 40; ++k) {
          r.steps.push_back(25000LL * k);
          r.scores.push_back((1 - std::exp(-k / 10.0)) * rng.uniform());
        }
        runs.push_back(std::move(r));
      }
  }
  const SummaryOptions opt;  // the defaults of `crossq report`
  for (auto _ : st) benchmark::DoNotOptimize(summarize(runs, variants, {}, {}, opt));
}
BENCHMARK(BM_Summarize_25x10x3)->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace
}  // namespace crossq::report
