#include "score/model_watcher.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "core/log.h"

namespace pixguard {
namespace {
namespace fs = std::filesystem;

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace

ModelWatcher::ModelWatcher(std::string path, Loader loader, Check check, std::chrono::milliseconds interval)
    : path_(std::move(path)), loader_(std::move(loader)), check_(std::move(check)), interval_(interval) {}

ModelWatcher::~ModelWatcher() {
  {
    std::lock_guard<std::mutex> lock(stop_mutex_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string ModelWatcher::resolve(const std::string& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return fs::exists(path, ec) ? path : std::string();
  std::string best;
  fs::file_time_type best_time{};
  for (const auto& entry : fs::directory_iterator(path, ec)) {
    const std::string name = entry.path().filename().string();
    const bool model_file = (ends_with(name, ".json") && !ends_with(name, ".card.json")) || ends_with(name, ".ubj");
    if (!entry.is_regular_file(ec) || !model_file) continue;
    if (name.front() == '.') continue;  // a file being written by an editor or a copy tool
    const auto t = entry.last_write_time(ec);
    // Newest wins; equal times fall back to the name, so the choice is deterministic.
    if (best.empty() || t > best_time || (t == best_time && entry.path().string() > best)) {
      best = entry.path().string();
      best_time = t;
    }
  }
  return best;
}

ModelWatcher::FileStamp ModelWatcher::stamp(const std::string& file) {
  FileStamp s;
  s.file = file;
  struct stat st {};
  if (!file.empty() && ::stat(file.c_str(), &st) == 0) {
    s.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    s.size = static_cast<int64_t>(st.st_size);
  }
  return s;
}

Status ModelWatcher::load(const FileStamp& s) {
  std::shared_ptr<const Model> model;
  if (Status st = loader_(s.file, &model); !st.ok()) return st;
  if (Status st = check_(*model); !st.ok()) return st;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    current_ = std::move(model);
  }
  generation_.fetch_add(1, std::memory_order_release);
  return Status::Ok();
}

Status ModelWatcher::start() {
  const std::string file = resolve(path_);
  if (file.empty()) return Status::NotFound("model.path " + path_ + ": no model file (*.json, *.ubj) there");
  loaded_ = stamp(file);
  if (Status s = load(loaded_); !s.ok()) return s;
  log(LogLevel::kInfo, "model " + current()->version() + " serving, from " + file);
  thread_ = std::thread([this] { watch(); });
  return Status::Ok();
}

std::shared_ptr<const Model> ModelWatcher::current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return current_;
}

bool ModelWatcher::wait_or_stop(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock(stop_mutex_);
  return stop_cv_.wait_for(lock, d, [this] { return stop_; });
}

void ModelWatcher::watch() {
  while (!wait_or_stop(interval_)) {
    const FileStamp now = stamp(resolve(path_));
    if (now.file.empty() || now == loaded_) continue;
    // A file still being written changes again shortly: load it only once it holds still
    // (writers that rename a finished file into place never hit this).
    if (wait_or_stop(interval_ / 4)) return;
    if (!(stamp(now.file) == now)) continue;
    loaded_ = now;
    if (const Status s = load(now); s.ok()) {
      log(LogLevel::kInfo, "model " + current()->version() + " now serving, from " + now.file);
    } else {
      rejected_.fetch_add(1, std::memory_order_relaxed);
      log(LogLevel::kWarn, "model file " + now.file + " rejected, previous model keeps serving: " + s.message());
    }
  }
}

}  // namespace pixguard
