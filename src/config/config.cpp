// YAML config loading. Every value is checked here, once, with an error that names the
// file, the line and the key path; nothing downstream re-validates configuration.
#include "config/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <set>
#include <stdexcept>
#include <filesystem>
#include <thread>

#include "core/timestamp.h"
#include "kafka/kafka_handle.h"
#include "enrich/profile_store.h"
#include "lists/list_store.h"
#include "validate/normalizer.h"

namespace pixguard {
namespace {

// Thrown inside this file only; load_config() turns it into a Status.
struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const YAML::Node& at, const std::string& key, const std::string& message) const {
    const int line = at.IsDefined() && at.Mark().line >= 0 ? at.Mark().line + 1 : 0;
    throw ConfigError(file_ + ":" + (line > 0 ? std::to_string(line) + ": " : " ") + key + ": " + message);
  }

  // Rejects keys outside `known`, so that a typo is an error rather than a silent default.
  void only(const YAML::Node& map, const std::string& path, std::initializer_list<const char*> known) const {
    if (!map.IsDefined() || map.IsNull()) return;
    if (!map.IsMap()) fail(map, path, "expected a mapping of keys to values");
    std::set<std::string> seen;
    for (const auto& kv : map) {
      const std::string k = kv.first.as<std::string>();
      // yaml-cpp keeps the first of two equal keys: a silent surprise in a money system.
      if (!seen.insert(k).second) fail(kv.first, path.empty() ? k : path + "." + k, "key given twice");
      bool ok = false;
      std::string list;
      for (const char* name : known) {
        ok = ok || k == name;
        list += list.empty() ? name : std::string(", ") + name;
      }
      if (!ok) fail(kv.first, path.empty() ? k : path + "." + k, "unknown key (known: " + list + ")");
    }
  }

  std::string str(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar()) fail(n, key, "expected a single value");
    return n.as<std::string>();
  }

  bool boolean(const YAML::Node& n, const std::string& key) const {
    const std::string s = str(n, key);
    if (s == "true" || s == "yes" || s == "on") return true;
    if (s == "false" || s == "no" || s == "off") return false;
    fail(n, key, "expected true or false, got '" + s + "'");
  }

  double number(const YAML::Node& n, const std::string& key, double min, double max) const {
    const std::string s = str(n, key);
    double v = 0;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec != std::errc{} || r.ptr != s.data() + s.size()) fail(n, key, "expected a number, got '" + s + "'");
    if (v < min || v > max) fail(n, key, "must be between " + fmt_num(min) + " and " + fmt_num(max));
    return v;
  }

  uint64_t count(const YAML::Node& n, const std::string& key, uint64_t min, uint64_t max) const {
    const std::string s = str(n, key);
    uint64_t v = 0;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec != std::errc{} || r.ptr != s.data() + s.size()) fail(n, key, "expected a whole number, got '" + s + "'");
    if (v < min || v > max) fail(n, key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return v;
  }

  int64_t duration(const YAML::Node& n, const std::string& key) const {
    const std::string s = str(n, key);
    int64_t us = 0;
    if (!parse_duration(s, &us)) fail(n, key, "invalid duration '" + s + "' (expected e.g. 250ms, 90s, 5m, 24h, 30d)");
    // Event-time arithmetic (watermark - horizon, t - window - delay) must not overflow
    // int64 microseconds: a century is far beyond any sensible window.
    constexpr int64_t kMaxDurationUs = 36'500LL * 86'400'000'000;
    if (us > kMaxDurationUs) fail(n, key, "duration '" + s + "' is longer than the limit of 36500d (100 years)");
    return us;
  }

  // "HH:MM" -> minutes after midnight.
  int clock_minutes(const YAML::Node& n, const std::string& key) const {
    const std::string s = str(n, key);
    if (s.size() != 5 || s[2] != ':' || !isdigit(s[0]) || !isdigit(s[1]) || !isdigit(s[3]) || !isdigit(s[4])) {
      fail(n, key, "expected a local time as HH:MM, got '" + s + "'");
    }
    const int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 23 || m > 59) fail(n, key, "no such time of day: '" + s + "'");
    return h * 60 + m;
  }

  TimeZone zone(const YAML::Node& n, const std::string& key) const {
    TimeZone z;
    if (Status s = TimeZone::load(str(n, key), &z); !s.ok()) fail(n, key, s.message());
    return z;
  }

 private:
  static bool isdigit(char c) { return c >= '0' && c <= '9'; }
  static std::string fmt_num(double v) {
    std::string s = std::to_string(v);
    while (s.find('.') != std::string::npos && (s.back() == '0' || s.back() == '.')) {
      const bool dot = s.back() == '.';
      s.pop_back();
      if (dot) break;
    }
    return s;
  }
  std::string file_;
};

Field field_key(const Reader& r, const YAML::Node& at, const std::string& name, const std::string& path) {
  if (const auto f = field_from_name(name)) return *f;
  std::string known;
  for (const auto k : kFieldNames) known += (known.empty() ? "" : ", ") + std::string(k);
  r.fail(at, path + "." + name, "not a transaction field (known: " + known + ")");
}

// A field that identifies a party or a device: what lists and profiles are keyed by.
Field identity_field(const Reader& r, const YAML::Node& n, const std::string& path) {
  const auto f = field_from_name(r.str(n, path));
  if (!f || !listable_field(*f)) {
    r.fail(n, path, "expected payer.account, payer.document, payee.key, payee.account, payee.document, device_id or ip");
  }
  return *f;
}

void read_pipeline(const Reader& r, const YAML::Node& n, Config* c) {
  if (!n) return;
  r.only(n, "pipeline", {"id", "batch_size", "max_message_bytes", "workers"});
  if (n["id"]) c->pipeline_id = r.str(n["id"], "pipeline.id");
  if (n["batch_size"]) c->batch_size = r.count(n["batch_size"], "pipeline.batch_size", 1, 1 << 20);
  if (n["workers"]) c->workers = r.count(n["workers"], "pipeline.workers", 0, 256);
  if (n["max_message_bytes"]) {
    c->max_message_bytes = r.count(n["max_message_bytes"], "pipeline.max_message_bytes", 64, 1ull << 30);
  }
}

void read_generator(const Reader& r, const YAML::Node& n, GeneratorOptions* g) {
  const std::string p = "source.generator";
  r.only(n, p, {"count", "seed", "start", "days", "payers", "payees", "fraud_share", "invalid_share",
                "duplicate_share", "late_share", "label_delay_days"});
  if (n["count"]) g->count = r.count(n["count"], p + ".count", 0, 1ull << 40);
  if (n["seed"]) g->seed = r.count(n["seed"], p + ".seed", 0, UINT64_MAX);
  if (n["start"]) {
    const std::string s = r.str(n["start"], p + ".start");
    if (parse_timestamp(s, TimestampFormat::kRfc3339, TimeZone(), &g->start_time_us) != TimestampError::kOk) {
      r.fail(n["start"], p + ".start", "expected an RFC 3339 time with offset, got '" + s + "'");
    }
  }
  if (n["days"]) g->days = static_cast<uint32_t>(r.count(n["days"], p + ".days", 1, 3650));
  if (n["payers"]) g->payers = static_cast<uint32_t>(r.count(n["payers"], p + ".payers", 10, 100'000'000));
  if (n["payees"]) g->payees = static_cast<uint32_t>(r.count(n["payees"], p + ".payees", 10, 100'000'000));
  if (n["fraud_share"]) g->fraud_share = r.number(n["fraud_share"], p + ".fraud_share", 0, 0.5);
  if (n["invalid_share"]) g->invalid_share = r.number(n["invalid_share"], p + ".invalid_share", 0, 0.5);
  if (n["duplicate_share"]) g->duplicate_share = r.number(n["duplicate_share"], p + ".duplicate_share", 0, 0.5);
  if (n["late_share"]) g->late_share = r.number(n["late_share"], p + ".late_share", 0, 0.5);
  if (n["label_delay_days"]) {
    g->label_delay_days = static_cast<uint32_t>(r.count(n["label_delay_days"], p + ".label_delay_days", 0, 365));
  }
}

