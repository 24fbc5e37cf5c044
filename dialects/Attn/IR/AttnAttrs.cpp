//===- AttnAttrs.cpp - Attributes of the attn dialect ---------------------===//
//
// Parameter printers/parsers and the per-attribute verifiers. Checks that need
// the whole variant (head counts, kernel inputs) live in VariantOp::verify.
//
//===----------------------------------------------------------------------===//
#include "dialects/Attn/IR/AttnAttrs.h"
#include "dialects/Attn/IR/AttnDialect.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;

#include "dialects/Attn/IR/AttnAttrInterfaces.cpp.inc"
#include "dialects/Attn/IR/AttnEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/Attn/IR/AttnAttrs.cpp.inc"

void AttnDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/Attn/IR/AttnAttrs.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// Parameter printing and parsing
//===----------------------------------------------------------------------===//

void mlir::attn::printDouble(AsmPrinter &printer, FloatAttr value) {
  printer.printFloat(value.getValue());
}

FailureOr<FloatAttr> mlir::attn::parseDouble(AsmParser &parser) {
  double value = 0;
  if (parser.parseFloat(value))
    return failure();
  return FloatAttr::get(Float64Type::get(parser.getContext()), value);
}

void mlir::attn::printDoubleList(AsmPrinter &printer, DenseF64ArrayAttr values) {
  printer << '[';
  llvm::interleaveComma(values.asArrayRef(), printer, [&](double v) {
    printer.printFloat(llvm::APFloat(v));
  });
  printer << ']';
}

FailureOr<DenseF64ArrayAttr> mlir::attn::parseDoubleList(AsmParser &parser) {
  SmallVector<double> values;
  if (parser.parseCommaSeparatedList(AsmParser::Delimiter::Square, [&]() {
        double v = 0;
        if (parser.parseFloat(v))
          return failure();
        values.push_back(v);
        return success();
      }))
    return failure();
  return DenseF64ArrayAttr::get(parser.getContext(), values);
}

void mlir::attn::printIntList(AsmPrinter &printer, ArrayRef<int64_t> values) {
  printer << '[';
  llvm::interleaveComma(values, printer);
  printer << ']';
}

FailureOr<SmallVector<int64_t>> mlir::attn::parseIntList(AsmParser &parser) {
  SmallVector<int64_t> values;
  if (parser.parseCommaSeparatedList(AsmParser::Delimiter::Square, [&]() {
        int64_t v = 0;
        if (parser.parseInteger(v))
          return failure();
        values.push_back(v);
        return success();
      }))
    return failure();
  return values;
}

FailureOr<bool> mlir::attn::parseBool(AsmParser &parser) {
  if (succeeded(parser.parseOptionalKeyword("true")))
    return true;
  if (succeeded(parser.parseOptionalKeyword("false")))
    return false;
  return parser.emitError(parser.getCurrentLocation(),
                          "expected 'true' or 'false'");
}

//===----------------------------------------------------------------------===//
// Verifiers
//===----------------------------------------------------------------------===//

namespace {
using EmitFn = function_ref<InFlightDiagnostic()>;

LogicalResult checkPositive(EmitFn emitError, StringRef what, double v) {
  if (!(v > 0) || !std::isfinite(v))
    return emitError() << what << " must be a finite number > 0, got " << v;
  return success();
}
LogicalResult checkAtLeast(EmitFn emitError, StringRef what, int64_t v,
                           int64_t lo) {
  if (v < lo)
    return emitError() << what << " must be >= " << lo << ", got " << v;
  return success();
}
bool isComputeFloat(Type t) { return t.isF32() || t.isF16() || t.isBF16(); }
} // namespace

LogicalResult RopeAttr::verify(EmitFn emitError, FloatAttr thetaAttr,
                               int64_t rotaryDim, RopeLayout, RopeApply apply,
                               RopeScalingAttrInterface,
                               RopeRemapAttrInterface remap) {
  double theta = thetaAttr.getValueAsDouble();

  if (failed(checkPositive(emitError, "rope theta", theta)) ||
      failed(checkAtLeast(emitError, "rotary_dim", rotaryDim, 2)))
    return failure();
  if (rotaryDim % 2)
    return emitError() << "rotary_dim must be even, got " << rotaryDim;
  if (remap && apply != RopeApply::OnRead)
    return emitError() << "a position remap needs keys rotated on read "
                          "(apply = on_read): a pre-rotated key cannot serve "
                          "every query";
  return success();
}

