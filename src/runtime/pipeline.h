#pragma once
// The pipeline: one batch at a time through every stage,
//   decode -> validate -> deduplicate -> enrich -> features -> score -> decide -> sinks,
// each stage over the whole batch before the next (tight loops, and a clean per-stage
// time). Results do not depend on the batch size: every order-dependent decision (the
// watermark, late flags, dedupe expiry, state pruning) is taken per message, in order.
//
// Workers (`pipeline.workers`): a batch runs in phases, some on every worker at once (a
// WorkerPool), and results do not depend on the number of workers:
//   1. parallel, a slice of the batch each: decode, the field rules, enrichment;
//   2. in order: the time-window rule, the watermark, dedupe, dead letters, the change log;
//   3. parallel, by payer: worker w computes the payer features of the payers in its shard
//      (FeatureEngine shards), each payer's transactions in arrival order (and the payee
//      features, when `state.payees` keeps them per part);
//   4. in order: the payee merge (runtime/part_merge.h) releases the transactions the payee
//      stage may take, this batch's and held ones, in merge order; the others are held;
//   5. parallel, by payee: the payee features of the released transactions, each payee's
//      in merge order;
//   6. parallel, a slice each: score, decide, encode the output lines;
//   7. in order: accounting, and the records handed to the sinks.
//
// State by part: the watermark, dedupe ids and payer histories are kept per part of the
// source (a Kafka partition; a file or the generator is part 0), so that a part can move to
// another process with its state (save_part / load_part / drop_part). Input keyed by payer
// keeps a payer's transactions in one part. The payee histories are shared by the parts
// (a payee is paid from all of them) and see the parts' transactions in merge order, which
// does not depend on how the parts interleave on arrival. The accounting and the payee
// state are the pipeline's (this process's), across parts.
//
// Threading: a Pipeline is driven from one thread; its phases use its own worker threads,
// each with its own decoder, scorer and decider. Sinks are called from the driving thread.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/text_arena.h"
#include "core/watermark.h"
#include "decide/decider.h"
#include "decode/decoder.h"
#include "dedupe/deduplicator.h"
#include "enrich/enricher.h"
#include "enrich/profile_store.h"
#include "features/feature_engine.h"
#include "lists/list_store.h"
#include "runtime/accounting.h"
#include "runtime/decision_listener.h"
#include "runtime/part_merge.h"
#include "runtime/part_state.h"
#include "runtime/payee_stage.h"
#include "runtime/worker_pool.h"
#include "validate/normalizer.h"
#include "score/scorer.h"
#include "sinks/record_encoder.h"
#include "sinks/sink.h"
#include "sources/record_batch.h"

namespace pixguard {

class Pipeline {
 public:
  // `decoder` matches the source's format; `labels` may be null; `model` may be null
  // (rules only). Fails on a model that needs features the config lacks.
  static Status create(const Config& config, std::unique_ptr<Decoder> decoder, std::shared_ptr<const Model> model,
                       const LabelStore* labels, std::unique_ptr<Pipeline>* out);

  // Sinks are not owned; each receives every record of its kind.
  void add_sink(Output kind, Sink* sink) { sinks_[static_cast<std::size_t>(kind)].push_back(sink); }
  const std::vector<Sink*>& sinks(Output kind) const { return sinks_[static_cast<std::size_t>(kind)]; }

  // Runs `batch` (finished) through every stage and writes its records to the sinks of the
  // open epoch. `source_name` is quoted in dead letters. Transactions the payee stage may
  // not take yet are held (accounting().held) and finished by a later call.
  Status process(const RecordBatch& batch, std::string_view source_name);
  // A partitioned source's input parts held now (payee topic partitions are not input parts),
  // with their next positions and whether they are idle (read to their end for a while): the
  // payee merge waits for every part held that is not idle, including those that have not
  // delivered yet. Unset (an unpartitioned source): the parts seen.
  struct InputPart {
    uint32_t id = 0;
    int64_t next_position = -1;
    bool idle = false;
  };
  void set_input_parts(std::vector<InputPart> parts) {
    input_parts_ = std::move(parts);
    input_parts_set_ = true;
  }
  // What a part of a partitioned source is: a partition of the input, or of the payee topic
  // (state.payees: repartition), and its partition number, which names it in merge keys
  // and clocks whichever member reads it. Declared before its state is loaded or its records
  // arrive; undeclared parts are input parts named by their id.
  void declare_part(uint32_t id, int32_t partition, bool payee_topic);

