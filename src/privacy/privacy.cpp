#include "privacy/privacy.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include "core/file_io.h"
#include "core/log.h"
#include "privacy/message_cipher.h"

namespace pixguard {
namespace {

constexpr std::string_view kFieldNames[kPersonalFieldCount] = {
    "payer.document", "payer.account", "payee.document", "payee.account", "payee.key", "device_id", "ip", "description"};
constexpr std::string_view kPolicyNames[] = {"clear", "mask", "keyed_hash", "drop"};
constexpr std::size_t kMinKeyBytes = 32;
constexpr std::size_t kHashChars = 32;  // 128 bits of the MAC, in hex

std::string_view trim_trailing_space(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

Status load_key(const PrivacyOptions& o, std::string* key) {
  if (!o.key_file.empty() && !o.key_env.empty()) {
    return Status::InvalidArgument("privacy: give key_file or key_env, not both");
  }
  if (!o.key_env.empty()) {
    const char* value = std::getenv(o.key_env.c_str());
    if (value == nullptr) return Status::InvalidArgument("privacy.key_env: the environment variable " + o.key_env + " is not set");
    *key = trim_trailing_space(value);
  } else if (!o.key_file.empty()) {
    struct stat st {};
    if (o.create_key) {
      bool created = false;
      if (Status s = create_secret_file(o.key_file, 32, &created); !s.ok()) return s.with_context("privacy.key_file");
      if (created) {
        log(LogLevel::kInfo, "created a new privacy key in " + o.key_file +
                                 " (keep it: keyed hashes made with another key do not match)");
      }
    }
    if (::stat(o.key_file.c_str(), &st) != 0) {
      return Status::InvalidArgument("privacy.key_file: " + o.key_file + ": " + std::strerror(errno) +
                                     (o.create_key ? "" : " (privacy.create_key: true creates one)"));
    }
    if ((st.st_mode & S_IROTH) != 0) {
      return Status::InvalidArgument("privacy.key_file: " + o.key_file +
                                     " is readable by every user; make it readable by its owner only (chmod 600)");
    }
    std::string text;
    if (Status s = read_whole_file(o.key_file, &text); !s.ok()) return Status::InvalidArgument("privacy.key_file: " + s.message());
    *key = trim_trailing_space(text);
  } else {
    return Status::Ok();
  }
  if (key->size() < kMinKeyBytes) {
    return Status::InvalidArgument(std::string("privacy.") + (o.key_env.empty() ? "key_file" : "key_env") +
                                   ": the key must be at least 32 bytes (it has " + std::to_string(key->size()) + ")");
  }
  return Status::Ok();
}

}  // namespace

Status create_secret_file(const std::string& path, std::size_t random_bytes, bool* created) {
  *created = false;
  std::vector<unsigned char> bytes(random_bytes);
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) return Status::IoError("no random bytes for " + path);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  for (const unsigned char b : bytes) {
    text += kHex[b >> 4];
    text += kHex[b & 0xf];
  }
  text += '\n';
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return Status::Ok();
    return Status::IoError("cannot create " + path + ": " + std::strerror(errno));
  }
  Status s = write_all(fd, text, path);
  if (s.ok() && ::fsync(fd) != 0) s = Status::IoError("fsync " + path + ": " + std::strerror(errno));
  ::close(fd);
  if (s.ok()) s = fsync_dir(parent.empty() ? "." : parent.string());
  if (!s.ok()) return s;
  *created = true;
  return Status::Ok();
}

Status resolve_state_key(const Privacy& privacy, const std::string& checkpoint_dir, SipKey* out) {
  *out = {};
  if (privacy.has_key()) {
    *out = privacy.state_key();
    return Status::Ok();
  }
  if (checkpoint_dir.empty()) return Status::Ok();
  const std::string path = checkpoint_dir + "/state.salt";
  bool created = false;
  if (Status s = create_secret_file(path, sizeof(SipKey), &created); !s.ok()) return s;
  std::string text;
  if (Status s = read_whole_file(path, &text); !s.ok()) return s;
  const auto hex = [&](std::size_t at, uint64_t* v) {
    if (text.size() < at + 16) return false;
    const auto r = std::from_chars(text.data() + at, text.data() + at + 16, *v, 16);
    return r.ec == std::errc{} && r.ptr == text.data() + at + 16;
  };
  if (!hex(0, &(*out)[0]) || !hex(16, &(*out)[1])) {
    return Status::Corruption(path + " is not a state salt (32 hex digits); the checkpoints it keys cannot be used "
                              "without it");
  }
  return Status::Ok();
}

std::string_view personal_field_name(PersonalField f) { return kFieldNames[static_cast<std::size_t>(f)]; }

bool parse_personal_field(std::string_view name, PersonalField* out) {
  for (std::size_t i = 0; i < kPersonalFieldCount; ++i) {
    if (kFieldNames[i] == name) {
      *out = static_cast<PersonalField>(i);
      return true;
    }
  }
  return false;
}

bool parse_field_policy(std::string_view text, FieldPolicy* out) {
  for (std::size_t i = 0; i < std::size(kPolicyNames); ++i) {
    if (kPolicyNames[i] == text) {
      *out = static_cast<FieldPolicy>(i);
      return true;
    }
  }
  return false;
}

bool parse_dead_letter_bytes(std::string_view text, DeadLetterBytes* out) {
  if (text == "redact") {
    *out = DeadLetterBytes::kRedact;
  } else if (text == "encrypt") {
    *out = DeadLetterBytes::kEncrypt;
  } else if (text == "clear") {
    *out = DeadLetterBytes::kClear;
  } else {
    return false;
  }
  return true;
}

