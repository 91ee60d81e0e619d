#include "sources/generator.h"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <string_view>
#include <vector>

#include "core/transaction.h"
#include "validate/pix_rules.h"

// Same bytes on every build: a fused multiply-add rounds differently from a multiply then an
// add, so contraction must stay off. GCC keeps it off under -std=c++20 (ISO mode, which the
// project uses); clang needs telling.
#if defined(__clang__)
#pragma clang fp contract(off)
#endif

namespace pixguard {
namespace {

constexpr int64_t kSecondUs = 1'000'000;
constexpr int64_t kMinuteUs = 60 * kSecondUs;
constexpr int64_t kHourUs = 60 * kMinuteUs;
constexpr int64_t kDayUs = 24 * kHourUs;
// America/Sao_Paulo has had no DST since 2019, so a fixed offset is exact for our dates and
// keeps the hot path free of time-zone lookups.
constexpr int64_t kLocalOffsetUs = -3 * kHourUs;

// Room for the longest message: ~450 bytes of fields plus an escaped description.
constexpr std::size_t kMaxMessage = 2048;
constexpr std::size_t kDuplicateRing = 16;

// ---------------------------------------------------------------------------------------
// Randomness. Everything is derived from integer RNG output with + - * / and exact libm
// operations (floor, ldexp, frexp) only, so the bytes do not depend on the platform's libm
// or standard library. Never put two draws in one expression: the evaluation order of
// operands is unspecified, and it would change the stream between compilers.

uint64_t splitmix64(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// The splitmix64 finalizer: a bijection on 64-bit values (xor-shifts and odd multipliers are
// invertible), which is what makes end-to-end ids unique by construction.
uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// xoshiro256**: fast, small state, good statistical quality for simulation.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    uint64_t sm = seed;
    for (auto& word : s_) word = splitmix64(&sm);
  }

  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, n) by a 32x32 multiply-shift (Lemire, without the rejection step: the bias
  // is below 2^-32 * n and irrelevant for synthetic data).
  uint32_t below(uint32_t n) { return static_cast<uint32_t>(((next() >> 32) * n) >> 32); }

  // Uniform in [0, n) for wide ranges (microsecond offsets).
  int64_t below64(int64_t n) {
    return n <= 0 ? 0 : static_cast<int64_t>(next() % static_cast<uint64_t>(n));
  }

  // Uniform in [0, 1) with 53 random bits.
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  bool chance(double p) { return unit() < p; }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::array<uint64_t, 4> s_{};
};

// exp and log from basic arithmetic, so that they round the same everywhere (libm's may not).
// Accuracy is ~1e-15 relative, far more than the data needs.
double det_exp(double x) {
  x = std::clamp(x, -700.0, 700.0);
  const double k = std::floor(x * 1.4426950408889634 + 0.5);
  const double r = x - k * 0.6931471805599453;  // |r| <= ~0.35
  double p = 1.0 / 39916800.0;                  // Taylor series to r^11 (error < 1e-12)
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  // 2^k built from its bits: exact, and no libm call on the hot path.
  const auto bits = static_cast<uint64_t>(static_cast<int64_t>(k) + 1023) << 52;
  return p * std::bit_cast<double>(bits);
}

double det_log(double x) {  // x > 0
  int e = 0;
  double m = std::frexp(x, &e);  // x = m * 2^e, m in [0.5, 1)
  if (m < 0.7071067811865476) {
    m *= 2.0;
    --e;
  }
  // log(m) = 2 atanh(s), s = (m-1)/(m+1), |s| <= 0.172: the odd series converges fast.
  const double s = (m - 1.0) / (m + 1.0);
  const double s2 = s * s;
  double p = 1.0 / 19.0;
  for (int k = 17; k >= 1; k -= 2) p = p * s2 + 1.0 / k;
  return static_cast<double>(e) * 0.6931471805599453 + 2.0 * s * p;
}

// Approximately standard normal: Irwin-Hall with 4 uniforms, scaled to unit variance. Tails
// stop at +-3.46 sigma, which keeps amounts plausible.
double std_normal(Rng& rng) {
  double sum = rng.unit();
  sum += rng.unit();
  sum += rng.unit();
  sum += rng.unit();
  return (sum - 2.0) * 1.7320508075688772;
}

// Uniform in log space between lo and hi (both > 0): amounts of fraud span magnitudes.
int64_t log_uniform_cents(Rng& rng, int64_t lo, int64_t hi) {
  if (hi <= lo) return lo;
  const double span = det_log(static_cast<double>(hi) / static_cast<double>(lo));
  const double v = static_cast<double>(lo) * det_exp(rng.unit() * span);
  return std::max<int64_t>(lo, static_cast<int64_t>(v));
}

template <std::size_t N>
std::size_t pick_weighted(Rng& rng, const std::array<uint32_t, N>& weights, uint32_t total) {
  uint32_t u = rng.below(total);
  for (std::size_t i = 0; i < N; ++i) {
    if (u < weights[i]) return i;
    u -= weights[i];
  }
  return N - 1;
}

// ---------------------------------------------------------------------------------------
// Reference data.

// Plausible Pix participants (ISPB, market weight; weights sum to 100).
struct Institution {
  const char* ispb;
  uint32_t weight;
};
constexpr std::array<Institution, 15> kInstitutions = {{
    {"00000000", 12},  // Banco do Brasil (its ISPB really is all zeros)
    {"00360305", 11},  // Caixa
    {"60701190", 11},  // Itau
    {"60746948", 10},  // Bradesco
    {"90400888", 8},   // Santander
    {"18236120", 14},  // Nu Pagamentos
    {"00416968", 6},   // Banco Inter
    {"10573521", 6},   // Mercado Pago
    {"22896431", 5},   // PicPay
    {"31872495", 4},   // C6 Bank
    {"08561701", 4},   // PagSeguro
    {"30306294", 2},   // BTG Pactual
    {"01181521", 3},   // Sicredi
    {"02038232", 3},   // Sicoob
    {"92894922", 1},   // Banco Original
}};

std::size_t pick_institution(Rng& rng) {
  uint32_t u = rng.below(100);
  for (std::size_t i = 0; i < kInstitutions.size(); ++i) {
    if (u < kInstitutions[i].weight) return i;
    u -= kInstitutions[i].weight;
  }
  return 0;
}

// A short enum name, copied with one fixed-size move (variable-size copies are slow).
struct ShortName {
  char text[8];
  std::size_t size;
};

// Order matches pixguard::Initiation minus kNone. DICT (key) dominates real Pix traffic.
constexpr std::array<ShortName, 7> kInitiationNames = {{{"MANU", 4},
                                                        {"DICT", 4},
                                                        {"QRES", 4},
                                                        {"QRDN", 4},
                                                        {"INIC", 4},
                                                        {"APDN", 4},
                                                        {"AUTO", 4}}};
constexpr std::array<uint32_t, 7> kInitiationWeights = {8, 55, 10, 12, 5, 5, 5};
constexpr uint8_t kInitManu = 0, kInitDict = 1, kInitQrdn = 3;

constexpr std::array<ShortName, 3> kChannelNames = {{{"APP", 3}, {"IB", 2}, {"API", 3}}};
// Order matches pixguard::KeyType.
constexpr std::array<ShortName, 6> kKeyTypeNames = {
    {{"", 0}, {"CPF", 3}, {"CNPJ", 4}, {"PHONE", 5}, {"EMAIL", 5}, {"EVP", 3}}};
constexpr std::array<uint32_t, 3> kChannelWeights = {80, 15, 5};
constexpr uint8_t kChannelApp = 0, kChannelApi = 2;

// Local-hour activity weights (weekday); Saturday x0.75, Sunday x0.60.
constexpr std::array<uint32_t, 24> kHourWeights = {12, 7,   4,   3,   3,   6,   18,  45,
                                                  80, 105, 115, 120, 125, 115, 110, 110,
                                                  112, 118, 125, 120, 100, 75,  45,  25};

constexpr bool is_night_hour(int hour) { return hour >= 20 || hour < 6; }

constexpr std::array<const char*, 20> kFirstNames = {
    "maria",  "joao",  "ana",    "pedro",    "lucas",  "julia",    "gabriel",
    "beatriz", "rafael", "fernanda", "carlos", "juliana", "bruno", "camila",
    "marcos", "patricia", "diego", "larissa", "thiago", "aline"};
constexpr std::array<const char*, 16> kLastNames = {
    "silva", "santos", "oliveira", "souza", "rodrigues", "ferreira", "alves", "pereira",
    "lima",  "gomes",  "costa",    "ribeiro", "martins", "carvalho", "almeida", "lopes"};
constexpr std::array<const char*, 9> kMailDomains = {
    "gmail.com", "hotmail.com", "outlook.com", "yahoo.com.br", "uol.com.br",
    "bol.com.br", "icloud.com", "terra.com.br", "example.com.br"};
constexpr std::array<const char*, 4> kCompanyMailboxes = {"financeiro", "contato", "pix",
                                                          "vendas"};
// Brazilian area codes (DDD) in use.
constexpr std::array<uint8_t, 67> kAreaCodes = {
    11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 24, 27, 28, 31, 32, 33, 34, 35, 37, 38, 41, 42,
    43, 44, 45, 46, 47, 48, 49, 51, 53, 54, 55, 61, 62, 63, 64, 65, 66, 67, 68, 69, 71, 73, 74,
    75, 77, 79, 81, 82, 83, 84, 85, 86, 87, 88, 89, 91, 92, 93, 94, 95, 96, 97, 98, 99};

// Raw UTF-8 (escaped for JSON once, at construction): accents, emoji, quotes, a backslash,
// control characters and one near the 140-byte limit, so decoders see real-world text.
constexpr std::array<const char*, 24> kDescriptions = {
    "aluguel",
    "pagamento João",
    "mercado \"central\"",
    "almoço",
    "conta de luz",
    "presente de aniversário 🎁",
    "divisão do churrasco",
    "mensalidade escola",
    "reembolso",
    "condomínio",
    "dízimo",
    "café",
    "uber",
    "farmácia",
    "pagamento ref. NF 1234/2025",
    "caixinha do escritório",
    "parcela 3/10",
    "C:\\notas\\recibo.pdf",
    "linha 1\nlinha 2",
    "tab\tseparado",
    "açaí e pão de queijo",
    "Feliz Natal!!! 🎄🎅",
    "vaquinha \"formatura\" turma 2025",
    "Pagamento referente ao serviço de manutenção do ar-condicionado realizado em 20/11, "
    "conforme orçamento nº 4471 aprovado",
};

std::string json_escape(std::string_view raw) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const char c : raw) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (u < 0x20) {
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Fraud patterns.

enum Pattern : uint8_t {
  kNoPattern,
  kAccountTakeover,
  kMuleFanIn,
  kNightLarge,
  kFirstTimePayeeLarge,
  kCompromisedPayee,
  kPatternCount
};
constexpr std::array<const char*, kPatternCount> kPatternNames = {
    "", "account_takeover", "mule_fan_in", "night_large", "first_time_payee_large",
    "compromised_payee"};
// Share of fraud messages per pattern, and the mean messages per occurrence (must match the
// size draws in start_pattern) so that the total fraud share comes out as asked.
constexpr std::array<double, kPatternCount> kPatternShare = {0, 0.30, 0.25, 0.15, 0.15, 0.15};
constexpr std::array<double, kPatternCount> kPatternMeanSize = {1, 5.5, 20.0, 1.0, 1.0, 10.5};
// Account takeovers happen mostly at night, when the victim is asleep.
constexpr double kTakeoverNightShare = 0.6;

enum Defect : uint8_t {
  kTruncatedJson,
  kBadCpfCheckDigit,
  kBadEndToEndId,
  kNegativeAmount,
  kThreeDecimals,
  kUnknownKeyType,
  kBadEmailKey,
  kInvalidJsonSyntax,
  kMissingField,
  kWrongType,
  kDefectCount,
  kNoDefect = kDefectCount
};
constexpr std::array<const char*, kDefectCount> kDefectNames = {
    "truncated_json",    "bad_cpf_check_digit", "bad_end_to_end_id", "negative_amount",
    "amount_three_decimals", "unknown_key_type", "bad_email_key", "invalid_json_syntax",
    "missing_field",     "wrong_type"};

// ---------------------------------------------------------------------------------------
// The world: payers (the institution's customers) and payees (counterparties).

// One cache line each: a message touches one payer and one payee at random, and those two
// memory reads are most of its cost. Account numbers are derived, not stored, to fit.
struct alignas(64) PayerRec {
  char doc[14];
  uint8_t doc_len;
  uint8_t ispb;          // index into kInstitutions
  uint8_t channel;       // usual channel
  uint8_t n_usual;       // number of usual payees (2..5)
  uint32_t device;       // current device ("dev-<n>")
  uint32_t median_cents; // typical amount
  std::array<uint32_t, 5> usual;
};

struct alignas(64) PayeeRec {
  char key[44];  // the longest key is an e-mail of at most 43 chars
  char doc[14];
  uint8_t key_len;
  uint8_t doc_len;
  KeyType key_type;
  uint8_t ispb;
};
static_assert(sizeof(PayerRec) == 64 && sizeof(PayeeRec) == 64);

void make_cpf(Rng& rng, char* doc) {
  bool all_equal = true;
  do {
    for (int i = 0; i < 9; ++i) doc[i] = static_cast<char>('0' + rng.below(10));
    all_equal = std::all_of(doc + 1, doc + 9, [&](char c) { return c == doc[0]; });
  } while (all_equal);
  cpf_check_digits(std::string_view(doc, 9), doc + 9);
}

// Company documents; `alphanumeric` gives the CNPJ format introduced in July 2026
// (root characters in [0-9A-Z], check digits still numeric).
void make_cnpj(Rng& rng, char* doc, bool alphanumeric) {
  static constexpr char kAlnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  for (int i = 0; i < 8; ++i) {
    doc[i] = alphanumeric ? kAlnum[rng.below(36)] : static_cast<char>('0' + rng.below(10));
  }
  if (alphanumeric) doc[rng.below(8)] = kAlnum[10 + rng.below(26)];  // at least one letter
  std::memcpy(doc + 8, "0001", 4);
  if (rng.below(10) == 0) doc[11] = static_cast<char>('2' + rng.below(8));  // a branch
  cnpj_check_digits(std::string_view(doc, 12), doc + 12);
}

// Writes the decimal digits of v, zero-padded to `width`; returns the end.
char* put_fixed(char* p, uint64_t v, int width) {
  for (int i = width - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return p + width;
}

char* put_name(char* p, const ShortName& name) {
  std::memcpy(p, name.text, sizeof name.text);
  return p + name.size;
}

// A string literal, its length known at compile time.
template <std::size_t N>
char* put_lit(char* p, const char (&s)[N]) {
  std::memcpy(p, s, N - 1);
  return p + N - 1;
}

char* put_str(char* p, const char* s) {
  const std::size_t n = std::strlen(s);
  std::memcpy(p, s, n);
  return p + n;
}

char* put_u64(char* p, uint64_t v) { return std::to_chars(p, p + 20, v).ptr; }

// Account numbers are an affine bijection of the party's global index modulo 10^8 (the
// multiplier is coprime with 10), so no two parties share one without a registry.
uint32_t account_number(uint64_t global_index, uint64_t offset) {
  return static_cast<uint32_t>((global_index * 73'939'133ULL + offset) % 100'000'000ULL);
}

// A payee is a pure function of (world seed, index): the table caches the regular ones, and
// fresh payees for fraud (index >= payees, never used before) are built on demand without
// storage.
void make_payee(uint64_t world_seed, uint32_t index, PayeeRec* rec) {
  Rng rng(world_seed ^ mix64(0x5041594545ULL + index));
  rec->ispb = static_cast<uint8_t>(pick_institution(rng));
  const bool company = rng.below(100) < 30;
  if (company) {
    const bool alnum = rng.below(4) == 0;
    make_cnpj(rng, rec->doc, alnum);
    rec->doc_len = 14;
  } else {
    make_cpf(rng, rec->doc);
    rec->doc_len = 11;
  }
  // Key type mix: companies mostly register the CNPJ or a random key; people the CPF or phone.
  const uint32_t u = rng.below(100);
  if (company) {
    rec->key_type = u < 40 ? KeyType::kCnpj : u < 75 ? KeyType::kEvp : u < 90 ? KeyType::kEmail
                                                                                  : KeyType::kPhone;
  } else {
    rec->key_type = u < 35 ? KeyType::kCpf : u < 60 ? KeyType::kPhone : u < 85 ? KeyType::kEvp
                                                                                  : KeyType::kEmail;
  }
  char* p = rec->key;
  switch (rec->key_type) {
    case KeyType::kCpf:
    case KeyType::kCnpj:
      std::memcpy(p, rec->doc, rec->doc_len);
      p += rec->doc_len;
      break;
    case KeyType::kPhone: {
      p = put_str(p, "+55");
      p = put_fixed(p, kAreaCodes[rng.below(static_cast<uint32_t>(kAreaCodes.size()))], 2);
      *p++ = '9';
      p = put_fixed(p, rng.below(100'000'000), 8);
      break;
    }
    case KeyType::kEmail: {
      // The index in the local part keeps keys unique; all lower case (DICT stores them so).
      if (company) {
        p = put_str(p, kCompanyMailboxes[rng.below(4)]);
        p = put_str(p, "@empresa");
        p = put_u64(p, index);
        p = put_str(p, ".com.br");
      } else {
        p = put_str(p, kFirstNames[rng.below(static_cast<uint32_t>(kFirstNames.size()))]);
        static constexpr char kSeparators[] = "._";
        const uint32_t sep = rng.below(3);
        if (sep < 2) *p++ = kSeparators[sep];
        p = put_str(p, kLastNames[rng.below(static_cast<uint32_t>(kLastNames.size()))]);
        p = put_u64(p, index);
        *p++ = '@';
        p = put_str(p, kMailDomains[rng.below(static_cast<uint32_t>(kMailDomains.size()))]);
      }
      break;
    }
    case KeyType::kEvp:
    default: {
      // A version-4 UUID, lower case.
      static constexpr char kHex[] = "0123456789abcdef";
      const uint64_t hi = rng.next();
      const uint64_t lo = rng.next();
      std::array<uint8_t, 32> nib{};
      for (std::size_t i = 0; i < 16; ++i) {
        nib[i] = static_cast<uint8_t>((hi >> (60 - 4 * i)) & 15);
        nib[16 + i] = static_cast<uint8_t>((lo >> (60 - 4 * i)) & 15);
      }
      nib[12] = 4;                                          // version
      nib[16] = static_cast<uint8_t>(8 | (nib[16] & 3));    // variant 10xx
      for (std::size_t i = 0; i < 32; ++i) {
        if (i == 8 || i == 12 || i == 16 || i == 20) *p++ = '-';
        *p++ = kHex[nib[i]];
      }
      break;
    }
  }
  rec->key_len = static_cast<uint8_t>(p - rec->key);
}

// ---------------------------------------------------------------------------------------
// Calendar text, cached per day: formatting a date costs divisions, a time of day does not.

struct Civil {
  int64_t year;
  unsigned month;
  unsigned day;
};

// Howard Hinnant's days_from_civil inverse (proleptic Gregorian, day 0 = 1970-01-01).
Civil civil_from_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0);
  return {y, m, d};
}

