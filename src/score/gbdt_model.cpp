#include "score/gbdt_model.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <limits>
#include <map>
#include <new>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/hash.h"

namespace pixguard {
namespace {

// XGBoost 1.7 holds every JSON number as a 32-bit float and parses its text straight to float.
// A DOM with float numbers makes nlohmann do the same (strtof, correctly rounded); parsing to
// double first and then narrowing could round twice and land one float away from XGBoost's
// threshold, which would send rows equal to it the other way.
using Json = nlohmann::basic_json<std::map, std::vector, std::string, bool, std::int64_t, std::uint64_t, float>;

// Deeper trees are refused: TreeSHAP recurses once per level and needs a scratch path of
// (depth + 2)^2 / 2 elements per thread. XGBoost's depth-wise trees stay far below this;
// only a loss-guided tree without max_depth could reach it.
constexpr uint32_t kMaxTreeDepth = 256;

// Thrown inside the loader only; parse() turns it into the Status it carries.
struct BadModel {
  Status status;
};

std::string base_name(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string hex12(uint64_t h) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return std::string(buf, 12);
}

// XGBoost 1.7's sigmoid (common::Sigmoid): float throughout, the exponent clamped so that
// expf cannot overflow (the clamp only matters for margins below -88.7, where the result
// is under 1e-38; ExtremeMarginsEqualLibxgboost checks it to the bit).
inline float sigmoid(float margin) {
  const float x = std::min(-margin, 88.7f);
  return 1.0f / (std::exp(x) + 1.0f);
}

// nlohmann reports a number beyond float range ("1e400": XGBoost reads every model number as
// a 32-bit float, and so does our DOM) as out_of_range 406 without a position, only the token.
// Finds that token's first occurrence as a number outside strings, for "line L, column C".
std::string number_overflow_message(std::string_view json, std::string_view what) {
  const std::size_t open = what.find("parsing '");
  const std::size_t close = what.rfind('\'');
  std::string_view token;
  if (open != std::string_view::npos && close != std::string_view::npos && close > open + 9) {
    token = what.substr(open + 9, close - open - 9);
  }
  const auto number_char = [](char c) {
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
  };
  std::string where;
  std::size_t line = 1;
  std::size_t line_start = 0;
  bool in_string = false;
  for (std::size_t i = 0; !token.empty() && i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '\n') {
      ++line;
      line_start = i + 1;
    } else if (number_char(c)) {
      std::size_t end = i;
      while (end < json.size() && number_char(json[end])) ++end;
      if (json.substr(i, end - i) == token) {
        where = "line " + std::to_string(line) + ", column " + std::to_string(i - line_start + 1) + ": ";
        break;
      }
      i = end - 1;
    }
  }
  return where + "number " + (token.empty() ? std::string("(unknown)") : std::string(token)) +
         " is beyond the range of a 32-bit float (XGBoost reads model numbers as floats)";
}

}  // namespace

// Reads the JSON document into a GbdtModel, checking everything the evaluator relies on
// (indices in range, each node reached once, depth bounded) so that scoring needs no checks.
struct GbdtModel::Loader {
  std::string name;  // the file, for messages

  [[noreturn]] void fail(const std::string& what, StatusCode code = StatusCode::kInvalidArgument) const {
    std::string m = name + ": " + what;
    switch (code) {
      case StatusCode::kUnsupported: throw BadModel{Status::Unsupported(std::move(m))};
      case StatusCode::kCorruption: throw BadModel{Status::Corruption(std::move(m))};
      default: throw BadModel{Status::InvalidArgument(std::move(m))};
    }
  }
  [[noreturn]] void unsupported(const std::string& what) const { fail(what, StatusCode::kUnsupported); }

  static const char* type_of(const Json& j) { return j.type_name(); }

  const Json& member(const Json& obj, const char* key, const std::string& where) const {
    if (!obj.is_object()) fail(where + " is " + type_of(obj) + ", expected an object");
    const auto it = obj.find(key);
    if (it == obj.end()) fail("missing " + where + "." + key);
    return *it;
  }
  const Json* optional_member(const Json& obj, const char* key) const {
    const auto it = obj.find(key);
    return it == obj.end() ? nullptr : &*it;
  }
  const Json& array(const Json& obj, const char* key, const std::string& where) const {
    const Json& a = member(obj, key, where);
    if (!a.is_array()) fail(where + "." + key + " is " + type_of(a) + ", expected an array");
    return a;
  }
  std::string string(const Json& obj, const char* key, const std::string& where) const {
    const Json& s = member(obj, key, where);
    if (!s.is_string()) fail(where + "." + key + " is " + type_of(s) + ", expected a string");
    return s.get<std::string>();
  }

