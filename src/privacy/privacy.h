#pragma once
// Personal data protection (docs/security.md): what each output shows of the personal fields
// of a transaction, and what a dead letter keeps of the message it rejects. The pipeline's
// stages (dedupe, features, rules, lists) see the real values; the policy is applied to the
// records handed to sinks and to the API, so decisions do not depend on it.
//
// Policies per field: clear; mask (all but the last two characters starred); keyed_hash
// (HMAC-SHA-256 under the privacy key, the first 32 hex digits: equal values stay joinable
// for analysis and erasure, but cannot be brute-forced without the key); drop (empty).
// Documents and the payee key are protected by default: keyed_hash with a key, mask without.
//
// Threading: immutable once created; protect() takes the calling thread's scratch.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/siphash.h"
#include "core/status.h"
#include "core/text_arena.h"
#include "core/transaction.h"
#include "privacy/keyed_hash.h"

namespace pixguard {

enum class PersonalField : unsigned char {
  kPayerDocument,
  kPayerAccount,
  kPayeeDocument,
  kPayeeAccount,
  kPayeeKey,
  kDeviceId,
  kIp,
  kDescription,
};
inline constexpr std::size_t kPersonalFieldCount = 8;
// Canonical input names: "payer.document", "payee.key", "device_id", ...
std::string_view personal_field_name(PersonalField f);
bool parse_personal_field(std::string_view name, PersonalField* out);

enum class FieldPolicy : unsigned char { kClear, kMask, kKeyedHash, kDrop };
bool parse_field_policy(std::string_view text, FieldPolicy* out);

// What a dead letter keeps of the rejected message's bytes.
enum class DeadLetterBytes : unsigned char {
  kRedact,   // only its length: the field and rule say what was wrong
  kEncrypt,  // AES-256-GCM under the privacy key (`pixguard dead-letters decrypt` gives them back)
  kClear,    // as they came
};
bool parse_dead_letter_bytes(std::string_view text, DeadLetterBytes* out);

struct PrivacyOptions {
  std::string key_file;     // a file holding the secret (at least 32 bytes)
  std::string key_env;      // or the environment variable holding it
  bool create_key = false;  // key_file missing: create it with 32 random bytes (mode 0600)
  std::array<std::optional<FieldPolicy>, kPersonalFieldCount> fields;  // unset: the default
  DeadLetterBytes dead_letters = DeadLetterBytes::kRedact;
  unsigned file_mode = 0640;  // of every file written (directories get x where r is given)
  std::string audit_log = "data/privacy_audit.jsonl";  // erasures and expiries, one JSON line each
};

class MessageCipher;

class Privacy {
 public:
  // Loads (or creates) the key and resolves the defaults. Errors name the config key.
  static Status create(const PrivacyOptions& options, std::shared_ptr<const Privacy>* out);
  ~Privacy();

  FieldPolicy policy(PersonalField f) const { return policies_[static_cast<std::size_t>(f)]; }
  bool has_key() const { return hash_ != nullptr; }
  DeadLetterBytes dead_letters() const { return dead_letters_; }
  const MessageCipher* cipher() const { return cipher_.get(); }
  // A 128-bit secret for the keyed hashes that name keys in state and checkpoints (SipHash),
  // derived from the key; zero without a key (resolve_state_key then salts from elsewhere).
  SipKey state_key() const { return state_key_; }

  // Room protect() needs in the arena for this transaction.
  static std::size_t arena_bytes(const Transaction& tx);
  // *out = tx with its personal fields replaced by their protected form (views into `arena`).
  void protect(const Transaction& tx, Transaction* out, TextArena* arena, KeyedHash::Scratch& scratch) const;
  // The protected form of one value, as an output shows it.
  std::string protect_value(PersonalField f, std::string_view value) const;
  // A name for a value that is never clear, whatever the policies: its keyed hash, or
  // masked without a key (audit logs).
  std::string pseudonym(std::string_view value) const;

 private:
  Privacy() = default;
  std::string_view apply(PersonalField f, std::string_view value, TextArena* arena, KeyedHash::Scratch& scratch) const;

  std::array<FieldPolicy, kPersonalFieldCount> policies_{};
  DeadLetterBytes dead_letters_ = DeadLetterBytes::kRedact;
  std::unique_ptr<KeyedHash> hash_;
  std::unique_ptr<MessageCipher> cipher_;
  SipKey state_key_{};
};

// Creates `path` (and its directory) holding `random_bytes` random bytes as hex digits, mode
// 0600, fsynced with its directory, unless it exists. O_EXCL: of two processes creating it at
// once, one wins and both then read the winner's. *created: whether this call made it.
Status create_secret_file(const std::string& path, std::size_t random_bytes, bool* created);

// The key of the hashes that name payers, payees and devices in the state: derived from the
// privacy key; without one, a random salt kept beside the checkpoints (state.salt, 0600),
// created by the first run and shared by a group's members; without checkpoints, zero
// (nothing is kept at rest). Members of a group must agree on it: it also routes payees.
Status resolve_state_key(const Privacy& privacy, const std::string& checkpoint_dir, SipKey* out);

// The umask that makes new files `file_mode` (and directories the same plus x where r is given).
unsigned umask_for_file_mode(unsigned file_mode);

}  // namespace pixguard
