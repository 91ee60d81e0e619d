#pragma once
// Bounds that several modules share.
#include <cstddef>

namespace pixguard {

// A dead letter keeps at most this many bytes of the message it rejects; a longer message is
// carried as this prefix with its full length and content hash (core/hash.h). Encoded (JSON
// escapes at most 6 bytes per byte), a dead letter then stays under kDeadLetterMaxBytes, so
// it fits any output that accepts a message that large (a Kafka producer's message.max.bytes).
inline constexpr std::size_t kDeadLetterRawBytes = 16 << 10;
inline constexpr std::size_t kDeadLetterMaxBytes = 256 << 10;

}  // namespace pixguard
