// delta_bench: how fast our Parquet writer writes the decisions table's data files
// (sinks/decision_table.h, the config's features), against DuckDB writing the same rows with
// the same codec in the same run.
//
// Rows are real: generated transactions (the config's generator) through the real pipeline
// (the config's model, rules and features), each scored record added by DecisionRowWriter as
// the Delta sink adds it, into an uncompressed staging file. That file is read back into
// memory; then, per codec, the timed part writes every row with ParquetWriter (add_* per
// value, end_row per row, finish: footer and fsync). DuckDB (bench/duckdb_parquet_write.mjs,
// tests/js's @duckdb/node-api) loads our file of that codec into an in-memory table (not
// timed) and the timed part is `COPY t TO 'x.parquet' (FORMAT parquet, COMPRESSION c)`,
// with `SET threads=1` and with DuckDB's default thread count. Best of --repeat runs each.
//
//   delta_bench [--config PATH] [--rows N] [--repeat R] [--dir DIR] [--no-duckdb]
// Run from the repository root (the config's model path is relative to it). Prints a table.
#include <stdlib.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "parquet/parquet_reader.h"
#include "parquet/parquet_writer.h"
#include "runtime/pipeline.h"
#include "score/gbdt_model.h"
#include "score/model_watcher.h"
#include "sinks/decision_table.h"
#include "sinks/record_encoder.h"
#include "sources/generator.h"

#ifndef PIXGUARD_SOURCE_DIR
#define PIXGUARD_SOURCE_DIR "."
#endif

namespace pixguard {
namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "delta_bench: %s\n", what.c_str());
  std::exit(1);
}

// Adds each scored record to one Parquet file, as the Delta sink does (without its
// partitioning and commits).
class StagingSink final : public Sink {
 public:
  StagingSink(const Config& config, parquet::ParquetWriter* out)
      : encoder_(config.features, config.decision.rules, config.decision), rows_(&encoder_), out_(out),
        features_(config.features.size()) {}
  const std::string& name() const override { return name_; }
  Status begin_epoch(uint64_t) override { return Status::Ok(); }
  Status write(const SinkRecord& r) override {
    return r.scored == nullptr ? Status::Ok() : rows_.add(*r.scored, features_, out_);
  }
  Status prepare(uint64_t) override { return Status::Ok(); }
  Status commit(uint64_t) override { return Status::Ok(); }
  Status abort(uint64_t) override { return Status::Ok(); }
  uint64_t last_committed_epoch() const override { return 0; }
  Status recover(uint64_t) override { return Status::Ok(); }

 private:
  std::string name_ = "staging";
  RecordEncoder encoder_;
  DecisionRowWriter rows_;
  parquet::ParquetWriter* out_;
  std::size_t features_;
};

// The rows in memory, column by column: slot[row] indexes the column's values, -1 for null.
struct Column {
  parquet::PhysicalType physical;
  parquet::ColumnData data;
  std::vector<int32_t> slot;
};

struct Rows {
  std::vector<parquet::ColumnSchema> schema;
  std::vector<Column> columns;
  int64_t count = 0;
  uint64_t string_bytes = 0;
};

Rows read_rows(const std::string& path, std::vector<parquet::ColumnSchema> schema) {
  std::unique_ptr<parquet::ParquetReader> reader;
  if (Status s = parquet::ParquetReader::open(path, &reader); !s.ok()) die(s.message());
  Rows rows;
  rows.schema = std::move(schema);
  rows.count = reader->num_rows();
  for (const parquet::ColumnSchema& c : rows.schema) {
    const int at = reader->find_column(c.name);
    if (at < 0) die("staging file lacks " + c.name);
    Column col;
    col.physical = c.physical;
    if (Status s = reader->read_column(at, &col.data); !s.ok()) die(s.message());
    const int max_def = reader->columns()[static_cast<std::size_t>(at)].max_definition_level;
    col.slot.resize(static_cast<std::size_t>(rows.count));
    int32_t next = 0;
    for (std::size_t r = 0; r < col.slot.size(); ++r) {
      col.slot[r] = max_def == 0 || col.data.definition_levels[r] == max_def ? next++ : -1;
    }
    for (const std::string& s : col.data.strings) rows.string_bytes += s.size();
    rows.columns.push_back(std::move(col));
  }
  return rows;
}

