#pragma once
// One file holding every scored record of a batch job (`pixguard replay --output`): a CSV
// table (one column per feature, then score, decision, label: what `train` reads) or JSON
// lines (the full scored record). Written to "<path>.pending"; each epoch's prepare()
// fsyncs it, and finish() renames it to <path>, so a reader never sees half a table.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "features/feature_spec.h"
#include "sinks/sink.h"

namespace pixguard {

class TableFileSink final : public Sink {
 public:
  enum class Format : unsigned char { kCsv, kJsonLines };

  static Status open(const std::string& path, Format format, const std::vector<FeatureSpec>& features,
                     std::unique_ptr<TableFileSink>* out);
  ~TableFileSink() override;

  const std::string& name() const override { return name_; }
  Status begin_epoch(uint64_t epoch) override;
  Status write(const SinkRecord& record) override;
  bool reads_json() const override { return format_ == Format::kJsonLines; }  // CSV rows come from the record
  Status prepare(uint64_t epoch) override;
  Status commit(uint64_t epoch) override;
  Status abort(uint64_t epoch) override;
  uint64_t last_committed_epoch() const override { return last_committed_; }
  // A table is written in one go: there is nothing to resume (checkpointed_epoch must be 0).
  Status recover(uint64_t checkpointed_epoch) override;

  // Publishes the table under its final name; call after the last commit.
  Status finish();

 private:
  TableFileSink(std::string path, Format format, std::size_t features)
      : path_(std::move(path)), name_("table:" + path_), format_(format), feature_count_(features) {}
  Status flush();

  std::string path_;
  std::string name_;
  Format format_;
  std::size_t feature_count_;
  int fd_ = -1;
  uint64_t last_committed_ = 0;
  std::string buffer_;
};

}  // namespace pixguard
