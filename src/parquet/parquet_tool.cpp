// parquet_tool: the tests' bridge between our Parquet code and independent readers/writers.
//   parquet_tool dump FILE          prints the file as JSON through ParquetReader
//   parquet_tool write SPEC OUT     writes OUT with ParquetWriter from a JSON spec, prints the summary
// The spec: {"codec": "snappy"|"zstd"|"uncompressed", "page_bytes": n, "row_group_bytes": n,
//   "key_value_metadata": {k: v}, "columns": [{"name", "type": "bool"|"int32"|"int64"|"float"|
//   "double"|"string"|"bytes", "logical": "string"|"timestamp"|"decimal"|"date", "precision",
//   "scale", "nullable", "dictionary"}], "rows": [[v, ...], ...]} (decimals as unscaled integers,
//   timestamps as UTC micros, dates as days).
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "parquet/parquet_reader.h"
#include "parquet/parquet_writer.h"

namespace {

using nlohmann::json;
using namespace pixguard::parquet;

const char* logical_name(LogicalKind k) {
  static const char* names[] = {"NONE", "STRING", "TIMESTAMP_MICROS", "DECIMAL", "DATE", "TIMESTAMP_MILLIS", "TIMESTAMP_NANOS", "JSON", "OTHER"};
  return names[static_cast<int>(k)];
}

std::string hex(const std::string& s) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

json value_json(const Value& v, bool text) {
  return std::visit([&](const auto& x) -> json {
    using T = std::decay_t<decltype(x)>;
    if constexpr (std::is_same_v<T, std::monostate>) return nullptr;
    else if constexpr (std::is_same_v<T, std::string>) return text ? json(x) : json(hex(x));
    else return json(x);
  }, v);
}

int dump(const std::string& path) {
  std::unique_ptr<ParquetReader> reader;
  if (auto s = ParquetReader::open(path, &reader); !s.ok()) {
    std::cerr << "parquet_tool: " << s.message() << "\n";
    return 1;
  }
  json out;
  out["num_rows"] = reader->num_rows();
  out["row_groups"] = reader->row_groups();
  out["created_by"] = reader->created_by();
  out["key_value_metadata"] = json::object();
  for (const auto& [k, v] : reader->key_value_metadata()) out["key_value_metadata"][k] = v;
  out["columns"] = json::array();
  for (int i = 0; i < static_cast<int>(reader->columns().size()); ++i) {
    const LeafColumn& leaf = reader->columns()[static_cast<std::size_t>(i)];
    ColumnData data;
    if (auto s = reader->read_column(i, &data); !s.ok()) {
      std::cerr << "parquet_tool: " << s.message() << "\n";
      return 1;
    }
    const bool text = leaf.logical == LogicalKind::kString || leaf.logical == LogicalKind::kJson;
    json c = {{"path", leaf.path}, {"physical", physical_type_name(leaf.physical)}, {"logical", logical_name(leaf.logical)},
              {"precision", leaf.precision}, {"scale", leaf.scale}, {"type_length", leaf.type_length},
              {"max_definition_level", leaf.max_definition_level}, {"max_repetition_level", leaf.max_repetition_level},
              {"adjusted_to_utc", leaf.adjusted_to_utc}, {"definition_levels", data.definition_levels},
              {"repetition_levels", data.repetition_levels}};
    json values = json::array();
    for (uint8_t b : data.booleans) values.push_back(b != 0);
    for (int32_t v : data.int32s) values.push_back(v);
    for (int64_t v : data.int64s) values.push_back(v);
    for (float v : data.floats) values.push_back(v);
    for (double v : data.doubles) values.push_back(v);
    for (const std::string& v : data.strings) values.push_back(text ? json(v) : json(hex(v)));
    c["values"] = std::move(values);
    json stats = json::array();
    for (int g = 0; g < reader->row_groups(); ++g) {
      ColumnStats st;
      if (reader->column_stats(g, i, &st).ok()) {
        stats.push_back({{"min", value_json(st.min, text)}, {"max", value_json(st.max, text)}, {"null_count", st.null_count}});
      } else {
        stats.push_back(nullptr);
      }
    }
    c["stats"] = std::move(stats);
    out["columns"].push_back(std::move(c));
  }
  std::cout << out.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
  return 0;
}

int write(const std::string& spec_path, const std::string& out_path) {
  std::ifstream in(spec_path);
  const json spec = json::parse(in, nullptr, false);
  if (spec.is_discarded()) {
    std::cerr << "parquet_tool: " << spec_path << ": not JSON\n";
    return 2;
  }
  WriterOptions options;
  const std::string codec = spec.value("codec", "snappy");
  options.codec = codec == "zstd" ? Codec::kZstd : codec == "uncompressed" ? Codec::kUncompressed : Codec::kSnappy;
  options.page_bytes = spec.value("page_bytes", options.page_bytes);
  options.row_group_bytes = spec.value("row_group_bytes", options.row_group_bytes);
  options.created_by = spec.value("created_by", "");
  if (spec.contains("key_value_metadata")) {
    const json& kv = spec["key_value_metadata"];
    for (auto it = kv.begin(); it != kv.end(); ++it) options.key_value_metadata.emplace_back(it.key(), it.value().get<std::string>());
  }
  std::vector<ColumnSchema> schema;
  for (const json& c : spec.at("columns")) {
    ColumnSchema s;
    s.name = c.at("name").get<std::string>();
    const std::string type = c.at("type").get<std::string>(), logical = c.value("logical", "");
    s.physical = type == "bool" ? PhysicalType::kBoolean : type == "int32" ? PhysicalType::kInt32
                 : type == "int64" ? PhysicalType::kInt64 : type == "float" ? PhysicalType::kFloat
                 : type == "double" ? PhysicalType::kDouble : PhysicalType::kByteArray;
    s.logical = logical == "string" ? LogicalKind::kString : logical == "timestamp" ? LogicalKind::kTimestampMicros
                : logical == "decimal" ? LogicalKind::kDecimal : logical == "date" ? LogicalKind::kDate : LogicalKind::kNone;
    s.precision = c.value("precision", 0);
    s.scale = c.value("scale", 0);
    s.nullable = c.value("nullable", true);
    s.dictionary = c.value("dictionary", false);
    schema.push_back(s);
  }
  std::unique_ptr<ParquetWriter> writer;
  if (auto s = ParquetWriter::create(out_path, schema, options, &writer); !s.ok()) {
    std::cerr << "parquet_tool: " << s.message() << "\n";
    return 1;
  }
  for (const json& row : spec.at("rows")) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      const json& v = row[i];
      const PhysicalType t = i < schema.size() ? schema[i].physical : PhysicalType::kByteArray;
      if (v.is_null()) writer->add_null();
      else if (t == PhysicalType::kBoolean) writer->add_bool(v.get<bool>());
      else if (t == PhysicalType::kInt32) writer->add_int32(v.get<int32_t>());
      else if (t == PhysicalType::kInt64) writer->add_int64(v.get<int64_t>());
      else if (t == PhysicalType::kFloat) writer->add_float(v.get<float>());
      else if (t == PhysicalType::kDouble) writer->add_double(v.get<double>());
      else writer->add_string(v.get<std::string>());
    }
    if (auto s = writer->end_row(); !s.ok()) {
      std::cerr << "parquet_tool: " << s.message() << "\n";
      return 1;
    }
  }
  FileSummary summary;
  if (auto s = writer->finish(&summary); !s.ok()) {
    std::cerr << "parquet_tool: " << s.message() << "\n";
    return 1;
  }
  json out = {{"rows", summary.rows}, {"bytes", summary.bytes}, {"columns", json::array()}};
  for (std::size_t i = 0; i < summary.columns.size(); ++i) {
    const bool text = schema[i].physical == PhysicalType::kByteArray && schema[i].logical == LogicalKind::kString;
    out["columns"].push_back({{"min", value_json(summary.columns[i].min, text)},
                              {"max", value_json(summary.columns[i].max, text)},
                              {"null_count", summary.columns[i].null_count}});
  }
  std::cout << out.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string command = argc > 1 ? argv[1] : "";
  if (command == "dump" && argc == 3) return dump(argv[2]);
  if (command == "write" && argc == 4) return write(argv[2], argv[3]);
  std::cerr << "usage: parquet_tool dump FILE | parquet_tool write SPEC.json OUT.parquet\n";
  return 2;
}
