#include "delta/delta_erasure.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>

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

// The text of a column per row (nullopt for null); Unsupported for a column that is not text.
Status row_strings(const parquet::ParquetReader& reader, int index, const std::string& name,
                   std::vector<std::optional<std::string>>* out) {
  const parquet::LeafColumn& leaf = reader.columns()[static_cast<std::size_t>(index)];
  if (leaf.physical != parquet::PhysicalType::kByteArray || leaf.max_repetition_level != 0) {
    return Status::Unsupported(name + ": column " + leaf.path + " is not a flat text column");
  }
  parquet::ColumnData data;
  if (Status s = reader.read_column(index, &data); !s.ok()) return s.with_context(name);
  const auto rows = static_cast<std::size_t>(reader.num_rows());
  out->assign(rows, std::nullopt);
  std::size_t next = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    const bool null = leaf.max_definition_level > 0 &&
                      (r >= data.definition_levels.size() || data.definition_levels[r] < leaf.max_definition_level);
    if (null) continue;
    if (next >= data.strings.size()) {
      return Status::Corruption(name + ": column " + leaf.path + " has fewer values than rows");
    }
    (*out)[r] = std::move(data.strings[next++]);
  }
  return Status::Ok();
}

int column_index(const parquet::ParquetReader& reader, const std::string& column) {
  const auto& leaves = reader.columns();
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    if (leaves[i].path == column) return static_cast<int>(i);
  }
  return -1;
}

class Erasure {
 public:
  Erasure(std::string dir, const ErasureOptions& options) : dir_(std::move(dir)), options_(options) {}
  ~Erasure() {
    if (!committed_) {
      for (const std::string& f : written_) ::unlink((dir_ + "/" + f).c_str());
    }
  }

