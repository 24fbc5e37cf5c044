//===- Lexer.cpp - Tokens of the .attn language ---------------------------===//

#include "dsl/Lexer.h"
#include "dsl/Diagnostics.h"

#include "llvm/ADT/StringSwitch.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

using namespace attnc;

const char *attnc::tokSpelling(Tok kind) {
  switch (kind) {
  case Tok::Eof: return "end of file";
  case Tok::Error: return "invalid token";
  case Tok::Ident: return "identifier";
  case Tok::Int: return "integer";
  case Tok::Float: return "number";
  case Tok::String: return "string";
  case Tok::KwAttention: return "'attention'";
  case Tok::KwInput: return "'input'";
  case Tok::KwTrue: return "'true'";
  case Tok::KwFalse: return "'false'";
  case Tok::LBrace: return "'{'";
  case Tok::RBrace: return "'}'";
  case Tok::LParen: return "'('";
  case Tok::RParen: return "')'";
  case Tok::LBracket: return "'['";
  case Tok::RBracket: return "']'";
  case Tok::Semi: return "';'";
  case Tok::Colon: return "':'";
  case Tok::Comma: return "','";
  case Tok::Assign: return "'='";
  case Tok::Question: return "'?'";
  case Tok::Plus: return "'+'";
  case Tok::Minus: return "'-'";
  case Tok::Star: return "'*'";
  case Tok::Slash: return "'/'";
  case Tok::Percent: return "'%'";
  case Tok::StarStar: return "'**'";
  case Tok::Bang: return "'!'";
  case Tok::Amp: return "'&'";
  case Tok::Pipe: return "'|'";
  case Tok::EqEq: return "'=='";
  case Tok::NotEq: return "'!='";
  case Tok::Less: return "'<'";
  case Tok::LessEq: return "'<='";
  case Tok::Greater: return "'>'";
  case Tok::GreaterEq: return "'>='";
  }
  return "token";
}

static bool isIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static bool isDigit(char c) { return c >= '0' && c <= '9'; }
static bool isIdentChar(char c) { return isIdentStart(c) || isDigit(c); }

Lexer::Lexer(llvm::StringRef buffer, DiagnosticEngine &diag)
    : cur(buffer.begin()), end(buffer.end()), diag(diag) {
  pendingError.kind = Tok::Eof;
}

Token Lexer::make(Tok kind, const char *start) {
  Token t;
  t.kind = kind;
  t.text = llvm::StringRef(start, cur - start);
  return t;
}

Token Lexer::error(const char *start, const char *errLoc,
                   const llvm::Twine &msg) {
  diag.error(llvm::SMLoc::getFromPointer(errLoc), msg);
  return make(Tok::Error, start);
}

bool Lexer::skipTrivia() {
  while (cur < end) {
    char c = *cur;
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
        c == '\v') {
      ++cur;
    } else if (c == '/' && cur + 1 < end && cur[1] == '/') {
      while (cur < end && *cur != '\n')
        ++cur;
    } else if (c == '/' && cur + 1 < end && cur[1] == '*') {
      const char *start = cur;
      cur += 2;
      while (cur + 1 < end && !(cur[0] == '*' && cur[1] == '/'))
        ++cur;
      if (cur + 1 >= end) {
        cur = end;
        pendingError = error(start, start, "unterminated block comment");
        return false;
      }
      cur += 2;
    } else {
      break;
    }
  }
  return true;
}

