#pragma once
// CRC-32C (Castagnoli), the checksum that guards checkpoint files against torn or rotten
// bytes. Uses the SSE4.2 instruction when the build targets it, a table otherwise; both give
// the standard value (crc32c("123456789") == 0xE3069283).
#include <cstdint>
#include <string_view>

namespace pixguard {

uint32_t crc32c(std::string_view data, uint32_t crc = 0);

}  // namespace pixguard
