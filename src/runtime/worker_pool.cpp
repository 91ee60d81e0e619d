#include "runtime/worker_pool.h"

#include <algorithm>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace pixguard {
namespace {

// About 20 microseconds of polling before a waiter sleeps.
constexpr int kSpins = 4000;

inline void cpu_relax() {
#if defined(__x86_64__)
  _mm_pause();
#endif
}

// Returns once `a` no longer holds `old`.
void wait_while(const std::atomic<uint32_t>& a, uint32_t old) {
  for (int i = 0; i < kSpins; ++i) {
    if (a.load(std::memory_order_acquire) != old) return;
    cpu_relax();
  }
  while (a.load(std::memory_order_acquire) == old) a.wait(old, std::memory_order_acquire);
}

}  // namespace

WorkerPool::WorkerPool(std::size_t workers) {
  workers = std::max<std::size_t>(workers, 1);
  threads_.reserve(workers - 1);
  for (std::size_t w = 1; w < workers; ++w) threads_.emplace_back([this, w] { serve(w); });
}

WorkerPool::~WorkerPool() {
  stopping_.store(true, std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  generation_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void WorkerPool::run(const std::function<void(std::size_t)>& task) {
  if (threads_.empty()) {
    task(0);
    return;
  }
  task_ = &task;
  running_.store(static_cast<uint32_t>(threads_.size()), std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_acq_rel);  // publishes task_
  generation_.notify_all();
  task(0);
  for (uint32_t left = running_.load(std::memory_order_acquire); left != 0;
       left = running_.load(std::memory_order_acquire)) {
    wait_while(running_, left);
  }
}

void WorkerPool::serve(std::size_t worker) {
  uint32_t seen = 0;
  while (true) {
    wait_while(generation_, seen);
    seen = generation_.load(std::memory_order_acquire);
    if (stopping_.load(std::memory_order_acquire)) return;
    (*task_)(worker);
    if (running_.fetch_sub(1, std::memory_order_acq_rel) == 1) running_.notify_one();
  }
}

}  // namespace pixguard
