#include "core/transaction.h"

#include <array>

namespace pixguard {
namespace {
constexpr std::array<std::string_view, 6> kKeyTypeNames = {"", "CPF", "CNPJ", "PHONE", "EMAIL", "EVP"};
constexpr std::array<std::string_view, 8> kInitiationNames = {"",     "MANU", "DICT", "QRES",
                                                              "QRDN", "INIC", "APDN", "AUTO"};
}  // namespace

std::string_view key_type_name(KeyType t) { return kKeyTypeNames[static_cast<std::size_t>(t)]; }
std::string_view initiation_name(Initiation i) { return kInitiationNames[static_cast<std::size_t>(i)]; }

bool parse_key_type(std::string_view text, KeyType* out) {
  for (std::size_t i = 1; i < kKeyTypeNames.size(); ++i) {
    if (kKeyTypeNames[i] == text) {
      *out = static_cast<KeyType>(i);
      return true;
    }
  }
  return false;
}

bool parse_initiation(std::string_view text, Initiation* out) {
  for (std::size_t i = 1; i < kInitiationNames.size(); ++i) {
    if (kInitiationNames[i] == text) {
      *out = static_cast<Initiation>(i);
      return true;
    }
  }
  return false;
}

}  // namespace pixguard
