#!/usr/bin/env python3
"""GPU prefill side by side: attnc's kernels, PyTorch SDPA and FlexAttention.

Runs on the GPU machine (bench/gpu/run.sh), in one process per peer so a
failure of one leaves the others' numbers. attnc is timed by gpu-check
--bench (CUDA events, median) on the kernels compiled from bench/specs/gpu;
PyTorch's by torch.cuda events over the same shapes, bf16, random inputs,
median of --repeats after warm-ups. TFLOP/s counts 4 * D FLOPs per visible
(query, key, head) pair (2 for QK^T, 2 for PV), so skipped pairs are not
counted for anyone. attnc's time includes its prepare kernel (one thread; a
no-op for these RoPE-free specs apart from the f32 copy) and is the whole
NAME_prefill_gpu call.

Then decode over a paged cache (gpu_decode_paged_d128: bf16, 32 heads over 8
KV heads, pages of 16): one step of B sequences of L tokens, attnc's
NAME_decode_gpu (split-KV + merge) against SDPA over the same K/V stored
contiguously, both as K/V bytes read per second, next to the device's copy
bandwidth (a large tensor copy in PyTorch) as the roofline.

Then a ragged batch of causal sequences of mixed lengths (varlen_table):
attnc's single NAME_prefill_varlen_gpu call against its own per-sequence
calls, SDPA per sequence and FlexAttention with a document mask. Then a
chunk of queries over a paged cache (cache_prefill_table): attnc's prefill
over the cache against its decode rows, SDPA and FlexAttention over
contiguous K/V. Then Self-Extend (remap_table): attnc's tensor cores against
its CUDA cores. Last, the tuning table (tune_table): the default build against
builds with other tensor-core pipelines (--tune-lib: attnc build --gpu-stages
2, --gpu-key-tile 128, --gpu-overlap), so one GPU run says which to make the
default.

Usage: bench.py --gpu-check ./gpu-check --lib ./libgpu_bench_gpu.so --name gpu_bench
                [--alt-lib LABEL=lib/mma/libgpu_bench_gpu.so ...]
                [--lens 1024,4096,16384] [--decode-lens 1024,4096,16384,32768]
                [--batches 1,16] [--repeats 10] [--no-flex]
                [--tune-lib LABEL=lib/tune-s2/libgpu_bench_gpu.so ...] [--tune-lens 4096,16384]
"""
import argparse
import math
import os
import subprocess
import sys

VARIANTS = [
    # spec, heads, kv_heads, head_dim, kind, parameter
    ("gpu_causal_gqa1_d128", 32, 32, 128, "causal", None),
    ("gpu_causal_gqa4_d128", 32, 8, 128, "causal", None),
    ("gpu_causal_gqa8_d64", 32, 4, 64, "causal", None),
    ("gpu_swa4096_d128", 32, 8, 128, "window", 4096),
    ("gpu_alibi_d128", 32, 32, 128, "alibi", 8.0),
    ("gpu_softcap_d128", 32, 8, 128, "softcap", 50.0),
]


def gpu_check_line(args, extra, prefix, keys):
    """Runs gpu-check with `extra` arguments; the floats after each of `keys`
    on its output line starting with `prefix` (None each if absent), and a
    note (the last output line, or "timeout") when there is none."""
    cmd = [args.gpu_check, "--lib", args.lib, "--name", args.name] + extra + ["--repeats", str(args.repeats)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout).stdout
    except subprocess.TimeoutExpired:
        return [None] * len(keys), "timeout"
    for line in out.splitlines():
        if line.startswith(prefix):
            w = line.split()
            return [float(w[w.index(k) + 1]) for k in keys], ""
    return [None] * len(keys), (out.strip().splitlines()[-1] if out.strip() else "no output")


def visible_pairs(kind, param, L):
    if kind == "window":
        w = param
        return sum(min(i + 1, w) for i in range(L)) if L <= 65536 else None
    return L * (L + 1) // 2


def tflops(spec_row, L, ms):
    _, H, _, D, kind, param = spec_row
    if ms is None or ms <= 0:
        return None
    return 4.0 * D * H * visible_pairs(kind, param, L) / (ms * 1e-3) / 1e12


def time_attnc(args, row, L, lib=None, env=None):
    spec, H, G, D, _, _ = row
    cmd = [args.gpu_check, "--lib", lib or args.lib, "--name", args.name, "--bench", spec,
           "--shape", f"{H},{G},{D},bf16", "--len", str(L), "--repeats", str(args.repeats)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout,
                             env=dict(os.environ, **env) if env else None).stdout
    except subprocess.TimeoutExpired:
        return None, "timeout"
    for line in out.splitlines():
        if line.startswith(f"bench {spec} {L}: median_ms"):
            return float(line.split()[-1]), ""
    return None, out.strip().splitlines()[-1] if out.strip() else "no output"