void read_source(const Reader& r, const YAML::Node& n, Config* c) {
  if (!n) return;
  r.only(n, "source", {"type", "path", "format", "csv_delimiter", "generator"});
  SourceConfig& s = c->source;
  if (n["type"]) {
    const std::string t = r.str(n["type"], "source.type");
    if (t == "generator") {
      s.type = SourceConfig::Type::kGenerator;
    } else if (t == "file") {
      s.type = SourceConfig::Type::kFile;
    } else if (t == "kafka") {
      s.type = SourceConfig::Type::kKafka;
    } else if (t == "delta") {
      s.type = SourceConfig::Type::kDelta;
    } else {
      r.fail(n["type"], "source.type", "expected generator, file, kafka or delta, got '" + t + "'");
    }
  }
  if (n["path"]) s.path = r.str(n["path"], "source.path");
  if (n["format"]) {
    const std::string f = r.str(n["format"], "source.format");
    if (f == "jsonl" || f == "json") {
      s.format = InputFormat::kJsonLines;
    } else if (f == "csv") {
      s.format = InputFormat::kCsv;
    } else {
      r.fail(n["format"], "source.format", "expected jsonl or csv, got '" + f + "'");
    }
  }
  if (n["csv_delimiter"]) {
    const std::string d = r.str(n["csv_delimiter"], "source.csv_delimiter");
    if (d.size() != 1 || d[0] == '"' || d[0] == '\n') r.fail(n["csv_delimiter"], "source.csv_delimiter", "expected one character");
    s.csv_delimiter = d[0];
  }
  if (n["generator"]) read_generator(r, n["generator"], &s.generator);
  if (s.type == SourceConfig::Type::kFile && s.path.empty() && n.IsDefined()) {
    r.fail(n, "source.path", "required when source.type is file");
  }
  if (s.type == SourceConfig::Type::kDelta) {
    if (s.path.empty()) r.fail(n, "source.path", "required when source.type is delta (the table's directory)");
    if (n["format"]) r.fail(n["format"], "source.format", "not used when source.type is delta (a Delta table is Parquet)");
  }
  if (s.type == SourceConfig::Type::kKafka) {
    if (n["path"]) r.fail(n["path"], "source.path", "not used when source.type is kafka (see kafka.input_topics)");
    if (s.format == InputFormat::kCsv) r.fail(n["format"], "source.format", "a Kafka source reads JSON messages, not csv");
  }
}

// Kafka's rule for topic names: up to 249 of [a-zA-Z0-9._-], and not "." or "..".
std::string topic_name(const Reader& r, const YAML::Node& n, const std::string& key) {
  const std::string t = r.str(n, key);
  const bool legal = !t.empty() && t.size() <= 249 && t != "." && t != ".." &&
                     t.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
                         std::string::npos;
  if (!legal) r.fail(n, key, "'" + t + "' is not a Kafka topic name (1 to 249 of a-z A-Z 0-9 . _ -)");
  return t;
}

void read_kafka(const Reader& r, const YAML::Node& n, Config* c) {
  if (!n) return;
  r.only(n, "kafka", {"bootstrap_servers", "properties", "consumer_properties", "producer_properties", "group_id",
                      "instance", "input_topics", "topics", "payee_topic", "delivery"});
  KafkaConfig& k = c->kafka;
  if (n["bootstrap_servers"]) {
    k.bootstrap_servers = r.str(n["bootstrap_servers"], "kafka.bootstrap_servers");
    if (k.bootstrap_servers.empty()) r.fail(n["bootstrap_servers"], "kafka.bootstrap_servers", "must not be empty");
  }
  // librdkafka checks each name and value now, so that a typo fails here with its line
  // rather than when the job connects.
  const auto properties = [&](const char* section, KafkaProperties* out) {
    const YAML::Node props = n[section];
    if (!props || props.IsNull()) return;
    const std::string path = std::string("kafka.") + section;
    if (!props.IsMap()) r.fail(props, path, "expected a mapping of librdkafka properties to values");
    KafkaConfPtr scratch;
    (void)make_kafka_conf({}, &scratch);
    for (const auto& kv : props) {
      const std::string name = kv.first.as<std::string>();
      const std::string key = path + "." + name;
      if (out->count(name) != 0) r.fail(kv.first, key, "key given twice");
      if (const char* why = reserved_kafka_property(name)) {
        r.fail(kv.first, key, std::string("set by pixguard: ") + why);
      }
      const std::string value = r.str(kv.second, key);
      if (Status st = set_kafka_property(scratch.get(), name, value); !st.ok()) {
        // The key path already names the property: keep librdkafka's words only.
        const std::string& m = st.message();
        r.fail(kv.second, key, m.substr(m.find(": ") + 2));
      }
      (*out)[name] = value;
    }
  };
  properties("properties", &k.properties);
  properties("consumer_properties", &k.consumer_properties);
  properties("producer_properties", &k.producer_properties);
  if (n["group_id"]) {
    k.group_id = r.str(n["group_id"], "kafka.group_id");
    if (k.group_id.empty()) r.fail(n["group_id"], "kafka.group_id", "must not be empty");
  }
  if (n["instance"]) {
    k.instance = r.str(n["instance"], "kafka.instance");
    if (!valid_instance_name(k.instance)) {
      r.fail(n["instance"], "kafka.instance", "expected 1 to 64 letters, digits, '.', '_' or '-', got '" + k.instance + "'");
    }
  }
  if (const YAML::Node in = n["input_topics"]) {
    const std::string key = "kafka.input_topics";
    if (in.IsScalar()) {
      k.input_topics = {topic_name(r, in, key)};
    } else if (in.IsSequence() && in.size() > 0) {
      k.input_topics.clear();
      for (std::size_t i = 0; i < in.size(); ++i) {
        const std::string t = topic_name(r, in[i], key + "[" + std::to_string(i) + "]");
        for (const std::string& seen : k.input_topics) {
          if (seen == t) r.fail(in[i], key + "[" + std::to_string(i) + "]", "topic '" + t + "' listed twice");
        }
        k.input_topics.push_back(t);
      }
    } else {
      r.fail(in, key, "expected a topic or a non-empty list of topics");
    }
  }
  if (const YAML::Node t = n["topics"]) {
    r.only(t, "kafka.topics", {"scored", "alerts", "dead_letter"});
    // null or "": that output does not go to Kafka.
    const auto output = [&](const char* key, std::string* out) {
      const YAML::Node v = t[key];
      if (!v) return;
      const std::string path = std::string("kafka.topics.") + key;
      *out = v.IsNull() || (v.IsScalar() && v.Scalar().empty()) ? "" : topic_name(r, v, path);
    };
    output("scored", &k.scored_topic);
    output("alerts", &k.alerts_topic);
    output("dead_letter", &k.dead_letter_topic);
  }
  if (n["payee_topic"]) k.payee_topic = topic_name(r, n["payee_topic"], "kafka.payee_topic");
  if (n["delivery"]) {
    const std::string d = r.str(n["delivery"], "kafka.delivery");
    if (d == "exactly_once") {
      k.delivery = KafkaConfig::Delivery::kExactlyOnce;
    } else if (d == "at_least_once") {
      k.delivery = KafkaConfig::Delivery::kAtLeastOnce;
    } else {
      r.fail(n["delivery"], "kafka.delivery", "expected exactly_once or at_least_once, got '" + d + "'");
    }
  }
}

