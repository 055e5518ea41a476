#include "crossq/core/parallel.h"

namespace crossq {

uint32_t& lane_context() {
  thread_local uint32_t word = 0;
  return word;
}

namespace {
thread_local int t_lane = 0;
}  // namespace
int lane_index() { return t_lane; }

LanePair::LanePair(int threads, void (*thread_init)()) : threads_(threads >= 2 ? 2 : 1), thread_init_(thread_init) {
  if (thread_init_) thread_init_();
  if (threads_ == 2) worker_ = std::thread([this] { worker_loop(); });
}

LanePair::~LanePair() {
  if (threads_ == 2) {
    stop_.store(true);
    go_.fetch_add(1);
    go_.notify_one();
    worker_.join();
  }
}

void LanePair::worker_loop() {
  t_lane = 1;
  if (thread_init_) thread_init_();
  uint32_t seen = 0;
  for (;;) {
    go_.wait(seen);
    seen = go_.load();
    if (stop_.load()) return;
    lane_context() = context_;
    fn_(ctx_, 1);
    done_.fetch_add(1);
    done_.notify_one();
  }
}

void LanePair::run_raw(void (*fn)(void*, int), void* ctx) {
  if (threads_ == 1) {
    fn(ctx, 0);
    fn(ctx, 1);
    return;
  }
  fn_ = fn;
  ctx_ = ctx;
  context_ = lane_context();
  const uint32_t before = done_.load();
  go_.fetch_add(1);
  go_.notify_one();
  fn(ctx, 0);
  uint32_t now = done_.load();
  while (now == before) {
    done_.wait(now);
    now = done_.load();
  }
}

}  // namespace crossq
