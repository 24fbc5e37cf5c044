//===- Parser.cpp - Recursive-descent parser for .attn files --------------===//
//
// One function per grammar rule of docs/language.md. Binary operators are
// parsed with loops (left associative); `**` recurses to the right.
//
//===----------------------------------------------------------------------===//

#include "dsl/Parser.h"
#include "dsl/Diagnostics.h"
#include "dsl/Frontend.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

// Only the syntax-tree namespace is opened: attnc::Expr (the typed
// expression of Spec.h) would clash with ast::Expr.
using namespace attnc::ast;
namespace ast = attnc::ast;
using attnc::DepthScope;
using attnc::DiagnosticEngine;
using attnc::Parser;
using attnc::Tok;
using attnc::Token;

Parser::Parser(llvm::StringRef buffer, llvm::StringRef fileName,
               DiagnosticEngine &diag)
    : buffer(buffer), fileName(fileName.str()), lexer(buffer, diag),
      diag(diag) {
  tok = lexer.next();
}

//===----------------------------------------------------------------------===//
// Tokens and errors
//===----------------------------------------------------------------------===//

void Parser::consume() {
  if (tok.is(Tok::Eof))
    return;
  prevEnd = tok.text.end();
  if (hasPeeked) {
    tok = peeked;
    hasPeeked = false;
  } else {
    tok = lexer.next();
  }
}

const Token &Parser::peek() {
  if (!hasPeeked) {
    peeked = tok.is(Tok::Eof) ? tok : lexer.next();
    hasPeeked = true;
  }
  return peeked;
}

bool Parser::consumeIf(Tok kind) {
  if (!tok.is(kind))
    return false;
  consume();
  return true;
}

std::string Parser::describe(const Token &t) const {
  switch (t.kind) {
  case Tok::Eof:
    return "end of file";
  case Tok::String:
    return "a string";
  default:
    break;
  }
  // Fuzzed inputs can have very long tokens; keep the message readable.
  llvm::StringRef text = t.text;
  if (text.size() > 32)
    return "'" + text.take_front(32).str() + "...'";
  return "'" + text.str() + "'";
}

bool Parser::errorExpected(const llvm::Twine &what) {
  // The lexer already reported why this token is bad.
  if (tok.is(Tok::Error))
    return false;
  // At the end of the file, point just past the last token: the end itself
  // is often a blank line far from the mistake.
  llvm::SMLoc loc = tok.loc();
  if (tok.is(Tok::Eof) && prevEnd)
    loc = llvm::SMLoc::getFromPointer(prevEnd);
  return diag.error(loc, "expected " + what + ", found " + describe(tok));
}

void Parser::expectClosing(const llvm::Twine &what, llvm::SMLoc open,
                           const char *openSpelling) {
  if (tok.is(Tok::Error))
    return;
  errorExpected(what);
  diag.note(open, llvm::Twine("to match this ") + openSpelling);
}

bool Parser::expect(Tok kind, const llvm::Twine &what) {
  if (consumeIf(kind))
    return true;
  return errorExpected(what);
}

bool Parser::expectTerminator(const llvm::Twine &what) {
  if (consumeIf(Tok::Semi))
    return true;
  if (tok.is(Tok::Error))
    return false;
  // Like clang, point just past the statement that lacks its `;`: the next
  // token is often on another line and says nothing about the mistake.
  llvm::SMLoc loc = prevEnd ? llvm::SMLoc::getFromPointer(prevEnd) : tok.loc();
  return diag.error(loc, "expected " + what + ", found " + describe(tok));
}

void Parser::synchronize() {
  // Skip the rest of the broken statement; stop before a `}` or the next
  // spec so the enclosing rule can still close properly.
  while (!tok.is(Tok::Eof) && !tok.is(Tok::RBrace) &&
         !tok.is(Tok::KwAttention)) {
    if (tok.is(Tok::Semi)) {
      consume();
      return;
    }
    consume();
  }
}

bool Parser::enter() {
  ++depth;
  if (depth <= kMaxNesting)
    return true;
  if (!nestingReported)
    diag.error(tok.loc(), "nesting deeper than " + llvm::Twine(kMaxNesting) +
                              " levels");
  nestingReported = true;
  return false;
}

