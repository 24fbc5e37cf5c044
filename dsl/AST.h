//===- AST.h - Syntax tree of .attn files ------------------------*- C++ -*-===//
//
// The tree mirrors the grammar in docs/language.md and carries no meaning:
// whether `causal` is a mask or `10000` a theta is decided by Sema, which
// also owns every semantic check. Each node keeps the location of its first
// (or operator) token for diagnostics.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_DSL_AST_H
#define ATTNC_DSL_AST_H

#include "llvm/Support/SMLoc.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace attnc {
namespace ast {

enum class ExprKind {
  Int,     // intValue
  Float,   // floatValue (spelling keeps the source text)
  String,  // name = contents without quotes
  Bool,    // intValue 0/1
  Ident,   // name
  Call,    // name(args)
  Index,   // operands[0][operands[1]]
  Unary,   // op operands[0]
  Binary,  // operands[0] op operands[1]
  Ternary, // operands[0] ? operands[1] : operands[2]
  List,    // [operands...]
};

enum class Op {
  Neg, Not,
  Add, Sub, Mul, Div, Rem, Pow,
  Eq, Ne, Lt, Le, Gt, Ge,
  And, Or,
};
const char *opSpelling(Op op);

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Arg {
  std::string name; // empty for a positional argument
  llvm::SMLoc nameLoc;
  ExprPtr value;
};

struct Expr {
  ExprKind kind;
  llvm::SMLoc loc;     // first token, or the operator for Unary/Binary/Ternary
  std::string name;    // Ident, Call, String
  std::string spelling; // Int / Float source text
  int64_t intValue = 0;
  double floatValue = 0;
  Op op = Op::Add;
  std::vector<ExprPtr> operands;
  std::vector<Arg> args; // Call
  unsigned depth = 1;    // height of this subtree, bounded by the parser

  Expr(ExprKind kind, llvm::SMLoc loc) : kind(kind), loc(loc) {}
  /// The leftmost source position of this expression (for Binary nodes `loc`
  /// is the operator).
  llvm::SMLoc startLoc() const;
};

struct InputDim {
  std::string text; // a symbol or a decimal integer
  bool isInt = false;
  int64_t value = 0;
  llvm::SMLoc loc;
};

struct InputDecl {
  std::string name;
  llvm::SMLoc loc;     // the `input` keyword
  llvm::SMLoc nameLoc;
  std::string dtype;
  llvm::SMLoc dtypeLoc;
  std::vector<InputDim> dims;
};

struct Assignment {
  std::string name;
  llvm::SMLoc nameLoc;
  ExprPtr rangeBegin, rangeEnd; // `name[lo:hi]`; both null if absent
  llvm::SMLoc rangeLoc;         // the `[`
  ExprPtr value;
};

struct Statement {
  enum Kind { Input, Assign } kind;
  InputDecl input;       // kind == Input
  Assignment assignment; // kind == Assign
};

struct Attention {
  std::string name;
  llvm::SMLoc loc;     // the `attention` keyword
  llvm::SMLoc nameLoc;
  std::vector<Statement> statements; // in source order
};

struct Module {
  std::string fileName;
  const char *bufferStart = nullptr; // for line:col in dumpAST
  std::vector<Attention> specs;
};

} // namespace ast
} // namespace attnc

#endif // ATTNC_DSL_AST_H
