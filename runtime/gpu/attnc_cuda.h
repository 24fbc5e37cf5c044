/* attnc_cuda.h - the CUDA driver API loader of attnc's GPU kernel libraries.
 *
 * `attnc build --gpu-arch ...` copies this header next to the generated
 * NAME_gpu.c, which includes it: a GPU kernel library needs nothing but the
 * CUDA driver (libcuda.so.1, opened with dlopen on first use), so it builds
 * and links on machines without CUDA and reports a clear error there.
 *
 * A library's cubins (one per architecture) and its PTX live in one
 * attnc_cuda_library. On first use it loads, into the caller's current CUDA
 * context (the primary context of device 0 if none is current), the cubin of
 * the device's compute capability (9.x: sm_90, 8.x: sm_80), or else the PTX,
 * which the driver compiles for newer devices. Kernel handles are cached by
 * name. Everything is guarded by one mutex; the error message of the last
 * failure is kept per library (attnc_cuda_error).
 *
 * Kernel parameters: MLIR's memref descriptors expand into 8-byte fields
 * (allocated pointer, aligned pointer, offset, sizes[rank], strides[rank]),
 * scalars into one 8-byte field each; attnc_cuda_push_* append them.
 *
 * ATTNC_CUDA_DRIVER overrides the driver library's path (the tests point it
 * at a recording fake driver).
 */
#ifndef ATTNC_CUDA_H
#define ATTNC_CUDA_H

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int attnc_CUresult;
typedef int attnc_CUdevice;
typedef struct attnc_CUctx_st *attnc_CUcontext;
typedef struct attnc_CUmod_st *attnc_CUmodule;
typedef struct attnc_CUfunc_st *attnc_CUfunction;
typedef struct attnc_CUstream_st *attnc_CUstream;

enum { ATTNC_CU_ATTR_CC_MAJOR = 75, ATTNC_CU_ATTR_CC_MINOR = 76, ATTNC_CUDA_MAX_KERNELS = 256 };
enum { ATTNC_CUDA_MAX_PARAMS = 512 };

typedef struct {
  const char *arch;            /* "sm_80" */
  int major;                   /* compute capability major it serves */
  const unsigned char *image;  /* cubin bytes */
  size_t size;
} attnc_cuda_image;

typedef struct {
  const char *name; /* library name, for messages */
  const attnc_cuda_image *images;
  int imageCount;
  const char *ptx; /* NUL-terminated, for devices no cubin serves */
  /* State, filled on first use. */
  pthread_mutex_t lock;
  int loaded;
  int loadedMajor; /* the cubin's compute capability major, or 0 for the PTX */
  void *driver;
  attnc_CUresult (*cuInit)(unsigned);
  attnc_CUresult (*cuCtxGetCurrent)(attnc_CUcontext *);
  attnc_CUresult (*cuCtxSetCurrent)(attnc_CUcontext);
  attnc_CUresult (*cuCtxGetDevice)(attnc_CUdevice *);
  attnc_CUresult (*cuDeviceGet)(attnc_CUdevice *, int);
  attnc_CUresult (*cuDevicePrimaryCtxRetain)(attnc_CUcontext *, attnc_CUdevice);
  attnc_CUresult (*cuDeviceGetAttribute)(int *, int, attnc_CUdevice);
  attnc_CUresult (*cuModuleLoadData)(attnc_CUmodule *, const void *);
  attnc_CUresult (*cuModuleGetFunction)(attnc_CUfunction *, attnc_CUmodule, const char *);
  attnc_CUresult (*cuLaunchKernel)(attnc_CUfunction, unsigned, unsigned, unsigned, unsigned,
                                   unsigned, unsigned, unsigned, attnc_CUstream, void **, void **);
  attnc_CUresult (*cuGetErrorString)(attnc_CUresult, const char **);
  attnc_CUresult (*cuFuncSetAttribute)(attnc_CUfunction, int, int);
  attnc_CUmodule module;
  const char *kernelNames[ATTNC_CUDA_MAX_KERNELS];
  attnc_CUfunction kernels[ATTNC_CUDA_MAX_KERNELS];
  int kernelCount;
  char error[512];
} attnc_cuda_library;

#define ATTNC_CUDA_LIBRARY_INIT(NAME, IMAGES, COUNT, PTX) \
  { .name = NAME, .images = IMAGES, .imageCount = COUNT, .ptx = PTX, .lock = PTHREAD_MUTEX_INITIALIZER }

