#include "score/rule_expression.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace pixguard {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Slots of the test symbol table.
enum NumberSlot : uint32_t { kAmount, kCount5m, kMean30d, kNight, kX0, kX1, kX2, kX3, kNumberSlots };
enum TextSlot : uint32_t { kInitiation, kChannel, kT0, kT1, kTextSlots };

const std::map<std::string, Symbol, std::less<>>& test_symbols() {
  static const std::map<std::string, Symbol, std::less<>> symbols = {
      {"amount", {SymbolKind::kNumber, kAmount}},
      {"payer.count_5m", {SymbolKind::kNumber, kCount5m}},
      {"payer.mean_amount_30d", {SymbolKind::kNumber, kMean30d}},
      {"context.night", {SymbolKind::kNumber, kNight}},
      {"x0", {SymbolKind::kNumber, kX0}},
      {"x1", {SymbolKind::kNumber, kX1}},
      {"x2", {SymbolKind::kNumber, kX2}},
      {"x3", {SymbolKind::kNumber, kX3}},
      {"initiation", {SymbolKind::kText, kInitiation}},
      {"channel", {SymbolKind::kText, kChannel}},
      {"t0", {SymbolKind::kText, kT0}},
      {"t1", {SymbolKind::kText, kT1}},
  };
  return symbols;
}

SymbolTable table() {
  return [](std::string_view name) -> std::optional<Symbol> {
    const auto& symbols = test_symbols();
    const auto it = symbols.find(name);
    if (it == symbols.end()) return std::nullopt;
    return it->second;
  };
}

// Values for one evaluation; every slot starts missing.
struct Values {
  double numbers[kNumberSlots];
  std::string_view texts[kTextSlots];
  Values() {
    for (double& v : numbers) v = kNaN;
  }
  EvalContext ctx() const { return EvalContext{numbers, texts}; }
};

Expression compile_ok(std::string_view text) {
  Expression e;
  const Status s = Expression::compile(text, table(), &e);
  EXPECT_TRUE(s.ok()) << text << ": " << s.message();
  return e;
}

bool eval(std::string_view text, const Values& v = Values()) { return compile_ok(text).evaluate(v.ctx()); }

std::string compile_error(std::string_view text) {
  Expression e;
  const Status s = Expression::compile(text, table(), &e);
  EXPECT_FALSE(s.ok()) << text;
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << text;
  return s.message();
}

TEST(RuleExpression, ComparisonOperators) {
  Values v;
  v.numbers[kX0] = 5;
  EXPECT_TRUE(eval("x0 > 4", v));
  EXPECT_FALSE(eval("x0 > 5", v));
  EXPECT_TRUE(eval("x0 >= 5", v));
  EXPECT_FALSE(eval("x0 >= 5.5", v));
  EXPECT_TRUE(eval("x0 < 6", v));
  EXPECT_FALSE(eval("x0 < 5", v));
  EXPECT_TRUE(eval("x0 <= 5", v));
  EXPECT_FALSE(eval("x0 <= 4.99", v));
  EXPECT_TRUE(eval("x0 == 5", v));
  EXPECT_FALSE(eval("x0 == 4", v));
  EXPECT_TRUE(eval("x0 != 4", v));
  EXPECT_FALSE(eval("x0 != 5", v));
  // Constant on the left, feature on the right, and both sides from the stack.
  EXPECT_TRUE(eval("4 < x0", v));
  EXPECT_TRUE(eval("x0 * 2 == x0 + x0", v));
}

TEST(RuleExpression, Arithmetic) {
  Values v;
  v.numbers[kX0] = 6;
  v.numbers[kX1] = 4;
  EXPECT_TRUE(eval("x0 + x1 == 10", v));
  EXPECT_TRUE(eval("x0 - x1 == 2", v));
  EXPECT_TRUE(eval("x0 * x1 == 24", v));
  EXPECT_TRUE(eval("x0 / x1 == 1.5", v));
  EXPECT_TRUE(eval("-x0 == -6", v));
  EXPECT_TRUE(eval("- -x0 == 6", v));
  EXPECT_TRUE(eval("-(x0 - x1) == -2", v));
  EXPECT_TRUE(eval("x0 - -1 == 7", v));
  EXPECT_TRUE(eval("1 + x0 == 7", v));
  EXPECT_TRUE(eval("12 / x0 == 2", v));
  EXPECT_TRUE(eval("12 - x0 == 6", v));
}

