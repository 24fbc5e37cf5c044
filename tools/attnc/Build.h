//===- Build.h - attnc build ---------------------------------------*- C++ -*-===//
#ifndef ATTNC_TOOLS_ATTNC_BUILD_H
#define ATTNC_TOOLS_ATTNC_BUILD_H

#include "dsl/Spec.h"

#include <string>
#include <vector>

namespace attnc {

struct BuildOptions {
  std::string outDir;
  std::string libName;
  std::string cpu; // empty or "native": the host CPU and its features
  bool noShared = false;
  bool verbose = true;
};

/// Compiles `specs` ahead of time into DIR/lib<name>.a, DIR/lib<name>.so and
/// DIR/<name>.h. Returns the exit code (errors are printed).
int runBuild(const std::vector<Spec> &specs, const BuildOptions &options);

} // namespace attnc

#endif // ATTNC_TOOLS_ATTNC_BUILD_H
