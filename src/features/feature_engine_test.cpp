// Feature state beyond the golden cases (tests/golden): snapshots for checkpoints and the
// memory bound.
#include "features/feature_engine.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
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
  int64_t max_time = 0;
  for (std::size_t i = from; i < to; ++i) {
    max_time = std::max(max_time, events[i].tx.event_time_us);
    engine.process(events[i].tx, events[i].e, max_time - 10 * kMinute, row.data());
    for (double v : row) values.push_back(std::isnan(v) ? -12345.0 : v);
  }
  return values;
}

TEST(FeatureEngineSnapshot, RestoredEngineContinuesExactlyLikeTheOriginal) {
  const std::vector<Event> events = stream(20'000, 300, 7);
  FeatureEngine uninterrupted(specs(), {});
  const std::vector<double> expected = run(uninterrupted, events, 0, events.size());

  FeatureEngine first(specs(), {});
  std::vector<double> got = run(first, events, 0, 12'345);
  std::string snapshot;
  ByteWriter w(&snapshot);
  first.save(&w);

  FeatureEngine restored(specs(), {});
  ByteReader r(snapshot);
  ASSERT_TRUE(restored.load(&r));
  EXPECT_TRUE(r.at_end());
  EXPECT_EQ(restored.stats().events, first.stats().events);
  const std::vector<double> rest = run(restored, events, 12'345, events.size());
  got.insert(got.end(), rest.begin(), rest.end());
  EXPECT_EQ(got, expected);
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

}  // namespace
}  // namespace pixguard