static void attnc_cuda_fail(attnc_cuda_library *l, const char *fmt, ...) {
  va_list ap;
  int n = snprintf(l->error, sizeof l->error, "%s: ", l->name);
  va_start(ap, fmt);
  vsnprintf(l->error + n, sizeof l->error - (size_t)n, fmt, ap);
  va_end(ap);
}

/* -1 with l->error set when `r` is not CUDA_SUCCESS. */
static int attnc_cuda_check(attnc_cuda_library *l, attnc_CUresult r, const char *what) {
  const char *msg = NULL;
  if (r == 0)
    return 0;
  if (l->cuGetErrorString)
    l->cuGetErrorString(r, &msg);
  attnc_cuda_fail(l, "%s failed: CUDA error %d (%s)", what, r, msg ? msg : "unknown");
  return -1;
}

/* Opens the driver and loads the module into the current context.
 * Called with l->lock held. */
static int attnc_cuda_load_locked(attnc_cuda_library *l) {
  const char *path = getenv("ATTNC_CUDA_DRIVER");
  attnc_CUcontext ctx = NULL;
  attnc_CUdevice dev = 0;
  int major = 0, minor = 0, i;
  const void *image = NULL;
  if (l->loaded)
    return 0;
  if (!path || !*path)
    path = "libcuda.so.1";
  l->driver = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!l->driver) {
    const char *why = dlerror();
    attnc_cuda_fail(l, "the CUDA driver (%s) cannot be opened: %s", path, why ? why : "?");
    return -1;
  }
