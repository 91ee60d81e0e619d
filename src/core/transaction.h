#pragma once
// A validated Pix transaction (docs/configuration.md, "input"). String fields are views into the
// batch that decoded it (see RecordBatch): a Transaction never outlives its batch.
#include <cstdint>
#include <string_view>

namespace pixguard {

enum class KeyType : unsigned char { kNone, kCpf, kCnpj, kPhone, kEmail, kEvp };
enum class Initiation : unsigned char { kNone, kManu, kDict, kQres, kQrdn, kInic, kApdn, kAuto };

std::string_view key_type_name(KeyType t);
std::string_view initiation_name(Initiation i);
bool parse_key_type(std::string_view text, KeyType* out);
bool parse_initiation(std::string_view text, Initiation* out);

struct Party {
  std::string_view account;
  std::string_view ispb;
  std::string_view document;
};

struct Transaction {
  std::string_view end_to_end_id;
  int64_t event_time_us = 0;  // microseconds since the Unix epoch, UTC
  int64_t amount_cents = 0;   // BRL centavos; never a float
  bool amount_rounded = false;  // had digits below the centavo, rounded (input.amount.decimals)
  Party payer;
  Party payee;
  std::string_view payee_key;
  KeyType payee_key_type = KeyType::kNone;
  Initiation initiation = Initiation::kNone;
  std::string_view channel;
  std::string_view device_id;
  std::string_view ip;
  std::string_view description;
  int8_t label = -1;  // known fraud outcome: 1 fraud, 0 legitimate, -1 unknown
};

}  // namespace pixguard
