//===- EmulateGPUOnCPU.cpp - attn-emulate-gpu-on-cpu -----------------------===//
//
// Makes the tensor-core functions of attn-lower-prefill-tensor-core runnable
// on the CPU, one fiber per GPU thread, for testing without a GPU: every
// GPU-only operation becomes a call into an emulation runtime
// (test/GPU/Inputs/fake_cuda.c provides it):
//   gpu.thread_id x / gpu.block_id x, y -> attnc_emu_thread_id / _block_id_x / _y
//   gpu.barrier                         -> attnc_emu_barrier (the block's threads)
//   gpu.shuffle xor (f32)               -> attnc_emu_shfl_xor (the warp's lanes)
//   llvm.call_intrinsic mma m16n8k16    -> attnc_emu_mma(kind, a0..a3, b0, b1,
//                                          c0..c3, e), once per result element e;
//                                          f16 operands are passed as i32 pairs
//   nvgpu.device_async_copy             -> attnc_emu_async_copy(dst, src, bytes, src bytes):
//                                          held until a wait completes its group, the
//                                          destination poisoned (NaN) meanwhile
//   nvgpu.device_async_create_group/wait -> attnc_emu_async_commit / _wait(n)
//   nvgpu.ldmatrix (16-bit)             -> attnc_emu_ldmatrix(row address, transpose,
//                                          tiles), then _reg(i) per register
//   memref.assume_alignment             -> attnc_emu_assume_aligned(address, alignment):
//                                          aborts where the claim is false
//   inline PTX marked attnc.wgmma        -> attnc_emu_wgmma(kind, n, trans_b, a0..a3,
//     (a chain of wgmma.mma_async)         descriptor, window, first) per step (A in
//                                          registers) or attnc_emu_wgmma_ss(kind, n,
//                                          trans_b, A's descriptor, B's, window, first),
//                                          a warpgroup collective (its 128 threads only) reading shared memory
//                                          through the descriptors, then _acc(i) per
//                                          register
//   an async chain (`async` in the dict) -> the same, its accumulators queued by
//                                          attnc_emu_wgmma_stash/_commit_async and
//                                          its results NaN
//   inline PTX marked attnc.wgmma_wait   -> attnc_emu_wgmma_wait(pending, groups,
//                                          registers), then _take(i, operand) per
//                                          output: the completed chains' values
//   the dynamic shared memory global     -> a host global of 227 KiB (the most a block
//     (attnc.dynamic_shared)               may ask for); a function marked
//                                          attn.dynamic_shared_bytes first calls
//                                          attnc_emu_dynamic_shared(bytes), which checks
//                                          the launch gave that much
//   inline PTX marked attnc.emulate =   -> attnc_emu_fence_proxy_async (a wgmma after
//     "fence_proxy_async"                  copies not fenced by their threads aborts)
//   workgroup-memory globals            -> ordinary globals (one block runs at a time),
//                                          and views of them ordinary memrefs
// The rest of the function (indexing, masks, the online softmax) is the GPU
// kernel's own IR, compiled for the host.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"

#include <limits>

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNEMULATEGPUONCPUPASS
#include "codegen/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {

/// Dynamic shared memory of the emulated block: the most an sm_90 block may
/// ask for (227 KiB).
constexpr int64_t kEmulatedDynamicSharedBytes = 227 * 1024;

