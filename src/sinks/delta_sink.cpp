#include "sinks/delta_sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "core/atomic_file.h"
#include "core/clock.h"
#include "core/file_io.h"
#include "core/log.h"
#include "core/time_zone.h"
#include "delta/delta_path.h"
#include "delta/delta_schema.h"
#include "delta/delta_stats.h"

namespace pixguard {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPreparedPrefix = "epoch-";

std::string errno_text() { return std::strerror(errno); }

std::string date_text(int64_t days) {
  int64_t year = 0;
  unsigned month = 0, day = 0;
  civil_from_days(days, &year, &month, &day);
  char text[32];
  std::snprintf(text, sizeof text, "%04lld-%02u-%02u", static_cast<long long>(year), month, day);
  return text;
}

const char* codec_tag(parquet::Codec codec) {
  switch (codec) {
    case parquet::Codec::kSnappy: return ".snappy";
    case parquet::Codec::kZstd: return ".zstd";
    case parquet::Codec::kUncompressed: return "";
  }
  return "";
}

// The epoch of "epoch-<n>.json", 0 for any other name.
uint64_t prepared_epoch_of(const std::string& name) {
  const std::size_t prefix = std::strlen(kPreparedPrefix);
  if (name.size() <= prefix + 5 || !name.starts_with(kPreparedPrefix) || !name.ends_with(".json")) return 0;
  uint64_t e = 0;
  for (std::size_t i = prefix; i < name.size() - 5; ++i) {
    if (name[i] < '0' || name[i] > '9') return 0;
    e = e * 10 + static_cast<uint64_t>(name[i] - '0');
  }
  return e;
}

}  // namespace

DeltaSink::DeltaSink(DeltaSinkOptions options)
    : options_(std::move(options)),
      name_("delta:" + options_.table_dir),
      columns_(decision_columns(options_.features)),
      encoder_(options_.features, options_.rules, options_.thresholds),
      rows_(&encoder_) {}

DeltaSink::~DeltaSink() = default;

Status DeltaSink::open(DeltaSinkOptions options, std::unique_ptr<DeltaSink>* out) {
  std::unique_ptr<DeltaSink> sink(new DeltaSink(std::move(options)));
  const DeltaSinkOptions& o = sink->options_;
  std::string schema;
  if (Status s = delta::build_schema_string(decision_table_fields(o.features), &schema); !s.ok()) {
    return s.with_context(sink->name_);
  }
  delta::TableSnapshot snapshot;
  Status s = delta::DeltaTable::open(o.table_dir, &sink->table_, &snapshot);
  if (s.code() == StatusCode::kNotFound) {
    delta::Metadata metadata;
    metadata.id = delta::new_table_id();
    metadata.name = "pixguard_decisions";
    metadata.description = "every scored Pix transaction: input fields, features, score, decision, reasons";
    metadata.schema_string = schema;
    metadata.partition_columns = {kEventDateColumn};
    metadata.created_time = unix_micros() / 1000;
    s = delta::DeltaTable::create(o.table_dir, delta::Protocol{}, metadata, &sink->table_);
    if (s.ok()) s = sink->table_->snapshot(&snapshot);
  }
  if (!s.ok()) return s.with_context(sink->name_);
  if (snapshot.metadata.schema_string != schema) {
    return Status::InvalidArgument(sink->name_ + ": the table's schema is not this config's (the features changed?)\n"
                                   "  table:  " + snapshot.metadata.schema_string + "\n  config: " + schema +
                                   "\npoint sinks.table elsewhere, or pass --overwrite to start over");
  }
  if (snapshot.metadata.partition_columns != std::vector<std::string>{kEventDateColumn}) {
    return Status::InvalidArgument(sink->name_ + ": the table is not partitioned by " + kEventDateColumn);
  }
  sink->read_version_ = snapshot.version;
  if (const auto it = snapshot.txn_versions.find(o.app_id); it != snapshot.txn_versions.end() && it->second > 0) {
    sink->last_committed_ = static_cast<uint64_t>(it->second);
  }
  *out = std::move(sink);
  return Status::Ok();
}

std::string DeltaSink::prepared_path(uint64_t epoch) const {
  return options_.table_dir + "/_pixguard/" + options_.app_id + "/" + kPreparedPrefix + std::to_string(epoch) + ".json";
}

void DeltaSink::remove_files(const std::vector<delta::AddFile>& adds) const {
  for (const delta::AddFile& add : adds) {
    std::string relative;
    if (delta::decode_path(add.path, &relative).ok()) ::unlink((options_.table_dir + "/" + relative).c_str());
  }
}

