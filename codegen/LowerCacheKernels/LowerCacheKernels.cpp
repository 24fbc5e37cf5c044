//===- LowerCacheKernels.cpp - attn-lower-cache-kernels --------------------===//
//
// Builds, for each attn.variant whose cache layout is supported, the kernels
// that work on the spec's KV cache (docs/kernels.md, "Decode and append"):
//
//   NAME_append(k, v, pos, cache..., b, len) -> i32 status
//       writes tokens len.. of sequence b: RoPE at write (on_write), rounding
//       to the cache element type, per-token int8/fp8 quantization;
//   NAME_decode_split(q, q_pos, q_seq, cache..., lens, inputs..., part_out,
//                     part_lse, begin, end)
//       work items (query row, KV head, split): row b is one query of cache
//       sequence q_seq[b] that sees its first lens[b] tokens (several rows
//       of one sequence with growing lens: a chunk of prefill or draft
//       tokens over the cache), the query heads of a KV head packed so each
//       key is read once (GQA), the resident keys split S ways; each item
//       writes a partial output and its log-sum-exp;
//   NAME_decode_merge(part_out, part_lse, inputs..., out [, lse], begin, end)
//       work items (query row, head): the LSE merge of the splits and the
//       normalizer (sink logits, off-by-one);
//   NAME_decode(q, q_pos, q_seq, cache..., lens, inputs..., out [, lse])
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

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

#include <algorithm>
#include <limits>

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNLOWERCACHEKERNELSPASS
#include "codegen/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

constexpr int64_t kChunk = 64; // keys gathered per step, at most
constexpr int64_t kScratchBytes = 32 * 1024; // a chunk's f32 K+V rows: well inside L1 (48 KiB)

/// How one side (keys or values) of a quantized cache is stored
/// (semantics.md §8.4, docs/kernels.md "Quantized caches").
struct SideQuant {
  /// Token groups (per_channel): one scale (and minimum) per (group of
  /// `group` tokens, KV head, channel), the incomplete group kept in the
  /// residual buffer in the side's element type. Otherwise per token: one
  /// scale per (token, KV head, channel group of `group`).
  bool perChannel = false;
  int64_t group = 0;
};

/// The physical layout of the cache, as the kernels address it.
struct CacheLayoutInfo {
  enum Kind { Contiguous, Paged, Ring } kind = Contiguous;
  bool hnd = false;
  int64_t pageSize = 0, sinks = 0, window = 0;
  enum Quant { None, Int8, FP8, Int4 } quant = None;
  SideQuant kq, vq;
  // FP8: mantissa bits, minimum normal exponent, largest finite code, F.
  int64_t mbits = 0, emin = 0, maxCode = 0;
  double fmax = 0;

  bool asymmetric() const { return quant == Int4; }
  bool anyPerChannel() const { return kq.perChannel || vq.perChannel; }
  const SideQuant &side(bool key) const { return key ? kq : vq; }

  /// Fills the description; false (with the reason) when the layout has no
  /// kernels yet.
  bool init(Attribute cache, int64_t D, int64_t Dv, std::string &why) {
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
      quant = Int8;
      kq.perChannel = vq.perChannel = i8.getGranularity() == Granularity::PerChannel;
    } else if (auto f8 = dyn_cast<FP8QuantAttr>(q)) {
      quant = FP8;
      kq.perChannel = vq.perChannel = f8.getGranularity() == Granularity::PerChannel;
      bool e4m3 = f8.getFormat() == FP8Format::E4M3;
      mbits = e4m3 ? 3 : 2;
      emin = e4m3 ? -6 : -14;
      maxCode = e4m3 ? 0x7E : 0x7B; // 448 (e4m3fn has no inf) / 57344
      fmax = e4m3 ? 448.0 : 57344.0;
    } else if (auto i4 = dyn_cast<Int4QuantAttr>(q)) {
      quant = Int4;
      kq.perChannel = i4.getKeys() == Granularity::PerChannel;
      vq.perChannel = i4.getValues() == Granularity::PerChannel;
      kq.group = vq.group = i4.getGroup();
      if (D % 2 || Dv % 2) {
        why = "int4 with an odd head dimension (two codes per byte)";
        return false;
      }
    } else {
      why = "unknown quantization";
      return false;
    }
    // int8/fp8: per-token scales cover the whole row, per-channel groups
    // are 32 tokens (semantics.md §8.4).
    for (SideQuant *s : {&kq, &vq}) {
      if (quant != Int4)
        s->group = s->perChannel ? 32 : (s == &kq ? D : Dv);
      if (s->group <= 0) {
        why = "a quantization group of no elements";
        return false;
      }
    }
    if (anyPerChannel()) {
      // A token group must sit inside one page, and a ring would evict
      // tokens of a group one at a time.
      if (kind == Ring) {
        why = "per_channel quantization on a ring cache";
        return false;
      }
      int64_t g = kq.perChannel ? kq.group : vq.group;
      if ((kq.perChannel && vq.perChannel && kq.group != vq.group) ||
          (kind == Paged && pageSize % g)) {
        why = "per_channel token groups that do not divide the page size";
        return false;
      }
    }
    return true;
  }
  /// Tokens per per-channel group (0 without per-channel sides).
  int64_t tokenGroup() const {
    return kq.perChannel ? kq.group : vq.perChannel ? vq.group : 0;
  }
};

/// What one decode_split work item reads: its query row, split and
/// sequence, and the resident keys [r0, r1) of the split.
struct SplitItem {
  Value row, split, seq;
  Value T, R;               // the row's length; resident keys (a ring: sinks + window)
  Value nSinks, winStart;   // a ring: resident sinks, first window token
  Value quantEnd;           // per-channel sides: tokens of complete groups
  Value qp, rI64;           // query position (i64), R as i64
  Value kv0, h0;            // first KV head and query head of the item
  Value qGroup;             // the item's query heads [1, hq, D] (input element type)
  Value r0, r1;
  bool ring = false, cachePositions = false;
};

class CacheKernelBuilder : public KernelEmitter {
public:
  using KernelEmitter::KernelEmitter;
  /// Whether the variant's cache layout has kernels yet.
  bool supported() {
    std::string why;
    ShapeAttr shape = variant.getShape();
    return L.init(variant.getCache(), shape.getHeadDim(), shape.getValueDim(), why);
  }
  void build();
  /// Keys gathered per step, at most (the pass's `chunk`).
  int64_t maxChunk = kChunk;
  /// Threads per decode_split block (the pass's `block-threads`; 0: one
  /// work item per thread).
  int64_t blockThreads = 0;

private:
  // Types of the cache buffers, in argument order.
  SmallVector<Type> cacheTypes();
  void bindCache(ValueRange args, unsigned &next);
  void bindInputs(ValueRange args, unsigned &next);
  /// A kernel with a C interface; `names` become `attn.arg_name` argument
  /// attributes, from which `attnc build` writes the header.
  func::FuncOp makeFunc(StringRef suffix, ArrayRef<Type> args, ArrayRef<std::string> names,
                        ArrayRef<Type> results = {});
  SmallVector<std::string> cacheNames();
  SmallVector<std::string> inputNames();

  /// (i0, i1): the first two indices of logical token `t` of sequence `seq`
  /// in the token buffers (sequence/page, token/slot).
  std::pair<Value, Value> slotOf(OpBuilder &ob, Value seq, Value t);
  /// Sequences the cache holds (page-table rows when paged).
  Value sequenceCount(OpBuilder &ob);
  /// Tokens a sequence can hold: the capacity, or the page table's pages
  /// times the page size (not meaningful for a ring, which wraps).
  Value tokenCapacity(OpBuilder &ob);
  SmallVector<Value> rowIndices(OpBuilder &ob, Value i0, Value i1, Value kvh);
  /// Loads one key or value row of the cache as vector<N x f32>,
  /// dequantized: token `t` of sequence `seq` at slot (i0, i1); a
  /// per-channel side reads the residual for t >= quantEnd (the tokens of
  /// complete groups).
  Value loadRow(OpBuilder &ob, bool key, Value i0, Value i1, Value kvh, Value seq, Value t,
                Value quantEnd);
  /// Stores an f32 row (already rounded to the element type) of token `t`
  /// into the cache: quantized per token now, or into the residual of a
  /// per-channel side (quantizeGroup quantizes it when its group is full).
  void storeRow(OpBuilder &ob, bool key, Value i0, Value i1, Value kvh, Value row, Value seq,
                Value t);
  /// Quantizes the complete token group [t0, t0 + G) of sequence `seq`,
  /// KV head `kvh`, from the residual: per-channel scales (and minima).
  void quantizeGroup(OpBuilder &ob, bool key, Value seq, Value t0, Value kvh);
  /// Codes (one i8 per element, unpacked) of y = x / scale (symmetric) or
  /// (x - min) / scale (int4), rounded half to even and clamped.
  Value encodeCodes(OpBuilder &ob, Value y);
  Value decodeCodes(OpBuilder &ob, Value codes);
  /// Codes of a row at `at` in `buffer`: two per byte for int4, low nibble
  /// first along the channels.
  Value loadCodes(OpBuilder &ob, Value buffer, ValueRange at, int64_t n);
  void storeCodes(OpBuilder &ob, Value codes, Value buffer, ValueRange at);
  /// vector<n x f32> whose channel groups of `group` hold one scalar each:
  /// params[at..., k] for group k (or params[at...] when there is one group
  /// and the buffer has no group dimension).
  Value groupVector(OpBuilder &ob, Value params, ArrayRef<Value> at, int64_t n, int64_t group);
  Value fp8Encode(OpBuilder &ob, Value y);
  Value fp8Decode(OpBuilder &ob, Value codes);
  /// 2^e for an i32 vector e (normal range), as f32.
  Value pow2(OpBuilder &ob, Value e);
  Value splatI32(OpBuilder &ob, VectorType t, int64_t v);

  /// Rotates keys [0, cnt) of the chunk `src` ([C, heads, D] f32) at
  /// positions p0, p0 + 1, ... into `dst`: per pair, cos/sin at p0 and of
  /// one step, then complex multiplication in f64 from key to key (the
  /// drift over a chunk is ~1e-15, far below the f32 result).
  void rotateConsecutive(OpBuilder &ob, Value src, Value p0, Value cnt, Value dst);
  void buildAppend();
  /// The block form of append's writes (status already 0): token
  /// gpu.block_id of the call, its key converted, rotated a pair per thread,
  /// then stored a KV head per thread.
  void emitBlockAppend(Value kIn, Value vIn, Value posIn, Value seq, Value len, Value n, Value newLen);
  void buildSplit();
  /// One decode_split work item as a thread block of `blockThreads`
  /// threads (the GPU's form, `block-threads`).
  void emitBlockItem(const struct SplitItem &it, Value pout, Value plse);
  /// for (i = tid; i < count; i += blockThreads) body(i): a block's threads
  /// sharing `count` items.
  void forThreadItems(OpBuilder &ob, Value tid, Value count, function_ref<void(OpBuilder &, Value)> body) {
    ob.create<scf::ForOp>(loc, tid, count, idxc(ob, blockThreads), ValueRange{},
                          [&](OpBuilder &lb, Location, Value i, ValueRange) {
                            body(lb, i);
                            lb.create<scf::YieldOp>(loc);
                          });
  }
  /// The block form's query heads per item and chunk (blockHeads,
  /// blockChunk) within workgroup memory; false when nothing fits.
  bool planBlockItem();
  int64_t blockHeads = 0, blockChunk = 0;
  /// Logical token of resident index `r` (a ring: sinks, then the window).
  Value logicalToken(OpBuilder &ob, const struct SplitItem &it, Value r);
  /// A workgroup-memory buffer NAME_<suffix> (static shape).
  Value sharedBuffer(OpBuilder &ob, StringRef suffix, ArrayRef<int64_t> shape, Type elem);
  void buildMerge();
  void buildDecode();
  /// GPU only: NAME_cache_gather_tok, one (token, KV head) of a sequence per
  /// thread copied out of the cache into contiguous rows (dequantized,
  /// rounded to the spec's K and V types; keys as stored) with the token's
  /// position, so the tensor-core prefill runs a chunk of queries over the
  /// cache.
  void buildGather();
  /// Per-channel layouts: the tokens of sequence `seq` in complete groups
  /// (read from the codes; the rest from the residual); null otherwise.
  Value quantizedEnd(OpBuilder &ob, Value seq) {
    int64_t G = L.tokenGroup();
    if (!G)
      return Value();
    Value stored = toIndex(ob, ob.create<memref::LoadOp>(loc, seqLen, seq));
    return ob.create<arith::MulIOp>(loc, ob.create<arith::DivUIOp>(loc, stored, idxc(ob, G)), idxc(ob, G));
  }

  CacheLayoutInfo L;
  int64_t H = 0, Hkv = 0, D = 0, Dv = 0, group = 0;
  TypesAttr types;
  bool twoBranches = false, onRead = false;
  /// A ring with on_read RoPE whose frequencies do not depend on the length:
  /// keys are stored rotated at their token index t, and a query attends to
  /// window keys rotated at its own token index T - 1 and to sinks (t = r)
  /// at its cache position R - 1. Both give the distance (R - 1) - r of
  /// positions inside the cache (semantics.md §8.3), so no key is rotated
  /// again at read (measured: the re-rotation was most of the ring's decode).
  bool rotatedRing = false;
  /// Keys are stored un-rotated and rotated at read (on_read, not rotatedRing).
  bool rotateKeysAtRead = false;
  Value kc, vc, pc, ks, vs, kmin, vmin, kres, vres, seqLen, table;
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
                                          ArrayRef<std::string> names, ArrayRef<Type> results) {
  assert(args.size() == names.size() && "one name per argument");
  b.setInsertionPointToEnd(module.getBody());
  auto f = b.create<func::FuncOp>(loc, (variant.getSymName() + suffix).str(),
                                  b.getFunctionType(args, results));
  f->setAttr("llvm.emit_c_interface", UnitAttr::get(b.getContext()));
  for (auto [i, name] : llvm::enumerate(names))
    f.setArgAttr(i, "attn.arg_name", b.getStringAttr(name));
  b.setInsertionPointToStart(f.addEntryBlock());
  inputArgs.clear();
  return f;
}

