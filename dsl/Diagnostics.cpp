//===- Diagnostics.cpp - Error reporting for the .attn front end ----------===//

#include "dsl/Diagnostics.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>

using namespace attnc;

DiagnosticEngine::DiagnosticEngine(llvm::SourceMgr &sm)
    : DiagnosticEngine(sm, llvm::errs()) {}

DiagnosticEngine::DiagnosticEngine(llvm::SourceMgr &sm, llvm::raw_ostream &os)
    : sm(sm), os(os) {}

bool DiagnosticEngine::error(llvm::SMLoc loc, const llvm::Twine &msg) {
  if (errors >= kMaxErrors) {
    // Say so once, then drop everything (including notes of dropped errors).
    stopped = true;
    if (!deferred && !stopReported)
      reportStop();
    lastErrorDropped = true;
    return false;
  }
  ++errors;
  lastErrorDropped = false;
  Message m{loc, false, msg.str()};
  if (deferred)
    pending.push_back({std::move(m)});
  else
    print(m);
  return false;
}

void DiagnosticEngine::note(llvm::SMLoc loc, const llvm::Twine &msg) {
  if (lastErrorDropped)
    return;
  Message m{loc, true, msg.str()};
  if (deferred && !pending.empty())
    pending.back().push_back(std::move(m));
  else
    print(m);
}

void DiagnosticEngine::print(const Message &m) {
  sm.PrintMessage(os, m.loc,
                  m.isNote ? llvm::SourceMgr::DK_Note
                           : llvm::SourceMgr::DK_Error,
                  m.text);
}

void DiagnosticEngine::flush() {
  // Sort by position; two errors at one position keep the order they were
  // found in. (std::sort on indices: libstdc++'s stable_sort warns with
  // clang 19.)
  std::vector<size_t> order(pending.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const char *pa = pending[a].front().loc.getPointer();
    const char *pb = pending[b].front().loc.getPointer();
    return pa != pb ? pa < pb : a < b;
  });
  for (size_t i : order)
    for (const Message &m : pending[i])
      print(m);
  pending.clear();
  deferred = false;
  if (stopped && !stopReported)
    reportStop();
}

void DiagnosticEngine::reportStop() {
  stopReported = true;
  os << "error: too many errors, stopping\n";
}

SourceLoc DiagnosticEngine::toSourceLoc(llvm::SMLoc loc) const {
  SourceLoc result;
  if (!loc.isValid())
    return result;
  unsigned id = sm.FindBufferContainingLoc(loc);
  if (!id)
    return result;
  result.file = sm.getMemoryBuffer(id)->getBufferIdentifier().str();
  auto lineCol = sm.getLineAndColumn(loc, id);
  result.line = lineCol.first;
  result.col = lineCol.second;
  return result;
}
