#include "features/feature_engine.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <thread>

#include "core/watermark.h"

namespace pixguard {
namespace {

constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();
constexpr int64_t kDefaultRetentionUs = 30LL * 86'400'000'000;

double reais(int64_t cents) { return static_cast<double>(cents) / 100.0; }

}  // namespace

FeatureEngine::FeatureEngine(std::vector<FeatureSpec> specs, ContextOptions context, StateLimits limits,
                             std::size_t shards)
    : specs_(std::move(specs)), context_(context), limits_(limits), shards_(std::max<std::size_t>(shards, 1)) {
  limits_.max_keys = std::max<std::size_t>(limits_.max_keys, 1);
  limits_.max_events_per_key = std::max<std::size_t>(limits_.max_events_per_key, 1);
  max_keys_per_shard_ = (limits_.max_keys + shards_ - 1) / shards_;
  for (const FeatureSpec& s : specs_) {
    if (!feature_kind_needs_key(s.kind)) continue;
    Scope& scope = scope_of(s.scope);
    scope.used = true;
    scope.retention_us = std::max(scope.retention_us, s.window_us + s.delay_us);
  }
  // Relation kinds without a window look back over the retention; give them a month when
  // no windowed feature sets one.
  for (Scope* scope : {&payers_, &payees_}) {
    if (scope->used && scope->retention_us == 0) scope->retention_us = kDefaultRetentionUs;
  }
  // Features over the same key, window and delay share one pair of window edges.
  for (const FeatureSpec& s : specs_) {
    std::size_t slot = kNoWindow;
    if (feature_kind_needs_key(s.kind)) {
      KeyHistory::Shape& shape = scope_of(s.scope).shape;
      const int64_t length = s.window_us > 0 ? s.window_us : retention_us(s.scope);
      for (slot = 0; slot < shape.window_length_us.size(); ++slot) {
        if (shape.window_length_us[slot] == length && shape.window_delay_us[slot] == s.delay_us) break;
      }
      if (slot == shape.window_length_us.size()) {
        shape.window_length_us.push_back(length);
        shape.window_delay_us.push_back(s.delay_us);
      }
      if (s.kind == FeatureKind::kMax || s.kind == FeatureKind::kMin) shape.staircases = true;
      scope_of(s.scope).features.push_back(window_of_.size());
    }
    window_of_.push_back(slot);
  }
  for (Scope* scope : {&payers_, &payees_}) {
    scope->shards.resize(shards_);
    for (Shard& shard : scope->shards) shard.bounds.resize(scope->shape.window_length_us.size());
  }
}

void FeatureEngine::process(const Transaction& tx, const Enrichment& e, int64_t watermark_us, double* out) {
  if (out != nullptr) process_context(tx, e, out);
  if (payers_.used) process_scope(payers_, e.payer_id, e.payee_id, tx, e, watermark_us, out);
  if (payees_.used) process_scope(payees_, e.payee_id, e.payer_id, tx, e, watermark_us, out);
}

void FeatureEngine::process_keyed(KeyScope s, const Transaction& tx, const Enrichment& e, int64_t watermark_us,
                                  double* out) {
  if (s == KeyScope::kPayer) {
    if (payers_.used) process_scope(payers_, e.payer_id, e.payee_id, tx, e, watermark_us, out);
  } else if (payees_.used) {
    process_scope(payees_, e.payee_id, e.payer_id, tx, e, watermark_us, out);
  }
}

std::string_view category_text(Field f, const Transaction& tx) {
  switch (f) {
    case Field::kChannel: return tx.channel;
    case Field::kInitiation: return tx.initiation == Initiation::kNone ? std::string_view() : initiation_name(tx.initiation);
    case Field::kPayeeKeyType: return tx.payee_key_type == KeyType::kNone ? std::string_view() : key_type_name(tx.payee_key_type);
    case Field::kPayerIspb: return tx.payer.ispb;
    case Field::kPayeeIspb: return tx.payee.ispb;
    case Field::kDeviceId: return tx.device_id;
    default: return {};
  }
}

bool categorical_field(Field f) {
  return f == Field::kChannel || f == Field::kInitiation || f == Field::kPayeeKeyType || f == Field::kPayerIspb ||
         f == Field::kPayeeIspb || f == Field::kDeviceId;
}

void FeatureEngine::process_context(const Transaction& tx, const Enrichment& e, double* out) const {
  for (std::size_t i = 0; i < specs_.size(); ++i) {
    const FeatureSpec& s = specs_[i];
    if (feature_kind_needs_key(s.kind)) continue;
    switch (s.kind) {
      case FeatureKind::kAmount:
        out[i] = reais(tx.amount_cents);
        break;
      case FeatureKind::kHour:
        out[i] = e.local.hour;
        break;
      case FeatureKind::kNight: {
        const int m = e.local.hour * 60 + e.local.minute;
        const int a = context_.night_start_minute, b = context_.night_end_minute;
        out[i] = (a <= b ? (m >= a && m < b) : (m >= a || m < b)) ? 1.0 : 0.0;
        break;
      }
      case FeatureKind::kWeekend:
        out[i] = (e.local.weekday == 0 || e.local.weekday == 6) ? 1.0 : 0.0;
        break;
      case FeatureKind::kWeekday:
        out[i] = e.local.weekday;
        break;
      case FeatureKind::kInitiation:
        out[i] = tx.initiation == Initiation::kNone ? kMissing : static_cast<double>(tx.initiation);
        break;
      case FeatureKind::kKeyType:
        out[i] = tx.payee_key_type == KeyType::kNone ? kMissing : static_cast<double>(tx.payee_key_type);
        break;
      case FeatureKind::kChannel:
      case FeatureKind::kCategory: {
        const std::string_view text = s.kind == FeatureKind::kChannel ? tx.channel : category_text(s.field, tx);
        out[i] = text.empty() ? kMissing : static_cast<double>(s.categories.size());
        for (std::size_t c = 0; c < s.categories.size() && !text.empty(); ++c) {
          if (s.categories[c] == text) {
            out[i] = static_cast<double>(c);
            break;
          }
        }
        break;
      }
      default:
        out[i] = kMissing;
    }
    if (std::isnan(out[i])) out[i] = s.fill;
  }
}

void FeatureEngine::process_scope(Scope& scope, uint64_t key, uint64_t counterparty, const Transaction& tx,
                                  const Enrichment& e, int64_t watermark_us, double* out) {
  Shard& shard = scope.shards[shard_of(key)];
  KeyHistory& h = history_of(scope, shard, key, tx.event_time_us);
  const bool has_watermark = watermark_us != Watermark::kNone;
  if (has_watermark) shard.events -= h.prune(scope.shape, watermark_us - scope.retention_us);

  const int64_t t = tx.event_time_us;
  if (out != nullptr) compute_scope(scope, shard, h, counterparty, tx, e, out);
  if (has_watermark && t < watermark_us - scope.retention_us) return;  // beyond what state keeps
  h.insert(scope.shape, t, tx.amount_cents, counterparty, e.device_id, e.fraud_known_us);
  const std::size_t dropped = h.truncate(scope.shape, limits_.max_events_per_key);
  shard.events += 1 - dropped;
  shard.dropped_events += dropped;
}

void FeatureEngine::compute_scope(const Scope& scope, Shard& shard, KeyHistory& h, uint64_t counterparty,
                                  const Transaction& tx, const Enrichment& e, double* out) const {
  std::vector<Bounds>& bounds = shard.bounds;
  const int64_t t = tx.event_time_us;
  const bool in_order = h.in_order(t);
  if (in_order) h.advance(scope.shape, t);
  // The edges of each window of this scope: the cursors, or (a small key, or a late
  // transaction whose windows lie behind the cursors) a binary search.
  const KeyHistory::Shape& shape = scope.shape;
  const auto& ev = h.events();
  const auto by_time = [](int64_t x, const KeyHistory::Event& y) { return x < y.time_us; };
  for (std::size_t w = 0; w < shape.window_length_us.size(); ++w) {
    if (in_order) {
      bounds[w] = {h.cursor(w).lo, h.cursor(w).hi};
      continue;
    }
    const int64_t end = t - shape.window_delay_us[w];
    const auto live = ev.begin() + static_cast<std::ptrdiff_t>(h.head());
    const auto lo = std::upper_bound(live, ev.end(), end - shape.window_length_us[w], by_time);
    bounds[w] = {static_cast<std::size_t>(lo - ev.begin()),
                  static_cast<std::size_t>(std::upper_bound(lo, ev.end(), end, by_time) - ev.begin())};
  }
  for (const std::size_t i : scope.features) {
    const std::size_t w = window_of_[i];
    const double v = compute(specs_[i], w, tx, e, h, counterparty, in_order, bounds[w].lo, bounds[w].hi);
    out[i] = std::isnan(v) ? specs_[i].fill : v;
  }
}

double FeatureEngine::compute(const FeatureSpec& s, std::size_t w, const Transaction& tx, const Enrichment& e,
                              const KeyHistory& h, uint64_t counterparty, bool in_order, std::size_t lo,
                              std::size_t hi) const {
  // History [lo, hi) is the window (t - delay - window, t - delay], which never holds the
  // current transaction (it joins the history after its features).
  const int64_t t = tx.event_time_us;
  const auto& ev = h.events();
  const bool current = s.include_current && s.delay_us == 0;

  switch (s.kind) {
    case FeatureKind::kCount:
      return static_cast<double>(hi - lo + (current ? 1 : 0));
    case FeatureKind::kSum:
    case FeatureKind::kMean: {
      const WideSum sum = h.amount_sum(lo, hi) + (current ? tx.amount_cents : 0);
      const std::size_t n = hi - lo + (current ? 1 : 0);
      if (s.kind == FeatureKind::kSum) return static_cast<double>(sum) / 100.0;
      return n == 0 ? kMissing : static_cast<double>(sum) / static_cast<double>(n) / 100.0;
    }
    case FeatureKind::kAmountToMean: {
      if (hi == lo) return kMissing;
      const double mean = static_cast<double>(h.amount_sum(lo, hi)) / static_cast<double>(hi - lo);
      return mean <= 0 ? kMissing : static_cast<double>(tx.amount_cents) / mean;
    }
    case FeatureKind::kAmountRobustZ: {
      if (hi - lo < 3) return kMissing;
      // Median and median absolute deviation of the window's amounts: O(window) per
      // transaction, on a scratch copy (nth_element reorders it).
      thread_local std::vector<int64_t> scratch;
      scratch.clear();
      for (std::size_t k = lo; k < hi; ++k) scratch.push_back(h.events()[k].amount_cents);
      const auto median = [](std::vector<int64_t>& v) {
        const std::size_t mid = v.size() / 2;
        std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
        const double upper = static_cast<double>(v[mid]);
        if (v.size() % 2 == 1) return upper;
        const double lower = static_cast<double>(*std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid)));
        return (lower + upper) / 2;
      };
      const double med = median(scratch);
      // Deviations doubled, to stay in integers (a median of halves is a half).
      for (int64_t& x : scratch) x = std::llabs(2 * x - static_cast<int64_t>(2 * med));
      const double mad = median(scratch) / 2;
      if (mad <= 0) return kMissing;
      return (static_cast<double>(tx.amount_cents) - med) / (1.4826 * mad);
    }
    case FeatureKind::kMax:
    case FeatureKind::kMin: {
      const bool is_max = s.kind == FeatureKind::kMax;
      if (lo == hi) return current ? reais(tx.amount_cents) : kMissing;
      int64_t best = h.extreme(lo, hi, is_max);
      if (current && (is_max ? tx.amount_cents > best : tx.amount_cents < best)) best = tx.amount_cents;
      return reais(best);
    }
    case FeatureKind::kDistinctCounterparties: {
      const std::size_t distinct = in_order && s.delay_us == 0 ? h.cursor(w).distinct : h.distinct_between(lo, hi);
      const bool add_current = current && !h.occurs(counterparty, false, lo, hi);
      return static_cast<double>(distinct + (add_current ? 1 : 0));
    }
    case FeatureKind::kFraudCount:
    case FeatureKind::kFraudRate: {
      const std::size_t fraud = h.frauds_known(lo, hi, t);
      if (s.kind == FeatureKind::kFraudCount) return static_cast<double>(fraud);
      return hi == lo ? kMissing : static_cast<double>(fraud) / static_cast<double>(hi - lo);
    }
    case FeatureKind::kSecondsSincePrevious:
      return hi == lo ? kMissing : static_cast<double>(t - ev[hi - 1].time_us) / 1e6;
    case FeatureKind::kFirstTimeCounterparty:
      return h.occurs(counterparty, false, lo, hi) ? 0.0 : 1.0;
    case FeatureKind::kNewDevice:
      if (e.device_id == 0) return kMissing;
      return h.occurs(e.device_id, true, lo, hi) ? 0.0 : 1.0;
    default:
      return kMissing;  // context kinds are not keyed
  }
}

