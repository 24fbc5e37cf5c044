//===- Sema.h - Semantic analysis of .attn specs -----------------*- C++ -*-===//
//
// Sema checks every property, argument, type and range described in
// docs/language.md and resolves the syntax tree into the plain Spec model
// (dsl/Spec.h): defaults filled in, constant expressions folded, ALiBi slopes
// and RoPE scaling factors computed, head-range masks sorted and checked for
// coverage, general expressions typed. The entry point is
// attnc::analyzeModule (dsl/Frontend.h); this header exposes the pieces that
// are useful on their own.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_DSL_SEMA_H
#define ATTNC_DSL_SEMA_H

#include "dsl/Frontend.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>
#include <vector>

namespace attnc {

/// Standard ALiBi slopes for `heads` heads (Press et al.; the HF/llama.cpp
/// "interleave" rule for counts that are not a power of two).
std::vector<double> alibiSlopes(int64_t heads, double maxBias);

/// "; did you mean 'x'?" for the candidate closest to `name`, or "".
std::string didYouMean(llvm::StringRef name,
                       llvm::ArrayRef<llvm::StringRef> candidates);

} // namespace attnc

#endif // ATTNC_DSL_SEMA_H
