//===- Passes.td - attn code generation passes -------------*- tablegen -*-===//
#ifndef ATTNC_CODEGEN_PASSES_TD
#define ATTNC_CODEGEN_PASSES_TD

include "mlir/Pass/PassBase.td"

def AttnLowerToLoopsPass : Pass<"attn-lower-to-loops", "mlir::ModuleOp"> {
  let summary = "Lower each attn.variant's prefill kernel to loops on memrefs";
  let description = [{
    For every `attn.variant @V`, replaces the tensor-level `@V_prefill` with
    three memref functions (each with a C interface):
      * `@V_prefill_prepare(q, k, q_pos, k_pos, qf, kf [, qg, kg])` converts
        Q and K to f32 and applies the variant's RoPE (every scaling and
        remap, attention factor folded in) once per token; a remap writes a
        second, far-branch rotation;
      * `@V_prefill_rows(qf, kf [, qg, kg], v, q_pos, k_pos, batch,
        inputs..., out [, lse], begin, end)` computes the work items
        [begin, end) of the (query, head) space: one online-softmax pass over
        the keys of the row's mask interval (when keys sit at positions
        0..Lk-1), with the mask, score expression and ALiBi/T5 bias inlined,
        then the normalizer (softmax, sink logits, off-by-one). Fully masked
        rows give 0. Callers split [0, Lq * heads) across threads;
      * `@V_prefill_kernel(q, k, v, q_pos, k_pos, batch, inputs..., out
        [, lse])` allocates the scratch and runs both, single-threaded.
    Heads are grouped into segments that share one mask and one score
    expression. When `attn-classify-blocks` attached an `attn.block_plan`
    to the variant, `rows` is instead the tiled flash kernel the plan
    describes (query heads of one KV head packed into 16 rows held in the
    vector lanes, a rows x key-tile micro-kernel in vector registers,
    empty/full/partial key tiles) and `prepare` packs Q per query tile into
    `qf` (scratch that only this variant's `rows` reads; `kf` keeps the
    rotated K in its natural layout). Decode and append are left to later
    passes.
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::math::MathDialect",
    "mlir::memref::MemRefDialect", "mlir::scf::SCFDialect",
    "mlir::vector::VectorDialect", "mlir::func::FuncDialect",
    "mlir::LLVM::LLVMDialect", "mlir::amx::AMXDialect"
  ];
}

