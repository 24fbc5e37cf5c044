/* A recording stand-in for the CUDA driver (libcuda.so.1), for the tests of
 * GPU kernel libraries on machines without a GPU: attnc_cuda.h and
 * gpu_check.cpp open it through ATTNC_CUDA_DRIVER. It prints each module
 * load (cubin or PTX, by the image's first bytes), kernel lookup and launch
 * with every 8-byte parameter; FAKE_CC_MAJOR and FAKE_CC_MINOR set the
 * device's compute capability (default 9.0), FAKE_CONTEXT=1 pretends a context is
 * already current. "Device" memory is host memory.
 *
 * FAKE_CPU_KERNELS=libX.so[:libY.so...] emulates the launches with the CPU
 * libraries of the same specs: a GPU kernel's parameters are the expanded memref descriptors
 * of the MLIR function it wraps (NAME_prefill_prepare, or NAME_prefill_rows
 * with begin, end = the thread's item), so the fake calls that function with
 * them, once per thread of the grid; the decode merge is a work-item
 * function too, and NAME_append_gpu runs NAME_append once (its block form:
 * once per fiber of each block) and stores its status in the device word
 * that is its last parameter. The tensor-core kernels (NAME_prefill_tc,
 * built for the CPU by `attnc build --gpu-emulation`) and the block form of the
 * decode split (its item is the block) run one block at a time as 128 or 256 fibers, their GPU operations served by the attnc_emu_* runtime
 * below (barriers, xor shuffles, warp-collective mma.sync m16n8k16 and
 * ldmatrix computed from the fragment layouts of the PTX ISA, cp.async held
 * until its wait, sm_90a's warpgroup wgmma.mma_async reading B through its
 * shared-memory descriptor), warp by warp, each warp as far as it gets before a block
 * barrier. FAKE_SKIP_ITEM=N leaves rows item
 * (or decode split block) N unwritten, FAKE_MMA_DROP_C=1 makes mma ignore its accumulator (planted
 * bugs for the checker; FAKE_WGMMA_SWAP_LBO=1 decodes descriptors with LBO and SBO
 * swapped, FAKE_SKIP_FENCE=1 ignores fence.proxy.async, FAKE_WGMMA_LAG=1 makes every
 * wgmma.wait_group leave one more group in flight, FAKE_SHRINK_SHARED=1 gives
 * the emulated kernels half the dynamic shared memory of their launch), FAKE_MISALIGN=N offsets allocations by N bytes, FAKE_APPEND_STATUS=S,N makes the N-th append (from 0)
 * report status S. FAKE_QUIET=1 prints only loads. The same library
 * stands in for cuBLAS (cublasSgemm_v2, at the end). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fake_appends;

static char context_storage;

int cuGetErrorString(int error, const char **s) {
  *s = error == 500 ? "CUDA_ERROR_NOT_FOUND" : "fake error";
  return 0;
}
int cuInit(unsigned flags) { return flags == 0 ? 0 : 1; }
int cuCtxGetCurrent(void **ctx) {
  const char *e = getenv("FAKE_CONTEXT");
  *ctx = e && *e == '1' ? &context_storage : NULL;
  return 0;
}
int cuDeviceGet(int *dev, int ordinal) {
  printf("fake: cuDeviceGet %d\n", ordinal);
  *dev = ordinal;
  return 0;
}
int cuDevicePrimaryCtxRetain(void **ctx, int dev) {
  printf("fake: primary context of device %d\n", dev);
  *ctx = &context_storage;
  return 0;
}
int cuCtxSetCurrent(void *ctx) { return ctx == &context_storage ? 0 : 1; }
int cuCtxGetDevice(int *dev) {
  *dev = 0;
  return 0;
}
int cuDeviceGetAttribute(int *v, int attr, int dev) {
  const char *e = getenv("FAKE_CC_MAJOR");
  (void)dev;
  if (attr == 75) *v = e ? atoi(e) : 9;
  else if (attr == 76) *v = getenv("FAKE_CC_MINOR") ? atoi(getenv("FAKE_CC_MINOR")) : 0;
  else return 1;
  return 0;
}
int cuModuleLoadData(void **module, const void *image) {
  const unsigned char *b = image;
  if (b[0] == 0x7f && b[1] == 'E' && b[2] == 'L' && b[3] == 'F')
    printf("fake: load cubin sm_%u\n", (unsigned)b[49]); /* e_flags bits 8-15 */
  else if (strstr((const char *)image, ".version") && strstr((const char *)image, ".target"))
    printf("fake: load ptx (%s)\n", strstr((const char *)image, ".target"));
  else
    return 200; /* CUDA_ERROR_INVALID_IMAGE */
  *module = (void *)0x1;
  return 0;
}
int cuModuleGetFunction(void **f, void *module, const char *name) {
  (void)module;
  if (!strstr(name, "_gpu"))
    return 500;
  *f = strdup(name);
  printf("fake: function %s\n", name);
  return 0;
}
static int quiet(void) {
  const char *e = getenv("FAKE_QUIET");
  return e && *e == '1';
}

/* Any MLIR-lowered function of integer and pointer parameters: extra
 * arguments are harmless under the x86-64 System V convention. */
/* Any MLIR-lowered function of integer and pointer parameters (at most
 * MAX_ARGS): extra arguments are harmless under the x86-64 System V
 * convention. Append returns an i32 status. */
#define U8 uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t
#define U40 U8, U8, U8, U8, U8
typedef void (*cpu_kernel)(U40, U40, U40, U40, U40);
typedef int32_t (*cpu_status_kernel)(U40, U40, U40, U40, U40);
enum { MAX_ARGS = 200 };
#define A8(i) a[i], a[i + 1], a[i + 2], a[i + 3], a[i + 4], a[i + 5], a[i + 6], a[i + 7]
#define A40(i) A8(i), A8(i + 8), A8(i + 16), A8(i + 24), A8(i + 32)
#define ALL_ARGS A40(0), A40(40), A40(80), A40(120), A40(160)
static void call(cpu_kernel k, const uint64_t *a) { k(ALL_ARGS); }
static int32_t call_status(cpu_status_kernel k, const uint64_t *a) { return k(ALL_ARGS); }
/* The emulation runtime of the block kernels (the tensor-core prefill, the
 * decode split): one block of 128 or 256 GPU threads at a time, each a fiber
 * (its own stack) on the calling OS thread. A fiber runs until it reaches a
 * barrier, a shuffle or an mma, where it yields to the scheduler; so a block
 * costs a few hundred stack switches per barrier instead of waking 128 OS
 * threads (futex barriers of 128 threads on 2 cores took ~10 ms a block). */
