#pragma once
// A fixed set of threads that run one task together, fork-join: run(task) calls task(w) for
// every worker w at once (worker 0 on the calling thread) and returns when all have
// returned. The pipeline runs each parallel phase of a batch this way, so a phase's start
// and end are a few microseconds, not a thread's creation.
//
// Waiting: a worker spins briefly for the next phase (phases of one batch follow each other
// within microseconds), then sleeps on a futex (std::atomic::wait).
//
// Threading: run() from one thread at a time (the pipeline's).
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

namespace pixguard {

class WorkerPool {
 public:
  explicit WorkerPool(std::size_t workers);  // >= 1; workers - 1 threads are started
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  std::size_t size() const { return threads_.size() + 1; }
  void run(const std::function<void(std::size_t worker)>& task);

 private:
  void serve(std::size_t worker);

  std::vector<std::thread> threads_;
  const std::function<void(std::size_t)>* task_ = nullptr;
  std::atomic<uint32_t> generation_{0};  // bumped per run(); workers wait for a change
  std::atomic<uint32_t> running_{0};     // helpers still inside the current task
  std::atomic<bool> stopping_{false};
};

}  // namespace pixguard
