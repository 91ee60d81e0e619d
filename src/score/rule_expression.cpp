#include "score/rule_expression.h"

#include <array>
#include <charconv>
#include <exception>
#include <limits>
#include <new>
#include <system_error>
#include <utility>

namespace pixguard {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A number as a condition: true when non-zero and not NaN (both comparisons are false
// for NaN), without a call to isnan on the hot path.
inline bool truthy(double v) { return v < 0 || v > 0; }

inline double from_bool(bool b) { return b ? 1.0 : 0.0; }

// Rule texts are short codes ("QRDN", "APP"): a byte loop after the length check avoids
// the call to memcmp that string_view's operator== makes.
inline bool same_text(std::string_view a, const std::string& b) {
  if (a.size() != b.size()) return false;
  const char* const x = a.data();
  const char* const y = b.data();
  for (size_t i = 0; i < a.size(); ++i) {
    if (x[i] != y[i]) return false;
  }
  return true;
}

// ASCII only on purpose: <cctype> depends on the C locale.
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || is_digit(c) || c == '.'; }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string quoted(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '\'';
  out += s;
  out += '\'';
  return out;
}

}  // namespace

// Parses with one token of lookahead and emits stack-machine code as it goes, so no syntax
// tree is built and a long "a + b + c + ..." chain does not recurse. Values of text type
// (text symbols and string literals) exist only at compile time: they are carried as
// pending operands and consumed by the comparison that uses them, which emits one
// kText* instruction; anything else that meets them is a type error.
class Expression::Compiler {
 public:
  Compiler(std::string_view text, const SymbolTable& symbols, Expression* out)
      : text_(text), symbols_(symbols), out_(out) {}

  // Compiles into *out_; on failure returns false and take_error() says why.
  bool run();
  Status take_error() { return std::move(error_); }

 private:
  enum class Tok : unsigned char {
    kEnd, kError, kNumber, kString, kName,
    kAnd, kOr, kNot, kIn, kTrue, kFalse,
    kLParen, kRParen, kComma, kPlus, kMinus, kStar, kSlash,
    kLt, kLe, kGt, kGe, kEq, kNe,
  };

  struct Token {
    Tok kind = Tok::kEnd;
    size_t pos = 0;         // byte offset in text_
    std::string_view text;  // source text of the token
    double number = 0;      // kNumber
    std::string str;        // kString, unescaped
  };

  enum class Type : unsigned char { kNumber, kBool, kText, kString };

  // The result of parsing a sub-expression. kNumber/kBool values have been emitted and sit
  // on top of the stack; kText/kString values are pending (nothing emitted yet).
  struct Operand {
    Type type = Type::kNumber;
    size_t pos = 0;         // offset of its first token, for error columns
    size_t end = 0;         // offset just past its last token
    uint32_t index = 0;     // kText: slot; kString: index into strings_
    size_t code_begin = 0;  // program size before its code, to fold single pushes
  };

  // Lexing.
  void advance();
  bool lex();
  bool lex_number(size_t i);
  bool lex_string(size_t i);

  // Parsing; each returns false once error_ is set.
  bool parse_or(Operand* out);
  bool parse_and(Operand* out);
  bool parse_not(Operand* out);
  bool parse_cmp(Operand* out);
  bool parse_in_list(const Operand& left, Operand* out);
  bool parse_sum(Operand* out);
  bool parse_product(Operand* out);
  bool parse_unary(Operand* out);
  bool parse_primary(Operand* out);

  bool require_number(const Operand& v);
  bool require_condition(const Operand& v);
  bool enter_nesting(size_t pos);

  void emit(Op op, uint32_t a = 0, uint32_t b = 0, uint32_t n = 0, double k = 0) {
    out_->program_.push_back(Instruction{op, a, b, n, k});
  }
  void emit_binary(Op stack_form, const Operand& right);
  bool finish();

  bool fail(size_t pos, std::string message);
  std::string describe(const Token& t) const;
  std::string describe(const Operand& v) const;
  std::string after() const;
  std::string found() const { return "found " + describe(cur_); }

