// Parity of GbdtModel with Debian's libxgboost 1.7.4, the oracle: models are trained here
// through XGBoost's C API on random data (missing values, integer-valued columns with ties,
// several tree methods, depths, rounds, objectives and base scores), saved as JSON, loaded by
// GbdtModel, and both score the same random rows, including values exactly at, and one float
// step either side of, every split threshold, and extremes. Then the refusals: every model
// pixguard cannot score exactly must be refused with a message, never scored.
#include "score/gbdt_model.h"

#include <gtest/gtest.h>
#include <xgboost/c_api.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace pixguard {
namespace {

namespace fs = std::filesystem;

// Same float DOM as the loader, to read thresholds back out of a saved model.
using FloatJson = nlohmann::basic_json<std::map, std::vector, std::string, bool, std::int64_t, std::uint64_t, float>;

void xgb(int rc) {
  if (rc != 0) throw std::runtime_error(std::string("xgboost: ") + XGBGetLastError());
}

class DMatrix {
 public:
  DMatrix(const std::vector<float>& x, std::size_t rows, std::size_t cols) {
    xgb(XGDMatrixCreateFromMat(x.data(), rows, cols, std::numeric_limits<float>::quiet_NaN(), &h_));
  }
  ~DMatrix() { XGDMatrixFree(h_); }
  DMatrix(const DMatrix&) = delete;
  DMatrix& operator=(const DMatrix&) = delete;
  DMatrixHandle get() const { return h_; }
  void set_names(const std::vector<std::string>& names) {
    std::vector<const char*> p;
    for (const auto& n : names) p.push_back(n.c_str());
    xgb(XGDMatrixSetStrFeatureInfo(h_, "feature_name", p.data(), p.size()));
  }
  void set_types(const std::vector<std::string>& types) {
    std::vector<const char*> p;
    for (const auto& n : types) p.push_back(n.c_str());
    xgb(XGDMatrixSetStrFeatureInfo(h_, "feature_type", p.data(), p.size()));
  }
  void set_labels(const std::vector<float>& y) { xgb(XGDMatrixSetFloatInfo(h_, "label", y.data(), y.size())); }

 private:
  DMatrixHandle h_ = nullptr;
};

class Booster {
 public:
  explicit Booster(const DMatrix& train) {
    DMatrixHandle d = train.get();
    xgb(XGBoosterCreate(&d, 1, &h_));
  }
  ~Booster() { XGBoosterFree(h_); }
  Booster(const Booster&) = delete;
  Booster& operator=(const Booster&) = delete;
  BoosterHandle get() const { return h_; }
  void set(const std::string& k, const std::string& v) { xgb(XGBoosterSetParam(h_, k.c_str(), v.c_str())); }
  void save(const std::string& path) { xgb(XGBoosterSaveModel(h_, path.c_str())); }
  // The C API keeps the training DMatrix's names out of the saved model: name the booster.
  void set_names(const std::vector<std::string>& names) {
    std::vector<const char*> p;
    for (const auto& n : names) p.push_back(n.c_str());
    xgb(XGBoosterSetStrFeatureInfo(h_, "feature_name", p.data(), p.size()));
  }
  void set_types(const std::vector<std::string>& types) {
    std::vector<const char*> p;
    for (const auto& n : types) p.push_back(n.c_str());
    xgb(XGBoosterSetStrFeatureInfo(h_, "feature_type", p.data(), p.size()));
  }

  // XGBoosterPredictFromDense: type 0 = transformed prediction, 1 = margin.
  std::vector<float> predict_dense(const std::vector<float>& x, std::size_t rows, std::size_t cols, int type) const {
    char array[256];
    std::snprintf(array, sizeof array, R"({"data":[%zu,true],"shape":[%zu,%zu],"typestr":"<f4","version":3})",
                  reinterpret_cast<std::size_t>(x.data()), rows, cols);
    const std::string config = R"({"type":)" + std::to_string(type) +
                               R"(,"training":false,"iteration_begin":0,"iteration_end":0,"strict_shape":false,"missing":NaN,"cache_id":0})";
    const bst_ulong* shape = nullptr;
    bst_ulong dim = 0;
    const float* out = nullptr;
    xgb(XGBoosterPredictFromDense(h_, array, config.c_str(), nullptr, &shape, &dim, &out));
    return std::vector<float>(out, out + rows);
  }

