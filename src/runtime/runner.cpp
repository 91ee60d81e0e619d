#include "runtime/runner.h"

#include <algorithm>
#include <chrono>
#include <map>

#include <fmt/format.h>

#include "core/clock.h"
#include "core/log.h"

namespace pixguard {

std::vector<Sink*> Runner::all_sinks() const {
  std::vector<Sink*> all;
  for (const Output kind : {Output::kScored, Output::kAlerts, Output::kDeadLetters, Output::kPayees}) {
    for (Sink* s : pipeline_->sinks(kind)) {
      if (std::find(all.begin(), all.end(), s) == all.end()) all.push_back(s);
    }
  }
  return all;
}

Status Runner::recover() {
  CheckpointStore* store = options_.checkpoints;
  if (store != nullptr) {
    Checkpoint c;
    bool found = false;
    if (Status s = store->load_latest(&c, &found); !s.ok()) return s;
    if (found) {
      if (Status s = step_back_for_uncommitted_sinks(&c, &found); !s.ok()) return s;
    }
    if (found) {
      const std::string where = "checkpoint " + store->path_of(c.epoch);
      if (c.pipeline_id != options_.pipeline_id) {
        return Status::InvalidArgument(where + " belongs to pipeline '" + c.pipeline_id + "', not '" +
                                       options_.pipeline_id + "' (pipeline.id); point checkpoint.dir elsewhere");
      }
      if (c.source_name != source_->name()) {
        return Status::InvalidArgument(where + " was taken reading " + c.source_name + ", but the config reads " +
                                       source_->name() + "; pass --overwrite to start over");
      }
      if (c.state_shape != pipeline_->state_shape()) {
        log(LogLevel::kWarn, where + ": the feature retention changed since (" + c.state_shape + " -> " +
                                 pipeline_->state_shape() + "); restored history covers the old one");
      }
      if (partitioned_) {
        // Parts are restored from the members' checkpoints as they are assigned.
        std::string accounting;
        PartWriter writer;
        std::vector<PartSection> sections;
        Status s = decode_partitioned_state(c.state, &accounting, &writer, &sections);
        if (s.ok()) s = pipeline_->load_member_state(accounting);
        if (!s.ok()) return s.with_context(where);
        for (PartSection& section : sections) orphans_[section.part] = std::move(section);
      } else {
        IncrementalState inc;
        bool incremental = false;
        Status restored = IncrementalState::decode(c.state, &inc, &incremental);
        if (restored.ok()) restored = incremental ? restore_incremental(c, inc) : pipeline_->load_state(c.state);
        if (restored.ok() && !incremental && incremental_) restored = write_base_now(c.epoch);
        if (!restored.ok()) return restored.with_context(where);
        if (Status s = source_->seek(c.source_position); !s.ok()) {
          return s.with_context(where + ": cannot seek the source");
        }
      }
      resumed_from_ = c.epoch;
      log(LogLevel::kInfo, "resuming from " + where + " (" + std::to_string(pipeline_->accounting().in) +
                               " messages in so far, source position " + c.source_position + ")");
    }
  }
  for (Sink* s : all_sinks()) {
    if (resumed_from_ == 0 && s->last_committed_epoch() > 0) {
      return Status::InvalidArgument("sink " + s->name() +
                                     " already holds committed output but there is no checkpoint to resume from; "
                                     "pass --overwrite to start over (or point the sinks elsewhere)");
    }
    if (Status st = s->recover(resumed_from_); !st.ok()) return st;
  }
  epoch_ = resumed_from_;
  pipeline_->accounting().resumed_in = pipeline_->accounting().in;
  for (std::size_t k = 0; k < kOutputCount; ++k) expected_at_start_[k] = expected_records(static_cast<Output>(k));
  return Status::Ok();
}

uint64_t Runner::expected_records(Output kind) const {
  const Accounting& a = pipeline_->accounting();
  switch (kind) {
    case Output::kScored: return a.scored;
    case Output::kAlerts:
      return a.outcomes[static_cast<std::size_t>(Outcome::kReview)] + a.outcomes[static_cast<std::size_t>(Outcome::kBlock)];
    case Output::kDeadLetters: return a.dead_letters;
    case Output::kPayees: break;  // also carries the parts' clocks: not one record per transaction
  }
  return 0;
}

void Runner::check_sinks() {
  Accounting& a = pipeline_->accounting();
  for (const Output kind : {Output::kScored, Output::kAlerts, Output::kDeadLetters}) {
    const std::size_t k = static_cast<std::size_t>(kind);
    const uint64_t expected = expected_records(kind) - expected_at_start_[k];
    for (const Sink* s : pipeline_->sinks(kind)) {
      if (!s->counts_committed()) continue;
      const uint64_t committed = s->committed_records()[k];
      const std::string key = "sink " + s->name() + " " + std::string(output_name(kind)) + ": ";
      const auto it = std::find_if(a.sink_mismatches.begin(), a.sink_mismatches.end(),
                                   [&](const std::string& m) { return m.starts_with(key); });
      if (committed == expected) continue;  // a record lost earlier is not found again: the mismatch stays
      const std::string text = key + "committed " + std::to_string(committed) + " records by epoch " +
                               std::to_string(epoch_) + ", the accounting counts " + std::to_string(expected);
      if (it == a.sink_mismatches.end()) {
        log(LogLevel::kError, text + ": the run is not balanced");
        a.sink_mismatches.push_back(text);
      } else {
        *it = text;
      }
    }
  }
}

Status Runner::step_back_for_uncommitted_sinks(Checkpoint* c, bool* found) {
  // A crash between the checkpoint and a Kafka commit leaves the newest checkpoint ahead of
  // what such a sink holds; resuming from the sink's last epoch produces the lost one again.
  uint64_t target = c->epoch;
  const Sink* behind = nullptr;
  for (const Sink* s : all_sinks()) {
    if (s->commit_survives_crash()) continue;
    const uint64_t committed = s->last_committed_epoch();
    if (committed > c->epoch) {
      log(LogLevel::kWarn, "sink " + s->name() + " committed epoch " + std::to_string(committed) +
                               ", after the newest usable checkpoint " + std::to_string(c->epoch) +
                               " (a damaged checkpoint was skipped): that output will appear twice");
    } else if (committed < target) {
      target = committed;
      behind = s;
    }
  }
  if (behind == nullptr) return Status::Ok();
  // Epochs commit one after the other, so only the newest can be missing; anything else
  // means the sink lost its record of commits, and resuming would write whole epochs twice.
  if (target + 1 != c->epoch) {
    return Status::InvalidArgument("sink " + behind->name() + " last committed epoch " + std::to_string(target) +
                                   ", but the newest checkpoint is epoch " + std::to_string(c->epoch) +
                                   "; its commit record is missing or belongs elsewhere: pass --overwrite to start over");
  }
  log(LogLevel::kWarn, "sink " + behind->name() + " did not commit epoch " + std::to_string(c->epoch) +
                           " before the process stopped; resuming from epoch " + std::to_string(target) +
                           " to produce it again");
  if (target == 0) {
    *found = false;
    return Status::Ok();
  }
  return options_.checkpoints->load(target, c);
}

Status Runner::restore_incremental(const Checkpoint& c, const IncrementalState& inc) {
  CheckpointStore* store = options_.checkpoints;
  if (Status s = pipeline_->load_accounting_state(inc.accounting); !s.ok()) return s;
  std::string base;
  if (inc.base_epoch > 0) {
    if (Status s = store->read_base(inc.base_epoch, &base); !s.ok()) return s;
  }
  if (Status s = pipeline_->load_parts(base); !s.ok()) return s;  // empty: no state
  base_bytes_ = base.size();
  base.clear();
  std::vector<StateChange> changes;
  changes_since_base_ = 0;
  for (uint64_t e = inc.base_epoch + 1; e <= c.epoch; ++e) {
    if (Status s = store->read_changes(e, &changes); !s.ok()) return s;
    pipeline_->replay_changes(changes);
    pipeline_->expire_state();
    changes_since_base_ += changes.size();
  }
  base_epoch_ = inc.base_epoch;
  // Every kept checkpoint's base stays until the checkpoints reading it are gone. Newer ones
  // (a step back past them) are written again under their epochs.
  for (const uint64_t e : store->epochs_on_disk()) {
    if (e > c.epoch) continue;
    Checkpoint other;
    IncrementalState other_inc;
    bool is_incremental = false;
    if (store->load(e, &other).ok() && IncrementalState::decode(other.state, &other_inc, &is_incremental).ok() &&
        is_incremental) {
      kept_.emplace_front(e, other_inc.base_epoch);
    }
  }
  return Status::Ok();
}

Status Runner::write_base_now(uint64_t epoch) {
  // Resuming from a full checkpoint: later checkpoints build on its state as a base.
  std::string base;
  ByteWriter w(&base);
  pipeline_->save_parts(&w);
  if (Status s = options_.checkpoints->write_base(epoch, base, &base_bytes_); !s.ok()) return s;
  base_epoch_ = epoch;
  changes_since_base_ = 0;
  return Status::Ok();
}

Status Runner::write_changes(std::string* state) {
  uint64_t bytes = 0;
  if (Status s = changes_writer_->finish(epoch_, &changes_, &bytes); !s.ok()) return s;
  changes_since_base_ += changes_in_epoch_;
  changes_in_epoch_ = 0;
  IncrementalState inc;
  ByteWriter a(&inc.accounting);
  pipeline_->save_accounting_state(&a);
  inc.base_epoch = base_epoch_;
  *state = inc.encode();
  changes_bytes_ = bytes;
  return Status::Ok();
}

Status Runner::after_incremental_checkpoint() {
  CheckpointStore* store = options_.checkpoints;
  while (!kept_.empty() && kept_.back().first >= epoch_) kept_.pop_back();  // replaced by this one
  kept_.emplace_back(epoch_, base_epoch_);
  const std::vector<uint64_t> on_disk = store->epochs_on_disk();
  while (!kept_.empty() && std::find(on_disk.begin(), on_disk.end(), kept_.front().first) == on_disk.end()) {
    kept_.pop_front();
  }
  CompactionResult done;
  if (compactor_->poll(&done)) {
    if (!done.status.ok()) {
      // The changes stay until a later compaction succeeds: nothing is lost, restores read more.
      retry_compaction_at_ = 2 * done_changes_;
      log(LogLevel::kWarn, "state compaction to epoch " + std::to_string(done.base_epoch) + " failed: " +
                               done.status.message());
    } else {
      log(LogLevel::kInfo, fmt::format("state compacted into the base of epoch {} ({:.1f} MiB, {:.2f} s, on the "
                                       "compactor's thread)", done.base_epoch, static_cast<double>(done.bytes) / 1048576.0,
                                       done.seconds));
      // Checkpoints from the next one on build on it.
      changes_since_base_ -= std::min(changes_since_base_, done_changes_);
      retry_compaction_at_ = 0;
      base_epoch_ = done.base_epoch;
      base_bytes_ = done.bytes;
    }
  }
  uint64_t oldest_base = base_epoch_;
  for (const auto& [epoch, base] : kept_) oldest_base = std::min(oldest_base, base);
  store->remove_state_before(oldest_base);
  // Due when replaying the changes would cost more than reading the base (after a failed
  // compaction, not before the changes have doubled). Not as the run ends: the stop would
  // wait for it, and the next run would not use it.
  const uint64_t due = std::max({options_.incremental_config->checkpoint.compact_after,
                                 base_bytes_ / sizeof(StateChange), retry_compaction_at_});
  if (!stopping_ && !compactor_->busy() && changes_since_base_ >= due) {
    done_changes_ = changes_since_base_;
    compactor_->start(base_epoch_, epoch_);
  }
  return Status::Ok();
}

Status Runner::begin_epoch() {
  ++epoch_;
  pipeline_->clear_payee_topic_written();
  for (Sink* s : all_sinks()) {
    if (Status st = s->begin_epoch(epoch_); !st.ok()) return st;
  }
  return Status::Ok();
}

Status Runner::write_checkpoint() {
  Checkpoint c;
  c.epoch = epoch_;
  c.pipeline_id = options_.pipeline_id;
  c.source_name = source_->name();
  c.source_position = source_->position();
  c.state_shape = pipeline_->state_shape();
  c.model_version = pipeline_->model_version();
  c.written_at_us = unix_micros();
  if (partitioned_) {
    // Every part held, changed or not: a part's newest state must not depend on a checkpoint
    // this member may delete.
    std::string accounting;
    ByteWriter a(&accounting);
    pipeline_->save_member_state(&a);
    std::vector<PartSection> sections;
    checkpointed_parts_.clear();
    for (const SourcePart& part : source_->parts()) {
      if (part.next_position < 0) continue;  // nothing read, nothing restored: no state
      PartSection section{part.name, part.next_position, {}};
      ByteWriter w(&section.state);
      pipeline_->save_part(part.id, &w);
      sections.push_back(std::move(section));
      checkpointed_parts_.push_back(part.name);
      orphans_.erase(part.name);
    }
    for (auto it = orphans_.begin(); it != orphans_.end();) {
      if (options_.part_checkpoints != nullptr && options_.part_checkpoints->adopted_elsewhere(it->first, it->second.next_position)) {
        it = orphans_.erase(it);
      } else {
        sections.push_back(it++->second);
      }
    }
    PartWriter writer = options_.part_writer;
    writer.epoch = epoch_;
    c.state = encode_partitioned_state(accounting, writer, sections);
  } else if (incremental_) {
    if (Status s = write_changes(&c.state); !s.ok()) return s;
  } else {
    ByteWriter w(&c.state);
    pipeline_->save_state(&w);
  }
  if (Status s = options_.checkpoints->write(c, &last_checkpoint_); !s.ok()) return s;
  last_checkpoint_unix_us_ = unix_micros();
  if (!incremental_) return Status::Ok();
  last_checkpoint_.bytes += changes_bytes_;
  return after_incremental_checkpoint();
}

Status Runner::parts_revoked(const std::vector<SourcePart>& parts) {
  // What was read from them, up to the records already in the batch being filled, is
  // finished and committed while they are still ours.
  if (Status s = process_batch(); !s.ok()) return s;
  batch_.clear();
  if (Status s = end_epoch(); !s.ok()) return s;
  for (const SourcePart& part : parts) {
    if (part.next_position >= 0) {
      PartSection section{part.name, part.next_position, {}};
      ByteWriter w(&section.state);
      pipeline_->save_part(part.id, &w);
      orphans_[part.name] = std::move(section);
    }
    pipeline_->drop_part(part.id);
    quiet_since_.erase(part.id);
  }
  return begin_epoch();
}

Status Runner::parts_assigned(std::vector<SourcePart>* parts) {
  std::map<std::string, FoundPart> found;
  if (options_.part_checkpoints != nullptr) {
    std::vector<std::string> names;
    for (const SourcePart& part : *parts) names.push_back(part.name);
    const auto committed = [this](const PartWriter& w) { return !options_.part_committed || options_.part_committed(w); };
    if (Status s = options_.part_checkpoints->find(names, committed, &found); !s.ok()) return s;
  }
  for (SourcePart& part : *parts) {
    pipeline_->declare_part(part.id, part.partition, !options_.payee_topic.empty() && part.topic == options_.payee_topic);
    pipeline_->drop_part(part.id);
    orphans_.erase(part.name);  // found above if it was the newest
    part.next_position = -1;
    const auto it = found.find(part.name);
    if (it == found.end()) {
      log(LogLevel::kInfo, "part " + part.name + ": no checkpoint, starting with empty state");
      continue;
    }
    const FoundPart& f = it->second;
    if (Status s = pipeline_->load_part(part.id, f.section.state); !s.ok()) return s.with_context("part " + part.name);
    // Its checkpoint may be deleted by its writer from now on: keep a copy until ours holds it.
    if (f.writer.instance != options_.part_writer.instance) {
      if (Status s = options_.part_checkpoints->adopt(f); !s.ok()) return s;
    }
    part.next_position = f.section.next_position;
    log(LogLevel::kInfo, "part " + part.name + ": restored the state of epoch " + std::to_string(f.writer.epoch) +
                             " of instance " + f.writer.instance + ", resuming at " +
                             std::to_string(f.section.next_position));
  }
  return Status::Ok();
}

Status Runner::process_batch() {
  batch_.finish();
  // An empty batch still lets held transactions go once their parts have gone idle.
  if (batch_.empty() && pipeline_->accounting().held == 0) return Status::Ok();
  const std::size_t changes_before = changes_.size();
  if (partitioned_) pipeline_->set_input_parts(input_parts());
  if (Status s = pipeline_->process(batch_, source_->name()); !s.ok()) return s;
  if (incremental_) {
    // Handed over in chunks: written while the epoch runs.
    changes_in_epoch_ += changes_.size() - changes_before;
    if (changes_.size() >= ChangesWriter::kChunk) {
      changes_writer_->append(epoch_, &changes_);
      changes_.reserve(ChangesWriter::kChunk);
    }
  }
  if (options_.metrics != nullptr) observe_released();
  return Status::Ok();
}

std::vector<Pipeline::InputPart> Runner::input_parts() {
  const auto now = std::chrono::steady_clock::now();
  std::vector<Pipeline::InputPart> inputs;
  for (const SourcePart& p : source_->parts()) {
    if (!options_.payee_topic.empty() && p.topic == options_.payee_topic) continue;
    bool idle = input_ended_;
    if (!p.quiet) {
      quiet_since_.erase(p.id);
    } else {
      const auto since = quiet_since_.try_emplace(p.id, now).first->second;
      idle = idle || now - since >= std::chrono::microseconds(options_.idle_after_us);
    }
    inputs.push_back({p.id, p.next_position, idle});
  }
  return inputs;
}

void Runner::observe_released() {
  const auto n = static_cast<double>(batch_.size());
  const StageTimes& stages = pipeline_->accounting().stage_times;
  for (std::size_t i = 0; i < StageTimes::kCount && n > 0; ++i) {
    const int64_t delta = stages.nanos[i] - stage_nanos_before_[i];
    stage_nanos_before_[i] = stages.nanos[i];
    sample_.stages[i].observe(static_cast<double>(delta) / 1e9 / n, batch_.size());
  }
  // Per transaction handed to the sinks now (held ones included): how long since it arrived;
  // the arrivals wait for the epoch's commit.
  const int64_t now_us = unix_micros();
  for (const Pipeline::Timing& t : pipeline_->released_timing()) {
    sample_.decision.observe(static_cast<double>(std::max<int64_t>(0, now_us - t.arrival_us)) / 1e6);
    if (t.source_timestamp_ms >= 0) {
      sample_.end_to_end.observe(static_cast<double>(std::max<int64_t>(0, now_us / 1000 - t.source_timestamp_ms)) / 1e3);
    }
    if (!arrivals_in_epoch_.empty() && arrivals_in_epoch_.back().first == t.arrival_us) {
      ++arrivals_in_epoch_.back().second;
    } else {
      arrivals_in_epoch_.emplace_back(t.arrival_us, 1);
    }
  }
}

void Runner::publish_metrics(bool force) {
  if (options_.metrics == nullptr) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_publish_ < std::chrono::milliseconds(100)) return;
  last_publish_ = now;
  sample_.accounting = pipeline_->accounting();
  if (sample_.rule_names.empty()) sample_.rule_names = pipeline_->rule_names();
  sample_.model_version = pipeline_->model_version();
  sample_.epoch = epoch_;
  const int64_t watermark = pipeline_->watermark_us();
  sample_.watermark_us = watermark == Watermark::kNone ? 0 : watermark;
  if (last_checkpoint_unix_us_ != 0) {
    sample_.checkpoint_seconds = last_checkpoint_.seconds;
    sample_.checkpoint_bytes = last_checkpoint_.bytes;
    sample_.checkpoint_written_unix_us = last_checkpoint_unix_us_;
  }
  sample_.backlog = source_->backlog();
  sample_.progress_unix_us = unix_micros();
  sample_.restoring = !recovered_;
  sample_.ready = recovered_ && source_->serving();
  sample_.not_ready_reason = !recovered_ ? "restoring the checkpoint" : !sample_.ready ? "waiting for input partitions" : "";
  options_.metrics->publish(sample_);
}

