// RUN: attn-opt --attn-emulate-gpu-on-cpu %s | FileCheck %s

// An asynchronous wgmma chain (attn-lower-prefill-tensor-core's overlap):
// computed at issue like a waited one, its accumulators queued in the
// emulation runtime (stash, commit) and its registers NaN; the wait that
// completes it takes them from the queue, its operands (the NaNs) only where
// nothing was in flight.
// CHECK-LABEL: func.func @async_chain(
// CHECK: call @attnc_emu_wgmma_ss(
// CHECK-COUNT-4: call @attnc_emu_wgmma_acc(
// CHECK-COUNT-4: call @attnc_emu_wgmma_stash(
// CHECK: %[[FOUR:.*]] = arith.constant 4 : i64
// CHECK-NEXT: call @attnc_emu_wgmma_commit_async(%[[FOUR]])
// CHECK: %[[NAN:.*]] = arith.constant 0x7FC00000 : f32
// CHECK: %[[PENDING:.*]] = arith.constant 0 : i64
// CHECK-NEXT: %[[GROUPS:.*]] = arith.constant 1 : i64
// CHECK-NEXT: %[[REGS:.*]] = arith.constant 4 : i64
// CHECK-NEXT: call @attnc_emu_wgmma_wait(%[[PENDING]], %[[GROUPS]], %[[REGS]])
// CHECK-COUNT-2: call @attnc_emu_wgmma_take(%{{.*}}, %[[NAN]])
// CHECK: %[[X:.*]] = call @attnc_emu_wgmma_take(%{{.*}}, %[[NAN]])
// CHECK: call @attnc_emu_wgmma_take(
// CHECK: return %[[X]]
// CHECK-NOT: llvm.inline_asm
func.func @async_chain(%da: i64, %db: i64, %w: i64) -> f32 {
  %z = arith.constant 0 : i32
  %r = llvm.inline_asm has_side_effects {attnc.wgmma = {a_shared = true, accumulate = false, async = true, f16 = false, n = 8 : i64, steps = 1 : i64, trans_b = false}} "", "=f,=f,=f,=f,l,l,r,l" %da, %db, %z, %w : (i64, i64, i32, i64) -> !llvm.struct<(f32, f32, f32, f32)>
  %a = llvm.extractvalue %r[0] : !llvm.struct<(f32, f32, f32, f32)>
  %b = llvm.extractvalue %r[1] : !llvm.struct<(f32, f32, f32, f32)>
  %c = llvm.extractvalue %r[2] : !llvm.struct<(f32, f32, f32, f32)>
  %d = llvm.extractvalue %r[3] : !llvm.struct<(f32, f32, f32, f32)>
  %v = llvm.inline_asm has_side_effects {attnc.wgmma_wait = {groups = array<i64: 4>, pending = 0 : i64}} "wgmma.wait_group.sync.aligned 0;", "=f,=f,=f,=f,0,1,2,3" %a, %b, %c, %d : (f32, f32, f32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
  %x = llvm.extractvalue %v[2] : !llvm.struct<(f32, f32, f32, f32)>
  return %x : f32
}

// A waited chain returns the runtime's accumulators; fence.proxy.async
// becomes a runtime call.
// CHECK-LABEL: func.func @waited_chain(
// CHECK: call @attnc_emu_fence_proxy_async()
// CHECK: call @attnc_emu_wgmma_ss(
// CHECK: %[[A0:.*]] = call @attnc_emu_wgmma_acc(
// CHECK-NOT: attnc_emu_wgmma_stash
// CHECK: return %[[A0]]
func.func @waited_chain(%da: i64, %db: i64, %w: i64) -> f32 {
  llvm.inline_asm has_side_effects {attnc.emulate = "fence_proxy_async"} "fence.proxy.async.shared::cta;", "~{memory}" : () -> ()
  %z = arith.constant 0 : i32
  %r = llvm.inline_asm has_side_effects {attnc.wgmma = {a_shared = true, accumulate = false, async = false, f16 = false, n = 8 : i64, steps = 1 : i64, trans_b = false}} "", "=f,=f,=f,=f,l,l,r,l" %da, %db, %z, %w : (i64, i64, i32, i64) -> !llvm.struct<(f32, f32, f32, f32)>
  %a = llvm.extractvalue %r[0] : !llvm.struct<(f32, f32, f32, f32)>
  return %a : f32
}
