#pragma once
// The subcommands of the `pixguard` binary. Each registers its flags on the CLI11 app and
// returns the process exit code when run:
//   0 success; 1 runtime failure (I/O, sink); 2 usage or configuration error;
//   3 the accounting did not balance (a bug: in != scored + dead letters + duplicates).
#include <CLI/CLI.hpp>

#include <functional>

namespace pixguard::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitUnbalanced = 3;

using Command = std::function<int()>;

Command add_run_command(CLI::App& app);
Command add_replay_command(CLI::App& app);
Command add_generate_command(CLI::App& app);
Command add_train_command(CLI::App& app);
Command add_evaluate_command(CLI::App& app);
Command add_score_command(CLI::App& app);
Command add_kafka_command(CLI::App& app);
Command add_demo_command(CLI::App& app);
Command add_compact_command(CLI::App& app);
Command add_vacuum_command(CLI::App& app);
Command add_inspect_command(CLI::App& app);
Command add_erase_command(CLI::App& app);
Command add_decrypt_command(CLI::App& app);
Command add_serve_command(CLI::App& app);

}  // namespace pixguard::cli
