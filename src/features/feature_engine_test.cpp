// Feature state beyond the golden cases (tests/golden): the engine against a brute-force
// scan on random skewed streams, snapshots for checkpoints, and the memory bound.
#include "features/feature_engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <set>
#include <vector>

namespace pixguard {
namespace {

constexpr int64_t kMinute = 60'000'000;

std::vector<FeatureSpec> specs() {
  return {
      {"payer.count_1h", FeatureKind::kCount, KeyScope::kPayer, 60 * kMinute, 0, true, {}},
      {"payer.sum_1h", FeatureKind::kSum, KeyScope::kPayer, 60 * kMinute, 0, true, {}},
      {"payer.distinct_1h", FeatureKind::kDistinctCounterparties, KeyScope::kPayer, 60 * kMinute, 0, true, {}},
      {"payer.new_device", FeatureKind::kNewDevice, KeyScope::kPayer, 0, 0, true, {}},
      {"payee.count_1h", FeatureKind::kCount, KeyScope::kPayee, 60 * kMinute, 0, true, {}},
      {"payee.first_time", FeatureKind::kFirstTimeCounterparty, KeyScope::kPayee, 0, 0, true, {}},
  };
}

struct Event {
  Transaction tx;
  Enrichment e;
};

// A reproducible stream over `payers` payers, slightly out of order.
std::vector<Event> stream(std::size_t n, uint64_t payers, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Event> out(n);
  int64_t t = 1'700'000'000'000'000;
  for (Event& ev : out) {
    t += static_cast<int64_t>(rng() % 20'000'000);
    ev.tx.event_time_us = t - static_cast<int64_t>(rng() % 5'000'000);
    ev.tx.amount_cents = static_cast<int64_t>(rng() % 100'000) + 1;
    ev.e.payer_id = rng() % payers + 1;
    ev.e.payee_id = rng() % 500 + 1;
    ev.e.device_id = rng() % 4;
  }
  return out;
}

// Runs `events` through `engine`, returning every feature value (NaN as a sentinel).
std::vector<double> run(FeatureEngine& engine, const std::vector<Event>& events, std::size_t from, std::size_t to) {
  std::vector<double> values;
  std::vector<double> row(engine.size());
  int64_t max_time = 0;  // the watermark carries on from the events before `from`
  for (std::size_t i = 0; i < from; ++i) max_time = std::max(max_time, events[i].tx.event_time_us);
  for (std::size_t i = from; i < to; ++i) {
    max_time = std::max(max_time, events[i].tx.event_time_us);
    engine.process(events[i].tx, events[i].e, max_time - 10 * kMinute, row.data());
    for (double v : row) values.push_back(std::isnan(v) ? -12345.0 : v);
  }
  return values;
}

// Every keyed kind over several windows, with and without delay and the current one.
std::vector<FeatureSpec> all_kinds() {
  std::vector<FeatureSpec> out;
  const std::vector<FeatureKind> kinds = {FeatureKind::kCount, FeatureKind::kSum, FeatureKind::kMean,
                                          FeatureKind::kMax, FeatureKind::kMin, FeatureKind::kDistinctCounterparties,
                                          FeatureKind::kFraudCount, FeatureKind::kFraudRate,
                                          FeatureKind::kSecondsSincePrevious, FeatureKind::kAmountToMean,
                                          FeatureKind::kAmountRobustZ, FeatureKind::kFirstTimeCounterparty,
                                          FeatureKind::kNewDevice};
  struct W {
    int64_t window, delay;
    bool current;
  };
  const std::vector<W> windows = {{5 * kMinute, 0, true}, {60 * kMinute, 0, false}, {0, 0, true},
                                  {30 * kMinute, 10 * kMinute, true}};
  for (KeyScope scope : {KeyScope::kPayer, KeyScope::kPayee}) {
    for (FeatureKind kind : kinds) {
      for (const W& w : windows) {
        out.push_back({std::string(scope == KeyScope::kPayer ? "payer." : "payee.") + feature_kind_name(kind), kind,
                       scope, w.window, w.delay, w.current, {}});
      }
    }
  }
  return out;
}

// The features of the documented semantics by scanning: the key's history is every earlier
// inserted transaction of that key with time >= watermark - retention.
class BruteForce {
 public:
  explicit BruteForce(std::vector<FeatureSpec> specs) : specs_(std::move(specs)) {
    for (const FeatureSpec& s : specs_) {
      int64_t& r = s.scope == KeyScope::kPayer ? payer_retention_ : payee_retention_;
      r = std::max(r, s.window_us + s.delay_us);
    }
  }

  void process(const Transaction& tx, const Enrichment& e, int64_t wm, double* out) {
    const int64_t t = tx.event_time_us;
    for (std::size_t i = 0; i < specs_.size(); ++i) {
      const FeatureSpec& s = specs_[i];
      const bool payer = s.scope == KeyScope::kPayer;
      const int64_t retention = payer ? payer_retention_ : payee_retention_;
      const uint64_t key = payer ? e.payer_id : e.payee_id;
      const uint64_t other = payer ? e.payee_id : e.payer_id;
      const int64_t end = t - s.delay_us, start = end - (s.window_us > 0 ? s.window_us : retention);
      std::vector<const Stored*> w;  // the window, in time order
      for (const Stored& x : history_) {
        if (x.payer == payer && x.key == key && x.time >= wm - retention && x.time > start && x.time <= end) {
          w.push_back(&x);
        }
      }
      std::stable_sort(w.begin(), w.end(), [](const Stored* a, const Stored* b) { return a->time < b->time; });
      const bool current = s.include_current && s.delay_us == 0;
      double v = std::numeric_limits<double>::quiet_NaN();
      switch (s.kind) {
        case FeatureKind::kCount:
          v = static_cast<double>(w.size() + (current ? 1 : 0));
          break;
        case FeatureKind::kSum:
        case FeatureKind::kMean: {
          int64_t sum = current ? tx.amount_cents : 0;
          for (const Stored* x : w) sum += x->amount;
          const std::size_t n = w.size() + (current ? 1 : 0);
          if (s.kind == FeatureKind::kSum) v = static_cast<double>(sum) / 100.0;
          else if (n > 0) v = static_cast<double>(sum) / static_cast<double>(n) / 100.0;
          break;
        }
        case FeatureKind::kMax:
        case FeatureKind::kMin: {
          std::vector<int64_t> a;
          for (const Stored* x : w) a.push_back(x->amount);
          if (current) a.push_back(tx.amount_cents);
          if (!a.empty()) {
            v = static_cast<double>(s.kind == FeatureKind::kMax ? *std::max_element(a.begin(), a.end())
                                                                : *std::min_element(a.begin(), a.end())) / 100.0;
          }
          break;
        }
        case FeatureKind::kDistinctCounterparties: {
          std::set<uint64_t> d;
          for (const Stored* x : w) d.insert(x->other);
          if (current) d.insert(other);
          v = static_cast<double>(d.size());
          break;
        }
        case FeatureKind::kFraudCount:
        case FeatureKind::kFraudRate: {
          std::size_t f = 0;
          for (const Stored* x : w) f += x->known <= t ? 1 : 0;
          if (s.kind == FeatureKind::kFraudCount) v = static_cast<double>(f);
          else if (!w.empty()) v = static_cast<double>(f) / static_cast<double>(w.size());
          break;
        }
        case FeatureKind::kSecondsSincePrevious:
          if (!w.empty()) v = static_cast<double>(t - w.back()->time) / 1e6;
          break;
        case FeatureKind::kAmountToMean: {
          if (w.empty()) break;
          int64_t sum = 0;
          for (const Stored* x : w) sum += x->amount;
          const double mean = static_cast<double>(sum) / static_cast<double>(w.size());
          if (mean > 0) v = static_cast<double>(tx.amount_cents) / mean;
          break;
        }
        case FeatureKind::kAmountRobustZ: {
          if (w.size() < 3) break;
          // Sorted copies, the textbook way.
          const auto median = [](std::vector<double> x) {
            std::sort(x.begin(), x.end());
            const std::size_t n = x.size();
            return n % 2 == 1 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
          };
          std::vector<double> amounts;
          for (const Stored* x : w) amounts.push_back(static_cast<double>(x->amount));
          const double med = median(amounts);
          for (double& a : amounts) a = std::fabs(a - med);
          const double mad = median(amounts);
          if (mad > 0) v = (static_cast<double>(tx.amount_cents) - med) / (1.4826 * mad);
          break;
        }
        case FeatureKind::kFirstTimeCounterparty:
          v = std::any_of(w.begin(), w.end(), [&](const Stored* x) { return x->other == other; }) ? 0.0 : 1.0;
          break;
        case FeatureKind::kNewDevice:
          if (e.device_id != 0) {
            v = std::any_of(w.begin(), w.end(), [&](const Stored* x) { return x->device == e.device_id; }) ? 0.0 : 1.0;
          }
          break;
        default:
          break;
      }
      out[i] = v;
    }
    for (bool payer : {true, false}) {
      if (t >= wm - (payer ? payer_retention_ : payee_retention_)) {
        history_.push_back({payer, payer ? e.payer_id : e.payee_id, payer ? e.payee_id : e.payer_id, e.device_id, t,
                            tx.amount_cents, e.fraud_known_us});
      }
    }
  }

 private:
  struct Stored {
    bool payer;
    uint64_t key, other, device;
    int64_t time, amount, known;
  };
  std::vector<FeatureSpec> specs_;
  int64_t payer_retention_ = 0, payee_retention_ = 0;
  std::vector<Stored> history_;
};

// A skewed stream: a few payees take most transfers, bursts of equal times, late arrivals
// (some far behind), repeated counterparties and devices, and fraud known before or after.
// With few `payers`, payer histories outgrow KeyHistory::kIndexFrom too (and shrink back
// as they expire); with many, most stay small and are scanned.
std::vector<Event> skewed_stream(std::size_t n, uint32_t seed, uint64_t payers = 60) {
  std::mt19937_64 rng(seed);
  std::vector<Event> out(n);
  int64_t t = 1'700'000'000'000'000;
  for (Event& ev : out) {
    const uint64_t r = rng() % 100;
    t += r < 20 ? 0 : static_cast<int64_t>(rng() % 30'000'000);  // a fifth share a time
    int64_t time = t;
    if (rng() % 10 == 0) time -= static_cast<int64_t>(rng() % (20 * kMinute));  // late
    if (rng() % 200 == 0) time -= static_cast<int64_t>(rng() % (90 * kMinute));  // very late
    ev.tx.event_time_us = time;
    ev.tx.amount_cents = static_cast<int64_t>(rng() % (rng() % 7 == 0 ? 5'000'000 : 10'000)) + 1;
    ev.e.payer_id = rng() % 4 == 0 ? rng() % 3 + 1 : rng() % payers + 1;
    ev.e.payee_id = rng() % 3 != 0 ? rng() % 4 + 1 : rng() % 200 + 1;  // hot payees
    ev.e.device_id = rng() % 5 == 0 ? 0 : rng() % 6 + 1;
    if (rng() % 8 == 0) ev.e.fraud_known_us = time + static_cast<int64_t>(rng() % (40 * kMinute)) - 10 * kMinute;
  }
  return out;
}

TEST(FeatureEngineExactness, EqualsABruteForceScanOnSkewedLateStreams) {
  for (uint32_t seed : {1u, 2u, 3u, 4u}) {
    const std::vector<Event> events = skewed_stream(4'000, seed, seed == 4 ? 5 : 60);
    FeatureEngine engine(all_kinds(), {});
    BruteForce reference(all_kinds());
    std::vector<double> got(engine.size()), want(engine.size());
    int64_t max_time = std::numeric_limits<int64_t>::min();
    for (std::size_t i = 0; i < events.size(); ++i) {
      max_time = std::max(max_time, events[i].tx.event_time_us);
      const int64_t wm = max_time - 5 * kMinute;
      engine.process(events[i].tx, events[i].e, wm, got.data());
      reference.process(events[i].tx, events[i].e, wm, want.data());
      for (std::size_t f = 0; f < got.size(); ++f) {
        if (std::isnan(want[f])) {
          ASSERT_TRUE(std::isnan(got[f])) << "seed " << seed << " event " << i << " " << engine.specs()[f].name;
        } else {
          ASSERT_DOUBLE_EQ(got[f], want[f]) << "seed " << seed << " event " << i << " " << engine.specs()[f].name
                                            << " window " << engine.specs()[f].window_us << " delay "
                                            << engine.specs()[f].delay_us;
        }
      }
      if (i % 500 == 499) engine.expire(wm);  // epoch ends
    }
  }
}

TEST(FeatureEngineSnapshot, RestoredEngineContinuesExactlyLikeTheOriginal) {
  const std::vector<Event> events = skewed_stream(6'000, 7);
  FeatureEngine uninterrupted(all_kinds(), {});
  const std::vector<double> expected = run(uninterrupted, events, 0, events.size());

  FeatureEngine first(all_kinds(), {});
  std::vector<double> got = run(first, events, 0, 2'345);
  std::string snapshot;
  ByteWriter w(&snapshot);
  first.save(&w);

  FeatureEngine restored(all_kinds(), {});
  ByteReader r(snapshot);
  ASSERT_TRUE(restored.load(&r));
  EXPECT_TRUE(r.at_end());
  EXPECT_EQ(restored.stats().events, first.stats().events);
  const std::vector<double> rest = run(restored, events, 2'345, events.size());
  got.insert(got.end(), rest.begin(), rest.end());
  EXPECT_EQ(got, expected);
}

TEST(FeatureEngineSnapshot, AReplayWithoutFeatureValuesLeavesTheSameState) {
  // What incremental checkpoints rely on: process(..., nullptr) changes state as process does.
  const std::vector<Event> events = skewed_stream(6'000, 9, 5);
  FeatureEngine computed(all_kinds(), {});
  const std::vector<double> expected = run(computed, events, 0, events.size());
  FeatureEngine replayed(all_kinds(), {});
  int64_t max_time = 0;
  for (std::size_t i = 0; i < 3'000; ++i) {
    max_time = std::max(max_time, events[i].tx.event_time_us);
    replayed.process(events[i].tx, events[i].e, max_time - 10 * kMinute, nullptr);
  }
  const std::vector<double> rest = run(replayed, events, 3'000, events.size());
  EXPECT_EQ(std::vector<double>(expected.end() - static_cast<std::ptrdiff_t>(rest.size()), expected.end()), rest);
}

TEST(FeatureEngineSnapshot, MalformedSnapshotIsRefusedAndLeavesNoState) {
  const std::vector<Event> events = stream(2'000, 50, 3);
  FeatureEngine engine(specs(), {});
  run(engine, events, 0, events.size());
  std::string snapshot;
  ByteWriter w(&snapshot);
  engine.save(&w);

  for (std::size_t cut : {std::size_t{3}, snapshot.size() / 2, snapshot.size() - 1}) {
    FeatureEngine restored(specs(), {});
    ByteReader r(std::string_view(snapshot).substr(0, cut));
    EXPECT_FALSE(restored.load(&r)) << "cut at " << cut;
    EXPECT_EQ(restored.stats().payer_keys, 0u);
  }
}

TEST(FeatureEngineMemoryBound, KeysStayWithinTheLimitAndEvictionsAreCounted) {
  StateLimits limits;
  limits.max_keys = 1'000;
  FeatureEngine engine(specs(), {}, limits);
  const std::vector<Event> events = stream(50'000, 40'000, 11);  // far more payers than the limit
  run(engine, events, 0, events.size());
  const FeatureStateStats s = engine.stats();
  EXPECT_LE(s.payer_keys, limits.max_keys);
  EXPECT_GT(s.evicted_keys, 30'000u);
  EXPECT_LE(s.payee_keys, 500u);  // payees stay under the limit: none evicted
}

TEST(FeatureEngineMemoryBound, EvictsTheKeysIdleLongest) {
  StateLimits limits;
  limits.max_keys = 8;
  FeatureEngine engine({{"payer.count_1h", FeatureKind::kCount, KeyScope::kPayer, 60 * kMinute, 0, true, {}}}, {},
                       limits);
  double out = 0;
  Transaction tx;
  Enrichment e;
  for (uint64_t key = 1; key <= 8; ++key) {  // key k last seen at minute k
    tx.event_time_us = static_cast<int64_t>(key) * kMinute;
    e.payer_id = key;
    engine.process(tx, e, 0, &out);
  }
  tx.event_time_us = 9 * kMinute;
  e.payer_id = 3;  // key 3 becomes the most recent
  engine.process(tx, e, 0, &out);
  EXPECT_EQ(out, 2.0);
  e.payer_id = 100;  // a new key at the limit evicts one eighth: key 1, idle longest
  engine.process(tx, e, 0, &out);
  EXPECT_EQ(engine.stats().evicted_keys, 1u);
  e.payer_id = 2;
  engine.process(tx, e, 0, &out);
  EXPECT_EQ(out, 2.0) << "key 2 should have kept its history";
  e.payer_id = 1;
  engine.process(tx, e, 0, &out);
  EXPECT_EQ(out, 1.0) << "key 1 should have been evicted";
}

TEST(FeatureEngineMemoryBound, EventsPerKeyAreCapped) {
  StateLimits limits;
  limits.max_events_per_key = 100;
  FeatureEngine engine({{"payer.count_1h", FeatureKind::kCount, KeyScope::kPayer, 60 * kMinute, 0, true, {}}}, {},
                       limits);
  double out = 0;
  Transaction tx;
  Enrichment e;
  e.payer_id = 1;
  for (int i = 0; i < 1000; ++i) {
    tx.event_time_us = kMinute + i;  // all inside one hour
    engine.process(tx, e, 0, &out);
  }
  EXPECT_EQ(out, 101.0);  // the 100 kept in history, and the current one
  EXPECT_EQ(engine.stats().events, 100u);
  EXPECT_EQ(engine.stats().dropped_events, 900u);
}

TEST(FeatureEngineMemoryBound, EventsOfOneTimeAreDroppedTogether) {
  StateLimits limits;
  limits.max_events_per_key = 2;
  FeatureEngine engine({{"payer.count_1h", FeatureKind::kCount, KeyScope::kPayer, 60 * kMinute, 0, true, {}}}, {},
                       limits);
  double out = 0;
  Transaction tx;
  Enrichment e;
  e.payer_id = 1;
  for (const int64_t minute : {1, 2, 2, 2}) {
    tx.event_time_us = minute * kMinute;
    engine.process(tx, e, 0, &out);
  }
  // The minute-1 event went; of the three at minute 2 none can go without the others.
  EXPECT_EQ(engine.stats().dropped_events, 1u);
  EXPECT_EQ(engine.stats().events, 3u);
  tx.event_time_us = 3 * kMinute;
  engine.process(tx, e, 0, &out);
  EXPECT_EQ(out, 4.0);  // the three of minute 2 and the current one
  EXPECT_EQ(engine.stats().events, 4u);  // minute 2 is the oldest time: kept whole for now
  tx.event_time_us = 4 * kMinute;
  engine.process(tx, e, 0, &out);
  EXPECT_EQ(out, 5.0);
  EXPECT_EQ(engine.stats().events, 2u);  // then it went whole
  EXPECT_EQ(engine.stats().dropped_events, 4u);
}

}  // namespace
}  // namespace pixguard

namespace pixguard {
namespace {

// A categorical field encoded as its index in `categories`, categories.size() when unknown,
// missing (or `fill`) when absent.
TEST(FeatureEngineContext, CategoryEncodesAnyCategoricalField) {
  FeatureSpec ispb;
  ispb.name = "payee.ispb_code";
  ispb.kind = FeatureKind::kCategory;
  ispb.field = Field::kPayeeIspb;
  ispb.categories = {"00000000", "60746948"};
  FeatureSpec initiation = ispb;
  initiation.name = "initiation_code";
  initiation.field = Field::kInitiation;
  initiation.categories = {"MANU", "DICT", "QRDN"};
  initiation.fill = -1;
  const FeatureEngine engine({ispb, initiation}, ContextOptions{});
  Transaction tx;
  Enrichment e;
  double row[2];
  tx.payee.ispb = "60746948";
  tx.initiation = Initiation::kQrdn;
  engine.process_context(tx, e, row);
  EXPECT_EQ(row[0], 1.0);
  EXPECT_EQ(row[1], 2.0);
  tx.payee.ispb = "99999999";
  tx.initiation = Initiation::kNone;
  engine.process_context(tx, e, row);
  EXPECT_EQ(row[0], 2.0) << "unknown: categories.size()";
  EXPECT_EQ(row[1], -1.0) << "absent: the fill";
}

}  // namespace
}  // namespace pixguard
