#include "sinks/record_encoder.h"

#include <simdjson.h>

#include <utility>

#include "core/hash.h"
#include "core/json_writer.h"
#include "core/limits.h"
#include "core/money.h"
#include "core/timestamp.h"
#include "privacy/message_cipher.h"

namespace pixguard {
namespace {

void optional_string(JsonWriter& w, std::string_view key, std::string_view value) {
  w.key(key);
  if (value.empty()) {
    w.raw("null");
  } else {
    w.string(value);
  }
}

void time_and_amount(JsonWriter& w, const Transaction& tx) {
  char buf[40];
  w.key("event_time");
  w.ch('"');
  w.raw(std::string_view(buf, static_cast<std::size_t>(format_timestamp_utc(tx.event_time_us, buf))));
  w.ch('"');
  w.raw(",");
  w.key("amount");
  w.ch('"');
  w.raw(std::string_view(buf, static_cast<std::size_t>(format_amount(tx.amount_cents, buf))));
  w.ch('"');
}

void base64(std::string_view in, JsonWriter& w) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  w.ch('"');
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8) |
                       static_cast<uint8_t>(in[i + 2]);
    const char quad[4] = {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], kAlphabet[v & 63]};
    w.raw(std::string_view(quad, 4));
  }
  if (const std::size_t rest = in.size() - i; rest > 0) {
    uint32_t v = static_cast<uint32_t>(static_cast<uint8_t>(in[i]) << 16);
    if (rest == 2) v |= static_cast<uint32_t>(static_cast<uint8_t>(in[i + 1]) << 8);
    const char quad[4] = {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], rest == 2 ? kAlphabet[(v >> 6) & 63] : '=',
                          '='};
    w.raw(std::string_view(quad, 4));
  }
  w.ch('"');
}

}  // namespace

RecordEncoder::RecordEncoder(const std::vector<FeatureSpec>& features, const std::vector<RuleSpec>& rules,
                             const DecisionOptions& thresholds, const Privacy* privacy)
    : rules_(rules),
      review_threshold_(thresholds.review_threshold),
      block_threshold_(thresholds.block_threshold),
      privacy_(privacy) {
  // Keys are fixed per run: encode them once ("name": with its separator).
  for (const FeatureSpec& f : features) {
    feature_names_.push_back(f.name);
    std::string key = feature_keys_.empty() ? "" : ",";
    JsonWriter(&key).key(f.name);
    feature_keys_.push_back(std::move(key));
  }
}

void RecordEncoder::reasons_array(const ScoredRecord& r, std::string* out) const {
  JsonWriter w(out);
  reasons(r, w, /*with_key=*/false);
}

void RecordEncoder::reasons(const ScoredRecord& r, JsonWriter& w, bool with_key) const {
  if (with_key) w.key("reasons");
  w.ch('[');
  bool first = true;
  if (r.decision.by_threshold) {
    const bool block = r.decision.score >= block_threshold_;
    w.raw("{\"threshold\":");
    w.string(block ? "block" : "review");
    w.raw(",\"reason\":");
    w.string(block ? "model score at or above decision.block_threshold"
                   : "model score at or above decision.review_threshold");
    w.raw(",\"limit\":");
    w.number(block ? block_threshold_ : review_threshold_);
    w.ch('}');
    first = false;
  }
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    if ((r.decision.fired >> i & 1) == 0) continue;
    if (!first) w.ch(',');
    first = false;
    w.raw("{\"rule\":");
    w.string(rules_[i].name);
    w.raw(",\"action\":");
    w.string(outcome_name(rules_[i].action));
    w.raw(",\"reason\":");
    w.string(rules_[i].reason);
    w.ch('}');
  }
  if (r.contributions != nullptr) {
    // The features that pushed the score up the most (margin contributions, TreeSHAP).
    std::size_t top[kTopContributions];
    std::size_t n = 0;
    for (std::size_t f = 0; f < feature_names_.size(); ++f) {
      const double c = r.contributions[f];
      if (!(c > 0)) continue;
      if (n < kTopContributions) {
        top[n++] = f;
      } else if (c > r.contributions[top[n - 1]]) {
        top[n - 1] = f;
      } else {
        continue;
      }
      for (std::size_t j = n - 1; j > 0 && r.contributions[top[j]] > r.contributions[top[j - 1]]; --j) {
        std::swap(top[j], top[j - 1]);
      }
    }
    for (std::size_t k = 0; k < n; ++k) {
      if (!first) w.ch(',');
      first = false;
      w.raw("{\"feature\":");
      w.string(feature_names_[top[k]]);
      w.raw(",\"value\":");
      w.number(r.features[top[k]]);
      w.raw(",\"contribution\":");
      w.number(r.contributions[top[k]]);
      w.ch('}');
    }
  }
  w.ch(']');
}

