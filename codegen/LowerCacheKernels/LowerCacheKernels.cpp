//===- LowerCacheKernels.cpp - attn-lower-cache-kernels --------------------===//
//
// Builds, for each attn.variant whose cache layout is supported, the kernels
// that work on the spec's KV cache (docs/kernels.md, "Decode and append"):
//
//   NAME_append(k, v, pos, cache..., b, len) -> i32 status
//       writes tokens len.. of sequence b: RoPE at write (on_write), rounding
//       to the cache element type, per-token int8/fp8 quantization;
//   NAME_decode_split(q, q_pos, cache..., lens, inputs..., part_out,
//                     part_lse, begin, end)
//       work items (sequence, KV head, split): one query per sequence, the
//       query heads of a KV head packed so each key is read once (GQA), the
//       resident keys split S ways; each item writes a partial output and
//       its log-sum-exp;
//   NAME_decode_merge(part_out, part_lse, inputs..., out [, lse], begin, end)
//       work items (sequence, head): the LSE merge of the splits and the
//       normalizer (sink logits, off-by-one);
//   NAME_decode(q, q_pos, cache..., lens, inputs..., out [, lse])
//       both on the calling thread, S = 1.
//
// Keys are gathered a chunk at a time into f32 scratch (dequantized, and
// rotated at their attention positions for on_read RoPE), so one attention
// loop serves every layout. The formulas (RoPE, masks, scores, biases,
// online softmax) come from KernelEmitter, shared with the prefill kernels.
//
//===----------------------------------------------------------------------===//
#include "codegen/LowerToLoops/KernelEmitter.h"
#include "codegen/Passes.h"

#include <limits>

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNLOWERCACHEKERNELSPASS
#include "codegen/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

constexpr int64_t kChunk = 64; // keys gathered per step (K+V of one head fit in L1/L2)

/// The physical layout of the cache, as the kernels address it.
struct CacheLayoutInfo {
  enum Kind { Contiguous, Paged, Ring } kind = Contiguous;
  bool hnd = false;
  int64_t pageSize = 0, sinks = 0, window = 0;
  enum Quant { None, Int8, FP8 } quant = None;
  // FP8: mantissa bits, minimum normal exponent, largest finite code, F.
  int64_t mbits = 0, emin = 0, maxCode = 0;
  double fmax = 0;

  /// Fills the description; false when the layout has no kernels yet.
  bool init(Attribute cache, std::string &why) {
    QuantAttrInterface q;
    if (auto c = dyn_cast<ContiguousCacheAttr>(cache)) {
      kind = Contiguous;
      hnd = c.getLayout() == CacheLayout::HND;
      q = c.getQuant();
    } else if (auto p = dyn_cast<PagedCacheAttr>(cache)) {
      kind = Paged;
      hnd = p.getLayout() == CacheLayout::HND;
      pageSize = p.getPageSize();
      q = p.getQuant();
    } else if (auto r = dyn_cast<RingCacheAttr>(cache)) {
      kind = Ring;
      sinks = r.getSinks();
      window = r.getWindow();
      q = r.getQuant();
    } else {
      why = "unknown cache layout";
      return false;
    }
    if (!q)
      return true;
    if (auto i8 = dyn_cast<Int8QuantAttr>(q)) {
      if (i8.getGranularity() != Granularity::PerToken) {
        why = "int8 per_channel quantization";
        return false;
      }
      quant = Int8;
      return true;
    }
    if (auto f8 = dyn_cast<FP8QuantAttr>(q)) {
      if (f8.getGranularity() != Granularity::PerToken) {
        why = "fp8 per_channel quantization";
        return false;
      }
      quant = FP8;
      bool e4m3 = f8.getFormat() == FP8Format::E4M3;
      mbits = e4m3 ? 3 : 2;
      emin = e4m3 ? -6 : -14;
      maxCode = e4m3 ? 0x7E : 0x7B; // 448 (e4m3fn has no inf) / 57344
      fmax = e4m3 ? 448.0 : 57344.0;
      return true;
    }
    why = "int4 (KIVI) quantization";
    return false;
  }
};

class CacheKernelBuilder : public KernelEmitter {
public:
  using KernelEmitter::KernelEmitter;
  /// Whether the variant's cache layout has kernels yet.
  bool supported() {
    std::string why;
    return L.init(variant.getCache(), why);
  }
  void build();

private:
  // Types of the cache buffers, in argument order.
  SmallVector<Type> cacheTypes();
  void bindCache(ValueRange args, unsigned &next);
  SmallVector<Type> inputTypes();
  void bindInputs(ValueRange args, unsigned &next);
  func::FuncOp makeFunc(StringRef suffix, ArrayRef<Type> args, ArrayRef<Type> results = {});

  /// (i0, i1): the first two indices of logical token `t` of sequence `seq`
  /// in the token buffers (sequence/page, token/slot).
  std::pair<Value, Value> slotOf(OpBuilder &ob, Value seq, Value t);
  SmallVector<Value> rowIndices(OpBuilder &ob, Value i0, Value i1, Value kvh);
  /// Loads one key or value row of the cache as vector<N x f32>, dequantized.
  Value loadRow(OpBuilder &ob, bool key, Value i0, Value i1, Value kvh);
  /// Stores an f32 row (already rounded to the element type) into the cache,
  /// quantizing it.
  void storeRow(OpBuilder &ob, bool key, Value i0, Value i1, Value kvh, Value row);
  Value fp8Encode(OpBuilder &ob, Value y);
  Value fp8Decode(OpBuilder &ob, Value codes);
  /// 2^e for an i32 vector e (normal range), as f32.
  Value pow2(OpBuilder &ob, Value e);
  Value splatI32(OpBuilder &ob, VectorType t, int64_t v);

  void buildAppend();
  void buildSplit();
  void buildMerge();
  void buildDecode();

  CacheLayoutInfo L;
  int64_t H = 0, Hkv = 0, D = 0, Dv = 0, group = 0;
  TypesAttr types;
  bool twoBranches = false, onRead = false;
  Value kc, vc, pc, ks, vs, table;
};

/// Moves the fixed-size scratch (memref.alloca without operands) to the
/// entry block, so a loop over work items reuses one stack allocation
/// instead of growing the stack every iteration.
void hoistStaticAllocas(func::FuncOp f) {
  Block &entry = f.getBody().front();
  SmallVector<memref::AllocaOp> allocas;
  f.walk([&](memref::AllocaOp a) {
    if (a->getNumOperands() == 0 && a->getBlock() != &entry)
      allocas.push_back(a);
  });
  for (memref::AllocaOp a : allocas)
    a->moveBefore(&entry, entry.begin());
}