  // state.payees: repartition (runtime/payee_stage.h). The Output::kPayees sink writes the
  // payee topic, which has `payee_partitions` partitions; the input has `input_partitions`.
  void set_payee_topic(int32_t input_partitions, int32_t payee_partitions);
  bool repartitions() const { return payee_partitions_ > 0; }
  // Epoch ends: sends each input part's clock to every payee partition, where it changed.
  Status send_payee_clocks();
  // Whether the epoch has something for the payee topic (begin_epoch clears it): a bounded
  // run goes on until what it sent has come back.
  bool payee_topic_pending() const;
  void clear_payee_topic_written() { payee_topic_written_ = false; }
  // Every payee partition held has had every input partition idle, and holds nothing.
  bool payee_stages_drained() const;

  // At the end of the input: finishes every held transaction.
  Status release_held();
  // The transactions the last process() or release_held() handed to the sinks, in order:
  // when each entered the pipeline (its batch's start; Unix time) and its source timestamp.
  struct Timing {
    int64_t arrival_us;
    int64_t source_timestamp_ms;  // -1: none
  };
  const std::vector<Timing>& released_timing() const { return released_timing_; }

  // Told what became of each request (RecordBatch::request) as its batch is processed (not
  // owned; null: none). Requests come from an unpartitioned source, so none is ever held.
  void set_decision_listener(DecisionListener* listener) { listener_ = listener; }

  // Block and allow lists (not owned; null: none): refreshed before every batch, so that a
  // change made through the API or the journal applies from the next batch on.
  void set_list_store(ListStore* lists) { lists_ = lists; }
  // Reference data for the profile features (not owned; null: they are missing), refreshed
  // before every batch as its refresh interval says.
  void set_profile_store(ProfileStore* profiles) { profiles_ = profiles; }

  // Serves `model` from the next batch on (hot reload): the swap happens between batches,
  // so no transaction is scored by two models. Fails, keeping the current model, when the
  // model needs a feature the config does not declare.
  Status set_model(std::shared_ptr<const Model> model);
  const std::string& model_version() const { return workers_[0].scorer.model_version(); }

  // Housekeeping between epochs: drops expired feature state and refreshes the state
  // summary in the accounting.
  void expire_state();

  // The state a checkpoint carries: the accounting counts and the held transactions, then
  // every part's state and the payees' (save_parts). load_state() replaces the pipeline's
  // state; it fails (Corruption) on a malformed snapshot. For an unpartitioned source.
  void save_state(ByteWriter* out) const;
  Status load_state(std::string_view snapshot);
  // The accounting counts and the held transactions alone (incremental checkpoints keep the
  // rest in a base and changes).
  void save_accounting_state(ByteWriter* out) const;
  Status load_accounting_state(std::string_view snapshot);
  // For a partitioned source: this process's state (the accounting, the held transactions,
  // the payees), and each part's state apart.
  void save_member_state(ByteWriter* out) const;
  Status load_member_state(std::string_view snapshot);
  void save_part(uint32_t part, ByteWriter* out) const;
  // The state summary in the accounting follows at the next expire_state(): a summary
  // walks every key, too slow to redo for each part of a rebalance.
  Status load_part(uint32_t part, std::string_view snapshot);  // replaces the part's state
  void drop_part(uint32_t part);  // the part moved elsewhere
  bool has_part(uint32_t part) const;

  // Incremental checkpoints: while `log` is set, every message that changes part state
  // appends its StateChange there, in order. A base snapshot of the parts and payees
  // (save_parts) plus the changes since, replayed (load_parts, replay_changes, and
  // expire_state() where an epoch ended), restores the state exactly.
  void set_change_log(std::vector<StateChange>* log) { change_log_ = log; }
  void save_parts(ByteWriter* out) const { parts_.save(out); }
  Status load_parts(std::string_view snapshot);  // empty: no state at all
  void replay_changes(const std::vector<StateChange>& changes);
  // What the feature state was built for (the retention per key scope), recorded in
  // checkpoints so that a changed config is noticed on resume.
  std::string state_shape() const;

