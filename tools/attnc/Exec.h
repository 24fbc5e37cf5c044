//===- Exec.h - attnc exec ----------------------------------------*- C++ -*-===//
#ifndef ATTNC_TOOLS_ATTNC_EXEC_H
#define ATTNC_TOOLS_ATTNC_EXEC_H

#include "dsl/Spec.h"

#include <map>
#include <string>

namespace attnc {

struct ExecOptions {
  std::string q, k, v, out, lseOut, positions;
  std::string dtype; // empty: the spec's
  unsigned threads = 0; // 0: one per hardware thread
  std::map<std::string, std::string> inputs; // kernel input name -> .npy
};

/// Compiles `spec` in process and runs its prefill kernel; returns the exit
/// code (errors are printed).
int runExec(const Spec &spec, const ExecOptions &options);

} // namespace attnc

#endif // ATTNC_TOOLS_ATTNC_EXEC_H
