#include "runtime/pipeline.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <utility>

#include "core/clock.h"
#include "core/log.h"
#include "core/timestamp.h"

namespace pixguard {
namespace {

int64_t now_nanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool is_blank(std::string_view s) {
  for (const char c : s) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
  }
  return true;
}

}  // namespace

Pipeline::Pipeline(const Config& config, std::unique_ptr<Decoder> decoder, const LabelStore* labels,
                   std::shared_ptr<const Privacy> privacy, const SipKey& id_key)
    : max_message_bytes_(config.max_message_bytes),
      normalizer_(config.validation.normalize),
      validator_(config.validation),
      parts_(config),
      enricher_(config.context_zone, config.label_timing, labels, id_key),
      id_fingerprint_(siphash24(id_key, "pixguard state fingerprint")),
      feature_count_(config.features.size()),
      config_(&config),
      privacy_(std::move(privacy)),
      encoder_(config.features, config.decision.rules, config.decision, privacy_.get()),
      workers_(config.worker_count()),
      pool_(config.worker_count()) {
  for (std::size_t w = 1; w < workers_.size(); ++w) workers_[w].decoder = decoder->clone();
  workers_[0].decoder = std::move(decoder);
  const FeatureEngine shape(config.features, config.context, config.state_limits);
  state_shape_ = "payer retention " + std::to_string(shape.retention_us(KeyScope::kPayer) / 1'000'000) +
                 "s, payee retention " + std::to_string(shape.retention_us(KeyScope::kPayee) / 1'000'000) + "s";
}

Status Pipeline::create(const Config& config, std::unique_ptr<Decoder> decoder, std::shared_ptr<const Model> model,
                        const LabelStore* labels, std::unique_ptr<Pipeline>* out) {
  std::shared_ptr<const Privacy> privacy;
  if (Status s = Privacy::create(config.privacy, &privacy); !s.ok()) return s.with_context(config.path);
  SipKey id_key{};
  if (Status s = resolve_state_key(*privacy, config.checkpoint.dir, &id_key); !s.ok()) return s;
  std::unique_ptr<Pipeline> p(new Pipeline(config, std::move(decoder), labels, std::move(privacy), id_key));
  if (Status s = p->set_model(std::move(model)); !s.ok()) return s;
  for (Worker& w : p->workers_) {
    if (Status s = Decider::create(config.decision, config.features, &w.decider); !s.ok()) return s;
  }
  p->accounting_.rules_fired.assign(config.decision.rules.size(), 0);
  *out = std::move(p);
  return Status::Ok();
}

Status Pipeline::set_model(std::shared_ptr<const Model> model) {
  Scorer next;
  if (Status s = Scorer::bind(std::move(model), config_->features, &next); !s.ok()) return s;
  for (Worker& w : workers_) w.scorer = next;
  return Status::Ok();
}

void Pipeline::expire_state() {
  parts_.expire();
  for (const auto& st : stages_) {
    if (st != nullptr) st->expire();
  }
  refresh_state_summary();
}

void Pipeline::declare_part(uint32_t id, int32_t partition, bool payee_topic) {
  if (id >= part_info_.size()) part_info_.resize(id + 1);
  part_info_[id] = {partition, payee_topic};
}

void Pipeline::set_payee_topic(int32_t input_partitions, int32_t payee_partitions) {
  input_partitions_ = input_partitions;
  payee_partitions_ = payee_partitions;
}

PayeeStage& Pipeline::stage(uint32_t id) {
  if (id >= stages_.size()) stages_.resize(id + 1);
  if (stages_[id] == nullptr) {
    stages_[id] = std::make_unique<PayeeStage>(*config_, static_cast<uint32_t>(input_partitions_), privacy_->cipher());
  }
  return *stages_[id];
}

bool Pipeline::has_part(uint32_t id) const {
  return is_payee_part(id) ? id < stages_.size() && stages_[id] != nullptr : parts_.has(id);
}

void Pipeline::drop_part(uint32_t id) {
  if (id < stages_.size()) stages_[id].reset();
  parts_.drop(id);
}

Status Pipeline::forward(const RecordBatch& batch, std::size_t i) {
  encode_payee_transaction(merge_key(batch, i), batch.timestamp_ms(i), arrival_us_, late_[i] != 0, batch.message(i),
                           feature_rows_.data() + i * feature_count_, feature_count_, &payee_record_);
  SinkRecord record;
  record.json = payee_record_;
  record.partition = payee_partition(enrichments_[i].payee_id, payee_partitions_);
  ++accounting_.forwarded;
  payee_topic_written_ = true;
  return emit(Output::kPayees, record);
}

bool Pipeline::clock_unsent(const InputPart& in, int64_t* order_time) const {
  *order_time = parts_.has(in.id) ? parts_.get(in.id).watermark.max_event_time() : Watermark::kNone;
  const uint32_t p = merge_part(in.id);
  const auto sent = std::find_if(sent_clocks_.begin(), sent_clocks_.end(), [p](const auto& c) { return c.first == p; });
  return sent == sent_clocks_.end() || sent->second.order_time_us != *order_time || sent->second.idle != in.idle;
}

