// `pixguard generate`: write the synthetic Pix stream (and its fraud reports) to files.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "sources/generator.h"

namespace pixguard::cli {
namespace {

bool write_all(std::FILE* f, const std::string& s) { return std::fwrite(s.data(), 1, s.size(), f) == s.size(); }

}  // namespace

Command add_generate_command(CLI::App& app) {
  struct Flags {
    GeneratorOptions options;
    std::string output;
    std::string labels;
    bool quiet = false;
  };
  auto flags = std::make_shared<Flags>();
  GeneratorOptions& o = flags->options;
  CLI::App* sub = app.add_subcommand("generate", "Write a synthetic Pix stream with labelled fraud patterns (JSON lines)");
  sub->add_option("-o,--output", flags->output, "Output file (JSON lines)")->required();
  sub->add_option("--labels", flags->labels, "Also write fraud reports here (JSON lines: end_to_end_id, reported_at, fraud)");
  sub->add_option("-n,--count", o.count, "Messages to write")->capture_default_str();
  sub->add_option("--seed", o.seed, "Random seed (same seed, same bytes)")->capture_default_str();
  sub->add_option("--days", o.days, "Event-time span in days")->capture_default_str();
  sub->add_option("--payers", o.payers, "Payer accounts")->capture_default_str();
  sub->add_option("--payees", o.payees, "Payee accounts")->capture_default_str();
  sub->add_option("--fraud-share", o.fraud_share, "Share of fraudulent transactions")->capture_default_str();
  sub->add_option("--invalid-share", o.invalid_share, "Share of messages that must fail validation")->capture_default_str();
  sub->add_option("--duplicate-share", o.duplicate_share, "Share of re-sent duplicates")->capture_default_str();
  sub->add_option("--late-share", o.late_share, "Share of out-of-order messages")->capture_default_str();
  sub->add_flag("-q,--quiet", flags->quiet, "No progress on stderr");

  return [flags]() -> int {
    const std::string tmp = flags->output + ".pending";
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> out(std::fopen(tmp.c_str(), "wb"), &std::fclose);
    if (!out) {
      std::perror(("pixguard: " + tmp).c_str());
      return kExitFailure;
    }
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> labels(nullptr, &std::fclose);
    if (!flags->labels.empty()) {
      labels.reset(std::fopen(flags->labels.c_str(), "wb"));
      if (!labels) {
        std::perror(("pixguard: " + flags->labels).c_str());
        return kExitFailure;
      }
    }
    Generator generator(flags->options);
    std::string message, label;
    GeneratedInfo info;
    while (true) {
      message.clear();
      if (!generator.next(&message, &info)) break;
      message.push_back('\n');
      if (!write_all(out.get(), message)) {
        std::perror(("pixguard: " + tmp).c_str());
        return kExitFailure;
      }
      if (labels && info.kind == GeneratedInfo::Kind::kValid && info.fraud) {
        label.clear();
        if (generator.last_label(&label)) {
          label.push_back('\n');
          if (!write_all(labels.get(), label)) {
            std::perror(("pixguard: " + flags->labels).c_str());
            return kExitFailure;
          }
        }
      }
      if (!flags->quiet && generator.produced() % 1'000'000 == 0) {
        std::fprintf(stderr, "generated %llu\n", static_cast<unsigned long long>(generator.produced()));
      }
    }
    if (std::fflush(out.get()) != 0 || std::rename(tmp.c_str(), flags->output.c_str()) != 0) {
      std::perror(("pixguard: " + flags->output).c_str());
      return kExitFailure;
    }
    if (!flags->quiet) {
      std::fprintf(stderr, "wrote %llu messages to %s\n", static_cast<unsigned long long>(generator.produced()),
                   flags->output.c_str());
    }
    return kExitOk;
  };
}

}  // namespace pixguard::cli
