// Times ggml's CPU flash attention (GGML_OP_FLASH_ATTN_EXT, what llama.cpp
// runs for prompt processing with -fa) on the same prefill shapes as
// attnc-bench-prefill: Lq = Lk = LEN, causal (optionally a sliding window),
// f32 Q, f16 K/V (llama.cpp's KV cache type; ggml's CPU kernel converts Q to
// f16 for the dot products), f16 additive mask. Prints one line:
//   ggml D=.. heads=.. kv_heads=.. len=.. window=.. median_ms=.. gflops=..
// FLOPs counted as in attnc-bench-prefill: 4 * D per kept (query, key) pair.
// With LQ (e.g. 1: one decode step over LEN cached tokens, what llama.cpp
// runs per generated token with -fa) the queries are the last LQ positions
// and the line also gives the K/V bytes read per second (gbps).
//   ggml-flash-attn THREADS D HEADS KV_HEADS LEN [WINDOW] [REPEATS] [SOFTCAP] [MAX_BIAS] [LQ]
#include "ggml-cpu.h"
#include "ggml.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: %s THREADS D HEADS KV_HEADS LEN [WINDOW] [REPEATS] [SOFTCAP] [MAX_BIAS] [LQ]\n",
            argv[0]);
    return 1;
  }
  int threads = atoi(argv[1]);
  int64_t D = atoll(argv[2]), H = atoll(argv[3]), Hkv = atoll(argv[4]), L = atoll(argv[5]);
  int64_t window = argc > 6 ? atoll(argv[6]) : 0;
  int repeats = argc > 7 ? atoi(argv[7]) : 3;
  float softcap = argc > 8 ? (float)atof(argv[8]) : 0.0f;
  float maxBias = argc > 9 ? (float)atof(argv[9]) : 0.0f;
  int64_t Lq = argc > 10 ? atoll(argv[10]) : L;
  if (Lq < 1 || Lq > L) {
    fprintf(stderr, "LQ must be in [1, LEN]\n");
    return 1;
  }
#ifdef GGML_KQ_MASK_PAD
  int64_t maskRows = (Lq + GGML_KQ_MASK_PAD - 1) / GGML_KQ_MASK_PAD * GGML_KQ_MASK_PAD;
#else
  int64_t maskRows = Lq;
#endif
  size_t bytes = (size_t)(D * Lq * H * 4 + 2 * D * L * Hkv * 2 + L * maskRows * 2 + D * Lq * H * 4);
  struct ggml_init_params params = {bytes + ((size_t)512 << 20), NULL, false};
  struct ggml_context *ctx = ggml_init(params);
  struct ggml_tensor *q = ggml_new_tensor_3d(ctx, GGML_TYPE_F32, D, Lq, H);
  struct ggml_tensor *k = ggml_new_tensor_3d(ctx, GGML_TYPE_F16, D, L, Hkv);
  struct ggml_tensor *v = ggml_new_tensor_3d(ctx, GGML_TYPE_F16, D, L, Hkv);
  struct ggml_tensor *mask = ggml_new_tensor_2d(ctx, GGML_TYPE_F16, L, maskRows);
  srand(1);
  float *qd = (float *)q->data;
  for (int64_t i = 0; i < D * Lq * H; ++i)
    qd[i] = (float)rand() / RAND_MAX - 0.5f;
  ggml_fp16_t *kd = (ggml_fp16_t *)k->data, *vd = (ggml_fp16_t *)v->data;
  for (int64_t i = 0; i < D * L * Hkv; ++i) {
    kd[i] = ggml_fp32_to_fp16((float)rand() / RAND_MAX - 0.5f);
    vd[i] = ggml_fp32_to_fp16((float)rand() / RAND_MAX - 0.5f);
  }
  ggml_fp16_t *md = (ggml_fp16_t *)mask->data;
  ggml_fp16_t zero = ggml_fp32_to_fp16(0.0f), ninf = ggml_fp32_to_fp16(-INFINITY);
  double pairs = 0;
  for (int64_t i = 0; i < maskRows; ++i)
    for (int64_t j = 0; j < L; ++j) {
      int64_t qpos = L - Lq + i; // padding rows: any value
      int keep = i < Lq && j <= qpos && (window == 0 || qpos - j < window);
      md[i * L + j] = keep ? zero : ninf;
      pairs += keep;
    }
  struct ggml_tensor *out =
      ggml_flash_attn_ext(ctx, q, k, v, mask, 1.0f / sqrtf((float)D), maxBias, softcap);
  struct ggml_cgraph *gf = ggml_new_graph(ctx);
  ggml_build_forward_expand(gf, out);
  double *times = (double *)malloc(sizeof(double) * repeats);
  if (repeats > 1)
    ggml_graph_compute_with_ctx(ctx, gf, threads); // warm-up
  for (int r = 0; r < repeats; ++r) {
    double t0 = now();
    ggml_graph_compute_with_ctx(ctx, gf, threads);
    times[r] = now() - t0;
  }
  qsort(times, repeats, sizeof(double), cmp);
  double median = times[repeats / 2];
  double gflops = 4.0 * D * pairs * H / median / 1e9;
  if (Lq == L) {
    printf("ggml D=%lld heads=%lld kv_heads=%lld len=%lld window=%lld median_ms=%.1f gflops=%.2f\n",
           (long long)D, (long long)H, (long long)Hkv, (long long)L, (long long)window, median * 1e3,
           gflops);
  } else {
    double gbps = 2.0 * L * Hkv * D * 2 / median / 1e9; // f16 K and V, read once
    printf("ggml D=%lld heads=%lld kv_heads=%lld len=%lld lq=%lld median_us=%.1f gflops=%.2f gbps=%.2f\n",
           (long long)D, (long long)H, (long long)Hkv, (long long)L, (long long)Lq, median * 1e6, gflops,
           gbps);
  }
  ggml_free(ctx);
  return 0;
}