LogicalResult AlibiAttr::verify(EmitFn emitError, FloatAttr maxBiasAttr,
                                DenseF64ArrayAttr slopesAttr) {
  double maxBias = maxBiasAttr.getValueAsDouble();
  ArrayRef<double> slopes = slopesAttr.asArrayRef();

  if (failed(checkPositive(emitError, "alibi max_bias", maxBias)))
    return failure();
  if (slopes.empty())
    return emitError() << "alibi needs one slope per query head";
  for (double s : slopes)
    if (!std::isfinite(s))
      return emitError() << "alibi slopes must be finite";
  return success();
}

LogicalResult T5BiasAttr::verify(EmitFn emitError, StringRef table,
                                 int64_t buckets, int64_t maxDistance,
                                 bool bidirectional) {

  if (table.empty())
    return emitError() << "t5_bias needs a table input";
  if (failed(checkAtLeast(emitError, "t5_bias buckets", buckets,
                          bidirectional ? 4 : 2)) ||
      failed(checkAtLeast(emitError, "t5_bias max_distance", maxDistance, 1)))
    return failure();
  if (bidirectional && buckets % 2)
    return emitError() << "bidirectional t5_bias needs an even bucket count, got "
                       << buckets;
  return success();
}

LogicalResult LinearScalingAttr::verify(EmitFn emitError, FloatAttr factorAttr) {
  double factor = factorAttr.getValueAsDouble();

  return checkPositive(emitError, "linear scaling factor", factor);
}
LogicalResult NTKScalingAttr::verify(EmitFn emitError, FloatAttr factorAttr) {
  double factor = factorAttr.getValueAsDouble();

  return checkPositive(emitError, "ntk scaling factor", factor);
}
LogicalResult DynamicNTKScalingAttr::verify(EmitFn emitError, FloatAttr factorAttr,
                                            int64_t originalContext) {
  double factor = factorAttr.getValueAsDouble();

  if (failed(checkPositive(emitError, "dynamic_ntk factor", factor)))
    return failure();
  return checkAtLeast(emitError, "dynamic_ntk original_context",
                      originalContext, 1);
}
LogicalResult YarnScalingAttr::verify(EmitFn emitError, FloatAttr factorAttr,
                                      int64_t originalContext, FloatAttr betaFastAttr,
                                      FloatAttr betaSlowAttr, FloatAttr attentionFactorAttr) {
  double factor = factorAttr.getValueAsDouble();
  double betaFast = betaFastAttr.getValueAsDouble();
  double betaSlow = betaSlowAttr.getValueAsDouble();
  double attentionFactor = attentionFactorAttr.getValueAsDouble();

  if (failed(checkPositive(emitError, "yarn factor", factor)) ||
      failed(checkAtLeast(emitError, "yarn original_context", originalContext,
                          1)) ||
      failed(checkPositive(emitError, "yarn beta_slow", betaSlow)) ||
      failed(checkPositive(emitError, "yarn attention_factor", attentionFactor)))
    return failure();
  if (!(betaFast > betaSlow) || !std::isfinite(betaFast))
    return emitError() << "yarn beta_fast (" << betaFast
                       << ") must exceed beta_slow (" << betaSlow << ")";
  return success();
}
LogicalResult Llama3ScalingAttr::verify(EmitFn emitError, FloatAttr factorAttr,
                                        FloatAttr lowFreqFactorAttr,
                                        FloatAttr highFreqFactorAttr,
                                        int64_t originalContext) {
  double factor = factorAttr.getValueAsDouble();
  double lowFreqFactor = lowFreqFactorAttr.getValueAsDouble();
  double highFreqFactor = highFreqFactorAttr.getValueAsDouble();

  if (failed(checkPositive(emitError, "llama3 factor", factor)) ||
      failed(checkPositive(emitError, "llama3 low_freq_factor", lowFreqFactor)) ||
      failed(checkAtLeast(emitError, "llama3 original_context",
                          originalContext, 1)))
    return failure();
  if (!(highFreqFactor > lowFreqFactor) || !std::isfinite(highFreqFactor))
    return emitError() << "llama3 high_freq_factor (" << highFreqFactor
                       << ") must exceed low_freq_factor (" << lowFreqFactor
                       << ")";
  return success();
}
LogicalResult LongRopeScalingAttr::verify(EmitFn emitError,
                                          DenseF64ArrayAttr shortFactorAttr,
                                          DenseF64ArrayAttr longFactorAttr,
                                          int64_t originalContext,
                                          int64_t maxContext,
                                          FloatAttr attentionFactorAttr) {
  double attentionFactor = attentionFactorAttr.getValueAsDouble();
  ArrayRef<double> shortFactor = shortFactorAttr.asArrayRef();
  ArrayRef<double> longFactor = longFactorAttr.asArrayRef();

  if (shortFactor.empty() || shortFactor.size() != longFactor.size())
    return emitError() << "longrope short_factor and long_factor must be "
                          "non-empty and of equal length, got "
                       << shortFactor.size() << " and " << longFactor.size();
  for (double f : llvm::concat<const double>(shortFactor, longFactor))
    if (failed(checkPositive(emitError, "longrope factor", f)))
      return failure();
  if (failed(checkAtLeast(emitError, "longrope original_context",
                          originalContext, 1)) ||
      failed(checkAtLeast(emitError, "longrope max_context", maxContext, 1)))
    return failure();
  return checkPositive(emitError, "longrope attention_factor", attentionFactor);
}

