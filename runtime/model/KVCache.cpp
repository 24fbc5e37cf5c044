//===- KVCache.cpp - The KV cache in a spec's layout, on its cache kernels ===//
#include "model/KVCache.h"

#include <algorithm>
#include <thread>

namespace attnc::model {

PageAllocator::PageAllocator(int64_t pages, int64_t pageSize, int64_t seqs, int64_t maxPages)
    : pages_(pages), pageSize_(pageSize), seqs_(seqs), maxPages_(maxPages),
      table_(seqs * maxPages, -1), mappedPages_(seqs, 0), refs_(pages, 0) {
  for (int64_t p = 0; p < pages; ++p) free_.push_back((int32_t)p);
}

bool PageAllocator::grow(int64_t seq, int64_t tokens, std::string &error) {
  if (seq < 0 || seq >= seqs_) {
    error = "no sequence " + std::to_string(seq) + " in the page table";
    return false;
  }
  const int64_t needed = (tokens + pageSize_ - 1) / pageSize_, have = mappedPages_[seq];
  if (needed <= have)
    return true;
  if (needed > maxPages_) {
    error = std::to_string(tokens) + " tokens need " + std::to_string(needed) +
            " pages of " + std::to_string(pageSize_) + ", the page table holds " +
            std::to_string(maxPages_) + " per sequence (" + std::to_string(maxPages_ * pageSize_) +
            " tokens)";
    return false;
  }
  if (needed - have > freePages()) {
    error = "out of KV-cache pages: " + std::to_string(tokens) + " tokens need " +
            std::to_string(needed - have) + " more pages of " + std::to_string(pageSize_) +
            ", " + std::to_string(freePages()) + " of " + std::to_string(pages_) + " free";
    return false;
  }
  for (int64_t p = have; p < needed; ++p) {
    table_[seq * maxPages_ + p] = free_.back();
    refs_[free_.back()] = 1;
    free_.pop_back();
  }
  mappedPages_[seq] = needed;
  return true;
}

void PageAllocator::release(int64_t seq) {
  if (seq < 0 || seq >= seqs_)
    return;
  // Pushed back in reverse, so a regrown sequence gets the same pages.
  for (int64_t p = mappedPages_[seq] - 1; p >= 0; --p) {
    int32_t &entry = table_[seq * maxPages_ + p];
    if (--refs_[entry] == 0)
      free_.push_back(entry);
    entry = -1;
  }
  mappedPages_[seq] = 0;
}

bool PageAllocator::share(int64_t from, int64_t to, int64_t tokens, int32_t &copyFrom,
                          int32_t &copyTo, std::string &error) {
  copyFrom = copyTo = -1;
  if (from < 0 || from >= seqs_ || to < 0 || to >= seqs_ || from == to) {
    error = "cannot share sequence " + std::to_string(from) + " into " + std::to_string(to) +
            " (the page table holds " + std::to_string(seqs_) + " sequences)";
    return false;
  }
  if (mappedPages_[to] != 0) {
    error = "sequence " + std::to_string(to) + " is not empty";
    return false;
  }
  const int64_t full = tokens / pageSize_, partial = tokens % pageSize_ ? 1 : 0;
  if (full + partial > mappedPages_[from]) {
    error = "sequence " + std::to_string(from) + " has no " + std::to_string(tokens) + " tokens";
    return false;
  }
  if (partial > freePages()) {
    error = "out of KV-cache pages: sharing " + std::to_string(tokens) +
            " tokens needs a page for the partly filled last one, 0 of " +
            std::to_string(pages_) + " free";
    return false;
  }
  for (int64_t p = 0; p < full; ++p) {
    const int32_t page = table_[from * maxPages_ + p];
    table_[to * maxPages_ + p] = page;
    ++refs_[page];
  }
  if (partial) {
    copyFrom = table_[from * maxPages_ + full];
    copyTo = free_.back();
    free_.pop_back();
    refs_[copyTo] = 1;
    table_[to * maxPages_ + full] = copyTo;
  }
  mappedPages_[to] = full + partial;
  return true;
}

bool KVCache::select(int64_t seq, std::string &error) {
  if (seq == 0)
    return true;
  error = "this KV cache holds one sequence";
  return false;
}

bool KVCache::fork(int64_t, std::string &error) {
  error = "only paged KV caches share a prefix between sequences";
  return false;
}

std::string appendStatusMessage(int32_t status, int64_t from, int64_t n, int64_t capacity) {
  std::string tokens = "tokens " + std::to_string(from) + ".." + std::to_string(from + n - 1);
  switch (status) {
  case 1:
    return "the KV cache is full: appending " + tokens + " exceeds its capacity of " +
           std::to_string(capacity) + " tokens";
  case 2:
    return "the KV cache's page table has no page for " + tokens;
  case 3:
    return "the KV cache has no such sequence (appending " + tokens + ")";
  case 4:
    return "the KV cache cannot rewrite " + tokens +
           ": they start past its stored length or inside a token group already quantized";
  default:
    return "the append kernel refused " + tokens + " (status " + std::to_string(status) + ")";
  }
}

namespace {

void threadsPerCall(int n, void (*body)(void *ctx, int i), void *ctx) {
  std::vector<std::thread> pool;
  for (int t = 1; t < n; ++t)
    pool.emplace_back([=] { body(ctx, t); });
  if (n > 0)
    body(ctx, 0);
  for (std::thread &t : pool) t.join();
}

ParallelFor installedParallelFor = threadsPerCall;

} // namespace

void setParallelFor(ParallelFor f) { installedParallelFor = f ? f : threadsPerCall; }
ParallelFor parallelFor() { return installedParallelFor; }

LayoutKVCache::LayoutKVCache(const AttentionKernels &a, int64_t capacity, int64_t sequences)
    : a_(a), tokens_(sequences, 0) {
  const CacheLayout &c = a.cache;
  if (c.kind == CacheLayout::Kind::Ring) {
    slots_ = c.sinks + c.window;
    capacity_ = -1;
  } else if (c.kind == CacheLayout::Kind::Paged) {
    const int64_t pages = (capacity + c.pageSize - 1) / c.pageSize;
    pages_ = std::make_unique<PageAllocator>(pages, c.pageSize, sequences, pages);
    rows_ = pages;
    slots_ = c.pageSize;
    capacity_ = pages * c.pageSize;
  } else {
    slots_ = capacity;
    capacity_ = capacity;
  }
}

int64_t LayoutKVCache::resident() const {
  if (!ring())
    return tokens_[cur_];
  return std::min(tokens_[cur_], a_.cache.sinks + a_.cache.window);
}

bool LayoutKVCache::reserve(int64_t n, std::string &error) {
  if (ring())
    return true;
  const int64_t t = tokens_[cur_];
  if (t + n > capacity_) {
    error = "the KV cache holds " + std::to_string(capacity_) + " tokens; " + std::to_string(t) +
            " cached + " + std::to_string(n) + " new do not fit";
    return false;
  }
  return !pages_ || pages_->grow(cur_, t + n, error);
}

bool LayoutKVCache::select(int64_t seq, std::string &error) {
  if (seq < 0 || seq >= (int64_t)tokens_.size()) {
    error = "the KV cache has no sequence " + std::to_string(seq) + " (it holds " +
            std::to_string(tokens_.size()) + ")";
    return false;
  }
  cur_ = seq;
  return true;
}

bool LayoutKVCache::shareInto(int64_t to, int32_t &copyFrom, int32_t &copyTo, std::string &error) {
  if (!pages_)
    return KVCache::fork(to, error);
  if (to >= 0 && to < (int64_t)tokens_.size() && tokens_[to] != 0) {
    error = "sequence " + std::to_string(to) + " is not empty";
    return false;
  }
  return pages_->share(cur_, to, tokens_[cur_], copyFrom, copyTo, error);
}

void LayoutKVCache::resetSequences() {
  for (int64_t s = 0; s < (int64_t)tokens_.size(); ++s) {
    tokens_[s] = 0;
    if (pages_)
      pages_->release(s);
  }
  cur_ = 0;
}

std::string LayoutKVCache::describeLayout(const std::string &where) const {
  std::string s = a_.cache.str() + where;
  if (pages_)
    s += ", " + std::to_string(pages_->pages()) + " pages" +
         (tokens_.size() > 1 ? ", " + std::to_string(tokens_.size()) + " sequences" : "");
  else if (!ring())
    s += ", capacity " + std::to_string(capacity_);
  return s;
}

namespace {

/// Runs body(bounds[t], bounds[t + 1]) for every t, concurrently (parallelFor()).
template <typename F>
void runRanges(const std::vector<int64_t> &bounds, F body) {
  parallelForEach((int)bounds.size() - 1, [&](int t) { body(bounds[t], bounds[t + 1]); });
}

/// [0, work) cut into up to `threads` ranges of equal size.
std::vector<int64_t> evenRanges(int threads, int64_t work) {
  const int64_t n = std::max<int64_t>(1, std::min<int64_t>(threads, work));
  std::vector<int64_t> b(n + 1);
  for (int64_t t = 0; t <= n; ++t) b[t] = work * t / n;
  return b;
}

/// Work items [0, rows * perRow) cut into up to `threads` ranges of about
/// equal cost, item w costing cost[w / perRow]: the rows of a prefill chunk
/// see 1, 2, ..., n keys, so even ranges would leave the first thread idle.
std::vector<int64_t> balancedRanges(int threads, const std::vector<int64_t> &cost, int64_t perRow) {
  const int64_t work = (int64_t)cost.size() * perRow;
  const int64_t n = std::max<int64_t>(1, std::min<int64_t>(threads, work));
  double total = 0;
  for (int64_t c : cost) total += double(std::max<int64_t>(c, 1)) * perRow;
  std::vector<int64_t> b = {0};
  double acc = 0;
  for (int64_t w = 0; w < work && (int64_t)b.size() < n; ++w) {
    acc += double(std::max<int64_t>(cost[w / perRow], 1));
    if (acc >= total * double(b.size()) / double(n))
      b.push_back(w + 1);
  }
  b.push_back(work);
  return b;
}

class SpecKVCache final : public LayoutKVCache {
public:
  SpecKVCache(const AttentionKernels &a, int layers, int64_t capacity, int threads, int64_t sequences)
      : LayoutKVCache(a, capacity, sequences), k_(a.cacheKernels), threads_(threads) {
    const CacheLayout &c = a.cache;
    const int64_t kvRow = a.kvHeads * a.headDim;
    using Q = CacheLayout::Quant;
    const bool quantized = c.quant != Q::None, int4 = c.quant == Q::Int4;
    // Bytes per cached K or V element: f32, one code, or half a byte (int4).
    const int64_t elemNum = quantized ? 1 : sizeof(float), elemDen = int4 ? 2 : 1;
    const int64_t rows = rows_, slots = slots_;
    // The scales' dims after [rows] (docs/kernels.md, "Cache buffers"): a
    // per-channel side per token group, an int4 per-token side per channel
    // group, int8/fp8 per token.
    auto scaleDims = [&](bool perChannel, int64_t dims[3]) {
      const int64_t g = c.group;
      if (perChannel) {
        dims[0] = (slots + g - 1) / g, dims[1] = a.kvHeads, dims[2] = a.headDim;
      } else if (int4) {
        dims[0] = slots, dims[1] = a.kvHeads, dims[2] = (a.headDim + g - 1) / g;
      } else {
        dims[0] = slots, dims[1] = a.kvHeads, dims[2] = 0;
      }
      return dims[0] * dims[1] * std::max<int64_t>(dims[2], 1);
    };
    layers_.resize(layers);
    for (Layer &l : layers_) {
      CacheStorage &v = l.view;
      l.k.assign(rows * slots * kvRow * elemNum / elemDen, 0);
      l.v.assign(rows * slots * kvRow * elemNum / elemDen, 0);
      l.pos.assign(rows * slots, 0);
      if (quantized) {
        l.kScale.assign(rows * scaleDims(c.keysPerChannel, v.kScaleDims), 0.0f);
        l.vScale.assign(rows * scaleDims(c.valuesPerChannel, v.vScaleDims), 0.0f);
      }
      if (int4) {
        l.kMin.assign(l.kScale.size(), 0.0f);
        l.vMin.assign(l.vScale.size(), 0.0f);
      }
      if (c.keysPerChannel)
        l.kResid.assign(sequences * c.group * kvRow, 0.0f);
      if (c.valuesPerChannel)
        l.vResid.assign(sequences * c.group * kvRow, 0.0f);
      if (c.anyPerChannel())
        l.seqLen.assign(sequences, 0);
      auto data = [](auto &buf) { return buf.empty() ? nullptr : buf.data(); };
      v.k = l.k.data();
      v.v = l.v.data();
      v.pos = l.pos.data();
      v.kScale = data(l.kScale);
      v.vScale = data(l.vScale);
      v.kMin = data(l.kMin);
      v.vMin = data(l.vMin);
      v.kResid = data(l.kResid);
      v.vResid = data(l.vResid);
      v.seqLen = data(l.seqLen);
      v.group = c.group;
      v.pageTable = pages_ ? pages_->table() : nullptr;
      v.rows = rows;
      v.slots = slots;
      v.seqs = sequences;
      v.maxPages = pages_ ? pages_->maxPages() : 0;
      v.headMajor = c.headMajor;
    }
  }

