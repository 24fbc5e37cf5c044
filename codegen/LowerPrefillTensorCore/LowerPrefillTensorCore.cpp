//===- LowerPrefillTensorCore.cpp - attn-lower-prefill-tensor-core --------===//
//
// The tensor-core GPU prefill of each attn.variant whose Q, K and V are bf16
// (or all f16) with head dims that are multiples of 16: two device functions
// on memrefs, which attn-outline-gpu-kernels wraps as kernels.
//
//  * NAME_prefill_prepare_tok(q, k, q_pos, k_pos, qf, kh [, kl], token): the
//    RoPE preparation of one token (Q row and K row `token`), so one GPU
//    thread per token replaces the serial prepare; Q stays f32 (read once
//    per block), K leaves in the dtype (kh; kl the rounded remainder for the
//    split product) so the kernel copies it to shared memory as it is.
//    Length-dependent scalings still see the whole key length.
//  * NAME_prefill_tc(qf, kh [, kl], v, q_pos, k_pos, batch, inputs..., out
//    [, lse]): FlashAttention-2's schedule. A block owns 128 queries of
//    one head (grid: query tiles x heads; 64 where mma.sync's window would
//    not fit 99 KiB: Q in shared memory at head dim 256, or the lse split
//    from 160); each warp T tiles of 16 rows
//    (T = tensorCoreRowTiles: 2 up to head dim 64, so each ldmatrix'd B
//    operand feeds two mma; 4 warps then, 8 above), so every K and V tile in
//    shared memory serves 128 queries. The function states its block
//    (`attn.tensor_core_block`: queries, threads) for the launch glue.
//    Per key tile (64 keys; 32 above head dim 128 or with two row tiles;
//    halved for lse, whose QK^T takes hi + lo parts) K and V come to
//    shared memory by asynchronous copies (cp.async, 16 bytes, zero-filled
//    past the last key; loads and stores when a base is not 16-byte
//    aligned), pipelined as FlashAttention-2 does with one buffer each: V(j)
//    lands while QK^T(j) runs, K(j + 1) while the softmax and P V(j) run;
//    with the `stages` option two buffers each, V(j + 1) and K(j + 2)
//    issued during tile j (each wait leaves two groups in flight). The
//    `key-tile` option sets the keys per tile.
//    Each warp computes its (16 T) x KT scores with mma.sync m16n8k16 (f32
//    accumulation) on B operands read by ldmatrix (rows padded so its 8 rows
//    hit distinct banks), applies scale, the score expression and the
//    position bias per element and the mask per element unless the tile is
//    full for all the warp's rows, updates the online softmax in
//    registers (row max and sum across the 4 lanes of a row by shuffles),
//    and multiplies the probabilities, rounded to the dtype, by V with
//    mma.sync again (the score fragments are the A fragments of P V; V's
//    B operands by ldmatrix.trans). Key tiles outside the union of the
//    block's mask intervals are skipped when keys sit at positions 0..Lk-1.
//    Q's A fragments stay in registers for the whole key loop unless they
//    would take 64 or more (head dim 256, the split at 128): then the
//    block's Q rows sit in shared memory next to the tiles (one window of
//    dynamic shared memory) and come by ldmatrix once per key tile, as
//    FlashAttention-2 reads them (ptxas sm_90: gemma2 and prefix_lm spilled).
//
// A two-branch RoPE remap (Self-Extend, ReRoPE) adds the far rows qg, kg
// after kh [, kl] to both functions and runs the key loop twice into one
// online softmax: near pairs (q_pos - k_pos < window) from qf, kh under the
// mask and a window that keeps every later key, then far pairs from qg, kg
// under the mask and the window's complement. Each pass skips the other's
// key tiles; with lse (the hi/lo split) a remap keeps the CUDA-core kernels.
//
// Ragged batches get the same pair over packed buffers and cumulative
// lengths (cu_q, cu_k: nseq + 1 offsets): NAME_prefill_varlen_prepare_tok
// (packed token t of Q and of K, each sequence found by binary search, so
// length-dependent scalings see their own sequence's keys) and
// NAME_prefill_varlen_tc (sequence block_id.z: its rows as strided views of
// the packed buffers, batch index z, the same body emitted again; blocks past
// the sequence's queries return).
//
// The mma is the NVPTX intrinsic (llvm.nvvm.mma.m16n8k16.row.col.*): MLIR 19's
// nvgpu/nvvm mma ops do not accept bf16 operands for this shape.
//
// With the `wgmma` option (sm_90a) the two products are Hopper's warpgroup
// MMA instead, the schedule otherwise the same: each 4 warps are one
// warpgroup, row tile mt its 64 x n product mt (two warpgroups of one row
// tile, or one of two); QK^T is a chain of
// wgmma.mma_async m64nKTk16 steps with A (the block's Q rows, staged once)
// and B (the K tile) in shared memory, PV a chain of m64nDvk16 steps with A
// (P) in registers and B (the V tile, N-major) in shared memory. Operands
// live in one window of core matrices (no swizzle) in dynamic shared memory,
// read through matrix descriptors; each chain is one inline PTX block (fence,
// steps, commit, wait) marked `attnc.wgmma` for the CPU emulation; after
// each cp.async wait a fence.proxy.async orders the copies before the
// tensor cores' reads. MLIR 19's nvgpu warpgroup ops take A from shared
// memory only and the 128-byte swizzle only. With the `overlap` option
// (FlashAttention-3's intra-warpgroup pipelining) the chains of QK^T(j + 1)
// and P V(j) are committed without a wait; a wgmma.wait_group 1 (tied to
// the scores' registers) completes the scores while P V(j) runs on into the
// softmax of tile j + 1, and a wait_group 0 (tied to O) precedes O's
// rescaling. The loop carries the next tile's scores; two stages, one block
// barrier per key tile.
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
#include <optional>

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNLOWERPREFILLTENSORCOREPASS
#include "codegen/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

constexpr int64_t kRowPad = 8;
/// Shared memory a tensor-core block may use (static + dynamic): the sm_80
/// cubin also runs on compute capability 8.6 and 8.9 (99 KiB per block;
/// 1 KiB of it left to the static contiguity flag), sm_90a images on 9.0
/// (227 KiB).
constexpr int64_t kSharedBudgetSm80 = 98 * 1024, kSharedBudgetSm90a = 227 * 1024;
constexpr double kNegInf = -std::numeric_limits<double>::infinity();

class TensorCoreBuilder : public TiledPrefillEmitter {
public:
  TensorCoreBuilder(VariantOp variant, ModuleOp module, const AttnLowerPrefillTensorCorePassOptions &options)
      : TiledPrefillEmitter(variant, module), wgmma(options.wgmma), maxBlockQueries(options.maxBlockQueries),
        stages(options.stages), keyTileOption(options.keyTile), overlap(options.overlap) {}
  /// Why the variant gets no tensor-core kernel, or "" when it does.
  std::string unsupported();
  void build();

private:
  /// Products by Hopper's warpgroup MMA (sm_90a) instead of mma.sync.
  bool wgmma = false;
  /// The pass's max-block-queries (64: one warpgroup above head dim 64).
  int64_t maxBlockQueries = 128;
  /// Buffers per K and V tile: 2 lets tile j + 1's V and j + 2's K land
  /// during tile j (1: FlashAttention-2's one buffer each). Falls back to 1
  /// where two would not fit the shared memory budget.
  int64_t stages = 1;
  /// Keys per tile from the pass's key-tile option (0: the default).
  int64_t keyTileOption = 0;
  /// wgmma only: FlashAttention-3's intra-warpgroup pipelining. QK^T of
  /// tile j + 1 and P V of tile j are issued without waiting; the wait
  /// for the scores leaves P V running while the softmax of tile j + 1
  /// runs. Needs two stages (K(j + 1) and V(j) read while V(j + 1) and
  /// K(j + 2) land); one block barrier per key tile.
  bool overlap = false;
  Type elem; // bf16 or f16
  int64_t H = 0, Hkv = 0, D = 0, Dv = 0, keyTile = 64;
  /// Tiles of 16 query rows per warp (tensorCoreRowTiles).
  int64_t rowTiles = 1;
  /// Warpgroups of 4 warps per block, and threads: two where a warp owns
  /// one row tile, so a block owns 128 queries as FlashAttention-2 and -3
  /// tile them and each K and V tile it copies serves 128 queries (half the
  /// K/V traffic from L2 of 64-query blocks: a 32k causal prefill of 32
  /// heads at head dim 128 reads ~137 GB at 64, as long at L2 rates as its
  /// tensor-core work), unless the window would not fit kSharedBudget*.
  /// With wgmma each warpgroup is one 64 x N product.
  int64_t warpgroups = 1, threads = 128;
  int64_t queriesPerBlock() const { return 64 * rowTiles * warpgroups; }
  /// QK^T from hi + lo parts of the f32 rotated Q and K (three products):
  /// for variants that return lse, whose 1e-3 bound the dtype's rounding of
  /// rotated Q and K alone would exceed.
  bool split = false;
  /// The window of a two-branch RoPE remap (Self-Extend, ReRoPE): pairs
  /// with q_pos - k_pos >= it use the far rows (qg, kg); 0 without one.
  int64_t remapWindow = 0;
  /// The K-side arguments after qf: kh [, kl] [, qg, kg].
  unsigned keyArgs() const { return (split ? 2 : 1) + (remapWindow ? 2 : 0); }
  /// mma.sync form: Q's A fragments read from shared memory by ldmatrix at
  /// every key tile (FlashAttention-2's default) instead of held in
  /// registers for the whole loop; see qInSharedMemory().
  bool qShared = false;

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
  /// An A-operand register (two elements) as the i32 inline PTX takes.
  Value asI32(OpBuilder &ob, Value v) {
    if (v.getType().isInteger(32))
      return v;
    Value w = ob.create<vector::BitCastOp>(loc, VectorType::get({1}, ob.getI32Type()), v);
    return ob.create<vector::ExtractOp>(loc, w, ArrayRef<int64_t>{0});
  }
  /// One wgmma step: A (64 x 16) as this thread's four registers, or
  /// through aDescriptor in shared memory, and the descriptor of B (16 x n).
  struct WgmmaStep {
    SmallVector<Value, 4> a;
    Value descriptor;
    Value aDescriptor;
  };
  /// The mma.sync form keeps Q in shared memory when its fragments would
  /// take 64 or more registers per thread (head dim 256; the lse split at
  /// 128; two row tiles of the split at 64): with them, the 64 + 128 of
  /// the scores and the O accumulators (head dim 256) spilled (ptxas sm_90:
  /// gemma2 48/80 bytes, prefix_lm 84/128).
  bool qInSharedMemory() const { return !wgmma && rowTiles * D * (split ? 2 : 1) >= 256; }
  /// The mma.sync form's tiles live in one window of dynamic shared memory
  /// (else in static shared buffers, 48 KiB at most): with Q in shared
  /// memory, with two stages, or with tiles too large for static memory.
  bool paddedWindow() const { return !wgmma && (qShared || stages > 1 || !staticTilesFit()); }
  /// One stage's padded tiles fit PTX's 48 KiB of static shared memory (less
  /// 1 KiB for the contiguity flag): not with 128-key tiles at head dim 128.
  bool staticTilesFit() const {
    int64_t elems = keyTile * ((D + kRowPad) * (split ? 2 : 1) + Dv + kRowPad);
    return elems * elem.getIntOrFloatBitWidth() / 8 <= 47 * 1024;
  }
  /// Elements of the mma.sync form's window (66 KiB at head dim 256, 64
  /// queries, one stage): per stage the K tile, K's remainder and the V
  /// tile (the stages' K tiles one after another as rows of one view, and
  /// so the remainders and V), then with qShared the block's Q rows and Q's
  /// remainder, each row padded by kRowPad as the static tiles are.
  int64_t paddedWindowElems() const {
    int64_t parts = split ? 2 : 1, qRows = qShared ? 64 * rowTiles * warpgroups * parts : 0;
    return (keyTile * parts * stages + qRows) * (D + kRowPad) + keyTile * stages * (Dv + kRowPad);
  }
  /// Elements of one stage of the wgmma window: the K tile, K's remainder
  /// (split), the V tile, each in core-matrix order.
  int64_t wgmmaStageElems() const { return keyTile * D * (split ? 2 : 1) + keyTile * Dv; }
  /// Elements of the wgmma kernel's shared window (dynamic shared memory):
  /// the stages, then the block's Q rows and Q's remainder (split).
  int64_t wgmmaWindowElems() const {
    return stages * wgmmaStageElems() + 64 * rowTiles * warpgroups * D * (split ? 2 : 1);
  }
  /// `async`: committed but not waited for; the results are valid only
  /// as the outputs of a later wgmmaWait.
  SmallVector<Value> wgmmaChain(OpBuilder &ob, int64_t n, bool transB, ArrayRef<Value> accIn,
                                ArrayRef<WgmmaStep> steps, Value window, bool async = false);
  /// wgmma.wait_group `pending`: the chains committed before the last
  /// `pending` complete. `groups` are the accumulators of the chains it
  /// completes, oldest first; returns them as the wait's outputs (tied
  /// operands, so LLVM orders every later use after the wait).
  SmallVector<SmallVector<Value>> wgmmaWait(OpBuilder &ob, int64_t pending, ArrayRef<SmallVector<Value>> groups);
  /// Orders this thread's generic-proxy writes of shared memory (cp.async,
  /// st.shared) before the async proxy's reads (wgmma).
  void fenceProxyAsync(OpBuilder &ob) {
    auto op = ob.create<LLVM::InlineAsmOp>(loc, TypeRange{}, ValueRange{}, "fence.proxy.async.shared::cta;",
                                           "~{memory}", /*has_side_effects=*/true, /*is_align_stack=*/false,
                                           LLVM::AsmDialectAttr(), ArrayAttr());
    op->setAttr("attnc.emulate", ob.getStringAttr("fence_proxy_async"));
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
  /// `elems` elements of dynamic shared memory (an external, unsized
  /// workgroup global: PTX's `.extern .shared ... []`).
  Value dynamicWindow(OpBuilder &ob, int64_t elems);
  /// A rows x cols view of `window` (1-D, dynamic shared memory) at
  /// element `offset`, for ldmatrix and cp.async's 2-D indexing.
  Value windowTile(OpBuilder &ob, Value window, int64_t offset, int64_t rows, int64_t cols);
  /// `cache`: NAME_prefill_cache[_varlen]_prepare_tok, the preparation of
  /// queries over rows gathered from the spec's cache (NAME_cache_gather_tok,
  /// attn-lower-cache-kernels): keys the cache stores rotated (on_write) are
  /// only rounded, not rotated again.
  void buildPrepareToken(bool varlen, bool cache = false);
  /// Keys are rotated by the preparation (false: already rotated, as a cache
  /// with on_write RoPE stores them).
  bool rotateKeys = true;
  /// The preparation of query row qTok of q and key row kTok of k (either
  /// past its buffer's rows is skipped) at b's insertion point; q, k... are
  /// one sequence's rows (length-dependent scalings see k's length).
  void emitPrepareToken(Value q, Value k, Value qPos, Value kPos, Value qf, Value kh, Value kl, Value qg, Value kg,
                        Value qTok, Value kTok);
  void buildKernel(bool varlen);
  /// Runs `body` at b's insertion point under `cond`.
  void ifThen(Value cond, function_ref<void()> body);
  /// Rows [first, first + count) of a packed [tokens, ...] buffer.
  Value rowsOf(OpBuilder &ob, Value m, Value first, Value count);
  /// The sequence s < nseq of packed token `token` (cu[s] <= token <
  /// cu[s + 1]; cu[0] = 0 <= token < cu[nseq]), by binary search.
  Value sequenceOf(OpBuilder &ob, Value cu, Value nseq, Value token);
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
  if (r && r.getRemap() && variant.getLse())
    return "a two-branch RoPE remap with lse";
  return "";
}

Value TensorCoreBuilder::sharedBuffer(StringRef suffix, int64_t rows, int64_t cols) {
  auto space = gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup);
  auto type = MemRefType::get({rows, cols}, elem, MemRefLayoutAttrInterface(), space);
  std::string symbol = (variant.getSymName() + suffix).str();
  if (!module.lookupSymbol(symbol)) {
    OpBuilder mb = OpBuilder::atBlockBegin(module.getBody());
    // 16-byte aligned: the unit of cp.async and of an ldmatrix row.
    mb.create<memref::GlobalOp>(loc, symbol, mb.getStringAttr("private"), type, Attribute(),
                                /*constant=*/false, mb.getI64IntegerAttr(16));
  }
  return b.create<memref::GetGlobalOp>(loc, type, symbol);
}