Token Lexer::next() {
  if (!skipTrivia())
    return pendingError;
  const char *start = cur;
  if (cur >= end)
    return make(Tok::Eof, start);

  char c = *cur++;
  if (isIdentStart(c))
    return lexIdent(start);
  if (isDigit(c) || (c == '.' && cur < end && isDigit(*cur)))
    return lexNumber(start);
  if (c == '"')
    return lexString(start);

  auto next = [&](char expected) {
    if (cur < end && *cur == expected) {
      ++cur;
      return true;
    }
    return false;
  };
  switch (c) {
  case '{': return make(Tok::LBrace, start);
  case '}': return make(Tok::RBrace, start);
  case '(': return make(Tok::LParen, start);
  case ')': return make(Tok::RParen, start);
  case '[': return make(Tok::LBracket, start);
  case ']': return make(Tok::RBracket, start);
  case ';': return make(Tok::Semi, start);
  case ':': return make(Tok::Colon, start);
  case ',': return make(Tok::Comma, start);
  case '?': return make(Tok::Question, start);
  case '+': return make(Tok::Plus, start);
  case '-': return make(Tok::Minus, start);
  case '/': return make(Tok::Slash, start);
  case '%': return make(Tok::Percent, start);
  case '*': return make(next('*') ? Tok::StarStar : Tok::Star, start);
  case '&': next('&'); return make(Tok::Amp, start);
  case '|': next('|'); return make(Tok::Pipe, start);
  case '=': return make(next('=') ? Tok::EqEq : Tok::Assign, start);
  case '!': return make(next('=') ? Tok::NotEq : Tok::Bang, start);
  case '<': return make(next('=') ? Tok::LessEq : Tok::Less, start);
  case '>': return make(next('=') ? Tok::GreaterEq : Tok::Greater, start);
  default: break;
  }
  // Print unprintable bytes (binary garbage, UTF-8) as escapes so the
  // message itself stays plain ASCII; a multi-byte UTF-8 character is one
  // error, not one per byte.
  unsigned char uc = static_cast<unsigned char>(c);
  if (uc >= 0x20 && uc < 0x7f)
    return error(start, start,
                 "unexpected character '" + llvm::StringRef(start, 1) + "'");
  if (uc >= 0xC0)
    while (cur < end && cur - start < 4 &&
           (static_cast<unsigned char>(*cur) & 0xC0) == 0x80)
      ++cur;
  std::string escaped;
  for (const char *p = start; p < cur; ++p) {
    char hex[8];
    snprintf(hex, sizeof(hex), "\\x%02X", static_cast<unsigned char>(*p));
    escaped += hex;
  }
  return error(start, start, "unexpected character '" + escaped + "'");
}

Token Lexer::lexIdent(const char *start) {
  while (cur < end && isIdentChar(*cur))
    ++cur;
  llvm::StringRef text(start, cur - start);
  Tok kind = llvm::StringSwitch<Tok>(text)
                 .Case("attention", Tok::KwAttention)
                 .Case("input", Tok::KwInput)
                 .Case("true", Tok::KwTrue)
                 .Case("false", Tok::KwFalse)
                 .Default(Tok::Ident);
  return make(kind, start);
}

Token Lexer::lexNumber(const char *start) {
  // NUMBER = digits [ "." digits ] [ exponent ] | "." digits [ exponent ]
  bool isFloat = *start == '.';
  while (cur < end && isDigit(*cur))
    ++cur;
  if (!isFloat && cur < end && *cur == '.') {
    isFloat = true;
    ++cur;
    while (cur < end && isDigit(*cur))
      ++cur;
  }
  bool malformed = false;
  if (cur < end && (*cur == 'e' || *cur == 'E')) {
    isFloat = true;
    ++cur;
    if (cur < end && (*cur == '+' || *cur == '-'))
      ++cur;
    if (cur >= end || !isDigit(*cur))
      malformed = true;
    while (cur < end && isDigit(*cur))
      ++cur;
  }
  // `12abc` or `1.5.2` is one bad number, not a number and a name.
  while (cur < end && (isIdentChar(*cur) || *cur == '.')) {
    malformed = true;
    ++cur;
  }
  llvm::StringRef text(start, cur - start);
  if (malformed)
    return error(start, start, "malformed number '" + text + "'");

  Token t = make(isFloat ? Tok::Float : Tok::Int, start);
  if (!isFloat) {
    unsigned long long value;
    if (text.getAsInteger(10, value) ||
        value > static_cast<unsigned long long>(INT64_MAX))
      return error(start, start, "number out of range");
    t.intValue = static_cast<int64_t>(value);
    return t;
  }
  // strtod needs a terminated string; tokens are short, except for fuzzed
  // inputs, which are bounded by the buffer anyway.
  std::string copy = text.str();
  char *parsedEnd = nullptr;
  double value = std::strtod(copy.c_str(), &parsedEnd);
  if (!std::isfinite(value))
    return error(start, start, "number out of range");
  // Denormal results are fine, but a non-zero literal that underflows to
  // zero silently changes meaning.
  if (value == 0) {
    for (char d : text.take_while([](char ch) { return ch != 'e' && ch != 'E'; }))
      if (d >= '1' && d <= '9')
        return error(start, start, "number out of range");
  }
  t.floatValue = value;
  return t;
}

Token Lexer::lexString(const char *start) {
  while (cur < end && *cur != '"' && *cur != '\n')
    ++cur;
  if (cur >= end || *cur != '"')
    return error(start, start, "unterminated string");
  ++cur;
  return make(Tok::String, start);
}