TEST(RuleExpression, Precedence) {
  EXPECT_TRUE(eval("1 + 2 * 3 == 7"));
  EXPECT_TRUE(eval("(1 + 2) * 3 == 9"));
  EXPECT_TRUE(eval("10 - 4 - 3 == 3"));  // left-associative
  EXPECT_TRUE(eval("8 / 4 / 2 == 1"));
  EXPECT_TRUE(eval("2 * 3 / 6 == 1"));
  EXPECT_TRUE(eval("-2 * -3 == 6"));
  EXPECT_TRUE(eval("-2 * 3 + 10 == 4"));
  EXPECT_TRUE(eval("1 + 2 > 2"));       // arithmetic binds tighter than comparison
  EXPECT_TRUE(eval("true or false and false"));  // and binds tighter than or
  EXPECT_FALSE(eval("(true or false) and false"));
  EXPECT_TRUE(eval("not false and true"));       // not binds tighter than and
  EXPECT_FALSE(eval("not (false or true)"));
  EXPECT_TRUE(eval("not 1 > 2"));                // not binds looser than comparison
  EXPECT_TRUE(eval("!1 > 2"));                   // ... and so does its synonym
  EXPECT_TRUE(eval("not not true"));
  EXPECT_TRUE(eval("false || true && true"));
  EXPECT_FALSE(eval("1 > 2 || 2 > 3 && true"));
  EXPECT_TRUE(eval("1 + 1 in (2)"));
}

TEST(RuleExpression, NumberLiterals) {
  EXPECT_TRUE(eval("1.5 == 3 / 2"));
  EXPECT_TRUE(eval(".5 == 0.5"));
  EXPECT_TRUE(eval("5. == 5"));
  EXPECT_TRUE(eval("1e3 == 1000"));
  EXPECT_TRUE(eval("1E3 == 1000"));
  EXPECT_TRUE(eval("2.5e+2 == 250"));
  EXPECT_TRUE(eval("1e-3 == 0.001"));
  EXPECT_TRUE(eval("0.1 + 0.2 > 0.3"));  // doubles, correctly rounded like the C++ literal
  EXPECT_TRUE(eval("007 == 7"));
  EXPECT_TRUE(eval("123456789012345678 == 123456789012345678"));
}

TEST(RuleExpression, BooleansAndNumbersCoerce) {
  Values v;
  v.numbers[kX0] = 3;
  v.numbers[kX1] = 0;
  v.numbers[kX2] = -0.5;
  EXPECT_TRUE(eval("x0", v));
  EXPECT_FALSE(eval("x1", v));
  EXPECT_TRUE(eval("x2", v));
  EXPECT_FALSE(eval("x3", v));  // missing
  EXPECT_TRUE(eval("not x3", v));
  EXPECT_TRUE(eval("x0 and x2", v));
  EXPECT_FALSE(eval("x0 and x1", v));
  EXPECT_TRUE(eval("x1 or x0", v));
  EXPECT_FALSE(eval("x1 or x3", v));
  EXPECT_TRUE(eval("true + true == 2", v));
  EXPECT_TRUE(eval("(x0 > 1) + (x2 < 0) + (x1 > 1) == 2", v));
  EXPECT_TRUE(eval("(x0 > 1) * 10 == 10", v));
  EXPECT_TRUE(eval("(x0 > 1) == true", v));
  EXPECT_TRUE(eval("true", v));
  EXPECT_FALSE(eval("false", v));
  EXPECT_FALSE(eval("0", v));
  EXPECT_TRUE(eval("-1", v));
}

TEST(RuleExpression, MissingValuesMakeComparisonsFalse) {
  Values v;  // everything missing
  v.numbers[kX1] = 5;
  for (const char* text : {"x0 > 5", "x0 >= 5", "x0 < 5", "x0 <= 5", "x0 == 5", "x0 != 5", "x0 == x0",
                           "x0 != x0", "x0 != x1", "x1 != x0", "x0 + 1 > 0", "x0 * 0 == 0", "-x0 < 0",
                           "x0 in (5, 6)", "x0 and true", "x0 or false", "x0 / x1 >= 0"}) {
    EXPECT_FALSE(eval(text, v)) << text;
  }
  EXPECT_TRUE(eval("not (x0 > 5)", v));
  EXPECT_TRUE(eval("not (x0 != 5)", v));
  EXPECT_TRUE(eval("not (x0 == x0)", v));  // the documented missing test
  EXPECT_FALSE(eval("not (x1 == x1)", v));
  EXPECT_TRUE(eval("x0 > 5 or x1 == 5", v));
}

