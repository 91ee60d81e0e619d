#pragma once
// Page compression: SNAPPY (raw blocks, not the framing format), ZSTD and UNCOMPRESSED for
// writing; those and GZIP for reading.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "parquet/parquet_types.h"

namespace pixguard::parquet {

// Replaces `out` with `in` compressed. `out` keeps its capacity between calls.
Status compress_page(Codec codec, int zstd_level, std::string_view in, std::string* out);

// Replaces `out` with `in` decompressed; `codec` is parquet.thrift's CompressionCodec value.
// Fails unless the result is exactly `uncompressed_size` bytes.
Status decompress_page(int32_t codec, std::string_view in, std::size_t uncompressed_size, std::string* out);

// parquet.thrift's CompressionCodec value for a writer codec.
int32_t codec_id(Codec codec);

}  // namespace pixguard::parquet