  std::string_view text_;
  const SymbolTable& symbols_;
  Expression* out_;
  Token cur_;
  std::string_view prev_text_;  // the token before cur_, for "after '>'"
  size_t prev_end_ = 0;
  int nesting_ = 0;
  Status error_;
  bool failed_ = false;
};

bool Expression::Compiler::fail(size_t pos, std::string message) {
  // Only the first error is reported: later ones are usually its consequences.
  if (!failed_) {
    failed_ = true;
    error_ = Status::InvalidArgument("column " + std::to_string(pos + 1) + ": " + std::move(message));
  }
  return false;
}

std::string Expression::Compiler::describe(const Token& t) const {
  switch (t.kind) {
    case Tok::kEnd: return "end of expression";
    case Tok::kNumber: return "number " + quoted(t.text);
    case Tok::kString: return "string " + std::string(t.text);
    case Tok::kName: return "name " + quoted(t.text);
    default: return quoted(t.text);
  }
}

std::string Expression::Compiler::describe(const Operand& v) const {
  const std::string_view src = text_.substr(v.pos, v.end - v.pos);
  switch (v.type) {
    case Type::kNumber: return "number " + quoted(src);
    case Type::kBool: return "condition " + quoted(src);
    case Type::kText: return "text " + quoted(src);
    case Type::kString: return "string " + std::string(src);
  }
  return std::string(src);
}

std::string Expression::Compiler::after() const {
  return prev_text_.empty() ? std::string() : " after " + quoted(prev_text_);
}

// ---- Lexer -------------------------------------------------------------------------------

void Expression::Compiler::advance() {
  prev_text_ = cur_.text;
  prev_end_ = cur_.pos + cur_.text.size();
  if (!lex()) cur_.kind = Tok::kError;
}

bool Expression::Compiler::lex() {
  size_t i = prev_end_;
  while (i < text_.size() && is_space(text_[i])) ++i;
  cur_.pos = i;
  cur_.text = {};
  if (i == text_.size()) {
    cur_.kind = Tok::kEnd;
    return true;
  }
  const char c = text_[i];
  const char next = i + 1 < text_.size() ? text_[i + 1] : '\0';
  if (is_digit(c) || (c == '.' && is_digit(next))) return lex_number(i);
  if (c == '"' || c == '\'') return lex_string(i);
  if (is_name_start(c)) {
    size_t j = i;
    while (j < text_.size() && is_name_char(text_[j])) ++j;
    cur_.text = text_.substr(i, j - i);
    static constexpr std::pair<std::string_view, Tok> kKeywords[] = {
        {"and", Tok::kAnd}, {"or", Tok::kOr},     {"not", Tok::kNot},
        {"in", Tok::kIn},   {"true", Tok::kTrue}, {"false", Tok::kFalse},
    };
    cur_.kind = Tok::kName;
    for (const auto& [word, kind] : kKeywords) {
      if (cur_.text == word) cur_.kind = kind;
    }
    return true;
  }
  auto one = [&](Tok kind) {
    cur_.kind = kind;
    cur_.text = text_.substr(i, 1);
    return true;
  };
  auto two = [&](Tok kind) {
    cur_.kind = kind;
    cur_.text = text_.substr(i, 2);
    return true;
  };
  switch (c) {
    case '(': return one(Tok::kLParen);
    case ')': return one(Tok::kRParen);
    case ',': return one(Tok::kComma);
    case '+': return one(Tok::kPlus);
    case '-': return one(Tok::kMinus);
    case '*': return one(Tok::kStar);
    case '/': return one(Tok::kSlash);
    case '<': return next == '=' ? two(Tok::kLe) : one(Tok::kLt);
    case '>': return next == '=' ? two(Tok::kGe) : one(Tok::kGt);
    case '!': return next == '=' ? two(Tok::kNe) : one(Tok::kNot);
    case '=':
      if (next == '=') return two(Tok::kEq);
      return fail(i, "unexpected '='; use '==' to compare");
    case '&':
      if (next == '&') return two(Tok::kAnd);
      return fail(i, "unexpected '&'; use '&&' or 'and'");
    case '|':
      if (next == '|') return two(Tok::kOr);
      return fail(i, "unexpected '|'; use '||' or 'or'");
    default: break;
  }
  if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    const auto u = static_cast<unsigned char>(c);
    return fail(i, std::string("unexpected byte 0x") + kHex[u >> 4] + kHex[u & 15]);
  }
  return fail(i, "unexpected character " + quoted(text_.substr(i, 1)));
}

