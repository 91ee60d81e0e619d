#include "delta/delta_compaction.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "core/clock.h"
#include "core/file_io.h"
#include "delta/delta_log.h"
#include "delta/delta_path.h"
#include "delta/delta_rewrite.h"
#include "delta/delta_stats.h"
#include "parquet/parquet_reader.h"
#include "parquet/parquet_writer.h"

namespace pixguard::delta {
namespace {

using parquet::ColumnSchema;
using parquet::LeafColumn;
using parquet::LogicalKind;
using parquet::PhysicalType;

// An active file that may be rewritten.
struct Candidate {
  const AddFile* add = nullptr;
  std::string file;  // path relative to the table, decoded
};

// A key that is equal for files whose rewritten schemas are equal.
std::string schema_key(const std::vector<ColumnSchema>& columns) {
  std::string key;
  for (const ColumnSchema& c : columns) {
    key += c.name;
    key += '\x1f';
    key += std::to_string(static_cast<int>(c.physical)) + ',' + std::to_string(static_cast<int>(c.logical)) + ',' +
           std::to_string(c.precision) + ',' + std::to_string(c.scale) + ',' + (c.nullable ? '1' : '0');
    key += '\x1e';
  }
  return key;
}

// A group of files of one partition and schema, rewritten into one new file.
struct Bin {
  std::vector<Candidate> inputs;
  std::vector<ColumnSchema> schema;
  int64_t bytes = 0;
};

// Groups `files` (one partition, one schema, sorted) into bins of about `target` input
// bytes. A lone file left at the end joins the previous bin, since rewriting one file
// alone gains nothing.
std::vector<Bin> pack(const std::vector<Candidate>& files, const std::vector<ColumnSchema>& schema, int64_t target) {
  std::vector<Bin> bins;
  Bin current;
  current.schema = schema;
  for (const Candidate& f : files) {
    if (!current.inputs.empty() && current.bytes + f.add->size > target) {
      bins.push_back(std::move(current));
      current = Bin{};
      current.schema = schema;
    }
    current.inputs.push_back(f);
    current.bytes += f.add->size;
  }
  if (current.inputs.size() == 1 && !bins.empty()) {
    bins.back().inputs.push_back(current.inputs.front());
    bins.back().bytes += current.bytes;
  } else if (current.inputs.size() >= 2) {
    bins.push_back(std::move(current));
  }
  return bins;
}

class Compaction {
 public:
  Compaction(std::string dir, const CompactionOptions& options) : dir_(std::move(dir)), options_(options) {}
  ~Compaction() {
    // Files written by a compaction that did not commit are referenced by nothing.
    if (!committed_) {
      for (const std::string& f : written_) ::unlink((dir_ + "/" + f).c_str());
    }
  }

  Status run(CompactionResult* result) {
    *result = CompactionResult{};
    if (options_.target_file_bytes <= 0 || options_.min_file_bytes <= 0) {
      return Status::InvalidArgument("compaction: target and minimum file sizes must be positive");
    }
    std::unique_ptr<DeltaTable> table;
    TableSnapshot snap;
    if (Status s = DeltaTable::open(dir_, &table, &snap); !s.ok()) return s;
    result->read_version = snap.version;

    std::map<std::vector<std::string>, std::vector<Bin>> plan;
    if (Status s = make_plan(snap, &plan); !s.ok()) return s;
    if (plan.empty()) return Status::Ok();

    const int64_t now = unix_micros() / 1000;
    std::vector<Action> actions;
    CommitInfo info;
    info.operation = "OPTIMIZE";
    info.operation_parameters = {{"predicate", "[]"}, {"zOrderBy", "[]"}, {"auto", "false"}};
    actions.emplace_back(CommitInfo{});  // replaced below, once the metrics are known
    for (auto& [key, bins] : plan) {
      CompactedPartition part;
      for (std::size_t i = 0; i < key.size(); ++i) part.values.emplace_back(snap.metadata.partition_columns[i], key[i]);
      for (const Bin& bin : bins) {
        AddFile add;
        int64_t rows = 0;
        if (Status s = rewrite(bin, now, &add, &rows); !s.ok()) return s;
        for (const Candidate& in : bin.inputs) {
          RemoveFile r;
          r.path = in.add->path;
          r.deletion_timestamp = now;
          r.data_change = false;
          r.extended_file_metadata = true;
          r.partition_values = in.add->partition_values;
          r.size = in.add->size;
          actions.emplace_back(std::move(r));
          result->removed_paths.push_back(in.add->path);
          ++part.files_removed;
          part.bytes_removed += in.add->size;
        }
        ++part.files_added;
        part.bytes_added += add.size;
        part.rows += rows;
        result->added_paths.push_back(add.path);
        actions.emplace_back(std::move(add));
      }
      result->files_removed += part.files_removed;
      result->files_added += part.files_added;
      result->bytes_removed += part.bytes_removed;
      result->bytes_added += part.bytes_added;
      result->rows += part.rows;
      result->partitions.push_back(std::move(part));
    }
    info.operation_metrics = {{"numRemovedFiles", std::to_string(result->files_removed)},
                              {"numAddedFiles", std::to_string(result->files_added)},
                              {"numRemovedBytes", std::to_string(result->bytes_removed)},
                              {"numAddedBytes", std::to_string(result->bytes_added)},
                              {"numRows", std::to_string(result->rows)}};
    actions.front() = std::move(info);

    // The new files' names must survive a crash before a commit names them.
    std::set<std::string> directories;
    for (const std::string& f : written_) {
      const std::size_t slash = f.rfind('/');
      directories.insert(dir_ + (slash == std::string::npos ? "" : "/" + f.substr(0, slash)));
    }
    for (const std::string& d : directories) {
      if (Status s = fsync_dir(d); !s.ok()) return s;
    }
    if (options_.before_commit) options_.before_commit();
    CommitResult commit;
    const Status committed = table->commit(snap.version, std::move(actions), &commit);
    // A commit that was linked into place names the new files even if a later step failed.
    if (commit.outcome == CommitOutcome::kCommitted) committed_ = true;
    if (!committed.ok()) return committed;
    if (commit.outcome != CommitOutcome::kCommitted) {
      return Status::InvalidArgument("compaction of " + dir_ + " was not committed");
    }
    committed_ = true;
    result->committed = true;
    result->version = commit.version;
    result->attempts = commit.attempts;
    return Status::Ok();
  }

