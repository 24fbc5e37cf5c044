//===- GGUFFileTest.cpp - GGUF reader/writer round trips ------------------===//
#include "TestUtil.h"

#include "gguf/LlamaConfig.h"
#include "gguf/Quants.h"

#include <cfloat>
#include <climits>
#include <cstdio>
#include <unistd.h>

using namespace attnc::gguf;
using namespace attnc::gguf::test;

namespace {

std::unique_ptr<GGUFFile> mustParse(const std::vector<uint8_t> &bytes) {
  auto f = parseCopy(bytes);
  EXPECT_TRUE(f.ok()) << f.message();
  return f.ok() ? f.take() : nullptr;
}

class TempFile {
public:
  TempFile() {
    char tmpl[] = "/tmp/gguf-unit-XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd >= 0)
      close(fd);
    path_ = tmpl;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string &path() const { return path_; }
  void write(const std::vector<uint8_t> &b) const {
    std::FILE *f = std::fopen(path_.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    if (!b.empty()) {
      ASSERT_EQ(std::fwrite(b.data(), 1, b.size(), f), b.size());
    }
    std::fclose(f);
  }

private:
  std::string path_;
};

GGUFWriter allTypesWriter(uint32_t version) {
  GGUFWriter w(version);
  w.add("u8", MetaValue::u8(255));
  w.add("i8", MetaValue::i8(-128));
  w.add("u16", MetaValue::u16(65535));
  w.add("i16", MetaValue::i16(-32768));
  w.add("u32", MetaValue::u32(4000000000u));
  w.add("i32", MetaValue::i32(INT32_MIN));
  w.add("f32", MetaValue::f32(-0.15625f));
  w.add("bool.t", MetaValue::boolean(true));
  w.add("bool.f", MetaValue::boolean(false));
  w.add("string", MetaValue::string("hello \"gguf\"\n"));
  w.add("string.empty", MetaValue::string(""));
  w.add("u64", MetaValue::u64(UINT64_MAX));
  w.add("i64", MetaValue::i64(INT64_MIN));
  w.add("f64", MetaValue::f64(3.141592653589793));
  w.add("arr.u8", MetaValue::array(GGUFValueType::U8,
                                   {MetaValue::u8(1), MetaValue::u8(2)}));
  w.add("arr.i16", MetaValue::array(GGUFValueType::I16,
                                    {MetaValue::i16(-1), MetaValue::i16(7)}));
  w.add("arr.u64", MetaValue::array(GGUFValueType::U64,
                                    {MetaValue::u64(1ull << 40)}));
  w.add("arr.f64", MetaValue::array(GGUFValueType::F64,
                                    {MetaValue::f64(0.5), MetaValue::f64(-2)}));
  w.add("arr.bool", MetaValue::array(GGUFValueType::Bool,
                                     {MetaValue::boolean(true),
                                      MetaValue::boolean(false)}));
  w.add("arr.f32", MetaValue::f32Array({1.5f, -2.25f, 1e-8f}));
  w.add("arr.i32", MetaValue::i32Array({INT32_MAX, -1, 0}));
  w.add("arr.str", MetaValue::stringArray({"x", "", "zz\xc4\xa0"}));
  w.add("arr.empty", MetaValue::array(GGUFValueType::U32, {}));
  w.add("arr.nested",
        MetaValue::array(
            GGUFValueType::Array,
            {MetaValue::i32Array({1, 2}), MetaValue::i32Array({}),
             MetaValue::array(GGUFValueType::I32, {MetaValue::i32(-3)})}));
  return w;
}

class RoundTrip : public ::testing::TestWithParam<uint32_t> {};

TEST_P(RoundTrip, EveryMetadataType) {
  GGUFWriter w = allTypesWriter(GetParam());
  auto bytes = w.serialize();
  ASSERT_TRUE(bytes.ok()) << bytes.message();
  auto f = mustParse(*bytes);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->version(), GetParam());
  EXPECT_EQ(f->metadata().size(), 24u);
  EXPECT_EQ(*f->getU8("u8"), 255);
  EXPECT_EQ(*f->getI8("i8"), -128);
  EXPECT_EQ(*f->getU16("u16"), 65535);
  EXPECT_EQ(*f->getI16("i16"), -32768);
  EXPECT_EQ(*f->getU32("u32"), 4000000000u);
  EXPECT_EQ(*f->getI32("i32"), INT32_MIN);
  EXPECT_EQ(*f->getF32("f32"), -0.15625f);
  EXPECT_TRUE(*f->getBool("bool.t"));
  EXPECT_FALSE(*f->getBool("bool.f"));
  EXPECT_EQ(*f->getString("string"), "hello \"gguf\"\n");
  EXPECT_EQ(*f->getString("string.empty"), "");
  EXPECT_EQ(*f->getU64("u64"), UINT64_MAX);
  EXPECT_EQ(*f->getI64("i64"), INT64_MIN);
  EXPECT_EQ(*f->getF64("f64"), 3.141592653589793);

  auto u8s = f->getArray("arr.u8");
  ASSERT_TRUE(u8s.ok());
  EXPECT_EQ((*u8s)->elemType, GGUFValueType::U8);
  ASSERT_EQ((*u8s)->count, 2u);
  EXPECT_EQ((*u8s)->rawElement<uint8_t>(1), 2);
  auto i16s = f->getArray("arr.i16");
  ASSERT_TRUE(i16s.ok());
  EXPECT_EQ((*i16s)->rawElement<int16_t>(0), -1);
  int64_t iv = 0;
  EXPECT_TRUE((*i16s)->scalarElement(1).asInt(iv));
  EXPECT_EQ(iv, 7);
  EXPECT_EQ((*f->getArray("arr.u64"))->rawElement<uint64_t>(0), 1ull << 40);
  EXPECT_EQ((*f->getArray("arr.f64"))->rawElement<double>(1), -2.0);
  EXPECT_EQ((*f->getArray("arr.bool"))->rawElement<uint8_t>(0), 1);
  EXPECT_EQ(*f->getF32Array("arr.f32"), (std::vector<float>{1.5f, -2.25f, 1e-8f}));
  EXPECT_EQ(*f->getI32Array("arr.i32"), (std::vector<int32_t>{INT32_MAX, -1, 0}));
  auto strs = f->getStringArray("arr.str");
  ASSERT_TRUE(strs.ok());
  ASSERT_EQ(strs->size(), 3u);
  EXPECT_EQ((*strs)[0], "x");
  EXPECT_EQ((*strs)[1], "");
  EXPECT_EQ((*strs)[2], "zz\xc4\xa0");
  EXPECT_EQ((*f->getArray("arr.empty"))->count, 0u);
  auto nested = f->getArray("arr.nested");
  ASSERT_TRUE(nested.ok());
  ASSERT_EQ((*nested)->elemType, GGUFValueType::Array);
  ASSERT_EQ((*nested)->elements.size(), 3u);
  EXPECT_EQ((*nested)->elements[0].count, 2u);
  EXPECT_EQ((*nested)->elements[0].rawElement<int32_t>(1), 2);
  EXPECT_EQ((*nested)->elements[1].count, 0u);
  EXPECT_EQ((*nested)->elements[2].rawElement<int32_t>(0), -3);
  EXPECT_EQ((*nested)->toString(), "[[1, 2], [], [-3]]");

  // Order is preserved.
  EXPECT_EQ(f->metadata()[0].key, "u8");
  EXPECT_EQ(f->metadata().back().key, "arr.nested");
}

INSTANTIATE_TEST_SUITE_P(Versions, RoundTrip, ::testing::Values(2u, 3u));

TEST(GGUFFile, AccessorErrors) {
  auto bytes = allTypesWriter(3).serialize();
  ASSERT_TRUE(bytes.ok());
  auto f = mustParse(*bytes);
  ASSERT_TRUE(f);
  auto missing = f->getU32("nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.message(), "gguf: missing metadata key 'nope'");
  auto wrong = f->getU32("i32");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.message(), "gguf: metadata key 'i32' has type i32, expected u32");
  auto wrongArr = f->getStringArray("arr.f32");
  ASSERT_FALSE(wrongArr.ok());
  EXPECT_EQ(wrongArr.message(),
            "gguf: metadata key 'arr.f32' has type array<f32>, expected "
            "array<string>");
  EXPECT_FALSE(f->getString("u8").ok());
  EXPECT_FALSE(f->getArray("u8").ok());
  EXPECT_FALSE(f->getBool("u8").ok());
  // Lenient getters.
  EXPECT_EQ(*f->getUInt("u16"), 65535u);
  EXPECT_EQ(*f->getUInt("u64"), UINT64_MAX);
  EXPECT_FALSE(f->getUInt("i32").ok()); // negative
  EXPECT_EQ(*f->getInt("i8"), -128);
  EXPECT_FALSE(f->getInt("u64").ok()); // does not fit
  EXPECT_FALSE(f->getInt("f32").ok());
  EXPECT_EQ(*f->getFloat("f32"), -0.15625);
  EXPECT_EQ(*f->getFloat("u32"), 4000000000.0);
  EXPECT_FALSE(f->getFloat("string").ok());
  EXPECT_FALSE(f->getFloat("bool.t").ok());
  EXPECT_TRUE(f->hasKey("u8"));
  EXPECT_EQ(f->findKV("zzz"), nullptr);
}

TEST(GGUFFile, ValueRendering) {
  GGUFWriter w;
  std::vector<int32_t> many(20);
  for (int i = 0; i < 20; ++i)
    many[static_cast<size_t>(i)] = i;
  w.add("many", MetaValue::i32Array(many));
  w.add("s", MetaValue::string("a\"b\\c\n\x01"));
  w.add("f", MetaValue::f32(0.5f));
  w.add("b", MetaValue::boolean(true));
  auto bytes = w.serialize();
  ASSERT_TRUE(bytes.ok());
  auto f = mustParse(*bytes);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->findKV("many")->value.toString(3), "[0, 1, 2, ... (17 more)]");
  EXPECT_EQ(f->findKV("many")->value.toString(0).size(), 70u);
  EXPECT_EQ(f->findKV("s")->value.toString(), "\"a\\\"b\\\\c\\n\\x01\"");
  EXPECT_EQ(f->findKV("f")->value.toString(), "0.5");
  EXPECT_EQ(f->findKV("b")->value.toString(), "true");
}

TEST(GGUFFile, TensorsRoundTrip) {
  GGUFLayout layout;
  auto bytes = smallModel(&layout);
  auto f = mustParse(bytes);
  ASSERT_TRUE(f);
  ASSERT_EQ(f->tensors().size(), 3u);
  EXPECT_EQ(f->alignment(), 32u);
  EXPECT_EQ(f->dataOffset() % 32, 0u);
  EXPECT_EQ(f->dataOffset(), layout.dataStart);

  const GGUFTensorInfo *a = f->findTensor("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->type, GGMLType::F32);
  EXPECT_EQ(a->nDims, 1u);
  EXPECT_EQ(a->nElements, 8);
  EXPECT_EQ(a->nBytes, 32u);
  EXPECT_EQ(a->offset, 0u);
  EXPECT_EQ(a->shapeString(), "[8]");
  auto av = f->dequantize(*a);
  ASSERT_TRUE(av.ok());
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ((*av)[static_cast<size_t>(i)], static_cast<float>(i) * 0.5f);

  const GGUFTensorInfo *b = f->findTensor("b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->type, GGMLType::Q8_0);
  EXPECT_EQ(b->ne[0], 32);
  EXPECT_EQ(b->ne[1], 2);
  EXPECT_EQ(b->nRows(), 2);
  EXPECT_EQ(b->rowBytes(), 34u);
  EXPECT_EQ(b->nBytes, 68u);
  EXPECT_EQ(b->offset % 32, 0u);
  EXPECT_EQ(b->data, f->bytes() + f->dataOffset() + b->offset);
  auto bv = f->dequantize(*b);
  ASSERT_TRUE(bv.ok());
  for (size_t i = 0; i < 64; ++i)
    EXPECT_NEAR((*bv)[i], std::sin(static_cast<float>(i)), 1.0f / 127.0f);

  const GGUFTensorInfo *c = f->findTensor("c");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->type, GGMLType::Q4_0);
  EXPECT_EQ(c->nBytes, 4u * 4 * 18);
  EXPECT_EQ(c->shapeString(), "[128, 4]");
  EXPECT_EQ(f->findTensor("d"), nullptr);
  EXPECT_EQ(f->fileSize(), c->offset + c->nBytes + f->dataOffset());
}

TEST(GGUFFile, CustomAlignment) {
  GGUFWriter w;
  w.setAlignment(256);
  std::vector<float> v(10, 1.0f);
  ASSERT_FALSE(w.addTensorF32("x", {10}, v));
  ASSERT_FALSE(w.addTensorF32("y", {10}, v, GGMLType::F16));
  auto bytes = w.serialize();
  ASSERT_TRUE(bytes.ok());
  auto f = mustParse(*bytes);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->alignment(), 256u);
  EXPECT_EQ(f->dataOffset() % 256, 0u);
  EXPECT_EQ(f->findTensor("y")->offset, 256u);
  auto y = f->dequantize(*f->findTensor("y"));
  ASSERT_TRUE(y.ok());
  EXPECT_EQ(*y, v);
}

TEST(GGUFFile, EmptyFileHasNoTensors) {
  GGUFWriter w;
  auto bytes = w.serialize();
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(bytes->size(), 32u); // header, padded to the alignment
  auto f = mustParse(*bytes);
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->tensors().empty());
  EXPECT_TRUE(f->metadata().empty());
  // Without the padding too.
  std::vector<uint8_t> bare(bytes->begin(), bytes->begin() + 24);
  EXPECT_TRUE(parseCopy(bare).ok());
}

