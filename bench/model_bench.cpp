// GbdtModel against libxgboost's own predictor on the same model and rows: the model path's
// target (docs/performance.md, "Targets") is "bit-compatible with XGBoost and faster than XGBoost's own
// predictor". One run prints both, as items (rows) per second:
//   BM_Ours_SingleRow      predict() on one row per call (the streaming hot path)
//   BM_Ours_Loop10k        predict() called in a loop over 10k rows (what predict_batch does)
//   BM_Xgb_SingleRow       XGBoosterPredictFromDense on one row per call, nthread=1
//   BM_Xgb_Batch10k        XGBoosterPredictFromDense on 10k rows in one call, nthread=1
// The model: 100 trees of depth 6 on 23 features, trained here on random data (~5% missing),
// saved as JSON and loaded by GbdtModel.
#include <benchmark/benchmark.h>
#include <xgboost/c_api.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

#include "score/gbdt_model.h"

namespace {

using pixguard::GbdtModel;

constexpr std::size_t kFeatures = 23;
constexpr std::size_t kRows = 10000;

void xgb(int rc) {
  if (rc != 0) throw std::runtime_error(std::string("xgboost: ") + XGBGetLastError());
}

std::vector<float> random_rows(std::mt19937_64& rng, std::size_t rows) {
  std::normal_distribution<float> normal;
  std::uniform_real_distribution<float> unit;
  std::vector<float> x(rows * kFeatures);
  for (float& v : x) v = unit(rng) < 0.05f ? std::numeric_limits<float>::quiet_NaN() : normal(rng);
  return x;
}

// Trained once for all benchmarks.
struct Fixture {
  BoosterHandle booster = nullptr;
  std::shared_ptr<const GbdtModel> model;
  std::vector<float> rows;
  std::string single_config;  // inplace-predict config
  std::string batch_array;    // __array_interface__ of all rows

  Fixture() {
    std::mt19937_64 rng(42);
    const std::size_t train_rows = 20000;
    std::vector<float> x = random_rows(rng, train_rows);
    std::vector<float> y(train_rows);
    std::normal_distribution<float> noise;
    for (std::size_t r = 0; r < train_rows; ++r) {
      float z = noise(rng);
      for (std::size_t c = 0; c < kFeatures; ++c) {
        const float v = x[r * kFeatures + c];
        if (!std::isnan(v)) z += (c % 2 ? v : v * v - 1.0f) * static_cast<float>(c % 5) * 0.3f;
      }
      y[r] = z > 0 ? 1.0f : 0.0f;
    }
    DMatrixHandle d = nullptr;
    xgb(XGDMatrixCreateFromMat(x.data(), train_rows, kFeatures, std::numeric_limits<float>::quiet_NaN(), &d));
    xgb(XGDMatrixSetFloatInfo(d, "label", y.data(), y.size()));
    std::vector<std::string> names;
    std::vector<const char*> name_ptrs;
    for (std::size_t c = 0; c < kFeatures; ++c) names.push_back("feature_" + std::to_string(c));
    for (const auto& n : names) name_ptrs.push_back(n.c_str());
    xgb(XGDMatrixSetStrFeatureInfo(d, "feature_name", name_ptrs.data(), name_ptrs.size()));
    xgb(XGBoosterCreate(&d, 1, &booster));
    for (const auto& [k, v] : {std::pair{"objective", "binary:logistic"}, {"max_depth", "6"}, {"nthread", "1"},
                               {"tree_method", "hist"}, {"seed", "1"}}) {
      xgb(XGBoosterSetParam(booster, k, v));
    }
    for (int i = 0; i < 100; ++i) xgb(XGBoosterUpdateOneIter(booster, i, d));
    // The saved model carries the booster's names, not the DMatrix's.
    xgb(XGBoosterSetStrFeatureInfo(booster, "feature_name", name_ptrs.data(), name_ptrs.size()));
    xgb(XGDMatrixFree(d));

    const std::string path =
        (std::filesystem::temp_directory_path() / ("model_bench_" + std::to_string(getpid()) + ".json")).string();
    xgb(XGBoosterSaveModel(booster, path.c_str()));
    const pixguard::Status s = GbdtModel::load(path, &model);
    std::filesystem::remove(path);
    if (!s.ok()) throw std::runtime_error(s.message());

    rows = random_rows(rng, kRows);
    single_config =
        R"({"type":0,"training":false,"iteration_begin":0,"iteration_end":0,"strict_shape":false,"missing":NaN,"cache_id":0})";
    batch_array = array_interface(rows.data(), kRows);
  }

  static std::string array_interface(const float* data, std::size_t n) {
    char buf[160];
    std::snprintf(buf, sizeof buf, R"({"data":[%zu,true],"shape":[%zu,%zu],"typestr":"<f4","version":3})",
                  reinterpret_cast<std::size_t>(data), n, kFeatures);
    return buf;
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

void BM_Ours_SingleRow(benchmark::State& state) {
  const Fixture& f = fixture();
  std::size_t r = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.model->predict(&f.rows[r * kFeatures]));
    r = r + 1 == kRows ? 0 : r + 1;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["trees"] = static_cast<double>(f.model->tree_count());
}
BENCHMARK(BM_Ours_SingleRow);

void BM_Ours_Loop10k(benchmark::State& state) {
  const Fixture& f = fixture();
  for (auto _ : state) {
    double sum = 0;
    for (std::size_t r = 0; r < kRows; ++r) sum += f.model->predict(&f.rows[r * kFeatures]);
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kRows));
}
BENCHMARK(BM_Ours_Loop10k);

void BM_Xgb_SingleRow(benchmark::State& state) {
  const Fixture& f = fixture();
  // One array interface per row, made up front, so the loop times the predictor call only.
  std::vector<std::string> arrays;
  for (std::size_t r = 0; r < 1000; ++r) arrays.push_back(Fixture::array_interface(&f.rows[r * kFeatures], 1));
  std::size_t r = 0;
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* out = nullptr;
  for (auto _ : state) {
    xgb(XGBoosterPredictFromDense(f.booster, arrays[r].c_str(), f.single_config.c_str(), nullptr, &shape, &dim, &out));
    benchmark::DoNotOptimize(out[0]);
    r = r + 1 == arrays.size() ? 0 : r + 1;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_Xgb_SingleRow);

void BM_Xgb_Batch10k(benchmark::State& state) {
  const Fixture& f = fixture();
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* out = nullptr;
  for (auto _ : state) {
    xgb(XGBoosterPredictFromDense(f.booster, f.batch_array.c_str(), f.single_config.c_str(), nullptr, &shape, &dim, &out));
    benchmark::DoNotOptimize(out[kRows - 1]);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kRows));
}
BENCHMARK(BM_Xgb_Batch10k);

// Not timed: a sanity check that the two agree on the benchmark's rows, so a fast wrong
// evaluator cannot post a number.
void BM_ParityCheck(benchmark::State& state) {
  const Fixture& f = fixture();
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* out = nullptr;
  xgb(XGBoosterPredictFromDense(f.booster, f.batch_array.c_str(), f.single_config.c_str(), nullptr, &shape, &dim, &out));
  double worst = 0;
  for (std::size_t r = 0; r < kRows; ++r) {
    worst = std::max(worst, std::abs(f.model->predict(&f.rows[r * kFeatures]) - static_cast<double>(out[r])));
  }
  if (worst > 1e-6) state.SkipWithError("GbdtModel disagrees with libxgboost");
  for (auto _ : state) benchmark::DoNotOptimize(worst);
  state.counters["max_abs_diff"] = worst;
}
BENCHMARK(BM_ParityCheck)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