Status DeltaSink::begin_epoch(uint64_t epoch) {
  epoch_ = epoch;
  file_sequence_ = 0;
  return Status::Ok();
}

Status DeltaSink::open_file(int64_t days, OpenFile* out) {
  const std::string partition = delta::partition_directory({{kEventDateColumn, date_text(days)}});
  std::error_code ec;
  fs::create_directories(options_.table_dir + "/" + partition, ec);
  if (ec) return Status::IoError(name_ + ": create " + partition + ": " + ec.message());
  char name[64];
  std::snprintf(name, sizeof name, "part-%010llu-%05llu-", static_cast<unsigned long long>(epoch_),
                static_cast<unsigned long long>(file_sequence_++));
  out->days = days;
  out->relative_path = partition + "/" + name + delta::new_table_id() + ".c000" + codec_tag(options_.codec) + ".parquet";
  parquet::WriterOptions w;
  w.codec = options_.codec;
  // Small row groups bound the memory of each open file (one per event date in the epoch):
  // a replay of history keeps a file open for every day it spans.
  w.row_group_bytes = std::min<int64_t>(options_.target_file_bytes, 4 << 20);
  // Small pages are compressed as they fill, a few at a time, instead of most of a row group
  // at once when it ends (a pause of milliseconds for whoever writes the row that ends it).
  w.page_bytes = 64 << 10;
  w.key_value_metadata = {{"pixguard.app_id", options_.app_id}, {"pixguard.epoch", std::to_string(epoch_)}};
  if (Status s = parquet::ParquetWriter::create(options_.table_dir + "/" + out->relative_path, columns_, w, &out->writer);
      !s.ok()) {
    return s.with_context(name_);
  }
  return Status::Ok();
}

Status DeltaSink::finish_file(OpenFile* file) {
  parquet::FileSummary summary;
  const std::string path = options_.table_dir + "/" + file->relative_path;
  if (Status s = file->writer->finish(&summary); !s.ok()) return s.with_context(name_ + ": " + path);
  file->writer.reset();
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Status::IoError(name_ + ": stat " + path + ": " + errno_text());
  delta::AddFile add;
  add.path = delta::encode_path(file->relative_path);
  add.partition_values = {{kEventDateColumn, date_text(file->days)}};
  add.size = summary.bytes;
  add.modification_time = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1'000'000;
  add.data_change = true;
  add.stats = delta::file_stats_json(columns_, summary);
  finished_.push_back(std::move(add));
  return Status::Ok();
}

Status DeltaSink::write(const SinkRecord& record) {
  if (record.kind != Output::kScored || record.scored == nullptr) return Status::Ok();
  const int64_t days = record.scored->enrichment->local.days;
  auto it = std::find_if(open_.begin(), open_.end(), [days](const OpenFile& f) { return f.days == days; });
  if (it == open_.end()) {
    OpenFile file;
    if (Status s = open_file(days, &file); !s.ok()) return s;
    open_.push_back(std::move(file));
    it = open_.end() - 1;
  }
  if (Status s = rows_.add(*record.scored, options_.features.size(), it->writer.get()); !s.ok()) {
    return s.with_context(name_);
  }
  ++stats_.rows;
  if (it->writer->written_bytes() + it->writer->buffered_bytes() >= options_.target_file_bytes) {
    if (Status s = finish_file(&*it); !s.ok()) return s;
    open_.erase(it);
  }
  return Status::Ok();
}

Status DeltaSink::prepare(uint64_t epoch) {
  for (OpenFile& f : open_) {
    if (Status s = finish_file(&f); !s.ok()) return s;
  }
  open_.clear();
  if (finished_.empty()) return Status::Ok();
  // The new files' names must survive a crash too: their directories, and the table's for
  // new partition directories.
  std::vector<std::string> dirs = {options_.table_dir};
  for (const delta::AddFile& add : finished_) {
    std::string relative;
    if (Status s = delta::decode_path(add.path, &relative); !s.ok()) return s.with_context(name_);
    dirs.push_back(options_.table_dir + "/" + fs::path(relative).parent_path().string());
  }
  std::sort(dirs.begin(), dirs.end());
  dirs.erase(std::unique(dirs.begin(), dirs.end()), dirs.end());
  for (const std::string& d : dirs) {
    if (Status s = fsync_dir(d); !s.ok()) return s.with_context(name_);
  }
  std::string record;
  for (const delta::AddFile& add : finished_) {
    delta::append_action_json(add, &record);
    record += '\n';
  }
  std::error_code ec;
  const fs::path records = fs::path(prepared_path(epoch)).parent_path();
  if (fs::create_directories(records, ec)) {
    // New directories: their names must survive a crash too (the table's, _pixguard's).
    for (const fs::path& d : {records.parent_path(), records.parent_path().parent_path()}) {
      if (Status s = fsync_dir(d.string()); !s.ok()) return s.with_context(name_);
    }
  }
  if (ec) return Status::IoError(name_ + ": " + ec.message());
  if (Status s = write_file_atomically(prepared_path(epoch), record); !s.ok()) return s.with_context(name_);
  return Status::Ok();
}

