//===- Unicode.cpp - UTF-8 and Unicode categories for tokenizers ----------===//
#include "tokenizer/Unicode.h"

#include <algorithm>
#include <iterator>

namespace attnc::tok {

namespace {
struct CodepointRange {
  uint32_t first, last;
};
#include "tokenizer/UnicodeTables.inc"

template <size_t N>
bool inRanges(const CodepointRange (&ranges)[N], uint32_t cp) {
  auto it = std::upper_bound(
      std::begin(ranges), std::end(ranges), cp,
      [](uint32_t v, const CodepointRange &r) { return v < r.first; });
  if (it == std::begin(ranges))
    return false;
  --it;
  return cp <= it->last;
}
} // namespace

std::vector<Codepoint> decodeUtf8(std::string_view s) {
  std::vector<Codepoint> out;
  out.reserve(s.size());
  const auto *p = reinterpret_cast<const uint8_t *>(s.data());
  size_t n = s.size(), i = 0;
  auto cont = [&](size_t k) { return k < n && (p[k] & 0xC0) == 0x80; };
  while (i < n) {
    uint8_t b = p[i];
    uint32_t cp = 0;
    size_t len = 0;
    if (b < 0x80) {
      cp = b;
      len = 1;
    } else if ((b & 0xE0) == 0xC0 && cont(i + 1)) {
      cp = (uint32_t(b & 0x1F) << 6) | (p[i + 1] & 0x3F);
      len = cp >= 0x80 ? 2 : 0;
    } else if ((b & 0xF0) == 0xE0 && cont(i + 1) && cont(i + 2)) {
      cp = (uint32_t(b & 0x0F) << 12) | (uint32_t(p[i + 1] & 0x3F) << 6) |
           (p[i + 2] & 0x3F);
      len = (cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF)) ? 3 : 0;
    } else if ((b & 0xF8) == 0xF0 && cont(i + 1) && cont(i + 2) &&
               cont(i + 3)) {
      cp = (uint32_t(b & 0x07) << 18) | (uint32_t(p[i + 1] & 0x3F) << 12) |
           (uint32_t(p[i + 2] & 0x3F) << 6) | (p[i + 3] & 0x3F);
      len = (cp >= 0x10000 && cp <= 0x10FFFF) ? 4 : 0;
    }
    Codepoint c;
    c.offset = static_cast<uint32_t>(i);
    if (len == 0) {
      c.cp = 0xFFFD;
      c.length = 1;
      c.invalid = true;
    } else {
      c.cp = cp;
      c.length = static_cast<uint32_t>(len);
    }
    out.push_back(c);
    i += c.length;
  }
  return out;
}

void appendUtf8(std::string &out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

size_t utf8SequenceLength(uint8_t lead) {
  static const uint8_t kLen[16] = {1, 1, 1, 1, 1, 1, 1, 1,
                                   1, 1, 1, 1, 2, 2, 3, 4};
  return kLen[lead >> 4];
}

bool isLetter(uint32_t cp) { return inRanges(kLetterRanges, cp); }
bool isNumber(uint32_t cp) { return inRanges(kNumberRanges, cp); }

bool isWhitespace(uint32_t cp) {
  switch (cp) {
  case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20:
  case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029:
  case 0x202F: case 0x205F: case 0x3000:
    return true;
  default:
    return cp >= 0x2000 && cp <= 0x200A;
  }
}

} // namespace attnc::tok
