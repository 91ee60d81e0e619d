// `pixguard run`: the streaming job of the config (embedded default: the generator).
#include <cstdio>

#include "cli/commands.h"
#include "cli/common.h"
#include "runtime/checkpoint_store.h"
#include "sinks/jsonl_file_sink.h"

namespace pixguard::cli {

Command add_run_command(CLI::App& app) {
  struct Flags {
    std::string config = "config/streaming_config.yaml";
    bool json = false;
    bool quiet = false;
    bool overwrite = false;
    uint64_t count = 0;
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

  const auto report = [](const Status& s) {
    std::fprintf(stderr, "pixguard: %s\n", s.message().c_str());
    return s.code() == StatusCode::kIoError ? kExitFailure : kExitUsage;
  };
  return [flags, report]() -> int {
    Config config;
    if (!load_config_or_report(flags->config, &config)) return kExitUsage;
    if (flags->count > 0) config.source.generator.count = flags->count;
    Job job;
    if (Status s = build_job(config, &job); !s.ok()) return report(s);
    std::unique_ptr<CheckpointStore> checkpoints;
    if (!config.checkpoint.dir.empty()) {
      checkpoints = std::make_unique<CheckpointStore>(config.checkpoint.dir, config.checkpoint.keep);
      if (Status s = checkpoints->open(); !s.ok()) return report(s);
      if (flags->overwrite) {
        if (Status s = checkpoints->clear(); !s.ok()) return report(s);
      }
    }
    const std::pair<Output, const std::string*> outputs[] = {{Output::kScored, &config.sinks.scored_dir},
                                                             {Output::kAlerts, &config.sinks.alerts_dir},
                                                             {Output::kDeadLetters, &config.sinks.dead_letter_dir}};
    for (const auto& [kind, dir] : outputs) {
      if (dir->empty()) continue;
      std::unique_ptr<JsonlFileSink> sink;
      if (Status s = JsonlFileSink::open(*dir, *dir, &sink); !s.ok()) return report(s);
      if (flags->overwrite) {
        if (Status s = sink->clear(); !s.ok()) return report(s);
      }
      job.pipeline->add_sink(kind, sink.get());
      job.sinks.push_back(std::move(sink));
    }
    return run_job(job, config, checkpoints.get(), flags->json, flags->quiet);
  };
}

}  // namespace pixguard::cli