int64_t floor_div(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

struct DayText {
  int64_t day = INT64_MIN;
  char iso[10];     // YYYY-MM-DD
  char compact[8];  // YYYYMMDD
};

void update_day(DayText* cache, int64_t day) {
  if (cache->day == day) return;
  cache->day = day;
  const Civil c = civil_from_days(day);
  const auto year = static_cast<uint64_t>(std::clamp<int64_t>(c.year, 0, 9999));
  char* p = put_fixed(cache->iso, year, 4);
  *p++ = '-';
  p = put_fixed(p, c.month, 2);
  *p++ = '-';
  put_fixed(p, c.day, 2);
  p = put_fixed(cache->compact, year, 4);
  p = put_fixed(p, c.month, 2);
  put_fixed(p, c.day, 2);
}

// "YYYY-MM-DDTHH:MM:SS[.mmm]-03:00"; the fraction only when the instant has milliseconds.
char* put_local_time(char* p, int64_t time_us, DayText* cache) {
  const int64_t local = time_us + kLocalOffsetUs;
  const int64_t day = floor_div(local, kDayUs);
  update_day(cache, day);
  std::memcpy(p, cache->iso, 10);
  p += 10;
  const int64_t in_day = local - day * kDayUs;
  const int64_t secs = in_day / kSecondUs;
  *p++ = 'T';
  p = put_fixed(p, static_cast<uint64_t>(secs / 3600), 2);
  *p++ = ':';
  p = put_fixed(p, static_cast<uint64_t>(secs / 60 % 60), 2);
  *p++ = ':';
  p = put_fixed(p, static_cast<uint64_t>(secs % 60), 2);
  const int64_t millis = in_day % kSecondUs / 1000;
  if (millis != 0) {
    *p++ = '.';
    p = put_fixed(p, static_cast<uint64_t>(millis), 3);
  }
  std::memcpy(p, "-03:00", 6);
  return p + 6;
}

int local_hour(int64_t utc_us) {
  const int64_t local = utc_us + kLocalOffsetUs;
  return static_cast<int>((local - floor_div(local, kDayUs) * kDayUs) / kHourUs);
}

// A transaction before it becomes bytes: what the pending queue holds.
struct Planned {
  int64_t time_us = 0;
  uint64_t seq = 0;  // tie-break, so equal times pop in a fixed order
  int64_t amount_cents = 0;
  uint32_t payer = 0;
  uint32_t payee = 0;  // < payees: regular; beyond: fresh
  uint32_t device = 0;
  uint8_t pattern = kNoPattern;
  uint8_t initiation = kInitDict;
  uint8_t channel = kChannelApp;
};

struct LaterFirst {  // std heap is a max-heap: invert to pop the earliest
  bool operator()(const Planned& a, const Planned& b) const {
    return a.time_us != b.time_us ? a.time_us > b.time_us : a.seq > b.seq;
  }
};

}  // namespace

