#include "runtime/checkpoint_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "core/atomic_file.h"
#include "core/byte_io.h"
#include "core/crc32c.h"
#include "core/file_io.h"
#include "core/log.h"

namespace pixguard {
namespace {

namespace fs = std::filesystem;

constexpr char kMagic[8] = {'P', 'X', 'G', 'C', 'K', 'P', 'T', '1'};
constexpr uint32_t kFormat = 1;
constexpr std::size_t kHeaderBytes = sizeof kMagic + 4 + 4 + 8;
constexpr std::string_view kPrefix = "checkpoint-";
constexpr std::string_view kSuffix = ".ckpt";
constexpr std::string_view kChangesPrefix = "changes-", kChangesSuffix = ".log";
constexpr std::string_view kBasePrefix = "parts-", kBaseSuffix = ".base";
constexpr char kChangesMagic[8] = {'P', 'X', 'G', 'C', 'H', 'G', 'S', '2'};
constexpr char kBaseMagic[8] = {'P', 'X', 'G', 'B', 'A', 'S', 'E', '1'};
constexpr uint32_t kStateFileFormat = 1;

std::string errno_text() { return std::strerror(errno); }

// The epoch of "<prefix>NNNNNNNNNNNNNNNNNNNN<suffix>", or 0 for any other name.
uint64_t epoch_of(const std::string& name, std::string_view prefix = kPrefix, std::string_view suffix = kSuffix) {
  if (name.size() != prefix.size() + 20 + suffix.size() || !name.starts_with(prefix) || !name.ends_with(suffix)) {
    return 0;
  }
  uint64_t e = 0;
  for (std::size_t i = prefix.size(); i < prefix.size() + 20; ++i) {
    if (name[i] < '0' || name[i] > '9') return 0;
    e = e * 10 + static_cast<uint64_t>(name[i] - '0');
  }
  return e;
}

std::string file_name(std::string_view prefix, uint64_t epoch, std::string_view suffix) {
  char digits[24];
  std::snprintf(digits, sizeof digits, "%020llu", static_cast<unsigned long long>(epoch));
  return std::string(prefix) + digits + std::string(suffix);
}

// A state file: magic | u32 format | u32 CRC-32C of the body | u64 body size | body.
std::string frame(const char (&magic)[8], std::string_view body) {
  std::string out(magic, sizeof magic);
  ByteWriter w(&out);
  w.put(kStateFileFormat);
  w.put(crc32c(body));
  w.put<uint64_t>(body.size());
  out.append(body);
  return out;
}

Status unframe(const std::string& path, const char (&magic)[8], std::string* body) {
  std::string bytes;
  if (Status s = read_whole_file(path, &bytes); !s.ok()) return s;
  if (bytes.size() < kHeaderBytes || std::memcmp(bytes.data(), magic, sizeof magic) != 0) {
    return Status::Corruption(path + ": bad magic or shorter than its header");
  }
  ByteReader h(std::string_view(bytes).substr(sizeof magic, kHeaderBytes - sizeof magic));
  const uint32_t format = h.get<uint32_t>();
  const uint32_t crc = h.get<uint32_t>();
  const uint64_t size = h.get<uint64_t>();
  if (format != kStateFileFormat) return Status::Unsupported(path + ": format " + std::to_string(format));
  if (size != bytes.size() - kHeaderBytes) return Status::Corruption(path + ": truncated");
  if (crc32c(std::string_view(bytes).substr(kHeaderBytes)) != crc) return Status::Corruption(path + ": checksum mismatch");
  bytes.erase(0, kHeaderBytes);
  *body = std::move(bytes);
  return Status::Ok();
}

}  // namespace

std::string CheckpointStore::path_of(uint64_t epoch) const {
  char name[64];
  std::snprintf(name, sizeof name, "checkpoint-%020llu.ckpt", static_cast<unsigned long long>(epoch));
  return dir_ + "/" + name;
}

Status CheckpointStore::open() {
  std::error_code ec;
  if (Status s = create_directories_durably(dir_); !s.ok()) return s.with_context("checkpoint directory");
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.ends_with(".tmp") && (name.starts_with(kPrefix) || name.starts_with(kChangesPrefix) ||
                                   name.starts_with(kBasePrefix))) {
      fs::remove(entry.path(), ec);
    }
  }
  if (ec) return Status::IoError("checkpoint directory " + dir_ + ": " + ec.message());
  return Status::Ok();
}

