//===- AddModelOps.cpp - attn-add-model-ops ---------------------------------===//
//
// Adds the element-wise operations a llama-family model runs around attention
// and its matrix products, as work-item functions on memrefs, so the GPU
// runtime (attn-run --device cuda) gets them from the same pipeline as the
// attention kernels (MLIR -> NVVM -> PTX) and the CPU emulation gets their
// twins:
//   attnc_model_rmsnorm_rows(x [rows][dim], w [dim], out [rows][dim],
//                            eps_bits: i32, begin, end)
//     out[r] = x[r] / sqrt(mean(x[r]^2) + eps) * w, one row per item;
//   attnc_model_swiglu_rows(gate [n], up [n], out [n], begin, end)
//     out[e] = gate[e] / (1 + exp(-gate[e])) * up[e], one element per item.
// Items past the rows (elements) are ignored, so a launch may round up. The
// f32 eps travels as its bit pattern in an i32: the CPU emulation calls the
// twins with integer registers only. The functions carry `attn.work_items`,
// which attn-outline-gpu-kernels wraps as one item per thread; with
// `block-threads` RMSNorm's item is a block instead (`attn.block_threads`),
// whose threads share the row.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNADDMODELOPSPASS
#include "codegen/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {

struct AttnAddModelOpsPass : public mlir::attn::impl::AttnAddModelOpsPassBase<AttnAddModelOpsPass> {
  using AttnAddModelOpsPassBase::AttnAddModelOpsPassBase;
  /// A public function `name` of `args` (then begin, end: index) with
  /// `attn.work_items`; the builder is left at the start of its body.
  func::FuncOp declare(OpBuilder &b, Location loc, StringRef name, SmallVector<Type> args) {
    args.push_back(b.getIndexType());
    args.push_back(b.getIndexType());
    auto f = b.create<func::FuncOp>(loc, name, b.getFunctionType(args, {}));
    f->setAttr("attn.work_items", b.getUnitAttr());
    b.setInsertionPointToStart(f.addEntryBlock());
    return f;
  }

  /// The items of [begin, end) below `count`.
  static std::pair<Value, Value> clamp(OpBuilder &b, Location loc, Value begin, Value end, Value count) {
    return {b.create<arith::MinSIOp>(loc, begin, count), b.create<arith::MinSIOp>(loc, end, count)};
  }

  /// out[r][c] = x[r][c] * inv * w[c] for c = first, first + step, ... < dim
  /// (RMSNorm's function f: x, w, out are its first arguments).
  static void scaleRow(OpBuilder &b, Location loc, func::FuncOp f, Value r, Value inv, Value first, Value step,
                       Value dim) {
    Value x = f.getArgument(0), w = f.getArgument(1), out = f.getArgument(2);
    b.create<scf::ForOp>(loc, first, dim, step, ValueRange{}, [&](OpBuilder &cb, Location, Value c, ValueRange) {
      Value v = cb.create<memref::LoadOp>(loc, x, ValueRange{r, c});
      Value y = cb.create<arith::MulFOp>(loc, cb.create<arith::MulFOp>(loc, v, inv),
                                         cb.create<memref::LoadOp>(loc, w, ValueRange{c}));
      cb.create<memref::StoreOp>(loc, y, out, ValueRange{r, c});
      cb.create<scf::YieldOp>(loc);
    });
  }

