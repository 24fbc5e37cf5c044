//===- CudaDriver.cpp - The CUDA driver API, opened at run time -----------===//
#include "runtime/gpu/CudaDriver.h"

#include <dlfcn.h>

#include <cstdlib>

namespace attnc::gpu {

bool CudaDriver::open(std::string &error) {
  if (open_)
    return true;
  const char *path = std::getenv("ATTNC_CUDA_DRIVER");
  if (!path || !*path)
    path = "libcuda.so.1";
  void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char *why = dlerror();
    error = std::string("the CUDA driver (") + path + ") cannot be opened: " + (why ? why : "?");
    return false;
  }
  bool ok = true;
  auto sym = [&](auto &f, const char *name) {
    *(void **)&f = dlsym(lib, name);
    if (!f && ok) {
      error = std::string("the CUDA driver (") + path + ") has no " + name;
      ok = false;
    }
  };
  sym(cuInit_, "cuInit");
  sym(cuDeviceGet_, "cuDeviceGet");
  sym(cuDeviceGetName_, "cuDeviceGetName");
  sym(cuDevicePrimaryCtxRetain_, "cuDevicePrimaryCtxRetain");
  sym(cuCtxSetCurrent_, "cuCtxSetCurrent");
  sym(cuCtxSynchronize_, "cuCtxSynchronize");
  sym(cuMemAlloc_, "cuMemAlloc_v2");
  sym(cuMemFree_, "cuMemFree_v2");
  sym(cuMemcpyHtoD_, "cuMemcpyHtoD_v2");
  sym(cuMemcpyDtoH_, "cuMemcpyDtoH_v2");
  sym(cuMemsetD8_, "cuMemsetD8_v2");
  sym(cuEventCreate_, "cuEventCreate");
  sym(cuEventRecord_, "cuEventRecord");
  sym(cuEventSynchronize_, "cuEventSynchronize");
  sym(cuEventElapsedTime_, "cuEventElapsedTime");
  sym(cuGetErrorString_, "cuGetErrorString");
  if (!ok)
    return false;
  int dev = 0;
  void *ctx = nullptr;
  char name[256] = {0};
  if (check(cuInit_(0), "cuInit", error) || check(cuDeviceGet_(&dev, 0), "cuDeviceGet", error) ||
      check(cuDeviceGetName_(name, sizeof name - 1, dev), "cuDeviceGetName", error) ||
      check(cuDevicePrimaryCtxRetain_(&ctx, dev), "cuDevicePrimaryCtxRetain", error) ||
      check(cuCtxSetCurrent_(ctx), "cuCtxSetCurrent", error))
    return false;
  device_ = name;
  open_ = true;
  return true;
}

int CudaDriver::check(int r, const char *what, std::string &error) {
  if (r == 0)
    return 0;
  const char *s = nullptr;
  if (cuGetErrorString_)
    cuGetErrorString_(r, &s);
  error = std::string(what) + " failed: CUDA error " + std::to_string(r) + " (" + (s ? s : "?") + ")";
  return r;
}

int CudaDriver::alloc(Ptr &p, size_t bytes, std::string &error) {
  return check(cuMemAlloc_(&p, bytes ? bytes : 1), "cuMemAlloc", error);
}
void CudaDriver::free(Ptr p) {
  if (p && cuMemFree_)
    cuMemFree_(p);
}
int CudaDriver::toDevice(Ptr dst, const void *src, size_t bytes, std::string &error) {
  return bytes ? check(cuMemcpyHtoD_(dst, src, bytes), "cuMemcpyHtoD", error) : 0;
}
int CudaDriver::toHost(void *dst, Ptr src, size_t bytes, std::string &error) {
  return bytes ? check(cuMemcpyDtoH_(dst, src, bytes), "cuMemcpyDtoH", error) : 0;
}
int CudaDriver::fill(Ptr dst, unsigned char byte, size_t bytes, std::string &error) {
  return bytes ? check(cuMemsetD8_(dst, byte, bytes), "cuMemsetD8", error) : 0;
}
int CudaDriver::synchronize(const char *what, std::string &error) {
  return check(cuCtxSynchronize_(), what, error);
}
int CudaDriver::createEvent(void **e, std::string &error) {
  return check(cuEventCreate_(e, 0), "cuEventCreate", error);
}
int CudaDriver::record(void *e, std::string &error) {
  return check(cuEventRecord_(e, nullptr), "cuEventRecord", error);
}
int CudaDriver::elapsed(void *start, void *stop, float &ms, std::string &error) {
  if (int r = check(cuEventSynchronize_(stop), "the kernels", error))
    return r;
  return check(cuEventElapsedTime_(&ms, start, stop), "cuEventElapsedTime", error);
}

} // namespace attnc::gpu
