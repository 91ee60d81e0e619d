#include "privacy/keyed_hash.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstring>
#include <new>

namespace pixguard {
namespace {

constexpr std::size_t kBlock = 64;  // SHA-256's block size

bool digest_into(EVP_MD_CTX* ctx, const unsigned char* bytes, std::size_t n) {
  return EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 && EVP_DigestUpdate(ctx, bytes, n) == 1;
}

}  // namespace

KeyedHash::KeyedHash() : inner_(EVP_MD_CTX_new()), outer_(EVP_MD_CTX_new()) {
  if (inner_ == nullptr || outer_ == nullptr) throw std::bad_alloc();
}

KeyedHash::~KeyedHash() {
  EVP_MD_CTX_free(inner_);
  EVP_MD_CTX_free(outer_);
}

Status KeyedHash::create(std::string_view key, std::unique_ptr<KeyedHash>* out) {
  std::unique_ptr<KeyedHash> h(new KeyedHash());
  unsigned char block[kBlock] = {};
  if (key.size() > kBlock) {
    unsigned int n = 0;
    if (EVP_Digest(key.data(), key.size(), block, &n, EVP_sha256(), nullptr) != 1) {
      return Status::Unsupported("SHA-256 is not available from libcrypto");
    }
  } else if (!key.empty()) {
    std::memcpy(block, key.data(), key.size());
  }
  unsigned char pad[kBlock];
  for (std::size_t i = 0; i < kBlock; ++i) pad[i] = block[i] ^ 0x36;
  const bool inner_ok = digest_into(h->inner_, pad, kBlock);
  for (std::size_t i = 0; i < kBlock; ++i) pad[i] = block[i] ^ 0x5c;
  const bool outer_ok = digest_into(h->outer_, pad, kBlock);
  if (!inner_ok || !outer_ok) return Status::Unsupported("SHA-256 is not available from libcrypto");
  *out = std::move(h);
  return Status::Ok();
}

KeyedHash::Scratch::Scratch() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr) throw std::bad_alloc();
}

KeyedHash::Scratch::~Scratch() { EVP_MD_CTX_free(ctx_); }

Digest KeyedHash::mac(std::string_view value, Scratch& scratch) const {
  Digest inner{};
  Digest out{};
  unsigned int n = 0;
  // The contexts were set up in create(); these calls fail only on allocation failure,
  // which OpenSSL reports by returning 0: treat it as the allocation failure it is.
  if (EVP_MD_CTX_copy_ex(scratch.ctx_, inner_) != 1 || EVP_DigestUpdate(scratch.ctx_, value.data(), value.size()) != 1 ||
      EVP_DigestFinal_ex(scratch.ctx_, inner.data(), &n) != 1 || EVP_MD_CTX_copy_ex(scratch.ctx_, outer_) != 1 ||
      EVP_DigestUpdate(scratch.ctx_, inner.data(), inner.size()) != 1 ||
      EVP_DigestFinal_ex(scratch.ctx_, out.data(), &n) != 1) {
    throw std::bad_alloc();
  }
  return out;
}

void KeyedHash::mac_hex(std::string_view value, Scratch& scratch, std::size_t hex_chars, char* out) const {
  static constexpr char kHex[] = "0123456789abcdef";
  const Digest d = mac(value, scratch);
  for (std::size_t i = 0; i < hex_chars && i < 64; ++i) {
    const unsigned char byte = d[i / 2];
    out[i] = kHex[(i % 2 == 0) ? byte >> 4 : byte & 0xf];
  }
}

Digest hmac_sha256(std::string_view key, std::string_view value) {
  Digest out{};
  unsigned int n = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(value.data()),
           value.size(), out.data(), &n) == nullptr) {
    throw std::bad_alloc();
  }
  return out;
}

}  // namespace pixguard
