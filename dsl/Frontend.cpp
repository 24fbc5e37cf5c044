//===- Frontend.cpp - Load a .attn file -----------------------------------===//

#include "dsl/Frontend.h"
#include "dsl/AST.h"
#include "dsl/Diagnostics.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

using namespace attnc;

std::optional<std::vector<Spec>> attnc::loadSpecFile(const std::string &path) {
  auto fileOrErr = llvm::MemoryBuffer::getFileOrSTDIN(path, /*IsText=*/true);
  if (std::error_code ec = fileOrErr.getError()) {
    llvm::errs() << "error: cannot open '" << path << "': " << ec.message()
                 << '\n';
    return std::nullopt;
  }
  llvm::SourceMgr sm;
  unsigned id = sm.AddNewSourceBuffer(std::move(*fileOrErr), llvm::SMLoc());
  DiagnosticEngine diag(sm);
  std::unique_ptr<ast::Module> module = parseSpecBuffer(sm, id, diag);
  if (!module)
    return std::nullopt;
  return analyzeModule(*module, diag);
}
