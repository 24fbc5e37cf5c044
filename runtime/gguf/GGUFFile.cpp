//===- GGUFFile.cpp - Memory-mapped, bounds-checked GGUF reader -----------===//
#include "gguf/GGUFFile.h"
#include "gguf/Quants.h"

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the GGUF reader assumes a little-endian host"
#endif

namespace attnc::gguf {

//===----------------------------------------------------------------------===//
// Error helpers
//===----------------------------------------------------------------------===//

static std::string vformat(const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  char buf[512];
  int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
  std::string out;
  if (n < 0) {
    out = fmt;
  } else if (static_cast<size_t>(n) < sizeof buf) {
    out.assign(buf, static_cast<size_t>(n));
  } else {
    out.resize(static_cast<size_t>(n) + 1);
    std::vsnprintf(&out[0], out.size(), fmt, ap2);
    out.resize(static_cast<size_t>(n));
  }
  va_end(ap2);
  return out;
}

std::string formatString(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::string s = vformat(fmt, ap);
  va_end(ap);
  return s;
}

Error makeError(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::string s = vformat(fmt, ap);
  va_end(ap);
  return Error::failure(std::move(s));
}

/// Printable, bounded rendering of a name taken from the file.
static std::string quoteName(std::string_view s, size_t maxLen = 96) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < maxLen; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\\' || c == '\'') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      out += formatString("\\x%02x", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > maxLen)
    out += "...";
  return out;
}

//===----------------------------------------------------------------------===//
// Value types
//===----------------------------------------------------------------------===//

const char *ggufValueTypeName(GGUFValueType t) {
  switch (t) {
  case GGUFValueType::U8: return "u8";
  case GGUFValueType::I8: return "i8";
  case GGUFValueType::U16: return "u16";
  case GGUFValueType::I16: return "i16";
  case GGUFValueType::U32: return "u32";
  case GGUFValueType::I32: return "i32";
  case GGUFValueType::F32: return "f32";
  case GGUFValueType::Bool: return "bool";
  case GGUFValueType::String: return "string";
  case GGUFValueType::Array: return "array";
  case GGUFValueType::U64: return "u64";
  case GGUFValueType::I64: return "i64";
  case GGUFValueType::F64: return "f64";
  }
  return "unknown";
}

size_t ggufScalarSize(GGUFValueType t) {
  switch (t) {
  case GGUFValueType::U8:
  case GGUFValueType::I8:
  case GGUFValueType::Bool:
    return 1;
  case GGUFValueType::U16:
  case GGUFValueType::I16:
    return 2;
  case GGUFValueType::U32:
  case GGUFValueType::I32:
  case GGUFValueType::F32:
    return 4;
  case GGUFValueType::U64:
  case GGUFValueType::I64:
  case GGUFValueType::F64:
    return 8;
  case GGUFValueType::String:
  case GGUFValueType::Array:
    return 0;
  }
  return 0;
}

bool ggufIsInteger(GGUFValueType t) {
  switch (t) {
  case GGUFValueType::U8:
  case GGUFValueType::I8:
  case GGUFValueType::U16:
  case GGUFValueType::I16:
  case GGUFValueType::U32:
  case GGUFValueType::I32:
  case GGUFValueType::U64:
  case GGUFValueType::I64:
    return true;
  default:
    return false;
  }
}

static bool isKnownValueType(uint32_t t) { return t <= 12; }

bool GGUFValue::asInt(int64_t &out) const {
  switch (type) {
  case GGUFValueType::U8:
  case GGUFValueType::U16:
  case GGUFValueType::U32:
    out = static_cast<int64_t>(scalarBits);
    return true;
  case GGUFValueType::Bool:
    out = scalarBits != 0;
    return true;
  case GGUFValueType::I8:
    out = static_cast<int8_t>(scalarBits);
    return true;
  case GGUFValueType::I16:
    out = static_cast<int16_t>(scalarBits);
    return true;
  case GGUFValueType::I32:
    out = static_cast<int32_t>(scalarBits);
    return true;
  case GGUFValueType::I64:
    out = static_cast<int64_t>(scalarBits);
    return true;
  case GGUFValueType::U64:
    if (scalarBits > static_cast<uint64_t>(INT64_MAX))
      return false;
    out = static_cast<int64_t>(scalarBits);
    return true;
  default:
    return false;
  }
}