def AttnLowerCacheKernelsPass : Pass<"attn-lower-cache-kernels", "mlir::ModuleOp"> {
  let summary = "Lower each attn.variant's decode and cache-append kernels to loops on memrefs";
  let description = [{
    For every `attn.variant @V` whose cache layout is supported (contiguous
    and paged, `nhd` or `hnd`; ring with sinks; unquantized or per-token
    int8/fp8), replaces the tensor-level `@V_decode` and `@V_append` with
    memref functions (each with a C interface):
      * `@V_append(k, v, pos, cache..., seq, len) -> i32` writes the tokens
        `len..` of sequence `seq`: RoPE at write (`on_write`, scaled for the
        length after the call), rounding to the cache element type, per-token
        quantization; returns 0, or 1 (past capacity), 2 (page missing from
        the page table), 3 (no such sequence) without writing;
      * `@V_decode_split(q, q_pos, cache..., lens, inputs..., part_out,
        part_lse, begin, end)`: work items (sequence, KV head, split) over
        `[0, B * kv_heads * S)`; the query heads sharing a KV head read each
        key once; keys are gathered in chunks into f32 scratch (dequantized,
        rotated at their positions for `on_read` RoPE; ring keys at their
        positions inside the cache);
      * `@V_decode_merge(part_out, part_lse, inputs..., out [, lse], begin,
        end)`: the log-sum-exp merge of the S splits and the normalizer;
      * `@V_decode(q, q_pos, cache..., lens, inputs..., out [, lse])`: both,
        S = 1, on the calling thread.
    Cache buffers: K and V `[seqs|pages, slots, kv_heads, D]` (`hnd`:
    `[.., kv_heads, slots, D]`), positions `[seqs|pages, slots]` (i64),
    per-token scales `[seqs|pages, slots, kv_heads]` (f32) when quantized,
    the page table `[seqs, max_pages]` (i32) when paged; quantized layouts
    add their scales, minima, residuals and stored lengths
    (docs/kernels.md, "Quantized caches").

    `chunk` bounds the keys gathered per step: 64 on CPUs (a chunk's f32 rows
    stay in L1); the GPU pipeline asks for 8, because each GPU thread keeps
    its chunk in local memory, which the driver reserves for every resident
    thread.

    With `block-threads` = T > 0 (the GPU pipeline: 128), `decode_split` is
    written for thread blocks instead (`attn.block_threads` = T): item w is
    block w, and the block's T threads (`gpu.thread_id`) share the item's
    chunk in workgroup memory. They gather its keys and values (plain rows
    in coalesced pieces of up to 4 elements, quantized rows dequantized one
    per thread), rotate keys at read (a key per thread), score the (query
    head, key) pairs, reduce each head's maximum and sum with warp shuffles
    (one warp per head) and accumulate P·V with one output element per
    thread, with a barrier between the phases. The chunk is as many keys
    (at most 64) as fit in 46 KiB of workgroup memory, rows padded by one
    element so that threads reading different rows use different banks;
    when a KV head's query heads leave no room for 8 keys, an item takes a
    divisor of them (`attn.items_per_row` counts the items of a row and
    split). The GPU pipeline also gets, for layouts other than a ring,
    `@V_cache_gather_tok(cache..., k_rows, v_rows, pos_rows, seq, item)`
    (`attn.thread_item`): item = (token, KV head) of sequence `seq` copied out
    of the cache into contiguous rows of the spec's K and V types
    (dequantized, keys as stored) with the token's position, for the
    tensor-core prefill over the cache (attnc build's
    `NAME_prefill_cache_gpu`).
  }];
  let options = [
    Option<"chunk", "chunk", "int64_t", /*default=*/"64",
           "Keys gathered into f32 scratch per step, at most (>= 8)">,
    Option<"blockThreads", "block-threads", "int64_t", /*default=*/"0",
           "GPU: each decode_split work item is a thread block of this many "
           "threads (a multiple of 32) sharing its chunk in workgroup memory; "
           "0: one work item per thread">
  ];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::math::MathDialect",
    "mlir::memref::MemRefDialect", "mlir::scf::SCFDialect",
    "mlir::vector::VectorDialect", "mlir::func::FuncDialect",
    "mlir::gpu::GPUDialect"
  ];
}

