#include "dedupe/deduplicator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>

namespace pixguard {
namespace {

constexpr int64_t kHour = 3600LL * 1'000'000;

// A Pix-shaped end-to-end id whose last 11 characters encode `n`.
std::string id(uint64_t n) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "E65410049202611201454%011llu", static_cast<unsigned long long>(n));
  return buf;
}

TEST(Deduplicator, SecondSightingIsADuplicate) {
  Deduplicator d(DedupeOptions{});
  EXPECT_FALSE(d.seen_before("E65410049202611201454XBtDTgfFgZ2", 0));
  EXPECT_TRUE(d.seen_before("E65410049202611201454XBtDTgfFgZ2", 0));
  EXPECT_TRUE(d.seen_before("E65410049202611201454XBtDTgfFgZ2", 5 * kHour));  // any event time
  EXPECT_FALSE(d.seen_before("E65410049202611201454XBtDTgfFgZ3", 0));
  EXPECT_EQ(d.size(), 2u);
  EXPECT_EQ(d.evictions(), 0u);
}

TEST(Deduplicator, IdsDifferingInOneCharacterAreDistinct) {
  Deduplicator d(DedupeOptions{});
  const std::string base = "E65410049202611201454XBtDTgfFgZ2";
  EXPECT_FALSE(d.seen_before(base, 0));
  for (std::size_t i = 0; i < base.size(); ++i) {
    std::string other = base;
    other[i] = other[i] == 'a' ? 'b' : 'a';
    EXPECT_FALSE(d.seen_before(other, 0)) << other;
  }
  EXPECT_FALSE(d.seen_before(base.substr(0, 31), 0));  // a prefix is another id
  EXPECT_FALSE(d.seen_before("", 0));
  EXPECT_TRUE(d.seen_before("", 0));
  EXPECT_EQ(d.size(), base.size() + 3);
}

TEST(Deduplicator, ExpiresBehindTheHorizon) {
  Deduplicator d(DedupeOptions{.horizon_us = kHour, .max_entries = 100});
  const int64_t t0 = 1'795'186'473'000'000;
  EXPECT_FALSE(d.seen_before("a", t0));
  EXPECT_FALSE(d.seen_before("b", t0 + 10));
  d.expire(t0 + kHour);  // cutoff t0: "a" is exactly at the horizon and stays
  EXPECT_EQ(d.size(), 2u);
  EXPECT_TRUE(d.seen_before("a", t0));
  d.expire(t0 + kHour + 1);  // "a" is now older than the horizon
  EXPECT_EQ(d.size(), 1u);
  EXPECT_TRUE(d.seen_before("b", t0 + 10));
  EXPECT_FALSE(d.seen_before("a", t0 + 2 * kHour));  // forgotten: accepted again
  d.expire(t0 + kHour + 11);
  EXPECT_EQ(d.size(), 1u);  // "b" gone, the re-sent "a" stays
  EXPECT_FALSE(d.seen_before("b", t0 + 2 * kHour));
  EXPECT_TRUE(d.seen_before("a", t0 + 2 * kHour));
  EXPECT_EQ(d.evictions(), 0u);  // expiry is not eviction
}

TEST(Deduplicator, ExpireOnEmptyAndWatermarkGoingBack) {
  Deduplicator d(DedupeOptions{.horizon_us = kHour, .max_entries = 100});
  d.expire(0);
  d.expire(100 * kHour);
  EXPECT_EQ(d.size(), 0u);
  EXPECT_FALSE(d.seen_before("a", 10 * kHour));
  d.expire(5 * kHour);  // an earlier watermark expires nothing new
  EXPECT_TRUE(d.seen_before("a", 10 * kHour));
  d.expire(11 * kHour + 1);
  EXPECT_EQ(d.size(), 0u);
}

TEST(Deduplicator, MaxEntriesEvictsTheOldestAndCounts) {
  Deduplicator d(DedupeOptions{.horizon_us = 1000 * kHour, .max_entries = 3});
  EXPECT_FALSE(d.seen_before("a", 1));
  EXPECT_FALSE(d.seen_before("b", 2));
  EXPECT_FALSE(d.seen_before("c", 3));
  EXPECT_EQ(d.evictions(), 0u);
  EXPECT_FALSE(d.seen_before("d", 4));  // evicts "a"
  EXPECT_EQ(d.size(), 3u);
  EXPECT_EQ(d.evictions(), 1u);
  // Duplicates neither insert nor evict.
  EXPECT_TRUE(d.seen_before("d", 4));
  EXPECT_TRUE(d.seen_before("c", 3));
  EXPECT_TRUE(d.seen_before("b", 2));
  EXPECT_EQ(d.evictions(), 1u);
  // "a" was evicted: a re-send is no longer caught (and evicts "b", the oldest now).
  EXPECT_FALSE(d.seen_before("a", 1));
  EXPECT_EQ(d.evictions(), 2u);
  EXPECT_EQ(d.size(), 3u);
  EXPECT_TRUE(d.seen_before("c", 3));
  EXPECT_TRUE(d.seen_before("d", 4));
  EXPECT_TRUE(d.seen_before("a", 1));
  EXPECT_FALSE(d.seen_before("b", 2));  // evicts "c"
  EXPECT_EQ(d.evictions(), 3u);
}

TEST(Deduplicator, EvictionAcrossRingGrowth) {
  Deduplicator d(DedupeOptions{.horizon_us = 1000 * kHour, .max_entries = 2000});
  for (uint64_t i = 0; i < 5000; ++i) ASSERT_FALSE(d.seen_before(id(i), static_cast<int64_t>(i)));
  EXPECT_EQ(d.size(), 2000u);
  EXPECT_EQ(d.evictions(), 3000u);
  for (uint64_t i = 3000; i < 5000; ++i) EXPECT_TRUE(d.seen_before(id(i), static_cast<int64_t>(i))) << i;
  EXPECT_FALSE(d.seen_before(id(2999), 2999));  // the newest evicted
  EXPECT_EQ(d.evictions(), 3001u);
}

