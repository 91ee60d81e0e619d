#pragma once
// The Delta Lake table of every scored transaction (docs/delta.md): Parquet data
// files (columns: sinks/decision_table.h) in event_date=YYYY-MM-DD/ directories, and one
// Delta commit per checkpoint epoch (src/delta/) that adds the epoch's files and carries a
// `txn` action {appId: the sink's app id, version: the epoch}.
//
// Epoch contract (sinks/sink.h):
// - write() appends rows to one open file per event date; a file is rolled at about
//   `target_file_bytes`. Files are invisible to readers until a commit names them.
// - prepare(e) finishes (fsyncs) the epoch's files and writes the add actions it will commit
//   to <table>/_pixguard/<app id>/epoch-<e>.json (fsynced, renamed into place).
// - commit(e) makes them one Delta commit, unless the table already holds a txn of this app
//   id at >= e (a recommitted epoch after a crash): then nothing is written. The commit
//   retries on top of concurrent blind appends (another job or a compaction).
// - recover(c) commits the prepared epochs <= c still pending and deletes the files of
//   prepared epochs > c. Files of an epoch that crashed before prepare are referenced by
//   nothing; `pixguard vacuum` removes them. When the table holds epochs > c (recovery
//   fell back past a damaged checkpoint), one commit removes their files and sets the txn
//   back to c, since their input is read again and epochs need not end where they did.
// An epoch without rows commits nothing (last_committed_epoch() is the newest epoch in the
// table's txn, or the newest without rows since).
//
// Threading: driven by one pipeline thread.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "delta/delta_log.h"
#include "parquet/parquet_writer.h"
#include "sinks/decision_table.h"
#include "sinks/sink.h"

namespace pixguard {

struct DeltaSinkOptions {
  std::string table_dir;
  std::string app_id;  // stable across restarts: what recognises a recommitted epoch
  parquet::Codec codec = parquet::Codec::kSnappy;
  int64_t target_file_bytes = 128 << 20;
  std::vector<FeatureSpec> features;
  std::vector<RuleSpec> rules;
  DecisionOptions thresholds;  // for the reasons column, as in the JSON records
};

struct DeltaSinkStats {
  uint64_t rows = 0;
  uint64_t files = 0;
  uint64_t bytes = 0;    // of the data files committed
  uint64_t commits = 0;
};

class DeltaSink final : public Sink {
 public:
  // Opens the table, creating it (version 0: protocol, metadata with the schema and the
  // event_date partition column) when the directory holds none. A table whose schema is
  // not this config's (features changed) is refused, naming both.
  static Status open(DeltaSinkOptions options, std::unique_ptr<DeltaSink>* out);
  ~DeltaSink() override;

  const std::string& name() const override { return name_; }
  Status begin_epoch(uint64_t epoch) override;
  Status write(const SinkRecord& record) override;
  bool reads_json() const override { return false; }  // the columns come from SinkRecord::scored
  Status prepare(uint64_t epoch) override;
  Status commit(uint64_t epoch) override;
  Status abort(uint64_t epoch) override;
  uint64_t last_committed_epoch() const override { return last_committed_; }
  Status recover(uint64_t checkpointed_epoch) override;

  // Deletes the table (for --overwrite).
  Status clear();
  const DeltaSinkStats& stats() const { return stats_; }
  bool counts_committed() const override { return true; }
  std::array<uint64_t, kOutputCount> committed_records() const override { return committed_; }

 private:
  struct OpenFile {
    int64_t days = 0;                 // local days since 1970-01-01: the event_date
    std::string relative_path;        // under the table directory
    std::unique_ptr<parquet::ParquetWriter> writer;
  };

  explicit DeltaSink(DeltaSinkOptions options);
  Status open_file(int64_t days, OpenFile* out);
  Status finish_file(OpenFile* file);
  std::string prepared_path(uint64_t epoch) const;
  Status commit_actions(uint64_t epoch, std::vector<delta::AddFile> adds);
  // The add actions of a prepared epoch's record; Corruption naming the file when it is
  // damaged (empty, cut short, not add actions), IoError when it cannot be read.
  Status read_prepared(uint64_t epoch, std::vector<delta::AddFile>* adds) const;
  // Every file the record names is there, at its size (before a recovery commits it).
  Status check_files_exist(uint64_t epoch, const std::vector<delta::AddFile>& adds) const;
  Status remove_files_checked(const std::vector<delta::AddFile>& adds) const;
  Status unlink_checked(const std::string& path) const;
  Status fsync_dir_if_exists(const std::string& dir) const;
  // Recovery resumes from an older checkpoint than the table's newest epoch (the newer ones
  // were damaged): one commit removes the later epochs' files and sets our txn back, so that
  // they commit again when produced again, as the file sinks set such epochs aside.
  Status roll_back_after(uint64_t checkpointed_epoch);
  void remove_files(const std::vector<delta::AddFile>& adds) const;

  DeltaSinkOptions options_;
  std::string name_;
  std::unique_ptr<delta::DeltaTable> table_;
  std::vector<parquet::ColumnSchema> columns_;
  RecordEncoder encoder_;
  DecisionRowWriter rows_;
  std::vector<OpenFile> open_;
  std::vector<delta::AddFile> finished_;  // this epoch's, not yet committed
  uint64_t epoch_ = 0;
  uint64_t file_sequence_ = 0;
  uint64_t last_committed_ = 0;
  uint64_t read_version_ = 0;  // the newest table version this sink has seen
  DeltaSinkStats stats_;
  std::array<uint64_t, kOutputCount> committed_{};  // rows of the files this process committed
};

}  // namespace pixguard
