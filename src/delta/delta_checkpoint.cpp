#include "delta/delta_checkpoint.h"

#include <memory>
#include <optional>
#include <string_view>

#include "parquet/parquet_reader.h"

namespace pixguard::delta {
namespace {

using parquet::ColumnData;
using parquet::LeafColumn;
using parquet::ParquetReader;
using parquet::PhysicalType;

enum class Want : unsigned char { kString, kInteger, kBoolean };

bool fits(PhysicalType p, Want want) {
  switch (want) {
    case Want::kString: return p == PhysicalType::kByteArray;
    case Want::kInteger: return p == PhysicalType::kInt64 || p == PhysicalType::kInt32;
    case Want::kBoolean: return p == PhysicalType::kBoolean;
  }
  return false;
}

// One leaf column, read whole, with its values located per row. For a leaf inside a list or
// map (max_repetition_level 1) each row has a list of slots: the index of the slot's value,
// or -1 for a slot without one (an empty or null collection, or a null element).
class Leaf {
 public:
  Status load(const ParquetReader& reader, int index, Want want) {
    info_ = &reader.columns()[static_cast<std::size_t>(index)];
    if (!fits(info_->physical, want)) return Status::Corruption("column " + info_->path + " has an unexpected type");
    if (info_->max_repetition_level > 1) return Status::Corruption("column " + info_->path + " is nested too deep");
    if (Status s = reader.read_column(index, &data_); !s.ok()) return s.with_context("column " + info_->path);
    const auto rows = static_cast<std::size_t>(reader.num_rows());
    const std::size_t values = value_count();
    const auto& def = data_.definition_levels;
    const auto& rep = data_.repetition_levels;
    slots_.assign(rows, {});
    std::size_t next = 0;
    if (info_->max_definition_level == 0) {  // required all the way down: one value per row
      if (info_->max_repetition_level != 0 || values != rows) return shape_error();
      for (std::size_t r = 0; r < rows; ++r) slots_[r].push_back(static_cast<int64_t>(next++));
      return Status::Ok();
    }
    if (info_->max_repetition_level == 0 ? def.size() != rows : rep.size() != def.size()) return shape_error();
    std::size_t row = 0;
    for (std::size_t i = 0; i < def.size(); ++i) {
      if (info_->max_repetition_level > 0 && i > 0 && rep[i] == 0) ++row;
      if (info_->max_repetition_level == 0) row = i;
      if (row >= rows) return shape_error();
      if (def[i] == info_->max_definition_level) {
        if (next >= values) return shape_error();
        slots_[row].push_back(static_cast<int64_t>(next++));
      } else {
        slots_[row].push_back(-1);
      }
    }
    if (next != values || (rows > 0 && row + 1 != rows)) return shape_error();
    return Status::Ok();
  }

  bool loaded() const { return info_ != nullptr; }
  const std::string& path() const { return info_->path; }
  // The first slot of a row: the value of a non-repeated column.
  int64_t at(std::size_t row) const { return !loaded() || slots_[row].empty() ? -1 : slots_[row][0]; }
  const std::vector<int64_t>& slots(std::size_t row) const { return slots_[row]; }

  bool has(std::size_t row) const { return at(row) >= 0; }
  const std::string& str(int64_t i) const { return data_.strings[static_cast<std::size_t>(i)]; }
  int64_t integer(int64_t i) const {
    return info_->physical == PhysicalType::kInt64 ? data_.int64s[static_cast<std::size_t>(i)]
                                                   : data_.int32s[static_cast<std::size_t>(i)];
  }
  bool boolean(int64_t i) const { return data_.booleans[static_cast<std::size_t>(i)] != 0; }

 private:
  std::size_t value_count() const {
    switch (info_->physical) {
      case PhysicalType::kBoolean: return data_.booleans.size();
      case PhysicalType::kInt32: return data_.int32s.size();
      case PhysicalType::kInt64: return data_.int64s.size();
      default: return data_.strings.size();
    }
  }
  Status shape_error() const {
    return Status::Corruption("column " + info_->path + ": levels and values do not match the row count");
  }

  const LeafColumn* info_ = nullptr;
  ColumnData data_;
  std::vector<std::vector<int64_t>> slots_;
};

// The checkpoint's columns by role; a column the file does not have stays unloaded.
class Columns {
 public:
  explicit Columns(const ParquetReader& reader) : reader_(reader) {}

  Status scalar(std::string_view path, Want want, Leaf* leaf) {
    const int index = reader_.find_column(path);
    return index < 0 ? Status::Ok() : leaf->load(reader_, index, want);
  }

