#include "enrich/enricher.h"

#include "core/hash.h"

namespace pixguard {
namespace {

uint64_t party_id(std::string_view ispb, std::string_view account) {
  return hash_combine(stable_hash(ispb, 0x1), stable_hash(account, 0x2));
}

}  // namespace

void Enricher::enrich(const Transaction& tx, Enrichment* out) const {
  out->payer_id = party_id(tx.payer.ispb, tx.payer.account);
  out->payee_id = tx.payee_key.empty() ? party_id(tx.payee.ispb, tx.payee.account) : stable_hash(tx.payee_key, 0x3);
  out->device_id = tx.device_id.empty() ? 0 : stable_hash(tx.device_id, 0x4) | 1;
  out->local = to_local_time(tx.event_time_us, zone_);
  out->fraud_known_us = Enrichment::kNever;
  out->label = tx.label;
  switch (timing_.source) {
    case LabelTiming::Source::kNone:
      break;
    case LabelTiming::Source::kInline:
      if (tx.label == 1) out->fraud_known_us = tx.event_time_us + timing_.known_after_us;
      break;
    case LabelTiming::Source::kLabelsInput:
      if (labels_ != nullptr && !tx.end_to_end_id.empty()) {
        if (const LabelReport* r = labels_->find(tx.end_to_end_id)) {
          out->label = r->fraud ? 1 : 0;
          if (r->fraud) out->fraud_known_us = r->reported_at_us;
        }
      }
      break;
  }
}

}  // namespace pixguard