SmallVector<Type> CacheKernelBuilder::cacheTypes() {
  int64_t dyn = ShapedType::kDynamic;
  const bool quant = L.quant != CacheLayoutInfo::None;
  const int64_t per = L.quant == CacheLayoutInfo::Int4 ? 2 : 1; // codes per byte
  Type kEl = quant ? b.getI8Type() : types.getK(), vEl = quant ? b.getI8Type() : types.getV();
  // Token buffers: [seq or page, slot, kv_heads, dim] (hnd: heads before slots).
  int64_t slots = L.kind == CacheLayoutInfo::Paged ? L.pageSize
                  : L.kind == CacheLayoutInfo::Ring ? L.sinks + L.window
                                                    : dyn;
  auto tokens = [&](int64_t dim, Type el) -> Type {
    if (L.hnd)
      return MemRefType::get({dyn, Hkv, slots, dim}, el);
    return MemRefType::get({dyn, slots, Hkv, dim}, el);
  };
  SmallVector<Type> t = {tokens(D / per, kEl), tokens(Dv / per, vEl),
                         MemRefType::get({dyn, slots}, b.getI64Type())};
  if (!quant) {
    if (L.kind == CacheLayoutInfo::Paged)
      t.push_back(MemRefType::get({dyn, dyn}, b.getI32Type()));
    return t;
  }
  auto params = [&](bool key) -> Type {
    const SideQuant &q = L.side(key);
    int64_t n = key ? D : Dv;
    if (q.perChannel) // [.., slot groups, kv_heads, channels]
      return MemRefType::get({dyn, slots == dyn ? dyn : slots / q.group, Hkv, n}, b.getF32Type());
    if (L.quant == CacheLayoutInfo::Int4) // [.., slots, kv_heads, channel groups]
      return MemRefType::get({dyn, slots, Hkv, (n + q.group - 1) / q.group}, b.getF32Type());
    return MemRefType::get({dyn, slots, Hkv}, b.getF32Type());
  };
  t.append({params(true), params(false)});
  if (L.asymmetric())
    t.append({params(true), params(false)});
  for (bool key : {true, false})
    if (L.side(key).perChannel)
      t.push_back(MemRefType::get({dyn, L.side(key).group, Hkv, key ? D : Dv}, key ? types.getK() : types.getV()));
  if (L.anyPerChannel())
    t.push_back(MemRefType::get({dyn}, b.getI64Type()));
  if (L.kind == CacheLayoutInfo::Paged)
    t.push_back(MemRefType::get({dyn, dyn}, b.getI32Type()));
  return t;
}

SmallVector<std::string> CacheKernelBuilder::cacheNames() {
  SmallVector<std::string> n = {"k_cache", "v_cache", "pos_cache"};
  if (L.quant != CacheLayoutInfo::None)
    n.append({"k_scale", "v_scale"});
  if (L.asymmetric())
    n.append({"k_min", "v_min"});
  if (L.kq.perChannel)
    n.push_back("k_resid");
  if (L.vq.perChannel)
    n.push_back("v_resid");
  if (L.anyPerChannel())
    n.push_back("seq_len");
  if (L.kind == CacheLayoutInfo::Paged)
    n.push_back("page_table");
  return n;
}

SmallVector<std::string> CacheKernelBuilder::inputNames() {
  SmallVector<std::string> n;
  for (Attribute a : variant.getInputs())
    n.push_back(cast<InputAttr>(a).getName().str());
  return n;
}

void CacheKernelBuilder::bindCache(ValueRange args, unsigned &next) {
  kc = args[next++];
  vc = args[next++];
  pc = args[next++];
  ks = vs = kmin = vmin = kres = vres = seqLen = table = Value();
  if (L.quant != CacheLayoutInfo::None) {
    ks = args[next++];
    vs = args[next++];
  }
  if (L.asymmetric()) {
    kmin = args[next++];
    vmin = args[next++];
  }
  if (L.kq.perChannel)
    kres = args[next++];
  if (L.vq.perChannel)
    vres = args[next++];
  if (L.anyPerChannel())
    seqLen = args[next++];
  if (L.kind == CacheLayoutInfo::Paged)
    table = args[next++];
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
    Value phys = ob.create<arith::IndexCastOp>(
        loc, ob.getIndexType(), ob.create<memref::LoadOp>(loc, table, ValueRange{seq, page}));
    // An entry that names no page (-1, or past the pool) reads page 0: a
    // decode has no status to report it (append checks before writing).
    Value inPool = ob.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, phys,
                                            ob.create<memref::DimOp>(loc, kc, 0));
    return {ob.create<arith::SelectOp>(loc, inPool, phys, idxc(ob, 0)), off};
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

Value CacheKernelBuilder::sequenceCount(OpBuilder &ob) {
  Value buffer = L.kind == CacheLayoutInfo::Paged ? table : kc;
  return ob.create<memref::DimOp>(loc, buffer, 0);
}

Value CacheKernelBuilder::tokenCapacity(OpBuilder &ob) {
  if (L.kind == CacheLayoutInfo::Paged)
    return ob.create<arith::MulIOp>(loc, ob.create<memref::DimOp>(loc, table, 1), idxc(ob, L.pageSize));
  return ob.create<memref::DimOp>(loc, pc, 1);
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

Value CacheKernelBuilder::encodeCodes(OpBuilder &ob, Value y) {
  auto ft = cast<VectorType>(y.getType());
  auto i8t = VectorType::get(ft.getShape(), ob.getI8Type());
  auto splat = [&](double v) {
    return ob.create<arith::ConstantOp>(loc, DenseElementsAttr::get(ft, ob.getF32FloatAttr(v))).getResult();
  };
  if (L.quant == CacheLayoutInfo::FP8)
    return fp8Encode(ob, y);
  double lo = L.quant == CacheLayoutInfo::Int4 ? 0 : -127, hi = L.quant == CacheLayoutInfo::Int4 ? 15 : 127;
  Value r = ob.create<math::RoundEvenOp>(loc, y);
  r = ob.create<arith::MinimumFOp>(loc, ob.create<arith::MaximumFOp>(loc, r, splat(lo)), splat(hi));
  return ob.create<arith::FPToSIOp>(loc, i8t, r);
}

Value CacheKernelBuilder::decodeCodes(OpBuilder &ob, Value codes) {
  auto ct = cast<VectorType>(codes.getType());
  auto ft = VectorType::get(ct.getShape(), ob.getF32Type());
  switch (L.quant) {
  case CacheLayoutInfo::FP8:
    return fp8Decode(ob, codes);
  case CacheLayoutInfo::Int4:
    return ob.create<arith::UIToFPOp>(loc, ft, codes);
  default:
    return ob.create<arith::SIToFPOp>(loc, ft, codes);
  }
}

Value CacheKernelBuilder::loadCodes(OpBuilder &ob, Value buffer, ValueRange at, int64_t n) {
  auto i8 = ob.getI8Type();
  if (L.quant != CacheLayoutInfo::Int4)
    return ob.create<vector::LoadOp>(loc, VectorType::get({n}, i8), buffer, at);
  auto half = VectorType::get({n / 2}, i8);
  Value bytes = ob.create<vector::LoadOp>(loc, half, buffer, at);
  Value mask = ob.create<arith::ConstantOp>(loc, DenseElementsAttr::get(half, ob.getI8IntegerAttr(0x0F)));
  Value four = ob.create<arith::ConstantOp>(loc, DenseElementsAttr::get(half, ob.getI8IntegerAttr(4)));
  Value lo = ob.create<arith::AndIOp>(loc, bytes, mask);
  Value hi = ob.create<arith::ShRUIOp>(loc, bytes, four);
  SmallVector<int64_t> order;
  for (int64_t c = 0; c < n / 2; ++c)
    order.append({c, n / 2 + c});
  return ob.create<vector::ShuffleOp>(loc, lo, hi, order);
}

void CacheKernelBuilder::storeCodes(OpBuilder &ob, Value codes, Value buffer, ValueRange at) {
  if (L.quant != CacheLayoutInfo::Int4) {
    ob.create<vector::StoreOp>(loc, codes, buffer, at);
    return;
  }
  int64_t n = cast<VectorType>(codes.getType()).getDimSize(0);
  SmallVector<int64_t> even, odd;
  for (int64_t c = 0; c < n / 2; ++c) {
    even.push_back(2 * c);
    odd.push_back(2 * c + 1);
  }
  auto half = VectorType::get({n / 2}, ob.getI8Type());
  Value four = ob.create<arith::ConstantOp>(loc, DenseElementsAttr::get(half, ob.getI8IntegerAttr(4)));
  Value lo = ob.create<vector::ShuffleOp>(loc, codes, codes, even);
  Value hi = ob.create<vector::ShuffleOp>(loc, codes, codes, odd);
  Value bytes = ob.create<arith::OrIOp>(loc, lo, ob.create<arith::ShLIOp>(loc, hi, four));
  ob.create<vector::StoreOp>(loc, bytes, buffer, at);
}

Value CacheKernelBuilder::groupVector(OpBuilder &ob, Value params, ArrayRef<Value> at, int64_t n,
                                      int64_t group) {
  auto ft = VectorType::get({n}, ob.getF32Type());
  bool grouped = cast<MemRefType>(params.getType()).getRank() == (int64_t)at.size() + 1;
  if (!grouped)
    return ob.create<vector::BroadcastOp>(loc, ft, ob.create<memref::LoadOp>(loc, params, at));
  Value out = ob.create<arith::ConstantOp>(loc, DenseElementsAttr::get(ft, ob.getF32FloatAttr(0)));
  for (int64_t k = 0, o = 0; o < n; ++k, o += group) {
    int64_t len = std::min(group, n - o);
    SmallVector<Value> idx(at.begin(), at.end());
    idx.push_back(idxc(ob, k));
    Value v = ob.create<vector::BroadcastOp>(loc, VectorType::get({len}, ob.getF32Type()),
                                             ob.create<memref::LoadOp>(loc, params, idx));
    out = ob.create<vector::InsertStridedSliceOp>(loc, v, out, ArrayRef<int64_t>{o}, ArrayRef<int64_t>{1});
  }
  return out;
}

Value CacheKernelBuilder::loadRow(OpBuilder &ob, bool key, Value i0, Value i1, Value kvh, Value seq,
                                  Value t, Value quantEnd) {
  int64_t n = key ? D : Dv;
  Value buffer = key ? kc : vc;
  Type el = cast<MemRefType>(buffer.getType()).getElementType();
  auto ft = VectorType::get({n}, ob.getF32Type());
  if (L.quant == CacheLayoutInfo::None) {
    Value raw = ob.create<vector::LoadOp>(loc, VectorType::get({n}, el), buffer,
                                          rowIndices(ob, i0, i1, kvh));
    return el.isF32() ? raw : (Value)ob.create<arith::ExtFOp>(loc, ft, raw);
  }
  const SideQuant &q = L.side(key);
  Value scales = key ? ks : vs, mins = key ? kmin : vmin;
  auto dequantized = [&](OpBuilder &db) -> Value {
    Value vals = decodeCodes(db, loadCodes(db, buffer, rowIndices(db, i0, i1, kvh), n));
    Value scale, mn;
    if (q.perChannel) {
      SmallVector<Value> at = {i0, db.create<arith::DivUIOp>(loc, i1, idxc(db, q.group)), kvh, idxc(db, 0)};
      scale = db.create<vector::LoadOp>(loc, ft, scales, at);
      if (mins)
        mn = db.create<vector::LoadOp>(loc, ft, mins, at);
    } else {
      scale = groupVector(db, scales, {i0, i1, kvh}, n, q.group);
      if (mins)
        mn = groupVector(db, mins, {i0, i1, kvh}, n, q.group);
    }
    return mn ? db.create<vector::FMAOp>(loc, vals, scale, mn).getResult()
              : db.create<arith::MulFOp>(loc, vals, scale).getResult();
  };
  if (!q.perChannel)
    return dequantized(ob);
  Value inGroup = ob.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, t, quantEnd);
  auto pick = ob.create<scf::IfOp>(
      loc, inGroup,
      [&](OpBuilder &tb, Location) { tb.create<scf::YieldOp>(loc, dequantized(tb)); },
      [&](OpBuilder &eb, Location) {
        Value res = key ? kres : vres;
        Type rel = cast<MemRefType>(res.getType()).getElementType();
        Value slot = eb.create<arith::RemUIOp>(loc, t, idxc(eb, q.group));
        Value raw = eb.create<vector::LoadOp>(loc, VectorType::get({n}, rel), res,
                                              ValueRange{seq, slot, kvh, idxc(eb, 0)});
        eb.create<scf::YieldOp>(loc, rel.isF32() ? raw : (Value)eb.create<arith::ExtFOp>(loc, ft, raw));
      });
  return pick.getResult(0);
}

