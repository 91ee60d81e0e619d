// `pixguard replay`: history through the same pipeline as the stream, into one table.
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "cli/commands.h"
#include "cli/common.h"
#include "sinks/table_file_sink.h"

namespace pixguard::cli {

Command add_replay_command(CLI::App& app) {
  struct Flags {
    std::string config = "config/streaming_config.yaml";
    std::string input;
    std::string output;
    std::string format;
    std::string labels;
    std::string dead_letters;
    bool json = false;
    bool quiet = false;
    bool no_model = false;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* sub = app.add_subcommand(
      "replay", "Run a history file or Delta table through the pipeline; write one row per scored transaction "
                "(features, score, decision, label)");
  sub->add_option("-c,--config", flags->config, "Config file (features, rules, field mapping)")->capture_default_str();
  sub->add_option("-i,--input", flags->input,
                  "History: a JSON lines or CSV file, or a Delta table (a directory with _delta_log, replayed in "
                  "event-time order)")
      ->required();
  sub->add_option("-o,--output", flags->output, "Output table: .csv for a feature table, else JSON lines")->required();
  sub->add_option("--format", flags->format,
                  "Input format: jsonl, csv or delta (default: delta for a directory with _delta_log, else from the "
                  "file name)")
      ->check(CLI::IsMember({"jsonl", "csv", "delta"}));
  sub->add_option("--dead-letters", flags->dead_letters,
                  "Where rejected messages go, with field and rule (default: OUTPUT.dead_letters.jsonl)");
  sub->add_option("--labels", flags->labels, "Labels file (JSON lines: end_to_end_id, reported_at, fraud)");
  sub->add_flag("--no-model", flags->no_model,
                "Ignore model.path: features, rules and decisions without a score (to build a first training set)");
  sub->add_flag("--json", flags->json, "Print the final accounting as JSON");
  sub->add_flag("-q,--quiet", flags->quiet, "No progress lines on stderr");

  return [flags]() -> int {
    Config config;
    if (!load_config_or_report(flags->config, &config)) return kExitUsage;
    if (flags->no_model) config.model_path.clear();
    config.source.type = SourceConfig::Type::kFile;
    config.source.path = flags->input;
    std::error_code ec;
    if (flags->format == "delta" ||
        (flags->format.empty() && std::filesystem::is_directory(flags->input + "/_delta_log", ec))) {
      config.source.type = SourceConfig::Type::kDelta;
      read_personal_fields_as_stored(&config);
    } else if (!flags->format.empty()) {
      config.source.format = flags->format == "csv" ? InputFormat::kCsv : InputFormat::kJsonLines;
    } else if (flags->input.ends_with(".csv")) {
      config.source.format = InputFormat::kCsv;
    } else if (flags->input.ends_with(".jsonl") || flags->input.ends_with(".json")) {
      config.source.format = InputFormat::kJsonLines;
    }
    if (!flags->labels.empty()) {
      config.labels_path = flags->labels;
      config.label_timing.source = LabelTiming::Source::kLabelsInput;
    }
    Job job;
    if (Status s = build_job(config, &job); !s.ok()) {
      std::fprintf(stderr, "pixguard: %s\n", s.message().c_str());
      return s.code() == StatusCode::kIoError ? kExitFailure : kExitUsage;
    }
    std::unique_ptr<TableFileSink> table;
    const auto format = flags->output.ends_with(".csv") ? TableFileSink::Format::kCsv : TableFileSink::Format::kJsonLines;
    if (Status s = TableFileSink::open(flags->output, format, config.features, &table); !s.ok()) {
      std::fprintf(stderr, "pixguard: %s\n", s.message().c_str());
      return kExitFailure;
    }
    std::unique_ptr<TableFileSink> dead;
    const std::string dead_path = flags->dead_letters.empty() ? flags->output + ".dead_letters.jsonl" : flags->dead_letters;
    if (Status s = TableFileSink::open(dead_path, TableFileSink::Format::kJsonLines, {}, &dead); !s.ok()) {
      std::fprintf(stderr, "pixguard: %s\n", s.message().c_str());
      return kExitFailure;
    }
    job.pipeline->add_sink(Output::kScored, table.get());
    job.pipeline->add_sink(Output::kDeadLetters, dead.get());
    const int rc = run_job(job, config, /*checkpoints=*/nullptr, flags->json, flags->quiet);
    if (rc != kExitOk) return rc;
    for (TableFileSink* out : {table.get(), dead.get()}) {
      if (Status s = out->finish(); !s.ok()) {
        std::fprintf(stderr, "pixguard: %s\n", s.message().c_str());
        return kExitFailure;
      }
    }
    return kExitOk;
  };
}

}  // namespace pixguard::cli