Status Runner::end_epoch() {
  const std::vector<Sink*> sinks = all_sinks();
  // In the epoch's transaction, after what they cover.
  if (pipeline_->repartitions()) {
    pipeline_->set_input_parts(input_parts());
    if (Status st = pipeline_->send_payee_clocks(); !st.ok()) return st;
  }
  if (Status st = source_->prepare_checkpoint(); !st.ok()) return st;
  for (Sink* s : sinks) {
    if (Status st = s->prepare(epoch_); !st.ok()) return st;
  }
  pipeline_->expire_state();
  if (options_.checkpoints != nullptr) {
    if (Status st = write_checkpoint(); !st.ok()) return st;
  }
  // Sinks whose commit does not survive a crash go first: if one fails, the others have
  // not made the epoch visible, and recovery can produce it again everywhere.
  for (const bool survives : {false, true}) {
    for (Sink* s : sinks) {
      if (s->commit_survives_crash() != survives) continue;
      if (Status st = s->commit(epoch_); !st.ok()) return st;
    }
  }
  check_sinks();
  if (options_.part_checkpoints != nullptr) options_.part_checkpoints->release_adopted(checkpointed_parts_);
  const int64_t committed_us = unix_micros();
  for (const auto& [arrival_us, count] : arrivals_in_epoch_) {
    sample_.commit.observe(static_cast<double>(std::max<int64_t>(0, committed_us - arrival_us)) / 1e6, count);
  }
  arrivals_in_epoch_.clear();
  if (options_.on_epoch) options_.on_epoch(pipeline_->accounting());
  publish_metrics(/*force=*/true);
  return Status::Ok();
}

