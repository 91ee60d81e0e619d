#include "runtime/part_checkpoints.h"

#include <filesystem>

#include "core/byte_io.h"
#include "core/clock.h"
#include "core/log.h"

namespace pixguard {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kKeep = 3;

// "pix.transactions/3" -> "pix.transactions.3": a directory name (topic names hold no '/').
std::string directory_of(const std::string& part) {
  std::string name = part;
  for (char& c : name) {
    if (c == '/') c = '.';
  }
  return name;
}

}  // namespace

CheckpointStore* PartCheckpoints::store_of(const std::string& part, Status* status) {
  auto it = stores_.find(part);
  if (it == stores_.end()) {
    auto store = std::make_unique<CheckpointStore>(dir_ + "/" + directory_of(part), kKeep);
    if (*status = store->open(); !status->ok()) return nullptr;
    it = stores_.emplace(part, std::move(store)).first;
  }
  return it->second.get();
}

Status PartCheckpoints::write(const PartCheckpoint& pc) {
  Status status;
  CheckpointStore* store = store_of(pc.part, &status);
  if (store == nullptr) return status;
  const std::vector<uint64_t> sequences = store->epochs_on_disk();
  Checkpoint c;
  c.epoch = (sequences.empty() ? 0 : sequences.front()) + 1;
  c.pipeline_id = pipeline_id_;
  c.source_name = pc.part;
  c.source_position = std::to_string(pc.next_position);
  c.state_shape = pc.state_shape;
  c.written_at_us = unix_micros();
  ByteWriter w(&c.state);
  w.put_string(pc.writer.instance);
  w.put_string(pc.writer.run);
  w.put(pc.writer.epoch);
  w.put<uint8_t>(pc.writer.needs_commit_record ? 1 : 0);
  w.put(pc.next_position);
  c.state += pc.state;
  return store->write(c);
}

Status PartCheckpoints::load_latest(const std::string& part, const std::function<bool(const PartWriter&)>& committed,
                                    PartCheckpoint* out, bool* found) {
  *found = false;
  Status status;
  CheckpointStore* store = store_of(part, &status);
  if (store == nullptr) return status;
  for (const uint64_t sequence : store->epochs_on_disk()) {
    Checkpoint c;
    if (Status s = store->load(sequence, &c); !s.ok()) {
      log(LogLevel::kError, s.message() + "; trying the one before it");
      continue;
    }
    const std::string where = "part checkpoint " + store->path_of(sequence);
    if (c.pipeline_id != pipeline_id_ || c.source_name != part) {
      return Status::InvalidArgument(where + " belongs to pipeline '" + c.pipeline_id + "' part " + c.source_name +
                                     "; point checkpoint.dir elsewhere");
    }
    ByteReader r(c.state);
    PartCheckpoint pc;
    pc.part = part;
    pc.writer.instance = r.get_string();
    pc.writer.run = r.get_string();
    pc.writer.epoch = r.get<uint64_t>();
    pc.writer.needs_commit_record = r.get<uint8_t>() != 0;
    pc.next_position = r.get<int64_t>();
    if (r.failed()) {
      log(LogLevel::kError, where + ": malformed writer record; trying the one before it");
      continue;
    }
    if (!committed(pc.writer)) {
      log(LogLevel::kWarn, where + " is of epoch " + std::to_string(pc.writer.epoch) + " of instance " +
                               pc.writer.instance + ", whose Kafka transaction never committed; using the one before it");
      continue;
    }
    pc.state_shape = c.state_shape;
    pc.state = c.state.substr(c.state.size() - r.remaining());
    *out = std::move(pc);
    *found = true;
    return Status::Ok();
  }
  return Status::Ok();
}

Status PartCheckpoints::clear() {
  stores_.clear();
  std::error_code ec;
  fs::remove_all(dir_, ec);
  if (ec) return Status::IoError("part checkpoints " + dir_ + ": " + ec.message());
  return Status::Ok();
}

}  // namespace pixguard
