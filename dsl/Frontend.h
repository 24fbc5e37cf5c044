//===- Frontend.h - Parse and check .attn specs ------------------*- C++ -*-===//
//
// The entry points of the DSL front end: lexing and parsing build an AST
// (dsl/AST.h); semantic analysis checks it and resolves defaults into the
// plain Spec model (dsl/Spec.h). Errors go through the DiagnosticEngine as
// `file:line:col: error: ...` with the source line and a caret.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_DSL_FRONTEND_H
#define ATTNC_DSL_FRONTEND_H

#include "dsl/Spec.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace llvm {
class SourceMgr;
class raw_ostream;
} // namespace llvm

namespace attnc {
class DiagnosticEngine;
namespace ast {
struct Module;
} // namespace ast

/// Lexes and parses buffer `bufferId` of `sm`. Returns null after reporting
/// at least one error.
std::unique_ptr<ast::Module> parseSpecBuffer(llvm::SourceMgr &sm,
                                             unsigned bufferId,
                                             DiagnosticEngine &diag);

/// Prints the syntax tree in a stable, indented form (`attnc --emit=ast`).
void dumpAST(const ast::Module &module, llvm::raw_ostream &os);

/// Checks the module and resolves every default. Returns std::nullopt after
/// reporting at least one error.
std::optional<std::vector<Spec>> analyzeModule(const ast::Module &module,
                                               DiagnosticEngine &diag);

/// Reads `path` (or stdin for "-"), parses and analyzes it, printing
/// diagnostics to llvm::errs(). Returns std::nullopt on any error.
std::optional<std::vector<Spec>> loadSpecFile(const std::string &path);

} // namespace attnc

#endif // ATTNC_DSL_FRONTEND_H
