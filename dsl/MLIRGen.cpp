//===- MLIRGen.cpp - Lower checked specs to the attn dialect --------------===//
//
// Each Spec becomes an `attn.variant` (its four axes as attributes, general
// predicates and score expressions as regions) plus three kernel entry points
// that later passes tile and lower: `<name>_prefill`, `<name>_decode` and
// `<name>_append`.
//
//===----------------------------------------------------------------------===//
#include "dsl/MLIRGen.h"

#include "dialects/Attn/IR/AttnOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"

using namespace mlir;
using namespace mlir::attn;

namespace attnc {
namespace {

class SpecLowering {
public:
  SpecLowering(MLIRContext &ctx, ModuleOp module, const Spec &spec)
      : ctx(ctx), b(&ctx), module(module), spec(spec) {}

  LogicalResult run();

private:
  Location loc(const SourceLoc &l) {
    if (l.file.empty())
      return b.getUnknownLoc();
    return FileLineColLoc::get(&ctx, l.file, l.line, l.col);
  }
  Type elemType(DType t);
  FloatAttr f64(double v) { return b.getF64FloatAttr(v); }
  DenseF64ArrayAttr f64s(const std::vector<double> &v) {
    return DenseF64ArrayAttr::get(&ctx, v);
  }
  Attribute position();
  Attribute ropeScaling(const RopeScaling &s);
  Attribute ropeRemap(const RopeRemap &r);
  MaskAttrInterface mask(const Mask &m);
  Attribute quant(const CacheQuant &q);
  Attribute cache();
  Attribute blocks();
  Attribute normalizer();
  ArrayAttr inputs();

  // Expression regions.
  int64_t addPredicateRegion(const Expr &e);
  int64_t addScoreRegion(const Expr *e);
  Value lowerExpr(OpBuilder &rb, const Expr &e);
  Value coerce(OpBuilder &rb, Location l, Value v, ExprType to);
  ExprType typeOf(Value v);

  void buildKernels(Location l);
  void fillRegion(Region &region, ArrayRef<Type> argTypes, const Expr *e,
                  bool isScore);
  RankedTensorType tokens(int64_t heads, int64_t dim, DType t) {
    return RankedTensorType::get({ShapedType::kDynamic, heads, dim},
                                 elemType(t));
  }

