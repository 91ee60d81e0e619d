#include "lists/list_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/clock.h"
#include "core/timestamp.h"

namespace pixguard {
namespace {

using Json = nlohmann::json;

Json entry_json(const ListEntry& e) {
  Json j = {{"reason", e.reason}, {"author", e.author}, {"at", format_timestamp_utc(e.added_us)}};
  j["expires_at"] = e.expires_us == INT64_MAX ? Json(nullptr) : Json(format_timestamp_utc(e.expires_us));
  return j;
}

bool parse_utc(const Json& v, int64_t* us) {
  return v.is_string() &&
         parse_timestamp(v.get_ref<const std::string&>(), TimestampFormat::kRfc3339, TimeZone(), us) ==
             TimestampError::kOk;
}

}  // namespace

bool listable_field(Field f) {
  switch (f) {
    case Field::kPayerAccount:
    case Field::kPayerDocument:
    case Field::kPayeeKey:
    case Field::kPayeeAccount:
    case Field::kPayeeDocument:
    case Field::kDeviceId:
    case Field::kIp:
      return true;
    default:
      return false;
  }
}

std::string_view list_field_value(Field f, const Transaction& tx) {
  switch (f) {
    case Field::kPayerAccount: return tx.payer.account;
    case Field::kPayerDocument: return tx.payer.document;
    case Field::kPayeeKey: return tx.payee_key;
    case Field::kPayeeAccount: return tx.payee.account;
    case Field::kPayeeDocument: return tx.payee.document;
    case Field::kDeviceId: return tx.device_id;
    case Field::kIp: return tx.ip;
    default: return {};
  }
}

bool ListSnapshot::contains(std::size_t index, const Transaction& tx) const {
  const std::string_view value = list_field_value(specs_[index].field, tx);
  if (value.empty()) return false;
  const auto& entries = lists_[index];
  // Debian's absl::string_view is its own type, not std::string_view.
  const auto it = entries.find(absl::string_view(value.data(), value.size()));
  return it != entries.end() && tx.event_time_us < it->second.expires_us;
}

ListStore::ListStore(std::vector<ListSpec> specs, std::string path)
    : specs_(std::move(specs)), path_(std::move(path)), lists_(specs_.size()) {}

Status ListStore::open(std::vector<ListSpec> specs, std::string path, std::unique_ptr<ListStore>* out) {
  std::unique_ptr<ListStore> s(new ListStore(std::move(specs), std::move(path)));
  // Created empty, readable by its owner only: it names keys and documents.
  const int fd = ::open(s->path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IoError("lists.path " + s->path_ + ": " + std::strerror(errno));
  ::close(fd);
  Status replayed;
  {
    std::lock_guard lock(s->mutex_);
    replayed = s->refresh_locked();
  }
  if (!replayed.ok() && replayed.code() != StatusCode::kInvalidArgument) return replayed;
  *out = std::move(s);
  return replayed;  // InvalidArgument: a line was skipped; the store is open
}

int ListStore::list_index(std::string_view name) const {
  for (std::size_t i = 0; i < specs_.size(); ++i) {
    if (specs_[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

Status ListStore::apply_line(std::string_view line, std::size_t line_number) {
  const std::string where = path_ + ":" + std::to_string(line_number) + ": ";
  Json j = Json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::InvalidArgument(where + "not a JSON object");
  const auto text = [&j](const char* key) -> std::string {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  const std::string list = text("list"), op = text("op"), value = text("value"), author = text("author");
  int64_t at = 0;
  if (!j.contains("at") || !parse_utc(j["at"], &at)) return Status::InvalidArgument(where + "at: expected an RFC 3339 time");
  if (author.empty()) return Status::InvalidArgument(where + "author: required");
  if (value.empty()) return Status::InvalidArgument(where + "value: required");
  const int index = list_index(list);
  if (index < 0) return Status::InvalidArgument(where + "list: '" + list + "' is not a configured list");
  auto& entries = lists_[static_cast<std::size_t>(index)];
  if (op == "add") {
    ListEntry e{text("reason"), author, at, INT64_MAX};
    if (const auto it = j.find("expires_at"); it != j.end() && !it->is_null() && !parse_utc(*it, &e.expires_us)) {
      return Status::InvalidArgument(where + "expires_at: expected an RFC 3339 time or null");
    }
    entries[value] = std::move(e);
    return Status::Ok();
  }
  if (op == "remove") {
    entries.erase(value);
    return Status::Ok();
  }
  return Status::InvalidArgument(where + "op: expected add or remove, got '" + op + "'");
}

Status ListStore::refresh_locked() {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) return Status::IoError("lists.path " + path_ + ": " + std::strerror(errno));
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size == offset_) return Status::Ok();
  if (size < offset_) {
    // Said once: the lists stay as they were, and lines appended from now on apply.
    offset_ = size;
    partial_.clear();
    return Status::Corruption("lists.path " + path_ + " shrank: the journal is append-only; the lists keep what "
                              "was applied, and new lines apply from its current end");
  }
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IoError("lists.path " + path_ + ": " + std::strerror(errno));
  std::string bytes(size - offset_, '\0');
  const ssize_t got = ::pread(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset_));
  ::close(fd);
  if (got < 0) return Status::IoError("lists.path " + path_ + ": " + std::strerror(errno));
  bytes.resize(static_cast<std::size_t>(got));
  offset_ += static_cast<uint64_t>(got);
  partial_ += bytes;
  Status first;
  std::size_t begin = 0;
  for (std::size_t end; (end = partial_.find('\n', begin)) != std::string::npos; begin = end + 1) {
    ++lines_read_;
    const std::string_view line(partial_.data() + begin, end - begin);
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    if (Status s = apply_line(line, lines_read_); !s.ok() && first.ok()) first = s;
  }
  partial_.erase(0, begin);
  auto snap = std::make_shared<ListSnapshot>();
  snap->specs_ = specs_;
  snap->lists_ = lists_;
  snapshot_ = std::move(snap);
  return first;
}

Status ListStore::refresh() {
  std::lock_guard lock(mutex_);
  return refresh_locked();
}

std::shared_ptr<const ListSnapshot> ListStore::snapshot() const {
  std::lock_guard lock(mutex_);
  return snapshot_;
}

namespace {

Status append_line(const std::string& path, const std::string& line) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) return Status::IoError("lists.path " + path + ": " + std::strerror(errno));
  // One write: appends of whole lines by several writers do not interleave.
  const ssize_t wrote = ::write(fd, line.data(), line.size());
  const int err = errno;
  const bool synced = wrote == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) return Status::IoError("lists.path " + path + ": " + std::strerror(wrote < 0 ? err : errno));
  return Status::Ok();
}

}  // namespace

Status ListStore::add(const std::string& list, const std::string& value, const std::string& reason,
                      const std::string& author, int64_t expires_us) {
  std::lock_guard lock(mutex_);
  if (Status s = refresh_locked(); !s.ok() && s.code() != StatusCode::kInvalidArgument) return s;
  const int index = list_index(list);
  if (index < 0) return Status::NotFound("no list named '" + list + "'");
  if (value.empty() || author.empty()) return Status::InvalidArgument("value and author are required");
  const auto& entries = lists_[static_cast<std::size_t>(index)];
  const auto before = entries.find(value);
  const ListEntry after{reason, author, unix_micros(), expires_us};
  Json j = {{"at", format_timestamp_utc(after.added_us)}, {"author", author}, {"list", list}, {"op", "add"}, {"value", value},
            {"reason", reason}};
  j["expires_at"] = expires_us == INT64_MAX ? Json(nullptr) : Json(format_timestamp_utc(expires_us));
  j["before"] = before == entries.end() ? Json(nullptr) : entry_json(before->second);
  j["after"] = entry_json(after);
  if (Status s = append_line(path_, j.dump() + "\n"); !s.ok()) return s;
  return refresh_locked();
}

Status ListStore::remove(const std::string& list, const std::string& value, const std::string& author) {
  std::lock_guard lock(mutex_);
  if (Status s = refresh_locked(); !s.ok() && s.code() != StatusCode::kInvalidArgument) return s;
  const int index = list_index(list);
  if (index < 0) return Status::NotFound("no list named '" + list + "'");
  if (author.empty()) return Status::InvalidArgument("author is required");
  const auto& entries = lists_[static_cast<std::size_t>(index)];
  const auto before = entries.find(value);
  if (before == entries.end()) return Status::NotFound("'" + list + "' has no such value");
  Json j = {{"at", format_timestamp_utc(unix_micros())}, {"author", author}, {"list", list}, {"op", "remove"}, {"value", value}};
  j["before"] = entry_json(before->second);
  j["after"] = nullptr;
  if (Status s = append_line(path_, j.dump() + "\n"); !s.ok()) return s;
  return refresh_locked();
}

Status ListStore::entries_json(const std::string& list, std::string* out) const {
  std::lock_guard lock(mutex_);
  const int index = list_index(list);
  if (index < 0) return Status::NotFound("no list named '" + list + "'");
  Json a = Json::array();
  for (const auto& [value, e] : lists_[static_cast<std::size_t>(index)]) {
    Json j = entry_json(e);
    j["value"] = value;
    a.push_back(std::move(j));
  }
  *out = a.dump();
  return Status::Ok();
}

}  // namespace pixguard