  // pred_contribs through a DMatrix: rows x (cols + 1), the last column the bias.
  // type 2: exact TreeSHAP (pred_contribs); type 3: path attribution (approx_contribs).
  std::vector<float> contributions(const std::vector<float>& x, std::size_t rows, std::size_t cols,
                                   const std::vector<std::string>& names, int type = 2) const {
    DMatrix d(x, rows, cols);
    d.set_names(names);
    // snprintf, not string concatenation: GCC 12 reports a false -Wrestrict on the latter.
    char config[160];
    std::snprintf(config, sizeof config,
                  R"({"type":%d,"training":false,"iteration_begin":0,"iteration_end":0,"strict_shape":false})", type);
    const bst_ulong* shape = nullptr;
    bst_ulong dim = 0;
    const float* out = nullptr;
    xgb(XGBoosterPredictFromDMatrix(h_, d.get(), config, &shape, &dim, &out));
    return std::vector<float>(out, out + rows * (cols + 1));
  }

 private:
  BoosterHandle h_ = nullptr;
};

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "gbdt_model_test_XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// A random training table: normal columns with varied scales, some integer-valued columns
// (many ties, so thresholds fall between integers), ~10% missing; labels from a noisy
// nonlinear function so that the trees grow to their depth.
struct Table {
  std::size_t rows = 0, cols = 0;
  std::vector<float> x;
  std::vector<float> y;
  std::vector<std::string> names;
};

Table random_table(std::mt19937_64& rng, std::size_t rows, std::size_t cols, double missing_share) {
  Table t;
  t.rows = rows;
  t.cols = cols;
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> unit;
  std::vector<double> scale(cols), weight(cols);
  std::vector<bool> integer(cols);
  for (std::size_t c = 0; c < cols; ++c) {
    scale[c] = std::pow(10.0, unit(rng) * 6 - 3);
    weight[c] = normal(rng);
    integer[c] = unit(rng) < 0.3;
    // Appended piecewise: GCC 12 reports a false -Wrestrict on "f" + std::to_string(c) + ...
    std::string name = "f";
    name += std::to_string(c);
    name += c % 3 == 0 ? "_count_5m" : "_amount";
    t.names.push_back(std::move(name));
  }
  t.x.resize(rows * cols);
  t.y.resize(rows);
  for (std::size_t r = 0; r < rows; ++r) {
    double z = 0;
    for (std::size_t c = 0; c < cols; ++c) {
      double v = normal(rng);
      if (integer[c]) v = std::round(v * 3);
      const bool missing = unit(rng) < missing_share;
      t.x[r * cols + c] = missing ? std::numeric_limits<float>::quiet_NaN() : static_cast<float>(v * scale[c]);
      if (!missing) z += weight[c] * (c % 2 ? v : v * v - 1) ;
    }
    z += normal(rng);
    t.y[r] = z > 0 ? 1.0f : 0.0f;
  }
  return t;
}

// Every (feature, threshold) of the model, read from the saved JSON.
std::vector<std::vector<float>> thresholds_by_feature(const std::string& path, std::size_t cols) {
  std::vector<std::vector<float>> out(cols);
  const FloatJson doc = FloatJson::parse(read_file(path));
  for (const auto& tree : doc["learner"]["gradient_booster"]["model"]["trees"]) {
    const auto& left = tree["left_children"];
    for (std::size_t i = 0; i < left.size(); ++i) {
      if (left[i].get<int64_t>() == -1) continue;
      out[tree["split_indices"][i].get<std::size_t>()].push_back(tree["split_conditions"][i].get<float>());
    }
  }
  return out;
}

// Rows to score: like the training data, plus cells set exactly at a threshold of their
// feature, one float step below or above it, or to extremes.
std::vector<float> probe_rows(std::mt19937_64& rng, const Table& train, const std::vector<std::vector<float>>& thresholds,
                              std::size_t rows) {
  std::vector<float> x(rows * train.cols);
  std::uniform_int_distribution<std::size_t> pick_row(0, train.rows - 1);
  std::uniform_real_distribution<double> unit;
  const float extremes[] = {0.0f,
                            -0.0f,
                            std::numeric_limits<float>::max(),
                            -std::numeric_limits<float>::max(),
                            std::numeric_limits<float>::denorm_min(),
                            -std::numeric_limits<float>::denorm_min(),
                            std::numeric_limits<float>::min(),
                            1e30f,
                            -1e30f,
                            std::numeric_limits<float>::quiet_NaN()};
  for (std::size_t r = 0; r < rows; ++r) {
    const std::size_t src = pick_row(rng);
    for (std::size_t c = 0; c < train.cols; ++c) {
      float v = train.x[src * train.cols + c];
      const double u = unit(rng);
      const auto& th = thresholds[c];
      if (u < 0.35 && !th.empty()) {
        const float t = th[static_cast<std::size_t>(unit(rng) * static_cast<double>(th.size())) % th.size()];
        const double w = unit(rng);
        v = w < 0.5 ? t : w < 0.75 ? std::nextafter(t, -INFINITY) : std::nextafter(t, INFINITY);
      } else if (u < 0.40) {
        v = extremes[static_cast<std::size_t>(unit(rng) * std::size(extremes)) % std::size(extremes)];
      } else if (u < 0.50) {
        v = std::numeric_limits<float>::quiet_NaN();
      }
      x[r * train.cols + c] = v;
    }
  }
  return x;
}

struct Case {
  std::string label;
  std::map<std::string, std::string> params;
  int rounds;
  std::size_t cols;
  std::size_t rows;
};

std::vector<Case> parity_cases() {
  return {
      {"stump", {{"objective", "binary:logistic"}, {"max_depth", "1"}}, 1, 6, 400},
      {"depth2_few_features", {{"objective", "binary:logistic"}, {"max_depth", "2"}}, 15, 2, 600},
      {"depth3_default", {{"objective", "binary:logistic"}, {"max_depth", "3"}}, 20, 10, 1500},
      {"depth6_hist_base03",
       {{"objective", "binary:logistic"}, {"max_depth", "6"}, {"tree_method", "hist"}, {"base_score", "0.3"}},
       60, 23, 3000},
      {"reg_logistic_approx_base08",
       {{"objective", "reg:logistic"}, {"max_depth", "4"}, {"tree_method", "approx"}, {"base_score", "0.8"}},
       30, 12, 2000},
      {"logitraw_base02", {{"objective", "binary:logitraw"}, {"max_depth", "5"}, {"base_score", "0.2"}}, 40, 15, 2000},
      {"depth8_exact_pruned",
       {{"objective", "binary:logistic"}, {"max_depth", "8"}, {"tree_method", "exact"}, {"gamma", "0.5"},
        {"min_child_weight", "2"}, {"eta", "0.5"}},
       60, 20, 3000},
      {"lossguide_unbounded_depth",
       {{"objective", "binary:logistic"}, {"tree_method", "hist"}, {"grow_policy", "lossguide"}, {"max_depth", "0"},
        {"max_leaves", "40"}},
       30, 8, 3000},
      {"forest_subsampled",
       {{"objective", "binary:logistic"}, {"max_depth", "4"}, {"num_parallel_tree", "3"}, {"subsample", "0.7"},
        {"colsample_bynode", "0.7"}, {"base_score", "0.1"}},
       10, 9, 2000},
      {"large_margins_eta1", {{"objective", "binary:logistic"}, {"max_depth", "7"}, {"eta", "1"}, {"lambda", "0"}},
       50, 6, 1500},
      {"logitraw_depth8", {{"objective", "binary:logitraw"}, {"max_depth", "8"}, {"eta", "1"}}, 25, 30, 2500},
  };
}

// Trains `c`, saves it to `path`; returns the booster for the oracle.
std::unique_ptr<Booster> train_case(const Case& c, const Table& t, const std::string& path,
                                    std::unique_ptr<DMatrix>* keep) {
  *keep = std::make_unique<DMatrix>(t.x, t.rows, t.cols);
  (*keep)->set_labels(t.y);
  (*keep)->set_names(t.names);
  auto b = std::make_unique<Booster>(**keep);
  b->set("nthread", "1");
  b->set("seed", "7");
  for (const auto& [k, v] : c.params) b->set(k, v);
  for (int i = 0; i < c.rounds; ++i) xgb(XGBoosterUpdateOneIter(b->get(), i, (*keep)->get()));
  b->set_names(t.names);
  b->save(path);
  return b;
}

TEST(GbdtModelParity, PredictionsEqualLibxgboost) {
  TempDir dir;
  std::mt19937_64 rng(20240601);
  std::size_t total_rows = 0, exact_rows = 0;
  double worst = 0;
  for (const Case& c : parity_cases()) {
    SCOPED_TRACE(c.label);
    const Table t = random_table(rng, c.rows, c.cols, 0.1);
    const std::string path = dir.file(c.label + ".json");
    std::unique_ptr<DMatrix> dtrain;
    auto booster = train_case(c, t, path, &dtrain);

    std::shared_ptr<const GbdtModel> model;
    const Status s = GbdtModel::load(path, &model);
    ASSERT_TRUE(s.ok()) << s.message();
    ASSERT_EQ(model->feature_names(), t.names);

    constexpr std::size_t kRows = 5000;
    const std::vector<float> x = probe_rows(rng, t, thresholds_by_feature(path, t.cols), kRows);
    const std::vector<float> expected = booster->predict_dense(x, kRows, t.cols, 0);
    const std::vector<float> expected_margin = booster->predict_dense(x, kRows, t.cols, 1);
    std::vector<double> batch(kRows);
    model->predict_batch(x.data(), kRows, batch.data());
    double max_diff = 0;
    std::size_t exact = 0;
    for (std::size_t r = 0; r < kRows; ++r) {
      const float* row = &x[r * t.cols];
      const double got = model->predict(row);
      const double diff = std::abs(got - static_cast<double>(expected[r]));
      max_diff = std::max(max_diff, diff);
      exact += got == static_cast<double>(expected[r]);
      ASSERT_LE(diff, 1e-6) << "row " << r << ": ours " << got << ", xgboost " << expected[r];
      // The margin is float additions in XGBoost's order: it must agree to the bit.
      ASSERT_EQ(model->margin(row), expected_margin[r]) << "row " << r;
      ASSERT_EQ(batch[r], got) << "row " << r << ": predict_batch differs from predict";
    }
    std::printf("[parity] %-28s trees %3zu rows %zu max|diff| %.3g bit-exact %zu/%zu\n", c.label.c_str(),
                model->tree_count(), kRows, max_diff, exact, kRows);
    total_rows += kRows;
    exact_rows += exact;
    worst = std::max(worst, max_diff);
  }
  std::printf("[parity] all models: %zu rows, max|diff| %.3g, bit-exact %zu\n", total_rows, worst, exact_rows);
}

// Our attribution `method` against libxgboost's prediction `xgb_type` (2 = pred_contribs,
// 3 = approx_contribs) on every parity model.
void check_contributions(Attribution method, int xgb_type) {
  TempDir dir;
  std::mt19937_64 rng(77);
  double worst = 0;
  for (const Case& c : parity_cases()) {
    SCOPED_TRACE(c.label);
    const Table t = random_table(rng, c.rows, c.cols, 0.1);
    const std::string path = dir.file(c.label + ".json");
    std::unique_ptr<DMatrix> dtrain;
    auto booster = train_case(c, t, path, &dtrain);
    std::shared_ptr<const GbdtModel> model;
    const Status s = GbdtModel::load(path, &model);
    ASSERT_TRUE(s.ok()) << s.message();

    constexpr std::size_t kRows = 300;
    const std::vector<float> x = probe_rows(rng, t, thresholds_by_feature(path, t.cols), kRows);
    const std::vector<float> expected = booster->contributions(x, kRows, t.cols, t.names, xgb_type);
    std::vector<double> phi(t.cols + 1);
    for (std::size_t r = 0; r < kRows; ++r) {
      model->contributions(&x[r * t.cols], method, phi.data());
      double sum = 0;
      for (std::size_t j = 0; j <= t.cols; ++j) {
        const double want = expected[r * (t.cols + 1) + j];
        const double diff = std::abs(phi[j] - want);
        worst = std::max(worst, diff / std::max(1.0, std::abs(want)));
        ASSERT_LE(diff, 1e-4 * std::max(1.0, std::abs(want))) << "row " << r << " column " << j;
        sum += phi[j];
      }
      const double margin = model->margin(&x[r * t.cols]);
      ASSERT_NEAR(sum, margin, 1e-4 * std::max(1.0, std::abs(margin))) << "row " << r;
    }
  }
  std::printf("[contributions] type %d: max relative |diff| vs libxgboost %.3g\n", xgb_type, worst);
}

TEST(GbdtModelParity, ContributionsEqualXgboostTreeShap) { check_contributions(Attribution::kTreeShap, 2); }

TEST(GbdtModelParity, PathContributionsEqualXgboostApproxContribs) { check_contributions(Attribution::kPath, 3); }

// Margins far beyond the sigmoid's useful range (|margin| > 88.7, where expf overflows):
// leaf values are rewritten in the JSON, and libxgboost loads the same file.
TEST(GbdtModelParity, ExtremeMarginsEqualLibxgboost) {
  TempDir dir;
  std::mt19937_64 rng(8);
  const Table t = random_table(rng, 500, 4, 0.1);
  Case c{"extreme", {{"objective", "binary:logistic"}, {"max_depth", "3"}}, 4, 4, 500};
  std::unique_ptr<DMatrix> d;
  auto booster = train_case(c, t, dir.file("trained.json"), &d);
  FloatJson doc = FloatJson::parse(read_file(dir.file("trained.json")));
  float leaf = 30.0f;
  for (auto& tree : doc["learner"]["gradient_booster"]["model"]["trees"]) {
    for (std::size_t i = 0; i < tree["left_children"].size(); ++i) {
      if (tree["left_children"][i].get<int64_t>() != -1) continue;
      tree["split_conditions"][i] = leaf;
      leaf = leaf > 0 ? -leaf * 1.25f : -leaf;
    }
  }
  write_file(dir.file("extreme.json"), doc.dump());
  xgb(XGBoosterLoadModel(booster->get(), dir.file("extreme.json").c_str()));
  std::shared_ptr<const GbdtModel> model;
  const Status s = GbdtModel::load(dir.file("extreme.json"), &model);
  ASSERT_TRUE(s.ok()) << s.message();
  constexpr std::size_t kRows = 2000;
  const std::vector<float> x = probe_rows(rng, t, thresholds_by_feature(dir.file("extreme.json"), t.cols), kRows);
  const std::vector<float> expected = booster->predict_dense(x, kRows, t.cols, 0);
  const std::vector<float> margins = booster->predict_dense(x, kRows, t.cols, 1);
  float lowest = 0, highest = 0;
  for (std::size_t r = 0; r < kRows; ++r) {
    ASSERT_EQ(model->margin(&x[r * t.cols]), margins[r]) << "row " << r;
    ASSERT_EQ(model->predict(&x[r * t.cols]), static_cast<double>(expected[r])) << "row " << r << " margin " << margins[r];
    lowest = std::min(lowest, margins[r]);
    highest = std::max(highest, margins[r]);
  }
  EXPECT_LT(lowest, -88.7f);  // the test reached the clamp
  EXPECT_GT(highest, 88.7f);
}

TEST(GbdtModel, VersionIsFileNameAndContentHash) {
  TempDir dir;
  std::mt19937_64 rng(5);
  const Table t = random_table(rng, 300, 4, 0.0);
  Case c{"v", {{"objective", "binary:logistic"}, {"max_depth", "2"}}, 3, 4, 300};
  std::unique_ptr<DMatrix> d;
  train_case(c, t, dir.file("model.json"), &d);
  std::shared_ptr<const GbdtModel> a, b, other;
  ASSERT_TRUE(GbdtModel::load(dir.file("model.json"), &a).ok());
  write_file(dir.file("copy.json"), read_file(dir.file("model.json")));
  ASSERT_TRUE(GbdtModel::load(dir.file("copy.json"), &b).ok());
  const std::string& v = a->version();
  ASSERT_EQ(v.rfind("model.json@", 0), 0u) << v;
  ASSERT_EQ(v.size(), std::string("model.json@").size() + 12);
  EXPECT_EQ(v.substr(v.find('@')), b->version().substr(b->version().find('@')));
  // A different model under the same name gets a different version.
  c.rounds = 4;
  train_case(c, t, dir.file("model.json"), &d);
  ASSERT_TRUE(GbdtModel::load(dir.file("model.json"), &other).ok());
  EXPECT_NE(other->version(), v);
}

// ---- Refusals: each with a message naming the file and the reason.

struct Refusal {
  Status status;
  std::string file;
};

Refusal load_trained(const std::map<std::string, std::string>& params, bool names, const std::vector<std::string>& types = {}) {
  static TempDir dir;
  static int n = 0;
  std::mt19937_64 rng(11);
  Table t = random_table(rng, 300, 4, 0.0);
  if (!types.empty()) {
    for (std::size_t i = 0; i < t.x.size(); ++i) t.x[i] = std::abs(std::round(t.x[i])) > 3 ? 3 : std::abs(std::round(t.x[i]));
  }
  for (std::size_t r = 0; r < t.rows; ++r) t.y[r] = static_cast<float>(r % 3);
  if (params.count("num_class") == 0) {
    for (auto& y : t.y) y = y > 0 ? 1.0f : 0.0f;
  }
  DMatrix d(t.x, t.rows, t.cols);
  d.set_labels(t.y);
  if (names) d.set_names(t.names);
  if (!types.empty()) d.set_types(types);
  Booster b(d);
  b.set("nthread", "1");
  for (const auto& [k, v] : params) b.set(k, v);
  for (int i = 0; i < 3; ++i) xgb(XGBoosterUpdateOneIter(b.get(), i, d.get()));
  if (names) b.set_names(t.names);
  if (!types.empty()) b.set_types(types);
  const std::string path = dir.file("refused" + std::to_string(n++) + ".json");
  b.save(path);
  std::shared_ptr<const GbdtModel> m;
  Status s = GbdtModel::load(path, &m);
  EXPECT_EQ(m, nullptr);
  return {std::move(s), path};
}

void expect_refused(const Refusal& r, StatusCode code, const std::string& needle) {
  EXPECT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.code(), code) << r.status.message();
  EXPECT_NE(r.status.message().find(r.file), std::string::npos) << r.status.message();
  EXPECT_NE(r.status.message().find(needle), std::string::npos) << r.status.message();
}