  MLIRContext &ctx;
  OpBuilder b;
  ModuleOp module;
  const Spec &spec;
  VariantOp variant;
  // Block arguments of the region being built.
  ArrayRef<BlockArgument> regionArgs;
  // General expressions waiting for their region (the op's region count is
  // fixed when it is created).
  // Each entry: the expression (null = identity score) and whether it is a
  // score (else a predicate).
  SmallVector<std::pair<const Expr *, bool>> pendingExprs;
  bool inScoreRegion = false;
};

Type SpecLowering::elemType(DType t) {
  switch (t) {
  case DType::F32: return b.getF32Type();
  case DType::F16: return b.getF16Type();
  case DType::BF16: return b.getBF16Type();
  case DType::I32: return b.getI32Type();
  case DType::I64: return b.getI64Type();
  case DType::I8: return b.getI8Type();
  case DType::U8: return b.getI8Type(); // signless; the ABI documents unsigned
  }
  return b.getF32Type();
}

Attribute SpecLowering::ropeScaling(const RopeScaling &s) {
  switch (s.kind) {
  case RopeScalingKind::None: return {};
  case RopeScalingKind::Linear: return LinearScalingAttr::get(&ctx, f64(s.factor));
  case RopeScalingKind::NTK: return NTKScalingAttr::get(&ctx, f64(s.factor));
  case RopeScalingKind::DynamicNTK:
    return DynamicNTKScalingAttr::get(&ctx, f64(s.factor), s.originalContext);
  case RopeScalingKind::YaRN:
    return YarnScalingAttr::get(&ctx, f64(s.factor), s.originalContext, f64(s.betaFast),
                                f64(s.betaSlow), f64(s.attentionFactor));
  case RopeScalingKind::Llama3:
    return Llama3ScalingAttr::get(&ctx, f64(s.factor), f64(s.lowFreqFactor),
                                  f64(s.highFreqFactor), s.originalContext);
  case RopeScalingKind::LongRoPE:
    return LongRopeScalingAttr::get(&ctx, f64s(s.shortFactor), f64s(s.longFactor),
                                    s.originalContext, s.maxContext,
                                    f64(s.attentionFactor));
  }
  return {};
}

Attribute SpecLowering::ropeRemap(const RopeRemap &r) {
  switch (r.kind) {
  case RopeRemapKind::None: return {};
  case RopeRemapKind::ReRoPE:
    return ReRopeRemapAttr::get(&ctx, r.window, f64(r.logScaleBase));
  case RopeRemapKind::SelfExtend:
    return SelfExtendRemapAttr::get(&ctx, r.group, r.window);
  }
  return {};
}

Attribute SpecLowering::position() {
  const Position &p = spec.position;
  switch (p.kind) {
  case PositionKind::None: return NoPEAttr::get(&ctx);
  case PositionKind::RoPE:
    return RopeAttr::get(
        &ctx, f64(p.theta), p.rotaryDim,
        p.layout == RopeLayout::HalfSplit ? mlir::attn::RopeLayout::HalfSplit
                                          : mlir::attn::RopeLayout::Interleaved,
        p.apply == RopeApply::OnWrite ? mlir::attn::RopeApply::OnWrite
                                      : mlir::attn::RopeApply::OnRead,
        cast_or_null<RopeScalingAttrInterface>(ropeScaling(p.scaling)),
        cast_or_null<RopeRemapAttrInterface>(ropeRemap(p.remap)));
  case PositionKind::ALiBi: return AlibiAttr::get(&ctx, f64(p.maxBias), f64s(p.slopes));
  case PositionKind::T5Bias:
    return T5BiasAttr::get(&ctx, p.table, p.buckets, p.maxDistance,
                           p.bidirectional);
  }
  return NoPEAttr::get(&ctx);
}

MaskAttrInterface SpecLowering::mask(const Mask &m) {
  auto lowerAll = [&]() {
    SmallVector<Attribute> ops;
    for (const MaskPtr &o : m.operands)
      ops.push_back(mask(*o));
    return b.getArrayAttr(ops);
  };
  switch (m.kind) {
  case MaskKind::Full: return FullMaskAttr::get(&ctx);
  case MaskKind::Causal: return CausalMaskAttr::get(&ctx);
  case MaskKind::Window: return WindowMaskAttr::get(&ctx, m.left, m.right);
  case MaskKind::Sinks: return SinksMaskAttr::get(&ctx, m.count);
  case MaskKind::Dilated:
    return DilatedMaskAttr::get(&ctx, m.window, m.dilation, m.offset);
  case MaskKind::Global: return GlobalMaskAttr::get(&ctx, m.count, m.tokens);
  case MaskKind::Document: return DocumentMaskAttr::get(&ctx, m.input);
  case MaskKind::PrefixLM:
    return PrefixLMMaskAttr::get(&ctx, m.length, m.input);
  case MaskKind::Chunked: return ChunkedMaskAttr::get(&ctx, m.size, m.offset);
  case MaskKind::Predicate:
    return PredicateMaskAttr::get(&ctx, addPredicateRegion(*m.predicate));
  case MaskKind::And: return AndMaskAttr::get(&ctx, lowerAll());
  case MaskKind::Or: return OrMaskAttr::get(&ctx, lowerAll());
  case MaskKind::Not: return NotMaskAttr::get(&ctx, mask(*m.operands.front()));
  }
  return FullMaskAttr::get(&ctx);
}

Attribute SpecLowering::quant(const CacheQuant &q) {
  auto gran = [](QuantGranularity g) {
    return g == QuantGranularity::PerToken ? Granularity::PerToken
                                           : Granularity::PerChannel;
  };
  switch (q.kind) {
  case QuantKind::None: return {};
  case QuantKind::Int8: return Int8QuantAttr::get(&ctx, gran(q.granularity));
  case QuantKind::FP8:
    return FP8QuantAttr::get(&ctx,
                             q.format == FP8Format::E4M3 ? mlir::attn::FP8Format::E4M3
                                                         : mlir::attn::FP8Format::E5M2,
                             gran(q.granularity));
  case QuantKind::Int4:
    return Int4QuantAttr::get(&ctx, q.group, gran(q.keys), gran(q.values));
  }
  return {};
}

Attribute SpecLowering::cache() {
  const Cache &c = spec.cache;
  auto q = cast_or_null<QuantAttrInterface>(quant(c.quant));
  auto layout = c.layout == CacheLayout::NHD ? mlir::attn::CacheLayout::NHD
                                             : mlir::attn::CacheLayout::HND;
  switch (c.kind) {
  case CacheKind::Contiguous:
    return ContiguousCacheAttr::get(&ctx, layout, c.capacity, q);
  case CacheKind::Paged: return PagedCacheAttr::get(&ctx, c.pageSize, layout, q);
  case CacheKind::Ring: return RingCacheAttr::get(&ctx, c.sinks, c.window, q);
  }
  return {};
}

Attribute SpecLowering::blocks() {
  const BlockLayout &l = spec.blocks;
  switch (l.kind) {
  case BlockLayoutKind::FromMask: return FromMaskBlocksAttr::get(&ctx);
  case BlockLayoutKind::SlidingBlocks:
    return SlidingBlocksAttr::get(&ctx, l.window, l.global);
  case BlockLayoutKind::BigBird:
    return BigBirdBlocksAttr::get(&ctx, l.window, l.global, l.random, l.seed);
  case BlockLayoutKind::Dynamic: return DynamicBlocksAttr::get(&ctx, l.topK);
  }
  return FromMaskBlocksAttr::get(&ctx);
}

Attribute SpecLowering::normalizer() {
  switch (spec.normalizer.kind) {
  case NormalizerKind::Softmax: return SoftmaxAttr::get(&ctx);
  case NormalizerKind::SoftmaxSinks:
    return SoftmaxSinksAttr::get(&ctx, spec.normalizer.sinks);
  case NormalizerKind::OffByOne: return OffByOneAttr::get(&ctx);
  }
  return SoftmaxAttr::get(&ctx);
}

ArrayAttr SpecLowering::inputs() {
  SmallVector<Attribute> in;
  for (const KernelInput &k : spec.inputs) {
    SmallVector<Attribute> dims;
    for (const std::string &d : k.dims)
      dims.push_back(b.getStringAttr(d));
    in.push_back(InputAttr::get(&ctx, k.name, elemType(k.dtype),
                                b.getArrayAttr(dims)));
  }
  return b.getArrayAttr(in);
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

ExprType SpecLowering::typeOf(Value v) {
  Type t = v.getType();
  if (t.isInteger(1))
    return ExprType::Bool;
  if (isa<FloatType>(t))
    return ExprType::Float;
  return ExprType::Int;
}

Value SpecLowering::coerce(OpBuilder &rb, Location l, Value v, ExprType to) {
  ExprType from = typeOf(v);
  if (from == to)
    return v;
  if (from == ExprType::Int && to == ExprType::Float)
    return rb.create<arith::SIToFPOp>(l, rb.getF32Type(), v);
  if (from == ExprType::Bool && to == ExprType::Int)
    return rb.create<arith::ExtUIOp>(l, rb.getI64Type(), v);
  if (from == ExprType::Bool && to == ExprType::Float)
    return rb.create<arith::UIToFPOp>(l, rb.getF32Type(), v);
  if (from == ExprType::Float && to == ExprType::Int)
    return rb.create<arith::FPToSIOp>(l, rb.getI64Type(), v);
  // Int -> Bool: non-zero.
  if (from == ExprType::Int)
    return rb.create<arith::CmpIOp>(
        l, arith::CmpIPredicate::ne, v,
        rb.create<arith::ConstantIntOp>(l, 0, 64));
  return rb.create<arith::CmpFOp>(
      l, arith::CmpFPredicate::UNE, v,
      rb.create<arith::ConstantOp>(l, rb.getF32FloatAttr(0)));
}

Value SpecLowering::lowerExpr(OpBuilder &rb, const Expr &e) {
  Location l = loc(e.loc);
  auto operand = [&](size_t i, ExprType t) {
    return coerce(rb, l, lowerExpr(rb, *e.operands[i]), t);
  };
  auto i64 = rb.getI64Type();
  switch (e.kind) {
  case ExprKind::IntConst: return rb.create<arith::ConstantIntOp>(l, e.intValue, 64);
  case ExprKind::BoolConst: return rb.create<arith::ConstantIntOp>(l, e.intValue != 0, 1);
  case ExprKind::FloatConst:
    return rb.create<arith::ConstantOp>(l, rb.getF32FloatAttr(e.floatValue));
  case ExprKind::Var: {
    // Region arguments: predicate (batch, head, q_pos, k_pos, q_len, k_len);
    // score regions have the score first.
    unsigned base = inScoreRegion ? 1 : 0;
    auto idx = [&](unsigned i) -> Value {
      return rb.create<arith::IndexCastOp>(l, i64, regionArgs[base + i]);
    };
    switch (e.var) {
    case ExprVar::Score: return regionArgs[0];
    case ExprVar::Batch: return idx(0);
    case ExprVar::Head: return idx(1);
    case ExprVar::KVHead: {
      int64_t group = spec.heads / std::max<int64_t>(spec.kvHeads, 1);
      return rb.create<arith::DivSIOp>(
          l, idx(1), rb.create<arith::ConstantIntOp>(l, group, 64));
    }
    case ExprVar::QPos: return regionArgs[base + 2];
    case ExprVar::KPos: return regionArgs[base + 3];
    case ExprVar::QLen: return regionArgs[base + 4];
    case ExprVar::KLen: return regionArgs[base + 5];
    }
    return {};
  }
  case ExprKind::Input: {
    SmallVector<Value> indices;
    for (size_t i = 0; i < e.operands.size(); ++i)
      indices.push_back(operand(i, ExprType::Int));
    Type dtype = rb.getF32Type();
    for (const KernelInput &k : spec.inputs)
      if (k.name == e.inputName)
        dtype = elemType(k.dtype);
    Value v = rb.create<InputOp>(l, dtype, e.inputName, indices);
    if (isa<FloatType>(dtype))
      return dtype.isF32() ? v : rb.create<arith::ExtFOp>(l, rb.getF32Type(), v);
    if (dtype.getIntOrFloatBitWidth() < 64)
      return rb.create<arith::ExtSIOp>(l, i64, v);
    return v;
  }
  case ExprKind::Unary:
    if (e.op == ExprOp::Not)
      return rb.create<arith::XOrIOp>(l, operand(0, ExprType::Bool),
                                      rb.create<arith::ConstantIntOp>(l, 1, 1));
    if (e.type == ExprType::Float)
      return rb.create<arith::NegFOp>(l, operand(0, ExprType::Float));
    return rb.create<arith::SubIOp>(l, rb.create<arith::ConstantIntOp>(l, 0, 64),
                                    operand(0, ExprType::Int));
  case ExprKind::Binary: {
    // Operands of comparisons and arithmetic are promoted to Float if either is.
    ExprType ta = e.operands[0]->type, tb = e.operands[1]->type;
    ExprType common = (ta == ExprType::Float || tb == ExprType::Float)
                          ? ExprType::Float
                          : (ta == ExprType::Bool && tb == ExprType::Bool)
                                ? ExprType::Bool
                                : ExprType::Int;
    bool isFloat = common == ExprType::Float;
    switch (e.op) {
    case ExprOp::And:
      return rb.create<arith::AndIOp>(l, operand(0, ExprType::Bool), operand(1, ExprType::Bool));
    case ExprOp::Or:
      return rb.create<arith::OrIOp>(l, operand(0, ExprType::Bool), operand(1, ExprType::Bool));
    case ExprOp::Pow:
      return rb.create<math::PowFOp>(l, operand(0, ExprType::Float), operand(1, ExprType::Float));
    default: break;
    }
    if (common == ExprType::Bool)
      common = ExprType::Int;
    Value a = operand(0, common), c = operand(1, common);
    switch (e.op) {
    case ExprOp::Add: return isFloat ? (Value)rb.create<arith::AddFOp>(l, a, c) : rb.create<arith::AddIOp>(l, a, c);
    case ExprOp::Sub: return isFloat ? (Value)rb.create<arith::SubFOp>(l, a, c) : rb.create<arith::SubIOp>(l, a, c);
    case ExprOp::Mul: return isFloat ? (Value)rb.create<arith::MulFOp>(l, a, c) : rb.create<arith::MulIOp>(l, a, c);
    case ExprOp::Div: return isFloat ? (Value)rb.create<arith::DivFOp>(l, a, c) : rb.create<arith::DivSIOp>(l, a, c);
    case ExprOp::Rem: return isFloat ? (Value)rb.create<arith::RemFOp>(l, a, c) : rb.create<arith::RemSIOp>(l, a, c);
    default: break;
    }
    std::pair<arith::CmpIPredicate, arith::CmpFPredicate> pred;
    switch (e.op) {
    case ExprOp::Eq: pred = {arith::CmpIPredicate::eq, arith::CmpFPredicate::OEQ}; break;
    case ExprOp::Ne: pred = {arith::CmpIPredicate::ne, arith::CmpFPredicate::UNE}; break;
    case ExprOp::Lt: pred = {arith::CmpIPredicate::slt, arith::CmpFPredicate::OLT}; break;
    case ExprOp::Le: pred = {arith::CmpIPredicate::sle, arith::CmpFPredicate::OLE}; break;
    case ExprOp::Gt: pred = {arith::CmpIPredicate::sgt, arith::CmpFPredicate::OGT}; break;
    default: pred = {arith::CmpIPredicate::sge, arith::CmpFPredicate::OGE}; break;
    }
    if (isFloat)
      return rb.create<arith::CmpFOp>(l, pred.second, a, c);
    return rb.create<arith::CmpIOp>(l, pred.first, a, c);
  }
  case ExprKind::Select: {
    ExprType t = e.type;
    return rb.create<arith::SelectOp>(l, operand(0, ExprType::Bool),
                                      operand(1, t), operand(2, t));
  }
  case ExprKind::Call: {
    bool isFloat = e.type == ExprType::Float;
    ExprType t = isFloat ? ExprType::Float : ExprType::Int;
    switch (e.callee) {
    case ExprCallee::Tanh: return rb.create<math::TanhOp>(l, operand(0, ExprType::Float));
    case ExprCallee::Exp: return rb.create<math::ExpOp>(l, operand(0, ExprType::Float));
    case ExprCallee::Log: return rb.create<math::LogOp>(l, operand(0, ExprType::Float));
    case ExprCallee::Sqrt: return rb.create<math::SqrtOp>(l, operand(0, ExprType::Float));
    case ExprCallee::Abs:
      return isFloat ? (Value)rb.create<math::AbsFOp>(l, operand(0, t))
                     : rb.create<math::AbsIOp>(l, operand(0, t));
    case ExprCallee::Min:
      return isFloat ? (Value)rb.create<arith::MinimumFOp>(l, operand(0, t), operand(1, t))
                     : rb.create<arith::MinSIOp>(l, operand(0, t), operand(1, t));
    case ExprCallee::Max:
      return isFloat ? (Value)rb.create<arith::MaximumFOp>(l, operand(0, t), operand(1, t))
                     : rb.create<arith::MaxSIOp>(l, operand(0, t), operand(1, t));
    case ExprCallee::Floor:
      return isFloat ? (Value)rb.create<math::FloorOp>(l, operand(0, t)) : operand(0, t);
    case ExprCallee::Ceil:
      return isFloat ? (Value)rb.create<math::CeilOp>(l, operand(0, t)) : operand(0, t);
    }
    return {};
  }
  case ExprKind::Cast: return operand(0, e.type);
  }
  return {};
}

int64_t SpecLowering::addPredicateRegion(const Expr &e) {
  pendingExprs.push_back({&e, false});
  return pendingExprs.size() - 1;
}

int64_t SpecLowering::addScoreRegion(const Expr *e) {
  pendingExprs.push_back({e, true});
  return pendingExprs.size() - 1;
}

void SpecLowering::fillRegion(Region &region, ArrayRef<Type> argTypes,
                              const Expr *e, bool isScore) {
  Block *block = new Block();
  region.push_back(block);
  SmallVector<Location> locs(argTypes.size(), b.getUnknownLoc());
  block->addArguments(argTypes, locs);
  OpBuilder rb = OpBuilder::atBlockEnd(block);
  regionArgs = block->getArguments();
  inScoreRegion = isScore;
  Value result = e ? lowerExpr(rb, *e) : Value(regionArgs[0]);
  result = coerce(rb, result.getLoc(), result,
                  isScore ? ExprType::Float : ExprType::Bool);
  rb.create<YieldOp>(result.getLoc(), result);
}

LogicalResult SpecLowering::run() {
  Location l = loc(spec.loc);
  SmallVector<Attribute> masks, scores;
  for (const HeadMask &hm : spec.masks)
    masks.push_back(HeadMaskAttr::get(&ctx, hm.headBegin, hm.headEnd,
                                      mask(*hm.mask)));
  // An all-identity score list is the same as no score modification.
  bool anyScore = llvm::any_of(spec.scores,
                               [](const HeadScore &s) { return (bool)s.score; });
  if (anyScore)
    for (const HeadScore &hs : spec.scores)
      scores.push_back(HeadScoreAttr::get(&ctx, hs.headBegin, hs.headEnd,
                                          addScoreRegion(hs.score.get())));

  b.setInsertionPointToEnd(module.getBody());
  variant = b.create<VariantOp>(
      l, b.getStringAttr(spec.name),
      ShapeAttr::get(&ctx, spec.heads, spec.kvHeads, spec.headDim,
                     spec.valueDim),
      TypesAttr::get(&ctx, elemType(spec.qType), elemType(spec.kType),
                     elemType(spec.vType), elemType(spec.outType),
                     elemType(spec.accumType)),
      b.getF64FloatAttr(spec.scale), b.getBoolAttr(spec.lse), position(),
      b.getArrayAttr(masks), b.getArrayAttr(scores), normalizer(),
      TilesAttr::get(&ctx, spec.qTile, spec.kTile), blocks(), cache(),
      inputs(), pendingExprs.size());

  Type idx = b.getIndexType(), i64 = b.getI64Type(), f32 = b.getF32Type();
  for (auto [region, e] : llvm::zip(variant.getExprs(), pendingExprs)) {
    if (e.second)
      fillRegion(region, {f32, idx, idx, i64, i64, i64, i64}, e.first, true);
    else
      fillRegion(region, {idx, idx, i64, i64, i64, i64}, e.first, false);
  }

  buildKernels(l);
  return success();
}

void SpecLowering::buildKernels(Location l) {
  auto ref = FlatSymbolRefAttr::get(&ctx, spec.name);
  auto dyn = ShapedType::kDynamic;
  auto posType = RankedTensorType::get({dyn}, b.getI64Type());
  RankedTensorType qType = tokens(spec.heads, spec.headDim, spec.qType);
  RankedTensorType kType = tokens(spec.kvHeads, spec.headDim, spec.kType);
  RankedTensorType vType = tokens(spec.kvHeads, spec.valueDim, spec.vType);
  RankedTensorType oType = tokens(spec.heads, spec.valueDim, spec.outType);
  auto lseType = RankedTensorType::get({dyn, spec.heads}, b.getF32Type());
  SmallVector<Type> inputTypes;
  for (const KernelInput &k : spec.inputs) {
    SmallVector<int64_t> shape;
    for (const std::string &d : k.dims) {
      int64_t n = 0;
      shape.push_back(llvm::StringRef(d).getAsInteger(10, n) ? dyn : n);
    }
    inputTypes.push_back(RankedTensorType::get(shape, elemType(k.dtype)));
  }
  SmallVector<Type> results = {oType};
  if (spec.lse)
    results.push_back(lseType);
  bool rope = spec.position.kind == PositionKind::RoPE;
  bool ropeOnWrite = rope && spec.position.apply == RopeApply::OnWrite;
  auto cacheType = KVCacheType::get(&ctx, cast<CacheAttrInterface>(cache()),
                                    spec.kvHeads, spec.headDim, spec.valueDim,
                                    elemType(spec.kType), elemType(spec.vType));
  auto makeFunc = [&](StringRef suffix, ArrayRef<Type> args,
                      ArrayRef<Type> res) {
    b.setInsertionPointToEnd(module.getBody());
    auto f = b.create<func::FuncOp>(l, (spec.name + "_" + suffix).str(),
                                    b.getFunctionType(args, res));
    b.setInsertionPointToStart(f.addEntryBlock());
    return f;
  };
  auto attention = [&](Value q, Value k, Value v, Value qp, Value kp,
                       Value batch, ValueRange ins) {
    return b.create<AttentionOp>(l, oType, spec.lse ? Type(lseType) : Type(),
                                 q, k, v, qp, kp, batch, ins, ref);
  };

  // prefill(q, k, v, q_pos, k_pos, batch, inputs...) -> out (, lse)
  {
    SmallVector<Type> args = {qType, kType, vType, posType, posType,
                              b.getIndexType()};
    args.append(inputTypes);
    func::FuncOp f = makeFunc("prefill", args, results);
    auto a = f.getArguments();
    Value q = a[0], k = a[1];
    if (rope) {
      Value len = b.create<tensor::DimOp>(l, a[4], 0);
      q = b.create<RopeOp>(l, qType, RopeOperandAttr::get(&ctx, RopeOperand::Query), q, a[3], len, ref);
      k = b.create<RopeOp>(l, kType, RopeOperandAttr::get(&ctx, RopeOperand::Key), k, a[4], len, ref);
    }
    auto op = attention(q, k, a[2], a[3], a[4], a[5], a.drop_front(6));
    b.create<func::ReturnOp>(l, op->getResults());
  }
  // append(cache, k, v, pos, len): RoPE at write time where the spec says so.
  {
    func::FuncOp f = makeFunc(
        "append", {cacheType, kType, vType, posType, b.getIndexType()}, {});
    auto a = f.getArguments();
    Value k = a[1];
    if (ropeOnWrite)
      k = b.create<RopeOp>(l, kType, RopeOperandAttr::get(&ctx, RopeOperand::Key), k, a[3], a[4], ref);
    b.create<CacheAppendOp>(l, a[0], k, a[2], a[3], ref);
    b.create<func::ReturnOp>(l);
  }
  // decode(q, q_pos, cache, batch, len, inputs...) -> out (, lse)
  {
    SmallVector<Type> args = {qType, posType, cacheType, b.getIndexType(),
                              b.getIndexType()};
    args.append(inputTypes);
    func::FuncOp f = makeFunc("decode", args, results);
    auto a = f.getArguments();
    Value q = a[0];
    if (rope)
      q = b.create<RopeOp>(l, qType, RopeOperandAttr::get(&ctx, RopeOperand::Query), q, a[1], a[4], ref);
    auto read = b.create<CacheReadOp>(l, kType, vType, posType, a[2], ref);
    Value k = read.getKey();
    if (rope && !ropeOnWrite)
      k = b.create<RopeOp>(l, kType, RopeOperandAttr::get(&ctx, RopeOperand::Key), k, read.getPositions(),
                           a[4], ref);
    auto op = attention(q, k, read.getValue(), a[1], read.getPositions(), a[3],
                        a.drop_front(5));
    b.create<func::ReturnOp>(l, op->getResults());
  }
}

} // namespace

OwningOpRef<ModuleOp> mlirGen(MLIRContext &context,
                              const std::vector<Spec> &specs) {
  context.loadDialect<AttnDialect, arith::ArithDialect, math::MathDialect,
                      func::FuncDialect, tensor::TensorDialect>();
  OpBuilder b(&context);
  OwningOpRef<ModuleOp> module = ModuleOp::create(b.getUnknownLoc());
  for (const Spec &spec : specs) {
    SpecLowering lowering(context, *module, spec);
    if (failed(lowering.run()))
      return nullptr;
  }
  if (failed(verify(*module)))
    return nullptr;
  return module;
}

} // namespace attnc
