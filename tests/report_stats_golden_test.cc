// The C++ statistics against golden values from an independent numpy/scipy implementation
// (tools/report_golden.py, committed output in tests/testdata/report/stats_golden.json).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "crossq/report/stats.h"

namespace crossq::report {
namespace {

constexpr int kReps = 50000;  // C++ replicates; the fixture used many more (its "reps")
// Point estimates: the same formulas in a different summation order.
constexpr double kPointTol = 1e-12;
// CI ends: each side's percentile estimate has Monte-Carlo standard error mc_se * sqrt(B_py /
// B) (mc_se is the fixture's, from a normal fit: sqrt(q (1 - q) / B) / density). An end must
// agree within 6 combined standard errors plus one atom: a lattice-valued statistic (ties, few
// runs) may land on the neighbouring value (the fixture's atom_lo / atom_hi), plus 1e-9.
constexpr double kSigmas = 6.0;

nlohmann::json load() {
  std::ifstream f(CROSSQ_TESTDATA_DIR "/report/stats_golden.json");
  if (!f) throw std::runtime_error("missing tests/testdata/report/stats_golden.json");
  return nlohmann::json::parse(f);
}

// the fixture stores (runs x tasks); crossq takes (tasks)(runs)
TaskScores by_task(const nlohmann::json& m) {
  TaskScores s(m[0].size());
  for (const auto& run : m)
    for (size_t t = 0; t < run.size(); ++t) s[t].push_back(run[t].get<double>());
  return s;
}

double standard_error(const nlohmann::json& g, double py_reps) {
  const double se_py = g["mc_se"].get<double>();
  const double se_cpp = se_py * std::sqrt(py_reps / kReps);
  return std::hypot(se_py, se_cpp);
}

void expect_interval(const Interval& got, const nlohmann::json& g, double py_reps,
                     const std::string& what, double* worst) {
  EXPECT_NEAR(got.point, g["point"].get<double>(), kPointTol) << what;
  const double se = standard_error(g, py_reps);
  const double lo = g["lo"].get<double>(), hi = g["hi"].get<double>();
  EXPECT_NEAR(got.lo, lo, kSigmas * se + g["atom_lo"].get<double>() + 1e-9) << what << " lower end";
  EXPECT_NEAR(got.hi, hi, kSigmas * se + g["atom_hi"].get<double>() + 1e-9) << what << " upper end";
  // deviation in standard errors, not counting a one-atom jump
  const auto dev = [&](double d, double atom) { return std::max(0.0, d - atom) / (se + 1e-300); };
  *worst = std::max({*worst, dev(std::abs(got.lo - lo), g["atom_lo"].get<double>()),
                     dev(std::abs(got.hi - hi), g["atom_hi"].get<double>())});
}

TEST(ReportStatsGolden, AggregatesAndProfilesMatchNumpyScipy) {
  const auto ref = load();
  const double py_reps = ref["reps"].get<double>();
  const double ci = ref["ci"].get<double>();
  const std::vector<double> taus = ref["taus"].get<std::vector<double>>();
  const BootstrapOptions opt{.reps = kReps, .seed = 11, .ci = ci};
  double worst = 0;
  int checked = 0;
  for (const auto& [name, m] : ref["matrices"].items()) {
    const TaskScores s = by_task(m["scores_runs_by_tasks"]);
    const auto& g = m["aggregates"];
    const Aggregates a = bootstrap_aggregates(s, opt);
    expect_interval(a.iqm, g["iqm"], py_reps, name + " iqm", &worst);
    expect_interval(a.mean, g["mean"], py_reps, name + " mean", &worst);
    expect_interval(a.median, g["median"], py_reps, name + " median", &worst);
    expect_interval(a.optimality_gap, g["optimality_gap"], py_reps, name + " gap", &worst);
    // the point functions alone agree too
    EXPECT_NEAR(iqm(s), g["iqm"]["point"].get<double>(), kPointTol) << name;
    const auto p = bootstrap_profile(s, taus, opt);
    for (size_t i = 0; i < taus.size(); ++i)
      expect_interval(p[i], m["profile"][i], py_reps, name + " profile tau " + std::to_string(taus[i]),
                      &worst);
    checked += 4 + static_cast<int>(taus.size());
  }
  std::printf("golden: %d intervals; worst CI-end deviation %.2f Monte-Carlo standard errors\n",
              checked, worst);
  EXPECT_GT(checked, 40);
}

TEST(ReportStatsGolden, ProbabilityOfImprovementMatchesMannWhitneyU) {
  const auto ref = load();
  const double py_reps = ref["reps"].get<double>();
  const BootstrapOptions opt{.reps = kReps, .seed = 12, .ci = ref["ci"].get<double>()};
  double worst = 0;
  for (const auto& g : ref["probability_of_improvement"]) {
    const std::string xn = g["x"], yn = g["y"];
    const TaskScores x = by_task(ref["matrices"][xn]["scores_runs_by_tasks"]);
    const TaskScores y = by_task(ref["matrices"][yn]["scores_runs_by_tasks"]);
    const Interval got = bootstrap_probability_of_improvement(x, y, opt);
    expect_interval(got, g, py_reps, "P(" + xn + " > " + yn + ")", &worst);
  }
  std::printf("golden: worst probability-of-improvement CI-end deviation %.2f standard errors\n",
              worst);
}

}  // namespace
}  // namespace crossq::report
