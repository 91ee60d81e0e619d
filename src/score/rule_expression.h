#pragma once
// Rule expressions: boolean formulas over features and transaction fields, written in the
// config ("payer.count_5m > 5 and amount >= 1000"). Compiled once at start into a flat
// program; evaluated per transaction without allocation.
//
// Grammar (case-sensitive keywords, also && || !):
//   expr    := or
//   or      := and ("or" and)*
//   and     := not ("and" not)*
//   not     := "not" not | cmp
//   cmp     := sum (("<"|"<="|">"|">="|"=="|"!=") sum)? | sum "in" "(" literal ("," literal)* ")"
//   sum     := product (("+"|"-") product)*
//   product := unary (("*"|"/") unary)*
//   unary   := "-" unary | primary
//   primary := number | "string" | 'string' | true | false | name | "(" expr ")"
//   literal := "-"? number | true | false | "string" | 'string'
//   name    := [A-Za-z_][A-Za-z0-9_.]*   (resolved through the SymbolTable)
// Numbers are doubles; a missing value is NaN and every comparison with NaN is false
// (so "not (x > 5)" is true when x is missing). A boolean used as a number is 0 or 1; a
// number used as a condition is true when non-zero and not NaN. Text symbols compare only
// with == / != / in against string literals. Type errors are compile errors.
//
// Details a rule author can rely on:
// - "!=" is false when either side is missing, like every other comparison: "x != 5" means
//   "x is known and differs from 5", so a missing feature never fires a rule by itself.
//   To test for a missing number write "not (x == x)".
// - Division by zero (including 0/0) gives NaN, i.e. a missing value: "1 / 0 > 0" is false.
// - "in" is true when the value equals one of the literals; false when the value is missing.
// - "!" is a synonym of "not" and binds like it, looser than comparisons:
//   "!x > 5" means "not (x > 5)", unlike C.
// - Comparisons do not chain ("1 < x < 5" is a compile error; write "1 < x and x < 5").
// - An empty text counts as missing: "t == 'A'", "t != 'A'" and "t in ('A')" are all false
//   when t is empty. An empty string literal ('') could never match, so it is a compile error.
// - Numbers: digits with an optional fraction and exponent ("5", "2.5", ".5", "1e3",
//   "1.5E-2"); a number glued to letters ("5m") or dots ("1.2.3") is an error.
// - String literals may escape their own quote and the backslash ('O\'Hara', "a\\b").
// - "and"/"or" evaluate both sides (no short-circuit); nothing has side effects, so the
//   result is the same.
//
// Threading: a compiled Expression is immutable; evaluate() may run on many threads.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace pixguard {

enum class SymbolKind : unsigned char { kNumber, kText };

struct Symbol {
  SymbolKind kind;
  uint32_t slot;  // index into EvalContext::numbers or EvalContext::texts
};

// Resolves a name to a slot; returns nullopt for an unknown name (a compile error that
// lists the closest known names is the caller's choice; compile() reports the name).
using SymbolTable = std::function<std::optional<Symbol>(std::string_view name)>;

// Inputs of one evaluation. `numbers` must have an element for every number slot and
// `texts` for every text slot the SymbolTable returned while compiling; missing numbers
// are NaN, missing texts are empty. Neither array is copied or retained.
struct EvalContext {
  const double* numbers = nullptr;
  const std::string_view* texts = nullptr;
};

class Expression {
 public:
  // Evaluation stack limit (doubles, kept on the C++ stack of evaluate()) and the limit on
  // nesting of "(", "not" and unary "-", which bounds the parser's recursion. Real rules use
  // a handful of each; compile() rejects expressions that exceed either.
  static constexpr uint32_t kMaxStack = 64;
  static constexpr int kMaxNesting = 32;

  // Compiles `text`. On error returns InvalidArgument with the 1-based column and what was
  // expected, e.g. "column 17: expected a value after '>'" or "column 1: unknown name 'payr.count_5m'".
  // The column counts bytes from the start of `text`. On error `*out` is unchanged.
  // Never throws: an exception from `symbols` becomes an InvalidArgument status.
  static Status compile(std::string_view text, const SymbolTable& symbols, Expression* out);

  // True when the expression holds for `ctx`. No allocation, no locks, no virtual calls.
  // A default-constructed (never compiled) Expression evaluates to false.
  bool evaluate(const EvalContext& ctx) const;

  // Names the expression reads, in order of first use (for docs, and to request features).
  const std::vector<std::string>& names() const { return names_; }
  const std::string& text() const { return text_; }

 private:
  class Compiler;  // the recursive-descent parser and code generator (rule_expression.cpp)

  // Stack-machine opcodes. Binary operators come in three consecutive forms that differ
  // only in where the right operand comes from: popped from the stack (S), the constant
  // Instruction::k (K), or the number slot Instruction::a (N). Folding a constant or a
  // feature load into the operator halves the instructions of typical rules
  // ("payer.count_5m > 5" is Load + GtK). Keep each S/K/N triple consecutive.
  enum class Op : uint8_t {
    kConst,   // push k
    kLoad,    // push numbers[a]
    kNeg,     // top = -top
    kNot,     // top = top is a true condition ? 0 : 1
    kNumIn,   // top = top equals one of in_values_[a .. a+n) ? 1 : 0
    kTextEq,  // push texts[a] == strings_[b] ? 1 : 0 (0 when the text is empty)
    kTextNe,  // push texts[a] != strings_[b] ? 1 : 0 (0 when the text is empty)
    kTextIn,  // push texts[a] is one of strings_[b .. b+n) ? 1 : 0 (0 when empty)
    kAddS, kAddK, kAddN,
    kSubS, kSubK, kSubN,
    kMulS, kMulK, kMulN,
    kDivS, kDivK, kDivN,
    kLtS, kLtK, kLtN,
    kLeS, kLeK, kLeN,
    kGtS, kGtK, kGtN,
    kGeS, kGeK, kGeN,
    kEqS, kEqK, kEqN,
    kNeS, kNeK, kNeN,
    kAndS, kAndK, kAndN,
    kOrS, kOrK, kOrN,
  };

  struct Instruction {
    Op op = Op::kConst;
    uint32_t a = 0;  // number/text slot, or first index into in_values_
    uint32_t b = 0;  // first index into strings_
    uint32_t n = 0;  // list length of kNumIn / kTextIn
    double k = 0;    // constant operand
  };

  std::vector<Instruction> program_;
  std::vector<std::string> strings_;  // string literals
  std::vector<double> in_values_;     // numeric literals of "in" lists
  std::vector<std::string> names_;
  std::string text_;
  uint32_t max_stack_ = 0;  // deepest stack the program reaches; <= kMaxStack
};

}  // namespace pixguard