Status Pipeline::send_payee_clocks() {
  if (!repartitions()) return Status::Ok();
  for (const InputPart& in : input_parts_) {
    int64_t order_time = 0;
    if (!clock_unsent(in, &order_time)) continue;
    const uint32_t p = merge_part(in.id);
    encode_payee_clock(p, order_time, in.next_position, in.idle, &payee_record_);
    for (int32_t q = 0; q < payee_partitions_; ++q) {
      SinkRecord record;
      record.json = payee_record_;
      record.partition = q;
      if (Status s = emit(Output::kPayees, record); !s.ok()) return s;
    }
    const auto sent = std::find_if(sent_clocks_.begin(), sent_clocks_.end(), [p](const auto& c) { return c.first == p; });
    if (sent == sent_clocks_.end()) {
      sent_clocks_.push_back({p, {order_time, in.idle}});
    } else {
      sent->second = {order_time, in.idle};
    }
    payee_topic_written_ = true;
  }
  return Status::Ok();
}

bool Pipeline::payee_topic_pending() const {
  int64_t order_time = 0;
  return payee_topic_written_ ||
         std::any_of(input_parts_.begin(), input_parts_.end(),
                     [&](const InputPart& in) { return clock_unsent(in, &order_time); });
}

bool Pipeline::payee_stages_drained() const {
  return std::all_of(stages_.begin(), stages_.end(), [](const auto& st) { return st == nullptr || st->drained(); });
}

int64_t Pipeline::watermark_us() const {
  int64_t lowest = Watermark::kNone;
  for (const auto& p : parts_.all()) {
    if (p == nullptr || !p->watermark.started()) continue;
    const int64_t w = p->watermark.current();
    if (lowest == Watermark::kNone || w < lowest) lowest = w;
  }
  return lowest;
}

void Pipeline::refresh_state_summary() {
  StateSummary& s = accounting_.state;
  s = StateSummary{};
  const auto add = [&s](const FeatureStateStats& f) {
    s.payer_keys += f.payer_keys;
    s.payee_keys += f.payee_keys;
    s.events += f.events;
    s.approx_bytes += f.approx_bytes;
    s.evicted_keys += f.evicted_keys;
    s.dropped_events += f.dropped_events;
  };
  for (const auto& p : parts_.all()) {
    if (p == nullptr) continue;
    add(p->features.stats());
    s.dedupe_ids += p->dedupe.size();
    s.dedupe_evictions += p->dedupe.evictions();
  }
  add(parts_.payees().stats());
  for (const auto& st : stages_) {
    if (st == nullptr) continue;
    add(st->payees().stats());
    s.payee_topic_held += st->held();
  }
}

// Snapshot layout version: bump when any save() below changes its bytes.
constexpr uint32_t kStateFormat = 6;

namespace {

}  // namespace

// The snapshot's format, then the fingerprint of the key its ids were hashed with: state
// hashed under another key would split every account's history, silently.
Status Pipeline::check_format(ByteReader* in) const {
  const uint32_t format = in->get<uint32_t>();
  if (format != kStateFormat) {
    return Status::Unsupported("state snapshot format " + std::to_string(format) + " (this build reads " +
                               std::to_string(kStateFormat) + ")");
  }
  if (in->get<uint64_t>() != id_fingerprint_) {
    return Status::InvalidArgument(
        "the state was written under another privacy key (or state salt): its accounts would not be found. Restore "
        "it with the key it was written with, or start over (--overwrite)");
  }
  return Status::Ok();
}

void Pipeline::save_accounting_state(ByteWriter* out) const {
  out->put(kStateFormat);
  out->put(id_fingerprint_);
  save_accounting(accounting_, rule_names(), out);
  merge_.save(out, privacy_->cipher());
}

bool Pipeline::load_accounting_state(ByteReader* in) {
  if (!load_accounting(in, rule_names(), &accounting_) || !merge_.load(in, feature_count_, privacy_->cipher())) return false;
  accounting_.held = merge_.held();
  return true;
}

Status Pipeline::load_accounting_state(std::string_view snapshot) {
  ByteReader in(snapshot);
  if (Status s = check_format(&in); !s.ok()) return s;
  if (!load_accounting_state(&in) || !in.at_end()) return Status::Corruption("state snapshot is malformed");
  return Status::Ok();
}

void Pipeline::save_member_state(ByteWriter* out) const {
  save_accounting_state(out);
  parts_.save_payees(out);
}

Status Pipeline::load_member_state(std::string_view snapshot) {
  ByteReader in(snapshot);
  if (Status s = check_format(&in); !s.ok()) return s;
  if (!load_accounting_state(&in) || !parts_.load_payees(&in) || !in.at_end()) {
    return Status::Corruption("state snapshot is malformed");
  }
  return Status::Ok();
}

void Pipeline::save_state(ByteWriter* out) const {
  save_accounting_state(out);
  parts_.save(out);
}

Status Pipeline::load_state(std::string_view snapshot) {
  ByteReader in(snapshot);
  if (Status s = check_format(&in); !s.ok()) return s;
  if (!load_accounting_state(&in) || !parts_.load(&in) || !in.at_end()) {
    parts_.clear();
    return Status::Corruption("state snapshot is malformed");
  }
  refresh_state_summary();
  return Status::Ok();
}

