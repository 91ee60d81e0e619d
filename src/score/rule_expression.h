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
//   name    := [A-Za-z_][A-Za-z0-9_.]*   (resolved through the SymbolTable)
// Numbers are doubles; a missing value is NaN and every comparison with NaN is false
// (so "not (x > 5)" is true when x is missing). A boolean used as a number is 0 or 1; a
// number used as a condition is true when non-zero and not NaN. Text symbols compare only
// with == / != / in against string literals. Type errors are compile errors.
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

struct EvalContext {
  const double* numbers = nullptr;
  const std::string_view* texts = nullptr;
};

class Expression {
 public:
  // Compiles `text`. On error returns InvalidArgument with the 1-based column and what was
  // expected, e.g. "column 17: expected a value after '>'" or "column 1: unknown name 'payr.count_5m'".
  static Status compile(std::string_view text, const SymbolTable& symbols, Expression* out);

  bool evaluate(const EvalContext& ctx) const;

  // Names the expression reads, in order of first use (for docs, and to request features).
  const std::vector<std::string>& names() const { return names_; }
  const std::string& text() const { return text_; }

 private:
  struct Instruction;
  std::vector<Instruction> program_;
  std::vector<std::string> strings_;  // string literals
  std::vector<std::string> names_;
  std::string text_;
  uint32_t max_stack_ = 0;
};

}  // namespace pixguard
