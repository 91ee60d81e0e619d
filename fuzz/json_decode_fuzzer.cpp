// Fuzzes the JSON decoder (default Pix field mapping) and the validator over what it decodes.
// Checked beyond "no sanitizer report":
//  - the outcome does not depend on the padding's content (the decoder may read the padding,
//    never use it), and nothing is read past it (the buffer is exactly message + padding);
//  - a rejection names a decode rule (and a mapped field or the whole message);
//  - decoded values are well formed: numbers follow the JSON grammar, text lies inside the
//    message or the arena and is valid UTF-8, and re-encoding the fields with JsonWriter and
//    decoding again gives the same values;
//  - against an independent parser (nlohmann::json's SAX reader, strict): a message we
//    accept is JSON, each mapped field has the same value there; JSON we reject is not an
//    object, repeats a mapped field, or lies outside what the decoder takes by design (nesting
//    deeper than 64, a UTF-8 byte order mark), or has a NUL byte (where nlohmann stops);
//  - the validator's promises (fuzz_checks.h).
#include <algorithm>
#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/json_writer.h"
#include "decode/decoder.h"
#include "fuzz/fuzz_checks.h"

namespace pixguard::fuzz {
namespace {

// One decoding, with the buffer and the arena its views point into.
struct Decoded {
  std::unique_ptr<char[]> buffer;
  TextArena arena;
  bool ok = false;
  FieldValues values;
  Rejection why;
};

struct State {
  FieldMapping mapping = FieldMapping::identity();
  std::unique_ptr<Decoder> decoder = make_json_decoder(mapping);
  Validator validator{[] {
    ValidationOptions o;
    o.zone = sao_paulo();
    return o;
  }()};
};

// The message in a buffer of exactly its size plus kMessagePadding, the padding set to `pad`.
// The arena gets the contract's minimum, the message's size: ASan sees any write beyond.
Decoded decode(State& s, std::string_view message, char pad) {
  Decoded d;
  d.buffer = std::make_unique<char[]>(message.size() + kMessagePadding);
  char* buf = d.buffer.get();
  if (!message.empty()) std::memcpy(buf, message.data(), message.size());
  std::memset(buf + message.size(), pad, kMessagePadding);
  d.arena.reset(message.size());
  const char* arena_start = d.arena.free_space();
  const std::size_t arena_size = d.arena.free_size();
  d.ok = s.decoder->decode(std::string_view(buf, message.size()), &d.arena, &d.values, &d.why);

  if (!d.ok) {
    constexpr std::string_view kRules[] = {"malformed_json", "invalid_utf8", "not_an_object", "duplicate_field",
                                           "empty_message"};
    bool known = false;
    for (const std::string_view r : kRules) known = known || d.why.rule == r;
    PIXGUARD_FUZZ_CHECK(known);
    PIXGUARD_FUZZ_CHECK(d.why.field >= -1 && d.why.field < static_cast<int>(kFieldCount));
    if (d.why.field >= 0) PIXGUARD_FUZZ_CHECK(s.mapping.mapped(static_cast<Field>(d.why.field)));
    return d;
  }
  // simdjson validates the whole message's UTF-8 before anything else.
  PIXGUARD_FUZZ_CHECK(is_utf8(std::string_view(buf, message.size())));
  for (std::size_t i = 0; i < kFieldCount; ++i) {
    const FieldValue& v = d.values.values[i];
    const bool in_message = v.text.data() >= buf && v.text.data() + v.text.size() <= buf + message.size();
    const bool in_arena =
        v.text.data() >= arena_start && v.text.data() + v.text.size() <= arena_start + arena_size;
    switch (v.kind) {
      case ValueKind::kAbsent:
      case ValueKind::kNull:
      case ValueKind::kOther:
        PIXGUARD_FUZZ_CHECK(v.text.empty());
        break;
      case ValueKind::kBool:
        PIXGUARD_FUZZ_CHECK(v.text == "true" || v.text == "false");
        break;
      case ValueKind::kNumber: {
        PIXGUARD_FUZZ_CHECK(in_message && !v.text.empty());
        const std::string_view t = v.text;
        PIXGUARD_FUZZ_CHECK((t[0] >= '0' && t[0] <= '9') || t[0] == '-');
        PIXGUARD_FUZZ_CHECK(t.back() >= '0' && t.back() <= '9');
        PIXGUARD_FUZZ_CHECK(t.find_first_not_of("0123456789+-.eE") == std::string_view::npos);
        break;
      }
      case ValueKind::kString:
        PIXGUARD_FUZZ_CHECK(v.text.empty() || in_message || in_arena);
        PIXGUARD_FUZZ_CHECK(is_utf8(v.text));
        break;
    }
    if (v.kind != ValueKind::kAbsent) PIXGUARD_FUZZ_CHECK(s.mapping.mapped(static_cast<Field>(i)));
  }
  return d;
}

// What the mapped fields hold according to nlohmann::json, walked with the decoder's rules:
// "payer.account" is key "account" of an object under the root's key "payer" (a "payer"
// that is not an object leaves its fields absent; two "payer" objects both count); an
// object or array where a field is expected is kOther.
class Reference final : public nlohmann::json_sax<nlohmann::json> {
 public:
  struct Value {
    ValueKind kind = ValueKind::kAbsent;
    std::string text;
    bool integer = false;  // a number nlohmann read as an integer (no raw text: `text` is it printed)
  };