TEST(RuleExpression, DivisionByZeroIsMissing) {
  Values v;
  v.numbers[kX0] = 0;
  v.numbers[kX1] = 7;
  EXPECT_FALSE(eval("x1 / x0 > 0", v));
  EXPECT_FALSE(eval("x1 / x0 < 0", v));
  EXPECT_FALSE(eval("-x1 / x0 < 0", v));
  EXPECT_FALSE(eval("x0 / x0 == x0 / x0", v));
  EXPECT_FALSE(eval("x1 / 0 != 1", v));
  EXPECT_FALSE(eval("x1 / x0", v));
  EXPECT_TRUE(eval("not (x1 / x0 > 1)", v));
  EXPECT_TRUE(eval("x0 / x1 == 0", v));  // zero numerator is fine
}

TEST(RuleExpression, InLists) {
  Values v;
  v.numbers[kX0] = 2;
  v.numbers[kX1] = -1;
  v.numbers[kX2] = 1;
  EXPECT_TRUE(eval("x0 in (1, 2, 3)", v));
  EXPECT_FALSE(eval("x0 in (1, 3)", v));
  EXPECT_TRUE(eval("x0 in (2)", v));
  EXPECT_TRUE(eval("x1 in (-1, 5)", v));
  EXPECT_FALSE(eval("x1 in (1, 5)", v));
  EXPECT_TRUE(eval("x2 in (true)", v));
  EXPECT_TRUE(eval("x0 * 2 in (4)", v));
  EXPECT_TRUE(eval("(x0 > 1) in (true)", v));
  EXPECT_TRUE(eval("not x0 in (5, 6)", v));
  EXPECT_TRUE(eval("x0 in (1.5e0, 2.0)", v));

  v.texts[kInitiation] = "QRES";
  EXPECT_TRUE(eval("initiation in (\"QRDN\", \"QRES\")", v));
  EXPECT_TRUE(eval("initiation in ('QRES')", v));
  EXPECT_FALSE(eval("initiation in ('QRDN', 'MANU')", v));
  EXPECT_FALSE(eval("initiation in ('QRE', 'QRESS')", v));
  EXPECT_TRUE(eval("not initiation in ('QRDN')", v));
  EXPECT_FALSE(eval("channel in ('APP')", v));  // empty text is missing
  EXPECT_FALSE(eval("not not channel in ('APP')", v));
}

TEST(RuleExpression, TextComparisons) {
  Values v;
  v.texts[kInitiation] = "QRDN";
  EXPECT_TRUE(eval("initiation == \"QRDN\"", v));
  EXPECT_TRUE(eval("initiation == 'QRDN'", v));
  EXPECT_TRUE(eval("'QRDN' == initiation", v));
  EXPECT_FALSE(eval("initiation == 'QRD'", v));
  EXPECT_FALSE(eval("initiation == 'qrdn'", v));  // case-sensitive
  EXPECT_TRUE(eval("initiation != 'MANU'", v));
  EXPECT_TRUE(eval("'MANU' != initiation", v));
  EXPECT_FALSE(eval("initiation != 'QRDN'", v));
  EXPECT_TRUE(eval("(initiation) == 'QRDN'", v));
  EXPECT_TRUE(eval("(initiation == 'QRDN') + 1 == 2", v));
  // A missing (empty) text matches neither == nor !=.
  EXPECT_FALSE(eval("channel == 'APP'", v));
  EXPECT_FALSE(eval("channel != 'APP'", v));
  EXPECT_TRUE(eval("not (channel != 'APP')", v));
  // Escapes and quotes of the other kind.
  v.texts[kChannel] = "O'Hara\"\\";
  EXPECT_TRUE(eval("channel == 'O\\'Hara\"\\\\'", v));
  EXPECT_TRUE(eval("channel == \"O'Hara\\\"\\\\\"", v));
}

