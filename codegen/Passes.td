//===- Passes.td - attn code generation passes -------------*- tablegen -*-===//
#ifndef ATTNC_CODEGEN_PASSES_TD
#define ATTNC_CODEGEN_PASSES_TD

include "mlir/Pass/PassBase.td"

def AttnLowerToLoopsPass : Pass<"attn-lower-to-loops", "mlir::ModuleOp"> {
  let summary = "Lower each attn.variant's prefill kernel to loops on memrefs";
  let description = [{
    For every `attn.variant @V`, replaces the tensor-level `@V_prefill` with a
    memref kernel `@V_prefill_kernel` (C interface) that:
      1. converts Q and K to f32 and applies the variant's RoPE (every scaling
         and remap) once per token, with the attention factor folded in;
      2. for each head segment (a run of heads sharing one mask and one score
         expression) and query, runs one online-softmax pass over the keys:
         the mask predicate and the score expression are inlined from their
         attributes and regions, ALiBi/T5 biases added, fully masked rows
         give 0 (lse = -inf);
      3. applies the normalizer (softmax, sink logits, off-by-one) and
         writes the output in the variant's output type.
    Kernel arguments: q, k, v, q_pos, k_pos, batch, kernel inputs..., out
    [, lse]. Decode and append are left to later passes.
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::math::MathDialect",
    "mlir::memref::MemRefDialect", "mlir::scf::SCFDialect",
    "mlir::vector::VectorDialect", "mlir::func::FuncDialect",
    "mlir::LLVM::LLVMDialect"
  ];
}

#endif // ATTNC_CODEGEN_PASSES_TD
