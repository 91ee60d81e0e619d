#pragma once
// Rewriting a table's Parquet data files value for value, for compaction (delta_compaction.h)
// and for erasure (delta_erasure.h): which files can be rewritten exactly, and the copy of
// their rows.
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"
#include "parquet/parquet_reader.h"
#include "parquet/parquet_types.h"
#include "parquet/parquet_writer.h"

namespace pixguard::delta {

// The columns a file can be rewritten with, or nullopt when it holds a column the writer
// cannot reproduce exactly (nested, INT96, fixed-length, an unknown or local-time annotation).
// Columns named in `personal` are marked so (no min/max in the log).
std::optional<std::vector<parquet::ColumnSchema>> rewritable_schema(const std::vector<parquet::LeafColumn>& leaves,
                                                                    const std::set<std::string>& personal);

// ".snappy.parquet", ".zstd.parquet" or ".parquet".
std::string codec_suffix(parquet::Codec codec);

// Appends the rows of `reader` to `writer`, value for value: all of them, or those whose
// `keep` entry is non-zero (one entry per row). `name` names the file in errors.
Status copy_rows(const parquet::ParquetReader& reader, const std::string& name, const std::vector<char>* keep,
                 parquet::ParquetWriter* writer);

}  // namespace pixguard::delta