  // XGBoost writes its parameters as strings ("num_feature": "23"); accept numbers too.
  int64_t integer_param(const Json& obj, const char* key, const std::string& where) const {
    const Json& v = member(obj, key, where);
    if (v.is_number_integer()) return v.get<int64_t>();
    if (v.is_string()) {
      const std::string& s = v.get_ref<const std::string&>();
      int64_t out = 0;
      const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
      if (ec == std::errc() && end == s.data() + s.size()) return out;
    }
    fail(where + "." + key + " is " + v.dump() + ", expected an integer");
  }
  float float_param(const Json& obj, const char* key, const std::string& where) const {
    const Json& v = member(obj, key, where);
    if (v.is_number()) return v.get<float>();
    if (v.is_string()) {
      // Parsed straight to float, as XGBoost does: the string is the shortest text that
      // reads back as the stored float.
      const std::string& s = v.get_ref<const std::string&>();
      float out = 0;
      const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
      if (ec == std::errc() && end == s.data() + s.size()) return out;
    }
    fail(where + "." + key + " is " + v.dump() + ", expected a number");
  }

  // base_score: a number as text ("5E-1", 1.x and 2.x), or since 3.1 an array of one per
  // output as text ("[5E-1]"): one output here.
  float base_score_param(const Json& mparam, const std::string& where) const {
    const Json& v = member(mparam, "base_score", where);
    if (!v.is_string()) return float_param(mparam, "base_score", where);
    std::string_view s = v.get_ref<const std::string&>();
    if (s.empty() || (s.front() != '[' && s.front() != '(')) return float_param(mparam, "base_score", where);
    Json values;
    try {
      std::string text(s);
      text.front() = '[';
      if (text.back() == ')') text.back() = ']';
      values = Json::parse(text);
    } catch (const Json::exception&) {
      fail(where + ".base_score is " + v.dump() + ", expected a number or an array of numbers");
    }
    if (!values.is_array() || values.empty() || !values[0].is_number()) {
      fail(where + ".base_score is " + v.dump() + ", expected a number or an array of numbers");
    }
    if (values.size() > 1) {
      unsupported(where + ".base_score has " + std::to_string(values.size()) +
                  " values (one per output): multi-output models are not supported");
    }
    return values[0].get<float>();
  }

  template <typename T>
  std::vector<T> numbers(const Json& tree, const char* key, const std::string& where, std::size_t expected) const {
    const Json& a = array(tree, key, where);
    if (a.size() != expected) {
      fail(where + "." + key + " has " + std::to_string(a.size()) + " entries, expected num_nodes = " +
           std::to_string(expected));
    }
    std::vector<T> out;
    out.reserve(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      const Json& v = a[i];
      const std::string at = where + "." + key + "[" + std::to_string(i) + "]";
      if constexpr (std::is_same_v<T, float>) {
        if (!v.is_number()) fail(at + " is " + type_of(v) + ", expected a number");
        out.push_back(v.get<float>());
      } else if constexpr (std::is_same_v<T, bool>) {
        // Older writers used booleans, 1.x writes 0/1.
        if (v.is_boolean()) {
          out.push_back(v.get<bool>());
        } else if (v.is_number_integer() && (v.get<int64_t>() == 0 || v.get<int64_t>() == 1)) {
          out.push_back(v.get<int64_t>() == 1);
        } else {
          fail(at + " is " + v.dump() + ", expected 0, 1, true or false");
        }
      } else {
        if (!v.is_number_integer()) fail(at + " is " + v.dump() + ", expected an integer");
        out.push_back(v.get<int64_t>());
      }
    }
    return out;
  }

