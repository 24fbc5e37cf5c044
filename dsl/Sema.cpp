//===- Sema.cpp - Semantic analysis of .attn specs ------------------------===//
//
// One SpecAnalyzer per `attention` block. It works in three steps:
//   1. collect declarations: kernel inputs, property names, duplicates;
//   2. resolve the shape (heads, kv_heads, head_dim, value_dim) in source
//      order, since every later check and constant expression depends on it;
//   3. resolve every other property in a fixed order, filling in defaults.
// Errors are reported and analysis continues with the next property, so one
// run shows all independent mistakes of a spec.
//
//===----------------------------------------------------------------------===//

#include "dsl/Sema.h"
#include "dsl/AST.h"
#include "dsl/Diagnostics.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <map>

using namespace attnc;
using llvm::SMLoc;
using llvm::StringRef;
using llvm::Twine;

//===----------------------------------------------------------------------===//
// Shared helpers
//===----------------------------------------------------------------------===//

std::string attnc::didYouMean(StringRef name,
                              llvm::ArrayRef<StringRef> candidates) {
  // Allow roughly one edit per three characters (`casual` -> `causal` is a
  // transposition, two edits).
  unsigned limit = std::max<unsigned>(1, (name.size() + 2) / 3);
  StringRef best;
  unsigned bestDist = limit + 1;
  for (StringRef c : candidates) {
    unsigned d = name.edit_distance(c, /*AllowReplacements=*/true, limit);
    if (d < bestDist) {
      bestDist = d;
      best = c;
    }
  }
  if (best.empty() || best == name)
    return "";
  return ("; did you mean '" + best + "'?").str();
}

std::vector<double> attnc::alibiSlopes(int64_t heads, double maxBias) {
  std::vector<double> slopes;
  if (heads <= 0)
    return slopes;
  slopes.reserve(heads);
  // The largest power of two not above `heads`: its slopes come first, then
  // every other slope of the sequence for twice as many heads (the ones
  // that fall between the first ones).
  int64_t n = 1;
  while (n * 2 <= heads)
    n *= 2;
  for (int64_t h = 0; h < n; ++h)
    slopes.push_back(std::exp2(-maxBias * double(h + 1) / double(n)));
  for (int64_t j = 0; (int64_t)slopes.size() < heads; ++j)
    slopes.push_back(std::exp2(-maxBias * double(2 * j + 1) / double(2 * n)));
  return slopes;
}

namespace {

/// A folded constant: integers stay exact, anything involving a float is a
/// double (C promotion rules).
struct Value {
  bool isInt = true;
  int64_t i = 0;
  double f = 0;
  double asFloat() const { return isInt ? double(i) : f; }
  static Value ofInt(int64_t v) { return Value{true, v, 0}; }
  static Value ofFloat(double v) { return Value{false, 0, v}; }
};

std::string describe(const ast::Expr &e) {
  switch (e.kind) {
  case ast::ExprKind::Int: return "an integer";
  case ast::ExprKind::Float: return "a float";
  case ast::ExprKind::String: return "a string";
  case ast::ExprKind::Bool: return "a boolean";
  case ast::ExprKind::List: return "a list";
  case ast::ExprKind::Ident: return "'" + e.name + "'";
  case ast::ExprKind::Call: return "'" + e.name + "(...)'";
  case ast::ExprKind::Index: return "an indexed value";
  case ast::ExprKind::Unary:
  case ast::ExprKind::Binary:
    return std::string("an expression with '") + ast::opSpelling(e.op) + "'";
  case ast::ExprKind::Ternary: return "a conditional expression";
  }
  return "an expression";
}

const char *typeName(ExprType t) {
  switch (t) {
  case ExprType::Int: return "an integer";
  case ExprType::Float: return "a float";
  case ExprType::Bool: return "a boolean";
  }
  return "?";
}

/// "a", "a or b", "one of a, b, c".
std::string joinChoices(llvm::ArrayRef<StringRef> choices) {
  std::string s = choices.size() > 2 ? "one of " : "";
  if (choices.size() > 2) {
    for (size_t i = 0; i < choices.size(); ++i)
      s += (i ? ", " : "") + choices[i].str();
    return s;
  }
  for (size_t i = 0; i < choices.size(); ++i) {
    if (i)
      s += i + 1 == choices.size() ? " or " : ", ";
    s += choices[i].str();
  }
  return s;
}

/// The arguments of one call, bound to its parameter list.
struct Bound {
  std::string fn;           // "rope", for messages as "rope()"
  SMLoc loc;                // the call
  std::vector<StringRef> params;
  std::vector<const ast::Expr *> values; // parallel to params; null = absent
  std::vector<SMLoc> locs;               // where each was given

  const ast::Expr *get(StringRef name) const {
    for (size_t i = 0; i < params.size(); ++i)
      if (params[i] == name)
        return values[i];
    return nullptr;
  }
  /// Where the value of `name` starts: range errors point at the value.
  SMLoc valueLoc(StringRef name) const {
    for (size_t i = 0; i < params.size(); ++i)
      if (params[i] == name && values[i])
        return values[i]->startLoc();
    return loc;
  }
  /// Where `name` was given (its name, or the positional value).
  SMLoc locOf(StringRef name) const {
    for (size_t i = 0; i < params.size(); ++i)
      if (params[i] == name && values[i])
        return locs[i];
    return loc;
  }
  std::string what(StringRef name) const {
    return ("'" + name + "' of " + fn + "()").str();
  }
};

const StringRef kPropertyNames[] = {
    "heads",     "kv_heads", "head_dim", "value_dim", "dtype",
    "q_dtype",   "k_dtype",  "v_dtype",  "out_dtype", "accum",
    "scale",     "lse",      "position", "mask",      "score",
    "normalizer", "tile",    "blocks",   "cache"};

const StringRef kShapeNames[] = {"heads", "kv_heads", "head_dim", "value_dim"};
const StringRef kVarNames[] = {"batch", "head",  "kv_head", "q_pos",
                               "k_pos", "q_len", "k_len",   "score"};
const StringRef kDimSymbols[] = {"heads", "kv_heads", "batch", "tokens",
                                 "buckets"};
const StringRef kDTypeNames[] = {"f32", "f16", "bf16", "i32",
                                 "i64", "i8",  "u8"};
const StringRef kFloatDTypes[] = {"f32", "f16", "bf16"};
const StringRef kMaskAtoms[] = {"full",     "causal",    "window",
                                "sinks",    "dilated",   "global",
                                "document", "prefix_lm", "chunked",
                                "predicate"};
const StringRef kFunctions[] = {"tanh",  "exp", "log",    "sqrt",
                                "abs",   "min", "max",    "floor",
                                "ceil",  "pow", "select", "where",
                                "softcap"};
const StringRef kConstFunctions[] = {"sqrt", "log",   "exp",  "min", "max",
                                     "abs",  "floor", "ceil", "pow"};

std::optional<DType> parseDType(StringRef s) {
  return llvm::StringSwitch<std::optional<DType>>(s)
      .Case("f32", DType::F32)
      .Case("f16", DType::F16)
      .Case("bf16", DType::BF16)
      .Case("i32", DType::I32)
      .Case("i64", DType::I64)
      .Case("i8", DType::I8)
      .Case("u8", DType::U8)
      .Default(std::nullopt);
}

bool isFloatDType(DType t) {
  return t == DType::F32 || t == DType::F16 || t == DType::BF16;
}

//===----------------------------------------------------------------------===//
// SpecAnalyzer
//===----------------------------------------------------------------------===//

class SpecAnalyzer {
public:
  SpecAnalyzer(DiagnosticEngine &diag, const ast::Attention &attn)
      : diag(diag), attn(attn) {}

  std::optional<Spec> run();

private:
  bool err(SMLoc loc, const Twine &msg) {
    failed = true;
    return diag.error(loc, msg);
  }
  SourceLoc srcLoc(SMLoc loc) const { return diag.toSourceLoc(loc); }

  // Step 1: declarations.
  void collectInputs();
  void collectAssignments();
  // Step 2: shape.
  bool resolveShape();
  // Step 3: everything else.
  void resolveTypes();
  void resolveScale();
  void resolveLse();
  void resolvePosition();
  bool resolveRope(const Bound &b);
  bool resolveScaling(const ast::Expr &e);
  bool resolveRemap(const ast::Expr &e);
  bool resolveAlibi(const Bound &b);
  bool resolveT5(const Bound &b);
  void resolveNormalizer();
  void resolveTile();
  void resolveBlocks();
  void resolveCache();
  bool resolveQuant(const ast::Expr &e);
  void resolveMasksAndScores();
  void checkInputsUsed();

  // Constants.
  std::optional<Value> evalConst(const ast::Expr &e);
  std::optional<Value> evalConstCall(const ast::Expr &e);
  bool checkFinite(const ast::Expr &e, double v);
  std::optional<int64_t> evalInt(const ast::Expr &e, const Twine &what);
  std::optional<double> evalFloat(const ast::Expr &e, const Twine &what);
  std::optional<bool> evalBool(const ast::Expr &e, const Twine &what);
  std::optional<StringRef> evalChoice(const ast::Expr &e, const Twine &what,
                                      llvm::ArrayRef<StringRef> choices);
  std::optional<std::vector<double>> evalFloatList(const ast::Expr &e,
                                                   const Twine &what);
  /// Range checks that report "'what' (value) must be ...".
  bool checkMin(int64_t v, int64_t min, SMLoc loc, StringRef what);
  bool checkPositive(double v, SMLoc loc, StringRef what);

  // Calls.
  std::optional<Bound> bind(const ast::Expr &e,
                            llvm::ArrayRef<StringRef> params,
                            unsigned maxPositional);
  bool require(const Bound &b, StringRef name);
  std::optional<int64_t> argInt(const Bound &b, StringRef name,
                                int64_t dflt, int64_t min);
  std::optional<double> argFloat(const Bound &b, StringRef name, double dflt);
  /// The name of a form `name` or `name(...)`, or an error naming `kind`.
  std::optional<StringRef> formName(const ast::Expr &e, StringRef kind,
                                    StringRef property,
                                    llvm::ArrayRef<StringRef> choices);

  // Kernel inputs.
  const ast::InputDecl *useInput(StringRef name, SMLoc loc);
  bool checkInputShape(const ast::InputDecl &in, SMLoc useLoc, StringRef role,
                       DType dtype, llvm::ArrayRef<StringRef> dims,
                       llvm::ArrayRef<int64_t> dimValues);
  std::optional<std::string> argInput(const Bound &b, StringRef name);

  // Masks and typed expressions.
  MaskPtr lowerMask(const ast::Expr &e);
  MaskPtr lowerMaskAtom(const ast::Expr &e);
  ExprPtr lowerExpr(const ast::Expr &e, bool inScore);
  ExprPtr lowerCall(const ast::Expr &e, bool inScore);
  ExprPtr lowerIndex(const ast::Expr &e, bool inScore);
  ExprPtr makeExpr(ExprKind kind, ExprType type, SMLoc loc);
  ExprPtr promote(ExprPtr e, ExprType to);
  ExprPtr makeBinary(ExprOp op, ExprPtr a, ExprPtr b, SMLoc loc);

