//===- Tokenizer.cpp - Tokenizer from GGUF metadata -----------------------===//
//
// Behaviour follows llama.cpp (llama-vocab.cpp, unicode.cpp); the code is
// written from the algorithms, not copied. Differences, on purpose:
//   - invalid UTF-8 bytes keep their byte (byte-level BPE round-trips any
//     input; llama.cpp turns them into U+FFFD);
//   - a BPE symbol with no token falls back to the tokens of its bytes, then
//     to the unknown token if there is one (llama.cpp looks up raw bytes);
//   - out-of-range special token ids and token types are errors.
//
//===----------------------------------------------------------------------===//
#include "tokenizer/Tokenizer.h"

#include "tokenizer/Unicode.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <queue>

namespace attnc::tok {

using gguf::formatString;
using gguf::GGUFFile;
using gguf::makeError;

//===----------------------------------------------------------------------===//
// bytes_to_unicode
//===----------------------------------------------------------------------===//

namespace {
struct ByteMap {
  uint32_t toCp[256];
  int fromCp[324]; // every mapped code point is < 256 + 68
  ByteMap() {
    std::fill(std::begin(fromCp), std::end(fromCp), -1);
    uint32_t extra = 256;
    for (int b = 0; b < 256; ++b) {
      bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) ||
                       (b >= 0xAE && b <= 0xFF);
      toCp[b] = printable ? static_cast<uint32_t>(b) : extra++;
      fromCp[toCp[b]] = b;
    }
  }
};
const ByteMap &byteMap() {
  static const ByteMap m;
  return m;
}
} // namespace

uint32_t byteToUnicode(uint8_t b) { return byteMap().toCp[b]; }
int unicodeToByte(uint32_t cp) {
  return cp < 324 ? byteMap().fromCp[cp] : -1;
}

//===----------------------------------------------------------------------===//
// Pre-tokenizers (the regexes, by hand)
//===----------------------------------------------------------------------===//

namespace {
using Range = std::pair<size_t, size_t>;

class Splitter {
public:
  Splitter(const std::vector<Codepoint> &cps, size_t from, size_t to)
      : c_(cps), from_(from), to_(to) {}

  /// Code point at index i, or 0 outside [from, to) (0 is not L, N or \s).
  uint32_t at(size_t i) const { return i >= from_ && i < to_ ? c_[i].cp : 0; }
  bool inside(size_t i) const { return i >= from_ && i < to_; }
  bool L(size_t i) const { return inside(i) && isLetter(c_[i].cp); }
  bool N(size_t i) const { return inside(i) && isNumber(c_[i].cp); }
  bool WS(size_t i) const { return inside(i) && isWhitespace(c_[i].cp); }
  /// [^\s\p{L}\p{N}]
  bool other(size_t i) const { return inside(i) && !L(i) && !N(i) && !WS(i); }

  /// Length of the whitespace-regex match at i: \s+(?!\S) then \s+.
  size_t whitespace(size_t i) const {
    size_t k = 0;
    while (WS(i + k))
      ++k;
    if (k > 1 && inside(i + k))
      return k - 1;
    return k;
  }

  /// GPT-2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
  size_t gpt2(size_t i) const {
    if (at(i) == '\'') {
      uint32_t a = at(i + 1), b = at(i + 2);
      if (a == 's' || a == 't' || a == 'm' || a == 'd')
        return 2;
      if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') ||
          (a == 'l' && b == 'l'))
        return 3;
    }
    size_t p = i + (at(i) == ' ' ? 1 : 0);
    if (L(p)) {
      while (L(p))
        ++p;
      return p - i;
    }
    if (N(p)) {
      while (N(p))
        ++p;
      return p - i;
    }
    if (other(p)) {
      while (other(p))
        ++p;
      return p - i;
    }
    size_t k = whitespace(i);
    return k ? k : 1;
  }

