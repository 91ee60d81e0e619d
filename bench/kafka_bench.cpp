// kafka_bench: Kafka in -> pixguard -> Kafka out on loopback, against librdkafka's mock
// cluster in this process. A producer thread writes generated transactions to the input
// topic at a fixed rate (or as fast as it can), the job consumes them, scores them and
// writes decisions to the scored topic, and a consumer thread reads that topic.
//
// Latency of a transaction: from the produce call of its input message to the moment its
// decision is visible in the scored topic. With exactly once that is when its epoch's
// transaction has committed (a read_committed consumer of a real broker sees it no
// earlier; the mock shows it at once, so the bench takes the later of the two instants).
//
// Baseline, measured in the same run with the same harness: a pass-through that moves each
// input message to the output topic through the same source, sink and epochs, without the
// pipeline: the floor that the cluster, librdkafka and the machine set.
//
//   kafka_bench [--config PATH] [--seconds S] [--rates 10000,50000,0] [--epochs-ms 20,100]
//               [--modes eos,alo] [--partitions N] [--payees shared|repartition]
// Rate 0 is "as fast as possible" (maximum sustained throughput). Prints one line per case.
// The first 200 transactions warm up (group join, first commits) and are not timed.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "core/log.h"
#include "kafka/mock_cluster.h"
#include "runtime/checkpoint_store.h"
#include "runtime/job.h"
#include "runtime/runner.h"
#include "sinks/kafka_sink.h"
#include "sinks/recent_records.h"
#include "sources/generator.h"
#include "sources/kafka_source.h"

namespace pixguard {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kWarmUp = 200;  // transactions decided before the clock starts

int64_t now_ns() { return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count(); }

struct Case {
  bool exactly_once = true;
  bool pass_through = false;
  double rate = 0;  // 0: as fast as possible
  int epoch_ms = 100;
};

struct Result {
  std::size_t sent = 0, seen = 0;
  double seconds = 0;  // first send to last visible
  std::vector<double> latency_ms;
};

std::vector<std::string> messages_for(const Config& config, std::size_t count) {
  GeneratorOptions g = config.source.generator;
  g.count = count;
  g.invalid_share = 0;    // every message has an id to follow
  g.duplicate_share = 0;
  return generate_messages(g);
}

// The pass-through: source -> sink per message, same epochs, no pipeline.
Status pass_through(KafkaSource& source, KafkaSink& sink, int epoch_ms, const std::atomic<bool>& stop,
                    const std::function<void(uint64_t)>& on_commit) {
  uint64_t epoch = 1;
  if (Status s = sink.begin_epoch(epoch); !s.ok()) return s;
  auto started = Clock::now();
  RecordBatch batch;
  while (!stop) {
    batch.clear();
    bool end = false;
    if (Status s = source.read(&batch, 1024, &end); !s.ok()) return s;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const std::string_view m = batch.message(i);
      if (Status s = sink.write({generated_payer_account(m), m, nullptr, Output::kScored}); !s.ok()) return s;
    }
    if (Clock::now() - started >= std::chrono::milliseconds(epoch_ms)) {
      if (Status s = sink.prepare(epoch); !s.ok()) return s;
      if (Status s = sink.commit(epoch); !s.ok()) return s;
      on_commit(epoch);
      if (Status s = sink.begin_epoch(++epoch); !s.ok()) return s;
      started = Clock::now();
    }
  }
  if (Status s = sink.prepare(epoch); !s.ok()) return s;
  if (Status s = sink.commit(epoch); !s.ok()) return s;
  on_commit(epoch);
  return Status::Ok();
}