  void load(const Json& doc, GbdtModel* m) const {
    const Json& learner = member(doc, "learner", "the document");
    check_version(doc);

    const Json& booster = member(learner, "gradient_booster", "learner");
    const std::string booster_name = string(booster, "name", "learner.gradient_booster");
    if (booster_name == "gblinear") unsupported("gblinear (linear booster) models are not supported; train with booster=gbtree");
    if (booster_name == "dart") {
      unsupported("dart models are not supported (their per-tree weight_drop is not implemented); train with booster=gbtree");
    }
    if (booster_name != "gbtree") unsupported("unknown booster '" + booster_name + "'; only gbtree is supported");

    const Json& mparam = member(learner, "learner_model_param", "learner");
    const std::string mp = "learner.learner_model_param";
    const int64_t num_feature = integer_param(mparam, "num_feature", mp);
    if (num_feature <= 0 || num_feature > (1 << 20)) fail(mp + ".num_feature is " + std::to_string(num_feature));
    if (optional_member(mparam, "num_class") != nullptr) {
      const int64_t num_class = integer_param(mparam, "num_class", mp);
      if (num_class > 1) {
        unsupported("multi-class model (num_class = " + std::to_string(num_class) +
                    "); pixguard scores one fraud probability: train binary:logistic");
      }
    }
    if (optional_member(mparam, "num_target") != nullptr) {
      const int64_t num_target = integer_param(mparam, "num_target", mp);
      if (num_target > 1) unsupported("multi-target model (num_target = " + std::to_string(num_target) + ")");
    }

    const Json& objective = member(learner, "objective", "learner");
    const std::string objective_name = string(objective, "name", "learner.objective");
    if (objective_name == "binary:logistic" || objective_name == "reg:logistic") {
      m->objective_ = Objective::kLogistic;
    } else if (objective_name == "binary:logitraw") {
      m->objective_ = Objective::kLogitRaw;
    } else {
      unsupported("objective '" + objective_name +
                  "' is not supported (binary:logistic, reg:logistic and binary:logitraw are)");
    }
    const float base_score = base_score_param(mparam, mp);
    if (m->objective_ == Objective::kLogistic) {
      // XGBoost stores the probability and starts every margin from its logit, computed in
      // float (RegLossObj::ProbToMargin).
      if (!(base_score > 0.0f && base_score < 1.0f)) {
        fail(mp + ".base_score is " + std::to_string(base_score) + ", must be in (0, 1) for " + objective_name);
      }
      m->base_margin_ = -std::log(1.0f / base_score - 1.0f);
    } else {
      m->base_margin_ = base_score;
    }

    read_feature_names(learner, static_cast<std::size_t>(num_feature), m);

    const Json& model = member(booster, "model", "learner.gradient_booster");
    const std::string mw = "learner.gradient_booster.model";
    const Json& trees = array(model, "trees", mw);
    if (const Json* gp = optional_member(model, "gbtree_model_param")) {
      const int64_t num_trees = integer_param(*gp, "num_trees", mw + ".gbtree_model_param");
      if (num_trees != static_cast<int64_t>(trees.size())) {
        fail(mw + ".gbtree_model_param.num_trees is " + std::to_string(num_trees) + " but there are " +
             std::to_string(trees.size()) + " trees");
      }
      if (optional_member(*gp, "size_leaf_vector") != nullptr &&
          integer_param(*gp, "size_leaf_vector", mw + ".gbtree_model_param") > 1) {
        unsupported("vector-leaf trees (size_leaf_vector > 1) are not supported");
      }
    }
    if (const Json* info = optional_member(model, "tree_info")) {
      if (!info->is_array() || info->size() != trees.size()) fail(mw + ".tree_info must list one group per tree");
      for (const Json& g : *info) {
        if (!g.is_number_integer() || g.get<int64_t>() != 0) {
          unsupported(mw + ".tree_info names output group " + g.dump() + ": multi-output models are not supported");
        }
      }
    }
    for (std::size_t t = 0; t < trees.size(); ++t) {
      read_tree(trees[t], mw + ".trees[" + std::to_string(t) + "]", static_cast<uint32_t>(num_feature), m);
    }
    finish(m);
  }

  void check_version(const Json& doc) const {
    // Majors 1 to 3 write the same tree model for single-output gbtree models (2.x may
    // estimate base_score, which it stores as 1.x does; 3.1 stores it as an array). A later
    // major is refused rather than scored on an assumption.
    const Json* v = optional_member(doc, "version");
    if (v == nullptr) return;  // hand-written or stripped files: the structure checks decide
    if (!v->is_array() || v->empty() || !(*v)[0].is_number_integer()) {
      fail("version is " + v->dump() + ", expected [major, minor, patch]");
    }
    const int64_t major = (*v)[0].get<int64_t>();
    if (major < 1 || major > 3) {
      unsupported("written by XGBoost " + v->dump() + "; model files of XGBoost 1.x, 2.x and 3.x are supported");
    }
  }

