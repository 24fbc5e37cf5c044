//===- GGUFWriter.h - Minimal GGUF v2/v3 writer ----------------*- C++ -*-===//
//
// Builds GGUF files in memory (for tests and tools that fabricate small
// models): typed metadata including nested arrays, tensors given as raw
// bytes or as floats quantized on the way in. Tensor data is laid out in
// insertion order, each tensor aligned to `general.alignment`.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_RUNTIME_GGUF_GGUFWRITER_H
#define ATTNC_RUNTIME_GGUF_GGUFWRITER_H

#include "gguf/Error.h"
#include "gguf/GGMLTypes.h"
#include "gguf/GGUFFile.h"

#include <cstdint>
#include <string>
#include <vector>

namespace attnc::gguf {

/// An owned metadata value for the writer.
struct MetaValue {
  GGUFValueType type = GGUFValueType::U8;
  uint64_t bits = 0;       ///< scalar bits (little-endian, zero-extended)
  std::string str;         ///< string value
  GGUFValueType elemType = GGUFValueType::U8; ///< array element type
  std::vector<MetaValue> elems;               ///< array elements

  static MetaValue u8(uint8_t v);
  static MetaValue i8(int8_t v);
  static MetaValue u16(uint16_t v);
  static MetaValue i16(int16_t v);
  static MetaValue u32(uint32_t v);
  static MetaValue i32(int32_t v);
  static MetaValue u64(uint64_t v);
  static MetaValue i64(int64_t v);
  static MetaValue f32(float v);
  static MetaValue f64(double v);
  static MetaValue boolean(bool v);
  static MetaValue string(std::string v);
  /// An array; every element must have type `elemType`.
  static MetaValue array(GGUFValueType elemType, std::vector<MetaValue> elems);
  static MetaValue stringArray(const std::vector<std::string> &v);
  static MetaValue f32Array(const std::vector<float> &v);
  static MetaValue i32Array(const std::vector<int32_t> &v);
};

/// Where the writer put things (absolute byte offsets), so that tests can
/// patch fields to build corrupt files.
struct GGUFLayout {
  uint64_t tensorCountOffset = 8;
  uint64_t kvCountOffset = 16;
  std::vector<uint64_t> kvOffsets; ///< start of each kv (its key length)
  struct Tensor {
    uint64_t infoOffset = 0;   ///< start of the tensor info (name length)
    uint64_t nDimsOffset = 0;
    uint64_t dimsOffset = 0;
    uint64_t typeOffset = 0;
    uint64_t offsetOffset = 0; ///< the u64 data offset field
    uint64_t dataOffset = 0;   ///< absolute start of the tensor's data
    uint64_t nBytes = 0;
  };
  std::vector<Tensor> tensors;
  uint64_t dataStart = 0; ///< absolute start of the data section
};

class GGUFWriter {
public:
  explicit GGUFWriter(uint32_t version = 3) : version_(version) {}

  void setVersion(uint32_t v) { version_ = v; }
  /// Sets the data alignment and records it as `general.alignment` (u32).
  void setAlignment(uint32_t alignment);

  /// Adds (or replaces, keeping its position) a metadata entry.
  void add(const std::string &key, MetaValue value);
  void addU32(const std::string &k, uint32_t v) { add(k, MetaValue::u32(v)); }
  void addI32(const std::string &k, int32_t v) { add(k, MetaValue::i32(v)); }
  void addU64(const std::string &k, uint64_t v) { add(k, MetaValue::u64(v)); }
  void addF32(const std::string &k, float v) { add(k, MetaValue::f32(v)); }
  void addBool(const std::string &k, bool v) { add(k, MetaValue::boolean(v)); }
  void addString(const std::string &k, std::string v) {
    add(k, MetaValue::string(std::move(v)));
  }

  /// Adds a tensor from raw bytes; `ne` is in ggml order (ne[0] innermost)
  /// and `bytes` must be exactly ggmlByteSize(type, prod(ne)).
  Error addTensor(const std::string &name, GGMLType type,
                  const std::vector<int64_t> &ne, const void *data,
                  size_t bytes);
  /// Adds a tensor from floats, converted to `type` (F32, F16, BF16, Q8_0,
  /// Q4_0 or Q4_1) row by row.
  Error addTensorF32(const std::string &name, const std::vector<int64_t> &ne,
                     const std::vector<float> &values,
                     GGMLType type = GGMLType::F32);

  /// Serializes the file.
  Expected<std::vector<uint8_t>> serialize(GGUFLayout *layout = nullptr) const;
  /// Serializes and writes to `path`.
  Error writeFile(const std::string &path, GGUFLayout *layout = nullptr) const;

private:
  struct TensorEntry {
    std::string name;
    GGMLType type;
    std::vector<int64_t> ne;
    std::vector<uint8_t> data;
  };
  uint32_t version_;
  uint32_t alignment_ = kGGUFDefaultAlignment;
  std::vector<std::pair<std::string, MetaValue>> kvs_;
  std::vector<TensorEntry> tensors_;
};

} // namespace attnc::gguf

#endif // ATTNC_RUNTIME_GGUF_GGUFWRITER_H
