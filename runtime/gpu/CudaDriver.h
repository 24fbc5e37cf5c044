//===- CudaDriver.h - The CUDA driver API, opened at run time ---*- C++ -*-===//
//
// The few driver calls the host side of attnc makes itself (device memory,
// copies, synchronization, events), resolved with dlopen from libcuda.so.1
// (ATTNC_CUDA_DRIVER overrides it: the tests' stand-in driver), so nothing
// links against CUDA and a machine without it gets a clear error. Kernel
// launches go through the generated GPU kernel libraries (attnc_cuda.h),
// which open the same driver and use the same primary context of device 0.
// Plain C++17, no LLVM: bench/gpu/gpu_check.cpp builds it on the GPU machine.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_RUNTIME_GPU_CUDADRIVER_H
#define ATTNC_RUNTIME_GPU_CUDADRIVER_H

#include <cstddef>
#include <cstdint>
#include <string>

namespace attnc::gpu {

class CudaDriver {
public:
  using Ptr = unsigned long long; ///< CUdeviceptr

  /// Opens the driver, device 0 and its primary context (made current).
  /// False, with `error` set, when any step fails.
  bool open(std::string &error);
  bool isOpen() const { return open_; }
  const std::string &deviceName() const { return device_; }

  // Each returns 0, or the CUDA error with `error` describing it.
  int alloc(Ptr &p, size_t bytes, std::string &error);
  void free(Ptr p);
  int toDevice(Ptr dst, const void *src, size_t bytes, std::string &error);
  int toHost(void *dst, Ptr src, size_t bytes, std::string &error);
  int fill(Ptr dst, unsigned char byte, size_t bytes, std::string &error);
  int synchronize(const char *what, std::string &error);
  int createEvent(void **e, std::string &error);
  int record(void *e, std::string &error);
  /// Milliseconds between two recorded events (waits for the second).
  int elapsed(void *start, void *stop, float &ms, std::string &error);

private:
  int check(int r, const char *what, std::string &error);

  bool open_ = false;
  std::string device_;
  int (*cuInit_)(unsigned) = nullptr;
  int (*cuDeviceGet_)(int *, int) = nullptr;
  int (*cuDeviceGetName_)(char *, int, int) = nullptr;
  int (*cuDevicePrimaryCtxRetain_)(void **, int) = nullptr;
  int (*cuCtxSetCurrent_)(void *) = nullptr;
  int (*cuCtxSynchronize_)() = nullptr;
  int (*cuMemAlloc_)(Ptr *, size_t) = nullptr;
  int (*cuMemFree_)(Ptr) = nullptr;
  int (*cuMemcpyHtoD_)(Ptr, const void *, size_t) = nullptr;
  int (*cuMemcpyDtoH_)(void *, Ptr, size_t) = nullptr;
  int (*cuMemsetD8_)(Ptr, unsigned char, size_t) = nullptr;
  int (*cuEventCreate_)(void **, unsigned) = nullptr;
  int (*cuEventRecord_)(void *, void *) = nullptr;
  int (*cuEventSynchronize_)(void *) = nullptr;
  int (*cuEventElapsedTime_)(float *, void *, void *) = nullptr;
  int (*cuGetErrorString_)(int, const char **) = nullptr;
};

} // namespace attnc::gpu

#endif