  void clear() override {
    resetSequences();
    for (Layer &l : layers_) // per-channel groups: the append kernel's record of each sequence
      std::fill(l.seqLen.begin(), l.seqLen.end(), 0);
  }
  size_t bytes() const override {
    size_t b = pages_ ? pages_->tableView().size() * sizeof(int32_t) : 0;
    for (const Layer &l : layers_)
      b += l.k.size() + l.v.size() + (l.pos.size() + l.seqLen.size()) * sizeof(int64_t) +
           (l.kScale.size() + l.vScale.size() + l.kMin.size() + l.vMin.size() + l.kResid.size() +
            l.vResid.size()) *
               sizeof(float);
    return b;
  }
  std::string describe() const override { return describeLayout(""); }

  bool attend(int layer, const float *q, const float *k, const float *v, int64_t n, float *out,
              std::string &error) override {
    if (layer < 0 || layer >= (int)layers_.size()) {
      error = "internal: no cache layer " + std::to_string(layer);
      return false;
    }
    const CacheStorage &c = layers_[layer].view;
    const int64_t start = tokens_[cur_], kvRow = a_.kvHeads * a_.headDim, qRow = a_.heads * a_.headDim;
    std::vector<int64_t> pos(n);
    for (int64_t i = 0; i < n; ++i) pos[i] = start + i;
    auto append = [&](int64_t from, int64_t count) {
      int32_t st = k_.append(k + (from - start) * kvRow, v + (from - start) * kvRow,
                             pos.data() + (from - start), count, c, cur_, from);
      if (st != 0)
        error = appendStatusMessage(st, from, count, capacity_);
      return st == 0;
    };
    if (ring()) {
      // One token at a time: each query sees the ring right after its own append.
      for (int64_t i = 0; i < n; ++i) {
        if (!append(start + i, 1))
          return false;
        decode(c, q + i * qRow, pos.data() + i, 1, out + i * qRow);
      }
      return true;
    }
    // Contiguous or paged: append the chunk, then one decode with a row per
    // token, row i seeing start + i + 1 tokens.
    if (!append(start, n))
      return false;
    decode(c, q, pos.data(), n, out);
    return true;
  }