enum { EMU_THREADS = 256, EMU_WARPS = 8, EMU_STACK = 1 << 20 };
static int64_t emu_tid, emu_bx, emu_by, emu_bz; /* emu_tid: the running fiber */
static int64_t emu_block = 128;         /* the threads of the running block */
static void *emu_sched_sp, *emu_sp[EMU_THREADS];
static char *emu_stacks;
static int emu_finished[EMU_THREADS];
static int64_t emu_arrived, emu_generation, emu_warp_arrived[EMU_WARPS], emu_warp_generation[EMU_WARPS];
/* A fiber waiting at a block barrier of generation emu_barrier_gen[t]. */
static int emu_at_barrier[EMU_THREADS];
static int64_t emu_barrier_gen[EMU_THREADS];
static float emu_shfl[EMU_THREADS];
static uint32_t emu_a[EMU_THREADS][4], emu_b[EMU_THREADS][2];
static float emu_c[EMU_THREADS][4];

/* emu_switch(&save, to): saves the callee-saved registers and the stack
 * pointer in *save and resumes the context whose stack pointer is `to`. */
void emu_switch(void **save, void *to);
__asm__(".text\n"
        ".globl emu_switch\n"
        ".type emu_switch,@function\n"
        "emu_switch:\n"
        "  pushq %rbp\n  pushq %rbx\n  pushq %r12\n  pushq %r13\n  pushq %r14\n  pushq %r15\n"
        "  movq %rsp, (%rdi)\n"
        "  movq %rsi, %rsp\n"
        "  popq %r15\n  popq %r14\n  popq %r13\n  popq %r12\n  popq %rbx\n  popq %rbp\n"
        "  ret\n"
        ".size emu_switch, .-emu_switch\n");

static void emu_yield(void) { emu_switch(&emu_sp[emu_tid], emu_sched_sp); }

int64_t attnc_emu_thread_id(void) { return emu_tid; }
int64_t attnc_emu_block_id_x(void) { return emu_bx; }
int64_t attnc_emu_block_id_y(void) { return emu_by; }
int64_t attnc_emu_block_id_z(void) { return emu_bz; }
void attnc_emu_barrier(void) {
  int64_t g = emu_generation;
  if (++emu_arrived == emu_block) {
    emu_arrived = 0;
    ++emu_generation;
    return;
  }
  emu_at_barrier[emu_tid] = 1;
  emu_barrier_gen[emu_tid] = g;
  while (emu_generation == g)
    emu_yield();
  emu_at_barrier[emu_tid] = 0;
}

/* A warpgroup's collective (wgmma): its 128 threads (a block of 128: all),
 * not the block's. A thread waiting here is not runnable, so the scheduler
 * moves on to later warps, which may then run ahead of this warpgroup up to
 * the next block barrier: a warpgroup that refills a shared buffer another
 * warpgroup's wgmma has yet to read is caught. */
static int64_t emu_wgs_arrived[EMU_THREADS / 128], emu_wgs_generation[EMU_THREADS / 128];
static int64_t emu_wgs_wait[EMU_THREADS]; /* the generation a thread waits out, or -1 */
static void warpgroup_sync(void) {
  int64_t wg = emu_tid / 128, g = emu_wgs_generation[wg], size = emu_block < 128 ? emu_block : 128;
  if (++emu_wgs_arrived[wg] == size) {
    emu_wgs_arrived[wg] = 0;
    ++emu_wgs_generation[wg];
    return;
  }
  emu_wgs_wait[emu_tid] = g;
  while (emu_wgs_generation[wg] == g)
    emu_yield();
  emu_wgs_wait[emu_tid] = -1;
}
static int emu_waits_for_warpgroup(int64_t t) {
  return emu_wgs_wait[t] >= 0 && emu_wgs_wait[t] == emu_wgs_generation[t / 128];
}

static void warp_sync(void) {
  int64_t w = emu_tid / 32, g = emu_warp_generation[w];
  if (++emu_warp_arrived[w] == 32) {
    emu_warp_arrived[w] = 0;
    ++emu_warp_generation[w];
    return;
  }
  while (emu_warp_generation[w] == g)
    emu_yield();
}

float attnc_emu_shfl_xor(float v, int32_t offset) {
  int64_t base = emu_tid / 32 * 32, lane = emu_tid % 32;
  float r;
  emu_shfl[emu_tid] = v;
  warp_sync();
  r = emu_shfl[base + ((lane ^ offset) & 31)];
  warp_sync();
  return r;
}