Status DeltaSink::commit_actions(uint64_t epoch, std::vector<delta::AddFile> adds) {
  if (adds.empty()) {
    last_committed_ = std::max(last_committed_, epoch);
    return Status::Ok();
  }
  const int64_t now_ms = unix_micros() / 1000;
  uint64_t rows = 0, bytes = 0;
  std::vector<delta::Action> actions;
  actions.push_back(delta::Txn{options_.app_id, static_cast<int64_t>(epoch), now_ms});
  for (delta::AddFile& add : adds) {
    bytes += static_cast<uint64_t>(add.size);
    actions.push_back(add);
  }
  for (const delta::AddFile& add : adds) {
    if (const int64_t n = delta::stats_num_records(add.stats); n > 0) rows += static_cast<uint64_t>(n);
  }
  delta::CommitInfo info;
  info.timestamp = now_ms;
  info.operation = "STREAMING UPDATE";
  info.operation_parameters = {{"outputMode", "Append"}, {"queryId", options_.app_id}, {"epochId", std::to_string(epoch)}};
  info.read_version = static_cast<int64_t>(read_version_);
  info.is_blind_append = true;
  info.operation_metrics = {{"numAddedFiles", std::to_string(adds.size())}, {"numOutputRows", std::to_string(rows)},
                            {"numOutputBytes", std::to_string(bytes)}};
  actions.push_back(std::move(info));
  delta::CommitResult result;
  if (Status s = table_->commit(read_version_, std::move(actions), &result); !s.ok()) {
    // Linked into place but not synced: the files are named by the table, abort must keep them.
    if (result.outcome == delta::CommitOutcome::kCommitted) last_committed_ = std::max(last_committed_, epoch);
    return s.with_context(name_);
  }
  read_version_ = result.version;
  if (result.outcome == delta::CommitOutcome::kAlreadyCommitted) {
    // The epoch is in the table from before a crash: these files are duplicates nobody names.
    log(LogLevel::kInfo, name_ + ": epoch " + std::to_string(epoch) + " is already in the table; not committed twice");
    remove_files(adds);
  } else {
    ++stats_.commits;
    stats_.files += adds.size();
    stats_.bytes += bytes;
  }
  last_committed_ = std::max(last_committed_, epoch);
  return Status::Ok();
}

Status DeltaSink::commit(uint64_t epoch) {
  // The rows the epoch's files hold (their stats, as the table's readers count them).
  uint64_t rows = 0;
  for (const delta::AddFile& add : finished_) {
    if (const int64_t n = delta::stats_num_records(add.stats); n > 0) rows += static_cast<uint64_t>(n);
  }
  if (epoch <= last_committed_) {
    // Already in the table (a replay after a crash): these files would be duplicates.
    remove_files(finished_);
    finished_.clear();
    ::unlink(prepared_path(epoch).c_str());
    committed_[static_cast<std::size_t>(Output::kScored)] += rows;
    return Status::Ok();
  }
  if (Status s = commit_actions(epoch, std::move(finished_)); !s.ok()) return s;
  committed_[static_cast<std::size_t>(Output::kScored)] += rows;
  finished_.clear();
  ::unlink(prepared_path(epoch).c_str());
  return Status::Ok();
}

