// pixguard: real-time Pix fraud detection. This file only dispatches to the subcommands.
#include <CLI/CLI.hpp>
#include <sys/stat.h>

#include <cstdio>
#include <exception>
#include <new>
#include <utility>
#include <vector>

#include "cli/commands.h"
#include "privacy/privacy.h"

int main(int argc, char** argv) {
  namespace cli = pixguard::cli;
  // Outputs hold personal data: not readable by other users, whatever the shell's umask
  // (a command that reads a config applies its privacy.file_mode instead).
  ::umask(static_cast<mode_t>(pixguard::umask_for_file_mode(pixguard::PrivacyOptions{}.file_mode)));
  CLI::App app{"pixguard: real-time fraud detection for Pix transfers"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "pixguard 0.1.0");
  const std::vector<std::pair<const char*, cli::Command>> commands = {
      {"run", cli::add_run_command(app)},
      {"replay", cli::add_replay_command(app)},
      {"generate", cli::add_generate_command(app)},
      {"train", cli::add_train_command(app)},
      {"evaluate", cli::add_evaluate_command(app)},
      {"score", cli::add_score_command(app)},
      {"kafka", cli::add_kafka_command(app)},
      {"demo", cli::add_demo_command(app)},
      {"compact", cli::add_compact_command(app)},
      {"vacuum", cli::add_vacuum_command(app)},
      {"inspect", cli::add_inspect_command(app)},
      {"erase", cli::add_erase_command(app)},
      {"decrypt", cli::add_decrypt_command(app)},
      {"serve", cli::add_serve_command(app)},
  };
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? cli::kExitOk : cli::kExitUsage;
  }
  // Last resort: a command's setup that throws (out of memory, a filesystem call) ends with a
  // message and a failure exit, not terminate() (`run` itself reports its accounting first).
  try {
    for (const auto& [name, run] : commands) {
      if (app.got_subcommand(name)) return run();
    }
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "pixguard: out of memory (std::bad_alloc)\n");
    return cli::kExitFailure;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pixguard: %s\n", e.what());
    return cli::kExitFailure;
  }
  return cli::kExitUsage;
}
