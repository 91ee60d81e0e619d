#include "runtime/pipeline.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "config/config.h"
#include "decode/decoder.h"
#include "score/gbdt_model.h"
#include "sources/generator.h"

namespace pixguard {
namespace {

std::string source_dir() {
  if (const char* env = std::getenv("PIXGUARD_SOURCE_DIR"); env != nullptr && *env != '\0') return env;
  return PIXGUARD_SOURCE_DIR;
}

// Keeps every record it is handed, in order.
class CollectingSink final : public Sink {
 public:
  const std::string& name() const override { return name_; }
  Status begin_epoch(uint64_t) override { return Status::Ok(); }
  Status write(const SinkRecord& r) override {
    lines.emplace_back(r.json);
    return Status::Ok();
  }
  Status prepare(uint64_t) override { return Status::Ok(); }
  Status commit(uint64_t) override { return Status::Ok(); }
  Status abort(uint64_t) override { return Status::Ok(); }
  uint64_t last_committed_epoch() const override { return 0; }
  Status recover(uint64_t) override { return Status::Ok(); }

  std::vector<std::string> lines;

 private:
  std::string name_ = "collect";
};

struct RunResult {
  std::vector<std::string> scored, alerts, dead_letters;
  uint64_t in = 0, scored_count = 0, dead = 0, duplicates = 0, late = 0;
  std::vector<uint64_t> rules_fired;
  std::vector<std::string> rule_names;
  std::string state;  // the parts' snapshot after the last batch
  StateSummary summary;
};

// The part of a message when the input is keyed by payer (as Kafka topics are).
uint32_t part_of(std::string_view message, uint32_t parts) {
  return static_cast<uint32_t>(std::hash<std::string_view>{}(generated_payer_account(message)) % parts);
}

// The messages in the order a reader of `parts` parts receives them: each part's in input
// order, the parts interleaved by `interleave` (0: as in the input; otherwise a seed: runs of
// 1 to 300 messages of one part at a time, the part drawn at random).
std::vector<std::pair<uint32_t, std::size_t>> arrival(const std::vector<std::string>& messages, uint32_t parts,
                                                      uint64_t interleave) {
  std::vector<std::pair<uint32_t, std::size_t>> out;
  if (interleave == 0) {
    for (std::size_t i = 0; i < messages.size(); ++i) out.emplace_back(part_of(messages[i], parts), i);
    return out;
  }
  std::vector<std::vector<std::size_t>> by_part(parts);
  for (std::size_t i = 0; i < messages.size(); ++i) by_part[part_of(messages[i], parts)].push_back(i);
  std::vector<std::size_t> next(parts, 0);
  uint64_t x = interleave;
  const auto draw = [&x](uint64_t bound) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return (x >> 33) % bound;
  };
  while (out.size() < messages.size()) {
    const auto p = static_cast<uint32_t>(draw(parts));
    for (uint64_t k = 1 + draw(300); k > 0 && next[p] < by_part[p].size(); --k) out.emplace_back(p, by_part[p][next[p]++]);
  }
  return out;
}

// The shipped config and model over `messages`, keyed by payer into `parts` parts that
// arrive interleaved by `interleave`, cut into batches of `batch_size`.
RunResult run(const std::vector<std::string>& messages, std::size_t workers, std::size_t batch_size,
              uint32_t parts, uint64_t interleave = 0) {
  Config config;
  EXPECT_TRUE(load_config(source_dir() + "/config/streaming_config.yaml", &config).ok());
  config.workers = workers;
  config.allowed_lateness_us = 60'000'000;  // some of the generator's late messages are beyond it
  std::shared_ptr<const GbdtModel> model;
  EXPECT_TRUE(GbdtModel::load(source_dir() + "/model/pixguard-default.json", &model).ok());
  std::unique_ptr<Pipeline> p;
  EXPECT_TRUE(Pipeline::create(config, make_json_decoder(config.validation.mapping), model, nullptr, &p).ok());
  EXPECT_EQ(p->workers(), workers);
  CollectingSink scored, alerts, dead;
  p->add_sink(Output::kScored, &scored);
  p->add_sink(Output::kAlerts, &alerts);
  p->add_sink(Output::kDeadLetters, &dead);
  // Every part is awaited from the start, as the runner does for a partitioned source.
  std::vector<Pipeline::InputPart> inputs;
  for (uint32_t q = 0; q < parts; ++q) inputs.push_back({q, -1, false});
  p->set_input_parts(inputs);
  const auto order = arrival(messages, parts, interleave);
  for (std::size_t i = 0; i < order.size(); i += batch_size) {
    RecordBatch b;
    for (std::size_t j = i; j < std::min(order.size(), i + batch_size); ++j) {
      // The position: the message's place in the input, which grows within each part.
      b.add(messages[order[j].second], static_cast<int64_t>(order[j].second), -1, order[j].first);
    }
    b.finish();
    EXPECT_TRUE(p->process(b, "test").ok());
    if (i / batch_size % 16 == 15) p->expire_state();  // an epoch end now and then
  }
  EXPECT_TRUE(p->accounting().balanced());
  EXPECT_TRUE(p->release_held().ok());  // the end of the input
  EXPECT_EQ(p->accounting().held, 0u);
  RunResult r;
  r.scored = std::move(scored.lines);
  r.alerts = std::move(alerts.lines);
  r.dead_letters = std::move(dead.lines);
  std::sort(r.dead_letters.begin(), r.dead_letters.end());  // they leave in arrival order
  const Accounting& a = p->accounting();
  r.in = a.in;
  r.scored_count = a.scored;
  r.dead = a.dead_letters;
  r.duplicates = a.duplicates;
  r.late = a.late;
  r.rules_fired = a.rules_fired;
  r.rule_names = p->rule_names();
  p->expire_state();
  r.summary = p->accounting().state;
  ByteWriter w(&r.state);
  p->save_parts(&w);
  return r;
}

std::vector<std::string> generated(uint64_t count) {
  GeneratorOptions g;
  g.count = count;
  g.payers = 2'000;   // busy keys: many reach the indexed histories
  g.payees = 3'000;
  g.fraud_share = 0.05;  // mule and compromised-payee patterns among them
  g.invalid_share = 0.01;
  g.duplicate_share = 0.01;
  g.late_share = 0.05;
  return generate_messages(g);
}

void expect_same(const RunResult& want, const RunResult& got, const std::string& what) {
  EXPECT_EQ(got.in, want.in) << what;
  EXPECT_EQ(got.scored_count, want.scored_count) << what;
  EXPECT_EQ(got.dead, want.dead) << what;
  EXPECT_EQ(got.duplicates, want.duplicates) << what;
  EXPECT_EQ(got.late, want.late) << what;
  EXPECT_EQ(got.rules_fired, want.rules_fired) << what;
  EXPECT_TRUE(got.scored == want.scored) << what << ": scored records differ";
  EXPECT_TRUE(got.alerts == want.alerts) << what << ": alerts differ";
  EXPECT_TRUE(got.dead_letters == want.dead_letters) << what << ": dead letters differ";
  // Snapshots list keys in hash-table order, which shards change: compare what they hold.
  EXPECT_EQ(got.state.size(), want.state.size()) << what << ": state snapshots differ in size";
  EXPECT_EQ(got.summary.payer_keys, want.summary.payer_keys) << what;
  EXPECT_EQ(got.summary.payee_keys, want.summary.payee_keys) << what;
  EXPECT_EQ(got.summary.events, want.summary.events) << what;
  EXPECT_EQ(got.summary.dedupe_ids, want.summary.dedupe_ids) << what;
}

TEST(PipelineWorkers, DecisionsAndStateDoNotDependOnWorkersOrBatchSize) {
  const std::vector<std::string> messages = generated(30'000);
  for (const uint32_t parts : {1u, 3u}) {
    const RunResult one = run(messages, 1, 1024, parts);
    // The stream exercises what is at stake: payee-side patterns fire, and every input is
    // accounted for.
    ASSERT_EQ(one.in, messages.size());
    EXPECT_EQ(one.in, one.scored_count + one.dead + one.duplicates);
    EXPECT_GT(one.dead, 0u);
    EXPECT_GT(one.duplicates, 0u);
    EXPECT_GT(one.late, 0u);
    EXPECT_GT(one.summary.payee_keys, 0u);
    EXPECT_FALSE(one.alerts.empty());
    for (const std::string rule : {"mule_fan_in", "compromised_payee"}) {
      const auto at = std::find(one.rule_names.begin(), one.rule_names.end(), rule);
      ASSERT_NE(at, one.rule_names.end()) << rule;
      EXPECT_GT(one.rules_fired[static_cast<std::size_t>(at - one.rule_names.begin())], 0u) << rule;
    }
    for (const std::size_t workers : {2, 3, 5}) {
      for (const std::size_t batch : {1, 7, 64, 1024}) {
        expect_same(one, run(messages, workers, batch, parts),
                     std::to_string(parts) + " parts, " + std::to_string(workers) + " workers, batch " +
                         std::to_string(batch));
      }
    }
  }
}

// Payee features see every part's transactions in an order that does not depend on how the
// parts interleave on arrival: a payee paid from payers in different parts (a mule) is
// seen whole, and the decisions are the same however the parts' messages arrive.
TEST(PipelineWorkers, PayeeFeaturesDoNotDependOnHowPartsInterleave) {
  const std::vector<std::string> messages = generated(30'000);
  const RunResult one_part = run(messages, 1, 1024, 1);
  const RunResult in_order = run(messages, 1, 1024, 4);
  const auto fired = [](const RunResult& r, const std::string& rule) {
    const auto at = std::find(r.rule_names.begin(), r.rule_names.end(), rule);
    return r.rules_fired[static_cast<std::size_t>(at - r.rule_names.begin())];
  };
  // The payee rules fire over 4 parts about as often as over one (the merge order is not the
  // arrival order, so not exactly as often).
  for (const std::string rule : {"mule_fan_in", "compromised_payee"}) {
    EXPECT_GT(fired(in_order, rule), fired(one_part, rule) * 9 / 10) << rule;
  }
  for (const uint64_t interleave : {1, 2, 3}) {
    for (const std::size_t workers : {1, 3}) {
      expect_same(in_order, run(messages, workers, 512, 4, interleave),
                  "4 parts interleaved by seed " + std::to_string(interleave) + ", " + std::to_string(workers) +
                      " workers");
    }
  }
}

// A checkpoint does not depend on the worker count: the state saved by 3 workers, restored
// into 1, carries on as if 1 had run all along (and the other way round).
TEST(PipelineWorkers, StateSavedWithSomeWorkersRestoresWithOthers) {
  const std::vector<std::string> messages = generated(12'000);
  const auto make = [](std::size_t workers, Config* config, std::unique_ptr<Pipeline>* p, CollectingSink* scored) {
    ASSERT_TRUE(load_config(source_dir() + "/config/streaming_config.yaml", config).ok());
    config->workers = workers;
    std::shared_ptr<const GbdtModel> model;
    ASSERT_TRUE(GbdtModel::load(source_dir() + "/model/pixguard-default.json", &model).ok());
    ASSERT_TRUE(Pipeline::create(*config, make_json_decoder(config->validation.mapping), model, nullptr, p).ok());
    (*p)->add_sink(Output::kScored, scored);
  };
  const auto feed = [&](Pipeline& p, std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; i += 500) {
      RecordBatch b;
      for (std::size_t j = i; j < std::min(end, i + 500); ++j) b.add(messages[j], static_cast<int64_t>(j));
      b.finish();
      ASSERT_TRUE(p.process(b, "test").ok());
    }
  };
  const std::size_t half = messages.size() / 2;
  for (const auto& [before, after] : {std::pair<std::size_t, std::size_t>{3, 1}, {1, 4}}) {
    Config whole_config, first_config, second_config;
    std::unique_ptr<Pipeline> whole, first, second;
    CollectingSink whole_out, first_out, second_out;
    make(1, &whole_config, &whole, &whole_out);
    make(before, &first_config, &first, &first_out);
    make(after, &second_config, &second, &second_out);
    feed(*whole, 0, messages.size());
    feed(*first, 0, half);
    first->expire_state();
    std::string snapshot;
    ByteWriter w(&snapshot);
    first->save_state(&w);
    ASSERT_TRUE(second->load_state(snapshot).ok());
    feed(*second, half, messages.size());
    ASSERT_EQ(first_out.lines.size() + second_out.lines.size(), whole_out.lines.size());
    const std::vector<std::string> tail(whole_out.lines.begin() + static_cast<std::ptrdiff_t>(first_out.lines.size()),
                                        whole_out.lines.end());
    EXPECT_TRUE(second_out.lines == tail) << before << " workers, then " << after;
  }
}

// A partitioned source's checkpoint (the member's state: accounting, payees and held
// transactions; each part's state apart), taken while transactions are held and restored
// into a new pipeline, carries on as if the run had not stopped.
TEST(PipelineWorkers, HeldTransactionsSurviveACheckpoint) {
  const std::vector<std::string> messages = generated(12'000);
  constexpr uint32_t kParts = 4;
  const auto order = arrival(messages, kParts, 1);
  const auto make = [](std::unique_ptr<Pipeline>* p, Config* config, CollectingSink* scored) {
    ASSERT_TRUE(load_config(source_dir() + "/config/streaming_config.yaml", config).ok());
    config->workers = 2;
    std::shared_ptr<const GbdtModel> model;
    ASSERT_TRUE(GbdtModel::load(source_dir() + "/model/pixguard-default.json", &model).ok());
    ASSERT_TRUE(Pipeline::create(*config, make_json_decoder(config->validation.mapping), model, nullptr, p).ok());
    (*p)->add_sink(Output::kScored, scored);
    std::vector<Pipeline::InputPart> inputs;
    for (uint32_t q = 0; q < kParts; ++q) inputs.push_back({q, -1, false});
    (*p)->set_input_parts(inputs);
  };
  const auto feed = [&](Pipeline& p, std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; i += 500) {
      RecordBatch b;
      for (std::size_t j = i; j < std::min(end, i + 500); ++j) {
        b.add(messages[order[j].second], static_cast<int64_t>(order[j].second), -1, order[j].first);
      }
      b.finish();
      ASSERT_TRUE(p.process(b, "test").ok());
    }
  };
  Config whole_config, first_config, second_config;
  std::unique_ptr<Pipeline> whole, first, second;
  CollectingSink whole_out, first_out, second_out;
  make(&whole, &whole_config, &whole_out);
  make(&first, &first_config, &first_out);
  make(&second, &second_config, &second_out);
  feed(*whole, 0, order.size());
  ASSERT_TRUE(whole->release_held().ok());

  const std::size_t cut = order.size() / 2;
  feed(*first, 0, cut);
  ASSERT_GT(first->accounting().held, 0u) << "the cut must fall while transactions are held";
  std::string member;
  ByteWriter m(&member);
  first->save_member_state(&m);
  ASSERT_TRUE(second->load_member_state(member).ok());
  EXPECT_EQ(second->accounting().held, first->accounting().held);
  for (uint32_t q = 0; q < kParts; ++q) {
    std::string part;
    ByteWriter w(&part);
    first->save_part(q, &w);
    ASSERT_TRUE(second->load_part(q, part).ok());
  }
  feed(*second, cut, order.size());
  ASSERT_TRUE(second->release_held().ok());
  ASSERT_EQ(first_out.lines.size() + second_out.lines.size(), whole_out.lines.size());
  const std::vector<std::string> tail(whole_out.lines.begin() + static_cast<std::ptrdiff_t>(first_out.lines.size()),
                                      whole_out.lines.end());
  EXPECT_TRUE(second_out.lines == tail);
}

// A payee topic as the members see it: what a member's epoch sent becomes readable when the
// epoch commits (read_committed), partition by partition.
class PayeeTopic final : public Sink {
 public:
  explicit PayeeTopic(std::size_t partitions) : committed(partitions), pending_(partitions) {}
  const std::string& name() const override { return name_; }
  Status begin_epoch(uint64_t) override { return Status::Ok(); }
  Status write(const SinkRecord& r) override {
    EXPECT_EQ(r.kind, Output::kPayees);
    pending_.at(static_cast<std::size_t>(r.partition)).emplace_back(r.json);
    return Status::Ok();
  }
  Status prepare(uint64_t) override { return Status::Ok(); }
  Status commit(uint64_t) override {
    for (std::size_t q = 0; q < pending_.size(); ++q) {
      for (std::string& m : pending_[q]) committed[q].push_back(std::move(m));
      pending_[q].clear();
    }
    return Status::Ok();
  }
  Status abort(uint64_t) override { return Status::Ok(); }
  uint64_t last_committed_epoch() const override { return 0; }
  Status recover(uint64_t) override { return Status::Ok(); }

  std::vector<std::vector<std::string>> committed;  // by partition, in offset order

 private:
  std::string name_ = "payee topic";
  std::vector<std::vector<std::string>> pending_;
};

// Two members of a group repartition by payee through a payee topic: their decisions
// together are one process's, though each holds only some input partitions and some payee
// partitions, the members' epochs interleave, a copy of every payee record arrives (as an
// aborted transaction's do on a cluster that shows them), and a payee partition moves
// from one member to the other halfway (its state in a checkpoint section).
TEST(PipelineMembers, RepartitionedMembersDecideAsOneProcess) {
  const std::vector<std::string> messages = generated(20'000);
  constexpr uint32_t kInputs = 4, kPayeeParts = 3, kPayeeId = 10;  // payee partition q is part kPayeeId + q
  RunResult one = run(messages, 1, 1024, kInputs);
  std::sort(one.scored.begin(), one.scored.end());
  std::sort(one.alerts.begin(), one.alerts.end());

  struct Member {
    Config config;
    std::unique_ptr<Pipeline> pipeline;
    CollectingSink scored, alerts;
    std::vector<uint32_t> inputs, payee_parts;
    std::vector<std::size_t> read;  // by payee partition: the next offset to read
  };
  PayeeTopic topic(kPayeeParts);
  std::vector<Member> members(2);
  std::shared_ptr<const GbdtModel> model;
  ASSERT_TRUE(GbdtModel::load(source_dir() + "/model/pixguard-default.json", &model).ok());
  for (std::size_t m = 0; m < members.size(); ++m) {
    Member& x = members[m];
    ASSERT_TRUE(load_config(source_dir() + "/config/streaming_config.yaml", &x.config).ok());
    x.config.workers = m + 1;
    x.config.payee_state = Config::PayeeState::kRepartition;
    x.config.allowed_lateness_us = 60'000'000;  // as run() has it
    ASSERT_TRUE(Pipeline::create(x.config, make_json_decoder(x.config.validation.mapping), model, nullptr, &x.pipeline).ok());
    x.pipeline->add_sink(Output::kScored, &x.scored);
    x.pipeline->add_sink(Output::kAlerts, &x.alerts);
    x.pipeline->add_sink(Output::kPayees, &topic);
    x.pipeline->set_payee_topic(kInputs, kPayeeParts);
    x.read.assign(kPayeeParts, 0);
    for (uint32_t p = 0; p < kInputs; ++p) x.pipeline->declare_part(p, static_cast<int32_t>(p), false);
    for (uint32_t q = 0; q < kPayeeParts; ++q) x.pipeline->declare_part(kPayeeId + q, static_cast<int32_t>(q), true);
  }
  members[0].inputs = {0, 1};
  members[0].payee_parts = {0};
  members[1].inputs = {2, 3};
  members[1].payee_parts = {1, 2};
  const auto inputs_of = [](const Member& x, bool idle) {
    std::vector<Pipeline::InputPart> parts;
    for (const uint32_t p : x.inputs) parts.push_back({p, 0, idle});
    return parts;
  };
  // An epoch end: clocks, then the commit that makes the epoch's payee records readable.
  const auto end_epoch = [&](Member& x, bool idle) {
    x.pipeline->set_input_parts(inputs_of(x, idle));
    ASSERT_TRUE(x.pipeline->send_payee_clocks().ok());
    ASSERT_TRUE(topic.commit(0).ok());
  };
  // Reads what is readable of the member's payee partitions, each record twice.
  const auto read_payee_topic = [&](Member& x) {
    RecordBatch b;
    for (const uint32_t q : x.payee_parts) {
      for (; x.read[q] < topic.committed[q].size(); ++x.read[q]) {
        for (int copy = 0; copy < 2; ++copy) {
          b.add(topic.committed[q][x.read[q]], static_cast<int64_t>(x.read[q]), -1, kPayeeId + q);
        }
      }
    }
    b.finish();
    ASSERT_TRUE(x.pipeline->process(b, "payee topic").ok());
  };

  const auto order = arrival(messages, kInputs, 1);
  const std::size_t batch = 700;
  for (std::size_t i = 0, round = 0; i < order.size(); i += batch, ++round) {
    // A batch of input to each member: its own partitions' messages among the next ones.
    for (Member& x : members) {
      RecordBatch b;
      for (std::size_t j = i; j < std::min(order.size(), i + batch); ++j) {
        if (std::find(x.inputs.begin(), x.inputs.end(), order[j].first) == x.inputs.end()) continue;
        b.add(messages[order[j].second], static_cast<int64_t>(order[j].second), -1, order[j].first);
      }
      b.finish();
      x.pipeline->set_input_parts(inputs_of(x, false));
      ASSERT_TRUE(x.pipeline->process(b, "test").ok());
    }
    // Epochs end at different times for each member.
    if (round % 2 == 0) end_epoch(members[0], false);
    if (round % 3 == 0) end_epoch(members[1], false);
    for (Member& x : members) read_payee_topic(x);
    if (round == 12) {
      // Payee partition 0 moves to the second member, with its state.
      std::string section;
      ByteWriter w(&section);
      members[0].pipeline->save_part(kPayeeId, &w);
      members[0].pipeline->drop_part(kPayeeId);
      members[0].payee_parts.clear();
      ASSERT_TRUE(members[1].pipeline->load_part(kPayeeId, section).ok());
      members[1].payee_parts.push_back(0);
      members[1].read[0] = members[0].read[0];
    }
  }
  // The input ends: the final clocks say every partition is idle, and everything comes back.
  for (int pass = 0; pass < 2; ++pass) {
    for (Member& x : members) end_epoch(x, true);
    for (Member& x : members) read_payee_topic(x);
  }
  std::vector<std::string> scored, alerts;
  uint64_t in = 0, forwarded = 0, received = 0, scored_count = 0;
  for (Member& x : members) {
    EXPECT_TRUE(x.pipeline->payee_stages_drained());
    EXPECT_TRUE(x.pipeline->accounting().balanced());
    scored.insert(scored.end(), x.scored.lines.begin(), x.scored.lines.end());
    alerts.insert(alerts.end(), x.alerts.lines.begin(), x.alerts.lines.end());
    const Accounting& a = x.pipeline->accounting();
    in += a.in;
    forwarded += a.forwarded;
    received += a.received;
    scored_count += a.scored;
  }
  std::sort(scored.begin(), scored.end());
  std::sort(alerts.begin(), alerts.end());
  EXPECT_EQ(in, one.in);
  EXPECT_EQ(scored_count, one.scored_count);
  EXPECT_EQ(forwarded, one.scored_count);
  EXPECT_EQ(received, one.scored_count);
  EXPECT_FALSE(one.alerts.empty());
  EXPECT_TRUE(scored == one.scored) << "scored records differ from one process's";
  EXPECT_TRUE(alerts == one.alerts) << "alerts differ from one process's";
}

}  // namespace
}  // namespace pixguard

namespace pixguard {
namespace {

// Ids in the state are keyed hashes: a snapshot restored under another key would find none
// of its accounts, so it is refused, by name.
TEST(PipelineState, RefusesStateHashedUnderAnotherKey) {
  const auto make = [](const char* env, Config* config, std::unique_ptr<Pipeline>* p) {  // config outlives p
    ASSERT_TRUE(load_config(source_dir() + "/config/streaming_config.yaml", config).ok());
    config->privacy.key_file.clear();
    config->privacy.create_key = false;
    config->privacy.key_env = env;
    ASSERT_TRUE(Pipeline::create(*config, make_json_decoder(config->validation.mapping), nullptr, nullptr, p).ok());
  };
  ::setenv("PIXGUARD_PIPELINE_TEST_KEY_A", std::string(32, 'a').c_str(), 1);
  ::setenv("PIXGUARD_PIPELINE_TEST_KEY_B", std::string(32, 'b').c_str(), 1);
  Config a_config, same_config, other_config;
  std::unique_ptr<Pipeline> a, same, other;
  make("PIXGUARD_PIPELINE_TEST_KEY_A", &a_config, &a);
  make("PIXGUARD_PIPELINE_TEST_KEY_A", &same_config, &same);
  make("PIXGUARD_PIPELINE_TEST_KEY_B", &other_config, &other);
  RecordBatch b;
  for (const std::string& m : generated(200)) b.add(m, 0);
  b.finish();
  ASSERT_TRUE(a->process(b, "test").ok());
  std::string snapshot;
  ByteWriter w(&snapshot);
  a->save_state(&w);
  EXPECT_TRUE(same->load_state(snapshot).ok());
  const Status s = other->load_state(snapshot);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("another privacy key"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace pixguard
