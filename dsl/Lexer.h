//===- Lexer.h - Tokens of the .attn language --------------------*- C++ -*-===//
#ifndef ATTNC_DSL_LEXER_H
#define ATTNC_DSL_LEXER_H

#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/SMLoc.h"

#include <cstdint>
#include <string>

namespace attnc {
class DiagnosticEngine;

enum class Tok {
  Eof,
  Error, // a lexical error, already reported
  Ident,
  Int,
  Float,
  String,
  KwAttention,
  KwInput,
  KwTrue,
  KwFalse,
  LBrace, RBrace, LParen, RParen, LBracket, RBracket,
  Semi, Colon, Comma, Assign, Question,
  Plus, Minus, Star, Slash, Percent, StarStar, Bang,
  Amp, Pipe, // `&`/`&&` and `|`/`||` lex to the same token
  EqEq, NotEq, Less, LessEq, Greater, GreaterEq,
};

/// How a token kind is spelled in "expected X" messages.
const char *tokSpelling(Tok kind);

struct Token {
  Tok kind = Tok::Eof;
  llvm::StringRef text; // points into the source buffer
  int64_t intValue = 0;
  double floatValue = 0;

  llvm::SMLoc loc() const { return llvm::SMLoc::getFromPointer(text.data()); }
  bool is(Tok k) const { return kind == k; }
};

class Lexer {
public:
  Lexer(llvm::StringRef buffer, DiagnosticEngine &diag);

  /// Returns the next token; lexical errors are reported and yield Tok::Error
  /// (the offending characters are skipped, so lexing always makes progress).
  Token next();

private:
  Token make(Tok kind, const char *start);
  Token error(const char *start, const char *errLoc, const llvm::Twine &msg);
  bool skipTrivia(); // whitespace and comments; false on an unterminated one
  Token lexNumber(const char *start);
  Token lexIdent(const char *start);
  Token lexString(const char *start);

  const char *cur, *end;
  DiagnosticEngine &diag;
  Token pendingError; // set when skipTrivia failed
};

} // namespace attnc

#endif // ATTNC_DSL_LEXER_H