void Pipeline::save_part(uint32_t id, ByteWriter* out) const {
  if (is_payee_part(id)) {
    if (has_part(id)) {
      stages_[id]->save(out);
    } else {
      PayeeStage(*config_, static_cast<uint32_t>(input_partitions_), privacy_->cipher()).save(out);
    }
  } else if (has_part(id)) {
    parts_.get(id).save(out);
  } else {
    PartState(*config_).save(out);
  }
}

Status Pipeline::load_part(uint32_t id, std::string_view snapshot) {
  ByteReader in(snapshot);
  drop_part(id);
  if (is_payee_part(id)) {
    if (!stage(id).load(&in) || !in.at_end()) {
      drop_part(id);
      return Status::Corruption("payee stage snapshot is malformed");
    }
    return Status::Ok();
  }
  if (!parts_.part(id).load(&in) || !in.at_end()) {
    drop_part(id);
    return Status::Corruption("part state snapshot is malformed");
  }
  return Status::Ok();
}

Status Pipeline::load_parts(std::string_view snapshot) {
  if (snapshot.empty()) {
    parts_.clear();
    refresh_state_summary();
    return Status::Ok();
  }
  ByteReader in(snapshot);
  if (!parts_.load(&in) || !in.at_end()) return Status::Corruption("part states snapshot is malformed");
  refresh_state_summary();
  return Status::Ok();
}

void Pipeline::replay_changes(const std::vector<StateChange>& changes) {
  for (const StateChange& c : changes) parts_.apply(c);
}

void Pipeline::record_changes(const RecordBatch& batch) {
  // Every validated message, duplicates included: they move the watermark.
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (fate_[i] == Fate::kDeadLetter || fate_[i] == Fate::kPayeeRecord) continue;
    StateChange& c = change_log_->emplace_back();
    c.part = batch.part(i);
    c.event_time_us = txs_[i].event_time_us;
    if (parts_.dedupe_enabled()) c.id = ids_[i];
    if (fate_[i] != Fate::kAlive) continue;
    const Enrichment& e = enrichments_[i];
    c.amount_cents = txs_[i].amount_cents;
    c.payer_id = e.payer_id;
    c.payee_id = e.payee_id;
    c.device_id = e.device_id;
    c.fraud_known_us = e.fraud_known_us;
  }
}

std::string Pipeline::state_shape() const { return state_shape_; }

std::vector<std::string> Pipeline::rule_names() const {
  std::vector<std::string> names;
  for (const RuleSpec& r : workers_[0].decider->rules()) names.push_back(r.name);
  return names;
}

Status Pipeline::emit(Output kind, SinkRecord record) {
  record.kind = kind;
  for (Sink* sink : sinks_[static_cast<std::size_t>(kind)]) {
    if (Status s = sink->write(record); !s.ok()) return s;
  }
  return Status::Ok();
}

void Pipeline::reject(const RecordBatch& batch, std::size_t i, const Rejection& why, std::string_view source_name) {
  fate_[i] = Fate::kDeadLetter;
  ++accounting_.dead_letters;
  ++accounting_.dead_letters_by_reason[{why.field_name(), why.rule}];
  if (listener_ != nullptr && batch.request(i)) listener_->rejected(batch.position(i), why);
  if (sinks(Output::kDeadLetters).empty()) return;
  line_.clear();
  DeadLetter d{batch.message(i), source_name, batch.position(i), why.field_name(), why.rule, why.detail};
  if (batch.cut(i)) {
    d.raw_size = batch.full_size(i);
    d.raw_hash = batch.full_hash(i);
  }
  Status s = encoder_.dead_letter(d, &line_);
  if (s.ok()) s = emit(Output::kDeadLetters, {{}, line_, nullptr});
  // Kept until the batch ends, so that one failing write does not leave the batch half-run.
  if (!s.ok() && sink_error_.ok()) sink_error_ = s;
}

void Pipeline::run_phase(std::size_t n, const std::function<void(std::size_t)>& phase) {
  // A small batch (a message at a time, a trickle) runs every worker's part on this thread:
  // waking the others would cost more than it saves. The results are the same.
  constexpr std::size_t kParallelFrom = 64;
  if (n >= kParallelFrom) {
    pool_.run(phase);
  } else {
    for (std::size_t w = 0; w < workers_.size(); ++w) phase(w);
  }
}

namespace {

std::pair<std::size_t, std::size_t> slice(std::size_t w, std::size_t workers, std::size_t count) {
  return {w * count / workers, (w + 1) * count / workers};
}

}  // namespace

void Pipeline::refresh_lists() {
  if (lists_ == nullptr) return;
  // A line that cannot be read is skipped, and said once: the others apply. A journal that
  // cannot be read at all (deleted) fails every batch: said when the problem changes.
  const Status s = lists_->refresh();
  if (!s.ok() && s.message() != list_problem_) log(LogLevel::kWarn, "lists: " + s.message());
  list_problem_ = s.ok() ? std::string() : s.message();
  list_snapshot_ = lists_->snapshot();
  for (Worker& w : workers_) w.decider->set_lists(list_snapshot_.get());
}