TEST(RuleExpression, ProductExamples) {
  Values v;
  v.numbers[kCount5m] = 6;
  v.numbers[kAmount] = 1500;
  v.numbers[kNight] = 1;
  v.numbers[kMean30d] = 100;
  v.texts[kInitiation] = "QRDN";
  EXPECT_TRUE(eval("payer.count_5m > 5", v));
  EXPECT_TRUE(eval("amount >= 1000 and context.night", v));
  EXPECT_TRUE(eval("initiation in (\"QRDN\", \"QRES\")", v));
  EXPECT_TRUE(eval("amount > 10 * payer.mean_amount_30d", v));
  v.numbers[kNight] = 0;
  v.numbers[kMean30d] = 200;
  EXPECT_FALSE(eval("amount >= 1000 and context.night", v));
  EXPECT_FALSE(eval("amount > 10 * payer.mean_amount_30d", v));
  EXPECT_TRUE(eval("amount>=1000&&!context.night||payer.count_5m>5", v));
  EXPECT_TRUE(eval("  amount\t>=\n1000  ", v));
}

TEST(RuleExpression, NamesInOrderOfFirstUse) {
  const Expression e = compile_ok("amount > 1 and initiation == 'QRDN' or amount > payer.count_5m");
  EXPECT_EQ(e.names(), (std::vector<std::string>{"amount", "initiation", "payer.count_5m"}));
  EXPECT_EQ(e.text(), "amount > 1 and initiation == 'QRDN' or amount > payer.count_5m");
  EXPECT_TRUE(compile_ok("1 > 0").names().empty());
}

TEST(RuleExpression, CopyMoveAndDefault) {
  Values v;
  v.texts[kInitiation] = "QRES";
  v.numbers[kX0] = 3;
  const Expression original = compile_ok("initiation in ('QRDN', 'QRES') and x0 in (1, 3)");
  Expression copy = original;
  Expression moved = std::move(copy);
  copy = original;
  EXPECT_TRUE(original.evaluate(v.ctx()));
  EXPECT_TRUE(copy.evaluate(v.ctx()));
  EXPECT_TRUE(moved.evaluate(v.ctx()));
  EXPECT_FALSE(Expression().evaluate(v.ctx()));
}

TEST(RuleExpression, FailedCompileLeavesOutputUnchanged) {
  Expression e = compile_ok("x0 > 1");
  EXPECT_FALSE(Expression::compile("x0 >", table(), &e).ok());
  EXPECT_EQ(e.text(), "x0 > 1");
  Values v;
  v.numbers[kX0] = 2;
  EXPECT_TRUE(e.evaluate(v.ctx()));
}

TEST(RuleExpression, ThrowingOrEmptySymbolTableIsAStatus) {
  Expression e;
  const SymbolTable throwing = [](std::string_view) -> std::optional<Symbol> {
    throw std::runtime_error("boom");
  };
  Status s = Expression::compile("x > 1", throwing, &e);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("boom"), std::string::npos) << s.message();
  s = Expression::compile("x > 1", SymbolTable(), &e);
  EXPECT_FALSE(s.ok());
}

struct ErrorCase {
  const char* text;
  int column;
  const char* message;  // expected after "column N: " (a prefix of the rest)
};