KeyHistory& FeatureEngine::history_of(const Scope& scope, Shard& shard, uint64_t key, int64_t time_us) const {
  if (shard.keys.size() >= max_keys_per_shard_) {
    if (auto it = shard.keys.find(key); it != shard.keys.end()) return it->second;
    evict_oldest_keys(shard);
  }
  auto [it, created] = shard.keys.try_emplace(key);
  if (created) queue_expiry(shard, key, it->second, time_us + scope.retention_us);
  return it->second;
}

void FeatureEngine::queue_expiry(Shard& shard, uint64_t key, KeyHistory& h, int64_t at_us) {
  h.set_expiry_us(at_us);
  shard.expiry.push(Expiry{at_us, key});
}

void FeatureEngine::evict_oldest_keys(Shard& shard) const {
  // Evicting an eighth at a time keeps the cost per new key constant (amortised).
  HistoryMap& map = shard.keys;
  const std::size_t limit = max_keys_per_shard_;
  const std::size_t keep = limit - std::max<std::size_t>(limit / 8, 1);
  if (map.size() <= keep) return;
  std::vector<std::pair<int64_t, uint64_t>> by_age;  // (newest event time, key)
  by_age.reserve(map.size());
  for (const auto& [key, h] : map) {
    by_age.emplace_back(h.empty() ? std::numeric_limits<int64_t>::min() : h.newest_us(), key);
  }
  const std::size_t evict = map.size() - keep;
  std::nth_element(by_age.begin(), by_age.begin() + static_cast<std::ptrdiff_t>(evict), by_age.end());
  // Their queue entries are left behind: stale, they are skipped when they come up.
  for (std::size_t i = 0; i < evict; ++i) {
    const auto it = map.find(by_age[i].second);
    shard.events -= it->second.size();
    map.erase(it);
  }
  shard.evicted_keys += evict;
}

