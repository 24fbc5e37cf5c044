//===- Npy.cpp - Reading and writing NumPy .npy arrays --------------------===//
#include "tools/common/Npy.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>

using namespace attnc;

namespace {
bool fail(std::string &error, const std::string &path, const std::string &what) {
  error = path + ": " + what;
  return false;
}

/// Finds `'key': ` in the header dict and returns the text after it.
bool findKey(const std::string &header, const std::string &key, size_t &pos) {
  for (const char *quote : {"'", "\""}) {
    std::string k = std::string(quote) + key + quote;
    size_t at = header.find(k);
    if (at == std::string::npos)
      continue;
    at = header.find(':', at + k.size());
    if (at == std::string::npos)
      return false;
    pos = at + 1;
    while (pos < header.size() && header[pos] == ' ')
      ++pos;
    return pos < header.size();
  }
  return false;
}
} // namespace

int64_t NpyArray::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

size_t NpyArray::itemSize() const {
  if (dtype.size() == 2 && (dtype[1] == '1' || dtype[1] == '2' ||
                            dtype[1] == '4' || dtype[1] == '8'))
    return dtype[1] - '0';
  return 0;
}

std::vector<double> NpyArray::asDoubles() const {
  std::vector<double> out(numElements());
  for (int64_t i = 0; i < (int64_t)out.size(); ++i) {
    const char *p = data.data() + i * itemSize();
    if (dtype == "f4") { float v; std::memcpy(&v, p, 4); out[i] = v; }
    else if (dtype == "f8") { double v; std::memcpy(&v, p, 8); out[i] = v; }
    else if (dtype == "i4") { int32_t v; std::memcpy(&v, p, 4); out[i] = v; }
    else if (dtype == "i8") { int64_t v; std::memcpy(&v, p, 8); out[i] = (double)v; }
    else if (dtype == "i1") { int8_t v; std::memcpy(&v, p, 1); out[i] = v; }
    else if (dtype == "u1") { uint8_t v; std::memcpy(&v, p, 1); out[i] = v; }
  }
  return out;
}

std::vector<int64_t> NpyArray::asInts() const {
  std::vector<int64_t> out(numElements());
  for (int64_t i = 0; i < (int64_t)out.size(); ++i) {
    const char *p = data.data() + i * itemSize();
    if (dtype == "i4") { int32_t v; std::memcpy(&v, p, 4); out[i] = v; }
    else if (dtype == "i8") { int64_t v; std::memcpy(&v, p, 8); out[i] = v; }
    else if (dtype == "i1") { int8_t v; std::memcpy(&v, p, 1); out[i] = v; }
    else if (dtype == "u1") { uint8_t v; std::memcpy(&v, p, 1); out[i] = v; }
    else if (dtype == "f4") { float v; std::memcpy(&v, p, 4); out[i] = (int64_t)v; }
    else if (dtype == "f8") { double v; std::memcpy(&v, p, 8); out[i] = (int64_t)v; }
  }
  return out;
}

