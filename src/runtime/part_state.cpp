#include "runtime/part_state.h"

#include <thread>

namespace pixguard {
namespace {

// Bump when PartState::save() or PartStates::save_payees() change their bytes.
constexpr uint32_t kPartFormat = 2;

}  // namespace

PartState::PartState(const Config& config)
    : watermark(config.allowed_lateness_us),
      dedupe(config.dedupe),
      features(config.features, config.context, config.state_limits, config.worker_count()) {}

void PartState::save(ByteWriter* out) const {
  out->put(kPartFormat);
  out->put(watermark.max_event_time());
  dedupe.save(out);
  features.save(out);
}

bool PartState::load(ByteReader* in) {
  if (in->get<uint32_t>() != kPartFormat) return false;
  watermark.restore(in->get<int64_t>());
  // The dedupe ids load on their own thread while the feature histories load.
  const std::string_view rest = in->rest();
  const std::size_t dedupe_bytes = Deduplicator::snapshot_bytes(rest);
  if (dedupe_bytes == 0) return false;
  ByteReader dedupe_in(rest.substr(0, dedupe_bytes));
  ByteReader features_in(rest.substr(dedupe_bytes));
  bool dedupe_ok = false;
  std::thread ids([&] { dedupe_ok = dedupe.load(&dedupe_in) && dedupe_in.at_end(); });
  const bool features_ok = features.load(&features_in);
  ids.join();
  in->skip(rest.size() - features_in.remaining());
  return dedupe_ok && features_ok && !in->failed();
}

PartStates::PartStates(const Config& config)
    : config_(&config),
      dedupe_enabled_(config.dedupe_enabled && config.validation.mapping.mapped(Field::kEndToEndId)),
      payees_(config.features, config.context, config.state_limits, config.worker_count()),
      payee_watermark_(config.allowed_lateness_us) {}

PartState& PartStates::part(uint32_t id) {
  if (id >= parts_.size()) parts_.resize(id + 1);
  if (parts_[id] == nullptr) parts_[id] = std::make_unique<PartState>(*config_);
  return *parts_[id];
}

void PartStates::clear() {
  parts_.clear();
  payees_ = FeatureEngine(config_->features, config_->context, config_->state_limits, config_->worker_count());
  payee_watermark_ = Watermark(config_->allowed_lateness_us);
}

void PartStates::drop(uint32_t id) {
  if (id < parts_.size()) parts_[id].reset();
}

void PartStates::expire() {
  for (const auto& p : parts_) {
    if (p != nullptr) p->features.expire(p->watermark.current());
  }
  payees_.expire(payee_watermark_.current());
}

void PartStates::apply(const StateChange& change) {
  // The steps of Pipeline::process for one message, in its order.
  PartState& p = part(change.part);
  p.watermark.observe(change.event_time_us);
  const int64_t watermark = p.watermark.current();
  if (dedupe_enabled_) {
    p.dedupe.expire(watermark);
    if (p.dedupe.seen_before(change.id, change.event_time_us)) return;
  }
  Transaction tx;
  tx.event_time_us = change.event_time_us;
  tx.amount_cents = change.amount_cents;
  Enrichment e;
  e.payer_id = change.payer_id;
  e.payee_id = change.payee_id;
  e.device_id = change.device_id;
  e.fraud_known_us = change.fraud_known_us;
  p.features.process_keyed(KeyScope::kPayer, tx, e, watermark, nullptr);
  if (config_->payee_state == Config::PayeeState::kPerPart) {
    p.features.process_keyed(KeyScope::kPayee, tx, e, watermark, nullptr);
    return;
  }
  payee_watermark_.observe(p.watermark.max_event_time());  // a single part: its order time
  payees_.process_keyed(KeyScope::kPayee, tx, e, payee_watermark_.current(), nullptr);
}

void PartStates::save(ByteWriter* out) const {
  uint32_t held = 0;
  for (const auto& p : parts_) held += p != nullptr ? 1 : 0;
  out->put(held);
  for (uint32_t id = 0; id < parts_.size(); ++id) {
    if (parts_[id] == nullptr) continue;
    out->put(id);
    parts_[id]->save(out);
  }
  save_payees(out);
}

void PartStates::save_payees(ByteWriter* out) const {
  out->put(kPartFormat);
  out->put(payee_watermark_.max_event_time());
  payees_.save(out);
}

bool PartStates::load_payees(ByteReader* in) {
  if (in->get<uint32_t>() != kPartFormat) return false;
  payee_watermark_.restore(in->get<int64_t>());
  return payees_.load(in) && !in->failed();
}

bool PartStates::load(ByteReader* in) {
  parts_.clear();
  const uint32_t held = in->get<uint32_t>();
  for (uint32_t i = 0; i < held && !in->failed(); ++i) {
    const uint32_t id = in->get<uint32_t>();
    if (in->failed() || id > (1u << 20) || has(id) || !part(id).load(in)) {
      parts_.clear();
      return false;
    }
  }
  if (in->failed() || !load_payees(in)) {
    parts_.clear();
    return false;
  }
  return true;
}

}  // namespace pixguard