LogicalResult ReRopeRemapAttr::verify(EmitFn emitError, int64_t window,
                                      FloatAttr logScaleBaseAttr) {
  double logScaleBase = logScaleBaseAttr.getValueAsDouble();

  if (failed(checkAtLeast(emitError, "rerope window", window, 1)))
    return failure();
  if (logScaleBase != 0 && (!(logScaleBase > 1) || !std::isfinite(logScaleBase)))
    return emitError() << "rerope log_scale_base must be 0 (off) or > 1, got "
                       << logScaleBase;
  return success();
}
LogicalResult SelfExtendRemapAttr::verify(EmitFn emitError, int64_t group,
                                          int64_t window) {

  if (failed(checkAtLeast(emitError, "self_extend group", group, 1)) ||
      failed(checkAtLeast(emitError, "self_extend window", window, 1)))
    return failure();
  return success();
}

LogicalResult WindowMaskAttr::verify(EmitFn emitError, int64_t left,
                                     int64_t right) {

  if (failed(checkAtLeast(emitError, "window left extent", left, 1)) ||
      failed(checkAtLeast(emitError, "window right extent", right, 0)))
    return failure();
  return success();
}
LogicalResult SinksMaskAttr::verify(EmitFn emitError, int64_t count) {

  return checkAtLeast(emitError, "sink count", count, 1);
}
LogicalResult DilatedMaskAttr::verify(EmitFn emitError, int64_t window,
                                      int64_t dilation, int64_t offset) {

  if (failed(checkAtLeast(emitError, "dilated window", window, 1)) ||
      failed(checkAtLeast(emitError, "dilation", dilation, 1)))
    return failure();
  if (offset < 0 || offset >= dilation)
    return emitError() << "dilated offset must be in [0, " << dilation
                       << "), got " << offset;
  return success();
}
LogicalResult GlobalMaskAttr::verify(EmitFn emitError, int64_t first,
                                     ArrayRef<int64_t> tokens) {

  if (failed(checkAtLeast(emitError, "global first", first, 0)))
    return failure();
  if (first == 0 && tokens.empty())
    return emitError() << "global mask names no token";
  for (int64_t t : tokens)
    if (t < 0)
      return emitError() << "global token positions must be >= 0, got " << t;
  return success();
}
LogicalResult DocumentMaskAttr::verify(EmitFn emitError, StringRef ids) {

  if (ids.empty())
    return emitError() << "document mask needs an ids input";
  return success();
}
LogicalResult PrefixLMMaskAttr::verify(EmitFn emitError, int64_t length,
                                       StringRef input) {

  if (input.empty())
    return checkAtLeast(emitError, "prefix_lm length", length, 1);
  return checkAtLeast(emitError, "prefix_lm length", length, 0);
}
LogicalResult ChunkedMaskAttr::verify(EmitFn emitError, int64_t size,
                                      int64_t offset) {

  if (failed(checkAtLeast(emitError, "chunk size", size, 1)) ||
      failed(checkAtLeast(emitError, "chunk offset", offset, 0)))
    return failure();
  return success();
}
LogicalResult PredicateMaskAttr::verify(EmitFn emitError, int64_t region) {

  return checkAtLeast(emitError, "predicate region number", region, 0);
}

