// rliable's statistics on score sets small enough to check by hand.
#include <gtest/gtest.h>

#include <vector>

#include "crossq/core/error.h"
#include "crossq/report/stats.h"

namespace crossq::report {
namespace {

double iqm_of(std::vector<double> x) { return trimmed_iqm(x); }

TEST(ReportStats, IqmDropsAQuarterFromEachEnd) {
  // 8 values: drop 2 from each end, the mean of 3, 4, 5, 6
  EXPECT_DOUBLE_EQ(iqm_of({8, 1, 7, 2, 6, 3, 5, 4}), 4.5);
  // known matrix (2 tasks x 4 runs): all 8 scores, middle 0.3 .. 0.6
  EXPECT_NEAR(iqm({{0.1, 0.2, 0.3, 0.4}, {0.5, 0.6, 0.7, 0.8}}), 0.45, 1e-15);
}

TEST(ReportStats, IqmTrimsFloorOfAQuarterWhenNIsNotAMultipleOfFour) {
  // n = 5: floor(1.25) = 1 from each end of 1 2 3 10 100 leaves 2 3 10
  EXPECT_DOUBLE_EQ(iqm_of({10, 1, 3, 2, 100}), 5.0);
  // n = 6: 1 from each end of 1..6 leaves 2..5
  EXPECT_DOUBLE_EQ(iqm_of({6, 5, 4, 3, 2, 1}), 3.5);
  // n = 7: 1 from each end of 0 1 2 3 4 5 60 leaves 1..5
  EXPECT_DOUBLE_EQ(iqm_of({60, 0, 5, 1, 4, 2, 3}), 3.0);
  // n = 3: floor(0.75) = 0, nothing dropped
  EXPECT_DOUBLE_EQ(iqm_of({1, 2, 9}), 4.0);
}

TEST(ReportStats, SingleRunIsItsOwnEveryStatistic) {
  EXPECT_DOUBLE_EQ(iqm_of({0.7}), 0.7);
  const TaskScores one = {{0.7}};
  EXPECT_DOUBLE_EQ(iqm(one), 0.7);
  EXPECT_DOUBLE_EQ(mean(one), 0.7);
  EXPECT_DOUBLE_EQ(median(one), 0.7);
  EXPECT_NEAR(optimality_gap(one), 0.3, 1e-15);
  const Aggregates a = bootstrap_aggregates(one, {.reps = 1000, .seed = 3});
  for (const Interval& i : {a.iqm, a.mean, a.median}) {
    EXPECT_DOUBLE_EQ(i.point, 0.7);
    EXPECT_DOUBLE_EQ(i.lo, 0.7);
    EXPECT_DOUBLE_EQ(i.hi, 0.7);
  }
}

TEST(ReportStats, TiesAreKeptOnBothSidesOfTheCut) {
  // 1 1 1 1 5 5 5 5: the middle four are 1 1 5 5
  EXPECT_DOUBLE_EQ(iqm_of({5, 1, 5, 1, 5, 1, 5, 1}), 3.0);
  EXPECT_DOUBLE_EQ(iqm_of({2, 2, 2, 2, 2}), 2.0);
  // a tie counts half in the probability of improvement: pairs (1,0) (1,2) (2,0) (2,2)
  // give 1 + 0 + 1 + 0.5 over 4
  EXPECT_DOUBLE_EQ(probability_of_improvement({{1, 2}}, {{0, 2}}), 0.625);
  EXPECT_DOUBLE_EQ(probability_of_improvement({{0, 2}}, {{1, 2}}), 0.375);
  EXPECT_DOUBLE_EQ(probability_of_improvement({{3, 3}}, {{3, 3}}), 0.5);
}

TEST(ReportStats, MeanAndMedianWeighTasksEqually) {
  // task means 2 and 10: a task with more runs does not count more
  EXPECT_DOUBLE_EQ(mean({{1, 2, 3}, {10}}), 6.0);
  EXPECT_DOUBLE_EQ(median({{0.1}, {0.9, 0.9}, {0.4, 0.6}}), 0.5);
  // even task count: the mean of the two middle task means (0.2, 0.4)
  EXPECT_DOUBLE_EQ(median({{0.1}, {0.9}, {0.4}, {0.2}}), 0.3);
}

TEST(ReportStats, OptimalityGapClipsAtGamma) {
  // min(1.2, 1) = 1 and 0.8: mean 0.9, gap 0.1
  EXPECT_NEAR(optimality_gap({{1.2, 0.8}}), 0.1, 1e-15);
  EXPECT_NEAR(optimality_gap({{0.5}, {1.5}}), 0.25, 1e-15);
}

TEST(ReportStats, ProfileCountsRunsStrictlyAboveTau) {
  const std::vector<double> taus = {0.0, 0.5, 1.0};
  const auto p = profile({{0.1, 0.5, 0.9, 1.0}}, taus);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_DOUBLE_EQ(p[0], 1.0);
  EXPECT_DOUBLE_EQ(p[1], 0.5);
  EXPECT_DOUBLE_EQ(p[2], 0.0);
  const auto b = bootstrap_profile({{0.1, 0.5, 0.9, 1.0}}, taus, {.reps = 2000, .seed = 1});
  EXPECT_DOUBLE_EQ(b[0].lo, 1.0);  // every resample is above 0
  EXPECT_DOUBLE_EQ(b[2].hi, 0.0);  // none is above 1
  EXPECT_LT(b[1].lo, 0.5);
  EXPECT_GT(b[1].hi, 0.5);
}

TEST(ReportStats, PercentileInterpolatesLinearlyLikeNumpy) {
  std::vector<double> v = {5, 1, 4, 2, 3};
  EXPECT_DOUBLE_EQ(percentile(v, 0.05), 1.2);
  EXPECT_DOUBLE_EQ(percentile(v, 0.95), 4.8);
  EXPECT_DOUBLE_EQ(percentile(v, 0.5), 3.0);
  EXPECT_DOUBLE_EQ(percentile(v, 1.0), 5.0);
  EXPECT_DOUBLE_EQ(percentile(v, 0.0), 1.0);
}

TEST(ReportStats, BootstrapIsSeededAndIndependentOfThreadCount) {
  const TaskScores s = {{0.1, 0.4, 0.35, 0.8}, {0.9, 0.2, 0.6}, {0.5, 0.55, 0.3, 0.7, 0.95}};
  const Aggregates a = bootstrap_aggregates(s, {.reps = 5000, .seed = 7, .threads = 1});
  const Aggregates b = bootstrap_aggregates(s, {.reps = 5000, .seed = 7, .threads = 2});
  const Aggregates c = bootstrap_aggregates(s, {.reps = 5000, .seed = 8, .threads = 2});
  EXPECT_EQ(a.iqm.lo, b.iqm.lo);
  EXPECT_EQ(a.median.hi, b.median.hi);
  EXPECT_EQ(a.optimality_gap.lo, b.optimality_gap.lo);
  EXPECT_NE(a.mean.lo, c.mean.lo);  // another seed, other replicates
  // intervals contain the point estimate and are ordered
  for (const Interval& i : {a.iqm, a.mean, a.median, a.optimality_gap}) {
    EXPECT_LE(i.lo, i.point);
    EXPECT_GE(i.hi, i.point);
    EXPECT_LT(i.lo, i.hi);
  }
  // a wider interval size gives a wider interval
  const Aggregates w = bootstrap_aggregates(s, {.reps = 5000, .seed = 7, .ci = 0.99});
  EXPECT_LT(w.iqm.lo, a.iqm.lo);
  EXPECT_GT(w.iqm.hi, a.iqm.hi);
}

TEST(ReportStats, RejectsEmptyInputAndBadOptions) {
  EXPECT_THROW(iqm({}), Error);
  EXPECT_THROW(mean({{0.5}, {}}), Error);
  EXPECT_THROW(probability_of_improvement({{0.5}}, {{0.5}, {0.2}}), Error);
  EXPECT_THROW(bootstrap_aggregates({{0.5}}, {.reps = 0}), Error);
  EXPECT_THROW(bootstrap_aggregates({{0.5}}, {.ci = 1.5}), Error);
}

}  // namespace
}  // namespace crossq::report