TEST(GGUFFile, OpenMapsFile) {
  TempFile tmp;
  auto bytes = smallModel();
  tmp.write(bytes);
  auto f = GGUFFile::open(tmp.path());
  ASSERT_TRUE(f.ok()) << f.message();
  EXPECT_EQ((*f)->path(), tmp.path());
  EXPECT_EQ((*f)->fileSize(), bytes.size());
  EXPECT_EQ(*(*f)->getString("general.architecture"), "llama");
  EXPECT_EQ(std::memcmp((*f)->bytes(), bytes.data(), bytes.size()), 0);
}

TEST(GGUFFile, OpenErrors) {
  auto missing = GGUFFile::open("/nonexistent/dir/model.gguf");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(startsWith(missing.message(), "gguf: cannot open '/nonexistent/dir/model.gguf'"))
      << missing.message();
  auto dir = GGUFFile::open("/tmp");
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.message(), "gguf: '/tmp' is not a regular file");
  TempFile empty;
  empty.write({});
  auto e = GGUFFile::open(empty.path());
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.message(), "gguf: file is empty (0 bytes), not a GGUF file");
}

TEST(GGUFWriter, Errors) {
  GGUFWriter w;
  std::vector<uint8_t> bytes(10);
  EXPECT_TRUE(static_cast<bool>(w.addTensor("t", GGMLType::F32, {3}, bytes.data(), 10)));
  EXPECT_TRUE(static_cast<bool>(w.addTensor("t", GGMLType::Q4_0, {31}, bytes.data(), 10)));
  EXPECT_FALSE(static_cast<bool>(w.addTensor("t", GGMLType::I8, {10}, bytes.data(), 10)));
  EXPECT_TRUE(static_cast<bool>(w.addTensor("t", GGMLType::I8, {10}, bytes.data(), 10))); // duplicate
  EXPECT_TRUE(static_cast<bool>(w.addTensorF32("q", {32}, std::vector<float>(31))));
  EXPECT_TRUE(static_cast<bool>(w.addTensorF32("q", {32}, std::vector<float>(32), GGMLType::Q6_K)));
  w.add("bad", MetaValue::array(GGUFValueType::U8, {MetaValue::u16(1)}));
  EXPECT_FALSE(w.serialize().ok());
}