void read_alerting(const Reader& r, const YAML::Node& n, Config* c) {
  if (!n) return;
  r.only(n, "alerting", {"webhook", "kafka_topic", "rules"});
  AlertingConfig& a = c->alerting;
  if (n["webhook"] && !n["webhook"].IsNull()) {
    a.webhook = r.str(n["webhook"], "alerting.webhook");
    if (a.webhook.rfind("http://", 0) != 0 || a.webhook.find('/', 7) == std::string::npos) {
      r.fail(n["webhook"], "alerting.webhook", "expected http://host:port/path, got '" + a.webhook + "'");
    }
  }
  if (n["kafka_topic"]) {
    const YAML::Node t = n["kafka_topic"];
    a.kafka_topic = t.IsNull() || (t.IsScalar() && t.Scalar().empty()) ? "" : topic_name(r, t, "alerting.kafka_topic");
  }
  const YAML::Node rules = n["rules"];
  if (!rules || rules.IsNull()) return;
  if (!rules.IsSequence()) r.fail(rules, "alerting.rules", "expected a list of rules");
  const std::pair<const char*, ThresholdRule::Signal> signals[] = {
      {"latency_p99_us", ThresholdRule::Signal::kLatencyP99},
      {"dead_letter_rate", ThresholdRule::Signal::kDeadLetterRate},
      {"fraud_rate", ThresholdRule::Signal::kFraudRate},
      {"fraud_rate_spike", ThresholdRule::Signal::kFraudRateSpike},
      {"consumer_lag", ThresholdRule::Signal::kConsumerLag},
      {"checkpoint_age_s", ThresholdRule::Signal::kCheckpointAge}};
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const YAML::Node x = rules[i];
    const std::string p = "alerting.rules[" + std::to_string(i) + "]";
    r.only(x, p, {"name", "signal", "above", "clear_below", "for", "window", "baseline"});
    ThresholdRule rule;
    if (!x["name"]) r.fail(x, p + ".name", "required");
    rule.name = r.str(x["name"], p + ".name");
    for (const ThresholdRule& seen : a.rules) {
      if (seen.name == rule.name) r.fail(x["name"], p + ".name", "duplicate alert name '" + rule.name + "'");
    }
    if (!x["signal"]) r.fail(x, p + ".signal", "required");
    const std::string signal = r.str(x["signal"], p + ".signal");
    bool known = false;
    for (const auto& [name, value] : signals) {
      if (signal == name) {
        rule.signal = value;
        known = true;
      }
    }
    if (!known) {
      r.fail(x["signal"], p + ".signal",
             "expected latency_p99_us, dead_letter_rate, fraud_rate, fraud_rate_spike, consumer_lag or "
             "checkpoint_age_s, got '" + signal + "'");
    }
    if (!x["above"]) r.fail(x, p + ".above", "required");
    rule.above = r.number(x["above"], p + ".above", 0, 1e18);
    rule.clear_below = x["clear_below"] ? r.number(x["clear_below"], p + ".clear_below", 0, 1e18) : rule.above;
    if (rule.clear_below > rule.above) r.fail(x["clear_below"], p + ".clear_below", "must not exceed above");
    const auto seconds = [&](const char* key, int64_t* out) {
      if (!x[key]) return;
      const int64_t us = r.duration(x[key], p + "." + key);
      if (us < 1'000'000 || us > 3600 * 1'000'000LL) r.fail(x[key], p + "." + key, "must be 1s to 1h");
      *out = us / 1'000'000;
    };
    seconds("for", &rule.for_s);
    seconds("window", &rule.window_s);
    seconds("baseline", &rule.baseline_s);
    if (rule.window_s + (rule.signal == ThresholdRule::Signal::kFraudRateSpike ? rule.baseline_s : 0) > 590) {
      r.fail(x, p, "window (+ baseline) must fit in the 10 minutes of history kept");
    }
    a.rules.push_back(std::move(rule));
  }
}

