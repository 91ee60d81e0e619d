#include "delta/delta_rewrite.h"

namespace pixguard::delta {

using parquet::ColumnSchema;
using parquet::LeafColumn;
using parquet::LogicalKind;
using parquet::PhysicalType;

std::optional<std::vector<ColumnSchema>> rewritable_schema(const std::vector<LeafColumn>& leaves,
                                                           const std::set<std::string>& personal) {
  std::vector<ColumnSchema> out;
  for (const LeafColumn& leaf : leaves) {
    if (leaf.max_repetition_level != 0 || leaf.max_definition_level > 1) return std::nullopt;
    if (leaf.physical == PhysicalType::kInt96 || leaf.physical == PhysicalType::kFixedLenByteArray) return std::nullopt;
    if (leaf.logical == LogicalKind::kOther) return std::nullopt;
    const bool timestamp = leaf.logical == LogicalKind::kTimestampMicros || leaf.logical == LogicalKind::kTimestampMillis ||
                           leaf.logical == LogicalKind::kTimestampNanos;
    if (timestamp && !leaf.adjusted_to_utc) return std::nullopt;  // we write UTC-adjusted only
    ColumnSchema c;
    c.name = leaf.path;
    c.physical = leaf.physical;
    c.logical = leaf.logical;
    c.precision = leaf.precision;
    c.scale = leaf.scale;
    c.nullable = leaf.max_definition_level > 0;
    c.personal = personal.count(leaf.path) != 0;
    // The reader does not report a chunk's encodings, so whether the source used a
    // dictionary cannot be told: plain encoding throughout.
    c.dictionary = false;
    out.push_back(std::move(c));
  }
  if (out.empty()) return std::nullopt;
  return out;
}

std::string codec_suffix(parquet::Codec codec) {
  switch (codec) {
    case parquet::Codec::kSnappy: return ".snappy.parquet";
    case parquet::Codec::kZstd: return ".zstd.parquet";
    case parquet::Codec::kUncompressed: break;
  }
  return ".parquet";
}

Status copy_rows(const parquet::ParquetReader& reader, const std::string& name, const std::vector<char>* keep,
                 parquet::ParquetWriter* writer) {
  const std::vector<LeafColumn>& leaves = reader.columns();
  std::vector<parquet::ColumnData> data(leaves.size());
  for (std::size_t c = 0; c < leaves.size(); ++c) {
    if (Status s = reader.read_column(static_cast<int>(c), &data[c]); !s.ok()) return s.with_context(name);
  }
  const auto rows = static_cast<std::size_t>(reader.num_rows());
  if (keep != nullptr && keep->size() != rows) {
    return Status::InvalidArgument(name + ": a row mask of " + std::to_string(keep->size()) + " rows for " +
                                   std::to_string(rows));
  }
  std::vector<std::size_t> next(leaves.size(), 0);  // next non-null value per column
  for (std::size_t c = 0; c < leaves.size(); ++c) {
    const parquet::ColumnData& d = data[c];
    if (leaves[c].max_definition_level > 0 && d.definition_levels.size() != rows) {
      return Status::Corruption(name + ": column " + leaves[c].path + " has " + std::to_string(d.definition_levels.size()) +
                                " levels for " + std::to_string(rows) + " rows");
    }
  }
  for (std::size_t r = 0; r < rows; ++r) {
    const bool kept = keep == nullptr || (*keep)[r] != 0;
    for (std::size_t c = 0; c < leaves.size(); ++c) {
      const parquet::ColumnData& d = data[c];
      if (leaves[c].max_definition_level > 0 && d.definition_levels[r] < leaves[c].max_definition_level) {
        if (kept) writer->add_null();
        continue;
      }
      const std::size_t i = next[c]++;
      if (!kept) continue;
      bool in_range = true;
      switch (leaves[c].physical) {
        case PhysicalType::kBoolean:
          if ((in_range = i < d.booleans.size())) writer->add_bool(d.booleans[i] != 0);
          break;
        case PhysicalType::kInt32:
          if ((in_range = i < d.int32s.size())) writer->add_int32(d.int32s[i]);
          break;
        case PhysicalType::kInt64:
          if ((in_range = i < d.int64s.size())) writer->add_int64(d.int64s[i]);
          break;
        case PhysicalType::kFloat:
          if ((in_range = i < d.floats.size())) writer->add_float(d.floats[i]);
          break;
        case PhysicalType::kDouble:
          if ((in_range = i < d.doubles.size())) writer->add_double(d.doubles[i]);
          break;
        case PhysicalType::kByteArray:
          if ((in_range = i < d.strings.size())) writer->add_string(d.strings[i]);
          break;
        case PhysicalType::kInt96:
        case PhysicalType::kFixedLenByteArray:
          return Status::Unsupported(name + ": column " + leaves[c].path + " cannot be rewritten");
      }
      if (!in_range) {
        return Status::Corruption(name + ": column " + leaves[c].path + " has fewer values than its levels say");
      }
    }
    if (!kept) continue;
    if (Status s = writer->end_row(); !s.ok()) return s.with_context(name);
  }
  return Status::Ok();
}

}  // namespace pixguard::delta
