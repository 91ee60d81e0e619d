// JSON decoding with simdjson On-Demand: one pass over the object, reading only mapped
// fields. Unmapped values are skipped structurally; simdjson validates UTF-8 of the whole
// message in its first stage, so invalid UTF-8 anywhere is rejected.
#include <simdjson.h>

#include <bitset>
#include <string>
#include <vector>

#include "decode/decoder.h"

namespace pixguard {
namespace {

static_assert(kMessagePadding >= simdjson::SIMDJSON_PADDING);
namespace od = simdjson::ondemand;

// The mapping compiled into a tree of object levels: "payer.account" becomes entry "payer"
// of the root, whose child level holds entry "account" -> Field::kPayerAccount.
struct Level {
  struct Entry {
    std::string name;
    int field = -1;  // leaf: the Field it fills
    int child = -1;  // inner: index of the next Level
    bool plain = true;  // no quote or backslash: comparable with a raw key
  };
  std::vector<Entry> entries;

  const Entry* find(std::string_view key) const {
    for (const Entry& e : entries) {
      if (e.name == key) return &e;
    }
    return nullptr;
  }

  // Compares the key as it is in the input, without unescaping it: the common case. A key
  // written with escapes needs find() on its unescaped form (see has_escape()).
  const Entry* find_raw(od::raw_json_string key) const {
    for (const Entry& e : entries) {
      if (e.plain && key.unsafe_is_equal(e.name)) return &e;
    }
    return nullptr;
  }
};

// True when a raw key contains an escape sequence (it ends at its first unescaped quote).
bool has_escape(od::raw_json_string key) {
  for (const char* p = key.raw(); *p != '"'; ++p) {
    if (*p == '\\') return true;
  }
  return false;
}

// The JSON number grammar (RFC 8259): -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
// On-Demand hands number tokens over unchecked, and money must not be read from "01" or "12abc".
bool is_json_number(std::string_view s) {
  std::size_t i = 0;
  const auto digits = [&] {
    const std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i > start;
  };
  if (i < s.size() && s[i] == '-') ++i;
  if (i < s.size() && s[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

Rejection malformed(simdjson::error_code err) {
  if (err == simdjson::UTF8_ERROR) return Rejection::message("invalid_utf8", "the message is not valid UTF-8");
  return Rejection::message("malformed_json", simdjson::error_message(err));
}

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

class JsonDecoder final : public Decoder {
 public:
  explicit JsonDecoder(const FieldMapping& mapping) : mapping_(mapping) {
    levels_.emplace_back();
    for (std::size_t f = 0; f < kFieldCount; ++f) {
      const std::string& path = mapping.source_names[f];
      if (path.empty()) continue;
      int level = 0;
      std::size_t start = 0;
      while (true) {
        const std::size_t dot = path.find('.', start);
        const std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        Level::Entry* entry = nullptr;
        for (auto& e : levels_[static_cast<std::size_t>(level)].entries) {
          if (e.name == part) entry = &e;
        }
        if (entry == nullptr) {
          const bool plain = part.find_first_of("\"\\") == std::string::npos;
          levels_[static_cast<std::size_t>(level)].entries.push_back({part, -1, -1, plain});
          entry = &levels_[static_cast<std::size_t>(level)].entries.back();
        }
        if (dot == std::string::npos) {
          entry->field = static_cast<int>(f);
          break;
        }
        if (entry->child < 0) {
          entry->child = static_cast<int>(levels_.size());
          levels_.emplace_back();  // invalidates `entry`; re-found on the next pass
        }
        level = levels_[static_cast<std::size_t>(level)].find(part)->child;
        start = dot + 1;
      }
    }
  }

  bool decode(std::string_view message, TextArena* arena, FieldValues* out, Rejection* why) override {
    out->clear();
    seen_.reset();
    // A UTF-8 byte-order mark before the object (Windows tools start files with one): not part
    // of the JSON text, and RFC 8259 lets a parser ignore it. simdjson would report the
    // object behind it as "not an object".
    if (message.size() >= 3 && message.substr(0, 3) == "\xEF\xBB\xBF") {
      message.remove_prefix(3);
      if (trim_right(message).empty()) {
        *why = Rejection::message("empty_message", "only a byte-order mark");
        return false;
      }
    }
    od::document doc;
    if (auto err = parser_.iterate(message.data(), message.size(), message.size() + kMessagePadding).get(doc)) {
      *why = malformed(err);
      return false;
    }
    od::object root;
    if (auto err = doc.get_object().get(root)) {
      *why = err == simdjson::INCORRECT_TYPE ? Rejection::message("not_an_object", simdjson::error_message(err))
                                             : malformed(err);
      return false;
    }
    if (!decode_object(root, 0, arena, out, why)) return false;
    // After the object, the document is at its end unless something follows the object.
    const char* trailing = nullptr;
    if (doc.current_location().get(trailing) == simdjson::SUCCESS) {
      *why = Rejection::message("malformed_json", "trailing content after the JSON object");
      return false;
    }
    return true;
  }

 private:
  bool decode_object(od::object& object, int level, TextArena* arena, FieldValues* out, Rejection* why) {
    for (auto field_result : object) {
      od::field field;
      if (auto err = std::move(field_result).get(field)) {
        *why = malformed(err);
        return false;
      }
      const Level& here = levels_[static_cast<std::size_t>(level)];
      const Level::Entry* entry = here.find_raw(field.key());
      if (entry == nullptr && has_escape(field.key())) {
        std::string_view key;
        if (auto err = field.unescaped_key().get(key)) {
          *why = malformed(err);
          return false;
        }
        entry = here.find(key);
      }
      if (entry == nullptr) {
        // Unmapped, but still JSON that must be well formed: On-Demand would skip it unread.
        od::value value = field.value();
        if (const simdjson::error_code err = check_value(value, 0)) {
          *why = malformed(err);
          return false;
        }
        continue;
      }
      od::value value = field.value();
      od::json_type type;
      if (auto err = value.type().get(type)) {
        *why = malformed(err);
        return false;
      }
      if (entry->child >= 0) {
        if (type != od::json_type::object) {
          // The leaves below stay absent; the value must still be well-formed JSON.
          if (const simdjson::error_code err = check_value(value, 0)) {
            *why = malformed(err);
            return false;
          }
          continue;
        }
        od::object sub;
        if (auto err = value.get_object().get(sub)) {
          *why = malformed(err);
          return false;
        }
        if (!decode_object(sub, entry->child, arena, out, why)) return false;
        continue;
      }
      if (entry->field < 0) continue;
      const auto f = static_cast<Field>(entry->field);
      if (seen_.test(static_cast<std::size_t>(entry->field))) {
        *why = Rejection::of(f, "duplicate_field", "the field appears twice in the object");
        return false;
      }
      seen_.set(static_cast<std::size_t>(entry->field));
      if (!read_scalar(value, type, f, arena, &(*out)[f], why)) return false;
    }
    return true;
  }

  // Walks a value the mapping does not need, checking what On-Demand leaves unchecked
  // (atoms, number tokens, escapes, separators inside containers).
  static simdjson::error_code check_value(od::value& value, int depth) {
    if (depth > 64) return simdjson::DEPTH_ERROR;
    od::json_type type;
    if (auto err = value.type().get(type)) return err;
    switch (type) {
      case od::json_type::object: {
        od::object object;
        if (auto err = value.get_object().get(object)) return err;
        for (auto field_result : object) {
          od::field field;
          if (auto err = std::move(field_result).get(field)) return err;
          if (has_escape(field.key())) {  // keys are compared raw: check their escapes here
            std::string_view unused;
            if (auto err = field.unescaped_key().get(unused)) return err;
          }
          od::value inner = field.value();
          if (auto err = check_value(inner, depth + 1)) return err;
        }
        return simdjson::SUCCESS;
      }
      case od::json_type::array: {
        od::array array;
        if (auto err = value.get_array().get(array)) return err;
        for (auto element_result : array) {
          od::value element;
          if (auto err = std::move(element_result).get(element)) return err;
          if (auto err = check_value(element, depth + 1)) return err;
        }
        return simdjson::SUCCESS;
      }
      case od::json_type::string: {
        std::string_view unused;
        return value.get_string().get(unused);
      }
      case od::json_type::number:
        return is_json_number(trim_right(value.raw_json_token())) ? simdjson::SUCCESS : simdjson::NUMBER_ERROR;
      case od::json_type::boolean: {
        bool unused = false;
        return value.get_bool().get(unused);
      }
      case od::json_type::null:
      {
        bool is_null = false;
        if (auto err = value.is_null().get(is_null)) return err;
        return is_null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
      }
    }
    return simdjson::TAPE_ERROR;
  }

  static bool read_scalar(od::value& value, od::json_type type, Field f, TextArena* arena, FieldValue* slot,
                          Rejection* why) {
    simdjson::error_code err = simdjson::SUCCESS;
    switch (type) {
      case od::json_type::string: {
        // Most strings have no escapes: then the text between the quotes, in the message
        // itself, is the value (no unescaping, no copy). Others are unescaped into the arena.
        const std::string_view token = trim_right(value.raw_json_token());
        if (token.size() >= 2 && token.back() == '"' && token.find('\\') == std::string_view::npos) {
          // raw_json_token() only peeks: consume the string too, or the object iterator skips
          // it itself and takes `"a": "b"` after a key for another key and value, accepting
          // `{"k": "a": "b"}}`.
          od::raw_json_string consumed;
          if ((err = value.get_raw_json_string().get(consumed))) break;
          slot->text = token.substr(1, token.size() - 2);
        } else {
          std::string_view s;
          if ((err = value.get_string().get(s))) break;
          slot->text = arena->copy(s);
        }
        slot->kind = ValueKind::kString;
        return true;
      }
      case od::json_type::number:
        slot->text = trim_right(value.raw_json_token());
        if (!is_json_number(slot->text)) {
          *why = Rejection::of(f, "malformed_json", "not a JSON number");
          return false;
        }
        slot->kind = ValueKind::kNumber;
        return true;
      case od::json_type::boolean: {
        bool b = false;
        if ((err = value.get_bool().get(b))) break;
        slot->text = b ? "true" : "false";
        slot->kind = ValueKind::kBool;
        return true;
      }
      case od::json_type::null:
        if (bool is_null = false; (err = value.is_null().get(is_null)) || !is_null) {
          if (!err) err = simdjson::N_ATOM_ERROR;
          break;
        }
        slot->kind = ValueKind::kNull;
        return true;
      case od::json_type::object:
      case od::json_type::array:
        if ((err = check_value(value, 0))) break;
        slot->kind = ValueKind::kOther;
        return true;
    }
    *why = Rejection::of(f, err == simdjson::UTF8_ERROR ? "invalid_utf8" : "malformed_json", simdjson::error_message(err));
    return false;
  }

  std::unique_ptr<Decoder> clone() const override { return std::make_unique<JsonDecoder>(mapping_); }

  FieldMapping mapping_;
  std::vector<Level> levels_;
  od::parser parser_;
  std::bitset<kFieldCount> seen_;
};

}  // namespace

std::unique_ptr<Decoder> make_json_decoder(const FieldMapping& mapping) {
  return std::make_unique<JsonDecoder>(mapping);
}

}  // namespace pixguard
