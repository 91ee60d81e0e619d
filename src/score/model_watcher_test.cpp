#include "score/model_watcher.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

namespace pixguard {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// The watcher is generic over the model format; these tests drive it with a one-line text
// format ("model <version> <features...>") so that they exercise detection, validation and
// the swap, not a parser. GBDT loading is tested in gbdt_model_test.
class TextModel final : public Model {
 public:
  explicit TextModel(std::string version, std::vector<std::string> features)
      : version_(std::move(version)), features_(std::move(features)) {}
  const std::string& version() const override { return version_; }
  const std::vector<std::string>& feature_names() const override { return features_; }
  double predict(const float*) const override { return 0.5; }
  void contributions(const float*, Attribution, double* out) const override { out[features_.size()] = 0; }

 private:
  std::string version_;
  std::vector<std::string> features_;
};

Status load_text_model(const std::string& file, std::shared_ptr<const Model>* out) {
  std::ifstream in(file);
  std::string word, version;
  if (!(in >> word >> version) || word != "model") return Status::InvalidArgument(file + ": not a model");
  std::vector<std::string> features;
  while (in >> word) features.push_back(word);
  *out = std::make_shared<TextModel>(version, features);
  return Status::Ok();
}

// Only models whose features are all in {a, b} may serve.
Status check_features(const Model& m) {
  for (const auto& f : m.feature_names()) {
    if (f != "a" && f != "b") return Status::InvalidArgument("needs feature " + f);
  }
  return Status::Ok();
}

class ModelWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("pixguard-watch-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes a file and renames it into place, as a deployment would.
  void put(const std::string& name, const std::string& text, fs::file_time_type when) {
    const fs::path tmp = dir_ / (".tmp-" + name);
    std::ofstream(tmp) << text;
    fs::last_write_time(tmp, when);
    fs::rename(tmp, dir_ / name);
  }

  // Waits up to 5 s for the watcher to reach `generation`.
  static bool wait_for(const ModelWatcher& w, uint64_t generation) {
    for (int i = 0; i < 500 && w.generation() < generation; ++i) std::this_thread::sleep_for(10ms);
    return w.generation() >= generation;
  }

  fs::path dir_;
};

TEST_F(ModelWatcherTest, ServesTheNewestModelOfADirectoryAndSwapsOnChange) {
  const auto t0 = fs::file_time_type::clock::now() - 1h;
  put("old.json", "model v1 a", t0);
  put("new.json", "model v2 a b", t0 + 1min);
  put("new.card.json", "model card, not a model", t0 + 2min);
  ModelWatcher w(dir_.string(), load_text_model, check_features, 20ms);
  ASSERT_TRUE(w.start().ok());
  EXPECT_EQ(w.current()->version(), "v2");
  const uint64_t g = w.generation();

  put("newer.json", "model v3 b", t0 + 3min);
  ASSERT_TRUE(wait_for(w, g + 1));
  EXPECT_EQ(w.current()->version(), "v3");
  EXPECT_EQ(w.rejected(), 0u);
}

TEST_F(ModelWatcherTest, ABadFileIsRejectedAndTheCurrentModelKeepsServing) {
  const auto t0 = fs::file_time_type::clock::now() - 1h;
  put("m1.json", "model v1 a", t0);
  ModelWatcher w(dir_.string(), load_text_model, check_features, 20ms);
  ASSERT_TRUE(w.start().ok());

  put("m2.json", "garbage", t0 + 1min);                // does not load
  for (int i = 0; i < 500 && w.rejected() < 1; ++i) std::this_thread::sleep_for(10ms);
  put("m3.json", "model v3 a zzz", t0 + 2min);         // loads, needs an unknown feature
  for (int i = 0; i < 500 && w.rejected() < 2; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(w.rejected(), 2u);
  EXPECT_EQ(w.current()->version(), "v1");

  put("m4.json", "model v4 b", t0 + 3min);             // a good one is picked up again
  ASSERT_TRUE(wait_for(w, 2));
  EXPECT_EQ(w.current()->version(), "v4");
}

TEST_F(ModelWatcherTest, StartFailsWithoutAModelOrWithABadOne) {
  ModelWatcher empty(dir_.string(), load_text_model, check_features, 20ms);
  const Status none = empty.start();
  EXPECT_EQ(none.code(), StatusCode::kNotFound);
  EXPECT_NE(none.message().find(dir_.string()), std::string::npos);

  put("bad.json", "model v1 nope", fs::file_time_type::clock::now());
  ModelWatcher bad(dir_.string(), load_text_model, check_features, 20ms);
  EXPECT_FALSE(bad.start().ok());
}

TEST_F(ModelWatcherTest, WatchesASingleFile) {
  put("only.json", "model v1 a", fs::file_time_type::clock::now() - 1h);
  ModelWatcher w((dir_ / "only.json").string(), load_text_model, check_features, 20ms);
  ASSERT_TRUE(w.start().ok());
  put("only.json", "model v2 a", fs::file_time_type::clock::now());
  ASSERT_TRUE(wait_for(w, 2));
  EXPECT_EQ(w.current()->version(), "v2");
}

}  // namespace
}  // namespace pixguard
