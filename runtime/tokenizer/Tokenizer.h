//===- Tokenizer.h - Tokenizer from GGUF metadata --------------*- C++ -*-===//
//
// Reads the tokenizer.* metadata of a GGUF file and encodes/decodes text the
// way llama.cpp does for two vocabulary types:
//   - "gpt2": byte-level BPE (bytes_to_unicode, merge ranks) after the
//     pre-tokenizer regex of `tokenizer.ggml.pre` (gpt2, llama-bpe/llama3,
//     and the starcoder family incl. "smollm": digits split one by one, then
//     the GPT-2 regex). The regexes are implemented by hand.
//   - "llama": SentencePiece-style BPE (score-driven merges of UTF-8
//     characters, "▁" for spaces, byte fallback to <0xXX> tokens).
// Special tokens (control, user-defined) are matched as whole tokens before
// pre-tokenization. Malformed metadata yields an Error, never a crash.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_RUNTIME_TOKENIZER_TOKENIZER_H
#define ATTNC_RUNTIME_TOKENIZER_TOKENIZER_H

#include "gguf/Error.h"
#include "gguf/GGUFFile.h"
#include "tokenizer/ChatTemplate.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace attnc::tok {

using gguf::Error;
using gguf::Expected;

using TokenId = int32_t;
constexpr TokenId kNoToken = -1;

/// tokenizer.ggml.token_type values (llama.cpp's llama_token_type).
enum class TokenType : int32_t {
  Undefined = 0,
  Normal = 1,
  Unknown = 2,
  Control = 3,
  UserDefined = 4,
  Unused = 5,
  Byte = 6,
};

enum class VocabKind { BPE /* "gpt2" */, SPM /* "llama" */ };

/// Pre-tokenizer regex families (tokenizer.ggml.pre).
enum class PreTokenizer {
  None,      ///< SPM: no regex split
  GPT2,      ///< 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
  Digits,    ///< \p{N} split individually, then GPT2 (starcoder, smollm, ...)
  Llama3,    ///< the llama-bpe regex (case-insensitive contractions, \p{N}{1,3}, ...)
};

/// Splits `text` with the regex of `pre`; returns [begin, end) byte ranges.
/// Exposed for tests.
std::vector<std::pair<size_t, size_t>> preTokenize(PreTokenizer pre,
                                                   std::string_view text);

/// GPT-2's bytes_to_unicode: byte -> code point.
uint32_t byteToUnicode(uint8_t b);
/// Inverse of byteToUnicode; -1 for code points outside the mapping.
int unicodeToByte(uint32_t cp);

class Tokenizer {
public:
  /// Reads tokenizer.ggml.* and tokenizer.chat_template from `file`.
  static Expected<Tokenizer> fromGGUF(const gguf::GGUFFile &file);

  /// Encodes `text`. With `addSpecial`, adds BOS (and EOS) as the file asks
  /// (tokenizer.ggml.add_bos_token / add_eos_token). With `parseSpecial`,
  /// control tokens in the text (e.g. "<|im_start|>") become their ids;
  /// user-defined tokens are always matched (as llama.cpp does).
  std::vector<TokenId> encode(std::string_view text, bool addSpecial = true,
                              bool parseSpecial = true) const;

  /// The bytes of one token, for streaming output (may be a partial UTF-8
  /// sequence). Control tokens render as "" unless `renderSpecial`.
  std::string piece(TokenId id, bool renderSpecial = false) const;
  /// Concatenated pieces. For SPM with add_space_prefix, the leading space
  /// of the first piece is removed (llama.cpp's remove_special behaviour).
  std::string decode(const std::vector<TokenId> &ids,
                     bool renderSpecial = false) const;

  /// Formats `messages` with the file's chat template (see ChatTemplate.h).
  Expected<std::string> applyChatTemplate(const std::vector<ChatMessage> &messages,
                                          bool addAssistantPrompt = true) const;

  VocabKind kind() const { return kind_; }
  const std::string &modelName() const { return model_; }
  const std::string &preName() const { return preName_; }
  PreTokenizer preTokenizer() const { return pre_; }
  size_t vocabSize() const { return tokens_.size(); }
  const std::string &tokenText(TokenId id) const { return tokens_.at(id).text; }
  TokenType tokenType(TokenId id) const { return tokens_.at(id).type; }
  float tokenScore(TokenId id) const { return tokens_.at(id).score; }
  /// Token id of an exact token text, or kNoToken.
  TokenId findToken(std::string_view text) const;
  TokenId bos() const { return bos_; }
  TokenId eos() const { return eos_; }
  TokenId unk() const { return unk_; }
  bool addBos() const { return addBos_; }
  bool addEos() const { return addEos_; }
  bool addSpacePrefix() const { return addSpacePrefix_; }
  const std::string &chatTemplate() const { return chatTemplate_; }
  /// True for tokens that end generation (EOS, EOT-like control tokens such
  /// as <|im_end|>, <|eot_id|>, <|endoftext|>).
  bool isEndOfGeneration(TokenId id) const;

private:
  struct TokenData {
    std::string text;
    float score = 0.0f;
    TokenType type = TokenType::Normal;
  };
  struct Fragment {
    bool isToken;
    TokenId token;
    size_t begin, end; ///< raw text range when !isToken
  };

  void encodeBPE(std::string_view text, std::vector<TokenId> &out) const;
  void encodeBPEWord(std::string_view word, std::vector<TokenId> &out) const;
  void encodeSPM(std::string_view text, std::vector<TokenId> &out) const;
  TokenId byteToken(uint8_t b) const;
  std::vector<Fragment> partition(std::string_view text, bool parseSpecial) const;

  VocabKind kind_ = VocabKind::BPE;
  std::string model_, preName_;
  PreTokenizer pre_ = PreTokenizer::GPT2;
  std::vector<TokenData> tokens_;
  std::unordered_map<std::string, TokenId> textToId_;
  std::unordered_map<std::string, int> mergeRanks_; ///< "left right" -> rank
  std::vector<TokenId> specialTokens_; ///< longest text first
  std::vector<TokenId> eogTokens_;
  TokenId byteTokens_[256];
  TokenId bos_ = kNoToken, eos_ = kNoToken, unk_ = kNoToken;
  bool addBos_ = false, addEos_ = false, addSpacePrefix_ = false;
  bool ignoreMerges_ = false;
  std::string chatTemplate_;
};

} // namespace attnc::tok

#endif // ATTNC_RUNTIME_TOKENIZER_TOKENIZER_H