  bool fork(int64_t to, std::string &error) override {
    int32_t copyFrom, copyTo;
    if (!shareInto(to, copyFrom, copyTo, error))
      return false;
    for (Layer &l : layers_) {
      if (copyFrom >= 0) { // the partly filled page: every page-indexed buffer's row copyFrom
        auto copyRow = [&](auto &buf) {
          const size_t row = buf.size() / pages_->pages();
          std::copy(buf.begin() + copyFrom * row, buf.begin() + (copyFrom + 1) * row,
                    buf.begin() + copyTo * row);
        };
        copyRow(l.k);
        copyRow(l.v);
        copyRow(l.pos);
        for (std::vector<float> *b : {&l.kScale, &l.vScale, &l.kMin, &l.vMin})
          if (!b->empty())
            copyRow(*b);
      }
      // Per-sequence buffers: the incomplete token group and its length.
      auto copySeq = [&](auto &buf) {
        const size_t row = buf.size() / tokens_.size();
        std::copy(buf.begin() + cur_ * row, buf.begin() + (cur_ + 1) * row, buf.begin() + to * row);
      };
      for (std::vector<float> *b : {&l.kResid, &l.vResid})
        if (!b->empty())
          copySeq(*b);
      if (!l.seqLen.empty())
        copySeq(l.seqLen);
    }
    tokens_[to] = tokens_[cur_];
    return true;
  }
private:
  struct Layer {
    std::vector<uint8_t> k, v;
    std::vector<int64_t> pos;
    std::vector<float> kScale, vScale, kMin, vMin, kResid, vResid;
    std::vector<int64_t> seqLen;
    CacheStorage view;
  };