void read_input(const Reader& r, const YAML::Node& n, Config* c) {
  if (!n) return;
  r.only(n, "input", {"fields", "pix_rules", "amount", "normalize", "time_format", "time_zone", "max_future", "max_past"});
  ValidationOptions& v = c->validation;
  if (const YAML::Node fields = n["fields"]) {
    if (!fields.IsMap()) r.fail(fields, "input.fields", "expected a mapping from transaction fields to source names");
    v.mapping = FieldMapping{};
    for (const auto& kv : fields) {
      const std::string name = kv.first.as<std::string>();
      const Field f = field_key(r, kv.first, name, "input.fields");
      v.mapping.source_names[static_cast<std::size_t>(f)] = r.str(kv.second, "input.fields." + name);
    }
  }
  if (const YAML::Node pix = n["pix_rules"]) {
    if (pix.IsScalar()) {
      if (r.boolean(pix, "input.pix_rules")) {
        v.pix_rules.set();
      } else {
        v.pix_rules.reset();
      }
    } else if (pix.IsMap()) {
      for (const auto& kv : pix) {
        const std::string name = kv.first.as<std::string>();
        const Field f = field_key(r, kv.first, name, "input.pix_rules");
        // A switch that would switch nothing is an error, not a silent no-op.
        if (!has_pix_rule(f)) {
          r.fail(kv.first, "input.pix_rules." + name,
                 f == Field::kAmount ? "amounts have no Pix format rule to switch: see input.amount (decimals, zero)"
                                     : name + " has no Pix format rule to switch (fields with one: end_to_end_id, "
                                              "payer.ispb, payee.ispb, payer.document, payee.document, payee.key_type, "
                                              "payee.key, initiation, description)");
        }
        v.pix_rules.set(static_cast<std::size_t>(f), r.boolean(kv.second, "input.pix_rules." + name));
      }
    } else {
      r.fail(pix, "input.pix_rules", "expected true, false, or a mapping of fields to true/false");
    }
  }
  if (const YAML::Node norm = n["normalize"]) {
    if (!norm.IsMap()) {
      r.fail(norm, "input.normalize", "expected a mapping of fields to trim, lower, upper, digits or pix_key (or a list)");
    }
    for (const auto& kv : norm) {
      const std::string name = kv.first.as<std::string>();
      const Field f = field_key(r, kv.first, name, "input.normalize");
      const std::string key = "input.normalize." + name;
      std::vector<YAML::Node> ops;
      if (kv.second.IsSequence()) {
        for (const auto& op : kv.second) ops.push_back(op);
      } else {
        ops.push_back(kv.second);
      }
      uint8_t bits = 0;
      for (const YAML::Node& op : ops) {
        const std::string o = r.str(op, key);
        const uint8_t bit = normalize_op(o);
        if (bit == 0) r.fail(op, key, "expected trim, lower, upper, digits or pix_key, got '" + o + "'");
        bits |= bit;
      }
      if ((bits & kLower) && (bits & kUpper)) r.fail(kv.second, key, "lower and upper together");
      if ((bits & kPixKey) && f != Field::kPayeeKey) r.fail(kv.second, key, "pix_key applies to payee.key only");
      if (f == Field::kEventTime || f == Field::kAmount || f == Field::kLabel) {
        r.fail(kv.first, key, "applies to text fields (keys, accounts, documents, ...), not " + name);
      }
      v.normalize[static_cast<std::size_t>(f)] = bits;
    }
  }
  if (const YAML::Node a = n["amount"]) {
    r.only(a, "input.amount", {"decimals", "zero"});
    if (a["decimals"]) {
      const std::string d = r.str(a["decimals"], "input.amount.decimals");
      if (d != "reject" && d != "round") r.fail(a["decimals"], "input.amount.decimals", "expected reject or round, got '" + d + "'");
      v.round_amounts = d == "round";
    }
    if (a["zero"]) {
      const std::string z = r.str(a["zero"], "input.amount.zero");
      if (z != "reject" && z != "accept") r.fail(a["zero"], "input.amount.zero", "expected reject or accept, got '" + z + "'");
      v.accept_zero_amount = z == "accept";
    }
  }
  if (n["time_format"]) {
    const std::string f = r.str(n["time_format"], "input.time_format");
    if (f == "auto") {
      v.time_format = TimestampFormat::kAuto;
    } else if (f == "rfc3339") {
      v.time_format = TimestampFormat::kRfc3339;
    } else if (f == "local") {
      v.time_format = TimestampFormat::kLocal;
    } else if (f == "epoch_s") {
      v.time_format = TimestampFormat::kEpochSeconds;
    } else if (f == "epoch_ms") {
      v.time_format = TimestampFormat::kEpochMillis;
    } else {
      r.fail(n["time_format"], "input.time_format", "expected auto, rfc3339, local, epoch_s or epoch_ms, got '" + f + "'");
    }
  }
  if (n["time_zone"]) v.zone = r.zone(n["time_zone"], "input.time_zone");
  if (n["max_future"]) v.max_future_us = r.duration(n["max_future"], "input.max_future");
  if (n["max_past"]) v.max_past_us = r.duration(n["max_past"], "input.max_past");
}

void read_labels(const Reader& r, const YAML::Node& n, Config* c) {
  if (!n) return;
  r.only(n, "labels", {"path", "known_after"});
  if (n["path"] && n["known_after"]) {
    r.fail(n, "labels", "give either path (a labels input) or known_after (inline labels), not both");
  }
  if (n["path"]) {
    c->labels_path = r.str(n["path"], "labels.path");
    c->label_timing.source = LabelTiming::Source::kLabelsInput;
  }
  if (n["known_after"]) {
    c->label_timing.source = LabelTiming::Source::kInline;
    c->label_timing.known_after_us = r.duration(n["known_after"], "labels.known_after");
  }
}

void read_feature(const Reader& r, const YAML::Node& n, const std::string& p, FeatureSpec* f) {
  r.only(n, p, {"name", "kind", "key", "window", "delay", "include_current", "categories", "fill", "profile", "column",
                "field"});
  if (!n["name"]) r.fail(n, p + ".name", "required");
  f->name = r.str(n["name"], p + ".name");
  if (!n["kind"]) r.fail(n, p + ".kind", "required");
  const std::string kind = r.str(n["kind"], p + ".kind");
  if (!parse_feature_kind(kind, &f->kind)) r.fail(n["kind"], p + ".kind", "unknown kind '" + kind + "' (see docs/configuration.md)");
  if (feature_kind_needs_key(f->kind)) {
    if (!n["key"]) r.fail(n, p + ".key", "required for kind " + kind + " (payer or payee)");
    const std::string key = r.str(n["key"], p + ".key");
    if (key == "payer") {
      f->scope = KeyScope::kPayer;
    } else if (key == "payee") {
      f->scope = KeyScope::kPayee;
    } else {
      r.fail(n["key"], p + ".key", "expected payer or payee, got '" + key + "'");
    }
  } else if (n["key"]) {
    r.fail(n["key"], p + ".key", "kind " + kind + " is not computed per key");
  }
  if (n["window"]) {
    f->window_us = r.duration(n["window"], p + ".window");
    if (f->window_us <= 0) r.fail(n["window"], p + ".window", "must be positive");
  } else if (feature_kind_needs_window(f->kind)) {
    r.fail(n, p + ".window", "required for kind " + kind);
  }
  if (n["delay"]) {
    f->delay_us = r.duration(n["delay"], p + ".delay");
    if (f->delay_us < 0) r.fail(n["delay"], p + ".delay", "must not be negative");
  }
  const bool label_kind = f->kind == FeatureKind::kFraudCount || f->kind == FeatureKind::kFraudRate;
  f->include_current = !label_kind;  // the current outcome is never known at its own time
  if (n["include_current"]) {
    f->include_current = r.boolean(n["include_current"], p + ".include_current");
    if (label_kind && f->include_current) {
      r.fail(n["include_current"], p + ".include_current", "label features cannot include the current transaction");
    }
    if (!label_kind && f->kind > FeatureKind::kDistinctCounterparties) {
      r.fail(n["include_current"], p + ".include_current",
             "applies only to count, sum, mean, max, min and distinct_counterparties");
    }
  }
  if (const YAML::Node cats = n["categories"]) {
    if (!cats.IsSequence()) r.fail(cats, p + ".categories", "expected a list");
    for (std::size_t i = 0; i < cats.size(); ++i) f->categories.push_back(r.str(cats[i], p + ".categories"));
  }
  if (f->kind == FeatureKind::kChannel && f->categories.empty()) {
    r.fail(n, p + ".categories", "required for kind channel (the known channels, e.g. [APP, IB, API])");
  }
  if (f->kind == FeatureKind::kCategory) {
    if (!n["field"]) r.fail(n, p + ".field", "required for kind category (the text field it encodes)");
    const std::string field = r.str(n["field"], p + ".field");
    const auto parsed = field_from_name(field);
    if (!parsed || !categorical_field(*parsed)) {
      r.fail(n["field"], p + ".field", "expected channel, initiation, payee.key_type, payer.ispb, payee.ispb or device_id");
    }
    f->field = *parsed;
    if (f->categories.empty()) r.fail(n, p + ".categories", "required for kind category (the known values)");
  } else if (n["field"]) {
    r.fail(n["field"], p + ".field", "only for kind category");
  }
  if (n["fill"]) f->fill = r.number(n["fill"], p + ".fill", -1e15, 1e15);
  const bool profile_kind = f->kind == FeatureKind::kProfileValue || f->kind == FeatureKind::kProfileAgeDays;
  if (profile_kind) {
    if (!n["profile"]) r.fail(n, p + ".profile", "required for kind " + kind + " (a profiles[].name)");
    if (!n["column"]) r.fail(n, p + ".column", "required for kind " + kind + " (a column of the profile's table)");
    f->profile = r.str(n["profile"], p + ".profile");
    f->column = r.str(n["column"], p + ".column");
  } else if (n["profile"] || n["column"]) {
    r.fail(n["profile"] ? n["profile"] : n["column"], p + (n["profile"] ? ".profile" : ".column"),
           "only for kinds profile_value and profile_age_days");
  }
}