func::FuncOp CacheKernelBuilder::makeFunc(StringRef suffix, ArrayRef<Type> args,
                                          ArrayRef<Type> results) {
  b.setInsertionPointToEnd(module.getBody());
  auto f = b.create<func::FuncOp>(loc, (variant.getSymName() + suffix).str(),
                                  b.getFunctionType(args, results));
  f->setAttr("llvm.emit_c_interface", UnitAttr::get(b.getContext()));
  b.setInsertionPointToStart(f.addEntryBlock());
  inputArgs.clear();
  return f;
}

SmallVector<Type> CacheKernelBuilder::cacheTypes() {
  int64_t dyn = ShapedType::kDynamic;
  Type kEl = types.getK(), vEl = types.getV();
  if (L.quant != CacheLayoutInfo::None)
    kEl = vEl = b.getI8Type();
  // Token buffers: [seq or page, slot, kv_heads, dim] (hnd: heads before slots).
  int64_t slots = L.kind == CacheLayoutInfo::Paged ? L.pageSize
                  : L.kind == CacheLayoutInfo::Ring ? L.sinks + L.window
                                                    : dyn;
  auto tokens = [&](int64_t dim, Type el) -> Type {
    if (L.hnd)
      return MemRefType::get({dyn, Hkv, slots, dim}, el);
    return MemRefType::get({dyn, slots, Hkv, dim}, el);
  };
  SmallVector<Type> t = {tokens(D, kEl), tokens(Dv, vEl), MemRefType::get({dyn, slots}, b.getI64Type())};
  if (L.quant != CacheLayoutInfo::None) {
    Type scales = MemRefType::get({dyn, slots, Hkv}, b.getF32Type());
    t.append({scales, scales});
  }
  if (L.kind == CacheLayoutInfo::Paged)
    t.push_back(MemRefType::get({dyn, dyn}, b.getI32Type()));
  return t;
}

void CacheKernelBuilder::bindCache(ValueRange args, unsigned &next) {
  kc = args[next++];
  vc = args[next++];
  pc = args[next++];
  ks = vs = table = Value();
  if (L.quant != CacheLayoutInfo::None) {
    ks = args[next++];
    vs = args[next++];
  }
  if (L.kind == CacheLayoutInfo::Paged)
    table = args[next++];
}

SmallVector<Type> CacheKernelBuilder::inputTypes() {
  SmallVector<Type> t;
  for (Attribute a : variant.getInputs()) {
    auto in = cast<InputAttr>(a);
    SmallVector<int64_t> dims;
    for (Attribute dimAttr : in.getDims()) {
      int64_t n = 0;
      dims.push_back(cast<StringAttr>(dimAttr).getValue().getAsInteger(10, n) ? ShapedType::kDynamic : n);
    }
    t.push_back(MemRefType::get(dims, in.getDtype()));
  }
  return t;
}

void CacheKernelBuilder::bindInputs(ValueRange args, unsigned &next) {
  for (Attribute a : variant.getInputs())
    inputArgs[cast<InputAttr>(a).getName()] = args[next++];
}

std::pair<Value, Value> CacheKernelBuilder::slotOf(OpBuilder &ob, Value seq, Value t) {
  switch (L.kind) {
  case CacheLayoutInfo::Contiguous:
    return {seq, t};
  case CacheLayoutInfo::Paged: {
    Value page = ob.create<arith::DivUIOp>(loc, t, idxc(ob, L.pageSize));
    Value off = ob.create<arith::RemUIOp>(loc, t, idxc(ob, L.pageSize));
    Value phys = ob.create<memref::LoadOp>(loc, table, ValueRange{seq, page});
    return {ob.create<arith::IndexCastOp>(loc, ob.getIndexType(), phys), off};
  }
  case CacheLayoutInfo::Ring: {
    // Sinks keep slots 0..n-1; window tokens rotate through n..n+W-1.
    Value isSink = ob.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, t, idxc(ob, L.sinks));
    Value rolled = ob.create<arith::AddIOp>(
        loc, idxc(ob, L.sinks),
        ob.create<arith::RemUIOp>(loc, ob.create<arith::SubIOp>(loc, t, idxc(ob, L.sinks)),
                                  idxc(ob, L.window)));
    return {seq, ob.create<arith::SelectOp>(loc, isSink, t, rolled)};
  }
  }
  return {seq, t};
}

SmallVector<Value> CacheKernelBuilder::rowIndices(OpBuilder &ob, Value i0, Value i1, Value kvh) {
  if (L.hnd)
    return {i0, kvh, i1, idxc(ob, 0)};
  return {i0, i1, kvh, idxc(ob, 0)};
}

Value CacheKernelBuilder::splatI32(OpBuilder &ob, VectorType t, int64_t v) {
  return ob.create<arith::ConstantOp>(loc, DenseElementsAttr::get(t, ob.getI32IntegerAttr(v)));
}

Value CacheKernelBuilder::pow2(OpBuilder &ob, Value e) {
  auto it = cast<VectorType>(e.getType());
  Value bits = ob.create<arith::ShLIOp>(
      loc, ob.create<arith::AddIOp>(loc, e, splatI32(ob, it, 127)), splatI32(ob, it, 23));
  return ob.create<arith::BitcastOp>(loc, VectorType::get(it.getShape(), ob.getF32Type()), bits);
}

