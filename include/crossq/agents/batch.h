// Batch: the minibatch an update trains on (the replay buffer fills it; agents read it).
#pragma once
#include <vector>

namespace crossq {

// a sampled minibatch, row-major
struct Batch {
  int size = 0, obs_dim = 0, act_dim = 0;
  std::vector<float> obs;         // (B, obs_dim)
  std::vector<float> act;         // (B, act_dim) in [-1, 1]
  std::vector<float> reward;      // (B)
  std::vector<float> next_obs;    // (B, obs_dim)
  std::vector<float> terminated;  // (B) 1 if the next state is terminal

  Batch() = default;
  Batch(int B, int obs_dim, int act_dim);
};

}  // namespace crossq
