"""Plots GFLOP/s vs sequence length from the output of attention_peers.sh.

  plot_peers.py RESULTS.txt OUT.png      (needs matplotlib)
"""
import re
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SHAPES = {"dense_d128": (128, 8, 8, 0), "swa4096_d128": (128, 8, 8, 4096), "gqa4_d128": (128, 16, 4, 0)}


def main():
    text = open(sys.argv[1]).read().splitlines()
    series = defaultdict(dict)  # (shape, kernel) -> {len: gflops}
    peak = None
    attnc = "attnc"  # DTYPE=bf16 runs have two attnc sections: AMX, then FMA
    for line in text:
        if line.startswith("== attnc bf16, AMX"):
            attnc = "attnc AMX"
        elif line.startswith("== attnc bf16, AVX-512"):
            attnc = "attnc FMA"
        m = re.match(r"machine: .* peak ([0-9.]+) GFLOP/s", line)
        if m:
            peak = float(m.group(1))
        m = re.match(r"(\w+?)(_bf16)?\s+(\d+)\s+[0-9.]+\s+([0-9.]+)\s+[0-9.]+%", line)
        if m and m.group(1) in SHAPES:
            series[(m.group(1), attnc)][int(m.group(3))] = float(m.group(4))
        m = re.match(r"(\w+ )?(ggml|torch_sdpa|torch_flex) D=(\d+) heads=(\d+) kv_heads=(\d+) len=(\d+) "
                     r"window=(\d+)(?: dtype=\w+)? median_ms=[0-9.]+ gflops=([0-9.]+)", line)
        if m:
            key = tuple(int(m.group(i)) for i in (3, 4, 5, 7))
            for name, shape in SHAPES.items():
                # ggml lines name their variant (ALiBi/softcap share the dense shape); drop the
                # eager-fallback Flex runs.
                if shape == key and (not m.group(1) or m.group(1).strip() == name) and (m.group(2) != "torch_flex" or float(m.group(8)) > 20):
                    series[(name, m.group(2))][int(m.group(6))] = float(m.group(8))
    fig, axes = plt.subplots(1, len(SHAPES), figsize=(5 * len(SHAPES), 4), sharey=True)
    for ax, name in zip(axes, SHAPES):
        for kernel in ("attnc", "attnc AMX", "attnc FMA", "ggml", "torch_sdpa", "torch_flex"):
            pts = sorted(series.get((name, kernel), {}).items())
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=kernel)
        if peak:
            ax.axhline(peak, color="grey", linestyle="--", linewidth=0.8, label=f"FMA peak {peak:.0f}")
        ax.set_xscale("log", base=2)
        ax.set_title(name)
        ax.set_xlabel("tokens (Lq = Lk)")
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel("GFLOP/s (2 threads)")
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=110)


if __name__ == "__main__":
    main()
