//===- GpuKVCache.cpp - The KV cache in a spec's layout, on the GPU -------===//
#include "model/GpuKVCache.h"

#include <algorithm>
#include <array>

namespace attnc::model {
namespace {

using Ptr = gpu::CudaDriver::Ptr;

/// One device buffer of the cache, shaped as the kernels read it.
struct DeviceArray {
  Ptr ptr = 0;
  size_t bytes = 0;
  std::vector<int64_t> sizes;
  /// What the first dimension indexes: physical pages (or the one row of an
  /// unpaged cache), sequences, or neither (scratch, the page table).
  enum Rows { PageRows, SequenceRows, Other } rowsAre = Other;
  GpuBuffer view() const {
    GpuBuffer b{(void *)(uintptr_t)ptr, (int64_t)sizes.size(), {0, 0, 0, 0}};
    for (size_t d = 0; d < sizes.size(); ++d)
      b.sizes[d] = sizes[d];
    return b;
  }
};

class GpuKVCache final : public DeviceKVCache {
public:
  GpuKVCache(const AttentionKernels &a, const GpuKernelLibrary &lib, gpu::CudaDriver &driver,
             int64_t capacity, int64_t sequences)
      : DeviceKVCache(a, capacity, sequences), lib_(lib), driver_(driver) {}
  ~GpuKVCache() override {
    for (std::vector<DeviceArray> &l : layers_)
      for (DeviceArray &b : l)
        driver_.free(b.ptr);
    for (DeviceArray *b : {&q_, &k_, &v_, &pos_, &qSeq_, &lens_, &partOut_, &partLse_, &out_, &status_})
      driver_.free(b->ptr);
  }

  /// Allocates every layer's buffers (kernel order, docs/kernels.md "Cache
  /// buffers"), the storage filled with NaN bytes as a debugging aid.
  bool allocate(int layers, std::string &error) {
    const CacheLayout &c = a_.cache;
    using Q = CacheLayout::Quant;
    const bool quantized = c.quant != Q::None, int4 = c.quant == Q::Int4;
    const int64_t G = a_.kvHeads, D = a_.headDim, seqs = (int64_t)tokens_.size();
    const int64_t codeDim = int4 ? D / 2 : D, elem = quantized ? 1 : 4;
    auto tokensShape = [&] {
      return c.headMajor ? std::vector<int64_t>{rows_, G, slots_, codeDim}
                         : std::vector<int64_t>{rows_, slots_, G, codeDim};
    };
    auto scaleShape = [&](bool perChannel) -> std::vector<int64_t> {
      if (perChannel)
        return {rows_, (slots_ + c.group - 1) / c.group, G, D};
      if (int4)
        return {rows_, slots_, G, (D + c.group - 1) / c.group};
      return {rows_, slots_, G};
    };
    struct Spec {
      std::vector<int64_t> sizes;
      int64_t elem;
      unsigned char fill;
      DeviceArray::Rows rowsAre = DeviceArray::PageRows;
    };
    std::vector<Spec> specs = {{tokensShape(), elem, 0xff}, {tokensShape(), elem, 0xff}, {{rows_, slots_}, 8, 0}};
    if (quantized)
      specs.insert(specs.end(), {{scaleShape(c.keysPerChannel), 4, 0}, {scaleShape(c.valuesPerChannel), 4, 0}});
    if (int4)
      specs.insert(specs.end(), {{scaleShape(c.keysPerChannel), 4, 0}, {scaleShape(c.valuesPerChannel), 4, 0}});
    if (c.keysPerChannel)
      specs.push_back({{seqs, c.group, G, D}, 4, 0, DeviceArray::SequenceRows});
    if (c.valuesPerChannel)
      specs.push_back({{seqs, c.group, G, D}, 4, 0, DeviceArray::SequenceRows});
    if (c.anyPerChannel()) {
      seqLenIndex_ = specs.size();
      specs.push_back({{seqs}, 8, 0, DeviceArray::SequenceRows});
    }
    if (pages_) {
      tableIndex_ = specs.size();
      specs.push_back({{seqs, pages_->maxPages()}, 4, 0xff, DeviceArray::Other});
    }
    layers_.resize(layers);
    for (std::vector<DeviceArray> &l : layers_)
      for (const Spec &s : specs) {
        DeviceArray b;
        b.sizes = s.sizes;
        b.rowsAre = s.rowsAre;
        b.bytes = s.elem;
        for (int64_t d : s.sizes)
          b.bytes *= d;
        if (driver_.alloc(b.ptr, b.bytes, error) || driver_.fill(b.ptr, s.fill, b.bytes, error)) {
          error = "the GPU KV cache (" + std::to_string(b.bytes) + " bytes): " + error;
          return false;
        }
        l.push_back(b);
      }
    return reserveScratch(status_, 4, error);
  }