// ---------------------------------------------------------------------------------------

struct Generator::Impl {
  GeneratorOptions o;
  Rng rng;
  Rng pick_rng;  // (payer, payee) of normal traffic, drawn ahead
  uint64_t world_seed;
  uint64_t account_offset;
  uint64_t id_key;  // whitens the end-to-end id counter
  uint32_t n_payers;
  uint32_t n_payees;
  std::vector<PayerRec> payers;
  std::vector<PayeeRec> payees;
  // JSON-escaped, padded so that the encoder copies them in 32-byte moves.
  struct Description {
    std::array<char, 320> text{};
    std::size_t size = 0;
  };
  std::vector<Description> descriptions;
  std::array<uint32_t, 24> hour_cum{};    // weekday hour weights, cumulative
  uint32_t hour_total = 0;

  // Event-time clock: message i sits at activity mass (i + u) / count of the whole span,
  // mapped back through hourly buckets weighted by the daily curve. Monotone by construction.
  std::vector<double> bucket_cum;  // mass before bucket b
  std::vector<double> bucket_weight;
  std::size_t bucket = 0;
  double total_mass = 0;
  double night_fraction = 0;  // share of the mass in night hours (20:00-06:00 local)
  int64_t end_time_us = 0;
  int64_t slot_time_us = 0;  // last base-clock value
  int64_t last_time_us = 0;  // latest event time emitted (non-late)

