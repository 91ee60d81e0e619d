#include "delta/delta_path.h"

#include <cstring>

namespace pixguard::delta {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

bool keep_in_uri(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return c != 0 && std::strchr("-_.!~*'()/@&=+$,", c) != nullptr;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The characters Hive escapes in partition directory names (FileUtils.escapePathName).
bool hive_escapes(unsigned char c) {
  return c < 0x20 || c == 0x7f || std::strchr("\"#%'*/:=?\\{[]^", c) != nullptr;
}

void append_escape(unsigned char c, std::string* out) {
  out->push_back('%');
  out->push_back(kHex[c >> 4]);
  out->push_back(kHex[c & 15]);
}

std::string hive_escape(std::string_view s) {
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (hive_escapes(c)) {
      append_escape(c, &out);
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

}  // namespace

std::string encode_path(std::string_view file_path) {
  std::string out;
  out.reserve(file_path.size());
  for (const char ch : file_path) {
    const auto c = static_cast<unsigned char>(ch);
    if (keep_in_uri(c)) {
      out.push_back(ch);
    } else {
      append_escape(c, &out);
    }
  }
  return out;
}

Status decode_path(std::string_view uri_path, std::string* file_path) {
  file_path->clear();
  for (std::size_t i = 0; i < uri_path.size(); ++i) {
    if (uri_path[i] != '%') {
      file_path->push_back(uri_path[i]);
      continue;
    }
    const int hi = i + 2 < uri_path.size() ? hex_value(uri_path[i + 1]) : -1;
    const int lo = hi >= 0 ? hex_value(uri_path[i + 2]) : -1;
    if (lo < 0) return Status::InvalidArgument("bad percent escape in path " + std::string(uri_path));
    file_path->push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return Status::Ok();
}

std::string partition_directory(const std::vector<std::pair<std::string, std::string>>& values) {
  std::string out;
  for (const auto& [column, value] : values) {
    if (!out.empty()) out += '/';
    out += hive_escape(column);
    out += '=';
    out += value.empty() ? "__HIVE_DEFAULT_PARTITION__" : hive_escape(value);
  }
  return out;
}

std::string table_relative_file(std::string_view logged) {
  std::string path;
  if (!decode_path(logged, &path).ok()) path = std::string(logged);
  if (path.empty() || path[0] == '/' || logged.find(':') < logged.find('/')) return "";
  return path;
}

std::vector<std::string> partition_key(const std::vector<std::string>& columns,
                                       const std::map<std::string, std::string>& partition_values) {
  std::vector<std::string> key;
  key.reserve(columns.size());
  for (const std::string& column : columns) {
    const auto v = partition_values.find(column);
    key.push_back(v == partition_values.end() ? "" : v->second);
  }
  return key;
}

}  // namespace pixguard::delta
