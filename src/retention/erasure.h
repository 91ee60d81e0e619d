#pragma once
// Erasing personal data from every output a job wrote (docs/security.md, "Erasure and
// retention"): one person's records, by document or Pix key (LGPD's right to erasure), and
// everything older than the retention. Both append a line to the audit log.
//
// What is erased where:
//  - the Delta table: rows whose payer or payee document (or the payee key) equals the
//    person's value as the privacy policy stores it, in one DELETE commit whose removed
//    files are deleted from disk (delta/delta_erasure.h);
//  - the scored JSON lines: the same match, and the end-to-end ids found in the table;
//  - alerts (which carry no documents): by those end-to-end ids, or the payee key;
//  - dead letters: those whose original bytes (clear, or encrypted and opened with the key)
//    contain the value; redacted dead letters keep nothing to erase.
// Kafka topics are not rewritten: their retention (retention.ms) bounds what they keep.
//
// A JSON-lines file is rewritten to a temporary file, fsynced and renamed over the old one.
// Erasure matches the stored form, so a field whose policy is `mask` cannot be matched; the
// call refuses with a message rather than report a partial erasure as done.
//
// Threading: blocking calls on the calling thread; run them with the job stopped, or expect
// records it writes meanwhile to be missed (the job's in-memory recent decisions included).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/status.h"
#include "privacy/privacy.h"

namespace pixguard {

struct ErasureCounts {
  int64_t table_rows = 0;
  int64_t table_files_rewritten = 0;
  int64_t table_version = -1;  // the DELETE commit, -1 when the table did not change
  int64_t scored = 0;
  int64_t alerts = 0;
  int64_t dead_letters = 0;
};

// Erases the records of the person whose document (CPF/CNPJ, as given in the input) or Pix
// key is `value`. `field` is kPayerDocument (payer and payee documents) or kPayeeKey.
Status erase_person(const Config& config, const Privacy& privacy, PersonalField field, const std::string& value,
                    ErasureCounts* counts);

// Erases what is older than `before` (a date, "YYYY-MM-DD", in context.time_zone): table
// partitions of earlier event dates, JSON lines with an earlier event time, and dead-letter
// files last written before it.
Status expire_before(const Config& config, const std::string& before, ErasureCounts* counts);

// The counts as JSON fields (table_rows, table_version or null, table_files_rewritten,
// scored, alerts, dead_letters), for the audit log and `erase --json`.
nlohmann::ordered_json counts_json(const ErasureCounts& counts);

// Appends one JSON line to `path` (fsynced): the time, the operation, who it concerned (as
// the policy stores it, never in clear) and the counts.
Status append_audit(const std::string& path, const std::string& operation, const std::string& subject,
                    const ErasureCounts& counts);

}  // namespace pixguard
