// `pixguard erase`: erase one person's records from every output (by document or Pix key), or
// everything older than a date (retention), and audit it (retention/erasure.h).
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/commands.h"
#include "cli/common.h"
#include "config/config.h"
#include "retention/erasure.h"

namespace pixguard::cli {

Command add_erase_command(CLI::App& app) {
  struct Flags {
    std::string config = "config/streaming_config.yaml";
    std::string document;
    std::string key;
    std::string before;
    bool json = false;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* sub = app.add_subcommand(
      "erase", "Erase one person's records (--document or --key) or all records before a date (--before) from the "
               "table, the JSON lines and the dead letters; audited");
  sub->add_option("-c,--config", flags->config, "The job's config (its outputs and privacy policy)")->capture_default_str();
  auto* doc = sub->add_option("--document", flags->document,
                              "CPF or CNPJ as the input carries it; '-' reads it from stdin (keeps it out of ps)");
  auto* key = sub->add_option("--key", flags->key, "Pix key as the input carries it; '-' reads it from stdin");
  auto* before = sub->add_option("--before", flags->before, "Erase everything older than this date (YYYY-MM-DD, local)");
  doc->excludes(key)->excludes(before);
  key->excludes(before);
  sub->add_flag("--json", flags->json, "Print the counts as one JSON object");

  return [flags]() -> int {
    if (flags->document.empty() && flags->key.empty() && flags->before.empty()) {
      std::fprintf(stderr, "pixguard erase: give --document, --key or --before\n");
      return kExitUsage;
    }
    Config config;
    if (!load_config_or_report(flags->config, &config)) return kExitUsage;
    std::shared_ptr<const Privacy> privacy;
    if (Status s = Privacy::create(config.privacy, &privacy); !s.ok()) return report_error(s.with_context(config.path));
    ErasureCounts counts;
    std::string operation;
    std::string subject;
    Status done;
    if (!flags->before.empty()) {
      operation = "expire";
      subject = "before " + flags->before;
      done = expire_before(config, flags->before, &counts);
    } else {
      const bool by_key = !flags->key.empty();
      std::string value = by_key ? flags->key : flags->document;
      if (value == "-" && !std::getline(std::cin, value)) {
        std::fprintf(stderr, "pixguard erase: nothing on stdin\n");
        return kExitUsage;
      }
      const PersonalField field = by_key ? PersonalField::kPayeeKey : PersonalField::kPayerDocument;
      operation = by_key ? "erase key" : "erase document";
      // The audit names the person by keyed hash (masked without a key): never in clear.
      subject = privacy->pseudonym(value);
      done = erase_person(config, *privacy, field, value, &counts);
    }
    // A failed erasure is audited too, with what it did before failing.
    if (!done.ok()) operation += " (failed)";
    if (Status s = append_audit(config.privacy.audit_log, operation, subject, counts); !s.ok()) return report_error(s);
    if (!done.ok()) return report_error(done);
    if (flags->json) {
      nlohmann::ordered_json j;
      j["operation"] = operation;
      j.update(counts_json(counts));
      j["audit_log"] = config.privacy.audit_log;
      std::printf("%s\n", j.dump().c_str());
    } else {
      std::printf("%s: table rows %lld (files rewritten %lld), scored %lld, alerts %lld, dead letters %lld; audited in %s\n",
                  operation.c_str(), static_cast<long long>(counts.table_rows),
                  static_cast<long long>(counts.table_files_rewritten), static_cast<long long>(counts.scored),
                  static_cast<long long>(counts.alerts), static_cast<long long>(counts.dead_letters),
                  config.privacy.audit_log.c_str());
    }
    return kExitOk;
  };
}

}  // namespace pixguard::cli
