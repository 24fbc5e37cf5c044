"""Times PyTorch CPU attention on attnc-bench-prefill's shapes: one line per
(kernel, shape) in the same format as ggml-flash-attn.

  torch_sdpa.py THREADS REPEATS SHAPE...      SHAPE = D:HEADS:KV_HEADS:LEN[:WINDOW]

Kernels: scaled_dot_product_attention (is_causal=True, or a boolean mask for
a sliding window; GQA via enable_gqa) and, when it compiles on this machine,
FlexAttention (torch.compile'd, block mask from the same mask function).
f32 (bf16 with TORCH_DTYPE=bf16), batch 1, inputs [1, heads, len, D].
FLOPs: 4 * D per kept pair.
"""
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F


def pairs(L, window):
    if window <= 0 or window >= L:
        return L * (L + 1) / 2
    return window * (window + 1) / 2 + (L - window) * window


def timeit(fn, repeats):
    fn()  # warm-up (and compile)
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def main():
    threads, repeats = int(sys.argv[1]), int(sys.argv[2])
    torch.set_num_threads(threads)
    flex = None
    try:
        from torch.nn.attention.flex_attention import create_block_mask, flex_attention
        flex = (torch.compile(flex_attention), create_block_mask)
    except Exception as e:  # noqa: BLE001
        print(f"# FlexAttention unavailable: {e}")
    for shape in sys.argv[3:]:
        parts = [int(x) for x in shape.split(":")]
        D, H, Hkv, L = parts[:4]
        window = parts[4] if len(parts) > 4 else 0
        g = torch.Generator().manual_seed(1)
        dtype = torch.bfloat16 if os.environ.get("TORCH_DTYPE") == "bf16" else torch.float32
        q = torch.randn(1, H, L, D, generator=g).to(dtype)
        k = torch.randn(1, Hkv, L, D, generator=g).to(dtype)
        v = torch.randn(1, Hkv, L, D, generator=g).to(dtype)
        flops = 4.0 * D * pairs(L, window) * H
        tag = f"D={D} heads={H} kv_heads={Hkv} len={L} window={window} dtype={str(dtype).split('.')[-1]}"
        with torch.no_grad():
            if window:
                i = torch.arange(L)
                mask = (i[None, :] <= i[:, None]) & (i[:, None] - i[None, :] < window)
                sdpa = lambda: F.scaled_dot_product_attention(q, k, v, attn_mask=mask, enable_gqa=H != Hkv)
            else:
                sdpa = lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=H != Hkv)
            t = timeit(sdpa, repeats)
            print(f"torch_sdpa {tag} median_ms={t * 1e3:.1f} gflops={flops / t / 1e9:.2f}", flush=True)
            if flex:
                compiled, create_block_mask = flex

                def mask_mod(b, h, qi, ki):
                    keep = ki <= qi
                    if window:
                        keep = keep & (qi - ki < window)
                    return keep

                try:
                    bm = create_block_mask(mask_mod, None, None, L, L, device="cpu")
                    fa = lambda: compiled(q, k, v, block_mask=bm, enable_gqa=H != Hkv)
                    t = timeit(fa, repeats)
                    print(f"torch_flex {tag} median_ms={t * 1e3:.1f} gflops={flops / t / 1e9:.2f}", flush=True)
                except Exception as e:  # noqa: BLE001
                    print(f"# torch_flex {tag}: failed: {type(e).__name__}: {str(e)[:200]}", flush=True)
                    flex = None


if __name__ == "__main__":
    main()
