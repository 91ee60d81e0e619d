#pragma once
// The pre-authorization journal: every request the API takes, with what its caller was
// answered, made durable before the answer goes out. It is the API's input log: a checkpoint
// records the sequence number read up to, and after a crash the requests after it are
// replayed from here into the state and the outputs with the decisions their callers were
// given (PriorDecision). It also remembers recent answers, so that a repeated request is
// answered alike after a restart.
//
// On disk: <dir>/journal-<first sequence number, 20 digits>.log segments of entries, each
// [u32 payload length][u32 CRC-32C of the payload][payload]. The request bytes are sealed
// with AES-256-GCM under the privacy key when there is one (as checkpoints seal the messages
// they hold). A torn last entry (the process died writing it: its caller was never answered)
// is cut off at open; a damaged entry before the last segment's end is an error.
//
// Threading: append() and wait_durable() from the pipeline's thread; one writer thread
// writes, syncs (fdatasync unless `durability` is kWrite) and then runs each batch's
// `durable` callback, in order.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"
#include "decide/decider.h"
#include "privacy/message_cipher.h"

namespace pixguard {

struct JournalEntry {
  uint64_t seq = 0;
  std::string message;        // the request body
  uint16_t status = 0;        // the HTTP status its caller was answered (200, 400, 409)
  std::string answer;         // the body it was answered
  uint32_t features_at = 0;   // a decision: where the answer's "features" member starts
  std::string end_to_end_id;  // empty when the request was rejected
  bool decided = false;       // decided for this request: `prior` holds the decision
  PriorDecision prior;
};

class DecisionJournal {
 public:
  // kFsync: an answer goes out once its entry is on disk (fdatasync): it survives the
  // machine's crash. kWrite: once the kernel has it: it survives the process's.
  enum class Durability : unsigned char { kFsync, kWrite };

  // Opens (creating) `dir`, cuts a torn last entry off, and starts the writer thread.
  // `cipher` may be null (requests kept clear).
  static Status open(const std::string& dir, const MessageCipher* cipher, Durability durability,
                     std::unique_ptr<DecisionJournal>* out);
  ~DecisionJournal();  // finishes what was appended
  DecisionJournal(const DecisionJournal&) = delete;
  DecisionJournal& operator=(const DecisionJournal&) = delete;

  // The highest sequence number on disk (0: none).
  uint64_t last_seq() const { return last_on_disk_; }
  // Calls `each` for every entry with seq >= `from`, in order. Before the first append.
  Status read_from(uint64_t from, const std::function<void(JournalEntry&&)>& each) const;

  // Encodes `entry` at the end of *batch (entries go to disk a batch at a time).
  Status encode(const JournalEntry& entry, std::string* batch) const;
  // Queues a batch of encoded entries ending at `last_seq`; `durable(status)` runs on the
  // writer thread once they are on disk (or could not be written).
  void append(std::string batch, uint64_t last_seq, std::function<void(const Status&)> durable);
  // Waits until every entry up to `seq` is on disk; the writer's error otherwise.
  Status wait_durable(uint64_t seq);
  // Deletes the segments holding only entries before `seq`.
  void remove_before(uint64_t seq);

 private:
  DecisionJournal(std::string dir, const MessageCipher* cipher, Durability durability)
      : dir_(std::move(dir)), cipher_(cipher), durability_(durability) {}
  Status scan_segments();
  Status open_segment(uint64_t first_seq);
  Status write_batch(const std::string& bytes, uint64_t last_seq);
  void run();

  struct Segment {
    uint64_t first_seq;
    std::string path;
  };
  static constexpr uint64_t kSegmentBytes = 64ull << 20;

  std::string dir_;
  const MessageCipher* cipher_;
  Durability durability_;
  std::vector<Segment> segments_;  // in order; the last one is written (under mu_ once writing)
  uint64_t last_on_disk_ = 0;
  int fd_ = -1;  // the last segment, current_path_ (the writer thread's once started)
  std::string current_path_;
  uint64_t segment_bytes_ = 0;

  struct Pending {
    std::string bytes;
    uint64_t last_seq;
    std::function<void(const Status&)> durable;
  };
  std::mutex mu_;
  std::condition_variable cv_;        // the writer waits for work
  std::condition_variable done_cv_;   // wait_durable waits for the writer
  std::deque<Pending> queue_;
  uint64_t durable_seq_ = 0;
  Status failed_;
  bool stop_ = false;
  std::thread writer_;
};

}  // namespace pixguard
