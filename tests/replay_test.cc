// The replay ring: it fills front to back, then each new transition replaces the oldest, and
// sampling draws only stored rows, each with its own fields together.
#include <set>
#include <vector>

#include <gtest/gtest.h>

#include "crossq/train/replay.h"

namespace crossq {
namespace {

TEST(Replay, TheRingKeepsTheNewestTransitionsAndSamplesOnlyThem) {
  ReplayBuffer r(5, 2, 1);
  auto add = [&](int k) {
    const float obs[2] = {static_cast<float>(k), 0.5f}, act[1] = {-static_cast<float>(k)};
    const float next[2] = {static_cast<float>(k + 1), 0.5f};
    r.add(obs, act, 10.f * static_cast<float>(k), next, k % 3 == 0);
  };
  for (int k = 0; k < 3; ++k) add(k);
  EXPECT_EQ(r.size(), 3);
  EXPECT_EQ(r.head(), 3);
  for (int k = 3; k < 12; ++k) add(k);  // wraps: transitions 7..11 remain
  EXPECT_EQ(r.size(), 5);
  EXPECT_EQ(r.head(), 12 % 5);
  Rng rng(1);
  Batch b(64, 2, 1);
  std::set<int> seen;
  for (int draw = 0; draw < 20; ++draw) {
    r.sample(rng, b);
    for (int n = 0; n < b.size; ++n) {
      const int k = static_cast<int>(b.obs[2 * n]);
      ASSERT_GE(k, 7) << "an overwritten transition was sampled";
      ASSERT_LE(k, 11);
      // every field of a row belongs to the same transition
      EXPECT_EQ(b.act[n], -static_cast<float>(k));
      EXPECT_EQ(b.reward[n], 10.f * static_cast<float>(k));
      EXPECT_EQ(b.next_obs[2 * n], static_cast<float>(k + 1));
      EXPECT_EQ(b.terminated[n], k % 3 == 0 ? 1.f : 0.f);
      seen.insert(k);
    }
  }
  EXPECT_EQ(seen.size(), 5u) << "uniform sampling reaches every stored row";
}

}  // namespace
}  // namespace crossq
