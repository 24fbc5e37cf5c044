#!/usr/bin/env python3
"""Plots bench/long_context.sh's output (issue 4, "Long context").

  bench/long_context_ppl.png   PPL per span vs position: sinks, window, dense
  bench/long_context_rope.png  PPL per span vs position: dense without RoPE
                               scaling and with linear / NTK / YaRN by 2, and
                               sinks over the same spans for reference

Reads the `bin START END PPL X` lines of bench/long_context_out/NAME.txt.
With --tables it prints the per-span tables of bench/RESULTS.md instead.
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


def plot(configs, title, out, log=True, spans=()):
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
    ax.text(TRAINED, 0.02, " trained context 8192", color="grey", va="bottom", fontsize=8,
            transform=ax.get_xaxis_transform())
    for a, b, text in spans:
        ax.axvspan(a, b, color="grey", alpha=0.12, lw=0)
        ax.text((a + b) / 2, 0.98, text, color="dimgrey", ha="center", va="top", fontsize=7,
                transform=ax.get_xaxis_transform())
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


def tables():
    """Markdown: one row per span, one column per config."""
    groups = [["sinks", "window"], ["dense", "linear2", "ntk2", "yarn2", "sinks16k"],
              ["dense4k", "window4k", "sinks4k", "sink1_4k"]]
    for names in groups:
        rows = []
        for name in names:
            path = os.path.join(OUT, name + ".txt")
            if not os.path.exists(path):
                continue
            spans = re.findall(r"^bin (\d+) (\d+) PPL ([0-9.]+)", open(path).read(), re.M)
            rows.append((name, spans))
        if not rows:
            continue
        head = rows[0][1]
        print("| tokens | " + " | ".join(name for name, _ in rows) + " |")
        print("|---|" + "---|" * len(rows))
        for i, (a, b, _) in enumerate(head):
            print(f"| {a}–{b} | " + " | ".join(f"{float(sp[i][2]):.2f}" if i < len(sp) else ""
                                                for _, sp in rows) + " |")
        print()


if "--tables" in sys.argv:
    tables()
    sys.exit(0)

plot([("dense", "dense (full cache)", "-"),
      ("window", "window:1024 (oldest evicted)", "-"),
      ("sinks", "sinks:4,1020 (StreamingLLM)", "-")],
     "SmolLM2-135M-Instruct, one stream of license text, 1 thread",
     os.path.join(HERE, "long_context_ppl.png"))
plot([("dense", "no scaling", "-"),
      ("linear2", "linear (PI) x2", "-"),
      ("ntk2", "NTK-aware x2", "-"),
      ("yarn2", "YaRN x2", "-"),
      ("sinks16k", "sinks:4,1020, no scaling (reference)", "--")],
     "SmolLM2-135M-Instruct, dense cache, RoPE scaling by 2 (no fine-tuning)",
     os.path.join(HERE, "long_context_rope.png"),
     spans=[(10677, 15268, "GFDL-1.2: near copy of\nGFDL-1.3 at 5.2k tokens back")])