TEST(RuleExpression, CompileErrorsNameColumnAndCause) {
  const ErrorCase cases[] = {
      // Empty and incomplete.
      {"", 1, "empty expression"},
      {"   ", 1, "empty expression"},
      {"amount >", 9, "expected a value after '>', found end of expression"},
      {"amount > > 5", 10, "expected a value after '>', found '>'"},
      {"amount > 5 and", 15, "expected a value after 'and', found end of expression"},
      {"()", 2, "expected a value after '(', found ')'"},
      {"not", 4, "expected a value after 'not', found end of expression"},
      {"amount * / 2", 10, "expected a value after '*', found '/'"},
      {", amount", 1, "expected a value, found ','"},
      // Unknown names.
      {"payr.count_5m > 5", 1, "unknown name 'payr.count_5m'"},
      {"amount > 5 and True", 16, "unknown name 'True'"},
      // Trailing garbage, chaining and parentheses.
      {"amount > 5 extra", 12, "expected an operator or end of expression, found name 'extra'"},
      {"amount 5", 8, "expected an operator or end of expression, found number '5'"},
      {"initiation 'QRDN'", 12, "expected an operator or end of expression, found string 'QRDN'"},
      {"amount > 1 > 2", 12, "unexpected '>': comparisons do not chain"},
      {"1 < amount <= 2", 12, "unexpected '<=': comparisons do not chain"},
      {"amount in (1) in (2)", 15, "unexpected 'in': comparisons do not chain"},
      {"(amount > 5", 12, "expected ')' to close '(' at column 1, found end of expression"},
      {"((amount > 5)", 14, "expected ')' to close '(' at column 1, found end of expression"},
      {"(amount > 5 or (x0 < 1)", 24, "expected ')' to close '(' at column 1"},
      {"(amount 5)", 9, "expected ')' to close '(' at column 1, found number '5'"},
      {"amount > 5)", 11, "unmatched ')'"},
      // Type errors.
      {"initiation > 'A'", 12, "text 'initiation' compares only with '==', '!=' or 'in', found '>'"},
      {"'A' < initiation", 5, "string 'A' compares only with '==' or '!=', found '<'"},
      {"initiation == 5", 15, "expected a string literal after '==' to compare with text 'initiation', found number '5'"},
      {"initiation != amount + 1", 15, "expected a string literal after '!=' to compare with text 'initiation', found number 'amount + 1'"},
      {"initiation == channel", 15, "expected a string literal after '==' to compare with text 'initiation', found text 'channel'"},
      {"'A' == 'A'", 8, "expected a text name after '==' to compare with string 'A', found string 'A'"},
      {"'A' == 1 > 0", 8, "expected a text name after '==' to compare with string 'A', found number '1'"},
      {"amount == 'QRDN'", 11, "expected a number after '==', found string 'QRDN'"},
      {"amount < initiation", 10, "expected a number after '<', found text 'initiation'"},
      {"'QRDN' + 1 > 0", 1, "string 'QRDN' cannot be used in arithmetic"},
      {"amount + \"x\" > 1", 10, "string \"x\" cannot be used in arithmetic"},
      {"initiation * 2 > 1", 1, "text 'initiation' cannot be used in arithmetic"},
      {"-initiation == 'x'", 2, "text 'initiation' cannot be used in arithmetic"},
      {"1 - (channel) > 0", 5, "text '(channel)' cannot be used in arithmetic"},
      {"initiation", 1, "text 'initiation' is not a condition; compare it with ==, != or in"},
      {"initiation and amount > 1", 1, "text 'initiation' is not a condition"},
      {"not initiation", 5, "text 'initiation' is not a condition"},
      {"amount > 1 or channel", 15, "text 'channel' is not a condition"},
      {"'QRDN'", 1, "string 'QRDN' is not a condition"},
      {"true and 'x'", 10, "string 'x' is not a condition"},
      // in-lists.
      {"initiation in 'QRDN'", 15, "expected '(' after 'in', found string 'QRDN'"},
      {"initiation in ()", 16, "expected a string literal in the list for text 'initiation', found ')'"},
      {"initiation in ('A', 5)", 21, "expected a string literal in the list for text 'initiation', found number '5'"},
      {"initiation in ('A' 'B')", 20, "expected ',' or ')' in the list opened at column 15, found string 'B'"},
      {"initiation in ('A',", 20, "expected a string literal in the list for text 'initiation', found end of expression"},
      {"amount in ('A')", 12, "expected a number in the list after '(', found string 'A'"},
      {"amount in (1, x0)", 15, "expected a number in the list after ',', found name 'x0'"},
      {"amount in (1, -true)", 16, "expected a number in the list after '-', found 'true'"},
      {"amount in (1,", 14, "expected a number in the list after ',', found end of expression"},
      {"amount in (1", 13, "expected ',' or ')' in the list opened at column 11, found end of expression"},
      {"'x' in ('x')", 1, "expected a number or a text name before 'in', found string 'x'"},
      // Lexical errors.
      {"amount = 5", 8, "unexpected '='; use '==' to compare"},
      {"amount > 1 & x0", 12, "unexpected '&'; use '&&' or 'and'"},
      {"amount > 1 | x0", 12, "unexpected '|'; use '||' or 'or'"},
      {"amount > 5 # comment", 12, "unexpected character '#'"},
      {"amount > 5 \xc3\xa7", 12, "unexpected byte 0xC3"},
      {"amount > 1.2.3", 10, "malformed number '1.2.3'"},
      {"amount > 5m", 10, "malformed number '5m'"},
      {"amount > 1e", 10, "malformed number '1e'"},
      {"amount > 1e+", 10, "malformed number '1e'"},
      {"amount > 1e999", 10, "number '1e999' is out of range"},
      {"initiation == 'QRDN", 15, "unterminated string literal"},
      {"initiation == \"QRDN'", 15, "unterminated string literal"},
      {"initiation == ''", 15, "empty string literal never matches"},
      {"initiation == 'a\\n'", 17, "unknown escape in string literal"},
      // First error wins, in order of position.
      {"amount > > 1.2.3", 10, "expected a value after '>', found '>'"},
      {"amount > 1.2.3 > >", 10, "malformed number '1.2.3'"},
  };
  for (const ErrorCase& c : cases) {
    const std::string message = compile_error(c.text);
    const std::string want = "column " + std::to_string(c.column) + ": " + c.message;
    EXPECT_EQ(message.substr(0, want.size()), want) << "for: " << c.text;
  }
}

