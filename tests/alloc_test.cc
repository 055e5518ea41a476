// No heap allocation inside an update, acting or replay sampling: malloc is interposed and
// counted while the hot path runs (not under AddressSanitizer, which owns malloc itself).
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "crossq/agents/crossq_agent.h"
#include "crossq/agents/residual_agent.h"
#include "crossq/agents/tdmpc2_agent.h"
#include "crossq/nn/gemm.h"
#include "crossq/train/config.h"
#include "crossq/train/learner.h"

// GCC defines __SANITIZE_ADDRESS__; clang (14) only answers __has_feature
#if defined(__has_feature)
#if __has_feature(address_sanitizer) && !defined(__SANITIZE_ADDRESS__)
#define __SANITIZE_ADDRESS__ 1
#endif
#endif

#if !defined(__SANITIZE_ADDRESS__)
namespace {
std::atomic<long> g_allocs{0};
std::atomic<long> g_aligned{0};  // posix_memalign / aligned_alloc among them (oneDNN's allocator)
std::atomic<bool> g_counting{false};
}  // namespace
extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
void* malloc(size_t n) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocs.fetch_add(1);
  return __libc_malloc(n);
}
void* calloc(size_t a, size_t b) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocs.fetch_add(1);
  return __libc_calloc(a, b);
}
void* realloc(void* p, size_t n) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocs.fetch_add(1);
  return __libc_realloc(p, n);
}
void* aligned_alloc(size_t al, size_t n) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocs.fetch_add(1), g_aligned.fetch_add(1);
  return __libc_memalign(al, n);
}
int posix_memalign(void** p, size_t al, size_t n) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocs.fetch_add(1), g_aligned.fetch_add(1);
  *p = __libc_memalign(al, n);
  return *p ? 0 : 12;
}
}
#endif