  Status run(ErasureResult* result) {
    *result = ErasureResult{};
    std::unique_ptr<DeltaTable> table;
    TableSnapshot snap;
    if (Status s = DeltaTable::open(dir_, &table, &snap); !s.ok()) return s;
    const int64_t now = unix_micros() / 1000;
    std::vector<Action> actions;
    actions.emplace_back(CommitInfo{});
    std::vector<std::string> removed_files;
    for (const auto& [logged, add] : snap.files) {
      const std::string file = table_relative_file(logged);
      if (file.empty()) continue;  // not a file of this directory
      bool whole = false;
      if (!options_.partitions_before.empty()) {
        const auto v = add.partition_values.find(options_.partition_column);
        whole = v != add.partition_values.end() && !v->second.empty() && v->second < options_.partitions_before;
      }
      std::optional<AddFile> rewritten;
      if (whole) {
        result->rows_in_partitions += std::max<int64_t>(stats_num_records(add.stats), 0);
      } else {
        bool changed = false;
        if (Status s = filter(file, add, now, &changed, &rewritten, result); !s.ok()) return s;
        if (!changed) continue;
      }
      RemoveFile r;
      r.path = add.path;
      r.deletion_timestamp = now;
      r.data_change = true;
      r.extended_file_metadata = true;
      r.partition_values = add.partition_values;
      r.size = add.size;
      actions.emplace_back(std::move(r));
      removed_files.push_back(file);
      ++result->files_removed;
      if (rewritten) {
        actions.emplace_back(std::move(*rewritten));
        ++result->files_added;
      }
    }
    if (removed_files.empty()) return Status::Ok();

    CommitInfo info;
    info.timestamp = now;
    info.operation = "DELETE";
    info.operation_parameters = {{"predicate", "[\"pixguard erase\"]"}};
    info.operation_metrics = {{"numRemovedFiles", std::to_string(result->files_removed)},
                              {"numAddedFiles", std::to_string(result->files_added)},
                              {"numDeletedRows", std::to_string(result->rows_removed + result->rows_in_partitions)}};
    actions.front() = std::move(info);
    for (const std::string& f : written_) {
      const std::size_t slash = f.rfind('/');
      if (Status s = fsync_dir(dir_ + (slash == std::string::npos ? "" : "/" + f.substr(0, slash))); !s.ok()) return s;
    }
    CommitResult commit;
    const Status committed = table->commit(snap.version, std::move(actions), &commit);
    if (commit.outcome == CommitOutcome::kCommitted) committed_ = true;
    if (!committed.ok()) return committed;
    if (commit.outcome != CommitOutcome::kCommitted) return Status::InvalidArgument("erasure in " + dir_ + " was not committed");
    result->committed = true;
    result->version = commit.version;
    // The rows must not stay on disk for time travel: the removed files go now.
    for (const std::string& f : removed_files) {
      const std::string path = dir_ + "/" + f;
      if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        return Status::IoError("erasure committed, but " + path + " could not be deleted: " + std::strerror(errno));
      }
    }
    return Status::Ok();
  }

 private:
  // Reads `file`'s match columns; when rows match, writes the file without them (or none).
  Status filter(const std::string& file, const AddFile& add, int64_t now, bool* changed, std::optional<AddFile>* out,
                ErasureResult* result) {
    *changed = false;
    if (options_.match.empty()) return Status::Ok();
    const std::string path = dir_ + "/" + file;
    std::unique_ptr<parquet::ParquetReader> reader;
    if (Status s = parquet::ParquetReader::open(path, &reader); !s.ok()) return s;
    const auto rows = static_cast<std::size_t>(reader->num_rows());
    std::vector<char> keep(rows, 1);
    std::size_t dropped = 0;
    for (const RowMatch& m : options_.match) {
      const int index = column_index(*reader, m.column);
      if (index < 0) continue;  // a file without the column has no row to match on it
      std::vector<std::optional<std::string>> values;
      if (Status s = row_strings(*reader, index, path, &values); !s.ok()) return s;
      for (std::size_t r = 0; r < rows; ++r) {
        if (keep[r] != 0 && values[r] && m.values.count(*values[r]) != 0) {
          keep[r] = 0;
          ++dropped;
        }
      }
    }
    if (dropped == 0) return Status::Ok();
    *changed = true;
    result->rows_removed += static_cast<int64_t>(dropped);
    if (const int id = options_.id_column.empty() ? -1 : column_index(*reader, options_.id_column); id >= 0) {
      std::vector<std::optional<std::string>> ids;
      if (Status s = row_strings(*reader, id, path, &ids); !s.ok()) return s;
      for (std::size_t r = 0; r < rows; ++r) {
        if (keep[r] == 0 && ids[r]) result->ids.push_back(*ids[r]);
      }
    }
    if (dropped == rows) return Status::Ok();  // nothing left to add back

    std::optional<std::vector<parquet::ColumnSchema>> schema =
        rewritable_schema(reader->columns(), options_.personal_columns);
    if (!schema) return Status::Unsupported(path + ": has columns that cannot be rewritten exactly; rows not erased");
    const std::size_t slash = file.rfind('/');
    const std::string directory = slash == std::string::npos ? "" : file.substr(0, slash + 1);
    const std::string rel = directory + "part-erased-" + new_table_id() + ".c000" + codec_suffix(options_.codec);
    parquet::WriterOptions wo;
    wo.codec = options_.codec;
    std::unique_ptr<parquet::ParquetWriter> writer;
    written_.push_back(rel);
    if (Status s = parquet::ParquetWriter::create(dir_ + "/" + rel, *schema, wo, &writer); !s.ok()) return s;
    if (Status s = copy_rows(*reader, path, &keep, writer.get()); !s.ok()) return s;
    parquet::FileSummary summary;
    if (Status s = writer->finish(&summary); !s.ok()) return s;
    if (summary.rows != static_cast<int64_t>(rows - dropped)) {
      return Status::Corruption("erasure wrote " + std::to_string(summary.rows) + " rows to " + rel + ", expected " +
                                std::to_string(rows - dropped));
    }
    AddFile a;
    a.path = encode_path(rel);
    a.partition_values = add.partition_values;
    a.size = summary.bytes;
    a.modification_time = now;
    a.data_change = true;
    a.stats = file_stats_json(*schema, summary);
    *out = std::move(a);
    return Status::Ok();
  }

  std::string dir_;
  const ErasureOptions& options_;
  std::vector<std::string> written_;
  bool committed_ = false;
};

}  // namespace

Status erase_rows(const std::string& dir, const ErasureOptions& options, ErasureResult* result) {
  Erasure erasure(dir, options);
  return erasure.run(result);
}

}  // namespace pixguard::delta
