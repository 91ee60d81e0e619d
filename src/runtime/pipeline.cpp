#include "runtime/pipeline.h"

#include <chrono>
#include <limits>
#include <utility>

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

Pipeline::Pipeline(const Config& config, std::unique_ptr<Decoder> decoder, const LabelStore* labels)
    : max_message_bytes_(config.max_message_bytes),
      decoder_(std::move(decoder)),
      validator_(config.validation),
      parts_(config),
      enricher_(config.context_zone, config.label_timing, labels),
      feature_count_(config.features.size()),
      config_(&config),
      encoder_(config.features, config.decision.rules, config.decision) {
  const FeatureEngine shape(config.features, config.context, config.state_limits);
  state_shape_ = "payer retention " + std::to_string(shape.retention_us(KeyScope::kPayer) / 1'000'000) +
                 "s, payee retention " + std::to_string(shape.retention_us(KeyScope::kPayee) / 1'000'000) + "s";
}

Status Pipeline::create(const Config& config, std::unique_ptr<Decoder> decoder, std::shared_ptr<const Model> model,
                        const LabelStore* labels, std::unique_ptr<Pipeline>* out) {
  std::unique_ptr<Pipeline> p(new Pipeline(config, std::move(decoder), labels));
  if (Status s = p->set_model(std::move(model)); !s.ok()) return s;
  if (Status s = Decider::create(config.decision, config.features, &p->decider_); !s.ok()) return s;
  p->accounting_.rules_fired.assign(config.decision.rules.size(), 0);
  *out = std::move(p);
  return Status::Ok();
}

Status Pipeline::set_model(std::shared_ptr<const Model> model) {
  Scorer next;
  if (Status s = Scorer::bind(std::move(model), config_->features, &next); !s.ok()) return s;
  scorer_ = std::move(next);
  contributions_.assign(config_->features.size() + 1, 0.0);
  return Status::Ok();
}

void Pipeline::expire_state() {
  parts_.expire();
  refresh_state_summary();
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
  for (const auto& p : parts_.all()) {
    if (p == nullptr) continue;
    const FeatureStateStats f = p->features.stats();
    s.payer_keys += f.payer_keys;
    s.payee_keys += f.payee_keys;
    s.events += f.events;
    s.approx_bytes += f.approx_bytes;
    s.evicted_keys += f.evicted_keys;
    s.dropped_events += f.dropped_events;
    s.dedupe_ids += p->dedupe.size();
    s.dedupe_evictions += p->dedupe.evictions();
  }
}

// Snapshot layout version: bump when any save() below changes its bytes.
constexpr uint32_t kStateFormat = 2;

namespace {

Status check_format(ByteReader* in) {
  const uint32_t format = in->get<uint32_t>();
  if (format == kStateFormat) return Status::Ok();
  return Status::Unsupported("state snapshot format " + std::to_string(format) + " (this build reads " +
                             std::to_string(kStateFormat) + ")");
}

}  // namespace

void Pipeline::save_accounting_state(ByteWriter* out) const {
  out->put(kStateFormat);
  save_accounting(accounting_, rule_names(), out);
}

Status Pipeline::load_accounting_state(std::string_view snapshot) {
  ByteReader in(snapshot);
  if (Status s = check_format(&in); !s.ok()) return s;
  if (!load_accounting(&in, rule_names(), &accounting_) || !in.at_end()) {
    return Status::Corruption("state snapshot is malformed");
  }
  return Status::Ok();
}

void Pipeline::save_state(ByteWriter* out) const {
  save_accounting_state(out);
  save_part(0, out);
}

Status Pipeline::load_state(std::string_view snapshot) {
  ByteReader in(snapshot);
  if (Status s = check_format(&in); !s.ok()) return s;
  parts_.clear();
  const bool ok = load_accounting(&in, rule_names(), &accounting_) && parts_.part(0).load(&in);
  if (!ok || !in.at_end()) return Status::Corruption("state snapshot is malformed");
  refresh_state_summary();
  return Status::Ok();
}

