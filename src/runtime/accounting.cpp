#include "runtime/accounting.h"

#include <fmt/format.h>

#include "core/json_writer.h"

namespace pixguard {
namespace {
constexpr std::array<const char*, 3> kOutcomes = {"allow", "review", "block"};

std::string reason_name(const std::pair<std::string_view, std::string_view>& r) {
  return r.first.empty() ? std::string(r.second) : fmt::format("{}: {}", r.first, r.second);
}
}  // namespace

std::string accounting_text(const Accounting& a, const std::vector<std::string>& rule_names) {
  std::string s;
  const double rate = a.seconds > 0 ? static_cast<double>(a.in) / a.seconds : 0;
  s += fmt::format("in            {:>12}\n", a.in);
  s += fmt::format("scored        {:>12}\n", a.scored);
  s += fmt::format("dead letters  {:>12}\n", a.dead_letters);
  for (const auto& [reason, n] : a.dead_letters_by_reason) s += fmt::format("  {:<40} {:>10}\n", reason_name(reason), n);
  s += fmt::format("duplicates    {:>12}\n", a.duplicates);
  s += fmt::format("late events   {:>12}\n", a.late);
  s += fmt::format("decisions     allow {}  review {}  block {}\n", a.outcomes[0], a.outcomes[1], a.outcomes[2]);
  for (std::size_t i = 0; i < a.rules_fired.size() && i < rule_names.size(); ++i) {
    if (a.rules_fired[i] > 0) s += fmt::format("  rule {:<35} {:>10}\n", rule_names[i], a.rules_fired[i]);
  }
  s += fmt::format("throughput    {:>12.0f} tx/s over {:.2f} s\n", rate, a.seconds);
  s += fmt::format("balanced      {} (in = scored + dead letters + duplicates)\n", a.balanced() ? "yes" : "NO");
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
  w.raw("},\"stage_seconds\":{");
  for (std::size_t i = 0; i < StageTimes::kCount; ++i) {
    if (i > 0) w.ch(',');
    w.key(StageTimes::kNames[i]);
    w.number(static_cast<double>(a.stage_times.nanos[i]) / 1e9);
  }
  w.raw("},\"seconds\":");
  w.number(a.seconds);
  w.raw(",\"throughput_per_second\":");
  w.number(a.seconds > 0 ? static_cast<double>(a.in) / a.seconds : 0.0);
  w.raw(",\"balanced\":");
  w.raw(a.balanced() ? "true" : "false");
  w.ch('}');
  return s;
}

}  // namespace pixguard
