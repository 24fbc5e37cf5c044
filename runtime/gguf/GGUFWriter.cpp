//===- GGUFWriter.cpp - Minimal GGUF v2/v3 writer -------------------------===//
#include "gguf/GGUFWriter.h"
#include "gguf/Quants.h"

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace attnc::gguf {

//===----------------------------------------------------------------------===//
// MetaValue
//===----------------------------------------------------------------------===//

template <typename T> static MetaValue scalar(GGUFValueType t, T v) {
  MetaValue m;
  m.type = t;
  std::memcpy(&m.bits, &v, sizeof(T));
  return m;
}

MetaValue MetaValue::u8(uint8_t v) { return scalar(GGUFValueType::U8, v); }
MetaValue MetaValue::i8(int8_t v) { return scalar(GGUFValueType::I8, v); }
MetaValue MetaValue::u16(uint16_t v) { return scalar(GGUFValueType::U16, v); }
MetaValue MetaValue::i16(int16_t v) { return scalar(GGUFValueType::I16, v); }
MetaValue MetaValue::u32(uint32_t v) { return scalar(GGUFValueType::U32, v); }
MetaValue MetaValue::i32(int32_t v) { return scalar(GGUFValueType::I32, v); }
MetaValue MetaValue::u64(uint64_t v) { return scalar(GGUFValueType::U64, v); }
MetaValue MetaValue::i64(int64_t v) { return scalar(GGUFValueType::I64, v); }
MetaValue MetaValue::f32(float v) { return scalar(GGUFValueType::F32, v); }
MetaValue MetaValue::f64(double v) { return scalar(GGUFValueType::F64, v); }
MetaValue MetaValue::boolean(bool v) {
  return scalar(GGUFValueType::Bool, static_cast<uint8_t>(v ? 1 : 0));
}
MetaValue MetaValue::string(std::string v) {
  MetaValue m;
  m.type = GGUFValueType::String;
  m.str = std::move(v);
  return m;
}
MetaValue MetaValue::array(GGUFValueType elemType,
                           std::vector<MetaValue> elems) {
  MetaValue m;
  m.type = GGUFValueType::Array;
  m.elemType = elemType;
  m.elems = std::move(elems);
  return m;
}
MetaValue MetaValue::stringArray(const std::vector<std::string> &v) {
  std::vector<MetaValue> e;
  e.reserve(v.size());
  for (const std::string &s : v)
    e.push_back(string(s));
  return array(GGUFValueType::String, std::move(e));
}
MetaValue MetaValue::f32Array(const std::vector<float> &v) {
  std::vector<MetaValue> e;
  e.reserve(v.size());
  for (float f : v)
    e.push_back(f32(f));
  return array(GGUFValueType::F32, std::move(e));
}
MetaValue MetaValue::i32Array(const std::vector<int32_t> &v) {
  std::vector<MetaValue> e;
  e.reserve(v.size());
  for (int32_t i : v)
    e.push_back(i32(i));
  return array(GGUFValueType::I32, std::move(e));
}

//===----------------------------------------------------------------------===//
// Writer
//===----------------------------------------------------------------------===//

void GGUFWriter::setAlignment(uint32_t alignment) {
  alignment_ = alignment;
  add("general.alignment", MetaValue::u32(alignment));
}

void GGUFWriter::add(const std::string &key, MetaValue value) {
  for (auto &kv : kvs_) {
    if (kv.first == key) {
      kv.second = std::move(value);
      return;
    }
  }
  kvs_.emplace_back(key, std::move(value));
}

static Expected<int64_t> elementCount(const std::string &name,
                                      const std::vector<int64_t> &ne) {
  if (ne.size() > kGGUFMaxDims)
    return makeError("gguf writer: tensor '%s' has %zu dimensions",
                     name.c_str(), ne.size());
  int64_t n = 1;
  for (int64_t d : ne) {
    if (d < 0 || (d != 0 && n > INT64_MAX / d))
      return makeError("gguf writer: tensor '%s' has a bad shape",
                       name.c_str());
    n *= d;
  }
  return n;
}

Error GGUFWriter::addTensor(const std::string &name, GGMLType type,
                            const std::vector<int64_t> &ne, const void *data,
                            size_t bytes) {
  auto n = elementCount(name, ne);
  if (!n)
    return n.error();
  auto expect = ggmlByteSize(type, *n);
  if (!expect || (!ne.empty() && ne[0] % ggmlTypeTraits(type)->blockSize))
    return makeError("gguf writer: tensor '%s': %" PRId64
                     " elements do not fit type %s",
                     name.c_str(), *n, ggmlTypeName(type));
  if (*expect != bytes)
    return makeError("gguf writer: tensor '%s' of type %s needs %" PRIu64
                     " bytes, got %zu",
                     name.c_str(), ggmlTypeName(type), *expect, bytes);
  for (const TensorEntry &t : tensors_)
    if (t.name == name)
      return makeError("gguf writer: duplicate tensor '%s'", name.c_str());
  TensorEntry t{name, type, ne, {}};
  const uint8_t *p = static_cast<const uint8_t *>(data);
  if (bytes)
    t.data.assign(p, p + bytes);
  tensors_.push_back(std::move(t));
  return Error::success();
}

Error GGUFWriter::addTensorF32(const std::string &name,
                               const std::vector<int64_t> &ne,
                               const std::vector<float> &values,
                               GGMLType type) {
  auto n = elementCount(name, ne);
  if (!n)
    return n.error();
  if (static_cast<uint64_t>(*n) != values.size())
    return makeError("gguf writer: tensor '%s' has %" PRId64
                     " elements but %zu values were given",
                     name.c_str(), *n, values.size());
  if (!canQuantize(type))
    return makeError("gguf writer: cannot quantize to %s", ggmlTypeName(type));
  int64_t row = ne.empty() ? 1 : ne[0];
  auto rowBytes = ggmlByteSize(type, row);
  auto total = ggmlByteSize(type, *n);
  if (!rowBytes || !total)
    return makeError("gguf writer: tensor '%s': row length %" PRId64
                     " does not fit type %s",
                     name.c_str(), row, ggmlTypeName(type));
  std::vector<uint8_t> bytes(static_cast<size_t>(*total));
  int64_t rows = row == 0 ? 0 : *n / row;
  for (int64_t r = 0; r < rows; ++r)
    if (Error e = quantizeRow(type, values.data() + r * row,
                              bytes.data() + r * *rowBytes, row))
      return e;
  return addTensor(name, type, ne, bytes.data(), bytes.size());
}

namespace {
struct Out {
  std::vector<uint8_t> buf;
  uint64_t pos() const { return buf.size(); }
  template <typename T> void put(T v) {
    uint8_t b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    buf.insert(buf.end(), b, b + sizeof(T));
  }
  void str(const std::string &s) {
    put<uint64_t>(s.size());
    buf.insert(buf.end(), s.begin(), s.end());
  }
  void pad(uint64_t alignment) {
    while (buf.size() % alignment)
      buf.push_back(0);
  }
};

Error putValue(Out &o, const MetaValue &v, const std::string &key) {
  if (v.type == GGUFValueType::String) {
    o.str(v.str);
    return Error::success();
  }
  if (v.type != GGUFValueType::Array) {
    size_t sz = ggufScalarSize(v.type);
    if (!sz)
      return makeError("gguf writer: '%s': bad value type", key.c_str());
    uint8_t b[8];
    std::memcpy(b, &v.bits, 8);
    o.buf.insert(o.buf.end(), b, b + sz);
    return Error::success();
  }
  o.put<uint32_t>(static_cast<uint32_t>(v.elemType));
  o.put<uint64_t>(v.elems.size());
  for (const MetaValue &e : v.elems) {
    if (e.type != v.elemType)
      return makeError("gguf writer: '%s': array element of type %s in an "
                       "array of %s",
                       key.c_str(), ggufValueTypeName(e.type),
                       ggufValueTypeName(v.elemType));
    if (Error err = putValue(o, e, key))
      return err;
  }
  return Error::success();
}
} // namespace

Expected<std::vector<uint8_t>>
GGUFWriter::serialize(GGUFLayout *layoutOut) const {
  if (alignment_ == 0 || (alignment_ & (alignment_ - 1)))
    return makeError("gguf writer: alignment %u is not a power of two",
                     alignment_);
  GGUFLayout layout;
  Out o;
  o.buf.insert(o.buf.end(), {'G', 'G', 'U', 'F'});
  o.put<uint32_t>(version_);
  layout.tensorCountOffset = o.pos();
  o.put<uint64_t>(tensors_.size());
  layout.kvCountOffset = o.pos();
  o.put<uint64_t>(kvs_.size());
  for (const auto &kv : kvs_) {
    layout.kvOffsets.push_back(o.pos());
    o.str(kv.first);
    o.put<uint32_t>(static_cast<uint32_t>(kv.second.type));
    if (Error e = putValue(o, kv.second, kv.first))
      return e;
  }
  // Data offsets (relative), each tensor aligned.
  uint64_t rel = 0;
  std::vector<uint64_t> offsets;
  for (const TensorEntry &t : tensors_) {
    offsets.push_back(rel);
    rel += t.data.size();
    rel += (alignment_ - rel % alignment_) % alignment_;
  }
  for (size_t i = 0; i < tensors_.size(); ++i) {
    const TensorEntry &t = tensors_[i];
    GGUFLayout::Tensor lt;
    lt.infoOffset = o.pos();
    o.str(t.name);
    lt.nDimsOffset = o.pos();
    o.put<uint32_t>(static_cast<uint32_t>(t.ne.size()));
    lt.dimsOffset = o.pos();
    for (int64_t d : t.ne)
      o.put<uint64_t>(static_cast<uint64_t>(d));
    lt.typeOffset = o.pos();
    o.put<uint32_t>(static_cast<uint32_t>(t.type));
    lt.offsetOffset = o.pos();
    o.put<uint64_t>(offsets[i]);
    lt.nBytes = t.data.size();
    layout.tensors.push_back(lt);
  }
  o.pad(alignment_);
  layout.dataStart = o.pos();
  for (size_t i = 0; i < tensors_.size(); ++i) {
    layout.tensors[i].dataOffset = o.pos();
    o.buf.insert(o.buf.end(), tensors_[i].data.begin(), tensors_[i].data.end());
    o.pad(alignment_);
  }
  if (layoutOut)
    *layoutOut = std::move(layout);
  return std::move(o.buf);
}

Error GGUFWriter::writeFile(const std::string &path, GGUFLayout *layout) const {
  auto bytes = serialize(layout);
  if (!bytes)
    return bytes.error();
  std::FILE *f = std::fopen(path.c_str(), "wb");
  if (!f)
    return makeError("gguf writer: cannot create '%s': %s", path.c_str(),
                     std::strerror(errno));
  size_t n = bytes->empty() ? 0 : std::fwrite(bytes->data(), 1, bytes->size(), f);
  bool ok = n == bytes->size();
  ok = (std::fclose(f) == 0) && ok;
  if (!ok)
    return makeError("gguf writer: cannot write '%s'", path.c_str());
  return Error::success();
}

} // namespace attnc::gguf