  void read_feature_names(const Json& learner, std::size_t num_feature, GbdtModel* m) const {
    const Json* names = optional_member(learner, "feature_names");
    if (names == nullptr || !names->is_array() || names->empty()) {
      fail("the model has no feature names (learner.feature_names); pixguard binds model inputs to features by "
           "name, so save the model from a DMatrix/DataFrame with named columns (feature_names=[...])");
    }
    if (names->size() != num_feature) {
      fail("learner.feature_names has " + std::to_string(names->size()) + " names but num_feature is " +
           std::to_string(num_feature));
    }
    std::set<std::string> seen;
    for (std::size_t i = 0; i < names->size(); ++i) {
      const Json& n = (*names)[i];
      if (!n.is_string() || n.get_ref<const std::string&>().empty()) {
        fail("learner.feature_names[" + std::to_string(i) + "] is " + n.dump() + ", expected a non-empty string");
      }
      if (!seen.insert(n.get<std::string>()).second) fail("learner.feature_names names '" + n.get<std::string>() + "' twice");
      m->feature_names_.push_back(n.get<std::string>());
    }
    if (const Json* types = optional_member(learner, "feature_types")) {
      if (!types->is_array()) fail("learner.feature_types is " + std::string(type_of(*types)) + ", expected an array");
      for (std::size_t i = 0; i < types->size(); ++i) {
        if ((*types)[i] == "c") {
          unsupported("feature '" + (i < m->feature_names_.size() ? m->feature_names_[i] : std::to_string(i)) +
                      "' is categorical; categorical splits are not supported");
        }
      }
    }
  }

  void read_tree(const Json& tree, const std::string& where, uint32_t num_feature, GbdtModel* m) const {
    if (!tree.is_object()) fail(where + " is " + type_of(tree) + ", expected an object");
    const int64_t n64 = integer_param(member(tree, "tree_param", where), "num_nodes", where + ".tree_param");
    if (n64 < 1 || n64 > (int64_t{1} << 28)) fail(where + ".tree_param.num_nodes is " + std::to_string(n64));
    const auto n = static_cast<std::size_t>(n64);
    const auto left = numbers<int64_t>(tree, "left_children", where, n);
    const auto right = numbers<int64_t>(tree, "right_children", where, n);
    const auto feature = numbers<int64_t>(tree, "split_indices", where, n);
    const auto cond = numbers<float>(tree, "split_conditions", where, n);
    const auto default_left = numbers<bool>(tree, "default_left", where, n);
    const auto cover = numbers<float>(tree, "sum_hessian", where, n);
    std::vector<int64_t> split_type(n, 0);
    if (optional_member(tree, "split_type") != nullptr) split_type = numbers<int64_t>(tree, "split_type", where, n);
    if (const Json* cn = optional_member(tree, "categories_nodes"); cn != nullptr && !(cn->is_array() && cn->empty())) {
      unsupported(where + " has categorical splits; they are not supported");
    }

    // Breadth-first from the root, giving each split's two children adjacent slots.
    const std::size_t base = m->nodes_.size();
    if (base + n >= std::numeric_limits<uint32_t>::max() / kNodeBytes - 1) fail("too many tree nodes");
    std::vector<int64_t> order{0};             // old index of each new node
    std::vector<uint32_t> level{0};            // depth of each new node
    std::vector<char> reached(n, 0);
    reached[0] = 1;
    uint32_t depth = 0;
    for (std::size_t k = 0; k < order.size(); ++k) {
      const auto i = static_cast<std::size_t>(order[k]);
      const std::string at = where + " node " + std::to_string(i);
      Node node{};
      if (left[i] == -1 || right[i] == -1) {
        if (left[i] != right[i]) fail(at + " has one child (left " + std::to_string(left[i]) + ", right " + std::to_string(right[i]) + ")");
        node = make_leaf(static_cast<uint32_t>((base + k) * kNodeBytes), cond[i]);
      } else {
        for (const int64_t c : {left[i], right[i]}) {
          if (c < 0 || c >= n64) fail(at + " has child " + std::to_string(c) + ", outside 0.." + std::to_string(n64 - 1));
          if (reached[static_cast<std::size_t>(c)]) fail(at + " links to node " + std::to_string(c) + ", which is already in the tree (not a tree)");
          reached[static_cast<std::size_t>(c)] = 1;
        }
        if (feature[i] < 0 || feature[i] >= num_feature) {
          fail(at + " splits on feature " + std::to_string(feature[i]) + ", but num_feature is " + std::to_string(num_feature));
        }
        if (std::isnan(cond[i])) fail(at + " has a NaN threshold");  // NaN marks leaves
        if (split_type[i] != 0) unsupported(at + " is a categorical split; categorical splits are not supported");
        if (level[k] + 1 > kMaxTreeDepth) unsupported(where + " is deeper than " + std::to_string(kMaxTreeDepth) + " levels");
        const auto first_child = static_cast<uint32_t>((base + order.size()) * kNodeBytes);
        order.push_back(left[i]);
        order.push_back(right[i]);
        level.push_back(level[k] + 1);
        level.push_back(level[k] + 1);
        node = Node{static_cast<uint32_t>(feature[i]), cond[i], first_child, default_left[i] ? 0u : 1u};
      }
      depth = std::max(depth, level[k]);
      m->nodes_.push_back(node);
      m->covers_.push_back(cover[i]);
    }
    // Nodes not reached from the root are ones XGBoost's pruner deleted; they stay in the
    // arrays but no prediction visits them.
    m->roots_.push_back(static_cast<uint32_t>(base * kNodeBytes));
    m->depths_.push_back(depth);
    m->max_depth_ = std::max(m->max_depth_, depth);

    // Cover-weighted mean leaf value per node, bottom-up (children always follow their parent
    // in breadth-first order), in float and in the order of XGBoost's FillNodeMeanValue.
    m->mean_values_.resize(m->nodes_.size());
    for (std::size_t k = order.size(); k-- > 0;) {
      const std::size_t j = base + k;
      const Node& node = m->nodes_[j];
      if (is_leaf(node)) {
        m->mean_values_[j] = leaf_value(node);
      } else {
        const std::size_t l = node.left / kNodeBytes;
        float result = m->mean_values_[l] * m->covers_[l];
        result += m->mean_values_[l + 1] * m->covers_[l + 1];
        result /= m->covers_[j];
        m->mean_values_[j] = result;
      }
    }
  }