void CacheKernelBuilder::storeRow(OpBuilder &ob, bool key, Value i0, Value i1, Value kvh,
                                  Value row, Value seq, Value t) {
  int64_t n = key ? D : Dv;
  Value buffer = key ? kc : vc;
  Type el = cast<MemRefType>(buffer.getType()).getElementType();
  auto ft = VectorType::get({n}, ob.getF32Type());
  if (L.quant == CacheLayoutInfo::None) {
    Value v = el.isF32() ? row : (Value)ob.create<arith::TruncFOp>(loc, VectorType::get({n}, el), row);
    ob.create<vector::StoreOp>(loc, v, buffer, rowIndices(ob, i0, i1, kvh));
    return;
  }
  const SideQuant &q = L.side(key);
  if (q.perChannel) {
    // The residual keeps the value in the element type until the group is
    // complete.
    Value res = key ? kres : vres;
    Type rel = cast<MemRefType>(res.getType()).getElementType();
    Value v = rel.isF32() ? row : (Value)ob.create<arith::TruncFOp>(loc, VectorType::get({n}, rel), row);
    ob.create<vector::StoreOp>(loc, v, res,
                               ValueRange{seq, ob.create<arith::RemUIOp>(loc, t, idxc(ob, q.group)), kvh, idxc(ob, 0)});
    return;
  }
  auto zeroWhere = [&](OpBuilder &zb, Value scale, Value y) {
    auto vt = cast<VectorType>(y.getType());
    Value zero = zb.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, scale, f32c(zb, 0));
    Value zeros = zb.create<arith::ConstantOp>(loc, DenseElementsAttr::get(vt, zb.getF32FloatAttr(0)));
    return zb.create<arith::SelectOp>(loc, zero, zeros, y).getResult();
  };
  if (L.quant == CacheLayoutInfo::Int4) {
    // Per (token, KV head, channel group): min and (max - min) / 15.
    auto i8t = VectorType::get({n}, ob.getI8Type());
    Value codes = ob.create<arith::ConstantOp>(loc, DenseElementsAttr::get(i8t, ob.getI8IntegerAttr(0)));
    Value scales = key ? ks : vs, mins = key ? kmin : vmin;
    for (int64_t k = 0, o = 0; o < n; ++k, o += q.group) {
      int64_t len = std::min(q.group, n - o);
      Value x = ob.create<vector::ExtractStridedSliceOp>(loc, row, ArrayRef<int64_t>{o}, ArrayRef<int64_t>{len},
                                                         ArrayRef<int64_t>{1});
      Value mn = ob.create<vector::ReductionOp>(loc, vector::CombiningKind::MINIMUMF, x);
      Value mx = ob.create<vector::ReductionOp>(loc, vector::CombiningKind::MAXIMUMF, x);
      Value scale = ob.create<arith::DivFOp>(loc, ob.create<arith::SubFOp>(loc, mx, mn), f32c(ob, 15));
      auto gt = VectorType::get({len}, ob.getF32Type());
      Value y = ob.create<arith::DivFOp>(loc, ob.create<arith::SubFOp>(loc, x, ob.create<vector::BroadcastOp>(loc, gt, mn)),
                                         ob.create<vector::BroadcastOp>(loc, gt, scale));
      codes = ob.create<vector::InsertStridedSliceOp>(loc, encodeCodes(ob, zeroWhere(ob, scale, y)), codes,
                                                      ArrayRef<int64_t>{o}, ArrayRef<int64_t>{1});
      ob.create<memref::StoreOp>(loc, scale, scales, ValueRange{i0, i1, kvh, idxc(ob, k)});
      ob.create<memref::StoreOp>(loc, mn, mins, ValueRange{i0, i1, kvh, idxc(ob, k)});
    }
    storeCodes(ob, codes, buffer, rowIndices(ob, i0, i1, kvh));
    return;
  }
  // Per (token, KV head): scale = max|x| / F; x = 0 everywhere gives scale 0
  // and codes 0.
  Value amax = ob.create<vector::ReductionOp>(loc, vector::CombiningKind::MAXIMUMF,
                                              ob.create<math::AbsFOp>(loc, row));
  double F = L.quant == CacheLayoutInfo::Int8 ? 127.0 : L.fmax;
  Value scale = ob.create<arith::DivFOp>(loc, amax, f32c(ob, F));
  Value y = ob.create<arith::DivFOp>(loc, row, ob.create<vector::BroadcastOp>(loc, ft, scale));
  storeCodes(ob, encodeCodes(ob, zeroWhere(ob, scale, y)), buffer, rowIndices(ob, i0, i1, kvh));
  ob.create<memref::StoreOp>(loc, scale, key ? ks : vs, ValueRange{i0, i1, kvh});
}

void CacheKernelBuilder::quantizeGroup(OpBuilder &ob, bool key, Value seq, Value t0, Value kvh) {
  const SideQuant &q = L.side(key);
  int64_t n = key ? D : Dv;
  auto ft = VectorType::get({n}, ob.getF32Type());
  Value res = key ? kres : vres;
  Type rel = cast<MemRefType>(res.getType()).getElementType();
  auto residRow = [&](OpBuilder &rb, Value j) -> Value {
    Value raw = rb.create<vector::LoadOp>(loc, VectorType::get({n}, rel), res, ValueRange{seq, j, kvh, idxc(rb, 0)});
    return rel.isF32() ? raw : (Value)rb.create<arith::ExtFOp>(loc, ft, raw);
  };
  auto splat = [&](OpBuilder &sb, double v) {
    return sb.create<arith::ConstantOp>(loc, DenseElementsAttr::get(ft, sb.getF32FloatAttr(v))).getResult();
  };
  const bool asym = L.asymmetric();
  double inf = std::numeric_limits<double>::infinity();
  // Per channel over the group's tokens: min and max (int4), or max |x|.
  SmallVector<Value> init = asym ? SmallVector<Value>{splat(ob, inf), splat(ob, -inf)}
                                 : SmallVector<Value>{splat(ob, 0)};
  auto stats = ob.create<scf::ForOp>(loc, idxc(ob, 0), idxc(ob, q.group), idxc(ob, 1), init,
                                     [&](OpBuilder &lb, Location, Value j, ValueRange acc) {
                                       Value x = residRow(lb, j);
                                       SmallVector<Value> next;
                                       if (asym)
                                         next = {lb.create<arith::MinimumFOp>(loc, acc[0], x),
                                                 lb.create<arith::MaximumFOp>(loc, acc[1], x)};
                                       else
                                         next = {lb.create<arith::MaximumFOp>(loc, acc[0], lb.create<math::AbsFOp>(loc, x))};
                                       lb.create<scf::YieldOp>(loc, next);
                                     });
  Value mn = asym ? stats.getResult(0) : Value();
  double F = L.quant == CacheLayoutInfo::Int4 ? 15.0 : L.quant == CacheLayoutInfo::Int8 ? 127.0 : L.fmax;
  Value range = asym ? ob.create<arith::SubFOp>(loc, stats.getResult(1), mn).getResult() : stats.getResult(0);
  Value scale = ob.create<arith::DivFOp>(loc, range, splat(ob, F));
  Value zero = ob.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, scale, splat(ob, 0));
  auto [g0, g1] = slotOf(ob, seq, t0);
  SmallVector<Value> at = {g0, ob.create<arith::DivUIOp>(loc, g1, idxc(ob, q.group)), kvh, idxc(ob, 0)};
  ob.create<vector::StoreOp>(loc, scale, key ? ks : vs, at);
  if (asym)
    ob.create<vector::StoreOp>(loc, mn, key ? kmin : vmin, at);
  ob.create<scf::ForOp>(loc, idxc(ob, 0), idxc(ob, q.group), idxc(ob, 1), ValueRange{},
                        [&](OpBuilder &lb, Location, Value j, ValueRange) {
                          Value x = residRow(lb, j);
                          Value y = lb.create<arith::DivFOp>(loc, asym ? lb.create<arith::SubFOp>(loc, x, mn).getResult() : x,
                                                             scale);
                          y = lb.create<arith::SelectOp>(loc, zero, splat(lb, 0), y);
                          auto [i0, i1] = slotOf(lb, seq, lb.create<arith::AddIOp>(loc, t0, j));
                          storeCodes(lb, encodeCodes(lb, y), key ? kc : vc, rowIndices(lb, i0, i1, kvh));
                          lb.create<scf::YieldOp>(loc);
                        });
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
    // Not for quantized rings: codes of rotated keys would differ from the
    // codes of the un-rotated keys the semantics store by a quantization
    // step, not a rounding.
    rotatedRing = L.kind == CacheLayoutInfo::Ring && onRead && !twoBranches && !freqs.dynamicNTK &&
                  freqs.invFreqLong.empty() && L.quant == CacheLayoutInfo::None;
    rotateKeysAtRead = onRead && !rotatedRing;
  }
  buildAppend();
  buildSplit();
  buildMerge();
  buildDecode();
  if (blockThreads > 0 && L.kind != CacheLayoutInfo::Ring)
    buildGather();
}

void CacheKernelBuilder::buildGather() {
  int64_t dyn = ShapedType::kDynamic;
  SmallVector<Type> args = cacheTypes();
  args.append({MemRefType::get({dyn, Hkv, D}, types.getK()), MemRefType::get({dyn, Hkv, Dv}, types.getV()),
               MemRefType::get({dyn}, b.getI64Type()), b.getIndexType(), b.getIndexType()});
  SmallVector<std::string> names = cacheNames();
  names.append({"k_rows", "v_rows", "pos_rows", "seq", "item"});
  func::FuncOp f = makeFunc("_cache_gather_tok", args, names);
  // attn-outline-gpu-kernels: the trailing index is the global thread id.
  f->setAttr("attn.thread_item", UnitAttr::get(b.getContext()));
  auto fa = f.getArguments();
  unsigned next = 0;
  bindCache(fa, next);
  Value kOut = fa[next], vOut = fa[next + 1], posOut = fa[next + 2], seq = fa[next + 3], item = fa[next + 4];
  // Item = (token, KV head): a thread moves one K row and one V row (a
  // thread per token moved kv_heads of each, 8x fewer threads in flight).
  Value t = b.create<arith::DivUIOp>(loc, item, idxc(b, Hkv));
  Value kvh = b.create<arith::RemUIOp>(loc, item, idxc(b, Hkv));
  Value inRange = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, t, b.create<memref::DimOp>(loc, kOut, 0));
  auto body = b.create<scf::IfOp>(loc, inRange, /*withElseRegion=*/false);
  b.setInsertionPointToStart(&body.getThenRegion().front());
  auto slot = slotOf(b, seq, t);
  Value quantEnd = quantizedEnd(b, seq);
  for (bool key : {true, false}) {
    Value out = key ? kOut : vOut;
    Type el = cast<MemRefType>(out.getType()).getElementType();
    Value row = loadRow(b, key, slot.first, slot.second, kvh, seq, t, quantEnd);
    if (!el.isF32())
      row = b.create<arith::TruncFOp>(loc, VectorType::get({key ? D : Dv}, el), row);
    b.create<vector::StoreOp>(loc, row, out, ValueRange{t, kvh, idxc(b, 0)});
  }
  // The token's position, once (by its first KV head's thread).
  Value first = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, kvh, idxc(b, 0));
  b.create<scf::IfOp>(loc, first, [&](OpBuilder &pb, Location) {
    pb.create<memref::StoreOp>(loc, pb.create<memref::LoadOp>(loc, pc, ValueRange{slot.first, slot.second}), posOut,
                               t);
    pb.create<scf::YieldOp>(loc);
  });
  b.setInsertionPointAfter(body);
  b.create<func::ReturnOp>(loc);
}

void CacheKernelBuilder::rotateConsecutive(OpBuilder &ob, Value src, Value p0, Value cnt,
                                           Value dst) {
  int64_t half = rope.getRotaryDim() / 2;
  int64_t heads = cast<MemRefType>(src.getType()).getDimSize(1);
  bool interleaved = rope.getLayout() == RopeLayout::Interleaved;
  auto rowType = VectorType::get({D}, ob.getF32Type());
  auto forRange = [&](OpBuilder &fb, Value lo, Value hi, ValueRange init,
                      function_ref<SmallVector<Value>(OpBuilder &, Value, ValueRange)> body) {
    return fb.create<scf::ForOp>(loc, lo, hi, idxc(fb, 1), init,
                                 [&](OpBuilder &lb, Location, Value i, ValueRange carried) {
                                   lb.create<scf::YieldOp>(loc, body(lb, i, carried));
                                 });
  };
  // Dimensions past rotary_dim pass through.
  forRange(ob, idxc(ob, 0), cnt, {}, [&](OpBuilder &lb, Value jj, ValueRange) {
    forRange(lb, idxc(lb, 0), idxc(lb, heads), {}, [&](OpBuilder &hb, Value e, ValueRange) {
      SmallVector<Value> at = {jj, e, idxc(hb, 0)};
      hb.create<vector::StoreOp>(loc, hb.create<vector::LoadOp>(loc, rowType, src, at), dst, at);
      return SmallVector<Value>{};
    });
    return SmallVector<Value>{};
  });
  Value p0f = ob.create<arith::SIToFPOp>(loc, ob.getF64Type(), p0);
  Value af = f64c(ob, freqs.attentionFactor);
  forRange(ob, idxc(ob, 0), idxc(ob, half), {}, [&](OpBuilder &pb, Value j, ValueRange) {
    Value inv = pb.create<memref::LoadOp>(loc, invFreq, j);
    Value a0 = pb.create<arith::MulFOp>(loc, p0f, inv);
    Value c0 = pb.create<math::CosOp>(loc, a0), s0 = pb.create<math::SinOp>(loc, a0);
    Value cd = pb.create<math::CosOp>(loc, inv), sd = pb.create<math::SinOp>(loc, inv);
    Value i0 = interleaved ? pb.create<arith::MulIOp>(loc, j, idxc(pb, 2)).getResult() : j;
    Value i1 = pb.create<arith::AddIOp>(loc, i0, idxc(pb, interleaved ? 1 : half));
    forRange(pb, idxc(pb, 0), idxc(pb, heads), {}, [&](OpBuilder &hb, Value e, ValueRange) {
      forRange(hb, idxc(hb, 0), cnt, {c0, s0}, [&](OpBuilder &kb, Value jj, ValueRange cs) {
        Value c = cs[0], s = cs[1];
        Value cf = kb.create<arith::TruncFOp>(loc, kb.getF32Type(), kb.create<arith::MulFOp>(loc, c, af));
        Value sf = kb.create<arith::TruncFOp>(loc, kb.getF32Type(), kb.create<arith::MulFOp>(loc, s, af));
        Value x0 = kb.create<memref::LoadOp>(loc, src, ValueRange{jj, e, i0});
        Value x1 = kb.create<memref::LoadOp>(loc, src, ValueRange{jj, e, i1});
        auto [y0, y1] = rotateValues(kb, x0, x1, cf, sf);
        kb.create<memref::StoreOp>(loc, y0, dst, ValueRange{jj, e, i0});
        kb.create<memref::StoreOp>(loc, y1, dst, ValueRange{jj, e, i1});
        Value cn = kb.create<arith::SubFOp>(loc, kb.create<arith::MulFOp>(loc, c, cd),
                                            kb.create<arith::MulFOp>(loc, s, sd));
        Value sn = kb.create<arith::AddFOp>(loc, kb.create<arith::MulFOp>(loc, s, cd),
                                            kb.create<arith::MulFOp>(loc, c, sd));
        return SmallVector<Value>{cn, sn};
      });
      return SmallVector<Value>{};
    });
    return SmallVector<Value>{};
  });
}