bool Expression::Compiler::lex_number(size_t i) {
  const size_t n = text_.size();
  size_t j = i;
  while (j < n && is_digit(text_[j])) ++j;
  if (j < n && text_[j] == '.') {
    ++j;
    while (j < n && is_digit(text_[j])) ++j;
  }
  if (j < n && (text_[j] == 'e' || text_[j] == 'E')) {
    size_t k = j + 1;
    if (k < n && (text_[k] == '+' || text_[k] == '-')) ++k;
    if (k < n && is_digit(text_[k])) {
      while (k < n && is_digit(text_[k])) ++k;
      j = k;
    }
  }
  // "5m", "1.2.3" or "1e": report the whole glued run so the message shows what was typed.
  if (j < n && is_name_char(text_[j])) {
    while (j < n && is_name_char(text_[j])) ++j;
    return fail(i, "malformed number " + quoted(text_.substr(i, j - i)));
  }
  cur_.kind = Tok::kNumber;
  cur_.text = text_.substr(i, j - i);
  // from_chars is locale-independent and exact (correctly rounded).
  const auto [ptr, ec] =
      std::from_chars(cur_.text.data(), cur_.text.data() + cur_.text.size(), cur_.number);
  if (ec == std::errc::result_out_of_range) return fail(i, "number " + quoted(cur_.text) + " is out of range");
  if (ec != std::errc() || ptr != cur_.text.data() + cur_.text.size()) {
    return fail(i, "malformed number " + quoted(cur_.text));
  }
  return true;
}

bool Expression::Compiler::lex_string(size_t i) {
  const char quote = text_[i];
  std::string value;
  size_t j = i + 1;
  while (j < text_.size() && text_[j] != quote) {
    if (text_[j] == '\\') {
      const char e = j + 1 < text_.size() ? text_[j + 1] : '\0';
      if (e != '\\' && e != '"' && e != '\'') {
        return fail(j, "unknown escape in string literal; only \\\\, \\\" and \\' are allowed");
      }
      value += e;
      j += 2;
      continue;
    }
    value += text_[j++];
  }
  if (j == text_.size()) return fail(i, "unterminated string literal");
  if (value.empty()) {
    return fail(i, "empty string literal never matches: an empty text counts as missing");
  }
  cur_.kind = Tok::kString;
  cur_.text = text_.substr(i, j + 1 - i);
  cur_.str = std::move(value);
  return true;
}

// ---- Parser --------------------------------------------------------------------------------

bool Expression::Compiler::enter_nesting(size_t pos) {
  if (++nesting_ > kMaxNesting) {
    return fail(pos, "expression nested too deeply (more than " + std::to_string(kMaxNesting) +
                         " levels of '(', 'not' or '-')");
  }
  return true;
}

bool Expression::Compiler::require_number(const Operand& v) {
  if (v.type == Type::kText || v.type == Type::kString) {
    return fail(v.pos, describe(v) + " cannot be used in arithmetic");
  }
  return true;
}

bool Expression::Compiler::require_condition(const Operand& v) {
  if (v.type == Type::kText) {
    return fail(v.pos, describe(v) + " is not a condition; compare it with ==, != or in");
  }
  if (v.type == Type::kString) return fail(v.pos, describe(v) + " is not a condition");
  return true;
}

void Expression::Compiler::emit_binary(Op stack_form, const Operand& right) {
  std::vector<Instruction>& program = out_->program_;
  const auto form = [stack_form](int offset) {
    return static_cast<Op>(static_cast<int>(stack_form) + offset);
  };
  // The right operand was a single push: take it from the instruction instead.
  if (program.size() == right.code_begin + 1) {
    const Instruction last = program.back();
    if (last.op == Op::kConst) {
      program.back() = Instruction{form(1), 0, 0, 0, last.k};
      return;
    }
    if (last.op == Op::kLoad) {
      program.back() = Instruction{form(2), last.a, 0, 0, 0};
      return;
    }
  }
  emit(stack_form);
}