TEST(RuleExpression, NestingAndStackLimits) {
  const int limit = Expression::kMaxNesting;
  // At the nesting limit: fine.
  std::string ok = std::string(static_cast<size_t>(limit), '(') + "x0 > 1" + std::string(static_cast<size_t>(limit), ')');
  Values v;
  v.numbers[kX0] = 2;
  EXPECT_TRUE(eval(ok, v));
  // One more '(' is reported at its column.
  std::string deep = std::string(static_cast<size_t>(limit) + 1, '(') + "x0" + std::string(static_cast<size_t>(limit) + 1, ')');
  EXPECT_EQ(compile_error(deep).rfind("column " + std::to_string(limit + 1) + ": expression nested too deeply", 0), 0u);
  std::string nots;
  for (int i = 0; i <= limit; ++i) nots += "not ";
  EXPECT_NE(compile_error(nots + "x0").find("nested too deeply"), std::string::npos);
  EXPECT_NE(compile_error(std::string(static_cast<size_t>(limit) + 1, '-') + "x0").find("nested too deeply"),
            std::string::npos);

  // Each level keeps five operands on the stack: 12 levels (60 slots: the innermost
  // "x0 * (x0)" folds into one instruction) fit in 64, 13 (65) do not.
  auto stacked = [](int levels) {
    std::string text = "x0";
    for (int i = 0; i < levels; ++i) text = "x0 or x0 and x0 == x0 + x0 * (" + text + ")";
    return text;
  };
  v.numbers[kX0] = 1;
  EXPECT_TRUE(eval(stacked(12), v));
  EXPECT_EQ(compile_error(stacked(13)), "column 1: expression too complex: it needs 65 stack slots, the limit is 64");

  // Long flat chains do not recurse and need little stack.
  std::string chain = "x0";
  for (int i = 0; i < 5000; ++i) chain += " + x0";
  EXPECT_TRUE(eval(chain + " == 5001", v));
}

// ---- Randomized comparison against an independent reference -------------------------------

// A tiny syntax tree with its own straightforward evaluator (isnan written out, explicit
// type rules), rendered to text with the fewest parentheses the grammar needs so the
// precedence rules are exercised, plus random redundant parentheses and spacing.
struct Node {
  enum Kind { kConst, kVar, kBool, kTextCmp, kTextIn, kNumIn, kNeg, kNot, kBinary } kind;
  std::string op;  // kBinary: + - * / < <= > >= == != and or; kTextCmp: == !=
  double value = 0;
  std::string literal;               // kConst text
  int slot = 0;                      // kVar / text slot
  std::vector<std::string> strings;  // kTextCmp (one) / kTextIn
  std::vector<std::pair<std::string, double>> numbers;  // kNumIn
  bool literal_first = false;        // kTextCmp: 'A' == t
  std::unique_ptr<Node> left, right;
};

int level(const Node& n) {
  switch (n.kind) {
    case Node::kTextCmp: case Node::kTextIn: case Node::kNumIn: return 4;
    case Node::kNeg: return 7;
    case Node::kNot: return 3;
    case Node::kBinary:
      if (n.op == "or") return 1;
      if (n.op == "and") return 2;
      if (n.op == "+" || n.op == "-") return 5;
      if (n.op == "*" || n.op == "/") return 6;
      return 4;
    default: return 8;
  }
}