/// append(k [n, Hkv, D], v [n, Hkv, Dv], pos [n], cache..., seq, len) -> i32:
/// 0 on success; 1: past the contiguous capacity; 2: a page of the new
/// tokens is missing from the page table (-1, out of range); 3: `seq` is
/// not a sequence of the cache; 4 (per-channel quantization): `len` is past
/// the sequence's stored length, or inside a group already quantized.
/// Nothing is written unless the status is 0.
void CacheKernelBuilder::buildAppend() {
  int64_t dyn = ShapedType::kDynamic;
  SmallVector<Type> args = {MemRefType::get({dyn, Hkv, D}, types.getK()),
                            MemRefType::get({dyn, Hkv, Dv}, types.getV()),
                            MemRefType::get({dyn}, b.getI64Type())};
  args.append(cacheTypes());
  args.append({b.getIndexType(), b.getIndexType()});
  SmallVector<std::string> names = {"k", "v", "pos"};
  names.append(cacheNames());
  names.append({"seq", "len"});
  func::FuncOp f = makeFunc("_append", args, names, {b.getI32Type()});
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
  Value seqCount = sequenceCount(b);
  setIf(cmp(P::uge, seq, seqCount), 3);
  if (L.kind == CacheLayoutInfo::Contiguous) {
    Value cap = b.create<memref::DimOp>(loc, pc, 1);
    setIf(cmp(P::ugt, newLen, cap), 1);
    for (bool key : {true, false})
      if (L.side(key).perChannel) {
        // The scales of every group this call completes must fit.
        Value groups = b.create<memref::DimOp>(loc, key ? ks : vs, 1);
        setIf(cmp(P::ugt, b.create<arith::DivUIOp>(loc, newLen, idxc(b, L.side(key).group)), groups), 1);
      }
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
  const int64_t G = L.tokenGroup();
  if (G) {
    // The residual holds the sequence's incomplete group only: appending
    // past the stored length, or inside a group already quantized, cannot
    // be served.
    Value seqOk = cmp(P::ult, seq, seqCount);
    Value safeSeq = b.create<arith::SelectOp>(loc, seqOk, seq, idxc(b, 0));
    Value stored = toIndex(b, b.create<memref::LoadOp>(loc, seqLen, safeSeq));
    Value past = cmp(P::ugt, len, stored);
    Value gc = idxc(b, G);
    Value inside = b.create<arith::AndIOp>(
        loc, cmp(P::ne, b.create<arith::RemUIOp>(loc, len, gc), idxc(b, 0)),
        cmp(P::ne, b.create<arith::DivUIOp>(loc, len, gc), b.create<arith::DivUIOp>(loc, stored, gc)));
    setIf(b.create<arith::OrIOp>(loc, past, inside), 4);
  }
  Value ok = cmp(P::eq, status, b.create<arith::ConstantIntOp>(loc, 0, 32));
  auto guard = b.create<scf::IfOp>(loc, ok, /*withElse=*/false);
  b.setInsertionPointToStart(&guard.getThenRegion().front());
  // Thread blocks (GPU), a token per block, where tokens are independent:
  // not a ring (two tokens of one call may share a slot) and not per-channel
  // groups (a group is quantized from tokens other blocks write).
  if (blockThreads && L.kind != CacheLayoutInfo::Ring && !G) {
    f->setAttr("attn.block_threads", b.getI64IntegerAttr(blockThreads));
    emitBlockAppend(kIn, vIn, posIn, seq, len, n, newLen);
  } else {
    // Keys to f32, rotated at their positions for on_write RoPE, with the
    // length after this call for length-dependent scalings: one token at a
    // time into fixed scratch, so the kernel allocates nothing (it also runs
    // on a GPU thread).
    seqLenF64 = b.create<arith::SIToFPOp>(loc, b.getF64Type(), toI64(b, newLen));
    RopeAttr saved = rope;
    if (rotateKeysAtRead)
      rope = RopeAttr(); // stored un-rotated; rotateInto then only converts
    if (rope)
      invFreq = loadInvFreqTable(b);
    Value kf = b.create<memref::AllocaOp>(loc, MemRefType::get({1, Hkv, D}, b.getF32Type()));
    Value tokenPos = b.create<memref::AllocaOp>(loc, MemRefType::get({1}, b.getI64Type()));
    Type kEl = types.getK(), vEl = types.getV();
    auto loop = b.create<scf::ForOp>(loc, idxc(b, 0), n, idxc(b, 1));
    b.setInsertionPointToStart(loop.getBody());
    Value i = loop.getInductionVar();
    Value t = b.create<arith::AddIOp>(loc, len, i);
    {
      // At the token's position, or at its token index for a rotatedRing
      // (the rotatedRing comment).
      Value at = rotatedRing ? toI64(b, t) : b.create<memref::LoadOp>(loc, posIn, i).getResult();
      b.create<memref::StoreOp>(loc, at, tokenPos, idxc(b, 0));
      Value token = b.create<memref::SubViewOp>(
          loc, kIn, ArrayRef<OpFoldResult>{i, b.getIndexAttr(0), b.getIndexAttr(0)},
          ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(Hkv), b.getIndexAttr(D)},
          ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1), b.getIndexAttr(1)});
      rotateInto(b, token, tokenPos, kf, Hkv, /*isQuery=*/false, 0);
    }
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
                                          ValueRange{idxc(b, 0), g, idxc(b, 0)});
    storeRow(b, true, i0, i1, g, roundTo(kRow, kEl), seq, t);
    Value vRow = b.create<vector::LoadOp>(loc, VectorType::get({Dv}, vEl), vIn, ValueRange{i, g, idxc(b, 0)});
    storeRow(b, false, i0, i1, g, roundTo(vecToF32(b, vRow), vEl), seq, t);
    if (G) {
      // The token completes its group: quantize the group per channel.
      b.setInsertionPointAfter(heads);
      Value t1 = b.create<arith::AddIOp>(loc, t, idxc(b, 1));
      Value full = cmp(P::eq, b.create<arith::RemUIOp>(loc, t1, idxc(b, G)), idxc(b, 0));
      b.create<scf::IfOp>(loc, full, [&](OpBuilder &qb, Location) {
        Value t0 = qb.create<arith::SubIOp>(loc, t1, idxc(qb, G));
        qb.create<scf::ForOp>(loc, idxc(qb, 0), idxc(qb, Hkv), idxc(qb, 1), ValueRange{},
                              [&](OpBuilder &hb, Location, Value h, ValueRange) {
                                for (bool key : {true, false})
                                  if (L.side(key).perChannel)
                                    quantizeGroup(hb, key, seq, t0, h);
                                hb.create<scf::YieldOp>(loc);
                              });
        qb.create<scf::YieldOp>(loc);
      });
    }
    b.setInsertionPointAfter(loop);
    rope = saved;
    if (G)
      b.create<memref::StoreOp>(loc, toI64(b, newLen), seqLen, seq);
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
                            MemRefType::get({dyn}, b.getI64Type()),
                            MemRefType::get({dyn}, b.getI64Type())};
  args.append(cacheTypes());
  args.push_back(MemRefType::get({dyn}, b.getI64Type()));
  args.append(kernelInputTypes());
  args.append({MemRefType::get({dyn, dyn, H, Dv}, b.getF32Type()),
               MemRefType::get({dyn, dyn, H}, b.getF32Type()), b.getIndexType(), b.getIndexType()});
  SmallVector<std::string> names = {"q", "q_pos", "q_seq"};
  names.append(cacheNames());
  names.push_back("lens");
  names.append(inputNames());
  names.append({"part_out", "part_lse", "begin", "end"});
  func::FuncOp f = makeFunc("_decode_split", args, names);
  auto fa = f.getArguments();
  Value qIn = fa[0], qPosIn = fa[1], qSeqIn = fa[2];
  unsigned next = 3;
  bindCache(fa, next);
  Value lens = fa[next++];
  bindInputs(fa, next);
  Value pout = fa[next++], plse = fa[next++], begin = fa[next++], end = fa[next++];
  if (auto alibi = dyn_cast<AlibiAttr>(variant.getPosition()))
    alibiSlopes = constantTable("alibi_slopes", alibi.getSlopes().asArrayRef(), b.getF32Type());

  // A work item covers a block of `hb` KV heads: one, so that a chunk's
  // gathered f32 keys and values fit in L1 (kScratchBytes) while every query
  // head of the group reads them (measured 1.3-1.8x over gathering all KV
  // heads of a token together, whose chunks spilled to L2); a ring that
  // rotates its keys at read keeps all its heads in one item, which rotates
  // the chunk with one angle recurrence for all of them.
  // Thread blocks (GPU) rotate each key on its own thread: one KV head, and
  // the query heads of its group in `nsub` items when their state does not
  // fit in workgroup memory next to a chunk (MLA's 128 heads of 576).
  const bool coop = blockThreads && planBlockItem();
  const bool ringItems = L.kind == CacheLayoutInfo::Ring && rotateKeysAtRead && !coop;
  const int64_t nsub = coop ? group / blockHeads : 1;
  const int64_t hb = ringItems ? Hkv : 1, blocks = Hkv / hb * nsub, hq = coop ? blockHeads : hb * group;
  // The header's NAME_decode_heads_per_block (attnc build).
  f->setAttr("attn.heads_per_block", b.getI64IntegerAttr(hb));
  // Work items per query row and split (the GPU launch glue's grid).
  f->setAttr("attn.items_per_row", b.getI64IntegerAttr(blocks));
  if (coop)
    f->setAttr("attn.block_threads", b.getI64IntegerAttr(blockThreads));
  const int64_t C = ringItems ? std::clamp<int64_t>(maxChunk / hb, 8, maxChunk)
                              : std::clamp<int64_t>(kScratchBytes / ((D + Dv) * 4) / 8 * 8, 8, maxChunk);
  Value B = b.create<memref::DimOp>(loc, qIn, 0);
  Value S = b.create<memref::DimOp>(loc, pout, 1);
  Value perSeq = b.create<arith::MulIOp>(loc, S, idxc(b, blocks));
  Value endC = b.create<arith::MinUIOp>(loc, end, b.create<arith::MulIOp>(loc, B, perSeq));
  auto work = b.create<scf::ForOp>(loc, begin, endC, idxc(b, 1));
  b.setInsertionPointToStart(work.getBody());
  Value w = work.getInductionVar();
  Value row = b.create<arith::DivUIOp>(loc, w, perSeq);
  Value rem = b.create<arith::RemUIOp>(loc, w, perSeq);
  Value kvItem = b.create<arith::DivUIOp>(loc, rem, S);
  Value kvb = b.create<arith::DivUIOp>(loc, kvItem, idxc(b, nsub));
  Value hsub = b.create<arith::RemUIOp>(loc, kvItem, idxc(b, nsub));
  Value split = b.create<arith::RemUIOp>(loc, rem, S);
  // The row's cache sequence; a row naming none (or lens past the storage)
  // attends to no key rather than reading out of bounds: decode has no
  // status, so the caller's append is where such mistakes are reported.
  Value seqRaw = toIndex(b, b.create<memref::LoadOp>(loc, qSeqIn, row));
  Value seqOk = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, seqRaw, sequenceCount(b));
  Value seq = b.create<arith::SelectOp>(loc, seqOk, seqRaw, idxc(b, 0));
  Value T = b.create<arith::SelectOp>(loc, seqOk, toIndex(b, b.create<memref::LoadOp>(loc, lens, row)),
                                      idxc(b, 0));
  if (L.kind != CacheLayoutInfo::Ring)
    T = b.create<arith::MinUIOp>(loc, T, tokenCapacity(b));
  // Per-channel quantization: tokens of complete groups are read from the
  // codes, the rest from the residual.
  Value quantEnd = quantizedEnd(b, seq);
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
                            : b.create<memref::LoadOp>(loc, qPosIn, row).getResult();
  Value rI64 = toI64(b, R);
  seqLenF64 = b.create<arith::SIToFPOp>(loc, b.getF64Type(), rI64);
  if (rope)
    invFreq = loadInvFreqTable(b);

  // The block's queries, rotated at the query position.
  auto strided = [&](Value src, ArrayRef<OpFoldResult> offs, ArrayRef<OpFoldResult> sizes) {
    SmallVector<OpFoldResult> strides(offs.size(), b.getIndexAttr(1));
    return b.create<memref::SubViewOp>(loc, src, offs, sizes, strides).getResult();
  };
  Value kv0 = b.create<arith::MulIOp>(loc, kvb, idxc(b, hb));
  Value h0 = b.create<arith::AddIOp>(loc, b.create<arith::MulIOp>(loc, kv0, idxc(b, group)),
                                     b.create<arith::MulIOp>(loc, hsub, idxc(b, hq)));
  Value qGroup = strided(qIn, {row, h0, b.getIndexAttr(0)},
                         {b.getIndexAttr(1), b.getIndexAttr(hq), b.getIndexAttr(D)});
  // This split's resident keys [r0, r1).
  Value per = b.create<arith::CeilDivUIOp>(loc, R, S);
  Value r0 = b.create<arith::MinUIOp>(loc, b.create<arith::MulIOp>(loc, split, per), R);
  Value r1 = b.create<arith::MinUIOp>(loc, b.create<arith::AddIOp>(loc, r0, per), R);
  SplitItem it;
  it.row = row, it.split = split, it.seq = seq, it.T = T, it.R = R, it.nSinks = nSinks;
  it.winStart = winStart, it.quantEnd = quantEnd, it.qp = qp, it.rI64 = rI64, it.kv0 = kv0;
  it.h0 = h0, it.qGroup = qGroup, it.r0 = r0, it.r1 = r1, it.ring = ring;
  it.cachePositions = cachePositions;
  if (coop) {
    emitBlockItem(it, pout, plse);
    b.setInsertionPointAfter(work);
    b.create<func::ReturnOp>(loc);
    hoistStaticAllocas(f);
    return;
  }
  Value qPosBuf = b.create<memref::AllocaOp>(loc, MemRefType::get({1}, b.getI64Type()));
  b.create<memref::StoreOp>(loc, qp, qPosBuf, idxc(b, 0));
  auto groupType = MemRefType::get({1, hq, D}, b.getF32Type());
  Value qf = b.create<memref::AllocaOp>(loc, groupType);
  rotateInto(b, qGroup, qPosBuf, qf, hq, /*isQuery=*/true, 0);
  Value qWin; // rotatedRing: the query at its token index, for window keys
  if (rotatedRing) {
    Value tokBuf = b.create<memref::AllocaOp>(loc, MemRefType::get({1}, b.getI64Type()));
    b.create<memref::StoreOp>(loc, toI64(b, b.create<arith::SubIOp>(loc, T, idxc(b, 1))), tokBuf, idxc(b, 0));
    qWin = b.create<memref::AllocaOp>(loc, groupType);
    rotateInto(b, qGroup, tokBuf, qWin, hq, /*isQuery=*/true, 0);
  }
  Value qg;
  if (twoBranches) {
    qg = b.create<memref::AllocaOp>(loc, groupType);
    rotateInto(b, qGroup, qPosBuf, qg, hq, true, 1);
  }
  // Online-softmax state per query head of the block.
  Value mBuf = b.create<memref::AllocaOp>(loc, MemRefType::get({hq}, b.getF32Type()));
  Value lBuf = b.create<memref::AllocaOp>(loc, MemRefType::get({hq}, b.getF32Type()));
  Value accBuf = b.create<memref::AllocaOp>(loc, MemRefType::get({hq, Dv}, b.getF32Type()));
  auto accType = VectorType::get({Dv}, b.getF32Type());
  auto kVecType = VectorType::get({D}, b.getF32Type());
  Value zeroAcc = b.create<arith::ConstantOp>(loc, DenseElementsAttr::get(accType, b.getF32FloatAttr(0)));
  b.create<scf::ForOp>(loc, idxc(b, 0), idxc(b, hq), idxc(b, 1), ValueRange{},
                       [&](OpBuilder &lb, Location, Value g, ValueRange) {
                         lb.create<memref::StoreOp>(loc, f32c(lb, negInf), mBuf, g);
                         lb.create<memref::StoreOp>(loc, f32c(lb, 0), lBuf, g);
                         lb.create<vector::StoreOp>(loc, zeroAcc, accBuf, ValueRange{g, idxc(lb, 0)});
                         lb.create<scf::YieldOp>(loc);
                       });
  auto chunkType = MemRefType::get({C, hb, D}, b.getF32Type());
  Value kRaw = b.create<memref::AllocaOp>(loc, chunkType);
  Value kNear = kRaw, kFar;
  if (rotateKeysAtRead)
    kNear = b.create<memref::AllocaOp>(loc, chunkType);
  if (twoBranches)
    kFar = b.create<memref::AllocaOp>(loc, chunkType);
  Value vChunk = b.create<memref::AllocaOp>(loc, MemRefType::get({C, hb, Dv}, b.getF32Type()));
  Value posChunk = b.create<memref::AllocaOp>(loc, MemRefType::get({C}, b.getI64Type()));
  Value sChunk = b.create<memref::AllocaOp>(loc, MemRefType::get({C}, b.getF32Type()));
  auto chunkVecType = VectorType::get({C}, b.getF32Type());
  Value negInfChunk = b.create<arith::ConstantOp>(
      loc, DenseElementsAttr::get(chunkVecType, b.getF32FloatAttr(negInf)));

  auto chunks = b.create<scf::ForOp>(loc, r0, r1, idxc(b, C));
  b.setInsertionPointToStart(chunks.getBody());
  Value c0 = chunks.getInductionVar();
  Value cnt = b.create<arith::MinUIOp>(loc, idxc(b, C), b.create<arith::SubIOp>(loc, r1, c0));
  {
    // Gather (and dequantize) the chunk.
    auto gather = b.create<scf::ForOp>(loc, idxc(b, 0), cnt, idxc(b, 1));
    OpBuilder::InsertionGuard ig(b);
    b.setInsertionPointToStart(gather.getBody());
    Value jj = gather.getInductionVar();
    Value r = b.create<arith::AddIOp>(loc, c0, jj);
    auto logical = [&](Value r) { return logicalToken(b, it, r); };
    Value t = logical(r);
    // Plain values: a lambda below captures them (C++17 cannot capture bindings).
    auto slot = slotOf(b, seq, t);
    Value i0 = slot.first, i1 = slot.second;
    {
      // Prefetch the rows one chunk ahead: the loads are the decode's cost,
      // and a page table breaks the hardware prefetcher's streams.
      Value ahead = b.create<arith::MinUIOp>(loc, b.create<arith::AddIOp>(loc, r, idxc(b, std::max<int64_t>(C, 16))),
                                             b.create<arith::SubIOp>(loc, r1, idxc(b, 1)));
      auto [a0, a1] = slotOf(b, seq, logical(ahead));
      // One line per 64 bytes of the block's rows (nhd: one contiguous span).
      for (bool key : {true, false}) {
        Value buffer = key ? kc : vc;
        auto bt = cast<MemRefType>(buffer.getType());
        int64_t bytes = bt.getElementTypeBitWidth() / 8;
        int64_t n = bt.getDimSize(3), step = std::max<int64_t>(1, 64 / bytes);
        for (int64_t e = 0; e < hb; ++e)
          for (int64_t c = 0; c < n; c += step) {
            SmallVector<Value> at = rowIndices(b, a0, a1, b.create<arith::AddIOp>(loc, kv0, idxc(b, e)));
            at.back() = idxc(b, c);
            b.create<memref::PrefetchOp>(loc, buffer, at, /*isWrite=*/false, /*localityHint=*/3,
                                         /*isDataCache=*/true);
          }
      }
    }
    b.create<scf::ForOp>(loc, idxc(b, 0), idxc(b, hb), idxc(b, 1), ValueRange{},
                         [&](OpBuilder &eb, Location, Value e, ValueRange) {
                           Value kvh = eb.create<arith::AddIOp>(loc, kv0, e);
                           eb.create<vector::StoreOp>(loc, loadRow(eb, true, i0, i1, kvh, seq, t, quantEnd), kRaw,
                                                      ValueRange{jj, e, idxc(eb, 0)});
                           eb.create<vector::StoreOp>(loc, loadRow(eb, false, i0, i1, kvh, seq, t, quantEnd), vChunk,
                                                      ValueRange{jj, e, idxc(eb, 0)});
                           eb.create<scf::YieldOp>(loc);
                         });
    Value kp = cachePositions ? toI64(b, r) : b.create<memref::LoadOp>(loc, pc, ValueRange{i0, i1}).getResult();
    b.create<memref::StoreOp>(loc, kp, posChunk, jj);
  }
  if (rotateKeysAtRead) {
    // Rotated at their attention positions, scaled for the current length.
    Value raw = strided(kRaw, {b.getIndexAttr(0), b.getIndexAttr(0), b.getIndexAttr(0)},
                        {cnt, b.getIndexAttr(hb), b.getIndexAttr(D)});
    Value pos = strided(posChunk, {b.getIndexAttr(0)}, {cnt});
    auto view = [&](Value buf) {
      return strided(buf, {b.getIndexAttr(0), b.getIndexAttr(0), b.getIndexAttr(0)},
                     {cnt, b.getIndexAttr(hb), b.getIndexAttr(D)});
    };
    // Consecutive positions (always for a ring) take the angle recurrence:
    // 4 sin/cos per pair and chunk instead of 2 per pair and key.
    auto consecutive = b.create<scf::ForOp>(
        loc, idxc(b, 1), cnt, idxc(b, 1), ValueRange{i1c(b, true)},
        [&](OpBuilder &lb, Location, Value jj, ValueRange acc) {
          Value p = lb.create<memref::LoadOp>(loc, posChunk, jj);
          Value p0 = lb.create<memref::LoadOp>(loc, posChunk, idxc(lb, 0));
          Value same = lb.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, p,
                                                lb.create<arith::AddIOp>(loc, p0, toI64(lb, jj)));
          lb.create<scf::YieldOp>(loc, ValueRange{lb.create<arith::AndIOp>(loc, acc[0], same)});
        });
    auto pick = b.create<scf::IfOp>(loc, consecutive.getResult(0), /*withElse=*/true);
    {
      OpBuilder::InsertionGuard ig(b);
      b.setInsertionPointToStart(&pick.getThenRegion().front());
      rotateConsecutive(b, kRaw, b.create<memref::LoadOp>(loc, posChunk, idxc(b, 0)), cnt, kNear);
      b.setInsertionPointToStart(&pick.getElseRegion().front());
      rotateInto(b, raw, pos, view(kNear), hb, /*isQuery=*/false, 0);
    }
    if (twoBranches)
      rotateInto(b, raw, pos, view(kFar), hb, false, 1);
  }
  // Attend: every query head of the group over the chunk.
  for (const HeadSegment &segment : headSegments()) {
    auto gLoop = b.create<scf::ForOp>(loc, idxc(b, 0), idxc(b, hq), idxc(b, 1));
    OpBuilder::InsertionGuard ig(b);
    b.setInsertionPointToStart(gLoop.getBody());
    Value g = gLoop.getInductionVar();           // query head within the block
    Value e = b.create<arith::DivUIOp>(loc, g, idxc(b, group)); // its KV head
    Value h = b.create<arith::AddIOp>(loc, h0, g);
    Value inSegment = b.create<arith::AndIOp>(
        loc, b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::uge, h, idxc(b, segment.h0)),
        b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, h, idxc(b, segment.h1)));
    b.create<scf::IfOp>(loc, inSegment, [&](OpBuilder &sb, Location) {
      Value qRow = sb.create<vector::LoadOp>(loc, kVecType, qf, ValueRange{idxc(sb, 0), g, idxc(sb, 0)});
      Value qRowWin = rotatedRing ? sb.create<vector::LoadOp>(loc, kVecType, qWin, ValueRange{idxc(sb, 0), g, idxc(sb, 0)}).getResult()
                                  : Value();
      Value qRowFar = twoBranches ? sb.create<vector::LoadOp>(loc, kVecType, qg, ValueRange{idxc(sb, 0), g, idxc(sb, 0)}).getResult()
                                  : Value();
      Value m0 = sb.create<memref::LoadOp>(loc, mBuf, g);
      Value l0 = sb.create<memref::LoadOp>(loc, lBuf, g);
      Value acc0 = sb.create<vector::LoadOp>(loc, accType, accBuf, ValueRange{g, idxc(sb, 0)});
      // 1. The chunk's scores (-inf where masked, and in the padding).
      sb.create<vector::StoreOp>(loc, negInfChunk, sChunk, ValueRange{idxc(sb, 0)});
      sb.create<scf::ForOp>(
          loc, idxc(sb, 0), cnt, idxc(sb, 1), ValueRange{},
          [&](OpBuilder &kb, Location, Value jj, ValueRange) {
            Value kp = kb.create<memref::LoadOp>(loc, posChunk, jj);
            PairIndices ix{seq, h, qp, kp, i64c(kb, 1), rI64};
            Value keep = segment.mask ? emitMask(kb, segment.mask, ix) : i1c(kb, true);
            kb.create<scf::IfOp>(loc, keep, [&](OpBuilder &tb, Location) {
              Value kRow = tb.create<vector::LoadOp>(loc, kVecType, kNear, ValueRange{jj, e, idxc(tb, 0)});
              Value kRowFar = twoBranches ? tb.create<vector::LoadOp>(loc, kVecType, kFar, ValueRange{jj, e, idxc(tb, 0)}).getResult()
                                          : Value();
              Value qSel = qRow;
              if (rotatedRing) {
                Value isSink = tb.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult,
                                                        tb.create<arith::AddIOp>(loc, c0, jj), nSinks);
                qSel = tb.create<arith::SelectOp>(loc, isSink, qRow, qRowWin);
              }
              Value dot = emitPairDot(tb, qSel, kRow, qRowFar, kRowFar, qp, kp);
              tb.create<memref::StoreOp>(loc, emitScore(tb, dot, ix, segment.score), sChunk, jj);
              tb.create<scf::YieldOp>(loc);
            });
            kb.create<scf::YieldOp>(loc);
          });
      // 2. One rescale per chunk: exps of the whole chunk as one vector.
      Value sv = sb.create<vector::LoadOp>(loc, chunkVecType, sChunk, ValueRange{idxc(sb, 0)});
      Value mNew = sb.create<arith::MaximumFOp>(
          loc, m0, sb.create<vector::ReductionOp>(loc, vector::CombiningKind::MAXIMUMF, sv));
      Value anyKept = sb.create<arith::CmpFOp>(loc, arith::CmpFPredicate::ONE, mNew, f32c(sb, negInf));
      auto upd = sb.create<scf::IfOp>(
          loc, anyKept,
          [&](OpBuilder &ub, Location) {
            // exp(-inf - m) = 0 for masked keys; m0 = -inf gives corr 0.
            Value corr = ub.create<math::ExpOp>(loc, ub.create<arith::SubFOp>(loc, m0, mNew));
            Value pv = ub.create<math::ExpOp>(
                loc, ub.create<arith::SubFOp>(loc, sv, ub.create<vector::BroadcastOp>(loc, chunkVecType, mNew)));
            Value sum = ub.create<vector::ReductionOp>(loc, vector::CombiningKind::ADD, pv);
            Value l = ub.create<arith::AddFOp>(loc, ub.create<arith::MulFOp>(loc, l0, corr), sum);
            ub.create<vector::StoreOp>(loc, pv, sChunk, ValueRange{idxc(ub, 0)});
            Value acc = ub.create<arith::MulFOp>(loc, acc0, ub.create<vector::BroadcastOp>(loc, accType, corr));
            // 3. P·V.
            auto pvLoop = ub.create<scf::ForOp>(
                loc, idxc(ub, 0), cnt, idxc(ub, 1), ValueRange{acc},
                [&](OpBuilder &kb, Location, Value jj, ValueRange a) {
                  Value p = kb.create<memref::LoadOp>(loc, sChunk, jj);
                  Value vRow = kb.create<vector::LoadOp>(loc, accType, vChunk, ValueRange{jj, e, idxc(kb, 0)});
                  kb.create<scf::YieldOp>(
                      loc, ValueRange{kb.create<vector::FMAOp>(loc, kb.create<vector::BroadcastOp>(loc, accType, p), vRow, a[0])});
                });
            ub.create<scf::YieldOp>(loc, ValueRange{mNew, l, pvLoop.getResult(0)});
          },
          [&](OpBuilder &eb, Location) { eb.create<scf::YieldOp>(loc, ValueRange{m0, l0, acc0}); });
      auto keys = upd;
      sb.create<memref::StoreOp>(loc, keys.getResult(0), mBuf, g);
      sb.create<memref::StoreOp>(loc, keys.getResult(1), lBuf, g);
      sb.create<vector::StoreOp>(loc, keys.getResult(2), accBuf, ValueRange{g, idxc(sb, 0)});
      sb.create<scf::YieldOp>(loc);
    });
  }
  b.setInsertionPointAfter(chunks);
  // Partial results: normalized output and lse (-inf and 0 when no key).
  {
    auto outLoop = b.create<scf::ForOp>(loc, idxc(b, 0), idxc(b, hq), idxc(b, 1));
    OpBuilder::InsertionGuard ig(b);
    b.setInsertionPointToStart(outLoop.getBody());
    Value gi = outLoop.getInductionVar();
    Value h = b.create<arith::AddIOp>(loc, h0, gi);
    Value m = b.create<memref::LoadOp>(loc, mBuf, gi);
    Value l = b.create<memref::LoadOp>(loc, lBuf, gi);
    Value acc = b.create<vector::LoadOp>(loc, accType, accBuf, ValueRange{gi, idxc(b, 0)});
    Value nonEmpty = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, l, f32c(b, 0));
    Value inv = b.create<arith::SelectOp>(loc, nonEmpty, b.create<arith::DivFOp>(loc, f32c(b, 1), l), f32c(b, 0));
    b.create<vector::StoreOp>(loc, b.create<arith::MulFOp>(loc, acc, b.create<vector::BroadcastOp>(loc, accType, inv)),
                              pout, ValueRange{row, split, h, idxc(b, 0)});
    Value lse = b.create<arith::SelectOp>(loc, nonEmpty, b.create<arith::AddFOp>(loc, m, b.create<math::LogOp>(loc, l)),
                                          f32c(b, negInf));
    b.create<memref::StoreOp>(loc, lse, plse, ValueRange{row, split, h});
  }
  b.setInsertionPointAfter(work);
  b.create<func::ReturnOp>(loc);
  hoistStaticAllocas(f);
}