void Pipeline::refresh_profiles() {
  if (profiles_ == nullptr) return;
  profiles_->refresh();
  std::vector<std::shared_ptr<const ProfileTable>> tables = profiles_->snapshot();
  if (tables == profile_tables_) return;  // unchanged since the last batch
  profile_tables_ = std::move(tables);
  profile_features_.clear();
  for (std::size_t f = 0; f < config_->features.size(); ++f) {
    const FeatureSpec& spec = config_->features[f];
    if (spec.profile.empty()) continue;
    for (std::size_t t = 0; t < profiles_->size(); ++t) {
      if (profiles_->spec(t).name != spec.profile) continue;
      const int column = profile_tables_[t]->column(spec.column);
      if (column < 0) log(LogLevel::kWarn, "feature " + spec.name + ": profiles." + spec.profile + " has no column '" +
                                               spec.column + "': missing");
      profile_features_.push_back({f, t, column});
    }
  }
}

void Pipeline::profile_features(const Transaction& tx, double* row) const {
  for (const ProfileFeature& p : profile_features_) {
    const FeatureSpec& spec = config_->features[p.feature];
    double v = std::numeric_limits<double>::quiet_NaN();
    const std::string_view key = list_field_value(profiles_->spec(p.table).key, tx);
    const std::vector<std::string>* values =
        p.column >= 0 && !key.empty() ? profile_tables_[p.table]->at(key, tx.event_time_us) : nullptr;
    if (values != nullptr) {
      const std::string& cell = (*values)[static_cast<std::size_t>(p.column)];
      if (spec.kind == FeatureKind::kProfileAgeDays) {
        int64_t at = 0;
        // A date (YYYY-MM-DD: midnight UTC) or an RFC 3339 time.
        const std::string text = cell.size() == 10 ? cell + "T00:00:00Z" : cell;
        if (parse_timestamp(text, TimestampFormat::kRfc3339, TimeZone(), &at) == TimestampError::kOk) {
          v = static_cast<double>(tx.event_time_us - at) / 86'400'000'000.0;
        }
      } else if (cell == "true" || cell == "TRUE" || cell == "True" || cell == "t") {  // "t": PostgreSQL's
        v = 1;
      } else if (cell == "false" || cell == "FALSE" || cell == "False" || cell == "f") {
        v = 0;
      } else if (!cell.empty()) {
        double x = 0;
        const auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), x);
        if (ec == std::errc() && end == cell.data() + cell.size()) v = x;
      }
    }
    row[p.feature] = std::isnan(v) ? spec.fill : v;
  }
}

Status Pipeline::process(const RecordBatch& batch, std::string_view source_name) {
  refresh_lists();
  refresh_profiles();
  const std::size_t n = batch.size();
  fate_.assign(n, Fate::kAlive);
  check_.resize(n);
  why_.resize(n);
  part_of_.resize(n);
  std::size_t payee_records = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (is_payee_part(batch.part(i))) {
      fate_[i] = Fate::kPayeeRecord;
      part_of_[i] = nullptr;
      ++payee_records;
    } else {
      part_of_[i] = &parts_.part(batch.part(i));
    }
  }
  fields_.resize(n);
  txs_.resize(n);
  watermark_at_.resize(n);
  ids_.resize(n);
  late_.assign(n, 0);
  enrichments_.resize(n);
  order_time_.resize(n);
  feature_rows_.resize(n * feature_count_);
  accounting_.in += n - payee_records;
  arrival_us_ = unix_micros();
  for (Worker& w : workers_) std::fill(std::begin(w.stage_nanos), std::end(w.stage_nanos), 0);

  run_phase(n, [&](std::size_t w) {
    const auto [begin, end] = slice(w, workers_.size(), n);
    check_fields(workers_[w], batch, begin, end);
  });
  order_and_dedupe(batch, source_name);
  run_phase(n, [&](std::size_t w) { compute_part_features(workers_[w], w, n); });
  if (change_log_ != nullptr) record_changes(batch);
  if (Status s = merge(&batch, false); !s.ok()) return s;
  Status finished = finish_released();
  if (!finished.ok()) return finished;
  return std::exchange(sink_error_, Status::Ok());
}

Status Pipeline::release_held() {
  refresh_lists();
  for (Worker& w : workers_) std::fill(std::begin(w.stage_nanos), std::end(w.stage_nanos), 0);
  if (Status s = merge(nullptr, true); !s.ok()) return s;
  return finish_released();
}

Status Pipeline::finish_released() {
  const std::size_t r = released_.size();
  scores_.resize(r);
  decisions_.resize(r);
  contribution_rows_.resize(r * (feature_count_ + 1));
  encoded_.resize(r);
  protected_.resize(r);
  run_phase(r, [&](std::size_t w) { compute_payee_features(workers_[w], w); });
  run_phase(r, [&](std::size_t w) {
    const auto [begin, end] = slice(w, workers_.size(), r);
    score_and_encode(workers_[w], begin, end);
  });
  Status emitted = account_and_emit();
  for (const Worker& w : workers_) {
    for (std::size_t s = 0; s < StageTimes::kCount; ++s) accounting_.stage_times.nanos[s] += w.stage_nanos[s];
  }
  return emitted;
}

