#!/usr/bin/env python3
"""Plots bench/long_context.sh's output (issue 4, "Long context").

  bench/long_context_ppl.png   PPL per span vs position: sinks, window, dense
  bench/long_context_rope.png  PPL per span vs position: dense without RoPE
                               scaling and with linear / NTK / YaRN by 2

Reads the `bin START END PPL X` lines of bench/long_context_out/NAME.txt.
Needs matplotlib; run it through bench/plot_long_context.sh, which makes a
venv at ~/.cache/attnc/plot-venv.
"""
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "long_context_out")
TRAINED = 8192


def bins(name):
    path = os.path.join(OUT, name + ".txt")
    if not os.path.exists(path):
        return None
    xs, ys = [], []
    for line in open(path):
        m = re.match(r"bin (\d+) (\d+) PPL ([0-9.einf+-]+)", line)
        if m:
            a, b, p = int(m.group(1)), int(m.group(2)), float(m.group(3))
            xs.append((a + b) / 2)
            ys.append(p)
    ppl = re.search(r"^PPL = ([0-9.]+)", open(path).read(), re.M)
    return xs, ys, float(ppl.group(1)) if ppl else None


def plot(configs, title, out, log=True):
    fig, ax = plt.subplots(figsize=(8, 4.5))
    drawn = 0
    for name, label, style in configs:
        b = bins(name)
        if not b:
            print(f"plot_long_context: no {name}.txt, skipped", file=sys.stderr)
            continue
        xs, ys, ppl = b
        ax.plot(xs, ys, style, label=f"{label} (PPL {ppl:.2f})" if ppl else label, marker="o", ms=3)
        drawn += 1
    if not drawn:
        return
    ax.axvline(TRAINED, color="grey", ls=":", lw=1)
    ax.text(TRAINED, ax.get_ylim()[1] if not log else 1, " trained context 8192", color="grey",
            va="bottom", fontsize=8)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("position in the text (tokens; centre of each span)")
    ax.set_ylabel("perplexity of the span")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print("wrote", out)


plot([("dense", "dense (full cache)", "-"),
      ("window", "window:1024 (oldest evicted)", "-"),
      ("sinks", "sinks:4,1020 (StreamingLLM)", "-")],
     "SmolLM2-135M-Instruct, one stream of license text, 1 thread",
     os.path.join(HERE, "long_context_ppl.png"))
plot([("dense", "no scaling", "-"),
      ("linear2", "linear (PI) x2", "-"),
      ("ntk2", "NTK-aware x2", "-"),
      ("yarn2", "YaRN x2", "-")],
     "SmolLM2-135M-Instruct, dense cache, RoPE scaling by 2 (no fine-tuning)",
     os.path.join(HERE, "long_context_rope.png"))
