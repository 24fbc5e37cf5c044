//===- gguf-dump.cpp - Print the contents of a GGUF file ------------------===//
//
// Usage: gguf-dump [options] FILE.gguf
//   --no-metadata      do not print the metadata
//   --no-tensors       do not print the tensor table
//   --max-array=N      print at most N elements of each array (default 8;
//                      0 = all)
//   --max-string=N     cut strings after N bytes (default 120; 0 = never)
//   --config           print the llama hyper-parameters (LlamaConfig)
//   --check-dequant    dequantize every tensor, check the values are finite
//   --stats            with --check-dequant: per-tensor min/max/sum
// Exits non-zero, printing the error, when the file is not a valid GGUF
// file (or the config / dequantization check fails).
//
//===----------------------------------------------------------------------===//
#include "gguf/GGUFFile.h"
#include "gguf/LlamaConfig.h"
#include "gguf/Quants.h"

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

using namespace attnc::gguf;

namespace {
struct Options {
  std::string path;
  bool metadata = true;
  bool tensors = true;
  bool config = false;
  bool checkDequant = false;
  bool stats = false;
  size_t maxArray = 8;
  size_t maxString = 120;
};

void usage(std::FILE *f) {
  std::fprintf(f,
               "usage: gguf-dump [--no-metadata] [--no-tensors] "
               "[--max-array=N] [--max-string=N]\n"
               "                 [--config] [--check-dequant [--stats]] "
               "FILE.gguf\n");
}

bool parseSize(const char *s, size_t &out) {
  char *end = nullptr;
  unsigned long long v = std::strtoull(s, &end, 10);
  if (!*s || *end)
    return false;
  out = static_cast<size_t>(v);
  return true;
}

std::string typeString(const GGUFValue &v) {
  if (!v.isArray())
    return ggufValueTypeName(v.type);
  std::string s = "array<";
  const GGUFValue *cur = &v;
  int depth = 0;
  // array<array<u32>> etc.: descend through the first elements.
  while (cur->elemType == GGUFValueType::Array && !cur->elements.empty()) {
    s += "array<";
    cur = &cur->elements[0];
    ++depth;
  }
  s += ggufValueTypeName(cur->elemType);
  for (int i = 0; i <= depth; ++i)
    s += ">";
  return s + formatString("[%" PRIu64 "]", v.count);
}

/// Renders a value with string truncation (GGUFValue::toString does not cut
/// strings), so that chat templates and long tokens stay on one short line.
std::string render(const GGUFValue &v, const Options &o);

std::string renderStr(std::string_view s, const Options &o) {
  bool cut = o.maxString && s.size() > o.maxString;
  GGUFValue tmp;
  tmp.type = GGUFValueType::String;
  tmp.str = cut ? s.substr(0, o.maxString) : s;
  std::string r = tmp.toString();
  if (cut)
    r += formatString("...(%zu bytes)", s.size());
  return r;
}

std::string render(const GGUFValue &v, const Options &o) {
  if (v.isString())
    return renderStr(v.str, o);
  if (!v.isArray())
    return v.toString();
  std::string out = "[";
  uint64_t shown = (o.maxArray && v.count > o.maxArray) ? o.maxArray : v.count;
  for (uint64_t i = 0; i < shown; ++i) {
    if (i)
      out += ", ";
    if (v.elemType == GGUFValueType::String)
      out += renderStr(v.strings[i], o);
    else if (v.elemType == GGUFValueType::Array)
      out += render(v.elements[i], o);
    else
      out += v.scalarElement(i).toString();
  }
  if (shown < v.count)
    out += formatString("%s... (%" PRIu64 " more)", shown ? ", " : "",
                        v.count - shown);
  return out + "]";
}

int checkDequant(const GGUFFile &f, const Options &o) {
  uint64_t total = 0, nonFinite = 0;
  std::map<std::string, int> perType;
  std::vector<float> row;
  int failures = 0;
  for (const GGUFTensorInfo &t : f.tensors()) {
    ++perType[ggmlTypeName(t.type)];
    if (!canDequantize(t.type)) {
      std::fprintf(stderr, "gguf-dump: tensor '%.*s': cannot dequantize type %s\n",
                   static_cast<int>(t.name.size()), t.name.data(),
                   ggmlTypeName(t.type));
      ++failures;
      continue;
    }
    int64_t rows = t.nRows();
    uint64_t rowBytes = t.rowBytes();
    row.resize(static_cast<size_t>(t.ne[0]));
    double sum = 0, mn = INFINITY, mx = -INFINITY;
    uint64_t bad = 0;
    for (int64_t r = 0; r < rows; ++r) {
      if (Error e = dequantizeRow(t.type, t.data + r * rowBytes, row.data(),
                                  t.ne[0])) {
        std::fprintf(stderr, "gguf-dump: tensor '%.*s': %s\n",
                     static_cast<int>(t.name.size()), t.name.data(),
                     e.message().c_str());
        ++failures;
        break;
      }
      for (float v : row) {
        if (!std::isfinite(v)) {
          ++bad;
          continue;
        }
        sum += v;
        mn = v < mn ? v : mn;
        mx = v > mx ? v : mx;
      }
    }
    total += static_cast<uint64_t>(t.nElements);
    nonFinite += bad;
    if (bad)
      std::fprintf(stderr, "gguf-dump: tensor '%.*s': %" PRIu64
                           " non-finite values\n",
                   static_cast<int>(t.name.size()), t.name.data(), bad);
    if (o.stats)
      std::printf("  %.*s: n=%" PRId64 " min=%.6g max=%.6g sum=%.6g\n",
                  static_cast<int>(t.name.size()), t.name.data(), t.nElements,
                  t.nElements ? mn : 0.0, t.nElements ? mx : 0.0, sum);
  }
  std::printf("dequantized %zu tensors, %" PRIu64 " elements:",
              f.tensors().size(), total);
  for (const auto &kv : perType)
    std::printf(" %s=%d", kv.first.c_str(), kv.second);
  std::printf("\n");
  if (nonFinite || failures) {
    std::printf("dequant check: FAILED (%d tensors failed, %" PRIu64
                " non-finite values)\n",
                failures, nonFinite);
    return 1;
  }
  std::printf("dequant check: OK (all values finite)\n");
  return 0;
}
} // namespace