  std::array<double, kPatternCount> p_start_day{};
  std::array<double, kPatternCount> p_start_night{};

  std::vector<Planned> pending;  // min-heap by (time, seq)
  uint64_t plan_seq = 0;
  uint32_t next_fresh_payee = 0;
  uint32_t next_device = 0;
  uint64_t id_seq = 0;
  uint32_t invalid_rotation = 0;
  uint64_t produced = 0;

  std::array<std::string, kDuplicateRing> ring;
  std::array<GeneratedInfo, kDuplicateRing> ring_info;
  uint64_t ring_written = 0;

  bool last_fraud = false;
  char last_id[32] = {};
  int64_t last_reported_us = 0;

  DayText local_day;
  DayText utc_day;
  PayeeRec fresh_payee{};
  char buf[kMaxMessage + 512];  // slack for the fixed-size copies

  explicit Impl(const GeneratorOptions& options)
      : o(options),
        rng(options.seed ^ 0x70697867756172ULL),
        pick_rng(options.seed ^ 0x7069636B73ULL) {
    uint64_t sm = options.seed;
    world_seed = splitmix64(&sm);
    account_offset = splitmix64(&sm) % 100'000'000ULL;
    id_key = splitmix64(&sm);
    if (o.days == 0) o.days = 1;
    n_payers = std::max<uint32_t>(1, o.payers);
    n_payees = std::max<uint32_t>(1, o.payees);
    next_device = n_payers + 1;  // payers own dev-1..dev-N; later devices are new
    o.fraud_share = std::clamp(o.fraud_share, 0.0, 0.5);
    o.invalid_share = std::clamp(o.invalid_share, 0.0, 1.0);
    o.duplicate_share = std::clamp(o.duplicate_share, 0.0, 1.0 - o.invalid_share);
    o.late_share = std::clamp(o.late_share, 0.0, 1.0);

    for (const char* raw : kDescriptions) {
      const std::string escaped = json_escape(raw);
      Description d;
      d.size = std::min(escaped.size(), d.text.size() - 32);  // all are far shorter
      std::memcpy(d.text.data(), escaped.data(), d.size);
      descriptions.push_back(d);
    }
    uint32_t acc = 0;
    for (std::size_t h = 0; h < 24; ++h) hour_cum[h] = (acc += kHourWeights[h]);
    hour_total = acc;

    build_world();
    upcoming = pick_payer(pick_rng);
    advance_pairs();
    build_clock();
    build_pattern_rates();

    // The queue's high-water mark grows with the fraud rate and the multi-day patterns
    // (compromised payees span up to 4 days); reserving it keeps next() allocation-free.
    const double expected_fraud = static_cast<double>(o.count) * o.fraud_share;
    pending.reserve(1024 + static_cast<std::size_t>(std::min(expected_fraud * 0.5, 1e6)));
    for (auto& s : ring) s.reserve(kMaxMessage);
  }