namespace {

// A history event as snapshots store it (the layout of the first snapshot version).
struct SavedEvent {
  int64_t time_us;
  int64_t amount_cents;
  uint64_t counterparty;
  uint64_t device;
  int64_t fraud_known_us;
};
static_assert(sizeof(SavedEvent) == 40);

}  // namespace

void FeatureEngine::save(ByteWriter* out) const {
  // One allocation for the whole snapshot: growing by doubling would copy it several times.
  // The shards are written as one key list per scope: a snapshot does not depend on them.
  std::size_t bytes = 4 * sizeof(uint64_t);
  for (const Scope* scope : {&payers_, &payees_}) {
    for (const Shard& shard : scope->shards) {
      for (const auto& [key, h] : shard.keys) bytes += 2 * sizeof(uint64_t) + h.size() * sizeof(SavedEvent);
    }
  }
  out->reserve_more(bytes);
  const FeatureStateStats totals = stats();
  out->put<uint64_t>(totals.evicted_keys);
  out->put<uint64_t>(totals.dropped_events);
  std::vector<SavedEvent> saved;
  for (const Scope* scope : {&payers_, &payees_}) {
    std::size_t keys = 0;
    for (const Shard& shard : scope->shards) keys += shard.keys.size();
    out->put<uint64_t>(keys);
    for (const Shard& shard : scope->shards) {
      for (const auto& [key, h] : shard.keys) {
        out->put<uint64_t>(key);
        saved.clear();
        for (std::size_t i = h.head(); i < h.events().size(); ++i) {
          const KeyHistory::Event& ev = h.events()[i];
          saved.push_back(SavedEvent{ev.time_us, ev.amount_cents, ev.counterparty, ev.device, ev.fraud_known_us});
        }
        out->put_array(saved.data(), saved.size());
      }
    }
  }
}

