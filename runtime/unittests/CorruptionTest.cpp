//===- CorruptionTest.cpp - Corrupt and truncated GGUF files --------------===//
//
// Every failure must come back as an Error whose message starts with
// "gguf: " -- never a crash, an assertion or a read out of bounds (run these
// under ATTNC_SANITIZE=ON to check the latter).
//
//===----------------------------------------------------------------------===//
#include "TestUtil.h"

#include "gguf/LlamaConfig.h"
#include "gguf/Quants.h"

#include <cstdio>

using namespace attnc::gguf;
using namespace attnc::gguf::test;

namespace {

/// Expects parsing to fail with a message containing `needle`.
void expectError(const std::vector<uint8_t> &bytes, const std::string &needle) {
  auto f = parseCopy(bytes);
  ASSERT_FALSE(f.ok()) << "expected an error containing: " << needle;
  EXPECT_TRUE(startsWith(f.message(), "gguf: ")) << f.message();
  EXPECT_NE(f.message().find(needle), std::string::npos)
      << "message: " << f.message() << "\nexpected: " << needle;
}

uint64_t lastDataEnd(const GGUFLayout &l) {
  uint64_t end = l.dataStart;
  for (const auto &t : l.tensors)
    end = std::max(end, t.dataOffset + t.nBytes);
  return end;
}

TEST(Corruption, EveryPrefixFails) {
  for (uint32_t version : {2u, 3u}) {
    GGUFLayout layout;
    std::vector<uint8_t> bytes = smallModel(&layout, version);
    ASSERT_FALSE(bytes.empty());
    uint64_t end = lastDataEnd(layout);
    ASSERT_EQ(end, bytes.size()); // no trailing padding
    for (size_t n = 0; n < bytes.size(); ++n) {
      std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + n);
      auto f = parseCopy(prefix);
      ASSERT_FALSE(f.ok()) << "prefix of " << n << " bytes parsed";
      ASSERT_TRUE(startsWith(f.message(), "gguf: ")) << f.message();
    }
    EXPECT_TRUE(parseCopy(bytes).ok());
  }
}

TEST(Corruption, TruncatedMessages) {
  GGUFLayout layout;
  std::vector<uint8_t> bytes = smallModel(&layout);
  auto cut = [&](size_t n) {
    return std::vector<uint8_t>(bytes.begin(), bytes.begin() + n);
  };
  expectError(cut(0), "file too small (0 bytes)");
  expectError(cut(3), "file too small (3 bytes)");
  expectError(cut(6), "truncated file: reading version at offset 4 needs 4 "
                      "bytes but only 2 remain");
  expectError(cut(12), "reading tensor count");
  expectError(cut(20), "reading metadata kv count");
  // Counts are checked against the smallest possible kv / tensor info.
  expectError(cut(layout.kvOffsets[0] + 10),
              "tensor count 3 cannot fit in the file (file size 34)");
  // Inside a tensor info (the counts still fit).
  expectError(cut(layout.tensors[1].typeOffset + 2),
              "gguf: tensor 'b': truncated file: reading tensor type at offset " +
                  std::to_string(layout.tensors[1].typeOffset) +
                  " needs 4 bytes but only 2 remain");
  // Data section cut: the last tensor no longer fits.
  const auto &last = layout.tensors.back();
  expectError(cut(bytes.size() - 1),
              "gguf: tensor 'c' extends past end of file (offset " +
                  std::to_string(last.dataOffset) + " + size " +
                  std::to_string(last.nBytes) + " > file size " +
                  std::to_string(bytes.size() - 1));
  // Cut right after the tensor infos: the data section is missing.
  expectError(cut(layout.tensors.back().offsetOffset + 8),
              "extends past end of file");
}