struct Written {
  double seconds = 0;
  uint64_t bytes = 0;
};

Written write_ours(const Rows& rows, parquet::Codec codec, const std::string& path) {
  parquet::WriterOptions o;
  o.codec = codec;
  std::unique_ptr<parquet::ParquetWriter> w;
  const auto t0 = Clock::now();
  if (Status s = parquet::ParquetWriter::create(path, rows.schema, o, &w); !s.ok()) die(s.message());
  for (int64_t r = 0; r < rows.count; ++r) {
    for (const Column& c : rows.columns) {
      const int32_t s = c.slot[static_cast<std::size_t>(r)];
      if (s < 0) {
        w->add_null();
        continue;
      }
      const auto v = static_cast<std::size_t>(s);
      switch (c.physical) {
        case parquet::PhysicalType::kBoolean: w->add_bool(c.data.booleans[v] != 0); break;
        case parquet::PhysicalType::kInt32: w->add_int32(c.data.int32s[v]); break;
        case parquet::PhysicalType::kInt64: w->add_int64(c.data.int64s[v]); break;
        case parquet::PhysicalType::kDouble: w->add_double(c.data.doubles[v]); break;
        case parquet::PhysicalType::kFloat: w->add_float(c.data.floats[v]); break;
        default: w->add_string(c.data.strings[v]); break;
      }
    }
    if (Status s = w->end_row(); !s.ok()) die(s.message());
  }
  parquet::FileSummary summary;
  if (Status s = w->finish(&summary); !s.ok()) die(s.message());
  Written out;
  out.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  out.bytes = fs::file_size(path);
  return out;
}

struct DuckRun {
  std::string threads;
  double seconds = 0;
  uint64_t bytes = 0;
};

// Runs the node script and picks the runs out of its one JSON line (no JSON library needed
// for a line we wrote ourselves).
std::vector<DuckRun> write_duckdb(const std::string& input, const std::string& dir, const char* codec, int repeat) {
  const std::string script = std::string(PIXGUARD_SOURCE_DIR) + "/bench/duckdb_parquet_write.mjs";
  const std::string cmd = "node '" + script + "' '" + input + "' '" + dir + "' " + codec + " " + std::to_string(repeat);
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) die("cannot run node");
  std::string line;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p) != nullptr) line += buf;
  if (::pclose(p) != 0) die("DuckDB failed: " + cmd);
  std::vector<DuckRun> runs;
  for (std::size_t at = line.find("{\"threads\":\""); at != std::string::npos; at = line.find("{\"threads\":\"", at + 1)) {
    DuckRun r;
    const std::size_t t0 = at + 12, t1 = line.find('"', t0);
    r.threads = line.substr(t0, t1 - t0);
    r.seconds = std::stod(line.substr(line.find("\"seconds\":", t1) + 10));
    r.bytes = std::stoull(line.substr(line.find("\"bytes\":", t1) + 8));
    runs.push_back(r);
  }
  if (runs.empty()) die("no DuckDB figures in: " + line);
  return runs;
}

}  // namespace
}  // namespace pixguard

