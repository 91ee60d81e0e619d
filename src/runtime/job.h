#pragma once
// A job: the source, decoder, labels, pipeline and sinks that a config describes, wired
// together. `run` and `replay` both build one, so history and the stream go through the
// same code (Kappa: no train/serve skew).
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "enrich/label_store.h"
#include "enrich/profile_store.h"
#include "lists/list_store.h"
#include "runtime/pipeline.h"
#include "score/model_watcher.h"
#include "sinks/sink.h"
#include "sources/source.h"

namespace pixguard {

struct Job {
  std::unique_ptr<Source> source;
  std::unique_ptr<LabelStore> labels;
  std::unique_ptr<ModelWatcher> model_watcher;  // null without model.path
  std::unique_ptr<ListStore> lists;             // null without lists
  std::unique_ptr<ProfileStore> profiles;       // null without profiles
  std::unique_ptr<Pipeline> pipeline;
  std::vector<std::unique_ptr<Sink>> sinks;
};

// Builds the source, labels, model (watched for hot reload) and pipeline of `config` (no
// sinks: the command adds its own). `config` must outlive the job. With `source` given (the
// pre-authorization API), it is read instead of the configured one, as JSON in the mapped
// input shape.
Status build_job(const Config& config, Job* job, std::unique_ptr<Source> source = nullptr);

}  // namespace pixguard