bool is_true(double v) { return !std::isnan(v) && v != 0; }

double reference(const Node& n, const double* nums, const std::string_view* texts) {
  switch (n.kind) {
    case Node::kConst: return n.value;
    case Node::kVar: return nums[n.slot];
    case Node::kBool: return n.value;
    case Node::kTextCmp: {
      const std::string_view t = texts[n.slot];
      if (t.empty()) return 0;
      const bool equal = t == n.strings[0];
      return (n.op == "==" ? equal : !equal) ? 1 : 0;
    }
    case Node::kTextIn: {
      const std::string_view t = texts[n.slot];
      if (t.empty()) return 0;
      for (const std::string& s : n.strings) {
        if (t == s) return 1;
      }
      return 0;
    }
    case Node::kNumIn: {
      const double x = reference(*n.left, nums, texts);
      if (std::isnan(x)) return 0;
      for (const auto& [text, value] : n.numbers) {
        if (x == value) return 1;
      }
      return 0;
    }
    case Node::kNeg: return -reference(*n.left, nums, texts);
    case Node::kNot: return is_true(reference(*n.left, nums, texts)) ? 0 : 1;
    case Node::kBinary: {
      const double a = reference(*n.left, nums, texts);
      const double b = reference(*n.right, nums, texts);
      const std::string& op = n.op;
      if (op == "+") return a + b;
      if (op == "-") return a - b;
      if (op == "*") return a * b;
      if (op == "/") return b == 0 ? kNaN : a / b;
      if (op == "and") return is_true(a) && is_true(b) ? 1 : 0;
      if (op == "or") return is_true(a) || is_true(b) ? 1 : 0;
      if (std::isnan(a) || std::isnan(b)) return 0;
      if (op == "<") return a < b;
      if (op == "<=") return a <= b;
      if (op == ">") return a > b;
      if (op == ">=") return a >= b;
      if (op == "==") return a == b;
      return a != b;
    }
  }
  return kNaN;
}