  void addRmsNorm(OpBuilder &b, Location loc) {
    Type f32 = b.getF32Type(), i32 = b.getI32Type();
    auto m2 = MemRefType::get({ShapedType::kDynamic, ShapedType::kDynamic}, f32);
    auto m1 = MemRefType::get({ShapedType::kDynamic}, f32);
    OpBuilder::InsertionGuard guard(b);
    func::FuncOp f = declare(b, loc, "attnc_model_rmsnorm_rows", {m2, m1, m2, i32});
    Value x = f.getArgument(0);
    Value eps = b.create<arith::BitcastOp>(loc, f32, f.getArgument(3));
    Value rows = b.create<memref::DimOp>(loc, x, 0);
    auto [lo, hi] = clamp(b, loc, f.getArgument(4), f.getArgument(5), rows);
    if (blockThreads) {
      addRmsNormBlockBody(b, loc, f, eps, lo, hi);
      return;
    }
    Value c0 = b.create<arith::ConstantIndexOp>(loc, 0), c1 = b.create<arith::ConstantIndexOp>(loc, 1);
    Value dim = b.create<memref::DimOp>(loc, x, 1);
    Value zero = b.create<arith::ConstantFloatOp>(loc, APFloat(0.0f), b.getF32Type());
    Value one = b.create<arith::ConstantFloatOp>(loc, APFloat(1.0f), b.getF32Type());
    Value dimF = b.create<arith::UIToFPOp>(loc, f32, b.create<arith::IndexCastOp>(loc, b.getI64Type(), dim));
    b.create<scf::ForOp>(loc, lo, hi, c1, ValueRange{}, [&](OpBuilder &rb, Location, Value r, ValueRange) {
      auto sum = rb.create<scf::ForOp>(loc, c0, dim, c1, ValueRange{zero},
                                       [&](OpBuilder &sb, Location, Value c, ValueRange acc) {
                                         Value v = sb.create<memref::LoadOp>(loc, x, ValueRange{r, c});
                                         Value s = sb.create<math::FmaOp>(loc, v, v, acc[0]);
                                         sb.create<scf::YieldOp>(loc, s);
                                       });
      Value mean = rb.create<arith::DivFOp>(loc, sum.getResult(0), dimF);
      Value inv = rb.create<arith::DivFOp>(
          loc, one, rb.create<math::SqrtOp>(loc, rb.create<arith::AddFOp>(loc, mean, eps)));
      scaleRow(rb, loc, f, r, inv, c0, c1, dim);
      rb.create<scf::YieldOp>(loc);
    });
    b.create<func::ReturnOp>(loc);
  }

