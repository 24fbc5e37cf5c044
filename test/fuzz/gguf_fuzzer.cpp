//===- gguf_fuzzer.cpp - libFuzzer entry point for the GGUF reader --------===//
//
// Parses arbitrary bytes as a GGUF file, straight from libFuzzer's exactly
// sized buffer (so AddressSanitizer sees any read past the end). Whatever
// parses is then used the way the runtime would: metadata rendered, the llama
// config read, every tensor dequantized. Any crash, sanitizer report or hang
// is a bug: every input must end in a parsed file or a clean Error.
//
//===----------------------------------------------------------------------===//

#include "gguf/GGUFFile.h"
#include "gguf/LlamaConfig.h"
#include "gguf/Quants.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

using namespace attnc::gguf;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  auto fileOr = GGUFFile::fromBuffer(data, size);
  if (!fileOr) {
    // Every error carries a message with the common prefix.
    if (fileOr.message().rfind("gguf: ", 0) != 0)
      std::abort();
    return 0;
  }
  const GGUFFile &f = **fileOr;
  for (const GGUFKV &kv : f.metadata())
    (void)kv.value.toString(16);
  (void)LlamaConfig::fromGGUF(f);
  (void)f.getStringArray("tokenizer.ggml.tokens");
  std::vector<float> row;
  for (const GGUFTensorInfo &t : f.tensors()) {
    if (t.data == nullptr && t.nBytes != 0)
      std::abort();
    if (t.nBytes > size || !canDequantize(t.type) || t.nElements == 0)
      continue;
    // Tensor data lies inside the input, so the element count is bounded by
    // a small multiple of its size.
    row.resize(static_cast<size_t>(t.ne[0]));
    for (int64_t r = 0; r < t.nRows(); ++r)
      if (dequantizeRow(t.type, t.data + r * t.rowBytes(), row.data(), t.ne[0]))
        std::abort();
  }
  return 0;
}
