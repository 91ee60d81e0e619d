#include "ops/prometheus_text.h"

#include <cstdio>

namespace pixguard {
namespace {

class Exposition {
 public:
  // Starts a metric family.
  void family(const char* name, const char* type, const char* help) {
    family_ = name;
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  // One sample of the current family; `labels` is already rendered ("a=\"x\",b=\"y\"").
  void sample(double value, const std::string& labels = "", const char* suffix = "") {
    out_ += family_;
    out_ += suffix;
    if (!labels.empty()) out_ += "{" + labels + "}";
    char text[64];
    std::snprintf(text, sizeof text, " %.17g\n", value);
    out_ += text;
  }
  std::string& text() { return out_; }

 private:
  std::string out_;
  const char* family_ = "";
};

// A label pair, its value escaped as the format requires (backslash, quote, newline).
std::string label(const char* name, std::string_view value) {
  std::string out = std::string(name) + "=\"";
  for (const char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string format_bound(double b) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", b);
  return text;
}

// The _bucket, _sum and _count samples of one histogram series; `labels` ("" or "a=\"b\"")
// go on each.
template <typename H>
void histogram(Exposition& e, const H& h, const std::string& labels) {
  const std::string prefix = labels.empty() ? "" : labels + ",";
  uint64_t cumulative = 0;
  for (std::size_t i = 0; i < H::kBounds.size(); ++i) {
    cumulative += h.counts[i];
    e.sample(static_cast<double>(cumulative), prefix + label("le", format_bound(H::kBounds[i])), "_bucket");
  }
  e.sample(static_cast<double>(h.count), prefix + label("le", "+Inf"), "_bucket");
  e.sample(h.sum, labels, "_sum");
  e.sample(static_cast<double>(h.count), labels, "_count");
}

}  // namespace

std::string prometheus_text(const MetricsSample& s, int64_t now_unix_us) {
  const Accounting& a = s.accounting;
  Exposition e;
  const auto counter = [&](const char* name, const char* help, uint64_t value) {
    e.family(name, "counter", help);
    e.sample(static_cast<double>(value));
  };
  const auto gauge = [&](const char* name, const char* help, double value) {
    e.family(name, "gauge", help);
    e.sample(value);
  };
  counter("pixguard_transactions_in_total", "Messages read from the source (since the first checkpoint).", a.in);
  counter("pixguard_transactions_scored_total", "Transactions scored and decided.", a.scored);
  counter("pixguard_duplicates_total", "Messages dropped as repeats of an end_to_end_id.", a.duplicates);
  counter("pixguard_late_events_total", "Scored transactions older than the watermark.", a.late);
  counter("pixguard_amounts_rounded_total", "Amounts rounded to the centavo (input.amount.decimals: round).",
          a.amounts_rounded);
  counter("pixguard_payee_topic_forwarded_total", "Transactions sent to the payee topic (state.payees: repartition).",
          a.forwarded);
  counter("pixguard_payee_topic_received_total", "Transactions taken from the payee topic and scored here.", a.received);
  e.family("pixguard_dead_letters_total", "counter", "Messages rejected at decode or validation, by field and rule.");
  for (const auto& [reason, n] : a.dead_letters_by_reason) {
    e.sample(static_cast<double>(n), label("field", reason.first.empty() ? "-" : reason.first) + "," +
                                         label("rule", reason.second));
  }
  e.family("pixguard_decisions_total", "counter", "Decisions by outcome.");
  const char* outcomes[] = {"allow", "review", "block"};
  for (std::size_t i = 0; i < 3; ++i) e.sample(static_cast<double>(a.outcomes[i]), label("outcome", outcomes[i]));
  e.family("pixguard_rule_fired_total", "counter", "Transactions on which each rule fired.");
  for (std::size_t i = 0; i < s.rule_names.size() && i < a.rules_fired.size(); ++i) {
    e.sample(static_cast<double>(a.rules_fired[i]), label("rule", s.rule_names[i]));
  }
  e.family("pixguard_stage_seconds_total", "counter", "Time spent in each pipeline stage by this process.");
  for (std::size_t i = 0; i < StageTimes::kCount; ++i) {
    e.sample(static_cast<double>(a.stage_times.nanos[i]) / 1e9, label("stage", StageTimes::kNames[i]));
  }
  e.family("pixguard_decision_latency_seconds", "histogram",
           "Per transaction, from its arrival at the source to its decision handed to the sinks.");
  histogram(e, s.decision, "");
  e.family("pixguard_commit_latency_seconds", "histogram",
           "Per transaction, from its arrival at the source to the commit of its epoch's outputs.");
  histogram(e, s.commit, "");
  e.family("pixguard_stage_latency_seconds", "histogram",
           "Time in each stage per transaction (the stage's time on a batch over its transactions).");
  for (std::size_t i = 0; i < StageTimes::kCount; ++i) histogram(e, s.stages[i], label("stage", StageTimes::kNames[i]));
  e.family("pixguard_end_to_end_latency_seconds", "histogram",
           "From the input message's source timestamp (Kafka) to its decision, before the output commits.");
  histogram(e, s.end_to_end, "");
  e.family("pixguard_score", "histogram", "Model scores of the transactions scored by this process.");
  histogram(e, a.scores, "");

  e.family("pixguard_state_keys", "gauge", "Keys with feature history, by key scope.");
  e.sample(static_cast<double>(a.state.payer_keys), label("scope", "payer"));
  e.sample(static_cast<double>(a.state.payee_keys), label("scope", "payee"));
  gauge("pixguard_state_events", "Events held in the feature histories.", static_cast<double>(a.state.events));
  gauge("pixguard_state_bytes", "Approximate memory of the feature state.", static_cast<double>(a.state.approx_bytes));
  counter("pixguard_state_evicted_keys_total", "Keys evicted at state.max_keys.", a.state.evicted_keys);
  gauge("pixguard_dedupe_ids", "end_to_end_ids remembered for deduplication.", static_cast<double>(a.state.dedupe_ids));
  counter("pixguard_dedupe_evictions_total", "Ids forgotten at dedupe.max_entries.", a.state.dedupe_evictions);
  gauge("pixguard_epoch", "The current checkpoint epoch.", static_cast<double>(s.epoch));
  if (s.watermark_us != 0) {
    gauge("pixguard_watermark_timestamp_seconds", "The event-time watermark.", static_cast<double>(s.watermark_us) / 1e6);
    gauge("pixguard_watermark_delay_seconds", "How far the watermark trails the wall clock (live input; large in replays).",
          static_cast<double>(now_unix_us - s.watermark_us) / 1e6);
  }
  // Declared from the start; samples once there is a checkpoint.
  const bool checkpointed = s.checkpoint_written_unix_us != 0;
  e.family("pixguard_checkpoint_duration_seconds", "gauge", "Duration of the last checkpoint write.");
  if (checkpointed) e.sample(s.checkpoint_seconds);
  e.family("pixguard_checkpoint_bytes", "gauge", "Size of the last checkpoint.");
  if (checkpointed) e.sample(static_cast<double>(s.checkpoint_bytes));
  e.family("pixguard_checkpoint_age_seconds", "gauge", "Time since the last checkpoint was written.");
  if (checkpointed) e.sample(static_cast<double>(now_unix_us - s.checkpoint_written_unix_us) / 1e6);
  // Always declared, so that rules and dashboards find the family; samples only for Kafka.
  e.family("pixguard_consumer_lag_messages", "gauge", "Messages between the consumer's position and the end, per partition.");
  for (const SourceBacklog& b : s.backlog) {
    if (b.messages >= 0) e.sample(static_cast<double>(b.messages), label("partition", b.part));
  }
  e.family("pixguard_model_info", "gauge", "The model serving (1 for its version).");
  e.sample(1, label("version", s.model_version.empty() ? "none" : s.model_version));
  gauge("pixguard_ready", "1 once state is restored and the source serves input.", s.ready ? 1 : 0);
  gauge("pixguard_accounting_balanced", "1 while in + received = scored + dead letters + duplicates + held + forwarded.",
        a.balanced() ? 1 : 0);
  gauge("pixguard_held_transactions", "Transactions waiting for the payee merge (the payee topic's: at epoch ends).",
        static_cast<double>(a.held + a.state.payee_topic_held));
  gauge("pixguard_start_time_seconds", "When this process started its run.", static_cast<double>(s.started_unix_us) / 1e6);
  return std::move(e.text());
}

std::string preauth_prometheus_text(const PreauthSource& preauth) {
  const PreauthCounters& c = preauth.counters();
  const auto n = [](const std::atomic<uint64_t>& v) { return static_cast<double>(v.load(std::memory_order_relaxed)); };
  Exposition e;
  e.family("pixguard_preauth_answers_total", "counter", "Answers of POST /v1/score by HTTP status and kind.");
  e.sample(n(c.decided), "status=\"200\",kind=\"decided\"");
  e.sample(n(c.repeated), "status=\"200\",kind=\"repeated\"");
  e.sample(n(c.rejected), "status=\"400\",kind=\"invalid\"");
  e.sample(n(c.conflicts), "status=\"409\",kind=\"decided_before\"");
  e.sample(n(c.overloaded), "status=\"503\",kind=\"overloaded\"");
  e.sample(n(c.timed_out), "status=\"503\",kind=\"timeout\"");
  e.family("pixguard_preauth_replayed_total", "counter", "Journaled requests replayed after a restart, with their answers.");
  e.sample(n(c.replayed));
  e.family("pixguard_preauth_replay_mismatches_total", "counter",
           "Replayed requests no longer decided as answered (config changed); each is logged.");
  e.sample(n(c.replay_mismatches));
  e.family("pixguard_preauth_answer_seconds", "histogram", "From a request's arrival to its answer.");
  histogram(e, preauth.answer_latency(), "");
  return std::move(e.text());
}

}  // namespace pixguard