bool Expression::Compiler::run() {
  out_->text_ = std::string(text_);
  advance();
  if (cur_.kind == Tok::kError) return false;
  if (cur_.kind == Tok::kEnd) return fail(0, "empty expression");
  Operand e;
  if (!parse_or(&e)) return false;
  switch (cur_.kind) {
    case Tok::kEnd: break;
    case Tok::kError: return false;
    case Tok::kRParen: return fail(cur_.pos, "unmatched ')'");
    case Tok::kLt: case Tok::kLe: case Tok::kGt: case Tok::kGe: case Tok::kEq: case Tok::kNe:
    case Tok::kIn:
      // parse_cmp takes at most one comparison, so this one follows another.
      return fail(cur_.pos, "unexpected " + quoted(cur_.text) +
                                ": comparisons do not chain; join them with 'and'");
    default:
      return fail(cur_.pos, "expected an operator or end of expression, " + found());
  }
  if (!require_condition(e)) return false;
  return finish();
}

bool Expression::Compiler::finish() {
  uint32_t depth = 0;
  uint32_t max_depth = 0;
  for (const Instruction& in : out_->program_) {
    switch (in.op) {
      case Op::kConst: case Op::kLoad: case Op::kTextEq: case Op::kTextNe: case Op::kTextIn:
        ++depth;
        break;
      case Op::kNeg: case Op::kNot: case Op::kNumIn:
        break;
      default:
        // Binary forms: S pops one more than it leaves; K and N replace the top in place.
        if ((static_cast<int>(in.op) - static_cast<int>(Op::kAddS)) % 3 == 0) --depth;
        break;
    }
    if (depth > max_depth) max_depth = depth;
  }
  if (max_depth > kMaxStack) {
    return fail(0, "expression too complex: it needs " + std::to_string(max_depth) +
                       " stack slots, the limit is " + std::to_string(kMaxStack));
  }
  out_->max_stack_ = max_depth;
  return true;
}

bool Expression::Compiler::parse_or(Operand* out) {
  Operand left;
  if (!parse_and(&left)) return false;
  while (cur_.kind == Tok::kOr) {
    if (!require_condition(left)) return false;
    advance();
    Operand right;
    if (!parse_and(&right) || !require_condition(right)) return false;
    emit_binary(Op::kOrS, right);
    left.type = Type::kBool;
    left.end = right.end;
  }
  *out = left;
  return true;
}

bool Expression::Compiler::parse_and(Operand* out) {
  Operand left;
  if (!parse_not(&left)) return false;
  while (cur_.kind == Tok::kAnd) {
    if (!require_condition(left)) return false;
    advance();
    Operand right;
    if (!parse_not(&right) || !require_condition(right)) return false;
    emit_binary(Op::kAndS, right);
    left.type = Type::kBool;
    left.end = right.end;
  }
  *out = left;
  return true;
}

bool Expression::Compiler::parse_not(Operand* out) {
  if (cur_.kind != Tok::kNot) return parse_cmp(out);
  const size_t pos = cur_.pos;
  const size_t code_begin = out_->program_.size();
  if (!enter_nesting(pos)) return false;
  advance();
  Operand inner;
  if (!parse_not(&inner) || !require_condition(inner)) return false;
  --nesting_;
  emit(Op::kNot);
  *out = Operand{Type::kBool, pos, inner.end, 0, code_begin};
  return true;
}

