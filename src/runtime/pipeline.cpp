#include "runtime/pipeline.h"

#include <algorithm>
#include <chrono>
#include <functional>
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
      validator_(config.validation),
      parts_(config),
      enricher_(config.context_zone, config.label_timing, labels),
      feature_count_(config.features.size()),
      config_(&config),
      encoder_(config.features, config.decision.rules, config.decision),
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
  std::unique_ptr<Pipeline> p(new Pipeline(config, std::move(decoder), labels));
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
  check_.resize(n);
  why_.resize(n);
  part_of_.resize(n);
  for (std::size_t i = 0; i < n; ++i) part_of_[i] = &parts_.part(batch.part(i));
  fields_.resize(n);
  txs_.resize(n);
  watermark_at_.resize(n);
  ids_.resize(n);
  late_.assign(n, 0);
  enrichments_.resize(n);
  feature_rows_.resize(n * nf);
  scores_.resize(n);
  decisions_.resize(n);
  contribution_rows_.resize(n * (nf + 1));
  encoded_.resize(n);
  accounting_.in += n;
  for (Worker& w : workers_) std::fill(std::begin(w.stage_nanos), std::end(w.stage_nanos), 0);
  const std::size_t workers = workers_.size();
  const auto slice = [&](std::size_t w, std::size_t count) { return std::pair{w * count / workers, (w + 1) * count / workers}; };

  // A small batch (a message at a time, a trickle) runs every worker's part on this
  // thread: waking the others would cost more than it saves. The results are the same.
  constexpr std::size_t kParallelFrom = 64;
  const auto run_phase = [&](const std::function<void(std::size_t)>& phase) {
    if (n >= kParallelFrom) {
      pool_.run(phase);
    } else {
      for (std::size_t w = 0; w < workers; ++w) phase(w);
    }
  };
  run_phase([&](std::size_t w) {
    const auto [begin, end] = slice(w, n);
    check_fields(workers_[w], batch, begin, end);
  });
  order_and_dedupe(batch, source_name);
  run_phase([&](std::size_t w) { compute_features(workers_[w], w, n); });
  if (change_log_ != nullptr) record_changes(batch);
  run_phase([&](std::size_t w) {
    const auto [begin, end] = slice(w, n);
    score_and_encode(workers_[w], begin, end);
  });
  Status emitted = account_and_emit(n);
  for (const Worker& w : workers_) {
    for (std::size_t s = 0; s < StageTimes::kCount; ++s) accounting_.stage_times.nanos[s] += w.stage_nanos[s];
  }
  if (!emitted.ok()) return emitted;
  return std::exchange(sink_error_, Status::Ok());
}

void Pipeline::check_fields(Worker& w, const RecordBatch& batch, std::size_t begin, std::size_t end) {
  int64_t t0 = now_nanos();
  w.arena.reset(batch.byte_size());
  for (std::size_t i = begin; i < end; ++i) {
    const std::string_view m = batch.message(i);
    check_[i] = Check::kBrokeBeforeWindow;
    if (m.size() > max_message_bytes_) {
      why_[i] = Rejection::message("message_too_large", "larger than input.max_message_bytes");
    } else if (is_blank(m)) {
      why_[i] = Rejection::message("empty_message", "blank line");
    } else if (w.decoder->decode(m, &w.arena, &fields_[i], &why_[i])) {
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
    late_[i] = watermark.observe(txs_[i].event_time_us) ? 1 : 0;
    watermark_at_[i] = watermark.current();
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
    }
  }
  times[StageTimes::kDedupe] += now_nanos() - t1;
}