namespace crossq {
namespace {

class NoAllocation : public ::testing::TestWithParam<int> {};

// fp32, and bf16 where it runs. With bf16, crossq's own code still allocates nothing (its
// conversion buffers grow on the first update, then are reused); oneDNN's bf16 GEMM takes one
// aligned packing buffer (posix_memalign) per product, which the count leaves out and reports.
#if !defined(__SANITIZE_ADDRESS__)
std::vector<MatmulPrecision> precisions() {
  std::vector<MatmulPrecision> v = {MatmulPrecision::kFp32};
  if (bf16_available()) v.push_back(MatmulPrecision::kBf16);
  return v;
}
long counted(MatmulPrecision p) {
  const long aligned = g_aligned.exchange(0);
  if (p == MatmulPrecision::kBf16) {
    std::printf("bf16: %ld aligned blocks from oneDNN's GEMM\n", aligned);
    return g_allocs.load() - aligned;
  }
  return g_allocs.load();
}
#endif

TEST_P(NoAllocation, InUpdateActAndSample) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer replaces malloc; the count runs in the plain build";
#else
  if (std::string(gemm_backend()) == "onednn") GTEST_SKIP() << "oneDNN's sgemm mallocs its packing buffers (docs/performance.md)";
  for (MatmulPrecision prec : precisions()) {
  CrossQConfig c;
  c.obs_dim = 17;
  c.act_dim = 6;
  c.batch_size = 256;
  c.critic_hidden = 512;  // the paper's size: Eigen's packing buffers must stay on the stack
  c.threads = GetParam();
  c.precision = prec;
  Rng rng(1);
  CrossQAgent agent(c, rng);
  ReplayBuffer replay(1000, c.obs_dim, c.act_dim);
  std::vector<float> o(c.obs_dim, 0.1f), a(c.act_dim, 0.2f);
  for (int k = 0; k < 1000; ++k) replay.add(o.data(), a.data(), 1.f, o.data(), false);
  Batch b(c.batch_size, c.obs_dim, c.act_dim);
  replay.sample(rng, b);
  agent.update(b, rng);  // first touch
  g_allocs = 0;
  g_aligned = 0;
  g_counting = true;
  for (int k = 0; k < 6; ++k) {  // two actor updates among them
    replay.sample(rng, b);
    agent.update(b, rng);
    agent.act(o.data(), false, rng, a.data());
    agent.act(o.data(), true, rng, a.data());
  }
  g_counting = false;
  EXPECT_EQ(counted(prec), 0) << "heap allocations inside the hot path, " << matmul_precision_name(prec);
  }
  // the counter itself works
  g_allocs = 0;
  g_aligned = 0;
  g_counting = true;
  void* p = std::malloc(64);
  g_counting = false;
  std::free(p);
  EXPECT_EQ(g_allocs.load(), 1);
#endif
}

// SimBa and BRO at their default sizes (SimBa's 512 -> 2048 expansion is the largest GEMM)
TEST_P(NoAllocation, InResidualAgentsUpdateActObserve) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer replaces malloc; the count runs in the plain build";
#else
  if (std::string(gemm_backend()) == "onednn") GTEST_SKIP() << "oneDNN's sgemm mallocs its packing buffers (docs/performance.md)";
  for (MatmulPrecision prec : precisions())
  for (bool bro : {false, true}) {
    ResidualConfig c;
    c.precision = prec;
    c.obs_dim = 17;
    c.act_dim = 6;
    c.kind = bro ? nn::ResKind::kBro : nn::ResKind::kSimba;
    c.batch_size = bro ? 128 : 256;
    c.actor_hidden = bro ? 256 : 128;
    c.quantiles = bro ? 100 : 1;
    c.optimistic = bro;
    c.obs_norm = !bro;
    c.critics = bro ? 2 : 1;  // both critic counts: simba's default 1, bro's 2
    c.threads = GetParam();
    Rng rng(1);
    ResidualAgent agent(c, rng);
    Batch b(c.batch_size, c.obs_dim, c.act_dim);
    for (auto& x : b.obs) x = static_cast<float>(rng.normal());
    b.next_obs = b.obs;
    std::vector<float> o(c.obs_dim, 0.1f), a(c.act_dim, 0.2f);
    agent.update(b, rng);  // first touch
    g_allocs = 0;
    g_aligned = 0;
    g_counting = true;
    for (int k = 0; k < 1; ++k) {  // policy delay 1: one update covers every path
      agent.observe(o.data());
      agent.update(b, rng);
      agent.act(o.data(), false, rng, a.data());
      agent.act(o.data(), true, rng, a.data());
    }
    g_counting = false;
    EXPECT_EQ(counted(prec), 0) << (bro ? "bro" : "simba") << ": heap allocations in the hot path, " << matmul_precision_name(prec);
  }
#endif
}

TEST_P(NoAllocation, InTdmpc2UpdateAndPlanning) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer replaces malloc; the count runs in the plain build";
#else
  if (std::string(gemm_backend()) == "onednn") GTEST_SKIP() << "oneDNN's sgemm mallocs its packing buffers (docs/performance.md)";
  for (MatmulPrecision prec : precisions()) {
  Tdmpc2Config c;
  c.precision = prec;
  c.obs_dim = 17;
  c.act_dim = 6;
  c.latent = 64;
  c.mlp = 64;
  c.enc_hidden = 32;
  c.batch_size = 32;
  c.samples = 64;
  c.pi_trajs = 8;
  c.elites = 16;
  c.threads = GetParam();
  Rng rng(1);
  Tdmpc2Agent agent(c, rng);
  Batch b(c.batch_size, c.obs_dim, c.act_dim, c.horizon);
  for (auto& x : b.obs) x = static_cast<float>(rng.normal());
  for (auto& x : b.reward) x = static_cast<float>(rng.uniform());
  std::vector<float> o(c.obs_dim, 0.1f), a(c.act_dim, 0.2f);
  agent.update(b, rng);  // first touch
  agent.act(o.data(), false, rng, a.data());
  g_allocs = 0;
  g_aligned = 0;
  g_counting = true;
  agent.update(b, rng);
  agent.begin_episode(false);
  agent.act(o.data(), false, rng, a.data());
  agent.act(o.data(), false, rng, a.data());
  agent.act(o.data(), true, rng, a.data());
  g_counting = false;
  EXPECT_EQ(counted(prec), 0) << "tdmpc2: heap allocations in update or act, " << matmul_precision_name(prec);
  }