bool Expression::Compiler::parse_cmp(Operand* out) {
  Operand left;
  if (!parse_sum(&left)) return false;
  Op op;
  switch (cur_.kind) {
    case Tok::kLt: op = Op::kLtS; break;
    case Tok::kLe: op = Op::kLeS; break;
    case Tok::kGt: op = Op::kGtS; break;
    case Tok::kGe: op = Op::kGeS; break;
    case Tok::kEq: op = Op::kEqS; break;
    case Tok::kNe: op = Op::kNeS; break;
    case Tok::kIn: return parse_in_list(left, out);
    default:
      *out = left;
      return true;
  }
  const bool equality = op == Op::kEqS || op == Op::kNeS;
  const std::string op_text = quoted(cur_.text);
  if (left.type == Type::kText && !equality) {
    return fail(cur_.pos, describe(left) + " compares only with '==', '!=' or 'in', found " + op_text);
  }
  if (left.type == Type::kString && !equality) {
    return fail(cur_.pos, describe(left) + " compares only with '==' or '!=', found " + op_text);
  }
  advance();
  Operand right;
  if (!parse_sum(&right)) return false;
  const bool left_text = left.type == Type::kText || left.type == Type::kString;
  const bool right_text = right.type == Type::kText || right.type == Type::kString;
  if (!left_text) {
    if (right_text) {
      return fail(right.pos, "expected a number after " + op_text + ", found " + describe(right) +
                                 " (text compares only with string literals)");
    }
    emit_binary(op, right);
  } else {
    // One side must be a text symbol and the other a string literal, in either order.
    const Operand& symbol = left.type == Type::kText ? left : right;
    const Operand& literal = left.type == Type::kText ? right : left;
    if (right.type == left.type || !right_text) {
      const char* want = left.type == Type::kText ? "a string literal" : "a text name";
      return fail(right.pos, std::string("expected ") + want + " after " + op_text +
                                 " to compare with " + describe(left) + ", found " + describe(right));
    }
    emit(op == Op::kEqS ? Op::kTextEq : Op::kTextNe, symbol.index, literal.index);
  }
  *out = Operand{Type::kBool, left.pos, right.end, 0, left.code_begin};
  return true;
}

bool Expression::Compiler::parse_in_list(const Operand& left, Operand* out) {
  if (left.type == Type::kString) {
    return fail(left.pos, "expected a number or a text name before 'in', found " + describe(left));
  }
  const bool text = left.type == Type::kText;
  advance();
  if (cur_.kind != Tok::kLParen) {
    if (cur_.kind == Tok::kError) return false;
    return fail(cur_.pos, "expected '(' after 'in', " + found());
  }
  const size_t open = cur_.pos;
  const auto first_string = static_cast<uint32_t>(out_->strings_.size());
  const auto first_value = static_cast<uint32_t>(out_->in_values_.size());
  uint32_t count = 0;
  for (;;) {
    advance();
    if (text) {
      if (cur_.kind != Tok::kString) {
        if (cur_.kind == Tok::kError) return false;
        return fail(cur_.pos, "expected a string literal in the list for " + describe(left) + ", " + found());
      }
      out_->strings_.push_back(std::move(cur_.str));
    } else {
      double sign = 1;
      if (cur_.kind == Tok::kMinus) {
        sign = -1;
        advance();
      }
      double value;
      if (cur_.kind == Tok::kNumber) {
        value = cur_.number;
      } else if (sign > 0 && (cur_.kind == Tok::kTrue || cur_.kind == Tok::kFalse)) {
        value = from_bool(cur_.kind == Tok::kTrue);
      } else {
        if (cur_.kind == Tok::kError) return false;
        return fail(cur_.pos, "expected a number in the list" + after() + ", " + found());
      }
      out_->in_values_.push_back(sign * value);
    }
    ++count;
    advance();
    if (cur_.kind == Tok::kComma) continue;
    if (cur_.kind == Tok::kRParen) break;
    if (cur_.kind == Tok::kError) return false;
    return fail(cur_.pos, "expected ',' or ')' in the list opened at column " + std::to_string(open + 1) +
                              ", " + found());
  }
  const size_t end = cur_.pos + 1;
  advance();
  if (text) {
    emit(Op::kTextIn, left.index, first_string, count);
  } else {
    emit(Op::kNumIn, first_value, 0, count);
  }
  *out = Operand{Type::kBool, left.pos, end, 0, left.code_begin};
  return true;
}

bool Expression::Compiler::parse_sum(Operand* out) {
  Operand left;
  if (!parse_product(&left)) return false;
  while (cur_.kind == Tok::kPlus || cur_.kind == Tok::kMinus) {
    const Op op = cur_.kind == Tok::kPlus ? Op::kAddS : Op::kSubS;
    if (!require_number(left)) return false;
    advance();
    Operand right;
    if (!parse_product(&right) || !require_number(right)) return false;
    emit_binary(op, right);
    left.type = Type::kNumber;
    left.end = right.end;
  }
  *out = left;
  return true;
}

