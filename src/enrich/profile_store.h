#pragma once
// Reference data joined to transactions (`profiles:` in the config): account and key
// profiles (when an account was opened, whether it is a company's, its institution's risk
// list, when a DICT key was created) read from a CSV table or a PostgreSQL query, one row
// per key and version, and exposed as features (`profile_value`, `profile_age_days`;
// features/feature_spec.h).
//
// Point in time: a row with `valid_from` applies from that time on. A transaction at event
// time t reads its key's latest row with valid_from <= t (none: the features are
// missing), so a replay of last month sees the profiles as they were then, and a change
// never leaks backwards. Rows without valid_from apply from the beginning.
//
// Refresh: every `refresh` interval a file is checked (its size and modification time) and
// read again when it changed, and a query is run again, on the calling thread (the
// pipeline's, between batches); a table that no longer reads keeps the previous one, said in
// the log (naming the profile, never the connection string: it may hold a password).
//
// Threading: refresh() and snapshot() from one thread (the pipeline's driving thread); a
// snapshot is immutable and read by the workers without locks.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "core/field.h"
#include "core/status.h"
#include "core/transaction.h"

namespace pixguard {

struct ProfileSpec {
  std::string name;
  Field key = Field::kPayerAccount;  // the transaction field that finds the row
  // Where the table is: a CSV file with a header, or a PostgreSQL query (libpq connection
  // string and SELECT; the result's column names are the table's).
  std::string path;
  std::string dsn;
  std::string query;
  std::string key_column;
  std::string valid_from_column;      // empty: every row applies from the beginning
  int64_t refresh_us = 30'000'000;    // 0: read once
};

// One profile table as read: per key, its versions in valid_from order; per version, one
// value per column (as text: features parse what they need).
class ProfileTable {
 public:
  // Reads `spec.path` or runs `spec.query`. Errors name the file, line and column, or the
  // profile and PostgreSQL's message.
  static Status read(const ProfileSpec& spec, std::shared_ptr<const ProfileTable>* out);

  // The index of `column` (-1: no such column).
  int column(std::string_view name) const;
  // The row of `key` that applies at `time_us`, or null.
  const std::vector<std::string>* at(std::string_view key, int64_t time_us) const;
  std::size_t keys() const { return versions_.size(); }

 private:
  struct Version {
    int64_t valid_from_us;
    std::vector<std::string> values;
  };
  static Status read_csv(const ProfileSpec& spec, ProfileTable* table);
  static Status read_postgres(const ProfileSpec& spec, ProfileTable* table);
  // Adds one row (cells in column order); `where` prefixes errors.
  Status add_row(const ProfileSpec& spec, int key, int valid_from, std::vector<std::string> cells,
                 const std::string& where);
  std::vector<std::string> columns_;
  absl::flat_hash_map<std::string, std::vector<Version>> versions_;  // looked up by string_view
};

class ProfileStore {
 public:
  // Reads every table once; an unreadable one fails.
  static Status open(std::vector<ProfileSpec> specs, std::unique_ptr<ProfileStore>* out);

  // Reads again the tables whose file changed and whose refresh interval has passed.
  void refresh();
  const ProfileSpec& spec(std::size_t i) const { return specs_[i]; }
  std::size_t size() const { return specs_.size(); }
  // The tables now (index = spec index); each stays valid while held.
  std::vector<std::shared_ptr<const ProfileTable>> snapshot() const { return tables_; }

 private:
  struct Watch {
    int64_t checked_us = 0;
    int64_t mtime_ns = 0;
    int64_t size = -1;
  };
  std::vector<ProfileSpec> specs_;
  std::vector<std::shared_ptr<const ProfileTable>> tables_;
  std::vector<Watch> watch_;
};

}  // namespace pixguard