  std::size_t workers() const { return pool_.size(); }
  const Accounting& accounting() const { return accounting_; }
  Accounting& accounting() { return accounting_; }
  std::vector<std::string> rule_names() const;
  // The lowest watermark of the parts held (Watermark::kNone before any event time).
  int64_t watermark_us() const;

 private:
  // What one worker thread owns: its scratch and the stage objects that hold scratch.
  struct Worker {
    std::unique_ptr<Decoder> decoder;
    TextArena arena;  // the text its decoder unescaped, for its slice of the batch
    Scorer scorer;
    std::unique_ptr<Decider> decider;
    std::string lines;  // its slice's encoded output lines
    TextArena protected_text;  // its slice's personal fields as outputs show them
    std::unique_ptr<KeyedHash::Scratch> hash_scratch = std::make_unique<KeyedHash::Scratch>();
    int64_t stage_nanos[StageTimes::kCount] = {};  // this batch's, its thread's time
  };

  Pipeline(const Config& config, std::unique_ptr<Decoder> decoder, const LabelStore* labels,
           std::shared_ptr<const Privacy> privacy, const SipKey& id_key);
  Status check_format(ByteReader* in) const;
  void refresh_state_summary();
  void record_changes(const RecordBatch& batch);
  bool load_accounting_state(ByteReader* in);

  // The phases of process().
  void check_fields(Worker& w, const RecordBatch& batch, std::size_t begin, std::size_t end);
  void order_and_dedupe(const RecordBatch& batch, std::string_view source_name);
  void compute_part_features(Worker& w, std::size_t shard, std::size_t n);
  Status merge(const RecordBatch* batch, bool release_all);
  void hold_or_take(const RecordBatch* batch, bool release_all);  // state.payees: shared
  void compute_payee_features(Worker& w, std::size_t shard);
  void score_and_encode(Worker& w, std::size_t begin, std::size_t end);
  Status account_and_emit();
  Status finish_released();  // phases 5 to 7
  // Runs phase(w) for every worker: on the pool for `n` messages or more, else in turn here.
  void run_phase(std::size_t n, const std::function<void(std::size_t)>& phase);
  // Takes the lists' latest snapshot for this batch's decisions.
  void refresh_lists();
  // Takes the profile tables for this batch, and where each profile feature's column is.
  void refresh_profiles();
  // Writes the profile features of `tx` into `row` (the payer's worker, beside the context).
  void profile_features(const Transaction& tx, double* row) const;

  void reject(const RecordBatch& batch, std::size_t i, const Rejection& why, std::string_view source_name);
  Status emit(Output kind, SinkRecord record);

  // Per-message progress through the batch (kPayeeRecord: a payee topic record).
  enum class Fate : unsigned char { kAlive, kDeadLetter, kDuplicate, kPayeeRecord };
  // What the parallel checks found: the message passed, or broke a rule that comes before
  // the time window (decoding included), or one that comes after it.
  enum class Check : unsigned char { kPassed, kBrokeBeforeWindow, kBrokeAfterWindow };

  std::size_t max_message_bytes_;
  Normalizer normalizer_;
  Validator validator_;
  PartStates parts_;
  Enricher enricher_;
  uint64_t id_fingerprint_;  // of the key naming ids in the state; saved with it
  std::size_t feature_count_;
  std::string state_shape_;
  const Config* config_;  // outlives the pipeline (it is the job's)
  std::shared_ptr<const Privacy> privacy_;
  RecordEncoder encoder_;
  std::vector<Sink*> sinks_[kOutputCount];
  Accounting accounting_;
  Status sink_error_;  // first dead-letter write failure of the batch
  std::vector<StateChange>* change_log_ = nullptr;
  std::vector<Worker> workers_;  // [0] runs on the driving thread
  DecisionListener* listener_ = nullptr;
  ListStore* lists_ = nullptr;
  std::shared_ptr<const ListSnapshot> list_snapshot_;  // this batch's
  std::string list_problem_;                           // the last refresh's, said once
  ProfileStore* profiles_ = nullptr;
  std::vector<std::shared_ptr<const ProfileTable>> profile_tables_;  // this batch's
  struct ProfileFeature {
    std::size_t feature;  // index in the row
    std::size_t table;    // index in profile_tables_
    int column;           // in the table; -1: the table has no such column now
  };
  std::vector<ProfileFeature> profile_features_;
  WorkerPool pool_;
  PartMerge merge_;
  std::vector<InputPart> input_parts_;
  bool input_parts_set_ = false;
  std::vector<PartClock> clocks_;
  // Parts declared (declare_part), by id.
  struct PartInfo {
    int32_t partition = -1;  // -1: undeclared, named by its id
    bool payee_topic = false;
  };
  std::vector<PartInfo> part_info_;
  uint32_t merge_part(uint32_t id) const {
    return id < part_info_.size() && part_info_[id].partition >= 0 ? static_cast<uint32_t>(part_info_[id].partition) : id;
  }
  // Message i's key in the payee merge (runtime/part_merge.h).
  MergeKey merge_key(const RecordBatch& batch, std::size_t i) const {
    return MergeKey{order_time_[i], merge_part(batch.part(i)), batch.position(i)};
  }
  bool is_payee_part(uint32_t id) const { return id < part_info_.size() && part_info_[id].payee_topic; }
  PayeeStage& stage(uint32_t id);  // created empty on first use

