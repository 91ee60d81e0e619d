#include "preauth/decision_journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "core/byte_io.h"
#include "core/crc32c.h"
#include "core/file_io.h"
#include "core/log.h"

namespace pixguard {
namespace {

constexpr std::string_view kPrefix = "journal-";
constexpr std::string_view kSuffix = ".log";
constexpr uint32_t kMaxEntryBytes = 64u << 20;
constexpr unsigned char kFormat = 1;

std::string segment_name(uint64_t first_seq) { return fmt::format("journal-{:020}.log", first_seq); }

bool parse_segment_name(const std::string& name, uint64_t* first_seq) {
  if (name.size() != kPrefix.size() + 20 + kSuffix.size() || !name.starts_with(kPrefix) || !name.ends_with(kSuffix)) {
    return false;
  }
  uint64_t v = 0;
  for (std::size_t i = kPrefix.size(); i < kPrefix.size() + 20; ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
    v = v * 10 + static_cast<uint64_t>(name[i] - '0');
  }
  *first_seq = v;
  return true;
}

// How a segment's entries end.
enum class Tail : unsigned char { kWhole, kTorn, kDamaged };

// Entries of one segment: calls `each(payload)` for each whole, intact entry (false stops:
// kDamaged); *good_bytes is where the last of them ends. A last entry that runs past the end
// of the data is torn (the process died writing it: a write's prefix); one that is all there
// but fails its checksum is damaged.
Tail split_entries(std::string_view data, const std::function<bool(std::string_view)>& each, std::size_t* good_bytes) {
  std::size_t at = 0;
  Tail tail = Tail::kWhole;
  while (at < data.size()) {
    uint32_t length = 0, crc = 0;
    if (data.size() - at < 8) {
      tail = Tail::kTorn;
      break;
    }
    std::memcpy(&length, data.data() + at, 4);
    std::memcpy(&crc, data.data() + at + 4, 4);
    if (length > kMaxEntryBytes) {
      tail = Tail::kDamaged;
      break;
    }
    if (data.size() - at - 8 < length) {
      tail = Tail::kTorn;
      break;
    }
    const std::string_view payload = data.substr(at + 8, length);
    if (crc32c(payload) != crc || !each(payload)) {
      tail = Tail::kDamaged;
      break;
    }
    at += 8 + length;
  }
  *good_bytes = at;
  return tail;
}

}  // namespace

Status DecisionJournal::open(const std::string& dir, const MessageCipher* cipher, Durability durability,
                             std::unique_ptr<DecisionJournal>* out) {
  std::unique_ptr<DecisionJournal> j(new DecisionJournal(dir, cipher, durability));
  if (Status s = create_directories_durably(dir); !s.ok()) return s;
  if (Status s = j->scan_segments(); !s.ok()) return s;
  if (Status s = j->open_segment(j->last_on_disk_ + 1); !s.ok()) return s;
  j->durable_seq_ = j->last_on_disk_;
  j->writer_ = std::thread([p = j.get()] { p->run(); });
  *out = std::move(j);
  return Status::Ok();
}

DecisionJournal::~DecisionJournal() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  if (fd_ >= 0) ::close(fd_);
}

Status DecisionJournal::scan_segments() {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir_, ec);
  if (ec) return Status::IoError("preauth journal " + dir_ + ": " + ec.message());
  for (const auto& e : it) {
    uint64_t first = 0;
    if (parse_segment_name(e.path().filename().string(), &first)) segments_.push_back({first, e.path().string()});
  }
  std::sort(segments_.begin(), segments_.end(), [](const Segment& a, const Segment& b) { return a.first_seq < b.first_seq; });
  // The last segment may end in a torn entry (the process died writing it); earlier ones were
  // whole when the next was started. Empty trailing segments (opened, nothing written) go.
  while (!segments_.empty()) {
    Segment& last = segments_.back();
    std::string data;
    if (Status s = read_whole_file(last.path, &data); !s.ok()) return s;
    uint64_t seq = 0;
    std::size_t good = 0;
    const Tail tail = split_entries(data, [&](std::string_view payload) {
      ByteReader r(payload);
      if (r.get<unsigned char>() != kFormat) return false;
      seq = r.get<uint64_t>();
      return !r.failed();
    }, &good);
    if (tail == Tail::kDamaged) {
      return Status::Corruption(fmt::format("preauth journal {}: a damaged entry at byte {} (answered requests may be "
                                            "lost: restore the file, or start over with --overwrite)", last.path, good));
    }
    if (tail == Tail::kTorn) {
      log(LogLevel::kWarn, fmt::format("preauth journal {}: cutting off {} bytes of a torn last entry (never answered)",
                                       last.path, data.size() - good));
      if (::truncate(last.path.c_str(), static_cast<off_t>(good)) != 0) {
        return Status::IoError("preauth journal " + last.path + ": truncate: " + std::strerror(errno));
      }
    }
    if (good > 0) {
      last_on_disk_ = seq;
      break;
    }
    if (::unlink(last.path.c_str()) != 0) return Status::IoError("preauth journal " + last.path + ": " + std::strerror(errno));
    const uint64_t first = last.first_seq;
    segments_.pop_back();
    if (segments_.empty()) last_on_disk_ = first - 1;  // the numbering goes on
  }
  return Status::Ok();
}