bool GGUFValue::asUInt(uint64_t &out) const {
  if (type == GGUFValueType::U64) {
    out = scalarBits;
    return true;
  }
  int64_t v;
  if (!asInt(v) || v < 0)
    return false;
  out = static_cast<uint64_t>(v);
  return true;
}

bool GGUFValue::asDouble(double &out) const {
  if (type == GGUFValueType::F32) {
    float f;
    uint32_t b = static_cast<uint32_t>(scalarBits);
    std::memcpy(&f, &b, 4);
    out = f;
    return true;
  }
  if (type == GGUFValueType::F64) {
    std::memcpy(&out, &scalarBits, 8);
    return true;
  }
  if (type == GGUFValueType::U64) {
    out = static_cast<double>(scalarBits);
    return true;
  }
  int64_t v;
  if (type == GGUFValueType::Bool || !asInt(v))
    return false;
  out = static_cast<double>(v);
  return true;
}

GGUFValue GGUFValue::scalarElement(uint64_t i) const {
  GGUFValue v;
  v.type = elemType;
  size_t sz = ggufScalarSize(elemType);
  if (type == GGUFValueType::Array && sz != 0 && i < count && raw)
    std::memcpy(&v.scalarBits, raw + i * sz, sz);
  return v;
}

static std::string renderString(std::string_view s, size_t maxString) {
  std::string out = "\"";
  size_t n = (maxString && s.size() > maxString) ? maxString : s.size();
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\t': out += "\\t"; break;
    case '\r': out += "\\r"; break;
    default:
      if (c < 0x20 || c == 0x7f)
        out += formatString("\\x%02x", c);
      else
        out += static_cast<char>(c);
    }
  }
  out += "\"";
  if (n < s.size())
    out += formatString("...(%zu bytes)", s.size());
  return out;
}

static std::string renderScalar(const GGUFValue &v) {
  switch (v.type) {
  case GGUFValueType::Bool:
    return v.scalarBits ? "true" : "false";
  case GGUFValueType::F32:
  case GGUFValueType::F64: {
    double d = 0;
    v.asDouble(d);
    return formatString(v.type == GGUFValueType::F32 ? "%.9g" : "%.17g", d);
  }
  case GGUFValueType::U64:
    return formatString("%" PRIu64, v.scalarBits);
  default: {
    int64_t i = 0;
    v.asInt(i);
    return formatString("%" PRId64, i);
  }
  }
}

static std::string renderValue(const GGUFValue &v, size_t maxArray,
                               size_t maxString) {
  if (v.type == GGUFValueType::String)
    return renderString(v.str, maxString);
  if (v.type != GGUFValueType::Array)
    return renderScalar(v);
  std::string out = "[";
  uint64_t shown = (maxArray && v.count > maxArray) ? maxArray : v.count;
  for (uint64_t i = 0; i < shown; ++i) {
    if (i)
      out += ", ";
    if (v.elemType == GGUFValueType::String)
      out += renderString(v.strings[i], maxString);
    else if (v.elemType == GGUFValueType::Array)
      out += renderValue(v.elements[i], maxArray, maxString);
    else
      out += renderScalar(v.scalarElement(i));
  }
  if (shown < v.count)
    out += formatString("%s... (%" PRIu64 " more)", shown ? ", " : "",
                        v.count - shown);
  out += "]";
  return out;
}

std::string GGUFValue::toString(size_t maxArray) const {
  return renderValue(*this, maxArray, 0);
}

uint64_t GGUFTensorInfo::rowBytes() const {
  auto b = ggmlByteSize(type, ne[0]);
  return b ? *b : 0;
}

std::string GGUFTensorInfo::shapeString() const {
  std::string s = "[";
  for (uint32_t i = 0; i < nDims; ++i)
    s += formatString("%s%" PRId64, i ? ", " : "", ne[i]);
  return s + "]";
}

//===----------------------------------------------------------------------===//
// Parsing
//===----------------------------------------------------------------------===//

namespace {
class Cursor {
public:
  Cursor(const uint8_t *base, uint64_t size) : base_(base), size_(size) {}
  uint64_t pos() const { return pos_; }
  uint64_t remaining() const { return size_ - pos_; }
  const uint8_t *here() const { return base_ + pos_; }

