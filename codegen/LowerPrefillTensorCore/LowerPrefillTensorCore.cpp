//===- LowerPrefillTensorCore.cpp - attn-lower-prefill-tensor-core --------===//
//
// The tensor-core GPU prefill of each attn.variant whose Q, K and V are bf16
// (or all f16) with head dims that are multiples of 16: two device functions
// on memrefs, which attn-outline-gpu-kernels wraps as kernels.
//
//  * NAME_prefill_prepare_tok(q, k, q_pos, k_pos, qf, kf, token): the RoPE
//    preparation of one token (Q row and K row `token`), so one GPU thread per
//    token replaces the serial prepare; length-dependent scalings still see
//    the whole key length.
//  * NAME_prefill_tc(qf, kf, v, q_pos, k_pos, batch, inputs..., out [, lse]):
//    FlashAttention-2's schedule. A block of 128 threads owns 64 queries of
//    one head (grid: query tiles x heads); each warp 16 of them. Per key tile
//    (64 keys, 32 for head dims over 128) the block stages K (rounded to the
//    dtype) and V in shared memory, V by asynchronous copies (cp.async, 16
//    bytes, zero-filled past the last key) that land while QK^T and the
//    softmax run (when V's base is 16-byte aligned; else by loads and stores
//    like K), each warp computes its 16 x 64 scores with
//    mma.sync m16n8k16 (f32 accumulation), applies scale, the score
//    expression and the position bias per element and the mask per element
//    unless the tile is full for all 16 rows of the warp, updates the
//    online softmax in registers (row max and sum across the 4 lanes of a row
//    by shuffles), and multiplies the probabilities, rounded to the dtype, by
//    V with mma.sync again (the score fragments are the A fragments of P V).
//    Key tiles outside the union of the block's mask intervals are skipped
//    when keys sit at positions 0..Lk-1.
//
// The mma is the NVPTX intrinsic (llvm.nvvm.mma.m16n8k16.row.col.*): MLIR 19's
// nvgpu/nvvm mma ops do not accept bf16 operands for this shape.
//
//===----------------------------------------------------------------------===//
#include "codegen/LowerToLoops/TiledPrefill.h"
#include "codegen/Passes.h"
#include "dialects/Attn/IR/AttnOps.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/IR/Builders.h"

#include <limits>

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNLOWERPREFILLTENSORCOREPASS
#include "codegen/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

constexpr int64_t kQueriesPerBlock = 64, kThreads = 128;
constexpr double kNegInf = -std::numeric_limits<double>::infinity();

class TensorCoreBuilder : public TiledPrefillEmitter {
public:
  using TiledPrefillEmitter::TiledPrefillEmitter;
  /// Why the variant gets no tensor-core kernel, or "" when it does.
  std::string unsupported();
  void build();

private:
  Type elem; // bf16 or f16
  int64_t H = 0, Hkv = 0, D = 0, Dv = 0, keyTile = 64;
  /// QK^T from hi + lo parts of the f32 rotated Q and K (three products):
  /// for variants that return lse, whose 1e-3 bound the dtype's rounding of
  /// rotated Q and K alone would exceed.
  bool split = false;

  Value cmpi(OpBuilder &ob, arith::CmpIPredicate p, Value a, Value c) {
    return ob.create<arith::CmpIOp>(loc, p, a, c);
  }
  /// Two f32 values as one mma operand register: an i32 of two bf16, or a
  /// vector<2xf16>.
  Value pack(OpBuilder &ob, Value x, Value y) {
    Value lo = ob.create<arith::TruncFOp>(loc, elem, x), hi = ob.create<arith::TruncFOp>(loc, elem, y);
    return packElems(ob, lo, hi);
  }
  Value packElems(OpBuilder &ob, Value lo, Value hi) {
    auto v2 = VectorType::get({2}, elem);
    Value v = ob.create<vector::FromElementsOp>(loc, v2, ValueRange{lo, hi});
    if (elem.isF16())
      return v;
    Value w = ob.create<vector::BitCastOp>(loc, VectorType::get({1}, ob.getI32Type()), v);
    return ob.create<vector::ExtractOp>(loc, w, ArrayRef<int64_t>{0});
  }
  /// d = a (16x16, 4 registers) * b (16x8, 2 registers) + c (4 f32).
  SmallVector<Value, 4> mma(OpBuilder &ob, ArrayRef<Value> a, ArrayRef<Value> bRegs, ArrayRef<Value> c) {
    SmallVector<Value> operands(a.begin(), a.end());
    operands.append(bRegs.begin(), bRegs.end());
    operands.append(c.begin(), c.end());
    Type f32 = ob.getF32Type();
    auto result = LLVM::LLVMStructType::getLiteral(ob.getContext(), {f32, f32, f32, f32});
    StringRef name = elem.isF16() ? "llvm.nvvm.mma.m16n8k16.row.col.f32.f32"
                                  : "llvm.nvvm.mma.m16n8k16.row.col.bf16";
    Value d = ob.create<LLVM::CallIntrinsicOp>(loc, result, ob.getStringAttr(name), operands).getResult(0);
    SmallVector<Value, 4> out;
    for (int64_t i = 0; i < 4; ++i)
      out.push_back(ob.create<LLVM::ExtractValueOp>(loc, d, ArrayRef<int64_t>{i}));
    return out;
  }
  /// The value of `v` reduced over the 4 lanes of a row (lanes 4g .. 4g+3).
  Value rowReduce(OpBuilder &ob, Value v, bool isMax) {
    Value width = ob.create<arith::ConstantIntOp>(loc, 32, 32);
    for (int64_t off : {1, 2}) {
      Value o = ob.create<arith::ConstantIntOp>(loc, off, 32);
      Value other = ob.create<gpu::ShuffleOp>(loc, v, o, width, gpu::ShuffleMode::XOR).getShuffleResult();
      v = isMax ? (Value)ob.create<arith::MaximumFOp>(loc, v, other) : (Value)ob.create<arith::AddFOp>(loc, v, other);
    }
    return v;
  }
  Value sharedBuffer(StringRef suffix, int64_t rows, int64_t cols);
  void buildPrepareToken();
  void buildKernel();
  void emitSegment(OpBuilder &ob, const HeadSegment &seg, ValueRange args, Value sinkLogits);
};