Status DecisionJournal::open_segment(uint64_t first_seq) {
  if (fd_ >= 0) {
    if (::fsync(fd_) != 0) return Status::IoError("preauth journal: fsync: " + std::string(std::strerror(errno)));
    ::close(fd_);
    fd_ = -1;
  }
  const std::string path = dir_ + "/" + segment_name(first_seq);
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
  if (fd_ < 0) return Status::IoError("preauth journal " + path + ": " + std::strerror(errno));
  if (Status s = fsync_dir(dir_); !s.ok()) return s;
  current_path_ = path;
  segment_bytes_ = 0;
  std::lock_guard lock(mu_);
  if (segments_.empty() || segments_.back().first_seq != first_seq) segments_.push_back({first_seq, path});
  return Status::Ok();
}

Status DecisionJournal::read_from(uint64_t from, const std::function<void(JournalEntry&&)>& each) const {
  for (std::size_t k = 0; k < segments_.size(); ++k) {
    if (k + 1 < segments_.size() && segments_[k + 1].first_seq <= from) continue;  // entirely before `from`
    std::string data;
    if (Status s = read_whole_file(segments_[k].path, &data); !s.ok()) return s;
    Status problem;
    std::size_t good = 0;
    const Tail tail = split_entries(data, [&](std::string_view payload) {
      ByteReader r(payload);
      JournalEntry e;
      const auto format = r.get<unsigned char>();
      e.seq = r.get<uint64_t>();
      const bool sealed = r.get<unsigned char>() != 0;
      std::string message = r.get_string();
      e.status = r.get<uint16_t>();
      e.answer = r.get_string();
      e.features_at = r.get<uint32_t>();
      e.end_to_end_id = r.get_string();
      e.decided = r.get<unsigned char>() != 0;
      if (e.decided) {
        e.prior.decision.outcome = static_cast<Outcome>(r.get<unsigned char>());
        e.prior.decision.score = r.get<double>();
        e.prior.decision.fired = r.get<uint64_t>();
        e.prior.decision.by_threshold = r.get<unsigned char>() != 0;
        e.prior.model_version = r.get_string();
      }
      if (format != kFormat || r.failed() || !r.at_end() || static_cast<unsigned>(e.prior.decision.outcome) > 2) {
        problem = Status::Corruption("malformed entry");
        return false;
      }
      if (sealed) {
        if (cipher_ == nullptr) {
          problem = Status::InvalidArgument("its requests are sealed under a privacy key, and none is configured");
          return false;
        }
        if (Status s = cipher_->open(message, &e.message); !s.ok()) {
          problem = s;
          return false;
        }
      } else {
        e.message = std::move(message);
      }
      if (e.seq >= from) each(std::move(e));
      return true;
    }, &good);
    if (!problem.ok() || tail != Tail::kWhole) {
      const std::string why = problem.ok() ? "a damaged entry" : problem.message();
      return Status::Corruption(fmt::format("preauth journal {}: {} at byte {}", segments_[k].path, why, good));
    }
  }
  return Status::Ok();
}

