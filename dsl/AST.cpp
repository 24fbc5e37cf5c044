//===- AST.cpp - Syntax tree printing -------------------------------------===//
//
// `attnc --emit=ast`: one line per statement, expressions as fully
// parenthesized prefix forms so tests can check precedence and
// associativity exactly, e.g. `mask = (& causal (call window 4096))`.
//
//===----------------------------------------------------------------------===//

#include "dsl/AST.h"
#include "dsl/Frontend.h"

#include "llvm/Support/raw_ostream.h"

using namespace attnc::ast;

const char *attnc::ast::opSpelling(Op op) {
  switch (op) {
  case Op::Neg: return "-";
  case Op::Not: return "!";
  case Op::Add: return "+";
  case Op::Sub: return "-";
  case Op::Mul: return "*";
  case Op::Div: return "/";
  case Op::Rem: return "%";
  case Op::Pow: return "**";
  case Op::Eq: return "==";
  case Op::Ne: return "!=";
  case Op::Lt: return "<";
  case Op::Le: return "<=";
  case Op::Gt: return ">";
  case Op::Ge: return ">=";
  case Op::And: return "&";
  case Op::Or: return "|";
  }
  return "?";
}

llvm::SMLoc Expr::startLoc() const {
  const Expr *e = this;
  // Binary and Index nodes start at their first operand; the chain is short
  // because the parser bounds the tree height.
  while ((e->kind == ExprKind::Binary || e->kind == ExprKind::Index ||
          e->kind == ExprKind::Ternary) &&
         !e->operands.empty() && e->operands[0])
    e = e->operands[0].get();
  return e->loc;
}

static void printAstExpr(const Expr &e, llvm::raw_ostream &os) {
  switch (e.kind) {
  case ExprKind::Int:
  case ExprKind::Float:
    os << e.spelling;
    return;
  case ExprKind::String:
    os << '"' << e.name << '"';
    return;
  case ExprKind::Bool:
    os << (e.intValue ? "true" : "false");
    return;
  case ExprKind::Ident:
    os << e.name;
    return;
  case ExprKind::Call:
    os << "(call " << e.name;
    for (const Arg &a : e.args) {
      os << ' ';
      if (!a.name.empty())
        os << a.name << '=';
      printAstExpr(*a.value, os);
    }
    os << ')';
    return;
  case ExprKind::Index:
    os << "(index ";
    printAstExpr(*e.operands[0], os);
    os << ' ';
    printAstExpr(*e.operands[1], os);
    os << ')';
    return;
  case ExprKind::Unary:
  case ExprKind::Binary:
    os << '(' << opSpelling(e.op);
    for (const ExprPtr &o : e.operands) {
      os << ' ';
      printAstExpr(*o, os);
    }
    os << ')';
    return;
  case ExprKind::Ternary:
    os << "(?";
    for (const ExprPtr &o : e.operands) {
      os << ' ';
      printAstExpr(*o, os);
    }
    os << ')';
    return;
  case ExprKind::List:
    os << "(list";
    for (const ExprPtr &o : e.operands) {
      os << ' ';
      printAstExpr(*o, os);
    }
    os << ')';
    return;
  }
}

namespace {
/// Prints `line:col` of locations relative to the start of the buffer; the
/// AST has no SourceMgr. Locations arrive mostly in increasing order, so
/// scanning resumes from the previous one instead of the buffer start.
struct LocPrinter {
  const char *bufStart;
  const char *pos;
  unsigned line = 1, col = 1;
  explicit LocPrinter(const char *bufStart) : bufStart(bufStart), pos(bufStart) {}

  void print(llvm::SMLoc loc, llvm::raw_ostream &os) {
    if (!bufStart || !loc.isValid()) {
      os << "?:?";
      return;
    }
    const char *target = loc.getPointer();
    if (target < pos) {
      pos = bufStart;
      line = col = 1;
    }
    for (; pos < target; ++pos) {
      if (*pos == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    os << line << ':' << col;
  }
};
} // namespace

void attnc::dumpAST(const Module &module, llvm::raw_ostream &os) {
  os << "module " << module.fileName << '\n';
  LocPrinter locs(module.bufferStart);
  for (const Attention &a : module.specs) {
    os << "attention " << a.name << " @";
    locs.print(a.loc, os);
    os << '\n';
    for (const Statement &s : a.statements) {
      if (s.kind == Statement::Input) {
        const InputDecl &in = s.input;
        os << "  input " << in.name << " @";
        locs.print(in.loc, os);
        os << " : " << in.dtype << '[';
        for (size_t i = 0; i < in.dims.size(); ++i)
          os << (i ? ", " : "") << in.dims[i].text;
        os << "]\n";
        continue;
      }
      const Assignment &as = s.assignment;
      os << "  assign " << as.name;
      if (as.rangeBegin) {
        os << '[';
        printAstExpr(*as.rangeBegin, os);
        os << ':';
        printAstExpr(*as.rangeEnd, os);
        os << ']';
      }
      os << " @";
      locs.print(as.nameLoc, os);
      os << " = ";
      printAstExpr(*as.value, os);
      os << '\n';
    }
  }
}