Status DeltaSink::read_prepared(uint64_t epoch, std::vector<delta::AddFile>* adds) const {
  // Checked throughout: a prepared file that reads as "no files" would commit the epoch
  // without its rows. prepare() writes one only for an epoch with files, each of which exists.
  const std::string path = prepared_path(epoch);
  std::string text;
  if (Status s = read_whole_file(path, &text); !s.ok()) return s.with_context(name_ + ": prepared epoch");
  const auto damaged = [&](const std::string& why) {
    return Status::Corruption(name_ + ": prepared epoch file " + path + " is damaged: " + why);
  };
  if (text.empty() || text.back() != '\n') return damaged(text.empty() ? "empty" : "its last line is cut short");
  std::size_t start = 0;
  for (std::size_t line_number = 1; start < text.size(); ++line_number) {
    const std::size_t end = text.find('\n', start);
    const std::string_view line(text.data() + start, end - start);
    start = end + 1;
    std::optional<delta::Action> action;
    if (Status s = delta::parse_action_json(line, &action); !s.ok()) {
      return damaged("line " + std::to_string(line_number) + ": " + s.message());
    }
    auto* add = action ? std::get_if<delta::AddFile>(&*action) : nullptr;
    if (add == nullptr) return damaged("line " + std::to_string(line_number) + " is not an add action");
    adds->push_back(std::move(*add));
  }
  return Status::Ok();
}

Status DeltaSink::check_files_exist(uint64_t epoch, const std::vector<delta::AddFile>& adds) const {
  for (const delta::AddFile& add : adds) {
    std::string relative;
    if (Status s = delta::decode_path(add.path, &relative); !s.ok()) return s.with_context(name_ + ": " + prepared_path(epoch));
    const std::string file = options_.table_dir + "/" + relative;
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) {
      return Status::IoError(name_ + ": epoch " + std::to_string(epoch) + " (" + prepared_path(epoch) +
                             ") names " + file + ": " + errno_text());
    }
    if (st.st_size != add.size) {
      return Status::Corruption(name_ + ": epoch " + std::to_string(epoch) + " (" + prepared_path(epoch) + ") names " +
                                file + " of " + std::to_string(add.size) + " bytes; it has " +
                                std::to_string(st.st_size));
    }
  }
  return Status::Ok();
}

Status DeltaSink::unlink_checked(const std::string& path) const {
  std::error_code ec;  // a file, or an empty directory where a record should be
  fs::remove(path, ec);
  if (ec) return Status::IoError(name_ + ": remove " + path + ": " + ec.message());
  return Status::Ok();
}

Status DeltaSink::abort(uint64_t epoch) {
  if (epoch <= last_committed_) return Status::Ok();  // in the table: its files stay
  for (OpenFile& f : open_) {
    f.writer.reset();
    ::unlink((options_.table_dir + "/" + f.relative_path).c_str());
  }
  open_.clear();
  remove_files(finished_);
  finished_.clear();
  ::unlink(prepared_path(epoch).c_str());
  return Status::Ok();
}

Status DeltaSink::roll_back_after(uint64_t checkpointed_epoch) {
  delta::TableSnapshot snap;
  if (Status s = table_->snapshot(&snap); !s.ok()) return s.with_context(name_);
  // Our commits carry txn = their epoch; newest first until one at or before the checkpoint.
  // An earlier rollback shows as a txn lower than the one before it in the log: the commits
  // it rolled back (txn above it, further back) are gone already.
  std::vector<delta::Action> actions;
  std::vector<std::string> compacted;  // added by those epochs, no longer active on their own
  const int64_t now_ms = unix_micros() / 1000;
  int64_t lowest_seen = std::numeric_limits<int64_t>::max();
  for (uint64_t v = snap.version; v > 0; --v) {
    std::vector<delta::Action> commit;
    if (Status s = table_->read_commit(v, &commit); !s.ok()) {
      if (s.code() == StatusCode::kNotFound) break;  // only a log checkpoint holds older versions
      return s.with_context(name_);
    }
    std::optional<int64_t> epoch;
    for (const delta::Action& a : commit) {
      if (const auto* t = std::get_if<delta::Txn>(&a); t != nullptr && t->app_id == options_.app_id) epoch = t->version;
    }
    if (!epoch) continue;  // another writer's (a compaction's)
    if (*epoch <= static_cast<int64_t>(checkpointed_epoch)) break;
    if (*epoch > lowest_seen) continue;  // rolled back by a later commit
    lowest_seen = *epoch;
    for (const delta::Action& a : commit) {
      const auto* add = std::get_if<delta::AddFile>(&a);
      if (add == nullptr) continue;
      if (!snap.files.contains(add->path)) {
        compacted.push_back(add->path);
        continue;
      }
      actions.push_back(delta::RemoveFile{add->path, now_ms, true, true, add->partition_values, add->size});
    }
  }
  if (!compacted.empty()) {
    // Their rows now share files with rows that must stay: they cannot be taken out alone.
    log(LogLevel::kWarn, name_ + ": the table holds epochs up to " + std::to_string(last_committed_) +
                             ", after the checkpoint resumed from (" + std::to_string(checkpointed_epoch) +
                             "), and a compaction has merged their files (" + compacted.front() +
                             (compacted.size() > 1 ? ", ..." : "") + "): those rows will appear twice");
    return Status::Ok();
  }
  actions.push_back(delta::Txn{options_.app_id, static_cast<int64_t>(checkpointed_epoch), now_ms});
  delta::CommitInfo info;
  info.timestamp = now_ms;
  info.operation = "DELETE";
  info.operation_parameters = {{"reason", "epochs after checkpoint " + std::to_string(checkpointed_epoch) +
                                              " are produced again"},
                               {"queryId", options_.app_id}};
  info.read_version = static_cast<int64_t>(snap.version);
  info.operation_metrics = {{"numRemovedFiles", std::to_string(actions.size() - 1)}};
  actions.push_back(std::move(info));
  delta::CommitResult result;
  if (Status s = table_->commit(snap.version, std::move(actions), &result); !s.ok()) return s.with_context(name_);
  read_version_ = result.version;
  const std::string epochs = last_committed_ == checkpointed_epoch + 1
                                 ? "epoch " + std::to_string(last_committed_)
                                 : "epochs " + std::to_string(checkpointed_epoch + 1) + " to " + std::to_string(last_committed_);
  log(LogLevel::kWarn, name_ + ": " + epochs + " committed after the checkpoint recovery uses; version " +
                           std::to_string(result.version) + " removes their files (their input is scored again)");
  last_committed_ = checkpointed_epoch;
  return Status::Ok();
}