void read_rule(const Reader& r, const YAML::Node& n, const std::string& p, RuleSpec* rule) {
  r.only(n, p, {"name", "when", "action", "reason", "score"});
  if (!n["name"]) r.fail(n, p + ".name", "required");
  rule->name = r.str(n["name"], p + ".name");
  if (!n["when"]) r.fail(n, p + ".when", "required (a condition, e.g. payer.count_5m > 5)");
  rule->expression = r.str(n["when"], p + ".when");
  const std::string action = n["action"] ? r.str(n["action"], p + ".action") : "review";
  if (action == "review") {
    rule->action = Outcome::kReview;
  } else if (action == "block") {
    rule->action = Outcome::kBlock;
  } else {
    r.fail(n["action"], p + ".action", "expected review or block, got '" + action + "'");
  }
  rule->reason = n["reason"] ? r.str(n["reason"], p + ".reason") : rule->name;
  if (n["score"]) rule->score = r.number(n["score"], p + ".score", 0, 1);
}

void read_privacy(const Reader& r, const YAML::Node& n, PrivacyOptions* out) {
  if (!n) return;
  r.only(n, "privacy", {"key_file", "key_env", "create_key", "fields", "dead_letters", "file_mode", "audit_log"});
  if (n["audit_log"]) out->audit_log = r.str(n["audit_log"], "privacy.audit_log");
  if (n["key_file"]) out->key_file = r.str(n["key_file"], "privacy.key_file");
  if (n["key_env"]) out->key_env = r.str(n["key_env"], "privacy.key_env");
  if (n["create_key"]) out->create_key = r.boolean(n["create_key"], "privacy.create_key");
  if (out->create_key && out->key_file.empty()) r.fail(n["create_key"], "privacy.create_key", "needs privacy.key_file");
  if (const YAML::Node f = n["fields"]) {
    if (!f.IsMap()) r.fail(f, "privacy.fields", "expected a mapping of field names to policies");
    for (const auto& kv : f) {
      const std::string name = kv.first.as<std::string>();
      PersonalField field{};
      if (!parse_personal_field(name, &field)) {
        r.fail(kv.first, "privacy.fields." + name,
               "not a personal field (payer.document, payer.account, payee.document, payee.account, payee.key, "
               "device_id, ip, description)");
      }
      const std::string policy = r.str(kv.second, "privacy.fields." + name);
      FieldPolicy p{};
      if (!parse_field_policy(policy, &p)) {
        r.fail(kv.second, "privacy.fields." + name, "expected clear, mask, keyed_hash or drop, got '" + policy + "'");
      }
      out->fields[static_cast<std::size_t>(field)] = p;
    }
  }
  if (n["dead_letters"]) {
    const std::string v = r.str(n["dead_letters"], "privacy.dead_letters");
    if (!parse_dead_letter_bytes(v, &out->dead_letters)) {
      r.fail(n["dead_letters"], "privacy.dead_letters", "expected redact, encrypt or clear, got '" + v + "'");
    }
  }
  if (n["file_mode"]) {
    // Octal as written ("0640"); YAML would read a bare 0640 as an integer in its own way.
    const std::string v = r.str(n["file_mode"], "privacy.file_mode");
    unsigned mode = 0;
    const auto res = std::from_chars(v.data(), v.data() + v.size(), mode, 8);
    if (res.ec != std::errc{} || res.ptr != v.data() + v.size() || mode > 0666 || (mode & 0600) != 0600) {
      r.fail(n["file_mode"], "privacy.file_mode",
             "expected an octal mode between 0600 and 0666 that lets the owner read and write, got '" + v + "'");
    }
    out->file_mode = mode;
  }
}

