#include "preauth/preauth_source.h"

#include <charconv>
#include <chrono>

#include <fmt/format.h>

#include "core/json_writer.h"
#include "core/log.h"

namespace pixguard {

struct PreauthSource::Call {
  std::string body;
  bool with_features = false;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  Reply reply;

  void finish(Reply r) {
    {
      std::lock_guard lock(mu);
      if (done) return;
      reply = std::move(r);
      done = true;
    }
    cv.notify_one();
  }
};

namespace {

std::string error_body(std::string_view error, std::string_view detail) {
  std::string out;
  JsonWriter w(&out);
  w.raw("{\"error\":");
  w.string(error);
  w.raw(",\"detail\":");
  w.string(detail);
  w.ch('}');
  return out;
}

// The answer as the caller asked for it: with its features, or cut before them.
std::string shaped(const std::string& answer, uint32_t features_at, bool with_features) {
  if (with_features || features_at == 0 || features_at >= answer.size()) return answer;
  std::string out = answer.substr(0, features_at);
  out.push_back('}');
  return out;
}

}  // namespace

Status PreauthSource::open(const PreauthOptions& options, std::unique_ptr<DecisionJournal> journal,
                           std::unique_ptr<PreauthSource>* out) {
  std::unique_ptr<PreauthSource> p(new PreauthSource(options, std::move(journal)));
  const uint64_t last = p->journal_->last_seq();
  const uint64_t from = last > options.answers_kept ? last - options.answers_kept + 1 : 1;
  Status s = p->journal_->read_from(from, [&](JournalEntry&& e) {
    if (e.decided) p->keep_answer(e.end_to_end_id, e.answer, e.features_at);
  });
  if (!s.ok()) return s;
  *out = std::move(p);
  return Status::Ok();
}

PreauthSource::~PreauthSource() { close(); }

void PreauthSource::close() {
  std::deque<std::shared_ptr<Call>> waiting;
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    waiting.swap(queue_);
  }
  for (const auto& c : waiting) c->finish({503, error_body("stopping", "the service is shutting down; ask again")});
}

WaitHistogram PreauthSource::answer_latency() const {
  std::lock_guard lock(latency_mu_);
  return latency_;
}

PreauthSource::Reply PreauthSource::score(std::string_view body, bool with_features) {
  const auto arrived = std::chrono::steady_clock::now();
  Reply reply = decide(body, with_features);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - arrived).count();
  std::lock_guard lock(latency_mu_);
  latency_.observe(seconds);
  return reply;
}

PreauthSource::Reply PreauthSource::decide(std::string_view body, bool with_features) {
  auto call = std::make_shared<Call>();
  call->body = std::string(body);
  call->with_features = with_features;
  {
    std::lock_guard lock(mu_);
    if (closed_) return {503, error_body("stopping", "the service is shutting down; ask again")};
    if (queue_.size() >= options_.max_queued) {
      counters_.overloaded.fetch_add(1, std::memory_order_relaxed);
      return {503, error_body("overloaded", fmt::format("{} requests already wait (preauth.max_queued); ask again",
                                                       options_.max_queued))};
    }
    queue_.push_back(call);
  }
  arrived_.notify_one();
  std::unique_lock lock(call->mu);
  if (!call->cv.wait_for(lock, std::chrono::microseconds(options_.timeout_us), [&] { return call->done; })) {
    call->done = true;  // an answer arriving later is not delivered
    counters_.timed_out.fetch_add(1, std::memory_order_relaxed);
    return {503, error_body("timeout", "no answer within preauth.timeout; ask again with the same transaction "
                                       "(it may have been decided: the same answer comes back)")};
  }
  return std::move(call->reply);
}

Status PreauthSource::seek(std::string_view position) {
  uint64_t p = 0;
  const auto r = std::from_chars(position.data(), position.data() + position.size(), p);
  if (r.ec != std::errc{} || r.ptr != position.data() + position.size()) {
    return Status::InvalidArgument("preauth: bad position '" + std::string(position) + "'");
  }
  if (p > journal_->last_seq()) {
    return Status::Corruption(fmt::format("preauth journal: the checkpoint read up to request {}, but the journal ends "
                                          "at {} (a journal from elsewhere, or lost)", p, journal_->last_seq()));
  }
  replay_from_ = p + 1;
  position_ = p;
  return Status::Ok();
}

