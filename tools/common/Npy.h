//===- Npy.h - Reading and writing NumPy .npy arrays --------------*- C++ -*-===//
//
// NPY format versions 1.0-3.0, little-endian, C order. Every malformed file
// (bad magic, header past the end, unsupported dtype or order, a data size
// that does not match the shape) gives an error message, never a crash.
//
//===----------------------------------------------------------------------===//
#ifndef ATTNC_TOOLS_COMMON_NPY_H
#define ATTNC_TOOLS_COMMON_NPY_H

#include <cstdint>
#include <string>
#include <vector>

namespace attnc {

struct NpyArray {
  std::string dtype;          // numpy descr without byte order: "f4", "f8", "i4", "i8"
  std::vector<int64_t> shape; // C order
  std::vector<char> data;     // shape product * itemSize bytes

  int64_t numElements() const;
  size_t itemSize() const;
  /// Values converted to double / int64 (for float and integer dtypes).
  std::vector<double> asDoubles() const;
  std::vector<int64_t> asInts() const;
  std::string shapeString() const;
};

/// Parses `path`; on failure returns false and sets `error` to a message that
/// names the file and what is wrong with it.
bool readNpy(const std::string &path, NpyArray &out, std::string &error);

/// Writes a little-endian C-order array ("<f4", "<f8", "<i8"...).
bool writeNpy(const std::string &path, const NpyArray &array, std::string &error);

NpyArray makeNpyF32(const std::vector<int64_t> &shape, const std::vector<float> &values);

} // namespace attnc

#endif // ATTNC_TOOLS_COMMON_NPY_H
