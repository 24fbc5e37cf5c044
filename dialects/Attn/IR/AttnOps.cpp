//===- AttnOps.cpp - Operations of the attn dialect -----------------------===//
#include "dialects/Attn/IR/AttnOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringSet.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;

// `query` / `key` as a bare keyword (the enum attribute's own printer would
// add a second leading space).
static ParseResult parseRopeOperandKeyword(OpAsmParser &parser,
                                           RopeOperandAttr &attr) {
  SMLoc loc = parser.getCurrentLocation();
  StringRef keyword;
  if (parser.parseKeyword(&keyword))
    return failure();
  std::optional<RopeOperand> value = symbolizeRopeOperand(keyword);
  if (!value)
    return parser.emitError(loc, "expected 'query' or 'key', found '")
           << keyword << "'";
  attr = RopeOperandAttr::get(parser.getContext(), *value);
  return success();
}

static void printRopeOperandKeyword(OpAsmPrinter &printer, Operation *,
                                    RopeOperandAttr attr) {
  printer << stringifyRopeOperand(attr.getValue());
}

#define GET_OP_CLASSES
#include "dialects/Attn/IR/AttnOps.cpp.inc"

//===----------------------------------------------------------------------===//
// VariantOp
//===----------------------------------------------------------------------===//

InputAttr VariantOp::lookupInput(StringRef name) {
  for (Attribute a : getInputs())
    if (auto in = cast<InputAttr>(a); in.getName() == name)
      return in;
  return {};
}

int64_t VariantOp::getInputIndex(StringRef name) {
  for (auto [i, a] : llvm::enumerate(getInputs()))
    if (cast<InputAttr>(a).getName() == name)
      return i;
  return -1;
}

// The order attributes are printed in: the order a spec is read.
static constexpr StringLiteral kVariantAttrOrder[] = {
    "shape",  "types", "scale",      "lse",   "position", "masks", "scores",
    "normalizer", "tiles", "blocks", "cache", "inputs"};

void VariantOp::print(OpAsmPrinter &p) {
  p << ' ';
  p.printSymbolName(getSymName());
  p << " {";
  p.increaseIndent();
  llvm::SmallDenseSet<StringRef> printed;
  auto printOne = [&](StringRef name, Attribute value) {
    if (!printed.empty())
      p << ',';
    p.printNewline();
    p << name << " = ";
    p.printAttribute(value);
    printed.insert(name);
  };
  for (StringRef name : kVariantAttrOrder)
    if (Attribute a = (*this)->getAttr(name))
      printOne(name, a);
  for (NamedAttribute na : (*this)->getAttrs())
    if (na.getName() != getSymNameAttrName() && !printed.contains(na.getName()))
      printOne(na.getName(), na.getValue());
  p.decreaseIndent();
  p.printNewline();
  p << '}';
  if (!getExprs().empty()) {
    p << " exprs(";
    llvm::interleaveComma(getExprs(), p, [&](Region &r) {
      p.printRegion(r, /*printEntryBlockArgs=*/true);
    });
    p << ')';
  }
}

ParseResult VariantOp::parse(OpAsmParser &parser, OperationState &result) {
  StringAttr name;
  if (parser.parseSymbolName(name, getSymNameAttrName(result.name),
                             result.attributes) ||
      parser.parseOptionalAttrDict(result.attributes))
    return failure();
  if (succeeded(parser.parseOptionalKeyword("exprs"))) {
    if (parser.parseCommaSeparatedList(
            OpAsmParser::Delimiter::Paren, [&]() -> ParseResult {
              Region *region = result.addRegion();
              return parser.parseRegion(*region, /*arguments=*/{});
            }))
      return failure();
  }
  return success();
}