bool Expression::Compiler::parse_product(Operand* out) {
  Operand left;
  if (!parse_unary(&left)) return false;
  while (cur_.kind == Tok::kStar || cur_.kind == Tok::kSlash) {
    const Op op = cur_.kind == Tok::kStar ? Op::kMulS : Op::kDivS;
    if (!require_number(left)) return false;
    advance();
    Operand right;
    if (!parse_unary(&right) || !require_number(right)) return false;
    emit_binary(op, right);
    left.type = Type::kNumber;
    left.end = right.end;
  }
  *out = left;
  return true;
}

bool Expression::Compiler::parse_unary(Operand* out) {
  if (cur_.kind != Tok::kMinus) return parse_primary(out);
  const size_t pos = cur_.pos;
  const size_t code_begin = out_->program_.size();
  if (!enter_nesting(pos)) return false;
  advance();
  Operand inner;
  if (!parse_unary(&inner) || !require_number(inner)) return false;
  --nesting_;
  std::vector<Instruction>& program = out_->program_;
  if (program.size() == code_begin + 1 && program.back().op == Op::kConst) {
    program.back().k = -program.back().k;  // "-5" is a constant, foldable into its operator
  } else {
    emit(Op::kNeg);
  }
  *out = Operand{Type::kNumber, pos, inner.end, 0, code_begin};
  return true;
}

bool Expression::Compiler::parse_primary(Operand* out) {
  const Token& t = cur_;
  const size_t code_begin = out_->program_.size();
  const size_t end = t.pos + t.text.size();
  switch (t.kind) {
    case Tok::kNumber:
      emit(Op::kConst, 0, 0, 0, t.number);
      *out = Operand{Type::kNumber, t.pos, end, 0, code_begin};
      break;
    case Tok::kTrue:
    case Tok::kFalse:
      emit(Op::kConst, 0, 0, 0, from_bool(t.kind == Tok::kTrue));
      *out = Operand{Type::kBool, t.pos, end, 0, code_begin};
      break;
    case Tok::kString: {
      const auto index = static_cast<uint32_t>(out_->strings_.size());
      out_->strings_.push_back(t.str);
      *out = Operand{Type::kString, t.pos, end, index, code_begin};
      break;
    }
    case Tok::kName: {
      const std::optional<Symbol> symbol = symbols_(t.text);
      if (!symbol) return fail(t.pos, "unknown name " + quoted(t.text));
      std::vector<std::string>& names = out_->names_;
      bool seen = false;
      for (const std::string& name : names) seen = seen || name == t.text;
      if (!seen) names.emplace_back(t.text);
      if (symbol->kind == SymbolKind::kNumber) {
        emit(Op::kLoad, symbol->slot);
        *out = Operand{Type::kNumber, t.pos, end, 0, code_begin};
      } else {
        *out = Operand{Type::kText, t.pos, end, symbol->slot, code_begin};
      }
      break;
    }
    case Tok::kLParen: {
      const size_t open = t.pos;
      if (!enter_nesting(open)) return false;
      advance();
      Operand inner;
      if (!parse_or(&inner)) return false;
      if (cur_.kind != Tok::kRParen) {
        if (cur_.kind == Tok::kError) return false;
        return fail(cur_.pos, "expected ')' to close '(' at column " + std::to_string(open + 1) + ", " + found());
      }
      --nesting_;
      // Keep the inner type: a parenthesized text symbol is still pending, so
      // "(initiation) == 'QRDN'" works; pos covers the parentheses for messages.
      *out = inner;
      out->pos = open;
      out->end = cur_.pos + 1;
      break;
    }
    case Tok::kError:
      return false;
    default:
      return fail(t.pos, "expected a value" + after() + ", " + found());
  }
  advance();
  return true;
}

// ---- Public API ------------------------------------------------------------------------------

