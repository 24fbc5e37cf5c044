//===- Cublas.cpp - cuBLAS's SGEMM, opened at run time --------------------===//
#include "runtime/gpu/Cublas.h"

#include <dlfcn.h>

#include <climits>
#include <cstdlib>

namespace attnc::gpu {

Cublas::~Cublas() {
  if (handle_ && destroy_)
    destroy_(handle_);
}

bool Cublas::open(std::string &error) {
  if (handle_)
    return true;
  const char *env = std::getenv("ATTNC_CUBLAS");
  void *lib = nullptr;
  std::string tried;
  for (const char *candidate : {"libcublas.so.13", "libcublas.so.12", "libcublas.so"}) {
    const char *p = env && *env ? env : candidate;
    if ((lib = dlopen(p, RTLD_NOW | RTLD_LOCAL))) {
      path_ = p;
      break;
    }
    const char *why = dlerror();
    // dlerror usually names the file already.
    std::string msg = why ? why : "?";
    if (msg.find(p) == std::string::npos)
      msg = std::string(p) + ": " + msg;
    tried += (tried.empty() ? "" : "; ") + msg;
    if (env && *env)
      break;
  }
  if (!lib) {
    error = "cuBLAS cannot be opened (" + tried + ")";
    return false;
  }
  bool ok = true;
  auto sym = [&](auto &f, const char *name) {
    *(void **)&f = dlsym(lib, name);
    if (!f && ok) {
      error = "cuBLAS (" + path_ + ") has no " + name;
      ok = false;
    }
  };
  sym(create_, "cublasCreate_v2");
  sym(destroy_, "cublasDestroy_v2");
  sym(sgemm_, "cublasSgemm_v2");
  sym(statusString_, "cublasGetStatusString");
  if (!ok)
    return false;
  if (int s = create_(&handle_)) {
    handle_ = nullptr;
    error = "cublasCreate failed: " + std::string(statusString_(s));
    return false;
  }
  return true;
}

int Cublas::linear(const float *x, int64_t rows, const float *w, int64_t in, int64_t out, float *y,
                   bool accumulate, std::string &error) {
  if (rows < 0 || in <= 0 || out <= 0 || rows > INT_MAX || in > INT_MAX || out > INT_MAX) {
    error = "cuBLAS linear: bad sizes (" + std::to_string(rows) + " rows, " + std::to_string(in) + " -> " +
            std::to_string(out) + ")";
    return 7; // CUBLAS_STATUS_INVALID_VALUE
  }
  if (rows == 0)
    return 0;
  // Column-major, cuBLAS's view of row-major data: y^T (out x rows) =
  // W (out x in: w's row-major bytes are W^T column-major, hence op T) .
  // x^T (in x rows: x's bytes as they are).
  const float alpha = 1.0f, beta = accumulate ? 1.0f : 0.0f;
  int s = sgemm_(handle_, /*transa=T*/ 1, /*transb=N*/ 0, (int)out, (int)rows, (int)in, &alpha, w, (int)in, x,
                 (int)in, &beta, y, (int)out);
  if (s)
    error = "cublasSgemm (" + std::to_string(rows) + " x " + std::to_string(in) + " -> " + std::to_string(out) +
            ") failed: " + statusString_(s);
  return s;
}

} // namespace attnc::gpu