bool Parser::checkHeight(ast::Expr &e) {
  unsigned height = 0;
  for (const ast::ExprPtr &o : e.operands)
    height = std::max(height, o->depth);
  for (const Arg &a : e.args)
    height = std::max(height, a.value->depth);
  e.depth = height + 1;
  if (e.depth <= kMaxNesting)
    return true;
  if (!nestingReported)
    diag.error(e.loc, "nesting deeper than " + llvm::Twine(kMaxNesting) +
                          " levels");
  nestingReported = true;
  return false;
}

ast::ExprPtr Parser::makeNode(ast::ExprKind kind, llvm::SMLoc loc, ast::Op op,
                         std::vector<ast::ExprPtr> operands) {
  auto e = std::make_unique<ast::Expr>(kind, loc);
  e->op = op;
  e->operands = std::move(operands);
  if (!checkHeight(*e))
    return nullptr;
  return e;
}

//===----------------------------------------------------------------------===//
// Declarations
//===----------------------------------------------------------------------===//

std::unique_ptr<Module> Parser::parseModule() {
  unsigned errorsBefore = diag.numErrors();
  auto module = std::make_unique<Module>();
  module->fileName = fileName;
  module->bufferStart = buffer.begin();

  while (!tok.is(Tok::Eof) && !diag.shouldStop()) {
    if (tok.is(Tok::KwAttention)) {
      parseAttention(*module);
      continue;
    }
    errorExpected("'attention'");
    // Resynchronize at the next spec.
    while (!tok.is(Tok::Eof) && !tok.is(Tok::KwAttention))
      consume();
  }
  if (diag.numErrors() != errorsBefore || diag.shouldStop())
    return nullptr;
  if (module->specs.empty()) {
    diag.error(llvm::SMLoc::getFromPointer(buffer.begin()),
               "no attention spec in file");
    return nullptr;
  }
  return module;
}

bool Parser::parseAttention(Module &module) {
  Attention spec;
  spec.loc = tok.loc();
  consume(); // attention
  spec.nameLoc = tok.loc();
  if (tok.is(Tok::Ident)) {
    spec.name = tok.text.str();
    consume();
  } else {
    errorExpected("spec name after 'attention'");
    // Without a name there is nothing sensible to attach statements to.
    while (!tok.is(Tok::Eof) && !tok.is(Tok::KwAttention))
      consume();
    return false;
  }
  llvm::SMLoc lbrace = tok.loc();
  if (!expect(Tok::LBrace, "'{' after spec name")) {
    while (!tok.is(Tok::Eof) && !tok.is(Tok::KwAttention))
      consume();
    return false;
  }

  bool ok = true, lastFailed = false;
  while (!tok.is(Tok::RBrace) && !diag.shouldStop()) {
    // A statement cut off by the end of the file was already reported.
    if (tok.is(Tok::Eof) && lastFailed) {
      module.specs.push_back(std::move(spec));
      return false;
    }
    if (tok.is(Tok::Eof) || tok.is(Tok::KwAttention)) {
      expectClosing("'}' at end of attention '" + spec.name + "'", lbrace,
                    "'{'");
      module.specs.push_back(std::move(spec));
      return false;
    }
    lastFailed = !parseStatement(spec);
    if (lastFailed) {
      ok = false;
      synchronize();
    }
  }
  consume(); // }
  module.specs.push_back(std::move(spec));
  return ok;
}

bool Parser::parseStatement(Attention &spec) {
  if (tok.is(Tok::KwInput))
    return parseInput(spec);
  if (tok.is(Tok::Ident))
    return parseAssignment(spec);
  return errorExpected("a property name or 'input'");
}