void Pipeline::check_fields(Worker& w, const RecordBatch& batch, std::size_t begin, std::size_t end) {
  int64_t t0 = now_nanos();
  // Normalised text is copied next to the decoded text: at most as long again.
  w.arena.reset(batch.byte_size() * (normalizer_.empty() ? 1 : 2));
  for (std::size_t i = begin; i < end; ++i) {
    check_[i] = Check::kBrokeBeforeWindow;
    if (fate_[i] == Fate::kPayeeRecord) continue;  // not checked here: see merge()
    const std::string_view m = batch.message(i);
    if (batch.cut(i) || m.size() > max_message_bytes_) {
      why_[i] = Rejection::message("message_too_large", "larger than input.max_message_bytes");
    } else if (is_blank(m)) {
      why_[i] = Rejection::message("empty_message", "blank line");
    } else if (w.decoder->decode(m, &w.arena, &fields_[i], &why_[i])) {
      normalizer_.normalize(&fields_[i], &w.arena);
      check_[i] = Check::kPassed;
    }
  }
  int64_t t1 = now_nanos();
  w.stage_nanos[StageTimes::kDecode] += t1 - t0;
  for (std::size_t i = begin; i < end; ++i) {
    if (check_[i] != Check::kPassed) continue;
    if (!validator_.validate_fields(fields_[i], &txs_[i], &why_[i])) {
      check_[i] = Validator::precedes_time_window(why_[i]) ? Check::kBrokeBeforeWindow : Check::kBrokeAfterWindow;
    }
  }
  t0 = now_nanos();
  w.stage_nanos[StageTimes::kValidate] += t0 - t1;
  for (std::size_t i = begin; i < end; ++i) {
    if (check_[i] == Check::kPassed) enricher_.enrich(txs_[i], &enrichments_[i]);
  }
  w.stage_nanos[StageTimes::kEnrich] += now_nanos() - t0;
}

void Pipeline::order_and_dedupe(const RecordBatch& batch, std::string_view source_name) {
  const std::size_t n = batch.size();
  auto& times = workers_[0].stage_nanos;
  int64_t t0 = now_nanos();
  for (std::size_t i = 0; i < n; ++i) {
    if (fate_[i] == Fate::kPayeeRecord) continue;
    if (check_[i] == Check::kBrokeBeforeWindow) {
      reject(batch, i, why_[i], source_name);
      continue;
    }
    Watermark& watermark = part_of_[i]->watermark;
    const int64_t max_seen = watermark.started() ? watermark.max_event_time() : std::numeric_limits<int64_t>::min();
    Rejection why;
    if (!validator_.within_time_window(txs_[i].event_time_us, max_seen, &why)) {
      reject(batch, i, why, source_name);
      continue;
    }
    if (check_[i] == Check::kBrokeAfterWindow) {
      reject(batch, i, why_[i], source_name);
      continue;
    }
    accounting_.amounts_rounded += txs_[i].amount_rounded ? 1 : 0;
    late_[i] = watermark.observe(txs_[i].event_time_us) ? 1 : 0;
    watermark_at_[i] = watermark.current();
    order_time_[i] = watermark.max_event_time();
  }
  int64_t t1 = now_nanos();
  times[StageTimes::kValidate] += t1 - t0;

  for (std::size_t i = 0; i < n; ++i) {
    if (fate_[i] != Fate::kAlive || !parts_.dedupe_enabled()) continue;
    Deduplicator& dedupe = part_of_[i]->dedupe;
    dedupe.expire(watermark_at_[i]);
    ids_[i] = Deduplicator::fingerprint(txs_[i].end_to_end_id);  // kept for the change log
    if (dedupe.seen_before(ids_[i], txs_[i].event_time_us)) {
      fate_[i] = Fate::kDuplicate;
      ++accounting_.duplicates;
      if (listener_ != nullptr && batch.request(i)) listener_->duplicate(batch.position(i), txs_[i].end_to_end_id);
    }
  }
  times[StageTimes::kDedupe] += now_nanos() - t1;
}