//===----------------------------------------------------------------------===//
// LlamaConfig
//===----------------------------------------------------------------------===//

GGUFWriter llamaWriter() {
  GGUFWriter w;
  w.addString("general.architecture", "llama");
  w.addU32("llama.block_count", 30);
  w.addU32("llama.context_length", 8192);
  w.addU32("llama.embedding_length", 576);
  w.addU32("llama.feed_forward_length", 1536);
  w.addU32("llama.attention.head_count", 9);
  w.addU32("llama.attention.head_count_kv", 3);
  w.addF32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
  w.addF32("llama.rope.freq_base", 100000.0f);
  w.addU32("llama.rope.dimension_count", 64);
  w.addU32("llama.vocab_size", 49152);
  return w;
}

Expected<LlamaConfig> configOf(const GGUFWriter &w) {
  auto bytes = w.serialize();
  if (!bytes)
    return bytes.error();
  auto f = GGUFFile::fromOwnedBuffer(bytes.take());
  if (!f)
    return f.error();
  return LlamaConfig::fromGGUF(**f);
}

TEST(LlamaConfig, ReadsSmolLM2LikeConfig) {
  auto c = configOf(llamaWriter());
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_EQ(c->architecture, "llama");
  EXPECT_EQ(c->nLayers, 30u);
  EXPECT_EQ(c->contextLength, 8192u);
  EXPECT_EQ(c->embeddingLength, 576u);
  EXPECT_EQ(c->feedForwardLength, 1536u);
  EXPECT_EQ(c->nHeads, 9u);
  EXPECT_EQ(c->nKVHeads, 3u);
  EXPECT_EQ(c->headDim, 64u);
  EXPECT_FLOAT_EQ(c->rmsNormEps, 1e-5f);
  EXPECT_EQ(c->ropeFreqBase, 100000.0f);
  EXPECT_EQ(c->ropeDimensionCount, 64u);
  EXPECT_EQ(c->ropeScalingType, "none");
  EXPECT_EQ(c->ropeScalingFactor, 1.0f);
  EXPECT_EQ(c->vocabSize, 49152u);
  EXPECT_NE(c->toString().find("n_kv_heads: 3\n"), std::string::npos);
}