  /// llama-bpe: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
  ///   ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
  size_t llama3(size_t i) const {
    auto lower = [](uint32_t c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; };
    if (at(i) == '\'') {
      uint32_t a = lower(at(i + 1)), b = lower(at(i + 2));
      if (a == 's' || a == 't' || a == 'm' || a == 'd')
        return 2;
      if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') ||
          (a == 'l' && b == 'l'))
        return 3;
    }
    auto isNl = [&](size_t k) { return at(k) == '\r' || at(k) == '\n'; };
    if (inside(i) && !isNl(i) && !N(i) && (L(i) || L(i + 1))) {
      size_t p = L(i) ? i : i + 1;
      while (L(p))
        ++p;
      return p - i;
    }
    if (N(i)) {
      size_t p = i;
      while (N(p) && p - i < 3)
        ++p;
      return p - i;
    }
    size_t p = i + (at(i) == ' ' ? 1 : 0);
    if (other(p)) {
      while (other(p))
        ++p;
      while (isNl(p))
        ++p;
      return p - i;
    }
    // \s*[\r\n]+ : up to the last newline of the whitespace run.
    size_t k = 0, lastNl = 0;
    while (WS(i + k)) {
      if (isNl(i + k))
        lastNl = k + 1;
      ++k;
    }
    if (lastNl)
      return lastNl;
    k = whitespace(i);
    return k ? k : 1;
  }

private:
  const std::vector<Codepoint> &c_;
  size_t from_, to_;
};
} // namespace

std::vector<Range> preTokenize(PreTokenizer pre, std::string_view text) {
  std::vector<Range> out;
  if (text.empty())
    return out;
  if (pre == PreTokenizer::None) {
    out.push_back({0, text.size()});
    return out;
  }
  std::vector<Codepoint> cps = decodeUtf8(text);
  auto byteAt = [&](size_t i) {
    return i < cps.size() ? static_cast<size_t>(cps[i].offset) : text.size();
  };
  auto split = [&](size_t from, size_t to) {
    Splitter s(cps, from, to);
    for (size_t i = from; i < to;) {
      size_t n = pre == PreTokenizer::Llama3 ? s.llama3(i) : s.gpt2(i);
      out.push_back({byteAt(i), byteAt(i + n)});
      i += n;
    }
  };
  if (pre == PreTokenizer::Digits) {
    // \p{N} first: every number code point is a piece of its own.
    size_t start = 0;
    for (size_t i = 0; i < cps.size(); ++i) {
      if (!isNumber(cps[i].cp))
        continue;
      split(start, i);
      out.push_back({byteAt(i), byteAt(i + 1)});
      start = i + 1;
    }
    split(start, cps.size());
  } else {
    split(0, cps.size());
  }
  return out;
}

//===----------------------------------------------------------------------===//
// Loading
//===----------------------------------------------------------------------===//

