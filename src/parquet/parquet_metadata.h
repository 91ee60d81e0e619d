#pragma once
// The Thrift structures of parquet.thrift (apache/parquet-format) that we write and read:
// FileMetaData (the footer) and PageHeader, with only the fields we use. Internal to the
// module: the public surface is parquet_writer.h and parquet_reader.h.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace pixguard::parquet::format {

// Enum values as in parquet.thrift.
enum Type : int32_t { kBoolean = 0, kInt32 = 1, kInt64 = 2, kInt96 = 3, kFloat = 4, kDouble = 5, kByteArray = 6, kFixedLenByteArray = 7 };
enum ConvertedType : int32_t { kUtf8 = 0, kMap = 1, kMapKeyValue = 2, kList = 3, kEnum = 4, kDecimal = 5, kDate = 6,
                               kTimestampMillis = 9, kTimestampMicros = 10, kJson = 19 };
enum Repetition : int32_t { kRequired = 0, kOptional = 1, kRepeated = 2 };
enum Encoding : int32_t { kPlain = 0, kPlainDictionary = 2, kRle = 3, kBitPacked = 4, kDeltaBinaryPacked = 5,
                          kDeltaLengthByteArray = 6, kDeltaByteArray = 7, kRleDictionary = 8, kByteStreamSplit = 9 };
enum Codec : int32_t { kUncompressed = 0, kSnappy = 1, kGzip = 2, kZstd = 6 };
enum PageType : int32_t { kDataPage = 0, kIndexPage = 1, kDictionaryPage = 2, kDataPageV2 = 3 };
// LogicalType union member ids.
enum LogicalId : int32_t { kLogicalNone = 0, kLogicalString = 1, kLogicalMap = 2, kLogicalList = 3, kLogicalEnum = 4,
                           kLogicalDecimal = 5, kLogicalDate = 6, kLogicalTime = 7, kLogicalTimestamp = 8,
                           kLogicalInteger = 10, kLogicalUnknown = 11, kLogicalJson = 12 };
// TimeUnit union member ids.
enum TimeUnit : int32_t { kMillis = 1, kMicros = 2, kNanos = 3 };

struct Statistics {
  bool has_min = false, has_max = false, has_min_value = false, has_max_value = false, has_null_count = false;
  std::string min, max, min_value, max_value;  // PLAIN bytes (no length prefix for byte arrays)
  int64_t null_count = 0;
};

struct SchemaElement {
  int32_t type = -1;            // -1: a group
  int32_t type_length = 0;
  int32_t repetition = -1;      // -1: absent (the root)
  std::string name;
  int32_t num_children = -1;    // -1: absent (a leaf)
  int32_t converted_type = -1;  // -1: absent
  int32_t scale = 0, precision = 0;
  bool has_scale_precision = false;
  int32_t logical = kLogicalNone;
  int32_t logical_scale = 0, logical_precision = 0;  // kLogicalDecimal
  bool logical_utc = false;                          // kLogicalTimestamp / kLogicalTime
  int32_t logical_unit = 0;                          // TimeUnit
};

struct ColumnMetaData {
  int32_t type = 0;
  std::vector<int32_t> encodings;
  std::vector<std::string> path_in_schema;
  int32_t codec = 0;
  int64_t num_values = 0, total_uncompressed_size = 0, total_compressed_size = 0;
  int64_t data_page_offset = 0;
  bool has_dictionary_page_offset = false;
  int64_t dictionary_page_offset = 0;
  bool has_statistics = false;
  Statistics statistics;
};

struct ColumnChunk {
  int64_t file_offset = 0;
  bool has_meta_data = false;
  ColumnMetaData meta_data;
};

struct RowGroup {
  std::vector<ColumnChunk> columns;
  int64_t total_byte_size = 0, num_rows = 0;
  bool has_file_offset = false;
  int64_t file_offset = 0, total_compressed_size = 0;
};

struct FileMetaData {
  int32_t version = 1;
  std::vector<SchemaElement> schema;
  int64_t num_rows = 0;
  std::vector<RowGroup> row_groups;
  std::vector<std::pair<std::string, std::string>> key_value_metadata;
  bool has_created_by = false;
  std::string created_by;
  int32_t column_orders = 0;  // how many TypeDefinedOrder entries (one per leaf when written)
};

struct PageHeader {
  int32_t type = -1;
  int32_t uncompressed_page_size = 0, compressed_page_size = 0;
  // DATA_PAGE, DATA_PAGE_V2, DICTIONARY_PAGE: whichever `type` says.
  int32_t num_values = 0;
  int32_t encoding = 0;
  int32_t definition_level_encoding = kRle, repetition_level_encoding = kRle;  // v1
  int32_t num_nulls = 0, num_rows = 0;                                       // v2
  int32_t definition_levels_byte_length = 0, repetition_levels_byte_length = 0;  // v2
  bool is_compressed = true;                                                 // v2
  bool has_page_header = false;  // the member `type` names was present
};

void encode_file_metadata(const FileMetaData& m, std::string* out);
Status decode_file_metadata(std::string_view in, FileMetaData* m);

void encode_page_header(const PageHeader& h, std::string* out);
// Decodes a header at the start of `in`; *size is how many bytes it took.
Status decode_page_header(std::string_view in, PageHeader* h, std::size_t* size);

}  // namespace pixguard::parquet::format