void Runner::pick_up_new_model() {
  const ModelWatcher* w = options_.model_watcher;
  if (w == nullptr || w->generation() == model_generation_) return;
  model_generation_ = w->generation();
  // The watcher checked that the model fits the features, so this cannot fail in practice;
  // if it did, the current model keeps serving.
  if (Status s = pipeline_->set_model(w->current()); !s.ok()) {
    log(LogLevel::kWarn, "new model not served: " + s.message());
  }
}

Status Runner::run(const std::atomic<bool>& stop) {
  using Clock = std::chrono::steady_clock;
  const auto started = Clock::now();
  sample_.started_unix_us = unix_micros();
  publish_metrics(/*force=*/true);
  partitioned_ = source_->partitioned();
  incremental_ = options_.incremental_config != nullptr && options_.checkpoints != nullptr && !partitioned_;
  if (incremental_) {
    compactor_ = std::make_unique<StateCompactor>(*options_.incremental_config, options_.checkpoints);
    changes_writer_ = std::make_unique<ChangesWriter>(options_.checkpoints);
  }
  if (Status s = recover(); !s.ok()) return s;
  if (incremental_) pipeline_->set_change_log(&changes_);
  recovered_ = true;
  publish_metrics(/*force=*/true);
  if (Status s = begin_epoch(); !s.ok()) return s;
  auto epoch_started = Clock::now();
  const auto interval = std::chrono::microseconds(options_.epoch_interval_us);
  bool end = false;
  Status failure;
  if (options_.model_watcher != nullptr) model_generation_ = options_.model_watcher->generation();
  if (partitioned_) source_->set_part_listener(this);
  while (!end && !stop.load(std::memory_order_relaxed)) {
    pick_up_new_model();
    batch_.clear();
    if (failure = source_->read(&batch_, options_.batch_size, &end); !failure.ok()) break;
    if (end && pipeline_->repartitions()) {
      // The input is read; what was sent to the payee topic must still come back. Its parts
      // are idle from now on.
      input_ended_ = true;
      end = false;
    }
    if (failure = process_batch(); !failure.ok()) break;
    publish_metrics(/*force=*/false);
    if (input_ended_) {
      pipeline_->set_input_parts(input_parts());
      if (pipeline_->payee_topic_pending()) {
        // Commits what was sent (and the parts' final clocks), so that it can be read back.
        if (failure = end_epoch(); !failure.ok()) break;
        if (failure = begin_epoch(); !failure.ok()) break;
        epoch_started = Clock::now();
        continue;
      }
      end = pipeline_->payee_stages_drained();
    }
    if (!end && Clock::now() - epoch_started >= interval) {
      if (failure = end_epoch(); !failure.ok()) break;
      if (failure = begin_epoch(); !failure.ok()) break;
      epoch_started = Clock::now();
    }
  }
  stopping_ = true;
  // At the end of the input no part can deliver again: every held transaction is finished.
  // (On a stop they stay held, in the checkpoint.)
  if (failure.ok() && end && pipeline_->accounting().held > 0) {
    failure = pipeline_->release_held();
    if (failure.ok() && options_.metrics != nullptr) observe_released();
  }
  if (failure.ok()) failure = end_epoch();
  if (incremental_) {
    pipeline_->set_change_log(nullptr);
    compactor_->wait();  // a base being written is finished (or the next run redoes it)
  }
  // Later revocations (when the consumer leaves the group) find nothing left to do.
  if (partitioned_) source_->set_part_listener(nullptr);
  // An epoch that did not commit leaves nothing visible; its input is read again on restart.
  if (!failure.ok()) {
    for (Sink* s : all_sinks()) (void)s->abort(epoch_);
    sample_.epoch_failed = true;  // /health says so while the process winds down
    publish_metrics(/*force=*/true);
  }
  pipeline_->accounting().seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return failure;
}

}  // namespace pixguard
