// libFuzzer target: the settings inside a checkpoint. The input is the "config" section of an
// otherwise valid checkpoint (checksums recomputed, as an editor of the file would), read the
// way `crossq train --resume` reads it (checkpoint_settings). Any input must be refused with a
// crossq::Error or give settings a run can use: the fields that once crashed (batch size 0:
// SIGSEGV; log interval or action repeat 0: SIGFPE) or hung (evaluation or checkpoint interval
// 0 or below) are checked here.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "crossq/train/checkpoint.h"
#include "crossq/train/config.h"
#include "crossq/core/error.h"
#include "crossq/tasks/registry.h"
#include "crossq/train/trainer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string config(reinterpret_cast<const char*>(data), size);
  crossq::CheckpointWriter w;
  const int64_t counters[14] = {};
  w.add_copy("config", config);
  w.add("loop.counters", counters, sizeof(counters));
  try {
    const crossq::Checkpoint ck = crossq::Checkpoint::parse(w.to_bytes(), "fuzz");
    const nlohmann::json cfg = crossq::checkpoint_settings(ck, "fuzz");
    const crossq::TaskSpec task = crossq::task_spec(cfg["task"]);
    const crossq::RunConfig rc = crossq::to_run_config(cfg, task);
    if (rc.agent.batch_size < 1 || rc.residual.batch_size < 1 || rc.log_every < 1 || rc.action_repeat < 1 ||
        rc.eval_every < 1 || rc.eval_episodes < 1 || rc.checkpoint_every < 0 || rc.steps < 1 || rc.utd < 1 ||
        rc.replay_capacity < rc.agent.batch_size || rc.threads < 1 || rc.threads > 2 || rc.reset_every < 0)
      std::abort();  // accepted settings a run cannot use
  } catch (const crossq::Error&) {
  }
  return 0;
}
