#include "enrich/profile_store.h"

#include <libpq-fe.h>
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
  auto table = std::make_shared<ProfileTable>();
  Status s = spec.dsn.empty() ? read_csv(spec, table.get()) : read_postgres(spec, table.get());
  if (!s.ok()) return s;
  for (auto& [k, versions] : table->versions_) {
    std::stable_sort(versions.begin(), versions.end(),
                     [](const Version& a, const Version& b) { return a.valid_from_us < b.valid_from_us; });
  }
  *out = std::move(table);
  return Status::Ok();
}

Status ProfileTable::add_row(const ProfileSpec& spec, int key, int valid_from, std::vector<std::string> cells,
                             const std::string& where) {
  if (cells.size() != columns_.size()) {
    return Status::InvalidArgument(where + std::to_string(cells.size()) + " cells, the header has " +
                                   std::to_string(columns_.size()));
  }
  if (cells[static_cast<std::size_t>(key)].empty()) return Status::InvalidArgument(where + "empty key");
  Version v{INT64_MIN, {}};
  if (valid_from >= 0 && !cells[static_cast<std::size_t>(valid_from)].empty()) {
    // RFC 3339, or PostgreSQL's timestamptz text ("2018-05-01 12:00:00+00").
    std::string text = cells[static_cast<std::size_t>(valid_from)];
    if (text.size() > 10 && text[10] == ' ') text[10] = 'T';
    if (text.size() >= 3 && (text[text.size() - 3] == '+' || text[text.size() - 3] == '-') &&
        text.find('T') != std::string::npos) {
      text += ":00";  // "+00" -> "+00:00"
    }
    if (parse_timestamp(text, TimestampFormat::kRfc3339, TimeZone(), &v.valid_from_us) != TimestampError::kOk) {
      return Status::InvalidArgument(where + spec.valid_from_column + ": expected an RFC 3339 time, got '" +
                                     cells[static_cast<std::size_t>(valid_from)] + "'");
    }
  }
  std::string k = cells[static_cast<std::size_t>(key)];
  v.values = std::move(cells);
  versions_[std::move(k)].push_back(std::move(v));
  return Status::Ok();
}

namespace {

// The key and valid_from columns of `table`, or an error naming the missing one.
Status key_columns(const ProfileSpec& spec, const ProfileTable& table, const std::string& where, int* key,
                   int* valid_from) {
  *key = table.column(spec.key_column);
  *valid_from = spec.valid_from_column.empty() ? -1 : table.column(spec.valid_from_column);
  if (*key < 0) return Status::InvalidArgument(where + "no key column '" + spec.key_column + "'");
  if (!spec.valid_from_column.empty() && *valid_from < 0) {
    return Status::InvalidArgument(where + "no valid_from column '" + spec.valid_from_column + "'");
  }
  return Status::Ok();
}

}  // namespace

Status ProfileTable::read_csv(const ProfileSpec& spec, ProfileTable* table) {
  const std::string& path = spec.path;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return Status::IoError("profiles." + spec.name + ": " + path + ": " + std::strerror(errno));
  CsvRecordReader reader(f.get());
  std::vector<std::string> cells;
  std::size_t line = 0;
  if (!reader.next(&table->columns_, &line)) {
    return Status::InvalidArgument(path + ": no header (profiles." + spec.name + ")");
  }
  int key = 0, valid_from = 0;
  if (Status s = key_columns(spec, *table, path + ":1: ", &key, &valid_from); !s.ok()) return s;
  while (reader.next(&cells, &line)) {
    if (cells.size() == 1 && cells[0].empty()) continue;  // a blank line
    if (Status s = table->add_row(spec, key, valid_from, cells, path + ":" + std::to_string(line) + ": "); !s.ok()) {
      return s;
    }
  }
  if (reader.unterminated()) return Status::InvalidArgument(path + ":" + std::to_string(line) + ": a quoted cell is never closed");
  if (reader.read_errno() != 0) return Status::IoError(path + ": " + std::strerror(reader.read_errno()));
  return Status::Ok();
}

Status ProfileTable::read_postgres(const ProfileSpec& spec, ProfileTable* table) {
  const std::string where = "profiles." + spec.name + " (PostgreSQL): ";
  std::unique_ptr<PGconn, void (*)(PGconn*)> conn(PQconnectdb(spec.dsn.c_str()), &PQfinish);
  if (conn == nullptr || PQstatus(conn.get()) != CONNECTION_OK) {
    return Status::IoError(where + "cannot connect: " + (conn ? PQerrorMessage(conn.get()) : "out of memory"));
  }
  std::unique_ptr<PGresult, void (*)(PGresult*)> result(PQexec(conn.get(), spec.query.c_str()), &PQclear);
  if (result == nullptr || PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
    return Status::InvalidArgument(where + "query failed: " + PQerrorMessage(conn.get()));
  }
  const int columns = PQnfields(result.get());
  for (int c = 0; c < columns; ++c) table->columns_.emplace_back(PQfname(result.get(), c));
  int key = 0, valid_from = 0;
  if (Status s = key_columns(spec, *table, where, &key, &valid_from); !s.ok()) return s;
  const int rows = PQntuples(result.get());
  for (int r = 0; r < rows; ++r) {
    std::vector<std::string> cells(static_cast<std::size_t>(columns));
    for (int c = 0; c < columns; ++c) {
      // NULL reads as an empty cell: a missing value.
      if (!PQgetisnull(result.get(), r, c)) cells[static_cast<std::size_t>(c)] = PQgetvalue(result.get(), r, c);
    }
    if (Status s = table->add_row(spec, key, valid_from, std::move(cells), where + "row " + std::to_string(r + 1) + ": ");
        !s.ok()) {
      return s;
    }
  }
  return Status::Ok();
}

int ProfileTable::column(std::string_view name) const {
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    if (columns_[i] == name) return static_cast<int>(i);
  }
  return -1;
}

const std::vector<std::string>* ProfileTable::at(std::string_view key, int64_t time_us) const {
  const auto it = versions_.find(absl::string_view(key.data(), key.size()));  // Debian's absl: its own type
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
    if (s->specs_[i].dsn.empty()) stat_file(s->specs_[i].path, &w.size, &w.mtime_ns);
    if (Status st = ProfileTable::read(s->specs_[i], &s->tables_[i]); !st.ok()) return st;
    w.checked_us = unix_micros();
    log(LogLevel::kInfo, "profiles." + s->specs_[i].name + ": " + std::to_string(s->tables_[i]->keys()) + " keys from " +
                             (s->specs_[i].dsn.empty() ? s->specs_[i].path : std::string("its PostgreSQL query")));
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
    if (specs_[i].dsn.empty()) {
      int64_t size = -1, mtime = 0;
      stat_file(specs_[i].path, &size, &mtime);
      if (size == w.size && mtime == w.mtime_ns) continue;
      w.size = size;
      w.mtime_ns = mtime;
    }
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
