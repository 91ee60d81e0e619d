#pragma once
// The job's configuration, as read from YAML (config/streaming_config.yaml by default).
// Every key, its default and its meaning are documented in docs/configuration.md.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "decide/decider.h"
#include "decode/decoder.h"
#include "dedupe/deduplicator.h"
#include "enrich/enricher.h"
#include "enrich/profile_store.h"
#include "features/feature_engine.h"
#include "privacy/privacy.h"
#include "score/model.h"
#include "sources/generator.h"
#include "validate/validator.h"

namespace pixguard {

struct SourceConfig {
  // kDelta: a Delta table of decisions (sources/delta_source.h), replayed in event-time order.
  enum class Type : unsigned char { kGenerator, kFile, kKafka, kDelta } type = Type::kGenerator;
  GeneratorOptions generator;
  std::string path;  // kFile: the file; kDelta: the table's directory (kKafka reads KafkaConfig::input_topics)
  InputFormat format = InputFormat::kJsonLines;
  char csv_delimiter = ',';
  bool stop_at_end = false;  // kKafka: end once every partition is read to its end (run --stop-at-end)
};

// The Kafka cluster: the source's consumer group (source.type: kafka) and the output topics.
struct KafkaConfig {
  enum class Delivery : unsigned char {
    kExactlyOnce,  // output in Kafka transactions that also carry the input offsets
    kAtLeastOnce,  // output flushed, then input offsets committed: a crash may repeat some
  };
  std::string bootstrap_servers;  // empty: no Kafka configured
  // librdkafka properties passed through as they are (TLS, SASL, tuning), checked by
  // librdkafka at load time. The ones pixguard sets itself are refused.
  std::map<std::string, std::string> properties;
  // The same, for the source's consumer only and for the output producer only (over `properties`).
  std::map<std::string, std::string> consumer_properties;
  std::map<std::string, std::string> producer_properties;
  std::string group_id = "pixguard";
  // This member of the group: unique among the members and stable across its restarts (it
  // names the transactional id, which fences a crashed predecessor, and the member's
  // checkpoint directory). --instance overrides it.
  std::string instance = "1";
  std::vector<std::string> input_topics = {"pix.transactions"};
  std::string scored_topic = "pix.scored";
  std::string alerts_topic = "pix.alerts";
  std::string dead_letter_topic = "pix.dead_letter";
  // state.payees: repartition: the topic the input is repartitioned into, by payee; one per
  // consumer group (default: "<group_id>.payees").
  std::string payee_topic;
  Delivery delivery = Delivery::kExactlyOnce;
};

// A kafka.instance: 1 to 64 of [A-Za-z0-9._-] (it becomes part of a path and of an id).
bool valid_instance_name(std::string_view name);

// The operations endpoint: /metrics (Prometheus), /health, /ready.
// "host:port" with a port of 0 to 65535 -> its parts; false for anything else.
bool parse_listen_address(std::string_view listen, std::string* host, int* port);

// A host of 127.0.0.0/8, ::1 ([::1]) or "localhost": reachable from this machine only.
bool is_loopback_host(std::string_view host);

struct HttpConfig {
  std::string listen;  // "host:port" (port 0: any free one, printed at start); empty = off
  // Bearer token required on every path but /health and the dashboard page. Absent: none,
  // allowed on a loopback listen address only; an empty or null token is a config error.
  std::string token;
  std::string tls_cert;  // http.tls.cert: PEM certificate (chain); with tls_key: HTTPS only
  std::string tls_key;   // http.tls.key: PEM private key
  // Connection limits (ops/connection_gate.h): a request (line, headers and body) must arrive
  // within read_timeout of its first byte (of the connection, for the first one); an answer
  // must be taken within write_timeout; an idle kept-alive connection closes after
  // keep_alive_timeout or keep_alive_requests requests.
  int64_t read_timeout_us = 5'000'000;
  int64_t write_timeout_us = 5'000'000;
  int64_t keep_alive_timeout_us = 5'000'000;
  std::size_t keep_alive_requests = 100;
  std::size_t max_connections = 512;  // open at once; past it the oldest waiting one gets 503
  std::size_t threads = 4;            // workers that run complete requests
  std::size_t max_queued = 64;        // complete requests waiting for a worker; past it 503
  std::size_t max_body = 64 * 1024;   // request body bytes; past it 413
  std::size_t recent_decisions = 20'000;  // decisions /api/transactions/{id} can find
  std::size_t recent_alerts = 10'000;     // alerts /api/alerts pages through
  int64_t stall_after_us = 120'000'000;   // no progress this long: /ready and /health say stalled
};

// `pixguard serve`: the pre-authorization API (preauth/preauth_source.h).
struct PreauthConfig {
  int64_t timeout_us = 2'000'000;      // a caller waits this long for its decision, then 503
  std::size_t max_queued = 4096;       // requests waiting for the pipeline; past it 503
  std::size_t threads = 32;            // HTTP workers while serving (each waits for its answer)
  bool fsync = true;                   // durability: fsync (an answer survives the machine) or write (the process)
  std::size_t answers_kept = 100'000;  // answers a repeated request gets again
};

// A threshold alert on an operational signal (ops/threshold_alerter.h): it fires once the
// signal has stayed above `above` for `for_s` consecutive seconds, and clears once it has
// stayed below `clear_below` as long (the gap between the two stops flapping).
struct ThresholdRule {
  enum class Signal : unsigned char {
    kLatencyP99,      // microseconds per transaction in the pipeline, p99 over the window
    kDeadLetterRate,  // dead letters / messages in, over the window (0..1)
    kFraudRate,       // (review + block) / scored, over the window (0..1)
    kFraudRateSpike,  // the window's fraud rate / the baseline window's before it
    kConsumerLag,     // messages behind the input's end, summed over partitions
    kCheckpointAge,   // seconds since the last checkpoint
  };
  std::string name;
  Signal signal = Signal::kLatencyP99;
  double above = 0;
  double clear_below = 0;  // defaults to `above`
  int64_t for_s = 10;
  int64_t window_s = 60;
  int64_t baseline_s = 600;  // kFraudRateSpike only
};

struct AlertingConfig {
  std::vector<ThresholdRule> rules;
  std::string webhook;                        // http://host:port/path to POST events to; empty = none
  std::string kafka_topic = "pix.ops_alerts";  // with kafka.bootstrap_servers; empty = none
};

struct SinksConfig {
  std::string scored_dir = "data/scored";  // empty = not written
  std::string alerts_dir = "data/alerts";
  std::string dead_letter_dir = "data/dead_letter";
  // The Delta Lake table of every scored transaction (sinks/delta_sink.h); empty = none.
  std::string table_dir;
  enum class TableCodec : unsigned char { kSnappy, kZstd, kUncompressed };
  TableCodec table_codec = TableCodec::kSnappy;
  int64_t table_file_bytes = 128 << 20;  // a data file is rolled at about this size
};

// Checkpoints (docs/architecture.md, "Checkpoints"): every `interval` an epoch ends, its
// outputs are committed and the state and source position are written to `dir`.
struct CheckpointConfig {
  std::string dir = "data/checkpoints";  // empty = no checkpoints (no resume after a crash)
  int64_t interval_us = 5'000'000;
  std::size_t keep = 2;                  // newest checkpoints kept; older ones are deleted
  bool incremental = true;               // write each epoch's state changes, not the whole state
  uint64_t compact_after = 1'000'000;    // changes since the base that start a compaction (at least)
};

struct Config {
  std::string path;  // where it was loaded from, for messages

