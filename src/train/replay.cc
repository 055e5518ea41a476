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
                       bool terminated, bool episode_end) {
  const size_t i = static_cast<size_t>(head_);
  std::copy(obs, obs + obs_dim_, obs_.begin() + i * obs_dim_);
  std::copy(next_obs, next_obs + obs_dim_, next_obs_.begin() + i * obs_dim_);
  std::copy(act, act + act_dim_, act_.begin() + i * act_dim_);
  reward_[i] = reward;
  terminated_[i] = static_cast<uint8_t>((terminated ? 1 : 0) | (terminated || episode_end ? 2 : 0));
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
    b.terminated[k] = (terminated_[i] & 1) ? 1.f : 0.f;
  }
}

void ReplayBuffer::sample_sequences(Rng& rng, Batch& b) const {
  const int H = b.horizon;
  const int64_t starts = size_ - H + 1;  // logical starts, oldest first
  if (H < 1 || starts < 1)
    throw Error("replay: " + std::to_string(size_) + " transitions hold no sub-sequence of " + std::to_string(H) + " steps",
                "let more transitions in before the first update (a longer warm-up)");
  const int64_t oldest = size_ < capacity_ ? 0 : head_;
  auto slot = [&](int64_t k) { return static_cast<size_t>((oldest + k) % capacity_); };
  const size_t O = static_cast<size_t>(obs_dim_), A = static_cast<size_t>(act_dim_), B = static_cast<size_t>(b.size);
  for (int n = 0; n < b.size; ++n) {
    // rejection: a start whose first H - 1 transitions end no episode (few are refused: about
    // (H - 1) per episode)
    int64_t k = 0;
    for (int tries = 0;; ++tries) {
      if (tries == 100000)
        throw Error("replay: no sub-sequence of " + std::to_string(H) + " steps within one episode found",
                    "episodes must be longer than the horizon; lower --horizon");
      k = static_cast<int64_t>(rng.below(static_cast<uint64_t>(starts)));
      bool ok = true;
      for (int t = 0; t + 1 < H && ok; ++t) ok = !(terminated_[slot(k + t)] & 2);
      if (ok) break;
    }
    for (int t = 0; t < H; ++t) {
      const size_t i = slot(k + t);
      std::copy_n(obs_.begin() + i * O, O, b.obs.begin() + (t * B + n) * O);
      std::copy_n(act_.begin() + i * A, A, b.act.begin() + (t * B + n) * A);
      b.reward[t * B + n] = reward_[i];
      b.terminated[t * B + n] = (terminated_[i] & 1) ? 1.f : 0.f;
      if (t + 1 == H) std::copy_n(next_obs_.begin() + i * O, O, b.obs.begin() + (H * B + n) * O);
    }
  }
}

}  // namespace crossq