def time_torch(fn, repeats):
    import torch
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        fn()
        e.record()
        e.synchronize()
        times.append(s.elapsed_time(e))
    times.sort()
    return times[len(times) // 2]


def alibi_slopes(H, max_bias):
    n = 2 ** int(math.floor(math.log2(H)))
    s = [2 ** (-max_bias * (h + 1) / n) for h in range(min(H, n))]
    s += [2 ** (-max_bias * (2 * k + 1) / (2 * n)) for k in range(H - n)]
    return s


def torch_peers(row, L, repeats, flex):
    import torch
    import torch.nn.functional as F
    _, H, G, D, kind, param = row
    dev = "cuda"
    q = torch.randn(1, H, L, D, device=dev, dtype=torch.bfloat16)
    k = torch.randn(1, G, L, D, device=dev, dtype=torch.bfloat16)
    v = torch.randn(1, G, L, D, device=dev, dtype=torch.bfloat16)
    res = {}
    # SDPA: causal through is_causal (flash/cuDNN back ends); window and ALiBi
    # through an explicit mask / bias (the memory-efficient or math back end);
    # softcap is not expressible.
    try:
        if kind == "causal":
            fn = lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=G != H)
        elif kind == "window":
            i = torch.arange(L, device=dev)
            m = (i[None, :] <= i[:, None]) & (i[:, None] - i[None, :] < param)
            fn = lambda: F.scaled_dot_product_attention(q, k, v, attn_mask=m, enable_gqa=G != H)
        elif kind == "alibi":
            i = torch.arange(L, device=dev)
            slopes = torch.tensor(alibi_slopes(H, param), device=dev)
            rel = (i[None, :] - i[:, None]).float()  # p_k - p_q
            bias = slopes[:, None, None] * rel[None]
            bias = bias.masked_fill(rel[None] > 0, float("-inf")).to(torch.bfloat16)
            fn = lambda: F.scaled_dot_product_attention(q, k, v, attn_mask=bias, enable_gqa=G != H)
        else:
            fn = None
        res["sdpa"] = time_torch(fn, repeats) if fn else None
    except Exception as e:  # out of memory for a dense bias, an old torch...
        res["sdpa"] = None
        res["sdpa_error"] = type(e).__name__
    if flex:
        try:
            from torch.nn.attention.flex_attention import create_block_mask, flex_attention
            compiled = torch.compile(flex_attention)
            if kind == "window":
                mask_mod = lambda b, h, qi, ki: (ki <= qi) & (qi - ki < param)
            else:
                mask_mod = lambda b, h, qi, ki: ki <= qi
            score_mod = None
            if kind == "alibi":
                slopes = torch.tensor(alibi_slopes(H, param), device=dev)
                score_mod = lambda s, b, h, qi, ki: s + slopes[h] * (ki - qi)
            elif kind == "softcap":
                score_mod = lambda s, b, h, qi, ki: param * torch.tanh(s / param)
            bm = create_block_mask(mask_mod, 1, 1, L, L, device=dev)
            fn = lambda: compiled(q, k, v, score_mod=score_mod, block_mask=bm, enable_gqa=G != H)
            res["flex"] = time_torch(fn, repeats)
        except Exception as e:
            res["flex"] = None
            res["flex_error"] = type(e).__name__
    return res