TEST(LlamaConfig, DefaultsAndAlternatives) {
  GGUFWriter w;
  w.addString("general.architecture", "mistral");
  w.add("mistral.block_count", MetaValue::u64(2)); // other integer types ok
  w.add("mistral.context_length", MetaValue::i32(64));
  w.addU32("mistral.embedding_length", 32);
  w.addU32("mistral.feed_forward_length", 64);
  w.addU32("mistral.attention.head_count", 4);
  w.add("mistral.attention.layer_norm_rms_epsilon", MetaValue::f64(1e-6));
  w.addString("mistral.rope.scaling.type", "yarn");
  w.addF32("mistral.rope.scaling.factor", 4.0f);
  w.addU32("mistral.rope.scaling.original_context_length", 16);
  w.add("tokenizer.ggml.tokens", MetaValue::stringArray({"a", "b", "c"}));
  auto c = configOf(w);
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_EQ(c->architecture, "mistral");
  EXPECT_EQ(c->nLayers, 2u);
  EXPECT_EQ(c->nKVHeads, 4u);         // defaults to head_count
  EXPECT_EQ(c->ropeFreqBase, 10000.0f); // default
  EXPECT_EQ(c->ropeDimensionCount, 8u); // defaults to head_dim
  EXPECT_EQ(c->ropeScalingType, "yarn");
  EXPECT_EQ(c->ropeScalingFactor, 4.0f);
  EXPECT_EQ(c->ropeScalingOrigContext, 16u);
  EXPECT_EQ(c->vocabSize, 3u); // from tokenizer.ggml.tokens
}

