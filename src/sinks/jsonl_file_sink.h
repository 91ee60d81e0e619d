#pragma once
// A directory of JSON-lines files, one per committed epoch:
//   <dir>/part-<epoch, 20 digits>.jsonl          committed, visible
//   <dir>/part-<epoch, 20 digits>.jsonl.pending  being written or prepared, invisible
// prepare() fsyncs the pending file; commit() renames it and fsyncs the directory, so a
// crash leaves each epoch either wholly visible or not at all. Epochs with no records
// produce no file. Readers take `part-*.jsonl` and ignore `.pending`.
// After a crash, recover(c) commits the pending files of epochs <= c (prepared, and
// covered by checkpoint c) and deletes later ones. Committed files of epochs > c exist only
// when recovery fell back past a corrupt checkpoint: they are renamed to
// `part-<epoch>.jsonl.rolled-back` (their input is read again), so readers still see every
// record once.
#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "sinks/sink.h"

namespace pixguard {

class JsonlFileSink final : public Sink {
 public:
  // Creates `dir` if needed and finds the last committed epoch; pending files wait for
  // recover().
  static Status open(const std::string& name, const std::string& dir, std::unique_ptr<JsonlFileSink>* out);
  ~JsonlFileSink() override;

  const std::string& name() const override { return name_; }
  Status begin_epoch(uint64_t epoch) override;
  Status write(const SinkRecord& record) override;
  Status prepare(uint64_t epoch) override;
  Status commit(uint64_t epoch) override;
  Status abort(uint64_t epoch) override;
  uint64_t last_committed_epoch() const override { return last_committed_; }
  Status recover(uint64_t checkpointed_epoch) override;
  bool counts_committed() const override { return true; }
  std::array<uint64_t, kOutputCount> committed_records() const override { return committed_; }

  // Deletes every part file (committed or pending): for starting a run over.
  Status clear();
  const std::string& dir() const { return dir_; }

 private:
  JsonlFileSink(std::string name, std::string dir) : name_(std::move(name)), dir_(std::move(dir)) {}
  std::string part_path(uint64_t epoch, bool pending) const;
  Status remove_checked(const std::string& path) const;  // unlink; a missing file is fine
  Status flush();

  std::string name_;
  std::string dir_;
  uint64_t epoch_ = 0;
  uint64_t last_committed_ = 0;
  int fd_ = -1;  // pending file of the open epoch, opened on first write
  std::string buffer_;
  // Records of the open epoch in buffer_, and written to its pending file; committed so far.
  std::array<uint64_t, kOutputCount> buffered_{}, in_file_{}, committed_{};
};

}  // namespace pixguard