void RecordEncoder::scored(const ScoredRecord& r, std::string_view model_version, std::string* out) const {
  const Transaction& tx = *r.tx;
  JsonWriter w(out);
  w.ch('{');
  optional_string(w, "end_to_end_id", tx.end_to_end_id);
  w.ch(',');
  time_and_amount(w, tx);
  w.raw(",\"payer\":{");
  optional_string(w, "account", tx.payer.account);
  w.ch(',');
  optional_string(w, "ispb", tx.payer.ispb);
  w.ch(',');
  optional_string(w, "document", tx.payer.document);
  w.raw("},\"payee\":{");
  optional_string(w, "key", tx.payee_key);
  w.ch(',');
  optional_string(w, "key_type", key_type_name(tx.payee_key_type));
  w.ch(',');
  optional_string(w, "account", tx.payee.account);
  w.ch(',');
  optional_string(w, "ispb", tx.payee.ispb);
  w.ch(',');
  optional_string(w, "document", tx.payee.document);
  w.raw("},");
  optional_string(w, "initiation", initiation_name(tx.initiation));
  w.ch(',');
  optional_string(w, "channel", tx.channel);
  w.ch(',');
  optional_string(w, "device_id", tx.device_id);
  w.ch(',');
  optional_string(w, "ip", tx.ip);
  w.ch(',');
  optional_string(w, "description", tx.description);
  w.raw(",\"label\":");
  if (r.enrichment->label < 0) {
    w.raw("null");
  } else {
    w.integer(r.enrichment->label);
  }
  w.ch(',');
  features(r, w);
  w.raw(",\"score\":");
  w.number(r.decision.score);
  w.raw(",\"decision\":");
  w.string(outcome_name(r.decision.outcome));
  w.ch(',');
  reasons(r, w);
  w.raw(",\"model_version\":");
  w.string(model_version);
  w.raw(",\"late\":");
  w.raw(r.late ? "true" : "false");
  w.raw(r.decided_by_api ? ",\"decided_by\":\"api\"}" : ",\"decided_by\":\"stream\"}");
}

void RecordEncoder::features(const ScoredRecord& r, JsonWriter& w) const {
  w.raw("\"features\":{");
  for (std::size_t i = 0; i < feature_keys_.size(); ++i) {
    w.raw(feature_keys_[i]);
    w.number(r.features[i]);
  }
  w.ch('}');
}

void RecordEncoder::answer(const ScoredRecord& r, std::string_view model_version, std::string* out,
                           std::size_t* features_at) const {
  const std::size_t start = out->size();
  JsonWriter w(out);
  w.ch('{');
  optional_string(w, "end_to_end_id", r.tx->end_to_end_id);
  w.raw(",\"decision\":");
  w.string(outcome_name(r.decision.outcome));
  w.raw(",\"score\":");
  w.number(r.decision.score);
  w.ch(',');
  reasons(r, w);
  w.raw(",\"model_version\":");
  w.string(model_version);
  w.raw(",\"decided_by\":\"api\"");
  *features_at = w.size() - start;
  w.ch(',');
  features(r, w);
  w.ch('}');
}

