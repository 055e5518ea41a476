#include "crossq/train/replay.h"

#include <algorithm>

#include "crossq/core/error.h"

namespace crossq {

ReplayBuffer::ReplayBuffer(int64_t capacity, int obs_dim, int act_dim)
    : capacity_(capacity), obs_dim_(obs_dim), act_dim_(act_dim) {
  if (capacity <= 0) throw usage_error("replay_capacity must be positive", "set --replay-capacity");
  obs_.resize(static_cast<size_t>(capacity) * obs_dim);
  next_obs_.resize(static_cast<size_t>(capacity) * obs_dim);
  act_.resize(static_cast<size_t>(capacity) * act_dim);
  reward_.resize(static_cast<size_t>(capacity));
  terminated_.resize(static_cast<size_t>(capacity));
}

void ReplayBuffer::add(const float* obs, const float* act, float reward, const float* next_obs,
                       bool terminated) {
  const size_t i = static_cast<size_t>(head_);
  std::copy(obs, obs + obs_dim_, obs_.begin() + i * obs_dim_);
  std::copy(next_obs, next_obs + obs_dim_, next_obs_.begin() + i * obs_dim_);
  std::copy(act, act + act_dim_, act_.begin() + i * act_dim_);
  reward_[i] = reward;
  terminated_[i] = terminated ? 1 : 0;
  head_ = (head_ + 1) % capacity_;
  size_ = std::min(size_ + 1, capacity_);
}

void ReplayBuffer::sample(Rng& rng, Batch& b) const {
  for (int k = 0; k < b.size; ++k) {
    const size_t i = static_cast<size_t>(rng.below(static_cast<uint64_t>(size_)));
    std::copy_n(obs_.begin() + i * obs_dim_, obs_dim_, b.obs.begin() + static_cast<size_t>(k) * obs_dim_);
    std::copy_n(next_obs_.begin() + i * obs_dim_, obs_dim_,
                b.next_obs.begin() + static_cast<size_t>(k) * obs_dim_);
    std::copy_n(act_.begin() + i * act_dim_, act_dim_, b.act.begin() + static_cast<size_t>(k) * act_dim_);
    b.reward[k] = reward_[i];
    b.terminated[k] = terminated_[i] ? 1.f : 0.f;
  }
}

}  // namespace crossq
