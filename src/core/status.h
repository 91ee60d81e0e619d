#pragma once
// Status: the result of a fallible call at an I/O boundary. Costs one byte and an empty
// string on success; the message names what failed (file, field, key) for a person to act on.
#include <string>
#include <utility>

namespace pixguard {

enum class StatusCode : unsigned char {
  kOk,
  kInvalidArgument,  // the caller's input is wrong (config value, flag, malformed file)
  kNotFound,         // a file, key or record that must exist does not
  kIoError,          // the operating system refused a read, write, rename or fsync
  kCorruption,       // stored data fails its own checks
  kUnsupported,      // valid, but not something this version handles
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status Unsupported(std::string m) { return {StatusCode::kUnsupported, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // The same failure with `context` in front: "checkpoint x.ckpt: checksum mismatch".
  Status with_context(const std::string& context) const { return {code_, context + ": " + message_}; }

 private:
  Status(StatusCode c, std::string m) : code_(c), message_(std::move(m)) {}
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

}  // namespace pixguard
