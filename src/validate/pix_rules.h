#pragma once
// The Pix field rules (docs/configuration.md, "input") as pure, allocation-free predicates.
// Each returns true when the text satisfies the rule; none throws.
#include <cstdint>
#include <string_view>

#include "core/transaction.h"

namespace pixguard {

// 8 ASCII digits.
bool is_valid_ispb(std::string_view text);

// 11 digits, the two mod-11 check digits right, not all digits equal.
bool is_valid_cpf(std::string_view text);

// 14 characters: 12 of [0-9A-Z] (the alphanumeric CNPJ from July 2026: value = ASCII - 48)
// then 2 check digits (mod 11, weights 2..9 cycling from the right). Not all equal.
bool is_valid_cnpj(std::string_view text);

// A CPF (11 chars) or a CNPJ (14 chars).
bool is_valid_document(std::string_view text);

// 32 chars: 'E' + 8-digit ISPB + yyyyMMddHHmm (a real UTC date and time) + 11 of [A-Za-z0-9].
// The year is only checked for being a calendar year; plausibility against event_time is the
// pipeline's job.
bool is_valid_end_to_end_id(std::string_view text);

// The UTC instant (seconds since epoch) encoded in a valid end-to-end id.
int64_t end_to_end_id_utc_seconds(std::string_view valid_id);

// Pix key formats by type (DICT rules):
//   CPF / CNPJ: as documents; PHONE: E.164 "+55" + 10 or 11 digits, area code (DDD) 11-99;
//   EMAIL: lower case, at most 77 chars, one '@', non-empty local part and dotted domain;
//     following the pattern of DICT's API specification, the local part is
//     [a-z0-9.!#$%&'*+/=?^_`{|}~-] and the domain labels are [a-z0-9-] (1-63 chars, no '-'
//     at either end);
//   EVP: a random UUID, lower-case 8-4-4-4-12 hex (the version nibble is not checked).
bool is_valid_pix_key(KeyType type, std::string_view key);

// Check digits for document generation (and the validators above): writes 2 ASCII digits.
// Only the first 9 (CPF) or 12 (CNPJ) characters are read; a shorter input writes "00".
void cpf_check_digits(std::string_view first9, char out[2]);
void cnpj_check_digits(std::string_view first12, char out[2]);

}  // namespace pixguard
