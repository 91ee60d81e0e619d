#pragma once
// The columns of the decisions table (the Delta sink's data files): one row per scored
// transaction, flat, in this order:
//   end_to_end_id STRING, event_time TIMESTAMP(MICROS, UTC), amount DECIMAL(18,2) (INT64
//   centavos), payer_account, payer_ispb, payer_document, payee_key, payee_key_type,
//   payee_account, payee_ispb, payee_document, initiation, channel, device_id, ip,
//   description (STRING, null when absent), label INT32 (1 fraud, 0 legitimate, null
//   unknown), one DOUBLE per feature (named as in the config with '.' -> '_', e.g.
//   payer_count_5m), score DOUBLE, decision STRING (allow/review/block), reasons JSON (the
//   reasons array of the scored JSON record), model_version STRING, late BOOLEAN.
// The table is partitioned by event_date (DATE: the local date in context.time_zone), which
// as in every Delta table lives in the directory names and the log, not in the files.
//
// Threading: a DecisionRowWriter is used by one sink's thread.
#include <set>
#include <string>
#include <vector>

#include "delta/delta_schema.h"
#include "features/feature_spec.h"
#include "parquet/parquet_types.h"
#include "parquet/parquet_writer.h"
#include "sinks/record_encoder.h"
#include "sinks/scored_record.h"

namespace pixguard {

inline constexpr const char* kEventDateColumn = "event_date";

// "payer.count_5m" -> "payer_count_5m": column names every engine takes without quoting.
std::string feature_column_name(const std::string& feature);

// The Parquet columns of the data files, and the Delta schema of the table (the same
// columns plus event_date).
std::vector<parquet::ColumnSchema> decision_columns(const std::vector<FeatureSpec>& features);
std::vector<delta::SchemaField> decision_table_fields(const std::vector<FeatureSpec>& features);
// The columns holding personal data (as the privacy policy shows it): left out of the
// log's min/max, and what an erasure matches on.
std::set<std::string> decision_personal_columns();

// Adds one record as a row (one value per column of decision_columns, in order).
class DecisionRowWriter {
 public:
  explicit DecisionRowWriter(const RecordEncoder* encoder) : encoder_(encoder) {}
  Status add(const ScoredRecord& r, std::size_t feature_count, parquet::ParquetWriter* out);

 private:
  const RecordEncoder* encoder_;
  std::string reasons_;  // reused
};

}  // namespace pixguard