int main(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      usage(stdout);
      return 0;
    } else if (a == "--no-metadata") {
      o.metadata = false;
    } else if (a == "--no-tensors") {
      o.tensors = false;
    } else if (a == "--config") {
      o.config = true;
    } else if (a == "--check-dequant") {
      o.checkDequant = true;
    } else if (a == "--stats") {
      o.stats = true;
    } else if (a.rfind("--max-array=", 0) == 0) {
      if (!parseSize(a.c_str() + 12, o.maxArray)) {
        usage(stderr);
        return 2;
      }
    } else if (a.rfind("--max-string=", 0) == 0) {
      if (!parseSize(a.c_str() + 13, o.maxString)) {
        usage(stderr);
        return 2;
      }
    } else if (a.size() > 1 && a[0] == '-') {
      std::fprintf(stderr, "gguf-dump: unknown option '%s'\n", a.c_str());
      usage(stderr);
      return 2;
    } else if (o.path.empty()) {
      o.path = a;
    } else {
      usage(stderr);
      return 2;
    }
  }
  if (o.path.empty()) {
    usage(stderr);
    return 2;
  }

  auto fileOr = GGUFFile::open(o.path);
  if (!fileOr) {
    std::fprintf(stderr, "gguf-dump: %s: %s\n", o.path.c_str(),
                 fileOr.message().c_str());
    return 1;
  }
  const GGUFFile &f = **fileOr;

  std::printf("GGUF version: %u\n", f.version());
  std::printf("file size: %" PRIu64 "\n", f.fileSize());
  std::printf("alignment: %" PRIu64 "\n", f.alignment());
  std::printf("data offset: %" PRIu64 "\n", f.dataOffset());
  std::printf("tensor count: %zu\n", f.tensors().size());
  std::printf("metadata count: %zu\n", f.metadata().size());

  if (o.metadata) {
    std::printf("metadata:\n");
    for (const GGUFKV &kv : f.metadata()) {
      std::string key = renderStr(kv.key, o);
      std::printf("  %s: %s = %s\n", key.substr(1, key.size() - 2).c_str(),
                  typeString(kv.value).c_str(), render(kv.value, o).c_str());
    }
  }
  if (o.tensors) {
    std::printf("tensors:\n");
    size_t i = 0;
    for (const GGUFTensorInfo &t : f.tensors()) {
      std::string name = renderStr(t.name, o);
      std::printf("  %4zu %s %s %s offset=%" PRIu64 " bytes=%" PRIu64 "\n", i++,
                  name.substr(1, name.size() - 2).c_str(), ggmlTypeName(t.type),
                  t.shapeString().c_str(), t.offset, t.nBytes);
    }
  }
  int rc = 0;
  if (o.config) {
    auto cfg = LlamaConfig::fromGGUF(f);
    if (!cfg) {
      std::fprintf(stderr, "gguf-dump: %s: %s\n", o.path.c_str(),
                   cfg.message().c_str());
      rc = 1;
    } else {
      std::printf("llama config:\n");
      std::string s = cfg->toString();
      size_t start = 0;
      while (start < s.size()) {
        size_t nl = s.find('\n', start);
        std::printf("  %s\n", s.substr(start, nl - start).c_str());
        start = nl + 1;
      }
    }
  }
  if (o.checkDequant && checkDequant(f, o) != 0)
    rc = 1;
  return rc;
}