namespace {

// The bytes of the scope section at the start of `rest` (a key count, then per key its id
// and events), found from its counts alone; 0 when they do not fit.
std::size_t scope_section_bytes(std::string_view rest) {
  ByteReader r(rest);
  const uint64_t keys = r.get_count(2 * sizeof(uint64_t));
  for (uint64_t i = 0; i < keys && !r.failed(); ++i) {
    r.get<uint64_t>();
    r.skip(r.get_count(sizeof(SavedEvent)) * sizeof(SavedEvent));
  }
  return r.failed() ? 0 : rest.size() - r.remaining();
}

}  // namespace

bool FeatureEngine::load_scope(Scope& scope, ByteReader* in) const {
  const uint64_t keys = in->get_count(2 * sizeof(uint64_t));
  std::vector<std::vector<Expiry>> expiry(shards_);
  for (std::size_t s = 0; s < shards_; ++s) {
    scope.shards[s].keys.reserve(keys / shards_ + 1);
    expiry[s].reserve(keys / shards_ + 1);
  }
  std::vector<SavedEvent> saved;
  for (uint64_t i = 0; i < keys && !in->failed(); ++i) {
    const uint64_t key = in->get<uint64_t>();
    Shard& shard = scope.shards[shard_of(key)];
    auto [it, inserted] = shard.keys.try_emplace(key);
    if (!inserted) in->fail();  // a key appears once
    saved.clear();
    in->get_array(&saved);
    // History is kept sorted by time; a snapshot that is not would corrupt every window.
    for (std::size_t j = 1; j < saved.size(); ++j) {
      if (saved[j].time_us < saved[j - 1].time_us) in->fail();
    }
    // Times are those of parsed timestamps (years 1 to 9999): a damaged snapshot's would
    // overflow the window and expiry arithmetic (time + retention).
    constexpr int64_t kTimeBound = 1'000'000'000'000'000'000;  // about year 33,658
    for (const SavedEvent& ev : saved) {
      if (ev.time_us < -kTimeBound || ev.time_us > kTimeBound ||
          (ev.fraud_known_us != KeyHistory::kNotFraud && (ev.fraud_known_us < -kTimeBound || ev.fraud_known_us > kTimeBound))) {
        in->fail();
      }
    }
    if (in->failed()) break;
    // Rebuilt as it was built: appended in time order (the cursors are placed by the key's
    // next transaction in order).
    KeyHistory& h = it->second;
    h.reserve(saved.size());
    for (const SavedEvent& ev : saved) {
      h.insert(scope.shape, ev.time_us, ev.amount_cents, ev.counterparty, ev.device, ev.fraud_known_us);
    }
    shard.events += saved.size();
    const int64_t at = saved.empty() ? KeyHistory::kNoTime : saved.back().time_us + scope.retention_us;
    h.set_expiry_us(at);
    expiry[shard_of(key)].push_back(Expiry{at, key});
  }
  for (std::size_t s = 0; s < shards_; ++s) {  // one heapify each
    scope.shards[s].expiry = decltype(Shard::expiry)(std::greater<>(), std::move(expiry[s]));
  }
  return !in->failed();
}