bool Parser::parseInput(Attention &spec) {
  Statement stmt;
  stmt.kind = Statement::Input;
  InputDecl &in = stmt.input;
  in.loc = tok.loc();
  consume(); // input
  in.nameLoc = tok.loc();
  if (!tok.is(Tok::Ident))
    return errorExpected("kernel input name after 'input'");
  in.name = tok.text.str();
  consume();
  if (!expect(Tok::Colon, "':' after kernel input name"))
    return false;
  in.dtypeLoc = tok.loc();
  if (!tok.is(Tok::Ident))
    return errorExpected("an element type (f32, f16, bf16, i32, i64, i8, u8)");
  in.dtype = tok.text.str();
  consume();
  if (!expect(Tok::LBracket, "'[' after the element type"))
    return false;
  do {
    InputDim dim;
    dim.loc = tok.loc();
    dim.text = tok.text.str();
    if (tok.is(Tok::Int)) {
      dim.isInt = true;
      dim.value = tok.intValue;
    } else if (!tok.is(Tok::Ident)) {
      return errorExpected("a dimension (a name or an integer)");
    }
    consume();
    in.dims.push_back(std::move(dim));
  } while (consumeIf(Tok::Comma));
  if (!expect(Tok::RBracket, "',' or ']' in the dimension list"))
    return false;
  if (!expectTerminator("';' after kernel input declaration"))
    return false;
  spec.statements.push_back(std::move(stmt));
  return true;
}