Status Expression::compile(std::string_view text, const SymbolTable& symbols, Expression* out) {
  if (!symbols) return Status::InvalidArgument("rule expression compiled without a symbol table");
  try {
    Expression compiled;
    Compiler compiler(text, symbols, &compiled);
    if (!compiler.run()) return compiler.take_error();
    *out = std::move(compiled);
    return Status::Ok();
  } catch (const std::bad_alloc&) {
    return Status::InvalidArgument("out of memory");
  } catch (const std::exception& e) {
    // Only the caller's SymbolTable can throw anything else; keep the no-throw contract.
    return Status::InvalidArgument(std::string("symbol table failed: ") + e.what());
  } catch (...) {
    return Status::InvalidArgument("symbol table failed");
  }
}

bool Expression::evaluate(const EvalContext& ctx) const {
  if (program_.empty()) return false;
  // compile() proved max_stack_ <= kMaxStack, so this fixed array never overflows; it is
  // deliberately left uninitialized (every slot is written before it is read).
  std::array<double, kMaxStack> stack;
  double* sp = stack.data();  // one past the top
  const double* const numbers = ctx.numbers;

#define PIXGUARD_BINARY(NAME, EXPR)                     \
  case Op::k##NAME##S: {                                \
    const double b = *--sp;                             \
    const double a = sp[-1];                            \
    sp[-1] = (EXPR);                                    \
    break;                                              \
  }                                                     \
  case Op::k##NAME##K: {                                \
    const double b = in.k;                              \
    const double a = sp[-1];                            \
    sp[-1] = (EXPR);                                    \
    break;                                              \
  }                                                     \
  case Op::k##NAME##N: {                                \
    const double b = numbers[in.a];                     \
    const double a = sp[-1];                            \
    sp[-1] = (EXPR);                                    \
    break;                                              \
  }

  for (const Instruction& in : program_) {
    switch (in.op) {
      case Op::kConst: *sp++ = in.k; break;
      case Op::kLoad: *sp++ = numbers[in.a]; break;
      case Op::kNeg: sp[-1] = -sp[-1]; break;
      case Op::kNot: sp[-1] = from_bool(!truthy(sp[-1])); break;
      case Op::kNumIn: {
        const double v = sp[-1];
        bool hit = false;
        for (uint32_t i = 0; i < in.n; ++i) hit |= v == in_values_[in.a + i];
        sp[-1] = from_bool(hit);
        break;
      }
      // String literals are never empty (compile() rejects ''), so an empty text fails
      // == and in without a check of its own; != needs one.
      case Op::kTextEq: *sp++ = from_bool(same_text(ctx.texts[in.a], strings_[in.b])); break;
      case Op::kTextNe: {
        const std::string_view t = ctx.texts[in.a];
        *sp++ = from_bool(!t.empty() && !same_text(t, strings_[in.b]));
        break;
      }
      case Op::kTextIn: {
        const std::string_view t = ctx.texts[in.a];
        bool hit = false;
        for (uint32_t i = 0; i < in.n && !hit; ++i) hit = same_text(t, strings_[in.b + i]);
        *sp++ = from_bool(hit);
        break;
      }
      PIXGUARD_BINARY(Add, a + b)
      PIXGUARD_BINARY(Sub, a - b)
      PIXGUARD_BINARY(Mul, a * b)
      // IEEE would give +-inf for x/0; a zero denominator means "no data", so NaN.
      PIXGUARD_BINARY(Div, b == 0 ? kNaN : a / b)
      PIXGUARD_BINARY(Lt, from_bool(a < b))
      PIXGUARD_BINARY(Le, from_bool(a <= b))
      PIXGUARD_BINARY(Gt, from_bool(a > b))
      PIXGUARD_BINARY(Ge, from_bool(a >= b))
      PIXGUARD_BINARY(Eq, from_bool(a == b))
      // a < b || a > b is "differs and neither is NaN", unlike IEEE's a != b.
      PIXGUARD_BINARY(Ne, from_bool(a < b || a > b))
      PIXGUARD_BINARY(And, from_bool(truthy(a) && truthy(b)))
      PIXGUARD_BINARY(Or, from_bool(truthy(a) || truthy(b)))
    }
  }
#undef PIXGUARD_BINARY
  return truthy(sp[-1]);
}

}  // namespace pixguard
