// pipeline_bench: in-process throughput and latency of the whole pipeline, from JSON bytes
// to an encoded decision, on the shipped config (23 features, 10 rules), next to a baseline
// measured in the same run on the same messages: simdjson On-Demand reading the same 14
// fields and nothing else (the decode ceiling).
//
//   pipeline_bench [--config PATH] [--count N] [--batch N] [--workers N] [--json]
//
// Throughput is measured with one worker and with --workers (default: the config's
// pipeline.workers, i.e. the machine's cores), in the same run.
//   pipeline_bench [--config PATH] [--count N] --payees 80000,1000,100,10,1
//
// With --payees, the skew table instead: the same stream (same seed, payers and times) with
// its transfers spread over each number of payees in turn, the time per transaction of the
// whole pipeline and of the features stage, as a ratio to the first count's.
//
// Prints figures; asserts nothing about speed (targets live in docs/performance.md).
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "simdjson_baseline.h"
#include "config/config.h"
#include "runtime/pipeline.h"
#include "score/gbdt_model.h"
#include "score/model_watcher.h"
#include "sources/generator.h"

namespace pixguard {
namespace {

using Clock = std::chrono::steady_clock;

// Discards records after the pipeline has encoded them: measures encoding, not disk.
class DiscardSink final : public Sink {
 public:
  const std::string& name() const override { return name_; }
  Status begin_epoch(uint64_t) override { return Status::Ok(); }
  Status write(const SinkRecord& r) override {
    bytes_ += r.json.size();
    return Status::Ok();
  }
  Status prepare(uint64_t) override { return Status::Ok(); }
  Status commit(uint64_t) override { return Status::Ok(); }
  Status abort(uint64_t) override { return Status::Ok(); }
  uint64_t last_committed_epoch() const override { return 0; }
  Status recover(uint64_t) override { return Status::Ok(); }
  std::size_t bytes_ = 0;