Value CacheKernelBuilder::logicalToken(OpBuilder &ob, const SplitItem &it, Value r) {
  if (!it.ring)
    return r;
  Value isSink = ob.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, r, it.nSinks);
  Value winT = ob.create<arith::AddIOp>(loc, it.winStart, ob.create<arith::SubIOp>(loc, r, it.nSinks));
  return ob.create<arith::SelectOp>(loc, isSink, r, winT);
}

Value CacheKernelBuilder::sharedBuffer(OpBuilder &ob, StringRef suffix, ArrayRef<int64_t> shape,
                                       Type elem) {
  auto space = gpu::AddressSpaceAttr::get(ob.getContext(), gpu::AddressSpace::Workgroup);
  auto type = MemRefType::get(shape, elem, MemRefLayoutAttrInterface(), space);
  std::string symbol = (variant.getSymName() + "_" + suffix).str();
  if (!module.lookupSymbol(symbol)) {
    OpBuilder mb = OpBuilder::atBlockBegin(module.getBody());
    mb.create<memref::GlobalOp>(loc, symbol, mb.getStringAttr("private"), type, Attribute(),
                                /*constant=*/false, mb.getI64IntegerAttr(16));
  }
  return ob.create<memref::GetGlobalOp>(loc, type, symbol);
}