static float half_bits(uint32_t reg, int hi, int64_t kind) {
  uint32_t h = hi ? reg >> 16 : reg & 0xffff;
  if (kind == 0) { /* bf16: the top half of an f32 */
    uint32_t f = h << 16;
    float x;
    memcpy(&x, &f, 4);
    return x;
  }
  { /* f16 */
    int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
    float x = e == 0 ? ldexpf((float)m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexpf((float)(m | 1024), e - 25);
    return s ? -x : x;
  }
}

/* Element e of this lane's D = A B + C fragment of mma.sync.m16n8k16.row.col
 * (A 16x16, B 16x8, f32 C/D), from the PTX ISA's fragment layouts: lane
 * 4 g + t holds A rows g and g + 8, columns 2t, 2t + 1 and 2t + 8, 2t + 9
 * (registers: (g, 2t), (g + 8, 2t), (g, 2t + 8), (g + 8, 2t + 8), the lower
 * column in the low half); B rows 2t, 2t + 1 and 2t + 8, 2t + 9 of column g;
 * C/D rows g and g + 8, columns 2t, 2t + 1. */
float attnc_emu_mma(int64_t kind, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t b0,
                    uint32_t b1, float c0, float c1, float c2, float c3, int64_t e) {
  int64_t base = emu_tid / 32 * 32, lane = emu_tid % 32;
  int64_t row = lane / 4 + (e >= 2 ? 8 : 0), col = lane % 4 * 2 + (e & 1);
  double sum = 0;
  emu_a[emu_tid][0] = a0, emu_a[emu_tid][1] = a1, emu_a[emu_tid][2] = a2, emu_a[emu_tid][3] = a3;
  emu_b[emu_tid][0] = b0, emu_b[emu_tid][1] = b1;
  emu_c[emu_tid][0] = c0, emu_c[emu_tid][1] = c1, emu_c[emu_tid][2] = c2, emu_c[emu_tid][3] = c3;
  warp_sync();
  for (int64_t k = 0; k < 16; ++k) {
    int64_t aLane = base + row % 8 * 4 + k % 8 / 2, aReg = row / 8 + 2 * (k / 8);
    int64_t bLane = base + col * 4 + k % 8 / 2, bReg = k / 8;
    sum += (double)half_bits(emu_a[aLane][aReg], k % 2, kind) * half_bits(emu_b[bLane][bReg], k % 2, kind);
  }
  if (!getenv("FAKE_MMA_DROP_C")) /* a planted bug: the accumulator ignored */
    sum += emu_c[emu_tid][e];
  warp_sync();
  return (float)sum;
}

/* cp.async: a copy is held (its source bytes read at issue, its
 * destination poisoned with 0xff bytes, NaN in every float type) until a
 * wait completes its group; copies of a group not yet committed stay
 * pending. So a read of the destination before the wait and its barrier,
 * or a copy issued over data that a warp still reads, sees NaN.
 * FAKE_ASYNC_LAG=1 makes every wait leave one more group pending (a
 * planted missing wait). */
enum { EMU_PENDING = 256 };
static struct {
  unsigned char *dst;
  unsigned char data[16];
  int64_t bytes, group;
} emu_pending[EMU_THREADS][EMU_PENDING];
static int64_t emu_npending[EMU_THREADS], emu_groups[EMU_THREADS];

void attnc_emu_async_copy(int64_t dst, int64_t src, int64_t bytes, int64_t src_bytes) {
  int64_t t = emu_tid, i = emu_npending[t];
  if (!(bytes == 4 || bytes == 8 || bytes == 16) || src_bytes < 0 || i == EMU_PENDING) {
    fprintf(stderr, "fake: unsupported cp.async (%lld bytes, %lld pending)\n", (long long)bytes, (long long)i);
    abort();
  }
  if ((dst | src) % bytes) { /* the PTX ISA: both addresses aligned to the size */
    fprintf(stderr, "fake: cp.async of %lld bytes between unaligned addresses %llx, %llx\n", (long long)bytes,
            (unsigned long long)dst, (unsigned long long)src);
    abort();
  }
  emu_pending[t][i].dst = (unsigned char *)(uintptr_t)dst;
  emu_pending[t][i].bytes = bytes;
  emu_pending[t][i].group = emu_groups[t];
  memset(emu_pending[t][i].data, 0, sizeof emu_pending[t][i].data);
  memcpy(emu_pending[t][i].data, (const void *)(uintptr_t)src, (size_t)(src_bytes < bytes ? src_bytes : bytes));
  memset((void *)(uintptr_t)dst, 0xff, (size_t)bytes);
  emu_npending[t] = i + 1;
}
void attnc_emu_async_commit(void) { ++emu_groups[emu_tid]; }
/* Threads whose landed copies no fence.proxy.async has ordered before the
 * async proxy's reads (wgmma) yet. */
static int emu_unfenced[EMU_THREADS];
void attnc_emu_async_wait(int64_t n) {
  int64_t t = emu_tid, kept = 0;
  const char *lag = getenv("FAKE_ASYNC_LAG");
  int64_t limit = emu_groups[t] - n - (lag && *lag == '1' ? 1 : 0); /* groups below it complete */
  for (int64_t i = 0; i < emu_npending[t]; ++i)
    if (emu_pending[t][i].group < limit) {
      memcpy(emu_pending[t][i].dst, emu_pending[t][i].data, (size_t)emu_pending[t][i].bytes);
      emu_unfenced[t] = 1;
    } else
      emu_pending[t][kept++] = emu_pending[t][i];
  emu_npending[t] = kept;
}

/* ldmatrix.sync.aligned.m8n8.xN[.trans].b16, warp-collective: lane 8 i + r
 * gives the address of row r of matrix i; lane 4 g + c receives, per
 * matrix, the 32-bit word (row g, columns 2c, 2c + 1), or transposed the
 * elements (row 2c, column g) and (row 2c + 1, column g), the lower in the
 * low half. */
static int64_t emu_ldm_addr[EMU_THREADS];
static uint32_t emu_ldm_out[EMU_THREADS][4];
/* memref.assume_alignment in a kernel: the claim is checked, since a GPU
 * would fault on the wide load that follows it and this CPU would not. */
void attnc_emu_assume_aligned(int64_t addr, int64_t align) {
  if (addr % align) {
    fprintf(stderr, "fake: a kernel assumes %lld-byte alignment of address %llx\n", (long long)align,
            (unsigned long long)addr);
    abort();
  }
}

void attnc_emu_ldmatrix(int64_t addr, int64_t trans, int64_t tiles) {
  int64_t base = emu_tid / 32 * 32, lane = emu_tid % 32, g = lane / 4, c = lane % 4;
  if (addr % 16) { /* each row: 16 contiguous, 16-byte aligned bytes */
    fprintf(stderr, "fake: ldmatrix row address %llx is not 16-byte aligned\n", (unsigned long long)addr);
    abort();
  }
  emu_ldm_addr[emu_tid] = addr;
  warp_sync();
  for (int64_t i = 0; i < tiles && i < 4; ++i) {
    uint16_t lo, hi;
    if (!trans) {
      memcpy(&emu_ldm_out[emu_tid][i], (const char *)(uintptr_t)emu_ldm_addr[base + 8 * i + g] + 4 * c, 4);
      continue;
    }
    memcpy(&lo, (const char *)(uintptr_t)emu_ldm_addr[base + 8 * i + 2 * c] + 2 * g, 2);
    memcpy(&hi, (const char *)(uintptr_t)emu_ldm_addr[base + 8 * i + 2 * c + 1] + 2 * g, 2);
    emu_ldm_out[emu_tid][i] = (uint32_t)lo | (uint32_t)hi << 16;
  }
  warp_sync();
}
uint32_t attnc_emu_ldmatrix_reg(int64_t i) { return emu_ldm_out[emu_tid][i]; }

/* FAKE_SKIP_FENCE=1: a planted missing fence (the next wgmma aborts). */
void attnc_emu_fence_proxy_async(void) {
  if (!getenv("FAKE_SKIP_FENCE"))
    emu_unfenced[emu_tid] = 0;
}

/* wgmma.mma_async.sync.aligned.m64nNk16.f32.{bf16,f16} with A in registers,
 * one step of a chain: a collective of the warpgroup (threads 128 wg ..
 * 128 wg + 127; every warpgroup of the kernel issues its chains at the same
 * points, so block barriers order the steps). Warp w of the warpgroup holds
 * rows 16 w .. 16 w + 15 of A in mma.sync m16n8k16's A layout; accumulator
 * register i of lane 4 g + q is (row 16 w + g + 8 ((i >> 1) & 1), column
 * 8 (i >> 2) + 2 q + (i & 1)). B (16 x N) is read
 * from shared memory through the descriptor (PTX ISA, "Matrix Descriptor"):
 * start address >> 4 in bits 0-13, LBO >> 4 in 16-29, SBO >> 4 in 32-45,
 * layout in 62-63 (0: no swizzle, the only one emulated). Without swizzle a
 * core matrix is 8 rows of 16 contiguous bytes; LBO is the distance between
 * core matrices adjacent along K, SBO along N, for both majors: element (k,
 * n) of B at start + (n / 8) SBO + (k / 8) LBO + (n % 8) 16 + (k % 8) 2 when
 * B is K-major (trans-b 0: rows are N), + (k % 8) 16 + (n % 8) 2 when it is
 * N-major (trans-b 1). `window` is the address of the shared buffer the
 * descriptor's 18-bit address points into (the CPU's addresses are wider):
 * the address field is taken relative to it. first: the chain's first step
 * (the accumulators start from 0; the caller adds its C). */
static uint32_t emu_wg_a[EMU_THREADS][4];
static int64_t emu_wg_desc[EMU_THREADS][2], emu_wg_window[EMU_THREADS];
static double emu_wg_acc[EMU_THREADS][128];
/* A descriptor's no-swizzle layout: the address of core-matrix row `row`
 * (along M or N), 16-byte unit `unit` (along K) of a K-major operand, or of
 * K-row `row`, unit `unit` (along N) of an N-major one; aborts on what is
 * not emulated. */
static const char *emu_desc_base(uint64_t d, int64_t window, int64_t *lbo, int64_t *sbo) {
  int64_t start = (int64_t)(d & 0x3fff) << 4;
  *lbo = (int64_t)(d >> 16 & 0x3fff) << 4, *sbo = (int64_t)(d >> 32 & 0x3fff) << 4;
  if (d >> 62 || (d >> 49 & 7)) {
    fprintf(stderr, "fake: wgmma descriptor %llx: only no-swizzle layouts are emulated\n", (unsigned long long)d);
    abort();
  }
  if (getenv("FAKE_WGMMA_SWAP_LBO")) { /* a planted bug: the two strides confused */
    int64_t x = *lbo;
    *lbo = *sbo, *sbo = x;
  }
  return (const char *)(uintptr_t)window + ((start - (window & 0x3ffff)) & 0x3ffff);
}
/* Element (row, k) of a K-major operand (rows along M or N), or (k, col) of
 * an N-major one, as 16 bits. */
static uint32_t emu_desc_elem(const char *base, int64_t lbo, int64_t sbo, int64_t mn, int64_t k, int nMajor) {
  uint16_t bits;
  memcpy(&bits, base + mn / 8 * sbo + k / 8 * lbo + (nMajor ? k % 8 * 16 + mn % 8 * 2 : mn % 8 * 16 + k % 8 * 2), 2);
  return bits;
}
static void emu_wgmma(int64_t kind, int64_t n, int64_t trans, int a_shared, uint64_t desc_a, uint64_t desc,
                      int64_t window, int64_t first) {
  int64_t t = emu_tid, w = t / 32, wg = t / 128, g = t % 32 / 4, q = t % 4, lbo, sbo, lbo_a = 0, sbo_a = 0;
  const char *base, *base_a = NULL;
  if (n < 8 || n > 256 || n % 8) {
    fprintf(stderr, "fake: wgmma with N = %lld\n", (long long)n);
    abort();
  }
  emu_wg_desc[t][0] = (int64_t)desc_a, emu_wg_desc[t][1] = (int64_t)desc, emu_wg_window[t] = window;
  if (first)
    for (int64_t i = 0; i < n / 2; ++i)
      emu_wg_acc[t][i] = 0;
  warpgroup_sync();
  for (int64_t u = 0; u < emu_block; ++u) {
    if (u / 128 == wg &&
        (emu_wg_desc[u][0] != (int64_t)desc_a || emu_wg_desc[u][1] != (int64_t)desc || emu_wg_window[u] != window)) {
      fprintf(stderr, "fake: wgmma descriptors differ across the warpgroup\n");
      abort();
    }
    if (emu_unfenced[u]) {
      fprintf(stderr, "fake: wgmma reads shared memory that thread %lld wrote (cp.async) without "
                      "fence.proxy.async\n", (long long)u);
      abort();
    }
  }
  base = emu_desc_base(desc, window, &lbo, &sbo);
  if (a_shared)
    base_a = emu_desc_base(desc_a, window, &lbo_a, &sbo_a);
  for (int64_t i = 0; i < n / 2; ++i) {
    int64_t col = 8 * (i >> 2) + 2 * q + (i & 1), row = 16 * (w % 4) + g + 8 * (i >> 1 & 1);
    double sum = 0;
    for (int64_t k = 0; k < 16; ++k) {
      uint32_t a = a_shared ? emu_desc_elem(base_a, lbo_a, sbo_a, row, k, 0)
                            : emu_wg_a[w * 32 + g * 4 + k % 8 / 2][(i >> 1 & 1) + 2 * (k / 8)] >> (k % 2 * 16);
      sum += (double)half_bits(a & 0xffff, 0, kind) * half_bits(emu_desc_elem(base, lbo, sbo, col, k, (int)trans), 0, kind);
    }
    emu_wg_acc[t][i] += sum;
  }
  warpgroup_sync();
}
/* A in registers: warp w's rows 16 w .. in mma.sync m16n8k16's A layout. */
void attnc_emu_wgmma(int64_t kind, int64_t n, int64_t trans, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3,
                     int64_t desc, int64_t window, int64_t first) {
  emu_wg_a[emu_tid][0] = a0, emu_wg_a[emu_tid][1] = a1, emu_wg_a[emu_tid][2] = a2, emu_wg_a[emu_tid][3] = a3;
  emu_wgmma(kind, n, trans, 0, 0, (uint64_t)desc, window, first);
}
/* A (64 x 16, K-major) in shared memory through its descriptor too. */
void attnc_emu_wgmma_ss(int64_t kind, int64_t n, int64_t trans, int64_t desc_a, int64_t desc, int64_t window,
                        int64_t first) {
  emu_wgmma(kind, n, trans, 1, (uint64_t)desc_a, (uint64_t)desc, window, first);
}
float attnc_emu_wgmma_acc(int64_t i) { return (float)emu_wg_acc[emu_tid][i]; }

/* Asynchronous chains (committed, not waited for): each thread's committed
 * groups queue here, oldest first, with the accumulators the chain computed;
 * the chain's registers read NaN until a wgmma.wait_group N completes it
 * (every group but the N most recent). The wait states the register counts
 * of the groups it expects to complete: it aborts where the queue says
 * otherwise (a wait for the wrong group), and where nothing was in flight
 * its outputs are its operands. */
enum { EMU_WG_GROUPS = 8, EMU_WG_REGS = 128 };
static float emu_wg_stash[EMU_THREADS][EMU_WG_REGS];
static float emu_wg_queue[EMU_THREADS][EMU_WG_GROUPS][EMU_WG_REGS];
static int64_t emu_wg_queue_regs[EMU_THREADS][EMU_WG_GROUPS], emu_wg_queued[EMU_THREADS];
static float emu_wg_done[EMU_THREADS][EMU_WG_GROUPS * EMU_WG_REGS];
static int64_t emu_wg_done_regs[EMU_THREADS];
void attnc_emu_wgmma_stash(int64_t i, float v) { emu_wg_stash[emu_tid][i] = v; }
void attnc_emu_wgmma_commit_async(int64_t regs) {
  int64_t t = emu_tid, q = emu_wg_queued[t];
  if (q == EMU_WG_GROUPS || regs > EMU_WG_REGS) {
    fprintf(stderr, "fake: more than %d wgmma groups in flight\n", EMU_WG_GROUPS);
    abort();
  }
  memcpy(emu_wg_queue[t][q], emu_wg_stash[t], sizeof(float) * (size_t)regs);
  emu_wg_queue_regs[t][q] = regs;
  emu_wg_queued[t] = q + 1;
}
void attnc_emu_wgmma_wait(int64_t pending, int64_t groups, int64_t regs) {
  const char *lag = getenv("FAKE_WGMMA_LAG"); /* a planted wait one group short: leaves one more in flight */
  if (lag && *lag == '1')
    ++pending;
  int64_t t = emu_tid, q = emu_wg_queued[t], done = q > pending ? q - pending : 0, at = 0;
  emu_wg_done_regs[t] = 0;
  if (done == 0)
    return;
  if (done != groups) {
    fprintf(stderr, "fake: wgmma.wait_group %lld completes %lld groups; the kernel takes %lld\n", (long long)pending,
            (long long)done, (long long)groups);
    abort();
  }
  for (int64_t g = 0; g < done; ++g) {
    memcpy(emu_wg_done[t] + at, emu_wg_queue[t][g], sizeof(float) * (size_t)emu_wg_queue_regs[t][g]);
    at += emu_wg_queue_regs[t][g];
  }
  if (at != regs) {
    fprintf(stderr, "fake: wgmma.wait_group %lld completes %lld registers; the kernel takes %lld\n", (long long)pending,
            (long long)at, (long long)regs);
    abort();
  }
  memmove(emu_wg_queue[t], emu_wg_queue[t][done], sizeof(emu_wg_queue[t][0]) * (size_t)(q - done));
  memmove(emu_wg_queue_regs[t], emu_wg_queue_regs[t] + done, sizeof(int64_t) * (size_t)(q - done));
  emu_wg_queued[t] = q - done;
  emu_wg_done_regs[t] = at;
}
float attnc_emu_wgmma_take(int64_t i, float operand) {
  return emu_wg_done_regs[emu_tid] ? emu_wg_done[emu_tid][i] : operand;
}

static struct {
  cpu_kernel k;
  uint64_t a[MAX_ARGS];
  int32_t status; /* a block-form append: thread 0 of block 0's result */
  int want_status;
} emu_job;

/* A fiber's first frame: runs the kernel as thread emu_tid, then returns
 * to the scheduler for good. */
static void emu_fiber_main(void) {
  if (emu_job.want_status && emu_tid == 0 && emu_bx == 0)
    emu_job.status = call_status((cpu_status_kernel)emu_job.k, emu_job.a);
  else
    call(emu_job.k, emu_job.a);
  emu_finished[emu_tid] = 1;
  emu_yield();
  abort(); /* never resumed */
}

/* Runs a block kernel (the tensor-core prefill, the block-form decode
 * split): block by block, `block` (128 or 256) fibers each. With item_args the
 * kernel's trailing (begin, end) are the block's item (bx, bx + 1), and
 * FAKE_SKIP_ITEM skips one block; FAKE_SKIP_BLOCK_Z=N skips the blocks of
 * grid z N (sequence N of a ragged batch). */
static int emulate_blocks(cpu_kernel k, const uint64_t *a, int n, unsigned gx, unsigned gy, unsigned gz,
                          unsigned block, int item_args) {
  const char *skip = getenv("FAKE_SKIP_ITEM"), *skipZ = getenv("FAKE_SKIP_BLOCK_Z");
  if (block != 128 && block != 256)
    return 1;
  emu_block = block;
  if (!emu_stacks && !(emu_stacks = malloc((size_t)EMU_THREADS * EMU_STACK)))
    return 2;
  memcpy(emu_job.a, a, sizeof emu_job.a);
  emu_job.k = k;
  for (unsigned bz = 0; bz < gz; ++bz)
  for (unsigned by = 0; by < gy; ++by)
    for (unsigned bx = 0; bx < gx; ++bx) {
      int live = (int)block;
      if (skipZ && (unsigned)atoi(skipZ) == bz) /* a planted bug: a ragged batch's sequence left out */
        continue;
      if (item_args) {
        if (skip && (unsigned)atoi(skip) == bx)
          continue;
        emu_job.a[n] = bx;
        emu_job.a[n + 1] = bx + 1;
      }
      emu_bx = bx, emu_by = by, emu_bz = bz;
      emu_arrived = 0;
      memset(emu_warp_arrived, 0, sizeof emu_warp_arrived);
      for (int64_t t = 0; t < (int64_t)block; ++t) {
        /* The stack emu_switch pops: six registers, then emu_fiber_main as
         * the return address, then a null return address for it (16-byte
         * aligned at its entry, as a call leaves it). */
        uintptr_t top = ((uintptr_t)(emu_stacks + (t + 1) * (size_t)EMU_STACK)) & ~(uintptr_t)15;
        void **sp = (void **)top;
        *--sp = NULL;
        *--sp = (void *)emu_fiber_main;
        for (int r = 0; r < 6; ++r)
          *--sp = NULL;
        emu_sp[t] = sp;
        emu_finished[t] = 0;
        emu_npending[t] = emu_groups[t] = 0;
        emu_wg_queued[t] = 0;
        emu_wgs_wait[t] = -1;
        emu_at_barrier[t] = 0;
      }
      /* Warp by warp, each as far as it can go: warp 0's lanes run (round
       * robin, for their warp collectives) until each has returned or waits
       * at a block barrier or its warpgroup's wgmma, then warp 1's... So a warp races ahead of the
       * others up to the next barrier, as a GPU may let it: a missing
       * barrier lets it overwrite shared data that later warps still read,
       * or read what they have not written yet. */
      for (int64_t g = 0; g < EMU_THREADS / 128; ++g)
        emu_wgs_arrived[g] = emu_wgs_generation[g] = 0;
      while (live > 0) {
        int progressed = 0;
        for (int w = 0; w < (int)block / 32; ++w) {
          long passes = 0;
          for (int ran = 1; ran;) {
            ran = 0;
            for (emu_tid = w * 32; emu_tid < (w + 1) * 32; ++emu_tid)
              if (!emu_finished[emu_tid] &&
                  !(emu_at_barrier[emu_tid] && emu_barrier_gen[emu_tid] == emu_generation) &&
                  !emu_waits_for_warpgroup(emu_tid)) {
                emu_switch(&emu_sched_sp, emu_sp[emu_tid]);
                live -= emu_finished[emu_tid];
                ran = progressed = 1;
              }
            if (++passes > (1L << 24)) {
              fprintf(stderr, "fake: warp %d never reaches a barrier (lanes diverge at a warp collective?)\n", w);
              abort();
            }
          }
        }
        if (!progressed && live > 0) {
          fprintf(stderr, "fake: every thread waits (a block barrier some never reach, or a wgmma some warps skip)\n");
          abort();
        }
      }
    }
  return 0;
}

/* Runs the launch on the CPU library: 0, or a CUDA error code. */
static int emulate(const char *name, unsigned gx, unsigned gy, unsigned gz, unsigned block, void **params, int n) {
  unsigned threads = gx * gy * gz * block;
  static void *cpu[8];
  static int ncpu = -1;
  const char *path = getenv("FAKE_CPU_KERNELS"), *skip = getenv("FAKE_SKIP_ITEM");
  char sym[256];
  size_t len = strlen(name);
  uint64_t a[MAX_ARGS] = {0};
  int rows = 0, tc = 0, append = 0, split = 0;
  /* Work items: prefill and model-operation rows, token preparation, the
   * decode merge. */
  for (const char *const *sfx = (const char *const[]){"_rows_gpu", "_prepare_tok_gpu", "_gather_tok_gpu",
                                                        "_decode_merge_gpu", 0};
       *sfx; ++sfx)
    rows |= len > strlen(*sfx) && !strcmp(name + len - strlen(*sfx), *sfx);
  /* The decode split and RMSNorm: one work item per block (attnc build
   * --gpu-emulation builds their block forms). */
  split = (len > 17 && !strcmp(name + len - 17, "_decode_split_gpu")) ||
          !strcmp(name, "attnc_model_rmsnorm_rows_gpu");
  append = len > 11 && !strcmp(name + len - 11, "_append_gpu");
  tc = (len > 15 && !strcmp(name + len - 15, "_prefill_tc_gpu")) ||
       (len > 22 && !strcmp(name + len - 22, "_prefill_varlen_tc_gpu"));
  cpu_kernel k;
  if (!path)
    return 0;
  if (ncpu < 0) { /* open every library of the list */
    char list[4096];
    Dl_info self;
    /* The emulated kernels call attnc_emu_*: make this library's symbols global. */
    if (dladdr((void *)&attnc_emu_mma, &self) && self.dli_fname)
      dlopen(self.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL);
    snprintf(list, sizeof list, "%s", path);
    ncpu = 0;
    for (char *p = strtok(list, ":"); p && ncpu < 8; p = strtok(NULL, ":"))
      if (!(cpu[ncpu++] = dlopen(p, RTLD_NOW | RTLD_LOCAL))) {
        fprintf(stderr, "fake: %s\n", dlerror());
        return 999;
      }
  }
  if (len < 4 || len - 4 >= sizeof sym || n + 2 > MAX_ARGS)
    return 1;
  memcpy(sym, name, len - 4); /* drop "_gpu" */
  sym[len - 4] = 0;
  k = NULL;
  for (int i = 0; i < ncpu && !k; ++i)
    k = (cpu_kernel)dlsym(cpu[i], sym);
  if (!k) {
    fprintf(stderr, "fake: no CPU kernel %s\n", sym);
    return 500;
  }
  for (int i = 0; i < n; ++i)
    a[i] = *(uint64_t *)params[i];
  if (tc || split)
    return emulate_blocks(k, a, n, gx, gy, gz, block, split);
  if (append) { /* the CPU append, its status into the device word */
    int32_t status;
    if (n < 5)
      return 1;
    a[n - 5] = a[n - 4] = a[n - 3] = a[n - 2] = a[n - 1] = 0;
    if (block == 128) { /* the block form: a token per block */
      int rc;
      emu_job.want_status = 1;
      rc = emulate_blocks(k, a, n, gx, gy, gz, block, 0);
      emu_job.want_status = 0;
      if (rc)
        return rc;
      status = emu_job.status;
    } else
      status = call_status((cpu_status_kernel)k, a);
    if (getenv("FAKE_APPEND_STATUS") && fake_appends++ == atoi(getenv("FAKE_APPEND_STATUS") + 2))
      status = getenv("FAKE_APPEND_STATUS")[0] - '0'; /* "S,N": append N (from 0) reports S */
    memcpy((void *)(uintptr_t) * (uint64_t *)params[n - 4], &status, 4);
    return 0;
  }
  if (!rows) { /* prepare: its own loop, one thread */
    call(k, a);
    return 0;
  }
  for (unsigned item = 0; item < threads; ++item) {
    if (skip && (unsigned)atoi(skip) == item)
      continue;
    a[n] = item;
    a[n + 1] = item + 1;
    call(k, a);
  }
  return 0;
}

/* Dynamic shared memory: a launch over 48 KiB needs the function's
 * CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES (8) raised first, as on a
 * GPU; an emulated kernel that needs more than its launch gave aborts. */
enum { FAKE_MAX_FUNCS = 64 };
static struct {
  const void *f;
  int max_dynamic;
} fake_func_attrs[FAKE_MAX_FUNCS];
static int fake_nfunc_attrs;
static int64_t emu_launch_shared;
/* The device's shared memory per block (static + dynamic) once raised:
 * 227 KiB on 9.0, 163 KiB on 8.0, 99 KiB on 8.6 and 8.9 (CUDA programming
 * guide, "Technical Specifications"). The kernel's static part is not known
 * here: 1 KiB of it is kept back, as attn-lower-prefill-tensor-core does. */
static int fake_max_shared(void) {
  int major = 9, minor = 0;
  cuDeviceGetAttribute(&major, 75, 0);
  cuDeviceGetAttribute(&minor, 76, 0);
  if (major >= 9)
    return 227 * 1024;
  if (major == 8)
    return minor == 0 ? 163 * 1024 : 99 * 1024;
  return 48 * 1024;
}
int cuFuncSetAttribute(void *f, int attr, int value) {
  int i;
  if (attr != 8 || value < 0 || value > fake_max_shared() - 1024) {
    if (!quiet())
      printf("fake: %s max dynamic shared %d refused (the device has %d)\n", (const char *)f, value,
             fake_max_shared());
    return 1; /* CUDA_ERROR_INVALID_VALUE */
  }
  if (!quiet())
    printf("fake: %s max dynamic shared %d\n", (const char *)f, value);
  for (i = 0; i < fake_nfunc_attrs && fake_func_attrs[i].f != f; ++i)
    ;
  if (i == FAKE_MAX_FUNCS)
    return 1;
  fake_nfunc_attrs += i == fake_nfunc_attrs;
  fake_func_attrs[i].f = f, fake_func_attrs[i].max_dynamic = value;
  return 0;
}
void attnc_emu_dynamic_shared(int64_t bytes) {
  if (bytes > emu_launch_shared) {
    fprintf(stderr, "fake: the kernel uses %lld bytes of dynamic shared memory, its launch gave %lld\n",
            (long long)bytes, (long long)emu_launch_shared);
    abort();
  }
}

int cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                   unsigned bz, unsigned shared, void *stream, void **params, void **extra) {
  /* attnc_cuda.h ends the parameters with a null pointer. */
  int n = 0, i;
  while (params[n])
    ++n;
  if (shared > 48 * 1024) {
    for (i = 0; i < fake_nfunc_attrs && fake_func_attrs[i].f != f; ++i)
      ;
    if (i == fake_nfunc_attrs || (unsigned)fake_func_attrs[i].max_dynamic < shared) {
      fprintf(stderr, "fake: launch of %s with %u bytes of dynamic shared memory, over its maximum\n",
              (const char *)f, shared);
      return 1;
    }
  }
  emu_launch_shared = shared;
  if (getenv("FAKE_SHRINK_SHARED")) /* a planted bug: the glue asks for too little */
    emu_launch_shared = shared / 2;
  if (!quiet()) {
    printf("fake: launch %s grid %u,%u,%u block %u,%u,%u shared %u stream %p extra %p\n",
           (const char *)f, gx, gy, gz, bx, by, bz, shared, stream, (void *)extra);
    printf("fake: %d params", n);
    for (int i = 0; i < n; ++i)
      printf(" %llx", (unsigned long long)*(uint64_t *)params[i]);
    printf("\n");
  }
  return emulate((const char *)f, gx, gy, gz, bx * by * bz, params, n);
}

