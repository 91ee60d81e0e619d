// `pixguard demo`: everything embedded, over the real Kafka path. An in-process Kafka cluster
// (librdkafka's mock cluster) on 127.0.0.1, a generator producing the synthetic Pix stream
// to its input topic at a steady rate (keyed by payer), and the streaming job of the config
// consuming it and writing the Kafka and file outputs, until SIGTERM or Ctrl-C.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/streaming_setup.h"
#include "kafka/bootstrap_relay.h"
#include "kafka/kafka_handle.h"
#include "kafka/mock_cluster.h"
#include "sources/generator.h"

namespace pixguard::cli {
namespace {

// Produces the generator's stream to `topic` at `rate` messages a second until `stop`.
class DemoProducer {
 public:
  static Status start(const std::string& bootstrap, const std::string& topic, const GeneratorOptions& options,
                      double rate, std::unique_ptr<DemoProducer>* out) {
    KafkaConfPtr conf;
    if (Status s = make_kafka_conf({{"bootstrap.servers", bootstrap}, {"linger.ms", "1"}, {"enable.idempotence", "true"}},
                                   &conf);
        !s.ok()) {
      return s;
    }
    std::unique_ptr<DemoProducer> p(new DemoProducer(topic, options, rate));
    if (Status s = new_kafka_client(RD_KAFKA_PRODUCER, conf, &p->producer_); !s.ok()) return s;
    p->thread_ = std::thread([raw = p.get()] { raw->loop(); });
    *out = std::move(p);
    return Status::Ok();
  }

  ~DemoProducer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    rd_kafka_flush(producer_.get(), 5'000);
  }

  uint64_t produced() const { return produced_.load(); }

 private:
  DemoProducer(std::string topic, const GeneratorOptions& options, double rate)
      : topic_(std::move(topic)), generator_(options), rate_(rate) {}

