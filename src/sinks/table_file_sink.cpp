#include "sinks/table_file_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>

#include "core/file_io.h"
#include "core/json_writer.h"
#include "core/money.h"
#include "core/timestamp.h"
#include "sinks/scored_record.h"

namespace pixguard {
namespace {

// CSV cell: quoted only when it must be.
void csv_cell(std::string_view v, JsonWriter& w) {
  if (v.find_first_of(",\"\n\r") == std::string_view::npos) {
    w.raw(v);
    return;
  }
  w.ch('"');
  for (const char c : v) {
    if (c == '"') w.ch('"');
    w.ch(c);
  }
  w.ch('"');
}

}  // namespace

Status TableFileSink::open(const std::string& path, Format format, const std::vector<FeatureSpec>& features,
                           std::unique_ptr<TableFileSink>* out) {
  std::unique_ptr<TableFileSink> s(new TableFileSink(path, format, features.size()));
  const std::string pending = path + ".pending";
  s->fd_ = ::open(pending.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (s->fd_ < 0) return Status::IoError("output " + pending + ": " + std::strerror(errno));
  if (format == Format::kCsv) {
    JsonWriter w(&s->buffer_);
    w.raw("end_to_end_id,event_time,payer_account,payee_account,payee_key,amount");
    for (const FeatureSpec& f : features) {
      w.ch(',');
      csv_cell(f.name, w);
    }
    w.raw(",score,decision,label\n");
  }
  *out = std::move(s);
  return Status::Ok();
}

TableFileSink::~TableFileSink() {
  if (fd_ >= 0) ::close(fd_);
}

Status TableFileSink::begin_epoch(uint64_t) { return Status::Ok(); }

Status TableFileSink::write(const SinkRecord& record) {
  if (format_ == Format::kJsonLines || record.scored == nullptr) {
    buffer_.append(record.json);
    buffer_.push_back('\n');
  } else {
    const ScoredRecord& r = *record.scored;
    const Transaction& tx = *r.tx;
    char buf[40];
    JsonWriter w(&buffer_);  // numbers in the same shortest round-trip form as the JSON outputs
    csv_cell(tx.end_to_end_id, w);
    w.ch(',');
    w.raw(std::string_view(buf, static_cast<std::size_t>(format_timestamp_utc(tx.event_time_us, buf))));
    w.ch(',');
    csv_cell(tx.payer.account, w);
    w.ch(',');
    csv_cell(tx.payee.account, w);
    w.ch(',');
    csv_cell(tx.payee_key, w);
    w.ch(',');
    w.raw(std::string_view(buf, static_cast<std::size_t>(format_amount(tx.amount_cents, buf))));
    for (std::size_t i = 0; i < feature_count_; ++i) {
      w.ch(',');
      if (!std::isnan(r.features[i])) w.number(r.features[i]);  // empty cell = missing
    }
    w.ch(',');
    w.number(r.decision.score);
    w.ch(',');
    w.raw(outcome_name(r.decision.outcome));
    w.ch(',');
    if (r.enrichment->label >= 0) w.integer(r.enrichment->label);
    w.ch('\n');
  }
  if (buffer_.size() >= (1 << 20)) return flush();
  return Status::Ok();
}

Status TableFileSink::flush() {
  const char* p = buffer_.data();
  std::size_t left = buffer_.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IoError("output " + path_ + ".pending: " + std::strerror(errno));
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  buffer_.clear();
  return Status::Ok();
}

Status TableFileSink::prepare(uint64_t) {
  if (Status s = flush(); !s.ok()) return s;
  if (::fsync(fd_) != 0) return Status::IoError("output " + path_ + ".pending: fsync: " + std::strerror(errno));
  return Status::Ok();
}

Status TableFileSink::commit(uint64_t epoch) {
  last_committed_ = std::max(last_committed_, epoch);
  return Status::Ok();
}

Status TableFileSink::recover(uint64_t checkpointed_epoch) {
  if (checkpointed_epoch != 0) return Status::Unsupported("sink " + name_ + ": a table output cannot resume");
  return Status::Ok();
}

Status TableFileSink::abort(uint64_t) {
  buffer_.clear();
  return Status::Ok();
}

Status TableFileSink::finish() {
  if (Status s = flush(); !s.ok()) return s;
  if (::fsync(fd_) != 0 || ::close(fd_) != 0) {
    fd_ = -1;
    return Status::IoError("output " + path_ + ".pending: " + std::strerror(errno));
  }
  fd_ = -1;
  if (::rename((path_ + ".pending").c_str(), path_.c_str()) != 0) {
    return Status::IoError("output " + path_ + ": rename: " + std::strerror(errno));
  }
  // The new name is durable only once its directory is.
  const std::size_t slash = path_.rfind('/');
  if (Status s = fsync_dir(slash == std::string::npos ? "." : slash == 0 ? "/" : path_.substr(0, slash)); !s.ok()) {
    return s.with_context("output " + path_);
  }
  return Status::Ok();
}

}  // namespace pixguard