TEST(GbdtModelRefuses, Gblinear) {
  expect_refused(load_trained({{"booster", "gblinear"}, {"objective", "binary:logistic"}}, true), StatusCode::kUnsupported,
                 "gblinear");
}

TEST(GbdtModelRefuses, Dart) {
  expect_refused(load_trained({{"booster", "dart"}, {"objective", "binary:logistic"}, {"rate_drop", "0.3"}}, true),
                 StatusCode::kUnsupported, "dart");
}

TEST(GbdtModelRefuses, MultiClass) {
  expect_refused(load_trained({{"objective", "multi:softprob"}, {"num_class", "3"}}, true), StatusCode::kUnsupported,
                 "multi-class");
}

TEST(GbdtModelRefuses, OtherObjectives) {
  expect_refused(load_trained({{"objective", "reg:squarederror"}}, true), StatusCode::kUnsupported, "reg:squarederror");
}

TEST(GbdtModelRefuses, MissingFeatureNames) {
  expect_refused(load_trained({{"objective", "binary:logistic"}}, false), StatusCode::kInvalidArgument, "feature names");
}

TEST(GbdtModelRefuses, CategoricalSplits) {
  expect_refused(load_trained({{"objective", "binary:logistic"}, {"tree_method", "hist"}, {"max_cat_to_onehot", "1"}}, true,
                              {"c", "q", "c", "q"}),
                 StatusCode::kUnsupported, "categorical");
}

