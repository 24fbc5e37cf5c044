//===- RopeFrequencies.h - Inverse frequencies of each RoPE scaling -*- C++ -*-===//
//
// Compile-time tables of the per-pair inverse frequencies theta_j for every
// RoPE scaling (docs/semantics.md). Rules that depend on the run-time length
// (dynamic NTK, LongRoPE's short/long choice) are described by flags and
// resolved in the generated kernel.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_CODEGEN_LOWERTOLOOPS_ROPEFREQUENCIES_H
#define ATTNC_CODEGEN_LOWERTOLOOPS_ROPEFREQUENCIES_H

#include "dialects/Attn/IR/AttnAttrs.h"

#include <vector>

namespace mlir::attn {

struct RopeFrequencies {
  /// rotary_dim / 2 inverse frequencies (LongRoPE: the short-factor table).
  std::vector<double> invFreq;
  /// LongRoPE only: the long-factor table, used when the current length
  /// exceeds `originalContext`.
  std::vector<double> invFreqLong;
  /// Multiplies cos and sin (YaRN, LongRoPE), so logits scale by its square.
  double attentionFactor = 1.0;
  /// Dynamic NTK: the base is recomputed from the current length.
  bool dynamicNTK = false;
  double theta = 10000.0;
  double factor = 1.0;
  int64_t originalContext = 0;
  int64_t rotaryDim = 0;
};

RopeFrequencies computeRopeFrequencies(RopeAttr rope);

} // namespace mlir::attn

#endif // ATTNC_CODEGEN_LOWERTOLOOPS_ROPEFREQUENCIES_H
