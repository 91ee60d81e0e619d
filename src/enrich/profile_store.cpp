#include "enrich/profile_store.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "core/clock.h"
#include "core/csv_record_reader.h"
#include "core/log.h"
#include "core/timestamp.h"

namespace pixguard {

Status ProfileTable::read(const ProfileSpec& spec, std::shared_ptr<const ProfileTable>* out) {
  const std::string& path = spec.path;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return Status::IoError("profiles." + spec.name + ": " + path + ": " + std::strerror(errno));
  CsvRecordReader reader(f.get());
  auto table = std::make_shared<ProfileTable>();
  std::vector<std::string> cells;
  std::size_t line = 0;
  if (!reader.next(&table->columns_, &line)) {
    return Status::InvalidArgument(path + ": no header (profiles." + spec.name + ")");
  }
  const int key = table->column(spec.key_column);
  const int valid_from = spec.valid_from_column.empty() ? -1 : table->column(spec.valid_from_column);
  if (key < 0) return Status::InvalidArgument(path + ":1: no key column '" + spec.key_column + "' in the header");
  if (!spec.valid_from_column.empty() && valid_from < 0) {
    return Status::InvalidArgument(path + ":1: no valid_from column '" + spec.valid_from_column + "' in the header");
  }
  while (reader.next(&cells, &line)) {
    const std::string where = path + ":" + std::to_string(line) + ": ";
    if (cells.size() == 1 && cells[0].empty()) continue;  // a blank line
    if (cells.size() != table->columns_.size()) {
      return Status::InvalidArgument(where + std::to_string(cells.size()) + " cells, the header has " +
                                     std::to_string(table->columns_.size()));
    }
    if (cells[static_cast<std::size_t>(key)].empty()) return Status::InvalidArgument(where + "empty key");
    Version v{INT64_MIN, {}};
    if (valid_from >= 0 && !cells[static_cast<std::size_t>(valid_from)].empty() &&
        parse_timestamp(cells[static_cast<std::size_t>(valid_from)], TimestampFormat::kRfc3339, TimeZone(),
                        &v.valid_from_us) != TimestampError::kOk) {
      return Status::InvalidArgument(where + spec.valid_from_column + ": expected an RFC 3339 time, got '" +
                                     cells[static_cast<std::size_t>(valid_from)] + "'");
    }
    std::string k = cells[static_cast<std::size_t>(key)];
    v.values = cells;
    table->versions_[std::move(k)].push_back(std::move(v));
  }
  if (reader.unterminated()) return Status::InvalidArgument(path + ":" + std::to_string(line) + ": a quoted cell is never closed");
  if (reader.read_errno() != 0) return Status::IoError(path + ": " + std::strerror(reader.read_errno()));
  for (auto& [k, versions] : table->versions_) {
    std::stable_sort(versions.begin(), versions.end(),
                     [](const Version& a, const Version& b) { return a.valid_from_us < b.valid_from_us; });
  }
  *out = std::move(table);
  return Status::Ok();
}

int ProfileTable::column(std::string_view name) const {
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    if (columns_[i] == name) return static_cast<int>(i);
  }
  return -1;
}

const std::vector<std::string>* ProfileTable::at(std::string_view key, int64_t time_us) const {
  const auto it = versions_.find(std::string(key));
  if (it == versions_.end()) return nullptr;
  const auto& versions = it->second;
  // The last version with valid_from <= time (the latest of equal ones: the file's last).
  const auto next = std::upper_bound(versions.begin(), versions.end(), time_us,
                                     [](int64_t t, const Version& v) { return t < v.valid_from_us; });
  return next == versions.begin() ? nullptr : &std::prev(next)->values;
}

namespace {

// The file's size and modification time (-1 when it cannot be read).
void stat_file(const std::string& path, int64_t* size, int64_t* mtime_ns) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    *size = -1;
    return;
  }
  *size = st.st_size;
  *mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

}  // namespace

Status ProfileStore::open(std::vector<ProfileSpec> specs, std::unique_ptr<ProfileStore>* out) {
  std::unique_ptr<ProfileStore> s(new ProfileStore());
  s->specs_ = std::move(specs);
  s->tables_.resize(s->specs_.size());
  s->watch_.resize(s->specs_.size());
  for (std::size_t i = 0; i < s->specs_.size(); ++i) {
    Watch& w = s->watch_[i];
    stat_file(s->specs_[i].path, &w.size, &w.mtime_ns);
    if (Status st = ProfileTable::read(s->specs_[i], &s->tables_[i]); !st.ok()) return st;
    w.checked_us = unix_micros();
    log(LogLevel::kInfo, "profiles." + s->specs_[i].name + ": " + std::to_string(s->tables_[i]->keys()) +
                             " keys from " + s->specs_[i].path);
  }
  *out = std::move(s);
  return Status::Ok();
}

void ProfileStore::refresh() {
  const int64_t now = unix_micros();
  for (std::size_t i = 0; i < specs_.size(); ++i) {
    Watch& w = watch_[i];
    if (specs_[i].refresh_us <= 0 || now - w.checked_us < specs_[i].refresh_us) continue;
    w.checked_us = now;
    int64_t size = -1, mtime = 0;
    stat_file(specs_[i].path, &size, &mtime);
    if (size == w.size && mtime == w.mtime_ns) continue;
    w.size = size;
    w.mtime_ns = mtime;
    std::shared_ptr<const ProfileTable> table;
    if (Status s = ProfileTable::read(specs_[i], &table); !s.ok()) {
      log(LogLevel::kWarn, "profiles." + specs_[i].name + ": keeping the previous table: " + s.message());
      continue;
    }
    tables_[i] = std::move(table);
    log(LogLevel::kInfo, "profiles." + specs_[i].name + ": read again, " + std::to_string(tables_[i]->keys()) + " keys");
  }
}

}  // namespace pixguard