/// Round-to-nearest-even FP8 codes of `y` (|y| <= F up to rounding),
/// saturating: the grid spacing at |y| is 2^(max(e, emin) - mbits), and the
/// code is ((max(e, emin) - emin) << mbits) + |y| / spacing, which also
/// carries correctly into the next binade and covers subnormals.
Value CacheKernelBuilder::fp8Encode(OpBuilder &ob, Value y) {
  auto ft = cast<VectorType>(y.getType());
  auto it = VectorType::get(ft.getShape(), ob.getI32Type());
  Value bits = ob.create<arith::BitcastOp>(loc, it, y);
  Value sign = ob.create<arith::AndIOp>(loc, ob.create<arith::ShRUIOp>(loc, bits, splatI32(ob, it, 24)),
                                        splatI32(ob, it, 0x80));
  Value mag = ob.create<math::AbsFOp>(loc, y);
  Value magBits = ob.create<arith::BitcastOp>(loc, it, mag);
  Value e = ob.create<arith::SubIOp>(
      loc, ob.create<arith::AndIOp>(loc, ob.create<arith::ShRUIOp>(loc, magBits, splatI32(ob, it, 23)),
                                    splatI32(ob, it, 0xFF)),
      splatI32(ob, it, 127));
  Value eC = ob.create<arith::MaxSIOp>(loc, e, splatI32(ob, it, L.emin));
  Value invSpacing = pow2(ob, ob.create<arith::SubIOp>(loc, splatI32(ob, it, L.mbits), eC));
  Value k = ob.create<arith::FPToSIOp>(
      loc, it, ob.create<math::RoundEvenOp>(loc, ob.create<arith::MulFOp>(loc, mag, invSpacing)));
  Value code = ob.create<arith::AddIOp>(
      loc, ob.create<arith::ShLIOp>(loc, ob.create<arith::SubIOp>(loc, eC, splatI32(ob, it, L.emin)),
                                    splatI32(ob, it, L.mbits)),
      k);
  code = ob.create<arith::MinSIOp>(loc, code, splatI32(ob, it, L.maxCode));
  code = ob.create<arith::OrIOp>(loc, code, sign);
  return ob.create<arith::TruncIOp>(loc, VectorType::get(ft.getShape(), ob.getI8Type()), code);
}

Value CacheKernelBuilder::fp8Decode(OpBuilder &ob, Value codes) {
  auto ct = cast<VectorType>(codes.getType());
  auto it = VectorType::get(ct.getShape(), ob.getI32Type());
  auto ft = VectorType::get(ct.getShape(), ob.getF32Type());
  Value c = ob.create<arith::ExtUIOp>(loc, it, codes);
  Value mag = ob.create<arith::AndIOp>(loc, c, splatI32(ob, it, 0x7F));
  Value ef = ob.create<arith::ShRUIOp>(loc, mag, splatI32(ob, it, L.mbits));
  Value mf = ob.create<arith::AndIOp>(loc, mag, splatI32(ob, it, (1 << L.mbits) - 1));
  Value isSub = ob.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, ef, splatI32(ob, it, 0));
  Value mant = ob.create<arith::SelectOp>(
      loc, isSub, mf, ob.create<arith::AddIOp>(loc, mf, splatI32(ob, it, 1 << L.mbits)));
  // value = mant * 2^(max(ef, 1) - 1 + emin - mbits)
  Value ex = ob.create<arith::AddIOp>(loc, ob.create<arith::MaxSIOp>(loc, ef, splatI32(ob, it, 1)),
                                      splatI32(ob, it, L.emin - L.mbits - 1));
  Value val = ob.create<arith::MulFOp>(loc, ob.create<arith::SIToFPOp>(loc, ft, mant), pow2(ob, ex));
  Value neg = ob.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ne,
                                       ob.create<arith::AndIOp>(loc, c, splatI32(ob, it, 0x80)),
                                       splatI32(ob, it, 0));
  return ob.create<arith::SelectOp>(loc, neg, ob.create<arith::NegFOp>(loc, val), val);
}

Value CacheKernelBuilder::loadRow(OpBuilder &ob, bool key, Value i0, Value i1, Value kvh) {
  int64_t n = key ? D : Dv;
  Value buffer = key ? kc : vc;
  Type el = cast<MemRefType>(buffer.getType()).getElementType();
  Value raw = ob.create<vector::LoadOp>(loc, VectorType::get({n}, el), buffer,
                                        rowIndices(ob, i0, i1, kvh));
  auto ft = VectorType::get({n}, ob.getF32Type());
  if (L.quant == CacheLayoutInfo::None)
    return el.isF32() ? raw : (Value)ob.create<arith::ExtFOp>(loc, ft, raw);
  Value vals = L.quant == CacheLayoutInfo::Int8 ? (Value)ob.create<arith::SIToFPOp>(loc, ft, raw)
                                                : fp8Decode(ob, raw);
  Value scale = ob.create<memref::LoadOp>(loc, key ? ks : vs, ValueRange{i0, i1, kvh});
  return ob.create<arith::MulFOp>(loc, vals, ob.create<vector::BroadcastOp>(loc, ft, scale));
}

void CacheKernelBuilder::storeRow(OpBuilder &ob, bool key, Value i0, Value i1, Value kvh,
                                  Value row) {
  int64_t n = key ? D : Dv;
  Value buffer = key ? kc : vc;
  Type el = cast<MemRefType>(buffer.getType()).getElementType();
  auto ft = VectorType::get({n}, ob.getF32Type());
  if (L.quant == CacheLayoutInfo::None) {
    Value v = el.isF32() ? row : (Value)ob.create<arith::TruncFOp>(loc, VectorType::get({n}, el), row);
    ob.create<vector::StoreOp>(loc, v, buffer, rowIndices(ob, i0, i1, kvh));
    return;
  }
  // Per (token, KV head): scale = max|x| / F; x = 0 everywhere gives scale 0
  // and codes 0.
  Value amax = ob.create<vector::ReductionOp>(loc, vector::CombiningKind::MAXIMUMF,
                                              ob.create<math::AbsFOp>(loc, row));
  double F = L.quant == CacheLayoutInfo::Int8 ? 127.0 : L.fmax;
  Value scale = ob.create<arith::DivFOp>(loc, amax, f32c(ob, F));
  Value zero = ob.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, scale, f32c(ob, 0));
  Value y = ob.create<arith::DivFOp>(loc, row, ob.create<vector::BroadcastOp>(loc, ft, scale));
  Value zeros = ob.create<arith::ConstantOp>(loc, DenseElementsAttr::get(ft, ob.getF32FloatAttr(0)));
  y = ob.create<arith::SelectOp>(loc, zero, zeros, y);
  Value codes;
  auto i8t = VectorType::get({n}, ob.getI8Type());
  if (L.quant == CacheLayoutInfo::Int8) {
    Value r = ob.create<math::RoundEvenOp>(loc, y);
    Value lim = ob.create<arith::ConstantOp>(loc, DenseElementsAttr::get(ft, ob.getF32FloatAttr(127)));
    Value nlim = ob.create<arith::ConstantOp>(loc, DenseElementsAttr::get(ft, ob.getF32FloatAttr(-127)));
    r = ob.create<arith::MinimumFOp>(loc, ob.create<arith::MaximumFOp>(loc, r, nlim), lim);
    codes = ob.create<arith::FPToSIOp>(loc, i8t, r);
  } else {
    codes = fp8Encode(ob, y);
  }
  ob.create<vector::StoreOp>(loc, codes, buffer, rowIndices(ob, i0, i1, kvh));
  ob.create<memref::StoreOp>(loc, scale, key ? ks : vs, ValueRange{i0, i1, kvh});
}