namespace {

// Everything of the body but the state, which follows it (u64 size, bytes): the state is
// written and checksummed where it lies instead of being copied into one buffer.
std::string encode_meta(const Checkpoint& c) {
  std::string meta;
  ByteWriter w(&meta);
  w.put(c.epoch);
  w.put_string(c.pipeline_id);
  w.put_string(c.source_name);
  w.put_string(c.source_position);
  w.put_string(c.state_shape);
  w.put_string(c.model_version);
  w.put(c.written_at_us);
  w.put<uint64_t>(c.state.size());
  return meta;
}

std::string encode_header(const std::string& meta, const std::string& state) {
  std::string header(kMagic, sizeof kMagic);
  ByteWriter h(&header);
  h.put(kFormat);
  h.put(crc32c(state, crc32c(meta)));
  h.put<uint64_t>(meta.size() + state.size());
  return header;
}

}  // namespace

std::string CheckpointStore::encode(const Checkpoint& c) {
  const std::string meta = encode_meta(c);
  return encode_header(meta, c.state) + meta + c.state;
}

Status CheckpointStore::decode(std::string bytes, Checkpoint* out) {
  if (bytes.size() < kHeaderBytes || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
    return Status::Corruption("not a pixguard checkpoint (bad magic or shorter than its header)");
  }
  ByteReader h(std::string_view(bytes).substr(sizeof kMagic, kHeaderBytes - sizeof kMagic));
  const uint32_t format = h.get<uint32_t>();
  const uint32_t crc = h.get<uint32_t>();
  const uint64_t size = h.get<uint64_t>();
  if (format != kFormat) {
    return Status::Unsupported("checkpoint format " + std::to_string(format) + " (this build reads " +
                               std::to_string(kFormat) + ")");
  }
  if (size != bytes.size() - kHeaderBytes) {
    return Status::Corruption("truncated: header says " + std::to_string(size) + " bytes of body, file has " +
                              std::to_string(bytes.size() - kHeaderBytes));
  }
  const std::string_view body = std::string_view(bytes).substr(kHeaderBytes);
  if (crc32c(body) != crc) return Status::Corruption("checksum mismatch");
  ByteReader r(body);
  Checkpoint c;
  c.epoch = r.get<uint64_t>();
  c.pipeline_id = r.get_string();
  c.source_name = r.get_string();
  c.source_position = r.get_string();
  c.state_shape = r.get_string();
  c.model_version = r.get_string();
  c.written_at_us = r.get<int64_t>();
  const uint64_t state_size = r.get<uint64_t>();
  if (r.failed() || state_size != r.remaining()) return Status::Corruption("malformed body");
  // The state is the tail of the file: keep the buffer rather than copy hundreds of MiB.
  bytes.erase(0, bytes.size() - state_size);
  c.state = std::move(bytes);
  *out = std::move(c);
  return Status::Ok();
}

Status CheckpointStore::write(const Checkpoint& checkpoint, CheckpointWriteStats* stats) {
  const auto started = std::chrono::steady_clock::now();
  const std::string meta = encode_meta(checkpoint);
  const std::string header = encode_header(meta, checkpoint.state);
  const std::string path = path_of(checkpoint.epoch);
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IoError("checkpoint: create " + tmp + ": " + errno_text());
  Status s = write_all(fd, header, tmp);
  if (s.ok()) s = write_all(fd, meta, tmp);
  if (s.ok()) s = write_all(fd, checkpoint.state, tmp);
  if (s.ok() && ::fsync(fd) != 0) s = Status::IoError("checkpoint: fsync " + tmp + ": " + errno_text());
  ::close(fd);
  if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    s = Status::IoError("checkpoint: rename " + tmp + ": " + errno_text());
  }
  if (s.ok()) s = fsync_dir(dir_);
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  // Only now that the new one is durable may old ones go.
  const std::vector<uint64_t> epochs = epochs_on_disk();
  for (std::size_t i = keep_; i < epochs.size(); ++i) ::unlink(path_of(epochs[i]).c_str());
  if (stats != nullptr) {
    stats->bytes = header.size() + meta.size() + checkpoint.state.size();
    stats->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  }
  return Status::Ok();
}

