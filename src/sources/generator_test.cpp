#include "sources/generator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <map>
#include <new>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/transaction.h"
#include "validate/pix_rules.h"

// Counts heap allocations, so a test can prove next() allocates nothing in steady state.
namespace {
std::atomic<uint64_t> g_allocations{0};
}  // namespace

// GCC flags free() on memory from the (replaced) operator new once both are inlined into a
// caller; here they are a matched pair by construction.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace pixguard {
namespace {

using Json = nlohmann::ordered_json;  // keeps key order, so the shape is checked too
using Kind = GeneratedInfo::Kind;

constexpr int64_t kSecondUs = 1'000'000;
constexpr int64_t kHourUs = 3600 * kSecondUs;
constexpr int64_t kDayUs = 24 * kHourUs;

struct Produced {
  std::string bytes;
  GeneratedInfo info;
  std::string label_line;  // last_label() right after this message
};

std::vector<Produced> generate(const GeneratorOptions& options) {
  Generator gen(options);
  std::vector<Produced> all;
  all.reserve(options.count);
  Produced p;
  while (gen.next(&p.bytes, &p.info)) {
    gen.last_label(&p.label_line);
    all.push_back(p);
    p.bytes.clear();
    p.label_line.clear();
  }
  return all;
}

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int64_t num(std::string_view s) {
  int64_t v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

// Strict reader for the generator's event_time: "YYYY-MM-DDTHH:MM:SS[.mmm]-03:00".
bool parse_local_time(std::string_view s, int64_t* us) {
  if (s.size() != 25 && s.size() != 29) return false;
  if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':') return false;
  if (s.substr(s.size() - 6) != "-03:00") return false;
  if (!all_digits(s.substr(0, 4)) || !all_digits(s.substr(5, 2)) || !all_digits(s.substr(8, 2)) ||
      !all_digits(s.substr(11, 2)) || !all_digits(s.substr(14, 2)) || !all_digits(s.substr(17, 2))) {
    return false;
  }
  int64_t millis = 0;
  if (s.size() == 29) {
    if (s[19] != '.' || !all_digits(s.substr(20, 3))) return false;
    millis = num(s.substr(20, 3));
  }
  const int64_t days = days_from_civil(num(s.substr(0, 4)), static_cast<unsigned>(num(s.substr(5, 2))),
                                       static_cast<unsigned>(num(s.substr(8, 2))));
  const int64_t secs = num(s.substr(11, 2)) * 3600 + num(s.substr(14, 2)) * 60 + num(s.substr(17, 2));
  *us = (days * 86400 + secs + 3 * 3600) * kSecondUs + millis * 1000;
  return true;
}

// "yyyyMMddHHmm" of a UTC instant.
std::string utc_minute_text(int64_t us) {
  const int64_t secs = us / kSecondUs;
  int64_t z = secs / 86400 + 719468;
  const int64_t era = z / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0);
  const int64_t sod = secs % 86400;
  char text[64];
  std::snprintf(text, sizeof text, "%04lld%02u%02u%02lld%02lld", static_cast<long long>(y), m, d,
                static_cast<long long>(sod / 3600), static_cast<long long>(sod / 60 % 60));
  return text;
}

int local_hour(int64_t us) {
  const int64_t local = us - 3 * kHourUs;
  return static_cast<int>((local % kDayUs + kDayUs) % kDayUs / kHourUs);
}

bool is_night(int64_t us) {
  const int h = local_hour(us);
  return h >= 20 || h < 6;
}

int64_t amount_cents(const Json& msg) {
  const std::string s = msg["amount"].get<std::string>();
  const auto dot = s.find('.');
  return num(s.substr(0, dot)) * 100 + num(s.substr(dot + 1));
}

std::string payee_id(const Json& msg) {
  return msg["payee"]["ispb"].get<std::string>() + "/" + msg["payee"]["account"].get<std::string>();
}
std::string payer_id(const Json& msg) {
  return msg["payer"]["ispb"].get<std::string>() + "/" + msg["payer"]["account"].get<std::string>();
}