class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  std::unique_ptr<Node> gen(int depth) {
    auto n = std::make_unique<Node>();
    const int choice = depth <= 0 ? pick(5) : pick(12);
    switch (choice) {
      case 0: {
        const auto& [text, value] = kConsts[static_cast<size_t>(pick(static_cast<int>(std::size(kConsts))))];
        n->kind = Node::kConst;
        n->literal = text;
        n->value = value;
        break;
      }
      case 1:
        n->kind = Node::kVar;
        n->slot = pick(4);
        break;
      case 2:
        n->kind = Node::kBool;
        n->value = pick(2);
        break;
      case 3:
        n->kind = Node::kTextCmp;
        n->slot = pick(2);
        n->op = pick(2) ? "==" : "!=";
        n->strings = {kStrings[pick(4)]};
        n->literal_first = pick(2) == 0;
        break;
      case 4:
        n->kind = Node::kTextIn;
        n->slot = pick(2);
        for (int i = 0, count = 1 + pick(3); i < count; ++i) n->strings.push_back(kStrings[pick(4)]);
        break;
      case 5:
        n->kind = Node::kNumIn;
        n->left = gen(depth - 1);
        for (int i = 0, count = 1 + pick(3); i < count; ++i) {
          const auto& [text, value] = kConsts[static_cast<size_t>(pick(static_cast<int>(std::size(kConsts))))];
          if (pick(2)) {
            n->numbers.emplace_back("-" + std::string(text), -value);
          } else {
            n->numbers.emplace_back(text, value);
          }
        }
        break;
      case 6:
        n->kind = Node::kNeg;
        n->left = gen(depth - 1);
        break;
      case 7:
        n->kind = Node::kNot;
        n->left = gen(depth - 1);
        break;
      default: {
        static const char* const kOps[] = {"+", "-", "*", "/", "<", "<=", ">", ">=", "==", "!=", "and", "or"};
        n->kind = Node::kBinary;
        n->op = kOps[pick(12)];
        n->left = gen(depth - 1);
        n->right = gen(depth - 1);
        break;
      }
    }
    return n;
  }

  // Renders `n`, in parentheses when its level is below `min_level` or at random.
  std::string render(const Node& n, int min_level) {
    std::string s = render_bare(n);
    if (level(n) < min_level || pick(8) == 0) s = "(" + space() + s + space() + ")";
    return s;
  }

  double random_number() {
    static const double kValues[] = {kNaN, 0, 1, -1, 2.5, 3, 1000, 0.5, -0.5, 2};
    return kValues[pick(static_cast<int>(std::size(kValues)))];
  }
  std::string_view random_text() {
    static const std::string_view kTexts[] = {"", "QRDN", "QRES", "MANU"};
    return kTexts[pick(4)];
  }

 private:
  std::string space() { return pick(2) ? " " : ""; }

  std::string quote(const std::string& s) { return pick(2) ? "'" + s + "'" : "\"" + s + "\""; }

  std::string render_bare(const Node& n) {
    static const char* const kTextNames[] = {"t0", "t1"};
    switch (n.kind) {
      case Node::kConst: return n.literal;
      case Node::kVar: return "x" + std::to_string(n.slot);
      case Node::kBool: return n.value != 0 ? "true" : "false";
      case Node::kTextCmp: {
        const std::string name = kTextNames[n.slot];
        const std::string lit = quote(n.strings[0]);
        const std::string op = space() + n.op + space();
        return n.literal_first ? lit + op + name : name + op + lit;
      }
      case Node::kTextIn: {
        std::string s = std::string(kTextNames[n.slot]) + " in (";
        for (size_t i = 0; i < n.strings.size(); ++i) s += (i ? "," + space() : "") + quote(n.strings[i]);
        return s + ")";
      }
      case Node::kNumIn: {
        std::string s = render(*n.left, 5) + " in" + space() + "(";
        for (size_t i = 0; i < n.numbers.size(); ++i) s += (i ? "," + space() : "") + n.numbers[i].first;
        return s + ")";
      }
      case Node::kNeg: return "-" + space() + render(*n.left, 7);
      case Node::kNot: return (pick(2) ? "not " : "!" + space()) + render(*n.left, 3);
      case Node::kBinary: {
        const int l = level(n);
        // Left-associative: the right operand needs parentheses at its own level; the
        // non-associative comparison needs them on both sides.
        const std::string left = render(*n.left, l == 4 ? 5 : l);
        const std::string right = render(*n.right, l + 1);
        std::string op = n.op;
        if (op == "and" && pick(2)) op = "&&";
        if (op == "or" && pick(2)) op = "||";
        const bool word = op == "and" || op == "or";
        return left + (word ? " " : space()) + op + (word ? " " : space()) + right;
      }
    }
    return {};
  }

  static constexpr std::pair<const char*, double> kConsts[] = {
      {"0", 0}, {"1", 1}, {"2", 2}, {"3", 3}, {"2.5", 2.5}, {".5", 0.5}, {"1e3", 1000}, {"1000", 1000}, {"0.25", 0.25},
  };
  static constexpr const char* kStrings[] = {"QRDN", "QRES", "MANU", "X"};
  std::mt19937 rng_;
};

TEST(RuleExpression, RandomExpressionsMatchReference) {
  Generator g(20240611);
  int compared = 0;
  for (int round = 0; round < 3000; ++round) {
    const std::unique_ptr<Node> root = g.gen(1 + g.pick(5));
    const std::string text = g.render(*root, 0);
    Expression e;
    const Status s = Expression::compile(text, table(), &e);
    ASSERT_TRUE(s.ok()) << text << ": " << s.message();
    for (int trial = 0; trial < 16; ++trial) {
      Values v;
      for (uint32_t i = 0; i < 4; ++i) v.numbers[kX0 + i] = g.random_number();
      v.texts[kT0] = g.random_text();
      v.texts[kT1] = g.random_text();
      const bool want = is_true(reference(*root, v.numbers + kX0, v.texts + kT0));
      ASSERT_EQ(e.evaluate(v.ctx()), want)
          << text << " with x0..x3 = " << v.numbers[kX0] << ", " << v.numbers[kX1] << ", " << v.numbers[kX2] << ", "
          << v.numbers[kX3] << " t0='" << v.texts[kT0] << "' t1='" << v.texts[kT1] << "'";
      ++compared;
    }
  }
  EXPECT_EQ(compared, 3000 * 16);
}

}  // namespace
}  // namespace pixguard
