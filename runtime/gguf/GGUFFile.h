//===- GGUFFile.h - Memory-mapped, bounds-checked GGUF reader --*- C++ -*-===//
//
// Reads GGUF v2/v3 files (ggml's docs/gguf.md): header, typed metadata and the
// tensor table. The file is memory-mapped read-only; strings, arrays and
// tensor data are views into the mapping, valid as long as the GGUFFile
// lives. Every read is bounds checked: a corrupt or truncated file yields an
// Error with a message, never a crash.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_RUNTIME_GGUF_GGUFFILE_H
#define ATTNC_RUNTIME_GGUF_GGUFFILE_H

#include "gguf/Error.h"
#include "gguf/GGMLTypes.h"

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace attnc::gguf {

/// Metadata value type ids (gguf_type).
enum class GGUFValueType : uint32_t {
  U8 = 0,
  I8 = 1,
  U16 = 2,
  I16 = 3,
  U32 = 4,
  I32 = 5,
  F32 = 6,
  Bool = 7,
  String = 8,
  Array = 9,
  U64 = 10,
  I64 = 11,
  F64 = 12,
};

/// "u8", "i32", "string", "array", ... or "unknown".
const char *ggufValueTypeName(GGUFValueType t);
/// Size in bytes of a fixed-size scalar type; 0 for string/array/unknown.
size_t ggufScalarSize(GGUFValueType t);
bool ggufIsInteger(GGUFValueType t);

/// Limits applied while parsing.
constexpr uint32_t kGGUFMaxDims = 4;
constexpr uint32_t kGGUFMaxArrayDepth = 8;
constexpr uint32_t kGGUFDefaultAlignment = 32;

/// One metadata value. Scalars keep their bits in `scalarBits`; strings are
/// views into the file; arrays of fixed-size scalars keep a pointer to their
/// packed little-endian elements; arrays of strings and of arrays are
/// expanded into `strings` / `elements`.
struct GGUFValue {
  GGUFValueType type = GGUFValueType::U8;

  // Scalars (type != String/Array).
  uint64_t scalarBits = 0; ///< raw little-endian bits, zero-extended

  // Strings.
  std::string_view str;

  // Arrays.
  GGUFValueType elemType = GGUFValueType::U8;
  uint64_t count = 0;                  ///< element count
  const uint8_t *raw = nullptr;        ///< packed scalar elements
  std::vector<std::string_view> strings; ///< string elements
  std::vector<GGUFValue> elements;     ///< nested array elements

  bool isArray() const { return type == GGUFValueType::Array; }
  bool isString() const { return type == GGUFValueType::String; }

  /// Scalar as integer (any integer or bool type; sign-extended for signed).
  /// Returns false when the value is not an integer/bool.
  bool asInt(int64_t &out) const;
  bool asUInt(uint64_t &out) const; ///< fails on negative values
  bool asDouble(double &out) const; ///< any numeric scalar

  /// Element `i` of a scalar array, read as type T (T must have the
  /// element's size). No bounds check beyond an assert; use `count`.
  template <typename T> T rawElement(uint64_t i) const {
    T v;
    std::memcpy(&v, raw + i * sizeof(T), sizeof(T));
    return v;
  }
  /// Element `i` of a scalar array as a scalar GGUFValue.
  GGUFValue scalarElement(uint64_t i) const;

  /// Human readable rendering; arrays longer than `maxArray` are cut.
  std::string toString(size_t maxArray = 8) const;
};

struct GGUFKV {
  std::string_view key;
  GGUFValue value;
};

struct GGUFTensorInfo {
  std::string_view name;
  uint32_t nDims = 0;
  int64_t ne[kGGUFMaxDims] = {1, 1, 1, 1}; ///< ggml order: ne[0] is innermost
  GGMLType type = GGMLType::F32;
  uint64_t offset = 0;    ///< relative to the data section
  int64_t nElements = 0;
  uint64_t nBytes = 0;
  const uint8_t *data = nullptr; ///< into the mapping (nullptr if empty)

  int64_t rowLength() const { return ne[0]; }
  int64_t nRows() const { return ne[0] == 0 ? 0 : nElements / ne[0]; }
  /// Bytes of one row (ne[0] elements).
  uint64_t rowBytes() const;
  /// "[576, 49152]" (ggml order).
  std::string shapeString() const;
};

class GGUFFile {
public:
  ~GGUFFile();
  GGUFFile(const GGUFFile &) = delete;
  GGUFFile &operator=(const GGUFFile &) = delete;

  /// Memory-maps and parses `path`.
  static Expected<std::unique_ptr<GGUFFile>> open(const std::string &path);
  /// Parses a buffer that the caller keeps alive while the file is used.
  static Expected<std::unique_ptr<GGUFFile>> fromBuffer(const void *data,
                                                        size_t size);
  /// Parses a buffer, taking ownership of it.
  static Expected<std::unique_ptr<GGUFFile>>
  fromOwnedBuffer(std::vector<uint8_t> bytes);

  const std::string &path() const { return path_; }
  uint32_t version() const { return version_; }
  uint64_t fileSize() const { return size_; }
  uint64_t alignment() const { return alignment_; }
  /// Absolute offset of the data section.
  uint64_t dataOffset() const { return dataOffset_; }
  const uint8_t *bytes() const { return base_; }

  // Metadata ---------------------------------------------------------------
  const std::vector<GGUFKV> &metadata() const { return kvs_; }
  const GGUFKV *findKV(std::string_view key) const;
  bool hasKey(std::string_view key) const { return findKV(key) != nullptr; }

  // Exact-type accessors: fail when missing or of another type.
  Expected<uint8_t> getU8(std::string_view key) const;
  Expected<int8_t> getI8(std::string_view key) const;
  Expected<uint16_t> getU16(std::string_view key) const;
  Expected<int16_t> getI16(std::string_view key) const;
  Expected<uint32_t> getU32(std::string_view key) const;
  Expected<int32_t> getI32(std::string_view key) const;
  Expected<uint64_t> getU64(std::string_view key) const;
  Expected<int64_t> getI64(std::string_view key) const;
  Expected<float> getF32(std::string_view key) const;
  Expected<double> getF64(std::string_view key) const;
  Expected<bool> getBool(std::string_view key) const;
  Expected<std::string_view> getString(std::string_view key) const;
  Expected<const GGUFValue *> getArray(std::string_view key) const;

  // Lenient accessors: any integer type (range checked) / any numeric type.
  Expected<uint64_t> getUInt(std::string_view key) const;
  Expected<int64_t> getInt(std::string_view key) const;
  Expected<double> getFloat(std::string_view key) const;

  // Typed arrays.
  Expected<std::vector<std::string_view>>
  getStringArray(std::string_view key) const;
  Expected<std::vector<float>> getF32Array(std::string_view key) const;
  Expected<std::vector<int32_t>> getI32Array(std::string_view key) const;

  // Tensors -----------------------------------------------------------------
  const std::vector<GGUFTensorInfo> &tensors() const { return tensors_; }
  const GGUFTensorInfo *findTensor(std::string_view name) const;

  /// Dequantizes a whole tensor to float (row by row).
  Expected<std::vector<float>> dequantize(const GGUFTensorInfo &t) const;

private:
  GGUFFile() = default;
  static Expected<std::unique_ptr<GGUFFile>>
  parse(std::unique_ptr<GGUFFile> file);
  Error parseImpl();
  template <typename T>
  Expected<T> getExact(std::string_view key, GGUFValueType type) const;

  std::string path_ = "<memory>";
  const uint8_t *base_ = nullptr;
  uint64_t size_ = 0;
  void *mapping_ = nullptr; ///< mmap'ed region (when opened from a path)
  size_t mappingSize_ = 0;
  std::vector<uint8_t> owned_;

  uint32_t version_ = 0;
  uint64_t alignment_ = kGGUFDefaultAlignment;
  uint64_t dataOffset_ = 0;
  std::vector<GGUFKV> kvs_;
  std::unordered_map<std::string_view, size_t> kvIndex_;
  std::vector<GGUFTensorInfo> tensors_;
  std::unordered_map<std::string_view, size_t> tensorIndex_;
};

} // namespace attnc::gguf

#endif // ATTNC_RUNTIME_GGUF_GGUFFILE_H