  // A list of strings: the one leaf under `path` (`.list.element`, `.bag.array_element`, ...).
  Status list(std::string_view path, Leaf* leaf) {
    const int index = first_under(path, "");
    return index < 0 ? Status::Ok() : leaf->load(reader_, index, Want::kString);
  }

  // A map of strings: the leaves under `path` ending in ".key" and ".value".
  Status map(std::string_view path, Leaf* keys, Leaf* values) {
    const int k = first_under(path, ".key");
    const int v = first_under(path, ".value");
    if (k < 0) return Status::Ok();
    if (v < 0) return Status::Corruption("map column " + std::string(path) + " has keys but no values");
    Status s = keys->load(reader_, k, Want::kString);
    if (s.ok()) s = values->load(reader_, v, Want::kString);
    return s;
  }

 private:
  int first_under(std::string_view path, std::string_view suffix) const {
    const auto& columns = reader_.columns();
    for (std::size_t i = 0; i < columns.size(); ++i) {
      const std::string& p = columns[i].path;
      if (p.size() > path.size() && p.starts_with(path) && p[path.size()] == '.' && p.ends_with(suffix)) {
        return static_cast<int>(i);
      }
    }
    return -1;
  }
  const ParquetReader& reader_;
};

struct MapLeaves {
  Leaf keys, values;
};

std::map<std::string, std::string> map_at(const MapLeaves& m, std::size_t row) {
  std::map<std::string, std::string> out;
  if (!m.keys.loaded()) return out;
  const auto& ks = m.keys.slots(row);
  const auto& vs = m.values.slots(row);
  for (std::size_t i = 0; i < ks.size(); ++i) {
    if (ks[i] < 0) continue;
    const int64_t v = i < vs.size() ? vs[i] : -1;
    out[m.keys.str(ks[i])] = v >= 0 ? m.values.str(v) : "";  // a null value is the null partition
  }
  return out;
}

std::vector<std::string> list_at(const Leaf& leaf, std::size_t row) {
  std::vector<std::string> out;
  if (!leaf.loaded()) return out;
  for (const int64_t i : leaf.slots(row)) {
    if (i >= 0) out.push_back(leaf.str(i));
  }
  return out;
}

std::optional<int64_t> int_at(const Leaf& leaf, std::size_t row) {
  return leaf.has(row) ? std::optional<int64_t>(leaf.integer(leaf.at(row))) : std::nullopt;
}

Status required(const Leaf& leaf, std::size_t row, std::string_view what) {
  if (leaf.has(row)) return Status::Ok();
  return Status::Corruption("row " + std::to_string(row) + ": " + std::string(what) + " is null or missing");
}

}  // namespace

Status read_checkpoint(const std::string& path, std::vector<Action>* actions) {
  actions->clear();
  std::unique_ptr<ParquetReader> reader;
  if (Status s = ParquetReader::open(path, &reader); !s.ok()) return s;
  Columns c(*reader);

  Leaf add_path, add_size, add_mtime, add_change, add_stats, add_dv;
  MapLeaves add_parts;
  Leaf rm_path, rm_time, rm_change, rm_extended, rm_size;
  MapLeaves rm_parts;
  Leaf md_id, md_name, md_description, md_provider, md_schema, md_created, md_partitions;
  MapLeaves md_config, md_options;
  Leaf pr_reader, pr_writer, pr_reader_features, pr_writer_features;
  Leaf txn_app, txn_version, txn_updated;
  Leaf sidecar_path;

  Status s;
  const auto step = [&s](Status next) {
    if (s.ok()) s = std::move(next);
  };
  step(c.scalar("add.path", Want::kString, &add_path));
  step(c.scalar("add.size", Want::kInteger, &add_size));
  step(c.scalar("add.modificationTime", Want::kInteger, &add_mtime));
  step(c.scalar("add.dataChange", Want::kBoolean, &add_change));
  step(c.scalar("add.stats", Want::kString, &add_stats));
  step(c.scalar("add.deletionVector.storageType", Want::kString, &add_dv));
  step(c.map("add.partitionValues", &add_parts.keys, &add_parts.values));
  step(c.scalar("remove.path", Want::kString, &rm_path));
  step(c.scalar("remove.deletionTimestamp", Want::kInteger, &rm_time));
  step(c.scalar("remove.dataChange", Want::kBoolean, &rm_change));
  step(c.scalar("remove.extendedFileMetadata", Want::kBoolean, &rm_extended));
  step(c.scalar("remove.size", Want::kInteger, &rm_size));
  step(c.map("remove.partitionValues", &rm_parts.keys, &rm_parts.values));
  step(c.scalar("metaData.id", Want::kString, &md_id));
  step(c.scalar("metaData.name", Want::kString, &md_name));
  step(c.scalar("metaData.description", Want::kString, &md_description));
  step(c.scalar("metaData.format.provider", Want::kString, &md_provider));
  step(c.map("metaData.format.options", &md_options.keys, &md_options.values));
  step(c.scalar("metaData.schemaString", Want::kString, &md_schema));
  step(c.scalar("metaData.createdTime", Want::kInteger, &md_created));
  step(c.list("metaData.partitionColumns", &md_partitions));
  step(c.map("metaData.configuration", &md_config.keys, &md_config.values));
  step(c.scalar("protocol.minReaderVersion", Want::kInteger, &pr_reader));
  step(c.scalar("protocol.minWriterVersion", Want::kInteger, &pr_writer));
  step(c.list("protocol.readerFeatures", &pr_reader_features));
  step(c.list("protocol.writerFeatures", &pr_writer_features));
  step(c.scalar("txn.appId", Want::kString, &txn_app));
  step(c.scalar("txn.version", Want::kInteger, &txn_version));
  step(c.scalar("txn.lastUpdated", Want::kInteger, &txn_updated));
  step(c.scalar("sidecar.path", Want::kString, &sidecar_path));
  if (!s.ok()) return s;

  const auto rows = static_cast<std::size_t>(reader->num_rows());
  for (std::size_t r = 0; r < rows; ++r) {
    if (sidecar_path.has(r)) {
      return Status::Unsupported("V2 checkpoint with sidecar files (" + sidecar_path.str(sidecar_path.at(r)) + ")");
    }
    if (add_path.has(r)) {
      if (add_dv.has(r)) return Status::Unsupported("add with a deletion vector in row " + std::to_string(r));
      step(required(add_size, r, "add.size"));
      step(required(add_mtime, r, "add.modificationTime"));
      if (!s.ok()) return s;
      AddFile a;
      a.path = add_path.str(add_path.at(r));
      a.partition_values = map_at(add_parts, r);
      a.size = add_size.integer(add_size.at(r));
      a.modification_time = add_mtime.integer(add_mtime.at(r));
      a.data_change = !add_change.has(r) || add_change.boolean(add_change.at(r));
      if (add_stats.has(r)) a.stats = add_stats.str(add_stats.at(r));
      actions->push_back(std::move(a));
    }
    if (rm_path.has(r)) {
      RemoveFile rm;
      rm.path = rm_path.str(rm_path.at(r));
      rm.deletion_timestamp = int_at(rm_time, r);
      rm.data_change = !rm_change.has(r) || rm_change.boolean(rm_change.at(r));
      rm.extended_file_metadata = rm_extended.has(r) && rm_extended.boolean(rm_extended.at(r));
      rm.partition_values = map_at(rm_parts, r);
      rm.size = int_at(rm_size, r);
      actions->push_back(std::move(rm));
    }
    if (md_id.has(r)) {
      step(required(md_schema, r, "metaData.schemaString"));
      if (!s.ok()) return s;
      Metadata m;
      m.id = md_id.str(md_id.at(r));
      if (md_name.has(r)) m.name = md_name.str(md_name.at(r));
      if (md_description.has(r)) m.description = md_description.str(md_description.at(r));
      if (md_provider.has(r)) m.format_provider = md_provider.str(md_provider.at(r));
      m.format_options = map_at(md_options, r);
      m.schema_string = md_schema.str(md_schema.at(r));
      m.partition_columns = list_at(md_partitions, r);
      m.configuration = map_at(md_config, r);
      m.created_time = int_at(md_created, r);
      actions->push_back(std::move(m));
    }
    if (pr_reader.has(r)) {
      step(required(pr_writer, r, "protocol.minWriterVersion"));
      if (!s.ok()) return s;
      Protocol p;
      p.min_reader_version = static_cast<int>(pr_reader.integer(pr_reader.at(r)));
      p.min_writer_version = static_cast<int>(pr_writer.integer(pr_writer.at(r)));
      p.reader_features = list_at(pr_reader_features, r);
      p.writer_features = list_at(pr_writer_features, r);
      actions->push_back(std::move(p));
    }
    if (txn_app.has(r)) {
      step(required(txn_version, r, "txn.version"));
      if (!s.ok()) return s;
      Txn t;
      t.app_id = txn_app.str(txn_app.at(r));
      t.version = txn_version.integer(txn_version.at(r));
      t.last_updated = int_at(txn_updated, r);
      actions->push_back(std::move(t));
    }
  }
  return Status::Ok();
}

}  // namespace pixguard::delta