TEST(GbdtModelRefuses, MissingFile) {
  std::shared_ptr<const GbdtModel> m;
  const Status s = GbdtModel::load("/nonexistent/dir/model.json", &m);
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.message().find("/nonexistent/dir/model.json"), std::string::npos);
}

// A small valid model's JSON, for the corruption tests.
std::string valid_model_json() {
  static const std::string json = [] {
    TempDir dir;
    std::mt19937_64 rng(3);
    const Table t = random_table(rng, 400, 5, 0.1);
    Case c{"small", {{"objective", "binary:logistic"}, {"max_depth", "3"}}, 4, 5, 400};
    std::unique_ptr<DMatrix> d;
    train_case(c, t, dir.file("m.json"), &d);
    return read_file(dir.file("m.json"));
  }();
  return json;
}

Status parse(const std::string& json) {
  std::shared_ptr<const GbdtModel> m;
  Status s = GbdtModel::parse(json, "bad.json", &m);
  if (s.ok()) {
    // Whatever loads must score without crashing.
    std::vector<float> row(m->feature_names().size(), 0.5f);
    std::vector<double> phi(row.size() + 1);
    (void)m->predict(row.data());
    m->contributions(row.data(), Attribution::kTreeShap, phi.data());
    m->contributions(row.data(), Attribution::kPath, phi.data());
  } else {
    EXPECT_EQ(m, nullptr);
    EXPECT_EQ(s.message().rfind("bad.json: ", 0), 0u) << s.message();
  }
  return s;
}

