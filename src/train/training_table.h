#pragma once
// The training/evaluation table: the CSV that `pixguard replay --output TABLE.csv` writes
// (sinks/table_file_sink.cpp), read back as a dense float matrix for XGBoost plus the
// columns the metrics need (label, event time, payer account).
//
// Columns are selected by name (the config's features for training, the model's own
// feature names for evaluation), so the column order of the file never matters and a model
// never silently reads the wrong column. An empty cell is a missing value (NaN). Values
// become float the same way the scorer turns its double features into XGBoost's floats, so
// training sees exactly what serving will see.
//
// Threading: plain data and free functions; no shared state.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time_zone.h"

namespace pixguard {

// Event-time filter [from_us, to_us): rows outside it are skipped (and counted).
struct TimeWindow {
  int64_t from_us = INT64_MIN;
  int64_t to_us = INT64_MAX;
  bool contains(int64_t t) const { return t >= from_us && t < to_us; }
};

// Parses a --from/--to bound: RFC 3339 with an offset ("2025-11-27T00:00:00-03:00"), or a
// calendar date "YYYY-MM-DD" meaning local midnight of that day in `zone`, so that
// "--to 2025-11-27" ends training at the start of that day in Sao Paulo. `flag` names the
// option in the error message.
Status parse_time_bound(std::string_view text, const TimeZone& zone, std::string_view flag, int64_t* micros);

struct TrainingTableOptions {
  std::vector<std::string> feature_names;  // columns to read, in this order
  TimeWindow window;
};

struct TrainingTable {
  std::vector<std::string> feature_names;
  std::vector<float> features;        // row-major: rows() x feature_names.size(); NaN = missing
  std::vector<float> labels;          // 0 or 1
  std::vector<int64_t> event_time_us;
  std::vector<uint32_t> payer;        // index into payer_accounts
  std::vector<std::string> payer_accounts;  // distinct accounts, in order of first appearance

  // What was read but left out, so that a report can account for every line.
  std::size_t rows_read = 0;              // data rows in the file
  std::size_t rows_outside_window = 0;
  std::size_t rows_unlabelled = 0;        // empty label cell: unusable for training or metrics
  std::size_t rows_known_compromised = 0;  // left out by drop_payers()

  std::size_t rows() const { return labels.size(); }
  std::size_t columns() const { return feature_names.size(); }
  std::size_t frauds() const;
  const float* row(std::size_t i) const { return features.data() + i * columns(); }
};

// Leaves out the rows of the payer accounts in `accounts` (counted in rows_known_compromised).
void drop_payers(const std::vector<std::string>& accounts, TrainingTable* table);
// The payer accounts with a fraud row in `table`, sorted.
std::vector<std::string> payers_with_fraud(const TrainingTable& table);

// Reads `path`. Errors name the file and line, and the column when a cell is at fault:
//   "t.csv:1: no column 'payer.count_5m' in the header (it has: ...)"
//   "t.csv:812: column 'label': expected 0, 1 or empty, got 'x'"
// I/O failures are IoError; malformed content is InvalidArgument. `out` is replaced only on
// success.
Status read_training_table(const std::string& path, const TrainingTableOptions& options, TrainingTable* out);

}  // namespace pixguard
