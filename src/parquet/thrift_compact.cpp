#include "parquet/thrift_compact.h"

#include <cstring>

namespace pixguard::parquet::thrift {
namespace {
// Deeper nesting than Parquet's metadata ever has is taken as corruption.
constexpr int kMaxDepth = 32;
}  // namespace

void CompactWriter::field_header(int16_t id, Type t) {
  const int delta = id - last_id_;
  if (delta > 0 && delta <= 15) {
    out_->push_back(static_cast<char>((delta << 4) | static_cast<int>(t)));
  } else {
    out_->push_back(static_cast<char>(t));
    varint(zigzag_encode(id));
  }
  last_id_ = id;
}

void CompactWriter::end_struct() {
  out_->push_back(0);
  last_id_ = stack_.empty() ? 0 : stack_.back();
  if (!stack_.empty()) stack_.pop_back();
}

void CompactWriter::list_header(Type element, std::size_t n) {
  if (n < 15) {
    out_->push_back(static_cast<char>((n << 4) | static_cast<std::size_t>(element)));
  } else {
    out_->push_back(static_cast<char>(0xF0 | static_cast<int>(element)));
    varint(n);
  }
}

uint64_t CompactReader::varint() {
  uint64_t v = 0;
  if (!failed_ && get_uleb128(in_, &pos_, &v)) return v;
  failed_ = true;
  return 0;
}

uint8_t CompactReader::read_byte() {
  if (failed_ || pos_ >= in_.size()) {
    failed_ = true;
    return 0;
  }
  return static_cast<uint8_t>(in_[pos_++]);
}

bool CompactReader::next_field(int16_t* id, Type* type) {
  const uint8_t b = read_byte();
  if (failed_ || b == 0) return false;
  const uint8_t t = b & 0x0F;
  if (t > static_cast<uint8_t>(Type::kStruct)) {
    failed_ = true;
    return false;
  }
  const int delta = b >> 4;
  if (delta != 0) {
    *id = static_cast<int16_t>(last_id_ + delta);
  } else {
    *id = static_cast<int16_t>(zigzag_decode(varint()));
  }
  last_id_ = *id;
  *type = static_cast<Type>(t);
  if (*type == Type::kBoolTrue || *type == Type::kBoolFalse) bool_value_ = *type == Type::kBoolTrue;
  return !failed_;
}

int32_t CompactReader::read_i32() {
  const int64_t v = zigzag_decode(varint());
  if (v < INT32_MIN || v > INT32_MAX) {
    failed_ = true;
    return 0;
  }
  return static_cast<int32_t>(v);
}

int64_t CompactReader::read_i64() { return zigzag_decode(varint()); }

double CompactReader::read_double() {
  double d = 0;
  if (failed_ || in_.size() - pos_ < sizeof d) {
    failed_ = true;
    return 0;
  }
  std::memcpy(&d, in_.data() + pos_, sizeof d);
  pos_ += sizeof d;
  return d;
}

std::string_view CompactReader::read_binary() {
  const uint64_t n = varint();
  if (failed_ || n > in_.size() - pos_) {
    failed_ = true;
    return {};
  }
  const std::string_view v = in_.substr(pos_, n);
  pos_ += n;
  return v;
}

void CompactReader::enter_struct() {
  if (stack_.size() >= kMaxDepth) failed_ = true;
  stack_.push_back(last_id_);
  last_id_ = 0;
}

void CompactReader::leave_struct() {
  last_id_ = stack_.empty() ? 0 : stack_.back();
  if (!stack_.empty()) stack_.pop_back();
}

uint32_t CompactReader::read_list_header(Type* element) {
  const uint8_t b = read_byte();
  uint64_t n = b >> 4;
  if (n == 15) n = varint();
  *element = static_cast<Type>(b & 0x0F);
  if (failed_ || n > in_.size() - pos_) {  // every element takes at least one byte
    failed_ = true;
    return 0;
  }
  return static_cast<uint32_t>(n);
}

void CompactReader::skip(Type type, int depth) {
  if (depth > kMaxDepth) {
    failed_ = true;
    return;
  }
  switch (type) {
    case Type::kBoolTrue:
    case Type::kBoolFalse:
      return;  // a bool field's value is in its header
    case Type::kByte:
      read_byte();
      return;
    case Type::kI16:
    case Type::kI32:
    case Type::kI64:
      varint();
      return;
    case Type::kDouble:
      read_double();
      return;
    case Type::kBinary:
      read_binary();
      return;
    case Type::kList:
    case Type::kSet: {
      Type element;
      const uint32_t n = read_list_header(&element);
      // Bools inside a list are one byte each, unlike bool fields.
      const Type each = (element == Type::kBoolTrue || element == Type::kBoolFalse) ? Type::kByte : element;
      for (uint32_t i = 0; i < n && !failed_; ++i) skip(each, depth + 1);
      return;
    }
    case Type::kMap: {
      const uint64_t n = varint();
      if (n == 0) return;
      const uint8_t kv = read_byte();
      if (failed_ || n > in_.size() - pos_) {
        failed_ = true;
        return;
      }
      auto one = [](uint8_t t) {
        const Type ty = static_cast<Type>(t);
        return (ty == Type::kBoolTrue || ty == Type::kBoolFalse) ? Type::kByte : ty;
      };
      for (uint64_t i = 0; i < n && !failed_; ++i) {
        skip(one(kv >> 4), depth + 1);
        skip(one(kv & 0x0F), depth + 1);
      }
      return;
    }
    case Type::kStruct: {
      enter_struct();
      int16_t id;
      Type t;
      while (next_field(&id, &t)) skip(t, depth + 1);
      leave_struct();
      return;
    }
    case Type::kStop:
    default:
      failed_ = true;
      return;
  }
}

}  // namespace pixguard::parquet::thrift
