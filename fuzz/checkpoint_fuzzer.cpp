// Fuzzes what a restart reads back: checkpoint files (runtime/checkpoint_store), the state
// changes and bases of incremental checkpoints, the part states inside them
// (runtime/part_state), the incremental and partitioned state envelopes
// (runtime/part_checkpoints) and the saved accounting. The first input byte picks the
// reader; the rest is its input. Checksummed files are fuzzed twice: as they come (the
// framing must refuse them) and re-framed with a valid header and checksum, so that the
// fuzzer reaches the body parsers behind the CRC. Checked beyond "no sanitizer report":
//  - what decodes encodes back to bytes that decode to the same thing (checkpoints, the
//    incremental and partitioned envelopes);
//  - part states that load save to bytes that load again and save to as many bytes;
//  - a changes file that reads holds whole StateChange records.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/byte_io.h"
#include "core/crc32c.h"
#include "fuzz/fuzz_checks.h"
#include "runtime/accounting.h"
#include "runtime/checkpoint_store.h"
#include "runtime/part_checkpoints.h"
#include "runtime/part_state.h"

namespace pixguard::fuzz {
namespace {

// The shipped config: part states are shaped by its features.
const Config& shipped_config() {
  static const Config config = [] {
    Config c;
    const Status s = load_config(std::string(PIXGUARD_SOURCE_DIR) + "/config/streaming_config.yaml", &c);
    if (!s.ok()) {
      std::fprintf(stderr, "checkpoint_fuzzer: %s\n", s.message().c_str());
      std::abort();
    }
    return c;
  }();
  return config;
}

const std::string& temp_dir() {
  static const std::string dir = [] {
    const std::string d = (std::filesystem::temp_directory_path() /
                           ("pixguard_checkpoint_fuzz_" + std::to_string(::getpid()))).string();
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

// magic | u32 format 1 | u32 CRC-32C of the body | u64 body size | body: the header of
// checkpoint, changes and base files.
std::string framed(const char (&magic)[9], std::string_view body) {
  std::string out(magic, 8);
  ByteWriter w(&out);
  w.put<uint32_t>(1);
  w.put<uint32_t>(crc32c(body));
  w.put<uint64_t>(body.size());
  out.append(body);
  return out;
}

void write_file(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  PIXGUARD_FUZZ_CHECK(out.good());
}

void checkpoint(const std::string& bytes) {
  Checkpoint c;
  if (!CheckpointStore::decode(bytes, &c).ok()) return;
  Checkpoint again;
  PIXGUARD_FUZZ_CHECK(CheckpointStore::decode(CheckpointStore::encode(c), &again).ok());
  PIXGUARD_FUZZ_CHECK(again.epoch == c.epoch && again.pipeline_id == c.pipeline_id &&
                      again.source_name == c.source_name && again.source_position == c.source_position &&
                      again.state_shape == c.state_shape && again.model_version == c.model_version &&
                      again.written_at_us == c.written_at_us && again.state == c.state);
}

void changes(std::string_view file) {
  // Named for the epoch its trailer (the last 16 bytes: epoch, count) holds, as the store names it.
  uint64_t epoch = 1;
  if (file.size() >= 16) std::memcpy(&epoch, file.data() + file.size() - 16, sizeof epoch);
  if (epoch == 0) epoch = 1;
  char name[64];
  std::snprintf(name, sizeof name, "/changes-%020llu.log", static_cast<unsigned long long>(epoch));
  const CheckpointStore store(temp_dir(), 2);
  write_file(temp_dir() + name, file);
  std::vector<StateChange> out;
  if (store.read_changes(epoch, &out).ok()) PIXGUARD_FUZZ_CHECK(out.size() * sizeof(StateChange) + 16 + 24 <= file.size());
  std::filesystem::remove(temp_dir() + name);
}

void part_states(std::string_view snapshot) {
  PartStates states(shipped_config());
  ByteReader in(snapshot);
  if (!states.load(&in)) return;
  std::string saved;
  ByteWriter w(&saved);
  states.save(&w);
  PartStates again(shipped_config());
  ByteReader back(saved);
  PIXGUARD_FUZZ_CHECK(again.load(&back) && back.at_end());
  std::string saved_again;
  ByteWriter w2(&saved_again);
  again.save(&w2);
  // The same content; not byte for byte: keys are saved in their hash tables' order.
  PIXGUARD_FUZZ_CHECK(saved_again.size() == saved.size());
}

void base(std::string_view file) {
  const CheckpointStore store(temp_dir(), 2);
  write_file(temp_dir() + "/parts-00000000000000000001.base", file);
  std::string parts;
  if (store.read_base(1, &parts).ok()) part_states(parts);
}

void incremental(std::string_view state) {
  IncrementalState inc;
  bool is_incremental = false;
  if (!IncrementalState::decode(state, &inc, &is_incremental).ok() || !is_incremental) return;
  IncrementalState again;
  PIXGUARD_FUZZ_CHECK(IncrementalState::decode(inc.encode(), &again, &is_incremental).ok() && is_incremental);
  PIXGUARD_FUZZ_CHECK(again.accounting == inc.accounting && again.base_epoch == inc.base_epoch);
  Accounting a;
  ByteReader in(inc.accounting);
  (void)load_accounting(&in, {"rule_a", "rule_b"}, &a);
}

void partitioned(std::string_view state) {
  std::string accounting;
  PartWriter writer;
  std::vector<PartSection> sections;
  if (!decode_partitioned_state(state, &accounting, &writer, &sections).ok()) return;
  std::string accounting2;
  PartWriter writer2;
  std::vector<PartSection> sections2;
  PIXGUARD_FUZZ_CHECK(
      decode_partitioned_state(encode_partitioned_state(accounting, writer, sections), &accounting2, &writer2, &sections2)
          .ok());
  PIXGUARD_FUZZ_CHECK(accounting2 == accounting && writer2.instance == writer.instance && writer2.run == writer.run &&
                      writer2.epoch == writer.epoch && sections2.size() == sections.size());
  for (std::size_t i = 0; i < sections.size(); ++i) {
    PIXGUARD_FUZZ_CHECK(sections2[i].part == sections[i].part && sections2[i].next_position == sections[i].next_position &&
                        sections2[i].state == sections[i].state);
  }
}

}  // namespace
}  // namespace pixguard::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace pixguard::fuzz;
  if (size < 1) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 9) {
    case 0: checkpoint(std::string(in)); break;                       // a checkpoint file as is
    case 1: checkpoint(framed("PXGCKPT1", in)); break;                // its body behind a valid header
    case 2: changes(in); break;                                       // a changes file as is
    case 3: changes(framed("PXGCHGS2", in)); break;
    case 4: base(in); break;                                          // a base file as is
    case 5: base(framed("PXGBASE1", in)); break;
    case 6: part_states(in); break;                                   // a part states snapshot
    case 7: incremental(in); break;                                   // a checkpoint's state: incremental
    case 8: partitioned(in); break;                                   //   or partitioned (Kafka)
  }
  return 0;
}
