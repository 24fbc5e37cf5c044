//===- attn-tokenize.cpp - Tokenize text with a GGUF file's tokenizer -----===//
//
//   attn-tokenize MODEL.gguf [options] --text STR     print the token ids
//   attn-tokenize MODEL.gguf --decode "ID ID ..."     print the text
//   attn-tokenize MODEL.gguf --chat ROLE=CONTENT ...  apply the chat template
//   attn-tokenize --make-test-vocab=gpt2|spm [--corrupt=KIND] OUT.gguf
// Options: -e (interpret \n \t \r \xNN \\ in --text/--chat), --no-bos
// (encode without BOS/EOS), --no-parse-special (control tokens are text),
// --pieces (one "id<TAB>piece" line per token), --info (tokenizer summary),
// --render-special (decode control tokens to their text).
//
//===----------------------------------------------------------------------===//
#include "gguf/GGUFFile.h"
#include "gguf/GGUFWriter.h"
#include "tokenizer/TestVocab.h"
#include "tokenizer/Tokenizer.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

using namespace attnc;
using namespace attnc::tok;

static int usage() {
  std::fprintf(stderr,
               "usage: attn-tokenize MODEL.gguf [-e] [--no-bos] "
               "[--no-parse-special] [--pieces] [--info] [--text STR] "
               "[--decode IDS] [--render-special] [--chat ROLE=CONTENT]...\n"
               "       attn-tokenize --make-test-vocab=gpt2|spm "
               "[--corrupt=KIND] OUT.gguf\n");
  return 2;
}

static bool unescape(const std::string &in, std::string &out) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '\\' || i + 1 == in.size()) {
      out += in[i];
      continue;
    }
    char c = in[++i];
    switch (c) {
    case 'n': out += '\n'; break;
    case 't': out += '\t'; break;
    case 'r': out += '\r'; break;
    case '\\': out += '\\'; break;
    case 'x': {
      if (i + 2 >= in.size())
        return false;
      std::string hex = in.substr(i + 1, 2);
      char *end = nullptr;
      long v = std::strtol(hex.c_str(), &end, 16);
      if (hex.size() != 2 || *end)
        return false;
      out += static_cast<char>(v);
      i += 2;
      break;
    }
    default:
      return false;
    }
  }
  return true;
}

/// Prints bytes with C escapes for control and non-UTF-8-safe bytes.
static std::string quoted(const std::string &s) {
  std::string o = "'";
  for (unsigned char c : s) {
    if (c == '\n') o += "\\n";
    else if (c == '\t') o += "\\t";
    else if (c == '\r') o += "\\r";
    else if (c == '\\') o += "\\\\";
    else if (c == '\'') o += "\\'";
    else if (c < 0x20 || c == 0x7f) {
      char b[8];
      std::snprintf(b, sizeof(b), "\\x%02x", c);
      o += b;
    } else o += static_cast<char>(c);
  }
  return o + "'";
}