TEST(GbdtModelRefuses, InvalidJson) {
  for (const char* text : {"", "not json", "{", "[]", "null", "{}", "{\"learner\": 5}", "{\"learner\": {}}"}) {
    SCOPED_TRACE(text);
    EXPECT_FALSE(parse(text).ok());
  }
}

TEST(GbdtModelRefuses, TruncatedJson) {
  const std::string json = valid_model_json();
  ASSERT_TRUE(parse(json).ok());
  for (std::size_t cut = 0; cut < json.size(); cut += std::max<std::size_t>(1, json.size() / 400)) {
    EXPECT_FALSE(parse(json.substr(0, cut)).ok()) << "cut at " << cut;
  }
}

// Replaces the first occurrence of `from` after `anchor` with `to`.
std::string edit(std::string json, const std::string& anchor, const std::string& from, const std::string& to) {
  const std::size_t a = json.find(anchor);
  EXPECT_NE(a, std::string::npos) << anchor;
  const std::size_t p = json.find(from, a);
  EXPECT_NE(p, std::string::npos) << from;
  return json.replace(p, from.size(), to);
}

TEST(GbdtModelRefuses, WrongTypesAndBrokenTrees) {
  const std::string json = valid_model_json();
  struct Bad {
    std::string anchor, from, to, needle;
  };
  const std::vector<Bad> cases = {
      {"\"split_conditions\":[", "[", "[\"x\",", "split_conditions"},
      {"\"left_children\":[", "\"left_children\":[", "\"left_children\":{},\"x\":[", "left_children"},
      {"\"left_children\":[", "[", "[7000,", "left_children"},  // one entry too many
      {"\"left_children\":[", "[1,", "[0,", "already in the tree"},
      {"\"left_children\":[", "[1,", "[99,", "outside"},
      {"\"split_indices\":[", "[", "[17,", "split_indices"},  // too many entries
      {"\"learner_model_param\":{", "\"num_feature\":\"5\"", "\"num_feature\":\"abc\"", "num_feature"},
      {"\"feature_names\":[", "[", "[7,", "feature_names"},
      {"\"feature_names\":[\"", "\"f0_count_5m\"", "\"f1_amount\"", "twice"},
      {"\"base_score\":", "\"5E-1\"", "\"2E0\"", "base_score"},
      {"\"objective\":{", "binary:logistic", "reg:pseudohubererror", "pseudohubererror"},
      {"\"gradient_booster\":{", "\"name\":\"gbtree\"", "\"name\":\"gbfancy\"", "gbfancy"},
      {"\"num_class\":", "\"0\"", "\"4\"", "multi-class"},
      {"\"version\":[", "[1,", "[4,", "XGBoost"},
      {"\"tree_info\":[", "[0", "[1", "tree_info"},
      {"\"default_left\":[", "[", "[2,", "default_left"},
      {"\"split_type\":[", "[0", "[1", "categorical"},
      {"\"categories_nodes\":[", "[]", "[0]", "categorical"},
      {"\"num_nodes\":", "\"num_nodes\":\"", "\"num_nodes\":\"1", "num_nodes"},
  };
  for (const Bad& b : cases) {
    SCOPED_TRACE(b.to);
    const Status s = parse(edit(json, b.anchor, b.from, b.to));
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find(b.needle), std::string::npos) << s.message();
  }
}