  void finish(GbdtModel* m) const {
    // Pad the last group of trees with walks of a dummy leaf so every group runs kTreeGroup
    // walks; their values are never added.
    const auto dummy = static_cast<uint32_t>(m->nodes_.size() * kNodeBytes);
    m->nodes_.push_back(make_leaf(dummy, 0.0f));
    m->covers_.push_back(0.0f);
    m->mean_values_.push_back(0.0f);
    const std::size_t trees = m->roots_.size();
    for (std::size_t g = 0; g < trees; g += kTreeGroup) {
      uint32_t d = 0;
      for (std::size_t t = g; t < std::min(trees, g + kTreeGroup); ++t) d = std::max(d, m->depths_[t]);
      m->group_depths_.push_back(d);
    }
    m->padded_roots_ = m->roots_;
    m->padded_roots_.resize((trees + kTreeGroup - 1) / kTreeGroup * kTreeGroup, dummy);
  }
};

bool GbdtModel::is_ubjson(std::string_view bytes) {
  // A UBJSON object opens with '{' and a type marker (or an optimized container's '$' or
  // '#'); JSON text has whitespace, a quote or '}' there.
  if (bytes.size() < 2 || bytes[0] != '{') return false;
  const char c = bytes[1];
  return c == 'i' || c == 'U' || c == 'I' || c == 'l' || c == 'L' || c == '$' || c == '#';
}

Status GbdtModel::parse(std::string_view json, const std::string& name, std::shared_ptr<const GbdtModel>* out) {
  return parse_as(json, name, name, out);
}