Status CheckpointStore::list_epochs(std::vector<uint64_t>* epochs) const {
  epochs->clear();
  std::error_code ec;
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    if (const uint64_t e = epoch_of(it->path().filename().string()); e > 0) epochs->push_back(e);
  }
  std::sort(epochs->rbegin(), epochs->rend());
  // A directory that cannot be listed is not one without checkpoints: starting afresh would
  // produce again (or, for the file and Delta sinks, take back) what was committed.
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return Status::IoError("checkpoint directory " + dir_ + ": cannot list it: " + ec.message());
  }
  return Status::Ok();
}

std::vector<uint64_t> CheckpointStore::epochs_on_disk() const {
  std::vector<uint64_t> epochs;
  if (Status s = list_epochs(&epochs); !s.ok()) log(LogLevel::kWarn, s.message());
  return epochs;
}

Status CheckpointStore::load_latest(Checkpoint* out, bool* found) const {
  *found = false;
  std::vector<uint64_t> epochs;
  if (Status s = list_epochs(&epochs); !s.ok()) return s;
  std::string failures;
  for (const uint64_t e : epochs) {
    const std::string path = path_of(e);
    std::string bytes;
    Status s = read_whole_file(path, &bytes);
    if (s.ok()) s = decode(std::move(bytes), out);
    if (s.ok() && out->epoch != e) s = Status::Corruption("holds epoch " + std::to_string(out->epoch));
    if (s.ok()) {
      *found = true;
      return Status::Ok();
    }
    log(LogLevel::kError, "checkpoint " + path + " is unusable (" + s.message() + "); trying the one before it");
    failures += (failures.empty() ? "" : "; ") + path + ": " + s.message();
  }
  if (!epochs.empty()) {
    return Status::Corruption("no usable checkpoint in " + dir_ + " (" + failures +
                              "); move the directory aside or pass --overwrite to start over");
  }
  return Status::Ok();
}

Status CheckpointStore::load(uint64_t epoch, Checkpoint* out) const {
  const std::string path = path_of(epoch);
  std::string bytes;
  Status s = read_whole_file(path, &bytes);
  if (s.ok()) s = decode(std::move(bytes), out);
  if (s.ok() && out->epoch != epoch) s = Status::Corruption("holds epoch " + std::to_string(out->epoch));
  return s.ok() ? s : s.with_context("checkpoint " + path);
}

Status CheckpointStore::clear() {
  std::error_code ec;
  for (const uint64_t e : epochs_on_disk()) fs::remove(path_of(e), ec);
  if (!ec) remove_state_before(~uint64_t{0});
  if (ec) return Status::IoError("checkpoint directory " + dir_ + ": " + ec.message());
  return Status::Ok();
}

Status CheckpointStore::begin_changes(uint64_t epoch, std::unique_ptr<ChangesFile>* out) {
  const std::string path = dir_ + "/" + file_name(kChangesPrefix, epoch, kChangesSuffix);
  std::unique_ptr<ChangesFile> f(new ChangesFile(dir_, path, epoch));
  const std::string tmp = path + ".tmp";
  f->fd_ = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (f->fd_ < 0) return Status::IoError("changes: create " + tmp + ": " + errno_text());
  // The header is written last, once the body's size and checksum are known.
  if (::lseek(f->fd_, static_cast<off_t>(kHeaderBytes), SEEK_SET) < 0) {
    return Status::IoError("changes: seek " + tmp + ": " + errno_text());
  }
  *out = std::move(f);
  return Status::Ok();
}

ChangesFile::~ChangesFile() {
  if (fd_ < 0) return;
  ::close(fd_);
  ::unlink((path_ + ".tmp").c_str());
}

Status ChangesFile::append(const StateChange* changes, std::size_t n) {
  const std::string_view bytes(reinterpret_cast<const char*>(changes), n * sizeof(StateChange));
  crc_ = crc32c(bytes, crc_);
  count_ += n;
  body_bytes_ += bytes.size();
  return write_all(fd_, bytes, path_ + ".tmp");
}

Status ChangesFile::sync() {
  if (::fdatasync(fd_) != 0) return Status::IoError("changes: fsync " + path_ + ".tmp: " + errno_text());
  return Status::Ok();
}

