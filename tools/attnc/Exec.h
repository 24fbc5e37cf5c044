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
  bool noAmx = false;   // bf16 products on AVX-512 even where the host has AMX
  std::map<std::string, std::string> inputs; // kernel input name -> .npy
  // --decode: the cache kernels (append, then one decode step per query).
  bool decode = false;
  unsigned splits = 3;      // KV splits of each decode step
  unsigned appendChunk = 7; // tokens per append call before the queries
  unsigned queryChunk = 1;  // queries per decode call (rows over one sequence)
  uint64_t seed = 1;        // physical page order of a paged cache
  /// --decode: a directory to write the run's trace into (trace.txt and raw
  /// buffers), which bench/gpu/gpu_check.cpp replays on a GPU.
  std::string traceDir;
};

/// Compiles `spec` in process and runs its prefill kernel, or with
/// `decode` its append and decode kernels; returns the exit code (errors are
/// printed).
int runExec(const Spec &spec, const ExecOptions &options);

} // namespace attnc

#endif // ATTNC_TOOLS_ATTNC_EXEC_H
