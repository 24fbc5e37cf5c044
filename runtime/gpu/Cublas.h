//===- Cublas.h - cuBLAS's SGEMM, opened at run time -------------*- C++ -*-===//
//
// The dense layers of attn-run --device cuda are cuBLAS matrix products.
// Like CudaDriver, the library is resolved with dlopen (ATTNC_CUBLAS
// overrides the search: the tests' stand-in, test/GPU/Inputs/fake_cuda.c),
// so nothing links against CUDA and a machine without cuBLAS gets a clear
// error. It uses the CUDA driver's current context (CudaDriver::open first).
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_RUNTIME_GPU_CUBLAS_H
#define ATTNC_RUNTIME_GPU_CUBLAS_H

#include <cstdint>
#include <string>

namespace attnc::gpu {

class Cublas {
public:
  Cublas() = default;
  Cublas(const Cublas &) = delete;
  Cublas &operator=(const Cublas &) = delete;
  ~Cublas();

  /// Opens cuBLAS (ATTNC_CUBLAS, else libcublas.so.13, .so.12, .so) and
  /// creates a handle. False, with `error` set, when any step fails.
  bool open(std::string &error);
  bool isOpen() const { return handle_ != nullptr; }
  /// The library that was opened.
  const std::string &path() const { return path_; }

  /// y [rows][out] (+)= x [rows][in] . w^T, for w [out][in], all row-major
  /// f32 device pointers (a linear layer: y = x W^T; accumulate adds to y,
  /// as a residual connection). 0, or the cuBLAS status with `error` set.
  int linear(const float *x, int64_t rows, const float *w, int64_t in, int64_t out, float *y,
             bool accumulate, std::string &error);

private:
  void *handle_ = nullptr;
  std::string path_;
  int (*create_)(void **) = nullptr;
  int (*destroy_)(void *) = nullptr;
  int (*sgemm_)(void *, int, int, int, int, int, const float *, const float *, int, const float *,
                int, const float *, float *, int) = nullptr;
  const char *(*statusString_)(int) = nullptr;
};

} // namespace attnc::gpu

#endif