 private:
  Status make_plan(const TableSnapshot& snap, std::map<std::vector<std::string>, std::vector<Bin>>* plan) {
    // partition values -> schema key -> (schema, files)
    std::map<std::vector<std::string>, std::map<std::string, std::pair<std::vector<ColumnSchema>, std::vector<Candidate>>>>
        groups;
    for (const auto& [logged, add] : snap.files) {
      if (add.size >= options_.min_file_bytes) continue;
      Candidate c;
      c.add = &add;
      c.file = table_relative_file(logged);
      if (c.file.empty()) continue;  // not a file of this directory
      std::unique_ptr<parquet::ParquetReader> reader;
      if (Status s = parquet::ParquetReader::open(dir_ + "/" + c.file, &reader); !s.ok()) {
        return s.with_context("compaction of " + dir_);
      }
      std::optional<std::vector<ColumnSchema>> schema = rewritable_schema(reader->columns(), options_.personal_columns);
      if (!schema) continue;
      auto& group = groups[partition_key(snap.metadata.partition_columns, add.partition_values)][schema_key(*schema)];
      group.first = std::move(*schema);
      group.second.push_back(std::move(c));
    }
    for (auto& [key, by_schema] : groups) {
      for (auto& [unused, group] : by_schema) {
        std::vector<Candidate>& files = group.second;
        if (files.size() < 2) continue;
        // Oldest first, so a new file holds rows written close together in time.
        std::sort(files.begin(), files.end(), [](const Candidate& a, const Candidate& b) {
          return a.add->modification_time != b.add->modification_time ? a.add->modification_time < b.add->modification_time
                                                                       : a.add->path < b.add->path;
        });
        for (Bin& bin : pack(files, group.first, options_.target_file_bytes)) (*plan)[key].push_back(std::move(bin));
      }
    }
    return Status::Ok();
  }

  // Writes the rows of `bin` into one new file in the directory of its first input.
  Status rewrite(const Bin& bin, int64_t now, AddFile* add, int64_t* rows) {
    const std::string& first = bin.inputs.front().file;
    const std::size_t slash = first.rfind('/');
    const std::string directory = slash == std::string::npos ? "" : first.substr(0, slash + 1);
    char seq[16];
    std::snprintf(seq, sizeof seq, "%05d", sequence_++);
    const std::string rel = directory + "part-" + seq + "-" + new_table_id() + ".c000" + codec_suffix(options_.codec);

    parquet::WriterOptions wo;
    wo.codec = options_.codec;
    wo.zstd_level = options_.zstd_level;
    std::unique_ptr<parquet::ParquetWriter> writer;
    written_.push_back(rel);
    if (Status s = parquet::ParquetWriter::create(dir_ + "/" + rel, bin.schema, wo, &writer); !s.ok()) return s;
    int64_t expected_rows = 0;
    for (const Candidate& in : bin.inputs) {
      std::unique_ptr<parquet::ParquetReader> reader;
      const std::string path = dir_ + "/" + in.file;
      if (Status s = parquet::ParquetReader::open(path, &reader); !s.ok()) return s;
      expected_rows += reader->num_rows();
      if (Status s = copy_rows(*reader, path, nullptr, writer.get()); !s.ok()) return s;
    }
    parquet::FileSummary summary;
    if (Status s = writer->finish(&summary); !s.ok()) return s;
    if (summary.rows != expected_rows) {
      return Status::Corruption("compaction wrote " + std::to_string(summary.rows) + " rows to " + rel + ", expected " +
                                std::to_string(expected_rows));
    }
    add->path = encode_path(rel);
    add->partition_values = bin.inputs.front().add->partition_values;
    add->size = summary.bytes;
    add->modification_time = now;
    add->data_change = false;
    add->stats = file_stats_json(bin.schema, summary);
    *rows = summary.rows;
    return Status::Ok();
  }

  std::string dir_;
  const CompactionOptions& options_;
  std::vector<std::string> written_;  // new files, relative to dir_
  bool committed_ = false;
  int sequence_ = 0;
};

}  // namespace

Status compact_table(const std::string& dir, const CompactionOptions& options, CompactionResult* result) {
  Compaction compaction(dir, options);
  return compaction.run(result);
}

}  // namespace pixguard::delta
