// Replay: a preallocated ring of float32 transitions. `terminated` is stored apart from
// `truncated`: only termination stops the bootstrap (dm_control episodes end by time limit), so a truncated transition is
// stored as not terminated and the trainer starts a new episode after it.
// Memory per transition: 4 (2 obs_dim + act_dim + 1) + 1 bytes (obs, next_obs, action, reward,
// terminated flag); humanoid (67 / 21) is 625 bytes, 1M transitions 625 MB.
#pragma once
#include <cstdint>
#include <vector>

#include "crossq/agents/batch.h"
#include "crossq/core/rng.h"

namespace crossq {

class ReplayBuffer {
 public:
  ReplayBuffer(int64_t capacity, int obs_dim, int act_dim);

  // `episode_end`: the transition is its episode's last (terminated or truncated); sequence
  // sampling never crosses one. It shares the terminated byte (bit 0 terminated, bit 1 end), so
  // the checkpoint format is unchanged.
  void add(const float* obs, const float* act, float reward, const float* next_obs,
           bool terminated, bool episode_end = false);
  // fills `batch` with batch.size transitions drawn uniformly with replacement
  void sample(Rng& rng, Batch& batch) const;
  // fills a sequence batch (batch.horizon H > 0) with batch.size sub-sequences of H consecutive
  // transitions of one episode, their starts uniform over the valid ones (with replacement);
  // throws when the buffer holds none (every stored episode shorter than H)
  void sample_sequences(Rng& rng, Batch& batch) const;

  int64_t size() const { return size_; }
  int64_t capacity() const { return capacity_; }
  int obs_dim() const { return obs_dim_; }
  int act_dim() const { return act_dim_; }
  static int64_t bytes_per_transition(int obs_dim, int act_dim) {
    return 4 * (2 * obs_dim + act_dim + 1) + 1;
  }

  // raw access for checkpoints
  int64_t head() const { return head_; }
  void set_cursor(int64_t head, int64_t size) { head_ = head; size_ = size; }
  std::vector<float>& obs() { return obs_; }
  std::vector<float>& act() { return act_; }
  std::vector<float>& reward() { return reward_; }
  std::vector<float>& next_obs() { return next_obs_; }
  std::vector<uint8_t>& terminated() { return terminated_; }

 private:
  int64_t capacity_;
  int obs_dim_, act_dim_;
  int64_t head_ = 0;  // next slot to write
  int64_t size_ = 0;  // transitions held
  std::vector<float> obs_, act_, reward_, next_obs_;
  std::vector<uint8_t> terminated_;
};

}  // namespace crossq
