/* Calls a generated GPU kernel library (attnc build --gpu-arch) with fake
 * device pointers, for the tests without a GPU: run with ATTNC_CUDA_DRIVER
 * naming no driver (a clear error) or the recording fake_cuda.so (the
 * launches and their parameters). */
#include "glib_gpu.h"

#include <stdio.h>

#define P(x) ((void *)(uintptr_t)(x))

int main(void) {
  int rc = mistral_7b_prefill_gpu(P(0x10000), 5, P(0x20000), P(0x30000), 9, P(0x40000), P(0x50000), 0,
                                  P(0x60000), P(0xa0000), P(0xb0000), P(0x99));
  printf("mistral_7b_prefill_gpu: %d (%s), arch %d\n", rc, glib_gpu_error(), glib_gpu_loaded_arch());
  /* Kernel inputs: t5_bias's rel_bias [heads][buckets]. */
  rc = t5_bias_prefill_gpu(P(0x11000), 300, P(0x21000), P(0x31000), 200, P(0x41000), P(0x51000), 0,
                           P(0x71000), 12, 32, P(0x61000), P(0xa1000), P(0xb1000), NULL);
  printf("t5_bias_prefill_gpu: %d (%s)\n", rc, glib_gpu_error());
  rc = t5_bias_prefill_gpu(P(0x11000), -1, P(0x21000), P(0x31000), 200, P(0x41000), P(0x51000), 0,
                           P(0x71000), 12, 32, P(0x61000), P(0xa1000), P(0xb1000), NULL);
  printf("negative length: %d (%s)\n", rc, glib_gpu_error());
  return 0;
}
