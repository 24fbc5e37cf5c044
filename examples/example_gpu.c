/* The GPU kernel library of examples/example.attn as an application links it
 * (attnc_add_kernel_library(... GPU_ARCHS sm_80 sm_90)): no CUDA header or
 * library at build time. It lists the library's specs and makes one call; on
 * a machine without a GPU the call reports that the CUDA driver is missing.
 * (bench/gpu/gpu_check.cpp is the full program: device memory, inputs, the
 * reference.) */
#include "example_gpu_kernels_gpu.h"

#include <stdio.h>

int main(void) {
  for (int64_t i = 0; i < example_gpu_kernels_gpu_num_specs(); ++i)
    printf("spec %s\n", example_gpu_kernels_gpu_spec_name(i));
  /* An empty call (no queries) launches nothing and succeeds anywhere. */
  int rc = example_swa_prefill_gpu(NULL, 0, NULL, NULL, 0, NULL, NULL, 0, NULL, NULL, NULL, NULL);
  printf("empty call: %d\n", rc);
  /* A negative length is refused before any launch. */
  rc = example_swa_prefill_gpu(NULL, -1, NULL, NULL, 0, NULL, NULL, 0, NULL, NULL, NULL, NULL);
  printf("bad call: %d (%s)\n", rc, example_gpu_kernels_gpu_error());
  return 0;
}
