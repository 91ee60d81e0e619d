// state_bench: the part state at scale, measured, not estimated:
//   - memory: resident set size per key and per event held (the process's RSS, before and
//     after building the state);
//   - incremental checkpoints, epochs touching `--touch` of the keys each: the pipeline's
//     pause per epoch (expiry, the last of the epoch's changes written and the changes file
//     made durable, the checkpoint written; earlier chunks go while the epoch runs),
//     bytes written per epoch, and the background compaction;
//   - restore: a base and the changes after it, against a full checkpoint of the same state
//     (what checkpoints were before: snapshot everything, write, read back, rebuild),
//     measured in the same run.
//
//   state_bench [--config PATH] [--keys N] [--events-per-key N] [--epochs N] [--touch FRACTION] [--dir DIR]
//
// Keys: N payers and N payees (the shipped config's features), each payer paying
// `events-per-key` times. Prints figures; asserts nothing.
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "config/config.h"
#include "runtime/changes_writer.h"
#include "runtime/checkpoint_store.h"
#include "runtime/part_state.h"
#include "runtime/state_compactor.h"

namespace pixguard {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::size_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1))];
}

constexpr int64_t kStart = 1'763'953'200'000'000;
constexpr int64_t kMinute = 60'000'000;

// A transfer by payer k to its payee at time t.
StateChange transfer(uint64_t k, std::size_t keys, int64_t t) {
  StateChange c;
  c.event_time_us = t;
  c.id = Deduplicator::fingerprint("E" + std::to_string(k) + "-" + std::to_string(t));
  c.amount_cents = static_cast<int64_t>(1000 + k % 50'000);
  c.payer_id = k + 1;
  c.payee_id = (k * 7919) % keys + 1;
  c.device_id = k % 3;
  c.fraud_known_us = std::numeric_limits<int64_t>::max();
  return c;
}

int run(int argc, char** argv) {
  std::string config_path = "config/streaming_config.yaml";
  std::size_t keys = 1'000'000, events_per_key = 4, epochs = 30;
  double touch = 0.01;
  std::string dir = "/tmp/pixguard-state-bench";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--config") config_path = argv[i + 1];
    else if (flag == "--keys") keys = std::stoul(argv[i + 1]);
    else if (flag == "--events-per-key") events_per_key = std::stoul(argv[i + 1]);
    else if (flag == "--epochs") epochs = std::stoul(argv[i + 1]);
    else if (flag == "--touch") touch = std::stod(argv[i + 1]);
    else if (flag == "--dir") dir = argv[i + 1];
    else {
      std::fprintf(stderr, "unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  Config config;
  if (Status s = load_config(config_path, &config); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.message().c_str());
    return 2;
  }
  config.state_limits.max_keys = std::max(config.state_limits.max_keys, keys + 1);
  config.dedupe.max_entries = std::max(config.dedupe.max_entries, keys * (events_per_key + 1));

  // Memory: one event per key, then the rest; the slope is the cost of an event held.
  const std::size_t rss_empty = rss_bytes();
  PartStates parts(config);
  auto t = Clock::now();
  int64_t now = kStart;
  std::size_t rss_one = 0;
  for (std::size_t round = 0; round < events_per_key; ++round) {
    for (std::size_t k = 0; k < keys; ++k) parts.apply(transfer(k, keys, now + static_cast<int64_t>(k)));
    now += kMinute;
    if (round == 0) rss_one = rss_bytes();
  }
  const std::size_t rss_full = rss_bytes();
  const PartState& p = parts.get(0);
  const FeatureStateStats st = p.features.stats();
  const double key_count = static_cast<double>(st.payer_keys + st.payee_keys);
  const double per_event = events_per_key > 1 ? static_cast<double>(rss_full - rss_one) /
                                                    static_cast<double>(2 * keys * (events_per_key - 1))
                                              : 0.0;
  std::printf("state: %zu payer keys, %zu payee keys, %zu events, %zu dedupe ids (built in %.1f s)\n", st.payer_keys,
              st.payee_keys, st.events, p.dedupe.size(), since(t));
  std::printf("memory: RSS %.1f MiB for the state; %.0f B per key with one event each, then %.0f B per further event "
              "(feature histories and dedupe ids together)\n",
              static_cast<double>(rss_full - rss_empty) / 1048576.0,
              static_cast<double>(rss_one - rss_empty) / key_count, per_event);

  std::filesystem::remove_all(dir);
  CheckpointStore store(dir, 2);
  if (Status s = store.open(); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.message().c_str());
    return 1;
  }

  // The full checkpoint of this state (the baseline): snapshot, then the durable write.
  t = Clock::now();
  Checkpoint full;
  full.epoch = 1;
  ByteWriter w(&full.state);
  parts.save(&w);
  const double full_snapshot_s = since(t);
  CheckpointWriteStats full_write;
  if (Status s = store.write(full, &full_write); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.message().c_str());
    return 1;
  }
  const double full_pause_s = full_snapshot_s + full_write.seconds;
  const CheckpointWriteStats first_full_write = full_write;
  // It is also the first base: the incremental epochs build on it.
  uint64_t base_bytes = 0;
  if (Status s = store.write_base(1, full.state, &base_bytes); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.message().c_str());
    return 1;
  }
  full.state.clear();
  full.state.shrink_to_fit();

  // Incremental epochs: each touches `touch` of the payers (and so as many payees).
  std::mt19937_64 rng(7);
  const auto touched = static_cast<std::size_t>(static_cast<double>(keys) * touch);
  std::vector<StateChange> changes;
  std::vector<double> pauses;
  std::vector<uint64_t> bytes;
  uint64_t base_epoch = 1, previous_base = 1, changes_since_base = 0, done_changes = 0;
  StateCompactor compactor(config, &store);
  ChangesWriter writer(&store);
  CompactionResult last_compaction;
  std::size_t compactions = 0;
  for (uint64_t epoch = 2; epoch <= epochs + 1; ++epoch) {
    // As the runner does: the changes go to the writer in chunks while the epoch runs.
    changes.clear();
    for (std::size_t i = 0; i < touched; ++i) {
      changes.push_back(transfer(rng() % keys, keys, now + static_cast<int64_t>(i)));
      parts.apply(changes.back());
      if (changes.size() == ChangesWriter::kChunk) writer.append(epoch, &changes);
    }
    now += kMinute;
    // The pause: what Runner::end_epoch does for the state on the pipeline's thread.
    t = Clock::now();
    parts.expire();
    uint64_t written = 0;
    if (Status s = writer.finish(epoch, &changes, &written); !s.ok()) {
      std::fprintf(stderr, "%s\n", s.message().c_str());
      return 1;
    }
    Checkpoint c;
    c.epoch = epoch;
    IncrementalState inc;
    inc.base_epoch = base_epoch;
    c.state = inc.encode();
    CheckpointWriteStats ws;
    if (Status s = store.write(c, &ws); !s.ok()) {
      std::fprintf(stderr, "%s\n", s.message().c_str());
      return 1;
    }
    changes_since_base += touched;
    CompactionResult r;
    if (compactor.poll(&r)) {
      last_compaction = r;
      ++compactions;
      base_epoch = r.base_epoch;
      base_bytes = r.bytes;
      changes_since_base -= done_changes;
    }
    // The two checkpoints kept read the bases named when they were written.
    store.remove_state_before(std::min(previous_base, inc.base_epoch));
    previous_base = inc.base_epoch;
    if (!compactor.busy() && changes_since_base >= std::max<uint64_t>(config.checkpoint.compact_after, base_bytes / sizeof(StateChange))) {
      done_changes = changes_since_base;
      compactor.start(base_epoch, epoch);
    }
    pauses.push_back(since(t));
    bytes.push_back(written + ws.bytes);
  }
  compactor.wait();
  const uint64_t last_epoch = epochs + 1;

  // The full checkpoint of the final state, for the baseline restore; then the live state
  // goes, so that the restores below have the memory it held.
  full.state.clear();
  ByteWriter w2(&full.state);
  parts.save(&w2);
  full.epoch = last_epoch + 1;
  if (Status s = store.write(full, &full_write); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.message().c_str());
    return 1;
  }
  full.state.clear();
  full.state.shrink_to_fit();
  const FeatureStateStats live = parts.get(0).features.stats();
  parts.clear();

  // Restore: the base and the changes after it, epoch by epoch.
  ::malloc_trim(0);
  t = Clock::now();
  PartStates restored(config);
  std::string base;
  if (Status s = store.read_base(base_epoch, &base); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.message().c_str());
    return 1;
  }
  ByteReader in(base);
  if (!restored.load(&in)) {
    std::fprintf(stderr, "base %llu does not load\n", static_cast<unsigned long long>(base_epoch));
    return 1;
  }
  std::size_t replayed = 0;
  for (uint64_t e = base_epoch + 1; e <= last_epoch; ++e) {
    if (Status s = store.read_changes(e, &changes); !s.ok()) {
      std::fprintf(stderr, "%s\n", s.message().c_str());
      return 1;
    }
    for (const StateChange& c : changes) restored.apply(c);
    restored.expire();
    replayed += changes.size();
  }
  const double restore_s = since(t);
  const FeatureStateStats rs = restored.get(0).features.stats();
  const bool same = rs.events == live.events && rs.payer_keys == live.payer_keys && rs.payee_keys == live.payee_keys;
  restored.clear();
  ::malloc_trim(0);  // both restores start from memory given back to the system

  // The baseline restore: the full checkpoint of the same state, read and rebuilt.
  ::malloc_trim(0);
  t = Clock::now();
  Checkpoint loaded;
  bool found = false;
  PartStates rebuilt(config);
  if (Status s = store.load_latest(&loaded, &found); !s.ok() || !found) {
    std::fprintf(stderr, "full checkpoint does not load\n");
    return 1;
  }
  ByteReader in2(loaded.state);
  const bool full_ok = rebuilt.load(&in2);
  const double full_restore_s = since(t);

  uint64_t total_bytes = 0;
  for (const uint64_t b : bytes) total_bytes += b;
  std::printf("full checkpoint (baseline):  pause %.3f s (snapshot %.3f s + write %.3f s), %.1f MiB\n", full_pause_s,
              full_snapshot_s, first_full_write.seconds, static_cast<double>(first_full_write.bytes) / 1048576.0);
  std::printf("incremental, %llu epochs touching %zu payers each: pause p50 %.2f ms, p99 %.2f ms, max %.2f ms; "
              "%.2f MiB written per epoch (%.4fx the full checkpoint)\n",
              static_cast<unsigned long long>(epochs), touched, percentile(pauses, 0.5) * 1e3,
              percentile(pauses, 0.99) * 1e3, percentile(pauses, 1.0) * 1e3,
              static_cast<double>(total_bytes) / static_cast<double>(epochs) / 1048576.0,
              static_cast<double>(total_bytes) / static_cast<double>(epochs) / static_cast<double>(full_write.bytes));
  std::printf("compactions on the compactor's thread: %zu, the last %.2f s for a %.1f MiB base\n", compactions,
              last_compaction.seconds, static_cast<double>(last_compaction.bytes) / 1048576.0);
  std::printf("restore: base of epoch %llu + %zu changes in %.2f s%s; full checkpoint (baseline) %.2f s%s (%.2fx)\n",
              static_cast<unsigned long long>(base_epoch), replayed, restore_s, same ? "" : " (STATE DIFFERS)",
              full_restore_s, full_ok ? "" : " (FAILED)", restore_s / full_restore_s);
  std::filesystem::remove_all(dir);
  return same && full_ok ? 0 : 1;
}

}  // namespace
}  // namespace pixguard

int main(int argc, char** argv) { return pixguard::run(argc, argv); }