Status GbdtModel::parse_as(std::string_view json, const std::string& error_name, const std::string& version_name,
                           std::shared_ptr<const GbdtModel>* out) {
  const std::string& name = error_name;
  try {
    Json doc;
    const bool ubjson = is_ubjson(json);
    try {
      doc = ubjson ? Json::from_ubjson(json.begin(), json.end()) : Json::parse(json.begin(), json.end());
    } catch (const Json::parse_error& e) {
      // e.what() names the line, the column (the byte, for UBJSON) and what was expected.
      return Status::InvalidArgument(name + (ubjson ? ": not valid UBJSON: " : ": not valid JSON: ") + e.what());
    } catch (const Json::out_of_range& e) {
      if (ubjson) return Status::InvalidArgument(name + ": not valid UBJSON: " + e.what());
      return Status::InvalidArgument(name + ": not valid JSON: " + number_overflow_message(json, e.what()));
    }
    std::shared_ptr<GbdtModel> m(new GbdtModel());
    Loader{name}.load(doc, m.get());
    m->version_ = version_name + "@" + hex12(stable_hash(json));
    *out = std::move(m);
    return Status::Ok();
  } catch (const BadModel& e) {
    return e.status;
  } catch (const Json::exception& e) {
    return Status::InvalidArgument(name + ": unexpected model structure: " + e.what());
  } catch (const std::bad_alloc&) {
    return Status::InvalidArgument(name + ": out of memory while loading the model");
  } catch (const std::exception& e) {
    return Status::InvalidArgument(name + ": " + e.what());
  }
}

Status GbdtModel::load(const std::string& path, std::shared_ptr<const GbdtModel>* out) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) {
    const int err = errno;
    const std::string m = path + ": cannot open model: " + std::strerror(err);
    return err == ENOENT ? Status::NotFound(m) : Status::IoError(m);
  }
  std::string bytes;
  try {
    char buf[1 << 16];
    std::size_t got;
    while ((got = std::fread(buf, 1, sizeof buf, f.get())) > 0) bytes.append(buf, got);
  } catch (const std::bad_alloc&) {
    return Status::InvalidArgument(path + ": model file too large");
  }
  if (std::ferror(f.get())) return Status::IoError(path + ": read failed");
  return parse_as(bytes, path, base_name(path), out);
}

GbdtModel::Node GbdtModel::make_leaf(uint32_t offset, float value) {
  const auto bits = std::bit_cast<uint32_t>(value);
  // The step computes right = (v >= NaN) | (!(v < NaN) & aux) = aux & 1 for every v, and
  // goes to left + right * kNodeBytes: this `left` makes that the leaf itself (unsigned
  // arithmetic wraps, so offset 0 works too).
  return Node{0, std::numeric_limits<float>::quiet_NaN(), offset - (bits & 1u) * kNodeBytes, bits};
}
bool GbdtModel::is_leaf(const Node& n) { return std::isnan(n.threshold); }
float GbdtModel::leaf_value(const Node& n) { return std::bit_cast<float>(n.aux); }

namespace {

// One step of a walk: from the node at byte offset `at`, to its left child when value <
// threshold, to its default child when the value is missing (NaN), to itself at a leaf.
// No branch on the data: a NaN fails both comparisons, so `!(v < t)` sends it right and
// `v >= t` sends it left, and `aux` (1 = missing goes right) picks between them. A
// mispredicted branch per missing value would cost more than the whole step.
template <typename NodeT>
inline uint32_t step(const char* nodes, uint32_t at, const float* x) {
  const NodeT& n = *reinterpret_cast<const NodeT*>(nodes + at);
  const float v = x[n.feature];
  const uint32_t right = static_cast<uint32_t>(v >= n.threshold) | (static_cast<uint32_t>(!(v < n.threshold)) & n.aux);
  return n.left + right * static_cast<uint32_t>(sizeof(NodeT));
}

}  // namespace

float GbdtModel::margin(const float* x) const {
  const auto* nodes = reinterpret_cast<const char*>(nodes_.data());
  const uint32_t* roots = padded_roots_.data();
  const std::size_t trees = roots_.size();
  float sum = base_margin_;
  for (std::size_t g = 0; g < trees; g += kTreeGroup) {
    std::array<uint32_t, kTreeGroup> at;
    for (std::size_t j = 0; j < kTreeGroup; ++j) at[j] = roots[g + j];
    const uint32_t steps = group_depths_[g / kTreeGroup];
    for (uint32_t s = 0; s < steps; ++s) {
      // Unrolled so the walk positions live in registers.
#pragma GCC unroll 8
      for (std::size_t j = 0; j < kTreeGroup; ++j) at[j] = step<Node>(nodes, at[j], x);
    }
    // XGBoost adds the trees' leaves one by one, in tree order, into a float.
    const std::size_t end = std::min(kTreeGroup, trees - g);
    for (std::size_t j = 0; j < end; ++j) sum += leaf_value(*reinterpret_cast<const Node*>(nodes + at[j]));
  }
  return sum;
}

