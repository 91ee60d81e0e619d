#include "features/feature_engine.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/watermark.h"

namespace pixguard {
namespace {

constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();
constexpr int64_t kDefaultRetentionUs = 30LL * 86'400'000'000;

double reais(int64_t cents) { return static_cast<double>(cents) / 100.0; }

// Sums of amounts are exact in 128 bits: int64 centavos of a few maximal amounts would
// overflow (the largest valid amount is about 9.2e16 centavos).
__extension__ using WideSum = __int128;

}  // namespace

FeatureEngine::FeatureEngine(std::vector<FeatureSpec> specs, ContextOptions context, StateLimits limits)
    : specs_(std::move(specs)), context_(context), limits_(limits) {
  limits_.max_keys = std::max<std::size_t>(limits_.max_keys, 1);
  limits_.max_events_per_key = std::max<std::size_t>(limits_.max_events_per_key, 1);
  for (const FeatureSpec& s : specs_) {
    if (!feature_kind_needs_key(s.kind)) continue;
    int64_t& retention = s.scope == KeyScope::kPayer ? payer_retention_us_ : payee_retention_us_;
    (s.scope == KeyScope::kPayer ? uses_payer_ : uses_payee_) = true;
    retention = std::max(retention, s.window_us + s.delay_us);
  }
  // Relation kinds without a window look back over the retention; give them a month when
  // no windowed feature sets one.
  if (uses_payer_ && payer_retention_us_ == 0) payer_retention_us_ = kDefaultRetentionUs;
  if (uses_payee_ && payee_retention_us_ == 0) payee_retention_us_ = kDefaultRetentionUs;
  // Features over the same key, window and delay share one window lookup per transaction.
  for (const FeatureSpec& s : specs_) {
    std::size_t slot = kNoWindow;
    if (feature_kind_needs_key(s.kind)) {
      const Window w{s.scope, s.window_us > 0 ? s.window_us : retention_us(s.scope), s.delay_us};
      for (slot = 0; slot < windows_.size(); ++slot) {
        if (windows_[slot].scope == w.scope && windows_[slot].length_us == w.length_us &&
            windows_[slot].delay_us == w.delay_us) {
          break;
        }
      }
      if (slot == windows_.size()) windows_.push_back(w);
    }
    window_of_.push_back(slot);
  }
  bounds_.resize(windows_.size());
}

void FeatureEngine::prune(History* h, int64_t cutoff_us) {
  auto& ev = h->events;
  while (h->head < ev.size() && ev[h->head].time_us < cutoff_us) ++h->head;
  if (h->head == ev.size()) {
    ev.clear();
    h->head = 0;
  } else if (h->head >= 16 && h->head * 2 >= ev.size()) {
    ev.erase(ev.begin(), ev.begin() + static_cast<std::ptrdiff_t>(h->head));
    h->head = 0;
  }
}

void FeatureEngine::process(const Transaction& tx, const Enrichment& e, int64_t watermark_us, double* out) {
  History* payer = nullptr;
  History* payee = nullptr;
  const bool has_watermark = watermark_us != Watermark::kNone;
  if (uses_payer_) {
    payer = &history_of(payers_, e.payer_id);
    if (has_watermark) prune(payer, watermark_us - payer_retention_us_);
  }
  if (uses_payee_) {
    payee = &history_of(payees_, e.payee_id);
    if (has_watermark) prune(payee, watermark_us - payee_retention_us_);
  }

  const int64_t t = tx.event_time_us;
  const auto by_time = [](int64_t x, const Event& y) { return x < y.time_us; };
  for (std::size_t w = 0; w < windows_.size(); ++w) {
    const Window& win = windows_[w];
    const auto& ev = (win.scope == KeyScope::kPayer ? payer : payee)->events;
    const int64_t end = t - win.delay_us;
    // Most windows reach the newest events: search from the back would not pay off for
    // the long ones, so both ends use a binary search.
    const History* h = win.scope == KeyScope::kPayer ? payer : payee;
    const auto live = ev.begin() + static_cast<std::ptrdiff_t>(h->head);
    bounds_[w].lo = static_cast<std::size_t>(std::upper_bound(live, ev.end(), end - win.length_us, by_time) - ev.begin());
    bounds_[w].hi = static_cast<std::size_t>(std::upper_bound(ev.begin() + static_cast<std::ptrdiff_t>(bounds_[w].lo), ev.end(), end, by_time) - ev.begin());
  }
  for (std::size_t i = 0; i < specs_.size(); ++i) {
    const FeatureSpec& s = specs_[i];
    const bool by_payer = s.scope == KeyScope::kPayer;
    const Bounds b = window_of_[i] == kNoWindow ? Bounds{} : bounds_[window_of_[i]];
    out[i] = compute(s, tx, e, by_payer ? payer : payee, by_payer ? e.payee_id : e.payer_id, b.lo, b.hi);
  }

  const auto insert = [&](History* h, int64_t retention, uint64_t counterparty) {
    if (h == nullptr) return;
    if (has_watermark && tx.event_time_us < watermark_us - retention) return;
    const Event ev{tx.event_time_us, tx.amount_cents, counterparty, e.device_id, e.fraud_known_us};
    auto& events = h->events;
    if (events.empty() || events.back().time_us <= ev.time_us) {
      events.push_back(ev);
    } else {
      const auto at = std::upper_bound(events.begin() + static_cast<std::ptrdiff_t>(h->head), events.end(), ev.time_us,
                                       [](int64_t time, const Event& x) { return time < x.time_us; });
      events.insert(at, ev);
    }
    if (h->size() > limits_.max_events_per_key) {
      ++h->head;  // compacted by the next prune()
      ++dropped_events_;
    }
  };
  insert(payer, payer_retention_us_, e.payee_id);
  insert(payee, payee_retention_us_, e.payer_id);
}

double FeatureEngine::compute(const FeatureSpec& s, const Transaction& tx, const Enrichment& e, const History* h,
                              uint64_t counterparty, std::size_t lo, std::size_t hi) {
  switch (s.kind) {
    case FeatureKind::kAmount:
      return reais(tx.amount_cents);
    case FeatureKind::kHour:
      return e.local.hour;
    case FeatureKind::kNight: {
      const int m = e.local.hour * 60 + e.local.minute;
      const int a = context_.night_start_minute, b = context_.night_end_minute;
      return (a <= b ? (m >= a && m < b) : (m >= a || m < b)) ? 1.0 : 0.0;
    }
    case FeatureKind::kWeekend:
      return (e.local.weekday == 0 || e.local.weekday == 6) ? 1.0 : 0.0;
    case FeatureKind::kWeekday:
      return e.local.weekday;
    case FeatureKind::kInitiation:
      return tx.initiation == Initiation::kNone ? kMissing : static_cast<double>(tx.initiation);
    case FeatureKind::kKeyType:
      return tx.payee_key_type == KeyType::kNone ? kMissing : static_cast<double>(tx.payee_key_type);
    case FeatureKind::kChannel: {
      if (tx.channel.empty()) return kMissing;
      for (std::size_t i = 0; i < s.categories.size(); ++i) {
        if (s.categories[i] == tx.channel) return static_cast<double>(i);
      }
      return static_cast<double>(s.categories.size());
    }
    default:
      break;
  }

  // Keyed kinds: history [lo, hi) is the window (t - delay - window, t - delay], which
  // never holds the current transaction (it joins the history after its features).
  const int64_t t = tx.event_time_us;
  const auto& ev = h->events;
  const bool current = s.include_current && s.delay_us == 0;

  switch (s.kind) {
    case FeatureKind::kCount:
      return static_cast<double>(hi - lo + (current ? 1 : 0));
    case FeatureKind::kSum:
    case FeatureKind::kMean: {
      WideSum sum = current ? tx.amount_cents : 0;
      for (std::size_t i = lo; i < hi; ++i) sum += ev[i].amount_cents;
      const std::size_t n = hi - lo + (current ? 1 : 0);
      if (s.kind == FeatureKind::kSum) return static_cast<double>(sum) / 100.0;
      return n == 0 ? kMissing : static_cast<double>(sum) / static_cast<double>(n) / 100.0;
    }
    case FeatureKind::kMax:
    case FeatureKind::kMin: {
      const bool is_max = s.kind == FeatureKind::kMax;
      bool any = current;
      int64_t best = tx.amount_cents;
      for (std::size_t i = lo; i < hi; ++i) {
        const int64_t a = ev[i].amount_cents;
        if (!any || (is_max ? a > best : a < best)) best = a;
        any = true;
      }
      return any ? reais(best) : kMissing;
    }
    case FeatureKind::kDistinctCounterparties: {
      scratch_.clear();
      for (std::size_t i = lo; i < hi; ++i) scratch_.push_back(ev[i].counterparty);
      if (current) scratch_.push_back(counterparty);
      std::sort(scratch_.begin(), scratch_.end());
      return static_cast<double>(std::unique(scratch_.begin(), scratch_.end()) - scratch_.begin());
    }
    case FeatureKind::kFraudCount:
    case FeatureKind::kFraudRate: {
      std::size_t fraud = 0;
      for (std::size_t i = lo; i < hi; ++i) fraud += ev[i].fraud_known_us <= t ? 1 : 0;
      if (s.kind == FeatureKind::kFraudCount) return static_cast<double>(fraud);
      return hi == lo ? kMissing : static_cast<double>(fraud) / static_cast<double>(hi - lo);
    }
    case FeatureKind::kSecondsSincePrevious:
      return hi == lo ? kMissing : static_cast<double>(t - ev[hi - 1].time_us) / 1e6;
    case FeatureKind::kAmountToMean: {
      if (hi == lo) return kMissing;
      WideSum sum = 0;
      for (std::size_t i = lo; i < hi; ++i) sum += ev[i].amount_cents;
      const double mean = static_cast<double>(sum) / static_cast<double>(hi - lo);
      return mean <= 0 ? kMissing : static_cast<double>(tx.amount_cents) / mean;
    }
    case FeatureKind::kFirstTimeCounterparty:
      for (std::size_t i = lo; i < hi; ++i) {
        if (ev[i].counterparty == counterparty) return 0.0;
      }
      return 1.0;
    case FeatureKind::kNewDevice:
      if (e.device_id == 0) return kMissing;
      for (std::size_t i = lo; i < hi; ++i) {
        if (ev[i].device == e.device_id) return 0.0;
      }
      return 1.0;
    default:
      return kMissing;  // context kinds returned above
  }
}

FeatureEngine::History& FeatureEngine::history_of(HistoryMap& map, uint64_t key) {
  if (map.size() >= limits_.max_keys) {
    if (auto it = map.find(key); it != map.end()) return it->second;
    evict_oldest_keys(map);
  }
  return map[key];
}

void FeatureEngine::evict_oldest_keys(HistoryMap& map) {
  // Evicting an eighth at a time keeps the cost per new key constant (amortised).
  const std::size_t keep = limits_.max_keys - std::max<std::size_t>(limits_.max_keys / 8, 1);
  if (map.size() <= keep) return;
  std::vector<std::pair<int64_t, uint64_t>> by_age;  // (newest event time, key)
  by_age.reserve(map.size());
  for (const auto& [key, h] : map) {
    by_age.emplace_back(h.size() == 0 ? std::numeric_limits<int64_t>::min() : h.events.back().time_us, key);
  }
  const std::size_t evict = map.size() - keep;
  std::nth_element(by_age.begin(), by_age.begin() + static_cast<std::ptrdiff_t>(evict), by_age.end());
  for (std::size_t i = 0; i < evict; ++i) map.erase(by_age[i].second);
  evicted_keys_ += evict;
}

void FeatureEngine::save(ByteWriter* out) const {
  // One allocation for the whole snapshot: growing by doubling would copy it several times.
  std::size_t bytes = 4 * sizeof(uint64_t);
  for (const HistoryMap* map : {&payers_, &payees_}) {
    for (const auto& [key, h] : *map) bytes += 2 * sizeof(uint64_t) + h.size() * sizeof(Event);
  }
  out->reserve_more(bytes);
  out->put<uint64_t>(evicted_keys_);
  out->put<uint64_t>(dropped_events_);
  for (const HistoryMap* map : {&payers_, &payees_}) {
    out->put<uint64_t>(map->size());
    for (const auto& [key, h] : *map) {
      out->put<uint64_t>(key);
      out->put_array(h.events.data() + h.head, h.size());
    }
  }
}

bool FeatureEngine::load(ByteReader* in) {
  payers_.clear();
  payees_.clear();
  evicted_keys_ = in->get<uint64_t>();
  dropped_events_ = in->get<uint64_t>();
  for (HistoryMap* map : {&payers_, &payees_}) {
    const uint64_t keys = in->get_count(2 * sizeof(uint64_t));
    map->reserve(keys);
    for (uint64_t i = 0; i < keys && !in->failed(); ++i) {
      const uint64_t key = in->get<uint64_t>();
      auto [it, inserted] = map->try_emplace(key);
      if (!inserted) in->fail();  // a key appears once
      std::vector<Event>& ev = it->second.events;
      in->get_array(&ev);
      // History is kept sorted by time; a snapshot that is not would corrupt every window.
      for (std::size_t j = 1; j < ev.size(); ++j) {
        if (ev[j].time_us < ev[j - 1].time_us) in->fail();
      }
    }
  }
  if (in->failed()) {
    payers_.clear();
    payees_.clear();
    evicted_keys_ = dropped_events_ = 0;
    return false;
  }
  return true;
}

void FeatureEngine::expire(int64_t watermark_us) {
  if (watermark_us == Watermark::kNone) return;
  const auto sweep = [](HistoryMap& map, int64_t cutoff) {
    for (auto it = map.begin(); it != map.end();) {
      prune(&it->second, cutoff);
      if (it->second.events.empty()) {
        map.erase(it++);
      } else {
        ++it;
      }
    }
  };
  sweep(payers_, watermark_us - payer_retention_us_);
  sweep(payees_, watermark_us - payee_retention_us_);
}

FeatureStateStats FeatureEngine::stats() const {
  FeatureStateStats s;
  s.payer_keys = payers_.size();
  s.payee_keys = payees_.size();
  std::size_t capacity = 0;
  for (const auto& [k, h] : payers_) {
    s.events += h.size();
    capacity += h.events.capacity();
  }
  for (const auto& [k, h] : payees_) {
    s.events += h.size();
    capacity += h.events.capacity();
  }
  const std::size_t slot = sizeof(uint64_t) + sizeof(History) + 1;  // flat_hash_map slot + control byte
  s.approx_bytes = (payers_.capacity() + payees_.capacity()) * slot + capacity * sizeof(Event);
  s.evicted_keys = evicted_keys_;
  s.dropped_events = dropped_events_;
  return s;
}

}  // namespace pixguard
