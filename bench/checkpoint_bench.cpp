// checkpoint_bench: how long a checkpoint of a large state takes to write and to restore,
// next to the raw I/O of the same bytes measured in the same run (write + fsync of one
// file; reading it back), so the figures say what the format and the rebuild of the hash
// tables cost on top of the disk.
//
//   checkpoint_bench [--config PATH] [--keys N] [--events-per-key N] [--dir DIR]
//
// State: N payer keys and N payee keys with the shipped config's features (their histories
// built by FeatureEngine::process), and 2N dedupe ids. Prints figures; asserts nothing.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "config/config.h"
#include "core/byte_io.h"
#include "dedupe/deduplicator.h"
#include "features/feature_engine.h"
#include "runtime/checkpoint_store.h"

namespace pixguard {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

double raw_write_seconds(const std::string& path, const std::string& bytes) {
  const auto t = Clock::now();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::size_t done = 0;
  while (fd >= 0 && done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  return since(t);
}

// Drops the file from the page cache, so both reads below come from the disk alike.
void evict_from_cache(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return;
  ::fdatasync(fd);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
}

double raw_read_seconds(const std::string& path, std::size_t* bytes) {
  evict_from_cache(path);
  const auto t = Clock::now();
  const int fd = ::open(path.c_str(), O_RDONLY);
  std::string all(std::filesystem::file_size(path), '\0');
  std::size_t done = 0;
  while (fd >= 0 && done < all.size()) {
    const ssize_t n = ::read(fd, all.data() + done, all.size() - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  if (fd >= 0) ::close(fd);
  *bytes = done;
  return since(t);
}

int run(int argc, char** argv) {
  std::string config_path = "config/streaming_config.yaml";
  std::size_t keys = 1'000'000;
  std::size_t events_per_key = 4;
  std::string dir = "/tmp/pixguard-checkpoint-bench";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--config") config_path = argv[i + 1];
    else if (flag == "--keys") keys = std::stoul(argv[i + 1]);
    else if (flag == "--events-per-key") events_per_key = std::stoul(argv[i + 1]);
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

  // Build the state: every payer pays `events_per_key` times, a minute apart, to a payee.
  FeatureEngine engine(config.features, config.context);
  DedupeOptions dedupe_options;
  dedupe_options.horizon_us = int64_t{1} << 60;
  Deduplicator dedupe(dedupe_options);
  std::vector<double> row(engine.size());
  Transaction tx;
  Enrichment e;
  const int64_t start = 1'763'953'200'000'000;
  auto t = Clock::now();
  for (std::size_t round = 0; round < events_per_key; ++round) {
    for (std::size_t k = 0; k < keys; ++k) {
      tx.event_time_us = start + static_cast<int64_t>(round) * 60'000'000 + static_cast<int64_t>(k);
      tx.amount_cents = static_cast<int64_t>(1000 + k % 50'000);
      e.payer_id = k + 1;
      e.payee_id = (k * 7919) % keys + 1;
      e.device_id = k % 3;
      engine.process(tx, e, tx.event_time_us - 300'000'000, row.data());
    }
  }
  for (std::size_t i = 0; i < 2 * keys; ++i) dedupe.seen_before("E" + std::to_string(i), start);
  const FeatureStateStats st = engine.stats();
  std::printf("state: %zu payer keys, %zu payee keys, %zu events, %zu dedupe ids (built in %.1f s)\n", st.payer_keys,
              st.payee_keys, st.events, dedupe.size(), since(t));

  std::filesystem::remove_all(dir);
  CheckpointStore store(dir, 2);
  if (Status s = store.open(); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.message().c_str());
    return 1;
  }
  // Checkpoint: snapshot (what the pipeline thread pauses for), then the durable write.
  t = Clock::now();
  Checkpoint c;
  c.epoch = 1;
  ByteWriter w(&c.state);
  dedupe.save(&w);
  engine.save(&w);
  const double snapshot_s = since(t);
  CheckpointWriteStats ws;
  if (Status s = store.write(c, &ws); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.message().c_str());
    return 1;
  }
  const double raw_write_s = raw_write_seconds(dir + "/raw-copy", c.state);

  // Restore: read and verify, then rebuild the tables.
  evict_from_cache(store.path_of(1));
  t = Clock::now();
  Checkpoint loaded;
  bool found = false;
  if (Status s = store.load_latest(&loaded, &found); !s.ok() || !found) {
    std::fprintf(stderr, "load failed: %s\n", s.message().c_str());
    return 1;
  }
  const double read_s = since(t);
  t = Clock::now();
  FeatureEngine restored(config.features, config.context);
  Deduplicator restored_dedupe(dedupe_options);
  ByteReader r(loaded.state);
  if (!restored_dedupe.load(&r) || !restored.load(&r)) {
    std::fprintf(stderr, "restore failed\n");
    return 1;
  }
  const double rebuild_s = since(t);
  std::size_t raw_bytes = 0;
  const double raw_read_s = raw_read_seconds(dir + "/raw-copy", &raw_bytes);

  const double mib = static_cast<double>(ws.bytes) / (1 << 20);
  std::printf("checkpoint: %.1f MiB; snapshot %.3f s + durable write %.3f s = %.3f s "
              "(raw write+fsync of the same bytes %.3f s: %.2fx)\n",
              mib, snapshot_s, ws.seconds, snapshot_s + ws.seconds, raw_write_s,
              (snapshot_s + ws.seconds) / raw_write_s);
  std::printf("restore:    read+verify %.3f s + rebuild %.3f s = %.3f s "
              "(raw read of the same bytes %.3f s: %.2fx); %.2f M keys/s\n",
              read_s, rebuild_s, read_s + rebuild_s, raw_read_s, (read_s + rebuild_s) / raw_read_s,
              static_cast<double>(st.payer_keys + st.payee_keys) / (read_s + rebuild_s) / 1e6);
  const bool same = restored.stats().events == st.events && restored_dedupe.size() == dedupe.size();
  std::filesystem::remove_all(dir);
  return same ? 0 : 1;
}

}  // namespace
}  // namespace pixguard

int main(int argc, char** argv) { return pixguard::run(argc, argv); }
