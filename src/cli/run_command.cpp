// `pixguard run`: the streaming job of the config (embedded default: the generator).
#include <cstdio>

#include "cli/commands.h"
#include "cli/common.h"
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
                "Delete earlier output in the sink directories first (needed to run the same job again)");
  sub->add_option("--count", flags->count, "Override source.generator.count");

  return [flags]() -> int {
    Config config;
    if (!load_config_or_report(flags->config, &config)) return kExitUsage;
    if (flags->count > 0) config.source.generator.count = flags->count;
    Job job;
    if (Status s = build_job(config, &job); !s.ok()) {
      std::fprintf(stderr, "pixguard: %s\n", s.message().c_str());
      return s.code() == StatusCode::kIoError ? kExitFailure : kExitUsage;
    }
    const std::pair<Output, const std::string*> outputs[] = {{Output::kScored, &config.sinks.scored_dir},
                                                             {Output::kAlerts, &config.sinks.alerts_dir},
                                                             {Output::kDeadLetters, &config.sinks.dead_letter_dir}};
    for (const auto& [kind, dir] : outputs) {
      if (dir->empty()) continue;
      std::unique_ptr<JsonlFileSink> sink;
      if (Status s = JsonlFileSink::open(*dir, *dir, &sink); !s.ok()) {
        std::fprintf(stderr, "pixguard: %s\n", s.message().c_str());
        return kExitFailure;
      }
      if (sink->last_committed_epoch() > 0) {
        if (!flags->overwrite) {
          // Resuming needs the checkpoint of the earlier run; without one, running again would
          // write every record a second time.
          std::fprintf(stderr,
                       "pixguard: %s already holds output of an earlier run; pass --overwrite to start over "
                       "(or point sinks elsewhere)\n",
                       dir->c_str());
          return kExitUsage;
        }
        if (Status s = sink->clear(); !s.ok()) {
          std::fprintf(stderr, "pixguard: %s\n", s.message().c_str());
          return kExitFailure;
        }
      }
      job.pipeline->add_sink(kind, sink.get());
      job.sinks.push_back(std::move(sink));
    }
    return run_job(job, config, flags->json, flags->quiet);
  };
}

}  // namespace pixguard::cli