def AttnApproximateMathPass : Pass<"attn-approximate-math", "mlir::ModuleOp"> {
  let summary = "Inline polynomial approximations of f32 exp, log and tanh";
  let description = [{
    Rewrites f32 (and vector-of-f32) `math.exp`, `math.log`, `math.tanh` and
    the other functions MLIR approximates into arithmetic, so kernels do not
    call libm in their inner loops. The approximations are accurate to a few
    ulp; f64 ops (the RoPE angles) are left alone.
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::math::MathDialect",
    "mlir::vector::VectorDialect"
  ];
}

def AttnAddModelOpsPass : Pass<"attn-add-model-ops", "mlir::ModuleOp"> {
  let summary = "Add the element-wise operations of llama-family models (RMSNorm, SwiGLU)";
  let description = [{
    Appends two public work-item functions on memrefs, each ending in
    `begin, end: index` and marked `attn.work_items` (one item per GPU thread
    after attn-outline-gpu-kernels; items past the data are ignored):
    `attnc_model_rmsnorm_rows(x: memref<?x?xf32>, w: memref<?xf32>,
    out: memref<?x?xf32>, eps_bits: i32, begin, end)` computes
    `out[r] = x[r] / sqrt(mean(x[r]^2) + eps) * w` for rows r (eps is the f32
    whose bits `eps_bits` holds: the CPU emulation passes integers only), and
    `attnc_model_swiglu_rows(gate, up, out: memref<?xf32>, begin, end)`
    computes `out[e] = gate[e] / (1 + exp(-gate[e])) * up[e]`. The GPU
    runtime (`attn-run --device cuda`) runs them between its cuBLAS matrix
    products. Fails if the module already defines them.

    With `block-threads` = T > 0 (the GPU pipeline: 128) RMSNorm is written
    for thread blocks (`attn.block_threads` = T): item r is block r, whose
    threads stride over the row's columns, sum their squares by xor shuffles
    and through workgroup memory, then scale their columns. One thread
    walking a 576-wide row (SmolLM2) was ~60 serial passes per decode token.
  }];
  let options = [
    Option<"blockThreads", "block-threads", "int64_t", /*default=*/"0",
           "RMSNorm rows as thread blocks of this many threads (a multiple "
           "of 32); 0: one row per thread">
  ];
  let dependentDialects = [
    "mlir::func::FuncDialect", "mlir::arith::ArithDialect", "mlir::math::MathDialect",
    "mlir::memref::MemRefDialect", "mlir::scf::SCFDialect", "mlir::gpu::GPUDialect"
  ];
}

def AttnOutlineGPUKernelsPass : Pass<"attn-outline-gpu-kernels", "mlir::ModuleOp"> {
  let summary = "Move the lowered attention kernels into a gpu.module with GPU entry points";
  let description = [{
    Runs after attn-lower-to-loops. Clones the `*_prefill_rows` and
    `*_prefill_prepare` functions and the constant tables into
    `gpu.module @attn_kernels` and adds kernels: `NAME_prefill_rows_gpu`
    (one (query, head) work item per thread) and `NAME_prefill_prepare_gpu`
    (thread 0 of block 0 prepares Q and K). The tensor-core functions of
    attn-lower-prefill-tensor-core get kernels too: `NAME_prefill_tc_gpu`
    and `NAME_prefill_varlen_tc_gpu` (same arguments; the block shape their
    functions state) and `NAME_prefill_prepare_tok_gpu`,
    `NAME_prefill_varlen_prepare_tok_gpu` (one token per thread). Any function
    marked `attn.thread_item` (`NAME_prefill_cache_prepare_tok`,
    `NAME_cache_gather_tok`) becomes `NAME_gpu` whose trailing index is the
    global thread id. The cache kernels
    of attn-lower-cache-kernels become `NAME_decode_split_gpu` and
    `NAME_decode_merge_gpu` (one work item per thread) and `NAME_append_gpu`
    (thread 0; its status goes to a `memref<1xi32>` added as the last
    parameter). Functions marked `attn.work_items` (attn-add-model-ops)
    become `NAME_gpu` with one work item per thread. Host functions are
    removed.
  }];
  let dependentDialects = [
    "mlir::gpu::GPUDialect", "mlir::func::FuncDialect",
    "mlir::arith::ArithDialect", "mlir::scf::SCFDialect"
  ];
}

def AttnLowerPrefillTensorCorePass : Pass<"attn-lower-prefill-tensor-core", "mlir::ModuleOp"> {
  let summary = "Build tensor-core (mma.sync, or wgmma for sm_90a) GPU prefill functions for bf16/f16 variants";
  let description = [{
    Runs before attn-lower-to-loops in the GPU pipeline. For every
    `attn.variant @V` whose Q, K and V are all bf16 or all f16 with head dims
    that are multiples of 16 (up to 256), and no two-branch RoPE remap
    together with lse, adds:
      * `@V_prefill_prepare_tok(q, k, q_pos, k_pos, qf, kf, token)`: the RoPE
        preparation of token `token` of Q and of K (length-dependent scalings
        still see the whole key length);
      * `@V_prefill_tc(qf, kf, v, q_pos, k_pos, batch, inputs..., out [, lse])`:
        FlashAttention-2's schedule for a block of 128 queries (4 warps of two
        16-row tiles up to head dim 64, 8 warps of one above; 4 warps of 64
        queries where Q in shared memory would pass 99 KiB; the function's
        `attn.tensor_core_block` = [queries, threads] tells the launch)
        of head `block_id.y` (query tile `block_id.x`): K (rounded to the
        dtype) and V staged in shared memory per key tile (64 keys; 32 above
        head dim 128), V by `nvgpu.device_async_copy` (cp.async, zero-filled
        past the last key; loads and stores when V's base is not 16-byte
        aligned) waited for only before PV, QK^T and PV by `mma.sync.m16n8k16` with f32
        accumulation (NVPTX intrinsics), scale, score expression and bias per
        score element, the mask per element only in tiles that are not full
        for every row of the warp, the online softmax in registers (row statistics by
        warp shuffles), key tiles outside the union of the block's mask
        intervals skipped when keys sit at positions 0..Lk-1. Q's fragments
        stay in registers unless they would take 64 or more per thread; then
        Q sits in shared memory next to the tiles (dynamic shared memory,
        `attn.dynamic_shared_bytes`), read by ldmatrix per key tile.
    Each also gets the ragged-batch pair, `@V_prefill_varlen_prepare_tok(q,
    k, q_pos, k_pos, qf, kf, cu_q, cu_k, token)` (packed token `token` of Q
    and of K, each sequence found by a binary search of the cumulative
    lengths `cu_q`, `cu_k`) and `@V_prefill_varlen_tc(qf, kf, v, q_pos,
    k_pos, cu_q, cu_k, inputs..., out [, lse])`: sequence `block_id.z`'s rows
    as strided views of the packed buffers, batch index z, the same body; a
    block whose query tile is past its sequence's queries returns.
    A two-branch RoPE remap (Self-Extend, ReRoPE) adds the far rows (qg,
    kg) after kf to both pairs (the preparation rotates them too) and runs
    the key loop twice into one online softmax: near pairs (q_pos - k_pos <
    window) with qf, kf under the mask `and(mask, window<left = window>)`,
    then far pairs with qg, kg under `and(mask, not(that window))`.
    A variant with a contiguous or paged cache (not a ring; a remap only
    with keys rotated at read) also gets `@V_prefill_cache_prepare_tok`
    (`attn.thread_item`; the prefill preparation's arguments) for the prefill
    over the cache: its K are rows gathered from the cache
    (`@V_cache_gather_tok`, attn-lower-cache-kernels), which a cache with
    RoPE at write stores rotated, so they are only rounded (and split), not
    rotated again; `@V_prefill_tc` then runs over them.
    Other variants get the attribute `attn.tensor_core = "none: <why>"` and
    keep the CUDA-core kernels.

    With `wgmma` (sm_90a), QK^T and PV are Hopper's warpgroup MMA instead:
    each 4 warps are one warpgroup, each product one chain of
    `wgmma.mma_async.m64nNk16` (A: Q in shared memory or P's fragments in
    registers, B: K or V in shared memory through matrix descriptors, core
    matrices without swizzle), emitted as inline PTX that carries the attribute
    `attnc.wgmma` so attn-emulate-gpu-on-cpu can run it on the CPU.

    Tuning: `stages=2` gives K and V two shared buffers each (V(j + 1) and
    K(j + 2) copied during tile j; each `nvgpu.device_async_wait` leaves two
    groups in flight; the tiles then live in dynamic shared memory for
    mma.sync too; one stage where two would pass the budget), `key-tile`
    sets the keys per tile, and `overlap` (wgmma only; two stages) commits
    QK^T(j + 1) and P V(j) without waits: the loop carries the next tile's
    scores, a `wgmma.wait_group 1` tied to them completes them while P V(j)
    runs under the next softmax, a `wgmma.wait_group 0` tied to O precedes
    its rescaling (the waits are inline PTX marked `attnc.wgmma_wait`, the
    asynchronous chains carry `async = true`), one block barrier per tile.
    Each kernel states its pipeline as `attn.tensor_core_pipeline` =
    [stages, keys per tile, overlap].
  }];
  let options = [
    Option<"wgmma", "wgmma", "bool", /*default=*/"false",
           "Products by wgmma.mma_async (sm_90a) instead of mma.sync">,
    Option<"maxBlockQueries", "max-block-queries", "int64_t", /*default=*/"128",
           "Queries per block at most: 64 keeps blocks of one warpgroup above "
           "head dim 64 (to time the two shapes side by side)">,
    Option<"stages", "stages", "int64_t", /*default=*/"1",
           "Shared buffers per K and V tile: 1 (V(j) and K(j + 1) copied during "
           "tile j), or 2 (V(j + 1) and K(j + 2): each copy a tile and a half "
           "ahead; where the shared memory budget allows, else 1)">,
    Option<"keyTile", "key-tile", "int64_t", /*default=*/"0",
           "Keys per tile (16, 32, 64 or 128; 0: 64, or 32 above head dim 128, "
           "with two row tiles per warp, halved for lse)">,
    Option<"overlap", "overlap", "bool", /*default=*/"false",
           "wgmma only: QK^T of tile j + 1 and P V of tile j issued without "
           "waiting, the softmax of tile j + 1 running while P V(j) does "
           "(FlashAttention-3's intra-warpgroup pipelining; two stages, one "
           "block barrier per key tile)">
  ];
  let dependentDialects = [
    "mlir::gpu::GPUDialect", "mlir::func::FuncDialect", "mlir::LLVM::LLVMDialect",
    "mlir::arith::ArithDialect", "mlir::scf::SCFDialect", "mlir::memref::MemRefDialect",
    "mlir::vector::VectorDialect", "mlir::math::MathDialect", "mlir::nvgpu::NVGPUDialect"
  ];
}

def AttnEmulateGPUOnCPUPass : Pass<"attn-emulate-gpu-on-cpu", "mlir::ModuleOp"> {
  let summary = "Turn the tensor-core functions' GPU operations into calls to a CPU emulation runtime";
  let description = [{
    A testing aid (attnc build --gpu-emulation): after
    attn-lower-prefill-tensor-core, replaces gpu.thread_id/block_id,
    gpu.barrier, xor shuffles, the mma.sync intrinsic, ldmatrix, the
    asynchronous copies with their groups and waits (a copy lands at the
    wait that completes its group, its destination NaN until then),
    `memref.assume_alignment` (checked), and the inline PTX marked
    `attnc.wgmma` (a chain of wgmma.mma_async: a warpgroup collective that
    reads B through the kernel's matrix descriptors) or `attnc.emulate =
    "fence_proxy_async"` with calls to `attnc_emu_*` functions (one fiber
    per GPU thread; the runtime is in test/GPU/Inputs/fake_cuda.c), and
    moves workgroup-memory globals to the default memory space, so the
    kernels' own IR runs on the host.
  }];
  let dependentDialects = [
    "mlir::func::FuncDialect", "mlir::arith::ArithDialect", "mlir::vector::VectorDialect",
    "mlir::scf::SCFDialect", "mlir::memref::MemRefDialect"
  ];
}

def AttnLowerGPUMemorySpacesPass : Pass<"attn-lower-gpu-memory-spaces", "mlir::gpu::GPUModuleOp"> {
  let summary = "Replace gpu memory-space attributes by NVPTX address spaces";
  let description = [{
    Rewrites every type and attribute of a `gpu.module` that carries
    `#gpu.address_space<global|workgroup|private>` to the NVPTX address
    space (1, 3, 5), as `convert-gpu-to-nvvm` would. It runs first in the
    device pipeline, so that `convert-vector-to-llvm` can lower vector loads
    and stores of workgroup memory (the block-form decode split's chunk).
  }];
}

#endif // ATTNC_CODEGEN_PASSES_TD