bool CacheKernelBuilder::planBlockItem() {
  const int64_t nK = 1 + (rotateKeysAtRead ? 1 : 0) + (twoBranches ? 1 : 0);
  const int64_t nQ = 1 + (rotatedRing ? 1 : 0) + (twoBranches ? 1 : 0);
  // Bytes of workgroup memory: per query head (rotated queries, P·V
  // accumulators, m, l, rescale) and per key (rows padded by one element,
  // the position, a score per head), within 46 KiB of the static 48 KiB.
  const int64_t budget = 46 * 1024;
  auto fixedBytes = [&](int64_t hq) { return 4 * (nQ * hq * D + hq * Dv + 3 * hq); };
  auto keyBytes = [&](int64_t hq) { return 4 * (nK * (D + 1) + (Dv + 1) + hq) + 8; };
  auto chunkFor = [&](int64_t hq) {
    int64_t c = (budget - fixedBytes(hq)) / keyBytes(hq);
    c = std::min<int64_t>(c, 64);
    return c >= 8 ? c / 8 * 8 : c;
  };
  // The most query heads (a divisor of the group) that leave room for 8 keys.
  for (int64_t hq = group; hq >= 1; --hq)
    if (group % hq == 0 && (chunkFor(hq) >= 8 || hq == 1) && chunkFor(hq) >= 1) {
      blockHeads = hq;
      blockChunk = chunkFor(hq);
      return true;
    }
  return false; // not even one key of one head fits: the per-thread form
}