 private:
  std::string name_ = "discard";
};

std::vector<RecordBatch> make_batches(const std::vector<std::string>& messages, std::size_t batch_size) {
  std::vector<RecordBatch> batches;
  for (std::size_t i = 0; i < messages.size(); i += batch_size) {
    RecordBatch b;
    for (std::size_t j = i; j < std::min(messages.size(), i + batch_size); ++j) b.add(messages[j], static_cast<int64_t>(j));
    b.finish();
    batches.push_back(std::move(b));
  }
  return batches;
}

// The baseline: parse each message and read its 14 scalar fields with simdjson On-Demand.
double simdjson_baseline(const std::vector<RecordBatch>& batches, std::size_t* checksum) {
  simdjson::ondemand::parser parser;
  const auto t0 = Clock::now();
  std::size_t sum = 0;
  for (const RecordBatch& b : batches) {
    for (std::size_t i = 0; i < b.size(); ++i) sum += simdjson_read_fields(parser, b.message(i));
  }
  *checksum = sum;
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

struct PipelineRun {
  double seconds = 0;
  Accounting accounting;
  std::vector<double> latencies_us;  // per process() call
  std::size_t bytes_out = 0;
};

PipelineRun run_pipeline(const Config& config, std::shared_ptr<const Model> model, const std::vector<RecordBatch>& batches,
                         bool per_call_latency) {
  std::unique_ptr<Pipeline> p;
  if (Status s = Pipeline::create(config, make_json_decoder(config.validation.mapping), std::move(model), nullptr, &p);
      !s.ok()) {
    std::fprintf(stderr, "pipeline_bench: %s\n", s.message().c_str());
    std::exit(1);
  }
  DiscardSink scored, alerts, dead;
  p->add_sink(Output::kScored, &scored);
  p->add_sink(Output::kAlerts, &alerts);
  p->add_sink(Output::kDeadLetters, &dead);
  PipelineRun r;
  if (per_call_latency) r.latencies_us.reserve(batches.size());
  const auto t0 = Clock::now();
  for (const RecordBatch& b : batches) {
    const auto c0 = Clock::now();
    if (Status s = p->process(b, "bench"); !s.ok()) std::exit(1);
    if (per_call_latency) r.latencies_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - c0).count());
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  r.accounting = p->accounting();
  r.bytes_out = scored.bytes_ + alerts.bytes_ + dead.bytes_;
  return r;
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  const auto k = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

// The skew table (--payees): a hot key must cost no more per transaction than a cold one.
int skew_table(const Config& config, std::shared_ptr<const Model> model, uint64_t count, std::size_t batch_size,
               const std::vector<uint64_t>& payee_counts) {
  // More hot payees means more alerts (the mule rules fire): the encode stage (sink) grows
  // with them, the state must not.
  std::printf("%10s %12s %8s %14s %8s %14s %10s\n", "payees", "tx/s", "ratio", "features ns/tx", "ratio", "sink ns/tx",
              "alerts");
  double first_rate = 0, first_features = 0;
  for (uint64_t payees : payee_counts) {
    GeneratorOptions g = config.source.generator;
    g.count = count;
    g.payees = static_cast<uint32_t>(payees);
    const std::vector<std::string> messages = generate_messages(g);
    const PipelineRun r = run_pipeline(config, model, make_batches(messages, batch_size), false);
    const double n = static_cast<double>(messages.size());
    const double rate = n / r.seconds;
    const double features_ns = static_cast<double>(r.accounting.stage_times.nanos[StageTimes::kFeatures]) / n;
    if (first_rate == 0) {
      first_rate = rate;
      first_features = features_ns;
    }
    const auto& outcomes = r.accounting.outcomes;
    std::printf("%10llu %12.0f %8.2f %14.1f %8.2f %14.1f %10llu\n", static_cast<unsigned long long>(payees), rate,
                first_rate / rate, features_ns, features_ns / first_features,
                static_cast<double>(r.accounting.stage_times.nanos[StageTimes::kSink]) / n,
                static_cast<unsigned long long>(outcomes[1] + outcomes[2]));
  }
  return 0;
}

}  // namespace
}  // namespace pixguard

int main(int argc, char** argv) {
  using namespace pixguard;
  std::string config_path = "config/streaming_config.yaml";
  uint64_t count = 300'000;
  bool json = false;
  std::size_t batch_size = 0;  // 0 = the config's pipeline.batch_size
  std::size_t workers = 0;     // 0 = the config's pipeline.workers
  std::vector<uint64_t> payee_counts;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (a == "--count" && i + 1 < argc) {
      count = std::stoull(argv[++i]);
    } else if (a == "--batch" && i + 1 < argc) {
      batch_size = std::stoull(argv[++i]);
    } else if (a == "--workers" && i + 1 < argc) {
      workers = std::stoull(argv[++i]);
    } else if (a == "--json") {
      json = true;
    } else if (a == "--payees" && i + 1 < argc) {
      for (std::string list = argv[++i]; !list.empty();) {
        const std::size_t comma = list.find(',');
        payee_counts.push_back(std::stoull(list.substr(0, comma)));
        list = comma == std::string::npos ? "" : list.substr(comma + 1);
      }
    } else {
      std::fprintf(stderr,
                   "usage: pipeline_bench [--config PATH] [--count N] [--batch N] [--workers N] [--json] "
                   "[--payees N,N,...]\n");
      return 2;
    }
  }
  Config config;
  if (Status s = load_config(config_path, &config); !s.ok()) {
    std::fprintf(stderr, "pipeline_bench: %s\n", s.message().c_str());
    return 2;
  }
  GeneratorOptions g = config.source.generator;
  g.count = count;
  if (batch_size == 0) batch_size = config.batch_size;
  if (workers != 0) config.workers = workers;
  workers = config.worker_count();
  Config one_worker = config;
  one_worker.workers = 1;
  // The config's model, as `run` would serve it (the shipped one: 100 trees, depth 6).
  std::shared_ptr<const Model> model;
  if (!config.model_path.empty()) {
    std::shared_ptr<const GbdtModel> gbdt;
    if (Status s = GbdtModel::load(ModelWatcher::resolve(config.model_path), &gbdt); !s.ok()) {
      std::fprintf(stderr, "pipeline_bench: %s\n", s.message().c_str());
      return 2;
    }
    model = std::move(gbdt);
  }
  if (!payee_counts.empty()) return skew_table(config, model, count, batch_size, payee_counts);
  const std::vector<std::string> messages = generate_messages(g);
  const auto batches = make_batches(messages, batch_size);
  const auto singles = make_batches(messages, 1);
  std::size_t checksum = 0;
  const double baseline_s = simdjson_baseline(batches, &checksum);
  if (checksum == 0) std::fprintf(stderr, "pipeline_bench: the baseline read no field: the comparison is void\n");
  const PipelineRun single = run_pipeline(one_worker, model, batches, false);
  const PipelineRun throughput = run_pipeline(config, model, batches, false);
  const PipelineRun latency = run_pipeline(config, model, singles, true);

