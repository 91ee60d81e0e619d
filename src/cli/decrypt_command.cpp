// `pixguard decrypt`: the original messages of encrypted dead letters
// (privacy.dead_letters: encrypt), one per line on stdout, for an operator holding the key to
// read or reprocess them (`pixguard run` with a file source reads that output as it is).
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/common.h"
#include "config/config.h"
#include "privacy/message_cipher.h"

namespace pixguard::cli {

Command add_decrypt_command(CLI::App& app) {
  struct Flags {
    std::string config = "config/streaming_config.yaml";
    std::vector<std::string> files;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* sub = app.add_subcommand(
      "decrypt", "Print the original messages of encrypted dead letters, one per line (needs the privacy key)");
  sub->add_option("-c,--config", flags->config, "The config whose privacy key sealed them")->capture_default_str();
  sub->add_option("files", flags->files, "Dead-letter files (JSON lines)")->required();

  return [flags]() -> int {
    Config config;
    if (!load_config_or_report(flags->config, &config)) return kExitUsage;
    std::shared_ptr<const Privacy> privacy;
    if (Status s = Privacy::create(config.privacy, &privacy); !s.ok()) return report_error(s.with_context(config.path));
    if (privacy->cipher() == nullptr) {
      std::fprintf(stderr, "pixguard decrypt: %s has no privacy key (privacy.key_file or privacy.key_env)\n",
                   config.path.c_str());
      return kExitUsage;
    }
    int64_t opened = 0;
    int64_t failed = 0;
    for (const std::string& path : flags->files) {
      std::ifstream in(path, std::ios::binary);
      if (!in) {
        std::fprintf(stderr, "pixguard decrypt: cannot read %s\n", path.c_str());
        return kExitFailure;
      }
      std::string line;
      for (int64_t n = 1; std::getline(in, line); ++n) {
        const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
        const auto sealed = j.is_object() ? j.find("raw_encrypted") : j.end();
        std::string plain;
        if (sealed == j.end() || !sealed->is_string() || !privacy->cipher()->open(sealed->get<std::string>(), &plain).ok()) {
          // Which line, never what it holds.
          std::fprintf(stderr, "pixguard decrypt: %s:%lld: no dead letter this key opens\n", path.c_str(),
                       static_cast<long long>(n));
          ++failed;
          continue;
        }
        std::fwrite(plain.data(), 1, plain.size(), stdout);
        std::fputc('\n', stdout);
        ++opened;
      }
    }
    std::fprintf(stderr, "pixguard decrypt: %lld opened, %lld not\n", static_cast<long long>(opened),
                 static_cast<long long>(failed));
    return failed == 0 ? kExitOk : kExitFailure;
  };
}

}  // namespace pixguard::cli
