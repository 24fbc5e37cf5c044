#!/usr/bin/env bash
# attn-run vs llama.cpp on SmolLM2-135M-Instruct, same GGUF: (1) token ids of
# attn-tokenize vs llama-tokenize on the license texts of this machine and a
# few strings, (2) greedy generation, N tokens, on several prompts (prompt
# ids, matching tokens, the logit margins where they diverge), (3) perplexity
# on the concatenated license texts with the same context. Not a test:
# prints a report (bench/RESULTS.md keeps the numbers).
#   bench/peers/llama_cpp_parity.sh [THREADS] [N_TOKENS] [CTX]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
THREADS=${1:-2}
NTOK=${2:-64}
CTX=${3:-512}
BIN=${BUILD_DIR:-$ROOT/build}/bin
source "$ROOT/bench/peers/llama_cpp_build.sh" llama-perplexity llama-tokenize llama
GREEDY=$LLAMA/build/bin/llama-greedy
if [[ ! -x $GREEDY || $ROOT/bench/peers/llama_greedy.cpp -nt $GREEDY ]]; then
  c++ -O2 -std=c++17 -I"$LLAMA/include" -I"$LLAMA/ggml/include" "$ROOT/bench/peers/llama_greedy.cpp" \
    -L"$LLAMA/build/bin" -lllama -lggml -lggml-base -Wl,-rpath,"$LLAMA/build/bin" -o "$GREEDY"
fi
MODEL=$("$ROOT"/runtime/tools/fetch-smollm2.sh)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
LICENSES="Apache-2.0 GPL-2 GPL-3 LGPL-2.1 MPL-2.0"

echo "== (1) tokenizer: attn-tokenize vs llama-tokenize (BOS as the model asks, special tokens parsed)"
i=0
# Without their final newlines (attn-tokenize takes --text "$(cat ...)", which drops them).
for f in $LICENSES Artistic BSD CC0-1.0 GFDL-1.3; do printf '%s' "$(cat /usr/share/common-licenses/$f)" > "$WORK/tok.$((i++))"; done
printf '%s' "Hello, world! It's 2026-12-02, 3.14159 and 1234567 items." > "$WORK/tok.$((i++))"
printf '%s' $'def f(x):\n\treturn x ** 2  # square\n\n\nclass A: pass' > "$WORK/tok.$((i++))"
printf '%s' "Ünïcödé: naïve café, 日本語のテキスト, emoji 🙂👍, Ελληνικά, русский." > "$WORK/tok.$((i++))"
printf '%s' $'<|im_start|>user\nHi<|im_end|>\n   leading and trailing spaces   ' > "$WORK/tok.$((i++))"
same=0; total=0; ntok=0
for f in "$WORK"/tok.*; do
  a=$("$BIN/attn-tokenize" "$MODEL" --text "$(cat "$f")")
  b=$("$LLAMA/build/bin/llama-tokenize" -m "$MODEL" -f "$f" --ids --log-disable 2>/dev/null | tr -d '[],')
  total=$((total + 1)); ntok=$((ntok + $(wc -w <<<"$b")))
  if [[ "$(echo $a)" == "$(echo $b)" ]]; then same=$((same + 1)); else echo "  differs: $(head -c 60 "$f" | tr '\n' ' ')"; fi
done
echo "  $same / $total texts give identical ids ($ntok llama.cpp tokens in all)"

echo "== (2) greedy generation, $NTOK tokens, $THREADS threads"
CHAT=$("$BIN/attn-tokenize" "$MODEL" --chat "user=Explain photosynthesis in two sentences.")
PROMPTS=("The history of the city of Paris begins" "Once upon a time, in a small village," \
  $'def fibonacci(n):\n' "The three primary colors are" "$CHAT")
for p in "${PROMPTS[@]}"; do
  "$BIN/attn-run" generate --model "$MODEL" --prompt "$p" --max-tokens "$NTOK" --threads "$THREADS" --trace \
    2>&1 >/dev/null | grep '^trace:' > "$WORK/a.trace"
  "$GREEDY" "$MODEL" "$NTOK" "$THREADS" "$p" 2>/dev/null | grep '^trace:' > "$WORK/b.trace"
  python3 - "$WORK/a.trace" "$WORK/b.trace" "$p" <<'PY'
import sys
def read(path):
    prompt, steps = None, []
    for line in open(path):
        w = line.split()
        if w[1] == "prompt": prompt = w[2:]
        else: steps.append((int(w[4]), float(w[6]), int(w[8])))
    return prompt, steps
(pa, a), (pb, b) = read(sys.argv[1]), read(sys.argv[2])
label = sys.argv[3].replace("\n", "\\n")[:50]
if pa != pb:
    print(f"  {label!r}: PROMPT IDS DIFFER ({len(pa)} vs {len(pb)} tokens)"); sys.exit()
n = 0
while n < min(len(a), len(b)) and a[n][0] == b[n][0]: n += 1
line = f"  {label!r}: prompt {len(pa)} tokens, {n} / {max(len(a), len(b))} generated tokens identical"
if n < min(len(a), len(b)):
    line += (f"; first divergence at step {n}: attn-run {a[n][0]} over {a[n][2]} by {a[n][1]:.4f},"
             f" llama.cpp {b[n][0]} over {b[n][2]} by {b[n][1]:.4f} (logits)")
    m = sorted(x[1] for x in a[:n])
    if m: line += f"; smallest attn-run margin before it {m[0]:.4f}, median {m[len(m) // 2]:.4f}"
elif len(a) != len(b):
    line += " (one stopped early at an end-of-generation token)"
print(line)
PY
done

echo "== (3) perplexity, ctx $CTX, $THREADS threads, text: /usr/share/common-licenses/{${LICENSES// /,}} concatenated"
for f in $LICENSES; do cat /usr/share/common-licenses/$f; done > "$WORK/ppl.txt"
echo "  $(wc -c < "$WORK/ppl.txt") bytes"
"$LLAMA/build/bin/llama-perplexity" -m "$MODEL" -f "$WORK/ppl.txt" -c "$CTX" -b "$CTX" -t "$THREADS" 2>&1 \
  | grep -E "Final estimate|tokenizes|calculating perplexity" | sed 's/^/  llama.cpp: /'
"$BIN/attn-run" perplexity --model "$MODEL" --file "$WORK/ppl.txt" --ctx "$CTX" --threads "$THREADS" 2>"$WORK/ppl.err" \
  | sed 's/^/  attn-run: /'
tr "\r" "\n" < "$WORK/ppl.err" | grep "^attn-run" | sed "s/^/  /"