  DiagnosticEngine &diag;
  const ast::Attention &attn;
  Spec spec;
  bool failed = false;

  // Shape properties known so far (for constant expressions).
  llvm::StringMap<int64_t> consts;
  llvm::StringMap<const ast::InputDecl *> inputs;
  llvm::StringSet<> usedInputs;
  llvm::StringMap<const ast::Assignment *> props; // unranged, first wins
  std::vector<const ast::Assignment *> rangedMasks, rangedScores;
  const ast::Assignment *positionAssign = nullptr;
};

//===----------------------------------------------------------------------===//
// Step 1: declarations
//===----------------------------------------------------------------------===//

void SpecAnalyzer::collectInputs() {
  for (const ast::Statement &s : attn.statements) {
    if (s.kind != ast::Statement::Input)
      continue;
    const ast::InputDecl &in = s.input;
    auto inserted = inputs.try_emplace(in.name, &in);
    if (!inserted.second) {
      err(in.nameLoc, "kernel input '" + in.name + "' is already declared");
      diag.note(inserted.first->second->nameLoc, "previous declaration is here");
      continue;
    }
    // A built-in variable or shape constant of the same name would make
    // expressions ambiguous.
    if (llvm::is_contained(kVarNames, StringRef(in.name)) ||
        llvm::is_contained(kShapeNames, StringRef(in.name)))
      err(in.nameLoc,
          "kernel input '" + in.name + "' shadows a built-in name");
    KernelInput ki;
    ki.name = in.name;
    ki.loc = srcLoc(in.nameLoc);
    if (auto t = parseDType(in.dtype)) {
      ki.dtype = *t;
    } else {
      std::string hint = didYouMean(in.dtype, kDTypeNames);
      if (hint.empty())
        hint = " (expected " + joinChoices(kDTypeNames) + ")";
      err(in.dtypeLoc, "unknown element type '" + in.dtype + "'" + hint);
    }
    if (in.dims.size() > 2)
      err(in.dims[2].loc, "kernel input '" + in.name +
                              "' has more than 2 dimensions");
    for (const ast::InputDim &d : in.dims) {
      if (d.isInt) {
        if (d.value < 1)
          err(d.loc, "dimension (" + Twine(d.value) + ") must be >= 1");
      } else if (!llvm::is_contained(kDimSymbols, StringRef(d.text))) {
        std::string hint = didYouMean(d.text, kDimSymbols);
        if (hint.empty())
          hint = " (expected " + joinChoices(kDimSymbols) + " or an integer)";
        err(d.loc, "unknown dimension '" + d.text + "'" + hint);
      }
      ki.dims.push_back(d.text);
    }
    spec.inputs.push_back(std::move(ki));
  }
}

void SpecAnalyzer::collectAssignments() {
  for (const ast::Statement &s : attn.statements) {
    if (s.kind != ast::Statement::Assign)
      continue;
    const ast::Assignment &as = s.assignment;
    if (!llvm::is_contained(kPropertyNames, StringRef(as.name))) {
      err(as.nameLoc, "unknown property '" + as.name + "'" +
                          didYouMean(as.name, kPropertyNames));
      continue;
    }
    bool rangeable = as.name == "mask" || as.name == "score";
    if (as.rangeBegin) {
      if (!rangeable) {
        err(as.rangeLoc, "property '" + as.name +
                             "' cannot take a head range (only mask and "
                             "score can)");
        continue;
      }
      (as.name == "mask" ? rangedMasks : rangedScores).push_back(&as);
      continue; // duplicates are overlaps, checked once heads is known
    }
    auto inserted = props.try_emplace(as.name, &as);
    if (!inserted.second) {
      err(as.nameLoc, "property '" + as.name + "' is already set");
      diag.note(inserted.first->second->nameLoc, "previous assignment is here");
    }
  }
}

//===----------------------------------------------------------------------===//
// Constant expressions
//===----------------------------------------------------------------------===//

bool SpecAnalyzer::checkFinite(const ast::Expr &e, double v) {
  if (std::isfinite(v))
    return true;
  return err(e.loc, "constant expression is not a finite number");
}

std::optional<Value> SpecAnalyzer::evalConst(const ast::Expr &e) {
  using ast::ExprKind;
  using ast::Op;
  switch (e.kind) {
  case ExprKind::Int:
    return Value::ofInt(e.intValue);
  case ExprKind::Float:
    return Value::ofFloat(e.floatValue);
  case ExprKind::Ident: {
    auto it = consts.find(e.name);
    if (it != consts.end())
      return Value::ofInt(it->second);
    if (llvm::is_contained(kShapeNames, StringRef(e.name))) {
      err(e.loc, "'" + e.name + "' is used before it is set");
      return std::nullopt;
    }
    err(e.loc, "unknown name '" + e.name + "' in constant expression" +
                   didYouMean(e.name, kShapeNames));
    return std::nullopt;
  }
  case ExprKind::Call:
    return evalConstCall(e);
  case ExprKind::Unary: {
    if (e.op == Op::Not) {
      err(e.loc, "operator '!' is not allowed in a constant expression");
      return std::nullopt;
    }
    auto v = evalConst(*e.operands[0]);
    if (!v)
      return std::nullopt;
    if (!v->isInt)
      return Value::ofFloat(-v->f);
    if (v->i == INT64_MIN) {
      err(e.loc, "integer overflow in constant expression");
      return std::nullopt;
    }
    return Value::ofInt(-v->i);
  }
  case ExprKind::Binary: {
    switch (e.op) {
    case Op::Add: case Op::Sub: case Op::Mul: case Op::Div: case Op::Rem:
    case Op::Pow:
      break;
    default:
      err(e.loc, Twine("operator '") + ast::opSpelling(e.op) +
                     "' is not allowed in a constant expression");
      return std::nullopt;
    }
    auto a = evalConst(*e.operands[0]);
    if (!a)
      return std::nullopt;
    auto b = evalConst(*e.operands[1]);
    if (!b)
      return std::nullopt;
    auto overflow = [&]() -> std::optional<Value> {
      err(e.loc, "integer overflow in constant expression");
      return std::nullopt;
    };
    auto divZero = [&]() -> std::optional<Value> {
      err(e.loc, "division by zero in constant expression");
      return std::nullopt;
    };
    if (e.op == Op::Pow) {
      // Integer powers stay integers (`2 ** 16` can size a cache); a
      // negative or float exponent makes a float (`256 ** -0.5`).
      if (a->isInt && b->isInt && b->i >= 0) {
        int64_t result = 1, base = a->i, exp = b->i;
        while (exp > 0) {
          if ((exp & 1) && __builtin_mul_overflow(result, base, &result))
            return overflow();
          exp >>= 1;
          if (exp > 0 && __builtin_mul_overflow(base, base, &base))
            return overflow();
        }
        return Value::ofInt(result);
      }
      double r = std::pow(a->asFloat(), b->asFloat());
      if (!checkFinite(e, r))
        return std::nullopt;
      return Value::ofFloat(r);
    }
    if (a->isInt && b->isInt) {
      int64_t r = 0;
      switch (e.op) {
      case Op::Add:
        if (__builtin_add_overflow(a->i, b->i, &r))
          return overflow();
        return Value::ofInt(r);
      case Op::Sub:
        if (__builtin_sub_overflow(a->i, b->i, &r))
          return overflow();
        return Value::ofInt(r);
      case Op::Mul:
        if (__builtin_mul_overflow(a->i, b->i, &r))
          return overflow();
        return Value::ofInt(r);
      case Op::Div:
      case Op::Rem:
        if (b->i == 0)
          return divZero();
        if (a->i == INT64_MIN && b->i == -1)
          return overflow();
        // C semantics: truncating division.
        return Value::ofInt(e.op == Op::Div ? a->i / b->i : a->i % b->i);
      default:
        break;
      }
    }
    if (e.op == Op::Rem) {
      err(e.loc, "operator '%' expects integers");
      return std::nullopt;
    }
    double x = a->asFloat(), y = b->asFloat(), r = 0;
    switch (e.op) {
    case Op::Add: r = x + y; break;
    case Op::Sub: r = x - y; break;
    case Op::Mul: r = x * y; break;
    case Op::Div:
      if (y == 0)
        return divZero();
      r = x / y;
      break;
    default: break;
    }
    if (!checkFinite(e, r))
      return std::nullopt;
    return Value::ofFloat(r);
  }
  case ExprKind::String:
  case ExprKind::Bool:
  case ExprKind::List:
  case ExprKind::Index:
  case ExprKind::Ternary:
    err(e.loc, "expected a constant number, found " + describe(e));
    return std::nullopt;
  }
  return std::nullopt;
}

std::optional<Value> SpecAnalyzer::evalConstCall(const ast::Expr &e) {
  if (!llvm::is_contained(kConstFunctions, StringRef(e.name))) {
    err(e.loc, "function '" + e.name +
                   "' is not allowed in a constant expression" +
                   didYouMean(e.name, kConstFunctions));
    return std::nullopt;
  }
  size_t arity = (e.name == "min" || e.name == "max" || e.name == "pow") ? 2 : 1;
  if (e.args.size() != arity) {
    err(e.loc, e.name + "() takes " + Twine(arity) + " argument" +
                   (arity == 1 ? "" : "s") + ", found " + Twine(e.args.size()));
    return std::nullopt;
  }
  std::vector<Value> args;
  for (const ast::Arg &a : e.args) {
    if (!a.name.empty()) {
      err(a.nameLoc, "arguments of " + e.name + "() cannot be named");
      return std::nullopt;
    }
    auto v = evalConst(*a.value);
    if (!v)
      return std::nullopt;
    args.push_back(*v);
  }
  StringRef fn = e.name;
  if (fn == "min" || fn == "max") {
    bool takeFirst = fn == "min" ? args[0].asFloat() <= args[1].asFloat()
                                 : args[0].asFloat() >= args[1].asFloat();
    if (args[0].isInt && args[1].isInt)
      return takeFirst ? args[0] : args[1];
    return Value::ofFloat(takeFirst ? args[0].asFloat() : args[1].asFloat());
  }
  if (fn == "abs" && args[0].isInt) {
    if (args[0].i == INT64_MIN) {
      err(e.loc, "integer overflow in constant expression");
      return std::nullopt;
    }
    return Value::ofInt(args[0].i < 0 ? -args[0].i : args[0].i);
  }
  double x = args[0].asFloat(), r = 0;
  if (fn == "sqrt") {
    if (x < 0) {
      err(e.loc, "sqrt() of a negative number");
      return std::nullopt;
    }
    r = std::sqrt(x);
  } else if (fn == "log") {
    if (x <= 0) {
      err(e.loc, "log() of a number <= 0");
      return std::nullopt;
    }
    r = std::log(x);
  } else if (fn == "exp") {
    r = std::exp(x);
  } else if (fn == "abs") {
    r = std::fabs(x);
  } else if (fn == "floor") {
    r = std::floor(x);
  } else if (fn == "ceil") {
    r = std::ceil(x);
  } else if (fn == "pow") {
    r = std::pow(x, args[1].asFloat());
  }
  if (!checkFinite(e, r))
    return std::nullopt;
  return Value::ofFloat(r);
}

std::optional<int64_t> SpecAnalyzer::evalInt(const ast::Expr &e,
                                             const Twine &what) {
  if (e.kind == ast::ExprKind::String || e.kind == ast::ExprKind::Bool ||
      e.kind == ast::ExprKind::List) {
    err(e.loc, what + " expects an integer, found " + describe(e));
    return std::nullopt;
  }
  auto v = evalConst(e);
  if (!v)
    return std::nullopt;
  if (!v->isInt) {
    err(e.startLoc(), what + " expects an integer, found a float");
    return std::nullopt;
  }
  return v->i;
}

std::optional<double> SpecAnalyzer::evalFloat(const ast::Expr &e,
                                              const Twine &what) {
  if (e.kind == ast::ExprKind::String || e.kind == ast::ExprKind::Bool ||
      e.kind == ast::ExprKind::List) {
    err(e.loc, what + " expects a number, found " + describe(e));
    return std::nullopt;
  }
  auto v = evalConst(e);
  if (!v)
    return std::nullopt;
  return v->asFloat();
}

std::optional<bool> SpecAnalyzer::evalBool(const ast::Expr &e,
                                           const Twine &what) {
  if (e.kind != ast::ExprKind::Bool) {
    err(e.loc, what + " expects true or false, found " + describe(e));
    return std::nullopt;
  }
  return e.intValue != 0;
}

std::optional<StringRef>
SpecAnalyzer::evalChoice(const ast::Expr &e, const Twine &what,
                         llvm::ArrayRef<StringRef> choices) {
  if (e.kind == ast::ExprKind::Ident) {
    for (StringRef c : choices)
      if (c == e.name)
        return c;
  }
  std::string hint =
      e.kind == ast::ExprKind::Ident ? didYouMean(e.name, choices) : "";
  err(e.loc, what + " expects " + joinChoices(choices) + ", found " +
                 describe(e) + hint);
  return std::nullopt;
}

std::optional<std::vector<double>>
SpecAnalyzer::evalFloatList(const ast::Expr &e, const Twine &what) {
  if (e.kind != ast::ExprKind::List) {
    err(e.loc, what + " expects a list of numbers, found " + describe(e));
    return std::nullopt;
  }
  std::vector<double> values;
  bool ok = true;
  for (const ast::ExprPtr &el : e.operands) {
    auto v = evalFloat(*el, "each element of " + what);
    if (!v) {
      ok = false;
      continue;
    }
    values.push_back(*v);
  }
  if (!ok)
    return std::nullopt;
  return values;
}

bool SpecAnalyzer::checkMin(int64_t v, int64_t min, SMLoc loc, StringRef what) {
  if (v >= min)
    return true;
  return err(loc, "'" + what + "' (" + Twine(v) + ") must be >= " + Twine(min));
}

bool SpecAnalyzer::checkPositive(double v, SMLoc loc, StringRef what) {
  if (v > 0)
    return true;
  return err(loc, "'" + what + "' (" + formatDouble(v) + ") must be > 0");
}

//===----------------------------------------------------------------------===//
// Calls and arguments
//===----------------------------------------------------------------------===//

std::optional<Bound> SpecAnalyzer::bind(const ast::Expr &e,
                                        llvm::ArrayRef<StringRef> params,
                                        unsigned maxPositional) {
  Bound b;
  b.fn = e.name;
  b.loc = e.loc;
  b.params.assign(params.begin(), params.end());
  b.values.assign(params.size(), nullptr);
  b.locs.assign(params.size(), e.loc);
  if (e.kind != ast::ExprKind::Call)
    return b; // a bare name: no arguments
  bool ok = true, sawNamed = false;
  unsigned positional = 0;
  for (const ast::Arg &a : e.args) {
    size_t index;
    SMLoc loc = a.name.empty() ? a.value->startLoc() : a.nameLoc;
    if (a.name.empty()) {
      if (sawNamed) {
        ok = err(loc, "positional argument after a named one in " + b.fn +
                          "()");
        continue;
      }
      if (positional >= maxPositional) {
        if (params.empty())
          ok = err(loc, b.fn + "() takes no arguments");
        else if (maxPositional == 0)
          ok = err(loc, "arguments of " + b.fn + "() must be named (" +
                            joinChoices(params) + ")");
        else
          ok = err(loc, b.fn + "() takes at most " + Twine(maxPositional) +
                            " positional argument" +
                            (maxPositional == 1 ? "" : "s"));
        continue;
      }
      index = positional++;
    } else {
      sawNamed = true;
      auto it = llvm::find(params, StringRef(a.name));
      if (it == params.end()) {
        if (params.empty())
          ok = err(loc, b.fn + "() takes no arguments");
        else
          ok = err(loc, b.fn + "() has no argument '" + a.name + "'" +
                            didYouMean(a.name, params));
        continue;
      }
      index = it - params.begin();
    }
    if (b.values[index]) {
      ok = err(loc, "duplicate argument '" + params[index] + "'");
      diag.note(b.locs[index], "first given here");
      continue;
    }
    b.values[index] = a.value.get();
    b.locs[index] = loc;
  }
  if (!ok)
    return std::nullopt;
  return b;
}

bool SpecAnalyzer::require(const Bound &b, StringRef name) {
  if (b.get(name))
    return true;
  return err(b.loc, "missing argument '" + name + "' for " + b.fn + "()");
}

std::optional<int64_t> SpecAnalyzer::argInt(const Bound &b, StringRef name,
                                            int64_t dflt, int64_t min) {
  const ast::Expr *e = b.get(name);
  if (!e)
    return dflt;
  auto v = evalInt(*e, b.what(name));
  if (!v || !checkMin(*v, min, e->startLoc(), name))
    return std::nullopt;
  return v;
}

std::optional<double> SpecAnalyzer::argFloat(const Bound &b, StringRef name,
                                             double dflt) {
  const ast::Expr *e = b.get(name);
  if (!e)
    return dflt;
  return evalFloat(*e, b.what(name));
}

std::optional<StringRef>
SpecAnalyzer::formName(const ast::Expr &e, StringRef kind, StringRef property,
                       llvm::ArrayRef<StringRef> choices) {
  if (e.kind != ast::ExprKind::Ident && e.kind != ast::ExprKind::Call) {
    err(e.startLoc(), "'" + property + "' expects " + joinChoices(choices) +
                          ", found " + describe(e));
    return std::nullopt;
  }
  for (StringRef c : choices)
    if (c == e.name)
      return c;
  // A suggestion is more useful than the whole list; give one or the other.
  std::string hint = didYouMean(e.name, choices);
  if (hint.empty())
    hint = " (expected " + joinChoices(choices) + ")";
  err(e.loc, "unknown " + kind + " '" + e.name + "'" + hint);
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Kernel inputs
//===----------------------------------------------------------------------===//

const ast::InputDecl *SpecAnalyzer::useInput(StringRef name, SMLoc loc) {
  auto it = inputs.find(name);
  if (it == inputs.end()) {
    llvm::SmallVector<StringRef, 8> names;
    for (const auto &entry : inputs)
      names.push_back(entry.getKey());
    llvm::sort(names); // StringMap order is unspecified
    err(loc, "undeclared kernel input '" + name + "'" +
                 didYouMean(name, names));
    return nullptr;
  }
  usedInputs.insert(name);
  return it->second;
}

bool SpecAnalyzer::checkInputShape(const ast::InputDecl &in, SMLoc useLoc,
                                   StringRef role, DType dtype,
                                   llvm::ArrayRef<StringRef> dims,
                                   llvm::ArrayRef<int64_t> dimValues) {
  bool ok = parseDType(in.dtype) == dtype && in.dims.size() == dims.size();
  for (size_t i = 0; ok && i < dims.size(); ++i) {
    const ast::InputDim &d = in.dims[i];
    // A symbol matches by name; an integer must equal the symbol's value.
    ok = d.isInt ? dimValues[i] > 0 && d.value == dimValues[i]
                 : d.text == dims[i];
  }
  if (ok)
    return true;
  std::string want = std::string(dtypeName(dtype)) + "[";
  for (size_t i = 0; i < dims.size(); ++i)
    want += (i ? ", " : "") + dims[i].str();
  want += "]";
  std::string found = in.dtype + "[";
  for (size_t i = 0; i < in.dims.size(); ++i)
    found += (i ? ", " : "") + in.dims[i].text;
  found += "]";
  err(useLoc, "kernel input '" + in.name + "' must be " + want + " for " +
                  role + ", found " + found);
  diag.note(in.nameLoc, "declared here");
  return false;
}

std::optional<std::string> SpecAnalyzer::argInput(const Bound &b,
                                                   StringRef name) {
  const ast::Expr *e = b.get(name);
  if (!e)
    return std::nullopt;
  if (e->kind != ast::ExprKind::Ident) {
    err(e->startLoc(), b.what(name) + " expects a kernel input name, found " +
                           describe(*e));
    return std::nullopt;
  }
  if (!useInput(e->name, e->loc))
    return std::nullopt;
  return e->name;
}

//===----------------------------------------------------------------------===//
// Step 2: shape
//===----------------------------------------------------------------------===//

bool SpecAnalyzer::resolveShape() {
  // Source order, so `kv_heads = heads / 4` works after `heads = 32`.
  bool ok = true;
  for (const ast::Statement &s : attn.statements) {
    if (s.kind != ast::Statement::Assign)
      continue;
    const ast::Assignment &as = s.assignment;
    if (!llvm::is_contained(kShapeNames, StringRef(as.name)) ||
        as.rangeBegin || props.lookup(as.name) != &as)
      continue;
    auto v = evalInt(*as.value, "'" + as.name + "'");
    if (!v) {
      ok = false;
      continue;
    }
    if (!checkMin(*v, 1, as.value->startLoc(), as.name)) {
      ok = false;
      continue;
    }
    consts[as.name] = *v;
  }
  for (StringRef required : {"heads", "head_dim"}) {
    if (!props.count(required)) {
      err(attn.nameLoc, "missing required property '" + required +
                            "' in attention '" + attn.name + "'");
      ok = false;
    }
  }
  if (!ok || !consts.count("heads") || !consts.count("head_dim"))
    return false;
  spec.heads = consts["heads"];
  spec.headDim = consts["head_dim"];
  spec.kvHeads = consts.count("kv_heads") ? consts["kv_heads"] : spec.heads;
  spec.valueDim = consts.count("value_dim") ? consts["value_dim"] : spec.headDim;
  consts["kv_heads"] = spec.kvHeads;
  consts["value_dim"] = spec.valueDim;
  if (spec.heads % spec.kvHeads != 0) {
    return err(props["kv_heads"]->value->startLoc(),
               "'kv_heads' (" + Twine(spec.kvHeads) + ") must divide 'heads' (" +
                   Twine(spec.heads) + ")");
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Step 3: types, scale, lse
//===----------------------------------------------------------------------===//

void SpecAnalyzer::resolveTypes() {
  auto typeOf = [&](StringRef prop, DType dflt) {
    const ast::Assignment *as = props.lookup(prop);
    if (!as)
      return dflt;
    auto c = evalChoice(*as->value, "'" + prop + "'", kFloatDTypes);
    return c ? *parseDType(*c) : dflt;
  };
  DType all = typeOf("dtype", DType::F32);
  spec.qType = typeOf("q_dtype", all);
  spec.kType = typeOf("k_dtype", all);
  spec.vType = typeOf("v_dtype", all);
  spec.outType = typeOf("out_dtype", all);
  if (const ast::Assignment *as = props.lookup("accum"))
    evalChoice(*as->value, "'accum'", {"f32"});
  spec.accumType = DType::F32;
}

void SpecAnalyzer::resolveScale() {
  spec.scale = 1.0 / std::sqrt(double(spec.headDim));
  const ast::Assignment *as = props.lookup("scale");
  if (!as)
    return;
  auto v = evalFloat(*as->value, "'scale'");
  if (!v)
    return;
  if (checkPositive(*v, as->value->startLoc(), "scale"))
    spec.scale = *v;
}

void SpecAnalyzer::resolveLse() {
  if (const ast::Assignment *as = props.lookup("lse"))
    if (auto v = evalBool(*as->value, "'lse'"))
      spec.lse = *v;
}

//===----------------------------------------------------------------------===//
// Position encoding
//===----------------------------------------------------------------------===//

void SpecAnalyzer::resolvePosition() {
  const ast::Assignment *as = props.lookup("position");
  if (!as)
    return;
  positionAssign = as;
  const ast::Expr &e = *as->value;
  auto form = formName(e, "position encoding", "position",
                       {"none", "rope", "alibi", "t5_bias"});
  if (!form)
    return;
  Position &p = spec.position;
  if (*form == "none") {
    bind(e, {}, 0);
  } else if (*form == "rope") {
    p.kind = PositionKind::RoPE;
    if (auto b = bind(e, {"theta", "fraction", "rotary_dim", "layout",
                          "scaling", "remap", "apply"},
                      1))
      resolveRope(*b);
  } else if (*form == "alibi") {
    p.kind = PositionKind::ALiBi;
    if (auto b = bind(e, {"max_bias", "slopes"}, 1))
      resolveAlibi(*b);
  } else {
    p.kind = PositionKind::T5Bias;
    if (auto b = bind(e, {"table", "buckets", "max_distance", "bidirectional"},
                      1))
      resolveT5(*b);
  }
}

bool SpecAnalyzer::resolveRope(const Bound &b) {
  Position &p = spec.position;
  bool ok = true;
  if (auto theta = argFloat(b, "theta", 10000.0)) {
    if (checkPositive(*theta, b.valueLoc("theta"), "theta"))
      p.theta = *theta;
    else
      ok = false;
  } else {
    ok = false;
  }

  p.rotaryDim = spec.headDim;
  const ast::Expr *fraction = b.get("fraction");
  const ast::Expr *rotaryDim = b.get("rotary_dim");
  if (fraction && rotaryDim) {
    ok = err(b.locOf("rotary_dim"),
             "rope() takes 'fraction' or 'rotary_dim', not both");
  } else if (fraction) {
    if (auto f = evalFloat(*fraction, b.what("fraction"))) {
      if (!(*f > 0 && *f <= 1)) {
        ok = err(fraction->startLoc(),
                 "'fraction' (" + formatDouble(*f) + ") must be in (0, 1]");
      } else {
        // Truncate like HF (`int(head_dim * partial_rotary_factor)`); the
        // epsilon absorbs binary rounding of fractions such as 0.4.
        int64_t rd = int64_t(std::floor(*f * double(spec.headDim) + 1e-9));
        if (rd < 2 || rd % 2 != 0)
          ok = err(fraction->startLoc(),
                   "'rotary_dim' (" + Twine(rd) + ") from 'fraction' " +
                       formatDouble(*f) + " of 'head_dim' (" +
                       Twine(spec.headDim) + ") must be even and >= 2");
        else
          p.rotaryDim = rd;
      }
    } else {
      ok = false;
    }
  } else if (rotaryDim) {
    if (auto rd = evalInt(*rotaryDim, b.what("rotary_dim"))) {
      SMLoc loc = rotaryDim->startLoc();
      if (*rd < 2 || *rd > spec.headDim)
        ok = err(loc, "'rotary_dim' (" + Twine(*rd) + ") must be in [2, " +
                          Twine(spec.headDim) + "] ('head_dim')");
      else if (*rd % 2 != 0)
        ok = err(loc, "'rotary_dim' (" + Twine(*rd) + ") must be even");
      else
        p.rotaryDim = *rd;
    } else {
      ok = false;
    }
  } else if (spec.headDim % 2 != 0) {
    ok = err(b.loc, "rope() needs an even 'head_dim' (" + Twine(spec.headDim) +
                        ") or an explicit even 'rotary_dim'");
  }

  if (const ast::Expr *layout = b.get("layout")) {
    if (auto c = evalChoice(*layout, b.what("layout"),
                            {"half_split", "interleaved"}))
      p.layout = *c == "half_split" ? RopeLayout::HalfSplit
                                    : RopeLayout::Interleaved;
    else
      ok = false;
  }
  if (const ast::Expr *apply = b.get("apply")) {
    if (auto c = evalChoice(*apply, b.what("apply"), {"on_write", "on_read"}))
      p.apply = *c == "on_write" ? RopeApply::OnWrite : RopeApply::OnRead;
    else
      ok = false;
  }
  if (const ast::Expr *scaling = b.get("scaling"))
    ok &= resolveScaling(*scaling);
  if (const ast::Expr *remap = b.get("remap")) {
    if (resolveRemap(*remap)) {
      // A key rotated at write time cannot be re-positioned per query.
      if (p.remap.kind != RopeRemapKind::None && p.apply != RopeApply::OnRead)
        ok = err(remap->loc, "remap " + remap->name +
                                 "() requires rope(apply = on_read)");
    } else {
      ok = false;
    }
  }
  return ok;
}

bool SpecAnalyzer::resolveScaling(const ast::Expr &e) {
  RopeScaling &s = spec.position.scaling;
  auto form = formName(e, "rope scaling", "scaling",
                       {"none", "linear", "ntk", "dynamic_ntk", "yarn",
                        "llama3", "longrope"});
  if (!form)
    return false;
  auto factorArg = [&](const Bound &b) {
    if (!require(b, "factor"))
      return false;
    auto f = argFloat(b, "factor", 1.0);
    if (!f || !checkPositive(*f, b.valueLoc("factor"), "factor"))
      return false;
    s.factor = *f;
    return true;
  };
  auto contextArg = [&](const Bound &b, bool required, int64_t dflt) {
    if (required && !require(b, "original_context"))
      return false;
    auto c = argInt(b, "original_context", dflt, 1);
    if (!c)
      return false;
    s.originalContext = *c;
    return true;
  };

  if (*form == "none")
    return bind(e, {}, 0).has_value();
  if (*form == "linear" || *form == "ntk") {
    s.kind = *form == "linear" ? RopeScalingKind::Linear : RopeScalingKind::NTK;
    auto b = bind(e, {"factor"}, 1);
    return b && factorArg(*b);
  }
  if (*form == "dynamic_ntk") {
    s.kind = RopeScalingKind::DynamicNTK;
    auto b = bind(e, {"factor", "original_context"}, 2);
    if (!b)
      return false;
    bool ok = factorArg(*b);
    return contextArg(*b, true, 0) && ok;
  }
  if (*form == "yarn") {
    s.kind = RopeScalingKind::YaRN;
    auto b = bind(e, {"factor", "original_context", "beta_fast", "beta_slow",
                      "attention_factor"},
                  5);
    if (!b)
      return false;
    bool ok = factorArg(*b);
    ok = contextArg(*b, true, 0) && ok;
    auto fast = argFloat(*b, "beta_fast", 32.0);
    auto slow = argFloat(*b, "beta_slow", 1.0);
    if (!fast || !slow)
      return false;
    if (!checkPositive(*slow, b->valueLoc("beta_slow"), "beta_slow"))
      return false;
    if (*fast <= *slow)
      return err(b->valueLoc("beta_fast"), "'beta_fast' (" + formatDouble(*fast) +
                                            ") must be greater than "
                                            "'beta_slow' (" +
                                            formatDouble(*slow) + ")");
    s.betaFast = *fast;
    s.betaSlow = *slow;
    if (!ok)
      return false;
    // HF `get_mscale`: no temperature change when not extending.
    double dflt = s.factor <= 1 ? 1.0 : 0.1 * std::log(s.factor) + 1.0;
    auto af = argFloat(*b, "attention_factor", dflt);
    if (!af || !checkPositive(*af, b->valueLoc("attention_factor"),
                              "attention_factor"))
      return false;
    s.attentionFactor = *af;
    return true;
  }
  if (*form == "llama3") {
    s.kind = RopeScalingKind::Llama3;
    auto b = bind(e, {"factor", "low_freq_factor", "high_freq_factor",
                      "original_context"},
                  4);
    if (!b)
      return false;
    bool ok = factorArg(*b);
    ok = contextArg(*b, false, 8192) && ok;
    auto low = argFloat(*b, "low_freq_factor", 1.0);
    auto high = argFloat(*b, "high_freq_factor", 4.0);
    if (!low || !high || !ok)
      return false;
    if (!checkPositive(*low, b->valueLoc("low_freq_factor"), "low_freq_factor"))
      return false;
    // The smooth interpolation divides by (high - low).
    if (*high <= *low)
      return err(b->valueLoc("high_freq_factor"),
                 "'high_freq_factor' (" + formatDouble(*high) +
                     ") must be greater than 'low_freq_factor' (" +
                     formatDouble(*low) + ")");
    s.lowFreqFactor = *low;
    s.highFreqFactor = *high;
    return true;
  }
  // longrope
  s.kind = RopeScalingKind::LongRoPE;
  auto b = bind(e, {"short_factor", "long_factor", "original_context",
                    "max_context", "attention_factor"},
                0);
  if (!b)
    return false;
  bool ok = contextArg(*b, true, 0);
  size_t pairs = size_t(spec.position.rotaryDim / 2);
  for (StringRef which : {"short_factor", "long_factor"}) {
    if (!require(*b, which)) {
      ok = false;
      continue;
    }
    auto list = evalFloatList(*b->get(which), b->what(which));
    if (!list) {
      ok = false;
      continue;
    }
    if (list->size() != pairs) {
      ok = err(b->valueLoc(which), "'" + which + "' needs rotary_dim/2 = " +
                                    Twine(pairs) + " factors, found " +
                                    Twine(list->size()));
      continue;
    }
    for (size_t i = 0; i < list->size(); ++i) {
      if (!((*list)[i] > 0)) {
        ok = err(b->get(which)->operands[i]->startLoc(),
                 "each factor of '" + which + "' must be > 0");
        break;
      }
    }
    (which == "short_factor" ? s.shortFactor : s.longFactor) = *list;
  }
  auto maxContext = argInt(*b, "max_context", 0, 1);
  if (!maxContext || !ok)
    return false;
  s.maxContext = *maxContext;
  double scale =
      s.maxContext > 0 ? double(s.maxContext) / double(s.originalContext) : 1.0;
  s.factor = scale;
  if (b->get("attention_factor")) {
    auto af = argFloat(*b, "attention_factor", 1.0);
    if (!af || !checkPositive(*af, b->valueLoc("attention_factor"),
                              "attention_factor"))
      return false;
    s.attentionFactor = *af;
    return true;
  }
  if (s.maxContext == 0)
    return err(b->loc, "longrope() needs 'max_context' (or an explicit "
                       "'attention_factor') to compute the attention factor");
  // Phi-3: sqrt(1 + ln(s) / ln(original)), no change when not extending.
  s.attentionFactor =
      scale <= 1.0
          ? 1.0
          : std::sqrt(1.0 + std::log(scale) / std::log(double(s.originalContext)));
  if (s.originalContext == 1 && scale > 1.0)
    return err(b->valueLoc("original_context"),
               "'original_context' must be > 1 to compute the attention "
               "factor");
  return true;
}

bool SpecAnalyzer::resolveRemap(const ast::Expr &e) {
  RopeRemap &r = spec.position.remap;
  auto form = formName(e, "rope remap", "remap", {"none", "rerope", "self_extend"});
  if (!form)
    return false;
  if (*form == "none")
    return bind(e, {}, 0).has_value();
  if (*form == "rerope") {
    r.kind = RopeRemapKind::ReRoPE;
    auto b = bind(e, {"window", "log_scale_base"}, 2);
    if (!b || !require(*b, "window"))
      return false;
    auto w = argInt(*b, "window", 0, 1);
    auto base = argFloat(*b, "log_scale_base", 0.0);
    if (!w || !base)
      return false;
    // ln(T) is the divisor of the query scale: T must exceed 1.
    if (*base != 0 && !(*base > 1))
      return err(b->valueLoc("log_scale_base"),
                 "'log_scale_base' (" + formatDouble(*base) +
                     ") must be 0 (off) or > 1");
    r.window = *w;
    r.logScaleBase = *base;
    return true;
  }
  r.kind = RopeRemapKind::SelfExtend;
  auto b = bind(e, {"group", "window"}, 2);
  if (!b)
    return false;
  bool ok = require(*b, "group");
  ok = require(*b, "window") && ok;
  if (!ok)
    return false;
  auto g = argInt(*b, "group", 1, 1);
  auto w = argInt(*b, "window", 0, 1);
  if (!g || !w)
    return false;
  r.group = *g;
  r.window = *w;
  return true;
}

bool SpecAnalyzer::resolveAlibi(const Bound &b) {
  Position &p = spec.position;
  const ast::Expr *slopes = b.get("slopes");
  if (slopes && b.get("max_bias"))
    return err(b.locOf("slopes"),
               "alibi() takes 'max_bias' or 'slopes', not both");
  if (slopes) {
    auto list = evalFloatList(*slopes, b.what("slopes"));
    if (!list)
      return false;
    if ((int64_t)list->size() != spec.heads)
      return err(slopes->loc, "alibi() needs one slope per head: 'heads' is " +
                                  Twine(spec.heads) + ", found " +
                                  Twine(list->size()) + " slopes");
    p.explicitSlopes = true;
    p.slopes = *list;
    return true;
  }
  auto bias = argFloat(b, "max_bias", 8.0);
  if (!bias || !checkPositive(*bias, b.valueLoc("max_bias"), "max_bias"))
    return false;
  p.maxBias = *bias;
  p.slopes = alibiSlopes(spec.heads, p.maxBias);
  return true;
}

bool SpecAnalyzer::resolveT5(const Bound &b) {
  Position &p = spec.position;
  if (!require(b, "table"))
    return false;
  auto table = argInput(b, "table");
  auto buckets = argInt(b, "buckets", 32, 1);
  auto maxDistance = argInt(b, "max_distance", 128, 1);
  std::optional<bool> bidirectional = false;
  if (const ast::Expr *e = b.get("bidirectional"))
    bidirectional = evalBool(*e, b.what("bidirectional"));
  if (!table || !buckets || !maxDistance || !bidirectional)
    return false;
  p.table = *table;
  p.buckets = *buckets;
  p.maxDistance = *maxDistance;
  p.bidirectional = *bidirectional;
  // T5's bucketing: half the buckets (per direction) are exact distances,
  // the rest log-spaced up to max_distance, which must lie beyond them.
  int64_t perDirection = p.bidirectional ? p.buckets / 2 : p.buckets;
  int64_t exact = perDirection / 2;
  if (exact < 1)
    return err(b.valueLoc("buckets"),
               "'buckets' (" + Twine(p.buckets) + ") must be >= " +
                   Twine(p.bidirectional ? 4 : 2));
  if (p.maxDistance <= exact)
    return err(b.valueLoc("max_distance"),
               "'max_distance' (" + Twine(p.maxDistance) +
                   ") must exceed the exact buckets (" + Twine(exact) + ")");
  const ast::InputDecl *in = inputs.lookup(p.table);
  return checkInputShape(*in, b.valueLoc("table"), "t5_bias()", DType::F32,
                         {"heads", "buckets"}, {spec.heads, p.buckets});
}

//===----------------------------------------------------------------------===//
// Normalizer, tile, blocks, cache
//===----------------------------------------------------------------------===//

void SpecAnalyzer::resolveNormalizer() {
  const ast::Assignment *as = props.lookup("normalizer");
  if (!as)
    return;
  const ast::Expr &e = *as->value;
  auto form = formName(e, "normalizer", "normalizer", {"softmax", "off_by_one"});
  if (!form)
    return;
  if (*form == "off_by_one") {
    if (bind(e, {}, 0))
      spec.normalizer.kind = NormalizerKind::OffByOne;
    return;
  }
  auto b = bind(e, {"sinks"}, 1);
  if (!b || !b->get("sinks"))
    return;
  auto name = argInput(*b, "sinks");
  if (!name)
    return;
  const ast::InputDecl *in = inputs.lookup(*name);
  if (!checkInputShape(*in, b->valueLoc("sinks"), "softmax(sinks)", DType::F32,
                       {"heads"}, {spec.heads}))
    return;
  spec.normalizer.kind = NormalizerKind::SoftmaxSinks;
  spec.normalizer.sinks = *name;
}

void SpecAnalyzer::resolveTile() {
  const ast::Assignment *as = props.lookup("tile");
  if (!as)
    return;
  const ast::Expr &e = *as->value;
  if (e.kind != ast::ExprKind::List || e.operands.size() != 2) {
    err(e.loc, "'tile' expects a list [q_tile, k_tile], found " +
                   (e.kind == ast::ExprKind::List
                        ? "a list of " + std::to_string(e.operands.size())
                        : describe(e)));
    return;
  }
  int64_t sizes[2];
  for (int i = 0; i < 2; ++i) {
    const ast::Expr &el = *e.operands[i];
    auto v = evalInt(el, "'tile'");
    if (!v)
      return;
    if (*v < 8 || *v > 256 || (*v & (*v - 1)) != 0) {
      err(el.startLoc(), "tile size (" + Twine(*v) +
                             ") must be a power of two in [8, 256]");
      return;
    }
    sizes[i] = *v;
  }
  spec.qTile = sizes[0];
  spec.kTile = sizes[1];
}

void SpecAnalyzer::resolveBlocks() {
  const ast::Assignment *as = props.lookup("blocks");
  if (!as)
    return;
  const ast::Expr &e = *as->value;
  auto form = formName(e, "block layout", "blocks",
                       {"from_mask", "sliding_blocks", "bigbird", "dynamic"});
  if (!form)
    return;
  BlockLayout &bl = spec.blocks;
  if (*form == "from_mask") {
    bind(e, {}, 0);
  } else if (*form == "sliding_blocks") {
    auto b = bind(e, {"window", "global"}, 2);
    if (!b || !require(*b, "window"))
      return;
    auto w = argInt(*b, "window", 0, 1);
    auto g = argInt(*b, "global", 0, 0);
    if (!w || !g)
      return;
    bl.kind = BlockLayoutKind::SlidingBlocks;
    bl.window = *w;
    bl.global = *g;
  } else if (*form == "bigbird") {
    auto b = bind(e, {"window", "global", "random", "seed"}, 4);
    if (!b)
      return;
    auto w = argInt(*b, "window", 3, 1);
    auto g = argInt(*b, "global", 2, 0);
    auto r = argInt(*b, "random", 3, 0);
    auto s = argInt(*b, "seed", 0, 0);
    if (!w || !g || !r || !s)
      return;
    bl.kind = BlockLayoutKind::BigBird;
    bl.window = *w;
    bl.global = *g;
    bl.random = *r;
    bl.seed = *s;
  } else {
    auto b = bind(e, {"top_k"}, 1);
    if (!b || !require(*b, "top_k"))
      return;
    auto k = argInt(*b, "top_k", 0, 1);
    if (!k)
      return;
    bl.kind = BlockLayoutKind::Dynamic;
    bl.topK = *k;
  }
}

void SpecAnalyzer::resolveCache() {
  const ast::Assignment *as = props.lookup("cache");
  if (!as)
    return;
  const ast::Expr &e = *as->value;
  auto form =
      formName(e, "cache layout", "cache", {"contiguous", "paged", "ring"});
  if (!form)
    return;
  Cache &c = spec.cache;
  std::optional<Bound> b;
  if (*form == "contiguous") {
    b = bind(e, {"layout", "capacity", "quant"}, 2);
    if (!b)
      return;
    auto cap = argInt(*b, "capacity", 0, 0);
    if (!cap)
      return;
    c.kind = CacheKind::Contiguous;
    c.capacity = *cap;
  } else if (*form == "paged") {
    b = bind(e, {"page_size", "layout", "quant"}, 2);
    if (!b)
      return;
    auto size = argInt(*b, "page_size", 16, 1);
    if (!size)
      return;
    c.kind = CacheKind::Paged;
    c.pageSize = *size;
  } else {
    b = bind(e, {"sinks", "window", "quant"}, 2);
    if (!b)
      return;
    auto sinks = argInt(*b, "sinks", 4, 0);
    auto window = argInt(*b, "window", 1020, 1);
    if (!sinks || !window)
      return;
    c.kind = CacheKind::Ring;
    c.sinks = *sinks;
    c.window = *window;
    // Evicted tokens shift every key's place in the ring, which only works
    // if keys are rotated when read (StreamingLLM).
    const Position &p = spec.position;
    if (p.kind == PositionKind::RoPE && p.apply != RopeApply::OnRead) {
      err(e.loc, "ring() cache needs rope(apply = on_read): keys are "
                 "re-positioned inside the ring");
      if (positionAssign)
        diag.note(positionAssign->value->loc, "position encoding is here");
      return;
    }
  }
  if (const ast::Expr *layout = b->get("layout")) {
    auto l = evalChoice(*layout, b->what("layout"), {"nhd", "hnd"});
    if (!l)
      return;
    c.layout = *l == "nhd" ? CacheLayout::NHD : CacheLayout::HND;
  }
  if (const ast::Expr *quant = b->get("quant"))
    resolveQuant(*quant);
}

bool SpecAnalyzer::resolveQuant(const ast::Expr &e) {
  CacheQuant &q = spec.cache.quant;
  auto form = formName(e, "cache quantization", "quant",
                       {"none", "int8", "fp8", "int4"});
  if (!form)
    return false;
  auto granularity = [&](const Bound &b, StringRef name,
                         QuantGranularity &out) {
    const ast::Expr *g = b.get(name);
    if (!g)
      return true;
    auto c = evalChoice(*g, b.what(name), {"per_token", "per_channel"});
    if (!c)
      return false;
    out = *c == "per_token" ? QuantGranularity::PerToken
                            : QuantGranularity::PerChannel;
    return true;
  };
  if (*form == "none")
    return bind(e, {}, 0).has_value();
  if (*form == "int8") {
    auto b = bind(e, {"granularity"}, 1);
    if (!b || !granularity(*b, "granularity", q.granularity))
      return false;
    q.kind = QuantKind::Int8;
    return true;
  }
  if (*form == "fp8") {
    auto b = bind(e, {"format", "granularity"}, 2);
    if (!b || !granularity(*b, "granularity", q.granularity))
      return false;
    if (const ast::Expr *f = b->get("format")) {
      auto c = evalChoice(*f, b->what("format"), {"e4m3", "e5m2"});
      if (!c)
        return false;
      q.format = *c == "e4m3" ? FP8Format::E4M3 : FP8Format::E5M2;
    }
    q.kind = QuantKind::FP8;
    return true;
  }
  auto b = bind(e, {"group", "keys", "values"}, 1);
  if (!b)
    return false;
  auto group = argInt(*b, "group", 32, 1);
  if (!group || !granularity(*b, "keys", q.keys) ||
      !granularity(*b, "values", q.values))
    return false;
  q.kind = QuantKind::Int4;
  q.group = *group;
  return true;
}

//===----------------------------------------------------------------------===//
// Masks
//===----------------------------------------------------------------------===//

MaskPtr SpecAnalyzer::lowerMask(const ast::Expr &e) {
  using ast::ExprKind;
  if (e.kind == ExprKind::Binary &&
      (e.op == ast::Op::And || e.op == ast::Op::Or)) {
    MaskPtr lhs = lowerMask(*e.operands[0]);
    MaskPtr rhs = lowerMask(*e.operands[1]);
    if (!lhs || !rhs)
      return nullptr;
    auto m = std::make_shared<Mask>();
    m->kind = e.op == ast::Op::And ? MaskKind::And : MaskKind::Or;
    m->loc = srcLoc(e.loc);
    // Flatten `a & b & c` into one n-ary node.
    for (const MaskPtr &side : {lhs, rhs}) {
      if (side->kind == m->kind)
        for (MaskPtr &o : side->operands)
          m->operands.push_back(o);
      else
        m->operands.push_back(side);
    }
    return m;
  }
  if (e.kind == ExprKind::Unary && e.op == ast::Op::Not) {
    MaskPtr inner = lowerMask(*e.operands[0]);
    if (!inner)
      return nullptr;
    auto m = std::make_shared<Mask>();
    m->kind = MaskKind::Not;
    m->loc = srcLoc(e.loc);
    m->operands.push_back(inner);
    return m;
  }
  if (e.kind == ExprKind::Ident || e.kind == ExprKind::Call)
    return lowerMaskAtom(e);
  std::string hint;
  if (e.kind == ExprKind::Binary || e.kind == ExprKind::Unary ||
      e.kind == ExprKind::Ternary || e.kind == ExprKind::Index)
    hint = "; use predicate(...) for a general condition";
  err(e.startLoc(), "expected a mask expression, found " + describe(e) + hint);
  return nullptr;
}

MaskPtr SpecAnalyzer::lowerMaskAtom(const ast::Expr &e) {
  auto form = formName(e, "mask", "mask", kMaskAtoms);
  if (!form)
    return nullptr;
  auto m = std::make_shared<Mask>();
  m->loc = srcLoc(e.loc);
  StringRef name = *form;
  if (name == "full" || name == "causal") {
    if (!bind(e, {}, 0))
      return nullptr;
    m->kind = name == "full" ? MaskKind::Full : MaskKind::Causal;
    return m;
  }
  if (name == "window") {
    auto b = bind(e, {"size", "left", "right"}, 1);
    if (!b)
      return nullptr;
    m->kind = MaskKind::Window;
    if (b->get("size")) {
      if (b->get("left") || b->get("right")) {
        err(b->locOf(b->get("left") ? "left" : "right"),
            "window() takes a size or left/right, not both");
        return nullptr;
      }
      auto w = argInt(*b, "size", 0, 1);
      if (!w)
        return nullptr;
      m->left = *w;
      m->right = 0;
      return m;
    }
    if (!b->get("left")) {
      err(b->loc, "missing argument 'size' (or 'left') for window()");
      return nullptr;
    }
    auto left = argInt(*b, "left", 0, 1);
    auto right = argInt(*b, "right", 0, 0);
    if (!left || !right)
      return nullptr;
    m->left = *left;
    m->right = *right;
    return m;
  }
  if (name == "sinks") {
    auto b = bind(e, {"count"}, 1);
    if (!b || !require(*b, "count"))
      return nullptr;
    auto n = argInt(*b, "count", 0, 1);
    if (!n)
      return nullptr;
    m->kind = MaskKind::Sinks;
    m->count = *n;
    return m;
  }
  if (name == "dilated") {
    auto b = bind(e, {"window", "dilation", "offset"}, 3);
    if (!b)
      return nullptr;
    bool ok = require(*b, "window");
    ok = require(*b, "dilation") && ok;
    if (!ok)
      return nullptr;
    auto w = argInt(*b, "window", 0, 1);
    auto r = argInt(*b, "dilation", 1, 1);
    auto off = argInt(*b, "offset", 0, 0);
    if (!w || !r || !off)
      return nullptr;
    if (*off >= *r) {
      err(b->valueLoc("offset"), "'offset' (" + Twine(*off) +
                                  ") must be less than 'dilation' (" +
                                  Twine(*r) + ")");
      return nullptr;
    }
    if (*w > INT64_MAX / *r) {
      err(b->valueLoc("window"), "'window' * 'dilation' is out of range");
      return nullptr;
    }
    m->kind = MaskKind::Dilated;
    m->window = *w;
    m->dilation = *r;
    m->offset = *off;
    return m;
  }
  if (name == "global") {
    auto b = bind(e, {"tokens", "first"}, 0);
    if (!b)
      return nullptr;
    const ast::Expr *tokens = b->get("tokens");
    if (tokens && b->get("first")) {
      err(b->locOf("first"), "global() takes 'tokens' or 'first', not both");
      return nullptr;
    }
    m->kind = MaskKind::Global;
    if (tokens) {
      if (tokens->kind != ast::ExprKind::List || tokens->operands.empty()) {
        err(tokens->loc, b->what("tokens") +
                             " expects a non-empty list of token positions, "
                             "found " +
                             describe(*tokens));
        return nullptr;
      }
      for (const ast::ExprPtr &t : tokens->operands) {
        auto v = evalInt(*t, "each element of " + b->what("tokens"));
        if (!v)
          return nullptr;
        if (!checkMin(*v, 0, t->startLoc(), "token position"))
          return nullptr;
        m->tokens.push_back(*v);
      }
      llvm::sort(m->tokens);
      m->tokens.erase(std::unique(m->tokens.begin(), m->tokens.end()),
                      m->tokens.end());
      return m;
    }
    if (!b->get("first")) {
      err(b->loc, "missing argument 'tokens' or 'first' for global()");
      return nullptr;
    }
    auto n = argInt(*b, "first", 0, 1);
    if (!n)
      return nullptr;
    m->count = *n;
    return m;
  }
  if (name == "document") {
    auto b = bind(e, {"ids"}, 1);
    if (!b || !require(*b, "ids"))
      return nullptr;
    auto ids = argInput(*b, "ids");
    if (!ids || !checkInputShape(*inputs.lookup(*ids), b->valueLoc("ids"),
                                 "document()", DType::I32, {"tokens"}, {0}))
      return nullptr;
    m->kind = MaskKind::Document;
    m->input = *ids;
    return m;
  }
  if (name == "prefix_lm") {
    auto b = bind(e, {"length"}, 1);
    if (!b || !require(*b, "length"))
      return nullptr;
    m->kind = MaskKind::PrefixLM;
    const ast::Expr *len = b->get("length");
    // A name that is not a shape constant is a per-batch kernel input.
    if (len->kind == ast::ExprKind::Ident && !consts.count(len->name)) {
      auto in = argInput(*b, "length");
      if (!in || !checkInputShape(*inputs.lookup(*in), b->valueLoc("length"),
                                  "prefix_lm()", DType::I32, {"batch"}, {0}))
        return nullptr;
      m->input = *in;
      return m;
    }
    auto n = argInt(*b, "length", 0, 0);
    if (!n)
      return nullptr;
    m->length = *n;
    return m;
  }
  if (name == "chunked") {
    auto b = bind(e, {"size", "offset"}, 2);
    if (!b || !require(*b, "size"))
      return nullptr;
    auto size = argInt(*b, "size", 0, 1);
    auto off = argInt(*b, "offset", 0, 0);
    if (!size || !off)
      return nullptr;
    m->kind = MaskKind::Chunked;
    m->size = *size;
    m->offset = *off;
    return m;
  }
  // predicate
  auto b = bind(e, {"condition"}, 1);
  if (!b || !require(*b, "condition"))
    return nullptr;
  const ast::Expr *cond = b->get("condition");
  ExprPtr p = lowerExpr(*cond, /*inScore=*/false);
  if (!p)
    return nullptr;
  if (p->type != ExprType::Bool) {
    err(cond->startLoc(), std::string("predicate() expects a boolean "
                                      "expression, found ") +
                              typeName(p->type));
    return nullptr;
  }
  m->kind = MaskKind::Predicate;
  m->predicate = p;
  return m;
}

//===----------------------------------------------------------------------===//
// Typed expressions
//===----------------------------------------------------------------------===//

ExprPtr SpecAnalyzer::makeExpr(ExprKind kind, ExprType type, SMLoc loc) {
  auto e = std::make_shared<Expr>();
  e->kind = kind;
  e->type = type;
  e->loc = srcLoc(loc);
  return e;
}

ExprPtr SpecAnalyzer::promote(ExprPtr e, ExprType to) {
  if (e->type == to || to != ExprType::Float || e->type != ExprType::Int)
    return e;
  if (e->kind == ExprKind::IntConst) {
    // Fold promoted literals: `score / 30` keeps a plain float constant.
    auto c = std::make_shared<Expr>(*e);
    c->kind = ExprKind::FloatConst;
    c->type = ExprType::Float;
    c->floatValue = double(e->intValue);
    c->intValue = 0;
    return c;
  }
  auto c = std::make_shared<Expr>();
  c->kind = ExprKind::Cast;
  c->type = ExprType::Float;
  c->loc = e->loc;
  c->operands.push_back(e);
  return c;
}

ExprPtr SpecAnalyzer::makeBinary(ExprOp op, ExprPtr a, ExprPtr b, SMLoc loc) {
  ExprType t = (a->type == ExprType::Float || b->type == ExprType::Float)
                   ? ExprType::Float
                   : ExprType::Int;
  if (op == ExprOp::Pow)
    t = ExprType::Float;
  auto e = makeExpr(ExprKind::Binary, t, loc);
  e->op = op;
  e->operands.push_back(promote(a, t));
  e->operands.push_back(promote(b, t));
  return e;
}

ExprPtr SpecAnalyzer::lowerExpr(const ast::Expr &e, bool inScore) {
  using ast::ExprKind;
  using ast::Op;
  switch (e.kind) {
  case ExprKind::Int: {
    auto c = makeExpr(attnc::ExprKind::IntConst, ExprType::Int, e.loc);
    c->intValue = e.intValue;
    return c;
  }
  case ExprKind::Float: {
    auto c = makeExpr(attnc::ExprKind::FloatConst, ExprType::Float, e.loc);
    c->floatValue = e.floatValue;
    return c;
  }
  case ExprKind::Bool: {
    auto c = makeExpr(attnc::ExprKind::BoolConst, ExprType::Bool, e.loc);
    c->intValue = e.intValue;
    return c;
  }
  case ExprKind::Ident: {
    std::optional<ExprVar> var =
        llvm::StringSwitch<std::optional<ExprVar>>(e.name)
            .Case("batch", ExprVar::Batch)
            .Case("head", ExprVar::Head)
            .Case("kv_head", ExprVar::KVHead)
            .Case("q_pos", ExprVar::QPos)
            .Case("k_pos", ExprVar::KPos)
            .Case("q_len", ExprVar::QLen)
            .Case("k_len", ExprVar::KLen)
            .Case("score", ExprVar::Score)
            .Default(std::nullopt);
    if (var) {
      if (*var == ExprVar::Score && !inScore) {
        err(e.loc, "'score' is only available in score expressions");
        return nullptr;
      }
      auto v = makeExpr(attnc::ExprKind::Var,
                        *var == ExprVar::Score ? ExprType::Float : ExprType::Int,
                        e.loc);
      v->var = *var;
      return v;
    }
    // Shape properties are compile-time integers here too.
    auto it = consts.find(e.name);
    if (it != consts.end()) {
      auto c = makeExpr(attnc::ExprKind::IntConst, ExprType::Int, e.loc);
      c->intValue = it->second;
      return c;
    }
    if (const ast::InputDecl *in = inputs.lookup(e.name)) {
      usedInputs.insert(e.name);
      err(e.loc, "kernel input '" + e.name + "' must be indexed (it has " +
                     Twine(in->dims.size()) + " dimension" +
                     (in->dims.size() == 1 ? "" : "s") + ")");
      return nullptr;
    }
    llvm::SmallVector<StringRef, 24> names(std::begin(kVarNames),
                                           std::end(kVarNames));
    names.append(std::begin(kShapeNames), std::end(kShapeNames));
    err(e.loc, "unknown name '" + e.name + "'" + didYouMean(e.name, names));
    return nullptr;
  }
  case ExprKind::Index:
    return lowerIndex(e, inScore);
  case ExprKind::Call:
    return lowerCall(e, inScore);
  case ExprKind::Unary: {
    ExprPtr x = lowerExpr(*e.operands[0], inScore);
    if (!x)
      return nullptr;
    bool isNot = e.op == Op::Not;
    if (isNot != (x->type == ExprType::Bool)) {
      err(e.loc, Twine("operator '") + ast::opSpelling(e.op) + "' expects " +
                     (isNot ? "a boolean" : "a number") + ", found " +
                     typeName(x->type));
      return nullptr;
    }
    auto u = makeExpr(attnc::ExprKind::Unary, x->type, e.loc);
    u->op = isNot ? ExprOp::Not : ExprOp::Neg;
    u->operands.push_back(x);
    return u;
  }
  case ExprKind::Binary: {
    ExprPtr a = lowerExpr(*e.operands[0], inScore);
    ExprPtr b = a ? lowerExpr(*e.operands[1], inScore) : nullptr;
    if (!a || !b)
      return nullptr;
    auto opError = [&](const char *want) -> ExprPtr {
      err(e.loc, Twine("operator '") + ast::opSpelling(e.op) + "' expects " +
                     want + ", found " + typeName(a->type) + " and " +
                     typeName(b->type));
      return nullptr;
    };
    bool numeric = a->type != ExprType::Bool && b->type != ExprType::Bool;
    switch (e.op) {
    case Op::And:
    case Op::Or: {
      if (a->type != ExprType::Bool || b->type != ExprType::Bool)
        return opError("booleans");
      auto r = makeExpr(attnc::ExprKind::Binary, ExprType::Bool, e.loc);
      r->op = e.op == Op::And ? ExprOp::And : ExprOp::Or;
      r->operands = {a, b};
      return r;
    }
    case Op::Eq: case Op::Ne: case Op::Lt: case Op::Le: case Op::Gt:
    case Op::Ge: {
      bool equality = e.op == Op::Eq || e.op == Op::Ne;
      bool bothBool = a->type == ExprType::Bool && b->type == ExprType::Bool;
      if (!numeric && !(equality && bothBool))
        return opError(equality ? "two numbers or two booleans" : "numbers");
      ExprOp op = e.op == Op::Eq   ? ExprOp::Eq
                  : e.op == Op::Ne ? ExprOp::Ne
                  : e.op == Op::Lt ? ExprOp::Lt
                  : e.op == Op::Le ? ExprOp::Le
                  : e.op == Op::Gt ? ExprOp::Gt
                                   : ExprOp::Ge;
      ExprType common = bothBool ? ExprType::Bool
                        : (a->type == ExprType::Float ||
                           b->type == ExprType::Float)
                            ? ExprType::Float
                            : ExprType::Int;
      auto r = makeExpr(attnc::ExprKind::Binary, ExprType::Bool, e.loc);
      r->op = op;
      r->operands = {promote(a, common), promote(b, common)};
      return r;
    }
    case Op::Rem:
      if (a->type != ExprType::Int || b->type != ExprType::Int)
        return opError("integers");
      return makeBinary(ExprOp::Rem, a, b, e.loc);
    default: {
      if (!numeric)
        return opError("numbers");
      ExprOp op = e.op == Op::Add   ? ExprOp::Add
                  : e.op == Op::Sub ? ExprOp::Sub
                  : e.op == Op::Mul ? ExprOp::Mul
                  : e.op == Op::Div ? ExprOp::Div
                                    : ExprOp::Pow;
      return makeBinary(op, a, b, e.loc);
    }
    }
  }
  case ExprKind::Ternary: {
    ExprPtr c = lowerExpr(*e.operands[0], inScore);
    ExprPtr a = c ? lowerExpr(*e.operands[1], inScore) : nullptr;
    ExprPtr b = a ? lowerExpr(*e.operands[2], inScore) : nullptr;
    if (!b)
      return nullptr;
    if (c->type != ExprType::Bool) {
      err(e.operands[0]->startLoc(),
          std::string("condition of '?' must be a boolean, found ") +
              typeName(c->type));
      return nullptr;
    }
    if ((a->type == ExprType::Bool) != (b->type == ExprType::Bool)) {
      err(e.loc, std::string("branches of '?' have different types: ") +
                     typeName(a->type) + " and " + typeName(b->type));
      return nullptr;
    }
    ExprType t = (a->type == ExprType::Float || b->type == ExprType::Float)
                     ? ExprType::Float
                     : a->type;
    auto s = makeExpr(attnc::ExprKind::Select, t, e.loc);
    s->operands = {c, promote(a, t), promote(b, t)};
    return s;
  }
  case ExprKind::String:
  case ExprKind::List:
    err(e.loc, "expected an expression, found " + describe(e));
    return nullptr;
  }
  return nullptr;
}

ExprPtr SpecAnalyzer::lowerIndex(const ast::Expr &e, bool inScore) {
  // Collect `NAME[i][j]` from the outside in.
  llvm::SmallVector<const ast::Expr *, 2> indices;
  const ast::Expr *base = &e;
  while (base->kind == ast::ExprKind::Index) {
    indices.push_back(base->operands[1].get());
    base = base->operands[0].get();
  }
  std::reverse(indices.begin(), indices.end());
  if (base->kind != ast::ExprKind::Ident) {
    err(base->loc, "only kernel inputs can be indexed, found " + describe(*base));
    return nullptr;
  }
  if (llvm::is_contained(kVarNames, StringRef(base->name)) ||
      consts.count(base->name)) {
    err(base->loc, "'" + base->name + "' is not a kernel input and cannot "
                                     "be indexed");
    return nullptr;
  }
  const ast::InputDecl *in = useInput(base->name, base->loc);
  if (!in)
    return nullptr;
  if (indices.size() != in->dims.size()) {
    err(e.loc, "kernel input '" + in->name + "' has " +
                   Twine(in->dims.size()) + " dimension" +
                   (in->dims.size() == 1 ? "" : "s") + " but is indexed with " +
                   Twine(indices.size()));
    return nullptr;
  }
  auto dtype = parseDType(in->dtype);
  auto r = makeExpr(attnc::ExprKind::Input,
                    dtype && isFloatDType(*dtype) ? ExprType::Float
                                                  : ExprType::Int,
                    base->loc);
  r->inputName = in->name;
  for (const ast::Expr *idx : indices) {
    ExprPtr x = lowerExpr(*idx, inScore);
    if (!x)
      return nullptr;
    if (x->type != ExprType::Int) {
      err(idx->startLoc(), "index of '" + in->name +
                               "' must be an integer, found " +
                               typeName(x->type));
      return nullptr;
    }
    r->operands.push_back(x);
  }
  return r;
}

ExprPtr SpecAnalyzer::lowerCall(const ast::Expr &e, bool inScore) {
  StringRef fn = e.name;
  if (!llvm::is_contained(kFunctions, fn)) {
    std::string hint = didYouMean(fn, kFunctions);
    if (hint.empty() && llvm::is_contained(kMaskAtoms, fn))
      hint = "; mask atoms cannot be used inside an expression";
    err(e.loc, "unknown function '" + fn + "'" + hint);
    return nullptr;
  }
  std::vector<ExprPtr> args;
  for (const ast::Arg &a : e.args) {
    if (!a.name.empty()) {
      err(a.nameLoc, "arguments of " + fn + "() cannot be named");
      return nullptr;
    }
    ExprPtr x = lowerExpr(*a.value, inScore);
    if (!x)
      return nullptr;
    args.push_back(x);
  }
  auto arity = [&](size_t lo, size_t hi) {
    if (args.size() >= lo && args.size() <= hi)
      return true;
    std::string want = lo == hi ? std::to_string(lo)
                                : std::to_string(lo) + " or " + std::to_string(hi);
    return err(e.loc, fn + "() takes " + want + " argument" +
                          (hi == 1 ? "" : "s") + ", found " +
                          Twine(args.size()));
  };
  auto numeric = [&](size_t i) {
    if (args[i]->type != ExprType::Bool)
      return true;
    return err(e.args[i].value->startLoc(),
               "argument " + Twine(i + 1) + " of " + fn +
                   "() must be a number, found a boolean");
  };
  auto call = [&](ExprCallee callee, ExprType t) {
    auto c = makeExpr(attnc::ExprKind::Call, t, e.loc);
    c->callee = callee;
    for (ExprPtr &a : args)
      c->operands.push_back(promote(a, t));
    return c;
  };

  if (fn == "select" || fn == "where") {
    if (!arity(3, 3))
      return nullptr;
    if (args[0]->type != ExprType::Bool) {
      err(e.args[0].value->startLoc(),
          "condition of " + fn + "() must be a boolean, found " +
              typeName(args[0]->type));
      return nullptr;
    }
    if ((args[1]->type == ExprType::Bool) != (args[2]->type == ExprType::Bool)) {
      err(e.loc, "branches of " + fn + "() have different types: " +
                     typeName(args[1]->type) + " and " +
                     typeName(args[2]->type));
      return nullptr;
    }
    ExprType t = (args[1]->type == ExprType::Float ||
                  args[2]->type == ExprType::Float)
                     ? ExprType::Float
                     : args[1]->type;
    auto s = makeExpr(attnc::ExprKind::Select, t, e.loc);
    s->operands = {args[0], promote(args[1], t), promote(args[2], t)};
    return s;
  }
  if (fn == "softcap") {
    // softcap(c) = softcap(score, c) = c * tanh(score / c).
    if (!arity(inScore ? 1 : 2, 2))
      return nullptr;
    if (args.size() == 1) {
      auto s = makeExpr(attnc::ExprKind::Var, ExprType::Float, e.loc);
      s->var = ExprVar::Score;
      args.insert(args.begin(), s);
    }
    for (size_t i = 0; i < args.size(); ++i) {
      if (args[i]->type == ExprType::Bool) {
        err(e.loc, "arguments of softcap() must be numbers");
        return nullptr;
      }
    }
    ExprPtr x = promote(args[0], ExprType::Float);
    ExprPtr c = promote(args[1], ExprType::Float);
    ExprPtr div = makeBinary(ExprOp::Div, x, c, e.loc);
    auto tanh = makeExpr(attnc::ExprKind::Call, ExprType::Float, e.loc);
    tanh->callee = ExprCallee::Tanh;
    tanh->operands.push_back(div);
    return makeBinary(ExprOp::Mul, c, tanh, e.loc);
  }
  bool binary = fn == "min" || fn == "max" || fn == "pow";
  if (!arity(binary ? 2 : 1, binary ? 2 : 1))
    return nullptr;
  for (size_t i = 0; i < args.size(); ++i)
    if (!numeric(i))
      return nullptr;
  if (fn == "pow")
    return makeBinary(ExprOp::Pow, args[0], args[1], e.loc);
  if (fn == "min" || fn == "max" || fn == "abs") {
    ExprType t = ExprType::Int;
    for (ExprPtr &a : args)
      if (a->type == ExprType::Float)
        t = ExprType::Float;
    return call(fn == "min"   ? ExprCallee::Min
                : fn == "max" ? ExprCallee::Max
                              : ExprCallee::Abs,
                t);
  }
  ExprCallee callee = llvm::StringSwitch<ExprCallee>(fn)
                          .Case("tanh", ExprCallee::Tanh)
                          .Case("exp", ExprCallee::Exp)
                          .Case("log", ExprCallee::Log)
                          .Case("sqrt", ExprCallee::Sqrt)
                          .Case("floor", ExprCallee::Floor)
                          .Default(ExprCallee::Ceil);
  return call(callee, ExprType::Float);
}

//===----------------------------------------------------------------------===//
// Head ranges
//===----------------------------------------------------------------------===//

void SpecAnalyzer::resolveMasksAndScores() {
  struct Ranged {
    int64_t begin, end;
    const ast::Assignment *as;
  };
  // Evaluates and checks `[lo:hi]` of each ranged assignment, sorted.
  auto collect = [&](const std::vector<const ast::Assignment *> &list,
                     std::vector<Ranged> &out) {
    bool ok = true;
    for (const ast::Assignment *as : list) {
      auto lo = evalInt(*as->rangeBegin, "head range");
      auto hi = evalInt(*as->rangeEnd, "head range");
      if (!lo || !hi) {
        ok = false;
        continue;
      }
      if (*lo < 0 || *hi > spec.heads || *lo >= *hi) {
        ok = err(as->rangeLoc, "head range [" + Twine(*lo) + ":" + Twine(*hi) +
                                   ") must satisfy 0 <= lo < hi <= heads (" +
                                   Twine(spec.heads) + ")");
        continue;
      }
      out.push_back({*lo, *hi, as});
    }
    // Ties broken by source order, so reports are deterministic.
    llvm::sort(out, [](const Ranged &a, const Ranged &b) {
      if (a.begin != b.begin)
        return a.begin < b.begin;
      return a.as->nameLoc.getPointer() < b.as->nameLoc.getPointer();
    });
    for (size_t i = 1; i < out.size(); ++i) {
      const Ranged &prev = out[i - 1], &cur = out[i];
      if (cur.begin >= prev.end)
        continue;
      // Report at whichever assignment comes later in the source.
      const Ranged &later = prev.as->nameLoc.getPointer() >
                                    cur.as->nameLoc.getPointer()
                                ? prev
                                : cur;
      const Ranged &earlier = &later == &prev ? cur : prev;
      if (prev.begin == cur.begin && prev.end == cur.end)
        err(later.as->nameLoc, "property '" + later.as->name + "[" +
                                   Twine(later.begin) + ":" + Twine(later.end) +
                                   "]' is already set");
      else
        err(later.as->rangeLoc,
            "head range [" + Twine(later.begin) + ":" + Twine(later.end) +
                ") of '" + later.as->name + "' overlaps [" +
                Twine(earlier.begin) + ":" + Twine(earlier.end) + ")");
      diag.note(earlier.as->nameLoc, "previous assignment is here");
      ok = false;
    }
    return ok;
  };

  // Masks: ranged masks plus the unranged fallback must cover all heads.
  std::vector<Ranged> masks;
  bool masksOk = collect(rangedMasks, masks);
  MaskPtr fallback;
  const ast::Assignment *unranged = props.lookup("mask");
  if (unranged) {
    fallback = lowerMask(*unranged->value);
    masksOk &= fallback != nullptr;
  }
  std::vector<MaskPtr> lowered;
  for (const Ranged &r : masks) {
    MaskPtr m = lowerMask(*r.as->value);
    masksOk &= m != nullptr;
    lowered.push_back(m);
  }
  if (masksOk) {
    if (!unranged && masks.empty()) {
      auto full = std::make_shared<Mask>();
      full->kind = MaskKind::Full;
      full->loc = srcLoc(attn.nameLoc);
      fallback = full;
    }
    int64_t next = 0;
    auto fill = [&](int64_t upTo) {
      if (next >= upTo)
        return true;
      if (!fallback)
        return err(masks.front().as->nameLoc,
                   "heads [" + Twine(next) + ":" + Twine(upTo) +
                       ") have no mask; add a head range or an unranged "
                       "'mask' as the fallback");
      spec.masks.push_back({next, upTo, fallback});
      return true;
    };
    bool covered = true;
    for (size_t i = 0; covered && i < masks.size(); ++i) {
      covered = fill(masks[i].begin);
      spec.masks.push_back({masks[i].begin, masks[i].end, lowered[i]});
      next = masks[i].end;
    }
    if (covered) // one gap report is enough
      fill(spec.heads);
  }

  // Scores: the identity (null) fills heads no score covers.
  std::vector<Ranged> scores;
  bool scoresOk = collect(rangedScores, scores);
  ExprPtr scoreFallback;
  auto lowerScore = [&](const ast::Expr &value) -> ExprPtr {
    ExprPtr s = lowerExpr(value, /*inScore=*/true);
    if (!s)
      return nullptr;
    if (s->type == ExprType::Bool) {
      err(value.startLoc(), "'score' expects a number, found a boolean");
      return nullptr;
    }
    return promote(s, ExprType::Float);
  };
  const ast::Assignment *unrangedScore = props.lookup("score");
  if (unrangedScore) {
    scoreFallback = lowerScore(*unrangedScore->value);
    scoresOk &= scoreFallback != nullptr;
  }
  if (!unrangedScore && scores.empty())
    return;
  std::vector<ExprPtr> loweredScores;
  for (const Ranged &r : scores) {
    ExprPtr s = lowerScore(*r.as->value);
    scoresOk &= s != nullptr;
    loweredScores.push_back(s);
  }
  if (!scoresOk)
    return;
  int64_t next = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    if (next < scores[i].begin)
      spec.scores.push_back({next, scores[i].begin, scoreFallback});
    spec.scores.push_back({scores[i].begin, scores[i].end, loweredScores[i]});
    next = scores[i].end;
  }
  if (next < spec.heads)
    spec.scores.push_back({next, spec.heads, scoreFallback});
}

void SpecAnalyzer::checkInputsUsed() {
  for (const ast::Statement &s : attn.statements) {
    if (s.kind != ast::Statement::Input)
      continue;
    const ast::InputDecl &in = s.input;
    // Only the first declaration counts; duplicates were reported.
    if (inputs.lookup(in.name) == &in && !usedInputs.count(in.name))
      err(in.nameLoc, "kernel input '" + in.name + "' is never used");
  }
}

std::optional<Spec> SpecAnalyzer::run() {
  spec.name = attn.name;
  spec.loc = srcLoc(attn.nameLoc);
  collectInputs();
  collectAssignments();
  if (!resolveShape() || diag.shouldStop())
    return std::nullopt;
  resolveTypes();
  resolveScale();
  resolveLse();
  resolvePosition();
  resolveNormalizer();
  resolveTile();
  resolveBlocks();
  resolveCache();
  resolveMasksAndScores();
  // Unused-input errors would only repeat earlier failures.
  if (!failed)
    checkInputsUsed();
  if (failed)
    return std::nullopt;
  return std::move(spec);
}

} // namespace

std::optional<std::vector<Spec>>
attnc::analyzeModule(const ast::Module &module, DiagnosticEngine &diag) {
  std::vector<Spec> specs;
  llvm::StringMap<const ast::Attention *> names;
  bool ok = true;
  for (const ast::Attention &a : module.specs) {
    if (diag.shouldStop())
      return std::nullopt;
    auto inserted = names.try_emplace(a.name, &a);
    if (!inserted.second) {
      diag.error(a.nameLoc, "attention '" + a.name + "' is already defined");
      diag.note(inserted.first->second->nameLoc, "previous definition is here");
      ok = false;
      continue;
    }
    SpecAnalyzer analyzer(diag, a);
    diag.defer();
    std::optional<Spec> spec = analyzer.run();
    diag.flush();
    if (spec)
      specs.push_back(std::move(*spec));
    else
      ok = false;
  }
  if (!ok)
    return std::nullopt;
  return specs;
}
