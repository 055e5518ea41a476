#include "crossq/agents/batch.h"

#include <cstddef>

namespace crossq {

Batch::Batch(int B, int od, int ad)
    : size(B), obs_dim(od), act_dim(ad),
      obs(static_cast<size_t>(B) * od), act(static_cast<size_t>(B) * ad), reward(B),
      next_obs(static_cast<size_t>(B) * od), terminated(B) {}

}  // namespace crossq