TEST(Corruption, TruncatedFilesOnDisk) {
  std::vector<uint8_t> bytes = smallModel();
  char tmpl[] = "/tmp/gguf-corrupt-XXXXXX";
  int fd = mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  close(fd);
  for (size_t n : {size_t(1), size_t(4), size_t(23), size_t(100),
                   bytes.size() / 2, bytes.size() - 1}) {
    std::FILE *f = std::fopen(tmpl, "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(std::fwrite(bytes.data(), 1, n, f), n);
    std::fclose(f);
    auto g = GGUFFile::open(tmpl);
    ASSERT_FALSE(g.ok()) << n;
    EXPECT_TRUE(startsWith(g.message(), "gguf: ")) << g.message();
  }
  std::remove(tmpl);
}

TEST(Corruption, HeaderFields) {
  GGUFLayout layout;
  const std::vector<uint8_t> good = smallModel(&layout);
  auto with = [&](auto fn) {
    std::vector<uint8_t> b = good;
    fn(b);
    return b;
  };
  expectError(with([](auto &b) { std::memcpy(b.data(), "GGML", 4); }),
              "bad magic 'GGML' (expected 'GGUF')");
  expectError(with([](auto &b) { b[0] = 0; }), "bad magic '\\x00GUF'");
  expectError(with([](auto &b) { patch<uint32_t>(b, 4, 0); }),
              "unsupported GGUF version 0");
  expectError(with([](auto &b) { patch<uint32_t>(b, 4, 1); }),
              "unsupported GGUF version 1 (supported: 2, 3); version 1 files "
              "must be converted");
  expectError(with([](auto &b) { patch<uint32_t>(b, 4, 4); }),
              "unsupported GGUF version 4");
  expectError(with([](auto &b) { patch<uint32_t>(b, 4, 0x03000000u); }),
              "looks big-endian");
  expectError(with([&](auto &b) {
                patch<uint64_t>(b, layout.tensorCountOffset, 1ull << 40);
              }),
              "tensor count 1099511627776 cannot fit in the file");
  expectError(with([&](auto &b) {
                patch<uint64_t>(b, layout.tensorCountOffset, UINT64_MAX);
              }),
              "cannot fit in the file");
  expectError(with([&](auto &b) {
                patch<uint64_t>(b, layout.kvCountOffset, 1ull << 40);
              }),
              "metadata kv count 1099511627776 cannot fit in the file");
  expectError(with([&](auto &b) {
                patch<uint64_t>(b, layout.kvCountOffset, UINT64_MAX / 13 + 1);
              }),
              "cannot fit in the file");
  // One kv too many: the first tensor info is read as a kv.
  EXPECT_FALSE(parseCopy(with([&](auto &b) {
                 patch<uint64_t>(b, layout.kvCountOffset,
                                 layout.kvOffsets.size() + 1);
               })).ok());
  // One tensor too many: the data section is read as a tensor info.
  EXPECT_FALSE(parseCopy(with([&](auto &b) {
                 patch<uint64_t>(b, layout.tensorCountOffset,
                                 layout.tensors.size() + 1);
               })).ok());
  // One kv too few: the last kv is read as a tensor info.
  EXPECT_FALSE(parseCopy(with([&](auto &b) {
                 patch<uint64_t>(b, layout.kvCountOffset,
                                 layout.kvOffsets.size() - 1);
               })).ok());
}

TEST(Corruption, MetadataFields) {
  GGUFLayout layout;
  const std::vector<uint8_t> good = smallModel(&layout);
  auto with = [&](auto fn) {
    std::vector<uint8_t> b = good;
    fn(b);
    return b;
  };
  const uint64_t kv0 = layout.kvOffsets[0]; // general.architecture (20 chars)
  expectError(with([&](auto &b) { patch<uint64_t>(b, kv0, 1ull << 40); }),
              "metadata key at offset 24 has length 1099511627776, longer than");
  expectError(with([&](auto &b) { patch<uint64_t>(b, kv0, UINT64_MAX); }),
              "longer than");
  expectError(with([&](auto &b) { patch<uint32_t>(b, kv0 + 8 + 20, 13); }),
              "metadata 'general.architecture' has unknown value type 13");
  expectError(with([&](auto &b) { patch<uint32_t>(b, kv0 + 8 + 20, 0xffffffffu); }),
              "unknown value type 4294967295");
  // The string value's length.
  expectError(with([&](auto &b) {
                patch<uint64_t>(b, kv0 + 8 + 20 + 4, 1ull << 50);
              }),
              "metadata 'general.architecture': string value at offset 56 "
              "has length 1125899906842624");
  // tokenizer.ggml.tokens (kv 3): key length 21, type, elem type, count.
  const uint64_t kv3 = layout.kvOffsets[3];
  expectError(with([&](auto &b) { patch<uint32_t>(b, kv3 + 8 + 21 + 4, 42); }),
              "metadata 'tokenizer.ggml.tokens': array at offset");
  expectError(with([&](auto &b) {
                patch<uint64_t>(b, kv3 + 8 + 21 + 8, 1ull << 60);
              }),
              "array of 1152921504606846976 string elements");
  // test.i32s (kv 4): make its count too large for the remaining bytes.
  const uint64_t kv4 = layout.kvOffsets[4];
  expectError(with([&](auto &b) {
                patch<uint64_t>(b, kv4 + 8 + 9 + 8, UINT64_MAX / 2);
              }),
              "i32 elements");
  // Array element type "array" over an i32 payload -> garbage nested arrays.
  EXPECT_FALSE(parseCopy(with([&](auto &b) {
                 patch<uint32_t>(b, kv4 + 8 + 9 + 4, 9);
               })).ok());
  // Duplicate key: rename kv 1 (llama.block_count, 17) to kv 2's...
  // kv 2 is llama.rope.freq_base (20); use kv 0's name instead via length.
  {
    GGUFWriter w;
    w.addU32("aaaa", 1);
    w.addU32("bbbb", 2);
    GGUFLayout l;
    auto b = w.serialize(&l);
    ASSERT_TRUE(b.ok());
    std::memcpy(b->data() + l.kvOffsets[1] + 8, "aaaa", 4);
    expectError(*b, "duplicate metadata key 'aaaa'");
  }
}

TEST(Corruption, NestedArrayDepth) {
  auto nested = [](int depth) {
    MetaValue v = MetaValue::array(GGUFValueType::U8, {MetaValue::u8(1)});
    for (int i = 1; i < depth; ++i)
      v = MetaValue::array(GGUFValueType::Array, {v});
    GGUFWriter w;
    w.add("deep", v);
    auto b = w.serialize();
    EXPECT_TRUE(b.ok());
    return b.take();
  };
  EXPECT_TRUE(parseCopy(nested(static_cast<int>(kGGUFMaxArrayDepth))).ok());
  expectError(nested(static_cast<int>(kGGUFMaxArrayDepth) + 1),
              "metadata 'deep': arrays nested deeper than 8 levels");
  expectError(nested(1000), "nested deeper than");
}

TEST(Corruption, Alignment) {
  auto withAlignment = [](MetaValue v) {
    GGUFWriter w;
    w.add("general.alignment", v);
    auto b = w.serialize();
    EXPECT_TRUE(b.ok());
    return b.take();
  };
  expectError(withAlignment(MetaValue::u32(0)),
              "general.alignment 0 is not a power of two");
  expectError(withAlignment(MetaValue::u32(48)),
              "general.alignment 48 is not a power of two");
  expectError(withAlignment(MetaValue::u32(1u << 31)), "not a power of two");
  expectError(withAlignment(MetaValue::string("32")),
              "general.alignment has type string, expected u32");
  expectError(withAlignment(MetaValue::i32(-32)),
              "general.alignment has type i32, expected u32");
  EXPECT_TRUE(parseCopy(withAlignment(MetaValue::u32(1))).ok());
}

TEST(Corruption, TensorInfoFields) {
  GGUFLayout layout;
  const std::vector<uint8_t> good = smallModel(&layout);
  auto with = [&](auto fn) {
    std::vector<uint8_t> b = good;
    fn(b);
    return b;
  };
  const auto &a = layout.tensors[0]; // "a": f32 [8]
  const auto &b1 = layout.tensors[1]; // "b": q8_0 [32, 2]
  const auto &c = layout.tensors[2]; // "c": q4_0 [128, 4]
  expectError(with([&](auto &b) { patch<uint64_t>(b, a.infoOffset, 1ull << 40); }),
              "tensor name at offset");
  expectError(with([&](auto &b) { patch<uint32_t>(b, a.nDimsOffset, 5); }),
              "tensor 'a' has 5 dimensions (at most 4 supported)");
  expectError(with([&](auto &b) { patch<uint32_t>(b, a.nDimsOffset, UINT32_MAX); }),
              "has 4294967295 dimensions");
  expectError(with([&](auto &b) { patch<uint64_t>(b, a.dimsOffset, 1ull << 63); }),
              "tensor 'a' dimension 0 is too large (9223372036854775808)");
  expectError(with([&](auto &b) { patch<uint64_t>(b, b1.dimsOffset + 8, 1ull << 62); }),
              "tensor 'b' element count overflows");
  expectError(with([&](auto &b) { patch<uint32_t>(b, a.typeOffset, 4); }),
              "tensor 'a' has unknown ggml type 4");
  expectError(with([&](auto &b) { patch<uint32_t>(b, a.typeOffset, 31); }),
              "unknown ggml type 31");
  expectError(with([&](auto &b) { patch<uint32_t>(b, a.typeOffset, 1000); }),
              "unknown ggml type 1000");
  expectError(with([&](auto &b) { patch<uint64_t>(b, c.dimsOffset, 100); }),
              "tensor 'c' row length 100 is not a multiple of the q4_0 block "
              "size 32");
  expectError(with([&](auto &b) { patch<uint64_t>(b, b1.offsetOffset, 33); }),
              "tensor 'b' data offset 33 is not a multiple of the alignment 32");
  expectError(with([&](auto &b) { patch<uint64_t>(b, c.offsetOffset, 1ull << 40); }),
              "tensor 'c' extends past end of file");
  expectError(with([&](auto &b) {
                patch<uint64_t>(b, c.offsetOffset, UINT64_MAX - 31);
              }),
              "tensor 'c' extends past end of file");
  // A type whose blocks are larger makes the tensor run past the end.
  expectError(with([&](auto &b) {
                patch<uint32_t>(b, c.typeOffset, static_cast<uint32_t>(GGMLType::F32));
              }),
              "tensor 'c' extends past end of file");
  // Shape grown so that the byte size exceeds the file.
  expectError(with([&](auto &b) { patch<uint64_t>(b, a.dimsOffset, 1ull << 40); }),
              "tensor 'a' extends past end of file");
  // Duplicate tensor names: rename "b" to "a".
  expectError(with([&](auto &b) { b[b1.infoOffset + 8] = 'a'; }),
              "duplicate tensor name 'a'");
  // Unprintable names are escaped in messages.
  expectError(with([&](auto &b) {
                b[a.infoOffset + 8] = '\n';
                patch<uint32_t>(b, a.nDimsOffset, 9);
              }),
              "tensor '\\x0a' has 9 dimensions");
}

TEST(Corruption, RandomByteFlipsNeverCrash) {
  GGUFLayout layout;
  const std::vector<uint8_t> good = smallModel(&layout);
  Rng rng(1234);
  int parsed = 0, failed = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::vector<uint8_t> b = good;
    // Mostly hit the header/metadata/tensor infos, where the structure is.
    uint64_t limit = iter % 4 == 0 ? b.size() : layout.dataStart;
    int flips = 1 + static_cast<int>(rng.next() % 4);
    for (int k = 0; k < flips; ++k) {
      size_t at = rng.next() % limit;
      if (rng.next() % 2)
        b[at] = rng.byte();
      else
        b[at] ^= static_cast<uint8_t>(1u << (rng.next() % 8));
    }
    auto f = parseCopy(b);
    if (!f.ok()) {
      ++failed;
      ASSERT_TRUE(startsWith(f.message(), "gguf: ")) << f.message();
      continue;
    }
    ++parsed;
    // Whatever parsed must be safe to use.
    for (const GGUFTensorInfo &t : (*f)->tensors()) {
      if (!canDequantize(t.type) || t.nElements > (1 << 20))
        continue;
      auto v = (*f)->dequantize(t);
      EXPECT_TRUE(v.ok()) << v.message();
    }
    for (const GGUFKV &kv : (*f)->metadata())
      (void)kv.value.toString();
    (void)LlamaConfig::fromGGUF(**f);
  }
  EXPECT_GT(parsed, 0);
  EXPECT_GT(failed, 0);
}

TEST(Corruption, GarbageInputs) {
  Rng rng(99);
  for (int iter = 0; iter < 500; ++iter) {
    size_t n = rng.next() % 200;
    std::vector<uint8_t> b(n);
    for (auto &x : b)
      x = rng.byte();
    if (n >= 8 && iter % 2 == 0) { // valid magic and version, random rest
      std::memcpy(b.data(), "GGUF", 4);
      patch<uint32_t>(b, 4, 2 + iter % 4 / 2);
    }
    auto f = parseCopy(b);
    if (!f.ok()) {
      ASSERT_TRUE(startsWith(f.message(), "gguf: ")) << f.message();
    }
  }
}

} // namespace
