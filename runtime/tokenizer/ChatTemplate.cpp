//===- ChatTemplate.cpp - Chat templates (llama.cpp's built-ins) ----------===//
#include "tokenizer/ChatTemplate.h"

#include <sstream>

namespace attnc::tok {

using gguf::Expected;
using gguf::makeError;

const char *chatTemplateName(ChatTemplateKind k) {
  switch (k) {
  case ChatTemplateKind::ChatML: return "chatml";
  case ChatTemplateKind::Llama2: return "llama2";
  case ChatTemplateKind::Llama2Sys: return "llama2-sys";
  case ChatTemplateKind::Llama2SysBos: return "llama2-sys-bos";
  case ChatTemplateKind::Llama2SysStrip: return "llama2-sys-strip";
  case ChatTemplateKind::Llama3: return "llama3";
  }
  return "?";
}

static Expected<ChatTemplateKind> unsupported(const char *name) {
  return makeError("tokenizer: unsupported chat template '%s' (supported: "
                   "chatml, llama2, llama2-sys, llama2-sys-bos, "
                   "llama2-sys-strip, llama3)",
                   name);
}

Expected<ChatTemplateKind> detectChatTemplate(std::string_view tmpl) {
  for (ChatTemplateKind k :
       {ChatTemplateKind::ChatML, ChatTemplateKind::Llama2,
        ChatTemplateKind::Llama2Sys, ChatTemplateKind::Llama2SysBos,
        ChatTemplateKind::Llama2SysStrip, ChatTemplateKind::Llama3})
    if (tmpl == chatTemplateName(k))
      return k;
  auto has = [&](const char *s) { return tmpl.find(s) != std::string_view::npos; };
  if (tmpl.empty())
    return makeError("tokenizer: the file has no chat template "
                     "(tokenizer.chat_template)");
  if (has("<|im_start|>")) {
    if (has("<|im_sep|>"))
      return unsupported("phi4");
    if (has("<end_of_utterance>"))
      return unsupported("smolvlm");
    return ChatTemplateKind::ChatML;
  }
  if (tmpl.substr(0, 7) == "mistral" || has("[INST]")) {
    if (has("[SYSTEM_PROMPT]"))
      return unsupported("mistral-v7");
    if (has("' [INST] ' + system_message") || has("[AVAILABLE_TOOLS]")) {
      if (has(" [INST]"))
        return unsupported("mistral-v1");
      if (has("\"[INST]\""))
        return unsupported("mistral-v3-tekken");
      return unsupported("mistral-v3");
    }
    if (has("content.strip()"))
      return ChatTemplateKind::Llama2SysStrip;
    if (has("bos_token + '[INST]"))
      return ChatTemplateKind::Llama2SysBos;
    if (has("<<SYS>>"))
      return ChatTemplateKind::Llama2Sys;
    return ChatTemplateKind::Llama2;
  }
  if (has("<|assistant|>") && has("<|end|>"))
    return unsupported("phi3");
  if (has("<start_of_turn>"))
    return unsupported("gemma");
  if (has("<|start_header_id|>") && has("<|end_header_id|>"))
    return ChatTemplateKind::Llama3;
  std::string head(tmpl.substr(0, 60));
  for (char &c : head)
    if (c == '\n')
      c = ' ';
  return makeError("tokenizer: unknown chat template '%s%s'", head.c_str(),
                   tmpl.size() > 60 ? "..." : "");
}

static std::string trim(const std::string &s) {
  const char *ws = " \t\n\r\f\v";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string::npos)
    return "";
  size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

std::string applyChatTemplate(ChatTemplateKind kind,
                              const std::vector<ChatMessage> &messages,
                              bool addAssistantPrompt) {
  std::ostringstream ss;
  switch (kind) {
  case ChatTemplateKind::ChatML:
    for (const ChatMessage &m : messages)
      ss << "<|im_start|>" << m.role << "\n" << m.content << "<|im_end|>\n";
    if (addAssistantPrompt)
      ss << "<|im_start|>assistant\n";
    break;
  case ChatTemplateKind::Llama2:
  case ChatTemplateKind::Llama2Sys:
  case ChatTemplateKind::Llama2SysBos:
  case ChatTemplateKind::Llama2SysStrip: {
    bool systemSupported = kind != ChatTemplateKind::Llama2;
    bool bosInHistory = kind == ChatTemplateKind::Llama2SysBos;
    bool strip = kind == ChatTemplateKind::Llama2SysStrip;
    bool insideTurn = true; // no BOS at the beginning
    ss << "[INST] ";
    for (const ChatMessage &m : messages) {
      std::string content = strip ? trim(m.content) : m.content;
      if (!insideTurn) {
        insideTurn = true;
        ss << (bosInHistory ? "<s>[INST] " : "[INST] ");
      }
      if (m.role == "system") {
        if (systemSupported)
          ss << "<<SYS>>\n" << content << "\n<</SYS>>\n\n";
        else
          ss << content << "\n";
      } else if (m.role == "user") {
        ss << content << " [/INST]";
      } else {
        ss << content << "</s>";
        insideTurn = false;
      }
    }
    break;
  }
  case ChatTemplateKind::Llama3:
    for (const ChatMessage &m : messages)
      ss << "<|start_header_id|>" << m.role << "<|end_header_id|>\n\n"
         << trim(m.content) << "<|eot_id|>";
    if (addAssistantPrompt)
      ss << "<|start_header_id|>assistant<|end_header_id|>\n\n";
    break;
  }
  return ss.str();
}

} // namespace attnc::tok
