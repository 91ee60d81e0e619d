// `pixguard train`: a replay table in, an XGBoost JSON model and its model card out.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "cli/commands.h"
#include "cli/common.h"
#include "core/clock.h"
#include "core/timestamp.h"
#include "core/atomic_file.h"
#include "train/metrics.h"
#include "train/model_card.h"
#include "train/trainer.h"
#include "train/training_table.h"

namespace pixguard::cli {
namespace {

// The exact command line, shell-quoted, for the model card: how to make this model again.
std::string command_line() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string raw = ss.str();
  std::string out;
  std::size_t begin = 0;
  while (begin < raw.size()) {
    std::size_t end = raw.find('\0', begin);
    if (end == std::string::npos) end = raw.size();
    const std::string arg = raw.substr(begin, end - begin);
    if (!out.empty()) out.push_back(' ');
    if (!arg.empty() && arg.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                              "-_./=:,+@%") == std::string::npos) {
      out += arg;
    } else {
      out.push_back('\'');
      for (const char c : arg) {
        if (c == '\'') {
          out += "'\\''";
        } else {
          out.push_back(c);
        }
      }
      out.push_back('\'');
    }
    begin = end + 1;
  }
  return out;
}

}  // namespace

Command add_train_command(CLI::App& app) {
  struct Flags {
    std::string config = "config/streaming_config.yaml";
    std::string input;
    std::string output;
    std::string from;
    std::string to;
    std::string valid_from;
    std::string valid_to;
    std::string time_zone;  // empty: the config's context.time_zone
    TrainParams params;
    bool json = false;
    bool quiet = false;
  };
  auto flags = std::make_shared<Flags>();
  TrainParams& p = flags->params;
  CLI::App* sub = app.add_subcommand(
      "train", "Train an XGBoost model (JSON) on a `replay` CSV table, with the config's features; writes a model card");
  sub->add_option("-c,--config", flags->config, "Config whose features the model reads (by name)")
      ->capture_default_str();
  sub->add_option("-i,--input", flags->input, "Training table: the CSV written by `pixguard replay -o TABLE.csv`")
      ->required();
  sub->add_option("-o,--output", flags->output,
                  "Model file (.json); the card goes to MODEL.card.json and MODEL.card.md")
      ->required();
  sub->add_option("--from", flags->from, "Train on rows with event_time >= this (RFC 3339, or YYYY-MM-DD local)");
  sub->add_option("--to", flags->to, "... and < this (RFC 3339, or YYYY-MM-DD: local midnight)");
  sub->add_option("--valid-from", flags->valid_from,
                  "Validation rows (evaluated every round; early stopping) from this event_time ...");
  sub->add_option("--valid-to", flags->valid_to, "... to before this");
  sub->add_option("--time-zone", flags->time_zone, "Zone of YYYY-MM-DD dates (default: the config's context.time_zone)");
  sub->add_option("--rounds", p.rounds, "Boosting rounds (trees), at most")->capture_default_str();
  sub->add_option("--early-stopping-rounds", p.early_stopping_rounds,
                  "Stop once the validation aucpr has not improved for this many rounds; keep the best (0 = off)")
      ->capture_default_str();
  // Unset booster parameters (std::optional) keep XGBoost's own defaults.
  sub->add_option("--tree-method", p.tree_method, "exact, approx, hist or auto (XGBoost's default: auto)");
  sub->add_option("--max-depth", p.max_depth, "Maximum tree depth (default 6)");
  sub->add_option("--eta", p.eta, "Learning rate (default 0.3)");
  sub->add_option("--subsample", p.subsample, "Share of rows drawn for each tree (default 1)");
  sub->add_option("--colsample-bytree", p.colsample_bytree, "Share of features drawn for each tree (default 1)");
  sub->add_option("--min-child-weight", p.min_child_weight, "Minimum hessian sum in a leaf (default 1)");
  sub->add_option("--gamma", p.gamma, "Minimum loss reduction to split (default 0)");
  sub->add_option("--lambda", p.lambda, "L2 regularisation of leaf weights (default 1)");
  sub->add_option("--alpha", p.alpha, "L1 regularisation of leaf weights (default 0)");
  sub->add_option("--max-bin", p.max_bin, "Histogram bins per feature, hist and approx (default 256)");
  sub->add_option("--scale-pos-weight", p.scale_pos_weight, "Weight of fraud rows relative to legitimate ones (default 1)");
  sub->add_flag("--balance-classes", p.balance_classes,
                "Weigh fraud rows by the training rows' legitimate / fraud ratio (scale_pos_weight)");
  sub->add_option("--seed", p.seed, "Random seed (same seed, same model bytes)")->capture_default_str();
  sub->add_option("--threads", p.threads, "libxgboost threads (0 = all cores)")
      ->capture_default_str();
  sub->add_flag("--json", flags->json, "Print the model card as one JSON object");
  sub->add_flag("-q,--quiet", flags->quiet, "No progress on stderr");

  return [flags]() -> int {
    const Flags& f = *flags;
    if (!f.output.ends_with(".json")) {
      std::fprintf(stderr, "pixguard: --output: the model is written in XGBoost's JSON format; name it *.json (got '%s')\n",
                   f.output.c_str());
      return kExitUsage;
    }
    if (Status s = check_train_params(f.params); !s.ok()) return report_error(s);
    Config config;
    if (!load_config_or_report(f.config, &config)) return kExitUsage;
    if (config.features.empty()) {
      std::fprintf(stderr, "pixguard: %s: no features configured: nothing to train on\n", f.config.c_str());
      return kExitUsage;
    }
    TimeZone zone = config.context_zone;
    if (!f.time_zone.empty()) {
      if (Status s = TimeZone::load(f.time_zone, &zone); !s.ok()) return report_error(Status::InvalidArgument("--time-zone: " + s.message()));
    }
    TrainingTableOptions options;
    for (const FeatureSpec& spec : config.features) options.feature_names.push_back(spec.name);
    if (!f.from.empty()) {
      if (Status s = parse_time_bound(f.from, zone, "--from", &options.window.from_us); !s.ok()) return report_error(s);
    }
    if (!f.to.empty()) {
      if (Status s = parse_time_bound(f.to, zone, "--to", &options.window.to_us); !s.ok()) return report_error(s);
    }
    if (options.window.from_us >= options.window.to_us) {
      std::fprintf(stderr, "pixguard: --from must be before --to\n");
      return kExitUsage;
    }

    const auto started = std::chrono::steady_clock::now();
    if (!f.quiet) std::fprintf(stderr, "reading %s\n", f.input.c_str());
    TrainingTable table;
    if (Status s = read_training_table(f.input, options, &table); !s.ok()) return report_error(s);
    TrainingTable validation;
    const bool validating = !f.valid_from.empty() || !f.valid_to.empty();
    if (validating) {
      TrainingTableOptions valid = options;
      valid.window = {};
      if (!f.valid_from.empty()) {
        if (Status s = parse_time_bound(f.valid_from, zone, "--valid-from", &valid.window.from_us); !s.ok()) return report_error(s);
      }
      if (!f.valid_to.empty()) {
        if (Status s = parse_time_bound(f.valid_to, zone, "--valid-to", &valid.window.to_us); !s.ok()) return report_error(s);
      }
      if (Status s = read_training_table(f.input, valid, &validation); !s.ok()) return report_error(s);
      if (validation.rows() == 0) {
        std::fprintf(stderr, "pixguard: %s: no labelled rows in the validation window\n", f.input.c_str());
        return kExitUsage;
      }
    }
    if (table.rows() == 0) {
      std::fprintf(stderr, "pixguard: %s: no labelled rows in the training window (%zu rows read, %zu outside the "
                   "window, %zu unlabelled)\n", f.input.c_str(), table.rows_read, table.rows_outside_window,
                   table.rows_unlabelled);
      return kExitUsage;
    }
    if (!f.quiet) {
      std::fprintf(stderr, "training on %zu rows (%zu frauds), %zu features, %d rounds\n", table.rows(),
                   table.frauds(), table.columns(), f.params.rounds);
    }
    const bool quiet = f.quiet;
    const int rounds = f.params.rounds;
    TrainResult result;
    if (Status s = train_gbdt(
            table, validating ? &validation : nullptr, f.params,
            [quiet, rounds](int round, const std::string& evaluation) {
              if (quiet) return;
              // libxgboost's line starts with "[round]"; ours says it for people.
              const std::size_t tab = evaluation.find('\t');
              const std::string metric = tab == std::string::npos ? evaluation : evaluation.substr(tab + 1);
              std::fprintf(stderr, "round %d/%d  %s\n", round, rounds, metric.c_str());
            },
            10, &result);
        !s.ok()) {
      return report_error(s);
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    ModelCard card;
    card.model_path = f.output;
    card.created_at = format_timestamp_utc(unix_micros());
    card.command = command_line();
    card.xgboost_version = xgboost_version();
    card.features = table.feature_names;
    card.input_path = f.input;
    card.from_flag = f.from;
    card.to_flag = f.to;
    const auto [lo, hi] = std::minmax_element(table.event_time_us.begin(), table.event_time_us.end());
    card.first_event_us = *lo;
    card.last_event_us = *hi;
    card.rows = table.rows();
    card.frauds = table.frauds();
    card.rows_read = table.rows_read;
    card.rows_outside_window = table.rows_outside_window;
    card.rows_unlabelled = table.rows_unlabelled;
    card.params = f.params;
    card.xgboost_params = xgboost_params(f.params, &table);
    card.rounds_kept = result.rounds;
    card.best_evaluation = result.best_evaluation;
    card.train_auc = auc_roc(result.train_scores, table.labels);
    card.train_average_precision = average_precision(result.train_scores, table.labels);
    card.training_seconds = seconds;

    // The model last: a watcher picking up the directory sees a model only once its card exists.
    const std::string card_json = model_card_path(f.output, "json");
    const std::string card_md = model_card_path(f.output, "md");
    for (const auto& [path, bytes] : {std::pair{card_json, model_card_json(card, true)},
                                      std::pair{card_md, model_card_markdown(card)},
                                      std::pair{f.output, result.model_json}}) {
      if (Status s = write_file_atomically(path, bytes); !s.ok()) return report_error(s);
    }

    if (f.json) {
      std::fputs(model_card_json(card, false).c_str(), stdout);
    } else {
      std::printf("model              %s\n", f.output.c_str());
      std::printf("model card         %s, %s\n", card_json.c_str(), card_md.c_str());
      std::printf("features           %zu (from %s)\n", table.columns(), f.config.c_str());
      std::printf("rows               %zu  (%zu frauds; %zu outside the window, %zu unlabelled left out)\n",
                  card.rows, card.frauds, card.rows_outside_window, card.rows_unlabelled);
      char first[40], last[40];
      first[format_timestamp_utc(card.first_event_us, first)] = '\0';
      last[format_timestamp_utc(card.last_event_us, last)] = '\0';
      std::printf("event times        %s .. %s\n", first, last);
      std::printf("training fit       AUC ROC %.4f, average precision %.4f (on the training rows)\n", card.train_auc,
                  card.train_average_precision);
      std::printf("time               %.1f s (libxgboost %s)\n", seconds, card.xgboost_version.c_str());
    }
    std::fflush(stdout);
    return kExitOk;
  };
}

}  // namespace pixguard::cli
