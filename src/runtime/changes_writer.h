#pragma once
// Writes the state changes of incremental checkpoints while the epoch runs, on its own
// thread: the pipeline's thread hands over a chunk of changes now and then (a vector swap)
// and, as the epoch ends, only waits for the last chunk and the final fsync, so its pause
// does not grow with the epoch's changes. Chunks already written are flushed in the
// background. The queue is bounded: a disk slower than the stream makes append() wait.
//
// Threading: append() and finish() from one thread (the runner's); the writing on the
// writer's.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "runtime/checkpoint_store.h"

namespace pixguard {

class ChangesWriter {
 public:
  // Changes per chunk handed over (288 KiB): several per epoch at full speed, so a kill or
  // an epoch end finds most of them on disk already.
  static constexpr std::size_t kChunk = 4'096;

  explicit ChangesWriter(CheckpointStore* store);
  ~ChangesWriter();  // an unfinished epoch's file is abandoned (its input is read again)
  ChangesWriter(const ChangesWriter&) = delete;
  ChangesWriter& operator=(const ChangesWriter&) = delete;

  // Queues `*changes` (of `epoch`) for writing; *changes comes back empty.
  void append(uint64_t epoch, std::vector<StateChange>* changes);
  // Writes what is left of `epoch` (`*rest`, emptied) and makes changes-<epoch>.log durable
  // and visible; waits. The first error of the epoch, if any.
  Status finish(uint64_t epoch, std::vector<StateChange>* rest, uint64_t* bytes);

 private:
  struct Item {
    uint64_t epoch;
    std::vector<StateChange> changes;
    bool finish;
  };
  void loop();

  CheckpointStore* store_;
  std::mutex mu_;
  std::condition_variable wake_;  // items queued, or stopping
  std::condition_variable done_;  // an item taken, or a finish done
  std::deque<Item> queue_;
  bool stopping_ = false;
  bool finished_ = false;  // the last finish request was served
  Status finish_status_;
  uint64_t finish_bytes_ = 0;
  std::thread thread_;

  // The writer's own: the file of the epoch in progress and its first error.
  std::unique_ptr<ChangesFile> file_;
  uint64_t file_epoch_ = 0;
  Status error_;
};

}  // namespace pixguard