#endif
}

// the learner API: act() and observe() (with the updates it runs inline, or the hand-over to the
// background thread, whose updates are counted too: the counter sees every thread)
TEST_P(NoAllocation, InLearnerActAndObserve) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer replaces malloc; the count runs in the plain build";
#else
  if (std::string(gemm_backend()) == "onednn") GTEST_SKIP() << "oneDNN's sgemm mallocs its packing buffers (docs/performance.md)";
  for (LearnerMode mode : {LearnerMode::kInline, LearnerMode::kBackground}) {
    nlohmann::json cfg = default_config("crossq-wn", "pendulum");
    apply_overrides(cfg, {{"warmup", 64}, {"batch_size", 64}, {"critic_hidden", 64}, {"actor_hidden", 64},
                          {"threads", GetParam()}, {"log_every", 1000000}}, "test");
    Learner l(cfg, 3, 1, mode);
    std::vector<float> o(3, 0.1f), a(1, 0.f);
    for (int k = 0; k < 80; ++k) {  // past warm-up: updates run, snapshots are published
      l.act(o.data(), false, a.data());
      l.observe(o.data(), a.data(), 1.f, o.data(), false, false);
    }
    l.sync();
    g_allocs = 0;
    g_aligned = 0;
    g_counting = true;
    for (int k = 0; k < 20; ++k) {
      l.act(o.data(), false, a.data());
      l.act(o.data(), true, a.data());
      l.observe(o.data(), a.data(), 1.f, o.data(), false, k == 19);
    }
    l.sync();
    g_counting = false;
    EXPECT_EQ(g_allocs.load(), 0) << (mode == LearnerMode::kInline ? "inline" : "background")
                                  << ": heap allocations in act() or observe()";
  }
#endif
}

INSTANTIATE_TEST_SUITE_P(Threads, NoAllocation, ::testing::Values(1, 2));

// every product shape the seam may see, small ones included (a GEMM library's small-matrix
// kernels may allocate where its large ones do not: OpenBLAS 0.3.21's AVX-512 ones do), every
// transpose, beta 0 and 1
TEST(NoAllocation, InEveryGemmShape) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer replaces malloc; the count runs in the plain build";
#else
  if (std::string(gemm_backend()) == "onednn") GTEST_SKIP() << "oneDNN's sgemm mallocs its packing buffers (docs/performance.md)";
  const int sizes[] = {1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 20, 23, 24, 31, 32, 33, 48, 64, 88, 100, 128, 256, 512};
  std::vector<float> A(size_t{1} << 20, 0.5f), B(size_t{1} << 20, 0.25f), C(size_t{1} << 20, 0.f);
  gemm(false, false, 512, 512, 512, 1.f, A.data(), 512, B.data(), 512, 0.f, C.data(), 512);  // first touch
  int shapes = 0;
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (float beta : {0.f, 1.f})
        for (int M : sizes)
          for (int N : sizes)
            for (int K : sizes) {
              if (double(M) * N * K > 4e6) continue;
              g_allocs = 0;
              g_counting = true;
              gemm(ta, tb, M, N, K, 1.f, A.data(), ta ? M : K, B.data(), tb ? K : N, beta, C.data(), N);
              g_counting = false;
              ++shapes;
              ASSERT_EQ(g_allocs.load(), 0) << "a product allocates: ta " << ta << " tb " << tb << " M " << M << " N " << N
                                            << " K " << K << " beta " << beta << " (" << gemm_detail() << ")";
            }
  EXPECT_GT(shapes, 100000);
#endif
}

}  // namespace
}  // namespace crossq