def decode_table(args, torch):
    spec, H, G, D = "gpu_decode_paged_d128", 32, 8, 128
    lens = [int(x) for x in args.decode_lens.split(",")]
    batches = [int(x) for x in args.batches.split(",")]
    roof = None
    if torch:
        n = 1 << 28  # 512 MiB of bf16: read + write
        a = torch.empty(n, device="cuda", dtype=torch.bfloat16)
        b = torch.empty_like(a)
        ms = time_torch(lambda: b.copy_(a), args.repeats)
        roof = 2 * 2 * n / (ms * 1e-3) / 1e9
        print(f"copy bandwidth (roofline): {roof:.0f} GB/s", flush=True)
    print("| decode (paged, bf16, GQA 4, D 128) | B | L | attnc GB/s | SDPA GB/s | attnc / SDPA | attnc / roofline |")
    print("|---|---|---|---|---|---|---|")
    for B in batches:
        for L in lens:
            cmd = [args.gpu_check, "--lib", args.lib, "--name", args.name, "--bench-decode", spec,
                   "--shape", f"{H},{G},{D},bf16", "--len", str(L), "--batch", str(B), "--page", "16",
                   "--repeats", str(args.repeats)]
            a = None
            try:
                out = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout).stdout
                for line in out.splitlines():
                    if line.startswith(f"bench-decode {spec} {B} {L}:"):
                        a = float(line.split("GB/s")[1].split()[0])
            except subprocess.TimeoutExpired:
                pass
            s = None
            if torch:
                try:
                    import torch.nn.functional as F
                    q = torch.randn(B, H, 1, D, device="cuda", dtype=torch.bfloat16)
                    k = torch.randn(B, G, L, D, device="cuda", dtype=torch.bfloat16)
                    v = torch.randn(B, G, L, D, device="cuda", dtype=torch.bfloat16)
                    ms = time_torch(lambda: F.scaled_dot_product_attention(q, k, v, enable_gqa=True), args.repeats)
                    s = 2 * B * L * G * D * 2 / (ms * 1e-3) / 1e9
                except Exception:
                    s = None
            f = lambda x: "-" if x is None else f"{x:.0f}"
            ratio = f"{a / s:.2f}x" if a and s else "-"
            rr = f"{a / roof:.2f}" if a and roof else "-"
            print(f"| | {B} | {L} | {f(a)} | {f(s)} | {ratio} | {rr} |", flush=True)


def cache_prefill_table(args, torch):
    """Chunked prefill over a paged cache: C new queries (the last C positions)
    over a sequence of L tokens in gpu_decode_paged_d128's cache. attnc's
    NAME_prefill_cache_gpu (rows gathered out of the pages, then the
    tensor-core prefill) against its decode kernels with a row per query (what
    a chunk ran on before), SDPA and FlexAttention over the same K/V stored
    contiguously (no gather: an upper bound for a paged kernel), with the
    causal mask aligned to the end. TFLOP/s over the visible pairs."""
    spec, H, G, D = "gpu_decode_paged_d128", 32, 8, 128
    C = args.chunk
    print(f"| prefill over a paged cache (bf16, GQA 4, D 128, chunk {C}) | L | attnc | attnc decode rows | "
          f"SDPA (contiguous) | FlexAttention (contiguous) | attnc / Flex |")
    print("|---|---|---|---|---|---|---|")
    for L in [int(x) for x in args.decode_lens.split(",")]:
        c = min(C, L)
        pairs = c * (L - c) + c * (c + 1) // 2
        tf = lambda ms: "-" if not ms else f"{ms:.3f} ms {4.0 * D * H * pairs / (ms * 1e-3) / 1e12:.1f} TF/s"
        (a, rows), note = gpu_check_line(
            args, ["--bench-cache-prefill", spec, "--shape", f"{H},{G},{D},bf16", "--len", str(L), "--chunk", str(c),
                   "--page", "16"], f"bench-cache-prefill {spec} {L} {c}:", ["median_ms", "decode_rows_ms"])
        sdpa = flex = None
        if torch:
            import torch.nn.functional as F
            q = torch.randn(1, H, c, D, device="cuda", dtype=torch.bfloat16)
            k = torch.randn(1, G, L, D, device="cuda", dtype=torch.bfloat16)
            v = torch.randn(1, G, L, D, device="cuda", dtype=torch.bfloat16)
            try:
                from torch.nn.attention.bias import causal_lower_right
                bias = causal_lower_right(c, L)
                sdpa = time_torch(lambda: F.scaled_dot_product_attention(q, k, v, attn_mask=bias, enable_gqa=True),
                                  args.repeats)
            except Exception as e:
                note += f" sdpa {type(e).__name__}"
            if not args.no_flex:
                try:
                    from torch.nn.attention.flex_attention import create_block_mask, flex_attention
                    off = L - c
                    bm = create_block_mask(lambda b, h, qi, ki: ki <= qi + off, 1, 1, c, L, device="cuda")
                    compiled = torch.compile(flex_attention)
                    flex = time_torch(lambda: compiled(q, k, v, block_mask=bm, enable_gqa=True), args.repeats)
                except Exception as e:
                    note += f" flex {type(e).__name__}"
        ratio = f"{flex / a:.2f}x" if a and flex else "-"
        print(f"| {spec} | {L} | {tf(a)} | {tf(rows)} | {tf(sdpa)} | {tf(flex)} | {ratio} |"
              + (f" {note.strip()}" if note.strip() else ""), flush=True)


