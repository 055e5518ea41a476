// The evaluation statistics of rliable (Agarwal et al. 2021, "rliable") as pure functions.
//
// A score set is stratified by task: `TaskScores[t]` holds the normalized scores of task t's
// runs (one per seed). Tasks may hold different numbers of runs; with equal counts every
// statistic equals rliable's on the (runs x tasks) matrix.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

namespace crossq::report {

using TaskScores = std::vector<std::vector<double>>;  // (tasks)(runs of that task)

// point estimates ---------------------------------------------------------------------------

// mean of the middle 50% of `x` (scipy.stats.trim_mean(x, 0.25)): drop floor(n / 4) from each
// end. Reorders `x` (selection, not a full sort). Empty input gives NaN.
double trimmed_iqm(std::span<double> x);
// IQM over every (run, task) score
double iqm(const TaskScores& s);
// mean over tasks of each task's mean score
double mean(const TaskScores& s);
// median over tasks of each task's mean score (rliable's aggregate_median)
double median(const TaskScores& s);
// gamma minus the mean over tasks of each task's mean of min(score, gamma)
double optimality_gap(const TaskScores& s, double gamma = 1.0);
// fraction of runs scoring above each tau, averaged over tasks (a performance profile)
std::vector<double> profile(const TaskScores& s, std::span<const double> taus);
// P(X > Y) + P(X = Y) / 2 per task (Mann-Whitney U / (n m)), averaged over tasks; x and y
// must list the same tasks in the same order
double probability_of_improvement(const TaskScores& x, const TaskScores& y);
// numpy.percentile(v, 100 q) with linear interpolation; reorders `v`
double percentile(std::span<double> v, double q);

// stratified bootstrap confidence intervals ------------------------------------------------

struct BootstrapOptions {
  int reps = 50000;       // replicates (rliable's default)
  uint64_t seed = 0;      // the same seed gives the same intervals on any thread count
  double ci = 0.90;       // interval size: percentiles (1 - ci) / 2 and (1 + ci) / 2
  int threads = 2;        // worker threads
};

// a point estimate and its percentile interval
struct Interval {
  double point = 0, lo = 0, hi = 0;
};

struct Aggregates {
  Interval iqm, mean, median, optimality_gap;
};

// the four aggregates with intervals from one set of replicates: each replicate resamples,
// with replacement and independently per task, that task's runs
Aggregates bootstrap_aggregates(const TaskScores& s, const BootstrapOptions& opt);
// a performance profile at each tau with pointwise intervals
std::vector<Interval> bootstrap_profile(const TaskScores& s, std::span<const double> taus,
                                        const BootstrapOptions& opt);
// probability of improvement with an interval; x and y are resampled independently
// (rliable's StratifiedIndependentBootstrap)
Interval bootstrap_probability_of_improvement(const TaskScores& x, const TaskScores& y,
                                              const BootstrapOptions& opt);

}  // namespace crossq::report