/// The block form of a decode_split work item (`block-threads` = NT): the
/// block's threads share one chunk of keys in workgroup memory and run it
/// in four phases separated by barriers (every loop bound below is uniform
/// across the block, so every thread reaches every barrier):
///   gather   thread t loads rows t, t + NT, ... of the chunk's keys and
///            values (dequantized; a key is rotated by the thread that loaded it);
///   score    the (query head, key) pairs, strided over the threads;
///   softmax  warp w reduces heads w, w + NT/32, ...: chunk maximum and sum
///            by xor shuffles, P written over the scores, rescale factor;
///   P·V      thread t owns output elements t, t + NT, ... of [hq, Dv].
/// Same formulas (KernelEmitter) and the same online softmax as the
/// per-thread form; only the order of the work differs.
void CacheKernelBuilder::emitBlockItem(const SplitItem &it, Value pout, Value plse) {
  double negInf = -std::numeric_limits<double>::infinity();
  const int64_t NT = blockThreads, warps = NT / 32, hq = blockHeads, C = blockChunk;
  auto f32 = b.getF32Type();
  Value tid = b.create<gpu::ThreadIdOp>(loc, gpu::Dimension::x);
  Value lane = b.create<arith::RemUIOp>(loc, tid, idxc(b, 32));
  Value warp = b.create<arith::DivUIOp>(loc, tid, idxc(b, 32));
  auto barrier = [&](OpBuilder &ob) { ob.create<gpu::BarrierOp>(loc); };
  auto view = [&](OpBuilder &ob, Value src, ArrayRef<OpFoldResult> offs, ArrayRef<OpFoldResult> sizes) {
    SmallVector<OpFoldResult> strides(offs.size(), ob.getIndexAttr(1));
    return ob.create<memref::SubViewOp>(loc, src, offs, sizes, strides).getResult();
  };
  // A padded [C, 1, n] row buffer, viewed as [C, 1, n].
  auto rows = [&](StringRef name, int64_t n) {
    Value raw = sharedBuffer(b, ("decode_" + name).str(), {C, 1, n + 1}, f32);
    return view(b, raw, {b.getIndexAttr(0), b.getIndexAttr(0), b.getIndexAttr(0)},
                {b.getIndexAttr(C), b.getIndexAttr(1), b.getIndexAttr(n)});
  };
  Value kRaw = rows("k", D), kNear = kRaw, kFar;
  if (rotateKeysAtRead)
    kNear = rows("k_rot", D);
  if (twoBranches)
    kFar = rows("k_far", D);
  Value vChunk = rows("v", Dv);
  Value posChunk = sharedBuffer(b, "decode_pos", {C}, b.getI64Type());
  Value sChunk = sharedBuffer(b, "decode_p", {hq, C}, f32);
  Value mBuf = sharedBuffer(b, "decode_m", {hq}, f32), lBuf = sharedBuffer(b, "decode_l", {hq}, f32);
  Value corrBuf = sharedBuffer(b, "decode_corr", {hq}, f32);
  Value accBuf = sharedBuffer(b, "decode_acc", {hq, Dv}, f32);
  Value qf = sharedBuffer(b, "decode_q", {1, hq, D}, f32), qWin, qg;
  if (rotatedRing)
    qWin = sharedBuffer(b, "decode_q_win", {1, hq, D}, f32);
  if (twoBranches)
    qg = sharedBuffer(b, "decode_q_far", {1, hq, D}, f32);

  // for (i = tid; i < n; i += NT) body(i)
  auto strided = [&](OpBuilder &ob, Value n, function_ref<void(OpBuilder &, Value)> body) {
    forThreadItems(ob, tid, n, body);
  };

  // Queries rotated at the query position (a head per thread), and the
  // online-softmax state.
  Value qPosBuf = b.create<memref::AllocaOp>(loc, MemRefType::get({1}, b.getI64Type()));
  b.create<memref::StoreOp>(loc, it.qp, qPosBuf, idxc(b, 0));
  Value tokBuf;
  if (rotatedRing) {
    tokBuf = b.create<memref::AllocaOp>(loc, MemRefType::get({1}, b.getI64Type()));
    b.create<memref::StoreOp>(loc, toI64(b, b.create<arith::SubIOp>(loc, it.T, idxc(b, 1))), tokBuf,
                              idxc(b, 0));
  }
  strided(b, idxc(b, hq), [&](OpBuilder &ob, Value g) {
    auto one = ob.getIndexAttr(1), zero = ob.getIndexAttr(0), dAttr = ob.getIndexAttr(D);
    Value src = view(ob, it.qGroup, {zero, g, zero}, {one, one, dAttr});
    auto head = [&](Value buf) { return view(ob, buf, {zero, g, zero}, {one, one, dAttr}); };
    rotateInto(ob, src, qPosBuf, head(qf), 1, /*isQuery=*/true, 0);
    if (rotatedRing)
      rotateInto(ob, src, tokBuf, head(qWin), 1, true, 0);
    if (twoBranches)
      rotateInto(ob, src, qPosBuf, head(qg), 1, true, 1);
    ob.create<memref::StoreOp>(loc, f32c(ob, negInf), mBuf, g);
    ob.create<memref::StoreOp>(loc, f32c(ob, 0), lBuf, g);
  });
  strided(b, idxc(b, hq * Dv), [&](OpBuilder &ob, Value o) {
    Value g = ob.create<arith::DivUIOp>(loc, o, idxc(ob, Dv)), d = ob.create<arith::RemUIOp>(loc, o, idxc(ob, Dv));
    ob.create<memref::StoreOp>(loc, f32c(ob, 0), accBuf, ValueRange{g, d});
  });
  barrier(b);

  auto chunks = b.create<scf::ForOp>(loc, it.r0, it.r1, idxc(b, C));
  {
    OpBuilder::InsertionGuard ig(b);
    b.setInsertionPointToStart(chunks.getBody());
    Value c0 = chunks.getInductionVar();
    Value cnt = b.create<arith::MinUIOp>(loc, idxc(b, C), b.create<arith::SubIOp>(loc, it.r1, c0));
    // 1. Gather. Quantized rows are dequantized a row per thread (their
    // scales cover the row); plain rows move in pieces of up to 4 elements,
    // consecutive threads on consecutive pieces (coalesced; a whole-row copy
    // became a byte-wise memcpy in NVPTX).
    auto keyPosition = [&](OpBuilder &ob, Value r, Value i0, Value i1) -> Value {
      return it.cachePositions ? toI64(ob, r) : ob.create<memref::LoadOp>(loc, pc, ValueRange{i0, i1}).getResult();
    };
    if (L.quant == CacheLayoutInfo::None) {
      // A flat view of an identity-layout buffer: indexed linearly, the
      // last factor is the row's static length, where the descriptor's
      // strides (a contiguous cache's dynamic capacity) would hide the
      // alignment from LLVM.
      auto flatView = [&](OpBuilder &fb, Value m) -> Value {
        auto t = cast<MemRefType>(m.getType());
        ReassociationIndices all;
        for (int64_t i = 0; i < t.getRank(); ++i)
          all.push_back(i);
        return fb.create<memref::CollapseShapeOp>(loc, m, ArrayRef<ReassociationIndices>{all});
      };
      // Key rows in pieces of wk elements, value rows of wv; `flat` reads
      // through flat views.
      auto gather = [&](OpBuilder &gb, int64_t wk, int64_t wv, bool flat) {
        Value kFlat = flat ? flatView(gb, kc) : Value(), vFlat = flat ? flatView(gb, vc) : Value();
        const int64_t nk = D / wk, nv = Dv / wv;
        Value kItems = gb.create<arith::MulIOp>(loc, cnt, idxc(gb, nk));
        Value total = gb.create<arith::AddIOp>(loc, kItems, gb.create<arith::MulIOp>(loc, cnt, idxc(gb, nv)));
        strided(gb, total, [&](OpBuilder &ob, Value i) {
          Value isKey = ob.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, i, kItems);
          Value local = ob.create<arith::SelectOp>(loc, isKey, i, ob.create<arith::SubIOp>(loc, i, kItems));
          Value pieces = ob.create<arith::SelectOp>(loc, isKey, idxc(ob, nk), idxc(ob, nv));
          Value jj = ob.create<arith::DivUIOp>(loc, local, pieces);
          Value piece = ob.create<arith::RemUIOp>(loc, local, pieces);
          Value r = ob.create<arith::AddIOp>(loc, c0, jj);
          auto slot = slotOf(ob, it.seq, logicalToken(ob, it, r));
          Value i0 = slot.first, i1 = slot.second;
          auto copy = [&](OpBuilder &cb, bool key) {
            int64_t w = key ? wk : wv;
            Value buffer = key ? kc : vc;
            Type el = cast<MemRefType>(buffer.getType()).getElementType();
            Value d = cb.create<arith::MulIOp>(loc, piece, idxc(cb, w));
            SmallVector<Value> at = rowIndices(cb, i0, i1, it.kv0);
            at.back() = d;
            if (Value flatBuffer = key ? kFlat : vFlat) {
              Value linear = at.front();
              for (size_t a = 1; a < at.size(); ++a)
                linear = cb.create<arith::AddIOp>(
                    loc, cb.create<arith::MulIOp>(loc, linear, cb.create<memref::DimOp>(loc, buffer, a)), at[a]);
              buffer = flatBuffer;
              at = {linear};
            }
            Value x = vecToF32(cb, cb.create<vector::LoadOp>(loc, VectorType::get({w}, el), buffer, at));
            cb.create<vector::StoreOp>(loc, x, key ? kRaw : vChunk, ValueRange{jj, idxc(cb, 0), d});
          };
          ob.create<scf::IfOp>(
              loc, isKey,
              [&](OpBuilder &kb, Location) {
                copy(kb, true);
                Value first = kb.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, piece, idxc(kb, 0));
                kb.create<scf::IfOp>(loc, first, [&](OpBuilder &pb, Location) {
                  pb.create<memref::StoreOp>(loc, keyPosition(pb, r, i0, i1), posChunk, jj);
                  pb.create<scf::YieldOp>(loc);
                });
                kb.create<scf::YieldOp>(loc);
              },
              [&](OpBuilder &vb, Location) {
                copy(vb, false);
                vb.create<scf::YieldOp>(loc);
              });
        });
      };
      auto elemBytes = [](Value m) {
        return int64_t(cast<MemRefType>(m.getType()).getElementType().getIntOrFloatBitWidth() / 8);
      };
      // The widest piece of at most maxBytes that divides a row of n.
      auto width = [](int64_t n, int64_t maxBytes, int64_t bytes) {
        int64_t w = std::max<int64_t>(maxBytes / bytes, 1);
        while (w > 1 && n % w)
          w /= 2;
        return w;
      };
      // Pieces of up to 8 bytes on any buffer (loads of an element each:
      // LLVM only knows the element's alignment); 16 bytes (one
      // ld.global.v4.b32) where both buffers start 16-byte aligned and rows
      // are multiples of 16 bytes: LLVM learns the alignment from
      // memref.assume_alignment and the flat views' linear indices. A cache
      // that starts elsewhere (a user's slice) takes the narrow pieces. (Pieces
      // of the same width in both branches, as 4 f32 once were, let LLVM
      // merge the branches and drop the alignment with the assumption.)
      const int64_t nkNarrow = width(D, 8, elemBytes(kc)), nvNarrow = width(Dv, 8, elemBytes(vc));
      const int64_t nkWide = width(D, 16, elemBytes(kc)), nvWide = width(Dv, 16, elemBytes(vc));
      auto identity = [](Value m) {
        auto t = cast<MemRefType>(m.getType());
        return t.getLayout().isIdentity() && t.getRank() >= 2;
      };
      if (nkWide * elemBytes(kc) < 16 || nvWide * elemBytes(vc) < 16 || !identity(kc) || !identity(vc)) {
        gather(b, nkNarrow, nvNarrow, false);
      } else {
        auto baseAligned = [&](OpBuilder &ab, Value m) {
          Value base = ab.create<memref::ExtractAlignedPointerAsIndexOp>(loc, m);
          return ab.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq,
                                          ab.create<arith::RemUIOp>(loc, base, idxc(ab, 16)), idxc(ab, 0));
        };
        Value aligned = b.create<arith::AndIOp>(loc, baseAligned(b, kc), baseAligned(b, vc));
        b.create<scf::IfOp>(
            loc, aligned,
            [&](OpBuilder &tb, Location) {
              tb.create<memref::AssumeAlignmentOp>(loc, kc, 16);
              tb.create<memref::AssumeAlignmentOp>(loc, vc, 16);
              gather(tb, nkWide, nvWide, true);
              tb.create<scf::YieldOp>(loc);
            },
            [&](OpBuilder &eb, Location) {
              gather(eb, nkNarrow, nvNarrow, false);
              eb.create<scf::YieldOp>(loc);
            });
      }
    } else {
      // Items [0, cnt) are key rows (with their positions), [cnt, 2 cnt)
      // value rows.
      strided(b, b.create<arith::MulIOp>(loc, cnt, idxc(b, 2)), [&](OpBuilder &ob, Value i) {
        Value isKey = ob.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, i, cnt);
        Value jj = ob.create<arith::SelectOp>(loc, isKey, i, ob.create<arith::SubIOp>(loc, i, cnt));
        Value r = ob.create<arith::AddIOp>(loc, c0, jj);
        Value t = logicalToken(ob, it, r);
        auto slot = slotOf(ob, it.seq, t);
        Value i0 = slot.first, i1 = slot.second;
        Value zero = idxc(ob, 0);
        ob.create<scf::IfOp>(
            loc, isKey,
            [&](OpBuilder &kb, Location) {
              kb.create<vector::StoreOp>(loc, loadRow(kb, true, i0, i1, it.kv0, it.seq, t, it.quantEnd), kRaw,
                                         ValueRange{jj, zero, zero});
              kb.create<memref::StoreOp>(loc, keyPosition(kb, r, i0, i1), posChunk, jj);
              kb.create<scf::YieldOp>(loc);
            },
            [&](OpBuilder &vb, Location) {
              vb.create<vector::StoreOp>(loc, loadRow(vb, false, i0, i1, it.kv0, it.seq, t, it.quantEnd), vChunk,
                                         ValueRange{jj, zero, zero});
              vb.create<scf::YieldOp>(loc);
            });
      });
    }
    barrier(b);
    if (rotateKeysAtRead) {
      // Keys rotated at their attention positions (scaled for the current
      // length), a key per thread.
      strided(b, cnt, [&](OpBuilder &kb, Value jj) {
        auto one = kb.getIndexAttr(1), z = kb.getIndexAttr(0), dAttr = kb.getIndexAttr(D);
        auto key = [&](Value buf) { return view(kb, buf, {jj, z, z}, {one, one, dAttr}); };
        Value pos = view(kb, posChunk, {jj}, {one});
        rotateInto(kb, key(kRaw), pos, key(kNear), 1, /*isQuery=*/false, 0);
        if (twoBranches)
          rotateInto(kb, key(kRaw), pos, key(kFar), 1, false, 1);
      });
      barrier(b);
    }
    // 2. Scores of the pairs (g, jj), -inf where masked and past cnt.
    strided(b, idxc(b, hq * C), [&](OpBuilder &ob, Value i) {
      Value g = ob.create<arith::DivUIOp>(loc, i, idxc(ob, C));
      Value jj = ob.create<arith::RemUIOp>(loc, i, idxc(ob, C));
      ob.create<memref::StoreOp>(loc, f32c(ob, negInf), sChunk, ValueRange{g, jj});
      Value h = ob.create<arith::AddIOp>(loc, it.h0, g);
      Value valid = ob.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, jj, cnt);
      for (const HeadSegment &segment : headSegments()) {
        Value inSegment = ob.create<arith::AndIOp>(
            loc, ob.create<arith::CmpIOp>(loc, arith::CmpIPredicate::uge, h, idxc(ob, segment.h0)),
            ob.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, h, idxc(ob, segment.h1)));
        ob.create<scf::IfOp>(loc, ob.create<arith::AndIOp>(loc, valid, inSegment), [&](OpBuilder &sb, Location) {
          Value kp = sb.create<memref::LoadOp>(loc, posChunk, jj);
          PairIndices ix{it.seq, h, it.qp, kp, i64c(sb, 1), it.rI64};
          Value keep = segment.mask ? emitMask(sb, segment.mask, ix) : i1c(sb, true);
          sb.create<scf::IfOp>(loc, keep, [&](OpBuilder &tb, Location) {
            // Which rows meet: the query rotated at its token index for a
            // rotated ring's window keys, the far rotations past a remap's
            // window (as emitPairDot selects them).
            Value qBuf = qf, kBuf = kNear;
            if (rotatedRing) {
              Value isSink = tb.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult,
                                                      tb.create<arith::AddIOp>(loc, c0, jj), it.nSinks);
              qBuf = tb.create<arith::SelectOp>(loc, isSink, qf, qWin);
            }
            if (twoBranches) {
              Value far = tb.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge,
                                                   tb.create<arith::SubIOp>(loc, it.qp, kp), i64c(tb, remapWindowOf()));
              qBuf = tb.create<arith::SelectOp>(loc, far, qg, qBuf);
              kBuf = tb.create<arith::SelectOp>(loc, far, kFar, kBuf);
            }
            // q·k in steps of `w` lanes with one accumulator: D registers
            // for whole rows would spill.
            int64_t w = D % 8 == 0 ? 8 : D % 4 == 0 ? 4 : D % 2 == 0 ? 2 : 1;
            auto stepType = VectorType::get({w}, f32);
            Value zeroAcc = tb.create<arith::ConstantOp>(loc, DenseElementsAttr::get(stepType, tb.getF32FloatAttr(0)));
            auto dotLoop = tb.create<scf::ForOp>(
                loc, idxc(tb, 0), idxc(tb, D), idxc(tb, w), ValueRange{zeroAcc},
                [&](OpBuilder &lb, Location, Value d, ValueRange acc) {
                  Value zero = idxc(lb, 0);
                  Value qv = lb.create<vector::LoadOp>(loc, stepType, qBuf, ValueRange{zero, g, d});
                  Value kv = lb.create<vector::LoadOp>(loc, stepType, kBuf, ValueRange{jj, zero, d});
                  lb.create<scf::YieldOp>(loc, ValueRange{lb.create<vector::FMAOp>(loc, qv, kv, acc[0])});
                });
            Value dot = tb.create<vector::ReductionOp>(loc, vector::CombiningKind::ADD, dotLoop.getResult(0));
            tb.create<memref::StoreOp>(loc, emitScore(tb, dot, ix, segment.score), sChunk, ValueRange{g, jj});
            tb.create<scf::YieldOp>(loc);
          });
          sb.create<scf::YieldOp>(loc);
        });
      }
    });
    barrier(b);
    // 3. Per head (a warp each): chunk maximum, P = exp(s - m), rescale.
    auto butterfly = [&](OpBuilder &ob, Value x, bool isMax) {
      Value width = ob.create<arith::ConstantIntOp>(loc, 32, 32);
      for (int64_t off = 16; off >= 1; off /= 2) {
        Value o = ob.create<arith::ConstantIntOp>(loc, off, 32);
        Value other = ob.create<gpu::ShuffleOp>(loc, x, o, width, gpu::ShuffleMode::XOR).getShuffleResult();
        x = isMax ? (Value)ob.create<arith::MaximumFOp>(loc, x, other) : (Value)ob.create<arith::AddFOp>(loc, x, other);
      }
      return x;
    };
    b.create<scf::ForOp>(
        loc, warp, idxc(b, hq), idxc(b, warps), ValueRange{}, [&](OpBuilder &ob, Location, Value g, ValueRange) {
          Value m0 = ob.create<memref::LoadOp>(loc, mBuf, g);
          Value l0 = ob.create<memref::LoadOp>(loc, lBuf, g);
          auto laneMax = ob.create<scf::ForOp>(
              loc, lane, idxc(ob, C), idxc(ob, 32), ValueRange{f32c(ob, negInf)},
              [&](OpBuilder &lb, Location, Value jj, ValueRange acc) {
                Value s = lb.create<memref::LoadOp>(loc, sChunk, ValueRange{g, jj});
                lb.create<scf::YieldOp>(loc, ValueRange{lb.create<arith::MaximumFOp>(loc, acc[0], s)});
              });
          Value mNew = ob.create<arith::MaximumFOp>(loc, m0, butterfly(ob, laneMax.getResult(0), true));
          // No key kept yet: exponentiate against 0 (every p and the rescale
          // of the empty state are 0).
          Value anyKept = ob.create<arith::CmpFOp>(loc, arith::CmpFPredicate::ONE, mNew, f32c(ob, negInf));
          Value mUse = ob.create<arith::SelectOp>(loc, anyKept, mNew, f32c(ob, 0));
          Value corr = ob.create<math::ExpOp>(loc, ob.create<arith::SubFOp>(loc, m0, mUse));
          auto laneSum = ob.create<scf::ForOp>(
              loc, lane, idxc(ob, C), idxc(ob, 32), ValueRange{f32c(ob, 0)},
              [&](OpBuilder &lb, Location, Value jj, ValueRange acc) {
                Value s = lb.create<memref::LoadOp>(loc, sChunk, ValueRange{g, jj});
                Value p = lb.create<math::ExpOp>(loc, lb.create<arith::SubFOp>(loc, s, mUse));
                lb.create<memref::StoreOp>(loc, p, sChunk, ValueRange{g, jj});
                lb.create<scf::YieldOp>(loc, ValueRange{lb.create<arith::AddFOp>(loc, acc[0], p)});
              });
          Value sum = butterfly(ob, laneSum.getResult(0), false);
          // The shuffles ordered every lane's reads of m0 and l0 before this.
          Value first = ob.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, lane, idxc(ob, 0));
          ob.create<scf::IfOp>(loc, first, [&](OpBuilder &wb, Location) {
            wb.create<memref::StoreOp>(loc, mNew, mBuf, g);
            wb.create<memref::StoreOp>(loc, wb.create<arith::AddFOp>(loc, wb.create<arith::MulFOp>(loc, l0, corr), sum),
                                       lBuf, g);
            wb.create<memref::StoreOp>(loc, corr, corrBuf, g);
            wb.create<scf::YieldOp>(loc);
          });
          ob.create<scf::YieldOp>(loc);
        });
    barrier(b);
    // 4. O = O * corr + P·V, one output element per thread and step.
    strided(b, idxc(b, hq * Dv), [&](OpBuilder &ob, Value o) {
      Value g = ob.create<arith::DivUIOp>(loc, o, idxc(ob, Dv)), d = ob.create<arith::RemUIOp>(loc, o, idxc(ob, Dv));
      Value acc0 = ob.create<arith::MulFOp>(loc, ob.create<memref::LoadOp>(loc, accBuf, ValueRange{g, d}),
                                            ob.create<memref::LoadOp>(loc, corrBuf, g));
      auto pv = ob.create<scf::ForOp>(
          loc, idxc(ob, 0), cnt, idxc(ob, 1), ValueRange{acc0}, [&](OpBuilder &lb, Location, Value jj, ValueRange a) {
            Value p = lb.create<memref::LoadOp>(loc, sChunk, ValueRange{g, jj});
            Value v = lb.create<memref::LoadOp>(loc, vChunk, ValueRange{jj, idxc(lb, 0), d});
            lb.create<scf::YieldOp>(loc, ValueRange{lb.create<math::FmaOp>(loc, p, v, a[0])});
          });
      ob.create<memref::StoreOp>(loc, pv.getResult(0), accBuf, ValueRange{g, d});
    });
    barrier(b);
  }
  // Partial results: normalized output and lse (-inf and 0 when no key).
  strided(b, idxc(b, hq * Dv), [&](OpBuilder &ob, Value o) {
    Value g = ob.create<arith::DivUIOp>(loc, o, idxc(ob, Dv)), d = ob.create<arith::RemUIOp>(loc, o, idxc(ob, Dv));
    Value l = ob.create<memref::LoadOp>(loc, lBuf, g);
    Value nonEmpty = ob.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, l, f32c(ob, 0));
    Value inv = ob.create<arith::SelectOp>(loc, nonEmpty, ob.create<arith::DivFOp>(loc, f32c(ob, 1), l), f32c(ob, 0));
    Value acc = ob.create<memref::LoadOp>(loc, accBuf, ValueRange{g, d});
    ob.create<memref::StoreOp>(loc, ob.create<arith::MulFOp>(loc, acc, inv), pout,
                               ValueRange{it.row, it.split, ob.create<arith::AddIOp>(loc, it.h0, g), d});
  });
  strided(b, idxc(b, hq), [&](OpBuilder &ob, Value g) {
    Value m = ob.create<memref::LoadOp>(loc, mBuf, g);
    Value l = ob.create<memref::LoadOp>(loc, lBuf, g);
    Value nonEmpty = ob.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, l, f32c(ob, 0));
    Value lse = ob.create<arith::SelectOp>(loc, nonEmpty, ob.create<arith::AddFOp>(loc, m, ob.create<math::LogOp>(loc, l)),
                                           f32c(ob, negInf));
    ob.create<memref::StoreOp>(loc, lse, plse, ValueRange{it.row, it.split, ob.create<arith::AddIOp>(loc, it.h0, g)});
  });
  // The next item (when a block runs several) rewrites the buffers.
  barrier(b);
}