Expected<Tokenizer> Tokenizer::fromGGUF(const GGUFFile &file) {
  Tokenizer t;
  auto model = file.getString("tokenizer.ggml.model");
  if (!model)
    return makeError("tokenizer: %s", model.message().c_str());
  t.model_ = std::string(*model);
  if (t.model_ == "gpt2")
    t.kind_ = VocabKind::BPE;
  else if (t.model_ == "llama")
    t.kind_ = VocabKind::SPM;
  else
    return makeError("tokenizer: unsupported tokenizer.ggml.model '%s' "
                     "(supported: gpt2, llama)",
                     t.model_.c_str());

  auto tokens = file.getStringArray("tokenizer.ggml.tokens");
  if (!tokens)
    return makeError("tokenizer: %s", tokens.message().c_str());
  size_t n = tokens->size();
  if (n == 0)
    return makeError("tokenizer: tokenizer.ggml.tokens is empty");
  if (n > static_cast<size_t>(std::numeric_limits<TokenId>::max()))
    return makeError("tokenizer: %zu tokens is too many", n);

  std::vector<float> scores;
  if (file.hasKey("tokenizer.ggml.scores")) {
    auto s = file.getF32Array("tokenizer.ggml.scores");
    if (!s)
      return makeError("tokenizer: %s", s.message().c_str());
    if (s->size() != n)
      return makeError("tokenizer: tokenizer.ggml.scores has %zu entries but "
                       "tokenizer.ggml.tokens has %zu",
                       s->size(), n);
    scores = s.take();
  }
  std::vector<int32_t> types;
  if (file.hasKey("tokenizer.ggml.token_type")) {
    auto s = file.getI32Array("tokenizer.ggml.token_type");
    if (!s)
      return makeError("tokenizer: %s", s.message().c_str());
    if (s->size() != n)
      return makeError("tokenizer: tokenizer.ggml.token_type has %zu entries "
                       "but tokenizer.ggml.tokens has %zu",
                       s->size(), n);
    types = s.take();
  }

  t.tokens_.resize(n);
  t.textToId_.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    TokenData &d = t.tokens_[i];
    d.text = std::string((*tokens)[i]);
    if (d.text.empty()) // as llama.cpp: never matches any text
      d.text = "[EMPTY_" + std::to_string(i) + "]";
    d.score = scores.empty() ? 0.0f : scores[i];
    if (!types.empty()) {
      if (types[i] < 0 || types[i] > 6)
        return makeError("tokenizer: tokenizer.ggml.token_type[%zu] = %d is "
                         "not a token type (0..6)",
                         i, types[i]);
      d.type = static_cast<TokenType>(types[i]);
    }
    t.textToId_[d.text] = static_cast<TokenId>(i); // the last one wins
  }

  // Special token ids and flags.
  auto readId = [&](const char *key, TokenId &id) -> Error {
    if (!file.hasKey(key))
      return Error::success();
    auto v = file.getUInt(key);
    if (!v)
      return makeError("tokenizer: %s", v.message().c_str());
    if (*v >= n)
      return makeError("tokenizer: %s = %llu is not a token id (vocabulary "
                       "size %zu)",
                       key, static_cast<unsigned long long>(*v), n);
    id = static_cast<TokenId>(*v);
    return Error::success();
  };
  auto readBool = [&](const char *key, bool &b) -> Error {
    if (!file.hasKey(key))
      return Error::success();
    auto v = file.getBool(key);
    if (!v)
      return makeError("tokenizer: %s", v.message().c_str());
    b = *v;
    return Error::success();
  };
  if (t.kind_ == VocabKind::SPM) {
    t.unk_ = n > 0 ? 0 : kNoToken;
    t.bos_ = n > 1 ? 1 : kNoToken;
    t.eos_ = n > 2 ? 2 : kNoToken;
    t.addBos_ = true;
    t.addSpacePrefix_ = true;
    t.pre_ = PreTokenizer::None;
  }
  TokenId eot = kNoToken;
  if (Error e = readId("tokenizer.ggml.bos_token_id", t.bos_))
    return e;
  if (Error e = readId("tokenizer.ggml.eos_token_id", t.eos_))
    return e;
  if (Error e = readId("tokenizer.ggml.unknown_token_id", t.unk_))
    return e;
  if (Error e = readId("tokenizer.ggml.eot_token_id", eot))
    return e;
  if (Error e = readBool("tokenizer.ggml.add_bos_token", t.addBos_))
    return e;
  if (Error e = readBool("tokenizer.ggml.add_eos_token", t.addEos_))
    return e;
  if (Error e = readBool("tokenizer.ggml.add_space_prefix", t.addSpacePrefix_))
    return e;
  if (t.addBos_ && t.bos_ == kNoToken)
    return makeError("tokenizer: add_bos_token is set but there is no "
                     "tokenizer.ggml.bos_token_id");
  if (t.addEos_ && t.eos_ == kNoToken)
    return makeError("tokenizer: add_eos_token is set but there is no "
                     "tokenizer.ggml.eos_token_id");

  if (t.kind_ == VocabKind::BPE) {
    t.preName_ = "gpt2";
    if (file.hasKey("tokenizer.ggml.pre")) {
      auto p = file.getString("tokenizer.ggml.pre");
      if (!p)
        return makeError("tokenizer: %s", p.message().c_str());
      t.preName_ = std::string(*p);
    }
    const std::string &p = t.preName_;
    if (p == "gpt2" || p == "mpt" || p == "olmo" || p == "jais" ||
        p == "trillion") {
      t.pre_ = PreTokenizer::GPT2;
    } else if (p == "starcoder" || p == "refact" || p == "command-r" ||
               p == "smollm" || p == "codeshell" || p == "exaone" ||
               p == "minerva") {
      t.pre_ = PreTokenizer::Digits;
    } else if (p == "llama3" || p == "llama-v3" || p == "llama-bpe" ||
               p == "falcon3" || p == "pixtral") {
      t.pre_ = PreTokenizer::Llama3;
      t.ignoreMerges_ = true;
    } else {
      return makeError("tokenizer: unsupported pre-tokenizer "
                       "tokenizer.ggml.pre = '%s' (supported: gpt2, mpt, olmo, "
                       "jais, trillion, starcoder, refact, command-r, smollm, "
                       "codeshell, exaone, minerva, llama3, llama-v3, "
                       "llama-bpe, falcon3, pixtral)",
                       p.c_str());
    }

    auto merges = file.getStringArray("tokenizer.ggml.merges");
    if (!merges)
      return makeError("tokenizer: %s (a gpt2 tokenizer needs its merges)",
                       merges.message().c_str());
    t.mergeRanks_.reserve(merges->size());
    for (size_t i = 0; i < merges->size(); ++i) {
      std::string_view m = (*merges)[i];
      size_t sp = m.size() > 1 ? m.find(' ', 1) : std::string_view::npos;
      if (sp == std::string_view::npos || sp + 1 >= m.size() ||
          m.find(' ', sp + 1) != std::string_view::npos) {
        std::string shown(m.substr(0, 40));
        return makeError("tokenizer: tokenizer.ggml.merges[%zu] = '%s' is not "
                         "of the form 'LEFT RIGHT'",
                         i, shown.c_str());
      }
      t.mergeRanks_.emplace(std::string(m), static_cast<int>(i));
    }
  }

  if (file.hasKey("tokenizer.chat_template")) {
    auto c = file.getString("tokenizer.chat_template");
    if (!c)
      return makeError("tokenizer: %s", c.message().c_str());
    t.chatTemplate_ = std::string(*c);
  }

  // Special tokens, longest first, for the partition of the input.
  for (size_t i = 0; i < n; ++i) {
    TokenType ty = t.tokens_[i].type;
    if (ty == TokenType::Control || ty == TokenType::UserDefined ||
        ty == TokenType::Unknown)
      t.specialTokens_.push_back(static_cast<TokenId>(i));
  }
  std::sort(t.specialTokens_.begin(), t.specialTokens_.end(),
            [&](TokenId a, TokenId b) {
              size_t la = t.tokens_[a].text.size(), lb = t.tokens_[b].text.size();
              return la != lb ? la > lb : a < b;
            });

  // Byte tokens (SPM byte fallback).
  for (int b = 0; b < 256; ++b) {
    char hex[8];
    std::snprintf(hex, sizeof(hex), "<0x%02X>", b);
    TokenId id = t.findToken(hex);
    if (id == kNoToken)
      id = t.findToken(std::string(1, static_cast<char>(b)));
    t.byteTokens_[b] = id;
  }

  // End-of-generation tokens.
  if (t.eos_ != kNoToken)
    t.eogTokens_.push_back(t.eos_);
  if (eot != kNoToken)
    t.eogTokens_.push_back(eot);
  for (const char *s : {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
                        "<|endoftext|>", "<|eom_id|>", "<EOT>"}) {
    TokenId id = t.findToken(s);
    if (id != kNoToken)
      t.eogTokens_.push_back(id);
  }
  return t;
}