  void build_world() {
    payees.resize(n_payees);
    for (uint32_t i = 0; i < n_payees; ++i) {
      make_payee(world_seed, i, &payees[i]);
    }
    Rng wr(world_seed ^ 0x5041594552ULL);
    payers.resize(n_payers);
    for (uint32_t i = 0; i < n_payers; ++i) {
      PayerRec& p = payers[i];
      p.ispb = static_cast<uint8_t>(pick_institution(wr));
      const bool company = wr.below(100) < 8;
      if (company) {
        const bool alnum = wr.below(4) == 0;
        make_cnpj(wr, p.doc, alnum);
        p.doc_len = 14;
      } else {
        make_cpf(wr, p.doc);
        p.doc_len = 11;
      }
      p.channel = company ? (wr.below(2) == 0 ? uint8_t{1} : uint8_t{2})
                          : static_cast<uint8_t>(pick_weighted(wr, kChannelWeights, 100));
      p.device = i + 1;
      // Typical amount: log-normal around R$ 120 (sigma 1), companies 5x larger.
      const double z = std_normal(wr);
      double median = det_exp(9.392662087 + z);  // ln(12000 cents)
      if (company) median *= 5.0;
      p.median_cents = static_cast<uint32_t>(std::clamp(median, 500.0, 2'000'000.0));
      p.n_usual = static_cast<uint8_t>(2 + wr.below(4));
      // Usual payees: a third from the popular 2% (merchants, family), the rest anywhere.
      const uint32_t popular = std::max<uint32_t>(1, n_payees / 50);
      for (std::size_t k = 0; k < p.usual.size(); ++k) {
        p.usual[k] = wr.below(3) == 0 ? wr.below(popular) : wr.below(n_payees);
      }
    }
  }

  void build_clock() {
    const std::size_t nb = static_cast<std::size_t>(o.days) * 24;
    bucket_cum.resize(nb + 1);
    bucket_weight.resize(nb);
    double night_mass = 0;
    double mass = 0;
    for (std::size_t b = 0; b < nb; ++b) {
      const int64_t mid = o.start_time_us + static_cast<int64_t>(b) * kHourUs + kHourUs / 2;
      const int64_t local = mid + kLocalOffsetUs;
      const int64_t day = floor_div(local, kDayUs);
      const int hour = local_hour(mid);
      const int64_t weekday = ((day + 4) % 7 + 7) % 7;  // 1970-01-01 was a Thursday; 0 = Sunday
      double w = kHourWeights[static_cast<std::size_t>(hour)];
      if (weekday == 6) w *= 0.75;
      if (weekday == 0) w *= 0.60;
      bucket_cum[b] = mass;
      bucket_weight[b] = w;
      mass += w;
      if (is_night_hour(hour)) night_mass += w;
    }
    bucket_cum[nb] = mass;
    total_mass = mass;
    night_fraction = night_mass / mass;
    end_time_us = o.start_time_us + static_cast<int64_t>(nb) * kHourUs;
    slot_time_us = o.start_time_us;
    last_time_us = o.start_time_us;
  }

  // Per fresh slot, the chance to start each pattern. A pattern of mean size m with share s
  // of fraud f starts s*f/m times per valid message; its later messages come from the queue
  // and displace normal ones, so only (1 - f + sum of starts) of valid slots are fresh.
  void build_pattern_rates() {
    const double f = o.fraud_share;
    std::array<double, kPatternCount> starts{};
    double start_sum = 0;
    for (std::size_t k = 1; k < kPatternCount; ++k) {
      starts[k] = f * kPatternShare[k] / kPatternMeanSize[k];
      start_sum += starts[k];
    }
    const double fresh = 1.0 - f + start_sum;
    const double nf = std::clamp(night_fraction, 1e-6, 1.0 - 1e-6);
    for (std::size_t k = 1; k < kPatternCount; ++k) {
      p_start_day[k] = starts[k] / fresh;
      p_start_night[k] = starts[k] / fresh;
    }
    p_start_day[kNightLarge] = 0;
    p_start_night[kNightLarge] = starts[kNightLarge] / (fresh * nf);
    p_start_day[kAccountTakeover] = starts[kAccountTakeover] * (1 - kTakeoverNightShare) /
                                    (fresh * (1 - nf));
    p_start_night[kAccountTakeover] =
        starts[kAccountTakeover] * kTakeoverNightShare / (fresh * nf);
  }

  int64_t next_slot_time() {
    const double u = rng.unit();
    const double m = (static_cast<double>(produced) + u) / static_cast<double>(o.count) *
                     total_mass;
    const std::size_t nb = bucket_weight.size();
    while (bucket + 1 < nb && bucket_cum[bucket + 1] <= m) ++bucket;
    const double within = std::clamp((m - bucket_cum[bucket]) / bucket_weight[bucket], 0.0, 1.0);
    const int64_t t = o.start_time_us + static_cast<int64_t>(bucket) * kHourUs +
                      static_cast<int64_t>(within * static_cast<double>(kHourUs - 1));
    slot_time_us = std::max(slot_time_us, t);  // guard against rounding at bucket edges
    return slot_time_us;
  }

  // Payers differ in activity: the first tenth is ~5x as active as the rest.
  uint32_t pick_payer(Rng& r) {
    if (r.below(10) < 4) return r.below(std::max<uint32_t>(1, n_payers / 10));
    return r.below(n_payers);
  }
  uint32_t pick_payer() { return pick_payer(rng); }

  // Normal traffic picks its (payer, payee) two messages ahead from a stream of its own and
  // prefetches their records, so the cache misses overlap with the work on earlier messages
  // (~1.5x faster with the default world). Pattern messages pick on the main stream.
  struct Pair {
    uint32_t payer;
    uint32_t payee;
  };
  Pair ready{};          // chosen; both records prefetched one message ago
  uint32_t upcoming = 0;  // payer chosen; record prefetched

  void advance_pairs() {
    ready.payer = upcoming;
    const PayerRec& p = payers[upcoming];
    if (pick_rng.below(100) < 85) {
      const uint32_t a = pick_rng.below(p.n_usual);
      const uint32_t b = pick_rng.below(p.n_usual);
      ready.payee = p.usual[std::min(a, b)];  // the first usual payees are the most usual
    } else {
      ready.payee = pick_rng.below(n_payees);
    }
    __builtin_prefetch(&payees[ready.payee]);
    upcoming = pick_payer(pick_rng);
    __builtin_prefetch(&payers[upcoming]);
  }

  Pair next_pair() {
    const Pair pair = ready;
    advance_pairs();
    return pair;
  }

  uint32_t pick_distinct_payer(const uint32_t* taken, std::size_t n_taken) {
    uint32_t p = 0;
    for (int attempt = 0; attempt < 16; ++attempt) {
      p = rng.below(n_payers);
      if (std::find(taken, taken + n_taken, p) == taken + n_taken) break;
    }
    return p;
  }

  uint8_t pick_initiation() {
    return static_cast<uint8_t>(pick_weighted(rng, kInitiationWeights, 100));
  }

  int64_t habitual_amount(const PayerRec& p) {
    const double z = std_normal(rng);
    const double v = static_cast<double>(p.median_cents) * det_exp(0.75 * z);
    int64_t cents = std::max<int64_t>(1, static_cast<int64_t>(v + 0.5));
    // People often send round amounts.
    if (cents >= 2000 && rng.below(10) < 3) cents = cents / 100 * 100;
    return cents;
  }

