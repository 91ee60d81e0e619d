#pragma once
// Compaction of incremental checkpoints: folds a base and the changes of the epochs after it
// into a new base (CheckpointStore: parts-<epoch>.base), on its own thread and its own copy
// of the part state, so that the pipeline never pauses to snapshot its whole state and a
// restore reads one base and few changes. The copy costs memory: up to the size of the part
// state again while a compaction runs.
//
// Threading: start(), poll() and wait() on the runner's thread; the work on the compactor's.
#include <atomic>
#include <cstdint>
#include <thread>

#include "config/config.h"
#include "core/status.h"
#include "runtime/checkpoint_store.h"

namespace pixguard {

struct CompactionResult {
  uint64_t base_epoch = 0;  // the new base
  uint64_t bytes = 0;       // of the new base file
  double seconds = 0;
  Status status;
};

class StateCompactor {
 public:
  StateCompactor(const Config& config, CheckpointStore* store) : config_(config), store_(store) {}
  ~StateCompactor() { wait(); }
  StateCompactor(const StateCompactor&) = delete;
  StateCompactor& operator=(const StateCompactor&) = delete;

  bool busy() const { return thread_.joinable(); }
  // Builds parts-<to_epoch>.base from parts-<from_base>.base (0: empty state) and the
  // changes of epochs (from_base, to_epoch], all durable already. !busy().
  void start(uint64_t from_base, uint64_t to_epoch);
  // True once the compaction started last has finished (then !busy()), with its result.
  bool poll(CompactionResult* result);
  void wait();

 private:
  void compact(uint64_t from_base, uint64_t to_epoch);

  const Config& config_;
  CheckpointStore* store_;
  std::thread thread_;
  std::atomic<bool> done_{false};
  CompactionResult result_;  // written by the thread before done_
};

}  // namespace pixguard