struct AttnEmulateGPUOnCPUPass
    : public mlir::attn::impl::AttnEmulateGPUOnCPUPassBase<AttnEmulateGPUOnCPUPass> {
  ModuleOp module;

  /// The runtime function `name` : (args) -> (results), declared once.
  func::FuncOp runtime(StringRef name, TypeRange args, TypeRange results) {
    if (auto f = module.lookupSymbol<func::FuncOp>(name))
      return f;
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    auto f = b.create<func::FuncOp>(module.getLoc(), name, b.getFunctionType(args, results));
    f.setPrivate();
    return f;
  }

  Value call(OpBuilder &b, Location loc, StringRef name, ValueRange args, Type result) {
    SmallVector<Type> results;
    if (result)
      results.push_back(result);
    func::FuncOp f = runtime(name, args.getTypes(), results);
    auto c = b.create<func::CallOp>(loc, f, args);
    return result ? c.getResult(0) : Value();
  }

  /// An mma operand register as i32 (bf16 pairs already are; f16 pairs are
  /// vector<2xf16>).
  Value asI32(OpBuilder &b, Location loc, Value v) {
    if (v.getType().isInteger(32))
      return v;
    Value w = b.create<vector::BitCastOp>(loc, VectorType::get({1}, b.getI32Type()), v);
    return b.create<vector::ExtractOp>(loc, w, ArrayRef<int64_t>{0});
  }

  /// The struct `op` returns (an mma's, a wgmma chain's) is read field by
  /// field: each llvm.extractvalue becomes `fields[i]` (and dead).
  static LogicalResult replaceFields(Operation *op, ArrayRef<Value> fields, SmallVectorImpl<Operation *> &dead) {
    for (Operation *user : llvm::make_early_inc_range(op->getUsers())) {
      auto ex = dyn_cast<LLVM::ExtractValueOp>(user);
      if (!ex || ex.getPosition().size() != 1)
        return user->emitError("the results of ") << op->getName() << " are read by extractvalue only";
      ex.getResult().replaceAllUsesWith(fields[ex.getPosition()[0]]);
      dead.push_back(ex);
    }
    return success();
  }

  static int64_t elementBytes(Value memref) {
    return cast<MemRefType>(memref.getType()).getElementType().getIntOrFloatBitWidth() / 8;
  }

  /// The host address (i64) of element `indices` of `memref`.
  Value address(OpBuilder &b, Location loc, Value memref, ValueRange indices) {
    auto meta = b.create<memref::ExtractStridedMetadataOp>(loc, memref);
    Value offset = meta.getOffset();
    for (auto [i, index] : llvm::enumerate(indices))
      offset = b.create<arith::AddIOp>(loc, offset, b.create<arith::MulIOp>(loc, index, meta.getStrides()[i]));
    Value base = b.create<memref::ExtractAlignedPointerAsIndexOp>(loc, memref);
    Value bytes = b.create<arith::ConstantIndexOp>(loc, elementBytes(memref));
    Value addr = b.create<arith::AddIOp>(loc, base, b.create<arith::MulIOp>(loc, offset, bytes));
    return b.create<arith::IndexCastOp>(loc, b.getI64Type(), addr);
  }

  void runOnOperation() override {
    module = getOperation();
    MLIRContext *ctx = &getContext();
    Type idx = IndexType::get(ctx), f32 = Float32Type::get(ctx), i32 = IntegerType::get(ctx, 32),
         i64 = IntegerType::get(ctx, 64);
    SmallVector<Operation *> dead, groups;
    module.walk([&](Operation *op) {
      OpBuilder b(op);
      Location loc = op->getLoc();
      if (auto t = dyn_cast<gpu::ThreadIdOp>(op)) {
        if (t.getDimension() != gpu::Dimension::x)
          return op->emitError("only thread_id x is emulated"), signalPassFailure();
        op->getResult(0).replaceAllUsesWith(call(b, loc, "attnc_emu_thread_id", {}, idx));
      } else if (auto bl = dyn_cast<gpu::BlockIdOp>(op)) {
        StringRef fn = bl.getDimension() == gpu::Dimension::x   ? "attnc_emu_block_id_x"
                       : bl.getDimension() == gpu::Dimension::y ? "attnc_emu_block_id_y"
                                                                : "attnc_emu_block_id_z";
        op->getResult(0).replaceAllUsesWith(call(b, loc, fn, {}, idx));
      } else if (isa<gpu::BarrierOp>(op)) {
        call(b, loc, "attnc_emu_barrier", {}, Type());
      } else if (auto s = dyn_cast<gpu::ShuffleOp>(op)) {
        if (s.getMode() != gpu::ShuffleMode::XOR || !s.getValue().getType().isF32())
          return op->emitError("only f32 xor shuffles are emulated"), signalPassFailure();
        s.getShuffleResult().replaceAllUsesWith(
            call(b, loc, "attnc_emu_shfl_xor", {s.getValue(), s.getOffset()}, f32));
        s.getValid().replaceAllUsesWith(b.create<arith::ConstantIntOp>(loc, 1, 1).getResult());
      } else if (auto intr = dyn_cast<LLVM::CallIntrinsicOp>(op)) {
        StringRef name = intr.getIntrin();
        int64_t kind = name == "llvm.nvvm.mma.m16n8k16.row.col.bf16"      ? 0
                       : name == "llvm.nvvm.mma.m16n8k16.row.col.f32.f32" ? 1
                                                                           : -1;
        if (kind < 0)
          return op->emitError("intrinsic ") << name << " is not emulated", signalPassFailure();
        SmallVector<Value> args = {b.create<arith::ConstantIntOp>(loc, kind, 64)};
        for (unsigned i = 0; i < 6; ++i)
          args.push_back(asI32(b, loc, intr.getOperand(i)));
        for (unsigned i = 6; i < 10; ++i)
          args.push_back(intr.getOperand(i));
        SmallVector<Value> elems;
        for (int64_t e = 0; e < 4; ++e) {
          SmallVector<Value> a = args;
          a.push_back(b.create<arith::ConstantIntOp>(loc, e, 64));
          elems.push_back(call(b, loc, "attnc_emu_mma", a, f32));
        }
        if (failed(replaceFields(intr, elems, dead)))
          return signalPassFailure();
      } else if (auto copy = dyn_cast<nvgpu::DeviceAsyncCopyOp>(op)) {
        // The runtime keeps the bytes until a wait completes the copy's
        // group and poisons the destination meanwhile (NaN bytes), so a read
        // before the wait, or a copy over data a warp still reads, shows.
        int64_t bytes = elementBytes(copy.getDst()) * copy.getDstElements().getZExtValue();
        Value srcBytes = copy.getSrcElements()
                             ? b.create<arith::MulIOp>(loc, copy.getSrcElements(),
                                                       b.create<arith::ConstantIndexOp>(loc, elementBytes(copy.getSrc())))
                             : b.create<arith::ConstantIndexOp>(loc, bytes).getResult();
        call(b, loc, "attnc_emu_async_copy",
             {address(b, loc, copy.getDst(), copy.getDstIndices()), address(b, loc, copy.getSrc(), copy.getSrcIndices()),
              b.create<arith::ConstantIntOp>(loc, bytes, 64), b.create<arith::IndexCastOp>(loc, i64, srcBytes)},
             Type());
      } else if (isa<nvgpu::DeviceAsyncCreateGroupOp>(op)) {
        call(b, loc, "attnc_emu_async_commit", {}, Type());
        groups.push_back(op); // after its waits
        return;
      } else if (auto w = dyn_cast<nvgpu::DeviceAsyncWaitOp>(op)) {
        int64_t n = w.getNumGroups() ? *w.getNumGroups() : 0;
        call(b, loc, "attnc_emu_async_wait", {b.create<arith::ConstantIntOp>(loc, n, 64)}, Type());
      } else if (auto ldm = dyn_cast<nvgpu::LdMatrixOp>(op)) {
        // Warp-collective: every lane gives a row address; then register i
        // of this lane is read back.
        auto vt = ldm.getRes().getType();
        int64_t tiles = ldm.getNumTiles();
        if (elementBytes(ldm.getSrcMemref()) != 2 || vt.getRank() != 2 || vt.getDimSize(1) != 2)
          return op->emitError("only 16-bit ldmatrix is emulated"), signalPassFailure();
        call(b, loc, "attnc_emu_ldmatrix",
             {address(b, loc, ldm.getSrcMemref(), ldm.getIndices()),
              b.create<arith::ConstantIntOp>(loc, ldm.getTranspose() ? 1 : 0, 64),
              b.create<arith::ConstantIntOp>(loc, tiles, 64)},
             Type());
        Value result = b.create<arith::ConstantOp>(loc, b.getZeroAttr(vt));
        auto pairType = VectorType::get({2}, vt.getElementType());
        for (int64_t i = 0; i < tiles; ++i) {
          Value reg = call(b, loc, "attnc_emu_ldmatrix_reg", {b.create<arith::ConstantIntOp>(loc, i, 64)}, i32);
          Value w = b.create<vector::BroadcastOp>(loc, VectorType::get({1}, i32), reg);
          Value pair = b.create<vector::BitCastOp>(loc, pairType, w);
          result = b.create<vector::InsertOp>(loc, pair, result, ArrayRef<int64_t>{i});
        }
        ldm.getRes().replaceAllUsesWith(result);
      } else if (auto inlineAsm = dyn_cast<LLVM::InlineAsmOp>(op)) {
        auto emulate = inlineAsm->getAttrOfType<StringAttr>("attnc.emulate");
        auto chain = inlineAsm->getAttrOfType<DictionaryAttr>("attnc.wgmma");
        auto wait = inlineAsm->getAttrOfType<DictionaryAttr>("attnc.wgmma_wait");
        if (emulate && emulate.getValue() == "fence_proxy_async") {
          call(b, loc, "attnc_emu_fence_proxy_async", {}, Type());
        } else if (wait) {
          // The completed chains' accumulators, oldest first, from the
          // runtime's queue (the operands, where nothing was in flight).
          auto groups = cast<DenseI64ArrayAttr>(wait.get("groups")).asArrayRef();
          auto c64 = [&](int64_t v) { return (Value)b.create<arith::ConstantIntOp>(loc, v, 64); };
          call(b, loc, "attnc_emu_wgmma_wait",
               {c64(cast<IntegerAttr>(wait.get("pending")).getInt()), c64(groups.size()),
                c64(inlineAsm.getOperands().size())},
               Type());
          SmallVector<Value> elems;
          for (auto [i, operand] : llvm::enumerate(inlineAsm.getOperands()))
            elems.push_back(call(b, loc, "attnc_emu_wgmma_take", {c64(i), operand}, f32));
          if (failed(replaceFields(inlineAsm, elems, dead)))
            return signalPassFailure();
        } else if (chain) {
          // Operands: [accumulators in], per step a0..a3 and the descriptor,
          // a zero (the PTX's scale-d predicate), the window's address.
          auto get = [&](StringRef key) { return cast<IntegerAttr>(chain.get(key)).getInt(); };
          auto flag = [&](StringRef key) { return cast<BoolAttr>(chain.get(key)).getValue(); };
          int64_t n = get("n"), steps = get("steps"), regs = n / 2;
          bool accumulate = flag("accumulate"), aShared = flag("a_shared");
          ValueRange operands = inlineAsm.getOperands();
          int64_t first = accumulate ? regs : 0, perStep = aShared ? 2 : 5;
          Value window = operands[first + perStep * steps + 1];
          auto c64 = [&](int64_t v) { return (Value)b.create<arith::ConstantIntOp>(loc, v, 64); };
          for (int64_t st = 0; st < steps; ++st) {
            SmallVector<Value> args = {c64(flag("f16") ? 1 : 0), c64(n), c64(flag("trans_b") ? 1 : 0)};
            ValueRange step = operands.slice(first + perStep * st, perStep);
            for (int64_t i = 0; i < perStep - 1; ++i)
              args.push_back(aShared ? step[i] : asI32(b, loc, step[i]));
            args.append({step.back(), window, c64(st == 0 ? 1 : 0)});
            call(b, loc, aShared ? "attnc_emu_wgmma_ss" : "attnc_emu_wgmma", args, Type());
          }
          SmallVector<Value> elems;
          for (int64_t i = 0; i < regs; ++i) {
            Value d = call(b, loc, "attnc_emu_wgmma_acc", {c64(i)}, f32);
            elems.push_back(accumulate ? b.create<arith::AddFOp>(loc, operands[i], d).getResult() : d);
          }
          if (auto async = chain.getAs<BoolAttr>("async"); async && async.getValue()) {
            // Committed, not waited for: the values wait in the runtime's
            // queue for the wgmma_wait that completes the chain; the
            // registers read NaN until then.
            for (int64_t i = 0; i < regs; ++i)
              call(b, loc, "attnc_emu_wgmma_stash", {c64(i), elems[i]}, Type());
            call(b, loc, "attnc_emu_wgmma_commit_async", {c64(regs)}, Type());
            Value nan = b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(std::numeric_limits<float>::quiet_NaN()));
            elems.assign(regs, nan);
          }
          if (failed(replaceFields(inlineAsm, elems, dead)))
            return signalPassFailure();
        } else {
          return; // host inline assembly (the AMX permission request)
        }
      } else if (auto assume = dyn_cast<memref::AssumeAlignmentOp>(op)) {
        // Checked, not assumed: a kernel that claims an alignment its
        // buffer lacks would fault on the GPU (a 16-byte load), not here.
        SmallVector<Value> zeros(cast<MemRefType>(assume.getMemref().getType()).getRank(),
                                 b.create<arith::ConstantIndexOp>(loc, 0));
        call(b, loc, "attnc_emu_assume_aligned",
             {address(b, loc, assume.getMemref(), zeros),
              b.create<arith::ConstantIntOp>(loc, assume.getAlignment(), 64)},
             Type());
      } else if (auto g = dyn_cast<memref::GlobalOp>(op)) {
        if (g->hasAttr("attnc.dynamic_shared")) { // defined here, as large as a launch may ask
          Type e = g.getType().getElementType();
          g.setType(MemRefType::get({kEmulatedDynamicSharedBytes / (e.getIntOrFloatBitWidth() / 8)}, e));
          SymbolTable::setSymbolVisibility(g, SymbolTable::Visibility::Private);
          g.setInitialValueAttr(UnitAttr::get(ctx));
        } else if (isa_and_nonnull<gpu::AddressSpaceAttr>(g.getType().getMemorySpace())) {
          g.setType(MemRefType::get(g.getType().getShape(), g.getType().getElementType()));
        }
        return;
      } else if (auto gg = dyn_cast<memref::GetGlobalOp>(op)) {
        auto t = cast<MemRefType>(gg.getType());
        auto g = module.lookupSymbol<memref::GlobalOp>(gg.getNameAttr());
        if (g && g->hasAttr("attnc.dynamic_shared"))
          gg.getResult().setType(g.getType());
        else if (isa_and_nonnull<gpu::AddressSpaceAttr>(t.getMemorySpace()))
          gg.getResult().setType(MemRefType::get(t.getShape(), t.getElementType()));
        return;
      } else if (auto f = dyn_cast<func::FuncOp>(op)) {
        if (auto bytes = f->getAttrOfType<IntegerAttr>("attn.dynamic_shared_bytes"); bytes && !f.isExternal()) {
          OpBuilder eb = OpBuilder::atBlockBegin(&f.getBody().front());
          call(eb, loc, "attnc_emu_dynamic_shared", {eb.create<arith::ConstantIntOp>(loc, bytes.getInt(), 64)},
               Type());
        }
        return;
      } else {
        return;
      }
      dead.push_back(op);
    });
    (void)i32;
    (void)i64;
    for (Operation *op : dead)
      op->erase();
    for (Operation *op : groups)
      op->erase();
    // Views of workgroup memory (subviews, casts, region arguments) lose
    // the memory space with their buffers.
    auto hostType = [](Type t) -> Type {
      auto m = dyn_cast<MemRefType>(t);
      if (!m || !isa_and_nonnull<gpu::AddressSpaceAttr>(m.getMemorySpace()))
        return t;
      return MemRefType::get(m.getShape(), m.getElementType(), m.getLayout());
    };
    module.walk([&](Operation *op) {
      for (Value r : op->getResults())
        r.setType(hostType(r.getType()));
      for (Region &region : op->getRegions())
        for (Block &block : region)
          for (BlockArgument a : block.getArguments())
            a.setType(hostType(a.getType()));
    });
  }
};

} // namespace