double GbdtModel::predict(const float* features) const {
  const float m = margin(features);
  return objective_ == Objective::kLogistic ? sigmoid(m) : m;
}

void GbdtModel::predict_batch(const float* rows, std::size_t row_count, double* out) const {
  // Row by row: margin() already keeps kTreeGroup walks in flight, and interleaving rows as
  // well (XGBoost's blocks of rows) measured slower here, the extra row pointers spilling
  // out of registers.
  const std::size_t stride = feature_names_.size();
  for (std::size_t r = 0; r < row_count; ++r) out[r] = predict(rows + r * stride);
}

// ---- TreeSHAP (Lundberg, Erion & Lee, "Consistent Individualized Feature Attribution for
// Tree Ensembles", algorithm 2), structured like XGBoost's RegTree::TreeShap so the two can
// be compared line by line; computed in double.
namespace {

struct PathElement {
  int64_t feature;       // -1 for the root's pseudo-element
  double zero_fraction;  // share of the cover that flows this way when the feature is unknown
  double one_fraction;   // 1 if the row's value follows this way, else 0
  double pweight;        // permutation weight of the subset sizes
};

void extend_path(PathElement* path, uint32_t depth, double zero_fraction, double one_fraction, int64_t feature) {
  path[depth] = PathElement{feature, zero_fraction, one_fraction, depth == 0 ? 1.0 : 0.0};
  for (int64_t i = static_cast<int64_t>(depth) - 1; i >= 0; --i) {
    const auto k = static_cast<std::size_t>(i);
    path[k + 1].pweight += one_fraction * path[k].pweight * static_cast<double>(i + 1) / static_cast<double>(depth + 1);
    path[k].pweight = zero_fraction * path[k].pweight * static_cast<double>(depth - k) / static_cast<double>(depth + 1);
  }
}

void unwind_path(PathElement* path, uint32_t depth, uint32_t index) {
  const double one_fraction = path[index].one_fraction;
  const double zero_fraction = path[index].zero_fraction;
  double next_one_portion = path[depth].pweight;
  for (int64_t i = static_cast<int64_t>(depth) - 1; i >= 0; --i) {
    const auto k = static_cast<std::size_t>(i);
    if (one_fraction != 0) {
      const double tmp = path[k].pweight;
      path[k].pweight = next_one_portion * static_cast<double>(depth + 1) / (static_cast<double>(i + 1) * one_fraction);
      next_one_portion = tmp - path[k].pweight * zero_fraction * static_cast<double>(depth - k) / static_cast<double>(depth + 1);
    } else {
      path[k].pweight = path[k].pweight * static_cast<double>(depth + 1) / (zero_fraction * static_cast<double>(depth - k));
    }
  }
  for (uint32_t i = index; i < depth; ++i) {
    path[i].feature = path[i + 1].feature;
    path[i].zero_fraction = path[i + 1].zero_fraction;
    path[i].one_fraction = path[i + 1].one_fraction;
  }
}

double unwound_path_sum(const PathElement* path, uint32_t depth, uint32_t index) {
  const double one_fraction = path[index].one_fraction;
  const double zero_fraction = path[index].zero_fraction;
  double next_one_portion = path[depth].pweight;
  double total = 0;
  for (int64_t i = static_cast<int64_t>(depth) - 1; i >= 0; --i) {
    const auto k = static_cast<std::size_t>(i);
    if (one_fraction != 0) {
      const double tmp = next_one_portion * static_cast<double>(depth + 1) / (static_cast<double>(i + 1) * one_fraction);
      total += tmp;
      next_one_portion = path[k].pweight - tmp * zero_fraction * (static_cast<double>(depth - k) / static_cast<double>(depth + 1));
    } else if (zero_fraction != 0) {
      total += (path[k].pweight / zero_fraction) / (static_cast<double>(depth - k) / static_cast<double>(depth + 1));
    }
  }
  return total;
}

}  // namespace