void Pipeline::compute_part_features(Worker& w, std::size_t shard, std::size_t n) {
  const int64_t t0 = now_nanos();
  const std::size_t nf = feature_count_;
  // Two prefetch stages: the keys' hash-table slots, then (once those are in cache) their
  // histories. Worker `shard` owns the payers (and, kept per part, the payees) of its shard
  // of every part.
  constexpr std::size_t kPrefetchDistance = 8;
  constexpr std::size_t kHistoryPrefetchDistance = 4;
  const bool payees_here = config_->payee_state == Config::PayeeState::kPerPart;
  const auto key_of = [&](std::size_t i, KeyScope s) {
    return s == KeyScope::kPayer ? enrichments_[i].payer_id : enrichments_[i].payee_id;
  };
  const auto mine = [&](std::size_t i, KeyScope s) {
    return fate_[i] == Fate::kAlive && (s == KeyScope::kPayer || payees_here) &&
           part_of_[i]->features.shard_of(key_of(i, s)) == shard;
  };
  for (std::size_t i = 0; i < n; ++i) {
    for (const KeyScope s : {KeyScope::kPayer, KeyScope::kPayee}) {
      if (const std::size_t j = i + kPrefetchDistance; j < n && mine(j, s)) {
        part_of_[j]->features.prefetch(s, key_of(j, s));
      }
      if (const std::size_t j = i + kHistoryPrefetchDistance; j < n && mine(j, s)) {
        part_of_[j]->features.prefetch_history(s, key_of(j, s));
      }
    }
    if (fate_[i] != Fate::kAlive) continue;  // a payee topic record has no part state
    FeatureEngine& f = part_of_[i]->features;
    double* row = feature_rows_.data() + i * nf;
    if (mine(i, KeyScope::kPayer)) {
      // The values that need no state go with the payer, so that exactly one worker writes them.
      f.process_context(txs_[i], enrichments_[i], row);
      if (!profile_features_.empty()) profile_features(txs_[i], row);
      f.process_keyed(KeyScope::kPayer, txs_[i], enrichments_[i], watermark_at_[i], row);
    }
    if (mine(i, KeyScope::kPayee)) f.process_keyed(KeyScope::kPayee, txs_[i], enrichments_[i], watermark_at_[i], row);
  }
  w.stage_nanos[StageTimes::kFeatures] += now_nanos() - t0;
}

void Pipeline::hold_or_take(const RecordBatch* batch, bool release_all) {
  // Where every part held stands.
  clocks_.clear();
  if (input_parts_set_) {
    for (const InputPart& in : input_parts_) {
      const int64_t t = parts_.has(in.id) ? parts_.get(in.id).watermark.max_event_time() : Watermark::kNone;
      clocks_.push_back({merge_part(in.id), t, in.idle});
    }
  } else {
    for (uint32_t id = 0; id < parts_.all().size(); ++id) {
      if (parts_.has(id)) clocks_.push_back({merge_part(id), parts_.get(id).watermark.max_event_time(), false});
    }
  }
  merge_.set_clocks(clocks_);

  // This batch's transactions in merge order: those the payee stage may take now, and the
  // others held. A single part's arrive in merge order already. Payees kept per part were
  // served with the payers: nothing waits.
  if (config_->payee_state == Config::PayeeState::kPerPart) release_all = true;
  const std::size_t n = batch != nullptr ? batch->size() : 0;
  const auto key_of = [&](std::size_t i) { return merge_key(*batch, i); };
  for (std::size_t i = 0; i < n; ++i) {
    if (fate_[i] != Fate::kAlive) continue;
    if (release_all || merge_.may_take(key_of(i))) {
      takeable_.push_back(i);
      continue;
    }
    HeldTransaction h;
    h.key = key_of(i);
    h.message = std::string(batch->message(i));
    h.timestamp_ms = batch->timestamp_ms(i);
    h.arrival_us = arrival_us_;
    h.late = late_[i] != 0;
    h.features.assign(feature_rows_.begin() + static_cast<std::ptrdiff_t>(i * feature_count_),
                      feature_rows_.begin() + static_cast<std::ptrdiff_t>((i + 1) * feature_count_));
    merge_.hold(std::move(h));
  }
  if (!std::is_sorted(takeable_.begin(), takeable_.end(), [&](std::size_t a, std::size_t b) { return key_of(a) < key_of(b); })) {
    std::sort(takeable_.begin(), takeable_.end(), [&](std::size_t a, std::size_t b) { return key_of(a) < key_of(b); });
  }
}