/// D (64 x n, f32) = sum over steps of A_s (64 x 16, registers or shared
/// memory) B_s (16 x n, shared memory), plus accIn unless it is empty (then
/// the first step's scale-d is false): one inline PTX block,
/// fenced, committed and waited for, so LLVM never sees the accumulators
/// while the tensor cores own them. `window` (the shared buffer's address)
/// is an operand the PTX does not use: the CPU emulation reads B through it.
SmallVector<Value> TensorCoreBuilder::wgmmaChain(OpBuilder &ob, int64_t n, bool transB, ArrayRef<Value> accIn,
                                                 ArrayRef<WgmmaStep> steps, Value window, bool async) {
  const int64_t regs = n / 2;
  const bool zeroInit = accIn.empty();
  std::string text, constraints;
  llvm::raw_string_ostream os(text), cs(constraints);
  SmallVector<Value> operands;
  for (int64_t i = 0; i < regs; ++i)
    cs << (i ? "," : "") << "=f";
  for (int64_t i = 0; i < (int64_t)accIn.size(); ++i) {
    cs << "," << i;
    operands.push_back(accIn[i]);
  }
  int64_t next = regs + accIn.size();
  std::string dtype = elem.isF16() ? "f16" : "bf16";
  const bool aShared = !steps.empty() && steps.front().aDescriptor;
  const int64_t perStep = aShared ? 2 : 5;
  const int64_t zero = next + perStep * steps.size();
  os << "{\n.reg .pred pz;\nsetp.ne.b32 pz, $" << zero << ", 0;\nwgmma.fence.sync.aligned;\n";
  for (auto [i, step] : llvm::enumerate(steps)) {
    assert((bool)step.aDescriptor == aShared && "one chain, one form of A");
    os << "wgmma.mma_async.sync.aligned.m64n" << n << "k16.f32." << dtype << "." << dtype << " {";
    for (int64_t r = 0; r < regs; ++r)
      os << (r ? ", " : "") << "$" << r;
    if (aShared) // A K-major (imm-trans-a 0)
      os << "}, $" << next << ", $" << next + 1 << ", " << (i == 0 && zeroInit ? "pz" : "1") << ", 1, 1, 0, "
         << (transB ? 1 : 0) << ";\n";
    else
      os << "}, {$" << next << ", $" << next + 1 << ", $" << next + 2 << ", $" << next + 3 << "}, $" << next + 4
         << ", " << (i == 0 && zeroInit ? "pz" : "1") << ", 1, 1, " << (transB ? 1 : 0) << ";\n";
    if (aShared) {
      operands.push_back(step.aDescriptor);
      cs << ",l";
    }
    for (Value a : step.a) {
      operands.push_back(asI32(ob, a));
      cs << ",r";
    }
    operands.push_back(step.descriptor);
    cs << ",l";
    next += perStep;
  }
  os << "wgmma.commit_group.sync.aligned;\n" << (async ? "" : "wgmma.wait_group.sync.aligned 0;\n") << "}";
  operands.push_back(ob.create<arith::ConstantIntOp>(loc, 0, 32));
  operands.push_back(window);
  cs << ",r,l,~{memory}";
  Type f32 = ob.getF32Type();
  auto result = LLVM::LLVMStructType::getLiteral(ob.getContext(), SmallVector<Type>(regs, f32));
  auto op = ob.create<LLVM::InlineAsmOp>(loc, result, operands, text, constraints, /*has_side_effects=*/true,
                                         /*is_align_stack=*/false, LLVM::AsmDialectAttr(), ArrayAttr());
  op->setAttr("attnc.wgmma",
              ob.getDictionaryAttr({ob.getNamedAttr("n", ob.getI64IntegerAttr(n)),
                                    ob.getNamedAttr("trans_b", ob.getBoolAttr(transB)),
                                    ob.getNamedAttr("accumulate", ob.getBoolAttr(!zeroInit)),
                                    ob.getNamedAttr("steps", ob.getI64IntegerAttr(steps.size())),
                                    ob.getNamedAttr("a_shared", ob.getBoolAttr(aShared)),
                                    ob.getNamedAttr("f16", ob.getBoolAttr(elem.isF16())),
                                    ob.getNamedAttr("async", ob.getBoolAttr(async))}));
  SmallVector<Value> out;
  for (int64_t i = 0; i < regs; ++i)
    out.push_back(ob.create<LLVM::ExtractValueOp>(loc, op.getResult(0), ArrayRef<int64_t>{i}));
  return out;
}

SmallVector<SmallVector<Value>> TensorCoreBuilder::wgmmaWait(OpBuilder &ob, int64_t pending,
                                                              ArrayRef<SmallVector<Value>> groups) {
  std::string constraints;
  llvm::raw_string_ostream cs(constraints);
  SmallVector<Value> operands;
  SmallVector<int64_t> sizes;
  for (const auto &g : groups) {
    operands.append(g.begin(), g.end());
    sizes.push_back(g.size());
  }
  for (size_t i = 0; i < operands.size(); ++i)
    cs << (i ? "," : "") << "=f";
  for (size_t i = 0; i < operands.size(); ++i)
    cs << "," << i;
  cs << ",~{memory}";
  Type f32 = ob.getF32Type();
  auto result = LLVM::LLVMStructType::getLiteral(ob.getContext(), SmallVector<Type>(operands.size(), f32));
  auto op = ob.create<LLVM::InlineAsmOp>(loc, result, operands,
                                         "wgmma.wait_group.sync.aligned " + std::to_string(pending) + ";",
                                         constraints, /*has_side_effects=*/true, /*is_align_stack=*/false,
                                         LLVM::AsmDialectAttr(), ArrayAttr());
  op->setAttr("attnc.wgmma_wait", ob.getDictionaryAttr({ob.getNamedAttr("pending", ob.getI64IntegerAttr(pending)),
                                                        ob.getNamedAttr("groups", ob.getDenseI64ArrayAttr(sizes))}));
  SmallVector<SmallVector<Value>> out;
  int64_t at = 0;
  for (int64_t size : sizes) {
    SmallVector<Value> g;
    for (int64_t i = 0; i < size; ++i, ++at)
      g.push_back(ob.create<LLVM::ExtractValueOp>(loc, op.getResult(0), ArrayRef<int64_t>{at}));
    out.push_back(g);
  }
  return out;
}

Value TensorCoreBuilder::dynamicWindow(OpBuilder &ob, int64_t elems) {
  auto space = gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup);
  auto declared = MemRefType::get({0}, elem, MemRefLayoutAttrInterface(), space);
  std::string symbol = (variant.getSymName() + "_tc_dynamic_smem").str();
  if (!module.lookupSymbol(symbol)) {
    OpBuilder mb = OpBuilder::atBlockBegin(module.getBody());
    // No initial value: a declaration. 128-byte aligned (16 for the
    // descriptors' start addresses; swizzled layouts would need 1024).
    auto g = mb.create<memref::GlobalOp>(loc, symbol, /*sym_visibility=*/StringAttr(), declared, Attribute(),
                                         /*constant=*/false, mb.getI64IntegerAttr(128));
    g->setAttr("attnc.dynamic_shared", mb.getUnitAttr());
  }
  Value base = ob.create<memref::GetGlobalOp>(loc, declared, symbol);
  auto type = MemRefType::get({elems}, elem, MemRefLayoutAttrInterface(), space);
  return ob.create<memref::ReinterpretCastOp>(loc, type, base, 0, ArrayRef<int64_t>{elems}, ArrayRef<int64_t>{1});
}

Value TensorCoreBuilder::windowTile(OpBuilder &ob, Value window, int64_t offset, int64_t rows, int64_t cols) {
  auto space = gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup);
  auto type = MemRefType::get({rows, cols}, elem, StridedLayoutAttr::get(b.getContext(), offset, {cols, 1}), space);
  return ob.create<memref::ReinterpretCastOp>(loc, type, window, offset, ArrayRef<int64_t>{rows, cols},
                                              ArrayRef<int64_t>{cols, 1});
}

