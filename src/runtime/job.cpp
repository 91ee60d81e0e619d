#include "runtime/job.h"

#include <chrono>

#include "core/log.h"
#include "score/gbdt_model.h"
#include "sources/delta_source.h"
#include "sources/file_source.h"
#include "sources/generator_source.h"
#include "sources/kafka_source.h"

namespace pixguard {

Status build_job(const Config& config, Job* job, std::unique_ptr<Source> source) {
  std::unique_ptr<Decoder> decoder;
  if (source != nullptr) {
    job->source = std::move(source);
    decoder = make_json_decoder(config.validation.mapping);
  } else if (config.source.type == SourceConfig::Type::kGenerator) {
    job->source = std::make_unique<GeneratorSource>(config.source.generator);
    decoder = make_json_decoder(config.validation.mapping);
  } else if (config.source.type == SourceConfig::Type::kKafka) {
    KafkaSourceOptions o;
    o.bootstrap_servers = config.kafka.bootstrap_servers;
    o.properties = config.kafka.properties;
    for (const auto& [name, value] : config.kafka.consumer_properties) o.properties[name] = value;
    o.group_id = config.kafka.group_id;
    o.topics = config.kafka.input_topics;
    // The payee stages read the payee topic with the same consumer: one group, one
    // assignment, one transaction per epoch for both topics' offsets.
    if (config.payee_state == Config::PayeeState::kRepartition) o.topics.push_back(config.kafka.payee_topic);
    o.stop_at_end = config.source.stop_at_end;
    std::unique_ptr<KafkaSource> kafka;
    if (Status s = KafkaSource::open(std::move(o), &kafka); !s.ok()) return s.with_context(config.path);
    job->source = std::move(kafka);
    decoder = make_json_decoder(config.validation.mapping);
  } else if (config.source.type == SourceConfig::Type::kDelta) {
    std::unique_ptr<DeltaSource> table;
    if (Status s = DeltaSource::open(config.source.path, &table); !s.ok()) {
      return s.with_context(config.path + ": source.path");
    }
    job->source = std::move(table);
    // The source writes the default JSON shape, whatever `input.fields` maps.
    decoder = make_json_decoder(FieldMapping::identity());
  } else {
    std::unique_ptr<FileSource> file;
    if (Status s = FileSource::open(config.source.path, config.source.format, &file, config.max_message_bytes); !s.ok()) {
      return s.with_context(config.path + ": source.path");
    }
    if (config.source.format == InputFormat::kCsv) {
      if (Status s = make_csv_decoder(config.validation.mapping, file->header(), config.source.csv_delimiter, &decoder);
          !s.ok()) {
        return Status::InvalidArgument(config.source.path + ": " + s.message());
      }
    } else {
      decoder = make_json_decoder(config.validation.mapping);
    }
    job->source = std::move(file);
  }

  if (config.label_timing.source == LabelTiming::Source::kLabelsInput) {
    job->labels = std::make_unique<LabelStore>();
    if (Status s = job->labels->load_jsonl(config.labels_path, config.validation.zone); !s.ok()) return s;
  }
  std::shared_ptr<const Model> model;
  if (!config.model_path.empty()) {
    const auto load = [](const std::string& file, std::shared_ptr<const Model>* out) {
      std::shared_ptr<const GbdtModel> m;
      Status s = GbdtModel::load(file, &m);
      *out = std::move(m);
      return s;
    };
    const auto fits = [&config](const Model& m) {
      Scorer unused;
      return Scorer::bind(std::shared_ptr<const Model>(&m, [](const Model*) {}), config.features, &unused);
    };
    const auto interval =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::microseconds(config.model_poll_interval_us));
    job->model_watcher = std::make_unique<ModelWatcher>(config.model_path, load, fits, interval);
    if (Status s = job->model_watcher->start(); !s.ok()) return s.with_context(config.path);
    model = job->model_watcher->current();
  }
  if (Status s = Pipeline::create(config, std::move(decoder), std::move(model), job->labels.get(), &job->pipeline);
      !s.ok()) {
    return s;
  }
  if (!config.profiles.empty()) {
    if (Status s = ProfileStore::open(config.profiles, &job->profiles); !s.ok()) return s.with_context(config.path);
    job->pipeline->set_profile_store(job->profiles.get());
  }
  if (!config.decision.lists.empty()) {
    if (Status s = ListStore::open(config.decision.lists, config.lists_path, &job->lists); !s.ok()) {
      // A line that cannot be read is skipped and said; the journal itself must open.
      if (s.code() != StatusCode::kInvalidArgument) return s.with_context(config.path);
      log(LogLevel::kWarn, "lists: " + s.message());
    }
    job->pipeline->set_list_store(job->lists.get());
  }
  return Status::Ok();
}

}  // namespace pixguard