Privacy::~Privacy() = default;

Status Privacy::create(const PrivacyOptions& options, std::shared_ptr<const Privacy>* out) {
  std::shared_ptr<Privacy> p(new Privacy());
  std::string key;
  if (Status s = load_key(options, &key); !s.ok()) return s;
  if (!key.empty()) {
    const Digest field_key = hmac_sha256(key, "pixguard field hash v1");
    if (Status s = KeyedHash::create({reinterpret_cast<const char*>(field_key.data()), field_key.size()}, &p->hash_);
        !s.ok()) {
      return s;
    }
    p->cipher_ = std::make_unique<MessageCipher>(hmac_sha256(key, "pixguard dead letter cipher v1"));
    const Digest state = hmac_sha256(key, "pixguard state hash v1");
    std::memcpy(p->state_key_.data(), state.data(), sizeof p->state_key_);
  }
  for (std::size_t i = 0; i < kPersonalFieldCount; ++i) {
    const auto f = static_cast<PersonalField>(i);
    const bool protected_by_default =
        f == PersonalField::kPayerDocument || f == PersonalField::kPayeeDocument || f == PersonalField::kPayeeKey;
    const FieldPolicy fallback =
        protected_by_default ? (p->has_key() ? FieldPolicy::kKeyedHash : FieldPolicy::kMask) : FieldPolicy::kClear;
    p->policies_[i] = options.fields[i].value_or(fallback);
    if (p->policies_[i] == FieldPolicy::kKeyedHash && !p->has_key()) {
      return Status::InvalidArgument("privacy.fields." + std::string(kFieldNames[i]) +
                                     ": keyed_hash needs a key (privacy.key_file or privacy.key_env)");
    }
  }
  p->dead_letters_ = options.dead_letters;
  if (p->dead_letters_ == DeadLetterBytes::kEncrypt && !p->has_key()) {
    return Status::InvalidArgument("privacy.dead_letters: encrypt needs a key (privacy.key_file or privacy.key_env)");
  }
  *out = std::move(p);
  return Status::Ok();
}

std::size_t Privacy::arena_bytes(const Transaction& tx) {
  return tx.payer.document.size() + tx.payer.account.size() + tx.payee.document.size() + tx.payee.account.size() +
         tx.payee_key.size() + tx.device_id.size() + tx.ip.size() + tx.description.size() + kPersonalFieldCount * kHashChars;
}

std::string_view Privacy::apply(PersonalField f, std::string_view value, TextArena* arena,
                                KeyedHash::Scratch& scratch) const {
  if (value.empty()) return value;
  switch (policy(f)) {
    case FieldPolicy::kClear:
      return value;
    case FieldPolicy::kDrop:
      return {};
    case FieldPolicy::kKeyedHash: {
      char hex[kHashChars];
      hash_->mac_hex(value, scratch, kHashChars, hex);
      return arena->copy({hex, kHashChars});
    }
    case FieldPolicy::kMask: {
      char* dst = arena->free_space();
      const std::size_t n = value.size();
      // The last two characters stay when they are ASCII (a masked multi-byte character
      // would not be UTF-8); short values are starred whole.
      const bool keep_tail = n > 4 && static_cast<unsigned char>(value[n - 1]) < 0x80 &&
                             static_cast<unsigned char>(value[n - 2]) < 0x80;
      const std::size_t starred = keep_tail ? n - 2 : n;
      std::memset(dst, '*', starred);
      if (keep_tail) std::memcpy(dst + starred, value.data() + starred, 2);
      return arena->commit(n);
    }
  }
  return {};
}

void Privacy::protect(const Transaction& tx, Transaction* out, TextArena* arena, KeyedHash::Scratch& scratch) const {
  *out = tx;
  out->payer.document = apply(PersonalField::kPayerDocument, tx.payer.document, arena, scratch);
  out->payer.account = apply(PersonalField::kPayerAccount, tx.payer.account, arena, scratch);
  out->payee.document = apply(PersonalField::kPayeeDocument, tx.payee.document, arena, scratch);
  out->payee.account = apply(PersonalField::kPayeeAccount, tx.payee.account, arena, scratch);
  out->payee_key = apply(PersonalField::kPayeeKey, tx.payee_key, arena, scratch);
  out->device_id = apply(PersonalField::kDeviceId, tx.device_id, arena, scratch);
  out->ip = apply(PersonalField::kIp, tx.ip, arena, scratch);
  out->description = apply(PersonalField::kDescription, tx.description, arena, scratch);
}

std::string Privacy::protect_value(PersonalField f, std::string_view value) const {
  TextArena arena;
  arena.reset(value.size() + kHashChars);
  KeyedHash::Scratch scratch;
  return std::string(apply(f, value, &arena, scratch));
}

std::string Privacy::pseudonym(std::string_view value) const {
  if (!has_key()) return std::string(value.size(), '*');
  char hex[kHashChars];
  KeyedHash::Scratch scratch;
  hash_->mac_hex(value, scratch, kHashChars, hex);
  return std::string(hex, kHashChars);
}

unsigned umask_for_file_mode(unsigned file_mode) {
  unsigned mask = ~file_mode & 0666;
  mask |= (mask & 0444) >> 2;  // no r: no x on directories either
  return mask;
}

}  // namespace pixguard
