#include "enrich/enricher.h"

#include "core/hash.h"

namespace pixguard {
namespace {

// One keyed hash per kind of value, so that equal text in two fields names two things.
SipKey for_kind(const SipKey& key, uint64_t kind) { return {key[0] ^ (kind * 0x9e3779b97f4a7c15ull), key[1]}; }

uint64_t party_id(const SipKey& key, std::string_view ispb, std::string_view account) {
  return hash_combine(siphash24(for_kind(key, 1), ispb), siphash24(for_kind(key, 2), account));
}

}  // namespace

void Enricher::enrich(const Transaction& tx, Enrichment* out) const {
  out->payer_id = party_id(id_key_, tx.payer.ispb, tx.payer.account);
  out->payee_id = tx.payee_key.empty() ? party_id(id_key_, tx.payee.ispb, tx.payee.account)
                                       : siphash24(for_kind(id_key_, 3), tx.payee_key);
  out->device_id = tx.device_id.empty() ? 0 : siphash24(for_kind(id_key_, 4), tx.device_id) | 1;
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
