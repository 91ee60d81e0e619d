#include "runtime/changes_writer.h"

namespace pixguard {
namespace {

constexpr std::size_t kMaxQueued = 16;  // chunks waiting; beyond it append() waits

}  // namespace

ChangesWriter::ChangesWriter(CheckpointStore* store) : store_(store), thread_([this] { loop(); }) {}

ChangesWriter::~ChangesWriter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void ChangesWriter::append(uint64_t epoch, std::vector<StateChange>* changes) {
  std::unique_lock<std::mutex> lock(mu_);
  done_.wait(lock, [this] { return queue_.size() < kMaxQueued; });
  queue_.push_back(Item{epoch, std::move(*changes), false});
  changes->clear();
  lock.unlock();
  wake_.notify_one();
}

Status ChangesWriter::finish(uint64_t epoch, std::vector<StateChange>* rest, uint64_t* bytes) {
  std::unique_lock<std::mutex> lock(mu_);
  queue_.push_back(Item{epoch, std::move(*rest), true});
  rest->clear();
  finished_ = false;
  wake_.notify_one();
  done_.wait(lock, [this] { return finished_; });
  *bytes = finish_bytes_;
  return finish_status_;
}

void ChangesWriter::loop() {
  for (;;) {
    std::unique_lock<std::mutex> lock(mu_);
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left
    Item item = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    done_.notify_all();

    if (file_epoch_ != item.epoch) {
      file_.reset();  // an epoch that never finished (it failed): abandoned, with its error
      error_ = Status::Ok();
      file_epoch_ = item.epoch;
    }
    if (file_ == nullptr && error_.ok()) {
      error_ = store_->begin_changes(item.epoch, &file_);
    }
    if (error_.ok() && !item.changes.empty()) error_ = file_->append(item.changes.data(), item.changes.size());
    uint64_t bytes = 0;
    if (item.finish) {
      if (error_.ok()) error_ = file_->finish(&bytes);
      lock.lock();
      finish_status_ = error_;
      finish_bytes_ = bytes;
      finished_ = true;
      lock.unlock();
      done_.notify_all();
      file_.reset();
      error_ = Status::Ok();
      file_epoch_ = 0;
    } else if (error_.ok()) {
      error_ = file_->sync();  // in the background, so that finishing has little to flush
    }
  }
}

}  // namespace pixguard