namespace {
/// Checks that sorted head ranges tile [0, heads) exactly.
template <typename RangeAttr>
LogicalResult verifyHeadCoverage(VariantOp op, ArrayAttr ranges,
                                 StringRef what, int64_t heads) {
  int64_t next = 0;
  for (Attribute a : ranges) {
    auto r = cast<RangeAttr>(a);
    if (r.getHeadBegin() != next)
      return op.emitOpError() << what << " head ranges must cover [0, " << heads
                              << ") in order without gaps or overlap; expected "
                                 "a range starting at head "
                              << next << ", found " << r.getHeadBegin();
    next = r.getHeadEnd();
  }
  if (next != heads)
    return op.emitOpError() << what << " head ranges end at head " << next
                            << " but the variant has " << heads << " heads";
  return success();
}

/// Checks a region's arguments and yielded type.
LogicalResult verifyRegionSignature(VariantOp op, Region &region,
                                    ArrayRef<Type> argTypes, Type yieldType,
                                    StringRef what, unsigned index) {
  Block &block = region.front();
  if (block.getArgumentTypes() != argTypes) {
    auto diag = op.emitOpError() << what << " region #" << index
                                 << " must take (";
    llvm::interleaveComma(argTypes, diag);
    return diag << ")";
  }
  // The region verifier (terminator present) runs after this op's verifier.
  auto yield = block.empty() ? YieldOp() : dyn_cast<YieldOp>(&block.back());
  if (!yield || yield.getValue().getType() != yieldType)
    return op.emitOpError() << what << " region #" << index << " must yield "
                            << yieldType;
  return success();
}

LogicalResult checkInputExists(VariantOp op, StringRef name, StringRef user) {
  if (!op.lookupInput(name))
    return op.emitOpError() << user << " refers to undeclared kernel input '"
                            << name << "'";
  return success();
}

enum class ExprRegionKind { Unused, Predicate, Score };

LogicalResult useRegion(VariantOp op, int64_t index, ExprRegionKind kind,
                        SmallVectorImpl<ExprRegionKind> &kinds) {
  if (index >= (int64_t)kinds.size())
    return op.emitOpError() << (kind == ExprRegionKind::Predicate ? "predicate mask"
                                                                  : "score")
                            << " refers to region #" << index
                            << " but the variant has " << kinds.size()
                            << " expression regions";
  if (kinds[index] != ExprRegionKind::Unused && kinds[index] != kind)
    return op.emitOpError() << "region #" << index
                            << " is used both as a predicate and as a score";
  kinds[index] = kind;
  return success();
}

LogicalResult verifyMask(VariantOp op, MaskAttrInterface mask,
                         SmallVectorImpl<ExprRegionKind> &kinds) {
  if (auto p = dyn_cast<PredicateMaskAttr>(mask))
    return useRegion(op, p.getRegion(), ExprRegionKind::Predicate, kinds);
  if (auto d = dyn_cast<DocumentMaskAttr>(mask))
    return checkInputExists(op, d.getIds(), "document mask");
  if (auto p = dyn_cast<PrefixLMMaskAttr>(mask))
    return p.getInput().empty() ? success()
                                : checkInputExists(op, p.getInput(), "prefix_lm mask");
  ArrayAttr operands;
  if (auto g = dyn_cast<AndMaskAttr>(mask))
    operands = g.getOperands();
  else if (auto g = dyn_cast<OrMaskAttr>(mask))
    operands = g.getOperands();
  else if (auto n = dyn_cast<NotMaskAttr>(mask))
    return verifyMask(op, n.getOperand(), kinds);
  if (operands)
    for (Attribute a : operands)
      if (failed(verifyMask(op, cast<MaskAttrInterface>(a), kinds)))
        return failure();
  return success();
}
} // namespace