Status PreauthSource::load_replay() {
  replay_loaded_ = true;
  // Without a checkpoint every journaled request is replayed (none reached a committed epoch).
  Status s = journal_->read_from(replay_from_, [&](JournalEntry&& e) { replay_.push_back(std::move(e)); });
  if (!s.ok()) return s;
  if (!replay_.empty()) {
    if (replay_.front().seq != replay_from_) {
      return Status::Corruption(fmt::format("preauth journal: requests {} to {} are missing", replay_from_,
                                            replay_.front().seq - 1));
    }
    log(LogLevel::kInfo, fmt::format("preauth: replaying {} answered requests journaled after the checkpoint",
                                     replay_.size()));
  }
  return Status::Ok();
}

Status PreauthSource::read(RecordBatch* batch, std::size_t max_records, bool* end) {
  *end = false;
  replaying_.clear();
  if (!replay_loaded_) {
    if (Status s = load_replay(); !s.ok()) return s;
  }
  if (!replay_.empty()) {
    // Answered before the crash: first, before anything new, each keeping its answer.
    while (!replay_.empty() && replaying_.size() < max_records) {
      replaying_.push_back(std::move(replay_.front()));
      replay_.pop_front();
    }
    for (const JournalEntry& e : replaying_) {
      batch->add(e.message, static_cast<int64_t>(e.seq));
      batch->mark_request(true, e.decided ? &e.prior : nullptr);
      InFlight& f = in_flight_.emplace_back();
      f.seq = e.seq;
      f.replayed = &e;
      position_ = e.seq;
    }
    counters_.replayed.fetch_add(replaying_.size(), std::memory_order_relaxed);
    return Status::Ok();
  }
  std::deque<std::shared_ptr<Call>> taken;
  {
    std::unique_lock lock(mu_);
    if (queue_.empty()) {
      arrived_.wait_for(lock, std::chrono::microseconds(options_.idle_wait_us), [&] { return !queue_.empty(); });
    }
    while (!queue_.empty() && taken.size() < max_records) {
      taken.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
  }
  for (auto& call : taken) {
    const uint64_t seq = ++position_;
    batch->add(call->body, static_cast<int64_t>(seq));
    batch->mark_request(true, nullptr);
    InFlight& f = in_flight_.emplace_back();
    f.seq = seq;
    f.call = std::move(call);
  }
  return Status::Ok();
}

PreauthSource::InFlight* PreauthSource::in_flight(int64_t position) {
  if (in_flight_.empty() || position < 0) return nullptr;
  const uint64_t at = static_cast<uint64_t>(position) - in_flight_.front().seq;
  return at < in_flight_.size() ? &in_flight_[at] : nullptr;
}

void PreauthSource::rejected(int64_t position, const Rejection& why) {
  InFlight* f = in_flight(position);
  if (f == nullptr) return;
  f->kind = InFlight::Kind::kRejected;
  f->answer.clear();
  JsonWriter w(&f->answer);
  w.raw("{\"error\":\"invalid transaction\",\"field\":");
  if (why.field < 0) {
    w.raw("null");
  } else {
    w.string(why.field_name());
  }
  w.raw(",\"rule\":");
  w.string(why.rule);
  w.raw(",\"detail\":");
  w.string(why.detail);
  w.ch('}');
}

void PreauthSource::duplicate(int64_t position, std::string_view end_to_end_id) {
  InFlight* f = in_flight(position);
  if (f == nullptr) return;
  f->kind = InFlight::Kind::kDuplicate;
  f->end_to_end_id = std::string(end_to_end_id);
}

void PreauthSource::decided(int64_t position, std::string_view end_to_end_id, const Decision& decision,
                            std::string_view model_version, std::string_view answer, std::size_t features_at) {
  InFlight* f = in_flight(position);
  if (f == nullptr) return;
  f->kind = InFlight::Kind::kDecided;
  f->end_to_end_id = std::string(end_to_end_id);
  f->answer = std::string(answer);
  f->features_at = static_cast<uint32_t>(features_at);
  f->prior.decision = decision;
  f->prior.model_version = std::string(model_version);
}

void PreauthSource::keep_answer(const std::string& end_to_end_id, const std::string& answer, uint32_t features_at) {
  const auto [it, added] = kept_.insert_or_assign(end_to_end_id, Kept{answer, features_at});
  if (!added) return;
  kept_order_.push_back(end_to_end_id);
  while (kept_order_.size() > options_.answers_kept) {
    kept_.erase(kept_order_.front());
    kept_order_.pop_front();
  }
}

Status PreauthSource::flush() {
  if (in_flight_.empty()) return Status::Ok();
  std::string bytes;
  uint64_t last_seq = 0;
  std::vector<std::pair<std::shared_ptr<Call>, Reply>> replies;
  for (InFlight& f : in_flight_) {
    if (f.call == nullptr) {
      // Replayed: its caller already has the answer; the outputs must agree with it.
      const JournalEntry& e = *f.replayed;
      const bool same = e.decided ? f.kind == InFlight::Kind::kDecided : f.kind != InFlight::Kind::kDecided;
      if (!same) {
        counters_.replay_mismatches.fetch_add(1, std::memory_order_relaxed);
        log(LogLevel::kError, fmt::format("preauth: journaled request {} was answered {}, but replayed it was {}; the "
                                          "outputs do not hold what its caller was told (has the config changed?)",
                                          e.seq, e.status, f.kind == InFlight::Kind::kDecided ? "decided" : "not decided"));
      }
      continue;
    }
    JournalEntry e;
    e.seq = f.seq;
    e.message = std::move(f.call->body);
    switch (f.kind) {
      case InFlight::Kind::kDecided:
        e.status = 200;
        e.answer = std::move(f.answer);
        e.features_at = f.features_at;
        e.end_to_end_id = std::move(f.end_to_end_id);
        e.decided = true;
        e.prior = std::move(f.prior);
        keep_answer(e.end_to_end_id, e.answer, e.features_at);
        counters_.decided.fetch_add(1, std::memory_order_relaxed);
        break;
      case InFlight::Kind::kRejected:
        e.status = 400;
        e.answer = std::move(f.answer);
        counters_.rejected.fetch_add(1, std::memory_order_relaxed);
        break;
      case InFlight::Kind::kDuplicate:
        e.end_to_end_id = std::move(f.end_to_end_id);
        if (const auto it = kept_.find(e.end_to_end_id); it != kept_.end()) {
          e.status = 200;
          e.answer = it->second.answer;
          e.features_at = it->second.features_at;
          counters_.repeated.fetch_add(1, std::memory_order_relaxed);
        } else {
          e.status = 409;
          e.answer = error_body("already decided",
                                "this end_to_end_id was decided earlier (by the stream, or its answer is no longer kept)");
          counters_.conflicts.fetch_add(1, std::memory_order_relaxed);
        }
        break;
      case InFlight::Kind::kNone:
        // Every request read is decided, rejected or a duplicate in its batch; this is a bug.
        return Status::Corruption(fmt::format("preauth: request {} left its batch without an outcome (a bug)", f.seq));
    }
    if (Status s = journal_->encode(e, &bytes); !s.ok()) return s;
    last_seq = e.seq;
    Reply reply{e.status, shaped(e.answer, e.features_at, f.call->with_features)};
    replies.emplace_back(std::move(f.call), std::move(reply));
  }
  in_flight_.clear();
  if (replies.empty()) return Status::Ok();
  journal_->append(std::move(bytes), last_seq, [replies = std::move(replies)](const Status& written) mutable {
    for (auto& [call, reply] : replies) {
      if (written.ok()) {
        call->finish(std::move(reply));
      } else {
        call->finish({503, error_body("not durable", "the journal could not be written; the service stops")});
      }
    }
  });
  return Status::Ok();
}

Status PreauthSource::prepare_checkpoint() {
  if (Status s = flush(); !s.ok()) return s;
  if (Status s = journal_->wait_durable(position_); !s.ok()) return s;
  // The journal goes back to the oldest checkpoint kept (a restart may resume from it), and
  // far enough to rebuild the answers kept.
  checkpointed_.push_back(position_);
  while (checkpointed_.size() > options_.keep_checkpoints) checkpointed_.pop_front();
  const uint64_t needed_for_answers = position_ > options_.answers_kept ? position_ - options_.answers_kept : 0;
  journal_->remove_before(std::min(checkpointed_.front(), needed_for_answers) + 1);
  return Status::Ok();
}

}  // namespace pixguard
