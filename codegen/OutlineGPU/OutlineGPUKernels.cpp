//===- OutlineGPUKernels.cpp - attn-outline-gpu-kernels -------------------===//
//
// Moves the memref kernels made by attn-lower-to-loops into a gpu.module and
// wraps them in GPU entry points: `NAME_prefill_rows_gpu` runs one (query,
// head) work item per thread (item = block_id.x * block_dim.x + thread_id.x;
// the rows function clamps items past Lq * heads), `NAME_prefill_prepare_gpu`
// runs the RoPE preparation on thread 0 of block 0. The cache kernels of
// attn-lower-cache-kernels get the same treatment: `NAME_decode_merge_gpu`
// runs one work item per thread, `NAME_decode_split_gpu` one per block when
// it was built for blocks (`attn.block_threads`, the GPU pipeline's form),
// `NAME_append_gpu` runs on thread 0 and stores its status in a device word
// (its last parameter), or, built for blocks, a token per block. The
// tensor-core prefill's body is inlined into its entry point (a call would
// serialize wgmma). Functions marked `attn.work_items` (the model
// operations of attn-add-model-ops) become work-item kernels too. This is the first,
// CUDA-core form of the GPU path: it shares every numerical decision with the
// CPU kernels; tensor cores, shared-memory staging and a parallel prepare are
// the next steps. Host-side functions are removed: launching is the runtime's
// job (CUDA driver API).
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNOUTLINEGPUKERNELSPASS
#include "codegen/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {
struct AttnOutlineGPUKernelsPass
    : public mlir::attn::impl::AttnOutlineGPUKernelsPassBase<AttnOutlineGPUKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    OpBuilder b(ctx);
    Location loc = module.getLoc();
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(), UnitAttr::get(ctx));
    b.setInsertionPointToEnd(module.getBody());
    auto gpuModule = b.create<gpu::GPUModuleOp>(loc, "attn_kernels");

    // Device copies of the kernels and the constant tables they read.
    SmallVector<Operation *> hostOps;
    OpBuilder mb = OpBuilder::atBlockBegin(gpuModule.getBody());
    for (Operation &op : module.getBody()->getOperations()) {
      if (&op == gpuModule.getOperation())
        continue;
      if (isa<memref::GlobalOp, func::FuncOp>(op)) {
        mb.clone(op);
        hostOps.push_back(&op);
      }
    }
    for (Operation *op : hostOps)
      op->erase();

    SmallVector<func::FuncOp> kernels(gpuModule.getOps<func::FuncOp>()), inlined;
    OpBuilder kb0(ctx);
    for (func::FuncOp f : kernels) {
      f->removeAttr("llvm.emit_c_interface");
      StringRef name = f.getSymName();
      // Work-item functions (trailing begin, end): prefill rows, and the
      // decode split and merge of attn-lower-cache-kernels.
      bool isRows = name.ends_with("_prefill_rows") || name.ends_with("_decode_split") ||
                    name.ends_with("_decode_merge") || f->hasAttr("attn.work_items");
      bool isAppend = name.ends_with("_append");
      bool isPrepare = name.ends_with("_prefill_prepare");
      // attn-lower-prefill-tensor-core: the kernel reads its own block and
      // thread ids; prepare_tok takes its token from the global thread id.
      bool isTensorCore = name.ends_with("_prefill_tc") || name.ends_with("_prefill_varlen_tc");
      bool isPrepareToken = name.ends_with("_prefill_prepare_tok") || name.ends_with("_prefill_varlen_prepare_tok") ||
                            f->hasAttr("attn.thread_item");
      if (!isRows && !isPrepare && !isTensorCore && !isPrepareToken && !isAppend) {
        if (name.ends_with("_prefill_kernel") || name.ends_with("_decode"))
          f.erase(); // allocate scratch: host-side conveniences only
        continue;
      }
      // Kernel arguments: the function's, minus rows' trailing (begin, end);
      // append returns its status through a device word instead.
      ArrayRef<Type> inputs = f.getFunctionType().getInputs();
      SmallVector<Type> args(inputs.begin(), inputs.end() - (isRows ? 2 : isPrepareToken ? 1 : 0));
      if (isAppend)
        args.push_back(MemRefType::get({1}, kb0.getI32Type()));
      OpBuilder kb = OpBuilder::atBlockTerminator(gpuModule.getBody());
      auto kernel = kb.create<gpu::GPUFuncOp>(loc, (name + "_gpu").str(),
                                              kb.getFunctionType(args, {}));
      kernel->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), UnitAttr::get(ctx));
      Block &entry = kernel.getBody().front();
      kb.setInsertionPointToStart(&entry);
      // A block-form decode_split (attn.block_threads) reads its thread id
      // itself: its work item is the block.
      bool isBlockItem = f->hasAttr("attn.block_threads");
      Value item = isBlockItem
                       ? kb.create<gpu::BlockIdOp>(loc, gpu::Dimension::x).getResult()
                       : kb.create<arith::AddIOp>(
                             loc,
                             kb.create<arith::MulIOp>(loc, kb.create<gpu::BlockIdOp>(loc, gpu::Dimension::x),
                                                      kb.create<gpu::BlockDimOp>(loc, gpu::Dimension::x)),
                             kb.create<gpu::ThreadIdOp>(loc, gpu::Dimension::x))
                             .getResult();
      if (isBlockItem)
        kernel->setAttr("attn.block_threads", f->getAttr("attn.block_threads"));
      // The launch's dynamic shared memory (the tensor-core prefill's
      // window) and block shape.
      for (StringRef name : {"attn.dynamic_shared_bytes", "attn.tensor_core_block"})
        if (Attribute a = f->getAttr(name))
          kernel->setAttr(name, a);
      SmallVector<Value> callArgs(entry.getArguments().begin(), entry.getArguments().end());
      if (isTensorCore && f.getBody().hasOneBlock()) {
        // Inlined: ptxas serializes wgmma.mma_async across a call (C7510,
        // "wgmma pipeline crossing function boundary").
        IRMapping map;
        Block &body = f.getBody().front();
        map.map(body.getArguments(), callArgs);
        for (Operation &op : body.without_terminator())
          kb.clone(op, map);
        inlined.push_back(f);
      } else if (isTensorCore) {
        kb.create<func::CallOp>(loc, f, callArgs);
      } else if (isPrepareToken) {
        callArgs.push_back(item);
        kb.create<func::CallOp>(loc, f, callArgs);
      } else if (isRows) {
        callArgs.push_back(item);
        callArgs.push_back(kb.create<arith::AddIOp>(
            loc, item, kb.create<arith::ConstantIndexOp>(loc, 1)));
        kb.create<func::CallOp>(loc, f, callArgs);
      } else if (isAppend && isBlockItem) {
        // A token per block: every thread runs the function (it has
        // barriers); thread 0 of block 0 stores the status, which every
        // thread computed alike.
        Value statusOut = callArgs.pop_back_val();
        Value status = kb.create<func::CallOp>(loc, f, callArgs).getResult(0);
        Value zero = kb.create<arith::ConstantIndexOp>(loc, 0);
        Value first = kb.create<arith::AndIOp>(
            loc, kb.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, item, zero),
            kb.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq,
                                     kb.create<gpu::ThreadIdOp>(loc, gpu::Dimension::x), zero));
        kb.create<scf::IfOp>(loc, first, [&](OpBuilder &tb, Location) {
          tb.create<memref::StoreOp>(loc, status, statusOut, ValueRange{zero});
          tb.create<scf::YieldOp>(loc);
        });
      } else if (isAppend) {
        // One thread writes every token (the status checks come first and
        // cover the whole call).
        Value first = kb.create<arith::CmpIOp>(
            loc, arith::CmpIPredicate::eq, item, kb.create<arith::ConstantIndexOp>(loc, 0));
        Value statusOut = callArgs.pop_back_val();
        kb.create<scf::IfOp>(loc, first, [&](OpBuilder &tb, Location) {
          Value status = tb.create<func::CallOp>(loc, f, callArgs).getResult(0);
          tb.create<memref::StoreOp>(loc, status, statusOut, ValueRange{tb.create<arith::ConstantIndexOp>(loc, 0)});
          tb.create<scf::YieldOp>(loc);
        });
      } else {
        Value first = kb.create<arith::CmpIOp>(
            loc, arith::CmpIPredicate::eq, item, kb.create<arith::ConstantIndexOp>(loc, 0));
        kb.create<scf::IfOp>(loc, first, [&](OpBuilder &tb, Location) {
          tb.create<func::CallOp>(loc, f, callArgs);
          tb.create<scf::YieldOp>(loc);
        });
      }
      kb.create<gpu::ReturnOp>(loc);
    }
    for (func::FuncOp f : inlined)
      f.erase();
  }
};
} // namespace