  void plan_normal(int64_t t, Planned* tx) {
    tx->time_us = t;
    tx->pattern = kNoPattern;
    const Pair pair = next_pair();
    tx->payer = pair.payer;
    tx->payee = pair.payee;
    PayerRec& p = payers[tx->payer];
    if (rng.below(1000) == 0) p.device = next_device++;  // a new phone now and then
    tx->amount_cents = habitual_amount(p);
    tx->initiation = pick_initiation();
    tx->channel = rng.below(10) < 9 ? p.channel
                                    : static_cast<uint8_t>(pick_weighted(rng, kChannelWeights, 100));
    tx->device = p.device;
  }

  void schedule(const Planned& tx) {
    Planned copy = tx;
    copy.seq = plan_seq++;
    pending.push_back(copy);
    std::push_heap(pending.begin(), pending.end(), LaterFirst{});
  }

  // A fraud occurrence starting at t: fills *first (emitted now) and queues the rest.
  void start_pattern(Pattern pattern, int64_t t, Planned* first) {
    Planned tx;
    tx.time_us = t;
    tx.pattern = pattern;
    switch (pattern) {
      case kAccountTakeover: {
        // A stolen session: 3-8 transfers, 15-150 s apart, from a device never seen, to
        // payees never seen (sometimes the same mule twice), for amounts far above habit.
        tx.payer = pick_payer();
        tx.device = next_device++;
        tx.channel = kChannelApp;
        const uint32_t n = 3 + rng.below(6);
        uint32_t payee = 0;
        for (uint32_t j = 0; j < n; ++j) {
          if (j == 0 || rng.below(10) < 7) payee = n_payees + next_fresh_payee++;
          tx.payee = payee;
          tx.amount_cents = log_uniform_cents(rng, 500'00, 8'000'00);
          tx.initiation = rng.below(10) < 8 ? kInitDict : kInitManu;
          if (j == 0) {
            *first = tx;
          } else {
            schedule(tx);
          }
          tx.time_us += 15 * kSecondUs + rng.below64(135 * kSecondUs);
        }
        break;
      }
      case kMuleFanIn: {
        // A mule account never seen before collects from 10-30 distinct victims within
        // 20-120 minutes (each victim on their own device and usual channel).
        const uint32_t mule = n_payees + next_fresh_payee++;
        const uint32_t n = std::min<uint32_t>(10 + rng.below(21), n_payers);
        const int64_t window = 20 * kMinuteUs + rng.below64(100 * kMinuteUs);
        std::array<uint32_t, 30> victims{};
        for (uint32_t j = 0; j < n; ++j) {
          const uint32_t v = pick_distinct_payer(victims.data(), j);
          victims[j] = v;
          tx.payer = v;
          tx.payee = mule;
          tx.device = payers[v].device;
          tx.channel = payers[v].channel;
          tx.amount_cents = log_uniform_cents(rng, 100'00, 3'000'00);
          const uint32_t u = rng.below(100);
          tx.initiation = u < 70 ? kInitDict : u < 85 ? kInitQrdn : kInitManu;
          if (j == 0) {
            tx.time_us = t;
            *first = tx;
          } else {
            tx.time_us = t + rng.below64(window);
            schedule(tx);
          }
        }
        break;
      }
      case kNightLarge: {
        // Coerced or scripted transfer at night (20:00-06:00, the Central Bank's night-limit
        // window), R$ 2,000-15,000 to someone the payer rarely pays.
        tx.payer = pick_payer();
        const PayerRec& p = payers[tx.payer];
        tx.payee = rng.below(n_payees);
        tx.device = p.device;
        tx.channel = p.channel;
        tx.amount_cents = log_uniform_cents(rng, 2'000'00, 15'000'00);
        tx.initiation = kInitDict;
        *first = tx;
        break;
      }
      case kFirstTimePayeeLarge: {
        // Social engineering: the payer, on their own device, sends a large amount
        // (at least 10x habit and R$ 1,500) to a payee nobody has paid before.
        tx.payer = pick_payer();
        const PayerRec& p = payers[tx.payer];
        tx.payee = n_payees + next_fresh_payee++;
        tx.device = p.device;
        tx.channel = p.channel;
        const int64_t lo = std::max<int64_t>(1'500'00, 10 * static_cast<int64_t>(p.median_cents));
        tx.amount_cents = log_uniform_cents(rng, lo, std::max<int64_t>(30'000'00, 3 * lo));
        tx.initiation = rng.below(10) < 7 ? kInitDict : kInitManu;
        *first = tx;
        break;
      }
      case kCompromisedPayee:
      default: {
        // An established payee turned scam account: 6-15 distinct victims pay it over 1-4
        // days (daytime, following the daily curve), each transfer later reported as fraud.
        const uint32_t payee = rng.below(n_payees);
        const uint32_t n = std::min<uint32_t>(6 + rng.below(10), n_payers);
        const int64_t span = std::min<int64_t>(static_cast<int64_t>(1 + rng.below(4)) * kDayUs,
                                               std::max<int64_t>(end_time_us - t, 1));
        std::array<uint32_t, 16> victims{};
        for (uint32_t j = 0; j < n; ++j) {
          const uint32_t v = pick_distinct_payer(victims.data(), j);
          victims[j] = v;
          tx.payer = v;
          tx.payee = payee;
          tx.device = payers[v].device;
          tx.channel = payers[v].channel;
          tx.amount_cents = log_uniform_cents(rng, 200'00, 5'000'00);
          tx.initiation = kInitDict;
          if (j == 0) {
            tx.time_us = t;
            *first = tx;
            continue;
          }
          const int64_t day_offset = rng.below64(span / kDayUs + 1);
          const int64_t hour =
              static_cast<int64_t>(std::upper_bound(hour_cum.begin(), hour_cum.end(),
                                                    rng.below(hour_total)) -
                                   hour_cum.begin());
          const int64_t local_midnight =
              floor_div(t + kLocalOffsetUs, kDayUs) * kDayUs - kLocalOffsetUs;
          int64_t when = local_midnight + (day_offset * 24 + hour) * kHourUs +
                         rng.below64(kHourUs);
          if (when < t) when += kDayUs;
          if (when > t + span) when = t + rng.below64(span);
          tx.time_us = when;
          schedule(tx);
        }
        break;
      }
    }
  }

  void plan_fresh(int64_t t, Planned* tx) {
    const auto& p = is_night_hour(local_hour(t)) ? p_start_night : p_start_day;
    double u = rng.unit();
    for (std::size_t k = 1; k < kPatternCount; ++k) {
      if (u < p[k]) {
        start_pattern(static_cast<Pattern>(k), t, tx);
        return;
      }
      u -= p[k];
    }
    plan_normal(t, tx);
  }

  // Payers and payees share one index space for accounts: payee j is party payers + j.
  uint32_t payer_account(uint32_t payer) const { return account_number(payer, account_offset); }
  uint32_t payee_account(uint32_t payee) const {
    return account_number(static_cast<uint64_t>(n_payers) + payee, account_offset);
  }

  const PayeeRec& payee_of(uint32_t index) {
    if (index < n_payees) return payees[index];
    make_payee(world_seed, index, &fresh_payee);
    return fresh_payee;
  }

  // 'E' + payer ISPB + UTC yyyyMMddHHmm + 11 base-62 chars of a bijectively whitened counter:
  // 62^11 > 2^64, so ids never repeat within a stream and look random.
  void make_id(uint8_t ispb, int64_t time_us, char* id) {
    id[0] = 'E';
    std::memcpy(id + 1, kInstitutions[ispb].ispb, 8);
    const int64_t day = floor_div(time_us, kDayUs);
    update_day(&utc_day, day);
    std::memcpy(id + 9, utc_day.compact, 8);
    const int64_t minute_of_day = (time_us - day * kDayUs) / kMinuteUs;
    put_fixed(id + 17, static_cast<uint64_t>(minute_of_day / 60), 2);
    put_fixed(id + 19, static_cast<uint64_t>(minute_of_day % 60), 2);
    static constexpr char kBase62[] =
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    // Two independent 32-bit digit chains instead of one 64-bit one (3x faster): the high 35
    // bits fit 6 digits (62^6 > 2^35), the low 29 bits fit 5 (62^5 > 2^29); still injective.
    const uint64_t v = mix64(id_seq++ ^ id_key);
    auto hi = static_cast<uint64_t>(v >> 29);
    auto lo = static_cast<uint32_t>(v & ((1U << 29) - 1));
    for (int i = 26; i >= 21; --i) {
      id[i] = kBase62[hi % 62];
      hi /= 62;
    }
    for (int i = 31; i >= 27; --i) {
      id[i] = kBase62[lo % 62];
      lo /= 62;
    }
  }

  static char* put_amount(char* p, int64_t cents) {
    p = put_u64(p, static_cast<uint64_t>(cents / 100));
    *p++ = '.';
    return put_fixed(p, static_cast<uint64_t>(cents % 100), 2);
  }

  struct Message {
    const char* id;
    int64_t time_us;
    int64_t amount_cents;
    const PayerRec* payer;
    const PayeeRec* payee;
    uint32_t payer_account;
    uint32_t payee_account;
    uint8_t initiation;
    uint8_t channel;
    uint32_t device;
    int description;  // -1: none
    int label;
    Defect defect;
    const char* alt_doc;  // kBadCpfCheckDigit: the payer document to write (11 chars)
  };

  // Writes one message into buf; returns its length. Defects change exactly one thing, so
  // each invalid message fails for the reason its name gives.
  std::size_t encode(const Message& m) {
    // Variable-length fields are copied with fixed-size moves from padded sources and the
    // cursor advanced by the real length: the buffer has room, and a fixed-size memcpy is a
    // few vector stores where a variable one costs a call or a slow `rep movs`.
    char* p = buf;
    p = put_lit(p, "{\"end_to_end_id\":\"");
    std::memcpy(p, m.id, 32);
    p += 32;
    p = put_lit(p, "\",\"event_time\":\"");
    p = put_local_time(p, m.time_us, &local_day);
    *p++ = '"';
    switch (m.defect) {
      case kMissingField:
        break;
      case kWrongType:
        p = put_lit(p, ",\"amount\":{\"value\":\"");
        p = put_amount(p, m.amount_cents);
        p = put_lit(p, "\"}");
        break;
      case kInvalidJsonSyntax:  // the colon after the key is missing
        p = put_lit(p, ",\"amount\" \"");
        p = put_amount(p, m.amount_cents);
        *p++ = '"';
        break;
      case kNegativeAmount:
        p = put_lit(p, ",\"amount\":\"-");
        p = put_amount(p, m.amount_cents);
        *p++ = '"';
        break;
      case kThreeDecimals:  // a non-zero third decimal: no reading makes it 2 decimals
        p = put_lit(p, ",\"amount\":\"");
        p = put_amount(p, m.amount_cents);
        *p++ = static_cast<char>('1' + m.amount_cents % 9);
        *p++ = '"';
        break;
      default:
        p = put_lit(p, ",\"amount\":\"");
        p = put_amount(p, m.amount_cents);
        *p++ = '"';
        break;
    }
    const PayerRec& r = *m.payer;
    p = put_lit(p, ",\"payer\":{\"account\":\"");
    p = put_fixed(p, m.payer_account, 8);
    p = put_lit(p, "\",\"ispb\":\"");
    std::memcpy(p, kInstitutions[r.ispb].ispb, 8);
    p += 8;
    p = put_lit(p, "\",\"document\":\"");
    if (m.defect == kBadCpfCheckDigit) {
      std::memcpy(p, m.alt_doc, 11);
      p += 11;
    } else {
      std::memcpy(p, r.doc, sizeof r.doc);
      p += r.doc_len;
    }
    const PayeeRec& e = *m.payee;
    p = put_lit(p, "\"},\"payee\":{\"key\":\"");
    if (m.defect == kBadEmailKey) {
      // Upper case is exactly what DICT forbids for e-mail keys.
      if (e.key_type == KeyType::kEmail) {
        for (std::size_t i = 0; i < e.key_len; ++i) {
          const char c = e.key[i];
          *p++ = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
        }
      } else {
        p = put_lit(p, "Contato");
        p = put_fixed(p, m.payee_account, 8);
        p = put_lit(p, "@Example.com.br");
      }
      p = put_lit(p, "\",\"key_type\":\"EMAIL");
    } else {
      std::memcpy(p, e.key, sizeof e.key);
      p += e.key_len;
      p = put_lit(p, "\",\"key_type\":\"");
      if (m.defect == kUnknownKeyType) {
        p = put_lit(p, "TELEFONE");
      } else {
        p = put_name(p, kKeyTypeNames[static_cast<std::size_t>(e.key_type)]);
      }
    }
    p = put_lit(p, "\",\"account\":\"");
    p = put_fixed(p, m.payee_account, 8);
    p = put_lit(p, "\",\"ispb\":\"");
    std::memcpy(p, kInstitutions[e.ispb].ispb, 8);
    p += 8;
    p = put_lit(p, "\",\"document\":\"");
    std::memcpy(p, e.doc, sizeof e.doc);
    p += e.doc_len;
    p = put_lit(p, "\"},\"initiation\":\"");
    p = put_name(p, kInitiationNames[m.initiation]);
    p = put_lit(p, "\",\"channel\":\"");
    p = put_name(p, kChannelNames[m.channel]);
    p = put_lit(p, "\",\"device_id\":\"dev-");
    p = put_u64(p, m.device);
    *p++ = '"';
    if (m.description >= 0) {
      const Description& d = descriptions[static_cast<std::size_t>(m.description)];
      p = put_lit(p, ",\"description\":\"");
      for (std::size_t i = 0; i < d.size; i += 32) std::memcpy(p + i, d.text.data() + i, 32);
      p += d.size;
      *p++ = '"';
    }
    p = m.label ? put_lit(p, ",\"label\":1}") : put_lit(p, ",\"label\":0}");
    std::size_t n = static_cast<std::size_t>(p - buf);
    if (m.defect == kTruncatedJson) n /= 2;
    return n;
  }

  int pick_description() {
    if (rng.below(10) >= 4) return -1;
    return static_cast<int>(rng.below(static_cast<uint32_t>(descriptions.size())));
  }

  // Wire precision: API integrations send milliseconds, apps and internet banking whole
  // seconds. Never below the latest emitted time, so in-order messages stay in order.
  int64_t wire_time(int64_t t, uint8_t channel) const {
    const int64_t unit = channel == kChannelApi ? 1000 : kSecondUs;
    return std::max(floor_div(t, unit) * unit, last_time_us);
  }

  void emit_valid(const Planned& tx, std::string* out, GeneratedInfo* info) {
    int64_t time = std::max(tx.time_us, last_time_us);
    bool late = false;
    if (o.max_lateness_us > 0 && o.late_share > 0 && rng.chance(o.late_share)) {
      late = true;
      const int64_t back = 1 + rng.below64(o.max_lateness_us);
      const int64_t unit = tx.channel == kChannelApi ? 1000 : kSecondUs;
      time = floor_div(last_time_us - back, unit) * unit;
    } else {
      time = wire_time(time, tx.channel);
      last_time_us = time;
    }
    const PayerRec& payer = payers[tx.payer];
    char id[32];
    make_id(payer.ispb, time, id);
    const bool fraud = tx.pattern != kNoPattern;
    Message m{id,
              time,
              tx.amount_cents,
              &payer,
              &payee_of(tx.payee),
              payer_account(tx.payer),
              payee_account(tx.payee),
              tx.initiation,
              tx.channel,
              tx.device,
              pick_description(),
              fraud ? 1 : 0,
              kNoDefect,
              nullptr};
    const std::size_t n = encode(m);
    out->append(buf, n);

    GeneratedInfo& slot_info = ring_info[ring_written % kDuplicateRing];
    slot_info = GeneratedInfo{};
    slot_info.fraud = fraud;
    slot_info.late = late;
    slot_info.pattern = kPatternNames[tx.pattern];
    slot_info.event_time_us = time;
    last_fraud = fraud;
    if (fraud) {
      // Reports (MED claims, DICT marks) come label_delay_days later, at some hour.
      const int64_t jitter = static_cast<int64_t>(rng.below(12 * 3600)) * kSecondUs;
      slot_info.reported_at_us = floor_div(time, kSecondUs) * kSecondUs +
                                 static_cast<int64_t>(o.label_delay_days) * kDayUs + jitter;
      std::memcpy(last_id, id, 32);
      last_reported_us = slot_info.reported_at_us;
    }
    ring[ring_written % kDuplicateRing].assign(buf, n);
    ++ring_written;
    if (info) *info = slot_info;
  }

  void emit_invalid(int64_t t, std::string* out, GeneratedInfo* info) {
    const auto defect = static_cast<Defect>(invalid_rotation++ % kDefectCount);
    Planned tx;
    plan_normal(t, &tx);
    const PayerRec& payer = payers[tx.payer];
    char bad_doc[11];
    if (payer.doc_len == 11) {
      std::memcpy(bad_doc, payer.doc, 11);
    } else {
      make_cpf(rng, bad_doc);  // the payer is a company: write a (broken) CPF instead
    }
    bad_doc[10] = static_cast<char>('0' + (bad_doc[10] - '0' + 1) % 10);
    const int64_t time = wire_time(std::max(t, last_time_us), tx.channel);
    char id[32];
    make_id(payer.ispb, time, id);
    if (defect == kBadEndToEndId) id[26] = '-';  // still 32 chars, but not alphanumeric
    Message m{id,
              time,
              tx.amount_cents,
              &payer,
              &payee_of(tx.payee),
              payer_account(tx.payer),
              payee_account(tx.payee),
              tx.initiation,
              tx.channel,
              tx.device,
              pick_description(),
              0,
              defect,
              bad_doc};
    out->append(buf, encode(m));
    last_fraud = false;
    if (info) {
      *info = GeneratedInfo{};
      info->kind = GeneratedInfo::Kind::kInvalid;
      info->defect = kDefectNames[defect];
      info->event_time_us = time;
    }
  }

  bool next(std::string* out, GeneratedInfo* info) {
    if (produced >= o.count) return false;
    const int64_t t = next_slot_time();
    const double u = rng.unit();
    if (u < o.invalid_share) {
      emit_invalid(t, out, info);
    } else if (u < o.invalid_share + o.duplicate_share && ring_written > 0) {
      const uint64_t filled = std::min<uint64_t>(ring_written, kDuplicateRing);
      const std::size_t slot = rng.below(static_cast<uint32_t>(filled));
      out->append(ring[slot]);
      last_fraud = false;
      if (info) {
        *info = ring_info[slot];
        info->kind = GeneratedInfo::Kind::kDuplicate;
      }
    } else {
      Planned tx;
      if (!pending.empty() && pending.front().time_us <= t) {
        std::pop_heap(pending.begin(), pending.end(), LaterFirst{});
        tx = pending.back();
        pending.pop_back();
      } else {
        plan_fresh(t, &tx);
      }
      emit_valid(tx, out, info);
    }
    ++produced;
    return true;
  }

  bool last_label(std::string* out) const {
    if (!last_fraud) return false;
    char line[128];
    char* p = line;
    p = put_lit(p, "{\"end_to_end_id\":\"");
    std::memcpy(p, last_id, 32);
    p += 32;
    p = put_lit(p, "\",\"reported_at\":\"");
    DayText day;  // a local cache: this method is const
    p = put_local_time(p, last_reported_us, &day);
    p = put_lit(p, "\",\"fraud\":1}");
    out->append(line, static_cast<std::size_t>(p - line));
    return true;
  }
};

Generator::Generator(const GeneratorOptions& options) : impl_(new Impl(options)) {}
std::vector<std::string> generate_messages(const GeneratorOptions& options) {
  Generator gen(options);
  std::vector<std::string> messages;
  std::string m;
  while (gen.next(&m)) {
    messages.push_back(m);
    m.clear();
  }
  return messages;
}

Generator::~Generator() { delete impl_; }
bool Generator::next(std::string* out, GeneratedInfo* info) { return impl_->next(out, info); }
bool Generator::last_label(std::string* out) const { return impl_->last_label(out); }
uint64_t Generator::produced() const { return impl_->produced; }

std::string_view generated_payer_account(std::string_view message) {
  constexpr std::string_view kAt = "\"payer\":{\"account\":\"";
  const std::size_t at = message.find(kAt);
  if (at == std::string_view::npos) return {};
  const std::size_t start = at + kAt.size(), end = message.find('"', start);
  return end == std::string_view::npos ? std::string_view() : message.substr(start, end - start);
}

}  // namespace pixguard