void Pipeline::compute_features(Worker& w, std::size_t shard, std::size_t n) {
  const int64_t t0 = now_nanos();
  const std::size_t nf = feature_count_;
  // Two prefetch stages: the keys' hash-table slots, then (once those are in cache) their
  // histories. Worker `shard` owns the payers and the payees of its shard of every part.
  constexpr std::size_t kPrefetchDistance = 8;
  constexpr std::size_t kHistoryPrefetchDistance = 4;
  const auto mine = [&](std::size_t i, KeyScope scope) {
    const FeatureEngine& f = part_of_[i]->features;
    const uint64_t key = scope == KeyScope::kPayer ? enrichments_[i].payer_id : enrichments_[i].payee_id;
    return fate_[i] == Fate::kAlive && f.uses(scope) && f.shard_of(key) == shard;
  };
  for (std::size_t i = 0; i < n; ++i) {
    for (const KeyScope scope : {KeyScope::kPayer, KeyScope::kPayee}) {
      if (const std::size_t j = i + kPrefetchDistance; j < n && mine(j, scope)) {
        part_of_[j]->features.prefetch(scope, scope == KeyScope::kPayer ? enrichments_[j].payer_id : enrichments_[j].payee_id);
      }
      if (const std::size_t j = i + kHistoryPrefetchDistance; j < n && mine(j, scope)) {
        part_of_[j]->features.prefetch_history(scope, scope == KeyScope::kPayer ? enrichments_[j].payer_id
                                                                                : enrichments_[j].payee_id);
      }
    }
    if (fate_[i] != Fate::kAlive) continue;
    FeatureEngine& f = part_of_[i]->features;
    double* row = feature_rows_.data() + i * nf;
    // The values that need no state go with the payer, so that exactly one worker writes them.
    if (f.shard_of(enrichments_[i].payer_id) == shard) f.process_context(txs_[i], enrichments_[i], row);
    if (mine(i, KeyScope::kPayer)) f.process_keyed(KeyScope::kPayer, txs_[i], enrichments_[i], watermark_at_[i], row);
    if (mine(i, KeyScope::kPayee)) f.process_keyed(KeyScope::kPayee, txs_[i], enrichments_[i], watermark_at_[i], row);
  }
  w.stage_nanos[StageTimes::kFeatures] += now_nanos() - t0;
}

void Pipeline::score_and_encode(Worker& w, std::size_t begin, std::size_t end) {
  const std::size_t nf = feature_count_;
  int64_t t0 = now_nanos();
  for (std::size_t i = begin; i < end; ++i) {
    if (fate_[i] == Fate::kAlive) scores_[i] = w.scorer.score(feature_rows_.data() + i * nf);
  }
  int64_t t1 = now_nanos();
  w.stage_nanos[StageTimes::kScore] += t1 - t0;
  for (std::size_t i = begin; i < end; ++i) {
    if (fate_[i] == Fate::kAlive) decisions_[i] = w.decider->decide(txs_[i], feature_rows_.data() + i * nf, scores_[i]);
  }
  t0 = now_nanos();
  w.stage_nanos[StageTimes::kDecide] += t0 - t1;

  const bool want_scored = !sinks(Output::kScored).empty();
  const bool want_alerts = !sinks(Output::kAlerts).empty();
  const std::string& model_version = w.scorer.model_version();
  const uint32_t worker = static_cast<uint32_t>(&w - workers_.data());
  w.lines.clear();
  for (std::size_t i = begin; i < end; ++i) {
    if (fate_[i] != Fate::kAlive) continue;
    const Decision& d = decisions_[i];
    Encoded& out = encoded_[i];
    out.worker = worker;
    out.begin = static_cast<uint32_t>(w.lines.size());
    out.contributions = want_alerts && d.outcome != Outcome::kAllow && w.scorer.has_model();
    double* contributions = contribution_rows_.data() + i * (nf + 1);
    if (out.contributions) w.scorer.contributions(feature_rows_.data() + i * nf, config_->model_attribution, contributions);
    const ScoredRecord record{&txs_[i], &enrichments_[i], feature_rows_.data() + i * nf,
                              out.contributions ? contributions : nullptr, d, late_[i] != 0, model_version};
    if (want_scored) encoder_.scored(record, model_version, &w.lines);
    out.scored_end = static_cast<uint32_t>(w.lines.size());
    if (want_alerts && d.outcome != Outcome::kAllow) encoder_.alert(record, model_version, &w.lines);
    out.alert_end = static_cast<uint32_t>(w.lines.size());
  }
  w.stage_nanos[StageTimes::kSink] += now_nanos() - t0;
}

Status Pipeline::account_and_emit(std::size_t n) {
  const int64_t t0 = now_nanos();
  const std::size_t nf = feature_count_;
  const bool has_model = workers_[0].scorer.has_model();
  const std::string& model_version = workers_[0].scorer.model_version();
  for (std::size_t i = 0; i < n; ++i) {
    if (fate_[i] != Fate::kAlive) continue;
    const Decision& d = decisions_[i];
    ++accounting_.scored;
    accounting_.late += late_[i];
    ++accounting_.outcomes[static_cast<std::size_t>(d.outcome)];
    if (has_model) accounting_.scores.observe(scores_[i]);
    for (uint64_t bits = d.fired; bits != 0; bits &= bits - 1) ++accounting_.rules_fired[static_cast<std::size_t>(__builtin_ctzll(bits))];
    const Encoded& at = encoded_[i];
    const std::string_view lines = workers_[at.worker].lines;
    const ScoredRecord record{&txs_[i], &enrichments_[i], feature_rows_.data() + i * nf,
                              at.contributions ? contribution_rows_.data() + i * (nf + 1) : nullptr, d, late_[i] != 0,
                              model_version};
    const std::string_view key = txs_[i].payer.account;
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