  void clear() override {
    resetSequences();
    tableDirty_ = true;
    std::string error;
    if (seqLenIndex_ >= 0) // per-channel groups: the append kernel's record of each sequence
      for (std::vector<DeviceArray> &l : layers_)
        driver_.fill(l[seqLenIndex_].ptr, 0, l[seqLenIndex_].bytes, error);
  }
  size_t bytes() const override {
    size_t b = 0;
    for (const std::vector<DeviceArray> &l : layers_)
      for (const DeviceArray &d : l)
        b += d.bytes;
    return b;
  }
  std::string describe() const override { return describeLayout(" on the GPU"); }
  bool reserve(int64_t n, std::string &error) override {
    tableDirty_ = tableDirty_ || pages_;
    return LayoutKVCache::reserve(n, error);
  }

  bool attend(int layer, const float *q, const float *k, const float *v, int64_t n, float *out,
              std::string &error) override {
    const int64_t H = a_.heads, G = a_.kvHeads, D = a_.headDim;
    if (!upload(q_, q, n * H * D * 4, error) || !upload(k_, k, n * G * D * 4, error) ||
        !upload(v_, v, n * G * D * 4, error) || !reserveScratch(out_, n * H * D * 4, error) ||
        !attendOnDevice(layer, (const float *)(uintptr_t)q_.ptr, (const float *)(uintptr_t)k_.ptr,
                        (const float *)(uintptr_t)v_.ptr, n, (float *)(uintptr_t)out_.ptr, error) ||
        !checkAppends(error))
      return false;
    return driver_.toHost(out, out_.ptr, n * H * D * 4, error) == 0;
  }

  bool checkAppends(std::string &error) override {
    if (pendingAppends_.empty())
      return true;
    std::vector<int32_t> st(pendingAppends_.size(), -1);
    std::vector<std::pair<int64_t, int64_t>> pending;
    pending.swap(pendingAppends_);
    if (driver_.synchronize("the GPU attention kernels", error) ||
        driver_.toHost(st.data(), status_.ptr, st.size() * 4, error))
      return false;
    for (size_t i = 0; i < st.size(); ++i)
      if (st[i] != 0) {
        error = appendStatusMessage(st[i], pending[i].first, pending[i].second, capacity_);
        return false;
      }
    return true;
  }

