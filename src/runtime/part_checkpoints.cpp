#include "runtime/part_checkpoints.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/atomic_file.h"
#include "core/byte_io.h"
#include "core/file_io.h"
#include "core/log.h"

namespace pixguard {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kPartitionedFormat = 1;

// "pix.transactions/3" -> "pix.transactions.3": a file name (topic names hold no '/').
std::string file_name_of(const std::string& part) {
  std::string name = part;
  for (char& c : name) {
    if (c == '/') c = '.';
  }
  return name + ".ckpt";
}

// Offers a committed section: the highest position wins.
void offer(const PartSection& section, const PartWriter& writer, std::map<std::string, FoundPart>* found) {
  auto it = found->find(section.part);
  if (it == found->end() || it->second.section.next_position < section.next_position) {
    (*found)[section.part] = FoundPart{section, writer};
  }
}

}  // namespace

std::string encode_partitioned_state(std::string_view accounting, const PartWriter& writer,
                                     const std::vector<PartSection>& parts) {
  std::string out;
  ByteWriter w(&out);
  w.put(kPartitionedFormat);
  w.put_string(accounting);
  w.put_string(writer.instance);
  w.put_string(writer.run);
  w.put(writer.epoch);
  w.put<uint8_t>(writer.needs_commit_record ? 1 : 0);
  w.put<uint64_t>(parts.size());
  for (const PartSection& p : parts) {
    w.put_string(p.part);
    w.put(p.next_position);
    w.put_string(p.state);
  }
  return out;
}

Status decode_partitioned_state(std::string_view state, std::string* accounting, PartWriter* writer,
                                std::vector<PartSection>* parts) {
  ByteReader r(state);
  if (const uint32_t format = r.get<uint32_t>(); format != kPartitionedFormat) {
    return Status::Unsupported("partitioned state format " + std::to_string(format) + " (this build reads " +
                               std::to_string(kPartitionedFormat) + ")");
  }
  *accounting = r.get_string();
  writer->instance = r.get_string();
  writer->run = r.get_string();
  writer->epoch = r.get<uint64_t>();
  writer->needs_commit_record = r.get<uint8_t>() != 0;
  const uint64_t n = r.get_count(8 + 8 + 8);
  parts->clear();
  for (uint64_t i = 0; i < n && !r.failed(); ++i) {
    PartSection p;
    p.part = r.get_string();
    p.next_position = r.get<int64_t>();
    p.state = r.get_string();
    parts->push_back(std::move(p));
  }
  if (r.failed() || !r.at_end()) return Status::Corruption("partitioned state is malformed");
  return Status::Ok();
}

std::string PartCheckpoints::adopted_path(const std::string& instance, const std::string& part) const {
  return dir_ + "/" + instance + "/adopted/" + file_name_of(part);
}

bool PartCheckpoints::read_adopted(const std::string& instance, const std::string& part, FoundPart* copy,
                                   Status* error) const {
  const std::string path = adopted_path(instance, part);
  std::string bytes;
  if (Status s = read_whole_file(path, &bytes); !s.ok()) {
    // None is the usual case; one that cannot be read may hold the newest state of the part.
    if (s.code() != StatusCode::kNotFound && error != nullptr && error->ok()) *error = s.with_context("adopted part");
    return false;
  }
  Checkpoint c;
  std::string accounting;
  std::vector<PartSection> sections;
  Status s = CheckpointStore::decode(std::move(bytes), &c);
  if (s.ok()) s = decode_partitioned_state(c.state, &accounting, &copy->writer, &sections);
  if (!s.ok() || sections.size() != 1 || sections[0].part != part) {
    log(LogLevel::kError, path + " is unusable (" + s.message() + "); ignored");
    return false;
  }
  copy->section = std::move(sections[0]);
  return true;
}

Status PartCheckpoints::find(const std::vector<std::string>& parts,
                             const std::function<bool(const PartWriter&)>& committed,
                             std::map<std::string, FoundPart>* found) const {
  found->clear();
  std::error_code ec;
  for (fs::directory_iterator members(dir_, ec), end; !ec && members != end; members.increment(ec)) {
    const fs::directory_entry& member = *members;
    if (!member.is_directory()) continue;
    const std::string instance = member.path().filename().string();
    // Its adopted copies were taken from committed checkpoints.
    Status unreadable;
    for (const std::string& part : parts) {
      FoundPart copy;
      if (read_adopted(instance, part, &copy, &unreadable)) offer(copy.section, copy.writer, found);
    }
    if (!unreadable.ok()) return unreadable;
    // Its checkpoints, newest first: the first committed one holding a part is its newest
    // state of that part there.
    const CheckpointStore store(member.path().string(), 1);
    std::vector<std::string> missing = parts;
    std::vector<uint64_t> epochs;
    if (Status s = store.list_epochs(&epochs); !s.ok()) return s;
    for (const uint64_t epoch : epochs) {
      if (missing.empty()) break;
      Checkpoint c;
      std::string accounting;
      PartWriter writer;
      std::vector<PartSection> sections;
      Status s = store.load(epoch, &c);
      if (s.ok() && c.pipeline_id != pipeline_id_) {
        return Status::InvalidArgument("checkpoint " + store.path_of(epoch) + " belongs to pipeline '" +
                                       c.pipeline_id + "', not '" + pipeline_id_ + "'; point checkpoint.dir elsewhere");
      }
      if (s.ok()) s = decode_partitioned_state(c.state, &accounting, &writer, &sections);
      if (!s.ok()) {
        log(LogLevel::kError, s.message() + "; trying the one before it");
        continue;
      }
      if (!committed(writer)) continue;  // its Kafka transaction never committed
      for (const PartSection& section : sections) {
        const auto it = std::find(missing.begin(), missing.end(), section.part);
        if (it == missing.end()) continue;
        missing.erase(it);
        offer(section, writer, found);
      }
    }
  }
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return Status::IoError("part checkpoints " + dir_ + ": " + ec.message());
  }
  return Status::Ok();
}

Status PartCheckpoints::adopt(const FoundPart& part) {
  std::error_code ec;
  const std::string path = adopted_path(instance_, part.section.part);
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec) return Status::IoError("adopted part " + path + ": " + ec.message());
  Checkpoint c;
  c.epoch = part.writer.epoch;
  c.pipeline_id = pipeline_id_;
  c.source_name = part.section.part;
  c.source_position = std::to_string(part.section.next_position);
  c.state = encode_partitioned_state("", part.writer, {part.section});
  return write_file_atomically(path, CheckpointStore::encode(c));
}

void PartCheckpoints::release_adopted(const std::vector<std::string>& parts) {
  std::error_code ec;
  for (const std::string& part : parts) fs::remove(adopted_path(instance_, part), ec);
}

bool PartCheckpoints::adopted_elsewhere(const std::string& part, int64_t position) const {
  std::error_code ec;
  for (const auto& member : fs::directory_iterator(dir_, ec)) {
    const std::string instance = member.path().filename().string();
    FoundPart copy;
    if (instance != instance_ && read_adopted(instance, part, &copy) && copy.section.next_position >= position) {
      return true;
    }
  }
  return false;
}

Status PartCheckpoints::clear_adopted() {
  std::error_code ec;
  for (const auto& member : fs::directory_iterator(dir_, ec)) {
    if (member.is_directory()) fs::remove_all(member.path() / "adopted", ec);
  }
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return Status::IoError("part checkpoints " + dir_ + ": " + ec.message());
  }
  return Status::Ok();
}

}  // namespace pixguard