void CacheKernelBuilder::build() {
  ShapeAttr shape = variant.getShape();
  types = variant.getTypes();
  H = shape.getHeads();
  Hkv = shape.getKvHeads();
  D = shape.getHeadDim();
  Dv = shape.getValueDim();
  group = H / Hkv;
  rope = dyn_cast<RopeAttr>(variant.getPosition());
  if (rope) {
    freqs = computeRopeFrequencies(rope);
    twoBranches = (bool)rope.getRemap();
    onRead = rope.getApply() == RopeApply::OnRead;
  }
  buildAppend();
  buildSplit();
  buildMerge();
  buildDecode();
}

/// append(k [n, Hkv, D], v [n, Hkv, Dv], pos [n], cache..., seq, len) -> i32:
/// 0 on success; 1: past the contiguous capacity; 2: a page of the new
/// tokens is missing from the page table (-1, out of range); 3: `seq` is
/// not a sequence of the cache. Nothing is written unless the status is 0.
void CacheKernelBuilder::buildAppend() {
  int64_t dyn = ShapedType::kDynamic;
  SmallVector<Type> args = {MemRefType::get({dyn, Hkv, D}, types.getK()),
                            MemRefType::get({dyn, Hkv, Dv}, types.getV()),
                            MemRefType::get({dyn}, b.getI64Type())};
  args.append(cacheTypes());
  args.append({b.getIndexType(), b.getIndexType()});
  func::FuncOp f = makeFunc("_append", args, {b.getI32Type()});
  auto fa = f.getArguments();
  Value kIn = fa[0], vIn = fa[1], posIn = fa[2];
  unsigned next = 3;
  bindCache(fa, next);
  Value seq = fa[next++], len = fa[next++];
  Value n = b.create<memref::DimOp>(loc, kIn, 0);
  Value newLen = b.create<arith::AddIOp>(loc, len, n);
  auto cmp = [&](arith::CmpIPredicate p, Value x, Value y) {
    return b.create<arith::CmpIOp>(loc, p, x, y).getResult();
  };
  using P = arith::CmpIPredicate;
  // Status checks before any write.
  Value status = b.create<arith::ConstantIntOp>(loc, 0, 32);
  auto setIf = [&](Value bad, int code) {
    status = b.create<arith::SelectOp>(
        loc, b.create<arith::AndIOp>(loc, bad, cmp(P::eq, status, b.create<arith::ConstantIntOp>(loc, 0, 32))),
        b.create<arith::ConstantIntOp>(loc, code, 32), status);
  };
  Value seqCount = L.kind == CacheLayoutInfo::Paged ? b.create<memref::DimOp>(loc, table, 0).getResult()
                                                     : b.create<memref::DimOp>(loc, kc, 0).getResult();
  setIf(cmp(P::uge, seq, seqCount), 3);
  if (L.kind == CacheLayoutInfo::Contiguous) {
    Value cap = b.create<memref::DimOp>(loc, pc, 1);
    setIf(cmp(P::ugt, newLen, cap), 1);
  }
  if (L.kind == CacheLayoutInfo::Paged) {
    // Every page touched by [len, newLen) must be a valid physical page.
    Value pages = b.create<memref::DimOp>(loc, kc, 0);
    Value maxPages = b.create<memref::DimOp>(loc, table, 1);
    Value firstPage = b.create<arith::DivUIOp>(loc, len, idxc(b, L.pageSize));
    Value endPage = b.create<arith::CeilDivUIOp>(loc, newLen, idxc(b, L.pageSize));
    Value seqOk = cmp(P::ult, seq, seqCount);
    Value safeSeq = b.create<arith::SelectOp>(loc, seqOk, seq, idxc(b, 0));
    auto scan = b.create<scf::ForOp>(
        loc, firstPage, endPage, idxc(b, 1), ValueRange{i1c(b, true)},
        [&](OpBuilder &lb, Location, Value p, ValueRange acc) {
          Value inTable = lb.create<arith::CmpIOp>(loc, P::ult, p, maxPages);
          auto ifOp = lb.create<scf::IfOp>(
              loc, lb.create<arith::AndIOp>(loc, inTable, seqOk),
              [&](OpBuilder &tb, Location) {
                Value phys = tb.create<memref::LoadOp>(loc, table, ValueRange{safeSeq, p});
                Value physIdx = tb.create<arith::IndexCastOp>(
                    loc, tb.getIndexType(), tb.create<arith::ExtSIOp>(loc, tb.getI64Type(), phys));
                Value ok = tb.create<arith::AndIOp>(
                    loc, tb.create<arith::CmpIOp>(loc, P::sge, phys, tb.create<arith::ConstantIntOp>(loc, 0, 32)),
                    tb.create<arith::CmpIOp>(loc, P::ult, physIdx, pages));
                tb.create<scf::YieldOp>(loc, ValueRange{ok});
              },
              [&](OpBuilder &eb, Location) { eb.create<scf::YieldOp>(loc, ValueRange{i1c(eb, false)}); });
          lb.create<scf::YieldOp>(loc, ValueRange{lb.create<arith::AndIOp>(loc, acc[0], ifOp.getResult(0))});
        });
    setIf(b.create<arith::XOrIOp>(loc, scan.getResult(0), i1c(b, true)), 2);
  }
  Value ok = cmp(P::eq, status, b.create<arith::ConstantIntOp>(loc, 0, 32));
  auto guard = b.create<scf::IfOp>(loc, ok, /*withElse=*/false);
  b.setInsertionPointToStart(&guard.getThenRegion().front());
  {
    // Keys to f32, rotated at their positions for on_write RoPE, with the
    // length after this call for length-dependent scalings.
    Value kf = b.create<memref::AllocOp>(loc, MemRefType::get({dyn, Hkv, D}, b.getF32Type()), ValueRange{n});
    seqLenF64 = b.create<arith::SIToFPOp>(loc, b.getF64Type(), toI64(b, newLen));
    RopeAttr saved = rope;
    if (rope && onRead)
      rope = RopeAttr(); // stored un-rotated; rotateInto then only converts
    if (rope)
      invFreq = loadInvFreqTable(b);
    rotateInto(b, kIn, posIn, kf, Hkv, /*isQuery=*/false, 0);
    rope = saved;
    Type kEl = types.getK(), vEl = types.getV();
    auto loop = b.create<scf::ForOp>(loc, idxc(b, 0), n, idxc(b, 1));
    b.setInsertionPointToStart(loop.getBody());
    Value i = loop.getInductionVar();
    Value t = b.create<arith::AddIOp>(loc, len, i);
    auto [i0, i1] = slotOf(b, seq, t);
    b.create<memref::StoreOp>(loc, b.create<memref::LoadOp>(loc, posIn, i), pc, ValueRange{i0, i1});
    auto heads = b.create<scf::ForOp>(loc, idxc(b, 0), idxc(b, Hkv), idxc(b, 1));
    b.setInsertionPointToStart(heads.getBody());
    Value g = heads.getInductionVar();
    // Rounded to the element type first: quantization starts from the value
    // the unquantized cache would hold (semantics.md §8.4).
    auto roundTo = [&](Value row, Type el) -> Value {
      if (el.isF32())
        return row;
      auto vt = cast<VectorType>(row.getType());
      Value narrow = b.create<arith::TruncFOp>(loc, VectorType::get(vt.getShape(), el), row);
      return b.create<arith::ExtFOp>(loc, vt, narrow);
    };
    Value kRow = b.create<vector::LoadOp>(loc, VectorType::get({D}, b.getF32Type()), kf,
                                          ValueRange{i, g, idxc(b, 0)});
    storeRow(b, true, i0, i1, g, roundTo(kRow, kEl));
    Value vRow = b.create<vector::LoadOp>(loc, VectorType::get({Dv}, vEl), vIn, ValueRange{i, g, idxc(b, 0)});
    storeRow(b, false, i0, i1, g, roundTo(vecToF32(b, vRow), vEl));
    b.setInsertionPointAfter(loop);
    b.create<memref::DeallocOp>(loc, kf);
  }
  b.setInsertionPointAfter(guard);
  b.create<func::ReturnOp>(loc, status);
}