bool Parser::parseAssignment(Attention &spec) {
  Statement stmt;
  stmt.kind = Statement::Assign;
  Assignment &as = stmt.assignment;
  as.name = tok.text.str();
  as.nameLoc = tok.loc();
  consume();
  if (tok.is(Tok::LBracket)) {
    as.rangeLoc = tok.loc();
    consume();
    as.rangeBegin = parseExpr();
    if (!as.rangeBegin)
      return false;
    if (!expect(Tok::Colon, "':' in head range"))
      return false;
    as.rangeEnd = parseExpr();
    if (!as.rangeEnd)
      return false;
    if (!expect(Tok::RBracket, "']' after head range"))
      return false;
  }
  if (!expect(Tok::Assign, "'=' after property '" + as.name + "'"))
    return false;
  as.value = parseExpr();
  if (!as.value)
    return false;
  if (!expectTerminator("';' after property value"))
    return false;
  spec.statements.push_back(std::move(stmt));
  return true;
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

ast::ExprPtr Parser::parseExpr() {
  bool ok = enter();
  DepthScope scope(depth);
  if (!ok)
    return nullptr;
  return parseTernary();
}

ast::ExprPtr Parser::parseTernary() {
  ast::ExprPtr cond = parseOr();
  if (!cond || !tok.is(Tok::Question))
    return cond;
  llvm::SMLoc loc = tok.loc();
  consume();
  ast::ExprPtr a = parseExpr();
  if (!a)
    return nullptr;
  if (!expect(Tok::Colon, "':' in conditional expression"))
    return nullptr;
  ast::ExprPtr b = parseExpr();
  if (!b)
    return nullptr;
  std::vector<ast::ExprPtr> ops;
  ops.push_back(std::move(cond));
  ops.push_back(std::move(a));
  ops.push_back(std::move(b));
  return makeNode(ast::ExprKind::Ternary, loc, ast::Op::Add, std::move(ops));
}

ast::ExprPtr Parser::makeBinary(llvm::SMLoc loc, ast::Op op, ast::ExprPtr lhs,
                                ast::ExprPtr rhs) {
  std::vector<ast::ExprPtr> ops;
  ops.push_back(std::move(lhs));
  ops.push_back(std::move(rhs));
  return makeNode(ast::ExprKind::Binary, loc, op, std::move(ops));
}

/// One left-associative precedence level: operands from `next`, operators
/// recognized by `match`.
ast::ExprPtr Parser::parseLeftAssoc(ast::ExprPtr (Parser::*next)(),
                                    bool (*match)(Tok, ast::Op &)) {
  ast::ExprPtr lhs = (this->*next)();
  ast::Op op;
  while (lhs && match(tok.kind, op)) {
    llvm::SMLoc loc = tok.loc();
    consume();
    ast::ExprPtr rhs = (this->*next)();
    if (!rhs)
      return nullptr;
    lhs = makeBinary(loc, op, std::move(lhs), std::move(rhs));
  }
  return lhs;
}

static bool matchOr(Tok kind, ast::Op &op) {
  op = ast::Op::Or;
  return kind == Tok::Pipe;
}
static bool matchAnd(Tok kind, ast::Op &op) {
  op = ast::Op::And;
  return kind == Tok::Amp;
}
static bool matchAdd(Tok kind, ast::Op &op) {
  switch (kind) {
  case Tok::Plus: op = ast::Op::Add; return true;
  case Tok::Minus: op = ast::Op::Sub; return true;
  default: return false;
  }
}
static bool matchMul(Tok kind, ast::Op &op) {
  switch (kind) {
  case Tok::Star: op = ast::Op::Mul; return true;
  case Tok::Slash: op = ast::Op::Div; return true;
  case Tok::Percent: op = ast::Op::Rem; return true;
  default: return false;
  }
}
static bool matchCmp(Tok kind, ast::Op &op) {
  switch (kind) {
  case Tok::EqEq: op = ast::Op::Eq; return true;
  case Tok::NotEq: op = ast::Op::Ne; return true;
  case Tok::Less: op = ast::Op::Lt; return true;
  case Tok::LessEq: op = ast::Op::Le; return true;
  case Tok::Greater: op = ast::Op::Gt; return true;
  case Tok::GreaterEq: op = ast::Op::Ge; return true;
  default: return false;
  }
}

ast::ExprPtr Parser::parseOr() { return parseLeftAssoc(&Parser::parseAnd, matchOr); }
ast::ExprPtr Parser::parseAnd() { return parseLeftAssoc(&Parser::parseCmp, matchAnd); }
ast::ExprPtr Parser::parseAdd() { return parseLeftAssoc(&Parser::parseMul, matchAdd); }
ast::ExprPtr Parser::parseMul() { return parseLeftAssoc(&Parser::parseUnary, matchMul); }

ast::ExprPtr Parser::parseCmp() {
  ast::ExprPtr lhs = parseAdd();
  ast::Op op;
  if (!lhs || !matchCmp(tok.kind, op))
    return lhs;
  llvm::SMLoc loc = tok.loc();
  consume();
  ast::ExprPtr rhs = parseAdd();
  if (!rhs)
    return nullptr;
  // `a < b < c` almost never means what it says; the grammar makes
  // comparisons non-associative.
  ast::Op again;
  if (matchCmp(tok.kind, again)) {
    diag.error(tok.loc(), "comparison operators cannot be chained; use "
                          "parentheses or '&'");
    return nullptr;
  }
  return makeBinary(loc, op, std::move(lhs), std::move(rhs));
}

ast::ExprPtr Parser::parseUnary() {
  if (!tok.is(Tok::Minus) && !tok.is(Tok::Bang))
    return parsePower();
  ast::Op op = tok.is(Tok::Minus) ? ast::Op::Neg : ast::Op::Not;
  llvm::SMLoc loc = tok.loc();
  bool ok = enter();
  DepthScope scope(depth);
  if (!ok)
    return nullptr;
  consume();
  ast::ExprPtr operand = parseUnary();
  if (!operand)
    return nullptr;
  std::vector<ast::ExprPtr> ops;
  ops.push_back(std::move(operand));
  return makeNode(ast::ExprKind::Unary, loc, op, std::move(ops));
}

ast::ExprPtr Parser::parsePower() {
  ast::ExprPtr base = parsePostfix();
  if (!base || !tok.is(Tok::StarStar))
    return base;
  llvm::SMLoc loc = tok.loc();
  bool ok = enter();
  DepthScope scope(depth);
  if (!ok)
    return nullptr;
  consume();
  // Right associative, and the exponent may carry a sign: 2 ** -0.5.
  ast::ExprPtr exponent = parseUnary();
  if (!exponent)
    return nullptr;
  return makeBinary(loc, ast::Op::Pow, std::move(base), std::move(exponent));
}

ast::ExprPtr Parser::parsePostfix() {
  ast::ExprPtr e = parsePrimary();
  while (e && tok.is(Tok::LBracket)) {
    llvm::SMLoc loc = tok.loc();
    consume();
    ast::ExprPtr index = parseExpr();
    if (!index)
      return nullptr;
    if (!expect(Tok::RBracket, "']' after index"))
      return nullptr;
    std::vector<ast::ExprPtr> ops;
    ops.push_back(std::move(e));
    ops.push_back(std::move(index));
    e = makeNode(ast::ExprKind::Index, loc, ast::Op::Add, std::move(ops));
  }
  return e;
}

ast::ExprPtr Parser::parsePrimary() {
  llvm::SMLoc loc = tok.loc();
  switch (tok.kind) {
  case Tok::Int:
  case Tok::Float: {
    auto e = std::make_unique<ast::Expr>(
        tok.is(Tok::Int) ? ast::ExprKind::Int : ast::ExprKind::Float, loc);
    e->spelling = tok.text.str();
    e->intValue = tok.intValue;
    e->floatValue = tok.floatValue;
    consume();
    return e;
  }
  case Tok::String: {
    auto e = std::make_unique<ast::Expr>(ast::ExprKind::String, loc);
    e->name = tok.text.drop_front().drop_back().str();
    consume();
    return e;
  }
  case Tok::KwTrue:
  case Tok::KwFalse: {
    auto e = std::make_unique<ast::Expr>(ast::ExprKind::Bool, loc);
    e->intValue = tok.is(Tok::KwTrue);
    consume();
    return e;
  }
  case Tok::Ident: {
    bool isCall = peek().is(Tok::LParen);
    auto e = std::make_unique<ast::Expr>(isCall ? ast::ExprKind::Call : ast::ExprKind::Ident,
                                    loc);
    e->name = tok.text.str();
    consume();
    if (isCall && (!parseCallArgs(*e) || !checkHeight(*e)))
      return nullptr;
    return e;
  }
  case Tok::LParen: {
    consume();
    ast::ExprPtr inner = parseExpr();
    if (!inner)
      return nullptr;
    if (!tok.is(Tok::RParen)) {
      expectClosing("')'", loc, "'('");
      return nullptr;
    }
    consume();
    return inner;
  }
  case Tok::LBracket: {
    auto e = std::make_unique<ast::Expr>(ast::ExprKind::List, loc);
    if (!parseList(*e) || !checkHeight(*e))
      return nullptr;
    return e;
  }
  default:
    errorExpected("an expression");
    return nullptr;
  }
}

bool Parser::parseCallArgs(ast::Expr &call) {
  llvm::SMLoc lparen = tok.loc();
  consume(); // (
  while (!tok.is(Tok::RParen)) {
    Arg arg;
    arg.nameLoc = tok.loc();
    if (tok.is(Tok::Ident) && peek().is(Tok::Assign)) {
      arg.name = tok.text.str();
      consume(); // name
      consume(); // =
    }
    arg.value = parseExpr();
    if (!arg.value)
      return false;
    call.args.push_back(std::move(arg));
    if (consumeIf(Tok::Comma))
      continue;
    if (!tok.is(Tok::RParen)) {
      expectClosing("',' or ')' in arguments of '" + call.name + "'", lparen,
                    "'('");
      return false;
    }
  }
  consume(); // )
  return true;
}

bool Parser::parseList(ast::Expr &list) {
  llvm::SMLoc lbracket = tok.loc();
  consume(); // [
  while (!tok.is(Tok::RBracket)) {
    ast::ExprPtr element = parseExpr();
    if (!element)
      return false;
    list.operands.push_back(std::move(element));
    if (consumeIf(Tok::Comma))
      continue;
    if (!tok.is(Tok::RBracket)) {
      expectClosing("',' or ']' in list", lbracket, "'['");
      return false;
    }
  }
  consume(); // ]
  return true;
}

//===----------------------------------------------------------------------===//
// Entry point
//===----------------------------------------------------------------------===//

std::unique_ptr<Module> attnc::parseSpecBuffer(llvm::SourceMgr &sm,
                                               unsigned bufferId,
                                               DiagnosticEngine &diag) {
  const llvm::MemoryBuffer *buf = sm.getMemoryBuffer(bufferId);
  Parser parser(buf->getBuffer(), buf->getBufferIdentifier(), diag);
  return parser.parseModule();
}