def remap_table(args):
    """Self-Extend (a two-branch RoPE remap): attnc's tensor-core kernel (near
    and far pairs in two passes) against its CUDA-core kernel
    (ATTNC_GPU_CUDA_CORES=1), which is what the remap ran on before; no peer
    fuses it. TFLOP/s over the causal pairs."""
    row = ("gpu_self_extend_d128", 32, 8, 128, "causal", None)
    fmt = lambda ms, L: "-" if ms is None else f"{ms:.3f} ms {tflops(row, L, ms):.1f} TF/s"
    print("| Self-Extend (bf16, GQA 4, D 128, window 1024) | L | attnc tensor cores | attnc CUDA cores | speed-up |")
    print("|---|---|---|---|---|")
    for L in [int(x) for x in args.lens.split(",")]:
        tc, why = time_attnc(args, row, L)
        cc, why2 = time_attnc(args, row, L, env={"ATTNC_GPU_CUDA_CORES": "1"})
        ratio = f"{cc / tc:.1f}x" if tc and cc else "-"
        note = " ".join(x for x in (why, why2) if x)
        print(f"| {row[0]} | {L} | {fmt(tc, L)} | {fmt(cc, L)} | {ratio} |" + (f" {note}" if note else ""), flush=True)


TUNE_VARIANTS = ["gpu_causal_gqa4_d128", "gpu_causal_gqa8_d64", "gpu_swa4096_d128", "gpu_softcap_d128"]


def tune_table(args):
    """The tensor-core prefill's pipeline choices, each build timed on the same
    shapes as the first table: the default (one stage, 64-key tiles; 32 at
    head dim 64) against each --tune-lib, with the best one's speed-up."""
    tunes = [(a.split("=", 1) if "=" in a else ("alt", a)) for a in args.tune_lib]
    if not tunes:
        return
    rows = {r[0]: r for r in VARIANTS}
    print("| tensor-core pipeline (bf16) | L | default |" + "".join(f" {label} |" for label, _ in tunes) + " best / default |")
    print("|---|---|---|" + "---|" * (len(tunes) + 1))
    for spec in TUNE_VARIANTS:
        row = rows[spec]
        for L in [int(x) for x in args.tune_lens.split(",")]:
            base, why = time_attnc(args, row, L)
            timed = [time_attnc(args, row, L, path) for _, path in tunes]
            cells = "".join(" - |" if ms is None else f" {ms:.3f} ms {tflops(row, L, ms):.1f} TF/s |" for ms, _ in timed)
            best = min((ms for ms, _ in timed if ms), default=None)
            ratio = f"{base / best:.2f}x" if base and best else "-"
            note = " ".join(x for x in [why] + [w for _, w in timed] if x)
            base_cell = "-" if base is None else f"{base:.3f} ms {tflops(row, L, base):.1f} TF/s"
            print(f"| {spec} | {L} | {base_cell} |{cells} {ratio} |" + (f" {note}" if note else ""), flush=True)