Status Pipeline::merge(const RecordBatch* batch, bool release_all) {
  const int64_t t0 = now_nanos();
  const std::size_t n = batch != nullptr ? batch->size() : 0;
  const auto key_of = [&](std::size_t i) { return merge_key(*batch, i); };
  takeable_.clear();
  taken_.clear();
  taken_stage_.clear();
  if (repartitions()) {
    // This batch's transactions go to the payee topic; its payee topic records come in, and
    // each payee stage gives what it may take.
    for (std::size_t i = 0; i < n; ++i) {
      if (fate_[i] == Fate::kAlive) {
        if (Status s = forward(*batch, i); !s.ok()) return s;
      } else if (fate_[i] == Fate::kPayeeRecord) {
        if (Status s = stage(batch->part(i)).receive(batch->message(i)); !s.ok()) {
          return s.with_context("payee topic partition " + std::to_string(merge_part(batch->part(i))) + " offset " +
                                std::to_string(batch->position(i)));
        }
      }
    }
    for (const auto& st : stages_) {
      if (st == nullptr) continue;
      st->take(&taken_, release_all);
      taken_stage_.resize(taken_.size(), st.get());
    }
    accounting_.received += taken_.size();
  } else {
    hold_or_take(batch, release_all);
    merge_.take(&taken_, release_all);
  }

  // Held transactions released now are decoded again: the same decoder and rules, so the
  // same transaction.
  const std::size_t t = taken_.size();
  taken_fields_.resize(t);
  taken_txs_.resize(t);
  taken_enrichments_.resize(t);
  // Decoders read up to kMessagePadding bytes past a message: the messages are laid out with
  // it, in one buffer that outlives the batch's views into it.
  std::size_t bytes = 0;
  for (const HeldTransaction& h : taken_) bytes += h.message.size() + kMessagePadding;
  taken_arena_.reset(bytes * (normalizer_.empty() ? 1 : 2));
  taken_bytes_.clear();
  taken_bytes_.reserve(bytes);
  for (std::size_t j = 0; j < t; ++j) {
    const std::size_t at = taken_bytes_.size();
    taken_bytes_ += taken_[j].message;
    taken_bytes_.append(kMessagePadding, ' ');
    const std::string_view message(taken_bytes_.data() + at, taken_[j].message.size());
    Rejection why;
    const bool decoded = workers_[0].decoder->decode(message, &taken_arena_, &taken_fields_[j], &why);
    if (decoded) normalizer_.normalize(&taken_fields_[j], &taken_arena_);
    if (!decoded || !validator_.validate_fields(taken_fields_[j], &taken_txs_[j], &why)) {
      return Status::Corruption("a held transaction no longer decodes (part " + std::to_string(taken_[j].key.part) +
                                ", position " + std::to_string(taken_[j].key.position) + ")");
    }
    enricher_.enrich(taken_txs_[j], &taken_enrichments_[j]);
  }

  // Both lists are in merge order; the payee stage takes their union in merge order, with
  // the payee watermark of each. (Taken from payee stages: each stage's in merge order.)
  released_.clear();
  released_timing_.clear();
  std::size_t a = 0, b = 0;
  while (a < t || b < takeable_.size()) {
    const bool held_first = b == takeable_.size() || (a < t && taken_[a].key < key_of(takeable_[b]));
    PayeeStage* st = held_first && !taken_stage_.empty() ? taken_stage_[a] : nullptr;
    FeatureEngine* payees = st != nullptr ? &st->payees() : &parts_.payees();
    Watermark& payee_watermark = st != nullptr ? st->watermark() : parts_.payee_watermark();
    Released r;
    int64_t order_time = 0;
    if (held_first) {
      r = {&taken_txs_[a], &taken_enrichments_[a], payees, taken_[a].features.data(), 0, taken_[a].late};
      released_timing_.push_back({taken_[a].arrival_us, taken_[a].timestamp_ms});
      order_time = taken_[a++].key.order_time_us;
    } else {
      const std::size_t i = takeable_[b++];
      r = {&txs_[i], &enrichments_[i], payees, feature_rows_.data() + i * feature_count_, 0, late_[i] != 0,
           batch->position(i), batch->request(i), batch->prior(i)};
      released_timing_.push_back({arrival_us_, batch->timestamp_ms(i)});
      order_time = order_time_[i];
    }
    payee_watermark.observe(order_time);
    r.payee_watermark_us = payee_watermark.current();
    released_.push_back(r);
  }
  accounting_.held = merge_.held();
  workers_[0].stage_nanos[StageTimes::kFeatures] += now_nanos() - t0;
  return Status::Ok();
}

void Pipeline::compute_payee_features(Worker& w, std::size_t shard) {
  const int64_t t0 = now_nanos();
  if (!parts_.payees().uses(KeyScope::kPayee) || config_->payee_state == Config::PayeeState::kPerPart) return;
  const std::size_t r = released_.size();
  constexpr std::size_t kPrefetchDistance = 8;
  constexpr std::size_t kHistoryPrefetchDistance = 4;
  // Every payee engine has a shard per worker.
  const auto mine = [&](std::size_t j) {
    return released_[j].payees->shard_of(released_[j].enrichment->payee_id) == shard;
  };
  for (std::size_t j = 0; j < r; ++j) {
    if (const std::size_t k = j + kPrefetchDistance; k < r && mine(k)) {
      released_[k].payees->prefetch(KeyScope::kPayee, released_[k].enrichment->payee_id);
    }
    if (const std::size_t k = j + kHistoryPrefetchDistance; k < r && mine(k)) {
      released_[k].payees->prefetch_history(KeyScope::kPayee, released_[k].enrichment->payee_id);
    }
    if (!mine(j)) continue;
    const Released& x = released_[j];
    x.payees->process_keyed(KeyScope::kPayee, *x.tx, *x.enrichment, x.payee_watermark_us, x.features);
  }
  w.stage_nanos[StageTimes::kFeatures] += now_nanos() - t0;
}