TEST(LlamaConfig, MissingRequiredKeys) {
  const char *required[] = {"llama.block_count",
                            "llama.context_length",
                            "llama.embedding_length",
                            "llama.feed_forward_length",
                            "llama.attention.head_count",
                            "llama.attention.layer_norm_rms_epsilon"};
  for (const char *key : required) {
    GGUFWriter full = llamaWriter();
    GGUFWriter w;
    // Rebuild without `key`.
    auto bytes = full.serialize();
    ASSERT_TRUE(bytes.ok());
    auto f = mustParse(*bytes);
    ASSERT_TRUE(f);
    for (const GGUFKV &kv : f->metadata()) {
      if (kv.key == key)
        continue;
      MetaValue v;
      v.type = kv.value.type;
      v.bits = kv.value.scalarBits;
      v.str = std::string(kv.value.str);
      w.add(std::string(kv.key), v);
    }
    auto c = configOf(w);
    ASSERT_FALSE(c.ok()) << key;
    EXPECT_EQ(c.message(), std::string("gguf: llama config: missing required key '") +
                               key + "'");
  }
  GGUFWriter noArch = llamaWriter();
  noArch.add("general.architecture", MetaValue::u32(1));
  auto c = configOf(noArch);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.message(), "gguf: llama config: metadata key "
                         "'general.architecture' has type u32, expected string");
}

TEST(LlamaConfig, MissingVocab) {
  GGUFWriter w = llamaWriter();
  auto bytes = w.serialize();
  ASSERT_TRUE(bytes.ok());
  // Replace llama.vocab_size by an unrelated key of the same length.
  std::string all(bytes->begin(), bytes->end());
  size_t at = all.find("llama.vocab_size");
  ASSERT_NE(at, std::string::npos);
  std::memcpy(bytes->data() + at, "llama.vocab_xxxx", 16);
  auto f = mustParse(*bytes);
  ASSERT_TRUE(f);
  auto c = LlamaConfig::fromGGUF(*f);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.message(), "gguf: llama config: missing vocabulary size (neither "
                         "'llama.vocab_size' nor 'tokenizer.ggml.tokens' is "
                         "present)");
}

