#include "train/trainer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "core/atomic_file.h"
#include "train/metrics.h"
#include "train/table_scorer.h"

namespace pixguard {
namespace {

namespace fs = std::filesystem;

// Frauds are the rows with a high `signal`; `noise` is unrelated and often missing.
TrainingTable separable_table(std::size_t rows, uint32_t seed) {
  TrainingTable t;
  t.feature_names = {"signal", "noise"};
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0, 1);
  for (std::size_t i = 0; i < rows; ++i) {
    const float signal = u(rng);
    const float noise = u(rng);
    t.features.push_back(signal);
    t.features.push_back(noise < 0.3f ? std::nanf("") : noise);
    t.labels.push_back(signal > 0.8f ? 1.0f : 0.0f);
    t.event_time_us.push_back(static_cast<int64_t>(i) * 1'000'000);
    t.payer.push_back(static_cast<uint32_t>(i % 50));
  }
  return t;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class TrainerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // One directory per test and process: ctest runs this binary's tests in parallel.
    dir_ = fs::path(::testing::TempDir()) / ("pixguard_trainer_test_" + std::to_string(::getpid())) /
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_.parent_path()); }
  fs::path dir_;
};

TrainParams small_params() {
  TrainParams p;
  p.rounds = 20;
  p.max_depth = 3;
  p.eta = 0.3;
  p.subsample = 0.8;  // exercises the seeded row sampling
  p.seed = 11;
  p.threads = 2;      // determinism must hold with more than one thread
  return p;
}

TEST_F(TrainerTest, LearnsSeparableClassesAndSavesFeatureNames) {
  const TrainingTable table = separable_table(3000, 1);
  TrainResult result;
  int reports = 0, last_round = 0;
  ASSERT_TRUE(train_gbdt(table, nullptr, small_params(),
                         [&](int round, const std::string& evaluation) {
                           ++reports;
                           last_round = round;
                           EXPECT_NE(evaluation.find("train-aucpr"), std::string::npos) << evaluation;
                         },
                         10, &result)
                  .ok());
  EXPECT_EQ(reports, 2);  // rounds 10 and 20
  EXPECT_EQ(last_round, 20);

  // The scorer binds by name: the names must be in the saved JSON.
  const nlohmann::json model = nlohmann::json::parse(result.model_json);
  EXPECT_EQ(model["learner"]["feature_names"], (nlohmann::json{"signal", "noise"}));
  EXPECT_EQ(model["learner"]["objective"]["name"], "binary:logistic");
  EXPECT_EQ(model["learner"]["gradient_booster"]["model"]["trees"].size(), 20u);

  EXPECT_GT(auc_roc(result.train_scores, table.labels), 0.999);

  // Through the file and libxgboost's predictor, on fresh rows: the classes separate.
  const std::string path = (dir_ / "m.json").string();
  ASSERT_TRUE(write_file_atomically(path, result.model_json).ok());
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  std::unique_ptr<TableScorer> scorer;
  ASSERT_TRUE(load_xgboost_table_scorer(path, &scorer).ok());
  EXPECT_EQ(scorer->feature_names(), table.feature_names);
  const TrainingTable fresh = separable_table(2000, 2);
  std::vector<float> scores;
  ASSERT_TRUE(scorer->score(fresh.features.data(), fresh.rows(), &scores).ok());
  ASSERT_EQ(scores.size(), fresh.rows());
  double fraud_mean = 0, legit_mean = 0;
  const double frauds = static_cast<double>(fresh.frauds());
  for (std::size_t i = 0; i < scores.size(); ++i) (fresh.labels[i] > 0 ? fraud_mean : legit_mean) += scores[i];
  fraud_mean /= frauds;
  legit_mean /= static_cast<double>(fresh.rows()) - frauds;
  EXPECT_GT(fraud_mean, 0.9);
  EXPECT_LT(legit_mean, 0.1);
  EXPECT_GT(auc_roc(scores, fresh.labels), 0.99);

  // The in-memory predictions on the training rows equal the saved model's.
  std::vector<float> again;
  ASSERT_TRUE(scorer->score(table.features.data(), table.rows(), &again).ok());
  EXPECT_EQ(again, result.train_scores);
}

// evaluate scores with pixguard's evaluator: on a trained model it must give libxgboost's
// probabilities (to 1e-6 at least; gbdt_model.h promises the same bits).
TEST_F(TrainerTest, PixguardScorerAgreesWithLibxgboost) {
  const TrainingTable table = separable_table(3000, 6);
  TrainResult result;
  ASSERT_TRUE(train_gbdt(table, nullptr, small_params(), nullptr, 0, &result).ok());
  const std::string path = (dir_ / "m.json").string();
  ASSERT_TRUE(write_file_atomically(path, result.model_json).ok());
  std::unique_ptr<TableScorer> ours, reference;
  ASSERT_TRUE(load_pixguard_table_scorer(path, &ours).ok());
  ASSERT_TRUE(load_xgboost_table_scorer(path, &reference).ok());
  EXPECT_EQ(ours->feature_names(), reference->feature_names());
  const TrainingTable fresh = separable_table(5000, 7);
  std::vector<float> a, b;
  ASSERT_TRUE(ours->score(fresh.features.data(), fresh.rows(), &a).ok());
  ASSERT_TRUE(reference->score(fresh.features.data(), fresh.rows(), &b).ok());
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], 1e-6) << "row " << i;
}

