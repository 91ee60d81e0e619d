#pragma once
// Sink: where scored transactions, alerts and dead letters go, committed per epoch.
//
// Epoch contract (the checkpoint coordinator drives it; Kafka and Delta sinks implement it):
//   begin_epoch(e) -> write()* -> prepare(e) -> commit(e)     or     -> abort(e)
// - write() output is invisible to readers until commit(e).
// - prepare(e) makes the epoch durable (it survives a crash) but still invisible; after it,
//   commit(e) cannot fail for lack of resources, only for I/O errors.
// - commit(e) is idempotent: committing an epoch already committed (a replay after a crash
//   between the checkpoint and the commit) succeeds without writing anything twice.
// - last_committed_epoch() is what recovery compares with the checkpoint (0 = none).
// - recover(c), called once before the first begin_epoch() with the epoch of the checkpoint
//   the run resumes from (0 = none), settles what a crash left: epochs <= c that were
//   prepared are committed (the checkpoint is their commit point), later ones are discarded
//   (their input will be read again, and cut into epochs anew). After a damaged checkpoint
//   was skipped, the file and Delta sinks discard even committed later epochs; a committed
//   Kafka transaction cannot be taken back. New epochs then start at c + 1.
// All calls return Status; nothing throws across this interface.
//
// Threading: a sink is driven by one pipeline thread.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace pixguard {

struct ScoredRecord;  // sinks/scored_record.h

// The outputs of the pipeline; a sink may take one or several. kPayees is internal: the
// transactions handed to the payee stage through a Kafka topic (runtime/payee_stage.h).
enum class Output : unsigned char { kScored, kAlerts, kDeadLetters, kPayees };
inline constexpr std::size_t kOutputCount = 4;
inline const char* output_name(Output kind) {
  switch (kind) {
    case Output::kScored: return "scored";
    case Output::kAlerts: return "alerts";
    case Output::kDeadLetters: return "dead_letter";
    case Output::kPayees: return "payees";
  }
  return "?";
}

struct SinkRecord {
  std::string_view key;                   // partitioning key (the payer), for keyed sinks
  std::string_view json;                  // the record as one JSON object, no newline (kPayees: binary)
  const ScoredRecord* scored = nullptr;   // structured view for columnar sinks; null for dead letters
  Output kind = Output::kScored;          // set by the pipeline: which output the record is for
  int32_t partition = -1;                 // kPayees: the topic's partition; -1: by key
};

class Sink {
 public:
  virtual ~Sink() = default;
  virtual const std::string& name() const = 0;
  virtual Status begin_epoch(uint64_t epoch) = 0;
  virtual Status write(const SinkRecord& record) = 0;
  virtual Status prepare(uint64_t epoch) = 0;
  virtual Status commit(uint64_t epoch) = 0;
  virtual Status abort(uint64_t epoch) = 0;
  virtual uint64_t last_committed_epoch() const = 0;
  virtual Status recover(uint64_t checkpointed_epoch) = 0;
  // Whether recover() can still commit an epoch that was prepared before a crash. File
  // sinks can (the prepared output is on disk); a Kafka transaction dies with its producer.
  // For a sink that cannot, the runner commits it before the others, and at recovery
  // resumes from its last committed epoch when that is older than the newest checkpoint, so
  // the epoch is produced again instead of lost.
  virtual bool commit_survives_crash() const { return true; }
  // Whether write() reads SinkRecord::json. A sink that only reads the structured record (a
  // columnar table) says no, and the pipeline does not encode JSON for it: the line may then
  // be empty.
  virtual bool reads_json() const { return true; }
  // Records of each output (index: Output) that this sink made durable and visible through
  // its own commit() in this process: what the file, table or topic holds, not what it was
  // handed (records committed by recover() belong to the checkpoint's accounting). The
  // runner checks them against the accounting after every epoch, so that a sink that loses
  // records makes the run unbalanced. A sink without such a count (an in-memory view) says
  // false in counts_committed().
  virtual bool counts_committed() const { return false; }
  virtual std::array<uint64_t, kOutputCount> committed_records() const { return {}; }
};

}  // namespace pixguard
