//===- TestVocab.h - Tiny fabricated tokenizer vocabularies ----*- C++ -*-===//
//
// Small GGUF tokenizer metadata for tests (unit tests and attn-tokenize
// --make-test-vocab): a byte-level BPE ("gpt2") vocabulary with all 256 byte
// characters, a few merges and ChatML control tokens, and a SentencePiece
// ("llama") vocabulary with <0xXX> byte tokens and scored pieces.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_RUNTIME_TOKENIZER_TESTVOCAB_H
#define ATTNC_RUNTIME_TOKENIZER_TESTVOCAB_H

#include "gguf/GGUFWriter.h"
#include "tokenizer/Tokenizer.h"
#include "tokenizer/Unicode.h"

#include <cstdio>
#include <string>
#include <vector>

namespace attnc::tok::testvocab {

inline std::string byteChar(uint8_t b) {
  std::string s;
  appendUtf8(s, byteToUnicode(b));
  return s;
}

/// GPT-2 style vocabulary: 0 <|endoftext|>, 1 <|im_start|>, 2 <|im_end|>
/// (control), 3..258 the byte characters, then merged tokens.
inline void makeGPT2(gguf::GGUFWriter &w, const std::string &pre = "smollm") {
  std::vector<std::string> tokens = {"<|endoftext|>", "<|im_start|>",
                                     "<|im_end|>"};
  std::vector<int32_t> types = {3, 3, 3};
  for (int b = 0; b < 256; ++b) {
    tokens.push_back(byteChar(static_cast<uint8_t>(b)));
    types.push_back(1);
  }
  const std::string G = byteChar(' '); // "Ġ"
  std::vector<std::string> merges = {"h e", "l l", "he ll", "hell o",
                                     G + " w", "o r", G + "w or", "l d", G + "wor ld",
                                     "l o", "1 2"};
  std::vector<std::string> merged = {"he", "ll", "hell", "hello", G + "w",
                                     "or", G + "wor", "ld", G + "world", "lo", "12"};
  for (const std::string &m : merged) {
    tokens.push_back(m);
    types.push_back(1);
  }
  w.addString("general.architecture", "llama");
  w.addString("tokenizer.ggml.model", "gpt2");
  w.addString("tokenizer.ggml.pre", pre);
  w.add("tokenizer.ggml.tokens", gguf::MetaValue::stringArray(tokens));
  w.add("tokenizer.ggml.token_type", gguf::MetaValue::i32Array(types));
  w.add("tokenizer.ggml.merges", gguf::MetaValue::stringArray(merges));
  w.addU32("tokenizer.ggml.bos_token_id", 1);
  w.addU32("tokenizer.ggml.eos_token_id", 2);
  w.addBool("tokenizer.ggml.add_bos_token", false);
  w.addString("tokenizer.chat_template",
              "{% for message in messages %}{{'<|im_start|>' + message['role'] "
              "+ '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}");
}

/// SentencePiece style vocabulary: 0 <unk>, 1 <s>, 2 </s>, 3..258 <0xXX>,
/// then pieces with scores (higher merges first).
inline void makeSPM(gguf::GGUFWriter &w) {
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
  std::vector<float> scores = {0, 0, 0};
  std::vector<int32_t> types = {2, 3, 3};
  for (int b = 0; b < 256; ++b) {
    char buf[8];
    std::snprintf(buf, sizeof(buf), "<0x%02X>", b);
    tokens.push_back(buf);
    scores.push_back(0);
    types.push_back(6);
  }
  const std::string U = "\xE2\x96\x81"; // "▁"
  struct P {
    std::string t;
    float s;
  } pieces[] = {{U, -1},      {"h", -2},        {"e", -2},     {"l", -2},
                {"o", -2},    {"w", -2},        {"r", -2},     {"d", -2},
                {"ll", -3},   {"he", -4},       {"hell", -5},  {"hello", -6},
                {U + "h", -7}, {U + "hello", -8}, {U + "w", -9}, {"or", -10},
                {"ld", -11},  {U + "wor", -12}, {"é", -2}};
  for (const P &p : pieces) {
    tokens.push_back(p.t);
    scores.push_back(p.s);
    types.push_back(1);
  }
  w.addString("general.architecture", "llama");
  w.addString("tokenizer.ggml.model", "llama");
  w.add("tokenizer.ggml.tokens", gguf::MetaValue::stringArray(tokens));
  w.add("tokenizer.ggml.scores", gguf::MetaValue::f32Array(scores));
  w.add("tokenizer.ggml.token_type", gguf::MetaValue::i32Array(types));
  w.addU32("tokenizer.ggml.bos_token_id", 1);
  w.addU32("tokenizer.ggml.eos_token_id", 2);
  w.addU32("tokenizer.ggml.unknown_token_id", 0);
  w.addString("tokenizer.chat_template",
              "{{ bos_token }}{% for message in messages %}{% if "
              "message['role'] == 'user' %}{{ '[INST] ' + message['content'] + "
              "' [/INST]' }}{% endif %}{% endfor %}");
}

/// Applies a corruption to a vocabulary built by makeGPT2/makeSPM. Kinds:
/// no-tokens, no-merges, scores-mismatch, types-mismatch, bad-merge,
/// bad-model, bad-pre, bad-bos, bad-type, tokens-not-strings. Returns false
/// for an unknown kind.
inline bool corrupt(gguf::GGUFWriter &w, const std::string &kind) {
  using gguf::MetaValue;
  if (kind == "no-tokens")
    w.add("tokenizer.ggml.tokens", MetaValue::stringArray({}));
  else if (kind == "no-merges")
    w.add("tokenizer.ggml.merges", MetaValue::u32(0));
  else if (kind == "scores-mismatch")
    w.add("tokenizer.ggml.scores", MetaValue::f32Array({1.0f, 2.0f}));
  else if (kind == "types-mismatch")
    w.add("tokenizer.ggml.token_type", MetaValue::i32Array({1, 1, 1}));
  else if (kind == "bad-merge")
    w.add("tokenizer.ggml.merges", MetaValue::stringArray({"h e", "hello"}));
  else if (kind == "bad-model")
    w.addString("tokenizer.ggml.model", "bert");
  else if (kind == "bad-pre")
    w.addString("tokenizer.ggml.pre", "no-such-pre");
  else if (kind == "bad-bos")
    w.addU32("tokenizer.ggml.bos_token_id", 1000000);
  else if (kind == "bad-type")
    w.add("tokenizer.ggml.token_type", MetaValue::i32Array(std::vector<int32_t>(270, 9)));
  else if (kind == "tokens-not-strings")
    w.add("tokenizer.ggml.tokens", MetaValue::i32Array({1, 2, 3}));
  else
    return false;
  return true;
}

} // namespace attnc::tok::testvocab

#endif // ATTNC_RUNTIME_TOKENIZER_TESTVOCAB_H