  void decode(const CacheStorage &c, const float *q, const int64_t *qPos, int64_t rows, float *out) {
    decodeRows(a_, c, q, qPos, rows, threads_, scratch_, out, cur_);
  }

  const CacheKernels &k_;
  int threads_;
  std::vector<Layer> layers_;
  DecodeScratch scratch_;
};

} // namespace

void decodeRows(const AttentionKernels &a, const CacheStorage &c, const float *q,
                const int64_t *qPos, int64_t rows, int threads, DecodeScratch &s, float *out,
                int64_t seq) {
  const CacheKernels &k = a.cacheKernels;
  const int64_t blocks = a.kvHeads / k.headsPerBlock;
  const int64_t longest = qPos[rows - 1] + 1;
  // Splits: about two items per thread (so uneven blocks still balance),
  // but at least ~64 keys per split.
  int64_t splits = (2 * threads + rows * blocks - 1) / (rows * blocks);
  splits = std::max<int64_t>(1, std::min<int64_t>(splits, (longest + 63) / 64));
  s.lens.resize(rows);
  s.seqs.assign(rows, seq);
  for (int64_t i = 0; i < rows; ++i) s.lens[i] = qPos[i] + 1;
  s.partOut.resize(rows * splits * a.heads * a.headDim);
  s.partLse.resize(rows * splits * a.heads);
  runRanges(balancedRanges(threads, s.lens, blocks * splits), [&](int64_t b, int64_t e) {
    k.decodeSplit(q, qPos, s.seqs.data(), rows, c, s.lens.data(), s.partOut.data(),
                  s.partLse.data(), splits, b, e);
  });
  runRanges(evenRanges(rows * a.heads >= 64 ? threads : 1, rows * a.heads), [&](int64_t b, int64_t e) {
    k.decodeMerge(s.partOut.data(), s.partLse.data(), rows, splits, out, b, e);
  });
}

std::string cacheRequestError(const AttentionKernels &a, int layers, int64_t capacity, int threads,
                              int64_t sequences) {
  std::string error;
  const CacheKernels &k = a.cacheKernels;
  if (!k.append || !k.decodeSplit || !k.decodeMerge || k.headsPerBlock <= 0 ||
      a.kvHeads % k.headsPerBlock) {
    error = std::string("spec ") + a.name + " has no cache kernels";
    return error;
  }
  const CacheLayout &c = a.cache;
  if (layers < 1 || threads < 1) {
    error = "a KV cache needs at least one layer and one thread";
    return error;
  }
  if (c.kind == CacheLayout::Kind::Ring && (c.sinks < 0 || c.window < 1)) {
    error = std::string("spec ") + a.name + ": bad ring size";
    return error;
  }
  if (c.kind == CacheLayout::Kind::Paged && c.pageSize < 1) {
    error = std::string("spec ") + a.name + ": bad page size";
    return error;
  }
  if (c.kind != CacheLayout::Kind::Ring && (capacity < 1 || capacity > (int64_t(1) << 24))) {
    error = "a KV cache capacity of " + std::to_string(capacity) +
            " tokens is out of range [1, 16777216]";
    return error;
  }
  if (sequences < 1 || sequences > 4096 ||
      (sequences > 1 && c.kind != CacheLayout::Kind::Paged)) {
    error = "a KV cache of spec " + std::string(a.name) + " holds " +
            (c.kind == CacheLayout::Kind::Paged ? std::string("1 to 4096 sequences")
                                                : std::string("one sequence (only paged caches hold more)")) +
            ", not " + std::to_string(sequences);
    return error;
  }
  return "";
}

std::unique_ptr<KVCache> makeKVCache(const AttentionKernels &a, int layers, int64_t capacity,
                                     int threads, std::string &error, int64_t sequences) {
  error = cacheRequestError(a, layers, capacity, threads, sequences);
  if (!error.empty())
    return nullptr;
  return std::make_unique<SpecKVCache>(a, layers, capacity, threads, sequences);
}

} // namespace attnc::model