  const double n = static_cast<double>(messages.size());
  const double single_rate = n / single.seconds;
  const double pipeline_rate = n / throughput.seconds;
  const double baseline_rate = n / baseline_s;
  const double p50 = percentile(latency.latencies_us, 0.50), p99 = percentile(latency.latencies_us, 0.99),
               p999 = percentile(latency.latencies_us, 0.999);
  const auto& st = throughput.accounting.stage_times;
  if (json) {
    std::printf("{\"messages\":%zu,\"features\":%zu,\"rules\":%zu,\"workers\":%zu,\"pipeline_tx_per_s\":%.0f,"
                "\"one_worker_tx_per_s\":%.0f,\"simdjson_baseline_msg_per_s\":%.0f,\"ratio_to_baseline\":%.4f,"
                "\"latency_us\":{\"p50\":%.3f,\"p99\":%.3f,\"p999\":%.3f},\"stage_ns_per_tx\":{",
                messages.size(), config.features.size(), config.decision.rules.size(), workers, pipeline_rate,
                single_rate, baseline_rate, pipeline_rate / baseline_rate, p50, p99, p999);
    for (std::size_t i = 0; i < StageTimes::kCount; ++i) {
      std::printf("%s\"%s\":%.1f", i ? "," : "", StageTimes::kNames[i], static_cast<double>(st.nanos[i]) / n);
    }
    std::printf("}}\n");
    return 0;
  }
  std::size_t bytes = 0;
  for (const std::string& msg : messages) bytes += msg.size();
  std::printf("messages               %zu (%.0f bytes each on average), %zu features, %zu rules, model %s\n",
              messages.size(), n > 0 ? static_cast<double>(bytes) / n : 0.0, config.features.size(),
              config.decision.rules.size(), model ? model->version().c_str() : "none");
  std::printf("simdjson baseline      %12.0f msg/s   (parse + read 14 fields only)\n", baseline_rate);
  std::printf("pipeline, 1 worker     %12.0f tx/s    (%.3f x baseline)\n", single_rate, single_rate / baseline_rate);
  std::printf("pipeline, %zu workers    %12.0f tx/s    (%.3f x baseline, %.2f x 1 worker), batch %zu\n", workers,
              pipeline_rate, pipeline_rate / baseline_rate, pipeline_rate / single_rate, batch_size);
  std::printf("latency, batch 1       p50 %.2f us   p99 %.2f us   p99.9 %.2f us\n", p50, p99, p999);
  std::printf("stages (thread ns per tx summed over workers, %zu workers, batch %zu):\n", workers, batch_size);
  for (std::size_t i = 0; i < StageTimes::kCount; ++i) {
    std::printf("  %-9s %8.1f\n", StageTimes::kNames[i], static_cast<double>(st.nanos[i]) / n);
  }
  std::printf("accounting: %llu scored, %llu dead letters, %llu duplicates; %.1f MB encoded\n",
              static_cast<unsigned long long>(throughput.accounting.scored),
              static_cast<unsigned long long>(throughput.accounting.dead_letters),
              static_cast<unsigned long long>(throughput.accounting.duplicates),
              static_cast<double>(throughput.bytes_out) / 1e6);
  return 0;
}