std::string NpyArray::shapeString() const {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

bool attnc::readNpy(const std::string &path, NpyArray &out, std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return fail(error, path, "cannot open file");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0)
    return fail(error, path, "not a .npy file (missing \\x93NUMPY magic)");
  unsigned major = (unsigned char)bytes[6];
  size_t headerLen, headerStart;
  if (major == 1) {
    headerLen = (unsigned char)bytes[8] | ((unsigned char)bytes[9] << 8);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12)
      return fail(error, path, "truncated header");
    headerLen = 0;
    for (int i = 0; i < 4; ++i)
      headerLen |= (size_t)(unsigned char)bytes[8 + i] << (8 * i);
    headerStart = 12;
  } else {
    return fail(error, path, "unsupported .npy version " + std::to_string(major));
  }
  if (headerLen > bytes.size() - headerStart)
    return fail(error, path, "header extends past the end of the file");
  std::string header = bytes.substr(headerStart, headerLen);

  size_t pos;
  if (!findKey(header, "descr", pos) || (header[pos] != '\'' && header[pos] != '"'))
    return fail(error, path, "header has no 'descr'");
  size_t end = header.find(header[pos], pos + 1);
  if (end == std::string::npos)
    return fail(error, path, "unterminated 'descr'");
  std::string descr = header.substr(pos + 1, end - pos - 1);
  if (descr.size() == 3 && (descr[0] == '<' || descr[0] == '|' || descr[0] == '='))
    descr = descr.substr(1);
  else if (descr.size() == 3 && descr[0] == '>' && descr[2] != '1')
    return fail(error, path, "big-endian data ('" + descr + "') is not supported");
  else if (descr.size() == 3 && descr[0] == '>')
    descr = descr.substr(1);
  static const char *supported[] = {"f4", "f8", "i4", "i8", "i1", "u1"};
  bool ok = false;
  for (const char *s : supported)
    ok |= descr == s;
  if (!ok)
    return fail(error, path, "unsupported dtype '" + descr +
                                 "' (expected float32, float64, int8, uint8, int32 or int64)");
  out.dtype = descr;

  if (!findKey(header, "fortran_order", pos))
    return fail(error, path, "header has no 'fortran_order'");
  if (header.compare(pos, 4, "True") == 0)
    return fail(error, path, "Fortran-order arrays are not supported; save with np.ascontiguousarray");

  if (!findKey(header, "shape", pos) || header[pos] != '(')
    return fail(error, path, "header has no 'shape' tuple");
  end = header.find(')', pos);
  if (end == std::string::npos)
    return fail(error, path, "unterminated 'shape' tuple");
  out.shape.clear();
  std::string dims = header.substr(pos + 1, end - pos - 1);
  std::stringstream ss(dims);
  std::string item;
  int64_t total = 1;
  while (std::getline(ss, item, ',')) {
    size_t b = item.find_first_not_of(' ');
    if (b == std::string::npos)
      continue;
    item = item.substr(b);
    size_t e = item.find_last_not_of(' ');
    item = item.substr(0, e + 1);
    if (item.empty() || item.size() > 12 || item.find_first_not_of("0123456789") != std::string::npos)
      return fail(error, path, "malformed shape dimension '" + item + "'");
    int64_t d = std::stoll(item);
    if (d != 0 && total > std::numeric_limits<int32_t>::max() / d)
      return fail(error, path, "shape is too large");
    total *= d;
    out.shape.push_back(d);
  }
  size_t dataStart = headerStart + headerLen;
  size_t need = (size_t)total * out.itemSize();
  if (bytes.size() - dataStart != need)
    return fail(error, path, "data size " + std::to_string(bytes.size() - dataStart) +
                                 " bytes does not match shape " + out.shapeString() +
                                 " of " + descr + " (" + std::to_string(need) + " bytes)");
  out.data.assign(bytes.begin() + dataStart, bytes.end());
  return true;
}

bool attnc::writeNpy(const std::string &path, const NpyArray &array, std::string &error) {
  std::string header = "{'descr': '<" + array.dtype + "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < array.shape.size(); ++i)
    header += std::to_string(array.shape[i]) + (array.shape.size() == 1 || i + 1 < array.shape.size() ? "," : "");
  header += "), }";
  // Pad so the data starts at a multiple of 64 bytes, ending in '\n'.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  if (!out)
    return fail(error, path, "cannot open for writing");
  out.write("\x93NUMPY\x01\x00", 8);
  char len[2] = {(char)(header.size() & 0xff), (char)(header.size() >> 8)};
  out.write(len, 2);
  out << header;
  out.write(array.data.data(), array.data.size());
  if (!out)
    return fail(error, path, "write failed");
  return true;
}

NpyArray attnc::makeNpyF32(const std::vector<int64_t> &shape, const std::vector<float> &values) {
  NpyArray a;
  a.dtype = "f4";
  a.shape = shape;
  a.data.resize(values.size() * 4);
  std::memcpy(a.data.data(), values.data(), a.data.size());
  return a;
}
