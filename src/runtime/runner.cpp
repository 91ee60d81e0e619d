#include "runtime/runner.h"

#include <algorithm>
#include <chrono>

#include "core/log.h"

namespace pixguard {

std::vector<Sink*> Runner::all_sinks() const {
  std::vector<Sink*> all;
  for (const Output kind : {Output::kScored, Output::kAlerts, Output::kDeadLetters}) {
    for (Sink* s : pipeline_->sinks(kind)) {
      if (std::find(all.begin(), all.end(), s) == all.end()) all.push_back(s);
    }
  }
  return all;
}

Status Runner::begin_epoch() {
  ++epoch_;
  for (Sink* s : all_sinks()) {
    if (Status st = s->begin_epoch(epoch_); !st.ok()) return st;
  }
  return Status::Ok();
}

Status Runner::end_epoch() {
  const std::vector<Sink*> sinks = all_sinks();
  for (Sink* s : sinks) {
    if (Status st = s->prepare(epoch_); !st.ok()) {
      for (Sink* t : sinks) (void)t->abort(epoch_);
      return st;
    }
  }
  for (Sink* s : sinks) {
    if (Status st = s->commit(epoch_); !st.ok()) return st;
  }
  pipeline_->expire_state();
  if (options_.on_epoch) options_.on_epoch(pipeline_->accounting());
  return Status::Ok();
}

void Runner::pick_up_new_model() {
  const ModelWatcher* w = options_.model_watcher;
  if (w == nullptr || w->generation() == model_generation_) return;
  model_generation_ = w->generation();
  // The watcher checked that the model fits the features, so this cannot fail in practice;
  // if it did, the current model keeps serving.
  if (Status s = pipeline_->set_model(w->current()); !s.ok()) {
    log(LogLevel::kWarn, "new model not served: " + s.message());
  }
}

Status Runner::run(const std::atomic<bool>& stop) {
  using Clock = std::chrono::steady_clock;
  const auto started = Clock::now();
  for (Sink* s : all_sinks()) epoch_ = std::max(epoch_, s->last_committed_epoch());
  if (Status s = begin_epoch(); !s.ok()) return s;
  auto epoch_started = Clock::now();
  const auto interval = std::chrono::microseconds(options_.epoch_interval_us);
  bool end = false;
  Status failure;
  if (options_.model_watcher != nullptr) model_generation_ = options_.model_watcher->generation();
  while (!end && !stop.load(std::memory_order_relaxed)) {
    pick_up_new_model();
    batch_.clear();
    if (failure = source_->read(&batch_, options_.batch_size, &end); !failure.ok()) break;
    batch_.finish();
    if (!batch_.empty()) {
      if (failure = pipeline_->process(batch_, source_->name()); !failure.ok()) break;
    }
    if (!end && Clock::now() - epoch_started >= interval) {
      if (failure = end_epoch(); !failure.ok()) break;
      if (failure = begin_epoch(); !failure.ok()) break;
      epoch_started = Clock::now();
    }
  }
  if (failure.ok()) {
    failure = end_epoch();
  } else {
    for (Sink* s : all_sinks()) (void)s->abort(epoch_);
  }
  pipeline_->accounting().seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return failure;
}

}  // namespace pixguard
