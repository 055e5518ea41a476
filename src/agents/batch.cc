#include "crossq/agents/batch.h"

#include <cstddef>

namespace crossq {

Batch::Batch(int B, int od, int ad, int horizon) : size(B), obs_dim(od), act_dim(ad), horizon(horizon) {
  const size_t T = horizon > 0 ? static_cast<size_t>(horizon) : 1;
  obs.resize((horizon > 0 ? T + 1 : 1) * B * od);
  act.resize(T * B * ad);
  reward.resize(T * B);
  terminated.resize(T * B);
  if (horizon == 0) next_obs.resize(static_cast<size_t>(B) * od);
}

}  // namespace crossq
