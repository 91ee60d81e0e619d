#include "cli/common.h"

#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <exception>
#include <new>
#include <string>

#include "cli/commands.h"
#include "cli/streaming_setup.h"
#include "runtime/accounting.h"

namespace pixguard::cli {
namespace {

std::atomic<bool> g_stop{false};

void on_signal(int) {
  if (g_stop.exchange(true)) _exit(130);  // second signal: the operator insists
}

}  // namespace

const std::atomic<bool>& install_stop_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  return g_stop;
}

int report_error(const Status& s) {
  std::fprintf(stderr, "pixguard: %s\n", s.message().c_str());
  const bool io = s.code() == StatusCode::kIoError || s.code() == StatusCode::kNotFound;
  return io ? kExitFailure : kExitUsage;
}

bool load_config_or_report(const std::string& path, Config* config) {
  if (Status s = load_config(path, config); !s.ok()) {
    std::fprintf(stderr, "pixguard: %s\n", s.message().c_str());
    return false;
  }
  // Every file the command writes from here on gets the config's mode (privacy.file_mode).
  ::umask(static_cast<mode_t>(umask_for_file_mode(config->privacy.file_mode)));
  return true;
}

int run_job(Job& job, const Config& config, const Checkpointing* checkpoints, bool json, bool quiet,
            LiveMetrics* metrics) {
  const std::atomic<bool>& stop = install_stop_signals();
  RunnerOptions options;
  options.batch_size = config.batch_size;
  options.epoch_interval_us = config.checkpoint.interval_us;
  if (checkpoints != nullptr) {
    options.checkpoints = checkpoints->store.get();
    options.part_checkpoints = checkpoints->parts.get();
    options.part_writer = checkpoints->writer;
    options.part_committed = checkpoints->committed;
    if (config.checkpoint.incremental) options.incremental_config = &config;
  }
  options.pipeline_id = config.pipeline_id;
  options.idle_after_us = config.idle_after_us;
  if (config.payee_state == Config::PayeeState::kRepartition) options.payee_topic = config.kafka.payee_topic;
  options.model_watcher = job.model_watcher.get();
  options.metrics = metrics;
  const bool tty = isatty(STDERR_FILENO) != 0;
  if (!quiet) {
    options.on_epoch = [tty](const Accounting& a) {
      std::fprintf(stderr, "%sprogress: %llu in, %llu scored, %llu dead letters, %llu duplicates%s",
                   tty ? "\r" : "", static_cast<unsigned long long>(a.in), static_cast<unsigned long long>(a.scored),
                   static_cast<unsigned long long>(a.dead_letters), static_cast<unsigned long long>(a.duplicates),
                   tty ? "" : "\n");
      std::fflush(stderr);
    };
  }
  Runner runner(job.source.get(), job.pipeline.get(), options);
  // Out of memory, or a filesystem call that throws, ends the run like any failed epoch: the
  // message, the accounting so far and a failure exit (the next start resumes from the last
  // checkpoint), never a terminate() without either.
  Status s;
  bool threw = true;
  try {
    s = runner.run(stop);
    threw = false;
  } catch (const std::bad_alloc&) {
    s = Status::IoError("out of memory during epoch " + std::to_string(runner.last_epoch() + 1) +
                        " (std::bad_alloc); the run stopped, output up to the last checkpoint stands");
  } catch (const std::exception& e) {
    s = Status::IoError(std::string("unexpected error during epoch ") + std::to_string(runner.last_epoch() + 1) +
                        ": " + e.what() + "; the run stopped, output up to the last checkpoint stands");
  }
  if (!quiet && tty) std::fputc('\n', stderr);
  if (!s.ok() && !threw && runner.last_epoch() == 0) {
    // Refused before the first epoch (recovery): nothing ran, so no accounting to show.
    std::fprintf(stderr, "pixguard: %s\n", s.message().c_str());
    return s.code() == StatusCode::kIoError ? kExitFailure : kExitUsage;
  }
  const Accounting& a = job.pipeline->accounting();
  const std::vector<std::string> rules = job.pipeline->rule_names();
  const std::string report = json ? accounting_json(a, rules) + "\n" : accounting_text(a, rules);
  std::fputs(report.c_str(), stdout);
  std::fflush(stdout);
  if (!s.ok()) {
    std::fprintf(stderr, "pixguard: %s\n", s.message().c_str());
    return kExitFailure;
  }
  if (stop.load()) {
    std::fprintf(stderr, "pixguard: stopped by signal after epoch %llu%s\n",
                 static_cast<unsigned long long>(runner.last_epoch()),
                 options.checkpoints != nullptr ? " (checkpointed; run again to resume)" : "");
  }
  return a.balanced() ? kExitOk : kExitUnbalanced;
}

}  // namespace pixguard::cli