TEST(LlamaConfig, InconsistentValues) {
  {
    GGUFWriter w = llamaWriter();
    w.addU32("llama.attention.head_count_kv", 4); // 9 % 4 != 0
    auto c = configOf(w);
    ASSERT_FALSE(c.ok());
    EXPECT_NE(c.message().find("not a multiple of head_count_kv 4"), std::string::npos);
  }
  {
    GGUFWriter w = llamaWriter();
    w.addU32("llama.attention.head_count", 7); // 576 % 7 != 0
    EXPECT_FALSE(configOf(w).ok());
  }
  {
    GGUFWriter w = llamaWriter();
    w.addU32("llama.block_count", 0);
    auto c = configOf(w);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.message(), "gguf: llama config: 'llama.block_count' has invalid value 0");
  }
  {
    GGUFWriter w = llamaWriter();
    w.add("llama.attention.head_count", MetaValue::i32Array({9, 9}));
    auto c = configOf(w);
    ASSERT_FALSE(c.ok());
    EXPECT_NE(c.message().find("per-layer values are not supported"), std::string::npos);
  }
  {
    GGUFWriter w = llamaWriter();
    w.addF32("llama.attention.layer_norm_rms_epsilon", -1.0f);
    EXPECT_FALSE(configOf(w).ok());
  }
  {
    GGUFWriter w = llamaWriter();
    w.addU32("llama.rope.dimension_count", 65);
    EXPECT_FALSE(configOf(w).ok());
  }
  {
    GGUFWriter w = llamaWriter();
    w.addString("llama.context_length", "big");
    auto c = configOf(w);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.message(), "gguf: llama config: metadata key 'llama.context_length' "
                           "has type string, expected an integer");
  }
}

TEST(GGMLTypes, SizesMatchGGML) {
  struct Row {
    GGMLType t;
    int64_t block;
    size_t size;
  } rows[] = {{GGMLType::F32, 1, 4},     {GGMLType::F16, 1, 2},
              {GGMLType::BF16, 1, 2},    {GGMLType::Q4_0, 32, 18},
              {GGMLType::Q4_1, 32, 20},  {GGMLType::Q5_0, 32, 22},
              {GGMLType::Q5_1, 32, 24},  {GGMLType::Q8_0, 32, 34},
              {GGMLType::Q8_1, 32, 36},  {GGMLType::Q2_K, 256, 84},
              {GGMLType::Q3_K, 256, 110}, {GGMLType::Q4_K, 256, 144},
              {GGMLType::Q5_K, 256, 176}, {GGMLType::Q6_K, 256, 210},
              {GGMLType::Q8_K, 256, 292}, {GGMLType::IQ2_XXS, 256, 66},
              {GGMLType::IQ2_XS, 256, 74}, {GGMLType::IQ3_XXS, 256, 98},
              {GGMLType::IQ1_S, 256, 50}, {GGMLType::IQ4_NL, 32, 18},
              {GGMLType::IQ3_S, 256, 110}, {GGMLType::IQ2_S, 256, 82},
              {GGMLType::IQ4_XS, 256, 136}, {GGMLType::IQ1_M, 256, 56},
              {GGMLType::TQ1_0, 256, 54}, {GGMLType::TQ2_0, 256, 66},
              {GGMLType::MXFP4, 32, 17},  {GGMLType::I64, 1, 8}};
  for (const Row &r : rows) {
    auto t = ggmlTypeTraits(r.t);
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->blockSize, r.block) << t->name;
    EXPECT_EQ(t->typeSize, r.size) << t->name;
    EXPECT_EQ(ggmlTypeFromName(t->name), r.t);
  }
  EXPECT_FALSE(ggmlTypeTraits(4).has_value()); // removed Q4_2
  EXPECT_FALSE(ggmlTypeTraits(31).has_value());
  EXPECT_FALSE(ggmlTypeTraits(1000).has_value());
  EXPECT_STREQ(ggmlTypeName(12), "q4_K");
  EXPECT_STREQ(ggmlTypeName(5), "unknown");
  EXPECT_EQ(ggmlByteSize(GGMLType::Q4_K, 512), 288u);
  EXPECT_FALSE(ggmlByteSize(GGMLType::Q4_K, 100).has_value());
  EXPECT_FALSE(ggmlByteSize(GGMLType::F32, -1).has_value());
  EXPECT_FALSE(ggmlByteSize(GGMLType::F64, INT64_MAX).has_value()); // overflow
}

} // namespace