  explicit Reference(std::string_view message) {
    nlohmann::json::sax_parse(message.begin(), message.end(), this, nlohmann::json::input_format_t::json,
                              /*strict=*/true, /*ignore_comments=*/false);
  }

  bool error = false;
  int error_id = 0;  // nlohmann's exception id: 101 syntax, 406 number overflow, ...
  bool root_is_object = false;
  int duplicate = -1;  // the first field given twice
  std::size_t max_depth = 0;
  std::array<Value, kFieldCount> values;

  bool null() override { return scalar(ValueKind::kNull, {}); }
  bool boolean(bool b) override { return scalar(ValueKind::kBool, b ? "true" : "false"); }
  bool number_integer(number_integer_t v) override { return scalar(ValueKind::kNumber, std::to_string(v), true); }
  bool number_unsigned(number_unsigned_t v) override { return scalar(ValueKind::kNumber, std::to_string(v), true); }
  bool number_float(number_float_t, const string_t& raw) override { return scalar(ValueKind::kNumber, raw); }
  bool string(string_t& s) override { return scalar(ValueKind::kString, s); }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return open(true); }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(false); }
  bool end_array() override { return close(); }
  bool key(string_t& k) override {
    key_ = k;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    error = true;
    error_id = e.id;
    return false;
  }

 private:
  // Mapping levels: 0 is the root, 1 + i the i-th group ("payer", "payee"); -1 unmapped.
  static int group_of(std::string_view key) {
    if (key == "payer") return 1;
    if (key == "payee") return 2;
    return -1;
  }
  static int field_of(int level, std::string_view key) {
    for (std::size_t f = 0; f < kFieldCount; ++f) {
      const std::string_view name = kFieldNames[f];
      const std::size_t dot = name.find('.');
      if (dot == std::string_view::npos) {
        if (level == 0 && name == key) return static_cast<int>(f);
      } else if (level == group_of(name.substr(0, dot)) && name.substr(dot + 1) == key) {
        return static_cast<int>(f);
      }
    }
    return -1;
  }
  // The field the next value fills, or -1.
  int slot() const {
    if (stack_.empty() || stack_.back().level < 0 || !stack_.back().object) return -1;
    return field_of(stack_.back().level, key_);
  }
  void record(int f, ValueKind kind, std::string text, bool integer = false) {
    Value& v = values[static_cast<std::size_t>(f)];
    if (v.kind != ValueKind::kAbsent && duplicate < 0) duplicate = f;
    v = {kind, std::move(text), integer};
  }
  bool scalar(ValueKind kind, std::string text, bool integer = false) {
    if (const int f = slot(); f >= 0) record(f, kind, std::move(text), integer);
    return true;
  }
  bool open(bool object) {
    int level = -1;
    if (stack_.empty()) {
      root_is_object = object;
      level = object ? 0 : -1;
    } else if (const int f = slot(); f >= 0) {
      record(f, ValueKind::kOther, {});
    } else if (object && stack_.back().object && stack_.back().level == 0) {
      level = group_of(key_);
    }
    stack_.push_back({level, object});
    max_depth = std::max(max_depth, stack_.size());
    return true;
  }
  bool close() {
    stack_.pop_back();
    return true;
  }

  struct Frame {
    int level;
    bool object;
  };
  std::vector<Frame> stack_;
  std::string key_;
};

