#include "parquet/page_codec.h"

#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include "parquet/parquet_metadata.h"

namespace pixguard::parquet {

int32_t codec_id(Codec codec) {
  switch (codec) {
    case Codec::kSnappy: return format::kSnappy;
    case Codec::kZstd: return format::kZstd;
    case Codec::kUncompressed: break;
  }
  return format::kUncompressed;
}

Status compress_page(Codec codec, int zstd_level, std::string_view in, std::string* out) {
  switch (codec) {
    case Codec::kUncompressed:
      out->assign(in);
      return Status::Ok();
    case Codec::kSnappy: {
      out->resize(snappy::MaxCompressedLength(in.size()));
      std::size_t n = 0;
      snappy::RawCompress(in.data(), in.size(), out->data(), &n);
      out->resize(n);
      return Status::Ok();
    }
    case Codec::kZstd: {
      out->resize(ZSTD_compressBound(in.size()));
      const std::size_t n = ZSTD_compress(out->data(), out->size(), in.data(), in.size(), zstd_level);
      if (ZSTD_isError(n)) return Status::InvalidArgument(std::string("zstd: ") + ZSTD_getErrorName(n));
      out->resize(n);
      return Status::Ok();
    }
  }
  return Status::InvalidArgument("unknown codec");
}

Status decompress_page(int32_t codec, std::string_view in, std::size_t uncompressed_size, std::string* out) {
  // The size a page header claims is checked against the data itself where the codec tells
  // it, before anything is allocated (the reader has bounded it by the page's bytes already).
  switch (codec) {
    case format::kUncompressed:
      if (in.size() != uncompressed_size) return Status::Corruption("uncompressed page: sizes differ");
      out->assign(in);
      return Status::Ok();
    case format::kSnappy: {
      std::size_t n = 0;
      if (!snappy::GetUncompressedLength(in.data(), in.size(), &n) || n != uncompressed_size) {
        return Status::Corruption("snappy page: bad length");
      }
      out->resize(uncompressed_size);
      if (!snappy::RawUncompress(in.data(), in.size(), out->data())) return Status::Corruption("snappy page: bad data");
      return Status::Ok();
    }
    case format::kZstd: {
      const unsigned long long claimed = ZSTD_getFrameContentSize(in.data(), in.size());
      if (claimed == ZSTD_CONTENTSIZE_ERROR || (claimed != ZSTD_CONTENTSIZE_UNKNOWN && claimed != uncompressed_size)) {
        return Status::Corruption("zstd page: bad frame or length");
      }
      out->resize(uncompressed_size);
      const std::size_t n = ZSTD_decompress(out->data(), out->size(), in.data(), in.size());
      if (ZSTD_isError(n) || n != uncompressed_size) return Status::Corruption("zstd page: bad data or length");
      return Status::Ok();
    }
    case format::kGzip: {
      out->resize(uncompressed_size);
      z_stream z{};
      if (inflateInit2(&z, 15 + 32) != Z_OK) return Status::Corruption("gzip page: inflateInit failed");
      z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
      z.avail_in = static_cast<uInt>(in.size());
      z.next_out = reinterpret_cast<Bytef*>(out->data());
      z.avail_out = static_cast<uInt>(out->size());
      const int rc = inflate(&z, Z_FINISH);
      const std::size_t n = z.total_out;
      inflateEnd(&z);
      if (rc != Z_STREAM_END || n != uncompressed_size) return Status::Corruption("gzip page: bad data or length");
      return Status::Ok();
    }
    default:
      return Status::Unsupported("compression codec " + std::to_string(codec) + " (we read UNCOMPRESSED, SNAPPY, GZIP, ZSTD)");
  }
}

}  // namespace pixguard::parquet
