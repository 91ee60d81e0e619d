#pragma once
// Block and allow lists (`lists:` in the config): per list, values of one transaction field
// (a payee key, an account, a document, a device), each entry with its reason, author and
// optional expiry. Rules test membership as `list.<name>` (1 when the transaction's field
// value is on the list and the entry has not expired at the transaction's event time).
//
// The journal (`lists.path`, JSON lines) is both the store and the audit log: every change,
// made through the API (add / remove) or appended to the file by another tool, is one line
//   {"at":"2026-12-03T15:00:00Z","author":"ana","list":"blocked_payee_keys","op":"add",
//    "value":"mule@example.com","reason":"MED 123","expires_at":"2027-01-01T00:00:00Z",
//    "before":null,"after":{"reason":"MED 123","author":"ana","at":"...","expires_at":"..."}}
// ("op":"remove" takes no reason or expiry; "before"/"after" are the entry around the change,
// written by the API, optional in lines written by others). Opening replays the journal;
// refresh() applies lines appended since, whoever wrote them, so an API change and a file
// change take the same path, and the pipeline, which refreshes before every batch, applies
// either within one batch. A line that cannot be read is refused with its line number and
// skipped (the rest still apply).
//
// Threading: add(), remove(), refresh(), entries() and snapshot() may be called from any
// thread (a mutex). A snapshot is immutable: the pipeline's workers read it without locks.
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "core/field.h"
#include "core/status.h"
#include "core/transaction.h"

namespace pixguard {

// A list as the config declares it: its name (rules say `list.<name>`) and the field whose
// value is looked up.
struct ListSpec {
  std::string name;
  Field field = Field::kPayeeKey;
};

struct ListEntry {
  std::string reason;
  std::string author;
  int64_t added_us = 0;
  int64_t expires_us = INT64_MAX;  // INT64_MAX: never
};
// A list's entries by value; looked up by string_view, without a copy per transaction.
using ValueMap = absl::flat_hash_map<std::string, ListEntry>;

// The lists at one moment; immutable.
class ListSnapshot {
 public:
  // Whether `tx`'s value of list `index`'s field is on it, unexpired at its event time.
  bool contains(std::size_t index, const Transaction& tx) const;
  std::size_t size() const { return lists_.size(); }

 private:
  friend class ListStore;
  std::vector<ListSpec> specs_;
  std::vector<ValueMap> lists_;  // by list index, by value
};

class ListStore {
 public:
  // Opens the journal at `path` (created when absent) and replays it. InvalidArgument (with
  // `out` set) when a line was skipped; other errors leave `out` unset.
  static Status open(std::vector<ListSpec> specs, std::string path, std::unique_ptr<ListStore>* out);

  // The API's changes: appended to the journal (fsync) with the entry before and after, then
  // applied. NotFound for an unknown list; remove() of a value not on the list is NotFound.
  Status add(const std::string& list, const std::string& value, const std::string& reason, const std::string& author,
             int64_t expires_us);
  Status remove(const std::string& list, const std::string& value, const std::string& author);

  // Applies the lines appended to the journal since the last call; returns the first
  // problem (the other lines still apply).
  Status refresh();
  std::shared_ptr<const ListSnapshot> snapshot() const;

  // The list's entries as a JSON array (the API); NotFound for an unknown list.
  Status entries_json(const std::string& list, std::string* out) const;
  const std::vector<ListSpec>& specs() const { return specs_; }
  const std::string& path() const { return path_; }

 private:
  ListStore(std::vector<ListSpec> specs, std::string path);
  Status refresh_locked();
  Status apply_line(std::string_view line, std::size_t line_number);
  int list_index(std::string_view name) const;

  std::vector<ListSpec> specs_;
  std::string path_;
  mutable std::mutex mutex_;
  std::vector<ValueMap> lists_;
  std::shared_ptr<const ListSnapshot> snapshot_;
  uint64_t offset_ = 0;        // journal bytes applied
  std::size_t lines_read_ = 0;
  std::string partial_;        // a last line not yet ended by '\n'
};

// The field value a list looks up in `tx` ("" when absent).
std::string_view list_field_value(Field field, const Transaction& tx);
// The fields a list may be on.
bool listable_field(Field field);

}  // namespace pixguard
