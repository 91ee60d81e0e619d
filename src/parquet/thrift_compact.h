#pragma once
// The Thrift compact protocol, as much of it as the Parquet footer and page headers use:
// structs with field-id deltas, zigzag varints, binary, lists, bools folded into the field
// header. The writer appends to a string; the reader never reads past its input and turns
// any malformed byte into failed() (it yields zeros from then on), so a decoder checks once.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "parquet/uleb128.h"

namespace pixguard::parquet::thrift {

// Compact-protocol type ids (the low nibble of a field header or list header).
enum class Type : uint8_t {
  kStop = 0, kBoolTrue = 1, kBoolFalse = 2, kByte = 3, kI16 = 4, kI32 = 5, kI64 = 6,
  kDouble = 7, kBinary = 8, kList = 9, kSet = 10, kMap = 11, kStruct = 12,
};

class CompactWriter {
 public:
  explicit CompactWriter(std::string* out) : out_(out) {}

  // Field writers: each writes the field header (delta from the previous id in this struct).
  void field_i32(int16_t id, int32_t v) { field_header(id, Type::kI32); varint(zigzag_encode(v)); }
  void field_i64(int16_t id, int64_t v) { field_header(id, Type::kI64); varint(zigzag_encode(v)); }
  void field_bool(int16_t id, bool v) { field_header(id, v ? Type::kBoolTrue : Type::kBoolFalse); }
  void field_binary(int16_t id, std::string_view v) { field_header(id, Type::kBinary); binary(v); }
  // A nested struct: begin_struct writes the header and opens a new field-id scope.
  void begin_struct(int16_t id) { field_header(id, Type::kStruct); begin_struct_element(); }
  void end_struct();
  // A list field; then write `n` elements with the element writers below.
  void begin_list(int16_t id, Type element, std::size_t n) { field_header(id, Type::kList); list_header(element, n); }
  void element_i32(int32_t v) { varint(zigzag_encode(v)); }
  void element_binary(std::string_view v) { binary(v); }
  void begin_struct_element() { stack_.push_back(last_id_); last_id_ = 0; }
  void end_struct_element() { end_struct(); }
  // Ends the outermost struct (the message).
  void stop() { out_->push_back(0); }

 private:
  void field_header(int16_t id, Type t);
  void list_header(Type element, std::size_t n);
  void varint(uint64_t v) { put_uleb128(v, out_); }
  void binary(std::string_view v) { varint(v.size()); out_->append(v); }

  std::string* out_;
  int16_t last_id_ = 0;
  std::vector<int16_t> stack_;
};

class CompactReader {
 public:
  explicit CompactReader(std::string_view in) : in_(in) {}

  // Reads the next field header of the current struct; false at its stop byte (or on
  // failure). For bool fields the value is in bool_value().
  bool next_field(int16_t* id, Type* type);
  bool bool_value() const { return bool_value_; }
  int32_t read_i32();
  int64_t read_i64();
  uint8_t read_byte();
  double read_double();
  std::string_view read_binary();
  // For a struct value: enter before reading its fields with next_field, leave after.
  void enter_struct();
  void leave_struct();
  // A list header; the count is checked against the bytes left (each element takes >= 1).
  uint32_t read_list_header(Type* element);
  // Skips a value of any type (bounded nesting depth).
  void skip(Type type) { skip(type, 0); }

  bool failed() const { return failed_; }
  void fail() { failed_ = true; }
  std::size_t position() const { return pos_; }

 private:
  uint64_t varint();
  void skip(Type type, int depth);

  std::string_view in_;
  std::size_t pos_ = 0;
  bool failed_ = false;
  bool bool_value_ = false;
  int16_t last_id_ = 0;
  std::vector<int16_t> stack_;
};

}  // namespace pixguard::parquet::thrift