void Pipeline::score_and_encode(Worker& w, std::size_t begin, std::size_t end) {
  int64_t t0 = now_nanos();
  for (std::size_t j = begin; j < end; ++j) scores_[j] = w.scorer.score(released_[j].features);
  int64_t t1 = now_nanos();
  w.stage_nanos[StageTimes::kScore] += t1 - t0;
  for (std::size_t j = begin; j < end; ++j) {
    // A decision a caller was given stands, whatever serves now.
    const PriorDecision* prior = released_[j].prior;
    decisions_[j] = prior != nullptr ? prior->decision
                                     : w.decider->decide(*released_[j].tx, released_[j].features, scores_[j]);
  }
  t0 = now_nanos();
  w.stage_nanos[StageTimes::kDecide] += t0 - t1;

  const std::size_t nf = feature_count_;
  // A scored line is encoded only for a sink that reads it (the Delta table reads the
  // structured record).
  const auto& scored_sinks = sinks(Output::kScored);
  const bool want_scored = std::any_of(scored_sinks.begin(), scored_sinks.end(), [](const Sink* s) { return s->reads_json(); });
  const bool want_alerts = !sinks(Output::kAlerts).empty();
  const std::string& model_version = w.scorer.model_version();
  const uint32_t worker = static_cast<uint32_t>(&w - workers_.data());
  w.lines.clear();
  std::size_t protected_bytes = 0;
  for (std::size_t j = begin; j < end; ++j) protected_bytes += Privacy::arena_bytes(*released_[j].tx);
  w.protected_text.reset(protected_bytes);
  for (std::size_t j = begin; j < end; ++j) {
    const Released& x = released_[j];
    const Decision& d = decisions_[j];
    // Sinks and the API see the personal fields as the privacy policy shows them; the
    // stages before this one saw the real values.
    privacy_->protect(*x.tx, &protected_[j], &w.protected_text, *w.hash_scratch);
    Encoded& out = encoded_[j];
    out.worker = worker;
    out.begin = static_cast<uint32_t>(w.lines.size());
    out.contributions = (want_alerts || x.request) && d.outcome != Outcome::kAllow && w.scorer.has_model();
    double* contributions = contribution_rows_.data() + j * (nf + 1);
    if (out.contributions) w.scorer.contributions(x.features, config_->model_attribution, contributions);
    const std::string_view version = x.prior != nullptr ? std::string_view(x.prior->model_version) : model_version;
    const ScoredRecord record{&protected_[j], x.enrichment, x.features, out.contributions ? contributions : nullptr, d,
                              x.late, version, x.request || x.prior != nullptr};
    if (want_scored) encoder_.scored(record, version, &w.lines);
    out.scored_end = static_cast<uint32_t>(w.lines.size());
    if (want_alerts && d.outcome != Outcome::kAllow) encoder_.alert(record, version, &w.lines);
    out.alert_end = static_cast<uint32_t>(w.lines.size());
    std::size_t features_at = 0;
    if (x.request) encoder_.answer(record, version, &w.lines, &features_at);
    out.answer_end = static_cast<uint32_t>(w.lines.size());
    out.answer_features = static_cast<uint32_t>(features_at);
  }
  w.stage_nanos[StageTimes::kSink] += now_nanos() - t0;
}

Status Pipeline::account_and_emit() {
  const int64_t t0 = now_nanos();
  if (listener_ != nullptr) {
    // Callers first: their answers need not wait for the sinks.
    for (std::size_t j = 0; j < released_.size(); ++j) {
      const Released& x = released_[j];
      if (!x.request) continue;
      const Encoded& at = encoded_[j];
      const std::string_view version = x.prior != nullptr ? std::string_view(x.prior->model_version)
                                                          : std::string_view(workers_[0].scorer.model_version());
      listener_->decided(x.position, x.tx->end_to_end_id, decisions_[j], version,
                         std::string_view(workers_[at.worker].lines).substr(at.alert_end, at.answer_end - at.alert_end),
                         at.answer_features);
    }
    if (Status s = listener_->batch_decided(); !s.ok()) return s;
  }
  const std::size_t nf = feature_count_;
  const bool has_model = workers_[0].scorer.has_model();
  const std::string& model_version = workers_[0].scorer.model_version();
  for (std::size_t j = 0; j < released_.size(); ++j) {
    const Released& x = released_[j];
    const Decision& d = decisions_[j];
    ++accounting_.scored;
    accounting_.late += x.late ? 1 : 0;
    ++accounting_.outcomes[static_cast<std::size_t>(d.outcome)];
    if (has_model) accounting_.scores.observe(scores_[j]);
    for (uint64_t bits = d.fired; bits != 0; bits &= bits - 1) ++accounting_.rules_fired[static_cast<std::size_t>(__builtin_ctzll(bits))];
    const Encoded& at = encoded_[j];
    const std::string_view lines = workers_[at.worker].lines;
    const ScoredRecord record{&protected_[j], x.enrichment, x.features,
                              at.contributions ? contribution_rows_.data() + j * (nf + 1) : nullptr, d, x.late,
                              x.prior != nullptr ? std::string_view(x.prior->model_version) : model_version,
                              x.request || x.prior != nullptr};
    const std::string_view key = protected_[j].payer.account;
    if (Status s = emit(Output::kScored, {key, lines.substr(at.begin, at.scored_end - at.begin), &record}); !s.ok()) {
      return s;
    }
    if (at.alert_end > at.scored_end) {
      if (Status s = emit(Output::kAlerts, {key, lines.substr(at.scored_end, at.alert_end - at.scored_end), &record});
          !s.ok()) {
        return s;
      }
    }

  }
  workers_[0].stage_nanos[StageTimes::kSink] += now_nanos() - t0;
  return Status::Ok();
}

}  // namespace pixguard