  Error need(uint64_t n, const char *what) const {
    if (n > remaining())
      return makeError("gguf: truncated file: reading %s at offset %" PRIu64
                       " needs %" PRIu64 " bytes but only %" PRIu64
                       " remain (file size %" PRIu64 ")",
                       what, pos_, n, remaining(), size_);
    return Error::success();
  }
  void skip(uint64_t n) { pos_ += n; }

  template <typename T> Error read(T &out, const char *what) {
    if (Error e = need(sizeof(T), what))
      return e;
    std::memcpy(&out, base_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return Error::success();
  }

  Error readString(std::string_view &out, const char *what) {
    uint64_t start = pos_;
    uint64_t len;
    if (Error e = read(len, what))
      return e;
    if (len > remaining())
      return makeError("gguf: %s at offset %" PRIu64 " has length %" PRIu64
                       ", longer than the %" PRIu64
                       " bytes left in the file (file size %" PRIu64 ")",
                       what, start, len, remaining(), size_);
    out = std::string_view(reinterpret_cast<const char *>(base_ + pos_),
                           static_cast<size_t>(len));
    pos_ += len;
    return Error::success();
  }

private:
  const uint8_t *base_;
  uint64_t size_;
  uint64_t pos_ = 0;
};

// Smallest possible encodings, used to reject counts that cannot fit.
constexpr uint64_t kMinKVBytes = 8 + 4 + 1;          // key len, type, u8
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 4 + 8; // name, ndims, type, off
constexpr uint64_t kMinArrayBytes = 4 + 8;             // elem type, count

Error parseValue(Cursor &c, GGUFValueType type, GGUFValue &out,
                 uint32_t depth, std::string_view key) {
  out.type = type;
  if (type == GGUFValueType::String)
    return c.readString(out.str, "string value");
  if (type != GGUFValueType::Array) {
    size_t sz = ggufScalarSize(type);
    if (Error e = c.need(sz, "scalar value"))
      return e;
    std::memcpy(&out.scalarBits, c.here(), sz);
    c.skip(sz);
    return Error::success();
  }

  // Array.
  uint64_t at = c.pos();
  uint32_t elemType;
  if (Error e = c.read(elemType, "array element type"))
    return e;
  if (!isKnownValueType(elemType))
    return makeError("gguf: metadata '%s': array at offset %" PRIu64
                     " has unknown element type %u",
                     quoteName(key).c_str(), at, elemType);
  out.elemType = static_cast<GGUFValueType>(elemType);
  if (Error e = c.read(out.count, "array length"))
    return e;
  size_t sz = ggufScalarSize(out.elemType);
  uint64_t minElem = sz ? sz
                        : out.elemType == GGUFValueType::String ? 8
                                                                : kMinArrayBytes;
  if (out.count > c.remaining() / minElem)
    return makeError("gguf: metadata '%s': array of %" PRIu64
                     " %s elements at offset %" PRIu64
                     " cannot fit in the %" PRIu64 " bytes left in the file",
                     quoteName(key).c_str(), out.count,
                     ggufValueTypeName(out.elemType), at, c.remaining());
  if (sz) {
    out.raw = c.here();
    c.skip(out.count * sz);
    return Error::success();
  }
  if (out.elemType == GGUFValueType::String) {
    out.strings.resize(static_cast<size_t>(out.count));
    for (uint64_t i = 0; i < out.count; ++i)
      if (Error e = c.readString(out.strings[i], "array string element"))
        return e;
    return Error::success();
  }
  // Nested arrays.
  if (depth + 1 >= kGGUFMaxArrayDepth)
    return makeError("gguf: metadata '%s': arrays nested deeper than %u "
                     "levels at offset %" PRIu64,
                     quoteName(key).c_str(), kGGUFMaxArrayDepth, at);
  // Grow as elements are read so that a lying count cannot make us
  // allocate much more than the file holds.
  out.elements.reserve(static_cast<size_t>(std::min<uint64_t>(out.count, 64)));
  for (uint64_t i = 0; i < out.count; ++i) {
    out.elements.emplace_back();
    if (Error e = parseValue(c, GGUFValueType::Array, out.elements.back(),
                             depth + 1, key))
      return e;
  }
  return Error::success();
}
} // namespace

GGUFFile::~GGUFFile() {
  if (mapping_)
    ::munmap(mapping_, mappingSize_);
}

Expected<std::unique_ptr<GGUFFile>> GGUFFile::open(const std::string &path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return makeError("gguf: cannot open '%s': %s", path.c_str(),
                     std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return makeError("gguf: cannot stat '%s': %s", path.c_str(),
                     std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return makeError("gguf: '%s' is not a regular file", path.c_str());
  }
  std::unique_ptr<GGUFFile> file(new GGUFFile());
  file->path_ = path;
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size == 0) {
    ::close(fd);
    return makeError("gguf: file is empty (0 bytes), not a GGUF file");
  }
  if (size > SIZE_MAX) {
    ::close(fd);
    return makeError("gguf: file too large to map (%" PRIu64 " bytes)", size);
  }
  void *m = ::mmap(nullptr, static_cast<size_t>(size), PROT_READ, MAP_PRIVATE,
                   fd, 0);
  int err = errno;
  ::close(fd);
  if (m == MAP_FAILED)
    return makeError("gguf: cannot mmap '%s': %s", path.c_str(),
                     std::strerror(err));
  file->mapping_ = m;
  file->mappingSize_ = static_cast<size_t>(size);
  file->base_ = static_cast<const uint8_t *>(m);
  file->size_ = size;
  return parse(std::move(file));
}

Expected<std::unique_ptr<GGUFFile>> GGUFFile::fromBuffer(const void *data,
                                                         size_t size) {
  std::unique_ptr<GGUFFile> file(new GGUFFile());
  file->base_ = static_cast<const uint8_t *>(data);
  file->size_ = data ? size : 0;
  return parse(std::move(file));
}

Expected<std::unique_ptr<GGUFFile>>
GGUFFile::fromOwnedBuffer(std::vector<uint8_t> bytes) {
  std::unique_ptr<GGUFFile> file(new GGUFFile());
  file->owned_ = std::move(bytes);
  file->base_ = file->owned_.data();
  file->size_ = file->owned_.size();
  return parse(std::move(file));
}

Expected<std::unique_ptr<GGUFFile>>
GGUFFile::parse(std::unique_ptr<GGUFFile> file) {
  if (Error e = file->parseImpl())
    return e;
  return file;
}

Error GGUFFile::parseImpl() {
  if (size_ < 4)
    return makeError("gguf: file too small (%" PRIu64
                     " bytes) to be a GGUF file",
                     size_);
  Cursor c(base_, size_);

  // Header.
  if (std::memcmp(base_, "GGUF", 4) != 0) {
    std::string shown;
    for (int i = 0; i < 4; ++i) {
      unsigned char ch = base_[i];
      shown += (ch >= 0x20 && ch < 0x7f) ? std::string(1, static_cast<char>(ch))
                                         : formatString("\\x%02x", ch);
    }
    return makeError("gguf: bad magic '%s' (expected 'GGUF'): not a GGUF file",
                     shown.c_str());
  }
  c.skip(4);
  if (Error e = c.read(version_, "version"))
    return e;
  if (version_ != 2 && version_ != 3) {
    uint32_t swapped = __builtin_bswap32(version_);
    return makeError(
        "gguf: unsupported GGUF version %u (supported: 2, 3)%s", version_,
        version_ == 1 ? "; version 1 files must be converted"
        : (swapped == 2 || swapped == 3)
            ? "; the file looks big-endian, which is not supported"
            : "");
  }
  uint64_t tensorCount, kvCount;
  if (Error e = c.read(tensorCount, "tensor count"))
    return e;
  if (Error e = c.read(kvCount, "metadata kv count"))
    return e;
  if (tensorCount > c.remaining() / kMinTensorInfoBytes)
    return makeError("gguf: tensor count %" PRIu64
                     " cannot fit in the file (file size %" PRIu64 ")",
                     tensorCount, size_);
  if (kvCount > c.remaining() / kMinKVBytes ||
      kvCount * kMinKVBytes + tensorCount * kMinTensorInfoBytes >
          c.remaining())
    return makeError("gguf: metadata kv count %" PRIu64
                     " cannot fit in the file (file size %" PRIu64 ")",
                     kvCount, size_);

  // Metadata.
  kvs_.reserve(static_cast<size_t>(std::min<uint64_t>(kvCount, 256)));
  for (uint64_t i = 0; i < kvCount; ++i) {
    GGUFKV &kv = kvs_.emplace_back();
    if (Error e = c.readString(kv.key, "metadata key"))
      return e;
    if (!kvIndex_.emplace(kv.key, static_cast<size_t>(i)).second)
      return makeError("gguf: duplicate metadata key '%s'",
                       quoteName(kv.key).c_str());
    uint64_t at = c.pos();
    uint32_t type;
    if (Error e = c.read(type, "metadata value type"))
      return e;
    if (!isKnownValueType(type))
      return makeError("gguf: metadata '%s' has unknown value type %u at "
                       "offset %" PRIu64,
                       quoteName(kv.key).c_str(), type, at);
    if (Error e = parseValue(c, static_cast<GGUFValueType>(type), kv.value,
                             0, kv.key)) {
      if (e.message().find(" metadata '") != std::string::npos)
        return e;
      return Error::failure("gguf: metadata '" + quoteName(kv.key) +
                            "': " + e.message().substr(6));
    }
  }

  // Alignment.
  if (const GGUFKV *kv = findKV("general.alignment")) {
    uint64_t a = 0;
    if (!ggufIsInteger(kv->value.type) || !kv->value.asUInt(a))
      return makeError("gguf: general.alignment has type %s, expected u32",
                       ggufValueTypeName(kv->value.type));
    if (a == 0 || (a & (a - 1)) != 0 || a > (1u << 30))
      return makeError("gguf: general.alignment %" PRIu64
                       " is not a power of two in [1, 2^30]",
                       a);
    alignment_ = a;
  }

  // Tensor infos.
  tensors_.reserve(static_cast<size_t>(std::min<uint64_t>(tensorCount, 1024)));
  for (uint64_t i = 0; i < tensorCount; ++i) {
    GGUFTensorInfo &t = tensors_.emplace_back();
    if (Error e = c.readString(t.name, "tensor name"))
      return e;
    std::string qn = quoteName(t.name);
    if (!tensorIndex_.emplace(t.name, static_cast<size_t>(i)).second)
      return makeError("gguf: duplicate tensor name '%s'", qn.c_str());
    auto wrap = [&](Error e) {
      return Error::failure("gguf: tensor '" + qn + "': " +
                            e.message().substr(6));
    };
    if (Error e = c.read(t.nDims, "tensor dimension count"))
      return wrap(std::move(e));
    if (t.nDims > kGGUFMaxDims)
      return makeError("gguf: tensor '%s' has %u dimensions (at most %u "
                       "supported)",
                       qn.c_str(), t.nDims, kGGUFMaxDims);
    int64_t n = 1;
    for (uint32_t d = 0; d < t.nDims; ++d) {
      uint64_t dim;
      if (Error e = c.read(dim, "tensor dimension"))
        return wrap(std::move(e));
      if (dim > static_cast<uint64_t>(INT64_MAX))
        return makeError("gguf: tensor '%s' dimension %u is too large "
                         "(%" PRIu64 ")",
                         qn.c_str(), d, dim);
      t.ne[d] = static_cast<int64_t>(dim);
      if (t.ne[d] != 0 && n > INT64_MAX / t.ne[d])
        return makeError("gguf: tensor '%s' element count overflows "
                         "(shape %s...)",
                         qn.c_str(), t.shapeString().c_str());
      n *= t.ne[d];
    }
    t.nElements = n;
    uint32_t type;
    if (Error e = c.read(type, "tensor type"))
      return wrap(std::move(e));
    auto traits = ggmlTypeTraits(type);
    if (!traits)
      return makeError("gguf: tensor '%s' has unknown ggml type %u",
                       qn.c_str(), type);
    t.type = static_cast<GGMLType>(type);
    if (t.ne[0] % traits->blockSize != 0)
      return makeError("gguf: tensor '%s' row length %" PRId64
                       " is not a multiple of the %s block size %" PRId64,
                       qn.c_str(), t.ne[0], traits->name, traits->blockSize);
    auto bytes = ggmlByteSize(t.type, t.nElements);
    if (!bytes)
      return makeError("gguf: tensor '%s' byte size overflows", qn.c_str());
    t.nBytes = *bytes;
    if (Error e = c.read(t.offset, "tensor data offset"))
      return wrap(std::move(e));
    if (t.offset % alignment_ != 0)
      return makeError("gguf: tensor '%s' data offset %" PRIu64
                       " is not a multiple of the alignment %" PRIu64,
                       qn.c_str(), t.offset, alignment_);
  }

  // Data section.
  uint64_t pos = c.pos();
  dataOffset_ = pos + (alignment_ - pos % alignment_) % alignment_;
  for (GGUFTensorInfo &t : tensors_) {
    if (t.nBytes == 0)
      continue;
    uint64_t avail = dataOffset_ <= size_ ? size_ - dataOffset_ : 0;
    if (t.offset > avail || t.nBytes > avail - t.offset)
      return makeError("gguf: tensor '%s' extends past end of file (offset "
                       "%" PRIu64 " + size %" PRIu64 " > file size %" PRIu64
                       "; data section starts at %" PRIu64 ")",
                       quoteName(t.name).c_str(),
                       t.offset <= UINT64_MAX - dataOffset_
                           ? dataOffset_ + t.offset
                           : t.offset,
                       t.nBytes, size_, dataOffset_);
    t.data = base_ + dataOffset_ + t.offset;
  }
  return Error::success();
}

//===----------------------------------------------------------------------===//
// Accessors
//===----------------------------------------------------------------------===//

const GGUFKV *GGUFFile::findKV(std::string_view key) const {
  auto it = kvIndex_.find(key);
  return it == kvIndex_.end() ? nullptr : &kvs_[it->second];
}

const GGUFTensorInfo *GGUFFile::findTensor(std::string_view name) const {
  auto it = tensorIndex_.find(name);
  return it == tensorIndex_.end() ? nullptr : &tensors_[it->second];
}

static Error missingKey(std::string_view key) {
  return makeError("gguf: missing metadata key '%s'", quoteName(key).c_str());
}

static Error wrongType(std::string_view key, const GGUFValue &v,
                       const char *expected) {
  std::string has = ggufValueTypeName(v.type);
  if (v.isArray())
    has += formatString("<%s>", ggufValueTypeName(v.elemType));
  return makeError("gguf: metadata key '%s' has type %s, expected %s",
                   quoteName(key).c_str(), has.c_str(), expected);
}

template <typename T>
Expected<T> GGUFFile::getExact(std::string_view key, GGUFValueType type) const {
  const GGUFKV *kv = findKV(key);
  if (!kv)
    return missingKey(key);
  if (kv->value.type != type)
    return wrongType(key, kv->value, ggufValueTypeName(type));
  T v;
  static_assert(sizeof(T) <= sizeof(uint64_t), "scalar too large");
  std::memcpy(&v, &kv->value.scalarBits, sizeof(T));
  return v;
}

Expected<uint8_t> GGUFFile::getU8(std::string_view k) const {
  return getExact<uint8_t>(k, GGUFValueType::U8);
}
Expected<int8_t> GGUFFile::getI8(std::string_view k) const {
  return getExact<int8_t>(k, GGUFValueType::I8);
}
Expected<uint16_t> GGUFFile::getU16(std::string_view k) const {
  return getExact<uint16_t>(k, GGUFValueType::U16);
}
Expected<int16_t> GGUFFile::getI16(std::string_view k) const {
  return getExact<int16_t>(k, GGUFValueType::I16);
}
Expected<uint32_t> GGUFFile::getU32(std::string_view k) const {
  return getExact<uint32_t>(k, GGUFValueType::U32);
}
Expected<int32_t> GGUFFile::getI32(std::string_view k) const {
  return getExact<int32_t>(k, GGUFValueType::I32);
}
Expected<uint64_t> GGUFFile::getU64(std::string_view k) const {
  return getExact<uint64_t>(k, GGUFValueType::U64);
}
Expected<int64_t> GGUFFile::getI64(std::string_view k) const {
  return getExact<int64_t>(k, GGUFValueType::I64);
}
Expected<float> GGUFFile::getF32(std::string_view k) const {
  return getExact<float>(k, GGUFValueType::F32);
}
Expected<double> GGUFFile::getF64(std::string_view k) const {
  return getExact<double>(k, GGUFValueType::F64);
}
Expected<bool> GGUFFile::getBool(std::string_view k) const {
  auto v = getExact<uint8_t>(k, GGUFValueType::Bool);
  if (!v)
    return v.error();
  return *v != 0;
}

Expected<std::string_view> GGUFFile::getString(std::string_view key) const {
  const GGUFKV *kv = findKV(key);
  if (!kv)
    return missingKey(key);
  if (!kv->value.isString())
    return wrongType(key, kv->value, "string");
  return kv->value.str;
}

Expected<const GGUFValue *> GGUFFile::getArray(std::string_view key) const {
  const GGUFKV *kv = findKV(key);
  if (!kv)
    return missingKey(key);
  if (!kv->value.isArray())
    return wrongType(key, kv->value, "array");
  return &kv->value;
}

Expected<uint64_t> GGUFFile::getUInt(std::string_view key) const {
  const GGUFKV *kv = findKV(key);
  if (!kv)
    return missingKey(key);
  if (!ggufIsInteger(kv->value.type))
    return wrongType(key, kv->value, "an integer");
  uint64_t v;
  if (!kv->value.asUInt(v))
    return makeError("gguf: metadata key '%s' is negative (%s)",
                     quoteName(key).c_str(), kv->value.toString().c_str());
  return v;
}

Expected<int64_t> GGUFFile::getInt(std::string_view key) const {
  const GGUFKV *kv = findKV(key);
  if (!kv)
    return missingKey(key);
  if (!ggufIsInteger(kv->value.type))
    return wrongType(key, kv->value, "an integer");
  int64_t v;
  if (!kv->value.asInt(v))
    return makeError("gguf: metadata key '%s' does not fit in i64 (%s)",
                     quoteName(key).c_str(), kv->value.toString().c_str());
  return v;
}

Expected<double> GGUFFile::getFloat(std::string_view key) const {
  const GGUFKV *kv = findKV(key);
  if (!kv)
    return missingKey(key);
  double d;
  if (kv->value.type == GGUFValueType::Bool || !kv->value.asDouble(d))
    return wrongType(key, kv->value, "a number");
  return d;
}

Expected<std::vector<std::string_view>>
GGUFFile::getStringArray(std::string_view key) const {
  auto a = getArray(key);
  if (!a)
    return a.error();
  if ((*a)->elemType != GGUFValueType::String)
    return wrongType(key, **a, "array<string>");
  return (*a)->strings;
}

Expected<std::vector<float>>
GGUFFile::getF32Array(std::string_view key) const {
  auto a = getArray(key);
  if (!a)
    return a.error();
  if ((*a)->elemType != GGUFValueType::F32)
    return wrongType(key, **a, "array<f32>");
  std::vector<float> out(static_cast<size_t>((*a)->count));
  if (!out.empty())
    std::memcpy(out.data(), (*a)->raw, out.size() * sizeof(float));
  return out;
}

Expected<std::vector<int32_t>>
GGUFFile::getI32Array(std::string_view key) const {
  auto a = getArray(key);
  if (!a)
    return a.error();
  if ((*a)->elemType != GGUFValueType::I32)
    return wrongType(key, **a, "array<i32>");
  std::vector<int32_t> out(static_cast<size_t>((*a)->count));
  if (!out.empty())
    std::memcpy(out.data(), (*a)->raw, out.size() * sizeof(int32_t));
  return out;
}

Expected<std::vector<float>>
GGUFFile::dequantize(const GGUFTensorInfo &t) const {
  if (!canDequantize(t.type))
    return makeError("gguf: tensor '%s': dequantization of type %s is not "
                     "supported",
                     quoteName(t.name).c_str(), ggmlTypeName(t.type));
  std::vector<float> out(static_cast<size_t>(t.nElements));
  if (t.nElements == 0)
    return out;
  if (Error e = dequantizeRow(t.type, t.data, out.data(), t.nElements))
    return e;
  return out;
}

} // namespace attnc::gguf