void RecordEncoder::alert(const ScoredRecord& r, std::string_view model_version, std::string* out) const {
  const Transaction& tx = *r.tx;
  JsonWriter w(out);
  w.raw("{\"decision\":");
  w.string(outcome_name(r.decision.outcome));
  w.ch(',');
  optional_string(w, "end_to_end_id", tx.end_to_end_id);
  w.ch(',');
  time_and_amount(w, tx);
  w.raw(",\"payer\":{");
  optional_string(w, "account", tx.payer.account);
  w.ch(',');
  optional_string(w, "ispb", tx.payer.ispb);
  w.raw("},\"payee\":{");
  optional_string(w, "key", tx.payee_key);
  w.ch(',');
  optional_string(w, "account", tx.payee.account);
  w.ch(',');
  optional_string(w, "ispb", tx.payee.ispb);
  w.raw("},\"score\":");
  w.number(r.decision.score);
  w.ch(',');
  reasons(r, w);
  w.raw(",\"model_version\":");
  w.string(model_version);
  w.ch('}');
}

Status RecordEncoder::dead_letter(const DeadLetter& d, std::string* out) const {
  JsonWriter w(out);
  w.raw("{\"source\":");
  w.string(d.source);
  w.raw(",\"position\":");
  w.integer(d.position);
  w.ch(',');
  optional_string(w, "field", d.field);
  w.raw(",\"rule\":");
  w.string(d.rule);
  w.ch(',');
  optional_string(w, "detail", d.detail);
  const uint64_t size = d.raw_size > d.raw.size() ? d.raw_size : d.raw.size();
  const bool truncated = size > kDeadLetterRawBytes;
  std::string_view raw = d.raw;
  bool text = false;
  if (truncated) {
    raw = raw.substr(0, kDeadLetterRawBytes);
    // Text when the prefix is UTF-8 once a character cut at its end is dropped.
    for (std::size_t drop = 0; drop < 4 && drop < raw.size() && !text; ++drop) {
      if (simdjson::validate_utf8(raw.data(), raw.size() - drop)) {
        text = true;
        raw = raw.substr(0, raw.size() - drop);
      }
    }
  } else {
    text = simdjson::validate_utf8(raw.data(), raw.size());
  }
  const DeadLetterBytes keep = privacy_ != nullptr ? privacy_->dead_letters() : DeadLetterBytes::kClear;
  if (keep == DeadLetterBytes::kRedact) {
    w.raw(",\"raw_redacted\":true");
  } else if (keep == DeadLetterBytes::kEncrypt) {
    std::string sealed;
    if (Status s = privacy_->cipher()->seal(raw, &sealed); !s.ok()) return s;
    w.raw(",\"raw_encrypted\":");
    w.string(sealed);
  } else if (text) {
    w.raw(",\"raw\":");
    w.string(raw);
  } else {
    w.raw(",\"raw_base64\":");
    base64(raw, w);
  }
  // The length whenever the bytes are not all there as they came.
  if (keep != DeadLetterBytes::kClear || truncated) {
    w.raw(",\"raw_bytes\":");
    w.integer(static_cast<int64_t>(size));
  }
  if (truncated) {
    const uint64_t hash = d.raw_size > d.raw.size() ? d.raw_hash : content_hash(d.raw);
    char hex[17];
    static constexpr char kDigits[] = "0123456789abcdef";
    for (int i = 0; i < 16; ++i) hex[i] = kDigits[(hash >> (60 - 4 * i)) & 0xf];
    hex[16] = '\0';
    w.raw(",\"raw_truncated\":true,\"raw_hash\":\"");
    w.raw(std::string_view(hex, 16));
    w.ch('"');
  }
  w.ch('}');
  return Status::Ok();
}

}  // namespace pixguard