TEST(Deduplicator, RingGrowthPreservesArrivalOrder) {
  Deduplicator d(DedupeOptions{.horizon_us = 10, .max_entries = 1'000'000});
  // 5000 ids, event time = arrival index: the ring grows 1024 -> 2048 -> 4096 -> 8192.
  for (uint64_t i = 0; i < 5000; ++i) ASSERT_FALSE(d.seen_before(id(i), static_cast<int64_t>(i)));
  EXPECT_EQ(d.size(), 5000u);
  d.expire(2500 + 10);  // cutoff 2500: ids 0..2499 go
  EXPECT_EQ(d.size(), 2500u);
  for (uint64_t i = 2500; i < 5000; ++i) ASSERT_TRUE(d.seen_before(id(i), static_cast<int64_t>(i))) << i;
  for (uint64_t i = 0; i < 2500; i += 97) EXPECT_FALSE(d.seen_before(id(i), 6000)) << i;  // forgotten
}

TEST(Deduplicator, RingGrowthWhileWrappedPreservesOrder) {
  Deduplicator d(DedupeOptions{.horizon_us = 0, .max_entries = 1'000'000});
  uint64_t next = 0;
  uint64_t oldest_kept = 0;
  // Fill, expire part, fill again: the ring wraps before each growth, so growing must unroll
  // it with the oldest first, or expiry would remove the wrong ids.
  for (int round = 0; round < 6; ++round) {
    for (int k = 0; k < 900; ++k, ++next) ASSERT_FALSE(d.seen_before(id(next), static_cast<int64_t>(next)));
    oldest_kept += 500;
    d.expire(static_cast<int64_t>(oldest_kept));  // keeps event times >= oldest_kept
    ASSERT_EQ(d.size(), next - oldest_kept) << "round " << round;
    for (uint64_t i = oldest_kept; i < next; ++i) ASSERT_TRUE(d.seen_before(id(i), static_cast<int64_t>(i))) << i;
  }
  // Drain in steps: at each step exactly the ids below the cutoff are gone.
  while (oldest_kept < next) {
    oldest_kept = std::min(next, oldest_kept + 333);
    d.expire(static_cast<int64_t>(oldest_kept));
    ASSERT_EQ(d.size(), next - oldest_kept);
    if (oldest_kept < next) {
      ASSERT_TRUE(d.seen_before(id(oldest_kept), static_cast<int64_t>(oldest_kept)));
    }
  }
  EXPECT_EQ(d.size(), 0u);
}

TEST(Deduplicator, NoFalseDuplicatesOverAMillionIds) {
  Deduplicator d(DedupeOptions{});
  constexpr uint64_t kIds = 1'000'000;
  uint64_t false_duplicates = 0;
  for (uint64_t i = 0; i < kIds; ++i) false_duplicates += d.seen_before(id(i), static_cast<int64_t>(i)) ? 1 : 0;
  EXPECT_EQ(false_duplicates, 0u);
  EXPECT_EQ(d.size(), kIds);
  uint64_t missed = 0;
  for (uint64_t i = 0; i < kIds; ++i) missed += d.seen_before(id(i), static_cast<int64_t>(i)) ? 0 : 1;
  EXPECT_EQ(missed, 0u);
  EXPECT_EQ(d.evictions(), 0u);
}

}  // namespace
}  // namespace pixguard

namespace pixguard {
namespace {

TEST(DeduplicatorSnapshot, RestoredDeduplicatorRemembersTheSameIdsInTheSameOrder) {
  DedupeOptions options;
  options.max_entries = 3000;
  Deduplicator original(options);
  for (int i = 0; i < 5000; ++i) original.seen_before("E" + std::to_string(i), i);
  std::string snapshot;
  ByteWriter w(&snapshot);
  original.save(&w);

  Deduplicator restored(options);
  ByteReader r(snapshot);
  ASSERT_TRUE(restored.load(&r));
  EXPECT_TRUE(r.at_end());
  EXPECT_EQ(restored.size(), 3000u);
  EXPECT_EQ(restored.evictions(), 2000u);
  EXPECT_TRUE(restored.seen_before("E4999", 0));
  EXPECT_TRUE(restored.seen_before("E2000", 0));
  // E1999 was evicted before the snapshot; remembering it again evicts the oldest id,
  // which is E2000 only if the arrival order survived.
  EXPECT_FALSE(restored.seen_before("E1999", 0));
  EXPECT_FALSE(restored.seen_before("E2000", 0));
  EXPECT_FALSE(restored.seen_before("E2001", 0));
  EXPECT_FALSE(restored.seen_before("E2002", 0));  // evicted when E2001 came back
  EXPECT_TRUE(restored.seen_before("E4998", 0));
}

TEST(DeduplicatorSnapshot, MalformedSnapshotIsRefused) {
  Deduplicator original({});
  for (int i = 0; i < 100; ++i) original.seen_before("E" + std::to_string(i), i);
  std::string snapshot;
  ByteWriter w(&snapshot);
  original.save(&w);
  Deduplicator restored({});
  ByteReader r(std::string_view(snapshot).substr(0, snapshot.size() - 5));
  EXPECT_FALSE(restored.load(&r));
  EXPECT_EQ(restored.size(), 0u);
}

}  // namespace
}  // namespace pixguard
