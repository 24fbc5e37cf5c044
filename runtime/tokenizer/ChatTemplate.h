//===- ChatTemplate.h - Chat templates (llama.cpp's built-ins) -*- C++ -*-===//
//
// Recognizes a chat template (a Jinja string from tokenizer.chat_template, or
// a template name) the way llama.cpp's llm_chat_detect_template does, and
// formats messages as llama.cpp's llm_chat_apply_template does, for ChatML,
// the llama-2 [INST] variants and llama-3 (header ids). No Jinja is run:
// e.g. SmolLM2's template injects a default system message that llama.cpp's
// (and this) ChatML formatting does not.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_RUNTIME_TOKENIZER_CHATTEMPLATE_H
#define ATTNC_RUNTIME_TOKENIZER_CHATTEMPLATE_H

#include "gguf/Error.h"

#include <string>
#include <string_view>
#include <vector>

namespace attnc::tok {

struct ChatMessage {
  std::string role; ///< "system", "user", "assistant", ...
  std::string content;
};

enum class ChatTemplateKind {
  ChatML,
  Llama2,         ///< [INST] without system message support
  Llama2Sys,      ///< <<SYS>> supported
  Llama2SysBos,   ///< "<s>[INST] " inside the history
  Llama2SysStrip, ///< content.strip()
  Llama3,
};

/// llama.cpp's name of the kind: "chatml", "llama2", "llama2-sys",
/// "llama2-sys-bos", "llama2-sys-strip", "llama3".
const char *chatTemplateName(ChatTemplateKind k);

/// Detects the template kind from a name or a Jinja template. Templates that
/// llama.cpp knows but this runtime does not support, and unknown ones, give
/// an error naming them.
gguf::Expected<ChatTemplateKind> detectChatTemplate(std::string_view tmpl);

/// Formats `messages`; with `addAssistantPrompt`, ends with the prompt of an
/// assistant turn (e.g. "<|im_start|>assistant\n").
std::string applyChatTemplate(ChatTemplateKind kind,
                              const std::vector<ChatMessage> &messages,
                              bool addAssistantPrompt = true);

} // namespace attnc::tok

#endif // ATTNC_RUNTIME_TOKENIZER_CHATTEMPLATE_H
