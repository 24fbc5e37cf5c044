//===- Unicode.h - UTF-8 and Unicode categories for tokenizers -*- C++ -*-===//
//
// Just what the pre-tokenizers need: UTF-8 decoding that never fails (an
// invalid byte becomes a code point of its own that remembers the raw byte),
// the general categories L and N, and the White_Space property.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_RUNTIME_TOKENIZER_UNICODE_H
#define ATTNC_RUNTIME_TOKENIZER_UNICODE_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace attnc::tok {

/// One decoded code point and where it came from in the UTF-8 input.
struct Codepoint {
  uint32_t cp = 0;     ///< the code point (0xFFFD for an invalid byte)
  uint32_t offset = 0; ///< byte offset in the input
  uint32_t length = 0; ///< byte length in the input (1 for an invalid byte)
  bool invalid = false;
};

/// Decodes `s` (which may be invalid UTF-8: every byte that does not start a
/// well-formed sequence becomes an `invalid` code point of length 1; overlong
/// forms, surrogates and values above U+10FFFF are invalid).
std::vector<Codepoint> decodeUtf8(std::string_view s);

/// Appends the UTF-8 encoding of `cp` (which must be <= 0x10FFFF).
void appendUtf8(std::string &out, uint32_t cp);

/// Byte length of the UTF-8 sequence started by `lead` from its top 4 bits
/// (1 for ASCII and for continuation bytes), as SentencePiece-style
/// tokenizers split text into "characters".
size_t utf8SequenceLength(uint8_t lead);

bool isLetter(uint32_t cp);     ///< general category L*
bool isNumber(uint32_t cp);     ///< general category N*
bool isWhitespace(uint32_t cp); ///< Unicode White_Space property

} // namespace attnc::tok

#endif // ATTNC_RUNTIME_TOKENIZER_UNICODE_H