/* Memory, events and synchronization for gpu_check.cpp: host memory. */
int cuDeviceGetName(char *name, int len, int dev) {
  snprintf(name, (size_t)len, "fake device %d (CPU emulation)", dev);
  return 0;
}
int cuCtxSynchronize(void) { return 0; }
/* FAKE_MISALIGN=N offsets every allocation by N bytes from 256-byte alignment
 * (the kernels' fallbacks for buffers that cp.async cannot read). */
static size_t misalign(void) {
  const char *e = getenv("FAKE_MISALIGN");
  return e ? (size_t)atoi(e) : 0;
}
int cuMemAlloc_v2(unsigned long long *p, size_t bytes) {
  void *m = NULL;
  if (posix_memalign(&m, 256, (bytes ? bytes : 1) + misalign()))
    return 2; /* CUDA_ERROR_OUT_OF_MEMORY */
  *p = (unsigned long long)(uintptr_t)m + misalign();
  return 0;
}
int cuMemFree_v2(unsigned long long p) {
  free((void *)(uintptr_t)(p - misalign()));
  return 0;
}
int cuMemcpyHtoD_v2(unsigned long long dst, const void *src, size_t n) {
  memcpy((void *)(uintptr_t)dst, src, n);
  return 0;
}
int cuMemcpyDtoH_v2(void *dst, unsigned long long src, size_t n) {
  memcpy(dst, (const void *)(uintptr_t)src, n);
  return 0;
}
int cuMemsetD8_v2(unsigned long long dst, unsigned char v, size_t n) {
  memset((void *)(uintptr_t)dst, v, n);
  return 0;
}
int cuEventCreate(void **e, unsigned flags) {
  (void)flags;
  *e = &context_storage;
  return 0;
}
int cuEventRecord(void *e, void *stream) {
  (void)e, (void)stream;
  return 0;
}
int cuEventSynchronize(void *e) {
  (void)e;
  return 0;
}
int cuEventElapsedTime(float *ms, void *a, void *b) {
  (void)a, (void)b;
  *ms = 1.0f;
  return 0;
}