TokenId Tokenizer::findToken(std::string_view text) const {
  auto it = textToId_.find(std::string(text));
  return it == textToId_.end() ? kNoToken : it->second;
}

bool Tokenizer::isEndOfGeneration(TokenId id) const {
  return std::find(eogTokens_.begin(), eogTokens_.end(), id) !=
         eogTokens_.end();
}

//===----------------------------------------------------------------------===//
// Encoding
//===----------------------------------------------------------------------===//

std::vector<Tokenizer::Fragment>
Tokenizer::partition(std::string_view text, bool parseSpecial) const {
  std::vector<Fragment> frags{{false, kNoToken, 0, text.size()}};
  for (TokenId id : specialTokens_) {
    const TokenData &d = tokens_[id];
    if (!parseSpecial && d.type != TokenType::UserDefined)
      continue;
    const std::string &s = d.text;
    std::vector<Fragment> next;
    next.reserve(frags.size());
    for (const Fragment &f : frags) {
      if (f.isToken) {
        next.push_back(f);
        continue;
      }
      std::string_view raw = text.substr(f.begin, f.end - f.begin);
      size_t pos = 0;
      for (size_t m; (m = raw.find(s, pos)) != std::string_view::npos;
           pos = m + s.size()) {
        if (m > pos)
          next.push_back({false, kNoToken, f.begin + pos, f.begin + m});
        next.push_back({true, id, 0, 0});
      }
      if (pos < raw.size())
        next.push_back({false, kNoToken, f.begin + pos, f.end});
    }
    frags.swap(next);
  }
  return frags;
}

