// `pixguard evaluate`: a model scored on a replay table: AUC ROC, average precision,
// precision@k per day per account, precision and recall at the decision thresholds, and a
// precision-recall / ROC plot.
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/common.h"
#include "core/timestamp.h"
#include "train/evaluation.h"
#include "train/plot.h"
#include "train/table_scorer.h"
#include "train/training_table.h"

namespace pixguard::cli {
namespace {

// The predictor that scores the table. pixguard's own evaluator, so that the figures are
// those of the serving path; load_xgboost_table_scorer is libxgboost's, the reference (the
// two agree to 1e-6, score/gbdt_model.h).
constexpr auto kLoadScorer = &load_pixguard_table_scorer;

std::string day_text(int64_t micros, const TimeZone& zone) {
  int64_t y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(to_local_time(micros, zone).days, &y, &m, &d);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  return buf;
}

}  // namespace

Command add_evaluate_command(CLI::App& app) {
  struct Flags {
    std::string model;
    std::string input;
    std::string from;
    std::string to;
    std::string config = "config/streaming_config.yaml";
    std::string time_zone;  // empty: the config's context.time_zone
    std::string known_compromised_before;
    std::size_t k = 100;
    double review_threshold = 0.5;
    double block_threshold = 0.9;
    std::string plot;
    bool json = false;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* sub = app.add_subcommand(
      "evaluate", "Score a `replay` CSV table with a model; report AUC ROC, average precision, precision@k per day "
                  "per account, precision/recall at the thresholds");
  sub->add_option("-m,--model", flags->model, "Model file (XGBoost JSON, with feature names)")->required();
  sub->add_option("-i,--input", flags->input, "Table: the CSV written by `pixguard replay -o TABLE.csv`")->required();
  sub->add_option("--from", flags->from, "Evaluate rows with event_time >= this (RFC 3339, or YYYY-MM-DD local)");
  sub->add_option("--to", flags->to, "... and < this (RFC 3339, or YYYY-MM-DD: local midnight)");
  sub->add_option("-c,--config", flags->config, "Config whose context.time_zone the days are in")->capture_default_str();
  sub->add_option("--time-zone", flags->time_zone,
                  "Zone of the days of precision@k and of YYYY-MM-DD dates (default: the config's context.time_zone)");
  sub->add_option("--known-compromised-before", flags->known_compromised_before,
                  "Leave out the payer accounts with a fraud before this time (RFC 3339 or YYYY-MM-DD), as the "
                  "standard protocol does: train window, a delay, then the test window (--from)");
  sub->add_option("--k", flags->k, "Accounts investigated per day, for precision@k")->capture_default_str();
  sub->add_option("--review-threshold", flags->review_threshold, "Score at or above which a transfer is reviewed")
      ->capture_default_str();
  sub->add_option("--block-threshold", flags->block_threshold, "Score at or above which a transfer is blocked")
      ->capture_default_str();
  sub->add_option("--plot", flags->plot, "Write the precision-recall and ROC curves to this PNG file");
  sub->add_flag("--json", flags->json, "Print the report as one JSON object (precision@k per day included)");

  return [flags]() -> int {
    const Flags& f = *flags;
    if (f.k < 1) {
      std::fprintf(stderr, "pixguard: --k: must be at least 1\n");
      return kExitUsage;
    }
    auto probability = [](double v) { return v >= 0 && v <= 1; };
    if (!probability(f.review_threshold) || !probability(f.block_threshold) ||
        f.review_threshold > f.block_threshold) {
      std::fprintf(stderr, "pixguard: --review-threshold and --block-threshold must be in [0, 1], review <= block "
                   "(got %g and %g)\n", f.review_threshold, f.block_threshold);
      return kExitUsage;
    }
    EvaluationOptions options;
    options.k = f.k;
    options.review_threshold = f.review_threshold;
    options.block_threshold = f.block_threshold;
    if (!f.time_zone.empty()) {
      if (Status s = TimeZone::load(f.time_zone, &options.zone); !s.ok()) {
        return report_error(Status::InvalidArgument("--time-zone: " + s.message()));
      }
    } else {
      Config config;
      if (!load_config_or_report(f.config, &config)) return kExitUsage;
      options.zone = config.context_zone;
    }
    TrainingTableOptions read_options;
    if (!f.from.empty()) {
      if (Status s = parse_time_bound(f.from, options.zone, "--from", &read_options.window.from_us); !s.ok()) {
        return report_error(s);
      }
    }
    if (!f.to.empty()) {
      if (Status s = parse_time_bound(f.to, options.zone, "--to", &read_options.window.to_us); !s.ok()) {
        return report_error(s);
      }
    }
    if (read_options.window.from_us >= read_options.window.to_us) {
      std::fprintf(stderr, "pixguard: --from must be before --to\n");
      return kExitUsage;
    }

    std::unique_ptr<TableScorer> scorer;
    if (Status s = kLoadScorer(f.model, &scorer); !s.ok()) return report_error(s);
    // The model's own inputs, by name: the table's column order never matters.
    read_options.feature_names = scorer->feature_names();
    TrainingTable table;
    if (Status s = read_training_table(f.input, read_options, &table); !s.ok()) return report_error(s);
    if (table.rows() == 0) {
      std::fprintf(stderr, "pixguard: %s: no labelled rows in the evaluation window (%zu rows read, %zu outside the "
                   "window, %zu unlabelled)\n", f.input.c_str(), table.rows_read, table.rows_outside_window,
                   table.rows_unlabelled);
      return kExitUsage;
    }
    std::size_t known_accounts = 0;
    if (!f.known_compromised_before.empty()) {
      TrainingTableOptions earlier = read_options;
      earlier.window = {};
      if (Status s = parse_time_bound(f.known_compromised_before, options.zone, "--known-compromised-before",
                                      &earlier.window.to_us);
          !s.ok()) {
        return report_error(s);
      }
      TrainingTable before;
      if (Status s = read_training_table(f.input, earlier, &before); !s.ok()) return report_error(s);
      const std::vector<std::string> known = payers_with_fraud(before);
      known_accounts = known.size();
      drop_payers(known, &table);
      if (table.rows() == 0) {
        std::fprintf(stderr, "pixguard: %s: every row of the window belongs to an account known compromised\n",
                     f.input.c_str());
        return kExitUsage;
      }
    }
    std::vector<float> scores;
    if (Status s = scorer->score(table.features.data(), table.rows(), &scores); !s.ok()) return report_error(s);

    Evaluation e = evaluate_scores(table, scores, options);
    e.model_path = f.model;
    e.scorer = scorer->description();
    e.input_path = f.input;
    e.from_flag = f.from;
    e.to_flag = f.to;
    e.known_compromised_flag = f.known_compromised_before;
    e.accounts_known_compromised = known_accounts;
    if (e.frauds == 0) {
      std::fprintf(stderr, "pixguard: warning: no fraud in the evaluation window: AUC and precision are undefined\n");
    }

    if (!f.plot.empty()) {
      CurvesPlot plot;
      plot.precision_recall = precision_recall_curve(scores, table.labels);
      plot.roc = roc_curve(scores, table.labels);
      plot.average_precision = e.average_precision;
      plot.auc = e.auc;
      plot.fraud_rate = static_cast<double>(e.frauds) / static_cast<double>(e.rows);
      const double negatives = static_cast<double>(e.rows - e.frauds);
      for (const auto& [name, m] : {std::pair{"REVIEW", e.review}, std::pair{"BLOCK", e.block}}) {
        char label[48];
        std::snprintf(label, sizeof label, "%s %g", name, m.threshold);
        const double fpr = negatives > 0 ? static_cast<double>(m.flagged - m.true_positives) / negatives : NAN;
        plot.operating_points.push_back({label, m.recall, m.precision, fpr});
      }
      plot.caption = std::to_string(e.rows) + " ROWS  " + std::to_string(e.frauds) + " FRAUDS  " +
                     day_text(e.first_event_us, options.zone) + " TO " + day_text(e.last_event_us, options.zone) +
                     "  P@" + std::to_string(f.k) + " " +
                     (std::isnan(e.at_k.mean) ? std::string("N/A") : std::to_string(e.at_k.mean).substr(0, 6));
      if (Status s = write_curves_png(f.plot, plot); !s.ok()) return report_error(s);
      e.plot_path = f.plot;
    }

    if (f.json) {
      std::fputs(evaluation_json(e).c_str(), stdout);
    } else {
      std::fputs(evaluation_text(e).c_str(), stdout);
    }
    std::fflush(stdout);
    return kExitOk;
  };
}

}  // namespace pixguard::cli