  bool attendOnDevice(int layer, const float *q, const float *k, const float *v, int64_t n, float *out,
                      std::string &error) override {
    if (layer < 0 || layer >= (int)layers_.size()) {
      error = "internal: no cache layer " + std::to_string(layer);
      return false;
    }
    if (tableDirty_ && !uploadTable(error))
      return false;
    const int64_t start = tokens_[cur_], H = a_.heads, G = a_.kvHeads, D = a_.headDim;
    if (positionsFor_ != std::array<int64_t, 3>{start, n, cur_}) {
      // The new tokens' positions serve as the keys' (append) and the
      // queries' (decode); a function of (start, n, sequence), so every
      // layer of one forward reuses them.
      std::vector<int64_t> pos(n), seqs(n, cur_), lens(n);
      for (int64_t i = 0; i < n; ++i)
        pos[i] = start + i, lens[i] = start + i + 1;
      if (!upload(pos_, pos.data(), n * 8, error) || !upload(qSeq_, seqs.data(), n * 8, error) ||
          !upload(lens_, lens.data(), n * 8, error))
        return false;
      positionsFor_ = {start, n, cur_};
    }
    // A status word per append until checkAppends(): enough for every layer
    // of this forward (a ring appends one token at a time).
    const size_t appendsNow = ring() ? n : 1, words = pendingAppends_.size() + appendsNow;
    if (words * 4 > status_.bytes) {
      if (!checkAppends(error) || !reserveScratch(status_, std::max(words, layers_.size() * appendsNow) * 4, error))
        return false;
    }
    const std::vector<DeviceArray> &cache = layers_[layer];
    auto at = [](const void *base, int64_t byteOffset) { return (void *)((uintptr_t)base + byteOffset); };
    auto atArray = [&](const DeviceArray &a, int64_t byteOffset) { return at((void *)(uintptr_t)a.ptr, byteOffset); };
    // Appends tokens [from, from + count) of the chunk.
    auto append = [&](int64_t from, int64_t count) {
      const int64_t i = from - start;
      std::vector<GpuBuffer> b = {{at(k, i * G * D * 4), 3, {count, G, D, 0}},
                                  {at(v, i * G * D * 4), 3, {count, G, D, 0}},
                                  {atArray(pos_, i * 8), 1, {count, 0, 0, 0}}};
      for (const DeviceArray &c : cache)
        b.push_back(c.view());
      // A refused append writes nothing; its status is read in checkAppends().
      int32_t *status = (int32_t *)(uintptr_t)status_.ptr + pendingAppends_.size();
      if (lib_.append(a_.name, b.data(), (int64_t)b.size(), cur_, from, status, nullptr)) {
        error = std::string("GPU append: ") + lib_.error();
        return false;
      }
      pendingAppends_.push_back({from, count});
      return true;
    };
    // Decodes query rows [from, from + count) (row i sees start + i + 1 tokens).
    auto decode = [&](int64_t from, int64_t count) {
      const int64_t i = from - start, longest = from + count;
      // Splits: enough (row, KV head, split) items, a thread block each, to
      // give an H100's 132 SMs ~4 blocks each, with at least one 64-key
      // chunk per split.
      const int64_t items = count * G;
      const int64_t splits = std::max<int64_t>(1, std::min<int64_t>((longest + 63) / 64, (512 + items - 1) / items));
      if (!reserveScratch(partOut_, count * splits * H * D * 4, error) ||
          !reserveScratch(partLse_, count * splits * H * 4, error))
        return false;
      std::vector<GpuBuffer> b = {{at(q, i * H * D * 4), 3, {count, H, D, 0}},
                                  {atArray(pos_, i * 8), 1, {count, 0, 0, 0}},
                                  {atArray(qSeq_, i * 8), 1, {count, 0, 0, 0}}};
      for (const DeviceArray &c : cache)
        b.push_back(c.view());
      b.push_back({atArray(lens_, i * 8), 1, {count, 0, 0, 0}});
      b.push_back({atArray(partOut_, 0), 4, {count, splits, H, D}});
      b.push_back({atArray(partLse_, 0), 3, {count, splits, H, 0}});
      b.push_back({at(out, i * H * D * 4), 3, {count, H, D, 0}});
      if (lib_.decode(a_.name, b.data(), (int64_t)b.size(), nullptr)) {
        error = std::string("GPU decode: ") + lib_.error();
        return false;
      }
      return true;
    };
    if (ring()) {
      // One token at a time: each query sees the ring right after its own append.
      for (int64_t t = start; t < start + n; ++t)
        if (!append(t, 1) || !decode(t, 1))
          return false;
      return true;
    }
    return append(start, n) && decode(start, n);
  }