void GbdtModel::tree_shap(uint32_t tree, const float* x, double* phi, void* scratch) const {
  // Recursion over the tree, carrying the unique path of features seen so far; each level
  // copies the path into the next slice of `scratch`.
  struct Rec {
    const GbdtModel& m;
    const float* x;
    double* phi;
    void walk(uint32_t node, uint32_t depth, PathElement* parent_path, double parent_zero, double parent_one,
              int64_t parent_feature) const {
      PathElement* path = parent_path + depth + 1;
      std::copy(parent_path, parent_path + depth + 1, path);
      extend_path(path, depth, parent_zero, parent_one, parent_feature);
      const Node& n = m.nodes_[node];
      if (is_leaf(n)) {
        for (uint32_t i = 1; i <= depth; ++i) {
          const double w = unwound_path_sum(path, depth, i);
          const PathElement& el = path[i];
          phi[el.feature] += w * (el.one_fraction - el.zero_fraction) * static_cast<double>(leaf_value(n));
        }
        return;
      }
      const float v = x[n.feature];
      const uint32_t goes_right = std::isnan(v) ? n.aux : static_cast<uint32_t>(!(v < n.threshold));
      const uint32_t hot = n.left / kNodeBytes + goes_right;
      const uint32_t cold = n.left / kNodeBytes + (1 - goes_right);
      const double w = m.covers_[node];
      const double hot_zero = static_cast<double>(m.covers_[hot]) / w;
      const double cold_zero = static_cast<double>(m.covers_[cold]) / w;
      double incoming_zero = 1;
      double incoming_one = 1;
      // A feature split on again higher up: undo that extension and redo it here.
      uint32_t k = 0;
      for (; k <= depth; ++k) {
        if (path[k].feature == static_cast<int64_t>(n.feature)) break;
      }
      if (k != depth + 1) {
        incoming_zero = path[k].zero_fraction;
        incoming_one = path[k].one_fraction;
        unwind_path(path, depth, k);
        depth -= 1;
      }
      walk(hot, depth + 1, path, hot_zero * incoming_zero, incoming_one, n.feature);
      walk(cold, depth + 1, path, cold_zero * incoming_zero, 0, n.feature);
    }
  };
  Rec{*this, x, phi}.walk(roots_[tree] / kNodeBytes, 0, static_cast<PathElement*>(scratch), 1, 1, -1);
}

void GbdtModel::contributions(const float* features, Attribution method, double* out) const {
  if (method == Attribution::kPath) {
    path_contributions(features, out);
  } else {
    tree_shap_contributions(features, out);
  }
}

void GbdtModel::tree_shap_contributions(const float* features, double* out) const {
  const std::size_t n = feature_names_.size();
  std::fill(out, out + n + 1, 0.0);
  // Slices of (depth + 2) elements, one per level: XGBoost's (maxd * (maxd + 1)) / 2 sizing.
  const std::size_t maxd = max_depth_ + 2;
  thread_local std::vector<PathElement> scratch;
  if (scratch.size() < maxd * (maxd + 1) / 2 + maxd) scratch.resize(maxd * (maxd + 1) / 2 + maxd);
  double bias = base_margin_;
  for (uint32_t t = 0; t < roots_.size(); ++t) {
    bias += mean_values_[roots_[t] / kNodeBytes];
    tree_shap(t, features, out, scratch.data());
  }
  out[n] = bias;
}

// XGBoost's CalculateContributionsApprox: walking down, each split credits its feature with
// the change of the cover-weighted mean value from the node to the child taken. The walk ends
// at a leaf, whose mean value is its own value, so the credits sum to the margin.
void GbdtModel::path_contributions(const float* features, double* out) const {
  const std::size_t n = feature_names_.size();
  std::fill(out, out + n + 1, 0.0);
  double bias = base_margin_;
  for (const uint32_t root : roots_) {
    uint32_t node = root / kNodeBytes;
    bias += mean_values_[node];
    while (!is_leaf(nodes_[node])) {
      const Node& split = nodes_[node];
      const float v = features[split.feature];
      const uint32_t goes_right = std::isnan(v) ? split.aux : static_cast<uint32_t>(!(v < split.threshold));
      const uint32_t child = split.left / kNodeBytes + goes_right;
      out[split.feature] += static_cast<double>(mean_values_[child]) - static_cast<double>(mean_values_[node]);
      node = child;
    }
  }
  out[n] = bias;
}

}  // namespace pixguard