LogicalResult VariantOp::verify() {
  ShapeAttr shape = getShape();
  int64_t heads = shape.getHeads();
  double scale = getScale().convertToDouble();
  if (!(scale > 0) || !std::isfinite(scale))
    return emitOpError() << "scale must be a finite number > 0, got " << scale;

  // Kernel inputs: unique names.
  llvm::StringSet<> names;
  for (Attribute a : getInputs())
    if (!names.insert(cast<InputAttr>(a).getName()).second)
      return emitOpError() << "kernel input '" << cast<InputAttr>(a).getName()
                           << "' is declared twice";

  // Position encoding against the shape.
  Attribute position = getPosition();
  if (auto rope = dyn_cast<RopeAttr>(position)) {
    if (rope.getRotaryDim() > shape.getHeadDim())
      return emitOpError() << "rotary_dim (" << rope.getRotaryDim()
                           << ") exceeds head_dim (" << shape.getHeadDim()
                           << ")";
    if (auto lr = dyn_cast_or_null<LongRopeScalingAttr>(rope.getScaling()))
      if ((int64_t)lr.getShortFactor().size() != rope.getRotaryDim() / 2)
        return emitOpError() << "longrope needs rotary_dim / 2 = "
                             << rope.getRotaryDim() / 2
                             << " factors per list, got "
                             << lr.getShortFactor().size();
  } else if (auto alibi = dyn_cast<AlibiAttr>(position)) {
    if ((int64_t)alibi.getSlopes().size() != heads)
      return emitOpError() << "alibi has " << alibi.getSlopes().size()
                           << " slopes but the variant has " << heads
                           << " heads";
  } else if (auto t5 = dyn_cast<T5BiasAttr>(position)) {
    if (failed(checkInputExists(*this, t5.getTable(), "t5_bias")))
      return failure();
  }

  // Masks and scores.
  if (getMasks().empty())
    return emitOpError() << "needs at least one head mask";
  if (failed(verifyHeadCoverage<HeadMaskAttr>(*this, getMasks(), "mask", heads)))
    return failure();
  SmallVector<ExprRegionKind> kinds(getExprs().size(), ExprRegionKind::Unused);
  for (Attribute a : getMasks())
    if (failed(verifyMask(*this, cast<HeadMaskAttr>(a).getMask(), kinds)))
      return failure();
  if (!getScores().empty() &&
      failed(verifyHeadCoverage<HeadScoreAttr>(*this, getScores(), "score", heads)))
    return failure();
  for (Attribute a : getScores())
    if (failed(useRegion(*this, cast<HeadScoreAttr>(a).getRegion(),
                         ExprRegionKind::Score, kinds)))
      return failure();

  // Region signatures, by how each region is used.
  Builder b(getContext());
  Type idx = b.getIndexType(), i64 = b.getI64Type(), f32 = b.getF32Type();
  for (auto [i, r] : llvm::enumerate(getExprs())) {
    switch (kinds[i]) {
    case ExprRegionKind::Unused:
      return emitOpError() << "expression region #" << i
                           << " is not used by any mask or score";
    case ExprRegionKind::Predicate:
      if (failed(verifyRegionSignature(*this, r, {idx, idx, i64, i64, i64, i64},
                                       b.getI1Type(), "predicate", i)))
        return failure();
      break;
    case ExprRegionKind::Score:
      if (failed(verifyRegionSignature(*this, r,
                                       {f32, idx, idx, i64, i64, i64, i64}, f32,
                                       "score", i)))
        return failure();
      break;
    }
  }

  if (auto sinks = dyn_cast<SoftmaxSinksAttr>(getNormalizer()))
    if (failed(checkInputExists(*this, sinks.getSinks(), "softmax_sinks")))
      return failure();

  // Quantized caches: groups must tile the dimension they run along.
  auto quantOf = [](Attribute cache) -> QuantAttrInterface {
    if (auto c = dyn_cast<ContiguousCacheAttr>(cache))
      return c.getQuant();
    if (auto c = dyn_cast<PagedCacheAttr>(cache))
      return c.getQuant();
    if (auto c = dyn_cast<RingCacheAttr>(cache))
      return c.getQuant();
    return {};
  };
  if (auto int4 = dyn_cast_or_null<Int4QuantAttr>(quantOf(getCache()))) {
    int64_t g = int4.getGroup();
    if (int4.getKeys() == Granularity::PerToken && shape.getHeadDim() % g)
      return emitOpError() << "int4 group " << g
                           << " must divide head_dim (" << shape.getHeadDim()
                           << ") for per-token keys";
    if (int4.getValues() == Granularity::PerToken && shape.getValueDim() % g)
      return emitOpError() << "int4 group " << g
                           << " must divide value_dim (" << shape.getValueDim()
                           << ") for per-token values";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// InputOp
//===----------------------------------------------------------------------===//

LogicalResult InputOp::verify() {
  auto variant = (*this)->getParentOfType<VariantOp>();
  if (!variant)
    return emitOpError() << "must be inside an attn.variant region";
  InputAttr in = variant.lookupInput(getName());
  if (!in)
    return emitOpError() << "reads undeclared kernel input '" << getName()
                         << "'";
  if (in.getDtype() != getResult().getType())
    return emitOpError() << "result type " << getResult().getType()
                         << " does not match the input's element type "
                         << in.getDtype();
  if (getIndices().size() != in.getDims().size())
    return emitOpError() << "kernel input '" << getName() << "' has "
                         << in.getDims().size() << " dimensions but "
                         << getIndices().size() << " indices were given";
  return success();
}

//===----------------------------------------------------------------------===//
// Kernel ops: shape checks against the variant they name
//===----------------------------------------------------------------------===//

namespace {
bool compatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

FailureOr<VariantOp> lookupVariant(Operation *op, FlatSymbolRefAttr ref,
                                   SymbolTableCollection &table) {
  auto v = table.lookupNearestSymbolFrom<VariantOp>(op, ref.getAttr());
  if (!v)
    return op->emitOpError() << "refers to unknown variant " << ref;
  return v;
}

/// Checks a [tokens, heads, dim] tensor against the variant.
LogicalResult checkTokenHeadDim(Operation *op, StringRef what, Type type,
                                int64_t heads, int64_t dim, Type elem) {
  auto t = cast<RankedTensorType>(type);
  if (t.getRank() != 3)
    return op->emitOpError() << what << " must be [tokens, heads, dim], got "
                             << type;
  if (!compatible(t.getDimSize(1), heads) || !compatible(t.getDimSize(2), dim))
    return op->emitOpError() << what << " must have " << heads
                             << " heads of dimension " << dim << ", got "
                             << type;
  if (elem && t.getElementType() != elem)
    return op->emitOpError() << what << " element type must be " << elem
                             << " as the variant says, got "
                             << t.getElementType();
  return success();
}

LogicalResult checkRank(Operation *op, StringRef what, Type type,
                        int64_t rank) {
  if (cast<RankedTensorType>(type).getRank() != rank)
    return op->emitOpError() << what << " must have rank " << rank << ", got "
                             << type;
  return success();
}

LogicalResult checkSameLength(Operation *op, StringRef a, Type ta, StringRef b,
                              Type tb) {
  if (!compatible(cast<RankedTensorType>(ta).getDimSize(0),
                  cast<RankedTensorType>(tb).getDimSize(0)))
    return op->emitOpError() << a << " and " << b
                             << " must have the same token count";
  return success();
}
} // namespace

LogicalResult RopeOp::verify() {
  if (failed(checkRank(*this, "input", getInput().getType(), 3)) ||
      failed(checkRank(*this, "positions", getPositions().getType(), 1)) ||
      failed(checkSameLength(*this, "input", getInput().getType(), "positions",
                             getPositions().getType())))
    return failure();
  if (getInput().getType() != getResult().getType())
    return emitOpError() << "result type must equal the input type";
  return success();
}

LogicalResult RopeOp::verifySymbolUses(SymbolTableCollection &table) {
  auto v = lookupVariant(*this, getVariantAttr(), table);
  if (failed(v))
    return failure();
  ShapeAttr s = v->getShape();
  bool isQuery = getOperand() == RopeOperand::Query;
  return checkTokenHeadDim(*this, isQuery ? "query" : "key",
                           getInput().getType(),
                           isQuery ? s.getHeads() : s.getKvHeads(),
                           s.getHeadDim(),
                           isQuery ? v->getTypes().getQ() : v->getTypes().getK());
}

LogicalResult AttentionOp::verify() {
  for (auto [name, v] : {std::pair<StringRef, Value>{"query", getQuery()},
                         {"key", getKey()},
                         {"value", getValue()},
                         {"output", getOutput()}})
    if (failed(checkRank(*this, name, v.getType(), 3)))
      return failure();
  if (failed(checkRank(*this, "q_positions", getQPositions().getType(), 1)) ||
      failed(checkRank(*this, "k_positions", getKPositions().getType(), 1)) ||
      failed(checkSameLength(*this, "query", getQuery().getType(), "q_positions",
                             getQPositions().getType())) ||
      failed(checkSameLength(*this, "query", getQuery().getType(), "output",
                             getOutput().getType())) ||
      failed(checkSameLength(*this, "key", getKey().getType(), "value",
                             getValue().getType())) ||
      failed(checkSameLength(*this, "key", getKey().getType(), "k_positions",
                             getKPositions().getType())))
    return failure();
  return success();
}

LogicalResult AttentionOp::verifySymbolUses(SymbolTableCollection &table) {
  auto v = lookupVariant(*this, getVariantAttr(), table);
  if (failed(v))
    return failure();
  ShapeAttr s = v->getShape();
  TypesAttr t = v->getTypes();
  if (failed(checkTokenHeadDim(*this, "query", getQuery().getType(),
                               s.getHeads(), s.getHeadDim(), t.getQ())) ||
      failed(checkTokenHeadDim(*this, "key", getKey().getType(),
                               s.getKvHeads(), s.getHeadDim(), t.getK())) ||
      failed(checkTokenHeadDim(*this, "value", getValue().getType(),
                               s.getKvHeads(), s.getValueDim(), t.getV())) ||
      failed(checkTokenHeadDim(*this, "output", getOutput().getType(),
                               s.getHeads(), s.getValueDim(), t.getOut())))
    return failure();
  if ((bool)getLse() != v->getLse())
    return emitOpError() << (v->getLse() ? "must" : "must not")
                         << " return a log-sum-exp, as variant "
                         << getVariantAttr() << " says";
  if (getLse()) {
    auto lse = cast<RankedTensorType>(getLse().getType());
    auto out = cast<RankedTensorType>(getOutput().getType());
    if (lse.getRank() != 2 || !compatible(lse.getDimSize(0), out.getDimSize(0)) ||
        !compatible(lse.getDimSize(1), s.getHeads()))
      return emitOpError() << "lse must be [query tokens, " << s.getHeads()
                           << "], got " << lse;
  }
  if (getInputs().size() != v->getInputs().size())
    return emitOpError() << "variant " << getVariantAttr() << " declares "
                         << v->getInputs().size() << " kernel inputs but "
                         << getInputs().size() << " were given";
  for (auto [val, a] : llvm::zip(getInputs(), v->getInputs())) {
    auto in = cast<InputAttr>(a);
    auto ty = cast<RankedTensorType>(val.getType());
    if (ty.getElementType() != in.getDtype() ||
        ty.getRank() != (int64_t)in.getDims().size())
      return emitOpError() << "kernel input '" << in.getName() << "' must be a "
                           << in.getDims().size() << "-d tensor of "
                           << in.getDtype() << ", got " << ty;
  }
  return success();
}

namespace {
LogicalResult checkCacheMatchesVariant(Operation *op, KVCacheType cache,
                                       VariantOp v) {
  ShapeAttr s = v.getShape();
  if (cache.getKvHeads() != s.getKvHeads() ||
      cache.getHeadDim() != s.getHeadDim() ||
      cache.getValueDim() != s.getValueDim())
    return op->emitOpError() << "cache shape (kv_heads " << cache.getKvHeads()
                             << ", head_dim " << cache.getHeadDim()
                             << ", value_dim " << cache.getValueDim()
                             << ") does not match the variant's";
  if (cache.getLayout() != v.getCache())
    return op->emitOpError() << "cache layout " << cache.getLayout()
                             << " differs from the variant's " << v.getCache();
  if (cache.getK() != v.getTypes().getK() || cache.getV() != v.getTypes().getV())
    return op->emitOpError() << "cache element types must be the variant's k/v types";
  return success();
}
} // namespace

LogicalResult CacheAppendOp::verify() {
  if (failed(checkRank(*this, "key", getKey().getType(), 3)) ||
      failed(checkRank(*this, "value", getValue().getType(), 3)) ||
      failed(checkRank(*this, "positions", getPositions().getType(), 1)) ||
      failed(checkSameLength(*this, "key", getKey().getType(), "value",
                             getValue().getType())) ||
      failed(checkSameLength(*this, "key", getKey().getType(), "positions",
                             getPositions().getType())))
    return failure();
  return success();
}

LogicalResult CacheAppendOp::verifySymbolUses(SymbolTableCollection &table) {
  auto v = lookupVariant(*this, getVariantAttr(), table);
  if (failed(v))
    return failure();
  KVCacheType cache = getCache().getType();
  if (failed(checkCacheMatchesVariant(*this, cache, *v)))
    return failure();
  return failure(
      failed(checkTokenHeadDim(*this, "key", getKey().getType(),
                               cache.getKvHeads(), cache.getHeadDim(),
                               cache.getK())) ||
      failed(checkTokenHeadDim(*this, "value", getValue().getType(),
                               cache.getKvHeads(), cache.getValueDim(),
                               cache.getV())));
}

LogicalResult CacheReadOp::verify() {
  if (failed(checkRank(*this, "key", getKey().getType(), 3)) ||
      failed(checkRank(*this, "value", getValue().getType(), 3)) ||
      failed(checkRank(*this, "positions", getPositions().getType(), 1)) ||
      failed(checkSameLength(*this, "key", getKey().getType(), "value",
                             getValue().getType())) ||
      failed(checkSameLength(*this, "key", getKey().getType(), "positions",
                             getPositions().getType())))
    return failure();
  KVCacheType cache = getCache().getType();
  return failure(
      failed(checkTokenHeadDim(*this, "key", getKey().getType(),
                               cache.getKvHeads(), cache.getHeadDim(),
                               cache.getK())) ||
      failed(checkTokenHeadDim(*this, "value", getValue().getType(),
                               cache.getKvHeads(), cache.getValueDim(),
                               cache.getV())));
}

LogicalResult CacheReadOp::verifySymbolUses(SymbolTableCollection &table) {
  auto v = lookupVariant(*this, getVariantAttr(), table);
  if (failed(v))
    return failure();
  return checkCacheMatchesVariant(*this, getCache().getType(), *v);
}