std::string TensorCoreBuilder::unsupported() {
  TypesAttr t = variant.getTypes();
  ShapeAttr s = variant.getShape();
  if (!(t.getQ().isBF16() || t.getQ().isF16()) || t.getK() != t.getQ() || t.getV() != t.getQ())
    return "Q, K and V are not all bf16 or all f16";
  if (s.getHeadDim() % 16 || s.getValueDim() % 16 || s.getHeadDim() > 256 || s.getValueDim() > 256)
    return "head dims are not multiples of 16 up to 256";
  auto r = dyn_cast<RopeAttr>(variant.getPosition());
  if (r && r.getRemap())
    return "a two-branch RoPE remap";
  return "";
}

Value TensorCoreBuilder::sharedBuffer(StringRef suffix, int64_t rows, int64_t cols) {
  auto space = gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup);
  auto type = MemRefType::get({rows, cols}, elem, MemRefLayoutAttrInterface(), space);
  std::string symbol = (variant.getSymName() + suffix).str();
  if (!module.lookupSymbol(symbol)) {
    OpBuilder mb = OpBuilder::atBlockBegin(module.getBody());
    mb.create<memref::GlobalOp>(loc, symbol, mb.getStringAttr("private"), type, Attribute(),
                                /*constant=*/false, IntegerAttr());
  }
  return b.create<memref::GetGlobalOp>(loc, type, symbol);
}

void TensorCoreBuilder::build() {
  ShapeAttr shape = variant.getShape();
  H = shape.getHeads(), Hkv = shape.getKvHeads(), D = shape.getHeadDim(), Dv = shape.getValueDim();
  elem = variant.getTypes().getQ();
  split = variant.getLse();
  // Shared memory: K (twice when split) and V tiles within 48 KiB.
  keyTile = (std::max(D, Dv) > 128 ? 32 : 64) / (split ? 2 : 1);
  rope = dyn_cast<RopeAttr>(variant.getPosition());
  if (rope)
    freqs = computeRopeFrequencies(rope);
  buildPrepareToken();
  buildKernel();
}

void TensorCoreBuilder::buildPrepareToken() {
  int64_t dyn = ShapedType::kDynamic;
  TypesAttr types = variant.getTypes();
  Type qT = MemRefType::get({dyn, H, D}, types.getQ()), kT = MemRefType::get({dyn, Hkv, D}, types.getK());
  Type posT = MemRefType::get({dyn}, b.getI64Type());
  Type qfT = MemRefType::get({dyn, H, D}, b.getF32Type()), kfT = MemRefType::get({dyn, Hkv, D}, b.getF32Type());
  b.setInsertionPointToEnd(module.getBody());
  auto f = b.create<func::FuncOp>(loc, (variant.getSymName() + "_prefill_prepare_tok").str(),
                                  b.getFunctionType({qT, kT, posT, posT, qfT, kfT, b.getIndexType()}, {}));
  b.setInsertionPointToStart(f.addEntryBlock());
  auto a = f.getArguments();
  Value token = a[6];
  Value lk = b.create<memref::DimOp>(loc, a[1], 0);
  seqLenF64 = b.create<arith::SIToFPOp>(loc, b.getF64Type(), toI64(b, lk));
  if (rope)
    invFreq = loadInvFreqTable(b);
  auto oneToken = [&](Value src, Value pos, Value dst, int64_t heads, bool isQuery) {
    Value n = b.create<memref::DimOp>(loc, src, 0);
    b.create<scf::IfOp>(loc, cmpi(b, arith::CmpIPredicate::ult, token, n), [&](OpBuilder &tb, Location) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(tb.getInsertionBlock(), tb.getInsertionPoint());
      SmallVector<OpFoldResult> off3 = {token, b.getIndexAttr(0), b.getIndexAttr(0)},
                                size3 = {b.getIndexAttr(1), b.getIndexAttr(heads), b.getIndexAttr(D)},
                                one3 = {b.getIndexAttr(1), b.getIndexAttr(1), b.getIndexAttr(1)};
      Value s = b.create<memref::SubViewOp>(loc, src, off3, size3, one3);
      Value d = b.create<memref::SubViewOp>(loc, dst, off3, size3, one3);
      Value p = b.create<memref::SubViewOp>(loc, pos, ArrayRef<OpFoldResult>{token},
                                            ArrayRef<OpFoldResult>{b.getIndexAttr(1)},
                                            ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
      rotateInto(b, s, p, d, heads, isQuery, 0);
      b.create<scf::YieldOp>(loc);
    });
  };
  oneToken(a[0], a[2], a[4], H, true);
  oneToken(a[1], a[3], a[5], Hkv, false);
  b.create<func::ReturnOp>(loc);
}

