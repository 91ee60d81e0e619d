// `pixguard kafka`: a development Kafka cluster (librdkafka's mock cluster) in the
// foreground, with pixguard's topics, until SIGTERM or SIGINT. Its state is in memory only.
#include <charconv>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cli/commands.h"
#include "cli/common.h"
#include "core/join.h"
#include "kafka/bootstrap_relay.h"
#include "kafka/mock_cluster.h"

namespace pixguard::cli {

Command add_kafka_command(CLI::App& app) {
  struct Flags {
    int port = 9092;
    int partitions = 8;
    int brokers = 3;
    std::vector<std::string> topics = {"pix.transactions", "pix.scored", "pix.alerts", "pix.dead_letter"};
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* sub = app.add_subcommand(
      "kafka",
      "Run a development Kafka cluster on 127.0.0.1 (in memory) until SIGTERM/SIGINT; prints its bootstrap address");
  sub->add_option("-p,--port", flags->port,
                  "Bootstrap port (0: none fixed; clients then bootstrap from the brokers' own ports, "
                  "which the kernel picks)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  sub->add_option("--partitions", flags->partitions, "Partitions per topic")
      ->check(CLI::Range(1, 10'000))
      ->capture_default_str();
  sub->add_option("--brokers", flags->brokers, "Brokers")->check(CLI::Range(1, 64))->capture_default_str();
  sub->add_option("--topics", flags->topics,
                  "Topics to create (comma-separated); NAME:N gives one its own partition count")
      ->delimiter(',')
      ->capture_default_str();

  return [flags]() -> int {
    const std::atomic<bool>& stop = install_stop_signals();
    std::unique_ptr<MockCluster> cluster;
    if (Status s = MockCluster::start(flags->brokers, &cluster); !s.ok()) {
      std::fprintf(stderr, "pixguard: %s\n", s.message().c_str());
      return kExitFailure;
    }
    for (const std::string& spec : flags->topics) {
      std::string topic = spec;
      int partitions = flags->partitions;
      if (const std::size_t colon = spec.rfind(':'); colon != std::string::npos) {
        topic = spec.substr(0, colon);
        const std::string count = spec.substr(colon + 1);
        const auto r = std::from_chars(count.data(), count.data() + count.size(), partitions);
        if (r.ec != std::errc{} || r.ptr != count.data() + count.size() || partitions < 1 || partitions > 10'000) {
          std::fprintf(stderr, "pixguard: --topics %s: expected NAME or NAME:PARTITIONS (1 to 10000)\n", spec.c_str());
          return kExitUsage;
        }
      }
      if (Status s = cluster->create_topic(topic, partitions); !s.ok()) {
        std::fprintf(stderr, "pixguard: %s\n", s.message().c_str());
        return kExitUsage;
      }
    }
    // The mock brokers' ports are the kernel's choice; a relay on the fixed port gives
    // clients a bootstrap address known in advance.
    std::unique_ptr<BootstrapRelay> relay;
    std::string bootstrap = cluster->bootstraps();
    if (flags->port != 0) {
      const std::string first_broker = bootstrap.substr(0, bootstrap.find(','));
      if (Status s = BootstrapRelay::start(static_cast<uint16_t>(flags->port), first_broker, &relay); !s.ok()) {
        std::fprintf(stderr, "pixguard: %s\n", s.message().c_str());
        return kExitFailure;
      }
      bootstrap = relay->address();
    }
    const std::string topics = join(flags->topics);
    std::fprintf(stderr, "pixguard kafka: %d broker%s at %s; topics %s (%d partitions unless named); stop with Ctrl-C\n",
                 flags->brokers, flags->brokers == 1 ? "" : "s", cluster->bootstraps().c_str(),
                 topics.empty() ? "(none)" : topics.c_str(), flags->partitions);
    // The one line on stdout, for scripts waiting for the cluster to be up.
    std::printf("bootstrap: %s\n", bootstrap.c_str());
    std::fflush(stdout);

    while (!stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    relay.reset();
    cluster.reset();
    std::fprintf(stderr, "pixguard kafka: stopped\n");
    return kExitOk;
  };
}

}  // namespace pixguard::cli
