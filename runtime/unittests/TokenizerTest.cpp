//===- TokenizerTest.cpp - Tests of runtime/tokenizer ----------------------===//
#include "TestUtil.h"

#include "tokenizer/ChatTemplate.h"
#include "tokenizer/TestVocab.h"
#include "tokenizer/Tokenizer.h"
#include "tokenizer/Unicode.h"

#include <gtest/gtest.h>

using namespace attnc;
using namespace attnc::tok;
using attnc::gguf::test::Rng;

namespace {

struct Loaded {
  std::unique_ptr<gguf::GGUFFile> file;
  Expected<Tokenizer> tok = gguf::makeError("not loaded");
};

Loaded load(gguf::GGUFWriter &w) {
  Loaded l;
  auto bytes = w.serialize();
  EXPECT_TRUE(bytes.ok()) << bytes.message();
  auto f = gguf::GGUFFile::fromOwnedBuffer(bytes.take());
  EXPECT_TRUE(f.ok()) << f.message();
  l.file = f.take();
  l.tok = Tokenizer::fromGGUF(*l.file);
  return l;
}

Loaded gpt2(const std::string &pre = "smollm", const std::string &corrupt = "") {
  gguf::GGUFWriter w;
  testvocab::makeGPT2(w, pre);
  if (!corrupt.empty())
    EXPECT_TRUE(testvocab::corrupt(w, corrupt));
  return load(w);
}

Loaded spm(const std::string &corrupt = "") {
  gguf::GGUFWriter w;
  testvocab::makeSPM(w);
  if (!corrupt.empty())
    EXPECT_TRUE(testvocab::corrupt(w, corrupt));
  return load(w);
}

std::vector<std::string> split(PreTokenizer p, const std::string &s) {
  std::vector<std::string> out;
  for (auto r : preTokenize(p, s))
    out.push_back(s.substr(r.first, r.second - r.first));
  return out;
}

using V = std::vector<std::string>;
using Ids = std::vector<TokenId>;

TEST(TokenizerUnicode, Categories) {
  EXPECT_TRUE(isLetter('a'));
  EXPECT_TRUE(isLetter(0x65E5)); // 日
  EXPECT_TRUE(isLetter(0xEF));   // ï
  EXPECT_FALSE(isLetter('1'));
  EXPECT_TRUE(isNumber('7'));
  EXPECT_TRUE(isNumber(0x2163)); // Ⅳ (Nl)
  EXPECT_TRUE(isNumber(0xB2));   // ² (No)
  EXPECT_FALSE(isNumber(0x1F642));
  EXPECT_TRUE(isWhitespace(0x3000));
  EXPECT_FALSE(isWhitespace(0x1C));
}

TEST(TokenizerUnicode, InvalidUtf8) {
  auto cps = decodeUtf8("a\xC3\xA9\xFF\xE2\x82");
  ASSERT_EQ(cps.size(), 5u);
  EXPECT_EQ(cps[1].cp, 0xE9u);
  EXPECT_TRUE(cps[2].invalid);
  EXPECT_TRUE(cps[3].invalid);
  EXPECT_TRUE(cps[4].invalid);
  EXPECT_TRUE(decodeUtf8("\xC0\x80")[0].invalid); // overlong
  EXPECT_TRUE(decodeUtf8("\xED\xA0\x80")[0].invalid); // surrogate
}

TEST(TokenizerPre, GPT2Regex) {
  EXPECT_EQ(split(PreTokenizer::GPT2, "Hello world's  end\n\n x"),
            (V{"Hello", " world", "'s", " ", " end", "\n\n", " x"}));
  EXPECT_EQ(split(PreTokenizer::GPT2, "a   b"), (V{"a", "  ", " b"}));
  EXPECT_EQ(split(PreTokenizer::GPT2, "x  "), (V{"x", "  "}));
  EXPECT_EQ(split(PreTokenizer::GPT2, "3.14 12345"), (V{"3", ".", "14", " 12345"}));
  EXPECT_EQ(split(PreTokenizer::GPT2, "don'T ok!!"), (V{"don", "'", "T", " ok", "!!"}));
  EXPECT_EQ(split(PreTokenizer::GPT2, ""), V{});
}

TEST(TokenizerPre, DigitsRegex) {
  EXPECT_EQ(split(PreTokenizer::Digits, "abc 123x"),
            (V{"abc", " ", "1", "2", "3", "x"}));
  EXPECT_EQ(split(PreTokenizer::Digits, "v2.0"), (V{"v", "2", ".", "0"}));
}

TEST(TokenizerPre, Llama3Regex) {
  EXPECT_EQ(split(PreTokenizer::Llama3, "Hello WORLD'S 12345!\n\n  x"),
            (V{"Hello", " WORLD", "'S", " ", "123", "45", "!\n\n", " ", " x"}));
  EXPECT_EQ(split(PreTokenizer::Llama3, "a \n b"), (V{"a", " \n", " b"}));
}

TEST(TokenizerBPE, MergesInRankOrder) {
  Loaded l = gpt2();
  ASSERT_TRUE(l.tok.ok()) << l.tok.message();
  const Tokenizer &t = *l.tok;
  TokenId hello = t.findToken("hello"), world = t.findToken("\xC4\xA0world");
  ASSERT_NE(hello, kNoToken);
  EXPECT_EQ(t.encode("hello world"), (Ids{hello, world}));
  // "lo" has a lower rank than "hell o": "hello" never uses it, but "lo" does.
  EXPECT_EQ(t.encode("lo"), (Ids{t.findToken("lo")}));
  EXPECT_EQ(t.encode("helo"), (Ids{t.findToken("he"), t.findToken("lo")}));
  // smollm splits digits: "12" never merges.
  EXPECT_EQ(t.encode("12"), (Ids{t.findToken("1"), t.findToken("2")}));
  Loaded g = gpt2("gpt2");
  ASSERT_TRUE(g.tok.ok());
  EXPECT_EQ(g.tok->encode("12"), (Ids{g.tok->findToken("12")}));
}

TEST(TokenizerBPE, EmptyAndSpecial) {
  Loaded l = gpt2();
  ASSERT_TRUE(l.tok.ok());
  const Tokenizer &t = *l.tok;
  EXPECT_TRUE(t.encode("").empty());
  EXPECT_EQ(t.encode("<|im_start|>hello<|im_end|>"),
            (Ids{1, t.findToken("hello"), 2}));
  // Without parse_special the control tokens are plain text.
  Ids plain = t.encode("<|im_end|>", true, false);
  EXPECT_GT(plain.size(), 1u);
  EXPECT_EQ(t.decode(plain), "<|im_end|>");
  EXPECT_EQ(t.decode({1, t.findToken("hello"), 2}), "hello");
  EXPECT_EQ(t.decode({1, t.findToken("hello"), 2}, true),
            "<|im_start|>hello<|im_end|>");
  EXPECT_TRUE(t.isEndOfGeneration(2));
  EXPECT_TRUE(t.isEndOfGeneration(0));
  EXPECT_FALSE(t.isEndOfGeneration(t.findToken("hello")));
}

TEST(TokenizerBPE, RoundTripRandomUtf8AndBytes) {
  Loaded l = gpt2();
  ASSERT_TRUE(l.tok.ok());
  const Tokenizer &t = *l.tok;
  Rng rng(7);
  const uint32_t pool[] = {'a', 'h', 'e', 'l', 'o', ' ', ' ', '\n', '1', '\'',
                           's', '.', 0xE9, 0x65E5, 0x1F642, 0x3000, 0x2163, 0x5F};
  for (int iter = 0; iter < 300; ++iter) {
    std::string s;
    int n = rng.next() % 40;
    for (int i = 0; i < n; ++i)
      appendUtf8(s, pool[rng.next() % (sizeof(pool) / sizeof(pool[0]))]);
    EXPECT_EQ(t.decode(t.encode(s, true, false)), s);
    std::string b;
    for (int i = 0; i < n; ++i)
      b += static_cast<char>(rng.byte());
    EXPECT_EQ(t.decode(t.encode(b, true, false)), b);
  }
}

TEST(TokenizerSPM, ScoresSpaceAndByteFallback) {
  Loaded l = spm();
  ASSERT_TRUE(l.tok.ok()) << l.tok.message();
  const Tokenizer &t = *l.tok;
  const std::string U = "\xE2\x96\x81";
  EXPECT_TRUE(t.addBos());
  EXPECT_EQ(t.encode("", true), (Ids{1}));
  EXPECT_TRUE(t.encode("", false).empty());
  // Pieces merge by score: ll, he, hell, hello, then ▁hello.
  EXPECT_EQ(t.encode("hello", false), (Ids{t.findToken(U + "hello")}));
  Ids w = t.encode("hello world", false);
  EXPECT_EQ(w, (Ids{t.findToken(U + "hello"), t.findToken(U + "wor"),
                    t.findToken("ld")}));
  EXPECT_EQ(t.decode(w), "hello world");
  // 'z' is not in the vocabulary: byte fallback <0x7A>.
  EXPECT_EQ(t.encode("z", false), (Ids{t.findToken(U), t.findToken("<0x7A>")}));
  // "日" (3 bytes) has no token: three byte tokens.
  EXPECT_EQ(t.encode("日", false),
            (Ids{t.findToken(U), t.findToken("<0xE6>"), t.findToken("<0x97>"),
                 t.findToken("<0xA5>")}));
  EXPECT_EQ(t.decode(t.encode("zé日 x", true)), "zé日 x");
  EXPECT_EQ(t.decode({1, t.findToken("<0xC3>"), t.findToken("<0xA9>")}), "é");
  // Special tokens and the space prefix after them.
  EXPECT_EQ(t.encode("<s>hello", false), (Ids{1, t.findToken(U + "hello")}));
}

TEST(TokenizerSPM, RandomRoundTrip) {
  Loaded l = spm();
  ASSERT_TRUE(l.tok.ok());
  Rng rng(11);
  for (int iter = 0; iter < 200; ++iter) {
    std::string s;
    int n = rng.next() % 30;
    for (int i = 0; i < n; ++i) {
      const char *pool[] = {"h", "e", "l", "o", "w", " ", "x", "é", "日", "\n"};
      s += pool[rng.next() % 10];
    }
    if (!s.empty() && s[0] == ' ')
      continue; // the space prefix eats one leading space
    EXPECT_EQ(l.tok->decode(l.tok->encode(s, true, false)), s);
  }
}

TEST(TokenizerErrors, MalformedMetadata) {
  struct Case {
    const char *kind;
    bool useSpm;
    const char *msg;
  } cases[] = {
      {"no-tokens", false, "tokenizer.ggml.tokens is empty"},
      {"tokens-not-strings", false, "tokenizer.ggml.tokens"},
      {"no-merges", false, "merges"},
      {"bad-merge", false, "tokenizer.ggml.merges[1] = 'hello' is not of the form"},
      {"scores-mismatch", true, "tokenizer.ggml.scores has 2 entries but"},
      {"types-mismatch", false, "tokenizer.ggml.token_type has 3 entries but"},
      {"bad-model", false, "unsupported tokenizer.ggml.model 'bert'"},
      {"bad-pre", false, "unsupported pre-tokenizer tokenizer.ggml.pre = 'no-such-pre'"},
      {"bad-bos", false, "tokenizer.ggml.bos_token_id = 1000000 is not a token id"},
      {"bad-type", false, "tokenizer.ggml.token_type[0] = 9 is not a token type"},
  };
  for (const Case &c : cases) {
    Loaded l = c.useSpm ? spm(c.kind) : gpt2("smollm", c.kind);
    ASSERT_FALSE(l.tok.ok()) << c.kind;
    EXPECT_NE(l.tok.message().find(c.msg), std::string::npos)
        << c.kind << ": " << l.tok.message();
    EXPECT_EQ(l.tok.message().rfind("tokenizer: ", 0), 0u) << l.tok.message();
  }
  gguf::GGUFWriter w;
  w.addString("general.architecture", "llama");
  Loaded none = load(w);
  ASSERT_FALSE(none.tok.ok());
  EXPECT_NE(none.tok.message().find("tokenizer.ggml.model"), std::string::npos);
}

TEST(ChatTemplate, DetectAndApply) {
  auto k = detectChatTemplate("{{'<|im_start|>' + message['role']}}");
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(*k, ChatTemplateKind::ChatML);
  std::vector<ChatMessage> msgs = {{"system", "S"}, {"user", "Hi"}};
  EXPECT_EQ(applyChatTemplate(*k, msgs),
            "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
            "<|im_start|>assistant\n");
  auto l3 = detectChatTemplate("<|start_header_id|>x<|end_header_id|>");
  ASSERT_TRUE(l3.ok());
  EXPECT_EQ(applyChatTemplate(*l3, {{"user", " Hi "}}),
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
  auto l2 = detectChatTemplate("[INST] <<SYS>> {{ message['content'] }}");
  ASSERT_TRUE(l2.ok());
  EXPECT_EQ(*l2, ChatTemplateKind::Llama2Sys);
  EXPECT_EQ(applyChatTemplate(*l2, {{"system", "S"}, {"user", "Hi"},
                                    {"assistant", "Yo"}, {"user", "Q"}}),
            "[INST] <<SYS>>\nS\n<</SYS>>\n\nHi [/INST]Yo</s>[INST] Q [/INST]");
  EXPECT_EQ(*detectChatTemplate("[INST] x"), ChatTemplateKind::Llama2);
  EXPECT_EQ(*detectChatTemplate("llama3"), ChatTemplateKind::Llama3);
  auto bad = detectChatTemplate("{{ foo }}");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.message(), "tokenizer: unknown chat template '{{ foo }}'");
  auto mv7 = detectChatTemplate("[SYSTEM_PROMPT] [INST]");
  ASSERT_FALSE(mv7.ok());
  EXPECT_NE(mv7.message().find("'mistral-v7'"), std::string::npos);
}

TEST(ChatTemplate, FromFile) {
  Loaded l = gpt2();
  ASSERT_TRUE(l.tok.ok());
  auto s = l.tok->applyChatTemplate({{"user", "hello"}});
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(l.tok->encode(*s, false),
            (Ids{1, l.tok->findToken("u"), l.tok->findToken("s"),
                 l.tok->findToken("e"), l.tok->findToken("r"),
                 l.tok->findToken("\xC4\x8A"), l.tok->findToken("hello"), 2,
                 l.tok->findToken("\xC4\x8A"), 1, l.tok->findToken("a"),
                 l.tok->findToken("s"), l.tok->findToken("s"),
                 l.tok->findToken("i"), l.tok->findToken("s"),
                 l.tok->findToken("t"), l.tok->findToken("a"),
                 l.tok->findToken("n"), l.tok->findToken("t"),
                 l.tok->findToken("\xC4\x8A")}));
}

} // namespace