void TensorCoreBuilder::buildKernel() {
  int64_t dyn = ShapedType::kDynamic;
  TypesAttr types = variant.getTypes();
  SmallVector<Type> args = {MemRefType::get({dyn, H, D}, b.getF32Type()),
                            MemRefType::get({dyn, Hkv, D}, b.getF32Type()),
                            MemRefType::get({dyn, Hkv, Dv}, types.getV()),
                            MemRefType::get({dyn}, b.getI64Type()), MemRefType::get({dyn}, b.getI64Type()),
                            b.getIndexType()};
  args.append(kernelInputTypes());
  args.push_back(MemRefType::get({dyn, H, Dv}, types.getOut()));
  if (variant.getLse())
    args.push_back(MemRefType::get({dyn, H}, b.getF32Type()));
  b.setInsertionPointToEnd(module.getBody());
  auto f = b.create<func::FuncOp>(loc, (variant.getSymName() + "_prefill_tc").str(),
                                  b.getFunctionType(args, {}));
  b.setInsertionPointToStart(f.addEntryBlock());
  ValueRange fa = f.getArguments();
  unsigned next = 6;
  for (Attribute a : variant.getInputs())
    inputArgs[cast<InputAttr>(a).getName()] = fa[next++];
  if (auto alibi = dyn_cast<AlibiAttr>(variant.getPosition()))
    alibiSlopes = constantTable("alibi_slopes", alibi.getSlopes().asArrayRef(), b.getF32Type());
  Value sinkLogits;
  if (auto sinks = dyn_cast<SoftmaxSinksAttr>(variant.getNormalizer()))
    sinkLogits = inputArgs.lookup(sinks.getSinks());
  Value h = b.create<gpu::BlockIdOp>(loc, gpu::Dimension::y);
  for (const HeadSegment &seg : headSegments()) {
    Value in = b.create<arith::AndIOp>(loc, cmpi(b, arith::CmpIPredicate::uge, h, idxc(b, seg.h0)),
                                       cmpi(b, arith::CmpIPredicate::ult, h, idxc(b, seg.h1)));
    b.create<scf::IfOp>(loc, in, [&](OpBuilder &sb, Location) {
      emitSegment(sb, seg, fa, sinkLogits);
      sb.create<scf::YieldOp>(loc);
    });
  }
  b.create<func::ReturnOp>(loc);
}

