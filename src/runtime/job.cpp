#include "runtime/job.h"

#include "sources/file_source.h"
#include "sources/generator_source.h"

namespace pixguard {

Status build_job(const Config& config, Job* job) {
  std::unique_ptr<Decoder> decoder;
  if (config.source.type == SourceConfig::Type::kGenerator) {
    job->source = std::make_unique<GeneratorSource>(config.source.generator);
    decoder = make_json_decoder(config.validation.mapping);
  } else {
    std::unique_ptr<FileSource> file;
    if (Status s = FileSource::open(config.source.path, config.source.format, &file); !s.ok()) return s;
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
  if (!config.model_path.empty()) {
    return Status::Unsupported(config.path + ": model.path: loading XGBoost models is not available in this build; "
                               "remove model.path to decide by rules alone");
  }
  return Pipeline::create(config, std::move(decoder), nullptr, job->labels.get(), &job->pipeline);
}

}  // namespace pixguard
