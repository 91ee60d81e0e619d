#pragma once
// A Delta table of decisions (sinks/decision_table.h) as a Source: stored history replayed
// through the same pipeline as the stream (Kappa). Each row becomes one Pix JSON message in
// the default input shape (docs/configuration.md, "input"; what make_json_decoder(FieldMapping::
// identity()) reads): amount as an exact decimal string, event_time as RFC 3339 UTC
// ("...T14:54:33.123Z", microseconds when the value has them), absent/null fields left
// out, `label` written when the column is not null.
//
// Order: the table's rows in event_time order, ties by end_to_end_id (then by file, in order
// of smallest time and path, and by row, so the order is total and repeatable), across all
// active files. The pipeline's features, watermark and late flags depend on the order
// messages arrive in, and history has to be replayed in event-time order; a table's files hold rows in arrival order, so each file
// is sorted when it is loaded and the files are merged.
//
// Snapshot: the table's newest version when open() runs; appends after that are not seen.
// Columns read: end_to_end_id, event_time, amount, payer_account, payer_ispb,
// payer_document, payee_key, payee_key_type, payee_account, payee_ispb, payee_document,
// initiation, channel, device_id, ip, description, label (the others, features, score and
// decision, are the pipeline's to recompute). A data file that lacks one of them or types
// it differently is InvalidArgument naming the file and the column; a file that fails to
// read gives its Status with the file's path.
//
// Memory: a file is read whole (our Parquet reader reads whole columns) once the merge
// reaches its smallest event_time (from the footer statistics, else from its event_time
// column, read at open()), and freed when its last row is delivered. So what is held at
// once is the files whose time ranges overlap the current point: for the Delta sink's
// files (one per epoch and event_date partition, in arrival order) a few files; for a table
// whose every file spans the whole history, all of it (under 1 KB a row: the 17 columns it
// reads, strings as std::string).
//
// Position: "<table version>:<rows delivered>". seek() to a token of the same version
// replays the merge up to that row (files are read again, rows skipped without encoding);
// a token of another version is InvalidArgument (the files differ: time travel is not
// supported, docs/delta.md).
//
// Threading: a source is read by one thread.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sources/source.h"

namespace pixguard {

class DeltaSource final : public Source {
 public:
  // NotFound when `dir` is not a Delta table; the log's errors (Corruption, Unsupported)
  // as DeltaTable::snapshot gives them; a data file's errors as above.
  static Status open(const std::string& dir, std::unique_ptr<DeltaSource>* out);
  ~DeltaSource() override;

  const std::string& name() const override { return name_; }
  Status read(RecordBatch* batch, std::size_t max_records, bool* end) override;
  std::string position() const override;
  Status seek(std::string_view position) override;

  uint64_t version() const { return version_; }
  int64_t total_rows() const { return total_rows_; }

  struct File;  // one data file: its path, row count, smallest time; its rows once loaded

 private:
  explicit DeltaSource(std::string dir);
  // The next row in the merge order into *file/*row; false at the end.
  Status next_row(File** file, int64_t* row, bool* found);
  void restart();

  std::string dir_;
  std::string name_;
  uint64_t version_ = 0;
  int64_t total_rows_ = 0;
  std::vector<std::unique_ptr<File>> files_;  // by smallest event_time, then path
  std::size_t next_file_ = 0;                 // files_[next_file_..] not loaded yet
  std::vector<File*> heap_;                   // loaded files with rows left, a min-heap on their next row
  int64_t delivered_ = 0;
  std::string message_;  // reused
};

}  // namespace pixguard
