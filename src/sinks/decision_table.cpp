#include "sinks/decision_table.h"

namespace pixguard {
namespace {

using parquet::ColumnSchema;
using parquet::LogicalKind;
using parquet::PhysicalType;

ColumnSchema text(std::string name, bool dictionary = false) {
  ColumnSchema c;
  c.name = std::move(name);
  c.physical = PhysicalType::kByteArray;
  c.logical = LogicalKind::kString;
  c.dictionary = dictionary;
  return c;
}

ColumnSchema personal(std::string name) {
  ColumnSchema c = text(std::move(name));
  c.personal = true;
  return c;
}

ColumnSchema of(std::string name, PhysicalType physical, LogicalKind logical = LogicalKind::kNone) {
  ColumnSchema c;
  c.name = std::move(name);
  c.physical = physical;
  c.logical = logical;
  return c;
}

// Absent text fields are null, not empty strings.
void add_text(std::string_view v, parquet::ParquetWriter* out) {
  if (v.empty()) {
    out->add_null();
  } else {
    out->add_string(v);
  }
}

}  // namespace

std::string feature_column_name(const std::string& feature) {
  std::string name = feature;
  for (char& c : name) {
    if (c == '.') c = '_';
  }
  return name;
}

std::vector<ColumnSchema> decision_columns(const std::vector<FeatureSpec>& features) {
  std::vector<ColumnSchema> c;
  c.push_back(text("end_to_end_id"));
  c.push_back(of("event_time", PhysicalType::kInt64, LogicalKind::kTimestampMicros));
  ColumnSchema amount = of("amount", PhysicalType::kInt64, LogicalKind::kDecimal);
  amount.precision = 18;
  amount.scale = 2;
  c.push_back(amount);
  c.push_back(personal("payer_account"));
  c.push_back(text("payer_ispb", true));
  c.push_back(personal("payer_document"));
  c.push_back(personal("payee_key"));
  c.push_back(text("payee_key_type", true));
  c.push_back(personal("payee_account"));
  c.push_back(text("payee_ispb", true));
  c.push_back(personal("payee_document"));
  c.push_back(text("initiation", true));
  c.push_back(text("channel", true));
  c.push_back(personal("device_id"));
  c.push_back(personal("ip"));
  c.push_back(personal("description"));
  c.push_back(of("label", PhysicalType::kInt32));
  for (const FeatureSpec& f : features) c.push_back(of(feature_column_name(f.name), PhysicalType::kDouble));
  c.push_back(of("score", PhysicalType::kDouble));
  c.push_back(text("decision", true));
  ColumnSchema reasons = of("reasons", PhysicalType::kByteArray, LogicalKind::kJson);
  c.push_back(reasons);
  c.push_back(text("model_version", true));
  c.push_back(of("late", PhysicalType::kBoolean));
  c.push_back(text("decided_by", true));  // "stream", or "api": answered to a pre-authorization request
  return c;
}

std::set<std::string> decision_personal_columns() {
  std::set<std::string> names;
  for (const ColumnSchema& c : decision_columns({})) {
    if (c.personal) names.insert(c.name);
  }
  return names;
}

std::vector<delta::SchemaField> decision_table_fields(const std::vector<FeatureSpec>& features) {
  std::vector<delta::SchemaField> fields;
  for (const ColumnSchema& c : decision_columns(features)) {
    std::string type;
    switch (c.physical) {
      case PhysicalType::kBoolean: type = "boolean"; break;
      case PhysicalType::kInt32: type = "integer"; break;
      case PhysicalType::kDouble: type = "double"; break;
      case PhysicalType::kInt64:
        type = c.logical == LogicalKind::kTimestampMicros ? "timestamp"
               : c.logical == LogicalKind::kDecimal       ? "decimal(18,2)"
                                                          : "long";
        break;
      default: type = "string"; break;
    }
    fields.push_back({c.name, type, c.nullable});
  }
  fields.push_back({kEventDateColumn, "date", true});
  return fields;
}

Status DecisionRowWriter::add(const ScoredRecord& r, std::size_t feature_count, parquet::ParquetWriter* out) {
  const Transaction& tx = *r.tx;
  add_text(tx.end_to_end_id, out);
  out->add_int64(tx.event_time_us);
  out->add_int64(tx.amount_cents);
  add_text(tx.payer.account, out);
  add_text(tx.payer.ispb, out);
  add_text(tx.payer.document, out);
  add_text(tx.payee_key, out);
  add_text(key_type_name(tx.payee_key_type), out);
  add_text(tx.payee.account, out);
  add_text(tx.payee.ispb, out);
  add_text(tx.payee.document, out);
  add_text(initiation_name(tx.initiation), out);
  add_text(tx.channel, out);
  add_text(tx.device_id, out);
  add_text(tx.ip, out);
  add_text(tx.description, out);
  if (r.enrichment->label < 0) {
    out->add_null();
  } else {
    out->add_int32(r.enrichment->label);
  }
  for (std::size_t i = 0; i < feature_count; ++i) out->add_double(r.features[i]);
  out->add_double(r.decision.score);
  out->add_string(outcome_name(r.decision.outcome));
  reasons_.clear();
  encoder_->reasons_array(r, &reasons_);
  out->add_string(reasons_);
  add_text(r.model_version, out);
  out->add_bool(r.late);
  out->add_string(r.decided_by_api ? "api" : "stream");
  return out->end_row();
}

}  // namespace pixguard
