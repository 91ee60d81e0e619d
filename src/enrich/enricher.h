#pragma once
// Enrichment: what the later stages need of a transaction that is not in its fields:
// stable identities of payer, payee and device (state keys), local calendar time in the
// context zone, and when its fraud outcome becomes known (for point-in-time label
// features). Reference-data joins (account profiles) will also live here.
//
// Threading: immutable after construction; enrich() may run on many threads.
#include <cstdint>
#include <limits>

#include "core/siphash.h"
#include "core/time_zone.h"
#include "core/transaction.h"
#include "enrich/label_store.h"

namespace pixguard {

// How a transaction's fraud outcome becomes known.
struct LabelTiming {
  enum class Source : unsigned char {
    kNone,         // never: label features stay at 0 known reports
    kInline,       // the transaction's own `label`, known `known_after` after its event time
    kLabelsInput,  // the labels input's reported_at
  } source = Source::kNone;
  int64_t known_after_us = 0;
};

struct Enrichment {
  uint64_t payer_id = 0;   // hash of payer ISPB and account
  uint64_t payee_id = 0;   // hash of the payee key, else of payee ISPB and account
  uint64_t device_id = 0;  // hash of device_id; 0 when absent
  LocalTime local;
  int64_t fraud_known_us = kNever;  // when "this was fraud" becomes known; kNever if not fraud
  int8_t label = -1;                // outcome for outputs and training: 1, 0, or -1 unknown

  static constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
};

class Enricher {
 public:
  // `id_key` keys the hashes that name payers, payees and devices in the state (SipHash).
  Enricher(const TimeZone& zone, LabelTiming timing, const LabelStore* labels, const SipKey& id_key)
      : zone_(zone), timing_(timing), labels_(labels), id_key_(id_key) {}

  void enrich(const Transaction& tx, Enrichment* out) const;

 private:
  TimeZone zone_;
  LabelTiming timing_;
  const LabelStore* labels_;
  SipKey id_key_;
};

}  // namespace pixguard