Status DeltaSink::recover(uint64_t checkpointed_epoch) {
  if (last_committed_ > checkpointed_epoch) {
    if (Status s = roll_back_after(checkpointed_epoch); !s.ok()) return s;
  }
  const std::string dir = options_.table_dir + "/_pixguard/" + options_.app_id;
  std::vector<uint64_t> prepared;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (const uint64_t e = prepared_epoch_of(it->path().filename().string()); e > 0) prepared.push_back(e);
  }
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return Status::IoError(name_ + ": cannot list the prepared epochs in " + dir + ": " + ec.message());
  }
  std::sort(prepared.begin(), prepared.end());
  for (const uint64_t e : prepared) {
    std::vector<delta::AddFile> adds;
    Status read = read_prepared(e, &adds);
    if (e > checkpointed_epoch) {
      // Its input is read again: the files go. Damaged, its record cannot name them: they stay
      // as files no table version names (vacuum removes them).
      if (!read.ok()) {
        log(LogLevel::kWarn, read.message() + "; the epoch is after the checkpoint and is produced again");
      } else if (Status s = remove_files_checked(adds); !s.ok()) {
        return s;
      }
      if (Status s = unlink_checked(prepared_path(e)); !s.ok()) return s;
      continue;
    }
    if (e > last_committed_) {
      // Its rows exist only through this record: anything wrong with it is an error, never
      // an empty commit.
      if (!read.ok()) return read;
      if (Status s = check_files_exist(e, adds); !s.ok()) return s;
      log(LogLevel::kInfo, name_ + ": committing epoch " + std::to_string(e) + ", prepared before the restart");
      if (Status s = commit_actions(e, std::move(adds)); !s.ok()) return s;
    }
    if (Status s = unlink_checked(prepared_path(e)); !s.ok()) return s;
  }
  return fsync_dir_if_exists(dir);
}

Status DeltaSink::remove_files_checked(const std::vector<delta::AddFile>& adds) const {
  for (const delta::AddFile& add : adds) {
    std::string relative;
    if (Status s = delta::decode_path(add.path, &relative); !s.ok()) return s.with_context(name_);
    if (Status s = unlink_checked(options_.table_dir + "/" + relative); !s.ok()) return s;
  }
  return Status::Ok();
}

Status DeltaSink::fsync_dir_if_exists(const std::string& dir) const {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::Ok();
  return fsync_dir(dir).with_context(name_);
}

Status DeltaSink::clear() {
  std::error_code ec;
  fs::remove_all(options_.table_dir, ec);
  if (ec) return Status::IoError(name_ + ": " + ec.message());
  std::unique_ptr<DeltaSink> fresh;
  if (Status s = open(options_, &fresh); !s.ok()) return s;
  table_ = std::move(fresh->table_);
  read_version_ = fresh->read_version_;
  last_committed_ = 0;
  return Status::Ok();
}

}  // namespace pixguard