std::vector<TokenId> Tokenizer::encode(std::string_view text, bool addSpecial,
                                       bool parseSpecial) const {
  std::vector<TokenId> out;
  if (addSpecial && addBos_)
    out.push_back(bos_);
  bool prevSpecial = true; // SPM: a space prefix before the first text
  for (const Fragment &f : partition(text, parseSpecial)) {
    if (f.isToken) {
      out.push_back(f.token);
      prevSpecial = true;
      continue;
    }
    std::string_view raw = text.substr(f.begin, f.end - f.begin);
    if (kind_ == VocabKind::BPE) {
      encodeBPE(raw, out);
    } else {
      std::string s;
      if (addSpacePrefix_ && prevSpecial)
        s = " ";
      s.append(raw);
      encodeSPM(s, out);
    }
    prevSpecial = false;
  }
  if (addSpecial && addEos_)
    out.push_back(eos_);
  return out;
}

namespace {
struct Symbol {
  int prev, next;
  size_t start, len;
};
struct Bigram {
  int left, right;
  double priority; ///< smaller pops first
  size_t size;
};
struct BigramOrder {
  bool operator()(const Bigram &a, const Bigram &b) const {
    return a.priority > b.priority ||
           (a.priority == b.priority && a.left > b.left);
  }
};
using BigramQueue =
    std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder>;

/// Runs the bigram merge loop over `symbols` of `text`; `rank(a, b)` gives
/// the priority of merging the adjacent symbols a and b, or false.
template <typename RankFn>
void mergeSymbols(std::vector<Symbol> &symbols, RankFn rank) {
  BigramQueue queue;
  auto tryAdd = [&](int l, int r) {
    if (l < 0 || r < 0)
      return;
    double pr;
    if (rank(symbols[l], symbols[r], pr))
      queue.push({l, r, pr, symbols[l].len + symbols[r].len});
  };
  for (size_t i = 1; i < symbols.size(); ++i)
    tryAdd(static_cast<int>(i - 1), static_cast<int>(i));
  while (!queue.empty()) {
    Bigram b = queue.top();
    queue.pop();
    Symbol &l = symbols[b.left], &r = symbols[b.right];
    if (l.len == 0 || r.len == 0 || l.len + r.len != b.size || l.next != b.right)
      continue;
    l.len += r.len;
    r.len = 0;
    l.next = r.next;
    if (r.next >= 0)
      symbols[r.next].prev = b.left;
    tryAdd(l.prev, b.left);
    tryAdd(b.left, l.next);
  }
}
} // namespace

void Tokenizer::encodeBPE(std::string_view text,
                          std::vector<TokenId> &out) const {
  for (const Range &r : preTokenize(pre_, text))
    encodeBPEWord(text.substr(r.first, r.second - r.first), out);
}

void Tokenizer::encodeBPEWord(std::string_view word,
                              std::vector<TokenId> &out) const {
  // Byte-level: every byte becomes one code point, one initial symbol.
  std::string mapped;
  std::vector<Symbol> symbols;
  symbols.reserve(word.size());
  for (size_t i = 0; i < word.size(); ++i) {
    size_t start = mapped.size();
    appendUtf8(mapped, byteToUnicode(static_cast<uint8_t>(word[i])));
    symbols.push_back({static_cast<int>(i) - 1,
                       i + 1 < word.size() ? static_cast<int>(i + 1) : -1,
                       start, mapped.size() - start});
  }
  if (symbols.empty())
    return;
  if (ignoreMerges_) {
    TokenId id = findToken(mapped);
    if (id != kNoToken) {
      out.push_back(id);
      return;
    }
  }
  std::string key;
  mergeSymbols(symbols, [&](const Symbol &a, const Symbol &b, double &pr) {
    key.assign(mapped, a.start, a.len);
    key += ' ';
    key.append(mapped, b.start, b.len);
    auto it = mergeRanks_.find(key);
    if (it == mergeRanks_.end())
      return false;
    pr = it->second;
    return true;
  });
  for (int i = 0; i >= 0; i = symbols[i].next) {
    const Symbol &s = symbols[i];
    TokenId id = findToken(std::string_view(mapped).substr(s.start, s.len));
    if (id != kNoToken) {
      out.push_back(id);
      continue;
    }
    // No token for the merged text: the tokens of its byte characters.
    std::vector<Codepoint> cps =
        decodeUtf8(std::string_view(mapped).substr(s.start, s.len));
    for (const Codepoint &c : cps) {
      TokenId b = findToken(
          std::string_view(mapped).substr(s.start + c.offset, c.length));
      if (b == kNoToken)
        b = unk_;
      if (b != kNoToken)
        out.push_back(b);
    }
  }
}

