//===- dsl_fuzzer.cpp - libFuzzer entry point for the .attn front end -----===//
//
// Lexes, parses and analyzes arbitrary bytes; diagnostics go to a null
// stream. Any crash, sanitizer report or hang is a front-end bug: every input
// must end in either a Spec or a clean error.
//
//===----------------------------------------------------------------------===//

#include "dsl/AST.h"
#include "dsl/Diagnostics.h"
#include "dsl/Frontend.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::SourceMgr sm;
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  unsigned id = sm.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(text, "fuzz.attn"), llvm::SMLoc());
  attnc::DiagnosticEngine diag(sm, llvm::nulls());
  std::unique_ptr<attnc::ast::Module> module =
      attnc::parseSpecBuffer(sm, id, diag);
  if (!module)
    return 0;
  // The AST printer and the spec printer run on every accepted input too.
  attnc::dumpAST(*module, llvm::nulls());
  if (auto specs = attnc::analyzeModule(*module, diag))
    for (const attnc::Spec &spec : *specs)
      attnc::printSpec(spec, llvm::nulls());
  return 0;
}