// A number beyond float range is not a "model structure" problem: the message names where it is.
TEST(GbdtModelRefuses, NumberBeyondFloatRangeNamesItsLineAndColumn) {
  const std::string json = valid_model_json();
  const std::size_t at = json.find("\"split_conditions\":[") + std::string("\"split_conditions\":[").size();
  for (const std::string number : {"1e400", "-1e400", "3.5E38"}) {
    SCOPED_TRACE(number);
    std::string bad = json;
    bad.insert(at, number + ",");
    const Status s = parse(bad);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find("bad.json: not valid JSON: line 1, column " + std::to_string(at + 1) + ": number " + number +
                               " is beyond the range of a 32-bit float"),
              std::string::npos)
        << s.message();
  }
  // Several lines; the same digits inside a string earlier on are not the number.
  const Status s = parse("{\"version\": \"x 1e999 \\\" 1e999\",\n  \"learner\": {\n    \"n\": [1, 1e999]}}");
  EXPECT_NE(s.message().find("bad.json: not valid JSON: line 3, column 14: number 1e999 is beyond"), std::string::npos)
      << s.message();
}

// Random byte damage: every outcome is a clean refusal or a model that scores safely.
TEST(GbdtModelRefuses, RandomCorruptionNeverCrashes) {
  const std::string json = valid_model_json();
  std::mt19937_64 rng(99);
  const char alphabet[] = "0123456789-.eE,[]{}\":truefalsn ";
  int refused = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string bad = json;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) bad[rng() % bad.size()] = alphabet[rng() % (sizeof alphabet - 1)];
    refused += !parse(bad).ok();
  }
  EXPECT_GT(refused, 0);
}

}  // namespace
}  // namespace pixguard
