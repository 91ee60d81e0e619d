#pragma once
// Encrypts whole messages with AES-256-GCM under a key derived from the privacy secret: the
// original bytes of dead letters (privacy.dead_letters: encrypt), so that an operator holding
// the key can read and reprocess them and nobody else can, and the messages a checkpoint
// holds while they wait for the payee merge. A sealed message is base64(nonce 12 bytes || ciphertext || tag 16 bytes);
// the tag makes any change to it an error on opening, never wrong bytes.
//
// Threading: immutable; seal and open may run on any thread.
#include <array>
#include <string>
#include <string_view>

#include "core/status.h"

namespace pixguard {

class MessageCipher {
 public:
  explicit MessageCipher(const std::array<unsigned char, 32>& key) : key_(key) {}

  // Appends the sealed, base64-encoded form of `plain` to *out.
  Status seal(std::string_view plain, std::string* out) const;
  // Replaces *plain with what `sealed` holds; Corruption when it was not sealed with this key
  // or was changed.
  Status open(std::string_view sealed, std::string* plain) const;

 private:
  std::array<unsigned char, 32> key_;
};

}  // namespace pixguard
