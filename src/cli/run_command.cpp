// `pixguard run`: the streaming job of the config (embedded default: the generator).
#include <cstdio>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/streaming_setup.h"

namespace pixguard::cli {

Command add_run_command(CLI::App& app) {
  struct Flags {
    std::string config = "config/streaming_config.yaml";
    bool json = false;
    bool quiet = false;
    bool overwrite = false;
    uint64_t count = 0;
    bool stop_at_end = false;
    std::string http;
    std::string instance;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* sub = app.add_subcommand("run", "Score the configured stream; write scored records, alerts and dead letters");
  sub->add_option("-c,--config", flags->config, "Config file")->capture_default_str();
  sub->add_flag("--json", flags->json, "Print the final accounting as JSON");
  sub->add_flag("-q,--quiet", flags->quiet, "No progress lines on stderr");
  sub->add_flag("--overwrite", flags->overwrite,
                "Start over: delete earlier output in the sink directories and the checkpoints "
                "(without it, a run resumes from its newest checkpoint)");
  sub->add_option("--count", flags->count, "Override source.generator.count");
  sub->add_option("--http", flags->http,
                  "Serve /metrics, the API and the dashboard at HOST:PORT while running (overrides http.listen)");
  sub->add_option("--instance", flags->instance,
                  "Kafka source: this member's name in the consumer group, unique and stable (overrides kafka.instance)");
  sub->add_flag("--stop-at-end", flags->stop_at_end,
                "Kafka source: stop (commit, checkpoint, exit 0) once every assigned partition is read to its end");

  const auto report = [](const Status& s) {
    std::fprintf(stderr, "pixguard: %s\n", s.message().c_str());
    return s.code() == StatusCode::kIoError ? kExitFailure : kExitUsage;
  };
  return [flags, report]() -> int {
    Config config;
    if (!load_config_or_report(flags->config, &config)) return kExitUsage;
    if (flags->count > 0) config.source.generator.count = flags->count;
    if (!flags->http.empty()) config.http.listen = flags->http;
    if (!flags->instance.empty()) {
      if (!valid_instance_name(flags->instance)) {
        std::fprintf(stderr, "pixguard: --instance: expected 1 to 64 letters, digits, '.', '_' or '-', got '%s'\n",
                     flags->instance.c_str());
        return kExitUsage;
      }
      config.kafka.instance = flags->instance;
    }
    if (flags->stop_at_end) {
      if (config.source.type != SourceConfig::Type::kKafka) {
        std::fprintf(stderr, "pixguard: --stop-at-end needs source.type: kafka (%s)\n", config.path.c_str());
        return kExitUsage;
      }
      config.source.stop_at_end = true;
    }
    Job job;
    if (Status s = build_job(config, &job); !s.ok()) return report(s);
    Checkpointing checkpoints;
    if (Status s = set_up_streaming(config, flags->overwrite, &job, &checkpoints); !s.ok()) return report(s);
    Operations ops;
    if (Status s = start_operations(config, &job, &ops); !s.ok()) return report(s);
    return run_job(job, config, &checkpoints, flags->json, flags->quiet, &ops.metrics);
  };
}

}  // namespace pixguard::cli