static LogicalResult verifyMaskOperands(EmitFn emitError, StringRef kind,
                                        ArrayAttr operands) {
  if (operands.size() < 2)
    return emitError() << "#attn." << kind << " needs at least two masks, got "
                       << operands.size();
  for (Attribute a : operands)
    if (!isa<MaskAttrInterface>(a))
      return emitError() << "#attn." << kind << " operand is not a mask: " << a;
  return success();
}
LogicalResult AndMaskAttr::verify(EmitFn emitError, ArrayAttr operands) {

  return verifyMaskOperands(emitError, "and", operands);
}
LogicalResult OrMaskAttr::verify(EmitFn emitError, ArrayAttr operands) {

  return verifyMaskOperands(emitError, "or", operands);
}

static LogicalResult verifyHeadRange(EmitFn emitError, int64_t begin,
                                     int64_t end) {
  if (begin < 0 || end <= begin)
    return emitError() << "head range [" << begin << ", " << end
                       << ") is empty or negative";
  return success();
}
LogicalResult HeadMaskAttr::verify(EmitFn emitError, int64_t begin,
                                   int64_t end, MaskAttrInterface mask) {

  if (!mask)
    return emitError() << "head_mask needs a mask";
  return verifyHeadRange(emitError, begin, end);
}
LogicalResult HeadScoreAttr::verify(EmitFn emitError, int64_t begin,
                                    int64_t end, int64_t region) {

  if (failed(verifyHeadRange(emitError, begin, end)))
    return failure();
  return checkAtLeast(emitError, "score region number", region, 0);
}

LogicalResult SoftmaxSinksAttr::verify(EmitFn emitError, StringRef sinks) {

  if (sinks.empty())
    return emitError() << "softmax_sinks needs a sinks input";
  return success();
}

LogicalResult TilesAttr::verify(EmitFn emitError, int64_t q, int64_t k) {

  for (int64_t t : {q, k})
    if (t < 8 || t > 256 || !llvm::isPowerOf2_64(t))
      return emitError() << "tile sizes must be powers of two in [8, 256], got "
                         << t;
  return success();
}

LogicalResult SlidingBlocksAttr::verify(EmitFn emitError, int64_t window,
                                        int64_t global) {

  if (failed(checkAtLeast(emitError, "sliding_blocks window", window, 1)) ||
      failed(checkAtLeast(emitError, "sliding_blocks global", global, 0)))
    return failure();
  return success();
}
LogicalResult BigBirdBlocksAttr::verify(EmitFn emitError, int64_t window,
                                        int64_t global, int64_t random,
                                        int64_t seed) {

  if (failed(checkAtLeast(emitError, "bigbird window", window, 1)) ||
      failed(checkAtLeast(emitError, "bigbird global", global, 0)) ||
      failed(checkAtLeast(emitError, "bigbird random", random, 0)) ||
      failed(checkAtLeast(emitError, "bigbird seed", seed, 0)))
    return failure();
  return success();
}
LogicalResult DynamicBlocksAttr::verify(EmitFn emitError, int64_t topK) {

  return checkAtLeast(emitError, "dynamic top_k", topK, 1);
}

LogicalResult Int4QuantAttr::verify(EmitFn emitError, int64_t group,
                                    Granularity, Granularity) {

  if (group < 2 || !llvm::isPowerOf2_64(group))
    return emitError() << "int4 group must be a power of two >= 2, got "
                       << group;
  return success();
}

