#include "retention/erasure.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>

#include "core/atomic_file.h"
#include "core/clock.h"
#include "core/file_io.h"
#include "core/timestamp.h"
#include "delta/delta_erasure.h"
#include "privacy/message_cipher.h"
#include "sinks/decision_table.h"

namespace pixguard {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

// Every output file of a JSON-lines sink directory: committed parts and pending ones.
std::vector<std::string> jsonl_files(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  if (dir.empty() || !fs::is_directory(dir, ec)) return files;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && name.find(".jsonl") != std::string::npos && name.find(".tmp") == std::string::npos) {
      files.push_back(e.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Rewrites `path` (atomically, durably) without the lines `drop` picks. Lines that are not
// JSON are kept.
Status rewrite_jsonl(const std::string& path, const std::function<bool(const Json&)>& drop, int64_t* dropped) {
  std::string text;
  if (Status s = read_whole_file(path, &text); !s.ok()) return s;
  std::string kept;
  kept.reserve(text.size());
  int64_t n = 0;
  std::size_t begin = 0;
  while (begin < text.size()) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    const std::string_view line(text.data() + begin, end - begin);
    const Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_discarded() && j.is_object() && drop(j)) {
      ++n;
    } else {
      kept.append(line);
      kept.push_back('\n');
    }
    begin = end + 1;
  }
  *dropped += n;
  if (n == 0) return Status::Ok();
  return write_file_atomically(path, kept);
}

std::string text_at(const Json& j, const char* object, const char* key) {
  const auto o = j.find(object);
  if (o == j.end() || !o->is_object()) return {};
  const auto v = o->find(key);
  return v != o->end() && v->is_string() ? v->get<std::string>() : std::string();
}

std::string text_at(const Json& j, const char* key) {
  const auto v = j.find(key);
  return v != j.end() && v->is_string() ? v->get<std::string>() : std::string();
}

// The original bytes a dead letter kept, readable (clear, base64 or opened), or empty.
std::string dead_letter_bytes(const Json& j, const MessageCipher* cipher) {
  if (const std::string raw = text_at(j, "raw"); !raw.empty()) return raw;
  if (const std::string b64 = text_at(j, "raw_base64"); !b64.empty()) {
    std::string out(b64.size() / 4 * 3, '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(b64.data()), static_cast<int>(b64.size()));
    if (n < 0) return {};
    out.resize(static_cast<std::size_t>(n));
    return out;  // padding decodes as trailing zero bytes, which a search for the value ignores
  }
  if (const std::string sealed = text_at(j, "raw_encrypted"); !sealed.empty() && cipher != nullptr) {
    std::string plain;
    if (cipher->open(sealed, &plain).ok()) return plain;
  }
  return {};
}

Status erase_table(const Config& config, delta::ErasureOptions options, ErasureCounts* counts,
                   std::vector<std::string>* ids) {
  if (config.sinks.table_dir.empty() || !fs::exists(config.sinks.table_dir + "/_delta_log")) return Status::Ok();
  options.personal_columns = decision_personal_columns();
  options.id_column = "end_to_end_id";
  options.codec = config.sinks.table_codec == SinksConfig::TableCodec::kZstd         ? parquet::Codec::kZstd
                  : config.sinks.table_codec == SinksConfig::TableCodec::kUncompressed ? parquet::Codec::kUncompressed
                                                                                       : parquet::Codec::kSnappy;
  delta::ErasureResult r;
  if (Status s = delta::erase_rows(config.sinks.table_dir, options, &r); !s.ok()) {
    return s.with_context("erasure in " + config.sinks.table_dir);
  }
  counts->table_rows += r.rows_removed + r.rows_in_partitions;
  counts->table_files_rewritten += r.files_added;
  if (r.committed) counts->table_version = static_cast<int64_t>(r.version);
  if (ids != nullptr) ids->insert(ids->end(), r.ids.begin(), r.ids.end());
  return Status::Ok();
}

// Refuses a field whose stored form cannot be matched.
Status matchable(const Privacy& privacy, PersonalField f) {
  if (privacy.policy(f) == FieldPolicy::kMask) {
    return Status::InvalidArgument("privacy.fields." + std::string(personal_field_name(f)) +
                                   " is mask: masked values cannot be matched, so this erasure cannot be done "
                                   "(keyed_hash or clear can be)");
  }
  return Status::Ok();
}

}  // namespace

Status erase_person(const Config& config, const Privacy& privacy, PersonalField field, const std::string& value,
                    ErasureCounts* counts) {
  *counts = ErasureCounts{};
  if (value.empty()) return Status::InvalidArgument("erasure: the value to erase is empty");
  // The person's value as each output stores it; a dropped field stores nothing to match.
  struct Target {
    const char* column;  // in the table
    const char* object;  // in the JSON records
    const char* key;
    std::string stored;
  };
  std::vector<Target> targets;
  const auto add = [&](PersonalField f, const char* column, const char* object, const char* key) -> Status {
    if (Status s = matchable(privacy, f); !s.ok()) return s;
    if (privacy.policy(f) != FieldPolicy::kDrop) targets.push_back({column, object, key, privacy.protect_value(f, value)});
    return Status::Ok();
  };
  if (field == PersonalField::kPayeeKey) {
    if (Status s = add(PersonalField::kPayeeKey, "payee_key", "payee", "key"); !s.ok()) return s;
  } else {
    if (Status s = add(PersonalField::kPayerDocument, "payer_document", "payer", "document"); !s.ok()) return s;
    if (Status s = add(PersonalField::kPayeeDocument, "payee_document", "payee", "document"); !s.ok()) return s;
  }

  delta::ErasureOptions options;
  for (const Target& t : targets) options.match.push_back({t.column, {t.stored}});
  std::vector<std::string> found;
  if (!options.match.empty()) {
    if (Status s = erase_table(config, options, counts, &found); !s.ok()) return s;
  }
  std::set<std::string> ids(found.begin(), found.end());
  const auto person = [&](const Json& j) {
    for (const Target& t : targets) {
      if (text_at(j, t.object, t.key) == t.stored) return true;
    }
    return false;
  };
  for (const std::string& f : jsonl_files(config.sinks.scored_dir)) {
    const auto drop = [&](const Json& j) {
      if (!person(j)) return ids.count(text_at(j, "end_to_end_id")) != 0;
      ids.insert(text_at(j, "end_to_end_id"));
      return true;
    };
    if (Status s = rewrite_jsonl(f, drop, &counts->scored); !s.ok()) return s;
  }
  for (const std::string& f : jsonl_files(config.sinks.alerts_dir)) {
    const auto drop = [&](const Json& j) { return person(j) || ids.count(text_at(j, "end_to_end_id")) != 0; };
    if (Status s = rewrite_jsonl(f, drop, &counts->alerts); !s.ok()) return s;
  }
  for (const std::string& f : jsonl_files(config.sinks.dead_letter_dir)) {
    const auto drop = [&](const Json& j) {
      return dead_letter_bytes(j, privacy.cipher()).find(value) != std::string::npos;
    };
    if (Status s = rewrite_jsonl(f, drop, &counts->dead_letters); !s.ok()) return s;
  }
  return Status::Ok();
}

Status expire_before(const Config& config, const std::string& before, ErasureCounts* counts) {
  *counts = ErasureCounts{};
  int64_t cutoff_us = 0;
  if (before.size() != 10 ||
      parse_timestamp(before + " 00:00:00", TimestampFormat::kLocal, config.context_zone, &cutoff_us) !=
          TimestampError::kOk) {
    return Status::InvalidArgument("--before: expected a date YYYY-MM-DD, got '" + before + "'");
  }
  delta::ErasureOptions options;
  options.partition_column = kEventDateColumn;
  options.partitions_before = before;
  if (Status s = erase_table(config, options, counts, nullptr); !s.ok()) return s;
  const auto old = [&](const Json& j) {
    int64_t t = 0;
    return parse_timestamp(text_at(j, "event_time"), TimestampFormat::kRfc3339, config.context_zone, &t) ==
               TimestampError::kOk &&
           t < cutoff_us;
  };
  for (const std::string& f : jsonl_files(config.sinks.scored_dir)) {
    if (Status s = rewrite_jsonl(f, old, &counts->scored); !s.ok()) return s;
  }
  for (const std::string& f : jsonl_files(config.sinks.alerts_dir)) {
    if (Status s = rewrite_jsonl(f, old, &counts->alerts); !s.ok()) return s;
  }
  // A dead letter may carry no readable time: its file's last write dates it.
  for (const std::string& f : jsonl_files(config.sinks.dead_letter_dir)) {
    struct stat st {};
    if (::stat(f.c_str(), &st) != 0) return Status::IoError("stat " + f + ": " + std::strerror(errno));
    const int64_t written_us = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000 + st.st_mtim.tv_nsec / 1000;
    if (written_us >= cutoff_us) continue;
    int64_t lines = 0;
    if (Status s = rewrite_jsonl(f, [](const Json&) { return true; }, &lines); !s.ok()) return s;
    counts->dead_letters += lines;
  }
  return Status::Ok();
}

nlohmann::ordered_json counts_json(const ErasureCounts& counts) {
  nlohmann::ordered_json j;
  j["table_rows"] = counts.table_rows;
  j["table_version"] = counts.table_version < 0 ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(counts.table_version);
  j["table_files_rewritten"] = counts.table_files_rewritten;
  j["scored"] = counts.scored;
  j["alerts"] = counts.alerts;
  j["dead_letters"] = counts.dead_letters;
  return j;
}

Status append_audit(const std::string& path, const std::string& operation, const std::string& subject,
                    const ErasureCounts& counts) {
  nlohmann::ordered_json j;
  j["time"] = format_timestamp_utc(unix_micros());
  j["operation"] = operation;
  j["subject"] = subject;
  j.update(counts_json(counts));
  const std::string line = j.dump() + "\n";
  const fs::path parent = fs::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) fs::create_directories(parent, ec);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
  if (fd < 0) return Status::IoError("cannot open the audit log " + path + ": " + std::strerror(errno));
  Status s = write_all(fd, line, path);
  if (s.ok() && ::fsync(fd) != 0) s = Status::IoError("fsync " + path + ": " + std::strerror(errno));
  ::close(fd);
  return s;
}

}  // namespace pixguard
