// Batch: the minibatch an update trains on (the replay buffer fills it; agents read it).
#pragma once
#include <vector>

namespace crossq {

// a sampled minibatch, row-major. horizon 0: B transitions. horizon H > 0: B sub-sequences of
// H consecutive transitions of one episode (TD-MPC2), time-major:
//   obs (H+1, B, obs_dim) the states s_0..s_H, act (H, B, act_dim), reward (H, B),
//   terminated (H, B); next_obs is unused
struct Batch {
  int size = 0, obs_dim = 0, act_dim = 0, horizon = 0;
  std::vector<float> obs;         // (B, obs_dim)
  std::vector<float> act;         // (B, act_dim) in [-1, 1]
  std::vector<float> reward;      // (B)
  std::vector<float> next_obs;    // (B, obs_dim)
  std::vector<float> terminated;  // (B) 1 if the next state is terminal

  Batch() = default;
  Batch(int B, int obs_dim, int act_dim, int horizon = 0);
};

}  // namespace crossq