LogicalResult ContiguousCacheAttr::verify(EmitFn emitError, CacheLayout,
                                          int64_t capacity,
                                          QuantAttrInterface) {

  return checkAtLeast(emitError, "contiguous capacity", capacity, 0);
}
LogicalResult PagedCacheAttr::verify(EmitFn emitError, int64_t pageSize,
                                     CacheLayout, QuantAttrInterface) {

  if (pageSize < 1 || !llvm::isPowerOf2_64(pageSize))
    return emitError() << "page_size must be a power of two, got " << pageSize;
  return success();
}
LogicalResult RingCacheAttr::verify(EmitFn emitError, int64_t sinks,
                                    int64_t window, QuantAttrInterface) {

  if (failed(checkAtLeast(emitError, "ring sinks", sinks, 0)) ||
      failed(checkAtLeast(emitError, "ring window", window, 1)))
    return failure();
  return success();
}

LogicalResult InputAttr::verify(EmitFn emitError, StringRef name, Type dtype,
                                ArrayAttr dims) {

  if (name.empty())
    return emitError() << "kernel input needs a name";
  if (!dtype.isSignlessInteger() && !llvm::isa<FloatType>(dtype))
    return emitError() << "kernel input '" << name
                       << "' must have an integer or float element type";
  if (dims.empty() || dims.size() > 2)
    return emitError() << "kernel input '" << name
                       << "' must have one or two dimensions";
  for (Attribute d : dims)
    if (!llvm::isa<StringAttr>(d))
      return emitError() << "kernel input dimensions are strings, got " << d;
  return success();
}

LogicalResult ShapeAttr::verify(EmitFn emitError, int64_t heads,
                                int64_t kvHeads, int64_t headDim,
                                int64_t valueDim) {

  if (failed(checkAtLeast(emitError, "heads", heads, 1)) ||
      failed(checkAtLeast(emitError, "kv_heads", kvHeads, 1)) ||
      failed(checkAtLeast(emitError, "head_dim", headDim, 1)) ||
      failed(checkAtLeast(emitError, "value_dim", valueDim, 1)))
    return failure();
  if (heads % kvHeads)
    return emitError() << "kv_heads (" << kvHeads << ") must divide heads ("
                       << heads << ")";
  return success();
}

LogicalResult TypesAttr::verify(EmitFn emitError, Type q, Type k, Type v,
                                Type out, Type accum) {

  for (auto [name, t] : {std::pair<StringRef, Type>{"q", q},
                         {"k", k},
                         {"v", v},
                         {"out", out}})
    if (!isComputeFloat(t))
      return emitError() << "element type of " << name
                         << " must be f32, f16 or bf16, got " << t;
  if (!accum.isF32())
    return emitError() << "accumulation type must be f32, got " << accum;
  return success();
}

//===----------------------------------------------------------------------===//
// Interface methods
//===----------------------------------------------------------------------===//

bool RopeAttr::rotatesQK() const { return true; }

bool DocumentMaskAttr::dependsOnRuntimeData() const { return true; }
bool PrefixLMMaskAttr::dependsOnRuntimeData() const {
  return !getInput().empty();
}
// Predicates are analyzed by the block classification pass; the attribute
// alone cannot tell whether the region reads kernel inputs.
bool PredicateMaskAttr::dependsOnRuntimeData() const { return true; }
static bool anyDependsOnRuntimeData(ArrayAttr operands) {
  return llvm::any_of(operands, [](Attribute a) {
    return cast<MaskAttrInterface>(a).dependsOnRuntimeData();
  });
}
bool AndMaskAttr::dependsOnRuntimeData() const {
  return anyDependsOnRuntimeData(getOperands());
}
bool OrMaskAttr::dependsOnRuntimeData() const {
  return anyDependsOnRuntimeData(getOperands());
}
bool NotMaskAttr::dependsOnRuntimeData() const {
  return getOperand().dependsOnRuntimeData();
}

unsigned Int8QuantAttr::getBits() const { return 8; }
unsigned FP8QuantAttr::getBits() const { return 8; }
unsigned Int4QuantAttr::getBits() const { return 4; }