  /// RMSNorm rows [lo, hi) as thread blocks of `blockThreads` threads: the
  /// threads stride over the columns; the sum of squares is reduced in each
  /// warp by xor shuffles, then across the warps through workgroup memory.
  void addRmsNormBlockBody(OpBuilder &b, Location loc, func::FuncOp f, Value eps, Value lo, Value hi) {
    const int64_t NT = blockThreads, warps = NT / 32;
    FloatType f32 = b.getF32Type();
    f->setAttr("attn.block_threads", b.getI64IntegerAttr(NT));
    Value x = f.getArgument(0);
    auto idx = [&](OpBuilder &ob, int64_t v) { return ob.create<arith::ConstantIndexOp>(loc, v).getResult(); };
    Value dim = b.create<memref::DimOp>(loc, x, 1);
    Value zero = b.create<arith::ConstantFloatOp>(loc, APFloat(0.0f), f32);
    Value one = b.create<arith::ConstantFloatOp>(loc, APFloat(1.0f), f32);
    Value dimF = b.create<arith::UIToFPOp>(loc, f32, b.create<arith::IndexCastOp>(loc, b.getI64Type(), dim));
    auto space = gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup);
    auto partialType = MemRefType::get({warps}, f32, MemRefLayoutAttrInterface(), space);
    {
      ModuleOp module = getOperation();
      OpBuilder mb = OpBuilder::atBlockBegin(module.getBody());
      mb.create<memref::GlobalOp>(loc, "attnc_model_rmsnorm_partial", mb.getStringAttr("private"), partialType,
                                  Attribute(), /*constant=*/false, IntegerAttr());
    }
    Value partial = b.create<memref::GetGlobalOp>(loc, partialType, "attnc_model_rmsnorm_partial");
    Value tid = b.create<gpu::ThreadIdOp>(loc, gpu::Dimension::x);
    Value lane = b.create<arith::RemUIOp>(loc, tid, idx(b, 32));
    Value warp = b.create<arith::DivUIOp>(loc, tid, idx(b, 32));
    b.create<scf::ForOp>(loc, lo, hi, idx(b, 1), ValueRange{}, [&](OpBuilder &rb, Location, Value r, ValueRange) {
      auto sum = rb.create<scf::ForOp>(loc, tid, dim, idx(rb, NT), ValueRange{zero},
                                       [&](OpBuilder &sb, Location, Value c, ValueRange acc) {
                                         Value v = sb.create<memref::LoadOp>(loc, x, ValueRange{r, c});
                                         sb.create<scf::YieldOp>(loc, ValueRange{sb.create<math::FmaOp>(loc, v, v, acc[0])});
                                       });
      Value s = sum.getResult(0);
      Value width = rb.create<arith::ConstantIntOp>(loc, 32, 32);
      for (int64_t off = 16; off >= 1; off /= 2) {
        Value o = rb.create<arith::ConstantIntOp>(loc, off, 32);
        s = rb.create<arith::AddFOp>(
            loc, s, rb.create<gpu::ShuffleOp>(loc, s, o, width, gpu::ShuffleMode::XOR).getShuffleResult());
      }
      Value first = rb.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, lane, idx(rb, 0));
      rb.create<scf::IfOp>(loc, first, [&](OpBuilder &tb, Location) {
        tb.create<memref::StoreOp>(loc, s, partial, ValueRange{warp});
        tb.create<scf::YieldOp>(loc);
      });
      rb.create<gpu::BarrierOp>(loc);
      // Every thread adds the warps' sums in the same order.
      Value total = zero;
      for (int64_t i = 0; i < warps; ++i)
        total = rb.create<arith::AddFOp>(loc, total, rb.create<memref::LoadOp>(loc, partial, ValueRange{idx(rb, i)}));
      Value mean = rb.create<arith::DivFOp>(loc, total, dimF);
      Value inv = rb.create<arith::DivFOp>(loc, one, rb.create<math::SqrtOp>(loc, rb.create<arith::AddFOp>(loc, mean, eps)));
      scaleRow(rb, loc, f, r, inv, tid, idx(rb, NT), dim);
      // The next row's partial sums overwrite this row's.
      rb.create<gpu::BarrierOp>(loc);
      rb.create<scf::YieldOp>(loc);
    });
    b.create<func::ReturnOp>(loc);
  }

  void addSwiGLU(OpBuilder &b, Location loc) {
    Type f32 = b.getF32Type();
    auto m1 = MemRefType::get({ShapedType::kDynamic}, f32);
    OpBuilder::InsertionGuard guard(b);
    func::FuncOp f = declare(b, loc, "attnc_model_swiglu_rows", {m1, m1, m1});
    Value gate = f.getArgument(0), up = f.getArgument(1), out = f.getArgument(2);
    Value c1 = b.create<arith::ConstantIndexOp>(loc, 1);
    Value n = b.create<memref::DimOp>(loc, gate, 0);
    auto [lo, hi] = clamp(b, loc, f.getArgument(3), f.getArgument(4), n);
    Value one = b.create<arith::ConstantFloatOp>(loc, APFloat(1.0f), b.getF32Type());
    b.create<scf::ForOp>(loc, lo, hi, c1, ValueRange{}, [&](OpBuilder &eb, Location, Value e, ValueRange) {
      Value g = eb.create<memref::LoadOp>(loc, gate, ValueRange{e});
      Value sig = eb.create<arith::AddFOp>(loc, one, eb.create<math::ExpOp>(loc, eb.create<arith::NegFOp>(loc, g)));
      Value y = eb.create<arith::MulFOp>(loc, eb.create<arith::DivFOp>(loc, g, sig),
                                         eb.create<memref::LoadOp>(loc, up, ValueRange{e}));
      eb.create<memref::StoreOp>(loc, y, out, ValueRange{e});
      eb.create<scf::YieldOp>(loc);
    });
    b.create<func::ReturnOp>(loc);
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (blockThreads < 0 || blockThreads % 32 || blockThreads > 1024) {
      module.emitError("attn-add-model-ops: block-threads must be a multiple of 32 up to 1024, got ")
          << static_cast<int64_t>(blockThreads);
      return signalPassFailure();
    }
    if (module.lookupSymbol("attnc_model_rmsnorm_rows") || module.lookupSymbol("attnc_model_swiglu_rows")) {
      module.emitError("the module already defines attnc_model_* functions");
      return signalPassFailure();
    }
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    addRmsNorm(b, module.getLoc());
    addSwiGLU(b, module.getLoc());
  }
};

} // namespace