  void loop() {
    using Clock = std::chrono::steady_clock;
    const auto started = Clock::now();
    std::string message;
    uint64_t sent = 0;
    while (!stop_) {
      const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
      const auto due = static_cast<uint64_t>(elapsed * rate_);
      while (sent < due && !stop_) {
        message.clear();
        if (!generator_.next(&message)) return;  // the configured count is exhausted
        const std::string_view key = generated_payer_account(message);
        while (rd_kafka_producev(producer_.get(), RD_KAFKA_V_TOPIC(topic_.c_str()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                 RD_KAFKA_V_KEY(key.empty() ? nullptr : key.data(), key.size()),
                                 RD_KAFKA_V_VALUE(message.data(), message.size()),
                                 RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL &&
               !stop_) {
          rd_kafka_poll(producer_.get(), 10);
        }
        ++sent;
        produced_.store(sent);
      }
      rd_kafka_poll(producer_.get(), 0);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  std::string topic_;
  Generator generator_;
  double rate_;
  KafkaClientPtr producer_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> produced_{0};
};

}  // namespace

Command add_demo_command(CLI::App& app) {
  struct Flags {
    std::string config = "config/streaming_config.yaml";
    std::string dir = "data/demo";
    double rate = 2'000;
    int port = 9092;
    int partitions = 8;
    bool quiet = false;
    std::string http = "127.0.0.1:9464";
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* sub = app.add_subcommand(
      "demo", "Everything embedded: a Kafka cluster, a generator producing to it and the streaming job, until Ctrl-C");
  sub->add_option("-c,--config", flags->config, "Config of the job (its source and Kafka sections are replaced)")
      ->capture_default_str();
  sub->add_option("--dir", flags->dir, "Outputs and checkpoints go under this directory (cleared at start)")
      ->capture_default_str();
  sub->add_option("--rate", flags->rate, "Transactions per second produced")
      ->check(CLI::Range(1.0, 1'000'000.0))
      ->capture_default_str();
  sub->add_option("-p,--port", flags->port, "Fixed bootstrap port for other clients (0: none)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  sub->add_option("--partitions", flags->partitions, "Partitions per topic")
      ->check(CLI::Range(1, 10'000))
      ->capture_default_str();
  sub->add_flag("-q,--quiet", flags->quiet, "No progress lines on stderr");
  sub->add_option("--http", flags->http, "Operations endpoint (/metrics, /health, /ready); \"\": none")
      ->capture_default_str();

  return [flags]() -> int {
    Config config;
    if (!load_config_or_report(flags->config, &config)) return kExitUsage;
    std::unique_ptr<MockCluster> cluster;
    if (Status s = MockCluster::start(3, &cluster); !s.ok()) {
      std::fprintf(stderr, "pixguard: %s\n", s.message().c_str());
      return kExitFailure;
    }
    KafkaConfig& k = config.kafka;
    const std::string input_topic = k.input_topics.empty() ? "pix.transactions" : k.input_topics.front();
    for (const std::string& topic : {input_topic, k.scored_topic, k.alerts_topic, k.dead_letter_topic}) {
      if (topic.empty()) continue;
      if (Status s = cluster->create_topic(topic, flags->partitions); !s.ok()) {
        std::fprintf(stderr, "pixguard: %s\n", s.message().c_str());
        return kExitFailure;
      }
    }
    std::unique_ptr<BootstrapRelay> relay;
    std::string bootstrap = cluster->bootstraps();
    if (flags->port != 0) {
      if (Status s = BootstrapRelay::start(static_cast<uint16_t>(flags->port), bootstrap.substr(0, bootstrap.find(',')),
                                           &relay);
          !s.ok()) {
        std::fprintf(stderr, "pixguard: %s (choose another with --port, or --port 0)\n", s.message().c_str());
        return kExitFailure;
      }
      bootstrap = relay->address();
    }

    // The job of the config, reading the embedded cluster; outputs under --dir, started afresh
    // (the cluster lives in memory, so there is nothing to resume).
    config.source.type = SourceConfig::Type::kKafka;
    k.bootstrap_servers = cluster->bootstraps();
    k.input_topics = {input_topic};
    // The mock broker answers a fetch that found no data only after fetch.wait.max.ms (500
    // by default), even when data arrives meanwhile; a real broker answers at once.
    k.consumer_properties.emplace("fetch.wait.max.ms", "10");
    config.checkpoint.dir = flags->dir + "/checkpoints";
    config.checkpoint.keep = std::max<std::size_t>(config.checkpoint.keep, 2);
    config.sinks.scored_dir = flags->dir + "/scored";
    config.sinks.alerts_dir = flags->dir + "/alerts";
    config.sinks.dead_letter_dir = flags->dir + "/dead_letter";
    if (!config.sinks.table_dir.empty()) config.sinks.table_dir = flags->dir + "/decisions";
    config.http.listen = flags->http;
    Job job;
    Checkpointing checkpoints;
    Operations ops;
    Status s = build_job(config, &job);
    if (s.ok()) s = set_up_streaming(config, /*overwrite=*/true, &job, &checkpoints);
    if (s.ok()) s = start_operations(config, &job, &ops);
    if (!s.ok()) {
      std::fprintf(stderr, "pixguard: %s\n", s.message().c_str());
      return s.code() == StatusCode::kIoError ? kExitFailure : kExitUsage;
    }
    GeneratorOptions generator = config.source.generator;
    // A hundred times the configured stream at the same density of events (what the model
    // was trained on): at 2,000 tx/s, about 14 hours of demo.
    generator.count *= 100;
    generator.days *= 100;
    std::unique_ptr<DemoProducer> producer;
    if (Status ps = DemoProducer::start(cluster->bootstraps(), input_topic, generator, flags->rate, &producer); !ps.ok()) {
      std::fprintf(stderr, "pixguard: demo producer: %s\n", ps.message().c_str());
      return kExitFailure;
    }

    std::fprintf(stderr,
                 "pixguard demo: Kafka at %s; producing %.0f tx/s to %s; the job writes %s, %s, %s\n"
                 "  watch the decisions:  kcat -b %s -t %s -C -o end -u\n"
                 "  files:                %s/{scored,alerts,dead_letter}/part-*.jsonl (one per epoch)\n"
                 "  stop with Ctrl-C (the accounting is printed)\n",
                 bootstrap.c_str(), flags->rate, input_topic.c_str(), k.scored_topic.c_str(), k.alerts_topic.c_str(),
                 k.dead_letter_topic.c_str(), bootstrap.c_str(), k.alerts_topic.empty() ? "pix.alerts" : k.alerts_topic.c_str(),
                 flags->dir.c_str());
    std::printf("bootstrap: %s\n", bootstrap.c_str());
    std::fflush(stdout);
    const int code = run_job(job, config, &checkpoints, /*json=*/false, flags->quiet, &ops.metrics);
    std::fprintf(stderr, "pixguard demo: %llu transactions produced\n",
                 static_cast<unsigned long long>(producer->produced()));
    producer.reset();
    ops.server.reset();
    job.sinks.clear();
    job.source.reset();
    relay.reset();
    return code;
  };
}

}  // namespace pixguard::cli