int main(int argc, char **argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty())
    return usage();

  if (args[0].rfind("--make-test-vocab=", 0) == 0) {
    std::string kind = args[0].substr(strlen("--make-test-vocab="));
    std::string corruptKind, out;
    for (size_t i = 1; i < args.size(); ++i) {
      if (args[i].rfind("--corrupt=", 0) == 0)
        corruptKind = args[i].substr(strlen("--corrupt="));
      else
        out = args[i];
    }
    if (out.empty())
      return usage();
    gguf::GGUFWriter w;
    if (kind == "gpt2")
      testvocab::makeGPT2(w);
    else if (kind == "spm")
      testvocab::makeSPM(w);
    else
      return usage();
    if (!corruptKind.empty() && !testvocab::corrupt(w, corruptKind)) {
      std::fprintf(stderr, "attn-tokenize: unknown --corrupt kind '%s'\n",
                   corruptKind.c_str());
      return 2;
    }
    if (gguf::Error e = w.writeFile(out)) {
      std::fprintf(stderr, "attn-tokenize: %s\n", e.message().c_str());
      return 1;
    }
    return 0;
  }

  std::string path = args[0];
  bool esc = false, addSpecial = true, parseSpecial = true, pieces = false,
       info = false, renderSpecial = false, haveText = false, haveDecode = false;
  std::string text, decodeIds;
  std::vector<std::pair<std::string, std::string>> chat;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string &a = args[i];
    if (a == "-e") esc = true;
    else if (a == "--no-bos") addSpecial = false;
    else if (a == "--no-parse-special") parseSpecial = false;
    else if (a == "--pieces") pieces = true;
    else if (a == "--info") info = true;
    else if (a == "--render-special") renderSpecial = true;
    else if (a == "--text" && i + 1 < args.size()) { text = args[++i]; haveText = true; }
    else if (a == "--decode" && i + 1 < args.size()) { decodeIds = args[++i]; haveDecode = true; }
    else if (a == "--chat" && i + 1 < args.size()) {
      std::string m = args[++i];
      size_t eq = m.find('=');
      if (eq == std::string::npos) return usage();
      chat.push_back({m.substr(0, eq), m.substr(eq + 1)});
    } else return usage();
  }
  if (esc) {
    std::string t;
    if (!unescape(text, t)) {
      std::fprintf(stderr, "attn-tokenize: bad escape in --text\n");
      return 2;
    }
    text = t;
    for (auto &m : chat) {
      if (!unescape(m.second, t)) {
        std::fprintf(stderr, "attn-tokenize: bad escape in --chat\n");
        return 2;
      }
      m.second = t;
    }
  }

  auto file = gguf::GGUFFile::open(path);
  if (!file) {
    std::fprintf(stderr, "attn-tokenize: %s: %s\n", path.c_str(),
                 file.message().c_str());
    return 1;
  }
  auto tk = Tokenizer::fromGGUF(**file);
  if (!tk) {
    std::fprintf(stderr, "attn-tokenize: %s: %s\n", path.c_str(),
                 tk.message().c_str());
    return 1;
  }
  const Tokenizer &t = *tk;
  if (info) {
    std::printf("model: %s\npre: %s\nvocab: %zu\nbos: %d\neos: %d\nunk: %d\n"
                "add_bos: %d\nadd_eos: %d\nadd_space_prefix: %d\n",
                t.modelName().c_str(), t.preName().c_str(), t.vocabSize(),
                t.bos(), t.eos(), t.unk(), t.addBos(), t.addEos(),
                t.addSpacePrefix());
    auto kind = detectChatTemplate(t.chatTemplate());
    std::printf("chat template: %s\n",
                kind ? chatTemplateName(*kind) : kind.message().c_str());
  }
  if (!chat.empty()) {
    std::vector<ChatMessage> msgs;
    for (auto &m : chat)
      msgs.push_back({m.first, m.second});
    auto s = t.applyChatTemplate(msgs);
    if (!s) {
      std::fprintf(stderr, "attn-tokenize: %s\n", s.message().c_str());
      return 1;
    }
    std::printf("%s", quoted(*s).c_str());
    std::printf("\n");
    text = *s;
    haveText = true;
  }
  if (haveText) {
    std::vector<TokenId> ids = t.encode(text, addSpecial, parseSpecial);
    if (pieces) {
      for (TokenId id : ids)
        std::printf("%d\t%s\n", id, quoted(t.piece(id, true)).c_str());
    } else {
      for (size_t i = 0; i < ids.size(); ++i)
        std::printf("%s%d", i ? " " : "", ids[i]);
      std::printf("\n");
    }
  }
  if (haveDecode) {
    std::vector<TokenId> ids;
    std::istringstream in(decodeIds);
    long long v;
    while (in >> v) {
      if (v < 0 || static_cast<size_t>(v) >= t.vocabSize()) {
        std::fprintf(stderr, "attn-tokenize: token id %lld out of range\n", v);
        return 1;
      }
      ids.push_back(static_cast<TokenId>(v));
    }
    std::printf("%s\n", quoted(t.decode(ids, renderSpecial)).c_str());
  }
  return 0;
}