def varlen_table(args, torch):
    """A ragged batch (cumulative sequence lengths) of causal sequences: one
    NAME_prefill_varlen_gpu call against NAME_prefill_gpu per sequence, SDPA
    per sequence (is_causal) and FlexAttention over the packed tokens with a
    document mask (FlexAttention's way to run a ragged batch)."""
    spec, H, G, D = "gpu_causal_gqa4_d128", 32, 8, 128
    seqs = [int(x) for x in args.varlen_seqs.split(",")]
    pairs = sum(L * (L + 1) // 2 for L in seqs)
    tf = lambda ms: "-" if not ms else f"{ms:.3f} ms {4.0 * D * H * pairs / (ms * 1e-3) / 1e12:.1f} TF/s"
    (one, loop), note = gpu_check_line(
        args, ["--bench-varlen", spec, "--shape", f"{H},{G},{D},bf16", "--seqs", args.varlen_seqs],
        f"bench-varlen {spec} ", ["median_ms", "loop_ms"])
    sdpa = flex = None
    if torch:
        import torch.nn.functional as F
        total = sum(seqs)
        q = torch.randn(1, H, total, D, device="cuda", dtype=torch.bfloat16)
        k = torch.randn(1, G, total, D, device="cuda", dtype=torch.bfloat16)
        v = torch.randn(1, G, total, D, device="cuda", dtype=torch.bfloat16)
        starts = [sum(seqs[:i]) for i in range(len(seqs))]
        try:
            def per_seq():
                for s0, L in zip(starts, seqs):
                    F.scaled_dot_product_attention(q[:, :, s0:s0 + L], k[:, :, s0:s0 + L], v[:, :, s0:s0 + L],
                                                   is_causal=True, enable_gqa=True)
            sdpa = time_torch(per_seq, args.repeats)
        except Exception as e:
            note += f" sdpa {type(e).__name__}"
        if not args.no_flex:
            try:
                from torch.nn.attention.flex_attention import create_block_mask, flex_attention
                doc = torch.cat([torch.full((L,), i, device="cuda", dtype=torch.int32) for i, L in enumerate(seqs)])
                mask_mod = lambda b, h, qi, ki: (doc[qi] == doc[ki]) & (ki <= qi)
                bm = create_block_mask(mask_mod, 1, 1, total, total, device="cuda")
                compiled = torch.compile(flex_attention)
                flex = time_torch(lambda: compiled(q, k, v, block_mask=bm, enable_gqa=True), args.repeats)
            except Exception as e:
                note += f" flex {type(e).__name__}"
    print(f"| ragged batch (causal, bf16, GQA 4, D 128) | lengths | attnc varlen | attnc per sequence | "
          f"SDPA per sequence | FlexAttention (document mask) | attnc / Flex |")
    print("|---|---|---|---|---|---|---|")
    ratio = f"{flex / one:.2f}x" if one and flex else "-"
    print(f"| {spec} | {args.varlen_seqs} | {tf(one)} | {tf(loop)} | {tf(sdpa)} | {tf(flex)} | {ratio} |"
          + (f" {note.strip()}" if note.strip() else ""), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gpu-check", required=True)
    ap.add_argument("--lib", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--lens", default="1024,4096,16384")
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--timeout", type=int, default=120)
    ap.add_argument("--no-flex", action="store_true")
    ap.add_argument("--decode-lens", default="1024,4096,16384,32768")
    ap.add_argument("--batches", default="1,16")
    ap.add_argument("--chunk", type=int, default=512, help="queries per call of the prefill over the cache")
    ap.add_argument("--varlen-seqs", default="4096,512,2048,128,1024,3000,256,7000",
                    help="the ragged batch's sequence lengths")
    ap.add_argument("--alt-lib", action="append", default=[],
                    help="LABEL=PATH: another build of the same specs (e.g. the mma.sync prefill, 64-query "
                         "blocks), timed alongside in its own column; repeatable")
    ap.add_argument("--tune-lib", action="append", default=[],
                    help="LABEL=PATH: a build of the same specs with another tensor-core pipeline (attnc build "
                         "--gpu-stages, --gpu-key-tile, --gpu-overlap), timed against the default in the last "
                         "table; repeatable")
    ap.add_argument("--tune-lens", default="4096,16384")
    args = ap.parse_args()
    lens = [int(x) for x in args.lens.split(",")]
    try:
        import torch
        print(f"torch {torch.__version__}, {torch.cuda.get_device_name()}", flush=True)
    except Exception as e:
        print(f"no PyTorch on this machine ({e}); attnc only", flush=True)
        torch = None
    fmt = lambda ms, row, L: "-" if ms is None else f"{ms:.3f} ms {tflops(row, L, ms):.1f} TF/s"
    alts = [(a.split("=", 1) if "=" in a else ("alt", a)) for a in args.alt_lib]
    alt_heads = "".join(f" attnc ({label}) |" for label, _ in alts)
    print(f"| variant | L | attnc |{alt_heads} SDPA | FlexAttention | attnc / Flex |")
    print("|---|---|---|---|---|---|" + "---|" * len(alts))
    for row in VARIANTS:
        for L in lens:
            a, why = time_attnc(args, row, L)
            timed = [time_attnc(args, row, L, path) for _, path in alts]
            peers = torch_peers(row, L, args.repeats, not args.no_flex) if torch else {}
            s, f = peers.get("sdpa"), peers.get("flex")
            ratio = f"{f / a:.2f}x" if a and f else "-"
            note = " ".join(x for x in [why] + [w for _, w in timed] +
                            [peers.get("sdpa_error", ""), peers.get("flex_error", "")] if x)
            alt_cells = "".join(f" {fmt(b, row, L)} |" for b, _ in timed)
            print(f"| {row[0]} | {L} | {fmt(a, row, L)} |{alt_cells} {fmt(s, row, L)} | {fmt(f, row, L)} | {ratio} |"
                  + (f" {note}" if note else ""), flush=True)
    decode_table(args, torch)
    varlen_table(args, torch)
    cache_prefill_table(args, torch)
    remap_table(args)
    tune_table(args)


if __name__ == "__main__":
    sys.exit(main())
