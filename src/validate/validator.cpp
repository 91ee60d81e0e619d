#include "validate/validator.h"

#include <limits>

#include "core/money.h"
#include "validate/pix_rules.h"

namespace pixguard {
namespace {

bool is_optional(Field f) {
  return f == Field::kChannel || f == Field::kDeviceId || f == Field::kIp || f == Field::kDescription ||
         f == Field::kLabel;
}

std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// Reads an identifier-like field: text or a JSON number (foreign data sets use numeric ids).
bool read_text(const FieldValue& v, bool is_required, Field f, std::string_view* out, Rejection* why) {
  switch (v.kind) {
    case ValueKind::kAbsent:
    case ValueKind::kNull:
      if (is_required) {
        *why = Rejection::of(f, "missing", "required field is absent or null");
        return false;
      }
      *out = {};
      return true;
    case ValueKind::kString:
    case ValueKind::kNumber:
      if (v.text.empty() && is_required) {
        *why = Rejection::of(f, "empty", "required field is empty");
        return false;
      }
      *out = v.text;
      return true;
    case ValueKind::kBool:
    case ValueKind::kOther:
      break;
  }
  *why = Rejection::of(f, "wrong_type", "expected a string");
  return false;
}

Rejection document_rejection(Field f, std::string_view doc) {
  if (doc.size() == 11) return Rejection::of(f, "invalid_cpf", "CPF check digits or format");
  if (doc.size() == 14) return Rejection::of(f, "invalid_cnpj", "CNPJ check digits or format");
  return Rejection::of(f, "invalid_document_length", "a document has 11 (CPF) or 14 (CNPJ) characters");
}

}  // namespace

bool has_pix_rule(Field f) {
  switch (f) {
    case Field::kEndToEndId:
    case Field::kPayerIspb:
    case Field::kPayeeIspb:
    case Field::kPayerDocument:
    case Field::kPayeeDocument:
    case Field::kPayeeKeyType:
    case Field::kPayeeKey:
    case Field::kInitiation:
    case Field::kDescription:
      return true;
    default:
      return false;
  }
}

Validator::Validator(ValidationOptions options) : options_(std::move(options)) {
  for (std::size_t i = 0; i < kFieldCount; ++i) {
    const auto f = static_cast<Field>(i);
    if (!options_.mapping.mapped(f)) options_.pix_rules.reset(i);
    if (options_.mapping.mapped(f) && !is_optional(f)) required_.set(i);
  }
  // Features need a time, an amount and a payer, whatever the source.
  required_.set(static_cast<std::size_t>(Field::kEventTime));
  required_.set(static_cast<std::size_t>(Field::kAmount));
  required_.set(static_cast<std::size_t>(Field::kPayerAccount));
}

bool Validator::validate(const FieldValues& in, int64_t max_event_time_us, Transaction* tx, Rejection* why) const {
  Rejection first;
  const bool ok = validate_fields(in, tx, &first);
  if ((ok || !precedes_time_window(first)) && !within_time_window(tx->event_time_us, max_event_time_us, why)) {
    return false;
  }
  if (!ok) *why = first;
  return ok;
}

bool Validator::within_time_window(int64_t event_time_us, int64_t max_event_time_us, Rejection* why) const {
  if (max_event_time_us == std::numeric_limits<int64_t>::min()) return true;
  if (event_time_us > max_event_time_us && event_time_us - max_event_time_us > options_.max_future_us) {
    *why = Rejection::of(Field::kEventTime, "too_far_in_future", "beyond input.max_future of the latest event");
    return false;
  }
  if (event_time_us < max_event_time_us && max_event_time_us - event_time_us > options_.max_past_us) {
    *why = Rejection::of(Field::kEventTime, "too_far_in_past", "beyond input.max_past behind the latest event");
    return false;
  }
  return true;
}

bool Validator::validate_fields(const FieldValues& in, Transaction* tx, Rejection* why) const {
  *tx = Transaction{};

  if (!read_text(in[Field::kEndToEndId], required(Field::kEndToEndId), Field::kEndToEndId, &tx->end_to_end_id, why))
    return false;
  if (pix(Field::kEndToEndId) && !is_valid_end_to_end_id(tx->end_to_end_id)) {
    *why = Rejection::of(Field::kEndToEndId, "invalid_end_to_end_id",
                         "expected E + 8-digit ISPB + yyyyMMddHHmm + 11 letters or digits");
    return false;
  }

  // Event time.
  {
    const FieldValue& v = in[Field::kEventTime];
    if (v.kind == ValueKind::kAbsent || v.kind == ValueKind::kNull) {
      *why = Rejection::of(Field::kEventTime, "missing", "required field is absent or null");
      return false;
    }
    if (v.kind != ValueKind::kString && v.kind != ValueKind::kNumber) {
      *why = Rejection::of(Field::kEventTime, "wrong_type", "expected a timestamp string or epoch number");
      return false;
    }
    const TimestampError e = parse_timestamp(v.text, options_.time_format, options_.zone, &tx->event_time_us);
    if (e != TimestampError::kOk) {
      *why = Rejection::of(Field::kEventTime, "invalid_timestamp", timestamp_error_name(e));
      return false;
    }
  }

  // Amount: exact centavos, > 0.
  {
    const FieldValue& v = in[Field::kAmount];
    if (v.kind == ValueKind::kAbsent || v.kind == ValueKind::kNull) {
      *why = Rejection::of(Field::kAmount, "missing", "required field is absent or null");
      return false;
    }
    if (v.kind != ValueKind::kString && v.kind != ValueKind::kNumber) {
      *why = Rejection::of(Field::kAmount, "wrong_type", "expected a decimal number or string");
      return false;
    }
    tx->amount_rounded = false;
    const AmountError parsed = options_.round_amounts ? parse_amount_cents_rounded(v.text, &tx->amount_cents, &tx->amount_rounded)
                                                      : parse_amount_cents(v.text, &tx->amount_cents);
    switch (parsed) {
      case AmountError::kOk:
        break;
      case AmountError::kTooManyDecimals:
        *why = Rejection::of(Field::kAmount, "too_many_decimals", "at most 2 decimal places");
        return false;
      case AmountError::kOverflow:
        *why = Rejection::of(Field::kAmount, "amount_overflow", "does not fit int64 centavos");
        return false;
      case AmountError::kEmpty:
      case AmountError::kSyntax:
        *why = Rejection::of(Field::kAmount, "invalid_amount", "not a decimal number");
        return false;
    }
    if (tx->amount_cents < 0 || (tx->amount_cents == 0 && !options_.accept_zero_amount)) {
      *why = Rejection::of(Field::kAmount, "not_positive",
                           options_.accept_zero_amount ? "amount must not be negative" : "amount must be greater than zero");
      return false;
    }
  }

  // Parties.
  struct PartyFields {
    Field account, ispb, document;
    Party* party;
  };
  const PartyFields parties[] = {
      {Field::kPayerAccount, Field::kPayerIspb, Field::kPayerDocument, &tx->payer},
      {Field::kPayeeAccount, Field::kPayeeIspb, Field::kPayeeDocument, &tx->payee},
  };
  for (const PartyFields& p : parties) {
    if (!read_text(in[p.account], required(p.account), p.account, &p.party->account, why)) return false;
    if (!read_text(in[p.ispb], required(p.ispb), p.ispb, &p.party->ispb, why)) return false;
    if (pix(p.ispb) && !p.party->ispb.empty() && !is_valid_ispb(p.party->ispb)) {
      *why = Rejection::of(p.ispb, "invalid_ispb", "expected 8 digits");
      return false;
    }
    if (!read_text(in[p.document], required(p.document), p.document, &p.party->document, why)) return false;
    if (pix(p.document) && !p.party->document.empty() && !is_valid_document(p.party->document)) {
      *why = document_rejection(p.document, p.party->document);
      return false;
    }
  }

  // Payee key.
  std::string_view key_type;
  if (!read_text(in[Field::kPayeeKeyType], required(Field::kPayeeKeyType), Field::kPayeeKeyType, &key_type, why))
    return false;
  if (!key_type.empty() && !parse_key_type(key_type, &tx->payee_key_type) && pix(Field::kPayeeKeyType)) {
    *why = Rejection::of(Field::kPayeeKeyType, "unknown_key_type", "expected CPF, CNPJ, PHONE, EMAIL or EVP");
    return false;
  }
  if (!read_text(in[Field::kPayeeKey], required(Field::kPayeeKey), Field::kPayeeKey, &tx->payee_key, why))
    return false;
  if (pix(Field::kPayeeKey) && !tx->payee_key.empty() && tx->payee_key_type != KeyType::kNone &&
      !is_valid_pix_key(tx->payee_key_type, tx->payee_key)) {
    *why = Rejection::of(Field::kPayeeKey, "invalid_pix_key", "key does not match its key_type's format");
    return false;
  }

  std::string_view initiation;
  if (!read_text(in[Field::kInitiation], required(Field::kInitiation), Field::kInitiation, &initiation, why))
    return false;
  if (!initiation.empty() && !parse_initiation(initiation, &tx->initiation) && pix(Field::kInitiation)) {
    *why = Rejection::of(Field::kInitiation, "unknown_initiation", "expected MANU, DICT, QRES, QRDN, INIC, APDN or AUTO");
    return false;
  }

  if (!read_text(in[Field::kChannel], false, Field::kChannel, &tx->channel, why)) return false;
  if (!read_text(in[Field::kDeviceId], false, Field::kDeviceId, &tx->device_id, why)) return false;
  if (!read_text(in[Field::kIp], false, Field::kIp, &tx->ip, why)) return false;
  if (!read_text(in[Field::kDescription], false, Field::kDescription, &tx->description, why)) return false;
  if (pix(Field::kDescription) && utf8_length(tx->description) > 140) {
    *why = Rejection::of(Field::kDescription, "too_long", "at most 140 characters");
    return false;
  }

  // Label: 0/1, true/false, "0"/"1"; absent or null = unknown.
  const FieldValue& label = in[Field::kLabel];
  if (label.kind != ValueKind::kAbsent && label.kind != ValueKind::kNull) {
    const std::string_view t = label.text;
    if (label.kind != ValueKind::kOther && (t == "1" || t == "true" || t == "1.0")) {
      tx->label = 1;
    } else if (label.kind != ValueKind::kOther && (t == "0" || t == "false" || t == "0.0")) {
      tx->label = 0;
    } else {
      *why = Rejection::of(Field::kLabel, "invalid_label", "expected 0, 1, true or false");
      return false;
    }
  }
  return true;
}

}  // namespace pixguard