void TensorCoreBuilder::build() {
  ShapeAttr shape = variant.getShape();
  H = shape.getHeads(), Hkv = shape.getKvHeads(), D = shape.getHeadDim(), Dv = shape.getValueDim();
  elem = variant.getTypes().getQ();
  split = variant.getLse();
  // Shared memory: K (twice when split) and V tiles within 48 KiB.
  rowTiles = tensorCoreRowTiles(D, Dv);
  // Two row tiles hold twice the scores: 32 keys keep them in registers
  // (64 keys spilled 17 words at head dim 64, ptxas sm_90).
  keyTile = keyTileOption ? keyTileOption : (std::max(D, Dv) > 128 || rowTiles > 1 ? 32 : 64) / (split ? 2 : 1);
  qShared = qInSharedMemory();
  const int64_t elemBytes = elem.getIntOrFloatBitWidth() / 8, budget = wgmma ? kSharedBudgetSm90a : kSharedBudgetSm80;
  auto windowBytes = [&] { return (wgmma ? wgmmaWindowElems() : paddedWindow() ? paddedWindowElems() : 0) * elemBytes; };
  // The block's shape first (with one stage), then a second stage where it
  // still fits.
  const int64_t wantStages = stages;
  stages = 1;
  if (rowTiles == 1 && maxBlockQueries >= 128) {
    warpgroups = 2;
    if (windowBytes() > budget)
      warpgroups = 1; // mma.sync at head dim 256 with Q in shared memory: 99 KiB
  }
  overlap = overlap && wgmma; // (an mma.sync image of the same build keeps its pipeline)
  stages = overlap ? 2 : wantStages;
  if (windowBytes() > budget)
    stages = 1, overlap = false; // e.g. mma.sync at head dim 256 (Q in shared memory): 99 KiB with one
  threads = 128 * warpgroups;
  rope = dyn_cast<RopeAttr>(variant.getPosition());
  if (rope)
    freqs = computeRopeFrequencies(rope);
  remapWindow = remapWindowOf();
  for (bool varlen : {false, true}) {
    buildPrepareToken(varlen);
    buildKernel(varlen);
  }
  // Prefill over the cache: the cache's rows gathered (NAME_cache_gather_tok)
  // into the kernel's K, V and positions, then this preparation and
  // NAME_prefill_tc. Rings attend at positions inside the cache (and evict
  // what a chunk's earlier queries would see); a remap's far keys need the
  // un-rotated ones (on_read).
  Attribute cache = variant.getCache();
  bool onRead = rope && rope.getApply() == RopeApply::OnRead;
  if ((isa_and_nonnull<ContiguousCacheAttr>(cache) || isa_and_nonnull<PagedCacheAttr>(cache)) &&
      (!remapWindow || onRead)) {
    rotateKeys = onRead || !rope;
    for (bool varlen : {false, true}) // a batch: the sequences' rows gathered one after another
      buildPrepareToken(varlen, /*cache=*/true);
    rotateKeys = true;
  }
}

void TensorCoreBuilder::ifThen(Value cond, function_ref<void()> body) {
  b.create<scf::IfOp>(loc, cond, [&](OpBuilder &tb, Location) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(tb.getInsertionBlock(), tb.getInsertionPoint());
    body();
    b.create<scf::YieldOp>(loc);
  });
}

Value TensorCoreBuilder::rowsOf(OpBuilder &ob, Value m, Value first, Value count) {
  auto type = cast<MemRefType>(m.getType());
  SmallVector<OpFoldResult> offsets(type.getRank(), ob.getIndexAttr(0)), sizes, strides(type.getRank(), ob.getIndexAttr(1));
  offsets[0] = first;
  sizes.push_back(count);
  for (int64_t d = 1; d < type.getRank(); ++d)
    sizes.push_back(ob.getIndexAttr(type.getDimSize(d)));
  return ob.create<memref::SubViewOp>(loc, m, offsets, sizes, strides);
}

Value TensorCoreBuilder::sequenceOf(OpBuilder &ob, Value cu, Value nseq, Value token) {
  Type idx = ob.getIndexType();
  auto search = ob.create<scf::WhileOp>(
      loc, TypeRange{idx, idx}, ValueRange{idxc(ob, 0), nseq},
      [&](OpBuilder &wb, Location, ValueRange lh) {
        Value width = wb.create<arith::SubIOp>(loc, lh[1], lh[0]);
        wb.create<scf::ConditionOp>(loc, cmpi(wb, arith::CmpIPredicate::ugt, width, idxc(wb, 1)), lh);
      },
      [&](OpBuilder &wb, Location, ValueRange lh) {
        Value mid = wb.create<arith::DivUIOp>(loc, wb.create<arith::AddIOp>(loc, lh[0], lh[1]), idxc(wb, 2));
        Value start = toIndex(wb, wb.create<memref::LoadOp>(loc, cu, mid));
        Value atOrAfter = cmpi(wb, arith::CmpIPredicate::ule, start, token);
        wb.create<scf::YieldOp>(loc, ValueRange{wb.create<arith::SelectOp>(loc, atOrAfter, mid, lh[0]),
                                                wb.create<arith::SelectOp>(loc, atOrAfter, lh[1], mid)});
      });
  return search.getResult(0);
}

void TensorCoreBuilder::buildPrepareToken(bool varlen, bool cache) {
  int64_t dyn = ShapedType::kDynamic;
  TypesAttr types = variant.getTypes();
  Type qT = MemRefType::get({dyn, H, D}, types.getQ()), kT = MemRefType::get({dyn, Hkv, D}, types.getK());
  Type posT = MemRefType::get({dyn}, b.getI64Type());
  Type qfT = MemRefType::get({dyn, H, D}, b.getF32Type()), khT = MemRefType::get({dyn, Hkv, D}, elem);
  SmallVector<Type> argTypes = {qT, kT, posT, posT, qfT, khT};
  if (split)
    argTypes.push_back(khT);
  if (remapWindow) // the far rows: qg, kg
    argTypes.append({qfT, khT});
  if (varlen)
    argTypes.append({posT, posT}); // cu_q, cu_k
  argTypes.push_back(b.getIndexType());
  b.setInsertionPointToEnd(module.getBody());
  auto f = b.create<func::FuncOp>(
      loc,
      (variant.getSymName() + (cache ? "_prefill_cache" : "_prefill") +
       (varlen ? "_varlen_prepare_tok" : "_prepare_tok"))
          .str(),
      b.getFunctionType(argTypes, {}));
  if (cache) // attn-outline-gpu-kernels: the trailing index is the global thread id.
    f->setAttr("attn.thread_item", b.getUnitAttr());
  b.setInsertionPointToStart(f.addEntryBlock());
  auto a = f.getArguments();
  const unsigned farAt = split ? 7 : 6, cuAt = farAt + (remapWindow ? 2 : 0);
  Value kh = a[5], kl = split ? a[6] : Value(), token = a.back();
  Value qg = remapWindow ? a[farAt] : Value(), kg = remapWindow ? a[farAt + 1] : Value();
  if (!varlen) {
    emitPrepareToken(a[0], a[1], a[2], a[3], a[4], kh, kl, qg, kg, token, token);
    b.create<func::ReturnOp>(loc);
    return;
  }
  // Packed token `token` of Q and of K: each belongs to its own sequence.
  Value cuQ = a[cuAt], cuK = a[cuAt + 1];
  Value nseq = b.create<arith::SubIOp>(loc, b.create<memref::DimOp>(loc, cuQ, 0), idxc(b, 1));
  auto at = [&](Value cu, Value i) { return toIndex(b, b.create<memref::LoadOp>(loc, cu, i)); };
  for (bool query : {true, false}) {
    Value cu = query ? cuQ : cuK;
    ifThen(cmpi(b, arith::CmpIPredicate::ult, token, at(cu, nseq)), [&] {
      Value s = sequenceOf(b, cu, nseq, token), s1 = b.create<arith::AddIOp>(loc, s, idxc(b, 1));
      Value q0 = at(cuQ, s), k0 = at(cuK, s);
      Value lq = b.create<arith::SubIOp>(loc, at(cuQ, s1), q0), lk = b.create<arith::SubIOp>(loc, at(cuK, s1), k0);
      // The other side's token is past its rows: skipped.
      Value qTok = query ? b.create<arith::SubIOp>(loc, token, q0).getResult() : lq;
      Value kTok = query ? lk : b.create<arith::SubIOp>(loc, token, k0).getResult();
      emitPrepareToken(rowsOf(b, a[0], q0, lq), rowsOf(b, a[1], k0, lk), rowsOf(b, a[2], q0, lq),
                       rowsOf(b, a[3], k0, lk), rowsOf(b, a[4], q0, lq), rowsOf(b, kh, k0, lk),
                       kl ? rowsOf(b, kl, k0, lk) : Value(), qg ? rowsOf(b, qg, q0, lq) : Value(),
                       kg ? rowsOf(b, kg, k0, lk) : Value(), qTok, kTok);
    });
  }
  b.create<func::ReturnOp>(loc);
}

void TensorCoreBuilder::emitPrepareToken(Value q, Value k, Value qPos, Value kPos, Value qf, Value kh, Value kl,
                                         Value qg, Value kg, Value qTok, Value kTok) {
  Value lk = b.create<memref::DimOp>(loc, k, 0);
  seqLenF64 = b.create<arith::SIToFPOp>(loc, b.getF64Type(), toI64(b, lk));
  if (rope)
    invFreq = loadInvFreqTable(b);
  SmallVector<OpFoldResult> size3 = {b.getIndexAttr(1), b.getIndexAttr(0), b.getIndexAttr(D)},
                            one3 = {b.getIndexAttr(1), b.getIndexAttr(1), b.getIndexAttr(1)};
  auto row = [&](OpBuilder &ob, Value m, Value t, int64_t heads) {
    SmallVector<OpFoldResult> off3 = {t, ob.getIndexAttr(0), ob.getIndexAttr(0)}, size = size3;
    size[1] = ob.getIndexAttr(heads);
    return (Value)ob.create<memref::SubViewOp>(loc, m, off3, size, one3);
  };
  auto inRange = [&](Value src, Value token, function_ref<void(OpBuilder &)> body) {
    Value n = b.create<memref::DimOp>(loc, src, 0);
    ifThen(cmpi(b, arith::CmpIPredicate::ult, token, n), [&] { body(b); });
  };
  auto posOf = [&](OpBuilder &ob, Value pos, Value token) {
    return (Value)ob.create<memref::SubViewOp>(loc, pos, ArrayRef<OpFoldResult>{token},
                                               ArrayRef<OpFoldResult>{ob.getIndexAttr(1)},
                                               ArrayRef<OpFoldResult>{ob.getIndexAttr(1)});
  };
  inRange(q, qTok, [&](OpBuilder &ob) {
    rotateInto(ob, row(ob, q, qTok, H), posOf(ob, qPos, qTok), row(ob, qf, qTok, H), H, true, 0);
    if (qg)
      rotateInto(ob, row(ob, q, qTok, H), posOf(ob, qPos, qTok), row(ob, qg, qTok, H), H, true, 1);
  });
  // K leaves in the dtype the tensor-core kernel copies to shared memory
  // as it is (cp.async): rotated in f32 in thread-private memory, rounded
  // (hi), and for the split product also the rounded remainder (lo).
  inRange(k, kTok, [&](OpBuilder &ob) {
    auto scratch = ob.create<memref::AllocaOp>(loc, MemRefType::get({1, Hkv, D}, ob.getF32Type()));
    // The rotated row in scratch rounded into `hi` (and its remainder into `lo`).
    auto storeRounded = [&](Value hiDst, Value loDst) {
      ob.create<scf::ForOp>(loc, idxc(ob, 0), idxc(ob, Hkv * D), idxc(ob, 1), ValueRange{},
                            [&](OpBuilder &lb, Location, Value e, ValueRange) {
        Value h = lb.create<arith::DivUIOp>(loc, e, idxc(lb, D)), c = lb.create<arith::RemUIOp>(loc, e, idxc(lb, D));
        Value x = lb.create<memref::LoadOp>(loc, scratch, ValueRange{idxc(lb, 0), h, c});
        Value hi = lb.create<arith::TruncFOp>(loc, elem, x);
        lb.create<memref::StoreOp>(loc, hi, hiDst, ValueRange{kTok, h, c});
        if (loDst) {
          Value rest = lb.create<arith::SubFOp>(loc, x, lb.create<arith::ExtFOp>(loc, lb.getF32Type(), hi));
          lb.create<memref::StoreOp>(loc, lb.create<arith::TruncFOp>(loc, elem, rest), loDst, ValueRange{kTok, h, c});
        }
        lb.create<scf::YieldOp>(loc);
      });
    };
    if (kg) { // the far row first
      rotateInto(ob, row(ob, k, kTok, Hkv), posOf(ob, kPos, kTok), scratch, Hkv, false, 1);
      storeRounded(kg, Value());
    }
    if (rotateKeys) {
      rotateInto(ob, row(ob, k, kTok, Hkv), posOf(ob, kPos, kTok), scratch, Hkv, false, 0);
    } else {
      ob.create<scf::ForOp>(loc, idxc(ob, 0), idxc(ob, Hkv * D), idxc(ob, 1), ValueRange{},
                            [&](OpBuilder &lb, Location, Value e, ValueRange) {
        Value h = lb.create<arith::DivUIOp>(loc, e, idxc(lb, D)), c = lb.create<arith::RemUIOp>(loc, e, idxc(lb, D));
        Value x = lb.create<memref::LoadOp>(loc, k, ValueRange{kTok, h, c});
        if (!x.getType().isF32())
          x = lb.create<arith::ExtFOp>(loc, lb.getF32Type(), x);
        lb.create<memref::StoreOp>(loc, x, scratch, ValueRange{idxc(lb, 0), h, c});
        lb.create<scf::YieldOp>(loc);
      });
    }
    storeRounded(kh, kl);
  });
}

