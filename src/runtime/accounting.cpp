#include "runtime/accounting.h"

#include <fmt/format.h>

#include <algorithm>
#include <mutex>
#include <set>

#include "core/json_writer.h"

namespace pixguard {
namespace {
constexpr std::array<const char*, 3> kOutcomes = {"allow", "review", "block"};

// Dead-letter reasons are counted by views of static names; restored ones need storage
// that lives as long, shared by equal names.
std::string_view intern(std::string_view name) {
  static std::mutex mu;
  static std::set<std::string, std::less<>> names;
  std::lock_guard lock(mu);
  auto it = names.find(name);
  if (it == names.end()) it = names.emplace(name).first;
  return *it;
}

std::string reason_name(const std::pair<std::string_view, std::string_view>& r) {
  return r.first.empty() ? std::string(r.second) : fmt::format("{}: {}", r.first, r.second);
}
}  // namespace

void save_accounting(const Accounting& a, const std::vector<std::string>& rule_names, ByteWriter* out) {
  for (uint64_t v : {a.in, a.scored, a.dead_letters, a.duplicates, a.late, a.forwarded, a.received, a.amounts_rounded}) {
    out->put(v);
  }
  for (uint64_t v : a.outcomes) out->put(v);
  const std::size_t rules = std::min(a.rules_fired.size(), rule_names.size());
  out->put<uint64_t>(rules);
  for (std::size_t i = 0; i < rules; ++i) {
    out->put_string(rule_names[i]);
    out->put(a.rules_fired[i]);
  }
  out->put<uint64_t>(a.dead_letters_by_reason.size());
  for (const auto& [reason, n] : a.dead_letters_by_reason) {
    out->put_string(reason.first);
    out->put_string(reason.second);
    out->put(n);
  }
}

bool load_accounting(ByteReader* in, const std::vector<std::string>& rule_names, Accounting* a) {
  for (uint64_t* v : {&a->in, &a->scored, &a->dead_letters, &a->duplicates, &a->late, &a->forwarded, &a->received,
                      &a->amounts_rounded}) {
    *v = in->get<uint64_t>();
  }
  for (uint64_t& v : a->outcomes) v = in->get<uint64_t>();
  const uint64_t rules = in->get_count(2 * sizeof(uint64_t));
  for (uint64_t i = 0; i < rules; ++i) {
    const std::string name = in->get_string();
    const uint64_t fired = in->get<uint64_t>();
    // A rule removed since the checkpoint takes its count with it.
    const auto at = std::find(rule_names.begin(), rule_names.end(), name);
    if (at != rule_names.end() && static_cast<std::size_t>(at - rule_names.begin()) < a->rules_fired.size()) {
      a->rules_fired[static_cast<std::size_t>(at - rule_names.begin())] = fired;
    }
  }
  a->dead_letters_by_reason.clear();
  const uint64_t reasons = in->get_count(3 * sizeof(uint64_t));
  for (uint64_t i = 0; i < reasons; ++i) {
    const std::string field = in->get_string();
    const std::string rule = in->get_string();
    a->dead_letters_by_reason[{intern(field), intern(rule)}] = in->get<uint64_t>();
  }
  return !in->failed();
}

std::string accounting_text(const Accounting& a, const std::vector<std::string>& rule_names) {
  std::string s;
  const double rate = a.seconds > 0 ? static_cast<double>(a.in - a.resumed_in) / a.seconds : 0;
  s += fmt::format("in            {:>12}\n", a.in);
  if (a.resumed_in > 0) s += fmt::format("  resumed at  {:>12} (from a checkpoint)\n", a.resumed_in);
  s += fmt::format("scored        {:>12}\n", a.scored);
  s += fmt::format("dead letters  {:>12}\n", a.dead_letters);
  for (const auto& [reason, n] : a.dead_letters_by_reason) s += fmt::format("  {:<40} {:>10}\n", reason_name(reason), n);
  s += fmt::format("duplicates    {:>12}\n", a.duplicates);
  s += fmt::format("late events   {:>12}\n", a.late);
  if (a.amounts_rounded > 0) s += fmt::format("amounts rounded {:>10} (to the centavo: input.amount.decimals)\n", a.amounts_rounded);
  s += fmt::format("decisions     allow {}  review {}  block {}\n", a.outcomes[0], a.outcomes[1], a.outcomes[2]);
  for (std::size_t i = 0; i < a.rules_fired.size() && i < rule_names.size(); ++i) {
    if (a.rules_fired[i] > 0) s += fmt::format("  rule {:<35} {:>10}\n", rule_names[i], a.rules_fired[i]);
  }
  const StateSummary& st = a.state;
  s += fmt::format("state         {} payer keys, {} payee keys, {} events, ~{} MiB; {} dedupe ids\n", st.payer_keys,
                   st.payee_keys, st.events, st.approx_bytes >> 20, st.dedupe_ids);
  if (st.evicted_keys + st.dropped_events + st.dedupe_evictions > 0) {
    s += fmt::format("  memory bounds hit: {} keys evicted, {} events dropped, {} dedupe ids evicted\n", st.evicted_keys,
                     st.dropped_events, st.dedupe_evictions);
  }
  s += fmt::format("throughput    {:>12.0f} tx/s over {:.2f} s\n", rate, a.seconds);
  if (a.held > 0) s += fmt::format("held          {:>12} (waiting for the payee stage)\n", a.held);
  const bool payee_topic = a.forwarded + a.received > 0;
  if (payee_topic) {
    s += fmt::format("payee topic   {:>12} forwarded, {} received and scored here\n", a.forwarded, a.received);
  }
  s += fmt::format("balanced      {} ({}in = scored + dead letters + duplicates{}{}; what the sinks committed)\n",
                   a.balanced() ? "yes" : "NO", payee_topic ? "received + " : "", a.held > 0 ? " + held" : "",
                   payee_topic ? " + forwarded" : "");
  for (const std::string& m : a.sink_mismatches) s += "  sink disagrees: " + m + "\n";
  return s;
}

std::string accounting_json(const Accounting& a, const std::vector<std::string>& rule_names) {
  std::string s;
  JsonWriter w(&s);
  w.raw("{\"in\":");
  w.integer(static_cast<int64_t>(a.in));
  w.raw(",\"scored\":");
  w.integer(static_cast<int64_t>(a.scored));
  w.raw(",\"dead_letters\":");
  w.integer(static_cast<int64_t>(a.dead_letters));
  w.raw(",\"dead_letters_by_reason\":{");
  bool first = true;
  for (const auto& [reason, n] : a.dead_letters_by_reason) {
    if (!first) w.ch(',');
    first = false;
    w.key(reason_name(reason));
    w.integer(static_cast<int64_t>(n));
  }
  w.raw("},\"duplicates\":");
  w.integer(static_cast<int64_t>(a.duplicates));
  w.raw(",\"late\":");
  w.integer(static_cast<int64_t>(a.late));
  w.raw(",\"decisions\":{");
  for (std::size_t i = 0; i < 3; ++i) {
    if (i > 0) w.ch(',');
    w.key(kOutcomes[i]);
    w.integer(static_cast<int64_t>(a.outcomes[i]));
  }
  w.raw("},\"rules_fired\":{");
  for (std::size_t i = 0; i < a.rules_fired.size() && i < rule_names.size(); ++i) {
    if (i > 0) w.ch(',');
    w.key(rule_names[i]);
    w.integer(static_cast<int64_t>(a.rules_fired[i]));
  }
  w.raw("},\"state\":{");
  const std::pair<const char*, uint64_t> state[] = {
      {"payer_keys", a.state.payer_keys},     {"payee_keys", a.state.payee_keys},
      {"events", a.state.events},             {"approx_bytes", a.state.approx_bytes},
      {"evicted_keys", a.state.evicted_keys}, {"dropped_events", a.state.dropped_events},
      {"dedupe_ids", a.state.dedupe_ids},     {"dedupe_evictions", a.state.dedupe_evictions}};
  for (std::size_t i = 0; i < std::size(state); ++i) {
    if (i > 0) w.ch(',');
    w.key(state[i].first);
    w.integer(static_cast<int64_t>(state[i].second));
  }
  w.raw("},\"stage_seconds\":{");
  for (std::size_t i = 0; i < StageTimes::kCount; ++i) {
    if (i > 0) w.ch(',');
    w.key(StageTimes::kNames[i]);
    w.number(static_cast<double>(a.stage_times.nanos[i]) / 1e9);
  }
  w.raw("},\"seconds\":");
  w.number(a.seconds);
  w.raw(",\"resumed_in\":");
  w.integer(static_cast<int64_t>(a.resumed_in));
  w.raw(",\"throughput_per_second\":");
  w.number(a.seconds > 0 ? static_cast<double>(a.in - a.resumed_in) / a.seconds : 0.0);
  w.raw(",\"held\":");
  w.integer(static_cast<int64_t>(a.held));
  w.raw(",\"amounts_rounded\":");
  w.integer(static_cast<int64_t>(a.amounts_rounded));
  w.raw(",\"forwarded\":");
  w.integer(static_cast<int64_t>(a.forwarded));
  w.raw(",\"received\":");
  w.integer(static_cast<int64_t>(a.received));
  w.raw(",\"sink_mismatches\":[");
  for (std::size_t i = 0; i < a.sink_mismatches.size(); ++i) {
    if (i > 0) w.ch(',');
    w.string(a.sink_mismatches[i]);
  }
  w.raw("],\"balanced\":");
  w.raw(a.balanced() ? "true" : "false");
  w.ch('}');
  return s;
}

}  // namespace pixguard