bool FeatureEngine::load(ByteReader* in) {
  for (Scope* scope : {&payers_, &payees_}) clear(*scope);
  // The counters are totals; they go to the first shard.
  payers_.shards[0].evicted_keys = in->get<uint64_t>();
  payers_.shards[0].dropped_events = in->get<uint64_t>();
  // The scopes are independent: the payees load on a second thread while the payers load.
  const std::string_view rest = in->rest();
  const std::size_t payer_bytes = scope_section_bytes(rest);
  ByteReader payer_in(rest.substr(0, payer_bytes));
  ByteReader payee_in(rest.substr(payer_bytes));
  bool payees_ok = false;
  std::thread payees([&] { payees_ok = payer_bytes > 0 && load_scope(payees_, &payee_in); });
  const bool payers_ok = payer_bytes > 0 && load_scope(payers_, &payer_in) && payer_in.at_end();
  payees.join();
  in->skip(rest.size() - payee_in.remaining());
  if (in->failed() || !payers_ok || !payees_ok) {
    for (Scope* scope : {&payers_, &payees_}) clear(*scope);
    return false;
  }
  return true;
}

void FeatureEngine::clear(Scope& scope) {
  for (Shard& shard : scope.shards) {
    shard.keys.clear();
    shard.expiry = {};
    shard.events = 0;
    shard.evicted_keys = shard.dropped_events = 0;
  }
}