TEST_F(TrainerTest, SameSeedSameBytes) {
  const TrainingTable table = separable_table(3000, 3);
  TrainResult a, b, c;
  ASSERT_TRUE(train_gbdt(table, nullptr, small_params(), nullptr, 0, &a).ok());
  ASSERT_TRUE(train_gbdt(table, nullptr, small_params(), nullptr, 0, &b).ok());
  EXPECT_EQ(a.model_json, b.model_json);
  TrainParams other = small_params();
  other.seed = 12;
  ASSERT_TRUE(train_gbdt(table, nullptr, other, nullptr, 0, &c).ok());
  EXPECT_NE(a.model_json, c.model_json);  // the seed drives the row sampling

  // And through the file: same bytes on disk.
  const std::string p1 = (dir_ / "a.json").string(), p2 = (dir_ / "b.json").string();
  ASSERT_TRUE(write_file_atomically(p1, a.model_json).ok());
  ASSERT_TRUE(write_file_atomically(p2, b.model_json).ok());
  EXPECT_EQ(read_file(p1), read_file(p2));
}

TEST_F(TrainerTest, RefusesDegenerateInputAndBadParameters) {
  TrainingTable table = separable_table(100, 4);
  for (float& l : table.labels) l = 0;
  TrainResult result;
  Status s = train_gbdt(table, nullptr, small_params(), nullptr, 0, &result);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("all of one class (100 rows, 0 frauds)"), std::string::npos) << s.message();

  s = train_gbdt(TrainingTable{}, nullptr, small_params(), nullptr, 0, &result);
  EXPECT_NE(s.message().find("no training rows"), std::string::npos) << s.message();

  TrainParams p = small_params();
  p.eta = 0;
  s = check_train_params(p);
  EXPECT_NE(s.message().find("--eta: must be in (0, 1], got 0"), std::string::npos) << s.message();
  p = small_params();
  p.max_depth = 0;
  EXPECT_NE(check_train_params(p).message().find("--max-depth"), std::string::npos);
  p = small_params();
  p.scale_pos_weight = -1;
  EXPECT_NE(check_train_params(p).message().find("--scale-pos-weight"), std::string::npos);
}

// Early stopping on a validation table keeps the rounds up to the best one; without
// validation rows it is refused.
TEST_F(TrainerTest, EarlyStoppingKeepsTheBestRounds) {
  const TrainingTable table = separable_table(3000, 1);
  const TrainingTable validation = separable_table(1000, 2);
  TrainParams p = small_params();
  p.rounds = 200;
  p.early_stopping_rounds = 5;
  TrainResult result;
  ASSERT_TRUE(train_gbdt(table, &validation, p, nullptr, 0, &result).ok());
  EXPECT_LT(result.rounds, 200);
  EXPECT_GT(result.rounds, 0);
  EXPECT_NE(result.best_evaluation.find("valid-aucpr:"), std::string::npos) << result.best_evaluation;
  const nlohmann::json model = nlohmann::json::parse(result.model_json);
  EXPECT_EQ(model["learner"]["gradient_booster"]["model"]["trees"].size(), static_cast<std::size_t>(result.rounds));
  EXPECT_EQ(model["learner"]["feature_names"].size(), table.feature_names.size());
  const Status s = train_gbdt(table, nullptr, p, nullptr, 0, &result);
  EXPECT_NE(s.message().find("--early-stopping-rounds needs validation rows"), std::string::npos) << s.message();
}

// Parameters not given are not sent: libxgboost keeps its defaults; balance_classes sends the
// training rows' class ratio.
TEST_F(TrainerTest, OnlyGivenParametersAreSent) {
  TrainParams p;
  auto sent = xgboost_params(p);
  const auto has = [&sent](const std::string& name) {
    return std::any_of(sent.begin(), sent.end(), [&](const auto& kv) { return kv.first == name; });
  };
  for (const char* name : {"eta", "subsample", "max_depth", "tree_method", "scale_pos_weight", "lambda"}) {
    EXPECT_FALSE(has(name)) << name;
  }
  p.tree_method = "exact";
  p.balance_classes = true;
  const TrainingTable table = separable_table(1000, 3);
  sent = xgboost_params(p, &table);
  EXPECT_TRUE(has("tree_method"));
  const auto ratio = std::find_if(sent.begin(), sent.end(), [](const auto& kv) { return kv.first == "scale_pos_weight"; });
  ASSERT_NE(ratio, sent.end());
  EXPECT_DOUBLE_EQ(std::stod(ratio->second),
                   static_cast<double>(table.rows() - table.frauds()) / static_cast<double>(table.frauds()));
  p.tree_method = "greedy";
  EXPECT_NE(check_train_params(p).message().find("--tree-method"), std::string::npos);
}

TEST_F(TrainerTest, ScorerRefusesMissingOrNamelessModels) {
  std::unique_ptr<TableScorer> scorer;
  Status s = load_xgboost_table_scorer((dir_ / "none.json").string(), &scorer);
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_NE(s.message().find("none.json"), std::string::npos);

  // A model trained without names cannot be bound to table columns.
  TrainingTable table = separable_table(500, 5);
  TrainResult result;
  ASSERT_TRUE(train_gbdt(table, nullptr, small_params(), nullptr, 0, &result).ok());
  nlohmann::json model = nlohmann::json::parse(result.model_json);
  model["learner"]["feature_names"] = nlohmann::json::array();
  model["learner"]["feature_types"] = nlohmann::json::array();
  const std::string path = (dir_ / "nameless.json").string();
  ASSERT_TRUE(write_file_atomically(path, model.dump()).ok());
  s = load_xgboost_table_scorer(path, &scorer);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("no feature names"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace pixguard
