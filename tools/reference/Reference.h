//===- Reference.h - The float64 reference of one attention call -*- C++ -*-===//
//
// Plain float64 loops written from the formulas of docs/semantics.md, for
// judging generated kernels (tools/attnc-check). It reads the resolved Spec
// model (dsl/Spec.h) and nothing else: no MLIR, no code shared with codegen/.
//
// What it computes is the prefill call of `attnc exec`: Q [Lq, heads, D],
// K [Lk, kv_heads, D], V [Lk, kv_heads, Dv], output [Lq, heads, Dv] and
// lse [Lq, heads]. Static block layouts (spec.blocks) and the cache layout
// (paging, ring, quantization) are not applied by the prefill kernel yet, so
// the reference ignores them too.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_TOOLS_REFERENCE_REFERENCE_H
#define ATTNC_TOOLS_REFERENCE_REFERENCE_H

#include "dsl/Spec.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace attnc {

/// A kernel input as the reference sees it: values converted to double,
/// C order.
struct RefTensor {
  std::vector<int64_t> shape;
  std::vector<double> values;
};

struct ReferenceInputs {
  int64_t lq = 0, lk = 0;
  std::vector<double> q; // [Lq, heads, D]
  std::vector<double> k; // [Lk, kv_heads, D]
  std::vector<double> v; // [Lk, kv_heads, Dv]
  /// Positions; empty means the default (key j at j, query i at Lk - Lq + i).
  std::vector<int64_t> qPos, kPos;
  std::map<std::string, RefTensor> inputs; // kernel inputs by name
  int64_t batch = 0;
  /// Current length for length-dependent RoPE scalings; < 0 means Lk.
  int64_t seqLen = -1;
  /// Keys are already rotated (read from a cache written with RoPE
  /// `on_write`): the reference uses them as they are.
  bool keysRotated = false;
};

struct ReferenceResult {
  std::vector<double> out;        // [Lq, heads, Dv]
  std::vector<double> lse;        // [Lq, heads], natural log of the denominator
  std::vector<char> fullyMasked;  // [Lq, heads]: no kept key (output exactly 0)
};

/// Computes one attention call. Returns false (and sets `error`) when the
/// inputs do not fit the spec (shapes, a missing kernel input).
bool referenceAttention(const Spec &spec, const ReferenceInputs &inputs,
                        ReferenceResult &result, std::string &error);

/// RoPE inverse frequencies theta'_j, j in [0, rotary_dim/2), for the current
/// length `seqLen`, rounded to f32 as semantics.md §5.1 requires.
std::vector<double> referenceInvFreq(const Position &position, int64_t seqLen);

/// HF T5 `_relative_position_bucket(relative_position, bidirectional,
/// num_buckets, max_distance)`.
int64_t referenceT5Bucket(int64_t relativePosition, bool bidirectional,
                          int64_t numBuckets, int64_t maxDistance);

/// Whether `mask` keeps the pair (qPos, kPos) for query head `head`.
bool referenceMaskKeeps(const Mask &mask, const Spec &spec,
                        const ReferenceInputs &inputs, int64_t head,
                        int64_t qPos, int64_t kPos);

/// Rotates the `head_dim` values at `x` by the spec's RoPE at `pos`, with
/// the scaling evaluated for length `seqLen` (what an `on_write` cache
/// stores for a key). A no-op without RoPE.
void referenceRotate(const Spec &spec, double *x, int64_t pos, int64_t seqLen);

/// Replaces the values `*x[0..n)` of one quantization group by what the
/// quantized cache returns for them (semantics.md §8.4): int8 symmetric or
/// fp8 (nearest-even, saturating) with an f32 scale over the group, int4
/// asymmetric (f32 minimum and (max - min) / 15). A group is one row (int8,
/// fp8 per token), a channel slice of one row (int4 per token) or one
/// channel over a token group (per channel). A no-op for an unquantized
/// cache.
void referenceQuantizeGroup(const CacheQuant &quant, double *const *x, int64_t n);

/// Quantizes one cached row (one token, one KV head, `n` channels) per
/// token: the whole row (int8, fp8) or channel groups of `quant.group`
/// (int4).
void referenceQuantizeRow(const CacheQuant &quant, double *x, int64_t n);

/// The non-negative finite values of an FP8 format, by code (0..127 for
/// e4m3fn without the NaN code, 0..123 for e5m2 without inf/NaN).
std::vector<double> referenceFP8Grid(FP8Format format);

/// Rounds `x` to the nearest bf16 / f16 / f32 value (ties to even), as the
/// kernel sees its inputs when they are stored in that type.
double roundToDType(double x, DType type);

} // namespace attnc

#endif // ATTNC_TOOLS_REFERENCE_REFERENCE_H
