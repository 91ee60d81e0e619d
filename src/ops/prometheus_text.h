#pragma once
// A metrics sample in the Prometheus text exposition format (version 0.0.4): conventional
// names (pixguard_*, _total for counters, base units), HELP and TYPE lines, escaped labels.
// The series are listed in docs/operations.md.
#include <cstdint>
#include <string>

#include "preauth/preauth_source.h"
#include "runtime/live_metrics.h"

namespace pixguard {

// `now_unix_us` dates the ages (checkpoint age).
std::string prometheus_text(const MetricsSample& sample, int64_t now_unix_us);
// The pre-authorization API's series (pixguard serve): answers by status and kind, refusals,
// replays and the answer latency.
std::string preauth_prometheus_text(const PreauthSource& preauth);

}  // namespace pixguard