/// split(q [B, H, D], q_pos [B], cache..., lens [B], inputs..., part_out
/// [B, S, H, Dv], part_lse [B, S, H], begin, end).
void CacheKernelBuilder::buildSplit() {
  int64_t dyn = ShapedType::kDynamic;
  double negInf = -std::numeric_limits<double>::infinity();
  SmallVector<Type> args = {MemRefType::get({dyn, H, D}, types.getQ()),
                            MemRefType::get({dyn}, b.getI64Type())};
  args.append(cacheTypes());
  args.push_back(MemRefType::get({dyn}, b.getI64Type()));
  args.append(inputTypes());
  args.append({MemRefType::get({dyn, dyn, H, Dv}, b.getF32Type()),
               MemRefType::get({dyn, dyn, H}, b.getF32Type()), b.getIndexType(), b.getIndexType()});
  func::FuncOp f = makeFunc("_decode_split", args);
  auto fa = f.getArguments();
  Value qIn = fa[0], qPosIn = fa[1];
  unsigned next = 2;
  bindCache(fa, next);
  Value lens = fa[next++];
  bindInputs(fa, next);
  Value pout = fa[next++], plse = fa[next++], begin = fa[next++], end = fa[next++];
  if (auto alibi = dyn_cast<AlibiAttr>(variant.getPosition()))
    alibiSlopes = constantTable("alibi_slopes", alibi.getSlopes().asArrayRef(), b.getF32Type());

  Value B = b.create<memref::DimOp>(loc, qIn, 0);
  Value S = b.create<memref::DimOp>(loc, pout, 1);
  Value perSeq = b.create<arith::MulIOp>(loc, S, idxc(b, Hkv));
  Value endC = b.create<arith::MinUIOp>(loc, end, b.create<arith::MulIOp>(loc, B, perSeq));
  auto work = b.create<scf::ForOp>(loc, begin, endC, idxc(b, 1));
  b.setInsertionPointToStart(work.getBody());
  Value w = work.getInductionVar();
  Value seq = b.create<arith::DivUIOp>(loc, w, perSeq);
  Value rem = b.create<arith::RemUIOp>(loc, w, perSeq);
  Value kvh = b.create<arith::DivUIOp>(loc, rem, S);
  Value split = b.create<arith::RemUIOp>(loc, rem, S);
  Value T = toIndex(b, b.create<memref::LoadOp>(loc, lens, seq));
  // Resident keys: all T, or for a ring the sinks plus the last W window
  // tokens; resident index r is a ring key's position inside the cache.
  Value R = T, nSinks, winStart;
  bool ring = L.kind == CacheLayoutInfo::Ring;
  if (ring) {
    nSinks = b.create<arith::MinUIOp>(loc, T, idxc(b, L.sinks));
    Value past = b.create<arith::SubIOp>(loc, T, nSinks);
    Value nWin = b.create<arith::MinUIOp>(loc, past, idxc(b, L.window));
    R = b.create<arith::AddIOp>(loc, nSinks, nWin);
    winStart = b.create<arith::SubIOp>(loc, T, nWin);
  }
  bool cachePositions = ring && rope; // positions inside the cache (on_read)
  Value qp = cachePositions ? toI64(b, b.create<arith::SubIOp>(loc, R, idxc(b, 1)))
                            : b.create<memref::LoadOp>(loc, qPosIn, seq).getResult();
  Value rI64 = toI64(b, R);
  seqLenF64 = b.create<arith::SIToFPOp>(loc, b.getF64Type(), rI64);
  if (rope)
    invFreq = loadInvFreqTable(b);

  // The group's queries, rotated at the query position.
  auto strided = [&](Value src, ArrayRef<OpFoldResult> offs, ArrayRef<OpFoldResult> sizes) {
    SmallVector<OpFoldResult> strides(offs.size(), b.getIndexAttr(1));
    return b.create<memref::SubViewOp>(loc, src, offs, sizes, strides).getResult();
  };
  Value h0 = b.create<arith::MulIOp>(loc, kvh, idxc(b, group));
  Value qGroup = strided(qIn, {seq, h0, b.getIndexAttr(0)},
                         {b.getIndexAttr(1), b.getIndexAttr(group), b.getIndexAttr(D)});
  Value qPosBuf = b.create<memref::AllocaOp>(loc, MemRefType::get({1}, b.getI64Type()));
  b.create<memref::StoreOp>(loc, qp, qPosBuf, idxc(b, 0));
  auto groupType = MemRefType::get({1, group, D}, b.getF32Type());
  Value qf = b.create<memref::AllocaOp>(loc, groupType);
  rotateInto(b, qGroup, qPosBuf, qf, group, /*isQuery=*/true, 0);
  Value qg;
  if (twoBranches) {
    qg = b.create<memref::AllocaOp>(loc, groupType);
    rotateInto(b, qGroup, qPosBuf, qg, group, true, 1);
  }
  // Online-softmax state per query head of the group.
  Value mBuf = b.create<memref::AllocaOp>(loc, MemRefType::get({group}, b.getF32Type()));
  Value lBuf = b.create<memref::AllocaOp>(loc, MemRefType::get({group}, b.getF32Type()));
  Value accBuf = b.create<memref::AllocaOp>(loc, MemRefType::get({group, Dv}, b.getF32Type()));
  auto accType = VectorType::get({Dv}, b.getF32Type());
  auto kVecType = VectorType::get({D}, b.getF32Type());
  Value zeroAcc = b.create<arith::ConstantOp>(loc, DenseElementsAttr::get(accType, b.getF32FloatAttr(0)));
  for (int64_t g = 0; g < group; ++g) {
    b.create<memref::StoreOp>(loc, f32c(b, negInf), mBuf, idxc(b, g));
    b.create<memref::StoreOp>(loc, f32c(b, 0), lBuf, idxc(b, g));
    b.create<vector::StoreOp>(loc, zeroAcc, accBuf, ValueRange{idxc(b, g), idxc(b, 0)});
  }
  auto chunkType = MemRefType::get({kChunk, 1, D}, b.getF32Type());
  Value kRaw = b.create<memref::AllocaOp>(loc, chunkType);
  Value kNear = kRaw, kFar;
  if (rope && onRead)
    kNear = b.create<memref::AllocaOp>(loc, chunkType);
  if (twoBranches)
    kFar = b.create<memref::AllocaOp>(loc, chunkType);
  Value vChunk = b.create<memref::AllocaOp>(loc, MemRefType::get({kChunk, Dv}, b.getF32Type()));
  Value posChunk = b.create<memref::AllocaOp>(loc, MemRefType::get({kChunk}, b.getI64Type()));

  // This split's resident keys [r0, r1).
  Value per = b.create<arith::CeilDivUIOp>(loc, R, S);
  Value r0 = b.create<arith::MinUIOp>(loc, b.create<arith::MulIOp>(loc, split, per), R);
  Value r1 = b.create<arith::MinUIOp>(loc, b.create<arith::AddIOp>(loc, r0, per), R);
  auto chunks = b.create<scf::ForOp>(loc, r0, r1, idxc(b, kChunk));
  b.setInsertionPointToStart(chunks.getBody());
  Value c0 = chunks.getInductionVar();
  Value cnt = b.create<arith::MinUIOp>(loc, idxc(b, kChunk), b.create<arith::SubIOp>(loc, r1, c0));
  {
    // Gather (and dequantize) the chunk.
    auto gather = b.create<scf::ForOp>(loc, idxc(b, 0), cnt, idxc(b, 1));
    OpBuilder::InsertionGuard ig(b);
    b.setInsertionPointToStart(gather.getBody());
    Value jj = gather.getInductionVar();
    Value r = b.create<arith::AddIOp>(loc, c0, jj);
    Value t = r;
    if (ring) {
      Value isSink = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, r, nSinks);
      Value winT = b.create<arith::AddIOp>(loc, winStart, b.create<arith::SubIOp>(loc, r, nSinks));
      t = b.create<arith::SelectOp>(loc, isSink, r, winT);
    }
    auto [i0, i1] = slotOf(b, seq, t);
    b.create<vector::StoreOp>(loc, loadRow(b, true, i0, i1, kvh), kRaw, ValueRange{jj, idxc(b, 0), idxc(b, 0)});
    b.create<vector::StoreOp>(loc, loadRow(b, false, i0, i1, kvh), vChunk, ValueRange{jj, idxc(b, 0)});
    Value kp = cachePositions ? toI64(b, r) : b.create<memref::LoadOp>(loc, pc, ValueRange{i0, i1}).getResult();
    b.create<memref::StoreOp>(loc, kp, posChunk, jj);
  }
  if (rope && onRead) {
    // Rotated at their attention positions, scaled for the current length.
    Value raw = strided(kRaw, {b.getIndexAttr(0), b.getIndexAttr(0), b.getIndexAttr(0)},
                        {cnt, b.getIndexAttr(1), b.getIndexAttr(D)});
    Value pos = strided(posChunk, {b.getIndexAttr(0)}, {cnt});
    auto view = [&](Value buf) {
      return strided(buf, {b.getIndexAttr(0), b.getIndexAttr(0), b.getIndexAttr(0)},
                     {cnt, b.getIndexAttr(1), b.getIndexAttr(D)});
    };
    rotateInto(b, raw, pos, view(kNear), 1, /*isQuery=*/false, 0);
    if (twoBranches)
      rotateInto(b, raw, pos, view(kFar), 1, false, 1);
  }
  // Attend: every query head of the group over the chunk.
  Attribute remap = rope ? rope.getRemap() : Attribute();
  int64_t remapWindow = 0;
  if (auto rr = dyn_cast_or_null<ReRopeRemapAttr>(remap)) remapWindow = rr.getWindow();
  if (auto se = dyn_cast_or_null<SelfExtendRemapAttr>(remap)) remapWindow = se.getWindow();
  for (const HeadSegment &segment : headSegments()) {
    auto gLoop = b.create<scf::ForOp>(loc, idxc(b, 0), idxc(b, group), idxc(b, 1));
    OpBuilder::InsertionGuard ig(b);
    b.setInsertionPointToStart(gLoop.getBody());
    Value g = gLoop.getInductionVar();
    Value h = b.create<arith::AddIOp>(loc, h0, g);
    Value inSegment = b.create<arith::AndIOp>(
        loc, b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::uge, h, idxc(b, segment.begin)),
        b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, h, idxc(b, segment.end)));
    b.create<scf::IfOp>(loc, inSegment, [&](OpBuilder &sb, Location) {
      Value qRow = sb.create<vector::LoadOp>(loc, kVecType, qf, ValueRange{idxc(sb, 0), g, idxc(sb, 0)});
      Value qRowFar = twoBranches ? sb.create<vector::LoadOp>(loc, kVecType, qg, ValueRange{idxc(sb, 0), g, idxc(sb, 0)}).getResult()
                                  : Value();
      Value m0 = sb.create<memref::LoadOp>(loc, mBuf, g);
      Value l0 = sb.create<memref::LoadOp>(loc, lBuf, g);
      Value acc0 = sb.create<vector::LoadOp>(loc, accType, accBuf, ValueRange{g, idxc(sb, 0)});
      auto keys = sb.create<scf::ForOp>(
          loc, idxc(sb, 0), cnt, idxc(sb, 1), ValueRange{m0, l0, acc0},
          [&](OpBuilder &kb, Location, Value jj, ValueRange carried) {
            Value kp = kb.create<memref::LoadOp>(loc, posChunk, jj);
            PairIndices ix{seq, h, qp, kp, i64c(kb, 1), rI64};
            Value keep = segment.mask ? emitMask(kb, segment.mask, ix) : i1c(kb, true);
            auto ifOp = kb.create<scf::IfOp>(
                loc, keep,
                [&](OpBuilder &tb, Location) {
                  Value kRow = tb.create<vector::LoadOp>(loc, kVecType, kNear, ValueRange{jj, idxc(tb, 0), idxc(tb, 0)});
                  Value qUse = qRow;
                  if (twoBranches) {
                    Value far = tb.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge,
                                                         tb.create<arith::SubIOp>(loc, qp, kp), i64c(tb, remapWindow));
                    Value kRowFar = tb.create<vector::LoadOp>(loc, kVecType, kFar, ValueRange{jj, idxc(tb, 0), idxc(tb, 0)});
                    qUse = tb.create<arith::SelectOp>(loc, far, qRowFar, qRow);
                    kRow = tb.create<arith::SelectOp>(loc, far, kRowFar, kRow);
                  }
                  auto dotOp = tb.create<vector::ReductionOp>(loc, vector::CombiningKind::ADD,
                                                              tb.create<arith::MulFOp>(loc, qUse, kRow));
                  dotOp.setFastmath(arith::FastMathFlags::reassoc);
                  Value s = emitScore(tb, dotOp, ix, segment.score);
                  Value vRow = tb.create<vector::LoadOp>(loc, accType, vChunk, ValueRange{jj, idxc(tb, 0)});
                  tb.create<scf::YieldOp>(loc, onlineSoftmaxStep(tb, s, vRow, carried[0], carried[1], carried[2]));
                },
                [&](OpBuilder &eb, Location) { eb.create<scf::YieldOp>(loc, carried); });
            kb.create<scf::YieldOp>(loc, ifOp.getResults());
          });
      sb.create<memref::StoreOp>(loc, keys.getResult(0), mBuf, g);
      sb.create<memref::StoreOp>(loc, keys.getResult(1), lBuf, g);
      sb.create<vector::StoreOp>(loc, keys.getResult(2), accBuf, ValueRange{g, idxc(sb, 0)});
      sb.create<scf::YieldOp>(loc);
    });
  }
  b.setInsertionPointAfter(chunks);
  // Partial results: normalized output and lse (-inf and 0 when no key).
  for (int64_t g = 0; g < group; ++g) {
    Value gi = idxc(b, g);
    Value h = b.create<arith::AddIOp>(loc, h0, gi);
    Value m = b.create<memref::LoadOp>(loc, mBuf, gi);
    Value l = b.create<memref::LoadOp>(loc, lBuf, gi);
    Value acc = b.create<vector::LoadOp>(loc, accType, accBuf, ValueRange{gi, idxc(b, 0)});
    Value nonEmpty = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, l, f32c(b, 0));
    Value inv = b.create<arith::SelectOp>(loc, nonEmpty, b.create<arith::DivFOp>(loc, f32c(b, 1), l), f32c(b, 0));
    b.create<vector::StoreOp>(loc, b.create<arith::MulFOp>(loc, acc, b.create<vector::BroadcastOp>(loc, accType, inv)),
                              pout, ValueRange{seq, split, h, idxc(b, 0)});
    Value lse = b.create<arith::SelectOp>(loc, nonEmpty, b.create<arith::AddFOp>(loc, m, b.create<math::LogOp>(loc, l)),
                                          f32c(b, negInf));
    b.create<memref::StoreOp>(loc, lse, plse, ValueRange{seq, split, h});
  }
  b.setInsertionPointAfter(work);
  b.create<func::ReturnOp>(loc);
  hoistStaticAllocas(f);
}