// Our decoding against the reference's reading of the same bytes.
void check_against_reference(std::string_view message, const Decoded& d) {
  const Reference ref(message);
  // nlohmann stops at a NUL byte as at the end of its input; JSON has no raw NUL anywhere.
  const bool nul = message.find('\0') != std::string_view::npos;
  if (d.ok) {
    PIXGUARD_FUZZ_CHECK(!nul);
    // Only a number too large for a double stops nlohmann on JSON that we accept.
    PIXGUARD_FUZZ_CHECK(!ref.error || ref.error_id == 406);
    if (ref.error) return;
    PIXGUARD_FUZZ_CHECK(ref.root_is_object && ref.duplicate < 0);
    for (std::size_t i = 0; i < kFieldCount; ++i) {
      const FieldValue& ours = d.values.values[i];
      const Reference::Value& theirs = ref.values[i];
      PIXGUARD_FUZZ_CHECK(ours.kind == theirs.kind);
      if (theirs.integer) {  // "-0", "-00"... have no raw text in nlohmann: compare the value
        const bool negative = !ours.text.empty() && ours.text[0] == '-';
        std::string printed;
        if (negative) {
          long long v = 0;
          PIXGUARD_FUZZ_CHECK(std::from_chars(ours.text.data(), ours.text.data() + ours.text.size(), v).ec == std::errc{});
          printed = std::to_string(v);
        } else {
          unsigned long long v = 0;
          PIXGUARD_FUZZ_CHECK(std::from_chars(ours.text.data(), ours.text.data() + ours.text.size(), v).ec == std::errc{});
          printed = std::to_string(v);
        }
        PIXGUARD_FUZZ_CHECK(printed == theirs.text);
      } else if (ours.kind == ValueKind::kString || ours.kind == ValueKind::kNumber) {
        PIXGUARD_FUZZ_CHECK(ours.text == theirs.text);
      }
    }
    return;
  }
  // We refused it: fine when it is not JSON.
  if (ref.error) return;
  const bool bom = message.size() >= 3 && message.substr(0, 3) == "\xEF\xBB\xBF";
  if (nul || bom || ref.max_depth > 60) return;  // by design (see the file comment)
  if (!ref.root_is_object) {
    PIXGUARD_FUZZ_CHECK(d.why.rule == "not_an_object");
  } else {
    if (ref.duplicate < 0) {
      std::fprintf(stderr, "valid JSON refused: %.*s (%.*s)\n", static_cast<int>(d.why.rule.size()), d.why.rule.data(),
                   static_cast<int>(d.why.detail.size()), d.why.detail.data());
    }
    PIXGUARD_FUZZ_CHECK(ref.duplicate >= 0);
    PIXGUARD_FUZZ_CHECK(d.why.rule == "duplicate_field" && d.why.field == ref.duplicate);
  }
}

bool same(const Decoded& a, const Decoded& b) {
  if (a.ok != b.ok) return false;
  if (!a.ok) return a.why.rule == b.why.rule && a.why.field == b.why.field;
  for (std::size_t i = 0; i < kFieldCount; ++i) {
    if (a.values.values[i].kind != b.values.values[i].kind || a.values.values[i].text != b.values.values[i].text) {
      return false;
    }
  }
  return true;
}

// The decoded fields as a JSON object in the mapping's shape ("payer.account" nested).
std::string encode(const FieldValues& values) {
  std::string out;
  {
    JsonWriter w(&out);
    const auto value = [&](const FieldValue& v) {
      switch (v.kind) {
        case ValueKind::kAbsent:
        case ValueKind::kNull: w.raw("null"); break;
        case ValueKind::kString: w.string(v.text); break;
        case ValueKind::kNumber:
        case ValueKind::kBool: w.raw(v.text); break;
        case ValueKind::kOther: w.raw("[]"); break;
      }
    };
    w.ch('{');
    bool first = true;
    for (const std::string_view group : {std::string_view{}, std::string_view("payer"), std::string_view("payee")}) {
      bool group_open = false;
      for (std::size_t i = 0; i < kFieldCount; ++i) {
        const FieldValue& v = values.values[i];
        if (v.kind == ValueKind::kAbsent) continue;
        const std::string_view name = kFieldNames[i];
        const std::size_t dot = name.find('.');
        const std::string_view head = dot == std::string_view::npos ? std::string_view{} : name.substr(0, dot);
        if (head != group) continue;
        if (!first && !group_open) w.ch(',');
        first = false;
        if (!group.empty() && !group_open) {
          w.key(group);
          w.ch('{');
        } else if (group_open) {
          w.ch(',');
        }
        group_open = !group.empty();
        w.key(dot == std::string_view::npos ? name : name.substr(dot + 1));
        value(v);
      }
      if (group_open) w.ch('}');
    }
    w.ch('}');
  }
  return out;
}

}  // namespace
}  // namespace pixguard::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace pixguard;
  using namespace pixguard::fuzz;
  static State* state = new State();  // built once; never freed (no leak report: still reachable)
  const std::string_view message(reinterpret_cast<const char*>(data), size);

  const Decoded a = decode(*state, message, ' ');
  const Decoded b = decode(*state, message, '"');
  PIXGUARD_FUZZ_CHECK(same(a, b));
  check_against_reference(message, a);
  if (!a.ok) return 0;

  // Round trip: what was decoded, written back as JSON, decodes to the same values.
  const std::string again = encode(b.values);
  const Decoded c = decode(*state, again, '\0');
  if (!c.ok) std::fprintf(stderr, "re-encoded message rejected (%.*s): %s\n", static_cast<int>(c.why.rule.size()),
                          c.why.rule.data(), again.c_str());
  PIXGUARD_FUZZ_CHECK(same(b, c));

  check_validation(state->validator, c.values);
  return 0;
}
