/* A recording stand-in for the CUDA driver (libcuda.so.1), for the tests of
 * GPU kernel libraries on machines without a GPU: attnc_cuda.h and
 * gpu_check.cpp open it through ATTNC_CUDA_DRIVER. It prints each module
 * load (cubin or PTX, by the image's first bytes), kernel lookup and launch
 * with every 8-byte parameter; FAKE_CC_MAJOR sets the device's compute
 * capability major (default 9), FAKE_CONTEXT=1 pretends a context is
 * already current. "Device" memory is host memory.
 *
 * FAKE_CPU_KERNELS=libX.so[:libY.so...] emulates the launches with the CPU
 * libraries of the same specs: a GPU kernel's parameters are the expanded memref descriptors
 * of the MLIR function it wraps (NAME_prefill_prepare, or NAME_prefill_rows
 * with begin, end = the thread's item), so the fake calls that function with
 * them, once per thread of the grid. FAKE_SKIP_ITEM=N leaves rows item N
 * unwritten (a planted bug for the checker). FAKE_QUIET=1 prints only loads. */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
  else if (attr == 76) *v = 0;
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
typedef void (*cpu_kernel)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t,
                           uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t,
                           uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t,
                           uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t,
                           uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t,
                           uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t,
                           uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t,
                           uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t,
                           uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t,
                           uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
enum { MAX_ARGS = 80 };

static void call(cpu_kernel k, const uint64_t *a) {
  k(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15],
    a[16], a[17], a[18], a[19], a[20], a[21], a[22], a[23], a[24], a[25], a[26], a[27], a[28], a[29], a[30],
    a[31], a[32], a[33], a[34], a[35], a[36], a[37], a[38], a[39], a[40], a[41], a[42], a[43], a[44], a[45],
    a[46], a[47], a[48], a[49], a[50], a[51], a[52], a[53], a[54], a[55], a[56], a[57], a[58], a[59], a[60],
    a[61], a[62], a[63], a[64], a[65], a[66], a[67], a[68], a[69], a[70], a[71], a[72], a[73], a[74], a[75],
    a[76], a[77], a[78], a[79]);
}

/* Runs the launch on the CPU library: 0, or a CUDA error code. */
static int emulate(const char *name, unsigned threads, void **params, int n) {
  static void *cpu[8];
  static int ncpu = -1;
  const char *path = getenv("FAKE_CPU_KERNELS"), *skip = getenv("FAKE_SKIP_ITEM");
  char sym[256];
  size_t len = strlen(name);
  uint64_t a[MAX_ARGS] = {0};
  const char *suffix = "_prefill_rows_gpu";
  int rows = len > strlen(suffix) && !strcmp(name + len - strlen(suffix), suffix);
  cpu_kernel k;
  if (!path)
    return 0;
  if (ncpu < 0) { /* open every library of the list */
    char list[4096];
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

int cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                   unsigned bz, unsigned shared, void *stream, void **params, void **extra) {
  /* attnc_cuda.h ends the parameters with a null pointer. */
  int n = 0;
  while (params[n])
    ++n;
  if (!quiet()) {
    printf("fake: launch %s grid %u,%u,%u block %u,%u,%u shared %u stream %p extra %p\n",
           (const char *)f, gx, gy, gz, bx, by, bz, shared, stream, (void *)extra);
    printf("fake: %d params", n);
    for (int i = 0; i < n; ++i)
      printf(" %llx", (unsigned long long)*(uint64_t *)params[i]);
    printf("\n");
  }
  return emulate((const char *)f, gx * gy * gz * bx * by * bz, params, n);
}

/* Memory, events and synchronization for gpu_check.cpp: host memory. */
int cuDeviceGetName(char *name, int len, int dev) {
  snprintf(name, (size_t)len, "fake device %d (CPU emulation)", dev);
  return 0;
}
int cuCtxSynchronize(void) { return 0; }
int cuMemAlloc_v2(unsigned long long *p, size_t bytes) {
  void *m = NULL;
  if (posix_memalign(&m, 256, bytes ? bytes : 1))
    return 2; /* CUDA_ERROR_OUT_OF_MEMORY */
  *p = (unsigned long long)(uintptr_t)m;
  return 0;
}
int cuMemFree_v2(unsigned long long p) {
  free((void *)(uintptr_t)p);
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
