#pragma once
// Hot reload of the model: watches `model.path` (a model file, or a directory whose newest
// *.json or *.ubj model is the one to serve) and loads a changed file on a background thread. A file
// that fails to load or to fit the configured features is rejected with a log line and the
// current model keeps serving. The pipeline picks up an accepted model between batches, so
// no transaction is scored by two models, and every scored record names its model version.
//
// Threading: a background thread loads; current() and generation() may be called from any
// thread. Destruction stops the thread.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/status.h"
#include "score/model.h"

namespace pixguard {

class ModelWatcher {
 public:
  using Loader = std::function<Status(const std::string& file, std::shared_ptr<const Model>* out)>;
  // Checks that a loaded model can serve (e.g. its features are all configured).
  using Check = std::function<Status(const Model& model)>;

  ModelWatcher(std::string path, Loader loader, Check check, std::chrono::milliseconds interval);
  ~ModelWatcher();
  ModelWatcher(const ModelWatcher&) = delete;
  ModelWatcher& operator=(const ModelWatcher&) = delete;

  // Loads the model synchronously and starts watching. An error here (no model file, a
  // bad one) is fatal for the job: it must not start without the model it was told to use.
  Status start();

  // The model to score with; never null after a successful start().
  std::shared_ptr<const Model> current() const;
  // Increases each time a new model is accepted: a cheap "did it change?" check.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  uint64_t rejected() const { return rejected_.load(std::memory_order_relaxed); }

  // The model file `path` designates now: itself, or a directory's newest *.json or *.ubj that is not
  // a model card (*.card.json). Empty when there is none.
  static std::string resolve(const std::string& path);

 private:
  struct FileStamp {
    std::string file;
    int64_t mtime_ns = 0;
    int64_t size = -1;
    bool operator==(const FileStamp&) const = default;
  };
  static FileStamp stamp(const std::string& file);
  Status load(const FileStamp& s);
  void watch();
  // Sleeps `d`, or less when stopped; true when stopped.
  bool wait_or_stop(std::chrono::milliseconds d);

  std::string path_;
  Loader loader_;
  Check check_;
  std::chrono::milliseconds interval_;

  mutable std::mutex mutex_;
  std::shared_ptr<const Model> current_;  // guarded by mutex_
  FileStamp loaded_;                      // last file tried (accepted or not); watcher thread only
  std::atomic<uint64_t> generation_{0};
  std::atomic<uint64_t> rejected_{0};

  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stop_ = false;  // guarded by stop_mutex_
  std::thread thread_;
};

}  // namespace pixguard
