// Fuzzes the YAML config loader (load_config) with the input as the file's content; it only
// reads from a path, so each run rewrites one temporary file of this process. Checked beyond
// "no sanitizer report" (an exception escaping load_config also ends the run as a crash):
//  - a refused config is an InvalidArgument whose message starts with the file's path;
//  - an accepted config holds only values inside the ranges docs/configuration.md gives;
//  - parse_duration over the raw input agrees with a plain reading of "<digits><unit>".
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "config/config.h"
#include "fuzz/fuzz_checks.h"

namespace pixguard::fuzz {
namespace {

class TempFile {
 public:
  TempFile() {
    char name[] = "/tmp/pixguard_config_fuzz_XXXXXX";
    fd_ = ::mkstemp(name);
    if (fd_ < 0) {
      std::perror("mkstemp");
      std::abort();
    }
    path_ = name;
  }
  ~TempFile() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }

  void write(const uint8_t* data, std::size_t size) {
    PIXGUARD_FUZZ_CHECK(::ftruncate(fd_, 0) == 0);
    std::size_t done = 0;
    while (done < size) {
      const ssize_t n = ::pwrite(fd_, data + done, size - done, static_cast<off_t>(done));
      PIXGUARD_FUZZ_CHECK(n > 0);
      done += static_cast<std::size_t>(n);
    }
  }
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

// "<digits><unit>" read plainly, or -1.
int64_t plain_duration(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  if (i == 0 || i > 12) return -1;  // no overflow to think about
  int64_t v = 0;
  for (std::size_t k = 0; k < i; ++k) v = v * 10 + (s[k] - '0');
  const std::string_view unit = s.substr(i);
  int64_t scale = 0;
  if (unit == "ms") scale = 1000;
  if (unit == "s") scale = 1'000'000;
  if (unit == "m") scale = 60'000'000;
  if (unit == "h") scale = 3'600'000'000;
  if (unit == "d") scale = 86'400'000'000;
  if (scale == 0 || v > INT64_MAX / scale) return -1;  // beyond int64 microseconds: refused
  return v * scale;
}

// The loader's cap on every duration (event-time arithmetic must not overflow).
constexpr int64_t kMaxDurationUs = 36'500LL * 86'400'000'000;

void check_config(const Config& c) {
  PIXGUARD_FUZZ_CHECK(c.batch_size >= 1 && c.batch_size <= (1u << 20));
  PIXGUARD_FUZZ_CHECK(c.checkpoint.interval_us >= 1000);
  PIXGUARD_FUZZ_CHECK(c.checkpoint.keep >= 1 && c.checkpoint.keep <= 1000);
  PIXGUARD_FUZZ_CHECK(c.state_limits.max_keys >= 1 && c.state_limits.max_events_per_key >= 1);
  PIXGUARD_FUZZ_CHECK(c.max_message_bytes >= 64 && c.max_message_bytes <= (1ull << 30));
  PIXGUARD_FUZZ_CHECK(c.source.csv_delimiter != '"' && c.source.csv_delimiter != '\n');
  if (c.source.type == SourceConfig::Type::kFile) PIXGUARD_FUZZ_CHECK(!c.source.path.empty());
  const GeneratorOptions& g = c.source.generator;
  for (const double share : {g.fraud_share, g.invalid_share, g.duplicate_share, g.late_share}) {
    PIXGUARD_FUZZ_CHECK(share >= 0 && share <= 0.5);
  }
  for (const int64_t d : {c.validation.max_future_us, c.validation.max_past_us, c.allowed_lateness_us,
                          c.dedupe.horizon_us, c.checkpoint.interval_us, c.model_poll_interval_us,
                          c.label_timing.known_after_us}) {
    PIXGUARD_FUZZ_CHECK(d >= 0 && d <= kMaxDurationUs);
  }
  PIXGUARD_FUZZ_CHECK(c.dedupe.max_entries >= 1);
  PIXGUARD_FUZZ_CHECK(c.model_poll_interval_us >= 10'000);
  PIXGUARD_FUZZ_CHECK(c.context.night_start_minute >= 0 && c.context.night_start_minute < 24 * 60);
  PIXGUARD_FUZZ_CHECK(c.context.night_end_minute >= 0 && c.context.night_end_minute < 24 * 60);
  const DecisionOptions& d = c.decision;
  PIXGUARD_FUZZ_CHECK(0 <= d.review_threshold && d.review_threshold <= d.block_threshold && d.block_threshold <= 1);
  std::set<std::string> names;
  for (const FeatureSpec& f : c.features) {
    PIXGUARD_FUZZ_CHECK(names.insert(f.name).second);
    PIXGUARD_FUZZ_CHECK(f.window_us >= 0 && f.window_us <= kMaxDurationUs);
    PIXGUARD_FUZZ_CHECK(f.delay_us >= 0 && f.delay_us <= kMaxDurationUs);
    if (feature_kind_needs_window(f.kind)) PIXGUARD_FUZZ_CHECK(f.window_us > 0);
    if (feature_kind_needs_key(f.kind)) PIXGUARD_FUZZ_CHECK(f.scope != KeyScope::kNone);
    if (f.kind == FeatureKind::kFraudCount || f.kind == FeatureKind::kFraudRate) PIXGUARD_FUZZ_CHECK(!f.include_current);
  }
  names.clear();
  for (const RuleSpec& r : d.rules) {
    PIXGUARD_FUZZ_CHECK(names.insert(r.name).second);
    PIXGUARD_FUZZ_CHECK(r.score == -1 || (r.score >= 0 && r.score <= 1));  // -1: the action's default
  }
  // What load_config accepts, the decider accepts.
  std::unique_ptr<Decider> decider;
  PIXGUARD_FUZZ_CHECK(Decider::create(c.decision, c.features, &decider).ok());
  // The validator takes the options as they are.
  const Validator validator(c.validation);
  PIXGUARD_FUZZ_CHECK(validator.options().max_past_us == c.validation.max_past_us);
}

}  // namespace
}  // namespace pixguard::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace pixguard;
  using namespace pixguard::fuzz;
  if (size > 16 * 1024) return 0;  // configs are small; big inputs only slow the YAML parser
  static TempFile* file = [] {
    static TempFile f;  // destroyed (and unlinked) at exit
    return &f;
  }();

  const std::string_view text(reinterpret_cast<const char*>(data), size);
  int64_t micros = -1;
  const int64_t plain = plain_duration(text);
  if (parse_duration(text, &micros)) {
    PIXGUARD_FUZZ_CHECK(micros >= 0);
    if (plain >= 0) PIXGUARD_FUZZ_CHECK(micros == plain);
  } else {
    PIXGUARD_FUZZ_CHECK(plain < 0);
  }

  file->write(data, size);
  Config config;
  const Status st = load_config(file->path(), &config);
  if (!st.ok()) {
    PIXGUARD_FUZZ_CHECK(st.code() == StatusCode::kInvalidArgument);
    PIXGUARD_FUZZ_CHECK(st.message().rfind(file->path() + ":", 0) == 0);
    return 0;
  }
  PIXGUARD_FUZZ_CHECK(config.path == file->path());
  check_config(config);
  return 0;
}