#define ATTNC_CUDA_SYM(F)                                                          \
  do {                                                                             \
    *(void **)(&l->F) = dlsym(l->driver, #F);                                      \
    if (!l->F) {                                                                   \
      attnc_cuda_fail(l, "the CUDA driver (%s) has no %s", path, #F);              \
      return -1;                                                                   \
    }                                                                              \
  } while (0)
  ATTNC_CUDA_SYM(cuGetErrorString);
  ATTNC_CUDA_SYM(cuInit);
  ATTNC_CUDA_SYM(cuCtxGetCurrent);
  ATTNC_CUDA_SYM(cuCtxSetCurrent);
  ATTNC_CUDA_SYM(cuCtxGetDevice);
  ATTNC_CUDA_SYM(cuDeviceGet);
  ATTNC_CUDA_SYM(cuDevicePrimaryCtxRetain);
  ATTNC_CUDA_SYM(cuDeviceGetAttribute);
  ATTNC_CUDA_SYM(cuModuleLoadData);
  ATTNC_CUDA_SYM(cuModuleGetFunction);
  ATTNC_CUDA_SYM(cuLaunchKernel);
  ATTNC_CUDA_SYM(cuFuncSetAttribute);
#undef ATTNC_CUDA_SYM
  if (attnc_cuda_check(l, l->cuInit(0), "cuInit") ||
      attnc_cuda_check(l, l->cuCtxGetCurrent(&ctx), "cuCtxGetCurrent"))
    return -1;
  if (!ctx) { /* no context yet: device 0's primary context (the CUDA runtime's) */
    if (attnc_cuda_check(l, l->cuDeviceGet(&dev, 0), "cuDeviceGet") ||
        attnc_cuda_check(l, l->cuDevicePrimaryCtxRetain(&ctx, dev), "cuDevicePrimaryCtxRetain") ||
        attnc_cuda_check(l, l->cuCtxSetCurrent(ctx), "cuCtxSetCurrent"))
      return -1;
  }
  if (attnc_cuda_check(l, l->cuCtxGetDevice(&dev), "cuCtxGetDevice") ||
      attnc_cuda_check(l, l->cuDeviceGetAttribute(&major, ATTNC_CU_ATTR_CC_MAJOR, dev),
                       "cuDeviceGetAttribute") ||
      attnc_cuda_check(l, l->cuDeviceGetAttribute(&minor, ATTNC_CU_ATTR_CC_MINOR, dev),
                       "cuDeviceGetAttribute"))
    return -1;
  for (i = 0; i < l->imageCount; ++i)
    if (l->images[i].major == major)
      image = l->images[i].image, l->loadedMajor = major;
  if (!image) {
    if (!l->ptx) {
      attnc_cuda_fail(l, "no kernels for compute capability %d.%d", major, minor);
      return -1;
    }
    image = l->ptx; /* the driver compiles it for this device */
  }
  if (attnc_cuda_check(l, l->cuModuleLoadData(&l->module, image), "cuModuleLoadData"))
    return -1;
  l->loaded = 1;
  return 0;
}

/* The kernel `name` of the library's module (loading it first). 0, or -1
 * with the error set. */
static int attnc_cuda_function(attnc_cuda_library *l, const char *name, attnc_CUfunction *f) {
  int i, rc = 0;
  pthread_mutex_lock(&l->lock);
  if (attnc_cuda_load_locked(l)) {
    rc = -1;
  } else {
    for (i = 0; i < l->kernelCount; ++i)
      if (!strcmp(l->kernelNames[i], name)) {
        *f = l->kernels[i];
        break;
      }
    if (i == l->kernelCount) {
      if (i == ATTNC_CUDA_MAX_KERNELS)
        attnc_cuda_fail(l, "more than %d kernels", ATTNC_CUDA_MAX_KERNELS), rc = -1;
      else if (attnc_cuda_check(l, l->cuModuleGetFunction(f, l->module, name), name))
        rc = -1;
      else
        l->kernelNames[i] = name, l->kernels[i] = *f, l->kernelCount = i + 1;
    }
  }
  pthread_mutex_unlock(&l->lock);
  return rc;
}

/* Appends a dense row-major memref descriptor of `rank` dims at device
 * pointer p: p, p, 0, sizes, strides. Returns the new count. */
static int attnc_cuda_push_view(uint64_t *params, int n, const void *p, int rank,
                                const int64_t *dims) {
  int64_t stride = 1;
  int d;
  params[n++] = (uint64_t)(uintptr_t)p;
  params[n++] = (uint64_t)(uintptr_t)p;
  params[n++] = 0;
  for (d = 0; d < rank; ++d)
    params[n + d] = (uint64_t)dims[d];
  for (d = rank - 1; d >= 0; --d) {
    params[n + rank + d] = (uint64_t)stride;
    stride *= dims[d];
  }
  return n + 2 * rank;
}

static int attnc_cuda_push_scalar(uint64_t *params, int n, int64_t v) {
  params[n++] = (uint64_t)v;
  return n;
}

/* Whether to launch the tensor-core kernels where a spec has them (unless
 * ATTNC_GPU_CUDA_CORES is set to something other than 0: the CUDA-core
 * kernels, for comparison or on devices without mma.sync). */
static __attribute__((unused)) int attnc_cuda_tensor_cores(void) {
  const char *e = getenv("ATTNC_GPU_CUDA_CORES");
  return !e || !*e || !strcmp(e, "0");
}

/* Launches `f` on a gridX x gridY x gridZ grid of `block` threads on
 * `stream` with `count` 8-byte parameters and `shared` bytes of dynamic
 * shared memory. The function's limit is raised to `shared` first: CUDA
 * requires it when static and dynamic shared memory together pass 48 KiB. */
static int attnc_cuda_launch_grid(attnc_cuda_library *l, attnc_CUfunction f, const char *what,
                                  unsigned gridX, unsigned gridY, unsigned gridZ, unsigned block,
                                  unsigned shared, uint64_t *params, int count, void *stream) {
  void *args[ATTNC_CUDA_MAX_PARAMS + 1];
  int i;
  if (count > ATTNC_CUDA_MAX_PARAMS) {
    attnc_cuda_fail(l, "%s: %d parameters", what, count);
    return -1;
  }
  /* CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES */
  if (shared > 0 &&
      attnc_cuda_check(l, l->cuFuncSetAttribute(f, 8, (int)shared), "cuFuncSetAttribute (dynamic shared memory)"))
    return -1;
  for (i = 0; i < count; ++i)
    args[i] = &params[i];
  args[count] = NULL; /* not needed by CUDA; lets a recording test driver count them */
  return attnc_cuda_check(l, l->cuLaunchKernel(f, gridX, gridY, gridZ, block, 1, 1, shared,
                                               (attnc_CUstream)stream, args, NULL),
                          what);
}
static __attribute__((unused)) int attnc_cuda_launch_shared(attnc_cuda_library *l, attnc_CUfunction f,
                                                            const char *what, unsigned gridX, unsigned gridY,
                                                            unsigned block, unsigned shared, uint64_t *params,
                                                            int count, void *stream) {
  return attnc_cuda_launch_grid(l, f, what, gridX, gridY, 1, block, shared, params, count, stream);
}
static int attnc_cuda_launch(attnc_cuda_library *l, attnc_CUfunction f, const char *what,
                             unsigned gridX, unsigned gridY, unsigned block, uint64_t *params,
                             int count, void *stream) {
  return attnc_cuda_launch_shared(l, f, what, gridX, gridY, block, 0, params, count, stream);
}

#endif /* ATTNC_CUDA_H */
