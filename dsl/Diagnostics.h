//===- Diagnostics.h - Error reporting for the .attn front end ---*- C++ -*-===//
//
// A thin layer over llvm::SourceMgr: every message is printed as
// `file:line:col: error: message` followed by the source line and a caret.
// After kMaxErrors errors the engine prints "too many errors, stopping" once
// (at the next error) and drops everything else, so a garbage input cannot flood the terminal;
// the parser and Sema poll shouldStop() to bail out early.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_DSL_DIAGNOSTICS_H
#define ATTNC_DSL_DIAGNOSTICS_H

#include "dsl/Spec.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/SMLoc.h"

#include <string>
#include <vector>

namespace llvm {
class SourceMgr;
class raw_ostream;
} // namespace llvm

namespace attnc {

class DiagnosticEngine {
public:
  static constexpr unsigned kMaxErrors = 20;

  /// Messages go to `os` (llvm::errs() by default; llvm::nulls() in the
  /// fuzzer).
  explicit DiagnosticEngine(llvm::SourceMgr &sm);
  DiagnosticEngine(llvm::SourceMgr &sm, llvm::raw_ostream &os);

  /// Reports an error at `loc`. Returns false so callers can write
  /// `return diag.error(...)` in functions that return a success flag.
  bool error(llvm::SMLoc loc, const llvm::Twine &msg);
  /// Attaches a note to the previous error (dropped if that error was).
  void note(llvm::SMLoc loc, const llvm::Twine &msg);

  unsigned numErrors() const { return errors; }
  bool hasErrors() const { return errors != 0; }
  /// True once an error past the limit was dropped: stop producing work.
  bool shouldStop() const { return stopped; }

  /// While deferred, messages are recorded instead of printed; flush()
  /// prints them sorted by source position (notes stay with their error).
  /// Sema resolves properties in dependency order, not source order; this
  /// keeps its output top to bottom.
  void defer() { deferred = true; }
  void flush();

  llvm::SourceMgr &getSourceMgr() const { return sm; }
  /// Converts a buffer position to a 1-based file:line:col location.
  SourceLoc toSourceLoc(llvm::SMLoc loc) const;

private:
  struct Message {
    llvm::SMLoc loc;
    bool isNote;
    std::string text;
  };
  void print(const Message &m);
  void reportStop();

  llvm::SourceMgr &sm;
  llvm::raw_ostream &os;
  unsigned errors = 0;
  bool lastErrorDropped = false;
  bool stopped = false;
  bool deferred = false;
  bool stopReported = false;
  std::vector<std::vector<Message>> pending; // one group per error
};

} // namespace attnc

#endif // ATTNC_DSL_DIAGNOSTICS_H