/* A stand-in for cuBLAS (libcublas.so, opened through ATTNC_CUBLAS): handles
 * and cublasSgemm_v2 with the library's documented semantics on host
 * memory: column-major C (m x n, ldc) = alpha op(A) op(B) + beta C, op(X) = X
 * or X^T (transa/transb 0 = N, 1 = T), A read as m x k (N, lda >= m) or
 * k x m (T, lda >= k), B as k x n (N, ldb >= k) or n x k (T, ldb >= n); C is
 * not read when beta is 0; bad sizes give CUBLAS_STATUS_INVALID_VALUE (7),
 * an unknown handle CUBLAS_STATUS_NOT_INITIALIZED (1). Sums in f32, eight
 * partial sums per element. FAKE_GEMM_DROP_BETA=1 ignores beta (a planted
 * bug: the residual additions are lost). */
static char cublas_handle_storage;
int cublasCreate_v2(void **handle) {
  if (!quiet())
    printf("fake: cublasCreate\n");
  *handle = &cublas_handle_storage;
  return 0;
}
int cublasDestroy_v2(void *handle) { return handle == &cublas_handle_storage ? 0 : 1; }
int cublasSetStream_v2(void *handle, void *stream) {
  (void)stream;
  return handle == &cublas_handle_storage ? 0 : 1;
}
const char *cublasGetStatusString(int status) {
  return status == 7 ? "CUBLAS_STATUS_INVALID_VALUE" : status == 1 ? "CUBLAS_STATUS_NOT_INITIALIZED" : "fake cublas error";
}
int cublasSgemm_v2(void *handle, int transa, int transb, int m, int n, int k, const float *alpha,
                   const float *A, int lda, const float *B, int ldb, const float *beta, float *C, int ldc) {
  const int dropBeta = getenv("FAKE_GEMM_DROP_BETA") != NULL;
  if (handle != &cublas_handle_storage)
    return 1;
  if ((transa != 0 && transa != 1) || (transb != 0 && transb != 1) || m < 0 || n < 0 || k < 0 ||
      lda < (transa ? (k > 1 ? k : 1) : (m > 1 ? m : 1)) || ldb < (transb ? (n > 1 ? n : 1) : (k > 1 ? k : 1)) ||
      ldc < (m > 1 ? m : 1))
    return 7;
  if (!quiet())
    printf("fake: sgemm %c%c m %d n %d k %d lda %d ldb %d ldc %d beta %g\n", transa ? 'T' : 'N',
           transb ? 'T' : 'N', m, n, k, lda, ldb, ldc, (double)*beta);
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < m; ++i) {
      float part[8] = {0, 0, 0, 0, 0, 0, 0, 0}, sum = 0;
      int l = 0;
      if (transa && !transb) { /* both operands contiguous along k */
        const float *a = A + (size_t)i * lda, *b = B + (size_t)j * ldb;
        for (; l + 8 <= k; l += 8)
          for (int u = 0; u < 8; ++u)
            part[u] += a[l + u] * b[l + u];
      }
      for (; l < k; ++l) {
        float a = transa ? A[l + (size_t)i * lda] : A[i + (size_t)l * lda];
        float b = transb ? B[j + (size_t)l * ldb] : B[l + (size_t)j * ldb];
        part[l % 8] += a * b;
      }
      for (int u = 0; u < 8; ++u)
        sum += part[u];
      {
        float *c = C + i + (size_t)j * ldc;
        *c = *alpha * sum + (*beta != 0 && !dropBeta ? *beta * *c : 0.0f);
      }
    }
  return 0;
}