/// merge(part_out, part_lse, inputs..., out [B, H, Dv] [, lse [B, H]],
/// begin, end): items (sequence, head).
void CacheKernelBuilder::buildMerge() {
  int64_t dyn = ShapedType::kDynamic;
  double negInf = -std::numeric_limits<double>::infinity();
  SmallVector<Type> args = {MemRefType::get({dyn, dyn, H, Dv}, b.getF32Type()),
                            MemRefType::get({dyn, dyn, H}, b.getF32Type())};
  args.append(inputTypes());
  args.push_back(MemRefType::get({dyn, H, Dv}, types.getOut()));
  if (variant.getLse())
    args.push_back(MemRefType::get({dyn, H}, b.getF32Type()));
  args.append({b.getIndexType(), b.getIndexType()});
  func::FuncOp f = makeFunc("_decode_merge", args);
  auto fa = f.getArguments();
  Value pout = fa[0], plse = fa[1];
  unsigned next = 2;
  bindInputs(fa, next);
  Value out = fa[next++], lseOut = variant.getLse() ? fa[next++] : Value();
  Value begin = fa[next++], end = fa[next++];
  Value B = b.create<memref::DimOp>(loc, pout, 0);
  Value S = b.create<memref::DimOp>(loc, pout, 1);
  Value endC = b.create<arith::MinUIOp>(loc, end, b.create<arith::MulIOp>(loc, B, idxc(b, H)));
  auto work = b.create<scf::ForOp>(loc, begin, endC, idxc(b, 1));
  b.setInsertionPointToStart(work.getBody());
  Value w = work.getInductionVar();
  Value seq = b.create<arith::DivUIOp>(loc, w, idxc(b, H));
  Value h = b.create<arith::RemUIOp>(loc, w, idxc(b, H));
  auto accType = VectorType::get({Dv}, b.getF32Type());
  auto maxLoop = b.create<scf::ForOp>(
      loc, idxc(b, 0), S, idxc(b, 1), ValueRange{f32c(b, negInf)},
      [&](OpBuilder &lb, Location, Value s, ValueRange acc) {
        Value x = lb.create<memref::LoadOp>(loc, plse, ValueRange{seq, s, h});
        lb.create<scf::YieldOp>(loc, ValueRange{lb.create<arith::MaximumFOp>(loc, acc[0], x)});
      });
  Value M = maxLoop.getResult(0);
  Value zeroAcc = b.create<arith::ConstantOp>(loc, DenseElementsAttr::get(accType, b.getF32FloatAttr(0)));
  // With M = -inf no split saw a key: sum 0, acc 0.
  Value anyKey = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::ONE, M, f32c(b, negInf));
  Value mSafe = b.create<arith::SelectOp>(loc, anyKey, M, f32c(b, 0));
  auto sumLoop = b.create<scf::ForOp>(
      loc, idxc(b, 0), S, idxc(b, 1), ValueRange{f32c(b, 0), zeroAcc},
      [&](OpBuilder &lb, Location, Value s, ValueRange acc) {
        Value x = lb.create<memref::LoadOp>(loc, plse, ValueRange{seq, s, h});
        Value wgt = lb.create<math::ExpOp>(loc, lb.create<arith::SubFOp>(loc, x, mSafe));
        Value o = lb.create<vector::LoadOp>(loc, accType, pout, ValueRange{seq, s, h, idxc(lb, 0)});
        Value accNew = lb.create<vector::FMAOp>(loc, lb.create<vector::BroadcastOp>(loc, accType, wgt), o, acc[1]);
        lb.create<scf::YieldOp>(loc, ValueRange{lb.create<arith::AddFOp>(loc, acc[0], wgt), accNew});
      });
  Value l = b.create<arith::SelectOp>(loc, anyKey, sumLoop.getResult(0), f32c(b, 0));
  Value acc = b.create<arith::SelectOp>(loc, anyKey, sumLoop.getResult(1), zeroAcc);
  auto norm = applyNormalizer(b, h, M, l, acc);
  Value m = norm[0];
  l = norm[1];
  acc = norm[2];
  Value nonEmpty = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, l, f32c(b, 0));
  Value inv = b.create<arith::SelectOp>(loc, nonEmpty, b.create<arith::DivFOp>(loc, f32c(b, 1), l), f32c(b, 0));
  Value o = b.create<arith::MulFOp>(loc, acc, b.create<vector::BroadcastOp>(loc, accType, inv));
  if (!types.getOut().isF32())
    o = b.create<arith::TruncFOp>(loc, VectorType::get({Dv}, types.getOut()), o);
  b.create<vector::StoreOp>(loc, o, out, ValueRange{seq, h, idxc(b, 0)});
  if (lseOut) {
    Value lse = b.create<arith::SelectOp>(loc, nonEmpty, b.create<arith::AddFOp>(loc, m, b.create<math::LogOp>(loc, l)),
                                          f32c(b, negInf));
    b.create<memref::StoreOp>(loc, lse, lseOut, ValueRange{seq, h});
  }
  b.setInsertionPointAfter(work);
  b.create<func::ReturnOp>(loc);
}

