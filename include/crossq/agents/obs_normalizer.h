// Running mean / variance observation normalization (SimBa, Lee et al. 2025). Updated
// with every observation the agent collects (Welford / Chan et al.'s parallel update, in
// float64 so a million updates lose nothing), applied to every observation the networks see:
// (x - mean) / sqrt(var + eps), var the population variance. Before the first update it is the
// identity (mean 0, var 1). The statistics are agent state: they are checkpointed and kept
// across parameter resets (they describe the data, like the replay buffer).
#pragma once
#include <vector>

namespace crossq {

class ObsNormalizer {
 public:
  ObsNormalizer() = default;
  ObsNormalizer(int dim, double eps = 1e-8);

  void update(const float* obs);                  // one observation (dim)
  void normalize(float* out, const float* in, int N) const;  // (N,dim) each; may alias
  int dim() const { return dim_; }
  double count() const { return count_; }
  const std::vector<double>& mean() const { return mean_; }
  std::vector<double> variance() const;           // population variance (1 before any update)

  // the state (checkpoints): count, mean (dim), M2 (dim, sum of squared deviations)
  double& count_ref() { return count_; }
  std::vector<double>& mean_ref() { return mean_; }
  std::vector<double>& m2_ref() { return m2_; }
  // sets mean and variance directly, as if from `count` observations (tests, fixtures)
  void set(const std::vector<double>& mean, const std::vector<double>& var, double count);

 private:
  int dim_ = 0;
  double eps_ = 1e-8;
  double count_ = 0;
  std::vector<double> mean_, m2_;
};

}  // namespace crossq
