// The checkpoint container (checkpoint.h): round trip, refusal of corrupt and truncated files,
// atomic replacement; and the finiteness check that guards every checkpoint.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "crossq/agents/crossq_agent.h"
#include "crossq/train/checkpoint.h"
#include "crossq/core/error.h"
#include "crossq/train/trainer.h"

namespace crossq {
namespace {

namespace fs = std::filesystem;

std::string temp_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("crossq_ckpt_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d.string();
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

TEST(Checkpoint, Crc32MatchesTheStandardCheckValue) {
  // the CRC-32 "check" value of the IEEE polynomial (as zlib.crc32(b"123456789"))
  EXPECT_EQ(crc32("123456789", 9), 0xCBF43926u);
  // continuing a running checksum equals one pass, across the 8-byte fast path
  const std::string s = "the quick brown fox jumps over the lazy dog, twice over";
  EXPECT_EQ(crc32(s.data() + 13, s.size() - 13, crc32(s.data(), 13)), crc32(s.data(), s.size()));
}

TEST(Checkpoint, RoundTripsSectionsAndLeavesNoTemporaryFile) {
  const std::string dir = temp_dir("roundtrip");
  std::vector<float> big(100000);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<float>(i) * 0.5f;
  const int64_t counter = -42;
  CheckpointWriter w;
  w.add("big", big.data(), big.size() * sizeof(float));
  w.add("counter", &counter, sizeof(counter));
  w.add("empty", nullptr, 0);
  w.add_copy("json", "{\"a\": 1}");
  const std::string path = dir + "/checkpoint.bin";
  w.write(path);
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  EXPECT_EQ(fs::file_size(path), w.file_bytes());

  const Checkpoint c = Checkpoint::load(path);
  EXPECT_EQ(c.names(), (std::vector<std::string>{"big", "counter", "empty", "json"}));
  std::vector<float> back(big.size());
  c.read_into("big", back.data(), back.size() * sizeof(float));
  EXPECT_EQ(back, big);
  int64_t k = 0;
  c.read_into("counter", &k, sizeof(k));
  EXPECT_EQ(k, -42);
  EXPECT_EQ(c.get("json"), "{\"a\": 1}");
  EXPECT_EQ(c.get("empty").size(), 0u);
  // a size mismatch and a missing section are refused, naming the section
  int32_t small = 0;
  try {
    c.read_into("counter", &small, sizeof(small));
    FAIL() << "size mismatch accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'counter'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(c.get("missing"), Error);
  fs::remove_all(dir);
}

TEST(Checkpoint, RefusesEveryCorruptionAndTruncation) {
  const std::string dir = temp_dir("corrupt");
  std::vector<double> x(257, 3.25);
  CheckpointWriter w;
  w.add("x", x.data(), x.size() * sizeof(double));
  w.add_copy("name", "pendulum");
  const std::string path = dir + "/checkpoint.bin";
  w.write(path);
  const std::string good = slurp(path);
  ASSERT_NO_THROW(Checkpoint::parse(good, "good"));
  // every single-bit flip anywhere in the file is detected (CRC-32 catches all of them)
  for (size_t i = 0; i < good.size(); i += 7) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x10);
    EXPECT_THROW(Checkpoint::parse(bad, "flipped"), Error) << "byte " << i;
  }
  // every truncation, and trailing garbage
  for (size_t n = 0; n < good.size(); n += 5)
    EXPECT_THROW(Checkpoint::parse(good.substr(0, n), "truncated"), Error) << "length " << n;
  EXPECT_THROW(Checkpoint::parse(good + "x", "extended"), Error);
  try {
    std::string bad = good;
    bad[100] ^= 1;  // inside section "x"
    Checkpoint::parse(bad, "f");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("checksum mismatch in section 'x'"), std::string::npos) << e.what();
    EXPECT_EQ(e.exit_code(), kExitUsage);
  }
  fs::remove_all(dir);
}

TEST(Checkpoint, CorruptSectionNamesNeverReachTheTerminalRaw) {
  // a section name with terminal control bytes (valid checksums): refused, shown escaped
  CheckpointWriter w;
  w.add_copy("\x1b[2J\x1b]0;owned\x07", "x");
  try {
    Checkpoint::parse(w.to_bytes(), "f");
    FAIL() << "accepted";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("holds non-printable bytes"), std::string::npos) << what;
    EXPECT_NE(what.find("\\x1b[2J"), std::string::npos) << what;
    EXPECT_EQ(what.find('\x1b'), std::string::npos) << "a raw escape byte in the message";
    EXPECT_EQ(e.exit_code(), kExitUsage);
  }
  // and to_bytes() is what write() writes
  CheckpointWriter v;
  v.add_copy("config", "{}");
  const std::string dir = temp_dir("bytes");
  v.write(dir + "/c.bin");
  EXPECT_EQ(v.to_bytes(), slurp(dir + "/c.bin"));
  fs::remove_all(dir);
}

TEST(Checkpoint, AFailedWriteKeepsTheLastGoodCheckpoint) {
  const std::string dir = temp_dir("atomic");
  const std::string path = dir + "/checkpoint.bin";
  const int32_t v1 = 1;
  CheckpointWriter w1;
  w1.add("v", &v1, sizeof(v1));
  w1.write(path);
  const std::string before = slurp(path);
  // a leftover temporary from a killed writer does not matter; a writer that cannot create its
  // temporary (here: a folder in the way) fails without touching the checkpoint
  fs::create_directories(path + ".tmp");
  const int32_t v2 = 2;
  CheckpointWriter w2;
  w2.add("v", &v2, sizeof(v2));
  EXPECT_THROW(w2.write(path), Error);
  EXPECT_EQ(slurp(path), before);
  fs::remove_all(path + ".tmp");
  w2.write(path);
  int32_t got = 0;
  Checkpoint::load(path).read_into("v", &got, sizeof(got));
  EXPECT_EQ(got, 2);
  fs::remove_all(dir);
}

TEST(Checkpoint, FindNonfiniteNamesTheNetworkAndArray) {
  CrossQConfig cfg;
  cfg.obs_dim = 3;
  cfg.act_dim = 1;
  cfg.batch_size = 8;
  cfg.critic_hidden = 8;
  cfg.actor_hidden = 8;
  cfg.threads = 1;
  Rng rng(1);
  CrossQAgent agent(cfg, rng);
  EXPECT_EQ(find_nonfinite(agent), "");
  for (const StateRef& r : agent.state()) {
    if (r.name == "critic1.m") static_cast<float*>(r.data)[3] = std::numeric_limits<float>::infinity();
  }
  EXPECT_EQ(find_nonfinite(agent), "optimizer moments of critic1 hold Inf (in critic1.m, element 3)");
  for (const StateRef& r : agent.state()) {
    if (r.name == "actor.w") static_cast<float*>(r.data)[0] = std::numeric_limits<float>::quiet_NaN();
  }
  // the state's order decides which is named first: critics, targets, then the actor
  EXPECT_NE(find_nonfinite(agent).find("critic1"), std::string::npos);
  for (const StateRef& r : agent.state()) {
    if (r.name == "critic1.m") static_cast<float*>(r.data)[3] = 0.f;
  }
  EXPECT_EQ(find_nonfinite(agent), "parameters of actor hold NaN (in actor.w, element 0)");
}

}  // namespace
}  // namespace crossq