  // state.payees: repartition.
  int32_t input_partitions_ = 0;
  int32_t payee_partitions_ = 0;  // 0: not repartitioning
  std::vector<std::unique_ptr<PayeeStage>> stages_;  // by part id; null: not held
  std::vector<PayeeStage*> taken_stage_;  // the stage of each of taken_
  struct SentClock {
    int64_t order_time_us;
    bool idle;
  };
  std::vector<std::pair<uint32_t, SentClock>> sent_clocks_;  // by input partition, the last sent
  bool payee_topic_written_ = false;
  std::string payee_record_;
  Status forward(const RecordBatch& batch, std::size_t i);
  // Input part `in`'s clock now (`order_time`), and whether it differs from the last sent.
  bool clock_unsent(const InputPart& in, int64_t* order_time) const;

  // Reused per batch, one element per message.
  std::vector<Fate> fate_;
  std::vector<Check> check_;
  std::vector<Rejection> why_;
  std::vector<PartState*> part_of_;
  std::vector<FieldValues> fields_;
  std::vector<Transaction> txs_;
  std::vector<int64_t> watermark_at_;  // watermark after each message was observed
  std::vector<Deduplicator::Fingerprint> ids_;  // each message's dedupe fingerprint
  std::vector<unsigned char> late_;
  std::vector<Enrichment> enrichments_;
  std::vector<int64_t> order_time_;    // the part's latest event time once observed
  std::vector<double> feature_rows_;   // batch x features

  // What the payee stage takes, in merge order: this batch's transactions and held ones.
  struct Released {
    const Transaction* tx;
    const Enrichment* enrichment;
    FeatureEngine* payees;  // the histories its payee features read
    double* features;
    int64_t payee_watermark_us;
    bool late;
    int64_t position = 0;                  // in its source
    bool request = false;                  // a caller waits for its decision
    const PriorDecision* prior = nullptr;  // the decision its caller was given (a replay)
  };
  std::vector<Released> released_;
  std::vector<Transaction> protected_;  // released_[j]'s transaction as outputs show it
  std::vector<Timing> released_timing_;
  int64_t arrival_us_ = 0;  // the current batch's
  std::vector<HeldTransaction> taken_;  // held ones released now, decoded again below
  std::vector<Transaction> taken_txs_;
  std::vector<Enrichment> taken_enrichments_;
  std::vector<FieldValues> taken_fields_;
  TextArena taken_arena_;
  std::string taken_bytes_;  // their messages, each followed by the decoders' padding
  std::vector<std::size_t> takeable_;  // this batch's messages released now, in merge order

  // Per released transaction.
  std::vector<double> scores_;
  std::vector<Decision> decisions_;
  std::vector<double> contribution_rows_;  // released x (features + 1), alerts only
  // Where a message's output lines are: its worker's `lines`, [begin, scored_end) the
  // scored record, [scored_end, alert_end) the alert, [alert_end, answer_end) a request's
  // answer (its features from answer_features).
  struct Encoded {
    uint32_t worker = 0;
    uint32_t begin = 0, scored_end = 0, alert_end = 0, answer_end = 0, answer_features = 0;
    bool contributions = false;  // its row of contribution_rows_ is filled
  };
  std::vector<Encoded> encoded_;
  std::string line_;
};

}  // namespace pixguard
