#include "delta/delta_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string_view>

#include "core/clock.h"
#include "core/file_io.h"
#include "core/join.h"
#include "core/log.h"
#include "delta/delta_checkpoint.h"
#include "delta/delta_schema.h"

namespace pixguard::delta {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kVersionDigits = 20;
constexpr std::string_view kCommitSuffix = ".json";
constexpr std::string_view kCheckpointSuffix = ".checkpoint.parquet";

int64_t now_ms() { return unix_micros() / 1000; }

std::string errno_text() { return std::strerror(errno); }

// The version of "<20 digits><suffix>", or nullopt for any other name.
std::optional<uint64_t> version_of(std::string_view name, std::string_view suffix) {
  if (name.size() != kVersionDigits + suffix.size() || !name.ends_with(suffix)) return std::nullopt;
  uint64_t v = 0;
  for (std::size_t i = 0; i < kVersionDigits; ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(name[i] - '0');
  }
  return v;
}

// The log names its files by version in 20 digits: "00000000000000000042" + suffix.
std::string version_file_name(uint64_t version, std::string_view suffix) {
  char digits[24];
  std::snprintf(digits, sizeof digits, "%020llu", static_cast<unsigned long long>(version));
  return digits + std::string(suffix);
}

std::string checkpoint_file_name(uint64_t version) { return version_file_name(version, ".checkpoint.parquet"); }

// A durable, hidden, uniquely named file in the log directory holding `body`. Readers skip
// names that are not versions, so a temp file left by a crash is harmless.
Status write_temp_commit(const std::string& log_dir, const std::string& body, std::string* tmp) {
  static std::atomic<uint64_t> counter{0};
  std::random_device device;
  *tmp = log_dir + "/.pixguard-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1)) + "-" +
         std::to_string(device()) + ".json.tmp";
  const int fd = ::open(tmp->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IoError("create " + *tmp + ": " + errno_text());
  Status s = write_all(fd, body, *tmp);
  if (s.ok() && ::fsync(fd) != 0) s = Status::IoError("fsync " + *tmp + ": " + errno_text());
  if (::close(fd) != 0 && s.ok()) s = Status::IoError("close " + *tmp + ": " + errno_text());
  if (!s.ok()) ::unlink(tmp->c_str());
  return s;
}

// Gives the temp file the name of `version` unless that version exists (*created false).
// link(2) is the put-if-absent: unlike rename(2) it never replaces an existing name.
Status link_version(const std::string& log_dir, const std::string& tmp, uint64_t version, bool* created) {
  const std::string target = log_dir + "/" + commit_file_name(version);
  *created = false;
  if (::link(tmp.c_str(), target.c_str()) == 0) {
    *created = true;
    return Status::Ok();
  }
  if (errno == EEXIST) return Status::Ok();
  return Status::IoError("link " + tmp + " to " + target + ": " + errno_text());
}

std::string body_of(const std::vector<Action>& actions) {
  std::string body;
  for (const Action& a : actions) {
    append_action_json(a, &body);
    body += '\n';
  }
  return body;
}

struct LogListing {
  std::set<uint64_t> commits;
  std::set<uint64_t> checkpoints;  // classic, single-file ones
};

Status list_log(const std::string& log_dir, LogListing* out) {
  std::error_code ec;
  fs::directory_iterator it(log_dir, ec);
  if (ec) {
    return ec == std::errc::no_such_file_or_directory ? Status::NotFound("no Delta log at " + log_dir)
                                                      : Status::IoError("list " + log_dir + ": " + ec.message());
  }
  for (const fs::directory_entry& entry : it) {
    const std::string name = entry.path().filename().string();
    if (const auto v = version_of(name, kCommitSuffix)) out->commits.insert(*v);
    if (const auto v = version_of(name, kCheckpointSuffix)) out->checkpoints.insert(*v);
  }
  return Status::Ok();
}

// The version `_last_checkpoint` names, when it names a single-file checkpoint.
std::optional<uint64_t> last_checkpoint_version(const std::string& log_dir) {
  std::string text;
  if (!read_whole_file(log_dir + "/_last_checkpoint", &text).ok()) return std::nullopt;
  const auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return std::nullopt;
  const auto version = doc.find("version");
  const auto parts = doc.find("parts");
  if (version == doc.end() || !version->is_number_unsigned()) return std::nullopt;
  if (parts != doc.end() && !(parts->is_number_integer() && parts->get<int64_t>() <= 1)) return std::nullopt;
  return version->get<uint64_t>();
}

// Action reconciliation, one action at a time in log order.
class Replay {
 public:
  explicit Replay(TableSnapshot* s) : s_(s) {}

  void apply(Action&& action) {
    std::visit([this](auto&& a) { apply_one(std::move(a)); }, std::move(action));
  }
  bool has_protocol() const { return has_protocol_; }
  bool has_metadata() const { return has_metadata_; }

 private:
  void apply_one(Protocol&& p) {
    s_->protocol = std::move(p);
    has_protocol_ = true;
  }
  void apply_one(Metadata&& m) {
    s_->metadata = std::move(m);
    has_metadata_ = true;
  }
  void apply_one(AddFile&& a) {
    s_->tombstones.erase(a.path);
    std::string path = a.path;
    s_->files.insert_or_assign(std::move(path), std::move(a));
  }
  void apply_one(RemoveFile&& r) {
    s_->files.erase(r.path);
    std::string path = r.path;
    s_->tombstones.insert_or_assign(std::move(path), std::move(r));
  }
  void apply_one(Txn&& t) { s_->txn_versions[t.app_id] = t.version; }
  void apply_one(CommitInfo&&) {}

  TableSnapshot* s_;
  bool has_protocol_ = false;
  bool has_metadata_ = false;
};

Status parse_commit(const std::string& name, const std::string& text, std::vector<Action>* actions) {
  std::size_t line_start = 0;
  int line_number = 0;
  bool any_line = false;
  while (line_start < text.size()) {
    std::size_t end = text.find('\n', line_start);
    if (end == std::string::npos) end = text.size();
    ++line_number;
    const std::string_view line(text.data() + line_start, end - line_start);
    line_start = end + 1;
    std::optional<Action> action;
    if (Status s = parse_action_json(line, &action); !s.ok()) {
      return s.with_context(name + " line " + std::to_string(line_number));
    }
    if (line.find_first_not_of(" \t\r") != std::string_view::npos) any_line = true;
    if (action) actions->push_back(std::move(*action));
  }
  if (!any_line) return Status::Corruption(name + ": empty commit file");
  return Status::Ok();
}

}  // namespace

std::string commit_file_name(uint64_t version) { return version_file_name(version, ".json"); }

Status DeltaTable::read_commit(uint64_t version, std::vector<Action>* actions) const {
  actions->clear();
  const std::string name = "_delta_log/" + commit_file_name(version);
  std::string text;
  if (Status s = read_whole_file(dir_ + "/" + name, &text); !s.ok()) return s;
  return parse_commit(name, text, actions);
}

Status DeltaTable::snapshot(TableSnapshot* out) const {
  const std::string log = log_dir();
  LogListing listing;
  if (Status s = list_log(log, &listing); !s.ok()) return s;
  if (listing.commits.empty() && listing.checkpoints.empty()) return Status::NotFound("no Delta commits in " + log);

  // Newest usable checkpoint first: the one _last_checkpoint names, then the others by
  // version. A damaged one is skipped as long as the JSON commits can replace it.
  std::vector<uint64_t> candidates;
  if (const auto last = last_checkpoint_version(log); last && listing.checkpoints.contains(*last)) {
    candidates.push_back(*last);
  }
  for (auto it = listing.checkpoints.rbegin(); it != listing.checkpoints.rend(); ++it) {
    if (candidates.empty() || *it != candidates.front()) candidates.push_back(*it);
  }
  TableSnapshot snap;
  std::optional<uint64_t> start;  // the checkpoint replay starts from
  std::string checkpoint_failures;
  for (const uint64_t c : candidates) {
    std::vector<Action> actions;
    const std::string name = "_delta_log/" + checkpoint_file_name(c);
    Status s = read_checkpoint(dir_ + "/" + name, &actions);
    if (!s.ok()) {
      pixguard::log(LogLevel::kWarn, "delta: " + dir_ + "/" + name + " is unusable (" + s.message() + "); trying an older one");
      checkpoint_failures += "; " + name + ": " + s.message();
      continue;
    }
    snap = TableSnapshot{};
    Replay replay(&snap);
    for (Action& a : actions) replay.apply(std::move(a));
    if (!replay.has_protocol() || !replay.has_metadata()) {
      checkpoint_failures += "; " + name + ": no protocol or metaData row";
      continue;
    }
    start = c;
    break;
  }
  if (!start) snap = TableSnapshot{};

  const uint64_t newest = std::max(listing.commits.empty() ? 0 : *listing.commits.rbegin(), start.value_or(0));
  const uint64_t first = start ? *start + 1 : 0;
  Replay replay(&snap);
  for (uint64_t v = first; v <= newest; ++v) {
    if (!listing.commits.contains(v)) {
      return Status::Corruption("_delta_log/" + commit_file_name(v) + " is missing in " + dir_ + " (the log goes to version " +
                                std::to_string(newest) + ")" + checkpoint_failures);
    }
    std::vector<Action> actions;
    if (Status s = read_commit(v, &actions); !s.ok()) {
      return (s.code() == StatusCode::kNotFound ? Status::Corruption(s.message()) : s).with_context(dir_);
    }
    for (Action& a : actions) replay.apply(std::move(a));
  }
  const bool has_protocol = replay.has_protocol() || start.has_value();
  const bool has_metadata = replay.has_metadata() || start.has_value();
  if (!has_protocol || !has_metadata) {
    return Status::Corruption("the log of " + dir_ + " holds no " + (has_protocol ? "metaData" : "protocol") + " action");
  }
  if (Status s = check_read_support(snap.protocol); !s.ok()) return s.with_context(dir_);
  snap.version = newest;
  snap.checkpoint_version = start;
  *out = std::move(snap);
  return Status::Ok();
}

Status DeltaTable::open(const std::string& dir, std::unique_ptr<DeltaTable>* out, TableSnapshot* snapshot) {
  std::unique_ptr<DeltaTable> table(new DeltaTable(dir));
  TableSnapshot snap;
  if (Status s = table->snapshot(&snap); !s.ok()) return s;
  table->protocol_ = snap.protocol;
  table->configuration_ = snap.metadata.configuration;
  *out = std::move(table);
  if (snapshot != nullptr) *snapshot = std::move(snap);
  return Status::Ok();
}

Status DeltaTable::create(const std::string& dir, const Protocol& protocol, const Metadata& metadata,
                          std::unique_ptr<DeltaTable>* out) {
  if (Status s = check_write_support(protocol); !s.ok()) return s;
  std::vector<SchemaField> fields;
  if (Status s = parse_schema_string(metadata.schema_string, &fields); !s.ok()) {
    return Status::InvalidArgument(s.message());
  }
  for (const auto& column : metadata.partition_columns) {
    bool found = false;
    for (const auto& f : fields) found = found || f.name == column;
    if (!found) return Status::InvalidArgument("partition column " + column + " is not in the schema");
  }
  std::unique_ptr<DeltaTable> table(new DeltaTable(dir));
  std::error_code ec;
  fs::create_directories(table->log_dir(), ec);
  if (ec) return Status::IoError("create " + table->log_dir() + ": " + ec.message());

  Metadata m = metadata;
  if (m.id.empty()) m.id = new_table_id();
  if (!m.created_time) m.created_time = now_ms();
  CommitInfo info;
  info.timestamp = now_ms();
  info.operation = "CREATE TABLE";
  nlohmann::json partition_by = m.partition_columns;
  nlohmann::json properties = m.configuration;
  info.operation_parameters = {{"isManaged", "false"},
                               {"description", m.description},
                               {"partitionBy", partition_by.dump()},
                               {"properties", properties.dump()}};
  info.is_blind_append = true;
  const std::string body = body_of({info, protocol, m});

  std::string tmp;
  if (Status s = write_temp_commit(table->log_dir(), body, &tmp); !s.ok()) return s;
  bool created = false;
  Status s = link_version(table->log_dir(), tmp, 0, &created);
  ::unlink(tmp.c_str());
  if (s.ok() && !created) s = Status::InvalidArgument("a Delta table exists at " + dir + " (version 0 is there)");
  if (s.ok()) s = fsync_dir(table->log_dir());
  if (!s.ok()) return s;
  table->protocol_ = protocol;
  table->configuration_ = m.configuration;
  *out = std::move(table);
  return Status::Ok();
}

Status DeltaTable::commit(uint64_t read_version, std::vector<Action> actions, CommitResult* result) {
  *result = CommitResult{};
  if (Status s = check_write_support(protocol_); !s.ok()) return s.with_context(dir_);

  // What the conflict check compares against, and the commitInfo that goes first.
  std::set<std::string> our_adds, our_removes;
  std::map<std::string, int64_t> our_txns;
  bool changes_metadata = false;
  std::optional<CommitInfo> info;
  std::vector<Action> rest;
  for (Action& a : actions) {
    if (auto* add = std::get_if<AddFile>(&a)) our_adds.insert(add->path);
    if (auto* remove = std::get_if<RemoveFile>(&a)) {
      if (remove->data_change && configuration_.contains("delta.appendOnly") &&
          configuration_.at("delta.appendOnly") == "true") {
        return Status::InvalidArgument("table " + dir_ + " is append-only (delta.appendOnly): cannot remove " +
                                       remove->path);
      }
      our_removes.insert(remove->path);
    }
    if (auto* txn = std::get_if<Txn>(&a)) our_txns[txn->app_id] = txn->version;
    if (std::holds_alternative<Metadata>(a) || std::holds_alternative<Protocol>(a)) changes_metadata = true;
    if (auto* c = std::get_if<CommitInfo>(&a)) {
      info = std::move(*c);
    } else {
      rest.push_back(std::move(a));
    }
  }
  if (!info) {
    info.emplace();
    info->operation = "WRITE";
    info->operation_parameters = {{"mode", "Append"}};
  }
  if (info->timestamp == 0) info->timestamp = now_ms();
  if (info->engine_info.empty()) info->engine_info = std::string(kEngineInfo);
  info->read_version = static_cast<int64_t>(read_version);
  info->is_blind_append = our_removes.empty() && !changes_metadata;
  rest.insert(rest.begin(), std::move(*info));
  const std::string body = body_of(rest);

  const std::string log = log_dir();
  LogListing listing;
  if (Status s = list_log(log, &listing); !s.ok()) return s;
  const uint64_t newest = std::max(listing.commits.empty() ? 0 : *listing.commits.rbegin(),
                                   listing.checkpoints.empty() ? 0 : *listing.checkpoints.rbegin());
  if ((listing.commits.empty() && listing.checkpoints.empty()) || read_version > newest) {
    return Status::InvalidArgument("read version " + std::to_string(read_version) + " is newer than table " + dir_ +
                                   " (version " + std::to_string(newest) + ")");
  }

  std::string tmp;
  if (Status s = write_temp_commit(log, body, &tmp); !s.ok()) return s;
  Status status;
  for (uint64_t v = read_version + 1;; ++v) {
    ++result->attempts;
    bool created = false;
    status = link_version(log, tmp, v, &created);
    if (!status.ok()) break;
    if (created) {
      result->outcome = CommitOutcome::kCommitted;
      result->version = v;
      break;
    }
    // Someone else holds version v: can ours go after it?
    std::vector<Action> theirs;
    status = read_commit(v, &theirs);
    if (!status.ok()) break;
    const std::string theirs_name = commit_file_name(v);
    std::vector<std::string> clashes;
    std::string why;
    for (const Action& a : theirs) {
      if (const auto* t = std::get_if<Txn>(&a); t != nullptr && our_txns.contains(t->app_id)) {
        if (t->version >= our_txns.at(t->app_id)) {
          result->outcome = CommitOutcome::kAlreadyCommitted;
          result->version = v;
          ::unlink(tmp.c_str());
          return Status::Ok();
        }
        why = "it carries txn " + std::to_string(t->version) + " of app id " + t->app_id +
              ", which this commit writes too: two writers run as one application";
      }
      if (std::holds_alternative<Metadata>(a) || std::holds_alternative<Protocol>(a)) {
        if (why.empty()) why = "it changes the table's metadata or protocol";
      }
      if (const auto* r = std::get_if<RemoveFile>(&a); r != nullptr && our_removes.contains(r->path)) {
        clashes.push_back(r->path);
      }
      if (const auto* add = std::get_if<AddFile>(&a); add != nullptr && our_adds.contains(add->path)) {
        if (why.empty()) why = "it adds " + add->path + ", which this commit adds too";
      }
    }
    if (why.empty() && !clashes.empty()) {
      why = "it removes " + join(clashes) + ", which this commit removes too (concurrent compaction?)";
    }
    if (why.empty() && changes_metadata) why = "this commit changes metadata or protocol and must not go after another";
    if (!why.empty()) {
      result->outcome = CommitOutcome::kConflict;
      result->version = v;
      status = Status::InvalidArgument("conflict committing to " + dir_ + " (read at version " +
                                       std::to_string(read_version) + "): concurrent commit " + theirs_name + " won; " +
                                       why + ". Plan again from a new snapshot");
      break;
    }
  }
  ::unlink(tmp.c_str());
  if (status.ok()) status = fsync_dir(log);
  if (status.ok()) {
    for (const Action& a : rest) {
      if (const auto* p = std::get_if<Protocol>(&a)) protocol_ = *p;
      if (const auto* m = std::get_if<Metadata>(&a)) configuration_ = m->configuration;
    }
  }
  return status;
}

}  // namespace pixguard::delta
