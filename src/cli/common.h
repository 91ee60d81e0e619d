#pragma once
// What the run-like commands share: stopping on SIGTERM/SIGINT, progress on stderr, and the
// final accounting on stdout (text for people, --json for machines).
#include <atomic>
#include <string>

#include "config/config.h"
#include "runtime/job.h"
#include "runtime/runner.h"

namespace pixguard::cli {

// Installs handlers that set the returned flag on SIGTERM or SIGINT (a second signal exits
// at once). The runner finishes the batch in flight, commits the epoch and returns.
const std::atomic<bool>& install_stop_signals();

// Prints a failed command's error and returns its exit code: 1 when a file could not be
// read (a runtime failure), 2 for bad content or flags (usage).
int report_error(const Status& s);

// Loads the config, printing the error (file, line, key) on failure.
bool load_config_or_report(const std::string& path, Config* config);

// Runs `job` to the end of its input or a stop signal, then prints the accounting.
// `checkpoints` (may be null) makes the run resume from, and write, checkpoints.
// Returns the exit code.
// `metrics` (may be null) receives the run's live picture for the operations endpoint.
struct Checkpointing;  // cli/streaming_setup.h
int run_job(Job& job, const Config& config, const Checkpointing* checkpoints, bool json, bool quiet,
            LiveMetrics* metrics = nullptr);

}  // namespace pixguard::cli