Status DecisionJournal::encode(const JournalEntry& e, std::string* batch) const {
  const std::size_t start = batch->size();
  batch->append(8, '\0');
  ByteWriter w(batch);
  w.put<unsigned char>(kFormat);
  w.put<uint64_t>(e.seq);
  w.put<unsigned char>(cipher_ != nullptr ? 1 : 0);
  if (cipher_ != nullptr) {
    std::string sealed;
    if (Status s = cipher_->seal(e.message, &sealed); !s.ok()) {
      batch->resize(start);
      return s;
    }
    w.put_string(sealed);
  } else {
    w.put_string(e.message);
  }
  w.put<uint16_t>(e.status);
  w.put_string(e.answer);
  w.put<uint32_t>(e.features_at);
  w.put_string(e.end_to_end_id);
  w.put<unsigned char>(e.decided ? 1 : 0);
  if (e.decided) {
    w.put<unsigned char>(static_cast<unsigned char>(e.prior.decision.outcome));
    w.put<double>(e.prior.decision.score);
    w.put<uint64_t>(e.prior.decision.fired);
    w.put<unsigned char>(e.prior.decision.by_threshold ? 1 : 0);
    w.put_string(e.prior.model_version);
  }
  const std::size_t length = batch->size() - start - 8;
  if (length > kMaxEntryBytes) {
    batch->resize(start);
    return Status::InvalidArgument("preauth journal: an entry over 64 MiB");
  }
  const auto length32 = static_cast<uint32_t>(length);
  const uint32_t crc = crc32c(std::string_view(*batch).substr(start + 8));
  std::memcpy(batch->data() + start, &length32, 4);
  std::memcpy(batch->data() + start + 4, &crc, 4);
  return Status::Ok();
}

void DecisionJournal::append(std::string batch, uint64_t last_seq, std::function<void(const Status&)> durable) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back({std::move(batch), last_seq, std::move(durable)});
  }
  cv_.notify_one();
}

Status DecisionJournal::wait_durable(uint64_t seq) {
  std::unique_lock lock(mu_);
  done_cv_.wait(lock, [&] { return durable_seq_ >= seq || !failed_.ok(); });
  return failed_;
}

void DecisionJournal::remove_before(uint64_t seq) {
  std::vector<std::string> doomed;
  {
    std::lock_guard lock(mu_);
    // A segment goes once the next one starts at or before `seq`: all its entries are older.
    while (segments_.size() > 1 && segments_[1].first_seq <= seq) {
      doomed.push_back(segments_.front().path);
      segments_.erase(segments_.begin());
    }
  }
  for (const std::string& path : doomed) {
    if (::unlink(path.c_str()) != 0) log(LogLevel::kWarn, "preauth journal " + path + ": " + std::strerror(errno));
  }
}

Status DecisionJournal::write_batch(const std::string& bytes, uint64_t last_seq) {
  if (segment_bytes_ >= kSegmentBytes) {
    uint64_t first = 0;
    // The batch's first entry names the new segment.
    std::memcpy(&first, bytes.data() + 8 + 1, 8);
    if (Status s = open_segment(first); !s.ok()) return s;
  }
  if (Status s = write_all(fd_, bytes, current_path_); !s.ok()) return s;
  if (durability_ == Durability::kFsync && ::fdatasync(fd_) != 0) {
    return Status::IoError("preauth journal " + current_path_ + ": fdatasync: " + std::strerror(errno));
  }
  segment_bytes_ += bytes.size();
  last_on_disk_ = last_seq;
  return Status::Ok();
}

void DecisionJournal::run() {
  for (;;) {
    std::deque<Pending> work;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, everything written
      work.swap(queue_);
    }
    // Everything queued meanwhile goes in one write and one sync (group commit).
    std::string bytes;
    if (work.size() == 1) {
      bytes = std::move(work.front().bytes);
    } else {
      for (const Pending& p : work) bytes += p.bytes;
    }
    Status s;
    {
      std::lock_guard lock(mu_);
      s = failed_;
    }
    if (s.ok()) s = write_batch(bytes, work.back().last_seq);
    {
      std::lock_guard lock(mu_);
      if (!s.ok() && failed_.ok()) failed_ = s;
      if (s.ok()) durable_seq_ = work.back().last_seq;
    }
    done_cv_.notify_all();
    for (Pending& p : work) p.durable(s);
  }
}

}  // namespace pixguard
