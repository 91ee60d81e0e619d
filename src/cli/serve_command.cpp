// `pixguard serve`: the decision service. The job of the config reads the pre-authorization
// API (POST /v1/score) instead of its stream, with the same pipeline, state, checkpoints
// and sinks; every answer is journaled under <checkpoint.dir>/preauth before it goes out.
#include <cstdio>
#include <filesystem>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/streaming_setup.h"
#include "preauth/preauth_source.h"
#include "privacy/privacy.h"

namespace pixguard::cli {

Command add_serve_command(CLI::App& app) {
  struct Flags {
    std::string config = "config/streaming_config.yaml";
    std::string http;
    bool json = false;
    bool quiet = false;
    bool overwrite = false;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* sub = app.add_subcommand(
      "serve", "Decide transactions synchronously: POST /v1/score answers each with its decision (pre-authorization)");
  sub->add_option("-c,--config", flags->config, "Config file")->capture_default_str();
  sub->add_option("--http", flags->http, "Listen at HOST:PORT (overrides http.listen; one of them is required)");
  sub->add_flag("--json", flags->json, "Print the final accounting as JSON");
  sub->add_flag("-q,--quiet", flags->quiet, "No progress lines on stderr");
  sub->add_flag("--overwrite", flags->overwrite,
                "Start over: delete earlier output, the checkpoints and the journal of answers");

  return [flags]() -> int {
    Config config;
    if (!load_config_or_report(flags->config, &config)) return kExitUsage;
    if (!flags->http.empty()) config.http.listen = flags->http;
    const auto refuse = [&config](const std::string& why) {
      std::fprintf(stderr, "pixguard: serve: %s (%s)\n", why.c_str(), config.path.c_str());
      return kExitUsage;
    };
    if (config.http.listen.empty()) return refuse("give --http HOST:PORT or http.listen");
    if (config.checkpoint.dir.empty()) return refuse("checkpoint.dir is required: answers must survive a crash");
    if (!config.dedupe_enabled) return refuse("dedupe must be on: a repeated request must not be decided twice");
    if (config.source.type == SourceConfig::Type::kKafka) {
      return refuse("serve reads the API alone; a Kafka source beside it is not supported yet (run it with `run`)");
    }
    // Each HTTP worker waits for its caller's decision: more of them than the endpoint's default.
    config.http.threads = std::max(config.http.threads, config.preauth.threads);

    std::shared_ptr<const Privacy> privacy;
    if (Status s = Privacy::create(config.privacy, &privacy); !s.ok()) return report_error(s.with_context(config.path));
    const std::string journal_dir = config.checkpoint.dir + "/preauth";
    if (flags->overwrite) {
      std::error_code ec;
      std::filesystem::remove_all(journal_dir, ec);
      if (ec) return report_error(Status::IoError(journal_dir + ": " + ec.message()));
    }
    std::unique_ptr<DecisionJournal> journal;
    if (Status s = DecisionJournal::open(journal_dir, privacy->cipher(),
                                         config.preauth.fsync ? DecisionJournal::Durability::kFsync
                                                              : DecisionJournal::Durability::kWrite,
                                         &journal);
        !s.ok()) {
      return report_error(s);
    }
    PreauthOptions o;
    o.max_queued = config.preauth.max_queued;
    o.timeout_us = config.preauth.timeout_us;
    o.answers_kept = config.preauth.answers_kept;
    o.keep_checkpoints = config.checkpoint.keep;
    std::unique_ptr<PreauthSource> source;
    if (Status s = PreauthSource::open(o, std::move(journal), &source); !s.ok()) return report_error(s);
    PreauthSource* preauth = source.get();

    Job job;
    if (Status s = build_job(config, &job, std::move(source)); !s.ok()) return report_error(s);
    job.pipeline->set_decision_listener(preauth);
    Checkpointing checkpoints;
    if (Status s = set_up_streaming(config, flags->overwrite, &job, &checkpoints); !s.ok()) return report_error(s);
    Operations ops;
    if (Status s = start_operations(config, &job, &ops, preauth); !s.ok()) return report_error(s);
    const int code = run_job(job, config, &checkpoints, flags->json, flags->quiet, &ops.metrics);
    preauth->close();  // callers still waiting are told at once, not at their timeout
    return code;
  };
}

}  // namespace pixguard::cli