TokenId Tokenizer::byteToken(uint8_t b) const {
  return byteTokens_[b] != kNoToken ? byteTokens_[b] : unk_;
}

void Tokenizer::encodeSPM(std::string_view raw,
                          std::vector<TokenId> &out) const {
  // Spaces become U+2581 "▁".
  std::string text;
  text.reserve(raw.size() + 8);
  for (char c : raw) {
    if (c == ' ')
      text += "\xE2\x96\x81";
    else
      text += c;
  }
  // Initial symbols: UTF-8 "characters" by their lead byte.
  std::vector<Symbol> symbols;
  for (size_t off = 0; off < text.size();) {
    size_t len = std::min(utf8SequenceLength(static_cast<uint8_t>(text[off])),
                          text.size() - off);
    int idx = static_cast<int>(symbols.size());
    symbols.push_back({idx - 1, -1, off, len});
    off += len;
  }
  if (symbols.empty())
    return;
  for (size_t i = 0; i + 1 < symbols.size(); ++i)
    symbols[i].next = static_cast<int>(i + 1);
  // Merge the pair whose concatenation is the token of highest score.
  mergeSymbols(symbols, [&](const Symbol &a, const Symbol &b, double &pr) {
    TokenId id = findToken(std::string_view(text).substr(a.start, a.len + b.len));
    if (id == kNoToken)
      return false;
    pr = -static_cast<double>(tokens_[id].score);
    return true;
  });
  for (int i = 0; i >= 0; i = symbols[i].next) {
    const Symbol &s = symbols[i];
    TokenId id = findToken(std::string_view(text).substr(s.start, s.len));
    if (id != kNoToken) {
      out.push_back(id);
      continue;
    }
    for (size_t j = 0; j < s.len; ++j) {
      TokenId b = byteToken(static_cast<uint8_t>(text[s.start + j]));
      if (b != kNoToken)
        out.push_back(b);
    }
  }
}

//===----------------------------------------------------------------------===//
// Decoding
//===----------------------------------------------------------------------===//

std::string Tokenizer::piece(TokenId id, bool renderSpecial) const {
  if (id < 0 || static_cast<size_t>(id) >= tokens_.size())
    return "";
  const TokenData &d = tokens_[id];
  switch (d.type) {
  case TokenType::Control:
    return renderSpecial ? d.text : "";
  case TokenType::Unknown:
  case TokenType::UserDefined:
    return d.text;
  case TokenType::Normal:
    break;
  case TokenType::Byte:
    if (kind_ == VocabKind::SPM) {
      unsigned v = 0;
      if (d.text.size() == 6 && std::sscanf(d.text.c_str(), "<0x%2X>", &v) == 1)
        return std::string(1, static_cast<char>(v));
      return "";
    }
    return "";
  default:
    return "";
  }
  std::string s;
  if (kind_ == VocabKind::SPM) {
    for (size_t i = 0; i < d.text.size(); ++i) {
      if (d.text.compare(i, 3, "\xE2\x96\x81") == 0) {
        s += ' ';
        i += 2;
      } else {
        s += d.text[i];
      }
    }
    return s;
  }
  for (const Codepoint &c : decodeUtf8(d.text)) {
    int b = c.invalid ? -1 : unicodeToByte(c.cp);
    if (b >= 0)
      s += static_cast<char>(b);
    else
      s.append(d.text, c.offset, c.length);
  }
  return s;
}

std::string Tokenizer::decode(const std::vector<TokenId> &ids,
                              bool renderSpecial) const {
  std::string s;
  // As llama.cpp's detokenize: the space prefix is removed from the first
  // token after a leading BOS.
  size_t first = !ids.empty() && ids[0] == bos_ ? 1 : 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    std::string p = piece(ids[i], renderSpecial);
    if (i == first && kind_ == VocabKind::SPM && addSpacePrefix_ &&
        !p.empty() && p[0] == ' ')
      p.erase(0, 1);
    s += p;
  }
  return s;
}

Expected<std::string>
Tokenizer::applyChatTemplate(const std::vector<ChatMessage> &messages,
                             bool addAssistantPrompt) const {
  auto kind = detectChatTemplate(chatTemplate_);
  if (!kind)
    return kind.error();
  return tok::applyChatTemplate(*kind, messages, addAssistantPrompt);
}

} // namespace attnc::tok
