#pragma once
// The pre-authorization API as a source: callers (HTTP threads, `POST /v1/score`) hand in one
// transaction each and wait for its decision; the runner reads them in batches like any
// input, so they go through the same pipeline, state and sinks as the stream.
//
// A request's life:
//   1. score() queues it (bounded: past `max_queued` waiting, 503 at once) and waits;
//   2. read() gives the queued requests to the pipeline as a batch, numbered 1, 2, ...
//      (the source position is the last number read);
//   3. while the batch runs, the pipeline tells this source (its DecisionListener) what
//      became of each: decided, rejected (field, rule) or a duplicate end_to_end_id;
//   4. once the batch is decided (before its records go to the sinks), each request is
//      written with its answer to the journal (preauth/decision_journal.h) and, once that is
//      durable, the callers get their answers.
// So an answer only ever goes out once its request can be replayed. After a crash the runner
// restores the last checkpoint and seeks here: the requests journaled after its position are
// replayed first, each keeping the decision its caller was given (PriorDecision), and the
// outputs of the epochs that did not commit are produced again with them; exactly once.
//
// Repeats: a request whose end_to_end_id was decided before (within dedupe.horizon) is a
// duplicate in the pipeline and gets the earlier answer again, byte for byte, while it is
// among the last `answers_kept` answers (kept in memory, rebuilt from the journal at start);
// else 409. A caller that gave up (timeout) may ask again with the same transaction.
//
// Threading: score() and close() from any thread; the Source and DecisionListener methods
// on the runner's thread; answers are handed back on the journal's writer thread.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "preauth/decision_journal.h"
#include "runtime/decision_listener.h"
#include "runtime/live_metrics.h"
#include "sources/source.h"

namespace pixguard {

struct PreauthOptions {
  std::size_t max_queued = 4096;     // requests waiting for the pipeline; past it 503
  int64_t timeout_us = 2'000'000;    // a caller waits this long for its answer, then 503
  std::size_t answers_kept = 100'000;  // answers a repeated request can get again
  std::size_t keep_checkpoints = 2;  // checkpoint.keep: the journal goes back to the oldest
  int64_t idle_wait_us = 10'000;     // read() waits this long for a first request
};

// The counts /metrics reports (pixguard_preauth_*).
struct PreauthCounters {
  std::atomic<uint64_t> decided{0};     // 200 with a decision made for the request
  std::atomic<uint64_t> repeated{0};    // 200 with an earlier answer (a duplicate)
  std::atomic<uint64_t> rejected{0};    // 400
  std::atomic<uint64_t> conflicts{0};   // 409: decided earlier, answer no longer kept
  std::atomic<uint64_t> overloaded{0};  // 503: the queue was full
  std::atomic<uint64_t> timed_out{0};   // 503: no answer within timeout
  std::atomic<uint64_t> replayed{0};    // journaled requests replayed after a restart
  std::atomic<uint64_t> replay_mismatches{0};  // replayed, but no longer decided alike (logged)
};

class PreauthSource final : public Source, public DecisionListener {
 public:
  // Fills the answers kept from `journal`.
  static Status open(const PreauthOptions& options, std::unique_ptr<DecisionJournal> journal,
                     std::unique_ptr<PreauthSource>* out);
  ~PreauthSource() override;

  struct Reply {
    int status = 0;  // 200, 400, 409, 503
    std::string body;  // JSON
  };
  // Decides `body` (one transaction in the input's shape); blocks until it is answered or the
  // timeout. `with_features`: the answer carries the feature values.
  Reply score(std::string_view body, bool with_features);
  // Refuses new requests and answers those still waiting 503 (the run has ended).
  void close();
  const PreauthCounters& counters() const { return counters_; }
  // Seconds from a request's arrival to its answer (every answer, 503s included).
  WaitHistogram answer_latency() const;

  // Source.
  const std::string& name() const override { return name_; }
  Status read(RecordBatch* batch, std::size_t max_records, bool* end) override;
  std::string position() const override { return std::to_string(position_); }
  Status seek(std::string_view position) override;
  Status prepare_checkpoint() override;

  // DecisionListener.
  void rejected(int64_t position, const Rejection& why) override;
  void duplicate(int64_t position, std::string_view end_to_end_id) override;
  void decided(int64_t position, std::string_view end_to_end_id, const Decision& decision,
               std::string_view model_version, std::string_view answer, std::size_t features_at) override;
  Status batch_decided() override { return flush(); }

 private:
  struct Call;
  // What became of a request read, until its answer is journaled.
  struct InFlight {
    uint64_t seq = 0;
    std::shared_ptr<Call> call;   // null: a replayed request
    const JournalEntry* replayed = nullptr;
    enum class Kind : unsigned char { kNone, kDecided, kRejected, kDuplicate } kind = Kind::kNone;
    std::string answer;           // decided: the answer; rejected: the error body
    uint32_t features_at = 0;
    std::string end_to_end_id;
    PriorDecision prior;
  };
  struct Kept {
    std::string answer;
    uint32_t features_at = 0;
  };

  PreauthSource(const PreauthOptions& options, std::unique_ptr<DecisionJournal> journal)
      : options_(options), journal_(std::move(journal)) {}
  Reply decide(std::string_view body, bool with_features);  // score() without the timing
  InFlight* in_flight(int64_t position);
  // Journals the batch's requests with their answers; their callers are answered once that
  // is durable.
  Status flush();
  void keep_answer(const std::string& end_to_end_id, const std::string& answer, uint32_t features_at);
  Status load_replay();

  PreauthOptions options_;
  std::unique_ptr<DecisionJournal> journal_;
  std::string name_ = "preauth";
  PreauthCounters counters_;

  mutable std::mutex latency_mu_;
  WaitHistogram latency_;

  // Callers waiting to be read (shared with score()).
  std::mutex mu_;
  std::condition_variable arrived_;
  std::deque<std::shared_ptr<Call>> queue_;
  bool closed_ = false;

  // The runner's thread.
  uint64_t position_ = 0;       // the last request read
  uint64_t replay_from_ = 1;    // the first journaled request the state lacks
  bool replay_loaded_ = false;
  std::deque<JournalEntry> replay_;      // journaled requests still to replay
  std::vector<JournalEntry> replaying_;  // those in the batch being processed
  std::deque<InFlight> in_flight_;       // the batch being processed, by seq
  std::deque<uint64_t> checkpointed_;    // positions of the last checkpoints
  std::unordered_map<std::string, Kept> kept_;  // answers by end_to_end_id
  std::deque<std::string> kept_order_;          // oldest first
};

}  // namespace pixguard
