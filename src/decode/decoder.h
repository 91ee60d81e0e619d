#pragma once
// Decoder: message bytes -> FieldValues (syntax only; see field_values.h).
//
// Contract: decode() never throws and never reads past `message` plus its padding. On
// failure it returns false and fills `why`; the message goes to the dead-letter output.
// Text it writes (unescaped strings) goes into `arena`, which the caller has reset to at
// least the message's size.
// Threading: a decoder holds parser scratch space; one per pipeline thread (clone()).
#include <memory>
#include <string_view>

#include "core/status.h"
#include "core/text_arena.h"
#include "decode/field_mapping.h"
#include "decode/field_values.h"

namespace pixguard {

// Bytes after every message that a decoder may read (simdjson reads ahead with SIMD loads);
// sources reserve this much past the end of their buffers.
inline constexpr std::size_t kMessagePadding = 64;

enum class InputFormat : unsigned char { kJsonLines, kCsv };

class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual bool decode(std::string_view message, TextArena* arena, FieldValues* out, Rejection* why) = 0;
  // A decoder for another thread: the same mapping, its own scratch.
  virtual std::unique_ptr<Decoder> clone() const = 0;
};

// JSON objects (one per message) through `mapping` (dotted paths).
std::unique_ptr<Decoder> make_json_decoder(const FieldMapping& mapping);

// CSV records (one per line, RFC 4180 quoting, no newlines inside quotes) whose columns are
// named by `header_line`. Fails with a message naming each mapped column the header lacks.
Status make_csv_decoder(const FieldMapping& mapping, std::string_view header_line, char delimiter,
                        std::unique_ptr<Decoder>* out);

}  // namespace pixguard