std::size_t utf8_length(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

GeneratorOptions busy_options(uint64_t count) {
  GeneratorOptions o;
  o.count = count;
  o.payers = 20'000;
  o.payees = 30'000;
  o.fraud_share = 0.02;
  o.invalid_share = 0.01;
  o.duplicate_share = 0.01;
  o.late_share = 0.02;
  return o;
}

// One shared stream for the many checks that only read it (generation and parsing are the
// slow part of this file).
const std::vector<Produced>& busy_stream() {
  static const std::vector<Produced> stream = generate(busy_options(100'000));
  return stream;
}

// The fields of a valid message that the behaviour tests group by (parsed once).
struct Fields {
  std::string payer;  // ispb/account
  std::string payee;  // ispb/account
  std::string device;
  int64_t amount = 0;
};

const std::vector<Fields>& busy_fields() {
  static const std::vector<Fields> fields = [] {
    std::vector<Fields> all(busy_stream().size());
    for (std::size_t i = 0; i < all.size(); ++i) {
      const Produced& p = busy_stream()[i];
      if (p.info.kind != Kind::kValid) continue;
      const Json msg = Json::parse(p.bytes);
      all[i] = {payer_id(msg), payee_id(msg), msg["device_id"].get<std::string>(), amount_cents(msg)};
    }
    return all;
  }();
  return fields;
}

TEST(Generator, SameSeedGivesSameBytes) {
  GeneratorOptions o;
  o.count = 100'000;
  o.seed = 7;
  Generator a(o);
  Generator b(o);
  std::string x, y;
  GeneratedInfo ia, ib;
  uint64_t n = 0;
  while (a.next(&x, &ia)) {
    ASSERT_TRUE(b.next(&y, &ib));
    ASSERT_EQ(x, y) << "message " << n;
    ASSERT_EQ(ia.kind, ib.kind);
    ASSERT_EQ(ia.event_time_us, ib.event_time_us);
    ASSERT_STREQ(ia.pattern, ib.pattern);
    x.clear();
    y.clear();
    ++n;
  }
  EXPECT_FALSE(b.next(&y));
  EXPECT_EQ(n, 100'000u);
}

TEST(Generator, DifferentSeedGivesDifferentBytes) {
  GeneratorOptions o;
  o.count = 10'000;
  o.seed = 7;
  Generator a(o);
  o.seed = 8;
  Generator b(o);
  std::string x, y;
  int same = 0;
  while (a.next(&x)) {
    ASSERT_TRUE(b.next(&y));
    same += x == y;
    x.clear();
    y.clear();
  }
  EXPECT_EQ(same, 0);
}

TEST(Generator, CountIsRespected) {
  GeneratorOptions o;
  o.count = 1234;
  Generator gen(o);
  std::string out;
  uint64_t n = 0;
  while (gen.next(&out)) ++n;
  EXPECT_EQ(n, 1234u);
  EXPECT_EQ(gen.produced(), 1234u);
  const std::size_t size = out.size();
  EXPECT_FALSE(gen.next(&out));
  EXPECT_EQ(out.size(), size) << "nothing is appended after the end";

  o.count = 0;
  Generator empty(o);
  EXPECT_FALSE(empty.next(&out));
  EXPECT_EQ(empty.produced(), 0u);
}

TEST(Generator, SharesAreWithinTolerance) {
  const auto& stream = busy_stream();
  const GeneratorOptions o = busy_options(100'000);
  double invalid = 0, duplicate = 0, valid = 0, fraud = 0, late = 0;
  std::map<std::string, double> by_pattern;
  for (const auto& p : stream) {
    switch (p.info.kind) {
      case Kind::kInvalid: ++invalid; break;
      case Kind::kDuplicate: ++duplicate; break;
      case Kind::kValid:
        ++valid;
        fraud += p.info.fraud;
        late += p.info.late;
        if (p.info.fraud) ++by_pattern[p.info.pattern];
        break;
    }
  }
  const double n = static_cast<double>(stream.size());
  EXPECT_NEAR(invalid / n, o.invalid_share, o.invalid_share * 0.15);
  EXPECT_NEAR(duplicate / n, o.duplicate_share, o.duplicate_share * 0.15);
  EXPECT_NEAR(fraud / valid, o.fraud_share, o.fraud_share * 0.15);
  EXPECT_NEAR(late / valid, o.late_share, o.late_share * 0.15);
  // Every pattern is present in about its designed proportion of fraud.
  const std::map<std::string, double> designed = {{"account_takeover", 0.30},
                                                  {"mule_fan_in", 0.25},
                                                  {"night_large", 0.15},
                                                  {"first_time_payee_large", 0.15},
                                                  {"compromised_payee", 0.15}};
  for (const auto& [name, share] : designed) {
    EXPECT_NEAR(by_pattern[name] / fraud, share, share * 0.35) << name;
  }
}

TEST(Generator, ValidMessagesFollowPixRules) {
  const auto& stream = busy_stream();
  std::unordered_set<std::string> ids;
  const std::vector<std::string> keys = {"end_to_end_id", "event_time", "amount", "payer", "payee",
                                         "initiation",    "channel",    "device_id"};
  const std::set<std::string> initiations = {"MANU", "DICT", "QRES", "QRDN", "INIC", "APDN", "AUTO"};
  const std::set<std::string> channels = {"APP", "IB", "API"};
  std::map<std::string, int> initiation_count;
  int alnum_cnpj = 0, cnpj = 0, with_millis = 0, escaped_description = 0, with_description = 0;
  std::set<std::string> key_types;
  for (const auto& p : stream) {
    if (p.info.kind != Kind::kValid) continue;
    const Json msg = Json::parse(p.bytes);
    // Shape: the default keys in order, then the optional description, then label.
    std::vector<std::string> got;
    for (const auto& item : msg.items()) got.push_back(item.key());
    std::vector<std::string> want = keys;
    if (msg.contains("description")) want.push_back("description");
    want.push_back("label");
    ASSERT_EQ(got, want) << p.bytes;

    const std::string id = msg["end_to_end_id"];
    const std::string payer_ispb = msg["payer"]["ispb"];
    ASSERT_EQ(id.size(), 32u);
    ASSERT_EQ(id.substr(0, 9), "E" + payer_ispb) << id;
    ASSERT_TRUE(is_valid_end_to_end_id(id)) << id;
    ASSERT_TRUE(ids.insert(id).second) << "repeated id " << id;

    int64_t t = 0;
    ASSERT_TRUE(parse_local_time(msg["event_time"].get<std::string>(), &t)) << p.bytes;
    ASSERT_EQ(t, p.info.event_time_us);
    ASSERT_EQ(id.substr(9, 12), utc_minute_text(t)) << "the id carries the UTC minute";
    ASSERT_EQ(end_to_end_id_utc_seconds(id), t / kSecondUs / 60 * 60);
    with_millis += msg["event_time"].get<std::string>().size() == 29;

    const std::string amount = msg["amount"];
    const auto dot = amount.find('.');
    ASSERT_NE(dot, std::string::npos) << amount;
    ASSERT_TRUE(all_digits(amount.substr(0, dot)) && all_digits(amount.substr(dot + 1)) &&
                amount.size() - dot == 3)
        << amount;
    ASSERT_GT(amount_cents(msg), 0);

    for (const char* side : {"payer", "payee"}) {
      const std::string doc = msg[side]["document"];
      ASSERT_TRUE(is_valid_ispb(msg[side]["ispb"].get<std::string>()));
      ASSERT_TRUE(is_valid_document(doc)) << side << " " << doc;
      ASSERT_TRUE(all_digits(msg[side]["account"].get<std::string>()));
      if (doc.size() == 14) {
        ++cnpj;
        alnum_cnpj += !all_digits(doc);
      }
    }
    KeyType type = KeyType::kNone;
    const std::string key = msg["payee"]["key"];
    const std::string key_type = msg["payee"]["key_type"];
    ASSERT_TRUE(parse_key_type(key_type, &type)) << key_type;
    ASSERT_TRUE(is_valid_pix_key(type, key)) << key_type << " " << key;
    key_types.insert(key_type);
    if (type == KeyType::kCpf || type == KeyType::kCnpj) {
      ASSERT_EQ(key, msg["payee"]["document"]);
    }
    if (type == KeyType::kPhone) {
      ASSERT_EQ(key.size(), 14u);
      ASSERT_EQ(key.substr(0, 3), "+55");
      ASSERT_GE(num(key.substr(3, 2)), 11);
      ASSERT_EQ(key[5], '9');
    }
    if (type == KeyType::kEmail) {
      ASSERT_LE(key.size(), 77u);
      ASSERT_TRUE(std::none_of(key.begin(), key.end(), [](char c) { return c >= 'A' && c <= 'Z'; }));
    }
    ASSERT_TRUE(initiations.count(msg["initiation"].get<std::string>()));
    ++initiation_count[msg["initiation"].get<std::string>()];
    ASSERT_TRUE(channels.count(msg["channel"].get<std::string>()));
    const std::string device = msg["device_id"];
    ASSERT_EQ(device.substr(0, 4), "dev-");
    ASSERT_TRUE(all_digits(device.substr(4)));
    if (msg.contains("description")) {
      const std::string d = msg["description"];
      ASSERT_LE(utf8_length(d), 140u);
      ASSERT_LE(d.size(), 140u);
      ++with_description;
      escaped_description += d.find_first_of("\"\\\n\t") != std::string::npos;
    }
    ASSERT_EQ(msg["label"].get<int>(), p.info.fraud ? 1 : 0);
  }
  EXPECT_EQ(key_types.size(), 5u);
  EXPECT_GT(alnum_cnpj, 0);
  EXPECT_LT(alnum_cnpj, cnpj);
  EXPECT_GT(with_millis, 0);
  EXPECT_GT(with_description, 0);
  EXPECT_GT(escaped_description, 0);
  // DICT (key-initiated) is the most common initiation, as in real Pix traffic.
  for (const auto& [name, n] : initiation_count) {
    if (name != "DICT") {
      EXPECT_LT(n, initiation_count["DICT"]) << name;
    }
  }
}

TEST(Generator, EventTimesAscendExceptLateMessages) {
  const auto& stream = busy_stream();
  const GeneratorOptions o = busy_options(100'000);
  int64_t latest = INT64_MIN;
  int late = 0;
  std::array<int64_t, 24> by_hour{};
  std::array<int64_t, 7> by_weekday{};
  for (const auto& p : stream) {
    if (p.info.kind != Kind::kValid) continue;
    const int64_t t = p.info.event_time_us;
    if (p.info.late) {
      ++late;
      ASSERT_LT(t, latest);
      ASSERT_GE(t, latest - o.max_lateness_us - kSecondUs);
    } else {
      ASSERT_GE(t, latest);
      latest = t;
    }
    ASSERT_GE(t, o.start_time_us - o.max_lateness_us - kSecondUs);
    ASSERT_LE(t, o.start_time_us + static_cast<int64_t>(o.days) * kDayUs);
    ++by_hour[static_cast<std::size_t>(local_hour(t))];
    ++by_weekday[static_cast<std::size_t>(((t - 3 * kHourUs) / kDayUs + 4) % 7)];
  }
  EXPECT_GT(late, 0);
  // Daily curve: the 03:00 hour is far quieter than noon; Sunday lighter than Wednesday.
  EXPECT_LT(by_hour[3] * 10, by_hour[12]);
  EXPECT_LT(by_weekday[0], by_weekday[3] * 8 / 10);
  EXPECT_GT(by_weekday[0], 0);
}

TEST(Generator, FraudLabelsOnlyOnPatternMessages) {
  for (const auto& p : busy_stream()) {
    if (p.info.kind == Kind::kInvalid) {
      EXPECT_FALSE(p.info.fraud);
      continue;
    }
    const bool has_pattern = p.info.pattern[0] != '\0';
    ASSERT_EQ(p.info.fraud, has_pattern);
    ASSERT_NE(p.bytes.find(p.info.fraud ? "\"label\":1}" : "\"label\":0}"), std::string::npos);
  }
}

TEST(Generator, FraudPatternsHaveTheirShape) {
  const auto& stream = busy_stream();
  struct Group {
    std::set<std::string> payers;
    std::set<std::string> payees;
    int64_t first = INT64_MAX;
    int64_t last = INT64_MIN;
    int n = 0;
  };
  std::map<std::string, Group> mules, compromised, takeovers;
  std::set<std::string> seen_payees;
  std::map<std::string, std::set<std::string>> devices_of_payer;
  int takeover_night = 0, takeovers_total = 0;
  for (std::size_t i = 0; i < stream.size(); ++i) {
    const Produced& p = stream[i];
    if (p.info.kind != Kind::kValid) continue;
    const std::string pattern = p.info.pattern;
    const std::string& payer = busy_fields()[i].payer;
    const std::string& payee = busy_fields()[i].payee;
    const std::string& device = busy_fields()[i].device;
    const int64_t amount = busy_fields()[i].amount;
    const int64_t t = p.info.event_time_us;
    auto add = [&](Group& g) {
      g.payers.insert(payer);
      g.payees.insert(payee);
      g.first = std::min(g.first, t);
      g.last = std::max(g.last, t);
      ++g.n;
    };
    if (pattern == "mule_fan_in") {
      Group& g = mules[payee];
      if (g.n == 0) {
        EXPECT_FALSE(seen_payees.count(payee)) << "a mule account is new";
      }
      add(g);
    } else if (pattern == "compromised_payee") {
      add(compromised[payee]);
    } else if (pattern == "account_takeover") {
      Group& g = takeovers[payer + "|" + device];
      if (g.n == 0) {
        EXPECT_FALSE(devices_of_payer[payer].count(device)) << "a takeover uses a new device";
        ++takeovers_total;
        takeover_night += is_night(t);
      }
      if (!g.payees.count(payee)) {
        EXPECT_FALSE(seen_payees.count(payee)) << "to new payees";
      }
      add(g);
    } else if (pattern == "night_large") {
      EXPECT_TRUE(is_night(t)) << p.bytes;
      EXPECT_GE(amount, 2'000'00);
    } else if (pattern == "first_time_payee_large") {
      EXPECT_FALSE(seen_payees.count(payee)) << "a never-seen payee";
      EXPECT_GE(amount, 1'500'00);
    }
    seen_payees.insert(payee);
    devices_of_payer[payer].insert(device);
  }
  ASSERT_GT(mules.size(), 10u);
  int full_mules = 0;
  for (const auto& [payee, g] : mules) {
    EXPECT_EQ(g.payers.size(), static_cast<std::size_t>(g.n)) << "distinct payers";
    EXPECT_LE(g.last - g.first, 2 * kHourUs + 2 * 60 * kSecondUs);
    full_mules += g.payers.size() >= 10;
  }
  // Only those started at the very end of the stream may be cut short.
  EXPECT_GE(full_mules * 10, static_cast<int>(mules.size()) * 9);

  ASSERT_GT(takeovers.size(), 10u);
  int bursts = 0;
  for (const auto& [key, g] : takeovers) {
    EXPECT_LE(g.last - g.first, 20 * 60 * kSecondUs) << key;
    bursts += g.n >= 3;
  }
  EXPECT_GE(bursts * 10, static_cast<int>(takeovers.size()) * 9);
  EXPECT_GT(takeover_night * 2, takeovers_total) << "takeovers happen mostly at night";

  ASSERT_GT(compromised.size(), 5u);
  int multi_day = 0;
  for (const auto& [payee, g] : compromised) {
    multi_day += g.n >= 5 && g.last - g.first > 12 * kHourUs;
  }
  EXPECT_GE(multi_day * 2, static_cast<int>(compromised.size()));
}

TEST(Generator, DuplicatesRepeatAnEarlierMessageExactly) {
  std::unordered_set<std::string> earlier;
  int duplicates = 0;
  for (const auto& p : busy_stream()) {
    if (p.info.kind == Kind::kDuplicate) {
      ++duplicates;
      ASSERT_TRUE(earlier.count(p.bytes)) << p.bytes;
      ASSERT_TRUE(p.label_line.empty()) << "a re-send gives no second label";
    } else if (p.info.kind == Kind::kValid) {
      earlier.insert(p.bytes);
    }
  }
  EXPECT_GT(duplicates, 0);
}

TEST(Generator, InvalidMessagesFailForTheirReason) {
  std::map<std::string, int> defects;
  for (const auto& p : busy_stream()) {
    if (p.info.kind != Kind::kInvalid) continue;
    const std::string defect = p.info.defect;
    ++defects[defect];
    const Json msg = Json::parse(p.bytes, nullptr, /*allow_exceptions=*/false);
    if (defect == "truncated_json" || defect == "invalid_json_syntax") {
      EXPECT_TRUE(msg.is_discarded()) << p.bytes;
      continue;
    }
    ASSERT_FALSE(msg.is_discarded()) << defect << " " << p.bytes;
    if (defect == "bad_cpf_check_digit") {
      const std::string doc = msg["payer"]["document"];
      EXPECT_EQ(doc.size(), 11u);
      EXPECT_FALSE(is_valid_document(doc)) << doc;
    } else if (defect == "bad_end_to_end_id") {
      EXPECT_FALSE(is_valid_end_to_end_id(msg["end_to_end_id"].get<std::string>()));
    } else if (defect == "negative_amount") {
      EXPECT_EQ(msg["amount"].get<std::string>()[0], '-');
    } else if (defect == "amount_three_decimals") {
      const std::string a = msg["amount"];
      EXPECT_EQ(a.size() - a.find('.'), 4u) << a;
      EXPECT_NE(a.back(), '0');
    } else if (defect == "unknown_key_type") {
      KeyType t;
      EXPECT_FALSE(parse_key_type(msg["payee"]["key_type"].get<std::string>(), &t));
    } else if (defect == "bad_email_key") {
      EXPECT_EQ(msg["payee"]["key_type"], "EMAIL");
      EXPECT_FALSE(is_valid_pix_key(KeyType::kEmail, msg["payee"]["key"].get<std::string>()));
    } else if (defect == "missing_field") {
      EXPECT_FALSE(msg.contains("amount"));
    } else if (defect == "wrong_type") {
      EXPECT_TRUE(msg["amount"].is_object());
    } else {
      ADD_FAILURE() << "unknown defect " << defect;
    }
    // Apart from its defect, an invalid message is well formed.
    if (defect != "bad_end_to_end_id") {
      EXPECT_TRUE(is_valid_end_to_end_id(msg["end_to_end_id"].get<std::string>()));
    }
  }
  EXPECT_EQ(defects.size(), 10u);
  for (const auto& [name, n] : defects) EXPECT_GT(n, 60) << name;  // rotated evenly
}

TEST(Generator, LabelLinesFollowFraudByTheDelay) {
  const GeneratorOptions o = busy_options(100'000);
  int labels = 0;
  for (const auto& p : busy_stream()) {
    const bool expect_label = p.info.kind == Kind::kValid && p.info.fraud;
    ASSERT_EQ(!p.label_line.empty(), expect_label);
    if (!expect_label) continue;
    ++labels;
    const Json label = Json::parse(p.label_line);
    const Json msg = Json::parse(p.bytes);
    std::vector<std::string> got;
    for (const auto& item : label.items()) got.push_back(item.key());
    ASSERT_EQ(got, (std::vector<std::string>{"end_to_end_id", "reported_at", "fraud"}));
    EXPECT_EQ(label["end_to_end_id"], msg["end_to_end_id"]);
    EXPECT_EQ(label["fraud"].get<int>(), 1);
    int64_t reported = 0;
    ASSERT_TRUE(parse_local_time(label["reported_at"].get<std::string>(), &reported));
    EXPECT_EQ(reported, p.info.reported_at_us);
    const int64_t delay = reported - p.info.event_time_us;
    EXPECT_GE(delay, static_cast<int64_t>(o.label_delay_days) * kDayUs - kSecondUs);
    EXPECT_LT(delay, static_cast<int64_t>(o.label_delay_days) * kDayUs + 12 * kHourUs);
  }
  EXPECT_GT(labels, 1000);
}

TEST(Generator, PayersHaveStableHabits) {
  // Normal traffic of an active payer goes mostly to a handful of payees from one device.
  std::map<std::string, std::map<std::string, int>> payees_of, devices_of;
  for (std::size_t i = 0; i < busy_stream().size(); ++i) {
    const Produced& p = busy_stream()[i];
    if (p.info.kind != Kind::kValid || p.info.fraud) continue;
    const Fields& f = busy_fields()[i];
    ++payees_of[f.payer][f.payee];
    ++devices_of[f.payer][f.device];
  }
  int active = 0, habitual = 0, one_device = 0;
  for (const auto& [payer, payees] : payees_of) {
    int total = 0;
    std::vector<int> counts;
    for (const auto& [payee, n] : payees) {
      total += n;
      counts.push_back(n);
    }
    if (total < 30) continue;
    ++active;
    std::sort(counts.rbegin(), counts.rend());
    int top = 0;
    for (std::size_t i = 0; i < std::min<std::size_t>(5, counts.size()); ++i) top += counts[i];
    habitual += top * 10 >= total * 7;
    int top_device = 0;
    for (const auto& [device, n] : devices_of[payer]) top_device = std::max(top_device, n);
    one_device += top_device * 10 >= total * 9;
  }
  ASSERT_GT(active, 100);
  EXPECT_GE(habitual * 10, active * 9);
  EXPECT_GE(one_device * 10, active * 9);
}

TEST(Generator, NextDoesNotAllocateInSteadyState) {
  GeneratorOptions o;  // the defaults: 1M messages
  Generator gen(o);
  std::string out;
  out.reserve(4096);
  for (int i = 0; i < 50'000; ++i) {
    out.clear();
    ASSERT_TRUE(gen.next(&out));
  }
  std::string label;
  label.reserve(256);
  GeneratedInfo info;
  const uint64_t before = g_allocations.load();
  for (int i = 0; i < 300'000; ++i) {
    out.clear();
    label.clear();
    gen.next(&out, &info);
    gen.last_label(&label);
  }
  EXPECT_EQ(g_allocations.load() - before, 0u);
}

}  // namespace
}  // namespace pixguard