void FeatureEngine::expire(int64_t watermark_us) {
  if (watermark_us == Watermark::kNone) return;
  for (Scope* scope : {&payers_, &payees_}) {
    if (!scope->used) continue;
    const int64_t cutoff = watermark_us - scope->retention_us;
    for (Shard& shard : scope->shards) {
      while (!shard.expiry.empty() && shard.expiry.top().at_us < watermark_us) {
        const Expiry due = shard.expiry.top();
        shard.expiry.pop();
        const auto it = shard.keys.find(due.key);
        if (it == shard.keys.end() || it->second.expiry_us() != due.at_us) continue;  // stale entry
        // A live key keeps its old events until it is next touched (process() prunes them),
        // so the state does not depend on when this queue entry came up.
        KeyHistory& h = it->second;
        if (h.empty() || h.newest_us() < cutoff) {
          shard.events -= h.size();
          shard.keys.erase(it);
        } else {
          queue_expiry(shard, due.key, h, h.newest_us() + scope->retention_us);
        }
      }
    }
  }
}

FeatureStateStats FeatureEngine::stats() const {
  FeatureStateStats s;
  // An estimate kept in O(1) per shard: events and hash-table slots; indexes of busy keys
  // come on top.
  std::size_t slots = 0, queued = 0;
  for (const Scope* scope : {&payers_, &payees_}) {
    for (const Shard& shard : scope->shards) {
      (scope == &payers_ ? s.payer_keys : s.payee_keys) += shard.keys.size();
      s.events += shard.events;
      s.evicted_keys += shard.evicted_keys;
      s.dropped_events += shard.dropped_events;
      slots += shard.keys.capacity();
      queued += shard.expiry.size();
    }
  }
  s.approx_bytes = s.events * sizeof(KeyHistory::Event) + slots * (sizeof(uint64_t) + sizeof(KeyHistory) + 1) +
                   queued * sizeof(Expiry);
  return s;
}

}  // namespace pixguard