Status ChangesFile::finish(uint64_t* bytes) {
  const std::string tmp = path_ + ".tmp";
  std::string trailer;
  ByteWriter t(&trailer);
  t.put(epoch_);
  t.put(count_);
  crc_ = crc32c(trailer, crc_);
  body_bytes_ += trailer.size();
  std::string header(kChangesMagic, sizeof kChangesMagic);
  ByteWriter h(&header);
  h.put(kStateFileFormat);
  h.put(crc_);
  h.put(body_bytes_);
  Status s = write_all(fd_, trailer, tmp);
  if (s.ok() && ::pwrite(fd_, header.data(), header.size(), 0) != static_cast<ssize_t>(header.size())) {
    s = Status::IoError("changes: write header " + tmp + ": " + errno_text());
  }
  if (s.ok() && ::fsync(fd_) != 0) s = Status::IoError("changes: fsync " + tmp + ": " + errno_text());
  ::close(fd_);
  fd_ = -1;
  if (s.ok() && ::rename(tmp.c_str(), path_.c_str()) != 0) s = Status::IoError("changes: rename " + tmp + ": " + errno_text());
  if (s.ok()) s = fsync_dir(dir_);
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  *bytes = kHeaderBytes + body_bytes_;
  return Status::Ok();
}

Status CheckpointStore::write_changes(uint64_t epoch, const std::vector<StateChange>& changes, uint64_t* bytes) {
  std::unique_ptr<ChangesFile> f;
  Status s = begin_changes(epoch, &f);
  if (s.ok()) s = f->append(changes.data(), changes.size());
  if (s.ok()) s = f->finish(bytes);
  return s;
}

Status CheckpointStore::read_changes(uint64_t epoch, std::vector<StateChange>* out) const {
  const std::string path = dir_ + "/" + file_name(kChangesPrefix, epoch, kChangesSuffix);
  std::string body;
  if (Status s = unframe(path, kChangesMagic, &body); !s.ok()) return s;
  out->clear();
  constexpr std::size_t kTrailer = 2 * sizeof(uint64_t);
  if (body.size() < kTrailer || (body.size() - kTrailer) % sizeof(StateChange) != 0) {
    return Status::Corruption(path + ": malformed");
  }
  ByteReader trailer(std::string_view(body).substr(body.size() - kTrailer));
  const uint64_t stored_epoch = trailer.get<uint64_t>();
  const uint64_t count = trailer.get<uint64_t>();
  if (stored_epoch != epoch) return Status::Corruption(path + ": holds another epoch");
  if (count != (body.size() - kTrailer) / sizeof(StateChange)) return Status::Corruption(path + ": malformed");
  out->resize(count);
  if (count > 0) std::memcpy(out->data(), body.data(), count * sizeof(StateChange));
  return Status::Ok();
}

Status CheckpointStore::write_base(uint64_t epoch, std::string_view parts, uint64_t* bytes) {
  const std::string file = frame(kBaseMagic, parts);
  *bytes = file.size();
  return write_file_atomically(dir_ + "/" + file_name(kBasePrefix, epoch, kBaseSuffix), file);
}

Status CheckpointStore::read_base(uint64_t epoch, std::string* parts) const {
  return unframe(dir_ + "/" + file_name(kBasePrefix, epoch, kBaseSuffix), kBaseMagic, parts);
}

void CheckpointStore::remove_state_before(uint64_t oldest_base) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    const uint64_t base = epoch_of(name, kBasePrefix, kBaseSuffix);
    const uint64_t changes = epoch_of(name, kChangesPrefix, kChangesSuffix);
    if ((base > 0 && base < oldest_base) || (changes > 0 && changes <= oldest_base)) fs::remove(entry.path(), ec);
  }
}

std::string IncrementalState::encode() const {
  std::string out(kMagic);
  ByteWriter w(&out);
  w.put(base_epoch);
  w.put_string(accounting);
  return out;
}

Status IncrementalState::decode(std::string_view state, IncrementalState* out, bool* incremental) {
  *incremental = state.starts_with(kMagic);
  if (!*incremental) return Status::Ok();
  ByteReader r(state.substr(kMagic.size()));
  out->base_epoch = r.get<uint64_t>();
  out->accounting = r.get_string();
  if (r.failed() || !r.at_end()) return Status::Corruption("incremental checkpoint state is malformed");
  return Status::Ok();
}

}  // namespace pixguard
