#include "runtime/state_compactor.h"

#include <chrono>

#include "runtime/part_state.h"

namespace pixguard {

void StateCompactor::start(uint64_t from_base, uint64_t to_epoch) {
  done_.store(false);
  thread_ = std::thread([this, from_base, to_epoch] { compact(from_base, to_epoch); });
}

bool StateCompactor::poll(CompactionResult* result) {
  if (!thread_.joinable() || !done_.load(std::memory_order_acquire)) return false;
  thread_.join();
  *result = result_;
  return true;
}

void StateCompactor::wait() {
  if (thread_.joinable()) thread_.join();
}

void StateCompactor::compact(uint64_t from_base, uint64_t to_epoch) {
  const auto started = std::chrono::steady_clock::now();
  CompactionResult r;
  r.base_epoch = to_epoch;
  PartStates parts(config_);
  if (from_base > 0) {
    std::string base;
    r.status = store_->read_base(from_base, &base);
    ByteReader in(base);
    if (r.status.ok() && (!parts.load(&in) || !in.at_end())) {
      r.status = Status::Corruption("base of epoch " + std::to_string(from_base) + " is malformed");
    }
  }
  // Each epoch as the pipeline lived it: its changes, then the expiry of its end.
  std::vector<StateChange> changes;
  for (uint64_t e = from_base + 1; e <= to_epoch && r.status.ok(); ++e) {
    r.status = store_->read_changes(e, &changes);
    if (!r.status.ok()) break;
    for (const StateChange& c : changes) parts.apply(c);
    parts.expire();
  }
  if (r.status.ok()) {
    std::string snapshot;
    ByteWriter out(&snapshot);
    parts.save(&out);
    r.status = store_->write_base(to_epoch, snapshot, &r.bytes);
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  result_ = std::move(r);
  done_.store(true, std::memory_order_release);
}

}  // namespace pixguard