void TensorCoreBuilder::emitSegment(OpBuilder &ob, const HeadSegment &seg, ValueRange fa,
                                    Value sinkLogits) {
  using P = arith::CmpIPredicate;
  Value qf = fa[0], kf = fa[1], v = fa[2], qPos = fa[3], kPos = fa[4], batch = fa[5];
  Value out = fa[6 + variant.getInputs().size()];
  Value lseOut = variant.getLse() ? fa[7 + variant.getInputs().size()] : Value();
  const int64_t group = H / Hkv, KT = keyTile;
  const float scale = variant.getScale().convertToDouble();
  Type f32 = ob.getF32Type();
  auto ld = [&](Value m, ValueRange ix) { return (Value)ob.create<memref::LoadOp>(loc, m, ix); };
  auto minIdx = [&](Value a, Value c) { return (Value)ob.create<arith::MinUIOp>(loc, a, c); };
  auto add = [&](Value a, int64_t c) { return (Value)ob.create<arith::AddIOp>(loc, a, idxc(ob, c)); };

  Value tid = ob.create<gpu::ThreadIdOp>(loc, gpu::Dimension::x);
  Value tile = ob.create<gpu::BlockIdOp>(loc, gpu::Dimension::x);
  Value h = ob.create<gpu::BlockIdOp>(loc, gpu::Dimension::y);
  Value kvh = ob.create<arith::DivUIOp>(loc, h, idxc(ob, group));
  Value warp = ob.create<arith::DivUIOp>(loc, tid, idxc(ob, 32));
  Value lane = ob.create<arith::RemUIOp>(loc, tid, idxc(ob, 32));
  Value g = ob.create<arith::DivUIOp>(loc, lane, idxc(ob, 4));
  Value t4 = ob.create<arith::RemUIOp>(loc, lane, idxc(ob, 4));
  Value t2 = ob.create<arith::MulIOp>(loc, t4, idxc(ob, 2));
  Value lq = ob.create<memref::DimOp>(loc, qf, 0), lk = ob.create<memref::DimOp>(loc, kf, 0);
  Value lqI64 = toI64(ob, lq), lkI64 = toI64(ob, lk);
  Value lqLast = ob.create<arith::SubIOp>(loc, ob.create<arith::MaxUIOp>(loc, lq, idxc(ob, 1)), idxc(ob, 1));
  Value lkLast = ob.create<arith::SubIOp>(loc, ob.create<arith::MaxUIOp>(loc, lk, idxc(ob, 1)), idxc(ob, 1));
  Value tile0 = ob.create<arith::MulIOp>(loc, tile, idxc(ob, kQueriesPerBlock));
  // The thread's two rows of its warp's 16 (A: g, B: g + 8), clamped for reads.
  Value rowA = ob.create<arith::AddIOp>(loc, ob.create<arith::AddIOp>(loc, tile0,
                                        ob.create<arith::MulIOp>(loc, warp, idxc(ob, 16))), g);
  Value rows[2] = {rowA, add(rowA, 8)};
  Value rowsC[2] = {minIdx(rows[0], lqLast), minIdx(rows[1], lqLast)};
  Value qp[2] = {ld(qPos, rowsC[0]), ld(qPos, rowsC[1])};

  // Q fragments (A operands), kept in registers for the whole key loop.
  // x = hi + lo: hi the dtype's rounding of x, lo that of the remainder.
  auto splitLo = [&](OpBuilder &sb, Value x) {
    Value hi = sb.create<arith::ExtFOp>(loc, sb.getF32Type(), sb.create<arith::TruncFOp>(loc, elem, x).getResult());
    return (Value)sb.create<arith::SubFOp>(loc, x, hi);
  };
  SmallVector<SmallVector<Value, 4>> qFrag, qFragLo;
  for (int64_t kc = 0; kc < D / 16; ++kc) {
    SmallVector<Value, 4> regs, lo;
    for (int64_t half : {0, 8})
      for (int r : {0, 1}) {
        Value c0 = ob.create<arith::AddIOp>(loc, t2, idxc(ob, kc * 16 + half));
        Value x = ld(qf, {rowsC[r], h, c0}), y = ld(qf, {rowsC[r], h, add(c0, 1)});
        regs.push_back(pack(ob, x, y));
        if (split)
          lo.push_back(pack(ob, splitLo(ob, x), splitLo(ob, y)));
      }
    // regs: (A, c), (B, c), (A, c + 8), (B, c + 8)
    qFrag.push_back(regs);
    qFragLo.push_back(lo);
  }

  // Keys at positions 0..Lk-1? Then the mask intervals bound the key tiles.
  Value kSh = sharedBuffer("_tc_k_smem", KT, D), vSh = sharedBuffer("_tc_v_smem", KT, Dv);
  Value kShLo = split ? sharedBuffer("_tc_k_lo_smem", KT, D) : Value();
  Value jBegin = idxc(ob, 0), jEnd = lk, contiguous = i1c(ob, false);
  if (MaskAttrInterface mask = seg.mask) {
    auto flagType = MemRefType::get({1}, ob.getI32Type(), MemRefLayoutAttrInterface(),
                                    gpu::AddressSpaceAttr::get(ob.getContext(), gpu::AddressSpace::Workgroup));
    std::string flagSym = (variant.getSymName() + "_tc_contiguous").str();
    if (!module.lookupSymbol(flagSym)) {
      OpBuilder mb = OpBuilder::atBlockBegin(module.getBody());
      mb.create<memref::GlobalOp>(loc, flagSym, mb.getStringAttr("private"), flagType, Attribute(), false,
                                  IntegerAttr());
    }
    Value flag = ob.create<memref::GetGlobalOp>(loc, flagType, flagSym);
    Value isT0 = cmpi(ob, P::eq, tid, idxc(ob, 0));
    ob.create<scf::IfOp>(loc, isT0, [&](OpBuilder &tb, Location) {
      tb.create<memref::StoreOp>(loc, tb.create<arith::ConstantIntOp>(loc, 1, 32), flag, idxc(tb, 0));
      tb.create<scf::YieldOp>(loc);
    });
    ob.create<gpu::BarrierOp>(loc);
    ob.create<scf::ForOp>(loc, tid, lk, idxc(ob, kThreads), ValueRange{},
                          [&](OpBuilder &lb, Location, Value j, ValueRange) {
      Value same = cmpi(lb, P::eq, lb.create<memref::LoadOp>(loc, kPos, j), toI64(lb, j));
      lb.create<scf::IfOp>(loc, lb.create<arith::XOrIOp>(loc, same, i1c(lb, true)), [&](OpBuilder &tb, Location) {
        tb.create<memref::StoreOp>(loc, tb.create<arith::ConstantIntOp>(loc, 0, 32), flag, idxc(tb, 0));
        tb.create<scf::YieldOp>(loc);
      });
      lb.create<scf::YieldOp>(loc);
    });
    ob.create<gpu::BarrierOp>(loc);
    contiguous = cmpi(ob, P::ne, ob.create<memref::LoadOp>(loc, flag, idxc(ob, 0)),
                      ob.create<arith::ConstantIntOp>(loc, 0, 32));
    // The union of the block's rows' intervals (every thread computes it).
    Value rEnd = minIdx(add(tile0, kQueriesPerBlock), lq);
    auto span = ob.create<scf::ForOp>(loc, tile0, rEnd, idxc(ob, 1), ValueRange{lkI64, i64c(ob, 0)},
                                      [&](OpBuilder &lb, Location, Value r, ValueRange acc) {
      Value p = lb.create<memref::LoadOp>(loc, qPos, r);
      auto [lo, hi] = maskInterval(lb, mask, p);
      Value l = lo ? lb.create<arith::MaxSIOp>(loc, lo, i64c(lb, 0)).getResult() : i64c(lb, 0);
      Value u = hi ? lb.create<arith::MinSIOp>(loc, hi, lkI64).getResult() : lkI64;
      lb.create<scf::YieldOp>(loc, ValueRange{lb.create<arith::MinSIOp>(loc, acc[0], l),
                                              lb.create<arith::MaxSIOp>(loc, acc[1], u)});
    });
    // Aligned down to a key tile; an empty union visits nothing.
    Value lo = toIndex(ob, span.getResult(0)), hi = toIndex(ob, ob.create<arith::MaxSIOp>(loc, span.getResult(1), i64c(ob, 0)));
    lo = ob.create<arith::MulIOp>(loc, ob.create<arith::DivUIOp>(loc, lo, idxc(ob, KT)), idxc(ob, KT));
    jBegin = ob.create<arith::SelectOp>(loc, contiguous, minIdx(lo, hi), jBegin);
    jEnd = ob.create<arith::SelectOp>(loc, contiguous, hi, jEnd);
  }

  // Carried: m, l of rows A and B; O fragments (Dv / 8 of 4 f32).
  SmallVector<Value> init = {f32c(ob, kNegInf), f32c(ob, kNegInf), f32c(ob, 0), f32c(ob, 0)};
  for (int64_t i = 0; i < Dv / 8 * 4; ++i)
    init.push_back(f32c(ob, 0));
  // cp.async moves 16 bytes from a 16-byte aligned address: V rows are
  // multiples of 32 bytes (Dv % 16 == 0), so only V's base decides.
  constexpr int64_t kCopyElems = 8;
  Value vAligned;
  {
    auto meta = ob.create<memref::ExtractStridedMetadataOp>(loc, v);
    Value base = ob.create<memref::ExtractAlignedPointerAsIndexOp>(loc, v);
    Value start = ob.create<arith::AddIOp>(
        loc, base, ob.create<arith::MulIOp>(loc, meta.getOffset(), idxc(ob, elem.getIntOrFloatBitWidth() / 8)));
    vAligned = cmpi(ob, P::eq, ob.create<arith::RemUIOp>(loc, start, idxc(ob, 16)), idxc(ob, 0));
  }
  auto keyLoop = ob.create<scf::ForOp>(loc, jBegin, jEnd, idxc(ob, KT), init,
                                       [&](OpBuilder &kb, Location, Value j0, ValueRange carried) {
    auto kld = [&](Value m, ValueRange ix) { return (Value)kb.create<memref::LoadOp>(loc, m, ix); };
    // Stage K (rounded to the dtype) and V: rows past Lk are zeros.
    kb.create<gpu::BarrierOp>(loc);
    auto stage = [&](Value src, Value dst, Value dstLo, int64_t cols, bool round) {
      kb.create<scf::ForOp>(loc, tid, idxc(kb, KT * cols), idxc(kb, kThreads), ValueRange{},
                            [&](OpBuilder &lb, Location, Value e, ValueRange) {
        Value r = lb.create<arith::DivUIOp>(loc, e, idxc(lb, cols));
        Value c = lb.create<arith::RemUIOp>(loc, e, idxc(lb, cols));
        Value j = lb.create<arith::AddIOp>(loc, j0, r);
        Value inRange = lb.create<arith::CmpIOp>(loc, P::ult, j, lk);
        Value x = lb.create<memref::LoadOp>(loc, src, ValueRange{lb.create<arith::MinUIOp>(loc, j, lkLast), kvh, c});
        Value zero = lb.create<arith::ConstantOp>(loc, lb.getFloatAttr(elem, 0.0));
        if (dstLo) {
          Value lo = lb.create<arith::TruncFOp>(loc, elem, splitLo(lb, x));
          lb.create<memref::StoreOp>(loc, lb.create<arith::SelectOp>(loc, inRange, lo, zero), dstLo, ValueRange{r, c});
        }
        if (round)
          x = lb.create<arith::TruncFOp>(loc, elem, x);
        lb.create<memref::StoreOp>(loc, lb.create<arith::SelectOp>(loc, inRange, x, zero), dst, ValueRange{r, c});
        lb.create<scf::YieldOp>(loc);
      });
    };
    // V first, asynchronously: 8 elements per copy, none read past the last
    // key (srcElements 0 zero-fills the row).
    auto vIf = kb.create<scf::IfOp>(loc, vAligned, /*withElseRegion=*/true);
    {
      OpBuilder tb = vIf.getThenBodyBuilder();
      tb.create<scf::ForOp>(loc, tid, idxc(tb, KT * Dv / kCopyElems), idxc(tb, kThreads), ValueRange{},
                            [&](OpBuilder &lb, Location, Value e, ValueRange) {
        Value r = lb.create<arith::DivUIOp>(loc, e, idxc(lb, Dv / kCopyElems));
        Value c = lb.create<arith::MulIOp>(loc, lb.create<arith::RemUIOp>(loc, e, idxc(lb, Dv / kCopyElems)),
                                           idxc(lb, kCopyElems));
        Value j = lb.create<arith::AddIOp>(loc, j0, r);
        Value inRange = lb.create<arith::CmpIOp>(loc, P::ult, j, lk);
        Value count = lb.create<arith::SelectOp>(loc, inRange, idxc(lb, kCopyElems), idxc(lb, 0));
        lb.create<nvgpu::DeviceAsyncCopyOp>(loc, nvgpu::DeviceAsyncTokenType::get(lb.getContext()), vSh,
                                            ValueRange{r, c}, v,
                                            ValueRange{lb.create<arith::MinUIOp>(loc, j, lkLast), kvh, c},
                                            lb.getIndexAttr(kCopyElems), count, lb.getUnitAttr());
        lb.create<scf::YieldOp>(loc);
      });
      OpBuilder eb = vIf.getElseBodyBuilder();
      OpBuilder::InsertionGuard guard(kb);
      kb.setInsertionPoint(eb.getInsertionBlock(), eb.getInsertionPoint());
      stage(v, vSh, Value(), Dv, false);
    }
    Value vGroup = kb.create<nvgpu::DeviceAsyncCreateGroupOp>(
        loc, nvgpu::DeviceAsyncTokenType::get(kb.getContext()), ValueRange{});
    stage(kf, kSh, kShLo, D, true);
    kb.create<gpu::BarrierOp>(loc);

    // Scores of the warp's 16 rows x KT keys: KT / 8 fragments of 4.
    SmallVector<SmallVector<Value, 4>> s;
    SmallVector<Value> elemKey;
    SmallVector<PairIndices> elemIx;
    for (int64_t nb = 0; nb < KT / 8; ++nb) {
      SmallVector<Value, 4> c = {f32c(kb, 0), f32c(kb, 0), f32c(kb, 0), f32c(kb, 0)};
      Value key = kb.create<arith::AddIOp>(loc, g, idxc(kb, nb * 8));
      for (int64_t kc = 0; kc < D / 16; ++kc) {
        auto bFrag = [&](Value tileBuf) {
          SmallVector<Value, 2> bRegs;
          for (int64_t half : {0, 8}) {
            Value c0 = kb.create<arith::AddIOp>(loc, t2, idxc(kb, kc * 16 + half));
            bRegs.push_back(packElems(kb, kld(tileBuf, {key, c0}),
                                      kld(tileBuf, {key, kb.create<arith::AddIOp>(loc, c0, idxc(kb, 1))})));
          }
          return bRegs;
        };
        SmallVector<Value, 2> kHi = bFrag(kSh);
        if (split) { // the small terms first: lo_q hi_k + hi_q lo_k, then hi_q hi_k
          c = mma(kb, qFragLo[kc], kHi, c);
          c = mma(kb, qFrag[kc], bFrag(kShLo), c);
        }
        c = mma(kb, qFrag[kc], kHi, c);
      }
      // Scale, score expression and bias per element; the mask below.
      for (int64_t e = 0; e < 4; ++e) {
        int r = e / 2;
        Value j = kb.create<arith::AddIOp>(loc, j0, kb.create<arith::AddIOp>(loc, t2, idxc(kb, nb * 8 + e % 2)));
        Value kp = kld(kPos, {kb.create<arith::MinUIOp>(loc, j, lkLast)});
        PairIndices ix{batch, h, qp[r], kp, lqI64, lkI64};
        Value sc = kb.create<arith::MulFOp>(loc, c[e], f32c(kb, scale));
        if (seg.score)
          sc = inlineRegion(kb, *seg.score, {sc, batch, h, qp[r], kp, lqI64, lkI64});
        if (Value bias = emitBias(kb, ix))
          sc = kb.create<arith::AddFOp>(loc, sc, bias);
        c[e] = sc;
        elemKey.push_back(j);
        elemIx.push_back(ix);
      }
      s.push_back(c);
    }

    // The mask: skipped when the tile is full for all 16 rows of the warp
    // (every key inside Lk and kept by the mask's intervals, keys at
    // positions 0..Lk-1), else per element.
    Value full = kb.create<arith::CmpIOp>(loc, P::ule, kb.create<arith::AddIOp>(loc, j0, idxc(kb, KT)), lk);
    if (seg.mask) {
      Value j0i = toI64(kb, j0), j1i = toI64(kb, kb.create<arith::AddIOp>(loc, j0, idxc(kb, KT)));
      for (int r = 0; r < 2; ++r) {
        Value all = classifyKeyTile(kb, seg.mask, qp[r], j0i, j1i).second;
        // Rows past Lq are never stored: they do not hold the warp back.
        all = kb.create<arith::OrIOp>(loc, all, cmpi(kb, P::uge, rows[r], lq));
        full = kb.create<arith::AndIOp>(loc, full, all);
      }
      full = kb.create<arith::AndIOp>(loc, full, contiguous);
      // All 32 lanes agree (min over the warp of 1.0 / 0.0).
      Value v = kb.create<arith::SelectOp>(loc, full, f32c(kb, 1), f32c(kb, 0));
      Value width = kb.create<arith::ConstantIntOp>(loc, 32, 32);
      for (int64_t off : {1, 2, 4, 8, 16}) {
        Value o = kb.create<arith::ConstantIntOp>(loc, off, 32);
        Value other = kb.create<gpu::ShuffleOp>(loc, v, o, width, gpu::ShuffleMode::XOR).getShuffleResult();
        v = kb.create<arith::MinimumFOp>(loc, v, other);
      }
      full = kb.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, v, f32c(kb, 1));
    }
    SmallVector<Type> scoreTypes(s.size() * 4, f32);
    auto masked = kb.create<scf::IfOp>(loc, scoreTypes, full, /*withElseRegion=*/true);
    {
      OpBuilder tb = masked.getThenBodyBuilder();
      SmallVector<Value> all;
      for (auto &c : s)
        all.append(c.begin(), c.end());
      tb.create<scf::YieldOp>(loc, all);
    }
    {
      OpBuilder eb = masked.getElseBodyBuilder();
      SmallVector<Value> all;
      for (size_t i = 0; i < s.size() * 4; ++i) {
        Value keep = eb.create<arith::CmpIOp>(loc, P::ult, elemKey[i], lk);
        if (seg.mask)
          keep = eb.create<arith::AndIOp>(loc, keep, emitMask(eb, seg.mask, elemIx[i]));
        all.push_back(eb.create<arith::SelectOp>(loc, keep, s[i / 4][i % 4], f32c(eb, kNegInf)));
      }
      eb.create<scf::YieldOp>(loc, all);
    }
    for (size_t i = 0; i < s.size() * 4; ++i)
      s[i / 4][i % 4] = masked.getResult(i);

    // Online softmax per row; P (rounded to the dtype) times V.
    SmallVector<Value> next;
    Value corr[2], mNew[2], lNew[2];
    for (int r = 0; r < 2; ++r) {
      Value mx = f32c(kb, kNegInf);
      for (auto &c : s)
        for (int e : {2 * r, 2 * r + 1})
          mx = kb.create<arith::MaximumFOp>(loc, mx, c[e]);
      mx = rowReduce(kb, mx, true);
      mNew[r] = kb.create<arith::MaximumFOp>(loc, carried[r], mx);
      // A row with no kept key so far keeps m = -inf; exponents use 0 then.
      Value empty = kb.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, mNew[r], f32c(kb, kNegInf));
      Value mUse = kb.create<arith::SelectOp>(loc, empty, f32c(kb, 0), mNew[r]);
      corr[r] = kb.create<math::ExpOp>(loc, kb.create<arith::SubFOp>(loc, carried[r], mUse));
      Value sum = f32c(kb, 0);
      for (auto &c : s)
        for (int e : {2 * r, 2 * r + 1}) {
          c[e] = kb.create<math::ExpOp>(loc, kb.create<arith::SubFOp>(loc, c[e], mUse));
          sum = kb.create<arith::AddFOp>(loc, sum, c[e]);
        }
      sum = rowReduce(kb, sum, false);
      lNew[r] = kb.create<arith::AddFOp>(loc, kb.create<arith::MulFOp>(loc, carried[2 + r], corr[r]), sum);
    }
    // V has landed (each thread waits for its own copies; the barrier
    // publishes everyone's).
    kb.create<nvgpu::DeviceAsyncWaitOp>(loc, vGroup, kb.getI32IntegerAttr(0));
    kb.create<gpu::BarrierOp>(loc);
    SmallVector<SmallVector<Value, 4>> o;
    for (int64_t nv = 0; nv < Dv / 8; ++nv) {
      SmallVector<Value, 4> frag;
      for (int64_t e = 0; e < 4; ++e)
        frag.push_back(kb.create<arith::MulFOp>(loc, carried[4 + nv * 4 + e], corr[e / 2]));
      o.push_back(frag);
    }
    for (int64_t kc = 0; kc < KT / 16; ++kc) {
      const auto &lo = s[2 * kc], &hi = s[2 * kc + 1];
      SmallVector<Value, 4> a = {pack(kb, lo[0], lo[1]), pack(kb, lo[2], lo[3]), pack(kb, hi[0], hi[1]),
                                 pack(kb, hi[2], hi[3])};
      for (int64_t nv = 0; nv < Dv / 8; ++nv) {
        Value col = kb.create<arith::AddIOp>(loc, g, idxc(kb, nv * 8));
        SmallVector<Value, 2> bRegs;
        for (int64_t half : {0, 8}) {
          Value k0 = kb.create<arith::AddIOp>(loc, t2, idxc(kb, kc * 16 + half));
          bRegs.push_back(packElems(kb, kld(vSh, {k0, col}),
                                    kld(vSh, {kb.create<arith::AddIOp>(loc, k0, idxc(kb, 1)), col})));
        }
        o[nv] = mma(kb, a, bRegs, o[nv]);
      }
    }
    next = {mNew[0], mNew[1], lNew[0], lNew[1]};
    for (auto &frag : o)
      next.append(frag.begin(), frag.end());
    kb.create<scf::YieldOp>(loc, next);
  });

  // Epilogue per row: the normalizer's extra logit, 1 / l, the dtype, lse.
  auto res = keyLoop.getResults();
  auto one = ob.create<arith::ConstantOp>(loc, DenseElementsAttr::get(VectorType::get({1}, f32), ob.getF32FloatAttr(1)));
  for (int r = 0; r < 2; ++r) {
    Value m = res[r], l = res[2 + r];
    SmallVector<Value, 3> n = applyNormalizer(ob, h, m, l, one);
    Value corr = ob.create<vector::ExtractOp>(loc, n[2], ArrayRef<int64_t>{0});
    m = n[0], l = n[1];
    Value nonEmpty = ob.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, l, f32c(ob, 0));
    Value inv = ob.create<arith::SelectOp>(loc, nonEmpty, ob.create<arith::DivFOp>(loc, corr, l), f32c(ob, 0));
    Value valid = cmpi(ob, P::ult, rows[r], lq);
    ob.create<scf::IfOp>(loc, valid, [&](OpBuilder &wb, Location) {
      for (int64_t nv = 0; nv < Dv / 8; ++nv)
        for (int e : {2 * r, 2 * r + 1}) {
          Value x = wb.create<arith::MulFOp>(loc, res[4 + nv * 4 + e], inv);
          if (!variant.getTypes().getOut().isF32())
            x = wb.create<arith::TruncFOp>(loc, variant.getTypes().getOut(), x);
          Value col = wb.create<arith::AddIOp>(loc, t2, idxc(wb, nv * 8 + e % 2));
          wb.create<memref::StoreOp>(loc, x, out, ValueRange{rows[r], h, col});
        }
      if (lseOut) {
        Value lse = wb.create<arith::SelectOp>(loc, nonEmpty,
                                               wb.create<arith::AddFOp>(loc, m, wb.create<math::LogOp>(loc, l)),
                                               f32c(wb, kNegInf));
        wb.create<scf::IfOp>(loc, wb.create<arith::CmpIOp>(loc, P::eq, t4, idxc(wb, 0)), [&](OpBuilder &tb, Location) {
          tb.create<memref::StoreOp>(loc, lse, lseOut, ValueRange{rows[r], h});
          tb.create<scf::YieldOp>(loc);
        });
      }
      wb.create<scf::YieldOp>(loc);
    });
  }
  (void)sinkLogits; // folded by applyNormalizer through inputArgs
}

struct AttnLowerPrefillTensorCorePass
    : public mlir::attn::impl::AttnLowerPrefillTensorCorePassBase<AttnLowerPrefillTensorCorePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    for (VariantOp v : llvm::to_vector(module.getOps<VariantOp>())) {
      TensorCoreBuilder builder(v, module);
      std::string why = builder.unsupported();
      if (!why.empty()) {
        v->setAttr("attn.tensor_core", StringAttr::get(&getContext(), "none: " + why));
        continue;
      }
      builder.build();
    }
  }
};

} // namespace
