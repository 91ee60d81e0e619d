// stages_bench: the stateless stages one at a time (Google Benchmark), each next to the
// simdjson baseline on the same messages, so that a regression points at its stage.
//   decode       JSON bytes -> FieldValues (the default Pix shape)
//   validate     FieldValues -> Transaction (every Pix rule on)
//   encode       a scored record -> its JSON line (23 features, as the default config)
#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "simdjson_baseline.h"
#include "core/text_arena.h"
#include "decode/decoder.h"
#include "sinks/record_encoder.h"
#include "sources/generator.h"
#include "sources/record_batch.h"
#include "validate/validator.h"

namespace pixguard {
namespace {

// 4,096 valid generator messages in one padded batch, shared by every benchmark.
const RecordBatch& messages() {
  static const RecordBatch batch = [] {
    GeneratorOptions o;
    o.count = 4096;
    o.invalid_share = 0;
    o.duplicate_share = 0;
    Generator g(o);
    RecordBatch b;
    std::string m;
    while (g.next(&m)) {
      b.add(m, 0);
      m.clear();
    }
    b.finish();
    return b;
  }();
  return batch;
}

void BM_SimdjsonBaseline(benchmark::State& state) {
  const RecordBatch& b = messages();
  simdjson::ondemand::parser parser;
  std::size_t i = 0, sum = 0;
  for (auto _ : state) {
    sum += simdjson_read_fields(parser, b.message(i++ % b.size()));
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SimdjsonBaseline);

void BM_Decode(benchmark::State& state) {
  const RecordBatch& b = messages();
  auto decoder = make_json_decoder(FieldMapping::identity());
  TextArena arena;
  FieldValues fields;
  Rejection why;
  std::size_t i = 0;
  for (auto _ : state) {
    if (i % b.size() == 0) arena.reset(b.byte_size());
    benchmark::DoNotOptimize(decoder->decode(b.message(i++ % b.size()), &arena, &fields, &why));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Decode);

void BM_Validate(benchmark::State& state) {
  const RecordBatch& b = messages();
  auto decoder = make_json_decoder(FieldMapping::identity());
  TextArena arena;
  arena.reset(b.byte_size());
  std::vector<FieldValues> fields(b.size());
  Rejection why;
  for (std::size_t i = 0; i < b.size(); ++i) decoder->decode(b.message(i), &arena, &fields[i], &why);
  Validator validator{ValidationOptions{}};
  Transaction tx;
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        validator.validate(fields[i++ % fields.size()], std::numeric_limits<int64_t>::min(), &tx, &why));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Validate);

void BM_EncodeScored(benchmark::State& state) {
  const RecordBatch& b = messages();
  auto decoder = make_json_decoder(FieldMapping::identity());
  TextArena arena;
  arena.reset(b.byte_size());
  FieldValues fields;
  Rejection why;
  decoder->decode(b.message(0), &arena, &fields, &why);
  Transaction tx;
  Validator{ValidationOptions{}}.validate(fields, std::numeric_limits<int64_t>::min(), &tx, &why);
  std::vector<FeatureSpec> specs(23);
  std::vector<double> row(23);
  for (std::size_t f = 0; f < specs.size(); ++f) {
    specs[f].name = "payer.feature_" + std::to_string(f);
    row[f] = f % 3 == 0 ? static_cast<double>(f) : f % 3 == 1 ? 1234.56 / static_cast<double>(f + 1) : NAN;
  }
  const RecordEncoder encoder(specs, {}, DecisionOptions{});
  Enrichment e;
  e.label = 0;
  const ScoredRecord r{&tx, &e, row.data(), nullptr, Decision{}, false, "m@1"};
  std::string out;
  for (auto _ : state) {
    out.clear();
    encoder.scored(r, "rules-only", &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(out.size()));
}
BENCHMARK(BM_EncodeScored);

}  // namespace
}  // namespace pixguard

BENCHMARK_MAIN();
