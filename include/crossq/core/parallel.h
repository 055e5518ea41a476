// Two lanes of work: lane 0 on the calling thread, lane 1 on one persistent worker. The agent
// puts one critic on each lane (measured: splitting the critics scales 1.9-2.0x where a threaded
// GEMM scales 1.3-1.5x). Dispatch never allocates: the job is a function pointer plus context.
#pragma once
#include <atomic>
#include <cstdint>
#include <thread>
#include <type_traits>

namespace crossq {

// A word of per-thread settings that LanePair::run hands from the calling thread to the worker
// for the job, so both lanes run it with the caller's settings (nn/gemm.h keeps its matmul
// precision here).
uint32_t& lane_context();

// which lane this thread is: 1 on a LanePair's worker, 0 on every other thread
int lane_index();

class LanePair {
 public:
  // threads 1: both lanes run on the caller, in order. `thread_init` runs on the caller now and
  // on the worker when it starts (the agents pass nn::gemm_set_single_threaded: the lanes are
  // the parallelism, a threaded BLAS under them would oversubscribe the cores)
  explicit LanePair(int threads, void (*thread_init)() = nullptr);
  ~LanePair();
  LanePair(const LanePair&) = delete;
  LanePair& operator=(const LanePair&) = delete;

  int threads() const { return threads_; }

  // runs f(0) and f(1), lane 1 on the worker when there is one; returns when both are done
  template <class F>
  void run(F&& f) {
    using Fn = std::remove_reference_t<F>;
    run_raw([](void* ctx, int lane) { (*static_cast<Fn*>(ctx))(lane); }, const_cast<void*>(static_cast<const void*>(&f)));
  }

 private:
  void run_raw(void (*fn)(void*, int), void* ctx);
  void worker_loop();

  int threads_;
  void (*thread_init_)();
  std::thread worker_;
  void (*fn_)(void*, int) = nullptr;
  void* ctx_ = nullptr;
  uint32_t context_ = 0;  // the caller's lane_context() for the current job
  std::atomic<uint32_t> go_{0};
  std::atomic<uint32_t> done_{0};
  std::atomic<bool> stop_{false};
};

}  // namespace crossq
