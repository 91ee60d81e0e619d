#pragma once
// The canonical input fields of a Pix transaction (docs/configuration.md, "input"). Decoders map a
// source's own names onto these; validation and features refer to fields only by this enum.
#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace pixguard {

enum class Field : unsigned char {
  kEndToEndId,
  kEventTime,
  kAmount,
  kPayerAccount,
  kPayerIspb,
  kPayerDocument,
  kPayeeKey,
  kPayeeKeyType,
  kPayeeAccount,
  kPayeeIspb,
  kPayeeDocument,
  kInitiation,
  kChannel,
  kDeviceId,
  kIp,
  kDescription,
  kLabel,
};
inline constexpr std::size_t kFieldCount = 17;

// Canonical names, as they appear in the default JSON shape and in outputs.
inline constexpr std::array<std::string_view, kFieldCount> kFieldNames = {
    "end_to_end_id", "event_time",    "amount",         "payer.account", "payer.ispb",
    "payer.document", "payee.key",    "payee.key_type", "payee.account", "payee.ispb",
    "payee.document", "initiation",   "channel",        "device_id",     "ip",
    "description",    "label"};

constexpr std::string_view field_name(Field f) { return kFieldNames[static_cast<std::size_t>(f)]; }

constexpr std::optional<Field> field_from_name(std::string_view name) {
  for (std::size_t i = 0; i < kFieldCount; ++i) {
    if (kFieldNames[i] == name) return static_cast<Field>(i);
  }
  return std::nullopt;
}

}  // namespace pixguard
