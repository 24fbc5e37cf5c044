//===- Parser.h - Recursive-descent parser for .attn files -------*- C++ -*-===//
#ifndef ATTNC_DSL_PARSER_H
#define ATTNC_DSL_PARSER_H

#include "dsl/AST.h"
#include "dsl/Lexer.h"

#include "llvm/ADT/Twine.h"

#include <memory>

namespace attnc {
class DiagnosticEngine;

/// Parses one buffer. Syntax errors are reported, the parser skips to the
/// next `;` or `}` and goes on, so one run reports several independent
/// mistakes; parseModule() returns null if any error was reported.
class Parser {
public:
  /// Expression nesting limit: recursion depth and tree height. Keeps the
  /// parser, Sema and destructors far away from the native stack limit.
  static constexpr unsigned kMaxNesting = 256;

  Parser(llvm::StringRef buffer, llvm::StringRef fileName,
         DiagnosticEngine &diag);

  std::unique_ptr<ast::Module> parseModule();

private:
  // Tokens.
  void consume();
  const Token &peek();
  bool consumeIf(Tok kind);
  /// Reports "expected WHAT, found TOKEN" at the current token (unless it
  /// is a lexical error token, which was already reported). Returns false.
  bool errorExpected(const llvm::Twine &what);
  bool expect(Tok kind, const llvm::Twine &what);
  /// expect(Tok::Semi), reporting at the end of the previous token.
  bool expectTerminator(const llvm::Twine &what);
  /// Like errorExpected, plus a note at the unclosed bracket.
  void expectClosing(const llvm::Twine &what, llvm::SMLoc open,
                     const char *openSpelling);
  std::string describe(const Token &t) const;
  void synchronize();

  // Declarations.
  bool parseAttention(ast::Module &module);
  bool parseStatement(ast::Attention &spec);
  bool parseInput(ast::Attention &spec);
  bool parseAssignment(ast::Attention &spec);

  // Expressions; each returns null after reporting an error.
  ast::ExprPtr parseExpr();
  ast::ExprPtr parseTernary();
  ast::ExprPtr makeBinary(llvm::SMLoc loc, ast::Op op, ast::ExprPtr lhs,
                          ast::ExprPtr rhs);
  ast::ExprPtr parseLeftAssoc(ast::ExprPtr (Parser::*next)(),
                              bool (*match)(Tok, ast::Op &));
  ast::ExprPtr parseOr();
  ast::ExprPtr parseAnd();
  ast::ExprPtr parseCmp();
  ast::ExprPtr parseAdd();
  ast::ExprPtr parseMul();
  ast::ExprPtr parseUnary();
  ast::ExprPtr parsePower();
  ast::ExprPtr parsePostfix();
  ast::ExprPtr parsePrimary();
  bool parseCallArgs(ast::Expr &call);
  bool parseList(ast::Expr &list);

  /// Builds an operator node and checks the tree height limit.
  ast::ExprPtr makeNode(ast::ExprKind kind, llvm::SMLoc loc, ast::Op op,
                        std::vector<ast::ExprPtr> operands);
  bool checkHeight(ast::Expr &e);
  /// Bumps the recursion depth; false (after an error) past kMaxNesting.
  bool enter();

  llvm::StringRef buffer;
  std::string fileName;
  Lexer lexer;
  DiagnosticEngine &diag;
  Token tok;
  const char *prevEnd = nullptr; // end of the last consumed token
  Token peeked;
  bool hasPeeked = false;
  unsigned depth = 0;
  bool nestingReported = false;
};

/// RAII helper for Parser::enter().
struct DepthScope {
  unsigned &depth;
  explicit DepthScope(unsigned &depth) : depth(depth) {}
  ~DepthScope() { --depth; }
};

} // namespace attnc

#endif // ATTNC_DSL_PARSER_H