void TensorCoreBuilder::buildKernel(bool varlen) {
  int64_t dyn = ShapedType::kDynamic;
  TypesAttr types = variant.getTypes();
  // qf, kh [, kl], v, q_pos, k_pos, batch (varlen: cu_q, cu_k), inputs...,
  // out [, lse].
  Type posT = MemRefType::get({dyn}, b.getI64Type());
  SmallVector<Type> args = {MemRefType::get({dyn, H, D}, b.getF32Type()), MemRefType::get({dyn, Hkv, D}, elem)};
  if (split)
    args.push_back(MemRefType::get({dyn, Hkv, D}, elem));
  if (remapWindow) // qg, kg
    args.append({MemRefType::get({dyn, H, D}, b.getF32Type()), MemRefType::get({dyn, Hkv, D}, elem)});
  args.append({MemRefType::get({dyn, Hkv, Dv}, types.getV()), posT, posT});
  if (varlen)
    args.append({posT, posT});
  else
    args.push_back(b.getIndexType());
  args.append(kernelInputTypes());
  args.push_back(MemRefType::get({dyn, H, Dv}, types.getOut()));
  if (variant.getLse())
    args.push_back(MemRefType::get({dyn, H}, b.getF32Type()));
  b.setInsertionPointToEnd(module.getBody());
  auto f = b.create<func::FuncOp>(loc, (variant.getSymName() + (varlen ? "_prefill_varlen_tc" : "_prefill_tc")).str(),
                                  b.getFunctionType(args, {}));
  b.setInsertionPointToStart(f.addEntryBlock());
  // What the launch must give (attnc build's glue reads them per image):
  // queries and threads per block, and the dynamic shared memory.
  f->setAttr("attn.tensor_core_block", b.getDenseI64ArrayAttr({queriesPerBlock(), threads}));
  if (wgmma || paddedWindow())
    f->setAttr("attn.dynamic_shared_bytes",
               b.getI64IntegerAttr((wgmma ? wgmmaWindowElems() : paddedWindowElems()) *
                                   elem.getIntOrFloatBitWidth() / 8));
  // The K/V pipeline (stages, keys per tile), for tests and tuning reports.
  f->setAttr("attn.tensor_core_pipeline", b.getDenseI64ArrayAttr({stages, keyTile, overlap ? 1 : 0}));
  SmallVector<Value> fa(f.getArguments().begin(), f.getArguments().end());
  const unsigned kArgs = keyArgs();
  unsigned next = kArgs + 5 + (varlen ? 1 : 0);
  for (Attribute a : variant.getInputs())
    inputArgs[cast<InputAttr>(a).getName()] = fa[next++];
  if (auto alibi = dyn_cast<AlibiAttr>(variant.getPosition()))
    alibiSlopes = constantTable("alibi_slopes", alibi.getSlopes().asArrayRef(), b.getF32Type());
  Value sinkLogits;
  if (auto sinks = dyn_cast<SoftmaxSinksAttr>(variant.getNormalizer()))
    sinkLogits = inputArgs.lookup(sinks.getSinks());
  auto emitSegments = [&](ValueRange segArgs) {
    Value h = b.create<gpu::BlockIdOp>(loc, gpu::Dimension::y);
    for (const HeadSegment &seg : headSegments()) {
      Value in = b.create<arith::AndIOp>(loc, cmpi(b, arith::CmpIPredicate::uge, h, idxc(b, seg.h0)),
                                         cmpi(b, arith::CmpIPredicate::ult, h, idxc(b, seg.h1)));
      b.create<scf::IfOp>(loc, in, [&](OpBuilder &sb, Location) {
        emitSegment(sb, seg, segArgs, sinkLogits);
        sb.create<scf::YieldOp>(loc);
      });
    }
  };
  if (!varlen) {
    emitSegments(fa);
    b.create<func::ReturnOp>(loc);
    return;
  }
  // A ragged batch: sequence block_id.z is queries cu_q[z] .. cu_q[z+1]-1
  // and keys cu_k[z] .. cu_k[z+1]-1 of the packed buffers, batch index z;
  // the grid's query tiles cover the longest sequence, so a block past
  // its sequence's queries has nothing to do (the whole block leaves, so
  // no barrier is left waiting).
  Value cuQ = fa[kArgs + 4], cuK = fa[kArgs + 5];
  Value seq = b.create<gpu::BlockIdOp>(loc, gpu::Dimension::z), seq1 = b.create<arith::AddIOp>(loc, seq, idxc(b, 1));
  auto at = [&](Value cu, Value i) { return toIndex(b, b.create<memref::LoadOp>(loc, cu, i)); };
  Value q0 = at(cuQ, seq), k0 = at(cuK, seq);
  Value lq = b.create<arith::SubIOp>(loc, at(cuQ, seq1), q0), lk = b.create<arith::SubIOp>(loc, at(cuK, seq1), k0);
  Value tile0 = b.create<arith::MulIOp>(loc, b.create<gpu::BlockIdOp>(loc, gpu::Dimension::x), idxc(b, queriesPerBlock()));
  ifThen(cmpi(b, arith::CmpIPredicate::ult, tile0, lq), [&] {
    SmallVector<Value> seqArgs = {rowsOf(b, fa[0], q0, lq), rowsOf(b, fa[1], k0, lk)};
    if (split)
      seqArgs.push_back(rowsOf(b, fa[2], k0, lk));
    if (remapWindow) // qg, kg
      seqArgs.append({rowsOf(b, fa[split ? 3 : 2], q0, lq), rowsOf(b, fa[split ? 4 : 3], k0, lk)});
    seqArgs.append({rowsOf(b, fa[kArgs + 1], k0, lk), rowsOf(b, fa[kArgs + 2], q0, lq),
                    rowsOf(b, fa[kArgs + 3], k0, lk), seq});
    for (unsigned i = kArgs + 6; i < next; ++i)
      seqArgs.push_back(fa[i]);
    seqArgs.push_back(rowsOf(b, fa[next], q0, lq));
    if (variant.getLse())
      seqArgs.push_back(rowsOf(b, fa[next + 1], q0, lq));
    emitSegments(seqArgs);
  });
  b.create<func::ReturnOp>(loc);
}

