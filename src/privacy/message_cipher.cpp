#include "privacy/message_cipher.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>
#include <vector>

namespace pixguard {
namespace {

constexpr int kNonce = 12;
constexpr int kTag = 16;

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

}  // namespace

Status MessageCipher::seal(std::string_view plain, std::string* out) const {
  std::vector<unsigned char> sealed(kNonce + plain.size() + kTag);
  if (RAND_bytes(sealed.data(), kNonce) != 1) return Status::IoError("no random bytes for a dead letter's nonce");
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int n = 0;
  int tail = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(plain.data());
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), sealed.data()) != 1 ||
      EVP_EncryptUpdate(ctx.get(), sealed.data() + kNonce, &n, in, static_cast<int>(plain.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), sealed.data() + kNonce + n, &tail) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTag, sealed.data() + kNonce + n + tail) != 1) {
    return Status::IoError("AES-256-GCM is not available from libcrypto");
  }
  std::string encoded(4 * ((sealed.size() + 2) / 3) + 1, '\0');
  const int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()), sealed.data(),
                                  static_cast<int>(sealed.size()));
  out->append(encoded.data(), static_cast<std::size_t>(len));
  return Status::Ok();
}

Status MessageCipher::open(std::string_view sealed, std::string* plain) const {
  if (sealed.size() % 4 != 0) return Status::Corruption("a sealed dead letter is not base64");
  std::vector<unsigned char> bytes(sealed.size() / 4 * 3);
  const int decoded = EVP_DecodeBlock(bytes.data(), reinterpret_cast<const unsigned char*>(sealed.data()),
                                      static_cast<int>(sealed.size()));
  if (decoded < 0) return Status::Corruption("a sealed dead letter is not base64");
  // EVP_DecodeBlock counts the padding as zero bytes.
  std::size_t size = static_cast<std::size_t>(decoded);
  for (std::size_t i = sealed.size(); i > 0 && sealed[i - 1] == '='; --i) --size;
  if (size < static_cast<std::size_t>(kNonce + kTag)) return Status::Corruption("a sealed dead letter is too short");
  const std::size_t body = size - kNonce - kTag;
  plain->assign(body, '\0');
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int n = 0;
  int tail = 0;
  auto* out = reinterpret_cast<unsigned char*>(plain->data());
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), bytes.data()) != 1 ||
      EVP_DecryptUpdate(ctx.get(), out, &n, bytes.data() + kNonce, static_cast<int>(body)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTag, bytes.data() + kNonce + body) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), out + n, &tail) != 1) {
    plain->clear();
    return Status::Corruption("a sealed dead letter does not open with this key (another key, or changed)");
  }
  return Status::Ok();
}

}  // namespace pixguard