/// decode(q, q_pos, cache..., lens, inputs..., out [, lse]): split with S = 1
/// and merge, on the calling thread.
void CacheKernelBuilder::buildDecode() {
  int64_t dyn = ShapedType::kDynamic;
  SmallVector<Type> args = {MemRefType::get({dyn, H, D}, types.getQ()),
                            MemRefType::get({dyn}, b.getI64Type())};
  SmallVector<Type> cache = cacheTypes();
  args.append(cache);
  args.push_back(MemRefType::get({dyn}, b.getI64Type()));
  SmallVector<Type> inputs = inputTypes();
  args.append(inputs);
  args.push_back(MemRefType::get({dyn, H, Dv}, types.getOut()));
  if (variant.getLse())
    args.push_back(MemRefType::get({dyn, H}, b.getF32Type()));
  func::FuncOp f = makeFunc("_decode", args);
  auto fa = f.getArguments();
  Value B = b.create<memref::DimOp>(loc, fa[0], 0);
  Value pout = b.create<memref::AllocOp>(loc, MemRefType::get({dyn, 1, H, Dv}, b.getF32Type()), ValueRange{B});
  Value plse = b.create<memref::AllocOp>(loc, MemRefType::get({dyn, 1, H}, b.getF32Type()), ValueRange{B});
  Value poutDyn = b.create<memref::CastOp>(loc, MemRefType::get({dyn, dyn, H, Dv}, b.getF32Type()), pout);
  Value plseDyn = b.create<memref::CastOp>(loc, MemRefType::get({dyn, dyn, H}, b.getF32Type()), plse);
  unsigned nInputs = inputs.size(), inputsAt = 2 + cache.size() + 1;
  SmallVector<Value> splitArgs(fa.begin(), fa.begin() + inputsAt + nInputs);
  splitArgs.append({poutDyn, plseDyn, idxc(b, 0), b.create<arith::MulIOp>(loc, B, idxc(b, Hkv))});
  b.create<func::CallOp>(loc, (variant.getSymName() + "_decode_split").str(), TypeRange{}, splitArgs);
  SmallVector<Value> mergeArgs = {poutDyn, plseDyn};
  for (unsigned i = 0; i < nInputs; ++i)
    mergeArgs.push_back(fa[inputsAt + i]);
  for (unsigned i = inputsAt + nInputs; i < fa.size(); ++i)
    mergeArgs.push_back(fa[i]);
  mergeArgs.append({idxc(b, 0), b.create<arith::MulIOp>(loc, B, idxc(b, H))});
  b.create<func::CallOp>(loc, (variant.getSymName() + "_decode_merge").str(), TypeRange{}, mergeArgs);
  b.create<memref::DeallocOp>(loc, pout);
  b.create<memref::DeallocOp>(loc, plse);
  b.create<func::ReturnOp>(loc);
}

struct AttnLowerCacheKernelsPass
    : public mlir::attn::impl::AttnLowerCacheKernelsPassBase<AttnLowerCacheKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<VariantOp> variants(module.getOps<VariantOp>());
    for (VariantOp v : variants) {
      CacheKernelBuilder builder(v, module);
      if (!builder.supported())
        continue; // the tensor-level decode/append are left as they are
      // The memref kernels replace the tensor-level entry points.
      for (StringRef suffix : {"_decode", "_append"})
        if (auto f = module.lookupSymbol<func::FuncOp>((v.getSymName() + suffix).str()))
          f.erase();
      builder.build();
    }
  }
};

} // namespace