Config parse(const Reader& r, const YAML::Node& root, const std::string& path) {
  Config c;
  c.path = path;
  if (!root.IsMap()) r.fail(root, "(top level)", "expected a mapping of sections");
  r.only(root, "", {"pipeline", "checkpoint", "source", "kafka", "http", "alerting", "input", "labels", "dedupe", "state",
                    "watermark", "context", "profiles", "features", "model", "lists", "rules", "decision", "sinks",
                    "privacy", "preauth"});
  read_pipeline(r, root["pipeline"], &c);
  if (const YAML::Node h = root["http"]) {
    r.only(h, "http", {"listen", "token", "tls", "recent_decisions", "recent_alerts", "stall_after", "read_timeout",
                       "write_timeout", "keep_alive_timeout", "keep_alive_requests", "max_connections", "threads",
                       "max_queued", "max_body"});
    if (h["stall_after"]) c.http.stall_after_us = r.duration(h["stall_after"], "http.stall_after");
    if (h["token"]) {
      // An empty token must not quietly mean "no authentication" (an unset variable in a
      // templated config): leave the key out for that.
      if (h["token"].IsNull() || (h["token"].IsScalar() && h["token"].Scalar().empty())) {
        YAML::Node key = h["token"];  // a null value has no line of its own: the key's
        for (const auto& kv : h) {
          if (kv.first.Scalar() == "token") key = kv.first;
        }
        r.fail(key, "http.token", "empty; give a token, or leave the key out for none (loopback only)");
      }
      c.http.token = r.str(h["token"], "http.token");
    }
    if (const YAML::Node t = h["tls"]) {
      r.only(t, "http.tls", {"cert", "key"});
      if (!t.IsMap() || !t["cert"] || !t["key"]) r.fail(t, "http.tls", "expected {cert: <PEM file>, key: <PEM file>}");
      c.http.tls_cert = r.str(t["cert"], "http.tls.cert");
      c.http.tls_key = r.str(t["key"], "http.tls.key");
      if (c.http.tls_cert.empty()) r.fail(t["cert"], "http.tls.cert", "empty");
      if (c.http.tls_key.empty()) r.fail(t["key"], "http.tls.key", "empty");
    }
    const auto timeout = [&](const char* key, int64_t* out) {
      if (!h[key]) return;
      const std::string name = std::string("http.") + key;
      *out = r.duration(h[key], name);
      if (*out < 100'000 || *out > 3'600'000'000) r.fail(h[key], name, "must be between 100ms and 1h");
    };
    timeout("read_timeout", &c.http.read_timeout_us);
    timeout("write_timeout", &c.http.write_timeout_us);
    timeout("keep_alive_timeout", &c.http.keep_alive_timeout_us);
    if (h["keep_alive_requests"]) {
      c.http.keep_alive_requests = r.count(h["keep_alive_requests"], "http.keep_alive_requests", 1, 1'000'000);
    }
    if (h["max_connections"]) c.http.max_connections = r.count(h["max_connections"], "http.max_connections", 8, 100'000);
    if (h["threads"]) c.http.threads = r.count(h["threads"], "http.threads", 1, 256);
    if (h["max_queued"]) c.http.max_queued = r.count(h["max_queued"], "http.max_queued", 1, 100'000);
    if (h["max_body"]) c.http.max_body = r.count(h["max_body"], "http.max_body", 1, 64 * 1024 * 1024);
    if (h["recent_decisions"]) c.http.recent_decisions = r.count(h["recent_decisions"], "http.recent_decisions", 1, 10'000'000);
    if (h["recent_alerts"]) c.http.recent_alerts = r.count(h["recent_alerts"], "http.recent_alerts", 1, 10'000'000);
    if (h["listen"] && !h["listen"].IsNull()) {
      c.http.listen = r.str(h["listen"], "http.listen");
      std::string host;
      int port = 0;
      if (!c.http.listen.empty() && !parse_listen_address(c.http.listen, &host, &port)) {
        r.fail(h["listen"], "http.listen", "expected host:port (port 0 to 65535), got '" + c.http.listen + "'");
      }
      if (!c.http.listen.empty() && c.http.token.empty() && !is_loopback_host(host)) {
        r.fail(h["listen"], "http.listen",
               "'" + host + "' is reachable from other machines: set http.token (and http.tls), or listen on 127.0.0.1");
      }
    }
  }
  if (const YAML::Node p = root["preauth"]) {
    r.only(p, "preauth", {"timeout", "max_queued", "threads", "durability", "answers_kept"});
    if (p["timeout"]) {
      c.preauth.timeout_us = r.duration(p["timeout"], "preauth.timeout");
      if (c.preauth.timeout_us < 1000 || c.preauth.timeout_us > 600'000'000) {
        r.fail(p["timeout"], "preauth.timeout", "must be between 1ms and 10m");
      }
    }
    if (p["max_queued"]) c.preauth.max_queued = r.count(p["max_queued"], "preauth.max_queued", 1, 1'000'000);
    if (p["threads"]) c.preauth.threads = r.count(p["threads"], "preauth.threads", 1, 1024);
    if (p["answers_kept"]) c.preauth.answers_kept = r.count(p["answers_kept"], "preauth.answers_kept", 1, 100'000'000);
    if (p["durability"]) {
      const std::string d = r.str(p["durability"], "preauth.durability");
      if (d != "fsync" && d != "write") r.fail(p["durability"], "preauth.durability", "expected fsync or write, got '" + d + "'");
      c.preauth.fsync = d == "fsync";
    }
  }
  if (const YAML::Node k = root["checkpoint"]) {
    r.only(k, "checkpoint", {"dir", "interval", "keep", "incremental", "compact_after"});
    if (k["dir"]) c.checkpoint.dir = k["dir"].IsNull() ? "" : r.str(k["dir"], "checkpoint.dir");
    if (k["interval"]) {
      c.checkpoint.interval_us = r.duration(k["interval"], "checkpoint.interval");
      if (c.checkpoint.interval_us < 1000) r.fail(k["interval"], "checkpoint.interval", "must be at least 1ms");
    }
    if (k["keep"]) c.checkpoint.keep = r.count(k["keep"], "checkpoint.keep", 1, 1000);
    if (k["incremental"]) c.checkpoint.incremental = r.boolean(k["incremental"], "checkpoint.incremental");
    if (k["compact_after"]) {
      c.checkpoint.compact_after = r.count(k["compact_after"], "checkpoint.compact_after", 1, uint64_t{1} << 40);
    }
  }
  read_source(r, root["source"], &c);
  read_kafka(r, root["kafka"], &c);
  if (c.source.type == SourceConfig::Type::kKafka && c.kafka.bootstrap_servers.empty()) {
    const YAML::Node at = root["kafka"] ? root["kafka"] : root["source"]["type"];
    r.fail(at, "kafka.bootstrap_servers", "required when source.type is kafka (e.g. 127.0.0.1:9092, `pixguard kafka`)");
  }
  const bool kafka_out = !c.kafka.bootstrap_servers.empty() &&
                         !(c.kafka.scored_topic.empty() && c.kafka.alerts_topic.empty() &&
                           c.kafka.dead_letter_topic.empty());
  if (kafka_out && c.kafka.delivery == KafkaConfig::Delivery::kExactlyOnce) {
    // A Kafka transaction that a crash aborted is produced again from the checkpoint before it.
    const YAML::Node at = root["checkpoint"] ? root["checkpoint"] : root["kafka"];
    if (c.checkpoint.dir.empty()) {
      r.fail(at, "checkpoint.dir", "exactly-once Kafka output needs checkpoints (or set kafka.delivery: at_least_once)");
    }
    if (c.checkpoint.keep < 2) {
      r.fail(at, "checkpoint.keep", "exactly-once Kafka output needs at least 2 checkpoints kept");
    }
  }
  read_alerting(r, root["alerting"], &c);
  read_input(r, root["input"], &c);
  read_labels(r, root["labels"], &c);

  if (const YAML::Node d = root["dedupe"]) {
    r.only(d, "dedupe", {"enabled", "horizon", "max_entries"});
    if (d["enabled"]) c.dedupe_enabled = r.boolean(d["enabled"], "dedupe.enabled");
    if (d["horizon"]) c.dedupe.horizon_us = r.duration(d["horizon"], "dedupe.horizon");
    if (d["max_entries"]) c.dedupe.max_entries = r.count(d["max_entries"], "dedupe.max_entries", 1, 1ull << 34);
  }
  if (const YAML::Node st = root["state"]) {
    r.only(st, "state", {"max_keys", "max_events_per_key", "payees"});
    if (st["payees"]) {
      const std::string v = r.str(st["payees"], "state.payees");
      if (v == "shared") {
        c.payee_state = Config::PayeeState::kShared;
      } else if (v == "per_part") {
        c.payee_state = Config::PayeeState::kPerPart;
      } else if (v == "repartition") {
        c.payee_state = Config::PayeeState::kRepartition;
      } else {
        r.fail(st["payees"], "state.payees", "'" + v + "' is not shared, per_part or repartition");
      }
      // The payee topic is written in the transactions of the Kafka output, with the input
      // offsets: exactly once needs both.
      if (c.payee_state == Config::PayeeState::kRepartition) {
        if (c.source.type != SourceConfig::Type::kKafka) {
          r.fail(st["payees"], "state.payees", "repartition needs a Kafka source (source.type: kafka)");
        }
        if (c.kafka.delivery != KafkaConfig::Delivery::kExactlyOnce) {
          r.fail(st["payees"], "state.payees", "repartition needs kafka.delivery: exactly_once");
        }
        if (c.kafka.input_topics.size() != 1) {
          r.fail(st["payees"], "state.payees", "repartition reads a single input topic (kafka.input_topics)");
        }
        if (c.kafka.payee_topic.empty()) {
          c.kafka.payee_topic = c.kafka.group_id + ".payees";
          if (c.kafka.payee_topic.find_first_not_of(
                  "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != std::string::npos) {
            r.fail(st["payees"], "state.payees", "kafka.group_id is not a topic name: set kafka.payee_topic");
          }
        }
        if (c.kafka.input_topics[0] == c.kafka.payee_topic) {
          r.fail(st["payees"], "state.payees", "kafka.payee_topic must differ from the input topic");
        }
        if (c.checkpoint.dir.empty() || c.checkpoint.keep < 2) {
          r.fail(st["payees"], "state.payees", "repartition needs checkpoints (checkpoint.dir, keep >= 2)");
        }
      }
    }
    if (st["max_keys"]) c.state_limits.max_keys = r.count(st["max_keys"], "state.max_keys", 1, 1ull << 34);
    if (st["max_events_per_key"]) {
      c.state_limits.max_events_per_key = r.count(st["max_events_per_key"], "state.max_events_per_key", 1, 1ull << 30);
    }
  }
  if (const YAML::Node w = root["watermark"]) {
    r.only(w, "watermark", {"allowed_lateness", "idle_after"});
    if (w["allowed_lateness"]) c.allowed_lateness_us = r.duration(w["allowed_lateness"], "watermark.allowed_lateness");
    if (w["idle_after"]) c.idle_after_us = r.duration(w["idle_after"], "watermark.idle_after");
  }
  if (const YAML::Node x = root["context"]) {
    r.only(x, "context", {"time_zone", "night_start", "night_end"});
    if (x["time_zone"]) c.context_zone = r.zone(x["time_zone"], "context.time_zone");
    if (x["night_start"]) c.context.night_start_minute = r.clock_minutes(x["night_start"], "context.night_start");
    if (x["night_end"]) c.context.night_end_minute = r.clock_minutes(x["night_end"], "context.night_end");
  }

  if (const YAML::Node ps = root["profiles"]) {
    if (!ps.IsSequence()) r.fail(ps, "profiles", "expected a list of {name, key, path, key_column, ...}");
    for (std::size_t i = 0; i < ps.size(); ++i) {
      const std::string p = "profiles[" + std::to_string(i) + "]";
      const YAML::Node x = ps[i];
      r.only(x, p, {"name", "key", "path", "dsn", "query", "key_column", "valid_from_column", "refresh"});
      ProfileSpec spec;
      for (const char* required : {"name", "key", "key_column"}) {
        if (!x[required]) r.fail(x, p + "." + required, "required");
      }
      if (!x["path"] == !x["dsn"]) r.fail(x, p + ".path", "give a CSV path, or a PostgreSQL dsn and query");
      if (x["dsn"]) {
        if (!x["query"]) r.fail(x, p + ".query", "required with dsn (a SELECT whose columns are the table's)");
        spec.dsn = r.str(x["dsn"], p + ".dsn");
        spec.query = r.str(x["query"], p + ".query");
      } else if (x["query"]) {
        r.fail(x["query"], p + ".query", "only with dsn");
      }
      spec.name = r.str(x["name"], p + ".name");
      for (const ProfileSpec& other : c.profiles) {
        if (other.name == spec.name) r.fail(x["name"], p + ".name", "duplicate profile name '" + spec.name + "'");
      }
      spec.key = identity_field(r, x["key"], p + ".key");
      if (x["path"]) spec.path = r.str(x["path"], p + ".path");
      spec.key_column = r.str(x["key_column"], p + ".key_column");
      if (x["valid_from_column"]) spec.valid_from_column = r.str(x["valid_from_column"], p + ".valid_from_column");
      if (x["refresh"]) spec.refresh_us = r.duration(x["refresh"], p + ".refresh");
      c.profiles.push_back(std::move(spec));
    }
  }
  if (const YAML::Node fs = root["features"]) {
    if (!fs.IsSequence()) r.fail(fs, "features", "expected a list of features");
    std::set<std::string> names;
    for (std::size_t i = 0; i < fs.size(); ++i) {
      const std::string p = "features[" + std::to_string(i) + "]";
      FeatureSpec f;
      read_feature(r, fs[i], p, &f);
      if (!f.profile.empty() && std::none_of(c.profiles.begin(), c.profiles.end(),
                                             [&f](const ProfileSpec& s) { return s.name == f.profile; })) {
        r.fail(fs[i]["profile"], p + ".profile", "no profile named '" + f.profile + "' (profiles:)");
      }
      if (!names.insert(f.name).second) r.fail(fs[i]["name"], p + ".name", "duplicate feature name '" + f.name + "'");
      c.features.push_back(std::move(f));
    }
  }
  if (const YAML::Node m = root["model"]) {
    r.only(m, "model", {"path", "poll_interval", "attribution"});
    if (m["attribution"]) {
      const std::string a = r.str(m["attribution"], "model.attribution");
      if (a == "path") {
        c.model_attribution = Attribution::kPath;
      } else if (a == "tree_shap") {
        c.model_attribution = Attribution::kTreeShap;
      } else {
        r.fail(m["attribution"], "model.attribution", "expected path or tree_shap, got '" + a + "'");
      }
    }
    if (m["path"]) c.model_path = r.str(m["path"], "model.path");
    if (m["poll_interval"]) {
      c.model_poll_interval_us = r.duration(m["poll_interval"], "model.poll_interval");
      if (c.model_poll_interval_us < 10'000) r.fail(m["poll_interval"], "model.poll_interval", "must be at least 10ms");
    }
  }
  if (const YAML::Node ls = root["lists"]) {
    r.only(ls, "lists", {"path", "names"});
    if (!ls["path"]) r.fail(ls, "lists.path", "required: the journal of list changes (e.g. data/lists.jsonl)");
    c.lists_path = r.str(ls["path"], "lists.path");
    const YAML::Node names = ls["names"];
    if (!names || !names.IsSequence() || names.size() == 0) {
      r.fail(ls, "lists.names", "required: a list of {name, field}");
    }
    for (std::size_t i = 0; i < names.size(); ++i) {
      const std::string p = "lists.names[" + std::to_string(i) + "]";
      r.only(names[i], p, {"name", "field"});
      ListSpec spec;
      if (!names[i]["name"]) r.fail(names[i], p + ".name", "required");
      spec.name = r.str(names[i]["name"], p + ".name");
      if (spec.name.empty() || spec.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos) {
        r.fail(names[i]["name"], p + ".name", "expected lower-case letters, digits and _ (rules say list.<name>)");
      }
      for (const ListSpec& other : c.decision.lists) {
        if (other.name == spec.name) r.fail(names[i]["name"], p + ".name", "duplicate list name '" + spec.name + "'");
      }
      if (!names[i]["field"]) r.fail(names[i], p + ".field", "required");
      spec.field = identity_field(r, names[i]["field"], p + ".field");
      c.decision.lists.push_back(std::move(spec));
    }
  }
  if (const YAML::Node rs = root["rules"]) {
    if (!rs.IsSequence()) r.fail(rs, "rules", "expected a list of rules");
    std::set<std::string> names;
    for (std::size_t i = 0; i < rs.size(); ++i) {
      const std::string p = "rules[" + std::to_string(i) + "]";
      RuleSpec rule;
      read_rule(r, rs[i], p, &rule);
      if (!names.insert(rule.name).second) r.fail(rs[i]["name"], p + ".name", "duplicate rule name '" + rule.name + "'");
      c.decision.rules.push_back(std::move(rule));
    }
  }
  if (const YAML::Node d = root["decision"]) {
    r.only(d, "decision", {"review_threshold", "block_threshold"});
    if (d["review_threshold"]) c.decision.review_threshold = r.number(d["review_threshold"], "decision.review_threshold", 0, 1);
    if (d["block_threshold"]) c.decision.block_threshold = r.number(d["block_threshold"], "decision.block_threshold", 0, 1);
    if (c.decision.review_threshold > c.decision.block_threshold) {
      r.fail(d, "decision", "review_threshold must not exceed block_threshold");
    }
  }
  if (const YAML::Node s = root["sinks"]) {
    r.only(s, "sinks", {"scored", "alerts", "dead_letter", "table", "table_codec", "table_file_mb"});
    const auto dir = [&](const char* key, std::string* out) {
      if (!s[key]) return;
      *out = s[key].IsNull() ? "" : r.str(s[key], std::string("sinks.") + key);
    };
    dir("scored", &c.sinks.scored_dir);
    dir("alerts", &c.sinks.alerts_dir);
    dir("dead_letter", &c.sinks.dead_letter_dir);
    dir("table", &c.sinks.table_dir);
    if (s["table_codec"]) {
      const std::string codec = r.str(s["table_codec"], "sinks.table_codec");
      if (codec == "snappy") {
        c.sinks.table_codec = SinksConfig::TableCodec::kSnappy;
      } else if (codec == "zstd") {
        c.sinks.table_codec = SinksConfig::TableCodec::kZstd;
      } else if (codec == "uncompressed") {
        c.sinks.table_codec = SinksConfig::TableCodec::kUncompressed;
      } else {
        r.fail(s["table_codec"], "sinks.table_codec", "expected snappy, zstd or uncompressed, got '" + codec + "'");
      }
    }
    if (s["table_file_mb"]) {
      c.sinks.table_file_bytes = static_cast<int64_t>(r.count(s["table_file_mb"], "sinks.table_file_mb", 1, 4096)) << 20;
    }
  }

  read_privacy(r, root["privacy"], &c.privacy);
  if (c.source.type == SourceConfig::Type::kDelta) read_personal_fields_as_stored(&c);

  // Rules compile against the features; report a bad rule here, with its line.
  std::unique_ptr<Decider> decider;
  if (Status s = Decider::create(c.decision, c.features, &decider); !s.ok()) {
    const YAML::Node rs = root["rules"];
    for (std::size_t i = 0; rs && i < rs.size(); ++i) {
      if (s.message().rfind("rule '" + c.decision.rules[i].name + "'", 0) == 0) {
        r.fail(rs[i]["when"], "rules[" + std::to_string(i) + "].when", s.message());
      }
    }
    r.fail(root, "rules", s.message());
  }
  return c;
}

}  // namespace

void read_personal_fields_as_stored(Config* c) {
  for (std::size_t i = 0; i < kPersonalFieldCount; ++i) {
    c->privacy.fields[i] = FieldPolicy::kClear;
    const auto field = field_from_name(personal_field_name(static_cast<PersonalField>(i)));
    if (field) c->validation.pix_rules.reset(static_cast<std::size_t>(*field));
  }
  c->validation.pix_rules.reset(static_cast<std::size_t>(Field::kPayeeKeyType));
}

bool parse_duration(std::string_view text, int64_t* micros) {
  int64_t value = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), value);
  if (r.ec != std::errc{} || value < 0) return false;
  const std::string_view unit(r.ptr, static_cast<std::size_t>(text.data() + text.size() - r.ptr));
  int64_t scale = 0;
  if (unit == "ms") {
    scale = 1000;
  } else if (unit == "s") {
    scale = 1'000'000;
  } else if (unit == "m") {
    scale = 60'000'000;
  } else if (unit == "h") {
    scale = 3'600'000'000;
  } else if (unit == "d") {
    scale = 86'400'000'000;
  } else {
    return false;
  }
  if (value > INT64_MAX / scale) return false;
  *micros = value * scale;
  return true;
}

bool valid_instance_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool parse_listen_address(std::string_view listen, std::string* host, int* port) {
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  const char* b = listen.data() + colon + 1;
  const char* e = listen.data() + listen.size();
  int p = -1;
  if (const auto r = std::from_chars(b, e, p); r.ec != std::errc{} || r.ptr != e || b == e || p < 0 || p > 65535) {
    return false;
  }
  *host = std::string(listen.substr(0, colon));
  *port = p;
  return true;
}

bool is_loopback_host(std::string_view host) {
  if (host == "localhost" || host == "::1" || host == "[::1]") return true;
  // 127.0.0.0/8 as a dotted quad (four numbers of 0 to 255).
  int parts = 0;
  std::size_t i = 0;
  int first = -1;
  while (i <= host.size()) {
    const std::size_t dot = std::min(host.find('.', i), host.size());
    int v = -1;
    const auto r = std::from_chars(host.data() + i, host.data() + dot, v);
    if (r.ec != std::errc{} || r.ptr != host.data() + dot || dot == i || dot - i > 3 || v > 255) return false;
    if (parts == 0) first = v;
    ++parts;
    i = dot + 1;
  }
  return parts == 4 && first == 127;
}

std::size_t Config::worker_count() const {
  return workers != 0 ? workers : std::max<std::size_t>(std::thread::hardware_concurrency(), 1);
}

Status load_config(const std::string& path, Config* out) {
  const Reader reader(path);
  // yaml-cpp reads a directory as a stream that fails mid-parse (an abort): say what it is.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return Status::InvalidArgument("config file " + path + " is a directory, not a YAML file");
  }
  try {
    const YAML::Node root = YAML::LoadFile(path);
    *out = parse(reader, root, path);
    // Zones default to America/Sao_Paulo (Pix's clock); a missing tzdata must be an error,
    // not silently UTC.
    const auto default_zone = [&](const char* section, TimeZone* zone) -> Status {
      if (root[section] && root[section]["time_zone"]) return Status::Ok();
      if (Status s = TimeZone::load("America/Sao_Paulo", zone); !s.ok()) {
        return Status::InvalidArgument(path + ": " + section + ".time_zone: default America/Sao_Paulo: " + s.message());
      }
      return Status::Ok();
    };
    if (Status s = default_zone("context", &out->context_zone); !s.ok()) return s;
    if (Status s = default_zone("input", &out->validation.zone); !s.ok()) return s;
    return Status::Ok();
  } catch (const ConfigError& e) {
    return Status::InvalidArgument(e.what());
  } catch (const YAML::BadFile&) {
    return Status::NotFound("config file " + path + " cannot be read");
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  } catch (const std::exception& e) {
    return Status::InvalidArgument("config file " + path + ": " + e.what());
  }
}

}  // namespace pixguard