void CacheKernelBuilder::emitBlockAppend(Value kIn, Value vIn, Value posIn, Value seq, Value len, Value n,
                                         Value newLen) {
  auto f32 = b.getF32Type();
  Value tid = b.create<gpu::ThreadIdOp>(loc, gpu::Dimension::x);
  Value i = b.create<gpu::BlockIdOp>(loc, gpu::Dimension::x);
  auto strided = [&](OpBuilder &ob, Value n, function_ref<void(OpBuilder &, Value)> body) {
    forThreadItems(ob, tid, n, body);
  };
  seqLenF64 = b.create<arith::SIToFPOp>(loc, b.getF64Type(), toI64(b, newLen));
  RopeAttr saved = rope;
  if (rotateKeysAtRead)
    rope = RopeAttr(); // stored un-rotated
  if (rope)
    invFreq = loadInvFreqTable(b);
  Value kf = sharedBuffer(b, "append_k", {1, Hkv, D}, f32);
  Value inside = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, i, n);
  b.create<scf::IfOp>(loc, inside, [&](OpBuilder &tb, Location) {
    Value t = tb.create<arith::AddIOp>(loc, len, i);
    Value zero = idxc(tb, 0);
    // 1. The token's keys to f32.
    strided(tb, idxc(tb, Hkv * D), [&](OpBuilder &ob, Value o) {
      Value g = ob.create<arith::DivUIOp>(loc, o, idxc(ob, D)), d = ob.create<arith::RemUIOp>(loc, o, idxc(ob, D));
      Value x = toF32(ob, ob.create<memref::LoadOp>(loc, kIn, ValueRange{i, g, d}));
      ob.create<memref::StoreOp>(loc, x, kf, ValueRange{zero, g, d});
    });
    tb.create<gpu::BarrierOp>(loc);
    // 2. RoPE at the token's position: a pair (cos/sin once) per thread.
    if (rope) {
      Value posF = tb.create<arith::SIToFPOp>(loc, tb.getF64Type(), tb.create<memref::LoadOp>(loc, posIn, i));
      strided(tb, idxc(tb, rope.getRotaryDim() / 2),
              [&](OpBuilder &ob, Value j) { rotatePair(ob, kf, idxc(ob, 0), j, posF, Hkv); });
      tb.create<gpu::BarrierOp>(loc);
    }
    // 3. A KV head's rows per thread: rounded to the element type, then
    // stored (quantized per token).
    auto slot = slotOf(tb, seq, t);
    Value i0 = slot.first, i1 = slot.second;
    auto roundTo = [&](OpBuilder &ob, Value row, Type el) -> Value {
      if (el.isF32())
        return row;
      auto vt = cast<VectorType>(row.getType());
      Value narrow = ob.create<arith::TruncFOp>(loc, VectorType::get(vt.getShape(), el), row);
      return ob.create<arith::ExtFOp>(loc, vt, narrow).getResult();
    };
    strided(tb, idxc(tb, Hkv), [&](OpBuilder &ob, Value g) {
      Value kRow = ob.create<vector::LoadOp>(loc, VectorType::get({D}, f32), kf, ValueRange{idxc(ob, 0), g, idxc(ob, 0)});
      storeRow(ob, true, i0, i1, g, roundTo(ob, kRow, types.getK()), seq, t);
      Value vRow = ob.create<vector::LoadOp>(loc, VectorType::get({Dv}, types.getV()), vIn, ValueRange{i, g, idxc(ob, 0)});
      storeRow(ob, false, i0, i1, g, roundTo(ob, vecToF32(ob, vRow), types.getV()), seq, t);
    });
    Value first = tb.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, tid, idxc(tb, 0));
    tb.create<scf::IfOp>(loc, first, [&](OpBuilder &pb, Location) {
      pb.create<memref::StoreOp>(loc, pb.create<memref::LoadOp>(loc, posIn, i), pc, ValueRange{i0, i1});
      pb.create<scf::YieldOp>(loc);
    });
    tb.create<scf::YieldOp>(loc);
  });
  rope = saved;
}

/// merge(part_out, part_lse, inputs..., out [B, H, Dv] [, lse [B, H]],
/// begin, end): items (sequence, head).
void CacheKernelBuilder::buildMerge() {
  int64_t dyn = ShapedType::kDynamic;
  double negInf = -std::numeric_limits<double>::infinity();
  SmallVector<Type> args = {MemRefType::get({dyn, dyn, H, Dv}, b.getF32Type()),
                            MemRefType::get({dyn, dyn, H}, b.getF32Type())};
  args.append(kernelInputTypes());
  args.push_back(MemRefType::get({dyn, H, Dv}, types.getOut()));
  if (variant.getLse())
    args.push_back(MemRefType::get({dyn, H}, b.getF32Type()));
  args.append({b.getIndexType(), b.getIndexType()});
  SmallVector<std::string> names = {"part_out", "part_lse"};
  names.append(inputNames());
  names.push_back("out");
  if (variant.getLse())
    names.push_back("lse");
  names.append({"begin", "end"});
  func::FuncOp f = makeFunc("_decode_merge", args, names);
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
                            MemRefType::get({dyn}, b.getI64Type()),
                            MemRefType::get({dyn}, b.getI64Type())};
  SmallVector<Type> cache = cacheTypes();
  args.append(cache);
  args.push_back(MemRefType::get({dyn}, b.getI64Type()));
  SmallVector<Type> inputs = kernelInputTypes();
  args.append(inputs);
  args.push_back(MemRefType::get({dyn, H, Dv}, types.getOut()));
  if (variant.getLse())
    args.push_back(MemRefType::get({dyn, H}, b.getF32Type()));
  SmallVector<std::string> names = {"q", "q_pos", "q_seq"};
  names.append(cacheNames());
  names.push_back("lens");
  names.append(inputNames());
  names.push_back("out");
  if (variant.getLse())
    names.push_back("lse");
  func::FuncOp f = makeFunc("_decode", args, names);
  auto fa = f.getArguments();
  Value B = b.create<memref::DimOp>(loc, fa[0], 0);
  Value pout = b.create<memref::AllocOp>(loc, MemRefType::get({dyn, 1, H, Dv}, b.getF32Type()), ValueRange{B});
  Value plse = b.create<memref::AllocOp>(loc, MemRefType::get({dyn, 1, H}, b.getF32Type()), ValueRange{B});
  Value poutDyn = b.create<memref::CastOp>(loc, MemRefType::get({dyn, dyn, H, Dv}, b.getF32Type()), pout);
  Value plseDyn = b.create<memref::CastOp>(loc, MemRefType::get({dyn, dyn, H}, b.getF32Type()), plse);
  unsigned nInputs = inputs.size(), inputsAt = 3 + cache.size() + 1;
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
  using AttnLowerCacheKernelsPassBase::AttnLowerCacheKernelsPassBase;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<VariantOp> variants(module.getOps<VariantOp>());
    for (VariantOp v : variants) {
      CacheKernelBuilder builder(v, module);
      builder.maxChunk = std::max<int64_t>(8, chunk);
      if (blockThreads < 0 || blockThreads % 32 || blockThreads > 1024) {
        module.emitError("attn-lower-cache-kernels: block-threads must be a multiple of 32 up to 1024, got ")
            << static_cast<int64_t>(blockThreads);
        return signalPassFailure();
      }
      builder.blockThreads = blockThreads;
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