  /// As the CPU cache's fork: the full pages shared, the partly filled last
  /// page and the per-sequence buffers (residual, stored length) copied.
  bool fork(int64_t to, std::string &error) override {
    int32_t copyFrom, copyTo;
    if (!shareInto(to, copyFrom, copyTo, error))
      return false;
    std::vector<char> row;
    auto copyRow = [&](const DeviceArray &b, int64_t from, int64_t into) {
      const size_t n = b.bytes / b.sizes[0];
      row.resize(n);
      return driver_.toHost(row.data(), b.ptr + from * n, n, error) == 0 &&
             driver_.toDevice(b.ptr + into * n, row.data(), n, error) == 0;
    };
    for (const std::vector<DeviceArray> &l : layers_)
      for (const DeviceArray &b : l) {
        if (b.rowsAre == DeviceArray::PageRows && copyFrom >= 0 && !copyRow(b, copyFrom, copyTo))
          return false;
        if (b.rowsAre == DeviceArray::SequenceRows && !copyRow(b, cur_, to))
          return false;
      }
    tokens_[to] = tokens_[cur_];
    tableDirty_ = true;
    return true;
  }

private:
  /// Grows the device scratch `a` to at least `bytes`.
  bool reserveScratch(DeviceArray &a, size_t bytes, std::string &error) {
    if (a.bytes >= bytes)
      return true;
    driver_.free(a.ptr);
    a.ptr = 0;
    a.bytes = 0;
    if (driver_.alloc(a.ptr, bytes, error))
      return false;
    a.bytes = bytes;
    return true;
  }
  bool upload(DeviceArray &a, const void *host, size_t bytes, std::string &error) {
    return reserveScratch(a, bytes, error) && driver_.toDevice(a.ptr, host, bytes, error) == 0;
  }
  /// Every layer's device page table from the allocator's.
  bool uploadTable(std::string &error) {
    if (pages_)
      for (std::vector<DeviceArray> &l : layers_)
        if (driver_.toDevice(l[tableIndex_].ptr, pages_->tableView().data(), l[tableIndex_].bytes, error))
          return false;
    tableDirty_ = false;
    return true;
  }

  GpuKernelLibrary lib_;
  gpu::CudaDriver &driver_;
  bool tableDirty_ = true;
  /// The (start, n, sequence) whose positions pos_, qSeq_, lens_ hold.
  std::array<int64_t, 3> positionsFor_{-1, -1, -1};
  int64_t seqLenIndex_ = -1, tableIndex_ = -1;
  std::vector<std::vector<DeviceArray>> layers_;
  /// Device scratch of one attend call, grown as needed.
  DeviceArray q_, k_, v_, pos_, qSeq_, lens_, partOut_, partLse_, out_, status_;
  /// The (first token, count) of each append whose status word is unread.
  std::vector<std::pair<int64_t, int64_t>> pendingAppends_;
};

} // namespace

std::unique_ptr<DeviceKVCache> makeGpuKVCache(const AttentionKernels &a, const GpuKernelLibrary &lib,
                                        gpu::CudaDriver &driver, int layers, int64_t capacity,
                                        std::string &error, int64_t sequences) {
  error.clear();
  if (!lib.decode || !lib.append || !lib.error) {
    error = "no GPU kernel library";
    return nullptr;
  }
  // The CPU cache's checks of sizes and layouts apply unchanged.
  error = cacheRequestError(a, layers, capacity, 1, sequences);
  if (!error.empty())
    return nullptr;
  if (!driver.open(error))
    return nullptr;
  auto cache = std::make_unique<GpuKVCache>(a, lib, driver, capacity, sequences);
  if (!cache->allocate(layers, error))
    return nullptr;
  return cache;
}

} // namespace attnc::model