  std::string pipeline_id = "pixguard";
  std::size_t batch_size = 1024;
  std::size_t max_message_bytes = 1 << 20;
  std::size_t workers = 0;  // threads running the pipeline's stages; 0: the machine's cores
  std::size_t worker_count() const;  // workers, with 0 resolved

  SourceConfig source;
  KafkaConfig kafka;
  HttpConfig http;
  PreauthConfig preauth;
  AlertingConfig alerting;
  ValidationOptions validation;
  std::string labels_path;  // labels input (JSON lines); empty = none
  LabelTiming label_timing;
  bool dedupe_enabled = true;
  DedupeOptions dedupe;
  StateLimits state_limits;
  // Where payee histories live: shared by the parts a process holds, seeing them in merge
  // order (runtime/part_merge.h); kept per part, moving with it; or with the partitions of
  // a payee topic the input is repartitioned into (runtime/payee_stage.h), so that the
  // members of a group see every payee whole.
  enum class PayeeState : unsigned char { kShared, kPerPart, kRepartition } payee_state = PayeeState::kShared;
  // A part read up to its end for this long stops holding the payee stage back (idle).
  int64_t idle_after_us = 1'000'000;
  CheckpointConfig checkpoint;
  int64_t allowed_lateness_us = 300'000'000;
  TimeZone context_zone;
  ContextOptions context;
  std::vector<ProfileSpec> profiles;  // reference data that profile features read
  std::vector<FeatureSpec> features;
  DecisionOptions decision;
  std::string model_path;  // a model file or a directory of them; empty = rules only
  // Block and allow lists (decision.lists): their journal of changes; empty = no lists.
  std::string lists_path;
  int64_t model_poll_interval_us = 2'000'000;
  Attribution model_attribution = Attribution::kPath;  // how alert reasons credit features
  SinksConfig sinks;
  // Personal data in outputs, the API and dead letters (privacy/privacy.h); file modes.
  PrivacyOptions privacy;
};

// Loads and checks a config file. Errors name the file, the line and the key:
// "config/streaming_config.yaml:42: features[3].window: invalid duration '5x' (...)".
Status load_config(const std::string& path, Config* out);

// A decisions table holds the personal fields as the privacy policy stored them (hashes,
// masks): a replay of it (source.type: delta) takes them as they are, with no Pix format
// rule on them (none holds for a hash) and no second protection.
void read_personal_fields_as_stored(Config* c);

// Parses "90s", "5m", "24h", "30d", "250ms" into microseconds.
bool parse_duration(std::string_view text, int64_t* micros);

}  // namespace pixguard