void TensorCoreBuilder::emitSegment(OpBuilder &ob, const HeadSegment &seg, ValueRange fa,
                                    Value sinkLogits) {
  using P = arith::CmpIPredicate;
  const bool far = remapWindow > 0;
  const unsigned kArgs = keyArgs(), nIn = variant.getInputs().size();
  Value qf = fa[0], kh = fa[1], kl = split ? fa[2] : Value(), v = fa[1 + kArgs], qPos = fa[2 + kArgs],
        kPos = fa[3 + kArgs], batch = fa[4 + kArgs];
  // A two-branch RoPE remap's far rows: Q in f32, K rounded to the dtype.
  Value qFar = far ? fa[split ? 3 : 2] : Value(), kFar = far ? fa[split ? 4 : 3] : Value();
  Value out = fa[5 + kArgs + nIn];
  Value lseOut = variant.getLse() ? fa[6 + kArgs + nIn] : Value();
  const int64_t group = H / Hkv, KT = keyTile;
  const float scale = variant.getScale().convertToDouble();
  Type f32 = ob.getF32Type();
  auto ld = [&](Value m, ValueRange ix) { return (Value)ob.create<memref::LoadOp>(loc, m, ix); };
  auto minIdx = [&](Value a, Value c) { return (Value)ob.create<arith::MinUIOp>(loc, a, c); };
  auto addAt = [&](OpBuilder &ab, Value a, int64_t c) { return (Value)ab.create<arith::AddIOp>(loc, a, idxc(ab, c)); };
  auto add = [&](Value a, int64_t c) { return addAt(ob, a, c); };

  Value tid = ob.create<gpu::ThreadIdOp>(loc, gpu::Dimension::x);
  Value tile = ob.create<gpu::BlockIdOp>(loc, gpu::Dimension::x);
  Value h = ob.create<gpu::BlockIdOp>(loc, gpu::Dimension::y);
  Value kvh = ob.create<arith::DivUIOp>(loc, h, idxc(ob, group));
  Value warp = ob.create<arith::DivUIOp>(loc, tid, idxc(ob, 32));
  Value lane = ob.create<arith::RemUIOp>(loc, tid, idxc(ob, 32));
  Value g = ob.create<arith::DivUIOp>(loc, lane, idxc(ob, 4));
  Value t4 = ob.create<arith::RemUIOp>(loc, lane, idxc(ob, 4));
  Value t2 = ob.create<arith::MulIOp>(loc, t4, idxc(ob, 2));
  Value lq = ob.create<memref::DimOp>(loc, qf, 0), lk = ob.create<memref::DimOp>(loc, kh, 0);
  Value lqI64 = toI64(ob, lq), lkI64 = toI64(ob, lk);
  Value lqLast = ob.create<arith::SubIOp>(loc, ob.create<arith::MaxUIOp>(loc, lq, idxc(ob, 1)), idxc(ob, 1));
  Value lkLast = ob.create<arith::SubIOp>(loc, ob.create<arith::MaxUIOp>(loc, lk, idxc(ob, 1)), idxc(ob, 1));
  const int64_t MT = rowTiles, queriesPerBlock = this->queriesPerBlock();
  Value tile0 = ob.create<arith::MulIOp>(loc, tile, idxc(ob, queriesPerBlock));
  // A warp owns MT consecutive tiles of 16 rows; the thread two rows of
  // each (A: g, B: g + 8), clamped for reads. Row slot mt * 2 + r.
  SmallVector<Value> rows, rowsC, qp;
  // With wgmma, row tile mt is the warpgroup's 64 x n product mt: warp w
  // owns its rows 16 (w % 4) .. + 15 (rows mt * 64 + 16 w + ...: two
  // warpgroups come with one row tile, so warpgroup 1's product is rows
  // 64 .. 127).
  for (int64_t mt = 0; mt < MT; ++mt) {
    Value first = wgmma ? add(ob.create<arith::MulIOp>(loc, warp, idxc(ob, 16)), mt * 64)
                        : ob.create<arith::MulIOp>(
                              loc, ob.create<arith::AddIOp>(loc, ob.create<arith::MulIOp>(loc, warp, idxc(ob, MT)),
                                                            idxc(ob, mt)),
                              idxc(ob, 16));
    Value rowA = ob.create<arith::AddIOp>(loc, ob.create<arith::AddIOp>(loc, tile0, first), g);
    for (Value row : {rowA, add(rowA, 8)}) {
      rows.push_back(row);
      rowsC.push_back(minIdx(row, lqLast));
      qp.push_back(ld(qPos, rowsC.back()));
    }
  }

  // A two-branch RoPE remap runs the key loop twice into one online
  // softmax: near pairs (q_pos - k_pos < window) with the rotated rows, then
  // far pairs with the remapped ones, each pass masked to its side (the
  // softmax over two disjoint key sets does not depend on their order), so
  // each pass skips the other's key tiles and needs no extra registers or
  // shared memory. Without a remap: one pass, the segment's mask.
  // Keys at positions 0..Lk-1? (Checked once per block, for every pass.)
  Value contiguous = i1c(ob, false);
  if (seg.mask || far) {
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
    ob.create<scf::ForOp>(loc, tid, lk, idxc(ob, threads), ValueRange{},
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
  }
  SmallVector<Value> carriedState;
  MaskAttrInterface mask = seg.mask;
  const int64_t stride = 4 + Dv / 2;
  for (int pass = 0; pass < (far ? 2 : 1); ++pass) {
  if (far) {
    MLIRContext *ctx = ob.getContext();
    auto nearSide = cast<MaskAttrInterface>(WindowMaskAttr::get(ctx, remapWindow, kUnboundedExtent));
    auto side = pass == 0 ? nearSide : cast<MaskAttrInterface>(NotMaskAttr::get(ctx, nearSide));
    mask = seg.mask ? cast<MaskAttrInterface>(AndMaskAttr::get(ctx, ob.getArrayAttr({seg.mask, side}))) : side;
    if (pass == 1) {
      qf = qFar, kh = kFar;
      // No warp still reads the first pass's Q or K in shared memory.
      ob.create<gpu::BarrierOp>(loc);
    }
  }
  // Q fragments (A operands), kept in registers for the whole key loop.
  // x = hi + lo: hi the dtype's rounding of x, lo that of the remainder.
  auto splitLo = [&](OpBuilder &sb, Value x) {
    Value hi = sb.create<arith::ExtFOp>(loc, sb.getF32Type(), sb.create<arith::TruncFOp>(loc, elem, x).getResult());
    return (Value)sb.create<arith::SubFOp>(loc, x, hi);
  };
  // qFrag[mt][kc]: regs (A, c), (B, c), (A, c + 8), (B, c + 8).
  // (wgmma, and qShared, read Q from the shared window instead, below.)
  SmallVector<SmallVector<SmallVector<Value, 4>>> qFrag(MT), qFragLo(MT);
  for (int64_t mt = 0; mt < (wgmma || qShared ? 0 : MT); ++mt)
    for (int64_t kc = 0; kc < D / 16; ++kc) {
      SmallVector<Value, 4> regs, lo;
      for (int64_t half : {0, 8})
        for (int r : {0, 1}) {
          Value c0 = ob.create<arith::AddIOp>(loc, t2, idxc(ob, kc * 16 + half));
          Value x = ld(qf, {rowsC[mt * 2 + r], h, c0}), y = ld(qf, {rowsC[mt * 2 + r], h, add(c0, 1)});
          regs.push_back(pack(ob, x, y));
          if (split)
            lo.push_back(pack(ob, splitLo(ob, x), splitLo(ob, y)));
        }
      qFrag[mt].push_back(regs);
      qFragLo[mt].push_back(lo);
    }

  // Shared tiles, rows padded by 8 elements: a row is then an odd number
  // of 16-byte units, so the 8 rows an ldmatrix reads (and the rows the
  // copies write) fall in distinct bank groups, and every row starts
  // 16-byte aligned (cp.async, ldmatrix).
  Value kSh, vSh, kShLo, qSh, qShLo;
  // wgmma reads its operands through matrix descriptors: K, K's remainder,
  // V, the block's Q rows and Q's remainder in one window of core matrices
  // (8 rows x 16 bytes, 128 contiguous bytes; no swizzle), row-block major:
  // element (r, c) of a tile of `cols` columns at ((r / 8) (cols / 8) + c /
  // 8) 64 + (r % 8) 8 + c % 8. Then the 16 bytes a copy moves are
  // contiguous (copy e lands at element 8 e), and the core matrices
  // adjacent along a tile's columns are 128 bytes apart, along its rows 16
  // cols bytes. The window is dynamic shared memory (over the 48 KiB of
  // static shared memory from head dim 128 on: the launch asks for it).
  // With two stages, tile j's K and V sit in stage (j / KT) % 2 (first
  // keys are multiples of KT): the next stage's rows in the mma.sync
  // views, the next wgmmaStageElems() of the wgmma window.
  Value window, windowAddr, wgQBytes;
  const int64_t kOff = 0, kLoOff = KT * D, vOff = KT * D * (split ? 2 : 1), qOff = stages * wgmmaStageElems(),
                qLoOff = qOff + queriesPerBlock * D;
  auto coreIndex = [&](OpBuilder &cb, Value r, Value c, int64_t cols) {
    auto div = [&](Value x, int64_t d) { return (Value)cb.create<arith::DivUIOp>(loc, x, idxc(cb, d)); };
    auto rem = [&](Value x, int64_t d) { return (Value)cb.create<arith::RemUIOp>(loc, x, idxc(cb, d)); };
    auto mul = [&](Value x, int64_t d) { return (Value)cb.create<arith::MulIOp>(loc, x, idxc(cb, d)); };
    auto plus = [&](Value x, Value y) { return (Value)cb.create<arith::AddIOp>(loc, x, y); };
    Value core = plus(mul(div(r, 8), cols / 8), div(c, 8));
    return plus(plus(mul(core, 64), mul(rem(r, 8), 8)), rem(c, 8));
  };
  // The block's Q rows, read once and rounded to the dtype (the remainder
  // too for split); element (r, c) goes where `store` puts it. The key
  // loop's first barrier (after a fence for wgmma) publishes them.
  auto stageQ = [&](function_ref<void(OpBuilder &, Value, Value, Value, bool)> store) {
    ob.create<scf::ForOp>(loc, tid, idxc(ob, queriesPerBlock * D), idxc(ob, threads), ValueRange{},
                          [&](OpBuilder &lb, Location, Value e, ValueRange) {
      Value r = lb.create<arith::DivUIOp>(loc, e, idxc(lb, D)), c = lb.create<arith::RemUIOp>(loc, e, idxc(lb, D));
      Value row = lb.create<arith::MinUIOp>(loc, lb.create<arith::AddIOp>(loc, tile0, r), lqLast);
      Value x = lb.create<memref::LoadOp>(loc, qf, ValueRange{row, h, c});
      store(lb, r, c, lb.create<arith::TruncFOp>(loc, elem, x), false);
      if (split)
        store(lb, r, c, lb.create<arith::TruncFOp>(loc, elem, splitLo(lb, x)), true);
      lb.create<scf::YieldOp>(loc);
    });
  };
  if (wgmma) {
    window = dynamicWindow(ob, wgmmaWindowElems());
    kSh = vSh = kShLo = window;
    windowAddr = ob.create<arith::IndexCastOp>(loc, ob.getI64Type(),
                                               ob.create<memref::ExtractAlignedPointerAsIndexOp>(loc, window));
    // Warpgroup wg's products read Q rows wg * 64 MT .. (one or the other
    // of the two is 1).
    if (warpgroups > 1)
      wgQBytes = ob.create<arith::IndexCastOp>(
          loc, ob.getI64Type(),
          ob.create<arith::MulIOp>(loc, ob.create<arith::DivUIOp>(loc, warp, idxc(ob, 4)),
                                   idxc(ob, 64 * MT * D * elem.getIntOrFloatBitWidth() / 8)));
    // In core-matrix order at qOff (the remainder at qLoOff).
    stageQ([&](OpBuilder &lb, Value r, Value c, Value x, bool lo) {
      Value at = lb.create<arith::AddIOp>(loc, coreIndex(lb, r, c, D), idxc(lb, lo ? qLoOff : qOff));
      lb.create<memref::StoreOp>(loc, x, window, ValueRange{at});
    });
  } else if (paddedWindow()) {
    // The padded tiles of the static form (every stage's), and the block's
    // Q rows (and Q's remainder) the same way, in one window of dynamic
    // shared memory.
    window = dynamicWindow(ob, paddedWindowElems());
    const int64_t kRow = D + kRowPad, vRow = Dv + kRowPad, rows = KT * stages,
                  kTiles = rows * kRow * (split ? 2 : 1);
    kSh = windowTile(ob, window, 0, rows, kRow);
    kShLo = split ? windowTile(ob, window, rows * kRow, rows, kRow) : Value();
    vSh = windowTile(ob, window, kTiles, rows, vRow);
    if (qShared) {
      qSh = windowTile(ob, window, kTiles + rows * vRow, queriesPerBlock, kRow);
      qShLo = split ? windowTile(ob, window, kTiles + rows * vRow + queriesPerBlock * kRow, queriesPerBlock, kRow)
                    : Value();
      // Row r of the block at row r of the padded Q tile.
      stageQ([&](OpBuilder &lb, Value r, Value c, Value x, bool lo) {
        lb.create<memref::StoreOp>(loc, x, lo ? qShLo : qSh, ValueRange{r, c});
      });
    }
  } else {
    kSh = sharedBuffer("_tc_k_smem", KT, D + kRowPad), vSh = sharedBuffer("_tc_v_smem", KT, Dv + kRowPad);
    kShLo = split ? sharedBuffer("_tc_k_lo_smem", KT, D + kRowPad) : Value();
  }
  // With keys at positions 0..Lk-1 the mask intervals bound the key tiles.
  Value jBegin = idxc(ob, 0), jEnd = lk;
  if (mask) {
    // The union of the block's rows' intervals (every thread computes it).
    Value rEnd = minIdx(add(tile0, queriesPerBlock), lq);
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

  // Tile copies. cp.async moves 16 bytes between 16-byte aligned addresses:
  // rows are multiples of 32 bytes (head dims % 16 == 0), so only a
  // buffer's base decides; an unaligned one is staged by loads and stores.
  constexpr int64_t kCopyElems = 8;
  auto baseAligned = [&](Value m) {
    auto meta = ob.create<memref::ExtractStridedMetadataOp>(loc, m);
    Value base = ob.create<memref::ExtractAlignedPointerAsIndexOp>(loc, m);
    Value start = ob.create<arith::AddIOp>(
        loc, base, ob.create<arith::MulIOp>(loc, meta.getOffset(), idxc(ob, elem.getIntOrFloatBitWidth() / 8)));
    return cmpi(ob, P::eq, ob.create<arith::RemUIOp>(loc, start, idxc(ob, 16)), idxc(ob, 0));
  };
  Value khAligned = baseAligned(kh), vAligned = baseAligned(v), klAligned = kl ? baseAligned(kl) : Value();
  auto tokenType = nvgpu::DeviceAsyncTokenType::get(ob.getContext());
  // Keys [j0, j0 + KT) of `src` ([Lk, Hkv, cols]) into `dst`: rows past Lk
  // are zeros (a copy of source size 0 zero-fills its 16 bytes).
  // With wgmma `dst` is the window and `off` the tile's first element there;
  // copy e then takes row (e / 8 / (cols / 8)) 8 + e % 8, columns
  // (e / 8) % (cols / 8) 8 .. + 7: a warp's 32 copies read 8 rows x 64
  // contiguous bytes and write 512 contiguous bytes.
  // The tile's stage: KT (mma.sync rows) or wgmmaStageElems() apart.
  auto stageOf = [&](OpBuilder &sb, Value j0) {
    if (stages == 1)
      return idxc(sb, 0);
    return (Value)sb.create<arith::RemUIOp>(loc, sb.create<arith::DivUIOp>(loc, j0, idxc(sb, KT)), idxc(sb, stages));
  };
  auto stageRow = [&](OpBuilder &sb, Value stage) { return (Value)sb.create<arith::MulIOp>(loc, stage, idxc(sb, KT)); };
  auto issueTile = [&](OpBuilder &ib, Value j0, Value src, Value dst, int64_t cols, Value aligned, int64_t off) {
    const int64_t units = cols / kCopyElems;
    // Where the tile starts: a row of the mma.sync views (none: row 0),
    // an element of the wgmma window.
    auto tileStart = [&](OpBuilder &lb) -> Value {
      if (stages == 1)
        return wgmma ? idxc(lb, off) : Value();
      Value stage = stageOf(lb, j0);
      if (!wgmma)
        return stageRow(lb, stage);
      return lb.create<arith::AddIOp>(loc, lb.create<arith::MulIOp>(loc, stage, idxc(lb, wgmmaStageElems())),
                                      idxc(lb, off));
    };
    auto plusStart = [&](OpBuilder &lb, Value x) {
      Value first = tileStart(lb);
      return first ? (Value)lb.create<arith::AddIOp>(loc, x, first) : x;
    };
    auto ifOp = ib.create<scf::IfOp>(loc, aligned, /*withElseRegion=*/true);
    OpBuilder tb = ifOp.getThenBodyBuilder();
    tb.create<scf::ForOp>(loc, tid, idxc(tb, KT * units), idxc(tb, threads), ValueRange{},
                          [&](OpBuilder &lb, Location, Value e, ValueRange) {
      Value r, c;
      SmallVector<Value, 2> at;
      if (wgmma) {
        Value e8 = lb.create<arith::DivUIOp>(loc, e, idxc(lb, 8));
        r = lb.create<arith::AddIOp>(
            loc, lb.create<arith::MulIOp>(loc, lb.create<arith::DivUIOp>(loc, e8, idxc(lb, units)), idxc(lb, 8)),
            lb.create<arith::RemUIOp>(loc, e, idxc(lb, 8)));
        c = lb.create<arith::MulIOp>(loc, lb.create<arith::RemUIOp>(loc, e8, idxc(lb, units)), idxc(lb, kCopyElems));
        at.push_back(plusStart(lb, lb.create<arith::MulIOp>(loc, e, idxc(lb, kCopyElems))));
      } else {
        r = lb.create<arith::DivUIOp>(loc, e, idxc(lb, units));
        c = lb.create<arith::MulIOp>(loc, lb.create<arith::RemUIOp>(loc, e, idxc(lb, units)), idxc(lb, kCopyElems));
        at = {plusStart(lb, r), c};
      }
      Value j = lb.create<arith::AddIOp>(loc, j0, r);
      Value count = lb.create<arith::SelectOp>(loc, cmpi(lb, P::ult, j, lk), idxc(lb, kCopyElems), idxc(lb, 0));
      lb.create<nvgpu::DeviceAsyncCopyOp>(loc, tokenType, dst, at, src,
                                          ValueRange{lb.create<arith::MinUIOp>(loc, j, lkLast), kvh, c},
                                          lb.getIndexAttr(kCopyElems), count, lb.getUnitAttr());
      lb.create<scf::YieldOp>(loc);
    });
    OpBuilder eb = ifOp.getElseBodyBuilder();
    eb.create<scf::ForOp>(loc, tid, idxc(eb, KT * cols), idxc(eb, threads), ValueRange{},
                          [&](OpBuilder &lb, Location, Value e, ValueRange) {
      Value r = lb.create<arith::DivUIOp>(loc, e, idxc(lb, cols));
      Value c = lb.create<arith::RemUIOp>(loc, e, idxc(lb, cols));
      SmallVector<Value, 2> at;
      if (wgmma)
        at = {plusStart(lb, coreIndex(lb, r, c, cols))};
      else
        at = {plusStart(lb, r), c};
      Value j = lb.create<arith::AddIOp>(loc, j0, r);
      Value x = lb.create<memref::LoadOp>(loc, src, ValueRange{lb.create<arith::MinUIOp>(loc, j, lkLast), kvh, c});
      Value zero = lb.create<arith::ConstantOp>(loc, lb.getFloatAttr(elem, 0.0));
      lb.create<memref::StoreOp>(loc, lb.create<arith::SelectOp>(loc, cmpi(lb, P::ult, j, lk), x, zero), dst, at);
      lb.create<scf::YieldOp>(loc);
    });
  };
  auto issueK = [&](OpBuilder &ib, Value j0) {
    issueTile(ib, j0, kh, kSh, D, khAligned, kOff);
    if (kl)
      issueTile(ib, j0, kl, kShLo, D, klAligned, kLoOff);
  };
  // A no-swizzle descriptor of the window at element `off`: LBO (bytes
  // between core matrices adjacent along K) and SBO (along M or N), both
  // operand majors (PTX ISA, "Matrix Descriptor", canonical layouts).
  // `extraBytes`: a further offset known at run time (the warpgroup's Q rows).
  auto descriptor = [&](OpBuilder &db, int64_t off, int64_t lbo, int64_t sbo, Value extraBytes = Value()) {
    Value start = db.create<arith::AddIOp>(loc, windowAddr, i64c(db, off * 2));
    if (extraBytes)
      start = db.create<arith::AddIOp>(loc, start, extraBytes);
    start = db.create<arith::ShRUIOp>(loc, db.create<arith::AndIOp>(loc, start, i64c(db, 0x3FFFF)), i64c(db, 4));
    return (Value)db.create<arith::OrIOp>(loc, start, i64c(db, (lbo >> 4) << 16 | (sbo >> 4) << 32));
  };
  auto commit = [&](OpBuilder &ib) { return (Value)ib.create<nvgpu::DeviceAsyncCreateGroupOp>(loc, tokenType, ValueRange{}); };
  // Copies of the tile at key j0 (K, or V) when there is one, then a
  // commit either way: every thread commits the same groups in the same
  // order, so a wait can count them.
  auto issueIfAny = [&](OpBuilder &ib, Value j0, bool isK) {
    ib.create<scf::IfOp>(loc, cmpi(ib, P::ult, j0, jEnd), [&](OpBuilder &tb, Location) {
      if (isK)
        issueK(tb, j0);
      else
        issueTile(tb, j0, v, vSh, Dv, vAligned, vOff);
      tb.create<scf::YieldOp>(loc);
    });
    return commit(ib);
  };
  // The prologue: K of the first tile in flight before the loop; with two
  // stages also its V and the next tile's K (groups K0, V0, K1).
  Value firstGroup = issueIfAny(ob, jBegin, /*isK=*/true);
  if (stages > 1) {
    issueIfAny(ob, jBegin, /*isK=*/false);
    issueIfAny(ob, add(jBegin, KT), /*isK=*/true);
  }
  // One stage: every wait is for all committed groups (wait_group 0). Two:
  // the two groups committed last may stay in flight (the token only names
  // one group; the count is what the wait uses).
  auto waitTile = [&](OpBuilder &ib) {
    ib.create<nvgpu::DeviceAsyncWaitOp>(loc, firstGroup, ib.getI32IntegerAttr(stages > 1 ? 2 : 0));
  };

  // One ldmatrix of four 8x8 matrices: lane l gives the address of row
  // l % 8 of matrix l / 8 (rows `row0 + rowOf(l / 8) + l % 8`, columns
  // `col0 + colOf(l / 8)`); returns the four registers, as mma operands.
  // `rowsFirst` orders the matrices (rows +0, cols +0), (+8, +0), (+0, +8),
  // (+8, +8): transposed V's B operands, and the A operand of 16 rows x
  // 16 columns (registers a0..a3 of mma.sync) untransposed.
  auto ldmatrix4 = [&](OpBuilder &lb, Value tileBuf, Value row0, Value col0, bool transpose,
                       std::optional<bool> rowsFirstOrder = std::nullopt) {
    const bool rowsFirst = rowsFirstOrder.value_or(transpose);
    Value m = lb.create<arith::DivUIOp>(loc, lane, idxc(lb, 8));
    Value r8 = lb.create<arith::RemUIOp>(loc, lane, idxc(lb, 8));
    // Non-transposed (K): matrices (keys +0, cols +0), (+0, +8), (+8, +0),
    // (+8, +8). Transposed (V): (keys +0, cols +0), (+8, +0), (+0, +8), (+8, +8).
    Value mRow = rowsFirst ? lb.create<arith::RemUIOp>(loc, m, idxc(lb, 2)).getResult()
                           : lb.create<arith::DivUIOp>(loc, m, idxc(lb, 2)).getResult();
    Value mCol = rowsFirst ? lb.create<arith::DivUIOp>(loc, m, idxc(lb, 2)).getResult()
                           : lb.create<arith::RemUIOp>(loc, m, idxc(lb, 2)).getResult();
    Value r = lb.create<arith::AddIOp>(loc, row0, lb.create<arith::AddIOp>(
                                                      loc, lb.create<arith::MulIOp>(loc, mRow, idxc(lb, 8)), r8));
    Value c = lb.create<arith::AddIOp>(loc, col0, lb.create<arith::MulIOp>(loc, mCol, idxc(lb, 8)));
    auto vt = VectorType::get({4, 2}, elem);
    Value frags = lb.create<nvgpu::LdMatrixOp>(loc, (Type)vt, tileBuf, ValueRange{r, c}, transpose, (uint32_t)4);
    SmallVector<Value, 4> regs;
    for (int64_t i = 0; i < 4; ++i) {
      Value pair = lb.create<vector::ExtractOp>(loc, frags, ArrayRef<int64_t>{i});
      if (!elem.isF16()) {
        Value w = lb.create<vector::BitCastOp>(loc, VectorType::get({1}, lb.getI32Type()), pair);
        pair = lb.create<vector::ExtractOp>(loc, w, ArrayRef<int64_t>{0});
      }
      regs.push_back(pair);
    }
    return regs;
  };

  // The wgmma window's K and V of the tile at key j0: bytes past stage 0's
  // (null with one stage).
  auto stageBytesOf = [&](OpBuilder &bb, Value j0) -> Value {
    if (!wgmma || stages == 1)
      return Value();
    return bb.create<arith::MulIOp>(loc, toI64(bb, stageOf(bb, j0)),
                                    i64c(bb, wgmmaStageElems() * elem.getIntOrFloatBitWidth() / 8));
  };
  // wgmma: the scores of row tile mt in one chain (A: its Q rows, B: the
  // key tile, both K-major: LBO 128 bytes along the head dim, SBO 16 D
  // along rows); its registers 4 f + e are those of mma.sync fragment f.
  auto scoreChains = [&](OpBuilder &bb, Value stageBytes, bool async) {
    SmallVector<SmallVector<Value>> scores(MT);
    for (int64_t mt = 0; mt < MT; ++mt) {
      SmallVector<WgmmaStep> steps;
      // A: the product's 64 Q rows, K-major like the K tile.
      for (int64_t kc = 0; kc < D / 16; ++kc) {
        Value hiDesc = descriptor(bb, kOff + kc * 16 * 8, 128, 16 * D, stageBytes);
        Value qDesc = descriptor(bb, qOff + mt * 64 * D + kc * 16 * 8, 128, 16 * D, wgQBytes);
        if (split) { // the small terms first, as below
          steps.push_back({{}, hiDesc, descriptor(bb, qLoOff + mt * 64 * D + kc * 16 * 8, 128, 16 * D, wgQBytes)});
          steps.push_back({{}, descriptor(bb, kLoOff + kc * 16 * 8, 128, 16 * D, stageBytes), qDesc});
        }
        steps.push_back({{}, hiDesc, qDesc});
      }
      scores[mt] = wgmmaChain(bb, KT, /*transB=*/false, {}, steps, windowAddr, async);
    }
    return scores;
  };
  // wgmma: O += P V per row tile, one chain over the key tile (MN-major B:
  // V, trans-b; LBO 16 Dv bytes along keys, SBO 128 along value columns);
  // p[mt]: the probabilities in score-fragment order, o[mt] O's fragments.
  auto pvChains = [&](OpBuilder &bb, Value stageBytes, ArrayRef<SmallVector<SmallVector<Value, 4>>> p,
                      ArrayRef<SmallVector<SmallVector<Value, 4>>> o, bool async) {
    SmallVector<SmallVector<Value>> acc(MT);
    for (int64_t mt = 0; mt < MT; ++mt) {
      SmallVector<WgmmaStep> steps;
      for (int64_t kc = 0; kc < KT / 16; ++kc) {
        const auto &lo = p[mt][2 * kc], &hi = p[mt][2 * kc + 1];
        steps.push_back({{pack(bb, lo[0], lo[1]), pack(bb, lo[2], lo[3]), pack(bb, hi[0], hi[1]), pack(bb, hi[2], hi[3])},
                         descriptor(bb, vOff + kc * 16 * Dv, 16 * Dv, 128, stageBytes), Value()});
      }
      SmallVector<Value> accIn;
      for (auto &frag : o[mt])
        accIn.append(frag.begin(), frag.end());
      acc[mt] = wgmmaChain(bb, Dv, /*transB=*/true, accIn, steps, windowAddr, async);
    }
    return acc;
  };

  // Carried per row tile: m, l of rows A and B; O fragments (Dv / 8 of 4
  // f32).
  // (A second pass starts from the first pass's state.)
  SmallVector<Value> init = carriedState;
  for (int64_t mt = 0; mt < (pass ? 0 : MT); ++mt) {
    init.append({f32c(ob, kNegInf), f32c(ob, kNegInf), f32c(ob, 0), f32c(ob, 0)});
    for (int64_t i = 0; i < Dv / 8 * 4; ++i)
      init.push_back(f32c(ob, 0));
  }
  const size_t stateSize = init.size();
  // Overlap: O's fragments in `state` (the carried layout) are a P V in
  // flight; replaced by the outputs of the wait that completes it.
  auto waitForO = [&](OpBuilder &wb, MutableArrayRef<Value> state) {
    SmallVector<SmallVector<Value>> pending(MT);
    for (int64_t mt = 0; mt < MT; ++mt)
      pending[mt].assign(state.begin() + mt * stride + 4, state.begin() + (mt + 1) * stride);
    auto done = wgmmaWait(wb, 0, pending);
    for (int64_t mt = 0; mt < MT; ++mt)
      llvm::copy(done[mt], state.begin() + mt * stride + 4);
  };
  // With overlap the loop also carries the scores of its tile (KT / 2 per
  // row tile), computed the iteration before: the first tile's here, once
  // K(0) has landed (groups K0, V0, K1 committed: two may stay in flight).
  SmallVector<Type> scoreTypes(MT * KT / 2, f32);
  if (overlap) {
    waitTile(ob);
    fenceProxyAsync(ob);
    ob.create<gpu::BarrierOp>(loc);
    auto first = ob.create<scf::IfOp>(loc, scoreTypes, cmpi(ob, P::ult, jBegin, jEnd), /*withElseRegion=*/true);
    OpBuilder tb = first.getThenBodyBuilder();
    SmallVector<Value> flat;
    for (auto &chain : scoreChains(tb, stageBytesOf(tb, jBegin), /*async=*/false))
      flat.append(chain.begin(), chain.end());
    tb.create<scf::YieldOp>(loc, flat);
    OpBuilder eb = first.getElseBodyBuilder();
    eb.create<scf::YieldOp>(loc, SmallVector<Value>(MT * KT / 2, f32c(eb, 0)));
    init.append(first.getResults().begin(), first.getResults().end());
  }
  // FlashAttention-2's pipeline with one K and one V buffer: V(j) lands
  // while QK^T(j) runs, K(j + 1) while the softmax and P V(j) run. With two
  // stages V(j + 1) and K(j + 2) are issued instead, each a tile and a half
  // ahead of its use (groups in flight at each wait: two).
  auto keyLoop = ob.create<scf::ForOp>(loc, jBegin, jEnd, idxc(ob, KT), init,
                                       [&](OpBuilder &kb, Location, Value j0, ValueRange carried) {
    // This tile's stage: its rows r in the mma.sync views at tileRow(r),
    // its K and V in the wgmma window stageBytes past stage 0's.
    Value sRow = stages > 1 && !wgmma ? stageRow(kb, stageOf(kb, j0)) : Value();
    auto tileRow = [&](int64_t r) { return sRow ? addAt(kb, sRow, r) : idxc(kb, r); };
    Value stageBytes = stageBytesOf(kb, j0);
    // K(j) has landed (each thread waits for its own copies, the barrier
    // publishes everyone's) and no warp still reads V(j - 1). (With
    // overlap the copies are synchronized once per tile, before P V.)
    if (!overlap) {
      waitTile(kb);
      if (wgmma)
        fenceProxyAsync(kb);
      kb.create<gpu::BarrierOp>(loc);
      if (stages > 1) {
        issueIfAny(kb, addAt(kb, j0, KT), /*isK=*/false);
      } else {
        issueTile(kb, j0, v, vSh, Dv, vAligned, vOff);
        commit(kb);
      }
    }

    // Scores of the warp's MT x 16 rows x KT keys: per row tile KT / 8
    // fragments of 4, two at a time (one ldmatrix gives the B operands of
    // 8 + 8 keys, shared by the row tiles).
    SmallVector<SmallVector<SmallVector<Value, 4>>> s(MT);
    // The thread's keys: columns t2 and t2 + 1 of each fragment (key
    // 2 nb + e), their positions loaded where they are used (a position
    // held across the products costs two registers).
    auto keyIndex = [&](OpBuilder &bb, int64_t key) {
      return (Value)bb.create<arith::AddIOp>(loc, j0, bb.create<arith::AddIOp>(loc, t2, idxc(bb, key / 2 * 8 + key % 2)));
    };
    auto keyPosition = [&](OpBuilder &bb, int64_t key) {
      return (Value)bb.create<memref::LoadOp>(loc, kPos, ValueRange{bb.create<arith::MinUIOp>(loc, keyIndex(bb, key), lkLast)});
    };
    SmallVector<SmallVector<Value>> wgScores(MT);
    if (overlap) // computed the iteration before
      for (int64_t mt = 0; mt < MT; ++mt)
        wgScores[mt].assign(carried.begin() + stateSize + mt * KT / 2, carried.begin() + stateSize + (mt + 1) * KT / 2);
    else if (wgmma)
      wgScores = scoreChains(kb, stageBytes, /*async=*/false);
    // Q in shared memory: all the tile's products first, a column block of
    // Q (16 dims) at a time, so each A operand is read once per key tile
    // (one ldmatrix per row tile, and for split one more) and feeds KT / 8
    // mma; the scores land in wgScores' layout.
    if (qShared) {
      for (int64_t mt = 0; mt < MT; ++mt)
        wgScores[mt].assign(KT / 2, f32c(kb, 0));
      for (int64_t kc = 0; kc < D / 16; ++kc) {
        SmallVector<SmallVector<Value, 4>> a(MT), aLo(MT);
        for (int64_t mt = 0; mt < MT; ++mt) {
          Value row0 = kb.create<arith::MulIOp>(loc, kb.create<arith::AddIOp>(
                                                         loc, kb.create<arith::MulIOp>(loc, warp, idxc(kb, MT)),
                                                         idxc(kb, mt)),
                                                idxc(kb, 16));
          a[mt] = ldmatrix4(kb, qSh, row0, idxc(kb, kc * 16), false, /*rowsFirst=*/true);
          if (split)
            aLo[mt] = ldmatrix4(kb, qShLo, row0, idxc(kb, kc * 16), false, /*rowsFirst=*/true);
        }
        for (int64_t nb = 0; nb < KT / 8; nb += 2) {
          Value kRow0 = tileRow(nb * 8);
          SmallVector<Value, 4> kHi = ldmatrix4(kb, kSh, kRow0, idxc(kb, kc * 16), false), kLo;
          if (split)
            kLo = ldmatrix4(kb, kShLo, kRow0, idxc(kb, kc * 16), false);
          for (int64_t mt = 0; mt < MT; ++mt)
            for (int i = 0; i < 2; ++i) {
              auto accRef = MutableArrayRef<Value>(wgScores[mt]).slice((nb + i) * 4, 4);
              SmallVector<Value, 4> acc(accRef.begin(), accRef.end());
              SmallVector<Value, 2> hiRegs = {kHi[2 * i], kHi[2 * i + 1]};
              if (split) { // the small terms first, as below
                acc = mma(kb, aLo[mt], hiRegs, acc);
                acc = mma(kb, a[mt], {kLo[2 * i], kLo[2 * i + 1]}, acc);
              }
              acc = mma(kb, a[mt], hiRegs, acc);
              llvm::copy(acc, accRef.begin());
            }
        }
      }
    }
    for (int64_t nb = 0; nb < KT / 8; nb += 2) {
      SmallVector<SmallVector<Value, 4>> c(2 * MT);
      for (auto &acc : c)
        acc = {f32c(kb, 0), f32c(kb, 0), f32c(kb, 0), f32c(kb, 0)};
      if (wgmma || qShared)
        for (int64_t mt = 0; mt < MT; ++mt)
          for (int i = 0; i < 2; ++i)
            for (int64_t e = 0; e < 4; ++e)
              c[mt * 2 + i][e] = wgScores[mt][(nb + i) * 4 + e];
      for (int64_t kc = 0; kc < (wgmma || qShared ? 0 : D / 16); ++kc) {
        Value kRow0 = tileRow(nb * 8);
        SmallVector<Value, 4> kHi = ldmatrix4(kb, kSh, kRow0, idxc(kb, kc * 16), false), kLo;
        if (split)
          kLo = ldmatrix4(kb, kShLo, kRow0, idxc(kb, kc * 16), false);
        for (int64_t mt = 0; mt < MT; ++mt)
          for (int i = 0; i < 2; ++i) {
            SmallVector<Value, 4> &acc = c[mt * 2 + i];
            SmallVector<Value, 2> hiRegs = {kHi[2 * i], kHi[2 * i + 1]};
            if (split) { // the small terms first: lo_q hi_k + hi_q lo_k, then hi_q hi_k
              acc = mma(kb, qFragLo[mt][kc], hiRegs, acc);
              acc = mma(kb, qFrag[mt][kc], {kLo[2 * i], kLo[2 * i + 1]}, acc);
            }
            acc = mma(kb, qFrag[mt][kc], hiRegs, acc);
          }
      }
      // Scale, score expression and bias per element; the mask below.
      for (int64_t mt = 0; mt < MT; ++mt)
        for (int i = 0; i < 2; ++i) {
          SmallVector<Value, 4> &acc = c[mt * 2 + i];
          for (int64_t e = 0; e < 4; ++e) {
            Value rowPos = qp[mt * 2 + e / 2], kp = keyPosition(kb, (nb + i) * 2 + e % 2);
            PairIndices ix{batch, h, rowPos, kp, lqI64, lkI64};
            Value sc = kb.create<arith::MulFOp>(loc, acc[e], f32c(kb, scale));
            if (seg.score)
              sc = inlineRegion(kb, *seg.score, {sc, batch, h, rowPos, kp, lqI64, lkI64});
            if (Value bias = emitBias(kb, ix))
              sc = kb.create<arith::AddFOp>(loc, sc, bias);
            acc[e] = sc;
          }
        }
      // In the order of s: row tile, fragment, element.
      for (int64_t mt = 0; mt < MT; ++mt)
        for (int i = 0; i < 2; ++i)
          s[mt].push_back(c[mt * 2 + i]);
    }

    // The mask: skipped when the tile is full for all rows of the warp
    // (every key inside Lk and kept by the mask's intervals, keys at
    // positions 0..Lk-1), else per element.
    Value full = kb.create<arith::CmpIOp>(loc, P::ule, kb.create<arith::AddIOp>(loc, j0, idxc(kb, KT)), lk);
    if (mask) {
      Value j0i = toI64(kb, j0), j1i = toI64(kb, kb.create<arith::AddIOp>(loc, j0, idxc(kb, KT)));
      for (int64_t slot = 0; slot < 2 * MT; ++slot) {
        Value all = classifyKeyTile(kb, mask, qp[slot], j0i, j1i).second;
        // Rows past Lq are never stored: they do not hold the warp back.
        all = kb.create<arith::OrIOp>(loc, all, cmpi(kb, P::uge, rows[slot], lq));
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
    SmallVector<Value> flat;
    for (auto &tileScores : s)
      for (auto &c : tileScores)
        flat.append(c.begin(), c.end());
    SmallVector<Type> scoreTypes(flat.size(), f32);
    auto masked = kb.create<scf::IfOp>(loc, scoreTypes, full, /*withElseRegion=*/true);
    masked.getThenBodyBuilder().create<scf::YieldOp>(loc, flat);
    {
      OpBuilder eb = masked.getElseBodyBuilder();
      SmallVector<Value> all;
      for (size_t i = 0; i < flat.size(); ++i) {
        // flat[i]: row tile i / (KT / 2), fragment i % (KT / 2) / 4, element i % 4.
        int64_t mt = i / (KT / 2), key = i % (KT / 2) / 4 * 2 + i % 2;
        Value keep = eb.create<arith::CmpIOp>(loc, P::ult, keyIndex(eb, key), lk);
        if (mask)
          keep = eb.create<arith::AndIOp>(
              loc, keep,
              emitMask(eb, mask, PairIndices{batch, h, qp[mt * 2 + i % 4 / 2], keyPosition(eb, key), lqI64, lkI64}));
        all.push_back(eb.create<arith::SelectOp>(loc, keep, flat[i], f32c(eb, kNegInf)));
      }
      eb.create<scf::YieldOp>(loc, all);
    }
    for (int64_t i = 0; i < (int64_t)flat.size(); ++i)
      s[i / (KT / 2)][i % (KT / 2) / 4][i % 4] = masked.getResult(i);

    // V(j) has landed and no warp still reads K(j): K(j + 1) goes next
    // (K(j + 2) with two stages, into K(j)'s buffer).
    if (!overlap) {
      waitTile(kb);
      if (wgmma)
        fenceProxyAsync(kb);
      kb.create<gpu::BarrierOp>(loc);
      issueIfAny(kb, addAt(kb, j0, KT * stages), /*isK=*/true);
    }

    // With overlap O is the previous tile's P V, still in flight: waited
    // for here, after this tile's softmax statistics could start.
    SmallVector<Value> current(carried.begin(), carried.begin() + stateSize);
    if (overlap)
      waitForO(kb, current);
    // Online softmax per row; P (rounded to the dtype) times V.
    SmallVector<Value> next;
    SmallVector<SmallVector<SmallVector<Value, 4>>> o(MT);
    for (int64_t mt = 0; mt < MT; ++mt) {
      auto state = ArrayRef<Value>(current).drop_front(mt * stride);
      Value corr[2], mNew[2], lNew[2];
      for (int r = 0; r < 2; ++r) {
        Value mx = f32c(kb, kNegInf);
        for (auto &c : s[mt])
          for (int e : {2 * r, 2 * r + 1})
            mx = kb.create<arith::MaximumFOp>(loc, mx, c[e]);
        mx = rowReduce(kb, mx, true);
        mNew[r] = kb.create<arith::MaximumFOp>(loc, state[r], mx);
        // A row with no kept key so far keeps m = -inf; exponents use 0 then.
        Value empty = kb.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, mNew[r], f32c(kb, kNegInf));
        Value mUse = kb.create<arith::SelectOp>(loc, empty, f32c(kb, 0), mNew[r]);
        corr[r] = kb.create<math::ExpOp>(loc, kb.create<arith::SubFOp>(loc, state[r], mUse));
        Value sum = f32c(kb, 0);
        for (auto &c : s[mt])
          for (int e : {2 * r, 2 * r + 1}) {
            c[e] = kb.create<math::ExpOp>(loc, kb.create<arith::SubFOp>(loc, c[e], mUse));
            sum = kb.create<arith::AddFOp>(loc, sum, c[e]);
          }
        sum = rowReduce(kb, sum, false);
        lNew[r] = kb.create<arith::AddFOp>(loc, kb.create<arith::MulFOp>(loc, state[2 + r], corr[r]), sum);
      }
      next.append({mNew[0], mNew[1], lNew[0], lNew[1]});
      for (int64_t nv = 0; nv < Dv / 8; ++nv) {
        SmallVector<Value, 4> frag;
        for (int64_t e = 0; e < 4; ++e)
          frag.push_back(kb.create<arith::MulFOp>(loc, state[4 + nv * 4 + e], corr[e / 2]));
        o[mt].push_back(frag);
      }
    }
    SmallVector<Value> nextScores;
    if (wgmma && !overlap) {
      SmallVector<SmallVector<Value>> acc = pvChains(kb, stageBytes, s, o, /*async=*/false);
      for (int64_t mt = 0; mt < MT; ++mt)
        for (int64_t nv = 0; nv < Dv / 8; ++nv)
          o[mt][nv] = {acc[mt][nv * 4], acc[mt][nv * 4 + 1], acc[mt][nv * 4 + 2], acc[mt][nv * 4 + 3]};
    }
    if (overlap) {
      // V(j) and K(j + 1) have landed and every warpgroup's P V(j - 1) and
      // QK^T(j) are done: V(j + 1) goes into V(j - 1)'s stage, K(j + 2)
      // into K(j)'s. Then QK^T(j + 1) and P V(j) are issued, and the wait
      // for the scores leaves P V(j) running into the next iteration's
      // softmax (the scores' chains were committed first).
      kb.create<nvgpu::DeviceAsyncWaitOp>(loc, firstGroup, kb.getI32IntegerAttr(0));
      fenceProxyAsync(kb);
      kb.create<gpu::BarrierOp>(loc);
      issueIfAny(kb, addAt(kb, j0, KT), /*isK=*/false);
      issueIfAny(kb, addAt(kb, j0, 2 * KT), /*isK=*/true);
      Value jNext = addAt(kb, j0, KT);
      SmallVector<Type> types(scoreTypes);
      types.append(MT * Dv / 2, f32);
      auto issue = kb.create<scf::IfOp>(loc, types, cmpi(kb, P::ult, jNext, jEnd), /*withElseRegion=*/true);
      auto flat = [](ArrayRef<SmallVector<Value>> groups) {
        SmallVector<Value> all;
        for (const auto &g : groups)
          all.append(g.begin(), g.end());
        return all;
      };
      {
        OpBuilder tb = issue.getThenBodyBuilder();
        SmallVector<SmallVector<Value>> scores = scoreChains(tb, stageBytesOf(tb, jNext), /*async=*/true);
        SmallVector<SmallVector<Value>> acc = pvChains(tb, stageBytes, s, o, /*async=*/true);
        SmallVector<Value> yielded = flat(wgmmaWait(tb, MT, scores));
        yielded.append(flat(acc));
        tb.create<scf::YieldOp>(loc, yielded);
      }
      {
        OpBuilder eb = issue.getElseBodyBuilder(); // the last tile: no scores to come
        SmallVector<Value> yielded(MT * KT / 2, f32c(eb, 0));
        yielded.append(flat(pvChains(eb, stageBytes, s, o, /*async=*/true)));
        eb.create<scf::YieldOp>(loc, yielded);
      }
      nextScores.assign(issue.getResults().begin(), issue.getResults().begin() + MT * KT / 2);
      for (int64_t mt = 0; mt < MT; ++mt)
        for (int64_t nv = 0; nv < Dv / 8; ++nv)
          for (int64_t e = 0; e < 4; ++e)
            o[mt][nv][e] = issue.getResult(MT * KT / 2 + mt * Dv / 2 + nv * 4 + e);
    }
    for (int64_t kc = 0; kc < (wgmma ? 0 : KT / 16); ++kc) {
      SmallVector<SmallVector<Value, 4>> a;
      for (int64_t mt = 0; mt < MT; ++mt) {
        const auto &lo = s[mt][2 * kc], &hi = s[mt][2 * kc + 1];
        a.push_back({pack(kb, lo[0], lo[1]), pack(kb, lo[2], lo[3]), pack(kb, hi[0], hi[1]), pack(kb, hi[2], hi[3])});
      }
      // One transposed ldmatrix: the B operands of 16 value columns, shared
      // by the row tiles.
      for (int64_t nv = 0; nv < Dv / 8; nv += 2) {
        SmallVector<Value, 4> vRegs = ldmatrix4(kb, vSh, tileRow(kc * 16), idxc(kb, nv * 8), true);
        for (int64_t mt = 0; mt < MT; ++mt) {
          o[mt][nv] = mma(kb, a[mt], {vRegs[0], vRegs[1]}, o[mt][nv]);
          o[mt][nv + 1] = mma(kb, a[mt], {vRegs[2], vRegs[3]}, o[mt][nv + 1]);
        }
      }
    }
    // next: per row tile m (2), l (2), O, in the layout of init.
    SmallVector<Value> layout;
    for (int64_t mt = 0; mt < MT; ++mt) {
      layout.append(next.begin() + mt * 4, next.begin() + mt * 4 + 4);
      for (auto &frag : o[mt])
        layout.append(frag.begin(), frag.end());
    }
    next = layout;
    next.append(nextScores.begin(), nextScores.end());
    kb.create<scf::YieldOp>(loc, next);
  });
  carriedState.assign(keyLoop.getResults().begin(), keyLoop.getResults().begin() + stateSize);
  if (overlap) // the last P V
    waitForO(ob, carriedState);
  } // passes

  // Epilogue per row: the normalizer's extra logit, 1 / l, the dtype, lse.
  ValueRange res = carriedState;
  auto one = ob.create<arith::ConstantOp>(loc, DenseElementsAttr::get(VectorType::get({1}, f32), ob.getF32FloatAttr(1)));
  for (int64_t mt = 0; mt < MT; ++mt)
    for (int r = 0; r < 2; ++r) {
      auto state = res.drop_front(mt * stride);
      Value row = rows[mt * 2 + r];
      Value m = state[r], l = state[2 + r];
      SmallVector<Value, 3> n = applyNormalizer(ob, h, m, l, one);
      Value corr = ob.create<vector::ExtractOp>(loc, n[2], ArrayRef<int64_t>{0});
      m = n[0], l = n[1];
      Value nonEmpty = ob.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, l, f32c(ob, 0));
      Value inv = ob.create<arith::SelectOp>(loc, nonEmpty, ob.create<arith::DivFOp>(loc, corr, l), f32c(ob, 0));
      Value valid = cmpi(ob, P::ult, row, lq);
      ob.create<scf::IfOp>(loc, valid, [&](OpBuilder &wb, Location) {
        for (int64_t nv = 0; nv < Dv / 8; ++nv)
          for (int e : {2 * r, 2 * r + 1}) {
            Value x = wb.create<arith::MulFOp>(loc, state[4 + nv * 4 + e], inv);
            if (!variant.getTypes().getOut().isF32())
              x = wb.create<arith::TruncFOp>(loc, variant.getTypes().getOut(), x);
            Value col = wb.create<arith::AddIOp>(loc, t2, idxc(wb, nv * 8 + e % 2));
            wb.create<memref::StoreOp>(loc, x, out, ValueRange{row, h, col});
          }
        if (lseOut) {
          Value lse = wb.create<arith::SelectOp>(loc, nonEmpty,
                                                 wb.create<arith::AddFOp>(loc, m, wb.create<math::LogOp>(loc, l)),
                                                 f32c(wb, kNegInf));
          wb.create<scf::IfOp>(loc, wb.create<arith::CmpIOp>(loc, P::eq, t4, idxc(wb, 0)), [&](OpBuilder &tb, Location) {
            tb.create<memref::StoreOp>(loc, lse, lseOut, ValueRange{row, h});
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
  using AttnLowerPrefillTensorCorePassBase::AttnLowerPrefillTensorCorePassBase;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    for (VariantOp v : llvm::to_vector(module.getOps<VariantOp>())) {
      if (maxBlockQueries < 64) {
        emitError(v.getLoc()) << "max-block-queries must be at least 64 (got " << static_cast<int64_t>(maxBlockQueries) << ")";
        return signalPassFailure();
      }
      if (stages != 1 && stages != 2) {
        emitError(v.getLoc()) << "stages must be 1 or 2 (got " << static_cast<int64_t>(stages) << ")";
        return signalPassFailure();
      }
      if (keyTile != 0 && keyTile != 16 && keyTile != 32 && keyTile != 64 && keyTile != 128) {
        emitError(v.getLoc()) << "key-tile must be 16, 32, 64 or 128 (got " << static_cast<int64_t>(keyTile) << ")";
        return signalPassFailure();
      }
      AttnLowerPrefillTensorCorePassOptions options;
      options.wgmma = wgmma;
      options.maxBlockQueries = maxBlockQueries;
      options.stages = stages;
      options.keyTile = keyTile;
      options.overlap = overlap;
      TensorCoreBuilder builder(v, module, options);
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
