#pragma once
// Encrypts the original bytes of dead letters (privacy.dead_letters: encrypt) with
// AES-256-GCM, so that an operator holding the privacy key can read and reprocess them and
// nobody else can. A sealed message is base64(nonce 12 bytes || ciphertext || tag 16 bytes);
// the tag makes any change to it an error on opening, never wrong bytes.
//
// Threading: immutable; seal and open may run on any thread.
#include <array>
#include <string>
#include <string_view>

#include "core/status.h"

namespace pixguard {

class DeadLetterCipher {
 public:
  explicit DeadLetterCipher(const std::array<unsigned char, 32>& key) : key_(key) {}

  // Appends the sealed, base64-encoded form of `plain` to *out.
  Status seal(std::string_view plain, std::string* out) const;
  // Replaces *plain with what `sealed` holds; Corruption when it was not sealed with this key
  // or was changed.
  Status open(std::string_view sealed, std::string* plain) const;

 private:
  std::array<unsigned char, 32> key_;
};

}  // namespace pixguard
