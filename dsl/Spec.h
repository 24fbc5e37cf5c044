//===- Spec.h - The checked, resolved meaning of one .attn spec --*- C++ -*-===//
//
// Sema turns the syntax tree into this plain model; MLIRGen, the float64
// reference and the runtime read it. Nothing here knows about MLIR, so the
// reference shares no code with code generation beyond this description.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_DSL_SPEC_H
#define ATTNC_DSL_SPEC_H

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace attnc {

/// A position in a source file (1-based line and column).
struct SourceLoc {
  std::string file;
  unsigned line = 0, col = 0;
};

enum class DType { F32, F16, BF16, I32, I64, I8, U8 };
const char *dtypeName(DType t);

//===----------------------------------------------------------------------===//
// Typed expressions (general mask predicates and score modifications)
//===----------------------------------------------------------------------===//

enum class ExprType { Int, Float, Bool };

enum class ExprKind {
  IntConst,   // intValue
  FloatConst, // floatValue
  BoolConst,  // intValue (0/1)
  Var,        // var
  Input,      // inputName, operands = index expressions (1 or 2)
  Unary,      // op in {Neg, Not}, operands[0]
  Binary,     // op, operands[0..1]
  Select,     // operands = {cond, a, b}
  Call,       // callee, operands
  Cast,       // operands[0] converted to `type` (Int -> Float only)
};

enum class ExprVar { Batch, Head, KVHead, QPos, KPos, QLen, KLen, Score };

enum class ExprOp {
  Neg, Not,
  Add, Sub, Mul, Div, Rem, Pow,
  Eq, Ne, Lt, Le, Gt, Ge,
  And, Or,
};

enum class ExprCallee { Tanh, Exp, Log, Sqrt, Abs, Min, Max, Floor, Ceil };

struct Expr {
  ExprKind kind;
  ExprType type;
  SourceLoc loc;
  int64_t intValue = 0;
  double floatValue = 0;
  ExprVar var = ExprVar::QPos;
  ExprOp op = ExprOp::Add;
  ExprCallee callee = ExprCallee::Tanh;
  std::string inputName;
  std::vector<std::shared_ptr<Expr>> operands;
};
using ExprPtr = std::shared_ptr<Expr>;

//===----------------------------------------------------------------------===//
// Position encoding
//===----------------------------------------------------------------------===//

enum class RopeLayout { HalfSplit, Interleaved };
enum class RopeApply { OnWrite, OnRead };
enum class RopeScalingKind { None, Linear, NTK, DynamicNTK, YaRN, Llama3, LongRoPE };
enum class RopeRemapKind { None, ReRoPE, SelfExtend };

struct RopeScaling {
  RopeScalingKind kind = RopeScalingKind::None;
  double factor = 1.0;
  int64_t originalContext = 0;
  double betaFast = 32.0, betaSlow = 1.0; // YaRN
  double attentionFactor = 1.0;           // YaRN / LongRoPE (cos/sin multiplier)
  double lowFreqFactor = 1.0, highFreqFactor = 4.0; // Llama-3
  std::vector<double> shortFactor, longFactor;      // LongRoPE, rotaryDim/2 each
  int64_t maxContext = 0;                           // LongRoPE
};

struct RopeRemap {
  RopeRemapKind kind = RopeRemapKind::None;
  int64_t window = 0;       // ReRoPE window w; Self-Extend neighbour window W
  int64_t group = 1;        // Self-Extend group size G
  double logScaleBase = 0;  // ReRoPE log-n scaling base T (0 = off)
};

enum class PositionKind { None, RoPE, ALiBi, T5Bias };

struct Position {
  PositionKind kind = PositionKind::None;
  // RoPE
  double theta = 10000.0;
  int64_t rotaryDim = 0; // resolved: fraction * head_dim or explicit
  RopeLayout layout = RopeLayout::HalfSplit;
  RopeApply apply = RopeApply::OnWrite;
  RopeScaling scaling;
  RopeRemap remap;
  // ALiBi: one slope per query head (resolved from max_bias if not explicit)
  double maxBias = 8.0;
  bool explicitSlopes = false;
  std::vector<double> slopes;
  // T5 bias
  std::string table;
  int64_t buckets = 32, maxDistance = 128;
  bool bidirectional = false;
};

//===----------------------------------------------------------------------===//
// Masks
//===----------------------------------------------------------------------===//

enum class MaskKind {
  Full, Causal, Window, Sinks, Dilated, Global, Document, PrefixLM, Chunked,
  Predicate, And, Or, Not,
};

struct Mask {
  MaskKind kind = MaskKind::Full;
  SourceLoc loc;
  int64_t left = 0, right = 0;    // Window: keeps -right <= d < left (d = q_pos - k_pos)
  int64_t count = 0;              // Sinks: n; Global: first n
  std::vector<int64_t> tokens;    // Global: explicit token positions
  int64_t window = 0, dilation = 1, offset = 0; // Dilated (window, dilation, offset)
  int64_t size = 0;               // Chunked size (offset in `offset`)
  int64_t length = 0;             // PrefixLM constant length
  std::string input;              // Document ids / PrefixLM per-batch lengths
  ExprPtr predicate;              // Predicate
  std::vector<std::shared_ptr<Mask>> operands; // And / Or / Not
};
using MaskPtr = std::shared_ptr<Mask>;

/// A mask (or score expression) that applies to heads [headBegin, headEnd).
struct HeadMask {
  int64_t headBegin = 0, headEnd = 0;
  MaskPtr mask;
};
struct HeadScore {
  int64_t headBegin = 0, headEnd = 0;
  ExprPtr score; // null means the identity
};

//===----------------------------------------------------------------------===//
// Normalizer, sparsity, cache
//===----------------------------------------------------------------------===//

enum class NormalizerKind { Softmax, SoftmaxSinks, OffByOne };
struct Normalizer {
  NormalizerKind kind = NormalizerKind::Softmax;
  std::string sinks; // input name for SoftmaxSinks
};

enum class BlockLayoutKind { FromMask, SlidingBlocks, BigBird, Dynamic };
struct BlockLayout {
  BlockLayoutKind kind = BlockLayoutKind::FromMask;
  int64_t window = 0, global = 0, random = 0, seed = 0; // in key tiles
  int64_t topK = 0;
};

enum class CacheKind { Contiguous, Paged, Ring };
enum class CacheLayout { NHD, HND };
enum class QuantKind { None, Int8, FP8, Int4 };
enum class QuantGranularity { PerToken, PerChannel };
enum class FP8Format { E4M3, E5M2 };

struct CacheQuant {
  QuantKind kind = QuantKind::None;
  QuantGranularity granularity = QuantGranularity::PerToken; // int8 / fp8
  FP8Format format = FP8Format::E4M3;
  int64_t group = 32;                                        // int4
  QuantGranularity keys = QuantGranularity::PerChannel;      // int4 (KIVI)
  QuantGranularity values = QuantGranularity::PerToken;      // int4 (KIVI)
};

struct Cache {
  CacheKind kind = CacheKind::Contiguous;
  CacheLayout layout = CacheLayout::NHD;
  int64_t capacity = 0;  // contiguous; 0 = sized by the caller
  int64_t pageSize = 16; // paged
  int64_t sinks = 4, window = 1020; // ring
  CacheQuant quant;
};

//===----------------------------------------------------------------------===//
// Kernel inputs and the spec
//===----------------------------------------------------------------------===//

struct KernelInput {
  std::string name;
  DType dtype = DType::F32;
  std::vector<std::string> dims; // integers as decimal strings, or symbols
  SourceLoc loc;
};

struct Spec {
  std::string name;
  SourceLoc loc;
  int64_t heads = 0, kvHeads = 0, headDim = 0, valueDim = 0;
  DType qType = DType::F32, kType = DType::F32, vType = DType::F32,
        outType = DType::F32, accumType = DType::F32;
  double scale = 0; // resolved (default 1/sqrt(headDim))
  bool lse = false;
  Position position;
  std::vector<HeadMask> masks;   // sorted by headBegin, covering [0, heads)
  std::vector<HeadScore> scores; // sorted, covering [0, heads); may be empty
  Normalizer normalizer;
  int64_t qTile = 64, kTile = 64;
  BlockLayout blocks;
  Cache cache;
  std::vector<KernelInput> inputs;
};

/// How each side (keys, values) of a quantized cache is stored
/// (semantics.md §8.4, docs/kernels.md "Cache buffers").
struct QuantSide {
  /// Token groups of `group` tokens, one scale (and minimum) per (group,
  /// KV head, channel); the incomplete group stays in the residual. Else per
  /// token: one scale per (token, KV head, channel group of `group`).
  bool perChannel = false;
  int64_t group = 0;
};
struct QuantLayout {
  bool quantized = false;
  bool asymmetric = false; // int4: scale and minimum
  int codesPerByte = 1;    // 2 for int4
  QuantSide keys, values;
  bool anyPerChannel() const { return keys.perChannel || values.perChannel; }
  int64_t tokenGroup() const {
    return keys.perChannel ? keys.group : values.perChannel ? values.group : 0;
  }
};
QuantLayout quantLayout(const Spec &spec);

/// Why `spec`'s cache has no decode/append kernels yet, or "" when it has
/// them (mirrors CacheLayoutInfo::init in attn-lower-cache-kernels).
std::string missingCacheKernels(const Spec &spec);

//===----------------------------------------------------------------------===//
// Printing (`attnc --emit=spec`)
//===----------------------------------------------------------------------===//

/// Prints every resolved field of `spec` in a stable, indented,
/// human-readable form; the DSL lit tests check it line by line.
void printSpec(const Spec &spec, llvm::raw_ostream &os);
/// Prefix form of a typed expression, e.g. `(mul.f 50.0 (tanh (div.f score
/// 50.0)))`; arithmetic nodes carry their result type (.i / .f).
void printExpr(const Expr &expr, llvm::raw_ostream &os);
/// Prefix form of a mask, e.g. `(and causal window(left=4096, right=0))`.
void printMask(const Mask &mask, llvm::raw_ostream &os);
/// Shortest decimal form of `v` that reads back exactly.
std::string formatDouble(double v);

} // namespace attnc

#endif // ATTNC_DSL_SPEC_H