void Pipeline::save_part(uint32_t id, ByteWriter* out) const {
  if (has_part(id)) {
    parts_.get(id).save(out);
  } else {
    PartState(*config_).save(out);
  }
}

Status Pipeline::load_part(uint32_t id, std::string_view snapshot) {
  ByteReader in(snapshot);
  drop_part(id);
  if (!parts_.part(id).load(&in) || !in.at_end()) {
    drop_part(id);
    return Status::Corruption("part state snapshot is malformed");
  }
  return Status::Ok();
}

Status Pipeline::load_parts(std::string_view snapshot) {
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
    if (fate_[i] == Fate::kDeadLetter) continue;
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
  for (const RuleSpec& r : decider_->rules()) names.push_back(r.name);
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
  if (sinks(Output::kDeadLetters).empty()) return;
  line_.clear();
  encoder_.dead_letter({batch.message(i), source_name, batch.position(i), why.field_name(), why.rule, why.detail},
                       &line_);
  // Kept until the batch ends, so that one failing write does not leave the batch half-run.
  if (Status s = emit(Output::kDeadLetters, {{}, line_, nullptr}); !s.ok() && sink_error_.ok()) sink_error_ = s;
}

Status Pipeline::process(const RecordBatch& batch, std::string_view source_name) {
  const std::size_t n = batch.size();
  const std::size_t nf = feature_count_;
  fate_.assign(n, Fate::kAlive);
  part_of_.resize(n);
  for (std::size_t i = 0; i < n; ++i) part_of_[i] = &parts_.part(batch.part(i));
  fields_.resize(n);
  txs_.resize(n);
  watermark_at_.resize(n);
  ids_.resize(n);
  late_.assign(n, false);
  enrichments_.resize(n);
  feature_rows_.resize(n * nf);
  scores_.resize(n);
  decisions_.resize(n);
  arena_.reset(batch.byte_size());
  accounting_.in += n;
  auto& times = accounting_.stage_times.nanos;
  int64_t t0 = now_nanos();

  for (std::size_t i = 0; i < n; ++i) {
    const std::string_view m = batch.message(i);
    Rejection why;
    if (m.size() > max_message_bytes_) {
      reject(batch, i, Rejection::message("message_too_large", "larger than input.max_message_bytes"), source_name);
    } else if (is_blank(m)) {
      reject(batch, i, Rejection::message("empty_message", "blank line"), source_name);
    } else if (!decoder_->decode(m, &arena_, &fields_[i], &why)) {
      reject(batch, i, why, source_name);
    }
  }
  int64_t t1 = now_nanos();
  times[StageTimes::kDecode] += t1 - t0;

  for (std::size_t i = 0; i < n; ++i) {
    if (fate_[i] != Fate::kAlive) continue;
    Rejection why;
    Watermark& watermark = part_of_[i]->watermark;
    const int64_t max_seen = watermark.started() ? watermark.max_event_time() : std::numeric_limits<int64_t>::min();
    if (!validator_.validate(fields_[i], max_seen, &txs_[i], &why)) {
      reject(batch, i, why, source_name);
      continue;
    }
    late_[i] = watermark.observe(txs_[i].event_time_us);
    watermark_at_[i] = watermark.current();
  }
  t0 = now_nanos();
  times[StageTimes::kValidate] += t0 - t1;

  for (std::size_t i = 0; i < n; ++i) {
    if (fate_[i] != Fate::kAlive || !parts_.dedupe_enabled()) continue;
    Deduplicator& dedupe = part_of_[i]->dedupe;
    dedupe.expire(watermark_at_[i]);
    ids_[i] = Deduplicator::fingerprint(txs_[i].end_to_end_id);  // kept for the change log
    if (dedupe.seen_before(ids_[i], txs_[i].event_time_us)) {
      fate_[i] = Fate::kDuplicate;
      ++accounting_.duplicates;
    }
  }
  t1 = now_nanos();
  times[StageTimes::kDedupe] += t1 - t0;

  for (std::size_t i = 0; i < n; ++i) {
    if (fate_[i] == Fate::kAlive) enricher_.enrich(txs_[i], &enrichments_[i]);
  }
  t0 = now_nanos();
  times[StageTimes::kEnrich] += t0 - t1;

  // Two prefetch stages: the keys' hash-table slots, then (once those are in cache) their
  // histories.
  constexpr std::size_t kPrefetchDistance = 8;
  constexpr std::size_t kHistoryPrefetchDistance = 4;
  for (std::size_t i = 0; i < n; ++i) {
    if (i + kPrefetchDistance < n && fate_[i + kPrefetchDistance] == Fate::kAlive) {
      part_of_[i + kPrefetchDistance]->features.prefetch(enrichments_[i + kPrefetchDistance]);
    }
    if (i + kHistoryPrefetchDistance < n && fate_[i + kHistoryPrefetchDistance] == Fate::kAlive) {
      part_of_[i + kHistoryPrefetchDistance]->features.prefetch_histories(enrichments_[i + kHistoryPrefetchDistance]);
    }
    if (fate_[i] != Fate::kAlive) continue;
    part_of_[i]->features.process(txs_[i], enrichments_[i], watermark_at_[i], feature_rows_.data() + i * nf);
  }
  if (change_log_ != nullptr) record_changes(batch);
  t1 = now_nanos();
  times[StageTimes::kFeatures] += t1 - t0;

  for (std::size_t i = 0; i < n; ++i) {
    if (fate_[i] == Fate::kAlive) scores_[i] = scorer_.score(feature_rows_.data() + i * nf);
  }
  t0 = now_nanos();
  times[StageTimes::kScore] += t0 - t1;

  for (std::size_t i = 0; i < n; ++i) {
    if (fate_[i] != Fate::kAlive) continue;
    decisions_[i] = decider_->decide(txs_[i], feature_rows_.data() + i * nf, scores_[i]);
  }
  t1 = now_nanos();
  times[StageTimes::kDecide] += t1 - t0;

  const bool want_scored = !sinks(Output::kScored).empty();
  const bool want_alerts = !sinks(Output::kAlerts).empty();
  const std::string& model_version = scorer_.model_version();
  for (std::size_t i = 0; i < n; ++i) {
    if (fate_[i] != Fate::kAlive) continue;
    const Decision& d = decisions_[i];
    ++accounting_.scored;
    accounting_.late += late_[i] ? 1 : 0;
    ++accounting_.outcomes[static_cast<std::size_t>(d.outcome)];
    if (scorer_.has_model()) accounting_.scores.observe(scores_[i]);
    for (uint64_t bits = d.fired; bits != 0; bits &= bits - 1) ++accounting_.rules_fired[static_cast<std::size_t>(__builtin_ctzll(bits))];
    const double* row = feature_rows_.data() + i * nf;
    const double* contributions = nullptr;
    if (want_alerts && d.outcome != Outcome::kAllow && scorer_.has_model()) {
      scorer_.contributions(row, config_->model_attribution, contributions_.data());
      contributions = contributions_.data();
    }
    const ScoredRecord record{&txs_[i], &enrichments_[i], row, contributions, d, late_[i], model_version};
    const std::string_view key = txs_[i].payer.account;
    if (want_scored) {
      line_.clear();
      encoder_.scored(record, model_version, &line_);
      if (Status s = emit(Output::kScored, {key, line_, &record}); !s.ok()) return s;
    }
    if (want_alerts && d.outcome != Outcome::kAllow) {
      line_.clear();
      encoder_.alert(record, model_version, &line_);
      if (Status s = emit(Output::kAlerts, {key, line_, &record}); !s.ok()) return s;
    }
  }
  times[StageTimes::kSink] += now_nanos() - t1;
  return std::exchange(sink_error_, Status::Ok());
}

}  // namespace pixguard