Status run_case(const Config& base, const Case& c, const std::vector<std::string>& messages, int partitions,
                int run_number, Result* out) {
  std::unique_ptr<MockCluster> cluster;
  if (Status s = MockCluster::start(3, &cluster); !s.ok()) return s;
  for (const char* t : {"pix.transactions", "pix.scored", "pix.alerts", "pix.dead_letter"}) {
    if (Status s = cluster->create_topic(t, partitions); !s.ok()) return s;
  }
  const std::string dir = (std::filesystem::temp_directory_path() / ("pixguard-kafka-bench-" + std::to_string(run_number))).string();
  std::filesystem::remove_all(dir);

  Config config = base;
  config.source.type = SourceConfig::Type::kKafka;
  config.kafka.bootstrap_servers = cluster->bootstraps();
  config.kafka.group_id = "bench-" + std::to_string(run_number);
  const bool repartition = config.payee_state == Config::PayeeState::kRepartition && !c.pass_through;
  config.kafka.payee_topic = config.kafka.group_id + ".payees";
  if (repartition) {
    if (Status s = cluster->create_topic(config.kafka.payee_topic, partitions); !s.ok()) return s;
  }
  // The mock broker answers a fetch that finds no data only after fetch.wait.max.ms, even
  // when data arrives meanwhile (a real broker answers at once): keep the wait short.
  config.kafka.consumer_properties["fetch.wait.max.ms"] = "5";
  config.checkpoint.interval_us = int64_t{c.epoch_ms} * 1000;
  Job job;
  std::unique_ptr<KafkaSource> raw_source;
  if (c.pass_through) {
    KafkaSourceOptions so;
    so.bootstrap_servers = cluster->bootstraps();
    so.group_id = config.kafka.group_id;
    so.topics = {"pix.transactions"};
    so.properties = config.kafka.consumer_properties;
    if (Status s = KafkaSource::open(so, &raw_source); !s.ok()) return s;
  } else if (Status s = build_job(config, &job); !s.ok()) {
    return s;
  }
  KafkaSource* source = c.pass_through ? raw_source.get() : dynamic_cast<KafkaSource*>(job.source.get());
  KafkaSinkOptions ko;
  ko.bootstrap_servers = cluster->bootstraps();
  ko.topics = {"pix.scored", "", "", repartition ? config.kafka.payee_topic : ""};  // the decisions; alerts and dead letters are not timed
  ko.exactly_once = c.exactly_once;
  ko.transactional_id = "bench-" + std::to_string(run_number);
  ko.commit_log_path = dir + "/kafka-commits.log";
  ko.input = source;
  ko.properties = {{"linger.ms", "1"}};
  std::unique_ptr<KafkaSink> sink;
  if (Status s = KafkaSink::open(ko, &sink); !s.ok()) return s;
  if (!c.pass_through) job.pipeline->add_sink(Output::kScored, sink.get());
  if (repartition) {
    job.pipeline->add_sink(Output::kPayees, sink.get());
    job.pipeline->set_payee_topic(partitions, partitions);
  }

  // Index of each id, and per index: when it was sent, when it became visible.
  std::unordered_map<std::string_view, std::size_t> index;
  for (std::size_t i = 0; i < messages.size(); ++i) index.emplace(record_id(messages[i]), i);
  std::vector<std::atomic<int64_t>> sent_at(messages.size());
  std::vector<int64_t> received_at(messages.size(), 0);
  std::vector<uint64_t> epoch_of(messages.size(), 0);
  std::mutex commit_mutex;
  std::map<uint64_t, int64_t> committed_at;
  const auto on_commit = [&](uint64_t epoch) {
    std::lock_guard<std::mutex> lock(commit_mutex);
    committed_at[epoch] = now_ns();
  };

  std::atomic<bool> stop{false};
  uint64_t runner_epochs = 0;  // counted on the job thread, which outlives the block below
  Status job_status;
  std::unique_ptr<CheckpointStore> checkpoints;
  std::unique_ptr<PartCheckpoints> part_checkpoints;
  std::thread job_thread;
  if (c.pass_through) {
    job_thread = std::thread([&] { job_status = pass_through(*source, *sink, c.epoch_ms, stop, on_commit); });
  } else {
    checkpoints = std::make_unique<CheckpointStore>(dir + "/checkpoints", 2);
    if (Status s = checkpoints->open(); !s.ok()) return s;
    RunnerOptions ro;
    ro.batch_size = config.batch_size;
    ro.epoch_interval_us = config.checkpoint.interval_us;
    ro.checkpoints = checkpoints.get();
    // As `pixguard run` does: each partition's state checkpointed apart.
    part_checkpoints = std::make_unique<PartCheckpoints>(dir, "checkpoints", config.pipeline_id);
    ro.part_checkpoints = part_checkpoints.get();
    ro.part_writer.instance = "checkpoints";
    ro.pipeline_id = config.pipeline_id;
    ro.idle_after_us = config.idle_after_us;
    if (repartition) ro.payee_topic = config.kafka.payee_topic;
    ro.on_epoch = [&](const Accounting&) { on_commit(++runner_epochs); };
    job_thread = std::thread([&, ro] {
      Runner runner(source, job.pipeline.get(), ro);
      job_status = runner.run(stop);
    });
  }

  // The reader of the decisions: every partition from the start.
  KafkaConfPtr conf;
  (void)make_kafka_conf({{"bootstrap.servers", cluster->bootstraps()}, {"group.id", "reader"},
                         {"enable.auto.commit", "false"}, {"fetch.wait.max.ms", "5"}},
                        &conf);
  KafkaClientPtr reader;
  if (Status s = new_kafka_client(RD_KAFKA_CONSUMER, conf, &reader); !s.ok()) return s;
  PartitionListPtr list(rd_kafka_topic_partition_list_new(partitions));
  for (int p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(list.get(), "pix.scored", p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  rd_kafka_assign(reader.get(), list.get());
  std::atomic<std::size_t> seen{0};
  std::atomic<bool> reading{true};
  std::thread reader_thread([&] {
    while (reading) {
      KafkaMessagePtr m(rd_kafka_consumer_poll(reader.get(), 50));
      if (!m || m->err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
      const int64_t t = now_ns();
      const auto it = index.find(record_id({static_cast<const char*>(m->payload), m->len}));
      if (it == index.end() || received_at[it->second] != 0) continue;
      received_at[it->second] = t;
      const void* value = nullptr;
      size_t size = 0;
      rd_kafka_headers_t* headers = nullptr;
      if (rd_kafka_message_headers(m.get(), &headers) == RD_KAFKA_RESP_ERR_NO_ERROR &&
          rd_kafka_header_get_last(headers, "pixguard-epoch", &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        epoch_of[it->second] = std::stoull(std::string(static_cast<const char*>(value), size));
      }
      seen.fetch_add(1);
    }
  });

  KafkaConfPtr pconf;
  (void)make_kafka_conf({{"bootstrap.servers", cluster->bootstraps()}, {"linger.ms", "1"}}, &pconf);
  KafkaClientPtr producer;
  if (Status s = new_kafka_client(RD_KAFKA_PRODUCER, pconf, &producer); !s.ok()) return s;
  std::vector<std::string_view> keys;  // by payer, as the input is keyed in production
  for (const std::string& m : messages) keys.push_back(generated_payer_account(m));
  const auto produce = [&](std::size_t i) {
    const std::string& m = messages[i];
    sent_at[i].store(now_ns());
    while (rd_kafka_producev(producer.get(), RD_KAFKA_V_TOPIC("pix.transactions"), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_KEY(keys[i].data(), keys[i].size()),
                             RD_KAFKA_V_VALUE(const_cast<char*>(m.data()), m.size()),
                             RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(producer.get(), 1);
    }
  };
  // Warm-up, not timed: the job joins its group (the mock's first rebalance takes about
  // 3 s) and decides the first kWarmUp transactions before the clock starts.
  for (std::size_t i = 0; i < kWarmUp; ++i) produce(i);
  rd_kafka_flush(producer.get(), 30'000);
  for (const auto until = Clock::now() + std::chrono::seconds(60); seen.load() < kWarmUp && Clock::now() < until;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (seen.load() < kWarmUp) return Status::IoError("warm-up decisions not seen within 60 s");
  const auto produce_started = Clock::now();
  for (std::size_t i = kWarmUp; i < messages.size(); ++i) {
    if (c.rate > 0) {
      const auto due = produce_started +
                       std::chrono::nanoseconds(static_cast<int64_t>(1e9 * static_cast<double>(i - kWarmUp) / c.rate));
      while (Clock::now() < due) {
        rd_kafka_poll(producer.get(), 0);
        std::this_thread::sleep_for(std::chrono::microseconds(50));
      }
    }
    produce(i);
  }
  rd_kafka_flush(producer.get(), 30'000);
  // Wait until every decision is visible (or 30 s without progress).
  std::size_t last = 0;
  auto progress = Clock::now();
  while (seen.load() < messages.size() && Clock::now() - progress < std::chrono::seconds(30)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (seen.load() != last) {
      last = seen.load();
      progress = Clock::now();
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(3 * c.epoch_ms + 50));  // the last commits
  stop = true;
  job_thread.join();
  reading = false;
  reader_thread.join();
  if (!job_status.ok()) return job_status;

  out->sent = messages.size() - kWarmUp;
  out->seen = seen.load() - kWarmUp;
  int64_t first = INT64_MAX, end = 0;
  std::lock_guard<std::mutex> lock(commit_mutex);
  for (std::size_t i = kWarmUp; i < messages.size(); ++i) {
    if (received_at[i] == 0) continue;
    int64_t visible = received_at[i];
    if (c.exactly_once) {
      const auto it = committed_at.find(epoch_of[i]);
      if (it == committed_at.end()) continue;  // never committed: not visible
      visible = std::max(visible, it->second);
    }
    first = std::min<int64_t>(first, sent_at[i].load());
    end = std::max(end, visible);
    out->latency_ms.push_back(static_cast<double>(visible - sent_at[i].load()) / 1e6);
  }
  out->seconds = end > first ? static_cast<double>(end - first) / 1e9 : 0;
  std::sort(out->latency_ms.begin(), out->latency_ms.end());
  std::filesystem::remove_all(dir);
  return Status::Ok();
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  return sorted[std::min(sorted.size() - 1, static_cast<std::size_t>(p * static_cast<double>(sorted.size())))];
}

template <typename T>
std::vector<T> list_of(const std::string& text) {
  std::vector<T> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) out.push_back(static_cast<T>(std::stod(item)));
  return out;
}

}  // namespace
}  // namespace pixguard

int main(int argc, char** argv) {
  using namespace pixguard;
  std::string config_path = "config/streaming_config.yaml", modes = "eos,alo";
  std::vector<double> rates = {10'000, 50'000, 0};
  std::vector<int> epochs = {20, 100};
  double seconds = 5;
  int partitions = 32;
  std::string payees;  // shared or repartition; empty: the config's
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--config") config_path = value;
    else if (flag == "--seconds") seconds = std::stod(value);
    else if (flag == "--rates") rates = list_of<double>(value);
    else if (flag == "--epochs-ms") epochs = list_of<int>(value);
    else if (flag == "--modes") modes = value;
    else if (flag == "--partitions") partitions = std::stoi(value);
    else if (flag == "--payees") payees = value;
    else {
      std::fprintf(stderr, "kafka_bench: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  set_log_level(LogLevel::kError);
  Config config;
  if (Status s = load_config(config_path, &config); !s.ok()) {
    std::fprintf(stderr, "kafka_bench: %s\n", s.message().c_str());
    return 2;
  }
  if (payees == "repartition") {
    config.payee_state = Config::PayeeState::kRepartition;  // needs exactly once: alo runs are skipped
    modes = modes.find("eos") != std::string::npos ? "eos" : "";
  } else if (payees == "shared") {
    config.payee_state = Config::PayeeState::kShared;
  } else if (!payees.empty()) {
    std::fprintf(stderr, "kafka_bench: --payees is shared or repartition\n");
    return 2;
  }
  std::printf("%-12s %-5s %6s %9s %9s %12s %8s %8s %8s\n", "path", "mode", "epoch", "rate", "messages", "throughput",
              "p50_ms", "p99_ms", "p99.9_ms");
  int run_number = 0;
  for (const double rate : rates) {
    // Rate 0: a fixed batch of 200k preloaded as fast as the producer goes.
    const std::size_t count = kWarmUp + (rate > 0 ? static_cast<std::size_t>(rate * seconds) : 200'000);
    const std::vector<std::string> messages = messages_for(config, count);
    for (const std::string mode : {"eos", "alo"}) {
      if (modes.find(mode) == std::string::npos) continue;
      for (const int epoch_ms : epochs) {
        for (const bool pass : {true, false}) {
          Case c;
          c.exactly_once = mode == std::string("eos");
          c.pass_through = pass;
          c.rate = rate;
          c.epoch_ms = epoch_ms;
          Result r;
          if (Status s = run_case(config, c, messages, partitions, ++run_number, &r); !s.ok()) {
            std::fprintf(stderr, "kafka_bench: %s\n", s.message().c_str());
            return 1;
          }
          std::printf("%-12s %-5s %4dms %9.0f %9zu %10.0f/s %8.2f %8.2f %8.2f%s\n", pass ? "pass-through" : "pixguard",
                      mode.c_str(), epoch_ms, rate, r.seen, r.seconds > 0 ? static_cast<double>(r.latency_ms.size()) / r.seconds : 0,
                      percentile(r.latency_ms, 0.5), percentile(r.latency_ms, 0.99), percentile(r.latency_ms, 0.999),
                      r.latency_ms.size() == r.sent ? "" : "  (some decisions not seen)");
          std::fflush(stdout);
        }
      }
    }
  }
  return 0;
}
