#pragma once
// Data file paths as the Delta log holds them. An add/remove path is a URI (RFC 2396)
// relative to the table root, so a file `event_date=2025-11-24/part 1.parquet` is logged as
// `event_date=2025-11-24/part%201.parquet`. Partition directories use Hive's escaping first
// (`ts=2025-01-01 00%3A00`), which the URI encoding then escapes again (`%253A`), as Spark does.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace pixguard::delta {

// Percent-encodes every byte but the RFC 2396 unreserved characters, '/' and "@&=+$,".
std::string encode_path(std::string_view file_path);
// Undoes encode_path (any valid %XX escape); InvalidArgument for a malformed escape.
Status decode_path(std::string_view uri_path, std::string* file_path);

// One Hive-style directory per partition column, in the order given, with values escaped
// as Hive does (an empty value is Hive's null partition): "event_date=2025-11-24/kind=pix".
// A file path, not yet URI-encoded.
std::string partition_directory(const std::vector<std::pair<std::string, std::string>>& values);

// A logged path as a file path relative to the table root, or "" for an absolute path or a
// URI with a scheme (not a file of this directory). A malformed escape is taken literally:
// vacuum must never mistake a listed file for an unlisted one.
std::string table_relative_file(std::string_view logged);

// An add's values of the partition `columns`, in their order ("" where absent): the key
// that groups files by partition.
std::vector<std::string> partition_key(const std::vector<std::string>& columns,
                                       const std::map<std::string, std::string>& partition_values);

}  // namespace pixguard::delta