int main(int argc, char** argv) {
  using namespace pixguard;
  std::string config_path = "config/streaming_config.yaml";
  uint64_t count = 200'000;
  int repeat = 3;
  std::string dir;
  bool duckdb = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (a == "--rows" && i + 1 < argc) {
      count = std::stoull(argv[++i]);
    } else if (a == "--repeat" && i + 1 < argc) {
      repeat = std::max(1, std::stoi(argv[++i]));
    } else if (a == "--dir" && i + 1 < argc) {
      dir = argv[++i];
    } else if (a == "--no-duckdb") {
      duckdb = false;
    } else {
      std::fprintf(stderr, "usage: delta_bench [--config PATH] [--rows N] [--repeat R] [--dir DIR] [--no-duckdb]\n");
      return 2;
    }
  }
  Config config;
  if (Status s = load_config(config_path, &config); !s.ok()) die(s.message());
  const bool own_dir = dir.empty();
  if (own_dir) {
    std::string tmpl = (fs::temp_directory_path() / "delta_bench.XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) die("mkdtemp failed");
    dir = tmpl;
  }
  fs::create_directories(dir);

  // 1. Realistic rows: the generator through the pipeline into a staging file.
  const std::vector<parquet::ColumnSchema> schema = decision_columns(config.features);
  {
    std::shared_ptr<const Model> model;
    if (!config.model_path.empty()) {
      std::shared_ptr<const GbdtModel> gbdt;
      if (Status s = GbdtModel::load(ModelWatcher::resolve(config.model_path), &gbdt); !s.ok()) die(s.message());
      model = std::move(gbdt);
    }
    std::unique_ptr<Pipeline> p;
    if (Status s = Pipeline::create(config, make_json_decoder(config.validation.mapping), model, nullptr, &p); !s.ok()) {
      die(s.message());
    }
    parquet::WriterOptions o;
    o.codec = parquet::Codec::kUncompressed;
    std::unique_ptr<parquet::ParquetWriter> staging;
    if (Status s = parquet::ParquetWriter::create(dir + "/staging.parquet", schema, o, &staging); !s.ok()) die(s.message());
    StagingSink sink(config, staging.get());
    p->add_sink(Output::kScored, &sink);
    GeneratorOptions g = config.source.generator;
    g.count = count;
    Generator gen(g);
    RecordBatch batch;
    std::string m;
    bool more = true;
    while (more) {
      batch.clear();
      while (batch.size() < config.batch_size && (more = gen.next(&m))) {
        batch.add(m, 0);
        m.clear();
      }
      batch.finish();
      if (Status s = p->process(batch, "generator"); !s.ok()) die(s.message());
    }
    if (Status s = staging->finish(nullptr); !s.ok()) die(s.message());
  }
  const Rows rows = read_rows(dir + "/staging.parquet", schema);

  std::printf("delta_bench: %lld rows of the decisions table (%zu columns: %zu features), %d runs each, best kept\n",
              static_cast<long long>(rows.count), schema.size(), config.features.size(), repeat);
  std::printf("%-13s %-26s %12s %10s %12s %14s %14s\n", "codec", "writer", "rows/s", "MB/s", "file bytes",
              "rows/s ours/x", "bytes ours/x");
  struct CodecCase {
    const char* name;
    parquet::Codec codec;
  };
  const std::array<CodecCase, 3> codecs = {{{"snappy", parquet::Codec::kSnappy},
                                            {"zstd", parquet::Codec::kZstd},
                                            {"uncompressed", parquet::Codec::kUncompressed}}};
  const double n = static_cast<double>(rows.count);
  for (const CodecCase& c : codecs) {
    const std::string ours_path = dir + "/ours-" + c.name + ".parquet";
    Written best;
    best.seconds = 1e30;
    for (int i = 0; i < repeat; ++i) {
      const Written w = write_ours(rows, c.codec, ours_path);
      if (w.seconds < best.seconds) best = w;
    }
    const double ours_rate = n / best.seconds;
    std::printf("%-13s %-26s %12.0f %10.1f %12llu %14s %14s\n", c.name, "pixguard", ours_rate,
                static_cast<double>(best.bytes) / best.seconds / 1e6, static_cast<unsigned long long>(best.bytes), "",
                "");
    if (!duckdb) continue;
    for (const DuckRun& d : write_duckdb(ours_path, dir, c.name, repeat)) {
      const double rate = n / d.seconds;
      std::printf("%-13s %-26s %12.0f %10.1f %12llu %14.2f %14.2f\n", c.name, ("duckdb threads=" + d.threads).c_str(),
                  rate, static_cast<double>(d.bytes) / d.seconds / 1e6, static_cast<unsigned long long>(d.bytes),
                  ours_rate / rate, static_cast<double>(best.bytes) / static_cast<double>(d.bytes));
    }
  }
  std::fflush(stdout);
  if (own_dir) fs::remove_all(dir);
  return 0;
}
