#!/usr/bin/env python3
"""Produces the expected token ids of test/Runtime/tokenizer-smollm2.test with
an independent implementation: Hugging Face `tokenizers` (Rust), configured
from the vocabulary and merges read out of the GGUF file (PyPI `gguf`), with
SmolLM2's pre-tokenizer (Digits(individual_digits) then ByteLevel with the
GPT-2 regex) and its control tokens as special added tokens. Not llama.cpp.

  python3 gen-smollm2-expected.py MODEL.gguf [ATTN_TOKENIZE]
prints the lit RUN/CHECK lines; with ATTN_TOKENIZE, also compares."""
import subprocess
import sys

from gguf import GGUFReader
from tokenizers import Tokenizer, decoders, models, pre_tokenizers

CORPUS = [
    "Hello world",
    "Hello, world! How are you today?",
    "The quick brown fox jumps over the lazy dog.",
    "I'm sure they'll say it's what we've done, isn't it? He'd",
    "DON'T SHOUT: it'S rude",
    "12345 3.14",
    "Version 2.0.1 released on 2024-11-30 at 08:15.",
    "1,000,000 and 0x1F and 1e-9",
    "naïve café 日本語 🙂",
    "Ünïcödé: ß, æ, ø, å, Ω, π ≈ 3.14159, ½ ¾ ²",
    "Привет, мир! Здравствуйте.",
    "مرحبا بالعالم",
    "हिन्दी भाषा",
    "😀😃😄 👍🏽 👨‍👩‍👧",
    "def f(x):\n    return x ** 2  # square\n",
    "int main() { printf(\"%d\\n\", 42); return 0; }",
    "for (i = 0; i < n; ++i) {\n\tsum += a[i];\n}",
    "   leading spaces",
    "trailing spaces   ",
    "a  b   c    d",
    "\n\n\nnewlines\n\n",
    "tab\tseparated\tvalues",
    "mixed \t \n whitespace",
    "<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n",
    "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n",
    "<|endoftext|>",
    "text<|im_end|>more",
    "https://huggingface.co/HuggingFaceTB/SmolLM2-135M-Instruct?x=1&y=2",
    "email@example.com #hashtag @mention $100 50% off!!!",
    "''' \"\"\" ``` --- ***",
    "CamelCaseIdentifier snake_case_name kebab-case-name",
    "x",
    " ",
    "Ⅻ ⅳ ① ٣ ३",
    "\u3000full\u3000width\u00a0nbsp",
]


def escape(s):
    out = []
    for ch in s:
        o = ord(ch)
        if ch == "\n": out.append("\\n")
        elif ch == "\t": out.append("\\t")
        elif ch == "\\": out.append("\\x5c")
        elif ch == "%": out.append("%%")
        elif ch == "$": out.append("\\x24")
        elif ch == "`": out.append("\\x60")
        elif ch == '"': out.append("\\x22")
        elif o < 0x20 or o == 0x7f: out.append("\\x%02x" % o)
        else: out.append(ch)
    return "".join(out)


def main():
    r = GGUFReader(sys.argv[1])
    def field(name):
        return r.fields[name]
    def strings(name):
        f = field(name)
        return [bytes(f.parts[i]).decode("utf-8") for i in f.data]
    tokens = strings("tokenizer.ggml.tokens")
    merges = strings("tokenizer.ggml.merges")
    tf = field("tokenizer.ggml.token_type")
    types = [int(tf.parts[i][0]) for i in tf.data]
    vocab = {t: i for i, t in enumerate(tokens)}
    tk = Tokenizer(models.BPE(vocab=vocab,
                              merges=[tuple(m.split(" ", 1)) for m in merges]))
    tk.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
    tk.decoder = decoders.ByteLevel()
    tk.add_special_tokens([t for t, ty in zip(tokens, types) if ty == 3])
    bad = 0
    for n, s in enumerate(CORPUS):
        ids = tk.encode(s, add_special_tokens=False).ids
        assert tk.decode(ids, skip_special_tokens=False) == s, s
        p = "T%02d" % n
        print('# RUN: attn-tokenize %%smollm2 -e --text "%s" | FileCheck %%s '
              '--match-full-lines --check-prefix=%s' % (escape(s), p))
        print("# %s: %s" % (p, " ".join(map(str, ids))))
        if len(sys.argv) > 2:
            got = subprocess.run([sys.argv[2], sys.argv[1], "--text", s],
                                 capture_output=True, text=True).stdout.split()
            if list(map(int, got)) != ids:
                bad += 1
                print("MISMATCH %r\n  hf:   %s\n  ours: %s" % (s, ids, got),
                      file=sys.stderr)
    print("%d/%d mismatches" % (bad, len(CORPUS)), file=sys.stderr)


main()
