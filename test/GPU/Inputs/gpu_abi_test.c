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

  /* mistral_7b decode over its paged cache (pages of 16): 4 rows, 5 splits,
   * 10 physical pages, a page table of 2 sequences x 5 pages. */
  {
    glib_gpu_buffer d[11] = {
        {P(0x12000), 3, {4, 32, 128}},    {P(0x13000), 1, {4}},        {P(0x14000), 1, {4}},
        {P(0x15000), 4, {10, 16, 8, 128}}, {P(0x16000), 4, {10, 16, 8, 128}},
        {P(0x17000), 2, {10, 16}},        {P(0x18000), 2, {2, 5}},     {P(0x19000), 1, {4}},
        {P(0x1a000), 4, {4, 5, 32, 128}},  {P(0x1b000), 3, {4, 5, 32}}, {P(0x1c000), 3, {4, 32, 128}}};
    glib_gpu_buffer a[7] = {{P(0x22000), 3, {2, 8, 128}}, {P(0x23000), 3, {2, 8, 128}}, {P(0x24000), 1, {2}},
                            d[3], d[4], d[5], d[6]};
    rc = mistral_7b_decode_gpu(d, 11, P(0x99));
    printf("mistral_7b_decode_gpu: %d (%s)\n", rc, glib_gpu_error());
    rc = glib_gpu_append("mistral_7b", a, 7, 0, 3, P(0x1d000), P(0x99));
    printf("glib_gpu_append: %d (%s)\n", rc, glib_gpu_error());
    /* Buffers that do not fit: a clear error, nothing launched. */
    rc = glib_gpu_decode("mistral_7b", d, 10, NULL);
    printf("10 buffers: %d (%s)\n", rc, glib_gpu_error());
    d[3].sizes[2] = 4;
    rc = mistral_7b_decode_gpu(d, 11, NULL);
    printf("kv heads: %d (%s)\n", rc, glib_gpu_error());
    d[3].sizes[2] = 8;
    d[7].sizes[0] = 3;
    rc = mistral_7b_decode_gpu(d, 11, NULL);
    printf("rows: %d (%s)\n", rc, glib_gpu_error());
    a[2].sizes[0] = 1;
    rc = mistral_7b_append_gpu(a, 7, 0, 3, P(0x1d000), NULL);
    printf("append tokens: %d (%s)\n", rc, glib_gpu_error());
    rc = glib_gpu_decode("t5", d, 11, NULL);
    printf("unknown spec: %d (%s)\n", rc, glib_gpu_error());
  }
  /* The model's element-wise operations: RMSNorm of 300 rows of 576
   * (eps 1e-5), SwiGLU over 1536 elements; then bad sizes. */
  rc = glib_gpu_rmsnorm(P(0x31000), P(0x32000), P(0x33000), 300, 576, 1e-5f, P(0x99));
  printf("glib_gpu_rmsnorm: %d (%s)\n", rc, glib_gpu_error());
  rc = glib_gpu_swiglu(P(0x34000), P(0x35000), P(0x36000), 1536, P(0x99));
  printf("glib_gpu_swiglu: %d (%s)\n", rc, glib_gpu_error());
  rc = glib_gpu_rmsnorm(P(0x31000), P(0x32000), P(0x33000), 3, 0, 1e-5f, NULL);
  printf("rmsnorm dim 0: %d (%s)\n", rc, glib_gpu_error());
  rc = glib_gpu_swiglu(P(0x34000), P(0x35000), P(0x36000), -2, NULL);
  printf("swiglu count -2: %d (%s)\n", rc, glib_gpu_error());

  /* Ragged batches: three sequences of 5, 0 and 200 queries over 9, 7 and
   * 200 keys; device offsets at 0xc0000/0xd0000, their host copies here. */
  {
    int64_t cq[4] = {0, 5, 5, 205}, ck[4] = {0, 9, 16, 216}, bad[3] = {0, 5, 3};
    rc = mistral_7b_prefill_varlen_gpu(P(0x10000), P(0x20000), P(0x30000), P(0x40000), P(0x50000), P(0xc0000),
                                       P(0xd0000), cq, ck, 3, P(0x60000), P(0xa0000), P(0xb0000), P(0x99));
    printf("mistral_7b_prefill_varlen_gpu: %d (%s)\n", rc, glib_gpu_error());
    rc = mistral_7b_prefill_varlen_gpu(P(0x10000), P(0x20000), P(0x30000), P(0x40000), P(0x50000), P(0xc0000),
                                       P(0xd0000), bad, ck, 2, P(0x60000), P(0xa0000), P(0xb0000), NULL);
    printf("decreasing offsets: %d (%s)\n", rc, glib_gpu_error());
    rc = mistral_7b_prefill_varlen_gpu(P(0x10000), P(0x20000), P(0x30000), P(0x40000), P(0x50000), P(0xc0000),
                                       P(0xd0000), NULL, ck, 3, P(0x60000), P(0xa0000), P(0xb0000), NULL);
    printf("no host offsets: %d (%s)\n", rc, glib_gpu_error());
    /* t5_bias (f32) has no tensor-core kernel: its single-sequence kernels per
     * sequence (the empty one skipped), at the sequences' offsets. */
    rc = t5_bias_prefill_varlen_gpu(P(0x11000), P(0x21000), P(0x31000), P(0x41000), P(0x51000), P(0xc1000),
                                    P(0xd1000), cq, ck, 3, P(0x71000), 12, 32, P(0x61000), P(0xa1000),
                                    P(0xb1000), NULL);
    printf("t5_bias_prefill_varlen_gpu: %d (%s)\n", rc, glib_gpu_error());
  }
  /* Prefill over the cache (mistral_7b's paged cache, as for decode): 3
   * queries over the first 40 tokens of sequence 1, then bad arguments. */
  {
    int64_t need = glib_gpu_prefill_cache_workspace("mistral_7b", 3, 40);
    glib_gpu_buffer c[8] = {
        {P(0x42000), 3, {3, 32, 128}},     {P(0x43000), 1, {3}},
        {P(0x15000), 4, {10, 16, 8, 128}}, {P(0x16000), 4, {10, 16, 8, 128}},
        {P(0x17000), 2, {10, 16}},         {P(0x18000), 2, {2, 5}},
        {P(0x44000), 3, {3, 32, 128}},     {P(0x100000), 1, {need}}};
    printf("workspace: %lld, unknown spec %lld\n", (long long)need,
           (long long)glib_gpu_prefill_cache_workspace("t5_bias", 3, 40));
    rc = glib_gpu_prefill_cache("mistral_7b", c, 8, 1, 40, P(0x99));
    printf("glib_gpu_prefill_cache: %d (%s)\n", rc, glib_gpu_error());
    rc = mistral_7b_prefill_cache_gpu(c, 8, 2, 40, NULL);
    printf("seq 2: %d (%s)\n", rc, glib_gpu_error());
    rc = mistral_7b_prefill_cache_gpu(c, 8, 1, 81, NULL);
    printf("len 81: %d (%s)\n", rc, glib_gpu_error());
    c[7].sizes[0] = need - 1;
    rc = mistral_7b_prefill_cache_gpu(c, 8, 1, 40, NULL);
    printf("small workspace: %d (%s)\n", rc, glib_gpu_error());
    c[7].sizes[0] = need;
    c[1].sizes[0] = 2;
    rc = mistral_7b_prefill_cache_gpu(c, 8, 1, 40, NULL);
    printf("q_pos rows: %d (%s)\n", rc, glib_gpu_error());
    rc = glib_gpu_prefill_cache("t5_bias", c, 8, 1, 40, NULL);
    printf("no cache: %d (%s)\n", rc, glib_gpu_error());
  }
  /* A batch over the cache: entries of 3, 0 and 200 queries over the first
   * 40, 7 and 80 tokens of sequences 1, 0 and 1; device offsets at
   * 0x45000/0x46000, their host copies here. */
  {
    int64_t seqs[3] = {1, 0, 1}, cq[4] = {0, 3, 3, 203}, ck[4] = {0, 40, 47, 127}, bad[4] = {0, 40, 30, 127};
    int64_t need = glib_gpu_prefill_cache_workspace("mistral_7b", 203, 127);
    glib_gpu_buffer c[10] = {
        {P(0x42000), 3, {203, 32, 128}},   {P(0x43000), 1, {203}},
        {P(0x45000), 1, {4}},              {P(0x46000), 1, {4}},
        {P(0x15000), 4, {10, 16, 8, 128}}, {P(0x16000), 4, {10, 16, 8, 128}},
        {P(0x17000), 2, {10, 16}},         {P(0x18000), 2, {2, 5}},
        {P(0x44000), 3, {203, 32, 128}},   {P(0x200000), 1, {need}}};
    rc = glib_gpu_prefill_cache_varlen("mistral_7b", c, 10, 3, seqs, cq, ck, P(0x99));
    printf("glib_gpu_prefill_cache_varlen: %d (%s)\n", rc, glib_gpu_error());
    rc = mistral_7b_prefill_cache_varlen_gpu(c, 10, 3, seqs, cq, bad, NULL);
    printf("decreasing key offsets: %d (%s)\n", rc, glib_gpu_error());
    seqs[2] = 2;
    rc = mistral_7b_prefill_cache_varlen_gpu(c, 10, 3, seqs, cq, ck, NULL);
    printf("entry sequence 2: %d (%s)\n", rc, glib_gpu_error());
    seqs[2] = 1;
    ck[3] = 128;
    rc = mistral_7b_prefill_cache_varlen_gpu(c, 10, 3, seqs, cq, ck, NULL);
    printf("entry len 81: %d (%s)\n", rc, glib_gpu_error());
    rc = mistral_7b_prefill_cache_varlen_gpu(c, 10, 2, seqs, cq, ck, NULL);
    printf("nseq 2: %d (%s)\n", rc, glib_gpu_error());
  }
  return 0;
}
